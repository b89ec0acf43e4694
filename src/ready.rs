//! [`ReadinessService`]: a ready-made readiness probe for health routes, answering `200 ready` or
//! `503` with the reason, from [`CognitoAuthLayer::status`](crate::CognitoAuthLayer::status).

use std::convert::Infallible;
use std::fmt;
use std::future::{Ready, ready};
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response, header};
use tower_service::Service;

use crate::auth::Authenticator;

/// A tower service that answers any request with the layer's readiness
/// ([`Status::is_ready`](crate::status::Status::is_ready)): `200` and `ready`, or
/// `503` and what is missing (`no keys`, `keys stale`, `key refresher stopped`,
/// `deny-list stale`), as `text/plain` with `Cache-Control: no-store`. Serve it outside the
/// authenticated routes.
///
/// ```
/// # #[cfg(all(feature = "test-util", feature = "axum"))]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tower::ServiceExt;
/// use tower_cognito::{CognitoAuthLayer, TokenUse};
/// use tower_cognito::test_util::LocalIssuer;
///
/// let issuer = LocalIssuer::new()?;
/// let config = issuer.config().token_use(TokenUse::Access).build()?;
/// let auth = CognitoAuthLayer::builder(config).static_keys(issuer.key_set()).build()?;
/// let app: axum::Router = axum::Router::new()
///     .route("/me", axum::routing::get(|| async { "me" }))
///     .layer(auth.clone())
///     // Added after `.layer`, so the probe needs no token.
///     .route_service("/ready", auth.readiness_service());
///
/// let req = http::Request::get("/ready").body(axum::body::Body::empty())?;
/// assert_eq!(app.oneshot(req).await?.status(), 200);
/// # Ok(()) }
/// # #[cfg(not(all(feature = "test-util", feature = "axum")))]
/// # fn main() {}
/// ```
pub struct ReadinessService<E = ()> {
    auth: Arc<Authenticator<E>>,
}

impl<E> Clone for ReadinessService<E> {
    fn clone(&self) -> Self {
        Self {
            auth: Arc::clone(&self.auth),
        }
    }
}

impl<E> fmt::Debug for ReadinessService<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadinessService")
            .field("reason", &self.auth.status().reason())
            .finish()
    }
}

impl<E> ReadinessService<E> {
    /// The probe of the layer whose authenticator is `auth`
    /// ([`CognitoAuthLayer::readiness_service`](crate::CognitoAuthLayer::readiness_service)).
    pub(crate) fn new(auth: Arc<Authenticator<E>>) -> Self {
        Self { auth }
    }
}

impl<E, B> Service<Request<B>> for ReadinessService<E> {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = Ready<Result<Response<String>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _req: Request<B>) -> Self::Future {
        let status = self.auth.status();
        let body = status.reason().unwrap_or("ready");
        let mut response = Response::new(format!("{body}\n"));
        *response.status_mut() = status.http_status();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        headers.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        ready(Ok(response))
    }
}
