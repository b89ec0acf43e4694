//! The checks of the tokens the callback and a refresh receive: the ID token with this crate's
//! verifier (issuer, `token_use: id`, `aud` = the client, signature, times) plus `nonce` and
//! `at_hash`; the access token with the application's own layer (what every request will run).

use std::sync::Arc;

use base64::Engine as _;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use tower_cognito::jwks::KeySet;
use tower_cognito::{CognitoAuthLayer, CognitoClaims, Verifier};

use super::random::same;

/// What the session keeps of a verified access token.
pub(crate) struct AccessFacts {
    pub(crate) sub: String,
    pub(crate) username: Option<String>,
    pub(crate) exp: u64,
    pub(crate) iat: Option<u64>,
    pub(crate) origin_jti: Option<String>,
}

/// The application's layer, as the web sign-in uses it.
pub(crate) trait AccessCheck: Send + Sync + 'static {
    /// Verifies an access token as a request's would be.
    fn verify(&self, token: &str) -> Result<AccessFacts, tower_cognito::Error>;
    /// The first pool's current key set.
    fn keys(&self) -> Option<Arc<KeySet>>;
}

pub(crate) struct LayerCheck<E, R, C>(pub(crate) CognitoAuthLayer<E, R, C>);

impl<E, R, C> AccessCheck for LayerCheck<E, R, C>
where
    E: DeserializeOwned + Send + Sync + 'static,
    R: Send + Sync + 'static,
    C: Send + Sync + 'static,
{
    fn verify(&self, token: &str) -> Result<AccessFacts, tower_cognito::Error> {
        let claims = self.0.verify(token)?;
        Ok(AccessFacts {
            sub: claims.sub.clone(),
            username: claims.username.clone(),
            exp: claims.exp,
            iat: claims.iat,
            origin_jti: claims.origin_jti.clone(),
        })
    }

    fn keys(&self) -> Option<Arc<KeySet>> {
        self.0.pools().into_iter().next().map(|pool| pool.key_set)
    }
}

/// The ID token's members the verifier leaves to the application.
#[derive(Deserialize)]
pub(crate) struct IdExtra {
    nonce: Option<String>,
    at_hash: Option<String>,
}

/// Why a token of the callback was refused.
pub(crate) enum TokenRefused {
    /// The verifier's rule (issuer, audience, `token_use`, signature, times).
    Rule,
    /// `nonce` missing or not the transaction's.
    Nonce,
    /// `at_hash` present and not the access token's.
    AtHash,
}

/// Verifies the ID token of a sign-in started with `nonce`, for `access_token`.
pub(crate) fn check_id_token(
    verifier: &Verifier,
    keys: &KeySet,
    now: u64,
    id_token: &str,
    nonce: Option<&str>,
    access_token: &str,
) -> Result<CognitoClaims<IdExtra>, TokenRefused> {
    let claims = verifier
        .verify_as::<IdExtra>(id_token, keys, now)
        .map_err(|_| TokenRefused::Rule)?;
    if let Some(nonce) = nonce
        && !claims
            .extra
            .nonce
            .as_deref()
            .is_some_and(|n| same(n, nonce))
    {
        return Err(TokenRefused::Nonce);
    }
    if let Some(at_hash) = &claims.extra.at_hash {
        // The left half of SHA-256 of the access token's ASCII, base64url (OIDC Core 3.1.3.6).
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
        let half = digest.as_ref().get(..16).unwrap_or_default();
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(half);
        if !same(at_hash, &expected) {
            return Err(TokenRefused::AtHash);
        }
    }
    Ok(claims)
}
