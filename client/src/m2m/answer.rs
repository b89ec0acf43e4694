//! The token endpoint's answers, checked: a token answer is cached only when every member is
//! what Cognito sends; an error answer gives its OAuth code and a printable description.

use serde_json::Value;

use super::error::{TokenError, TokenErrorKind};

/// Largest answer read, in bytes (Cognito's are about 1-2 KiB).
pub(crate) const MAX_ANSWER_SIZE: usize = 64 * 1024;
/// Longest access-token lifetime Cognito issues: one day.
pub(crate) const MAX_EXPIRES_IN: u64 = 86_400;
/// Longest `error_description` shown.
const MAX_DESCRIPTION: usize = 256;

/// A token answer that passed every check.
pub(crate) struct Granted {
    pub(crate) access_token: String,
    pub(crate) expires_in: u64,
}

fn invalid(detail: &'static str) -> TokenError {
    TokenError::new(TokenErrorKind::InvalidAnswer, detail)
}

/// Reads a 200 answer: a JSON object with `token_type` `Bearer` (any case), a header-safe
/// `access_token` and an integer `expires_in` from 1 to 86 400.
pub(crate) fn granted(body: &[u8]) -> Result<Granted, TokenError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|_| invalid("the token answer is not JSON"))?;
    let Value::Object(map) = value else {
        return Err(invalid("the token answer is not a JSON object"));
    };
    match map.get("token_type") {
        Some(Value::String(t)) if t.eq_ignore_ascii_case("bearer") => {}
        _ => return Err(invalid("the token answer's token_type is not Bearer")),
    }
    let access_token = match map.get("access_token") {
        // A b64token or any visible ASCII: it goes into an `Authorization` header as is.
        Some(Value::String(t)) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()) => {
            t.clone()
        }
        _ => {
            return Err(invalid(
                "the token answer's access_token is not a non-empty visible-ASCII string",
            ));
        }
    };
    let expires_in = map
        .get("expires_in")
        .and_then(Value::as_u64)
        .filter(|s| (1..=MAX_EXPIRES_IN).contains(s))
        .ok_or_else(|| {
            invalid("the token answer's expires_in is not an integer from 1 to 86400")
        })?;
    Ok(Granted {
        access_token,
        expires_in,
    })
}

/// Reads an error answer of status `status`: an OAuth error object gives a
/// [`TokenErrorKind::Refused`], anything else a [`TokenErrorKind::Status`].
pub(crate) fn refused(status: u16, body: &[u8]) -> TokenError {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return TokenError::status_error(status);
    };
    let code = map.get("error").and_then(Value::as_str).filter(|c| {
        !c.is_empty() && c.len() <= 64 && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    });
    let Some(code) = code else {
        return TokenError::status_error(status);
    };
    let description = map
        .get("error_description")
        .and_then(Value::as_str)
        .filter(|d| d.len() <= MAX_DESCRIPTION && d.bytes().all(|b| matches!(b, 0x20..=0x7e)));
    TokenError::refused(status, code, description)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(body: &str) -> Option<TokenErrorKind> {
        granted(body.as_bytes()).err().map(|e| e.kind())
    }

    #[test]
    fn a_token_answer_is_checked_member_by_member() {
        let ok = granted(br#"{"access_token":"a.b.c","expires_in":3600,"token_type":"Bearer"}"#);
        let ok = ok.unwrap();
        assert_eq!((ok.access_token.as_str(), ok.expires_in), ("a.b.c", 3600));
        assert!(
            granted(br#"{"access_token":"t","expires_in":86400,"token_type":"bearer"}"#).is_ok()
        );
        let invalid = Some(TokenErrorKind::InvalidAnswer);
        for body in [
            r#"{"access_token":"t","expires_in":0,"token_type":"Bearer"}"#,
            r#"{"access_token":"t","expires_in":-1,"token_type":"Bearer"}"#,
            r#"{"access_token":"t","expires_in":"3600","token_type":"Bearer"}"#,
            r#"{"access_token":"t","expires_in":1e12,"token_type":"Bearer"}"#,
            r#"{"access_token":"t","expires_in":3600.5,"token_type":"Bearer"}"#,
            r#"{"access_token":"t","expires_in":1000000000000,"token_type":"Bearer"}"#,
            r#"{"access_token":"t","expires_in":86401,"token_type":"Bearer"}"#,
            r#"{"access_token":"t","token_type":"Bearer"}"#,
            r#"{"access_token":"t","expires_in":3600,"token_type":"mac"}"#,
            r#"{"access_token":"t","expires_in":3600}"#,
            r#"{"access_token":"","expires_in":3600,"token_type":"Bearer"}"#,
            r#"{"access_token":"a b","expires_in":3600,"token_type":"Bearer"}"#,
            r#"{"access_token":"a\nb","expires_in":3600,"token_type":"Bearer"}"#,
            r#"{"access_token":7,"expires_in":3600,"token_type":"Bearer"}"#,
            r#"{"expires_in":3600,"token_type":"Bearer"}"#,
            r#"["access_token"]"#,
            "<html>ok</html>",
            "",
        ] {
            assert_eq!(kind(body), invalid, "{body}");
        }
    }

    #[test]
    fn an_error_answer_gives_its_code_and_a_printable_description() {
        let e = refused(
            400,
            br#"{"error":"invalid_scope","error_description":"Bad scope"}"#,
        );
        assert_eq!(e.kind(), TokenErrorKind::Refused);
        assert_eq!(
            (e.status(), e.oauth_error()),
            (Some(400), Some("invalid_scope"))
        );
        assert!(e.to_string().contains("Bad scope"), "{e}");
        let e = refused(
            400,
            br#"{"error":"invalid_grant","error_description":"line\nbreak"}"#,
        );
        assert!(!e.to_string().contains("line"), "{e}");
        let e = refused(400, br#"{"error":"Not A Code"}"#);
        assert_eq!((e.kind(), e.oauth_error()), (TokenErrorKind::Status, None));
        let e = refused(503, b"<html>Service Unavailable</html>");
        assert_eq!((e.kind(), e.status()), (TokenErrorKind::Status, Some(503)));
    }
}
