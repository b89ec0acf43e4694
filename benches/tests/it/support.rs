//! Runs a binary of this package as a child process with a clean environment, and reads its
//! banner up to `listening on http://ADDR` (a copy of what the root crate's tests use for its
//! examples).

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// Limit of the start-up, until it prints `listening on`.
pub(crate) const START_TIMEOUT: Duration = Duration::from_secs(60);
/// The servers print fewer lines than this before `listening on`.
const MAX_BANNER_LINES: usize = 50;

/// Every variable the bench server reads (`tower_cognito::env`'s, and its own).
const VARS: [&str; 9] = [
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

/// The first line of the offline banner (`tower_cognito::test_util::OfflineIssuer::banner`).
pub(crate) const OFFLINE_LINE: &str =
    "offline mode: no COGNITO_USER_POOL_ID, tokens from an embedded issuer";

/// The binary's command with none of the variables it reads set.
pub(crate) fn command(bin: &Path) -> Command {
    let mut cmd = Command::new(bin);
    for var in VARS {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null()).kill_on_drop(true);
    cmd
}

/// The binary running as a child process, after its banner.
pub(crate) struct Running {
    pub(crate) child: Child,
    /// The banner, `listening on` last.
    pub(crate) lines: Vec<String>,
    /// The address of that line.
    pub(crate) addr: SocketAddr,
    /// The rest of its stdout, kept open so that the child can still print.
    _stdout: Lines<BufReader<ChildStdout>>,
}

/// Spawns `cmd` with `BIND_ADDR` set to a free loopback port and reads its banner up to
/// `listening on`, bounded in lines and in time. If that line does not come, kills the child and
/// panics with what it printed.
pub(crate) async fn start(mut cmd: Command) -> Running {
    let mut child = cmd
        .env("BIND_ADDR", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let banner = tokio::time::timeout(START_TIMEOUT, async {
        let mut lines = Vec::new();
        while lines.len() < MAX_BANNER_LINES {
            let Some(line) = stdout.next_line().await.unwrap() else {
                break; // the child exited
            };
            let done = line.starts_with("listening on http://");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    })
    .await;
    let Ok(lines) = banner else {
        child.kill().await.unwrap();
        panic!("the server printed no `listening on` line in time");
    };
    let Some(addr) = lines
        .iter()
        .find_map(|l| l.strip_prefix("listening on http://"))
    else {
        child.kill().await.unwrap();
        let out = child.wait_with_output().await.unwrap();
        panic!(
            "no `listening on` line in {lines:#?}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let addr = addr.parse().unwrap();
    Running {
        child,
        lines,
        addr,
        _stdout: stdout,
    }
}

/// Runs `cmd` with `vars` to its end and checks that it failed cleanly: exit code 1, one line on
/// stderr starting with `{name}: error: ` and containing `needle`, no `listening on`.
pub(crate) async fn fails_cleanly(
    mut cmd: Command,
    name: &str,
    vars: &[(&str, &str)],
    needle: &str,
) {
    cmd.envs(vars.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = tokio::time::timeout(START_TIMEOUT, cmd.output())
        .await
        .expect("the binary exits in time")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{vars:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{vars:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with(&format!("{name}: error: ")), "{stderr}");
    assert!(stderr.contains(needle), "{vars:?}: {stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening on"));
}
