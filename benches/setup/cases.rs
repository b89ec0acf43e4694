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
    let head = format!(r#"{{"alg":"RS256","kid":"{kid}""#);
    let tail = r#","typ":"JWE"}"#;
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
    let header = URL_SAFE_NO_PAD.encode(build(pad));
    let sig = URL_SAFE_NO_PAD.encode([7u8; 256]);
    let payload = "A".repeat(token_len - header.len() - sig.len() - 2);
    format!("{header}.{payload}.{sig}")
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
