//! # tower-cognito-client
//!
//! A client of the Amazon Cognito user-pool API: the calls an application makes without AWS
//! credentials, for the services that verify the tokens with
//! [`tower-cognito`](https://docs.rs/tower-cognito).
//!
//! [`UserPoolClient`] signs users up and confirms them, signs them in with `USER_SRP_AUTH`
//! (the password never leaves the process) or `USER_PASSWORD_AUTH`, answers challenges
//! (new password, SMS and TOTP MFA, MFA choice and setup), refreshes tokens, reads and changes
//! the user's attributes and password, resets forgotten passwords, sets up TOTP, turns MFA
//! methods on and off ([`UserPoolClient::set_user_mfa_preference`]), lists the user's
//! sign-in factors ([`UserPoolClient::get_user_auth_factors`]), signs out, revokes refresh
//! tokens, deletes users, and sends the feedback of threat protection's notices
//! ([`UserPoolClient::update_auth_event_feedback`]). With a client secret, `SECRET_HASH` is sent
//! wherever the API wants it, over the right user name.
//!
//! Choice-based sign-in (`USER_AUTH`, [`UserPoolClient::sign_in_user_auth`]): the user picks a
//! [`FirstFactor`] (password, password with SRP, a one-time code by email or SMS, a passkey),
//! answered with [`ChallengeAnswer::SelectChallenge`], [`ChallengeAnswer::EmailOtpCode`],
//! [`ChallengeAnswer::SmsOtpCode`] or [`ChallengeAnswer::WebAuthnCredential`] (the
//! authenticator's JSON, sent unchanged); [`UserPoolClient::sign_in_after_sign_up`] signs in with
//! the session of the confirmation; passkeys are managed with
//! [`start_web_authn_registration`](UserPoolClient::start_web_authn_registration) and its
//! siblings. Challenge names added to Cognito later arrive as [`Challenge::Other`] and
//! [`AuthFactor::Other`].
//!
//! Sign-in gives a [`SignIn`]: [`Tokens`], or a typed [`Challenge`] to answer with
//! [`UserPoolClient::respond_to_challenge`]. [`Tokens::verify_access`] verifies the access token
//! with a [`CognitoAuthLayer`](tower_cognito::CognitoAuthLayer)'s own verifier and keys, and
//! [`UserPoolClient::global_sign_out_and_deny`] puts the session on a
//! [`DenyList`](tower_cognito::deny::DenyList) so that the layers refuse its tokens at once.
//!
//! Passwords, codes, tokens, sessions and the client secret are [`Secret`]s: `Debug` and
//! `Display` never show them, and the client logs (at `debug` level, through `tracing`) only
//! operation names and error types.
//!
//! ```no_run
//! use tower_cognito_client::{Challenge, ChallengeAnswer, Secret, SignIn, UserPoolClient};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = UserPoolClient::builder("us-east-1_AbC123xyz", "4r1ktl3f2lrrvc1e5e0hdh1gjo")
//!     .build()?;
//! let password = Secret::new("correct horse battery staple");
//! let mut step = client.sign_in_srp("alice@example.com", &password).await?;
//! let tokens = loop {
//!     match step {
//!         SignIn::Tokens(tokens) => break tokens,
//!         SignIn::Challenge(challenge) => {
//!             let answer = match &challenge {
//!                 Challenge::SoftwareTokenMfa { .. } => {
//!                     ChallengeAnswer::SoftwareTokenMfaCode(Secret::new("123456"))
//!                 }
//!                 Challenge::NewPasswordRequired { .. } => {
//!                     ChallengeAnswer::new_password("a new password")
//!                 }
//!                 other => return Err(format!("unhandled challenge {}", other.name()).into()),
//!             };
//!             step = client.respond_to_challenge(&challenge, &answer).await?;
//!         }
//!     }
//! };
//! let user = client.get_user(&tokens.access_token).await?;
//! println!("signed in as {} ({:?})", user.username, user.attribute("email"));
//! let refreshed = client.refresh(tokens.refresh_token.as_ref().ok_or("no refresh token")?).await?;
//! # let _ = refreshed; Ok(()) }
//! ```
//!
//! Errors are [`ClientError`]s: a Cognito error keeps its type name and message, parsed into
//! a [`CognitoErrorKind`]; transport failures, timeouts and unexpected answers are kinds of
//! their own, and no answer, however malformed, makes the client panic. An unexpected answer's
//! error says where and what (member path, line, column, the type expected), never a value of
//! the answer: no level of an error's source chain shows a token, session, code or secret.
//!
//! `web` (feature `web`) signs browsers in with managed login for server-rendered axum apps:
//! code + PKCE, server-side sessions (in memory, or Redis with `redis`), refresh and logout,
//! the session's access token verified by the app's own `CognitoAuthLayer`
//! ([guide](guide::web)).
//!
//! [`m2m`] is the machine-to-machine side: access tokens from the `client_credentials` grant,
//! cached so that each costs one (billed) token request, set on outgoing calls by a tower layer
//! or a reqwest helper ([guide](guide::m2m)).
//!
//! [`device`] remembers devices: `ConfirmDevice` with a device verifier, then sign-ins that
//! answer `DEVICE_SRP_AUTH` from a [`DeviceStore`](device::DeviceStore) and skip MFA.
//!
//! [`srp`] is the client side of SRP-6a as Cognito does it, public for applications that call
//! Cognito another way (the AWS SDK has `InitiateAuth` and `RespondToAuthChallenge`, but no SRP).
//!
//! ## Cargo features
//! - `tracing` (default): debug events (operation names and error types only).
//! - `metrics`: the token source's counters through the `metrics` facade.
//! - `web`: `web::WebSignIn`, web sign-in for server-rendered axum apps.
//! - `redis`: `web::RedisStore`, web sessions shared through Redis (implies `web`).
//! - `test-util`: [`test_util::LocalUserPool`], an in-memory user pool on loopback that really
//!   checks SRP (with the server side of [`srp`] it needs) and passkeys, [`test_util::totp_code`],
//!   and [`test_util::SoftwareAuthenticator`], a passkey in memory.
//!
//! The guide, with the command-line example (`examples/user_pool.rs`) and the revocation example,
//! is in this crate's README.

// `doc_cfg` labels feature-gated items on the docs host (`--cfg docsrs`, nightly rustdoc).
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
mod challenge;
mod config;
mod decode;
pub mod device;
mod error;
mod factor;
mod feedback;
pub mod guide;
mod log;
pub mod m2m;
mod mfa;
mod ops;
mod passkey;
mod revoke;
mod secret;
pub mod srp;
mod token_endpoint;
mod tokens;
mod transport;
mod types;
mod user_auth;
#[cfg(feature = "web")]
#[cfg_attr(docsrs, doc(cfg(feature = "web")))]
pub mod web;
mod wire;

#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod test_util;

#[cfg(test)]
mod tests;

/// Every ```` ```rust ```` snippet of the README is compiled (and run unless `no_run`) as a
/// doctest.
#[cfg(all(doctest, feature = "test-util"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

use std::fmt;
use std::sync::Arc;

pub use challenge::{Challenge, ChallengeAnswer, SignIn};
pub use config::{ClientConfigError, UserPoolClientBuilder};
pub use error::{ClientError, ClientErrorKind, CognitoErrorKind, ProtocolError};
pub use factor::{AuthFactor, FirstFactor, MfaType};
pub use feedback::AuthEventFeedback;
pub use mfa::{MfaPreference, MfaSetting, UserAuthFactors};
pub use passkey::{WebAuthnCredential, WebAuthnCredentials};
pub use secret::Secret;
pub use srp::{SrpError, SrpParam};
pub use tokens::Tokens;
pub use types::{
    Attribute, CodeDelivery, SignUpInput, SignUpOutput, SoftwareTokenAssociation,
    SoftwareTokenAuth, SoftwareTokenVerification, User,
};

use transport::Inner;

/// A client of one app client of one user pool. Cheap to clone (the settings and the HTTP
/// client are shared).
///
/// Every call is one `POST` to the endpoint with `Content-Type: application/x-amz-json-1.1`
/// and `X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>` (no AWS signature), with
/// the builder's timeout over the whole exchange, and reads at most 1 MiB of answer.
#[derive(Clone)]
pub struct UserPoolClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for UserPoolClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl UserPoolClient {
    /// Default time limit of one call (connect, request and the whole answer): 10 s.
    pub const DEFAULT_TIMEOUT: std::time::Duration = config::DEFAULT_CLIENT_TIMEOUT;

    /// A builder for the pool `user_pool_id` (`us-east-1_AbC123xyz`) and its app client
    /// `client_id`. The region (and so the default endpoint) and the SRP pool name come from
    /// the pool id.
    pub fn builder(
        user_pool_id: impl Into<String>,
        client_id: impl Into<String>,
    ) -> UserPoolClientBuilder {
        UserPoolClientBuilder::new(user_pool_id.into(), client_id.into())
    }

    /// The user pool id.
    pub fn user_pool_id(&self) -> &str {
        self.inner.user_pool_id.as_str()
    }

    /// The app client id.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// The endpoint requests are sent to.
    pub fn endpoint(&self) -> &str {
        self.inner.endpoint.as_str()
    }

    /// Whether the app client has a secret (so `SECRET_HASH` is sent).
    pub fn has_client_secret(&self) -> bool {
        self.inner.client_secret.is_some()
    }
}
