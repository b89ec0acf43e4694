//! The verified ALB claims in the request, and the axum extractor that reads them.

use std::ops::Deref;
use std::sync::Arc;

use super::claims::AlbClaims;

/// The verified [`AlbClaims`] of the request, as an [`AlbAuthLayer`](super::AlbAuthLayer) put
/// them into the request extensions. Cloning is cheap (an `Arc`).
///
/// With the `axum` feature it is an extractor, and so is `Option<alb::Claims>`; a handler that
/// asks for it on a route no ALB layer covers answers `500` (a server misconfiguration, not a
/// client error: [`MissingAlbClaims`]). With hyper or tonic, read it from the extensions:
///
/// ```
/// use tower_cognito::alb;
///
/// fn user_of<B>(req: &http::Request<B>) -> Option<&str> {
///     req.extensions().get::<alb::Claims>().map(|c| c.sub.as_str())
/// }
/// # assert_eq!(user_of(&http::Request::new(())), None);
/// ```
#[derive(Debug, Clone)]
pub struct Claims(pub Arc<AlbClaims>);

impl Deref for Claims {
    type Target = AlbClaims;
    fn deref(&self) -> &AlbClaims {
        &self.0
    }
}

/// Rejection of the [`Claims`] extractor: no ALB layer verified this request. A server
/// misconfiguration: logged at error level, answered `500`.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct MissingAlbClaims;

impl std::fmt::Display for MissingAlbClaims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "no verified ALB claims in the request: is AlbAuthLayer installed on this route?",
        )
    }
}

impl std::error::Error for MissingAlbClaims {}

#[cfg(feature = "axum")]
mod axum_impl {
    use std::convert::Infallible;

    use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
    use axum_core::response::{IntoResponse, Response};
    use http::StatusCode;
    use http::request::Parts;

    use super::{Claims, MissingAlbClaims};

    impl IntoResponse for MissingAlbClaims {
        fn into_response(self) -> Response {
            crate::log::error!("{self}");
            (StatusCode::INTERNAL_SERVER_ERROR, "server misconfiguration").into_response()
        }
    }

    impl<S: Send + Sync> FromRequestParts<S> for Claims {
        type Rejection = MissingAlbClaims;

        async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
            parts
                .extensions
                .get::<Self>()
                .cloned()
                .ok_or(MissingAlbClaims)
        }
    }

    impl<S: Send + Sync> OptionalFromRequestParts<S> for Claims {
        type Rejection = Infallible;

        async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Infallible> {
            Ok(parts.extensions.get::<Self>().cloned())
        }
    }
}
