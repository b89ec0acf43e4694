//! The deny-list shared by every replica through Redis (feature `redis`).
//!
//! Layout: one sorted set `{key}` (member: the id, score: its `until`) and one pub/sub channel of
//! the same name (payload: `"{until} {id}"`). Every replica runs one sync task:
//!
//! 1. connect, subscribe to the channel, and only then read the whole sorted set (a full resync:
//!    nothing published after the subscription is missed, nothing before it is either). The read
//!    is paged (`ZSCAN`, each page its own command under the command timeout), so it completes for
//!    any size; each entry is parsed on its own, and one that cannot be read is skipped and
//!    counted, never the end of the resync;
//! 2. write back what this replica knows and Redis does not (revocations made during an outage, or
//!    a Redis that lost its data on restart) and publish them, in bounded pipelines, so every
//!    replica converges;
//! 3. apply publications as they come, write this replica's revocations as they are made
//!    (`ZADD GT` + `PUBLISH`), and ping on every heartbeat, which stamps the list as in sync;
//! 4. on any error, back off and start again at 1.
//!
//! The set only grows by revocations and shrinks by expiry, so merging (the later `until` wins) is
//! the whole conflict rule. The request path never waits for any of this: it reads the local copy.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use ::redis::aio::MultiplexedConnection;
use ::redis::{AsyncConnectionConfig, Client, Value};
use futures_util::{FutureExt as _, StreamExt as _};
use tokio::task::AbortHandle;

use super::{DenyList, DenySet, GRACE, Inner, MAX_ID_LEN, Prune, SyncState};
use crate::clock::{Clock, SystemClock};

/// Publications applied in one swap of the local copy, at most.
const BATCH: usize = 1024;
/// Entries asked for per `ZSCAN` page (a hint: Redis returns about this many per call, a small
/// set whole). A page of UUIDs is about 60 KB, well within the shortest command timeout.
const PAGE: usize = 1000;
/// Entries written per pipeline (a `ZADD` and a `PUBLISH` each), each under the command timeout.
const WRITE_CHUNK: usize = 500;
/// Capacity reserved for a resync from `ZCARD`, at most (the map grows past it if need be).
const MAX_RESERVE: usize = 1 << 22;
const BACKOFF_BASE: Duration = Duration::from_millis(50);
const BACKOFF_CAP: Duration = Duration::from_secs(5);

/// Builder of a [`DenyList`] shared through Redis: [`DenyList::redis`].
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use tower_cognito::deny::DenyList;
///
/// let deny = DenyList::redis("redis://127.0.0.1:6379")
///     // Fail closed: answer 503 once the list may have missed revocations for 30 s.
///     .max_staleness(Duration::from_secs(30))
///     .connect()
///     .await?;
/// # let _ = deny; Ok(()) }
/// ```
#[derive(Clone)]
#[must_use]
pub struct RedisDenyListBuilder {
    url: String,
    key: String,
    max_staleness: Option<Duration>,
    heartbeat: Duration,
    timeout: Duration,
    startup_timeout: Duration,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for RedisDenyListBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisDenyListBuilder")
            // The URL may hold a password (`:password@`, `?pass=`).
            .field("url", &redacted_url(&self.url))
            .field("key", &self.key)
            .field("max_staleness", &self.max_staleness)
            .field("heartbeat", &self.heartbeat)
            .field("timeout", &self.timeout)
            .field("startup_timeout", &self.startup_timeout)
            .finish_non_exhaustive()
    }
}

/// Why a shared deny-list could not be started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedisError {
    /// The URL is not a `redis://` (or `redis+unix://`) URL. `rediss://` (TLS) is not supported.
    /// The URL is given with its password removed.
    #[error("invalid Redis URL {0:?}")]
    InvalidUrl(String),
    /// A setting is out of its range.
    #[error("{name} is out of range: {reason}")]
    OutOfRange {
        /// The setting's name.
        name: &'static str,
        /// The allowed range.
        reason: &'static str,
    },
    /// The sync task needs a tokio runtime, and none is running.
    #[error("no tokio runtime: start the deny-list from within a tokio runtime")]
    NoRuntime,
    /// [`connect`](RedisDenyListBuilder::connect) saw no full sync within the startup timeout.
    #[error("the deny-list did not sync with Redis within {0:?}")]
    NotSynced(Duration),
}

impl DenyList {
    /// A deny-list shared by every replica through the Redis server at `url`
    /// (`redis://[:password@]host:port[/db]`); see [`RedisDenyListBuilder`].
    pub fn redis(url: impl Into<String>) -> RedisDenyListBuilder {
        RedisDenyListBuilder {
            url: url.into(),
            key: "tower-cognito:revoked".to_owned(),
            max_staleness: None,
            heartbeat: Duration::from_secs(1),
            timeout: Duration::from_secs(2),
            startup_timeout: Duration::from_secs(10),
            clock: Arc::new(SystemClock),
        }
    }
}

impl RedisDenyListBuilder {
    /// The name of the sorted set and of the channel (default `tower-cognito:revoked`): every
    /// replica sharing revocations uses the same.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }
    /// Fail closed: once the list has not been confirmed in sync for longer than `age`
    /// (Redis unreachable), and before its first sync, tokens are answered `503` with
    /// `Retry-After` ([`ErrorKind::RevocationsStale`](crate::ErrorKind::RevocationsStale)) and
    /// readiness says not ready. Without it (the default) the list fails open: the local copy
    /// keeps serving through any outage, which metrics and readiness report. At least twice the
    /// heartbeat, at most 1 day; whole seconds.
    pub fn max_staleness(mut self, age: Duration) -> Self {
        self.max_staleness = Some(age);
        self
    }
    /// How often the connection is checked, which confirms the list in sync (default 1 s, from
    /// 100 ms to 60 s).
    pub fn heartbeat(mut self, every: Duration) -> Self {
        self.heartbeat = every;
        self
    }
    /// Time limit of connecting and of each command (default 2 s, from 10 ms to 60 s). A full
    /// resync reads the set in pages of about 1000 entries, one command each, and writes back in
    /// pipelines of 500 entries: the limit bounds a page, not the resync, which completes for any
    /// size of the set.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
    /// How long [`connect`](Self::connect) waits for the first full sync (default 10 s, at most
    /// 10 min). A set of 1 M entries took 3 to 4 s to read in a release build (see
    /// `examples/deny_list_scale.rs`).
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }
    /// The clock entries expire by (default: the system clock). Use the layer's.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Starts the sync task and returns at once; the list fills on the first sync.
    ///
    /// # Errors
    /// [`RedisError::InvalidUrl`], [`RedisError::OutOfRange`], or [`RedisError::NoRuntime`]
    /// outside a tokio runtime.
    pub fn start(self) -> Result<DenyList, RedisError> {
        let in_range = |value: Duration, min: Duration, max: Duration| (min..=max).contains(&value);
        let ms = Duration::from_millis;
        let secs = Duration::from_secs;
        if !in_range(self.heartbeat, ms(100), secs(60)) {
            return Err(RedisError::OutOfRange {
                name: "heartbeat",
                reason: "from 100 ms to 60 s",
            });
        }
        if !in_range(self.timeout, ms(10), secs(60)) {
            return Err(RedisError::OutOfRange {
                name: "timeout",
                reason: "from 10 ms to 60 s",
            });
        }
        if self.startup_timeout > secs(600) {
            return Err(RedisError::OutOfRange {
                name: "startup_timeout",
                reason: "at most 10 min",
            });
        }
        // The window within which the list counts as in sync: two heartbeats, whole seconds.
        let window = self.heartbeat.saturating_mul(2).as_secs_f64().ceil() as u64;
        let max_staleness = match self.max_staleness {
            None => u64::MAX,
            Some(age) if age.as_secs() >= window && age <= secs(86_400) => age.as_secs(),
            Some(_) => {
                return Err(RedisError::OutOfRange {
                    name: "max_staleness",
                    reason: "at least twice the heartbeat, at most 1 day",
                });
            }
        };
        if self.key.is_empty() || self.key.len() > 256 {
            return Err(RedisError::OutOfRange {
                name: "key",
                reason: "from 1 to 256 bytes",
            });
        }
        let invalid = || RedisError::InvalidUrl(redacted_url(&self.url));
        if !(self.url.starts_with("redis://") || self.url.starts_with("redis+unix://")) {
            return Err(invalid());
        }
        let client = Client::open(self.url.as_str()).map_err(|_| invalid())?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| RedisError::NoRuntime)?;

        let mut sync = SyncState::local();
        sync.shared = true;
        sync.max_staleness = max_staleness;
        sync.window = window;
        let set = Arc::new(DenySet::new(self.clock, sync));
        let settings = Settings {
            key: self.key,
            heartbeat: self.heartbeat,
            timeout: self.timeout,
        };
        let task = runtime.spawn(run(Arc::clone(&set), client, settings));
        Ok(DenyList {
            inner: Arc::new(Inner {
                set,
                _sync: Some(SyncHandle(task.abort_handle())),
            }),
        })
    }

    /// Starts the sync task and waits (at most the startup timeout) for the first full sync, so
    /// the list holds every revocation made before this replica started.
    ///
    /// # Errors
    /// As [`start`](Self::start); [`RedisError::NotSynced`] when Redis did not answer in time
    /// (the task is stopped).
    pub async fn connect(self) -> Result<DenyList, RedisError> {
        let timeout = self.startup_timeout;
        let list = self.start()?;
        let synced = async {
            let sync = &list.set().sync;
            loop {
                let seen = sync.synced.notified();
                if sync.resyncs.load(Ordering::Acquire) > 0 {
                    return;
                }
                seen.await;
            }
        };
        match tokio::time::timeout(timeout, synced).await {
            Ok(()) => Ok(list),
            Err(_) => Err(RedisError::NotSynced(timeout)),
        }
    }
}

/// Stops the sync task when the last clone of the list (the layers' included) goes.
pub(crate) struct SyncHandle(AbortHandle);

impl Drop for SyncHandle {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct Settings {
    key: String,
    heartbeat: Duration,
    timeout: Duration,
}

/// Anything that ends a session: the task logs it (without the URL) and reconnects.
#[derive(Debug)]
enum SessionError {
    Redis(::redis::RedisError),
    Timeout,
    Closed,
    /// A reply of an unexpected shape (not a `ZSCAN` reply).
    Reply,
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Redis(e) => write!(f, "{:?}", e.kind()),
            Self::Timeout => f.write_str("timed out"),
            Self::Closed => f.write_str("connection closed"),
            Self::Reply => f.write_str("unexpected reply"),
        }
    }
}

impl From<::redis::RedisError> for SessionError {
    fn from(e: ::redis::RedisError) -> Self {
        Self::Redis(e)
    }
}

async fn bounded<T>(
    limit: Duration,
    f: impl Future<Output = Result<T, ::redis::RedisError>>,
) -> Result<T, SessionError> {
    match tokio::time::timeout(limit, f).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(SessionError::Timeout),
    }
}

/// The sync task: sessions, with backoff between them. Aborted with the last clone of the list.
async fn run(set: Arc<DenySet>, client: Client, settings: Settings) {
    let mut failures: u32 = 0;
    loop {
        #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
        let error = session(&set, &client, &settings, &mut failures).await;
        set.sync.failures.fetch_add(1, Ordering::Relaxed);
        failures = failures.saturating_add(1);
        if failures == 1 {
            crate::log::warning!(%error, "deny-list: Redis unreachable; serving the local copy");
        } else {
            crate::log::debug!(%error, failures, "deny-list: Redis still unreachable");
        }
        let exp = BACKOFF_BASE.saturating_mul(1u32 << failures.saturating_sub(1).min(10));
        tokio::time::sleep(exp.min(BACKOFF_CAP)).await;
    }
}

/// One connection: subscribe, full resync, write-back, then publications, local revocations and
/// heartbeats until something fails.
async fn session(
    set: &DenySet,
    client: &Client,
    settings: &Settings,
    failures: &mut u32,
) -> SessionError {
    match session_inner(set, client, settings, failures).await {
        Ok(never) => match never {},
        Err(e) => e,
    }
}

async fn session_inner(
    set: &DenySet,
    client: &Client,
    settings: &Settings,
    failures: &mut u32,
) -> Result<std::convert::Infallible, SessionError> {
    let limit = settings.timeout;
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(limit))
        .set_response_timeout(Some(limit));
    let mut conn = bounded(
        limit,
        client.get_multiplexed_async_connection_with_config(&config),
    )
    .await?;
    let (mut sink, mut stream) = bounded(limit, client.get_async_pubsub()).await?.split();
    bounded(limit, sink.subscribe(settings.key.as_str())).await?;

    resync(set, &mut conn, settings).await?;
    if *failures > 0 {
        crate::log::info!("deny-list: Redis reachable again; resynchronised");
    }
    *failures = 0;
    set.sync.resyncs.fetch_add(1, Ordering::AcqRel);
    set.sync.synced.notify_waiters();
    stamp(set);

    let mut beat = tokio::time::interval(settings.heartbeat);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = stream.next() => {
                let Some(first) = message else {
                    return Err(SessionError::Closed);
                };
                // Everything already received goes into one swap of the local copy.
                let mut batch = vec![first];
                while batch.len() < BATCH {
                    match stream.next().now_or_never() {
                        Some(Some(m)) => batch.push(m),
                        Some(None) => return Err(SessionError::Closed),
                        None => break,
                    }
                }
                set.merge(
                    batch.iter().filter_map(|m| parse(m.get_payload_bytes())),
                    Prune::No,
                );
            }
            () = set.sync.wake.notified() => {
                let pending = take_pending(set);
                let pending: Vec<(&str, u64)> =
                    pending.iter().map(|(id, until)| (&**id, *until)).collect();
                write(&mut conn, settings, &pending).await?;
            }
            _ = beat.tick() => {
                bounded(limit, sink.ping::<Value>()).await?;
                let horizon = set.clock.now().saturating_sub(GRACE);
                bounded(
                    limit,
                    ::redis::cmd("ZREMRANGEBYSCORE")
                        .arg(&settings.key)
                        .arg("-inf")
                        .arg(format!("({horizon}"))
                        .exec_async(&mut conn),
                )
                .await?;
                set.merge(std::iter::empty(), Prune::Due);
                stamp(set);
            }
        }
    }
}

/// Marks the list in sync now.
fn stamp(set: &DenySet) {
    // 0 means "never": a clock at the epoch still stamps.
    set.sync
        .last_sync
        .store(set.clock.now().max(1), Ordering::Release);
}

fn take_pending(set: &DenySet) -> Vec<(Box<str>, u64)> {
    set.sync
        .pending
        .lock()
        .map(|mut p| std::mem::take(&mut *p))
        .unwrap_or_default()
}

/// Reads the whole set (expired entries dropped first) page by page, merges it into the local
/// copy in one swap, and writes back and publishes what only this replica knows.
///
/// `ZSCAN` returns every member present from the first page to the last at least once, whatever
/// is added, removed or rehashed meanwhile (a rank or score range would skip members when others
/// are removed between pages); a member returned twice is merged twice, which changes nothing.
/// Members added during the read come through the subscription, taken before it.
async fn resync(
    set: &DenySet,
    conn: &mut MultiplexedConnection,
    settings: &Settings,
) -> Result<(), SessionError> {
    let limit = settings.timeout;
    let key = settings.key.as_str();
    // Taken before the snapshot: a revocation made after this is pending again, and woken.
    let _pending = take_pending(set);
    // What this replica knew before the read: written back where Redis lacks it.
    let local = set.snapshot();
    let now = set.clock.now();
    let horizon = now.saturating_sub(GRACE);
    bounded(
        limit,
        ::redis::cmd("ZREMRANGEBYSCORE")
            .arg(key)
            .arg("-inf")
            .arg(format!("({horizon}"))
            .exec_async(conn),
    )
    .await?;
    let size: u64 = bounded(limit, ::redis::cmd("ZCARD").arg(key).query_async(conn)).await?;
    let reserve = usize::try_from(size).map_or(MAX_RESERVE, |n| n.min(MAX_RESERVE));
    let mut read = Read {
        remote: set.empty_entries(reserve),
        ceiling: super::ceiling(now),
        horizon,
        skipped: 0,
        clamped: 0,
    };
    let mut cursor: u64 = 0;
    loop {
        let reply: Value = bounded(
            limit,
            ::redis::cmd("ZSCAN")
                .arg(key)
                .arg(cursor)
                .arg("COUNT")
                .arg(PAGE)
                .query_async(conn),
        )
        .await?;
        let (next, items) = scan_reply(reply).ok_or(SessionError::Reply)?;
        read.page(items);
        if next == 0 {
            break;
        }
        cursor = next;
    }
    let Read {
        remote,
        skipped,
        clamped,
        ..
    } = read;
    if skipped > 0 || clamped > 0 {
        // Once per resync, not per entry: the entries stay in Redis until removed there.
        crate::log::warning!(
            skipped,
            clamped,
            "deny-list: entries of the Redis set skipped (member not UTF-8, empty or over 256 \
             bytes, or score not a number) or clamped (expiry past the maximum entry lifetime)"
        );
    }
    set.sync.skipped.store(skipped, Ordering::Relaxed);
    let missing: Vec<(&str, u64)> = local
        .iter()
        .filter(|(id, until)| {
            *until >= horizon && remote.get(*id).is_none_or(|known| *known < *until)
        })
        .collect();
    crate::log::debug!(
        entries = remote.len(),
        missing = missing.len(),
        "deny-list: read the Redis set"
    );
    set.merge_full(remote);
    write(conn, settings, &missing).await
}

/// A full read in progress: the entries read so far, and what could not be read.
struct Read {
    remote: super::Entries,
    /// The latest `until` an entry may have (later ones are clamped to it).
    ceiling: u64,
    /// Entries expiring before this deny nothing: dropped.
    horizon: u64,
    /// Entries that cannot be read: not applied, counted.
    skipped: u64,
    /// Entries whose `until` was past the ceiling: applied with the ceiling, counted.
    clamped: u64,
}

impl Read {
    /// One page of `ZSCAN`: member, score, member, score... each pair on its own.
    fn page(&mut self, items: Vec<Value>) {
        let mut items = items.into_iter();
        while let Some(member) = items.next() {
            let score = items.next();
            let until = score.as_ref().and_then(until_of);
            let (Some(id), Some(until)) = (id_of(member), until) else {
                self.skipped = self.skipped.saturating_add(1);
                continue;
            };
            if until > self.ceiling {
                self.clamped = self.clamped.saturating_add(1);
            }
            let until = until.min(self.ceiling);
            if until < self.horizon {
                continue;
            }
            let slot = self.remote.entry(id).or_insert(0);
            *slot = until.max(*slot);
        }
    }
}

/// The cursor and the items of a `ZSCAN` reply; `None` for anything else.
fn scan_reply(reply: Value) -> Option<(u64, Vec<Value>)> {
    let Value::Array(parts) = reply else {
        return None;
    };
    let mut parts = parts.into_iter();
    let cursor = match parts.next()? {
        Value::BulkString(bytes) => std::str::from_utf8(&bytes).ok()?.parse().ok()?,
        Value::SimpleString(text) => text.parse().ok()?,
        Value::Int(n) => u64::try_from(n).ok()?,
        _ => return None,
    };
    match parts.next()? {
        Value::Array(items) => Some((cursor, items)),
        _ => None,
    }
}

/// A member as an id: UTF-8, 1 to 256 bytes (anything else matches no token id).
fn id_of(member: Value) -> Option<Box<str>> {
    let bytes = match member {
        Value::BulkString(bytes) => bytes,
        Value::SimpleString(text) => text.into_bytes(),
        _ => return None,
    };
    if bytes.is_empty() || bytes.len() > MAX_ID_LEN {
        return None;
    }
    String::from_utf8(bytes).ok().map(String::into_boxed_str)
}

/// A score as an `until`. This crate writes integers (Redis sends them as integer text); any
/// other number Redis holds (a fraction, `inf`, the exponent form Redis gives a very large score) is
/// rounded up, so the entry denies at least as long as its score says (the caller clamps it to
/// the ceiling); a negative one is in the past. `None`: not a number.
fn until_of(score: &Value) -> Option<u64> {
    let text = match score {
        Value::BulkString(bytes) => std::str::from_utf8(bytes).ok()?,
        Value::SimpleString(text) => text.as_str(),
        Value::Int(n) => return Some(u64::try_from(*n).unwrap_or(0)),
        Value::Double(score) => return until_of_float(*score),
        _ => return None,
    };
    // The longest text Redis gives a double is 24 bytes (`%.17g`).
    if text.len() > 64 {
        return None;
    }
    match text.parse::<u64>() {
        Ok(until) => Some(until),
        Err(_) => until_of_float(text.parse().ok()?),
    }
}

fn until_of_float(score: f64) -> Option<u64> {
    // `as` saturates: a negative score (or -inf) is 0, one past u64 (or +inf) is u64::MAX.
    (!score.is_nan()).then(|| score.ceil() as u64)
}

/// `ZADD GT` and `PUBLISH` each entry, in pipelines of [`WRITE_CHUNK`] entries, each under the
/// command timeout.
async fn write(
    conn: &mut MultiplexedConnection,
    settings: &Settings,
    entries: &[(&str, u64)],
) -> Result<(), SessionError> {
    for chunk in entries.chunks(WRITE_CHUNK) {
        let mut pipe = ::redis::pipe();
        for (id, until) in chunk {
            pipe.cmd("ZADD")
                .arg(&settings.key)
                .arg("GT")
                .arg(*until)
                .arg(*id)
                .ignore();
            pipe.cmd("PUBLISH")
                .arg(&settings.key)
                .arg(format!("{until} {id}"))
                .ignore();
        }
        bounded(settings.timeout, pipe.exec_async(conn)).await?;
    }
    Ok(())
}

/// `url` without its secrets, for `Debug` and errors: the password of a `redis://` URL
/// (`:password@`), the values of `pass` and `password` query parameters (how a `redis+unix://`
/// URL carries its password; any case) and any fragment are replaced by `redacted`. Of a string
/// that does not parse as a URL, nothing up to its last `@` and nothing from a `?` or `#` on is
/// shown.
pub(crate) fn redacted_url(raw: &str) -> String {
    const HIDDEN: &str = "redacted";
    let secret =
        |name: &str| name.eq_ignore_ascii_case("pass") || name.eq_ignore_ascii_case("password");
    let Ok(mut url) = url::Url::parse(raw) else {
        let (credentials, rest) = match raw.rsplit_once('@') {
            Some((_, host)) => ("<credentials removed>@", host),
            None => ("", raw),
        };
        return match rest.find(['?', '#']) {
            Some(at) => format!(
                "{credentials}{}?<removed>",
                rest.get(..at).unwrap_or_default()
            ),
            None => format!("{credentials}{rest}"),
        };
    };
    if url.password().is_some() && url.set_password(Some(HIDDEN)).is_err() {
        return "<a URL with a password>".to_owned();
    }
    if url.query_pairs().any(|(name, _)| secret(&name)) {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let value = if secret(&name) {
                    HIDDEN.to_owned()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    if url.fragment().is_some() {
        url.set_fragment(Some(HIDDEN));
    }
    url.to_string()
}

/// `"{until} {id}"`; anything else (another writer on the channel) is ignored.
fn parse(payload: &[u8]) -> Option<(&str, u64)> {
    let text = std::str::from_utf8(payload).ok()?;
    let (until, id) = text.split_once(' ')?;
    if id.is_empty() || id.len() > MAX_ID_LEN || until.len() > 20 {
        return None;
    }
    Some((id, until.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publications_parse_strictly() {
        assert_eq!(parse(b"2000 abc"), Some(("abc", 2000)));
        assert_eq!(parse(b"2000 a b"), Some(("a b", 2000)));
        for bad in [
            &b""[..],
            b"2000",
            b"2000 ",
            b"x abc",
            b"-1 abc",
            b"99999999999999999999999 a",
            b"\xff\xfe a",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
        let long = format!("1 {}", "a".repeat(MAX_ID_LEN + 1));
        assert_eq!(parse(long.as_bytes()), None);
    }

    #[tokio::test]
    async fn settings_are_bounded_and_urls_checked() {
        let bad = [
            DenyList::redis("redis://127.0.0.1:1").heartbeat(Duration::ZERO),
            DenyList::redis("redis://127.0.0.1:1").timeout(Duration::from_secs(3600)),
            DenyList::redis("redis://127.0.0.1:1").max_staleness(Duration::from_secs(1)),
            DenyList::redis("redis://127.0.0.1:1").key(""),
        ];
        for builder in bad {
            assert!(
                matches!(builder.start(), Err(RedisError::OutOfRange { .. })),
                "out of range"
            );
        }
        for url in ["http://x", "rediss://127.0.0.1", "redis://:s3cret@[::"] {
            let err = DenyList::redis(url).start().unwrap_err();
            assert!(matches!(err, RedisError::InvalidUrl(_)), "{url}");
            assert!(!format!("{err:?}").contains("s3cret"));
        }
        let debug = format!("{:?}", DenyList::redis("redis://:s3cret@127.0.0.1:1"));
        assert!(!debug.contains("s3cret"), "{debug}");
    }

    #[test]
    fn start_needs_a_runtime() {
        assert_eq!(
            DenyList::redis("redis://127.0.0.1:1").start().unwrap_err(),
            RedisError::NoRuntime
        );
    }

    fn bulk(text: &[u8]) -> Value {
        Value::BulkString(text.to_vec())
    }

    #[test]
    fn a_page_is_read_entry_by_entry_and_what_cannot_be_read_is_skipped() {
        let ceiling = 1_000_000;
        let mut read = Read {
            remote: super::super::Entries::with_hasher(super::super::IdHasher::new()),
            ceiling,
            horizon: 1000,
            skipped: 0,
            clamped: 0,
        };
        let long = "x".repeat(MAX_ID_LEN + 1);
        let max = "y".repeat(MAX_ID_LEN);
        read.page(vec![
            bulk(b"plain"),
            bulk(b"2000"),
            bulk(b"fraction"),
            bulk(b"2000.25"),
            bulk(b"exponent"),
            bulk(b"1.8446744073709552e+19"),
            bulk(b"u64-max"),
            bulk(b"18446744073709551615"),
            bulk(b"infinite"),
            bulk(b"inf"),
            bulk(b"resp3-double"),
            Value::Double(3000.5),
            bulk(b"integer"),
            Value::Int(4000),
            bulk(max.as_bytes()),
            bulk(b"5000"),
            bulk(b"expired"),
            bulk(b"999"),
            bulk(b"negative"),
            bulk(b"-inf"),
            // Skipped: not UTF-8, empty, too long, not a member, scores that are no number.
            bulk(b"\xff\xfe"),
            bulk(b"2000"),
            bulk(b""),
            bulk(b"2000"),
            bulk(long.as_bytes()),
            bulk(b"2000"),
            Value::Nil,
            bulk(b"2000"),
            bulk(b"nan-score"),
            bulk(b"nan"),
            bulk(b"text-score"),
            bulk(b"soon"),
            bulk(b"nil-score"),
            Value::Nil,
            bulk(b"huge-text-score"),
            bulk("1".repeat(65).as_bytes()),
            // A member without its score (a truncated reply).
            bulk(b"last"),
        ]);
        assert_eq!(read.skipped, 9);
        assert_eq!(read.clamped, 3, "exponent, u64-max, infinite");
        let held: std::collections::BTreeMap<&str, u64> = read
            .remote
            .iter()
            .map(|(id, until)| (&**id, *until))
            .collect();
        let expected: std::collections::BTreeMap<&str, u64> = [
            ("plain", 2000),
            ("fraction", 2001),
            ("exponent", ceiling),
            ("u64-max", ceiling),
            ("infinite", ceiling),
            ("resp3-double", 3001),
            ("integer", 4000),
            (max.as_str(), 5000),
        ]
        .into_iter()
        .collect();
        assert_eq!(held, expected);
        // The same member twice (ZSCAN may repeat one): the later `until` stays.
        read.page(vec![
            bulk(b"plain"),
            bulk(b"1500"),
            bulk(b"integer"),
            bulk(b"4500"),
        ]);
        assert_eq!(read.remote.get("plain"), Some(&2000));
        assert_eq!(read.remote.get("integer"), Some(&4500));
    }

    #[test]
    fn scan_replies_have_a_cursor_and_an_array() {
        let items = || Value::Array(vec![bulk(b"a"), bulk(b"1")]);
        assert_eq!(
            scan_reply(Value::Array(vec![bulk(b"0"), items()])),
            Some((0, vec![bulk(b"a"), bulk(b"1")]))
        );
        assert_eq!(
            scan_reply(Value::Array(vec![bulk(b"18446744073709551615"), items()])).map(|r| r.0),
            Some(u64::MAX)
        );
        for bad in [
            Value::Nil,
            Value::Okay,
            Value::Array(vec![]),
            Value::Array(vec![bulk(b"0")]),
            Value::Array(vec![bulk(b"x"), items()]),
            Value::Array(vec![bulk(b"-1"), items()]),
            Value::Array(vec![bulk(b"0"), bulk(b"a")]),
        ] {
            assert_eq!(scan_reply(bad.clone()), None, "{bad:?}");
        }
    }

    #[test]
    fn urls_lose_their_passwords() {
        for (url, shown) in [
            ("redis://127.0.0.1:6379", "redis://127.0.0.1:6379"),
            (
                "redis://:s3cret@10.0.0.5:6379/2",
                "redis://:redacted@10.0.0.5:6379/2",
            ),
            (
                "redis://app:s3cret@10.0.0.5",
                "redis://app:redacted@10.0.0.5",
            ),
            (
                "redis+unix:///run/redis.sock?db=1&pass=s3cret",
                "redis+unix:///run/redis.sock?db=1&pass=redacted",
            ),
            (
                "redis+unix:///run/redis.sock?user=app&PASSWORD=s3cret&protocol=3",
                "redis+unix:///run/redis.sock?user=app&PASSWORD=redacted&protocol=3",
            ),
            (
                "redis+unix:///run/redis.sock?pa%73s=s3cret",
                "redis+unix:///run/redis.sock?pass=redacted",
            ),
            ("redis://:s3cret@[::", "<credentials removed>@[::"),
            ("redis://[::?pass=s3cret", "redis://[::?<removed>"),
            ("redis://:pa#s3cret@host", "<credentials removed>@host"),
            ("redis://host#:s3cret@x", "redis://host#redacted"),
            ("redis://host/0#s3cret", "redis://host/0#redacted"),
            ("not a url", "not a url"),
        ] {
            assert_eq!(redacted_url(url), shown, "{url}");
        }
    }

    #[tokio::test]
    async fn no_debug_or_error_shows_a_password() {
        for url in [
            "redis://:s3cret@127.0.0.1:1",
            "redis://user:s3cret@127.0.0.1:1/0",
            "redis+unix:///run/redis.sock?pass=s3cret",
            "redis+unix:///run/redis.sock?db=0&password=s3cret",
        ] {
            let builder = DenyList::redis(url);
            let debug = format!("{builder:?}");
            assert!(!debug.contains("s3cret"), "{debug}");
            assert!(debug.contains("redacted"), "{debug}");
        }
        for url in [
            "rediss://:s3cret@127.0.0.1",
            "unix:///run/redis.sock?pass=s3cret",
            "redis://:s3cret@[::",
            "redis+unix://host/x?pass=s3cret&db=x",
        ] {
            let err = DenyList::redis(url).start().unwrap_err();
            assert!(matches!(err, RedisError::InvalidUrl(_)), "{url}: {err:?}");
            for shown in [format!("{err:?}"), err.to_string()] {
                assert!(!shown.contains("s3cret"), "{shown}");
            }
        }
    }
}
