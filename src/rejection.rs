//! The one place where an [`Error`] becomes a response (RFC 6750 §3).

use http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, Response};

use crate::error::{Challenge, Error};

/// Seconds a client is asked to wait when no key set is available yet.
const RETRY_AFTER_SECS: HeaderValue = HeaderValue::from_static("5");

/// Builds rejection responses for one realm.
#[derive(Debug, Clone)]
pub(crate) struct Rejector {
    realm: String,
    bare: HeaderValue,
}

impl Rejector {
    /// `realm` was checked against the quoted-string grammar when the config was built.
    pub(crate) fn new(realm: &str) -> Self {
        let bare = HeaderValue::from_str(&format!("Bearer realm=\"{realm}\""))
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer"));
        Self {
            realm: realm.to_owned(),
            bare,
        }
    }

    /// The rejection response: status, challenge, and the error in the extensions. The body is
    /// `B::default()` (empty), so any body type works.
    pub(crate) fn response<B: Default>(&self, error: Error) -> Response<B> {
        tracing::debug!(kind = ?error.kind(), status = error.status().as_u16(), "request rejected");
        let mut response = Response::new(B::default());
        *response.status_mut() = error.status();
        let headers = response.headers_mut();
        match error.kind().challenge() {
            Challenge::None => {
                headers.insert(WWW_AUTHENTICATE, self.bare.clone());
            }
            Challenge::InvalidRequest | Challenge::InvalidToken => {
                let code = error.error_code().unwrap_or("invalid_token");
                // Only the realm and fixed strings go in: nothing from the request.
                let value = format!(
                    "Bearer realm=\"{}\", error=\"{code}\", error_description=\"{}\"",
                    self.realm,
                    error.description()
                );
                let value = HeaderValue::from_str(&value).unwrap_or_else(|_| self.bare.clone());
                headers.insert(WWW_AUTHENTICATE, value);
            }
            Challenge::Unavailable => {
                headers.insert(RETRY_AFTER, RETRY_AFTER_SECS);
            }
        }
        response.extensions_mut().insert(error);
        response
    }
}
