//! MFA preferences and auth factors end to end against `LocalUserPool`: `SetUserMFAPreference`
//! turns methods on and off and picks the preferred one, sign-in asks for the preferred or only
//! method or lets the user choose (`SELECT_MFA_TYPE`), `GetUser` and `GetUserAuthFactors`
//! report it, and the pool refuses what Cognito refuses.
//!
//! Run: `cargo test -p tower-cognito-client --features test-util --test it mfa::`.

use tower_cognito::clock::Clock as _;
use tower_cognito_client::test_util::totp_code;
use tower_cognito_client::{
    AuthFactor, Challenge, ChallengeAnswer, ClientErrorKind, CognitoErrorKind, MfaPreference,
    MfaSetting, MfaType, Secret, SignIn, SoftwareTokenAuth, Tokens,
};

use crate::support::{PoolFixture, pool_fixture};

const PASSWORD: &str = "Corr3ct-horse-battery";
/// The pool's clock: Fri Jan 15 08:00:00 UTC 2027.
const START: u64 = 1_800_000_000;

/// A pool with `kim` (email and phone number, no MFA yet), signed in.
async fn fixture() -> (PoolFixture, Tokens) {
    let f = pool_fixture(START, |b| b).await;
    f.pool
        .create_user(
            "kim",
            PASSWORD,
            &[
                ("email", "kim@example.com"),
                ("phone_number", "+15555550123"),
            ],
        )
        .await
        .unwrap();
    let tokens = password_sign_in(&f).await.tokens().expect("no MFA yet");
    (f, tokens)
}

async fn password_sign_in(f: &PoolFixture) -> SignIn {
    f.client
        .sign_in_password("kim", &Secret::new(PASSWORD))
        .await
        .unwrap()
}

/// The challenge of a password sign-in of `kim`.
async fn challenged(f: &PoolFixture) -> Challenge {
    match password_sign_in(f).await {
        SignIn::Challenge(challenge) => challenge,
        SignIn::Tokens(_) => panic!("signed in without MFA"),
    }
}

/// Sets up TOTP with the access token (verified, not on yet); returns the secret.
async fn with_totp(f: &PoolFixture, tokens: &Tokens) -> String {
    let auth = SoftwareTokenAuth::AccessToken(&tokens.access_token);
    let association = f.client.associate_software_token(auth).await.unwrap();
    let secret = association.secret_code.expose().to_owned();
    let code = totp_code(&secret, f.clock.now()).unwrap();
    let verified = f
        .client
        .verify_software_token(auth, &Secret::new(code), None)
        .await
        .unwrap();
    assert!(verified.is_success());
    secret
}

async fn set(
    f: &PoolFixture,
    access_token: &Secret,
    preference: MfaPreference,
) -> Result<(), tower_cognito_client::ClientError> {
    f.client
        .set_user_mfa_preference(access_token, &preference)
        .await
}

async fn prefer(f: &PoolFixture, tokens: &Tokens, preference: MfaPreference) {
    set(f, &tokens.access_token, preference).await.unwrap();
}

fn cognito_kind<T: std::fmt::Debug>(
    result: Result<T, tower_cognito_client::ClientError>,
) -> CognitoErrorKind {
    match result.expect_err("refused").kind() {
        ClientErrorKind::Cognito { kind, .. } => *kind,
        other => panic!("not a Cognito error: {other:?}"),
    }
}

#[tokio::test]
async fn one_method_is_asked_several_are_chosen_from_the_preferred_is_asked() {
    let (f, tokens) = fixture().await;
    let totp = with_totp(&f, &tokens).await;
    // Verified, not on: no MFA yet.
    let user = f.client.get_user(&tokens.access_token).await.unwrap();
    assert!(user.mfa_settings.is_empty(), "{:?}", user.mfa_settings);
    assert!(password_sign_in(&f).await.tokens().is_some());

    // TOTP on, the only method: asked at once, though not preferred.
    prefer(
        &f,
        &tokens,
        MfaPreference::new().software_token(MfaSetting::Enabled),
    )
    .await;
    let user = f.client.get_user(&tokens.access_token).await.unwrap();
    assert_eq!(user.mfa_settings, [MfaType::SoftwareToken]);
    assert_eq!(user.preferred_mfa, None);
    let challenge = challenged(&f).await;
    assert!(
        matches!(challenge, Challenge::SoftwareTokenMfa { .. }),
        "{}",
        challenge.name()
    );

    // SMS on too, nothing preferred: the user chooses.
    prefer(&f, &tokens, MfaPreference::new().sms(MfaSetting::Enabled)).await;
    let user = f.client.get_user(&tokens.access_token).await.unwrap();
    assert_eq!(user.mfa_settings, [MfaType::SoftwareToken, MfaType::Sms]);
    assert_eq!(user.preferred_mfa, None);
    let challenge = challenged(&f).await;
    let Challenge::SelectMfaType { options, .. } = &challenge else {
        panic!("expected SELECT_MFA_TYPE, got {}", challenge.name());
    };
    assert_eq!(options, &[MfaType::SoftwareToken, MfaType::Sms]);
    // A method not offered is refused; the session stays for a valid choice.
    let refused = f
        .client
        .respond_to_challenge(&challenge, &ChallengeAnswer::SelectMfaType(MfaType::Email))
        .await;
    assert_eq!(cognito_kind(refused), CognitoErrorKind::InvalidParameter);
    let SignIn::Challenge(sms) = f
        .client
        .respond_to_challenge(&challenge, &ChallengeAnswer::SelectMfaType(MfaType::Sms))
        .await
        .unwrap()
    else {
        panic!("expected SMS_MFA");
    };
    assert!(matches!(sms, Challenge::SmsMfa { .. }), "{}", sms.name());
    let code = f.pool.last_code("kim").unwrap();
    let signed_in = f
        .client
        .respond_to_challenge(&sms, &ChallengeAnswer::SmsMfaCode(Secret::new(code)))
        .await
        .unwrap()
        .tokens()
        .expect("tokens after the SMS code");
    signed_in.verify_access(&f.layer).unwrap();

    // The chosen session is spent: choosing again with it is refused.
    let replay = f
        .client
        .respond_to_challenge(&challenge, &ChallengeAnswer::SelectMfaType(MfaType::Sms))
        .await;
    assert_eq!(cognito_kind(replay), CognitoErrorKind::NotAuthorized);

    // TOTP preferred: asked at once, and answered with the app's code.
    prefer(
        &f,
        &tokens,
        MfaPreference::new().software_token(MfaSetting::Preferred),
    )
    .await;
    let user = f.client.get_user(&tokens.access_token).await.unwrap();
    assert_eq!(user.preferred_mfa, Some(MfaType::SoftwareToken));
    f.clock.advance(30);
    let challenge = challenged(&f).await;
    assert!(
        matches!(challenge, Challenge::SoftwareTokenMfa { .. }),
        "{}",
        challenge.name()
    );
    let code = totp_code(&totp, f.clock.now()).unwrap();
    f.client
        .respond_to_challenge(
            &challenge,
            &ChallengeAnswer::SoftwareTokenMfaCode(Secret::new(code)),
        )
        .await
        .unwrap()
        .tokens()
        .expect("tokens after the TOTP code");

    // Both off: no MFA, and GetUser lists none.
    prefer(
        &f,
        &tokens,
        MfaPreference::new()
            .software_token(MfaSetting::Disabled)
            .sms(MfaSetting::Disabled),
    )
    .await;
    let user = f.client.get_user(&tokens.access_token).await.unwrap();
    assert!(user.mfa_settings.is_empty(), "{:?}", user.mfa_settings);
    assert_eq!(user.preferred_mfa, None);
    assert!(password_sign_in(&f).await.tokens().is_some());
}

#[tokio::test]
async fn email_mfa_is_chosen_and_answered_with_its_code() {
    let (f, tokens) = fixture().await;
    prefer(
        &f,
        &tokens,
        MfaPreference::new()
            .email(MfaSetting::Enabled)
            .sms(MfaSetting::Enabled),
    )
    .await;
    let challenge = challenged(&f).await;
    let Challenge::SelectMfaType { options, .. } = &challenge else {
        panic!("expected SELECT_MFA_TYPE, got {}", challenge.name());
    };
    assert_eq!(options, &[MfaType::Sms, MfaType::Email]);
    let SignIn::Challenge(email) = f
        .client
        .respond_to_challenge(&challenge, &ChallengeAnswer::SelectMfaType(MfaType::Email))
        .await
        .unwrap()
    else {
        panic!("expected EMAIL_OTP");
    };
    assert!(
        matches!(email, Challenge::EmailOtp { .. }),
        "{}",
        email.name()
    );
    let code = f.pool.last_code("kim").unwrap();
    f.client
        .respond_to_challenge(&email, &ChallengeAnswer::EmailOtpCode(Secret::new(code)))
        .await
        .unwrap()
        .tokens()
        .expect("tokens after the email code");

    // Email preferred: asked at once.
    prefer(
        &f,
        &tokens,
        MfaPreference::new().email(MfaSetting::Preferred),
    )
    .await;
    let challenge = challenged(&f).await;
    assert!(
        matches!(challenge, Challenge::EmailOtp { .. }),
        "{}",
        challenge.name()
    );
}

#[tokio::test]
async fn what_the_user_cannot_have_is_refused_and_changes_nothing() {
    let (f, tokens) = fixture().await;
    // TOTP without a verified token.
    let refused = set(
        &f,
        &tokens.access_token,
        MfaPreference::new()
            .sms(MfaSetting::Enabled)
            .software_token(MfaSetting::Preferred),
    )
    .await;
    assert_eq!(cognito_kind(refused), CognitoErrorKind::InvalidParameter);
    // Nothing was changed, SMS included.
    let user = f.client.get_user(&tokens.access_token).await.unwrap();
    assert!(user.mfa_settings.is_empty(), "{:?}", user.mfa_settings);

    // Two preferred methods: refused before any request (this client's endpoint has no
    // server: a request would be a transport error).
    let offline =
        tower_cognito_client::UserPoolClient::builder(f.pool.user_pool_id(), f.pool.client_id())
            .endpoint("http://127.0.0.1:9")
            .build()
            .unwrap();
    let refused = offline
        .set_user_mfa_preference(
            &tokens.access_token,
            &MfaPreference::new()
                .sms(MfaSetting::Preferred)
                .email(MfaSetting::Preferred),
        )
        .await
        .expect_err("two preferred methods");
    assert!(
        matches!(refused.kind(), ClientErrorKind::InvalidInput(_)),
        "{refused:?}"
    );

    // SMS without a phone number.
    f.pool
        .create_user("lee", PASSWORD, &[("email", "lee@example.com")])
        .await
        .unwrap();
    let lee = f
        .client
        .sign_in_password("lee", &Secret::new(PASSWORD))
        .await
        .unwrap()
        .tokens()
        .unwrap();
    let refused = set(
        &f,
        &lee.access_token,
        MfaPreference::new().sms(MfaSetting::Enabled),
    )
    .await;
    assert_eq!(cognito_kind(refused), CognitoErrorKind::InvalidParameter);

    // An invalid token.
    let refused = set(
        &f,
        &Secret::new("not-a-token"),
        MfaPreference::new().sms(MfaSetting::Enabled),
    )
    .await;
    assert_eq!(cognito_kind(refused), CognitoErrorKind::NotAuthorized);
}

#[tokio::test]
async fn mfa_cannot_be_turned_off_where_the_pool_requires_it() {
    let f = pool_fixture(START, |b| b.mfa_required(true)).await;
    f.pool
        .create_user("kim", PASSWORD, &[("phone_number", "+15555550123")])
        .await
        .unwrap();
    assert!(f.pool.enable_sms_mfa("kim"));
    let challenge = challenged(&f).await;
    let code = f.pool.last_code("kim").unwrap();
    let tokens = f
        .client
        .respond_to_challenge(&challenge, &ChallengeAnswer::SmsMfaCode(Secret::new(code)))
        .await
        .unwrap()
        .tokens()
        .unwrap();
    let refused = set(
        &f,
        &tokens.access_token,
        MfaPreference::new().sms(MfaSetting::Disabled),
    )
    .await;
    assert_eq!(cognito_kind(refused), CognitoErrorKind::InvalidParameter);
    let user = f.client.get_user(&tokens.access_token).await.unwrap();
    assert_eq!(user.mfa_settings, [MfaType::Sms]);
    // Preferring it is allowed.
    prefer(&f, &tokens, MfaPreference::new().sms(MfaSetting::Preferred)).await;
    let user = f.client.get_user(&tokens.access_token).await.unwrap();
    assert_eq!(user.preferred_mfa, Some(MfaType::Sms));
}

#[tokio::test]
async fn auth_factors_list_first_factors_and_mfa() {
    let f = pool_fixture(START, |b| {
        b.allowed_first_auth_factors(["PASSWORD", "EMAIL_OTP"])
    })
    .await;
    f.pool
        .create_user("kim", PASSWORD, &[("email", "kim@example.com")])
        .await
        .unwrap();
    let tokens = password_sign_in(&f).await.tokens().unwrap();
    let factors = f
        .client
        .get_user_auth_factors(&tokens.access_token)
        .await
        .unwrap();
    assert_eq!(factors.username, "kim");
    assert_eq!(
        factors.configured_factors,
        [AuthFactor::Password, AuthFactor::EmailOtp]
    );
    assert!(factors.mfa_settings.is_empty());
    assert_eq!(factors.preferred_mfa, None);

    with_totp(&f, &tokens).await;
    let factors = f
        .client
        .get_user_auth_factors(&tokens.access_token)
        .await
        .unwrap();
    assert_eq!(
        factors.configured_factors,
        [
            AuthFactor::Password,
            AuthFactor::EmailOtp,
            AuthFactor::SoftwareToken
        ]
    );
    // Configured (verified), not on until asked.
    assert!(factors.mfa_settings.is_empty());
    prefer(
        &f,
        &tokens,
        MfaPreference::new().software_token(MfaSetting::Preferred),
    )
    .await;
    let factors = f
        .client
        .get_user_auth_factors(&tokens.access_token)
        .await
        .unwrap();
    assert_eq!(factors.mfa_settings, [MfaType::SoftwareToken]);
    assert_eq!(factors.preferred_mfa, Some(MfaType::SoftwareToken));

    let refused = f
        .client
        .get_user_auth_factors(&Secret::new("not-a-token"))
        .await;
    assert_eq!(cognito_kind(refused), CognitoErrorKind::NotAuthorized);
}
