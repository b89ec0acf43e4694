//! The inputs and outputs of the account operations (sign-up, attributes, TOTP).

use std::collections::BTreeMap;

use super::error::{ClientError, ProtocolError};
use super::factor::MfaType;
use super::secret::Secret;
use super::wire;

/// A user attribute: `email`, `name`, `custom:tier`...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute's name.
    pub name: String,
    /// Its value (Cognito sends every value as a string).
    pub value: String,
}

impl Attribute {
    /// An attribute `name` = `value`.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }

    pub(crate) fn from_wire(attribute: wire::Attribute) -> Self {
        Self {
            name: attribute.name,
            value: attribute.value.unwrap_or_default(),
        }
    }
}

/// Where Cognito sent a code.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CodeDelivery {
    /// The masked destination (`a***@e***`, `+*******1234`).
    pub destination: Option<String>,
    /// `EMAIL` or `SMS`.
    pub delivery_medium: Option<String>,
    /// The attribute the code was sent to (`email`, `phone_number`).
    pub attribute_name: Option<String>,
}

impl CodeDelivery {
    pub(crate) fn from_wire(details: wire::CodeDeliveryDetails) -> Self {
        Self {
            destination: details.destination,
            delivery_medium: details.delivery_medium,
            attribute_name: details.attribute_name,
        }
    }

    pub(crate) fn required(
        operation: &'static str,
        details: Option<wire::CodeDeliveryDetails>,
    ) -> Result<Self, ClientError> {
        details.map(Self::from_wire).ok_or_else(|| {
            ClientError::protocol(
                operation,
                ProtocolError::MissingField("CodeDeliveryDetails"),
            )
        })
    }
}

/// The input of [`UserPoolClient::sign_up`](super::UserPoolClient::sign_up).
///
/// ```
/// use tower_cognito_client::SignUpInput;
///
/// let input = SignUpInput::new("alice", "correct horse battery staple")
///     .attribute("email", "alice@example.com")
///     .client_metadata("source", "web");
/// assert!(!format!("{input:?}").contains("correct horse"));
/// ```
#[derive(Debug, Clone)]
pub struct SignUpInput {
    pub(crate) username: String,
    pub(crate) password: Secret,
    pub(crate) attributes: Vec<Attribute>,
    pub(crate) client_metadata: BTreeMap<String, String>,
}

impl SignUpInput {
    /// A sign-up of `username` with `password`.
    pub fn new(username: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
            attributes: Vec::new(),
            client_metadata: BTreeMap::new(),
        }
    }

    /// Adds a user attribute.
    pub fn attribute(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push(Attribute::new(name, value));
        self
    }

    /// Adds a `ClientMetadata` entry (passed to the pool's Lambda triggers).
    pub fn client_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.client_metadata.insert(key.into(), value.into());
        self
    }
}

/// The answer of [`UserPoolClient::sign_up`](super::UserPoolClient::sign_up).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SignUpOutput {
    /// Whether the user is already confirmed (by a pre-sign-up trigger).
    pub user_confirmed: bool,
    /// The new user's `sub`.
    pub user_sub: String,
    /// Where the confirmation code was sent, if one was.
    pub code_delivery: Option<CodeDelivery>,
    /// A session for sign-in after confirmation, where the pool issues one.
    pub session: Option<Secret>,
}

/// A user, as [`UserPoolClient::get_user`](super::UserPoolClient::get_user) gives it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct User {
    /// The Cognito user name (for pools with alias sign-in, often the `sub`).
    pub username: String,
    /// The attributes the app client may read.
    pub attributes: Vec<Attribute>,
    /// The preferred MFA method, if set.
    pub preferred_mfa: Option<MfaType>,
    /// The MFA methods on for the user.
    pub mfa_settings: Vec<MfaType>,
}

impl User {
    /// The value of the attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }
}

/// Who sets up a software token (TOTP): a signed-in user, or a sign-in in its `MFA_SETUP`
/// challenge.
#[derive(Debug, Clone, Copy)]
pub enum SoftwareTokenAuth<'a> {
    /// The user's access token.
    AccessToken(&'a Secret),
    /// The session of an `MFA_SETUP` challenge (or the one the previous step returned).
    Session(&'a Secret),
}

/// The answer of
/// [`UserPoolClient::associate_software_token`](super::UserPoolClient::associate_software_token).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SoftwareTokenAssociation {
    /// The TOTP secret (base32), for the authenticator app.
    pub secret_code: Secret,
    /// The session for the next step, when the association was made with a session.
    pub session: Option<Secret>,
}

/// The answer of
/// [`UserPoolClient::verify_software_token`](super::UserPoolClient::verify_software_token).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SoftwareTokenVerification {
    /// `SUCCESS` or `ERROR`.
    pub status: String,
    /// The session to answer the `MFA_SETUP` challenge with, when verified with a session.
    pub session: Option<Secret>,
}

impl SoftwareTokenVerification {
    /// Whether Cognito accepted the code (`SUCCESS`).
    pub fn is_success(&self) -> bool {
        self.status == "SUCCESS"
    }
}
