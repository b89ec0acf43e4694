//! Instruction counts: the gungraun bench target (`benches/instructions.rs`) and the bench
//! server's routes under callgrind.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use clap::Parser;
use serde_json::Value;

use crate::load::WorkDir;
use crate::server::Server;
use crate::util::{self, Fail, ctx};

/// The gungraun version of Cargo.lock: the runner must be the same.
fn gungraun_version() -> Result<String, Fail> {
    let lock = util::root().join("Cargo.lock");
    let text = std::fs::read_to_string(&lock).map_err(ctx("Cargo.lock"))?;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"gungraun\"" {
            let version = lines.next().and_then(|l| l.strip_prefix("version = \""));
            if let Some(version) = version.and_then(|v| v.strip_suffix('"')) {
                return Ok(version.to_owned());
            }
        }
    }
    Err(Fail("no gungraun package in Cargo.lock".into()))
}

/// Installs valgrind (apt-get) when missing, and `gungraun-runner` when it is missing or not the
/// version of the `gungraun` library in Cargo.lock.
pub(crate) fn install_gungraun() -> Result<(), Fail> {
    util::ensure_apt_tools(&[("valgrind", "valgrind")])?;
    let want = gungraun_version()?;
    let have = util::has_tool("gungraun-runner")
        .then(|| util::output(util::cmd("gungraun-runner").arg("--version")).ok())
        .flatten()
        .unwrap_or_default();
    if have.split_whitespace().any(|word| word == want) {
        util::log(&format!("gungraun-runner {want} is installed"));
        return Ok(());
    }
    util::log(&format!("installing gungraun-runner {want}"));
    util::status(
        util::cmd("cargo")
            .args(["install", "--locked", "gungraun-runner", "--version"])
            .arg(&want),
    )
}

/// The cases of `benches/instructions.rs`, in the order of the table, with their labels.
const CASES: [(&str, &str); 17] = [
    ("floor_rsa_verify", "floor: RSA verify, pre-parsed key"),
    ("verify_access", "`Verifier::verify`, access token"),
    ("verify_id", "`Verifier::verify`, ID token"),
    (
        "reject_adversarial_header",
        "reject: adversarial header, default cap",
    ),
    (
        "reject_adversarial_header_8x_cap",
        "reject: adversarial header, 8x the cap",
    ),
    (
        "reject_adversarial_payload_100_pools",
        "reject: adversarial payload, unknown `kid`, 100 user pools, default cap (`CognitoAuthLayer::verify`)",
    ),
    (
        "reject_adversarial_payload_100_pools_8x_cap",
        "reject: adversarial payload, unknown `kid`, 100 user pools, 8x the cap",
    ),
    (
        "reject_malformed_100_pools",
        "the same token in four segments, default cap (no routing; subtracted below)",
    ),
    (
        "reject_malformed_100_pools_8x_cap",
        "the same token in four segments, 8x the cap (no routing; subtracted below)",
    ),
    (
        "reject_known_kid_payload_100_pools",
        "reject: known `kid`, adversarial payload decoded whole (bad last character), 100 user pools",
    ),
    (
        "reject_known_kid_payload_one_pool",
        "the same token, one pool",
    ),
    (
        "reject_costly_header_and_payload_100_pools",
        "reject: costliest valid header, unknown `kid`, adversarial payload, 100 user pools",
    ),
    ("verify_payload_1k_claims", "verify, 1 000 extra claims"),
    ("verify_payload_8k_claims", "verify, 8 000 extra claims"),
    (
        "verify_tenant_token",
        "verify, access token with `custom:tenant`, `E = ()`",
    ),
    (
        "verify_tenant_token_extra_claims",
        "the same token, application claims type reading it (`verify_as::<Tenant>`)",
    ),
    (
        "oneshot_without_layer",
        "the request alone, no layer (subtracted below)",
    ),
];

/// Runs the gungraun bench (installing what it needs) and prints its instruction counts as
/// ratios to the floor; the layer rows subtract the request without the layer.
pub(crate) fn instructions() -> Result<(), Fail> {
    install_gungraun()?;
    let out = util::root().join("target/gungraun/tower-cognito-benches/instructions/verify");
    // No stale summaries of an earlier run.
    let _ = std::fs::remove_dir_all(&out);
    util::status(
        util::cmd("cargo")
            .args([
                "bench",
                "-p",
                "tower-cognito-benches",
                "--bench",
                "instructions",
            ])
            .args(["--", "--save-summary=json"]),
    )?;
    let mut ir = BTreeMap::new();
    let cases = CASES.iter().map(|(case, _)| *case);
    let layer_cases = [
        "oneshot_with_layer_uncached",
        "oneshot_with_layer_uncached_100_pools",
        "oneshot_with_layer",
    ];
    for case in cases.chain(layer_cases) {
        ir.insert(
            case,
            summary_instructions(&out.join(format!("{case}.case/summary.json")))?,
        );
    }
    let get = |case: &str| ir.get(case).copied().unwrap_or(0.0);
    let floor = get("floor_rsa_verify");
    let base = get("oneshot_without_layer");
    println!();
    println!("| case | instructions | ratio to floor |");
    println!("|---|---:|---:|");
    let row = |label: &str, n: f64| println!("| {label} | {n:.0} | {:.4} |", n / floor);
    for (case, label) in CASES {
        row(label, get(case));
    }
    row(
        "through the layer, token cache off (with − without)",
        get("oneshot_with_layer_uncached") - base,
    );
    row(
        "through the layer, token cache off, 100 user pools (with − without)",
        get("oneshot_with_layer_uncached_100_pools") - base,
    );
    row(
        "through the layer, cache hit (with − without)",
        get("oneshot_with_layer") - base,
    );
    let routing = |payload: &str, malformed: &str| get(payload) - get(malformed);
    row(
        "several pools, the `kid` and `iss` fallback of the adversarial payload, default cap (payload − four segments)",
        routing(
            "reject_adversarial_payload_100_pools",
            "reject_malformed_100_pools",
        ),
    );
    row(
        "several pools, the `kid` and `iss` fallback of the adversarial payload, 8x the cap (payload − four segments)",
        routing(
            "reject_adversarial_payload_100_pools_8x_cap",
            "reject_malformed_100_pools_8x_cap",
        ),
    );
    let one = get("oneshot_with_layer_uncached") - base;
    let hundred = get("oneshot_with_layer_uncached_100_pools") - base;
    if one > 0.0 {
        println!();
        println!(
            "100 user pools / 1 pool, through the layer: {:.4}x",
            hundred / one
        );
    }
    payload_shapes(&out, floor, get("reject_malformed_100_pools"))?;
    alb_rows(&out.with_file_name("alb"))
}

/// The ALB group: `AlbAuthLayer::verify` (key cached) and a header-rule refusal as ratios to
/// its own floor, one ES256 verify.
fn alb_rows(out: &Path) -> Result<(), Fail> {
    let get = |case: &str| summary_instructions(&out.join(format!("{case}.case/summary.json")));
    let floor = get("es256_floor")?;
    println!();
    println!("| ALB case | instructions | ratio to the ES256 floor |");
    println!("|---|---:|---:|");
    for (case, label) in [
        (
            "es256_floor",
            "floor: ES256 verify (P-256, raw r and s), pre-parsed key",
        ),
        ("alb_verify_cache_hit", "`AlbAuthLayer::verify`, key cached"),
        (
            "alb_reject_wrong_signer",
            "reject: another `signer` (header rules, no signature)",
        ),
    ] {
        let n = get(case)?;
        println!("| {label} | {n:.0} | {:.4} |", n / floor);
    }
    Ok(())
}

/// The table of every hostile payload shape of `reject_payload_shape` (a layer of 100 pools,
/// default cap, a `kid` no pool holds): each case, and its routing (the case minus
/// `four_segments`).
fn payload_shapes(out: &Path, floor: f64, four_segments: f64) -> Result<(), Fail> {
    let prefix = "reject_payload_shape.";
    let mut shapes = Vec::new();
    for entry in std::fs::read_dir(out).map_err(ctx(&out.display().to_string()))? {
        let name = entry.map_err(ctx("gungraun output"))?.file_name();
        if let Some(shape) = name.to_string_lossy().strip_prefix(prefix) {
            let n = summary_instructions(&out.join(&name).join("summary.json"))?;
            shapes.push((shape.to_owned(), n));
        }
    }
    shapes.sort_by(|a, b| b.1.total_cmp(&a.1));
    println!();
    println!(
        "| payload shape, 100 pools, default cap | instructions | ratio to floor | routing | routing / floor |"
    );
    println!("|---|---:|---:|---:|---:|");
    for (shape, n) in shapes {
        let routing = n - four_segments;
        println!(
            "| {shape} | {n:.0} | {:.4} | {routing:.0} | {:.4} |",
            n / floor,
            routing / floor
        );
    }
    Ok(())
}

/// The instruction count of one gungraun `summary.json`: the first `Ir` metric found (callgrind's
/// `{"values": {"new": N, ...}}`), searched for so that little of the schema is assumed.
fn summary_instructions(path: &Path) -> Result<f64, Fail> {
    let text = std::fs::read_to_string(path).map_err(ctx(&path.display().to_string()))?;
    let summary: Value = serde_json::from_str(&text).map_err(ctx(&path.display().to_string()))?;
    find_ir(&summary).ok_or_else(|| Fail(format!("no instruction count in {}", path.display())))
}

fn find_ir(v: &Value) -> Option<f64> {
    match v {
        Value::Object(map) => match map.get("Ir") {
            Some(ir) => ir.pointer("/values/new").and_then(Value::as_f64),
            None => map.values().find_map(find_ir),
        },
        Value::Array(items) => items.iter().find_map(find_ir),
        _ => None,
    }
}

/// Settings of `cargo xtask profile-routes`.
#[derive(Debug, Parser)]
pub(crate) struct RoutesArgs {
    /// Seconds of wrk per route (1 thread, 4 connections).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=120))]
    seconds: u64,
    /// Keep the callgrind dump of each route in this directory (for `callgrind_annotate`).
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

/// The bench server's routes, every request with the printed access token's header.
const ROUTES: [&str; 4] = ["/health", "/debug/authed", "/debug/me-no-layer", "/me"];

/// Runs the bench server under callgrind and prints its user-space instructions per request of
/// each route: zeroes the counters, drives the route with wrk, dumps the counters, and divides by
/// the requests wrk completed.
pub(crate) fn routes(args: &RoutesArgs) -> Result<(), Fail> {
    util::ensure_apt_tools(&[("valgrind", "valgrind"), ("wrk", "wrk")])?;
    util::require_tools(&["callgrind_control", "timeout"])?;
    let bin = util::build_bench_bin("bench_server")?;
    let work = WorkDir::new()?;
    util::log("starting the bench server under callgrind (slow: about a minute)");
    let wrap = [
        "valgrind".to_owned(),
        "--tool=callgrind".to_owned(),
        format!("--callgrind-out-file={}/callgrind.out.%p", work.0.display()),
    ];
    let server = Server::start(&bin, &wrap, &[], Duration::from_secs(600))?;
    let pid = server.pid().to_string();
    let wrk = |seconds: u64, route: &str| -> Result<u64, Fail> {
        let out = util::output(
            util::cmd("timeout")
                .args([&(seconds + 60).to_string(), "wrk", "-t", "1", "-c", "4"])
                .args(["-d", &format!("{seconds}s"), "--timeout", "10s", "-H"])
                .arg(format!("Authorization: Bearer {}", server.access))
                .arg(format!("{}{route}", server.base())),
        )?;
        if out.contains("Non-2xx") {
            return Err(Fail(format!("{route} answered non-2xx:\n{out}")));
        }
        out.lines()
            .find(|l| l.contains("requests in"))
            .and_then(|l| l.split_whitespace().next()?.parse().ok())
            .ok_or_else(|| Fail(format!("no request count from wrk on {route}")))
    };
    util::log("warm-up: 2 s of /me");
    wrk(2, "/me")?;
    let mut rows = Vec::new();
    for (part, route) in (1..).zip(ROUTES) {
        util::log(&format!("{route}: {}s", args.seconds));
        util::output(util::cmd("callgrind_control").args(["--zero", &pid]))?;
        let requests = wrk(args.seconds, route)?;
        util::output(
            util::cmd("callgrind_control")
                .arg(format!("--dump={route}"))
                .arg(&pid),
        )?;
        let dump = work.0.join(format!("callgrind.out.{pid}.{part}"));
        let total = dump_total(&dump)?;
        if let Some(dir) = &args.out {
            std::fs::create_dir_all(dir).map_err(ctx(&dir.display().to_string()))?;
            let name = route.trim_start_matches('/').replace('/', "-");
            std::fs::copy(&dump, dir.join(format!("{name}.callgrind"))).map_err(ctx("copy"))?;
        }
        rows.push((route, requests, total as f64 / requests.max(1) as f64));
    }
    let base = rows.first().map_or(0.0, |r| r.2);
    println!();
    println!("| route | requests | instructions per request | over `/health` |");
    println!("|---|---:|---:|---:|");
    for (route, requests, per) in rows {
        let over = if route == "/health" {
            String::new()
        } else {
            format!("{:+.0}", per - base)
        };
        println!("| `{route}` | {requests} | {per:.0} | {over} |");
    }
    Ok(())
}

/// The `summary:` or `totals:` count of a callgrind dump, waiting at most 10 s for it to be
/// written.
fn dump_total(dump: &Path) -> Result<u64, Fail> {
    for _ in 0..100 {
        let text = std::fs::read_to_string(dump).unwrap_or_default();
        let total = text.lines().find_map(|l| {
            let rest = l
                .strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))?;
            rest.split_whitespace().next()?.parse().ok()
        });
        if let Some(total) = total {
            return Ok(total);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(Fail(format!("no count in {}", dump.display())))
}
