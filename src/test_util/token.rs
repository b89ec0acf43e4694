//! [`TokenBuilder`]: the hostile tokens of the crate's own bad-input tables, for your tests.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::LocalIssuer;

/// A token of a [`LocalIssuer`], valid until you break it: made by
/// [`LocalIssuer::token`](LocalIssuer::token) (an access token) or
/// [`LocalIssuer::id_token_builder`](LocalIssuer::id_token_builder), changed claim by claim,
/// header member by member, or its signature, then [`build`](Self::build).
///
/// Each method is one of the attacks a verifier must refuse, so your own service can be tested
/// against them too (what the crate's own tables send through the layer):
///
/// ```
/// use tower_cognito::test_util::LocalIssuer;
/// use tower_cognito::{CognitoAuthLayer, ErrorKind, TokenUse};
///
/// let issuer = LocalIssuer::new()?;
/// let other_pool = LocalIssuer::builder().user_pool_id("us-east-1_Other9").build()?;
/// let config = issuer.config().token_use(TokenUse::Access).build()?;
/// let layer = CognitoAuthLayer::builder(config).static_keys(issuer.key_set()).build()?;
/// let refused = |token: String| layer.verify(&token).unwrap_err().kind();
///
/// assert!(layer.verify(&issuer.token().build()).is_ok());
/// assert!(matches!(refused(issuer.token().expired().build()), ErrorKind::Expired { .. }));
/// assert_eq!(refused(issuer.token().alg_none().build()), ErrorKind::Malformed);
/// assert_eq!(refused(issuer.token().hs256_with_public_key().build()), ErrorKind::UnsupportedAlgorithm);
/// assert_eq!(refused(issuer.token().claim("cognito:groups", ["admin"]).tampered().build()), ErrorKind::InvalidSignature);
/// assert_eq!(refused(issuer.token().signed_by(&other_pool).build()), ErrorKind::InvalidSignature);
/// assert_eq!(refused(issuer.token().claim("exp", "2000000000").build()), ErrorKind::InvalidClaims);
/// assert_eq!(refused(issuer.token().without("client_id").build()), ErrorKind::InvalidClient);
/// assert_eq!(refused(issuer.id_token_builder().build()), ErrorKind::TokenUseNotAccepted);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a token builder does nothing until `build`"]
pub struct TokenBuilder {
    issuer: LocalIssuer,
    header: Header,
    payload: Payload,
    signature: Signature,
    /// Flip a bit of the signature once made.
    tampered: bool,
}

#[derive(Debug, Clone)]
enum Header {
    /// `{"kid": <the signing key's>, "alg": "RS256"}` plus these members.
    Standard(Map<String, Value>),
    /// Exactly these bytes.
    Raw(Vec<u8>),
}

#[derive(Debug, Clone)]
enum Payload {
    Claims(Map<String, Value>),
    Raw(Vec<u8>),
}

#[derive(Debug, Clone)]
enum Signature {
    /// RS256 with the issuer's active key.
    Issuer,
    /// RS256 with another issuer's active key (header naming the first issuer's `kid`).
    Other(LocalIssuer),
    /// `alg: none` and an empty signature segment.
    None,
    /// HS256 keyed with these bytes.
    Hmac(Vec<u8>),
}

impl TokenBuilder {
    pub(super) fn new(issuer: &LocalIssuer, claims: Map<String, Value>) -> Self {
        Self {
            issuer: issuer.clone(),
            header: Header::Standard(Map::new()),
            payload: Payload::Claims(claims),
            signature: Signature::Issuer,
            tampered: false,
        }
    }

    /// Sets (or replaces) the claim `name`, with any JSON value (a string where a number is
    /// wanted, an array where a string is...).
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        if let Payload::Claims(claims) = &mut self.payload {
            claims.insert(name.to_owned(), value.into());
        }
        self
    }

    /// Removes the claim `name`.
    pub fn without(mut self, name: &str) -> Self {
        if let Payload::Claims(claims) = &mut self.payload {
            claims.remove(name);
        }
        self
    }

    /// The payload as exactly these bytes (duplicate members, invalid JSON, anything).
    pub fn raw_payload(mut self, payload: impl Into<Vec<u8>>) -> Self {
        self.payload = Payload::Raw(payload.into());
        self
    }

    /// Adds (or replaces) a member of the standard header (`typ`, `crit`, `jku`, `kid`, `alg`...).
    pub fn header(mut self, name: &str, value: impl Into<Value>) -> Self {
        if let Header::Standard(members) = &mut self.header {
            members.insert(name.to_owned(), value.into());
        }
        self
    }

    /// The header as exactly these bytes.
    pub fn raw_header(mut self, header: impl Into<Vec<u8>>) -> Self {
        self.header = Header::Raw(header.into());
        self
    }

    /// `exp` one second past the default leeway (60 s) of the issuer's clock.
    pub fn expired(self) -> Self {
        let exp = self.issuer.now().saturating_sub(61);
        self.claim("exp", exp)
    }

    /// `nbf` one second past the default leeway (60 s) ahead of the issuer's clock.
    pub fn not_yet_valid(self) -> Self {
        let nbf = self.issuer.now() + 61;
        self.claim("nbf", nbf)
    }

    /// `alg: "none"` and an empty signature segment.
    pub fn alg_none(mut self) -> Self {
        self.signature = Signature::None;
        self
    }

    /// HS256 keyed with `secret`.
    pub fn hs256(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.signature = Signature::Hmac(secret.into());
        self
    }

    /// HS256 keyed with the issuer's published JWKS text: the algorithm-confusion attack of a
    /// verifier that lets the token choose the algorithm.
    pub fn hs256_with_public_key(self) -> Self {
        let secret = self.issuer.jwks().to_string().into_bytes();
        self.hs256(secret)
    }

    /// Signed by `other`'s key, the header still naming this issuer's `kid`: a key of another
    /// pool (or a forger's) must not verify it.
    pub fn signed_by(mut self, other: &LocalIssuer) -> Self {
        self.signature = Signature::Other(other.clone());
        self
    }

    /// One bit of the signature flipped: the payload as built, a signature that does not match.
    pub fn tampered(mut self) -> Self {
        self.tampered = true;
        self
    }

    /// The compact token.
    pub fn build(self) -> String {
        let kid = self.issuer.kid();
        let header = match (&self.header, &self.signature) {
            (Header::Raw(raw), _) => raw.clone(),
            (Header::Standard(extra), signature) => {
                let alg = match signature {
                    Signature::None => "none",
                    Signature::Hmac(_) => "HS256",
                    Signature::Issuer | Signature::Other(_) => "RS256",
                };
                let mut header = Map::new();
                header.insert("kid".to_owned(), json!(kid));
                header.insert("alg".to_owned(), json!(alg));
                header.extend(extra.clone());
                Value::Object(header).to_string().into_bytes()
            }
        };
        let payload = match &self.payload {
            Payload::Claims(claims) => Value::Object(claims.clone()).to_string().into_bytes(),
            Payload::Raw(raw) => raw.clone(),
        };
        let token = match &self.signature {
            Signature::Issuer => self.issuer.sign_raw(&header, &payload),
            Signature::Other(other) => other.sign_raw(&header, &payload),
            Signature::None => format!(
                "{}.{}.",
                URL_SAFE_NO_PAD.encode(&header),
                URL_SAFE_NO_PAD.encode(&payload)
            ),
            Signature::Hmac(secret) => {
                let input = format!(
                    "{}.{}",
                    URL_SAFE_NO_PAD.encode(&header),
                    URL_SAFE_NO_PAD.encode(&payload)
                );
                let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
                let tag = hmac::sign(&key, input.as_bytes());
                format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
            }
        };
        if self.tampered {
            flip_signature_bit(&token)
        } else {
            token
        }
    }
}

/// `token` with the lowest bit of its signature's first byte flipped.
fn flip_signature_bit(token: &str) -> String {
    let Some((input, signature)) = token.rsplit_once('.') else {
        return token.to_owned();
    };
    let Ok(mut bytes) = URL_SAFE_NO_PAD.decode(signature) else {
        return token.to_owned();
    };
    if let Some(first) = bytes.first_mut() {
        *first ^= 1;
    }
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(bytes))
}
