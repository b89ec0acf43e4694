//! The token endpoint's answers, checked: a token answer is cached only when every member is
//! what Cognito sends; an error answer gives its OAuth code and a printable description.

use serde_json::Value;

use super::error::{TokenError, TokenErrorKind};
use crate::token_endpoint;

/// A token answer that passed every check.
pub(crate) struct Granted {
    pub(crate) access_token: String,
    pub(crate) expires_in: u64,
}

fn invalid(detail: &'static str) -> TokenError {
    TokenError::new(TokenErrorKind::InvalidAnswer, detail)
}

/// Reads a 200 answer: a JSON object whose token passes
/// [`token_endpoint::access_token`].
pub(crate) fn granted(body: &[u8]) -> Result<Granted, TokenError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|_| invalid("the token answer is not JSON"))?;
    let Value::Object(map) = value else {
        return Err(invalid("the token answer is not a JSON object"));
    };
    let (access_token, expires_in) = token_endpoint::access_token(&map).map_err(invalid)?;
    Ok(Granted {
        access_token: access_token.to_owned(),
        expires_in,
    })
}

/// Reads an error answer of status `status`: an OAuth error object gives a
/// [`TokenErrorKind::Refused`], anything else a [`TokenErrorKind::Status`].
pub(crate) fn refused(status: u16, body: &[u8]) -> TokenError {
    match token_endpoint::oauth_error(body) {
        Some((code, description)) => TokenError::refused(status, &code, description.as_deref()),
        None => TokenError::status_error(status),
    }
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
