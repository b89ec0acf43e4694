//! Strict JSON helpers shared by the header and claims parsers.
//!
//! serde_json already rejects trailing bytes, invalid UTF-8 and nesting deeper than 128 levels. What
//! it does not do for free is reject duplicate member names, nor borrow strings through `Cow`; both
//! live here.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// A string that borrows from the input when it has no escapes.
pub(crate) struct BorrowedStr<'de>(pub(crate) Cow<'de, str>);

impl<'de> de::Deserialize<'de> for BorrowedStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = BorrowedStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(BorrowedStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(BorrowedStr(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(BorrowedStr(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// The value of a typed claim, read without building a `serde_json::Value`: each claim rule
/// looks at the shape it needs, anything else is `Other` (consumed strictly, like
/// [`StrictValue`], so duplicates nested in a wrong-typed value still fail the parse).
pub(crate) enum Typed<'de> {
    Str(Cow<'de, str>),
    /// A non-negative integer that fits in a `u64` (what `Value::as_u64` accepts).
    U64(u64),
    Bool(bool),
    /// An array of strings only (possibly empty).
    Strings(Vec<String>),
    Other,
}

/// Deserializes a [`Typed`].
pub(crate) struct TypedSeed;

impl<'de> DeserializeSeed<'de> for TypedSeed {
    type Value = Typed<'de>;
    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(TypedVisitor)
    }
}

struct TypedVisitor;

impl<'de> Visitor<'de> for TypedVisitor {
    type Value = Typed<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Typed::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Typed::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Typed::Str(Cow::Owned(v)))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Typed::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        // serde_json gives negative integers only; another deserializer may not.
        Ok(u64::try_from(v).map_or(Typed::Other, Typed::U64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Typed::U64(v))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Typed::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Typed::Other)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Typed::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        let mut all_strings = true;
        // Each element is read as a `Typed` too, so a non-string one is consumed strictly.
        while let Some(item) = seq.next_element_seed(TypedSeed)? {
            match item {
                Typed::Str(s) if all_strings => out.push(s.into_owned()),
                Typed::Str(_) => {}
                _ => all_strings = false,
            }
        }
        Ok(if all_strings {
            Typed::Strings(out)
        } else {
            Typed::Other
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        StrictValueVisitor.visit_map(map)?;
        Ok(Typed::Other)
    }
}

/// Deserializes any JSON value, rejecting duplicate member names at every depth.
pub(crate) struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictValueVisitor)
    }
}

struct StrictValueVisitor;

impl<'de> Visitor<'de> for StrictValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(StrictValue)?;
            insert_unique(&mut out, key, value)?;
        }
        Ok(Value::Object(out))
    }
}

/// Reads any JSON value and keeps nothing: the strict check of [`StrictValue`] (duplicate member
/// names refused at every depth) without building a `Value`, so no allocation per string or
/// element. Gives whether the value was an empty array (what a JOSE `crit` may be).
pub(crate) struct StrictIgnore;

impl<'de> DeserializeSeed<'de> for StrictIgnore {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(StrictIgnoreVisitor)
    }
}

struct StrictIgnoreVisitor;

impl<'de> Visitor<'de> for StrictIgnoreVisitor {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_none<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let mut empty = true;
        while seq.next_element_seed(StrictIgnore)?.is_some() {
            empty = false;
        }
        Ok(empty)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        // Where this is used the members are few (a JOSE header's values are capped): a linear
        // scan is the cheapest set.
        let mut keys: Vec<Cow<'de, str>> = Vec::new();
        while let Some(BorrowedStr(key)) = map.next_key::<BorrowedStr<'de>>()? {
            if keys.contains(&key) {
                return Err(de::Error::custom("duplicate member"));
            }
            map.next_value_seed(StrictIgnore)?;
            keys.push(key);
        }
        Ok(false)
    }
}

/// Inserts a member, failing on a duplicate name.
pub(crate) fn insert_unique<E: de::Error>(
    map: &mut Map<String, Value>,
    key: String,
    value: Value,
) -> Result<(), E> {
    use serde_json::map::Entry;
    match map.entry(key) {
        Entry::Vacant(v) => {
            v.insert(value);
            Ok(())
        }
        Entry::Occupied(_) => Err(E::custom("duplicate member")),
    }
}

/// Stores `value` in an empty slot, failing when the member was already seen.
#[inline]
pub(crate) fn set_once<T, E: de::Error>(slot: &mut Option<T>, value: T) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::custom("duplicate member"));
    }
    *slot = Some(value);
    Ok(())
}

/// A cursor for the fast paths of the header and claims parsers: it reads a strict subset of
/// JSON (no floats, no `\u` escapes, bounded nesting, no duplicate member) and answers `None` as
/// soon as the text leaves that subset or breaks a rule; the caller then runs the full serde_json
/// parser from the start, which gives the precise verdict. So the fast path only ever decides for
/// valid, simple documents, and decides exactly as the full parser would.
pub(crate) struct Scanner<'a> {
    text: &'a str,
    pos: usize,
    /// No backslash and no control character anywhere (compact JSON without escapes, as issuers
    /// write it): a string then ends at the next quote.
    plain: bool,
}

/// Containers nested deeper than this are left to the full parser.
pub(crate) const FAST_MAX_DEPTH: u32 = 16;

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

impl<'a> Scanner<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        // No early exit, so the compiler makes it SIMD compares.
        let plain = text
            .bytes()
            .fold(true, |plain, b| plain & (b >= 0x20) & (b != b'\\'));
        Self {
            text,
            pos: 0,
            plain,
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// The next non-whitespace byte, not consumed.
    #[inline]
    pub(crate) fn next_byte(&mut self) -> Option<u8> {
        self.skip_ws();
        self.peek()
    }

    /// Consumes `b` (after whitespace), or fails.
    #[inline]
    pub(crate) fn eat(&mut self, b: u8) -> Option<()> {
        self.skip_ws();
        if self.peek()? != b {
            return None;
        }
        self.pos += 1;
        Some(())
    }

    /// The bytes after the opening quote of the next string (after whitespace), not consumed.
    #[inline]
    pub(crate) fn peek_string(&mut self) -> Option<&'a [u8]> {
        self.skip_ws();
        match self.text.as_bytes().get(self.pos..)? {
            [b'"', rest @ ..] => Some(rest),
            _ => None,
        }
    }

    /// Skips `n` ASCII bytes that [`peek_string`](Self::peek_string) showed.
    #[inline]
    pub(crate) fn skip(&mut self, n: usize) {
        self.pos += n;
    }

    /// An array or object: `open`, then members read by `member` and separated by `,`, then
    /// `close` (whitespace allowed around each). Empty (`[]`, `{}`) when `close` comes first.
    /// `None` as soon as `member` answers `None` or a separator is wrong.
    #[inline]
    pub(crate) fn members(
        &mut self,
        open: u8,
        close: u8,
        mut member: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        self.eat(open)?;
        if self.next_byte()? == close {
            self.pos += 1;
            return Some(());
        }
        loop {
            member(self)?;
            match self.next_byte()? {
                b',' => self.pos += 1,
                b if b == close => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Only whitespace is left.
    pub(crate) fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.pos == self.text.len()
    }

    /// A string: borrowed when it has no escape; the short escapes (`\"`, `\\`, `\/`, `\b`, `\f`,
    /// `\n`, `\r`, `\t`) are decoded, `\u` is left to the full parser.
    #[inline]
    pub(crate) fn str(&mut self) -> Option<Cow<'a, str>> {
        self.eat(b'"')?;
        let bytes = self.text.as_bytes();
        let start = self.pos;
        if self.plain {
            // Eight bytes at a time to the quote (the text has no escape).
            while let Some(chunk) = bytes.get(self.pos..self.pos + 8) {
                let mut word = [0u8; 8];
                word.copy_from_slice(chunk);
                let x = u64::from_le_bytes(word) ^ u64::from_ne_bytes([b'"'; 8]);
                // Exact for the lowest zero byte, which is the first quote.
                let zeros = x.wrapping_sub(ONES) & !x & HIGHS;
                if zeros != 0 {
                    self.pos += zeros.trailing_zeros() as usize / 8;
                    let s = self.text.get(start..self.pos)?;
                    self.pos += 1;
                    return Some(Cow::Borrowed(s));
                }
                self.pos += 8;
            }
        }
        // Byte by byte when the text has escapes or control characters, or near its end.
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => return self.escaped(start),
                0..=0x1f => return None,
                _ => self.pos += 1,
            }
        }
        // `"` is ASCII, so both ends are character boundaries.
        let s = self.text.get(start..self.pos)?;
        self.pos += 1;
        Some(Cow::Borrowed(s))
    }

    /// The rest of a string from its first backslash (`start` is just after the opening quote).
    #[cold]
    fn escaped(&mut self, start: usize) -> Option<Cow<'a, str>> {
        let mut out = String::from(self.text.get(start..self.pos)?);
        loop {
            let run_start = self.pos;
            loop {
                match self.peek()? {
                    b'"' | b'\\' => break,
                    0..=0x1f => return None,
                    _ => self.pos += 1,
                }
            }
            out.push_str(self.text.get(run_start..self.pos)?);
            if self.peek()? == b'"' {
                self.pos += 1;
                return Some(Cow::Owned(out));
            }
            let escaped = match self.text.as_bytes().get(self.pos + 1)? {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                _ => return None,
            };
            out.push(escaped);
            self.pos += 2;
        }
    }

    /// A non-negative integer without fraction nor exponent, that fits in a `u64`.
    #[inline]
    pub(crate) fn u64(&mut self) -> Option<u64> {
        self.skip_ws();
        let start = self.pos;
        let mut n: u64 = 0;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
            self.pos += 1;
        }
        let digits = self.pos - start;
        // No digit, or a leading zero (`01` is not JSON).
        if digits == 0 || (digits > 1 && self.text.as_bytes().get(start) == Some(&b'0')) {
            return None;
        }
        // A fraction or an exponent is a float: the full parser decides.
        match self.peek() {
            Some(b'.' | b'e' | b'E') => None,
            _ => Some(n),
        }
    }

    /// `true`, `false` or `null`.
    #[inline]
    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.skip_ws();
        let end = self.pos + word.len();
        if self.text.as_bytes().get(self.pos..end)? != word {
            return None;
        }
        self.pos = end;
        Some(())
    }

    /// A value typed claims look at: a string, a non-negative integer, a boolean, or an array of
    /// strings. Anything else (even valid JSON) is `None`.
    pub(crate) fn typed(&mut self) -> Option<Typed<'a>> {
        Some(match self.next_byte()? {
            b'"' => Typed::Str(self.str()?),
            b'0'..=b'9' => Typed::U64(self.u64()?),
            b't' => {
                self.literal(b"true")?;
                Typed::Bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                Typed::Bool(false)
            }
            b'[' => {
                let mut items = Vec::new();
                self.members(b'[', b']', |sc| {
                    items.push(sc.str()?.into_owned());
                    Some(())
                })?;
                Typed::Strings(items)
            }
            _ => return None,
        })
    }

    /// Any value but floats and `\u` escapes, as serde_json would build it.
    pub(crate) fn value(&mut self, depth: u32) -> Option<Value> {
        Some(match self.next_byte()? {
            b'"' => Value::String(self.str()?.into_owned()),
            b'0'..=b'9' => Value::from(self.u64()?),
            b'-' => {
                self.pos += 1;
                if !matches!(self.peek(), Some(b'0'..=b'9')) {
                    return None;
                }
                // serde_json reads `-0` as a float, and `-9223372036854775808` fits an `i64`
                // only negated: both are left to it.
                let magnitude = i64::try_from(self.u64()?).ok().filter(|&m| m != 0)?;
                Value::from(-magnitude)
            }
            b't' => {
                self.literal(b"true")?;
                Value::Bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                Value::Bool(false)
            }
            b'n' => {
                self.literal(b"null")?;
                Value::Null
            }
            b'[' if depth < FAST_MAX_DEPTH => {
                let mut items = Vec::new();
                self.members(b'[', b']', |sc| {
                    items.push(sc.value(depth + 1)?);
                    Some(())
                })?;
                Value::Array(items)
            }
            b'{' if depth < FAST_MAX_DEPTH => {
                let mut map = Map::new();
                self.members(b'{', b'}', |sc| {
                    let key = sc.str()?.into_owned();
                    sc.eat(b':')?;
                    let value = sc.value(depth + 1)?;
                    insert_unique::<de::value::Error>(&mut map, key, value).ok()
                })?;
                Value::Object(map)
            }
            _ => return None,
        })
    }
}

/// Single-byte edits of a document, for the differential tests of the fast paths.
#[cfg(test)]
pub(crate) fn single_byte_edits(base: &[u8], alphabet: &[u8]) -> Vec<Vec<u8>> {
    let mut edits = Vec::new();
    for i in 0..=base.len() {
        if i < base.len() {
            let mut deleted = base.to_vec();
            deleted.remove(i);
            edits.push(deleted);
        }
        for &c in alphabet {
            let mut inserted = base.to_vec();
            inserted.insert(i, c);
            edits.push(inserted);
            if i < base.len() {
                let mut replaced = base.to_vec();
                replaced[i] = c;
                edits.push(replaced);
            }
        }
    }
    edits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_value_rejects_nested_duplicates() {
        let mut de = serde_json::Deserializer::from_str(r#"{"a":{"b":1,"b":2}}"#);
        assert!(StrictValue.deserialize(&mut de).is_err());
        let mut de = serde_json::Deserializer::from_str(r#"{"a":[{"b":1},{"b":2}]}"#);
        assert!(StrictValue.deserialize(&mut de).is_ok());
    }

    #[test]
    fn typed_matches_strict_value() {
        for json in [
            r#""x""#,
            r#""a\"b""#,
            "0",
            "5",
            "-1",
            "-0",
            "5.0",
            "1e300",
            "18446744073709551615",
            "18446744073709551616",
            "true",
            "false",
            "null",
            "[]",
            r#"["a","b"]"#,
            r#"["a",1]"#,
            r#"[1,"a"]"#,
            r#"[["a"]]"#,
            "{}",
            r#"{"a":"b"}"#,
        ] {
            let mut de = serde_json::Deserializer::from_str(json);
            let value = StrictValue.deserialize(&mut de).unwrap();
            let mut de = serde_json::Deserializer::from_str(json);
            let typed = TypedSeed.deserialize(&mut de).unwrap();
            let strings: Option<Vec<&str>> = value
                .as_array()
                .and_then(|items| items.iter().map(Value::as_str).collect());
            match typed {
                Typed::Str(s) => assert_eq!(value.as_str(), Some(&*s), "{json}"),
                Typed::U64(n) => assert_eq!(value.as_u64(), Some(n), "{json}"),
                Typed::Bool(b) => assert_eq!(value.as_bool(), Some(b), "{json}"),
                Typed::Strings(v) => assert_eq!(
                    strings,
                    Some(v.iter().map(String::as_str).collect()),
                    "{json}"
                ),
                Typed::Other => {
                    assert!(
                        value.as_str().is_none() && value.as_u64().is_none(),
                        "{json}"
                    );
                    assert!(value.as_bool().is_none() && strings.is_none(), "{json}");
                }
            }
        }
        for bad in [
            r#"[{"a":1,"a":2}]"#,
            r#"{"a":1,"a":2}"#,
            r#"["a",{"b":[{"c":1,"c":1}]}]"#,
        ] {
            let mut de = serde_json::Deserializer::from_str(bad);
            assert!(TypedSeed.deserialize(&mut de).is_err(), "{bad}");
        }
    }

    #[test]
    fn scanner_strings() {
        for n in 0..24 {
            let body = "é".repeat(n % 3) + &"a".repeat(n);
            // Plain text, then text with a newline (byte by byte), then with an escape.
            for text in [
                format!(r#""{body}" "#),
                format!("\"{body}\"\n"),
                format!(r#""{body}\n" "#),
            ] {
                let mut sc = Scanner::new(&text);
                let s = sc.str().unwrap();
                let expected: String = serde_json::from_str(text.trim_end()).unwrap();
                assert_eq!(s, expected, "{text:?}");
                assert!(sc.at_end(), "{text:?}");
            }
            for bad in [
                format!("\"{body}"),
                format!("\"{body}\u{1}\""),
                format!(r#""{body}\x""#),
            ] {
                assert!(Scanner::new(&bad).str().is_none(), "{bad:?}");
            }
        }
    }

    #[test]
    fn typed_str_or_other() {
        for (json, ok) in [
            (r#""x""#, true),
            ("1", false),
            ("[1,2]", false),
            ("null", false),
            ("{}", false),
            (r#""a\"b""#, true),
        ] {
            let mut de = serde_json::Deserializer::from_str(json);
            let v = TypedSeed.deserialize(&mut de).unwrap();
            assert_eq!(matches!(v, Typed::Str(_)), ok, "{json}");
        }
    }
}
