//! `cargo xtask deny`: the supply-chain checks of `deny.toml` with cargo-deny, over every crate
//! of the workspace.
//!
//! - installs cargo-deny when missing; a failed install fails the command (it never hides a
//!   check);
//! - licenses, bans (one crypto backend: no ring, rsa or openssl) and sources must pass;
//! - advisories need the RustSec database from GitHub: when that fetch fails (no network), the
//!   command says so loudly ("ADVISORIES NOT CHECKED") and passes; any advisory found fails it.

use std::process::Stdio;

use crate::util::{self, Fail, ctx};

/// The cargo-deny installed when `cargo deny` is missing.
const CARGO_DENY_VERSION: &str = "0.20.2";

/// What cargo-deny prints when it cannot fetch the advisory database.
const NO_DATABASE: &str = "failed to fetch advisory database";

/// `cargo deny --workspace check WHICH...`: every member is a root of the checked graph (for a
/// root package cargo-deny would otherwise check that package's graph only).
fn cargo_deny(which: &[&str]) -> std::process::Command {
    let mut cmd = util::cmd("cargo");
    cmd.args(["deny", "--workspace", "check"]).args(which);
    cmd
}

/// `cargo xtask deny`.
pub(crate) fn run() -> Result<(), Fail> {
    let runs = || {
        util::cmd("cargo")
            .args(["deny", "--version"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !runs() {
        util::log(&format!("installing cargo-deny {CARGO_DENY_VERSION}"));
        util::status(
            util::cmd("cargo")
                .args(["install", "cargo-deny", "--locked", "--version"])
                .arg(CARGO_DENY_VERSION),
        )?;
    }
    util::status(util::cmd("cargo").args(["deny", "--version"]))?;
    util::status(&mut cargo_deny(&["licenses", "bans", "sources"]))?;

    let out = cargo_deny(&["advisories"])
        .output()
        .map_err(ctx("cargo deny check advisories"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match advisories(out.status.success(), &text) {
        Advisories::Ok => {
            print!("{text}");
            println!("advisories ok");
            Ok(())
        }
        Advisories::NotChecked => {
            let lines: Vec<&str> = text.lines().collect();
            for line in lines.iter().skip(lines.len().saturating_sub(3)) {
                eprintln!("{line}");
            }
            eprintln!(
                "ADVISORIES NOT CHECKED: the RustSec advisory database could not be fetched (no \
                 network)."
            );
            Ok(())
        }
        Advisories::Failed => {
            eprint!("{text}");
            Err(Fail("cargo deny check advisories failed".into()))
        }
    }
}

/// What the advisories check said.
#[derive(Debug, PartialEq, Eq)]
enum Advisories {
    Ok,
    /// The database could not be fetched: nothing was checked.
    NotChecked,
    Failed,
}

fn advisories(success: bool, output: &str) -> Advisories {
    if success {
        Advisories::Ok
    } else if output.contains(NO_DATABASE) {
        Advisories::NotChecked
    } else {
        Advisories::Failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_failed_fetch_passes_unchecked() {
        assert_eq!(advisories(true, "advisories ok"), Advisories::Ok);
        assert_eq!(
            advisories(
                false,
                "error[fetch]: failed to fetch advisory database: could not resolve host"
            ),
            Advisories::NotChecked
        );
        assert_eq!(
            advisories(false, "error[vulnerability]: RUSTSEC-2024-0001"),
            Advisories::Failed
        );
    }
}
