//! Processes, tools and paths shared by the commands.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A failed step: a one-line message.
#[derive(Debug)]
pub(crate) struct Fail(pub(crate) String);

/// Turns any displayable error into a [`Fail`] with `context`.
pub(crate) fn ctx<E: std::fmt::Display>(context: &str) -> impl FnOnce(E) -> Fail + '_ {
    move |e| Fail(format!("{context}: {e}"))
}

/// The repository root (the parent of `xtask/`).
pub(crate) fn root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

/// A progress line on stderr (stdout carries the tables).
pub(crate) fn log(line: &str) {
    eprintln!("xtask: {line}");
}

/// A command run from the repository root.
pub(crate) fn cmd(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(root()).stdin(Stdio::null());
    cmd
}

/// Runs `cmd` to its end (its output inherited); fails on a non-zero exit.
pub(crate) fn status(cmd: &mut Command) -> Result<(), Fail> {
    let what = format!("{cmd:?}");
    let status = cmd.status().map_err(ctx(&what))?;
    if status.success() {
        Ok(())
    } else {
        Err(Fail(format!("{what} failed ({status})")))
    }
}

/// Runs `cmd` to its end and returns its stdout; fails on a non-zero exit.
pub(crate) fn output(cmd: &mut Command) -> Result<String, Fail> {
    let what = format!("{cmd:?}");
    let out = cmd.stderr(Stdio::inherit()).output().map_err(ctx(&what))?;
    if !out.status.success() {
        return Err(Fail(format!("{what} failed ({})", out.status)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether `tool` is on PATH.
pub(crate) fn has_tool(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
}

/// Fails naming the first of `tools` missing from PATH.
pub(crate) fn require_tools(tools: &[&str]) -> Result<(), Fail> {
    match tools.iter().find(|t| !has_tool(t)) {
        Some(tool) => Err(Fail(format!("{tool} is required"))),
        None => Ok(()),
    }
}

/// Installs the Debian packages of the missing `tools` (`(tool, package)` pairs) with apt-get, as
/// root or through sudo, or fails naming them.
pub(crate) fn ensure_apt_tools(tools: &[(&str, &str)]) -> Result<(), Fail> {
    let missing: Vec<&str> = tools
        .iter()
        .filter(|(tool, _)| !has_tool(tool))
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    apt_install(&missing)?;
    let tools: Vec<&str> = tools.iter().map(|(tool, _)| *tool).collect();
    require_tools(&tools)
}

/// Whether this process runs as root.
fn is_root() -> bool {
    output(cmd("id").arg("-u")).is_ok_and(|uid| uid.trim() == "0")
}

/// Installs Debian `packages` with apt-get, as root or through sudo; a clear error otherwise.
pub(crate) fn apt_install(packages: &[&str]) -> Result<(), Fail> {
    let list = packages.join(" ");
    if !has_tool("apt-get") {
        return Err(Fail(format!(
            "{list} missing and no apt-get here: install it with the system's package manager \
             and run again"
        )));
    }
    let sudo = if is_root() {
        false
    } else if has_tool("sudo") {
        true
    } else {
        return Err(Fail(format!(
            "{list} missing: apt-get needs root and there is no sudo; install the Debian \
             package(s) `{list}` as root and run again"
        )));
    };
    log(&format!("installing {list} with apt-get"));
    let apt = |args: &[&str]| {
        let mut apt_get = if sudo {
            let mut sudo = cmd("sudo");
            sudo.args(["DEBIAN_FRONTEND=noninteractive", "apt-get"]);
            sudo
        } else {
            let mut apt_get = cmd("apt-get");
            apt_get.env("DEBIAN_FRONTEND", "noninteractive");
            apt_get
        };
        status(apt_get.args(args))
    };
    apt(&["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq"];
    install.extend(packages);
    apt(&install)
}

/// `cargo build --release --example NAME --features test-util`; the executable's path.
pub(crate) fn build_example(name: &str) -> Result<PathBuf, Fail> {
    log(&format!("building examples/{name}.rs (release)"));
    status(cmd("cargo").args([
        "build",
        "--release",
        "--example",
        name,
        "--features",
        "test-util",
    ]))?;
    let bin = root().join("target/release/examples").join(name);
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(Fail(format!("no executable at {}", bin.display())))
    }
}

/// Waits for `child` at most `limit`; kills it and returns `None` past that.
pub(crate) fn wait_bounded(child: &mut Child, limit: Duration) -> Result<Option<ExitStatus>, Fail> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().map_err(ctx("wait"))? {
            return Ok(Some(status));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    Ok(None)
}

/// The 1, 5 and 15 minute load averages, or `?`.
pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "?".to_owned(),
        |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

/// FNV-1a of `bytes`: a change stamp, not a security check.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
