//! Running a binary as a child process with a clean environment, up to its
//! `listening on http://ADDR` line.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// Limit of a child's start-up until it prints `listening on`, and of a run to its end.
const TIMEOUT: Duration = Duration::from_secs(60);
/// The programs print fewer lines than this before `listening on`.
const MAX_BANNER_LINES: usize = 50;
/// The line that ends a banner, followed by the address.
const LISTENING: &str = "listening on http://";

/// The command running `bin` with none of `vars` (the variables it reads) set, its stdin closed,
/// killed when dropped.
pub fn command(bin: &Path, vars: &[&str]) -> Command {
    let mut cmd = Command::new(bin);
    for var in vars {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null()).kill_on_drop(true);
    cmd
}

/// The value of the first of `lines` starting with `prefix`.
pub fn line_value<'a>(lines: &'a [String], prefix: &str) -> Option<&'a str> {
    lines.iter().find_map(|l| l.strip_prefix(prefix))
}

/// A program running as a child process, after its banner; killed when dropped.
#[derive(Debug)]
pub struct Running {
    /// The child process.
    pub child: Child,
    /// The banner, `listening on` last.
    pub lines: Vec<String>,
    /// The address of that line.
    pub addr: SocketAddr,
    /// The rest of its stdout, kept open so that the child can still print.
    _stdout: Lines<BufReader<ChildStdout>>,
}

/// Spawns `cmd` with `BIND_ADDR` set to a free loopback port and reads its banner up to
/// `listening on http://ADDR`, bounded in lines and in time. If that line does not come, kills
/// the child and panics with what it printed.
pub async fn start(mut cmd: Command) -> Running {
    let program = cmd.as_std().get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .env("BIND_ADDR", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let banner = tokio::time::timeout(TIMEOUT, async {
        let mut lines = Vec::new();
        while lines.len() < MAX_BANNER_LINES {
            let Some(line) = stdout.next_line().await.unwrap() else {
                break; // the child exited
            };
            let done = line.starts_with(LISTENING);
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
        panic!("{program} printed no `listening on` line in time");
    };
    let Some(addr) = line_value(&lines, LISTENING) else {
        child.kill().await.unwrap();
        let out = child.wait_with_output().await.unwrap();
        panic!(
            "{program}: no `listening on` line in {lines:#?}; stderr: {}",
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

/// Runs `cmd` to its end with its stdout and stderr captured, bounded in time (past the limit,
/// a command from [`command`] kills the child).
pub async fn output(mut cmd: Command) -> Output {
    let program = cmd.as_std().get_program().to_string_lossy().into_owned();
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    tokio::time::timeout(TIMEOUT, cmd.output())
        .await
        .unwrap_or_else(|_| panic!("{program} did not end within {TIMEOUT:?}"))
        .unwrap_or_else(|e| panic!("{program} does not run: {e}"))
}

/// Runs `cmd` with `vars` to its end and checks that it failed cleanly: exit code 1, one line on
/// stderr starting with `{name}: error: ` and containing `needle`, no `listening on`.
pub async fn fails_cleanly(mut cmd: Command, name: &str, vars: &[(&str, &str)], needle: &str) {
    cmd.envs(vars.iter().copied());
    let out = output(cmd).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{vars:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{vars:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with(&format!("{name}: error: ")), "{stderr}");
    assert!(stderr.contains(needle), "{vars:?}: {stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening on"));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `sh -c script` through [`command`], without `CARGO_MANIFEST_DIR` (which cargo sets for
    /// this test).
    fn sh(script: &str) -> Command {
        let mut cmd = command(Path::new("sh"), &["CARGO_MANIFEST_DIR"]);
        cmd.args(["-c", script]);
        cmd
    }

    #[tokio::test]
    async fn reads_the_banner_up_to_the_address() {
        let script = r#"echo "bind $BIND_ADDR"; echo "dir ${CARGO_MANIFEST_DIR-unset}"
            echo "listening on http://127.0.0.1:9"; echo after; exec sleep 60"#;
        let mut running = start(sh(script)).await;
        assert_eq!(
            running.lines,
            [
                "bind 127.0.0.1:0",
                "dir unset",
                "listening on http://127.0.0.1:9"
            ]
        );
        assert_eq!(running.addr, SocketAddr::from(([127, 0, 0, 1], 9)));
        assert_eq!(line_value(&running.lines, "dir "), Some("unset"));
        assert_eq!(line_value(&running.lines, "port "), None);
        assert!(running.child.try_wait().unwrap().is_none(), "still running");
    }

    #[tokio::test]
    #[should_panic(expected = "no `listening on` line")]
    async fn a_child_that_exits_before_listening_fails_the_test() {
        start(sh("echo starting; echo oops >&2; exit 3")).await;
    }

    #[tokio::test]
    async fn runs_to_the_end_with_both_outputs() {
        let out = output(sh("echo out; echo err >&2; exit 4")).await;
        assert_eq!(out.status.code(), Some(4));
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
    }

    #[tokio::test]
    #[should_panic(expected = "does not run")]
    async fn a_missing_program_fails_the_test() {
        output(command(Path::new("/nonexistent/program"), &[])).await;
    }

    #[tokio::test]
    async fn a_clean_refusal() {
        let script = r#"echo "prog: error: $BAD_VAR is not a number" >&2; exit 1"#;
        fails_cleanly(sh(script), "prog", &[("BAD_VAR", "x")], "x is not a number").await;
    }

    #[tokio::test]
    #[should_panic(expected = "one line")]
    async fn a_refusal_on_two_lines_fails_the_test() {
        let script = "echo 'prog: error: bad' >&2; echo more >&2; exit 1";
        fails_cleanly(sh(script), "prog", &[], "bad").await;
    }
}
