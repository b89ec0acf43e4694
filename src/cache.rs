//! The verified-token cache: a fixed array of lock-free slots.
//!
//! - Bounded: `slots` entries at most (direct-mapped: a new token replaces the one in its slot).
//! - Keyed by the exact token bytes: the slot is chosen by a seeded hash of the token's tail (its
//!   signature, which is high-entropy), and a hit requires the whole token to be byte-identical.
//! - Only tokens that passed every rule are inserted; a rejected token is never cached.
//! - An entry holds the key set it was verified with and hits only while that very set is the
//!   current one (`Arc::ptr_eq`; the entry keeps the set alive, so its address cannot be reused):
//!   any swap of the key set empties the cache at once, for free.
//! - The time rules are not the cache's: the layer applies them to a hit exactly as to a miss,
//!   at the current instant (`exp`, `nbf`, `iat`, with the leeway).
//! - Reads take no lock: `ArcSwapOption::load` and a compare.

use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwapOption;

use crate::claims::CognitoClaims;
use crate::keys::KeySet;

/// Tokens longer than this are never cached.
pub(crate) const MAX_CACHED_TOKEN_LEN: usize = 4096;

pub(crate) struct Entry<E> {
    token: Box<[u8]>,
    /// The layer's pool whose keys verified the token.
    pool: usize,
    keys: Arc<KeySet>,
    pub(crate) claims: Arc<CognitoClaims<E>>,
}

impl<E> Entry<E> {
    /// The pool whose keys verified the token.
    #[inline]
    pub(crate) fn pool(&self) -> usize {
        self.pool
    }

    /// Whether the token was verified with exactly `keys` (the pool's current set): any swap of
    /// the set makes every entry of it a miss.
    #[inline]
    pub(crate) fn verified_with(&self, keys: &Arc<KeySet>) -> bool {
        Arc::ptr_eq(&self.keys, keys)
    }
}

/// `E` is the layer's application claims type: one cache per layer type, no downcast.
pub(crate) struct TokenCache<E> {
    slots: Box<[ArcSwapOption<Entry<E>>]>,
    mask: usize,
    seed: u64,
}

impl<E> fmt::Debug for TokenCache<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("slots", &self.slots.len())
            .finish()
    }
}

impl<E> TokenCache<E> {
    /// A cache of `slots` entries (rounded up to a power of two); `None` for zero.
    pub(crate) fn new(slots: usize) -> Option<Self> {
        if slots == 0 {
            return None;
        }
        let slots = slots.checked_next_power_of_two()?;
        let mut seed = [0u8; 8];
        // The seed only spreads tokens over slots; a failure to get randomness costs nothing else.
        let _ = aws_lc_rs::rand::fill(&mut seed);
        Some(Self {
            slots: (0..slots).map(|_| ArcSwapOption::empty()).collect(),
            mask: slots - 1,
            seed: u64::from_le_bytes(seed),
        })
    }

    #[inline]
    fn slot(&self, bytes: &[u8]) -> Option<&ArcSwapOption<Entry<E>>> {
        // The last 16 bytes are signature characters: an RSA signature is pseudo-random.
        let tail = bytes
            .get(bytes.len().saturating_sub(16)..)
            .unwrap_or_default();
        let mut h = self.seed ^ (bytes.len() as u64);
        for chunk in tail.chunks(8) {
            let mut word = [0u8; 8];
            for (w, b) in word.iter_mut().zip(chunk) {
                *w = *b;
            }
            h = (h ^ u64::from_le_bytes(word)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            h ^= h >> 29;
        }
        self.slots.get((h as usize) & self.mask)
    }

    /// Runs `on_hit` on the cached entry of exactly these token bytes; does nothing without one.
    /// The bytes need not have been checked: only byte-identical verified tokens are here. The
    /// caller checks that the entry's key set is still its pool's
    /// ([`Entry::verified_with`]) and applies the time rules.
    ///
    /// The entry is borrowed, not cloned: two threads hitting the same token do not bounce the
    /// entry's reference count between their cores.
    #[inline]
    pub(crate) fn hit(&self, token: &[u8], on_hit: impl FnOnce(&Entry<E>)) {
        if token.len() > MAX_CACHED_TOKEN_LEN {
            return;
        }
        let Some(slot) = self.slot(token) else {
            return;
        };
        let guard = slot.load();
        if let Some(entry) = guard.as_ref()
            // Constant time: the cached token is another request's credential.
            && aws_lc_rs::constant_time::verify_slices_are_equal(&entry.token, token).is_ok()
        {
            on_hit(entry);
        }
    }

    /// Remembers a token that passed every rule of pool `pool` with `keys`.
    pub(crate) fn insert(
        &self,
        token: &[u8],
        pool: usize,
        keys: &Arc<KeySet>,
        claims: Arc<CognitoClaims<E>>,
    ) {
        if token.len() > MAX_CACHED_TOKEN_LEN {
            return;
        }
        if let Some(slot) = self.slot(token) {
            slot.store(Some(Arc::new(Entry {
                token: token.into(),
                pool,
                keys: Arc::clone(keys),
                claims,
            })));
        }
    }
}
