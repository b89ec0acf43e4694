//! The services the service-backed tests need, on loopback only: `redis-server` (`REDIS_URL`)
//! and cognito-local, a Cognito user-pool emulator (`COGNITO_LOCAL_URL`).
//!
//! Two ways to run them:
//!
//! - `cargo xtask services start|stop|status [SERVICE]...` keeps them running for a developer,
//!   detached, one instance per service, state and logs in `target/redis/` and
//!   `target/cognito-local/`; `start` is idempotent (a running, healthy instance is reused).
//! - [`Owned`] (what `cargo xtask test` uses): fresh instances private to one run, in
//!   `target/<service>/run-<pid>/`, stopped when dropped, and also when xtask dies any other
//!   way (Ctrl-C, a kill): each service runs under a small `sh` guard that stops it when xtask's
//!   end of the guard's stdin closes, which the kernel does however xtask exits.
//!
//! cognito-local is installed with `npm ci` from `xtask/cognito-local/package.json` and
//! `package-lock.json` (the pinned version) into `target/cognito-local/`, once per change of
//! those files. Its pool is `us-east-1_LocalPool1`: tokens carry `iss =
//! https://cognito-idp.us-east-1.amazonaws.com/us-east-1_LocalPool1` while the JWKS is served at
//! `$COGNITO_LOCAL_URL/us-east-1_LocalPool1/.well-known/jwks.json`. Every code it sends (sign-up,
//! reset, attribute verification) is `424242` (its `CODE` variable).

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};

use crate::server;
use crate::util::{self, Fail, ctx};

/// The emulator's user pool.
pub(crate) const POOL_ID: &str = "us-east-1_LocalPool1";
/// The issuer domain of the emulator's tokens: the real Cognito one.
const ISSUER_DOMAIN: &str = "https://cognito-idp.us-east-1.amazonaws.com";
/// The code every emulator message carries.
pub(crate) const CODE: &str = "424242";
/// The emulator's entry point, under its install directory.
const START_JS: &str = "node_modules/cognito-local/lib/bin/start.js";

/// A service the tests need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub(crate) enum Service {
    /// `redis-server` (`REDIS_URL`): the shared deny-list tests.
    Redis,
    /// cognito-local (`COGNITO_LOCAL_URL`): the emulator tests.
    CognitoLocal,
}

impl Service {
    pub(crate) const ALL: [Self; 2] = [Self::Redis, Self::CognitoLocal];

    fn name(self) -> &'static str {
        match self {
            Self::Redis => "redis",
            Self::CognitoLocal => "cognito-local",
        }
    }

    /// The variable the tests read its URL from.
    pub(crate) fn var(self) -> &'static str {
        match self {
            Self::Redis => "REDIS_URL",
            Self::CognitoLocal => "COGNITO_LOCAL_URL",
        }
    }

    fn url(self, port: u16) -> String {
        match self {
            Self::Redis => format!("redis://127.0.0.1:{port}"),
            Self::CognitoLocal => format!("http://127.0.0.1:{port}"),
        }
    }

    /// Its directory: the developer instance's state, the install, the private runs.
    fn dir(self) -> PathBuf {
        util::root().join("target").join(self.name())
    }

    /// A word of its process's command line (a recycled pid running something else is no
    /// instance of ours).
    fn process_word(self) -> &'static str {
        match self {
            Self::Redis => "redis-server",
            Self::CognitoLocal => "cognito-local",
        }
    }
}

/// Settings of `cargo xtask services`.
#[derive(Debug, Parser)]
pub(crate) struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Installs what is missing, starts each service (reusing a running, healthy one) and prints
    /// `REDIS_URL=...` and `COGNITO_LOCAL_URL=...`, the only lines on stdout:
    /// `export $(cargo xtask services start)`.
    Start(Which),
    /// Stops each service started by `start` (no error when it is not running).
    Stop(Which),
    /// Prints the URL line of each running, healthy service; fails when one is not.
    Status(Which),
}

#[derive(Debug, Parser)]
struct Which {
    /// The services (default: both).
    #[arg(value_enum)]
    services: Vec<Service>,
    /// Seconds a service may take to answer after it starts.
    #[arg(long, default_value_t = 60, env = "COGNITO_LOCAL_START_TIMEOUT",
          value_parser = clap::value_parser!(u64).range(1..=600))]
    timeout: u64,
}

impl Which {
    fn services(&self) -> Vec<Service> {
        let mut services = if self.services.is_empty() {
            Service::ALL.to_vec()
        } else {
            self.services.clone()
        };
        services.sort();
        services.dedup();
        services
    }
}

/// `cargo xtask services ...`.
pub(crate) fn run(args: &Args) -> Result<(), Fail> {
    match &args.action {
        Action::Start(which) => {
            for service in which.services() {
                let url = start_detached(service, Duration::from_secs(which.timeout))?;
                println!("{}={url}", service.var());
            }
            Ok(())
        }
        Action::Stop(which) => {
            for service in which.services() {
                stop_detached(service);
            }
            Ok(())
        }
        Action::Status(which) => {
            let mut down = Vec::new();
            for service in which.services() {
                match running(service) {
                    Some((_, url)) => println!("{}={url}", service.var()),
                    None => {
                        util::log(&format!("{}: not running", service.name()));
                        down.push(service.name());
                    }
                }
            }
            if down.is_empty() {
                Ok(())
            } else {
                Err(Fail(format!("not running: {}", down.join(", "))))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Processes.

/// A free TCP port on 127.0.0.1 (it may be taken again before use: callers retry).
pub(crate) fn free_port() -> Result<u16, Fail> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(ctx("bind 127.0.0.1:0"))?;
    Ok(listener.local_addr().map_err(ctx("local address"))?.port())
}

/// Whether `pid` runs (a zombie, left by an init that does not reap, does not).
fn alive(pid: u32) -> bool {
    let stat = format!("/proc/{pid}/stat");
    if Path::new("/proc/self/stat").exists() {
        return std::fs::read_to_string(stat).is_ok_and(|s| {
            let state = s.rsplit_once(") ").map(|(_, rest)| rest.trim_start());
            state.is_some_and(|rest| !rest.starts_with('Z'))
        });
    }
    util::cmd("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether `pid` is alive and its command line holds `word` (without /proc, e.g. macOS: alive).
fn is_ours(pid: u32, word: &str) -> bool {
    if !alive(pid) {
        return false;
    }
    match std::fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(cmdline) => String::from_utf8_lossy(&cmdline).contains(word),
        Err(_) => !Path::new("/proc/self").exists(),
    }
}

fn signal(pid: u32, signal: &str) {
    let _ = util::cmd("kill")
        .args([signal, &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

/// SIGTERM, at most 10 s to exit, then SIGKILL.
fn stop_pid(pid: u32) {
    signal(pid, "-TERM");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if !alive(pid) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    util::log(&format!("pid {pid} did not stop on SIGTERM: SIGKILL"));
    signal(pid, "-KILL");
}

/// How a service process starts.
#[derive(Debug)]
struct Launch {
    program: String,
    args: Vec<String>,
    envs: Vec<(&'static str, String)>,
    cwd: PathBuf,
}

impl Launch {
    /// `service` on 127.0.0.1:`port`, its state in `state` (which exists).
    fn new(service: Service, port: u16, state: &Path) -> Self {
        match service {
            Service::Redis => Self {
                program: "redis-server".into(),
                args: [
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    &port.to_string(),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    &state.display().to_string(),
                ]
                .map(str::to_owned)
                .to_vec(),
                envs: Vec::new(),
                cwd: state.to_path_buf(),
            },
            Service::CognitoLocal => Self {
                program: "node".into(),
                args: vec![service.dir().join(START_JS).display().to_string()],
                envs: vec![
                    ("HOST", "127.0.0.1".into()),
                    ("PORT", port.to_string()),
                    ("CODE", CODE.into()),
                ],
                // cognito-local keeps its state in `.cognito/` of its working directory.
                cwd: state.to_path_buf(),
            },
        }
    }

    /// The command, its output appended to `log`, in its own process group (a Ctrl-C in the
    /// terminal goes to xtask's group only).
    fn command(&self, program: &str, args: &[String], log: &Path) -> Result<Command, Fail> {
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .map_err(ctx(&log.display().to_string()))?;
        let err = out.try_clone().map_err(ctx("log file"))?;
        let mut cmd = Command::new(program);
        cmd.args(args)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.cwd)
            .stdout(out)
            .stderr(err)
            .process_group(0);
        Ok(cmd)
    }

    /// Starts it detached; its pid.
    fn spawn_detached(&self, log: &Path) -> Result<u32, Fail> {
        let child = self
            .command(&self.program, &self.args, log)?
            .stdin(Stdio::null())
            .spawn()
            .map_err(ctx(&format!("cannot start {}", self.program)))?;
        // Not waited for: it outlives this process.
        Ok(child.id())
    }

    /// Starts it under the guard; the guard and the service's pid.
    fn spawn_guarded(&self, log: &Path, pid_file: &Path) -> Result<Guard, Fail> {
        // The guard stops the service when its stdin closes (xtask exited or dropped it).
        const GUARD: &str = r#"pid_file=$1; shift
"$@" </dev/null &
pid=$!
echo "$pid" >"$pid_file"
cat >/dev/null
kill "$pid" 2>/dev/null
wait "$pid""#;
        let _ = std::fs::remove_file(pid_file);
        let mut args = vec![
            "-c".to_owned(),
            GUARD.to_owned(),
            "xtask-service-guard".to_owned(),
            pid_file.display().to_string(),
            self.program.clone(),
        ];
        args.extend(self.args.iter().cloned());
        let mut child = self
            .command("sh", &args, log)?
            .stdin(Stdio::piped())
            .spawn()
            .map_err(ctx("cannot start sh"))?;
        let stdin = child.stdin.take();
        let mut guard = Guard {
            child,
            stdin,
            pid: None,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let pid = std::fs::read_to_string(pid_file).unwrap_or_default();
            if let Some(pid) = pid.strip_suffix('\n').and_then(|p| p.parse().ok()) {
                guard.pid = Some(pid);
                return Ok(guard);
            }
            if matches!(guard.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(Fail(format!(
            "the guard of {} did not start it",
            self.program
        )))
    }
}

/// A service running under its `sh` guard; dropping it stops both.
#[derive(Debug)]
struct Guard {
    child: Child,
    stdin: Option<ChildStdin>,
    pid: Option<u32>,
}

impl Guard {
    fn stop(&mut self) {
        // EOF on the guard's stdin: it sends SIGTERM and waits for the service.
        drop(self.stdin.take());
        match util::wait_bounded(&mut self.child, Duration::from_secs(15)) {
            Ok(Some(_)) => {}
            _ => {
                if let Some(pid) = self.pid {
                    util::log(&format!("pid {pid} did not stop on SIGTERM: SIGKILL"));
                    signal(pid, "-KILL");
                }
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
        self.pid = None;
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop();
    }
}

// ---------------------------------------------------------------------------------------------
// Health.

/// Why a start attempt failed.
#[derive(Debug)]
enum Wait {
    /// The process exited: the port may have been taken; another attempt may work.
    Exited,
    /// It answered wrong, or not in time.
    Failed(String),
}

/// Whether Redis answers `PING` on `port`.
fn redis_ok(port: u16) -> bool {
    let ping = || -> std::io::Result<bool> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream.write_all(b"PING\r\n")?;
        let mut answer = [0u8; 7];
        stream.read_exact(&mut answer)?;
        Ok(&answer == b"+PONG\r\n")
    };
    ping().unwrap_or(false)
}

/// Whether cognito-local answers `GET /health` with 200 on `port`.
fn cognito_health_ok(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    server::get(addr, "/health", None).is_ok_and(|(status, _)| status == 200)
}

/// Whether the pool's JWKS holds an RSA key.
fn cognito_jwks_ok(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let path = format!("/{POOL_ID}/.well-known/jwks.json");
    let Ok((200, body)) = server::get(addr, &path, None) else {
        return false;
    };
    serde_json::from_str::<serde_json::Value>(&body).is_ok_and(|jwks| {
        jwks.get("keys")
            .and_then(serde_json::Value::as_array)
            .is_some_and(|keys| {
                keys.iter()
                    .any(|k| k.get("kty").and_then(serde_json::Value::as_str) == Some("RSA"))
            })
    })
}

/// Whether `service` answers on `port` (for cognito-local: health and keys).
fn healthy(service: Service, port: u16) -> bool {
    match service {
        Service::Redis => redis_ok(port),
        Service::CognitoLocal => cognito_health_ok(port) && cognito_jwks_ok(port),
    }
}

/// The port of a URL this module wrote (`scheme://127.0.0.1:PORT`).
fn port_of(url: &str) -> Option<u16> {
    url.trim_end().rsplit_once(':')?.1.parse().ok()
}

/// Waits at most `timeout` for `service` (pid `pid`) to answer on `port`.
fn wait_ready(service: Service, pid: u32, port: u16, timeout: Duration) -> Result<(), Wait> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if !alive(pid) {
            return Err(Wait::Exited);
        }
        let up = match service {
            Service::Redis => redis_ok(port),
            Service::CognitoLocal => cognito_health_ok(port),
        };
        if up {
            if service == Service::CognitoLocal && !cognito_jwks_ok(port) {
                return Err(Wait::Failed(format!(
                    "{} answers /health but not /{POOL_ID}/.well-known/jwks.json",
                    service.url(port)
                )));
            }
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(Wait::Failed(format!(
        "{} did not answer {} within {timeout:?}",
        service.name(),
        service.url(port)
    )))
}

/// The last `lines` lines of `log`, to stderr.
fn show_log(log: &Path, lines: usize) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    util::log(&format!("end of {}:", log.display()));
    for line in all.iter().skip(all.len().saturating_sub(lines)) {
        eprintln!("  {line}");
    }
}

// ---------------------------------------------------------------------------------------------
// Install and state.

/// `redis-server` on PATH, installed with apt-get when missing and possible.
fn ensure_redis() -> Result<(), Fail> {
    if util::has_tool("redis-server") {
        return Ok(());
    }
    util::apt_install(&["redis-server"]).map_err(|Fail(e)| {
        Fail(format!(
            "redis-server is not on PATH and could not be installed: {e} (Debian/Ubuntu package \
             `redis-server`, Homebrew `redis`)"
        ))
    })?;
    util::require_tools(&["redis-server"])
}

/// node (>= 18) and npm on PATH.
fn ensure_node() -> Result<(), Fail> {
    const NEED: &str = "cognito-local (the Cognito emulator) needs node >= 18 and npm on PATH";
    if !util::has_tool("node") || !util::has_tool("npm") {
        return Err(Fail(format!("{NEED}: install Node.js")));
    }
    let version = util::output(util::cmd("node").arg("--version"))?;
    let major = version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    match major {
        Some(major) if major >= 18 => Ok(()),
        _ => Err(Fail(format!("{NEED}; found node {}", version.trim()))),
    }
}

/// Installs the pinned cognito-local into `target/cognito-local/` unless that install is current.
fn install_cognito_local() -> Result<(), Fail> {
    ensure_node()?;
    let dir = Service::CognitoLocal.dir();
    std::fs::create_dir_all(&dir).map_err(ctx(&dir.display().to_string()))?;
    let pins = util::root().join("xtask/cognito-local");
    let files = ["package.json", "package-lock.json"];
    let mut pinned = Vec::new();
    for file in files {
        let path = pins.join(file);
        pinned.push(std::fs::read(&path).map_err(ctx(&path.display().to_string()))?);
    }
    let want = format!("{:016x}", util::fnv1a(&pinned.concat()));
    let stamp = dir.join("installed.stamp");
    let have = std::fs::read_to_string(&stamp).unwrap_or_default();
    if have.trim() == want && dir.join(START_JS).is_file() {
        return Ok(());
    }
    util::log(&format!(
        "installing cognito-local (pinned by xtask/cognito-local/package-lock.json) into {}",
        dir.display()
    ));
    for (file, bytes) in files.iter().zip(&pinned) {
        std::fs::write(dir.join(file), bytes).map_err(ctx(file))?;
    }
    let started = Instant::now();
    // --ignore-scripts: the only install script in the tree (aws-sdk) just prints a notice.
    util::status(
        util::cmd("npm")
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            .arg("--loglevel=error")
            .current_dir(&dir)
            .stdout(Stdio::null()),
    )?;
    if !dir.join(START_JS).is_file() {
        return Err(Fail(format!(
            "npm ci succeeded but {} is missing",
            dir.join(START_JS).display()
        )));
    }
    std::fs::write(&stamp, &want).map_err(ctx(&stamp.display().to_string()))?;
    util::log(&format!("installed in {} s", started.elapsed().as_secs()));
    Ok(())
}

/// Installs what `service` needs.
fn install(service: Service) -> Result<(), Fail> {
    match service {
        Service::Redis => ensure_redis(),
        Service::CognitoLocal => install_cognito_local(),
    }
}

/// A fresh state in `state`: for cognito-local, the Cognito-shaped pool and the issuer domain.
fn prepare_state(service: Service, state: &Path) -> Result<(), Fail> {
    std::fs::create_dir_all(state).map_err(ctx(&state.display().to_string()))?;
    if service == Service::CognitoLocal {
        let cognito = state.join(".cognito");
        let _ = std::fs::remove_dir_all(&cognito);
        let db = cognito.join("db");
        std::fs::create_dir_all(&db).map_err(ctx(&db.display().to_string()))?;
        std::fs::write(db.join(format!("{POOL_ID}.json")), "{}\n").map_err(ctx("pool file"))?;
        let config = serde_json::json!({
            "TokenConfig": { "IssuerDomain": ISSUER_DOMAIN },
            "UserPoolDefaults": { "UsernameAttributes": [] },
        });
        let config = serde_json::to_string_pretty(&config).map_err(ctx("config.json"))?;
        std::fs::write(cognito.join("config.json"), config + "\n").map_err(ctx("config.json"))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The developer's detached instances.

struct Files {
    pid: PathBuf,
    url: PathBuf,
    log: PathBuf,
}

fn files(service: Service) -> Files {
    let dir = service.dir();
    let name = service.name();
    Files {
        pid: dir.join(format!("{name}.pid")),
        url: dir.join(format!("{name}.url")),
        log: dir.join(format!("{name}.log")),
    }
}

/// The pid and URL of the running, healthy developer instance of `service`.
fn running(service: Service) -> Option<(u32, String)> {
    let files = files(service);
    let pid: u32 = std::fs::read_to_string(&files.pid)
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let url = std::fs::read_to_string(&files.url).ok()?.trim().to_owned();
    (is_ours(pid, service.process_word()) && healthy(service, port_of(&url)?)).then_some((pid, url))
}

/// Starts the developer instance of `service` (or reuses a healthy one); its URL.
fn start_detached(service: Service, timeout: Duration) -> Result<String, Fail> {
    let files = files(service);
    if let Some((pid, url)) = running(service) {
        util::log(&format!(
            "{} already running (pid {pid}) at {url}",
            service.name()
        ));
        return Ok(url);
    }
    let stale = std::fs::read_to_string(&files.pid).ok();
    let stale = stale.and_then(|p| p.trim().parse().ok());
    if let Some(pid) = stale.filter(|pid| is_ours(*pid, service.process_word())) {
        util::log(&format!(
            "{} pid {pid} is not healthy: restarting",
            service.name()
        ));
        stop_pid(pid);
    }
    let _ = std::fs::remove_file(&files.pid);
    let _ = std::fs::remove_file(&files.url);
    install(service)?;
    let state = service.dir();
    prepare_state(service, &state)?;
    std::fs::write(&files.log, "").map_err(ctx(&files.log.display().to_string()))?;
    let started = Instant::now();
    // A port can be taken between choosing and binding it: three attempts.
    for attempt in 1..=3 {
        let port = free_port()?;
        let pid = Launch::new(service, port, &state).spawn_detached(&files.log)?;
        std::fs::write(&files.pid, format!("{pid}\n")).map_err(ctx("pid file"))?;
        util::log(&format!(
            "{} started, pid {pid}, on {} (attempt {attempt}); waiting at most {timeout:?}",
            service.name(),
            service.url(port)
        ));
        match wait_ready(service, pid, port, timeout) {
            Ok(()) => {
                let url = service.url(port);
                std::fs::write(&files.url, format!("{url}\n")).map_err(ctx("url file"))?;
                util::log(&format!(
                    "{} up in {} s (log: {})",
                    service.name(),
                    started.elapsed().as_secs(),
                    files.log.display()
                ));
                return Ok(url);
            }
            Err(Wait::Exited) => {
                util::log(&format!("{} exited early", service.name()));
                show_log(&files.log, 20);
                let _ = std::fs::remove_file(&files.pid);
            }
            Err(Wait::Failed(why)) => {
                stop_pid(pid);
                let _ = std::fs::remove_file(&files.pid);
                show_log(&files.log, 20);
                return Err(Fail(why));
            }
        }
    }
    Err(Fail(format!(
        "{} did not start (3 attempts); see {}",
        service.name(),
        files.log.display()
    )))
}

/// Stops the developer instance of `service`, if it runs.
fn stop_detached(service: Service) {
    let files = files(service);
    let pid = std::fs::read_to_string(&files.pid)
        .ok()
        .and_then(|p| p.trim().parse().ok());
    match pid {
        Some(pid) if is_ours(pid, service.process_word()) => {
            stop_pid(pid);
            util::log(&format!("{}: stopped pid {pid}", service.name()));
        }
        _ => util::log(&format!("{}: not running", service.name())),
    }
    let _ = std::fs::remove_file(&files.pid);
    let _ = std::fs::remove_file(&files.url);
}

// ---------------------------------------------------------------------------------------------
// Instances private to one run.

/// Services started for one run (`cargo xtask test`): stopped, and their directories removed,
/// when this is dropped.
#[derive(Debug)]
pub(crate) struct Owned {
    running: Vec<(Service, String, Guard, PathBuf)>,
}

impl Owned {
    /// Installs what is missing and starts every service, each on a free loopback port with a
    /// fresh state.
    pub(crate) fn start(timeout: Duration) -> Result<Self, Fail> {
        let mut owned = Self {
            running: Vec::new(),
        };
        for service in Service::ALL {
            install(service)?;
            let (guard, url, dir) = start_owned(service, timeout)?;
            owned.running.push((service, url, guard, dir));
        }
        Ok(owned)
    }

    /// `(variable, URL)` of each service.
    pub(crate) fn vars(&self) -> Vec<(&'static str, String)> {
        self.running
            .iter()
            .map(|(service, url, _, _)| (service.var(), url.clone()))
            .collect()
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        for (service, _, mut guard, dir) in self.running.drain(..).rev() {
            guard.stop();
            util::log(&format!("{} stopped", service.name()));
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Removes the `run-PID` directories of runs that ended without cleaning up (a Ctrl-C or a
/// kill stops the services through their guards, but leaves the directory).
fn remove_stale_runs(service: Service) {
    let Ok(entries) = std::fs::read_dir(service.dir()) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let pid = name
            .to_str()
            .and_then(|n| n.strip_prefix("run-")?.parse().ok());
        if pid.is_some_and(|pid| !alive(pid)) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Starts a private instance of `service` (installed) under its guard.
fn start_owned(service: Service, timeout: Duration) -> Result<(Guard, String, PathBuf), Fail> {
    remove_stale_runs(service);
    let dir = service.dir().join(format!("run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    prepare_state(service, &dir)?;
    let log = dir.join(format!("{}.log", service.name()));
    for attempt in 1..=3 {
        let port = free_port()?;
        let mut guard = Launch::new(service, port, &dir).spawn_guarded(&log, &dir.join("pid"))?;
        let pid = guard.pid.unwrap_or(0);
        match wait_ready(service, pid, port, timeout) {
            Ok(()) => {
                let url = service.url(port);
                util::log(&format!(
                    "{} pid {pid} at {url} (attempt {attempt})",
                    service.name()
                ));
                return Ok((guard, url, dir));
            }
            Err(Wait::Exited) => {
                guard.stop();
                util::log(&format!("{} exited early", service.name()));
                show_log(&log, 20);
            }
            Err(Wait::Failed(why)) => {
                guard.stop();
                show_log(&log, 20);
                let _ = std::fs::remove_dir_all(&dir);
                return Err(Fail(why));
            }
        }
    }
    show_log(&log, 20);
    let _ = std::fs::remove_dir_all(&dir);
    Err(Fail(format!(
        "{} did not start (3 attempts)",
        service.name()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_loopback_ports_nobody_holds() -> Result<(), Fail> {
        // Whether a port just freed is still free is up to the other processes of the machine
        // (tests binding port 0 run in parallel), so only what the picker decides is checked: a
        // real port, never one a listener holds.
        let held = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(ctx("bind"))?;
        let held = held.local_addr().map_err(ctx("local address"))?.port();
        for _ in 0..5 {
            let port = free_port()?;
            assert_ne!(port, 0);
            assert_ne!(port, held);
        }
        Ok(())
    }

    #[test]
    fn urls_and_their_ports() {
        assert_eq!(Service::Redis.url(6390), "redis://127.0.0.1:6390");
        assert_eq!(Service::CognitoLocal.url(9229), "http://127.0.0.1:9229");
        assert_eq!(port_of("http://127.0.0.1:9229\n"), Some(9229));
        assert_eq!(port_of("redis://127.0.0.1:6390"), Some(6390));
        assert_eq!(port_of("redis://127.0.0.1"), None);
    }

    #[test]
    fn liveness_of_pids() -> Result<(), Fail> {
        assert!(alive(std::process::id()));
        let mut child = Command::new("true").spawn().map_err(ctx("true"))?;
        let pid = child.id();
        child.wait().map_err(ctx("wait"))?;
        assert!(!alive(pid), "a reaped child is not alive");
        // Our own process is not a `redis-server`.
        assert!(!is_ours(std::process::id(), "redis-server"));
        Ok(())
    }

    #[test]
    fn the_emulator_state() -> Result<(), Fail> {
        let dir = std::env::temp_dir().join(format!("xtask-services-{}", std::process::id()));
        prepare_state(Service::CognitoLocal, &dir)?;
        let pool = std::fs::read_to_string(dir.join(format!(".cognito/db/{POOL_ID}.json")));
        let config = std::fs::read_to_string(dir.join(".cognito/config.json"));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(pool.map_err(ctx("pool"))?, "{}\n");
        let config: serde_json::Value =
            serde_json::from_str(&config.map_err(ctx("config"))?).map_err(ctx("json"))?;
        assert_eq!(
            config.pointer("/TokenConfig/IssuerDomain"),
            Some(&serde_json::json!(ISSUER_DOMAIN))
        );
        Ok(())
    }

    #[test]
    fn the_guard_stops_its_service_when_dropped() -> Result<(), Fail> {
        let dir = std::env::temp_dir().join(format!("xtask-guard-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(ctx("mkdir"))?;
        let launch = Launch {
            program: "sleep".into(),
            args: vec!["60".into()],
            envs: Vec::new(),
            cwd: dir.clone(),
        };
        let guard = launch.spawn_guarded(&dir.join("log"), &dir.join("pid"))?;
        let pid = guard.pid.ok_or_else(|| Fail("no pid".into()))?;
        // The pid is written right after the fork: while the child execs, its
        // /proc cmdline can read empty for a moment (CI saw it once).
        let started = (0..250).any(|_| {
            is_ours(pid, "sleep") || {
                std::thread::sleep(Duration::from_millis(20));
                false
            }
        });
        assert!(started, "the guarded service is not running");
        drop(guard);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(!alive(pid), "the service outlived its guard");
        Ok(())
    }
}
