//! Writes the seed corpora: `cargo run --example gen-seeds` (in `fuzz/`).
//!
//! Every seed is deterministic (fixed key, clock and claims), so rerunning this rewrites the same
//! bytes. Only `corpus/<target>/seed-*` files are written (and stale ones removed); what the
//! fuzzer adds to the corpus directories is left alone and ignored by git.

use std::fs;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use tower_cognito_fuzz::{FIXTURE, KID, NOW, access_claims, id_claims};

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (target, seeds) in [
        ("verify_token", verify_token()),
        ("jwks_parse", jwks_parse()),
        ("auth_header", auth_header()),
        ("claims_parse", claims_parse()),
        ("issuer_route", issuer_route()),
        ("kid_index", kid_index()),
    ] {
        let dir = root.join(target);
        fs::create_dir_all(&dir)?;
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with("seed-") {
                fs::remove_file(entry.path())?;
            }
        }
        for (i, (name, bytes)) in seeds.iter().enumerate() {
            fs::write(dir.join(format!("seed-{:02}-{name}", i + 1)), bytes)?;
        }
        println!("{target}: {} seeds", seeds.len());
    }
    Ok(())
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn header() -> Value {
    json!({"alg": "RS256", "kid": KID})
}

fn verify_token() -> Vec<(&'static str, Vec<u8>)> {
    let f = &*FIXTURE;
    let issuer = &f.issuer;
    let names = [
        "valid-access",
        "valid-id",
        "valid-rich",
        "valid-m2m",
        "valid-id-attrs",
        "valid-jku-ignored",
    ];
    let mut seeds: Vec<(&str, Vec<u8>)> = names
        .into_iter()
        .zip(&f.valid)
        .map(|(name, token)| (name, token.clone().into_bytes()))
        .collect();
    assert_eq!(seeds.len(), f.valid.len(), "name every valid token");

    let access = access_claims(issuer);
    let signed = |edit: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut claims = access.clone();
        edit(&mut claims);
        issuer.sign(&claims).into_bytes()
    };
    let valid = &f.valid[0];
    let mut parts = valid.split('.');
    let (h, p, s) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let with_header = |header: Value| {
        issuer
            .sign_json(&header, &Value::Object(access.clone()))
            .into_bytes()
    };
    let raw = |header: &str, payload: &str| {
        issuer
            .sign_raw(header.as_bytes(), payload.as_bytes())
            .into_bytes()
    };
    let access_json = Value::Object(access.clone()).to_string();
    let duplicate_exp = format!(
        r#"{{"sub":"u","iss":"{}","token_use":"access","client_id":"{}","exp":{},"exp":{}}}"#,
        issuer.issuer(),
        issuer.client_id(),
        NOW + 60,
        NOW + 3600
    );
    let mut admin = access.clone();
    admin.insert("cognito:groups".into(), json!(["users", "admin"]));
    let admin = Value::Object(admin);
    let mut flipped = valid.clone().into_bytes();
    if let Some(last) = flipped.last_mut() {
        *last = if *last == b'A' { b'B' } else { b'A' };
    }

    seeds.extend([
        (
            "expired",
            signed(&|c| {
                c.insert("exp".into(), json!(NOW - 61));
            }),
        ),
        (
            "wrong-issuer",
            signed(&|c| {
                c.insert(
                    "iss".into(),
                    json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"),
                );
            }),
        ),
        (
            "wrong-client",
            signed(&|c| {
                c.insert("client_id".into(), json!("otherclient"));
            }),
        ),
        (
            "exp-string",
            signed(&|c| {
                c.insert("exp".into(), json!((NOW + 3600).to_string()));
            }),
        ),
        (
            "token-use-refresh",
            signed(&|c| {
                c.insert("token_use".into(), json!("refresh"));
            }),
        ),
        (
            "unknown-kid",
            with_header(json!({"alg": "RS256", "kid": "other"})),
        ),
        (
            "typ-at-jwt",
            with_header(json!({"alg": "RS256", "kid": KID, "typ": "at+jwt"})),
        ),
        (
            "crit",
            with_header(json!({"alg": "RS256", "kid": KID, "crit": ["exp"]})),
        ),
        (
            "duplicate-alg",
            raw(
                &format!(r#"{{"alg":"RS256","alg":"none","kid":"{KID}"}}"#),
                &access_json,
            ),
        ),
        ("duplicate-exp", raw(&header().to_string(), &duplicate_exp)),
        (
            "alg-none",
            format!(
                "{}.{p}.{s}",
                b64(format!(r#"{{"alg":"none","kid":"{KID}"}}"#).as_bytes())
            )
            .into_bytes(),
        ),
        (
            "hs256",
            format!(
                "{}.{p}.{s}",
                b64(format!(r#"{{"alg":"HS256","kid":"{KID}"}}"#).as_bytes())
            )
            .into_bytes(),
        ),
        (
            "groups-admin-old-signature",
            format!("{h}.{}.{s}", b64(admin.to_string().as_bytes())).into_bytes(),
        ),
        ("signature-bit-flipped", flipped),
        (
            "signature-truncated",
            format!("{h}.{p}.{}", &s[..s.len() - 4]).into_bytes(),
        ),
        ("two-parts", format!("{h}.{p}").into_bytes()),
        (
            "five-parts-jwe",
            format!("{h}.{p}.{s}.{s}.{s}").into_bytes(),
        ),
        ("padding", format!("{h}=.{p}.{s}").into_bytes()),
        (
            "plus-slash",
            format!("{h}.{p}.{}", s.replace('-', "+").replace('_', "/")).into_bytes(),
        ),
        (
            "payload-array",
            format!("{h}.{}.{s}", b64(b"[]")).into_bytes(),
        ),
        (
            "nested",
            format!(
                "{h}.{}.{s}",
                b64(format!("{}{}", "[".repeat(200), "]".repeat(200)).as_bytes())
            )
            .into_bytes(),
        ),
    ]);
    seeds
}

fn jwks_parse() -> Vec<(&'static str, Vec<u8>)> {
    let f = &*FIXTURE;
    let jwks = f.issuer.jwks();
    let key = jwks["keys"][0].clone();
    let n = key["n"].as_str().unwrap_or_default().to_owned();
    // The fixture key with members replaced (`Value::Null`: removed).
    let with = |changes: &[(&str, Value)]| {
        let mut k = key.as_object().cloned().unwrap_or_default();
        for (name, value) in changes {
            match value {
                Value::Null => k.remove(*name),
                value => k.insert((*name).to_owned(), value.clone()),
            };
        }
        Value::Object(k)
    };
    // Cognito publishes two keys; the second one here is the same modulus under another kid.
    let cognito = json!({"keys": [key, with(&[("kid", json!("fuzz-key-2"))])]});
    let ec = json!({
        "kty": "EC",
        "crv": "P-256",
        "kid": "ec",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uE9-Uw1E",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    });
    let mixed = json!({"keys": [
        with(&[("use", json!("enc"))]),
        with(&[("alg", json!("RS512"))]),
        with(&[("n", json!(&n[..171]))]),
        with(&[("e", json!("AQAA"))]),
        with(&[("e", json!("AQ"))]),
        with(&[("kid", Value::Null)]),
        with(&[("kid", json!(7))]),
        with(&[("kid", json!("k".repeat(300)))]),
        with(&[("n", json!(format!("AA{n}"))), ("kid", json!("leading-zero"))]),
        with(&[("n", json!(format!("{n}=="))), ("kid", json!("padded"))]),
        ec,
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
        7,
        null,
    ]});
    let duplicate = json!({"keys": [key, key]});
    vec![
        ("fixture", jwks.to_string().into_bytes()),
        (
            "cognito-two-keys",
            serde_json::to_vec_pretty(&cognito).unwrap_or_default(),
        ),
        ("mixed-bad-keys", mixed.to_string().into_bytes()),
        ("duplicate-kid", duplicate.to_string().into_bytes()),
        (
            "x5c-extras",
            json!({"keys": [with(&[
                ("x5c", json!(["MIIB"])),
                ("x5t", json!("abc")),
                ("key_ops", json!(["verify"])),
            ])]})
            .to_string()
            .into_bytes(),
        ),
        ("empty-keys", br#"{"keys":[]}"#.to_vec()),
        ("keys-object", br#"{"keys":{}}"#.to_vec()),
        ("array", b"[]".to_vec()),
        ("not-json", b"<html>502 Bad Gateway</html>".to_vec()),
    ]
}

fn auth_header() -> Vec<(&'static str, Vec<u8>)> {
    let f = &*FIXTURE;
    let access = &f.valid[0];
    let id = &f.valid[1];
    let bad = format!("{}x", &access[..access.len() - 1]);
    [
        ("valid-access", format!("Bearer {access}")),
        ("valid-id-lowercase-two-spaces", format!("bearer  {id}")),
        ("invalid-signature", format!("Bearer {bad}")),
        ("basic", "Basic dXNlcjpwYXNz".to_owned()),
        ("bearer-alone", "Bearer".to_owned()),
        ("bearer-spaces", "Bearer    ".to_owned()),
        ("two-headers", format!("Bearer {access}\nBearer {access}")),
        ("two-tokens", format!("Bearer {access} {id}")),
        ("comma-joined", format!("Bearer {access},{id}")),
        ("tab", format!("Bearer\t{access}")),
        ("non-ascii", format!("Bearer {access}\u{e9}")),
        ("b64token-chars", "Bearer a+/~-_.b==".to_owned()),
        ("padding-inside", "Bearer a=.b.c".to_owned()),
        ("empty-line-then-valid", format!("\nBearer {access}")),
    ]
    .into_iter()
    .map(|(name, value)| (name, value.into_bytes()))
    .collect()
}

/// Decoded payloads as a layer of several pools scans them for its routing key: real ones, and
/// `iss` nested, escaped, inside strings, duplicated, after deep nesting.
fn issuer_route() -> Vec<(&'static str, Vec<u8>)> {
    let f = &*FIXTURE;
    let mut seeds: Vec<(&str, Vec<u8>)> = f
        .valid
        .iter()
        .zip(["access", "id"])
        .map(|(token, name)| {
            let payload = token.split('.').nth(1).unwrap_or_default();
            (name, URL_SAFE_NO_PAD.decode(payload).unwrap_or_default())
        })
        .collect();
    let iss = f.issuer.issuer();
    for (name, json) in [
        (
            "nested-first",
            format!(r#"{{"a":{{"iss":"other"}},"b":[{{"iss":"x"}}],"iss":"{iss}"}}"#),
        ),
        (
            "in-string",
            format!(r#"{{"a":"\"iss\":\"x\"","iss":"{iss}"}}"#),
        ),
        (
            "escaped-name",
            format!(r#"{{"\u0069ss":"x","iss":"{iss}"}}"#),
        ),
        ("escaped-value", r#"{"iss":"https:\/\/a"}"#.to_owned()),
        ("duplicate", format!(r#"{{"iss":"{iss}","iss":"other"}}"#)),
        (
            "deep",
            format!(r#"{{"a":[[[[{{"b":{{}}}}]]]], "iss" : "{iss}" }}"#),
        ),
        (
            "brackets-in-strings",
            format!(r#"{{"a":"}}]","b":["{{["],"iss":"{iss}"}}"#),
        ),
    ] {
        seeds.push((name, json.into_bytes()));
    }
    seeds
}

/// The pools' `kid`s (a line: pools separated by `|`, `kid`s by spaces), then a header: one
/// pool's key, a shared one, an unknown one, a header the parser reads (`typ`, sorted, escaped),
/// an empty pool, a refused header.
fn kid_index() -> Vec<(&'static str, Vec<u8>)> {
    [
        ("one", format!("{KID}|pool-b-1\n{}", header())),
        ("usual", format!("{KID}|pool-b-1\n{{\"kid\":\"{KID}\",\"alg\":\"RS256\"}}")),
        ("shared", "k1 k2|k2\n{\"alg\":\"RS256\",\"kid\":\"k2\"}".to_owned()),
        ("unknown", "k1|k2\n{\"kid\":\"k3\",\"alg\":\"RS256\"}".to_owned()),
        ("typ", "k1|k2\n{\"kid\":\"k1\",\"alg\":\"RS256\",\"typ\":\"JWT\"}".to_owned()),
        ("escaped", "a\"b|c\n{\"kid\":\"a\\\"b\",\"alg\":\"RS256\"}".to_owned()),
        ("empty-pool", "k1||k2\n{\"kid\":\"k2\",\"alg\":\"RS256\"}".to_owned()),
        ("unicode", "é😀|x\n{\"kid\":\"é😀\",\"alg\":\"RS256\"}".to_owned()),
        ("refused", "k1|k2\n{\"kid\":\"k1\",\"alg\":\"HS256\"}".to_owned()),
    ]
    .into_iter()
    .map(|(name, text)| (name, text.into_bytes()))
    .collect()
}

fn claims_parse() -> Vec<(&'static str, Vec<u8>)> {
    let f = &*FIXTURE;
    let access = Value::Object(access_claims(&f.issuer));
    let id = Value::Object(id_claims(&f.issuer));
    let mut seeds: Vec<(&str, Vec<u8>)> = f
        .valid
        .iter()
        .zip(["access", "id", "rich", "m2m", "id-attrs"])
        .map(|(token, name)| {
            let payload = token.split('.').nth(1).unwrap_or_default();
            (name, URL_SAFE_NO_PAD.decode(payload).unwrap_or_default())
        })
        .collect();
    let edit = |base: &Value, name: &str, value: Value| {
        let mut c = base.as_object().cloned().unwrap_or_default();
        c.insert(name.to_owned(), value);
        serde_json::to_vec(&c).unwrap_or_default()
    };
    // The fewest claims that parse, plus `more` members.
    let min = |more: &str| {
        format!(r#"{{"iss":"i","token_use":"access","exp":0{more},"sub":"u"}}"#).into_bytes()
    };
    seeds.extend([
        ("exp-float", edit(&access, "exp", json!(1.7e9))),
        ("exp-huge", edit(&access, "exp", json!(1e300))),
        ("exp-negative", edit(&access, "exp", json!(-1))),
        ("aud-array", edit(&id, "aud", json!(["a", "b"]))),
        (
            "groups-string",
            edit(&access, "cognito:groups", json!("admin")),
        ),
        ("scope-array", edit(&access, "scope", json!(["a"]))),
        (
            "email-verified-string",
            edit(&id, "email_verified", json!("false")),
        ),
        (
            "custom-non-string",
            edit(&id, "custom:n", json!({"x": [1, 2.5, null]})),
        ),
        ("duplicate-custom", min(r#","custom:a":"x","custom:a":"y""#)),
        ("duplicate-nested", min(r#","x":{"a":1,"a":2}"#)),
        (
            "escaped-keys",
            min(r#","custom:\u00e9":"\ud83d\ude00","\u0078":"\n""#),
        ),
        ("escaped-duplicate-sub", min(r#","s\u0075b":"v""#)),
        ("minimal", min("")),
        ("trailing-bytes", [min(""), b" x".to_vec()].concat()),
    ]);
    seeds
}
