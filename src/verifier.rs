//! The verifier: pure, `(token, key set, now) -> claims or error`. No I/O, no locks, no clock
//! reads of its own. The claim rules live here; the structure in [`jws`](crate::jws), the header
//! in [`header`](crate::header).

use std::fmt;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::claims::{Audience, CognitoClaims, Parsed, TokenUse};
use crate::config::{CognitoConfig, PoolSettings};
use crate::error::{Error, ErrorKind};
use crate::header::segment_kid;
use crate::jws::{Parts, b64, decode_into, split};
use crate::keys::{KeySet, VerifyingKey};

/// Largest RSA signature accepted: 8192-bit keys.
const MAX_SIGNATURE_LEN: usize = 1024;
/// Decoded payloads up to this size stay on the stack.
const PAYLOAD_BUF_LEN: usize = 2048;

/// Verifies Cognito tokens against a key set, with the rules of one user pool of a
/// [`CognitoConfig`]: its issuer, app clients and token use, the leeway of the time rules and the
/// token size cap. Plain data (no clock, key set, cache nor deny-list: the layer's), cheap to
/// clone.
///
/// This is what the layer runs for every request; use it directly to verify tokens outside an
/// HTTP stack (a WebSocket handshake, a queue consumer).
///
/// ```
/// use tower_cognito::{CognitoConfig, ErrorKind, TokenUse, Verifier, jwks::KeySet};
///
/// let config = CognitoConfig::builder("us-east-1_AbC123")
///     .client_id("client1")
///     .token_use(TokenUse::Access)
///     .build()?;
/// let verifier = Verifier::new(&config);
/// let err = verifier.verify("not.a.token", &KeySet::empty(), 1_700_000_000).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Malformed);
/// # Ok::<(), tower_cognito::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Verifier {
    /// The pool's rules: issuer (both forms), app clients, token use.
    pool: PoolSettings,
    /// Leeway of the time rules, in seconds.
    leeway: u64,
    /// Cap on the token's size, checked before anything is decoded.
    max_token_size: usize,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.pool.issuer)
            .finish_non_exhaustive()
    }
}

/// What a caller of [`Verifier::verify_split`] already read of the JOSE header.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Header<'a> {
    /// Nothing: the verifier reads it (the usual form by a byte match, else every header rule).
    Unread,
    /// It passed every header rule and names this `kid`.
    Kid(&'a str),
}

/// The payload segment as a caller of [`Verifier::verify_split`] has it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Payload<'a> {
    /// Still base64url: the verifier decodes it after the header and the signature's length.
    Encoded,
    /// Decoded whole already (these bytes).
    Decoded(&'a [u8]),
}

impl Verifier {
    /// A verifier with the rules of `config`: of its first pool, for a configuration of several
    /// (the layer runs one per pool; [`CognitoConfig::pools`] gives each pool's configuration).
    pub fn new(config: &CognitoConfig) -> Self {
        Self {
            pool: config.pool.clone(),
            leeway: config.layer.leeway,
            max_token_size: config.layer.max_token_size,
        }
    }

    /// The user pool id of the pool whose rules this verifier applies.
    pub fn user_pool_id(&self) -> &str {
        &self.pool.user_pool_id
    }

    /// The issuer tokens must carry (original form; see [`CognitoConfig::issuer`]).
    pub fn issuer(&self) -> &str {
        &self.pool.issuer
    }

    /// Leeway on the time claims (`exp`, `nbf`, `iat`).
    pub fn leeway(&self) -> Duration {
        Duration::from_secs(self.leeway)
    }

    /// Cap on the token size, in bytes.
    pub fn max_token_size(&self) -> usize {
        self.max_token_size
    }

    /// The pool's settings, for the layer's routing by issuer.
    pub(crate) fn pool(&self) -> &PoolSettings {
        &self.pool
    }

    /// Leeway in seconds, for the deny-list's check.
    #[inline]
    pub(crate) fn leeway_secs(&self) -> u64 {
        self.leeway
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
        self.verify_as(token, keys, now)
    }

    /// [`verify`](Self::verify), with the application's own claims type `E` filled from the same
    /// parse of the payload (see [`CognitoClaims`]).
    ///
    /// # Errors
    /// As [`verify`](Self::verify), and [`ErrorKind::CustomClaims`] when every Cognito rule passed
    /// but the payload does not deserialize into `E`.
    pub fn verify_as<E: DeserializeOwned>(
        &self,
        token: &str,
        keys: &KeySet,
        now: u64,
    ) -> Result<CognitoClaims<E>, Error> {
        let claims = self.verify_parts::<E>(token.as_bytes(), keys)?;
        self.check_time(&claims, now)?;
        Ok(claims.settle()?)
    }

    /// Verifies everything that does not depend on the time: structure, header, key, signature,
    /// and the claim rules of [`check_identity`](Self::check_identity). The time rules are
    /// [`check_time`](Self::check_time), which the layer runs on cache hits and misses alike; then
    /// [`Parsed::settle`] says whether the application's type took the payload.
    pub(crate) fn verify_parts<E: DeserializeOwned>(
        &self,
        token: &[u8],
        keys: &KeySet,
    ) -> Result<Parsed<E>, ErrorKind> {
        let parts = self.split(token)?;
        self.verify_split(&parts, Header::Unread, Payload::Encoded, keys)
    }

    /// The size cap, then the three segments.
    #[inline]
    pub(crate) fn split<'t>(&self, token: &'t [u8]) -> Result<Parts<'t>, ErrorKind> {
        if token.len() > self.max_token_size {
            return Err(ErrorKind::TokenTooLarge);
        }
        split(token).ok_or(ErrorKind::Malformed)
    }

    /// [`verify_parts`](Self::verify_parts) on split segments, with what the caller already read
    /// of them: a layer of several pools reads the header's `kid` to pick the pool
    /// ([`Header::Kid`]: it passed every header rule, so it is not parsed again), and when the
    /// `kid` named no single pool it decodes the payload to read its `iss`
    /// ([`Payload::Decoded`]); otherwise the payload is decoded here, after the header and the
    /// signature's length were checked.
    pub(crate) fn verify_split<E: DeserializeOwned>(
        &self,
        parts: &Parts<'_>,
        header: Header<'_>,
        decoded: Payload<'_>,
        keys: &KeySet,
    ) -> Result<Parsed<E>, ErrorKind> {
        // The header an issuer writes for one of the keys, byte for byte, is valid and names that
        // key: nothing to decode nor parse. Any other header takes the full path, once.
        let key = match (keys.by_header(parts.header), header) {
            (Some(key), _) => Some(key),
            (None, Header::Kid(kid)) => kid_key(kid, keys)?,
            (None, Header::Unread) => header_key(parts.header, keys)?,
        };
        let mut signature = [0u8; MAX_SIGNATURE_LEN];
        let len = b64::decode(parts.signature, &mut signature).ok_or(ErrorKind::Malformed)?;
        let signature = signature.get(..len).ok_or(ErrorKind::Malformed)?;
        // An RSA signature is exactly as long as the modulus: refused before the payload is
        // decoded, so a forged token costs no more than its header unless it reaches the RSA check.
        if key.is_some_and(|key| key.signature_len() != signature.len()) {
            return Err(ErrorKind::InvalidSignature);
        }
        // Decoded on the stack (a Cognito payload is about 1 KB); a larger one on the heap.
        let mut payload_buf = [0u8; PAYLOAD_BUF_LEN];
        let mut payload_heap = Vec::new();
        let payload = match decoded {
            Payload::Decoded(payload) => payload,
            Payload::Encoded => decode_into(parts.payload, &mut payload_buf, &mut payload_heap)?,
        };

        // Only a well-formed token waits for keys (503); a malformed one could never verify (401).
        let key = key.ok_or(ErrorKind::KeysUnavailable)?;
        if !key.verify(parts.signing_input, signature) {
            return Err(ErrorKind::InvalidSignature);
        }

        let claims = Parsed::<E>::from_payload(payload)?;
        self.check_identity(&claims)?;
        Ok(claims)
    }

    /// Every claim rule (identity, then time), on claims whose signature verified (by this
    /// verifier, or by API Gateway's authorizer for the `lambda` feature).
    #[cfg(any(fuzzing, feature = "lambda"))]
    pub(crate) fn check<E>(&self, c: &CognitoClaims<E>, now: u64) -> Result<(), ErrorKind> {
        self.check_identity(c)?;
        self.check_time(c, now)
    }

    /// The claim rules that do not depend on the time: issuer, token use, app client.
    fn check_identity<E>(&self, c: &CognitoClaims<E>) -> Result<(), ErrorKind> {
        let cfg = &self.pool;
        if !cfg.issuer_matches(&c.iss) {
            return Err(ErrorKind::InvalidIssuer);
        }
        if cfg
            .token_use
            .is_some_and(|accepted| accepted != c.token_use)
        {
            return Err(ErrorKind::TokenUseNotAccepted);
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
        Ok(())
    }

    /// The time rules at `now`: `exp`, `nbf` and `iat`, with the leeway. The layer runs them on
    /// every request, cache hit or miss, so a token the verifier would reject at this instant is
    /// never let through by the cache (a clock that steps back included).
    #[inline]
    pub(crate) fn check_time<E>(&self, c: &CognitoClaims<E>, now: u64) -> Result<(), ErrorKind> {
        // Time claims are at most MAX_NUMERIC_DATE, so these sums cannot overflow; saturate anyway.
        let leeway = self.leeway;
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

/// The key named by a header segment. `None` with an empty key set (the caller decides between
/// 503 and 401); with keys loaded, an unknown `kid` is refused before anything else is decoded.
pub(crate) fn header_key<'k>(
    segment: &[u8],
    keys: &'k KeySet,
) -> Result<Option<&'k VerifyingKey>, ErrorKind> {
    kid_key(&segment_kid(segment)?, keys)
}

/// The key named `kid` (by a header that passed every header rule), as [`header_key`] answers.
fn kid_key<'k>(kid: &str, keys: &'k KeySet) -> Result<Option<&'k VerifyingKey>, ErrorKind> {
    match keys.is_empty() {
        true => Ok(None),
        false => keys.get(kid).map(Some).ok_or(ErrorKind::UnknownKeyId),
    }
}
