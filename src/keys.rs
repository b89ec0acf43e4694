//! The key set of one issuer: `kid` → a public key, prepared once per fetch.

use std::fmt;

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyAlgorithm, PublicKeyUse};

pub(crate) use crate::header::MAX_KID_LEN;
const MIN_RSA_BITS: usize = 2048;
const MAX_RSA_BITS: usize = 8192;

/// Key material in a JWKS is trusted more than tokens and some publishers pad it: accept both.
const JWK_B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A public key ready to verify RS256 signatures: parsed once, when the key set was loaded.
pub(crate) struct VerifyingKey {
    key: ParsedPublicKey,
    bits: usize,
    /// The encoded JOSE headers an issuer writes for this key: `{"kid":K,"alg":"RS256"}` (Cognito's
    /// order) and `{"alg":"RS256","kid":K}` (sorted), compact, base64url. A token whose header
    /// segment is byte-identical to one of them names this key and passes every header rule, so
    /// the verifier skips decoding and parsing it.
    headers: Box<[Box<[u8]>]>,
}

impl VerifyingKey {
    /// Verifies an RSASSA-PKCS1-v1_5 SHA-256 signature over `message`.
    #[inline]
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key.verify_sig(message, signature).is_ok()
    }

    /// Length of this key's signatures: the modulus, in bytes (aws-lc refuses any other).
    #[inline]
    pub(crate) fn signature_len(&self) -> usize {
        self.bits.div_ceil(8)
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("alg", &"RS256")
            .field("bits", &self.bits)
            .finish()
    }
}

/// An immutable set of RS256 verification keys, by `kid`.
///
/// Only RSA keys usable for RS256 signatures are taken (`kty` RSA, `alg` RS256 or absent, `use`
/// `sig` or absent, a modulus of 2048 to 8192 bits, an odd exponent greater than 1). A key that
/// fails any rule is skipped and counted in [`skipped`](Self::skipped); the others still load.
/// When two usable keys share a `kid`, the first one in document order wins and the later one is
/// skipped.
///
/// ```
/// use tower_cognito::jwks::KeySet;
///
/// let err = KeySet::from_jwks(br#"{"keys": []}"#).unwrap_err();
/// assert_eq!(err.to_string(), "the JWKS has no usable key (0 skipped)");
/// ```
#[derive(Default)]
pub struct KeySet {
    /// In document order, `kid`s unique. A JWKS holds a handful of keys (Cognito publishes two):
    /// a linear scan finds one faster than hashing the `kid` would.
    keys: Vec<(Box<str>, VerifyingKey)>,
    skipped: usize,
}

impl KeySet {
    /// A key set with no key (nothing verifies).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Parses a JWKS document (`{"keys": [...]}`).
    ///
    /// # Errors
    /// [`JwksError`] when the document is not a JSON object with a `keys` array, or when no key in
    /// it is usable. A fetched set that fails here never replaces a good one.
    pub fn from_jwks(json: &[u8]) -> Result<Self, JwksError> {
        #[derive(serde::Deserialize)]
        struct Doc {
            keys: Vec<serde_json::Value>,
        }
        let doc: Doc = match serde_json::from_slice(json) {
            Ok(doc) => doc,
            Err(e) if e.is_data() => return Err(JwksError::NoKeysArray),
            Err(_) => return Err(JwksError::NotJson),
        };
        let mut set = Self::default();
        for value in doc.keys {
            match prepare(value) {
                Some((kid, key)) if !set.contains(&kid) => {
                    set.keys.push((kid.into_boxed_str(), key));
                }
                _ => set.skipped += 1,
            }
        }
        if set.keys.is_empty() {
            return Err(JwksError::NoUsableKey {
                skipped: set.skipped,
            });
        }
        Ok(set)
    }

    /// Number of usable keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }
    /// No usable key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
    /// Whether a key has this `kid`.
    pub fn contains(&self, kid: &str) -> bool {
        self.get(kid).is_some()
    }
    /// The `kid`s, in no particular order.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(kid, _)| &**kid)
    }
    /// How many JWKs of the document were not usable (skipped).
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// Whether both sets hold the same `kid`s with the same public keys.
    pub(crate) fn same_keys(&self, other: &KeySet) -> bool {
        self.keys.len() == other.keys.len()
            && self.keys.iter().all(|(kid, key)| {
                other
                    .get(kid)
                    .is_some_and(|o| o.key.as_ref() == key.key.as_ref())
            })
    }

    /// Each key's `kid` and usual encoded headers (see `VerifyingKey::headers`), in document
    /// order: what a layer of several pools indexes.
    pub(crate) fn named_headers(&self) -> impl Iterator<Item = (&str, &[Box<[u8]>])> {
        self.keys.iter().map(|(kid, key)| (&**kid, &*key.headers))
    }

    /// The key whose usual header (see `VerifyingKey::headers`) is exactly this header segment.
    #[inline]
    pub(crate) fn by_header(&self, segment: &[u8]) -> Option<&VerifyingKey> {
        self.keys
            .iter()
            .find(|(_, key)| key.headers.iter().any(|h| **h == *segment))
            .map(|(_, key)| key)
    }

    #[inline]
    pub(crate) fn get(&self, kid: &str) -> Option<&VerifyingKey> {
        self.keys
            .iter()
            .find(|(k, _)| **k == *kid)
            .map(|(_, key)| key)
    }

    /// The `kid` of one of this set's keys.
    #[cfg(fuzzing)]
    pub(crate) fn kid_of(&self, key: &VerifyingKey) -> Option<&str> {
        self.keys
            .iter()
            .find(|(_, k)| std::ptr::eq(k, key))
            .map(|(kid, _)| &**kid)
    }
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut kids: Vec<&str> = self.kids().collect();
        kids.sort_unstable();
        f.debug_struct("KeySet")
            .field("kids", &kids)
            .field("skipped", &self.skipped)
            .finish()
    }
}

/// Why a JWKS document gave no key set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    /// Not JSON.
    #[error("the JWKS is not JSON")]
    NotJson,
    /// JSON, but not an object with a `keys` array.
    #[error("the JWKS has no \"keys\" array")]
    NoKeysArray,
    /// No key of the document is usable.
    #[error("the JWKS has no usable key ({skipped} skipped)")]
    NoUsableKey {
        /// How many keys were skipped.
        skipped: usize,
    },
}

/// Turns one JWK into a prepared key, or `None` when it is not a usable RS256 signing key.
fn prepare(value: serde_json::Value) -> Option<(String, VerifyingKey)> {
    let jwk: Jwk = serde_json::from_value(value).ok()?;
    let AlgorithmParameters::RSA(rsa) = &jwk.algorithm else {
        return None;
    };
    match jwk.common.public_key_use {
        None | Some(PublicKeyUse::Signature) => {}
        Some(_) => return None,
    }
    match jwk.common.key_algorithm {
        None | Some(KeyAlgorithm::RS256) => {}
        Some(_) => return None,
    }
    let kid = jwk.common.key_id?;
    if kid.is_empty() || kid.len() > MAX_KID_LEN {
        return None;
    }
    let n = JWK_B64.decode(&rsa.n).ok()?;
    let e = JWK_B64.decode(&rsa.e).ok()?;
    let n = strip_leading_zeros(&n);
    let e = strip_leading_zeros(&e);
    let bits = bit_len(n);
    if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
        return None;
    }
    // Odd, greater than one, and at most 64 bits (every real key uses 65537).
    let odd = e.last().is_some_and(|b| b & 1 == 1);
    if !odd || e == [1] || e.len() > 8 {
        return None;
    }
    let key = RsaPublicKeyComponents { n, e }
        .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
        .ok()?;
    let headers = usual_headers(&kid);
    Some((kid, VerifyingKey { key, bits, headers }))
}

/// The two usual encoded headers naming `kid` (see `VerifyingKey::headers`), each kept only if the
/// full header path accepts it with this very `kid` (a `kid` that needs more escapes than the
/// header caps allow has none): the byte match never accepts what the full path would refuse.
pub(crate) fn usual_headers(kid: &str) -> Box<[Box<[u8]>]> {
    let Ok(quoted) = serde_json::to_string(kid) else {
        return Box::default();
    };
    [
        format!(r#"{{"kid":{quoted},"alg":"RS256"}}"#),
        format!(r#"{{"alg":"RS256","kid":{quoted}}}"#),
    ]
    .into_iter()
    .map(|json| URL_SAFE_NO_PAD.encode(json).into_bytes().into_boxed_slice())
    .filter(|segment| crate::header::segment_kid(segment).is_ok_and(|k| k == kid))
    .collect()
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or_default()
}

fn bit_len(n: &[u8]) -> usize {
    match n.first() {
        Some(&top) => (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_and_zeros() {
        assert_eq!(bit_len(&[0x80, 0]), 16);
        assert_eq!(bit_len(&[0x01, 0]), 9);
        assert_eq!(bit_len(&[]), 0);
        assert_eq!(strip_leading_zeros(&[0, 0, 1, 0]), &[1, 0]);
        assert_eq!(strip_leading_zeros(&[0, 0]), &[] as &[u8]);
    }

    /// A `kid` whose usual header breaks a header cap (here: more escapes than the item cap) gets
    /// no precomputed header: the byte match never accepts what the full path refuses.
    #[test]
    fn usual_headers_only_where_the_full_path_agrees() {
        assert_eq!(usual_headers("k1").len(), 2);
        let escaped: String = std::iter::repeat_n('\0', 40).collect();
        assert_eq!(escaped.len(), 40);
        assert!(usual_headers(&escaped).is_empty());
        let quotes = "\"".repeat(40);
        assert!(usual_headers(&quotes).is_empty());
        assert_eq!(usual_headers(&"k".repeat(MAX_KID_LEN)).len(), 2);
    }

    #[test]
    fn document_errors() {
        assert_eq!(KeySet::from_jwks(b"nope").unwrap_err(), JwksError::NotJson);
        assert_eq!(KeySet::from_jwks(b"").unwrap_err(), JwksError::NotJson);
        assert_eq!(
            KeySet::from_jwks(b"{}").unwrap_err(),
            JwksError::NoKeysArray
        );
        assert_eq!(
            KeySet::from_jwks(br#"{"keys":{}}"#).unwrap_err(),
            JwksError::NoKeysArray
        );
        assert_eq!(
            KeySet::from_jwks(b"[]").unwrap_err(),
            JwksError::NoKeysArray
        );
        assert_eq!(
            KeySet::from_jwks(br#"{"keys":[{"kty":"oct","k":"AAAA","kid":"a"},7]}"#).unwrap_err(),
            JwksError::NoUsableKey { skipped: 2 }
        );
    }
}
