//! The command line's choice-based sign-in (`login --user-auth`, `respond --answer`), sign-in
//! after `confirm --sign-in`, and `passkey register|list|delete`, with the software
//! authenticator answering the options the example prints.

use serde_json::Value;
use tower_cognito_client::test_util::{LocalUserPool, SoftwareAuthenticator};

use super::{PASSWORD, Pool, Run, WRONG_PASSWORD, check_tokens};

const RP_ID: &str = "app.example.com";
const ORIGIN: &str = "https://app.example.com";

async fn user_auth_pool() -> Pool {
    let p = Pool::from_builder(
        LocalUserPool::builder()
            .allowed_first_auth_factors(["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"])
            .web_authn_relying_party(RP_ID, ORIGIN),
    )
    .await;
    p.pool
        .create_user(
            "alice",
            PASSWORD,
            &[
                ("email", "alice@example.com"),
                ("phone_number", "+15555550100"),
            ],
        )
        .await
        .unwrap();
    p
}

fn session(challenge: &Value) -> String {
    challenge["session"].as_str().unwrap().to_owned()
}

/// `respond --challenge NAME --session (the challenge's) --username alice --answer ANSWER`.
async fn respond(p: &Pool, name: &str, challenge: &Value, answer: &str) -> Run {
    p.run(&[
        "respond",
        "--challenge",
        name,
        "--session",
        &session(challenge),
        "--username",
        "alice",
        "--answer",
        answer,
    ])
    .await
}

#[tokio::test]
async fn login_user_auth_and_respond_with_answers() {
    let p = user_auth_pool().await;

    // SELECT_CHALLENGE, then EMAIL_OTP with a wrong code, then the right one.
    let select = p
        .run(&["login", "--username", "alice", "--user-auth"])
        .await
        .json();
    assert_eq!(select["challenge"], "SELECT_CHALLENGE");
    assert_eq!(
        select["parameters"]["AvailableChallenges"],
        serde_json::json!(["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP"])
    );
    let otp = p
        .run(&[
            "respond",
            "--challenge",
            "SELECT_CHALLENGE",
            "--session",
            &session(&select),
            "--username",
            "alice",
            "--answer",
            "EMAIL_OTP",
        ])
        .await
        .json();
    assert_eq!(otp["challenge"], "EMAIL_OTP");
    assert_eq!(otp["parameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"], "EMAIL");
    let code = p.code("alice");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    respond(&p, "EMAIL_OTP", &otp, wrong)
        .await
        .cognito_error("error: CodeMismatchException: Invalid code received for user");
    check_tokens(&respond(&p, "EMAIL_OTP", &otp, &code).await.json());

    // Straight to SMS_OTP.
    let otp = p
        .run(&[
            "login",
            "--username",
            "alice",
            "--user-auth",
            "--preferred",
            "SMS_OTP",
        ])
        .await
        .json();
    assert_eq!(otp["challenge"], "SMS_OTP");
    let tokens = p
        .run(&[
            "respond",
            "--challenge",
            "SMS_OTP",
            "--session",
            &session(&otp),
            "--username",
            "alice",
            "--answer",
            &p.code("alice"),
        ])
        .await
        .json();
    check_tokens(&tokens);

    // Passwords, preferred or selected.
    for factor in ["PASSWORD", "PASSWORD_SRP"] {
        let args = [
            "login",
            "--username",
            "alice",
            "--user-auth",
            "--preferred",
            factor,
            "--password",
        ];
        check_tokens(&p.run(&[&args[..], &[PASSWORD]].concat()).await.json());
        p.run(&[&args[..], &[WRONG_PASSWORD]].concat())
            .await
            .cognito_error("error: NotAuthorizedException: Incorrect username or password.");
        let select = p
            .run(&["login", "--username", "alice", "--user-auth"])
            .await
            .json();
        let tokens = p
            .run(&[
                "respond",
                "--challenge",
                "SELECT_CHALLENGE",
                "--session",
                &session(&select),
                "--username",
                "alice",
                "--answer",
                factor,
                "--password",
                PASSWORD,
            ])
            .await
            .json();
        check_tokens(&tokens);
    }
}

#[tokio::test]
async fn user_auth_usage_errors_exit_2() {
    let p = user_auth_pool().await;
    let login = ["login", "--username", "alice", "--user-auth", "--preferred"];
    p.run(&[&login[..], &["EMAIL_MFA"]].concat())
        .await
        .usage_error("EMAIL_MFA");
    p.run(&[&login[..], &["PASSWORD"]].concat())
        .await
        .usage_error("PASSWORD needs --password");
    p.run(&["login", "--username", "alice", "--preferred", "EMAIL_OTP"])
        .await
        .usage_error("--user-auth");
    p.run(&["login", "--username", "alice"])
        .await
        .usage_error("--password");
    p.run(&[
        "login",
        "--username",
        "alice",
        "--user-auth",
        "--srp",
        "--password",
        PASSWORD,
    ])
    .await
    .usage_error("--srp");
    let select = [
        "respond",
        "--challenge",
        "SELECT_CHALLENGE",
        "--session",
        "a-session-of-twenty-chars-or-more",
        "--username",
        "alice",
    ];
    p.run(&[&select[..], &["--answer", "EMAIL_MFA"]].concat())
        .await
        .usage_error("SELECT_CHALLENGE is answered with");
    p.run(&[&select[..], &["--answer", "PASSWORD_SRP"]].concat())
        .await
        .usage_error("PASSWORD_SRP needs --password");
    p.run(&select).await.usage_error("--answer");
    p.run(&[
        "respond",
        "--challenge",
        "WEB_AUTHN",
        "--session",
        "a-session-of-twenty-chars-or-more",
        "--username",
        "alice",
        "--answer",
        "not json",
    ])
    .await
    .usage_error("not a JSON object");
    p.run(&[
        "passkey",
        "register",
        "--access-token",
        "t",
        "--credential",
        "{",
    ])
    .await
    .usage_error("--credential");
}

#[tokio::test]
async fn confirm_sign_in_uses_the_session_of_the_confirmation() {
    let p = user_auth_pool().await;
    p.run(&[
        "sign-up",
        "--username",
        "bob",
        "--password",
        PASSWORD,
        "--attr",
        "email=bob@example.com",
    ])
    .await
    .json();
    let tokens = p
        .run(&[
            "confirm",
            "--username",
            "bob",
            "--code",
            &p.code("bob"),
            "--sign-in",
        ])
        .await
        .json();
    check_tokens(&tokens);
}

#[tokio::test]
async fn passkeys_register_sign_in_list_and_delete() {
    let p = user_auth_pool().await;
    let tokens = p
        .run(&[
            "login",
            "--username",
            "alice",
            "--user-auth",
            "--preferred",
            "PASSWORD",
            "--password",
            PASSWORD,
        ])
        .await
        .json();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let started = p
        .run(&["passkey", "register", "--access-token", &access])
        .await
        .json();
    let mut authenticator = SoftwareAuthenticator::new(ORIGIN).unwrap();
    let credential = authenticator
        .register(&started["credential_creation_options"])
        .unwrap();
    let done = p
        .run(&[
            "passkey",
            "register",
            "--access-token",
            &access,
            "--credential",
            &credential.to_string(),
        ])
        .await
        .json();
    assert_eq!(done, serde_json::json!({}));
    let list = p
        .run(&["passkey", "list", "--access-token", &access])
        .await
        .json();
    assert_eq!(
        list["credentials"][0]["credential_id"],
        authenticator.credential_id()
    );
    assert_eq!(list["credentials"][0]["relying_party_id"], RP_ID);
    assert_eq!(list["next_token"], Value::Null);

    let sign_in = |authenticator: &mut SoftwareAuthenticator, challenge: &Value| {
        let options = challenge["parameters"]["CREDENTIAL_REQUEST_OPTIONS"]
            .as_str()
            .unwrap();
        authenticator.sign_in(options).unwrap()
    };
    let login = [
        "login",
        "--username",
        "alice",
        "--user-auth",
        "--preferred",
        "WEB_AUTHN",
    ];
    let challenge = p.run(&login).await.json();
    assert_eq!(challenge["challenge"], "WEB_AUTHN");
    let answer = sign_in(&mut authenticator, &challenge);
    check_tokens(&respond(&p, "WEB_AUTHN", &challenge, &answer).await.json());

    // From another origin: refused with the model's error.
    let challenge = p.run(&login).await.json();
    authenticator.set_origin("https://evil.example.com");
    let answer = sign_in(&mut authenticator, &challenge);
    assert_eq!(
        respond(&p, "WEB_AUTHN", &challenge, &answer)
            .await
            .error_type(),
        "WebAuthnOriginNotAllowedException"
    );

    let delete = [
        "passkey",
        "delete",
        "--access-token",
        &access,
        "--credential-id",
        &authenticator.credential_id(),
    ];
    assert_eq!(p.run(&delete).await.json(), serde_json::json!({}));
    assert_eq!(
        p.run(&delete).await.error_type(),
        "ResourceNotFoundException"
    );
}
