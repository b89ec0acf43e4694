//! Memory soak of the layer under key rotation (run by `cargo xtask memory`).
//!
//! ```text
//! cargo run --release -p tower-cognito-benches --bin soak -- [seconds]
//! ```
//!
//! A `LocalIssuer` serves a JWKS on loopback; a `CognitoAuthLayer` refreshes it every second
//! (unknown-`kid` cooldown 250 ms). A new key is published and signs from then on every
//! `SOAK_ROTATE_SECONDS` (default 3); all but the two newest are withdrawn. A client loop sends
//! requests through the layer in process, every one with a token never seen before except for
//! deliberate repeats: per round, one fresh valid token (sent 4 times: one verification, then
//! cache hits), one token naming a fresh unknown `kid` (correctly signed otherwise), and every 16th
//! round one token of the last withdrawn key. The process RSS (`VmRSS` of `/proc/self/status`) is
//! sampled every second.
//!
//! Each key is its own `LocalIssuer` (same pool and client; the served issuer publishes their
//! JWKS with `respond_with`) so that a withdrawn key is really freed: `LocalIssuer::withdraw`
//! keeps withdrawn keys to sign with, which would grow the harness by one RSA key per rotation.
//!
//! At the end it prints the counters and the RSS summary (start, after warm-up, min, max, end, the
//! slope of the second half) and fails (exit 1) unless the end RSS is within 10% or 5 MiB
//! (whichever is larger) of the RSS after warm-up (`SOAK_WARMUP_SECONDS`, default a quarter of
//! the run, at least 10 s), or when fewer than half of the fresh tokens verified on first use.
//!
//! Everything is bounded: the run lasts the given seconds (default 90, at most 3 600), the client
//! loop at most 10 million rounds. All traffic is on 127.0.0.1.

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tower::{Service, ServiceBuilder, ServiceExt};
use tower_cognito::test_util::{JwksResponse, LocalIssuer};
use tower_cognito::{CognitoAuthLayer, Error};

/// Default run length, in seconds.
const DEFAULT_SECONDS: u64 = 90;
/// Longest accepted run, in seconds.
const MAX_SECONDS: u64 = 3_600;
/// Most client rounds, whatever the duration.
const MAX_ROUNDS: u64 = 10_000_000;
/// Requests with the same fresh token per round (the first verifies, the others may hit the cache).
const REPEATS: usize = 4;
/// The end RSS may exceed the RSS after warm-up by this fraction ...
const TOLERANCE_RATIO: f64 = 0.10;
/// ... or by this many KiB, whichever is larger.
const TOLERANCE_KIB: u64 = 5 * 1024;

/// Reads a positive number of seconds from the environment, or `default`.
fn env_seconds(name: &str, default: u64) -> Result<u64, String> {
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(raw) => raw
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|&s| (1..=MAX_SECONDS).contains(&s))
            .ok_or_else(|| format!("invalid {name} {raw:?}: expected 1 to {MAX_SECONDS}")),
    }
}

/// The resident set size of this process, in KiB.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Least-squares slope of `(seconds, KiB)` points, in KiB per second.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if points.len() < 2 {
        return 0.0;
    }
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    if sxx == 0.0 { 0.0 } else { sxy / sxx }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The signing keys, one `LocalIssuer` each: the published ones (the newest signs) and the last
/// withdrawn one.
#[derive(Debug, Default)]
struct Signers {
    published: VecDeque<LocalIssuer>,
    withdrawn: Option<LocalIssuer>,
}

impl Signers {
    /// The JWKS of the published keys.
    fn jwks(&self) -> Vec<u8> {
        let keys: Vec<Value> = self
            .published
            .iter()
            .flat_map(|issuer| match issuer.jwks() {
                Value::Object(mut doc) => match doc.remove("keys") {
                    Some(Value::Array(keys)) => keys,
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            })
            .collect();
        json!({ "keys": keys }).to_string().into_bytes()
    }
}

/// A new signing key, as a `LocalIssuer` of the default pool and client.
fn signer(n: u64) -> Result<LocalIssuer, String> {
    LocalIssuer::builder()
        .kid(format!("soak-key-{n}"))
        .build()
        .map_err(|e| format!("key generation: {e}"))
}

/// Counters of the client loop.
#[derive(Debug, Default)]
struct Tally {
    requests: u64,
    fresh_tokens: u64,
    fresh_ok_first: u64,
    statuses: BTreeMap<u16, u64>,
    rejections: BTreeMap<String, u64>,
}

impl Tally {
    fn record(&mut self, status: u16, error: Option<&Error>) {
        self.requests += 1;
        *self.statuses.entry(status).or_default() += 1;
        if let Some(error) = error {
            let kind = format!("{:?}", error.kind());
            let name = kind
                .split(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or_default()
                .to_owned();
            *self.rejections.entry(name).or_default() += 1;
        }
    }
}

/// Sends one request with this bearer token through `svc` and records the answer.
async fn send<S>(svc: &mut S, token: &str, tally: &mut Tally) -> Result<u16, String>
where
    S: Service<http::Request<()>, Response = http::Response<String>, Error = Infallible>,
{
    let req = http::Request::get("/")
        .header("authorization", format!("Bearer {token}"))
        .body(())
        .map_err(|e| format!("request: {e}"))?;
    let Ok(ready) = svc.ready().await;
    let Ok(resp) = ready.call(req).await;
    let status = resp.status().as_u16();
    tally.record(status, resp.extensions().get::<Error>());
    Ok(status)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    match soak().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("soak: error: {e}");
            ExitCode::from(2)
        }
    }
}

async fn soak() -> Result<bool, String> {
    let seconds = match std::env::args().nth(1) {
        Some(raw) => raw
            .parse::<u64>()
            .ok()
            .filter(|&s| (1..=MAX_SECONDS).contains(&s))
            .ok_or_else(|| format!("invalid duration {raw:?}: expected 1 to {MAX_SECONDS}"))?,
        None => env_seconds("SOAK_SECONDS", DEFAULT_SECONDS)?,
    };
    let rotate_every = Duration::from_secs(env_seconds("SOAK_ROTATE_SECONDS", 3)?);
    let warmup = env_seconds("SOAK_WARMUP_SECONDS", (seconds / 4).max(10))?.min(seconds);
    let run = Duration::from_secs(seconds);

    // `front` serves the JWKS (its own key is never published); `signers` hold the keys.
    let front = LocalIssuer::builder()
        .kid("soak-front")
        .build()
        .map_err(|e| format!("local issuer: {e}"))?;
    let signers = Arc::new(Mutex::new(Signers::default()));
    {
        let mut s = signers.lock().unwrap_or_else(PoisonError::into_inner);
        s.published.push_back(signer(1)?);
        front.respond_with(JwksResponse::Body(s.jwks()));
    }
    let jwks = front
        .serve()
        .await
        .map_err(|e| format!("local issuer: {e}"))?;
    if !jwks.addr().ip().is_loopback() {
        return Err(format!(
            "the JWKS server is not on loopback: {}",
            jwks.addr()
        ));
    }
    let config = front
        .config()
        .any_token_use()
        .refresh_interval(Duration::from_secs(1))
        .unknown_kid_cooldown(Duration::from_millis(250))
        .build()
        .map_err(|e| format!("configuration: {e}"))?;
    let layer = CognitoAuthLayer::builder(config)
        .start()
        .await
        .map_err(|e| format!("layer: {e}"))?;
    let mut svc =
        ServiceBuilder::new()
            .layer(layer.clone())
            .service_fn(|_req: http::Request<()>| async {
                Ok::<_, Infallible>(http::Response::new(String::new()))
            });

    println!(
        "soak: {seconds} s, warm-up {warmup} s, key rotation every {} s, refresh every 1 s, \
         unknown-kid cooldown 250 ms, JWKS {}",
        rotate_every.as_secs(),
        jwks.jwks_url()
    );

    let start = Instant::now();
    let deadline = start + run;
    let stop = Arc::new(AtomicBool::new(false));

    // RSS sampler: one sample per second, at most seconds + 2.
    let sampler = {
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            let mut samples: Vec<(f64, u64)> = Vec::new();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while samples.len() as u64 <= seconds + 1 && !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                if let Some(kib) = rss_kib() {
                    samples.push((start.elapsed().as_secs_f64(), kib));
                }
            }
            samples
        })
    };

    // Rotation: a new key every `rotate_every`; all but the two newest withdrawn.
    let rotations = Arc::new(AtomicU64::new(0));
    let withdrawals = Arc::new(AtomicU64::new(0));
    let rotator = {
        let (front, signers, stop) = (front.clone(), Arc::clone(&signers), Arc::clone(&stop));
        let (rotations, withdrawals) = (Arc::clone(&rotations), Arc::clone(&withdrawals));
        tokio::spawn(async move {
            let max = seconds / rotate_every.as_secs().max(1) + 1;
            for n in 2..max + 2 {
                tokio::time::sleep(rotate_every).await;
                if stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
                    break;
                }
                // RSA key generation takes a while: off the async workers.
                let new = tokio::task::spawn_blocking(move || signer(n))
                    .await
                    .map_err(|e| format!("key rotation: {e}"))??;
                let mut s = signers.lock().unwrap_or_else(PoisonError::into_inner);
                s.published.push_back(new);
                while s.published.len() > 2 {
                    s.withdrawn = s.published.pop_front();
                    withdrawals.fetch_add(1, Ordering::Relaxed);
                }
                front.respond_with(JwksResponse::Body(s.jwks()));
                rotations.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<(), String>(())
        })
    };

    // The client loop, on the main thread (not a runtime worker): signing blocks it, not the
    // refresher or the sampler.
    let mut tally = Tally::default();
    let mut withdrawn_key_tokens = 0u64;
    let payload = |issuer: &LocalIssuer| Value::Object(issuer.access_claims()).to_string();
    for round in 0..MAX_ROUNDS {
        if Instant::now() >= deadline {
            break;
        }
        let (issuer, withdrawn) = {
            let s = signers.lock().unwrap_or_else(PoisonError::into_inner);
            (s.published.back().cloned(), s.withdrawn.clone())
        };
        let Some(issuer) = issuer else {
            return Err("no signing key".to_owned());
        };
        // A fresh valid token of the newest key, sent REPEATS times.
        let token = issuer.access_token();
        tally.fresh_tokens += 1;
        for i in 0..REPEATS {
            let status = send(&mut svc, &token, &mut tally).await?;
            if i == 0 && status == 200 {
                tally.fresh_ok_first += 1;
            }
        }
        // A fresh unknown kid, correctly signed with the newest key.
        let header = json!({ "kid": format!("soak-unknown-{round}"), "alg": "RS256" });
        let forged = issuer.sign_raw(header.to_string().as_bytes(), payload(&issuer).as_bytes());
        send(&mut svc, &forged, &mut tally).await?;
        // Now and then a token of the last withdrawn key (valid signature, key gone).
        if let Some(old) = withdrawn.filter(|_| round % 16 == 0) {
            send(&mut svc, &old.access_token(), &mut tally).await?;
            withdrawn_key_tokens += 1;
        }
        // Let the runtime breathe between rounds.
        tokio::task::yield_now().await;
    }
    stop.store(true, Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    let rotated = rotator.await.map_err(|e| format!("rotator: {e}"))?;
    let samples = sampler.await.map_err(|e| format!("sampler: {e}"))?;
    rotated?;

    // --- report --------------------------------------------------------------------------------
    let status = layer.status();
    let stats = status.pools.first().ok_or("the layer has no pool")?;
    println!(
        "client: {} requests in {elapsed:.1} s ({:.0}/s), {} fresh tokens ({} verified on first \
         use), {withdrawn_key_tokens} withdrawn-key tokens",
        tally.requests,
        tally.requests as f64 / elapsed,
        tally.fresh_tokens,
        tally.fresh_ok_first
    );
    println!("statuses: {:?}", tally.statuses);
    println!("rejections: {:?}", tally.rejections);
    println!(
        "keys: {} rotations, {} withdrawals, {} published now, layer holds {}; JWKS requests \
         served {}; refresher fetches {}, failures {}, swaps {}",
        rotations.load(Ordering::Relaxed),
        withdrawals.load(Ordering::Relaxed),
        signers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .published
            .len(),
        stats.keys,
        front.jwks_requests(),
        stats.fetches,
        stats.fetch_failures,
        stats.fetch_successes
    );

    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        return Err("no RSS sample (is /proc/self/status readable?)".to_owned());
    };
    let after_warmup = samples
        .iter()
        .find(|(t, _)| *t >= warmup as f64)
        .unwrap_or(last);
    let min = samples.iter().map(|s| s.1).min().unwrap_or(0);
    let max = samples.iter().map(|s| s.1).max().unwrap_or(0);
    let half = samples.len() / 2;
    let second_half: Vec<(f64, f64)> = samples
        .iter()
        .skip(half)
        .map(|&(t, k)| (t, k as f64))
        .collect();
    let slope_kib_s = slope(&second_half);
    let allowed = ((after_warmup.1 as f64 * TOLERANCE_RATIO) as u64).max(TOLERANCE_KIB);
    let growth = last.1 as i64 - after_warmup.1 as i64;
    println!(
        "RSS ({} samples, 1/s): start {} (t={:.0}s), after warm-up {} (t={:.0}s), min {}, max \
         {}, end {} (t={:.0}s); end - warm-up {:+.2} MiB (allowed +{}); second-half slope \
         {:+.1} KiB/s ({:+.2} MiB/min)",
        samples.len(),
        mib(first.1),
        first.0,
        mib(after_warmup.1),
        after_warmup.0,
        mib(min),
        mib(max),
        mib(last.1),
        last.0,
        growth as f64 / 1024.0,
        mib(allowed),
        slope_kib_s,
        slope_kib_s * 60.0 / 1024.0
    );
    let series: Vec<String> = samples
        .iter()
        .map(|s| format!("{:.1}", s.1 as f64 / 1024.0))
        .collect();
    println!("RSS MiB per second: {}", series.join(" "));

    let mut ok = true;
    if growth > allowed as i64 {
        println!("FAIL: the RSS grew by more than the allowance after warm-up");
        ok = false;
    }
    // The issuer signs with a new key as soon as it publishes it: its first tokens get 401
    // (unknown kid) until the layer's refetch, at most a cooldown later. Most must verify.
    if tally.fresh_ok_first * 2 < tally.fresh_tokens {
        println!("FAIL: fewer than half of the fresh tokens verified on first use");
        ok = false;
    }
    if rotations.load(Ordering::Relaxed) == 0 {
        println!("FAIL: no key rotation happened");
        ok = false;
    }
    if ok {
        println!("PASS: RSS flat after warm-up");
    }
    drop(jwks);
    Ok(ok)
}
