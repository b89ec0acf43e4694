//! Errors: why a request was rejected, and why a configuration was refused.
//!
//! A rejection is never an `Err` of the service: the layer answers with a response and attaches the
//! [`Error`] to that response's extensions, so an outer layer can log or count it without parsing
//! bodies. [`Error::status`] is the single place where an error kind becomes an HTTP status.
//!
//! No message here ever contains token content (no claim value, no `kid`, no issuer from a token).

use std::fmt;
use std::sync::Arc;

use http::StatusCode;

/// Why a request was not authenticated, or not authorized.
///
/// Opaque, with a `Copy` [`ErrorKind`]; the layer puts it in the extensions of every
/// rejection response. Cloning is cheap (at most one reference count). Custom checks make their
/// own with [`unauthorized`](Self::unauthorized), [`forbidden`](Self::forbidden) and
/// [`insufficient_scope`](Self::insufficient_scope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    /// The scopes a guard requires, for the `scope` parameter of the challenge (configuration,
    /// never request data); only with [`ErrorKind::InsufficientScope`].
    required_scope: Option<Arc<str>>,
    /// The maximum age of the sign-in a step-up guard requires, in seconds (the `max_age`
    /// parameter of the challenge, configuration); only with
    /// [`ErrorKind::InsufficientUserAuthentication`].
    max_age: Option<u64>,
    /// The acceptable `acr` values a step-up guard requires, space-separated (the `acr_values`
    /// parameter, configuration); only with [`ErrorKind::InsufficientUserAuthentication`].
    acr_values: Option<Arc<str>>,
}

impl Error {
    pub(crate) const fn new(kind: ErrorKind) -> Self {
        Self {
            kind,
            required_scope: None,
            max_age: None,
            acr_values: None,
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// A token that passed every rule but is refused by the application's own check (`401
    /// invalid_token`), with a fixed description (never anything from the request).
    pub const fn unauthorized(description: &'static str) -> Self {
        Self::new(ErrorKind::Unauthorized { description })
    }

    /// A valid token that may not do this (`403 insufficient_scope`), with a fixed description.
    pub const fn forbidden(description: &'static str) -> Self {
        Self::new(ErrorKind::Forbidden { description })
    }

    /// A valid token that lacks a required scope (`403 insufficient_scope`): `required` is the
    /// space-delimited list of the scopes the resource requires, sent as the challenge's `scope`
    /// parameter (RFC 6750 §3). It is configuration, never request data; a list with characters
    /// outside the RFC 6750 `scope-token` grammar (and single spaces) is left out of the header.
    /// [`Require`](crate::Require) makes these for you.
    pub fn insufficient_scope(required: impl Into<Arc<str>>) -> Self {
        let required: Arc<str> = required.into();
        Self {
            required_scope: (!required.is_empty()).then_some(required),
            ..Self::new(ErrorKind::InsufficientScope)
        }
    }

    /// A valid token whose sign-in is too old or too weak for this resource (RFC 9470: `401
    /// insufficient_user_authentication`, gRPC UNAUTHENTICATED): the client signs the user in
    /// again, with the [`max_age`](Self::max_age) and [`acr_values`](Self::acr_values) this error
    /// carries, and retries with the new token. Add them with
    /// [`with_max_age`](Self::with_max_age) and [`with_acr_values`](Self::with_acr_values);
    /// [`Require::max_age`](crate::Require::max_age) and the `acr`/`amr` requirements make these
    /// for you.
    ///
    /// ```
    /// use tower_cognito::{Error, ErrorKind};
    ///
    /// let error = Error::insufficient_user_authentication()
    ///     .with_max_age(300)
    ///     .with_acr_values("urn:cognito:loa:3");
    /// assert_eq!(error.kind(), ErrorKind::InsufficientUserAuthentication);
    /// assert_eq!((error.status().as_u16(), error.error_code()), (401, Some("insufficient_user_authentication")));
    /// // What the web sign-in passes on its next `/login`:
    /// assert_eq!((error.max_age(), error.acr_values()), (Some(300), Some("urn:cognito:loa:3")));
    /// ```
    pub const fn insufficient_user_authentication() -> Self {
        Self::new(ErrorKind::InsufficientUserAuthentication)
    }

    /// This error with the maximum age (seconds since the sign-in) the resource accepts: the
    /// challenge's `max_age` parameter (RFC 9470 §3). Configuration, never request data.
    #[must_use]
    pub fn with_max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// This error with the `acr` values the resource accepts, space-separated in order of
    /// preference: the challenge's `acr_values` parameter (RFC 9470 §3). Configuration, never
    /// request data; a list with characters a quoted parameter cannot carry (`"`, `\`, control
    /// characters, double spaces) is left out of the header.
    #[must_use]
    pub fn with_acr_values(mut self, values: impl Into<Arc<str>>) -> Self {
        let values: Arc<str> = values.into();
        self.acr_values = (!values.is_empty()).then_some(values);
        self
    }

    /// A valid token whose user is not in a required group (`403 insufficient_scope`, no `scope`
    /// parameter).
    pub const fn missing_group() -> Self {
        Self::new(ErrorKind::MissingGroup)
    }

    /// The scopes the refused request required, as given to
    /// [`insufficient_scope`](Self::insufficient_scope): the challenge's `scope` parameter.
    pub fn required_scope(&self) -> Option<&str> {
        self.required_scope.as_deref()
    }

    /// The maximum age of the sign-in, in seconds, that the refused request needed (a step-up
    /// guard's [`Require::max_age`](crate::Require::max_age); the challenge's `max_age`): for the
    /// web sign-in's next `/login?max_age=..`. `None` when the age was not what failed.
    pub fn max_age(&self) -> Option<u64> {
        self.max_age
    }

    /// The `acr` values, space-separated in order of preference, one of which the refused request
    /// needed (a step-up guard's `acr` requirement; the challenge's `acr_values`): for the web
    /// sign-in's next `/login?acr_values=..`. `None` when no level was what failed.
    pub fn acr_values(&self) -> Option<&str> {
        self.acr_values.as_deref()
    }

    /// Whether the answer is `403`: authenticated, but not allowed.
    pub fn is_forbidden(&self) -> bool {
        self.kind.challenge() == Challenge::InsufficientScope
    }

    /// Whether the answer is `503`: no usable keys, nothing wrong with the request.
    pub fn is_unavailable(&self) -> bool {
        self.kind.challenge() == Challenge::Unavailable
    }

    /// The HTTP status the layer answers with (RFC 6750 §3.1).
    pub fn status(&self) -> StatusCode {
        self.kind.challenge().status()
    }

    /// The RFC 6750 `error` code of the `WWW-Authenticate` challenge, if the answer carries one.
    pub fn error_code(&self) -> Option<&'static str> {
        self.kind.challenge().error_code()
    }

    /// A fixed, human-readable description of the error kind: the challenge's `error_description`
    /// (RFC 6750 §3) and the `grpc-message`.
    ///
    /// It never contains anything taken from the request.
    pub fn error_description(&self) -> &'static str {
        self.kind.description()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.description())?;
        match self.kind {
            ErrorKind::Expired { exp, now } => write!(f, " (exp {exp}, now {now})"),
            ErrorKind::NotYetValid { nbf, now } => write!(f, " (nbf {nbf}, now {now})"),
            ErrorKind::IssuedInFuture { iat, now } => write!(f, " (iat {iat}, now {now})"),
            ErrorKind::InsufficientScope => match &self.required_scope {
                Some(scope) => write!(f, " (required: {scope})"),
                None => Ok(()),
            },
            ErrorKind::InsufficientUserAuthentication => match (self.max_age, &self.acr_values) {
                (Some(age), Some(acr)) => write!(f, " (max_age {age}, acr_values {acr})"),
                (Some(age), None) => write!(f, " (max_age {age})"),
                (None, Some(acr)) => write!(f, " (acr_values {acr})"),
                (None, None) => Ok(()),
            },
            _ => Ok(()),
        }
    }
}

impl std::error::Error for Error {}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Self::new(kind)
    }
}

/// The kind of an [`Error`].
///
/// The variants are grouped by the answer they produce:
/// - no credentials: `401` with a bare `Bearer` challenge;
/// - malformed request: `400`, `error="invalid_request"`;
/// - token failures: `401`, `error="invalid_token"`;
/// - authenticated but not allowed: `403`, `error="insufficient_scope"`;
/// - authenticated, but the sign-in is too old or too weak: `401`,
///   `error="insufficient_user_authentication"` (RFC 9470);
/// - no usable keys, or keys (or a shared deny-list) staler than the configured maximum: `503`
///   with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No `Authorization` header, or one with another scheme (such as `Basic`), and no token
    /// cookie when the layer reads one.
    MissingCredentials,
    /// The `Authorization` header is malformed (see [`RequestError`]).
    InvalidRequest(RequestError),
    /// The token is longer than the configured cap; it was not decoded.
    TokenTooLarge,
    /// The token is not a compact JWS: three canonical base64url segments.
    Malformed,
    /// The JOSE header is not a JSON object, or has duplicate members.
    InvalidHeader,
    /// The header's `alg` is not `RS256` (including `none`, HMAC, other RSA or EC algorithms); for
    /// a token forwarded by an ALB (`alb` feature), not `ES256`.
    UnsupportedAlgorithm,
    /// The header has no usable `kid` (for a token forwarded by an ALB: no `kid` shaped as a UUID).
    MissingKeyId,
    /// The header carries a non-empty `crit`.
    CriticalHeader,
    /// The header's `typ` is present and is not `JWT`.
    InvalidType,
    /// No key of the pool's key set has the token's `kid` (a refetch was requested).
    UnknownKeyId,
    /// The signature does not verify under the key named by `kid`.
    InvalidSignature,
    /// The payload is not a JSON object, has duplicate members, or a claim has the wrong type.
    InvalidClaims,
    /// `iss` is missing or is not the pool's issuer.
    InvalidIssuer,
    /// A token forwarded by an ALB (`alb` feature) names no `signer`, or one that is not a
    /// configured load balancer ARN.
    InvalidSigner,
    /// `token_use` is missing or is not `access` or `id`.
    InvalidTokenUse,
    /// `token_use` is valid but this layer does not accept that kind of token.
    TokenUseNotAccepted,
    /// The token's app client (`client_id` of an access token, `aud` of an ID token) is missing or
    /// not allowed.
    InvalidClient,
    /// `exp` is missing.
    MissingExpiry,
    /// The token expired: `now > exp + leeway`.
    Expired {
        /// The token's `exp` (seconds since the Unix epoch).
        exp: u64,
        /// The verifier's clock.
        now: u64,
    },
    /// `nbf` is later than `now + leeway`.
    NotYetValid {
        /// The token's `nbf`.
        nbf: u64,
        /// The verifier's clock.
        now: u64,
    },
    /// `iat` is later than `now + leeway`.
    IssuedInFuture {
        /// The token's `iat`.
        iat: u64,
        /// The verifier's clock.
        now: u64,
    },
    /// The application's own claims type could not be deserialized from the verified payload.
    CustomClaims,
    /// No usable key set yet: the first JWKS fetch has not succeeded.
    KeysUnavailable,
    /// The key set could not be refreshed for longer than the configured maximum key age.
    KeysStale,
    /// A token forwarded by an ALB (`alb` feature) was verified, but the plain
    /// `x-amzn-oidc-identity` header, or the `sub` of the forwarded access token, names another
    /// user.
    IdentityMismatch,
    /// The token's `origin_jti` or `jti` is on the layer's [`DenyList`](crate::deny::DenyList): its
    /// session was signed out or its refresh token revoked (`401 invalid_token`).
    Revoked,
    /// The shared deny-list has not been in sync for longer than its configured maximum
    /// staleness, so revocations may be missing (`503`, like stale keys).
    RevocationsStale,
    /// The token passed every rule; the application's own check refused it (`401`).
    Unauthorized {
        /// The check's fixed description.
        description: &'static str,
    },
    /// The token is valid but lacks a required scope (`403 insufficient_scope`; the required
    /// scopes are in [`Error::required_scope`]).
    InsufficientScope,
    /// The token is valid but its user is not in a required group (`cognito:groups`; `403
    /// insufficient_scope`).
    MissingGroup,
    /// The token is valid; the application's own check forbids this (`403`).
    Forbidden {
        /// The check's fixed description.
        description: &'static str,
    },
    /// The token is valid but of another user pool than a guard bound to a pool requires
    /// ([`Require::pool`](crate::Require::pool), [`Require::in_pool`](crate::Require::in_pool);
    /// `403 insufficient_scope`).
    OtherPool,
    /// The token is valid but its sign-in is too old (`auth_time`, or none), its level (`acr`) is
    /// not one the resource accepts, or it lacks a required method (`amr`): a step-up guard
    /// refused it (`401 insufficient_user_authentication`, RFC 9470; what the resource needs is
    /// in [`Error::max_age`] and [`Error::acr_values`]).
    InsufficientUserAuthentication,
}

/// How the `Authorization` header was malformed (answered with `400 invalid_request`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// More than one `Authorization` header.
    MultipleHeaders,
    /// `Bearer` with no token after it.
    EmptyToken,
    /// More than one token after `Bearer`.
    MultipleTokens,
    /// Bytes outside the RFC 6750 `b64token` grammar, control characters or non-ASCII; or an
    /// `Authorization` value that is neither `Bearer` credentials nor another scheme (an empty
    /// value, `Bearer` glued to its token or followed by a tab: `Bearer<token>` is no scheme of
    /// its own).
    InvalidCharacters,
    /// A bearer token in the `Authorization` header and in the token cookie at once (a layer
    /// with [`token_cookie`](crate::CognitoConfigBuilder::token_cookie)).
    HeaderAndCookie,
    /// The token cookie more than once.
    MultipleCookies,
    /// More than one `x-amzn-oidc-data` header (`alb` feature), or of
    /// `x-amzn-oidc-accesstoken` when the ALB layer verifies it too.
    MultipleAlbHeaders,
}

/// The `WWW-Authenticate` challenge family of an error kind (RFC 6750 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Challenge {
    None,
    InvalidRequest,
    InvalidToken,
    InsufficientScope,
    /// RFC 9470's step-up challenge.
    InsufficientUserAuthentication,
    Unavailable,
}

/// Everything the crate says about one error kind: its stable name (the `kind` label of the
/// metrics), its challenge family (which gives the HTTP status, the RFC 6750 `error` code and the
/// gRPC status, [`Challenge`]) and its fixed description (the `error_description`, the only text a
/// response carries about it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts {
    pub(crate) name: &'static str,
    pub(crate) challenge: Challenge,
    pub(crate) description: &'static str,
}

const fn facts(name: &'static str, challenge: Challenge, description: &'static str) -> Facts {
    Facts {
        name,
        challenge,
        description,
    }
}

impl ErrorKind {
    /// The one table of every kind's facts.
    pub(crate) const fn facts(&self) -> Facts {
        use Challenge::{InsufficientScope as Scope, InvalidRequest as Request};
        use Challenge::{InsufficientUserAuthentication as StepUp, InvalidToken as Token};
        use Challenge::{None as Bare, Unavailable};
        use RequestError as R;
        match self {
            Self::MissingCredentials => facts("missing_credentials", Bare, "no bearer token"),
            Self::InvalidRequest(R::MultipleHeaders) => facts(
                "invalid_request",
                Request,
                "more than one Authorization header",
            ),
            Self::InvalidRequest(R::EmptyToken) => {
                facts("invalid_request", Request, "empty bearer token")
            }
            Self::InvalidRequest(R::MultipleTokens) => {
                facts("invalid_request", Request, "more than one bearer token")
            }
            Self::InvalidRequest(R::HeaderAndCookie) => facts(
                "invalid_request",
                Request,
                "a token in both the Authorization header and the cookie",
            ),
            Self::InvalidRequest(R::MultipleCookies) => {
                facts("invalid_request", Request, "more than one token cookie")
            }
            Self::InvalidRequest(R::MultipleAlbHeaders) => facts(
                "invalid_request",
                Request,
                "an x-amzn-oidc header more than once",
            ),
            Self::InvalidRequest(R::InvalidCharacters) => facts(
                "invalid_request",
                Request,
                "invalid characters in the bearer token",
            ),
            Self::TokenTooLarge => facts("token_too_large", Token, "the token is too large"),
            Self::Malformed => facts("malformed", Token, "the token is not a compact JWS"),
            Self::InvalidHeader => facts("invalid_header", Token, "invalid token header"),
            Self::UnsupportedAlgorithm => facts(
                "unsupported_algorithm",
                Token,
                "unsupported signing algorithm",
            ),
            Self::MissingKeyId => facts("missing_key_id", Token, "the token names no key"),
            Self::CriticalHeader => facts("critical_header", Token, "unsupported critical header"),
            Self::InvalidType => facts("invalid_type", Token, "unsupported token type"),
            Self::UnknownKeyId => facts("unknown_key_id", Token, "unknown signing key"),
            Self::InvalidSignature => facts("invalid_signature", Token, "invalid signature"),
            Self::InvalidClaims => facts("invalid_claims", Token, "invalid claims"),
            Self::InvalidIssuer => facts("invalid_issuer", Token, "invalid issuer"),
            Self::InvalidSigner => facts("invalid_signer", Token, "load balancer not allowed"),
            Self::IdentityMismatch => facts(
                "identity_mismatch",
                Token,
                "the forwarded identities do not match",
            ),
            Self::InvalidTokenUse => facts("invalid_token_use", Token, "invalid token use"),
            Self::TokenUseNotAccepted => {
                facts("token_use_not_accepted", Token, "token use not accepted")
            }
            Self::InvalidClient => facts("invalid_client", Token, "app client not allowed"),
            Self::MissingExpiry => facts("missing_expiry", Token, "the token has no expiry"),
            Self::Expired { .. } => facts("expired", Token, "the token expired"),
            Self::NotYetValid { .. } => facts("not_yet_valid", Token, "the token is not valid yet"),
            Self::IssuedInFuture { .. } => facts(
                "issued_in_future",
                Token,
                "the token was issued in the future",
            ),
            Self::CustomClaims => facts("custom_claims", Token, "invalid application claims"),
            Self::KeysUnavailable => facts(
                "keys_unavailable",
                Unavailable,
                "signing keys are not available",
            ),
            Self::KeysStale => facts("keys_stale", Unavailable, "signing keys are stale"),
            Self::Revoked => facts("revoked", Token, "the token was revoked"),
            Self::RevocationsStale => facts(
                "revocations_stale",
                Unavailable,
                "the revocation list is not in sync",
            ),
            Self::Unauthorized { description } => facts("unauthorized", Token, description),
            Self::InsufficientScope => facts("insufficient_scope", Scope, "insufficient scope"),
            Self::Forbidden { description } => facts("forbidden", Scope, description),
            Self::MissingGroup => facts("missing_group", Scope, "not in a required group"),
            Self::OtherPool => facts("other_pool", Scope, "the token is of another user pool"),
            Self::InsufficientUserAuthentication => facts(
                "insufficient_user_authentication",
                StepUp,
                "a more recent or stronger sign-in is required",
            ),
        }
    }

    /// The challenge family of the kind ([`facts`](Self::facts)).
    pub(crate) const fn challenge(&self) -> Challenge {
        self.facts().challenge
    }

    /// The fixed description ([`facts`](Self::facts)); the only text a response may carry about
    /// the error.
    pub(crate) const fn description(&self) -> &'static str {
        self.facts().description
    }

    /// A stable snake-case name of the kind (`"expired"`, `"revoked"`, `"invalid_request"` for
    /// every [`RequestError`]): the `kind` label of the exported metrics, and a safe field for
    /// logs (nothing from the request).
    pub const fn name(&self) -> &'static str {
        self.facts().name
    }
}

impl Challenge {
    /// The HTTP status of the family (RFC 6750 §3.1).
    pub(crate) const fn status(self) -> StatusCode {
        match self {
            Self::None | Self::InvalidToken | Self::InsufficientUserAuthentication => {
                StatusCode::UNAUTHORIZED
            }
            Self::InvalidRequest => StatusCode::BAD_REQUEST,
            Self::InsufficientScope => StatusCode::FORBIDDEN,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The RFC 6750 `error` code of the challenge, if the answer carries one.
    pub(crate) const fn error_code(self) -> Option<&'static str> {
        match self {
            Self::None | Self::Unavailable => None,
            Self::InvalidRequest => Some("invalid_request"),
            Self::InvalidToken => Some("invalid_token"),
            Self::InsufficientScope => Some("insufficient_scope"),
            Self::InsufficientUserAuthentication => Some("insufficient_user_authentication"),
        }
    }

    /// The gRPC status code (`grpc-status`): every credential failure is UNAUTHENTICATED (16),
    /// a refused authorization PERMISSION_DENIED (7), no usable keys UNAVAILABLE (14). A step-up
    /// refusal is UNAUTHENTICATED: a new sign-in is the cure, as for a bad token.
    pub(crate) const fn grpc_status(self) -> &'static str {
        match self {
            Self::None
            | Self::InvalidRequest
            | Self::InvalidToken
            | Self::InsufficientUserAuthentication => "16",
            Self::InsufficientScope => "7",
            Self::Unavailable => "14",
        }
    }
}

/// Why a configuration was refused (raised when the layer is built, never per request).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The user pool id does not match `[\w-]+_[0-9a-zA-Z]+` (ASCII, at most 55 characters).
    #[error("invalid user pool id {0:?}: expected REGION_ID, e.g. us-east-1_AbC123xyz")]
    InvalidUserPoolId(String),
    /// The region is empty or has characters other than ASCII letters, digits and `-`.
    #[error("invalid region {0:?}")]
    InvalidRegion(String),
    /// The issuer domain is empty or not a plain host name.
    #[error("invalid issuer domain {0:?}")]
    InvalidIssuerDomain(String),
    /// No app client id was given and `allow_any_client` was not chosen.
    #[error("no app client id: call client_id(..) or, deliberately, allow_any_client()")]
    MissingClientId,
    /// An app client id is empty or has characters outside ASCII letters and digits.
    #[error("invalid app client id {0:?}")]
    InvalidClientId(String),
    /// The accepted token use (access, id or any) was not chosen.
    #[error("the accepted token use was not chosen: call token_use(..)")]
    MissingTokenUse,
    /// The JWKS URL is not a valid URL, is not https, or is plain http to a non-loopback host.
    #[error("invalid JWKS URL {url:?}: {reason}")]
    InvalidJwksUrl {
        /// The URL as given.
        url: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A duration or size is out of its allowed range.
    #[error("{name} is out of range: {reason}")]
    OutOfRange {
        /// The setting's name.
        name: &'static str,
        /// The allowed range.
        reason: &'static str,
    },
    /// The realm has characters that cannot appear in a quoted `WWW-Authenticate` parameter.
    #[error("invalid realm {0:?}: use printable ASCII without '\"' or '\\'")]
    InvalidRealm(String),
    /// The token cookie's name is not an RFC 6265 cookie name (letters, digits and
    /// ``!#$%&'*+-.^_`|~``, not empty).
    #[error("invalid token cookie name {0:?}")]
    InvalidCookieName(String),
    /// The same user pool (the same issuer) was configured twice.
    #[error("the user pool {0:?} is configured twice")]
    DuplicatePool(String),
}

/// Why a [`Require`](crate::Require) could not be made: raised by its constructors, when the
/// guard is built, never per request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GuardError {
    /// No scope, group, `acr` value or `amr` method was given: a guard must require something.
    #[error("a guard needs at least one scope, group, acr value or amr method")]
    Empty,
    /// A scope is empty or has characters outside the RFC 6750 `scope-token` grammar
    /// (printable ASCII without space, `"` and `\`).
    #[error("invalid scope {0:?}: use printable ASCII without space, '\"' or '\\'")]
    InvalidScope(String),
    /// A group name is empty or has control characters.
    #[error("invalid group name {0:?}: it is empty or has control characters")]
    InvalidGroup(String),
    /// A user pool id does not match `[\w-]+_[0-9a-zA-Z]+` (ASCII, at most 55 characters).
    #[error("invalid user pool id {0:?}: expected REGION_ID, e.g. us-east-1_AbC123xyz")]
    InvalidUserPoolId(String),
    /// An `acr` value is empty or has characters a quoted `acr_values` parameter cannot carry
    /// (printable ASCII without space, `"` and `\`, as Cognito's own `AcrValue`).
    #[error("invalid acr value {0:?}: use printable ASCII without space, '\"' or '\\'")]
    InvalidAcr(String),
    /// The minimum level of [`Require::acr_at_least`](crate::Require::acr_at_least) is not one
    /// of the levels it orders.
    #[error("the minimum acr level {0:?} is not one of the ordered levels")]
    UnknownAcrLevel(String),
    /// An `amr` method is empty or has characters outside printable ASCII without space.
    #[error("invalid amr method {0:?}: use printable ASCII without space, '\"' or '\\'")]
    InvalidAmr(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_mapping() {
        let cases = [
            (ErrorKind::MissingCredentials, 401, None),
            (
                ErrorKind::InvalidRequest(RequestError::EmptyToken),
                400,
                Some("invalid_request"),
            ),
            (ErrorKind::InvalidSignature, 401, Some("invalid_token")),
            (
                ErrorKind::Expired { exp: 1, now: 2 },
                401,
                Some("invalid_token"),
            ),
            (ErrorKind::KeysUnavailable, 503, None),
            (ErrorKind::KeysStale, 503, None),
            (ErrorKind::Revoked, 401, Some("invalid_token")),
            (ErrorKind::InvalidSigner, 401, Some("invalid_token")),
            (ErrorKind::IdentityMismatch, 401, Some("invalid_token")),
            (
                ErrorKind::InvalidRequest(RequestError::MultipleAlbHeaders),
                400,
                Some("invalid_request"),
            ),
            (ErrorKind::RevocationsStale, 503, None),
            (
                ErrorKind::InsufficientScope,
                403,
                Some("insufficient_scope"),
            ),
            (ErrorKind::MissingGroup, 403, Some("insufficient_scope")),
            (ErrorKind::OtherPool, 403, Some("insufficient_scope")),
            (
                ErrorKind::InsufficientUserAuthentication,
                401,
                Some("insufficient_user_authentication"),
            ),
            (
                ErrorKind::Forbidden { description: "x" },
                403,
                Some("insufficient_scope"),
            ),
            (
                ErrorKind::Unauthorized { description: "x" },
                401,
                Some("invalid_token"),
            ),
        ];
        for (kind, status, code) in cases {
            let e = Error::new(kind);
            assert_eq!(e.status().as_u16(), status, "{e:?}");
            assert_eq!(e.error_code(), code, "{e:?}");
        }
    }

    #[test]
    fn descriptions_are_header_safe() {
        let all = [
            ErrorKind::MissingCredentials,
            ErrorKind::InvalidRequest(RequestError::MultipleHeaders),
            ErrorKind::InvalidRequest(RequestError::EmptyToken),
            ErrorKind::InvalidRequest(RequestError::MultipleTokens),
            ErrorKind::InvalidRequest(RequestError::InvalidCharacters),
            ErrorKind::InvalidRequest(RequestError::HeaderAndCookie),
            ErrorKind::InvalidRequest(RequestError::MultipleCookies),
            ErrorKind::InvalidRequest(RequestError::MultipleAlbHeaders),
            ErrorKind::TokenTooLarge,
            ErrorKind::Malformed,
            ErrorKind::InvalidHeader,
            ErrorKind::UnsupportedAlgorithm,
            ErrorKind::MissingKeyId,
            ErrorKind::CriticalHeader,
            ErrorKind::InvalidType,
            ErrorKind::UnknownKeyId,
            ErrorKind::InvalidSignature,
            ErrorKind::InvalidClaims,
            ErrorKind::InvalidIssuer,
            ErrorKind::InvalidSigner,
            ErrorKind::IdentityMismatch,
            ErrorKind::InvalidTokenUse,
            ErrorKind::TokenUseNotAccepted,
            ErrorKind::InvalidClient,
            ErrorKind::MissingExpiry,
            ErrorKind::Expired { exp: 0, now: 0 },
            ErrorKind::NotYetValid { nbf: 0, now: 0 },
            ErrorKind::IssuedInFuture { iat: 0, now: 0 },
            ErrorKind::CustomClaims,
            ErrorKind::KeysUnavailable,
            ErrorKind::KeysStale,
            ErrorKind::Revoked,
            ErrorKind::RevocationsStale,
            ErrorKind::InsufficientScope,
            ErrorKind::MissingGroup,
            ErrorKind::OtherPool,
            ErrorKind::InsufficientUserAuthentication,
        ];
        for kind in all {
            let d = kind.description();
            assert!(!d.is_empty());
            assert!(
                d.bytes().all(|b| b == 0x20
                    || b == 0x21
                    || (0x23..=0x5b).contains(&b)
                    || (0x5d..=0x7e).contains(&b)),
                "{d}"
            );
        }
    }
}
