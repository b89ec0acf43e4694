//! Table-driven accept/reject tests of `Verifier::verify` against every token rule of
//! SECURITY.md, with a fixed clock: every token is minted relative to the constant `NOW`, and the
//! verifier is given `NOW`, so no assertion depends on the system time.
//!
//! The rows this table shares with `bad_inputs.rs` (the same token, the same outcome) are built
//! once in `support::tokens` (`structure_rows`, `algorithm_rows`...); each test adds the rows only
//! this table has.

use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use tower_cognito::test_util::{LOCAL_CLIENT_ID, LocalIssuer, TOKEN_LIFETIME};
use tower_cognito::{
    CognitoConfigBuilder, ErrorKind, TokenUse, Verifier, clock::FixedClock, jwks::KeySet,
};

use crate::support::tokens::{
    DASH_HEADER, KID, LEEWAY, NOW, On, POOL_B, Pools, Row, STD_HEADER, UNDERSCORE_HEADER,
    algorithm_rows, claim_type_rows, deep_array, issuer_rows, key_set_rows, parts, published_jwk,
    raw_member, sig_bytes, signature_rows, structure_rows, time_rows, token_use_and_client_rows,
    unaligned, with, with_sig, without,
};

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
             token_use: Option<TokenUse>,
             edit: &dyn Fn(CognitoConfigBuilder) -> CognitoConfigBuilder| {
                let builder = match token_use {
                    Some(one) => issuer.config().token_use(one),
                    None => issuer.config().any_token_use(),
                };
                let config = edit(builder).build().unwrap();
                Verifier::new(&config)
            };
        let same = |c: CognitoConfigBuilder| c;
        let access = verifier(&a, Some(TokenUse::Access), &same);
        assert_eq!(access.leeway(), Duration::from_secs(LEEWAY));
        assert_eq!(access.max_token_size(), CAP);
        Fixture {
            keys_a: a.key_set(),
            keys_b: b.key_set(),
            empty: KeySet::empty(),
            id: verifier(&a, Some(TokenUse::Id), &same),
            any: verifier(&a, None, &same),
            updated: verifier(&a, Some(TokenUse::Access), &|c| {
                c.accept_updated_issuer(true)
            }),
            big_cap: verifier(&a, Some(TokenUse::Access), &|c| {
                c.max_token_size(1024 * 1024)
            }),
            two_clients: verifier(&a, Some(TokenUse::Access), &|c| c.client_id("secondclient")),
            pool_b: verifier(&b, Some(TokenUse::Access), &same),
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

/// The shared token builders sign as pool A (or B).
impl Pools for Fixture {
    fn pool_a(&self) -> &LocalIssuer {
        &self.a
    }
    fn pool_b(&self) -> &LocalIssuer {
        &self.b
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

/// Runs the rows shared with `bad_inputs.rs` (`support::tokens`), each on its configuration, then
/// this table's own rows, and reports every mismatch at once.
fn run(shared: Vec<Row>, own: Vec<Case>) {
    let shared = shared.into_iter().map(|row| {
        let (v, k) = match row.on {
            On::Access => (V::Access, K::A),
            On::Id => (V::Id, K::A),
            On::Updated => (V::Updated, K::A),
            On::BigCap => (V::BigCap, K::A),
            On::PoolB => (V::PoolB, K::B),
            On::AWithBKeys => (V::Access, K::B),
        };
        case(row.name, row.token, row.expect).on(v).keys(k)
    });
    let cases: Vec<Case> = shared.chain(own).collect();
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
            .map_err(|e| e.kind());
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

    // Padded encodings of the same bytes (35-byte header: one `=`; the payload made unaligned).
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
    let dup = |member: &str| f.payload(&raw_member(f.access(), "nothing", member));

    run(
        structure_rows(f),
        vec![
            case("header with '-' in its encoding", f.header(DASH_HEADER), OK),
            case(
                "header with '_' in its encoding",
                f.header(UNDERSCORE_HEADER),
                OK,
            ),
            case("empty token", "", malformed()),
            // `=` inside a token, and whitespace, are the layer's to refuse (400) before the
            // verifier sees them: these rows are the verifier's own.
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
            case(
                "invalid UTF-8 in a payload member name",
                f.a.sign_raw(
                    STD_HEADER.as_bytes(),
                    &[claims_body.as_bytes(), b",\"\xfe\":1}"].concat(),
                ),
                err(ErrorKind::InvalidClaims),
            ),
            // Empty JSON texts and empty objects.
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
                "duplicate exp",
                dup(&format!(r#""exp":{}"#, NOW + 100_000)),
                err(ErrorKind::InvalidClaims),
            ),
            case(
                "duplicate exp spelled with an escape",
                dup(&format!(r#""\u0065xp":{}"#, NOW + 100_000)),
                err(ErrorKind::InvalidClaims),
            ),
            case(
                "duplicate iss",
                dup(r#""iss":"https://evil""#),
                err(ErrorKind::InvalidClaims),
            ),
            case(
                "duplicate client_id",
                dup(r#""client_id":"other""#),
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
            // Nesting and trailing whitespace that are accepted.
            case(
                "20 levels of nesting in an unknown claim (accepted)",
                f.payload(&format!(r#"{claims_body},"x":{}}}"#, deep_array(20))),
                OK,
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
        ],
    );
}

#[test]
fn algorithm_and_header() {
    let f = fx();
    // The same payload under a header naming another algorithm, re-signed (RS256) by the key.
    let alg = |alg: Value| f.hdr(json!({ "kid": KID, "alg": alg }));
    let long_kid = |n: usize| f.hdr(json!({ "kid": "k".repeat(n), "alg": "RS256" }));
    let unsupported = || err(ErrorKind::UnsupportedAlgorithm);
    let no_kid = || err(ErrorKind::MissingKeyId);
    let typ = |typ: Value| f.hdr_with(json!({ "typ": typ }));

    run(
        algorithm_rows(f),
        vec![
            // Algorithm confusion: HS256 keyed with the JWKS document text.
            case(
                "HS256 keyed by the JWKS text",
                f.hs256(KID, f.a.jwks().to_string().as_bytes()),
                unsupported(),
            ),
            case("alg HS256 (RSA-signed)", alg(json!("HS256")), unsupported()),
            case("alg PS512", alg(json!("PS512")), unsupported()),
            case(
                "alg 'RS256\\u0000'",
                alg(json!("RS256\u{0}")),
                unsupported(),
            ),
            case("alg true", alg(json!(true)), unsupported()),
            case(
                "alg checked before kid",
                f.hdr(json!({ "alg": "none" })),
                unsupported(),
            ),
            // kid.
            case(
                "kid object",
                f.hdr(json!({ "kid": {}, "alg": "RS256" })),
                no_kid(),
            ),
            case("kid of 257 bytes", long_kid(257), no_kid()),
            case(
                "kid of 256 bytes (under the cap, unknown)",
                long_kid(256),
                err(ErrorKind::UnknownKeyId),
            ),
            case(
                "kid of 10 KB, 1 MiB token cap (a header over the size cap)",
                long_kid(10 * 1024),
                err(ErrorKind::InvalidHeader),
            )
            .on(V::BigCap),
            case(
                "kid of 10 KB, default token cap",
                long_kid(10 * 1024),
                err(ErrorKind::TokenTooLarge),
            ),
            case(
                "kid with a trailing space",
                f.with_kid("local-key-1 "),
                err(ErrorKind::UnknownKeyId),
            ),
            case(
                "kid in another case",
                f.with_kid("LOCAL-KEY-1"),
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
                f.hdr_with(json!({
                    "jku": "https://evil.example/jwks.json",
                    "x5u": "https://evil.example/cert.pem",
                    "jwk": { "kty": "RSA", "kid": "evil", "n": "AQAB", "e": "AQAB" },
                    "x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"],
                    "x5t": "abc",
                })),
                OK,
            ),
            case(
                "jku, x5u, x5c and a 2048-bit jwk (a header over the size cap)",
                f.hdr_with(json!({
                    "jku": "https://evil.example/jwks.json",
                    "x5u": "https://evil.example/cert.pem",
                    "jwk": published_jwk(&f.b),
                    "x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"],
                })),
                err(ErrorKind::InvalidHeader),
            ),
            // typ.
            case("typ Jwt", typ(json!("Jwt")), OK),
            case("typ JWS", typ(json!("JWS")), err(ErrorKind::InvalidType)),
            case("typ null", typ(Value::Null), err(ErrorKind::InvalidType)),
        ],
    );
}

#[test]
fn signature() {
    let f = fx();
    let good = f.sign(&f.access());
    let sig = sig_bytes(&good);
    assert_eq!(sig.len(), 256);

    run(
        signature_rows(f),
        vec![
            case("another valid token", f.sign(&f.access()), OK),
            case(
                "signature truncated to half",
                with_sig(&good, &sig[..128]),
                err(ErrorKind::InvalidSignature),
            ),
            case(
                "signature with a zero byte prepended",
                with_sig(&good, &[&[0], sig.as_slice()].concat()),
                err(ErrorKind::InvalidSignature),
            ),
            case(
                "signature all ones",
                with_sig(&good, &[0xff; 256]),
                err(ErrorKind::InvalidSignature),
            ),
        ],
    );
}

#[test]
fn issuer() {
    let f = fx();
    let iss = f.a.issuer().to_owned();
    let updated = iss.replace("https://cognito-idp.", "https://issuer-cognito-idp.");
    let with_iss = |v: Value| f.sign(&with(f.access(), "iss", v));
    let bad = || err(ErrorKind::InvalidIssuer);

    run(
        issuer_rows(f),
        vec![
            case(
                "China partition domain",
                with_iss(json!(iss.replace("amazonaws.com", "amazonaws.com.cn"))),
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
            case("issuer null", with_iss(Value::Null), bad()),
            case("issuer array", with_iss(json!([iss])), bad()),
            case(
                "updated form of another region, enabled",
                with_iss(json!(updated.replace(".us-east-1.", ".us-west-2."))),
                bad(),
            )
            .on(V::Updated),
        ],
    );
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

    run(
        token_use_and_client_rows(f),
        vec![
            // token_use.
            case("access token, access layer", access_token.clone(), OK),
            case("access token, any layer", access_token.clone(), OK).on(V::Any),
            case("ID token, any layer", id_token, OK).on(V::Any),
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
                "client_id empty",
                access("client_id", json!("")),
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
            case("first allowed client, two allowed", access_token, OK).on(V::TwoClients),
            case(
                "third client, two allowed",
                access("client_id", json!("thirdclient")),
                bad_client(),
            )
            .on(V::TwoClients),
            // aud of ID tokens.
            case(
                "aud array with two clients",
                id("aud", json!([LOCAL_CLIENT_ID, "otherclient"])),
                bad_client(),
            )
            .on(V::Id),
            case("aud number", id("aud", json!(1)), bad_client()).on(V::Id),
            case("aud null", id("aud", Value::Null), bad_client()).on(V::Id),
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
        ],
    );
}

#[test]
fn time() {
    let f = fx();
    let at = |key: &str, v: Value| f.sign(&with(f.access(), key, v));
    let invalid = || err(ErrorKind::InvalidClaims);

    run(
        time_rows(f),
        vec![
            case(
                "expired a day ago",
                at("exp", json!(NOW - 86_400)),
                err(ErrorKind::Expired {
                    exp: NOW - 86_400,
                    now: NOW,
                }),
            ),
            // Time claims of the wrong type or out of range.
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
            case("exp true", at("exp", json!(true)), invalid()),
            case("exp array", at("exp", json!([NOW + 3600])), invalid()),
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
            case(
                "iat far in the future",
                at("iat", json!(NOW + 10 * 365 * 86_400)),
                err(ErrorKind::IssuedInFuture {
                    iat: NOW + 10 * 365 * 86_400,
                    now: NOW,
                }),
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
        ],
    );
}

#[test]
fn claim_types_and_leniency() {
    let f = fx();
    let access = |key: &str, v: Value| f.sign(&with(f.access(), key, v));
    let id = |key: &str, v: Value| f.sign(&with(f.id(), key, v));
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

    run(
        claim_type_rows(f),
        vec![
            case("unknown extra claims", f.sign(&extra), OK),
            case(
                "email_verified as \"true\"",
                id("email_verified", json!("true")),
                OK,
            )
            .on(V::Id),
            case(
                "email_verified as \"false\"",
                id("email_verified", json!("false")),
                OK,
            )
            .on(V::Id),
            case(
                "email_verified as \"yes\"",
                id("email_verified", json!("yes")),
                invalid(),
            )
            .on(V::Id),
            case(
                "phone_number_verified as 1",
                id("phone_number_verified", json!(1)),
                invalid(),
            )
            .on(V::Id),
            case(
                "empty cognito:groups",
                access("cognito:groups", json!([])),
                OK,
            ),
            case("sub number", access("sub", json!(7)), invalid()),
            case("username number", access("username", json!(7)), invalid()),
            case("jti object", access("jti", json!({})), invalid()),
            // Claims are only looked at after the signature: a bad claim under a bad signature is
            // a signature failure.
            case(
                "bad claims under a bad signature",
                with_sig(&access("exp", json!("soon")), &[0; 256]),
                err(ErrorKind::InvalidSignature),
            ),
        ],
    );
}

#[test]
fn key_sets() {
    let f = fx();
    let good = f.sign(&f.access());
    run(
        key_set_rows(f),
        vec![
            case("known kid", good.clone(), OK),
            case("empty key set", good, err(ErrorKind::KeysUnavailable)).keys(K::Empty),
            case(
                "unknown kid, empty key set",
                f.with_kid("rotated-key-9"),
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
        ],
    );
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
    let c = v
        .verify_as::<serde_json::Map<String, serde_json::Value>>(&f.sign(&claims), &f.keys_a, NOW)
        .unwrap();
    assert_eq!(
        v.verify(&f.sign(&claims), &f.keys_a, NOW).unwrap(),
        c.clone().map_extra(|_| ())
    );
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
    assert_eq!(e.kind(), ErrorKind::UnknownKeyId);
    let shown = format!("{e} {e:?} {}", e.error_description());
    assert!(!shown.contains("SECRET"), "{shown}");

    let token = f.sign(&with(
        f.access(),
        "iss",
        json!("https://SECRET-ISS.example"),
    ));
    let e = f.access.verify(&token, &f.keys_a, NOW).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidIssuer);
    let shown = format!("{e} {e:?} {}", e.error_description());
    assert!(!shown.contains("SECRET"), "{shown}");
}
