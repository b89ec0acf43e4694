//! [`AlbAuth`]: the service an [`AlbAuthLayer`](super::AlbAuthLayer) wraps around an inner service.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::request::Parts;
use http::{Request, Response};
use tower_service::Service;

use crate::error::Error;
use crate::rejection::{Reject, Rfc6750};

use super::auth::{AlbAuthenticator, Authenticated, Step};
use super::extract::Claims;
use super::future::ResponseFuture;

/// Verifies the `x-amzn-oidc-data` of each request, then calls the inner service or rejects.
///
/// A request whose key is cached (every request but the first ones after a key rotation) is
/// checked synchronously inside `call`: no boxing, no clone of the inner service. A request whose
/// key must be fetched first awaits that fetch (one for all concurrent requests naming the same
/// `kid`) in its response future, which is then boxed and owns the inner service the request was
/// made ready on (a clone takes its place, as tower's `ready` pattern does): that needs `S: Clone`
/// and `Send` futures and bodies, which axum, hyper and tonic services have. `poll_ready` is passed
/// through; the inner error type is unchanged (a rejection is a response).
pub struct AlbAuth<S, R = Rfc6750> {
    inner: S,
    auth: Arc<AlbAuthenticator>,
    reject: R,
}

impl<S, R> AlbAuth<S, R> {
    pub(crate) fn new(inner: S, auth: Arc<AlbAuthenticator>, reject: R) -> Self {
        Self {
            inner,
            auth,
            reject,
        }
    }
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

impl<S: Clone, R: Clone> Clone for AlbAuth<S, R> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            auth: Arc::clone(&self.auth),
            reject: self.reject.clone(),
        }
    }
}

impl<S: fmt::Debug, R> fmt::Debug for AlbAuth<S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlbAuth")
            .field("inner", &self.inner)
            .field("auth", &self.auth)
            .field("reject", &std::any::type_name::<R>())
            .finish()
    }
}

impl<S, R, ReqBody, ResBody> Service<Request<ReqBody>> for AlbAuth<S, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    R: Reject<ResBody> + Clone + Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody, S::Error>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let (mut parts, body) = req.into_parts();
        match self.auth.authenticate(&parts.headers) {
            Step::Done(done) => match admit(&mut parts, done) {
                Ok(()) => ResponseFuture::inner(self.inner.call(Request::from_parts(parts, body))),
                Err(error) => ResponseFuture::rejected(rejection(&self.reject, error, &parts)),
            },
            Step::Fetch(kid) => {
                // The service made ready goes with the request; its clone stays for the next.
                let clone = self.inner.clone();
                let mut inner = std::mem::replace(&mut self.inner, clone);
                let auth = Arc::clone(&self.auth);
                let reject = self.reject.clone();
                ResponseFuture::fetching(Box::pin(async move {
                    let fetched = auth.fetch(&kid).await;
                    let done = auth.finish(&parts.headers, fetched);
                    match admit(&mut parts, done) {
                        Ok(()) => inner.call(Request::from_parts(parts, body)).await,
                        Err(error) => Ok(rejection(&reject, error, &parts)),
                    }
                }))
            }
        }
    }
}

/// Puts the verified claims into the request (and the access token's Cognito claims, when the
/// layer verifies it).
fn admit(parts: &mut Parts, done: Result<Authenticated, Error>) -> Result<(), Error> {
    let authenticated = done?;
    parts.extensions.insert(Claims(authenticated.alb));
    if let Some(cognito) = authenticated.cognito {
        parts.extensions.insert(cognito);
    }
    Ok(())
}

/// The rejection response, with the error in its extensions.
fn rejection<R: Reject<B>, B>(reject: &R, error: Error, parts: &Parts) -> Response<B> {
    crate::log::debug!(kind = error.kind().name(), "ALB request rejected");
    let mut response = reject.reject(&error, parts);
    response.extensions_mut().insert(error);
    response
}
