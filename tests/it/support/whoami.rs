//! `tower_cognito.example.Whoami` of the gRPC example (`examples/grpc.rs`), as the tests' own
//! copy: its messages for a tonic client, and its server for the in-process tests.
//!
//! ```proto
//! package tower_cognito.example;
//! service Whoami { rpc Whoami(WhoamiRequest) returns (WhoamiReply); }
//! message WhoamiRequest {}
//! message WhoamiReply { string sub = 1; optional string username = 2; string token_use = 3; repeated string groups = 4; }
//! ```

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
pub(crate) const SERVICE: &str = "tower_cognito.example.Whoami";
/// The path of its one method.
pub(crate) const WHOAMI: &str = "/tower_cognito.example.Whoami/Whoami";

/// The request: nothing but the caller's token, in the metadata.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct WhoamiRequest {}

/// The reply: claims of the caller's verified token.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct WhoamiReply {
    /// `sub`.
    #[prost(string, tag = "1")]
    pub(crate) sub: String,
    /// `username` (access tokens) or `cognito:username` (ID tokens).
    #[prost(string, optional, tag = "2")]
    pub(crate) username: Option<String>,
    /// `access` or `id`.
    #[prost(string, tag = "3")]
    pub(crate) token_use: String,
    /// `cognito:groups`.
    #[prost(string, repeated, tag = "4")]
    pub(crate) groups: Vec<String>,
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
pub(crate) struct WhoamiServer;

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
