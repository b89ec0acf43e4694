//! [`TokenError`]: why the token source has no token to give.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// What kind of failure a [`TokenError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenErrorKind {
    /// The token endpoint answered with an OAuth error (`invalid_client`, `invalid_scope`,
    /// `unauthorized_client`, ...): see [`TokenError::oauth_error`].
    Refused,
    /// The token endpoint answered an error status without an OAuth error (a 500, a 503 from a
    /// proxy, ...).
    Status,
    /// The request could not be sent or its answer read (connection refused, TLS, reset).
    Transport,
    /// No complete answer within the source's timeout.
    Timeout,
    /// A 200 answer that is not a valid token answer: not a JSON object, over 64 KiB, a
    /// `token_type` other than `Bearer`, an `access_token` that is not a header-safe string, an
    /// `expires_in` that is not an integer from 1 to 86 400. Nothing of it is cached.
    InvalidAnswer,
    /// The source is backing off after failures and has no valid token: no request was made.
    /// [`TokenError::retry_in`] says when the next one may be; the source chain holds the
    /// failure that started the backoff.
    BackingOff,
}

/// Why [`TokenSource`](super::TokenSource) could not give a token. Cheap to clone (callers
/// waiting on one request all get its error).
///
/// It shows the token endpoint's status, its OAuth `error` code and `error_description`
/// (printable ASCII, at most 256 characters, else left out), never the client secret or a
/// token.
#[derive(Clone)]
pub struct TokenError {
    kind: TokenErrorKind,
    detail: &'static str,
    status: Option<u16>,
    oauth_error: Option<Box<str>>,
    description: Option<Box<str>>,
    retry_in: Option<Duration>,
    source: Option<Arc<dyn StdError + Send + Sync>>,
}

impl TokenError {
    pub(crate) fn new(kind: TokenErrorKind, detail: &'static str) -> Self {
        Self {
            kind,
            detail,
            status: None,
            oauth_error: None,
            description: None,
            retry_in: None,
            source: None,
        }
    }

    pub(crate) fn refused(status: u16, error: &str, description: Option<&str>) -> Self {
        let mut e = Self::new(
            TokenErrorKind::Refused,
            "the token endpoint refused the request",
        );
        e.status = Some(status);
        e.oauth_error = Some(error.into());
        e.description = description.map(Into::into);
        e
    }

    pub(crate) fn status_error(status: u16) -> Self {
        let mut e = Self::new(
            TokenErrorKind::Status,
            "the token endpoint answered an error",
        );
        e.status = Some(status);
        e
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub(crate) fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    pub(crate) fn backing_off(cause: &TokenError, retry_in: Duration) -> Self {
        let mut e = Self::new(
            TokenErrorKind::BackingOff,
            "no valid token while backing off after a failed token request",
        );
        e.retry_in = Some(retry_in);
        e.source = Some(Arc::new(cause.clone()));
        e
    }

    /// The kind.
    pub fn kind(&self) -> TokenErrorKind {
        self.kind
    }

    /// The token endpoint's HTTP status, when it answered.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The OAuth `error` code of a refusal (`invalid_client`, `invalid_scope`, ...).
    pub fn oauth_error(&self) -> Option<&str> {
        self.oauth_error.as_deref()
    }

    /// How long until the source makes its next request ([`TokenErrorKind::BackingOff`]).
    pub fn retry_in(&self) -> Option<Duration> {
        self.retry_in
    }

    /// Whether the failure is the application's configuration, which retrying will not fix:
    /// the client id or secret refused (`invalid_client`, or 401), a scope the client may not
    /// have (`invalid_scope`), or a client not allowed client credentials
    /// (`unauthorized_client`, `unsupported_grant_type`). The source backs off long on them.
    pub fn is_configuration(&self) -> bool {
        match self.kind {
            TokenErrorKind::Refused => {
                self.status == Some(401)
                    || matches!(
                        self.oauth_error.as_deref(),
                        Some(
                            "invalid_client"
                                | "invalid_scope"
                                | "unauthorized_client"
                                | "unsupported_grant_type"
                        )
                    )
            }
            TokenErrorKind::Status => self.status == Some(401),
            _ => false,
        }
    }

    /// Whether the client credentials were refused (`invalid_client`, or a 401).
    pub(crate) fn is_invalid_client(&self) -> bool {
        self.status == Some(401) || self.oauth_error.as_deref() == Some("invalid_client")
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.detail)?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status}")?;
            if let Some(error) = &self.oauth_error {
                write!(f, ", {error}")?;
            }
            if let Some(description) = &self.description {
                write!(f, ": {description}")?;
            }
            f.write_str(")")?;
        }
        if let Some(retry_in) = self.retry_in {
            write!(f, "; next request in {:.1} s", retry_in.as_secs_f64())?;
        }
        Ok(())
    }
}

impl fmt::Debug for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenError")
            .field("kind", &self.kind)
            .field("detail", &self.detail)
            .field("status", &self.status)
            .field("oauth_error", &self.oauth_error)
            .field("description", &self.description)
            .field("retry_in", &self.retry_in)
            .field("source", &self.source)
            .finish()
    }
}

impl StdError for TokenError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_the_refusal_and_the_backoff() {
        let e = TokenError::refused(400, "invalid_scope", Some("Invalid scope requested"));
        assert_eq!(
            e.to_string(),
            "the token endpoint refused the request (HTTP 400, invalid_scope: Invalid scope requested)"
        );
        assert!(e.is_configuration());
        let b = TokenError::backing_off(&e, Duration::from_millis(2500));
        assert_eq!(b.kind(), TokenErrorKind::BackingOff);
        assert!(b.to_string().ends_with("next request in 2.5 s"), "{b}");
        let source = b.source().map(ToString::to_string);
        assert_eq!(source, Some(e.to_string()));
        assert!(!TokenError::status_error(503).is_configuration());
        assert!(TokenError::status_error(401).is_configuration());
    }
}
