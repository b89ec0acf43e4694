//! `UserPoolClient` against wiremock (loopback only): the exact request of every operation
//! (method, path, `Content-Type`, `X-Amz-Target`, the whole JSON body, `SECRET_HASH` only with a
//! client secret and over the right user name, checked against an independent HMAC), the typed
//! parse of a realistic answer, the error mapping (every `__type` form, header fallback, 5xx,
//! non-JSON, oversized and incomplete answers, timeouts), refresh-token keeping, redaction, and
//! `Tokens::verify_*` with the crate's verifier.
//!
//! The SRP sign-in is tested in `src/tests.rs`, next to the crate-private SRP server side that
//! checks the client's proof.
//!
//! Run: `cargo test -p tower-cognito-client --test it client::`.

use std::collections::BTreeMap;
use std::error::Error as _;
use std::time::{Duration, SystemTime};

use aws_lc_rs::hmac;
use base64::Engine as _;
use serde_json::{Value, json};
use tower_cognito_client::{
    Attribute, AuthEventFeedback, AuthFactor, Challenge, ChallengeAnswer, ClientError,
    ClientErrorKind, CognitoErrorKind, MfaPreference, MfaSetting, MfaType, ProtocolError, Secret,
    SignIn, SignUpInput, SoftwareTokenAuth, Tokens, UserPoolClient,
};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const POOL: &str = "us-east-1_TestPool9";
const CLIENT_ID: &str = "3n4b5urk1ft4fl3mg5e62d9ado";
const CLIENT_SECRET: &str = "client-secret-1q2w3e4r5t6y7u8i9o0p";
const PASSWORD: &str = "Pa55w0rd-never-logged";
const NEW_PASSWORD: &str = "N3w-Pa55w0rd-never-logged";
const CODE: &str = "918273";
const ACCESS: &str = "eyJ.access-token-value.sig";
const ID: &str = "eyJ.id-token-value.sig";
const REFRESH: &str = "refresh-token-value-abcdef";
const SESSION: &str = "session-value-AYABeH";

/// Every value that must never show in `Debug` or `Display`.
const SECRETS: [&str; 9] = [
    CLIENT_SECRET,
    PASSWORD,
    NEW_PASSWORD,
    CODE,
    ACCESS,
    ID,
    REFRESH,
    SESSION,
    "JBSWY3DPEHPK3PXP",
];

/// Independent `SECRET_HASH`: base64(HMAC-SHA256(secret, username | client id)).
fn secret_hash(username: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, CLIENT_SECRET.as_bytes());
    let tag = hmac::sign(&key, format!("{username}{CLIENT_ID}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
}

fn assert_redacted(text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{secret:?} in {text}");
    }
}

/// A mock pool answering every request with `answer`.
async fn pool(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

async fn pool_json(body: Value) -> MockServer {
    pool(ResponseTemplate::new(200).set_body_json(body)).await
}

fn client(server: &MockServer, with_secret: bool) -> UserPoolClient {
    let builder = UserPoolClient::builder(POOL, CLIENT_ID).endpoint(server.uri());
    if with_secret {
        builder.client_secret(CLIENT_SECRET).build().unwrap()
    } else {
        builder.build().unwrap()
    }
}

/// The one request the server got, checked for method, path and headers; its JSON body.
async fn only_request(server: &MockServer, operation: &str) -> Value {
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "{operation}: requests");
    request_body(&requests[0], operation)
}

fn request_body(request: &wiremock::Request, operation: &str) -> Value {
    assert_eq!(request.method.as_str(), "POST", "{operation}");
    assert_eq!(request.url.path(), "/", "{operation}");
    assert_eq!(
        request.headers.get("content-type").unwrap(),
        "application/x-amz-json-1.1",
        "{operation}"
    );
    assert_eq!(
        request
            .headers
            .get("x-amz-target")
            .unwrap()
            .to_str()
            .unwrap(),
        format!("AWSCognitoIdentityProviderService.{operation}"),
    );
    assert!(
        request.headers.get("authorization").is_none(),
        "{operation}: no AWS signature"
    );
    serde_json::from_slice(&request.body).unwrap()
}

fn auth_result(refresh: bool) -> Value {
    let mut result = json!({
        "AccessToken": ACCESS,
        "IdToken": ID,
        "ExpiresIn": 3600,
        "TokenType": "Bearer"
    });
    if refresh {
        result["RefreshToken"] = json!(REFRESH);
    }
    json!({ "AuthenticationResult": result, "ChallengeParameters": {} })
}

fn code_delivery() -> Value {
    json!({"Destination": "a***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"})
}

fn check_code_delivery(delivery: &tower_cognito_client::CodeDelivery) {
    assert_eq!(delivery.destination.as_deref(), Some("a***@e***"));
    assert_eq!(delivery.delivery_medium.as_deref(), Some("EMAIL"));
    assert_eq!(delivery.attribute_name.as_deref(), Some("email"));
}

// ---------------------------------------------------------------------------------------------
// Sign-up and confirmation

#[tokio::test]
async fn sign_up_with_secret_attributes_and_metadata() {
    let server = pool_json(json!({
        "UserConfirmed": false,
        "UserSub": "5f2c1c9e-1111-4222-8333-444455556666",
        "CodeDeliveryDetails": code_delivery()
    }))
    .await;
    let input = SignUpInput::new("alice", PASSWORD)
        .attribute("email", "alice@example.com")
        .attribute("custom:tier", "gold")
        .client_metadata("source", "web");
    assert_redacted(&format!("{input:?}"));
    let out = client(&server, true).sign_up(&input).await.unwrap();
    assert_eq!(
        only_request(&server, "SignUp").await,
        json!({
            "ClientId": CLIENT_ID,
            "Username": "alice",
            "Password": PASSWORD,
            "SecretHash": secret_hash("alice"),
            "UserAttributes": [
                {"Name": "email", "Value": "alice@example.com"},
                {"Name": "custom:tier", "Value": "gold"}
            ],
            "ClientMetadata": {"source": "web"}
        })
    );
    assert!(!out.user_confirmed);
    assert_eq!(out.user_sub, "5f2c1c9e-1111-4222-8333-444455556666");
    check_code_delivery(out.code_delivery.as_ref().unwrap());
    assert!(out.session.is_none());
}

#[tokio::test]
async fn sign_up_without_secret_sends_only_what_is_given() {
    let server =
        pool_json(json!({"UserConfirmed": true, "UserSub": "sub-1", "Session": SESSION})).await;
    let out = client(&server, false)
        .sign_up(&SignUpInput::new("bob", PASSWORD))
        .await
        .unwrap();
    assert_eq!(
        only_request(&server, "SignUp").await,
        json!({"ClientId": CLIENT_ID, "Username": "bob", "Password": PASSWORD})
    );
    assert!(out.user_confirmed);
    assert!(out.code_delivery.is_none());
    assert_eq!(out.session.as_ref().unwrap().expose(), SESSION);
    assert_redacted(&format!("{out:?}"));
}

#[tokio::test]
async fn sign_up_answer_without_user_sub_is_a_protocol_error() {
    let server = pool_json(json!({"UserConfirmed": true})).await;
    let err = client(&server, false)
        .sign_up(&SignUpInput::new("bob", PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &ClientErrorKind::Protocol(ProtocolError::MissingField("UserSub"))
    );
}

#[tokio::test]
async fn confirm_sign_up() {
    for with_secret in [false, true] {
        let server = pool_json(json!({})).await;
        client(&server, with_secret)
            .confirm_sign_up("alice", &Secret::new(CODE))
            .await
            .unwrap();
        let mut expected =
            json!({"ClientId": CLIENT_ID, "Username": "alice", "ConfirmationCode": CODE});
        if with_secret {
            expected["SecretHash"] = json!(secret_hash("alice"));
        }
        assert_eq!(only_request(&server, "ConfirmSignUp").await, expected);
    }
}

#[tokio::test]
async fn resend_confirmation_code_and_forgot_password() {
    for (operation, with_secret) in [
        ("ResendConfirmationCode", false),
        ("ResendConfirmationCode", true),
        ("ForgotPassword", false),
        ("ForgotPassword", true),
    ] {
        let server = pool_json(json!({"CodeDeliveryDetails": code_delivery()})).await;
        let c = client(&server, with_secret);
        let delivery = if operation == "ForgotPassword" {
            c.forgot_password("alice").await.unwrap()
        } else {
            c.resend_confirmation_code("alice").await.unwrap()
        };
        check_code_delivery(&delivery);
        let mut expected = json!({"ClientId": CLIENT_ID, "Username": "alice"});
        if with_secret {
            expected["SecretHash"] = json!(secret_hash("alice"));
        }
        assert_eq!(only_request(&server, operation).await, expected);
    }
    // An answer without the delivery details.
    let server = pool_json(json!({})).await;
    let err = client(&server, false)
        .forgot_password("alice")
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &ClientErrorKind::Protocol(ProtocolError::MissingField("CodeDeliveryDetails"))
    );
}

#[tokio::test]
async fn confirm_forgot_password() {
    for with_secret in [false, true] {
        let server = pool(ResponseTemplate::new(200)).await;
        client(&server, with_secret)
            .confirm_forgot_password("alice", &Secret::new(CODE), &Secret::new(NEW_PASSWORD))
            .await
            .unwrap();
        let mut expected = json!({
            "ClientId": CLIENT_ID,
            "Username": "alice",
            "ConfirmationCode": CODE,
            "Password": NEW_PASSWORD
        });
        if with_secret {
            expected["SecretHash"] = json!(secret_hash("alice"));
        }
        assert_eq!(
            only_request(&server, "ConfirmForgotPassword").await,
            expected
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Sign-in and challenges

fn check_tokens(tokens: &Tokens, before: SystemTime, refresh: Option<&str>) {
    assert_eq!(tokens.access_token.expose(), ACCESS);
    assert_eq!(tokens.id_token.expose(), ID);
    assert_eq!(tokens.refresh_token.as_ref().map(Secret::expose), refresh);
    assert_eq!(tokens.expires_in, Duration::from_secs(3600));
    assert_eq!(tokens.token_type, "Bearer");
    let after = SystemTime::now();
    assert!(tokens.expires_at >= before + tokens.expires_in);
    assert!(tokens.expires_at <= after + tokens.expires_in);
    assert!(!tokens.is_expired_at(after));
    assert!(tokens.is_expired_at(after + Duration::from_secs(3601)));
    assert_redacted(&format!("{tokens:?}"));
}

#[tokio::test]
async fn sign_in_password() {
    for with_secret in [false, true] {
        let server = pool_json(auth_result(true)).await;
        let before = SystemTime::now();
        let signed_in = client(&server, with_secret)
            .sign_in_password("alice@example.com", &Secret::new(PASSWORD))
            .await
            .unwrap();
        let tokens = signed_in.tokens().unwrap();
        check_tokens(&tokens, before, Some(REFRESH));
        let mut parameters = json!({"USERNAME": "alice@example.com", "PASSWORD": PASSWORD});
        if with_secret {
            // InitiateAuth: over the name as typed.
            parameters["SECRET_HASH"] = json!(secret_hash("alice@example.com"));
        }
        assert_eq!(
            only_request(&server, "InitiateAuth").await,
            json!({
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": CLIENT_ID,
                "AuthParameters": parameters
            })
        );
    }
}

/// Signs in with a password on a pool that answers `challenge`; the challenge.
async fn challenge_of(challenge: Value) -> Challenge {
    let server = pool_json(challenge).await;
    let signed_in = client(&server, true)
        .sign_in_password("alice@example.com", &Secret::new(PASSWORD))
        .await
        .unwrap();
    signed_in.challenge().unwrap()
}

/// Answers `challenge` on a pool that answers with tokens; the request body.
async fn answer_body(challenge: &Challenge, answer: &ChallengeAnswer, with_secret: bool) -> Value {
    let server = pool_json(auth_result(true)).await;
    let next = client(&server, with_secret)
        .respond_to_challenge(challenge, answer)
        .await
        .unwrap();
    assert!(matches!(next, SignIn::Tokens(_)));
    only_request(&server, "RespondToAuthChallenge").await
}

#[tokio::test]
async fn new_password_required() {
    let challenge = challenge_of(json!({
        "ChallengeName": "NEW_PASSWORD_REQUIRED",
        "Session": SESSION,
        "ChallengeParameters": {
            "USER_ID_FOR_SRP": "internal-alice",
            "requiredAttributes": "[\"userAttributes.name\",\"userAttributes.family_name\"]",
            "userAttributes": "{\"email_verified\":\"true\",\"email\":\"alice@example.com\",\"phone_number_verified\":false}"
        }
    }))
    .await;
    assert_redacted(&format!("{challenge:?}"));
    assert_eq!(challenge.name(), "NEW_PASSWORD_REQUIRED");
    assert_eq!(challenge.session().expose(), SESSION);
    assert_eq!(challenge.username(), "internal-alice");
    let Challenge::NewPasswordRequired {
        required_attributes,
        user_attributes,
        ..
    } = &challenge
    else {
        panic!("{challenge:?}")
    };
    assert_eq!(required_attributes, &["name", "family_name"]);
    let mut attrs: Vec<(String, String)> = user_attributes
        .iter()
        .map(|a| (a.name.clone(), a.value.clone()))
        .collect();
    attrs.sort();
    assert_eq!(
        attrs,
        [
            ("email".into(), "alice@example.com".into()),
            ("email_verified".into(), "true".into()),
            ("phone_number_verified".into(), "false".into()),
        ]
    );

    let answer = ChallengeAnswer::NewPassword {
        password: Secret::new(NEW_PASSWORD),
        attributes: vec![
            Attribute::new("name", "Alice"),
            Attribute::new("family_name", "Liddell"),
        ],
    };
    assert_redacted(&format!("{answer:?}"));
    assert_eq!(
        answer_body(&challenge, &answer, true).await,
        json!({
            "ChallengeName": "NEW_PASSWORD_REQUIRED",
            "ClientId": CLIENT_ID,
            "Session": SESSION,
            "ChallengeResponses": {
                "USERNAME": "internal-alice",
                "NEW_PASSWORD": NEW_PASSWORD,
                "userAttributes.name": "Alice",
                "userAttributes.family_name": "Liddell",
                "SECRET_HASH": secret_hash("internal-alice")
            }
        })
    );
}

#[tokio::test]
async fn sms_and_software_token_mfa() {
    let sms = challenge_of(json!({
        "ChallengeName": "SMS_MFA",
        "Session": SESSION,
        "ChallengeParameters": {
            "CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
            "CODE_DELIVERY_DESTINATION": "+*******1234",
            "USER_ID_FOR_SRP": "internal-alice"
        }
    }))
    .await;
    let Challenge::SmsMfa {
        destination,
        delivery_medium,
        username,
        ..
    } = &sms
    else {
        panic!("{sms:?}")
    };
    assert_eq!(destination.as_deref(), Some("+*******1234"));
    assert_eq!(delivery_medium.as_deref(), Some("SMS"));
    assert_eq!(username, "internal-alice");
    assert_eq!(
        answer_body(&sms, &ChallengeAnswer::SmsMfaCode(Secret::new(CODE)), false).await,
        json!({
            "ChallengeName": "SMS_MFA",
            "ClientId": CLIENT_ID,
            "Session": SESSION,
            "ChallengeResponses": {"USERNAME": "internal-alice", "SMS_MFA_CODE": CODE}
        })
    );

    // No USERNAME nor USER_ID_FOR_SRP: the name the sign-in used.
    let totp = challenge_of(json!({
        "ChallengeName": "SOFTWARE_TOKEN_MFA",
        "Session": SESSION,
        "ChallengeParameters": {}
    }))
    .await;
    assert!(matches!(totp, Challenge::SoftwareTokenMfa { .. }));
    assert_eq!(totp.username(), "alice@example.com");
    assert_eq!(
        answer_body(
            &totp,
            &ChallengeAnswer::SoftwareTokenMfaCode(Secret::new(CODE)),
            true
        )
        .await,
        json!({
            "ChallengeName": "SOFTWARE_TOKEN_MFA",
            "ClientId": CLIENT_ID,
            "Session": SESSION,
            "ChallengeResponses": {
                "USERNAME": "alice@example.com",
                "SOFTWARE_TOKEN_MFA_CODE": CODE,
                "SECRET_HASH": secret_hash("alice@example.com")
            }
        })
    );
}

#[tokio::test]
async fn select_mfa_type() {
    let challenge = challenge_of(json!({
        "ChallengeName": "SELECT_MFA_TYPE",
        "Session": SESSION,
        "ChallengeParameters": {
            "MFAS_CAN_CHOOSE": "[\"SMS_MFA\",\"SOFTWARE_TOKEN_MFA\"]",
            "USERNAME": "internal-alice"
        }
    }))
    .await;
    let Challenge::SelectMfaType { options, .. } = &challenge else {
        panic!("{challenge:?}")
    };
    assert_eq!(options, &[MfaType::Sms, MfaType::SoftwareToken]);
    assert_eq!(
        answer_body(
            &challenge,
            &ChallengeAnswer::SelectMfaType(MfaType::SoftwareToken),
            false
        )
        .await,
        json!({
            "ChallengeName": "SELECT_MFA_TYPE",
            "ClientId": CLIENT_ID,
            "Session": SESSION,
            "ChallengeResponses": {"USERNAME": "internal-alice", "ANSWER": "SOFTWARE_TOKEN_MFA"}
        })
    );
}

#[tokio::test]
async fn mfa_setup_with_session() {
    let challenge = challenge_of(json!({
        "ChallengeName": "MFA_SETUP",
        "Session": SESSION,
        "ChallengeParameters": {"MFAS_CAN_SETUP": "[\"SOFTWARE_TOKEN_MFA\"]"}
    }))
    .await;
    let Challenge::MfaSetup {
        options, session, ..
    } = &challenge
    else {
        panic!("{challenge:?}")
    };
    assert_eq!(options, &[MfaType::SoftwareToken]);

    let server = pool_json(json!({"SecretCode": "JBSWY3DPEHPK3PXP", "Session": "session-2"})).await;
    let association = client(&server, false)
        .associate_software_token(SoftwareTokenAuth::Session(session))
        .await
        .unwrap();
    assert_redacted(&format!("{association:?}"));
    assert_eq!(association.secret_code.expose(), "JBSWY3DPEHPK3PXP");
    assert_eq!(
        only_request(&server, "AssociateSoftwareToken").await,
        json!({"Session": SESSION})
    );

    let server = pool_json(json!({"Status": "SUCCESS", "Session": "session-3"})).await;
    let verification = client(&server, false)
        .verify_software_token(
            SoftwareTokenAuth::Session(association.session.as_ref().unwrap()),
            &Secret::new(CODE),
            Some("phone"),
        )
        .await
        .unwrap();
    assert!(verification.is_success());
    assert_eq!(
        only_request(&server, "VerifySoftwareToken").await,
        json!({"Session": "session-2", "UserCode": CODE, "FriendlyDeviceName": "phone"})
    );

    let answer = ChallengeAnswer::MfaSetupDone {
        session: verification.session.unwrap(),
    };
    assert_eq!(
        answer_body(&challenge, &answer, true).await,
        json!({
            "ChallengeName": "MFA_SETUP",
            "ClientId": CLIENT_ID,
            "Session": "session-3",
            "ChallengeResponses": {
                "USERNAME": "alice@example.com",
                "SECRET_HASH": secret_hash("alice@example.com")
            }
        })
    );
}

#[tokio::test]
async fn unknown_challenges_keep_their_parameters() {
    let challenge = challenge_of(json!({
        "ChallengeName": "CUSTOM_CHALLENGE",
        "Session": SESSION,
        "ChallengeParameters": {"USERNAME": "internal-alice", "question": "2+2?", "x-new": "y"}
    }))
    .await;
    let Challenge::Other {
        name, parameters, ..
    } = &challenge
    else {
        panic!("{challenge:?}")
    };
    assert_eq!(name, "CUSTOM_CHALLENGE");
    assert_eq!(parameters.len(), 3);
    assert_eq!(parameters["question"].expose(), "2+2?");
    let answer =
        ChallengeAnswer::Responses(BTreeMap::from([("ANSWER".to_owned(), Secret::new("4"))]));
    assert_eq!(
        answer_body(&challenge, &answer, true).await,
        json!({
            "ChallengeName": "CUSTOM_CHALLENGE",
            "ClientId": CLIENT_ID,
            "Session": SESSION,
            "ChallengeResponses": {
                "USERNAME": "internal-alice",
                "ANSWER": "4",
                "SECRET_HASH": secret_hash("internal-alice")
            }
        })
    );

    // Unknown extra parameters of a known challenge are ignored.
    let challenge = challenge_of(json!({
        "ChallengeName": "SOFTWARE_TOKEN_MFA",
        "Session": SESSION,
        "ChallengeParameters": {"FRIENDLY_DEVICE_NAME": "phone", "something-new": "1"}
    }))
    .await;
    assert!(matches!(challenge, Challenge::SoftwareTokenMfa { .. }));
}

#[tokio::test]
async fn malformed_challenges_are_protocol_errors() {
    for (answer, expected) in [
        (
            json!({"ChallengeName": "SELECT_MFA_TYPE", "Session": SESSION,
                   "ChallengeParameters": {"MFAS_CAN_CHOOSE": "SMS_MFA"}}),
            ProtocolError::InvalidField("MFAS_CAN_CHOOSE"),
        ),
        (
            json!({"ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": SESSION,
                   "ChallengeParameters": {"requiredAttributes": "{}"}}),
            ProtocolError::InvalidField("requiredAttributes"),
        ),
        (
            json!({"ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": SESSION,
                   "ChallengeParameters": {"userAttributes": "[1]"}}),
            ProtocolError::InvalidField("userAttributes"),
        ),
        (
            json!({"ChallengeName": "SMS_MFA", "ChallengeParameters": {}}),
            ProtocolError::MissingField("Session"),
        ),
        // A parameter that is not a string.
        (
            json!({"ChallengeName": "SMS_MFA", "Session": SESSION, "ChallengeParameters": {"a": 1}}),
            ProtocolError::InvalidJson,
        ),
        // Neither tokens nor a challenge.
        (
            json!({"ChallengeParameters": {}}),
            ProtocolError::MissingField("AuthenticationResult"),
        ),
    ] {
        let server = pool_json(answer.clone()).await;
        let err = client(&server, false)
            .sign_in_password("alice", &Secret::new(PASSWORD))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &ClientErrorKind::Protocol(expected), "{answer}");
        assert_eq!(err.operation(), "InitiateAuth");
    }
}

#[tokio::test]
async fn an_answer_that_does_not_fit_is_not_sent() {
    let challenge = challenge_of(json!({
        "ChallengeName": "SMS_MFA", "Session": SESSION, "ChallengeParameters": {}
    }))
    .await;
    let server = pool_json(auth_result(true)).await;
    let err = client(&server, false)
        .respond_to_challenge(&challenge, &ChallengeAnswer::new_password(NEW_PASSWORD))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ClientErrorKind::InvalidInput(_)),
        "{err:?}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
    assert_redacted(&format!("{err} {err:?}"));
}

#[tokio::test]
async fn missing_authentication_result_fields() {
    for (missing, field) in [
        ("AccessToken", "AuthenticationResult.AccessToken"),
        ("IdToken", "AuthenticationResult.IdToken"),
        ("ExpiresIn", "AuthenticationResult.ExpiresIn"),
    ] {
        let mut answer = auth_result(true);
        answer["AuthenticationResult"]
            .as_object_mut()
            .unwrap()
            .remove(missing);
        let server = pool_json(answer).await;
        let err = client(&server, false)
            .sign_in_password("alice", &Secret::new(PASSWORD))
            .await
            .unwrap_err();
        assert_eq!(
            err.kind(),
            &ClientErrorKind::Protocol(ProtocolError::MissingField(field))
        );
    }
    // Without `ExpiresIn` (cognito-local omits it), the lifetime is the access token's own
    // `exp - iat`, read without verification.
    let mut answer = auth_result(true);
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({"iat": 1_700_000_000u64, "exp": 1_700_000_900u64}).to_string());
    let result = answer["AuthenticationResult"].as_object_mut().unwrap();
    result.remove("ExpiresIn");
    result.insert(
        "AccessToken".into(),
        json!(format!("eyJhbGciOiJSUzI1NiJ9.{payload}.sig")),
    );
    let server = pool_json(answer).await;
    let tokens = client(&server, false)
        .sign_in_password("alice", &Secret::new(PASSWORD))
        .await
        .unwrap()
        .tokens()
        .unwrap();
    assert_eq!(tokens.expires_in, Duration::from_secs(900));
    // Wrong types are not the expected JSON.
    for bad in [json!("3600"), json!(-1), json!(1.5)] {
        let mut answer = auth_result(true);
        answer["AuthenticationResult"]["ExpiresIn"] = bad;
        let server = pool_json(answer).await;
        let err = client(&server, false)
            .sign_in_password("alice", &Secret::new(PASSWORD))
            .await
            .unwrap_err();
        assert_eq!(
            err.kind(),
            &ClientErrorKind::Protocol(ProtocolError::InvalidJson)
        );
        assert!(err.source().is_some());
    }
    // A missing TokenType reads as Bearer.
    let mut answer = auth_result(false);
    answer["AuthenticationResult"]
        .as_object_mut()
        .unwrap()
        .remove("TokenType");
    let server = pool_json(answer).await;
    let tokens = client(&server, false)
        .sign_in_password("alice", &Secret::new(PASSWORD))
        .await
        .unwrap()
        .tokens()
        .unwrap();
    assert_eq!(tokens.token_type, "Bearer");
    assert!(tokens.refresh_token.is_none());
}

// ---------------------------------------------------------------------------------------------
// Refresh

#[tokio::test]
async fn refresh_token_auth_keeps_the_old_refresh_token() {
    let server = pool_json(auth_result(false)).await;
    let before = SystemTime::now();
    let old = Secret::new("old-refresh-token");
    let tokens = client(&server, false)
        .refresh_token_auth(&old, None)
        .await
        .unwrap();
    assert_eq!(
        tokens.refresh_token.as_ref().unwrap().expose(),
        "old-refresh-token"
    );
    assert_eq!(tokens.access_token.expose(), ACCESS);
    assert!(tokens.expires_at >= before + Duration::from_secs(3600));
    assert_eq!(
        only_request(&server, "InitiateAuth").await,
        json!({
            "AuthFlow": "REFRESH_TOKEN_AUTH",
            "ClientId": CLIENT_ID,
            "AuthParameters": {"REFRESH_TOKEN": "old-refresh-token"}
        })
    );

    // With a secret: SECRET_HASH over the Cognito user name the caller passes.
    let server = pool_json(auth_result(true)).await;
    let tokens = client(&server, true)
        .refresh_token_auth(&old, Some("7d3a2f4e-internal"))
        .await
        .unwrap();
    assert_eq!(tokens.refresh_token.as_ref().unwrap().expose(), REFRESH);
    assert_eq!(
        only_request(&server, "InitiateAuth").await,
        json!({
            "AuthFlow": "REFRESH_TOKEN_AUTH",
            "ClientId": CLIENT_ID,
            "AuthParameters": {
                "REFRESH_TOKEN": "old-refresh-token",
                "SECRET_HASH": secret_hash("7d3a2f4e-internal")
            }
        })
    );

    // With a secret and no user name: refused before sending.
    let server = pool_json(auth_result(true)).await;
    let err = client(&server, true)
        .refresh_token_auth(&old, None)
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ClientErrorKind::InvalidInput(_)));
    assert!(server.received_requests().await.unwrap().is_empty());

    // A challenge instead of tokens.
    let server = pool_json(json!({"ChallengeName": "SMS_MFA", "Session": SESSION})).await;
    let err = client(&server, false)
        .refresh_token_auth(&old, None)
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &ClientErrorKind::Protocol(ProtocolError::MissingField("AuthenticationResult"))
    );
}

#[tokio::test]
async fn refresh_uses_get_tokens_from_refresh_token() {
    for with_secret in [false, true] {
        let server = pool_json(auth_result(true)).await;
        let old = Secret::new("old-refresh-token");
        let tokens = client(&server, with_secret).refresh(&old).await.unwrap();
        assert_eq!(tokens.refresh_token.as_ref().unwrap().expose(), REFRESH);
        let mut expected = json!({"RefreshToken": "old-refresh-token", "ClientId": CLIENT_ID});
        if with_secret {
            // The raw secret, not a hash.
            expected["ClientSecret"] = json!(CLIENT_SECRET);
        }
        assert_eq!(
            only_request(&server, "GetTokensFromRefreshToken").await,
            expected
        );
    }
    let server = pool_json(auth_result(false)).await;
    let tokens = client(&server, false)
        .refresh(&Secret::new("old"))
        .await
        .unwrap();
    assert_eq!(tokens.refresh_token.unwrap().expose(), "old");
}

// ---------------------------------------------------------------------------------------------
// The signed-in user

#[tokio::test]
async fn get_user() {
    let server = pool_json(json!({
        "Username": "7d3a2f4e-internal",
        "UserAttributes": [
            {"Name": "sub", "Value": "7d3a2f4e-internal"},
            {"Name": "email", "Value": "alice@example.com"},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "empty"}
        ],
        "PreferredMfaSetting": "SOFTWARE_TOKEN_MFA",
        "UserMFASettingList": ["SOFTWARE_TOKEN_MFA"],
        "MFAOptions": []
    }))
    .await;
    let user = client(&server, true)
        .get_user(&Secret::new(ACCESS))
        .await
        .unwrap();
    assert_eq!(
        only_request(&server, "GetUser").await,
        json!({"AccessToken": ACCESS})
    );
    assert_eq!(user.username, "7d3a2f4e-internal");
    assert_eq!(user.attribute("email"), Some("alice@example.com"));
    assert_eq!(user.attribute("email_verified"), Some("true"));
    assert_eq!(user.attribute("empty"), Some(""));
    assert_eq!(user.attribute("nope"), None);
    assert_eq!(user.attributes.len(), 4);
    assert_eq!(user.preferred_mfa, Some(MfaType::SoftwareToken));
    assert_eq!(user.mfa_settings, [MfaType::SoftwareToken]);

    let server = pool_json(json!({"UserAttributes": []})).await;
    let err = client(&server, false)
        .get_user(&Secret::new(ACCESS))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &ClientErrorKind::Protocol(ProtocolError::MissingField("Username"))
    );
}

/// `SetUserMFAPreference` sends only the methods named, each as `{Enabled, PreferredMfa}`, under
/// the service's names (`SMSMfaSettings` with its capitals).
#[tokio::test]
async fn set_user_mfa_preference_sends_the_settings_named() {
    let server = pool_json(json!({})).await;
    client(&server, true)
        .set_user_mfa_preference(
            &Secret::new(ACCESS),
            &MfaPreference::new()
                .sms(MfaSetting::Enabled)
                .software_token(MfaSetting::Preferred)
                .email(MfaSetting::Disabled),
        )
        .await
        .unwrap();
    assert_eq!(
        only_request(&server, "SetUserMFAPreference").await,
        json!({
            "AccessToken": ACCESS,
            "SMSMfaSettings": {"Enabled": true, "PreferredMfa": false},
            "SoftwareTokenMfaSettings": {"Enabled": true, "PreferredMfa": true},
            "EmailMfaSettings": {"Enabled": false, "PreferredMfa": false}
        })
    );

    let server = pool_json(json!({})).await;
    client(&server, false)
        .set_user_mfa_preference(
            &Secret::new(ACCESS),
            &MfaPreference::new().email(MfaSetting::Preferred),
        )
        .await
        .unwrap();
    assert_eq!(
        only_request(&server, "SetUserMFAPreference").await,
        json!({
            "AccessToken": ACCESS,
            "EmailMfaSettings": {"Enabled": true, "PreferredMfa": true}
        })
    );

    // Two preferred methods never reach the service.
    let server = pool_json(json!({})).await;
    let err = client(&server, false)
        .set_user_mfa_preference(
            &Secret::new(ACCESS),
            &MfaPreference::new()
                .sms(MfaSetting::Preferred)
                .software_token(MfaSetting::Preferred),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ClientErrorKind::InvalidInput(_)),
        "{err:?}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// `UpdateAuthEventFeedback`: the pool id, user, event, token and value as the model names
/// them; an event id the model refuses is refused before any request.
#[tokio::test]
async fn update_auth_event_feedback() {
    let server = pool_json(json!({})).await;
    client(&server, true)
        .update_auth_event_feedback(
            "alice",
            "a1b2c3-d4_e5+f6",
            &Secret::new(CODE),
            AuthEventFeedback::Invalid,
        )
        .await
        .unwrap();
    assert_eq!(
        only_request(&server, "UpdateAuthEventFeedback").await,
        json!({
            "UserPoolId": POOL,
            "Username": "alice",
            "EventId": "a1b2c3-d4_e5+f6",
            "FeedbackToken": CODE,
            "FeedbackValue": "Invalid"
        })
    );
    let server = pool_json(json!({})).await;
    for event_id in ["", "a/b", "x y", &"e".repeat(51)] {
        let err = client(&server, false)
            .update_auth_event_feedback(
                "alice",
                event_id,
                &Secret::new(CODE),
                AuthEventFeedback::Valid,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err.kind(), ClientErrorKind::InvalidInput(_)),
            "{event_id}: {err:?}"
        );
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn get_user_auth_factors() {
    let server = pool_json(json!({
        "Username": "7d3a2f4e-internal",
        "PreferredMfaSetting": "EMAIL_OTP",
        "UserMFASettingList": ["SMS_MFA", "EMAIL_OTP"],
        "ConfiguredUserAuthFactors": ["PASSWORD", "WEB_AUTHN", "SOFTWARE_TOKEN", "FACE_SCAN"]
    }))
    .await;
    let factors = client(&server, true)
        .get_user_auth_factors(&Secret::new(ACCESS))
        .await
        .unwrap();
    assert_eq!(
        only_request(&server, "GetUserAuthFactors").await,
        json!({"AccessToken": ACCESS})
    );
    assert_eq!(factors.username, "7d3a2f4e-internal");
    assert_eq!(factors.preferred_mfa, Some(MfaType::Email));
    assert_eq!(factors.mfa_settings, [MfaType::Sms, MfaType::Email]);
    assert_eq!(
        factors.configured_factors,
        [
            AuthFactor::Password,
            AuthFactor::WebAuthn,
            AuthFactor::SoftwareToken,
            AuthFactor::Other("FACE_SCAN".to_owned())
        ]
    );

    // The lists are optional; the user name is not.
    let server = pool_json(json!({"Username": "kim"})).await;
    let factors = client(&server, false)
        .get_user_auth_factors(&Secret::new(ACCESS))
        .await
        .unwrap();
    assert!(factors.configured_factors.is_empty() && factors.mfa_settings.is_empty());
    let server = pool_json(json!({"ConfiguredUserAuthFactors": ["PASSWORD"]})).await;
    let err = client(&server, false)
        .get_user_auth_factors(&Secret::new(ACCESS))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &ClientErrorKind::Protocol(ProtocolError::MissingField("Username"))
    );
}

#[tokio::test]
async fn update_and_delete_user_attributes() {
    let server = pool_json(json!({"CodeDeliveryDetailsList": [code_delivery()]})).await;
    let deliveries = client(&server, true)
        .update_user_attributes(
            &Secret::new(ACCESS),
            &[
                Attribute::new("email", "new@example.com"),
                Attribute::new("name", "Alice"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 1);
    check_code_delivery(&deliveries[0]);
    assert_eq!(
        only_request(&server, "UpdateUserAttributes").await,
        json!({
            "AccessToken": ACCESS,
            "UserAttributes": [
                {"Name": "email", "Value": "new@example.com"},
                {"Name": "name", "Value": "Alice"}
            ]
        })
    );
    // No delivery list at all: none.
    let server = pool_json(json!({})).await;
    let deliveries = client(&server, false)
        .update_user_attributes(&Secret::new(ACCESS), &[Attribute::new("name", "A")])
        .await
        .unwrap();
    assert!(deliveries.is_empty());

    let server = pool_json(json!({})).await;
    client(&server, true)
        .delete_user_attributes(&Secret::new(ACCESS), &["custom:tier", "name"])
        .await
        .unwrap();
    assert_eq!(
        only_request(&server, "DeleteUserAttributes").await,
        json!({"AccessToken": ACCESS, "UserAttributeNames": ["custom:tier", "name"]})
    );
}

#[tokio::test]
async fn attribute_verification() {
    let server = pool_json(json!({"CodeDeliveryDetails": code_delivery()})).await;
    let delivery = client(&server, true)
        .get_user_attribute_verification_code(&Secret::new(ACCESS), "email")
        .await
        .unwrap();
    check_code_delivery(&delivery);
    assert_eq!(
        only_request(&server, "GetUserAttributeVerificationCode").await,
        json!({"AccessToken": ACCESS, "AttributeName": "email"})
    );

    let server = pool_json(json!({})).await;
    client(&server, true)
        .verify_user_attribute(&Secret::new(ACCESS), "email", &Secret::new(CODE))
        .await
        .unwrap();
    assert_eq!(
        only_request(&server, "VerifyUserAttribute").await,
        json!({"AccessToken": ACCESS, "AttributeName": "email", "Code": CODE})
    );
}

#[tokio::test]
async fn change_password() {
    let server = pool_json(json!({})).await;
    client(&server, true)
        .change_password(
            &Secret::new(ACCESS),
            &Secret::new(PASSWORD),
            &Secret::new(NEW_PASSWORD),
        )
        .await
        .unwrap();
    assert_eq!(
        only_request(&server, "ChangePassword").await,
        json!({"AccessToken": ACCESS, "PreviousPassword": PASSWORD, "ProposedPassword": NEW_PASSWORD})
    );
}

#[tokio::test]
async fn software_token_with_an_access_token() {
    let server = pool_json(json!({"SecretCode": "JBSWY3DPEHPK3PXP"})).await;
    let access = Secret::new(ACCESS);
    let association = client(&server, true)
        .associate_software_token(SoftwareTokenAuth::AccessToken(&access))
        .await
        .unwrap();
    assert!(association.session.is_none());
    assert_eq!(
        only_request(&server, "AssociateSoftwareToken").await,
        json!({"AccessToken": ACCESS})
    );

    let server = pool_json(json!({"Status": "ERROR"})).await;
    let verification = client(&server, true)
        .verify_software_token(
            SoftwareTokenAuth::AccessToken(&access),
            &Secret::new(CODE),
            None,
        )
        .await
        .unwrap();
    assert!(!verification.is_success());
    assert_eq!(verification.status, "ERROR");
    assert_eq!(
        only_request(&server, "VerifySoftwareToken").await,
        json!({"AccessToken": ACCESS, "UserCode": CODE})
    );

    for (answer, field) in [(json!({}), "SecretCode")] {
        let server = pool_json(answer).await;
        let err = client(&server, false)
            .associate_software_token(SoftwareTokenAuth::AccessToken(&access))
            .await
            .unwrap_err();
        assert_eq!(
            err.kind(),
            &ClientErrorKind::Protocol(ProtocolError::MissingField(field))
        );
    }
    let server = pool_json(json!({})).await;
    let err = client(&server, false)
        .verify_software_token(
            SoftwareTokenAuth::AccessToken(&access),
            &Secret::new(CODE),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &ClientErrorKind::Protocol(ProtocolError::MissingField("Status"))
    );
}

#[tokio::test]
async fn sign_out_revoke_and_delete() {
    // Empty bodies are fine.
    let server = pool(ResponseTemplate::new(200)).await;
    client(&server, true)
        .global_sign_out(&Secret::new(ACCESS))
        .await
        .unwrap();
    assert_eq!(
        only_request(&server, "GlobalSignOut").await,
        json!({"AccessToken": ACCESS})
    );

    let server = pool(ResponseTemplate::new(200)).await;
    client(&server, false)
        .delete_user(&Secret::new(ACCESS))
        .await
        .unwrap();
    assert_eq!(
        only_request(&server, "DeleteUser").await,
        json!({"AccessToken": ACCESS})
    );

    for with_secret in [false, true] {
        let server = pool_json(json!({})).await;
        client(&server, with_secret)
            .revoke_token(&Secret::new(REFRESH))
            .await
            .unwrap();
        let mut expected = json!({"Token": REFRESH, "ClientId": CLIENT_ID});
        if with_secret {
            expected["ClientSecret"] = json!(CLIENT_SECRET);
        }
        assert_eq!(only_request(&server, "RevokeToken").await, expected);
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

async fn error_of(answer: ResponseTemplate) -> ClientError {
    let server = pool(answer).await;
    client(&server, true)
        .sign_in_password("alice", &Secret::new(PASSWORD))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn cognito_error_types_are_parsed_defensively() {
    let json400 = |body: Value| ResponseTemplate::new(400).set_body_json(body);
    let cases = [
        (
            json400(
                json!({"__type": "NotAuthorizedException", "message": "Incorrect username or password."}),
            ),
            CognitoErrorKind::NotAuthorized,
            "NotAuthorizedException",
            "Incorrect username or password.",
        ),
        (
            json400(json!({
                "__type": "com.amazonaws.cognito.identityprovider.model#UserNotFoundException",
                "message": "User does not exist."
            })),
            CognitoErrorKind::UserNotFound,
            "UserNotFoundException",
            "User does not exist.",
        ),
        (
            json400(json!({
                "__type": "CodeMismatchException:http://internal.amazon.com/coral/com.amazon.coral.validate#",
                "Message": "Invalid verification code provided, please try again."
            })),
            CognitoErrorKind::CodeMismatch,
            "CodeMismatchException",
            "Invalid verification code provided, please try again.",
        ),
        (
            json400(json!({"code": "UsernameExistsException", "message": "User already exists"})),
            CognitoErrorKind::UsernameExists,
            "UsernameExistsException",
            "User already exists",
        ),
        (
            ResponseTemplate::new(400)
                .insert_header(
                    "x-amzn-errortype",
                    "ExpiredCodeException:http://internal.amazon.com/",
                )
                .set_body_string("not json"),
            CognitoErrorKind::ExpiredCode,
            "ExpiredCodeException",
            "",
        ),
        (
            ResponseTemplate::new(400)
                .insert_header("x-amzn-errortype", "InvalidPasswordException")
                .set_body_json(json!({"message": "Password did not conform with policy"})),
            CognitoErrorKind::InvalidPassword,
            "InvalidPasswordException",
            "Password did not conform with policy",
        ),
        (
            json400(json!({"__type": "aws#InvalidParameterException", "message": "m"})),
            CognitoErrorKind::InvalidParameter,
            "InvalidParameterException",
            "m",
        ),
        (
            json400(json!({"__type": "UserNotConfirmedException"})),
            CognitoErrorKind::UserNotConfirmed,
            "UserNotConfirmedException",
            "",
        ),
        (
            json400(json!({"__type": "PasswordResetRequiredException", "message": "m"})),
            CognitoErrorKind::PasswordResetRequired,
            "PasswordResetRequiredException",
            "m",
        ),
        (
            json400(json!({"__type": "LimitExceededException", "message": "m"})),
            CognitoErrorKind::LimitExceeded,
            "LimitExceededException",
            "m",
        ),
        (
            json400(json!({"__type": "TooManyRequestsException", "message": "Rate exceeded"})),
            CognitoErrorKind::TooManyRequests,
            "TooManyRequestsException",
            "Rate exceeded",
        ),
        (
            json400(json!({"__type": "TooManyFailedAttemptsException", "message": "m"})),
            CognitoErrorKind::TooManyFailedAttempts,
            "TooManyFailedAttemptsException",
            "m",
        ),
        (
            json400(json!({"__type": "ResourceNotFoundException", "message": "m"})),
            CognitoErrorKind::ResourceNotFound,
            "ResourceNotFoundException",
            "m",
        ),
        (
            json400(json!({"__type": "RefreshTokenReuseException", "message": "m"})),
            CognitoErrorKind::RefreshTokenReuse,
            "RefreshTokenReuseException",
            "m",
        ),
        (
            json400(json!({"__type": "AliasExistsException", "message": "m"})),
            CognitoErrorKind::AliasExists,
            "AliasExistsException",
            "m",
        ),
        (
            json400(json!({
                "__type": "com.amazonaws.cognito#WebAuthnOriginNotAllowedException",
                "message": "m"
            })),
            CognitoErrorKind::WebAuthnOriginNotAllowed,
            "WebAuthnOriginNotAllowedException",
            "m",
        ),
        (
            json400(json!({"__type": "SomeFutureException", "message": "m"})),
            CognitoErrorKind::Other,
            "SomeFutureException",
            "m",
        ),
        (
            ResponseTemplate::new(500).set_body_json(json!({
                "__type": "InternalErrorException", "message": "Internal server error"
            })),
            CognitoErrorKind::Other,
            "InternalErrorException",
            "Internal server error",
        ),
    ];
    for (answer, kind, type_name, message) in cases {
        let err = error_of(answer).await;
        assert_eq!(err.cognito_kind(), Some(kind), "{err:?}");
        assert!(err.is(kind));
        assert_eq!(err.type_name(), Some(type_name));
        assert_eq!(err.message(), Some(message));
        assert_eq!(err.operation(), "InitiateAuth");
        assert!(err.status().unwrap().is_client_error() || err.status().unwrap().is_server_error());
        let display = err.to_string();
        if message.is_empty() {
            assert_eq!(display, format!("InitiateAuth: {type_name}"));
        } else {
            assert_eq!(display, format!("InitiateAuth: {type_name}: {message}"));
        }
        assert_redacted(&format!("{err} {err:?}"));
    }
}

#[tokio::test]
async fn errors_without_a_type_and_malformed_answers() {
    // 5xx with no type.
    let err = error_of(ResponseTemplate::new(503).set_body_string("<html>busy</html>")).await;
    assert_eq!(
        err.kind(),
        &ClientErrorKind::Protocol(ProtocolError::ErrorStatus)
    );
    assert_eq!(err.status().unwrap().as_u16(), 503);
    assert_eq!(
        err.to_string(),
        "InitiateAuth: HTTP 503 with no Cognito error type"
    );
    assert_eq!(err.cognito_kind(), None);
    // 400 with an empty JSON object, and a redirect (never followed).
    let err = error_of(ResponseTemplate::new(400).set_body_json(json!({}))).await;
    assert_eq!(
        err.kind(),
        &ClientErrorKind::Protocol(ProtocolError::ErrorStatus)
    );
    let err = error_of(
        ResponseTemplate::new(302).insert_header("location", "http://127.0.0.1:1/elsewhere"),
    )
    .await;
    assert_eq!(
        err.kind(),
        &ClientErrorKind::Protocol(ProtocolError::ErrorStatus)
    );
    assert_eq!(err.status().unwrap().as_u16(), 302);
    // 200 with something that is not JSON, or not an object.
    for body in [
        "not json",
        "[1,2,3]",
        "null",
        "{\"AuthenticationResult\": 5}",
    ] {
        let err = error_of(ResponseTemplate::new(200).set_body_string(body)).await;
        assert_eq!(
            err.kind(),
            &ClientErrorKind::Protocol(ProtocolError::InvalidJson),
            "{body}"
        );
    }
    // Oversized answers, success or error, with or without a Content-Length.
    let huge = format!("{{\"x\": \"{}\"}}", "a".repeat(1024 * 1024));
    for status in [200, 400] {
        let err = error_of(ResponseTemplate::new(status).set_body_string(huge.clone())).await;
        assert_eq!(
            err.kind(),
            &ClientErrorKind::Protocol(ProtocolError::TooLarge { max: 1024 * 1024 })
        );
    }
}

/// Secret-looking values put into malformed answers; none may show at any level of an error.
const SECRET_BLOCK: &str = "U2VjcmV0QmxvY2stbm90LWZvci1sb2dz";
const SRP_B_DIGITS: &str = "8675309123456789";
const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXP";

/// Walks `err`'s whole source chain (bounded) and checks `Display` and `Debug` of every level
/// for every secret marker: the number of levels, and what showed where.
fn chain_leaks(err: &ClientError) -> (usize, Vec<String>) {
    let markers = SECRETS
        .iter()
        .copied()
        .chain([SECRET_BLOCK, SRP_B_DIGITS, TOTP_SECRET]);
    let mut leaks = Vec::new();
    let mut level: Option<&(dyn std::error::Error + 'static)> = Some(err);
    for depth in 0..16 {
        let Some(error) = level else {
            return (depth, leaks);
        };
        let text = format!("{error} | {error:?}");
        for marker in markers.clone() {
            if text.contains(marker) {
                leaks.push(format!("level {depth} shows {marker:?}: {text}"));
            }
        }
        level = error.source();
    }
    panic!("a source chain of more than 16 levels: {err:?}");
}

fn assert_chain_redacted(err: &ClientError, context: &str) -> usize {
    let (levels, leaks) = chain_leaks(err);
    assert!(leaks.is_empty(), "{context}: {leaks:#?}");
    levels
}

#[derive(Clone, Copy, Debug)]
enum Op {
    SignInPassword,
    SignInSrp,
    Refresh,
    GetTokensFromRefreshToken,
    GetUser,
    GetUserAuthFactors,
    AssociateSoftwareToken,
    VerifySoftwareToken,
    SignUp,
}

async fn call(op: Op, client: &UserPoolClient) -> Result<(), ClientError> {
    let password = Secret::new(PASSWORD);
    let token = Secret::new(ACCESS);
    let refresh = Secret::new(REFRESH);
    match op {
        Op::SignInPassword => client.sign_in_password("alice", &password).await.map(drop),
        Op::SignInSrp => client.sign_in_srp("alice", &password).await.map(drop),
        Op::Refresh => client
            .refresh_token_auth(&refresh, Some("alice"))
            .await
            .map(drop),
        Op::GetTokensFromRefreshToken => client.refresh(&refresh).await.map(drop),
        Op::GetUser => client.get_user(&token).await.map(drop),
        Op::GetUserAuthFactors => client.get_user_auth_factors(&token).await.map(drop),
        Op::AssociateSoftwareToken => client
            .associate_software_token(SoftwareTokenAuth::AccessToken(&token))
            .await
            .map(drop),
        Op::VerifySoftwareToken => client
            .verify_software_token(
                SoftwareTokenAuth::AccessToken(&token),
                &Secret::new(CODE),
                None,
            )
            .await
            .map(drop),
        Op::SignUp => client
            .sign_up(&SignUpInput::new("alice", password))
            .await
            .map(drop),
    }
}

#[derive(Clone, Copy, Debug)]
enum Expect {
    InvalidJson,
    Srp,
    Cognito(CognitoErrorKind),
    ErrorStatus,
}

/// Malformed answers of every operation family, each full of secret-looking values (tokens,
/// sessions, codes, SRP values, a TOTP secret): whatever the client reports, no level of the
/// error's source chain shows one, in `Display` or `Debug`.
#[tokio::test]
async fn no_error_level_shows_a_value_of_the_answer() {
    let fill = |template: &str| {
        template
            .replace("<ACCESS>", ACCESS)
            .replace("<ID>", ID)
            .replace("<REFRESH>", REFRESH)
            .replace("<SESSION>", SESSION)
            .replace("<CODE>", CODE)
            .replace("<SECRET_BLOCK>", SECRET_BLOCK)
            .replace("<SRP_B>", SRP_B_DIGITS)
            .replace("<TOTP>", TOTP_SECRET)
    };
    let cases: &[(Op, u16, &str, Option<&str>, Expect)] = &[
        // Sign-in results.
        (
            Op::SignInPassword,
            200,
            r#"{"AuthenticationResult":"<ACCESS>"}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::SignInPassword,
            200,
            r#"{"AuthenticationResult":{"AccessToken":"<ACCESS>","IdToken":"<ID>","RefreshToken":"<REFRESH>","ExpiresIn":"<ACCESS>"}}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::SignInPassword,
            200,
            r#"{"AuthenticationResult":{"AccessToken":"<ACCESS>","IdToken":["<ID>"],"RefreshToken":"<REFRESH>","ExpiresIn":3600}}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::SignInPassword,
            200,
            r#"{"AuthenticationResult":{"AccessToken":"<ACCESS>","IdToken":"<ID>","ExpiresIn":3600,"TokenType":{"t":"<REFRESH>"}}}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::SignInPassword,
            200,
            r#"{"AuthenticationResult":{"AccessToken":"<ACCESS>","IdToken":"<ID>","ExpiresIn":-<CODE>}}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::SignInPassword,
            200,
            r#"{"AuthenticationResult":{"AccessToken":"<ACCESS>","IdToken":"<ID>"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::SignInPassword,
            200,
            r#"{"AuthenticationResult":{"AccessToken":"<ACCESS>","IdToken":"<ID>","ExpiresIn":3600}} "<REFRESH>""#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::SignInPassword,
            200,
            r#"{"AuthenticationResult":{"AccessToken":"<ACCESS>\x","IdToken":"<ID>"}}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::SignInPassword,
            200,
            "<ACCESS>",
            None,
            Expect::InvalidJson,
        ),
        (
            Op::SignInPassword,
            200,
            r#"["<ACCESS>","<SESSION>"]"#,
            None,
            Expect::InvalidJson,
        ),
        // Challenges and their parameters, SRP included.
        (
            Op::SignInPassword,
            200,
            r#"{"ChallengeName":"SMS_MFA","Session":"<SESSION>","ChallengeParameters":"<SESSION>"}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::SignInPassword,
            200,
            r#"{"ChallengeName":<CODE>,"Session":"<SESSION>","ChallengeParameters":{}}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::SignInPassword,
            200,
            r#"{"ChallengeName":"SMS_MFA","Session":{"s":"<SESSION>"},"ChallengeParameters":{"CODE_DELIVERY_DESTINATION":"<CODE>"}}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::SignInPassword,
            200,
            r#"{"ChallengeName":"CUSTOM_CHALLENGE","Session":"<SESSION>","ChallengeParameters":{"answer":<CODE>}}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::SignInPassword,
            200,
            r#"{"ChallengeName":"CUSTOM_CHALLENGE","Session":"<SESSION>","ChallengeParameters":{"<ACCESS>":false}}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::SignInSrp,
            200,
            r#"{"ChallengeName":"PASSWORD_VERIFIER","Session":"<SESSION>","ChallengeParameters":{"SALT":"ab12","SRP_B":<SRP_B>,"SECRET_BLOCK":"<SECRET_BLOCK>","USER_ID_FOR_SRP":"alice"}}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::SignInSrp,
            200,
            r#"{"ChallengeName":"PASSWORD_VERIFIER","Session":"<SESSION>","ChallengeParameters":{"SALT":"ab12","SRP_B":"<SECRET_BLOCK>","SECRET_BLOCK":"<SECRET_BLOCK>","USER_ID_FOR_SRP":"alice"}}"#,
            None,
            Expect::Srp,
        ),
        (
            Op::SignInSrp,
            200,
            r#"{"ChallengeName":"PASSWORD_VERIFIER","Session":"<SESSION>","ChallengeParameters":{"SALT":"<ACCESS>","SRP_B":"<SRP_B>","SECRET_BLOCK":"<ACCESS>","USER_ID_FOR_SRP":"alice"}}"#,
            None,
            Expect::Srp,
        ),
        // Refresh.
        (
            Op::Refresh,
            200,
            r#"{"AuthenticationResult":"<REFRESH>"}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::Refresh,
            200,
            r#"{"AuthenticationResult":{"AccessToken":"<ACCESS>","IdToken":"<ID>","RefreshToken":<CODE>,"ExpiresIn":3600}}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::GetTokensFromRefreshToken,
            200,
            r#"{"AuthenticationResult":{"AccessToken":{"a":"<ACCESS>"},"IdToken":"<ID>","RefreshToken":"<REFRESH>"}}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::GetTokensFromRefreshToken,
            200,
            r#"{"AuthenticationResult":{"AccessToken":"<ACCESS>","IdToken":"<ID>","RefreshToken":"<REFRESH>","ExpiresIn":true}}"#,
            None,
            Expect::InvalidJson,
        ),
        // The user and TOTP setup.
        (
            Op::GetUser,
            200,
            r#"{"Username":"alice","UserAttributes":"<ACCESS>"}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::GetUser,
            200,
            r#"{"Username":"alice","UserAttributes":[{"Name":"custom:token","Value":{"v":"<ACCESS>"}}]}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::GetUser,
            200,
            r#"{"Username":"alice","UserAttributes":[{"Value":"<ACCESS>"}]}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::GetUser,
            200,
            r#"{"Username":<CODE>,"UserAttributes":[]}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::GetUser,
            200,
            r#"{"Username":"alice","UserAttributes":[],"UserMFASettingList":"<SESSION>"}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::GetUserAuthFactors,
            200,
            r#"{"Username":"alice","ConfiguredUserAuthFactors":"<ACCESS>"}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::GetUserAuthFactors,
            200,
            r#"{"Username":{"n":"<SESSION>"}}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::AssociateSoftwareToken,
            200,
            r#"{"SecretCode":{"Value":"<TOTP>"},"Session":"<SESSION>"}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::AssociateSoftwareToken,
            200,
            r#"{"SecretCode":"<TOTP>","Session":<SRP_B>}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::VerifySoftwareToken,
            200,
            r#"{"Status":"SUCCESS","Session":["<SESSION>"]}"#,
            None,
            Expect::InvalidJson,
        ),
        (
            Op::SignUp,
            200,
            r#"{"UserConfirmed":"<SESSION>","UserSub":"sub"}"#,
            None,
            Expect::InvalidJson,
        ),
        // Errors.
        (
            Op::SignInPassword,
            400,
            r#"{"__type":"NotAuthorizedException","message":{"token":"<ACCESS>"},"Session":"<SESSION>"}"#,
            None,
            Expect::Cognito(CognitoErrorKind::NotAuthorized),
        ),
        (
            Op::SignInPassword,
            400,
            r#"{"__type":"NotAuthorizedException","message":5,"AuthenticationResult":{"AccessToken":"<ACCESS>"}}"#,
            None,
            Expect::Cognito(CognitoErrorKind::NotAuthorized),
        ),
        (
            Op::SignInPassword,
            400,
            r#"{"__type":"CodeMismatchException","message":null,"ChallengeParameters":{"SECRET_BLOCK":"<SECRET_BLOCK>"}}"#,
            None,
            Expect::Cognito(CognitoErrorKind::CodeMismatch),
        ),
        (
            Op::SignInPassword,
            400,
            r#"{"__type":"<ACCESS>","message":"m"}"#,
            None,
            Expect::ErrorStatus,
        ),
        (
            Op::SignInPassword,
            400,
            r#"{"__type":<CODE>,"code":"<SESSION>"}"#,
            None,
            Expect::ErrorStatus,
        ),
        (
            Op::SignInPassword,
            500,
            "<html><ACCESS></html>",
            None,
            Expect::ErrorStatus,
        ),
        (
            Op::SignInPassword,
            400,
            r#"{"Session":"<SESSION>"}"#,
            Some("<REFRESH>"),
            Expect::ErrorStatus,
        ),
    ];
    let mut failures = Vec::new();
    let mut failing_cases = 0;
    for &(op, status, template, header, expect) in cases {
        let before = failures.len();
        let body = fill(template);
        let mut answer = ResponseTemplate::new(status).set_body_string(body.clone());
        if let Some(header) = header {
            answer = answer.insert_header("x-amzn-errortype", fill(header).as_str());
        }
        let server = pool(answer).await;
        let err = call(op, &client(&server, true)).await.unwrap_err();
        let context = format!("{op:?} {status} {body}");
        let fits = match (expect, err.kind()) {
            (Expect::InvalidJson, ClientErrorKind::Protocol(ProtocolError::InvalidJson))
            | (Expect::Srp, ClientErrorKind::Srp(_))
            | (Expect::ErrorStatus, ClientErrorKind::Protocol(ProtocolError::ErrorStatus)) => true,
            (Expect::Cognito(kind), _) => err.cognito_kind() == Some(kind),
            _ => false,
        };
        if !fits {
            failures.push(format!("{context}: expected {expect:?}, got {err:?}"));
        }
        let (levels, leaks) = chain_leaks(&err);
        failures.extend(leaks.into_iter().map(|leak| format!("{context}: {leak}")));
        // An answer that is not the expected JSON says where and what, one level down.
        if matches!(expect, Expect::InvalidJson) && levels != 2 {
            failures.push(format!("{context}: {levels} levels"));
        }
        failing_cases += usize::from(failures.len() > before);
    }
    assert!(
        failures.is_empty(),
        "{failing_cases} of {} cases fail:\n{}",
        cases.len(),
        failures.join("\n")
    );
}

/// `{"__type":"NotAuthorizedException","message":5}` and the other shapes of the message: the
/// type is read whatever the other members are; the message only when it is a string.
#[tokio::test]
async fn the_error_type_is_read_whatever_the_message_is() {
    for (body, message) in [
        (
            json!({"__type": "NotAuthorizedException", "message": 5}),
            "",
        ),
        (
            json!({"__type": "NotAuthorizedException", "message": {"a": [1]}}),
            "",
        ),
        (
            json!({"__type": "NotAuthorizedException", "message": null}),
            "",
        ),
        (
            json!({"__type": "NotAuthorizedException", "message": ["m"], "Message": "M"}),
            "M",
        ),
        (
            json!({"__type": "NotAuthorizedException", "extra": {"deep": [[[{}]]]}, "message": "m"}),
            "m",
        ),
    ] {
        let err = error_of(ResponseTemplate::new(400).set_body_json(&body)).await;
        assert_eq!(
            err.cognito_kind(),
            Some(CognitoErrorKind::NotAuthorized),
            "{body}: {err:?}"
        );
        assert_eq!(err.message(), Some(message), "{body}");
        let display = err.to_string();
        if message.is_empty() {
            assert_eq!(display, "InitiateAuth: NotAuthorizedException");
        } else {
            assert_eq!(
                display,
                format!("InitiateAuth: NotAuthorizedException: {message}")
            );
        }
    }
}

/// The application's own HTTP client follows redirects (to URLs with credentials and a token in
/// their query) until it gives up: reqwest's error then names the last URL it reached; the
/// client's error names no URL but the endpoint.
#[tokio::test]
async fn a_redirect_target_never_shows_in_the_error() {
    let server = MockServer::start().await;
    let target = format!(
        "http://admin:{PASSWORD}@{}/next?token={ACCESS}",
        server.address()
    );
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", target.as_str()))
        .mount(&server)
        .await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(2))
        .no_proxy()
        .build()
        .unwrap();
    let client = UserPoolClient::builder(POOL, CLIENT_ID)
        .endpoint(server.uri())
        .http_client(http)
        .build()
        .unwrap();
    let err = client
        .sign_in_password("alice", &Secret::new(PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ClientErrorKind::Transport, "{err:?}");
    assert!(server.received_requests().await.unwrap().len() > 1);
    let levels = assert_chain_redacted(&err, "redirect");
    assert!(levels >= 2, "{err:?}");
    let debug = format!("{err:?}");
    assert!(
        !debug.contains("admin") && !debug.contains("/next"),
        "{debug}"
    );
}

#[tokio::test]
async fn timeouts_and_transport_errors() {
    let server = pool(
        ResponseTemplate::new(200)
            .set_body_json(auth_result(true))
            .set_delay(Duration::from_secs(5)),
    )
    .await;
    let client = UserPoolClient::builder(POOL, CLIENT_ID)
        .endpoint(server.uri())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = client
        .sign_in_password("alice", &Secret::new(PASSWORD))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));

    // Nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let client = UserPoolClient::builder(POOL, CLIENT_ID)
        .endpoint(format!("http://{addr}/"))
        .build()
        .unwrap();
    let err = client
        .sign_in_password("alice", &Secret::new(PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ClientErrorKind::Transport);
    assert!(err.source().is_some());
    assert_redacted(&format!("{err} {err:?}"));
}

#[tokio::test]
async fn the_application_http_client_is_used() {
    let server = pool_json(auth_result(true)).await;
    let http = reqwest::Client::builder()
        .user_agent("my-app/1.0")
        .build()
        .unwrap();
    let client = UserPoolClient::builder(POOL, CLIENT_ID)
        .endpoint(server.uri())
        .http_client(http)
        .build()
        .unwrap();
    client
        .sign_in_password("alice", &Secret::new(PASSWORD))
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[0].headers.get("user-agent").unwrap(), "my-app/1.0");
}

#[test]
fn debug_of_the_client_and_inputs_redacts_secrets() {
    let client = UserPoolClient::builder(POOL, CLIENT_ID)
        .client_secret(CLIENT_SECRET)
        .endpoint("http://127.0.0.1:9/")
        .build()
        .unwrap();
    let debug = format!("{client:?}");
    assert_redacted(&debug);
    assert!(debug.contains(POOL) && debug.contains(CLIENT_ID), "{debug}");
    assert!(client.has_client_secret());
    let answers = [
        ChallengeAnswer::SmsMfaCode(Secret::new(CODE)),
        ChallengeAnswer::SoftwareTokenMfaCode(Secret::new(CODE)),
        ChallengeAnswer::MfaSetupDone {
            session: Secret::new(SESSION),
        },
        ChallengeAnswer::Responses(BTreeMap::from([("k".to_owned(), Secret::new(PASSWORD))])),
        ChallengeAnswer::new_password(NEW_PASSWORD),
    ];
    for answer in answers {
        assert_redacted(&format!("{answer:?}"));
    }
    let access = Secret::new(ACCESS);
    assert_redacted(&format!("{:?}", SoftwareTokenAuth::AccessToken(&access)));
}

// ---------------------------------------------------------------------------------------------
// From tokens to verified claims

mod verify {
    use super::*;
    use tower_cognito::test_util::LocalIssuer;
    use tower_cognito::{CognitoAuthLayer, ErrorKind, TokenUse, Verifier};

    async fn tokens_from(access: &str, id: &str) -> Tokens {
        let server = pool_json(json!({
            "AuthenticationResult": {
                "AccessToken": access, "IdToken": id, "RefreshToken": REFRESH,
                "ExpiresIn": 3600, "TokenType": "Bearer"
            }
        }))
        .await;
        client(&server, false)
            .sign_in_password("alice", &Secret::new(PASSWORD))
            .await
            .unwrap()
            .tokens()
            .unwrap()
    }

    #[tokio::test]
    async fn tokens_verify_with_the_layer() {
        let issuer = LocalIssuer::new().unwrap();
        let tokens = tokens_from(&issuer.access_token(), &issuer.id_token()).await;

        let access_layer =
            CognitoAuthLayer::builder(issuer.config().token_use(TokenUse::Access).build().unwrap())
                .static_keys(issuer.key_set())
                .build()
                .unwrap();
        let claims = tokens.verify_access(&access_layer).unwrap();
        assert_eq!(claims.username(), Some("alice"));
        assert_eq!(claims.sub, "a1b2c3d4-0000-4000-8000-000000000001");
        assert_eq!(
            tokens.verify_id(&access_layer).unwrap_err().kind(),
            ErrorKind::TokenUseNotAccepted
        );

        let any_layer = CognitoAuthLayer::builder(issuer.config().any_token_use().build().unwrap())
            .static_keys(issuer.key_set())
            .build()
            .unwrap();
        let id = tokens.verify_id(&any_layer).unwrap();
        assert_eq!(id.email.as_deref(), Some("alice@example.com"));
        assert!(tokens.verify_access(&any_layer).is_ok());

        // Outside a layer.
        let config = issuer.config().token_use(TokenUse::Id).build().unwrap();
        let verifier = Verifier::new(&config);
        assert!(
            tokens
                .verify_id_with(&verifier, &issuer.key_set(), issuer.now())
                .is_ok()
        );
        assert_eq!(
            tokens
                .verify_access_with(&verifier, &issuer.key_set(), issuer.now())
                .unwrap_err()
                .kind(),
            ErrorKind::TokenUseNotAccepted
        );
        let expired = issuer.now() + 3 * 3600;
        assert!(matches!(
            tokens
                .verify_id_with(&verifier, &issuer.key_set(), expired)
                .unwrap_err()
                .kind(),
            ErrorKind::Expired { .. }
        ));
    }

    #[tokio::test]
    async fn forged_tokens_do_not_verify() {
        let issuer = LocalIssuer::new().unwrap();
        let other = LocalIssuer::new().unwrap();
        // Signed by another key for the same pool name.
        let tokens = tokens_from(&other.access_token(), "x.y.z").await;
        let layer = CognitoAuthLayer::builder(issuer.config().any_token_use().build().unwrap())
            .static_keys(issuer.key_set())
            .build()
            .unwrap();
        assert!(tokens.verify_access(&layer).is_err());
        assert!(tokens.verify_id(&layer).is_err());
    }
}

mod devices;
