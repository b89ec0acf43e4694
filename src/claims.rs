//! The claims of a verified Cognito token.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::error::ErrorKind;
use crate::json::{BorrowedStr, StrictValue, Typed, TypedSeed, insert_unique, set_once};

/// Latest accepted time claim: 9999-12-31T23:59:59Z. Larger values are treated as invalid, so no
/// arithmetic on a time claim can overflow.
pub(crate) const MAX_NUMERIC_DATE: u64 = 253_402_300_799;

/// The `token_use` claim: which kind of Cognito token this is.
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
/// [`Claims`](crate::Claims) extractor. Every claim not typed here is in [`other`](Self::other),
/// and `custom:*` attributes are in [`custom`](Self::custom), so nothing a pre-token-generation
/// trigger adds is lost.
///
/// Deserializing is strict where security lives (time claims only as non-negative integer JSON
/// numbers, no duplicate members) and lenient where issuers vary (`email_verified` as a boolean or
/// `"true"`/`"false"`; unknown claims of any type).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CognitoClaims {
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
    /// Time of the original sign-in (unchanged by refresh).
    pub auth_time: Option<u64>,
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
    /// Every other claim (`cognito:roles`, `identities`, `device_key`, trigger-added claims...).
    pub other: Map<String, Value>,
}

impl CognitoClaims {
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
    /// A `custom:*` attribute, by name with or without the `custom:` prefix.
    pub fn custom_attribute(&self, name: &str) -> Option<&str> {
        let name = name.strip_prefix("custom:").unwrap_or(name);
        self.custom.get(name).map(String::as_str)
    }
    /// Any claim not typed above, by its name in the token.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.other.get(name)
    }

    /// Parses a payload, naming the broken rule precisely.
    pub(crate) fn from_payload(payload: &[u8]) -> Result<Self, ErrorKind> {
        // One UTF-8 check of the whole payload (invalid UTF-8 anywhere is invalid JSON), then the
        // `str` readers, which do not check every string again.
        let Ok(payload) = std::str::from_utf8(payload) else {
            return Err(ErrorKind::InvalidClaims);
        };
        Self::parse_str(payload)
    }

    /// serde_json with the strict visitor: the only claims parser.
    fn parse_str(payload: &str) -> Result<Self, ErrorKind> {
        let mut problem = None;
        let mut de = serde_json::Deserializer::from_str(payload);
        let parsed = de::Deserializer::deserialize_map(
            &mut de,
            ClaimsVisitor {
                problem: &mut problem,
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

struct ClaimsVisitor<'p> {
    problem: &'p mut Option<ErrorKind>,
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

impl<'de> Visitor<'de> for ClaimsVisitor<'_> {
    /// `None` when a rule was broken (recorded in `problem`); `Err` for a JSON error.
    type Value = Option<CognitoClaims>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut s = Slots::default();
        let mut custom: BTreeMap<String, String> = BTreeMap::new();
        let mut other = Map::new();
        while let Some(BorrowedStr(key)) = map.next_key::<BorrowedStr<'de>>()? {
            if let Some(field) = Field::from_name(&key) {
                // A typed claim: read the shape it needs, no `Value` built.
                let value = map.next_value_seed(TypedSeed)?;
                if let Some(kind) = s.put::<A::Error>(field, value)? {
                    // Keep reading: a later duplicate or JSON error still makes the payload invalid.
                    self.problem.get_or_insert(kind);
                }
                continue;
            }
            let value = map.next_value_seed(StrictValue)?;
            store_unknown(&mut custom, &mut other, key.into_owned(), value)?;
        }
        if self.problem.is_some() {
            return Ok(None);
        }
        match s.finish(custom, other) {
            Ok(claims) => Ok(Some(claims)),
            Err(kind) => {
                *self.problem = Some(kind);
                Ok(None)
            }
        }
    }
}

/// Files a claim that is not typed: a string `custom:*` attribute into `custom` (keyed without
/// the prefix), anything else into `other`. A duplicate name is a JSON error.
fn store_unknown<E: de::Error>(
    custom: &mut BTreeMap<String, String>,
    other: &mut Map<String, Value>,
    key: String,
    value: Value,
) -> Result<(), E> {
    match (key.strip_prefix("custom:"), value) {
        (Some(name), Value::String(v)) if !other.contains_key(&key) => {
            if custom.insert(name.to_owned(), v).is_some() {
                return Err(de::Error::custom("duplicate member"));
            }
            Ok(())
        }
        (name, value) => {
            if name.is_some_and(|n| custom.contains_key(n)) {
                return Err(de::Error::custom("duplicate member"));
            }
            insert_unique(other, key, value)
        }
    }
}

impl Slots {
    /// The claims, once every member was read without a problem; the first missing required
    /// claim otherwise.
    fn finish(
        self,
        custom: BTreeMap<String, String>,
        other: Map<String, Value>,
    ) -> Result<CognitoClaims, ErrorKind> {
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
            other,
        })
    }
}

impl<'de> de::Deserialize<'de> for CognitoClaims {
    /// Strict: the same rules as the verifier's payload parser (a wrong type, a duplicate member,
    /// a missing `sub`/`iss`/`token_use`/`exp` is an error).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut problem = None;
        match d.deserialize_map(ClaimsVisitor {
            problem: &mut problem,
        })? {
            Some(claims) => Ok(claims),
            None => Err(de::Error::custom(
                problem.unwrap_or(ErrorKind::InvalidClaims).description(),
            )),
        }
    }
}

impl serde::Serialize for CognitoClaims {
    /// Serializes in Cognito's own shape (`cognito:groups`, `custom:*`, `scope` as a string).
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
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
             "client_id" => self.client_id, "username" => self.username,
             "cognito:username" => self.cognito_username);
        match &self.aud {
            Some(Audience::Single(a)) => m.serialize_entry("aud", a)?,
            Some(Audience::Multiple(a)) => m.serialize_entry("aud", a)?,
            None => {}
        }
        if !self.groups.is_empty() {
            m.serialize_entry("cognito:groups", &self.groups)?;
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
        for (k, v) in &self.other {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<CognitoClaims, ErrorKind> {
        CognitoClaims::from_payload(json.as_bytes())
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
        let back: CognitoClaims =
            serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(back, c);
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
            CognitoClaims::from_payload(invalid_utf8).unwrap_err(),
            ErrorKind::InvalidClaims
        );
    }
}
