//! Where a layer's JWKS comes from: the [`JwksSource`] seam. The refresher asks it for the
//! document's bytes, bounds the call with the fetch timeout, parses the keys and schedules the
//! next fetch; a source only fetches. [`ReqwestJwks`] (feature `reqwest`, on by default) is the
//! HTTPS source; `test_util::LocalIssuer` is an in-memory one.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::keys::JwksError;

/// A source of JWKS documents for a layer's key refresher.
///
/// `fetch` returns the document's bytes, at most `max_size` of them (a larger body is
/// [`FetchError::TooLarge`]), or why there is none. It is called from the refresher task only,
/// never on the request path, one call at a time, within the configured fetch timeout.
///
/// ```
/// use tower_cognito::{jwks::FetchError, jwks::JwksSource};
///
/// /// Keys pinned in the binary, served as if fetched.
/// struct Pinned(&'static [u8]);
///
/// impl JwksSource for Pinned {
///     async fn fetch(&self, max_size: usize) -> Result<Vec<u8>, FetchError> {
///         if self.0.len() > max_size {
///             return Err(FetchError::TooLarge(max_size));
///         }
///         Ok(self.0.to_vec())
///     }
/// }
/// # let _ = Pinned(b"{}");
/// ```
pub trait JwksSource: Send + Sync + 'static {
    /// Fetches the JWKS document once.
    ///
    /// # Errors
    /// A [`FetchError`]: the previous key set stays in place and the refresher retries with
    /// backoff.
    fn fetch(&self, max_size: usize) -> impl Future<Output = Result<Vec<u8>, FetchError>> + Send;
}

/// Why a fetch gave no key set. Cheap to clone (the transport error is shared).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The request failed: connection, TLS, protocol, a redirect refused.
    #[error("request failed: {0}")]
    Transport(#[source] Arc<dyn std::error::Error + Send + Sync>),
    /// The answer had this non-success HTTP status.
    #[error("HTTP status {0}")]
    Status(u16),
    /// No answer within the fetch timeout.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The body was larger than the cap (in bytes).
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
    /// The request was redirected away from the JWKS URL's origin (only an application's own
    /// client follows such redirects; the body is refused).
    #[error("redirected to another origin")]
    CrossOriginRedirect,
    /// The body is not a usable JWKS.
    #[error(transparent)]
    Jwks(#[from] JwksError),
}

impl FetchError {
    /// A transport failure with its cause kept as the source.
    pub fn transport(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Transport(Arc::new(error))
    }
}

/// Why no layer (or JWKS source) could be made from a valid configuration: the errors of
/// [`LayerBuilder::build`](crate::LayerBuilder::build) and
/// [`LayerBuilder::start`](crate::LayerBuilder::start), never of the configuration's `build()`
/// (which raises [`ConfigError`](crate::ConfigError)s only).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A static key set with no usable key was given.
    #[error("the key set has no usable key")]
    EmptyKeySet,
    /// The layer needs a tokio runtime to run its key refresher, and none is running.
    #[error("no tokio runtime: build the layer from within a tokio runtime")]
    NoRuntime,
    /// The HTTP client could not be built.
    #[error("the HTTP client could not be built")]
    HttpClient(#[source] std::sync::Arc<dyn std::error::Error + Send + Sync>),
    /// A configuration of several pools was given one JWKS source or key set, or a pool was
    /// given none: each pool needs its own
    /// ([`LayerBuilder::jwks_sources`](crate::LayerBuilder::jwks_sources),
    /// [`LayerBuilder::static_key_sets`](crate::LayerBuilder::static_key_sets)).
    #[error("{pools} user pools need one JWKS source or key set each")]
    SourcePerPool {
        /// How many pools the configuration has.
        pools: usize,
    },
    /// No key source was given and there is no default one: without the `reqwest` feature, give
    /// the layer a [`JwksSource`](crate::jwks::JwksSource) or a fixed key set
    /// ([`LayerBuilder::jwks_source`](crate::LayerBuilder::jwks_source),
    /// [`LayerBuilder::static_keys`](crate::LayerBuilder::static_keys)).
    #[error("no JWKS source: without the `reqwest` feature, give the layer one")]
    NoKeySource,
    /// No usable key set could be fetched within the startup timeout.
    #[error("no usable key set for the user pool {user_pool_id} within {timeout:?}")]
    NoKeys {
        /// The startup timeout.
        timeout: std::time::Duration,
        /// The pool without keys (the first such, with several pools).
        user_pool_id: String,
        /// Why the last fetch failed (`None`: no fetch completed in time).
        #[source]
        last_error: Option<FetchError>,
    },
}

#[cfg(feature = "reqwest")]
pub use self::reqwest_source::ReqwestJwks;
// The ALB key source reads its answers the same way.
#[cfg(all(feature = "reqwest", feature = "alb"))]
pub(crate) use self::reqwest_source::read_capped;

#[cfg(feature = "reqwest")]
mod reqwest_source {
    use url::Url;

    use super::StartError;
    use super::{FetchError, JwksSource};
    use crate::config::CognitoConfig;
    use crate::urls::is_loopback;

    const MAX_REDIRECTS: usize = 3;

    /// The JWKS over HTTPS with reqwest (rustls, aws-lc-rs): the default source of a
    /// [`LayerBuilder`](crate::LayerBuilder).
    ///
    /// Its own client follows redirects only within the JWKS URL's origin (at most 3), pools no
    /// idle connection (one request every few minutes), and bypasses proxies for a loopback URL.
    /// With [`with_client`](Self::with_client), your client (and its redirect policy) is used, and
    /// a body whose final URL left the configured origin is refused.
    #[derive(Debug, Clone)]
    pub struct ReqwestJwks {
        client: reqwest::Client,
        url: Url,
    }

    impl ReqwestJwks {
        /// A source for `config`'s JWKS URL, with a client of its own.
        ///
        /// # Errors
        /// [`StartError::HttpClient`] when the HTTP client cannot be built.
        pub fn new(config: &CognitoConfig) -> Result<Self, StartError> {
            let url = config.pool.jwks_url.clone();
            let origin = url.origin();
            let policy = reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > MAX_REDIRECTS {
                    attempt.error("too many redirects")
                } else if attempt.url().origin() == origin {
                    attempt.follow()
                } else {
                    // Another host (or scheme, or port): not followed; the 3xx is a failed fetch.
                    attempt.stop()
                }
            });
            let mut builder = reqwest::Client::builder()
                .redirect(policy)
                .user_agent(concat!("tower-cognito/", env!("CARGO_PKG_VERSION")))
                .pool_max_idle_per_host(0);
            if url.host().as_ref().is_some_and(is_loopback) {
                builder = builder.no_proxy();
            }
            let client = builder
                .build()
                .map_err(|e| StartError::HttpClient(std::sync::Arc::new(e)))?;
            Ok(Self { client, url })
        }

        /// A source for `config`'s JWKS URL over the application's own client (shared with its
        /// other HTTP calls, the user-pool client's for instance).
        pub fn with_client(config: &CognitoConfig, client: reqwest::Client) -> Self {
            Self {
                client,
                url: config.pool.jwks_url.clone(),
            }
        }
    }

    impl JwksSource for ReqwestJwks {
        async fn fetch(&self, max_size: usize) -> Result<Vec<u8>, FetchError> {
            let response = self
                .client
                .get(self.url.clone())
                .header(http::header::ACCEPT, "application/json")
                .send()
                .await
                .map_err(FetchError::transport)?;
            if !response.status().is_success() {
                return Err(FetchError::Status(response.status().as_u16()));
            }
            if response.url().origin() != self.url.origin() {
                // Only an application's own client follows redirects elsewhere.
                return Err(FetchError::CrossOriginRedirect);
            }
            read_capped(response, max_size).await
        }
    }

    /// The body of a successful answer, refused past `max_size` bytes: as announced
    /// (`Content-Length`), or as it arrives, chunk by chunk, never buffering more.
    pub(crate) async fn read_capped(
        mut response: reqwest::Response,
        max_size: usize,
    ) -> Result<Vec<u8>, FetchError> {
        if response
            .content_length()
            .is_some_and(|len| len > max_size as u64)
        {
            return Err(FetchError::TooLarge(max_size));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(FetchError::transport)? {
            if body.len() + chunk.len() > max_size {
                return Err(FetchError::TooLarge(max_size));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}
