//! The fallback routing key of a layer of several pools: the `iss` member of the payload's
//! top-level object, read before the signature, for a token whose `kid` names no single pool (a
//! key not fetched yet, or one that several pools' sets hold; see
//! [`kid_index`](crate::kid_index)), only to choose the pool whose key set and rules verify the
//! token. The chosen pool's verifier parses the whole payload strictly and compares `iss` exactly
//! after the signature, so a wrong pick can only refuse a token, never accept one.
//!
//! What is read of an unsigned payload is bounded whatever the token cap: at most the first
//! [`WINDOW`] bytes are decoded, then scanned once, left to right, tracking strings, escapes and
//! nesting, up to the first member named `iss` of the top-level object and over at most 128
//! quotes, brackets and escapes; its value is handed to one lookup. A nested `iss` (in another
//! object or array), one inside a string, or one written with escapes is never a routing key.

use crate::error::ErrorKind;
use crate::jws::b64;

/// The most decoded payload bytes the fallback reads: the first KiB. Cognito writes `iss` after
/// `sub` and `cognito:groups`, within it for a user in up to some 40 groups. A token's `kid`
/// routes it wherever its `iss` is; this bound is only the fallback's, and it keeps the
/// fallback, added to the layer's own pass over an 8 KiB token, under 0.1 of an RSA check.
pub(crate) const WINDOW: usize = 1024;

/// The pool of the payload segment `segment` by `lookup` of its top-level `iss`, and the decoded
/// payload when all of it fit in the window (the verifier then need not decode it again).
///
/// At most the first [`WINDOW`] bytes of the payload (and no more than `buf` holds) are decoded,
/// into `buf`; `lookup` runs at most once (`FnOnce`), with the value of the first member named
/// `iss` of the top-level object ([`top_level_iss`]) when it ends within them and is UTF-8.
///
/// # Errors
/// [`ErrorKind::Malformed`] when the decoded part is not base64url; [`ErrorKind::InvalidIssuer`]
/// when no such `iss` is found or `lookup` knows none.
#[inline]
pub(crate) fn route<'b, T>(
    segment: &[u8],
    buf: &'b mut [u8],
    lookup: impl FnOnce(&str) -> Option<T>,
) -> Result<(T, Option<&'b [u8]>), ErrorKind> {
    let len = b64::decoded_len(segment.len()).ok_or(ErrorKind::Malformed)?;
    let window = buf.len().min(WINDOW);
    let whole = len <= window;
    // The whole payload when it fits, else as many whole 4-character groups as fit.
    let (input, len) = match whole {
        true => (segment, len),
        false => (
            segment.get(..window / 3 * 4).ok_or(ErrorKind::Malformed)?,
            window / 3 * 3,
        ),
    };
    b64::decode(input, buf).ok_or(ErrorKind::Malformed)?;
    let decoded: &'b [u8] = buf.get(..len).ok_or(ErrorKind::Malformed)?;
    let iss = top_level_iss(decoded).ok_or(ErrorKind::InvalidIssuer)?;
    let iss = std::str::from_utf8(iss).map_err(|_| ErrorKind::InvalidIssuer)?;
    let pool = lookup(iss).ok_or(ErrorKind::InvalidIssuer)?;
    Ok((pool, whole.then_some(decoded)))
}

/// The most structural bytes (quotes, brackets, escapes) read before the top-level `iss`: a
/// Cognito payload has about 20, plus two per group, before it, so this is about as many short
/// group names as [`WINDOW`] holds.
pub(crate) const MAX_STRUCTURAL: u32 = 128;

/// The string value of the first member named `iss` of the top-level object of `json`, without
/// parsing it: one pass, left to right, that tracks strings (and their escapes) and the nesting
/// depth, and stops at that member. `None` when `json` does not open an object, the object ends
/// (or `json` does) first, more than 128 quotes, brackets and escapes come first, or that
/// member's value is not a string, holds an escape or is not closed. Names and values written
/// with escapes are never `iss` (Cognito writes none).
///
/// On valid JSON, the answer is the top-level `iss` a JSON parser reads, or `None`; on anything
/// else it is some bytes of the input or `None`, never a panic. The bytes are classified 64 at a
/// time (vector compares) and the structural ones found eight at a time, so the cost is linear in
/// `json.len()` with a small constant, plus a few instructions for each of at most 128
/// structural bytes.
pub(crate) fn top_level_iss(json: &[u8]) -> Option<&[u8]> {
    let mut scan = Scanner::new(json);
    let mut i = skip_ws(json, 0);
    if json.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    // The depth of `i`: 1 inside the top-level object, outside any string.
    let mut depth = 1usize;
    let mut budget = MAX_STRUCTURAL;
    loop {
        let (at, class) = scan.find(i, OUTSIDE)?;
        budget = budget.checked_sub(1)?;
        if class == QUOTE {
            let start = at + 1;
            // The closing quote; each escape skips the byte after it.
            let mut end = start;
            loop {
                let (found, class) = scan.find(end, INSIDE)?;
                budget = budget.checked_sub(1)?;
                if class == QUOTE {
                    end = found;
                    break;
                }
                end = found + 2;
            }
            // A top-level string followed by `:` is a member name (in valid JSON).
            if depth == 1 && end - start == 3 && json.get(start..end) == Some(b"iss") {
                let colon = skip_ws(json, end + 1);
                if json.get(colon) == Some(&b':') {
                    return string_value(json, skip_ws(json, colon + 1));
                }
            }
            i = end + 1;
        } else if class == OPEN {
            depth += 1;
            i = at + 1;
        } else {
            depth -= 1;
            if depth == 0 {
                return None;
            }
            i = at + 1;
        }
    }
}

/// The value of a string that opens at `at` and holds no escape, up to its closing quote.
fn string_value(json: &[u8], at: usize) -> Option<&[u8]> {
    if json.get(at) != Some(&b'"') {
        return None;
    }
    let rest = json.get(at + 1..)?;
    let end = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
    match rest.get(end) {
        Some(b'"') => rest.get(..end),
        _ => None,
    }
}

/// The class of a quote.
const QUOTE: u8 = 1;
/// The class of `{` and `[`.
const OPEN: u8 = 2;
/// The class of `}` and `]`.
const CLOSE: u8 = 4;
/// The class of `\`.
const BACKSLASH: u8 = 8;
/// The classes that end a run outside strings.
const OUTSIDE: u8 = QUOTE | OPEN | CLOSE;
/// The classes that end a run inside a string.
const INSIDE: u8 = QUOTE | BACKSLASH;
/// Bytes classified at a time.
const BLOCK: usize = 64;

/// Finds structural bytes: classifies [`BLOCK`] bytes at a time into a byte each (without
/// branches, which the compiler turns into vector compares), then reads the classes eight at a
/// time.
struct Scanner<'a> {
    json: &'a [u8],
    /// Where the classified block starts (`usize::MAX`: none yet).
    start: usize,
    /// The classes of `json[start..start + BLOCK]`, zero past its end and in the eight bytes
    /// after the block, so a word can be read at any offset in it.
    classes: [u8; BLOCK + 8],
}

impl<'a> Scanner<'a> {
    fn new(json: &'a [u8]) -> Self {
        Self {
            json,
            start: usize::MAX,
            classes: [0; BLOCK + 8],
        }
    }

    /// The index and the class of the first byte at or after `i` whose class is one of `bits`.
    #[inline(always)]
    fn find(&mut self, mut i: usize, bits: u8) -> Option<(usize, u8)> {
        let pattern = u64::from_le_bytes([bits; 8]);
        loop {
            let start = i / BLOCK * BLOCK;
            if start != self.start {
                self.classify(start)?;
            }
            let mut at = i - start;
            while let Some(word) = self.classes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
                let hits = u64::from_le_bytes(*word) & pattern;
                if hits != 0 {
                    // The class from the word in hand: no load of the byte.
                    let shift = hits.trailing_zeros() & !7;
                    let class = (hits >> shift) as u8;
                    return Some((start + at + (shift / 8) as usize, class));
                }
                at += 8;
                if at >= BLOCK {
                    break;
                }
            }
            i = start + BLOCK;
        }
    }

    /// Classifies the block at `start`; `None` past the end of the input. Out of line: once per
    /// 64 bytes, it would only crowd the loop over structural bytes.
    #[inline(never)]
    fn classify(&mut self, start: usize) -> Option<()> {
        let bytes = self.json.get(start..)?;
        if bytes.is_empty() {
            return None;
        }
        self.start = start;
        match bytes.first_chunk::<BLOCK>() {
            Some(block) => {
                for (class, &b) in self.classes.iter_mut().zip(block) {
                    *class = classify(b);
                }
            }
            None => {
                self.classes = [0; BLOCK + 8];
                for (class, &b) in self.classes.iter_mut().zip(bytes) {
                    *class = classify(b);
                }
            }
        }
        Some(())
    }
}

/// The class of a byte, by comparisons (`[` and `]` are `{` and `}` less 0x20).
#[inline(always)]
fn classify(b: u8) -> u8 {
    let folded = b | 0x20;
    (u8::from(b == b'"') * QUOTE)
        | (u8::from(folded == b'{') * OPEN)
        | (u8::from(folded == b'}') * CLOSE)
        | (u8::from(b == b'\\') * BACKSLASH)
}

/// The index of the first byte at or after `i` that is not JSON whitespace.
#[inline]
fn skip_ws(json: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = json.get(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

    fn iss(json: &str) -> Option<&str> {
        top_level_iss(json.as_bytes()).map(|v| std::str::from_utf8(v).unwrap())
    }

    #[test]
    fn the_first_top_level_iss_member_is_the_key() {
        let cases: &[(&str, Option<&str>)] = &[
            (r#"{"sub":"u","iss":"https://a/p"}"#, Some("https://a/p")),
            (" \t\r\n{ \"iss\" \n: \t\"x\" , \"y\":1}", Some("x")),
            (r#"{"iss":""}"#, Some("")),
            // Nested in an object or an array, or before it in either: never the key.
            (r#"{"a":{"iss":"nested"},"iss":"top"}"#, Some("top")),
            (r#"{"a":[{"iss":"nested"}],"iss":"top"}"#, Some("top")),
            (
                r#"{"a":[[[{"iss":"x"}]],{"b":{"iss":"y"}}],"iss":"top"}"#,
                Some("top"),
            ),
            (r#"{"a":{"iss":"nested"}}"#, None),
            (r#"{"a":[{"iss":"nested"}]}"#, None),
            (r#"[{"iss":"x"}]"#, None),
            // Inside a string, as a value, with escaped quotes around it: not a member.
            (r#"{"a":"\"iss\":\"x\"","iss":"top"}"#, Some("top")),
            (r#"{"a":"iss","iss":"top"}"#, Some("top")),
            (r#"{"a":["iss","x"],"iss":"top"}"#, Some("top")),
            (r#"{"a":"{\"iss\":\"x\"}"}"#, None),
            (r#"{"a":"\\","iss":"top"}"#, Some("top")),
            (r#"{"a":"\\\"iss\":\"x\"","iss":"top"}"#, Some("top")),
            // Brackets inside strings do not count.
            (r#"{"a":"}]","iss":"top"}"#, Some("top")),
            (r#"{"a":"{[","iss":"top"}"#, Some("top")),
            (r#"{"a":{"b":"}"},"iss":"top"}"#, Some("top")),
            // After the object closed: nothing.
            (r#"{"a":1}{"iss":"x"}"#, None),
            (r#"{"a":1},"iss":"x""#, None),
            // The first top-level `iss` decides (a duplicate is refused by the parser later).
            (r#"{"iss":"one","iss":"two"}"#, Some("one")),
            (r#"{"iss":5,"iss":"two"}"#, None),
            (r#"{"iss":"o\ne","iss":"two"}"#, None),
            // Escapes: an escaped value or name is never the key.
            (r#"{"iss":"https:\/\/a"}"#, None),
            (r#"{"iss":"\u0061"}"#, None),
            (r#"{"\u0069ss":"x"}"#, None),
            (r#"{"i\u0073s":"x","iss":"top"}"#, Some("top")),
            // Not a string, not a member, other names.
            (r#"{"iss":null}"#, None),
            (r#"{"iss":["x"]}"#, None),
            (r#"{"iss":{"iss":"x"}}"#, None),
            (r#"{"x":"iss"}"#, None),
            (r#"{"isss":"x","Iss":"y","iss ":"z"," iss":"w"}"#, None),
            (r#"{"iss""#, None),
            // Truncated anywhere: nothing.
            (r#"{"iss":"open"#, None),
            (r#"{"iss":"#, None),
            (r#"{"iss":"#, None),
            (r#"{"iss"#, None),
            (r#"{"a":"\"#, None),
            (r#"{"a":[[["#, None),
            ("", None),
            ("{", None),
            (r#""iss""#, None),
            (r#""iss":"x""#, None),
        ];
        for (json, expected) in cases {
            assert_eq!(iss(json), *expected, "{json}");
        }
    }

    /// Every string of up to five bytes over the bytes the scan looks at, and noise around
    /// `"iss"`: never a panic, and a key is always bytes of the input without `"` or `\`.
    /// Across the 64-byte blocks of the scan: a string of every length before the key, the key
    /// at every offset, nested members that end at every offset.
    #[test]
    fn every_offset() {
        for pad in 0..200 {
            let text = "x".repeat(pad);
            let json = format!(r#"{{"a":"{text}","iss":"k"}}"#);
            assert_eq!(iss(&json), Some("k"), "{json}");
            let json = format!(r#"{{"a":{{"b":"{text}","iss":"n"}},"iss":"k"}}"#);
            assert_eq!(iss(&json), Some("k"), "{json}");
            let json = format!(r#"{{"a":"{text}\"}}]","iss":"k"}}"#);
            assert_eq!(iss(&json), Some("k"), "{json}");
            let json = format!(r#"{{{}"iss":"k"}}"#, " ".repeat(pad));
            assert_eq!(iss(&json), Some("k"), "{json}");
            let json = format!(r#"{{"a":[{}],"iss":"k"}}"#, "[]".repeat(pad / 4));
            assert_eq!(iss(&json), Some("k"), "{json}");
            // Cut anywhere: nothing, or the key.
            let json = format!(r#"{{"a":"{text}","iss":"k"}}"#);
            for cut in 0..json.len() {
                assert!(matches!(iss(&json[..cut]), None | Some("k")), "{cut}");
            }
        }
    }

    /// At most 128 quotes, brackets and escapes before the key.
    #[test]
    fn the_structural_bytes_before_the_key_are_bounded() {
        assert_eq!(MAX_STRUCTURAL, 128);
        let with = |n: usize| format!(r#"{{"a":[{}0],"iss":"k"}}"#, r#""","#.repeat(n));
        // 2 (`"a"`) + 1 (`[`) + 2n + 1 (`]`) + 2 (the key's name): 128 with 61 strings.
        assert_eq!(iss(&with(61)), Some("k"));
        assert_eq!(iss(&with(62)), None);
        // 2 (`"a"`) + 2 (its value's quotes) + n + 2 (the key's name): 128 with 122 escapes.
        let escapes = |n: usize| format!(r#"{{"a":"{}","iss":"k"}}"#, r"\n".repeat(n));
        assert_eq!(iss(&escapes(122)), Some("k"));
        assert_eq!(iss(&escapes(123)), None);
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let alphabet = b"{}[]\":\\ i,s\xff";
        let mut strings: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..5 {
            strings = strings
                .iter()
                .flat_map(|s| {
                    alphabet.iter().map(move |&c| {
                        let mut s = s.clone();
                        s.push(c);
                        s
                    })
                })
                .collect();
            for s in &strings {
                for json in [
                    s.clone(),
                    [&b"{\"iss\":"[..], s].concat(),
                    [&b"{"[..], s].concat(),
                ] {
                    if let Some(key) = top_level_iss(&json) {
                        assert!(!key.contains(&b'"') && !key.contains(&b'\\'), "{json:?}");
                    }
                }
            }
        }
        let mut noise = Vec::new();
        for b in 0..=255u8 {
            noise.extend_from_slice(b"{\"iss\"");
            noise.push(b);
        }
        assert_eq!(top_level_iss(&noise), None);
    }

    /// The top-level `iss` members of a JSON object, by serde_json: their values in order, or
    /// `None` when `json` is not valid JSON (or not an object).
    fn reference(json: &[u8]) -> Option<Vec<serde_json::Value>> {
        struct Top;
        impl<'de> Visitor<'de> for Top {
            type Value = Vec<serde_json::Value>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut found = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    match name == "iss" {
                        true => found.push(map.next_value()?),
                        false => drop(map.next_value::<IgnoredAny>()?),
                    }
                }
                Ok(found)
            }
        }
        let mut de = serde_json::Deserializer::from_slice(json);
        let found = de.deserialize_map(Top).ok()?;
        de.end().ok()?;
        Some(found)
    }

    /// What the scan must answer on valid JSON, by serde_json: with no top-level `iss`, nothing;
    /// with one, its value when it is a string, the input holds no escape at all and no more
    /// quotes, brackets and backslashes than the scan reads (else its value or nothing); with
    /// several (refused by the parser after the signature), one of them or nothing.
    fn check_against_serde(json: &[u8]) {
        let Some(found) = reference(json) else {
            return;
        };
        let got = top_level_iss(json).map(|v| std::str::from_utf8(v).unwrap());
        let text = String::from_utf8_lossy(json);
        let structural = json.iter().filter(|b| b"\"{}[]\\".contains(b)).count();
        match found.as_slice() {
            [] => assert_eq!(got, None, "{text}"),
            [one] if !json.contains(&b'\\') && structural <= MAX_STRUCTURAL as usize => {
                assert_eq!(got, one.as_str(), "{text}")
            }
            [one] => assert!(got.is_none() || got == one.as_str(), "{text}"),
            many => assert!(
                got.is_none() || many.iter().any(|v| v.as_str() == got),
                "{text}"
            ),
        }
    }

    /// A deterministic stream of pseudo-random numbers (splitmix64), so that the generated cases
    /// are the same on every run and no property-testing dependency is needed.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        /// One of `0..n` (`n` > 0).
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    /// JSON text with members named from a small set (`iss` among them, duplicates allowed, in
    /// any order), nested objects and arrays (at most `depth` levels, about 64 values), strings
    /// with escapes and brackets, whitespace; an object when `top`.
    fn json_value(rng: &mut Rng, depth: u32, budget: &mut usize, top: bool) -> String {
        const NAMES: [&str; 6] = ["iss", "iss", "sub", "\\u0069ss", "is\\\"s", "a["];
        const LEAVES: [&str; 10] = [
            "\"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A\"",
            "\"\"",
            "\"\\\"iss\\\":\\\"x\\\"\"",
            "\"}]{[\\\\\"",
            "\"iss\"",
            "\"a\\/b\"",
            "12",
            "-1.5e3",
            "true",
            "null",
        ];
        const WS: [&str; 4] = ["", "", " ", "\n\t "];
        if depth == 0 || *budget == 0 || (!top && rng.below(3) == 0) {
            return rng.pick(&LEAVES).to_owned();
        }
        *budget -= 1;
        let n = rng.below(6);
        if top || rng.below(2) == 0 {
            let members: Vec<String> = (0..n)
                .map(|_| {
                    let (name, ws) = (rng.pick(&NAMES), rng.pick(&WS));
                    let value = json_value(rng, depth - 1, budget, false);
                    format!("\"{name}\"{ws}:{ws}{value}")
                })
                .collect();
            format!("{{{}}}", members.join(","))
        } else {
            let values: Vec<String> = (0..n)
                .map(|_| json_value(rng, depth - 1, budget, false))
                .collect();
            format!("[{}]", values.join(" ,"))
        }
    }

    /// 512 generated objects, each from its own seed.
    fn cases(seed: u64) -> impl Iterator<Item = (Rng, String)> {
        (0..512u64).map(move |i| {
            let mut rng = Rng(seed ^ i.wrapping_mul(0x2545_f491_4f6c_dd1d));
            let json = json_value(&mut rng, 4, &mut 64, true);
            (rng, json)
        })
    }

    /// On valid JSON, the scan answers what serde_json reads as the top-level `iss`.
    #[test]
    fn agrees_with_serde_json() {
        for (_, json) in cases(1) {
            check_against_serde(json.as_bytes());
        }
    }

    /// The same objects cut anywhere or with a byte changed: never a panic, and the answer
    /// still agrees with serde_json whenever the result is valid JSON.
    #[test]
    fn mutations_never_panic() {
        for (mut rng, json) in cases(2) {
            let mut bytes = json.into_bytes();
            if !bytes.is_empty() {
                let i = rng.below(bytes.len());
                match rng.below(2) == 0 {
                    true => bytes.truncate(i),
                    false => bytes[i] = rng.next() as u8,
                }
            }
            let _ = top_level_iss(&bytes);
            check_against_serde(&bytes);
        }
    }

    /// Base64url of `json`, as a payload segment.
    fn segment(json: &[u8]) -> Vec<u8> {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(json)
            .into_bytes()
    }

    #[test]
    fn route_decodes_at_most_the_window_and_looks_up_once() {
        let mut buf = [0u8; WINDOW];
        let calls = std::cell::Cell::new(0);
        let lookup = |iss: &str| {
            calls.set(calls.get() + 1);
            (iss == "https://a/p").then_some(7)
        };
        // A whole payload: routed, and handed back decoded.
        let json = br#"{"sub":"u","iss":"https://a/p","exp":1}"#;
        let (pool, decoded) = route(&segment(json), &mut buf, lookup).unwrap();
        assert_eq!((pool, decoded), (7, Some(&json[..])));
        // An unknown issuer, a nested one: refused, one lookup at most.
        for json in [
            &br#"{"iss":"https://b/p"}"#[..],
            br#"{"a":{"iss":"https://a/p"}}"#,
            br#"{"a":{"iss":"https://a/p"}}"#,
        ] {
            assert_eq!(
                route(&segment(json), &mut buf, lookup).unwrap_err(),
                ErrorKind::InvalidIssuer
            );
        }
        assert_eq!(calls.get(), 2);
        // Many `iss` members, nested or at the top: one lookup.
        let mut many = String::from(r#"{"a":["#);
        for _ in 0..20 {
            many.push_str(r#"{"iss":"https://a/p"},"#);
        }
        many.push_str(r#"0],"iss":"https://a/p","#);
        many.push_str(&r#""iss":"","#.repeat(50));
        many.push_str("\"z\":0}");
        let calls_before = calls.get();
        assert!(many.len() <= WINDOW);
        let (pool, decoded) = route(&segment(many.as_bytes()), &mut buf, lookup).unwrap();
        assert_eq!((pool, decoded.map(<[u8]>::len)), (7, Some(many.len())));
        assert_eq!(calls.get() - calls_before, 1);

        // Beyond the window: only the first WINDOW / 3 * 3 bytes are decoded; an `iss` that
        // ends within them routes (the payload is not handed back), one past them does not.
        let prefix = WINDOW / 3 * 3;
        let head = br#"{"iss":"https://a/p","pad":""#;
        let mut long = head.to_vec();
        long.resize(prefix + 100, b'x');
        long.extend_from_slice(br#""}"#);
        let (pool, decoded) = route(&segment(&long), &mut buf, lookup).unwrap();
        assert_eq!((pool, decoded), (7, None));
        let tail = br#"","iss":"https://a/p"}"#;
        for end in [prefix, prefix + 1, prefix + 3] {
            let mut late = br#"{"pad":""#.to_vec();
            late.resize(end - tail.len(), b'x');
            late.extend_from_slice(tail);
            assert_eq!(late.len(), end);
            let got = route(&segment(&late), &mut buf, lookup);
            match end <= prefix || late.len() <= WINDOW {
                true => assert_eq!(got.unwrap().0, 7, "{end}"),
                false => assert_eq!(got.unwrap_err(), ErrorKind::InvalidIssuer, "{end}"),
            }
        }
        // Not base64url within the window: malformed; beyond it, left to the verifier.
        assert_eq!(
            route(b"e!J9", &mut buf, lookup).unwrap_err(),
            ErrorKind::Malformed
        );
        assert_eq!(
            route(b"eyJ9e", &mut buf, lookup).unwrap_err(),
            ErrorKind::Malformed
        );
        let mut bad_tail = segment(&long);
        bad_tail.push(b'!');
        bad_tail.push(b'!');
        assert_eq!(route(&bad_tail, &mut buf, lookup).unwrap().0, 7);
        // A smaller buffer holds the window.
        let mut small = [0u8; 16];
        assert_eq!(
            route(&segment(br#"{"iss":"https://a/p"}"#), &mut small, lookup).unwrap_err(),
            ErrorKind::InvalidIssuer
        );
    }
}
