//! The outputs of the device operations.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::store::RememberedDevice;
use super::wire;
use crate::types::Attribute;

/// The device a [`remember_new_device`](crate::UserPoolClient::remember_new_device) confirmed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConfirmedDevice {
    /// The device, as saved in the store.
    pub device: RememberedDevice,
    /// `UserConfirmationNecessary`: the pool remembers devices only when the user says so; ask,
    /// then call [`update_device_status`](crate::UserPoolClient::update_device_status). When
    /// false the device is remembered already.
    pub user_confirmation_necessary: bool,
}

/// `DeviceRememberedStatus` of `UpdateDeviceStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviceRememberedStatus {
    /// `remembered`: sign-ins from the device skip MFA.
    Remembered,
    /// `not_remembered`: the device is tracked, MFA still asked.
    NotRemembered,
}

impl DeviceRememberedStatus {
    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Remembered => "remembered",
            Self::NotRemembered => "not_remembered",
        }
    }
}

/// A device of the user (`DeviceType`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Device {
    /// `DeviceKey`.
    pub device_key: String,
    /// `DeviceAttributes` (`device_name`, `device_status`, `dev:device_remembered_status`,
    /// `last_ip_used`...).
    pub attributes: Vec<Attribute>,
    /// `DeviceCreateDate`.
    pub create_date: Option<SystemTime>,
    /// `DeviceLastModifiedDate`.
    pub last_modified_date: Option<SystemTime>,
    /// `DeviceLastAuthenticatedDate`.
    pub last_authenticated_date: Option<SystemTime>,
}

impl Device {
    /// The value of the attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }

    /// `device_name`.
    pub fn name(&self) -> Option<&str> {
        self.attribute("device_name")
    }

    /// Whether `dev:device_remembered_status` is `remembered`.
    pub fn is_remembered(&self) -> bool {
        self.attribute("dev:device_remembered_status") == Some("remembered")
    }

    pub(crate) fn from_wire(device: wire::DeviceType) -> Option<Self> {
        Some(Self {
            device_key: device.device_key.filter(|k| !k.is_empty())?,
            attributes: device
                .device_attributes
                .into_iter()
                .map(Attribute::from_wire)
                .collect(),
            create_date: device.device_create_date.and_then(epoch),
            last_modified_date: device.device_last_modified_date.and_then(epoch),
            last_authenticated_date: device.device_last_authenticated_date.and_then(epoch),
        })
    }
}

/// Seconds since the epoch (Cognito's JSON timestamps, fractional) as a time; `None` for a
/// negative, not finite or absurd value.
fn epoch(seconds: f64) -> Option<SystemTime> {
    if !seconds.is_finite() || !(0.0..=1.0e12).contains(&seconds) {
        return None;
    }
    UNIX_EPOCH.checked_add(Duration::from_secs_f64(seconds))
}

/// A page of [`Device`]s.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DeviceList {
    /// The devices.
    pub devices: Vec<Device>,
    /// Where the next page starts (`PaginationToken`), when there is one.
    pub pagination_token: Option<String>,
}
