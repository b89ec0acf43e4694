//! Requests forwarded by an AWS Application Load Balancer (feature `alb`): the ALB authenticated
//! the user (`authenticate-cognito` or `authenticate-oidc` listener rule) and forwards who it is in
//! `x-amzn-oidc-data`, a JWT the ALB signs with ES256. [`AlbAuthLayer`] verifies it and puts the
//! [`AlbClaims`] into the request, where handlers take them with the [`Claims`] extractor.
//!
//! The rules, each before the next (every header rule before any key is fetched):
//! - one `x-amzn-oidc-data` header, printable ASCII (else `400`), at most 16 KiB by default (the
//!   ALB's claims plus the access token reach about 11 KB);
//! - three base64url segments, each unpadded or padded with exactly the `=` its length calls for
//!   (the ALB pads; the signature covers the received `header.payload`, padding included);
//! - the header: `alg` exactly `ES256`, `kid` a UUID, `signer` one of the configured load
//!   balancer ARNs (required: there is no "any signer"), `client` one of the configured app
//!   clients, `iss` the configured issuer, `exp` a number not past (with the leeway);
//! - the key: the PEM at `<keys_url>/<kid>` (by default the region's endpoint
//!   `https://public-keys.auth.elb.<region>.amazonaws.com`, the region taken from the configured
//!   ARNs, never from the token), a P-256 SubjectPublicKeyInfo, cached per `kid` (bounded); one
//!   fetch for every concurrent request naming a new `kid`; fetches rate-limited overall; a `kid`
//!   whose URL answers `404` is refused without asking again for a while;
//! - the signature: raw `r||s`, 64 bytes (DER is refused);
//! - the payload: a JSON object with a string `sub`; its `iss`, when present, the header's; its
//!   `exp`, when present, not past;
//! - `x-amzn-oidc-identity`, when present, equal to the verified `sub`; and with
//!   [`AlbLayerBuilder::access_token`], the forwarded `x-amzn-oidc-accesstoken` verified by a
//!   Cognito layer, with the same `sub`.
//!
//! A request whose key is cached is checked synchronously; the first request naming a new `kid`
//! awaits its key in the response future.
//!
//! **Outside an ALB these headers are attacker-controlled.** Only the ALB sets them, and only on
//! listener rules with an authenticate action; a server reachable any other way receives whatever
//! a client sends. `x-amzn-oidc-identity` and `x-amzn-oidc-accesstoken` are never an identity on
//! their own. A server that is not behind an ALB and does not verify them should strip them all
//! with [`StripAlbHeaders`], outermost.
//!
//! ```
//! # #[cfg(feature = "test-util")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tower::ServiceExt;
//! use tower_cognito::alb::{self, AlbAuthLayer};
//! use tower_cognito::test_util::alb::LocalAlb;
//!
//! let alb = LocalAlb::new()?; // mints ALB-shaped tokens, and is a key source
//! let layer = AlbAuthLayer::builder(alb.config().build()?).key_source(alb.clone()).build()?;
//! let app = tower::ServiceBuilder::new().layer(layer).service_fn(
//!     |req: http::Request<()>| async move {
//!         let claims = req.extensions().get::<alb::Claims>().cloned();
//!         Ok::<_, std::convert::Infallible>(http::Response::new(
//!             claims.map(|c| c.sub.clone()).unwrap_or_default(),
//!         ))
//!     },
//! );
//! let req = http::Request::get("/me").header("x-amzn-oidc-data", alb.token()).body(())?;
//! let res = app.clone().oneshot(req).await?;
//! assert_eq!((res.status(), res.into_body()), (http::StatusCode::OK, "alice".to_owned()));
//!
//! let forged = http::Request::get("/me").header("x-amzn-oidc-identity", "alice").body(())?;
//! assert_eq!(app.oneshot(forged).await?.status(), 401);
//! # Ok(()) }
//! # #[cfg(not(feature = "test-util"))]
//! # fn main() {}
//! ```

mod auth;
mod cache;
mod claims;
mod config;
mod extract;
mod fetch;
mod format;
mod future;
mod key;
mod layer;
mod service;
mod source;
mod status;
mod strip;
mod verifier;

pub use self::claims::AlbClaims;
pub use self::config::{AlbConfig, AlbConfigBuilder, AlbConfigError, DEFAULT_MAX_HEADER_SIZE};
pub use self::extract::{Claims, MissingAlbClaims};
pub use self::future::ResponseFuture;
pub use self::key::KeyError;
pub use self::layer::{AlbAuthLayer, AlbLayerBuilder};
pub use self::service::AlbAuth;
pub use self::source::AlbKeySource;
#[cfg(feature = "reqwest")]
pub use self::source::ReqwestAlbKeys;
pub use self::status::AlbStatus;
pub use self::strip::{StripAlb, StripAlbHeaders};
