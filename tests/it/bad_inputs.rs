//! The bad-input corpus of SECURITY.md ("Bad inputs to test"), run THROUGH THE REAL LAYER.
//!
//! Every row is one named request: its `Authorization` header values, the layer it meets, and the
//! exact answer expected: HTTP status, the exact `WWW-Authenticate` header (or its absence),
//! `Retry-After`, and the `ErrorKind` of the `tower_cognito::Error` in the response extensions.
//! The layer wraps a `tower::service_fn` that answers `200` with `ok {sub}` when the claims reached
//! it, and is driven with `ServiceExt::oneshot`.
//!
//! Hostile tokens are built byte by byte where no JWT library would produce them (`alg: none`,
//! HS256 keyed with the RSA public key, duplicate members, padding, deep nesting, trailing bytes,
//! numbers beyond `i64`...). Every issuer's clock, and so every layer's clock, is fixed at `NOW`.
//!
//! The rows this table shares with `verifier.rs` (the same token, the same outcome) are built once
//! in `support::tokens` (`structure_rows`, `algorithm_rows`...); each group adds the rows only this
//! table has. One test per group runs its table and reports every mismatching row at once;
//! `corpus_size` keeps the counts (`CASES`, `GROUPS`) quoted in the security notes (src/docs/security.md) true.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::OnceLock;

use aws_lc_rs::signature::{
    RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, RSA_PKCS1_2048_8192_SHA256,
    RsaPublicKeyComponents, UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use http::header::{AUTHORIZATION, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, Request, Response};
use serde_json::{Map, Value, json};
use tower::util::BoxCloneService;
use tower::{ServiceBuilder, ServiceExt};
use tower_cognito::test_util::{JwksServer, LOCAL_CLIENT_ID, LOCAL_POOL_ID, LocalIssuer};
use tower_cognito::{
    Claims, CognitoAuthLayer, Error, ErrorKind, TokenUse, clock::FixedClock, jwks::KeySet,
    reject::RequestError,
};

use crate::support::tokens::{
    KID, MAX_NUMERIC_DATE, NOW, On, POOL_B, Pools, Row, STD_HEADER, algorithm_rows, b64,
    claim_type_rows, claims_text, deep_array, issuer_rows, key_set_rows, non_canonical_last,
    none_header, parts, published_jwk, raw_member, signature_rows, structure_rows, time_rows,
    token_use_and_client_rows, unaligned, with, with_sig,
};

/// The first key of the withdrawal issuer, withdrawn from its JWKS.
const WITHDRAWN_KID: &str = "w-key-1";
/// The token cap of the `BigCap` layer (the largest allowed), to reach the checks behind the cap.
const BIG_CAP: usize = 1024 * 1024;
/// The bare challenge (no credentials).
const BARE: &str = r#"Bearer realm="api""#;
/// The secret of the `kty: oct` key put in a JWKS.
const HMAC_SECRET: &[u8] = b"a shared secret that must never verify anything";

/// A 1024-bit RSA public key (generated once with Python `cryptography`; aws-lc-rs cannot generate
/// keys this small). Its modulus is below the 2048-bit minimum, so the key set must skip it.
const WEAK_JWK: &str = r#"{"alg":"RS256","e":"AQAB","kid":"weak-1024","kty":"RSA","n":"tjYuU7_GkNXD9vJVN4eYoMnio4PhXnPCSrF3-S5M-JWnHVywoMdH9blfj4PtOSnp0Wu4VLbmc-z3ZWpfu3Q9a2aTcjeAqUcZG_t42VYtWQ1xpeAKIrvdreUVLYZDNCZauRlB_4OWj1wVr3eHrDuoaatJAeCT8jodn2tEb7uR9JE","use":"sig"}"#;
/// An access token of pool A minted at `NOW` (valid for an hour), signed by the 1024-bit key of
/// `WEAK_JWK` (checked genuine in `fixtures_are_genuine`): it would verify if the key were used.
const WEAK_TOKEN: &str = "eyJraWQiOiJ3ZWFrLTEwMjQiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhMWIyYzNkNC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDEiLCJpc3MiOiJodHRwczovL2NvZ25pdG8taWRwLnVzLWVhc3QtMS5hbWF6b25hd3MuY29tL3VzLWVhc3QtMV9Mb2NhbFBvb2wxIiwiY2xpZW50X2lkIjoibG9jYWxjbGllbnQxIiwidG9rZW5fdXNlIjoiYWNjZXNzIiwic2NvcGUiOiJhd3MuY29nbml0by5zaWduaW4udXNlci5hZG1pbiIsInVzZXJuYW1lIjoiYWxpY2UiLCJhdXRoX3RpbWUiOjE3MDAwMDAwMDAsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwfQ.JooKWO-bEI96eOLFHq6T1vnAfBEryMfaOopHPEZVDaSobl7OVAGskTwmt1Cr0dgSafzsaFjdEz53LywnfvneOa6fU-UvOfQ_rHGmto_zPevrjPAeL4U8uImDT3TROXePuJ9brFiiqzM10kE2RpqvDjxksEGF4H4dOIA5hyMm1cw";

// ---------------------------------------------------------------------------------------------
// The corpus size (quoted in the security notes' "What we reject").
// ---------------------------------------------------------------------------------------------

/// The groups of SECURITY.md's "Bad inputs to test".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Group {
    Extraction,
    Structure,
    Algorithm,
    Signature,
    Time,
    Issuer,
    KeySet,
}

/// Rows per group.
const GROUPS: [(Group, usize); 7] = [
    (Group::Extraction, 44),
    (Group::Structure, 60),
    (Group::Algorithm, 69),
    (Group::Signature, 19),
    (Group::Time, 42),
    (Group::Issuer, 34),
    (Group::KeySet, 32),
];

/// Rows in all.
const CASES: usize = 300;

// ---------------------------------------------------------------------------------------------
// Fixture: four RSA keys in all, shared by every test of this file.
// ---------------------------------------------------------------------------------------------

struct Fx {
    /// Pool A (`LOCAL_POOL_ID`), key `local-key-1`.
    a: LocalIssuer,
    /// Pool B, whose key has the same `kid` as pool A's.
    b: LocalIssuer,
    /// Pool A again: its first key `w-key-1` was withdrawn, `local-key-2` signs.
    w: LocalIssuer,
}

fn fx() -> &'static Fx {
    static FX: OnceLock<Fx> = OnceLock::new();
    FX.get_or_init(|| {
        let clocked = || LocalIssuer::builder().clock(FixedClock::new(NOW));
        let a = clocked().build().unwrap();
        let b = clocked().user_pool_id(POOL_B).kid(KID).build().unwrap();
        let w = clocked().kid(WITHDRAWN_KID).build().unwrap();
        let active = w.rotate().unwrap();
        assert!(w.withdraw(WITHDRAWN_KID));
        assert_eq!(w.kids(), vec![active]);
        assert_eq!((a.kid(), b.kid()), (KID.to_owned(), KID.to_owned()));
        assert_eq!((a.now(), a.user_pool_id()), (NOW, LOCAL_POOL_ID));
        Fx { a, b, w }
    })
}

/// The shared token builders sign as pool A (or B).
impl Pools for Fx {
    fn pool_a(&self) -> &LocalIssuer {
        &self.a
    }
    fn pool_b(&self) -> &LocalIssuer {
        &self.b
    }
}

impl Fx {
    /// Pool A's published JWK.
    fn jwk_a(&self) -> Value {
        published_jwk(&self.a)
    }
    /// Pool B's published JWK (same `kid` as pool A's).
    fn jwk_b(&self) -> Value {
        published_jwk(&self.b)
    }
}

// DER, to key HMAC with the RSA public key exactly as it is usually stored.

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|&b| b == 0).collect();
    if trimmed.first().is_some_and(|&b| b & 0x80 != 0) {
        der(0x02, &[&[0u8][..], &trimmed].concat())
    } else {
        der(0x02, &trimmed)
    }
}

/// The RSA public key of a JWK as it is usually stored: PKCS#1 DER, SPKI PEM text (the raw
/// modulus is `support::tokens::algorithm_rows`' secret).
struct PublicEncodings {
    pkcs1: Vec<u8>,
    pem: String,
}

fn encodings(jwk: &Value) -> PublicEncodings {
    let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(jwk["e"].as_str().unwrap()).unwrap();
    let pkcs1 = der(0x30, &[der_uint(&n), der_uint(&e)].concat());
    // rsaEncryption (1.2.840.113549.1.1.1), NULL parameters.
    let algorithm = der(
        0x30,
        &[
            der(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
            ),
            vec![0x05, 0x00],
        ]
        .concat(),
    );
    let spki = der(
        0x30,
        &[algorithm, der(0x03, &[&[0u8][..], &pkcs1].concat())].concat(),
    );
    let body = STANDARD.encode(spki);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    );
    PublicEncodings { pkcs1, pem }
}

// ---------------------------------------------------------------------------------------------
// Layers.
// ---------------------------------------------------------------------------------------------

/// Which layer a row meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum L {
    /// Pool A, access tokens only, pool A's keys.
    Access,
    /// Pool A, ID tokens only.
    Id,
    /// Pool A, access tokens, the updated issuer form accepted too.
    Updated,
    /// Pool A, access tokens, a 1 MiB token cap.
    BigCap,
    /// Pool B, access tokens, pool B's keys.
    PoolB,
    /// Pool A's configuration over pool B's JWKS (same `kid`).
    AWithBKeys,
    /// Pool A, a JWKS of unusable keys (enc, RS512, e=1, even e, 1024 bits, oct) and two usable
    /// ones (`bare-key`: pool A's key without `alg` or `use`; `filler-key`).
    Unusable,
    /// Pool A, JWKS `[A's key, B's key]`, both `local-key-1`.
    DupAFirst,
    /// Pool A, JWKS `[B's key, A's key]`, both `local-key-1`.
    DupBFirst,
    /// Pool A, the static key set of the withdrawal issuer (`w-key-1` withdrawn).
    Withdrawn,
    /// Pool A, the withdrawal issuer's JWKS served on loopback and fetched by
    /// `LayerBuilder::start` (a refreshing layer).
    WithdrawnServed,
    /// Pool A, built without waiting (`LayerBuilder::build`), whose JWKS endpoint never
    /// answers: no key set yet.
    NoKeys,
}

type Svc = BoxCloneService<Request<()>, Response<String>, Infallible>;

/// What must outlive the table run: JWKS servers and the silent listener.
#[derive(Default)]
struct Keep {
    servers: Vec<JwksServer>,
    listeners: Vec<std::net::TcpListener>,
}

async fn handler(req: Request<()>) -> Result<Response<String>, Infallible> {
    let body = req
        .extensions()
        .get::<Claims>()
        .map_or_else(|| "no claims".to_owned(), |c| format!("ok {}", c.sub));
    Ok(Response::new(body))
}

fn service(layer: CognitoAuthLayer) -> Svc {
    BoxCloneService::new(ServiceBuilder::new().layer(layer).service_fn(handler))
}

fn jwks(keys: Vec<Value>) -> KeySet {
    KeySet::from_jwks(json!({ "keys": keys }).to_string().as_bytes()).unwrap()
}

/// Pool A's key (or B's) under another `kid`, edited.
fn rekeyed(jwk: &Value, kid: &str, edit: impl FnOnce(&mut Map<String, Value>)) -> Value {
    let mut jwk = jwk.clone();
    let map = jwk.as_object_mut().unwrap();
    map.insert("kid".into(), json!(kid));
    edit(map);
    jwk
}

fn unusable_jwks(f: &Fx) -> Vec<Value> {
    let a = f.jwk_a();
    vec![
        rekeyed(&a, "enc-key", |k| {
            k.insert("use".into(), json!("enc"));
        }),
        rekeyed(&a, "rs512-key", |k| {
            k.insert("alg".into(), json!("RS512"));
        }),
        rekeyed(&a, "e-one-key", |k| {
            k.insert("e".into(), json!("AQ"));
        }),
        rekeyed(&a, "e-even-key", |k| {
            k.insert("e".into(), json!("AQAA"));
        }),
        serde_json::from_str(WEAK_JWK).unwrap(),
        json!({ "kty": "oct", "kid": "hmac-key", "alg": "HS256", "k": b64(HMAC_SECRET) }),
        rekeyed(&a, "bare-key", |k| {
            k.remove("alg");
            k.remove("use");
        }),
        rekeyed(&f.jwk_b(), "filler-key", |_| {}),
    ]
}

async fn build(f: &Fx, l: L, keep: &mut Keep) -> Svc {
    let access = |issuer: &LocalIssuer| issuer.config().token_use(TokenUse::Access);
    let fixed = |builder: tower_cognito::CognitoConfigBuilder, keys: KeySet| {
        CognitoAuthLayer::builder(builder.build().unwrap())
            .static_keys(keys)
            .build()
            .unwrap()
    };
    let layer = match l {
        L::Access => fixed(access(&f.a), f.a.key_set()),
        L::Id => fixed(f.a.config().token_use(TokenUse::Id), f.a.key_set()),
        L::Updated => fixed(access(&f.a).accept_updated_issuer(true), f.a.key_set()),
        L::BigCap => fixed(access(&f.a).max_token_size(BIG_CAP), f.a.key_set()),
        L::PoolB => fixed(access(&f.b), f.b.key_set()),
        L::AWithBKeys => fixed(access(&f.a), f.b.key_set()),
        L::Unusable => {
            let keys = jwks(unusable_jwks(f));
            let mut kids: Vec<&str> = keys.kids().collect();
            kids.sort_unstable();
            assert_eq!((kids, keys.skipped()), (vec!["bare-key", "filler-key"], 6));
            fixed(access(&f.a), keys)
        }
        L::DupAFirst | L::DupBFirst => {
            let mut list = vec![f.jwk_a(), f.jwk_b()];
            if l == L::DupBFirst {
                list.reverse();
            }
            let keys = jwks(list);
            assert_eq!((keys.len(), keys.skipped()), (1, 1));
            fixed(access(&f.a), keys)
        }
        L::Withdrawn => fixed(access(&f.w), f.w.key_set()),
        L::WithdrawnServed => {
            let server = f.w.serve().await.unwrap();
            let layer = CognitoAuthLayer::builder(access(&f.w).build().unwrap())
                .start()
                .await
                .unwrap();
            assert!(!layer.pools()[0].key_set.contains(WITHDRAWN_KID));
            keep.servers.push(server);
            layer
        }
        L::NoKeys => {
            // Accepts connections (the kernel's backlog) but never answers: the first fetch is
            // still pending (until the 5 s fetch timeout, then it retries the same way).
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
            keep.listeners.push(listener);
            let layer = CognitoAuthLayer::builder(access(&f.a).jwks_url(url).build().unwrap())
                .build()
                .unwrap();
            assert!(layer.pools()[0].key_set.is_empty());
            layer
        }
    };
    service(layer)
}

// ---------------------------------------------------------------------------------------------
// Rows and expected answers.
// ---------------------------------------------------------------------------------------------

/// The expected answer of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// 200 from the inner service, with the claims.
    Pass,
    /// 401 with the bare challenge: no bearer credentials.
    NoCredentials,
    /// 400 `invalid_request`.
    BadRequest(RequestError),
    /// 401 `invalid_token`.
    Reject(ErrorKind),
    /// 503, no challenge, `Retry-After: 5`.
    Unavailable,
}

use Expect::{BadRequest, NoCredentials, Pass, Reject, Unavailable};

/// The fixed `error_description` of each token error, spelled out independently of the crate.
fn token_description(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::TokenTooLarge => "the token is too large",
        ErrorKind::Malformed => "the token is not a compact JWS",
        ErrorKind::InvalidHeader => "invalid token header",
        ErrorKind::UnsupportedAlgorithm => "unsupported signing algorithm",
        ErrorKind::MissingKeyId => "the token names no key",
        ErrorKind::CriticalHeader => "unsupported critical header",
        ErrorKind::InvalidType => "unsupported token type",
        ErrorKind::UnknownKeyId => "unknown signing key",
        ErrorKind::InvalidSignature => "invalid signature",
        ErrorKind::InvalidClaims => "invalid claims",
        ErrorKind::InvalidIssuer => "invalid issuer",
        ErrorKind::InvalidTokenUse => "invalid token use",
        ErrorKind::TokenUseNotAccepted => "token use not accepted",
        ErrorKind::InvalidClient => "app client not allowed",
        ErrorKind::MissingExpiry => "the token has no expiry",
        ErrorKind::Expired { .. } => "the token expired",
        ErrorKind::NotYetValid { .. } => "the token is not valid yet",
        ErrorKind::IssuedInFuture { .. } => "the token was issued in the future",
        _ => "(not a token error)",
    }
}

fn request_description(error: RequestError) -> &'static str {
    match error {
        RequestError::MultipleHeaders => "more than one Authorization header",
        RequestError::EmptyToken => "empty bearer token",
        RequestError::MultipleTokens => "more than one bearer token",
        RequestError::InvalidCharacters => "invalid characters in the bearer token",
        _ => "(unknown request error)",
    }
}

/// What came back (or must come back).
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    challenge: Option<String>,
    retry_after: Option<String>,
    kind: Option<ErrorKind>,
    /// For a pass: whether the claims reached the inner service. For a rejection: the body.
    body: String,
}

impl Expect {
    fn answer(&self) -> Answer {
        let challenge = |code: &str, description: &str| {
            Some(format!(
                r#"Bearer realm="api", error="{code}", error_description="{description}""#
            ))
        };
        let (status, challenge, retry_after, kind) = match self {
            Pass => (200, None, None, None),
            NoCredentials => (
                401,
                Some(BARE.to_owned()),
                None,
                Some(ErrorKind::MissingCredentials),
            ),
            BadRequest(e) => (
                400,
                challenge("invalid_request", request_description(*e)),
                None,
                Some(ErrorKind::InvalidRequest(*e)),
            ),
            Reject(kind) => (
                401,
                challenge("invalid_token", token_description(kind)),
                None,
                Some(*kind),
            ),
            Unavailable => (
                503,
                None,
                Some("5".to_owned()),
                Some(ErrorKind::KeysUnavailable),
            ),
        };
        let body = if *self == Pass { "ok <sub>" } else { "" };
        Answer {
            status,
            challenge,
            retry_after,
            kind,
            body: body.to_owned(),
        }
    }
}

struct Case {
    name: String,
    layer: L,
    /// The raw `Authorization` header values, one per header line.
    authorization: Vec<Vec<u8>>,
    expect: Expect,
}

/// `Authorization: Bearer {token}` at the `Access` layer.
fn tok(name: impl Into<String>, token: impl AsRef<str>, expect: Expect) -> Case {
    raw_auth(
        name,
        vec![format!("Bearer {}", token.as_ref()).into_bytes()],
        expect,
    )
}

/// These raw `Authorization` values at the `Access` layer.
fn raw_auth(name: impl Into<String>, authorization: Vec<Vec<u8>>, expect: Expect) -> Case {
    Case {
        name: name.into(),
        layer: L::Access,
        authorization,
        expect,
    }
}

impl Case {
    fn on(mut self, layer: L) -> Self {
        self.layer = layer;
        self
    }
}

/// The rows shared with `verifier.rs` (`support::tokens`), each at its layer and with the whole
/// answer its outcome implies, then this table's own rows.
fn with_shared(shared: Vec<Row>, own: Vec<Case>) -> Vec<Case> {
    let shared = shared.into_iter().map(|row| {
        let layer = match row.on {
            On::Access => L::Access,
            On::Id => L::Id,
            On::Updated => L::Updated,
            On::BigCap => L::BigCap,
            On::PoolB => L::PoolB,
            On::AWithBKeys => L::AWithBKeys,
        };
        let expect = match row.expect {
            Ok(()) => Pass,
            Err(kind) => Reject(kind),
        };
        tok(row.name, row.token, expect).on(layer)
    });
    shared.chain(own).collect()
}

fn rows(f: &Fx, group: Group) -> Vec<Case> {
    match group {
        Group::Extraction => extraction(f),
        Group::Structure => structure(f),
        Group::Algorithm => algorithm(f),
        Group::Signature => signature(f),
        Group::Time => time(f),
        Group::Issuer => issuer(f),
        Group::KeySet => key_set(f),
    }
}

async fn answer(svc: Svc, authorization: &[Vec<u8>]) -> Result<Answer, String> {
    let mut req = Request::get("/").body(()).unwrap();
    for value in authorization {
        let value = HeaderValue::from_bytes(value).map_err(|_| "not a valid header value")?;
        req.headers_mut().append(AUTHORIZATION, value);
    }
    let res = svc.oneshot(req).await.unwrap();
    let single = |name| {
        let mut values = res.headers().get_all(&name).iter();
        let first = values
            .next()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        match values.next() {
            Some(_) => Err(format!("more than one {name} header")),
            None => Ok(first),
        }
    };
    let challenge = single(WWW_AUTHENTICATE)?;
    let retry_after = single(RETRY_AFTER)?;
    let kind = res.extensions().get::<Error>().map(|e| e.kind());
    let status = res.status().as_u16();
    let body = res.into_body();
    let body = match body.strip_prefix("ok ") {
        Some(sub) if !sub.is_empty() => "ok <sub>".to_owned(),
        _ => body,
    };
    Ok(Answer {
        status,
        challenge,
        retry_after,
        kind,
        body,
    })
}

/// Runs every row of `group` and reports all mismatches together.
async fn run(group: Group) {
    let f = fx();
    let cases = rows(f, group);
    let mut keep = Keep::default();
    let mut services: HashMap<L, Svc> = HashMap::new();
    let mut names = HashSet::new();
    let mut failures = Vec::new();
    for case in &cases {
        if !names.insert(case.name.as_str()) {
            failures.push(format!("{}: duplicate case name", case.name));
        }
        if let Entry::Vacant(slot) = services.entry(case.layer) {
            slot.insert(build(f, case.layer, &mut keep).await);
        }
        let svc = services[&case.layer].clone();
        let want = case.expect.answer();
        match answer(svc, &case.authorization).await {
            Ok(got) if got == want => {}
            Ok(got) => failures.push(format!(
                "{} (layer {:?}):\n    expected {want:?}\n    got      {got:?}",
                case.name, case.layer
            )),
            Err(problem) => failures.push(format!("{}: {problem}", case.name)),
        }
    }
    drop(keep);
    assert!(
        failures.is_empty(),
        "{group:?}: {} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// The tables.
// ---------------------------------------------------------------------------------------------

fn extraction(f: &Fx) -> Vec<Case> {
    use RequestError::{EmptyToken, InvalidCharacters, MultipleHeaders, MultipleTokens};
    let t = f.a.access_token();
    let (h, p, s) = parts(&t);
    let auth = |s: String| s.into_bytes();
    let big = "a".repeat(1024 * 1024);
    let over_cap = f.sign(&with(f.access(), "pad", json!("p".repeat(8 * 1024))));
    // Control bytes other than tab (and DEL) cannot be put in an `http::HeaderValue`, so they
    // never reach a layer (see `control_bytes_cannot_be_sent`). Tab, and the printable and
    // non-ASCII bytes below, can.
    vec![
        tok("valid access token (control)", &t, Pass),
        raw_auth("no Authorization header", vec![], NoCredentials),
        // Changed in issue 16: an empty value was `NoCredentials` (401). It is no scheme at all,
        // so a malformed request, as an optional layer already answered it.
        raw_auth(
            "empty header value",
            vec![vec![]],
            BadRequest(InvalidCharacters),
        ),
        raw_auth(
            "Basic credentials",
            vec![auth("Basic dXNlcjpwYXNz".into())],
            NoCredentials,
        ),
        raw_auth(
            "Basic scheme carrying a JWT",
            vec![auth(format!("Basic {t}"))],
            NoCredentials,
        ),
        raw_auth(
            "Digest scheme",
            vec![auth(r#"Digest username="u""#.into())],
            NoCredentials,
        ),
        // Changed in issue 16: these four were `NoCredentials` (401), "another scheme". A word
        // that starts with `Bearer` is a bearer credential written wrong, never another scheme
        // (an optional layer let `Bearer<token>` through as anonymous): 400 in every mode.
        raw_auth(
            "scheme glued to the token",
            vec![auth(format!("Bearer{t}"))],
            BadRequest(InvalidCharacters),
        ),
        raw_auth(
            "lower-case scheme glued to the token",
            vec![auth(format!("bearer{t}"))],
            BadRequest(InvalidCharacters),
        ),
        raw_auth(
            "upper-case scheme glued to the token",
            vec![auth(format!("BEARER{t}"))],
            BadRequest(InvalidCharacters),
        ),
        raw_auth(
            "scheme and token joined by a comma",
            vec![auth(format!("Bearer,{t}"))],
            BadRequest(InvalidCharacters),
        ),
        raw_auth(
            "Bearer then a tab",
            vec![auth(format!("Bearer\t{t}"))],
            BadRequest(InvalidCharacters),
        ),
        raw_auth(
            "Bearer then a non-breaking space",
            vec![[b"Bearer\xc2\xa0".as_slice(), t.as_bytes()].concat()],
            BadRequest(InvalidCharacters),
        ),
        raw_auth(
            "a scheme that Bearer starts with (another scheme)",
            vec![auth(format!("Bear {t}"))],
            NoCredentials,
        ),
        raw_auth(
            "Bearer alone",
            vec![auth("Bearer".into())],
            BadRequest(EmptyToken),
        ),
        raw_auth(
            "Bearer and spaces",
            vec![auth("Bearer     ".into())],
            BadRequest(EmptyToken),
        ),
        raw_auth("lower-case scheme", vec![auth(format!("bearer {t}"))], Pass),
        raw_auth("upper-case scheme", vec![auth(format!("BEARER {t}"))], Pass),
        raw_auth("mixed-case scheme", vec![auth(format!("bEaReR {t}"))], Pass),
        raw_auth(
            "two spaces after the scheme",
            vec![auth(format!("Bearer  {t}"))],
            Pass,
        ),
        raw_auth(
            "trailing spaces",
            vec![auth(format!("Bearer {t}   "))],
            Pass,
        ),
        raw_auth(
            "trailing second token",
            vec![auth(format!("Bearer {t} {t}"))],
            BadRequest(MultipleTokens),
        ),
        raw_auth(
            "trailing junk word",
            vec![auth(format!("Bearer {t} x"))],
            BadRequest(MultipleTokens),
        ),
        raw_auth(
            "two Authorization headers",
            vec![auth(format!("Bearer {t}")), auth(format!("Bearer {t}"))],
            BadRequest(MultipleHeaders),
        ),
        raw_auth(
            "Bearer and Basic headers",
            vec![
                auth(format!("Bearer {t}")),
                auth("Basic dXNlcjpwYXNz".into()),
            ],
            BadRequest(MultipleHeaders),
        ),
        raw_auth(
            "second Authorization header empty",
            vec![auth(format!("Bearer {t}")), vec![]],
            BadRequest(MultipleHeaders),
        ),
        raw_auth(
            "comma-joined tokens",
            vec![auth(format!("Bearer {t},{t}"))],
            BadRequest(MultipleTokens),
        ),
        raw_auth(
            "comma-joined credentials (as a proxy folds headers)",
            vec![auth(format!("Bearer {t}, Bearer {t}"))],
            BadRequest(MultipleTokens),
        ),
        raw_auth(
            "Bearer, a space, then a tab before the token (a tab is no separator)",
            vec![auth(format!("Bearer \t{t}"))],
            BadRequest(InvalidCharacters),
        ),
        raw_auth(
            "Bearer, spaces, a tab and a space before the token",
            vec![auth(format!("Bearer  \t {t}"))],
            BadRequest(InvalidCharacters),
        ),
        raw_auth(
            "trailing tab after the token (field whitespace)",
            vec![auth(format!("Bearer {t}\t"))],
            Pass,
        ),
        raw_auth(
            "a token made only of padding",
            vec![auth("Bearer ===".into())],
            BadRequest(InvalidCharacters),
        ),
        raw_auth(
            "a token of one padding character",
            vec![auth("Bearer =".into())],
            BadRequest(InvalidCharacters),
        ),
        raw_auth(
            "tab inside the token",
            vec![auth(format!("Bearer {h}.{p}\t{s}"))],
            BadRequest(MultipleTokens),
        ),
        tok("1 MiB token", &big, Reject(ErrorKind::TokenTooLarge)),
        tok(
            "signed token just over the 8 KiB cap",
            &over_cap,
            Reject(ErrorKind::TokenTooLarge),
        ),
        tok(
            "1 MiB of quotes (size checked before the characters)",
            "\"".repeat(1024 * 1024),
            Reject(ErrorKind::TokenTooLarge),
        ),
        tok(
            "quote inside the token",
            format!("{h}\".{p}.{s}"),
            BadRequest(InvalidCharacters),
        ),
        tok(
            "quoted token",
            format!("\"{t}\""),
            BadRequest(InvalidCharacters),
        ),
        tok(
            "backslash inside the token",
            format!("{h}.{p}\\.{s}"),
            BadRequest(InvalidCharacters),
        ),
        tok(
            "semicolon after the token",
            format!("{t};"),
            BadRequest(InvalidCharacters),
        ),
        tok(
            "auth-param instead of a token",
            "token=abc",
            BadRequest(InvalidCharacters),
        ),
        raw_auth(
            "non-ASCII (UTF-8 é) after the token",
            vec![[b"Bearer ", t.as_bytes(), "é".as_bytes()].concat()],
            BadRequest(InvalidCharacters),
        ),
        raw_auth(
            "obs-text byte 0xFF inside the token",
            vec![
                [
                    b"Bearer ",
                    h.as_bytes(),
                    b"\xff.",
                    p.as_bytes(),
                    b".",
                    s.as_bytes(),
                ]
                .concat(),
            ],
            BadRequest(InvalidCharacters),
        ),
        raw_auth(
            "non-breaking space between two tokens",
            vec![[b"Bearer ", t.as_bytes(), b"\xc2\xa0", t.as_bytes()].concat()],
            BadRequest(InvalidCharacters),
        ),
    ]
}

fn structure(f: &Fx) -> Vec<Case> {
    use RequestError::{InvalidCharacters, MultipleTokens};
    let good = f.sign(&f.access());
    let (h, p, s) = parts(&good);
    let malformed = || Reject(ErrorKind::Malformed);
    let bad_header = || Reject(ErrorKind::InvalidHeader);
    let bad_claims = || Reject(ErrorKind::InvalidClaims);
    let text = claims_text(f.access());
    let body = text.strip_suffix('}').unwrap();

    // Padded encodings: the 35-byte header gets one `=`; the payload is made unaligned.
    let padded_header = URL_SAFE.encode(STD_HEADER);
    assert!(padded_header.ends_with('='));
    let spaced = unaligned(text.clone());
    let padded_payload = URL_SAFE.encode(&spaced);
    assert!(padded_payload.ends_with('='));
    let (sh, sp, ss) = parts(&f.payload(&spaced));
    let dup = |member: &str| f.payload(&raw_member(f.access(), "", member));

    with_shared(
        structure_rows(f),
        vec![
            // `=` anywhere but the very end is outside the b64token grammar: a malformed request.
            tok(
                "'=' padding on the header segment",
                format!("{padded_header}.{p}.{s}"),
                BadRequest(InvalidCharacters),
            ),
            tok(
                "'=' padding on the payload segment",
                format!("{h}.{padded_payload}.{s}"),
                BadRequest(InvalidCharacters),
            ),
            tok(
                "'~' in the payload",
                format!("{h}.{}~.{s}", &p[..p.len() - 1]),
                malformed(),
            ),
            tok(
                "non-canonical last character of the payload",
                format!("{sh}.{}.{ss}", non_canonical_last(&sp)),
                malformed(),
            ),
            tok(
                "space inside the payload",
                format!("{h}.{} {}.{s}", &p[..10], &p[10..]),
                BadRequest(MultipleTokens),
            ),
            tok(
                "overlong UTF-8 in the header kid",
                f.raw(
                    b"{\"kid\":\"local\xc0\xadkey-1\",\"alg\":\"RS256\"}",
                    text.as_bytes(),
                ),
                bad_header(),
            ),
            tok(
                "lone surrogate escape in the header kid",
                f.header(r#"{"kid":"local-key-1\ud800","alg":"RS256"}"#),
                bad_header(),
            ),
            tok("header not JSON", f.header("kid=local-key-1"), bad_header()),
            tok("payload true", f.payload("true"), bad_claims()),
            tok(
                "duplicate kid",
                f.header(r#"{"kid":"local-key-1","alg":"RS256","kid":"x"}"#),
                bad_header(),
            ),
            tok(
                "duplicate exp",
                dup(&format!(r#""exp":{}"#, NOW + 86_400)),
                bad_claims(),
            ),
            tok(
                "duplicate exp spelled with an escape",
                dup(&format!(r#""\u0065xp":{}"#, NOW + 86_400)),
                bad_claims(),
            ),
            tok(
                "2 000 levels of nesting under the default cap",
                f.payload(&format!(r#"{body},"x":{}}}"#, deep_array(2_000))),
                bad_claims(),
            ),
            tok(
                "100 levels of nesting (accepted)",
                f.payload(&format!(r#"{body},"x":{}}}"#, deep_array(100))),
                Pass,
            ),
            tok(
                "UTF-8 BOM before the header JSON",
                f.header(&format!("\u{feff}{STD_HEADER}")),
                bad_header(),
            ),
            tok(
                "JSON whitespace after the payload (accepted)",
                f.payload(&format!("{text} \n\t")),
                Pass,
            ),
            tok(
                "JSON whitespace after the header (accepted)",
                f.header(&format!("{STD_HEADER} ")),
                Pass,
            ),
        ],
    )
}

fn algorithm(f: &Fx) -> Vec<Case> {
    let unsupported = || Reject(ErrorKind::UnsupportedAlgorithm);
    let good = f.sign(&f.access());
    let (_, p, _) = parts(&good);
    let keys = encodings(&f.jwk_a());
    let long_kid = |n: usize| f.hdr(json!({ "kid": "k".repeat(n), "alg": "RS256" }));

    with_shared(
        algorithm_rows(f),
        vec![
            tok(
                "alg none, no signature segment",
                format!("{}.{p}", none_header("none")),
                Reject(ErrorKind::Malformed),
            ),
            tok(
                "HS256 keyed with the PKCS#1 DER public key",
                f.hs256(KID, &keys.pkcs1),
                unsupported(),
            ),
            tok(
                "HS256 keyed with the PEM public key",
                f.hs256(KID, keys.pem.as_bytes()),
                unsupported(),
            ),
            tok(
                "kid of 10 KB, default cap",
                long_kid(10_000),
                Reject(ErrorKind::TokenTooLarge),
            ),
            tok(
                "kid of 10 KB, 1 MiB cap (a header over the size cap)",
                long_kid(10_000),
                Reject(ErrorKind::InvalidHeader),
            )
            .on(L::BigCap),
            tok(
                "jku, x5u, jwk, x5c pointing elsewhere (ignored)",
                f.hdr_with(json!({
                    "jku": "https://evil.example/jwks.json",
                    "x5u": "https://evil.example/cert.pem",
                    "jwk": { "kty": "RSA", "kid": "evil", "n": "AQAB", "e": "AQAB" },
                    "x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"],
                })),
                Pass,
            ),
            tok(
                "jku, x5u, x5c and a 2048-bit jwk (a header over the size cap)",
                f.hdr_with(json!({
                    "jku": "https://evil.example/jwks.json",
                    "x5u": "https://evil.example/cert.pem",
                    "jwk": f.jwk_b(),
                    "x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"],
                })),
                Reject(ErrorKind::InvalidHeader),
            ),
        ],
    )
}

fn signature(f: &Fx) -> Vec<Case> {
    with_shared(signature_rows(f), vec![])
}

fn time(f: &Fx) -> Vec<Case> {
    let mut rows = with_shared(
        time_rows(f),
        vec![tok(
            "iat far in the future",
            f.sign(&with(f.access(), "iat", json!(MAX_NUMERIC_DATE))),
            Reject(ErrorKind::IssuedInFuture {
                iat: MAX_NUMERIC_DATE,
                now: NOW,
            }),
        )],
    );
    // Every time claim, every wrong shape of number.
    for (claim, plausible) in [("exp", NOW + 3600), ("nbf", NOW - 10), ("iat", NOW)] {
        for (label, text) in [
            ("as a string", format!(r#""{plausible}""#)),
            ("as a float", format!("{plausible}.5")),
            ("negative", "-1".to_owned()),
            ("1e300", "1e300".to_owned()),
            (
                "beyond i64 (9223372036854775808)",
                "9223372036854775808".to_owned(),
            ),
            ("1e19", "1e19".to_owned()),
            ("-0", "-0".to_owned()),
        ] {
            rows.push(tok(
                format!("{claim} {label}"),
                f.raw_claim(claim, &text),
                Reject(ErrorKind::InvalidClaims),
            ));
        }
    }
    // Sanity: the string form is what we meant.
    assert!(raw_member(f.access(), "exp", r#""exp":"1""#).starts_with(r#"{"exp":"1","#));
    rows
}

fn issuer(f: &Fx) -> Vec<Case> {
    let mut extra = f.access();
    extra.insert("custom:tenant".into(), json!("acme"));
    extra.insert(
        "x-trigger".into(),
        json!({ "nested": [1, 2, { "a": null }] }),
    );
    extra.insert("cognito:roles".into(), json!(["arn:aws:iam::1:role/r"]));
    extra.insert("amr".into(), json!(["pwd"]));

    let shared = [
        issuer_rows(f),
        token_use_and_client_rows(f),
        claim_type_rows(f),
    ]
    .into_iter()
    .flatten()
    .collect();
    with_shared(
        shared,
        vec![tok("unknown extra claims (accepted)", f.sign(&extra), Pass)],
    )
}

fn key_set(f: &Fx) -> Vec<Case> {
    let good = f.sign(&f.access());
    let (h, p, _) = parts(&good);
    let unknown = || Reject(ErrorKind::UnknownKeyId);
    let withdrawn = f.w.sign_with_kid(
        WITHDRAWN_KID,
        json!({ "kid": WITHDRAWN_KID, "alg": "RS256" })
            .to_string()
            .as_bytes(),
        claims_text(f.w.access_claims()).as_bytes(),
    );
    assert!(!withdrawn.ends_with('.'), "the withdrawn key still signs");
    let rotated = f.w.access_token();
    let b_claims_a = f.b.sign(&f.access());
    let expired = f.sign(&with(f.access(), "exp", json!(NOW - 3600)));
    let (sh, sp, ss) = parts(&f.payload(&unaligned(claims_text(f.access()))));

    with_shared(
        key_set_rows(f),
        vec![
            tok(
                "unknown kid, refreshing layer",
                f.with_kid("rotated-key-9"),
                unknown(),
            )
            .on(L::WithdrawnServed),
            tok("use: enc key not used", f.with_kid("enc-key"), unknown()).on(L::Unusable),
            tok(
                "alg: RS512 key not used",
                f.with_kid("rs512-key"),
                unknown(),
            )
            .on(L::Unusable),
            tok(
                "exponent 1 key not used",
                f.with_kid("e-one-key"),
                unknown(),
            )
            .on(L::Unusable),
            tok(
                "even exponent key not used",
                f.with_kid("e-even-key"),
                unknown(),
            )
            .on(L::Unusable),
            tok("1024-bit key not used", WEAK_TOKEN, unknown()).on(L::Unusable),
            tok(
                "kty oct key, HS256 token keyed with it",
                f.hs256("hmac-key", HMAC_SECRET),
                Reject(ErrorKind::UnsupportedAlgorithm),
            )
            .on(L::Unusable),
            tok(
                "kty oct key, RS256 header naming it",
                f.with_kid("hmac-key"),
                unknown(),
            )
            .on(L::Unusable),
            tok(
                "key without alg or use is used (control)",
                f.with_kid("bare-key"),
                Pass,
            )
            .on(L::Unusable),
            tok(
                "duplicate kid, A first: A's token (first key wins)",
                &good,
                Pass,
            )
            .on(L::DupAFirst),
            tok(
                "duplicate kid, A first: B-signed token",
                &b_claims_a,
                Reject(ErrorKind::InvalidSignature),
            )
            .on(L::DupAFirst),
            tok(
                "duplicate kid, B first: B-signed token (first key wins)",
                &b_claims_a,
                Pass,
            )
            .on(L::DupBFirst),
            tok(
                "duplicate kid, B first: A's token",
                &good,
                Reject(ErrorKind::InvalidSignature),
            )
            .on(L::DupBFirst),
            tok("key withdrawn (static key set)", &withdrawn, unknown()).on(L::Withdrawn),
            tok("rotated key (static key set, control)", &rotated, Pass).on(L::Withdrawn),
            tok(
                "key withdrawn (JWKS fetched over loopback)",
                &withdrawn,
                unknown(),
            )
            .on(L::WithdrawnServed),
            tok(
                "rotated key (JWKS fetched over loopback, control)",
                &rotated,
                Pass,
            )
            .on(L::WithdrawnServed),
            // No key set yet: a well-formed token cannot be judged (503), anything that could never
            // verify is still refused (401/400).
            tok("no key set yet: valid token", &good, Unavailable).on(L::NoKeys),
            tok("no key set yet: expired token", &expired, Unavailable).on(L::NoKeys),
            raw_auth("no key set yet: no header", vec![], NoCredentials).on(L::NoKeys),
            raw_auth(
                "no key set yet: Bearer alone",
                vec![b"Bearer".to_vec()],
                BadRequest(RequestError::EmptyToken),
            )
            .on(L::NoKeys),
            tok(
                "no key set yet: 1 MiB token",
                "a".repeat(1024 * 1024),
                Reject(ErrorKind::TokenTooLarge),
            )
            .on(L::NoKeys),
            tok(
                "no key set yet: two parts",
                format!("{h}.{p}"),
                Reject(ErrorKind::Malformed),
            )
            .on(L::NoKeys),
            tok(
                "no key set yet: alg none, empty signature",
                format!("{}.{p}.", b64(r#"{"kid":"local-key-1","alg":"none"}"#)),
                Reject(ErrorKind::Malformed),
            )
            .on(L::NoKeys),
            tok(
                "no key set yet: alg HS256",
                f.hs256(KID, b"secret"),
                Reject(ErrorKind::UnsupportedAlgorithm),
            )
            .on(L::NoKeys),
            tok(
                "no key set yet: header not an object",
                f.header("[]"),
                Reject(ErrorKind::InvalidHeader),
            )
            .on(L::NoKeys),
            tok(
                "no key set yet: kid missing",
                f.hdr(json!({ "alg": "RS256" })),
                Reject(ErrorKind::MissingKeyId),
            )
            .on(L::NoKeys),
            tok(
                "no key set yet: '=' padding at the end",
                format!("{good}=="),
                Reject(ErrorKind::Malformed),
            )
            .on(L::NoKeys),
            tok(
                "no key set yet: non-canonical payload",
                format!("{sh}.{}.{ss}", non_canonical_last(&sp)),
                Reject(ErrorKind::Malformed),
            )
            .on(L::NoKeys),
            tok(
                "no key set yet: signature of 2000 bytes",
                with_sig(&good, &[0x5a; 2000]),
                Reject(ErrorKind::Malformed),
            )
            .on(L::NoKeys),
        ],
    )
}

// ---------------------------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn header_and_extraction() {
    run(Group::Extraction).await;
}

#[tokio::test]
async fn structure_rules() {
    run(Group::Structure).await;
}

#[tokio::test]
async fn algorithm_and_header() {
    run(Group::Algorithm).await;
}

#[tokio::test]
async fn signatures() {
    run(Group::Signature).await;
}

#[tokio::test]
async fn time_claims() {
    run(Group::Time).await;
}

#[tokio::test]
async fn issuer_and_cognito_rules() {
    run(Group::Issuer).await;
}

#[tokio::test]
async fn key_sets() {
    run(Group::KeySet).await;
}

/// The security notes (src/docs/security.md) quote these numbers: keep them true.
#[test]
fn corpus_size() {
    let f = fx();
    let mut names = HashSet::new();
    let mut counts = Vec::new();
    for (group, _) in GROUPS {
        let rows = rows(f, group);
        for row in &rows {
            assert!(
                names.insert(row.name.clone()),
                "duplicate case name {}",
                row.name
            );
        }
        counts.push((group, rows.len()));
    }
    assert_eq!(counts, GROUPS);
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<usize>(), CASES);
}

/// Control bytes other than tab, and DEL, cannot be put in an `http::HeaderValue`: no request can
/// carry them to the layer, so the tables test tab and the printable and non-ASCII bytes only.
#[test]
fn control_bytes_cannot_be_sent() {
    for byte in (0u8..0x20).chain([0x7f]) {
        let value = [b"Bearer a".as_slice(), &[byte], b"b"].concat();
        assert_eq!(
            HeaderValue::from_bytes(&value).is_ok(),
            byte == b'\t',
            "byte {byte:#04x}"
        );
    }
}

/// The hand-made fixtures are what they claim to be.
#[test]
fn fixtures_are_genuine() {
    let f = fx();
    // The 1024-bit token is really signed by the 1024-bit key, and its claims are pool A's.
    let weak: Value = serde_json::from_str(WEAK_JWK).unwrap();
    let n = URL_SAFE_NO_PAD.decode(weak["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(weak["e"].as_str().unwrap()).unwrap();
    assert_eq!((n.len(), n[0] >> 7), (128, 1), "a 1024-bit modulus");
    let (h, p, s) = parts(WEAK_TOKEN);
    RsaPublicKeyComponents { n: &n, e: &e }
        .verify(
            &RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
            format!("{h}.{p}").as_bytes(),
            &URL_SAFE_NO_PAD.decode(&s).unwrap(),
        )
        .unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&p).unwrap()).unwrap();
    assert_eq!(claims["iss"], f.a.issuer());
    assert_eq!(claims["client_id"], LOCAL_CLIENT_ID);
    assert_eq!(claims["exp"], NOW + 3600);

    // The HMAC secrets are real encodings of pool A's public key.
    let keys = encodings(&f.jwk_a());
    let good = f.a.access_token();
    let (h, p, s) = parts(&good);
    let input = format!("{h}.{p}");
    let sig = URL_SAFE_NO_PAD.decode(&s).unwrap();
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &keys.pkcs1)
        .verify(input.as_bytes(), &sig)
        .unwrap();
    let pem_body: String = keys
        .pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let spki = STANDARD.decode(pem_body).unwrap();
    assert!(spki.ends_with(&keys.pkcs1));
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &spki)
        .verify(input.as_bytes(), &sig)
        .unwrap();
}
