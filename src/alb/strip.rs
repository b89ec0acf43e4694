//! [`StripAlbHeaders`]: removes every `x-amzn-oidc-*` header before the inner service sees the
//! request, for servers that are not behind an ALB.

use std::task::{Context, Poll};

use http::{HeaderMap, Request};
use tower_layer::Layer;
use tower_service::Service;

/// A layer that removes every `x-amzn-oidc-*` request header (`x-amzn-oidc-data`,
/// `x-amzn-oidc-identity`, `x-amzn-oidc-accesstoken`, and any other of that prefix).
///
/// Only an ALB with an authenticate action sets these headers; anywhere else (a server reached
/// directly, through another proxy, or through an ALB rule without that action) they come from
/// the client and say whatever it likes. A server that does not verify them with an
/// [`AlbAuthLayer`](super::AlbAuthLayer) should put this layer outermost, so that no handler or
/// library down the stack can read a forged identity.
///
/// ```
/// use tower::ServiceExt;
/// use tower_cognito::alb::StripAlbHeaders;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let app = tower::ServiceBuilder::new().layer(StripAlbHeaders).service_fn(
///     |req: http::Request<()>| async move {
///         Ok::<_, std::convert::Infallible>(req.headers().contains_key("x-amzn-oidc-identity"))
///     },
/// );
/// let forged = http::Request::get("/").header("x-amzn-oidc-identity", "admin").body(())?;
/// assert!(!app.oneshot(forged).await?);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct StripAlbHeaders;

impl<S> Layer<S> for StripAlbHeaders {
    type Service = StripAlb<S>;
    fn layer(&self, inner: S) -> StripAlb<S> {
        StripAlb { inner }
    }
}

/// The service of [`StripAlbHeaders`].
#[derive(Debug, Clone)]
pub struct StripAlb<S> {
    inner: S,
}

impl<S> StripAlb<S> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }
    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, B> Service<Request<B>> for StripAlb<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> S::Future {
        strip(req.headers_mut());
        self.inner.call(req)
    }
}

/// Removes every header named `x-amzn-oidc-*` (names are lowercase in `http`). Allocates only
/// when there is one.
fn strip(headers: &mut HeaderMap) {
    const PREFIX: &str = "x-amzn-oidc-";
    if !headers.keys().any(|name| name.as_str().starts_with(PREFIX)) {
        return;
    }
    let names: Vec<_> = headers
        .keys()
        .filter(|name| name.as_str().starts_with(PREFIX))
        .cloned()
        .collect();
    for name in names {
        headers.remove(name);
    }
}
