//! How a rejected request is answered: the [`Reject`] trait, chosen as a type parameter of the
//! layer (nothing boxed per request), implemented by closures too, and the ready-made answers:
//! [`Rfc6750`], the default, and [`ProblemJson`], an RFC 9457 body for JSON APIs. Both answer gRPC
//! calls ([`is_grpc_request`]: a `POST` with a gRPC `content-type`) in the gRPC form: HTTP `200`
//! with `grpc-status` and `grpc-message`, since gRPC clients read the status there.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Response};
use serde::Serialize;

use crate::error::{Challenge, Error};
use crate::syntax::is_qdtext;

/// Seconds a client is asked to wait when no key set is available yet.
const RETRY_AFTER_SECS: HeaderValue = HeaderValue::from_static("5");

/// `content-type` of the gRPC form (a trailers-only response: the status is in the headers).
const GRPC_CONTENT_TYPE: HeaderValue = HeaderValue::from_static("application/grpc");
const GRPC_WEB_CONTENT_TYPE: HeaderValue = HeaderValue::from_static("application/grpc-web");
const GRPC_WEB_TEXT_CONTENT_TYPE: HeaderValue =
    HeaderValue::from_static("application/grpc-web-text");
const GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");
const GRPC_MESSAGE: HeaderName = HeaderName::from_static("grpc-message");

/// `content-type` of [`ProblemJson`] bodies (RFC 9457 §3).
const PROBLEM_JSON: HeaderValue = HeaderValue::from_static("application/problem+json");

/// Builds the response to a rejected request, from the error and the request's parts (so the
/// answer can depend on the request: a gRPC or a JSON answer for the requests that want one).
///
/// Whatever it answers, the layer puts the [`Error`] into the response's extensions, for an
/// outer layer to log or count. A closure `Fn(&Error, &Parts) -> Response<B>` is a `Reject<B>`:
///
/// ```
/// use http::{Response, StatusCode};
/// use tower_cognito::{CognitoAuthLayer, TokenUse, reject::Rfc6750};
/// # #[cfg(feature = "test-util")]
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let issuer = tower_cognito::test_util::LocalIssuer::new()?;
/// # let config = issuer.config().token_use(TokenUse::Access).build()?;
/// let rfc6750 = Rfc6750::new("api")?;
/// let layer = CognitoAuthLayer::builder(config).static_keys(issuer.key_set()).reject_with(
///     move |error: &tower_cognito::Error, parts: &http::request::Parts| {
///         if parts.uri.path().starts_with("/api/") {
///             // JSON APIs get a JSON body; the status is the error's.
///             let body = format!(r#"{{"error":"{}"}}"#, error.error_description());
///             let mut response = Response::new(body);
///             *response.status_mut() = error.status();
///             response
///         } else {
///             // The default's answer: gRPC form for gRPC requests, RFC 6750 otherwise.
///             rfc6750.response_for(error, parts)
///         }
///     },
/// )
/// .build()?;
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

/// Whether a request is a gRPC call: a `POST` (every gRPC call is one, gRPC-web included) whose
/// `content-type` is `application/grpc` (any case), alone or followed by `+format` or
/// `;parameters`, or the gRPC-web forms `application/grpc-web` and `application/grpc-web-text`
/// (answered with their own `content-type`). The ready-made rejections answer those in the gRPC
/// form, and any other request (a `GET` with a gRPC `content-type` included) in the HTTP form.
///
/// ```
/// use http::{Method, Request, header};
/// use tower_cognito::reject::is_grpc_request;
///
/// let (call, ()) = Request::post("/pkg.Service/Method")
///     .header(header::CONTENT_TYPE, "application/grpc+proto")
///     .body(())?
///     .into_parts();
/// assert!(is_grpc_request(&call.method, &call.headers));
/// assert!(!is_grpc_request(&Method::GET, &call.headers));
/// # Ok::<(), http::Error>(())
/// ```
pub fn is_grpc_request(method: &Method, headers: &HeaderMap) -> bool {
    grpc_content_type(method, headers).is_some()
}

/// The `content-type` of the gRPC answer to a request, `None` when it is no gRPC call: not a
/// `POST`, or another type than `application/grpc`, or for gRPC-web (a browser's, through a proxy
/// or `tonic-web`) `application/grpc-web` and `application/grpc-web-text`. The request's type must
/// be exactly one of those, or one followed by `+` (a message format) or `;` (parameters), in any
/// case.
pub(crate) fn grpc_content_type(method: &Method, headers: &HeaderMap) -> Option<HeaderValue> {
    // gRPC calls are always POST: a GET that claims a gRPC type gets the HTTP form, whose status
    // any HTTP client reads (the gRPC form is a 200 with an empty body).
    if method != Method::POST {
        return None;
    }
    let value = headers.get(CONTENT_TYPE)?.as_bytes();
    let subtype = |prefix: &[u8]| {
        let start = value.get(..prefix.len())?;
        let rest = value.get(prefix.len()..)?;
        let boundary = matches!(rest.first(), None | Some(b'+' | b';' | b' '));
        (start.eq_ignore_ascii_case(prefix) && boundary).then_some(())
    };
    // The longest first: `application/grpc-web-text` also starts with the others.
    if subtype(b"application/grpc-web-text").is_some() {
        Some(GRPC_WEB_TEXT_CONTENT_TYPE)
    } else if subtype(b"application/grpc-web").is_some() {
        Some(GRPC_WEB_CONTENT_TYPE)
    } else {
        subtype(b"application/grpc").map(|()| GRPC_CONTENT_TYPE)
    }
}

/// A byte of an RFC 6750 `scope-token`: `%x21 / %x23-5B / %x5D-7E` (printable ASCII without
/// space, `"` and `\`).
pub(crate) fn is_scope_char(b: u8) -> bool {
    b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b)
}

/// Whether `scope` is a `scope` attribute value of RFC 6750 §3: `scope-token`s separated by
/// single spaces.
pub(crate) fn is_scope_list(scope: &str) -> bool {
    scope
        .split(' ')
        .all(|token| !token.is_empty() && token.bytes().all(is_scope_char))
}

/// The default answer, RFC 6750 §3: the error's status, an empty body (`B::default()`, so any
/// body type works), and the `WWW-Authenticate: Bearer` challenge with the realm, the `error` code
/// and a fixed `error_description` (never anything from the request); `Retry-After` on `503`.
///
/// gRPC calls ([`is_grpc_request`]: a `POST` with a gRPC `content-type`) get the gRPC form instead
/// ([`grpc_response`](Self::grpc_response)):
/// HTTP `200`, `grpc-status` `16` (UNAUTHENTICATED, for `400` and `401`), `7`
/// (PERMISSION_DENIED, `403`) or `14` (UNAVAILABLE, `503`), a fixed `grpc-message`, and the same
/// `WWW-Authenticate` (or `Retry-After`) in the metadata.
///
/// ```
/// use http::{Request, Response, header};
/// use tower_cognito::{Error, ErrorKind, reject::Reject, reject::Rfc6750};
///
/// let rfc6750 = Rfc6750::new("api")?;
/// let error = Error::from(ErrorKind::InvalidSignature);
///
/// let (http, ()) = Request::new(()).into_parts();
/// let response: Response<()> = rfc6750.reject(&error, &http);
/// assert_eq!(response.status(), 401);
/// assert_eq!(
///     response.headers()[header::WWW_AUTHENTICATE],
///     r#"Bearer realm="api", error="invalid_token", error_description="invalid signature""#
/// );
///
/// let (grpc, ()) = Request::post("/pkg.Service/Method")
///     .header(header::CONTENT_TYPE, "application/grpc")
///     .body(())?
///     .into_parts();
/// let response: Response<()> = rfc6750.reject(&error, &grpc);
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.headers()["grpc-status"], "16");
/// assert_eq!(response.headers()["grpc-message"], "invalid signature");
/// assert_eq!(response.headers()[header::CONTENT_TYPE], "application/grpc");
/// assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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

    /// The HTTP response for `error`, whatever the request (without the error in the extensions:
    /// the layer adds it).
    pub fn response<B: Default>(&self, error: &Error) -> Response<B> {
        let mut response = Response::new(B::default());
        *response.status_mut() = error.status();
        self.challenge(error, response.headers_mut());
        response
    }

    /// The gRPC form for `error`, whatever the request: a trailers-only response (HTTP `200`,
    /// `content-type: application/grpc`, an empty body) with `grpc-status`, a fixed `grpc-message`
    /// and the `WWW-Authenticate` challenge (or `Retry-After`) of [`response`](Self::response).
    pub fn grpc_response<B: Default>(&self, error: &Error) -> Response<B> {
        self.grpc_response_as(error, GRPC_CONTENT_TYPE)
    }

    /// [`grpc_response`](Self::grpc_response) with this `content-type` (gRPC or gRPC-web).
    pub(crate) fn grpc_response_as<B: Default>(
        &self,
        error: &Error,
        content_type: HeaderValue,
    ) -> Response<B> {
        let mut response = Response::new(B::default());
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, content_type);
        headers.insert(GRPC_STATUS, grpc_status(error));
        headers.insert(GRPC_MESSAGE, grpc_message(error));
        self.challenge(error, headers);
        response
    }

    /// What the layer answers with this rejection: [`grpc_response`](Self::grpc_response) for a
    /// gRPC call ([`is_grpc_request`]: a `POST` with a gRPC `content-type`),
    /// [`response`](Self::response) otherwise. For closures that answer some requests themselves
    /// and leave the rest to the default.
    pub fn response_for<B: Default>(&self, error: &Error, request: &Parts) -> Response<B> {
        match grpc_content_type(&request.method, &request.headers) {
            Some(content_type) => self.grpc_response_as(error, content_type),
            None => self.response(error),
        }
    }

    /// Adds the `WWW-Authenticate` challenge for `error`, or `Retry-After` when it is a `503`.
    fn challenge(&self, error: &Error, headers: &mut HeaderMap) {
        match error.kind().challenge() {
            Challenge::None => {
                headers.insert(WWW_AUTHENTICATE, self.bare.clone());
            }
            Challenge::InvalidRequest
            | Challenge::InvalidToken
            | Challenge::InsufficientScope
            | Challenge::InsufficientUserAuthentication => {
                let code = error.error_code().unwrap_or("invalid_token");
                // Only the realm and fixed strings go in; a custom check's description that a
                // quoted parameter cannot carry is left out. The scopes a guard requires
                // (configuration) go last, so that without them the challenge is what it always
                // was; a list outside the grammar is left out too. So do a step-up guard's
                // `acr_values` and `max_age` (RFC 9470 §3, both quoted: always valid
                // auth-param syntax).
                let description =
                    Some(error.error_description()).filter(|d| d.bytes().all(is_qdtext));
                let scope = error.required_scope().filter(|s| is_scope_list(s));
                let acr_values = error.acr_values().filter(|s| is_scope_list(s));
                let mut digits = [0u8; 20];
                let max_age = error.max_age().map(|age| decimal(age, &mut digits));
                let [d0, d1, d2] = quoted(", error_description=\"", description);
                let [s0, s1, s2] = quoted(", scope=\"", scope);
                let [a0, a1, a2] = quoted(", acr_values=\"", acr_values);
                let [m0, m1, m2] = quoted(", max_age=\"", max_age);
                let realm: &str = &self.realm;
                // One allocation of the exact size, handed to the header value as it is.
                let value = [
                    "Bearer realm=\"",
                    realm,
                    "\", error=\"",
                    code,
                    "\"",
                    d0,
                    d1,
                    d2,
                    s0,
                    s1,
                    s2,
                    a0,
                    a1,
                    a2,
                    m0,
                    m1,
                    m2,
                ]
                .concat();
                let value = HeaderValue::from_maybe_shared(Bytes::from(value))
                    .unwrap_or_else(|_| self.bare.clone());
                headers.insert(WWW_AUTHENTICATE, value);
            }
            Challenge::Unavailable => {
                headers.insert(RETRY_AFTER, RETRY_AFTER_SECS);
            }
        }
    }
}

impl<B: Default> Reject<B> for Rfc6750 {
    fn reject(&self, error: &Error, request: &Parts) -> Response<B> {
        self.response_for(error, request)
    }
}

/// The pieces of `, name="value"` (`start` is `, name="`), or nothing.
fn quoted<'a>(start: &'a str, value: Option<&'a str>) -> [&'a str; 3] {
    match value {
        Some(value) => [start, value, "\""],
        None => ["", "", ""],
    }
}

/// `n` in decimal, written at the end of `buf` (20 digits hold any `u64`), without allocating.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut start = buf.len();
    for slot in buf.iter_mut().rev() {
        // `n % 10` is below 10: the cast keeps it.
        *slot = b'0' + (n % 10) as u8;
        start -= 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Only ASCII digits were written, so this never fails.
    buf.get(start..)
        .and_then(|digits| std::str::from_utf8(digits).ok())
        .unwrap_or("0")
}

/// The gRPC status code of `error`: every credential failure (no token, a malformed
/// `authorization`, any token failure) is UNAUTHENTICATED.
fn grpc_status(error: &Error) -> HeaderValue {
    HeaderValue::from_static(error.kind().challenge().grpc_status())
}

/// The `grpc-message` of `error`: its fixed description, a static header value (nothing
/// allocated).
fn grpc_message(error: &Error) -> HeaderValue {
    let description = error.error_description();
    // gRPC percent-encodes `grpc-message` outside printable ASCII and `%`. The crate's own
    // descriptions are plain printable ASCII and go as they are; a custom check's description that
    // is not is replaced by a generic one of its status.
    if !description.is_empty()
        && description
            .bytes()
            .all(|b| (0x20..=0x7e).contains(&b) && b != b'%')
    {
        // Cannot panic: `from_static` accepts exactly printable ASCII (and tab), checked above.
        HeaderValue::from_static(description)
    } else {
        match error.kind().challenge() {
            Challenge::InsufficientScope => HeaderValue::from_static("permission denied"),
            Challenge::Unavailable => HeaderValue::from_static("unavailable"),
            _ => HeaderValue::from_static("unauthenticated"),
        }
    }
}

/// A ready-made answer for JSON APIs: an RFC 9457 problem document
/// (`content-type: application/problem+json`) with the status, `WWW-Authenticate` and
/// `Retry-After` of [`Rfc6750`]; gRPC calls ([`is_grpc_request`]) get [`Rfc6750`]'s gRPC form.
///
/// Every member is fixed per error kind, never taken from the request: `type` is `about:blank`,
/// `title` the status's reason phrase, `status` the status code, `detail` the error's
/// [`error_description`](Error::error_description), `error` the RFC 6750 error code when there is one, and
/// `scope` the scopes a scope guard requires ([`Error::required_scope`], configuration) when it
/// refused the request, `acr_values` and `max_age` what a step-up guard requires
/// ([`Error::acr_values`], [`Error::max_age`]) when it refused it.
/// The body type only needs `Default` (for the gRPC form) and `From<Bytes>`: axum's `Body`,
/// `http_body_util::Full<Bytes>`, `Bytes` and `Vec<u8>` all qualify.
///
/// ```
/// # #[cfg(feature = "test-util")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use bytes::Bytes;
/// use http::{Request, Response, header};
/// use http_body_util::{BodyExt, Full};
/// use tower::{ServiceBuilder, ServiceExt};
/// use tower_cognito::{CognitoAuthLayer, TokenUse, reject::ProblemJson};
/// # let issuer = tower_cognito::test_util::LocalIssuer::new()?;
/// # let config = issuer.config().token_use(TokenUse::Access).build()?;
///
/// let layer = CognitoAuthLayer::builder(config)
///     .static_keys(issuer.key_set())
///     .reject_with(ProblemJson::new("api")?)
///     .build()?;
/// let app = ServiceBuilder::new().layer(layer).service_fn(|_: Request<Full<Bytes>>| async {
///     Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from("hello"))))
/// });
///
/// let response = app.oneshot(Request::new(Full::default())).await?;
/// assert_eq!(response.status(), 401);
/// assert_eq!(response.headers()[header::CONTENT_TYPE], "application/problem+json");
/// assert_eq!(response.headers()[header::WWW_AUTHENTICATE], r#"Bearer realm="api""#);
/// let body = response.into_body().collect().await?.to_bytes();
/// assert_eq!(
///     body,
///     r#"{"type":"about:blank","title":"Unauthorized","status":401,"detail":"no bearer token"}"#
/// );
/// # Ok(()) }
/// # #[cfg(not(feature = "test-util"))] fn main() {}
/// ```
#[derive(Debug, Clone)]
pub struct ProblemJson {
    rfc6750: Rfc6750,
}

impl ProblemJson {
    /// The answer for `realm` (the realm of the `WWW-Authenticate` challenge).
    ///
    /// # Errors
    /// As [`Rfc6750::new`].
    pub fn new(realm: &str) -> Result<Self, crate::ConfigError> {
        Rfc6750::new(realm).map(Self::from)
    }

    /// The problem response for `error`, whatever the request (without the error in the
    /// extensions: the layer adds it).
    pub fn response<B: From<Bytes>>(&self, error: &Error) -> Response<B> {
        let status = error.status();
        let problem = Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: error.error_description(),
            error: error.error_code(),
            scope: error.required_scope(),
            acr_values: error.acr_values(),
            max_age: error.max_age(),
        };
        // One allocation: the body. Serializing these fields cannot fail; the fallback is valid
        // JSON all the same.
        let body = serde_json::to_vec(&problem).map_or_else(
            |_| Bytes::from_static(br#"{"type":"about:blank"}"#),
            Bytes::from,
        );
        let mut response = Response::new(B::from(body));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, PROBLEM_JSON);
        self.rfc6750.challenge(error, headers);
        response
    }
}

impl From<Rfc6750> for ProblemJson {
    /// The problem answer with the realm of `rfc6750`.
    fn from(rfc6750: Rfc6750) -> Self {
        Self { rfc6750 }
    }
}

impl<B: Default + From<Bytes>> Reject<B> for ProblemJson {
    fn reject(&self, error: &Error, request: &Parts) -> Response<B> {
        if let Some(content_type) = grpc_content_type(&request.method, &request.headers) {
            self.rfc6750.grpc_response_as(error, content_type)
        } else {
            self.response(error)
        }
    }
}

/// An RFC 9457 problem document, borrowed from fixed strings and configuration.
#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    detail: &'static str,
    /// The RFC 6750 error code, an extension member.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    /// The scopes a guard requires (configuration, as in the challenge), an extension member.
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
    /// The `acr` values a step-up guard accepts (configuration, as in the challenge).
    #[serde(skip_serializing_if = "Option::is_none")]
    acr_values: Option<&'a str>,
    /// The maximum sign-in age, in seconds, a step-up guard accepts (as in the challenge).
    #[serde(skip_serializing_if = "Option::is_none")]
    max_age: Option<u64>,
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

    #[test]
    fn scope_refusals_name_the_required_scopes_last() {
        let rfc = Rfc6750::new("api").unwrap();
        let header = |error: &Error| {
            let response: Response<()> = rfc.response(error);
            assert_eq!(response.status(), 403);
            response.headers()[WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .to_owned()
        };
        let base = r#"Bearer realm="api", error="insufficient_scope", error_description="insufficient scope""#;
        assert_eq!(
            header(&Error::insufficient_scope("orders/read orders/write")),
            format!(r#"{base}, scope="orders/read orders/write""#)
        );
        // No scope, or one a header cannot carry: the challenge without it, as before.
        assert_eq!(header(&Error::new(ErrorKind::InsufficientScope)), base);
        assert_eq!(header(&Error::insufficient_scope("")), base);
        for bad in ["a  b", " a", "a ", "a\"b", "a\tb", "é", "a\nb"] {
            assert_eq!(header(&Error::insufficient_scope(bad)), base, "{bad:?}");
        }
        assert_eq!(
            header(&Error::missing_group()),
            r#"Bearer realm="api", error="insufficient_scope", error_description="not in a required group""#
        );
        // The gRPC form keeps the challenge.
        let grpc: Response<()> = rfc.reject(
            &Error::insufficient_scope("a"),
            &parts(Some("application/grpc")),
        );
        assert_eq!(grpc.headers()[GRPC_STATUS], "7");
        assert_eq!(grpc.headers()[GRPC_MESSAGE], "insufficient scope");
        assert_eq!(
            grpc.headers()[WWW_AUTHENTICATE],
            format!(r#"{base}, scope="a""#).as_str()
        );
        // The problem body names them too.
        let problem: Response<Bytes> = ProblemJson::new("api")
            .unwrap()
            .reject(&Error::insufficient_scope("a b"), &parts(None));
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(problem.body()).unwrap(),
            serde_json::json!({
                "type": "about:blank",
                "title": "Forbidden",
                "status": 403,
                "detail": "insufficient scope",
                "error": "insufficient_scope",
                "scope": "a b",
            })
        );
    }

    /// A `POST` (as every gRPC call is) with this `content-type`.
    fn parts(content_type: Option<&str>) -> Parts {
        parts_with(Method::POST, content_type)
    }

    fn parts_with(method: Method, content_type: Option<&str>) -> Parts {
        let mut request = http::Request::builder().method(method);
        if let Some(value) = content_type {
            request = request.header(CONTENT_TYPE, value);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn grpc_requests_are_told_by_their_content_type() {
        for (content_type, grpc) in [
            (Some("application/grpc"), true),
            (Some("application/grpc+proto"), true),
            (Some("application/grpc-web+proto"), true),
            (Some("application/grpc-web-text"), true),
            (Some("Application/GRPC; charset=utf-8"), true),
            (Some("application/json"), false),
            (Some("application/grp"), false),
            (Some("application/grpcfoo"), false),
            (Some("application/grpc-webx"), false),
            (Some("text/plain; application/grpc"), false),
            (None, false),
        ] {
            let parts = parts(content_type);
            assert_eq!(
                is_grpc_request(&parts.method, &parts.headers),
                grpc,
                "{content_type:?}"
            );
        }
    }

    #[test]
    fn only_a_post_is_a_grpc_call() {
        let rfc = Rfc6750::new("api").unwrap();
        let problem = ProblemJson::new("api").unwrap();
        let error = Error::new(ErrorKind::MissingCredentials);
        for method in [
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
            Method::PATCH,
        ] {
            for content_type in ["application/grpc", "application/grpc-web+proto"] {
                let request = parts_with(method.clone(), Some(content_type));
                assert!(!is_grpc_request(&request.method, &request.headers));
                // The HTTP form: its status, no gRPC metadata, the bare challenge.
                let response: Response<()> = rfc.reject(&error, &request);
                assert_eq!(response.status(), 401, "{method} {content_type}");
                assert!(!response.headers().contains_key(GRPC_STATUS));
                assert!(!response.headers().contains_key(CONTENT_TYPE));
                assert_eq!(response.headers()[WWW_AUTHENTICATE], "Bearer realm=\"api\"");
                let response: Response<Bytes> = problem.reject(&error, &request);
                assert_eq!(response.status(), 401, "{method} {content_type}");
                assert_eq!(response.headers()[CONTENT_TYPE], "application/problem+json");
                assert!(!response.headers().contains_key(GRPC_STATUS));
            }
        }
        let post = parts_with(Method::POST, Some("application/grpc"));
        let response: Response<()> = rfc.reject(&error, &post);
        assert_eq!(response.headers()[GRPC_STATUS], "16");
    }

    #[test]
    fn grpc_web_gets_its_own_content_type() {
        let rfc = Rfc6750::new("api").unwrap();
        let error = Error::new(ErrorKind::MissingCredentials);
        for (request, answer) in [
            ("application/grpc", "application/grpc"),
            ("application/grpc+proto", "application/grpc"),
            ("application/grpc-web", "application/grpc-web"),
            ("application/grpc-web+proto", "application/grpc-web"),
            (
                "application/grpc-web-text+proto",
                "application/grpc-web-text",
            ),
        ] {
            let response: Response<()> = rfc.response_for(&error, &parts(Some(request)));
            assert_eq!(response.headers()[CONTENT_TYPE], answer, "{request}");
            assert_eq!(response.headers()[GRPC_STATUS], "16", "{request}");
        }
    }

    #[test]
    fn the_grpc_form_per_answer() {
        let rfc = Rfc6750::new("api").unwrap();
        let cases = [
            (ErrorKind::MissingCredentials, "16", "no bearer token"),
            (
                ErrorKind::InvalidRequest(crate::error::RequestError::EmptyToken),
                "16",
                "empty bearer token",
            ),
            (ErrorKind::InvalidSignature, "16", "invalid signature"),
            (ErrorKind::InsufficientScope, "7", "insufficient scope"),
            (
                ErrorKind::KeysUnavailable,
                "14",
                "signing keys are not available",
            ),
            (ErrorKind::KeysStale, "14", "signing keys are stale"),
        ];
        for (kind, status, message) in cases {
            let error = Error::new(kind);
            let grpc: Response<()> = rfc.reject(&error, &parts(Some("application/grpc")));
            assert_eq!(grpc.status(), 200, "{kind:?}");
            let headers = grpc.headers();
            assert_eq!(headers[CONTENT_TYPE], "application/grpc");
            assert_eq!(headers[GRPC_STATUS], status, "{kind:?}");
            assert_eq!(headers[GRPC_MESSAGE], message, "{kind:?}");
            // The HTTP form's challenge, unchanged, in the metadata.
            let http: Response<()> = rfc.reject(&error, &parts(None));
            assert_eq!(http.status(), error.status());
            assert!(!http.headers().contains_key(GRPC_STATUS));
            assert!(!http.headers().contains_key(CONTENT_TYPE));
            assert_eq!(
                headers.get(WWW_AUTHENTICATE),
                http.headers().get(WWW_AUTHENTICATE)
            );
            assert_eq!(headers.get(RETRY_AFTER), http.headers().get(RETRY_AFTER));
        }
    }

    #[test]
    fn custom_descriptions_a_grpc_message_cannot_carry_are_replaced() {
        let rfc = Rfc6750::new("api").unwrap();
        let grpc = parts(Some("application/grpc"));
        let cases = [
            (Error::forbidden("tenant mismatch"), "7", "tenant mismatch"),
            (Error::forbidden("100% sure"), "7", "permission denied"),
            (Error::unauthorized("a\nline"), "16", "unauthenticated"),
            (Error::unauthorized("élan"), "16", "unauthenticated"),
            (Error::unauthorized(""), "16", "unauthenticated"),
        ];
        for (error, status, message) in cases {
            let response: Response<()> = rfc.reject(&error, &grpc);
            assert_eq!(response.headers()[GRPC_STATUS], status, "{error:?}");
            assert_eq!(response.headers()[GRPC_MESSAGE], message, "{error:?}");
        }
    }

    #[test]
    fn problem_bodies_are_fixed_and_escaped() {
        let problem = ProblemJson::new("api").unwrap();
        let http = parts(Some("application/json"));
        let body = |error: &Error| {
            let response: Response<Bytes> = problem.reject(error, &http);
            assert_eq!(response.status(), error.status());
            assert_eq!(response.headers()[CONTENT_TYPE], "application/problem+json");
            serde_json::from_slice::<serde_json::Value>(response.body()).unwrap()
        };
        assert_eq!(
            body(&Error::new(ErrorKind::Expired { exp: 1, now: 2 })),
            serde_json::json!({
                "type": "about:blank",
                "title": "Unauthorized",
                "status": 401,
                "detail": "the token expired",
                "error": "invalid_token",
            })
        );
        assert_eq!(
            body(&Error::unauthorized("a \"quoted\"\nline"))["detail"],
            "a \"quoted\"\nline"
        );
        let unavailable: Response<Vec<u8>> =
            problem.reject(&Error::new(ErrorKind::KeysStale), &http);
        assert_eq!(unavailable.headers()[RETRY_AFTER], "5");
        assert!(!unavailable.headers().contains_key(WWW_AUTHENTICATE));
        // gRPC requests get the gRPC form, with an empty body.
        let grpc: Response<Bytes> = problem.reject(
            &Error::new(ErrorKind::Malformed),
            &parts(Some("application/grpc")),
        );
        assert_eq!(grpc.status(), 200);
        assert_eq!(grpc.headers()[GRPC_STATUS], "16");
        assert!(grpc.body().is_empty());
    }
}
