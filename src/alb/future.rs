//! The response future of [`AlbAuth`](super::AlbAuth).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Response;
use pin_project_lite::pin_project;

/// The boxed future of a request whose key had to be fetched first (the cache-miss path only).
pub(crate) type Fetching<B, E> = Pin<Box<dyn Future<Output = Result<Response<B>, E>> + Send>>;

pin_project! {
    /// The inner service's future, a ready rejection, or (only for the first requests naming a
    /// `kid` not cached yet) the fetch of its key followed by the inner call, boxed.
    pub struct ResponseFuture<F, B, E> {
        #[pin]
        kind: Kind<F, B, E>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F, B, E> {
        Inner { #[pin] future: F },
        Rejected { response: Option<Response<B>> },
        Fetching { future: Fetching<B, E> },
    }
}

impl<F, B, E> fmt::Debug for ResponseFuture<F, B, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.kind {
            Kind::Inner { .. } => "Inner",
            Kind::Rejected { .. } => "Rejected",
            Kind::Fetching { .. } => "Fetching",
        };
        f.debug_struct("ResponseFuture")
            .field("state", &state)
            .finish()
    }
}

impl<F, B, E> ResponseFuture<F, B, E> {
    pub(crate) fn inner(future: F) -> Self {
        Self {
            kind: Kind::Inner { future },
        }
    }
    pub(crate) fn rejected(response: Response<B>) -> Self {
        Self {
            kind: Kind::Rejected {
                response: Some(response),
            },
        }
    }
    pub(crate) fn fetching(future: Fetching<B, E>) -> Self {
        Self {
            kind: Kind::Fetching { future },
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F, B, E>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Inner { future } => future.poll(cx),
            KindProj::Rejected { response } => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                // Polled again after completion: stay pending, as a fused future does.
                None => Poll::Pending,
            },
            KindProj::Fetching { future } => future.as_mut().poll(cx),
        }
    }
}
