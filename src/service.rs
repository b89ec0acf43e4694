//! [`CognitoAuth`]: the service the layer wraps around an inner service.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use serde::de::DeserializeOwned;
use tower_service::Service;

use crate::auth::{Authenticator, Policy};
use crate::future::ResponseFuture;
use crate::rejection::{Reject, Rfc6750};

/// Verifies the bearer token of each request, then calls the inner service or rejects.
///
/// Built by [`CognitoAuthLayer`](crate::CognitoAuthLayer). The check is synchronous, inside
/// `call`: no boxing, no clone of the inner service, `poll_ready` passed through, the inner error
/// type unchanged (a rejection is a response, not an error). `R` builds the rejection responses
/// ([`Rfc6750`] by default).
///
/// `E` is the application's claims type of [`CognitoClaims<E>`](crate::CognitoClaims) (`()` by
/// default); the claims go into the request extensions as [`Claims<E>`](crate::Claims).
pub struct CognitoAuth<S, E = (), R = Rfc6750> {
    inner: S,
    auth: Arc<Authenticator<E>>,
    policy: Policy<E>,
    reject: R,
}

impl<S, E, R> CognitoAuth<S, E, R> {
    pub(crate) fn new(inner: S, auth: Arc<Authenticator<E>>, policy: Policy<E>, reject: R) -> Self {
        Self {
            inner,
            auth,
            policy,
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

impl<S: Clone, E, R: Clone> Clone for CognitoAuth<S, E, R> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            auth: Arc::clone(&self.auth),
            policy: self.policy.clone(),
            reject: self.reject.clone(),
        }
    }
}

impl<S: fmt::Debug, E, R> fmt::Debug for CognitoAuth<S, E, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoAuth")
            .field("inner", &self.inner)
            .field("auth", &self.auth)
            .field("reject", &std::any::type_name::<R>())
            .finish()
    }
}

impl<S, E, R, ReqBody, ResBody> Service<Request<ReqBody>> for CognitoAuth<S, E, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    R: Reject<ResBody>,
    E: DeserializeOwned + Send + Sync + 'static,
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
            .authenticate(&parts.headers, &mut parts.extensions, &self.policy)
        {
            Ok(()) => ResponseFuture::inner(self.inner.call(Request::from_parts(parts, body))),
            Err(error) => {
                self.auth.trace_rejection(&parts.headers, &error);
                let mut response = self.reject.reject(&error, &parts);
                response.extensions_mut().insert(error);
                ResponseFuture::rejected(response)
            }
        }
    }
}
