//! MFA after the password: which methods a user has on and which is preferred
//! (`SetUserMFAPreference`, `GetUser`, `GetUserAuthFactors`), and what a sign-in asks for: the
//! preferred method, the only one, or `SELECT_MFA_TYPE` among several (Cognito's rule: "if
//! multiple options are activated and no preference is set, a challenge to choose an MFA
//! option will be returned during sign-in").
//!
//! Verifying a software token does not turn TOTP MFA on (`SetUserMFAPreference` does, as
//! Cognito's documentation has it), except in a pool where MFA is required and for the
//! `MFA_SETUP` challenge (cognito-local 5.3 turns it on at once). Enabling TOTP without a
//! verified token, SMS without a `phone_number` or email without an `email` is
//! `InvalidParameterException`, and so is turning a method off in a pool where MFA is required.

use serde_json::{Value, json};

use super::super::state::{State, Step};
use super::{
    Answer, SESSION_LIFETIME, Shared, bounded, check_access, devices, incorrect_password,
    invalid_parameter, invalid_session, mask, new_session, send_code, sub_of, user_auth,
    user_not_found,
};
use super::{CodeKind, PoolError};

pub(super) const SOFTWARE_TOKEN: &str = "SOFTWARE_TOKEN_MFA";
pub(super) const SMS: &str = "SMS_MFA";
pub(super) const EMAIL: &str = "EMAIL_OTP";

/// The methods, in the order the pool lists them (Cognito's own order is unconfirmed).
const METHODS: [&str; 3] = [SOFTWARE_TOKEN, SMS, EMAIL];

/// The method named `name`, as a static name.
fn method(name: &str) -> Option<&'static str> {
    METHODS.into_iter().find(|m| *m == name)
}

/// The MFA methods on for `username`, in [`METHODS`]' order.
pub(super) fn enabled(state: &State, username: &str) -> Vec<&'static str> {
    let Some(user) = state.users.get(username) else {
        return Vec::new();
    };
    let mut methods = Vec::new();
    if user.totp.is_some() && user.totp_mfa {
        methods.push(SOFTWARE_TOKEN);
    }
    if user.sms_mfa {
        methods.push(SMS);
    }
    if user_auth::email_mfa_on(state, username) {
        methods.push(EMAIL);
    }
    methods
}

/// The method a sign-in asks for without a choice: the preferred one while it is on, or the
/// only one on. `None` with no method on, or several and no preference.
pub(super) fn preferred(state: &State, username: &str) -> Option<&'static str> {
    let methods = enabled(state, username);
    let chosen = state
        .users
        .get(username)
        .and_then(|u| u.preferred_mfa)
        .filter(|p| methods.contains(p));
    match (chosen, methods.as_slice()) {
        (Some(p), _) => Some(p),
        (None, [only]) => Some(only),
        _ => None,
    }
}

/// `PreferredMfaSetting` (the preference set, while its method is on) and
/// `UserMFASettingList`, for `GetUser` and `GetUserAuthFactors` (each left out when empty).
pub(super) fn settings_json(state: &State, username: &str, answer: &mut Value) {
    let methods = enabled(state, username);
    let set = state.users.get(username).and_then(|u| u.preferred_mfa);
    let Some(map) = answer.as_object_mut() else {
        return;
    };
    if let Some(preferred) = set.filter(|p| methods.contains(p)) {
        map.insert("PreferredMfaSetting".to_owned(), json!(preferred));
    }
    if !methods.is_empty() {
        map.insert("UserMFASettingList".to_owned(), json!(methods));
    }
}

/// The MFA step after the first factor, when the user has a method on: its challenge, or
/// `SELECT_MFA_TYPE`. `None` when no method is on.
pub(super) fn challenge(
    shared: &Shared,
    state: &mut State,
    username: &str,
    device_key: Option<&str>,
) -> Option<Answer> {
    let methods = enabled(state, username);
    if methods.is_empty() {
        return None;
    }
    Some(match preferred(state, username) {
        Some(method) => method_challenge(shared, state, username, method, device_key),
        None => {
            let options = serde_json::to_string(&methods).unwrap_or_default();
            step_answer(
                shared,
                state,
                username,
                device_key,
                Step::SelectMfaType { options: methods },
                json!({ "USER_ID_FOR_SRP": username, "MFAS_CAN_CHOOSE": options }),
            )
        }
    })
}

/// `RespondToAuthChallenge` `SELECT_MFA_TYPE`: `ANSWER` must be one of the methods offered.
pub(super) fn select_mfa_type(
    shared: &Shared,
    state: &mut State,
    session_id: &str,
    responses: &Value,
    username: &str,
) -> Answer {
    let answer = bounded(responses, "ANSWER", 32)?;
    let session = state.sessions.get(session_id).ok_or_else(invalid_session)?;
    let Step::SelectMfaType { options } = &session.step else {
        return Err(invalid_session());
    };
    let Some(method) = method(answer).filter(|m| options.contains(m)) else {
        return Err(invalid_parameter(format!(
            "{answer} is not one of the MFA methods offered"
        )));
    };
    let session = state
        .sessions
        .remove(session_id)
        .ok_or_else(invalid_session)?;
    method_challenge(
        shared,
        state,
        username,
        method,
        session.device_key.as_deref(),
    )
}

/// The challenge of one method: `SOFTWARE_TOKEN_MFA`, `SMS_MFA` (a code sent) or `EMAIL_OTP`.
fn method_challenge(
    shared: &Shared,
    state: &mut State,
    username: &str,
    method: &'static str,
    device_key: Option<&str>,
) -> Answer {
    match method {
        SMS => {
            let user = state
                .users
                .get_mut(username)
                .ok_or_else(incorrect_password)?;
            let destination = user
                .attributes
                .get("phone_number")
                .map(|p| mask(p))
                .unwrap_or_default();
            let code = send_code(shared, user, CodeKind::SmsMfa, SESSION_LIFETIME)?;
            // The code lives in the session; the user's list keeps only `last_code`.
            user.codes.retain(|c| c.kind != CodeKind::SmsMfa);
            step_answer(
                shared,
                state,
                username,
                device_key,
                Step::SmsMfa { code },
                json!({
                    "USER_ID_FOR_SRP": username,
                    "CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
                    "CODE_DELIVERY_DESTINATION": destination,
                }),
            )
        }
        EMAIL => user_auth::email_mfa_challenge(shared, state, username, device_key),
        _ => step_answer(
            shared,
            state,
            username,
            device_key,
            Step::SoftwareTokenMfa,
            json!({ "USER_ID_FOR_SRP": username }),
        ),
    }
}

/// A challenge answer with a new session for `step` (carrying the device key).
pub(super) fn step_answer(
    shared: &Shared,
    state: &mut State,
    username: &str,
    device_key: Option<&str>,
    step: Step,
    parameters: Value,
) -> Answer {
    let sub = sub_of(state, username).ok_or_else(incorrect_password)?;
    let name = step.challenge_name();
    let session = new_session(shared, state, username, sub, step)?;
    devices::carry_device_key(state, &session, device_key);
    Ok(json!({
        "ChallengeName": name,
        "Session": session,
        "ChallengeParameters": parameters,
    }))
}

/// One `*MfaSettings` object: `(Enabled, PreferredMfa)`, or `None` when absent.
fn setting(body: &Value, name: &str) -> Result<Option<(bool, bool)>, PoolError> {
    let Some(value) = body.get(name) else {
        return Ok(None);
    };
    let flag = |key: &str| match value.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(invalid_parameter(format!("{name}.{key} must be a boolean"))),
    };
    if !value.is_object() {
        return Err(invalid_parameter(format!("{name} must be an object")));
    }
    Ok(Some((flag("Enabled")?, flag("PreferredMfa")?)))
}

/// `SetUserMFAPreference`.
pub(super) fn set_user_mfa_preference(shared: &Shared, body: &Value) -> Answer {
    let settings = [
        (SMS, setting(body, "SMSMfaSettings")?),
        (SOFTWARE_TOKEN, setting(body, "SoftwareTokenMfaSettings")?),
        (EMAIL, setting(body, "EmailMfaSettings")?),
    ];
    let preferred: Vec<&str> = settings
        .iter()
        .filter(|(_, s)| matches!(s, Some((_, true))))
        .map(|(m, _)| *m)
        .collect();
    if preferred.len() > 1 {
        return Err(invalid_parameter("Only one MFA method can be preferred"));
    }
    let mut state = shared.state();
    let username = check_access(shared, &state, body)?;
    let user = state.users.get(&username).ok_or_else(user_not_found)?;
    // Every change is checked before any is made.
    for (method, setting) in &settings {
        let Some((enabled, preferred)) = setting else {
            continue;
        };
        if *preferred && !*enabled {
            return Err(invalid_parameter(format!(
                "{method} cannot be preferred without being enabled"
            )));
        }
        if !*enabled && shared.settings.mfa_required {
            return Err(invalid_parameter(
                "MFA is required in this user pool: a method cannot be turned off",
            ));
        }
        let possible = match *method {
            SOFTWARE_TOKEN => user.totp.is_some(),
            SMS => user.attributes.contains_key("phone_number"),
            _ => user.attributes.contains_key("email"),
        };
        if *enabled && !possible {
            return Err(invalid_parameter(match *method {
                SOFTWARE_TOKEN => "User has not verified software token mfa",
                SMS => "User does not have delivery config set to turn on SMS_MFA",
                _ => "User does not have delivery config set to turn on EMAIL_OTP",
            }));
        }
    }
    let sub = user.sub.clone();
    for (method, setting) in settings {
        let Some((enabled, _)) = setting else {
            continue;
        };
        if method == EMAIL {
            if enabled {
                state
                    .user_auth
                    .email_mfa
                    .insert(username.clone(), sub.clone());
            } else {
                state.user_auth.email_mfa.remove(&username);
            }
            continue;
        }
        let user = state.users.get_mut(&username).ok_or_else(user_not_found)?;
        if method == SMS {
            user.sms_mfa = enabled;
        } else {
            user.totp_mfa = enabled;
        }
    }
    let user = state.users.get_mut(&username).ok_or_else(user_not_found)?;
    if let Some(method) = preferred.first().and_then(|m| method(m)) {
        user.preferred_mfa = Some(method);
    } else if user
        .preferred_mfa
        .is_some_and(|p| settings.iter().any(|(m, s)| *m == p && s.is_some()))
    {
        // The preferred method was named again without `PreferredMfa`: no longer preferred.
        user.preferred_mfa = None;
    }
    Ok(json!({}))
}

/// `GetUserAuthFactors`: the MFA settings, and the factors the user can sign in with.
pub(super) fn get_user_auth_factors(shared: &Shared, body: &Value) -> Answer {
    let state = shared.state();
    let username = check_access(shared, &state, body)?;
    let mut factors: Vec<&str> = user_auth::available(shared, &state, &username)
        .into_iter()
        .filter(|f| *f != "PASSWORD_SRP")
        .collect();
    if state.users.get(&username).is_some_and(|u| u.totp.is_some()) {
        factors.push("SOFTWARE_TOKEN");
    }
    let mut answer = json!({
        "Username": username,
        "ConfiguredUserAuthFactors": factors,
    });
    settings_json(&state, &username, &mut answer);
    Ok(answer)
}
