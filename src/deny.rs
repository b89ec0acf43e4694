//! Revocation: the [`DenyList`] of token lineages (`origin_jti`) and single tokens (`jti`) the
//! layer refuses although their signature and expiry are fine.
//!
//! Cognito's `GlobalSignOut` and `RevokeToken` do not change a token: every local verifier
//! accepts a signed-out user's access token until it expires. `origin_jti` is the same for every
//! token of one refresh-token lineage, so denying it cuts the whole session off.
//!
//! - The request path does one `ArcSwap` load and (when the list is not empty) at most two hash
//!   lookups: no lock, no await. Writers copy the map, change the copy and swap it in; past 4096
//!   entries they copy only the entries made since the last rebuild (about the square root of the
//!   list's size), and a lookup probes those first, then the rest.
//! - An entry denies while a token expiring at its `until` could still be accepted
//!   (`now <= until + leeway`), then it is pruned: on every write (a list past 4096 entries at
//!   most once a minute), and by the sync task of a shared list, so the set stays bounded by the
//!   revocations of the last token lifetime. No `until` is later than now +
//!   [`DenyList::MAX_ENTRY_LIFETIME`] (3651 days): later ones are clamped.
//! - With the `redis` feature the list is shared by every replica ([`DenyList::redis`]); the local
//!   copy keeps serving through an outage (see [`RedisDenyListBuilder::max_staleness`]).
//!
//! ```
//! # #[cfg(feature = "test-util")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tower_cognito::{CognitoAuthLayer, ErrorKind, TokenUse, deny::DenyList};
//! use tower_cognito::test_util::LocalIssuer;
//!
//! let issuer = LocalIssuer::new()?;
//! let deny = DenyList::new();
//! let config = issuer.config().token_use(TokenUse::Access).build()?;
//! let layer = CognitoAuthLayer::builder(config)
//!     .static_keys(issuer.key_set())
//!     .deny_list(deny.clone())
//!     .build()?;
//!
//! let token = issuer.access_token();
//! let claims = layer.verify(&token)?;
//! // The user signs out: deny the session (its `origin_jti`) for as long as its tokens live.
//! assert!(deny.revoke_session(&claims));
//! assert_eq!(layer.verify(&token).unwrap_err().kind(), ErrorKind::Revoked);
//! # Ok(()) }
//! # #[cfg(not(feature = "test-util"))]
//! # fn main() {}
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;

use crate::claims::CognitoClaims;
use crate::clock::{Clock, SystemClock};
use crate::error::ErrorKind;
use crate::snapshot::DenyListStatus;

#[cfg(feature = "redis")]
mod shared;
#[cfg(feature = "redis")]
pub use self::shared::{RedisDenyListBuilder, RedisError};

/// Entries are kept this long past their `until`: the longest leeway a layer accepts, so no
/// layer can still accept a token whose entry is gone.
pub(crate) const GRACE: u64 = 600;
/// Revocations queued for the backend, at most.
const MAX_PENDING: usize = 1 << 16;
/// Longest id accepted (`origin_jti`/`jti` are UUIDs; anything longer is not Cognito's).
pub(crate) const MAX_ID_LEN: usize = 256;
/// [`DenyList::MAX_ENTRY_LIFETIME`] in seconds: 3650 days (Cognito's longest refresh-token
/// lifetime) and one day (its longest access- or ID-token lifetime, for the last token a refresh
/// gives just before the refresh token expires).
const MAX_AHEAD: u64 = 3651 * 86_400;

/// The latest `until` an entry made at `now` may have (see [`DenyList::MAX_ENTRY_LIFETIME`]).
#[inline]
pub(crate) fn ceiling(now: u64) -> u64 {
    now.saturating_add(MAX_AHEAD)
}

pub(crate) type Entries = HashMap<Box<str>, u64, IdHasher>;

/// Below this many entries every write rebuilds the one map (a copy of at most this many
/// entries, some 100 µs); from it on, writes go to a small map of recent entries.
const SMALL: usize = 4096;
/// A large base is rebuilt to drop expired entries at most this often (seconds); a write that
/// overflows the recent entries rebuilds it too, and [`DenyList::prune`] at once.
const PRUNE_INTERVAL: u64 = 60;

/// What the request path reads: one swap-loaded value.
///
/// Up to [`SMALL`] entries, `recent` stays empty and every write copies `base` (a lookup is one
/// hash probe, as the request path wants). Past it, copying the whole map per revocation (a
/// million entries: hundreds of milliseconds and 100 MB of allocation per sign-out, on every
/// replica) would not keep up, so writes copy only `recent`, and `recent` is folded into a new
/// `base` once it holds more than the square root of `base`'s size: with n entries, a write
/// copies about 2·√n entries (amortised), a lookup probes `recent` and then `base`.
pub(crate) struct Snapshot {
    /// The bulk of the entries, shared by the snapshots until the next rebuild.
    base: Arc<Entries>,
    /// Entries written since `base` was built; an id here has a later `until` than in `base`.
    recent: Entries,
    /// Ids of `recent` that `base` holds too (counted once by [`len`](Self::len)).
    overlap: usize,
    /// The earliest `until` in `base` (`u64::MAX` when empty): nothing there expired before.
    base_min: u64,
    /// When `base` was built (clock seconds).
    built: u64,
}

impl Snapshot {
    fn empty(hasher: IdHasher) -> Self {
        Self {
            base: Arc::new(Entries::with_hasher(hasher)),
            recent: Entries::with_hasher(hasher),
            overlap: 0,
            base_min: u64::MAX,
            built: 0,
        }
    }

    /// A snapshot holding `base` alone, built at `now`.
    fn rebuilt(base: Entries, now: u64) -> Self {
        let hasher = *base.hasher();
        Self {
            base_min: base.values().copied().min().unwrap_or(u64::MAX),
            base: Arc::new(base),
            recent: Entries::with_hasher(hasher),
            overlap: 0,
            built: now,
        }
    }

    /// The `until` of `id`: `recent` first (its entries are the later ones).
    #[inline]
    pub(crate) fn get(&self, id: &str) -> Option<u64> {
        if !self.recent.is_empty()
            && let Some(until) = self.recent.get(id)
        {
            return Some(*until);
        }
        self.base.get(id).copied()
    }

    pub(crate) fn len(&self) -> usize {
        self.base
            .len()
            .saturating_add(self.recent.len())
            .saturating_sub(self.overlap)
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.base.is_empty() && self.recent.is_empty()
    }

    /// Every id once, with its `until`.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        let recent = self.recent.iter().map(|(id, until)| (&**id, *until));
        let base = self
            .base
            .iter()
            .filter(|(id, _)| self.recent.is_empty() || !self.recent.contains_key(&***id))
            .map(|(id, until)| (&**id, *until));
        recent.chain(base)
    }

    /// How many recent entries a base of `len` entries takes before it is rebuilt.
    fn recent_cap(len: usize) -> usize {
        if len < SMALL { 0 } else { len.isqrt() }
    }
}

/// How much a [`DenySet::merge`] prunes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prune {
    /// Nothing (a batch of publications).
    No,
    /// The recent entries; a small base, or a large one at most every [`PRUNE_INTERVAL`].
    Due,
    /// Every expired entry, now ([`DenyList::prune`]).
    All,
}

/// A cheap seeded hash for the ids (UUIDs): eight bytes per multiply, about a third of SipHash's
/// cost on the request path. Flooding is no concern here: lookups use ids from verified tokens
/// only, and entries come from the application; the seed is random per list all the same.
#[derive(Clone, Copy)]
pub(crate) struct IdHasher {
    seed: u64,
}

impl IdHasher {
    pub(crate) fn new() -> Self {
        let mut seed = [0u8; 8];
        // The seed only spreads ids; without randomness the map still works.
        let _ = aws_lc_rs::rand::fill(&mut seed);
        Self {
            seed: u64::from_le_bytes(seed),
        }
    }
}

impl std::hash::BuildHasher for IdHasher {
    type Hasher = IdHash;
    fn build_hasher(&self) -> IdHash {
        IdHash(self.seed)
    }
}

pub(crate) struct IdHash(u64);

impl std::hash::Hasher for IdHash {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0 ^ (bytes.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            for (w, b) in word.iter_mut().zip(chunk) {
                *w = *b;
            }
            h = (h ^ u64::from_le_bytes(word)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            h ^= h >> 29;
        }
        self.0 = h;
    }
    #[inline]
    fn finish(&self) -> u64 {
        let h = self.0.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^ (h >> 32)
    }
}

/// A set of denied token ids, shared by every clone (cheap: one `Arc`).
///
/// Give it to the layers with [`LayerBuilder::deny_list`](crate::LayerBuilder::deny_list);
/// revoke with [`revoke`](Self::revoke) or [`revoke_session`](Self::revoke_session). The layer
/// answers a token whose `origin_jti` or `jti` is denied with `401 invalid_token`
/// ([`ErrorKind::Revoked`]), on cache hits as on misses.
///
/// Time is whole seconds of its [`Clock`] (the system clock unless [`with_clock`](Self::with_clock)),
/// used to prune expired entries; give it the layer's clock in tests.
#[derive(Clone)]
pub struct DenyList {
    inner: Arc<Inner>,
}

/// What the clones share: the set, and (with a shared backend) the handle that stops the sync
/// task when the last clone goes.
struct Inner {
    set: Arc<DenySet>,
    #[cfg(feature = "redis")]
    _sync: Option<self::shared::SyncHandle>,
}

/// The set itself, shared with the sync task (which holds no `DenyList`, so the last clone's
/// drop stops it).
pub(crate) struct DenySet {
    entries: ArcSwap<Snapshot>,
    /// Serialises writers (the request path never takes it): without it two concurrent
    /// copy-on-write updates could lose one.
    write: Mutex<()>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) sync: SyncState,
}

/// The state of the shared backend, read by the request path (staleness), readiness and metrics.
pub(crate) struct SyncState {
    /// Whether a backend keeps this list in sync with other replicas.
    pub(crate) shared: bool,
    /// Past this many seconds without a confirmed sync, tokens get 503 (`u64::MAX`: fail open).
    pub(crate) max_staleness: u64,
    /// A shared list counts as in sync when its last confirmed sync is at most this old
    /// (seconds): two heartbeats.
    pub(crate) window: u64,
    /// When the list was last known in sync (clock seconds; 0: never).
    pub(crate) last_sync: AtomicU64,
    /// Full resynchronisations done (one per connection).
    pub(crate) resyncs: AtomicU64,
    /// Connections lost or refused.
    pub(crate) failures: AtomicU64,
    /// Entries of the shared set the last full resync could not read (and skipped).
    pub(crate) skipped: AtomicU64,
    /// Entries revoked here and not yet written to the backend.
    pub(crate) pending: Mutex<Vec<(Box<str>, u64)>>,
    pub(crate) wake: tokio::sync::Notify,
    /// Woken after every full resync (`RedisDenyListBuilder::connect` waits on it).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) synced: tokio::sync::Notify,
}

impl SyncState {
    fn local() -> Self {
        Self {
            shared: false,
            max_staleness: u64::MAX,
            window: 2,
            last_sync: AtomicU64::new(0),
            resyncs: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            pending: Mutex::new(Vec::new()),
            wake: tokio::sync::Notify::new(),
            synced: tokio::sync::Notify::new(),
        }
    }

    /// Seconds since the last confirmed sync at `now`; `None` for a local list or before the
    /// first sync.
    fn lag(&self, now: u64) -> Option<u64> {
        let last = self.last_sync.load(Ordering::Acquire);
        (self.shared && last != 0).then(|| now.saturating_sub(last))
    }

    /// Connected and confirmed within the window (always for a local list).
    fn in_sync(&self, now: u64) -> bool {
        !self.shared || self.lag(now).is_some_and(|lag| lag <= self.window)
    }

    /// Whether the list is staler than the configured maximum (never for a local list, never
    /// when failing open). Before the first sync a fail-closed list is stale: it has not seen
    /// the revocations made before this replica started.
    #[inline]
    fn is_stale(&self, now: u64) -> bool {
        if self.max_staleness == u64::MAX {
            return false;
        }
        let last = self.last_sync.load(Ordering::Acquire);
        last == 0 || now.saturating_sub(last) > self.max_staleness
    }
}

impl fmt::Debug for DenyList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Ids are other users' session ids: counted, never listed.
        f.debug_struct("DenyList")
            .field("entries", &self.len())
            .field("shared", &self.inner.set.sync.shared)
            .finish_non_exhaustive()
    }
}

impl Default for DenyList {
    fn default() -> Self {
        Self::new()
    }
}

impl DenyList {
    /// An empty in-memory list for this process, on the system clock.
    pub fn new() -> Self {
        Self::with_clock(SystemClock)
    }

    /// An empty in-memory list on `clock` (use the layer's clock in tests).
    pub fn with_clock(clock: impl Clock) -> Self {
        Self::from_set(Arc::new(DenySet::new(Arc::new(clock), SyncState::local())))
    }

    fn from_set(set: Arc<DenySet>) -> Self {
        Self {
            inner: Arc::new(Inner {
                set,
                #[cfg(feature = "redis")]
                _sync: None,
            }),
        }
    }

    pub(crate) fn set(&self) -> &DenySet {
        &self.inner.set
    }

    /// The longest an entry denies, counted from when it is made: 3651 days. No Cognito token
    /// lives longer: a refresh token at most 3650 days (10 years), and the last access or ID
    /// token it gives at most one day more. An `until` later than now + this is clamped to it,
    /// which denies every token the id can match for as long as that token lives, and keeps every
    /// `until` an integer far below 2^53 (exact as a Redis score).
    pub const MAX_ENTRY_LIFETIME: Duration = Duration::from_secs(MAX_AHEAD);

    /// Denies the token id `id` (an `origin_jti`, which cuts a whole session off, or a `jti`)
    /// until `until` (seconds since the Unix epoch: the `exp` of the last token to deny). A
    /// second revocation of the same id keeps the later `until`. Expired entries are pruned.
    ///
    /// An `until` past now + [`MAX_ENTRY_LIFETIME`](Self::MAX_ENTRY_LIFETIME) (`u64::MAX`
    /// included: "for ever") is clamped to it. Takes effect at once in this process; a shared
    /// list writes and publishes it in the background (kept and retried through an outage). An
    /// empty id, or one longer than 256 bytes, is ignored: Cognito's are UUIDs.
    pub fn revoke(&self, id: &str, until: u64) {
        if id.is_empty() || id.len() > MAX_ID_LEN {
            return;
        }
        let set = &self.inner.set;
        // Clamped before it is queued too: the backend gets what this process holds.
        let until = until.min(ceiling(set.clock.now()));
        set.merge([(id, until)], Prune::Due);
        if set.sync.shared {
            // Bounded: past the cap (a long outage), the write-back after the reconnect, which
            // writes every local entry Redis lacks, carries the rest.
            if let Ok(mut pending) = set.sync.pending.lock()
                && pending.len() < MAX_PENDING
            {
                pending.push((id.into(), until));
            }
            set.sync.wake.notify_one();
        }
    }

    /// Denies the session of these verified claims: their `origin_jti` (or, for a token without
    /// one, its `jti`), until the last token of the session can have expired.
    ///
    /// Tokens refreshed before the revocation may expire after this one, by up to one token
    /// lifetime: `until` is the later of `exp` and now + (`exp` - `iat`). Returns `false` when
    /// the claims carry neither id (nothing was denied).
    pub fn revoke_session<E>(&self, claims: &CognitoClaims<E>) -> bool {
        let Some(id) = claims.origin_jti.as_deref().or(claims.jti.as_deref()) else {
            return false;
        };
        self.revoke_lineage(id, claims.exp, claims.iat);
        true
    }

    /// Denies the session lineage `id` (a token's `origin_jti`, or its `jti` when it has none)
    /// of a token that expires at `exp` and was issued at `iat` (seconds since the Unix epoch):
    /// until the later of `exp` and now + the token's lifetime (`exp - iat`; `0` without `iat`),
    /// since a token refreshed just before the revocation lives that long. Now is the list's
    /// clock; the entry follows [`revoke`](Self::revoke)'s rules (the clamp to
    /// [`MAX_ENTRY_LIFETIME`](Self::MAX_ENTRY_LIFETIME), an empty or over-long id ignored).
    ///
    /// [`revoke_session`](Self::revoke_session) is this for verified claims. This form takes the
    /// ids and times read elsewhere, e.g. by a user-pool client from a token Cognito has just
    /// accepted in a sign-out (the `tower-cognito-client` crate's `global_sign_out_and_deny`):
    /// denying a lineage named by an unverified token only ever refuses more, never admits.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower_cognito::{clock::FixedClock, deny::DenyList};
    ///
    /// let list = DenyList::with_clock(FixedClock::new(1_000));
    /// // A one-hour token issued 10 minutes ago: denied for an hour from now.
    /// list.revoke_lineage("origin-1", 1_000 + 3_000, Some(1_000 - 600));
    /// assert!(list.is_revoked("origin-1", 1_000 + 3_599, Duration::ZERO));
    /// assert!(!list.is_revoked("origin-1", 1_000 + 3_601, Duration::ZERO));
    /// ```
    pub fn revoke_lineage(&self, id: &str, exp: u64, iat: Option<u64>) {
        let now = self.inner.set.clock.now();
        let lifetime = iat.map_or(0, |iat| exp.saturating_sub(iat));
        self.revoke(id, exp.max(now.saturating_add(lifetime)));
    }

    /// Whether `id` is denied at `now`, within `leeway` seconds (as the layer checks it).
    pub fn is_revoked(&self, id: &str, now: u64, leeway: Duration) -> bool {
        self.inner.set.denies(id, now, leeway.as_secs())
    }

    /// Entries held now (expired ones included until the next prune).
    pub fn len(&self) -> usize {
        self.inner.set.entries.load().len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops the entries that can deny nothing any more (a list of more than 4096 entries
    /// drops them on its own at least once a minute, a smaller one on every write).
    pub fn prune(&self) {
        self.inner
            .set
            .merge(std::iter::empty::<(&str, u64)>(), Prune::All);
    }

    /// Whether the list is shared, how far behind it may be, and its size.
    pub fn status(&self) -> DenyListStatus {
        let set = &self.inner.set;
        set.status(set.clock.now())
    }
}

impl DenySet {
    pub(crate) fn new(clock: Arc<dyn Clock>, sync: SyncState) -> Self {
        Self {
            entries: ArcSwap::from_pointee(Snapshot::empty(IdHasher::new())),
            write: Mutex::new(()),
            clock,
            sync,
        }
    }

    /// The request path: `Err(Revoked)` when the claims' `origin_jti` or `jti` is denied at
    /// `now` (with `leeway`), `Err(RevocationsStale)` when a fail-closed shared list is staler
    /// than its maximum. One load, and two hash lookups only when the list is not empty (two
    /// more while a list of over 4096 entries holds recent ones).
    #[inline]
    pub(crate) fn check<E>(
        &self,
        claims: &CognitoClaims<E>,
        now: u64,
        leeway: u64,
    ) -> Result<(), ErrorKind> {
        if self.sync.is_stale(now) {
            return Err(ErrorKind::RevocationsStale);
        }
        let entries = self.entries.load();
        if entries.is_empty() {
            return Ok(());
        }
        let denied = |id: &Option<String>| {
            id.as_deref()
                .and_then(|id| entries.get(id))
                .is_some_and(|until| now <= until.saturating_add(leeway))
        };
        if denied(&claims.origin_jti) || denied(&claims.jti) {
            return Err(ErrorKind::Revoked);
        }
        Ok(())
    }

    fn denies(&self, id: &str, now: u64, leeway: u64) -> bool {
        self.entries
            .load()
            .get(id)
            .is_some_and(|until| now <= until.saturating_add(leeway))
    }

    /// Adds `new` (keeping the later `until` of an id already there; an `until` past the
    /// ceiling clamped to it), prunes as `prune` says, and swaps the copy in. Nothing is copied
    /// when nothing changes (a replica receiving its own publication); a large list copies its
    /// recent entries only (see [`Snapshot`]).
    pub(crate) fn merge<'a>(&self, new: impl IntoIterator<Item = (&'a str, u64)>, prune: Prune) {
        let _writer = self.write.lock();
        let now = self.clock.now();
        let horizon = now.saturating_sub(GRACE);
        let ceiling = ceiling(now);
        let current = self.entries.load();
        let new: Vec<(&str, u64)> = new
            .into_iter()
            .map(|(id, until)| (id, until.min(ceiling)))
            .filter(|(id, until)| {
                !id.is_empty()
                    && id.len() <= MAX_ID_LEN
                    && *until >= horizon
                    && current.get(id).is_none_or(|known| *until > known)
            })
            .collect();
        let base_expired = current.base_min < horizon;
        let prune_base = match prune {
            Prune::No => false,
            Prune::Due => {
                base_expired
                    && (current.base.len() < SMALL
                        || now.saturating_sub(current.built) >= PRUNE_INTERVAL)
            }
            Prune::All => base_expired,
        };
        let prune_recent = prune != Prune::No && current.recent.values().any(|u| *u < horizon);
        if new.is_empty() && !prune_base && !prune_recent {
            return;
        }
        let recent_len = current.recent.len().saturating_add(new.len());
        if prune_base || recent_len > Snapshot::recent_cap(current.base.len()) {
            // Rebuild: everything live into one map.
            let mut base = Entries::with_capacity_and_hasher(
                current.len().saturating_add(new.len()),
                *current.base.hasher(),
            );
            base.extend(
                current
                    .iter()
                    .filter(|(_, until)| *until >= horizon)
                    .map(|(id, until)| (Box::from(id), until)),
            );
            for (id, until) in new {
                let slot = base.entry(id.into()).or_insert(0);
                *slot = until.max(*slot);
            }
            self.entries.store(Arc::new(Snapshot::rebuilt(base, now)));
            return;
        }
        let mut recent = Entries::with_capacity_and_hasher(recent_len, *current.recent.hasher());
        recent.extend(
            current
                .recent
                .iter()
                .filter(|(_, until)| prune == Prune::No || **until >= horizon)
                .map(|(id, until)| (id.clone(), *until)),
        );
        for (id, until) in new {
            let slot = recent.entry(id.into()).or_insert(0);
            *slot = until.max(*slot);
        }
        let overlap = recent
            .keys()
            .filter(|id| current.base.contains_key(&***id))
            .count();
        self.entries.store(Arc::new(Snapshot {
            base: Arc::clone(&current.base),
            recent,
            overlap,
            base_min: current.base_min,
            built: current.built,
        }));
    }

    /// The live entries (the sync task's write-back after a resync).
    #[cfg(feature = "redis")]
    pub(crate) fn snapshot(&self) -> Arc<Snapshot> {
        self.entries.load_full()
    }

    /// An empty map for `capacity` entries, hashed as this set's (a full resync fills it).
    #[cfg(feature = "redis")]
    pub(crate) fn empty_entries(&self, capacity: usize) -> Entries {
        Entries::with_capacity_and_hasher(capacity, *self.entries.load().base.hasher())
    }

    /// Makes `remote` (a full read of the shared set, entries checked and clamped by the
    /// reader) the new copy, with every live local entry merged in (the later `until` wins): one
    /// swap, linear in the entries, however many pages the read took. Nothing revoked here in the
    /// meantime is lost: the merge runs under the writers' lock, on the current copy.
    #[cfg(feature = "redis")]
    pub(crate) fn merge_full(&self, mut remote: Entries) {
        let _writer = self.write.lock();
        let now = self.clock.now();
        let horizon = now.saturating_sub(GRACE);
        let ceiling = ceiling(now);
        remote.retain(|id, until| {
            *until = (*until).min(ceiling);
            *until >= horizon && !id.is_empty() && id.len() <= MAX_ID_LEN
        });
        let current = self.entries.load();
        for (id, until) in current.iter().filter(|(_, until)| *until >= horizon) {
            match remote.get_mut(id) {
                Some(known) => *known = (*known).max(until),
                None => {
                    remote.insert(id.into(), until);
                }
            }
        }
        self.entries.store(Arc::new(Snapshot::rebuilt(remote, now)));
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.load().len()
    }

    /// The list's [`DenyListStatus`] at `now` (seconds of the layer's clock).
    pub(crate) fn status(&self, now: u64) -> DenyListStatus {
        let sync = &self.sync;
        DenyListStatus {
            shared: sync.shared,
            entries: self.len(),
            in_sync: sync.in_sync(now),
            lag: sync.lag(now).map(Duration::from_secs),
            stale: sync.is_stale(now),
            resyncs: sync.resyncs.load(Ordering::Relaxed),
            sync_failures: sync.failures.load(Ordering::Relaxed),
            pending: sync.pending.lock().map_or(0, |p| p.len()),
            skipped_entries: sync.skipped.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;

    fn claims(origin: Option<&str>, jti: Option<&str>) -> CognitoClaims {
        let mut c: CognitoClaims = serde_json::from_value(serde_json::json!({
            "sub": "s", "iss": "i", "token_use": "access", "exp": 2000, "iat": 1000,
        }))
        .unwrap();
        c.origin_jti = origin.map(Into::into);
        c.jti = jti.map(Into::into);
        c
    }

    #[test]
    fn denies_origin_or_jti_until_expiry_plus_leeway() {
        let clock = Arc::new(FixedClock::new(1000));
        let list = DenyList::with_clock(Arc::clone(&clock));
        let set = list.set();
        assert_eq!(set.check(&claims(Some("o"), Some("j")), 1000, 60), Ok(()));
        list.revoke("o", 2000);
        list.revoke("j2", 2000);
        assert_eq!(
            set.check(&claims(Some("o"), Some("j")), 1000, 60),
            Err(ErrorKind::Revoked)
        );
        assert_eq!(
            set.check(&claims(None, Some("j2")), 1000, 60),
            Err(ErrorKind::Revoked)
        );
        assert_eq!(set.check(&claims(None, None), 1000, 60), Ok(()));
        // Within the leeway after `until` still denied, past it not.
        assert_eq!(
            set.check(&claims(Some("o"), None), 2060, 60),
            Err(ErrorKind::Revoked)
        );
        assert_eq!(set.check(&claims(Some("o"), None), 2061, 60), Ok(()));
    }

    #[test]
    fn keeps_the_later_until_and_prunes_on_write() {
        let clock = Arc::new(FixedClock::new(1000));
        let list = DenyList::with_clock(Arc::clone(&clock));
        list.revoke("a", 1500);
        list.revoke("a", 1200);
        assert!(list.is_revoked("a", 1400, Duration::ZERO));
        list.revoke("b", 5000);
        assert_eq!(list.len(), 2);
        clock.set(1500 + GRACE + 1);
        list.revoke("c", 9000);
        assert_eq!(list.len(), 2, "a was pruned");
        assert!(!list.is_revoked("a", 1400, Duration::ZERO));
        clock.set(9000 + GRACE + 1);
        list.prune();
        assert!(list.is_empty());
    }

    #[test]
    fn ignores_empty_and_oversized_ids_and_revoke_session_bounds_the_lineage() {
        let clock = Arc::new(FixedClock::new(1500));
        let list = DenyList::with_clock(Arc::clone(&clock));
        list.revoke("", 9000);
        list.revoke(&"x".repeat(MAX_ID_LEN + 1), 9000);
        assert!(list.is_empty());
        assert!(!list.revoke_session(&claims(None, None)));
        assert!(list.revoke_session(&claims(Some("o"), Some("j"))));
        // exp 2000, lifetime 1000, now 1500: a token refreshed just now expires at 2500.
        assert!(list.is_revoked("o", 2500, Duration::ZERO));
        assert!(!list.is_revoked("o", 2501, Duration::ZERO));
        assert!(
            !list.is_revoked("j", 1500, Duration::ZERO),
            "origin_jti first"
        );
        let debug = format!("{list:?}");
        assert!(!debug.contains("\"o\""), "{debug}");
        assert!(!list.status().shared);
        assert!(list.status().in_sync);
    }

    #[test]
    fn a_far_future_until_is_clamped_to_the_maximum_entry_lifetime() {
        let clock = Arc::new(FixedClock::new(1000));
        let max = DenyList::MAX_ENTRY_LIFETIME.as_secs();
        assert_eq!(max, 3651 * 86_400, "10 years of refresh token and a day");
        let mut sync = SyncState::local();
        sync.shared = true;
        let list = DenyList::from_set(Arc::new(DenySet::new(clock.clone(), sync)));
        list.revoke("forever", u64::MAX);
        list.revoke("exact", 1000 + max);
        list.revoke("normal", 5000);
        for id in ["forever", "exact"] {
            assert!(list.is_revoked(id, 1000 + max, Duration::ZERO), "{id}");
            assert!(!list.is_revoked(id, 1000 + max + 1, Duration::ZERO), "{id}");
        }
        assert!(list.is_revoked("normal", 5000, Duration::ZERO));
        // Queued for the backend as held here: an integer far below 2^53.
        let pending = list.set().sync.pending.lock().unwrap().clone();
        assert!(
            pending.contains(&("forever".into(), 1000 + max)),
            "{pending:?}"
        );
        assert!(pending.iter().all(|(_, until)| *until < 1 << 53));
        // A far-future entry from elsewhere (a publication) is clamped the same way, to the
        // ceiling of the time it arrives.
        clock.set(2000);
        list.set().merge([("published", u64::MAX)], Prune::No);
        assert!(list.is_revoked("published", 2000 + max, Duration::ZERO));
        assert!(!list.is_revoked("published", 2000 + max + 1, Duration::ZERO));
        // The later arrival of the same far-future id moves it to the later ceiling.
        list.set().merge([("forever", u64::MAX)], Prune::No);
        assert!(list.is_revoked("forever", 2000 + max, Duration::ZERO));
    }

    #[cfg(feature = "redis")]
    #[test]
    fn a_full_read_replaces_the_copy_with_local_entries_merged_in() {
        let clock = Arc::new(FixedClock::new(10_000));
        let max = DenyList::MAX_ENTRY_LIFETIME.as_secs();
        let list = DenyList::with_clock(Arc::clone(&clock));
        list.revoke("local-only", 20_000);
        list.revoke("both-local-later", 30_000);
        list.revoke("both-remote-later", 20_000);
        let set = list.set();
        let mut remote = set.empty_entries(8);
        remote.insert("remote-only".into(), 20_000);
        remote.insert("both-local-later".into(), 25_000);
        remote.insert("both-remote-later".into(), 40_000);
        remote.insert("expired".into(), 10_000 - GRACE - 1);
        remote.insert("far".into(), u64::MAX);
        remote.insert("".into(), 20_000);
        set.merge_full(remote);
        let held: std::collections::BTreeMap<String, u64> = set
            .snapshot()
            .iter()
            .map(|(id, until)| (id.to_owned(), until))
            .collect();
        let expected: std::collections::BTreeMap<String, u64> = [
            ("local-only", 20_000),
            ("remote-only", 20_000),
            ("both-local-later", 30_000),
            ("both-remote-later", 40_000),
            ("far", 10_000 + max),
        ]
        .into_iter()
        .map(|(id, until)| (id.to_owned(), until))
        .collect();
        assert_eq!(held, expected);
    }

    /// The base of the current snapshot, to see whether a write copied it.
    fn base(list: &DenyList) -> Arc<Entries> {
        Arc::clone(&list.set().entries.load().base)
    }

    #[test]
    fn a_large_list_copies_its_recent_entries_only_and_folds_them_in_by_size() {
        let clock = Arc::new(FixedClock::new(100_000));
        let list = DenyList::with_clock(Arc::clone(&clock));
        let n = 40_000;
        let ids: Vec<String> = (0..n).map(|i| format!("id-{i}")).collect();
        list.set()
            .merge(ids.iter().map(|id| (id.as_str(), 200_000)), Prune::Due);
        assert_eq!(list.len(), n);
        let first = base(&list);
        assert_eq!(first.len(), n, "one batch: one rebuild");
        let cap = Snapshot::recent_cap(n);
        assert_eq!(cap, 200);
        // Writes up to the cap leave the base alone (not copied); lookups see both maps.
        list.revoke("new-0", 300_000);
        list.revoke("id-7", 300_000); // already in the base: a later `until`
        list.revoke("id-8", 150_000); // an earlier one changes nothing
        assert!(Arc::ptr_eq(&first, &base(&list)));
        assert_eq!(list.len(), n + 1, "id-7 is counted once");
        assert!(list.is_revoked("id-7", 300_000, Duration::ZERO));
        assert!(list.is_revoked("id-8", 200_000, Duration::ZERO));
        assert!(!list.is_revoked("id-8", 200_001, Duration::ZERO));
        assert!(list.is_revoked("new-0", 300_000, Duration::ZERO));
        assert!(list.is_revoked("id-39999", 200_000, Duration::ZERO));
        for i in 1..cap - 1 {
            list.revoke(&format!("new-{i}"), 300_000);
        }
        assert_eq!(list.set().entries.load().recent.len(), cap);
        assert!(Arc::ptr_eq(&first, &base(&list)));
        // One more folds the recent entries into a new base.
        list.revoke("one-more", 300_000);
        assert!(!Arc::ptr_eq(&first, &base(&list)));
        assert!(list.set().entries.load().recent.is_empty());
        assert_eq!(list.len(), n + cap);
        assert!(list.is_revoked("id-7", 300_000, Duration::ZERO));
        let snapshot = list.set().entries.load_full();
        assert_eq!(snapshot.iter().count(), n + cap);
        assert!(ids.iter().all(|id| snapshot.get(id).is_some()));
    }

    #[test]
    fn a_large_base_is_pruned_at_most_every_interval_and_recent_entries_on_every_write() {
        let clock = Arc::new(FixedClock::new(100_000));
        let list = DenyList::with_clock(Arc::clone(&clock));
        let n = 10_000;
        let ids: Vec<String> = (0..n).map(|i| format!("id-{i}")).collect();
        // Half expire (leave the grace period) 10 s from now, half much later.
        let short = 100_000 - GRACE + 9;
        list.set().merge(
            ids.iter()
                .enumerate()
                .map(|(i, id)| (id.as_str(), if i % 2 == 0 { short } else { 200_000 })),
            Prune::Due,
        );
        list.revoke("recent-short", short);
        let built = base(&list);
        clock.set(100_010);
        // Expired, but the base was built less than the interval ago: kept (they deny nothing
        // any more), while the recent entries are pruned on every write.
        list.revoke("recent-long", 200_000);
        assert!(Arc::ptr_eq(&built, &base(&list)));
        assert!(!list.is_revoked("id-0", clock.now(), Duration::from_secs(GRACE)));
        assert!(list.is_revoked("id-1", clock.now(), Duration::ZERO));
        assert_eq!(list.len(), n + 1, "recent-short went with the write");
        // The interval passed: the next write (or heartbeat) rebuilds without them.
        clock.set(100_000 + PRUNE_INTERVAL);
        list.set().merge(std::iter::empty(), Prune::Due);
        assert!(!Arc::ptr_eq(&built, &base(&list)));
        assert_eq!(list.len(), n / 2 + 1);
        // `prune` does not wait for the interval.
        list.revoke("soon", clock.now() + 10);
        assert_eq!(list.len(), n / 2 + 2);
        clock.set(clock.now() + 10 + GRACE + 1);
        list.prune();
        assert_eq!(list.len(), n / 2 + 1);
        assert!(!list.is_revoked("soon", 0, Duration::ZERO));
        clock.set(200_000 + GRACE + 1);
        list.prune();
        assert!(list.is_empty());
    }

    /// The two maps against a plain model, over random writes, publications, prunes and clock
    /// steps on a list past [`SMALL`] (a fixed-seed generator: the same run every time).
    #[test]
    fn a_large_list_answers_as_one_map_would() {
        let seed = std::cell::Cell::new(0x9E37_79B9_7F4A_7C15_u64);
        let next = |bound: u64| {
            let mut x = seed.get();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            seed.set(x);
            x % bound
        };
        let clock = Arc::new(FixedClock::new(1_000_000));
        let list = DenyList::with_clock(Arc::clone(&clock));
        let mut model: HashMap<String, u64> = HashMap::new();
        let ids: Vec<String> = (0..6_000).map(|i| format!("id-{i}")).collect();
        // 5 000 ids that outlive the test keep the list large; the other 1 000 come and go.
        let initial: Vec<(&str, u64)> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                (
                    id.as_str(),
                    if i < 5_000 {
                        10_000_000
                    } else {
                        1_000_000 + next(300)
                    },
                )
            })
            .collect();
        let pick = || {
            let i = if next(8) == 0 {
                next(6_000)
            } else {
                5_000 + next(1_000)
            };
            ids[i as usize].as_str()
        };
        list.set().merge(initial.iter().copied(), Prune::Due);
        for (id, until) in &initial {
            model.insert((*id).to_owned(), *until);
        }
        for step in 0..1_500 {
            let now = clock.now();
            match next(10) {
                0..=5 => {
                    let id = pick();
                    let until = now + next(300);
                    list.revoke(id, until);
                    let slot = model.entry(id.to_owned()).or_insert(0);
                    *slot = until.max(*slot);
                }
                6 => {
                    let batch: Vec<(&str, u64)> =
                        (0..next(20)).map(|_| (pick(), now + next(300))).collect();
                    list.set().merge(batch.iter().copied(), Prune::No);
                    for (id, until) in batch {
                        let slot = model.entry(id.to_owned()).or_insert(0);
                        *slot = until.max(*slot);
                    }
                }
                7 => list.set().merge(std::iter::empty(), Prune::Due),
                8 => clock.set(now + next(200)),
                _ => {
                    list.prune();
                    model.retain(|_, until| *until >= now.saturating_sub(GRACE));
                    assert_eq!(list.len(), model.len(), "step {step}");
                }
            }
            // Every fifth step every id that comes and goes, at the edge (the longest leeway);
            // a few at leeway 0 every step.
            let now = clock.now();
            let edge = if step % 5 == 0 { &ids[5_000..] } else { &[] };
            for id in edge {
                let expected = model.get(id).is_some_and(|until| now <= until + GRACE);
                let denied = list.is_revoked(id, now, Duration::from_secs(GRACE));
                assert_eq!(denied, expected, "step {step}");
            }
            for _ in 0..20 {
                let id = pick();
                let expected = model.get(id).is_some_and(|until| now <= *until);
                assert_eq!(
                    list.is_revoked(id, now, Duration::ZERO),
                    expected,
                    "step {step}"
                );
            }
        }
    }
}
