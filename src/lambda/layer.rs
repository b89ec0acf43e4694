//! [`GatewayClaimsLayer`]: the claims API Gateway verified, checked and put into the request.

use std::fmt;

use tower_layer::Layer;

use crate::config::CognitoConfig;
use crate::rejection::Rfc6750;

use super::context::GatewayRules;
use super::service::GatewayClaims;

/// A layer for functions behind API Gateway's own Cognito authorizer (REST API) or JWT authorizer
/// (HTTP API): the gateway verified the token's signature; this layer reads the claims from the
/// request context ([`gateway_claims`](super::gateway_claims)), applies the Cognito rules of its
/// configuration the gateway does not (issuer, `token_use`, app client, time), and puts them in
/// the request as [`Claims`](crate::Claims), so the extractor, [`Require`](crate::Require) and the
/// other guards work as behind [`CognitoAuthLayer`](crate::CognitoAuthLayer).
///
/// A refused request is answered as that layer does ([`Rfc6750`]): `401` with the bare challenge
/// when the context carries no authorizer claims, `401 invalid_token` for any other failure; the
/// [`Error`](crate::Error) is in the response's extensions.
#[derive(Clone)]
#[must_use = "a layer does nothing until it wraps a service"]
pub struct GatewayClaimsLayer {
    rules: GatewayRules,
    reject: Rfc6750,
}

impl fmt::Debug for GatewayClaimsLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayClaimsLayer")
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

impl GatewayClaimsLayer {
    /// A layer with the rules of `config`: its pools' issuers, app clients and token use, its
    /// leeway, clock and realm. No key is fetched: the gateway verified the signature.
    pub fn new(config: &CognitoConfig) -> Self {
        Self {
            rules: GatewayRules::new(config),
            reject: Rfc6750::checked(config.realm()),
        }
    }
}

impl<S> Layer<S> for GatewayClaimsLayer {
    type Service = GatewayClaims<S>;
    fn layer(&self, inner: S) -> GatewayClaims<S> {
        GatewayClaims::new(inner, self.rules.clone(), self.reject.clone())
    }
}
