//! The deny-list shared through a real `redis-server` (feature `redis`): two layers in this process
//! are two replicas. Revoke on one, 401 on the other (and the propagation time, p50/p99); a replica
//! started after the revocation sees it; Redis killed and restarted mid-test loses nothing, blocks
//! no request, and every replica converges after the restart. Entries no replica can read, or
//! with a far-future expiry, written straight into Redis stop no resync; 1 M entries resync page by
//! page under a short command timeout; a `Verifier` clone outliving its layer keeps no sync task.
//!
//! The tests that need Redis are `#[ignore = "needs REDIS_URL: run cargo xtask test"]`: plain
//! `cargo test` lists them as ignored; `cargo xtask test` starts `redis-server` on a loopback port,
//! exports `REDIS_URL` and runs them; run without `REDIS_URL` (`--include-ignored`) they fail. The
//! restart, unreadable-entry and 1 M-entry tests run a `redis-server` of their own (from `PATH`) on
//! another loopback port, since they kill it, its clients, or load it. The tests that need Redis
//! run one at a time.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{CognitoAuthLayer, ErrorKind, TokenUse, deny::DenyList};

/// The server `cargo xtask test` started (`REDIS_URL`, on loopback). The tests that call this are
/// ignored by plain `cargo test`; run without the variable (`--include-ignored`), they fail here.
fn redis_url() -> String {
    match std::env::var("REDIS_URL") {
        Ok(url) if !url.trim().is_empty() => {
            let url = url.trim().to_owned();
            let parsed = url::Url::parse(&url).expect("REDIS_URL is not a URL");
            assert!(
                matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")),
                "REDIS_URL must point at a loopback host, got {url}"
            );
            url
        }
        _ => panic!(
            "needs REDIS_URL: run cargo xtask test (it starts redis-server and sets it; \
             `cargo xtask services start redis` prints it for a shell)"
        ),
    }
}

/// The Redis tests run one at a time: the 1 M-entry one loads the machine for tens of seconds
/// (in a debug build), and the others measure propagation or wait on reconnects.
async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static REDIS_TESTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    REDIS_TESTS.lock().await
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A key of its own per test, so tests sharing the server do not see each other's entries.
fn unique_key(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("tower-cognito-test:{test}:{}:{nanos}", std::process::id())
}

fn layer(issuer: &LocalIssuer, deny: &DenyList) -> CognitoAuthLayer {
    let config = issuer.config().token_use(TokenUse::Access).build().unwrap();
    CognitoAuthLayer::builder(config)
        .static_keys(issuer.key_set())
        .deny_list(deny.clone())
        .build()
        .unwrap()
}

fn kind(layer: &CognitoAuthLayer, token: &str) -> Option<ErrorKind> {
    layer.verify(token).err().map(|e| e.kind())
}

/// Waits (a real-time deadline, short polls) until `cond` holds; how long it took.
async fn within(limit: Duration, what: &str, cond: impl Fn() -> bool) -> Duration {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_micros(50)).await;
    }
    start.elapsed()
}

fn token_with_origin(issuer: &LocalIssuer, origin: &str) -> String {
    issuer.token().claim("origin_jti", origin).build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs REDIS_URL: run cargo xtask test"]
async fn revoke_on_one_replica_is_401_on_the_other_and_propagation_is_measured() {
    let url = redis_url();
    let _serial = one_at_a_time().await;
    let key = unique_key("two-replicas");
    let issuer = LocalIssuer::new().unwrap();
    let a = DenyList::redis(&url).key(&key).connect().await.unwrap();
    let b = DenyList::redis(&url).key(&key).connect().await.unwrap();
    let (layer_a, layer_b) = (layer(&issuer, &a), layer(&issuer, &b));

    let token = issuer.access_token();
    assert!(layer_b.verify(&token).is_ok(), "cached on B");
    let claims = layer_a.verify(&token).unwrap();
    assert!(a.revoke_session(&claims));
    assert_eq!(
        kind(&layer_a, &token),
        Some(ErrorKind::Revoked),
        "at once on A"
    );
    within(Duration::from_secs(5), "B denies", || {
        kind(&layer_b, &token) == Some(ErrorKind::Revoked)
    })
    .await;

    // Propagation: `revoke` on A to 401 on B (a cached token, so the check is the cache-hit
    // path), over loopback, one revocation at a time.
    let rounds = 200;
    let mut times = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let origin = format!("p-{i}");
        let token = token_with_origin(&issuer, &origin);
        assert!(layer_b.verify(&token).is_ok());
        let start = Instant::now();
        a.revoke(&origin, unix_now() + 3600);
        while kind(&layer_b, &token) != Some(ErrorKind::Revoked) {
            assert!(start.elapsed() < Duration::from_secs(5), "round {i}");
            tokio::task::yield_now().await;
        }
        times.push(start.elapsed());
    }
    times.sort();
    let p50 = times[rounds / 2];
    let p99 = times[rounds * 99 / 100];
    eprintln!(
        "revocation propagation over loopback ({rounds} rounds): p50 {p50:?}, p99 {p99:?}, max {:?}",
        times[rounds - 1]
    );
    assert!(p99 < Duration::from_secs(1), "p99 {p99:?}");
    assert_eq!(b.len(), rounds + 1);
    assert!(b.status().in_sync && b.status().shared);
    assert!(layer_b.status().is_ready());
}

#[tokio::test]
#[ignore = "needs REDIS_URL: run cargo xtask test"]
async fn a_replica_started_after_the_revocation_sees_it() {
    let url = redis_url();
    let _serial = one_at_a_time().await;
    let key = unique_key("late-replica");
    let issuer = LocalIssuer::new().unwrap();
    let a = DenyList::redis(&url).key(&key).connect().await.unwrap();
    let token = token_with_origin(&issuer, "early");
    a.revoke("early", unix_now() + 3600);
    // Written in the background: wait until A has nothing pending.
    within(Duration::from_secs(5), "written", || {
        a.status().pending == 0
    })
    .await;
    // `revoke` is written before the wake is served; give the pipeline its round trip.
    let late = async {
        loop {
            let c = DenyList::redis(&url).key(&key).connect().await.unwrap();
            if c.len() == 1 {
                return c;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    let c = tokio::time::timeout(Duration::from_secs(5), late)
        .await
        .expect("the late replica never saw the revocation");
    let layer_c = layer(&issuer, &c);
    assert_eq!(kind(&layer_c, &token), Some(ErrorKind::Revoked));
}

/// A `redis-server` of the test's own, which it can kill and restart on the same port.
struct Server {
    port: u16,
    child: Option<Child>,
}

impl Server {
    fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is not on PATH (.ci/run installs it)");
        Self {
            port,
            child: Some(child),
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs REDIS_URL: run cargo xtask test"]
async fn redis_killed_and_restarted_loses_nothing_and_blocks_nothing() {
    // A redis-server of its own (from PATH): it needs what `cargo xtask test` sets up too.
    let _ = redis_url();
    let _serial = one_at_a_time().await;
    let port = free_port();
    let mut server = Server::start(port);
    let url = format!("redis://127.0.0.1:{}", server.port);
    let key = unique_key("restart");
    let issuer = LocalIssuer::new().unwrap();
    let connect = |strict: bool| {
        let mut builder = DenyList::redis(&url)
            .key(&key)
            .heartbeat(Duration::from_millis(200))
            .timeout(Duration::from_millis(300));
        if strict {
            builder = builder.max_staleness(Duration::from_secs(2));
        }
        builder.connect()
    };
    // The server takes a moment to listen: `connect` retries within its startup timeout.
    let a = connect(false).await.unwrap();
    let b = connect(false).await.unwrap();
    let strict = connect(true).await.unwrap();
    let (layer_a, layer_b, layer_strict) = (
        layer(&issuer, &a),
        layer(&issuer, &b),
        layer(&issuer, &strict),
    );

    let before = token_with_origin(&issuer, "before");
    let during = token_with_origin(&issuer, "during");
    let untouched = token_with_origin(&issuer, "untouched");
    a.revoke("before", unix_now() + 3600);
    within(Duration::from_secs(5), "B denies `before`", || {
        kind(&layer_b, &before) == Some(ErrorKind::Revoked)
    })
    .await;

    server.kill();
    within(Duration::from_secs(5), "B notices the outage", || {
        b.status().sync_failures > 0
    })
    .await;
    // During the outage: the local copies keep serving, at once; revocations still apply here.
    a.revoke("during", unix_now() + 3600);
    for _ in 0..100 {
        let start = Instant::now();
        assert_eq!(kind(&layer_a, &before), Some(ErrorKind::Revoked));
        assert_eq!(kind(&layer_a, &during), Some(ErrorKind::Revoked));
        assert_eq!(kind(&layer_b, &before), Some(ErrorKind::Revoked));
        assert_eq!(kind(&layer_b, &untouched), None);
        assert!(
            start.elapsed() < Duration::from_millis(50),
            "a request waited"
        );
    }
    assert!(layer_b.status().is_ready(), "fail open: still ready");
    assert!(!b.status().in_sync || b.status().sync_failures > 0);
    // The fail-closed replica answers 503 once its maximum staleness has passed.
    within(
        Duration::from_secs(10),
        "the strict replica goes stale",
        || kind(&layer_strict, &untouched) == Some(ErrorKind::RevocationsStale),
    )
    .await;
    assert!(!layer_strict.status().is_ready());
    assert_eq!(
        layer_strict.verify(&untouched).unwrap_err().status(),
        http::StatusCode::SERVICE_UNAVAILABLE
    );

    // A fresh, empty server on the same port: the replicas write back what they know.
    let _server = Server::start(port);
    within(Duration::from_secs(10), "B converges on `during`", || {
        kind(&layer_b, &during) == Some(ErrorKind::Revoked)
    })
    .await;
    within(
        Duration::from_secs(10),
        "the strict replica recovers",
        || kind(&layer_strict, &untouched).is_none(),
    )
    .await;
    // Redis came back empty: the strict replica is in sync with it as soon as it has resynced,
    // and learns `during` and `before` when A and B write them back (a publication, a moment
    // later). Eventual, never skipped: waited for, bounded.
    within(
        Duration::from_secs(10),
        "the strict replica denies `during`",
        || kind(&layer_strict, &during) == Some(ErrorKind::Revoked),
    )
    .await;
    within(
        Duration::from_secs(10),
        "the strict replica denies `before`",
        || kind(&layer_strict, &before) == Some(ErrorKind::Revoked),
    )
    .await;
    assert!(layer_strict.status().is_ready());
    // Nothing lost: a replica started now gets both from Redis alone.
    let late = connect(false).await.unwrap();
    within(Duration::from_secs(5), "the late replica has both", || {
        late.len() == 2
    })
    .await;
    let layer_late = layer(&issuer, &late);
    assert_eq!(kind(&layer_late, &before), Some(ErrorKind::Revoked));
    assert_eq!(kind(&layer_late, &during), Some(ErrorKind::Revoked));
    assert_eq!(kind(&layer_late, &untouched), None);
}

/// A connection of the test's own, to write into Redis what no replica would (retried while a
/// server of the test's own starts listening).
async fn raw_connection(url: &str) -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(url).unwrap();
    // Bulk writes of the test take longer than the client's default response timeout.
    let config =
        redis::AsyncConnectionConfig::new().set_response_timeout(Some(Duration::from_secs(60)));
    for _ in 0..200 {
        if let Ok(conn) = client
            .get_multiplexed_async_connection_with_config(&config)
            .await
        {
            return conn;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("redis-server at {url} does not answer");
}

const DAY: u64 = 86_400;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs REDIS_URL: run cargo xtask test"]
async fn unreadable_and_far_future_entries_never_stop_revocations_reaching_a_replica() {
    // A redis-server of its own (from PATH): it needs what `cargo xtask test` sets up too.
    let _ = redis_url();
    let _serial = one_at_a_time().await;
    // A server of its own: the test makes every replica reconnect (CLIENT KILL).
    let server = Server::start(free_port());
    let url = format!("redis://127.0.0.1:{}", server.port);
    let key = unique_key("unreadable");
    let issuer = LocalIssuer::new().unwrap();
    let mut raw = raw_connection(&url).await;
    let connect = |strict: bool| {
        let mut builder = DenyList::redis(&url)
            .key(&key)
            .heartbeat(Duration::from_millis(200))
            .timeout(Duration::from_millis(300));
        if strict {
            builder = builder.max_staleness(Duration::from_secs(2));
        }
        builder.connect()
    };
    // Replicas running before the bad entries: one failing open, one failing closed.
    let open = connect(false).await.unwrap();
    let strict = connect(true).await.unwrap();
    let (layer_open, layer_strict) = (layer(&issuer, &open), layer(&issuer, &strict));

    let now = unix_now();
    // Straight into Redis: a score past 2^53 (Redis sends it as 1.8446744073709552e+19), `inf`,
    // a fraction; and members no replica can read: not UTF-8, empty, over 256 bytes.
    let soon = now + 3600;
    let _: () = redis::cmd("ZADD")
        .arg(&key)
        .arg(u64::MAX)
        .arg("far-future")
        .arg("inf")
        .arg("forever")
        .arg(format!("{soon}.5"))
        .arg("fraction")
        .arg(soon)
        .arg(&b"\xff\xfe not utf-8"[..])
        .arg(soon)
        .arg("")
        .arg(soon)
        .arg("x".repeat(300))
        .query_async(&mut raw)
        .await
        .unwrap();
    // And through the API, "for ever": clamped to the maximum entry lifetime.
    open.revoke("revoked-for-ever", u64::MAX);
    within(Duration::from_secs(5), "written", || {
        open.status().pending == 0
    })
    .await;

    // Every replica reconnects, so it resyncs with those entries in the set.
    let resyncs = (open.status().resyncs, strict.status().resyncs);
    for kind in ["pubsub", "normal"] {
        let _: redis::Value = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("TYPE")
            .arg(kind)
            .query_async(&mut raw)
            .await
            .unwrap();
    }
    within(Duration::from_secs(10), "both replicas resync", || {
        open.status().resyncs > resyncs.0 && strict.status().resyncs > resyncs.1
    })
    .await;

    // A replica started now syncs at once.
    let late = connect(false).await.expect("the late replica never synced");
    let layer_late = layer(&issuer, &late);
    let readable = ["far-future", "forever", "fraction", "revoked-for-ever"];
    for list in [&open, &strict, &late] {
        assert_eq!(list.len(), readable.len(), "{list:?}");
        assert_eq!(list.status().skipped_entries, 3);
        for id in readable {
            assert!(list.is_revoked(id, now, Duration::ZERO), "{id}");
        }
        // Clamped: denied for the maximum entry lifetime (10 years and a day), no longer.
        let max = DenyList::MAX_ENTRY_LIFETIME.as_secs();
        assert_eq!(max, 3651 * DAY);
        for id in ["far-future", "forever", "revoked-for-ever"] {
            assert!(list.is_revoked(id, now + max - DAY, Duration::ZERO), "{id}");
            assert!(
                !list.is_revoked(id, unix_now() + max + 1, Duration::ZERO),
                "{id}"
            );
        }
        // A fraction is rounded up: the entry denies at least as long as its score says.
        assert!(list.is_revoked("fraction", soon + 1, Duration::ZERO));
        assert!(!list.is_revoked("fraction", soon + 2, Duration::ZERO));
    }
    // Reported: readiness detail and metrics; the layer stays ready.
    for layer in [&layer_open, &layer_strict, &layer_late] {
        let ready = layer.status();
        assert!(ready.is_ready(), "{ready:?}");
        assert_eq!(ready.deny_list.unwrap().skipped_entries, 3);
        assert_eq!(layer.status().deny_list.unwrap().skipped_entries, 3);
    }
    // The fail-closed replica is in sync, not stale.
    let untouched = token_with_origin(&issuer, "untouched");
    assert_eq!(kind(&layer_strict, &untouched), None);

    // Later revocations reach every replica, whichever makes them.
    for (i, from) in [&open, &strict, &late].into_iter().enumerate() {
        let origin = format!("later-{i}");
        let token = token_with_origin(&issuer, &origin);
        from.revoke(&origin, unix_now() + 3600);
        for (name, layer) in [
            ("open", &layer_open),
            ("strict", &layer_strict),
            ("late", &layer_late),
        ] {
            within(
                Duration::from_secs(5),
                &format!("{origin} on {name}"),
                || kind(layer, &token) == Some(ErrorKind::Revoked),
            )
            .await;
        }
    }
    let last = connect(false).await.unwrap();
    assert_eq!(last.len(), readable.len() + 3);
}

/// A UUID-shaped id (36 bytes, as Cognito's `origin_jti`) per number.
fn uuid(i: u64) -> String {
    format!("{:08x}-0000-4000-8000-{:012x}", i >> 16, i)
}

/// 1 M entries (with members removed and added during the read) resync page by page under a
/// 250 ms command timeout, and nothing present for the whole read is missed. Prints the write and
/// resync times (a debug build spends most of it parsing replies); the revocation guide's figures come from
/// the `deny_list_scale` binary of tower-cognito-benches in release.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs REDIS_URL: run cargo xtask test"]
async fn a_million_entries_resync_page_by_page_under_a_short_timeout() {
    // A redis-server of its own (from PATH): it needs what `cargo xtask test` sets up too.
    let _ = redis_url();
    let _serial = one_at_a_time().await;
    const ENTRIES: u64 = 1_000_000;
    const REMOVED: u64 = 10_000;
    const ADDED: u64 = 1_000;
    // A server of its own: 1 M entries (about 100 MB in Redis) and the writes would slow the
    // shared server's other tests.
    let server = Server::start(free_port());
    let url = format!("redis://127.0.0.1:{}", server.port);
    let key = unique_key("million");
    let mut raw = raw_connection(&url).await;
    let connect = || {
        DenyList::redis(&url)
            .key(&key)
            .timeout(Duration::from_millis(250))
            .startup_timeout(Duration::from_secs(300))
    };
    // Connected before the bulk write (which bypasses it): it revokes during the late read.
    let writer = connect().connect().await.unwrap();

    let now = unix_now();
    let start = Instant::now();
    let per_command = 1_000;
    let per_pipeline = 20;
    let mut next = 0;
    while next < ENTRIES {
        let mut pipe = redis::pipe();
        for _ in 0..per_pipeline {
            if next >= ENTRIES {
                break;
            }
            let cmd = pipe.cmd("ZADD").arg(&key);
            for i in next..(next + per_command).min(ENTRIES) {
                cmd.arg(now + 3600 + i % 3600).arg(uuid(i));
            }
            cmd.ignore();
            next += per_command;
        }
        let _: () = pipe.query_async(&mut raw).await.unwrap();
    }
    let count: u64 = redis::cmd("ZCARD")
        .arg(&key)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(count, ENTRIES);
    let written = start.elapsed();

    // During the read: members removed straight from Redis, others revoked on another replica.
    let changes = {
        let mut raw = raw.clone();
        let key = key.clone();
        let writer = writer.clone();
        tokio::spawn(async move {
            for chunk in (0..REMOVED).collect::<Vec<_>>().chunks(1_000) {
                let mut zrem = redis::cmd("ZREM");
                zrem.arg(&key);
                for i in chunk {
                    zrem.arg(uuid(ENTRIES - 1 - i * 7));
                }
                let _: u64 = zrem.query_async(&mut raw).await.unwrap();
                for i in chunk.iter().take(100) {
                    writer.revoke(&format!("added-{i}"), now + 7200);
                }
                // Spread over the read (which takes seconds); the checks hold either way.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let start = Instant::now();
    let late = connect()
        .connect()
        .await
        .expect("1 M entries never resynced");
    let resynced = start.elapsed();
    changes.await.unwrap();
    let removed: std::collections::HashSet<u64> =
        (0..REMOVED).map(|i| ENTRIES - 1 - i * 7).collect();
    let added: Vec<String> = (0..REMOVED / 1_000)
        .flat_map(|c| (c * 1_000..c * 1_000 + 100).map(|i| format!("added-{i}")))
        .collect();
    assert_eq!(added.len() as u64, ADDED);
    within(
        Duration::from_secs(10),
        "the additions reach the late replica",
        || {
            added
                .iter()
                .all(|id| late.is_revoked(id, now, Duration::ZERO))
        },
    )
    .await;
    // Nothing that existed for the whole read is missing.
    for i in (0..ENTRIES).filter(|i| !removed.contains(i)) {
        assert!(late.is_revoked(&uuid(i), now, Duration::ZERO), "entry {i}");
    }
    let held = late.len() as u64;
    assert!(
        (ENTRIES - REMOVED + ADDED..=ENTRIES + ADDED).contains(&held),
        "{held}"
    );
    assert_eq!(late.status().skipped_entries, 0);
    // And the other way: a revocation on the large replica reaches the small one.
    late.revoke("from-the-large-one", now + 3600);
    within(Duration::from_secs(5), "the small replica denies", || {
        writer.is_revoked("from-the-large-one", now, Duration::ZERO)
    })
    .await;
    eprintln!(
        "1 M entries: written in {written:?}, resynced in {resynced:?} (250 ms command timeout, \
         {held} entries held)"
    );
}

/// No server needed: a Redis password never shows in the builder's `Debug` or in an error,
/// whether in the URL's userinfo or in the query of a `redis+unix://` URL.
#[test]
fn no_redis_password_shows_in_debug_or_errors() {
    for url in [
        "redis://:s3cret@127.0.0.1:6379",
        "redis://app:s3cret@127.0.0.1:6379/1",
        "redis+unix:///run/redis.sock?pass=s3cret",
        "redis+unix:///run/redis.sock?db=0&password=s3cret",
    ] {
        let debug = format!("{:?}", DenyList::redis(url));
        assert!(!debug.contains("s3cret"), "{debug}");
    }
    // Refused URLs (the error carries the URL, redacted); refused before any runtime is needed.
    for url in [
        "redis+unix:///run/redis.sock?pass=s3cret&db=x",
        "rediss://:s3cret@127.0.0.1",
        "redis://:s3cret@[::",
    ] {
        let err = DenyList::redis(url).start().unwrap_err();
        for shown in [format!("{err:?}"), err.to_string()] {
            assert!(!shown.contains("s3cret"), "{shown}");
        }
    }
}

/// A layer's `Verifier` holds its pool's rules and the leeway, not the layer's deny-list: a clone
/// of it that outlives the layer and every handle of the list keeps no sync task (and none of
/// its Redis connections) alive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs REDIS_URL: run cargo xtask test"]
async fn a_verifier_outliving_its_layer_keeps_no_sync_task_alive() {
    // A redis-server of its own (from PATH), so that its clients are this test's only.
    let _ = redis_url();
    let _serial = one_at_a_time().await;
    let server = Server::start(free_port());
    let url = format!("redis://127.0.0.1:{}", server.port);
    let mut raw = raw_connection(&url).await;
    // The server's clients besides this test's own connection.
    async fn others(raw: &mut redis::aio::MultiplexedConnection) -> usize {
        let list: String = redis::cmd("CLIENT")
            .arg("LIST")
            .query_async(raw)
            .await
            .unwrap();
        list.lines().count().saturating_sub(1)
    }
    let issuer = LocalIssuer::new().unwrap();
    let deny = DenyList::redis(&url)
        .key(unique_key("verifier"))
        .connect()
        .await
        .unwrap();
    let layer = layer(&issuer, &deny);
    drop(deny);
    let verifier = layer.verifier().clone();
    assert!(others(&mut raw).await > 0, "the sync task is connected");

    drop(layer);
    let start = Instant::now();
    while others(&mut raw).await > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "a verifier clone keeps the deny-list's sync task connected"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The verifier still verifies, with its pool's rules.
    assert!(
        verifier
            .verify(&issuer.access_token(), &issuer.key_set(), issuer.now())
            .is_ok()
    );
}
