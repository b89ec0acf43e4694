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
        StrictIgnoreVisitor.visit_map(map)?;
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
        let mut keys = UniqueKeys::default();
        while let Some(BorrowedStr(key)) = map.next_key::<BorrowedStr<'de>>()? {
            keys.insert(key)?;
            map.next_value_seed(StrictIgnore)?;
        }
        Ok(false)
    }
}

/// A string value, or `None` for any other value (consumed strictly, like [`StrictIgnore`]).
pub(crate) struct StrOrIgnore;

impl<'de> DeserializeSeed<'de> for StrOrIgnore {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_any(StrOrIgnoreVisitor)
    }
}

struct StrOrIgnoreVisitor;

impl<'de> Visitor<'de> for StrOrIgnoreVisitor {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        StrictIgnoreVisitor.visit_seq(seq).map(|_| None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        StrictIgnoreVisitor.visit_map(map).map(|_| None)
    }
}

/// Member names seen so far in one object, to refuse a duplicate. A linear scan while they are
/// few (a JOSE header, a Cognito payload's handful of untyped claims), a hash set beyond: linear
/// in the number of members whatever it is.
#[derive(Default)]
pub(crate) struct UniqueKeys<'de> {
    few: Vec<Cow<'de, str>>,
    many: std::collections::HashSet<Cow<'de, str>>,
}

impl<'de> UniqueKeys<'de> {
    /// Members scanned linearly before the set switches to hashing.
    const FEW: usize = 16;

    /// Remembers `key`; a JSON error when it was seen before.
    #[inline]
    pub(crate) fn insert<E: de::Error>(&mut self, key: Cow<'de, str>) -> Result<(), E> {
        let new = if self.few.len() < Self::FEW {
            let new = !self.few.contains(&key);
            if new {
                self.few.push(key);
            }
            new
        } else {
            if self.many.is_empty() {
                self.many.extend(self.few.iter().cloned());
            }
            self.many.insert(key)
        };
        if new {
            Ok(())
        } else {
            Err(E::custom("duplicate member"))
        }
    }
}

/// Inserts a member, failing on a duplicate name.
fn insert_unique<E: de::Error>(
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
