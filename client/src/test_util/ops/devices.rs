//! Remembered devices in the local pool: `NewDeviceMetadata`, `ConfirmDevice`, the device SRP
//! challenges (the proof really checked with the server half of SRP), the device operations
//! and `DeviceKey` on refresh.

use serde_json::{Value, json};

use super::super::DeviceTracking;
use super::super::state::{DeviceRecord, State, Step};
use super::{
    Answer, SECRET_BLOCK_LEN, TIMESTAMP_SKEW, blocking, bounded, check_access, ct_eq, field,
    incorrect_password, invalid_parameter, invalid_session, issue_tokens, new_lineage, new_session,
    not_authorized, random_bytes, random_hex, sub_of, timestamp, uuid,
};
use super::{PoolError, Shared};
use crate::srp::{PasswordVerifier, SrpServer};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The service model's longest `DeviceKey` and `DeviceName`.
const MAX_DEVICE_KEY_LEN: usize = 55;
const MAX_DEVICE_NAME_LEN: usize = 1024;
/// Most devices of one `ListDevices` page.
const MAX_LIST_LIMIT: u64 = 60;

fn device_not_found() -> PoolError {
    PoolError::new("ResourceNotFoundException", "Device does not exist.")
}

/// The device APIs of a pool without device tracking (message unconfirmed).
fn tracking_off() -> PoolError {
    invalid_parameter("Device tracking is not enabled for this user pool.")
}

fn tracking(shared: &Shared) -> DeviceTracking {
    shared.settings.device_tracking
}

/// The device `key` of `username` (its current incarnation: same `sub`).
fn user_device<'s>(
    state: &'s State,
    username: &str,
    key: &str,
) -> Result<&'s DeviceRecord, PoolError> {
    let sub = state.users.get(username).map(|u| u.sub.as_str());
    state
        .devices
        .get(key)
        .filter(|d| d.username == username && Some(d.sub.as_str()) == sub)
        .ok_or_else(device_not_found)
}

/// Records `device_key` in the session `session_id` (so the sign-in's end knows it).
pub(super) fn carry_device_key(state: &mut State, session_id: &str, device_key: Option<&str>) {
    if let Some(session) = state.sessions.get_mut(session_id) {
        session.device_key = device_key.map(str::to_owned);
    }
}

/// Before MFA: the `DEVICE_SRP_AUTH` challenge of a remembered device (MFA skipped), or
/// `None` to go on. An unknown device key is `ResourceNotFoundException`.
pub(super) fn remembered_device_step(
    shared: &Shared,
    state: &mut State,
    username: &str,
    device_key: Option<&str>,
) -> Result<Option<Value>, PoolError> {
    let Some(key) = device_key.filter(|_| tracking(shared) != DeviceTracking::Off) else {
        return Ok(None);
    };
    let device = user_device(state, username, key)?;
    if device.verifier.is_some() && device.remembered {
        return device_challenge(shared, state, username, key).map(Some);
    }
    Ok(None)
}

/// `DEVICE_SRP_AUTH` for the device `key` of `username`.
fn device_challenge(shared: &Shared, state: &mut State, username: &str, key: &str) -> Answer {
    let sub = sub_of(state, username).ok_or_else(incorrect_password)?;
    let session = new_session(
        shared,
        state,
        username,
        sub,
        Step::DeviceSrpAuth {
            device_key: key.to_owned(),
        },
    )?;
    Ok(json!({
        "ChallengeName": "DEVICE_SRP_AUTH",
        "Session": session,
        "ChallengeParameters": { "USERNAME": username },
    }))
}

/// The end of a sign-in (password and MFA done): a confirmed device still proves its password
/// (`DEVICE_SRP_AUTH`); otherwise tokens, with `NewDeviceMetadata` of a new (or still
/// unconfirmed) device when the pool tracks devices.
pub(super) fn finish_sign_in(
    shared: &Shared,
    state: &mut State,
    username: &str,
    device_key: Option<String>,
) -> Answer {
    let mut lineage = new_lineage(shared)?;
    if tracking(shared) == DeviceTracking::Off {
        return issue_tokens(shared, state, username, &lineage, true);
    }
    let known = match &device_key {
        Some(key) => Some(user_device(state, username, key)?.verifier.is_some()),
        None => None,
    };
    let key = match (device_key, known) {
        (Some(key), Some(true)) => return device_challenge(shared, state, username, &key),
        (Some(key), _) => key,
        (None, _) => new_device(shared, state, username)?,
    };
    let group_key = state
        .devices
        .get(&key)
        .map(|d| d.group_key.clone())
        .ok_or_else(device_not_found)?;
    lineage.device_key = Some(key.clone());
    let mut answer = issue_tokens(shared, state, username, &lineage, true)?;
    if let Some(result) = answer
        .get_mut("AuthenticationResult")
        .and_then(Value::as_object_mut)
    {
        result.insert(
            "NewDeviceMetadata".to_owned(),
            json!({ "DeviceKey": key, "DeviceGroupKey": group_key }),
        );
    }
    Ok(answer)
}

/// A new, unconfirmed device of `username`: `<region>_<uuid>`, in the user's device group.
fn new_device(shared: &Shared, state: &mut State, username: &str) -> Result<String, PoolError> {
    let region = shared
        .settings
        .pool_id
        .split_once('_')
        .map_or("local", |(region, _)| region);
    let key = format!("{region}_{}", uuid()?);
    let sub = sub_of(state, username).ok_or_else(incorrect_password)?;
    let group_key = match state.device_groups.get(username) {
        Some(group) => group.clone(),
        None => {
            let group = format!("-{}", random_hex(5)?.get(..9).unwrap_or_default());
            state
                .device_groups
                .insert(username.to_owned(), group.clone());
            group
        }
    };
    let now = shared.issuer.now();
    state.devices.insert(
        key.clone(),
        DeviceRecord {
            username: username.to_owned(),
            sub,
            group_key,
            verifier: None,
            remembered: false,
            name: None,
            created: now,
            last_modified: now,
            last_authenticated: None,
        },
    );
    Ok(key)
}

/// `DEVICE_SRP_AUTH`: `SRP_A` of the device named in the session; answers
/// `DEVICE_PASSWORD_VERIFIER` with the device's salt, `SRP_B` and a new `SECRET_BLOCK`.
pub(super) async fn device_srp_auth(
    shared: &Shared,
    session_id: &str,
    responses: &Value,
    username: &str,
) -> Answer {
    let key = bounded(responses, "DEVICE_KEY", MAX_DEVICE_KEY_LEN)?.to_owned();
    let srp_a = bounded(responses, "SRP_A", 1024)?.to_owned();
    let (sub, verifier) = {
        let mut state = shared.state();
        // One answer per session.
        let session = state
            .sessions
            .remove(session_id)
            .ok_or_else(invalid_session)?;
        match &session.step {
            Step::DeviceSrpAuth { device_key } if *device_key == key => {}
            _ => return Err(invalid_session()),
        }
        let device = user_device(&state, username, &key)?;
        let verifier = device.verifier.clone().ok_or_else(device_not_found)?;
        (session.sub, verifier)
    };
    let salt = verifier.salt_hex().to_owned();
    let server = blocking(move || SrpServer::new(&verifier, &srp_a))
        .await?
        .map_err(|e| invalid_parameter(e.to_string()))?;
    let srp_b = server.srp_b_hex();
    let secret_block = STANDARD.encode(random_bytes(SECRET_BLOCK_LEN)?);
    let mut state = shared.state();
    let session = new_session(
        shared,
        &mut state,
        username,
        sub,
        Step::DevicePasswordVerifier {
            device_key: key,
            server: Box::new(server),
            secret_block: secret_block.clone(),
        },
    )?;
    Ok(json!({
        "ChallengeName": "DEVICE_PASSWORD_VERIFIER",
        "Session": session,
        "ChallengeParameters": {
            "SALT": salt,
            "SRP_B": srp_b,
            "SECRET_BLOCK": secret_block,
            "USERNAME": username,
        },
    }))
}

/// `DEVICE_PASSWORD_VERIFIER`: the device's password claim, checked like the user's (the
/// secret block issued, a timestamp within five minutes, the signature); tokens of the device.
pub(super) fn device_password_verifier(
    shared: &Shared,
    session_id: &str,
    responses: &Value,
    username: &str,
) -> Answer {
    let key = bounded(responses, "DEVICE_KEY", MAX_DEVICE_KEY_LEN)?;
    let secret_block = bounded(responses, "PASSWORD_CLAIM_SECRET_BLOCK", 16 * 1024)?;
    let signature = bounded(responses, "PASSWORD_CLAIM_SIGNATURE", 128)?;
    let claimed_time = bounded(responses, "TIMESTAMP", 64)?;
    let mut state = shared.state();
    let now = shared.issuer.now();
    // One answer per challenge, right or wrong.
    let session = state
        .sessions
        .remove(session_id)
        .ok_or_else(invalid_session)?;
    let Step::DevicePasswordVerifier {
        device_key,
        server,
        secret_block: issued,
    } = session.step
    else {
        return Err(invalid_session());
    };
    if device_key != key || !ct_eq(&issued, secret_block) {
        return Err(incorrect_password());
    }
    let time = timestamp::parse(claimed_time)
        .ok_or_else(|| invalid_parameter("TIMESTAMP format is invalid"))?;
    if time.abs_diff(now) > TIMESTAMP_SKEW {
        return Err(not_authorized("TIMESTAMP is too far from the current time"));
    }
    server
        .verify_claim(secret_block, claimed_time, signature)
        .map_err(|_| incorrect_password())?;
    user_device(&state, username, &device_key)?;
    if let Some(device) = state.devices.get_mut(&device_key) {
        device.last_authenticated = Some(now);
    }
    let mut lineage = new_lineage(shared)?;
    lineage.device_key = Some(device_key);
    issue_tokens(shared, &mut state, username, &lineage, true)
}

/// A refresh token of a device sign-in refreshes only with its `DeviceKey`, while the device
/// is tracked (users report `NotAuthorizedException` "Invalid Refresh Token" without it). An
/// unknown token is left to the refresh itself.
pub(super) fn check_refresh_device(
    shared: &Shared,
    token: &str,
    given: Option<&str>,
) -> Result<(), PoolError> {
    if tracking(shared) == DeviceTracking::Off {
        return Ok(());
    }
    let state = shared.state();
    let Some(record) = state.refresh.get(token) else {
        return Ok(());
    };
    let Some(expected) = &record.lineage.device_key else {
        return Ok(());
    };
    let tracked = state
        .devices
        .get(expected)
        .is_some_and(|d| d.username == record.username && d.sub == record.sub);
    if given.is_some_and(|g| ct_eq(g, expected)) && tracked {
        Ok(())
    } else {
        Err(not_authorized("Invalid Refresh Token"))
    }
}

/// The user of the access token and the device `DeviceKey` of the body, on a pool that tracks
/// devices.
fn device_call<'b>(
    shared: &Shared,
    state: &State,
    body: &'b Value,
) -> Result<(String, &'b str), PoolError> {
    if tracking(shared) == DeviceTracking::Off {
        return Err(tracking_off());
    }
    let username = check_access(shared, state, body)?;
    let key = bounded(body, "DeviceKey", MAX_DEVICE_KEY_LEN)?;
    Ok((username, key))
}

/// `ConfirmDevice`: stores the device's verifier and salt.
pub(super) async fn confirm_device(shared: &Shared, body: &Value) -> Answer {
    let (username, key, group_key) = {
        let state = shared.state();
        let (username, key) = device_call(shared, &state, body)?;
        let device = user_device(&state, &username, key)?;
        if device.verifier.is_some() {
            return Err(PoolError::new(
                "DeviceKeyExistsException",
                "Device has already been confirmed.",
            ));
        }
        (username, key.to_owned(), device.group_key.clone())
    };
    let config = body
        .get("DeviceSecretVerifierConfig")
        .filter(|c| c.is_object())
        .ok_or_else(|| {
            invalid_parameter("Missing required parameter DeviceSecretVerifierConfig")
        })?;
    let verifier_b64 = bounded(config, "PasswordVerifier", 1024)?.to_owned();
    let salt_b64 = bounded(config, "Salt", 512)?.to_owned();
    let name = match field(body, "DeviceName") {
        Some(name) if name.is_empty() || name.len() > MAX_DEVICE_NAME_LEN => {
            return Err(invalid_parameter(
                "1 validation error detected: Value at 'deviceName' failed to satisfy \
                 constraint: Member must have length between 1 and 1024",
            ));
        }
        other => other.map(str::to_owned),
    };
    let (group, device_key) = (group_key.clone(), key.clone());
    let verifier = blocking(move || {
        PasswordVerifier::from_device_config(&group, &device_key, &salt_b64, &verifier_b64)
    })
    .await?
    .map_err(|e| invalid_parameter(format!("Invalid DeviceSecretVerifierConfig: {e}")))?;
    let opt_in = tracking(shared) == DeviceTracking::UserOptIn;
    let mut state = shared.state();
    let now = shared.issuer.now();
    user_device(&state, &username, &key)?;
    let device = state.devices.get_mut(&key).ok_or_else(device_not_found)?;
    if device.verifier.is_some() {
        return Err(PoolError::new(
            "DeviceKeyExistsException",
            "Device has already been confirmed.",
        ));
    }
    device.verifier = Some(verifier);
    device.remembered = !opt_in;
    device.name = name;
    device.last_modified = now;
    Ok(json!({ "UserConfirmationNecessary": opt_in }))
}

/// `UpdateDeviceStatus`: `remembered` or `not_remembered` (absent: no change).
pub(super) fn update_device_status(shared: &Shared, body: &Value) -> Answer {
    let mut state = shared.state();
    let (username, key) = device_call(shared, &state, body)?;
    let remembered = match field(body, "DeviceRememberedStatus") {
        None => None,
        Some("remembered") => Some(true),
        Some("not_remembered") => Some(false),
        Some(other) => {
            return Err(invalid_parameter(format!(
                "1 validation error detected: Value '{other}' at 'deviceRememberedStatus' \
                 failed to satisfy constraint: Member must satisfy enum value set: \
                 [not_remembered, remembered]"
            )));
        }
    };
    let confirmed = user_device(&state, &username, key)?.verifier.is_some();
    if !confirmed {
        return Err(device_not_found());
    }
    let now = shared.issuer.now();
    if let (Some(remembered), Some(device)) = (remembered, state.devices.get_mut(key)) {
        device.remembered = remembered;
        device.last_modified = now;
    }
    Ok(json!({}))
}

fn device_json(key: &str, device: &DeviceRecord) -> Value {
    let status = if device.remembered {
        "remembered"
    } else {
        "not_remembered"
    };
    let mut attributes = vec![
        json!({ "Name": "device_status", "Value": "valid" }),
        json!({ "Name": "dev:device_remembered_status", "Value": status }),
    ];
    if let Some(name) = &device.name {
        attributes.push(json!({ "Name": "device_name", "Value": name }));
    }
    let mut value = json!({
        "DeviceKey": key,
        "DeviceAttributes": attributes,
        "DeviceCreateDate": device.created,
        "DeviceLastModifiedDate": device.last_modified,
    });
    if let (Some(at), Some(map)) = (device.last_authenticated, value.as_object_mut()) {
        map.insert("DeviceLastAuthenticatedDate".to_owned(), json!(at));
    }
    value
}

/// `ListDevices`: the user's confirmed devices, oldest first, `Limit` (0 to 60, default 60)
/// a page; the `PaginationToken` is the key of the next page's first device.
pub(super) fn list_devices(shared: &Shared, body: &Value) -> Answer {
    if tracking(shared) == DeviceTracking::Off {
        return Err(tracking_off());
    }
    let state = shared.state();
    let username = check_access(shared, &state, body)?;
    let limit = match body.get("Limit") {
        None => MAX_LIST_LIMIT,
        Some(limit) => limit
            .as_u64()
            .filter(|l| *l <= MAX_LIST_LIMIT)
            .ok_or_else(|| {
                invalid_parameter(
                    "1 validation error detected: Value at 'limit' failed to satisfy \
                     constraint: Member must have value less than or equal to 60",
                )
            })?,
    };
    let mut devices: Vec<(u64, &String, &DeviceRecord)> = state
        .devices
        .iter()
        .filter(|(_, d)| {
            d.username == username
                && d.verifier.is_some()
                && state.users.get(&username).is_some_and(|u| u.sub == d.sub)
        })
        .map(|(key, d)| (d.created, key, d))
        .collect();
    devices.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let start = match field(body, "PaginationToken") {
        None => 0,
        Some(token) => devices
            .iter()
            .position(|(_, key, _)| key.as_str() == token)
            .ok_or_else(|| invalid_parameter("Invalid pagination token"))?,
    };
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let page: Vec<Value> = devices
        .iter()
        .skip(start)
        .take(limit)
        .map(|(_, key, d)| device_json(key, d))
        .collect();
    let mut answer = json!({ "Devices": page });
    if let (Some((_, next, _)), Some(map)) = (
        devices.get(start.saturating_add(limit)),
        answer.as_object_mut(),
    ) {
        map.insert("PaginationToken".to_owned(), json!(next));
    }
    Ok(answer)
}

/// `GetDevice`.
pub(super) fn get_device(shared: &Shared, body: &Value) -> Answer {
    let state = shared.state();
    let (username, key) = device_call(shared, &state, body)?;
    let device = user_device(&state, &username, key)?;
    if device.verifier.is_none() {
        return Err(device_not_found());
    }
    Ok(json!({ "Device": device_json(key, device) }))
}

/// `ForgetDevice`: the device is gone; its key is refused from now on, and its refresh tokens
/// with it.
pub(super) fn forget_device(shared: &Shared, body: &Value) -> Answer {
    let mut state = shared.state();
    let (username, key) = device_call(shared, &state, body)?;
    user_device(&state, &username, key)?;
    state.devices.remove(key);
    Ok(json!({}))
}
