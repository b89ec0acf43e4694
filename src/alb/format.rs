//! The format of `x-amzn-oidc-data`: a compact JWS whose base64url segments the ALB pads with
//! `=`, its JOSE header and its payload, read into JSON objects under strict rules (no duplicate
//! member at any depth, caps on sizes). No rule about what the members mean: that is the
//! verifier's (`alb/verifier.rs`).
//!
//! The padding quirk, as AWS's own verifier reads it (awslabs/aws-jwt-verify, `src/jwt.ts`,
//! `JWT_REGEX = /^[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]+={0,2}$/`, and
//! `src/jwt-verifier.ts`, which verifies the signature over `` `${headerB64}.${payloadB64}` ``,
//! the received segments padding included): each segment is base64url, optionally followed by one
//! or two `=`. Here the padding, when present, must also be exactly what the segment's length
//! calls for (`xx==`, `xxx=`), the alphabet is base64url only and trailing bits are canonical,
//! as the ALB's standard encoder writes them; unpadded segments are accepted too.

use serde::de::DeserializeSeed;
use serde_json::{Map, Value};

use crate::error::ErrorKind;
use crate::json::StrictValue;
use crate::jws;

/// Largest decoded JOSE header accepted, checked on the encoded length before anything is
/// decoded. The ALB's header (`typ`, `kid`, `alg`, `iss`, `client`, `signer`, `exp`) is about
/// 300 bytes.
pub(crate) const MAX_HEADER_LEN: usize = 2048;
/// Most members the JOSE header may have (the ALB writes 7).
pub(crate) const MAX_HEADER_MEMBERS: usize = 16;

/// The segment without its `=` padding: none, or exactly the one or two `=` its length calls for
/// (`===`, a wrong count, or `=` anywhere else is [`ErrorKind::Malformed`]: a `=` left inside
/// fails the base64url alphabet when decoded).
pub(crate) fn unpadded(segment: &[u8]) -> Result<&[u8], ErrorKind> {
    let pad = segment.iter().rev().take_while(|&&b| b == b'=').count();
    let body = segment
        .get(..segment.len() - pad)
        .ok_or(ErrorKind::Malformed)?;
    match pad {
        0 => Ok(body),
        1 | 2 if (body.len() + pad) % 4 == 0 => Ok(body),
        _ => Err(ErrorKind::Malformed),
    }
}

/// A segment decoded: [`unpadded`], then canonical base64url.
pub(crate) fn decode(segment: &[u8]) -> Result<Vec<u8>, ErrorKind> {
    jws::decode(unpadded(segment)?)
}

/// The JOSE header segment as a JSON object: at most [`MAX_HEADER_LEN`] bytes decoded (checked
/// before decoding), at most [`MAX_HEADER_MEMBERS`] members, no duplicate member at any depth.
pub(crate) fn header(segment: &[u8]) -> Result<Map<String, Value>, ErrorKind> {
    let body = unpadded(segment)?;
    if jws::b64::decoded_len(body.len()).ok_or(ErrorKind::Malformed)? > MAX_HEADER_LEN {
        return Err(ErrorKind::InvalidHeader);
    }
    let json = jws::decode(body)?;
    let object = object(&json).ok_or(ErrorKind::InvalidHeader)?;
    if object.len() > MAX_HEADER_MEMBERS {
        return Err(ErrorKind::InvalidHeader);
    }
    Ok(object)
}

/// The payload segment as a JSON object (read only after the signature verified).
pub(crate) fn payload(segment: &[u8]) -> Result<Map<String, Value>, ErrorKind> {
    let json = decode(segment)?;
    object(&json).ok_or(ErrorKind::InvalidClaims)
}

/// `json` as one object, with no duplicate member at any depth and nothing after it.
fn object(json: &[u8]) -> Option<Map<String, Value>> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let value = StrictValue.deserialize(&mut de).ok()?;
    de.end().ok()?;
    match value {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};

    use super::*;

    #[test]
    fn padding_as_the_alb_writes_it_or_none() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let padded = URL_SAFE.encode(&bytes);
            let bare = URL_SAFE_NO_PAD.encode(&bytes);
            if bytes.is_empty() {
                continue;
            }
            assert_eq!(decode(padded.as_bytes()).unwrap(), bytes, "{padded}");
            assert_eq!(decode(bare.as_bytes()).unwrap(), bytes, "{bare}");
            // One `=` too many or too few, where padding is due.
            if padded != bare {
                let more = format!("{padded}=");
                assert_eq!(decode(more.as_bytes()), Err(ErrorKind::Malformed), "{more}");
                if padded.ends_with("==") {
                    let less = &padded[..padded.len() - 1];
                    assert_eq!(decode(less.as_bytes()), Err(ErrorKind::Malformed), "{less}");
                }
            } else {
                // No padding due: any `=` is refused.
                let extra = format!("{bare}=");
                assert_eq!(
                    decode(extra.as_bytes()),
                    Err(ErrorKind::Malformed),
                    "{extra}"
                );
            }
        }
    }

    #[test]
    fn refused_segments() {
        for bad in [
            &b"QQ==="[..],
            b"QQ=A",
            b"Q=Q=",
            b"=QQ=",
            b"QR==",
            b"QQ+/",
            b"QQ ==",
            b"====",
            b"=",
        ] {
            assert_eq!(decode(bad), Err(ErrorKind::Malformed), "{bad:?}");
        }
        assert_eq!(decode(b"QQ==").unwrap(), b"A");
    }

    #[test]
    fn header_objects() {
        let enc = |json: &str| URL_SAFE.encode(json);
        assert_eq!(header(enc(r#"{"a":1}"#).as_bytes()).unwrap().len(), 1);
        for bad in [
            r#"{"a":1,"a":2}"#,
            r#"{"a":{"b":1,"b":1}}"#,
            "[1]",
            "{} {}",
            "nul",
        ] {
            assert_eq!(
                header(enc(bad).as_bytes()),
                Err(ErrorKind::InvalidHeader),
                "{bad}"
            );
        }
        let members: Vec<String> = (0..=MAX_HEADER_MEMBERS)
            .map(|i| format!("\"m{i}\":0"))
            .collect();
        let many = format!("{{{}}}", members.join(","));
        assert_eq!(header(enc(&many).as_bytes()), Err(ErrorKind::InvalidHeader));
        let big = format!(r#"{{"x":"{}"}}"#, "a".repeat(MAX_HEADER_LEN));
        assert_eq!(header(enc(&big).as_bytes()), Err(ErrorKind::InvalidHeader));
        assert_eq!(
            payload(enc(r#"{"s":1,"s":1}"#).as_bytes()),
            Err(ErrorKind::InvalidClaims)
        );
    }
}
