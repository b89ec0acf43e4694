//! The ALB key cache: keys by `kid` and the `kid`s known not to exist, in one immutable snapshot
//! behind an `ArcSwap`. The request path reads it without a lock (one load, a scan of at most
//! `max_keys` entries); only a finished fetch writes it (copy, change, swap), bounded on both sides
//! so that no flood of `kid`s grows it.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;

use super::key::AlbKey;

/// What the cache says about a `kid`.
#[derive(Debug, Clone)]
pub(crate) enum Lookup {
    Key(Arc<AlbKey>),
    /// Its key URL answered `404` less than the unknown-`kid` lifetime ago.
    Unknown,
    /// Nothing known: a fetch may tell.
    Absent,
}

#[derive(Debug, Default, Clone)]
struct Entries {
    /// Oldest first. A handful of keys: a scan beats hashing the `kid`.
    keys: Vec<(Box<str>, Arc<AlbKey>)>,
    /// `kid` → until when (seconds of the layer's clock) it stays unknown.
    unknown: HashMap<Box<str>, u64>,
}

/// The keys of one ALB layer, shared by its clones and their services.
#[derive(Debug)]
pub(crate) struct KeyCache {
    entries: ArcSwap<Entries>,
    max_keys: usize,
    max_unknown: usize,
}

impl KeyCache {
    pub(crate) fn new(max_keys: usize, max_unknown: usize) -> Self {
        Self {
            entries: ArcSwap::from_pointee(Entries::default()),
            max_keys: max_keys.max(1),
            max_unknown: max_unknown.max(1),
        }
    }

    /// The cached answer for `kid` at `now`: one atomic load, no lock, no allocation.
    #[inline]
    pub(crate) fn get(&self, kid: &str, now: u64) -> Lookup {
        let entries = self.entries.load();
        if let Some((_, key)) = entries.keys.iter().find(|(k, _)| **k == *kid) {
            return Lookup::Key(Arc::clone(key));
        }
        match entries.unknown.get(kid) {
            Some(&until) if now < until => Lookup::Unknown,
            _ => Lookup::Absent,
        }
    }

    /// Remembers `key` for `kid` (and forgets that `kid` was unknown); beyond `max_keys`, the
    /// oldest key goes.
    pub(crate) fn insert_key(&self, kid: &str, key: Arc<AlbKey>) {
        self.entries.rcu(|current| {
            let mut next = Entries::clone(current);
            next.unknown.remove(kid);
            next.keys.retain(|(k, _)| **k != *kid);
            next.keys.push((kid.into(), Arc::clone(&key)));
            let excess = next.keys.len().saturating_sub(self.max_keys);
            next.keys.drain(..excess);
            next
        });
    }

    /// Remembers that `kid` has no key until `until`; expired entries are dropped first, and if
    /// the cache is still full, the one that expires first.
    pub(crate) fn insert_unknown(&self, kid: &str, until: u64, now: u64) {
        self.entries.rcu(|current| {
            let mut next = Entries::clone(current);
            next.unknown.retain(|_, &mut t| now < t);
            if next.unknown.len() >= self.max_unknown && !next.unknown.contains_key(kid) {
                let first = next
                    .unknown
                    .iter()
                    .min_by_key(|(_, t)| **t)
                    .map(|(k, _)| k.clone());
                if let Some(first) = first {
                    next.unknown.remove(&first);
                }
            }
            next.unknown.insert(kid.into(), until);
            next
        });
    }

    /// How many keys and unknown `kid`s are held.
    pub(crate) fn len(&self) -> (usize, usize) {
        let entries = self.entries.load();
        (entries.keys.len(), entries.unknown.len())
    }
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};

    use super::*;

    fn key() -> Arc<AlbKey> {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        Arc::new(AlbKey::from_spki_der(pair.public_key().as_der().unwrap().as_ref()).unwrap())
    }

    #[test]
    fn bounded_keys_oldest_out() {
        let cache = KeyCache::new(2, 4);
        let (a, b, c) = (key(), key(), key());
        cache.insert_key("a", Arc::clone(&a));
        cache.insert_key("b", b);
        cache.insert_key("c", c);
        assert_eq!(cache.len(), (2, 0));
        assert!(matches!(cache.get("a", 0), Lookup::Absent));
        assert!(matches!(cache.get("c", 0), Lookup::Key(_)));
        // Re-inserting refreshes, never duplicates.
        cache.insert_key("c", a);
        assert_eq!(cache.len(), (2, 0));
    }

    #[test]
    fn unknown_kids_expire_and_stay_bounded() {
        let cache = KeyCache::new(2, 3);
        cache.insert_unknown("x", 10, 0);
        assert!(matches!(cache.get("x", 9), Lookup::Unknown));
        assert!(matches!(cache.get("x", 10), Lookup::Absent));
        for (i, kid) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            cache.insert_unknown(kid, 100 + i as u64, 5);
        }
        assert_eq!(cache.len(), (0, 3));
        // The earliest to expire went first.
        assert!(matches!(cache.get("a", 5), Lookup::Absent));
        assert!(matches!(cache.get("e", 5), Lookup::Unknown));
        // Past their time, all are dropped at the next insert.
        cache.insert_unknown("f", 1000, 500);
        assert_eq!(cache.len(), (0, 1));
        // A key found later replaces the unknown entry.
        cache.insert_key("f", key());
        assert!(matches!(cache.get("f", 500), Lookup::Key(_)));
        assert_eq!(cache.len(), (1, 0));
    }
}
