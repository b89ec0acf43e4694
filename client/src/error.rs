//! [`ClientError`]: why a user-pool call failed, with the Cognito error type parsed defensively.

use std::error::Error as StdError;
use std::fmt;

use http::{HeaderMap, StatusCode};
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::srp::SrpError;

/// Longest error type name kept (Cognito's are under 50 characters).
const MAX_TYPE_NAME_LEN: usize = 128;
/// Longest error message kept, in characters.
const MAX_MESSAGE_LEN: usize = 1024;

/// Why a call of [`UserPoolClient`](super::UserPoolClient) failed.
///
/// [`kind`](Self::kind) tells what went wrong; [`operation`](Self::operation) names the Cognito
/// operation. A Cognito error keeps its type name and message (the text Cognito wrote, never a
/// value the client sent) and nothing else of the body; transport errors keep their source in
/// the [`source`](std::error::Error::source) chain (with the endpoint's URL, never another); an
/// answer that is not what the operation returns has a source saying where and what (member
/// path, line, column, the type expected), never quoting the answer. Nothing here, in
/// `Display`, `Debug` or any level of the source chain, holds a password, code, token, session
/// or secret.
#[derive(Debug)]
pub struct ClientError {
    operation: &'static str,
    kind: ClientErrorKind,
    status: Option<StatusCode>,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

/// The kind of a [`ClientError`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientErrorKind {
    /// Cognito answered with an error (`__type` and `message` of the body).
    Cognito {
        /// The error type, parsed into a kind ([`CognitoErrorKind::Other`] when unknown).
        kind: CognitoErrorKind,
        /// The error type name as sent, without namespace or suffix: `NotAuthorizedException`.
        type_name: String,
        /// Cognito's message (empty when none was sent, or when it was not a JSON string), cut
        /// at 1024 characters, control characters replaced by spaces. It is the text Cognito
        /// wrote for the caller ("Incorrect username or password."); Cognito never writes a
        /// password, code, token, session or secret into it.
        message: String,
    },
    /// The request could not be sent or the answer not read (connection, TLS, I/O).
    Transport,
    /// No complete answer within the client's timeout.
    Timeout,
    /// The answer is not what the operation returns.
    Protocol(ProtocolError),
    /// The `PASSWORD_VERIFIER` challenge could not be answered.
    Srp(SrpError),
    /// The call cannot be made with these inputs (nothing was sent).
    InvalidInput(&'static str),
    /// The [`DeviceStore`](crate::device::DeviceStore) failed (its error is the
    /// [`source`](std::error::Error::source)), or has no device for a `DEVICE_SRP_AUTH`
    /// challenge.
    DeviceStore,
}

/// How an answer was not what the operation returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// An error status with no Cognito error type in the body nor in `x-amzn-errortype` (a
    /// value there that is not a type name, such as a token, names none).
    #[error("an error status with no Cognito error type")]
    ErrorStatus,
    /// The body is larger than the cap (1 MiB).
    #[error("the answer is larger than {max} bytes")]
    TooLarge {
        /// The cap, in bytes.
        max: usize,
    },
    /// The body is not JSON, or not of the expected shape. The error's
    /// [`source`](std::error::Error::source) says where and what (member path, problem, type
    /// expected, line and column), never a value of the answer.
    #[error("the answer is not the expected JSON")]
    InvalidJson,
    /// A required field is missing.
    #[error("the answer has no {0}")]
    MissingField(&'static str),
    /// A field is present but malformed.
    #[error("{0} in the answer is malformed")]
    InvalidField(&'static str),
}

/// The Cognito error types an application usually handles; the rest are
/// [`Other`](Self::Other) (the type name is in [`ClientErrorKind::Cognito`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CognitoErrorKind {
    /// `NotAuthorizedException`: wrong password, revoked or expired token, disabled flow.
    NotAuthorized,
    /// `UserNotFoundException`.
    UserNotFound,
    /// `UsernameExistsException`.
    UsernameExists,
    /// `CodeMismatchException`.
    CodeMismatch,
    /// `ExpiredCodeException`.
    ExpiredCode,
    /// `InvalidPasswordException`: the password policy refused the password.
    InvalidPassword,
    /// `InvalidParameterException`.
    InvalidParameter,
    /// `UserNotConfirmedException`.
    UserNotConfirmed,
    /// `PasswordResetRequiredException`.
    PasswordResetRequired,
    /// `LimitExceededException`.
    LimitExceeded,
    /// `TooManyRequestsException`.
    TooManyRequests,
    /// `TooManyFailedAttemptsException`.
    TooManyFailedAttempts,
    /// `ResourceNotFoundException`.
    ResourceNotFound,
    /// `RefreshTokenReuseException`: a refresh token rotated away (by `GetTokensFromRefreshToken`
    /// on an app client with rotation) was used after the grace period.
    RefreshTokenReuse,
    /// `AliasExistsException`: another user has this email or phone number as an alias.
    AliasExists,
    /// `CodeDeliveryFailureException`: the code could not be sent.
    CodeDeliveryFailure,
    /// `EnableSoftwareTokenMFAException`: the TOTP code of a software token setup is wrong.
    EnableSoftwareTokenMfa,
    /// `UserLambdaValidationException`: a Lambda trigger of the pool refused (its message is the
    /// trigger's).
    UserLambdaValidation,
    /// `WebAuthnNotEnabledException`: the pool does not offer passkeys.
    WebAuthnNotEnabled,
    /// `WebAuthnConfigurationMissingException`: the pool has no relying party configured.
    WebAuthnConfigurationMissing,
    /// `WebAuthnChallengeNotFoundException`: no registration under way, or it expired.
    WebAuthnChallengeNotFound,
    /// `WebAuthnRelyingPartyMismatchException`: the credential is for another relying party.
    WebAuthnRelyingPartyMismatch,
    /// `WebAuthnClientMismatchException`: the credential was made for another app client.
    WebAuthnClientMismatch,
    /// `WebAuthnOriginNotAllowedException`: the credential came from an origin the pool refuses.
    WebAuthnOriginNotAllowed,
    /// `WebAuthnCredentialNotSupportedException`: the authenticator's key or attestation is not
    /// supported.
    WebAuthnCredentialNotSupported,
    /// Any other type.
    Other,
}

impl CognitoErrorKind {
    /// The kind of a (stripped) error type name.
    pub fn from_type_name(name: &str) -> Self {
        match name {
            "NotAuthorizedException" => Self::NotAuthorized,
            "UserNotFoundException" => Self::UserNotFound,
            "UsernameExistsException" => Self::UsernameExists,
            "CodeMismatchException" => Self::CodeMismatch,
            "ExpiredCodeException" => Self::ExpiredCode,
            "InvalidPasswordException" => Self::InvalidPassword,
            "InvalidParameterException" => Self::InvalidParameter,
            "UserNotConfirmedException" => Self::UserNotConfirmed,
            "PasswordResetRequiredException" => Self::PasswordResetRequired,
            "LimitExceededException" => Self::LimitExceeded,
            "TooManyRequestsException" => Self::TooManyRequests,
            "TooManyFailedAttemptsException" => Self::TooManyFailedAttempts,
            "ResourceNotFoundException" => Self::ResourceNotFound,
            "RefreshTokenReuseException" => Self::RefreshTokenReuse,
            "AliasExistsException" => Self::AliasExists,
            "CodeDeliveryFailureException" => Self::CodeDeliveryFailure,
            "EnableSoftwareTokenMFAException" => Self::EnableSoftwareTokenMfa,
            "UserLambdaValidationException" => Self::UserLambdaValidation,
            "WebAuthnNotEnabledException" => Self::WebAuthnNotEnabled,
            "WebAuthnConfigurationMissingException" => Self::WebAuthnConfigurationMissing,
            "WebAuthnChallengeNotFoundException" => Self::WebAuthnChallengeNotFound,
            "WebAuthnRelyingPartyMismatchException" => Self::WebAuthnRelyingPartyMismatch,
            "WebAuthnClientMismatchException" => Self::WebAuthnClientMismatch,
            "WebAuthnOriginNotAllowedException" => Self::WebAuthnOriginNotAllowed,
            "WebAuthnCredentialNotSupportedException" => Self::WebAuthnCredentialNotSupported,
            _ => Self::Other,
        }
    }
}

impl ClientError {
    pub(crate) fn new(operation: &'static str, kind: ClientErrorKind) -> Self {
        Self {
            operation,
            kind,
            status: None,
            source: None,
        }
    }

    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.status = Some(status);
        self
    }

    pub(crate) fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    pub(crate) fn protocol(operation: &'static str, error: ProtocolError) -> Self {
        Self::new(operation, ClientErrorKind::Protocol(error))
    }

    /// What went wrong.
    pub fn kind(&self) -> &ClientErrorKind {
        &self.kind
    }

    /// The Cognito operation that failed (`InitiateAuth`, `SignUp`...).
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The HTTP status of the answer, when one came.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// The Cognito error kind, if Cognito answered with an error.
    pub fn cognito_kind(&self) -> Option<CognitoErrorKind> {
        match &self.kind {
            ClientErrorKind::Cognito { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// The Cognito error type name (`NotAuthorizedException`), if Cognito answered with an error.
    pub fn type_name(&self) -> Option<&str> {
        match &self.kind {
            ClientErrorKind::Cognito { type_name, .. } => Some(type_name),
            _ => None,
        }
    }

    /// Cognito's error message, if Cognito answered with an error.
    pub fn message(&self) -> Option<&str> {
        match &self.kind {
            ClientErrorKind::Cognito { message, .. } => Some(message),
            _ => None,
        }
    }

    /// Whether Cognito answered with an error of kind `kind`.
    pub fn is(&self, kind: CognitoErrorKind) -> bool {
        self.cognito_kind() == Some(kind)
    }

    /// Whether the call timed out.
    pub fn is_timeout(&self) -> bool {
        self.kind == ClientErrorKind::Timeout
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.operation)?;
        match &self.kind {
            ClientErrorKind::Cognito {
                type_name, message, ..
            } if message.is_empty() => f.write_str(type_name),
            ClientErrorKind::Cognito {
                type_name, message, ..
            } => write!(f, "{type_name}: {message}"),
            ClientErrorKind::Transport => f.write_str("the request failed"),
            ClientErrorKind::Timeout => f.write_str("no answer within the timeout"),
            ClientErrorKind::Protocol(ProtocolError::ErrorStatus) => match self.status {
                Some(status) => write!(f, "HTTP {} with no Cognito error type", status.as_u16()),
                None => write!(f, "{}", ProtocolError::ErrorStatus),
            },
            ClientErrorKind::Protocol(error) => write!(f, "unexpected answer: {error}"),
            ClientErrorKind::Srp(error) => write!(f, "SRP: {error}"),
            ClientErrorKind::InvalidInput(reason) => f.write_str(reason),
            ClientErrorKind::DeviceStore => f.write_str("the device store failed"),
        }
    }
}

impl StdError for ClientError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}

/// What this client reads of a Cognito error body: `__type`, `code`, `message` and `Message`,
/// each only when its value is a string (the last such value when a member repeats). Every other
/// member, and any of these four with another type (`"message": 5`, an object, `null`), is
/// skipped unread (serde_json skips without recursion, so its depth does not matter): the error
/// type is read whatever the rest of the body holds.
#[derive(Default)]
struct ErrorBody {
    type_: Option<String>,
    code: Option<String>,
    message: Option<String>,
    message_upper: Option<String>,
}

impl<'de> Deserialize<'de> for ErrorBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BodyVisitor;

        impl<'de> Visitor<'de> for BodyVisitor {
            type Value = ErrorBody;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Cognito error body")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ErrorBody, A::Error> {
                let mut body = ErrorBody::default();
                while let Some(member) = map.next_key::<Member>()? {
                    let slot = match member {
                        Member::Type => &mut body.type_,
                        Member::Code => &mut body.code,
                        Member::Message => &mut body.message,
                        Member::MessageUpper => &mut body.message_upper,
                        Member::Other => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    if let StringOrSkipped(Some(text)) = map.next_value()? {
                        *slot = Some(text);
                    }
                }
                Ok(body)
            }
        }

        deserializer.deserialize_map(BodyVisitor)
    }
}

/// A member name of an error body, read without allocating.
enum Member {
    Type,
    Code,
    Message,
    MessageUpper,
    Other,
}

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MemberVisitor;

        impl Visitor<'_> for MemberVisitor {
            type Value = Member;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }

            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Member, E> {
                Ok(match name {
                    "__type" => Member::Type,
                    "code" => Member::Code,
                    "message" => Member::Message,
                    "Message" => Member::MessageUpper,
                    _ => Member::Other,
                })
            }
        }

        deserializer.deserialize_identifier(MemberVisitor)
    }
}

/// A string value, or `None` for a value of any other type (skipped, nested values unread).
struct StringOrSkipped(Option<String>);

impl<'de> Deserialize<'de> for StringOrSkipped {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;

        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = StringOrSkipped;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(StringOrSkipped(Some(text.to_owned())))
            }

            fn visit_string<E: serde::de::Error>(self, text: String) -> Result<Self::Value, E> {
                Ok(StringOrSkipped(Some(text)))
            }

            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(StringOrSkipped(None))
            }

            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(StringOrSkipped(None))
            }

            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(StringOrSkipped(None))
            }

            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(StringOrSkipped(None))
            }

            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(StringOrSkipped(None))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(StringOrSkipped(None))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(StringOrSkipped(None))
            }
        }

        deserializer.deserialize_any(ValueVisitor)
    }
}

/// The error of an answer with an error status, or `None` when it names no error type.
///
/// The type is the first of `__type`, `code` (when they are JSON strings) and the
/// `x-amzn-errortype` header that holds a type name once stripped ([`type_name_of`]). The message
/// is `message`, else `Message`, when a string; it is kept (capped, control characters replaced),
/// since it is the text Cognito wrote for the caller: Cognito marks passwords, codes, tokens,
/// sessions and secrets as sensitive and never writes them into a message. No other member of
/// the body is kept.
pub(crate) fn parse_error(headers: &HeaderMap, body: &[u8]) -> Option<ClientErrorKind> {
    // A body that is not JSON (or not an object) still lets the header name the type.
    let body: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let header = headers
        .get("x-amzn-errortype")
        .and_then(|value| value.to_str().ok());
    let type_name = [body.type_.as_deref(), body.code.as_deref(), header]
        .into_iter()
        .flatten()
        .find_map(type_name_of)?;
    let message = body
        .message
        .or(body.message_upper)
        .map(|message| clean(&message, MAX_MESSAGE_LEN))
        .unwrap_or_default();
    Some(ClientErrorKind::Cognito {
        kind: CognitoErrorKind::from_type_name(type_name),
        type_name: type_name.chars().take(MAX_TYPE_NAME_LEN).collect(),
        message,
    })
}

/// The type name in `raw` ([`strip_type_name`]) when it is one: an ASCII letter or `_`, then
/// ASCII letters, digits and `_` (a Smithy shape name, as every Cognito error type is). Anything
/// else, a token or a code put where the type goes, names no type and is never shown.
fn type_name_of(raw: &str) -> Option<&str> {
    let name = strip_type_name(raw);
    let valid = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    valid.then_some(name)
}

/// `com.amazonaws.cognito#NotAuthorizedException:http://...` → `NotAuthorizedException`:
/// anything after the first `:` goes first (the suffix is a URL that may hold a `#`), then
/// everything up to the last `#`.
fn strip_type_name(raw: &str) -> &str {
    let before_colon = raw.split(':').next().unwrap_or(raw);
    let name = before_colon
        .rsplit_once('#')
        .map_or(before_colon, |(_, name)| name);
    name.trim()
}

/// At most `max` characters, control characters replaced by spaces.
fn clean(text: &str, max: usize) -> String {
    text.chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_stripped() {
        for (raw, name) in [
            ("NotAuthorizedException", "NotAuthorizedException"),
            (
                "com.amazonaws.cognito.identityprovider.model#UserNotFoundException",
                "UserNotFoundException",
            ),
            (
                "CodeMismatchException:http://internal.amazon.com/coral/com.amazon.coral.validate#",
                "CodeMismatchException",
            ),
            ("a#b#ExpiredCodeException:x#y", "ExpiredCodeException"),
            (" LimitExceededException ", "LimitExceededException"),
            ("", ""),
            ("#", ""),
            (":", ""),
        ] {
            assert_eq!(strip_type_name(raw), name, "{raw}");
        }
    }

    /// Every named kind from its type name (the service model's spelling, `MFA` included).
    #[test]
    fn type_names_give_their_kinds() {
        use CognitoErrorKind as K;
        for (name, kind) in [
            ("AliasExistsException", K::AliasExists),
            ("CodeDeliveryFailureException", K::CodeDeliveryFailure),
            ("EnableSoftwareTokenMFAException", K::EnableSoftwareTokenMfa),
            ("UserLambdaValidationException", K::UserLambdaValidation),
            ("WebAuthnNotEnabledException", K::WebAuthnNotEnabled),
            (
                "WebAuthnConfigurationMissingException",
                K::WebAuthnConfigurationMissing,
            ),
            (
                "WebAuthnChallengeNotFoundException",
                K::WebAuthnChallengeNotFound,
            ),
            (
                "WebAuthnRelyingPartyMismatchException",
                K::WebAuthnRelyingPartyMismatch,
            ),
            ("WebAuthnClientMismatchException", K::WebAuthnClientMismatch),
            (
                "WebAuthnOriginNotAllowedException",
                K::WebAuthnOriginNotAllowed,
            ),
            (
                "WebAuthnCredentialNotSupportedException",
                K::WebAuthnCredentialNotSupported,
            ),
            ("EnableSoftwareTokenMfaException", K::Other),
            ("WebAuthnException", K::Other),
        ] {
            assert_eq!(CognitoErrorKind::from_type_name(name), kind, "{name}");
        }
    }

    #[test]
    fn parse_prefers_body_then_header() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-amzn-errortype",
            "UserNotFoundException:".parse().unwrap(),
        );
        let kind = parse_error(&headers, br#"{"__type":"NotAuthorizedException"}"#).unwrap();
        assert!(matches!(
            kind,
            ClientErrorKind::Cognito {
                kind: CognitoErrorKind::NotAuthorized,
                ..
            }
        ));
        let kind = parse_error(&headers, b"<html>").unwrap();
        assert!(matches!(
            kind,
            ClientErrorKind::Cognito {
                kind: CognitoErrorKind::UserNotFound,
                ..
            }
        ));
        assert_eq!(parse_error(&HeaderMap::new(), b"{}"), None);
        assert_eq!(parse_error(&HeaderMap::new(), br#"{"__type":""}"#), None);
        assert_eq!(parse_error(&HeaderMap::new(), b"[1,2]"), None);
    }

    /// `(type name, message)` of an error body, with no header.
    fn parsed(body: &str) -> Option<(String, String)> {
        match parse_error(&HeaderMap::new(), body.as_bytes())? {
            ClientErrorKind::Cognito {
                type_name, message, ..
            } => Some((type_name, message)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_type_is_read_whatever_the_other_members_are() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let na = "NotAuthorizedException";
        for (body, type_name, message) in [
            (r#"{"__type":"NotAuthorizedException","message":5}"#.to_owned(), na, ""),
            (r#"{"__type":"NotAuthorizedException","message":-1.5e300}"#.to_owned(), na, ""),
            (r#"{"__type":"NotAuthorizedException","message":true}"#.to_owned(), na, ""),
            (r#"{"__type":"NotAuthorizedException","message":null}"#.to_owned(), na, ""),
            (r#"{"__type":"NotAuthorizedException"}"#.to_owned(), na, ""),
            (
                r#"{"__type":"NotAuthorizedException","message":{"AccessToken":"eyJ.a.b"}}"#
                    .to_owned(),
                na,
                "",
            ),
            (r#"{"__type":"NotAuthorizedException","message":["m"]}"#.to_owned(), na, ""),
            (format!(r#"{{"__type":"{na}","message":{deep}}}"#), na, ""),
            (format!(r#"{{"x":{deep},"__type":"{na}","y":{deep}}}"#), na, ""),
            (r#"{"__type":"NotAuthorizedException","Message":"M"}"#.to_owned(), na, "M"),
            (
                r#"{"__type":"NotAuthorizedException","message":5,"Message":"M"}"#.to_owned(),
                na,
                "M",
            ),
            (
                r#"{"message":"m","__type":"NotAuthorizedException","Message":"M"}"#.to_owned(),
                na,
                "m",
            ),
            (
                r#"{"a":[1,{"b":null}],"__type":"NotAuthorizedException","z":{"y":[true]},"message":"m"}"#
                    .to_owned(),
                na,
                "m",
            ),
            // A repeated member: its last string value, as `JSON.parse` reads it.
            (
                r#"{"__type":"NotAuthorizedException","message":"a","message":"b"}"#.to_owned(),
                na,
                "b",
            ),
            (
                r#"{"__type":"UserNotFoundException","__type":"NotAuthorizedException","__type":5}"#
                    .to_owned(),
                na,
                "",
            ),
            // `__type` that is not a string, or not a type name: `code`.
            (r#"{"__type":5,"code":"NotAuthorizedException"}"#.to_owned(), na, ""),
            (r#"{"__type":"","code":"NotAuthorizedException"}"#.to_owned(), na, ""),
            (
                r#"{"__type":"eyJ.token.value","code":"NotAuthorizedException"}"#.to_owned(),
                na,
                "",
            ),
        ] {
            assert_eq!(
                parsed(&body),
                Some((type_name.to_owned(), message.to_owned())),
                "{}",
                body.get(..200).unwrap_or(&body)
            );
        }
    }

    #[test]
    fn only_type_names_name_a_type() {
        for body in [
            r#"{"__type":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}"#,
            r#"{"__type":"918273"}"#,
            r#"{"__type":"session-value+/="}"#,
            r#"{"__type":"Not Authorized"}"#,
            r#"{"code":"a.b"}"#,
            r#"{"__type":5,"code":null}"#,
            r#""NotAuthorizedException""#,
            r#"{"__type":"NotAuthorizedException"} trailing"#,
        ] {
            assert_eq!(parsed(body), None, "{body}");
        }
        // The header is the fallback for a body type that is no type name.
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-amzn-errortype",
            "UserNotFoundException:".parse().unwrap(),
        );
        let kind = parse_error(&headers, br#"{"__type":"918273","message":"m"}"#).unwrap();
        assert_eq!(
            kind,
            ClientErrorKind::Cognito {
                kind: CognitoErrorKind::UserNotFound,
                type_name: "UserNotFoundException".to_owned(),
                message: "m".to_owned(),
            }
        );
        headers.insert("x-amzn-errortype", "eyJ.token.value".parse().unwrap());
        assert_eq!(parse_error(&headers, b"{}"), None);
        for name in ["_X", "A1", "NotAuthorizedException"] {
            assert_eq!(type_name_of(name), Some(name));
        }
    }

    #[test]
    fn messages_are_capped_and_cleaned() {
        let body = serde_json::json!({
            "__type": "X".repeat(500),
            "message": format!("line1\nline2{}", "m".repeat(5000)),
        });
        let kind = parse_error(&HeaderMap::new(), body.to_string().as_bytes()).unwrap();
        let ClientErrorKind::Cognito {
            kind,
            type_name,
            message,
        } = kind
        else {
            panic!("{kind:?}")
        };
        assert_eq!(kind, CognitoErrorKind::Other);
        assert_eq!(type_name.len(), MAX_TYPE_NAME_LEN);
        assert_eq!(message.chars().count(), MAX_MESSAGE_LEN);
        assert!(message.starts_with("line1 line2"));
    }
}
