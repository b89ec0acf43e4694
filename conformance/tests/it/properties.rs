//! Property tests of hostile input: byte-level mutations of valid tokens and arbitrary strings
//! never panic the verifier and never verify unless byte-identical to a valid token; arbitrary
//! JWKS-like documents never panic the key set parser; arbitrary `Authorization` values through
//! the layer only ever give 200, 400 or 401; hostile header shapes (many members, long or escaped
//! names, deep nesting, sizes around the caps) get exactly the verdict the header caps imply.
//!
//! The case counts are modest so the suite stays fast; the fuzz targets in `fuzz/` run the same
//! properties for longer (`cargo xtask fuzz`).

use std::convert::Infallible;
use std::sync::LazyLock;

use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderValue, Request, Response, StatusCode};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Value, json};
use tower::{Layer as _, ServiceExt};
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{Claims, CognitoAuthLayer, TokenUse, Verifier, jwks::KeySet};

/// The verifier's clock and the issuer's.
const NOW: u64 = 1_700_000_000;

struct Fixture {
    keys: KeySet,
    /// Accepts access and ID tokens.
    any: Verifier,
    access: Verifier,
    id: Verifier,
    /// A valid access token and a valid ID token, at `NOW`.
    tokens: [String; 2],
    /// The issuer's single JWK.
    jwk: Map<String, Value>,
    layer: CognitoAuthLayer,
    issuer: LocalIssuer,
    /// Accepts either kind, with a 1 MiB token cap (the header caps do not move with it).
    big_cap: Verifier,
}

/// RSA key generation and signing happen once for all cases.
static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let issuer = LocalIssuer::builder()
        .clock(tower_cognito::clock::FixedClock::new(NOW))
        .build()
        .unwrap();
    let verifier = |token_use: Option<TokenUse>| {
        let builder = match token_use {
            Some(one) => issuer.config().token_use(one),
            None => issuer.config().any_token_use(),
        };
        Verifier::new(&builder.build().unwrap())
    };
    let keys = issuer.key_set();
    let any = verifier(None);
    let tokens = [issuer.access_token(), issuer.id_token()];
    for token in &tokens {
        any.verify(token, &keys, NOW).unwrap();
    }
    let layer = CognitoAuthLayer::builder(issuer.config().any_token_use().build().unwrap())
        .static_keys(issuer.key_set())
        .build()
        .unwrap();
    let jwk = issuer.jwks()["keys"][0].as_object().unwrap().clone();
    Fixture {
        keys,
        any,
        access: verifier(Some(TokenUse::Access)),
        id: verifier(Some(TokenUse::Id)),
        tokens,
        jwk,
        layer,
        big_cap: Verifier::new(
            &issuer
                .config()
                .any_token_use()
                .max_token_size(1 << 20)
                .build()
                .unwrap(),
        ),
        issuer,
    }
});

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
});

/// Verifies with the three verifiers; panics (fails the case) if any verifies a token that is not
/// byte-identical to a valid one, or rejects one that is.
fn check_verdicts(token: &str) {
    let f = &*FIXTURE;
    let valid = f.tokens.iter().position(|t| t == token);
    let any = f.any.verify(token, &f.keys, NOW);
    let access = f.access.verify(token, &f.keys, NOW);
    let id = f.id.verify(token, &f.keys, NOW);
    match valid {
        None => {
            assert!(
                any.is_err(),
                "a token that is not a valid one verified: {token:?}"
            );
            assert!(access.is_err() && id.is_err());
        }
        Some(0) => {
            assert_eq!(any.unwrap().token_use, TokenUse::Access);
            assert!(access.is_ok() && id.is_err());
        }
        Some(_) => {
            assert_eq!(any.unwrap().token_use, TokenUse::Id);
            assert!(access.is_err() && id.is_ok());
        }
    }
}

/// One byte-level edit of a token.
#[derive(Debug, Clone)]
enum Mutation {
    /// Flips one bit of one byte.
    Flip(Index, u8),
    /// Replaces one byte.
    Set(Index, u8),
    /// Inserts one byte.
    Insert(Index, u8),
    /// Deletes one byte.
    Delete(Index),
    /// Keeps only a prefix.
    Truncate(Index),
    /// Repeats one `.`-separated segment right after itself.
    Duplicate(Index),
    /// Swaps two segments.
    Swap(Index, Index),
    /// Puts the same segment of the other valid token in place of this one.
    Transplant(Index),
    /// Drops one segment (with its dot).
    Remove(Index),
}

/// Bytes that keep a token looking like a token, and a few that do not.
fn token_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        4 => prop::sample::select(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".to_vec()
        ),
        1 => prop::sample::select(b".=+/ \t,\"\x00\x7f".to_vec()),
        1 => any::<u8>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), 0u8..8).prop_map(|(i, bit)| Mutation::Flip(i, bit)),
        (any::<Index>(), token_byte()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<Index>(), token_byte()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<Index>().prop_map(Mutation::Delete),
        any::<Index>().prop_map(Mutation::Truncate),
        any::<Index>().prop_map(Mutation::Duplicate),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        any::<Index>().prop_map(Mutation::Transplant),
        any::<Index>().prop_map(Mutation::Remove),
    ]
}

fn split(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes.split(|&b| b == b'.').map(<[u8]>::to_vec).collect()
}

fn apply(token: &mut Vec<u8>, other: &[u8], m: &Mutation) {
    let len = token.len();
    match m {
        Mutation::Flip(i, bit) if len > 0 => token[i.index(len)] ^= 1 << bit,
        Mutation::Set(i, b) if len > 0 => token[i.index(len)] = *b,
        Mutation::Insert(i, b) => token.insert(i.index(len + 1), *b),
        Mutation::Delete(i) if len > 0 => {
            token.remove(i.index(len));
        }
        Mutation::Truncate(i) => token.truncate(i.index(len + 1)),
        Mutation::Duplicate(i) => {
            let mut parts = split(token);
            let at = i.index(parts.len());
            parts.insert(at, parts[at].clone());
            *token = parts.join(&b'.');
        }
        Mutation::Swap(a, b) => {
            let mut parts = split(token);
            let n = parts.len();
            parts.swap(a.index(n), b.index(n));
            *token = parts.join(&b'.');
        }
        Mutation::Transplant(i) => {
            let mut parts = split(token);
            let donor = split(other);
            let at = i.index(parts.len());
            if let Some(segment) = donor.get(at) {
                parts[at] = segment.clone();
            }
            *token = parts.join(&b'.');
        }
        Mutation::Remove(i) => {
            let mut parts = split(token);
            parts.remove(i.index(parts.len()));
            *token = parts.join(&b'.');
        }
        _ => {}
    }
}

/// A JSON value for a JWK member: the real key material, near misses, and wrong types.
fn jwk_value() -> impl Strategy<Value = Value> {
    let f = &*FIXTURE;
    let n = f.jwk["n"].as_str().unwrap().to_owned();
    let leaf = prop_oneof![
        Just(json!(n.clone())),
        Just(json!(format!("AAAA{n}"))),
        Just(json!(format!("{n}=="))),
        (0..n.len()).prop_map(move |len| json!(&n[..len])),
        Just(json!("AQAB")),
        Just(json!("Aw")),
        Just(json!("AQ")),
        Just(json!("AAEAAQ")),
        Just(json!("RSA")),
        Just(json!("EC")),
        Just(json!("oct")),
        Just(json!("RS256")),
        Just(json!("RS512")),
        Just(json!("none")),
        Just(json!("sig")),
        Just(json!("enc")),
        Just(json!("local-key-1")),
        "[A-Za-z0-9_=+/-]{0,40}".prop_map(Value::String),
        any::<String>().prop_map(Value::String),
        any::<i64>().prop_map(|v| json!(v)),
        any::<f64>().prop_map(|v| json!(v)),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-z]{1,3}", inner), 0..4)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// A JWK: the real one with members replaced, removed or added.
fn jwk() -> impl Strategy<Value = Value> {
    let names = prop::sample::select(vec![
        "kty", "n", "e", "kid", "alg", "use", "key_ops", "x5c", "crv", "x", "k", "d",
    ]);
    prop::collection::vec((names, prop::option::of(jwk_value())), 0..5).prop_map(|edits| {
        let mut key = FIXTURE.jwk.clone();
        for (name, value) in edits {
            match value {
                Some(value) => key.insert(name.to_owned(), value),
                None => key.remove(name),
            };
        }
        Value::Object(key)
    })
}

fn jwks_document() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::collection::vec(jwk(), 0..4)
            .prop_map(|keys| json!({ "keys": keys }).to_string().into_bytes()),
        1 => prop::collection::vec((jwk_value(), jwk()), 0..3).prop_map(|pairs| {
            // `keys` next to other members, and wrong-typed elements inside it.
            let keys: Vec<Value> = pairs.into_iter().flat_map(|(a, b)| [a, b]).collect();
            json!({ "keys": keys, "extra": 1 }).to_string().into_bytes()
        }),
        1 => jwk_value().prop_map(|v| json!({ "keys": v }).to_string().into_bytes()),
        1 => jwk_value().prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..256),
    ]
}

/// An `Authorization` value: a scheme, spaces, a token and a tail, each near the valid forms.
fn authorization_value() -> impl Strategy<Value = Vec<u8>> {
    let scheme = prop::sample::select(vec![
        "Bearer", "bearer", "BEARER", "BeArEr", "Basic", "Bearer\t", "Bearerx", "", "Bear",
        "Bearer,",
    ]);
    let spaces = prop::sample::select(vec!["", " ", "  ", "\t", " \t"]);
    let token = prop_oneof![
        3 => (0..2usize).prop_map(|i| FIXTURE.tokens[i].clone().into_bytes()),
        2 => (0..2usize, prop::collection::vec(mutation(), 1..3)).prop_map(|(i, muts)| {
            let mut token = FIXTURE.tokens[i].clone().into_bytes();
            for m in &muts {
                apply(&mut token, FIXTURE.tokens[1 - i].as_bytes(), m);
            }
            token
        }),
        1 => "[A-Za-z0-9._~+/=-]{0,64}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ];
    let tail = prop::sample::select(vec!["", " ", "  ", " x", ",y", "=", "\t"]);
    prop_oneof![
        4 => (scheme, spaces, token, tail).prop_map(|(scheme, spaces, token, tail)| {
            [scheme.as_bytes(), spaces.as_bytes(), &token, tail.as_bytes()].concat()
        }),
        1 => prop::collection::vec(any::<u8>(), 0..80),
    ]
}

/// One request with these `Authorization` values through `layer`, around a service that answers
/// 200 with claims and 500 without (the layer let the request through without claims).
fn through(layer: CognitoAuthLayer, values: &[Vec<u8>]) -> Response<()> {
    let mut request = Request::builder().uri("/");
    for value in values {
        request = request.header(AUTHORIZATION, HeaderValue::from_bytes(value).unwrap());
    }
    let request = request.body(()).unwrap();
    let service = layer.layer(tower::service_fn(|req: Request<()>| async move {
        let status = match req.extensions().get::<Claims>() {
            Some(_) => StatusCode::OK,
            None => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Ok::<_, Infallible>(Response::builder().status(status).body(()).unwrap())
    }));
    RUNTIME.block_on(service.oneshot(request)).unwrap()
}

/// Whether the first word of `value` (up to the first space) is `Bearer`, any case, with more
/// after it: `Bearer<token>`, `Bearer\t<token>`, `Bearerx`.
fn bearer_glued(value: &[u8]) -> bool {
    let word = value.split(|&b| b == b' ').next().unwrap_or_default();
    word.len() > 6 && word[..6].eq_ignore_ascii_case(b"bearer")
}

/// What the layer must answer 200 to: one header, a `Bearer` scheme (any case) and one or more
/// spaces (RFC 6750's `1*SP`: not tabs), then exactly a valid token, trailing spaces and tabs
/// (the field's optional whitespace) allowed.
fn should_accept(values: &[Vec<u8>]) -> bool {
    let [value] = values else {
        return false;
    };
    let Some(space) = value.iter().position(|&b| b == b' ') else {
        return false;
    };
    let (scheme, rest) = value.split_at(space);
    let token = &rest[rest.iter().take_while(|&&b| b == b' ').count()..];
    let token = match token.iter().rposition(|&b| b != b' ' && b != b'\t') {
        Some(last) => &token[..=last],
        None => token,
    };
    scheme.eq_ignore_ascii_case(b"bearer") && FIXTURE.tokens.iter().any(|t| t.as_bytes() == token)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn mutated_tokens_never_verify(
        which in 0..2usize,
        muts in prop::collection::vec(mutation(), 1..5),
    ) {
        let f = &*FIXTURE;
        let mut token = f.tokens[which].clone().into_bytes();
        for m in &muts {
            apply(&mut token, f.tokens[1 - which].as_bytes(), m);
        }
        // Mutations may leave invalid UTF-8; the verifier only ever sees `&str`.
        check_verdicts(&String::from_utf8_lossy(&token));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_strings_never_verify(
        token in prop_oneof![
            any::<String>(),
            "[A-Za-z0-9._=+/-]{0,600}",
            "[A-Za-z0-9_-]{1,60}\\.[A-Za-z0-9_-]{1,400}\\.[A-Za-z0-9_-]{1,400}",
        ],
    ) {
        check_verdicts(&token);
    }

    #[test]
    fn valid_header_with_arbitrary_payload_and_signature_never_verifies(
        payload in "[A-Za-z0-9_-]{0,600}",
        signature in prop_oneof!["[A-Za-z0-9_-]{0,400}", "[A-Za-z0-9_-]{342}"],
        keep_payload in any::<bool>(),
    ) {
        // Reaches the key lookup and the RSA check, which random strings almost never do.
        let f = &*FIXTURE;
        let mut parts = f.tokens[0].split('.');
        let header = parts.next().unwrap();
        let real_payload = parts.next().unwrap();
        let payload = if keep_payload { real_payload } else { payload.as_str() };
        check_verdicts(&format!("{header}.{payload}.{signature}"));
    }

    #[test]
    fn jwks_like_json_never_panics(doc in jwks_document()) {
        let f = &*FIXTURE;
        if let Ok(set) = KeySet::from_jwks(&doc) {
            prop_assert!(!set.is_empty());
            prop_assert_eq!(set.kids().count(), set.len());
            for kid in set.kids() {
                prop_assert!(!kid.is_empty() && kid.len() <= 256);
            }
            // Whatever loaded, only the real key under the real `kid` verifies a real token.
            if f.any.verify(&f.tokens[0], &set, NOW).is_ok() {
                prop_assert!(set.contains("local-key-1"));
            }
        }
    }

    #[test]
    fn arbitrary_authorization_values_give_200_400_or_401(
        values in prop_oneof![
            3 => authorization_value().prop_map(|value| vec![value]),
            1 => prop::collection::vec(authorization_value(), 0..4),
        ],
    ) {
        // Values `http` refuses never reach a service.
        let values: Vec<Vec<u8>> = values
            .into_iter()
            .filter(|v| HeaderValue::from_bytes(v).is_ok())
            .collect();
        let response = through(FIXTURE.layer.clone(), &values);
        let status = response.status();
        prop_assert!(
            matches!(status.as_u16(), 200 | 400 | 401),
            "status {} for {:?}", status, values
        );
        prop_assert_eq!(status == StatusCode::OK, should_accept(&values), "{:?}", values);
        if status != StatusCode::OK {
            let challenge = response.headers().get(WWW_AUTHENTICATE);
            prop_assert!(challenge.is_some_and(|c| c.as_bytes().starts_with(b"Bearer realm=\"")));
        }
        // A first word that starts with `Bearer` and goes on is a malformed bearer credential,
        // never another scheme.
        if let [value] = &values[..] && bearer_glued(value) {
            prop_assert_eq!(status, StatusCode::BAD_REQUEST, "{:?}", values);
        }
        // An optional layer answers the same, except that what has no credentials at all (401
        // without an `error`) passes without claims: the grammar is one for both modes.
        let missing = response
            .extensions()
            .get::<tower_cognito::Error>()
            .is_some_and(|e| e.kind() == tower_cognito::ErrorKind::MissingCredentials);
        let optional = through(FIXTURE.layer.clone().optional(), &values).status();
        if missing {
            prop_assert_eq!(optional, StatusCode::INTERNAL_SERVER_ERROR, "{:?}", values);
        } else {
            prop_assert_eq!(optional, status, "{:?}", values);
        }
    }
}

/// The verifier's header caps (`MAX_HEADER_LEN`, `MAX_HEADER_MEMBERS`, `MAX_HEADER_ITEMS`).
const MAX_HEADER_LEN: usize = 512;
const MAX_HEADER_MEMBERS: usize = 16;
const MAX_HEADER_ITEMS: usize = 32;

/// A header naming the issuer's key with `members` more members: names of `name_len` characters
/// (written with `\u` escapes when `escaped`, which leaves the fast path), each holding `nesting`
/// levels of arrays around a number, then `pad` bytes of string in a last member.
fn hostile_header(
    members: usize,
    name_len: usize,
    escaped: bool,
    nesting: usize,
    pad: usize,
) -> String {
    let kid = FIXTURE.issuer.kid();
    let mut header = format!(r#"{{"alg":"RS256","kid":"{kid}""#);
    for i in 0..members {
        let name: String = format!("{i:0>name_len$}")
            .chars()
            .map(|c| {
                if escaped {
                    format!("\\u00{:02x}", c as u32)
                } else {
                    c.to_string()
                }
            })
            .collect();
        header.push_str(&format!(
            r#","{name}":{}0{}"#,
            "[".repeat(nesting),
            "]".repeat(nesting)
        ));
    }
    if pad > 0 {
        header.push_str(&format!(r#","pad":"{}""#, "p".repeat(pad)));
    }
    header.push('}');
    header
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The caps decide, under a 1 MiB token cap: over 1 KiB decoded, over 16 members or over 64
    /// values at any depth plus escapes is `InvalidHeader`; any other such header is valid, and the
    /// token verifies.
    #[test]
    fn hostile_headers_get_the_verdict_of_the_caps(
        members in 0..40usize,
        name_len in 1..40usize,
        escaped in any::<bool>(),
        nesting in prop_oneof![0..8usize, 0..400usize],
        pad in prop_oneof![Just(0usize), 0..1200usize],
    ) {
        let f = &*FIXTURE;
        let header = hostile_header(members, name_len, escaped, nesting, pad);
        let mut claims = f.issuer.access_claims();
        claims.insert("exp".into(), json!(NOW + 600));
        let token = f.issuer.sign_raw(header.as_bytes(), Value::Object(claims).to_string().as_bytes());
        // The object, `alg` and `kid`, each member with its arrays, and the pad; and the escapes.
        let values = 3 + members * (1 + nesting) + usize::from(pad > 0);
        let escapes = if escaped { members * name_len } else { 0 };
        let over_cap = header.len() > MAX_HEADER_LEN
            || 2 + members + usize::from(pad > 0) > MAX_HEADER_MEMBERS
            || values + escapes > MAX_HEADER_ITEMS;
        let got = f.big_cap.verify(&token, &f.keys, NOW).map(|_| ()).map_err(|e| e.kind());
        if over_cap {
            prop_assert_eq!(got, Err(tower_cognito::ErrorKind::InvalidHeader), "{}", header.len());
        } else {
            prop_assert_eq!(got, Ok(()), "{}", header);
        }
    }
}
