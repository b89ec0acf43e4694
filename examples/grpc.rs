//! gRPC with tonic: the standard health service (`grpc.health.v1.Health`, open, for probes) and a
//! `Whoami` service behind `CognitoAuthLayer`, whose handler reads the verified claims from the
//! request extensions.
//!
//! ```text
//! cargo run --example grpc --features test-util
//! ```
//!
//! The quick start's variables and offline mode (`tower_cognito::env`): offline (no
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

use std::error::Error;
use std::process::ExitCode;

use tonic::service::LayerExt as _;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;
use tower_cognito::CognitoAuthLayer;
use tower_cognito::env::Env;
use tower_cognito::test_util::OfflineIssuer;

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
async fn run() -> Result<(), Box<dyn Error>> {
    let env = Env::process();
    // Every variable is read before anything starts (`config` checks COGNITO_TOKEN_USE too).
    let (addr, real) = (env.bind_addr("127.0.0.1:50051")?, env.config()?);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let addr = listener.local_addr()?;
    // Real mode with COGNITO_USER_POOL_ID; offline, an embedded issuer serves its keys on loopback.
    let (config, offline) = match real {
        Some(real) => (real.build()?, None),
        None => {
            let offline = OfflineIssuer::start(env.token_use()?, &["users", "admins"]).await?;
            (offline.config().build()?, Some(offline))
        }
    };
    let keys = format!("could not load the signing keys from {}", config.jwks_url());
    let auth = CognitoAuthLayer::builder(config)
        .start()
        .await
        .map_err(|e| format!("{keys}: {}", chain(&e)))?;

    // The standard health service, open: probes carry no token.
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status(whoami::SERVICE, ServingStatus::Serving)
        .await;

    let token = match &offline {
        Some(offline) => {
            offline.banner().iter().for_each(|line| println!("{line}"));
            offline.token()
        }
        None => {
            let c = auth.config();
            let (pool, issuer, jwks) = (c.user_pool_id(), c.issuer(), c.jwks_url());
            println!("real mode: user pool {pool}, issuer {issuer}\nJWKS {jwks}");
            let token_use = c.token_use().map_or("any", tower_cognito::TokenUse::as_str);
            println!("accepted token use: {token_use}");
            println!("(put a token of this pool in $TOKEN)");
            "$TOKEN"
        }
    };
    println!(
        "services: grpc.health.v1.Health (open), {} (behind the layer)",
        whoami::SERVICE
    );
    println!(
        "call {} with the metadata: authorization: Bearer {token}",
        whoami::WHOAMI
    );
    println!("listening on http://{addr}");

    Server::builder()
        .add_service(health)
        // Only this service is behind the layer; `named_layer` keeps its name for the router.
        .add_service(auth.named_layer(whoami::WhoamiServer))
        .serve_with_incoming_shutdown(TcpIncoming::from(listener), async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// `error` and its sources on one line, `A: B: C` (a level whose text already ends with its
/// source's is not repeated).
fn chain(error: &dyn Error) -> String {
    let mut line = error.to_string();
    for cause in std::iter::successors(error.source(), |&e| e.source()).take(16) {
        let text = cause.to_string();
        if !line.ends_with(&text) {
            line = format!("{line}: {text}");
        }
    }
    line.replace(['\n', '\r'], " ")
}

#[tokio::main]
async fn main() -> ExitCode {
    let Err(e) = run().await else {
        return ExitCode::SUCCESS;
    };
    eprintln!("grpc: error: {}", chain(&*e));
    ExitCode::FAILURE
}
