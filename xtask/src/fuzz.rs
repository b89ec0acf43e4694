//! `cargo xtask fuzz [SECONDS]`: the fuzz smoke run of every cargo-fuzz target in `fuzz/`.
//!
//! Builds the targets and runs each for SECONDS on the stable toolchain (`RUSTC_BOOTSTRAP=1`
//! lets it accept cargo-fuzz's nightly-only flags, `-Zsanitizer` and `-Cpasses=sancov`;
//! libFuzzer needs a C++ compiler). Fails if cargo-fuzz cannot be installed, a build fails, or any
//! target crashes (panic, sanitizer report, timeout, out-of-memory); prints the executions per
//! target. New inputs go to `fuzz/corpus/<target>/` and crashes to `fuzz/artifacts/<target>/`
//! (both git-ignored, except the committed `corpus/*/seed-*` files).

use std::fs::File;
use std::process::Stdio;
use std::time::Duration;

use clap::Parser;

use crate::load::WorkDir;
use crate::util::{self, Fail, ctx};

/// Settings of `cargo xtask fuzz`.
#[derive(Debug, Parser)]
pub(crate) struct Args {
    /// Seconds of fuzzing per target.
    #[arg(default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    seconds: u64,
    /// The cargo-fuzz version to install when `cargo fuzz` is missing (an installed one is used
    /// as it is).
    #[arg(long, env = "CARGO_FUZZ_VERSION", default_value = "0.13.2")]
    cargo_fuzz_version: String,
}

/// `cargo fuzz ARGS` from the repository root, on stable.
fn cargo_fuzz(args: &[&str]) -> std::process::Command {
    let mut cmd = util::cmd("cargo");
    cmd.arg("fuzz")
        .args(args)
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TERM_COLOR", "never");
    cmd
}

/// What one target's libFuzzer log says: executions, seconds and coverage of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    runs: u64,
    seconds: u64,
    coverage: Option<(u64, u64)>,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} executions in {} s", self.runs, self.seconds)?;
        if let Some((cov, corpus)) = self.coverage {
            write!(f, " (cov {cov}, corpus {corpus})")?;
        }
        Ok(())
    }
}

/// The last `Done N runs in S second(s)` line of `log`, with the coverage of the last `#N DONE
/// cov: C ft: F corp: K/SIZE ...` line.
fn outcome(log: &str) -> Option<Outcome> {
    let (runs, seconds) = log.lines().rev().find_map(|line| {
        let rest = line.strip_prefix("Done ")?;
        let mut words = rest.split_whitespace();
        let runs = words.next()?.parse().ok()?;
        (words.next()? == "runs" && words.next()? == "in").then_some(())?;
        let seconds = words.next()?.parse().ok()?;
        words
            .next()?
            .starts_with("second")
            .then_some((runs, seconds))
    })?;
    let coverage = log.lines().rev().find_map(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        if !line.starts_with('#') || words.get(1) != Some(&"DONE") {
            return None;
        }
        let after = |key: &str| {
            let at = words.iter().position(|w| *w == key)?;
            words.get(at + 1)
        };
        let cov = after("cov:")?.parse().ok()?;
        let corpus = after("corp:")?.split('/').next()?.parse().ok()?;
        Some((cov, corpus))
    });
    Some(Outcome {
        runs,
        seconds,
        coverage,
    })
}

/// Installs cargo-fuzz `version` unless `cargo fuzz` runs.
fn ensure_cargo_fuzz(version: &str) -> Result<(), Fail> {
    let runs = || {
        cargo_fuzz(&["--version"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if runs() {
        return Ok(());
    }
    util::log(&format!("installing cargo-fuzz {version}"));
    util::status(
        util::cmd("cargo")
            .args(["install", "cargo-fuzz", "--locked", "--version"])
            .arg(version),
    )
    .map_err(|Fail(e)| Fail(format!("could not install cargo-fuzz: {e}")))?;
    if runs() {
        Ok(())
    } else {
        Err(Fail(
            "cargo-fuzz was installed but `cargo fuzz` does not run (is ~/.cargo/bin on PATH?)"
                .into(),
        ))
    }
}

/// `cargo xtask fuzz`.
pub(crate) fn run(args: &Args) -> Result<(), Fail> {
    ensure_cargo_fuzz(&args.cargo_fuzz_version)?;
    util::status(&mut cargo_fuzz(&["--version"]))?;
    let list = util::output(&mut cargo_fuzz(&["list"]))?;
    let targets: Vec<&str> = list
        .lines()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    if targets.is_empty() {
        return Err(Fail("no fuzz targets found in fuzz/".into()));
    }
    util::log(&format!("cargo fuzz build ({})", targets.join(" ")));
    util::status(&mut cargo_fuzz(&["build"]))?;

    let logs = WorkDir::new()?;
    let seconds = args.seconds;
    let mut summary = Vec::new();
    let mut failed = Vec::new();
    for target in &targets {
        util::log(&format!("cargo fuzz run {target} ({seconds} s)"));
        let path = logs.0.join(format!("{target}.log"));
        let log = File::create(&path).map_err(ctx(&path.display().to_string()))?;
        let err = log.try_clone().map_err(ctx("log file"))?;
        // -timeout: one input taking over 10 s is a denial-of-service bug, reported as a crash.
        // -max_len: above the verifier's 8 KiB token cap, so the cap itself is exercised.
        let mut child = cargo_fuzz(&["run", target, "--"])
            .arg(format!("-max_total_time={seconds}"))
            .args(["-timeout=10", "-max_len=10240"])
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(ctx("cargo fuzz run"))?;
        // Bounded: the build is done, so the run takes SECONDS plus start-up and the final merge.
        let status = util::wait_bounded(&mut child, Duration::from_secs(seconds + 600))?;
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        match (status, outcome(&text)) {
            (Some(status), Some(outcome)) if status.success() => {
                println!("{target}: {outcome}");
                summary.push(format!("{target:<14} {outcome}"));
            }
            (status, _) => {
                let status = status.map_or_else(|| "timed out".to_owned(), |s| s.to_string());
                println!("!! {target} failed ({status}); end of its log:");
                let lines: Vec<&str> = text.lines().collect();
                for line in lines.iter().skip(lines.len().saturating_sub(60)) {
                    println!("{line}");
                }
                summary.push(format!(
                    "{target:<14} CRASHED ({status}), see fuzz/artifacts/{target}/"
                ));
                failed.push(*target);
            }
        }
    }
    println!("== fuzz summary ({seconds} s per target)");
    for line in &summary {
        println!("{line}");
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Fail(format!("fuzz targets failed: {}", failed.join(" "))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outcome_of_a_log() {
        let log = "INFO: Seed: 1\n#2\tINITED cov: 10 ft: 11 corp: 3/30b\n\
                   #1048576\tpulse  cov: 120 ft: 300 corp: 40/2Kb\n\
                   #2105430\tDONE   cov: 123 ft: 321 corp: 45/3021b lim: 4096 exec/s: 35090 rss: 80Mb\n\
                   Done 2105430 runs in 61 second(s)\n";
        assert_eq!(
            outcome(log),
            Some(Outcome {
                runs: 2_105_430,
                seconds: 61,
                coverage: Some((123, 45))
            })
        );
        assert_eq!(
            outcome(log).map(|o| o.to_string()).as_deref(),
            Some("2105430 executions in 61 s (cov 123, corpus 45)")
        );
    }

    #[test]
    fn a_crash_has_no_outcome() {
        let log = "#100\tNEW cov: 5\n==1==ERROR: libFuzzer: deadly signal\nSUMMARY: libFuzzer: deadly signal\n";
        assert_eq!(outcome(log), None);
    }

    #[test]
    fn seconds_must_be_positive() {
        use clap::Parser as _;
        #[derive(Debug, clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: Args,
        }
        assert!(Cli::try_parse_from(["fuzz", "0"]).is_err());
        assert!(Cli::try_parse_from(["fuzz", "ten"]).is_err());
        let parsed = Cli::try_parse_from(["fuzz"]).map(|c| c.args.seconds);
        assert_eq!(parsed.ok(), Some(60));
    }
}
