//! Reading a success answer into its wire type: the one place every answer is decoded.
//!
//! serde_json's errors quote the input (`invalid type: string "eyJ...", expected u64`), and a
//! success answer carries tokens, sessions, codes and TOTP secrets. So a failed decode never keeps
//! serde_json's error: it becomes a [`DecodeError`] that says where (the member path, line and
//! column) and what (the kind of problem, and what the wire type expected), built only from the
//! client's own type and member names, never from a value of the answer.

use std::fmt::{self, Write as _};

use serde::de::DeserializeOwned;
use serde_json::error::Category;

use super::error::{ClientError, ProtocolError};

/// Longest member name, and longest "expected ..." text, kept in a [`DecodeError`].
const MAX_NAME_LEN: usize = 64;

/// Reads `bytes` as `T` (an empty or all-whitespace body reads as `{}`, as Cognito sends for
/// operations without output). On failure, a [`ProtocolError::InvalidJson`] whose source is a
/// [`DecodeError`].
pub(crate) fn decode<T: DeserializeOwned>(
    operation: &'static str,
    bytes: &[u8],
) -> Result<T, ClientError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let decoded = match serde_path_to_error::deserialize(&mut de) {
        Ok(value) => de
            .end()
            .map(|()| value)
            .map_err(|e| DecodeError::new("", &e)),
        Err(e) => Err(DecodeError::new(&render_path(e.path()), e.inner())),
    };
    decoded.map_err(|error| {
        crate::log::debug!(operation, %error, "cognito answer is not the expected JSON");
        ClientError::protocol(operation, ProtocolError::InvalidJson).with_source(error)
    })
}

/// Where and how an answer differs from what the operation returns; the source of a
/// [`ProtocolError::InvalidJson`]. Holds member names of the client's wire types, positions and
/// fixed words only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError {
    /// `AuthenticationResult.ExpiresIn`, `UserAttributes[0].Value`; empty for the whole answer.
    /// A member name that does not look like one (a map key of the answer) shows as `<key>`.
    path: String,
    problem: Problem,
    /// What the wire type wanted (`u64`, `a string`, `struct AuthenticationResult`), or the
    /// member a problem is about (missing, duplicate), when serde named it.
    detail: Option<String>,
    /// 1-based position of the problem in the answer (0 when unknown).
    line: usize,
    column: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Problem {
    /// Not JSON (a syntax error, trailing characters).
    Syntax,
    /// The JSON ends early.
    Eof,
    /// A value of another JSON type than the member's.
    InvalidType,
    /// A value of the right JSON type but out of range.
    InvalidValue,
    /// A list or tuple of the wrong length.
    InvalidLength,
    /// A required member is absent.
    MissingMember,
    /// A member appears twice.
    DuplicateMember,
    /// A member or variant the type does not know (never quoted: its name is the answer's).
    Unknown,
    /// Anything else the wire type refused.
    Other,
}

impl DecodeError {
    fn new(path: &str, error: &serde_json::Error) -> Self {
        let (problem, detail) = match error.classify() {
            Category::Syntax => (Problem::Syntax, None),
            Category::Eof => (Problem::Eof, None),
            Category::Io => (Problem::Other, None),
            Category::Data => classify_data(error),
        };
        Self {
            path: path.to_owned(),
            problem,
            detail,
            line: error.line(),
            column: error.column(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str("the answer: ")?;
        } else {
            write!(f, "{}: ", self.path)?;
        }
        let detail = self.detail.as_deref();
        match (self.problem, detail) {
            (Problem::Syntax, _) => f.write_str("not valid JSON")?,
            (Problem::Eof, _) => f.write_str("the JSON ends early")?,
            (Problem::InvalidType, None) => f.write_str("invalid type")?,
            (Problem::InvalidType, Some(expected)) => {
                write!(f, "invalid type, expected {expected}")?
            }
            (Problem::InvalidValue, None) => f.write_str("invalid value")?,
            (Problem::InvalidValue, Some(expected)) => {
                write!(f, "invalid value, expected {expected}")?;
            }
            (Problem::InvalidLength, None) => f.write_str("invalid length")?,
            (Problem::InvalidLength, Some(expected)) => {
                write!(f, "invalid length, expected {expected}")?;
            }
            (Problem::MissingMember, None) => f.write_str("a required member is missing")?,
            (Problem::MissingMember, Some(member)) => write!(f, "no member {member}")?,
            (Problem::DuplicateMember, None) => f.write_str("a member appears twice")?,
            (Problem::DuplicateMember, Some(member)) => write!(f, "member {member} appears twice")?,
            (Problem::Unknown, _) => f.write_str("an unknown member or variant")?,
            (Problem::Other, _) => f.write_str("an unexpected value")?,
        }
        if self.line > 0 {
            write!(f, " (line {}, column {})", self.line, self.column)?;
        }
        Ok(())
    }
}

impl std::error::Error for DecodeError {}

/// The kind of a data error and what it names, from serde's fixed message forms
/// (`invalid type: <the value>, expected <what>`, `missing field `<name>``...). The value part
/// is never kept: only the text after the last `, expected ` (written by the wire type's
/// visitor, after the value) or between the backticks of a missing or duplicate field (a name
/// of the wire type), and only when it passes [`safe_detail`]. A message of any other form
/// keeps nothing but [`Problem::Other`].
fn classify_data(error: &serde_json::Error) -> (Problem, Option<String>) {
    let message = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    let message = message.strip_suffix(&position).unwrap_or(&message);
    let expected = |rest: &str| {
        rest.rsplit_once(", expected ")
            .and_then(|(_, expected)| safe_detail(expected))
    };
    let backticked = |rest: &str| rest.strip_suffix('`').and_then(safe_detail);
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        (Problem::InvalidType, expected(rest))
    } else if let Some(rest) = message.strip_prefix("invalid value: ") {
        (Problem::InvalidValue, expected(rest))
    } else if let Some(rest) = message.strip_prefix("invalid length ") {
        (Problem::InvalidLength, expected(rest))
    } else if let Some(rest) = message.strip_prefix("missing field `") {
        (Problem::MissingMember, backticked(rest))
    } else if let Some(rest) = message.strip_prefix("duplicate field `") {
        (Problem::DuplicateMember, backticked(rest))
    } else if message.starts_with("unknown field") || message.starts_with("unknown variant") {
        (Problem::Unknown, None)
    } else {
        (Problem::Other, None)
    }
}

/// `text` when it can only be a type or member name of the client: at most 64 bytes of ASCII
/// letters, digits, spaces and `_`. serde quotes every value it reports (`"..."`, `` `5` ``),
/// so even a misread message could not pass a value through here.
fn safe_detail(text: &str) -> Option<String> {
    let ok = !text.is_empty()
        && text.len() <= MAX_NAME_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'_');
    ok.then(|| text.to_owned())
}

/// `AuthenticationResult.ExpiresIn`, `UserAttributes[0].Value`. A map key is the answer's own
/// text (a struct member's is one of the wire type's names, but a `ChallengeParameters` key is
/// whatever came): it is shown only when it looks like a member name, else as `<key>`.
fn render_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;

    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => {
                let _ = write!(out, "[{index}]");
            }
            Segment::Map { key: name } | Segment::Enum { variant: name } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(if is_member_name(name) { name } else { "<key>" });
            }
            Segment::Unknown => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push('?');
            }
        }
    }
    out
}

/// An ASCII letter, then letters, digits and `_`, at most 64 bytes: the shape of Cognito's
/// member and challenge parameter names (`AuthenticationResult`, `USER_ID_FOR_SRP`,
/// `requiredAttributes`), never that of a token, session or code.
fn is_member_name(name: &str) -> bool {
    name.len() <= MAX_NAME_LEN
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::super::error::ClientErrorKind;
    use super::super::wire;
    use super::*;

    /// The source of the error of decoding `body` as `T`, as text.
    fn source_of<T: DeserializeOwned>(body: &str) -> String {
        let error = decode::<T>("Op", body.as_bytes()).err().unwrap();
        assert_eq!(
            error.kind(),
            &ClientErrorKind::Protocol(ProtocolError::InvalidJson)
        );
        error.source().unwrap().to_string()
    }

    #[test]
    fn errors_say_where_and_what_never_the_value() {
        for (body, expected) in [
            (
                r#"{"AuthenticationResult":"eyJ.secret"}"#,
                "AuthenticationResult: invalid type, expected struct AuthenticationResult \
                 (line 1, column 36)",
            ),
            (
                r#"{"AuthenticationResult":{"AccessToken":"eyJ.a","ExpiresIn":"eyJ.b"}}"#,
                "AuthenticationResult.ExpiresIn: invalid type, expected u64 (line 1, column 66)",
            ),
            (
                r#"{"AuthenticationResult":{"ExpiresIn":-5}}"#,
                "AuthenticationResult.ExpiresIn: invalid value, expected u64 (line 1, column 39)",
            ),
            (
                r#"{"ChallengeParameters":{"SRP_B":918273}}"#,
                "ChallengeParameters.SRP_B: invalid type, expected a string (line 1, column 38)",
            ),
            (
                r#"{"ChallengeParameters":{"eyJ.token":1}}"#,
                "ChallengeParameters.<key>: invalid type, expected a string (line 1, column 37)",
            ),
            (
                r#"{"ChallengeParameters":{"918273":1}}"#,
                "ChallengeParameters.<key>: invalid type, expected a string (line 1, column 34)",
            ),
            (
                r#"{"AuthenticationResult":{"AccessToken":"eyJ.secret"#,
                "AuthenticationResult.AccessToken: the JSON ends early (line 1, column 50)",
            ),
            (
                r#"{"AuthenticationResult":{"AccessToken":"eyJ\q"}}"#,
                "AuthenticationResult.AccessToken: not valid JSON (line 1, column 45)",
            ),
            (
                r#"{"AuthenticationResult":{}} "eyJ.secret""#,
                "the answer: not valid JSON (line 1, column 29)",
            ),
            (
                "eyJ.secret",
                "the answer: not valid JSON (line 1, column 1)",
            ),
            (
                // A list reads as the struct's members in order.
                r#"["eyJ.secret"]"#,
                "[0]: invalid type, expected struct AuthenticationResult (line 1, column 13)",
            ),
        ] {
            let source = source_of::<wire::AuthResponse>(body);
            assert_eq!(source, expected, "{body}");
        }
        for (body, expected) in [
            (
                r#"{"UserAttributes":[{"Name":"email","Value":"a"},{"Value":"eyJ.secret"}]}"#,
                "UserAttributes[1]: no member Name (line 1, column 70)",
            ),
            (
                r#"{"UserAttributes":[{"Name":"email","Value":{"v":"eyJ.secret"}}]}"#,
                "UserAttributes[0].Value: invalid type, expected a string (line 1, column 43)",
            ),
            (
                r#"{"UserAttributes":[{"Name":"a","Name":"eyJ.secret"}]}"#,
                "UserAttributes[0]: member Name appears twice (line 1, column 37)",
            ),
            (
                r#"{"UserMFASettingList":"eyJ.secret"}"#,
                "UserMFASettingList: invalid type, expected a sequence (line 1, column 34)",
            ),
        ] {
            let source = source_of::<wire::GetUserResponse>(body);
            assert_eq!(source, expected, "{body}");
        }
    }

    #[test]
    fn empty_bodies_read_as_an_empty_object() {
        for body in ["", " \r\n\t"] {
            assert!(decode::<wire::Empty>("Op", body.as_bytes()).is_ok());
        }
    }

    #[test]
    fn only_safe_details_are_kept() {
        for ok in [
            "u64",
            "a string",
            "struct AuthenticationResult",
            "Name",
            "i128",
        ] {
            assert_eq!(safe_detail(ok).as_deref(), Some(ok));
        }
        for refused in [
            "",
            "string \"x\"",
            "integer `5`",
            "eyJ.token",
            "one of `a`, `b`",
            &"x".repeat(65),
        ] {
            assert_eq!(safe_detail(refused), None, "{refused}");
        }
        for ok in [
            "AuthenticationResult",
            "USER_ID_FOR_SRP",
            "requiredAttributes",
        ] {
            assert!(is_member_name(ok), "{ok}");
        }
        for refused in ["", "918273", "_x", "eyJ.a.b", "a-b", "a b", &"A".repeat(65)] {
            assert!(!is_member_name(refused), "{refused}");
        }
    }

    mod properties {
        use proptest::prelude::*;
        use serde_json::{Value, json};

        use super::*;

        const MARK: &str = "s3cr3t-918273";

        /// Any JSON value whose strings, keys and numbers carry the marker (`918273`).
        fn marked_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(json!(MARK)),
                Just(json!(format!("eyJ.{MARK}.sig"))),
                Just(json!(918_273_u64)),
                Just(json!(-918_273_i64)),
                Just(json!(918_273.5_f64)),
                Just(json!(true)),
                Just(Value::Null),
            ];
            leaf.prop_recursive(4, 24, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    prop::collection::vec((member_name(), inner), 0..4)
                        .prop_map(|members| Value::Object(members.into_iter().collect())),
                ]
            })
        }

        /// The wire types' member names, and keys that carry the marker.
        fn member_name() -> impl Strategy<Value = String> {
            prop::sample::select(vec![
                "AuthenticationResult",
                "AccessToken",
                "IdToken",
                "RefreshToken",
                "ExpiresIn",
                "TokenType",
                "ChallengeName",
                "Session",
                "ChallengeParameters",
                "SRP_B",
                "Username",
                "UserAttributes",
                "Name",
                "Value",
                "UserMFASettingList",
                "SecretCode",
                "Status",
                "UserConfirmed",
                "UserSub",
                "CodeDeliveryDetails",
                MARK,
                "918273",
            ])
            .prop_map(str::to_owned)
        }

        /// No level of the error of decoding `body` as `T` shows the marker.
        fn check<T: DeserializeOwned>(body: &[u8]) -> Result<(), TestCaseError> {
            if let Err(error) = decode::<T>("Op", body) {
                let mut level: Option<&(dyn std::error::Error + 'static)> = Some(&error);
                for _ in 0..8 {
                    let Some(current) = level else { break };
                    let text = format!("{current} {current:?}");
                    prop_assert!(!text.contains("918273"), "{}", text);
                    level = current.source();
                }
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// An answer of any shape, as a value or as its text cut anywhere.
            #[test]
            fn decode_errors_never_show_a_value(
                members in prop::collection::vec((member_name(), marked_value()), 0..6),
                cut in any::<prop::sample::Index>(),
            ) {
                let body = Value::Object(members.into_iter().collect()).to_string();
                let truncated = body.get(..cut.index(body.len() + 1)).unwrap_or(&body);
                for text in [body.as_str(), truncated] {
                    check::<wire::AuthResponse>(text.as_bytes())?;
                    check::<wire::GetUserResponse>(text.as_bytes())?;
                    check::<wire::SignUpResponse>(text.as_bytes())?;
                    check::<wire::AssociateSoftwareTokenResponse>(text.as_bytes())?;
                    check::<wire::CodeDeliveryListResponse>(text.as_bytes())?;
                }
            }
        }
    }

    /// A message of a form serde never wrote keeps nothing of its text.
    #[test]
    fn unknown_message_forms_keep_nothing() {
        use serde::de::Error as _;
        let error = serde_json::Error::custom("the value eyJ.secret is wrong");
        let decoded = DecodeError::new("", &error);
        assert_eq!(decoded.problem, Problem::Other);
        assert_eq!(decoded.detail, None);
        assert_eq!(decoded.to_string(), "the answer: an unexpected value");
    }
}
