//! Token builders shared by the two bad-input tables: `bad_inputs.rs` (through the layer) and
//! `verifier.rs` (the bare verifier). Hostile tokens are built byte by byte where no JWT library
//! would produce them; every token is pool A's unless a signer is passed.
#![allow(clippy::indexing_slicing)]

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use tower_cognito::test_util::{LOCAL_CLIENT_ID, LocalIssuer};

/// The `kid` of pool A's key (the `LocalIssuer` default); both tables give pool B's key the same
/// `kid`, on purpose.
pub(crate) const KID: &str = "local-key-1";
/// The header of tokens signed by pool A's key, as raw text.
pub(crate) const STD_HEADER: &str = r#"{"kid":"local-key-1","alg":"RS256"}"#;

/// Base64url without padding: one JWS segment.
pub(crate) fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The JSON text of `claims`.
pub(crate) fn claims_text(claims: Map<String, Value>) -> String {
    Value::Object(claims).to_string()
}

/// `claims` with `key` set to `value`.
pub(crate) fn with(mut claims: Map<String, Value>, key: &str, value: Value) -> Map<String, Value> {
    claims.insert(key.to_owned(), value);
    claims
}

/// `claims` without `key`, which must be there.
pub(crate) fn without(mut claims: Map<String, Value>, key: &str) -> Map<String, Value> {
    assert!(claims.remove(key).is_some(), "{key} was not there");
    claims
}

/// The JSON text of `claims` without `key`, with `member` (raw JSON text, e.g. `"exp":1e300`)
/// first: for what `serde_json` would never write (duplicates, huge numbers, escapes).
pub(crate) fn raw_member(mut claims: Map<String, Value>, key: &str, member: &str) -> String {
    claims.remove(key);
    let text = claims_text(claims);
    format!("{{{member},{}", text.strip_prefix('{').unwrap())
}

/// The three segments of a compact token.
pub(crate) fn parts(token: &str) -> (String, String, String) {
    let v: Vec<&str> = token.split('.').collect();
    assert_eq!(v.len(), 3, "{token}");
    (v[0].to_owned(), v[1].to_owned(), v[2].to_owned())
}

/// The decoded signature bytes of `token`.
pub(crate) fn sig_bytes(token: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(parts(token).2).unwrap()
}

/// `token` with its signature segment replaced by these bytes.
pub(crate) fn with_sig(token: &str, sig: &[u8]) -> String {
    let (h, p, _) = parts(token);
    format!("{h}.{p}.{}", b64(sig))
}

/// `token` with bit `bit` of signature byte `byte` flipped.
pub(crate) fn flip_bit(token: &str, byte: usize, bit: u8) -> String {
    let mut sig = sig_bytes(token);
    sig[byte] ^= 1 << bit;
    with_sig(token, &sig)
}

/// The segment with its last character swapped for one that differs only in padding bits (a
/// non-canonical encoding of the same bytes): the lowest bit of the last sextet is always a
/// padding bit when the length is not a multiple of 4.
pub(crate) fn non_canonical_last(segment: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    assert!(
        !segment.len().is_multiple_of(4),
        "no padding bits in {segment}"
    );
    let (head, last) = segment.split_at(segment.len() - 1);
    let i = ALPHABET
        .iter()
        .position(|&c| c == last.as_bytes()[0])
        .unwrap();
    format!("{head}{}", ALPHABET[i ^ 1] as char)
}

/// JSON text whose length is not a multiple of 3 (JSON whitespace appended), so that its
/// base64 has padding bits and, padded, a `=`.
pub(crate) fn unaligned(mut text: String) -> String {
    while text.len().is_multiple_of(3) {
        text.push(' ');
    }
    text
}

/// `n` nested JSON arrays.
pub(crate) fn deep_array(n: usize) -> String {
    format!("{}{}", "[".repeat(n), "]".repeat(n))
}

/// `n` nested JSON objects around a `1`.
pub(crate) fn deep_object(n: usize) -> String {
    format!("{}1{}", r#"{"a":"#.repeat(n), "}".repeat(n))
}

/// The header segment of an `alg: none`-style token (`alg` spelled `name`) naming `KID`, as an
/// attacker sends it.
pub(crate) fn none_header(name: &str) -> String {
    b64(json!({ "kid": KID, "alg": name, "typ": "JWT" }).to_string())
}

/// The first (only) JWK `issuer` publishes.
pub(crate) fn published_jwk(issuer: &LocalIssuer) -> Value {
    issuer.jwks()["keys"][0].clone()
}

/// `claims` signed by `signer`, whose own key the header embeds (`jwk`) and points at (`jku`),
/// under pool A's `kid`: the key must never be trusted.
pub(crate) fn signed_by_embedded_key(signer: &LocalIssuer, claims: Map<String, Value>) -> String {
    signer.sign_json(
        &json!({
            "kid": KID,
            "alg": "RS256",
            "jwk": published_jwk(signer),
            "jku": "https://evil.example/jwks.json",
        }),
        &Value::Object(claims),
    )
}

/// Tokens of pool A, for a test fixture that holds pool A's issuer.
pub(crate) trait PoolA {
    /// Pool A's issuer.
    fn pool_a(&self) -> &LocalIssuer;

    /// Access-token claims of pool A.
    fn access(&self) -> Map<String, Value> {
        self.pool_a().access_claims()
    }

    /// ID-token claims of pool A.
    fn id(&self) -> Map<String, Value> {
        self.pool_a().id_claims()
    }

    /// Access claims of a machine-to-machine token: no user, no groups, the app client as `sub`.
    fn m2m(&self) -> Map<String, Value> {
        let mut claims = self.access();
        for key in [
            "username",
            "cognito:groups",
            "auth_time",
            "origin_jti",
            "event_id",
        ] {
            claims.remove(key);
        }
        claims.insert("sub".into(), json!(LOCAL_CLIENT_ID));
        claims.insert("scope".into(), json!("orders/read orders/write"));
        claims
    }

    /// `claims` signed by pool A's key, standard header.
    fn sign(&self, claims: &Map<String, Value>) -> String {
        self.pool_a().sign(claims)
    }

    /// Raw header and payload bytes, signed by pool A's key.
    fn raw(&self, header: impl AsRef<[u8]>, payload: impl AsRef<[u8]>) -> String {
        self.pool_a().sign_raw(header.as_ref(), payload.as_ref())
    }

    /// A raw header over valid access claims, signed by pool A's key.
    fn header(&self, header: &str) -> String {
        self.raw(header, claims_text(self.access()))
    }

    /// A header given as JSON over valid access claims, signed by pool A's key.
    fn hdr(&self, header: Value) -> String {
        self.header(&header.to_string())
    }

    /// The standard header over a raw payload, signed by pool A's key.
    fn payload(&self, payload: &str) -> String {
        self.raw(STD_HEADER, payload)
    }

    /// Valid access claims signed by pool A's key under a header naming `kid`.
    fn with_kid(&self, kid: &str) -> String {
        self.hdr(json!({ "kid": kid, "alg": "RS256" }))
    }

    /// Access claims whose member `key` is the raw JSON text `text` (first, under the standard
    /// header): time claims as strings, floats, `1e300`, numbers beyond `u64`...
    fn raw_claim(&self, key: &str, text: &str) -> String {
        self.payload(&raw_member(
            self.access(),
            key,
            &format!(r#""{key}":{text}"#),
        ))
    }

    /// HS256 over valid access claims, keyed with `secret`, header naming `kid`: with the RSA
    /// public key as `secret`, the algorithm-confusion attack.
    fn hs256(&self, kid: &str, secret: &[u8]) -> String {
        let input = format!(
            "{}.{}",
            b64(json!({ "kid": kid, "alg": "HS256" }).to_string()),
            b64(claims_text(self.access()))
        );
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), input.as_bytes());
        format!("{input}.{}", b64(tag.as_ref()))
    }
}
