//! The `kid` index of a layer of several pools against brute force: for pools whose key sets
//! hold fuzzed `kid`s (some shared, some empty sets), the pools the index names for a fuzzed
//! header (its usual-header match, its usual form read without the parser, or the full header
//! path) are exactly those whose set holds the `kid` the JSON parser reads from it, and a header
//! the index refuses is one the parser refuses, for the same reason. The usual headers of every
//! `kid` are checked too.
//!
//! Input: the pools' `kid`s on the first line (pools separated by `|`, `kid`s by spaces), then
//! the header's JSON text.

#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tower_cognito::fuzzing::kid_owners;
use tower_cognito::jwks::KeySet;
use tower_cognito_fuzz::FIXTURE;

/// The fixture key published under each of `kids` (an empty set for none).
fn key_set(kids: &[&str]) -> KeySet {
    let jwk: Value = serde_json::from_str(&FIXTURE.jwks).expect("fixture JWKS");
    let keys: Vec<Value> = kids
        .iter()
        .map(|kid| {
            let mut key = jwk["keys"][0].clone();
            key["kid"] = Value::String((*kid).to_owned());
            key
        })
        .collect();
    let jwks = serde_json::json!({ "keys": keys }).to_string();
    KeySet::from_jwks(jwks.as_bytes()).unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (kids, header) = text.split_once('\n').unwrap_or((text, ""));
    let pools: Vec<Vec<&str>> = kids
        .split('|')
        .take(4)
        .map(|pool| pool.split(' ').filter(|k| !k.is_empty()).take(4).collect())
        .collect();
    let sets: Vec<KeySet> = pools.iter().map(|kids| key_set(kids)).collect();
    let sets: Vec<&KeySet> = sets.iter().collect();
    let check = |segment: &[u8]| {
        let (index, reference) = kid_owners(&sets, segment);
        assert_eq!(index, reference, "{segment:?}");
    };
    check(URL_SAFE_NO_PAD.encode(header).as_bytes());
    for kid in pools.iter().flatten() {
        let quoted = serde_json::to_string(kid).unwrap_or_default();
        for json in [
            format!(r#"{{"kid":{quoted},"alg":"RS256"}}"#),
            format!(r#"{{"alg":"RS256","kid":{quoted}}}"#),
        ] {
            check(URL_SAFE_NO_PAD.encode(json).as_bytes());
        }
    }
});
