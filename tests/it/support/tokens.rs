//! What the two bad-input tables share: `bad_inputs.rs` (through the layer) and `verifier.rs`
//! (the bare verifier). Their fixture constants, the token builders, and the rows both tables run
//! (`*_rows`), each built once here. Hostile tokens are built byte by byte where no JWT library
//! would produce them; every token is pool A's unless a signer is passed.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use tower_cognito::ErrorKind;
use tower_cognito::test_util::{LOCAL_CLIENT_ID, LOCAL_POOL_ID, LocalIssuer};

/// The clock of every issuer, layer and verifier of both tables.
pub(crate) const NOW: u64 = 1_700_000_000;
/// The default leeway (`DEFAULT_LEEWAY`), in seconds.
pub(crate) const LEEWAY: u64 = 60;
/// 9999-12-31T23:59:59Z, the latest time claim accepted.
pub(crate) const MAX_NUMERIC_DATE: u64 = 253_402_300_799;
/// Pool B, a second user pool, whose key has pool A's `kid` (`KID`) on purpose.
pub(crate) const POOL_B: &str = "us-east-1_PoolB2";

/// The `kid` of pool A's key (the `LocalIssuer` default); both tables give pool B's key the same
/// `kid`, on purpose.
pub(crate) const KID: &str = "local-key-1";
/// The header of tokens signed by pool A's key, as raw text.
pub(crate) const STD_HEADER: &str = r#"{"kid":"local-key-1","alg":"RS256"}"#;
/// A header whose base64url encoding contains `-` (from `~~~~`), to swap in the standard
/// alphabet's `+`.
pub(crate) const DASH_HEADER: &str = r#"{"kid":"local-key-1","alg":"RS256","x":"~~~~"}"#;
/// A header whose base64url encoding contains `_` (from `????`), to swap in the standard
/// alphabet's `/`.
pub(crate) const UNDERSCORE_HEADER: &str = r#"{"kid":"local-key-1","alg":"RS256","x":"????"}"#;

/// Base64url without padding: one JWS segment.
pub(crate) fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The JSON text of `claims`.
pub(crate) fn claims_text(claims: Map<String, Value>) -> String {
    Value::Object(claims).to_string()
}

/// `claims` with `key` set to `value`.
pub(crate) fn with(mut claims: Map<String, Value>, key: &str, value: Value) -> Map<String, Value> {
    claims.insert(key.to_owned(), value);
    claims
}

/// `claims` without `key`, which must be there.
pub(crate) fn without(mut claims: Map<String, Value>, key: &str) -> Map<String, Value> {
    assert!(claims.remove(key).is_some(), "{key} was not there");
    claims
}

/// The JSON text of `claims` without `key`, with `member` (raw JSON text, e.g. `"exp":1e300`)
/// first: for what `serde_json` would never write (duplicates, huge numbers, escapes).
pub(crate) fn raw_member(mut claims: Map<String, Value>, key: &str, member: &str) -> String {
    claims.remove(key);
    let text = claims_text(claims);
    format!("{{{member},{}", text.strip_prefix('{').unwrap())
}

/// The three segments of a compact token.
pub(crate) fn parts(token: &str) -> (String, String, String) {
    let v: Vec<&str> = token.split('.').collect();
    assert_eq!(v.len(), 3, "{token}");
    (v[0].to_owned(), v[1].to_owned(), v[2].to_owned())
}

/// The decoded signature bytes of `token`.
pub(crate) fn sig_bytes(token: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(parts(token).2).unwrap()
}

/// `token` with its signature segment replaced by these bytes.
pub(crate) fn with_sig(token: &str, sig: &[u8]) -> String {
    let (h, p, _) = parts(token);
    format!("{h}.{p}.{}", b64(sig))
}

/// `token` with bit `bit` of signature byte `byte` flipped.
pub(crate) fn flip_bit(token: &str, byte: usize, bit: u8) -> String {
    let mut sig = sig_bytes(token);
    sig[byte] ^= 1 << bit;
    with_sig(token, &sig)
}

/// The segment with its last character swapped for one that differs only in padding bits (a
/// non-canonical encoding of the same bytes): the lowest bit of the last sextet is always a
/// padding bit when the length is not a multiple of 4.
pub(crate) fn non_canonical_last(segment: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    assert!(
        !segment.len().is_multiple_of(4),
        "no padding bits in {segment}"
    );
    let (head, last) = segment.split_at(segment.len() - 1);
    let i = ALPHABET
        .iter()
        .position(|&c| c == last.as_bytes()[0])
        .unwrap();
    format!("{head}{}", ALPHABET[i ^ 1] as char)
}

/// JSON text whose length is not a multiple of 3 (JSON whitespace appended), so that its
/// base64 has padding bits and, padded, a `=`.
pub(crate) fn unaligned(mut text: String) -> String {
    while text.len().is_multiple_of(3) {
        text.push(' ');
    }
    text
}

/// `n` nested JSON arrays.
pub(crate) fn deep_array(n: usize) -> String {
    format!("{}{}", "[".repeat(n), "]".repeat(n))
}

/// `n` nested JSON objects around a `1`.
pub(crate) fn deep_object(n: usize) -> String {
    format!("{}1{}", r#"{"a":"#.repeat(n), "}".repeat(n))
}

/// The header segment of an `alg: none`-style token (`alg` spelled `name`) naming `KID`, as an
/// attacker sends it.
pub(crate) fn none_header(name: &str) -> String {
    b64(json!({ "kid": KID, "alg": name, "typ": "JWT" }).to_string())
}

/// The first (only) JWK `issuer` publishes.
pub(crate) fn published_jwk(issuer: &LocalIssuer) -> Value {
    issuer.jwks()["keys"][0].clone()
}

/// `claims` signed by `signer`, whose own key the header embeds (`jwk`) and points at (`jku`),
/// under pool A's `kid`: the key must never be trusted.
pub(crate) fn signed_by_embedded_key(signer: &LocalIssuer, claims: Map<String, Value>) -> String {
    signer.sign_json(
        &json!({
            "kid": KID,
            "alg": "RS256",
            "jwk": published_jwk(signer),
            "jku": "https://evil.example/jwks.json",
        }),
        &Value::Object(claims),
    )
}

/// Tokens of pool A (and B), for a test fixture that holds both pools' issuers.
pub(crate) trait Pools {
    /// Pool A's issuer.
    fn pool_a(&self) -> &LocalIssuer;

    /// Pool B's issuer (`POOL_B`, key `KID`).
    fn pool_b(&self) -> &LocalIssuer;

    /// Access-token claims of pool A.
    fn access(&self) -> Map<String, Value> {
        self.pool_a().access_claims()
    }

    /// ID-token claims of pool A.
    fn id(&self) -> Map<String, Value> {
        self.pool_a().id_claims()
    }

    /// Access claims of a machine-to-machine token: no user, no groups, the app client as `sub`.
    fn m2m(&self) -> Map<String, Value> {
        let mut claims = self.access();
        for key in [
            "username",
            "cognito:groups",
            "auth_time",
            "origin_jti",
            "event_id",
        ] {
            claims.remove(key);
        }
        claims.insert("sub".into(), json!(LOCAL_CLIENT_ID));
        claims.insert("scope".into(), json!("orders/read orders/write"));
        claims
    }

    /// `claims` signed by pool A's key, standard header.
    fn sign(&self, claims: &Map<String, Value>) -> String {
        self.pool_a().sign(claims)
    }

    /// Raw header and payload bytes, signed by pool A's key.
    fn raw(&self, header: impl AsRef<[u8]>, payload: impl AsRef<[u8]>) -> String {
        self.pool_a().sign_raw(header.as_ref(), payload.as_ref())
    }

    /// A raw header over valid access claims, signed by pool A's key.
    fn header(&self, header: &str) -> String {
        self.raw(header, claims_text(self.access()))
    }

    /// A header given as JSON over valid access claims, signed by pool A's key.
    fn hdr(&self, header: Value) -> String {
        self.header(&header.to_string())
    }

    /// The standard header over a raw payload, signed by pool A's key.
    fn payload(&self, payload: &str) -> String {
        self.raw(STD_HEADER, payload)
    }

    /// The standard header plus the members of `extra` (an object) over valid access claims,
    /// signed by pool A's key.
    fn hdr_with(&self, extra: Value) -> String {
        let mut header = json!({ "kid": KID, "alg": "RS256" });
        header
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        self.hdr(header)
    }

    /// Valid access claims signed by pool A's key under a header naming `kid`.
    fn with_kid(&self, kid: &str) -> String {
        self.hdr(json!({ "kid": kid, "alg": "RS256" }))
    }

    /// Access claims whose member `key` is the raw JSON text `text` (first, under the standard
    /// header): time claims as strings, floats, `1e300`, numbers beyond `u64`...
    fn raw_claim(&self, key: &str, text: &str) -> String {
        self.payload(&raw_member(
            self.access(),
            key,
            &format!(r#""{key}":{text}"#),
        ))
    }

    /// HS256 over valid access claims, keyed with `secret`, header naming `kid`: with the RSA
    /// public key as `secret`, the algorithm-confusion attack.
    fn hs256(&self, kid: &str, secret: &[u8]) -> String {
        let input = format!(
            "{}.{}",
            b64(json!({ "kid": kid, "alg": "HS256" }).to_string()),
            b64(claims_text(self.access()))
        );
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), input.as_bytes());
        format!("{input}.{}", b64(tag.as_ref()))
    }
}

// ---------------------------------------------------------------------------------------------
// The rows both tables run.
// ---------------------------------------------------------------------------------------------

/// Where a shared row runs: a configuration both tables build the same way. Pool A, access tokens
/// only, pool A's keys, the default leeway and size cap, unless named otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum On {
    /// The default configuration.
    Access,
    /// ID tokens only.
    Id,
    /// The updated issuer form accepted too.
    Updated,
    /// A 1 MiB token cap, to reach the checks behind the default cap.
    BigCap,
    /// Pool B's configuration over pool B's keys.
    PoolB,
    /// Pool A's configuration over pool B's keys (same `kid`).
    AWithBKeys,
}

/// One row both tables run: a token, where it runs, and the outcome: accepted, or rejected with
/// this kind. `verifier.rs` checks the kind; `bad_inputs.rs` checks the whole answer the outcome
/// implies (200 with the claims, or 401 `invalid_token` with the kind's description).
pub(crate) struct Row {
    pub(crate) name: &'static str,
    pub(crate) token: String,
    pub(crate) on: On,
    pub(crate) expect: Result<(), ErrorKind>,
}

/// The outcome of a token that must be accepted.
pub(crate) const ACCEPTED: Result<(), ErrorKind> = Ok(());

/// A row on the default configuration (`On::Access`).
fn row(name: &'static str, token: impl Into<String>, expect: Result<(), ErrorKind>) -> Row {
    Row {
        name,
        token: token.into(),
        on: On::Access,
        expect,
    }
}

impl Row {
    fn on(mut self, on: On) -> Self {
        self.on = on;
        self
    }
}

/// Segment count, empty segments, alphabet and canonical base64, invalid UTF-8, non-object JSON,
/// duplicate members, deep nesting, trailing bytes.
pub(crate) fn structure_rows(f: &impl Pools) -> Vec<Row> {
    let good = f.sign(&f.access());
    let (h, p, s) = parts(&good);
    let malformed = || Err(ErrorKind::Malformed);
    let bad_header = || Err(ErrorKind::InvalidHeader);
    let bad_claims = || Err(ErrorKind::InvalidClaims);
    let text = claims_text(f.access());
    let body = text.strip_suffix('}').unwrap();
    let dash = f.header(DASH_HEADER);
    let under = f.header(UNDERSCORE_HEADER);
    let (dh, dp, ds) = parts(&dash);
    let (uh, up, us) = parts(&under);
    assert!(dh.contains('-') && uh.contains('_'));
    let jwe_header = b64(r#"{"alg":"RSA-OAEP","enc":"A256GCM","kid":"local-key-1"}"#);
    let dup = |member: &str| f.payload(&raw_member(f.access(), "", member));
    // Valid claims with an unknown claim `x` of this JSON text.
    let x_claim = |x: String| f.payload(&format!(r#"{body},"x":{x}}}"#));

    vec![
        row("valid token (control)", &good, ACCEPTED),
        row("one part", &h, malformed()),
        row("two parts", format!("{h}.{p}"), malformed()),
        row("four parts", format!("{h}.{p}.{s}.{s}"), malformed()),
        row(
            "five parts (JWE shape)",
            format!("{h}.{p}.{s}.{s}.{s}"),
            malformed(),
        ),
        row(
            "real JWE header, five parts",
            format!("{jwe_header}.{p}.{s}.{s}.{s}"),
            malformed(),
        ),
        row("only dots", "..", malformed()),
        row("empty header segment", format!(".{p}.{s}"), malformed()),
        row("empty payload segment", format!("{h}..{s}"), malformed()),
        row("empty signature segment", format!("{h}.{p}."), malformed()),
        row("leading dot", format!(".{good}"), malformed()),
        row("trailing dot", format!("{good}."), malformed()),
        // `=` at the very end is valid b64token syntax (it reaches the verifier through the layer):
        // the JWS rules refuse it.
        row(
            "'=' padding at the end (signature)",
            format!("{good}=="),
            malformed(),
        ),
        row(
            "'+' instead of '-' in the header",
            format!("{}.{dp}.{ds}", dh.replace('-', "+")),
            malformed(),
        ),
        row(
            "'/' instead of '_' in the header",
            format!("{}.{up}.{us}", uh.replace('_', "/")),
            malformed(),
        ),
        row(
            "non-canonical last character of the header",
            format!("{}.{p}.{s}", non_canonical_last(&h)),
            malformed(),
        ),
        row(
            "non-canonical last character of the signature",
            format!("{h}.{p}.{}", non_canonical_last(&s)),
            malformed(),
        ),
        row(
            "impossible segment length (4n+1)",
            format!("{h}.{p}.{s}AAA"),
            malformed(),
        ),
        row(
            "invalid UTF-8 in the header",
            f.raw(
                b"{\"kid\":\"local-key-1\",\"alg\":\"RS256\",\"x\":\"\xff\"}",
                text.as_bytes(),
            ),
            bad_header(),
        ),
        row(
            "invalid UTF-8 in the payload",
            f.raw(
                STD_HEADER.as_bytes(),
                [body.as_bytes(), b",\"x\":\"\xc3\x28\"}"].concat(),
            ),
            bad_claims(),
        ),
        row("header []", f.header("[]"), bad_header()),
        row(r#"header "x""#, f.header(r#""x""#), bad_header()),
        row("header null", f.header("null"), bad_header()),
        row("header 1", f.header("1"), bad_header()),
        row("payload []", f.payload("[]"), bad_claims()),
        row(r#"payload "x""#, f.payload(r#""x""#), bad_claims()),
        row("payload null", f.payload("null"), bad_claims()),
        row(
            "duplicate alg",
            f.header(r#"{"kid":"local-key-1","alg":"RS256","alg":"RS256"}"#),
            bad_header(),
        ),
        row(
            "duplicate alg, second none",
            f.header(r#"{"kid":"local-key-1","alg":"RS256","alg":"none"}"#),
            bad_header(),
        ),
        row(
            "duplicate alg spelled with an escape",
            f.header(r#"{"kid":"local-key-1","alg":"RS256","\u0061lg":"none"}"#),
            bad_header(),
        ),
        row(
            "duplicate token_use (id, then access)",
            dup(r#""token_use":"id""#),
            bad_claims(),
        ),
        row(
            "duplicate token_use, same value",
            dup(r#""token_use":"access""#),
            bad_claims(),
        ),
        row(
            "duplicate cognito:groups (admin first)",
            dup(r#""cognito:groups":["admin"]"#),
            bad_claims(),
        ),
        row(
            "duplicate member nested in an unknown claim",
            x_claim(r#"{"a":1,"a":2}"#.to_owned()),
            bad_claims(),
        ),
        row(
            "10 000 levels of array nesting in the payload",
            x_claim(deep_array(10_000)),
            bad_claims(),
        )
        .on(On::BigCap),
        row(
            "10 000 levels of object nesting in the payload",
            x_claim(deep_object(10_000)),
            bad_claims(),
        )
        .on(On::BigCap),
        row(
            "10 000 levels of nesting in the header",
            f.header(&format!(
                r#"{{"kid":"local-key-1","alg":"RS256","x":{}}}"#,
                deep_array(10_000)
            )),
            bad_header(),
        )
        .on(On::BigCap),
        row(
            "10 000 levels of nesting, default cap",
            x_claim(deep_array(10_000)),
            Err(ErrorKind::TokenTooLarge),
        ),
        row(
            "trailing byte after the header JSON",
            f.header(&format!("{STD_HEADER}x")),
            bad_header(),
        ),
        row(
            "second object after the header JSON",
            f.header(&format!("{STD_HEADER}{{}}")),
            bad_header(),
        ),
        row(
            "trailing byte after the payload JSON",
            f.payload(&format!("{text}x")),
            bad_claims(),
        ),
        row(
            "trailing NUL after the payload JSON",
            f.payload(&format!("{text}\0")),
            bad_claims(),
        ),
        row(
            "second object after the payload JSON",
            f.payload(&format!("{text}{{}}")),
            bad_claims(),
        ),
    ]
}

/// `alg: none` and its spellings, HS256 keyed with the RSA public key, other and malformed
/// algorithms, bad `kid`s, a key embedded in the header, `crit`, `typ`.
pub(crate) fn algorithm_rows(f: &impl Pools) -> Vec<Row> {
    let unsupported = || Err(ErrorKind::UnsupportedAlgorithm);
    let no_kid = || Err(ErrorKind::MissingKeyId);
    let unknown = || Err(ErrorKind::UnknownKeyId);
    let critical = || Err(ErrorKind::CriticalHeader);
    let bad_typ = || Err(ErrorKind::InvalidType);
    let alg = |alg: Value| f.hdr(json!({ "kid": KID, "alg": alg }));
    let kid = |kid: Value| f.hdr(json!({ "kid": kid, "alg": "RS256" }));
    let good = f.sign(&f.access());
    let (_, p, s) = parts(&good);
    let jwk = published_jwk(f.pool_a());
    let modulus = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();

    vec![
        row("RS256 (control)", &good, ACCEPTED),
        row(
            "alg none, empty signature",
            format!("{}.{p}.", none_header("none")),
            Err(ErrorKind::Malformed),
        ),
        row(
            "alg none, RSA signature kept",
            format!("{}.{p}.{s}", none_header("none")),
            unsupported(),
        ),
        row(
            "alg none, signed by the key",
            alg(json!("none")),
            unsupported(),
        ),
        row("alg None", alg(json!("None")), unsupported()),
        row("alg NONE", alg(json!("NONE")), unsupported()),
        row("alg nOnE", alg(json!("nOnE")), unsupported()),
        row(
            "HS256 keyed with the RSA modulus bytes",
            f.hs256(KID, &modulus),
            unsupported(),
        ),
        row(
            "HS256 keyed with the JWK text",
            f.hs256(KID, jwk.to_string().as_bytes()),
            unsupported(),
        ),
        row("alg HS512", alg(json!("HS512")), unsupported()),
        row("alg RS384", alg(json!("RS384")), unsupported()),
        row("alg RS512", alg(json!("RS512")), unsupported()),
        row("alg PS256", alg(json!("PS256")), unsupported()),
        row("alg ES256", alg(json!("ES256")), unsupported()),
        row("alg EdDSA", alg(json!("EdDSA")), unsupported()),
        row("alg rs256 (lower case)", alg(json!("rs256")), unsupported()),
        row(
            "alg 'RS256 ' (trailing space)",
            alg(json!("RS256 ")),
            unsupported(),
        ),
        row("alg empty string", alg(json!("")), unsupported()),
        row("alg missing", f.hdr(json!({ "kid": KID })), unsupported()),
        row("alg null", alg(Value::Null), unsupported()),
        row("alg number", alg(json!(256)), unsupported()),
        row("alg array", alg(json!(["RS256"])), unsupported()),
        row("alg object", alg(json!({ "name": "RS256" })), unsupported()),
        row("kid missing", f.hdr(json!({ "alg": "RS256" })), no_kid()),
        row("kid number", kid(json!(1)), no_kid()),
        row("kid null", kid(Value::Null), no_kid()),
        row("kid array", kid(json!([KID])), no_kid()),
        row("kid empty", kid(json!("")), no_kid()),
        row(
            "kid with path characters",
            f.with_kid("../../../etc/passwd"),
            unknown(),
        ),
        row(
            "kid as a URL",
            f.with_kid("https://evil.example/key"),
            unknown(),
        ),
        row(
            "kid with a NUL suffix",
            f.with_kid("local-key-1\u{0}"),
            unknown(),
        ),
        row(
            "signed by the key embedded in jwk (never trusted)",
            signed_by_embedded_key(f.pool_b(), f.access()),
            Err(ErrorKind::InvalidSignature),
        ),
        row(
            "crit [exp]",
            f.hdr_with(json!({ "crit": ["exp"] })),
            critical(),
        ),
        row(
            "crit [b64] with b64 false",
            f.hdr_with(json!({ "crit": ["b64"], "b64": false })),
            critical(),
        ),
        row(
            "crit as a string",
            f.hdr_with(json!({ "crit": "exp" })),
            critical(),
        ),
        row("crit null", f.hdr_with(json!({ "crit": null })), critical()),
        row(
            "crit [] (accepted)",
            f.hdr_with(json!({ "crit": [] })),
            ACCEPTED,
        ),
        row("typ JWT", f.hdr_with(json!({ "typ": "JWT" })), ACCEPTED),
        row(
            "typ jwt (case-insensitive)",
            f.hdr_with(json!({ "typ": "jwt" })),
            ACCEPTED,
        ),
        row(
            "typ at+jwt",
            f.hdr_with(json!({ "typ": "at+jwt" })),
            bad_typ(),
        ),
        row("typ JWE", f.hdr_with(json!({ "typ": "JWE" })), bad_typ()),
        row("typ empty", f.hdr_with(json!({ "typ": "" })), bad_typ()),
        row("typ number", f.hdr_with(json!({ "typ": 1 })), bad_typ()),
    ]
    .into_iter()
    .chain(hostile_header_rows(f))
    .collect()
}

/// The decoded-header size cap of the verifier (`MAX_HEADER_LEN`).
pub(crate) const MAX_HEADER_LEN: usize = 512;
/// The header member-count cap of the verifier (`MAX_HEADER_MEMBERS`).
pub(crate) const MAX_HEADER_MEMBERS: usize = 16;
/// The cap on JSON values at any depth plus string escapes in a header (`MAX_HEADER_ITEMS`).
pub(crate) const MAX_HEADER_ITEMS: usize = 32;

/// A header naming pool A's key with `extra` more members `"<name><i>":0`, as raw text.
pub(crate) fn header_with_members(extra: usize, name: &str) -> String {
    let members: String = (0..extra).map(|i| format!(r#","{name}{i}":0"#)).collect();
    format!(r#"{{"kid":"{KID}","alg":"RS256"{members}}}"#)
}

/// A header naming pool A's key of exactly `len` bytes (an `x` member padded), as raw text.
pub(crate) fn header_of_len(len: usize) -> String {
    let base = format!(r#"{{"kid":"{KID}","alg":"RS256","x":""}}"#);
    let pad = "p".repeat(len - base.len());
    let header = format!(r#"{{"kid":"{KID}","alg":"RS256","x":"{pad}"}}"#);
    assert_eq!(header.len(), len);
    header
}

/// Headers built to cost the most before the signature: many distinct members, long names,
/// escapes that leave the fast path, deep nesting, sizes around the caps, also under a raised
/// token cap. Each is refused with `InvalidHeader` (or accepted at the caps), at a bounded cost.
pub(crate) fn hostile_header_rows(f: &impl Pools) -> Vec<Row> {
    let bad_header = || Err(ErrorKind::InvalidHeader);
    let extra = MAX_HEADER_MEMBERS - 2;
    let long = "n".repeat(40);
    vec![
        row(
            "header with as many members as the cap",
            f.header(&header_with_members(extra, "m")),
            ACCEPTED,
        ),
        row(
            "header with one member over the cap",
            f.header(&header_with_members(extra + 1, "m")),
            bad_header(),
        ),
        row(
            "header with members over the cap written with escapes",
            f.header(&header_with_members(extra + 1, r"\u006d")),
            bad_header(),
        ),
        row(
            "header with escaped member names under the cap",
            f.header(&header_with_members(3, r"\u006d\n")),
            ACCEPTED,
        ),
        row(
            "header with long member names over the cap",
            f.header(&header_with_members(extra + 1, &long)),
            bad_header(),
        ),
        row(
            "header of exactly the size cap",
            f.header(&header_of_len(MAX_HEADER_LEN)),
            ACCEPTED,
        ),
        row(
            "header one byte over the size cap",
            f.header(&header_of_len(MAX_HEADER_LEN + 1)),
            bad_header(),
        ),
        row(
            "header of 200 nested arrays under the size cap",
            f.header(&format!(
                r#"{{"kid":"{KID}","alg":"RS256","x":{}}}"#,
                deep_array(200)
            )),
            bad_header(),
        ),
        row(
            "header with as many values at any depth as the cap",
            f.header(&format!(
                r#"{{"kid":"{KID}","alg":"RS256","x":[{}]}}"#,
                vec!["0"; MAX_HEADER_ITEMS - 4].join(",")
            )),
            ACCEPTED,
        ),
        row(
            "header with one value at any depth over the cap",
            f.header(&format!(
                r#"{{"kid":"{KID}","alg":"RS256","x":[{}]}}"#,
                vec!["0"; MAX_HEADER_ITEMS - 3].join(",")
            )),
            bad_header(),
        ),
        row(
            "header with string escapes over the item cap",
            f.header(&format!(
                r#"{{"kid":"{KID}","alg":"RS256","x":"{}"}}"#,
                r"\n".repeat(MAX_HEADER_ITEMS)
            )),
            bad_header(),
        ),
        row(
            "header whose alg is an array of 300 strings",
            f.header(&format!(
                r#"{{"kid":"{KID}","alg":[{}]}}"#,
                vec![r#""RS256""#; 300].join(",")
            )),
            bad_header(),
        ),
        row(
            "header whose crit is an array of 300 names",
            f.header(&format!(
                r#"{{"kid":"{KID}","alg":"RS256","crit":[{}]}}"#,
                vec![r#""exp""#; 300].join(",")
            )),
            bad_header(),
        ),
        row(
            "header with a string holding commas and brackets (not values)",
            f.hdr_with(json!({ "x": ",".repeat(100) + &"[{".repeat(100) })),
            ACCEPTED,
        ),
        row(
            "header with 600 distinct members under the default token cap",
            f.header(&header_with_members(600, "m")),
            bad_header(),
        ),
        row(
            "header with 6 000 distinct members, 1 MiB cap",
            f.header(&header_with_members(6_000, "m")),
            bad_header(),
        )
        .on(On::BigCap),
        row(
            "header with 2 000 escaped member names, 1 MiB cap",
            f.header(&header_with_members(2_000, r"\u006d")),
            bad_header(),
        )
        .on(On::BigCap),
        row(
            "header of 100 KB, 1 MiB cap",
            f.header(&header_of_len(100_000)),
            bad_header(),
        )
        .on(On::BigCap),
        row(
            "kid one character over its cap, header under the size cap",
            f.with_kid(&"k".repeat(257)),
            Err(ErrorKind::MissingKeyId),
        ),
    ]
}

/// Flipped bits, a payload or header changed under the old signature, truncated, extended and
/// empty signatures, pool B's key with pool A's `kid`.
pub(crate) fn signature_rows(f: &impl Pools) -> Vec<Row> {
    let bad_sig = || Err(ErrorKind::InvalidSignature);
    let good = f.sign(&f.access());
    let (h, p, s) = parts(&good);
    let sig = sig_bytes(&good);
    assert_eq!(sig.len(), 256);
    let escalated = b64(claims_text(with(
        f.access(),
        "cognito:groups",
        json!(["users", "admin"]),
    )));
    let extended = b64(claims_text(with(
        f.access(),
        "exp",
        json!(NOW + 365 * 86_400),
    )));
    let typ_header = b64(r#"{"kid":"local-key-1","alg":"RS256","typ":"JWT"}"#);
    let (_, _, other_sig) = parts(&f.sign(&f.access()));
    let b = f.pool_b();
    let b_claims_a = b.sign(&f.access());

    vec![
        row("valid signature (control)", &good, ACCEPTED),
        row("first bit flipped", flip_bit(&good, 0, 7), bad_sig()),
        row("middle bit flipped", flip_bit(&good, 128, 3), bad_sig()),
        row("last bit flipped", flip_bit(&good, 255, 0), bad_sig()),
        row(
            "payload changed under the old signature (groups += admin)",
            format!("{h}.{escalated}.{s}"),
            bad_sig(),
        ),
        row(
            "payload changed under the old signature (exp + 1 year)",
            format!("{h}.{extended}.{s}"),
            bad_sig(),
        ),
        row(
            "header changed under the old signature",
            format!("{typ_header}.{p}.{s}"),
            bad_sig(),
        ),
        row(
            "signature of another token",
            format!("{h}.{p}.{other_sig}"),
            bad_sig(),
        ),
        row(
            "signature truncated by one byte",
            with_sig(&good, &sig[..255]),
            bad_sig(),
        ),
        row(
            "signature truncated to one byte",
            with_sig(&good, &sig[..1]),
            bad_sig(),
        ),
        row(
            "signature extended by a zero byte",
            with_sig(&good, &[sig.as_slice(), &[0]].concat()),
            bad_sig(),
        ),
        row(
            "signature doubled",
            with_sig(&good, &[sig.as_slice(), sig.as_slice()].concat()),
            bad_sig(),
        ),
        row(
            "signature of 2000 bytes",
            with_sig(&good, &[0x5a; 2000]),
            Err(ErrorKind::Malformed),
        ),
        row("signature all zeros", with_sig(&good, &[0; 256]), bad_sig()),
        row(
            "signature empty",
            format!("{h}.{p}."),
            Err(ErrorKind::Malformed),
        ),
        row(
            "claims of pool A signed by pool B's key with a colliding kid",
            &b_claims_a,
            bad_sig(),
        ),
        row(
            "pool B's own token at pool A (colliding kid)",
            b.access_token(),
            bad_sig(),
        ),
        row(
            "claims of pool A signed by configured pool B, at pool B",
            &b_claims_a,
            Err(ErrorKind::InvalidIssuer),
        )
        .on(On::PoolB),
        row(
            "pool B's own token at pool B (control)",
            b.access_token(),
            ACCEPTED,
        )
        .on(On::PoolB),
    ]
}

/// `exp`, `nbf` and `iat` on both sides of the leeway, at the latest date and past it, missing,
/// and `exp` out of range or of the wrong type.
pub(crate) fn time_rows(f: &impl Pools) -> Vec<Row> {
    let at = |key: &str, v: Value| f.sign(&with(f.access(), key, v));
    let invalid = || Err(ErrorKind::InvalidClaims);
    vec![
        row(
            "minted at NOW, expires in an hour (control)",
            f.sign(&f.access()),
            ACCEPTED,
        ),
        row("exp == now", at("exp", json!(NOW)), ACCEPTED),
        row(
            "exp just inside the leeway (exp + leeway == now)",
            at("exp", json!(NOW - LEEWAY)),
            ACCEPTED,
        ),
        row(
            "exp just past the leeway (exp + leeway == now - 1)",
            at("exp", json!(NOW - LEEWAY - 1)),
            Err(ErrorKind::Expired {
                exp: NOW - LEEWAY - 1,
                now: NOW,
            }),
        ),
        row(
            "exp 0",
            at("exp", json!(0)),
            Err(ErrorKind::Expired { exp: 0, now: NOW }),
        ),
        row(
            "exp missing",
            f.sign(&without(f.access(), "exp")),
            Err(ErrorKind::MissingExpiry),
        ),
        row(
            "exp at the latest date (9999-12-31)",
            at("exp", json!(MAX_NUMERIC_DATE)),
            ACCEPTED,
        ),
        row(
            "exp one past the latest date",
            at("exp", json!(MAX_NUMERIC_DATE + 1)),
            invalid(),
        ),
        row(
            "exp u64::MAX",
            f.raw_claim("exp", &u64::MAX.to_string()),
            invalid(),
        ),
        row(
            "exp beyond u64",
            f.raw_claim("exp", "18446744073709551616"),
            invalid(),
        ),
        row(
            "exp with 400 digits",
            f.raw_claim("exp", &"9".repeat(400)),
            invalid(),
        ),
        row(
            "exp in exponent notation (an integer value)",
            f.raw_claim("exp", "1.7000036e9"),
            invalid(),
        ),
        row("exp null", at("exp", Value::Null), invalid()),
        row("nbf in the past", at("nbf", json!(NOW - 10)), ACCEPTED),
        row(
            "nbf just inside the leeway (now + leeway)",
            at("nbf", json!(NOW + LEEWAY)),
            ACCEPTED,
        ),
        row(
            "nbf just past the leeway (now + leeway + 1)",
            at("nbf", json!(NOW + LEEWAY + 1)),
            Err(ErrorKind::NotYetValid {
                nbf: NOW + LEEWAY + 1,
                now: NOW,
            }),
        ),
        row(
            "nbf a day in the future",
            at("nbf", json!(NOW + 86_400)),
            Err(ErrorKind::NotYetValid {
                nbf: NOW + 86_400,
                now: NOW,
            }),
        ),
        row(
            "iat just inside the leeway (now + leeway)",
            at("iat", json!(NOW + LEEWAY)),
            ACCEPTED,
        ),
        row(
            "iat just past the leeway (now + leeway + 1)",
            at("iat", json!(NOW + LEEWAY + 1)),
            Err(ErrorKind::IssuedInFuture {
                iat: NOW + LEEWAY + 1,
                now: NOW,
            }),
        ),
        row(
            "iat missing (optional)",
            f.sign(&without(f.access(), "iat")),
            ACCEPTED,
        ),
    ]
}

/// `iss` variants, and the updated issuer form with and without `accept_updated_issuer`.
pub(crate) fn issuer_rows(f: &impl Pools) -> Vec<Row> {
    let iss = f.pool_a().issuer().to_owned();
    assert_eq!(
        iss,
        format!("https://cognito-idp.us-east-1.amazonaws.com/{LOCAL_POOL_ID}")
    );
    let updated = iss.replace("https://cognito-idp.", "https://issuer-cognito-idp.");
    let with_iss = |v: Value| f.sign(&with(f.access(), "iss", v));
    let bad_iss = || Err(ErrorKind::InvalidIssuer);
    vec![
        row("exact issuer (control)", with_iss(json!(iss)), ACCEPTED),
        row(
            "another pool's iss",
            with_iss(json!(
                "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other1"
            )),
            bad_iss(),
        ),
        row(
            "pool B's iss",
            with_iss(json!(f.pool_b().issuer())),
            bad_iss(),
        ),
        row(
            "iss with a trailing slash",
            with_iss(json!(format!("{iss}/"))),
            bad_iss(),
        ),
        row(
            "iss over http://",
            with_iss(json!(iss.replace("https://", "http://"))),
            bad_iss(),
        ),
        row(
            "iss of another region",
            with_iss(json!(iss.replace(".us-east-1.", ".eu-west-1."))),
            bad_iss(),
        ),
        row(
            "iss with an upper-case host",
            with_iss(json!(iss.replace("cognito-idp", "COGNITO-IDP"))),
            bad_iss(),
        ),
        row(
            "iss missing",
            f.sign(&without(f.access(), "iss")),
            bad_iss(),
        ),
        row("iss as a number", with_iss(json!(5)), bad_iss()),
        row(
            "updated-form iss, not enabled",
            with_iss(json!(updated)),
            bad_iss(),
        ),
        row(
            "updated-form iss, enabled",
            with_iss(json!(updated)),
            ACCEPTED,
        )
        .on(On::Updated),
        row(
            "original-form iss, updated form enabled",
            with_iss(json!(iss)),
            ACCEPTED,
        )
        .on(On::Updated),
        row(
            "updated-form iss with a trailing slash, enabled",
            with_iss(json!(format!("{updated}/"))),
            bad_iss(),
        )
        .on(On::Updated),
    ]
}

/// Access and ID tokens at access-only and ID-only configurations, bad `token_use`, `client_id`
/// of access tokens, `aud` of ID tokens.
pub(crate) fn token_use_and_client_rows(f: &impl Pools) -> Vec<Row> {
    let access = |key: &str, v: Value| f.sign(&with(f.access(), key, v));
    let id = |key: &str, v: Value| f.sign(&with(f.id(), key, v));
    let bad_use = || Err(ErrorKind::InvalidTokenUse);
    let bad_client = || Err(ErrorKind::InvalidClient);
    vec![
        row(
            "ID token on an access-only layer",
            f.sign(&f.id()),
            Err(ErrorKind::TokenUseNotAccepted),
        ),
        row(
            "access token on an ID-only layer",
            f.sign(&f.access()),
            Err(ErrorKind::TokenUseNotAccepted),
        )
        .on(On::Id),
        row(
            "ID token on an ID-only layer (control)",
            f.sign(&f.id()),
            ACCEPTED,
        )
        .on(On::Id),
        row(
            "token_use missing",
            f.sign(&without(f.access(), "token_use")),
            bad_use(),
        ),
        row(
            "token_use refresh",
            access("token_use", json!("refresh")),
            bad_use(),
        ),
        row(
            "token_use Access",
            access("token_use", json!("Access")),
            bad_use(),
        ),
        row(
            "token_use an array",
            access("token_use", json!(["access"])),
            bad_use(),
        ),
        row(
            "token_use null",
            access("token_use", Value::Null),
            bad_use(),
        ),
        row(
            "client_id of another app client",
            access("client_id", json!("otherclient")),
            bad_client(),
        ),
        row(
            "client_id in another case",
            access("client_id", json!(LOCAL_CLIENT_ID.to_uppercase())),
            bad_client(),
        ),
        row(
            "access token with the right aud but no client_id",
            f.sign(&with(
                without(f.access(), "client_id"),
                "aud",
                json!(LOCAL_CLIENT_ID),
            )),
            bad_client(),
        ),
        row(
            "client_id as a number",
            access("client_id", json!(12345)),
            bad_client(),
        ),
        row(
            "ID token aud as an array",
            id("aud", json!([LOCAL_CLIENT_ID])),
            bad_client(),
        )
        .on(On::Id),
        row(
            "ID token aud of another app client",
            id("aud", json!("otherclient")),
            bad_client(),
        )
        .on(On::Id),
        row(
            "ID token without aud",
            f.sign(&without(f.id(), "aud")),
            bad_client(),
        )
        .on(On::Id),
    ]
}

/// Claims of the wrong type or missing, and an M2M token (accepted).
pub(crate) fn claim_type_rows(f: &impl Pools) -> Vec<Row> {
    let access = |key: &str, v: Value| f.sign(&with(f.access(), key, v));
    let invalid = || Err(ErrorKind::InvalidClaims);
    vec![
        row(
            "scope as an array",
            access("scope", json!(["openid"])),
            invalid(),
        ),
        row(
            "cognito:groups as a string",
            access("cognito:groups", json!("admin")),
            invalid(),
        ),
        row(
            "cognito:groups with a number",
            access("cognito:groups", json!(["users", 1])),
            invalid(),
        ),
        row(
            "sub missing",
            f.sign(&without(f.access(), "sub")),
            invalid(),
        ),
        row(
            "M2M token without username (accepted)",
            f.sign(&f.m2m()),
            ACCEPTED,
        ),
    ]
}

/// An unknown `kid`, and pool A's token against pool B's keys (same `kid`).
pub(crate) fn key_set_rows(f: &impl Pools) -> Vec<Row> {
    vec![
        row(
            "unknown kid",
            f.with_kid("rotated-key-9"),
            Err(ErrorKind::UnknownKeyId),
        ),
        row(
            "JWKS of another pool with a colliding kid",
            f.sign(&f.access()),
            Err(ErrorKind::InvalidSignature),
        )
        .on(On::AWithBKeys),
    ]
}
