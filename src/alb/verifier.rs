//! The rules of an `x-amzn-oidc-data` token, pure (token, key, now → claims or error): first
//! every rule the header allows before any key is looked up or fetched ([`AlbVerifier::check`]),
//! then the signature and the payload's rules ([`AlbVerifier::finish`]).

use serde_json::{Map, Value};

use crate::error::ErrorKind;
use crate::jws;

use super::claims::AlbClaims;
use super::config::AlbConfig;
use super::format;
use super::key::AlbKey;

/// The rules of one configuration: the load balancers, app clients and issuer it accepts, and
/// the clock skew allowed on `exp`.
#[derive(Debug, Clone)]
pub(crate) struct AlbVerifier {
    signers: Box<[Box<str>]>,
    client_ids: Box<[Box<str>]>,
    issuer: Box<str>,
    leeway: u64,
}

/// A token whose header passed every rule: what the key lookup and [`AlbVerifier::finish`] need.
#[derive(Debug)]
pub(crate) struct Checked<'t> {
    /// The header's `kid`, a UUID ([`is_uuid`]).
    pub(crate) kid: String,
    signing_input: &'t [u8],
    payload: &'t [u8],
    signature: &'t [u8],
    signer: String,
    client: String,
    iss: String,
    exp: u64,
}

impl AlbVerifier {
    pub(crate) fn new(config: &AlbConfig) -> Self {
        Self {
            signers: config.signers.clone(),
            client_ids: config.client_ids.clone(),
            issuer: config.issuer.clone(),
            leeway: config.leeway,
        }
    }

    /// The structure (three segments, the ALB's padding) and the header's rules, in this order:
    /// `alg` exactly `ES256`; `typ`, when present, `JWT`; no `crit`; `kid` a UUID; `signer` one
    /// of the configured ARNs (exact string); `client` one of the configured app clients; `iss`
    /// the configured issuer; `exp` a number, not past (with the leeway). Nothing here depends on
    /// a key, so a token that fails costs no fetch.
    pub(crate) fn check<'t>(&self, token: &'t [u8], now: u64) -> Result<Checked<'t>, ErrorKind> {
        let parts = jws::split(token).ok_or(ErrorKind::Malformed)?;
        let header = format::header(parts.header)?;
        match header.get("alg") {
            Some(Value::String(alg)) if alg == "ES256" => {}
            _ => return Err(ErrorKind::UnsupportedAlgorithm),
        }
        match header.get("typ") {
            None => {}
            Some(Value::String(typ)) if typ.eq_ignore_ascii_case("JWT") => {}
            Some(_) => return Err(ErrorKind::InvalidType),
        }
        if header.contains_key("crit") {
            return Err(ErrorKind::CriticalHeader);
        }
        let kid = match string(&header, "kid") {
            Some(kid) if is_uuid(kid) => kid.to_owned(),
            _ => return Err(ErrorKind::MissingKeyId),
        };
        let signer = string(&header, "signer")
            .filter(|s| self.signers.iter().any(|a| **a == **s))
            .ok_or(ErrorKind::InvalidSigner)?;
        let client = string(&header, "client")
            .filter(|c| self.client_ids.iter().any(|a| **a == **c))
            .ok_or(ErrorKind::InvalidClient)?;
        let iss = string(&header, "iss")
            .filter(|i| **i == *self.issuer)
            .ok_or(ErrorKind::InvalidIssuer)?;
        let exp = match header.get("exp") {
            None => return Err(ErrorKind::MissingExpiry),
            Some(exp) => exp.as_u64().ok_or(ErrorKind::InvalidHeader)?,
        };
        self.not_expired(exp, now)?;
        Ok(Checked {
            kid,
            signing_input: parts.signing_input,
            payload: parts.payload,
            signature: parts.signature,
            signer: signer.to_owned(),
            client: client.to_owned(),
            iss: iss.to_owned(),
            exp,
        })
    }

    /// The signature under `key` over the received `header.payload` (padding included): raw
    /// `r||s`, 64 bytes; then the payload: a JSON object with a string `sub`, its `iss`, when
    /// present, the header's, and its `exp`, when present, a number not past.
    pub(crate) fn finish(
        &self,
        checked: Checked<'_>,
        key: &AlbKey,
        now: u64,
    ) -> Result<AlbClaims, ErrorKind> {
        let signature = format::decode(checked.signature)?;
        if !key.verify(checked.signing_input, &signature) {
            return Err(ErrorKind::InvalidSignature);
        }
        let claims = format::payload(checked.payload)?;
        let sub = string(&claims, "sub")
            .filter(|s| !s.is_empty())
            .ok_or(ErrorKind::InvalidClaims)?
            .to_owned();
        match claims.get("iss") {
            None => {}
            Some(Value::String(iss)) if *iss == checked.iss => {}
            Some(_) => return Err(ErrorKind::InvalidIssuer),
        }
        if let Some(exp) = claims.get("exp") {
            self.not_expired(exp.as_u64().ok_or(ErrorKind::InvalidClaims)?, now)?;
        }
        Ok(AlbClaims {
            sub,
            iss: checked.iss,
            client: checked.client,
            signer: checked.signer,
            exp: checked.exp,
            claims,
        })
    }

    fn not_expired(&self, exp: u64, now: u64) -> Result<(), ErrorKind> {
        if now > exp.saturating_add(self.leeway) {
            return Err(ErrorKind::Expired { exp, now });
        }
        Ok(())
    }
}

fn string<'m>(map: &'m Map<String, Value>, name: &str) -> Option<&'m str> {
    map.get(name).and_then(Value::as_str)
}

/// `8-4-4-4-12` hexadecimal digits, either case: the only `kid` that enters the key URL (AWS's
/// verifier checks `/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i`,
/// awslabs/aws-jwt-verify `src/alb-cache.ts`). With it, no `/`, `.`, `%` or anything else a URL
/// gives a meaning to can reach the path.
pub(crate) fn is_uuid(kid: &str) -> bool {
    let groups = [8, 4, 4, 4, 12];
    let mut parts = kid.split('-');
    groups.iter().all(|&len| {
        parts
            .next()
            .is_some_and(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_hexdigit()))
    }) && parts.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_shape() {
        for ok in [
            "0e0b9b8a-2c8f-4d31-9f6b-8f2d5c1e3a7b",
            "0E0B9B8A-2C8F-4D31-9F6B-8F2D5C1E3A7B",
            "00000000-0000-0000-0000-000000000000",
        ] {
            assert!(is_uuid(ok), "{ok}");
        }
        for bad in [
            "",
            "../x",
            "%2e%2e",
            "0e0b9b8a-2c8f-4d31-9f6b-8f2d5c1e3a7b0",
            "0e0b9b8a-2c8f-4d31-9f6b-8f2d5c1e3a7",
            "0e0b9b8a2c8f-4d31-9f6b-8f2d5c1e3a7b-",
            "0e0b9b8a-2c8f-4d31-9f6b-8f2d5c1e3a7g",
            "0e0b9b8a-2c8f-4d31-9f6b-8f2d5c1e3a7b-0",
            "0e0b9b8a-2c8f-4d31-9f6b-8f2d5c1e3a/b",
            "+e0b9b8a-2c8f-4d31-9f6b-8f2d5c1e3a7b",
        ] {
            assert!(!is_uuid(bad), "{bad}");
        }
    }
}
