//! An ALB signing key: the PEM the regional endpoint serves for one `kid`, a P-256
//! SubjectPublicKeyInfo, parsed once into a key that verifies ES256 signatures (raw `r||s`, 64
//! bytes: aws-lc-rs's `ECDSA_P256_SHA256_FIXED`, as AWS's own verifier reads them with
//! `dsaEncoding: "ieee-p1363"`).

use std::fmt;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Length of an ES256 signature: `r` and `s`, 32 bytes each.
pub(crate) const SIGNATURE_LEN: usize = 64;

const BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
const END: &str = "-----END PUBLIC KEY-----";

/// A P-256 public key ready to verify ES256 signatures.
pub(crate) struct AlbKey {
    key: ParsedPublicKey,
}

impl fmt::Debug for AlbKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlbKey").field("alg", &"ES256").finish()
    }
}

/// Why a key answer is not a usable ALB key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not one `PUBLIC KEY` PEM block of standard base64.
    #[error("not a PEM public key")]
    NotPem,
    /// A public key, but not a P-256 SubjectPublicKeyInfo (RSA, another curve, a bare point).
    #[error("not a P-256 SubjectPublicKeyInfo")]
    NotP256,
    /// A fixed key was given for a `kid` that is not a UUID (no token could name it).
    #[error("the kid is not a UUID")]
    NotUuid,
}

impl AlbKey {
    /// Parses `pem`: exactly one `-----BEGIN PUBLIC KEY-----` block (surrounding whitespace
    /// allowed), standard base64 inside (line breaks allowed), holding a DER
    /// SubjectPublicKeyInfo of an EC key on P-256.
    pub(crate) fn from_pem(pem: &[u8]) -> Result<Self, KeyError> {
        let text = std::str::from_utf8(pem)
            .map_err(|_| KeyError::NotPem)?
            .trim();
        let inner = text
            .strip_prefix(BEGIN)
            .and_then(|rest| rest.strip_suffix(END))
            .ok_or(KeyError::NotPem)?;
        let b64: String = inner.split_ascii_whitespace().collect();
        let der = STANDARD.decode(b64).map_err(|_| KeyError::NotPem)?;
        Self::from_spki_der(&der)
    }

    /// A DER SubjectPublicKeyInfo of a P-256 key. aws-lc also takes a bare SEC1 point; an SPKI
    /// is a DER SEQUENCE (`0x30`), a point starts with `0x02`-`0x04`, so only the former passes.
    pub(crate) fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        if der.first() != Some(&0x30) {
            return Err(KeyError::NotP256);
        }
        let key =
            ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, der).map_err(|_| KeyError::NotP256)?;
        Ok(Self { key })
    }

    /// Whether `signature` (raw `r||s`, exactly 64 bytes: DER is refused) is a valid ES256
    /// signature of `message`.
    #[inline]
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        signature.len() == SIGNATURE_LEN && self.key.verify_sig(message, signature).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P256_SHA256_FIXED_SIGNING,
        ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, KeyPair, RsaKeyPair,
    };

    use super::*;

    fn pem(der: &[u8]) -> String {
        let b64 = STANDARD.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!("{BEGIN}\n{}\n{END}\n", lines.join("\n"))
    }

    #[test]
    fn p256_spki_verifies_raw_signatures_only() {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let der = pair.public_key().as_der().unwrap();
        let key = AlbKey::from_pem(pem(der.as_ref()).as_bytes()).unwrap();
        let sig = pair.sign(&rng, b"msg").unwrap();
        assert_eq!(sig.as_ref().len(), SIGNATURE_LEN);
        assert!(key.verify(b"msg", sig.as_ref()));
        assert!(!key.verify(b"msh", sig.as_ref()));
        // The same key signing DER (ASN.1) signatures: refused, whatever its length.
        let der_pair = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            pair.to_pkcs8v1().unwrap().as_ref(),
        )
        .unwrap();
        let asn1 = der_pair.sign(&rng, b"msg").unwrap();
        assert!(!key.verify(b"msg", asn1.as_ref()));
        // A bare point is not an SPKI.
        assert_eq!(
            AlbKey::from_spki_der(pair.public_key().as_ref()).unwrap_err(),
            KeyError::NotP256
        );
    }

    #[test]
    fn other_keys_and_other_text_are_refused() {
        let p384 = EcdsaKeyPair::generate(&ECDSA_P384_SHA384_FIXED_SIGNING).unwrap();
        let der = p384.public_key().as_der().unwrap();
        assert_eq!(
            AlbKey::from_pem(pem(der.as_ref()).as_bytes()).unwrap_err(),
            KeyError::NotP256
        );
        let rsa = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let der = rsa.public_key().as_der().unwrap();
        assert_eq!(
            AlbKey::from_pem(pem(der.as_ref()).as_bytes()).unwrap_err(),
            KeyError::NotP256
        );
        for bad in [
            "",
            "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE",
            "-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----",
            "-----BEGIN RSA PUBLIC KEY-----\nAA==\n-----END RSA PUBLIC KEY-----",
        ] {
            assert_eq!(
                AlbKey::from_pem(bad.as_bytes()).unwrap_err(),
                KeyError::NotPem
            );
        }
        assert_eq!(AlbKey::from_pem(b"\xff\xfe").unwrap_err(), KeyError::NotPem);
    }
}
