//! The claims API Gateway's own authorizer verified, read from the Lambda request context into
//! [`CognitoClaims`], and the Cognito rules the gateway does not apply.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use lambda_http::request::RequestContext;
use serde_json::{Map, Value};

use crate::claims::{Audience, CognitoClaims, MAX_NUMERIC_DATE, Scopes, TokenUse};
use crate::clock::Clock;
use crate::config::CognitoConfig;
use crate::error::{Error, ErrorKind};
use crate::verifier::Verifier;

use super::forms;

/// Why the claims of a request context were refused: the [`ErrorKind`] the layer answers with
/// (`401`, with the bare challenge when there are no authorizer claims at all), and the claim at
/// fault when one is malformed (a fixed claim name, never a value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GatewayError {
    kind: ErrorKind,
    claim: Option<&'static str>,
}

impl GatewayError {
    const fn new(kind: ErrorKind) -> Self {
        Self { kind, claim: None }
    }

    const fn malformed(claim: &'static str) -> Self {
        Self {
            kind: ErrorKind::InvalidClaims,
            claim: Some(claim),
        }
    }

    /// What went wrong: [`ErrorKind::MissingCredentials`] (no authorizer claims in the request
    /// context: no authorizer on the route, or an ALB or Lambda URL event),
    /// [`ErrorKind::InvalidClaims`] (a claim of the wrong form, see [`claim`](Self::claim)),
    /// [`ErrorKind::InvalidIssuer`] (another user pool), [`ErrorKind::InvalidTokenUse`],
    /// [`ErrorKind::TokenUseNotAccepted`], [`ErrorKind::InvalidClient`] (another app client),
    /// [`ErrorKind::MissingExpiry`], or a time rule ([`ErrorKind::Expired`] and the others).
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The claim that is malformed (`cognito:groups` as `"[a b"`, `exp` not a time), if any.
    pub fn claim(&self) -> Option<&'static str> {
        self.claim
    }
}

impl fmt::Display for GatewayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.kind, self.claim) {
            (ErrorKind::MissingCredentials, _) => {
                f.write_str("no API Gateway authorizer claims in the request context")
            }
            (_, Some(claim)) => write!(
                f,
                "the authorizer's claim `{claim}` is not in a form API Gateway sends"
            ),
            (kind, None) => write!(f, "authorizer claims refused: {}", Error::new(kind)),
        }
    }
}

impl std::error::Error for GatewayError {}

impl From<GatewayError> for Error {
    fn from(error: GatewayError) -> Self {
        Error::new(error.kind)
    }
}

/// The claims of one request context, as the authorizer left them.
enum Source<'a> {
    /// A REST API `COGNITO_USER_POOLS` authorizer: `requestContext.authorizer.claims`, a JSON
    /// object of strings.
    Rest(&'a Map<String, Value>),
    /// An HTTP API JWT authorizer: `requestContext.authorizer.jwt.claims` (strings).
    Jwt(&'a HashMap<String, String>),
}

/// One claim's value.
#[derive(Clone, Copy)]
enum Field<'a> {
    Str(&'a str),
    Json(&'a Value),
}

impl<'a> Source<'a> {
    fn of(context: &'a RequestContext) -> Option<Self> {
        match context {
            RequestContext::ApiGatewayV1(rest) => match rest.authorizer.fields.get("claims")? {
                Value::Object(claims) => Some(Self::Rest(claims)),
                _ => None,
            },
            RequestContext::ApiGatewayV2(http) => {
                let jwt = http.authorizer.as_ref()?.jwt.as_ref()?;
                Some(Self::Jwt(&jwt.claims))
            }
            _ => None,
        }
    }

    fn get(&self, name: &str) -> Option<Field<'a>> {
        match self {
            Self::Rest(claims) => claims.get(name).map(|v| match v {
                Value::String(s) => Field::Str(s),
                other => Field::Json(other),
            }),
            Self::Jwt(claims) => claims.get(name).map(|s| Field::Str(s)),
        }
    }

    fn string(&self, name: &'static str) -> Result<Option<&'a str>, GatewayError> {
        match self.get(name) {
            None => Ok(None),
            Some(Field::Str(s)) => Ok(Some(s)),
            Some(Field::Json(_)) => Err(GatewayError::malformed(name)),
        }
    }

    fn time(&self, name: &'static str) -> Result<Option<u64>, GatewayError> {
        let value = match self.get(name) {
            None => return Ok(None),
            Some(Field::Str(s)) => forms::numeric_date(s),
            Some(Field::Json(Value::Number(n))) => n.as_u64().filter(|&n| n <= MAX_NUMERIC_DATE),
            Some(Field::Json(_)) => None,
        };
        value.map(Some).ok_or(GatewayError::malformed(name))
    }

    fn boolean(&self, name: &'static str) -> Result<Option<bool>, GatewayError> {
        let value = match self.get(name) {
            None => return Ok(None),
            Some(Field::Str(s)) => forms::boolean(s),
            Some(Field::Json(Value::Bool(b))) => Some(*b),
            Some(Field::Json(_)) => None,
        };
        value.map(Some).ok_or(GatewayError::malformed(name))
    }

    /// An array claim: flattened (`"[a b]"`, `"a,b"`) or, should a context carry one, a JSON
    /// array of strings.
    fn list(&self, name: &'static str) -> Result<Vec<String>, GatewayError> {
        let value = match self.get(name) {
            None => return Ok(Vec::new()),
            Some(Field::Str(s)) => forms::list(s),
            Some(Field::Json(Value::Array(items))) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect(),
            Some(Field::Json(_)) => None,
        };
        value.ok_or(GatewayError::malformed(name))
    }

    /// `scope`: the token's space-delimited string (a bracketed, flattened form is read as its
    /// list). The HTTP API's `scopes` next to the claims are not read: the claim is the token's.
    fn scope(&self) -> Result<Scopes, GatewayError> {
        match self.string("scope")? {
            Some(s) if s.starts_with('[') || s.ends_with(']') => forms::list(s)
                .map(|scopes| Scopes::new(scopes.join(" ")))
                .ok_or(GatewayError::malformed("scope")),
            Some(s) => Ok(Scopes::new(s)),
            None => Ok(Scopes::default()),
        }
    }

    /// The `custom:*` attributes with string values, keyed without the prefix.
    fn custom(&self) -> BTreeMap<String, String> {
        let strip = |(name, value): (&String, &str)| {
            Some((name.strip_prefix("custom:")?.to_owned(), value.to_owned()))
        };
        match self {
            Self::Rest(claims) => claims
                .iter()
                .filter_map(|(k, v)| strip((k, v.as_str()?)))
                .collect(),
            Self::Jwt(claims) => claims
                .iter()
                .filter_map(|(k, v)| strip((k, v.as_str())))
                .collect(),
        }
    }
}

/// The claims of `context` in the form a verified token's take, before any rule.
fn read(source: &Source<'_>) -> Result<CognitoClaims, GatewayError> {
    let iss = source
        .string("iss")?
        .ok_or(GatewayError::new(ErrorKind::InvalidIssuer))?;
    let token_use = source
        .string("token_use")?
        .and_then(|t| t.parse::<TokenUse>().ok())
        .ok_or(GatewayError::new(ErrorKind::InvalidTokenUse))?;
    let exp = source
        .time("exp")?
        .ok_or(GatewayError::new(ErrorKind::MissingExpiry))?;
    let sub = source
        .string("sub")?
        .filter(|s| !s.is_empty())
        .ok_or(GatewayError::malformed("sub"))?;
    let owned = |name| source.string(name).map(|s| s.map(str::to_owned));
    Ok(CognitoClaims {
        sub: sub.to_owned(),
        iss: iss.to_owned(),
        token_use,
        exp,
        iat: source.time("iat")?,
        nbf: source.time("nbf")?,
        auth_time: source.time("auth_time")?,
        client_id: owned("client_id")?,
        aud: owned("aud")?.map(Audience::Single),
        username: owned("username")?,
        cognito_username: owned("cognito:username")?,
        groups: source.list("cognito:groups")?,
        scope: source.scope()?,
        email: owned("email")?,
        email_verified: source.boolean("email_verified")?,
        phone_number: owned("phone_number")?,
        phone_number_verified: source.boolean("phone_number_verified")?,
        acr: owned("acr")?,
        amr: source.list("amr")?,
        jti: owned("jti")?,
        origin_jti: owned("origin_jti")?,
        event_id: owned("event_id")?,
        custom: source.custom(),
        extra: (),
    })
}

/// The rules of a configuration, ready to check claims of any of its pools.
#[derive(Clone)]
pub(crate) struct GatewayRules {
    /// One verifier per user pool, for its rules only (no key is used).
    pools: Arc<[Verifier]>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for GatewayRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayRules")
            .field("pools", &self.pools)
            .field("clock", &self.clock)
            .finish()
    }
}

impl GatewayRules {
    pub(crate) fn new(config: &CognitoConfig) -> Self {
        Self {
            pools: config.pools().map(|pool| Verifier::new(&pool)).collect(),
            clock: Arc::clone(&config.layer.clock),
        }
    }

    /// The claims in `extensions` (where `lambda_http` puts the request context), read and
    /// checked against the rules of the pool whose issuer they carry.
    pub(crate) fn claims(
        &self,
        extensions: &http::Extensions,
    ) -> Result<CognitoClaims, GatewayError> {
        let source = extensions
            .get::<RequestContext>()
            .and_then(Source::of)
            .ok_or(GatewayError::new(ErrorKind::MissingCredentials))?;
        let claims = read(&source)?;
        let verifier = self
            .pools
            .iter()
            .find(|v| v.pool().issuer_matches(&claims.iss))
            .ok_or(GatewayError::new(ErrorKind::InvalidIssuer))?;
        verifier
            .check(&claims, self.clock.now())
            .map_err(GatewayError::new)?;
        Ok(claims)
    }
}

/// The claims API Gateway's Cognito authorizer verified for this request, checked with the
/// Cognito rules of `config` the gateway does not apply.
///
/// `extensions` are a `lambda_http` request's (it puts the
/// [`RequestContext`](lambda_http::request::RequestContext) there). The claims are read from
/// `requestContext.authorizer.claims` (a REST API `COGNITO_USER_POOLS` authorizer) or
/// `requestContext.authorizer.jwt.claims` (an HTTP API JWT authorizer), with the flattened forms
/// normalised: `cognito:groups` from `"[a b]"` or `"a,b"`, time claims from decimal strings or
/// the REST authorizer's date form, booleans from `"true"`/`"false"`. Then the rules: `iss`
/// exactly a configured pool's issuer; `token_use` present, and the one the pool accepts; the
/// app client (`client_id` of an access token, `aud` of an ID token) one of the pool's; the time
/// claims with the leeway, on the configuration's clock.
///
/// Prefer [`GatewayClaimsLayer`](super::GatewayClaimsLayer), which does this for every request
/// and puts the claims where the [`Claims`](crate::Claims) extractor and the guards read them.
///
/// # Errors
/// A [`GatewayError`]: no authorizer claims in the context, a malformed claim, or a broken rule.
pub fn gateway_claims(
    extensions: &http::Extensions,
    config: &CognitoConfig,
) -> Result<CognitoClaims, GatewayError> {
    GatewayRules::new(config).claims(extensions)
}
