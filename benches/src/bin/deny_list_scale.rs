//! The shared deny-list at scale: the figures of the revocation guide's Redis section (src/docs/revocation.md).
//!
//! ```text
//! redis-server --port 6390 --bind 127.0.0.1 --save '' &
//! REDIS_URL=redis://127.0.0.1:6390 cargo run --release -p tower-cognito-benches --bin deny_list_scale -- [entries]
//! ```
//!
//! Writes `entries` (default 1 000 000, at most 10 000 000) UUID-shaped ids straight into a sorted
//! set of its own on the Redis at `REDIS_URL` (pipelined `ZADD`s), then measures, in this one
//! process:
//!
//! - the full resync of a replica started afterwards, with a 250 ms command timeout (its
//!   `connect`: the paged read, the one swap of the local copy);
//! - the resident memory that replica's local copy takes per entry: `VmRSS` of
//!   `/proc/self/status` after the sync minus before it, over the entries (Linux); and the peak
//!   (`VmHWM`) over the same span;
//! - a revocation on the large list (`revoke`: the copy of its recent entries), median of 1 000;
//! - a revocation made on a small replica reaching the large one over pub/sub, median of 200.
//!
//! The set is deleted at the end. Only loopback Redis URLs are accepted: it writes 100 MB.

use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tower_cognito::deny::DenyList;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("no runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("deny_list_scale: {e}");
            ExitCode::FAILURE
        }
    }
}

type Error = Box<dyn std::error::Error>;

/// `VmRSS` or `VmHWM` of this process, in bytes.
fn memory(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn uuid(i: u64) -> String {
    format!("{:08x}-0000-4000-8000-{:012x}", i >> 16, i)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

async fn run() -> Result<(), Error> {
    let url = std::env::var("REDIS_URL").map_err(|_| "set REDIS_URL=redis://127.0.0.1:PORT")?;
    let parsed = url::Url::parse(&url)?;
    if !matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")) {
        return Err("REDIS_URL must point at a loopback host".into());
    }
    let entries: u64 = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 1_000_000,
    };
    if !(1..=10_000_000).contains(&entries) {
        return Err("entries: from 1 to 10 000 000".into());
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let key = format!("tower-cognito-scale:{}:{now}", std::process::id());
    let client = redis::Client::open(url.as_str())?;
    let config =
        redis::AsyncConnectionConfig::new().set_response_timeout(Some(Duration::from_secs(60)));
    let mut raw = client
        .get_multiplexed_async_connection_with_config(&config)
        .await?;
    let result = measure(&url, &key, entries, now, &mut raw).await;
    let _: u64 = redis::cmd("DEL").arg(&key).query_async(&mut raw).await?;
    result
}

async fn measure(
    url: &str,
    key: &str,
    entries: u64,
    now: u64,
    raw: &mut redis::aio::MultiplexedConnection,
) -> Result<(), Error> {
    let connect = || {
        DenyList::redis(url)
            .key(key)
            .timeout(Duration::from_millis(250))
            .startup_timeout(Duration::from_secs(600))
            .connect()
    };
    let small = connect().await?;

    let start = Instant::now();
    let mut next = 0;
    while next < entries {
        let mut pipe = redis::pipe();
        for _ in 0..20 {
            let cmd = pipe.cmd("ZADD").arg(key);
            for i in next..(next + 1_000).min(entries) {
                cmd.arg(now + 3_600 + i % 3_600).arg(uuid(i));
            }
            cmd.ignore();
            next += 1_000;
            if next >= entries {
                break;
            }
        }
        let _: () = pipe.query_async(raw).await?;
    }
    let written = start.elapsed();

    let (rss_before, peak_before) = (memory("VmRSS:"), memory("VmHWM:"));
    let start = Instant::now();
    let large = connect().await?;
    let resync = start.elapsed();
    let (rss_after, peak_after) = (memory("VmRSS:"), memory("VmHWM:"));
    let held = large.len();
    if held as u64 != entries || large.status().skipped_entries != 0 {
        return Err(format!("the replica holds {held} of {entries} entries").into());
    }
    let per_entry = |before: Option<u64>, after: Option<u64>| {
        before.zip(after).map_or("n/a".to_owned(), |(b, a)| {
            format!("{:.0}", a.saturating_sub(b) as f64 / held as f64)
        })
    };

    let mut revokes = Vec::with_capacity(1_000);
    for i in 0..1_000 {
        let start = Instant::now();
        large.revoke(&format!("local-{i}"), now + 600);
        revokes.push(start.elapsed());
    }

    let mut propagation = Vec::with_capacity(200);
    for i in 0..200 {
        let id = format!("propagated-{i}");
        let start = Instant::now();
        small.revoke(&id, now + 600);
        while !large.is_revoked(&id, now, Duration::ZERO) {
            if start.elapsed() > Duration::from_secs(10) {
                return Err(format!("revocation {i} did not reach the large replica").into());
            }
            tokio::task::yield_now().await;
        }
        propagation.push(start.elapsed());
    }

    println!("entries                               {held}");
    println!("written (pipelined ZADD)              {written:.2?}");
    println!("full resync, 250 ms command timeout   {resync:.2?}");
    println!(
        "local copy, resident bytes per entry  {}",
        per_entry(rss_before, rss_after)
    );
    println!(
        "peak growth during the resync, B/entry {}",
        per_entry(peak_before, peak_after)
    );
    println!(
        "revoke on the large list (median)     {:.2?}",
        median(revokes)
    );
    println!(
        "small -> large replica over pub/sub (median) {:.2?}",
        median(propagation)
    );
    Ok(())
}
