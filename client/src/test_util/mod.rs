//! Test helpers (feature `test-util`): [`LocalUserPool`], an in-memory Cognito user pool served
//! on loopback, [`totp_code`], and [`SoftwareAuthenticator`], a passkey for its WebAuthn checks.
//!
//! The pool answers the calls of [`UserPoolClient`](crate::UserPoolClient): sign-up, SRP and
//! password sign-in (the SRP proof really checked), challenges, MFA, refresh, attributes,
//! passwords, sign-out and revocation, with tokens from a shared
//! [`LocalIssuer`] (`tower-cognito`'s `test-util`), so a
//! `CognitoAuthLayer` built from [`LocalUserPool::config`] verifies them.
//!
//! Given [callback URLs](LocalUserPoolBuilder::callback_urls), the pool also serves Cognito's
//! managed-login endpoints (`/oauth2/authorize` with a sign-in page, `/oauth2/token`,
//! `/oauth2/revoke`, `/oauth2/userInfo`, `/logout`, discovery): see [`LocalUserPool`].

mod authenticator;
mod authorize;
mod cbor;
mod login;
mod managed;
mod oauth;
mod ops;
mod page;
mod passwordless;
mod reply;
mod state;
mod timestamp;
mod totp;
mod userinfo;
mod webauthn;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, PoisonError};

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use tokio::net::TcpListener;

use tower_cognito::CognitoConfigBuilder;
use tower_cognito::UserPoolId;
use tower_cognito::test_util::{LocalIssuer, LocalIssuerError};

pub use authenticator::{AuthenticatorError, SoftwareAuthenticator};
pub use login::AuthorizationRequest;
pub use totp::totp_code;

use state::State;

/// Largest request body the pool reads, in bytes (Cognito's own limit is far above any
/// request of the API a client makes without credentials).
pub const MAX_REQUEST_SIZE: usize = 64 * 1024;

/// Longest grace period of a rotated refresh token (`RetryGracePeriodSeconds`), in seconds.
const MAX_RETRY_GRACE_PERIOD: u64 = 60;

const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";

/// Why a [`LocalUserPool`] could not be built or served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocalPoolError {
    /// The issuer could not be made.
    #[error(transparent)]
    Issuer(#[from] LocalIssuerError),
    /// The loopback listener could not be bound.
    #[error("could not listen on loopback: {0}")]
    Bind(#[source] std::io::Error),
    /// A setting was refused (the message says which).
    #[error("invalid local user pool setting: {0}")]
    InvalidSetting(&'static str),
}

/// A Cognito error the pool answered with: its type (`__type`) and message, as on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error_type}: {message}")]
pub struct PoolError {
    error_type: &'static str,
    message: String,
}

impl PoolError {
    pub(crate) fn new(error_type: &'static str, message: impl Into<String>) -> Self {
        Self {
            error_type,
            message: message.into(),
        }
    }

    /// The type, e.g. `NotAuthorizedException`.
    pub fn error_type(&self) -> &'static str {
        self.error_type
    }

    /// The message, e.g. `Incorrect username or password.`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The status of a user, as Cognito names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserStatus {
    /// Signed up, not confirmed yet (`UNCONFIRMED`).
    Unconfirmed,
    /// Confirmed (`CONFIRMED`).
    Confirmed,
    /// Created with a temporary password; the first sign-in asks for a new one
    /// (`FORCE_CHANGE_PASSWORD`).
    ForceChangePassword,
}

impl UserStatus {
    /// The name Cognito gives the status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unconfirmed => "UNCONFIRMED",
            Self::Confirmed => "CONFIRMED",
            Self::ForceChangePassword => "FORCE_CHANGE_PASSWORD",
        }
    }
}

/// What a code was sent for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodeKind {
    /// Sign-up confirmation (`SignUp`, `ResendConfirmationCode`).
    SignUp,
    /// Password reset (`ForgotPassword`).
    ForgotPassword,
    /// Verification of this attribute (`email`, `phone_number`).
    VerifyAttribute(String),
    /// The code of an `SMS_MFA` challenge.
    SmsMfa,
    /// The code of an `EMAIL_OTP` challenge (`USER_AUTH` first factor, or email MFA).
    EmailOtp,
    /// The code of an `SMS_OTP` challenge (`USER_AUTH` first factor).
    SmsOtp,
}

/// A code the pool "sent", as [`LocalUserPoolBuilder::on_code`] sees it.
#[derive(Clone)]
#[non_exhaustive]
pub struct SentCode {
    /// The user it was sent to (the Cognito user name).
    pub username: String,
    /// What it is for.
    pub kind: CodeKind,
    /// The code.
    pub code: String,
}

impl fmt::Debug for SentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentCode")
            .field("username", &self.username)
            .field("kind", &self.kind)
            .field("code", &"[redacted]")
            .finish()
    }
}

type CodeHook = Arc<dyn Fn(&SentCode) + Send + Sync>;

/// Whether and how the pool remembers devices (the pool setting `DeviceConfiguration`), for
/// [`LocalUserPoolBuilder::device_tracking`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DeviceTracking {
    /// No device tracking (the default): sign-ins carry no `NewDeviceMetadata`.
    #[default]
    Off,
    /// Every confirmed device is remembered (`DeviceOnlyRememberedOnUserPrompt` false:
    /// `ConfirmDevice` answers `UserConfirmationNecessary: false`).
    Always,
    /// A confirmed device is remembered once the user opts in with `UpdateDeviceStatus`
    /// (`DeviceOnlyRememberedOnUserPrompt` true: `UserConfirmationNecessary: true`).
    UserOptIn,
}

/// The settings of a pool, fixed when it is built.
pub(crate) struct Settings {
    pub(crate) pool_id: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: Option<String>,
    pub(crate) rotation: bool,
    pub(crate) rotation_grace_seconds: u64,
    pub(crate) mfa_required: bool,
    pub(crate) email_alias: bool,
    pub(crate) required_attributes: Vec<String>,
    pub(crate) on_code: Option<CodeHook>,
    /// The resource-server scopes the app client may ask for with `client_credentials`.
    pub(crate) custom_scopes: Vec<String>,
    /// The managed-login settings of the app client (callback and sign-out URLs, PKCE, scopes).
    pub(crate) managed: managed::ManagedLoginSettings,
    pub(crate) device_tracking: DeviceTracking,
    /// Choice-based sign-in (`USER_AUTH`) and passkeys.
    pub(crate) user_auth: passwordless::UserAuthSettings,
}

pub(crate) struct Shared {
    pub(crate) issuer: LocalIssuer,
    pub(crate) settings: Settings,
    pub(crate) state: Mutex<State>,
    /// Requests to `/oauth2/token`.
    pub(crate) oauth_token_requests: AtomicU64,
    /// The managed-login side (locked after `state` where both are needed).
    pub(crate) login: Mutex<login::LoginState>,
}

impl Shared {
    pub(crate) fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An in-memory Cognito user pool with one app client, served on loopback; cheap to clone
/// (shared state). Feature `test-util`.
///
/// It answers the unsigned user-pool API exactly as [`UserPoolClient`](crate::UserPoolClient)
/// calls it (`POST /`, `Content-Type: application/x-amz-json-1.1`,
/// `X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`), signs its tokens with a shared
/// [`LocalIssuer`] (so the JWKS is the issuer's, also served by the pool at
/// `/{pool}/.well-known/jwks.json`), and checks what Cognito checks: the SRP proof of
/// `USER_SRP_AUTH` (the secret block it issued, a timestamp within five minutes of its clock),
/// passwords against stored verifiers (never the passwords themselves), `SECRET_HASH` over the
/// right user name when the app client has a secret, codes, TOTP (RFC 6238, at the issuer's
/// clock), sign-out and revocation.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tower_cognito_client::{Secret, SignUpInput, UserPoolClient};
/// use tower_cognito_client::test_util::LocalUserPool;
/// use tower_cognito::{CognitoAuthLayer, TokenUse};
///
/// let pool = LocalUserPool::builder().client_secret("s3cr3t-of-the-app-client").build()?;
/// let server = pool.serve().await?;
/// let client = UserPoolClient::builder(pool.user_pool_id(), pool.client_id())
///     .client_secret("s3cr3t-of-the-app-client")
///     .endpoint(server.endpoint())
///     .build()?;
///
/// let password = Secret::new("Corr3ct-horse");
/// client
///     .sign_up(&SignUpInput::new("alice", password.clone()).attribute("email", "alice@example.com"))
///     .await?;
/// let code = pool.last_code("alice").ok_or("no code")?;
/// client.confirm_sign_up("alice", &Secret::new(code)).await?;
/// let tokens = client.sign_in_srp("alice", &password).await?.tokens().ok_or("a challenge")?;
///
/// let config = pool.config().token_use(TokenUse::Access).build()?;
/// let layer = CognitoAuthLayer::builder(config).start().await?;
/// let claims = tokens.verify_access(&layer)?;
/// assert_eq!(claims.username(), Some("alice"));
/// # Ok(()) }
/// ```
///
/// What differs from Cognito, on purpose: no rate limits or lockouts, codes are readable by the
/// test ([`LocalUserPool::last_code`], or [`LocalUserPoolBuilder::on_code`]), there is no threat
/// protection (`UpdateAuthEventFeedback` is an `UnknownOperationException`), refresh tokens are
/// random opaque strings, and every auth flow is allowed (but `REFRESH_TOKEN_AUTH` with
/// [refresh-token rotation](LocalUserPoolBuilder::refresh_token_rotation)).
#[doc = include_str!("managed_login.md")]
#[derive(Clone)]
pub struct LocalUserPool {
    shared: Arc<Shared>,
}

impl fmt::Debug for LocalUserPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.shared.settings;
        f.debug_struct("LocalUserPool")
            .field("user_pool_id", &s.pool_id)
            .field("client_id", &s.client_id)
            .field(
                "client_secret",
                &s.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("refresh_token_rotation", &s.rotation)
            .field("mfa_required", &s.mfa_required)
            .field("device_tracking", &s.device_tracking)
            .field("users", &self.shared.state().users.len())
            .finish_non_exhaustive()
    }
}

/// Builder of a [`LocalUserPool`].
#[must_use]
pub struct LocalUserPoolBuilder {
    issuer: Option<LocalIssuer>,
    pool_id: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    rotation: bool,
    rotation_grace_seconds: u64,
    mfa_required: bool,
    email_alias: bool,
    required_attributes: Vec<String>,
    on_code: Option<CodeHook>,
    custom_scopes: Vec<String>,
    managed: managed::ManagedLoginSettings,
    device_tracking: DeviceTracking,
    user_auth: passwordless::UserAuthSettings,
}

impl fmt::Debug for LocalUserPoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalUserPoolBuilder")
            .field("issuer", &self.issuer)
            .field("user_pool_id", &self.pool_id)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("refresh_token_rotation", &self.rotation)
            .field(
                "refresh_token_retry_grace_period",
                &self.rotation_grace_seconds,
            )
            .field("mfa_required", &self.mfa_required)
            .field("email_alias", &self.email_alias)
            .field("required_attributes", &self.required_attributes)
            .field("on_code", &self.on_code.is_some())
            .field("custom_scopes", &self.custom_scopes)
            .field("managed_login", &self.managed)
            .field("device_tracking", &self.device_tracking)
            .field("user_auth", &self.user_auth)
            .finish()
    }
}

impl LocalUserPoolBuilder {
    /// Device tracking (default [`DeviceTracking::Off`]). With it on, a sign-in that ends in
    /// tokens without a known device carries `NewDeviceMetadata` (and its access token the new
    /// `device_key`); `ConfirmDevice` stores the device's verifier; a sign-in that sends the
    /// `DEVICE_KEY` of a remembered device skips MFA and must answer `DEVICE_SRP_AUTH` and
    /// `DEVICE_PASSWORD_VERIFIER` (the SRP proof really checked; a confirmed device that is not
    /// remembered answers them after MFA); a refresh token of a device sign-in needs its
    /// `DeviceKey`. `UpdateDeviceStatus`, `ListDevices`, `GetDevice` and `ForgetDevice` are
    /// served.
    pub fn device_tracking(mut self, tracking: DeviceTracking) -> Self {
        self.device_tracking = tracking;
        self
    }

    /// The resource-server scopes (`<identifier>/<name>`, e.g. `orders/read`) the app client
    /// is allowed: what `/oauth2/token`'s `client_credentials` grant issues (all of them when
    /// the request names none). That grant needs a [`client_secret`](Self::client_secret) and
    /// at least one scope, as in Cognito.
    pub fn custom_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.custom_scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The issuer that signs the pool's tokens (default: a new [`LocalIssuer`] for the pool id).
    /// The pool id is then the issuer's.
    pub fn issuer(mut self, issuer: LocalIssuer) -> Self {
        self.issuer = Some(issuer);
        self
    }

    /// The user pool id (default [`LOCAL_POOL_ID`](tower_cognito::test_util::LOCAL_POOL_ID)), when no
    /// [`issuer`](Self::issuer) is given (with one, it must be the issuer's).
    pub fn user_pool_id(mut self, pool_id: impl Into<String>) -> Self {
        self.pool_id = Some(pool_id.into());
        self
    }

    /// The app client id (default: the issuer's client id, so `issuer.config()` fits).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// Gives the app client a secret: `SECRET_HASH` is then required wherever Cognito wants
    /// it, and the raw secret for `RevokeToken` and `GetTokensFromRefreshToken`.
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Refresh-token rotation (default off), as the app client setting
    /// `RefreshTokenRotation.Feature`: every `GetTokensFromRefreshToken` returns a new refresh
    /// token of the same lineage (same `origin_jti`, same absolute expiry, counted from the
    /// sign-in); the one it replaces stays valid for the
    /// [grace period](Self::refresh_token_retry_grace_period), then is refused with
    /// `RefreshTokenReuseException`. `InitiateAuth`'s `REFRESH_TOKEN_AUTH` is refused, as
    /// Cognito refuses it on such app clients (the pool answers `InvalidParameterException`,
    /// "REFRESH_TOKEN_AUTH flow not enabled for this client", the answer to a flow the app
    /// client does not allow: the exact answer of Cognito here is unconfirmed).
    pub fn refresh_token_rotation(mut self, rotate: bool) -> Self {
        self.rotation = rotate;
        self
    }

    /// How long a rotated-away refresh token stays valid, in seconds (default 0: refused at
    /// once), as `RefreshTokenRotation.RetryGracePeriodSeconds` (0 to 60), counted on the
    /// pool's clock (the issuer's) from its first rotation. Build refuses more than 60.
    pub fn refresh_token_retry_grace_period(mut self, seconds: u64) -> Self {
        self.rotation_grace_seconds = seconds;
        self
    }

    /// MFA required (default off): a user without MFA gets an `MFA_SETUP` challenge at sign-in
    /// and sets up TOTP with the session.
    pub fn mfa_required(mut self, required: bool) -> Self {
        self.mfa_required = required;
        self
    }

    /// Sign-in with the `email` attribute as an alias of the user name (default off). The
    /// challenges then carry the internal user name, and `SECRET_HASH` of the challenge
    /// answers must be computed over it.
    pub fn email_alias(mut self, alias: bool) -> Self {
        self.email_alias = alias;
        self
    }

    /// Attributes every user must have (checked at sign-up, asked for by
    /// `NEW_PASSWORD_REQUIRED`, never deletable).
    pub fn required_attributes<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.required_attributes = names.into_iter().map(Into::into).collect();
        self
    }

    /// Called with every code the pool "sends" (sign-up, reset, attribute verification, SMS
    /// MFA), while the pool's lock is held: keep it short and do not call the pool from it.
    pub fn on_code(mut self, hook: impl Fn(&SentCode) + Send + Sync + 'static) -> Self {
        self.on_code = Some(Arc::new(hook));
        self
    }

    /// Builds the pool.
    ///
    /// # Errors
    /// [`LocalPoolError::Issuer`] if a new issuer cannot be made,
    /// [`LocalPoolError::InvalidSetting`] if the pool id differs from the issuer's or an id is
    /// empty.
    pub fn build(self) -> Result<LocalUserPool, LocalPoolError> {
        let issuer = match self.issuer {
            Some(issuer) => {
                if self
                    .pool_id
                    .as_deref()
                    .is_some_and(|id| id != issuer.user_pool_id())
                {
                    return Err(LocalPoolError::InvalidSetting(
                        "the user pool id must be the issuer's",
                    ));
                }
                issuer
            }
            None => {
                let mut builder = LocalIssuer::builder();
                if let Some(id) = &self.pool_id {
                    builder = builder.user_pool_id(id.clone());
                }
                if let Some(id) = &self.client_id {
                    builder = builder.client_id(id.clone());
                }
                builder.build()?
            }
        };
        let pool_id = issuer.user_pool_id().to_owned();
        if UserPoolId::parse(&pool_id).is_err() {
            return Err(LocalPoolError::InvalidSetting(
                "the user pool id must be REGION_NAME",
            ));
        }
        self.user_auth.validate()?;
        if self.rotation_grace_seconds > MAX_RETRY_GRACE_PERIOD {
            return Err(LocalPoolError::InvalidSetting(
                "the refresh token retry grace period must be 0 to 60 seconds",
            ));
        }
        self.managed.validate()?;
        let client_id = self
            .client_id
            .unwrap_or_else(|| issuer.client_id().to_owned());
        if client_id.is_empty() || self.client_secret.as_ref().is_some_and(String::is_empty) {
            return Err(LocalPoolError::InvalidSetting(
                "the client id and secret must not be empty",
            ));
        }
        Ok(LocalUserPool {
            shared: Arc::new(Shared {
                issuer,
                settings: Settings {
                    pool_id,
                    client_id,
                    client_secret: self.client_secret,
                    rotation: self.rotation,
                    rotation_grace_seconds: self.rotation_grace_seconds,
                    mfa_required: self.mfa_required,
                    email_alias: self.email_alias,
                    required_attributes: self.required_attributes,
                    on_code: self.on_code,
                    custom_scopes: self.custom_scopes,
                    managed: self.managed,
                    device_tracking: self.device_tracking,
                    user_auth: self.user_auth,
                },
                state: Mutex::new(State::default()),
                oauth_token_requests: AtomicU64::new(0),
                login: Mutex::new(login::LoginState::default()),
            }),
        })
    }
}

impl LocalUserPool {
    /// A builder.
    pub fn builder() -> LocalUserPoolBuilder {
        LocalUserPoolBuilder {
            issuer: None,
            pool_id: None,
            client_id: None,
            client_secret: None,
            rotation: false,
            rotation_grace_seconds: 0,
            mfa_required: false,
            email_alias: false,
            required_attributes: Vec::new(),
            on_code: None,
            custom_scopes: Vec::new(),
            managed: managed::ManagedLoginSettings::default(),
            device_tracking: DeviceTracking::Off,
            user_auth: passwordless::UserAuthSettings::default(),
        }
    }

    /// A pool with the default settings and a new issuer.
    ///
    /// # Errors
    /// [`LocalPoolError::Issuer`] if RSA key generation fails.
    pub fn new() -> Result<Self, LocalPoolError> {
        Self::builder().build()
    }

    /// The issuer that signs the pool's tokens.
    pub fn issuer(&self) -> &LocalIssuer {
        &self.shared.issuer
    }

    /// The user pool id.
    pub fn user_pool_id(&self) -> &str {
        &self.shared.settings.pool_id
    }

    /// The app client id.
    pub fn client_id(&self) -> &str {
        &self.shared.settings.client_id
    }

    /// The app client's secret, if it has one.
    pub fn client_secret(&self) -> Option<&str> {
        self.shared.settings.client_secret.as_deref()
    }

    /// How many requests `/oauth2/token` has answered, refused ones included (what Cognito
    /// bills for `client_credentials`).
    pub fn token_requests(&self) -> u64 {
        self.shared
            .oauth_token_requests
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A verifier configuration for this pool and app client, with the issuer's clock and the
    /// JWKS URL of the last [`serve`](Self::serve) (of the issuer's own server before that).
    /// Choose the token use, then build.
    pub fn config(&self) -> CognitoConfigBuilder {
        self.shared
            .issuer
            .config()
            .client_id(self.shared.settings.client_id.clone())
    }

    /// The code last sent to `username` (sign-up, reset, attribute verification or SMS MFA).
    pub fn last_code(&self, username: &str) -> Option<String> {
        self.shared
            .state()
            .users
            .get(username)
            .and_then(|u| u.last_code.clone())
    }

    /// Creates a confirmed user with `password` and `attributes` (as an administrator would,
    /// with no code): returns its `sub`.
    ///
    /// # Errors
    /// The [`PoolError`] `SignUp` would give (`UsernameExistsException`,
    /// `InvalidPasswordException`, `InvalidParameterException`).
    pub async fn create_user(
        &self,
        username: &str,
        password: &str,
        attributes: &[(&str, &str)],
    ) -> Result<String, PoolError> {
        ops::create_user(
            &self.shared,
            username,
            password,
            attributes,
            UserStatus::Confirmed,
        )
        .await
    }

    /// Creates a user with a temporary password, as `AdminCreateUser` does: the first sign-in
    /// answers `NEW_PASSWORD_REQUIRED` (`FORCE_CHANGE_PASSWORD`). Returns its `sub`.
    ///
    /// # Errors
    /// As [`create_user`](Self::create_user).
    pub async fn create_user_with_temporary_password(
        &self,
        username: &str,
        temporary_password: &str,
        attributes: &[(&str, &str)],
    ) -> Result<String, PoolError> {
        ops::create_user(
            &self.shared,
            username,
            temporary_password,
            attributes,
            UserStatus::ForceChangePassword,
        )
        .await
    }

    /// Adds `username` to `group` (`cognito:groups` of its next tokens). Returns whether the
    /// user exists.
    pub fn add_user_to_group(&self, username: &str, group: &str) -> bool {
        let mut state = self.shared.state();
        let Some(user) = state.users.get_mut(username) else {
            return false;
        };
        if !user.groups.iter().any(|g| g == group) {
            user.groups.push(group.to_owned());
        }
        true
    }

    /// Turns SMS MFA on for `username`: its sign-ins then answer `SMS_MFA` (or
    /// `SELECT_MFA_TYPE`, with another method on and none preferred), with a code read by
    /// [`last_code`](Self::last_code). Returns whether the user exists and has a
    /// `phone_number`.
    pub fn enable_sms_mfa(&self, username: &str) -> bool {
        let mut state = self.shared.state();
        match state.users.get_mut(username) {
            Some(user) if user.attributes.contains_key("phone_number") => {
                user.sms_mfa = true;
                true
            }
            _ => false,
        }
    }

    /// The status of `username`.
    pub fn user_status(&self, username: &str) -> Option<UserStatus> {
        self.shared.state().users.get(username).map(|u| u.status)
    }

    /// The attributes of `username` (`sub` included; `*_verified` as `"true"`/`"false"`).
    pub fn user_attributes(&self, username: &str) -> Option<BTreeMap<String, String>> {
        self.shared
            .state()
            .users
            .get(username)
            .map(|u| u.attributes.clone())
    }

    /// The keys of the devices `username` confirmed (`ConfirmDevice`), and whether each is
    /// remembered, oldest first.
    pub fn devices(&self, username: &str) -> Vec<(String, bool)> {
        let state = self.shared.state();
        let mut devices: Vec<_> = state
            .devices
            .iter()
            .filter(|(_, d)| d.username == username && d.verifier.is_some())
            .map(|(key, d)| (d.created, key.clone(), d.remembered))
            .collect();
        devices.sort();
        devices.into_iter().map(|(_, key, r)| (key, r)).collect()
    }

    /// How many users the pool has.
    pub fn user_count(&self) -> usize {
        self.shared.state().users.len()
    }

    /// Answers one call of the user-pool API without HTTP: `operation` is the part of
    /// `X-Amz-Target` after `AWSCognitoIdentityProviderService.`, `body` the JSON request.
    ///
    /// # Errors
    /// The [`PoolError`] the pool would answer with (status 400).
    pub async fn call(
        &self,
        operation: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, PoolError> {
        ops::dispatch(&self.shared, operation, body).await
    }

    /// Serves the pool on `127.0.0.1` (a free port): the API at `POST /`, and the issuer's
    /// JWKS at `GET /{pool}/.well-known/jwks.json`, which [`config`](Self::config) (and the
    /// issuer's own `config()`) use from now on. The server stops when the guard is dropped.
    ///
    /// # Errors
    /// [`LocalPoolError::Bind`] if no loopback port can be bound.
    #[must_use = "the pool's server stops when its guard is dropped"]
    pub async fn serve(&self) -> Result<UserPoolServer, LocalPoolError> {
        self.serve_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Like [`serve`](Self::serve), on a given address (keep it on loopback: the pool has no
    /// authentication of its own).
    ///
    /// # Errors
    /// [`LocalPoolError::Bind`] if the address cannot be bound.
    #[must_use = "the pool's server stops when its guard is dropped"]
    pub async fn serve_on(&self, addr: SocketAddr) -> Result<UserPoolServer, LocalPoolError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(LocalPoolError::Bind)?;
        let addr = listener.local_addr().map_err(LocalPoolError::Bind)?;
        let endpoint = format!("http://{addr}/");
        let jwks_url = format!(
            "http://{addr}/{}/.well-known/jwks.json",
            self.user_pool_id()
        );
        self.shared.issuer.set_jwks_url(jwks_url.clone());
        let shared = Arc::clone(&self.shared);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let shared = Arc::clone(&shared);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let shared = Arc::clone(&shared);
                        async move { Ok::<_, Infallible>(answer(&shared, req).await) }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
            }
        });
        Ok(UserPoolServer {
            addr,
            endpoint,
            jwks_url,
            task: task.abort_handle(),
        })
    }
}

/// One HTTP request: the JWKS, or one API call.
async fn answer(shared: &Shared, req: http::Request<Incoming>) -> http::Response<Full<Bytes>> {
    if req.method() == http::Method::GET && req.uri().path().ends_with("/.well-known/jwks.json") {
        return shared.issuer.jwks_response(&req).map(Full::new);
    }
    if managed::serves(shared, req.uri().path()) {
        return managed::answer(shared, req).await;
    }
    if req.method() != http::Method::POST {
        return error_response(
            405,
            &PoolError::new("UnknownOperationException", "POST only"),
        );
    }
    let operation = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix(TARGET_PREFIX))
        .map(str::to_owned);
    let json_body = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-amz-json-1."));
    let Some(operation) = operation.filter(|_| json_body) else {
        return error_response(
            400,
            &PoolError::new("UnknownOperationException", "Unknown operation"),
        );
    };
    let body = match Limited::new(req.into_body(), MAX_REQUEST_SIZE)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            return error_response(
                413,
                &PoolError::new("SerializationException", "Request body too large"),
            );
        }
    };
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return error_response(
            400,
            &PoolError::new("SerializationException", "The request body is not JSON"),
        );
    };
    match ops::dispatch(shared, &operation, &body).await {
        Ok(value) => json_response(200, value.to_string().into_bytes(), None),
        Err(error) => error_response(400, &error),
    }
}

fn error_response(status: u16, error: &PoolError) -> http::Response<Full<Bytes>> {
    let body = serde_json::json!({ "__type": error.error_type, "message": error.message });
    json_response(
        status,
        body.to_string().into_bytes(),
        Some(error.error_type),
    )
}

fn json_response(
    status: u16,
    body: Vec<u8>,
    error_type: Option<&str>,
) -> http::Response<Full<Bytes>> {
    let mut builder = http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/x-amz-json-1.1");
    if let Some(error_type) = error_type {
        builder = builder.header("x-amzn-errortype", format!("{error_type}:"));
    }
    builder
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| http::Response::new(Full::new(Bytes::new())))
}

/// A running [`LocalUserPool`] server; stops when dropped.
#[derive(Debug)]
#[must_use = "the pool's server stops when this guard is dropped"]
pub struct UserPoolServer {
    addr: SocketAddr,
    endpoint: String,
    jwks_url: String,
    task: tokio::task::AbortHandle,
}

impl UserPoolServer {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The endpoint for [`UserPoolClientBuilder::endpoint`](crate::UserPoolClientBuilder::endpoint):
    /// `http://ADDR/`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The URL of the issuer's JWKS on this server.
    pub fn jwks_url(&self) -> &str {
        &self.jwks_url
    }
}

impl Drop for UserPoolServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
