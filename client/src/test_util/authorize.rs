//! `GET /oauth2/authorize` (and `GET /login`, its alias, as Cognito has both) and the sign-in
//! page it shows, sent back with `POST /login`.
//!
//! Checks, in Cognito's order: a bad `client_id` or `redirect_uri` (not one of the client's
//! callback URLs, byte for byte) is a 400 page, never a redirect; every later error goes to
//! `redirect_uri?error=...&state=...`: a repeated parameter, a `response_type` other than
//! `code` (`unsupported_response_type`), PKCE other than `S256` with a 43-character challenge,
//! or no PKCE when it is required (`invalid_request`), a scope the client does not allow or
//! `email`/`phone`/`profile` without `openid` (`invalid_scope`), a `max_age` that is not a
//! number (`invalid_request`).
//!
//! The sign-in itself is the pool's own API (`InitiateAuth` with `USER_PASSWORD_AUTH`, or
//! `USER_AUTH` with an `EMAIL_OTP` or `SMS_OTP` first factor when the pool allows it and the
//! user presses that button, then `RespondToAuthChallenge`), so the page applies every rule the
//! API does: passwords, one-time codes, user status, `SMS_MFA`, `SOFTWARE_TOKEN_MFA`, email MFA, the choice among them (`SELECT_MFA_TYPE`),
//! `NEW_PASSWORD_REQUIRED`. Its tokens are not
//! handed out: the lineage they start becomes the code's.
//!
//! CSRF: the page carries a random transaction id in a hidden field and sets a random
//! `XSRF-TOKEN` cookie bound to it; `POST /login` is accepted only with both (another site can
//! neither read the cookie nor guess the id). A browser that signed in gets the managed-login
//! cookie (`cognito`, one hour): a later `/oauth2/authorize` from it gets a code without the
//! form, unless `max_age` asks for a newer sign-in.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hyper::body::Incoming;
use serde_json::{Value, json};

use aws_lc_rs::hmac;

use super::login::{
    self, AuthorizationRequest, BrowserSession, CodeRecord, Grant, LoginState, LoginStep,
    Transaction, random_id,
};
use super::reply::{self, Response};
use super::state::{Lineage, State};
use super::{PoolError, Shared, ops, page};

const EXPIRED: &str = "This sign-in has expired or is unknown. Start again from the application.";

pub(crate) async fn answer(shared: &Shared, req: http::Request<Incoming>) -> Response {
    match (req.method(), req.uri().path()) {
        (&http::Method::GET, _) => start(shared, &req),
        (&http::Method::POST, "/login") => submit(shared, req).await,
        _ => page::error(405, "Method not allowed."),
    }
}

/// The scopes granted: those asked (every scope of the client when none are), each allowed to
/// the client; `email`, `phone` and `profile` only with `openid`.
fn granted_scopes(shared: &Shared, asked: Option<&String>) -> Option<Vec<String>> {
    let settings = &shared.settings;
    let allowed = || {
        settings
            .managed
            .oauth_scopes
            .iter()
            .chain(&settings.custom_scopes)
    };
    let mut scopes: Vec<String> = Vec::new();
    let wanted: Vec<&str> = match asked {
        None => allowed().map(String::as_str).collect(),
        Some(text) => text.split(' ').filter(|s| !s.is_empty()).collect(),
    };
    for scope in wanted {
        if !allowed().any(|a| a == scope) {
            return None;
        }
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    let openid = scopes.iter().any(|s| s == "openid");
    let needs_openid = scopes
        .iter()
        .any(|s| matches!(s.as_str(), "email" | "phone" | "profile"));
    (!scopes.is_empty() && (openid || !needs_openid)).then_some(scopes)
}

/// `GET /oauth2/authorize`.
fn start<B>(shared: &Shared, req: &http::Request<B>) -> Response {
    let (params, duplicates) = reply::query(req.uri());
    let settings = &shared.settings;
    if duplicates.contains("client_id") || params.get("client_id") != Some(&settings.client_id) {
        return page::error(400, "Invalid request: unknown or missing client_id.");
    }
    let redirect_uri = match params.get("redirect_uri") {
        Some(uri)
            if !duplicates.contains("redirect_uri")
                && settings.managed.callback_urls.contains(uri) =>
        {
            uri.clone()
        }
        _ => return page::error(400, "Invalid request: redirect_mismatch."),
    };
    let state = params.get("state").cloned();
    let fail = |error: &str| {
        reply::redirect_to(
            &redirect_uri,
            &[("error", Some(error)), ("state", state.as_deref())],
            &[],
        )
    };
    if !duplicates.is_empty() {
        return fail("invalid_request");
    }
    match params.get("response_type").map(String::as_str) {
        Some("code") => {}
        Some(_) => return fail("unsupported_response_type"),
        None => return fail("invalid_request"),
    }
    let method = params.get("code_challenge_method");
    let code_challenge = match (params.get("code_challenge"), method.map(String::as_str)) {
        (Some(challenge), Some("S256")) if login::valid_challenge(challenge) => {
            Some(challenge.clone())
        }
        (None, None) if !settings.managed.require_pkce => None,
        _ => return fail("invalid_request"),
    };
    let Some(scopes) = granted_scopes(shared, params.get("scope")) else {
        return fail("invalid_scope");
    };
    let max_age = match params.get("max_age").map(|m| m.parse::<u64>()) {
        None => None,
        Some(Ok(max_age)) => Some(max_age),
        Some(Err(_)) => return fail("invalid_request"),
    };
    let grant = Grant {
        client_id: settings.client_id.clone(),
        redirect_uri,
        state,
        scopes,
        code_challenge,
        nonce: params.get("nonce").cloned(),
    };
    let now = shared.issuer.now();
    let pool = shared.state();
    let mut logins = shared.login();
    logins.prune(now);
    let get = |name: &str| params.get(name).cloned();
    logins.record(AuthorizationRequest {
        client_id: grant.client_id.clone(),
        redirect_uri: grant.redirect_uri.clone(),
        scope: get("scope"),
        state: grant.state.clone(),
        nonce: grant.nonce.clone(),
        code_challenge_method: get("code_challenge_method"),
        acr_values: get("acr_values"),
        max_age,
        identity_provider: get("identity_provider"),
        idp_identifier: get("idp_identifier"),
        lang: get("lang"),
    });

    // A browser signed in to the managed login gets a code at once, unless `max_age` asks for a
    // newer sign-in or its user is gone.
    let signed_in = reply::cookie(req.headers(), login::SESSION_COOKIE)
        .and_then(|id| logins.browsers.get(&id))
        .filter(|b| max_age.is_none_or(|max| now <= b.auth_time.saturating_add(max)))
        .filter(|b| pool.users.get(&b.username).is_some_and(|u| u.sub == b.sub))
        .map(|b| (b.username.clone(), b.sub.clone(), b.auth_time));
    if let Some((username, sub, auth_time)) = signed_in {
        let Ok(mut lineage) = ops::new_lineage(shared) else {
            return page::error(500, "The sign-in could not be completed.");
        };
        lineage.auth_time = auth_time;
        return issue_code(&mut logins, grant, username, sub, lineage, now, &[]);
    }

    let (Some(id), Some(csrf)) = (random_id(), random_id()) else {
        return page::error(500, "The sign-in page could not be made.");
    };
    drop(pool);
    logins.transactions.insert(
        id.clone(),
        Transaction {
            grant,
            csrf: csrf.clone(),
            step: LoginStep::Password,
            expires_at: now.saturating_add(login::TRANSACTION_LIFETIME),
        },
    );
    let cookie = login::cookie(login::CSRF_COOKIE, &csrf, login::TRANSACTION_LIFETIME);
    page::sign_in(&id, None, "", &[cookie], &code_factors(shared))
}

/// Binds a new code to the grant and the sign-in lineage, and redirects to
/// `redirect_uri?code=...&state=...`.
fn issue_code(
    logins: &mut LoginState,
    grant: Grant,
    username: String,
    sub: String,
    mut lineage: Lineage,
    now: u64,
    cookies: &[String],
) -> Response {
    let Some(code) = random_id() else {
        return page::error(500, "The sign-in could not be completed.");
    };
    lineage.oauth_scope = Some(grant.scope());
    let redirect_uri = grant.redirect_uri.clone();
    let state = grant.state.clone();
    logins.codes.insert(
        code.clone(),
        CodeRecord {
            grant,
            username,
            sub,
            lineage,
            expires_at: now.saturating_add(login::CODE_LIFETIME),
            used: false,
        },
    );
    reply::redirect_to(
        &redirect_uri,
        &[("code", Some(&code)), ("state", state.as_deref())],
        cookies,
    )
}

/// `SECRET_HASH` for `username`, when the app client has a secret (the page signs in through
/// the pool's API as the app client).
/// The passwordless first factors the pool allows, offered on the sign-in page.
fn code_factors(shared: &Shared) -> Vec<&'static str> {
    ["EMAIL_OTP", "SMS_OTP"]
        .into_iter()
        .filter(|f| {
            shared
                .settings
                .user_auth
                .first_factors
                .iter()
                .any(|a| a == f)
        })
        .collect()
}

fn secret_hash(shared: &Shared, username: &str) -> Option<String> {
    let secret = shared.settings.client_secret.as_ref()?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let message = format!("{username}{}", shared.settings.client_id);
    Some(STANDARD.encode(hmac::sign(&key, message.as_bytes()).as_ref()))
}

/// `POST /login`: one step of the sign-in of a transaction.
async fn submit(shared: &Shared, req: http::Request<Incoming>) -> Response {
    let csrf = reply::cookie(req.headers(), login::CSRF_COOKIE);
    let old_session = reply::cookie(req.headers(), login::SESSION_COOKIE);
    let Some(body) = reply::form_body(req).await else {
        return page::error(400, "Invalid request: the form is missing or too large.");
    };
    let (form, _) = reply::parameters(&body);
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let id = field("transaction").to_owned();
    let now = shared.issuer.now();
    let step = {
        let mut logins = shared.login();
        logins.prune(now);
        let Some(transaction) = logins.transactions.get(&id) else {
            return page::error(400, EXPIRED);
        };
        if !csrf.is_some_and(|c| ops::ct_eq(&c, &transaction.csrf)) {
            return page::error(
                403,
                "The sign-in form was not sent by the browser it was shown to. Start again \
                 from the application.",
            );
        }
        transaction.step.clone()
    };
    let client_id = shared.settings.client_id.clone();
    let answer = match &step {
        LoginStep::Password if code_factors(shared).contains(&field("method")) => {
            // A passwordless sign-in: USER_AUTH with the one-time code as its first factor.
            let username = field("username");
            if username.is_empty() {
                return page::sign_in(
                    &id,
                    Some("Enter your username."),
                    username,
                    &[],
                    &code_factors(shared),
                );
            }
            let mut parameters =
                json!({ "USERNAME": username, "PREFERRED_CHALLENGE": field("method") });
            if let (Some(hash), Some(map)) =
                (secret_hash(shared, username), parameters.as_object_mut())
            {
                map.insert("SECRET_HASH".to_owned(), json!(hash));
            }
            let request = json!({
                "AuthFlow": "USER_AUTH",
                "ClientId": client_id,
                "AuthParameters": parameters,
            });
            ops::dispatch(shared, "InitiateAuth", &request).await
        }
        LoginStep::Password => {
            let (username, password) = (field("username"), field("password"));
            if username.is_empty() || password.is_empty() {
                return page::sign_in(
                    &id,
                    Some("Enter your username and password."),
                    username,
                    &[],
                    &code_factors(shared),
                );
            }
            let mut parameters = json!({ "USERNAME": username, "PASSWORD": password });
            if let (Some(hash), Some(map)) =
                (secret_hash(shared, username), parameters.as_object_mut())
            {
                map.insert("SECRET_HASH".to_owned(), json!(hash));
            }
            let request = json!({
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": client_id,
                "AuthParameters": parameters,
            });
            ops::dispatch(shared, "InitiateAuth", &request).await
        }
        LoginStep::Mfa {
            challenge,
            session,
            username,
        } => {
            let code_name = match challenge.as_str() {
                "SMS_MFA" => "SMS_MFA_CODE",
                "EMAIL_OTP" => "EMAIL_OTP_CODE",
                "SMS_OTP" => "SMS_OTP_CODE",
                _ => "SOFTWARE_TOKEN_MFA_CODE",
            };
            let code = field("code").trim();
            if code.is_empty() {
                return page::mfa(&id, challenge, Some("Enter the code."));
            }
            respond(shared, challenge, session, username, code_name, code).await
        }
        LoginStep::SelectMfa {
            session,
            username,
            options,
        } => {
            let choice = field("mfa");
            if !options.iter().any(|o| o == choice) {
                return page::select_mfa(&id, options, Some("Choose a method."));
            }
            respond(
                shared,
                "SELECT_MFA_TYPE",
                session,
                username,
                "ANSWER",
                choice,
            )
            .await
        }
        LoginStep::NewPassword { session, username } => {
            let password = field("new_password");
            if password.is_empty() {
                return page::new_password(&id, Some("Enter a new password."));
            }
            let challenge = "NEW_PASSWORD_REQUIRED";
            respond(
                shared,
                challenge,
                session,
                username,
                "NEW_PASSWORD",
                password,
            )
            .await
        }
    };
    match answer {
        Ok(answer) => advance(
            shared,
            &id,
            &answer,
            old_session.as_deref(),
            field("username"),
        ),
        Err(error) => refused(shared, &id, &step, &error, field("username")),
    }
}

/// `RespondToAuthChallenge` with the one answer `name` = `value` (with `USERNAME` and, for a
/// client with a secret, `SECRET_HASH`).
async fn respond(
    shared: &Shared,
    challenge: &str,
    session: &str,
    username: &str,
    name: &str,
    value: &str,
) -> Result<Value, PoolError> {
    let mut responses = json!({ "USERNAME": username, name: value });
    if let (Some(hash), Some(map)) = (secret_hash(shared, username), responses.as_object_mut()) {
        map.insert("SECRET_HASH".to_owned(), json!(hash));
    }
    let request = json!({
        "ChallengeName": challenge,
        "ClientId": shared.settings.client_id,
        "Session": session,
        "ChallengeResponses": responses,
    });
    ops::dispatch(shared, "RespondToAuthChallenge", &request).await
}

/// The sign-in went a step further: the next form, or the code.
fn advance(
    shared: &Shared,
    id: &str,
    answer: &Value,
    old_session: Option<&str>,
    typed: &str,
) -> Response {
    let now = shared.issuer.now();
    if let Some(result) = answer.get("AuthenticationResult") {
        let mut pool = shared.state();
        let mut logins = shared.login();
        return finish(&mut pool, &mut logins, id, result, old_session, now);
    }
    let mut logins = shared.login();
    let challenge = answer
        .get("ChallengeName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let session = answer
        .get("Session")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    // The internal user name (a passwordless challenge may name it `USERNAME` only, or not at
    // all: then the name typed).
    let username = [
        "/ChallengeParameters/USER_ID_FOR_SRP",
        "/ChallengeParameters/USERNAME",
    ]
    .iter()
    .find_map(|p| answer.pointer(p).and_then(Value::as_str))
    .unwrap_or(typed)
    .to_owned();
    let step = match challenge.as_str() {
        "SMS_MFA" | "SOFTWARE_TOKEN_MFA" | "EMAIL_OTP" | "SMS_OTP" => LoginStep::Mfa {
            challenge: challenge.clone(),
            session,
            username,
        },
        "NEW_PASSWORD_REQUIRED" => LoginStep::NewPassword { session, username },
        "SELECT_MFA_TYPE" => LoginStep::SelectMfa {
            options: answer
                .pointer("/ChallengeParameters/MFAS_CAN_CHOOSE")
                .and_then(Value::as_str)
                .and_then(|o| serde_json::from_str(o).ok())
                .unwrap_or_default(),
            session,
            username,
        },
        _ => {
            logins.transactions.remove(id);
            return page::error(
                400,
                "This user must set up MFA first, which the local sign-in page does not offer: \
                 set it up through the user-pool API.",
            );
        }
    };
    let Some(transaction) = logins.transactions.get_mut(id) else {
        return page::error(400, EXPIRED);
    };
    let page = match &step {
        LoginStep::NewPassword { .. } => page::new_password(id, None),
        LoginStep::SelectMfa { options, .. } => page::select_mfa(id, options, None),
        _ => page::mfa(id, &challenge, None),
    };
    transaction.step = step;
    page
}

/// The pool refused a step: the same form with the reason, or the password form again when the
/// challenge session ended.
fn refused(
    shared: &Shared,
    id: &str,
    step: &LoginStep,
    error: &PoolError,
    typed: &str,
) -> Response {
    let session_over =
        error.error_type() == "NotAuthorizedException" && !matches!(step, LoginStep::Password);
    if session_over {
        if let Some(transaction) = shared.login().transactions.get_mut(id) {
            transaction.step = LoginStep::Password;
        }
        return page::sign_in(
            id,
            Some("Your sign-in session has expired. Sign in again."),
            "",
            &[],
            &code_factors(shared),
        );
    }
    match step {
        LoginStep::Password => {
            page::sign_in(id, Some(error.message()), typed, &[], &code_factors(shared))
        }
        LoginStep::Mfa { challenge, .. } => page::mfa(id, challenge, Some(error.message())),
        LoginStep::SelectMfa { options, .. } => {
            page::select_mfa(id, options, Some(error.message()))
        }
        LoginStep::NewPassword { .. } => page::new_password(id, Some(error.message())),
    }
}

/// The user signed in: the API's tokens are dropped (never handed out), their lineage goes to
/// a new code, and the browser gets the managed-login cookie.
fn finish(
    pool: &mut State,
    logins: &mut LoginState,
    id: &str,
    result: &Value,
    old_session: Option<&str>,
    now: u64,
) -> Response {
    let Some(transaction) = logins.transactions.remove(id) else {
        return page::error(400, EXPIRED);
    };
    if let Some(access) = result.get("AccessToken").and_then(Value::as_str) {
        pool.access.remove(access);
    }
    let Some(record) = result
        .get("RefreshToken")
        .and_then(Value::as_str)
        .and_then(|refresh| pool.refresh.remove(refresh))
    else {
        return page::error(500, "The sign-in could not be completed.");
    };
    let Some(session_id) = random_id() else {
        return page::error(500, "The sign-in could not be completed.");
    };
    // A sign-in replaces the browser's managed-login session.
    if let Some(old) = old_session {
        logins.browsers.remove(old);
    }
    logins.browsers.insert(
        session_id.clone(),
        BrowserSession {
            username: record.username.clone(),
            sub: record.sub.clone(),
            auth_time: record.lineage.auth_time,
            expires_at: now.saturating_add(login::BROWSER_SESSION_LIFETIME),
        },
    );
    let cookies = [
        login::cookie(
            login::SESSION_COOKIE,
            &session_id,
            login::BROWSER_SESSION_LIFETIME,
        ),
        login::expired_cookie(login::CSRF_COOKIE),
    ];
    issue_code(
        logins,
        transaction.grant,
        record.username,
        record.sub,
        record.lineage,
        now,
        &cookies,
    )
}
