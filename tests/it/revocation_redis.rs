//! The deny-list shared through a real `redis-server` (feature `redis`): two layers in this process
//! are two replicas. Revoke on one, 401 on the other (and the propagation time, p50/p99); a replica
//! started after the revocation sees it; Redis killed and restarted mid-test loses nothing, blocks
//! no request, and every replica converges after the restart.
//!
//! `.ci/run` starts `redis-server` on a loopback port and exports `REDIS_URL`. Without it the tests
//! print "skipped: REDIS_URL not set" and pass, unless `CI` is set: in CI that is a failure. The
//! restart test runs a `redis-server` of its own (from `PATH`) on another loopback port, since it
//! kills it.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{AcceptTokenUse, CognitoAuthLayer, DenyList, ErrorKind};

/// The server `.ci/run` started; `None` (after a notice) outside CI.
fn redis_url() -> Option<String> {
    match std::env::var("REDIS_URL") {
        Ok(url) if !url.trim().is_empty() => {
            let url = url.trim().to_owned();
            let parsed = url::Url::parse(&url).expect("REDIS_URL is not a URL");
            assert!(
                matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")),
                "REDIS_URL must point at a loopback host, got {url}"
            );
            Some(url)
        }
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "REDIS_URL is not set but CI is: .ci/run must start redis-server on a \
                     loopback port and export REDIS_URL=redis://127.0.0.1:PORT"
                );
            }
            eprintln!(
                "skipped: REDIS_URL not set (start `redis-server --port 6390 --bind 127.0.0.1` \
                 and export REDIS_URL=redis://127.0.0.1:6390 to run the Redis deny-list tests)"
            );
            None
        }
    }
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
    let config = issuer
        .config()
        .token_use(AcceptTokenUse::Access)
        .deny_list(deny.clone())
        .build()
        .unwrap();
    CognitoAuthLayer::with_key_set(config, issuer.key_set()).unwrap()
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
async fn revoke_on_one_replica_is_401_on_the_other_and_propagation_is_measured() {
    let Some(url) = redis_url() else { return };
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
    assert!(b.sync_status().in_sync && b.sync_status().shared);
    assert!(layer_b.readiness().is_ready());
}

#[tokio::test]
async fn a_replica_started_after_the_revocation_sees_it() {
    let Some(url) = redis_url() else { return };
    let key = unique_key("late-replica");
    let issuer = LocalIssuer::new().unwrap();
    let a = DenyList::redis(&url).key(&key).connect().await.unwrap();
    let token = token_with_origin(&issuer, "early");
    a.revoke("early", unix_now() + 3600);
    // Written in the background: wait until A has nothing pending.
    within(Duration::from_secs(5), "written", || {
        a.sync_status().pending == 0
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
async fn redis_killed_and_restarted_loses_nothing_and_blocks_nothing() {
    if redis_url().is_none() {
        return;
    }
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
        b.sync_status().failures > 0
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
    assert!(layer_b.readiness().is_ready(), "fail open: still ready");
    assert!(!b.sync_status().in_sync || b.sync_status().failures > 0);
    // The fail-closed replica answers 503 once its maximum staleness has passed.
    within(
        Duration::from_secs(10),
        "the strict replica goes stale",
        || kind(&layer_strict, &untouched) == Some(ErrorKind::RevocationsStale),
    )
    .await;
    assert!(!layer_strict.readiness().is_ready());
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
    assert_eq!(kind(&layer_strict, &during), Some(ErrorKind::Revoked));
    assert_eq!(kind(&layer_strict, &before), Some(ErrorKind::Revoked));
    assert!(layer_strict.readiness().is_ready());
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
