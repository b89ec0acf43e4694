//! The `kid` index of a layer of several user pools: which pools' current key sets hold the key a
//! token's JOSE header names. The request path reads it with one `ArcSwap` load and one hash
//! lookup, before anything of the payload; it is rebuilt off the request path, from every pool's
//! current set, after any pool's set is swapped (by that pool's refresher) and once when the layer
//! is built (static sets are never swapped).
//!
//! A rebuild reads every pool's current set, so the swap of one pool never drops the others' keys.
//! Rebuilds run one at a time, and one that races with a swap is redone: a refresher that swaps
//! while another rebuild runs marks the index dirty and leaves; the running rebuild, once
//! published, sees the mark and rebuilds again. So after the last swap, the last rebuild to
//! publish read every set as it is now, and no refresher ever waits for another.
//!
//! The index only picks the pool: the pool's verifier then looks the key up in that pool's
//! current set. A lagging index (between a swap and its rebuild) can therefore send a token to
//! the pool that held its key a moment ago (which refuses it, as it refuses any unknown `kid`), or
//! find no pool for a key just added (the layer then falls back to the token's `iss`, see
//! [`route`](crate::route)), never verify a token with a key its pool no longer publishes.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arc_swap::{ArcSwap, Guard};

use crate::deny::IdHasher;
use crate::keys::KeySet;
use crate::keystore::IssuerKeys;

/// Which configured pools hold a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// Exactly one: its index in the layer (0 is the first pool).
    One(usize),
    /// More than one (never in real Cognito, whose key ids are digests of the keys; a
    /// configuration that gives two pools one key set does it).
    Shared,
}

impl Owner {
    /// `self` with pool `pool` added.
    fn and(self, pool: usize) -> Self {
        match self {
            Self::One(one) if one == pool => self,
            _ => Self::Shared,
        }
    }
}

/// One snapshot of the index: built from every pool's set as it was at one rebuild.
///
/// The maps hash with the deny-list's cheap seeded hash: lookups come from unverified headers,
/// but entries only from the pools' key sets (a few per pool), so no request can add to a map,
/// and a lookup's cost is bounded by the probe sequences of a table the application's JWKS made.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Owners {
    /// The usual encoded headers of every key (`KeySet::by_header`'s), to the pools that hold a
    /// key of that `kid`: a header matched here passes every header rule and names that `kid`.
    headers: HashMap<Box<[u8]>, Owner, IdHasher>,
    /// Every `kid`, to the pools that hold it.
    kids: HashMap<Box<str>, Owner, IdHasher>,
    /// The longest of `headers`: a longer segment is none of them, and is not hashed.
    longest_header: usize,
    /// Some pool has no key yet (its first fetch has not succeeded).
    incomplete: bool,
}

impl Owners {
    /// The index of `sets`, each the current set of the pool of its position.
    pub(crate) fn of<'s>(sets: impl IntoIterator<Item = &'s KeySet>) -> Self {
        let hasher = IdHasher::new();
        let mut owners = Self {
            headers: HashMap::with_hasher(hasher),
            kids: HashMap::with_hasher(hasher),
            longest_header: 0,
            incomplete: false,
        };
        for (pool, set) in sets.into_iter().enumerate() {
            owners.incomplete |= set.is_empty();
            for (kid, headers) in set.named_headers() {
                let owner = |old: Option<Owner>| old.map_or(Owner::One(pool), |o| o.and(pool));
                let entry = owners.kids.entry(kid.into()).or_insert(Owner::One(pool));
                *entry = owner(Some(*entry));
                for header in headers {
                    owners.longest_header = owners.longest_header.max(header.len());
                    let entry = owners
                        .headers
                        .entry(header.clone())
                        .or_insert(Owner::One(pool));
                    *entry = owner(Some(*entry));
                }
            }
        }
        owners
    }

    /// The pools of the key whose usual header is exactly `segment` (the header an issuer writes
    /// for it, byte for byte: no decoding, no parsing); `None` for any other header.
    #[inline]
    pub(crate) fn by_header(&self, segment: &[u8]) -> Option<Owner> {
        if segment.len() > self.longest_header {
            return None;
        }
        self.headers.get(segment).copied()
    }

    /// The pools that hold a key named `kid`.
    #[inline]
    pub(crate) fn by_kid(&self, kid: &str) -> Option<Owner> {
        self.kids.get(kid).copied()
    }

    /// Whether some pool has no key yet.
    #[inline]
    pub(crate) fn incomplete(&self) -> bool {
        self.incomplete
    }
}

/// The index of a layer's pools, with what rebuilds it.
pub(crate) struct KidIndex {
    /// Every pool's key store, in the layer's order.
    pools: Box<[Arc<IssuerKeys>]>,
    current: ArcSwap<Owners>,
    /// A rebuild runs (held by the rebuilding thread).
    busy: AtomicBool,
    /// A set was swapped since the running rebuild (if any) read them.
    dirty: AtomicBool,
    /// Runs once, between the reading of the sets and the publication of a rebuild: the tests
    /// swap a set there.
    #[cfg(test)]
    after_read: std::sync::Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl fmt::Debug for KidIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let current = self.current.load();
        f.debug_struct("KidIndex")
            .field("pools", &self.pools.len())
            .field("kids", &current.kids.len())
            .finish_non_exhaustive()
    }
}

impl KidIndex {
    /// The index of `pools`' current sets.
    pub(crate) fn new(pools: Box<[Arc<IssuerKeys>]>) -> Self {
        let current = ArcSwap::from_pointee(Self::read(&pools));
        Self {
            pools,
            current,
            busy: AtomicBool::new(false),
            dirty: AtomicBool::new(false),
            #[cfg(test)]
            after_read: std::sync::Mutex::new(None),
        }
    }

    fn read(pools: &[Arc<IssuerKeys>]) -> Owners {
        let sets: Vec<Arc<KeySet>> = pools.iter().map(|p| p.keys.load_full()).collect();
        Owners::of(sets.iter().map(|s| &**s))
    }

    /// The current snapshot: one `ArcSwap` load, no lock.
    #[inline]
    pub(crate) fn load(&self) -> Guard<Arc<Owners>> {
        self.current.load()
    }

    /// Rebuilds the index from every pool's current set: called after a pool's set was swapped,
    /// off the request path. Never waits: when another rebuild runs, it is asked to run again
    /// and this call returns.
    ///
    /// All four atomic operations are sequentially consistent, which is what makes "marked
    /// dirty, saw the index busy" and "freed the index, saw it clean" impossible together: a
    /// refresher that sets `dirty` and then finds `busy` set is seen by the rebuilding thread's
    /// load of `dirty` after it clears `busy` (or by a rebuild that starts later).
    pub(crate) fn rebuild(&self) {
        self.dirty.store(true, Ordering::SeqCst);
        // Each turn publishes an index read after the `dirty` it cleared; bounded by the swaps
        // that happen meanwhile (each one a JWKS fetch).
        while !self.busy.swap(true, Ordering::SeqCst) {
            if self.dirty.swap(false, Ordering::SeqCst) {
                let owners = Self::read(&self.pools);
                #[cfg(test)]
                self.run_after_read();
                self.current.store(Arc::new(owners));
            }
            self.busy.store(false, Ordering::SeqCst);
            if !self.dirty.load(Ordering::SeqCst) {
                return;
            }
        }
    }

    #[cfg(test)]
    fn run_after_read(&self) {
        let hook = self
            .after_read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(hook) = hook {
            hook();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::{Value, json};

    /// The JWKS of one test key under each of `kids` (the same public key: the index reads only
    /// the `kid`s and their headers).
    fn set(kids: &[&str]) -> KeySet {
        use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
        use aws_lc_rs::signature::{KeyPair, RsaKeyPair};
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        static JWK: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
        let jwk = JWK.get_or_init(|| {
            let pair = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
            let public = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
            json!({ "kty": "RSA", "n": URL_SAFE_NO_PAD.encode(&public.n),
                    "e": URL_SAFE_NO_PAD.encode(&public.e) })
        });
        let keys: Vec<Value> = kids
            .iter()
            .map(|kid| {
                let mut jwk = jwk.clone();
                jwk["kid"] = json!(kid);
                jwk
            })
            .collect();
        KeySet::from_jwks(json!({ "keys": keys }).to_string().as_bytes()).unwrap()
    }

    fn store(pool: &IssuerKeys, set: KeySet) {
        pool.keys.store(Arc::new(set));
    }

    fn pools(sets: Vec<KeySet>) -> Box<[Arc<IssuerKeys>]> {
        sets.into_iter()
            .map(|s| Arc::new(IssuerKeys::new(s, true)))
            .collect()
    }

    /// What the index must say now: built from scratch from the pools' current sets.
    fn fresh(index: &KidIndex) -> Owners {
        KidIndex::read(&index.pools)
    }

    #[test]
    fn owners_by_kid_and_by_usual_header() {
        let (a, b, c) = (set(&["a1", "a2"]), set(&["b1", "shared"]), set(&["shared"]));
        let owners = Owners::of([&a, &b, &c, &KeySet::empty()]);
        assert_eq!(owners.by_kid("a1"), Some(Owner::One(0)));
        assert_eq!(owners.by_kid("a2"), Some(Owner::One(0)));
        assert_eq!(owners.by_kid("b1"), Some(Owner::One(1)));
        assert_eq!(owners.by_kid("shared"), Some(Owner::Shared));
        assert_eq!(owners.by_kid("nope"), None);
        assert!(owners.incomplete());
        for (kid, owner) in [("a2", Owner::One(0)), ("shared", Owner::Shared)] {
            let usual = crate::keys::usual_headers(kid);
            assert_eq!(usual.len(), 2);
            for header in usual.iter() {
                assert_eq!(owners.by_header(header), Some(owner), "{kid}");
            }
        }
        // Another encoding of a known key's header is no usual header.
        let other = {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(br#"{"alg":"RS256","kid":"a1","typ":"JWT"}"#)
                .into_bytes()
        };
        assert_eq!(owners.by_header(&other), None);
        assert!(!Owners::of([&a, &b]).incomplete());
    }

    #[test]
    fn a_swap_of_one_pool_keeps_the_others_keys() {
        let index = KidIndex::new(pools(vec![set(&["a1"]), set(&["b1"])]));
        store(&index.pools[0], set(&["a2"]));
        index.rebuild();
        let owners = index.load();
        assert_eq!(owners.by_kid("a1"), None);
        assert_eq!(owners.by_kid("a2"), Some(Owner::One(0)));
        assert_eq!(owners.by_kid("b1"), Some(Owner::One(1)));
        assert_eq!(**owners, fresh(&index));
    }

    /// The interleaving that a rebuild of only its own pool, or one published without a second
    /// look, gets wrong: pool B swaps while A's rebuild has read the sets and not published yet.
    /// B's rebuild finds A's running and leaves; A's publishes an index without B's new key, then
    /// sees the mark and rebuilds: the index ends with both. Deterministic: B's swap runs on the
    /// same thread, inside A's rebuild.
    #[test]
    fn a_swap_during_a_rebuild_is_not_lost() {
        let index = Arc::new(KidIndex::new(pools(vec![set(&["a1"]), set(&["b1"])])));
        let inner = Arc::clone(&index);
        let hook: Box<dyn FnOnce() + Send> = Box::new(move || {
            store(&inner.pools[1], set(&["b2"]));
            inner.rebuild();
            // B's rebuild left at once: A's is running, and has not published.
            assert_eq!(inner.load().by_kid("b2"), None);
        });
        *index.after_read.lock().unwrap() = Some(hook);
        store(&index.pools[0], set(&["a2"]));
        index.rebuild();
        assert!(index.after_read.lock().unwrap().is_none(), "the hook ran");
        let owners = index.load();
        assert_eq!(owners.by_kid("a2"), Some(Owner::One(0)));
        assert_eq!(owners.by_kid("b2"), Some(Owner::One(1)));
        assert_eq!(owners.by_kid("b1"), None);
        assert_eq!(**owners, fresh(&index));
    }

    /// Two threads swapping their own pool's set over and over, each rebuilding after each swap:
    /// whatever the interleaving, once both are done the index is the one of the final sets.
    #[test]
    fn concurrent_swaps_of_two_pools_end_consistent() {
        const ROUNDS: usize = 200;
        let sets: Vec<Vec<Arc<KeySet>>> = ["a", "b"]
            .iter()
            .map(|p| {
                (0..4)
                    .map(|i| Arc::new(set(&[&format!("{p}{i}"), &format!("{p}x")])))
                    .collect()
            })
            .collect();
        let sets = Arc::new(sets);
        let index = Arc::new(KidIndex::new(pools(vec![set(&["a"]), set(&["b"])])));
        let start = Arc::new(std::sync::Barrier::new(2));
        let threads: Vec<_> = (0..2)
            .map(|pool| {
                let (index, sets, start) =
                    (Arc::clone(&index), Arc::clone(&sets), Arc::clone(&start));
                std::thread::spawn(move || {
                    start.wait();
                    for round in 0..ROUNDS {
                        index.pools[pool]
                            .keys
                            .store(Arc::clone(&sets[pool][round % 4]));
                        index.rebuild();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(**index.load(), fresh(&index));
        let last = (ROUNDS - 1) % 4;
        assert_eq!(
            index.load().by_kid(&format!("a{last}")),
            Some(Owner::One(0))
        );
        assert_eq!(
            index.load().by_kid(&format!("b{last}")),
            Some(Owner::One(1))
        );
    }
}
