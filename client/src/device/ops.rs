//! The device operations of [`UserPoolClient`]: `ConfirmDevice`, `UpdateDeviceStatus`,
//! `ListDevices`, `GetDevice`, `ForgetDevice`, and the refresh with the device key.

use crate::UserPoolClient;
use crate::auth::{GET_TOKENS_FROM_REFRESH_TOKEN, refreshed};
use crate::error::{ClientError, ClientErrorKind, ProtocolError};
use crate::secret::Secret;
use crate::srp::DeviceVerifierConfig;
use crate::tokens::{NewDeviceMetadata, Tokens, unverified_payload};
use crate::wire as base_wire;

use super::store::{DeviceStore, DeviceStoreError, RememberedDevice};
use super::types::{ConfirmedDevice, Device, DeviceList, DeviceRememberedStatus};
use super::wire;

const CONFIRM_DEVICE: &str = "ConfirmDevice";
const UPDATE_DEVICE_STATUS: &str = "UpdateDeviceStatus";
const LIST_DEVICES: &str = "ListDevices";
const GET_DEVICE: &str = "GetDevice";
const FORGET_DEVICE: &str = "ForgetDevice";
/// Most devices `ListDevices` returns in one page (the service model's limit).
const MAX_LIST_LIMIT: u8 = 60;

/// A [`ClientError`] of kind [`ClientErrorKind::DeviceStore`] for `operation`.
pub(super) fn store_error(operation: &'static str, error: DeviceStoreError) -> ClientError {
    ClientError::new(operation, ClientErrorKind::DeviceStore).with_source(error)
}

impl UserPoolClient {
    /// Confirms a device Cognito started tracking (`ConfirmDevice`): makes a random device
    /// password and its verifier and salt (as amazon-cognito-identity-js does), sends them with
    /// `device_name`, and returns the device with its password: keep it, it is the only copy
    /// ([`remember_new_device`](Self::remember_new_device) saves it in a store for you).
    ///
    /// # Errors
    /// A [`ClientError`] (`DeviceKeyExistsException` for a device confirmed already,
    /// `ResourceNotFoundException` for an unknown one); [`ClientErrorKind::Srp`] when no
    /// randomness is available.
    pub async fn confirm_device(
        &self,
        access_token: &Secret,
        new_device: &NewDeviceMetadata,
        device_name: Option<&str>,
    ) -> Result<ConfirmedDevice, ClientError> {
        let config =
            DeviceVerifierConfig::generate(&new_device.device_group_key, &new_device.device_key)
                .map_err(|e| ClientError::new(CONFIRM_DEVICE, ClientErrorKind::Srp(e)))?;
        let body = wire::ConfirmDeviceRequest {
            access_token: access_token.expose(),
            device_key: &new_device.device_key,
            device_secret_verifier_config: wire::DeviceSecretVerifierConfig {
                password_verifier: config.password_verifier(),
                salt: config.salt(),
            },
            device_name,
        };
        let answer: wire::ConfirmDeviceResponse = self.inner.call(CONFIRM_DEVICE, &body).await?;
        Ok(ConfirmedDevice {
            device: RememberedDevice::new(
                new_device.device_key.clone(),
                new_device.device_group_key.clone(),
                Secret::new(config.into_device_password()),
            ),
            user_confirmation_necessary: answer.user_confirmation_necessary,
        })
    }

    /// When `tokens` carry [`NewDeviceMetadata`], confirms the device
    /// ([`confirm_device`](Self::confirm_device)) and saves it in `store` under the user's
    /// Cognito user name (the access token's `username` claim, read without verifying the token
    /// Cognito just handed over: it only names the store entry). `None` when there is no new
    /// device.
    ///
    /// # Errors
    /// As [`confirm_device`](Self::confirm_device); [`ClientErrorKind::DeviceStore`] when the
    /// store fails (the device is confirmed then, and its password lost: forget it with
    /// [`forget_device`](Self::forget_device)); [`ClientErrorKind::Protocol`] when the access
    /// token names no user.
    pub async fn remember_new_device<S: DeviceStore>(
        &self,
        tokens: &Tokens,
        store: &S,
        device_name: Option<&str>,
    ) -> Result<Option<ConfirmedDevice>, ClientError> {
        let Some(new_device) = &tokens.new_device else {
            return Ok(None);
        };
        #[derive(serde::Deserialize)]
        struct Username {
            username: String,
        }
        let username = unverified_payload::<Username>(tokens.access_token.expose())
            .map(|u| u.username)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| {
                ClientError::protocol(
                    CONFIRM_DEVICE,
                    ProtocolError::InvalidField("AuthenticationResult.AccessToken"),
                )
            })?;
        let confirmed = self
            .confirm_device(&tokens.access_token, new_device, device_name)
            .await?;
        store
            .save(&username, &confirmed.device)
            .await
            .map_err(|e| store_error(CONFIRM_DEVICE, e))?;
        Ok(Some(confirmed))
    }

    /// Marks a device remembered (sign-ins from it skip MFA) or not (`UpdateDeviceStatus`).
    ///
    /// # Errors
    /// A [`ClientError`] (`ResourceNotFoundException` for an unknown device).
    pub async fn update_device_status(
        &self,
        access_token: &Secret,
        device_key: &str,
        status: DeviceRememberedStatus,
    ) -> Result<(), ClientError> {
        let body = wire::UpdateDeviceStatusRequest {
            access_token: access_token.expose(),
            device_key,
            device_remembered_status: status.as_str(),
        };
        self.inner
            .call::<_, base_wire::Empty>(UPDATE_DEVICE_STATUS, &body)
            .await
            .map(drop)
    }

    /// The user's devices (`ListDevices`), `limit` (at most 60) per page, from
    /// `pagination_token` (the last page's).
    ///
    /// # Errors
    /// [`ClientErrorKind::InvalidInput`] for a limit over 60; otherwise a [`ClientError`].
    pub async fn list_devices(
        &self,
        access_token: &Secret,
        limit: Option<u8>,
        pagination_token: Option<&str>,
    ) -> Result<DeviceList, ClientError> {
        if limit.is_some_and(|l| l > MAX_LIST_LIMIT) {
            return Err(ClientError::new(
                LIST_DEVICES,
                ClientErrorKind::InvalidInput("ListDevices returns at most 60 devices a page"),
            ));
        }
        let body = wire::ListDevicesRequest {
            access_token: access_token.expose(),
            limit,
            pagination_token,
        };
        let answer: wire::ListDevicesResponse = self.inner.call(LIST_DEVICES, &body).await?;
        let devices = answer
            .devices
            .into_iter()
            .map(|d| {
                Device::from_wire(d).ok_or_else(|| {
                    ClientError::protocol(
                        LIST_DEVICES,
                        ProtocolError::MissingField("Devices.DeviceKey"),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(DeviceList {
            devices,
            pagination_token: answer.pagination_token.filter(|t| !t.is_empty()),
        })
    }

    /// One device of the user (`GetDevice`).
    ///
    /// # Errors
    /// A [`ClientError`] (`ResourceNotFoundException` for an unknown device).
    pub async fn get_device(
        &self,
        access_token: &Secret,
        device_key: &str,
    ) -> Result<Device, ClientError> {
        let body = wire::DeviceKeyRequest {
            access_token: access_token.expose(),
            device_key,
        };
        let answer: wire::GetDeviceResponse = self.inner.call(GET_DEVICE, &body).await?;
        answer
            .device
            .and_then(Device::from_wire)
            .ok_or_else(|| ClientError::protocol(GET_DEVICE, ProtocolError::MissingField("Device")))
    }

    /// Stops tracking a device (`ForgetDevice`): its next sign-in is a new device. Remove it
    /// from your [`DeviceStore`] too.
    ///
    /// # Errors
    /// A [`ClientError`] (`ResourceNotFoundException` for an unknown device).
    pub async fn forget_device(
        &self,
        access_token: &Secret,
        device_key: &str,
    ) -> Result<(), ClientError> {
        let body = wire::DeviceKeyRequest {
            access_token: access_token.expose(),
            device_key,
        };
        self.inner
            .call::<_, base_wire::Empty>(FORGET_DEVICE, &body)
            .await
            .map(drop)
    }

    /// [`refresh`](Self::refresh) with the device key `store` has for `username` (the Cognito
    /// user name), as `GetTokensFromRefreshToken`'s `DeviceKey`: a pool that tracks devices
    /// refuses a refresh token of a device sign-in without it. Without a device in the store,
    /// it is [`refresh`](Self::refresh).
    ///
    /// # Errors
    /// As [`refresh`](Self::refresh); [`ClientErrorKind::DeviceStore`] when the store fails.
    pub async fn refresh_with_device<S: DeviceStore>(
        &self,
        refresh_token: &Secret,
        username: &str,
        store: &S,
    ) -> Result<Tokens, ClientError> {
        const OP: &str = GET_TOKENS_FROM_REFRESH_TOKEN;
        let Some(device) = store.load(username).await.map_err(|e| store_error(OP, e))? else {
            return self.refresh(refresh_token).await;
        };
        let body = wire::RefreshWithDeviceRequest {
            refresh_token: refresh_token.expose(),
            client_id: &self.inner.client_id,
            client_secret: self.inner.client_secret.as_ref().map(Secret::expose),
            device_key: &device.device_key,
        };
        let answer: base_wire::AuthResponse = self.inner.call(OP, &body).await?;
        refreshed(OP, answer, refresh_token)
    }
}
