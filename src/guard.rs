//! Scope, group and step-up guards: [`Require`] says what a request needs (OAuth scopes of an
//! access token, Cognito groups, any-of or all-of; a recent or strong enough sign-in, see the
//! [step-up guide](crate::guide::step_up)), [`GuardLayer`] checks it on the claims the
//! authentication layer put in the request, and, with the `axum` feature, [`Authorized`] is the
//! same check as an extractor.
//!
//! A guard runs after [`CognitoAuthLayer`](crate::CognitoAuthLayer): a valid token that lacks
//! what it requires is answered `403` with
//! `WWW-Authenticate: Bearer realm="...", error="insufficient_scope", ...` (and
//! `scope="<the required scopes>"` when scopes were missing), never `401`; gRPC calls get
//! `grpc-status` 7 (PERMISSION_DENIED). A sign-in too old or too weak for a step-up requirement is
//! answered `401 insufficient_user_authentication` (RFC 9470; gRPC 16). A request that an
//! [`optional`](crate::CognitoAuthLayer::optional) layer let through without credentials is
//! answered `401` with the bare challenge (gRPC: 16, UNAUTHENTICATED). A guard where no authentication layer ran is a server misconfiguration:
//! `500` (see [`Guard`]).
//!
//! ```
//! # #[cfg(all(feature = "test-util", feature = "axum"))]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use axum::{Router, body::Body, routing::get};
//! use http::{Request, header};
//! use tower::ServiceExt;
//! use tower_cognito::{CognitoAuthLayer, Require, TokenUse};
//! # let issuer = tower_cognito::test_util::LocalIssuer::new()?;
//! # let config = issuer.config().token_use(TokenUse::Access).build()?;
//!
//! let auth = CognitoAuthLayer::builder(config).static_keys(issuer.key_set()).build()?;
//! // The guard inherits the layer's realm and claims type.
//! let readers = auth.guard(Require::scopes_all(["orders/read"])?);
//! let app = Router::new()
//!     .route("/orders", get(|| async { "orders" }).route_layer(readers)) // this route only
//!     .route("/me", get(|| async { "me" }))
//!     .route_layer(auth);
//!
//! let get = |uri: &str, token: &str| {
//!     Request::get(uri).header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty())
//! };
//! let reader = issuer.token().claim("scope", "openid orders/read").build();
//! assert_eq!(app.clone().oneshot(get("/orders", &reader)?).await?.status(), 200);
//!
//! let other = issuer.access_token(); // scope: aws.cognito.signin.user.admin
//! assert_eq!(app.clone().oneshot(get("/me", &other)?).await?.status(), 200);
//! let refused = app.oneshot(get("/orders", &other)?).await?;
//! assert_eq!(refused.status(), 403);
//! assert_eq!(
//!     refused.headers()[header::WWW_AUTHENTICATE],
//!     r#"Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", scope="orders/read""#
//! );
//! # Ok(()) }
//! # #[cfg(not(all(feature = "test-util", feature = "axum")))] fn main() {}
//! ```

mod step_up;

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use self::step_up::StepUp;
use crate::claims::{CognitoClaims, TokenUse};
use crate::clock::{Clock, SystemClock};
pub use crate::error::GuardError;
use crate::error::{ConfigError, Error, ErrorKind};
use crate::extract::claims_in;
use crate::future::ResponseFuture;
use crate::ids::UserPoolId;
use crate::metrics::Counters;
use crate::rejection::{Reject, Rfc6750, grpc_content_type, is_scope_char};

/// Which claim a clause reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Scopes,
    Groups,
    /// The user pool of the token (its verified `iss`).
    Pool,
}

/// Whether one name of a clause is enough, or every one is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Match {
    Any,
    All,
}

/// One requirement: any or all of these scopes, or of these groups.
#[derive(Debug, Clone)]
struct Clause {
    target: Target,
    mode: Match,
    names: Box<[Box<str>]>,
}

impl Clause {
    fn new<I>(target: Target, mode: Match, names: I) -> Result<Self, GuardError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let names = names
            .into_iter()
            .map(|name| {
                let name = name.as_ref();
                let valid = match target {
                    Target::Scopes => is_scope_token(name),
                    Target::Groups => is_group_name(name),
                    // The crate's one rule for a user pool id.
                    Target::Pool => UserPoolId::parse(name).is_ok(),
                };
                match (valid, target) {
                    (true, _) => Ok(Box::from(name)),
                    (false, Target::Scopes) => Err(GuardError::InvalidScope(name.to_owned())),
                    (false, Target::Groups) => Err(GuardError::InvalidGroup(name.to_owned())),
                    (false, Target::Pool) => Err(GuardError::InvalidUserPoolId(name.to_owned())),
                }
            })
            .collect::<Result<Box<[Box<str>]>, _>>()?;
        if names.is_empty() {
            return Err(GuardError::Empty);
        }
        Ok(Self {
            target,
            mode,
            names,
        })
    }

    fn holds<E>(&self, claims: &CognitoClaims<E>) -> bool {
        // OAuth scopes are granted to access tokens only: an ID token's `scope`, should a
        // trigger add one, grants nothing.
        let access = claims.token_use == TokenUse::Access;
        // The pool of the verified `iss` (the layer compared it exactly with a configured pool's
        // issuer): a slice of it, nothing allocated.
        let pool = match self.target {
            Target::Pool => claims.user_pool_id(),
            Target::Scopes | Target::Groups => None,
        };
        let has = |name: &str| match self.target {
            Target::Scopes => access && claims.has_scope(name),
            Target::Groups => claims.in_group(name),
            Target::Pool => pool == Some(name),
        };
        match self.mode {
            Match::Any => self.names.iter().any(|name| has(name)),
            Match::All => self.names.iter().all(|name| has(name)),
        }
    }
}

/// An RFC 6750 `scope-token`: one or more of `%x21 / %x23-5B / %x5D-7E`.
fn is_scope_token(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(is_scope_char)
}

/// Checked `acr` values or `amr` methods (scope-token grammar: what a quoted `acr_values` can
/// carry); `invalid` names the first that is not one.
fn tokens<I>(names: I, invalid: fn(String) -> GuardError) -> Result<Box<[Box<str>]>, GuardError>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    let mut out: Vec<Box<str>> = Vec::new();
    for name in names {
        let name = name.as_ref();
        if !is_scope_token(name) {
            return Err(invalid(name.to_owned()));
        }
        if !out.iter().any(|seen| **seen == *name) {
            out.push(name.into());
        }
    }
    if out.is_empty() {
        return Err(GuardError::Empty);
    }
    Ok(out.into_boxed_slice())
}

/// A group name: not empty, no control character (Cognito's own names are printable).
fn is_group_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(char::is_control)
}

/// What a request must carry: OAuth scopes (the `scope` claim of access tokens) and Cognito groups
/// (`cognito:groups`), any-of or all-of, with several user pools the token's pool
/// ([`in_pool`](Self::in_pool)), and for step-up authentication a recent or strong enough sign-in
/// ([`max_age`](Self::max_age), [`acr_any`](Self::acr_any), [`acr_at_least`](Self::acr_at_least),
/// [`amr_all`](Self::amr_all); see the [step-up guide](crate::guide::step_up));
/// [`and`](Self::and) combines requirements.
///
/// Scopes are matched token by token on the space-delimited `scope` claim, exactly and
/// case-sensitively ([`CognitoClaims::has_scope`]): `orders/read` is not granted by
/// `orders/read-all`, `Orders/Read` or a claim `"orders/read\tx"` (a tab is not a separator).
/// Groups are matched exactly ([`CognitoClaims::in_group`]). Scopes are granted to access tokens
/// only: a scope requirement refuses ID tokens (`403`), even one whose payload has a `scope`
/// member. Names are checked when the requirement is made, never per request.
///
/// ```
/// use tower_cognito::{CognitoClaims, ErrorKind, Require};
///
/// let require = Require::scopes_any(["orders/read", "orders/admin"])?
///     .and(Require::groups_all(["staff"])?);
/// let claims: CognitoClaims = serde_json::from_value(serde_json::json!({
///     "sub": "s", "iss": "i", "token_use": "access", "exp": 1,
///     "scope": "openid orders/read", "cognito:groups": ["staff"],
/// }))?;
/// assert!(require.evaluate(&claims).is_ok());
///
/// let error = Require::scopes_all(["orders/write"])?.evaluate(&claims).unwrap_err();
/// assert_eq!(error.kind(), ErrorKind::InsufficientScope);
/// assert_eq!(error.required_scope(), Some("orders/write"));
/// assert_eq!(Require::groups_any(["admins"])?.evaluate(&claims).unwrap_err().kind(), ErrorKind::MissingGroup);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Require {
    clauses: Box<[Clause]>,
    /// The answer when a scope clause fails: every required scope, made once.
    scope_error: Error,
    /// What the sign-in must be (`auth_time`, `acr`, `amr`), checked after every clause.
    step_up: StepUp,
}

impl Require {
    fn from_clauses(clauses: Box<[Clause]>, step_up: StepUp) -> Self {
        let mut scopes: Vec<&str> = Vec::new();
        for clause in clauses.iter().filter(|c| c.target == Target::Scopes) {
            for name in clause.names.iter() {
                if !scopes.contains(&&**name) {
                    scopes.push(name);
                }
            }
        }
        let scope_error = Error::insufficient_scope(scopes.join(" "));
        Self {
            clauses,
            scope_error,
            step_up,
        }
    }

    fn step_up(step_up: StepUp) -> Self {
        Self::from_clauses(Box::new([]), step_up)
    }

    fn one<I>(target: Target, mode: Match, names: I) -> Result<Self, GuardError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        Clause::new(target, mode, names)
            .map(|clause| Self::from_clauses(Box::new([clause]), StepUp::default()))
    }

    /// At least one of these OAuth scopes.
    ///
    /// # Errors
    /// [`GuardError::Empty`] with no scope, [`GuardError::InvalidScope`] for a scope that is not
    /// an RFC 6750 `scope-token` (empty, or a space, `"`, `\` or a byte outside printable ASCII).
    pub fn scopes_any<I>(scopes: I) -> Result<Self, GuardError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        Self::one(Target::Scopes, Match::Any, scopes)
    }

    /// Every one of these OAuth scopes.
    ///
    /// # Errors
    /// As [`scopes_any`](Self::scopes_any).
    pub fn scopes_all<I>(scopes: I) -> Result<Self, GuardError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        Self::one(Target::Scopes, Match::All, scopes)
    }

    /// Membership of at least one of these groups (`cognito:groups`).
    ///
    /// # Errors
    /// [`GuardError::Empty`] with no group, [`GuardError::InvalidGroup`] for an empty name or one
    /// with a control character.
    pub fn groups_any<I>(groups: I) -> Result<Self, GuardError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        Self::one(Target::Groups, Match::Any, groups)
    }

    /// Membership of every one of these groups.
    ///
    /// # Errors
    /// As [`groups_any`](Self::groups_any).
    pub fn groups_all<I>(groups: I) -> Result<Self, GuardError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        Self::one(Target::Groups, Match::All, groups)
    }

    /// Tokens of the user pool `user_pool_id` only (any of its users): the pool of the token's
    /// verified `iss` ([`CognitoClaims::user_pool_id`]). A token of another pool the layer accepts
    /// is refused with `403 insufficient_scope` ([`ErrorKind::OtherPool`]): it authenticates its
    /// user, who may not use this resource, as for a missing group (a new token of the same pool
    /// would not help, so not `401`). See [`in_pool`](Self::in_pool).
    ///
    /// # Errors
    /// [`GuardError::InvalidUserPoolId`] for an id that is not `REGION_ID` (the rule of
    /// [`CognitoConfig::builder`](crate::CognitoConfig::builder)).
    pub fn pool(user_pool_id: &str) -> Result<Self, GuardError> {
        Self::one(Target::Pool, Match::Any, [user_pool_id])
    }

    /// This requirement, for tokens of the user pool `user_pool_id` only: the pool is checked
    /// first, then `self` ([`Require::pool`]`(user_pool_id)?.and(self)`).
    ///
    /// With a layer of several pools ([`and_pool`](crate::CognitoConfigBuilder::and_pool)), bind
    /// group guards to their pool: the group names of every pool are alike to a guard, so an
    /// unbound `groups_any(["admins"])` admits the `admins` of every configured pool, another
    /// tenant's included.
    ///
    /// ```
    /// use tower_cognito::{CognitoClaims, ErrorKind, Require};
    ///
    /// let admins_of_a = Require::groups_any(["admins"])?.in_pool("eu-west-1_TenantA1")?;
    /// let admin_of = |pool: &str| -> CognitoClaims {
    ///     serde_json::from_value(serde_json::json!({
    ///         "sub": "s", "token_use": "access", "exp": 1, "cognito:groups": ["admins"],
    ///         "iss": format!("https://cognito-idp.eu-west-1.amazonaws.com/{pool}"),
    ///     })).unwrap()
    /// };
    /// assert!(admins_of_a.evaluate(&admin_of("eu-west-1_TenantA1")).is_ok());
    /// let refused = admins_of_a.evaluate(&admin_of("eu-west-1_TenantB2")).unwrap_err();
    /// assert_eq!((refused.kind(), refused.status().as_u16()), (ErrorKind::OtherPool, 403));
    /// // Unbound: the admins of every pool.
    /// assert!(Require::groups_any(["admins"])?.evaluate(&admin_of("eu-west-1_TenantB2")).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`pool`](Self::pool).
    pub fn in_pool(self, user_pool_id: &str) -> Result<Self, GuardError> {
        Ok(Self::pool(user_pool_id)?.and(self))
    }

    /// A sign-in at most `max_age` ago (whole seconds): `now - auth_time <= max_age + leeway`,
    /// with the clock and leeway of the layer in front ([`CognitoAuthLayer::guard`]) or, for
    /// [`evaluate`](Self::evaluate) and [`GuardLayer::new`], the system clock and the default
    /// leeway. Refused with `401 insufficient_user_authentication` and `max_age="<seconds>"`
    /// (RFC 9470) when older, and when the token has no `auth_time` (fail closed: Cognito's
    /// user tokens carry one; client-credentials tokens do not). An `auth_time` later than
    /// `now + leeway` makes the token invalid (`401 invalid_token`, [`ErrorKind::InvalidClaims`]).
    ///
    /// [`CognitoAuthLayer::guard`]: crate::CognitoAuthLayer::guard
    pub fn max_age(max_age: Duration) -> Self {
        Self::step_up(StepUp::max_age(max_age.as_secs()))
    }

    /// A sign-in at one of these authentication levels (`acr`, exact strings, in order of
    /// preference: the challenge's `acr_values`). A token without `acr`, or with another value,
    /// is refused with `401 insufficient_user_authentication` and `acr_values="<values>"`.
    ///
    /// # Errors
    /// [`GuardError::Empty`] with no value, [`GuardError::InvalidAcr`] for one that is empty or
    /// has a space, `"`, `\` or a byte outside printable ASCII (Cognito's `AcrValue` grammar).
    pub fn acr_any<I>(values: I) -> Result<Self, GuardError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        Ok(Self::step_up(StepUp::acr(tokens(
            values,
            GuardError::InvalidAcr,
        )?)))
    }

    /// A sign-in at level `minimum` or above, in the order of `levels` (weakest first, exact
    /// strings: a pool may rename its levels, so they are compared by this order, never parsed).
    /// A value not in `levels`, or none, ranks lowest. The same as [`acr_any`](Self::acr_any)
    /// with the levels from `minimum` up, which the challenge's `acr_values` lists weakest first.
    ///
    /// ```
    /// use tower_cognito::Require;
    ///
    /// let levels = ["urn:cognito:loa:1", "urn:cognito:loa:2", "urn:cognito:loa:3"];
    /// let strong = Require::acr_at_least(levels, "urn:cognito:loa:2")?;
    /// let level = |acr: &str| -> tower_cognito::CognitoClaims {
    ///     serde_json::from_value(serde_json::json!({
    ///         "sub": "s", "iss": "i", "token_use": "id", "exp": 1, "acr": acr,
    ///     })).unwrap()
    /// };
    /// assert!(strong.evaluate(&level("urn:cognito:loa:3")).is_ok());
    /// let refused = strong.evaluate(&level("urn:cognito:loa:1")).unwrap_err();
    /// assert_eq!(refused.acr_values(), Some("urn:cognito:loa:2 urn:cognito:loa:3"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`acr_any`](Self::acr_any), and [`GuardError::UnknownAcrLevel`] when `minimum` is not
    /// one of `levels`.
    pub fn acr_at_least<I>(levels: I, minimum: &str) -> Result<Self, GuardError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let levels = tokens(levels, GuardError::InvalidAcr)?;
        let from = levels
            .iter()
            .position(|level| **level == *minimum)
            .ok_or_else(|| GuardError::UnknownAcrLevel(minimum.to_owned()))?;
        let accepted = levels.get(from..).unwrap_or_default();
        Ok(Self::step_up(StepUp::acr(accepted.into())))
    }

    /// A sign-in that used every one of these methods (`amr`, exact strings, such as `mfa`). A
    /// token without `amr`, or without one of them, is refused with `401
    /// insufficient_user_authentication` (with `acr_values` when the requirement also names
    /// levels: a sign-in at such a level is how a client gets the method).
    ///
    /// # Errors
    /// [`GuardError::Empty`] with no method, [`GuardError::InvalidAmr`] for one that is empty or
    /// has a space, `"`, `\` or a byte outside printable ASCII.
    pub fn amr_all<I>(methods: I) -> Result<Self, GuardError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        Ok(Self::step_up(StepUp::amr(tokens(
            methods,
            GuardError::InvalidAmr,
        )?)))
    }

    /// Both requirements: `self`, then `other` (checked in that order; the first that fails
    /// decides the answer). Step-up requirements are checked after every scope, group and pool
    /// requirement (a new sign-in grants none of those), and merge: the shortest `max_age`, the
    /// `acr` values both accept, every `amr` method.
    pub fn and(self, other: Require) -> Self {
        let step_up = self.step_up.and(&other.step_up);
        let clauses = self.clauses.into_iter().chain(other.clauses).collect();
        Self::from_clauses(clauses, step_up)
    }

    /// Whether `claims` meet the requirement, with the system clock and the default leeway for
    /// [`max_age`](Self::max_age) (a guard made by
    /// [`CognitoAuthLayer::guard`](crate::CognitoAuthLayer::guard) uses the layer's;
    /// [`evaluate_at`](Self::evaluate_at) takes them).
    ///
    /// # Errors
    /// [`Error::insufficient_scope`] with every scope this requirement names
    /// ([`Error::required_scope`]) when a scope is missing; [`Error::missing_group`] when a group
    /// is; [`ErrorKind::OtherPool`] for a token of another user pool.
    /// All answer `403 insufficient_scope`. Then, when the sign-in is too old or too weak,
    /// [`ErrorKind::InsufficientUserAuthentication`] (`401`) with what is required
    /// ([`Error::max_age`], [`Error::acr_values`]); an `auth_time` in the future,
    /// [`ErrorKind::InvalidClaims`]. No allocation either way.
    pub fn evaluate<E>(&self, claims: &CognitoClaims<E>) -> Result<(), Error> {
        self.evaluate_with(
            claims,
            &SystemClock,
            crate::CognitoConfig::DEFAULT_LEEWAY.as_secs(),
        )
    }

    /// [`evaluate`](Self::evaluate) at `now` (seconds since the Unix epoch) with this `leeway`.
    ///
    /// # Errors
    /// As [`evaluate`](Self::evaluate).
    pub fn evaluate_at<E>(
        &self,
        claims: &CognitoClaims<E>,
        now: u64,
        leeway: Duration,
    ) -> Result<(), Error> {
        self.check(claims, || now, leeway.as_secs())
    }

    /// [`evaluate`](Self::evaluate) with the time of `clock`, read only when an age is required.
    fn evaluate_with<E>(
        &self,
        claims: &CognitoClaims<E>,
        clock: &dyn Clock,
        leeway: u64,
    ) -> Result<(), Error> {
        self.check(claims, || clock.now(), leeway)
    }

    fn check<E>(
        &self,
        claims: &CognitoClaims<E>,
        now: impl FnOnce() -> u64,
        leeway: u64,
    ) -> Result<(), Error> {
        match self.clauses.iter().find(|clause| !clause.holds(claims)) {
            None if self.step_up.is_empty() => Ok(()),
            None => self.step_up.check(claims, now, leeway),
            Some(Clause {
                target: Target::Scopes,
                ..
            }) => Err(self.scope_error.clone()),
            Some(Clause {
                target: Target::Groups,
                ..
            }) => Err(Error::missing_group()),
            Some(Clause {
                target: Target::Pool,
                ..
            }) => Err(Error::new(ErrorKind::OtherPool)),
        }
    }

    /// The scopes this requirement names, space-delimited (the `scope` parameter of its
    /// challenge); `None` when it names groups only.
    pub fn scopes(&self) -> Option<&str> {
        self.scope_error.required_scope()
    }

    /// The maximum age of the sign-in this requirement allows, in whole seconds
    /// ([`max_age`](Self::max_age), the strictest of those combined); `None` without one.
    pub fn required_max_age(&self) -> Option<u64> {
        self.step_up.max_age_secs()
    }

    /// The `acr` values this requirement accepts, in order of preference
    /// ([`acr_any`](Self::acr_any), [`acr_at_least`](Self::acr_at_least)); `None` without a
    /// level requirement.
    pub fn acr_values(&self) -> Option<impl Iterator<Item = &str>> {
        self.step_up
            .acr_values()
            .map(|values| values.iter().map(|value| &**value))
    }
}

/// A tower layer that checks a [`Require`] on the claims of each request, behind
/// [`CognitoAuthLayer`](crate::CognitoAuthLayer): stack it on one axum route (`route_layer`), on
/// one tonic service
/// (`named_layer`), or on everything.
///
/// [`CognitoAuthLayer::guard`](crate::CognitoAuthLayer::guard) makes one with the layer's realm
/// and claims type `E`;
/// [`GuardLayer::new`] one with the default realm (`api`) for `Claims` (`E = ()`). `R` answers
/// refused requests ([`Rfc6750`] by default; [`reject_with`](Self::reject_with)), as the
/// authentication layer's does.
///
/// With hyper or any tower stack, authentication goes first (outermost):
///
/// ```
/// # #[cfg(feature = "test-util")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use http::{Request, Response, header};
/// use tower::{ServiceBuilder, ServiceExt};
/// use tower_cognito::{CognitoAuthLayer, Require, TokenUse, guard::GuardLayer};
/// # let issuer = tower_cognito::test_util::LocalIssuer::new()?;
/// # let config = issuer.config().token_use(TokenUse::Access).build()?;
///
/// let auth = CognitoAuthLayer::builder(config).static_keys(issuer.key_set()).build()?;
/// let svc = ServiceBuilder::new()
///     .layer(auth)
///     .layer(GuardLayer::new(Require::groups_any(["admins", "operators"])?))
///     .service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) });
///
/// let token = issuer.access_token(); // cognito:groups: ["users"]
/// let request = Request::get("/").header(header::AUTHORIZATION, format!("Bearer {token}")).body(())?;
/// let response = svc.oneshot(request).await?;
/// assert_eq!(response.status(), 403);
/// assert_eq!(
///     response.headers()[header::WWW_AUTHENTICATE],
///     r#"Bearer realm="api", error="insufficient_scope", error_description="not in a required group""#
/// );
/// # Ok(()) }
/// # #[cfg(not(feature = "test-util"))] fn main() {}
/// ```
#[must_use = "a layer does nothing until it wraps a service"]
pub struct GuardLayer<E = (), R = Rfc6750> {
    require: Arc<Require>,
    front: Arc<Front>,
    reject: R,
    claims: PhantomData<fn() -> E>,
}

/// What a guard takes from the authentication layer in front of it: the clock and leeway of
/// [`Require::max_age`] (the layer's own, so a guard and its layer agree on "now"; read only on a
/// route that requires an age), and the counters its refusals are counted in.
pub(crate) struct Front {
    clock: Arc<dyn Clock>,
    leeway: u64,
    counters: Option<Arc<Counters>>,
}

impl Front {
    /// The layer's clock, leeway (seconds) and counters.
    pub(crate) fn new(clock: Arc<dyn Clock>, leeway: u64, counters: Arc<Counters>) -> Self {
        Self {
            clock,
            leeway,
            counters: Some(counters),
        }
    }

    /// No layer known: the system clock, the default leeway, no counters.
    fn unbound() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            leeway: crate::CognitoConfig::DEFAULT_LEEWAY.as_secs(),
            counters: None,
        }
    }
}

impl GuardLayer {
    /// A guard for `require`, answering with [`Rfc6750`] in the default realm (`api`), reading
    /// [`Claims`](crate::Claims) (`E = ()`; [`extra_claims`](Self::extra_claims) for a layer with
    /// [`extra_claims`](crate::CognitoAuthLayer::extra_claims)). Its [`Require::max_age`] reads the
    /// system clock with the default leeway, and its refusals are not in any layer's counters:
    /// [`CognitoAuthLayer::guard`](crate::CognitoAuthLayer::guard) makes a guard bound to a layer.
    pub fn new(require: Require) -> Self {
        Self {
            require: Arc::new(require),
            front: Arc::new(Front::unbound()),
            reject: Rfc6750::checked(crate::CognitoConfig::DEFAULT_REALM),
            claims: PhantomData,
        }
    }
}

impl<E, R> GuardLayer<E, R> {
    /// A guard for `require` answering with `reject`, reading `Claims<E>` (the one
    /// [`CognitoAuthLayer::guard`](crate::CognitoAuthLayer::guard) makes).
    pub(crate) fn with_rejection(require: Require, front: Front, reject: R) -> Self {
        Self {
            require: Arc::new(require),
            front: Arc::new(front),
            reject,
            claims: PhantomData,
        }
    }

    /// Reads [`Claims<F>`](crate::Claims): for an authentication layer made with
    /// [`extra_claims::<F>()`](crate::CognitoAuthLayer::extra_claims) (its claims are only there as
    /// `Claims<F>`).
    pub fn extra_claims<F>(self) -> GuardLayer<F, R> {
        GuardLayer {
            require: self.require,
            front: self.front,
            reject: self.reject,
            claims: PhantomData,
        }
    }

    /// Answers with [`Rfc6750`] in `realm`.
    ///
    /// # Errors
    /// As [`Rfc6750::new`].
    pub fn realm(self, realm: &str) -> Result<GuardLayer<E, Rfc6750>, ConfigError> {
        Ok(self.reject_with(Rfc6750::new(realm)?))
    }

    /// Answers refused requests with `reject` (a [`Reject`] implementation or a closure), as
    /// [`CognitoAuthLayer::reject_with`](crate::CognitoAuthLayer::reject_with). The [`Error`] is
    /// put into the response's extensions
    /// whatever it answers.
    pub fn reject_with<R2>(self, reject: R2) -> GuardLayer<E, R2> {
        GuardLayer {
            require: self.require,
            front: self.front,
            reject,
            claims: PhantomData,
        }
    }

    /// What the guard requires.
    pub fn requirement(&self) -> &Require {
        &self.require
    }
}

impl<E, R: Clone> Clone for GuardLayer<E, R> {
    fn clone(&self) -> Self {
        Self {
            require: Arc::clone(&self.require),
            front: Arc::clone(&self.front),
            reject: self.reject.clone(),
            claims: PhantomData,
        }
    }
}

impl<E, R> fmt::Debug for GuardLayer<E, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardLayer")
            .field("require", &self.require)
            .field("claims", &std::any::type_name::<E>())
            .field("reject", &std::any::type_name::<R>())
            .finish()
    }
}

impl<S, E, R: Clone> Layer<S> for GuardLayer<E, R> {
    type Service = Guard<S, E, R>;

    fn layer(&self, inner: S) -> Self::Service {
        Guard {
            inner,
            require: Arc::clone(&self.require),
            front: Arc::clone(&self.front),
            reject: self.reject.clone(),
            claims: PhantomData,
        }
    }
}

/// Checks a [`Require`] on the request's [`Claims<E>`](crate::Claims), then calls the inner
/// service or answers itself (`403`; `401` for a step-up requirement). Built by [`GuardLayer`].
///
/// The check is synchronous, inside `call`: no boxing, no clone of the inner service,
/// `poll_ready` passed through, the inner error type unchanged; nothing is allocated when the
/// request passes. A refused request is answered by `R` with the [`Error`] in the response's
/// extensions, as the authentication layer's rejections are.
///
/// A request that an [`optional`](crate::CognitoAuthLayer::optional) layer let through without
/// credentials has no claims: the guard answers it as the layer answers a request without
/// credentials, `401` with `R`'s bare challenge (`WWW-Authenticate: Bearer realm="..."`, no
/// `error`; gRPC calls: `grpc-status` 16, UNAUTHENTICATED) and
/// [`ErrorKind::MissingCredentials`] in the response's extensions, logged at debug level only.
///
/// No [`Claims<E>`](crate::Claims) in the request otherwise means no authentication layer ran in
/// front of the guard (or one with another claims type): a server misconfiguration, logged at
/// error level and answered `500` with an empty body (gRPC calls: `grpc-status` 13, INTERNAL,
/// `grpc-message: server misconfiguration`), as the [`Claims`](crate::Claims) extractor answers.
/// That answer is not `R`'s: it concerns no credential, and carries no [`Error`].
pub struct Guard<S, E = (), R = Rfc6750> {
    inner: S,
    require: Arc<Require>,
    front: Arc<Front>,
    reject: R,
    claims: PhantomData<fn() -> E>,
}

impl<S, E, R> Guard<S, E, R> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }
    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: Clone, E, R: Clone> Clone for Guard<S, E, R> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            require: Arc::clone(&self.require),
            front: Arc::clone(&self.front),
            reject: self.reject.clone(),
            claims: PhantomData,
        }
    }
}

impl<S: fmt::Debug, E, R> fmt::Debug for Guard<S, E, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guard")
            .field("inner", &self.inner)
            .field("require", &self.require)
            .field("claims", &std::any::type_name::<E>())
            .field("reject", &std::any::type_name::<R>())
            .finish()
    }
}

impl<S, E, R, ReqBody, ResBody> Service<Request<ReqBody>> for Guard<S, E, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    R: Reject<ResBody>,
    ResBody: Default,
    E: Send + Sync + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let verdict = match claims_in::<E>(req.extensions()) {
            Ok(claims) => {
                let front = &*self.front;
                self.require
                    .evaluate_with(claims, &*front.clock, front.leeway)
            }
            // An optional layer let a request without credentials through: the client's to fix
            // (401 and the bare challenge), never the server error of a missing layer.
            Err(true) => Err(Error::new(ErrorKind::MissingCredentials)),
            Err(false) => {
                return ResponseFuture::rejected(misconfigured(req.method(), req.headers()));
            }
        };
        match verdict {
            Ok(()) => ResponseFuture::inner(self.inner.call(req)),
            Err(error) => {
                crate::log::debug!(kind = ?error.kind(), status = error.status().as_u16(), "request refused by a guard");
                if let Some(counters) = &self.front.counters {
                    counters.rejected(&error);
                }
                let (parts, _) = req.into_parts();
                let mut response = self.reject.reject(&error, &parts);
                response.extensions_mut().insert(error);
                ResponseFuture::rejected(response)
            }
        }
    }
}

/// The answer of a guard with no authentication layer in front: `500`, or gRPC's INTERNAL.
fn misconfigured<B: Default>(method: &Method, headers: &HeaderMap) -> Response<B> {
    const GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");
    const GRPC_MESSAGE: HeaderName = HeaderName::from_static("grpc-message");
    crate::log::error!(
        "no verified claims in the request: is CognitoAuthLayer installed in front of this guard?"
    );
    let mut response = Response::new(B::default());
    if let Some(content_type) = grpc_content_type(method, headers) {
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, content_type);
        headers.insert(GRPC_STATUS, HeaderValue::from_static("13"));
        headers.insert(
            GRPC_MESSAGE,
            HeaderValue::from_static("server misconfiguration"),
        );
    } else {
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    }
    response
}

#[cfg(feature = "axum")]
mod axum_impl {
    use std::marker::PhantomData;
    use std::ops::Deref;

    use axum_core::extract::FromRequestParts;
    use axum_core::response::{IntoResponse, Response};
    use http::request::Parts;

    use crate::claims::CognitoClaims;
    use crate::error::Error;
    use crate::extract::{Claims, MissingClaims};

    /// A requirement as a type, for the [`Authorized`] extractor: implement it on a marker type of
    /// yours.
    ///
    /// ```
    /// use tower_cognito::{CognitoClaims, Error, Require, guard::Requirement};
    ///
    /// /// Members of `admins`.
    /// struct Admins;
    ///
    /// impl Requirement for Admins {
    ///     fn check(claims: &CognitoClaims) -> Result<(), Error> {
    ///         if claims.in_group("admins") { Ok(()) } else { Err(Error::missing_group()) }
    ///     }
    /// }
    ///
    /// /// Access tokens with both scopes, through a `Require` made once.
    /// struct OrderWriters;
    ///
    /// impl Requirement for OrderWriters {
    ///     fn check(claims: &CognitoClaims) -> Result<(), Error> {
    ///         static REQUIRE: std::sync::LazyLock<Option<Require>> = std::sync::LazyLock::new(|| {
    ///             Require::scopes_all(["orders/read", "orders/write"]).ok()
    ///         });
    ///         // A requirement that could not be made refuses everyone.
    ///         REQUIRE.as_ref().map_or(Err(Error::forbidden("misconfigured")), |r| r.evaluate(claims))
    ///     }
    /// }
    /// ```
    pub trait Requirement<E = ()> {
        /// Whether `claims` meet the requirement.
        ///
        /// # Errors
        /// The refusal: usually [`Error::insufficient_scope`], [`Error::missing_group`] or
        /// [`Error::forbidden`] (`403`), or [`Error::unauthorized`] (`401`).
        fn check(claims: &CognitoClaims<E>) -> Result<(), Error>;
    }

    /// An axum extractor: the request's [`Claims<E>`] once they meet the requirement `Q`
    /// ([`Requirement`]). Derefs to [`CognitoClaims<E>`].
    ///
    /// A refusal is answered as [`Error`] answers in axum: [`Rfc6750`](crate::reject::Rfc6750) in the
    /// default realm (`api`), the error in the response's extensions. No claims at all is
    /// answered as for [`Claims`] ([`MissingClaims`]): `401` with the bare challenge when an
    /// [`optional`](crate::CognitoAuthLayer::optional) layer let a request without credentials
    /// through, `500` when no authentication layer ran. For another realm or rejection, use
    /// [`GuardLayer`](crate::guard::GuardLayer) on the route instead.
    ///
    /// ```
    /// # #[cfg(feature = "test-util")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use axum::{Router, body::Body, routing::get};
    /// use http::{Request, header};
    /// use tower::ServiceExt;
    /// use tower_cognito::{CognitoAuthLayer, CognitoClaims, Error, TokenUse, guard::Authorized, guard::Requirement};
    /// # let issuer = tower_cognito::test_util::LocalIssuer::new()?;
    /// # let config = issuer.config().token_use(TokenUse::Access).build()?;
    ///
    /// struct Admins;
    /// impl Requirement for Admins {
    ///     fn check(claims: &CognitoClaims) -> Result<(), Error> {
    ///         if claims.in_group("admins") { Ok(()) } else { Err(Error::missing_group()) }
    ///     }
    /// }
    ///
    /// async fn admin(admin: Authorized<Admins>) -> String {
    ///     format!("hello admin {}", admin.sub)
    /// }
    ///
    /// let auth = CognitoAuthLayer::builder(config).static_keys(issuer.key_set()).build()?;
    /// let app = Router::new().route("/admin", get(admin)).route_layer(auth);
    /// let request = |token: &str| {
    ///     Request::get("/admin").header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty())
    /// };
    /// let admin_token = issuer.token().claim("cognito:groups", serde_json::json!(["admins"])).build();
    /// assert_eq!(app.clone().oneshot(request(&admin_token)?).await?.status(), 200);
    /// assert_eq!(app.oneshot(request(&issuer.access_token())?).await?.status(), 403);
    /// # Ok(()) }
    /// # #[cfg(not(feature = "test-util"))] fn main() {}
    /// ```
    pub struct Authorized<Q, E = ()> {
        /// The verified claims, which met `Q`.
        pub claims: Claims<E>,
        requirement: PhantomData<fn() -> Q>,
    }

    impl<Q, E> Authorized<Q, E> {
        /// The claims, without the proof that they met `Q`.
        pub fn into_claims(self) -> Claims<E> {
            self.claims
        }
    }

    impl<Q, E> Clone for Authorized<Q, E> {
        fn clone(&self) -> Self {
            Self {
                claims: self.claims.clone(),
                requirement: PhantomData,
            }
        }
    }

    impl<Q, E> Deref for Authorized<Q, E> {
        type Target = CognitoClaims<E>;
        fn deref(&self) -> &CognitoClaims<E> {
            &self.claims
        }
    }

    impl<Q, E: std::fmt::Debug> std::fmt::Debug for Authorized<Q, E> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Authorized")
                .field("requirement", &std::any::type_name::<Q>())
                .field("claims", &self.claims)
                .finish()
        }
    }

    /// Rejection of the [`Authorized`] extractor.
    #[derive(Debug, Clone)]
    #[non_exhaustive]
    pub enum AuthorizedRejection {
        /// No claims: no authentication layer ran (`500`), or an optional one let a request
        /// without credentials through (`401`, [`MissingClaims::is_anonymous`]).
        MissingClaims(MissingClaims),
        /// The claims did not meet the requirement: the error's answer (`403` usually).
        Refused(Error),
    }

    impl IntoResponse for AuthorizedRejection {
        fn into_response(self) -> Response {
            match self {
                Self::MissingClaims(missing) => missing.into_response(),
                Self::Refused(error) => {
                    crate::log::debug!(kind = ?error.kind(), status = error.status().as_u16(), "request refused by an extractor");
                    error.into_response()
                }
            }
        }
    }

    impl<S, Q, E> FromRequestParts<S> for Authorized<Q, E>
    where
        S: Send + Sync,
        Q: Requirement<E>,
        E: Send + Sync + 'static,
    {
        type Rejection = AuthorizedRejection;

        async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
            let claims =
                crate::extract::claims_in::<E>(&parts.extensions).map_err(|anonymous| {
                    AuthorizedRejection::MissingClaims(MissingClaims::new(anonymous))
                })?;
            Q::check(claims).map_err(AuthorizedRejection::Refused)?;
            Ok(Self {
                claims: claims.clone(),
                requirement: PhantomData,
            })
        }
    }
}

#[cfg(feature = "axum")]
pub use axum_impl::{Authorized, AuthorizedRejection, Requirement};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn claims(scope: Option<&str>, groups: &[&str]) -> CognitoClaims {
        let mut payload = serde_json::json!({
            "sub": "s", "iss": "i", "token_use": "access", "exp": 1, "cognito:groups": groups,
        });
        if let Some(scope) = scope {
            payload["scope"] = scope.into();
        }
        serde_json::from_value(payload).unwrap()
    }

    #[test]
    fn scopes_are_granted_to_access_tokens_only() {
        let require = Require::scopes_any(["openid"]).unwrap();
        let mut id = claims(Some("openid"), &[]);
        assert!(require.evaluate(&id).is_ok());
        id.token_use = TokenUse::Id;
        assert_eq!(
            require.evaluate(&id).unwrap_err().kind(),
            ErrorKind::InsufficientScope
        );
        assert!(
            Require::groups_any(["g"])
                .unwrap()
                .evaluate(&CognitoClaims {
                    groups: vec!["g".into()],
                    ..id
                })
                .is_ok()
        );
    }

    #[test]
    fn names_are_checked_when_the_requirement_is_made() {
        let scope = |s: &str| Require::scopes_any([s]).map(|_| ());
        for good in ["a", "orders/read", "aws.cognito.signin.user.admin", "!#[]~"] {
            assert_eq!(scope(good), Ok(()), "{good:?}");
        }
        for bad in ["", "a b", "a\"b", "a\\b", "a\tb", "é", "a\n", " a"] {
            assert_eq!(
                scope(bad),
                Err(GuardError::InvalidScope(bad.to_owned())),
                "{bad:?}"
            );
        }
        let group = |g: &str| Require::groups_all([g]).map(|_| ());
        for good in ["admins", "Group Name", "équipe", "a\"b"] {
            assert_eq!(group(good), Ok(()), "{good:?}");
        }
        for bad in ["", "a\tb", "a\nb", "\u{7f}", "a\u{85}"] {
            assert_eq!(
                group(bad),
                Err(GuardError::InvalidGroup(bad.to_owned())),
                "{bad:?}"
            );
        }
        let none: [&str; 0] = [];
        assert_eq!(Require::scopes_all(none).unwrap_err(), GuardError::Empty);
        assert_eq!(Require::groups_any(none).unwrap_err(), GuardError::Empty);
    }

    #[test]
    fn matching_is_token_by_token_exact_and_case_sensitive() {
        let any = Require::scopes_any(["orders/read", "orders/admin"]).unwrap();
        let all = Require::scopes_all(["orders/read", "orders/write"]).unwrap();
        // (scope claim, any-of passes, all-of passes)
        let cases = [
            (Some("orders/read"), true, false),
            (Some("orders/read orders/write"), true, true),
            (Some("orders/write  orders/read"), true, true),
            (Some(" orders/read orders/write "), true, true),
            (Some("orders/read\torders/write"), false, false),
            (Some("Orders/Read orders/write"), false, false),
            (Some("ORDERS/READ"), false, false),
            (Some("orders/read-all orders/writer"), false, false),
            (Some("orders/rea orders/writ"), false, false),
            (Some("xorders/read"), false, false),
            (Some("orders/read,orders/write"), false, false),
            (Some(""), false, false),
            (None, false, false),
        ];
        for (scope, any_ok, all_ok) in cases {
            let c = claims(scope, &[]);
            assert_eq!(any.evaluate(&c).is_ok(), any_ok, "any {scope:?}");
            assert_eq!(all.evaluate(&c).is_ok(), all_ok, "all {scope:?}");
        }
    }

    #[test]
    fn groups_match_exactly() {
        let any = Require::groups_any(["admins", "ops"]).unwrap();
        let all = Require::groups_all(["admins", "ops"]).unwrap();
        let cases: [(&[&str], bool, bool); 8] = [
            (&["admins"], true, false),
            (&["ops", "admins"], true, true),
            (&["Admins", "OPS"], false, false),
            (&["admin", "op"], false, false),
            (&["admins ", " ops"], false, false),
            (&["admins,ops"], false, false),
            (&["administrators"], false, false),
            (&[], false, false),
        ];
        for (groups, any_ok, all_ok) in cases {
            let c = claims(None, groups);
            assert_eq!(any.evaluate(&c).is_ok(), any_ok, "any {groups:?}");
            assert_eq!(all.evaluate(&c).is_ok(), all_ok, "all {groups:?}");
        }
    }

    #[test]
    fn refusals_carry_the_required_scopes() {
        let require = Require::groups_any(["staff"])
            .unwrap()
            .and(Require::scopes_all(["b", "a"]).unwrap())
            .and(Require::scopes_any(["a", "c"]).unwrap());
        assert_eq!(require.scopes(), Some("b a c"));
        let refused = require
            .evaluate(&claims(Some("a c"), &["staff"]))
            .unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::InsufficientScope);
        assert_eq!(refused.required_scope(), Some("b a c"));
        assert_eq!(refused.status(), 403);
        assert_eq!(refused.to_string(), "insufficient scope (required: b a c)");
        // The first clause that fails decides.
        let refused = require.evaluate(&claims(Some("a b"), &[])).unwrap_err();
        assert_eq!(refused, Error::missing_group());
        assert_eq!(refused.error_code(), Some("insufficient_scope"));
        assert!(require.evaluate(&claims(Some("a b"), &["staff"])).is_ok());
        assert_eq!(Require::groups_all(["x"]).unwrap().scopes(), None);
    }
}
