//! Where an ALB layer's keys come from: the [`AlbKeySource`] seam. The layer asks it for the PEM
//! of one `kid` (a UUID already), bounds the call with the fetch timeout, parses the key and
//! caches it; a source only fetches. [`ReqwestAlbKeys`] (with the `reqwest` feature) is the HTTPS
//! source; `test_util::alb::LocalAlb` is an in-memory one.

use std::future::Future;
use std::pin::Pin;

use crate::source::FetchError;

/// A source of ALB public keys, by `kid`.
///
/// `fetch` returns the PEM answer's bytes, at most `max_size` of them (a larger body is
/// [`FetchError::TooLarge`]); an unknown `kid` is [`FetchError::Status`]`(404)`, which the layer
/// remembers for a while. It is called on the request path of the first request naming a `kid`
/// that is not cached (once for all concurrent such requests), within the fetch timeout.
///
/// ```
/// use tower_cognito::{alb::AlbKeySource, jwks::FetchError};
///
/// /// One key pinned in the binary.
/// struct Pinned { kid: &'static str, pem: &'static [u8] }
///
/// impl AlbKeySource for Pinned {
///     async fn fetch(&self, kid: &str, max_size: usize) -> Result<Vec<u8>, FetchError> {
///         if kid != self.kid {
///             return Err(FetchError::Status(404));
///         }
///         if self.pem.len() > max_size {
///             return Err(FetchError::TooLarge(max_size));
///         }
///         Ok(self.pem.to_vec())
///     }
/// }
/// # let _ = Pinned { kid: "", pem: b"" };
/// ```
pub trait AlbKeySource: Send + Sync + 'static {
    /// Fetches the PEM of `kid` once.
    ///
    /// # Errors
    /// A [`FetchError`]: `Status(404)` for an unknown `kid`, anything else a failed fetch
    /// (answered `503`, nothing cached).
    fn fetch(
        &self,
        kid: &str,
        max_size: usize,
    ) -> impl Future<Output = Result<Vec<u8>, FetchError>> + Send;
}

/// A boxed fetch: the object-safe form the layer stores (boxed on a cache miss only).
pub(crate) type Fetching<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<u8>, FetchError>> + Send + 'a>>;

/// [`AlbKeySource`] as a trait object.
pub(crate) trait DynSource: Send + Sync + 'static {
    fn fetch_boxed<'a>(&'a self, kid: &'a str, max_size: usize) -> Fetching<'a>;
}

impl<S: AlbKeySource> DynSource for S {
    fn fetch_boxed<'a>(&'a self, kid: &'a str, max_size: usize) -> Fetching<'a> {
        Box::pin(self.fetch(kid, max_size))
    }
}

#[cfg(feature = "reqwest")]
pub use self::reqwest_source::ReqwestAlbKeys;

#[cfg(feature = "reqwest")]
mod reqwest_source {
    use super::{AlbKeySource, FetchError};
    use crate::alb::config::{AlbConfig, AlbConfigError};
    use crate::urls::is_loopback;

    /// The ALB keys over HTTPS with reqwest (rustls, aws-lc-rs): `GET <keys_url>/<kid>`, the
    /// default source of an [`AlbAuthLayer`](crate::alb::AlbAuthLayer). Redirects are not
    /// followed (a `3xx` is a failed fetch), no idle connection is kept, proxies are bypassed for
    /// a loopback URL.
    #[derive(Debug, Clone)]
    pub struct ReqwestAlbKeys {
        client: reqwest::Client,
        base: Box<str>,
    }

    impl ReqwestAlbKeys {
        /// A source for `config`'s keys URL, with a client of its own.
        ///
        /// # Errors
        /// [`AlbConfigError::HttpClient`] when the HTTP client cannot be built.
        pub fn new(config: &AlbConfig) -> Result<Self, AlbConfigError> {
            let mut builder = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("tower-cognito/", env!("CARGO_PKG_VERSION")))
                .pool_max_idle_per_host(0);
            if config.keys_url.host().as_ref().is_some_and(is_loopback) {
                builder = builder.no_proxy();
            }
            let client = builder
                .build()
                .map_err(|e| AlbConfigError::HttpClient(std::sync::Arc::new(e)))?;
            Ok(Self {
                client,
                base: config.keys_base.clone(),
            })
        }
    }

    impl AlbKeySource for ReqwestAlbKeys {
        async fn fetch(&self, kid: &str, max_size: usize) -> Result<Vec<u8>, FetchError> {
            // `kid` is a UUID (checked before any fetch): nothing in it needs escaping.
            let url = format!("{}/{kid}", self.base);
            let response = self
                .client
                .get(url)
                .send()
                .await
                .map_err(FetchError::transport)?;
            if !response.status().is_success() {
                return Err(FetchError::Status(response.status().as_u16()));
            }
            crate::source::read_capped(response, max_size).await
        }
    }
}
