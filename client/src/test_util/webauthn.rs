//! The relying party's side of WebAuthn, as the local pool checks passkeys: registration
//! (attestation `none`, ES256 keys) and assertions (challenge, origin, RP id hash, flags, sign
//! count, signature). Pure functions of the credential JSON and what the pool remembers.
//!
//! Error types: the registration refusals are the service model's
//! (`WebAuthnChallengeNotFoundException`, `WebAuthnOriginNotAllowedException`,
//! `WebAuthnRelyingPartyMismatchException`, `WebAuthnCredentialNotSupportedException`). What
//! Cognito answers to a refused assertion, and to a registration without the user-presence or
//! user-verification flag, is **unconfirmed**: the pool answers an origin and an RP id it does not
//! allow with the same model types as registration, and every other refusal with
//! `NotAuthorizedException`.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::PoolError;
use super::cbor::Cbor;

/// User present.
pub(crate) const FLAG_UP: u8 = 0x01;
/// User verified.
pub(crate) const FLAG_UV: u8 = 0x04;
/// Attested credential data included.
pub(crate) const FLAG_AT: u8 = 0x40;
/// Extension data included.
pub(crate) const FLAG_ED: u8 = 0x80;
/// COSE algorithm ES256.
pub(crate) const COSE_ES256: i64 = -7;
/// Longest base64url member of a credential accepted (a credential id is at most 1023 bytes;
/// client data and authenticator data are small).
const MAX_MEMBER_LEN: usize = 8 * 1024;

/// The relying party of the pool.
#[derive(Debug, Clone)]
pub(crate) struct RelyingParty {
    pub(crate) id: String,
    pub(crate) origins: Vec<String>,
    pub(crate) user_verification_required: bool,
}

/// A registered passkey's key material.
#[derive(Debug, Clone)]
pub(crate) struct Registered {
    pub(crate) credential_id: Vec<u8>,
    /// The uncompressed P-256 point (65 bytes).
    pub(crate) public_key: Vec<u8>,
    pub(crate) sign_count: u32,
    pub(crate) transports: Vec<String>,
    pub(crate) attachment: Option<String>,
}

fn invalid(message: &str) -> PoolError {
    PoolError::new("InvalidParameterException", message)
}

fn not_authorized(message: &str) -> PoolError {
    PoolError::new("NotAuthorizedException", message)
}

fn not_supported(message: &str) -> PoolError {
    PoolError::new("WebAuthnCredentialNotSupportedException", message)
}

fn origin_not_allowed() -> PoolError {
    PoolError::new(
        "WebAuthnOriginNotAllowedException",
        "The passkey credential's origin is not allowed by the user pool.",
    )
}

fn rp_mismatch() -> PoolError {
    PoolError::new(
        "WebAuthnRelyingPartyMismatchException",
        "The passkey credential is associated with a different relying party ID.",
    )
}

pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn member<'a>(object: &'a Value, name: &str) -> Result<&'a str, PoolError> {
    object
        .get(name)
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty() && v.len() <= MAX_MEMBER_LEN)
        .ok_or_else(|| invalid(&format!("The passkey credential has no valid {name}")))
}

fn decoded(object: &Value, name: &str) -> Result<Vec<u8>, PoolError> {
    let value = member(object, name)?;
    // Browsers send base64url without padding; accept padding too, as libraries do.
    URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .map_err(|_| invalid(&format!("The passkey credential's {name} is not base64url")))
}

/// The credential's id (`rawId`, which must equal `id`) and its `response` object.
fn envelope(credential: &Value) -> Result<(Vec<u8>, &Value), PoolError> {
    if credential.get("type").and_then(Value::as_str) != Some("public-key") {
        return Err(invalid("The passkey credential's type must be public-key"));
    }
    let raw_id = decoded(credential, "rawId")?;
    let id = decoded(credential, "id")?;
    if id != raw_id {
        return Err(invalid("The passkey credential's id and rawId differ"));
    }
    let response = credential
        .get("response")
        .filter(|r| r.is_object())
        .ok_or_else(|| invalid("The passkey credential has no response"))?;
    Ok((raw_id, response))
}

/// Checks the client data: its type, its challenge and its origin.
fn check_client_data(
    rp: &RelyingParty,
    client_data_json: &[u8],
    kind: &str,
    challenge: &[u8],
    challenge_error: PoolError,
) -> Result<(), PoolError> {
    let client_data: Value = serde_json::from_slice(client_data_json)
        .map_err(|_| invalid("The passkey credential's clientDataJSON is not JSON"))?;
    if client_data.get("type").and_then(Value::as_str) != Some(kind) {
        return Err(invalid(&format!(
            "The passkey credential's client data type must be {kind}"
        )));
    }
    let given = client_data
        .get("challenge")
        .and_then(Value::as_str)
        .and_then(|c| URL_SAFE_NO_PAD.decode(c.trim_end_matches('=')).ok());
    let same = given
        .is_some_and(|g| aws_lc_rs::constant_time::verify_slices_are_equal(&g, challenge).is_ok());
    if !same {
        return Err(challenge_error);
    }
    let origin = client_data.get("origin").and_then(Value::as_str);
    if !origin.is_some_and(|o| rp.origins.iter().any(|allowed| allowed == o)) {
        return Err(origin_not_allowed());
    }
    Ok(())
}

/// The authenticator data's fixed part: RP id hash checked, flags, sign count, the rest.
fn check_authenticator_data<'a>(
    rp: &RelyingParty,
    data: &'a [u8],
) -> Result<(u8, u32, &'a [u8]), PoolError> {
    let short = || invalid("The passkey credential's authenticator data is too short");
    let (rp_id_hash, rest) = data.split_at_checked(32).ok_or_else(short)?;
    let (flags, rest) = rest.split_first().ok_or_else(short)?;
    let (count, rest) = rest.split_at_checked(4).ok_or_else(short)?;
    let expected = digest(&SHA256, rp.id.as_bytes());
    if aws_lc_rs::constant_time::verify_slices_are_equal(rp_id_hash, expected.as_ref()).is_err() {
        return Err(rp_mismatch());
    }
    if flags & FLAG_UP == 0 {
        return Err(not_authorized("The user was not present for the passkey"));
    }
    if rp.user_verification_required && flags & FLAG_UV == 0 {
        return Err(not_authorized(
            "User verification is required for the passkey",
        ));
    }
    let count = <[u8; 4]>::try_from(count).map_err(|_| short())?;
    Ok((*flags, u32::from_be_bytes(count), rest))
}

/// The uncompressed point of an ES256 COSE key.
fn es256_point(key: &Cbor) -> Result<Vec<u8>, PoolError> {
    let get = |label: i64| key.get(&Cbor::int(label));
    if get(3) != Some(&Cbor::int(COSE_ES256)) {
        return Err(not_supported(
            "Only ES256 (COSE algorithm -7) passkeys are supported",
        ));
    }
    match (get(1), get(-1), get(-2), get(-3)) {
        (Some(kty), Some(crv), Some(Cbor::Bytes(x)), Some(Cbor::Bytes(y)))
            if kty == &Cbor::int(2) && crv == &Cbor::int(1) && x.len() == 32 && y.len() == 32 =>
        {
            let mut point = Vec::with_capacity(65);
            point.push(0x04);
            point.extend_from_slice(x);
            point.extend_from_slice(y);
            Ok(point)
        }
        _ => Err(not_supported("The passkey's public key is not a P-256 key")),
    }
}

/// Checks a `RegistrationResponseJSON` against the challenge the pool issued for it.
pub(crate) fn verify_registration(
    rp: &RelyingParty,
    challenge: &[u8],
    credential: &Value,
) -> Result<Registered, PoolError> {
    let (raw_id, response) = envelope(credential)?;
    let client_data_json = decoded(response, "clientDataJSON")?;
    check_client_data(
        rp,
        &client_data_json,
        "webauthn.create",
        challenge,
        PoolError::new(
            "WebAuthnChallengeNotFoundException",
            "The passkey registration challenge was not found or has expired.",
        ),
    )?;
    let attestation = Cbor::decode(&decoded(response, "attestationObject")?)
        .ok_or_else(|| invalid("The passkey credential's attestationObject is not CBOR"))?;
    match attestation.get(&Cbor::Text("fmt".to_owned())) {
        Some(Cbor::Text(fmt)) if fmt == "none" => {}
        _ => {
            return Err(not_supported(
                "Only attestation none is supported by the local pool",
            ));
        }
    }
    if attestation.get(&Cbor::Text("attStmt".to_owned())) != Some(&Cbor::Map(Vec::new())) {
        return Err(invalid("Attestation none has an empty attStmt"));
    }
    let Some(Cbor::Bytes(auth_data)) = attestation.get(&Cbor::Text("authData".to_owned())) else {
        return Err(invalid("The attestationObject has no authData"));
    };
    let (flags, sign_count, rest) = check_authenticator_data(rp, auth_data)?;
    if flags & FLAG_AT == 0 {
        return Err(invalid("The authenticator data has no attested credential"));
    }
    let short = || invalid("The attested credential data is too short");
    let (_aaguid, rest) = rest.split_at_checked(16).ok_or_else(short)?;
    let (len, rest) = rest.split_at_checked(2).ok_or_else(short)?;
    let len = match len {
        [hi, lo] => usize::from(u16::from_be_bytes([*hi, *lo])),
        _ => return Err(short()),
    };
    let (credential_id, rest) = rest.split_at_checked(len).ok_or_else(short)?;
    if credential_id != raw_id.as_slice() {
        return Err(invalid(
            "The attested credential id is not the credential's id",
        ));
    }
    let (key, rest) =
        Cbor::decode_prefix(rest).ok_or_else(|| invalid("The passkey's public key is not CBOR"))?;
    if !rest.is_empty() && (flags & FLAG_ED == 0 || Cbor::decode(rest).is_none()) {
        return Err(invalid("Trailing bytes after the attested credential data"));
    }
    let public_key = es256_point(&key)?;
    let transports = response
        .get("transports")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .take(8)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let attachment = credential
        .get("authenticatorAttachment")
        .and_then(Value::as_str)
        .filter(|a| *a == "platform" || *a == "cross-platform")
        .map(str::to_owned);
    Ok(Registered {
        credential_id: raw_id,
        public_key,
        sign_count,
        transports,
        attachment,
    })
}

/// What an accepted assertion tells the pool.
pub(crate) struct Asserted {
    /// Which of the user's passkeys signed.
    pub(crate) index: usize,
    pub(crate) sign_count: u32,
}

/// Checks an `AuthenticationResponseJSON` (the `CREDENTIAL` of `WEB_AUTHN`) against the
/// session's challenge and the user's passkeys (`(credential id, public key, sign count)`),
/// whose user handle is `user_handle`.
pub(crate) fn verify_assertion(
    rp: &RelyingParty,
    challenge: &[u8],
    passkeys: &[(&[u8], &[u8], u32)],
    user_handle: &[u8],
    credential: &str,
) -> Result<Asserted, PoolError> {
    let credential: Value =
        serde_json::from_str(credential).map_err(|_| invalid("CREDENTIAL is not a JSON object"))?;
    let (raw_id, response) = envelope(&credential)?;
    let index = passkeys
        .iter()
        .position(|(id, _, _)| *id == raw_id.as_slice())
        .ok_or_else(|| not_authorized("The passkey is not registered for this user"))?;
    let (_, public_key, stored_count) = passkeys
        .get(index)
        .copied()
        .ok_or_else(|| not_authorized("The passkey is not registered for this user"))?;
    let client_data_json = decoded(response, "clientDataJSON")?;
    check_client_data(
        rp,
        &client_data_json,
        "webauthn.get",
        challenge,
        not_authorized("The passkey answer is not for this challenge"),
    )?;
    let auth_data = decoded(response, "authenticatorData")?;
    let (_, sign_count, _) = check_authenticator_data(rp, &auth_data)?;
    if (sign_count != 0 || stored_count != 0) && sign_count <= stored_count {
        return Err(not_authorized(
            "The passkey's signature counter did not increase (a cloned authenticator?)",
        ));
    }
    if let Some(handle) = response.get("userHandle").filter(|h| !h.is_null()) {
        let handle = handle
            .as_str()
            .and_then(|h| URL_SAFE_NO_PAD.decode(h.trim_end_matches('=')).ok())
            .ok_or_else(|| invalid("The passkey credential's userHandle is not base64url"))?;
        if handle != user_handle {
            return Err(not_authorized("The passkey belongs to another user"));
        }
    }
    let signature = decoded(response, "signature")?;
    let mut signed = auth_data;
    signed.extend_from_slice(digest(&SHA256, &client_data_json).as_ref());
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, public_key)
        .verify(&signed, &signature)
        .map_err(|_| not_authorized("The passkey signature is not valid"))?;
    Ok(Asserted { index, sign_count })
}
