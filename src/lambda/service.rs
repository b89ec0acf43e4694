//! [`GatewayClaims`]: the service a [`GatewayClaimsLayer`](super::GatewayClaimsLayer) wraps.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use crate::error::Error;
use crate::extract::Claims;
use crate::future::ResponseFuture;
use crate::rejection::{Reject, Rfc6750};

use super::context::GatewayRules;

/// Reads and checks the authorizer's claims of each request (synchronously, in `call`), then
/// calls the inner service with them as [`Claims`], or answers the rejection. `poll_ready` is
/// passed through; the inner error type is unchanged.
#[derive(Clone)]
pub struct GatewayClaims<S> {
    inner: S,
    rules: GatewayRules,
    reject: Rfc6750,
}

impl<S> GatewayClaims<S> {
    pub(crate) fn new(inner: S, rules: GatewayRules, reject: Rfc6750) -> Self {
        Self {
            inner,
            rules,
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

impl<S: fmt::Debug> fmt::Debug for GatewayClaims<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayClaims")
            .field("inner", &self.inner)
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for GatewayClaims<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let (mut parts, body) = req.into_parts();
        match self.rules.claims(&parts.extensions) {
            Ok(claims) => {
                parts.extensions.insert(Claims(Arc::new(claims)));
                ResponseFuture::inner(self.inner.call(Request::from_parts(parts, body)))
            }
            Err(error) => {
                let error = Error::from(error);
                crate::log::debug!(kind = error.kind().name(), "gateway claims rejected");
                let mut response = self.reject.reject(&error, &parts);
                response.extensions_mut().insert(error);
                ResponseFuture::rejected(response)
            }
        }
    }
}
