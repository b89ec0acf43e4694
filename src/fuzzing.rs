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
