//! The claims of a verified Cognito token.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::CowStrDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::ser::{self, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::error::ErrorKind;
use crate::json::{
    BorrowedStr, StrOrIgnore, StrictIgnore, StrictValue, Typed, TypedSeed, UniqueKeys, set_once,
};

/// Latest accepted time claim: 9999-12-31T23:59:59Z. Larger values are treated as invalid, so no
/// arithmetic on a time claim can overflow.
pub(crate) const MAX_NUMERIC_DATE: u64 = 253_402_300_799;

/// The `token_use` claim: which kind of Cognito token this is; also the kind a pool accepts
/// ([`CognitoConfigBuilder::token_use`](crate::CognitoConfigBuilder::token_use)).
///
/// ```
/// use tower_cognito::TokenUse;
///
/// assert_eq!("id".parse::<TokenUse>(), Ok(TokenUse::Id));
/// assert_eq!(TokenUse::Access.to_string(), "access");
/// assert!("ID".parse::<TokenUse>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenUse {
    /// An access token (`"access"`): carries `client_id`, `scope`, `username`.
    Access,
    /// An ID token (`"id"`): carries `aud`, `cognito:username` and the user's attributes.
    Id,
}

impl TokenUse {
    /// `"access"` or `"id"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Id => "id",
        }
    }
}

impl fmt::Display for TokenUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `access` or `id`, exactly (the claim's values).
impl std::str::FromStr for TokenUse {
    type Err = ParseTokenUseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "access" => Ok(Self::Access),
            "id" => Ok(Self::Id),
            _ => Err(ParseTokenUseError),
        }
    }
}

/// A token use other than `access` or `id`: [`TokenUse`]'s `FromStr` error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("expected a token use of `access` or `id`")]
#[non_exhaustive]
pub struct ParseTokenUseError;

/// The `aud` claim. Cognito ID tokens carry a single string.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Audience {
    /// `"aud": "client"`.
    Single(String),
    /// `"aud": ["a", "b"]` (never accepted as the app client of an ID token).
    Multiple(Vec<String>),
}

/// The `scope` claim of an access token: a space-delimited set, matched exactly and
/// case-sensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(String);

impl Scopes {
    /// Parses a space-delimited scope string.
    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }
    /// Whether `scope` is one of the scopes (exact, case-sensitive).
    pub fn contains(&self, scope: &str) -> bool {
        !scope.is_empty() && self.iter().any(|s| s == scope)
    }
    /// The scopes, in token order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.0.split(' ').filter(|s| !s.is_empty())
    }
    /// Number of scopes.
    pub fn len(&self) -> usize {
        self.iter().count()
    }
    /// No scope at all.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
    /// The claim as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The claims of a verified Cognito user-pool token, typed.
///
/// The layer puts them into the request extensions (behind an `Arc`); handlers read them with the
/// [`Claims`](crate::Claims) extractor. `custom:*` attributes with string values are in
/// [`custom`](Self::custom).
///
/// `E` is the application's own claims type, filled from the same parse of the payload: it sees
/// every member this type does not read itself (anything but the fields below, `custom:*`
/// attributes included), so `CognitoClaims<MyClaims>` costs no second pass. With the default
/// `E = ()` those members are checked strictly and dropped without being stored;
/// `CognitoClaims<serde_json::Map<String, serde_json::Value>>` keeps them all (and has
/// [`claim`](CognitoClaims::claim)).
///
/// ```
/// # fn main() -> Result<(), serde_json::Error> {
/// use tower_cognito::CognitoClaims;
///
/// #[derive(Debug, serde::Deserialize)]
/// struct Tenant {
///     #[serde(rename = "custom:tenant")]
///     tenant: String,
///     #[serde(default)]
///     plan: Option<String>,
/// }
///
/// let payload = r#"{"sub":"u-1","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A",
///     "token_use":"id","exp":2000000000,"custom:tenant":"acme","plan":"gold"}"#;
/// let claims: CognitoClaims<Tenant> = serde_json::from_str(payload)?;
/// assert_eq!((claims.sub.as_str(), claims.extra.tenant.as_str()), ("u-1", "acme"));
/// assert_eq!(claims.custom_attribute("tenant"), Some("acme"));
/// assert_eq!(claims.extra.plan.as_deref(), Some("gold"));
/// # Ok(()) }
/// ```
///
/// Deserializing is strict where security lives (time claims only as non-negative integer JSON
/// numbers, no duplicate members at any depth) and lenient where issuers vary (`email_verified` as
/// a boolean or `"true"`/`"false"`; unknown claims of any type).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CognitoClaims<E = ()> {
    /// Subject: the user's UUID (for client-credentials tokens, the app client).
    pub sub: String,
    /// Issuer.
    pub iss: String,
    /// `access` or `id`.
    pub token_use: TokenUse,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// Issued at.
    pub iat: Option<u64>,
    /// Not before.
    pub nbf: Option<u64>,
    /// Time of the original sign-in (unchanged by refresh), as strict as the other time claims.
    pub auth_time: Option<u64>,
    /// `acr`: the authentication level of the sign-in (a string such as `urn:cognito:loa:3`), in
    /// the tokens of a pool with authentication levels; any other type is refused.
    pub acr: Option<String>,
    /// `amr`: the authentication methods of the sign-in (such as `["pwd", "otp", "mfa"]`); empty
    /// when absent; anything but an array of strings is refused.
    pub amr: Vec<String>,
    /// App client of an access token.
    pub client_id: Option<String>,
    /// Audience (the app client) of an ID token.
    pub aud: Option<Audience>,
    /// `username` (access tokens).
    pub username: Option<String>,
    /// `cognito:username` (ID tokens).
    pub cognito_username: Option<String>,
    /// `cognito:groups`; empty when absent.
    pub groups: Vec<String>,
    /// `scope` (access tokens); empty when absent.
    pub scope: Scopes,
    /// `email`.
    pub email: Option<String>,
    /// `email_verified`, from a boolean or `"true"`/`"false"`.
    pub email_verified: Option<bool>,
    /// `phone_number`.
    pub phone_number: Option<String>,
    /// `phone_number_verified`, from a boolean or `"true"`/`"false"`.
    pub phone_number_verified: Option<bool>,
    /// Token id.
    pub jti: Option<String>,
    /// Id of the original authentication; constant across refreshes (use it for deny-lists).
    pub origin_jti: Option<String>,
    /// Id of the authentication event.
    pub event_id: Option<String>,
    /// `custom:*` attributes (string values), keyed without the `custom:` prefix.
    pub custom: BTreeMap<String, String>,
    /// The application's own claims, deserialized from every member not typed above (`()` by
    /// default: nothing kept).
    pub extra: E,
}

impl<E> CognitoClaims<E> {
    /// The user name: `username` of an access token or `cognito:username` of an ID token.
    /// `None` for client-credentials (machine-to-machine) tokens.
    pub fn username(&self) -> Option<&str> {
        self.username
            .as_deref()
            .or(self.cognito_username.as_deref())
    }
    /// Whether the token carries this scope (exact, case-sensitive).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.contains(scope)
    }
    /// Whether the user is in this group (`cognito:groups`).
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
    /// The app client: `client_id` of an access token, or a single-string `aud` of an ID token.
    pub fn app_client_id(&self) -> Option<&str> {
        match (self.token_use, &self.client_id, &self.aud) {
            (TokenUse::Access, Some(c), _) => Some(c),
            (TokenUse::Id, _, Some(Audience::Single(a))) => Some(a),
            _ => None,
        }
    }
    /// The user pool that issued the token (`eu-west-1_AbC123xyz`): the last path segment of a
    /// Cognito issuer (`https://cognito-idp.{region}.{domain}/{pool}`, or the `issuer-cognito-idp`
    /// form). With a layer of several pools, this says which pool the token is from (its
    /// issuer was checked to be that pool's exactly).
    pub fn user_pool_id(&self) -> Option<&str> {
        let rest = self
            .iss
            .strip_prefix("https://cognito-idp.")
            .or_else(|| self.iss.strip_prefix("https://issuer-cognito-idp."))?;
        let (_, pool) = rest.split_once('/')?;
        (!pool.is_empty() && !pool.contains('/')).then_some(pool)
    }
    /// A `custom:*` attribute, by name with or without the `custom:` prefix.
    pub fn custom_attribute(&self, name: &str) -> Option<&str> {
        let name = name.strip_prefix("custom:").unwrap_or(name);
        self.custom.get(name).map(String::as_str)
    }

    /// The same claims with the application's part mapped by `f` (for instance `|_| ()` to drop
    /// it).
    pub fn map_extra<F>(self, f: impl FnOnce(E) -> F) -> CognitoClaims<F> {
        CognitoClaims {
            sub: self.sub,
            iss: self.iss,
            token_use: self.token_use,
            exp: self.exp,
            iat: self.iat,
            nbf: self.nbf,
            auth_time: self.auth_time,
            acr: self.acr,
            amr: self.amr,
            client_id: self.client_id,
            aud: self.aud,
            username: self.username,
            cognito_username: self.cognito_username,
            groups: self.groups,
            scope: self.scope,
            email: self.email,
            email_verified: self.email_verified,
            phone_number: self.phone_number,
            phone_number_verified: self.phone_number_verified,
            jti: self.jti,
            origin_jti: self.origin_jti,
            event_id: self.event_id,
            custom: self.custom,
            extra: f(self.extra),
        }
    }
}

impl CognitoClaims<Map<String, Value>> {
    /// Any claim not typed in [`CognitoClaims`], by its name in the token.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.extra.get(name)
    }
}

/// Claims whose application part may have been refused: what the parser gives, so that the
/// Cognito rules (issuer, client, time) are still checked first and named first.
pub(crate) type Parsed<E> = CognitoClaims<Option<E>>;

impl<E> Parsed<E> {
    /// The claims, once the Cognito rules passed: [`ErrorKind::CustomClaims`] when the
    /// application's type refused the payload.
    #[inline]
    pub(crate) fn settle(self) -> Result<CognitoClaims<E>, ErrorKind> {
        let mut claims = self;
        match claims.extra.take() {
            Some(extra) => Ok(claims.map_extra(|_| extra)),
            None => Err(ErrorKind::CustomClaims),
        }
    }
}

impl<E: DeserializeOwned> Parsed<E> {
    /// Parses a payload, naming the broken rule precisely.
    pub(crate) fn from_payload(payload: &[u8]) -> Result<Self, ErrorKind> {
        // One UTF-8 check of the whole payload (invalid UTF-8 anywhere is invalid JSON), then the
        // `str` readers, which do not check every string again.
        let Ok(payload) = std::str::from_utf8(payload) else {
            return Err(ErrorKind::InvalidClaims);
        };
        let mut problem = None;
        let mut de = serde_json::Deserializer::from_str(payload);
        let parsed = de::Deserializer::deserialize_map(
            &mut de,
            ClaimsVisitor::<E> {
                problem: &mut problem,
                extra: PhantomData,
            },
        );
        let end = de.end();
        match (parsed, end) {
            (Ok(Some(claims)), Ok(())) => Ok(claims),
            (Ok(None), Ok(())) => Err(problem.unwrap_or(ErrorKind::InvalidClaims)),
            _ => Err(ErrorKind::InvalidClaims),
        }
    }
}

struct ClaimsVisitor<'p, E> {
    problem: &'p mut Option<ErrorKind>,
    extra: PhantomData<fn() -> E>,
}

#[derive(Default)]
struct Slots {
    sub: Option<String>,
    iss: Option<String>,
    token_use: Option<TokenUse>,
    exp: Option<u64>,
    iat: Option<u64>,
    nbf: Option<u64>,
    auth_time: Option<u64>,
    acr: Option<String>,
    amr: Option<Vec<String>>,
    client_id: Option<String>,
    aud: Option<Audience>,
    username: Option<String>,
    cognito_username: Option<String>,
    groups: Option<Vec<String>>,
    scope: Option<Scopes>,
    email: Option<String>,
    email_verified: Option<bool>,
    phone_number: Option<String>,
    phone_number_verified: Option<bool>,
    jti: Option<String>,
    origin_jti: Option<String>,
    event_id: Option<String>,
}

fn string(v: Typed<'_>) -> Result<String, ErrorKind> {
    match v {
        Typed::Str(s) => Ok(s.into_owned()),
        _ => Err(ErrorKind::InvalidClaims),
    }
}

fn time(v: &Typed<'_>) -> Result<u64, ErrorKind> {
    // Like `Value::as_u64`: not floats, negatives, anything beyond u64, nor strings.
    match *v {
        Typed::U64(t) if t <= MAX_NUMERIC_DATE => Ok(t),
        _ => Err(ErrorKind::InvalidClaims),
    }
}

fn flag(v: &Typed<'_>) -> Result<bool, ErrorKind> {
    match v {
        Typed::Bool(b) => Ok(*b),
        Typed::Str(s) if s == "true" => Ok(true),
        Typed::Str(s) if s == "false" => Ok(false),
        _ => Err(ErrorKind::InvalidClaims),
    }
}

fn strings(v: Typed<'_>) -> Result<Vec<String>, ErrorKind> {
    match v {
        Typed::Strings(items) => Ok(items),
        _ => Err(ErrorKind::InvalidClaims),
    }
}

/// The claims typed in [`CognitoClaims`], by member name.
#[derive(Clone, Copy)]
enum Field {
    Sub,
    Iss,
    TokenUse,
    Exp,
    Iat,
    Nbf,
    AuthTime,
    Acr,
    Amr,
    ClientId,
    Aud,
    Groups,
    Scope,
    EmailVerified,
    PhoneNumberVerified,
    Username,
    CognitoUsername,
    Email,
    PhoneNumber,
    Jti,
    OriginJti,
    EventId,
}

impl Field {
    #[inline]
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "sub" => Self::Sub,
            "iss" => Self::Iss,
            "token_use" => Self::TokenUse,
            "exp" => Self::Exp,
            "iat" => Self::Iat,
            "nbf" => Self::Nbf,
            "auth_time" => Self::AuthTime,
            "acr" => Self::Acr,
            "amr" => Self::Amr,
            "client_id" => Self::ClientId,
            "aud" => Self::Aud,
            "cognito:groups" => Self::Groups,
            "scope" => Self::Scope,
            "email_verified" => Self::EmailVerified,
            "phone_number_verified" => Self::PhoneNumberVerified,
            "username" => Self::Username,
            "cognito:username" => Self::CognitoUsername,
            "email" => Self::Email,
            "phone_number" => Self::PhoneNumber,
            "jti" => Self::Jti,
            "origin_jti" => Self::OriginJti,
            "event_id" => Self::EventId,
            _ => return None,
        })
    }
}

/// Stores a typed value once; a duplicate is a JSON error (the whole payload is invalid).
/// `Ok(Some(kind))` when the value breaks a rule (it is not stored).
fn once<T, E: de::Error>(
    slot: &mut Option<T>,
    typed: Result<T, ErrorKind>,
) -> Result<Option<ErrorKind>, E> {
    match typed {
        Ok(v) => set_once(slot, v).map(|()| None),
        Err(kind) => Ok(Some(kind)),
    }
}

impl Slots {
    fn put<E: de::Error>(&mut self, field: Field, v: Typed<'_>) -> Result<Option<ErrorKind>, E> {
        match field {
            Field::Sub => once(&mut self.sub, string(v)),
            Field::Iss => once(
                &mut self.iss,
                string(v).map_err(|_| ErrorKind::InvalidIssuer),
            ),
            Field::TokenUse => {
                let t = match &v {
                    Typed::Str(s) if s == "access" => Ok(TokenUse::Access),
                    Typed::Str(s) if s == "id" => Ok(TokenUse::Id),
                    _ => Err(ErrorKind::InvalidTokenUse),
                };
                once(&mut self.token_use, t)
            }
            Field::Exp => once(&mut self.exp, time(&v)),
            Field::Iat => once(&mut self.iat, time(&v)),
            Field::Nbf => once(&mut self.nbf, time(&v)),
            Field::AuthTime => once(&mut self.auth_time, time(&v)),
            Field::Acr => once(&mut self.acr, string(v)),
            Field::Amr => once(&mut self.amr, strings(v)),
            Field::ClientId => once(
                &mut self.client_id,
                string(v).map_err(|_| ErrorKind::InvalidClient),
            ),
            Field::Aud => {
                let aud = match v {
                    Typed::Str(s) => Ok(Audience::Single(s.into_owned())),
                    other => strings(other)
                        .map(Audience::Multiple)
                        .map_err(|_| ErrorKind::InvalidClient),
                };
                once(&mut self.aud, aud)
            }
            Field::Groups => once(&mut self.groups, strings(v)),
            Field::Scope => once(&mut self.scope, string(v).map(Scopes)),
            Field::EmailVerified => once(&mut self.email_verified, flag(&v)),
            Field::PhoneNumberVerified => once(&mut self.phone_number_verified, flag(&v)),
            Field::Username => once(&mut self.username, string(v)),
            Field::CognitoUsername => once(&mut self.cognito_username, string(v)),
            Field::Email => once(&mut self.email, string(v)),
            Field::PhoneNumber => once(&mut self.phone_number, string(v)),
            Field::Jti => once(&mut self.jti, string(v)),
            Field::OriginJti => once(&mut self.origin_jti, string(v)),
            Field::EventId => once(&mut self.event_id, string(v)),
        }
    }
}

/// The payload's members as one pass reads them: typed claims go into the slots as they come;
/// the others are handed to the application's type `E` (through [`ExtraDeserializer`]), or, when
/// `E` wants nothing (`()`), checked strictly and dropped. `custom:*` string attributes are kept
/// in `custom` either way.
struct Members<'de, A> {
    map: A,
    slots: Slots,
    custom: BTreeMap<String, String>,
    seen: UniqueKeys<'de>,
    /// The first claim rule a typed member broke.
    problem: Option<ErrorKind>,
    /// The value of the member whose name was just handed to `E`.
    pending: Option<Value>,
    /// An error came from the JSON itself (not from `E`'s own rules).
    json_failed: bool,
}

impl<'de, A: MapAccess<'de>> Members<'de, A> {
    /// Marks an error of the JSON itself.
    #[inline]
    fn json<T>(&mut self, r: Result<T, A::Error>) -> Result<T, A::Error> {
        self.json_failed |= r.is_err();
        r
    }

    /// The next member not typed by [`CognitoClaims`]: its name (checked unique), after storing
    /// every typed member before it.
    #[inline]
    fn next_untyped(&mut self) -> Result<Option<Cow<'de, str>>, A::Error> {
        loop {
            let key = self.map.next_key::<BorrowedStr<'de>>();
            let Some(BorrowedStr(key)) = self.json(key)? else {
                return Ok(None);
            };
            if let Some(field) = Field::from_name(&key) {
                // A typed claim: read the shape it needs, no `Value` built.
                let value = self.map.next_value_seed(TypedSeed);
                let value = self.json(value)?;
                let broken = self.slots.put::<A::Error>(field, value);
                if let Some(kind) = self.json(broken)? {
                    // Keep reading: a later duplicate or JSON error still makes the payload
                    // invalid.
                    self.problem.get_or_insert(kind);
                }
                continue;
            }
            let fresh = self.seen.insert(key.clone());
            self.json(fresh)?;
            return Ok(Some(key));
        }
    }

    /// Reads the members `E` did not: typed ones into the slots, the rest checked and dropped.
    fn drain(&mut self) -> Result<(), A::Error> {
        self.pending = None;
        while let Some(key) = self.next_untyped()? {
            if let Some(name) = key.strip_prefix("custom:") {
                let value = self.map.next_value_seed(StrOrIgnore);
                if let Some(value) = self.json(value)? {
                    self.custom.insert(name.to_owned(), value);
                }
            } else {
                let value = self.map.next_value_seed(StrictIgnore);
                self.json(value)?;
            }
        }
        Ok(())
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for &mut Members<'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let Some(key) = self.next_untyped()? else {
            return Ok(None);
        };
        let value = self.map.next_value_seed(StrictValue);
        let value = self.json(value)?;
        if let (Some(name), Value::String(v)) = (key.strip_prefix("custom:"), &value) {
            self.custom.insert(name.to_owned(), v.clone());
        }
        self.pending = Some(value);
        seed.deserialize(CowStrDeserializer::new(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        let Some(value) = self.pending.take() else {
            return Err(de::Error::custom("a claim's value asked before its name"));
        };
        seed.deserialize(value).map_err(de::Error::custom)
    }
}

/// `E`'s view of the payload: a map of the members not typed by [`CognitoClaims`]. A type that
/// wants nothing (`()`, a unit struct, `IgnoredAny`) costs no map: the members are only checked.
struct ExtraDeserializer<'m, 'de, A>(&'m mut Members<'de, A>);

impl<'de, A: MapAccess<'de>> Deserializer<'de> for ExtraDeserializer<'_, 'de, A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_map(self.0)
    }
    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        self.0.drain()?;
        visitor.visit_unit()
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.deserialize_unit(visitor)
    }
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        self.deserialize_unit(visitor)
    }
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_some(self)
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf seq tuple tuple_struct map struct enum identifier
    }
}

impl<'de, E: de::Deserialize<'de>> Visitor<'de> for ClaimsVisitor<'_, E> {
    /// `None` when a rule was broken (recorded in `problem`); `Err` for a JSON error. `extra` is
    /// `None` when `E` refused the members it was given.
    type Value = Option<Parsed<E>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let mut members = Members {
            map,
            slots: Slots::default(),
            custom: BTreeMap::new(),
            seen: UniqueKeys::default(),
            problem: None,
            pending: None,
            json_failed: false,
        };
        let extra = E::deserialize(ExtraDeserializer(&mut members));
        if members.json_failed {
            // The JSON itself is broken (a duplicate, a syntax error): the whole payload is
            // invalid, even when `E` swallowed the error and answered `Ok`.
            return Err(extra
                .err()
                .unwrap_or_else(|| de::Error::custom("invalid JSON")));
        }
        // `E`'s own rules refused its members: the Cognito rules still come first.
        let extra = extra.ok();
        // The members `E` left (all of them for `()`), so that a later duplicate or JSON error
        // still fails the payload.
        members.drain()?;
        if let Some(kind) = members.problem {
            *self.problem = Some(kind);
            return Ok(None);
        }
        match members.slots.finish(members.custom, extra) {
            Ok(claims) => Ok(Some(claims)),
            Err(kind) => {
                *self.problem = Some(kind);
                Ok(None)
            }
        }
    }
}

impl Slots {
    /// The claims, once every member was read without a problem; the first missing required
    /// claim otherwise.
    fn finish<X>(
        self,
        custom: BTreeMap<String, String>,
        extra: X,
    ) -> Result<CognitoClaims<X>, ErrorKind> {
        let s = self;
        // Same precedence as always: `iss`, then `token_use`, `exp`, `sub`.
        let missing = match (&s.iss, &s.token_use, &s.exp, &s.sub) {
            (None, ..) => Some(ErrorKind::InvalidIssuer),
            (_, None, ..) => Some(ErrorKind::InvalidTokenUse),
            (_, _, None, _) => Some(ErrorKind::MissingExpiry),
            (.., None) => Some(ErrorKind::InvalidClaims),
            _ => None,
        };
        if let Some(kind) = missing {
            return Err(kind);
        }
        let (Some(sub), Some(iss), Some(token_use), Some(exp)) = (s.sub, s.iss, s.token_use, s.exp)
        else {
            return Err(ErrorKind::InvalidClaims);
        };
        Ok(CognitoClaims {
            sub,
            iss,
            token_use,
            exp,
            iat: s.iat,
            nbf: s.nbf,
            auth_time: s.auth_time,
            acr: s.acr,
            amr: s.amr.unwrap_or_default(),
            client_id: s.client_id,
            aud: s.aud,
            username: s.username,
            cognito_username: s.cognito_username,
            groups: s.groups.unwrap_or_default(),
            scope: s.scope.unwrap_or_default(),
            email: s.email,
            email_verified: s.email_verified,
            phone_number: s.phone_number,
            phone_number_verified: s.phone_number_verified,
            jti: s.jti,
            origin_jti: s.origin_jti,
            event_id: s.event_id,
            custom,
            extra,
        })
    }
}

impl<'de, E: de::Deserialize<'de>> de::Deserialize<'de> for CognitoClaims<E> {
    /// Strict: the same rules as the verifier's payload parser (a wrong type, a duplicate member,
    /// a missing `sub`/`iss`/`token_use`/`exp` is an error, and so is a payload `E` refuses).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut problem = None;
        let parsed = d.deserialize_map(ClaimsVisitor::<E> {
            problem: &mut problem,
            extra: PhantomData,
        })?;
        match parsed.map(Parsed::settle) {
            Some(Ok(claims)) => Ok(claims),
            Some(Err(kind)) => Err(de::Error::custom(kind.description())),
            None => Err(de::Error::custom(
                problem.unwrap_or(ErrorKind::InvalidClaims).description(),
            )),
        }
    }
}

impl<E: serde::Serialize> serde::Serialize for CognitoClaims<E> {
    /// Serializes in Cognito's own shape (`cognito:groups`, `custom:*`, `scope` as a string), with
    /// the members of `extra` (when it serializes as a map) after the typed ones.
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let extra = serde_json::to_value(&self.extra).map_err(ser::Error::custom)?;
        let mut m = ser.serialize_map(None)?;
        m.serialize_entry("sub", &self.sub)?;
        m.serialize_entry("iss", &self.iss)?;
        m.serialize_entry("token_use", self.token_use.as_str())?;
        m.serialize_entry("exp", &self.exp)?;
        macro_rules! opt {
            ($($name:literal => $field:expr),* $(,)?) => {$(
                if let Some(v) = &$field { m.serialize_entry($name, v)?; }
            )*};
        }
        opt!("iat" => self.iat, "nbf" => self.nbf, "auth_time" => self.auth_time,
             "acr" => self.acr, "client_id" => self.client_id, "username" => self.username,
             "cognito:username" => self.cognito_username);
        match &self.aud {
            Some(Audience::Single(a)) => m.serialize_entry("aud", a)?,
            Some(Audience::Multiple(a)) => m.serialize_entry("aud", a)?,
            None => {}
        }
        if !self.groups.is_empty() {
            m.serialize_entry("cognito:groups", &self.groups)?;
        }
        if !self.amr.is_empty() {
            m.serialize_entry("amr", &self.amr)?;
        }
        if !self.scope.as_str().is_empty() {
            m.serialize_entry("scope", self.scope.as_str())?;
        }
        opt!("email" => self.email, "email_verified" => self.email_verified,
             "phone_number" => self.phone_number,
             "phone_number_verified" => self.phone_number_verified,
             "jti" => self.jti, "origin_jti" => self.origin_jti, "event_id" => self.event_id);
        for (k, v) in &self.custom {
            m.serialize_entry(&format!("custom:{k}"), v)?;
        }
        match extra {
            Value::Object(members) => {
                for (k, v) in &members {
                    // A typed claim or a string attribute already written above is not repeated.
                    let written = Field::from_name(k).is_some()
                        || k.strip_prefix("custom:")
                            .is_some_and(|name| self.custom.contains_key(name));
                    if !written {
                        m.serialize_entry(k, v)?;
                    }
                }
            }
            Value::Null => {}
            _ => {
                return Err(ser::Error::custom(
                    "the application's claims must serialize as a map",
                ));
            }
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type AllClaims = CognitoClaims<Map<String, Value>>;

    /// Parses with every untyped claim kept, and checks that the default `E = ()` parse of the
    /// same payload gives the same verdict and the same typed claims.
    fn parse(json: &str) -> Result<AllClaims, ErrorKind> {
        let all =
            Parsed::<Map<String, Value>>::from_payload(json.as_bytes()).and_then(Parsed::settle);
        let unit = Parsed::<()>::from_payload(json.as_bytes()).and_then(Parsed::settle);
        match (&all, unit) {
            (Ok(all), Ok(unit)) => assert_eq!(all.clone().map_extra(|_| ()), unit, "{json}"),
            (Err(a), Err(u)) => assert_eq!(*a, u, "{json}"),
            (a, u) => panic!("{json}: {a:?} but {u:?} with E = ()"),
        }
        all
    }

    const ACCESS: &str = r#"{"sub":"u-1","iss":"https://i","token_use":"access","exp":2000,"iat":1000,
        "client_id":"c1","username":"alice","scope":"openid  profile res/read","cognito:groups":["admin","dev"],
        "jti":"j","origin_jti":"o","event_id":"e","auth_time":999,"device_key":"dk","custom:tenant":"t1","version":2}"#;

    #[test]
    fn unusual_but_valid_payloads_parse() {
        for doc in [
            r#"{"sub":"u","iss":"i","token_use":"id","exp":5,"x":1.5}"#.to_owned(),
            r#"{"sub":"u","iss":"i","token_use":"id","exp":5,"x":"\u0041"}"#.to_owned(),
            r#"{"sub":"u","iss":"i","token_use":"id","exp":5,"x":-0}"#.to_owned(),
            r#"{"sub":"u","iss":"i","token_use":"id","exp":5,"x":18446744073709551616}"#.to_owned(),
            r#"{"sub":"u","iss":"i","token_use":"id","exp":5,"x":-9223372036854775808}"#.to_owned(),
            format!(
                r#"{{"sub":"u","iss":"i","token_use":"id","exp":5,"x":{}1{}}}"#,
                "[".repeat(20),
                "]".repeat(20)
            ),
        ] {
            assert!(parse(&doc).is_ok(), "{doc}");
        }
    }

    #[test]
    fn access_token_claims() {
        let c = parse(ACCESS).unwrap();
        assert_eq!(c.token_use, TokenUse::Access);
        assert_eq!(c.username(), Some("alice"));
        assert!(
            c.has_scope("profile")
                && c.has_scope("res/read")
                && !c.has_scope("Profile")
                && !c.has_scope("")
        );
        assert_eq!(c.scope.len(), 3);
        assert!(c.in_group("admin"));
        assert_eq!(c.app_client_id(), Some("c1"));
        assert_eq!(c.custom_attribute("custom:tenant"), Some("t1"));
        assert_eq!(c.custom_attribute("tenant"), Some("t1"));
        assert_eq!(c.claim("device_key"), Some(&Value::from("dk")));
        assert_eq!(c.claim("version"), Some(&Value::from(2)));
        let back: AllClaims = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(back, c);
        let unit: CognitoClaims =
            serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(unit, c.map_extra(|_| ()));
    }

    #[test]
    fn id_token_claims_and_lenient_flags() {
        let c = parse(
            r#"{"sub":"u","iss":"i","token_use":"id","exp":5,"aud":"c1","cognito:username":"bob",
            "email_verified":"true","phone_number_verified":false,"custom:n":"1","custom:x":5}"#,
        )
        .unwrap();
        assert_eq!(c.username(), Some("bob"));
        assert_eq!(c.email_verified, Some(true));
        assert_eq!(c.phone_number_verified, Some(false));
        assert_eq!(c.app_client_id(), Some("c1"));
        assert_eq!(c.custom_attribute("n"), Some("1"));
        assert_eq!(c.claim("custom:x"), Some(&Value::from(5)));
    }

    #[test]
    fn precise_problems() {
        let base = r#""sub":"u","iss":"i","exp":5"#;
        let cases = [
            (
                format!(r#"{{{base},"token_use":"Access"}}"#),
                ErrorKind::InvalidTokenUse,
            ),
            (
                format!(r#"{{{base},"token_use":["access"]}}"#),
                ErrorKind::InvalidTokenUse,
            ),
            (
                format!(r#"{{{base},"token_use":"refresh"}}"#),
                ErrorKind::InvalidTokenUse,
            ),
            (format!(r#"{{{base}}}"#), ErrorKind::InvalidTokenUse),
            (
                r#"{"sub":"u","token_use":"id","exp":5}"#.to_owned(),
                ErrorKind::InvalidIssuer,
            ),
            (
                r#"{"sub":"u","iss":5,"token_use":"id","exp":5}"#.to_owned(),
                ErrorKind::InvalidIssuer,
            ),
            (
                r#"{"sub":"u","iss":"i","token_use":"id"}"#.to_owned(),
                ErrorKind::MissingExpiry,
            ),
            (
                format!(r#"{{{base},"token_use":"access","client_id":7}}"#),
                ErrorKind::InvalidClient,
            ),
            (
                format!(r#"{{{base},"token_use":"id","aud":{{}}}}"#),
                ErrorKind::InvalidClient,
            ),
            (
                format!(r#"{{{base},"token_use":"access","scope":["a"]}}"#),
                ErrorKind::InvalidClaims,
            ),
            (
                format!(r#"{{{base},"token_use":"access","cognito:groups":"admin"}}"#),
                ErrorKind::InvalidClaims,
            ),
            (
                format!(r#"{{{base},"token_use":"id","email_verified":"yes"}}"#),
                ErrorKind::InvalidClaims,
            ),
            (
                format!(r#"{{{base},"token_use":"id","acr":["urn:cognito:loa:3"]}}"#),
                ErrorKind::InvalidClaims,
            ),
            (
                format!(r#"{{{base},"token_use":"id","acr":3}}"#),
                ErrorKind::InvalidClaims,
            ),
            (
                format!(r#"{{{base},"token_use":"id","amr":"mfa"}}"#),
                ErrorKind::InvalidClaims,
            ),
            (
                format!(r#"{{{base},"token_use":"id","amr":["mfa",null]}}"#),
                ErrorKind::InvalidClaims,
            ),
            (
                format!(r#"{{{base},"token_use":"id","acr":"a","acr":"b"}}"#),
                ErrorKind::InvalidClaims,
            ),
            (
                r#"{"iss":"i","token_use":"id","exp":5}"#.to_owned(),
                ErrorKind::InvalidClaims,
            ),
        ];
        for (json, kind) in cases {
            assert_eq!(parse(&json).unwrap_err(), kind, "{json}");
        }
    }

    #[test]
    fn time_claims_are_non_negative_integers() {
        for bad in [
            r#""5""#,
            "5.0",
            "-1",
            "1e300",
            "18446744073709551616",
            "253402300800",
            "null",
            "true",
        ] {
            for claim in ["exp", "iat", "nbf", "auth_time"] {
                let json =
                    format!(r#"{{"sub":"u","iss":"i","token_use":"id","exp":5,"{claim}":{bad}}}"#)
                        .replacen(r#""exp":5,"exp""#, r#""exp""#, 1);
                assert_eq!(
                    parse(&json).unwrap_err(),
                    ErrorKind::InvalidClaims,
                    "{json}"
                );
            }
        }
        assert_eq!(
            parse(r#"{"sub":"u","iss":"i","token_use":"id","exp":253402300799}"#)
                .unwrap()
                .exp,
            MAX_NUMERIC_DATE
        );
    }

    #[test]
    fn structural_errors() {
        for bad in [
            "[]",
            "\"x\"",
            "null",
            "",
            "{",
            r#"{"sub":"u","iss":"i","token_use":"id","exp":5} x"#,
            r#"{"sub":"u","iss":"i","token_use":"id","exp":5,"exp":6}"#,
            r#"{"sub":"u","iss":"i","token_use":"id","token_use":"access","exp":5}"#,
            r#"{"sub":"u","iss":"i","token_use":"id","exp":5,"x":1,"x":2}"#,
            r#"{"sub":"u","iss":"i","token_use":"id","exp":5,"x":{"y":1,"y":1}}"#,
            r#"{"sub":"u","iss":"i","token_use":"id","exp":5,"custom:a":"1","custom:a":"2"}"#,
            r#"{"sub":"u","iss":"i","token_use":"id","exp":5,"custom:a":1,"custom:a":"2"}"#,
            r#"{"sub":"u","iss":"i","token_use":"id","exp":5,"custom:a":"2","custom:a":1}"#,
            r#"{"sub":"u","iss":"i","token_use":"Access","exp":5,"exp":5}"#,
        ] {
            assert_eq!(parse(bad).unwrap_err(), ErrorKind::InvalidClaims, "{bad}");
        }
        let deep = format!(
            r#"{{"sub":"u","iss":"i","token_use":"id","exp":5,"x":{}{}}}"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert_eq!(parse(&deep).unwrap_err(), ErrorKind::InvalidClaims);
        let invalid_utf8 = b"{\"sub\":\"\xff\",\"iss\":\"i\",\"token_use\":\"id\",\"exp\":5}";
        assert_eq!(
            Parsed::<()>::from_payload(invalid_utf8).unwrap_err(),
            ErrorKind::InvalidClaims
        );
    }

    #[derive(Debug, PartialEq, serde::Deserialize, serde::Serialize)]
    struct Tenant {
        #[serde(rename = "custom:tenant")]
        tenant: String,
        #[serde(default)]
        level: Option<u8>,
    }

    fn parse_as<E: DeserializeOwned>(json: &str) -> Result<CognitoClaims<E>, ErrorKind> {
        Parsed::<E>::from_payload(json.as_bytes()).and_then(Parsed::settle)
    }

    #[test]
    fn application_claims_in_the_same_parse() {
        let c = parse_as::<Tenant>(ACCESS).unwrap();
        assert_eq!(
            c.extra,
            Tenant {
                tenant: "t1".into(),
                level: None
            }
        );
        // The string attribute is in `custom` too, and the typed claims are all there.
        assert_eq!(c.custom_attribute("tenant"), Some("t1"));
        assert_eq!((c.sub.as_str(), c.username()), ("u-1", Some("alice")));
        // Serialized in Cognito's shape: the attribute once, then parsed back the same.
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json.matches("custom:tenant").count(), 1, "{json}");
        assert_eq!(parse_as::<Tenant>(&json).unwrap(), c);

        let base = r#""sub":"u","iss":"i","token_use":"id","exp":5"#;
        // `E` refusing its members is `CustomClaims`, after every Cognito rule of the payload.
        for refused in [
            format!("{{{base}}}"),
            format!(r#"{{{base},"custom:tenant":5}}"#),
            format!(r#"{{{base},"custom:tenant":"t","level":300}}"#),
        ] {
            assert_eq!(
                parse_as::<Tenant>(&refused).unwrap_err(),
                ErrorKind::CustomClaims,
                "{refused}"
            );
        }
        for (json, kind) in [
            (
                r#"{"sub":"u","token_use":"id","exp":5,"level":"x"}"#,
                ErrorKind::InvalidIssuer,
            ),
            (
                r#"{"sub":"u","iss":"i","token_use":"id","exp":5.5}"#,
                ErrorKind::InvalidClaims,
            ),
            // Duplicates and JSON errors after `E` refused still fail the payload as JSON.
            (
                r#"{"sub":"u","iss":"i","token_use":"id","exp":5,"level":"x","a":1,"a":1}"#,
                ErrorKind::InvalidClaims,
            ),
            (
                r#"{"sub":"u","iss":"i","token_use":"id","exp":5,"custom:tenant":"t","custom:tenant":"u"}"#,
                ErrorKind::InvalidClaims,
            ),
            (
                r#"{"custom:tenant":"t","level":{"b":1,"b":2},"sub":"u","iss":"i","token_use":"id","exp":5}"#,
                ErrorKind::InvalidClaims,
            ),
        ] {
            assert_eq!(parse_as::<Tenant>(json).unwrap_err(), kind, "{json}");
        }
        // `E` sees only the untyped members: a field named like a typed claim never fills.
        #[derive(Debug, serde::Deserialize)]
        struct Sub {
            #[allow(dead_code)]
            sub: String,
        }
        assert_eq!(
            parse_as::<Sub>(ACCESS).unwrap_err(),
            ErrorKind::CustomClaims
        );
        // Types that want nothing.
        assert!(parse_as::<serde::de::IgnoredAny>(ACCESS).is_ok());
        assert!(parse_as::<PhantomData<u8>>(ACCESS).is_ok());
        assert_eq!(
            parse_as::<Option<Tenant>>(ACCESS)
                .unwrap()
                .extra
                .unwrap()
                .tenant,
            "t1"
        );
        assert_eq!(parse_as::<Value>(ACCESS).unwrap().extra["version"], 2);
    }

    /// An application type that turns any error into a default: it must not hide a broken
    /// payload from the strict rules.
    #[derive(Debug, Default, PartialEq)]
    struct Lenient(Option<Tenant>);

    impl<'de> de::Deserialize<'de> for Lenient {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Ok(Self(Tenant::deserialize(d).ok()))
        }
    }

    #[test]
    fn an_application_type_cannot_swallow_a_json_error() {
        for bad in [
            // A duplicate typed claim, met while `E` was reading (the error went through `E`).
            r#"{"sub":"u","iss":"i","token_use":"id","exp":1,"exp":9999999999,"custom:tenant":"t"}"#,
            // A duplicate nested in an untyped claim, as that claim's last member.
            r#"{"sub":"u","iss":"i","token_use":"id","exp":5,"x":{"y":1,"y":2}}"#,
            r#"{"x":{"y":1,"y":2},"sub":"u","iss":"i","token_use":"id","exp":5}"#,
            r#"{"sub":"u","iss":"i","token_use":"id","exp":5,"a":1,"a":2}"#,
        ] {
            assert_eq!(
                parse_as::<Lenient>(bad).unwrap_err(),
                ErrorKind::InvalidClaims,
                "{bad}"
            );
        }
        let fine = r#"{"sub":"u","iss":"i","token_use":"id","exp":5,"custom:tenant":"t"}"#;
        assert_eq!(
            parse_as::<Lenient>(fine).unwrap().extra.0.unwrap().tenant,
            "t"
        );
    }

    #[test]
    fn many_untyped_claims_are_checked_for_duplicates() {
        let members: String = (0..100).map(|i| format!(r#","x{i}":{i}"#)).collect();
        let ok = format!(r#"{{"sub":"u","iss":"i","token_use":"id","exp":5{members}}}"#);
        assert_eq!(parse(&ok).unwrap().extra.len(), 100);
        for dup in ["x0", "x15", "x16", "x99"] {
            let bad =
                format!(r#"{{"sub":"u","iss":"i","token_use":"id","exp":5{members},"{dup}":1}}"#);
            assert_eq!(parse(&bad).unwrap_err(), ErrorKind::InvalidClaims, "{dup}");
        }
    }
}
