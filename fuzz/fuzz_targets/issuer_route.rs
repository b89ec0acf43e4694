//! The routing key of a layer of several pools: the top-level `iss` of the decoded payload of
//! every token, read before the signature is checked, so from attacker bytes. Never panics; a key
//! is always bytes of the input without `"` or `\`; and where the input is valid JSON, the key is
//! what serde_json reads as the top-level `iss` (differential): a nested or escaped `iss` never is,
//! and an unescaped one within the scan's bound always is.

#![no_main]

use std::fmt;

use libfuzzer_sys::fuzz_target;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use tower_cognito::fuzzing::{TOP_LEVEL_ISS_MAX_STRUCTURAL, top_level_iss};

/// The values of the top-level members named `iss` of a JSON object, in order.
struct TopLevelIss;

impl<'de> Visitor<'de> for TopLevelIss {
    type Value = Vec<serde_json::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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

fuzz_target!(|data: &[u8]| {
    let key = top_level_iss(data);
    if let Some(key) = &key {
        assert!(!key.contains(&b'"') && !key.contains(&b'\\'));
        let mut quoted = vec![b'"'];
        quoted.extend_from_slice(key);
        quoted.push(b'"');
        assert!(data.windows(quoted.len()).any(|w| w == quoted.as_slice()));
    }
    // The reference, where the input is one valid JSON object.
    let mut de = serde_json::Deserializer::from_slice(data);
    let Ok(found) = de.deserialize_map(TopLevelIss) else {
        return;
    };
    if de.end().is_err() {
        return;
    }
    let key = key.map(|k| String::from_utf8(k).expect("valid JSON is UTF-8"));
    // An upper bound of the quotes, brackets and escapes the scan reads before the key.
    let structural = data.iter().filter(|b| b"\"{}[]\\".contains(b)).count();
    match found.as_slice() {
        [] => assert_eq!(key, None),
        // Without any escape in the input and within the scan's bound, the one top-level `iss`
        // is found when it is a string.
        [one] if !data.contains(&b'\\') && structural <= TOP_LEVEL_ISS_MAX_STRUCTURAL => {
            assert_eq!(key.as_deref(), one.as_str())
        }
        // Else an escaped name or value is never a key, nor one past the bound; any key is the
        // right one.
        [one] => assert!(key.is_none() || key.as_deref() == one.as_str()),
        // Duplicates (refused by the strict parser after the signature): one of them, or none.
        many => assert!(key.is_none() || many.iter().any(|v| v.as_str() == key.as_deref())),
    }
});
