//! Choice-based sign-in (`USER_AUTH`) and passkey management: `InitiateAuth` `USER_AUTH`, the
//! `SELECT_CHALLENGE`, `EMAIL_OTP`, `SMS_OTP` and `WEB_AUTHN` answers, email MFA, sign-in with
//! the session of `ConfirmSignUp`, and `StartWebAuthnRegistration`,
//! `CompleteWebAuthnRegistration`, `ListWebAuthnCredentials`, `DeleteWebAuthnCredential`.
//!
//! Codes (`EMAIL_OTP`, `SMS_OTP`) live in their challenge session: they expire with it
//! (3 minutes, then `NotAuthorizedException`, "session is expired"), a wrong one is
//! `CodeMismatchException`, and the third wrong answer ends the session. A passwordless first
//! factor (a code, a passkey) signs in without MFA, as in Cognito.

use serde_json::{Value, json};

use super::super::passwordless::{AuthSession, AuthStep, Passkey, Registration, SignUpSession};
use super::super::webauthn::{self, RelyingParty};
use super::{
    Answer, CodeKind, MAX_SESSION_FAILURES, MAX_USERNAME_LEN, PoolError, SESSION_LIFETIME,
    STANDARD, Shared, State, bounded, check_access, check_confirmed, check_secret_hash, ct_eq,
    devices, field, find_user_name, incorrect_password, invalid_parameter, invalid_session,
    issue_tokens, mask, new_lineage, not_authorized, password_auth, random_bytes, send_code,
    srp_auth, sub_of, user_not_found,
};
use base64::Engine as _;

/// The challenge names this module answers.
pub(super) fn handles(name: &str) -> bool {
    matches!(
        name,
        "SELECT_CHALLENGE" | "EMAIL_OTP" | "SMS_OTP" | "WEB_AUTHN"
    )
}

/// `PREFERRED_CHALLENGE` and `ANSWER` values.
const CHOICES: [&str; 5] = [
    "PASSWORD",
    "PASSWORD_SRP",
    "EMAIL_OTP",
    "SMS_OTP",
    "WEB_AUTHN",
];
/// Bytes of a WebAuthn challenge.
const WEB_AUTHN_CHALLENGE_LEN: usize = 32;
/// Lifetime of a passkey registration (`StartWebAuthnRegistration` to its completion).
const REGISTRATION_LIFETIME: u64 = 300;
/// Longest `CREDENTIAL` accepted.
const MAX_CREDENTIAL_LEN: usize = 32 * 1024;
/// Passkeys per user (Cognito allows 20).
const MAX_PASSKEYS: usize = 20;

fn web_authn_missing() -> PoolError {
    PoolError::new(
        "WebAuthnConfigurationMissingException",
        "The user pool has no WebAuthn relying party configured.",
    )
}

fn web_authn_not_enabled() -> PoolError {
    PoolError::new(
        "WebAuthnNotEnabledException",
        "Passkeys are not enabled for the user pool.",
    )
}

/// The relying party, when passkeys are allowed and configured.
fn relying_party(shared: &Shared) -> Result<&RelyingParty, PoolError> {
    let settings = &shared.settings.user_auth;
    if !settings.allows("WEB_AUTHN") {
        return Err(web_authn_not_enabled());
    }
    settings
        .relying_party
        .as_ref()
        .ok_or_else(web_authn_missing)
}

/// The first factors `username` may choose, in Cognito's order.
pub(super) fn available(shared: &Shared, state: &State, username: &str) -> Vec<&'static str> {
    let settings = &shared.settings.user_auth;
    let Some(user) = state.users.get(username) else {
        return Vec::new();
    };
    let mut factors = Vec::new();
    if settings.allows("PASSWORD") {
        factors.extend(["PASSWORD", "PASSWORD_SRP"]);
    }
    if settings.allows("EMAIL_OTP") && user.attributes.contains_key("email") {
        factors.push("EMAIL_OTP");
    }
    if settings.allows("SMS_OTP") && user.attributes.contains_key("phone_number") {
        factors.push("SMS_OTP");
    }
    let has_passkey = state
        .user_auth
        .passkeys_of(username, &user.sub)
        .next()
        .is_some();
    if settings.allows("WEB_AUTHN") && settings.relying_party.is_some() && has_passkey {
        factors.push("WEB_AUTHN");
    }
    factors
}

fn new_session(
    shared: &Shared,
    state: &mut State,
    username: &str,
    sub: String,
    step: AuthStep,
) -> Result<String, PoolError> {
    let id = STANDARD.encode(random_bytes(96)?);
    state.user_auth.sessions.insert(
        id.clone(),
        AuthSession {
            username: username.to_owned(),
            sub,
            step,
            expires_at: shared.issuer.now().saturating_add(SESSION_LIFETIME),
            failures: 0,
            after_password: None,
        },
    );
    Ok(id)
}

/// `InitiateAuth` with `USER_AUTH`.
pub(super) async fn initiate(shared: &Shared, body: &Value, parameters: &Value) -> Answer {
    let given = bounded(parameters, "USERNAME", MAX_USERNAME_LEN)?;
    let preferred = field(parameters, "PREFERRED_CHALLENGE").filter(|p| !p.is_empty());
    if let Some(choice) = preferred
        && !CHOICES.contains(&choice)
    {
        return Err(invalid_parameter(format!(
            "1 validation error detected: Value '{choice}' at 'PREFERRED_CHALLENGE' failed to \
             satisfy constraint: Member must satisfy enum value set"
        )));
    }
    check_secret_hash(shared, given, field(parameters, "SECRET_HASH"))?;
    if let Some(session) = field(body, "Session").filter(|s| !s.is_empty()) {
        return sign_in_after_sign_up(shared, given, session);
    }
    let password_allowed = shared.settings.user_auth.allows("PASSWORD");
    match preferred {
        Some("PASSWORD") if password_allowed => return password_auth(shared, parameters).await,
        Some("PASSWORD_SRP") if password_allowed => {
            return with_session(srp_auth(shared, parameters).await?);
        }
        _ => {}
    }
    let mut state = shared.state();
    state.user_auth.prune(shared.issuer.now());
    let username = find_user_name(shared, &state, given).ok_or_else(incorrect_password)?;
    check_confirmed(&state, &username)?;
    let sub = sub_of(&state, &username).ok_or_else(incorrect_password)?;
    let factors = available(shared, &state, &username);
    if let Some(choice) = preferred.filter(|p| factors.contains(p)) {
        return start_factor(shared, &mut state, &username, sub, choice);
    }
    if factors.is_empty() {
        return Err(not_authorized(
            "No sign-in method is available for the user.",
        ));
    }
    let session = new_session(
        shared,
        &mut state,
        &username,
        sub,
        AuthStep::SelectChallenge,
    )?;
    Ok(json!({
        "ChallengeName": "SELECT_CHALLENGE",
        "Session": session,
        "ChallengeParameters": { "USERNAME": username },
        "AvailableChallenges": factors,
    }))
}

/// A `PASSWORD_VERIFIER` challenge of `USER_AUTH` carries a session (the pool's SRP exchange is
/// keyed by its `SECRET_BLOCK`, so the session is not checked again).
fn with_session(mut answer: Value) -> Answer {
    if answer.get("ChallengeName").and_then(Value::as_str) == Some("PASSWORD_VERIFIER") {
        let session = STANDARD.encode(random_bytes(96)?);
        if let Some(map) = answer.as_object_mut() {
            map.insert("Session".to_owned(), json!(session));
        }
    }
    Ok(answer)
}

/// Sends the code or the passkey challenge of `factor` and opens its session.
fn start_factor(
    shared: &Shared,
    state: &mut State,
    username: &str,
    sub: String,
    factor: &str,
) -> Answer {
    let (step, parameters) = match factor {
        "EMAIL_OTP" | "SMS_OTP" => {
            let (attribute, medium, kind) = if factor == "EMAIL_OTP" {
                ("email", "EMAIL", CodeKind::EmailOtp)
            } else {
                ("phone_number", "SMS", CodeKind::SmsOtp)
            };
            let user = state.users.get_mut(username).ok_or_else(user_not_found)?;
            let destination = user
                .attributes
                .get(attribute)
                .map(|v| mask(v))
                .ok_or_else(|| invalid_parameter(format!("The user has no {attribute}")))?;
            let code = send_code(shared, user, kind.clone(), SESSION_LIFETIME)?;
            // The code lives in the session; the user's list keeps only `last_code`.
            user.codes.retain(|c| c.kind != kind);
            let step = if factor == "EMAIL_OTP" {
                AuthStep::EmailOtp { code }
            } else {
                AuthStep::SmsOtp { code }
            };
            (
                step,
                json!({
                    "USERNAME": username,
                    "CODE_DELIVERY_DELIVERY_MEDIUM": medium,
                    "CODE_DELIVERY_DESTINATION": destination,
                }),
            )
        }
        "WEB_AUTHN" => {
            let rp = relying_party(shared)?;
            let challenge = random_bytes(WEB_AUTHN_CHALLENGE_LEN)?;
            let allow: Vec<Value> = state
                .user_auth
                .passkeys_of(username, &sub)
                .map(|p| {
                    json!({
                        "type": "public-key",
                        "id": webauthn::b64url(&p.key.credential_id),
                        "transports": p.key.transports,
                    })
                })
                .collect();
            let options = json!({
                "challenge": webauthn::b64url(&challenge),
                "timeout": SESSION_LIFETIME * 1000,
                "rpId": rp.id,
                "allowCredentials": allow,
                "userVerification": if rp.user_verification_required { "required" } else { "preferred" },
            });
            (
                AuthStep::WebAuthn { challenge },
                json!({
                    "USERNAME": username,
                    "CREDENTIAL_REQUEST_OPTIONS": options.to_string(),
                }),
            )
        }
        other => {
            return Err(invalid_parameter(format!(
                "The challenge {other} is not available"
            )));
        }
    };
    let name = step.challenge_name();
    let session = new_session(shared, state, username, sub, step)?;
    Ok(json!({
        "ChallengeName": name,
        "Session": session,
        "ChallengeParameters": parameters,
    }))
}

/// `InitiateAuth` `USER_AUTH` with the session of `ConfirmSignUp`: tokens, once.
fn sign_in_after_sign_up(shared: &Shared, given: &str, session_id: &str) -> Answer {
    let mut state = shared.state();
    let now = shared.issuer.now();
    state.user_auth.prune(now);
    let username = find_user_name(shared, &state, given).ok_or_else(invalid_session)?;
    let session = state
        .user_auth
        .sign_up_sessions
        .remove(session_id)
        .ok_or_else(invalid_session)?;
    let same_user = session.username == username
        && state
            .users
            .get(&username)
            .is_some_and(|u| u.sub == session.sub);
    if !same_user {
        return Err(invalid_session());
    }
    let lineage = new_lineage(shared)?;
    issue_tokens(shared, &mut state, &username, &lineage, true)
}

/// The session `ConfirmSignUp` answers with, for one sign-in.
pub(super) fn sign_up_session(
    shared: &Shared,
    state: &mut State,
    username: &str,
) -> Result<String, PoolError> {
    let sub = sub_of(state, username).ok_or_else(user_not_found)?;
    let id = STANDARD.encode(random_bytes(96)?);
    state.user_auth.sign_up_sessions.insert(
        id.clone(),
        SignUpSession {
            username: username.to_owned(),
            sub,
            expires_at: shared.issuer.now().saturating_add(SESSION_LIFETIME),
        },
    );
    Ok(id)
}

/// Whether `username` has email MFA on.
pub(super) fn email_mfa_on(state: &State, username: &str) -> bool {
    match (
        state.users.get(username),
        state.user_auth.email_mfa.get(username),
    ) {
        (Some(user), Some(sub)) => &user.sub == sub && user.attributes.contains_key("email"),
        _ => false,
    }
}

/// The `EMAIL_OTP` MFA challenge after the password.
pub(super) fn email_mfa_challenge(
    shared: &Shared,
    state: &mut State,
    username: &str,
    device_key: Option<&str>,
) -> Answer {
    let sub = sub_of(state, username).ok_or_else(incorrect_password)?;
    let answer = start_factor(shared, state, username, sub, "EMAIL_OTP")?;
    let session = answer.get("Session").and_then(Value::as_str);
    if let Some(s) = session.and_then(|id| state.user_auth.sessions.get_mut(id)) {
        s.after_password = Some(device_key.map(str::to_owned));
    }
    Ok(answer)
}

/// What an answer leads to: an answer, or a password step (which awaits, without the lock).
enum Next {
    Answer(Value),
    Password,
    PasswordSrp,
}

/// `RespondToAuthChallenge` for the names of [`handles`] (client and `SECRET_HASH` checked).
pub(super) async fn respond(
    shared: &Shared,
    body: &Value,
    responses: &Value,
    username: &str,
    name: &str,
) -> Answer {
    match respond_locked(shared, body, responses, username, name)? {
        Next::Answer(answer) => Ok(answer),
        Next::Password => password_auth(shared, responses).await,
        Next::PasswordSrp => with_session(srp_auth(shared, responses).await?),
    }
}

fn respond_locked(
    shared: &Shared,
    body: &Value,
    responses: &Value,
    username: &str,
    name: &str,
) -> Result<Next, PoolError> {
    let session_id = bounded(body, "Session", 4096)?;
    let now = shared.issuer.now();
    let mut state = shared.state();
    state.user_auth.prune(now);
    let session = state
        .user_auth
        .sessions
        .get(session_id)
        .ok_or_else(invalid_session)?;
    if session.username != username {
        return Err(invalid_session());
    }
    if session.step.challenge_name() != name {
        return Err(invalid_parameter(format!(
            "Invalid challenge name {name} for the session"
        )));
    }
    let sub = session.sub.clone();
    if state.users.get(username).is_none_or(|u| u.sub != sub) {
        return Err(invalid_session());
    }
    match name {
        "SELECT_CHALLENGE" => {
            let choice = bounded(responses, "ANSWER", 32)?;
            if !CHOICES.contains(&choice) {
                return Err(invalid_parameter(format!(
                    "The answer {choice} is not a challenge name"
                )));
            }
            if !available(shared, &state, username).contains(&choice) {
                return Err(invalid_parameter(format!(
                    "The challenge {choice} is not available for the user"
                )));
            }
            // One answer per selection.
            state.user_auth.sessions.remove(session_id);
            match choice {
                "PASSWORD" => Ok(Next::Password),
                "PASSWORD_SRP" => Ok(Next::PasswordSrp),
                other => start_factor(shared, &mut state, username, sub, other).map(Next::Answer),
            }
        }
        "EMAIL_OTP" | "SMS_OTP" => {
            let code_name = if name == "EMAIL_OTP" {
                "EMAIL_OTP_CODE"
            } else {
                "SMS_OTP_CODE"
            };
            let code = bounded(responses, code_name, 16)?;
            let accepted = match session_step(&state, session_id)? {
                AuthStep::EmailOtp { code: expected } | AuthStep::SmsOtp { code: expected } => {
                    ct_eq(expected, code)
                }
                _ => false,
            };
            if !accepted {
                count_failure(&mut state, session_id);
                return Err(PoolError::new(
                    "CodeMismatchException",
                    "Invalid code received for user",
                ));
            }
            finish(shared, &mut state, session_id, username).map(Next::Answer)
        }
        "WEB_AUTHN" => {
            let credential = bounded(responses, "CREDENTIAL", MAX_CREDENTIAL_LEN)?;
            let rp = relying_party(shared)?;
            let AuthStep::WebAuthn { challenge } = session_step(&state, session_id)? else {
                return Err(invalid_session());
            };
            let passkeys: Vec<(&[u8], &[u8], u32)> = state
                .user_auth
                .passkeys_of(username, &sub)
                .map(|p| {
                    (
                        p.key.credential_id.as_slice(),
                        p.key.public_key.as_slice(),
                        p.key.sign_count,
                    )
                })
                .collect();
            let checked =
                webauthn::verify_assertion(rp, challenge, &passkeys, sub.as_bytes(), credential);
            let asserted = match checked {
                Ok(asserted) => asserted,
                Err(error) => {
                    count_failure(&mut state, session_id);
                    return Err(error);
                }
            };
            if let Some(passkey) = state
                .user_auth
                .passkeys
                .get_mut(username)
                .and_then(|list| list.iter_mut().filter(|p| p.sub == sub).nth(asserted.index))
            {
                passkey.key.sign_count = asserted.sign_count;
            }
            finish(shared, &mut state, session_id, username).map(Next::Answer)
        }
        other => Err(invalid_parameter(format!("Unsupported challenge {other}"))),
    }
}

fn session_step<'a>(state: &'a State, session_id: &str) -> Result<&'a AuthStep, PoolError> {
    state
        .user_auth
        .sessions
        .get(session_id)
        .map(|s| &s.step)
        .ok_or_else(invalid_session)
}

/// A wrong answer: the session ends at the third.
fn count_failure(state: &mut State, session_id: &str) {
    let sessions = &mut state.user_auth.sessions;
    if let Some(session) = sessions.get_mut(session_id) {
        session.failures += 1;
        if session.failures >= MAX_SESSION_FAILURES {
            sessions.remove(session_id);
        }
    }
}

/// The last factor was right: the session ends with tokens.
fn finish(shared: &Shared, state: &mut State, session_id: &str, username: &str) -> Answer {
    let session = state
        .user_auth
        .sessions
        .remove(session_id)
        .ok_or_else(invalid_session)?;
    if let Some(device_key) = session.after_password {
        return devices::finish_sign_in(shared, state, username, device_key);
    }
    let lineage = new_lineage(shared)?;
    issue_tokens(shared, state, username, &lineage, true)
}

// ---------------------------------------------------------------------------------------------
// Passkey management

pub(super) fn start_web_authn_registration(shared: &Shared, body: &Value) -> Answer {
    let rp = relying_party(shared)?;
    let mut state = shared.state();
    let now = shared.issuer.now();
    state.user_auth.prune(now);
    let username = check_access(shared, &state, body)?;
    let sub = sub_of(&state, &username).ok_or_else(user_not_found)?;
    let challenge = random_bytes(WEB_AUTHN_CHALLENGE_LEN)?;
    let exclude: Vec<Value> = state
        .user_auth
        .passkeys_of(&username, &sub)
        .map(|p| json!({ "type": "public-key", "id": webauthn::b64url(&p.key.credential_id) }))
        .collect();
    let options = json!({
        "rp": { "id": rp.id, "name": rp.id },
        "user": {
            "id": webauthn::b64url(sub.as_bytes()),
            "name": username,
            "displayName": username,
        },
        "challenge": webauthn::b64url(&challenge),
        "pubKeyCredParams": [{ "type": "public-key", "alg": webauthn::COSE_ES256 }],
        "timeout": REGISTRATION_LIFETIME * 1000,
        "excludeCredentials": exclude,
        "authenticatorSelection": {
            "residentKey": "required",
            "userVerification": if rp.user_verification_required { "required" } else { "preferred" },
        },
        "attestation": "none",
    });
    state.user_auth.registrations.insert(
        username,
        Registration {
            sub,
            challenge,
            expires_at: now.saturating_add(REGISTRATION_LIFETIME),
        },
    );
    Ok(json!({ "CredentialCreationOptions": options }))
}

pub(super) fn complete_web_authn_registration(shared: &Shared, body: &Value) -> Answer {
    let rp = relying_party(shared)?;
    let credential = body
        .get("Credential")
        .filter(|c| c.is_object())
        .ok_or_else(|| invalid_parameter("Missing required parameter Credential"))?;
    let mut state = shared.state();
    let now = shared.issuer.now();
    state.user_auth.prune(now);
    let username = check_access(shared, &state, body)?;
    let sub = sub_of(&state, &username).ok_or_else(user_not_found)?;
    let challenge_missing = || {
        PoolError::new(
            "WebAuthnChallengeNotFoundException",
            "The passkey registration challenge was not found or has expired.",
        )
    };
    // One completion per start, right or wrong.
    let registration = state
        .user_auth
        .registrations
        .remove(&username)
        .filter(|r| r.sub == sub)
        .ok_or_else(challenge_missing)?;
    let key = webauthn::verify_registration(rp, &registration.challenge, credential)?;
    let passkeys = state.user_auth.passkeys.entry(username).or_default();
    passkeys.retain(|p| p.sub == sub);
    if passkeys
        .iter()
        .any(|p| p.key.credential_id == key.credential_id)
    {
        return Err(invalid_parameter("The passkey is already registered"));
    }
    if passkeys.len() >= MAX_PASSKEYS {
        return Err(PoolError::new(
            "LimitExceededException",
            "The user has the most passkeys allowed.",
        ));
    }
    passkeys.push(Passkey {
        sub,
        key,
        relying_party_id: rp.id.clone(),
        created_at: now,
    });
    Ok(json!({}))
}

pub(super) fn list_web_authn_credentials(shared: &Shared, body: &Value) -> Answer {
    // 0 (which the model allows) reads as the default page, so that paging always ends.
    let max = match body.get("MaxResults") {
        None | Some(Value::Null) => MAX_PASSKEYS,
        Some(value) => value
            .as_u64()
            .and_then(|m| usize::try_from(m).ok())
            .filter(|m| *m <= MAX_PASSKEYS)
            .map(|m| if m == 0 { MAX_PASSKEYS } else { m })
            .ok_or_else(|| invalid_parameter("MaxResults must be 0 to 20"))?,
    };
    let start = match field(body, "NextToken") {
        None => 0,
        Some(token) => token
            .strip_prefix("page.")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| invalid_parameter("Invalid NextToken"))?,
    };
    let state = shared.state();
    let username = check_access(shared, &state, body)?;
    let sub = sub_of(&state, &username).ok_or_else(user_not_found)?;
    let all: Vec<&Passkey> = state.user_auth.passkeys_of(&username, &sub).collect();
    let credentials: Vec<Value> = all
        .iter()
        .skip(start)
        .take(max)
        .map(|p| {
            json!({
                "CredentialId": webauthn::b64url(&p.key.credential_id),
                "FriendlyCredentialName": Value::Null,
                "RelyingPartyId": p.relying_party_id,
                "AuthenticatorAttachment": p.key.attachment,
                "AuthenticatorTransports": p.key.transports,
                "CreatedAt": p.created_at,
            })
        })
        .collect();
    let mut answer = json!({ "Credentials": credentials });
    let next = start.saturating_add(max);
    if next < all.len()
        && let Some(map) = answer.as_object_mut()
    {
        map.insert("NextToken".to_owned(), json!(format!("page.{next}")));
    }
    Ok(answer)
}

pub(super) fn delete_web_authn_credential(shared: &Shared, body: &Value) -> Answer {
    let id = bounded(body, "CredentialId", 2048)?;
    let mut state = shared.state();
    let username = check_access(shared, &state, body)?;
    let sub = sub_of(&state, &username).ok_or_else(user_not_found)?;
    let list = state.user_auth.passkeys.entry(username).or_default();
    let before = list.len();
    list.retain(|p| !(p.sub == sub && webauthn::b64url(&p.key.credential_id) == id));
    if list.len() == before {
        return Err(PoolError::new(
            "ResourceNotFoundException",
            "The passkey credential was not found.",
        ));
    }
    Ok(json!({}))
}
