//! `--device-store FILE`: the remembered devices of the command line in a JSON file,
//! `{"devices": {"<Cognito user name>": {"device_key", "device_group_key", "device_password"}}}`.
//!
//! The device password is the only copy of the device's secret, so the file is written with
//! mode 0600 (a new file next to it, then renamed over it); it holds no token.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write as _};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tower_cognito_client::Secret;
use tower_cognito_client::device::{DeviceStore, DeviceStoreError, RememberedDevice};

/// The devices of the file at `path` (a missing file has none).
pub(crate) struct FileDeviceStore {
    path: PathBuf,
}

#[derive(Serialize, Deserialize, Default)]
struct Content {
    devices: BTreeMap<String, Entry>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    device_key: String,
    device_group_key: String,
    device_password: String,
}

impl FileDeviceStore {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path }
    }

    fn read(&self) -> io::Result<Content> {
        match fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Content::default()),
            Err(e) => Err(e),
        }
    }

    /// Writes `content` to a new file (mode 0600 on Unix) and renames it over the old one.
    fn write(&self, content: &Content) -> io::Result<()> {
        let json = serde_json::to_vec_pretty(content).map_err(io::Error::other)?;
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        match fs::remove_file(&tmp) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(&json)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        fs::rename(&tmp, &self.path)
    }

    /// Drops every entry of the device `device_key` (after `devices forget`).
    pub(crate) fn remove_device_key(&self, device_key: &str) -> io::Result<()> {
        let mut content = self.read()?;
        let before = content.devices.len();
        content.devices.retain(|_, e| e.device_key != device_key);
        if content.devices.len() == before {
            return Ok(());
        }
        self.write(&content)
    }
}

fn store_error(e: io::Error) -> DeviceStoreError {
    DeviceStoreError::new(e)
}

impl DeviceStore for FileDeviceStore {
    async fn load(&self, username: &str) -> Result<Option<RememberedDevice>, DeviceStoreError> {
        let content = self.read().map_err(store_error)?;
        Ok(content.devices.get(username).map(|e| {
            RememberedDevice::new(
                e.device_key.clone(),
                e.device_group_key.clone(),
                Secret::new(e.device_password.clone()),
            )
        }))
    }

    async fn save(
        &self,
        username: &str,
        device: &RememberedDevice,
    ) -> Result<(), DeviceStoreError> {
        let mut content = self.read().map_err(store_error)?;
        content.devices.insert(
            username.to_owned(),
            Entry {
                device_key: device.device_key.clone(),
                device_group_key: device.device_group_key.clone(),
                device_password: device.device_password.expose().to_owned(),
            },
        );
        self.write(&content).map_err(store_error)
    }

    async fn remove(&self, username: &str) -> Result<(), DeviceStoreError> {
        let mut content = self.read().map_err(store_error)?;
        if content.devices.remove(username).is_some() {
            self.write(&content).map_err(store_error)?;
        }
        Ok(())
    }
}
