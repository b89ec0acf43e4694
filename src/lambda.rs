//! AWS Lambda (feature `lambda`): the layers run unchanged inside a `lambda_http` function (a
//! tower service); this module adds what is particular to functions behind API Gateway's own
//! authorizers.
//!
//! When a REST API `COGNITO_USER_POOLS` authorizer or an HTTP API JWT authorizer verified the
//! token, the function gets no token to verify, only its claims in the request context, flattened
//! to strings (`cognito:groups` as `"a,b"` or `"[a b]"`). The gateway checked the signature and
//! the expiry, but not everything Cognito needs: an HTTP API JWT authorizer accepts ID and access
//! tokens alike (no `token_use` check) and takes `client_id` only when `aud` is absent.
//! [`GatewayClaimsLayer`] reads those claims ([`gateway_claims`] without a layer), applies the
//! Cognito rules of a [`CognitoConfig`](crate::CognitoConfig) the gateway does not (issuer,
//! `token_use`, app client, time), and puts them in the request as [`Claims`](crate::Claims): the
//! extractor and the guards work as behind [`CognitoAuthLayer`](crate::CognitoAuthLayer).
//!
//! No signature is verified here: the claims are trusted because API Gateway wrote the event.
//! Anyone allowed to invoke the function directly can write one too; let only API Gateway invoke
//! it, or use the bearer layer.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tower::ServiceExt;
//! use tower_cognito::guard::GuardLayer;
//! use tower_cognito::lambda::GatewayClaimsLayer;
//! use tower_cognito::{Claims, CognitoConfig, Require, TokenUse};
//!
//! let config = CognitoConfig::builder("eu-west-1_AbC123")
//!     .client_id("client1")
//!     .token_use(TokenUse::Access)
//!     .build()?;
//! let app = tower::ServiceBuilder::new()
//!     .layer(GatewayClaimsLayer::new(&config))
//!     .layer(GuardLayer::new(Require::groups_any(["admin"])?))
//!     .service_fn(|req: lambda_http::Request| async move {
//!         let sub = req.extensions().get::<Claims>().map(|c| c.sub.clone());
//!         Ok::<_, std::convert::Infallible>(http::Response::new(sub.unwrap_or_default()))
//!     });
//!
//! // An HTTP API event whose JWT authorizer verified an access token.
//! let event = r#"{"version":"2.0","rawPath":"/me","rawQueryString":"","headers":{},
//!   "requestContext":{"http":{"method":"GET","path":"/me"},"authorizer":{"jwt":{"claims":{
//!     "sub":"alice","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
//!     "token_use":"access","client_id":"client1","exp":"9999999999",
//!     "cognito:groups":"[admin staff]"},"scopes":null}}},"isBase64Encoded":false}"#;
//! let req = lambda_http::request::from_str(event)?;
//! let res = app.clone().oneshot(req).await?;
//! assert_eq!((res.status(), res.into_body()), (http::StatusCode::OK, "alice".to_owned()));
//!
//! // The same claims from an ID token: the gateway let it through, the layer does not.
//! let id_token = event.replace(r#""token_use":"access""#, r#""token_use":"id""#);
//! let res = app.oneshot(lambda_http::request::from_str(&id_token)?).await?;
//! assert_eq!(res.status(), 401);
//! # Ok(()) }
//! ```
//!
//! The [guide](crate::guide::lambda) shows a whole function, the cold-start choices for the keys
//! (a JWKS bundled with the function, or fetched with a short startup timeout) and the
//! deployment with `cargo lambda`.

mod context;
mod forms;
mod layer;
mod service;

pub use self::context::{GatewayError, gateway_claims};
pub use self::layer::GatewayClaimsLayer;
pub use self::service::GatewayClaims;
