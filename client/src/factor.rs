//! [`AuthFactor`] and [`FirstFactor`]: the first factors of choice-based sign-in (`USER_AUTH`),
//! by name and with what they need; [`MfaType`]: the MFA methods, by name.

use super::secret::Secret;

/// A factor of choice-based sign-in, by its Cognito name: what `AvailableChallenges` lists,
/// what `PREFERRED_CHALLENGE` asks for and what `SELECT_CHALLENGE`'s `ANSWER` picks (first
/// factors), and what `GetUserAuthFactors` lists (which adds the MFA-only
/// [`SoftwareToken`](Self::SoftwareToken)). Names Cognito adds later parse into
/// [`Other`](Self::Other).
///
/// ```
/// use tower_cognito_client::AuthFactor;
///
/// assert_eq!(AuthFactor::parse("EMAIL_OTP"), AuthFactor::EmailOtp);
/// assert_eq!(AuthFactor::WebAuthn.as_str(), "WEB_AUTHN");
/// assert_eq!(AuthFactor::parse("NEW_FACTOR").as_str(), "NEW_FACTOR");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthFactor {
    /// `PASSWORD`: the password, sent to Cognito (over TLS).
    Password,
    /// `PASSWORD_SRP`: the password, proven with SRP (it never leaves the process).
    PasswordSrp,
    /// `EMAIL_OTP`: a one-time code sent by email.
    EmailOtp,
    /// `SMS_OTP`: a one-time code sent by SMS.
    SmsOtp,
    /// `WEB_AUTHN`: a passkey.
    WebAuthn,
    /// `SOFTWARE_TOKEN`: an authenticator app (TOTP), a second factor only: listed by
    /// [`get_user_auth_factors`](super::UserPoolClient::get_user_auth_factors), never offered
    /// as a first factor.
    SoftwareToken,
    /// A factor this version does not know.
    Other(String),
}

impl AuthFactor {
    /// Parses a challenge name.
    pub fn parse(name: &str) -> Self {
        match name {
            "PASSWORD" => Self::Password,
            "PASSWORD_SRP" => Self::PasswordSrp,
            "EMAIL_OTP" => Self::EmailOtp,
            "SMS_OTP" => Self::SmsOtp,
            "WEB_AUTHN" => Self::WebAuthn,
            "SOFTWARE_TOKEN" => Self::SoftwareToken,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The challenge name on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Password => "PASSWORD",
            Self::PasswordSrp => "PASSWORD_SRP",
            Self::EmailOtp => "EMAIL_OTP",
            Self::SmsOtp => "SMS_OTP",
            Self::WebAuthn => "WEB_AUTHN",
            Self::SoftwareToken => "SOFTWARE_TOKEN",
            Self::Other(name) => name,
        }
    }
}

/// The first factor a `USER_AUTH` sign-in starts with
/// ([`sign_in_user_auth`](super::UserPoolClient::sign_in_user_auth)) or a `SELECT_CHALLENGE` picks
/// ([`ChallengeAnswer::SelectChallenge`](super::ChallengeAnswer::SelectChallenge)), with what it needs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum FirstFactor {
    /// `PASSWORD`: the password goes to Cognito (over TLS).
    Password(Secret),
    /// `PASSWORD_SRP`: the password never leaves the process; the `PASSWORD_VERIFIER` step
    /// is answered at once, with the constant-time SRP of
    /// [`sign_in_srp`](super::UserPoolClient::sign_in_srp).
    PasswordSrp(Secret),
    /// `EMAIL_OTP`: Cognito sends a code by email ([`Challenge::EmailOtp`](super::Challenge::EmailOtp) follows).
    EmailOtp,
    /// `SMS_OTP`: Cognito sends a code by SMS ([`Challenge::SmsOtp`](super::Challenge::SmsOtp) follows).
    SmsOtp,
    /// `WEB_AUTHN`: a passkey ([`Challenge::WebAuthn`](super::Challenge::WebAuthn) follows).
    WebAuthn,
}

impl FirstFactor {
    /// The factor's challenge name.
    pub fn factor(&self) -> AuthFactor {
        match self {
            Self::Password(_) => AuthFactor::Password,
            Self::PasswordSrp(_) => AuthFactor::PasswordSrp,
            Self::EmailOtp => AuthFactor::EmailOtp,
            Self::SmsOtp => AuthFactor::SmsOtp,
            Self::WebAuthn => AuthFactor::WebAuthn,
        }
    }
}

/// An MFA method, as Cognito names it in `MFAS_CAN_CHOOSE`, `MFAS_CAN_SETUP` and `ANSWER`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MfaType {
    /// `SMS_MFA`.
    Sms,
    /// `SOFTWARE_TOKEN_MFA` (TOTP).
    SoftwareToken,
    /// `EMAIL_OTP`.
    Email,
    /// Another method.
    Other(String),
}

impl MfaType {
    /// Parses a method name.
    pub fn parse(name: &str) -> Self {
        match name {
            "SMS_MFA" => Self::Sms,
            "SOFTWARE_TOKEN_MFA" => Self::SoftwareToken,
            "EMAIL_OTP" => Self::Email,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The method's name on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Sms => "SMS_MFA",
            Self::SoftwareToken => "SOFTWARE_TOKEN_MFA",
            Self::Email => "EMAIL_OTP",
            Self::Other(name) => name,
        }
    }
}
