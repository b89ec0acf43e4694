//! The verified claims in the request, and the axum extractor that reads them.

use std::ops::Deref;
use std::sync::Arc;

use crate::claims::CognitoClaims;

/// The verified claims of the request, as the layer put them into the request extensions.
///
/// It derefs to [`CognitoClaims<E>`]: `E` is `()` unless the layer was given an application
/// claims type with [`CognitoAuthLayer::extra_claims`](crate::CognitoAuthLayer::extra_claims)
/// (then read `Claims<E>` with that very type: it is the only one in the extensions). Cloning is
/// cheap (an `Arc`).
///
/// With the `axum` feature (on by default) it is an extractor, and so is `Option<Claims<E>>`. A
/// handler that asks for `Claims` on a route the layer does not cover answers `500`: that is a
/// server misconfiguration, not a client error. Behind an
/// [`optional`](crate::CognitoAuthLayer::optional) layer, a request without credentials has no
/// claims either, and asking for `Claims` answers it `401` with the bare
/// `WWW-Authenticate: Bearer realm="api"` challenge (see `MissingClaims`).
///
/// With hyper or tonic, read it from the extensions:
///
/// ```
/// # use tower_cognito::Claims;
/// fn user_of<B>(req: &http::Request<B>) -> Option<&str> {
///     req.extensions().get::<Claims>().map(|c| c.sub.as_str())
/// }
/// # assert_eq!(user_of(&http::Request::new(())), None);
/// ```
#[derive(Debug)]
pub struct Claims<E = ()>(pub Arc<CognitoClaims<E>>);

impl<E> Clone for Claims<E> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<E> Deref for Claims<E> {
    type Target = CognitoClaims<E>;
    fn deref(&self) -> &CognitoClaims<E> {
        &self.0
    }
}

/// What an [`optional`](crate::CognitoAuthLayer::optional) layer puts in the extensions of a
/// request it lets through without credentials: it tells "no claims because the request is
/// anonymous" (a guard or an extractor answers `401`) from "no claims because no layer ran" (a
/// server misconfiguration, `500`). Only the layer inserts it; a client cannot.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Anonymous;

/// The claims of type `E` in `extensions`, or why there are none: `Err(true)` when an optional
/// layer let the request through without credentials, `Err(false)` when no layer (of this claims
/// type) ran.
#[inline]
pub(crate) fn claims_in<E: Send + Sync + 'static>(
    extensions: &http::Extensions,
) -> Result<&Claims<E>, bool> {
    extensions
        .get::<Claims<E>>()
        .ok_or_else(|| extensions.get::<Anonymous>().is_some())
}

#[cfg(feature = "axum")]
mod axum_impl {
    use std::convert::Infallible;

    use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
    use axum_core::response::{IntoResponse, Response};
    use http::StatusCode;
    use http::request::Parts;

    use super::Claims;

    /// Rejection of the [`Claims`] extractor: no claims in the request.
    ///
    /// Either no layer verified this request (or one of another claims type): a server
    /// misconfiguration, logged at error level and answered `500`. Or an
    /// [`optional`](crate::CognitoAuthLayer::optional) layer let it through without credentials
    /// ([`is_anonymous`](Self::is_anonymous)): the client's to fix, answered `401` with the bare
    /// challenge of [`Rfc6750`](crate::reject::Rfc6750) in the default realm (`api`), the
    /// [`ErrorKind::MissingCredentials`](crate::ErrorKind::MissingCredentials) error in the
    /// response's extensions, and logged at debug level only (anonymous clients cannot fill the
    /// error log).
    #[derive(Debug, Clone, Copy, Default)]
    #[non_exhaustive]
    pub struct MissingClaims {
        anonymous: bool,
    }

    impl MissingClaims {
        /// The rejection of a request with no claims: `anonymous` when an optional layer let it
        /// through without credentials.
        pub(crate) fn new(anonymous: bool) -> Self {
            Self { anonymous }
        }

        /// Whether an optional layer let the request through without credentials (`401`), rather
        /// than no layer running at all (`500`).
        pub fn is_anonymous(&self) -> bool {
            self.anonymous
        }
    }

    impl std::fmt::Display for MissingClaims {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(if self.anonymous {
                "no credentials: the optional authentication layer let an anonymous request through"
            } else {
                "no verified claims in the request: is CognitoAuthLayer installed on this route?"
            })
        }
    }

    impl std::error::Error for MissingClaims {}

    impl IntoResponse for MissingClaims {
        fn into_response(self) -> Response {
            if self.anonymous {
                crate::log::debug!(status = 401, "anonymous request refused by an extractor");
                crate::Error::new(crate::ErrorKind::MissingCredentials).into_response()
            } else {
                crate::log::error!("{self}");
                (StatusCode::INTERNAL_SERVER_ERROR, "server misconfiguration").into_response()
            }
        }
    }

    /// The RFC 6750 answer of [`Rfc6750`](crate::reject::Rfc6750) with the default realm (`api`), the
    /// error in the response's extensions: for handlers that verify a token themselves
    /// ([`CognitoAuthLayer::verify`](crate::CognitoAuthLayer::verify)) and return `Result<_, Error>`.
    impl IntoResponse for crate::Error {
        fn into_response(self) -> Response {
            let mut response: Response =
                crate::rejection::Rfc6750::checked(crate::CognitoConfig::DEFAULT_REALM)
                    .response(&self);
            response.extensions_mut().insert(self);
            response
        }
    }

    impl<S, E> FromRequestParts<S> for Claims<E>
    where
        S: Send + Sync,
        E: Send + Sync + 'static,
    {
        type Rejection = MissingClaims;

        async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
            super::claims_in::<E>(&parts.extensions)
                .cloned()
                .map_err(MissingClaims::new)
        }
    }

    impl<S, E> OptionalFromRequestParts<S> for Claims<E>
    where
        S: Send + Sync,
        E: Send + Sync + 'static,
    {
        type Rejection = Infallible;

        async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Infallible> {
            Ok(parts.extensions.get::<Self>().cloned())
        }
    }
}

#[cfg(feature = "axum")]
pub use axum_impl::MissingClaims;
