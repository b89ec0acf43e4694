//! [`SessionLayer`]: the session's access token on each request, for the application's own
//! `CognitoAuthLayer`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use super::sign_in::{WebSignIn, is_acr_values, is_max_age, page, redirect};

/// What a request without a valid session gets when the route answers `401`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The route's own answer (`401` with its `WWW-Authenticate`): API routes.
    Status,
    /// A redirect to `/login` with the path as `return_to`: page routes (`GET` and `HEAD`).
    Redirect,
}

/// Puts the session's access token (`Authorization: Bearer`) on each request that has a
/// session cookie and no `Authorization` of its own, and the [`Session`](super::Session) in its
/// extensions; the application's `CognitoAuthLayer` (inside this one) then verifies it as any
/// request's token: the same rules, guards and cache for browsers and API callers.
///
/// An access token within the refresh margin of expiry is refreshed first, once for all the
/// concurrent requests of the session. When the session store is down, or the token endpoint
/// is while the token has expired, the answer is `503` (fail closed).
///
/// Made by [`WebSignIn::layer`] (API routes: a `401` stays a `401`) or
/// [`WebSignIn::page_layer`] (page routes: a `401` to a `GET` becomes a redirect to `/login`,
/// with `max_age` and `acr_values` when a step-up guard asked for them).
#[derive(Clone, Debug)]
pub struct SessionLayer {
    web: WebSignIn,
    mode: Mode,
}

impl WebSignIn {
    /// The [`SessionLayer`] for API routes: without a session, the route's own `401`.
    pub fn layer(&self) -> SessionLayer {
        SessionLayer {
            web: self.clone(),
            mode: Mode::Status,
        }
    }

    /// The [`SessionLayer`] for page routes: a `401` to a `GET` or `HEAD` becomes a `303` to
    /// `/login?return_to=<path>` (with the step-up guard's `max_age` and `acr_values`, which
    /// `/login` passes to managed login).
    pub fn page_layer(&self) -> SessionLayer {
        SessionLayer {
            web: self.clone(),
            mode: Mode::Redirect,
        }
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            web: self.web.clone(),
            mode: self.mode,
        }
    }
}

/// The service of [`SessionLayer`].
#[derive(Clone, Debug)]
pub struct SessionService<S> {
    inner: S,
    web: WebSignIn,
    mode: Mode,
}

impl<S, B> Service<Request<B>> for SessionService<S>
where
    S: Service<Request<B>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send,
    B: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let web = self.web.clone();
        let mode = self.mode;
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            if !parts.headers.contains_key(AUTHORIZATION) {
                match web.session(&parts.headers).await {
                    Ok(Some(session)) => {
                        if let Ok(mut value) =
                            HeaderValue::from_str(&format!("Bearer {}", session.access_token))
                        {
                            value.set_sensitive(true);
                            parts.headers.insert(AUTHORIZATION, value);
                        }
                        parts.extensions.insert(session);
                    }
                    Ok(None) => {}
                    Err(_why) => {
                        crate::log::error!(unavailable = _why.0, "a session could not be read");
                        return Ok(page(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "Sessions are unavailable. Try again later.",
                        ));
                    }
                }
            }
            let request = Request::from_parts(parts, body);
            let page_request = matches!(*request.method(), Method::GET | Method::HEAD);
            let path = request
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            let response = inner.call(request).await?;
            if mode == Mode::Redirect
                && page_request
                && response.status() == StatusCode::UNAUTHORIZED
            {
                let step_up = step_up_parameters(&response);
                let location = web.login_location(&path, &step_up);
                return Ok(redirect(StatusCode::SEE_OTHER, &location, &[]));
            }
            Ok(response)
        })
    }
}

/// `max_age` and `acr_values` of an `insufficient_user_authentication` challenge (RFC 9470).
fn step_up_parameters(response: &Response<Body>) -> Vec<(&'static str, String)> {
    let Some(challenge) = response
        .headers()
        .get(WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.contains("error=\"insufficient_user_authentication\""))
    else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (name, check) in [
        ("max_age", is_max_age as fn(&str) -> bool),
        ("acr_values", is_acr_values),
    ] {
        if let Some(value) = parameter(challenge, name).filter(|v| check(v)) {
            found.push((name, value));
        }
    }
    found
}

/// The value of `name="value"` (or `name=value`) in a challenge.
fn parameter(challenge: &str, name: &str) -> Option<String> {
    let at = challenge.find(&format!("{name}="))?;
    let rest = challenge.get(at + name.len() + 1..)?;
    let value = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next()?,
        None => rest.split([',', ' ']).next()?,
    };
    Some(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_up_parameters_are_read_from_the_challenge() {
        let mut response = Response::new(Body::empty());
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(
                "Bearer realm=\"api\", error=\"insufficient_user_authentication\", \
                 error_description=\"x\", max_age=\"300\", acr_values=\"urn:a urn:b\"",
            ),
        );
        assert_eq!(
            step_up_parameters(&response),
            [
                ("max_age", "300".to_owned()),
                ("acr_values", "urn:a urn:b".to_owned())
            ]
        );
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\", max_age=\"300\""),
        );
        assert!(step_up_parameters(&response).is_empty());
    }
}
