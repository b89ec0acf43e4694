//! Entry points for the fuzz targets in `fuzz/` (compiled only with `--cfg fuzzing`, which
//! `cargo fuzz` sets). Not part of the API: the parsers they reach are internal.

use http::HeaderMap;

use crate::claims::CognitoClaims;
use crate::error::Error;
use crate::verifier::Verifier;

/// The bearer token of the request's `Authorization` header, as the layer extracts it.
///
/// # Errors
/// The [`Error`] the layer would answer with.
pub fn bearer_token(headers: &HeaderMap, max_len: usize) -> Result<&str, Error> {
    crate::bearer::bearer_token(headers, max_len).map_err(Error::new)
}

/// Parses a decoded token payload into claims: the parser the verifier runs only after a
/// signature has verified, which fuzzed tokens almost never reach.
///
/// # Errors
/// The [`Error`] naming the broken claim rule.
pub fn parse_claims(
    payload: &[u8],
) -> Result<CognitoClaims<serde_json::Map<String, serde_json::Value>>, Error> {
    crate::claims::Parsed::from_payload(payload)
        .and_then(crate::claims::Parsed::settle)
        .map_err(Error::new)
}

/// [`parse_claims`] with nothing kept of the untyped claims (`E = ()`, the layer's default):
/// the same verdict, the same typed claims.
///
/// # Errors
/// The [`Error`] naming the broken claim rule.
pub fn parse_claims_unit(payload: &[u8]) -> Result<CognitoClaims, Error> {
    crate::claims::Parsed::from_payload(payload)
        .and_then(crate::claims::Parsed::settle)
        .map_err(Error::new)
}

/// The verifier's claim rules (issuer, token use, client, time) on parsed claims.
///
/// # Errors
/// The [`Error`] naming the first broken rule.
pub fn check_claims<E>(
    verifier: &Verifier,
    claims: &CognitoClaims<E>,
    now: u64,
) -> Result<(), Error> {
    verifier.check(claims, now).map_err(Error::new)
}

/// The crate's base64url decoder (JWS segments: no padding, canonical trailing bits), for the
/// differential target against the `base64` crate.
pub fn b64url_decode(segment: &[u8]) -> Option<Vec<u8>> {
    crate::jws::decode(segment).ok()
}

/// The encoded headers the key set matches byte for byte for a key named `kid` (the fast path
/// that skips decoding and parsing), whether `keys` matches each, and what the full header path
/// makes of each with `keys`: the key's `kid` (`Ok(Some(kid))`), `Ok(None)` for an empty set, or
/// its error. For the differential target: both paths must agree.
pub fn header_paths(
    kid: &str,
    keys: &crate::keys::KeySet,
) -> Vec<(Vec<u8>, bool, Result<Option<String>, Error>)> {
    let quoted = serde_json::to_string(kid).unwrap_or_default();
    [
        format!(r#"{{"kid":{quoted},"alg":"RS256"}}"#),
        format!(r#"{{"alg":"RS256","kid":{quoted}}}"#),
    ]
    .into_iter()
    .map(|json| {
        use base64::Engine as _;
        let segment = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(json)
            .into_bytes();
        let matched = keys.by_header(&segment).is_some();
        let full = crate::verifier::header_key(&segment, keys)
            .map(|key| key.and_then(|key| keys.kid_of(key).map(str::to_owned)))
            .map_err(Error::new);
        (segment, matched, full)
    })
    .collect()
}

/// The routing key a layer of several pools reads from a decoded payload before the signature
/// (only to choose the pool's key set): the string value of the first member named `iss` of the
/// top-level object, when it has no escapes.
pub fn top_level_iss(payload: &[u8]) -> Option<Vec<u8>> {
    crate::route::top_level_iss(payload).map(<[u8]>::to_vec)
}

/// The most quotes, brackets and escapes [`top_level_iss`] reads before the key.
pub const TOP_LEVEL_ISS_MAX_STRUCTURAL: usize = crate::route::MAX_STRUCTURAL as usize;

/// Which of a layer's pools hold the key a header segment names, as the `kid` index of a layer
/// of several pools finds them (a known key's usual header matched byte for byte, else the `kid`
/// the header rules read, looked up), and by brute force (the header parsed by the JSON parser
/// alone, then each pool's set asked): `None` for no pool, `Some(Some(i))` for pool `i` alone,
/// `Some(None)` for several. `sets` are the pools' key sets, in order. For the differential
/// target: both must agree, refusals included.
pub fn kid_owners(
    sets: &[&crate::keys::KeySet],
    segment: &[u8],
) -> (
    Result<Option<Option<usize>>, Error>,
    Result<Option<Option<usize>>, Error>,
) {
    use crate::kid_index::{Owner, Owners};
    let owners = Owners::of(sets.iter().copied());
    let owner = |owner: Option<Owner>| {
        owner.map(|owner| match owner {
            Owner::One(pool) => Some(pool),
            Owner::Shared => None,
        })
    };
    let index = match owners.by_header(segment) {
        Some(found) => Ok(owner(Some(found))),
        None => crate::header::read_kid(segment).map(|header| owner(owners.by_kid(&header.kid))),
    };
    let reference = crate::header::parsed_segment_kid(segment).map(|kid| {
        let holders: Vec<usize> = (0..sets.len())
            .filter(|&i| sets.get(i).is_some_and(|set| set.contains(&kid)))
            .collect();
        match holders.as_slice() {
            [] => None,
            [one] => Some(Some(*one)),
            _ => Some(None),
        }
    });
    (index.map_err(Error::new), reference.map_err(Error::new))
}
