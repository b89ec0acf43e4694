//! The server side of `USER_SRP_AUTH` (feature `test-util`, and the unit tests): what the
//! crate's in-memory user pool needs to really verify a client's proof. `PasswordVerifier` is what
//! sign-up stores, `SrpServer` makes `SRP_B` and checks the client's `PASSWORD_CLAIM_SIGNATURE`.

use core::fmt;

use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose;
use crypto_bigint::U3072;

use super::{
    DerivedKey, Fe, G, K, MAX_RANDOM_ATTEMPTS, MAX_SALT_HEX_LEN, MAX_USER_ID_LEN, PublicValue,
    Redacted, SecretExponent, SrpError, SrpParam, cap, claim_message, decode_secret_block,
    derive_key, parse_hex_number, parse_public_value, pool_name, private_key, push_hex, scrambler,
    to_hex_trimmed,
};

/// Longest accepted `TIMESTAMP`.
pub(super) const MAX_TIMESTAMP_LEN: usize = 64;
/// Longest accepted `PASSWORD_CLAIM_SIGNATURE` (a real one is 44 characters).
pub(super) const MAX_SIGNATURE_LEN: usize = 128;
/// Bytes of a salt made by [`PasswordVerifier::new`] (what Cognito uses).
const GENERATED_SALT_LEN: usize = 16;

/// What a user pool stores at sign-up: the salt and v = g^x mod N. Never the password.
#[derive(Clone)]
pub(crate) struct PasswordVerifier {
    pool_name: String,
    user_id_for_srp: String,
    salt_hex: String,
    pub(super) verifier: U3072,
}

impl fmt::Debug for PasswordVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordVerifier")
            .field("pool_name", &self.pool_name)
            .field("user_id_for_srp", &self.user_id_for_srp)
            .field("salt_hex", &self.salt_hex)
            .field("verifier", &Redacted)
            .finish()
    }
}

impl PasswordVerifier {
    /// A verifier with a fresh random 16-byte salt. `user_id_for_srp` is what the challenge
    /// will carry as `USER_ID_FOR_SRP` (Cognito uses the user name, or the `sub` for pools
    /// with alias sign-in).
    pub(crate) fn new(
        user_pool_id: &str,
        user_id_for_srp: &str,
        password: &str,
    ) -> Result<Self, SrpError> {
        let mut salt = [0u8; GENERATED_SALT_LEN];
        SystemRandom::new()
            .fill(&mut salt)
            .map_err(|_| SrpError::Random)?;
        // Lower-case hex of the 16 bytes, leading zeros dropped: the salt as a number, the
        // way a client will read it.
        let mut salt_hex = String::with_capacity(2 * GENERATED_SALT_LEN);
        push_hex(&mut salt_hex, &salt);
        let trimmed = salt_hex.trim_start_matches('0');
        let salt_hex = if trimmed.is_empty() { "0" } else { trimmed }.to_owned();
        Self::with_salt(user_pool_id, user_id_for_srp, password, &salt_hex)
    }

    /// A verifier with a given salt (hex, read as a number like the client reads `SALT`).
    pub(crate) fn with_salt(
        user_pool_id: &str,
        user_id_for_srp: &str,
        password: &str,
        salt_hex: &str,
    ) -> Result<Self, SrpError> {
        let pool_name = pool_name(user_pool_id)?;
        cap(user_id_for_srp, SrpParam::UserIdForSrp, MAX_USER_ID_LEN)?;
        let salt = parse_hex_number(salt_hex, SrpParam::Salt, MAX_SALT_HEX_LEN)?;
        let x = private_key(pool_name, user_id_for_srp, password, &salt);
        Ok(Self {
            pool_name: pool_name.to_owned(),
            user_id_for_srp: user_id_for_srp.to_owned(),
            salt_hex: salt_hex.to_owned(),
            verifier: G.pow(&x).retrieve(),
        })
    }

    /// The verifier of a remembered device, from what `ConfirmDevice` sent
    /// (`DeviceSecretVerifierConfig`: base64 of padHex(salt) and of padHex(v)): the device group
    /// key takes the pool name's place and the device key the user id's. The salt is kept as the
    /// hex of its bytes (what `SALT` carries); v must be in [1, N).
    pub(crate) fn from_device_config(
        device_group_key: &str,
        device_key: &str,
        salt_b64: &str,
        verifier_b64: &str,
    ) -> Result<Self, SrpError> {
        use crypto_bigint::U3072;

        cap(device_group_key, SrpParam::UserPoolId, MAX_USER_ID_LEN)?;
        cap(device_key, SrpParam::UserIdForSrp, MAX_USER_ID_LEN)?;
        cap(salt_b64, SrpParam::Salt, MAX_SALT_HEX_LEN)?;
        cap(verifier_b64, SrpParam::SrpA, 1024)?;
        let salt = general_purpose::STANDARD
            .decode(salt_b64)
            .map_err(|_| SrpError::InvalidBase64(SrpParam::Salt))?;
        if salt.is_empty() {
            return Err(SrpError::InvalidHex(SrpParam::Salt));
        }
        let verifier = general_purpose::STANDARD
            .decode(verifier_b64)
            .map_err(|_| SrpError::InvalidBase64(SrpParam::SrpA))?;
        let first = verifier
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(verifier.len());
        let minimal = verifier.get(first..).unwrap_or_default();
        let mut buf = [0u8; U3072::BYTES];
        if minimal.is_empty() || minimal.len() > buf.len() {
            return Err(SrpError::OutOfRange(SrpParam::SrpA));
        }
        super::right_align(&mut buf, minimal);
        let v = U3072::from_be_slice(&buf);
        // v < N: reducing it changes nothing.
        if Fe::new(&v).retrieve() != v {
            return Err(SrpError::OutOfRange(SrpParam::SrpA));
        }
        let mut salt_hex = String::with_capacity(2 * salt.len());
        push_hex(&mut salt_hex, &salt);
        Ok(Self {
            pool_name: device_group_key.to_owned(),
            user_id_for_srp: device_key.to_owned(),
            salt_hex,
            verifier: v,
        })
    }

    /// `SALT` for the challenge.
    pub(crate) fn salt_hex(&self) -> &str {
        &self.salt_hex
    }

    /// `USER_ID_FOR_SRP` for the challenge.
    #[cfg(test)]
    pub(crate) fn user_id_for_srp(&self) -> &str {
        &self.user_id_for_srp
    }

    /// Whether `password` gives this verifier (for `USER_PASSWORD_AUTH`): v is recomputed from
    /// the password and the stored salt and compared in constant time.
    #[cfg(feature = "test-util")]
    pub(crate) fn matches_password(&self, password: &str) -> bool {
        use crypto_bigint::CtEq as _;

        // The salt was parsed when the verifier was made, so it parses again.
        let Ok(salt) = parse_hex_number(&self.salt_hex, SrpParam::Salt, MAX_SALT_HEX_LEN) else {
            return false;
        };
        let x = private_key(&self.pool_name, &self.user_id_for_srp, password, &salt);
        let candidate = G.pow(&x).retrieve();
        bool::from(candidate.ct_eq(&self.verifier))
    }
}

/// The server's side of one exchange: made when `InitiateAuth` brings `SRP_A`, kept until
/// `RespondToAuthChallenge` brings the claim.
pub(crate) struct SrpServer {
    pool_name: String,
    user_id_for_srp: String,
    big_b: U3072,
    /// padHex(S) and padHex(u) are all the claim check needs: the key is derived up front.
    pub(super) key: DerivedKey,
}

impl fmt::Debug for SrpServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrpServer")
            .field("pool_name", &self.pool_name)
            .field("user_id_for_srp", &self.user_id_for_srp)
            .field("srp_b", &PublicValue(&self.big_b))
            .field("key", &Redacted)
            .finish()
    }
}

impl SrpServer {
    /// Starts an exchange for `verifier` with the client's `SRP_A`, drawing a random b.
    /// Refuses A ≡ 0 mod N.
    pub(crate) fn new(verifier: &PasswordVerifier, srp_a_hex: &str) -> Result<Self, SrpError> {
        let big_a = parse_client_value(srp_a_hex)?;
        for _ in 0..MAX_RANDOM_ATTEMPTS {
            let b = SecretExponent::random()?;
            match Self::start(verifier, &big_a, &b) {
                // B ≡ 0 or u = 0 for this b: draw again (never happens in practice).
                Err(SrpError::ZeroModN(SrpParam::SrpB) | SrpError::ZeroScrambler) => {}
                other => return other,
            }
        }
        Err(SrpError::ZeroScrambler)
    }

    /// Same with a fixed b (big-endian, 1 to 128 bytes): for tests only.
    #[cfg(test)]
    pub(crate) fn with_secret_b(
        verifier: &PasswordVerifier,
        srp_a_hex: &str,
        b: &[u8],
    ) -> Result<Self, SrpError> {
        let big_a = parse_client_value(srp_a_hex)?;
        Self::start(verifier, &big_a, &SecretExponent::from_be_bytes(b)?)
    }

    fn start(
        verifier: &PasswordVerifier,
        big_a: &U3072,
        b: &SecretExponent,
    ) -> Result<Self, SrpError> {
        let v = Fe::new(&verifier.verifier);
        // B = k·v + g^b mod N.
        let big_b = (K * v + G.pow(&b.0)).retrieve();
        if big_b == U3072::ZERO {
            return Err(SrpError::ZeroModN(SrpParam::SrpB));
        }
        let u = scrambler(big_a, &big_b)?;
        // S = (A · v^u)^b mod N.
        let s = (Fe::new(big_a) * v.pow(&u)).pow(&b.0).retrieve();
        Ok(Self {
            pool_name: verifier.pool_name.clone(),
            user_id_for_srp: verifier.user_id_for_srp.clone(),
            big_b,
            key: derive_key(&s, &u),
        })
    }

    /// `SRP_B` for the challenge: lower-case hex without leading zeros.
    pub(crate) fn srp_b_hex(&self) -> String {
        to_hex_trimmed(&self.big_b)
    }

    /// Checks the client's `PASSWORD_CLAIM_SIGNATURE` over the `PASSWORD_CLAIM_SECRET_BLOCK`
    /// and `TIMESTAMP` it sent, in constant time. The caller still checks that the secret block
    /// is the one it issued and that the timestamp is recent.
    pub(crate) fn verify_claim(
        &self,
        secret_block_b64: &str,
        timestamp: &str,
        signature_b64: &str,
    ) -> Result<(), SrpError> {
        cap(timestamp, SrpParam::Timestamp, MAX_TIMESTAMP_LEN)?;
        cap(signature_b64, SrpParam::Signature, MAX_SIGNATURE_LEN)?;
        let secret_block = decode_secret_block(secret_block_b64)?;
        let signature = general_purpose::STANDARD
            .decode(signature_b64)
            .map_err(|_| SrpError::InvalidBase64(SrpParam::Signature))?;
        let message = claim_message(
            &self.pool_name,
            &self.user_id_for_srp,
            &secret_block,
            timestamp,
        );
        hmac::verify(&self.key.hmac_key(), &message, &signature)
            .map_err(|_| SrpError::SignatureMismatch)
    }
}

/// Parses `SRP_A` on the server, refusing A ≡ 0 mod N.
fn parse_client_value(srp_a_hex: &str) -> Result<U3072, SrpError> {
    let big_a = parse_public_value(srp_a_hex, SrpParam::SrpA)?;
    if Fe::new(&big_a).retrieve() == U3072::ZERO {
        return Err(SrpError::ZeroModN(SrpParam::SrpA));
    }
    Ok(big_a)
}
