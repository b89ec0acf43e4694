//! Developer tooling of tower-cognito, run as `cargo xtask COMMAND` (alias in `.cargo/config.toml`).
//!
//! Every command sends traffic to loopback only, bounds its loops in count and time, and stops
//! the processes it started.

mod deny;
mod features;
mod fuzz;
mod load;
mod modules;
mod profile;
mod publish;
mod server;
mod services;
mod testing;
mod util;
mod workspace;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use util::Fail;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Developer tooling of tower-cognito (CONTRIBUTING.md)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// HTTP load of the bench server (offline mode) with wrk on loopback: `/health`, `/me` and the
    /// debug routes alternating, then distinct tokens and an unknown-`kid` flood.
    Load(load::Args),
    /// Instructions per request of the bench server's routes under callgrind.
    ProfileRoutes(profile::RoutesArgs),
    /// Instruction counts of `benches/instructions.rs` (gungraun) as ratios to the floor.
    Instructions,
    /// Installs valgrind (apt-get) and the `gungraun-runner` of the version in Cargo.lock.
    InstallGungraun,
    /// The peer comparison (`benches/peers`, and aws-jwt-verify when node is present).
    Peers,
    /// Memory soak of the layer under key rotation (`examples/soak.rs`).
    Memory {
        /// Duration of the soak.
        #[arg(default_value_t = 90, env = "SOAK_SECONDS",
              value_parser = clap::value_parser!(u64).range(1..=3600))]
        seconds: u64,
    },
    /// The module graph of each library crate's `src/` (from its `crate::`, `self::` and
    /// `super::` paths): prints every cycle and fails on any.
    Modules(modules::Args),
    /// Every test of the workspace, the service-backed ones included: starts a private
    /// redis-server and cognito-local on loopback (installing them when missing), exports
    /// REDIS_URL and COGNITO_LOCAL_URL, runs `cargo test --workspace --all-features ARGS --
    /// --include-ignored TEST_ARGS`, and stops both services however the run ends.
    Test(testing::Args),
    /// Runs the services the ignored tests need for a developer (`start`, `stop`, `status`).
    Services(services::Args),
    /// The fuzz smoke run: installs the pinned cargo-fuzz when missing, builds every target of
    /// `fuzz/` and runs each for SECONDS (default 60) on stable; fails on a crash.
    Fuzz(fuzz::Args),
    /// Supply-chain checks with cargo-deny (`deny.toml`): licenses, bans, sources, and advisories
    /// (loudly reported as not checked when the advisory database cannot be fetched).
    Deny,
    /// Every feature combination: each crate's library in every subset of its optional features
    /// and its tests, examples and benches in the subsets that decide their `cfg` gates (clippy,
    /// -D warnings); then the tests with the default features off (services on) and plain
    /// `cargo test --workspace` (no services).
    Features(features::Args),
    /// `cargo package --list` of every publishable crate: fails on a file that must not ship
    /// (scripts, xtask, fuzzing, CI, npm files).
    Package,
    /// `cargo doc` of every publishable crate as docs.rs builds it (`--cfg docsrs`, its
    /// `[package.metadata.docs.rs]` features), warnings denied.
    Docs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Load(args) => load::run(&args),
        Command::ProfileRoutes(args) => profile::routes(&args),
        Command::Instructions => profile::instructions(),
        Command::InstallGungraun => profile::install_gungraun(),
        Command::Peers => peers(),
        Command::Memory { seconds } => memory(seconds),
        Command::Modules(args) => modules::run(&args),
        Command::Test(args) => testing::run(&args),
        Command::Services(args) => services::run(&args),
        Command::Fuzz(args) => fuzz::run(&args),
        Command::Deny => deny::run(),
        Command::Features(args) => features::run(&args),
        Command::Package => publish::package(),
        Command::Docs => publish::docs(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail(e)) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The peer comparison: the Rust peers' criterion group, the node peer when node and npm are on
/// PATH, and one Markdown table of ratios to the floor (`benches/peers/table.py`).
fn peers() -> Result<(), Fail> {
    let root = util::root();
    let peers = root.join("benches/peers");
    let out = root.join("target/peers");
    util::require_tools(&["cargo", "python3"])?;
    let metadata = util::output(
        util::cmd("cargo")
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .current_dir(&peers),
    )?;
    let metadata: serde_json::Value = serde_json::from_str(&metadata)
        .map_err(|e| Fail(format!("cargo metadata of benches/peers: {e}")))?;
    let target = metadata
        .get("target_directory")
        .and_then(|t| t.as_str())
        .map(PathBuf::from)
        .ok_or_else(|| Fail("no target directory for benches/peers".into()))?;
    let group = target.join("criterion/peers");
    std::fs::create_dir_all(&out).map_err(|e| Fail(format!("{}: {e}", out.display())))?;
    // One run: no stale criterion estimates nor node results.
    let _ = std::fs::remove_dir_all(&group);
    let _ = std::fs::remove_file(out.join("node.json"));

    util::log(&format!("load average before: {}", util::load_average()));
    util::log("running the Rust peer bench (benches/peers)");
    util::status(
        util::cmd("cargo")
            .args(["bench", "--bench", "peers", "--", "--noplot"])
            .env("PEERS_FIXTURE", out.join("fixture.json"))
            .current_dir(&peers),
    )?;
    if util::has_tool("node") && util::has_tool("npm") {
        let node = peers.join("node");
        // `npm ci` once per change of package.json / package-lock.json (stamp in node_modules/).
        let stamp = node.join("node_modules/.peers-stamp");
        let want = ["package.json", "package-lock.json"]
            .iter()
            .map(|f| std::fs::read_to_string(node.join(f)).unwrap_or_default())
            .collect::<String>();
        let want = format!("{:x}", util::fnv1a(want.as_bytes()));
        if std::fs::read_to_string(&stamp).unwrap_or_default().trim() != want {
            util::log("installing aws-jwt-verify (pinned by benches/peers/node/package-lock.json)");
            util::status(
                util::cmd("npm")
                    .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
                    .args(["--prefer-offline", "--loglevel=error"])
                    .current_dir(&node),
            )?;
            std::fs::write(&stamp, want).map_err(|e| Fail(format!("{}: {e}", stamp.display())))?;
        }
        util::log("running the node peer");
        util::status(
            util::cmd("node")
                .arg(node.join("verify.mjs"))
                .arg(out.join("fixture.json"))
                .arg(out.join("node.json")),
        )?;
    } else {
        util::log("node/npm not found: the aws-jwt-verify rows are skipped");
    }
    util::status(
        util::cmd("python3")
            .arg(peers.join("table.py"))
            .arg(&group)
            .arg(out.join("node.json"))
            .arg(peers.join("Cargo.lock")),
    )
}

/// Builds and runs `examples/soak.rs` (release) for `seconds`, killed 120 s after that at the
/// latest; its exit status is the command's.
fn memory(seconds: u64) -> Result<(), Fail> {
    let bin = util::build_example("soak")?;
    util::log(&format!(
        "soak for {seconds}s (load average {})",
        util::load_average()
    ));
    let mut child = util::cmd(&bin)
        .arg(seconds.to_string())
        .spawn()
        .map_err(|e| Fail(format!("cannot start {}: {e}", bin.display())))?;
    let limit = std::time::Duration::from_secs(seconds + 120);
    match util::wait_bounded(&mut child, limit)? {
        Some(status) if status.success() => Ok(()),
        Some(status) => Err(Fail(format!("the soak failed ({status})"))),
        None => Err(Fail("the soak did not finish in time".into())),
    }
}
