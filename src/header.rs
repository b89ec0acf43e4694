//! The JOSE header (RFC 7515 §4): the members the verifier looks at, under caps that bound the
//! cost of reading any header before a signature is checked.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::error::ErrorKind;
use crate::json::{BorrowedStr, StrictIgnore, Typed, TypedSeed, set_once};
use crate::jws;

/// Longest `kid` accepted, in a token header and in a JWKS.
pub(crate) const MAX_KID_LEN: usize = 256;
/// Largest decoded JOSE header accepted, checked on the encoded length before anything is
/// decoded. Cognito's header is about 50 bytes; this leaves room for a `kid` of the maximum
/// length and a few more members. With it, and the member cap, the header step costs the same
/// bounded amount whatever `max_token_size` is.
pub(crate) const MAX_HEADER_LEN: usize = 512;
/// Most members a JOSE header may have (Cognito sends 2). Members past it are not read.
pub(crate) const MAX_HEADER_MEMBERS: usize = 16;
/// Most JSON values (members, array elements, nested values, at any depth) plus string escape
/// sequences a JOSE header may hold, counted by one cheap pass before it is parsed. This is what
/// bounds the parse's cost, which is per value and per escape far more than per byte: a 1 KiB
/// header of `[0,0,0,...]` is 500 values, one of `"\n\n\n..."` 500 escapes, and each costs the
/// JSON parser some 50 to 300 instructions. Cognito's header has 3 values and no escape.
pub(crate) const MAX_HEADER_ITEMS: usize = 32;

/// The `kid` named by an encoded header segment, through every header rule: the size cap on
/// the encoded length (an oversized header is not decoded at all), base64url, the item cap, the
/// parse and the member rules.
pub(crate) fn segment_kid(segment: &[u8]) -> Result<String, ErrorKind> {
    read_kid(segment).map(|header| header.kid)
}

/// What a header segment names, through every header rule.
pub(crate) struct HeaderKid {
    pub(crate) kid: String,
    /// The header is in the form issuers write (Cognito's, `{"kid":K,"alg":"RS256"}`, or its
    /// members sorted), with a `kid` that needs no escape: read without the JSON parser.
    pub(crate) usual: bool,
}

/// [`segment_kid`], and whether the header is in the usual form.
pub(crate) fn read_kid(segment: &[u8]) -> Result<HeaderKid, ErrorKind> {
    if jws::b64::decoded_len(segment.len()).ok_or(ErrorKind::Malformed)? > MAX_HEADER_LEN {
        return Err(ErrorKind::InvalidHeader);
    }
    // Within the cap: always on the stack.
    let mut buf = [0u8; MAX_HEADER_LEN];
    let len = jws::b64::decode(segment, &mut buf).ok_or(ErrorKind::Malformed)?;
    let header = buf.get(..len).ok_or(ErrorKind::Malformed)?;
    if let Some(kid) = usual_kid(header) {
        return Ok(HeaderKid {
            kid: kid.to_owned(),
            usual: true,
        });
    }
    Header::parse(header).map(|h| HeaderKid {
        kid: h.kid.into_owned(),
        usual: false,
    })
}

/// [`segment_kid`] through the JSON parser alone (no usual-form shortcut): the reference of the
/// fuzz targets.
#[cfg(fuzzing)]
pub(crate) fn parsed_segment_kid(segment: &[u8]) -> Result<String, ErrorKind> {
    if jws::b64::decoded_len(segment.len()).ok_or(ErrorKind::Malformed)? > MAX_HEADER_LEN {
        return Err(ErrorKind::InvalidHeader);
    }
    let header = jws::decode(segment)?;
    Header::parse(&header).map(|h| h.kid.into_owned())
}

/// The `kid` of a decoded header that is exactly `{"kid":"K","alg":"RS256"}` or
/// `{"alg":"RS256","kid":"K"}`, with `K` UTF-8, 1 to [`MAX_KID_LEN`] bytes, and free of what JSON
/// escapes (`"`, `\`, control characters): the header every issuer writes, which the full path
/// accepts with that very `kid` (one object, `alg` `RS256`, no other member, three values, no
/// escape). Anything else, `None`: the full path decides.
fn usual_kid(json: &[u8]) -> Option<&str> {
    const FORMS: [(&[u8], &[u8]); 2] = [
        (br#"{"kid":""#, br#"","alg":"RS256"}"#),
        (br#"{"alg":"RS256","kid":""#, br#""}"#),
    ];
    let kid = FORMS.iter().find_map(|(head, tail)| {
        json.strip_prefix(*head)
            .and_then(|rest| rest.strip_suffix(*tail))
    })?;
    let plain = kid.iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\');
    if kid.is_empty() || kid.len() > MAX_KID_LEN || !plain {
        return None;
    }
    std::str::from_utf8(kid).ok()
}

/// The JOSE header members the verifier looks at.
struct Header<'a> {
    kid: Cow<'a, str>,
}

#[derive(Default)]
struct RawHeader<'a> {
    alg: Option<Typed<'a>>,
    kid: Option<Typed<'a>>,
    typ: Option<Typed<'a>>,
    /// Whether `crit` was an empty array.
    crit: Option<bool>,
}

impl<'a> Header<'a> {
    fn parse(json: &'a [u8]) -> Result<Self, ErrorKind> {
        if !within_item_cap(json) {
            return Err(ErrorKind::InvalidHeader);
        }
        // One UTF-8 check (invalid UTF-8 anywhere is invalid JSON), then the `str` reader.
        let json = std::str::from_utf8(json).map_err(|_| ErrorKind::InvalidHeader)?;
        Self::parse_str(json)
    }

    /// serde_json with the strict visitor: the only header parser. The headers an issuer writes
    /// for its keys never get here: they match a key's precomputed header byte for byte
    /// (`KeySet::by_header`).
    fn parse_str(json: &'a str) -> Result<Self, ErrorKind> {
        let mut de = serde_json::Deserializer::from_str(json);
        let raw = de
            .deserialize_map(HeaderVisitor)
            .map_err(|_| ErrorKind::InvalidHeader)?;
        de.end().map_err(|_| ErrorKind::InvalidHeader)?;

        match raw.alg {
            Some(Typed::Str(alg)) if alg == "RS256" => {}
            _ => return Err(ErrorKind::UnsupportedAlgorithm),
        }
        match raw.crit {
            None | Some(true) => {}
            Some(false) => return Err(ErrorKind::CriticalHeader),
        }
        match raw.typ {
            None => {}
            Some(Typed::Str(typ)) if typ.eq_ignore_ascii_case("JWT") => {}
            Some(_) => return Err(ErrorKind::InvalidType),
        }
        match raw.kid {
            Some(Typed::Str(kid)) if !kid.is_empty() && kid.len() <= MAX_KID_LEN => {
                Ok(Header { kid })
            }
            _ => Err(ErrorKind::MissingKeyId),
        }
    }
}

/// Whether `json` holds at most [`MAX_HEADER_ITEMS`] values and escapes, by one pass over the
/// bytes: every value but the first of a container follows a `,`, and every container opens with
/// `[` or `{`, so commas and openers outside strings bound the values (for valid JSON; the parser
/// refuses anything else), and every escape starts with a `\` inside a string. Bytes of multi-byte
/// UTF-8 characters are never ASCII, so invalid UTF-8 cannot hide a quote.
fn within_item_cap(json: &[u8]) -> bool {
    // Usually decided by a branch-free count (vectorized): if even counting these bytes inside
    // strings stays under the cap, the exact count does.
    let upper = json.iter().fold(1usize, |n, &b| {
        n + usize::from((b == b',') | (b == b'[') | (b == b'{') | (b == b'\\'))
    });
    if upper <= MAX_HEADER_ITEMS {
        return true;
    }
    let (mut items, mut in_string, mut escaped) = (1usize, false, false);
    for &b in json {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => {
                    escaped = true;
                    items += 1;
                }
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b',' | b'[' | b'{' => items += 1,
                _ => {}
            }
        }
    }
    items <= MAX_HEADER_ITEMS
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = RawHeader<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JOSE header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut h = RawHeader::default();
        // Other members (`jku`, `x5u`, `jwk`, `x5c`, ...) are ignored, but still checked for
        // duplicates: at most `MAX_HEADER_MEMBERS`, so a linear scan of a list on the stack is the
        // cheapest set and the whole check is bounded (without the cap it would grow with the
        // square of the members).
        let mut others: [Cow<'de, str>; MAX_HEADER_MEMBERS] = Default::default();
        let (mut members, mut seen) = (0, 0);
        while let Some(BorrowedStr(key)) = map.next_key::<BorrowedStr<'de>>()? {
            members += 1;
            if members > MAX_HEADER_MEMBERS {
                return Err(de::Error::custom("too many members"));
            }
            match &*key {
                "alg" => set_once(&mut h.alg, map.next_value_seed(TypedSeed)?)?,
                "kid" => set_once(&mut h.kid, map.next_value_seed(TypedSeed)?)?,
                "typ" => set_once(&mut h.typ, map.next_value_seed(TypedSeed)?)?,
                "crit" => set_once(&mut h.crit, map.next_value_seed(StrictIgnore)?)?,
                _ => {
                    if others.get(..seen).unwrap_or_default().contains(&key) {
                        return Err(de::Error::custom("duplicate member"));
                    }
                    map.next_value_seed(StrictIgnore)?;
                    // Fewer other members than members: there is a free slot.
                    if let Some(slot) = others.get_mut(seen) {
                        *slot = key;
                        seen += 1;
                    }
                }
            }
        }
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jws::decode;

    fn header(json: &str) -> Result<String, ErrorKind> {
        Header::parse(json.as_bytes()).map(|h| h.kid.into_owned())
    }

    /// A header matched byte for byte is one the parser accepts, with the same `kid`.
    #[test]
    fn usual_headers_pass_the_header_rules() {
        for kid in [
            "k1",
            "abc/DEF+ghi=",
            "a\"b\\c",
            "é\u{1F600}",
            "x\n\u{7f}",
            &"k".repeat(MAX_KID_LEN),
        ] {
            for encoded in crate::keys::usual_headers(kid) {
                let json = decode(&encoded).unwrap();
                assert_eq!(header(std::str::from_utf8(&json).unwrap()).unwrap(), kid);
            }
        }
    }

    #[test]
    fn item_cap_counts_values_and_escapes_outside_and_inside_strings() {
        let with = |extra: &str| format!(r#"{{"alg":"RS256","kid":"k"{extra}}}"#);
        // 3 items: the object and its two members.
        let zeros = |n: usize| with(&format!(r#","x":[{}]"#, vec!["0"; n].join(",")));
        // + the member, its array and the elements: 3 + 1 + n (the first element has no comma).
        assert!(within_item_cap(zeros(MAX_HEADER_ITEMS - 4).as_bytes()));
        assert!(!within_item_cap(zeros(MAX_HEADER_ITEMS - 3).as_bytes()));
        // Commas and brackets in strings are not values; escaped quotes do not end a string.
        let text = with(&format!(
            r#","x":"{}\"{}""#,
            ",[{".repeat(200),
            ",".repeat(200)
        ));
        assert!(within_item_cap(text.as_bytes()));
        assert_eq!(header(&text).unwrap(), "k");
        let escapes = |n: usize| with(&format!(r#","x":"{}""#, r"\n".repeat(n)));
        assert!(within_item_cap(escapes(MAX_HEADER_ITEMS - 4).as_bytes()));
        assert!(!within_item_cap(escapes(MAX_HEADER_ITEMS - 3).as_bytes()));
        assert_eq!(
            header(&escapes(MAX_HEADER_ITEMS)).unwrap_err(),
            ErrorKind::InvalidHeader
        );
    }

    /// The usual form, read without the parser, names the `kid` the full path reads, or leaves
    /// the header to it.
    #[test]
    fn the_usual_form_is_what_the_full_path_reads() {
        let agree = |json: &str| {
            if let Some(kid) = usual_kid(json.as_bytes()) {
                assert_eq!(header(json).as_deref(), Ok(kid), "{json}");
            }
        };
        for kid in [
            "k1",
            "é\u{1F600}",
            "a,b[c{d",
            "x\u{7f}",
            &"k".repeat(MAX_KID_LEN),
        ] {
            for json in [
                format!(r#"{{"kid":"{kid}","alg":"RS256"}}"#),
                format!(r#"{{"alg":"RS256","kid":"{kid}"}}"#),
            ] {
                assert_eq!(usual_kid(json.as_bytes()), Some(kid), "{json}");
                agree(&json);
            }
        }
        // Anything else goes to the full path, which may accept it (with the same `kid`) or not.
        for json in [
            r#"{"kid":"","alg":"RS256"}"#,
            r#"{"kid":"a\"b","alg":"RS256"}"#,
            r#"{"kid":"a\\b","alg":"RS256"}"#,
            r#"{"kid":"a\u0062","alg":"RS256"}"#,
            "{\"kid\":\"a\nb\",\"alg\":\"RS256\"}",
            r#"{"kid":"k","alg":"RS256","typ":"JWT"}"#,
            r#"{"kid":"k", "alg":"RS256"}"#,
            r#"{"kid":"k","alg":"RS256"} "#,
            r#"{"kid":"k","alg":"HS256"}"#,
            r#"{"kid":"k","kid":"k","alg":"RS256"}"#,
            r#"{"kid":"k","alg":"RS256","kid":"k"}"#,
        ] {
            assert_eq!(usual_kid(json.as_bytes()), None, "{json}");
            agree(json);
        }
        let long = format!(
            r#"{{"kid":"{}","alg":"RS256"}}"#,
            "k".repeat(MAX_KID_LEN + 1)
        );
        assert_eq!(usual_kid(long.as_bytes()), None);
        assert!(usual_kid(b"{\"kid\":\"\xff\",\"alg\":\"RS256\"}").is_none());
    }

    /// Whatever sits between the quotes, in either order: the usual form never names a `kid` the
    /// full path would not. Every string of up to three bytes from an alphabet of the bytes that
    /// matter, then 4 096 longer ones (4 to 7 bytes) from a fixed-seed generator.
    #[test]
    fn the_usual_form_agrees_with_the_full_path() {
        const ALPHABET: [u8; 12] = [
            b'k', b'"', b'\\', b',', b'{', b'}', b'\n', 0x7f, 0xc3, 0xa9, 0xff, b' ',
        ];
        let check = |kid: &[u8]| {
            for sorted in [false, true] {
                let mut json = match sorted {
                    false => br#"{"kid":""#.to_vec(),
                    true => br#"{"alg":"RS256","kid":""#.to_vec(),
                };
                json.extend_from_slice(kid);
                json.extend_from_slice(match sorted {
                    false => br#"","alg":"RS256"}"#,
                    true => br#""}"#,
                });
                if let Some(fast) = usual_kid(&json) {
                    assert_eq!(
                        Header::parse(&json).map(|h| h.kid.into_owned()),
                        Ok(fast.to_owned()),
                        "{json:?}"
                    );
                }
            }
        };
        let mut kid = Vec::new();
        check(&kid);
        for a in ALPHABET {
            kid.clear();
            kid.push(a);
            check(&kid);
            for b in ALPHABET {
                kid.truncate(1);
                kid.push(b);
                check(&kid);
                for c in ALPHABET {
                    kid.truncate(2);
                    kid.push(c);
                    check(&kid);
                }
            }
        }
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..4096 {
            let len = 4 + (next() % 4) as usize;
            let kid: Vec<u8> = (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect();
            check(&kid);
        }
    }

    #[test]
    fn header_rules() {
        assert_eq!(header(r#"{"alg":"RS256","kid":"k1"}"#).unwrap(), "k1");
        assert_eq!(
            header(r#"{"kid":"k1","alg":"RS256","typ":"jwt","crit":[]}"#).unwrap(),
            "k1"
        );
        assert_eq!(header(r#"{"alg":"RS256","kid":"k\u0031","jku":"https://evil","x5u":"x","jwk":{},"x5c":["a"]}"#).unwrap(), "k1");
        let cases = [
            (
                r#"{"alg":"none","kid":"k"}"#,
                ErrorKind::UnsupportedAlgorithm,
            ),
            (
                r#"{"alg":"None","kid":"k"}"#,
                ErrorKind::UnsupportedAlgorithm,
            ),
            (
                r#"{"alg":"HS256","kid":"k"}"#,
                ErrorKind::UnsupportedAlgorithm,
            ),
            (
                r#"{"alg":"rs256","kid":"k"}"#,
                ErrorKind::UnsupportedAlgorithm,
            ),
            (
                r#"{"alg":["RS256"],"kid":"k"}"#,
                ErrorKind::UnsupportedAlgorithm,
            ),
            (r#"{"kid":"k"}"#, ErrorKind::UnsupportedAlgorithm),
            (r#"{"alg":"RS256"}"#, ErrorKind::MissingKeyId),
            (r#"{"alg":"RS256","kid":7}"#, ErrorKind::MissingKeyId),
            (r#"{"alg":"RS256","kid":""}"#, ErrorKind::MissingKeyId),
            (
                r#"{"alg":"RS256","kid":"k","crit":["exp"]}"#,
                ErrorKind::CriticalHeader,
            ),
            (
                r#"{"alg":"RS256","kid":"k","typ":"at+jwt"}"#,
                ErrorKind::InvalidType,
            ),
            (
                r#"{"alg":"RS256","kid":"k","typ":1}"#,
                ErrorKind::InvalidType,
            ),
            (
                r#"{"alg":"RS256","alg":"RS256","kid":"k"}"#,
                ErrorKind::InvalidHeader,
            ),
            (
                r#"{"alg":"RS256","kid":"k","x":1,"x":1}"#,
                ErrorKind::InvalidHeader,
            ),
            (
                r#"{"alg":"RS256","kid":"k"} "#,
                ErrorKind::UnsupportedAlgorithm,
            ),
            (r#"{"alg":"RS256","kid":"k"}x"#, ErrorKind::InvalidHeader),
            ("[]", ErrorKind::InvalidHeader),
            ("null", ErrorKind::InvalidHeader),
            (r#""x""#, ErrorKind::InvalidHeader),
        ];
        for (json, kind) in cases {
            let got = header(json);
            if json.ends_with(' ') {
                // Trailing whitespace is valid JSON; it is the header that is fine here.
                assert!(got.is_ok(), "{json}");
                continue;
            }
            assert_eq!(got.unwrap_err(), kind, "{json}");
        }
        assert_eq!(
            header(&format!(
                r#"{{"alg":"RS256","kid":"{}"}}"#,
                "k".repeat(MAX_KID_LEN + 1)
            ))
            .unwrap_err(),
            ErrorKind::MissingKeyId
        );
    }
}
