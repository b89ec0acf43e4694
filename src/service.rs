//! [`CognitoAuth`]: the service the layer wraps around an inner service.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use serde::de::DeserializeOwned;
use tower_service::Service;

use crate::auth::Authenticator;
use crate::claims::CognitoClaims;
use crate::future::ResponseFuture;

/// Verifies the bearer token of each request, then calls the inner service or rejects.
///
/// Built by [`CognitoAuthLayer`](crate::CognitoAuthLayer). The check is synchronous, inside
/// `call`: no boxing, no clone of the inner service, `poll_ready` passed through, the inner error
/// type unchanged (a rejection is a response, not an error).
pub struct CognitoAuth<S, T = CognitoClaims> {
    inner: S,
    auth: Arc<Authenticator>,
    _claims: PhantomData<fn() -> T>,
}

impl<S, T> CognitoAuth<S, T> {
    pub(crate) fn new(inner: S, auth: Arc<Authenticator>) -> Self {
        Self {
            inner,
            auth,
            _claims: PhantomData,
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

impl<S: Clone, T> Clone for CognitoAuth<S, T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            auth: Arc::clone(&self.auth),
            _claims: PhantomData,
        }
    }
}

impl<S: fmt::Debug, T> fmt::Debug for CognitoAuth<S, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoAuth")
            .field("inner", &self.inner)
            .field("auth", &self.auth)
            .finish()
    }
}

impl<S, T, ReqBody, ResBody> Service<Request<ReqBody>> for CognitoAuth<S, T>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
    T: DeserializeOwned + Send + Sync + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        // Split so the headers can be read while the extensions are written; both are moves.
        let (mut parts, body) = req.into_parts();
        match self
            .auth
            .authenticate::<T>(&parts.headers, &mut parts.extensions)
        {
            Ok(()) => ResponseFuture::inner(self.inner.call(Request::from_parts(parts, body))),
            Err(error) => ResponseFuture::rejected(self.auth.rejector().response(error)),
        }
    }
}
