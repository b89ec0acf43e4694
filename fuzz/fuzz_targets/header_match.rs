//! The precomputed-header byte match (which skips decoding and parsing the usual headers of a
//! key) against the full header path, for arbitrary `kid`s: a header segment is matched if and
//! only if the full path accepts it and names that very key. (A `kid` whose usual header breaks a
//! header cap, too many escapes say, is matched by neither.)

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tower_cognito::fuzzing::header_paths;
use tower_cognito::jwks::KeySet;
use tower_cognito_fuzz::FIXTURE;

fuzz_target!(|data: &[u8]| {
    let Ok(kid) = std::str::from_utf8(data) else {
        return;
    };
    // The fixture key, published under the fuzzed `kid`.
    let mut jwk: Value = serde_json::from_str(&FIXTURE.jwks).expect("fixture JWKS");
    jwk["keys"][0]["kid"] = Value::String(kid.to_owned());
    if let Ok(keys) = KeySet::from_jwks(jwk.to_string().as_bytes()) {
        for (segment, matched, full) in header_paths(kid, &keys) {
            let accepted = full == Ok(Some(kid.to_owned()));
            assert_eq!(matched, accepted, "{segment:?}: full path {full:?}");
        }
    }
    // Against the fixture's own key set, a header naming another `kid` never matches.
    for (segment, matched, full) in header_paths(kid, &FIXTURE.keys) {
        if matched {
            assert_eq!(full, Ok(Some(kid.to_owned())), "{segment:?}");
        }
    }
});
