//! [`SoftwareAuthenticator`]: a passkey in memory (P-256, ES256) that answers the options of a
//! [`LocalUserPool`](super::LocalUserPool) (or of Cognito) as a browser and an authenticator
//! would: `RegistrationResponseJSON` with attestation `none`, and signed
//! `AuthenticationResponseJSON` assertions.

use std::fmt;

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::cbor::Cbor;
use super::webauthn::{COSE_ES256, FLAG_AT, FLAG_UP, FLAG_UV, b64url};

/// Why the [`SoftwareAuthenticator`] could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthenticatorError {
    /// The options are not what WebAuthn sends (the message says what is missing).
    #[error("invalid WebAuthn options: {0}")]
    InvalidOptions(&'static str),
    /// Key generation, randomness or signing failed.
    #[error("the authenticator's cryptography failed")]
    Crypto,
}

/// A software passkey for tests (feature `test-util`): one P-256 key (ES256), a random
/// credential id, a signature counter, at one origin.
///
/// It answers [`start_web_authn_registration`](crate::UserPoolClient::start_web_authn_registration)'s
/// options with [`register`](Self::register) and a
/// [`Challenge::WebAuthn`](crate::Challenge::WebAuthn)'s `credential_request_options` with
/// [`sign_in`](Self::sign_in), signing for the RP id the options name. Its setters make the
/// answers a broken or hostile authenticator would give (another origin, no user presence or
/// verification, a counter that went back), still correctly signed, so that a test can check
/// that the relying party refuses each.
///
/// ```
/// use tower_cognito_client::test_util::SoftwareAuthenticator;
///
/// let authenticator = SoftwareAuthenticator::new("https://app.example.com")?;
/// assert_eq!(authenticator.sign_count(), 0);
/// assert!(!format!("{authenticator:?}").contains("key_pair"));
/// # Ok::<_, tower_cognito_client::test_util::AuthenticatorError>(())
/// ```
pub struct SoftwareAuthenticator {
    key_pair: EcdsaKeyPair,
    credential_id: Vec<u8>,
    origin: String,
    sign_count: u32,
    counter_step: u32,
    user_present: bool,
    user_verified: bool,
    user_handle: Option<Vec<u8>>,
}

impl fmt::Debug for SoftwareAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftwareAuthenticator")
            .field("credential_id", &self.credential_id())
            .field("origin", &self.origin)
            .field("sign_count", &self.sign_count)
            .field("user_present", &self.user_present)
            .field("user_verified", &self.user_verified)
            .finish_non_exhaustive()
    }
}

impl SoftwareAuthenticator {
    /// A new passkey used from `origin` (`https://app.example.com`): a fresh key and a random
    /// 32-byte credential id; user present and verified; the counter at 0, counting by one.
    ///
    /// # Errors
    /// [`AuthenticatorError::Crypto`] if key generation fails.
    pub fn new(origin: impl Into<String>) -> Result<Self, AuthenticatorError> {
        let key_pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING)
            .map_err(|_| AuthenticatorError::Crypto)?;
        let mut credential_id = vec![0u8; 32];
        SystemRandom::new()
            .fill(&mut credential_id)
            .map_err(|_| AuthenticatorError::Crypto)?;
        Ok(Self {
            key_pair,
            credential_id,
            origin: origin.into(),
            sign_count: 0,
            counter_step: 1,
            user_present: true,
            user_verified: true,
            user_handle: None,
        })
    }

    /// The credential id, base64url (as `ListWebAuthnCredentials` gives it).
    pub fn credential_id(&self) -> String {
        b64url(&self.credential_id)
    }

    /// The signature counter of the last answer.
    pub fn sign_count(&self) -> u32 {
        self.sign_count
    }

    /// The origin the client data will name from now on.
    pub fn set_origin(&mut self, origin: impl Into<String>) {
        self.origin = origin.into();
    }

    /// Sets the signature counter (the next answer counts on from it).
    pub fn set_sign_count(&mut self, count: u32) {
        self.sign_count = count;
    }

    /// How much the counter grows per answer (default 1; 0: an authenticator without a
    /// counter, which always sends 0).
    pub fn set_counter_step(&mut self, step: u32) {
        self.counter_step = step;
    }

    /// Whether the answers carry the user-present flag (UP).
    pub fn set_user_present(&mut self, present: bool) {
        self.user_present = present;
    }

    /// Whether the answers carry the user-verified flag (UV).
    pub fn set_user_verified(&mut self, verified: bool) {
        self.user_verified = verified;
    }

    fn flags(&self) -> u8 {
        let mut flags = 0;
        if self.user_present {
            flags |= FLAG_UP;
        }
        if self.user_verified {
            flags |= FLAG_UV;
        }
        flags
    }

    fn next_count(&mut self) -> u32 {
        self.sign_count = self.sign_count.saturating_add(self.counter_step);
        self.sign_count
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        json!({
            "type": kind,
            "challenge": challenge,
            "origin": self.origin,
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes()
    }

    /// Answers `PublicKeyCredentialCreationOptionsJSON` (the `CredentialCreationOptions` of
    /// `StartWebAuthnRegistration`): a `RegistrationResponseJSON` with attestation `none`, for
    /// `CompleteWebAuthnRegistration`. Remembers the user handle (`user.id`) for assertions.
    ///
    /// # Errors
    /// [`AuthenticatorError::InvalidOptions`] when the options lack the challenge, the RP id or
    /// the user id, or do not offer ES256.
    pub fn register(&mut self, options: &Value) -> Result<Value, AuthenticatorError> {
        let challenge = options
            .get("challenge")
            .and_then(Value::as_str)
            .ok_or(AuthenticatorError::InvalidOptions("no challenge"))?;
        let rp_id = options
            .pointer("/rp/id")
            .and_then(Value::as_str)
            .ok_or(AuthenticatorError::InvalidOptions("no rp.id"))?;
        let user_handle = options
            .pointer("/user/id")
            .and_then(Value::as_str)
            .and_then(|id| URL_SAFE_NO_PAD.decode(id).ok())
            .ok_or(AuthenticatorError::InvalidOptions("no user.id"))?;
        let es256 = options
            .get("pubKeyCredParams")
            .and_then(Value::as_array)
            .is_some_and(|params| {
                params
                    .iter()
                    .any(|p| p.get("alg").and_then(Value::as_i64) == Some(COSE_ES256))
            });
        if !es256 {
            return Err(AuthenticatorError::InvalidOptions("ES256 is not offered"));
        }
        let client_data = self.client_data("webauthn.create", challenge);
        let public_key = self.key_pair.public_key().as_ref();
        let (x, y) = match public_key {
            [0x04, rest @ ..] if rest.len() == 64 => rest.split_at(32),
            _ => return Err(AuthenticatorError::Crypto),
        };
        let cose_key = Cbor::Map(vec![
            (Cbor::int(1), Cbor::int(2)),
            (Cbor::int(3), Cbor::int(COSE_ES256)),
            (Cbor::int(-1), Cbor::int(1)),
            (Cbor::int(-2), Cbor::Bytes(x.to_vec())),
            (Cbor::int(-3), Cbor::Bytes(y.to_vec())),
        ]);
        let count = self.next_count();
        let mut auth_data = digest(&SHA256, rp_id.as_bytes()).as_ref().to_vec();
        auth_data.push(self.flags() | FLAG_AT);
        auth_data.extend_from_slice(&count.to_be_bytes());
        auth_data.extend_from_slice(&[0u8; 16]);
        let id_len =
            u16::try_from(self.credential_id.len()).map_err(|_| AuthenticatorError::Crypto)?;
        auth_data.extend_from_slice(&id_len.to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        cose_key.encode(&mut auth_data);
        let attestation = Cbor::Map(vec![
            (Cbor::Text("fmt".to_owned()), Cbor::Text("none".to_owned())),
            (Cbor::Text("attStmt".to_owned()), Cbor::Map(Vec::new())),
            (Cbor::Text("authData".to_owned()), Cbor::Bytes(auth_data)),
        ]);
        self.user_handle = Some(user_handle);
        let id = self.credential_id();
        Ok(json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64url(&client_data),
                "attestationObject": b64url(&attestation.to_vec()),
                "transports": ["internal"],
                "publicKeyAlgorithm": COSE_ES256,
            },
            "clientExtensionResults": {},
        }))
    }

    /// Answers `PublicKeyCredentialRequestOptionsJSON` (the `CREDENTIAL_REQUEST_OPTIONS` of a
    /// `WEB_AUTHN` challenge, as a string): the `AuthenticationResponseJSON`, serialized, to
    /// send as the `CREDENTIAL`. Signs `authenticatorData || SHA-256(clientDataJSON)` for the
    /// options' `rpId`.
    ///
    /// # Errors
    /// [`AuthenticatorError::InvalidOptions`] when the options are not JSON or lack the
    /// challenge or the RP id; [`AuthenticatorError::Crypto`] if signing fails.
    pub fn sign_in(&mut self, request_options: &str) -> Result<String, AuthenticatorError> {
        let options: Value = serde_json::from_str(request_options)
            .map_err(|_| AuthenticatorError::InvalidOptions("not JSON"))?;
        let challenge = options
            .get("challenge")
            .and_then(Value::as_str)
            .ok_or(AuthenticatorError::InvalidOptions("no challenge"))?;
        let rp_id = options
            .get("rpId")
            .and_then(Value::as_str)
            .ok_or(AuthenticatorError::InvalidOptions("no rpId"))?;
        let client_data = self.client_data("webauthn.get", challenge);
        let count = self.next_count();
        let mut auth_data = digest(&SHA256, rp_id.as_bytes()).as_ref().to_vec();
        auth_data.push(self.flags());
        auth_data.extend_from_slice(&count.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend_from_slice(digest(&SHA256, &client_data).as_ref());
        let signature = self
            .key_pair
            .sign(&SystemRandom::new(), &signed)
            .map_err(|_| AuthenticatorError::Crypto)?;
        let id = self.credential_id();
        Ok(json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64url(&client_data),
                "authenticatorData": b64url(&auth_data),
                "signature": b64url(signature.as_ref()),
                "userHandle": self.user_handle.as_deref().map(b64url),
            },
            "clientExtensionResults": {},
        })
        .to_string())
    }
}
