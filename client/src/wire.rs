//! The JSON bodies of the user-pool API, as Cognito spells them (PascalCase).
//!
//! Requests borrow the caller's values; answers are read into these types, then turned into the
//! public ones (with [`Secret`](super::Secret)s) by the operation. Unknown answer fields are
//! ignored; missing required ones are checked by the operation, so the error can name them.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// `{"Name": ..., "Value": ...}`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AttributeRef<'a> {
    pub(crate) name: &'a str,
    pub(crate) value: &'a str,
}

pub(crate) type Metadata<'a> = &'a BTreeMap<String, String>;

fn no_metadata(m: &Option<Metadata<'_>>) -> bool {
    m.is_none_or(BTreeMap::is_empty)
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SignUpRequest<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) username: &'a str,
    pub(crate) password: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) secret_hash: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) user_attributes: Vec<AttributeRef<'a>>,
    #[serde(skip_serializing_if = "no_metadata")]
    pub(crate) client_metadata: Option<Metadata<'a>>,
}

/// `ConfirmSignUp` and `ConfirmForgotPassword` (with `password`).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ConfirmRequest<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) username: &'a str,
    pub(crate) confirmation_code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) password: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) secret_hash: Option<&'a str>,
}

/// `ResendConfirmationCode` and `ForgotPassword`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UsernameRequest<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) username: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) secret_hash: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct InitiateAuthRequest<'a> {
    pub(crate) auth_flow: &'a str,
    pub(crate) client_id: &'a str,
    pub(crate) auth_parameters: BTreeMap<&'a str, &'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RespondToAuthChallengeRequest<'a> {
    pub(crate) challenge_name: &'a str,
    pub(crate) client_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) session: Option<&'a str>,
    pub(crate) challenge_responses: BTreeMap<String, &'a str>,
}

/// `GetUser`, `GlobalSignOut`, `DeleteUser`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AccessTokenRequest<'a> {
    pub(crate) access_token: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UpdateUserAttributesRequest<'a> {
    pub(crate) access_token: &'a str,
    pub(crate) user_attributes: Vec<AttributeRef<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeleteUserAttributesRequest<'a> {
    pub(crate) access_token: &'a str,
    pub(crate) user_attribute_names: &'a [&'a str],
}

/// `GetUserAttributeVerificationCode` and `VerifyUserAttribute` (with `code`).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AttributeVerificationRequest<'a> {
    pub(crate) access_token: &'a str,
    pub(crate) attribute_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) code: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ChangePasswordRequest<'a> {
    pub(crate) access_token: &'a str,
    pub(crate) previous_password: &'a str,
    pub(crate) proposed_password: &'a str,
}

/// `AssociateSoftwareToken` and `VerifySoftwareToken` (with `user_code`).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SoftwareTokenRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) access_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) session: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) friendly_device_name: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RevokeTokenRequest<'a> {
    pub(crate) token: &'a str,
    pub(crate) client_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) client_secret: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetTokensFromRefreshTokenRequest<'a> {
    pub(crate) refresh_token: &'a str,
    pub(crate) client_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) client_secret: Option<&'a str>,
}

// ---------------------------------------------------------------------------------------------
// Answers

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Attribute {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CodeDeliveryDetails {
    pub(crate) destination: Option<String>,
    pub(crate) delivery_medium: Option<String>,
    pub(crate) attribute_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SignUpResponse {
    pub(crate) user_confirmed: Option<bool>,
    pub(crate) user_sub: Option<String>,
    pub(crate) code_delivery_details: Option<CodeDeliveryDetails>,
    pub(crate) session: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CodeDeliveryResponse {
    pub(crate) code_delivery_details: Option<CodeDeliveryDetails>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CodeDeliveryListResponse {
    #[serde(default)]
    pub(crate) code_delivery_details_list: Vec<CodeDeliveryDetails>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AuthenticationResult {
    pub(crate) access_token: Option<String>,
    pub(crate) id_token: Option<String>,
    pub(crate) refresh_token: Option<String>,
    pub(crate) expires_in: Option<u64>,
    pub(crate) token_type: Option<String>,
    pub(crate) new_device_metadata: Option<NewDeviceMetadata>,
}

/// `AuthenticationResult.NewDeviceMetadata` (pools that track devices).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct NewDeviceMetadata {
    pub(crate) device_key: Option<String>,
    pub(crate) device_group_key: Option<String>,
}

/// `InitiateAuth`, `RespondToAuthChallenge`, `GetTokensFromRefreshToken`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AuthResponse {
    pub(crate) authentication_result: Option<AuthenticationResult>,
    pub(crate) challenge_name: Option<String>,
    pub(crate) session: Option<String>,
    #[serde(default)]
    pub(crate) challenge_parameters: HashMap<String, String>,
    /// `USER_AUTH`'s `SELECT_CHALLENGE`: the challenge names the user may choose.
    #[serde(default)]
    pub(crate) available_challenges: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetUserResponse {
    pub(crate) username: Option<String>,
    #[serde(default)]
    pub(crate) user_attributes: Vec<Attribute>,
    pub(crate) preferred_mfa_setting: Option<String>,
    #[serde(default, rename = "UserMFASettingList")]
    pub(crate) user_mfa_setting_list: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AssociateSoftwareTokenResponse {
    pub(crate) secret_code: Option<String>,
    pub(crate) session: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct VerifySoftwareTokenResponse {
    pub(crate) status: Option<String>,
    pub(crate) session: Option<String>,
}

/// An answer whose content is not used (`{}` or an empty body).
#[derive(Deserialize)]
pub(crate) struct Empty {}
