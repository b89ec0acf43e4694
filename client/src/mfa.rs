//! The signed-in user's MFA choices and factors: [`MfaPreference`] for
//! `SetUserMFAPreference`, [`UserAuthFactors`] from `GetUserAuthFactors`.

use serde::{Deserialize, Serialize};

use super::UserPoolClient;
use super::error::{ClientError, ClientErrorKind, ProtocolError};
use super::factor::{AuthFactor, MfaType};
use super::secret::Secret;
use super::wire;

const SET: &str = "SetUserMFAPreference";
const FACTORS: &str = "GetUserAuthFactors";

/// What one MFA method becomes for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MfaSetting {
    /// Off: sign-in no longer asks for it (nor offers it in `SELECT_MFA_TYPE`).
    Disabled,
    /// On, without being the preferred method: with several methods on and none preferred,
    /// sign-in lets the user choose (`SELECT_MFA_TYPE`).
    Enabled,
    /// On and preferred: sign-in asks for it (at most one method is preferred).
    Preferred,
}

impl MfaSetting {
    fn wire(self) -> MfaSettingsWire {
        MfaSettingsWire {
            enabled: self != Self::Disabled,
            preferred_mfa: self == Self::Preferred,
        }
    }
}

/// The changes of a
/// [`set_user_mfa_preference`](UserPoolClient::set_user_mfa_preference) call: the methods
/// named are set, the others left as they are.
///
/// ```
/// use tower_cognito_client::{MfaPreference, MfaSetting};
///
/// // TOTP on and preferred, SMS off, email MFA unchanged.
/// let preference = MfaPreference::new()
///     .software_token(MfaSetting::Preferred)
///     .sms(MfaSetting::Disabled);
/// # let _ = preference;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MfaPreference {
    sms: Option<MfaSetting>,
    software_token: Option<MfaSetting>,
    email: Option<MfaSetting>,
}

impl MfaPreference {
    /// No change yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// SMS codes (`SMSMfaSettings`; the user needs a `phone_number`).
    #[must_use]
    pub fn sms(mut self, setting: MfaSetting) -> Self {
        self.sms = Some(setting);
        self
    }

    /// An authenticator app (`SoftwareTokenMfaSettings`; enabling it needs a verified software
    /// token: [`verify_software_token`](UserPoolClient::verify_software_token)).
    #[must_use]
    pub fn software_token(mut self, setting: MfaSetting) -> Self {
        self.software_token = Some(setting);
        self
    }

    /// Email codes (`EmailMfaSettings`; the user needs an `email`, the pool the Essentials
    /// plan or higher).
    #[must_use]
    pub fn email(mut self, setting: MfaSetting) -> Self {
        self.email = Some(setting);
        self
    }

    fn preferred_count(&self) -> usize {
        [self.sms, self.software_token, self.email]
            .into_iter()
            .filter(|s| *s == Some(MfaSetting::Preferred))
            .count()
    }
}

/// The signed-in user's authentication factors, as `GetUserAuthFactors` gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserAuthFactors {
    /// The Cognito user name.
    pub username: String,
    /// The preferred MFA method, if one is set.
    pub preferred_mfa: Option<MfaType>,
    /// The MFA methods on for the user.
    pub mfa_settings: Vec<MfaType>,
    /// The factors the user can sign in with (`ConfiguredUserAuthFactors`): first factors of
    /// `USER_AUTH` (`PASSWORD`, `EMAIL_OTP`, `SMS_OTP`, `WEB_AUTHN`) and the MFA-only
    /// [`AuthFactor::SoftwareToken`].
    pub configured_factors: Vec<AuthFactor>,
}

impl UserPoolClient {
    /// Turns the signed-in user's MFA methods on or off and chooses the preferred one
    /// (`SetUserMFAPreference`). Methods the preference does not name stay as they are.
    ///
    /// ```no_run
    /// # async fn run(client: tower_cognito_client::UserPoolClient, access_token: tower_cognito_client::Secret)
    /// # -> Result<(), tower_cognito_client::ClientError> {
    /// use tower_cognito_client::{MfaPreference, MfaSetting};
    ///
    /// client
    ///     .set_user_mfa_preference(
    ///         &access_token,
    ///         &MfaPreference::new().software_token(MfaSetting::Preferred),
    ///     )
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ClientErrorKind::InvalidInput`] when more than one method is preferred, before any
    /// request; otherwise a [`ClientError`]: a method the user cannot have (no verified
    /// software token, no phone number or email) is
    /// [`InvalidParameter`](super::CognitoErrorKind::InvalidParameter), an invalid token
    /// [`NotAuthorized`](super::CognitoErrorKind::NotAuthorized).
    pub async fn set_user_mfa_preference(
        &self,
        access_token: &Secret,
        preference: &MfaPreference,
    ) -> Result<(), ClientError> {
        if preference.preferred_count() > 1 {
            return Err(ClientError::new(
                SET,
                ClientErrorKind::InvalidInput("at most one MFA method can be preferred"),
            ));
        }
        let body = SetRequest {
            access_token: access_token.expose(),
            sms_mfa_settings: preference.sms.map(MfaSetting::wire),
            software_token_mfa_settings: preference.software_token.map(MfaSetting::wire),
            email_mfa_settings: preference.email.map(MfaSetting::wire),
        };
        self.inner
            .call::<_, wire::Empty>(SET, &body)
            .await
            .map(drop)
    }

    /// The signed-in user's MFA methods and sign-in factors (`GetUserAuthFactors`): what a
    /// settings page shows, and which first factors a `USER_AUTH` sign-in can offer them.
    ///
    /// # Errors
    /// A [`ClientError`]; an invalid token is
    /// [`NotAuthorized`](super::CognitoErrorKind::NotAuthorized); an answer without
    /// `Username` is a [`ProtocolError::MissingField`].
    pub async fn get_user_auth_factors(
        &self,
        access_token: &Secret,
    ) -> Result<UserAuthFactors, ClientError> {
        let body = wire::AccessTokenRequest {
            access_token: access_token.expose(),
        };
        let answer: FactorsResponse = self.inner.call(FACTORS, &body).await?;
        Ok(UserAuthFactors {
            username: answer.username.ok_or_else(|| {
                ClientError::protocol(FACTORS, ProtocolError::MissingField("Username"))
            })?,
            preferred_mfa: answer.preferred_mfa_setting.as_deref().map(MfaType::parse),
            mfa_settings: answer
                .user_mfa_setting_list
                .iter()
                .map(|m| MfaType::parse(m))
                .collect(),
            configured_factors: answer
                .configured_user_auth_factors
                .iter()
                .map(|f| AuthFactor::parse(f))
                .collect(),
        })
    }
}

/// `{"Enabled": .., "PreferredMfa": ..}`.
#[derive(Serialize, Clone, Copy)]
#[serde(rename_all = "PascalCase")]
struct MfaSettingsWire {
    enabled: bool,
    preferred_mfa: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SetRequest<'a> {
    access_token: &'a str,
    #[serde(rename = "SMSMfaSettings", skip_serializing_if = "Option::is_none")]
    sms_mfa_settings: Option<MfaSettingsWire>,
    #[serde(skip_serializing_if = "Option::is_none")]
    software_token_mfa_settings: Option<MfaSettingsWire>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_mfa_settings: Option<MfaSettingsWire>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct FactorsResponse {
    username: Option<String>,
    preferred_mfa_setting: Option<String>,
    #[serde(default, rename = "UserMFASettingList")]
    user_mfa_setting_list: Vec<String>,
    #[serde(default)]
    configured_user_auth_factors: Vec<String>,
}
