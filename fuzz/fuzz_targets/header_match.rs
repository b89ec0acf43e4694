//! The precomputed-header byte match (which skips decoding and parsing the usual headers of a
//! key) against the full header path, for arbitrary `kid`s: a header the match accepts is one the
//! full path accepts, naming the same key; and the full path finds that key for both usual
//! headers of a `kid` the key set holds.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tower_cognito::KeySet;
use tower_cognito::fuzzing::header_paths;
use tower_cognito_fuzz::FIXTURE;

fuzz_target!(|data: &[u8]| {
    let Ok(kid) = std::str::from_utf8(data) else {
        return;
    };
    // The fixture key, published under the fuzzed `kid`.
    let mut jwk: Value = serde_json::from_str(&FIXTURE.jwks).expect("fixture JWKS");
    jwk["keys"][0]["kid"] = Value::String(kid.to_owned());
    let Ok(keys) = KeySet::from_jwks(jwk.to_string().as_bytes()) else {
        return; // An empty or over-long `kid`: no key, nothing to match.
    };
    for (segment, matched, full) in header_paths(kid, &keys) {
        assert!(matched, "the usual header of a held kid matches: {segment:?}");
        assert_eq!(full, Ok(Some(kid.to_owned())), "{segment:?}");
    }
    // And against the fixture's own key set, another `kid`'s headers never match.
    for (segment, matched, full) in header_paths(kid, &FIXTURE.keys) {
        if matched {
            assert_eq!(full, Ok(Some(kid.to_owned())), "{segment:?}");
        }
    }
});
