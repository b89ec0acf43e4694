//! [`DeviceStore`]: where the application keeps its remembered devices.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::sync::{Mutex, PoisonError};

use crate::secret::Secret;

/// A device confirmed for one user: the keys Cognito gave it and the device password made when
/// it was confirmed (its only copy). `Debug` redacts the password.
#[derive(Clone)]
#[non_exhaustive]
pub struct RememberedDevice {
    /// `DeviceKey`.
    pub device_key: String,
    /// `DeviceGroupKey`.
    pub device_group_key: String,
    /// The device password (base64 of 40 random bytes).
    pub device_password: Secret,
}

impl RememberedDevice {
    /// A device, as a store read it back.
    pub fn new(
        device_key: impl Into<String>,
        device_group_key: impl Into<String>,
        device_password: Secret,
    ) -> Self {
        Self {
            device_key: device_key.into(),
            device_group_key: device_group_key.into(),
            device_password,
        }
    }
}

impl fmt::Debug for RememberedDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RememberedDevice")
            .field("device_key", &self.device_key)
            .field("device_group_key", &self.device_group_key)
            .field("device_password", &self.device_password)
            .finish()
    }
}

/// Why a [`DeviceStore`] failed: the implementation's own error, as the source.
#[derive(Debug, thiserror::Error)]
#[error("the device store failed")]
pub struct DeviceStoreError {
    #[source]
    source: Box<dyn StdError + Send + Sync>,
}

impl DeviceStoreError {
    /// Wraps the store's error (keep secrets out of it: the client puts it in the
    /// [`ClientError`](crate::ClientError)'s source chain).
    pub fn new(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self {
            source: source.into(),
        }
    }
}

/// The remembered devices of an application, one per Cognito user name, which the application
/// implements (a file, a database, the platform's key store) or takes in memory
/// ([`MemoryDeviceStore`]). The methods are async so that a store can do I/O; the futures must
/// be `Send`.
///
/// ```
/// use std::future::Future;
/// use tower_cognito_client::device::{DeviceStore, DeviceStoreError, MemoryDeviceStore, RememberedDevice};
///
/// /// A store that logs writes, over the in-memory one.
/// struct Logged(MemoryDeviceStore);
///
/// impl DeviceStore for Logged {
///     fn load(&self, username: &str) -> impl Future<Output = Result<Option<RememberedDevice>, DeviceStoreError>> + Send {
///         self.0.load(username)
///     }
///     async fn save(&self, username: &str, device: &RememberedDevice) -> Result<(), DeviceStoreError> {
///         println!("device {} remembered for {username}", device.device_key);
///         self.0.save(username, device).await
///     }
///     async fn remove(&self, username: &str) -> Result<(), DeviceStoreError> {
///         self.0.remove(username).await
///     }
/// }
/// ```
pub trait DeviceStore: Send + Sync {
    /// The device remembered for `username`, if any.
    fn load(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<RememberedDevice>, DeviceStoreError>> + Send;

    /// Remembers `device` for `username`, replacing the one it had.
    fn save(
        &self,
        username: &str,
        device: &RememberedDevice,
    ) -> impl Future<Output = Result<(), DeviceStoreError>> + Send;

    /// Forgets the device of `username` (nothing when there is none).
    fn remove(&self, username: &str) -> impl Future<Output = Result<(), DeviceStoreError>> + Send;
}

/// A [`DeviceStore`] in memory (lost when the process ends). `Debug` shows the count only.
#[derive(Default)]
pub struct MemoryDeviceStore {
    devices: Mutex<HashMap<String, RememberedDevice>>,
}

impl fmt::Debug for MemoryDeviceStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryDeviceStore")
            .field("devices", &self.len())
            .finish()
    }
}

impl MemoryDeviceStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many users have a device.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no user has a device.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// The device of `username` (synchronously).
    pub fn get(&self, username: &str) -> Option<RememberedDevice> {
        self.lock().get(username).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, RememberedDevice>> {
        self.devices.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl DeviceStore for MemoryDeviceStore {
    async fn load(&self, username: &str) -> Result<Option<RememberedDevice>, DeviceStoreError> {
        Ok(self.get(username))
    }

    async fn save(
        &self,
        username: &str,
        device: &RememberedDevice,
    ) -> Result<(), DeviceStoreError> {
        self.lock().insert(username.to_owned(), device.clone());
        Ok(())
    }

    async fn remove(&self, username: &str) -> Result<(), DeviceStoreError> {
        self.lock().remove(username);
        Ok(())
    }
}
