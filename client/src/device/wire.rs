//! The JSON bodies of the device operations.

use serde::{Deserialize, Serialize};

use crate::wire::Attribute;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeviceSecretVerifierConfig<'a> {
    pub(crate) password_verifier: &'a str,
    pub(crate) salt: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ConfirmDeviceRequest<'a> {
    pub(crate) access_token: &'a str,
    pub(crate) device_key: &'a str,
    pub(crate) device_secret_verifier_config: DeviceSecretVerifierConfig<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) device_name: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UpdateDeviceStatusRequest<'a> {
    pub(crate) access_token: &'a str,
    pub(crate) device_key: &'a str,
    pub(crate) device_remembered_status: &'a str,
}

/// `GetDevice` and `ForgetDevice`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeviceKeyRequest<'a> {
    pub(crate) access_token: &'a str,
    pub(crate) device_key: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListDevicesRequest<'a> {
    pub(crate) access_token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) limit: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) pagination_token: Option<&'a str>,
}

/// `GetTokensFromRefreshToken` with the device key.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RefreshWithDeviceRequest<'a> {
    pub(crate) refresh_token: &'a str,
    pub(crate) client_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) client_secret: Option<&'a str>,
    pub(crate) device_key: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ConfirmDeviceResponse {
    #[serde(default)]
    pub(crate) user_confirmation_necessary: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeviceType {
    pub(crate) device_key: Option<String>,
    #[serde(default)]
    pub(crate) device_attributes: Vec<Attribute>,
    pub(crate) device_create_date: Option<f64>,
    pub(crate) device_last_modified_date: Option<f64>,
    pub(crate) device_last_authenticated_date: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListDevicesResponse {
    #[serde(default)]
    pub(crate) devices: Vec<DeviceType>,
    pub(crate) pagination_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetDeviceResponse {
    pub(crate) device: Option<DeviceType>,
}
