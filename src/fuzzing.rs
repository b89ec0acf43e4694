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
pub fn parse_claims(payload: &[u8]) -> Result<CognitoClaims, Error> {
    CognitoClaims::from_payload(payload).map_err(Error::new)
}

/// The verifier's claim rules (issuer, token use, client, time) on parsed claims.
///
/// # Errors
/// The [`Error`] naming the first broken rule.
pub fn check_claims(verifier: &Verifier, claims: &CognitoClaims, now: u64) -> Result<(), Error> {
    verifier.check(claims, now).map_err(Error::new)
}

/// The crate's base64url decoder (JWS segments: no padding, canonical trailing bits), for the
/// differential target against the `base64` crate.
pub fn b64url_decode(segment: &[u8]) -> Option<Vec<u8>> {
    crate::jws::decode(segment).ok()
}

/// The two encoded headers the key set matches byte for byte for a key named `kid` (the fast
/// path that skips decoding and parsing), and what the full header path makes of each with
/// `keys`: the `kid` it finds (`Ok(Some(kid))`), or its error. For the differential target: a
/// header the byte match accepts must be one the full path accepts, naming the same key.
pub fn header_paths(
    kid: &str,
    keys: &crate::KeySet,
) -> Vec<(Vec<u8>, bool, Result<Option<String>, Error>)> {
    let Some(headers) = crate::keys::usual_headers(kid) else {
        return Vec::new();
    };
    headers
        .iter()
        .map(|segment| {
            let matched = keys.by_header(segment).is_some();
            let full = crate::header::header_kid(segment, keys).map_err(Error::new);
            (segment.to_vec(), matched, full)
        })
        .collect()
}
