//! The device operations against wiremock: the exact requests (Cognito's member names), the
//! parse of realistic answers, and the answers of the device SRP steps.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tower_cognito_client::device::{
    DeviceRememberedStatus, DeviceStore as _, MemoryDeviceStore, NewDeviceMetadata,
    RememberedDevice,
};
use tower_cognito_client::{ClientErrorKind, ProtocolError, Secret, SignIn, Tokens};
use wiremock::matchers::{body_partial_json, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{
    ACCESS, CLIENT_ID, CLIENT_SECRET, PASSWORD, REFRESH, SESSION, assert_redacted, auth_result,
    client, only_request, pool_json, request_body, secret_hash,
};

const DEVICE_KEY: &str = "us-east-1_6f2c6a8e-0d7e-4c8a-9a4e-0f1b2c3d4e5f";
const GROUP_KEY: &str = "-dGhpc2lzYQ";
const DEVICE_PASSWORD: &str = "g2ry54p106a9YsisJJCQ/H/I/q75YVPnLqDyzPlMYjl1R8jQeTRdOg==";

fn device() -> RememberedDevice {
    RememberedDevice::new(DEVICE_KEY, GROUP_KEY, Secret::new(DEVICE_PASSWORD))
}

/// Tokens whose answer carried `NewDeviceMetadata`.
async fn tokens_with_new_device() -> Tokens {
    let mut answer = auth_result(true);
    answer["AuthenticationResult"]["NewDeviceMetadata"] =
        json!({ "DeviceKey": DEVICE_KEY, "DeviceGroupKey": GROUP_KEY });
    let server = pool_json(answer).await;
    let SignIn::Tokens(tokens) = client(&server, false)
        .sign_in_password("alice", &Secret::new(PASSWORD))
        .await
        .unwrap()
    else {
        panic!("tokens");
    };
    tokens
}

#[tokio::test]
async fn new_device_metadata_is_read_and_checked() {
    let tokens = tokens_with_new_device().await;
    assert_eq!(
        tokens
            .new_device
            .as_ref()
            .map(|d| (d.device_key.as_str(), d.device_group_key.as_str())),
        Some((DEVICE_KEY, GROUP_KEY))
    );
    for metadata in [
        json!({ "DeviceKey": DEVICE_KEY }),
        json!({ "DeviceKey": "", "DeviceGroupKey": GROUP_KEY }),
    ] {
        let mut answer = auth_result(true);
        answer["AuthenticationResult"]["NewDeviceMetadata"] = metadata;
        let server = pool_json(answer).await;
        let error = client(&server, false)
            .sign_in_password("alice", &Secret::new(PASSWORD))
            .await
            .unwrap_err();
        assert!(
            matches!(
                error.kind(),
                ClientErrorKind::Protocol(
                    ProtocolError::MissingField(_) | ProtocolError::InvalidField(_)
                )
            ),
            "{error}"
        );
    }
}

/// The canonical padHex form of a positive number: no leading zero byte, except one before a
/// byte >= 0x80.
fn is_canonical(bytes: &[u8]) -> bool {
    match bytes {
        [0, second, ..] => *second >= 0x80,
        [first, ..] => *first != 0,
        [] => false,
    }
}

#[tokio::test]
async fn confirm_device_sends_the_verifier_config() {
    let new_device: NewDeviceMetadata = tokens_with_new_device().await.new_device.unwrap();
    let server = pool_json(json!({ "UserConfirmationNecessary": true })).await;
    let confirmed = client(&server, true)
        .confirm_device(&Secret::new(ACCESS), &new_device, Some("laptop"))
        .await
        .unwrap();
    assert!(confirmed.user_confirmation_necessary);
    assert_eq!(confirmed.device.device_key, DEVICE_KEY);
    assert_eq!(confirmed.device.device_group_key, GROUP_KEY);
    let password = confirmed.device.device_password.expose().to_owned();
    assert_eq!(STANDARD.decode(&password).unwrap().len(), 40);
    assert_redacted(&format!("{confirmed:?}"));
    assert!(!format!("{confirmed:?}").contains(&password));
    let body = only_request(&server, "ConfirmDevice").await;
    let config = &body["DeviceSecretVerifierConfig"];
    let salt = STANDARD.decode(config["Salt"].as_str().unwrap()).unwrap();
    let verifier = STANDARD
        .decode(config["PasswordVerifier"].as_str().unwrap())
        .unwrap();
    assert!(is_canonical(&salt) && salt.len() <= 17, "{salt:?}");
    assert!(is_canonical(&verifier) && verifier.len() <= 385);
    assert_eq!(
        body,
        json!({
            "AccessToken": ACCESS,
            "DeviceKey": DEVICE_KEY,
            "DeviceSecretVerifierConfig": {
                "PasswordVerifier": config["PasswordVerifier"],
                "Salt": config["Salt"],
            },
            "DeviceName": "laptop",
        })
    );
    assert!(!body.to_string().contains(&password));

    // remember_new_device: confirmed and stored under the token's `username`.
    let payload = url_safe_json(json!({ "username": "alice-internal", "token_use": "access" }));
    let mut answer = auth_result(true);
    answer["AuthenticationResult"]["AccessToken"] =
        json!(format!("eyJhbGciOiJSUzI1NiJ9.{payload}.sig"));
    answer["AuthenticationResult"]["NewDeviceMetadata"] =
        json!({ "DeviceKey": DEVICE_KEY, "DeviceGroupKey": GROUP_KEY });
    let server = pool_json(answer).await;
    let SignIn::Tokens(tokens) = client(&server, false)
        .sign_in_password("alice@example.com", &Secret::new(PASSWORD))
        .await
        .unwrap()
    else {
        panic!("tokens");
    };
    let server = pool_json(json!({ "UserConfirmationNecessary": false })).await;
    let store = MemoryDeviceStore::new();
    let confirmed = client(&server, false)
        .remember_new_device(&tokens, &store, None)
        .await
        .unwrap()
        .unwrap();
    assert!(!confirmed.user_confirmation_necessary);
    let stored = store.load("alice-internal").await.unwrap().unwrap();
    assert_eq!(
        stored.device_password.expose(),
        confirmed.device.device_password.expose()
    );
    assert!(
        only_request(&server, "ConfirmDevice")
            .await
            .get("DeviceName")
            .is_none()
    );
}

fn url_safe_json(value: Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

#[tokio::test]
async fn device_operations_send_what_cognito_reads() {
    let access = Secret::new(ACCESS);
    let server = pool_json(json!({})).await;
    client(&server, false)
        .update_device_status(&access, DEVICE_KEY, DeviceRememberedStatus::NotRemembered)
        .await
        .unwrap();
    assert_eq!(
        only_request(&server, "UpdateDeviceStatus").await,
        json!({ "AccessToken": ACCESS, "DeviceKey": DEVICE_KEY, "DeviceRememberedStatus": "not_remembered" })
    );
    let server = pool(ResponseTemplate::new(200)).await;
    client(&server, false)
        .forget_device(&access, DEVICE_KEY)
        .await
        .unwrap();
    assert_eq!(
        only_request(&server, "ForgetDevice").await,
        json!({ "AccessToken": ACCESS, "DeviceKey": DEVICE_KEY })
    );

    let device = json!({
        "DeviceKey": DEVICE_KEY,
        "DeviceAttributes": [
            { "Name": "device_status", "Value": "valid" },
            { "Name": "device_name", "Value": "laptop" },
            { "Name": "dev:device_remembered_status", "Value": "remembered" },
            { "Name": "last_ip_used", "Value": "192.0.2.1" },
        ],
        "DeviceCreateDate": 1.7387e9,
        "DeviceLastModifiedDate": 1738700000.5,
        "DeviceLastAuthenticatedDate": 1738700100.25,
    });
    let server = pool_json(json!({ "Device": device })).await;
    let got = client(&server, false)
        .get_device(&access, DEVICE_KEY)
        .await
        .unwrap();
    assert_eq!(
        only_request(&server, "GetDevice").await,
        json!({ "AccessToken": ACCESS, "DeviceKey": DEVICE_KEY })
    );
    assert_eq!(got.name(), Some("laptop"));
    assert!(got.is_remembered());
    assert_eq!(got.attribute("last_ip_used"), Some("192.0.2.1"));
    let seconds = |t: Option<std::time::SystemTime>| {
        t.unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    };
    assert_eq!(seconds(got.create_date), 1.7387e9);
    assert_eq!(seconds(got.last_authenticated_date), 1738700100.25);

    let server = pool_json(json!({ "Devices": [device, { "DeviceKey": "us-east-1_b", "DeviceCreateDate": -5 }], "PaginationToken": "next-page" })).await;
    let list = client(&server, false)
        .list_devices(&access, Some(2), Some("this-page"))
        .await
        .unwrap();
    assert_eq!(
        only_request(&server, "ListDevices").await,
        json!({ "AccessToken": ACCESS, "Limit": 2, "PaginationToken": "this-page" })
    );
    assert_eq!(list.devices.len(), 2);
    assert_eq!(list.devices[1].device_key, "us-east-1_b");
    assert!(
        list.devices[1].create_date.is_none(),
        "a negative date is no date"
    );
    assert_eq!(list.pagination_token.as_deref(), Some("next-page"));
    // A device without its key is a protocol error.
    let server = pool_json(json!({ "Devices": [{ "DeviceAttributes": [] }] })).await;
    let error = client(&server, false)
        .list_devices(&access, None, None)
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), ClientErrorKind::Protocol(_)),
        "{error}"
    );
    // Over 60 a page: refused before sending.
    let server = pool_json(json!({})).await;
    let error = client(&server, false)
        .list_devices(&access, Some(61), None)
        .await
        .unwrap_err();
    assert!(matches!(error.kind(), ClientErrorKind::InvalidInput(_)));
    assert!(server.received_requests().await.unwrap().is_empty());
}

async fn pool(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn refresh_sends_the_stored_device_key() {
    let store = MemoryDeviceStore::new();
    store.save("alice", &device()).await.unwrap();
    let server = pool_json(auth_result(false)).await;
    let tokens = client(&server, true)
        .refresh_with_device(&Secret::new(REFRESH), "alice", &store)
        .await
        .unwrap();
    assert_eq!(tokens.refresh_token.as_ref().unwrap().expose(), REFRESH);
    assert_eq!(
        only_request(&server, "GetTokensFromRefreshToken").await,
        json!({
            "RefreshToken": REFRESH,
            "ClientId": CLIENT_ID,
            "ClientSecret": CLIENT_SECRET,
            "DeviceKey": DEVICE_KEY,
        })
    );
    // No device for the user: a plain refresh.
    let server = pool_json(auth_result(false)).await;
    client(&server, false)
        .refresh_with_device(&Secret::new(REFRESH), "bob", &store)
        .await
        .unwrap();
    assert_eq!(
        only_request(&server, "GetTokensFromRefreshToken").await,
        json!({ "RefreshToken": REFRESH, "ClientId": CLIENT_ID })
    );
}

#[tokio::test]
async fn device_srp_answers_carry_the_device_key_the_sessions_and_secret_hash() {
    let server = MockServer::start().await;
    let target = |op: &str| {
        wiremock::matchers::header(
            "x-amz-target",
            format!("AWSCognitoIdentityProviderService.{op}").as_str(),
        )
    };
    Mock::given(method("POST"))
        .and(target("InitiateAuth"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ChallengeName": "DEVICE_SRP_AUTH",
            "Session": SESSION,
            "ChallengeParameters": { "USERNAME": "alice-internal" },
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(target("RespondToAuthChallenge"))
        .and(body_partial_json(
            json!({ "ChallengeName": "DEVICE_SRP_AUTH" }),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ChallengeName": "DEVICE_PASSWORD_VERIFIER",
            "Session": "second-session",
            "ChallengeParameters": {
                "SALT": "36ef01c6dde9fe503da333b1acc758ba",
                "SRP_B": "36ef01c6dde9fe503da333b1acc758ba",
                "SECRET_BLOCK": "c2VjcmV0IGJsb2Nr",
                "USERNAME": "alice-internal",
            },
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(target("RespondToAuthChallenge"))
        .and(body_partial_json(
            json!({ "ChallengeName": "DEVICE_PASSWORD_VERIFIER" }),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(auth_result(true)))
        .mount(&server)
        .await;
    let store = MemoryDeviceStore::new();
    store.save("alice", &device()).await.unwrap();
    store.save("alice-internal", &device()).await.unwrap();
    let step = client(&server, true)
        .sign_in_password_with_device("alice", &Secret::new(PASSWORD), &store)
        .await
        .unwrap();
    assert!(matches!(step, SignIn::Tokens(_)));
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 3);
    let initiate = request_body(&requests[0], "InitiateAuth");
    assert_eq!(initiate["AuthParameters"]["DEVICE_KEY"], DEVICE_KEY);
    let srp_auth = request_body(&requests[1], "RespondToAuthChallenge");
    assert_eq!(srp_auth["Session"], SESSION);
    let responses = &srp_auth["ChallengeResponses"];
    let keys: Vec<&String> = responses.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["DEVICE_KEY", "SECRET_HASH", "SRP_A", "USERNAME"]);
    assert_eq!(responses["USERNAME"], "alice-internal");
    assert_eq!(
        responses["SECRET_HASH"],
        secret_hash("alice-internal").as_str()
    );
    assert_eq!(responses["DEVICE_KEY"], DEVICE_KEY);
    let verifier = request_body(&requests[2], "RespondToAuthChallenge");
    assert_eq!(verifier["Session"], "second-session");
    let responses = &verifier["ChallengeResponses"];
    let keys: Vec<&String> = responses.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "DEVICE_KEY",
            "PASSWORD_CLAIM_SECRET_BLOCK",
            "PASSWORD_CLAIM_SIGNATURE",
            "SECRET_HASH",
            "TIMESTAMP",
            "USERNAME"
        ]
    );
    assert_eq!(responses["PASSWORD_CLAIM_SECRET_BLOCK"], "c2VjcmV0IGJsb2Nr");
    assert_eq!(
        responses["SECRET_HASH"],
        secret_hash("alice-internal").as_str()
    );
    let all = format!("{initiate}{srp_auth}{verifier}");
    assert!(
        !all.contains(DEVICE_PASSWORD),
        "the device password never leaves the process"
    );
}
