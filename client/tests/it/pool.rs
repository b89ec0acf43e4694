//! `UserPoolClient` end to end against `LocalUserPool` (loopback only): every flow of the
//! client, with the SRP proof, `SECRET_HASH`, codes and TOTP really checked by the pool, the
//! tokens verified by the crate's verifier, and an axum route behind `CognitoAuthLayer`.
//!
//! Run: `cargo test -p tower-cognito-client --features test-util --test it pool::`.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use tower_cognito::{CognitoAuthLayer, TokenUse, clock::Clock as _, clock::SystemClock};
use tower_cognito_client::test_util::{
    LocalPoolError, LocalUserPool, LocalUserPoolBuilder, UserStatus, totp_code,
};
use tower_cognito_client::{
    Attribute, Challenge, ChallengeAnswer, ClientError, ClientErrorKind, CognitoErrorKind, Secret,
    SignIn, SignUpInput, SoftwareTokenAuth, Tokens, UserPoolClient,
};

const PASSWORD: &str = "Corr3ct-horse-battery";
const NEW_PASSWORD: &str = "N3w-Corr3ct-horse!";
const SECRET: &str = "app-client-secret-1q2w3e4r";
/// The clock of the `srp_answers_are_checked` pool: Fri Jan 15 08:00:00 UTC 2027.
const START: u64 = 1_800_000_000;

/// A served pool, a client of it, and the clock of its issuer.
type Fixture = crate::support::PoolFixture;

/// The pool's clock starts at the system time: the client stamps its SRP answers with the
/// system time, and the pool accepts them only within five minutes of its own clock.
async fn fixture_with(
    settings: impl FnOnce(LocalUserPoolBuilder) -> LocalUserPoolBuilder,
) -> Fixture {
    fixture_at(SystemClock.now(), settings).await
}

async fn fixture_at(
    start: u64,
    settings: impl FnOnce(LocalUserPoolBuilder) -> LocalUserPoolBuilder,
) -> Fixture {
    crate::support::pool_fixture(start, settings).await
}

async fn fixture() -> Fixture {
    fixture_with(|b| b).await
}

fn secret(value: &str) -> Secret {
    Secret::new(value)
}

fn cognito_error(result: Result<impl std::fmt::Debug, ClientError>) -> (String, String) {
    let error = result.expect_err("a Cognito error");
    (
        error.type_name().unwrap_or("none").to_owned(),
        error.message().unwrap_or_default().to_owned(),
    )
}

fn payload(token: &Secret) -> Value {
    let part = token.expose().split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

impl Fixture {
    /// Signs `username` up with an email and confirms it with the code the pool sent.
    async fn signed_up(&self, username: &str) -> String {
        let out = self
            .client
            .sign_up(
                &SignUpInput::new(username, PASSWORD)
                    .attribute("email", format!("{username}@example.com"))
                    .attribute("name", "Alice Example"),
            )
            .await
            .unwrap();
        assert!(!out.user_confirmed);
        let code = self.pool.last_code(username).unwrap();
        self.client
            .confirm_sign_up(username, &secret(&code))
            .await
            .unwrap();
        out.user_sub
    }

    /// The tokens of an SRP sign-in, or `None` for a challenge.
    async fn sign_in_srp_tokens(&self, username: &str) -> Option<Tokens> {
        self.client
            .sign_in_srp(username, &secret(PASSWORD))
            .await
            .unwrap()
            .tokens()
    }

    async fn sign_in(&self, username: &str) -> Tokens {
        self.client
            .sign_in_srp(username, &secret(PASSWORD))
            .await
            .unwrap()
            .tokens()
            .expect("tokens, not a challenge")
    }
}

#[tokio::test]
async fn sign_up_confirm_and_srp_sign_in() {
    let f = fixture().await;
    let out = f
        .client
        .sign_up(&SignUpInput::new("alice", PASSWORD).attribute("email", "alice@example.com"))
        .await
        .unwrap();
    assert!(!out.user_confirmed);
    let delivery = out.code_delivery.unwrap();
    assert_eq!(delivery.destination.as_deref(), Some("a***@e***"));
    assert_eq!(delivery.delivery_medium.as_deref(), Some("EMAIL"));
    assert_eq!(f.pool.user_status("alice"), Some(UserStatus::Unconfirmed));

    // Not confirmed yet: the right password still gets UserNotConfirmed.
    let (kind, _) = cognito_error(f.client.sign_in_srp("alice", &secret(PASSWORD)).await);
    assert_eq!(kind, "UserNotConfirmedException");

    // A wrong code, then a resent one.
    let code = f.pool.last_code("alice").unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (kind, message) = cognito_error(f.client.confirm_sign_up("alice", &secret(wrong)).await);
    assert_eq!(kind, "CodeMismatchException");
    assert_eq!(
        message,
        "Invalid verification code provided, please try again."
    );
    f.client.resend_confirmation_code("alice").await.unwrap();
    let code = f.pool.last_code("alice").unwrap();
    f.client
        .confirm_sign_up("alice", &secret(&code))
        .await
        .unwrap();
    assert_eq!(f.pool.user_status("alice"), Some(UserStatus::Confirmed));
    let (kind, _) = cognito_error(f.client.confirm_sign_up("alice", &secret(&code)).await);
    assert_eq!(kind, "NotAuthorizedException");

    // The same user name again.
    let (kind, _) = cognito_error(f.client.sign_up(&SignUpInput::new("alice", PASSWORD)).await);
    assert_eq!(kind, "UsernameExistsException");

    // SRP with the right password: tokens that the crate's verifier accepts.
    let tokens = f.sign_in("alice").await;
    let access = tokens.verify_access(&f.layer).unwrap();
    assert_eq!(access.username(), Some("alice"));
    assert_eq!(access.sub, out.user_sub);
    assert_eq!(access.client_id.as_deref(), Some(f.pool.client_id()));
    assert!(access.has_scope("aws.cognito.signin.user.admin"));
    assert_eq!(access.auth_time, Some(f.start));
    assert!(access.origin_jti.is_some() && access.jti.is_some() && access.event_id.is_some());
    let id = tokens.verify_id(&f.layer).unwrap();
    assert_eq!(id.cognito_username.as_deref(), Some("alice"));
    assert_eq!(id.email.as_deref(), Some("alice@example.com"));
    assert_eq!(id.email_verified, Some(false));
    assert_eq!(id.origin_jti, access.origin_jti);
    assert!(tokens.refresh_token.is_some());
    assert_eq!(tokens.expires_in.as_secs(), 3600);
    // Cognito's shapes: no `aud` in access tokens, no `client_id` in ID tokens, the same
    // `event_id` in both, an opaque refresh token.
    let (access_json, id_json) = (payload(&tokens.access_token), payload(&tokens.id_token));
    assert!(access_json.get("aud").is_none() && id_json.get("client_id").is_none());
    assert_eq!(access_json["version"], 2);
    assert_eq!(id_json["aud"], f.pool.client_id());
    assert_eq!(access_json["event_id"], id_json["event_id"]);
    assert_eq!(
        tokens
            .refresh_token
            .as_ref()
            .unwrap()
            .expose()
            .split('.')
            .count(),
        2
    );

    // SRP with a wrong password, and an unknown user: the same answer.
    for (user, password) in [("alice", "Wr0ng-password!"), ("nobody", PASSWORD)] {
        let (kind, message) = cognito_error(f.client.sign_in_srp(user, &secret(password)).await);
        assert_eq!(
            (kind.as_str(), message.as_str()),
            ("NotAuthorizedException", "Incorrect username or password.")
        );
    }
}

#[tokio::test]
async fn sign_up_is_checked() {
    let f = fixture().await;
    for (password, why) in [
        ("Sh0rt!", "Password not long enough"),
        ("alllower-case-1", "Password must have uppercase characters"),
        ("NoDigits-here", "Password must have numeric characters"),
        ("NoSymbols1here", "Password must have symbol characters"),
    ] {
        let (kind, message) =
            cognito_error(f.client.sign_up(&SignUpInput::new("bob", password)).await);
        assert_eq!(kind, "InvalidPasswordException");
        assert_eq!(
            message,
            format!("Password did not conform with policy: {why}")
        );
    }
    let (kind, _) = cognito_error(
        f.client
            .sign_up(&SignUpInput::new("bob", PASSWORD).attribute("unknown", "x"))
            .await,
    );
    assert_eq!(kind, "InvalidParameterException");
    let (kind, _) = cognito_error(f.client.confirm_sign_up("nobody", &secret("123456")).await);
    assert_eq!(kind, "UserNotFoundException");
    assert_eq!(f.pool.user_count(), 0);
}

#[tokio::test]
async fn codes_expire() {
    let f = fixture().await;
    f.client
        .sign_up(&SignUpInput::new("carol", PASSWORD).attribute("email", "c@example.com"))
        .await
        .unwrap();
    let code = f.pool.last_code("carol").unwrap();
    f.clock.advance(86_400 + 1);
    let (kind, _) = cognito_error(f.client.confirm_sign_up("carol", &secret(&code)).await);
    assert_eq!(kind, "ExpiredCodeException");
}

#[tokio::test]
async fn user_password_auth() {
    let f = fixture().await;
    f.pool
        .create_user("dave", PASSWORD, &[("email", "dave@example.com")])
        .await
        .unwrap();
    let tokens = f
        .client
        .sign_in_password("dave", &secret(PASSWORD))
        .await
        .unwrap()
        .tokens()
        .unwrap();
    assert_eq!(
        tokens.verify_access(&f.layer).unwrap().username(),
        Some("dave")
    );
    let (kind, message) = cognito_error(
        f.client
            .sign_in_password("dave", &secret("Wr0ng-password!"))
            .await,
    );
    assert_eq!(kind, "NotAuthorizedException");
    assert_eq!(message, "Incorrect username or password.");
    let (kind, _) = cognito_error(f.client.sign_in_password("nobody", &secret(PASSWORD)).await);
    assert_eq!(kind, "NotAuthorizedException");
}

#[tokio::test]
async fn client_secret_is_checked() {
    let f = fixture_with(|b| b.client_secret(SECRET)).await;
    f.signed_up("erin").await;
    let tokens = f.sign_in("erin").await;
    f.client
        .sign_in_password("erin", &secret(PASSWORD))
        .await
        .unwrap()
        .tokens()
        .unwrap();
    // Refresh needs the Cognito user name for SECRET_HASH.
    let refreshed = f
        .client
        .refresh_token_auth(tokens.refresh_token.as_ref().unwrap(), Some("erin"))
        .await
        .unwrap();
    refreshed.verify_access(&f.layer).unwrap();
    let (kind, message) = cognito_error(
        f.client
            .refresh_token_auth(tokens.refresh_token.as_ref().unwrap(), Some("someone-else"))
            .await,
    );
    assert_eq!(kind, "NotAuthorizedException");
    assert!(
        message.starts_with("Unable to verify secret hash"),
        "{message}"
    );

    // A client built without the secret, and one with another secret, are refused.
    let without = UserPoolClient::builder(f.pool.user_pool_id(), f.pool.client_id())
        .endpoint(f.server.endpoint())
        .build()
        .unwrap();
    let (kind, message) = cognito_error(without.sign_in_srp("erin", &secret(PASSWORD)).await);
    assert_eq!(kind, "NotAuthorizedException");
    assert!(
        message.contains("SECRET_HASH was not received"),
        "{message}"
    );
    let (kind, _) = cognito_error(without.sign_up(&SignUpInput::new("frank", PASSWORD)).await);
    assert_eq!(kind, "NotAuthorizedException");
    let (kind, _) = cognito_error(
        without
            .revoke_token(tokens.refresh_token.as_ref().unwrap())
            .await,
    );
    assert_eq!(kind, "NotAuthorizedException");
    let other = UserPoolClient::builder(f.pool.user_pool_id(), f.pool.client_id())
        .endpoint(f.server.endpoint())
        .client_secret("another-secret")
        .build()
        .unwrap();
    let (kind, message) = cognito_error(other.sign_in_password("erin", &secret(PASSWORD)).await);
    assert_eq!(kind, "NotAuthorizedException");
    assert!(
        message.starts_with("Unable to verify secret hash"),
        "{message}"
    );
    let (kind, _) = cognito_error(other.refresh(tokens.refresh_token.as_ref().unwrap()).await);
    assert_eq!(kind, "NotAuthorizedException");
}

#[tokio::test]
async fn email_alias_uses_the_internal_user_name() {
    let f = fixture_with(|b| b.client_secret(SECRET).email_alias(true)).await;
    f.pool
        .create_user("0b7c-internal", PASSWORD, &[("email", "gina@example.com")])
        .await
        .unwrap();
    // The user types the email; the challenge answer's SECRET_HASH is over the internal name.
    let tokens = f.sign_in("gina@example.com").await;
    let claims = tokens.verify_access(&f.layer).unwrap();
    assert_eq!(claims.username(), Some("0b7c-internal"));
}

#[tokio::test]
async fn new_password_required() {
    let f = fixture_with(|b| b.required_attributes(["name"])).await;
    f.pool
        .create_user_with_temporary_password(
            "hank",
            "Temp0rary-pass!",
            &[("email", "h@example.com"), ("name", "Hank")],
        )
        .await
        .unwrap();
    assert_eq!(
        f.pool.user_status("hank"),
        Some(UserStatus::ForceChangePassword)
    );
    let step = f
        .client
        .sign_in_srp("hank", &secret("Temp0rary-pass!"))
        .await
        .unwrap();
    let SignIn::Challenge(challenge) = step else {
        panic!("expected NEW_PASSWORD_REQUIRED");
    };
    let Challenge::NewPasswordRequired {
        user_attributes,
        required_attributes,
        ..
    } = &challenge
    else {
        panic!("expected NEW_PASSWORD_REQUIRED, got {}", challenge.name());
    };
    assert!(required_attributes.is_empty(), "{required_attributes:?}");
    assert!(
        user_attributes
            .iter()
            .any(|a| a.name == "email" && a.value == "h@example.com")
    );
    // A weak password is refused; the session still answers.
    let (kind, _) = cognito_error(
        f.client
            .respond_to_challenge(&challenge, &ChallengeAnswer::new_password("weak"))
            .await,
    );
    assert_eq!(kind, "InvalidPasswordException");
    let answer = ChallengeAnswer::NewPassword {
        password: secret(NEW_PASSWORD),
        attributes: vec![Attribute::new("name", "Hank Hill")],
    };
    let tokens = f
        .client
        .respond_to_challenge(&challenge, &answer)
        .await
        .unwrap()
        .tokens()
        .unwrap();
    let all = f
        .layer
        .clone()
        .extra_claims::<serde_json::Map<String, serde_json::Value>>();
    let id = tokens.verify_id(&all).unwrap();
    assert_eq!(id.claim("name"), Some(&json!("Hank Hill")));
    assert_eq!(f.pool.user_status("hank"), Some(UserStatus::Confirmed));
    // The session is used up; the new password works, the temporary one does not.
    let (kind, _) = cognito_error(f.client.respond_to_challenge(&challenge, &answer).await);
    assert_eq!(kind, "NotAuthorizedException");
    f.client
        .sign_in_srp("hank", &secret(NEW_PASSWORD))
        .await
        .unwrap()
        .tokens()
        .unwrap();
    let (kind, _) = cognito_error(
        f.client
            .sign_in_srp("hank", &secret("Temp0rary-pass!"))
            .await,
    );
    assert_eq!(kind, "NotAuthorizedException");
}

#[tokio::test]
async fn totp_setup_and_software_token_mfa() {
    let f = fixture().await;
    f.signed_up("ivy").await;
    let tokens = f.sign_in("ivy").await;
    let association = f
        .client
        .associate_software_token(SoftwareTokenAuth::AccessToken(&tokens.access_token))
        .await
        .unwrap();
    let totp_secret = association.secret_code.expose().to_owned();
    let now = f.clock_now();
    let window: Vec<String> = [now - 30, now, now + 30]
        .iter()
        .map(|t| totp_code(&totp_secret, *t).unwrap())
        .collect();
    let wrong = ["000000", "111111", "222222", "333333"]
        .into_iter()
        .find(|c| !window.iter().any(|w| w == c))
        .unwrap();
    let (kind, _) = cognito_error(
        f.client
            .verify_software_token(
                SoftwareTokenAuth::AccessToken(&tokens.access_token),
                &secret(wrong),
                Some("phone"),
            )
            .await,
    );
    assert_eq!(kind, "EnableSoftwareTokenMFAException");
    let code = totp_code(&totp_secret, f.clock_now()).unwrap();
    let verified = f
        .client
        .verify_software_token(
            SoftwareTokenAuth::AccessToken(&tokens.access_token),
            &secret(&code),
            Some("phone"),
        )
        .await
        .unwrap();
    assert!(verified.is_success());
    // Verified, not on yet (MFA is optional in this pool): SetUserMFAPreference turns it on.
    let user = f.client.get_user(&tokens.access_token).await.unwrap();
    assert!(user.mfa_settings.is_empty(), "{:?}", user.mfa_settings);
    assert!(f.sign_in_srp_tokens("ivy").await.is_some());
    f.client
        .set_user_mfa_preference(
            &tokens.access_token,
            &tower_cognito_client::MfaPreference::new()
                .software_token(tower_cognito_client::MfaSetting::Preferred),
        )
        .await
        .unwrap();
    let user = f.client.get_user(&tokens.access_token).await.unwrap();
    assert_eq!(
        user.preferred_mfa,
        Some(tower_cognito_client::MfaType::SoftwareToken)
    );

    // Sign-in now asks for a code; the same code is never accepted twice.
    f.clock.advance(30);
    let SignIn::Challenge(challenge) = f
        .client
        .sign_in_srp("ivy", &secret(PASSWORD))
        .await
        .unwrap()
    else {
        panic!("expected SOFTWARE_TOKEN_MFA");
    };
    assert!(
        matches!(challenge, Challenge::SoftwareTokenMfa { .. }),
        "{}",
        challenge.name()
    );
    let (kind, _) = cognito_error(
        f.client
            .respond_to_challenge(
                &challenge,
                &ChallengeAnswer::SoftwareTokenMfaCode(secret(&code)),
            )
            .await,
    );
    assert_eq!(kind, "CodeMismatchException");
    let code = totp_code(&totp_secret, f.clock_now()).unwrap();
    let tokens = f
        .client
        .respond_to_challenge(
            &challenge,
            &ChallengeAnswer::SoftwareTokenMfaCode(secret(&code)),
        )
        .await
        .unwrap()
        .tokens()
        .unwrap();
    tokens.verify_access(&f.layer).unwrap();
}

impl Fixture {
    fn clock_now(&self) -> u64 {
        self.clock.now()
    }
}

#[tokio::test]
async fn mfa_setup_with_the_session() {
    let f = fixture_with(|b| b.mfa_required(true)).await;
    f.signed_up("jack").await;
    let SignIn::Challenge(challenge) = f
        .client
        .sign_in_srp("jack", &secret(PASSWORD))
        .await
        .unwrap()
    else {
        panic!("expected MFA_SETUP");
    };
    let Challenge::MfaSetup { session, .. } = &challenge else {
        panic!("expected MFA_SETUP, got {}", challenge.name());
    };
    let association = f
        .client
        .associate_software_token(SoftwareTokenAuth::Session(session))
        .await
        .unwrap();
    let next = association.session.unwrap();
    let code = totp_code(association.secret_code.expose(), f.clock_now()).unwrap();
    let verified = f
        .client
        .verify_software_token(SoftwareTokenAuth::Session(&next), &secret(&code), None)
        .await
        .unwrap();
    assert!(verified.is_success());
    let tokens = f
        .client
        .respond_to_challenge(
            &challenge,
            &ChallengeAnswer::MfaSetupDone {
                session: verified.session.unwrap(),
            },
        )
        .await
        .unwrap()
        .tokens()
        .unwrap();
    tokens.verify_access(&f.layer).unwrap();
}

#[tokio::test]
async fn sms_mfa() {
    let f = fixture().await;
    f.pool
        .create_user("kim", PASSWORD, &[("phone_number", "+15555550123")])
        .await
        .unwrap();
    assert!(f.pool.enable_sms_mfa("kim"));
    let SignIn::Challenge(challenge) = f
        .client
        .sign_in_password("kim", &secret(PASSWORD))
        .await
        .unwrap()
    else {
        panic!("expected SMS_MFA");
    };
    let Challenge::SmsMfa { destination, .. } = &challenge else {
        panic!("expected SMS_MFA, got {}", challenge.name());
    };
    assert_eq!(destination.as_deref(), Some("+*******0123"));
    let code = f.pool.last_code("kim").unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (kind, _) = cognito_error(
        f.client
            .respond_to_challenge(&challenge, &ChallengeAnswer::SmsMfaCode(secret(wrong)))
            .await,
    );
    assert_eq!(kind, "CodeMismatchException");
    f.client
        .respond_to_challenge(&challenge, &ChallengeAnswer::SmsMfaCode(secret(&code)))
        .await
        .unwrap()
        .tokens()
        .unwrap();
}

#[tokio::test]
async fn refresh_keeps_the_lineage() {
    let f = fixture().await;
    f.signed_up("liam").await;
    let tokens = f.sign_in("liam").await;
    let first = tokens.verify_access(&f.layer).unwrap();
    f.clock.advance(600);
    let refresh_token = tokens.refresh_token.clone().unwrap();
    let refreshed = f.client.refresh(&refresh_token).await.unwrap();
    // No rotation: the old refresh token is kept.
    assert_eq!(
        refreshed.refresh_token.as_ref().unwrap().expose(),
        refresh_token.expose()
    );
    let again = refreshed.verify_access(&f.layer).unwrap();
    assert_eq!(again.origin_jti, first.origin_jti);
    assert_ne!(again.jti, first.jti);
    assert_eq!(again.auth_time, Some(f.start));
    assert_eq!(again.iat, Some(f.start + 600));
    let id = refreshed.verify_id(&f.layer).unwrap();
    assert_eq!(id.origin_jti, first.origin_jti);
    let via_rotation_api = f.client.refresh(&refresh_token).await.unwrap();
    assert_eq!(
        via_rotation_api.verify_access(&f.layer).unwrap().origin_jti,
        first.origin_jti
    );
    let (kind, message) = cognito_error(f.client.refresh(&secret("not-a-refresh-token")).await);
    assert_eq!(
        (kind.as_str(), message.as_str()),
        ("NotAuthorizedException", "Invalid Refresh Token")
    );
}

#[tokio::test]
async fn refresh_token_rotation() {
    let f = fixture_with(|b| b.refresh_token_rotation(true)).await;
    f.signed_up("mia").await;
    let tokens = f.sign_in("mia").await;
    let old = tokens.refresh_token.clone().unwrap();
    let rotated = f.client.refresh(&old).await.unwrap();
    let new = rotated.refresh_token.clone().unwrap();
    assert_ne!(new.expose(), old.expose());
    assert_eq!(
        rotated.verify_access(&f.layer).unwrap().origin_jti,
        tokens.verify_access(&f.layer).unwrap().origin_jti
    );
    // No grace period (the default): the old one is refused at once, as reused.
    let (kind, message) = cognito_error(f.client.refresh(&old).await);
    assert_eq!(
        (kind.as_str(), message.as_str()),
        (
            "RefreshTokenReuseException",
            "Refresh Token has been rotated and its grace period has ended"
        )
    );
    let error = f.client.refresh(&old).await.unwrap_err();
    assert!(matches!(
        error.kind(),
        ClientErrorKind::Cognito {
            kind: CognitoErrorKind::RefreshTokenReuse,
            ..
        }
    ));
    // REFRESH_TOKEN_AUTH is refused on an app client with rotation, even with a good token.
    let (kind, message) = cognito_error(f.client.refresh_token_auth(&new, None).await);
    assert_eq!(
        (kind.as_str(), message.as_str()),
        (
            "InvalidParameterException",
            "REFRESH_TOKEN_AUTH flow not enabled for this client"
        )
    );
    let third = f.client.refresh(&new).await.unwrap();
    assert_ne!(third.refresh_token.as_ref().unwrap().expose(), new.expose());
}

/// A rotated refresh token keeps the sign-in's absolute expiry (30 days here).
#[tokio::test]
async fn rotated_refresh_tokens_keep_the_original_expiry() {
    let f = fixture_with(|b| b.refresh_token_rotation(true)).await;
    f.signed_up("mona").await;
    let tokens = f.sign_in("mona").await;
    f.clock.advance(29 * 86_400);
    let rotated = f
        .client
        .refresh(tokens.refresh_token.as_ref().unwrap())
        .await
        .unwrap();
    f.clock.advance(86_400 - 1);
    let last = f
        .client
        .refresh(rotated.refresh_token.as_ref().unwrap())
        .await
        .unwrap();
    f.clock.advance(1);
    let (kind, message) =
        cognito_error(f.client.refresh(last.refresh_token.as_ref().unwrap()).await);
    assert_eq!(
        (kind.as_str(), message.as_str()),
        ("NotAuthorizedException", "Refresh Token has expired")
    );
}

/// The old refresh token stays valid for the grace period after its first rotation (a retry
/// gets another new token of the lineage), then is refused as reused.
#[tokio::test]
async fn rotation_grace_period_on_the_pool_clock() {
    assert!(matches!(
        LocalUserPool::builder()
            .refresh_token_retry_grace_period(61)
            .build(),
        Err(LocalPoolError::InvalidSetting(_))
    ));
    let f = fixture_with(|b| {
        b.refresh_token_rotation(true)
            .refresh_token_retry_grace_period(30)
    })
    .await;
    f.signed_up("nina").await;
    let tokens = f.sign_in("nina").await;
    let old = tokens.refresh_token.clone().unwrap();
    let first = f.client.refresh(&old).await.unwrap();
    f.clock.advance(29);
    let retry = f.client.refresh(&old).await.unwrap();
    let (a, b) = (
        first.refresh_token.as_ref().unwrap(),
        retry.refresh_token.as_ref().unwrap(),
    );
    assert_ne!(a.expose(), b.expose());
    assert_ne!(b.expose(), old.expose());
    let origin = tokens.verify_access(&f.layer).unwrap().origin_jti.clone();
    assert_eq!(retry.verify_access(&f.layer).unwrap().origin_jti, origin);
    f.clock.advance(1);
    let (kind, _) = cognito_error(f.client.refresh(&old).await);
    assert_eq!(kind, "RefreshTokenReuseException");
    // Both new tokens work.
    f.client.refresh(a).await.unwrap();
    f.client.refresh(b).await.unwrap();
}

/// `revoke_token_and_deny` and `global_sign_out_and_deny` after two rotations deny the access
/// tokens of every generation (one lineage, one `origin_jti`).
#[tokio::test]
async fn deny_after_rotations_covers_every_generation() {
    let f = fixture_with(|b| b.refresh_token_rotation(true)).await;
    let deny = tower_cognito::deny::DenyList::with_clock(Arc::clone(&f.clock));
    let config = f.pool.config().any_token_use().build().unwrap();
    let layer = CognitoAuthLayer::builder(config)
        .static_keys(f.pool.issuer().key_set())
        .deny_list(deny.clone())
        .build()
        .unwrap();
    f.signed_up("olga").await;
    let generations = |first: Tokens| {
        let client = f.client.clone();
        async move {
            let second = client
                .refresh(first.refresh_token.as_ref().unwrap())
                .await
                .unwrap();
            let third = client
                .refresh(second.refresh_token.as_ref().unwrap())
                .await
                .unwrap();
            [first, second, third]
        }
    };
    let revoked = generations(f.sign_in("olga").await).await;
    let signed_out = generations(f.sign_in("olga").await).await;
    let kept = f.sign_in("olga").await;
    for tokens in revoked.iter().chain(&signed_out) {
        tokens.verify_access(&layer).unwrap();
    }
    let revoked_kind = |tokens: &Tokens| tokens.verify_access(&layer).map(drop).unwrap_err().kind();

    assert!(
        f.client
            .revoke_token_and_deny(&revoked[2], &deny)
            .await
            .unwrap()
    );
    for tokens in &revoked {
        assert_eq!(revoked_kind(tokens), tower_cognito::ErrorKind::Revoked);
    }
    signed_out[0].verify_access(&layer).unwrap();

    assert!(
        f.client
            .global_sign_out_and_deny(&signed_out[2].access_token, &deny)
            .await
            .unwrap()
    );
    for tokens in &signed_out {
        assert_eq!(revoked_kind(tokens), tower_cognito::ErrorKind::Revoked);
        assert_eq!(
            tokens.verify_id(&layer).map(drop).unwrap_err().kind(),
            tower_cognito::ErrorKind::Revoked
        );
    }
    // Another session of the user is not denied locally (its origin_jti differs).
    kept.verify_access(&layer).unwrap();
}

#[tokio::test]
async fn attributes_update_delete_and_verify() {
    let f = fixture().await;
    let sub = f.signed_up("noah").await;
    let tokens = f.sign_in("noah").await;
    let user = f.client.get_user(&tokens.access_token).await.unwrap();
    assert_eq!(user.username, "noah");
    assert_eq!(user.attribute("sub"), Some(sub.as_str()));
    assert_eq!(user.attribute("email"), Some("noah@example.com"));
    assert_eq!(user.attribute("email_verified"), Some("false"));

    let deliveries = f
        .client
        .update_user_attributes(
            &tokens.access_token,
            &[
                Attribute::new("email", "noah@example.org"),
                Attribute::new("custom:tier", "gold"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].attribute_name.as_deref(), Some("email"));
    let code = f.pool.last_code("noah").unwrap();
    let (kind, _) = cognito_error(
        f.client
            .verify_user_attribute(
                &tokens.access_token,
                "email",
                &secret(if code == "000000" { "111111" } else { "000000" }),
            )
            .await,
    );
    assert_eq!(kind, "CodeMismatchException");
    f.client
        .verify_user_attribute(&tokens.access_token, "email", &secret(&code))
        .await
        .unwrap();
    let user = f.client.get_user(&tokens.access_token).await.unwrap();
    assert_eq!(user.attribute("email"), Some("noah@example.org"));
    assert_eq!(user.attribute("email_verified"), Some("true"));
    assert_eq!(user.attribute("custom:tier"), Some("gold"));

    // A new code on request; the ID token of the next sign-in has the new values.
    let delivery = f
        .client
        .get_user_attribute_verification_code(&tokens.access_token, "email")
        .await
        .unwrap();
    assert_eq!(delivery.attribute_name.as_deref(), Some("email"));
    let id = f.sign_in("noah").await.verify_id(&f.layer).unwrap();
    assert_eq!(id.email.as_deref(), Some("noah@example.org"));
    assert_eq!(id.email_verified, Some(true));
    assert_eq!(id.custom_attribute("tier"), Some("gold"));

    f.client
        .delete_user_attributes(&tokens.access_token, &["custom:tier", "name"])
        .await
        .unwrap();
    let user = f.client.get_user(&tokens.access_token).await.unwrap();
    assert_eq!(user.attribute("custom:tier"), None);
    assert_eq!(user.attribute("name"), None);
    let (kind, _) = cognito_error(
        f.client
            .delete_user_attributes(&tokens.access_token, &["sub"])
            .await,
    );
    assert_eq!(kind, "InvalidParameterException");
    let (kind, _) = cognito_error(
        f.client
            .update_user_attributes(&tokens.access_token, &[Attribute::new("sub", "x")])
            .await,
    );
    assert_eq!(kind, "InvalidParameterException");
}

#[tokio::test]
async fn change_and_forgot_password() {
    let f = fixture().await;
    f.signed_up("olga").await;
    let tokens = f.sign_in("olga").await;
    let (kind, _) = cognito_error(
        f.client
            .change_password(
                &tokens.access_token,
                &secret("Wr0ng-password!"),
                &secret(NEW_PASSWORD),
            )
            .await,
    );
    assert_eq!(kind, "NotAuthorizedException");
    let (kind, _) = cognito_error(
        f.client
            .change_password(&tokens.access_token, &secret(PASSWORD), &secret("weak"))
            .await,
    );
    assert_eq!(kind, "InvalidPasswordException");
    f.client
        .change_password(
            &tokens.access_token,
            &secret(PASSWORD),
            &secret(NEW_PASSWORD),
        )
        .await
        .unwrap();
    f.client
        .sign_in_srp("olga", &secret(NEW_PASSWORD))
        .await
        .unwrap()
        .tokens()
        .unwrap();
    let (kind, _) = cognito_error(f.client.sign_in_srp("olga", &secret(PASSWORD)).await);
    assert_eq!(kind, "NotAuthorizedException");

    let delivery = f.client.forgot_password("olga").await.unwrap();
    assert_eq!(delivery.delivery_medium.as_deref(), Some("EMAIL"));
    let code = f.pool.last_code("olga").unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (kind, _) = cognito_error(
        f.client
            .confirm_forgot_password("olga", &secret(wrong), &secret(PASSWORD))
            .await,
    );
    assert_eq!(kind, "CodeMismatchException");
    f.client
        .confirm_forgot_password("olga", &secret(&code), &secret(PASSWORD))
        .await
        .unwrap();
    f.sign_in("olga").await;
    let (kind, _) = cognito_error(f.client.forgot_password("nobody").await);
    assert_eq!(kind, "UserNotFoundException");
}

#[tokio::test]
async fn global_sign_out_and_revocation() {
    let f = fixture().await;
    f.signed_up("pam").await;
    let before = f.sign_in("pam").await;
    let other = f.sign_in("pam").await;
    f.client
        .global_sign_out(&before.access_token)
        .await
        .unwrap();
    for tokens in [&before, &other] {
        let (kind, message) = cognito_error(f.client.get_user(&tokens.access_token).await);
        assert_eq!(
            (kind.as_str(), message.as_str()),
            ("NotAuthorizedException", "Access Token has been revoked")
        );
        let (kind, message) = cognito_error(
            f.client
                .refresh(tokens.refresh_token.as_ref().unwrap())
                .await,
        );
        assert_eq!(
            (kind.as_str(), message.as_str()),
            ("NotAuthorizedException", "Refresh Token has been revoked")
        );
    }
    // Local verification still accepts the signed-out access token until it expires: the
    // deny-list (origin_jti) is the application's.
    before.verify_access(&f.layer).unwrap();

    // A new sign-in works; revoking its refresh token cuts that lineage only.
    let kept = f.sign_in("pam").await;
    let revoked = f.sign_in("pam").await;
    let refreshed = f
        .client
        .refresh(revoked.refresh_token.as_ref().unwrap())
        .await
        .unwrap();
    f.client
        .revoke_token(revoked.refresh_token.as_ref().unwrap())
        .await
        .unwrap();
    for access in [&revoked.access_token, &refreshed.access_token] {
        let (kind, _) = cognito_error(f.client.get_user(access).await);
        assert_eq!(kind, "NotAuthorizedException");
    }
    let (kind, _) = cognito_error(
        f.client
            .refresh(revoked.refresh_token.as_ref().unwrap())
            .await,
    );
    assert_eq!(kind, "NotAuthorizedException");
    f.client.get_user(&kept.access_token).await.unwrap();
    f.client
        .refresh(kept.refresh_token.as_ref().unwrap())
        .await
        .unwrap();

    // An expired access token.
    f.clock.advance(3601);
    let (_, message) = cognito_error(f.client.get_user(&kept.access_token).await);
    assert_eq!(message, "Access Token has expired");
    let (_, message) = cognito_error(f.client.get_user(&secret("forged")).await);
    assert_eq!(message, "Invalid Access Token");
}

/// The client glue: `GlobalSignOut` or `RevokeToken`, then the session's `origin_jti` denied,
/// so the layer answers the still-valid tokens of that session 401 at once (refreshed ones too),
/// and other sessions keep working.
#[tokio::test]
async fn sign_out_and_revoke_deny_the_session_on_the_layer() {
    let f = fixture().await;
    let deny = tower_cognito::deny::DenyList::with_clock(Arc::clone(&f.clock));
    let config = f.pool.config().any_token_use().build().unwrap();
    let layer = CognitoAuthLayer::builder(config)
        .static_keys(f.pool.issuer().key_set())
        .deny_list(deny.clone())
        .build()
        .unwrap();
    f.signed_up("quinn").await;
    let signed_out = f.sign_in("quinn").await;
    let refreshed = f
        .client
        .refresh(signed_out.refresh_token.as_ref().unwrap())
        .await
        .unwrap();
    signed_out.verify_access(&layer).unwrap();
    assert!(
        f.client
            .global_sign_out_and_deny(&signed_out.access_token, &deny)
            .await
            .unwrap()
    );
    for tokens in [&signed_out, &refreshed] {
        let kind = |r: Result<_, tower_cognito::Error>| r.map(drop).unwrap_err().kind();
        assert_eq!(
            kind(tokens.verify_access(&layer)),
            tower_cognito::ErrorKind::Revoked
        );
        assert_eq!(
            kind(tokens.verify_id(&layer)),
            tower_cognito::ErrorKind::Revoked
        );
    }

    let kept = f.sign_in("quinn").await;
    let revoked = f.sign_in("quinn").await;
    assert!(
        f.client
            .revoke_token_and_deny(&revoked, &deny)
            .await
            .unwrap()
    );
    assert_eq!(
        revoked.verify_access(&layer).unwrap_err().kind(),
        tower_cognito::ErrorKind::Revoked
    );
    kept.verify_access(&layer).unwrap();
    assert_eq!(deny.len(), 2);

    // A failed call denies nothing.
    let before = deny.len();
    assert!(
        f.client
            .global_sign_out_and_deny(&secret("forged"), &deny)
            .await
            .is_err()
    );
    assert_eq!(deny.len(), before);
}

#[tokio::test]
async fn delete_user() {
    let f = fixture().await;
    f.signed_up("quinn").await;
    let tokens = f.sign_in("quinn").await;
    f.client.delete_user(&tokens.access_token).await.unwrap();
    assert_eq!(f.pool.user_count(), 0);
    let (kind, _) = cognito_error(f.client.get_user(&tokens.access_token).await);
    assert_eq!(kind, "UserNotFoundException");
    let (kind, _) = cognito_error(
        f.client
            .refresh(tokens.refresh_token.as_ref().unwrap())
            .await,
    );
    assert_eq!(kind, "NotAuthorizedException");
    let (kind, _) = cognito_error(f.client.sign_in_srp("quinn", &secret(PASSWORD)).await);
    assert_eq!(kind, "NotAuthorizedException");
    // The same name can sign up again; the old tokens stay dead.
    f.signed_up("quinn").await;
    let (kind, _) = cognito_error(f.client.get_user(&tokens.access_token).await);
    assert_eq!(kind, "UserNotFoundException");
}

#[tokio::test]
async fn groups_reach_the_tokens() {
    let f = fixture().await;
    f.signed_up("rita").await;
    assert!(f.pool.add_user_to_group("rita", "admins"));
    let tokens = f.sign_in("rita").await;
    assert!(tokens.verify_access(&f.layer).unwrap().in_group("admins"));
    assert!(tokens.verify_id(&f.layer).unwrap().in_group("admins"));
}

#[tokio::test]
async fn srp_answers_are_checked() {
    let f = fixture_at(START, |b| b).await;
    f.signed_up("sam").await;
    let start = |f: &Fixture| {
        let pool = f.pool.clone();
        async move {
            let srp_a = "02"; // any non-zero A: the proof below is forged anyway
            pool.call(
                "InitiateAuth",
                &json!({
                    "AuthFlow": "USER_SRP_AUTH",
                    "ClientId": pool.client_id(),
                    "AuthParameters": { "USERNAME": "sam", "SRP_A": srp_a },
                }),
            )
            .await
            .unwrap()
        }
    };
    let challenge = start(&f).await;
    let params = &challenge["ChallengeParameters"];
    assert_eq!(challenge["ChallengeName"], "PASSWORD_VERIFIER");
    assert_eq!(params["USERNAME"], "sam");
    assert_eq!(params["USER_ID_FOR_SRP"], "sam");
    assert!(
        base64::engine::general_purpose::STANDARD
            .decode(params["SECRET_BLOCK"].as_str().unwrap())
            .is_ok()
    );
    let respond = |block: &str, timestamp: &str| {
        json!({
            "ChallengeName": "PASSWORD_VERIFIER",
            "ClientId": f.pool.client_id(),
            "ChallengeResponses": {
                "USERNAME": "sam",
                "PASSWORD_CLAIM_SECRET_BLOCK": block,
                "PASSWORD_CLAIM_SIGNATURE": "AAAA",
                "TIMESTAMP": timestamp,
            },
        })
    };
    // A forged signature; then the same secret block again (used up); then one never issued.
    let now_ts = "Fri Jan 15 08:00:00 UTC 2027"; // START
    let block = params["SECRET_BLOCK"].as_str().unwrap();
    let error = f
        .pool
        .call("RespondToAuthChallenge", &respond(block, now_ts))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "NotAuthorizedException: Incorrect username or password."
    );
    let error = f
        .pool
        .call("RespondToAuthChallenge", &respond(block, now_ts))
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "NotAuthorizedException");
    let error = f
        .pool
        .call(
            "RespondToAuthChallenge",
            &respond("bm90IGlzc3VlZA==", now_ts),
        )
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "NotAuthorizedException");
    // A timestamp too far from the pool's clock, and one not in Cognito's format.
    let challenge = start(&f).await;
    let block = challenge["ChallengeParameters"]["SECRET_BLOCK"]
        .as_str()
        .unwrap();
    let error = f
        .pool
        .call(
            "RespondToAuthChallenge",
            &respond(block, "Fri Jan 15 08:10:00 UTC 2027"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        error.message(),
        "TIMESTAMP is too far from the current time"
    );
    let challenge = start(&f).await;
    let block = challenge["ChallengeParameters"]["SECRET_BLOCK"]
        .as_str()
        .unwrap();
    let error = f
        .pool
        .call(
            "RespondToAuthChallenge",
            &respond(block, "2027-01-15T08:00:00Z"),
        )
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "InvalidParameterException");
    // A zero SRP_A is refused.
    let error = f
        .pool
        .call(
            "InitiateAuth",
            &json!({
                "AuthFlow": "USER_SRP_AUTH",
                "ClientId": f.pool.client_id(),
                "AuthParameters": { "USERNAME": "sam", "SRP_A": "00" },
            }),
        )
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "InvalidParameterException");
}

#[tokio::test]
async fn malformed_requests_get_cognito_errors() {
    let f = fixture().await;
    let http = reqwest::Client::new();
    let post = |target: Option<&str>, content_type: &str, body: Vec<u8>| {
        let mut request = http
            .post(f.server.endpoint())
            .header("content-type", content_type)
            .body(body);
        if let Some(target) = target {
            request = request.header(
                "x-amz-target",
                format!("AWSCognitoIdentityProviderService.{target}"),
            );
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            (
                status,
                body["__type"].as_str().unwrap_or_default().to_owned(),
            )
        }
    };
    let json = "application/x-amz-json-1.1";
    assert_eq!(
        post(Some("GetUser"), json, b"not json".to_vec()).await,
        (400, "SerializationException".into())
    );
    assert_eq!(
        post(Some("GetUser"), json, b"[]".to_vec()).await,
        (400, "SerializationException".into())
    );
    assert_eq!(
        post(Some("NoSuchOperation"), json, b"{}".to_vec()).await,
        (400, "UnknownOperationException".into())
    );
    assert_eq!(
        post(None, json, b"{}".to_vec()).await,
        (400, "UnknownOperationException".into())
    );
    assert_eq!(
        post(Some("GetUser"), "text/plain", b"{}".to_vec()).await,
        (400, "UnknownOperationException".into())
    );
    assert_eq!(
        post(Some("GetUser"), json, b"{}".to_vec()).await,
        (400, "InvalidParameterException".into())
    );
    assert_eq!(
        post(
            Some("SignUp"),
            json,
            br#"{"ClientId": "other", "Username": "u", "Password": "p"}"#.to_vec()
        )
        .await,
        (400, "ResourceNotFoundException".into())
    );
    let big = vec![b' '; tower_cognito_client::test_util::MAX_REQUEST_SIZE + 1];
    assert_eq!(
        post(Some("GetUser"), json, big).await,
        (413, "SerializationException".into())
    );
    // Wrong types everywhere: errors, never a panic.
    for operation in [
        "SignUp",
        "InitiateAuth",
        "RespondToAuthChallenge",
        "UpdateUserAttributes",
        "DeleteUserAttributes",
        "RevokeToken",
        "VerifySoftwareToken",
    ] {
        let body = json!({
            "ClientId": f.pool.client_id(), "Username": 1, "AuthFlow": "USER_SRP_AUTH",
            "AuthParameters": [], "ChallengeResponses": "x", "UserAttributes": {"a": 1},
            "UserAttributeNames": [1], "AccessToken": 5, "Token": null, "Session": {},
        });
        let (status, kind) = post(Some(operation), json, body.to_string().into_bytes()).await;
        assert_eq!(status, 400, "{operation}: {kind}");
    }
    // The JWKS is served too.
    let jwks: Value = http
        .get(f.server.jwks_url())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks, f.pool.issuer().jwks());
}

#[tokio::test]
async fn axum_route_behind_the_layer() {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;
    use tower_cognito::Claims;

    let f = fixture().await;
    f.signed_up("tess").await;
    let tokens = f.sign_in("tess").await;
    async fn me(claims: Claims) -> String {
        format!("hello {}", claims.username().unwrap_or("?"))
    }
    // The layer fetches the pool's JWKS from the pool's own server.
    let config = f.pool.config().token_use(TokenUse::Access).build().unwrap();
    assert_eq!(config.jwks_url(), f.server.jwks_url());
    let layer = CognitoAuthLayer::builder(config).start().await.unwrap();
    let app = Router::new().route("/me", get(me)).layer(layer);
    let call = |token: Option<&str>| {
        let mut request = http::Request::get("/me");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        app.clone().oneshot(request.body(Body::empty()).unwrap())
    };
    let response = call(Some(tokens.access_token.expose())).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = axum::body::to_bytes(response.into_body(), 1024)
        .await
        .unwrap();
    assert_eq!(&body[..], b"hello tess");
    assert_eq!(call(None).await.unwrap().status(), 401);
    // An ID token on an access-only route.
    assert_eq!(
        call(Some(tokens.id_token.expose())).await.unwrap().status(),
        401
    );
    // The same with the issuer as an in-memory JWKS source.
    let config = f.pool.config().token_use(TokenUse::Access).build().unwrap();
    let layer = CognitoAuthLayer::builder(config)
        .jwks_source(f.pool.issuer().clone())
        .start()
        .await
        .unwrap();
    assert_eq!(payload(&tokens.access_token)["username"], "tess");
    layer.verify(tokens.access_token.expose()).unwrap();
}

#[tokio::test]
async fn debug_output_redacts_secrets() {
    let f = fixture_with(|b| b.client_secret(SECRET)).await;
    let text = format!("{:?}", f.pool);
    assert!(!text.contains(SECRET), "{text}");
    let builder = format!("{:?}", LocalUserPool::builder().client_secret(SECRET));
    assert!(!builder.contains(SECRET), "{builder}");
}
