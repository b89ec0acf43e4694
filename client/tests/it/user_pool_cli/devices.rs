//! `--device-store` on `login`, `respond` and `refresh`, and the `devices` subcommand, against
//! a local pool that tracks devices.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use tower_cognito_client::test_util::{DeviceTracking, LocalUserPool};

use super::{PASSWORD, Pool, check_tokens};

fn claims(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

async fn pool_with_mfa_user(tracking: DeviceTracking, username: &str) -> Pool {
    let p = Pool::from_builder(LocalUserPool::builder().device_tracking(tracking)).await;
    p.pool
        .create_user(username, PASSWORD, &[("phone_number", "+15555550123")])
        .await
        .unwrap();
    assert!(p.pool.enable_sms_mfa(username));
    p
}

/// `login` then `respond` to SMS_MFA, both with the store: the tokens with the new device.
async fn first_login(p: &Pool, username: &str, store: &str, remember: bool) -> Value {
    let mut args = vec![
        "login",
        "--username",
        username,
        "--password",
        PASSWORD,
        "--srp",
        "--device-store",
        store,
    ];
    if remember {
        args.push("--remember");
    }
    let challenge = p.run(&args).await.json();
    assert_eq!(challenge["challenge"], "SMS_MFA", "{challenge}");
    let session = challenge["session"].as_str().unwrap().to_owned();
    let code = p.code(username);
    let mut args = vec![
        "respond",
        "--challenge",
        "SMS_MFA",
        "--session",
        &session,
        "--username",
        username,
        "--code",
        &code,
        "--device-store",
        store,
    ];
    if remember {
        args.push("--remember");
    }
    let tokens = p.run(&args).await.json();
    check_tokens(&tokens);
    tokens
}

#[tokio::test]
async fn device_store_remembers_the_device_and_signs_in_with_device_srp() {
    let p = pool_with_mfa_user(DeviceTracking::Always, "dina").await;
    let dir = tempfile_dir("device-store");
    let store = dir.join("devices.json");
    let store_arg = store.to_str().unwrap();
    let first = first_login(&p, "dina", store_arg, false).await;
    let device = &first["device"];
    assert_eq!(device["remembered"], true, "{first}");
    let key = device["device_key"].as_str().unwrap().to_owned();
    assert!(first.get("device_password").is_none() && device.get("device_password").is_none());

    // The file: mode 0600, the device and its password, no token.
    let text = std::fs::read_to_string(&store).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&store).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let file: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(file["devices"]["dina"]["device_key"], key.as_str());
    assert_eq!(
        file["devices"]["dina"]["device_password"]
            .as_str()
            .unwrap()
            .len(),
        56
    );
    for token in ["access_token", "id_token", "refresh_token"] {
        assert!(
            !text.contains(first[token].as_str().unwrap()),
            "{token} in the file"
        );
    }

    // Next login: MFA skipped, the device's key in the access token, no new device.
    let second = p
        .run(&[
            "login",
            "--username",
            "dina",
            "--password",
            PASSWORD,
            "--srp",
            "--device-store",
            store_arg,
        ])
        .await
        .json();
    check_tokens(&second);
    assert!(second.get("device").is_none(), "{second}");
    assert_eq!(
        claims(second["access_token"].as_str().unwrap())["device_key"],
        key.as_str()
    );
    // USER_PASSWORD_AUTH too.
    let third = p
        .run(&[
            "login",
            "--username",
            "dina",
            "--password",
            PASSWORD,
            "--device-store",
            store_arg,
        ])
        .await
        .json();
    assert_eq!(
        claims(third["access_token"].as_str().unwrap())["device_key"],
        key.as_str()
    );

    // Refresh: with the device key from the file; without it, refused.
    let refresh_token = second["refresh_token"].as_str().unwrap();
    p.run(&["refresh", "--refresh-token", refresh_token])
        .await
        .cognito_error("error: NotAuthorizedException: Invalid Refresh Token");
    p.run(&[
        "refresh",
        "--refresh-token",
        refresh_token,
        "--device-store",
        store_arg,
    ])
    .await
    .usage_error("--username");
    let refreshed = p
        .run(&[
            "refresh",
            "--refresh-token",
            refresh_token,
            "--device-store",
            store_arg,
            "--username",
            "dina",
        ])
        .await
        .json();
    assert_eq!(
        claims(refreshed["access_token"].as_str().unwrap())["device_key"],
        key.as_str()
    );

    // A DEVICE_SRP_AUTH challenge given to `respond`: answered from the store, only with it.
    let answer = p
        .pool
        .call(
            "InitiateAuth",
            &serde_json::json!({
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": p.pool.client_id(),
                "AuthParameters": { "USERNAME": "dina", "PASSWORD": PASSWORD, "DEVICE_KEY": key },
            }),
        )
        .await
        .unwrap();
    assert_eq!(answer["ChallengeName"], "DEVICE_SRP_AUTH");
    let session = answer["Session"].as_str().unwrap();
    let respond = [
        "respond",
        "--challenge",
        "DEVICE_SRP_AUTH",
        "--session",
        session,
        "--username",
        "dina",
    ];
    p.run(&respond).await.usage_error("DEVICE_SRP_AUTH");
    let with_store = [&respond[..], &["--device-store", store_arg]].concat();
    let tokens = p.run(&with_store).await.json();
    assert_eq!(
        claims(tokens["access_token"].as_str().unwrap())["device_key"],
        key.as_str()
    );

    // A device password that no longer matches: NotAuthorizedException, no fall-back, the
    // file left as it was.
    let mut tampered = file.clone();
    tampered["devices"]["dina"]["device_password"] =
        Value::String("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==".to_owned());
    let tampered = serde_json::to_string(&tampered).unwrap();
    std::fs::write(&store, &tampered).unwrap();
    p.run(&[
        "login",
        "--username",
        "dina",
        "--password",
        PASSWORD,
        "--srp",
        "--device-store",
        store_arg,
    ])
    .await
    .cognito_error("error: NotAuthorizedException: Incorrect username or password.");
    assert_eq!(std::fs::read_to_string(&store).unwrap(), tampered);
    // A file that is not JSON: a store error, exit 1.
    std::fs::write(&store, "not json").unwrap();
    let run = p
        .run(&[
            "login",
            "--username",
            "dina",
            "--password",
            PASSWORD,
            "--srp",
            "--device-store",
            store_arg,
        ])
        .await;
    assert_eq!(run.error_type(), "DeviceStore");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn remember_and_the_devices_subcommand() {
    let p = pool_with_mfa_user(DeviceTracking::UserOptIn, "emil").await;
    let dir = tempfile_dir("devices-subcommand");
    let store = dir.join("devices.json");
    let store_arg = store.to_str().unwrap();
    // Opt-in pool, --remember: confirmed and marked remembered.
    let first = first_login(&p, "emil", store_arg, true).await;
    assert_eq!(first["device"]["remembered"], true, "{first}");
    let key = first["device"]["device_key"].as_str().unwrap().to_owned();
    let access = first["access_token"].as_str().unwrap();

    let list = p
        .run(&["devices", "list", "--access-token", access])
        .await
        .json();
    let devices = list["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["device_key"], key.as_str());
    assert_eq!(devices[0]["remembered"], true);
    let device = p
        .run(&[
            "devices",
            "get",
            "--access-token",
            access,
            "--device-key",
            &key,
        ])
        .await
        .json();
    assert_eq!(
        device["attributes"]["dev:device_remembered_status"],
        "remembered"
    );
    assert_eq!(
        p.run(&[
            "devices",
            "remember",
            "--access-token",
            access,
            "--device-key",
            &key
        ])
        .await
        .json(),
        serde_json::json!({})
    );
    p.run(&["devices", "get", "--access-token", access])
        .await
        .usage_error("--device-key");
    p.run(&["devices", "wipe", "--access-token", access])
        .await
        .usage_error("wipe");
    let unknown = "us-east-1_00000000-0000-4000-8000-000000000000";
    p.run(&[
        "devices",
        "get",
        "--access-token",
        access,
        "--device-key",
        unknown,
    ])
    .await
    .cognito_error("error: ResourceNotFoundException: Device does not exist.");

    // A second sign-in with --remember: nothing new to confirm, MFA skipped.
    let second = p
        .run(&[
            "login",
            "--username",
            "emil",
            "--password",
            PASSWORD,
            "--device-store",
            store_arg,
            "--remember",
        ])
        .await
        .json();
    assert!(second.get("device").is_none(), "{second}");
    // --remember without --device-store is a usage error.
    p.run(&[
        "login",
        "--username",
        "emil",
        "--password",
        PASSWORD,
        "--remember",
    ])
    .await
    .usage_error("--device-store");

    // forget: gone from the pool and from the file.
    assert_eq!(
        p.run(&[
            "devices",
            "forget",
            "--access-token",
            access,
            "--device-key",
            &key,
            "--device-store",
            store_arg,
        ])
        .await
        .json(),
        serde_json::json!({})
    );
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&store).unwrap()).unwrap();
    assert!(file["devices"].as_object().unwrap().is_empty(), "{file}");
    let list = p
        .run(&["devices", "list", "--access-token", access])
        .await
        .json();
    assert!(list["devices"].as_array().unwrap().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh directory under the system temp dir.
fn tempfile_dir(label: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "user-pool-cli-{label}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
