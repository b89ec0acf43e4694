//! `USER_SRP_AUTH` against wiremock, with the crate's own SRP server side answering: the mock's
//! `SRP_B` comes from a known password verifier, and the client's `PASSWORD_CLAIM_SIGNATURE` is
//! checked with `SrpServer::verify_claim` (the server side is crate-private, so this test lives
//! here rather than in `tests/client.rs`).

use std::sync::{Arc, Mutex};

use aws_lc_rs::hmac;
use base64::Engine as _;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::srp::{PasswordVerifier, SrpServer};
use super::{CognitoErrorKind, Secret, SignIn, UserPoolClient};

const POOL: &str = "us-east-1_SrpPool1";
const CLIENT_ID: &str = "srpclient1";
const CLIENT_SECRET: &str = "srp-client-secret-value";
/// What the user types (an alias) and the internal user name the challenge carries.
const ALIAS: &str = "alice@example.com";
const INTERNAL: &str = "7d3a2f4e-0c6b-4d1a-9e8f-1a2b3c4d5e6f";
const PASSWORD: &str = "correct horse battery staple";
const SECRET_BLOCK: &str = "c2VjcmV0IGJsb2NrIGZyb20gdGhlIHNlcnZlciwgc2VudCBiYWNrIHZlcmJhdGlt";
const SESSION: &str = "session-of-the-password-verifier";

fn secret_hash(username: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, CLIENT_SECRET.as_bytes());
    let tag = hmac::sign(&key, format!("{username}{CLIENT_ID}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
}

fn body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap()
}

/// `Mon Feb 3 08:05:09 UTC 2025`: weekday, month, unpadded day, padded time, `UTC`, year.
fn is_cognito_timestamp(ts: &str) -> bool {
    let parts: Vec<&str> = ts.split(' ').collect();
    let [weekday, month, day, time, utc, year] = parts[..] else {
        return false;
    };
    let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let time_ok = time.len() == 8
        && time.bytes().enumerate().all(|(i, b)| {
            if i == 2 || i == 5 {
                b == b':'
            } else {
                b.is_ascii_digit()
            }
        });
    days.contains(&weekday)
        && months.contains(&month)
        && !day.starts_with('0')
        && day.parse::<u8>().is_ok_and(|d| (1..=31).contains(&d))
        && time_ok
        && utc == "UTC"
        && year.len() == 4
        && year.parse::<u16>().is_ok()
}

/// Mounts `InitiateAuth` (the challenge, with `SRP_B` from `verifier`) and
/// `RespondToAuthChallenge` (tokens when the claim verifies, `NotAuthorizedException` if not).
async fn srp_pool(verifier: PasswordVerifier) -> MockServer {
    srp_pool_with_block(verifier, SECRET_BLOCK).await
}

/// [`srp_pool`] sending `secret_block` as `SECRET_BLOCK`.
async fn srp_pool_with_block(verifier: PasswordVerifier, secret_block: &'static str) -> MockServer {
    let server = MockServer::start().await;
    let exchange: Arc<Mutex<Option<SrpServer>>> = Arc::default();

    let started = Arc::clone(&exchange);
    Mock::given(method("POST"))
        .and(path("/"))
        .and(header("content-type", "application/x-amz-json-1.1"))
        .and(header(
            "x-amz-target",
            "AWSCognitoIdentityProviderService.InitiateAuth",
        ))
        .respond_with(move |request: &Request| {
            let body = body(request);
            let srp_a = body["AuthParameters"]["SRP_A"].as_str().unwrap();
            let srp = SrpServer::new(&verifier, srp_a).unwrap();
            let srp_b = srp.srp_b_hex();
            *started.lock().unwrap() = Some(srp);
            ResponseTemplate::new(200).set_body_json(json!({
                "ChallengeName": "PASSWORD_VERIFIER",
                "Session": SESSION,
                "ChallengeParameters": {
                    "SALT": verifier.salt_hex(),
                    "SRP_B": srp_b,
                    "SECRET_BLOCK": secret_block,
                    "USER_ID_FOR_SRP": INTERNAL,
                    "USERNAME": INTERNAL,
                }
            }))
        })
        .mount(&server)
        .await;

    Mock::given(method("POST"))
        .and(path("/"))
        .and(header(
            "x-amz-target",
            "AWSCognitoIdentityProviderService.RespondToAuthChallenge",
        ))
        .respond_with(move |request: &Request| {
            let body = body(request);
            let responses = &body["ChallengeResponses"];
            let field = |name: &str| responses[name].as_str().unwrap_or_default().to_owned();
            let guard = exchange.lock().unwrap();
            let srp = guard.as_ref().unwrap();
            let verified = srp.verify_claim(
                &field("PASSWORD_CLAIM_SECRET_BLOCK"),
                &field("TIMESTAMP"),
                &field("PASSWORD_CLAIM_SIGNATURE"),
            );
            if verified.is_ok() {
                ResponseTemplate::new(200).set_body_json(json!({
                    "AuthenticationResult": {
                        "AccessToken": "access.token.srp",
                        "IdToken": "id.token.srp",
                        "RefreshToken": "refresh-token-srp",
                        "ExpiresIn": 3600,
                        "TokenType": "Bearer"
                    },
                    "ChallengeParameters": {}
                }))
            } else {
                ResponseTemplate::new(400).set_body_json(json!({
                    "__type": "NotAuthorizedException",
                    "message": "Incorrect username or password."
                }))
            }
        })
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer, secret: bool) -> UserPoolClient {
    let builder = UserPoolClient::builder(POOL, CLIENT_ID).endpoint(server.uri());
    let builder = if secret {
        builder.client_secret(CLIENT_SECRET)
    } else {
        builder
    };
    builder.build().unwrap()
}

async fn check_srp_sign_in(with_secret: bool) {
    let verifier = PasswordVerifier::new(POOL, INTERNAL, PASSWORD).unwrap();
    let server = srp_pool(verifier).await;
    let client = client(&server, with_secret);

    let signed_in = client
        .sign_in_srp(ALIAS, &Secret::new(PASSWORD))
        .await
        .unwrap();
    let SignIn::Tokens(tokens) = signed_in else {
        panic!("expected tokens, got {signed_in:?}")
    };
    assert_eq!(tokens.access_token.expose(), "access.token.srp");
    assert_eq!(tokens.refresh_token.unwrap().expose(), "refresh-token-srp");

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    let initiate = body(&requests[0]);
    assert_eq!(initiate["AuthFlow"], "USER_SRP_AUTH");
    assert_eq!(initiate["ClientId"], CLIENT_ID);
    let params = initiate["AuthParameters"].as_object().unwrap();
    assert_eq!(params["USERNAME"], ALIAS);
    let srp_a = params["SRP_A"].as_str().unwrap();
    assert!(!srp_a.starts_with('0') && srp_a.len() <= 768 && srp_a.len() > 700);
    assert!(
        srp_a
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    );
    if with_secret {
        // InitiateAuth: over what the user typed.
        assert_eq!(params["SECRET_HASH"], secret_hash(ALIAS).as_str());
        assert_eq!(params.len(), 3);
    } else {
        assert_eq!(params.len(), 2);
    }

    let respond = body(&requests[1]);
    assert_eq!(respond["ChallengeName"], "PASSWORD_VERIFIER");
    assert_eq!(respond["ClientId"], CLIENT_ID);
    assert_eq!(respond["Session"], SESSION);
    let responses = respond["ChallengeResponses"].as_object().unwrap();
    assert_eq!(responses["USERNAME"], INTERNAL);
    assert_eq!(responses["PASSWORD_CLAIM_SECRET_BLOCK"], SECRET_BLOCK);
    let timestamp = responses["TIMESTAMP"].as_str().unwrap();
    assert!(is_cognito_timestamp(timestamp), "{timestamp}");
    let signature = responses["PASSWORD_CLAIM_SIGNATURE"].as_str().unwrap();
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(signature)
            .unwrap()
            .len(),
        32
    );
    if with_secret {
        // RespondToAuthChallenge: over the challenge's USERNAME, not the alias.
        assert_eq!(responses["SECRET_HASH"], secret_hash(INTERNAL).as_str());
        assert_eq!(responses.len(), 5);
    } else {
        assert_eq!(responses.len(), 4);
    }
}

/// moto sends a UUID as `SECRET_BLOCK` (not base64): the client decodes it as
/// amazon-cognito-identity-js does and sends it back unchanged.
#[tokio::test]
async fn srp_sign_in_with_an_emulator_uuid_secret_block() {
    const UUID_BLOCK: &str = "3f1c2b7a-9d4e-4c61-8b0f-2a9e6d5c4b3a";
    let verifier = PasswordVerifier::new(POOL, INTERNAL, PASSWORD).unwrap();
    let server = srp_pool_with_block(verifier, UUID_BLOCK).await;
    let signed_in = client(&server, false)
        .sign_in_srp(ALIAS, &Secret::new(PASSWORD))
        .await
        .unwrap();
    assert!(matches!(signed_in, SignIn::Tokens(_)), "{signed_in:?}");
    let requests = server.received_requests().await.unwrap();
    let respond = body(&requests[1]);
    assert_eq!(
        respond["ChallengeResponses"]["PASSWORD_CLAIM_SECRET_BLOCK"],
        UUID_BLOCK
    );
}

#[tokio::test]
async fn srp_sign_in_verifies_with_the_server_side() {
    check_srp_sign_in(false).await;
}

#[tokio::test]
async fn srp_sign_in_with_a_client_secret() {
    check_srp_sign_in(true).await;
}

#[tokio::test]
async fn srp_sign_in_with_a_wrong_password_is_not_authorized() {
    let verifier = PasswordVerifier::new(POOL, INTERNAL, PASSWORD).unwrap();
    let server = srp_pool(verifier).await;
    let client = client(&server, true);
    let wrong = "not the password";
    let err = client
        .sign_in_srp(ALIAS, &Secret::new(wrong))
        .await
        .unwrap_err();
    assert_eq!(err.cognito_kind(), Some(CognitoErrorKind::NotAuthorized));
    assert_eq!(err.operation(), "RespondToAuthChallenge");
    assert_eq!(err.type_name(), Some("NotAuthorizedException"));
    assert_eq!(err.message(), Some("Incorrect username or password."));
    for text in [format!("{err}"), format!("{err:?}")] {
        assert!(
            !text.contains(wrong) && !text.contains(CLIENT_SECRET),
            "{text}"
        );
    }
}

#[tokio::test]
async fn srp_challenge_missing_parameters_is_a_protocol_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ChallengeName": "PASSWORD_VERIFIER",
            "Session": SESSION,
            "ChallengeParameters": {"USER_ID_FOR_SRP": INTERNAL, "SALT": "abcd", "SECRET_BLOCK": "AAAA"}
        })))
        .mount(&server)
        .await;
    let err = client(&server, false)
        .sign_in_srp(ALIAS, &Secret::new(PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &super::ClientErrorKind::Protocol(super::ProtocolError::MissingField("SRP_B"))
    );

    // SRP_B = 0 is refused before anything is sent back.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ChallengeName": "PASSWORD_VERIFIER",
            "Session": SESSION,
            "ChallengeParameters": {
                "USER_ID_FOR_SRP": INTERNAL, "SALT": "abcd", "SECRET_BLOCK": "AAAA", "SRP_B": "00"
            }
        })))
        .mount(&server)
        .await;
    let err = client(&server, false)
        .sign_in_srp(ALIAS, &Secret::new(PASSWORD))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.kind(),
            super::ClientErrorKind::Srp(super::SrpError::ZeroModN(_))
        ),
        "{err:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
