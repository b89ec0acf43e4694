//! The ALB layer (`tower_cognito::alb`) through a real tower stack: every bad input of
//! SECURITY.md's "ALB-forwarded identity" list as a named test with its expected answer, the key
//! cache (single-flight, negative cache, fetch budget), the forwarded identities, and the strip
//! layer.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use tower::ServiceExt;
use tower_cognito::alb::{AlbAuthLayer, AlbClaims, AlbConfig, AlbConfigError, StripAlbHeaders};
use tower_cognito::clock::FixedClock;
use tower_cognito::reject::RequestError;
use tower_cognito::test_util::alb::{AlbKeyResponse, LOCAL_ALB_ARN, LocalAlb};
use tower_cognito::{Claims, ErrorKind};

use crate::support::tokens::NOW;

/// A local ALB whose clock is fixed at [`NOW`].
fn local_alb() -> (LocalAlb, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(NOW));
    (LocalAlb::with_clock(Arc::clone(&clock)).unwrap(), clock)
}

/// A layer on `alb`'s configuration, fetching from `alb` in memory.
fn layer(alb: &LocalAlb) -> AlbAuthLayer {
    AlbAuthLayer::builder(alb.config().build().unwrap())
        .key_source(alb.clone())
        .build()
        .unwrap()
}

#[derive(Debug)]
struct Answer {
    status: u16,
    kind: Option<ErrorKind>,
    retry_after: bool,
    challenge: Option<String>,
    claims: Option<Arc<AlbClaims>>,
    cognito_sub: Option<String>,
}

impl Answer {
    fn status_kind(&self) -> (u16, Option<ErrorKind>) {
        (self.status, self.kind)
    }
}

/// One request with these headers through `layer` over a service that hands back the claims it
/// got.
async fn call(layer: &AlbAuthLayer, headers: &[(&str, &[u8])]) -> Answer {
    let svc = tower::ServiceBuilder::new()
        .layer(layer.clone())
        .service_fn(|req: http::Request<()>| async move {
            let claims = req
                .extensions()
                .get::<tower_cognito::alb::Claims>()
                .cloned();
            let cognito = req.extensions().get::<Claims>().map(|c| c.sub.clone());
            let mut res = http::Response::new(String::new());
            res.extensions_mut().insert((claims, cognito));
            Ok::<_, Infallible>(res)
        });
    let mut req = http::Request::get("/me");
    for (name, value) in headers {
        req = req.header(*name, http::HeaderValue::from_bytes(value).unwrap());
    }
    let res = svc.oneshot(req.body(()).unwrap()).await.unwrap();
    let seen = res
        .extensions()
        .get::<(Option<tower_cognito::alb::Claims>, Option<String>)>()
        .cloned();
    Answer {
        status: res.status().as_u16(),
        kind: res
            .extensions()
            .get::<tower_cognito::Error>()
            .map(|e| e.kind()),
        retry_after: res.headers().contains_key("retry-after"),
        challenge: res
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned()),
        claims: seen
            .as_ref()
            .and_then(|(c, _)| c.as_ref().map(|c| Arc::clone(&c.0))),
        cognito_sub: seen.and_then(|(_, s)| s),
    }
}

async fn with_token(layer: &AlbAuthLayer, token: &str) -> Answer {
    call(layer, &[("x-amzn-oidc-data", token.as_bytes())]).await
}

/// A token of `alb` with `edit` applied to its header.
fn with_header(alb: &LocalAlb, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut header = alb.header();
    edit(&mut header);
    alb.sign_json(
        &Value::Object(header),
        &Value::Object(alb.claims_for("alice")),
    )
}

/// A token of `alb` with `edit` applied to its payload.
fn with_payload(alb: &LocalAlb, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut claims = alb.claims_for("alice");
    edit(&mut claims);
    alb.sign_json(&Value::Object(alb.header()), &Value::Object(claims))
}

const INVALID_TOKEN: u16 = 401;

#[tokio::test]
async fn alb_valid_token_reaches_the_handler_with_its_claims() {
    let (alb, _) = local_alb();
    let layer = layer(&alb);
    let token = alb.token();
    assert!(
        token.split('.').all(|s| s.len() % 4 == 0),
        "padded: {token}"
    );
    let answer = with_token(&layer, &token).await;
    assert_eq!(answer.status_kind(), (200, None));
    let claims = answer.claims.unwrap();
    assert_eq!(claims.sub, "alice");
    assert_eq!(claims.email(), Some("alice@example.com"));
    assert_eq!(claims.get_str("email_verified"), Some("true"));
    assert_eq!(
        (claims.signer.as_str(), claims.exp),
        (LOCAL_ALB_ARN, NOW + 3600)
    );
    assert_eq!(claims.iss, alb.issuer());
    // The key was fetched once; the next request is a cache hit.
    assert_eq!(with_token(&layer, &token).await.status, 200);
    assert_eq!((alb.key_requests(), layer.status().key_fetches), (1, 1));
    assert_eq!(layer.verify(&token).await.unwrap().sub, "alice");
}

#[tokio::test]
async fn alb_unpadded_token_is_accepted() {
    let (alb, _) = local_alb();
    let header = URL_SAFE_NO_PAD.encode(Value::Object(alb.header()).to_string());
    let payload = URL_SAFE_NO_PAD.encode(Value::Object(alb.claims_for("alice")).to_string());
    let signed = alb.sign_segments(&header, &payload);
    let unpadded = signed.trim_end_matches('=');
    assert!(!unpadded.contains('='));
    assert_eq!(with_token(&layer(&alb), unpadded).await.status, 200);
}

#[tokio::test]
async fn alb_padding_of_three_equals_is_refused() {
    let (alb, _) = local_alb();
    let header = format!(
        "{}===",
        URL_SAFE_NO_PAD.encode(Value::Object(alb.header()).to_string())
    );
    let payload = URL_SAFE.encode(Value::Object(alb.claims_for("alice")).to_string());
    let token = alb.sign_segments(&header, &payload);
    let answer = with_token(&layer(&alb), &token).await;
    assert_eq!(
        answer.status_kind(),
        (INVALID_TOKEN, Some(ErrorKind::Malformed))
    );
    assert_eq!(alb.key_requests(), 0);
}

#[tokio::test]
async fn alb_equals_inside_a_segment_is_refused() {
    let (alb, _) = local_alb();
    let header = URL_SAFE.encode(Value::Object(alb.header()).to_string());
    let payload = URL_SAFE_NO_PAD.encode(Value::Object(alb.claims_for("alice")).to_string());
    let (a, b) = payload.split_at(8);
    let token = alb.sign_segments(&header, &format!("{a}={b}"));
    let answer = with_token(&layer(&alb), &token).await;
    assert_eq!(
        answer.status_kind(),
        (INVALID_TOKEN, Some(ErrorKind::Malformed))
    );
}

/// The signature covers the received bytes, padding included: the same token with its header's
/// padding removed after signing decodes to the same JSON but no longer verifies.
#[tokio::test]
async fn alb_signature_covers_the_received_padding() {
    let (alb, _) = local_alb();
    let token = alb.token();
    let mut parts: Vec<&str> = token.split('.').collect();
    assert!(
        parts[0].ends_with('='),
        "a header whose length needs padding"
    );
    let bare = parts[0].trim_end_matches('=').to_owned();
    parts[0] = &bare;
    let answer = with_token(&layer(&alb), &parts.join(".")).await;
    assert_eq!(
        answer.status_kind(),
        (INVALID_TOKEN, Some(ErrorKind::InvalidSignature))
    );
}

#[tokio::test]
async fn alb_missing_header_is_401_without_error_code() {
    let (alb, _) = local_alb();
    let answer = call(&layer(&alb), &[]).await;
    assert_eq!(
        answer.status_kind(),
        (401, Some(ErrorKind::MissingCredentials))
    );
    assert_eq!(answer.challenge.as_deref(), Some("Bearer realm=\"api\""));
}

#[tokio::test]
async fn alb_two_data_headers_are_400() {
    let (alb, _) = local_alb();
    let token = alb.token();
    let answer = call(
        &layer(&alb),
        &[
            ("x-amzn-oidc-data", token.as_bytes()),
            ("x-amzn-oidc-data", token.as_bytes()),
        ],
    )
    .await;
    assert_eq!(
        answer.status_kind(),
        (
            400,
            Some(ErrorKind::InvalidRequest(RequestError::MultipleAlbHeaders))
        )
    );
    assert!(
        answer
            .challenge
            .unwrap()
            .contains("error=\"invalid_request\"")
    );
}

#[tokio::test]
async fn alb_control_or_non_ascii_bytes_are_400() {
    let (alb, _) = local_alb();
    let layer = layer(&alb);
    let token = alb.token();
    for bad in [
        // The only control byte a header value can carry is a tab (DEL and the rest are refused
        // by the HTTP stack already).
        format!("{token}\t").into_bytes(),
        [token.as_bytes(), b"\t", token.as_bytes()].concat(),
        [token.as_bytes(), &[0xc3, 0xa9][..]].concat(),
    ] {
        let answer = call(&layer, &[("x-amzn-oidc-data", &bad)]).await;
        assert_eq!(
            answer.status_kind(),
            (
                400,
                Some(ErrorKind::InvalidRequest(RequestError::InvalidCharacters))
            )
        );
    }
}

#[tokio::test]
async fn alb_structure_failures_are_401() {
    let (alb, _) = local_alb();
    let layer = layer(&alb);
    let token = alb.token();
    let (h, rest) = token.split_once('.').unwrap();
    let enc = |v: &Value| URL_SAFE.encode(v.to_string());
    let cases = [
        (format!("{h}.{rest}.x"), ErrorKind::Malformed),
        (h.to_owned(), ErrorKind::Malformed),
        (format!("{h}.x"), ErrorKind::Malformed),
        // The standard alphabet's `+`, in the header (decoded first; a URL-safe token holds `-`
        // at random places, or none, so it is put there, not swapped for one).
        (format!("+{}.{rest}", &h[1..]), ErrorKind::Malformed),
        (token.replace("eyJ", "eyJ "), ErrorKind::Malformed),
        (
            alb.sign_segments(&enc(&json!([1])), "e30="),
            ErrorKind::InvalidHeader,
        ),
        (
            alb.sign_segments(&URL_SAFE.encode("{\"alg\":\"ES256\""), "e30="),
            ErrorKind::InvalidHeader,
        ),
        (
            alb.sign_segments(&URL_SAFE.encode(r#"{"alg":"ES256","alg":"ES256"}"#), "e30="),
            ErrorKind::InvalidHeader,
        ),
        (
            alb.sign_segments(
                &enc(&Value::Object(alb.header())),
                &URL_SAFE.encode("[\"sub\"]"),
            ),
            ErrorKind::InvalidClaims,
        ),
        (
            with_payload(&alb, |p| {
                p.remove("sub");
            }),
            ErrorKind::InvalidClaims,
        ),
    ];
    for (token, kind) in cases {
        let answer = with_token(&layer, &token).await;
        assert_eq!(answer.status_kind(), (INVALID_TOKEN, Some(kind)), "{token}");
    }
    // Over the size cap (16 KiB by default): not decoded.
    let big = with_payload(&alb, |p| {
        p.insert("pad".into(), json!("x".repeat(16 * 1024)));
    });
    assert_eq!(
        with_token(&layer, &big).await.status_kind(),
        (INVALID_TOKEN, Some(ErrorKind::TokenTooLarge))
    );
    // Real ALB headers can exceed the bearer cap of 8 KiB: 12 KiB passes.
    let large = with_payload(&alb, |p| {
        p.insert("pad".into(), json!("x".repeat(9 * 1024)));
    });
    assert!(large.len() > 12 * 1024 && large.len() < 16 * 1024);
    assert_eq!(with_token(&layer, &large).await.status, 200);
}

#[tokio::test]
async fn alb_alg_other_than_es256_is_401_before_any_fetch() {
    let (alb, _) = local_alb();
    let layer = layer(&alb);
    for alg in [
        json!("none"),
        json!("HS256"),
        json!("RS256"),
        json!("ES384"),
        json!("es256"),
        json!(null),
    ] {
        let token = with_header(&alb, |h| {
            if alg.is_null() {
                h.remove("alg");
            } else {
                h.insert("alg".into(), alg.clone());
            }
        });
        let answer = with_token(&layer, &token).await;
        assert_eq!(
            answer.status_kind(),
            (INVALID_TOKEN, Some(ErrorKind::UnsupportedAlgorithm)),
            "{alg}"
        );
    }
    assert_eq!(alb.key_requests(), 0);
}

#[tokio::test]
async fn alb_kid_not_a_uuid_is_401_before_any_fetch() {
    let (alb, _) = local_alb();
    let layer = layer(&alb);
    let long = format!("{}0", alb.kid());
    for kid in [
        json!("../x"),
        json!("%2e%2e"),
        json!(long),
        json!(""),
        json!(7),
        json!(null),
    ] {
        let token = with_header(&alb, |h| {
            if kid.is_null() {
                h.remove("kid");
            } else {
                h.insert("kid".into(), kid.clone());
            }
        });
        let answer = with_token(&layer, &token).await;
        assert_eq!(
            answer.status_kind(),
            (INVALID_TOKEN, Some(ErrorKind::MissingKeyId)),
            "{kid}"
        );
    }
    assert_eq!(
        alb.key_requests(),
        0,
        "no kid of the wrong shape reaches the key URL"
    );
}

#[tokio::test]
async fn alb_uppercase_uuid_kid_is_accepted() {
    let (alb, _) = local_alb();
    let upper = alb.kid().to_uppercase();
    let layer = AlbAuthLayer::builder(alb.config().build().unwrap())
        .static_key(upper.clone(), alb.pem())
        .build()
        .unwrap();
    let token = with_header(&alb, |h| {
        h.insert("kid".into(), json!(upper));
    });
    assert_eq!(with_token(&layer, &token).await.status, 200);
}

#[tokio::test]
async fn alb_signer_of_another_alb_region_or_empty_is_401() {
    let (alb, _) = local_alb();
    let layer = layer(&alb);
    for signer in [
        json!(
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/other/0123456789abcdef"
        ),
        json!(
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/local-alb/0123456789abcdef"
        ),
        json!(format!("{LOCAL_ALB_ARN} ")),
        json!(""),
        json!([LOCAL_ALB_ARN]),
        json!(null),
    ] {
        let token = with_header(&alb, |h| {
            if signer.is_null() {
                h.remove("signer");
            } else {
                h.insert("signer".into(), signer.clone());
            }
        });
        let answer = with_token(&layer, &token).await;
        assert_eq!(
            answer.status_kind(),
            (INVALID_TOKEN, Some(ErrorKind::InvalidSigner)),
            "{signer}"
        );
    }
    assert_eq!(alb.key_requests(), 0);
}

#[test]
fn alb_layer_without_a_signer_does_not_build() {
    let built = AlbConfig::builder()
        .client_id("c1")
        .issuer("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123xyz")
        .build();
    assert!(
        matches!(built, Err(AlbConfigError::MissingSigner)),
        "{built:?}"
    );
}

#[tokio::test]
async fn alb_client_not_configured_is_401() {
    let (alb, _) = local_alb();
    let layer = layer(&alb);
    for client in [json!("otherclient"), json!(""), json!(null)] {
        let token = with_header(&alb, |h| {
            if client.is_null() {
                h.remove("client");
            } else {
                h.insert("client".into(), client.clone());
            }
        });
        assert_eq!(
            with_token(&layer, &token).await.status_kind(),
            (INVALID_TOKEN, Some(ErrorKind::InvalidClient)),
            "{client}"
        );
    }
}

#[tokio::test]
async fn alb_issuer_of_header_or_payload_not_the_configured_one_is_401() {
    let (alb, _) = local_alb();
    let layer = layer(&alb);
    let other = json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other");
    let header = with_header(&alb, |h| {
        h.insert("iss".into(), other.clone());
    });
    let payload = with_payload(&alb, |p| {
        p.insert("iss".into(), other.clone());
    });
    let missing = with_header(&alb, |h| {
        h.remove("iss");
    });
    for token in [header, payload, missing] {
        assert_eq!(
            with_token(&layer, &token).await.status_kind(),
            (INVALID_TOKEN, Some(ErrorKind::InvalidIssuer))
        );
    }
    // A payload without `iss` is fine: the header's is checked.
    let without = with_payload(&alb, |p| {
        p.remove("iss");
    });
    assert_eq!(with_token(&layer, &without).await.status, 200);
}

#[tokio::test]
async fn alb_exp_missing_not_a_number_or_past_is_401() {
    let (alb, clock) = local_alb();
    let layer = layer(&alb);
    let cases = [
        (json!(null), ErrorKind::MissingExpiry),
        (json!(format!("{}", NOW + 60)), ErrorKind::InvalidHeader),
        (json!((NOW + 60) as f64 + 0.5), ErrorKind::InvalidHeader),
        (
            json!(NOW - 61),
            ErrorKind::Expired {
                exp: NOW - 61,
                now: NOW,
            },
        ),
    ];
    for (exp, kind) in cases {
        let token = with_header(&alb, |h| {
            if exp.is_null() {
                h.remove("exp");
            } else {
                h.insert("exp".into(), exp.clone());
            }
        });
        assert_eq!(
            with_token(&layer, &token).await.status_kind(),
            (INVALID_TOKEN, Some(kind)),
            "{exp}"
        );
    }
    assert_eq!(alb.key_requests(), 0, "expiry is a header rule: no fetch");
    // Within the leeway (60 s by default).
    let late = with_header(&alb, |h| {
        h.insert("exp".into(), json!(NOW - 60));
    });
    assert_eq!(with_token(&layer, &late).await.status, 200);
    // The payload's `exp`, when present, holds too.
    let token = alb.token();
    clock.advance(3600 + 61);
    assert_eq!(
        with_token(&layer, &token).await.kind,
        Some(ErrorKind::Expired {
            exp: NOW + 3600,
            now: NOW + 3661
        })
    );
}

#[tokio::test]
async fn alb_der_signature_is_401() {
    let (alb, _) = local_alb();
    let token = alb.token();
    let (input, sig) = token.rsplit_once('.').unwrap();
    let raw = URL_SAFE.decode(sig).unwrap();
    assert_eq!(raw.len(), 64);
    let der = der_signature(&raw[..32], &raw[32..]);
    let answer = with_token(&layer(&alb), &format!("{input}.{}", URL_SAFE.encode(der))).await;
    assert_eq!(
        answer.status_kind(),
        (INVALID_TOKEN, Some(ErrorKind::InvalidSignature))
    );
    // Another key's signature over the same bytes.
    let (other, _) = local_alb();
    let forged = format!(
        "{input}.{}",
        URL_SAFE.encode(other.signature(input.as_bytes()))
    );
    assert_eq!(
        with_token(&layer(&alb), &forged).await.kind,
        Some(ErrorKind::InvalidSignature)
    );
}

/// `r` and `s` as an ASN.1 DER `SEQUENCE { INTEGER r, INTEGER s }`.
fn der_signature(r: &[u8], s: &[u8]) -> Vec<u8> {
    let int = |x: &[u8]| {
        let mut v = x.to_vec();
        while v.len() > 1 && v[0] == 0 && v[1] < 0x80 {
            v.remove(0);
        }
        if v[0] >= 0x80 {
            v.insert(0, 0);
        }
        let mut out = vec![0x02, v.len() as u8];
        out.extend(v);
        out
    };
    let body = [int(r), int(s)].concat();
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

#[tokio::test]
async fn alb_rsa_or_p384_key_at_the_key_url_is_503() {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::signature::{ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    let pem = |der: &[u8]| {
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(der)
        )
    };
    let p384 = EcdsaKeyPair::generate(&ECDSA_P384_SHA384_FIXED_SIGNING).unwrap();
    let rsa = aws_lc_rs::signature::RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    for der in [
        p384.public_key().as_der().unwrap().as_ref().to_vec(),
        rsa.public_key().as_der().unwrap().as_ref().to_vec(),
    ] {
        let (alb, _) = local_alb();
        alb.respond_with(AlbKeyResponse::Body(pem(&der).into_bytes()));
        let answer = with_token(&layer(&alb), &alb.token()).await;
        assert_eq!(
            answer.status_kind(),
            (503, Some(ErrorKind::KeysUnavailable))
        );
        assert!(answer.retry_after);
    }
}

#[tokio::test]
async fn alb_key_answer_of_one_mib_is_503() {
    let (alb, _) = local_alb();
    let server = alb.serve().await.unwrap();
    alb.respond_with(AlbKeyResponse::Body(vec![b'A'; 1 << 20]));
    // Over HTTP with the default reqwest source: the body cap (4 KiB) stops it.
    let layer = AlbAuthLayer::builder(alb.config().build().unwrap())
        .build()
        .unwrap();
    let answer = with_token(&layer, &alb.token()).await;
    assert_eq!(
        answer.status_kind(),
        (503, Some(ErrorKind::KeysUnavailable))
    );
    assert!(answer.retry_after);
    drop(server);
}

#[tokio::test]
async fn alb_keys_fetched_over_http_from_the_key_endpoint() {
    let (alb, _) = local_alb();
    let _server = alb.serve().await.unwrap();
    let config = alb.config().build().unwrap();
    assert!(config.keys_url().starts_with("http://127.0.0.1:"));
    let layer = AlbAuthLayer::builder(config).build().unwrap();
    assert_eq!(with_token(&layer, &alb.token()).await.status, 200);
    let other_kid = with_header(&alb, |h| {
        h.insert("kid".into(), json!("00000000-0000-4000-8000-000000000000"));
    });
    assert_eq!(
        with_token(&layer, &other_kid).await.status_kind(),
        (INVALID_TOKEN, Some(ErrorKind::UnknownKeyId))
    );
    assert_eq!(alb.key_requests(), 2);
}

/// `status()`: every request's outcome by kind, and each fetch's: failed, `404`, loaded.
#[tokio::test]
async fn alb_status_counts_requests_and_key_fetches() {
    let (alb, _) = local_alb();
    let layer = layer(&alb);
    assert_eq!(layer.status().key_fetches, 0);
    alb.respond_with(AlbKeyResponse::Status(500));
    assert_eq!(with_token(&layer, &alb.token()).await.status, 503);
    alb.respond_with(AlbKeyResponse::Key);
    assert_eq!(with_token(&layer, &alb.token()).await.status, 200);
    assert_eq!(with_token(&layer, &alb.token()).await.status, 200);
    // The key endpoint has no key of another kid: `404`.
    let other_kid = with_header(&alb, |h| {
        h.insert("kid".into(), json!("00000000-0000-4000-8000-000000000000"));
    });
    assert_eq!(with_token(&layer, &other_kid).await.status, 401);
    assert_eq!(call(&layer, &[]).await.status, 401);
    assert!(layer.verify("x.y").await.is_err());
    let status = layer.status();
    assert_eq!(status.accepted, 2);
    assert_eq!(status.rejected(ErrorKind::KeysUnavailable), 1);
    assert_eq!(status.rejected(ErrorKind::UnknownKeyId), 1);
    assert_eq!(status.rejected(ErrorKind::MissingCredentials), 1);
    assert_eq!(status.rejected(ErrorKind::Malformed), 1);
    assert_eq!(status.rejected_total(), 4);
    assert_eq!(
        (
            status.key_fetches,
            status.key_fetch_failures,
            status.unknown_kids,
            status.keys_loaded,
            status.key_fetches_refused,
            status.keys
        ),
        (3, 1, 1, 1, 0, 1)
    );
    assert_eq!(alb.key_requests(), 3);
}

#[tokio::test(start_paused = true)]
async fn alb_key_fetch_failure_or_timeout_is_503_with_retry_after() {
    let (alb, _) = local_alb();
    let layer = layer(&alb);
    alb.respond_with(AlbKeyResponse::Status(500));
    let answer = with_token(&layer, &alb.token()).await;
    assert_eq!(
        answer.status_kind(),
        (503, Some(ErrorKind::KeysUnavailable))
    );
    assert!(answer.retry_after);
    // A failure is not cached: the next request fetches again, and succeeds.
    alb.respond_with(AlbKeyResponse::Key);
    assert_eq!(with_token(&layer, &alb.token()).await.status, 200);
    assert_eq!(alb.key_requests(), 2);
    // No answer at all: the fetch timeout (5 s, paused time) ends it.
    let (alb, _) = local_alb();
    alb.respond_with(AlbKeyResponse::Hang);
    let answer = with_token(&self::layer(&alb), &alb.token()).await;
    assert_eq!(
        answer.status_kind(),
        (503, Some(ErrorKind::KeysUnavailable))
    );
}

#[tokio::test]
async fn alb_key_url_404_is_401_and_the_kid_is_remembered() {
    let (alb, clock) = local_alb();
    let layer = layer(&alb);
    let unknown = with_header(&alb, |h| {
        h.insert("kid".into(), json!("00000000-0000-4000-8000-000000000000"));
    });
    for _ in 0..5 {
        assert_eq!(
            with_token(&layer, &unknown).await.status_kind(),
            (INVALID_TOKEN, Some(ErrorKind::UnknownKeyId))
        );
    }
    assert_eq!(
        alb.key_requests(),
        1,
        "one fetch, then the negative cache answers"
    );
    // After its lifetime (60 s by default) the kid is asked about again.
    clock.advance(60);
    assert_eq!(with_token(&layer, &unknown).await.status, 401);
    assert_eq!(alb.key_requests(), 2);
}

#[tokio::test]
async fn alb_concurrent_misses_of_one_kid_fetch_once() {
    let (alb, _) = local_alb();
    let layer = layer(&alb);
    let token = alb.token();
    let answers = futures_join_all((0..100).map(|_| with_token(&layer, &token))).await;
    assert!(answers.iter().all(|a| a.status == 200));
    assert_eq!((alb.key_requests(), layer.status().key_fetches), (1, 1));
}

/// Runs the futures concurrently on this task (no `futures` dependency).
async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let handles: Vec<_> = futures.map(Box::pin).collect();
    let mut slots: Vec<Option<F::Output>> = handles.iter().map(|_| None).collect();
    let mut handles: Vec<_> = handles.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, handle) in slots.iter_mut().zip(&mut handles) {
            if let Some(fut) = handle {
                match fut.as_mut().poll(cx) {
                    std::task::Poll::Ready(out) => {
                        *slot = Some(out);
                        *handle = None;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    slots.into_iter().map(Option::unwrap).collect()
}

#[tokio::test(start_paused = true)]
async fn alb_a_flood_of_random_kids_costs_one_fetch_per_cooldown() {
    let (alb, _) = local_alb();
    let layer = layer(&alb);
    let random_kid = |i: u32| format!("{i:08x}-0000-4000-8000-000000000000");
    let mut unavailable = 0;
    for i in 0..1000 {
        let token = with_header(&alb, |h| {
            h.insert("kid".into(), json!(random_kid(i)));
        });
        let answer = with_token(&layer, &token).await;
        assert_eq!(
            answer.status,
            if answer.kind == Some(ErrorKind::UnknownKeyId) {
                401
            } else {
                503
            }
        );
        unavailable += usize::from(answer.status == 503);
    }
    // The burst (4), then nothing within the same instant.
    assert_eq!((alb.key_requests(), unavailable), (4, 996));
    let status = layer.status();
    assert_eq!(
        (
            status.key_fetches,
            status.unknown_kids,
            status.key_fetches_refused
        ),
        (4, 4, 996)
    );
    assert_eq!(status.rejected(ErrorKind::KeysUnavailable), 996);
    // One more per cooldown (1 s).
    tokio::time::advance(Duration::from_secs(1)).await;
    for i in 1000..1010 {
        let token = with_header(&alb, |h| {
            h.insert("kid".into(), json!(random_kid(i)));
        });
        with_token(&layer, &token).await;
    }
    assert_eq!(alb.key_requests(), 5);
}

#[tokio::test]
async fn alb_identity_header_must_be_the_verified_sub() {
    let (alb, _) = local_alb();
    let layer = layer(&alb);
    let token = alb.token();
    let data = ("x-amzn-oidc-data", token.as_bytes());
    let same = call(&layer, &[data, ("x-amzn-oidc-identity", b"alice")]).await;
    assert_eq!(same.status, 200);
    let other = call(&layer, &[data, ("x-amzn-oidc-identity", b"admin")]).await;
    assert_eq!(
        other.status_kind(),
        (401, Some(ErrorKind::IdentityMismatch))
    );
    let twice = call(
        &layer,
        &[
            data,
            ("x-amzn-oidc-identity", b"alice"),
            ("x-amzn-oidc-identity", b"alice"),
        ],
    )
    .await;
    assert_eq!(twice.status, 401);
    // The plain headers alone are no identity.
    let forged = call(&layer, &[("x-amzn-oidc-identity", b"alice")]).await;
    assert_eq!(
        forged.status_kind(),
        (401, Some(ErrorKind::MissingCredentials))
    );
}

#[tokio::test]
async fn alb_forwarded_access_token_is_verified_and_names_the_same_user() {
    let issuer = crate::support::shared_issuer();
    let cognito = crate::support::access_layer(&issuer);
    let sub = issuer.access_claims()["sub"].as_str().unwrap().to_owned();
    let clock = Arc::new(FixedClock::new(NOW));
    let alb = LocalAlb::with_clock(Arc::clone(&clock)).unwrap();
    let layer = AlbAuthLayer::builder(alb.config().build().unwrap())
        .key_source(alb.clone())
        .access_token(cognito)
        .build()
        .unwrap();
    let access = issuer.access_token();
    let data = alb.token_for(&sub);
    let both = call(
        &layer,
        &[
            ("x-amzn-oidc-data", data.as_bytes()),
            ("x-amzn-oidc-accesstoken", access.as_bytes()),
        ],
    )
    .await;
    assert_eq!(both.status, 200);
    assert_eq!(both.cognito_sub.as_deref(), Some(sub.as_str()));
    assert_eq!(both.claims.unwrap().sub, sub);
    // Another user's ALB token next to this access token.
    let mismatch = call(
        &layer,
        &[
            ("x-amzn-oidc-data", alb.token_for("mallory").as_bytes()),
            ("x-amzn-oidc-accesstoken", access.as_bytes()),
        ],
    )
    .await;
    assert_eq!(
        mismatch.status_kind(),
        (401, Some(ErrorKind::IdentityMismatch))
    );
    // No access token, or one the Cognito layer refuses.
    let missing = call(&layer, &[("x-amzn-oidc-data", data.as_bytes())]).await;
    assert_eq!(
        missing.status_kind(),
        (401, Some(ErrorKind::MissingCredentials))
    );
    let bad = call(
        &layer,
        &[
            ("x-amzn-oidc-data", data.as_bytes()),
            ("x-amzn-oidc-accesstoken", b"not.a.token"),
        ],
    )
    .await;
    assert_eq!(bad.status_kind(), (401, Some(ErrorKind::Malformed)));
}

#[tokio::test]
async fn alb_layer_answers_grpc_calls_in_the_grpc_form() {
    let (alb, _) = local_alb();
    let svc = tower::ServiceBuilder::new().layer(layer(&alb)).service_fn(
        |_req: http::Request<()>| async { Ok::<_, Infallible>(http::Response::new(String::new())) },
    );
    let req = http::Request::post("/pkg.Svc/Method")
        .header("content-type", "application/grpc")
        .body(())
        .unwrap();
    let res = svc.oneshot(req).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["grpc-status"], "16");
}

#[tokio::test]
async fn strip_alb_headers_removes_every_forwarded_identity_header() {
    let svc = tower::ServiceBuilder::new()
        .layer(StripAlbHeaders)
        .service_fn(|req: http::Request<()>| async move {
            let names: Vec<String> = req.headers().keys().map(|k| k.to_string()).collect();
            Ok::<_, Infallible>(names)
        });
    let req = http::Request::get("/")
        .header("x-amzn-oidc-data", "forged")
        .header("X-Amzn-Oidc-Identity", "admin")
        .header("x-amzn-oidc-accesstoken", "forged")
        .header("x-amzn-oidc-other", "x")
        .header("x-amzn-trace-id", "kept")
        .header("accept", "kept")
        .body(())
        .unwrap();
    let mut names = svc.oneshot(req).await.unwrap();
    names.sort();
    assert_eq!(names, ["accept", "x-amzn-trace-id"]);
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn alb_claims_extractor_without_the_layer_is_500() {
    use axum::routing::get;
    let app: axum::Router = axum::Router::new().route(
        "/me",
        get(|claims: tower_cognito::alb::Claims| async move { claims.sub.clone() }),
    );
    let res = app
        .oneshot(
            http::Request::get("/me")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 500);
    let (alb, _) = local_alb();
    let app: axum::Router = axum::Router::new()
        .route(
            "/me",
            get(|claims: tower_cognito::alb::Claims| async move { claims.sub.clone() }),
        )
        .layer(layer(&alb));
    let req = http::Request::get("/me")
        .header("x-amzn-oidc-data", alb.token())
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(app.oneshot(req).await.unwrap().status(), 200);
}
