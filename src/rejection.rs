//! How a rejected request is answered: the [`Reject`] trait, chosen as a type parameter of the
//! layer (nothing boxed per request), implemented by closures too, and [`Rfc6750`], the default.

use http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{HeaderValue, Response};

use crate::config::is_qdtext;
use crate::error::{Challenge, Error};

/// Seconds a client is asked to wait when no key set is available yet.
const RETRY_AFTER_SECS: HeaderValue = HeaderValue::from_static("5");

/// Builds the response to a rejected request, from the error and the request's parts (so the
/// answer can depend on the request: a gRPC or a JSON answer for the requests that want one).
///
/// Whatever it answers, the layer puts the [`Error`] into the response's extensions, for an
/// outer layer to log or count. A closure `Fn(&Error, &Parts) -> Response<B>` is a `Reject<B>`:
///
/// ```
/// use http::{Response, StatusCode};
/// use tower_cognito::{AcceptTokenUse, CognitoAuthLayer, Rfc6750};
/// # #[cfg(feature = "test-util")]
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let issuer = tower_cognito::test_util::LocalIssuer::new()?;
/// # let config = issuer.config().token_use(AcceptTokenUse::Access).build()?;
/// let rfc6750 = Rfc6750::new("api")?;
/// let layer = CognitoAuthLayer::with_key_set(config, issuer.key_set())?.reject_with(
///     move |error: &tower_cognito::Error, parts: &http::request::Parts| {
///         if parts.uri.path().starts_with("/api/") {
///             // JSON APIs get a JSON body; the status is the error's.
///             let body = format!(r#"{{"error":"{}"}}"#, error.description());
///             let mut response = Response::new(body);
///             *response.status_mut() = error.status();
///             response
///         } else {
///             rfc6750.response(error)
///         }
///     },
/// );
/// # let _ = layer; Ok(()) }
/// # #[cfg(not(feature = "test-util"))] fn main() {}
/// ```
pub trait Reject<B> {
    /// The response for a request rejected with `error`.
    fn reject(&self, error: &Error, request: &Parts) -> Response<B>;
}

impl<F, B> Reject<B> for F
where
    F: Fn(&Error, &Parts) -> Response<B>,
{
    fn reject(&self, error: &Error, request: &Parts) -> Response<B> {
        self(error, request)
    }
}

/// The default answer, RFC 6750 §3: the error's status, an empty body (`B::default()`, so any
/// body type works), and the `WWW-Authenticate: Bearer` challenge with the realm, the `error` code
/// and a fixed `error_description` (never anything from the request); `Retry-After` on `503`.
#[derive(Debug, Clone)]
pub struct Rfc6750 {
    realm: Box<str>,
    bare: HeaderValue,
}

impl Rfc6750 {
    /// The answer for `realm`.
    ///
    /// # Errors
    /// [`ConfigError::InvalidRealm`](crate::ConfigError::InvalidRealm) when the realm has
    /// characters a quoted header parameter cannot carry.
    pub fn new(realm: &str) -> Result<Self, crate::ConfigError> {
        if realm.is_empty() || !realm.bytes().all(is_qdtext) {
            return Err(crate::ConfigError::InvalidRealm(realm.to_owned()));
        }
        Ok(Self::checked(realm))
    }

    /// `realm` was checked against the quoted-string grammar when the config was built.
    pub(crate) fn checked(realm: &str) -> Self {
        let bare = HeaderValue::from_str(&format!("Bearer realm=\"{realm}\""))
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer"));
        Self {
            realm: realm.into(),
            bare,
        }
    }

    /// The response for `error` (without the error in the extensions: the layer adds it).
    pub fn response<B: Default>(&self, error: &Error) -> Response<B> {
        let mut response = Response::new(B::default());
        *response.status_mut() = error.status();
        let headers = response.headers_mut();
        match error.kind().challenge() {
            Challenge::None => {
                headers.insert(WWW_AUTHENTICATE, self.bare.clone());
            }
            Challenge::InvalidRequest | Challenge::InvalidToken | Challenge::InsufficientScope => {
                let code = error.error_code().unwrap_or("invalid_token");
                let description = error.description();
                // Only the realm and fixed strings go in; a custom check's description that a
                // quoted parameter cannot carry is left out.
                let value = if description.bytes().all(is_qdtext) {
                    format!(
                        "Bearer realm=\"{}\", error=\"{code}\", error_description=\"{description}\"",
                        self.realm
                    )
                } else {
                    format!("Bearer realm=\"{}\", error=\"{code}\"", self.realm)
                };
                let value = HeaderValue::from_str(&value).unwrap_or_else(|_| self.bare.clone());
                headers.insert(WWW_AUTHENTICATE, value);
            }
            Challenge::Unavailable => {
                headers.insert(RETRY_AFTER, RETRY_AFTER_SECS);
            }
        }
        response
    }
}

impl<B: Default> Reject<B> for Rfc6750 {
    fn reject(&self, error: &Error, _: &Parts) -> Response<B> {
        self.response(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn custom_descriptions_that_a_header_cannot_carry_are_left_out() {
        let rfc = Rfc6750::new("api").unwrap();
        let ok: Response<()> = rfc.response(&Error::forbidden("tenant mismatch"));
        assert_eq!(ok.status(), 403);
        assert_eq!(
            ok.headers()[WWW_AUTHENTICATE],
            "Bearer realm=\"api\", error=\"insufficient_scope\", error_description=\"tenant mismatch\""
        );
        let bad: Response<()> = rfc.response(&Error::unauthorized("a \"quoted\"\nline"));
        assert_eq!(bad.status(), 401);
        assert_eq!(
            bad.headers()[WWW_AUTHENTICATE],
            "Bearer realm=\"api\", error=\"invalid_token\""
        );
        let unavailable: Response<()> = rfc.response(&Error::new(ErrorKind::KeysStale));
        assert_eq!(unavailable.headers()[RETRY_AFTER], "5");
        assert!(Rfc6750::new("a\"b").is_err());
    }
}
