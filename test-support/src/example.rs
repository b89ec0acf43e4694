//! Building an example with cargo, as `cargo run --example NAME` would.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::process::Command;

/// Limit of one build (cold on a fresh CI machine).
const BUILD_TIMEOUT: Duration = Duration::from_secs(900);

/// `cargo build --example name` of the package in `manifest_dir` (the caller's
/// `env!("CARGO_MANIFEST_DIR")`) with these extra arguments (features), bounded in time; the path
/// of the example's executable, from cargo's own JSON report.
pub async fn build_example(manifest_dir: impl AsRef<Path>, name: &str, args: &[&str]) -> PathBuf {
    let manifest = manifest_dir.as_ref().join("Cargo.toml");
    let build = Command::new(env!("CARGO"))
        .args(["build", "--example", name])
        .args(args)
        .arg("--message-format=json")
        .arg("--manifest-path")
        .arg(&manifest)
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
        .find_map(|msg| example_executable(&msg, name))
        .expect("cargo reports the example's executable")
}

/// The executable of example `name` if `msg` is cargo's `compiler-artifact` message for it.
fn example_executable(msg: &Value, name: &str) -> Option<PathBuf> {
    let is_example = msg.get("reason")? == "compiler-artifact"
        && msg.pointer("/target/name")? == name
        && msg
            .pointer("/target/kind")?
            .as_array()?
            .iter()
            .any(|k| k == "example");
    is_example
        .then(|| msg.get("executable")?.as_str().map(PathBuf::from))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_artifact_only() {
        let msg = |reason: &str, name: &str, kind: &str| {
            serde_json::json!({
                "reason": reason,
                "target": {"name": name, "kind": [kind]},
                "executable": "/t/debug/examples/quickstart",
            })
        };
        let exe = Some(PathBuf::from("/t/debug/examples/quickstart"));
        assert_eq!(
            example_executable(
                &msg("compiler-artifact", "quickstart", "example"),
                "quickstart"
            ),
            exe
        );
        for other in [
            msg("build-finished", "quickstart", "example"),
            msg("compiler-artifact", "hyper", "example"),
            msg("compiler-artifact", "quickstart", "bin"),
            serde_json::json!({"reason": "compiler-artifact", "target": {"name": "quickstart", "kind": ["example"]}, "executable": null}),
        ] {
            assert_eq!(example_executable(&other, "quickstart"), None, "{other}");
        }
    }
}
