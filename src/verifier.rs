//! The verifier: pure, `(token, key set, now) -> claims or error`. No I/O, no locks, no clock
//! reads of its own.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt;
use std::ops::Deref;

use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::claims::{Audience, CognitoClaims, TokenUse};
use crate::config::{AcceptTokenUse, CognitoConfig};
use crate::error::{Error, ErrorKind};
use crate::json::{BorrowedStr, Scanner, StrictIgnore, Typed, TypedSeed, set_once};
use crate::keys::{KeySet, MAX_KID_LEN, VerifyingKey};

/// Largest RSA signature accepted: 8192-bit keys.
const MAX_SIGNATURE_LEN: usize = 1024;
/// Decoded headers up to this size stay on the stack.
const HEADER_BUF_LEN: usize = 192;
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
/// Decoded payloads up to this size stay on the stack.
const PAYLOAD_BUF_LEN: usize = 2048;

/// Verifies Cognito tokens against a key set, with the rules of one [`CognitoConfig`].
///
/// This is what the layer runs for every request; use it directly to verify tokens outside an
/// HTTP stack (a WebSocket handshake, a queue consumer).
///
/// ```
/// use tower_cognito::{AcceptTokenUse, CognitoConfig, ErrorKind, KeySet, Verifier};
///
/// let config = CognitoConfig::builder("us-east-1_AbC123")
///     .client_id("client1")
///     .token_use(AcceptTokenUse::Access)
///     .build()?;
/// let verifier = Verifier::new(&config);
/// let err = verifier.verify("not.a.token", &KeySet::empty(), 1_700_000_000).unwrap_err();
/// assert_eq!(err.kind(), &ErrorKind::Malformed);
/// # Ok::<(), tower_cognito::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Verifier {
    config: CognitoConfig,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.config.issuer)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier with the rules of `config`.
    pub fn new(config: &CognitoConfig) -> Self {
        Self {
            config: config.clone(),
        }
    }

    /// The configuration whose rules this verifier applies.
    pub fn config(&self) -> &CognitoConfig {
        &self.config
    }

    /// Verifies `token` with the keys of `keys` at time `now` (seconds since the Unix epoch).
    ///
    /// Order: size cap, structure, header, key, signature, then the claims. Nothing of the
    /// payload is parsed before the signature has verified.
    ///
    /// # Errors
    /// An [`Error`] naming the first rule the token breaks. An empty key set gives
    /// [`ErrorKind::KeysUnavailable`].
    pub fn verify(&self, token: &str, keys: &KeySet, now: u64) -> Result<CognitoClaims, Error> {
        let (claims, _) = self.verify_parts(token, keys)?;
        self.check_time(&claims, now)?;
        Ok(claims)
    }

    /// Verifies everything that does not depend on the time: structure, header, key, signature,
    /// and the claim rules of [`check_identity`](Self::check_identity). Also gives the payload
    /// (for an application's own claims type). The time rules are [`check_time`](Self::check_time),
    /// which the layer runs on cache hits and misses alike.
    pub(crate) fn verify_parts<'t>(
        &self,
        token: &'t str,
        keys: &KeySet,
    ) -> Result<(CognitoClaims, Payload<'t>), ErrorKind> {
        let bytes = token.as_bytes();
        if bytes.len() > self.config.max_token_size {
            return Err(ErrorKind::TokenTooLarge);
        }
        let parts = split(bytes).ok_or(ErrorKind::Malformed)?;

        // The header an issuer writes for one of the keys, byte for byte, is valid and names that
        // key: nothing to decode nor parse. Any other header takes the full path.
        let key = match keys.by_header(parts.header) {
            Some(key) => Some(key),
            None => header_key(parts.header, keys)?,
        };
        let mut signature = [0u8; MAX_SIGNATURE_LEN];
        let len = b64::decode(parts.signature, &mut signature).ok_or(ErrorKind::Malformed)?;
        let signature = signature.get(..len).ok_or(ErrorKind::Malformed)?;
        // An RSA signature is exactly as long as the modulus: refused before the payload is
        // decoded, so a forged token costs no more than its header unless it reaches the RSA check.
        if key.is_some_and(|key| key.signature_len() != signature.len()) {
            return Err(ErrorKind::InvalidSignature);
        }
        // Decoded on the stack (a Cognito payload is about 1 KB); a larger one on the heap.
        let mut payload_buf = [0u8; PAYLOAD_BUF_LEN];
        let mut payload_heap = Vec::new();
        let payload = decode_into(parts.payload, &mut payload_buf, &mut payload_heap)?;

        // Only a well-formed token waits for keys (503); a malformed one could never verify (401).
        let key = key.ok_or(ErrorKind::KeysUnavailable)?;
        if !key.verify(parts.signing_input, signature) {
            return Err(ErrorKind::InvalidSignature);
        }

        let claims = CognitoClaims::from_payload(payload)?;
        self.check_identity(&claims)?;
        Ok((
            claims,
            Payload {
                encoded: parts.payload,
                decoded: OnceCell::new(),
            },
        ))
    }

    /// Every claim rule (identity, then time), on claims whose signature verified.
    #[cfg(fuzzing)]
    pub(crate) fn check(&self, c: &CognitoClaims, now: u64) -> Result<(), ErrorKind> {
        self.check_identity(c)?;
        self.check_time(c, now)
    }

    /// The claim rules that do not depend on the time: issuer, token use, app client.
    fn check_identity(&self, c: &CognitoClaims) -> Result<(), ErrorKind> {
        let cfg = &self.config;
        if !cfg.issuer_matches(&c.iss) {
            return Err(ErrorKind::InvalidIssuer);
        }
        match (cfg.token_use, c.token_use) {
            (AcceptTokenUse::Any, _)
            | (AcceptTokenUse::Access, TokenUse::Access)
            | (AcceptTokenUse::Id, TokenUse::Id) => {}
            _ => return Err(ErrorKind::TokenUseNotAccepted),
        }
        // Access tokens name their client in `client_id` (never fall back to `aud`); ID tokens in
        // a single-string `aud`.
        let client = match c.token_use {
            TokenUse::Access => c.client_id.as_deref(),
            TokenUse::Id => match &c.aud {
                Some(Audience::Single(aud)) => Some(aud.as_str()),
                _ => None,
            },
        };
        if !client.is_some_and(|id| cfg.clients.allows(id)) {
            return Err(ErrorKind::InvalidClient);
        }
        Ok(())
    }

    /// The time rules at `now`: `exp`, `nbf` and `iat`, with the leeway. The layer runs them on
    /// every request, cache hit or miss, so a token the verifier would reject at this instant is
    /// never let through by the cache (a clock that steps back included).
    #[inline]
    pub(crate) fn check_time(&self, c: &CognitoClaims, now: u64) -> Result<(), ErrorKind> {
        let cfg = &self.config;
        // Time claims are at most MAX_NUMERIC_DATE, so these sums cannot overflow; saturate anyway.
        let leeway = cfg.leeway;
        if now > c.exp.saturating_add(leeway) {
            return Err(ErrorKind::Expired { exp: c.exp, now });
        }
        let horizon = now.saturating_add(leeway);
        if let Some(nbf) = c.nbf.filter(|&nbf| nbf > horizon) {
            return Err(ErrorKind::NotYetValid { nbf, now });
        }
        if let Some(iat) = c.iat.filter(|&iat| iat > horizon) {
            return Err(ErrorKind::IssuedInFuture { iat, now });
        }
        Ok(())
    }
}

/// Decodes and parses a header, and finds its key. `None` with an empty key set (the caller
/// decides between 503 and 401); with keys loaded, an unknown `kid` is refused before anything
/// else is decoded.
fn header_key<'k>(segment: &[u8], keys: &'k KeySet) -> Result<Option<&'k VerifyingKey>, ErrorKind> {
    // A header is about 60 bytes: decoded on the stack, a longer one on the heap.
    // The cap is checked on the encoded length: an oversized header is not decoded at all.
    if b64::decoded_len(segment.len()).ok_or(ErrorKind::Malformed)? > MAX_HEADER_LEN {
        return Err(ErrorKind::InvalidHeader);
    }
    let mut buf = [0u8; HEADER_BUF_LEN];
    let mut heap = Vec::new();
    let header = decode_into(segment, &mut buf, &mut heap)?;
    let header = Header::parse(header)?;
    match keys.is_empty() {
        true => Ok(None),
        false => keys
            .get(&header.kid)
            .map(Some)
            .ok_or(ErrorKind::UnknownKeyId),
    }
}

/// The payload of a verified token, as bytes (`Deref<Target = [u8]>`), for an application's own
/// claims type. The verifier parses its claims from a copy decoded on the stack; most layers never
/// need the bytes again, so they are decoded again only on first use, never allocated otherwise.
pub(crate) struct Payload<'t> {
    encoded: &'t [u8],
    decoded: OnceCell<Vec<u8>>,
}

impl Deref for Payload<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // The segment decoded once already, so this never falls back to the empty default.
        self.decoded
            .get_or_init(|| decode(self.encoded).unwrap_or_default())
    }
}

/// The three segments of a compact JWS, and the signing input they share.
struct Parts<'a> {
    header: &'a [u8],
    payload: &'a [u8],
    signature: &'a [u8],
    signing_input: &'a [u8],
}

/// Exactly three non-empty segments.
fn split(token: &[u8]) -> Option<Parts<'_>> {
    let first = find_dot(token)?;
    let last = rfind_dot(token)?;
    let header = token.get(..first)?;
    let payload = token.get(first + 1..last)?;
    let signature = token.get(last + 1..)?;
    // A fourth segment has a dot inside the middle one.
    if header.is_empty() || payload.is_empty() || signature.is_empty() || any_dot(payload) {
        return None;
    }
    let signing_input = token.get(..last)?;
    Some(Parts {
        header,
        payload,
        signature,
        signing_input,
    })
}

/// Whether `bytes` hold a dot. No early exit, so the compiler makes it SIMD compares.
#[inline(always)]
fn any_dot(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |found, &b| found | (b == b'.'))
}

/// Position of the first dot, found 16 bytes at a time.
#[inline]
fn find_dot(bytes: &[u8]) -> Option<usize> {
    let mut skipped = 0;
    for chunk in bytes.chunks_exact(16) {
        if any_dot(chunk) {
            break;
        }
        skipped += 16;
    }
    let rest = bytes.get(skipped..)?;
    rest.iter().position(|&b| b == b'.').map(|i| skipped + i)
}

/// Position of the last dot, found 16 bytes at a time from the end.
#[inline]
fn rfind_dot(bytes: &[u8]) -> Option<usize> {
    let mut kept = bytes.len();
    for chunk in bytes.rchunks_exact(16) {
        if any_dot(chunk) {
            break;
        }
        kept -= 16;
    }
    bytes.get(..kept)?.iter().rposition(|&b| b == b'.')
}

/// Canonical base64url without padding (no `=`, `+`, `/`, whitespace, or stray trailing bits).
fn decode(segment: &[u8]) -> Result<Vec<u8>, ErrorKind> {
    let mut out = vec![0u8; b64::decoded_len(segment.len()).ok_or(ErrorKind::Malformed)?];
    b64::decode(segment, &mut out).ok_or(ErrorKind::Malformed)?;
    Ok(out)
}

/// Decodes into `buf` when the result fits, else into `heap`.
fn decode_into<'b>(
    segment: &[u8],
    buf: &'b mut [u8],
    heap: &'b mut Vec<u8>,
) -> Result<&'b [u8], ErrorKind> {
    let len = b64::decoded_len(segment.len()).ok_or(ErrorKind::Malformed)?;
    if len <= buf.len() {
        b64::decode(segment, buf).ok_or(ErrorKind::Malformed)?;
        return buf.get(..len).ok_or(ErrorKind::Malformed);
    }
    *heap = decode(segment)?;
    Ok(heap)
}

/// base64url (RFC 4648 §5) as JWS uses it: no padding, canonical trailing bits.
///
/// Decoded here rather than with the `base64` crate, which spends about 6.5 instructions per
/// character on these inputs against about 4 here, on the ~1 100 characters of every token: four
/// lookup tables, each already shifted to its place in a 24-bit group, turn four characters into
/// three bytes with four loads and three ORs, and an invalid character sets bits above the group,
/// checked once at the end rather than once per character. The unit tests check it against the
/// `base64` crate.
mod b64 {
    /// Set by an invalid character: above the 24 bits of a group.
    const INVALID: u32 = 0xFF00_0000;

    const fn sextet(b: u8) -> u32 {
        match b {
            b'A'..=b'Z' => (b - b'A') as u32,
            b'a'..=b'z' => (b - b'a') as u32 + 26,
            b'0'..=b'9' => (b - b'0') as u32 + 52,
            b'-' => 62,
            b'_' => 63,
            _ => INVALID,
        }
    }

    const fn table(shift: u32) -> [u32; 256] {
        let mut table = [INVALID; 256];
        let mut rest: &mut [u32] = &mut table;
        let mut byte: u8 = 0;
        while let [entry, tail @ ..] = rest {
            let s = sextet(byte);
            if s != INVALID {
                *entry = s << shift;
            }
            rest = tail;
            byte = byte.wrapping_add(1);
        }
        table
    }

    static T0: [u32; 256] = table(18);
    static T1: [u32; 256] = table(12);
    static T2: [u32; 256] = table(6);
    static T3: [u32; 256] = table(0);

    #[inline(always)]
    fn lookup(table: &[u32; 256], b: u8) -> u32 {
        // Never `None`: a `u8` indexes 256 entries (and the check compiles away).
        table.get(usize::from(b)).copied().unwrap_or(INVALID)
    }

    #[inline(always)]
    fn group(a: u8, b: u8, c: u8, d: u8) -> u32 {
        lookup(&T0, a) | lookup(&T1, b) | lookup(&T2, c) | lookup(&T3, d)
    }

    /// Decoded length of `len` characters; `None` for a length no encoding has (4n + 1).
    #[inline]
    pub(super) fn decoded_len(len: usize) -> Option<usize> {
        let whole = len / 4 * 3;
        match len % 4 {
            0 => Some(whole),
            2 => Some(whole + 1),
            3 => Some(whole + 2),
            _ => None,
        }
    }

    /// Decodes `input` into the start of `out`: the decoded length, or `None` when `input` is not
    /// canonical unpadded base64url or `out` is too short.
    pub(super) fn decode(input: &[u8], out: &mut [u8]) -> Option<usize> {
        let len = decoded_len(input.len())?;
        let out = out.get_mut(..len)?;
        // Eight characters make six bytes; `decoded_len` makes both counts of whole blocks equal.
        let (blocks, tail) = input.as_chunks::<8>();
        let (out_blocks, out_tail) = out.as_chunks_mut::<6>();
        let mut bad = 0;
        for ([a, b, c, d, e, f, g, h], dst) in blocks.iter().zip(out_blocks) {
            let high = group(*a, *b, *c, *d);
            let low = group(*e, *f, *g, *h);
            bad |= high | low;
            // Invalid bits of `low` may spoil the bytes, but then the whole decode fails.
            let [_, _, bytes @ ..] = (u64::from(high) << 24 | u64::from(low)).to_be_bytes();
            *dst = bytes;
        }
        // Up to seven characters: their bits, then the stray ones, which must be zero.
        let mut bits: u64 = 0;
        for &c in tail {
            let s = lookup(&T3, c);
            bad |= s;
            bits = bits << 6 | u64::from(s & 0x3F);
        }
        let stray = 6 * tail.len() - 8 * out_tail.len();
        if bits & ((1 << stray) - 1) != 0 {
            return None;
        }
        let bytes = (bits >> stray).to_be_bytes();
        out_tail.copy_from_slice(bytes.get(8 - out_tail.len()..)?);
        (bad & INVALID == 0).then_some(len)
    }
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
        // One UTF-8 check (invalid UTF-8 anywhere is invalid JSON), then the `str` readers.
        let json = std::str::from_utf8(json).map_err(|_| ErrorKind::InvalidHeader)?;
        match Self::parse_fast(json) {
            Some(header) => Ok(header),
            None => Self::parse_full(json),
        }
    }

    /// The fast path: a valid header within the subset [`Scanner`] reads that passes every rule
    /// (`alg` RS256, `typ` absent or JWT, no `crit`, a `kid` of the right size, no duplicate).
    /// `None` for anything else, which [`parse_full`](Self::parse_full) then parses from the
    /// start for the precise verdict.
    fn parse_fast(json: &'a str) -> Option<Self> {
        let mut sc = Scanner::new(json);
        let (mut alg, mut kid, mut typ) = (None, None, None);
        let mut others: Vec<Cow<'a, str>> = Vec::new();
        let mut members = 0;
        sc.members(b'{', b'}', |sc| {
            // Past the cap the full parser gives the verdict (it stops at the cap too).
            members += 1;
            if members > MAX_HEADER_MEMBERS {
                return None;
            }
            let key = sc.str()?;
            sc.eat(b':')?;
            let slot = match &*key {
                "alg" => &mut alg,
                "kid" => &mut kid,
                "typ" => &mut typ,
                "crit" => return None,
                _ => {
                    // Scalars only: a container (rare in a header) goes to the full parser.
                    sc.value(crate::json::FAST_MAX_DEPTH)?;
                    if others.contains(&key) {
                        return None;
                    }
                    others.push(key);
                    return Some(());
                }
            };
            // `Some(previous)`: a duplicate.
            slot.replace(sc.str()?).is_none().then_some(())
        })?;
        if !sc.at_end() || alg.as_deref() != Some("RS256") {
            return None;
        }
        if typ.is_some_and(|typ| !typ.eq_ignore_ascii_case("JWT")) {
            return None;
        }
        let kid = kid.filter(|kid| !kid.is_empty() && kid.len() <= MAX_KID_LEN)?;
        Some(Header { kid })
    }

    /// The full parser (serde_json), for any header.
    fn parse_full(json: &'a str) -> Result<Self, ErrorKind> {
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
        // duplicates: at most `MAX_HEADER_MEMBERS`, so a linear scan is the cheapest set and the
        // whole check is bounded (without the cap it would grow with the square of the members).
        let mut others: Vec<Cow<'de, str>> = Vec::new();
        let mut members = 0;
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
                    if others.contains(&key) {
                        return Err(de::Error::custom("duplicate member"));
                    }
                    map.next_value_seed(StrictIgnore)?;
                    others.push(key);
                }
            }
        }
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(json: &str) -> Result<String, ErrorKind> {
        Header::parse(json.as_bytes()).map(|h| h.kid.into_owned())
    }

    /// The fast path, when it decides, decides like the full parser.
    fn both(json: &[u8]) -> Option<bool> {
        let text = std::str::from_utf8(json).ok()?;
        let fast = Header::parse_fast(text)?.kid.into_owned();
        let full = Header::parse_full(text).map(|h| h.kid.into_owned());
        assert_eq!(Ok(fast), full, "{text}");
        Some(true)
    }

    #[test]
    fn header_fast_path_agrees_with_full_parser() {
        let bases = [
            r#"{"kid":"abc/DEF+ghi=","alg":"RS256"}"#,
            r#" { "alg" : "RS256" , "typ":"jwt", "kid":"k\/1", "x5u":"https://x", "n":-2, "t":true, "b":null } "#,
        ];
        // A container value is left to the full parser (it bounds the cost per value).
        let nested = r#"{"alg":"RS256","kid":"k","jwk":{"a":[1,-2,{}]}}"#;
        assert!(Header::parse_fast(nested).is_none());
        assert_eq!(header(nested).unwrap(), "k");
        for base in bases {
            assert_eq!(both(base.as_bytes()), Some(true), "{base}");
        }
        let alphabet = b"\"\\,:{}[] 0-.eEaAtTrufnlRS256JWTkidcrit\x01";
        let decided = bases
            .iter()
            .flat_map(|base| crate::json::single_byte_edits(base.as_bytes(), alphabet))
            .filter(|edited| both(edited).is_some())
            .count();
        assert!(decided > 300, "{decided}");
    }

    /// A header matched byte for byte is one the full path accepts, with the same `kid`.
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
            for encoded in crate::keys::usual_headers(kid).unwrap() {
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

    #[test]
    fn structure() {
        assert!(split(b"a.b.c").is_some());
        for bad in [
            &b"a.b"[..],
            b"a.b.c.d",
            b"a.b.c.d.e",
            b".b.c",
            b"a..c",
            b"a.b.",
            b"abc",
            b"",
        ] {
            assert!(split(bad).is_none(), "{bad:?}");
        }
        assert_eq!(split(b"ab.cd.ef").unwrap().signing_input, b"ab.cd");
        // Dots at every offset around the 8-byte words.
        for len in 3..40 {
            for i in 0..len {
                for j in i + 1..len {
                    let mut t = vec![b'x'; len];
                    t[i] = b'.';
                    t[j] = b'.';
                    let parts = split(&t);
                    assert_eq!(
                        parts.is_some(),
                        i > 0 && j > i + 1 && j < len - 1,
                        "{len} {i} {j}"
                    );
                    if let Some(p) = parts {
                        assert_eq!((p.header.len(), p.payload.len()), (i, j - i - 1));
                        assert_eq!((p.signature.len(), p.signing_input.len()), (len - j - 1, j));
                    }
                    assert_eq!(find_dot(&t), Some(i));
                    assert_eq!(rfind_dot(&t), Some(j));
                }
            }
            assert_eq!(find_dot(&vec![b'x'; len]), None);
            assert_eq!(rfind_dot(&vec![0xae; len]), None);
        }
        assert!(decode(b"eyJ=").is_err());
        assert!(decode(b"ab+c").is_err());
        assert!(decode(b"ab c").is_err());
        // "QR" has non-zero trailing bits where "QQ" is canonical for "A".
        assert!(decode(b"QQ").is_ok());
        assert!(decode(b"QR").is_err());
    }

    /// The decoder against the `base64` crate's canonical unpadded base64url.
    #[test]
    fn b64_matches_the_base64_crate() {
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut cases: Vec<Vec<u8>> = Vec::new();
        // Every string of up to three characters over a mixed alphabet, and longer ones.
        let alphabet = b"AQgw_-/+=.9az \x00\xff";
        let mut strings: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..3 {
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
            cases.extend(strings.iter().cloned());
        }
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for len in 0..80 {
            for _ in 0..50 {
                let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
                let mut text = URL_SAFE_NO_PAD.encode(&bytes).into_bytes();
                cases.push(text.clone());
                if !text.is_empty() {
                    // One character changed, anywhere.
                    let at = next() as usize % text.len();
                    text[at] = alphabet[next() as usize % alphabet.len()];
                    cases.push(text.clone());
                    text[at] = next() as u8;
                    cases.push(text);
                }
            }
        }
        for case in cases {
            let expected = URL_SAFE_NO_PAD.decode(&case).ok();
            let mut out = vec![0u8; case.len()];
            let got = b64::decode(&case, &mut out).map(|n| out[..n].to_vec());
            assert_eq!(got, expected, "{:?}", String::from_utf8_lossy(&case));
            assert_eq!(decode(&case).ok(), expected);
            if let Some(bytes) = expected {
                let mut exact = vec![0u8; bytes.len()];
                assert_eq!(b64::decode(&case, &mut exact), Some(bytes.len()));
                if !bytes.is_empty() {
                    let mut short = vec![0u8; bytes.len() - 1];
                    assert_eq!(b64::decode(&case, &mut short), None);
                }
            }
        }
    }
}
