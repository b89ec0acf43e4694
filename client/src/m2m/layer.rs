//! [`AuthorizationLayer`]: outgoing requests carry `Authorization: Bearer <token>` from a
//! [`TokenSource`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::header::AUTHORIZATION;
use tower_layer::Layer;
use tower_service::Service;

use super::scopes::Scopes;
use super::source::TokenSource;

/// The error of an [`Authorize`] service: its inner service's error or a
/// [`TokenError`](super::TokenError), boxed (as `tower`'s own layers do).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A tower layer that sets `Authorization: Bearer <token>` on every request, the token from a
/// [`TokenSource`] (any `Authorization` the request had is replaced). For hyper, tonic and any
/// tower client.
///
/// A cached token is set without waiting and the inner service's future is returned as is;
/// only when the source must fetch does the call wait for it (boxed). When no token can be
/// had, the call fails with the [`TokenError`](super::TokenError) and the request is not sent.
///
/// ```
/// use tower::ServiceBuilder;
/// use tower_cognito_client::m2m::{AuthorizationLayer, TokenSource};
///
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let tokens = TokenSource::builder("https://example.auth.us-east-1.amazoncognito.com", "client", "secret")
///     .build()?;
/// let client = ServiceBuilder::new()
///     .layer(AuthorizationLayer::new(tokens))
///     .service_fn(|request: http::Request<String>| async move {
///         // Send `request` with hyper, tonic, ...
///         Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
///     });
/// # let _ = client; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AuthorizationLayer {
    source: TokenSource,
    scopes: Scopes,
}

impl AuthorizationLayer {
    /// Tokens from `source`, for its scopes.
    pub fn new(source: TokenSource) -> Self {
        let scopes = source.scopes().clone();
        Self { source, scopes }
    }

    /// Tokens for `scopes` instead of the source's.
    pub fn scopes(mut self, scopes: Scopes) -> Self {
        self.scopes = scopes;
        self
    }
}

impl<S> Layer<S> for AuthorizationLayer {
    type Service = Authorize<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Authorize {
            inner,
            source: self.source.clone(),
            scopes: self.scopes.clone(),
        }
    }
}

/// The service of [`AuthorizationLayer`].
#[derive(Clone, Debug)]
pub struct Authorize<S> {
    inner: S,
    source: TokenSource,
    scopes: Scopes,
}

impl<S> Authorize<S> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

type Fetching<R> = Pin<Box<dyn Future<Output = Result<R, BoxError>> + Send>>;

pin_project_lite::pin_project! {
    /// The future of [`Authorize`]: the inner service's own, or (when the token had to be
    /// fetched) a boxed one that fetches it first.
    pub struct ResponseFuture<F, R> {
        #[pin]
        state: State<F, R>,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProjection]
    enum State<F, R> {
        Ready { #[pin] future: F },
        Fetching { future: Fetching<R> },
    }
}

impl<F, R> fmt::Debug for ResponseFuture<F, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.state {
            State::Ready { .. } => "ResponseFuture::Ready",
            State::Fetching { .. } => "ResponseFuture::Fetching",
        })
    }
}

impl<F, R, E> Future for ResponseFuture<F, R>
where
    F: Future<Output = Result<R, E>>,
    E: Into<BoxError>,
{
    type Output = Result<R, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProjection::Ready { future } => future.poll(cx).map_err(Into::into),
            StateProjection::Fetching { future } => future.as_mut().poll(cx),
        }
    }
}

impl<S, B> Service<http::Request<B>> for Authorize<S>
where
    S: Service<http::Request<B>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future, S::Response>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        if let Some(token) = self.source.cached(&self.scopes) {
            request
                .headers_mut()
                .insert(AUTHORIZATION, token.header_value().clone());
            return ResponseFuture {
                state: State::Ready {
                    future: self.inner.call(request),
                },
            };
        }
        // The readied service goes with the request; a clone stays for the next call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let source = self.source.clone();
        let scopes = self.scopes.clone();
        ResponseFuture {
            state: State::Fetching {
                future: Box::pin(async move {
                    let token = source.token_for(&scopes).await?;
                    request
                        .headers_mut()
                        .insert(AUTHORIZATION, token.header_value().clone());
                    inner.call(request).await.map_err(Into::into)
                }),
            },
        }
    }
}
