//! Table-driven accept/reject tests of `Verifier::verify` against every token rule of
//! SECURITY.md, with a fixed clock: every token is minted relative to the constant `NOW`, and the
//! verifier is given `NOW`, so no assertion depends on the system time.

#![cfg(feature = "test-util")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use tower_cognito::test_util::{LOCAL_CLIENT_ID, LOCAL_POOL_ID, LocalIssuer, TOKEN_LIFETIME};
use tower_cognito::{
    AcceptTokenUse, CognitoConfigBuilder, ErrorKind, FixedClock, KeySet, TokenUse, Verifier,
};

mod common;
use common::tokens::{
    KID, PoolA, STD_HEADER, b64, deep_array, deep_object, flip_bit, non_canonical_last,
    none_header, parts, published_jwk, raw_member, sig_bytes, signed_by_embedded_key, unaligned,
    with, with_sig, without,
};

/// The verifier's clock, and the issuers' clock: every `iat`/`exp` is relative to it.
const NOW: u64 = 1_700_000_000;
/// `DEFAULT_LEEWAY`, in seconds (checked in `fixture`).
const LEEWAY: u64 = 60;
/// 9999-12-31T23:59:59Z, the latest time claim the verifier accepts.
const MAX_NUMERIC_DATE: u64 = 253_402_300_799;
/// A second pool, whose issuer signs with a key of the SAME `kid` as pool A's.
const POOL_B: &str = "us-east-1_PoolB2";
/// The default token size cap (`DEFAULT_MAX_TOKEN_SIZE`).
const CAP: usize = 8 * 1024;
/// Base64url length of an RS256 signature of a 2048-bit key (256 bytes).
const SIG_B64_LEN: usize = 342;

/// Which verifier (configuration) a row runs.
#[derive(Debug, Clone, Copy)]
enum V {
    /// Pool A, access tokens only, the default leeway and size cap.
    Access,
    /// Pool A, ID tokens only.
    Id,
    /// Pool A, either kind.
    Any,
    /// Pool A, access tokens, updated issuer form accepted too.
    Updated,
    /// Pool A, access tokens, a 1 MiB token cap (to reach the checks behind the size cap).
    BigCap,
    /// Pool A, access tokens, two allowed app clients.
    TwoClients,
    /// Pool B, access tokens.
    PoolB,
}

/// Which key set a row verifies against.
#[derive(Debug, Clone, Copy)]
enum K {
    A,
    B,
    Empty,
}

struct Fixture {
    a: LocalIssuer,
    b: LocalIssuer,
    keys_a: KeySet,
    keys_b: KeySet,
    empty: KeySet,
    access: Verifier,
    id: Verifier,
    any: Verifier,
    updated: Verifier,
    big_cap: Verifier,
    two_clients: Verifier,
    pool_b: Verifier,
}

/// Two RSA keys in all, shared by every test of this file.
fn fx() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let a = LocalIssuer::builder()
            .clock(FixedClock::new(NOW))
            .build()
            .unwrap();
        let b = LocalIssuer::builder()
            .user_pool_id(POOL_B)
            .kid(KID)
            .clock(FixedClock::new(NOW))
            .build()
            .unwrap();
        assert_eq!(a.kid(), KID);
        assert_eq!(b.kid(), KID);
        assert_eq!(a.now(), NOW);
        let verifier =
            |issuer: &LocalIssuer,
             token_use: AcceptTokenUse,
             edit: &dyn Fn(CognitoConfigBuilder) -> CognitoConfigBuilder| {
                let config = edit(issuer.config().token_use(token_use)).build().unwrap();
                Verifier::new(&config)
            };
        let same = |c: CognitoConfigBuilder| c;
        let access = verifier(&a, AcceptTokenUse::Access, &same);
        assert_eq!(access.config().leeway(), Duration::from_secs(LEEWAY));
        assert_eq!(access.config().max_token_size(), CAP);
        Fixture {
            keys_a: a.key_set(),
            keys_b: b.key_set(),
            empty: KeySet::empty(),
            id: verifier(&a, AcceptTokenUse::Id, &same),
            any: verifier(&a, AcceptTokenUse::Any, &same),
            updated: verifier(&a, AcceptTokenUse::Access, &|c| {
                c.accept_updated_issuer(true)
            }),
            big_cap: verifier(&a, AcceptTokenUse::Access, &|c| {
                c.max_token_size(1024 * 1024)
            }),
            two_clients: verifier(&a, AcceptTokenUse::Access, &|c| c.client_id("secondclient")),
            pool_b: verifier(&b, AcceptTokenUse::Access, &same),
            access,
            a,
            b,
        }
    })
}

impl Fixture {
    fn verifier(&self, v: V) -> &Verifier {
        match v {
            V::Access => &self.access,
            V::Id => &self.id,
            V::Any => &self.any,
            V::Updated => &self.updated,
            V::BigCap => &self.big_cap,
            V::TwoClients => &self.two_clients,
            V::PoolB => &self.pool_b,
        }
    }

    fn keys(&self, k: K) -> &KeySet {
        match k {
            K::A => &self.keys_a,
            K::B => &self.keys_b,
            K::Empty => &self.empty,
        }
    }
}

/// The shared token builders sign as pool A.
impl PoolA for Fixture {
    fn pool_a(&self) -> &LocalIssuer {
        &self.a
    }
}

/// Base64 length (no padding) of `n` bytes.
fn b64_len(n: usize) -> usize {
    (4 * n).div_ceil(3)
}

/// A valid access token of exactly `len` bytes (by padding an unknown claim and the header).
fn token_of_len(f: &Fixture, len: usize) -> String {
    for spaces in 0..3 {
        let header = format!(r#"{{"kid":"{KID}","alg":"RS256"{}}}"#, " ".repeat(spaces));
        let base = Value::Object(with(f.access(), "pad", json!(""))).to_string();
        // Every extra character of the pad claim is one more payload byte.
        for pad in 0..len {
            let total = b64_len(header.len()) + 1 + b64_len(base.len() + pad) + 1 + SIG_B64_LEN;
            if total == len {
                let claims = with(f.access(), "pad", json!("p".repeat(pad)));
                let token = f.raw(&header, Value::Object(claims).to_string());
                assert_eq!(token.len(), len);
                return token;
            }
            if total > len {
                break;
            }
        }
    }
    panic!("no token of length {len}");
}

/// One row: a token, the verifier and key set it meets, and the exact expected outcome.
struct Case {
    name: String,
    token: String,
    v: V,
    k: K,
    expect: Result<(), ErrorKind>,
}

fn case(name: impl Into<String>, token: impl Into<String>, expect: Result<(), ErrorKind>) -> Case {
    Case {
        name: name.into(),
        token: token.into(),
        v: V::Access,
        k: K::A,
        expect,
    }
}

impl Case {
    fn on(mut self, v: V) -> Self {
        self.v = v;
        self
    }
    fn keys(mut self, k: K) -> Self {
        self.k = k;
        self
    }
}

const OK: Result<(), ErrorKind> = Ok(());

fn err(kind: ErrorKind) -> Result<(), ErrorKind> {
    Err(kind)
}

/// Runs every row and reports every mismatch at once.
fn run(cases: Vec<Case>) {
    let f = fx();
    let mut names = HashSet::new();
    let mut failures = Vec::new();
    for c in &cases {
        assert!(
            names.insert(c.name.clone()),
            "duplicate case name {}",
            c.name
        );
        let got = f
            .verifier(c.v)
            .verify(&c.token, f.keys(c.k), NOW)
            .map(|_| ())
            .map_err(|e| e.kind().clone());
        if got != c.expect {
            failures.push(format!(
                "{} ({:?}, keys {:?}): expected {:?}, got {:?}",
                c.name, c.v, c.k, c.expect, got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn structure() {
    let f = fx();
    let good = f.sign(&f.access());
    let (h, p, s) = parts(&good);

    // Headers whose base64url encodings contain `-` (from "~~~") and `_` (from "???"), so that
    // swapping in the standard alphabet's `+` and `/` is the only change.
    let dash = f.header(r#"{"kid":"local-key-1","alg":"RS256","x":"~~~~"}"#);
    let under = f.header(r#"{"kid":"local-key-1","alg":"RS256","x":"????"}"#);
    let (dh, dp, ds) = parts(&dash);
    let (uh, up, us) = parts(&under);
    assert!(dh.contains('-') && uh.contains('_'));

    // Padded encodings of the same bytes (35-byte header: one `=`; 256-byte signature: two).
    let padded_header = URL_SAFE.encode(STD_HEADER);
    assert!(padded_header.ends_with('='));
    let padded_payload = {
        let bytes = URL_SAFE_NO_PAD.decode(&p).unwrap();
        URL_SAFE.encode(unaligned(String::from_utf8(bytes).unwrap()))
    };
    assert!(padded_payload.ends_with('='));

    let claims_text = Value::Object(f.access()).to_string();
    let claims_body = claims_text.strip_suffix('}').unwrap();
    let malformed = || err(ErrorKind::Malformed);

    run(vec![
        case("baseline access token", good.clone(), OK),
        case("header with '-' in its encoding", dash.clone(), OK),
        case("header with '_' in its encoding", under.clone(), OK),
        // Segment count and emptiness.
        case("empty token", "", malformed()),
        case("only dots", "..", malformed()),
        case("one part", h.clone(), malformed()),
        case("two parts", format!("{h}.{p}"), malformed()),
        case("four parts", format!("{h}.{p}.{s}.{s}"), malformed()),
        case(
            "five parts (JWE shape)",
            format!("{h}.{p}.{s}.{s}.{s}"),
            malformed(),
        ),
        case(
            "real JWE header, five parts",
            format!(
                "{}.{p}.{s}.{s}.{s}",
                b64(r#"{"alg":"RSA-OAEP","enc":"A256GCM","kid":"local-key-1"}"#)
            ),
            malformed(),
        ),
        case("empty header segment", format!(".{p}.{s}"), malformed()),
        case("empty payload segment", format!("{h}..{s}"), malformed()),
        case("empty signature segment", format!("{h}.{p}."), malformed()),
        case("trailing dot", format!("{good}."), malformed()),
        case("leading dot", format!(".{good}"), malformed()),
        // Alphabet, padding, canonical encoding.
        case(
            "'=' padding on the signature",
            format!("{good}=="),
            malformed(),
        ),
        case(
            "'=' padding on the header",
            format!("{padded_header}.{p}.{s}"),
            malformed(),
        ),
        case(
            "'=' padding on the payload",
            format!("{h}.{padded_payload}.{s}"),
            malformed(),
        ),
        case(
            "'+' instead of '-' in the header",
            format!("{}.{dp}.{ds}", dh.replace('-', "+")),
            malformed(),
        ),
        case(
            "'/' instead of '_' in the header",
            format!("{}.{up}.{us}", uh.replace('_', "/")),
            malformed(),
        ),
        case(
            "non-canonical last character of the header",
            format!("{}.{p}.{s}", non_canonical_last(&h)),
            malformed(),
        ),
        case(
            "non-canonical last character of the signature",
            format!("{h}.{p}.{}", non_canonical_last(&s)),
            malformed(),
        ),
        case(
            "impossible segment length (4n+1)",
            format!("{h}.{p}.{s}AAA"),
            malformed(),
        ),
        case(
            "space inside the payload",
            format!("{h}.{} {}.{s}", &p[..10], &p[10..]),
            malformed(),
        ),
        case(
            "newline inside the header",
            format!("{}\n{}.{p}.{s}", &h[..8], &h[8..]),
            malformed(),
        ),
        case(
            "tab inside the signature",
            format!("{h}.{p}.{}\t{}", &s[..8], &s[8..]),
            malformed(),
        ),
        case("leading space", format!(" {good}"), malformed()),
        case("trailing newline", format!("{good}\n"), malformed()),
        // Invalid UTF-8.
        case(
            "invalid UTF-8 in the header",
            f.a.sign_raw(
                b"{\"kid\":\"local-key-1\",\"alg\":\"RS256\",\"x\":\"\xff\"}",
                claims_text.as_bytes(),
            ),
            err(ErrorKind::InvalidHeader),
        ),
        case(
            "invalid UTF-8 in the payload",
            f.a.sign_raw(
                STD_HEADER.as_bytes(),
                &[claims_body.as_bytes(), b",\"x\":\"\xc3\x28\"}"].concat(),
            ),
            err(ErrorKind::InvalidClaims),
        ),
        case(
            "invalid UTF-8 in a payload member name",
            f.a.sign_raw(
                STD_HEADER.as_bytes(),
                &[claims_body.as_bytes(), b",\"\xfe\":1}"].concat(),
            ),
            err(ErrorKind::InvalidClaims),
        ),
        // Header and payload that are not objects.
        case("header []", f.header("[]"), err(ErrorKind::InvalidHeader)),
        case(
            r#"header "x""#,
            f.header(r#""x""#),
            err(ErrorKind::InvalidHeader),
        ),
        case(
            "header null",
            f.header("null"),
            err(ErrorKind::InvalidHeader),
        ),
        case("header 1", f.header("1"), err(ErrorKind::InvalidHeader)),
        case(
            "header of zero bytes (empty segment)",
            f.header(""),
            malformed(),
        ),
        case(
            "header {} (no alg)",
            f.header("{}"),
            err(ErrorKind::UnsupportedAlgorithm),
        ),
        case("payload []", f.payload("[]"), err(ErrorKind::InvalidClaims)),
        case(
            r#"payload "x""#,
            f.payload(r#""x""#),
            err(ErrorKind::InvalidClaims),
        ),
        case(
            "payload null",
            f.payload("null"),
            err(ErrorKind::InvalidClaims),
        ),
        case(
            "payload of zero bytes (empty segment)",
            f.payload(""),
            malformed(),
        ),
        case(
            "payload {} (no iss)",
            f.payload("{}"),
            err(ErrorKind::InvalidIssuer),
        ),
        // Duplicate members.
        case(
            "duplicate alg in the header",
            f.header(r#"{"kid":"local-key-1","alg":"RS256","alg":"RS256"}"#),
            err(ErrorKind::InvalidHeader),
        ),
        case(
            "duplicate alg, second one none",
            f.header(r#"{"kid":"local-key-1","alg":"RS256","alg":"none"}"#),
            err(ErrorKind::InvalidHeader),
        ),
        case(
            "duplicate alg spelled with an escape",
            f.header(r#"{"kid":"local-key-1","alg":"RS256","\u0061lg":"none"}"#),
            err(ErrorKind::InvalidHeader),
        ),
        case(
            "duplicate kid in the header",
            f.header(r#"{"kid":"local-key-1","alg":"RS256","kid":"other"}"#),
            err(ErrorKind::InvalidHeader),
        ),
        case(
            "duplicate unknown header member",
            f.header(r#"{"kid":"local-key-1","alg":"RS256","x5u":"a","x5u":"b"}"#),
            err(ErrorKind::InvalidHeader),
        ),
        case(
            "duplicate token_use",
            f.payload(&raw_member(f.access(), "nothing", r#""token_use":"id""#)),
            err(ErrorKind::InvalidClaims),
        ),
        case(
            "duplicate token_use, same value",
            f.payload(&raw_member(
                f.access(),
                "nothing",
                r#""token_use":"access""#,
            )),
            err(ErrorKind::InvalidClaims),
        ),
        case(
            "duplicate exp",
            f.payload(&raw_member(
                f.access(),
                "nothing",
                &format!(r#""exp":{}"#, NOW + 100_000),
            )),
            err(ErrorKind::InvalidClaims),
        ),
        case(
            "duplicate exp spelled with an escape",
            f.payload(&raw_member(
                f.access(),
                "nothing",
                &format!(r#""\u0065xp":{}"#, NOW + 100_000),
            )),
            err(ErrorKind::InvalidClaims),
        ),
        case(
            "duplicate iss",
            f.payload(&raw_member(
                f.access(),
                "nothing",
                r#""iss":"https://evil""#,
            )),
            err(ErrorKind::InvalidClaims),
        ),
        case(
            "duplicate client_id",
            f.payload(&raw_member(f.access(), "nothing", r#""client_id":"other""#)),
            err(ErrorKind::InvalidClaims),
        ),
        case(
            "duplicate cognito:groups",
            f.payload(&raw_member(
                f.access(),
                "nothing",
                r#""cognito:groups":["admin"]"#,
            )),
            err(ErrorKind::InvalidClaims),
        ),
        case(
            "duplicate unknown claim",
            f.payload(&format!(r#"{claims_body},"x":1,"x":2}}"#)),
            err(ErrorKind::InvalidClaims),
        ),
        case(
            "duplicate custom attribute",
            f.payload(&format!(
                r#"{claims_body},"custom:tenant":"a","custom:tenant":"b"}}"#
            )),
            err(ErrorKind::InvalidClaims),
        ),
        case(
            "duplicate member nested in an unknown claim",
            f.payload(&format!(r#"{claims_body},"x":{{"a":1,"a":2}}}}"#)),
            err(ErrorKind::InvalidClaims),
        ),
        // Nesting.
        case(
            "20 levels of nesting in an unknown claim (accepted)",
            f.payload(&format!(r#"{claims_body},"x":{}}}"#, deep_array(20))),
            OK,
        ),
        case(
            "10 000 levels of array nesting in the payload, 1 MiB cap",
            f.payload(&format!(r#"{claims_body},"x":{}}}"#, deep_array(10_000))),
            err(ErrorKind::InvalidClaims),
        )
        .on(V::BigCap),
        case(
            "10 000 levels of object nesting in the payload, 1 MiB cap",
            f.payload(&format!(r#"{claims_body},"x":{}}}"#, deep_object(10_000))),
            err(ErrorKind::InvalidClaims),
        )
        .on(V::BigCap),
        case(
            "10 000 levels of nesting in the header, 1 MiB cap",
            f.header(&format!(
                r#"{{"kid":"local-key-1","alg":"RS256","x":{}}}"#,
                deep_array(10_000)
            )),
            err(ErrorKind::InvalidHeader),
        )
        .on(V::BigCap),
        case(
            "10 000 levels of nesting, default cap",
            f.payload(&format!(r#"{claims_body},"x":{}}}"#, deep_array(10_000))),
            err(ErrorKind::TokenTooLarge),
        ),
        // Trailing bytes.
        case(
            "trailing byte after the header JSON",
            f.header(&format!("{STD_HEADER}x")),
            err(ErrorKind::InvalidHeader),
        ),
        case(
            "second object after the header JSON",
            f.header(&format!("{STD_HEADER}{{}}")),
            err(ErrorKind::InvalidHeader),
        ),
        case(
            "trailing byte after the payload JSON",
            f.payload(&format!("{claims_text}x")),
            err(ErrorKind::InvalidClaims),
        ),
        case(
            "trailing NUL after the payload JSON",
            f.payload(&format!("{claims_text}\0")),
            err(ErrorKind::InvalidClaims),
        ),
        case(
            "second object after the payload JSON",
            f.payload(&format!("{claims_text}{{}}")),
            err(ErrorKind::InvalidClaims),
        ),
        case(
            "trailing JSON whitespace after the payload (part of the JSON text: accepted)",
            f.payload(&format!("{claims_text} \n")),
            OK,
        ),
        // Size cap.
        case("token of exactly the cap", token_of_len(f, CAP), OK),
        case(
            "token one byte over the cap",
            token_of_len(f, CAP + 1),
            err(ErrorKind::TokenTooLarge),
        ),
        case(
            "1 MiB of garbage",
            "a".repeat(1024 * 1024),
            err(ErrorKind::TokenTooLarge),
        ),
        case(
            "over the cap, empty key set: the size is checked first",
            token_of_len(f, CAP + 1),
            err(ErrorKind::TokenTooLarge),
        )
        .keys(K::Empty),
        case(
            "over a 1 MiB cap",
            "a".repeat(1024 * 1024 + 1),
            err(ErrorKind::TokenTooLarge),
        )
        .on(V::BigCap),
    ]);
}

#[test]
fn algorithm_and_header() {
    let f = fx();
    let claims = Value::Object(f.access()).to_string();
    let good = f.sign(&f.access());
    let (_, _, good_sig) = parts(&good);
    // The same payload under a header naming another algorithm, re-signed (RS256) by the key.
    let alg = |alg: Value| f.hdr(json!({ "kid": KID, "alg": alg }));

    // `alg: none` tokens as an attacker sends them (`none_header`), over the same payload.
    let payload_b64 = b64(&claims);

    // HS256 with the RSA public key as the HMAC secret (the algorithm confusion attack), with the
    // secret as the raw modulus, the JWK text and the JWKS document text.
    let jwk = published_jwk(&f.a);
    let modulus = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();

    let long_kid = |n: usize| f.hdr(json!({ "kid": "k".repeat(n), "alg": "RS256" }));
    let unsupported = || err(ErrorKind::UnsupportedAlgorithm);
    let no_kid = || err(ErrorKind::MissingKeyId);

    // The attacker's own key, embedded or referenced, with pool A's `kid`.
    let b_jwk = published_jwk(&f.b);
    let b_signed_with_jwk = signed_by_embedded_key(&f.b, f.access());

    run(vec![
        case("RS256 baseline", good.clone(), OK),
        // alg none and friends.
        case(
            "alg none, empty signature",
            format!("{}.{payload_b64}.", none_header("none")),
            err(ErrorKind::Malformed),
        ),
        case(
            "alg none, some signature",
            format!("{}.{payload_b64}.{good_sig}", none_header("none")),
            unsupported(),
        ),
        case(
            "alg none, signed by the key",
            alg(json!("none")),
            unsupported(),
        ),
        case("alg None", alg(json!("None")), unsupported()),
        case("alg NONE", alg(json!("NONE")), unsupported()),
        case("alg nOnE", alg(json!("nOnE")), unsupported()),
        case("alg empty string", alg(json!("")), unsupported()),
        // Algorithm confusion.
        case(
            "HS256 keyed by the modulus",
            f.hs256(KID, &modulus),
            unsupported(),
        ),
        case(
            "HS256 keyed by the JWK text",
            f.hs256(KID, jwk.to_string().as_bytes()),
            unsupported(),
        ),
        case(
            "HS256 keyed by the JWKS text",
            f.hs256(KID, f.a.jwks().to_string().as_bytes()),
            unsupported(),
        ),
        case("alg HS256 (RSA-signed)", alg(json!("HS256")), unsupported()),
        case("alg HS512", alg(json!("HS512")), unsupported()),
        // Other asymmetric algorithms.
        case("alg RS384", alg(json!("RS384")), unsupported()),
        case("alg RS512", alg(json!("RS512")), unsupported()),
        case("alg PS256", alg(json!("PS256")), unsupported()),
        case("alg PS512", alg(json!("PS512")), unsupported()),
        case("alg ES256", alg(json!("ES256")), unsupported()),
        case("alg EdDSA", alg(json!("EdDSA")), unsupported()),
        case("alg rs256 (lower case)", alg(json!("rs256")), unsupported()),
        case(
            "alg 'RS256 ' (trailing space)",
            alg(json!("RS256 ")),
            unsupported(),
        ),
        case(
            "alg 'RS256\\u0000'",
            alg(json!("RS256\u{0}")),
            unsupported(),
        ),
        // alg missing or not a string.
        case("alg missing", f.hdr(json!({ "kid": KID })), unsupported()),
        case("alg null", alg(Value::Null), unsupported()),
        case("alg number", alg(json!(256)), unsupported()),
        case("alg true", alg(json!(true)), unsupported()),
        case("alg array", alg(json!(["RS256"])), unsupported()),
        case("alg object", alg(json!({ "name": "RS256" })), unsupported()),
        case(
            "alg checked before kid",
            f.hdr(json!({ "alg": "none" })),
            unsupported(),
        ),
        // kid.
        case("kid missing", f.hdr(json!({ "alg": "RS256" })), no_kid()),
        case(
            "kid null",
            f.hdr(json!({ "kid": null, "alg": "RS256" })),
            no_kid(),
        ),
        case(
            "kid number",
            f.hdr(json!({ "kid": 1, "alg": "RS256" })),
            no_kid(),
        ),
        case(
            "kid array",
            f.hdr(json!({ "kid": [KID], "alg": "RS256" })),
            no_kid(),
        ),
        case(
            "kid object",
            f.hdr(json!({ "kid": {}, "alg": "RS256" })),
            no_kid(),
        ),
        case(
            "kid empty",
            f.hdr(json!({ "kid": "", "alg": "RS256" })),
            no_kid(),
        ),
        case("kid of 257 bytes", long_kid(257), no_kid()),
        case(
            "kid of 256 bytes (under the cap, unknown)",
            long_kid(256),
            err(ErrorKind::UnknownKeyId),
        ),
        case(
            "kid of 10 KB, 1 MiB token cap",
            long_kid(10 * 1024),
            no_kid(),
        )
        .on(V::BigCap),
        case(
            "kid of 10 KB, default token cap",
            long_kid(10 * 1024),
            err(ErrorKind::TokenTooLarge),
        ),
        case(
            "kid with path characters",
            f.hdr(json!({ "kid": "../../../etc/passwd", "alg": "RS256" })),
            err(ErrorKind::UnknownKeyId),
        ),
        case(
            "kid as a URL",
            f.hdr(json!({ "kid": "https://evil.example/key", "alg": "RS256" })),
            err(ErrorKind::UnknownKeyId),
        ),
        case(
            "kid with a trailing space",
            f.hdr(json!({ "kid": "local-key-1 ", "alg": "RS256" })),
            err(ErrorKind::UnknownKeyId),
        ),
        case(
            "kid in another case",
            f.hdr(json!({ "kid": "LOCAL-KEY-1", "alg": "RS256" })),
            err(ErrorKind::UnknownKeyId),
        ),
        case(
            "kid with a NUL suffix",
            f.hdr(json!({ "kid": "local-key-1\u{0}", "alg": "RS256" })),
            err(ErrorKind::UnknownKeyId),
        ),
        case(
            "kid spelled with a JSON escape (same string)",
            f.header(r#"{"kid":"local\u002dkey-1","alg":"RS256"}"#),
            OK,
        ),
        // Key-carrying headers are ignored.
        case(
            "jku, x5u, jwk, x5c pointing elsewhere (ignored)",
            f.hdr(json!({
                "kid": KID,
                "alg": "RS256",
                "jku": "https://evil.example/jwks.json",
                "x5u": "https://evil.example/cert.pem",
                "jwk": b_jwk,
                "x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"],
                "x5t": "abc",
            })),
            OK,
        ),
        case(
            "signed by the key embedded in jwk (and jku), pool A's kid",
            b_signed_with_jwk,
            err(ErrorKind::InvalidSignature),
        ),
        // crit.
        case(
            "crit [exp]",
            f.hdr(json!({ "kid": KID, "alg": "RS256", "crit": ["exp"] })),
            err(ErrorKind::CriticalHeader),
        ),
        case(
            "crit [b64] with b64 false",
            f.hdr(json!({ "kid": KID, "alg": "RS256", "crit": ["b64"], "b64": false })),
            err(ErrorKind::CriticalHeader),
        ),
        case(
            "crit as a string",
            f.hdr(json!({ "kid": KID, "alg": "RS256", "crit": "exp" })),
            err(ErrorKind::CriticalHeader),
        ),
        case(
            "crit null",
            f.hdr(json!({ "kid": KID, "alg": "RS256", "crit": null })),
            err(ErrorKind::CriticalHeader),
        ),
        case(
            "crit [] (empty: nothing critical)",
            f.hdr(json!({ "kid": KID, "alg": "RS256", "crit": [] })),
            OK,
        ),
        // typ.
        case(
            "typ JWT",
            f.hdr(json!({ "kid": KID, "alg": "RS256", "typ": "JWT" })),
            OK,
        ),
        case(
            "typ jwt",
            f.hdr(json!({ "kid": KID, "alg": "RS256", "typ": "jwt" })),
            OK,
        ),
        case(
            "typ Jwt",
            f.hdr(json!({ "kid": KID, "alg": "RS256", "typ": "Jwt" })),
            OK,
        ),
        case(
            "typ at+jwt",
            f.hdr(json!({ "kid": KID, "alg": "RS256", "typ": "at+jwt" })),
            err(ErrorKind::InvalidType),
        ),
        case(
            "typ JWS",
            f.hdr(json!({ "kid": KID, "alg": "RS256", "typ": "JWS" })),
            err(ErrorKind::InvalidType),
        ),
        case(
            "typ JWE",
            f.hdr(json!({ "kid": KID, "alg": "RS256", "typ": "JWE" })),
            err(ErrorKind::InvalidType),
        ),
        case(
            "typ empty",
            f.hdr(json!({ "kid": KID, "alg": "RS256", "typ": "" })),
            err(ErrorKind::InvalidType),
        ),
        case(
            "typ number",
            f.hdr(json!({ "kid": KID, "alg": "RS256", "typ": 1 })),
            err(ErrorKind::InvalidType),
        ),
        case(
            "typ null",
            f.hdr(json!({ "kid": KID, "alg": "RS256", "typ": null })),
            err(ErrorKind::InvalidType),
        ),
    ]);
}

#[test]
fn signature() {
    let f = fx();
    let good = f.sign(&f.access());
    let (h, p, s) = parts(&good);
    let sig = sig_bytes(&good);
    assert_eq!(sig.len(), 256);

    // The payload changed under the old signature.
    let mut groups = f.access();
    groups.insert("cognito:groups".into(), json!(["users", "admin"]));
    let escalated = b64(Value::Object(groups).to_string());
    let mut later = f.access();
    later.insert("exp".into(), json!(NOW + 365 * 24 * 3600));
    let extended = b64(Value::Object(later).to_string());
    let typ_header = b64(r#"{"kid":"local-key-1","alg":"RS256","typ":"JWT"}"#);
    let other_valid = f.sign(&f.access());
    let (_, _, other_sig) = parts(&other_valid);

    // Pool B signs with a key whose kid collides with pool A's.
    let b_claims_a = f.b.sign(&f.access());
    let b_own = f.b.access_token();

    run(vec![
        case("baseline", good.clone(), OK),
        case("another valid token", other_valid.clone(), OK),
        case(
            "first bit flipped",
            flip_bit(&good, 0, 7),
            err(ErrorKind::InvalidSignature),
        ),
        case(
            "middle bit flipped",
            flip_bit(&good, 128, 3),
            err(ErrorKind::InvalidSignature),
        ),
        case(
            "last bit flipped",
            flip_bit(&good, 255, 0),
            err(ErrorKind::InvalidSignature),
        ),
        case(
            "payload changed under the old signature (groups += admin)",
            format!("{h}.{escalated}.{s}"),
            err(ErrorKind::InvalidSignature),
        ),
        case(
            "payload changed under the old signature (exp + 1 year)",
            format!("{h}.{extended}.{s}"),
            err(ErrorKind::InvalidSignature),
        ),
        case(
            "header changed under the old signature",
            format!("{typ_header}.{p}.{s}"),
            err(ErrorKind::InvalidSignature),
        ),
        case(
            "signature of another token",
            format!("{h}.{p}.{other_sig}"),
            err(ErrorKind::InvalidSignature),
        ),
        case(
            "signature truncated by one byte",
            with_sig(&good, &sig[..255]),
            err(ErrorKind::InvalidSignature),
        ),
        case(
            "signature truncated to half",
            with_sig(&good, &sig[..128]),
            err(ErrorKind::InvalidSignature),
        ),
        case(
            "signature of one byte",
            with_sig(&good, &sig[..1]),
            err(ErrorKind::InvalidSignature),
        ),
        case(
            "signature extended by a zero byte",
            with_sig(&good, &[sig.as_slice(), &[0]].concat()),
            err(ErrorKind::InvalidSignature),
        ),
        case(
            "signature with a zero byte prepended",
            with_sig(&good, &[&[0], sig.as_slice()].concat()),
            err(ErrorKind::InvalidSignature),
        ),
        case(
            "signature doubled",
            with_sig(&good, &[sig.as_slice(), sig.as_slice()].concat()),
            err(ErrorKind::InvalidSignature),
        ),
        case(
            "signature of 2000 bytes (over the largest RSA size)",
            with_sig(&good, &[0x5a; 2000]),
            err(ErrorKind::Malformed),
        ),
        case(
            "signature all zeros",
            with_sig(&good, &[0; 256]),
            err(ErrorKind::InvalidSignature),
        ),
        case(
            "signature all ones",
            with_sig(&good, &[0xff; 256]),
            err(ErrorKind::InvalidSignature),
        ),
        case(
            "signature empty",
            format!("{h}.{p}."),
            err(ErrorKind::Malformed),
        ),
        case(
            "claims pool A, signed by pool B's key with a colliding kid",
            b_claims_a.clone(),
            err(ErrorKind::InvalidSignature),
        ),
        case(
            "pool B's own token, at pool A",
            b_own.clone(),
            err(ErrorKind::InvalidSignature),
        ),
        case("pool B's own token, at pool B", b_own, OK)
            .on(V::PoolB)
            .keys(K::B),
        case(
            "claims pool A, signed by configured pool B, at pool B",
            b_claims_a,
            err(ErrorKind::InvalidIssuer),
        )
        .on(V::PoolB)
        .keys(K::B),
        case(
            "pool A's token, at pool A's verifier with pool B's keys",
            good.clone(),
            err(ErrorKind::InvalidSignature),
        )
        .keys(K::B),
    ]);
}

#[test]
fn issuer() {
    let f = fx();
    let iss = f.a.issuer().to_owned();
    assert_eq!(
        iss,
        format!("https://cognito-idp.us-east-1.amazonaws.com/{LOCAL_POOL_ID}")
    );
    let updated = iss.replace("https://cognito-idp.", "https://issuer-cognito-idp.");
    let with_iss = |v: Value| f.sign(&with(f.access(), "iss", v));
    let bad = || err(ErrorKind::InvalidIssuer);

    run(vec![
        case("exact issuer", with_iss(json!(iss)), OK),
        case(
            "another pool",
            with_iss(json!(
                "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other1"
            )),
            bad(),
        ),
        case("pool B's issuer", with_iss(json!(f.b.issuer())), bad()),
        case("trailing slash", with_iss(json!(format!("{iss}/"))), bad()),
        case(
            "http://",
            with_iss(json!(iss.replace("https://", "http://"))),
            bad(),
        ),
        case(
            "other region",
            with_iss(json!(iss.replace(".us-east-1.", ".eu-west-1."))),
            bad(),
        ),
        case(
            "China partition domain",
            with_iss(json!(iss.replace("amazonaws.com", "amazonaws.com.cn"))),
            bad(),
        ),
        case(
            "upper-case host",
            with_iss(json!(iss.replace("cognito-idp", "COGNITO-IDP"))),
            bad(),
        ),
        case(
            "pool id in another case",
            with_iss(json!(iss.replace("LocalPool1", "localpool1"))),
            bad(),
        ),
        case(
            "prefix of the issuer",
            with_iss(json!(&iss[..iss.len() - 1])),
            bad(),
        ),
        case(
            "issuer with a query",
            with_iss(json!(format!("{iss}?x=1"))),
            bad(),
        ),
        case(
            "issuer with a trailing space",
            with_iss(json!(format!("{iss} "))),
            bad(),
        ),
        case("issuer empty", with_iss(json!("")), bad()),
        case("issuer missing", f.sign(&without(f.access(), "iss")), bad()),
        case("issuer number", with_iss(json!(5)), bad()),
        case("issuer null", with_iss(Value::Null), bad()),
        case("issuer array", with_iss(json!([iss])), bad()),
        case("updated form, not enabled", with_iss(json!(updated)), bad()),
        case("updated form, enabled", with_iss(json!(updated)), OK).on(V::Updated),
        case("original form, updated enabled", with_iss(json!(iss)), OK).on(V::Updated),
        case(
            "updated form of another region, enabled",
            with_iss(json!(updated.replace(".us-east-1.", ".us-west-2."))),
            bad(),
        )
        .on(V::Updated),
        case(
            "updated form with a trailing slash, enabled",
            with_iss(json!(format!("{updated}/"))),
            bad(),
        )
        .on(V::Updated),
    ]);
}

#[test]
fn token_use_and_client() {
    let f = fx();
    let access = |key: &str, v: Value| f.sign(&with(f.access(), key, v));
    let id = |key: &str, v: Value| f.sign(&with(f.id(), key, v));
    let bad_use = || err(ErrorKind::InvalidTokenUse);
    let bad_client = || err(ErrorKind::InvalidClient);
    let access_token = f.sign(&f.access());
    let id_token = f.sign(&f.id());

    run(vec![
        // token_use.
        case("access token, access layer", access_token.clone(), OK),
        case("ID token, ID layer", id_token.clone(), OK).on(V::Id),
        case("access token, any layer", access_token.clone(), OK).on(V::Any),
        case("ID token, any layer", id_token.clone(), OK).on(V::Any),
        case(
            "ID token, access layer",
            id_token.clone(),
            err(ErrorKind::TokenUseNotAccepted),
        ),
        case(
            "access token, ID layer",
            access_token.clone(),
            err(ErrorKind::TokenUseNotAccepted),
        )
        .on(V::Id),
        case(
            "token_use missing",
            f.sign(&without(f.access(), "token_use")),
            bad_use(),
        ),
        case(
            "token_use refresh",
            access("token_use", json!("refresh")),
            bad_use(),
        ),
        case(
            "token_use Access",
            access("token_use", json!("Access")),
            bad_use(),
        ),
        case(
            "token_use ACCESS",
            access("token_use", json!("ACCESS")),
            bad_use(),
        ),
        case(
            "token_use ' access'",
            access("token_use", json!(" access")),
            bad_use(),
        ),
        case("token_use empty", access("token_use", json!("")), bad_use()),
        case(
            "token_use array",
            access("token_use", json!(["access"])),
            bad_use(),
        ),
        case(
            "token_use null",
            access("token_use", Value::Null),
            bad_use(),
        ),
        case(
            "token_use true",
            access("token_use", json!(true)),
            bad_use(),
        ),
        case(
            "token_use Id, ID layer",
            id("token_use", json!("Id")),
            bad_use(),
        )
        .on(V::Id),
        case(
            "token_use refresh, any layer",
            access("token_use", json!("refresh")),
            bad_use(),
        )
        .on(V::Any),
        // client_id of access tokens.
        case(
            "client_id of another app client",
            access("client_id", json!("otherclient")),
            bad_client(),
        ),
        case(
            "client_id in another case",
            access("client_id", json!(LOCAL_CLIENT_ID.to_uppercase())),
            bad_client(),
        ),
        case(
            "client_id empty",
            access("client_id", json!("")),
            bad_client(),
        ),
        case(
            "client_id number",
            access("client_id", json!(12345)),
            bad_client(),
        ),
        case(
            "client_id null",
            access("client_id", Value::Null),
            bad_client(),
        ),
        case(
            "client_id array",
            access("client_id", json!([LOCAL_CLIENT_ID])),
            bad_client(),
        ),
        case(
            "client_id missing",
            f.sign(&without(f.access(), "client_id")),
            bad_client(),
        ),
        case(
            "client_id missing, aud right: no fallback to aud",
            f.sign(&with(
                without(f.access(), "client_id"),
                "aud",
                json!(LOCAL_CLIENT_ID),
            )),
            bad_client(),
        ),
        case(
            "client_id wrong, aud right",
            f.sign(&with(
                with(f.access(), "client_id", json!("otherclient")),
                "aud",
                json!(LOCAL_CLIENT_ID),
            )),
            bad_client(),
        ),
        case(
            "second allowed client",
            access("client_id", json!("secondclient")),
            OK,
        )
        .on(V::TwoClients),
        case(
            "first allowed client, two allowed",
            access_token.clone(),
            OK,
        )
        .on(V::TwoClients),
        case(
            "third client, two allowed",
            access("client_id", json!("thirdclient")),
            bad_client(),
        )
        .on(V::TwoClients),
        // aud of ID tokens.
        case(
            "aud of another app client",
            id("aud", json!("otherclient")),
            bad_client(),
        )
        .on(V::Id),
        case(
            "aud array of the right client",
            id("aud", json!([LOCAL_CLIENT_ID])),
            bad_client(),
        )
        .on(V::Id),
        case(
            "aud array with two clients",
            id("aud", json!([LOCAL_CLIENT_ID, "otherclient"])),
            bad_client(),
        )
        .on(V::Id),
        case("aud number", id("aud", json!(1)), bad_client()).on(V::Id),
        case("aud null", id("aud", Value::Null), bad_client()).on(V::Id),
        case("aud missing", f.sign(&without(f.id(), "aud")), bad_client()).on(V::Id),
        case(
            "aud missing, client_id right: no fallback to client_id",
            f.sign(&with(
                without(f.id(), "aud"),
                "client_id",
                json!(LOCAL_CLIENT_ID),
            )),
            bad_client(),
        )
        .on(V::Id),
        case(
            "aud of another client, any layer",
            id("aud", json!("otherclient")),
            bad_client(),
        )
        .on(V::Any),
    ]);
}

#[test]
fn time() {
    let f = fx();
    let at = |key: &str, v: Value| f.sign(&with(f.access(), key, v));
    let invalid = || err(ErrorKind::InvalidClaims);

    run(vec![
        case("minted at NOW, expires in an hour", f.sign(&f.access()), OK),
        // exp and the leeway, both sides of the boundary.
        case("exp == now", at("exp", json!(NOW)), OK),
        case("exp + leeway == now", at("exp", json!(NOW - LEEWAY)), OK),
        case(
            "exp + leeway == now - 1",
            at("exp", json!(NOW - LEEWAY - 1)),
            err(ErrorKind::Expired {
                exp: NOW - LEEWAY - 1,
                now: NOW,
            }),
        ),
        case(
            "expired a day ago",
            at("exp", json!(NOW - 86_400)),
            err(ErrorKind::Expired {
                exp: NOW - 86_400,
                now: NOW,
            }),
        ),
        case(
            "exp 0",
            at("exp", json!(0)),
            err(ErrorKind::Expired { exp: 0, now: NOW }),
        ),
        case(
            "exp at the latest date",
            at("exp", json!(MAX_NUMERIC_DATE)),
            OK,
        ),
        case(
            "exp one past the latest date",
            at("exp", json!(MAX_NUMERIC_DATE + 1)),
            invalid(),
        ),
        case(
            "exp missing",
            f.sign(&without(f.access(), "exp")),
            err(ErrorKind::MissingExpiry),
        ),
        case(
            "exp as a string",
            at("exp", json!((NOW + 3600).to_string())),
            invalid(),
        ),
        case(
            "exp as a float with a fraction",
            f.raw_claim("exp", "1700003600.5"),
            invalid(),
        ),
        case(
            "exp as a float .0",
            f.raw_claim("exp", "1700003600.0"),
            invalid(),
        ),
        case(
            "exp in exponent notation",
            f.raw_claim("exp", "1.7000036e9"),
            invalid(),
        ),
        case("exp negative", f.raw_claim("exp", "-1"), invalid()),
        case("exp negative zero", f.raw_claim("exp", "-0"), invalid()),
        case("exp 1e300", f.raw_claim("exp", "1e300"), invalid()),
        case(
            "exp i64::MAX",
            f.raw_claim("exp", &i64::MAX.to_string()),
            invalid(),
        ),
        case(
            "exp i64::MAX + 1",
            f.raw_claim("exp", "9223372036854775808"),
            invalid(),
        ),
        case(
            "exp u64::MAX",
            f.raw_claim("exp", &u64::MAX.to_string()),
            invalid(),
        ),
        case(
            "exp beyond u64",
            f.raw_claim("exp", "18446744073709551616"),
            invalid(),
        ),
        case(
            "exp with 400 digits",
            f.raw_claim("exp", &"9".repeat(400)),
            invalid(),
        ),
        case("exp null", at("exp", Value::Null), invalid()),
        case("exp true", at("exp", json!(true)), invalid()),
        case("exp array", at("exp", json!([NOW + 3600])), invalid()),
        // nbf.
        case("nbf in the past", at("nbf", json!(NOW - 10)), OK),
        case("nbf == now + leeway", at("nbf", json!(NOW + LEEWAY)), OK),
        case(
            "nbf == now + leeway + 1",
            at("nbf", json!(NOW + LEEWAY + 1)),
            err(ErrorKind::NotYetValid {
                nbf: NOW + LEEWAY + 1,
                now: NOW,
            }),
        ),
        case(
            "nbf a day ahead",
            at("nbf", json!(NOW + 86_400)),
            err(ErrorKind::NotYetValid {
                nbf: NOW + 86_400,
                now: NOW,
            }),
        ),
        case(
            "nbf as a string",
            at("nbf", json!(NOW.to_string())),
            invalid(),
        ),
        case(
            "nbf as a float",
            f.raw_claim("nbf", "1699999990.5"),
            invalid(),
        ),
        case("nbf negative", f.raw_claim("nbf", "-5"), invalid()),
        case("nbf 1e300", f.raw_claim("nbf", "1e300"), invalid()),
        // iat.
        case("iat == now + leeway", at("iat", json!(NOW + LEEWAY)), OK),
        case(
            "iat == now + leeway + 1",
            at("iat", json!(NOW + LEEWAY + 1)),
            err(ErrorKind::IssuedInFuture {
                iat: NOW + LEEWAY + 1,
                now: NOW,
            }),
        ),
        case(
            "iat far in the future",
            at("iat", json!(NOW + 10 * 365 * 86_400)),
            err(ErrorKind::IssuedInFuture {
                iat: NOW + 10 * 365 * 86_400,
                now: NOW,
            }),
        ),
        case(
            "iat missing (optional)",
            f.sign(&without(f.access(), "iat")),
            OK,
        ),
        case(
            "iat as a string",
            at("iat", json!(NOW.to_string())),
            invalid(),
        ),
        case("iat negative", f.raw_claim("iat", "-1"), invalid()),
        case(
            "iat beyond i64",
            f.raw_claim("iat", "9223372036854775808"),
            invalid(),
        ),
        case(
            "auth_time as a string",
            at("auth_time", json!(NOW.to_string())),
            invalid(),
        ),
        case(
            "auth_time as a float",
            f.raw_claim("auth_time", "1.5"),
            invalid(),
        ),
        // The order of checks: an expired token that is also not yet valid is reported expired.
        case(
            "expired and nbf in the future",
            f.sign(&with(
                with(f.access(), "exp", json!(NOW - 1000)),
                "nbf",
                json!(NOW + 1000),
            )),
            err(ErrorKind::Expired {
                exp: NOW - 1000,
                now: NOW,
            }),
        ),
        // An ID token follows the same time rules.
        case(
            "expired ID token",
            f.sign(&with(f.id(), "exp", json!(NOW - LEEWAY - 1))),
            err(ErrorKind::Expired {
                exp: NOW - LEEWAY - 1,
                now: NOW,
            }),
        )
        .on(V::Id),
    ]);
}

#[test]
fn claim_types_and_leniency() {
    let f = fx();
    let access = |key: &str, v: Value| f.sign(&with(f.access(), key, v));
    let m2m = f.m2m();
    let mut extra = f.access();
    extra.insert("custom:tenant".into(), json!("acme"));
    extra.insert("custom:level".into(), json!(3));
    extra.insert(
        "x-trigger".into(),
        json!({ "nested": [1, 2, { "a": null }] }),
    );
    extra.insert("cognito:roles".into(), json!(["arn:aws:iam::1:role/r"]));
    extra.insert("amr".into(), json!(["pwd"]));
    extra.insert("device_key".into(), json!("us-east-1_device"));
    let invalid = || err(ErrorKind::InvalidClaims);

    run(vec![
        case("unknown extra claims", f.sign(&extra), OK),
        case("M2M token without username and groups", f.sign(&m2m), OK),
        case(
            "email_verified as \"true\"",
            f.sign(&with(f.id(), "email_verified", json!("true"))),
            OK,
        )
        .on(V::Id),
        case(
            "email_verified as \"false\"",
            f.sign(&with(f.id(), "email_verified", json!("false"))),
            OK,
        )
        .on(V::Id),
        case(
            "email_verified as \"yes\"",
            f.sign(&with(f.id(), "email_verified", json!("yes"))),
            invalid(),
        )
        .on(V::Id),
        case(
            "phone_number_verified as 1",
            f.sign(&with(f.id(), "phone_number_verified", json!(1))),
            invalid(),
        )
        .on(V::Id),
        case(
            "scope as an array",
            access("scope", json!(["openid"])),
            invalid(),
        ),
        case(
            "cognito:groups as a string",
            access("cognito:groups", json!("admin")),
            invalid(),
        ),
        case(
            "cognito:groups with a number",
            access("cognito:groups", json!(["users", 1])),
            invalid(),
        ),
        case(
            "empty cognito:groups",
            access("cognito:groups", json!([])),
            OK,
        ),
        case(
            "sub missing",
            f.sign(&without(f.access(), "sub")),
            invalid(),
        ),
        case("sub number", access("sub", json!(7)), invalid()),
        case("username number", access("username", json!(7)), invalid()),
        case("jti object", access("jti", json!({})), invalid()),
        // Claims are only looked at after the signature: a bad claim under a bad signature is a
        // signature failure.
        case(
            "bad claims under a bad signature",
            with_sig(&access("exp", json!("soon")), &[0; 256]),
            err(ErrorKind::InvalidSignature),
        ),
    ]);
}

#[test]
fn key_sets() {
    let f = fx();
    let good = f.sign(&f.access());
    let unknown = f.a.sign_json(
        &json!({ "kid": "rotated-key-9", "alg": "RS256" }),
        &Value::Object(f.access()),
    );
    run(vec![
        case("known kid", good.clone(), OK),
        case("unknown kid", unknown.clone(), err(ErrorKind::UnknownKeyId)),
        case(
            "empty key set",
            good.clone(),
            err(ErrorKind::KeysUnavailable),
        )
        .keys(K::Empty),
        case(
            "unknown kid, empty key set",
            unknown,
            err(ErrorKind::KeysUnavailable),
        )
        .keys(K::Empty),
        case(
            "malformed token, empty key set: structure first",
            "a.b",
            err(ErrorKind::Malformed),
        )
        .keys(K::Empty),
        case(
            "bad header, empty key set: header first",
            f.header(r#"{"kid":"local-key-1","alg":"none"}"#),
            err(ErrorKind::UnsupportedAlgorithm),
        )
        .keys(K::Empty),
    ]);
}

#[test]
fn accepted_claims_are_typed() {
    let f = fx();
    let v = f.verifier(V::Any);

    // Access token with extra claims.
    let mut claims = f.access();
    claims.insert("scope".into(), json!("openid  profile orders/read"));
    claims.insert("cognito:groups".into(), json!(["users", "admins"]));
    claims.insert("custom:tenant".into(), json!("acme"));
    claims.insert("x-trigger".into(), json!({ "k": [1] }));
    let c = v.verify(&f.sign(&claims), &f.keys_a, NOW).unwrap();
    assert_eq!(c.token_use, TokenUse::Access);
    assert_eq!(c.sub, "a1b2c3d4-0000-4000-8000-000000000001");
    assert_eq!(c.iss, f.a.issuer());
    assert_eq!(c.username(), Some("alice"));
    assert_eq!(c.app_client_id(), Some(LOCAL_CLIENT_ID));
    assert_eq!(c.exp, NOW + TOKEN_LIFETIME);
    assert_eq!(c.iat, Some(NOW));
    assert_eq!(c.auth_time, Some(NOW));
    assert!(c.has_scope("profile") && c.has_scope("orders/read") && c.has_scope("openid"));
    assert!(!c.has_scope("Profile") && !c.has_scope("orders") && !c.has_scope(""));
    assert_eq!(c.scope.len(), 3);
    assert_eq!(c.groups, vec!["users".to_owned(), "admins".to_owned()]);
    assert!(c.in_group("admins") && !c.in_group("admin"));
    assert_eq!(c.custom_attribute("tenant"), Some("acme"));
    assert_eq!(c.claim("x-trigger"), Some(&json!({ "k": [1] })));
    assert_eq!(c.claim("version"), Some(&json!(2)));

    // ID token: cognito:username, email_verified from the string "true".
    let c = v
        .verify(
            &f.sign(&with(f.id(), "email_verified", json!("true"))),
            &f.keys_a,
            NOW,
        )
        .unwrap();
    assert_eq!(c.token_use, TokenUse::Id);
    assert_eq!(c.username(), Some("alice"));
    assert_eq!(c.cognito_username.as_deref(), Some("alice"));
    assert_eq!(c.email.as_deref(), Some("alice@example.com"));
    assert_eq!(c.email_verified, Some(true));
    assert_eq!(c.app_client_id(), Some(LOCAL_CLIENT_ID));
    let c = v
        .verify(
            &f.sign(&with(f.id(), "email_verified", json!("false"))),
            &f.keys_a,
            NOW,
        )
        .unwrap();
    assert_eq!(c.email_verified, Some(false));

    // M2M access token: no user, no groups.
    let mut m2m = f.access();
    m2m.remove("username");
    m2m.remove("cognito:groups");
    m2m.insert("scope".into(), json!("orders/read"));
    let c = v.verify(&f.sign(&m2m), &f.keys_a, NOW).unwrap();
    assert_eq!(c.username(), None);
    assert!(c.groups.is_empty());
    assert!(c.has_scope("orders/read"));
}

#[test]
fn errors_never_carry_token_content() {
    let f = fx();
    let token = f.a.sign_json(
        &json!({ "kid": "SECRET-KID-1234", "alg": "RS256" }),
        &Value::Object(with(f.access(), "iss", json!("https://SECRET-ISS.example"))),
    );
    let e = f.access.verify(&token, &f.keys_a, NOW).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::UnknownKeyId);
    let shown = format!("{e} {e:?} {}", e.description());
    assert!(!shown.contains("SECRET"), "{shown}");

    let token = f.sign(&with(
        f.access(),
        "iss",
        json!("https://SECRET-ISS.example"),
    ));
    let e = f.access.verify(&token, &f.keys_a, NOW).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InvalidIssuer);
    let shown = format!("{e} {e:?} {}", e.description());
    assert!(!shown.contains("SECRET"), "{shown}");
}
