//! Arbitrary bytes as a JWKS document: `KeySet::from_jwks` never panics, and what it loads obeys
//! the key set's invariants.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_cognito::jwks::KeySet;
use tower_cognito_fuzz::{FIXTURE, KID, NOW};

/// `MAX_KID_LEN` of the crate.
const MAX_KID_LEN: usize = 256;

fuzz_target!(|data: &[u8]| {
    match KeySet::from_jwks(data) {
        Ok(set) => {
            assert!(!set.is_empty() && set.len() == set.kids().count());
            for kid in set.kids() {
                assert!(!kid.is_empty() && kid.len() <= MAX_KID_LEN);
                assert!(set.contains(kid));
            }
            let _ = format!("{set:?}");
            // Only a set that holds the fixture key under its `kid` verifies a fixture token
            // (anything else would be an RSA forgery).
            let f = &*FIXTURE;
            let verified = f.verifier.verify(&f.valid[0], &set, NOW);
            if verified.is_ok() {
                assert!(set.contains(KID));
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
