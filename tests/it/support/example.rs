//! Builds an example of this crate with cargo, as `cargo run --example NAME` would, and returns
//! its executable: shared by the modules that run an example as a child process.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::process::Command;

/// Limit of the one build (cold on a fresh CI machine).
const BUILD_TIMEOUT: Duration = Duration::from_secs(900);

/// `cargo build --example name` with these extra arguments (features), bounded in time; the path
/// of the example's executable, from cargo's own JSON report.
pub(crate) async fn build_example(name: &str, args: &[&str]) -> PathBuf {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let build = Command::new(env!("CARGO"))
        .args(["build", "--example", name])
        .args(args)
        .args(["--message-format=json", "--manifest-path", manifest])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(BUILD_TIMEOUT, build)
        .await
        .expect("the example builds in time")
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo build --example {name} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|msg| {
            msg["reason"] == "compiler-artifact"
                && msg["target"]["name"] == name
                && msg["target"]["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "example"))
        })
        .and_then(|msg| msg["executable"].as_str().map(PathBuf::from))
        .expect("cargo reports the example's executable")
}
