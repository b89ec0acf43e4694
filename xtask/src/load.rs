//! `cargo xtask load`: the bench server under wrk, on loopback only.
//!
//! Scenarios, `--connections` connections over `--threads` wrk threads:
//!
//! 1. `GET /health` (no authentication); 1b. the same with the printed access token's header;
//! 2. `GET /me`, the printed access token again (cache hits); 2b. `GET /debug/authed` (the layer
//!    without the claims handler); 2c. `GET /debug/me-no-layer` (the handler without the layer);
//! 3. `GET /me`, `--tokens` distinct valid access tokens, cycled;
//! 4. `GET /me`, `--tokens` tokens naming distinct unknown `kid`s (every answer 401).
//!
//! 1 to 2c are compared with each other, so they alternate: `--rounds` rounds, each running all
//! five for `--round-seconds` in turn (drift and noise of a shared machine hit all five alike);
//! their figures sum the rounds, with the range of the per-round ratios. 3 and 4 run once,
//! `--seconds` each. The JWKS fetches come from the server's `GET /debug/stats`.
//!
//! Prints Markdown tables (requests/s, ratio to `/health`, p50, p99, JWKS fetches; CPU of the
//! server and of wrk, per request), the throughput bound of scenario 3 (cores / the
//! `floor_rsa_verify` median of `cargo bench -p tower-cognito-benches --bench verify`, when it has
//! run), and whether scenario 2 reaches 0.9x the requests/s of scenario 1 (enforced with
//! `--enforce-target`). Fails on an unexpected status or a socket error. Installs wrk with apt-get
//! when missing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;

use crate::server::{Server, proc_stat_sum};
use crate::util::{self, Fail, ctx};

/// Settings of `cargo xtask load`.
#[derive(Debug, Parser)]
pub(crate) struct Args {
    /// Seconds of each of scenarios 3 and 4.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    seconds: u64,
    /// Rounds of the alternating scenarios.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=100))]
    rounds: u64,
    /// Seconds of each scenario in a round.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=60))]
    round_seconds: u64,
    /// wrk connections.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=1024))]
    connections: u64,
    /// wrk threads (at most the connections).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    threads: u64,
    /// Distinct tokens of scenarios 3 and 4.
    #[arg(long, default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    tokens: u64,
    /// Seconds of `GET /health` before the scenarios.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=60))]
    warmup: u64,
    /// Fail when scenario 2 gets less than 0.9x the requests/s of scenario 1.
    #[arg(long)]
    enforce_target: bool,
}

/// One wrk run, as `load.lua` reports it, with the CPU and JWKS fetches around it.
#[derive(Debug, Clone, Default)]
struct Run {
    requests: f64,
    duration_us: f64,
    p50_us: f64,
    p99_us: f64,
    status_errors: f64,
    socket_errors: f64,
    fetches: f64,
    server_ticks: f64,
    wrk_ticks: f64,
}

impl Run {
    fn rps(&self) -> f64 {
        self.requests / (self.duration_us / 1e6)
    }

    /// The sum of `runs`; latencies are the median of the runs' percentiles.
    fn total(runs: &[Run]) -> Run {
        let sum = |f: fn(&Run) -> f64| runs.iter().map(f).sum::<f64>();
        let median = |f: fn(&Run) -> f64| {
            let mut v: Vec<f64> = runs.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or(0.0)
        };
        Run {
            requests: sum(|r| r.requests),
            duration_us: sum(|r| r.duration_us),
            p50_us: median(|r| r.p50_us),
            p99_us: median(|r| r.p99_us),
            status_errors: sum(|r| r.status_errors),
            socket_errors: sum(|r| r.socket_errors),
            fetches: sum(|r| r.fetches),
            server_ticks: sum(|r| r.server_ticks),
            wrk_ticks: sum(|r| r.wrk_ticks),
        }
    }
}

const ALTERNATING: [&str; 5] = [
    "health",
    "health_header",
    "repeated",
    "authed",
    "me_no_layer",
];

/// Runs the load benchmark.
pub(crate) fn run(args: &Args) -> Result<(), Fail> {
    if args.threads > args.connections {
        return Err(Fail("--threads must not exceed --connections".into()));
    }
    util::ensure_apt_tools(&[("wrk", "wrk")])?;
    let bin = util::build_bench_bin("bench_server")?;
    let work = WorkDir::new()?;
    let (tokens, unknown) = (work.0.join("tokens.txt"), work.0.join("unknown-kid.txt"));
    util::log(&format!(
        "starting the bench server (minting {0} + {0} tokens; this takes a while on 2 cores)",
        args.tokens
    ));
    let vars = [
        ("BENCH_TOKEN_COUNT", args.tokens.to_string()),
        ("BENCH_TOKENS_FILE", tokens.display().to_string()),
        ("BENCH_UNKNOWN_KID_FILE", unknown.display().to_string()),
    ];
    let server = Server::start(&bin, &[], &vars, Duration::from_secs(300))?;
    let access = server.access.clone();
    let first = |path: &Path| -> Result<String, Fail> {
        let text = std::fs::read_to_string(path).map_err(ctx(&path.display().to_string()))?;
        if text.lines().count() as u64 != args.tokens {
            return Err(Fail(format!(
                "{} does not hold {} tokens",
                path.display(),
                args.tokens
            )));
        }
        Ok(text.lines().next().unwrap_or_default().to_owned())
    };
    let (first_valid, first_unknown) = (first(&tokens)?, first(&unknown)?);

    // Each scenario's requests get the expected status before any load.
    for (path, token, want) in [
        ("/health", None, 200),
        ("/me", Some(access.as_str()), 200),
        ("/debug/authed", Some(access.as_str()), 200),
        ("/debug/me-no-layer", None, 200),
        ("/me", Some(first_valid.as_str()), 200),
    ] {
        let got = server.status_of(path, token)?;
        if got != want {
            return Err(Fail(format!("{path} answered {got}, expected {want}")));
        }
    }

    let wrk = Wrk {
        args,
        server: &server,
        script: util::root().join("xtask/load.lua"),
    };
    let load_before = util::load_average();
    if args.warmup > 0 {
        util::log(&format!("warm-up: {}s of GET /health", args.warmup));
        wrk.run("/health", args.warmup, None, None)?;
    }
    let mut runs: BTreeMap<&str, Vec<Run>> = BTreeMap::new();
    util::log(&format!(
        "scenarios 1, 1b, 2, 2b, 2c alternating: {} rounds of {}s each",
        args.rounds, args.round_seconds
    ));
    for round in 1..=args.rounds {
        util::log(&format!("round {round}/{}", args.rounds));
        for (name, path, token) in [
            ("health", "/health", None),
            ("health_header", "/health", Some(access.as_str())),
            ("repeated", "/me", Some(access.as_str())),
            ("authed", "/debug/authed", Some(access.as_str())),
            ("me_no_layer", "/debug/me-no-layer", Some(access.as_str())),
        ] {
            let run = wrk.run(path, args.round_seconds, token, None)?;
            runs.entry(name).or_default().push(run);
        }
    }
    util::log(&format!(
        "3/4 GET /me, {} distinct tokens ({}s)",
        args.tokens, args.seconds
    ));
    let distinct = wrk.run("/me", args.seconds, None, Some(&tokens))?;
    runs.insert("distinct", vec![distinct]);
    util::log(&format!(
        "4/4 GET /me, unknown-kid flood ({}s)",
        args.seconds
    ));
    if server.status_of("/me", Some(&first_unknown))? != 401 {
        return Err(Fail("/me with an unknown kid is not 401".into()));
    }
    let flood = wrk.run("/me", args.seconds, None, Some(&unknown))?;
    runs.insert("unknown", vec![flood]);
    let final_stats = server.stats()?;
    report(args, &runs, &load_before, &final_stats)
}

/// Bounded wrk runs against the server.
struct Wrk<'a> {
    args: &'a Args,
    server: &'a Server,
    script: PathBuf,
}

impl Wrk<'_> {
    /// One wrk run of `seconds` on `path`, with a static bearer `token` or the tokens of
    /// `tokens_file` cycled.
    fn run(
        &self,
        path: &str,
        seconds: u64,
        token: Option<&str>,
        tokens_file: Option<&Path>,
    ) -> Result<Run, Fail> {
        let fetches = self.server.jwks_fetches()?;
        let ticks = self.server.cpu_ticks()?;
        let wrk_ticks = proc_stat_sum("/proc/self/stat", &[16, 17])?;
        let mut cmd = util::cmd("timeout");
        cmd.args([
            "--signal=INT",
            "--kill-after=10",
            &(seconds + 60).to_string(),
            "wrk",
        ])
        .args(["-t", &self.args.threads.to_string()])
        .args(["-c", &self.args.connections.to_string()])
        .args(["-d", &format!("{seconds}s"), "--timeout", "5s", "-s"])
        .arg(&self.script)
        .env("LOAD_THREADS", self.args.threads.to_string())
        .env(
            "LOAD_TOKENS_FILE",
            tokens_file.map(Path::as_os_str).unwrap_or_default(),
        );
        if let Some(token) = token {
            cmd.args(["-H", &format!("Authorization: Bearer {token}")]);
        }
        cmd.arg(format!("{}{path}", self.server.base()));
        let out = util::output(&mut cmd)?;
        let result = out
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("WRK_RESULT "))
            .ok_or_else(|| Fail(format!("no WRK_RESULT line from wrk on {path}:\n{out}")))?;
        let fields: BTreeMap<&str, f64> = result
            .split_whitespace()
            .filter_map(|f| f.split_once('='))
            .filter_map(|(k, v)| Some((k, v.parse().ok()?)))
            .collect();
        let field = |k: &str| fields.get(k).copied().unwrap_or(0.0);
        Ok(Run {
            requests: field("requests"),
            duration_us: field("duration_us"),
            p50_us: field("p50_us"),
            p99_us: field("p99_us"),
            status_errors: field("status_errors"),
            socket_errors: field("connect") + field("read") + field("write") + field("timeout"),
            fetches: (self.server.jwks_fetches()? - fetches) as f64,
            server_ticks: (self.server.cpu_ticks()? - ticks) as f64,
            wrk_ticks: (proc_stat_sum("/proc/self/stat", &[16, 17])? - wrk_ticks) as f64,
        })
    }
}

/// Prints the tables; fails on errors (and on a missed target with `--enforce-target`).
fn report(
    args: &Args,
    runs: &BTreeMap<&str, Vec<Run>>,
    load_before: &str,
    final_stats: &serde_json::Value,
) -> Result<(), Fail> {
    let tck: f64 = util::output(util::cmd("getconf").arg("CLK_TCK"))?
        .trim()
        .parse()
        .map_err(ctx("getconf CLK_TCK"))?;
    let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
    let tokens = args.tokens;
    let order = [
        ("health", "1. `GET /health`".to_owned()),
        (
            "health_header",
            "1b. `GET /health` with the token's header (no layer; diagnostic)".into(),
        ),
        ("repeated", "2. `GET /me`, one repeated token".into()),
        (
            "authed",
            "2b. `GET /debug/authed`, one repeated token (layer, no claims handler; diagnostic)"
                .into(),
        ),
        (
            "me_no_layer",
            "2c. `GET /debug/me-no-layer` (the `/me` handler, no layer; diagnostic)".into(),
        ),
        (
            "distinct",
            format!("3. `GET /me`, {tokens} distinct tokens"),
        ),
        (
            "unknown",
            format!("4. `GET /me`, unknown-`kid` flood ({tokens} distinct `kid`s, all 401)"),
        ),
    ];
    let empty = Vec::new();
    let of = |name: &str| runs.get(name).unwrap_or(&empty);
    let total = |name: &str| Run::total(of(name));
    let base = total("health").rps();
    // The per-round ratios of `name` to `to`, in requests/s.
    let ratios = |name: &str, to: &str| -> (f64, f64) {
        of(name)
            .iter()
            .zip(of(to))
            .map(|(a, b)| a.rps() / b.rps())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| {
                (lo.min(r), hi.max(r))
            })
    };
    let ms = |us: f64| format!("{:.2} ms", us / 1000.0);

    println!();
    println!(
        "Scenarios 1, 1b, 2, 2b and 2c alternate: {} rounds of {} s each; scenarios 3 and 4 run \
         {} s each. {} connections, {} wrk threads, {cores} cores; load average before \
         {load_before}, after {}.",
        args.rounds,
        args.round_seconds,
        args.seconds,
        args.connections,
        args.threads,
        util::load_average()
    );
    println!();
    println!(
        "| scenario | requests/s | ratio to `/health` (range over rounds) | p50 | p99 | JWKS fetches |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, label) in &order {
        let r = total(name);
        let mut ratio = format!("{:.2}", r.rps() / base);
        if ALTERNATING.contains(name) && *name != "health" {
            let (lo, hi) = ratios(name, "health");
            ratio.push_str(&format!(" ({lo:.2}–{hi:.2})"));
        }
        println!(
            "| {label} | {:.0} | {ratio} | {} | {} | {} |",
            r.rps(),
            ms(r.p50_us),
            ms(r.p99_us),
            r.fetches
        );
    }
    println!();
    println!("CPU during each scenario (cores busy on average; the machine has {cores}):");
    println!();
    println!("| scenario | requests | server CPU | wrk CPU | server CPU per request |");
    println!("|---|---:|---:|---:|---:|");
    for (name, label) in &order {
        let r = total(name);
        let secs = r.duration_us / 1e6;
        let server = r.server_ticks / tck;
        println!(
            "| {label} | {} | {:.2} | {:.2} | {:.1} µs |",
            r.requests,
            server / secs,
            r.wrk_ticks / tck / secs,
            server / r.requests * 1e6
        );
    }
    println!();
    let estimates =
        util::root().join("target/criterion/verify/floor_rsa_verify/new/estimates.json");
    let floor_ns = std::fs::read_to_string(&estimates)
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|v| v.pointer("/median/point_estimate")?.as_f64());
    match floor_ns {
        Some(ns) => {
            let bound = cores / (ns * 1e-9);
            let got = total("distinct").rps();
            println!(
                "Scenario 3 bound: {cores} cores / floor_rsa_verify median {:.2} µs = {bound:.0} \
                 requests/s; measured {got:.0} ({:.2} of the bound).",
                ns / 1000.0,
                got / bound
            );
        }
        None => println!(
            "Scenario 3 bound: unknown (run `cargo bench -p tower-cognito-benches --bench verify`)."
        ),
    }
    let ratio = total("repeated").rps() / base;
    let met = ratio >= 0.9;
    let per_request = |r: &Run| r.server_ticks / r.requests;
    let cpu_ratio = per_request(&total("health")) / per_request(&total("repeated"));
    println!(
        "Target: scenario 2 at least 0.9x the requests/s of scenario 1: {} ({ratio:.2}x; by \
         server CPU per request, {cpu_ratio:.2}x).",
        if met { "met" } else { "NOT met" }
    );
    let (lo, hi) = ratios("repeated", "me_no_layer");
    println!(
        "The layer's share: scenario 2 against 2c (the same handler without the layer): {:.3}x \
         ({lo:.2}–{hi:.2} over rounds); 2b against 1: {:.3}x.",
        total("repeated").rps() / total("me_no_layer").rps(),
        total("authed").rps() / base
    );
    println!("Final /debug/stats: {final_stats}");

    let mut failures = Vec::new();
    for (name, rs) in runs {
        for r in rs {
            if r.socket_errors > 0.0 {
                failures.push(format!(
                    "{name}: {} socket errors or timeouts",
                    r.socket_errors
                ));
            }
            let expected = if *name == "unknown" { r.requests } else { 0.0 };
            if r.status_errors != expected {
                failures.push(format!(
                    "{name}: {} of {} responses above 399 (expected {expected})",
                    r.status_errors, r.requests
                ));
            }
        }
    }
    if !failures.is_empty() {
        return Err(Fail(failures.join("; ")));
    }
    if !met && args.enforce_target {
        return Err(Fail("target not met (--enforce-target)".into()));
    }
    Ok(())
}

/// A fresh directory under the system temporary directory, removed on drop.
#[derive(Debug)]
pub(crate) struct WorkDir(pub(crate) PathBuf);

impl WorkDir {
    pub(crate) fn new() -> Result<Self, Fail> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!(
            "tower-cognito-xtask-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).map_err(ctx(&dir.display().to_string()))?;
        Ok(Self(dir))
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
