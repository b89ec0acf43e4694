//! What the managed-login side remembers: sign-in transactions (a page shown, its form not
//! sent yet), authorization codes, browser sessions (the managed-login cookie), and the
//! requests `/oauth2/authorize` accepted. Also the PKCE rules.

use std::collections::{HashMap, VecDeque};
use std::sync::{MutexGuard, PoisonError};

use aws_lc_rs::digest;
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::Shared;
use super::ops::ct_eq;
use super::state::Lineage;

/// Lifetime of an authorization code (Cognito: 5 minutes).
pub(crate) const CODE_LIFETIME: u64 = 300;
/// Lifetime of a sign-in transaction: the page must be sent back within it.
pub(crate) const TRANSACTION_LIFETIME: u64 = 600;
/// Lifetime of the managed-login session of a browser (Cognito: one hour).
pub(crate) const BROWSER_SESSION_LIFETIME: u64 = 3600;
/// Requests of `/oauth2/authorize` kept for [`LocalUserPool::authorization_requests`](super::LocalUserPool::authorization_requests).
const MAX_RECORDED_REQUESTS: usize = 1000;

/// The managed-login session cookie (Cognito's is called `cognito` too).
pub(crate) const SESSION_COOKIE: &str = "cognito";
/// The cookie that binds a sign-in form to the browser it was shown to (Cognito's managed
/// login also sets an `XSRF-TOKEN` cookie).
pub(crate) const CSRF_COOKIE: &str = "XSRF-TOKEN";

/// A request `/oauth2/authorize` accepted, as
/// [`LocalUserPool::authorization_requests`](super::LocalUserPool::authorization_requests)
/// records it: the parameters as sent (the PKCE challenge left out).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorizationRequest {
    /// `client_id`.
    pub client_id: String,
    /// `redirect_uri`.
    pub redirect_uri: String,
    /// `scope`, as sent (`None` when absent: every scope of the client was granted).
    pub scope: Option<String>,
    /// `state`.
    pub state: Option<String>,
    /// `nonce`.
    pub nonce: Option<String>,
    /// `code_challenge_method` (only `S256` is accepted).
    pub code_challenge_method: Option<String>,
    /// `acr_values` (step-up; recorded, not acted on: the pool has one authentication level).
    pub acr_values: Option<String>,
    /// `max_age`, in seconds: a browser signed in longer ago than this signs in again.
    pub max_age: Option<u64>,
    /// `identity_provider` (recorded; the pool has no federated providers, so the page is
    /// always its own).
    pub identity_provider: Option<String>,
    /// `idp_identifier` (recorded, as `identity_provider`).
    pub idp_identifier: Option<String>,
    /// `lang` (recorded; the page is in English).
    pub lang: Option<String>,
}

/// What an authorization request asked for, and what its code is bound to.
#[derive(Clone)]
pub(crate) struct Grant {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) state: Option<String>,
    /// The granted scopes, in the order asked, without duplicates.
    pub(crate) scopes: Vec<String>,
    /// The S256 `code_challenge`.
    pub(crate) code_challenge: Option<String>,
    pub(crate) nonce: Option<String>,
}

impl Grant {
    pub(crate) fn scope(&self) -> String {
        self.scopes.join(" ")
    }

    pub(crate) fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// Where the sign-in of a transaction stands.
#[derive(Clone)]
pub(crate) enum LoginStep {
    /// The user name and password form.
    Password,
    /// An `SMS_MFA` or `SOFTWARE_TOKEN_MFA` challenge: the code form.
    Mfa {
        challenge: String,
        session: String,
        /// The user name the challenge carried (`USER_ID_FOR_SRP`).
        username: String,
    },
    /// `SELECT_MFA_TYPE`: the choice of MFA method.
    SelectMfa {
        session: String,
        username: String,
        /// The methods offered (`MFAS_CAN_CHOOSE`).
        options: Vec<String>,
    },
    /// `NEW_PASSWORD_REQUIRED`: the new password form.
    NewPassword { session: String, username: String },
}

/// A sign-in page shown and not finished yet, keyed by the id in its hidden field.
pub(crate) struct Transaction {
    pub(crate) grant: Grant,
    /// The value of the [`CSRF_COOKIE`] set with the page: the form is accepted only from a
    /// browser that sends it back.
    pub(crate) csrf: String,
    pub(crate) step: LoginStep,
    pub(crate) expires_at: u64,
}

/// An authorization code.
pub(crate) struct CodeRecord {
    pub(crate) grant: Grant,
    pub(crate) username: String,
    pub(crate) sub: String,
    /// The sign-in lineage of the tokens the code gives (`origin_jti`, `auth_time`).
    pub(crate) lineage: Lineage,
    pub(crate) expires_at: u64,
    /// Whether a token request used it: a second use is refused, and revokes the lineage.
    pub(crate) used: bool,
}

/// A browser signed in to the managed login (the [`SESSION_COOKIE`]).
pub(crate) struct BrowserSession {
    pub(crate) username: String,
    pub(crate) sub: String,
    /// When the user typed the password (the `auth_time` of the tokens it gives).
    pub(crate) auth_time: u64,
    pub(crate) expires_at: u64,
}

/// The managed-login side's own state, behind its own lock: where both are needed, the pool's
/// state is locked first.
#[derive(Default)]
pub(crate) struct LoginState {
    pub(crate) transactions: HashMap<String, Transaction>,
    pub(crate) codes: HashMap<String, CodeRecord>,
    pub(crate) browsers: HashMap<String, BrowserSession>,
    pub(crate) requests: VecDeque<AuthorizationRequest>,
}

impl LoginState {
    /// Forgets what has expired. A used code is kept until it expires, so a replay is seen.
    pub(crate) fn prune(&mut self, now: u64) {
        self.transactions.retain(|_, t| t.expires_at > now);
        self.codes.retain(|_, c| c.expires_at > now);
        self.browsers.retain(|_, b| b.expires_at > now);
    }

    pub(crate) fn record(&mut self, request: AuthorizationRequest) {
        if self.requests.len() >= MAX_RECORDED_REQUESTS {
            self.requests.pop_front();
        }
        self.requests.push_back(request);
    }
}

impl Shared {
    pub(crate) fn login(&self) -> MutexGuard<'_, LoginState> {
        self.login.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// 256 random bits, base64url (43 characters): transaction ids, codes, cookies.
pub(crate) fn random_id() -> Option<String> {
    let mut bytes = [0_u8; 32];
    SystemRandom::new().fill(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

/// A `code_challenge` of `S256`: base64url of a SHA-256, 43 characters (RFC 7636, section 4.2).
pub(crate) fn valid_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A `code_verifier`: 43 to 128 unreserved characters (RFC 7636, section 4.1).
pub(crate) fn valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Whether `verifier` hashes to `challenge` (S256).
pub(crate) fn pkce_matches(challenge: &str, verifier: &str) -> bool {
    let hash = digest::digest(&digest::SHA256, verifier.as_bytes());
    ct_eq(&URL_SAFE_NO_PAD.encode(hash.as_ref()), challenge)
}

/// `at_hash` of an access token (OpenID Connect Core, section 3.1.3.6): base64url of the left
/// half of its SHA-256.
pub(crate) fn at_hash(access_token: &str) -> String {
    let hash = digest::digest(&digest::SHA256, access_token.as_bytes());
    let half = hash.as_ref().get(..16).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(half)
}

/// A cookie of the pool's domain: `HttpOnly`, `SameSite=Lax`, `Path=/` (no `Secure`: the pool
/// serves plain HTTP on loopback).
pub(crate) fn cookie(name: &str, value: &str, max_age: u64) -> String {
    format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax")
}

/// The `Set-Cookie` that removes a cookie.
pub(crate) fn expired_cookie(name: &str) -> String {
    format!("{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
}
