//! Remembered devices end to end against `LocalUserPool` (loopback only): `NewDeviceMetadata`,
//! `ConfirmDevice`, MFA skipped for a remembered device, `DEVICE_SRP_AUTH` and
//! `DEVICE_PASSWORD_VERIFIER` checked by the pool with the server half of SRP, the device
//! operations and the device key on refresh, with the error code Cognito returns for each
//! refusal.
//!
//! Run: `cargo test -p tower-cognito-client --features test-util --test it devices::`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use tower_cognito::{clock::Clock as _, clock::SystemClock};
use tower_cognito_client::device::{
    DeviceRememberedStatus, DeviceStore as _, MemoryDeviceStore, RememberedDevice,
};
use tower_cognito_client::test_util::{DeviceTracking, LocalUserPool, LocalUserPoolBuilder};
use tower_cognito_client::{
    Challenge, ChallengeAnswer, ClientError, ClientErrorKind, Secret, SignIn, Tokens,
};

const PASSWORD: &str = "Corr3ct-horse-battery";
const SECRET: &str = "app-client-secret-1q2w3e4r";

type Fixture = crate::support::PoolFixture;

async fn fixture(settings: impl FnOnce(LocalUserPoolBuilder) -> LocalUserPoolBuilder) -> Fixture {
    crate::support::pool_fixture(SystemClock.now(), settings).await
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

fn tokens(step: SignIn) -> Tokens {
    match step {
        SignIn::Tokens(tokens) => tokens,
        SignIn::Challenge(challenge) => panic!("a challenge: {}", challenge.name()),
    }
}

fn challenge(step: SignIn) -> Challenge {
    match step {
        SignIn::Challenge(challenge) => challenge,
        SignIn::Tokens(_) => panic!("tokens, not a challenge"),
    }
}

impl Fixture {
    /// A confirmed user with SMS MFA on (codes read from the pool).
    async fn user_with_mfa(&self, username: &str) {
        self.pool
            .create_user(username, PASSWORD, &[("phone_number", "+15550100")])
            .await
            .unwrap();
        assert!(self.pool.enable_sms_mfa(username));
    }

    /// Answers the `SMS_MFA` challenge of `step` from `store`.
    async fn answer_sms(&self, step: SignIn, username: &str, store: &MemoryDeviceStore) -> SignIn {
        let challenge = challenge(step);
        assert!(
            matches!(challenge, Challenge::SmsMfa { .. }),
            "{}",
            challenge.name()
        );
        let code = self.pool.last_code(username).unwrap();
        self.client
            .respond_to_challenge_with_device(
                &challenge,
                &ChallengeAnswer::SmsMfaCode(secret(&code)),
                store,
            )
            .await
            .unwrap()
    }

    /// First sign-in of `username` on a new device (MFA answered), the device confirmed in
    /// `store`.
    async fn first_device_sign_in(&self, username: &str, store: &MemoryDeviceStore) -> Tokens {
        let step = self
            .client
            .sign_in_srp_with_device(username, &secret(PASSWORD), store)
            .await
            .unwrap();
        let tokens = tokens(self.answer_sms(step, username, store).await);
        let new_device = tokens.new_device.clone().expect("NewDeviceMetadata");
        assert_eq!(
            payload(&tokens.access_token)["device_key"],
            json!(new_device.device_key)
        );
        let confirmed = self
            .client
            .remember_new_device(&tokens, store, Some("laptop"))
            .await
            .unwrap()
            .expect("a new device");
        assert_eq!(confirmed.device.device_key, new_device.device_key);
        assert_eq!(
            confirmed.device.device_group_key,
            new_device.device_group_key
        );
        tokens
    }
}

#[tokio::test]
async fn without_device_tracking_there_is_no_new_device() {
    let f = fixture(|b| b).await;
    f.pool.create_user("ann", PASSWORD, &[]).await.unwrap();
    let store = MemoryDeviceStore::new();
    let tokens = tokens(
        f.client
            .sign_in_srp_with_device("ann", &secret(PASSWORD), &store)
            .await
            .unwrap(),
    );
    assert!(tokens.new_device.is_none());
    assert!(payload(&tokens.access_token).get("device_key").is_none());
    assert!(
        f.client
            .remember_new_device(&tokens, &store, None)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.is_empty());
    let (kind, _) = cognito_error(
        f.client
            .list_devices(&tokens.access_token, None, None)
            .await,
    );
    assert_eq!(kind, "InvalidParameterException");
}

#[tokio::test]
async fn a_remembered_device_skips_mfa_with_device_srp() {
    // With a client secret: SECRET_HASH goes with every device answer too.
    let f = fixture(|b| {
        b.client_secret(SECRET)
            .device_tracking(DeviceTracking::Always)
    })
    .await;
    f.user_with_mfa("bea").await;
    let store = MemoryDeviceStore::new();
    let first = f.first_device_sign_in("bea", &store).await;
    let device = store
        .get("bea")
        .expect("stored under the Cognito user name");
    assert_eq!(device.device_password.expose().len(), 56);
    assert!(!format!("{device:?}").contains(device.device_password.expose()));
    assert_eq!(
        f.pool.devices("bea"),
        vec![(device.device_key.clone(), true)]
    );
    first.verify_access(&f.layer).unwrap();

    // The next sign-in: no MFA, DEVICE_SRP_AUTH answered from the store, the same device.
    let second = tokens(
        f.client
            .sign_in_srp_with_device("bea", &secret(PASSWORD), &store)
            .await
            .unwrap(),
    );
    assert!(second.new_device.is_none());
    assert_eq!(
        payload(&second.access_token)["device_key"],
        json!(device.device_key)
    );
    second.verify_access(&f.layer).unwrap();
    let listed = f
        .client
        .get_device(&second.access_token, &device.device_key)
        .await
        .unwrap();
    assert!(listed.is_remembered());
    assert_eq!(listed.name(), Some("laptop"));
    assert!(listed.last_authenticated_date.is_some());

    // USER_PASSWORD_AUTH from the device too.
    let third = tokens(
        f.client
            .sign_in_password_with_device("bea", &secret(PASSWORD), &store)
            .await
            .unwrap(),
    );
    assert_eq!(
        payload(&third.access_token)["device_key"],
        json!(device.device_key)
    );

    // Without the device, MFA again and a new device.
    let step = f
        .client
        .sign_in_srp("bea", &secret(PASSWORD))
        .await
        .unwrap();
    assert!(matches!(challenge(step), Challenge::SmsMfa { .. }));
}

/// Email MFA, and a choice among methods (`SELECT_MFA_TYPE`), end with the device step too: a
/// new device's metadata after the email code.
#[tokio::test]
async fn email_mfa_chosen_among_methods_ends_with_a_new_device() {
    let f = fixture(|b| b.device_tracking(DeviceTracking::Always)).await;
    f.pool
        .create_user(
            "eve",
            PASSWORD,
            &[("phone_number", "+15550100"), ("email", "eve@example.com")],
        )
        .await
        .unwrap();
    assert!(f.pool.enable_sms_mfa("eve"));
    assert!(f.pool.enable_email_mfa("eve"));
    let store = MemoryDeviceStore::new();
    let step = f
        .client
        .sign_in_srp_with_device("eve", &secret(PASSWORD), &store)
        .await
        .unwrap();
    let select = challenge(step);
    assert!(
        matches!(select, Challenge::SelectMfaType { .. }),
        "{}",
        select.name()
    );
    let email = challenge(
        f.client
            .respond_to_challenge_with_device(
                &select,
                &ChallengeAnswer::SelectMfaType(tower_cognito_client::MfaType::Email),
                &store,
            )
            .await
            .unwrap(),
    );
    let code = f.pool.last_code("eve").unwrap();
    let signed_in = tokens(
        f.client
            .respond_to_challenge_with_device(
                &email,
                &ChallengeAnswer::EmailOtpCode(secret(&code)),
                &store,
            )
            .await
            .unwrap(),
    );
    let new_device = signed_in.new_device.clone().expect("NewDeviceMetadata");
    assert_eq!(
        payload(&signed_in.access_token)["device_key"],
        json!(new_device.device_key)
    );
}

#[tokio::test]
async fn user_opt_in_asks_mfa_then_device_srp_until_remembered() {
    let f = fixture(|b| b.device_tracking(DeviceTracking::UserOptIn)).await;
    f.user_with_mfa("cy").await;
    let store = MemoryDeviceStore::new();
    let step = f
        .client
        .sign_in_srp_with_device("cy", &secret(PASSWORD), &store)
        .await
        .unwrap();
    let first = tokens(f.answer_sms(step, "cy", &store).await);
    let confirmed = f
        .client
        .remember_new_device(&first, &store, None)
        .await
        .unwrap()
        .unwrap();
    assert!(confirmed.user_confirmation_necessary);
    let key = confirmed.device.device_key.clone();
    assert_eq!(f.pool.devices("cy"), vec![(key.clone(), false)]);

    // Not remembered: MFA, then DEVICE_SRP_AUTH (answered by the client), then tokens.
    let step = f
        .client
        .sign_in_srp_with_device("cy", &secret(PASSWORD), &store)
        .await
        .unwrap();
    let second = tokens(f.answer_sms(step, "cy", &store).await);
    assert!(second.new_device.is_none());
    assert_eq!(payload(&second.access_token)["device_key"], json!(key));

    // Remembered: MFA skipped.
    f.client
        .update_device_status(
            &second.access_token,
            &key,
            DeviceRememberedStatus::Remembered,
        )
        .await
        .unwrap();
    assert_eq!(f.pool.devices("cy"), vec![(key.clone(), true)]);
    let third = tokens(
        f.client
            .sign_in_srp_with_device("cy", &secret(PASSWORD), &store)
            .await
            .unwrap(),
    );
    assert_eq!(payload(&third.access_token)["device_key"], json!(key));
    f.client
        .update_device_status(
            &third.access_token,
            &key,
            DeviceRememberedStatus::NotRemembered,
        )
        .await
        .unwrap();
    let step = f
        .client
        .sign_in_srp_with_device("cy", &secret(PASSWORD), &store)
        .await
        .unwrap();
    assert!(matches!(challenge(step), Challenge::SmsMfa { .. }));
}

#[tokio::test]
async fn a_wrong_device_password_is_not_authorized_without_fall_back() {
    let f = fixture(|b| b.device_tracking(DeviceTracking::Always)).await;
    f.user_with_mfa("dan").await;
    let store = MemoryDeviceStore::new();
    f.first_device_sign_in("dan", &store).await;
    let device = store.get("dan").unwrap();
    let wrong = RememberedDevice::new(
        device.device_key.clone(),
        device.device_group_key.clone(),
        secret("d3ZyMG5nIGRldmljZSBwYXNzd29yZCB3cm9uZyBkZXZpY2UgcGFzc3dvcmQ="),
    );
    store.save("dan", &wrong).await.unwrap();
    let error = f
        .client
        .sign_in_srp_with_device("dan", &secret(PASSWORD), &store)
        .await
        .unwrap_err();
    assert_eq!(error.type_name(), Some("NotAuthorizedException"));
    assert_eq!(error.operation(), "RespondToAuthChallenge");
    // The store is left alone: nothing forgotten, nothing retried.
    assert_eq!(
        store.get("dan").unwrap().device_password.expose(),
        wrong.device_password.expose()
    );

    // Another group key (or device key) in the proof fails the same way.
    let other_group = RememberedDevice::new(
        device.device_key.clone(),
        "-another1",
        device.device_password.clone(),
    );
    store.save("dan", &other_group).await.unwrap();
    let (kind, _) = cognito_error(
        f.client
            .sign_in_srp_with_device("dan", &secret(PASSWORD), &store)
            .await,
    );
    assert_eq!(kind, "NotAuthorizedException");
    store.save("dan", &device).await.unwrap();
    tokens(
        f.client
            .sign_in_srp_with_device("dan", &secret(PASSWORD), &store)
            .await
            .unwrap(),
    );

    // An unknown device key: ResourceNotFoundException.
    let unknown = RememberedDevice::new(
        "us-east-1_00000000-0000-4000-8000-000000000000",
        device.device_group_key.clone(),
        device.device_password.clone(),
    );
    store.save("dan", &unknown).await.unwrap();
    let (kind, _) = cognito_error(
        f.client
            .sign_in_srp_with_device("dan", &secret(PASSWORD), &store)
            .await,
    );
    assert_eq!(kind, "ResourceNotFoundException");
}

#[tokio::test]
async fn device_operations() {
    let f = fixture(|b| b.device_tracking(DeviceTracking::Always)).await;
    f.user_with_mfa("eve").await;
    let store = MemoryDeviceStore::new();
    let first = f.first_device_sign_in("eve", &store).await;
    let key_one = store.get("eve").unwrap().device_key;
    // A second device (another store).
    let other = MemoryDeviceStore::new();
    let second = f.first_device_sign_in("eve", &other).await;
    let key_two = other.get("eve").unwrap().device_key;
    assert_ne!(key_one, key_two);

    let access = &second.access_token;
    let all = f.client.list_devices(access, None, None).await.unwrap();
    assert_eq!(all.devices.len(), 2);
    assert!(all.pagination_token.is_none());
    let page = f.client.list_devices(access, Some(1), None).await.unwrap();
    assert_eq!(page.devices.len(), 1);
    let next = page.pagination_token.clone().expect("a second page");
    let rest = f
        .client
        .list_devices(access, Some(1), Some(&next))
        .await
        .unwrap();
    assert_eq!(rest.devices.len(), 1);
    assert_ne!(rest.devices[0].device_key, page.devices[0].device_key);
    assert!(rest.pagination_token.is_none());
    let over = f
        .client
        .list_devices(access, Some(61), None)
        .await
        .unwrap_err();
    assert!(matches!(over.kind(), ClientErrorKind::InvalidInput(_)));
    let over = f
        .pool
        .call(
            "ListDevices",
            &json!({ "AccessToken": access.expose(), "Limit": 61 }),
        )
        .await
        .unwrap_err();
    assert_eq!(over.error_type(), "InvalidParameterException");

    // Confirming again: DeviceKeyExistsException.
    let (kind, _) = cognito_error(
        f.client
            .confirm_device(
                &first.access_token,
                first.new_device.as_ref().unwrap(),
                None,
            )
            .await,
    );
    assert_eq!(kind, "DeviceKeyExistsException");
    // An unknown device: ResourceNotFoundException everywhere.
    let unknown = "us-east-1_00000000-0000-4000-8000-000000000000";
    for (kind, _) in [
        cognito_error(f.client.get_device(access, unknown).await),
        cognito_error(f.client.forget_device(access, unknown).await),
        cognito_error(
            f.client
                .update_device_status(access, unknown, DeviceRememberedStatus::Remembered)
                .await,
        ),
    ] {
        assert_eq!(kind, "ResourceNotFoundException");
    }
    let bad_status = f
        .pool
        .call(
            "UpdateDeviceStatus",
            &json!({
                "AccessToken": access.expose(),
                "DeviceKey": key_one,
                "DeviceRememberedStatus": "forever",
            }),
        )
        .await
        .unwrap_err();
    assert_eq!(bad_status.error_type(), "InvalidParameterException");
    // Another user's device is not found.
    f.user_with_mfa("fay").await;
    let fay = f
        .first_device_sign_in("fay", &MemoryDeviceStore::new())
        .await;
    let (kind, _) = cognito_error(f.client.get_device(&fay.access_token, &key_one).await);
    assert_eq!(kind, "ResourceNotFoundException");

    // Forgotten: gone from the list, and a sign-in with it is refused.
    f.client.forget_device(access, &key_one).await.unwrap();
    let left = f.client.list_devices(access, None, None).await.unwrap();
    assert_eq!(left.devices.len(), 1);
    assert_eq!(left.devices[0].device_key, key_two);
    let (kind, _) = cognito_error(
        f.client
            .sign_in_srp_with_device("eve", &secret(PASSWORD), &store)
            .await,
    );
    assert_eq!(kind, "ResourceNotFoundException");
}

#[tokio::test]
async fn refresh_needs_the_device_key() {
    let f = fixture(|b| {
        b.device_tracking(DeviceTracking::Always)
            .refresh_token_rotation(true)
    })
    .await;
    f.user_with_mfa("gus").await;
    let store = MemoryDeviceStore::new();
    let first = f.first_device_sign_in("gus", &store).await;
    let device = store.get("gus").unwrap();
    let refresh_token = first.refresh_token.clone().unwrap();
    // Without the device key: "Invalid Refresh Token", as users report.
    let (kind, message) = cognito_error(f.client.refresh(&refresh_token).await);
    assert_eq!(
        (kind.as_str(), message.as_str()),
        ("NotAuthorizedException", "Invalid Refresh Token")
    );
    let refreshed = f
        .client
        .refresh_with_device(&refresh_token, "gus", &store)
        .await
        .unwrap();
    assert_eq!(
        payload(&refreshed.access_token)["device_key"],
        json!(device.device_key)
    );
    refreshed.verify_access(&f.layer).unwrap();
    // Another user's store entry (none) refreshes without a key: refused.
    let (kind, _) = cognito_error(
        f.client
            .refresh_with_device(refreshed.refresh_token.as_ref().unwrap(), "nobody", &store)
            .await,
    );
    assert_eq!(kind, "NotAuthorizedException");
    // A wrong key is refused too.
    let wrong = f
        .pool
        .call(
            "GetTokensFromRefreshToken",
            &json!({
                "ClientId": f.pool.client_id(),
                "RefreshToken": refreshed.refresh_token.as_ref().unwrap().expose(),
                "DeviceKey": "us-east-1_00000000-0000-4000-8000-000000000000",
            }),
        )
        .await
        .unwrap_err();
    assert_eq!(wrong.error_type(), "NotAuthorizedException");
    // Once the device is forgotten, its refresh tokens stop working.
    f.client
        .forget_device(&refreshed.access_token, &device.device_key)
        .await
        .unwrap();
    let (kind, _) = cognito_error(
        f.client
            .refresh_with_device(refreshed.refresh_token.as_ref().unwrap(), "gus", &store)
            .await,
    );
    assert_eq!(kind, "NotAuthorizedException");
}

#[tokio::test]
async fn refresh_token_auth_needs_the_device_key() {
    let f = fixture(|b| b.device_tracking(DeviceTracking::Always)).await;
    f.pool.create_user("hal", PASSWORD, &[]).await.unwrap();
    let store = MemoryDeviceStore::new();
    let first = tokens(
        f.client
            .sign_in_srp_with_device("hal", &secret(PASSWORD), &store)
            .await
            .unwrap(),
    );
    let new_device = first.new_device.clone().unwrap();
    let refresh_token = first.refresh_token.clone().unwrap();
    let (kind, _) = cognito_error(f.client.refresh_token_auth(&refresh_token, None).await);
    assert_eq!(kind, "NotAuthorizedException");
    let answer = f
        .pool
        .call(
            "InitiateAuth",
            &json!({
                "AuthFlow": "REFRESH_TOKEN_AUTH",
                "ClientId": f.pool.client_id(),
                "AuthParameters": {
                    "REFRESH_TOKEN": refresh_token.expose(),
                    "DEVICE_KEY": new_device.device_key,
                },
            }),
        )
        .await
        .unwrap();
    assert!(answer["AuthenticationResult"]["AccessToken"].is_string());
}

#[tokio::test]
async fn an_alias_sign_in_finds_the_device_under_the_internal_name() {
    let f = fixture(|b| b.email_alias(true).device_tracking(DeviceTracking::Always)).await;
    f.pool
        .create_user("ida-internal", PASSWORD, &[("email", "ida@example.com")])
        .await
        .unwrap();
    let store = MemoryDeviceStore::new();
    let first = tokens(
        f.client
            .sign_in_srp_with_device("ida@example.com", &secret(PASSWORD), &store)
            .await
            .unwrap(),
    );
    f.client
        .remember_new_device(&first, &store, None)
        .await
        .unwrap()
        .unwrap();
    let device = store
        .get("ida-internal")
        .expect("stored under the internal name");
    let second = tokens(
        f.client
            .sign_in_srp_with_device("ida@example.com", &secret(PASSWORD), &store)
            .await
            .unwrap(),
    );
    assert!(second.new_device.is_none());
    assert_eq!(
        payload(&second.access_token)["device_key"],
        json!(device.device_key)
    );
}

#[tokio::test]
async fn device_challenges_are_checked() {
    let f = fixture(|b| b.device_tracking(DeviceTracking::Always)).await;
    f.user_with_mfa("jo").await;
    let store = MemoryDeviceStore::new();
    f.first_device_sign_in("jo", &store).await;
    let device = store.get("jo").unwrap();
    // Reach DEVICE_SRP_AUTH by hand (a password sign-in with the device key).
    let start = |pool: LocalUserPool, key: String| async move {
        let answer = pool
            .call(
                "InitiateAuth",
                &json!({
                    "AuthFlow": "USER_PASSWORD_AUTH",
                    "ClientId": pool.client_id(),
                    "AuthParameters": { "USERNAME": "jo", "PASSWORD": PASSWORD, "DEVICE_KEY": key },
                }),
            )
            .await
            .unwrap();
        assert_eq!(answer["ChallengeName"], json!("DEVICE_SRP_AUTH"));
        answer["Session"].as_str().unwrap().to_owned()
    };
    let respond = |name: &str, session: &str, responses: Value| {
        json!({
            "ChallengeName": name,
            "ClientId": f.pool.client_id(),
            "Session": session,
            "ChallengeResponses": responses,
        })
    };
    let srp_a = tower_cognito_client::srp::SrpClient::for_device(&device.device_group_key)
        .unwrap()
        .srp_a_hex();
    // Another device key than the session's: refused, and the session is spent.
    let session = start(f.pool.clone(), device.device_key.clone()).await;
    let body = respond(
        "DEVICE_SRP_AUTH",
        &session,
        json!({ "USERNAME": "jo", "DEVICE_KEY": "us-east-1_other", "SRP_A": srp_a }),
    );
    let error = f
        .pool
        .call("RespondToAuthChallenge", &body)
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "NotAuthorizedException");
    let body = respond(
        "DEVICE_SRP_AUTH",
        &session,
        json!({ "USERNAME": "jo", "DEVICE_KEY": device.device_key, "SRP_A": srp_a }),
    );
    let error = f
        .pool
        .call("RespondToAuthChallenge", &body)
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "NotAuthorizedException");
    // A DEVICE_PASSWORD_VERIFIER answer with a forged signature, then its replay.
    let session = start(f.pool.clone(), device.device_key.clone()).await;
    let body = respond(
        "DEVICE_SRP_AUTH",
        &session,
        json!({ "USERNAME": "jo", "DEVICE_KEY": device.device_key, "SRP_A": srp_a }),
    );
    let verifier = f.pool.call("RespondToAuthChallenge", &body).await.unwrap();
    assert_eq!(verifier["ChallengeName"], json!("DEVICE_PASSWORD_VERIFIER"));
    for key in ["SALT", "SRP_B", "SECRET_BLOCK", "USERNAME"] {
        assert!(verifier["ChallengeParameters"][key].is_string(), "{key}");
    }
    let session = verifier["Session"].as_str().unwrap();
    let forged = respond(
        "DEVICE_PASSWORD_VERIFIER",
        session,
        json!({
            "USERNAME": "jo",
            "DEVICE_KEY": device.device_key,
            "PASSWORD_CLAIM_SECRET_BLOCK": verifier["ChallengeParameters"]["SECRET_BLOCK"],
            "PASSWORD_CLAIM_SIGNATURE": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "TIMESTAMP": tower_cognito_client::srp::cognito_timestamp(f.clock.now()),
        }),
    );
    for _ in 0..2 {
        let error = f
            .pool
            .call("RespondToAuthChallenge", &forged)
            .await
            .unwrap_err();
        assert_eq!(error.error_type(), "NotAuthorizedException");
    }
    // DEVICE_SRP_AUTH is not an answer to an MFA session.
    let step = f.client.sign_in_srp("jo", &secret(PASSWORD)).await.unwrap();
    let mfa = challenge(step);
    let body = respond(
        "DEVICE_SRP_AUTH",
        mfa.session().expose(),
        json!({ "USERNAME": "jo", "DEVICE_KEY": device.device_key, "SRP_A": srp_a }),
    );
    let error = f
        .pool
        .call("RespondToAuthChallenge", &body)
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "InvalidParameterException");
}

#[tokio::test]
async fn a_device_srp_auth_without_a_stored_device_is_a_store_error() {
    let f = fixture(|b| b.device_tracking(DeviceTracking::Always)).await;
    f.user_with_mfa("kim").await;
    let store = MemoryDeviceStore::new();
    f.first_device_sign_in("kim", &store).await;
    let device = store.get("kim").unwrap();
    let answer = f
        .pool
        .call(
            "InitiateAuth",
            &json!({
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": f.pool.client_id(),
                "AuthParameters": { "USERNAME": "kim", "PASSWORD": PASSWORD, "DEVICE_KEY": device.device_key },
            }),
        )
        .await
        .unwrap();
    let challenge = Challenge::from_parts(
        "DEVICE_SRP_AUTH",
        secret(answer["Session"].as_str().unwrap()),
        "kim",
    );
    let empty = MemoryDeviceStore::new();
    let error = f
        .client
        .respond_to_challenge_with_device(
            &challenge,
            &ChallengeAnswer::Responses(Default::default()),
            &empty,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), ClientErrorKind::DeviceStore),
        "{error}"
    );
    // The same challenge answered with the device signs in.
    let signed_in = tokens(
        f.client
            .answer_device_srp(&challenge, &device)
            .await
            .unwrap(),
    );
    signed_in.verify_access(&f.layer).unwrap();
    // answer_device_srp answers DEVICE_SRP_AUTH only.
    let other = Challenge::from_parts("SMS_MFA", secret("s"), "kim");
    let error = f
        .client
        .answer_device_srp(&other, &device)
        .await
        .unwrap_err();
    assert!(matches!(error.kind(), ClientErrorKind::InvalidInput(_)));
}
