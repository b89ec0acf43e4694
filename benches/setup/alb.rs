//! The ALB cases' fixture, shared by `benches/alb.rs` (criterion) and `benches/instructions.rs`
//! (gungraun): a layer with the key cached, a valid token, one refused by a header rule, and the
//! floor's inputs (the token's signing input, its raw `r||s` signature, the key pre-parsed).

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use serde_json::{Value, json};
use tower_cognito::alb::{AlbAuthLayer, AlbClaims};
use tower_cognito::test_util::alb::LocalAlb;

pub(crate) struct AlbFixture {
    pub(crate) key: ParsedPublicKey,
    pub(crate) input: String,
    pub(crate) signature: Vec<u8>,
    pub(crate) layer: AlbAuthLayer,
    pub(crate) token: String,
    pub(crate) wrong_signer: String,
}

impl AlbFixture {
    /// Built and checked: the token verifies under the floor and the layer, the other is refused.
    pub(crate) fn new() -> Self {
        let alb = LocalAlb::new().unwrap();
        let layer = AlbAuthLayer::builder(alb.config().build().unwrap())
            .static_key(alb.kid(), alb.pem())
            .build()
            .unwrap();
        let token = alb.token();
        let der: String = alb
            .pem()
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let key =
            ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, STANDARD.decode(der).unwrap()).unwrap();
        let (input, signature) = token.rsplit_once('.').unwrap();
        let signature = URL_SAFE.decode(signature).unwrap();
        assert!(key.verify_sig(input.as_bytes(), &signature).is_ok());
        let mut header = alb.header();
        header.insert(
            "signer".into(),
            json!("arn:aws:elasticloadbalancing:us-east-1:1:other"),
        );
        let wrong_signer = alb.sign_json(
            &Value::Object(header),
            &Value::Object(alb.claims_for("alice")),
        );
        let f = Self {
            key,
            input: input.to_owned(),
            signature,
            layer,
            token: token.clone(),
            wrong_signer,
        };
        // Every path run once: the key cached.
        assert_eq!(verify_now(&f.layer, &f.token).unwrap().sub, "alice");
        assert!(verify_now(&f.layer, &f.wrong_signer).is_err());
        f
    }
}

/// Polls `layer.verify(token)` once: with the key cached it is ready at once (no runtime).
pub(crate) fn verify_now(
    layer: &AlbAuthLayer,
    token: &str,
) -> Result<AlbClaims, tower_cognito::Error> {
    let mut future = pin!(layer.verify(token));
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(result) => result,
        Poll::Pending => unreachable!("the key is cached: verify never waits"),
    }
}
