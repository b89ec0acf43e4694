//! The operations of the user-pool API, each a function of the request's JSON.

use std::collections::BTreeMap;

use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use aws_lc_rs::{constant_time, hmac};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::state::{
    AccessRecord, IssuedCode, Lineage, RefreshRecord, Session, SrpSession, State, Step, User,
};
use super::{CodeKind, PoolError, SentCode, Shared, UserStatus, timestamp, totp};
use crate::srp::{PasswordVerifier, SrpServer};
use tower_cognito::test_util::TOKEN_LIFETIME;

mod devices;
mod mfa;
mod user_auth;

/// Lifetime of a challenge session and of a `PASSWORD_VERIFIER` exchange (Cognito: 3 minutes).
const SESSION_LIFETIME: u64 = 180;
/// How far the `TIMESTAMP` of a password claim may be from the pool's clock.
const TIMESTAMP_SKEW: u64 = 300;
/// Lifetime of refresh tokens (Cognito's default: 30 days).
const REFRESH_LIFETIME: u64 = 30 * 86_400;
/// Lifetime of sign-up and attribute codes (24 h) and of reset codes (1 h).
const CODE_LIFETIME: u64 = 86_400;
const RESET_CODE_LIFETIME: u64 = 3600;
/// Wrong codes accepted on one challenge session before it is dropped.
const MAX_SESSION_FAILURES: u32 = 3;
/// Bytes of randomness in a `SECRET_BLOCK`.
const SECRET_BLOCK_LEN: usize = 128;
/// Bytes of a TOTP secret (160 bits, as Cognito's).
const TOTP_SECRET_LEN: usize = 20;
/// Longest user name, attribute name and attribute value accepted.
const MAX_USERNAME_LEN: usize = 128;
const MAX_ATTRIBUTE_NAME_LEN: usize = 64;
const MAX_ATTRIBUTE_VALUE_LEN: usize = 2048;
const MAX_PASSWORD_LEN: usize = 256;
const MAX_ATTRIBUTES: usize = 50;

/// Attributes every pool has; others must be `custom:*`.
const STANDARD_ATTRIBUTES: [&str; 21] = [
    "address",
    "birthdate",
    "email",
    "email_verified",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "phone_number_verified",
    "picture",
    "preferred_username",
    "profile",
    "updated_at",
    "website",
    "zoneinfo",
    "sub",
    "identities",
];

type Answer = Result<Value, PoolError>;

/// The scope an access token needs for the user-pool API's token-authorized operations
/// (`GetUser`, `ChangePassword`, ...): every token of an API sign-in has it, a token of managed
/// login only when the authorization asked for it.
const USER_API_SCOPE: &str = "aws.cognito.signin.user.admin";

// ---------------------------------------------------------------------------------------------
// Errors

fn not_authorized(message: &str) -> PoolError {
    PoolError::new("NotAuthorizedException", message)
}

fn incorrect_password() -> PoolError {
    not_authorized("Incorrect username or password.")
}

fn invalid_parameter(message: impl Into<String>) -> PoolError {
    PoolError::new("InvalidParameterException", message)
}

fn user_not_found() -> PoolError {
    PoolError::new(
        "UserNotFoundException",
        "Username/client id combination not found.",
    )
}

fn code_mismatch() -> PoolError {
    PoolError::new(
        "CodeMismatchException",
        "Invalid verification code provided, please try again.",
    )
}

fn expired_code() -> PoolError {
    PoolError::new(
        "ExpiredCodeException",
        "Invalid code provided, please request a code again.",
    )
}

fn invalid_session() -> PoolError {
    not_authorized("Invalid session for the user, session is expired.")
}

// ---------------------------------------------------------------------------------------------
// Reading requests

fn field<'a>(body: &'a Value, name: &str) -> Option<&'a str> {
    body.get(name).and_then(Value::as_str)
}

fn required<'a>(body: &'a Value, name: &str) -> Result<&'a str, PoolError> {
    field(body, name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| invalid_parameter(format!("Missing required parameter {name}")))
}

fn bounded<'a>(body: &'a Value, name: &str, max: usize) -> Result<&'a str, PoolError> {
    let value = required(body, name)?;
    if value.len() > max {
        return Err(invalid_parameter(format!(
            "1 validation error detected: Value at '{name}' failed to satisfy constraint: \
             Member must have length less than or equal to {max}"
        )));
    }
    Ok(value)
}

fn attributes_of(body: &Value, name: &str) -> Result<Vec<(String, String)>, PoolError> {
    let Some(list) = body.get(name) else {
        return Ok(Vec::new());
    };
    let list = list
        .as_array()
        .ok_or_else(|| invalid_parameter(format!("{name} must be a list")))?;
    if list.len() > MAX_ATTRIBUTES {
        return Err(invalid_parameter(format!("Too many {name}")));
    }
    list.iter()
        .map(|a| {
            let name = bounded(a, "Name", MAX_ATTRIBUTE_NAME_LEN)?;
            let value = field(a, "Value").unwrap_or_default();
            if value.len() > MAX_ATTRIBUTE_VALUE_LEN {
                return Err(invalid_parameter("Attribute value too long"));
            }
            check_attribute_name(name)?;
            Ok((name.to_owned(), value.to_owned()))
        })
        .collect()
}

fn check_attribute_name(name: &str) -> Result<(), PoolError> {
    let known = STANDARD_ATTRIBUTES.contains(&name)
        || name
            .strip_prefix("custom:")
            .is_some_and(|rest| !rest.is_empty() && rest.len() <= 20);
    if known {
        Ok(())
    } else {
        Err(invalid_parameter(format!(
            "Attributes did not conform to the schema: Type for attribute {{{name}}} could not \
             be determined"
        )))
    }
}

fn check_writable(name: &str) -> Result<(), PoolError> {
    if name == "sub" || name == "identities" {
        return Err(invalid_parameter(format!(
            "Cannot modify the non-mutable attribute {name}"
        )));
    }
    Ok(())
}

/// Cognito's default password policy: 8 characters, upper and lower case, a digit, a symbol.
fn check_password(password: &str) -> Result<(), PoolError> {
    let fail = |why: &str| {
        PoolError::new(
            "InvalidPasswordException",
            format!("Password did not conform with policy: {why}"),
        )
    };
    if password.chars().count() < 8 {
        return Err(fail("Password not long enough"));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(fail("Password is too long"));
    }
    if !password.chars().any(char::is_lowercase) {
        return Err(fail("Password must have lowercase characters"));
    }
    if !password.chars().any(char::is_uppercase) {
        return Err(fail("Password must have uppercase characters"));
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        return Err(fail("Password must have numeric characters"));
    }
    if !password.chars().any(|c| !c.is_alphanumeric()) {
        return Err(fail("Password must have symbol characters"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Randomness, hashes, codes

fn random_bytes(len: usize) -> Result<Vec<u8>, PoolError> {
    let mut bytes = vec![0u8; len];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| PoolError::new("InternalErrorException", "random number generator failed"))?;
    Ok(bytes)
}

fn random_hex(len: usize) -> Result<String, PoolError> {
    Ok(random_bytes(len)?
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// A random UUID (version 4), as Cognito's `sub`s.
pub(crate) fn uuid() -> Result<String, PoolError> {
    let mut b = random_bytes(16)?;
    if let Some(v) = b.get_mut(6) {
        *v = (*v & 0x0f) | 0x40;
    }
    if let Some(v) = b.get_mut(8) {
        *v = (*v & 0x3f) | 0x80;
    }
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        hex.get(0..8).unwrap_or_default(),
        hex.get(8..12).unwrap_or_default(),
        hex.get(12..16).unwrap_or_default(),
        hex.get(16..20).unwrap_or_default(),
        hex.get(20..32).unwrap_or_default()
    ))
}

fn six_digits() -> Result<String, PoolError> {
    let mut word = [0u8; 4];
    SystemRandom::new()
        .fill(&mut word)
        .map_err(|_| PoolError::new("InternalErrorException", "random number generator failed"))?;
    Ok(format!("{:06}", u32::from_be_bytes(word) % 1_000_000))
}

pub(crate) fn ct_eq(a: &str, b: &str) -> bool {
    constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

/// Checks `SECRET_HASH` (base64 of HMAC-SHA256(secret, username | client id)) when the app
/// client has a secret.
fn check_secret_hash(shared: &Shared, username: &str, hash: Option<&str>) -> Result<(), PoolError> {
    let settings = &shared.settings;
    let Some(secret) = &settings.client_secret else {
        return Ok(());
    };
    let Some(hash) = hash.filter(|h| !h.is_empty()) else {
        return Err(not_authorized(&format!(
            "Client {} is configured with secret but SECRET_HASH was not received",
            settings.client_id
        )));
    };
    let wrong = || {
        not_authorized(&format!(
            "Unable to verify secret hash for client {}",
            settings.client_id
        ))
    };
    let tag = STANDARD.decode(hash).map_err(|_| wrong())?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let message = format!("{username}{}", settings.client_id);
    hmac::verify(&key, message.as_bytes(), &tag).map_err(|_| wrong())
}

/// Checks the raw `ClientSecret` of `RevokeToken` and `GetTokensFromRefreshToken`.
fn check_client_secret(shared: &Shared, given: Option<&str>) -> Result<(), PoolError> {
    match (&shared.settings.client_secret, given) {
        (None, _) => Ok(()),
        (Some(secret), Some(given)) if ct_eq(secret, given) => Ok(()),
        (Some(_), _) => Err(not_authorized(&format!(
            "Unable to verify secret hash for client {}",
            shared.settings.client_id
        ))),
    }
}

fn check_client(shared: &Shared, body: &Value) -> Result<(), PoolError> {
    let client_id = required(body, "ClientId")?;
    if client_id != shared.settings.client_id {
        return Err(PoolError::new(
            "ResourceNotFoundException",
            format!("User pool client {client_id} does not exist."),
        ));
    }
    Ok(())
}

fn mask(value: &str) -> String {
    match value.split_once('@') {
        Some((local, domain)) => format!(
            "{}***@{}***",
            local.chars().next().unwrap_or('*'),
            domain.chars().next().unwrap_or('*')
        ),
        None => {
            let tail: String = value
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!("+*******{tail}")
        }
    }
}

/// Where a code for `user` goes: its email, else its phone number.
fn delivery(user: &User, attribute: Option<&str>) -> Option<Value> {
    let name = match attribute {
        Some(name) => name,
        None if user.attributes.contains_key("email") => "email",
        None if user.attributes.contains_key("phone_number") => "phone_number",
        None => return None,
    };
    let value = user.attributes.get(name)?;
    let medium = if name == "phone_number" {
        "SMS"
    } else {
        "EMAIL"
    };
    Some(json!({
        "Destination": mask(value),
        "DeliveryMedium": medium,
        "AttributeName": name,
    }))
}

/// Issues a code of `kind` to `user` (replacing an older one of the same kind).
fn send_code(
    shared: &Shared,
    user: &mut User,
    kind: CodeKind,
    lifetime: u64,
) -> Result<String, PoolError> {
    let code = six_digits()?;
    let now = shared.issuer.now();
    user.codes.retain(|c| c.kind != kind);
    user.codes.push(IssuedCode {
        kind: kind.clone(),
        code: code.clone(),
        expires_at: now.saturating_add(lifetime),
    });
    user.last_code = Some(code.clone());
    if let Some(hook) = &shared.settings.on_code {
        hook(&SentCode {
            username: user.username.clone(),
            kind,
            code: code.clone(),
        });
    }
    Ok(code)
}

/// Uses the code of `kind`: `CodeMismatch` when wrong or absent, `ExpiredCode` when expired.
fn use_code(user: &mut User, kind: &CodeKind, code: &str, now: u64) -> Result<(), PoolError> {
    let Some(pos) = user.codes.iter().position(|c| &c.kind == kind) else {
        return Err(code_mismatch());
    };
    let issued = user.codes.get(pos).ok_or_else(code_mismatch)?;
    if !ct_eq(&issued.code, code) {
        return Err(code_mismatch());
    }
    if issued.expires_at <= now {
        user.codes.remove(pos);
        return Err(expired_code());
    }
    user.codes.remove(pos);
    Ok(())
}

/// A password verifier, computed off the async runtime (two 3072-bit exponentiations).
async fn make_verifier(
    shared: &Shared,
    username: &str,
    password: &str,
) -> Result<PasswordVerifier, PoolError> {
    let (pool, user, password) = (
        shared.settings.pool_id.clone(),
        username.to_owned(),
        password.to_owned(),
    );
    blocking(move || PasswordVerifier::new(&pool, &user, &password))
        .await?
        .map_err(|e| invalid_parameter(e.to_string()))
}

async fn password_matches(verifier: PasswordVerifier, password: &str) -> Result<bool, PoolError> {
    let password = password.to_owned();
    blocking(move || verifier.matches_password(&password)).await
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PoolError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| PoolError::new("InternalErrorException", "the computation failed"))
}

// ---------------------------------------------------------------------------------------------
// Users

/// The user called `name`, or (with the email alias on) the user whose email it is.
fn find_user_name(shared: &Shared, state: &State, name: &str) -> Option<String> {
    if state.users.contains_key(name) {
        return Some(name.to_owned());
    }
    if shared.settings.email_alias {
        return state
            .users
            .values()
            .find(|u| u.attributes.get("email").is_some_and(|e| e == name))
            .map(|u| u.username.clone());
    }
    None
}

pub(super) async fn create_user(
    shared: &Shared,
    username: &str,
    password: &str,
    attributes: &[(&str, &str)],
    status: UserStatus,
) -> Result<String, PoolError> {
    let attributes: Vec<(String, String)> = attributes
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    add_user(shared, username, password, attributes, status)
        .await
        .map(|user| user.1)
}

/// Validates and stores a new user; returns its user name and `sub`.
async fn add_user(
    shared: &Shared,
    username: &str,
    password: &str,
    attributes: Vec<(String, String)>,
    status: UserStatus,
) -> Result<(String, String), PoolError> {
    if username.is_empty()
        || username.len() > MAX_USERNAME_LEN
        || username.chars().any(char::is_whitespace)
    {
        return Err(invalid_parameter(
            "1 validation error detected: Value at 'username' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+",
        ));
    }
    for (name, _) in &attributes {
        check_attribute_name(name)?;
        check_writable(name)?;
    }
    for name in &shared.settings.required_attributes {
        if !attributes.iter().any(|(n, v)| n == name && !v.is_empty()) {
            return Err(invalid_parameter(format!(
                "Attributes did not conform to the schema: {name}: The attribute is required"
            )));
        }
    }
    check_password(password)?;
    if shared.state().users.contains_key(username) {
        return Err(PoolError::new(
            "UsernameExistsException",
            "User already exists",
        ));
    }
    let verifier = make_verifier(shared, username, password).await?;
    let sub = uuid()?;
    let mut map: BTreeMap<String, String> = attributes.into_iter().collect();
    map.insert("sub".to_owned(), sub.clone());
    for verified in ["email", "phone_number"] {
        if map.contains_key(verified) {
            map.entry(format!("{verified}_verified"))
                .or_insert_with(|| "false".to_owned());
        }
    }
    let user = User {
        username: username.to_owned(),
        sub: sub.clone(),
        status,
        attributes: map,
        verifier,
        groups: Vec::new(),
        codes: Vec::new(),
        last_code: None,
        pending_totp: None,
        totp: None,
        last_totp_step: None,
        sms_mfa: false,
        totp_mfa: false,
        preferred_mfa: None,
        generation: 0,
    };
    let mut state = shared.state();
    // Checked again under the lock: another sign-up may have won the race.
    if state.users.contains_key(username) {
        return Err(PoolError::new(
            "UsernameExistsException",
            "User already exists",
        ));
    }
    state.users.insert(username.to_owned(), user);
    Ok((username.to_owned(), sub))
}

fn user_attributes_json(user: &User) -> Vec<Value> {
    // `sub` first, as Cognito lists it.
    let sub = user
        .attributes
        .get("sub")
        .map(|v| json!({ "Name": "sub", "Value": v }));
    sub.into_iter()
        .chain(
            user.attributes
                .iter()
                .filter(|(n, _)| n.as_str() != "sub")
                .map(|(n, v)| json!({ "Name": n, "Value": v })),
        )
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Tokens

pub(super) fn new_lineage(shared: &Shared) -> Result<Lineage, PoolError> {
    let now = shared.issuer.now();
    Ok(Lineage {
        origin_jti: uuid()?,
        event_id: uuid()?,
        auth_time: now,
        refresh_expires_at: now.saturating_add(REFRESH_LIFETIME),
        oauth_scope: None,
        device_key: None,
    })
}

/// Signs an access and an ID token for `user` in `lineage`, remembers the access token, and
/// (when `refresh` says so) issues a refresh token of the lineage.
pub(super) fn issue_tokens(
    shared: &Shared,
    state: &mut State,
    username: &str,
    lineage: &Lineage,
    refresh: bool,
) -> Answer {
    let now = shared.issuer.now();
    state.prune(now);
    let user = state.users.get(username).ok_or_else(user_not_found)?;
    let settings = &shared.settings;
    let exp = now.saturating_add(TOKEN_LIFETIME);
    let mut access = Map::new();
    let mut id = Map::new();
    let common = [
        ("sub", json!(user.sub)),
        ("iss", json!(shared.issuer.issuer())),
        ("origin_jti", json!(lineage.origin_jti)),
        ("event_id", json!(lineage.event_id)),
        ("auth_time", json!(lineage.auth_time)),
        ("iat", json!(now)),
        ("exp", json!(exp)),
    ];
    for (name, value) in common {
        access.insert(name.to_owned(), value.clone());
        id.insert(name.to_owned(), value);
    }
    if !user.groups.is_empty() {
        access.insert("cognito:groups".to_owned(), json!(user.groups));
        id.insert("cognito:groups".to_owned(), json!(user.groups));
    }
    access.insert("token_use".to_owned(), json!("access"));
    access.insert("client_id".to_owned(), json!(settings.client_id));
    // The OAuth scopes of a lineage started at `/oauth2/authorize`, else the API's scope.
    let scope = lineage.oauth_scope.as_deref().unwrap_or(USER_API_SCOPE);
    access.insert("scope".to_owned(), json!(scope));
    access.insert("username".to_owned(), json!(user.username));
    access.insert("version".to_owned(), json!(2));
    access.insert("jti".to_owned(), json!(uuid()?));
    if let Some(device_key) = &lineage.device_key {
        access.insert("device_key".to_owned(), json!(device_key));
    }
    id.insert("token_use".to_owned(), json!("id"));
    id.insert("aud".to_owned(), json!(settings.client_id));
    id.insert("cognito:username".to_owned(), json!(user.username));
    id.insert("jti".to_owned(), json!(uuid()?));
    for (name, value) in &user.attributes {
        if name == "sub" {
            continue;
        }
        let value = if name.ends_with("_verified") {
            json!(value == "true")
        } else {
            json!(value)
        };
        id.insert(name.clone(), value);
    }
    let access_token = shared.issuer.sign(&access);
    let id_token = shared.issuer.sign(&id);
    let (sub, generation) = (user.sub.clone(), user.generation);
    state.access.insert(
        access_token.clone(),
        AccessRecord {
            username: username.to_owned(),
            sub: sub.clone(),
            origin_jti: lineage.origin_jti.clone(),
            generation,
            expires_at: exp,
            user_api: scope.split(' ').any(|s| s == USER_API_SCOPE),
        },
    );
    let mut result = json!({
        "AccessToken": access_token,
        "IdToken": id_token,
        "ExpiresIn": TOKEN_LIFETIME,
        "TokenType": "Bearer",
    });
    if refresh {
        let token = random_refresh_token()?;
        state.refresh.insert(
            token.clone(),
            RefreshRecord {
                username: username.to_owned(),
                sub,
                client_id: settings.client_id.clone(),
                lineage: lineage.clone(),
                generation,
                expires_at: lineage.refresh_expires_at,
                rotated_at: None,
            },
        );
        if let Some(map) = result.as_object_mut() {
            map.insert("RefreshToken".to_owned(), json!(token));
        }
    }
    Ok(json!({ "AuthenticationResult": result, "ChallengeParameters": {} }))
}

/// An opaque refresh token (Cognito's are JWEs: opaque to the client either way).
fn random_refresh_token() -> Result<String, PoolError> {
    Ok(format!("local-refresh.{}", random_hex(48)?))
}

/// The user an access token belongs to, if it is one the pool issued, unexpired, not signed
/// out, not revoked, and its user still exists.
/// The `sub` of `username`, if the user exists.
fn sub_of(state: &State, username: &str) -> Option<String> {
    state.users.get(username).map(|u| u.sub.clone())
}

fn check_access(shared: &Shared, state: &State, body: &Value) -> Result<String, PoolError> {
    let token = required(body, "AccessToken")?;
    let record = state
        .access
        .get(token)
        .ok_or_else(|| not_authorized("Invalid Access Token"))?;
    if record.expires_at <= shared.issuer.now() {
        return Err(not_authorized("Access Token has expired"));
    }
    let user = state
        .users
        .get(&record.username)
        .filter(|u| u.sub == record.sub)
        .ok_or_else(|| PoolError::new("UserNotFoundException", "User does not exist."))?;
    if record.generation < user.generation || state.revoked.contains(&record.origin_jti) {
        return Err(not_authorized("Access Token has been revoked"));
    }
    if !record.user_api {
        return Err(not_authorized("Access Token does not have required scopes"));
    }
    Ok(record.username.clone())
}

// ---------------------------------------------------------------------------------------------
// Sign-in

/// After the password: the next challenge, or tokens. With the `DEVICE_KEY` the sign-in sent,
/// a remembered device skips MFA for `DEVICE_SRP_AUTH`; the key is carried through the other
/// challenges to the tokens.
fn next_step_with_device(
    shared: &Shared,
    state: &mut State,
    username: &str,
    device_key: Option<&str>,
) -> Answer {
    let user = state.users.get(username).ok_or_else(incorrect_password)?;
    // A remembered device skips MFA, never a password change.
    if user.status != UserStatus::ForceChangePassword
        && let Some(answer) = devices::remembered_device_step(shared, state, username, device_key)?
    {
        return Ok(answer);
    }
    let user = state.users.get(username).ok_or_else(incorrect_password)?;
    let (step, parameters) = if user.status == UserStatus::ForceChangePassword {
        let attributes: Map<String, Value> = user
            .attributes
            .iter()
            .filter(|(n, _)| n.as_str() != "sub")
            .map(|(n, v)| (n.clone(), json!(v)))
            .collect();
        let missing: Vec<String> = shared
            .settings
            .required_attributes
            .iter()
            .filter(|n| !user.attributes.contains_key(n.as_str()))
            .map(|n| format!("userAttributes.{n}"))
            .collect();
        (
            Step::NewPassword,
            json!({
                "USER_ID_FOR_SRP": username,
                "requiredAttributes": serde_json::to_string(&missing).unwrap_or_default(),
                "userAttributes": Value::Object(attributes).to_string(),
            }),
        )
    } else if let Some(answer) = mfa::challenge(shared, state, username, device_key) {
        return answer;
    } else if shared.settings.mfa_required {
        (
            Step::MfaSetup,
            json!({
                "USER_ID_FOR_SRP": username,
                "MFAS_CAN_SETUP": "[\"SOFTWARE_TOKEN_MFA\"]",
            }),
        )
    } else {
        return devices::finish_sign_in(shared, state, username, device_key.map(str::to_owned));
    };
    mfa::step_answer(shared, state, username, device_key, step, parameters)
}

fn new_session(
    shared: &Shared,
    state: &mut State,
    username: &str,
    sub: String,
    step: Step,
) -> Result<String, PoolError> {
    let id = STANDARD.encode(random_bytes(96)?);
    state.sessions.insert(
        id.clone(),
        Session {
            username: username.to_owned(),
            sub,
            step,
            expires_at: shared.issuer.now().saturating_add(SESSION_LIFETIME),
            failures: 0,
            device_key: None,
        },
    );
    Ok(id)
}

async fn initiate_auth(shared: &Shared, body: &Value) -> Answer {
    check_client(shared, body)?;
    let flow = required(body, "AuthFlow")?;
    let empty = json!({});
    let parameters = body.get("AuthParameters").unwrap_or(&empty);
    match flow {
        "USER_PASSWORD_AUTH" => password_auth(shared, parameters).await,
        "USER_SRP_AUTH" => srp_auth(shared, parameters).await,
        "USER_AUTH" => user_auth::initiate(shared, body, parameters).await,
        "REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN" => {
            if shared.settings.rotation {
                return Err(refresh_token_auth_with_rotation());
            }
            let token = bounded(parameters, "REFRESH_TOKEN", 4096)?;
            devices::check_refresh_device(shared, token, field(parameters, "DEVICE_KEY"))?;
            refresh(shared, token, |username| {
                check_secret_hash(shared, username, field(parameters, "SECRET_HASH"))
            })
        }
        other => Err(invalid_parameter(format!(
            "1 validation error detected: Value '{other}' at 'authFlow' failed to satisfy \
             constraint: Member must satisfy enum value set"
        ))),
    }
}

async fn password_auth(shared: &Shared, parameters: &Value) -> Answer {
    let given = bounded(parameters, "USERNAME", MAX_USERNAME_LEN)?;
    let password = bounded(parameters, "PASSWORD", MAX_PASSWORD_LEN)?;
    check_secret_hash(shared, given, field(parameters, "SECRET_HASH"))?;
    let found = {
        let state = shared.state();
        find_user_name(shared, &state, given)
            .and_then(|name| state.users.get(&name).map(|u| (name, u.verifier.clone())))
    };
    let Some((username, verifier)) = found else {
        return Err(incorrect_password());
    };
    if !password_matches(verifier, password).await? {
        return Err(incorrect_password());
    }
    let mut state = shared.state();
    check_confirmed(&state, &username)?;
    next_step_with_device(
        shared,
        &mut state,
        &username,
        field(parameters, "DEVICE_KEY"),
    )
}

fn check_confirmed(state: &State, username: &str) -> Result<(), PoolError> {
    match state.users.get(username).map(|u| u.status) {
        Some(UserStatus::Unconfirmed) => Err(PoolError::new(
            "UserNotConfirmedException",
            "User is not confirmed.",
        )),
        Some(_) => Ok(()),
        None => Err(incorrect_password()),
    }
}

async fn srp_auth(shared: &Shared, parameters: &Value) -> Answer {
    let given = bounded(parameters, "USERNAME", MAX_USERNAME_LEN)?;
    let srp_a = bounded(parameters, "SRP_A", 1024)?.to_owned();
    check_secret_hash(shared, given, field(parameters, "SECRET_HASH"))?;
    let found = {
        let state = shared.state();
        find_user_name(shared, &state, given)
            .and_then(|name| state.users.get(&name).map(|u| (name, u.verifier.clone())))
    };
    // An unknown user gets a challenge too (from a verifier of a random password), so the
    // answer does not tell whether the user exists; the proof then always fails.
    let (username, verifier) = match found {
        Some((name, verifier)) => (Some(name), verifier),
        None => {
            let random = random_hex(32)?;
            (None, make_verifier(shared, given, &random).await?)
        }
    };
    let challenge_username = username.clone().unwrap_or_else(|| given.to_owned());
    let salt = verifier.salt_hex().to_owned();
    let server = blocking(move || SrpServer::new(&verifier, &srp_a))
        .await?
        .map_err(|e| invalid_parameter(e.to_string()))?;
    let srp_b = server.srp_b_hex();
    let secret_block = STANDARD.encode(random_bytes(SECRET_BLOCK_LEN)?);
    let mut state = shared.state();
    state.prune(shared.issuer.now());
    state.srp.insert(
        secret_block.clone(),
        SrpSession {
            username,
            challenge_username: challenge_username.clone(),
            server,
            expires_at: shared.issuer.now().saturating_add(SESSION_LIFETIME),
            device_key: field(parameters, "DEVICE_KEY").map(str::to_owned),
        },
    );
    Ok(json!({
        "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeParameters": {
            "SALT": salt,
            "SRP_B": srp_b,
            "SECRET_BLOCK": secret_block,
            "USERNAME": challenge_username,
            "USER_ID_FOR_SRP": challenge_username,
        },
    }))
}

/// `REFRESH_TOKEN_AUTH` on an app client with refresh-token rotation. Cognito refuses it (the
/// developer guide: "You can't authenticate with REFRESH_TOKEN_AUTH in app clients with
/// refresh token rotation enabled"; such app clients must not allow the flow). The error type
/// and message are those of a flow the app client does not allow; **unconfirmed** for this
/// case (no primary source shows the exact answer).
fn refresh_token_auth_with_rotation() -> PoolError {
    invalid_parameter("REFRESH_TOKEN_AUTH flow not enabled for this client")
}

/// A refresh token used again after it was rotated away and its grace period ended
/// (`RefreshTokenReuseException` is in the service model; the message is the pool's own).
fn refresh_token_reused() -> PoolError {
    PoolError::new(
        "RefreshTokenReuseException",
        "Refresh Token has been rotated and its grace period has ended",
    )
}

/// `REFRESH_TOKEN_AUTH` (without rotation) and `GetTokensFromRefreshToken`; `check` verifies
/// the client's credentials for the token's user name.
///
/// With rotation on, every refresh issues a new refresh token of the same lineage (same
/// `origin_jti`, same absolute expiry), and the one given stays valid for the grace period
/// from its first rotation; after that it is refused with `RefreshTokenReuseException`.
pub(super) fn refresh(
    shared: &Shared,
    token: &str,
    check: impl FnOnce(&str) -> Result<(), PoolError>,
) -> Answer {
    let mut state = shared.state();
    let now = shared.issuer.now();
    let record = state
        .refresh
        .get(token)
        .ok_or_else(|| not_authorized("Invalid Refresh Token"))?;
    if record.client_id != shared.settings.client_id {
        return Err(not_authorized("Invalid Refresh Token"));
    }
    check(&record.username)?;
    if record.expires_at <= now {
        return Err(not_authorized("Refresh Token has expired"));
    }
    let user = state
        .users
        .get(&record.username)
        .filter(|u| u.sub == record.sub)
        .ok_or_else(|| not_authorized("User does not exist."))?;
    if record.generation < user.generation || state.revoked.contains(&record.lineage.origin_jti) {
        return Err(not_authorized("Refresh Token has been revoked"));
    }
    let grace = shared.settings.rotation_grace_seconds;
    if record
        .rotated_at
        .is_some_and(|rotated| now >= rotated.saturating_add(grace))
    {
        return Err(refresh_token_reused());
    }
    let (username, lineage) = (record.username.clone(), record.lineage.clone());
    let rotate = shared.settings.rotation;
    if rotate
        && let Some(record) = state.refresh.get_mut(token)
        && record.rotated_at.is_none()
    {
        record.rotated_at = Some(now);
    }
    issue_tokens(shared, &mut state, &username, &lineage, rotate)
}

async fn respond_to_auth_challenge(shared: &Shared, body: &Value) -> Answer {
    check_client(shared, body)?;
    let name = required(body, "ChallengeName")?;
    let empty = json!({});
    let responses = body.get("ChallengeResponses").unwrap_or(&empty);
    let username = bounded(responses, "USERNAME", MAX_USERNAME_LEN)?;
    // The challenge answers are hashed over the internal user name the challenge carried.
    check_secret_hash(shared, username, field(responses, "SECRET_HASH"))?;
    if name == "PASSWORD_VERIFIER" {
        return password_verifier(shared, responses, username);
    }
    if user_auth::handles(name) {
        return user_auth::respond(shared, body, responses, username, name).await;
    }
    let session_id = bounded(body, "Session", 4096)?;
    let now = shared.issuer.now();
    // What the session says, copied out so that the state can be changed below.
    let (sms_code, mfa_setup_done) = {
        let state = shared.state();
        let session = state
            .sessions
            .get(session_id)
            .filter(|s| s.expires_at > now)
            .ok_or_else(invalid_session)?;
        if session.username != username {
            return Err(invalid_session());
        }
        if session.step.challenge_name() != name {
            return Err(invalid_parameter(format!(
                "Invalid challenge name {name} for the session"
            )));
        }
        let sms_code = match &session.step {
            Step::SmsMfa { code } => Some(code.clone()),
            _ => None,
        };
        let done = matches!(session.step, Step::MfaSetupVerified);
        let sub = session.sub.clone();
        if state.users.get(username).is_none_or(|u| u.sub != sub) {
            return Err(invalid_session());
        }
        (sms_code, done)
    };
    match name {
        "NEW_PASSWORD_REQUIRED" => {
            let password = bounded(responses, "NEW_PASSWORD", MAX_PASSWORD_LEN)?;
            check_password(password)?;
            let mut attributes = Vec::new();
            if let Some(map) = responses.as_object() {
                for (key, value) in map {
                    if let Some(attribute) = key.strip_prefix("userAttributes.") {
                        check_attribute_name(attribute)?;
                        check_writable(attribute)?;
                        let value = value.as_str().unwrap_or_default();
                        if value.len() > MAX_ATTRIBUTE_VALUE_LEN {
                            return Err(invalid_parameter("Attribute value too long"));
                        }
                        attributes.push((attribute.to_owned(), value.to_owned()));
                    }
                }
            }
            {
                let state = shared.state();
                let user = state.users.get(username).ok_or_else(invalid_session)?;
                for required_name in &shared.settings.required_attributes {
                    let present = user.attributes.contains_key(required_name)
                        || attributes
                            .iter()
                            .any(|(n, v)| n == required_name && !v.is_empty());
                    if !present {
                        return Err(invalid_parameter(format!(
                            "Attributes did not conform to the schema: {required_name}: The \
                             attribute is required"
                        )));
                    }
                }
            }
            let verifier = make_verifier(shared, username, password).await?;
            let mut state = shared.state();
            let session = state
                .sessions
                .remove(session_id)
                .ok_or_else(invalid_session)?;
            let user = state.users.get_mut(username).ok_or_else(invalid_session)?;
            user.verifier = verifier;
            user.status = UserStatus::Confirmed;
            for (n, v) in attributes {
                user.attributes.insert(n, v);
            }
            next_step_with_device(shared, &mut state, username, session.device_key.as_deref())
        }
        "SMS_MFA" | "SOFTWARE_TOKEN_MFA" => {
            let code_name = if name == "SMS_MFA" {
                "SMS_MFA_CODE"
            } else {
                "SOFTWARE_TOKEN_MFA_CODE"
            };
            let code = bounded(responses, code_name, 16)?;
            let mut state = shared.state();
            let accepted = match &sms_code {
                Some(expected) => ct_eq(expected, code),
                None => {
                    let user = state.users.get_mut(username).ok_or_else(invalid_session)?;
                    accept_totp(user.totp.as_deref(), &mut user.last_totp_step, code, now)
                }
            };
            if !accepted {
                let session = state
                    .sessions
                    .get_mut(session_id)
                    .ok_or_else(invalid_session)?;
                session.failures += 1;
                if session.failures >= MAX_SESSION_FAILURES {
                    state.sessions.remove(session_id);
                }
                return Err(PoolError::new(
                    "CodeMismatchException",
                    "Invalid code received for user",
                ));
            }
            let session = state
                .sessions
                .remove(session_id)
                .ok_or_else(invalid_session)?;
            devices::finish_sign_in(shared, &mut state, username, session.device_key)
        }
        "MFA_SETUP" => {
            if !mfa_setup_done {
                return Err(invalid_parameter(
                    "The software token must be verified with the session first",
                ));
            }
            let mut state = shared.state();
            let session = state
                .sessions
                .remove(session_id)
                .ok_or_else(invalid_session)?;
            devices::finish_sign_in(shared, &mut state, username, session.device_key)
        }
        "SELECT_MFA_TYPE" => {
            let mut state = shared.state();
            mfa::select_mfa_type(shared, &mut state, session_id, responses, username)
        }
        "DEVICE_SRP_AUTH" => {
            devices::device_srp_auth(shared, session_id, responses, username).await
        }
        "DEVICE_PASSWORD_VERIFIER" => {
            devices::device_password_verifier(shared, session_id, responses, username)
        }
        other => Err(invalid_parameter(format!("Unsupported challenge {other}"))),
    }
}

/// Whether `code` is the TOTP of `secret` at `now` (one step of skew) and newer than the last
/// code accepted.
fn accept_totp(secret: Option<&[u8]>, last: &mut Option<u64>, code: &str, now: u64) -> bool {
    let Some(step) = secret.and_then(|s| totp::matching_step(s, code, now)) else {
        return false;
    };
    if last.is_some_and(|l| step <= l) {
        return false;
    }
    *last = Some(step);
    true
}

fn password_verifier(shared: &Shared, responses: &Value, username: &str) -> Answer {
    let secret_block = bounded(responses, "PASSWORD_CLAIM_SECRET_BLOCK", 16 * 1024)?;
    let signature = bounded(responses, "PASSWORD_CLAIM_SIGNATURE", 128)?;
    let claimed_time = bounded(responses, "TIMESTAMP", 64)?;
    let mut state = shared.state();
    let now = shared.issuer.now();
    // One answer per challenge, right or wrong.
    let session = state
        .srp
        .remove(secret_block)
        .filter(|s| s.expires_at > now)
        .ok_or_else(invalid_session)?;
    if session.challenge_username != username {
        return Err(incorrect_password());
    }
    let time = timestamp::parse(claimed_time)
        .ok_or_else(|| invalid_parameter("TIMESTAMP format is invalid"))?;
    if time.abs_diff(now) > TIMESTAMP_SKEW {
        return Err(not_authorized("TIMESTAMP is too far from the current time"));
    }
    let Some(user) = session.username else {
        return Err(incorrect_password());
    };
    session
        .server
        .verify_claim(secret_block, claimed_time, signature)
        .map_err(|_| incorrect_password())?;
    check_confirmed(&state, &user)?;
    // The device key comes with the claim (amazon-cognito-identity-js) or with `InitiateAuth`.
    let device_key = field(responses, "DEVICE_KEY")
        .map(str::to_owned)
        .or(session.device_key);
    next_step_with_device(shared, &mut state, &user, device_key.as_deref())
}

// ---------------------------------------------------------------------------------------------
// The operations

pub(super) async fn dispatch(shared: &Shared, operation: &str, body: &Value) -> Answer {
    if !body.is_object() {
        return Err(PoolError::new(
            "SerializationException",
            "The request body is not a JSON object",
        ));
    }
    match operation {
        "SignUp" => sign_up(shared, body).await,
        "ConfirmSignUp" => confirm_sign_up(shared, body),
        "ResendConfirmationCode" => resend_confirmation_code(shared, body),
        "InitiateAuth" => initiate_auth(shared, body).await,
        "RespondToAuthChallenge" => respond_to_auth_challenge(shared, body).await,
        "GetTokensFromRefreshToken" => {
            check_client(shared, body)?;
            let token = bounded(body, "RefreshToken", 4096)?;
            check_client_secret(shared, field(body, "ClientSecret"))?;
            devices::check_refresh_device(shared, token, field(body, "DeviceKey"))?;
            refresh(shared, token, |_| Ok(()))
        }
        "GetUser" => get_user(shared, body),
        "UpdateUserAttributes" => update_user_attributes(shared, body),
        "DeleteUserAttributes" => delete_user_attributes(shared, body),
        "GetUserAttributeVerificationCode" => get_user_attribute_verification_code(shared, body),
        "VerifyUserAttribute" => verify_user_attribute(shared, body),
        "ChangePassword" => change_password(shared, body).await,
        "ForgotPassword" => forgot_password(shared, body),
        "ConfirmForgotPassword" => confirm_forgot_password(shared, body).await,
        "AssociateSoftwareToken" => associate_software_token(shared, body),
        "VerifySoftwareToken" => verify_software_token(shared, body),
        "GlobalSignOut" => {
            let mut state = shared.state();
            let username = check_access(shared, &state, body)?;
            if let Some(user) = state.users.get_mut(&username) {
                user.generation += 1;
            }
            Ok(json!({}))
        }
        "RevokeToken" => revoke_token(shared, body),
        "ConfirmDevice" => devices::confirm_device(shared, body).await,
        "UpdateDeviceStatus" => devices::update_device_status(shared, body),
        "ListDevices" => devices::list_devices(shared, body),
        "GetDevice" => devices::get_device(shared, body),
        "ForgetDevice" => devices::forget_device(shared, body),
        "StartWebAuthnRegistration" => user_auth::start_web_authn_registration(shared, body),
        "CompleteWebAuthnRegistration" => user_auth::complete_web_authn_registration(shared, body),
        "ListWebAuthnCredentials" => user_auth::list_web_authn_credentials(shared, body),
        "DeleteWebAuthnCredential" => user_auth::delete_web_authn_credential(shared, body),
        "SetUserMFAPreference" => mfa::set_user_mfa_preference(shared, body),
        "GetUserAuthFactors" => mfa::get_user_auth_factors(shared, body),
        "DeleteUser" => {
            let mut state = shared.state();
            let username = check_access(shared, &state, body)?;
            state.users.remove(&username);
            Ok(json!({}))
        }
        _ => Err(PoolError::new(
            "UnknownOperationException",
            "Unknown operation",
        )),
    }
}

async fn sign_up(shared: &Shared, body: &Value) -> Answer {
    check_client(shared, body)?;
    let username = bounded(body, "Username", MAX_USERNAME_LEN)?;
    let password = bounded(body, "Password", MAX_PASSWORD_LEN)?;
    check_secret_hash(shared, username, field(body, "SecretHash"))?;
    let attributes = attributes_of(body, "UserAttributes")?;
    let (username, sub) = add_user(
        shared,
        username,
        password,
        attributes,
        UserStatus::Unconfirmed,
    )
    .await?;
    let mut state = shared.state();
    let user = state.users.get_mut(&username).ok_or_else(user_not_found)?;
    send_code(shared, user, CodeKind::SignUp, CODE_LIFETIME)?;
    let mut answer = json!({ "UserConfirmed": false, "UserSub": sub });
    if let (Some(details), Some(map)) = (delivery(user, None), answer.as_object_mut()) {
        map.insert("CodeDeliveryDetails".to_owned(), details);
    }
    Ok(answer)
}

/// The user named by `Username` (after the client and `SECRET_HASH` checks).
fn username_of(shared: &Shared, state: &State, body: &Value) -> Result<String, PoolError> {
    check_client(shared, body)?;
    let given = bounded(body, "Username", MAX_USERNAME_LEN)?;
    check_secret_hash(shared, given, field(body, "SecretHash"))?;
    find_user_name(shared, state, given).ok_or_else(user_not_found)
}

fn confirm_sign_up(shared: &Shared, body: &Value) -> Answer {
    let mut state = shared.state();
    let username = username_of(shared, &state, body)?;
    let code = bounded(body, "ConfirmationCode", 16)?;
    let now = shared.issuer.now();
    let user = state.users.get_mut(&username).ok_or_else(user_not_found)?;
    if user.status != UserStatus::Unconfirmed {
        return Err(not_authorized(&format!(
            "User cannot be confirmed. Current status is {}",
            user.status.as_str()
        )));
    }
    use_code(user, &CodeKind::SignUp, code, now)?;
    user.status = UserStatus::Confirmed;
    // For sign-in straight after the confirmation (`USER_AUTH` with this session).
    let session = user_auth::sign_up_session(shared, &mut state, &username)?;
    Ok(json!({ "Session": session }))
}

fn resend_confirmation_code(shared: &Shared, body: &Value) -> Answer {
    let mut state = shared.state();
    let username = username_of(shared, &state, body)?;
    let user = state.users.get_mut(&username).ok_or_else(user_not_found)?;
    if user.status != UserStatus::Unconfirmed {
        return Err(invalid_parameter("User is already confirmed."));
    }
    let details = delivery(user, None).ok_or_else(|| {
        invalid_parameter("User has no registered email or phone_number to send a code to.")
    })?;
    send_code(shared, user, CodeKind::SignUp, CODE_LIFETIME)?;
    Ok(json!({ "CodeDeliveryDetails": details }))
}

fn get_user(shared: &Shared, body: &Value) -> Answer {
    let state = shared.state();
    let username = check_access(shared, &state, body)?;
    let user = state.users.get(&username).ok_or_else(user_not_found)?;
    let mut answer = json!({
        "Username": user.username,
        "UserAttributes": user_attributes_json(user),
    });
    mfa::settings_json(&state, &username, &mut answer);
    Ok(answer)
}

fn update_user_attributes(shared: &Shared, body: &Value) -> Answer {
    let attributes = attributes_of(body, "UserAttributes")?;
    if attributes.is_empty() {
        return Err(invalid_parameter(
            "Missing required parameter UserAttributes",
        ));
    }
    for (name, _) in &attributes {
        check_writable(name)?;
    }
    let mut state = shared.state();
    let username = check_access(shared, &state, body)?;
    let user = state.users.get_mut(&username).ok_or_else(user_not_found)?;
    let mut deliveries = Vec::new();
    for (name, value) in attributes {
        let verifiable = name == "email" || name == "phone_number";
        let changed = user.attributes.get(&name) != Some(&value);
        user.attributes.insert(name.clone(), value);
        if verifiable && changed {
            user.attributes
                .insert(format!("{name}_verified"), "false".to_owned());
            send_code(
                shared,
                user,
                CodeKind::VerifyAttribute(name.clone()),
                CODE_LIFETIME,
            )?;
            deliveries.extend(delivery(user, Some(&name)));
        }
    }
    Ok(json!({ "CodeDeliveryDetailsList": deliveries }))
}

fn delete_user_attributes(shared: &Shared, body: &Value) -> Answer {
    let names: Vec<String> = body
        .get("UserAttributeNames")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid_parameter("Missing required parameter UserAttributeNames"))?
        .iter()
        .take(MAX_ATTRIBUTES + 1)
        .map(|n| n.as_str().map(str::to_owned))
        .collect::<Option<_>>()
        .ok_or_else(|| invalid_parameter("UserAttributeNames must be strings"))?;
    if names.is_empty() || names.len() > MAX_ATTRIBUTES {
        return Err(invalid_parameter("Invalid number of UserAttributeNames"));
    }
    for name in &names {
        check_attribute_name(name)?;
        check_writable(name)?;
        if shared.settings.required_attributes.contains(name) {
            return Err(invalid_parameter(format!(
                "Cannot delete the required attribute {name}"
            )));
        }
    }
    let mut state = shared.state();
    let username = check_access(shared, &state, body)?;
    let user = state.users.get_mut(&username).ok_or_else(user_not_found)?;
    for name in names {
        if name == "email" || name == "phone_number" {
            user.attributes.remove(&format!("{name}_verified"));
        }
        user.attributes.remove(&name);
    }
    Ok(json!({}))
}

fn verifiable_attribute(body: &Value) -> Result<&str, PoolError> {
    let name = bounded(body, "AttributeName", MAX_ATTRIBUTE_NAME_LEN)?;
    if name == "email" || name == "phone_number" {
        Ok(name)
    } else {
        Err(invalid_parameter(format!(
            "Attribute {name} cannot be verified"
        )))
    }
}

fn get_user_attribute_verification_code(shared: &Shared, body: &Value) -> Answer {
    let name = verifiable_attribute(body)?;
    let mut state = shared.state();
    let username = check_access(shared, &state, body)?;
    let user = state.users.get_mut(&username).ok_or_else(user_not_found)?;
    let details = delivery(user, Some(name))
        .ok_or_else(|| invalid_parameter(format!("The user has no {name}")))?;
    send_code(
        shared,
        user,
        CodeKind::VerifyAttribute(name.to_owned()),
        CODE_LIFETIME,
    )?;
    Ok(json!({ "CodeDeliveryDetails": details }))
}

fn verify_user_attribute(shared: &Shared, body: &Value) -> Answer {
    let name = verifiable_attribute(body)?;
    let code = bounded(body, "Code", 16)?;
    let mut state = shared.state();
    let username = check_access(shared, &state, body)?;
    let now = shared.issuer.now();
    let user = state.users.get_mut(&username).ok_or_else(user_not_found)?;
    use_code(user, &CodeKind::VerifyAttribute(name.to_owned()), code, now)?;
    user.attributes
        .insert(format!("{name}_verified"), "true".to_owned());
    Ok(json!({}))
}

async fn change_password(shared: &Shared, body: &Value) -> Answer {
    let previous = bounded(body, "PreviousPassword", MAX_PASSWORD_LEN)?;
    let proposed = bounded(body, "ProposedPassword", MAX_PASSWORD_LEN)?;
    let (username, verifier) = {
        let state = shared.state();
        let username = check_access(shared, &state, body)?;
        let verifier = state
            .users
            .get(&username)
            .map(|u| u.verifier.clone())
            .ok_or_else(user_not_found)?;
        (username, verifier)
    };
    if !password_matches(verifier, previous).await? {
        return Err(incorrect_password());
    }
    check_password(proposed)?;
    let verifier = make_verifier(shared, &username, proposed).await?;
    let mut state = shared.state();
    let user = state.users.get_mut(&username).ok_or_else(user_not_found)?;
    user.verifier = verifier;
    Ok(json!({}))
}

fn forgot_password(shared: &Shared, body: &Value) -> Answer {
    let mut state = shared.state();
    let username = username_of(shared, &state, body)?;
    let user = state.users.get_mut(&username).ok_or_else(user_not_found)?;
    let details = delivery(user, None).ok_or_else(|| {
        invalid_parameter(
            "Cannot reset password for the user as there is no registered/verified email or \
             phone_number",
        )
    })?;
    send_code(shared, user, CodeKind::ForgotPassword, RESET_CODE_LIFETIME)?;
    Ok(json!({ "CodeDeliveryDetails": details }))
}

async fn confirm_forgot_password(shared: &Shared, body: &Value) -> Answer {
    let code = bounded(body, "ConfirmationCode", 16)?;
    let password = bounded(body, "Password", MAX_PASSWORD_LEN)?;
    let username = {
        let state = shared.state();
        username_of(shared, &state, body)?
    };
    check_password(password)?;
    let verifier = make_verifier(shared, &username, password).await?;
    let mut state = shared.state();
    let now = shared.issuer.now();
    let user = state.users.get_mut(&username).ok_or_else(user_not_found)?;
    use_code(user, &CodeKind::ForgotPassword, code, now)?;
    user.verifier = verifier;
    if user.status == UserStatus::ForceChangePassword {
        user.status = UserStatus::Confirmed;
    }
    Ok(json!({}))
}

fn totp_secret() -> Result<Vec<u8>, PoolError> {
    random_bytes(TOTP_SECRET_LEN)
}

fn associate_software_token(shared: &Shared, body: &Value) -> Answer {
    let mut state = shared.state();
    let secret = totp_secret()?;
    let secret_code = totp::base32_encode(&secret);
    if body.get("AccessToken").is_some() {
        let username = check_access(shared, &state, body)?;
        let user = state.users.get_mut(&username).ok_or_else(user_not_found)?;
        user.pending_totp = Some(secret);
        return Ok(json!({ "SecretCode": secret_code }));
    }
    let session_id = bounded(body, "Session", 4096)?;
    let now = shared.issuer.now();
    let session = state
        .sessions
        .remove(session_id)
        .filter(|s| s.expires_at > now && matches!(s.step, Step::MfaSetup))
        .ok_or_else(invalid_session)?;
    let next = new_session(
        shared,
        &mut state,
        &session.username,
        session.sub,
        Step::MfaSetupAssociated { secret },
    )?;
    devices::carry_device_key(&mut state, &next, session.device_key.as_deref());
    Ok(json!({ "SecretCode": secret_code, "Session": next }))
}

fn verify_software_token(shared: &Shared, body: &Value) -> Answer {
    let code = bounded(body, "UserCode", 16)?;
    let mismatch = || PoolError::new("EnableSoftwareTokenMFAException", "Code mismatch");
    let mut state = shared.state();
    let now = shared.issuer.now();
    if body.get("AccessToken").is_some() {
        let username = check_access(shared, &state, body)?;
        let user = state.users.get_mut(&username).ok_or_else(user_not_found)?;
        let pending = user.pending_totp.clone().ok_or_else(|| {
            invalid_parameter("AssociateSoftwareToken must be called before VerifySoftwareToken")
        })?;
        if !accept_totp(Some(&pending), &mut user.last_totp_step, code, now) {
            return Err(mismatch());
        }
        user.totp = Some(pending);
        // On only where MFA is required; elsewhere `SetUserMFAPreference` turns it on. A new
        // token replaces the old one and keeps its setting.
        user.totp_mfa |= shared.settings.mfa_required;
        user.pending_totp = None;
        return Ok(json!({ "Status": "SUCCESS" }));
    }
    let session_id = bounded(body, "Session", 4096)?;
    let session = state
        .sessions
        .get(session_id)
        .filter(|s| s.expires_at > now)
        .ok_or_else(invalid_session)?;
    let Step::MfaSetupAssociated { secret } = &session.step else {
        return Err(invalid_session());
    };
    let secret = secret.clone();
    let (username, sub) = (session.username.clone(), session.sub.clone());
    let device_key = session.device_key.clone();
    let user = state
        .users
        .get_mut(&username)
        .filter(|u| u.sub == sub)
        .ok_or_else(invalid_session)?;
    if !accept_totp(Some(&secret), &mut user.last_totp_step, code, now) {
        return Err(mismatch());
    }
    user.totp = Some(secret);
    user.totp_mfa = true;
    state.sessions.remove(session_id);
    let next = new_session(shared, &mut state, &username, sub, Step::MfaSetupVerified)?;
    devices::carry_device_key(&mut state, &next, device_key.as_deref());
    Ok(json!({ "Status": "SUCCESS", "Session": next }))
}

fn revoke_token(shared: &Shared, body: &Value) -> Answer {
    check_client(shared, body)?;
    let token = bounded(body, "Token", 4096)?;
    check_client_secret(shared, field(body, "ClientSecret"))?;
    let mut state = shared.state();
    let origin = match state.refresh.get(token) {
        Some(record) if record.client_id == shared.settings.client_id => {
            record.lineage.origin_jti.clone()
        }
        Some(_) => return Err(not_authorized("Invalid Refresh Token")),
        // As RFC 7009: revoking an unknown token succeeds.
        None => return Ok(json!({})),
    };
    state.revoked.insert(origin);
    Ok(json!({}))
}
