//! Machine-to-machine access tokens: the `client_credentials` grant of the token endpoint,
//! one request per token.
//!
//! [`TokenSource`] fetches access tokens for an app client with a secret at
//! `<domain>/oauth2/token`, caches them per scope set, refreshes them ahead of expiry in the
//! background, makes one request for any number of concurrent callers, backs off on failure
//! and never hands out an expired token. Token requests are billed by Cognito: a service that
//! asked for a token per outgoing call would pay per call.
//!
//! The token reaches outgoing calls through [`AuthorizationLayer`] (a tower layer setting
//! `Authorization: Bearer`, for hyper, tonic and any tower client) or
//! [`TokenSource::authorize`] (one call for a reqwest request). [`TokenSource::stats`] and,
//! with the `metrics` feature, the `tower_cognito_client_token_*` counters count the token
//! requests, refreshes and failures.
//!
//! The receiving service verifies these tokens with `tower-cognito`'s layer as any access
//! token: they carry `client_id`, `scope` and `sub` (the client id), no `username` and no
//! groups; guard them with `Require::scope`.
//!
//! `LocalUserPool` (feature `test-util`) serves the grant with resource-server scopes, so
//! all of it runs offline; `examples/m2m.rs` does.

mod answer;
mod clock;
mod error;
mod fetch;
mod layer;
mod scopes;
mod source;
mod stats;
mod token;

pub use clock::{Clock, ManualClock, MonotonicClock};
pub use error::{TokenError, TokenErrorKind};
pub use layer::{AuthorizationLayer, Authorize, BoxError, ResponseFuture};
pub use scopes::{InvalidScopes, Scopes};
pub use source::{TokenSource, TokenSourceBuilder};
pub use stats::TokenSourceStats;
pub use token::AccessToken;
