//! The bench server (`benches/src/server.rs`, binary `bench_server`) as a child process on loopback, and plain
//! HTTP/1.1 requests to it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::util::{self, Fail, ctx};

/// Variables the bench server reads that must not leak in from the caller's environment.
const CLEARED: [&str; 9] = [
    "BIND_ADDR",
    "COGNITO_USER_POOL_ID",
    "COGNITO_CLIENT_ID",
    "COGNITO_REGION",
    "COGNITO_TOKEN_USE",
    "COGNITO_JWKS_URL",
    "BENCH_TOKENS_FILE",
    "BENCH_UNKNOWN_KID_FILE",
    "BENCH_TOKEN_COUNT",
];

/// The running bench server (offline mode); stopped on drop.
#[derive(Debug)]
pub(crate) struct Server {
    child: Child,
    /// Its address on 127.0.0.1.
    pub(crate) addr: SocketAddr,
    /// The access token it printed.
    pub(crate) access: String,
}

impl Server {
    /// Starts `bin` (under `wrap`, e.g. valgrind, when given) on a free loopback port with the
    /// variables `vars`, and waits at most `timeout` for its `listening on` line.
    pub(crate) fn start(
        bin: &Path,
        wrap: &[String],
        vars: &[(&str, String)],
        timeout: Duration,
    ) -> Result<Self, Fail> {
        let mut cmd = match wrap.split_first() {
            Some((program, args)) => {
                let mut cmd = util::cmd(program);
                cmd.args(args).arg(bin);
                cmd
            }
            None => util::cmd(bin),
        };
        for var in CLEARED {
            cmd.env_remove(var);
        }
        cmd.env("BIND_ADDR", "127.0.0.1:0")
            .envs(vars.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().map_err(ctx("cannot start the bench server"))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            return Err(Fail("no stdout of the bench server".into()));
        };
        // The banner is read on a thread so that the wait is bounded; the thread then drains the
        // rest of stdout until the server exits.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            access: String::new(),
        };
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).map_err(|_| {
                Fail(format!(
                    "the bench server printed no `listening on` line in {timeout:?}"
                ))
            })?;
            if let Some(token) = line.strip_prefix("access token: ") {
                server.access = token.to_owned();
            }
            if let Some(addr) = line.strip_prefix("listening on http://") {
                server.addr = addr.parse().map_err(ctx("the `listening on` line"))?;
                break;
            }
        }
        if !server.addr.ip().is_loopback() || server.access.is_empty() {
            return Err(Fail(
                "the bench server is not in offline mode on loopback".into(),
            ));
        }
        // Keep the drain going (the server prints nothing more, but must not block on a pipe).
        std::thread::spawn(move || rx.into_iter().for_each(drop));
        util::log(&format!(
            "bench server pid {} at http://{}",
            server.child.id(),
            server.addr
        ));
        Ok(server)
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `GET path` (with a bearer token when given): the status and the body.
    pub(crate) fn get(&self, path: &str, token: Option<&str>) -> Result<(u16, String), Fail> {
        get(self.addr, path, token)
    }

    /// The status of `GET path`.
    pub(crate) fn status_of(&self, path: &str, token: Option<&str>) -> Result<u16, Fail> {
        Ok(self.get(path, token)?.0)
    }

    /// `GET /debug/stats`, parsed.
    pub(crate) fn stats(&self) -> Result<serde_json::Value, Fail> {
        let (status, body) = self.get("/debug/stats", None)?;
        if status != 200 {
            return Err(Fail(format!("/debug/stats answered {status}")));
        }
        serde_json::from_str(&body).map_err(ctx("/debug/stats"))
    }

    /// The JWKS fetches the embedded issuer answered so far.
    pub(crate) fn jwks_fetches(&self) -> Result<u64, Fail> {
        self.stats()?
            .get("jwks_fetches")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| Fail("no jwks_fetches in /debug/stats".into()))
    }

    /// The server's CPU time so far, in clock ticks (user + system, `/proc/PID/stat`).
    pub(crate) fn cpu_ticks(&self) -> Result<u64, Fail> {
        proc_stat_sum(&format!("/proc/{}/stat", self.pid()), &[14, 15])
    }

    /// Ctrl-C, at most 10 s to exit, then SIGKILL.
    pub(crate) fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = util::cmd("kill")
                .args(["-INT", &self.pid().to_string()])
                .status();
            if let Ok(None) = util::wait_bounded(&mut self.child, Duration::from_secs(10)) {
                util::log("the bench server did not stop on Ctrl-C: killed");
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The sum of the `fields` (numbered from 1 as in `man 5 proc`) of a `stat` file.
pub(crate) fn proc_stat_sum(path: &str, numbers: &[usize]) -> Result<u64, Fail> {
    let stat = std::fs::read_to_string(path).map_err(ctx(path))?;
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Field 3 is the first after the name.
    numbers
        .iter()
        .map(|&n| {
            n.checked_sub(3)
                .and_then(|i| fields.get(i))
                .and_then(|f| f.parse::<u64>().ok())
                .ok_or_else(|| Fail(format!("{path}: no field {n}")))
        })
        .sum()
}

/// `GET path` on `addr` over a fresh connection (HTTP/1.1, `Connection: close`), bounded in time.
pub(crate) fn get(
    addr: SocketAddr,
    path: &str,
    token: Option<&str>,
) -> Result<(u16, String), Fail> {
    let limit = Duration::from_secs(5);
    let mut stream = TcpStream::connect_timeout(&addr, limit).map_err(ctx("connect"))?;
    stream
        .set_read_timeout(Some(limit))
        .map_err(ctx("socket"))?;
    stream
        .set_write_timeout(Some(limit))
        .map_err(ctx("socket"))?;
    let auth = token.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(ctx("send"))?;
    let mut response = String::new();
    stream
        .take(1 << 20)
        .read_to_string(&mut response)
        .map_err(ctx("receive"))?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Fail(format!("no HTTP status from GET {path}")))?;
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    Ok((status, body))
}
