//! [`SignIn`], [`Challenge`] and [`ChallengeAnswer`]: the steps of a sign-in, typed, so a loop
//! over challenges needs no string matching.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use super::error::{ClientError, ProtocolError};
use super::factor::{AuthFactor, FirstFactor, MfaType};
use super::secret::Secret;
use super::tokens::Tokens;
use super::types::Attribute;
use super::wire;

/// The result of a sign-in step: tokens, or a challenge to answer with
/// [`UserPoolClient::respond_to_challenge`](super::UserPoolClient::respond_to_challenge).
#[derive(Debug, Clone)]
pub enum SignIn {
    /// Signed in.
    Tokens(Tokens),
    /// Cognito wants more.
    Challenge(Challenge),
}

impl SignIn {
    /// The tokens, if signed in.
    pub fn tokens(self) -> Option<Tokens> {
        match self {
            Self::Tokens(tokens) => Some(tokens),
            Self::Challenge(_) => None,
        }
    }

    /// The challenge, if there is one.
    pub fn challenge(self) -> Option<Challenge> {
        match self {
            Self::Tokens(_) => None,
            Self::Challenge(challenge) => Some(challenge),
        }
    }
}

/// A challenge of a sign-in. Each carries the session and the (internal) user name its answer
/// needs; pass it back to
/// [`respond_to_challenge`](super::UserPoolClient::respond_to_challenge) with a
/// [`ChallengeAnswer`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Challenge {
    /// `NEW_PASSWORD_REQUIRED`: the user must choose a password (first sign-in of an
    /// admin-created user); answer with [`ChallengeAnswer::NewPassword`].
    #[non_exhaustive]
    NewPasswordRequired {
        /// The session to answer with.
        session: Secret,
        /// The user name to answer with.
        username: String,
        /// Attributes that must be given with the new password (without the `userAttributes.`
        /// prefix).
        required_attributes: Vec<String>,
        /// The user's current attributes.
        user_attributes: Vec<Attribute>,
    },
    /// `SMS_MFA`: a code was sent by SMS; answer with [`ChallengeAnswer::SmsMfaCode`].
    #[non_exhaustive]
    SmsMfa {
        /// The session to answer with.
        session: Secret,
        /// The user name to answer with.
        username: String,
        /// The masked phone number.
        destination: Option<String>,
        /// `SMS`.
        delivery_medium: Option<String>,
    },
    /// `SOFTWARE_TOKEN_MFA`: answer with [`ChallengeAnswer::SoftwareTokenMfaCode`].
    #[non_exhaustive]
    SoftwareTokenMfa {
        /// The session to answer with.
        session: Secret,
        /// The user name to answer with.
        username: String,
    },
    /// `SELECT_MFA_TYPE`: answer with [`ChallengeAnswer::SelectMfaType`].
    #[non_exhaustive]
    SelectMfaType {
        /// The session to answer with.
        session: Secret,
        /// The user name to answer with.
        username: String,
        /// The methods the user may choose (`MFAS_CAN_CHOOSE`).
        options: Vec<MfaType>,
    },
    /// `MFA_SETUP`: the user must set up MFA. For TOTP: call
    /// [`associate_software_token`](super::UserPoolClient::associate_software_token) and
    /// [`verify_software_token`](super::UserPoolClient::verify_software_token) with the
    /// session, then answer with [`ChallengeAnswer::MfaSetupDone`] and the session the
    /// verification returned.
    #[non_exhaustive]
    MfaSetup {
        /// The session to start the setup with.
        session: Secret,
        /// The user name to answer with.
        username: String,
        /// The methods the user may set up (`MFAS_CAN_SETUP`).
        options: Vec<MfaType>,
    },
    /// `SELECT_CHALLENGE` (choice-based sign-in, `USER_AUTH`): the user picks the first factor;
    /// answer with [`ChallengeAnswer::SelectChallenge`].
    #[non_exhaustive]
    SelectChallenge {
        /// The session to answer with.
        session: Secret,
        /// The user name to answer with.
        username: String,
        /// The factors the user may choose (`AvailableChallenges`), in Cognito's order;
        /// `SELECT_CHALLENGE` itself is left out.
        available: Vec<AuthFactor>,
    },
    /// `EMAIL_OTP`: a code was sent by email, as a first factor (`USER_AUTH`) or as MFA after the
    /// password; answer with [`ChallengeAnswer::EmailOtpCode`].
    #[non_exhaustive]
    EmailOtp {
        /// The session to answer with.
        session: Secret,
        /// The user name to answer with.
        username: String,
        /// The masked email address.
        destination: Option<String>,
        /// `EMAIL`.
        delivery_medium: Option<String>,
    },
    /// `SMS_OTP`: a code was sent by SMS as a first factor (`USER_AUTH`); answer with
    /// [`ChallengeAnswer::SmsOtpCode`].
    #[non_exhaustive]
    SmsOtp {
        /// The session to answer with.
        session: Secret,
        /// The user name to answer with.
        username: String,
        /// The masked phone number.
        destination: Option<String>,
        /// `SMS`.
        delivery_medium: Option<String>,
    },
    /// `WEB_AUTHN`: sign in with a passkey. Hand
    /// [`credential_request_options`](Self::WebAuthn::credential_request_options) to the
    /// authenticator (the browser's `navigator.credentials.get`, after
    /// `PublicKeyCredential.parseRequestOptionsFromJSON`) as it is, and answer with its
    /// credential's JSON ([`ChallengeAnswer::WebAuthnCredential`]).
    #[non_exhaustive]
    WebAuthn {
        /// The session to answer with.
        session: Secret,
        /// The user name to answer with.
        username: String,
        /// `CREDENTIAL_REQUEST_OPTIONS`: a `PublicKeyCredentialRequestOptionsJSON`, exactly as
        /// Cognito sent it (empty when the challenge was rebuilt with
        /// [`from_parts`](Challenge::from_parts)).
        credential_request_options: String,
    },
    /// Any other challenge (`CUSTOM_CHALLENGE`, `DEVICE_SRP_AUTH`, a challenge added to Cognito
    /// later...); answer with [`ChallengeAnswer::Responses`].
    #[non_exhaustive]
    Other {
        /// The challenge name.
        name: String,
        /// The session to answer with.
        session: Secret,
        /// The user name to answer with.
        username: String,
        /// The challenge parameters, as sent.
        parameters: BTreeMap<String, Secret>,
    },
}

impl Challenge {
    /// The challenge name on the wire (`NEW_PASSWORD_REQUIRED`...).
    pub fn name(&self) -> &str {
        match self {
            Self::NewPasswordRequired { .. } => "NEW_PASSWORD_REQUIRED",
            Self::SmsMfa { .. } => "SMS_MFA",
            Self::SoftwareTokenMfa { .. } => "SOFTWARE_TOKEN_MFA",
            Self::SelectMfaType { .. } => "SELECT_MFA_TYPE",
            Self::MfaSetup { .. } => "MFA_SETUP",
            Self::SelectChallenge { .. } => "SELECT_CHALLENGE",
            Self::EmailOtp { .. } => "EMAIL_OTP",
            Self::SmsOtp { .. } => "SMS_OTP",
            Self::WebAuthn { .. } => "WEB_AUTHN",
            Self::Other { name, .. } => name,
        }
    }

    /// The session of the challenge.
    pub fn session(&self) -> &Secret {
        match self {
            Self::NewPasswordRequired { session, .. }
            | Self::SmsMfa { session, .. }
            | Self::SoftwareTokenMfa { session, .. }
            | Self::SelectMfaType { session, .. }
            | Self::MfaSetup { session, .. }
            | Self::SelectChallenge { session, .. }
            | Self::EmailOtp { session, .. }
            | Self::SmsOtp { session, .. }
            | Self::WebAuthn { session, .. }
            | Self::Other { session, .. } => session,
        }
    }

    /// The user name the answer is sent with (and its `SECRET_HASH` computed over): the
    /// challenge's `USERNAME` or `USER_ID_FOR_SRP`, else the name the sign-in used.
    pub fn username(&self) -> &str {
        match self {
            Self::NewPasswordRequired { username, .. }
            | Self::SmsMfa { username, .. }
            | Self::SoftwareTokenMfa { username, .. }
            | Self::SelectMfaType { username, .. }
            | Self::MfaSetup { username, .. }
            | Self::SelectChallenge { username, .. }
            | Self::EmailOtp { username, .. }
            | Self::SmsOtp { username, .. }
            | Self::WebAuthn { username, .. }
            | Self::Other { username, .. } => username,
        }
    }

    /// A challenge rebuilt from its name, session and user name, as another process received
    /// it (a command line, a web front end that kept the session between two requests): enough
    /// to answer it with
    /// [`respond_to_challenge`](super::UserPoolClient::respond_to_challenge). Its other
    /// parameters (required attributes, MFA options, destination) are empty.
    ///
    /// ```
    /// use tower_cognito_client::{Challenge, Secret};
    ///
    /// let challenge = Challenge::from_parts("SMS_MFA", Secret::new("session"), "alice");
    /// assert!(matches!(challenge, Challenge::SmsMfa { .. }));
    /// assert_eq!((challenge.name(), challenge.username()), ("SMS_MFA", "alice"));
    /// let custom = Challenge::from_parts("CUSTOM_CHALLENGE", Secret::new("s"), "alice");
    /// assert_eq!(custom.name(), "CUSTOM_CHALLENGE");
    /// ```
    pub fn from_parts(name: &str, session: Secret, username: impl Into<String>) -> Self {
        let username = username.into();
        match name {
            "NEW_PASSWORD_REQUIRED" => Self::NewPasswordRequired {
                session,
                username,
                required_attributes: Vec::new(),
                user_attributes: Vec::new(),
            },
            "SMS_MFA" => Self::SmsMfa {
                session,
                username,
                destination: None,
                delivery_medium: None,
            },
            "SOFTWARE_TOKEN_MFA" => Self::SoftwareTokenMfa { session, username },
            "SELECT_MFA_TYPE" => Self::SelectMfaType {
                session,
                username,
                options: Vec::new(),
            },
            "MFA_SETUP" => Self::MfaSetup {
                session,
                username,
                options: Vec::new(),
            },
            "SELECT_CHALLENGE" => Self::SelectChallenge {
                session,
                username,
                available: Vec::new(),
            },
            "EMAIL_OTP" => Self::EmailOtp {
                session,
                username,
                destination: None,
                delivery_medium: None,
            },
            "SMS_OTP" => Self::SmsOtp {
                session,
                username,
                destination: None,
                delivery_medium: None,
            },
            "WEB_AUTHN" => Self::WebAuthn {
                session,
                username,
                credential_request_options: String::new(),
            },
            other => Self::Other {
                name: other.to_owned(),
                session,
                username,
                parameters: BTreeMap::new(),
            },
        }
    }

    /// Reads a challenge. `username` is the name the sign-in step was made with.
    pub(crate) fn from_wire(
        operation: &'static str,
        name: String,
        session: Option<String>,
        mut parameters: HashMap<String, String>,
        username: &str,
    ) -> Result<Self, ClientError> {
        let invalid = |field| ClientError::protocol(operation, ProtocolError::InvalidField(field));
        let session = Secret::new(session.filter(|s| !s.is_empty()).ok_or_else(|| {
            ClientError::protocol(operation, ProtocolError::MissingField("Session"))
        })?);
        let username = parameters
            .get("USERNAME")
            .or_else(|| parameters.get("USER_ID_FOR_SRP"))
            .filter(|u| !u.is_empty())
            .cloned()
            .unwrap_or_else(|| username.to_owned());
        let mfa_list =
            |parameters: &HashMap<String, String>, key: &'static str| match parameters.get(key) {
                None => Ok(Vec::new()),
                Some(raw) => serde_json::from_str::<Vec<String>>(raw)
                    .map(|names| names.iter().map(|n| MfaType::parse(n)).collect())
                    .map_err(|_| invalid(key)),
            };
        Ok(match name.as_str() {
            "NEW_PASSWORD_REQUIRED" => {
                let required_attributes = match parameters.get("requiredAttributes") {
                    None => Vec::new(),
                    Some(raw) => serde_json::from_str::<Vec<String>>(raw)
                        .map_err(|_| invalid("requiredAttributes"))?
                        .into_iter()
                        .map(|a| match a.strip_prefix("userAttributes.") {
                            Some(name) => name.to_owned(),
                            None => a,
                        })
                        .collect(),
                };
                let user_attributes = match parameters.get("userAttributes") {
                    None => Vec::new(),
                    Some(raw) => {
                        let map: serde_json::Map<String, serde_json::Value> =
                            serde_json::from_str(raw).map_err(|_| invalid("userAttributes"))?;
                        map.into_iter()
                            .filter_map(|(name, value)| {
                                let value = match value {
                                    serde_json::Value::String(s) => s,
                                    serde_json::Value::Bool(b) => b.to_string(),
                                    serde_json::Value::Number(n) => n.to_string(),
                                    _ => return None,
                                };
                                Some(Attribute { name, value })
                            })
                            .collect()
                    }
                };
                Self::NewPasswordRequired {
                    session,
                    username,
                    required_attributes,
                    user_attributes,
                }
            }
            "SMS_MFA" => Self::SmsMfa {
                session,
                username,
                destination: parameters.remove("CODE_DELIVERY_DESTINATION"),
                delivery_medium: parameters.remove("CODE_DELIVERY_DELIVERY_MEDIUM"),
            },
            "SOFTWARE_TOKEN_MFA" => Self::SoftwareTokenMfa { session, username },
            "SELECT_MFA_TYPE" => Self::SelectMfaType {
                options: mfa_list(&parameters, "MFAS_CAN_CHOOSE")?,
                session,
                username,
            },
            "MFA_SETUP" => Self::MfaSetup {
                options: mfa_list(&parameters, "MFAS_CAN_SETUP")?,
                session,
                username,
            },
            // `AvailableChallenges` is a top-level member: `sign_in_from_wire` fills it in.
            "SELECT_CHALLENGE" => Self::SelectChallenge {
                session,
                username,
                available: Vec::new(),
            },
            "EMAIL_OTP" => Self::EmailOtp {
                session,
                username,
                destination: parameters.remove("CODE_DELIVERY_DESTINATION"),
                delivery_medium: parameters.remove("CODE_DELIVERY_DELIVERY_MEDIUM"),
            },
            "SMS_OTP" => Self::SmsOtp {
                session,
                username,
                destination: parameters.remove("CODE_DELIVERY_DESTINATION"),
                delivery_medium: parameters.remove("CODE_DELIVERY_DELIVERY_MEDIUM"),
            },
            "WEB_AUTHN" => Self::WebAuthn {
                credential_request_options: parameters
                    .remove("CREDENTIAL_REQUEST_OPTIONS")
                    .filter(|o| !o.is_empty())
                    .ok_or_else(|| {
                        ClientError::protocol(
                            operation,
                            ProtocolError::MissingField("CREDENTIAL_REQUEST_OPTIONS"),
                        )
                    })?,
                session,
                username,
            },
            _ => Self::Other {
                parameters: parameters
                    .into_iter()
                    .map(|(k, v)| (k, Secret::new(v)))
                    .collect(),
                name,
                session,
                username,
            },
        })
    }
}

/// The answer to a [`Challenge`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ChallengeAnswer {
    /// For `NEW_PASSWORD_REQUIRED`: the new password and the required attributes (names
    /// without the `userAttributes.` prefix).
    NewPassword {
        /// The new password.
        password: Secret,
        /// Attributes to set (at least the challenge's `required_attributes`).
        attributes: Vec<Attribute>,
    },
    /// For `SMS_MFA`: the code received by SMS.
    SmsMfaCode(Secret),
    /// For `SOFTWARE_TOKEN_MFA`: the code of the authenticator app.
    SoftwareTokenMfaCode(Secret),
    /// For `SELECT_MFA_TYPE`: the chosen method.
    SelectMfaType(MfaType),
    /// For `MFA_SETUP`, once the software token is verified: the session
    /// [`verify_software_token`](super::UserPoolClient::verify_software_token) returned.
    MfaSetupDone {
        /// The session of the verification.
        session: Secret,
    },
    /// Raw `ChallengeResponses`, for any challenge (`USERNAME` and `SECRET_HASH` are added
    /// when absent).
    Responses(BTreeMap<String, Secret>),
    /// For `SELECT_CHALLENGE`: the chosen first factor. A password goes with it
    /// ([`FirstFactor::Password`]; with [`FirstFactor::PasswordSrp`] it never leaves the
    /// process and the `PASSWORD_VERIFIER` step is answered at once); the one-time codes and
    /// passkeys answer with their own challenge next.
    SelectChallenge(FirstFactor),
    /// For `EMAIL_OTP` (first factor or MFA): the code received by email.
    EmailOtpCode(Secret),
    /// For `SMS_OTP`: the code received by SMS.
    SmsOtpCode(Secret),
    /// For `WEB_AUTHN`: the authenticator's credential, as the JSON the browser gives
    /// (`AuthenticationResponseJSON`, from `PublicKeyCredential.toJSON()`, serialized); sent
    /// unchanged. A [`Secret`]: a signed answer to the session's challenge is never logged.
    WebAuthnCredential(Secret),
}

impl ChallengeAnswer {
    /// [`NewPassword`](Self::NewPassword) with no attributes.
    pub fn new_password(password: impl Into<Secret>) -> Self {
        Self::NewPassword {
            password: password.into(),
            attributes: Vec::new(),
        }
    }
}

/// Reads an `InitiateAuth` or `RespondToAuthChallenge` answer.
pub(crate) fn sign_in_from_wire(
    operation: &'static str,
    answer: wire::AuthResponse,
    username: &str,
    received: SystemTime,
) -> Result<SignIn, ClientError> {
    if let Some(result) = answer.authentication_result {
        return Tokens::from_wire(operation, result, received).map(SignIn::Tokens);
    }
    let name = answer
        .challenge_name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            ClientError::protocol(
                operation,
                ProtocolError::MissingField("AuthenticationResult"),
            )
        })?;
    let mut challenge = Challenge::from_wire(
        operation,
        name,
        answer.session,
        answer.challenge_parameters,
        username,
    )?;
    if let Challenge::SelectChallenge { available, .. } = &mut challenge {
        *available = answer
            .available_challenges
            .iter()
            .filter(|n| n.as_str() != "SELECT_CHALLENGE")
            .map(|n| AuthFactor::parse(n))
            .collect();
    }
    Ok(SignIn::Challenge(challenge))
}
