//! The little CBOR (RFC 8949) WebAuthn needs: the attestation object and COSE keys. Decoding
//! is bounded (depth, lengths within the input) and never panics; encoding writes the
//! definite-length forms the software authenticator sends.

/// A decoded CBOR item (no tags, no floats: WebAuthn's attestation objects and COSE keys use
/// neither).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cbor {
    Unsigned(u64),
    /// A negative integer, `-1 - n` stored as `n`.
    Negative(u64),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<Cbor>),
    Map(Vec<(Cbor, Cbor)>),
    Bool(bool),
    Null,
}

/// Deepest nesting accepted.
const MAX_DEPTH: usize = 8;

impl Cbor {
    /// The integer `value` (negative or not).
    pub(crate) fn int(value: i64) -> Self {
        if value < 0 {
            Self::Negative(value.unsigned_abs() - 1)
        } else {
            Self::Unsigned(value.unsigned_abs())
        }
    }

    /// Decodes one item that fills `input` exactly.
    pub(crate) fn decode(input: &[u8]) -> Option<Self> {
        let (item, rest) = Self::decode_prefix(input)?;
        rest.is_empty().then_some(item)
    }

    /// Decodes one item at the start of `input`; returns it and what follows.
    pub(crate) fn decode_prefix(input: &[u8]) -> Option<(Self, &[u8])> {
        decode(input, 0)
    }

    /// The value of `key` in a map.
    pub(crate) fn get(&self, key: &Cbor) -> Option<&Cbor> {
        match self {
            Self::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Unsigned(n) => head(out, 0, *n),
            Self::Negative(n) => head(out, 1, *n),
            Self::Bytes(b) => {
                head(out, 2, b.len() as u64);
                out.extend_from_slice(b);
            }
            Self::Text(t) => {
                head(out, 3, t.len() as u64);
                out.extend_from_slice(t.as_bytes());
            }
            Self::Array(items) => {
                head(out, 4, items.len() as u64);
                for item in items {
                    item.encode(out);
                }
            }
            Self::Map(entries) => {
                head(out, 5, entries.len() as u64);
                for (k, v) in entries {
                    k.encode(out);
                    v.encode(out);
                }
            }
            Self::Bool(false) => out.push(0xf4),
            Self::Bool(true) => out.push(0xf5),
            Self::Null => out.push(0xf6),
        }
    }

    pub(crate) fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let major = major << 5;
    if n < 24 {
        out.push(major | n as u8);
    } else if let Ok(n) = u8::try_from(n) {
        out.extend_from_slice(&[major | 24, n]);
    } else if let Ok(n) = u16::try_from(n) {
        out.push(major | 25);
        out.extend_from_slice(&n.to_be_bytes());
    } else if let Ok(n) = u32::try_from(n) {
        out.push(major | 26);
        out.extend_from_slice(&n.to_be_bytes());
    } else {
        out.push(major | 27);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn take(input: &[u8], n: usize) -> Option<(&[u8], &[u8])> {
    (input.len() >= n).then(|| input.split_at(n))
}

fn decode(input: &[u8], depth: usize) -> Option<(Cbor, &[u8])> {
    if depth > MAX_DEPTH {
        return None;
    }
    let (&first, rest) = input.split_first()?;
    let major = first >> 5;
    let info = first & 0x1f;
    if major == 7 {
        let item = match info {
            20 => Cbor::Bool(false),
            21 => Cbor::Bool(true),
            22 => Cbor::Null,
            _ => return None,
        };
        return Some((item, rest));
    }
    let (value, rest) = match info {
        0..=23 => (u64::from(info), rest),
        24..=27 => {
            let width = 1usize << (info - 24);
            let (bytes, rest) = take(rest, width)?;
            let value = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
            (value, rest)
        }
        // Indefinite lengths and reserved values: not in WebAuthn's canonical CBOR.
        _ => return None,
    };
    match major {
        0 => Some((Cbor::Unsigned(value), rest)),
        1 => Some((Cbor::Negative(value), rest)),
        2 | 3 => {
            let len = usize::try_from(value).ok()?;
            let (bytes, rest) = take(rest, len)?;
            let item = if major == 2 {
                Cbor::Bytes(bytes.to_vec())
            } else {
                Cbor::Text(String::from_utf8(bytes.to_vec()).ok()?)
            };
            Some((item, rest))
        }
        4 => {
            // Every item takes at least one byte: a count above what is left is malformed.
            let count = usize::try_from(value).ok().filter(|c| *c <= rest.len())?;
            let mut items = Vec::with_capacity(count);
            let mut rest = rest;
            for _ in 0..count {
                let (item, next) = decode(rest, depth + 1)?;
                items.push(item);
                rest = next;
            }
            Some((Cbor::Array(items), rest))
        }
        5 => {
            let count = usize::try_from(value)
                .ok()
                .filter(|c| c.saturating_mul(2) <= rest.len())?;
            let mut entries = Vec::with_capacity(count);
            let mut rest = rest;
            for _ in 0..count {
                let (key, next) = decode(rest, depth + 1)?;
                let (value, next) = decode(next, depth + 1)?;
                entries.push((key, value));
                rest = next;
            }
            Some((Cbor::Map(entries), rest))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::Cbor;

    #[test]
    fn round_trips_and_refuses_truncated_input() {
        let item = Cbor::Map(vec![
            (Cbor::int(1), Cbor::int(2)),
            (Cbor::int(-1), Cbor::int(1)),
            (Cbor::int(-2), Cbor::Bytes(vec![7; 32])),
            (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
            (
                Cbor::int(3),
                Cbor::Array(vec![Cbor::Bool(true), Cbor::Null]),
            ),
            (Cbor::int(70_000), Cbor::int(-300)),
        ]);
        let bytes = item.to_vec();
        assert_eq!(Cbor::decode(&bytes), Some(item));
        for cut in 0..bytes.len() {
            assert_eq!(Cbor::decode(&bytes[..cut]), None, "cut at {cut}");
        }
        // A huge declared length or count is refused, not allocated.
        assert_eq!(
            Cbor::decode(&[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            None
        );
        assert_eq!(
            Cbor::decode(&[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            None
        );
        // Deep nesting is refused.
        assert_eq!(Cbor::decode(&[0x81; 20]), None);
        // Trailing bytes are refused.
        assert_eq!(Cbor::decode(&[0x01, 0x01]), None);
    }
}
