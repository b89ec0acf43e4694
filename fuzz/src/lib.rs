//! The fixture shared by the fuzz targets and by the seed generator (`examples/gen-seeds.rs`).
//!
//! Everything here is deterministic: a fixed test key, a fixed clock and fixed claims. RS256
//! (RSASSA-PKCS1-v1_5) signatures are deterministic too, so [`Fixture::valid`] holds the same bytes
//! on every run, the same bytes as the `seed-*-valid-*` files of `corpus/verify_token`. That set
//! is the oracle of the targets: a token verifies if and only if it is byte-identical to one of
//! them.

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{TokenUse, CognitoAuthLayer, Verifier, clock::FixedClock, jwks::KeySet};

/// The verifier's clock and the issuer's: every `iat`/`exp` is relative to it.
pub const NOW: u64 = 1_700_000_000;
/// The `kid` of the fixture key.
pub const KID: &str = "fuzz-key-1";

/// TEST-ONLY RSA-2048 private key (PKCS#8 DER, base64), published on purpose so that fuzz seeds
/// are reproducible. It signs nothing but fuzz fixtures; never trust it anywhere.
const TEST_ONLY_PKCS8: &str = "
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC2PgoDtK7Hb4Q/XUGR+9dLgh9D
M1wXb5kudmI7y0JT51wCs9+JJ5l5mnfQzNtGbQS6EzgiE9EENb5gyYOfQUqR1NG8BzVglzssi8ww
oKV6lUH1V+ccZlCSgZDJkl6f0u9/5KLW5aebIe+RZVwdYhlmecNplIlshO0T5/PhfoTSgSxEKSK7
t6r1ZGROcDo0Ki3FQvRAHj706nCky1ZhYZ3F593pT1VdhyinuvxV0t+pyTePnRrEf18orp+uqKDd
n5CYkuQig0cC49oO1L8IDaZ40FDDLySKLoryOM8+m4J3pBcKNy1q28sGPkF/zXek3DlzPkt18iDz
oCR+l6+Q4DWFAgMBAAECggEABdXdtzmpYQxylR7U0ypXvfy4KIwz9jImGwVCZvy+rnYZjaKZ1Uf1
0519Gav9l3c1MAoegYTV7AcWhf3d35MVIq9IWfd3H5UoGWiOjL4QHmk6F/ONHG0wRkiszK+JpR95
eMRm7G+lGsQO6j5vISe7fXsHpVFSxy1IdBs4xW8qLJ1VRt3tq7FWuQPBqEhqPTADcmoz9XJMWJ+1
1wldimz/md28le1stia1TsyiqGrYjMpbm1XcWOHT5DXfCiXi/OzcW5M34qNReL0RNAtIM+ecjd2o
T+tdN267n5cwGl3eM+eZ0vFLFQmtS0IQqHThvEoyWC3PLrxpZnOOS9pVOZl1MQKBgQD5E9SM4mxY
y31WPmsbjhbtmT0985Jf+5u9RKMWoHkSWUqYvtVDztTJIzHyjXtWftHcdX10EXNCZk2adcMsnKOc
H+IbaUcNXCxJ+pdPvCm6y3fSPL2DgkmSq4cRgvz9UQLUtfPCcLJ3sDJF81/f5JBbM0cwFTLb82YJ
SFqoiYYTHQKBgQC7Tq5thAVO06glqcgunf4wz0pJdskDpFVK66FBbQi/SY+8JiUVkupPuAXXVR7A
qFL7/FyQWGLQsVQ94piVJ1LHV58ZnypHbezRwhSJkBs/u3iOb4yC/BE+/fL7srekWPm8f62b2wWa
OKn47E8SRWXWB9SKBOAw0/MEC2dJxDv3iQKBgQCQ1PMXKOIPj+PFrm3hi/HRHvX5fBR1M30PxUV/
9rfv73Ps9apUz4PzoT995r79QKkPJFJal3sJ9SrS0f83ha2tLuzvO3xRTHOEYO5zMtqg/4cg/KjG
O5BEdPEJQb2SHvUictrXCWj9J7tT6XyqV+GI5nxSfUEhnJqMc0IkFjOcEQKBgGGblvorGjkBw1Yd
K9xfKN92pleyNv5W3Lu2Hsphb3V/eA+sMRcVAFWaqDCWgvgSv2vhDruJ07S9NBErzCet3k1TM+2+
K+IdPpPwd5NYLVsA7soLB0Ya5UHWRJE1iM10MHAyeN4HPNwpOyokuu/iijcGzZM/BzVqvfEVoDWo
tTdBAoGAGP50pubWcJokOilDOHbbavRs6F38ppPrADsvC8sB6gXEFqu6Isbwg7HuRnNDffLN7LFk
sTYUB5BSYpCb1t8UGMIPISs80BR9K/ElEfusO3AM0dhsN/7PurmhthKjDv3wHXXxW5R4TYGLvijA
B2QIUW1BBM0GAgkjNTp9hxU6cYQ=
";

/// The issuer, key set, verifiers, layer and valid tokens every target works with.
#[derive(Debug)]
pub struct Fixture {
    /// Signs with the test key at [`NOW`].
    pub issuer: LocalIssuer,
    /// The issuer's JWKS document.
    pub jwks: String,
    /// The key set parsed from [`jwks`](Self::jwks).
    pub keys: KeySet,
    /// Accepts access and ID tokens of the issuer's pool and client.
    pub verifier: Verifier,
    /// Accepts access tokens only.
    pub access_verifier: Verifier,
    /// A layer with [`verifier`](Self::verifier)'s rules over a fixed key set.
    pub layer: CognitoAuthLayer,
    /// Every token that verifies at [`NOW`]: access and ID tokens with fixed claims.
    pub valid: Vec<String>,
}

/// Built once per process: parsing the key and signing the tokens is far slower than one run.
pub static FIXTURE: LazyLock<Fixture> = LazyLock::new(Fixture::new);

impl Fixture {
    fn new() -> Self {
        let der = STANDARD
            .decode(TEST_ONLY_PKCS8.split_whitespace().collect::<String>())
            .expect("test key is base64");
        let issuer = LocalIssuer::builder()
            .kid(KID)
            .clock(FixedClock::new(NOW))
            .pkcs8_key(der)
            .build()
            .expect("test key parses");
        let jwks = issuer.jwks().to_string();
        let keys = KeySet::from_jwks(jwks.as_bytes()).expect("fixture JWKS loads");
        // The issuer's configuration carries its clock, stopped at NOW.
        let config = |token_use: Option<TokenUse>| {
            let builder = match token_use {
                Some(one) => issuer.config().token_use(one),
                None => issuer.config().any_token_use(),
            };
            builder.build().expect("fixture config builds")
        };
        let verifier = Verifier::new(&config(None));
        let access_verifier = Verifier::new(&config(Some(TokenUse::Access)));
        let layer = CognitoAuthLayer::builder(config(None))
            .static_keys(KeySet::from_jwks(jwks.as_bytes()).expect("fixture JWKS loads"))
            .build()
            .expect("fixture layer builds");
        let valid = valid_tokens(&issuer);
        for token in &valid {
            verifier
                .verify(token, &keys, NOW)
                .expect("fixture token verifies");
        }
        Self {
            issuer,
            jwks,
            keys,
            verifier,
            access_verifier,
            layer,
            valid,
        }
    }
}

/// Access claims with the issuer's random ids replaced by fixed ones.
pub fn access_claims(issuer: &LocalIssuer) -> Map<String, Value> {
    fixed_ids(issuer.access_claims())
}

/// ID claims with fixed ids.
pub fn id_claims(issuer: &LocalIssuer) -> Map<String, Value> {
    fixed_ids(issuer.id_claims())
}

fn fixed_ids(mut claims: Map<String, Value>) -> Map<String, Value> {
    for (name, value) in [
        ("jti", "00000000-0000-4000-8000-00000000000a"),
        ("origin_jti", "00000000-0000-4000-8000-00000000000b"),
        ("event_id", "00000000-0000-4000-8000-00000000000c"),
    ] {
        claims.insert(name.to_owned(), json!(value));
    }
    claims
}

/// The tokens of [`Fixture::valid`], in seed order.
fn valid_tokens(issuer: &LocalIssuer) -> Vec<String> {
    let access = access_claims(issuer);
    let id = id_claims(issuer);

    // Everything a pre-token-generation trigger may add, and a `typ` header.
    let mut rich = access.clone();
    rich.insert(
        "scope".into(),
        json!("openid profile orders/read orders/write"),
    );
    rich.insert("cognito:groups".into(), json!(["users", "admins"]));
    rich.insert("nbf".into(), json!(NOW - 10));
    rich.insert("custom:tenant".into(), json!("t-42"));
    rich.insert("device_key".into(), json!("us-east-1_00000000-aaaa"));
    let rich = issuer.sign_json(
        &json!({"alg": "RS256", "kid": KID, "typ": "JWT"}),
        &Value::Object(rich),
    );

    // A client-credentials (machine-to-machine) token: no username, no groups.
    let mut m2m = access.clone();
    for name in [
        "username",
        "cognito:groups",
        "auth_time",
        "origin_jti",
        "event_id",
    ] {
        m2m.remove(name);
    }
    m2m.insert("sub".into(), json!(issuer.client_id()));
    m2m.insert("scope".into(), json!("orders/read"));

    let mut id_attrs = id.clone();
    id_attrs.insert("email_verified".into(), json!("true"));
    id_attrs.insert("phone_number".into(), json!("+15555550100"));
    id_attrs.insert("custom:plan".into(), json!("pro"));

    // `jku` (like `x5u`, `jwk`, `x5c`) is ignored, never fetched: the token is valid.
    let jku = issuer.sign_json(
        &json!({"alg": "RS256", "kid": KID, "jku": "https://evil.example/jwks.json"}),
        &Value::Object(access.clone()),
    );

    vec![
        issuer.sign(&access),
        issuer.sign(&id),
        rich,
        issuer.sign(&m2m),
        issuer.sign(&id_attrs),
        jku,
    ]
}
