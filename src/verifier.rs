//! The verifier: pure, `(token, key set, now) -> claims or error`. No I/O, no locks, no clock
//! reads of its own.

use std::borrow::Cow;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::claims::{Audience, CognitoClaims, TokenUse};
use crate::config::{AcceptTokenUse, CognitoConfig};
use crate::error::{Error, ErrorKind};
use crate::json::{BorrowedStr, Loose, LooseStr, StrictValue, set_once};
use crate::keys::{KeySet, MAX_KID_LEN};

/// Largest RSA signature accepted: 8192-bit keys.
const MAX_SIGNATURE_LEN: usize = 1024;

/// Verifies Cognito tokens against a key set, with the rules of one [`CognitoConfig`].
///
/// This is what the layer runs for every request; use it directly to verify tokens outside an
/// HTTP stack (a WebSocket handshake, a queue consumer).
///
/// ```
/// use tower_cognito::{AcceptTokenUse, CognitoConfig, ErrorKind, KeySet, Verifier};
///
/// let config = CognitoConfig::builder("us-east-1_AbC123")
///     .client_id("client1")
///     .token_use(AcceptTokenUse::Access)
///     .build()?;
/// let verifier = Verifier::new(&config);
/// let err = verifier.verify("not.a.token", &KeySet::empty(), 1_700_000_000).unwrap_err();
/// assert_eq!(err.kind(), &ErrorKind::Malformed);
/// # Ok::<(), tower_cognito::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Verifier {
    config: CognitoConfig,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.config.issuer)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier with the rules of `config`.
    pub fn new(config: &CognitoConfig) -> Self {
        Self {
            config: config.clone(),
        }
    }

    /// The configuration whose rules this verifier applies.
    pub fn config(&self) -> &CognitoConfig {
        &self.config
    }

    /// Verifies `token` with the keys of `keys` at time `now` (seconds since the Unix epoch).
    ///
    /// Order: size cap, structure, header, key, signature, then the claims. Nothing of the
    /// payload is parsed before the signature has verified.
    ///
    /// # Errors
    /// An [`Error`] naming the first rule the token breaks. An empty key set gives
    /// [`ErrorKind::KeysUnavailable`].
    pub fn verify(&self, token: &str, keys: &KeySet, now: u64) -> Result<CognitoClaims, Error> {
        self.verify_parts(token, keys, now)
            .map(|(claims, _)| claims)
            .map_err(Error::new)
    }

    /// Verifies, and also returns the decoded payload (for an application's own claims type).
    pub(crate) fn verify_parts(
        &self,
        token: &str,
        keys: &KeySet,
        now: u64,
    ) -> Result<(CognitoClaims, Vec<u8>), ErrorKind> {
        let bytes = token.as_bytes();
        if bytes.len() > self.config.max_token_size {
            return Err(ErrorKind::TokenTooLarge);
        }
        let parts = split(bytes).ok_or(ErrorKind::Malformed)?;

        let header = decode(parts.header)?;
        let header = Header::parse(&header)?;
        // With keys loaded, an unknown `kid` is refused before anything else is decoded.
        let key = match keys.is_empty() {
            true => None,
            false => Some(keys.get(&header.kid).ok_or(ErrorKind::UnknownKeyId)?),
        };
        let mut signature = [0u8; MAX_SIGNATURE_LEN];
        let len = URL_SAFE_NO_PAD
            .decode_slice(parts.signature, &mut signature)
            .map_err(|_| ErrorKind::Malformed)?;
        let signature = signature.get(..len).ok_or(ErrorKind::Malformed)?;
        let payload = decode(parts.payload)?;

        // Only a well-formed token waits for keys (503); a malformed one could never verify (401).
        let key = key.ok_or(ErrorKind::KeysUnavailable)?;
        if !key.verify(parts.signing_input, signature) {
            return Err(ErrorKind::InvalidSignature);
        }

        let claims = CognitoClaims::from_payload(&payload)?;
        self.check(&claims, now)?;
        Ok((claims, payload))
    }

    /// The claim rules, on a payload whose signature verified.
    pub(crate) fn check(&self, c: &CognitoClaims, now: u64) -> Result<(), ErrorKind> {
        let cfg = &self.config;
        if !cfg.issuer_matches(&c.iss) {
            return Err(ErrorKind::InvalidIssuer);
        }
        match (cfg.token_use, c.token_use) {
            (AcceptTokenUse::Any, _)
            | (AcceptTokenUse::Access, TokenUse::Access)
            | (AcceptTokenUse::Id, TokenUse::Id) => {}
            _ => return Err(ErrorKind::TokenUseNotAccepted),
        }
        // Access tokens name their client in `client_id` (never fall back to `aud`); ID tokens in
        // a single-string `aud`.
        let client = match c.token_use {
            TokenUse::Access => c.client_id.as_deref(),
            TokenUse::Id => match &c.aud {
                Some(Audience::Single(aud)) => Some(aud.as_str()),
                _ => None,
            },
        };
        if !client.is_some_and(|id| cfg.clients.allows(id)) {
            return Err(ErrorKind::InvalidClient);
        }
        // Time claims are at most MAX_NUMERIC_DATE, so these sums cannot overflow; saturate anyway.
        let leeway = cfg.leeway;
        if now > c.exp.saturating_add(leeway) {
            return Err(ErrorKind::Expired { exp: c.exp, now });
        }
        let horizon = now.saturating_add(leeway);
        if let Some(nbf) = c.nbf.filter(|&nbf| nbf > horizon) {
            return Err(ErrorKind::NotYetValid { nbf, now });
        }
        if let Some(iat) = c.iat.filter(|&iat| iat > horizon) {
            return Err(ErrorKind::IssuedInFuture { iat, now });
        }
        Ok(())
    }
}

/// The three segments of a compact JWS, and the signing input they share.
struct Parts<'a> {
    header: &'a [u8],
    payload: &'a [u8],
    signature: &'a [u8],
    signing_input: &'a [u8],
}

/// Exactly three non-empty segments.
fn split(token: &[u8]) -> Option<Parts<'_>> {
    let first = token.iter().position(|&b| b == b'.')?;
    let (header, rest) = token.split_at(first);
    let rest = rest.get(1..)?;
    let second = rest.iter().position(|&b| b == b'.')?;
    let (payload, rest) = rest.split_at(second);
    let signature = rest.get(1..)?;
    if header.is_empty() || payload.is_empty() || signature.is_empty() || signature.contains(&b'.')
    {
        return None;
    }
    let signing_input = token.get(..header.len() + 1 + payload.len())?;
    Some(Parts {
        header,
        payload,
        signature,
        signing_input,
    })
}

/// Canonical base64url without padding (no `=`, `+`, `/`, whitespace, or stray trailing bits).
fn decode(segment: &[u8]) -> Result<Vec<u8>, ErrorKind> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| ErrorKind::Malformed)
}

/// The JOSE header members the verifier looks at.
struct Header<'a> {
    kid: Cow<'a, str>,
}

#[derive(Default)]
struct RawHeader<'a> {
    alg: Option<Loose<Cow<'a, str>>>,
    kid: Option<Loose<Cow<'a, str>>>,
    typ: Option<Loose<Cow<'a, str>>>,
    crit: Option<Value>,
}

impl<'a> Header<'a> {
    fn parse(json: &'a [u8]) -> Result<Self, ErrorKind> {
        let mut de = serde_json::Deserializer::from_slice(json);
        let raw = de
            .deserialize_map(HeaderVisitor)
            .map_err(|_| ErrorKind::InvalidHeader)?;
        de.end().map_err(|_| ErrorKind::InvalidHeader)?;

        match raw.alg {
            Some(Loose::Value(alg)) if alg == "RS256" => {}
            _ => return Err(ErrorKind::UnsupportedAlgorithm),
        }
        match raw.crit {
            None => {}
            Some(Value::Array(list)) if list.is_empty() => {}
            Some(_) => return Err(ErrorKind::CriticalHeader),
        }
        match raw.typ {
            None => {}
            Some(Loose::Value(typ)) if typ.eq_ignore_ascii_case("JWT") => {}
            Some(_) => return Err(ErrorKind::InvalidType),
        }
        match raw.kid {
            Some(Loose::Value(kid)) if !kid.is_empty() && kid.len() <= MAX_KID_LEN => {
                Ok(Header { kid })
            }
            _ => Err(ErrorKind::MissingKeyId),
        }
    }
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = RawHeader<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JOSE header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut h = RawHeader::default();
        // Other members (`jku`, `x5u`, `jwk`, `x5c`, ...) are ignored, but still checked for
        // duplicates: a header is a handful of members, so a linear scan is the cheapest set.
        let mut others: Vec<Cow<'de, str>> = Vec::new();
        while let Some(BorrowedStr(key)) = map.next_key::<BorrowedStr<'de>>()? {
            match &*key {
                "alg" => set_once(&mut h.alg, map.next_value_seed(LooseStr)?)?,
                "kid" => set_once(&mut h.kid, map.next_value_seed(LooseStr)?)?,
                "typ" => set_once(&mut h.typ, map.next_value_seed(LooseStr)?)?,
                "crit" => set_once(&mut h.crit, map.next_value_seed(StrictValue)?)?,
                _ => {
                    if others.contains(&key) {
                        return Err(de::Error::custom("duplicate member"));
                    }
                    map.next_value_seed(StrictValue)?;
                    others.push(key);
                }
            }
        }
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(json: &str) -> Result<String, ErrorKind> {
        Header::parse(json.as_bytes()).map(|h| h.kid.into_owned())
    }

    #[test]
    fn header_rules() {
        assert_eq!(header(r#"{"alg":"RS256","kid":"k1"}"#).unwrap(), "k1");
        assert_eq!(
            header(r#"{"kid":"k1","alg":"RS256","typ":"jwt","crit":[]}"#).unwrap(),
            "k1"
        );
        assert_eq!(header(r#"{"alg":"RS256","kid":"k\u0031","jku":"https://evil","x5u":"x","jwk":{},"x5c":["a"]}"#).unwrap(), "k1");
        let cases = [
            (
                r#"{"alg":"none","kid":"k"}"#,
                ErrorKind::UnsupportedAlgorithm,
            ),
            (
                r#"{"alg":"None","kid":"k"}"#,
                ErrorKind::UnsupportedAlgorithm,
            ),
            (
                r#"{"alg":"HS256","kid":"k"}"#,
                ErrorKind::UnsupportedAlgorithm,
            ),
            (
                r#"{"alg":"rs256","kid":"k"}"#,
                ErrorKind::UnsupportedAlgorithm,
            ),
            (
                r#"{"alg":["RS256"],"kid":"k"}"#,
                ErrorKind::UnsupportedAlgorithm,
            ),
            (r#"{"kid":"k"}"#, ErrorKind::UnsupportedAlgorithm),
            (r#"{"alg":"RS256"}"#, ErrorKind::MissingKeyId),
            (r#"{"alg":"RS256","kid":7}"#, ErrorKind::MissingKeyId),
            (r#"{"alg":"RS256","kid":""}"#, ErrorKind::MissingKeyId),
            (
                r#"{"alg":"RS256","kid":"k","crit":["exp"]}"#,
                ErrorKind::CriticalHeader,
            ),
            (
                r#"{"alg":"RS256","kid":"k","typ":"at+jwt"}"#,
                ErrorKind::InvalidType,
            ),
            (
                r#"{"alg":"RS256","kid":"k","typ":1}"#,
                ErrorKind::InvalidType,
            ),
            (
                r#"{"alg":"RS256","alg":"RS256","kid":"k"}"#,
                ErrorKind::InvalidHeader,
            ),
            (
                r#"{"alg":"RS256","kid":"k","x":1,"x":1}"#,
                ErrorKind::InvalidHeader,
            ),
            (
                r#"{"alg":"RS256","kid":"k"} "#,
                ErrorKind::UnsupportedAlgorithm,
            ),
            (r#"{"alg":"RS256","kid":"k"}x"#, ErrorKind::InvalidHeader),
            ("[]", ErrorKind::InvalidHeader),
            ("null", ErrorKind::InvalidHeader),
            (r#""x""#, ErrorKind::InvalidHeader),
        ];
        for (json, kind) in cases {
            let got = header(json);
            if json.ends_with(' ') {
                // Trailing whitespace is valid JSON; it is the header that is fine here.
                assert!(got.is_ok(), "{json}");
                continue;
            }
            assert_eq!(got.unwrap_err(), kind, "{json}");
        }
        assert_eq!(
            header(&format!(
                r#"{{"alg":"RS256","kid":"{}"}}"#,
                "k".repeat(MAX_KID_LEN + 1)
            ))
            .unwrap_err(),
            ErrorKind::MissingKeyId
        );
    }

    #[test]
    fn structure() {
        assert!(split(b"a.b.c").is_some());
        for bad in [
            &b"a.b"[..],
            b"a.b.c.d",
            b"a.b.c.d.e",
            b".b.c",
            b"a..c",
            b"a.b.",
            b"abc",
            b"",
        ] {
            assert!(split(bad).is_none(), "{bad:?}");
        }
        assert_eq!(split(b"ab.cd.ef").unwrap().signing_input, b"ab.cd");
        assert!(decode(b"eyJ=").is_err());
        assert!(decode(b"ab+c").is_err());
        assert!(decode(b"ab c").is_err());
        // "QR" has non-zero trailing bits where "QQ" is canonical for "A".
        assert!(decode(b"QQ").is_ok());
        assert!(decode(b"QR").is_err());
    }
}
