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
/// server misconfiguration, not a client error.
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

#[cfg(feature = "axum")]
mod axum_impl {
    use std::convert::Infallible;

    use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
    use axum_core::response::{IntoResponse, Response};
    use http::StatusCode;
    use http::request::Parts;

    use super::Claims;

    /// Rejection of the [`Claims`] extractor: no layer verified this request. Answers `500`.
    #[derive(Debug, Clone, Copy, Default)]
    #[non_exhaustive]
    pub struct MissingClaims;

    impl std::fmt::Display for MissingClaims {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(
                "no verified claims in the request: is CognitoAuthLayer installed on this route?",
            )
        }
    }

    impl std::error::Error for MissingClaims {}

    impl IntoResponse for MissingClaims {
        fn into_response(self) -> Response {
            crate::log::error!("{self}");
            (StatusCode::INTERNAL_SERVER_ERROR, "server misconfiguration").into_response()
        }
    }

    /// The RFC 6750 answer of [`Rfc6750`](crate::Rfc6750) with the default realm (`api`), the
    /// error in the response's extensions: for handlers that verify a token themselves
    /// ([`CognitoAuthLayer::verify`](crate::CognitoAuthLayer::verify)) and return `Result<_, Error>`.
    impl IntoResponse for crate::Error {
        fn into_response(self) -> Response {
            let mut response: Response =
                crate::Rfc6750::checked(crate::CognitoConfig::DEFAULT_REALM).response(&self);
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
            parts.extensions.get::<Self>().cloned().ok_or(MissingClaims)
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
