//! gRPC with tonic: the standard health service (`grpc.health.v1.Health`, open, for probes) and a
//! `Whoami` service behind `CognitoAuthLayer`, whose handler reads the verified claims from the
//! request extensions.
//!
//! ```text
//! cargo run --example grpc --features test-util
//! ```
//!
//! The quick start's variables and offline mode (`examples/common/mod.rs`): offline (no
//! `COGNITO_USER_POOL_ID`) it prints an access token, an ID token and the call to make with the
//! one the layer accepts (`COGNITO_TOKEN_USE`, access by default), then
//! `listening on http://ADDR` (`BIND_ADDR`, default `127.0.0.1:50051`).
//!
//! The layer covers only the service it wraps (`named_layer`), so health probes need no token;
//! `Server::builder().layer(auth)` would cover every service, health included. A rejected call
//! gets `UNAUTHENTICATED` (no token, a malformed `authorization`, any token failure),
//! `PERMISSION_DENIED` or `UNAVAILABLE` (no key set yet), with the RFC 6750 challenge in the
//! metadata (`www-authenticate`).
//!
//! `Whoami` is written by hand (prost messages, tonic's `Grpc` codec driver) so that no `protoc`
//! is needed; with `tonic-build`, the generated `WhoamiServer::new(..)` goes in its place.

#[path = "common/mod.rs"]
mod common;

use std::process::ExitCode;

use tonic::service::LayerExt as _;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;

use common::Settings;

/// Address used when `BIND_ADDR` is not set.
const DEFAULT_BIND_ADDR: &str = "127.0.0.1:50051";

/// `tower_cognito.example.Whoami`, one unary method: who the caller's token says it is.
///
/// ```proto
/// package tower_cognito.example;
/// service Whoami { rpc Whoami(WhoamiRequest) returns (WhoamiReply); }
/// message WhoamiRequest {}
/// message WhoamiReply { string sub = 1; optional string username = 2; string token_use = 3; repeated string groups = 4; }
/// ```
pub mod whoami {
    use std::convert::Infallible;
    use std::future::{Future, Ready, ready};
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use tonic::body::Body;
    use tonic::server::{Grpc, NamedService, UnaryService};
    use tonic::{Request, Response, Status};
    use tonic_prost::ProstCodec;
    use tower_cognito::Claims;

    /// The service's full name.
    pub const SERVICE: &str = "tower_cognito.example.Whoami";
    /// The path of its one method.
    pub const WHOAMI: &str = "/tower_cognito.example.Whoami/Whoami";

    /// The request: nothing but the caller's token, in the metadata.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct WhoamiRequest {}

    /// The reply: claims of the caller's verified token.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct WhoamiReply {
        /// `sub`.
        #[prost(string, tag = "1")]
        pub sub: String,
        /// `username` (access tokens) or `cognito:username` (ID tokens).
        #[prost(string, optional, tag = "2")]
        pub username: Option<String>,
        /// `access` or `id`.
        #[prost(string, tag = "3")]
        pub token_use: String,
        /// `cognito:groups`.
        #[prost(string, repeated, tag = "4")]
        pub groups: Vec<String>,
    }

    /// The handler. The layer put the verified claims into the request's extensions.
    fn whoami(request: &Request<WhoamiRequest>) -> Result<Response<WhoamiReply>, Status> {
        let claims = request
            .extensions()
            .get::<Claims>()
            // No layer ran: a server misconfiguration, not a client error.
            .ok_or_else(|| Status::internal("server misconfiguration"))?;
        Ok(Response::new(WhoamiReply {
            sub: claims.sub.clone(),
            username: claims.username().map(str::to_owned),
            token_use: claims.token_use.as_str().to_owned(),
            groups: claims.groups.clone(),
        }))
    }

    /// The server: what `tonic-build` would generate for the proto above, by hand.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct WhoamiServer;

    impl NamedService for WhoamiServer {
        const NAME: &'static str = SERVICE;
    }

    /// `Whoami` as tonic's codec driver calls it.
    struct Method;

    impl UnaryService<WhoamiRequest> for Method {
        type Response = WhoamiReply;
        type Future = Ready<Result<Response<WhoamiReply>, Status>>;

        fn call(&mut self, request: Request<WhoamiRequest>) -> Self::Future {
            ready(whoami(&request))
        }
    }

    impl tower::Service<http::Request<Body>> for WhoamiServer {
        type Response = http::Response<Body>;
        type Error = Infallible;
        type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: http::Request<Body>) -> Self::Future {
            if request.uri().path() == WHOAMI {
                Box::pin(async move {
                    let mut grpc = Grpc::new(ProstCodec::<WhoamiReply, WhoamiRequest>::default());
                    Ok(grpc.unary(Method, request).await)
                })
            } else {
                Box::pin(ready(Ok(
                    Status::unimplemented("no such method").into_http()
                )))
            }
        }
    }
}

/// Binds, builds the layer, prints the banner and serves until Ctrl-C.
async fn run(settings: Settings) -> Result<(), String> {
    let (listener, addr) = common::bind(&settings).await?;
    // `auth` owns the offline issuer: its JWKS server runs until `run` returns.
    let auth = common::auth(&settings).await?;

    // The standard health service, open: probes carry no token.
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status(whoami::SERVICE, ServingStatus::Serving)
        .await;

    for line in &auth.banner {
        println!("{line}");
    }
    println!(
        "services: grpc.health.v1.Health (open), {} (behind the layer)",
        whoami::SERVICE
    );
    let token = auth.try_token();
    println!(
        "call {} with the metadata: authorization: Bearer {token}",
        whoami::WHOAMI
    );
    println!("listening on http://{addr}");

    Server::builder()
        .add_service(health)
        // Only this service is behind the layer; `named_layer` keeps its name for the router.
        .add_service(auth.layer.named_layer(whoami::WhoamiServer))
        .serve_with_incoming_shutdown(TcpIncoming::from(listener), async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| format!("server error: {e}"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match common::settings_from_env(common::env, DEFAULT_BIND_ADDR) {
        Ok(settings) => run(settings).await,
        Err(e) => Err(e),
    };
    common::exit("grpc", result)
}
