//! [`AlbClaims`]: what a verified `x-amzn-oidc-data` says about the user and the load balancer.

use serde::Serialize;
use serde_json::{Map, Value};

/// The verified content of an `x-amzn-oidc-data` token: the user (`sub` and every claim of the
/// payload, which is the identity provider's userinfo answer), and from the JOSE header the load
/// balancer that signed it, the app client and issuer it authenticated with, and its expiry.
///
/// With Cognito behind the ALB, the payload holds the user's attributes as the userinfo endpoint
/// answers them (`email_verified` is the string `"true"` there, not a boolean), plus `username`,
/// `exp` and `iss`. Serializes as one JSON object with these fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct AlbClaims {
    /// The user (`sub` of the payload, required).
    pub sub: String,
    /// The issuer the ALB authenticated with (the header's `iss`, equal to the payload's when
    /// the payload has one).
    pub iss: String,
    /// The app client the ALB authenticated with (the header's `client`).
    pub client: String,
    /// The ARN of the load balancer that signed the token (the header's `signer`).
    pub signer: String,
    /// Expiry (the header's `exp`), seconds since the Unix epoch.
    pub exp: u64,
    /// The whole payload, `sub` included.
    pub claims: Map<String, Value>,
}

impl AlbClaims {
    /// A string claim of the payload.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// `email`, when the payload has it as a string.
    pub fn email(&self) -> Option<&str> {
        self.get_str("email")
    }

    /// `username`, when the payload has it as a string (Cognito's userinfo has it).
    pub fn username(&self) -> Option<&str> {
        self.get_str("username")
    }
}
