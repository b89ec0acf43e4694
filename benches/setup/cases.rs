//! Tokens built to cost the most within the verifier's caps, shared by the criterion group
//! (`benches/verify.rs`) and the instruction counts (`benches/instructions.rs`), each of which
//! includes this file with `#[path]`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tower_cognito::test_util::LocalIssuer;

/// A hostile token of `token_len` bytes whose header costs the most before the signature within
/// the header caps: 512 bytes decoded, 16 members, 32 values and escapes. Member names written
/// with `\u` escapes (they leave the fast path), each member an array of two long strings, and the
/// verdict (`typ`) only at the end, after everything was parsed. Refused as `InvalidType`.
pub(crate) fn adversarial_header(kid: &str, token_len: usize) -> String {
    let header = costly_header(kid, "JWE");
    let sig = URL_SAFE_NO_PAD.encode([7u8; 256]);
    let payload = "A".repeat(token_len - header.len() - sig.len() - 2);
    format!("{header}.{payload}.{sig}")
}

/// The encoded header of [`adversarial_header`] with `typ` `typ`: with `JWT`, a header that
/// passes every header rule, naming `kid`, at every header cap.
pub(crate) fn costly_header(kid: &str, typ: &str) -> String {
    let head = format!(r#"{{"alg":"RS256","kid":"{kid}""#);
    let tail = format!(r#","typ":"{typ}"}}"#);
    // 1 + 3 + 5 × (1 name escape + 1 member + 1 array + 2 strings) = 29 items; 3 escapes more.
    let build = |pad: usize| {
        let text = "p".repeat(pad);
        let body: String = (0..5)
            .map(|i| format!(r#","\u006d{i:02}":["{text}","{text}"]"#))
            .collect();
        format!(r#"{head}{body}{tail}"#).replacen("pp", r"\n\n\n", 1)
    };
    let pad = (0..)
        .take_while(|&n| build(n + 1).len() <= 512)
        .last()
        .unwrap();
    URL_SAFE_NO_PAD.encode(build(pad))
}

/// A key id that no pool of the benchmarks holds, 44 characters as Cognito's are (the base64 of
/// a SHA-256 digest).
pub(crate) const UNKNOWN_KID: &str = "bm8tcG9vbC1vZi10aGUtYmVuY2htYXJrcy1ob2xkcz0=";

/// The encoded JOSE header Cognito writes for the key `kid`.
pub(crate) fn cognito_header(kid: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!(r#"{{"kid":"{kid}","alg":"RS256"}}"#))
}

/// A valid access token of `issuer` with `n` extra unknown claims (parsed only after the
/// signature: duplicate detection and the claims parse must grow linearly).
pub(crate) fn many_claims(issuer: &LocalIssuer, n: usize) -> String {
    let mut claims = issuer.access_claims();
    for i in 0..n {
        claims.insert(format!("m{i}"), serde_json::json!(i));
    }
    issuer.sign(&claims)
}

/// The hostile payload shapes of [`adversarial_payload`]. With a `kid` that no pool holds, each
/// is read by a layer of several pools for its top-level `iss` (which none names within the
/// scan's bounds) and refused before the signature (`UnknownKeyId`): what the fallback costs at
/// most.
pub(crate) const PAYLOAD_SHAPES: [&str; 13] = [
    "iss_repeated",
    "iss_repeated_nested",
    "issuer_repeated_nested",
    "deep_arrays",
    "spaced_arrays",
    "deep_objects",
    "escapes",
    "empty_strings",
    "numbers",
    "whitespace",
    "long_string_then_iss",
    "members_then_iss",
    "groups_then_iss",
];

/// The shape of [`PAYLOAD_SHAPES`] that costs a layer of several pools the most instructions
/// with an unknown `kid` (`cargo xtask instructions`): the rows
/// `reject_adversarial_payload_100_pools` (and `_8x_cap`).
pub(crate) const WORST_PAYLOAD: &str = "spaced_arrays";

/// A token of `token_len` bytes (at most) with the encoded header `header`, a 256-byte signature
/// and a hostile payload of the shape `shape` (one of [`PAYLOAD_SHAPES`]) filling the rest:
/// `"iss":"",` repeated at the top level or nested, the issuer's real `iss` repeated in nested
/// objects, deep arrays (also with eight spaces after each bracket) or objects, escapes, empty
/// strings, numbers, whitespace, and the real top-level `iss` only at the end, after a long
/// string, many members or many group names.
pub(crate) fn adversarial_payload(
    issuer: &LocalIssuer,
    header: &str,
    shape: &str,
    token_len: usize,
) -> String {
    let iss = issuer.issuer();
    let real = format!(r#""iss":"{iss}""#);
    let (head, unit, tail): (&str, String, String) = match shape {
        "iss_repeated" => ("{", r#""iss":"","#.into(), r#""z":0}"#.into()),
        "iss_repeated_nested" => (r#"{"a":{"#, r#""iss":"","#.into(), r#""z":0}}"#.into()),
        "issuer_repeated_nested" => (r#"{"a":["#, format!("{{{real}}},"), format!("0],{real}}}")),
        "deep_arrays" => (r#"{"a":"#, "[".into(), "]".into()),
        "spaced_arrays" => (r#"{"a":"#, "[        ".into(), "]".into()),
        "deep_objects" => ("{", r#""a":{"#.into(), "}".into()),
        "escapes" => (r#"{"a":""#, r#"\""#.into(), format!(r#"",{real}}}"#)),
        "empty_strings" => (r#"{"a":["#, r#""","#.into(), format!(r#""""],{real}}}"#)),
        "numbers" => (r#"{"a":["#, "1,".into(), format!("1],{real}}}")),
        "whitespace" => (r#"{"a":"#, " ".into(), format!("1,{real}}}")),
        "long_string_then_iss" => (r#"{"a":""#, "x".into(), format!(r#"",{real}}}"#)),
        "members_then_iss" => ("{", r#""a":123456,"#.into(), format!("{real}}}")),
        "groups_then_iss" => (
            r#"{"sub":"x","cognito:groups":["#,
            r#""tenant-0001-readers","#.into(),
            format!(r#""x"],{real}}}"#),
        ),
        other => unreachable!("no payload shape {other}"),
    };
    let sig = URL_SAFE_NO_PAD.encode([7u8; 256]);
    let chars = token_len - header.len() - sig.len() - 2;
    let len = chars / 4 * 3;
    let mut json = head.to_owned();
    while json.len() + unit.len() + tail.len() <= len {
        json.push_str(&unit);
    }
    // Whitespace (or string content) up to the exact length.
    json.extend(std::iter::repeat_n(' ', len - json.len() - tail.len()));
    json.push_str(&tail);
    let payload = URL_SAFE_NO_PAD.encode(json);
    let token = format!("{header}.{payload}.{sig}");
    assert!(token.len() <= token_len && token.len() + 4 > token_len);
    token
}

/// `token` with a dot in the middle of its payload: four segments, refused by the split, after
/// the same scans of the whole token as [`adversarial_payload`] (the layer's bearer check and the
/// split) and before any routing. The routing's own cost is a payload row minus this one.
pub(crate) fn four_segments(token: &str) -> String {
    let first = token.find('.').unwrap();
    let last = token.rfind('.').unwrap();
    let middle = (first + last) / 2;
    format!("{}.{}", &token[..middle], &token[middle + 1..])
}

/// `token` with the last character of its payload made `+`: a `b64token` character but not a
/// base64url one, so the payload is decoded whole (the decoder checks once, at the end) and the
/// token refused as `Malformed`, after the header named a known key and before the signature.
pub(crate) fn bad_last_payload_char(token: &str) -> String {
    let last = token.rfind('.').unwrap();
    format!("{}+{}", &token[..last - 1], &token[last..])
}
