//! [`AlbAuthLayer`]: the tower layer for requests forwarded by an ALB, every method of it, and
//! its builder ([`AlbLayerBuilder`]).

use std::fmt;
use std::sync::Arc;

use tower_layer::Layer;

use crate::error::Error;
use crate::layer::CognitoAuthLayer;
use crate::rejection::Rfc6750;

use super::auth::AlbAuthenticator;
use super::cache::KeyCache;
use super::claims::AlbClaims;
use super::config::{AlbConfig, AlbConfigError};
use super::fetch::KeyFetcher;
use super::key::AlbKey;
use super::service::AlbAuth;
use super::source::{AlbKeySource, DynSource};
use super::status::AlbStatus;
use super::verifier::is_uuid;

/// A tower layer that verifies the `x-amzn-oidc-data` an Application Load Balancer forwards, and
/// puts the verified [`Claims`](super::Claims) into the request.
///
/// Every rule of the [module](super) applies; a refused request is answered like the Cognito
/// layer answers (RFC 6750 `WWW-Authenticate: Bearer`, `401`, `400` or `503` with
/// `Retry-After`; the gRPC form for gRPC calls), with the [`Error`] in the response's extensions.
/// Keys are fetched by `kid` from the region's key endpoint the first time a `kid` is seen, and
/// cached. Made with [`AlbAuthLayer::builder`]; cheap to clone (the clones share the keys).
#[must_use = "a layer does nothing until it wraps a service"]
pub struct AlbAuthLayer<R = Rfc6750> {
    auth: Arc<AlbAuthenticator>,
    config: Arc<AlbConfig>,
    reject: R,
}

impl<R: Clone> Clone for AlbAuthLayer<R> {
    fn clone(&self) -> Self {
        Self {
            auth: Arc::clone(&self.auth),
            config: Arc::clone(&self.config),
            reject: self.reject.clone(),
        }
    }
}

impl<R> fmt::Debug for AlbAuthLayer<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlbAuthLayer")
            .field("config", &self.config)
            .field("auth", &self.auth)
            .finish()
    }
}

impl AlbAuthLayer {
    /// Starts a layer for `config`: on the [`AlbLayerBuilder`], where its keys come from (HTTPS
    /// with reqwest by default), and whether the forwarded access token is verified too.
    pub fn builder(config: AlbConfig) -> AlbLayerBuilder {
        AlbLayerBuilder {
            config,
            source: None,
            static_keys: Vec::new(),
            access: None,
        }
    }
}

impl<R> AlbAuthLayer<R> {
    /// The same layer answering refused requests with `reject` (see
    /// [`Reject`](crate::reject::Reject)).
    pub fn reject_with<R2>(self, reject: R2) -> AlbAuthLayer<R2> {
        AlbAuthLayer {
            auth: self.auth,
            config: self.config,
            reject,
        }
    }

    /// Its configuration.
    pub fn config(&self) -> &AlbConfig {
        &self.config
    }

    /// Verifies one `x-amzn-oidc-data` value outside a request, with every rule of the layer but
    /// the request's own (the `x-amzn-oidc-identity` match and the access token): with a cached
    /// key, the future is ready at its first poll; otherwise it fetches the key.
    ///
    /// # Errors
    /// The [`Error`] a request with this token would have been rejected with.
    pub async fn verify(&self, token: &str) -> Result<AlbClaims, Error> {
        self.auth.verify_token(token.as_bytes()).await
    }

    /// What the layer has done: its requests' outcomes (and [`verify`](Self::verify) calls'),
    /// its key fetches and the keys it holds. With the `metrics` feature,
    /// [`AlbStatus::record`] publishes it.
    pub fn status(&self) -> AlbStatus {
        self.auth.status()
    }
}

impl<S, R: Clone> Layer<S> for AlbAuthLayer<R> {
    type Service = AlbAuth<S, R>;
    fn layer(&self, inner: S) -> AlbAuth<S, R> {
        AlbAuth::new(inner, Arc::clone(&self.auth), self.reject.clone())
    }
}

/// Builds an [`AlbAuthLayer`]: its key source and fixed keys, and the Cognito layer that verifies
/// the forwarded access token, if any.
#[must_use = "a builder does nothing until built"]
pub struct AlbLayerBuilder {
    config: AlbConfig,
    source: Option<Box<dyn DynSource>>,
    static_keys: Vec<(String, Vec<u8>)>,
    access: Option<CognitoAuthLayer>,
}

impl fmt::Debug for AlbLayerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlbLayerBuilder")
            .field("config", &self.config)
            .field("source", &self.source.is_some())
            .field("static_keys", &self.static_keys.len())
            .field("access_token", &self.access.is_some())
            .finish()
    }
}

impl AlbLayerBuilder {
    /// Fetches keys from `source` instead of the configured keys URL over reqwest.
    pub fn key_source(mut self, source: impl AlbKeySource) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// A key known in advance: `pem` (a P-256 public key, `-----BEGIN PUBLIC KEY-----`) for `kid`.
    /// A layer given fixed keys and no [`key_source`](Self::key_source) never fetches: another
    /// `kid` is refused as unknown.
    pub fn static_key(mut self, kid: impl Into<String>, pem: impl Into<Vec<u8>>) -> Self {
        self.static_keys.push((kid.into(), pem.into()));
        self
    }

    /// Verifies the forwarded `x-amzn-oidc-accesstoken` with `layer` too (the rules of its
    /// configuration: pool, app client, token use), requires its `sub` to be the ALB token's
    /// (else `401`, [`ErrorKind::IdentityMismatch`](crate::ErrorKind::IdentityMismatch)), and puts
    /// its [`Claims`](crate::Claims) into the request as well, for Cognito guards and extractors.
    /// A request without that header is refused (`401`).
    pub fn access_token(mut self, layer: CognitoAuthLayer) -> Self {
        self.access = Some(layer);
        self
    }

    /// Builds the layer. Needs no runtime: keys are fetched on the request path when first
    /// needed.
    ///
    /// # Errors
    /// [`AlbConfigError::InvalidKey`] for a fixed key that is not a P-256 PEM or whose `kid` is
    /// not a UUID; [`AlbConfigError::NoKeySource`] without the `reqwest` feature, a source and
    /// fixed keys; [`AlbConfigError::HttpClient`] when reqwest's client cannot be built.
    pub fn build(self) -> Result<AlbAuthLayer, AlbConfigError> {
        let config = self.config;
        let cache = Arc::new(KeyCache::new(
            config.max_keys.max(self.static_keys.len()),
            config.max_unknown_kids,
        ));
        for (kid, pem) in &self.static_keys {
            let invalid = |reason| AlbConfigError::InvalidKey {
                kid: kid.clone(),
                reason,
            };
            if !is_uuid(kid) {
                return Err(invalid(super::key::KeyError::NotUuid));
            }
            let key = AlbKey::from_pem(pem).map_err(invalid)?;
            cache.insert_key(kid, Arc::new(key));
        }
        let source = match self.source {
            Some(source) => Some(source),
            None if !self.static_keys.is_empty() => None,
            None => Some(default_source(&config)?),
        };
        let fetcher = source.map(|s| KeyFetcher::new(s, Arc::clone(&cache), &config));
        let reject = Rfc6750::checked(&config.realm);
        let auth = AlbAuthenticator::new(&config, cache, fetcher, self.access);
        Ok(AlbAuthLayer {
            auth: Arc::new(auth),
            config: Arc::new(config),
            reject,
        })
    }
}

#[cfg(feature = "reqwest")]
fn default_source(config: &AlbConfig) -> Result<Box<dyn DynSource>, AlbConfigError> {
    Ok(Box::new(super::source::ReqwestAlbKeys::new(config)?))
}

#[cfg(not(feature = "reqwest"))]
fn default_source(_: &AlbConfig) -> Result<Box<dyn DynSource>, AlbConfigError> {
    Err(AlbConfigError::NoKeySource)
}
