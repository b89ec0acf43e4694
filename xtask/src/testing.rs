//! `cargo xtask test`: every test of the workspace, the service-backed ones included.
//!
//! Starts a private `redis-server` and cognito-local on free loopback ports (installing them when
//! missing, see [`crate::services`]), exports `REDIS_URL` and `COGNITO_LOCAL_URL`, runs
//! `cargo test --workspace --all-features ARGS -- --include-ignored TEST_ARGS`, and stops both
//! services however the run ends. The tests that need a service are
//! `#[ignore = "needs ...: run cargo xtask test"]`, so plain `cargo test` lists them as ignored.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::Duration;

use clap::Parser;

use crate::services::Owned;
use crate::util::{self, Fail, ctx};

/// Settings of `cargo xtask test`.
#[derive(Debug, Parser)]
pub(crate) struct Args {
    /// Arguments for `cargo test`: a test-name filter, `--test it`, `-p NAME`, `--features ...`
    /// (then instead of `--all-features`), `--release`...; after `--`, arguments for the test
    /// binaries (`--nocapture`, `--exact`...).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    args: Vec<String>,
}

/// The arguments of `cargo` for `user` (what followed `cargo xtask test`).
fn cargo_test_args(user: &[String]) -> Vec<String> {
    let (cargo, harness) = match user.iter().position(|a| a == "--") {
        Some(at) => (
            user.get(..at).unwrap_or_default(),
            user.get(at + 1..).unwrap_or_default(),
        ),
        None => (user, &[][..]),
    };
    let names_package = cargo.iter().any(|a| {
        a == "-p"
            || a.starts_with("--package")
            || a.starts_with("--manifest-path")
            || (a.starts_with("-p") && !a.starts_with("--"))
    });
    let picks_features = cargo.iter().any(|a| {
        a.starts_with("--features")
            || a.starts_with("-F")
            || a == "--all-features"
            || a == "--no-default-features"
    });
    let mut args = vec!["test".to_owned()];
    if !names_package {
        args.push("--workspace".into());
    }
    if !picks_features {
        args.push("--all-features".into());
    }
    args.extend(cargo.iter().cloned());
    args.push("--".into());
    if !harness
        .iter()
        .any(|a| a == "--include-ignored" || a == "--ignored")
    {
        args.push("--include-ignored".into());
    }
    args.extend(harness.iter().cloned());
    args
}

/// The sums of the `test result:` lines of a run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) binaries: u64,
    pub(crate) passed: u64,
    pub(crate) failed: u64,
    pub(crate) ignored: u64,
    pub(crate) filtered: u64,
}

impl Totals {
    /// Adds a libtest summary line (`test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured;
    /// 2 filtered out; finished in 0.01s`); other lines change nothing.
    pub(crate) fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim_start().strip_prefix("test result: ") else {
            return;
        };
        self.binaries += 1;
        for part in rest.split(';') {
            // "ok. 3 passed", " 2 filtered out": a count, then its name.
            let words: Vec<&str> = part.split_whitespace().collect();
            let counted = words.windows(2).find_map(|pair| match pair {
                [n, what] => Some((n.parse::<u64>().ok()?, *what)),
                _ => None,
            });
            match counted {
                Some((n, "passed")) => self.passed += n,
                Some((n, "failed")) => self.failed += n,
                Some((n, "ignored")) => self.ignored += n,
                Some((n, "filtered")) => self.filtered += n,
                _ => {}
            }
        }
    }
}

impl std::fmt::Display for Totals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} test binaries: {} passed, {} failed, {} ignored, {} filtered out",
            self.binaries, self.passed, self.failed, self.ignored, self.filtered
        )
    }
}

/// Runs `cargo ARGS` with `vars`, its stdout echoed and its summaries added up.
pub(crate) fn run_cargo_test(
    args: &[String],
    vars: &[(&'static str, String)],
) -> Result<Totals, Fail> {
    util::log(&format!("cargo {}", args.join(" ")));
    let mut child = util::cmd("cargo")
        .args(args)
        .envs(vars.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .spawn()
        .map_err(ctx("cargo test"))?;
    let mut totals = Totals::default();
    if let Some(out) = child.stdout.take() {
        let stdout = std::io::stdout();
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            totals.add_line(&line);
            let mut lock = stdout.lock();
            let _ = writeln!(lock, "{line}");
        }
    }
    let status = child.wait().map_err(ctx("cargo test"))?;
    util::log(&totals.to_string());
    if status.success() {
        Ok(totals)
    } else {
        Err(Fail(format!("cargo {} failed ({status})", args.join(" "))))
    }
}

/// The words after the `test` command in `argv` (clap drops a leading `--`, which here separates
/// the cargo arguments from the test binaries' ones).
fn words_after_test(argv: impl IntoIterator<Item = String>) -> Option<Vec<String>> {
    let mut argv = argv.into_iter().skip(1);
    argv.by_ref().find(|a| a == "test")?;
    Some(argv.collect())
}

/// `cargo xtask test`.
pub(crate) fn run(args: &Args) -> Result<(), Fail> {
    let words = words_after_test(std::env::args()).unwrap_or_else(|| args.args.clone());
    let chromedriver = ensure_chromedriver()?;
    let services = Owned::start(start_timeout())?;
    let mut vars = services.vars();
    vars.push(("CHROMEDRIVER", chromedriver));
    for (var, url) in &vars {
        util::log(&format!("{var}={url}"));
    }
    let result = run_cargo_test(&cargo_test_args(&words), &vars);
    drop(services);
    result.map(drop)
}

/// The path of `chromedriver` for the browser test (`CHROMEDRIVER`), with Debian's `chromium`
/// and `chromium-driver` installed by apt-get when missing.
fn ensure_chromedriver() -> Result<String, Fail> {
    if !util::has_tool("chromedriver") {
        util::apt_install(&["chromium", "chromium-driver"]).map_err(|Fail(e)| {
            Fail(format!(
                "chromedriver is not on PATH and could not be installed: {e} (Debian packages \
                 `chromium` and `chromium-driver`)"
            ))
        })?;
    }
    let path = std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("chromedriver"))
                .find(|p| p.is_file())
        })
        .ok_or_else(|| Fail("chromedriver is required".into()))?;
    Ok(path.display().to_string())
}

/// `COGNITO_LOCAL_START_TIMEOUT` seconds (default 60): how long a service may take to answer.
pub(crate) fn start_timeout() -> Duration {
    let seconds = std::env::var("COGNITO_LOCAL_START_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| (1..=600).contains(s))
        .unwrap_or(60);
    Duration::from_secs(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &str) -> Vec<String> {
        cargo_test_args(
            &words
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn the_default_runs_everything() {
        assert_eq!(
            args(""),
            [
                "test",
                "--workspace",
                "--all-features",
                "--",
                "--include-ignored"
            ]
        );
    }

    #[test]
    fn a_filter_and_harness_arguments() {
        assert_eq!(
            args("revocation --test it -- --nocapture"),
            [
                "test",
                "--workspace",
                "--all-features",
                "revocation",
                "--test",
                "it",
                "--",
                "--include-ignored",
                "--nocapture"
            ]
        );
    }

    #[test]
    fn a_package_or_features_replace_the_defaults() {
        assert_eq!(
            args("-p tower-cognito --no-default-features --features redis"),
            [
                "test",
                "-p",
                "tower-cognito",
                "--no-default-features",
                "--features",
                "redis",
                "--",
                "--include-ignored"
            ]
        );
        assert_eq!(
            args("--package=x -- --ignored"),
            ["test", "--all-features", "--package=x", "--", "--ignored"]
        );
    }

    #[test]
    fn totals_add_up_the_summaries() {
        let mut totals = Totals::default();
        for line in [
            "running 3 tests",
            "test a ... ok",
            "test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 2 filtered out; finished in 0.01s",
            "test result: FAILED. 10 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.5s",
        ] {
            totals.add_line(line);
        }
        assert_eq!(
            totals,
            Totals {
                binaries: 2,
                passed: 13,
                failed: 2,
                ignored: 1,
                filtered: 2
            }
        );
        assert_eq!(
            totals.to_string(),
            "2 test binaries: 13 passed, 2 failed, 1 ignored, 2 filtered out"
        );
    }

    #[test]
    fn the_command_line_keeps_every_word() -> Result<(), Fail> {
        use clap::Parser as _;
        #[derive(Debug, clap::Parser)]
        struct Cli {
            #[command(subcommand)]
            command: Command,
        }
        #[derive(Debug, clap::Subcommand)]
        enum Command {
            Test(Args),
        }
        let parse = |line: &str| -> Result<Vec<String>, Fail> {
            let words = std::iter::once("xtask").chain(line.split_whitespace());
            let Command::Test(args) = Cli::try_parse_from(words).map_err(ctx(line))?.command;
            Ok(args.args)
        };
        let words = |line: &str| {
            line.split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        for line in [
            "--test it -- --nocapture",
            "filter -- --exact",
            "-p tower-cognito --features redis",
        ] {
            assert_eq!(parse(&format!("test {line}"))?, words(line), "{line}");
        }
        // clap drops a leading `--`: the words are read from argv.
        assert_eq!(parse("test -- --nocapture")?, words("--nocapture"));
        let argv = words("/x/test/xtask test -- --nocapture");
        assert_eq!(words_after_test(argv), Some(words("-- --nocapture")));
        assert_eq!(words_after_test(words("xtask modules")), None);
        Ok(())
    }
}
