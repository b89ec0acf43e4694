//! The key refresher against a real HTTP server: initial load, periodic refresh, unknown-`kid`
//! refetches and their cooldown, outages, bad bodies, rotation, lazy start, shutdown, redirects.
//!
//! Most tests run on tokio's paused clock. Paused time auto-advances whenever the runtime is idle,
//! which would fire the fetch timeout while a real request is still on the wire; so these tests
//! never idle while a fetch may be in flight: they wait with bounded loops that yield (a yielding
//! task keeps the runtime busy, and each yield still polls the sockets), and time moves only when
//! a test calls `tokio::time::advance`. The mock servers run on their own threads, outside the
//! paused clock. No real-time sleep anywhere; all traffic goes to 127.0.0.1.

use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use http::{Request, Response, StatusCode, header};
use serde_json::{Value, json};
use tokio::task::{JoinSet, yield_now};
use tokio::time::{Instant, advance};
use tower::{Layer, ServiceExt};
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{
    CognitoAuthLayer, CognitoConfig, CognitoConfigBuilder, ErrorKind, StartError, TokenUse,
    jwks::FetchError,
};
use tower_cognito_test_support::wait::until;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

/// Upper bound of the counter waits (a few seconds of spinning at most); `until` has its own.
const SPINS: usize = 2_000_000;
/// Yields given to the runtime before asserting that something did *not* happen.
const SETTLE_SPINS: usize = 5_000;
const COOLDOWN: Duration = CognitoConfig::DEFAULT_UNKNOWN_KID_COOLDOWN;
const INTERVAL: Duration = CognitoConfig::DEFAULT_REFRESH_INTERVAL;
const MS: Duration = Duration::from_millis(1);

// ---------------------------------------------------------------------------------------------
// Waiting without letting paused time run.

/// Keeps the runtime busy for a while, so that anything already due (a woken refresher, a fetch
/// answered by the server) has run, without moving paused time.
async fn settle() {
    for _ in 0..SETTLE_SPINS {
        yield_now().await;
    }
}

/// `(fetches, failures, swaps)` of the layer's refresher.
fn counts(layer: &CognitoAuthLayer) -> (u64, u64, u64) {
    let s = layer.status().pools.remove(0);
    (s.fetches, s.fetch_failures, s.fetch_successes)
}

/// Waits until the refresher counters are exactly `expected` (`fetches` counts a fetch as soon as
/// it starts, so waiting for the failure or swap as well waits for the fetch to finish).
async fn until_counts(layer: &CognitoAuthLayer, expected: (u64, u64, u64)) {
    for _ in 0..SPINS {
        if counts(layer) == expected {
            return;
        }
        yield_now().await;
    }
    panic!(
        "refresher counters (fetches, failures, swaps): expected {expected:?}, got {:?}",
        counts(layer)
    );
}

/// Waits until the refresher counters are exactly `expected`, then keeps the runtime busy a
/// while and checks that they still are: that many fetches, and not one more.
async fn until_exactly(layer: &CognitoAuthLayer, expected: (u64, u64, u64)) {
    until_counts(layer, expected).await;
    settle().await;
    assert_eq!(
        counts(layer),
        expected,
        "more fetches after reaching {expected:?}"
    );
}

/// Builds the layer with `LayerBuilder::start`, busy-waiting (so paused time stays put while
/// the first fetch is on the wire).
async fn start(config: CognitoConfig) -> CognitoAuthLayer {
    let task = tokio::spawn(CognitoAuthLayer::builder(config).start());
    until("LayerBuilder::start returned", || task.is_finished()).await;
    task.await.unwrap().expect("the first key set loads")
}

/// Runs `LayerBuilder::start` to its end when no key set can load: paused time moves in
/// steps of `STEP`, with the runtime kept busy in between so that every fetch on the wire gets
/// its answer (use a fetch timeout longer than the startup timeout: no fetch then ends by
/// timing out, and the last error is the server's answer).
async fn start_failing(config: CognitoConfig) -> Result<CognitoAuthLayer, StartError> {
    const STEP: Duration = Duration::from_millis(250);
    let task = tokio::spawn(CognitoAuthLayer::builder(config).start());
    for _ in 0..10_000 {
        if task.is_finished() {
            return task.await.unwrap();
        }
        settle().await;
        advance(STEP).await;
    }
    panic!("LayerBuilder::start never returned");
}

/// After `LayerBuilder::start` gave up, a fetch started at its deadline may still have a
/// request on the wire (the HTTP connection runs as its own task): give it time to land.
async fn after_refused_start() {
    for _ in 0..10 {
        settle().await;
    }
}

// ---------------------------------------------------------------------------------------------
// The pool: a local issuer whose JWKS a wiremock server publishes.

struct Pool {
    issuer: LocalIssuer,
    server: MockServer,
    /// Requests answered by the current `publish`, readable without awaiting.
    hits: Arc<AtomicUsize>,
}

/// Answers with a template and counts what it answered. Busy waits read this counter, not
/// wiremock's request log: reading the log awaits the server's lock, which the server holds
/// while it handles a request, and a test task parked there would leave the runtime idle and
/// let paused time run while a fetch is on the wire.
struct Counted {
    hits: Arc<AtomicUsize>,
    template: ResponseTemplate,
}

impl Respond for Counted {
    fn respond(&self, _request: &wiremock::Request) -> ResponseTemplate {
        self.hits.fetch_add(1, Ordering::SeqCst);
        self.template.clone()
    }
}

impl Pool {
    /// A new issuer, and a server publishing its JWKS.
    async fn new() -> Self {
        let pool = Self {
            issuer: LocalIssuer::new().unwrap(),
            server: own_server().await,
            hits: Arc::new(AtomicUsize::new(0)),
        };
        pool.publish_keys().await;
        pool
    }

    fn jwks_path(&self) -> String {
        format!("/{}/.well-known/jwks.json", self.issuer.user_pool_id())
    }

    fn config(&self) -> CognitoConfigBuilder {
        config_for(
            &self.issuer,
            &format!("{}{}", self.server.uri(), self.jwks_path()),
        )
    }

    /// Replaces whatever the server answered (and clears its request log and the hit counter)
    /// with `response` for `GET {jwks path}`. Only called while no fetch is in flight.
    async fn publish(&self, response: ResponseTemplate) {
        self.server.reset().await;
        self.hits.store(0, Ordering::SeqCst);
        Mock::given(method("GET"))
            .and(path(self.jwks_path()))
            .respond_with(Counted {
                hits: Arc::clone(&self.hits),
                template: response,
            })
            .mount(&self.server)
            .await;
    }

    /// Publishes the issuer's current JWKS.
    async fn publish_keys(&self) {
        self.publish(ResponseTemplate::new(200).set_body_json(self.issuer.jwks()))
            .await;
    }

    /// Requests the server received since the last `publish`, from its own log, checked against
    /// the hit counter. Only called while no fetch is in flight (see [`Counted`]).
    async fn requests(&self) -> usize {
        let logged = self.server.received_requests().await.map_or(0, |r| r.len());
        assert_eq!(logged, self.hits(), "request log and hit counter disagree");
        logged
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    async fn until_requests(&self, n: usize) {
        until(&format!("the server got {n} requests"), || self.hits() >= n).await;
    }
}

/// A mock server of this test alone. `MockServer::start` lends servers from a pool shared by all
/// tests of the binary, where a request still on the wire when a test ends would be counted by
/// the next test that borrows the same server.
async fn own_server() -> MockServer {
    MockServer::builder().start().await
}

fn config_for(issuer: &LocalIssuer, jwks_url: &str) -> CognitoConfigBuilder {
    issuer
        .config()
        .jwks_url(jwks_url)
        .token_use(TokenUse::Access)
}

/// A token that is valid in every way but names the key `kid` (signed with the active key).
fn token_with_kid(issuer: &LocalIssuer, kid: &str) -> String {
    issuer.sign_json(
        &json!({ "kid": kid, "alg": "RS256" }),
        &Value::Object(issuer.access_claims()),
    )
}

/// The issuer's current JWKS, as bytes, preceded by spaces up to exactly `len` bytes (still a
/// valid JWKS: loading it would succeed if its size were not checked).
fn padded_jwks(issuer: &LocalIssuer, len: usize) -> Vec<u8> {
    let json = issuer.jwks().to_string();
    assert!(json.len() < len, "the JWKS alone is {} bytes", json.len());
    let mut body = " ".repeat(len - json.len()).into_bytes();
    body.extend_from_slice(json.as_bytes());
    body
}

// ---------------------------------------------------------------------------------------------
// Requests through the real layer.

async fn send(layer: &CognitoAuthLayer, token: &str) -> Response<String> {
    let inner = tower::service_fn(|_req: Request<()>| async {
        Ok::<_, Infallible>(Response::new("inner".to_owned()))
    });
    let request = Request::get("/")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(())
        .unwrap();
    layer.layer(inner).oneshot(request).await.unwrap()
}

fn kind(response: &Response<String>) -> Option<ErrorKind> {
    response
        .extensions()
        .get::<tower_cognito::Error>()
        .map(|e| e.kind())
}

async fn assert_accepted(layer: &CognitoAuthLayer, token: &str) {
    let response = send(layer, token).await;
    assert_eq!(response.status(), StatusCode::OK, "{:?}", kind(&response));
    assert_eq!(response.body(), "inner");
}

async fn assert_unknown_kid(layer: &CognitoAuthLayer, token: &str) {
    let response = send(layer, token).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(kind(&response), Some(ErrorKind::UnknownKeyId));
}

async fn assert_unavailable(layer: &CognitoAuthLayer, token: &str) {
    let response = send(layer, token).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(kind(&response), Some(ErrorKind::KeysUnavailable));
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .expect("a 503 carries Retry-After");
    let secs: u64 = retry_after.to_str().unwrap().parse().unwrap();
    assert!(secs > 0);
}

fn kids(layer: &CognitoAuthLayer) -> Vec<String> {
    let mut kids: Vec<String> = layer.pools()[0].key_set.kids().map(str::to_owned).collect();
    kids.sort_unstable();
    kids
}

fn sorted(kids: &[&str]) -> Vec<String> {
    let mut kids: Vec<String> = kids.iter().map(|&k| k.to_owned()).collect();
    kids.sort_unstable();
    kids
}

// ---------------------------------------------------------------------------------------------
// A bare HTTP/1.1 server on plain threads, for answers wiremock cannot give: a `Content-Length`
// header with no body behind it, a chunked body (no `Content-Length` at all), a body that stalls.

type Answer = dyn Fn(usize, &mut TcpStream) + Send + Sync;

struct RawServer {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl RawServer {
    /// Answers the `n`th request (from 0) with `answer(n, stream)`; the connection then closes.
    fn start(answer: impl Fn(usize, &mut TcpStream) + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let answer: Arc<Answer> = Arc::new(answer);
        let accept = std::thread::spawn({
            let (hits, stop) = (Arc::clone(&hits), Arc::clone(&stop));
            move || {
                for stream in listener.incoming().take(1000) {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(mut stream) = stream else { continue };
                    let (hits, answer) = (Arc::clone(&hits), Arc::clone(&answer));
                    std::thread::spawn(move || {
                        // Bounds every blocking read (not a sleep: reads end as soon as the client
                        // sends or closes).
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                        if read_head(&mut stream) {
                            let n = hits.fetch_add(1, Ordering::SeqCst);
                            answer(n, &mut stream);
                        }
                    });
                }
            }
        });
        Self {
            addr,
            hits,
            stop,
            accept: Some(accept),
        }
    }

    fn url(&self, issuer: &LocalIssuer) -> String {
        format!(
            "http://{}/{}/.well-known/jwks.json",
            self.addr,
            issuer.user_pool_id()
        )
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// Reads a request head (up to the blank line); false if the peer closed first.
fn read_head(stream: &mut TcpStream) -> bool {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while head.len() < 64 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return false,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.windows(4).any(|w| w == b"\r\n\r\n") {
            return true;
        }
    }
    false
}

/// Keeps the connection open, without sending anything more, until the client goes away.
fn hold_open(stream: &mut TcpStream) {
    let mut buf = [0u8; 1024];
    for _ in 0..1000 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

fn write_json(stream: &mut TcpStream, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

// =============================================================================================
// Initial load and startup.

#[tokio::test]
async fn initial_load_fetches_once_and_a_valid_token_passes() {
    let pool = Pool::new().await;
    let config = pool.config().build().unwrap();

    let layer = CognitoAuthLayer::builder(config).start().await.unwrap();

    assert_eq!(counts(&layer), (1, 0, 1));
    assert_eq!(kids(&layer), vec![pool.issuer.kid()]);
    assert_accepted(&layer, &pool.issuer.access_token()).await;
    settle().await;
    assert_eq!(counts(&layer), (1, 0, 1), "no second fetch");

    let requests = pool.server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "exactly one fetch reached the server");
    let request = &requests[0];
    assert_eq!(request.method, http::Method::GET);
    assert_eq!(request.url.path(), pool.jwks_path());
    assert_eq!(
        request.headers.get(header::ACCEPT).unwrap(),
        "application/json"
    );
    let agent = request.headers.get(header::USER_AGENT).unwrap();
    assert!(agent.to_str().unwrap().starts_with("tower-cognito/"));
}

#[tokio::test(start_paused = true)]
async fn start_against_a_failing_server_gives_no_keys_at_the_startup_timeout() {
    let pool = Pool::new().await;
    pool.publish(ResponseTemplate::new(500)).await;
    let startup = Duration::from_secs(10);
    let config = pool
        .config()
        .startup_timeout(startup)
        // Longer than the startup timeout: every fetch that ends before it ends with the 500.
        .fetch_timeout(Duration::from_secs(60))
        .build()
        .unwrap();

    let real_start = std::time::Instant::now();
    let start = Instant::now();
    let result = start_failing(config).await;

    let elapsed = start.elapsed();
    assert!(
        elapsed >= startup && elapsed <= startup + Duration::from_millis(250),
        "returned after {elapsed:?} of (paused) time"
    );
    assert!(real_start.elapsed() < Duration::from_secs(20));
    match result {
        Err(StartError::NoKeys {
            timeout,
            last_error,
            ..
        }) => {
            assert_eq!(timeout, Duration::from_secs(10));
            assert!(
                matches!(last_error, Some(FetchError::Status(500))),
                "{last_error:?}"
            );
        }
        other => panic!("expected NoKeys, got {other:?}"),
    }

    // The refresher of the refused layer is stopped: no fetch, however long we wait (only a
    // request already on the wire at the deadline may still land).
    let at_deadline = pool.hits();
    after_refused_start().await;
    for _ in 0..10 {
        advance(INTERVAL).await;
        settle().await;
    }
    let requests = pool.hits();
    assert!(
        requests == at_deadline || requests == at_deadline + 1,
        "{at_deadline} requests at the deadline, {requests} after"
    );
    // Retries backed off: fetches at 0 s and after jittered waits of 0.25-0.5 s, 0.5-1 s, 1-2 s,
    // 2-4 s, 4-8 s (plus up to one 250 ms step each): the 4th retry comes by 8.5 s at the
    // latest, the 6th after 15.75 s at the earliest.
    assert!((5..=6).contains(&requests), "{requests} fetches in 10 s");
}

// =============================================================================================
// Periodic refresh.

#[tokio::test(start_paused = true)]
async fn periodic_refresh_fetches_once_per_interval() {
    let pool = Pool::new().await;
    let interval = Duration::from_secs(60);
    let layer = start(pool.config().refresh_interval(interval).build().unwrap()).await;
    assert_eq!(counts(&layer), (1, 0, 1));

    for round in 2..=4 {
        advance(interval - MS).await;
        settle().await;
        assert_eq!(
            counts(&layer).0,
            round - 1,
            "no fetch before the interval is over"
        );
        advance(MS).await;
        until_exactly(&layer, (round, 0, round)).await;
        assert_eq!(pool.requests().await, usize::try_from(round).unwrap());
    }
    assert_accepted(&layer, &pool.issuer.access_token()).await;
}

// =============================================================================================
// Unknown `kid`s.

#[tokio::test(start_paused = true)]
async fn unknown_kid_triggers_exactly_one_refetch_per_cooldown() {
    let pool = Pool::new().await;
    let layer = start(pool.config().build().unwrap()).await;
    let good = pool.issuer.access_token();
    assert_eq!(counts(&layer), (1, 0, 1));

    // The initial fetch opened a cooldown: an unknown kid right after start is answered 401 at
    // once, and its refetch is deferred to the end of the cooldown, not dropped.
    assert_unknown_kid(&layer, &token_with_kid(&pool.issuer, "forged-early")).await;
    settle().await;
    assert_eq!(counts(&layer), (1, 0, 1));
    advance(COOLDOWN - MS).await;
    settle().await;
    assert_eq!(counts(&layer), (1, 0, 1), "still inside the cooldown");
    advance(2 * MS).await;
    until_exactly(&layer, (2, 0, 2)).await;

    advance(COOLDOWN + MS).await;
    settle().await;
    assert_eq!(counts(&layer), (2, 0, 2), "time alone fetches nothing");

    // One unknown kid after the cooldown: 401 at once, and exactly one refetch, at once.
    assert_unknown_kid(&layer, &token_with_kid(&pool.issuer, "forged-1")).await;
    until_exactly(&layer, (3, 0, 3)).await;
    assert_eq!(pool.requests().await, 3);

    // More unknown kids just before the cooldown (counted from that refetch) ends: no fetch
    // until it ends, then exactly one.
    advance(COOLDOWN - MS).await;
    assert_unknown_kid(&layer, &token_with_kid(&pool.issuer, "forged-2")).await;
    assert_unknown_kid(&layer, &token_with_kid(&pool.issuer, "forged-3")).await;
    settle().await;
    assert_eq!(counts(&layer), (3, 0, 3));
    advance(2 * MS).await;
    assert_unknown_kid(&layer, &token_with_kid(&pool.issuer, "forged-4")).await;
    until_exactly(&layer, (4, 0, 4)).await;
    assert_eq!(pool.requests().await, 4);
    assert_accepted(&layer, &good).await;
}

/// 100 concurrent requests through clones of the layer, each with its own unknown `kid`; each
/// task yields a few times first, so the requests interleave with the refresher's fetch.
async fn flood(layer: &CognitoAuthLayer, issuer: &LocalIssuer, tag: &str) {
    let mut set = JoinSet::new();
    for i in 0..100 {
        let layer = layer.clone();
        let token = token_with_kid(issuer, &format!("{tag}-{i}"));
        set.spawn(async move {
            for _ in 0..i % 7 {
                yield_now().await;
            }
            send(&layer, &token).await
        });
    }
    let mut answered = 0;
    while let Some(response) = set.join_next().await {
        let response = response.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(kind(&response), Some(ErrorKind::UnknownKeyId));
        answered += 1;
    }
    assert_eq!(answered, 100);
}

#[tokio::test(start_paused = true)]
async fn unknown_kid_flood_costs_one_fetch_per_cooldown() {
    let pool = Pool::new().await;
    let layer = start(pool.config().build().unwrap()).await;
    let good = pool.issuer.access_token();
    advance(COOLDOWN + MS).await;
    settle().await;
    assert_eq!(counts(&layer), (1, 0, 1));

    // The flood: one refetch in all (initial + 1), single flight.
    flood(&layer, &pool.issuer, "flood-a").await;
    until_exactly(&layer, (2, 0, 2)).await;
    assert_eq!(pool.requests().await, 2);
    assert_accepted(&layer, &good).await;

    // A second flood inside the cooldown: no fetch at all.
    flood(&layer, &pool.issuer, "flood-b").await;
    settle().await;
    assert_eq!(counts(&layer), (2, 0, 2), "one fetch per cooldown");
    assert_eq!(pool.requests().await, 2);
    assert_accepted(&layer, &good).await;

    // Past the cooldown, another unknown kid: exactly one more.
    advance(COOLDOWN + MS).await;
    assert_unknown_kid(&layer, &token_with_kid(&pool.issuer, "forged-after")).await;
    until_exactly(&layer, (3, 0, 3)).await;
    assert_eq!(pool.requests().await, 3);
}

// =============================================================================================
// Outages and bad answers: the last good key set stays.

#[tokio::test(start_paused = true)]
async fn outage_keeps_the_old_keys_and_backs_off() {
    let pool = Pool::new().await;
    let layer = start(pool.config().build().unwrap()).await;
    let good = pool.issuer.access_token();
    let before = kids(&layer);

    pool.publish(ResponseTemplate::new(500)).await;

    // An unknown kid after the cooldown: one refetch, which fails.
    advance(COOLDOWN + MS).await;
    assert_unknown_kid(&layer, &token_with_kid(&pool.issuer, "forged")).await;
    until_counts(&layer, (2, 1, 1)).await;
    assert_accepted(&layer, &good).await;
    assert_eq!(kids(&layer), before);

    // Retries back off with jitter: the k-th failure waits between 250 ms * 2^(k-1) and twice
    // that (capped at 30 s). Before the lower bound nothing happens; at the upper bound exactly
    // one more fetch has run.
    for failures in 1..=8u64 {
        let full = Duration::from_millis(500 * (1 << (failures - 1))).min(Duration::from_secs(30));
        let half = full / 2;
        advance(half - MS).await;
        settle().await;
        assert_eq!(counts(&layer), (failures + 1, failures, 1), "too early");
        advance(full - half + MS).await;
        until_counts(&layer, (failures + 2, failures + 1, 1)).await;
        assert_accepted(&layer, &good).await;
        assert_eq!(kids(&layer), before);
    }
    assert_eq!(pool.requests().await, 9);

    // Recovery: the next retry swaps in the new set, and the schedule is the interval again.
    let new_kid = pool.issuer.rotate().unwrap();
    pool.publish_keys().await;
    advance(Duration::from_secs(30)).await;
    until_counts(&layer, (11, 9, 2)).await;
    assert_eq!(
        kids(&layer),
        sorted(&[before[0].as_str(), new_kid.as_str()])
    );
    assert_accepted(&layer, &pool.issuer.access_token()).await;
    assert_accepted(&layer, &good).await;
    advance(INTERVAL - MS).await;
    settle().await;
    assert_eq!(counts(&layer), (11, 9, 2));
    advance(MS).await;
    until_counts(&layer, (12, 9, 3)).await;

    // A later outage starts the backoff over: the first retry comes within 500 ms again.
    pool.publish(ResponseTemplate::new(500)).await;
    advance(INTERVAL).await;
    until_counts(&layer, (13, 10, 3)).await;
    advance(Duration::from_millis(500)).await;
    until_counts(&layer, (14, 11, 3)).await;
    assert_eq!(pool.requests().await, 2);
    assert_accepted(&layer, &good).await;
}

/// Loads the pool's keys, then rotates in a new key and publishes `bad` instead (built from the
/// issuer, which now has the new key); an unknown-kid request after the cooldown triggers one
/// refetch. The refetch must fail, and the old set stay: the new key must not load.
async fn assert_bad_answer_keeps_keys(
    bad: impl FnOnce(&LocalIssuer) -> ResponseTemplate,
    tweak: impl FnOnce(CognitoConfigBuilder) -> CognitoConfigBuilder,
) {
    let pool = Pool::new().await;
    let layer = start(tweak(pool.config()).build().unwrap()).await;
    let old = pool.issuer.access_token();
    let before = kids(&layer);

    pool.issuer.rotate().unwrap();
    let new = pool.issuer.access_token();
    pool.publish(bad(&pool.issuer)).await;

    advance(COOLDOWN + MS).await;
    assert_unknown_kid(&layer, &new).await;
    until_counts(&layer, (2, 1, 1)).await;
    assert_eq!(pool.requests().await, 1);
    assert_eq!(kids(&layer), before);
    assert_accepted(&layer, &old).await;
    assert_unknown_kid(&layer, &new).await;
    settle().await;
    assert_eq!(counts(&layer), (2, 1, 1));
}

#[tokio::test(start_paused = true)]
async fn garbage_body_keeps_the_old_keys() {
    assert_bad_answer_keeps_keys(
        |_| ResponseTemplate::new(200).set_body_raw("<html>not json{{", "application/json"),
        |c| c,
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn empty_keys_array_keeps_the_old_keys() {
    assert_bad_answer_keeps_keys(
        |_| ResponseTemplate::new(200).set_body_json(json!({ "keys": [] })),
        |c| c,
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn no_keys_member_keeps_the_old_keys() {
    assert_bad_answer_keeps_keys(
        |_| ResponseTemplate::new(200).set_body_json(json!({})),
        |c| c,
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn all_keys_invalid_keeps_the_old_keys() {
    assert_bad_answer_keeps_keys(
        |issuer| {
            let mut jwks = issuer.jwks();
            for key in jwks["keys"].as_array_mut().unwrap() {
                key["use"] = json!("enc");
            }
            ResponseTemplate::new(200).set_body_json(jwks)
        },
        |c| c,
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn error_status_keeps_the_old_keys() {
    for status in [404, 403, 503] {
        assert_bad_answer_keeps_keys(|_| ResponseTemplate::new(status), |c| c).await;
    }
}

#[tokio::test(start_paused = true)]
async fn body_over_max_jwks_size_keeps_the_old_keys_and_exactly_the_cap_loads() {
    let cap = 4096;
    let pool = Pool::new().await;
    let layer = start(pool.config().max_jwks_size(cap).build().unwrap()).await;
    let old = pool.issuer.access_token();
    let old_kid = pool.issuer.kid();

    let new_kid = pool.issuer.rotate().unwrap();
    let new = pool.issuer.access_token();
    // A valid JWKS (with the new key), one byte over the cap.
    pool.publish(
        ResponseTemplate::new(200)
            .set_body_raw(padded_jwks(&pool.issuer, cap + 1), "application/json"),
    )
    .await;
    advance(COOLDOWN + MS).await;
    assert_unknown_kid(&layer, &new).await;
    until_counts(&layer, (2, 1, 1)).await;
    assert_eq!(kids(&layer), vec![old_kid.clone()]);
    assert_accepted(&layer, &old).await;
    assert_unknown_kid(&layer, &new).await;

    // The same document at exactly the cap loads on the backoff retry (at most 500 ms).
    pool.publish(
        ResponseTemplate::new(200).set_body_raw(padded_jwks(&pool.issuer, cap), "application/json"),
    )
    .await;
    advance(Duration::from_millis(500)).await;
    until_counts(&layer, (3, 1, 2)).await;
    assert_eq!(kids(&layer), sorted(&[old_kid.as_str(), new_kid.as_str()]));
    assert_accepted(&layer, &new).await;
    assert_eq!(pool.requests().await, 1);
}

#[tokio::test(start_paused = true)]
async fn content_length_over_the_cap_fails_before_any_body_is_read() {
    let issuer = LocalIssuer::new().unwrap();
    let jwks = issuer.jwks().to_string().into_bytes();
    // First answer: the keys. Then: a Content-Length over the cap and no body at all, the
    // connection held open. Only the header check can end this fetch without the fetch timeout.
    let server = RawServer::start(move |n, stream| {
        if n == 0 {
            write_json(stream, &jwks);
        } else {
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n",
            );
            hold_open(stream);
        }
    });
    let config = config_for(&issuer, &server.url(&issuer))
        .max_jwks_size(64 * 1024)
        .build()
        .unwrap();
    let layer = start(config).await;
    assert_eq!(server.hits(), 1);

    advance(COOLDOWN + MS).await;
    assert_unknown_kid(&layer, &token_with_kid(&issuer, "forged")).await;
    // No time passes here: the failure comes from the header alone.
    until_counts(&layer, (2, 1, 1)).await;
    assert_eq!(server.hits(), 2);
    assert_eq!(kids(&layer), vec![issuer.kid()]);
    assert_accepted(&layer, &issuer.access_token()).await;
}

#[tokio::test(start_paused = true)]
async fn chunked_body_over_the_cap_keeps_the_old_keys() {
    let cap = 4096;
    let issuer = LocalIssuer::new().unwrap();
    let old_kid = issuer.kid();
    let old = issuer.access_token();
    let jwks = issuer.jwks().to_string().into_bytes();
    let new_kid = issuer.rotate().unwrap();
    // A valid JWKS with the new key, over the cap, sent in chunks with no Content-Length: only
    // the running count of body bytes can refuse it.
    let oversized = padded_jwks(&issuer, cap + 100);
    let server = RawServer::start(move |n, stream| {
        if n == 0 {
            write_json(stream, &jwks);
            return;
        }
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
        );
        for chunk in oversized.chunks(1000) {
            let _ = stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes());
            let _ = stream.write_all(chunk);
            let _ = stream.write_all(b"\r\n");
        }
        let _ = stream.write_all(b"0\r\n\r\n");
    });
    let config = config_for(&issuer, &server.url(&issuer))
        .max_jwks_size(cap)
        .build()
        .unwrap();
    let layer = start(config).await;
    assert_eq!(kids(&layer), vec![old_kid.clone()]);

    advance(COOLDOWN + MS).await;
    let new = issuer.access_token();
    assert_unknown_kid(&layer, &new).await;
    until_counts(&layer, (2, 1, 1)).await;
    assert_eq!(server.hits(), 2);
    assert_eq!(kids(&layer), vec![old_kid]);
    assert!(!layer.pools()[0].key_set.contains(&new_kid));
    assert_unknown_kid(&layer, &new).await;
    assert_accepted(&layer, &old).await;
}

#[tokio::test(start_paused = true)]
async fn slow_answer_times_out_and_keeps_the_old_keys() {
    let fetch_timeout = Duration::from_secs(5);
    let pool = Pool::new().await;
    let layer = start(pool.config().fetch_timeout(fetch_timeout).build().unwrap()).await;
    let old = pool.issuer.access_token();
    let before = kids(&layer);

    pool.issuer.rotate().unwrap();
    let new = pool.issuer.access_token();
    // The server holds the answer (its own real-time clock); the fetch must give up first.
    pool.publish(
        ResponseTemplate::new(200)
            .set_body_json(pool.issuer.jwks())
            .set_delay(Duration::from_secs(120)),
    )
    .await;
    advance(COOLDOWN + MS).await;
    assert_unknown_kid(&layer, &new).await;
    pool.until_requests(1).await;
    advance(fetch_timeout - MS).await;
    settle().await;
    assert_eq!(counts(&layer), (2, 0, 1), "still waiting for the answer");
    assert_accepted(&layer, &old).await;
    advance(MS).await;
    until_counts(&layer, (2, 1, 1)).await;
    assert_eq!(kids(&layer), before);
    assert_accepted(&layer, &old).await;
    assert_unknown_kid(&layer, &new).await;
}

#[tokio::test(start_paused = true)]
async fn stalled_body_times_out_and_keeps_the_old_keys() {
    let fetch_timeout = Duration::from_secs(5);
    let issuer = LocalIssuer::new().unwrap();
    let jwks = issuer.jwks().to_string().into_bytes();
    // Headers and the first bytes of the body come at once; the rest never does.
    let server = RawServer::start(move |n, stream| {
        if n == 0 {
            write_json(stream, &jwks);
            return;
        }
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2000\r\n\r\n{\"keys\": [",
        );
        hold_open(stream);
    });
    let config = config_for(&issuer, &server.url(&issuer))
        .fetch_timeout(fetch_timeout)
        .build()
        .unwrap();
    let layer = start(config).await;

    advance(COOLDOWN + MS).await;
    assert_unknown_kid(&layer, &token_with_kid(&issuer, "forged")).await;
    until("the stalled request arrived", || server.hits() == 2).await;
    settle().await;
    assert_eq!(counts(&layer), (2, 0, 1), "the body is still awaited");
    advance(fetch_timeout).await;
    until_counts(&layer, (2, 1, 1)).await;
    assert_eq!(kids(&layer), vec![issuer.kid()]);
    assert_accepted(&layer, &issuer.access_token()).await;
}

// =============================================================================================
// Rotation and withdrawal.

#[tokio::test(start_paused = true)]
async fn rotation_and_withdrawal_follow_the_published_set() {
    let pool = Pool::new().await;
    let layer = start(pool.config().build().unwrap()).await;
    let old_kid = pool.issuer.kid();
    let old = pool.issuer.access_token();
    assert_accepted(&layer, &old).await;

    // Rotation: a token of the new key is refused at once, and nudges a refetch.
    let new_kid = pool.issuer.rotate().unwrap();
    let new = pool.issuer.access_token();
    pool.publish_keys().await;
    advance(COOLDOWN + MS).await;
    assert_unknown_kid(&layer, &new).await;
    until_counts(&layer, (2, 0, 2)).await;
    assert_eq!(kids(&layer), sorted(&[old_kid.as_str(), new_kid.as_str()]));
    assert_accepted(&layer, &new).await;
    assert_accepted(&layer, &old).await;

    // Withdrawal: the old key works until the next refresh swaps it out, then never again.
    assert!(pool.issuer.withdraw(&old_kid));
    pool.publish_keys().await;
    assert_accepted(&layer, &old).await;
    advance(INTERVAL - MS).await;
    settle().await;
    assert_eq!(counts(&layer), (2, 0, 2));
    assert_accepted(&layer, &old).await;
    advance(MS).await;
    until_counts(&layer, (3, 0, 3)).await;
    assert_eq!(kids(&layer), vec![new_kid.clone()]);
    assert_unknown_kid(&layer, &old).await;
    assert_accepted(&layer, &new).await;
    // That 401 nudged no fetch: the periodic refresh just opened a cooldown.
    settle().await;
    assert_eq!(counts(&layer), (3, 0, 3));
    assert_eq!(pool.requests().await, 1);
}

// =============================================================================================
// Lazy start.

#[tokio::test(start_paused = true)]
async fn lazy_layer_answers_503_until_the_jwks_recovers() {
    let pool = Pool::new().await;
    pool.publish(ResponseTemplate::new(500)).await;
    let layer = CognitoAuthLayer::builder(pool.config().build().unwrap())
        .build()
        .unwrap();
    let token = pool.issuer.access_token();

    assert_unavailable(&layer, &token).await;
    until_counts(&layer, (1, 1, 0)).await;
    assert!(layer.pools()[0].key_set.is_empty());
    assert_unavailable(&layer, &token).await;

    // Still down after the first backoff.
    advance(Duration::from_millis(500)).await;
    until_counts(&layer, (2, 2, 0)).await;
    assert_unavailable(&layer, &token).await;

    // Recovery: the next retry (within 1 s) loads the keys, and requests pass.
    pool.publish_keys().await;
    advance(Duration::from_millis(500) - MS).await;
    settle().await;
    assert_eq!(
        counts(&layer),
        (2, 2, 0),
        "jittered backoff: at least 500 ms"
    );
    advance(Duration::from_millis(500) + MS).await;
    until_counts(&layer, (3, 2, 1)).await;
    assert_accepted(&layer, &token).await;
    assert_eq!(pool.requests().await, 1);
}

// =============================================================================================
// Shutdown.

#[tokio::test(start_paused = true)]
async fn refresher_stops_when_the_last_layer_and_service_are_dropped() {
    let pool = Pool::new().await;
    let interval = Duration::from_secs(60);
    let layer = start(pool.config().refresh_interval(interval).build().unwrap()).await;
    let inner = tower::service_fn(|_req: Request<()>| async {
        Ok::<_, Infallible>(Response::new(String::new()))
    });
    let service = layer.layer(inner);
    let service_clone = service.clone();
    let layer_clone = layer.clone();
    assert_eq!(pool.requests().await, 1);

    // The layers are gone, but a service still holds the shared state: refreshes go on.
    drop(layer);
    drop(layer_clone);
    advance(interval).await;
    pool.until_requests(2).await;
    settle().await;
    drop(service);
    advance(interval).await;
    pool.until_requests(3).await;
    settle().await;

    // The last holder goes: the refresher ends.
    drop(service_clone);
    for _ in 0..20 {
        advance(interval).await;
        settle().await;
    }
    assert_eq!(pool.requests().await, 3);
}

// =============================================================================================
// Redirects.

#[tokio::test(start_paused = true)]
async fn redirect_to_another_host_is_not_followed() {
    let pool = Pool::new().await;
    let layer = start(pool.config().build().unwrap()).await;
    let old = pool.issuer.access_token();

    // Another server, publishing a rotated set: it must never be asked.
    pool.issuer.rotate().unwrap();
    let new = pool.issuer.access_token();
    let elsewhere = own_server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pool.issuer.jwks()))
        .named("the redirect target")
        .expect(0)
        .mount(&elsewhere)
        .await;
    pool.publish(ResponseTemplate::new(302).insert_header(
        header::LOCATION.as_str(),
        format!("{}{}", elsewhere.uri(), pool.jwks_path()).as_str(),
    ))
    .await;

    advance(COOLDOWN + MS).await;
    assert_unknown_kid(&layer, &new).await;
    until_counts(&layer, (2, 1, 1)).await;
    settle().await;
    assert_eq!(pool.requests().await, 1);
    assert_eq!(elsewhere.received_requests().await.unwrap().len(), 0);
    assert_eq!(kids(&layer).len(), 1);
    assert_accepted(&layer, &old).await;
    assert_unknown_kid(&layer, &new).await;
}

#[tokio::test(start_paused = true)]
async fn redirect_at_start_to_another_host_gives_no_keys() {
    let pool = Pool::new().await;
    let elsewhere = own_server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pool.issuer.jwks()))
        .expect(0)
        .mount(&elsewhere)
        .await;
    pool.publish(ResponseTemplate::new(307).insert_header(
        header::LOCATION.as_str(),
        format!("{}{}", elsewhere.uri(), pool.jwks_path()).as_str(),
    ))
    .await;
    let config = pool
        .config()
        .startup_timeout(Duration::from_secs(5))
        .fetch_timeout(Duration::from_secs(60))
        .build()
        .unwrap();

    match start_failing(config).await {
        Err(StartError::NoKeys { last_error, .. }) => {
            assert!(
                matches!(last_error, Some(FetchError::Status(307))),
                "{last_error:?}"
            );
        }
        other => panic!("expected NoKeys, got {other:?}"),
    }
    after_refused_start().await;
    assert!(pool.hits() >= 1);
    assert_eq!(elsewhere.received_requests().await.unwrap().len(), 0);
}

#[tokio::test(start_paused = true)]
async fn redirect_on_the_same_origin_is_followed() {
    let pool = Pool::new().await;
    let moved = format!("/moved{}", pool.jwks_path());
    pool.server.reset().await;
    Mock::given(method("GET"))
        .and(path(pool.jwks_path()))
        .respond_with(
            ResponseTemplate::new(301).insert_header(header::LOCATION.as_str(), moved.as_str()),
        )
        .mount(&pool.server)
        .await;
    Mock::given(method("GET"))
        .and(path(moved.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(pool.issuer.jwks()))
        .mount(&pool.server)
        .await;

    let layer = start(pool.config().build().unwrap()).await;
    assert_eq!(counts(&layer), (1, 0, 1));
    let requests = pool.server.received_requests().await.unwrap();
    let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    assert_eq!(paths, [pool.jwks_path(), moved], "the 301, then its target");
    assert_accepted(&layer, &pool.issuer.access_token()).await;
}

/// A test issuer's config taken before `serve` points at loopback, never at the real AWS URL:
/// a layer built from it fails at once, with the refused connection as its reason (paused time:
/// the startup wait passes without waiting).
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_test_issuer_config_before_serve_never_goes_online() {
    let issuer = LocalIssuer::new().unwrap();
    let config = issuer
        .config()
        .token_use(TokenUse::Access)
        .startup_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    assert!(
        config.jwks_url().starts_with("http://127.0.0.1:"),
        "{}",
        config.jwks_url()
    );
    assert!(!config.jwks_url().contains("amazonaws"));
    let server = issuer.serve().await.unwrap();
    assert_eq!(
        issuer
            .config()
            .token_use(TokenUse::Access)
            .build()
            .unwrap()
            .jwks_url(),
        server.jwks_url()
    );
    match CognitoAuthLayer::builder(config).start().await {
        Err(StartError::NoKeys { last_error, .. }) => {
            // The refused connection, kept as the error's source.
            assert!(
                matches!(last_error, Some(FetchError::Transport(_))),
                "{last_error:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// The refresher over an in-memory source (the test issuer itself): no server, the same schedule,
/// the same fetch counts, failures keep the key set, and the typed error is kept.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn an_in_memory_source_refreshes_on_the_same_schedule() {
    let issuer = LocalIssuer::new().unwrap();
    let config = issuer
        .config()
        .token_use(TokenUse::Access)
        .refresh_interval(Duration::from_secs(60))
        .build()
        .unwrap();
    let layer = CognitoAuthLayer::builder(config)
        .jwks_source(issuer.clone())
        .start()
        .await
        .unwrap();
    let token = issuer.access_token();
    assert_eq!(
        (
            issuer.jwks_requests(),
            layer.status().pools[0].fetch_successes
        ),
        (1, 1)
    );
    // A scheduled refresh, then a failing source: the keys stay, the failure is counted.
    advance(Duration::from_secs(60)).await;
    crate::support::until_fetched(&layer, 2).await;
    issuer.respond_with(tower_cognito::test_util::JwksResponse::Status(503));
    advance(Duration::from_secs(60)).await;
    crate::support::until_fetched(&layer, 3).await;
    let stats = layer.status().pools.remove(0);
    assert_eq!(
        (stats.fetch_successes, stats.fetch_failures),
        (2, 1),
        "{stats:?}"
    );
    assert!(layer.verify(&token).is_ok());
    // A body over the cap is refused as such.
    issuer.respond_with(tower_cognito::test_util::JwksResponse::Body(vec![
        b' ';
        70_000
    ]));
    let refused = CognitoAuthLayer::builder(
        issuer
            .config()
            .token_use(TokenUse::Access)
            .startup_timeout(Duration::from_secs(1))
            .build()
            .unwrap(),
    )
    .jwks_source(issuer.clone())
    .start()
    .await
    .unwrap_err();
    assert!(
        matches!(
            refused,
            StartError::NoKeys {
                last_error: Some(FetchError::TooLarge(65_536)),
                ..
            }
        ),
        "{refused:?}"
    );
    // The refused layer fetched at 0 s and retried with backoff (0.25 s at least, doubling)
    // within its 1 s: one to three fetches, all counted by the source.
    let extra = issuer.jwks_requests() - layer.status().pools[0].fetches;
    assert!((1..=3).contains(&extra), "{extra}");
}
