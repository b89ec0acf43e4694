//! Device SRP (remembered devices): the device verifier of `ConfirmDevice`, made exactly as
//! amazon-cognito-identity-js `AuthenticationHelper.generateHashDevice` makes it, and the
//! client of `DEVICE_PASSWORD_VERIFIER` (the user SRP with the device group key as pool name
//! and the device key as user id).
//!
//! - device password = standard base64 of 40 random bytes (56 characters);
//! - salt = padHex(16 random bytes read as a positive number);
//! - x = H(salt | H(deviceGroupKey | deviceKey | ":" | devicePassword)); verifier = g^x mod N
//!   (a constant-time exponentiation);
//! - `DeviceSecretVerifierConfig` = {`PasswordVerifier`: base64(padHex(verifier)), `Salt`:
//!   base64(salt)}.

use core::fmt;

use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose;
use crypto_bigint::U256;

use super::{
    G, MAX_USER_ID_LEN, Redacted, SrpClient, SrpError, SrpParam, cap, pad_hex, pad_hex_bytes,
    sha256,
};

/// Random bytes of a device password (base64: 56 characters).
const DEVICE_PASSWORD_BYTES: usize = 40;
/// Random bytes of a device salt.
const DEVICE_SALT_BYTES: usize = 16;

/// What `ConfirmDevice` sends (`DeviceSecretVerifierConfig`), with the device password it was
/// made from: keep the password (the only copy) with the device key and group key, it answers
/// every later `DEVICE_PASSWORD_VERIFIER` challenge. `Debug` redacts all three values.
///
/// ```
/// use tower_cognito_client::srp::DeviceVerifierConfig;
///
/// let config = DeviceVerifierConfig::generate("-abcDEF123", "us-east-1_6f2c6a8e-0d7e-4c8a-9a4e-0f1b2c3d4e5f")?;
/// assert_eq!(config.device_password().len(), 56);
/// assert!(!config.password_verifier().is_empty() && !config.salt().is_empty());
/// assert!(!format!("{config:?}").contains(config.device_password()));
/// # Ok::<(), tower_cognito_client::SrpError>(())
/// ```
#[derive(Clone)]
pub struct DeviceVerifierConfig {
    device_password: String,
    password_verifier_b64: String,
    salt_b64: String,
}

impl fmt::Debug for DeviceVerifierConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceVerifierConfig")
            .field("device_password", &Redacted)
            .field("password_verifier", &Redacted)
            .field("salt", &Redacted)
            .finish()
    }
}

impl DeviceVerifierConfig {
    /// A random device password, and the verifier and salt of it for the device
    /// `device_key` of the group `device_group_key` (`NewDeviceMetadata` of a sign-in).
    ///
    /// # Errors
    /// [`SrpError::TooLong`] for a key over 1 KiB, [`SrpError::Random`] when no randomness is
    /// available.
    pub fn generate(device_group_key: &str, device_key: &str) -> Result<Self, SrpError> {
        let random = SystemRandom::new();
        let mut password = [0u8; DEVICE_PASSWORD_BYTES];
        let mut salt = [0u8; DEVICE_SALT_BYTES];
        random.fill(&mut password).map_err(|_| SrpError::Random)?;
        random.fill(&mut salt).map_err(|_| SrpError::Random)?;
        Self::from_random(device_group_key, device_key, &password, &salt)
    }

    /// The same from given random bytes (the test vectors fix them).
    pub(crate) fn from_random(
        device_group_key: &str,
        device_key: &str,
        password_bytes: &[u8; DEVICE_PASSWORD_BYTES],
        salt_bytes: &[u8; DEVICE_SALT_BYTES],
    ) -> Result<Self, SrpError> {
        cap(device_group_key, SrpParam::UserPoolId, MAX_USER_ID_LEN)?;
        cap(device_key, SrpParam::UserIdForSrp, MAX_USER_ID_LEN)?;
        let device_password = general_purpose::STANDARD.encode(password_bytes);
        let salt = canonical_salt(salt_bytes);
        let x = device_private_key(device_group_key, device_key, &device_password, &salt);
        let verifier = pad_hex(&G.pow(&x).retrieve());
        Ok(Self {
            device_password,
            password_verifier_b64: general_purpose::STANDARD.encode(verifier),
            salt_b64: general_purpose::STANDARD.encode(salt),
        })
    }

    /// The device password (base64 of 40 random bytes): the secret of the device.
    pub fn device_password(&self) -> &str {
        &self.device_password
    }

    /// `DeviceSecretVerifierConfig.PasswordVerifier`: base64 of padHex(g^x mod N).
    pub fn password_verifier(&self) -> &str {
        &self.password_verifier_b64
    }

    /// `DeviceSecretVerifierConfig.Salt`: base64 of padHex(salt).
    pub fn salt(&self) -> &str {
        &self.salt_b64
    }

    /// The device password, unwrapped.
    pub(crate) fn into_device_password(self) -> String {
        self.device_password
    }
}

/// padHex of 16 random bytes read as a positive number: leading zero bytes dropped, one `00`
/// in front of a high first byte (so both readings of `SALT` at sign-in, as a number and as
/// hex, agree).
fn canonical_salt(bytes: &[u8]) -> Vec<u8> {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    pad_hex_bytes(bytes.get(first..).unwrap_or_default())
}

/// x = H(padded salt | H(deviceGroupKey | deviceKey | ":" | devicePassword)).
pub(super) fn device_private_key(
    device_group_key: &str,
    device_key: &str,
    device_password: &str,
    padded_salt: &[u8],
) -> U256 {
    let identity = sha256(&[
        device_group_key.as_bytes(),
        device_key.as_bytes(),
        b":",
        device_password.as_bytes(),
    ]);
    U256::from_be_slice(&sha256(&[padded_salt, &identity]))
}

impl SrpClient {
    /// A client for one `DEVICE_SRP_AUTH` exchange of a device of the group
    /// `device_group_key`, with a fresh random a: send its [`srp_a_hex`](Self::srp_a_hex) as
    /// `SRP_A` (with `USERNAME` and `DEVICE_KEY`), then answer `DEVICE_PASSWORD_VERIFIER` with
    /// [`password_claim`](Self::password_claim) of a [`PasswordVerifierChallenge`] whose user
    /// id is the device key, and the device password.
    ///
    /// ```
    /// use tower_cognito_client::srp::{PasswordVerifierChallenge, SrpClient, cognito_timestamp};
    ///
    /// let srp = SrpClient::for_device("-abcDEF123")?;
    /// let challenge = PasswordVerifierChallenge::new(
    ///     "36ef01c6dde9fe503da333b1acc758ba",     // SALT
    ///     "36ef01c6dde9fe503da333b1acc758ba",     // SRP_B
    ///     "c2VjcmV0IGJsb2Nr",                     // SECRET_BLOCK
    ///     "us-east-1_6f2c6a8e-0d7e-4c8a-9a4e-0f1b", // the device key
    ///     "alice",                                // USERNAME
    /// );
    /// let claim = srp.password_claim(&challenge, "the device password", &cognito_timestamp(0))?;
    /// assert_eq!(claim.username(), "alice");
    /// # Ok::<(), tower_cognito_client::SrpError>(())
    /// ```
    ///
    /// # Errors
    /// [`SrpError::TooLong`] for a group key over 128 bytes, [`SrpError::Random`].
    ///
    /// [`PasswordVerifierChallenge`]: super::PasswordVerifierChallenge
    pub fn for_device(device_group_key: &str) -> Result<Self, SrpError> {
        Self::for_pool_name(device_group_key)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::super::{PasswordVerifier, SrpServer, push_hex, to_hex_trimmed};
    use super::*;
    use serde_json::Value;

    const PYCOGNITO: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/srp/srp_device_vectors_pycognito.json"
    ));
    const JS: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/srp/srp_device_vectors_amazon_cognito_identity_js.json"
    ));

    fn s<'a>(v: &'a Value, key: &str) -> &'a str {
        v[key].as_str().unwrap_or_else(|| panic!("missing {key}"))
    }

    fn bytes<const N: usize>(hex: &str) -> [u8; N] {
        let mut out = [0u8; N];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    fn hex(b: &[u8]) -> String {
        let mut out = String::new();
        push_hex(&mut out, b);
        out
    }

    #[test]
    fn verifier_vectors_from_pycognito_and_amazon_cognito_identity_js() {
        let py: Value = serde_json::from_str(PYCOGNITO).unwrap();
        let js: Value = serde_json::from_str(JS).unwrap();
        let cases = py["verifier_cases"].as_array().unwrap();
        let js_cases = js["verifier_check"].as_array().unwrap();
        assert_eq!(cases.len(), js_cases.len());
        assert!(cases.len() >= 5);
        for (case, js_case) in cases.iter().zip(js_cases) {
            let name = s(case, "name");
            let expected = &case["expected"];
            assert_eq!(
                js_case["agrees_with_pycognito"],
                Value::Bool(true),
                "{name}"
            );
            let (group, key) = (s(case, "device_group_key"), s(case, "device_key"));
            let password = bytes::<40>(s(case, "password_bytes_hex"));
            let salt = bytes::<16>(s(case, "salt_bytes_hex"));
            let config = DeviceVerifierConfig::from_random(group, key, &password, &salt).unwrap();
            // Intermediates first, so a failure says which step differs.
            let padded = canonical_salt(&salt);
            assert_eq!(hex(&padded), s(expected, "salt_padhex"), "{name}: salt");
            let x = device_private_key(group, key, config.device_password(), &padded);
            assert_eq!(to_hex_trimmed(&x), s(expected, "x_hex"), "{name}: x");
            assert_eq!(
                hex(&pad_hex(&G.pow(&x).retrieve())),
                s(expected, "verifier_padhex"),
                "{name}: verifier"
            );
            assert_eq!(
                config.device_password(),
                s(expected, "device_password"),
                "{name}"
            );
            assert_eq!(
                config.device_password(),
                s(js_case, "device_password"),
                "{name}"
            );
            assert_eq!(
                config.password_verifier(),
                s(expected, "password_verifier_b64")
            );
            assert_eq!(
                config.password_verifier(),
                s(js_case, "password_verifier_b64")
            );
            assert_eq!(config.salt(), s(expected, "salt_b64"), "{name}");
            assert_eq!(config.salt(), s(js_case, "salt_b64"), "{name}");
        }
    }

    #[test]
    fn generated_verifier_signs_in_against_the_server_half() {
        let group = "-dGhpc2lzYQ";
        let key = "us-east-1_2f0d9b1e-7a4c-4e8b-9c3d-5e6f7a8b9c0d";
        let config = DeviceVerifierConfig::generate(group, key).unwrap();
        assert_eq!(config.device_password().len(), 56);
        let stored = PasswordVerifier::from_device_config(
            group,
            key,
            config.salt(),
            config.password_verifier(),
        )
        .unwrap();
        for (password, ok) in [
            (config.device_password(), true),
            ("another password", false),
        ] {
            let client = SrpClient::for_device(group).unwrap();
            let server = SrpServer::new(&stored, &client.srp_a_hex()).unwrap();
            let srp_b = server.srp_b_hex();
            let challenge = super::super::PasswordVerifierChallenge::new(
                stored.salt_hex(),
                &srp_b,
                "c2VjcmV0IGJsb2Nr",
                key,
                "alice",
            );
            let claim = client
                .password_claim(&challenge, password, "Thu Jan 1 00:00:00 UTC 1970")
                .unwrap();
            let verified =
                server.verify_claim(claim.secret_block(), claim.timestamp(), claim.signature());
            assert_eq!(verified.is_ok(), ok);
        }
        // The device key and group key are bound into the proof.
        let client = SrpClient::for_device("-another").unwrap();
        let server = SrpServer::new(&stored, &client.srp_a_hex()).unwrap();
        let srp_b = server.srp_b_hex();
        let challenge = super::super::PasswordVerifierChallenge::new(
            stored.salt_hex(),
            &srp_b,
            "c2Vj",
            key,
            "alice",
        );
        let claim = client
            .password_claim(&challenge, config.device_password(), "t")
            .unwrap();
        assert!(
            server
                .verify_claim(claim.secret_block(), "t", claim.signature())
                .is_err()
        );
    }

    #[test]
    fn debug_redacts_the_device_secrets() {
        let config = DeviceVerifierConfig::generate("-g", "us-east-1_k").unwrap();
        let debug = format!("{config:?}");
        for secret in [
            config.device_password(),
            config.password_verifier(),
            config.salt(),
        ] {
            assert!(!debug.contains(secret), "{debug}");
        }
    }

    #[test]
    fn server_refuses_malformed_device_verifiers() {
        let ok = general_purpose::STANDARD.encode([5u8; 8]);
        for (salt, verifier) in [
            ("not base64!", ok.as_str()),
            ("", ok.as_str()),
            (ok.as_str(), "not base64!"),
            (ok.as_str(), "AAAA"),
        ] {
            assert!(PasswordVerifier::from_device_config("-g", "k", salt, verifier).is_err());
        }
        // v >= N is refused.
        let too_big = general_purpose::STANDARD.encode([0xffu8; 384]);
        assert!(PasswordVerifier::from_device_config("-g", "k", &ok, &too_big).is_err());
        assert!(PasswordVerifier::from_device_config("-g", "k", &ok, &ok).is_ok());
    }
}
