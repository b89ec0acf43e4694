//! The command line's MFA: `mfa totp-setup`, `mfa totp-verify`, `mfa set`, `mfa factors`, and a
//! sign-in that chooses among several methods (`respond --challenge SELECT_MFA_TYPE`).

use tower_cognito::clock::{Clock as _, SystemClock};
use tower_cognito_client::test_util::totp_code;

use super::{PASSWORD, Pool, check_tokens};

#[tokio::test]
async fn mfa_setup_preference_and_choice() {
    let p = Pool::new(None).await;
    p.pool
        .create_user(
            "carol",
            PASSWORD,
            &[
                ("email", "carol@example.com"),
                ("phone_number", "+15555550199"),
            ],
        )
        .await
        .unwrap();
    let tokens = p
        .run(&["login", "--username", "carol", "--password", PASSWORD])
        .await
        .json();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let with_token = |args: &[&str]| {
        let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        all.extend(["--access-token".to_owned(), access.clone()]);
        all
    };
    let run = |args: Vec<String>| {
        let p = &p;
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            p.run(&args).await
        }
    };

    // TOTP: the secret, then a code of it.
    let setup = run(with_token(&["mfa", "totp-setup"])).await.json();
    let secret = setup["secret_code"].as_str().unwrap().to_owned();
    let code = totp_code(&secret, SystemClock.now()).unwrap();
    let verified = run(with_token(&["mfa", "totp-verify", "--code", &code]))
        .await
        .json();
    assert_eq!(verified["status"], "SUCCESS");

    // Verified, not on yet: turn TOTP and SMS on, none preferred.
    let factors = run(with_token(&["mfa", "factors"])).await.json();
    assert_eq!(factors["mfa_settings"], serde_json::json!([]), "{factors}");
    assert_eq!(
        run(with_token(&["mfa", "set", "--totp", "on", "--sms", "on"]))
            .await
            .json(),
        serde_json::json!({})
    );
    let factors = run(with_token(&["mfa", "factors"])).await.json();
    assert_eq!(factors["username"], "carol");
    assert_eq!(
        factors["mfa_settings"],
        serde_json::json!(["SOFTWARE_TOKEN_MFA", "SMS_MFA"])
    );
    assert!(factors["preferred_mfa"].is_null(), "{factors}");
    assert_eq!(
        factors["configured_factors"],
        serde_json::json!(["PASSWORD", "SOFTWARE_TOKEN"])
    );

    // The sign-in lets carol choose; she takes SMS.
    let challenge = p
        .run(&["login", "--username", "carol", "--password", PASSWORD])
        .await
        .json();
    assert_eq!(challenge["challenge"], "SELECT_MFA_TYPE");
    assert_eq!(
        challenge["parameters"]["MFAS_CAN_CHOOSE"],
        serde_json::json!(["SOFTWARE_TOKEN_MFA", "SMS_MFA"])
    );
    let session = challenge["session"].as_str().unwrap();
    let respond = |name: &str, session: &str, flag: &str, value: &str| {
        let args: Vec<String> = [
            "respond",
            "--challenge",
            name,
            "--session",
            session,
            "--username",
            "carol",
            flag,
            value,
        ]
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
        run(args)
    };
    let sms = respond("SELECT_MFA_TYPE", session, "--answer", "SMS_MFA")
        .await
        .json();
    assert_eq!(sms["challenge"], "SMS_MFA", "{sms}");
    let sms_session = sms["session"].as_str().unwrap().to_owned();
    check_tokens(
        &respond("SMS_MFA", &sms_session, "--code", &p.code("carol"))
            .await
            .json(),
    );

    // Email preferred: asked at once, answered with --code like the other MFA codes.
    run(with_token(&["mfa", "set", "--email", "preferred"]))
        .await
        .json();
    let challenge = p
        .run(&["login", "--username", "carol", "--password", PASSWORD])
        .await
        .json();
    assert_eq!(challenge["challenge"], "EMAIL_OTP", "{challenge}");
    let session = challenge["session"].as_str().unwrap().to_owned();
    check_tokens(
        &respond("EMAIL_OTP", &session, "--code", &p.code("carol"))
            .await
            .json(),
    );

    // Usage errors, nothing sent: no method named; two preferred.
    run(with_token(&["mfa", "set"]))
        .await
        .usage_error("at least one of --sms, --totp, --email");
    run(with_token(&[
        "mfa",
        "set",
        "--sms",
        "preferred",
        "--totp",
        "preferred",
    ]))
    .await
    .usage_error("at most one MFA method can be preferred");
    run(with_token(&["mfa", "set", "--sms", "maybe"]))
        .await
        .usage_error("maybe");
    // Cognito's refusal: a user without a phone number cannot have SMS MFA.
    p.pool
        .create_user("dave", PASSWORD, &[("email", "dave@example.com")])
        .await
        .unwrap();
    let dave = p
        .run(&["login", "--username", "dave", "--password", PASSWORD])
        .await
        .json();
    let dave_token = dave["access_token"].as_str().unwrap();
    p.run(&["mfa", "set", "--sms", "on", "--access-token", dave_token])
        .await
        .cognito_error(
            "error: InvalidParameterException: User does not have delivery config set to turn on SMS_MFA",
        );
}
