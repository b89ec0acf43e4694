//! [`ClientError`]: why a user-pool call failed, with the Cognito error type parsed defensively.

use std::error::Error as StdError;
use std::fmt;

use http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::srp::SrpError;

/// Longest error type name kept (Cognito's are under 50 characters).
const MAX_TYPE_NAME_LEN: usize = 128;
/// Longest error message kept, in characters.
const MAX_MESSAGE_LEN: usize = 1024;

/// Why a call of [`UserPoolClient`](super::UserPoolClient) failed.
///
/// [`kind`](Self::kind) tells what went wrong; [`operation`](Self::operation) names the Cognito
/// operation. A Cognito error keeps its type name and message (the text Cognito wrote, never a
/// value the client sent); transport errors keep their source in the
/// [`source`](std::error::Error::source) chain. Nothing here ever holds a password, code,
/// token, session or secret.
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
        /// Cognito's message (empty when none was sent), cut at 1024 characters, control
        /// characters replaced by spaces.
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
}

/// How an answer was not what the operation returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// An error status with no Cognito error type in the body nor in `x-amzn-errortype`.
    #[error("an error status with no Cognito error type")]
    ErrorStatus,
    /// The body is larger than the cap (1 MiB).
    #[error("the answer is larger than {max} bytes")]
    TooLarge {
        /// The cap, in bytes.
        max: usize,
    },
    /// The body is not JSON, or not of the expected shape.
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

/// The error fields of a Cognito error body: `__type` or `code`, `message` or `Message`.
#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(rename = "__type")]
    type_: Option<String>,
    code: Option<String>,
    message: Option<String>,
    #[serde(rename = "Message")]
    message_upper: Option<String>,
}

/// The error of an answer with an error status, or `None` when it names no error type.
pub(crate) fn parse_error(headers: &HeaderMap, body: &[u8]) -> Option<ClientErrorKind> {
    // A body that is not JSON (or not an object) still lets the header name the type.
    let body: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let from_body = body
        .type_
        .as_deref()
        .or(body.code.as_deref())
        .map(strip_type_name)
        .filter(|name| !name.is_empty());
    let from_header = || {
        headers
            .get("x-amzn-errortype")
            .and_then(|value| value.to_str().ok())
            .map(strip_type_name)
            .filter(|name| !name.is_empty())
    };
    let type_name = clean(from_body.or_else(from_header)?, MAX_TYPE_NAME_LEN);
    let message = body
        .message
        .or(body.message_upper)
        .map(|message| clean(&message, MAX_MESSAGE_LEN))
        .unwrap_or_default();
    Some(ClientErrorKind::Cognito {
        kind: CognitoErrorKind::from_type_name(&type_name),
        type_name,
        message,
    })
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
