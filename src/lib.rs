//! # tower-cognito
//!
//! Tower middleware that verifies Amazon Cognito user-pool tokens, for axum, hyper and tonic.
//!
//! [`CognitoAuthLayer`] keeps the pool's JWKS in a lock-free key set refreshed by a background
//! task, verifies the bearer token of every request with every Cognito rule (RS256 only, `kid`,
//! signature, exact `iss`, `token_use`, `client_id`/`aud`, `exp`/`nbf`/`iat`), and puts the typed
//! [`CognitoClaims`] into the request, where handlers take them with the [`Claims`] extractor.
//! Failures are answered per RFC 6750 (`401`/`400`/`503` with `WWW-Authenticate`), in the gRPC
//! form (`grpc-status` 16, 7 or 14) for gRPC requests, or as RFC 9457 problem documents with
//! [`ProblemJson`](reject::ProblemJson). Scope and group guards ([`Require`], [`GuardLayer`](guard::GuardLayer), and the `Authorized`
//! extractor with the `axum` feature) stack on one route, one tonic service or a whole app behind
//! the layer, and answer `403 insufficient_scope`.
//!
//! ```
//! use axum::{Router, routing::get};
//! use tower_cognito::{Claims, CognitoAuthLayer, CognitoConfig, TokenUse};
//!
//! # #[cfg(feature = "axum")] // The extractor needs the `axum` feature (on by default).
//! async fn me(claims: Claims) -> String {
//!     format!("hello {}", claims.username().unwrap_or(&claims.sub))
//! }
//!
//! # #[cfg(all(feature = "axum", feature = "reqwest"))]
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = CognitoConfig::builder("us-east-1_AbC123xyz")
//!     .client_id("4r1ktl3f2lrrvc1e5e0hdh1gjo")
//!     .token_use(TokenUse::Access)
//!     .build()?;
//! let app: Router = Router::new()
//!     .route("/me", get(me))
//!     .layer(CognitoAuthLayer::builder(config).start().await?);
//! # let _ = app; Ok(()) }
//! ```
//!
//! ## Guides
//! [`guide`] has one page per task, every snippet a doctest: [axum](guide::axum),
//! [hyper](guide::hyper), [tonic](guide::tonic), [scopes and groups](guide::guards), [your own
//! rejections](guide::rejections), [several user pools](guide::pools), [testing](guide::testing),
//! [revocation](guide::revocation), [every answer](guide::behaviour) and more. The
//! [security notes](manual::security) say what is read before the signature and every bound.
//!
//! ## Cargo features
//! - `axum` (default): the [`Claims`] extractor (`FromRequestParts`, and `Option<Claims>`).
//! - `reqwest` (default): the JWKS over HTTPS ([`ReqwestJwks`](jwks::ReqwestJwks), rustls with aws-lc-rs), the
//!   [`LayerBuilder`]'s default key source. Without it, give the layer a [`JwksSource`](jwks::JwksSource) of your
//!   own ([`LayerBuilder::jwks_source`]) or fixed keys ([`LayerBuilder::static_keys`]).
//! - `tracing` (default): debug events for rejections (the error kind only), warnings for failed
//!   JWKS fetches and stale keys, an error when the key refresher ends unexpectedly.
//! - `test-util`: [`test_util::LocalIssuer`], which mints Cognito-shaped tokens, serves their
//!   JWKS on loopback and is an in-memory [`JwksSource`](jwks::JwksSource) too, for your own tests.
//! - `redis`: [`DenyList::redis`](deny::DenyList::redis), a deny-list of revoked sessions shared by every replica
//!   through Redis (an in-memory [`DenyList`](deny::DenyList) needs no feature).
//! - `alb`: [`alb::AlbAuthLayer`], which verifies the identity an AWS Application Load Balancer
//!   forwards (`x-amzn-oidc-data`, ES256), its [`alb::Claims`] extractor, and
//!   [`alb::StripAlbHeaders`] for servers not behind one ([guide](guide::alb)).
//! - `lambda`: the layer in an AWS Lambda function (`lambda_http`), and
//!   [`lambda::GatewayClaimsLayer`] for the claims API Gateway's own authorizer verified
//!   ([guide](guide::lambda)).
//! - `metrics`: [`Status::record`](status::Status::record) exports [`CognitoAuthLayer::status`] through the `metrics`
//!   facade (the snapshot itself needs no feature).

// `doc_cfg` labels feature-gated items on the docs host (`--cfg docsrs`, nightly rustdoc);
// `doc_auto_cfg` was folded into it.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "alb")]
pub mod alb;
mod auth;
mod bearer;
mod cache;
pub mod claims;
pub mod clock;
mod config;
pub mod deny;
pub mod env;
mod error;
mod extract;
pub mod future;
pub mod guard;
mod header;
mod ids;
mod json;
mod jws;
mod keys;
mod keystore;
mod kid_index;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod layer;
mod log;
mod metrics;
mod ready;
mod refresh;
mod rejection;
mod route;
mod service;
mod snapshot;
mod source;
mod syntax;
mod trace;
mod urls;
mod verifier;

#[cfg(feature = "test-util")]
pub mod test_util;

/// Hooks for the fuzz targets in `fuzz/`; not part of the API.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;

pub use claims::{CognitoClaims, TokenUse};
pub use config::{CognitoConfig, CognitoConfigBuilder};
pub use error::{ConfigError, Error, ErrorKind};
pub use extract::Claims;
pub use guard::Require;
pub use ids::UserPoolId;
pub use layer::{CognitoAuthLayer, LayerBuilder};
pub use service::CognitoAuth;
pub use source::StartError;
pub use verifier::Verifier;

pub mod jwks {
    //! Where the keys come from: the [`KeySet`] a layer verifies with, the [`JwksSource`] it
    //! fetches the JWKS document from ([`ReqwestJwks`] over HTTPS by default, with the `reqwest`
    //! feature), and their errors.

    pub use crate::keys::{JwksError, KeySet};
    #[cfg(feature = "reqwest")]
    pub use crate::source::ReqwestJwks;
    pub use crate::source::{FetchError, JwksSource};
}

pub mod reject {
    //! How a refused request is answered: [`Rfc6750`] (the default, with the gRPC form for gRPC
    //! calls), [`ProblemJson`] (RFC 9457), or your own [`Reject`]; and the details of a malformed
    //! request ([`RequestError`]).

    pub use crate::error::RequestError;
    #[cfg(feature = "axum")]
    pub use crate::extract::MissingClaims;
    pub use crate::rejection::{ProblemJson, Reject, Rfc6750, is_grpc_request};
}

pub mod status {
    //! What a layer reports about itself, in one snapshot: [`Status`]
    //! ([`CognitoAuthLayer::status`](crate::CognitoAuthLayer::status)), with a [`PoolStatus`] per
    //! user pool and the [`DenyListStatus`]; whether it is ready and why not, its counters and
    //! gauges ([`Status::record`] exports them with the `metrics` feature); and a
    //! [`ReadinessService`] answering a probe from it.

    pub use crate::ready::ReadinessService;
    pub use crate::snapshot::{DenyListStatus, PoolStatus, Status};
}

// The guides and the manual: documentation only, no items. Every snippet in them is a doctest,
// written for the `axum` and `test-util` features (and the tonic dev-dependencies), so they are
// compiled as doctests with those on; the pages are always in the built docs.
#[cfg(any(doc, all(doctest, feature = "axum", feature = "test-util")))]
pub mod guide;
#[cfg(any(doc, all(doctest, feature = "axum", feature = "test-util")))]
pub mod manual;

/// Every ```` ```rust ```` snippet of the README is compiled (and run unless `no_run`) as a
/// doctest, so none can go stale; they use the `axum` and `test-util` features, and the tonic
/// snippet the `tonic` and `tonic-health` dev-dependencies.
#[cfg(all(doctest, feature = "axum", feature = "test-util"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
