//! Guides: how to use the layer for one task each, every snippet compiled and run as a doctest.
//!
//! Start with [`axum`], [`hyper`] or [`tonic`] for your server, then add what you need:
//!
//! | guide | what it covers |
//! |---|---|
//! | [`axum`] | the layer on routes, the `Claims` extractor, your own claims type |
//! | [`hyper`] | the layer around a plain hyper service |
//! | [`tonic`] | one gRPC service or a whole server, code generation, a client sending the token |
//! | [`guards`] | scopes and groups per route (`403 insufficient_scope`), the `Authorized` extractor |
//! | [`step_up`] | a recent or stronger sign-in per route (`auth_time`, `acr`, `amr`; RFC 9470 `401`) |
//! | [`rejections`] | your own rejection bodies (RFC 9457 problem documents, JSON) |
//! | [`outside_http`] | verifying a token without a request (queues, WebSockets) |
//! | [`checks`] | your own check on the verified claims |
//! | [`optional`] | routes that serve anonymous and signed-in users |
//! | [`cookie`] | the token in a cookie, for browser sessions |
//! | [`pools`] | several user pools in one layer, guards bound to a pool |
//! | [`testing`] | `test_util::LocalIssuer` and hostile tokens in your own tests |
//! | [`configuration`] | every setting, where the keys come from |
//! | [`behaviour`] | every answer: status, challenge, gRPC status, error kind |
//! | [`revocation`] | a deny-list that makes sign-out take effect at once, shared through Redis |
//! | [`metrics`] | counters and gauges, exported through the `metrics` facade |
//! | [`tracing`] | the events the layer emits |
//! | [`readiness`] | a readiness probe |
//! | [`alb`] | behind an AWS Application Load Balancer: `x-amzn-oidc-data` verified (feature `alb`) |
//! | [`lambda`] | in an AWS Lambda function, keys at cold start, behind API Gateway's authorizer (feature `lambda`) |
//!
//! The security notes (what is read before the signature, every bound) are in
//! [`manual::security`](crate::manual::security). The user-pool side (sign-up, SRP sign-in,
//! refresh, attributes, a local user pool for tests) is the companion crate
//! `tower-cognito-client`.

#[doc = include_str!("docs/axum.md")]
pub mod axum {}

#[doc = include_str!("docs/hyper.md")]
pub mod hyper {}

#[doc = include_str!("docs/tonic.md")]
pub mod tonic {}

#[doc = include_str!("docs/guards.md")]
pub mod guards {}

#[doc = include_str!("docs/step_up.md")]
pub mod step_up {}

#[doc = include_str!("docs/rejections.md")]
pub mod rejections {}

#[doc = include_str!("docs/outside_http.md")]
pub mod outside_http {}

#[doc = include_str!("docs/checks.md")]
pub mod checks {}

#[doc = include_str!("docs/optional.md")]
pub mod optional {}

#[doc = include_str!("docs/cookie.md")]
pub mod cookie {}

#[doc = include_str!("docs/pools.md")]
pub mod pools {}

#[doc = include_str!("docs/testing.md")]
pub mod testing {}

#[doc = include_str!("docs/configuration.md")]
pub mod configuration {}

#[doc = include_str!("docs/behaviour.md")]
pub mod behaviour {}

#[doc = include_str!("docs/revocation.md")]
pub mod revocation {}

#[doc = include_str!("docs/metrics.md")]
pub mod metrics {}

#[doc = include_str!("docs/tracing.md")]
pub mod tracing {}

#[doc = include_str!("docs/readiness.md")]
pub mod readiness {}

#[cfg(feature = "alb")]
#[doc = include_str!("docs/alb.md")]
pub mod alb {}

#[cfg(feature = "lambda")]
#[doc = include_str!("docs/lambda.md")]
pub mod lambda {}
