//! Remembered devices (device SRP): sign-ins that skip MFA on a device the user confirmed.
//!
//! On a pool that tracks devices, a sign-in that ends in tokens carries
//! [`NewDeviceMetadata`] ([`Tokens::new_device`](crate::Tokens::new_device)).
//! [`UserPoolClient::remember_new_device`](crate::UserPoolClient::remember_new_device) confirms
//! it (`ConfirmDevice`, with a verifier of a random device password made as
//! amazon-cognito-identity-js makes it: [`srp::DeviceVerifierConfig`](crate::srp::DeviceVerifierConfig))
//! and saves the device key, its group key and the device password in a [`DeviceStore`], the
//! only place the device password lives. When Cognito says the user must opt in
//! ([`ConfirmedDevice::user_confirmation_necessary`]), ask, then mark the device remembered
//! with [`update_device_status`](crate::UserPoolClient::update_device_status).
//!
//! Later sign-ins through [`sign_in_srp_with_device`](crate::UserPoolClient::sign_in_srp_with_device)
//! (or [`sign_in_password_with_device`](crate::UserPoolClient::sign_in_password_with_device),
//! [`respond_to_challenge_with_device`](crate::UserPoolClient::respond_to_challenge_with_device))
//! send `DEVICE_KEY`; Cognito then skips MFA for a remembered device and asks for
//! `DEVICE_SRP_AUTH`, which they answer, with `DEVICE_PASSWORD_VERIFIER`, from the store (the
//! same constant-time SRP as the user's, with the device group key as pool name and the device
//! key as user id). A device password that no longer matches ends in
//! [`CognitoErrorKind::NotAuthorized`](crate::CognitoErrorKind::NotAuthorized): there is no
//! silent fall-back to another flow. [`refresh_with_device`](crate::UserPoolClient::refresh_with_device)
//! sends the device key with the refresh, as Cognito requires once a device is tracked.
//!
//! The store is keyed by the Cognito user name (the access token's `username` claim, the
//! challenges' `USERNAME`); a sign-in with an alias (an email) finds the device under the name
//! the password challenge carries. [`MemoryDeviceStore`] keeps devices in memory; implement
//! [`DeviceStore`] over a file or a database to keep them across runs.
//!
//! ```no_run
//! use tower_cognito_client::device::{DeviceRememberedStatus, MemoryDeviceStore};
//! use tower_cognito_client::{Secret, SignIn, UserPoolClient};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = UserPoolClient::builder("us-east-1_AbC123xyz", "4r1ktl3f2lrrvc1e5e0hdh1gjo").build()?;
//! let devices = MemoryDeviceStore::new();
//! let password = Secret::new("correct horse battery staple");
//! // First sign-in on this device (MFA challenges answered with respond_to_challenge_with_device).
//! if let SignIn::Tokens(tokens) = client.sign_in_srp_with_device("alice", &password, &devices).await? {
//!     if let Some(confirmed) = client.remember_new_device(&tokens, &devices, Some("laptop")).await? {
//!         if confirmed.user_confirmation_necessary {
//!             let key = &confirmed.device.device_key;
//!             client
//!                 .update_device_status(&tokens.access_token, key, DeviceRememberedStatus::Remembered)
//!                 .await?;
//!         }
//!     }
//! }
//! // Next time: DEVICE_SRP_AUTH is answered from the store, and MFA is skipped.
//! let tokens = client.sign_in_srp_with_device("alice", &password, &devices).await?.tokens();
//! # let _ = tokens; Ok(()) }
//! ```

mod ops;
mod sign_in;
mod store;
mod types;
mod wire;

pub use super::tokens::NewDeviceMetadata;
pub use store::{DeviceStore, DeviceStoreError, MemoryDeviceStore, RememberedDevice};
pub use types::{ConfirmedDevice, Device, DeviceList, DeviceRememberedStatus};
