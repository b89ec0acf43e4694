//! `USER_AUTH` and passkey management on the wire, against a mock pool: the exact request
//! bodies (`PREFERRED_CHALLENGE`, `SELECT_CHALLENGE` answers, `EMAIL_OTP_CODE`, `SMS_OTP_CODE`,
//! the passkey `CREDENTIAL` byte for byte, `SECRET_HASH` over the challenge's user name), the
//! answers read (`AvailableChallenges` with names added later, `CREDENTIAL_REQUEST_OPTIONS`
//! unchanged, fractional `CreatedAt`), and the answers refused.

use aws_lc_rs::hmac;
use base64::Engine as _;
use serde_json::{Value, json};
use tower_cognito_client::{
    AuthFactor, Challenge, ChallengeAnswer, ClientErrorKind, FirstFactor, ProtocolError, Secret,
    SignIn, UserPoolClient,
};
use wiremock::matchers::{body_string_contains, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

const POOL: &str = "us-east-1_TestPool9";
const CLIENT_ID: &str = "3n4b5urk1ft4fl3mg5e62d9ado";
const CLIENT_SECRET: &str = "client-secret-1q2w3e4r5t6y7u8i9o0p";
const SESSION: &str = "session-value-AYABeH-0123456789";
const ACCESS: &str = "eyJ.access-token-value.sig";

fn secret_hash(username: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, CLIENT_SECRET.as_bytes());
    let tag = hmac::sign(&key, format!("{username}{CLIENT_ID}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
}

async fn pool_json(body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> UserPoolClient {
    UserPoolClient::builder(POOL, CLIENT_ID)
        .endpoint(server.uri())
        .client_secret(CLIENT_SECRET)
        .build()
        .unwrap()
}

/// The requests the server got: `(operation, body)`.
async fn requests(server: &MockServer) -> Vec<(String, Value)> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let target = r.headers.get("x-amz-target").unwrap().to_str().unwrap();
            let operation = target
                .strip_prefix("AWSCognitoIdentityProviderService.")
                .unwrap()
                .to_owned();
            (operation, serde_json::from_slice(&r.body).unwrap())
        })
        .collect()
}

fn tokens() -> Value {
    json!({"AuthenticationResult": {
        "AccessToken": ACCESS, "IdToken": "eyJ.id.sig", "RefreshToken": "r",
        "ExpiresIn": 3600, "TokenType": "Bearer"
    }})
}

#[tokio::test]
async fn initiate_sends_user_auth_with_the_preferred_challenge() {
    let server = pool_json(json!({
        "ChallengeName": "SELECT_CHALLENGE",
        "Session": SESSION,
        "ChallengeParameters": {},
        "AvailableChallenges": ["PASSWORD_SRP", "WEB_AUTHN", "EMAIL_OTP", "FACE_SCAN", "SELECT_CHALLENGE"]
    }))
    .await;
    let client = client(&server);
    let step = client
        .sign_in_user_auth("alice@example.com", None)
        .await
        .unwrap();
    let Some(Challenge::SelectChallenge {
        available,
        username,
        ..
    }) = step.challenge()
    else {
        panic!("not a SELECT_CHALLENGE")
    };
    // A name added later is kept, SELECT_CHALLENGE itself is not a choice.
    assert_eq!(
        available,
        [
            AuthFactor::PasswordSrp,
            AuthFactor::WebAuthn,
            AuthFactor::EmailOtp,
            AuthFactor::Other("FACE_SCAN".to_owned())
        ]
    );
    assert_eq!(username, "alice@example.com");
    client
        .sign_in_user_auth("alice@example.com", Some(&FirstFactor::EmailOtp))
        .await
        .unwrap();
    client
        .sign_in_user_auth(
            "alice@example.com",
            Some(&FirstFactor::Password(Secret::new("Pa55w0rd!"))),
        )
        .await
        .unwrap();
    let sent = requests(&server).await;
    let hash = secret_hash("alice@example.com");
    assert_eq!(
        sent.iter()
            .map(|(_, body)| body.clone())
            .collect::<Vec<_>>(),
        [
            json!({"AuthFlow": "USER_AUTH", "ClientId": CLIENT_ID,
                   "AuthParameters": {"USERNAME": "alice@example.com", "SECRET_HASH": hash}}),
            json!({"AuthFlow": "USER_AUTH", "ClientId": CLIENT_ID,
                   "AuthParameters": {"USERNAME": "alice@example.com", "SECRET_HASH": hash,
                                      "PREFERRED_CHALLENGE": "EMAIL_OTP"}}),
            json!({"AuthFlow": "USER_AUTH", "ClientId": CLIENT_ID,
                   "AuthParameters": {"USERNAME": "alice@example.com", "SECRET_HASH": hash,
                                      "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": "Pa55w0rd!"}}),
        ]
    );
    assert!(sent.iter().all(|(op, _)| op == "InitiateAuth"));
}

#[tokio::test]
async fn sign_in_after_sign_up_sends_the_session_of_confirm_sign_up() {
    let server = pool_json(json!({"Session": SESSION})).await;
    let session = client(&server)
        .confirm_sign_up_with_session("alice", &Secret::new("123456"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.expose(), SESSION);
    let server = pool_json(tokens()).await;
    let step = client(&server)
        .sign_in_after_sign_up("alice", &session)
        .await
        .unwrap();
    assert!(matches!(step, SignIn::Tokens(_)));
    assert_eq!(
        requests(&server).await[0].1,
        json!({"AuthFlow": "USER_AUTH", "ClientId": CLIENT_ID, "Session": SESSION,
               "AuthParameters": {"USERNAME": "alice", "SECRET_HASH": secret_hash("alice")}})
    );
    // A pool that gives no session.
    let server = pool_json(json!({})).await;
    let none = client(&server)
        .confirm_sign_up_with_session("alice", &Secret::new("123456"))
        .await
        .unwrap();
    assert!(none.is_none());
}

/// Answers `challenge` with `answer` on a pool answering tokens; the request body.
async fn answer_body(challenge: &Challenge, answer: &ChallengeAnswer) -> Value {
    let server = pool_json(tokens()).await;
    let next = client(&server)
        .respond_to_challenge(challenge, answer)
        .await
        .unwrap();
    assert!(matches!(next, SignIn::Tokens(_)));
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 1);
    sent[0].1.clone()
}

#[tokio::test]
async fn answers_carry_their_own_names_and_the_challenge_user_name() {
    let select = Challenge::from_parts("SELECT_CHALLENGE", Secret::new(SESSION), "internal-alice");
    let hash = secret_hash("internal-alice");
    let body = |name: &str, responses: Value| {
        json!({"ChallengeName": name, "ClientId": CLIENT_ID, "Session": SESSION,
               "ChallengeResponses": responses})
    };
    assert_eq!(
        answer_body(
            &select,
            &ChallengeAnswer::SelectChallenge(FirstFactor::SmsOtp)
        )
        .await,
        body(
            "SELECT_CHALLENGE",
            json!({"ANSWER": "SMS_OTP", "USERNAME": "internal-alice", "SECRET_HASH": hash})
        )
    );
    assert_eq!(
        answer_body(
            &select,
            &ChallengeAnswer::SelectChallenge(FirstFactor::Password(Secret::new("Pa55!")))
        )
        .await,
        body(
            "SELECT_CHALLENGE",
            json!({"ANSWER": "PASSWORD", "PASSWORD": "Pa55!", "USERNAME": "internal-alice",
                   "SECRET_HASH": hash})
        )
    );
    let email = Challenge::from_parts("EMAIL_OTP", Secret::new(SESSION), "internal-alice");
    assert_eq!(
        answer_body(
            &email,
            &ChallengeAnswer::EmailOtpCode(Secret::new("123456"))
        )
        .await,
        body(
            "EMAIL_OTP",
            json!({"EMAIL_OTP_CODE": "123456", "USERNAME": "internal-alice", "SECRET_HASH": hash})
        )
    );
    let sms = Challenge::from_parts("SMS_OTP", Secret::new(SESSION), "internal-alice");
    assert_eq!(
        answer_body(&sms, &ChallengeAnswer::SmsOtpCode(Secret::new("654321"))).await,
        body(
            "SMS_OTP",
            json!({"SMS_OTP_CODE": "654321", "USERNAME": "internal-alice", "SECRET_HASH": hash})
        )
    );
    // The credential goes as the authenticator made it: the same string, spacing and order
    // included.
    let web = Challenge::from_parts("WEB_AUTHN", Secret::new(SESSION), "internal-alice");
    let credential = r#"{ "type":"public-key", "id":"AbC", "rawId":"AbC",
        "response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA"} }"#;
    let sent = answer_body(
        &web,
        &ChallengeAnswer::WebAuthnCredential(Secret::new(credential)),
    )
    .await;
    assert_eq!(sent["ChallengeResponses"]["CREDENTIAL"], credential);
    // An answer that does not fit is refused before anything is sent.
    let server = pool_json(tokens()).await;
    for (challenge, answer) in [
        (&email, ChallengeAnswer::SmsOtpCode(Secret::new("1"))),
        (&sms, ChallengeAnswer::EmailOtpCode(Secret::new("1"))),
        (
            &web,
            ChallengeAnswer::SelectChallenge(FirstFactor::WebAuthn),
        ),
        (
            &select,
            ChallengeAnswer::WebAuthnCredential(Secret::new("{}")),
        ),
        (
            &web,
            ChallengeAnswer::WebAuthnCredential(Secret::new("[1]")),
        ),
    ] {
        let error = client(&server)
            .respond_to_challenge(challenge, &answer)
            .await
            .unwrap_err();
        assert!(
            matches!(error.kind(), ClientErrorKind::InvalidInput(_)),
            "{error}"
        );
    }
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn challenges_are_read_with_their_parameters() {
    let options = r#"{"challenge":"q83v","rpId":"app.example.com","allowCredentials":[]}"#;
    let server = pool_json(json!({
        "ChallengeName": "WEB_AUTHN",
        "Session": SESSION,
        "ChallengeParameters": {"USERNAME": "internal-alice", "CREDENTIAL_REQUEST_OPTIONS": options}
    }))
    .await;
    let step = client(&server)
        .sign_in_user_auth("alice", Some(&FirstFactor::WebAuthn))
        .await
        .unwrap();
    let Some(Challenge::WebAuthn {
        credential_request_options,
        username,
        ..
    }) = step.challenge()
    else {
        panic!("not WEB_AUTHN")
    };
    assert_eq!(credential_request_options, options);
    assert_eq!(username, "internal-alice");

    // A WEB_AUTHN without its options is a protocol error.
    let server = pool_json(json!({
        "ChallengeName": "WEB_AUTHN", "Session": SESSION, "ChallengeParameters": {}
    }))
    .await;
    let error = client(&server)
        .sign_in_user_auth("alice", Some(&FirstFactor::WebAuthn))
        .await
        .unwrap_err();
    assert!(matches!(
        error.kind(),
        ClientErrorKind::Protocol(ProtocolError::MissingField("CREDENTIAL_REQUEST_OPTIONS"))
    ));

    // A passkey answered with another passkey challenge is refused (amplify-js does too).
    let server = pool_json(json!({
        "ChallengeName": "WEB_AUTHN", "Session": SESSION,
        "ChallengeParameters": {"CREDENTIAL_REQUEST_OPTIONS": options}
    }))
    .await;
    let web = Challenge::from_parts("WEB_AUTHN", Secret::new(SESSION), "alice");
    let error = client(&server)
        .respond_to_challenge(
            &web,
            &ChallengeAnswer::WebAuthnCredential(Secret::new("{}")),
        )
        .await
        .unwrap_err();
    assert!(matches!(
        error.kind(),
        ClientErrorKind::Protocol(ProtocolError::InvalidField("ChallengeName"))
    ));

    // EMAIL_OTP (first factor or MFA) keeps where the code went.
    let server = pool_json(json!({
        "ChallengeName": "EMAIL_OTP", "Session": SESSION,
        "ChallengeParameters": {"CODE_DELIVERY_DESTINATION": "a***@e***",
                                "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL"}
    }))
    .await;
    let step = client(&server)
        .sign_in_password("alice", &Secret::new("Pa55!"))
        .await
        .unwrap();
    let Some(Challenge::EmailOtp { destination, .. }) = step.challenge() else {
        panic!("not EMAIL_OTP")
    };
    assert_eq!(destination.as_deref(), Some("a***@e***"));
}

#[tokio::test]
async fn passkey_management_bodies_and_answers() {
    let creation = json!({"challenge": "q83v", "rp": {"id": "app.example.com", "name": "App"}});
    let server = pool_json(json!({"CredentialCreationOptions": creation})).await;
    let client = client(&server);
    let access = Secret::new(ACCESS);
    assert_eq!(
        client.start_web_authn_registration(&access).await.unwrap(),
        creation
    );
    let credential = json!({"id": "AbC", "type": "public-key", "response": {}});
    client
        .complete_web_authn_registration(&access, &credential)
        .await
        .unwrap();
    client
        .delete_web_authn_credential(&access, "AbC")
        .await
        .unwrap();
    assert_eq!(
        requests(&server).await,
        [
            (
                "StartWebAuthnRegistration".to_owned(),
                json!({"AccessToken": ACCESS})
            ),
            (
                "CompleteWebAuthnRegistration".to_owned(),
                json!({"AccessToken": ACCESS, "Credential": credential})
            ),
            (
                "DeleteWebAuthnCredential".to_owned(),
                json!({"AccessToken": ACCESS, "CredentialId": "AbC"})
            ),
        ]
    );
    // The options are a JSON object or a protocol error.
    let server = pool_json(json!({"CredentialCreationOptions": "a string"})).await;
    let error = self::client(&server)
        .start_web_authn_registration(&access)
        .await
        .unwrap_err();
    assert!(matches!(error.kind(), ClientErrorKind::Protocol(_)));

    let server = pool_json(json!({
        "Credentials": [{
            "CredentialId": "AbC", "FriendlyCredentialName": "laptop",
            "RelyingPartyId": "app.example.com", "AuthenticatorAttachment": "platform",
            "AuthenticatorTransports": ["internal", "hybrid"], "CreatedAt": 1.7e9 + 0.25
        }],
        "NextToken": "next-page"
    }))
    .await;
    let page = self::client(&server)
        .list_web_authn_credentials(&access, Some("page-1"), Some(20))
        .await
        .unwrap();
    assert_eq!(page.next_token.as_deref(), Some("next-page"));
    let passkey = &page.credentials[0];
    assert_eq!(passkey.credential_id, "AbC");
    assert_eq!(passkey.friendly_credential_name.as_deref(), Some("laptop"));
    assert_eq!(passkey.authenticator_transports, ["internal", "hybrid"]);
    assert!((passkey.created_at - 1_700_000_000.25).abs() < 1e-6);
    assert_eq!(
        requests(&server).await[0].1,
        json!({"AccessToken": ACCESS, "NextToken": "page-1", "MaxResults": 20})
    );
}

#[tokio::test]
async fn password_srp_answers_the_verifier_with_its_session_and_user_name() {
    let server = MockServer::start().await;
    // The answer to the verifier: tokens; to anything else: the verifier challenge.
    Mock::given(method("POST"))
        .and(body_string_contains(
            r#""ChallengeName":"PASSWORD_VERIFIER""#,
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(tokens()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ChallengeName": "PASSWORD_VERIFIER",
            "Session": "verifier-session-0123456789",
            "ChallengeParameters": {
                "SALT": "36ef01c6dde9fe503da333b1acc758ba",
                "SRP_B": "36ef01c6dde9fe503da333b1acc758ba",
                "SECRET_BLOCK": "c2VjcmV0LWJsb2Nr",
                "USER_ID_FOR_SRP": "internal-alice",
                "USERNAME": "internal-alice"
            }
        })))
        .mount(&server)
        .await;
    let client = client(&server);
    let select = Challenge::from_parts("SELECT_CHALLENGE", Secret::new(SESSION), "alice");
    let answer = ChallengeAnswer::SelectChallenge(FirstFactor::PasswordSrp(Secret::new("Pa55!")));
    assert!(!format!("{answer:?}").contains("Pa55!"));
    let step = client.respond_to_challenge(&select, &answer).await.unwrap();
    assert!(matches!(step, SignIn::Tokens(_)));
    let step = client
        .sign_in_user_auth(
            "alice",
            Some(&FirstFactor::PasswordSrp(Secret::new("Pa55!"))),
        )
        .await
        .unwrap();
    assert!(matches!(step, SignIn::Tokens(_)));
    let sent = requests(&server).await;
    let ops: Vec<&str> = sent.iter().map(|(op, _)| op.as_str()).collect();
    assert_eq!(
        ops,
        [
            "RespondToAuthChallenge",
            "RespondToAuthChallenge",
            "InitiateAuth",
            "RespondToAuthChallenge"
        ]
    );
    let select_body = &sent[0].1;
    assert_eq!(select_body["ChallengeName"], "SELECT_CHALLENGE");
    assert_eq!(select_body["ChallengeResponses"]["ANSWER"], "PASSWORD_SRP");
    assert!(select_body["ChallengeResponses"]["SRP_A"].is_string());
    assert!(select_body["ChallengeResponses"].get("PASSWORD").is_none());
    assert_eq!(
        sent[2].1["AuthParameters"]["PREFERRED_CHALLENGE"],
        "PASSWORD_SRP"
    );
    assert!(sent[2].1["AuthParameters"]["SRP_A"].is_string());
    for (_, verifier) in [&sent[1], &sent[3]] {
        assert_eq!(verifier["ChallengeName"], "PASSWORD_VERIFIER");
        assert_eq!(verifier["Session"], "verifier-session-0123456789");
        let responses = &verifier["ChallengeResponses"];
        assert_eq!(responses["USERNAME"], "internal-alice");
        assert_eq!(responses["SECRET_HASH"], secret_hash("internal-alice"));
        assert_eq!(responses["PASSWORD_CLAIM_SECRET_BLOCK"], "c2VjcmV0LWJsb2Nr");
        assert!(responses["PASSWORD_CLAIM_SIGNATURE"].is_string());
    }
    // The passkey answer is a secret too.
    let credential = ChallengeAnswer::WebAuthnCredential(Secret::new("{\"signature\":\"c2ln\"}"));
    assert!(!format!("{credential:?}").contains("c2ln"));
}
