//! `USER_SRP_AUTH`: the SRP-6a computation of Amazon Cognito user pools, exactly as
//! amazon-cognito-identity-js does it (the reference client that real Cognito verifies).
//!
//! Client side, public: [`SrpClient`] makes `SRP_A` for `InitiateAuth` and answers the
//! `PASSWORD_VERIFIER` challenge with a [`PasswordClaim`] for `RespondToAuthChallenge`.
//! [`UserPoolClient::sign_in_srp`](crate::UserPoolClient::sign_in_srp) runs it for you; use it
//! directly when you call Cognito another way, e.g. with the official AWS SDK (which has
//! `InitiateAuth` and `RespondToAuthChallenge` but no SRP): pass `SRP_A` in `AuthParameters`,
//! then the claim's [`signature`](PasswordClaim::signature),
//! [`secret_block`](PasswordClaim::secret_block), [`timestamp`](PasswordClaim::timestamp) and
//! [`username`](PasswordClaim::username) as `PASSWORD_CLAIM_SIGNATURE`,
//! `PASSWORD_CLAIM_SECRET_BLOCK`, `TIMESTAMP` and `USERNAME` in `ChallengeResponses`.
//!
//! The server side, which the crate's in-memory test user pool needs to really verify a proof,
//! is compiled only with the `test-util` feature and is not public.
//!
//! The math (H = SHA-256, `padHex(x)` = big-endian bytes of x without leading zero bytes, one
//! `00` byte prepended when the top bit is set, `00` for zero):
//! - N = the RFC 5054 3072-bit prime, g = 2, k = H(padHex(N) | padHex(g)) (g as the byte `02`).
//! - A = g^a mod N (a: 128 random bytes), sent as lower-case hex without leading zeros.
//! - u = H(padHex(A) | padHex(B)); x = H(padHex(salt) | H(poolName | userIdForSrp | ":" | password)).
//! - S = (B - k·g^x)^(a + u·x) mod N; key = HKDF-SHA256(ikm = padHex(S), salt = padHex(u),
//!   info = "Caldera Derived Key")[..16].
//! - signature = base64(HMAC-SHA256(key, poolName | userIdForSrp | base64decode(`SECRET_BLOCK`) | `TIMESTAMP`)).
//!
//! `SECRET_BLOCK` is decoded as the reference client decodes it on Node (`Buffer.from(s,
//! 'base64')`: lenient, so the UUID an emulator sends decodes too) and sent back unchanged.
//!
//! `SALT` and `SRP_B` are read as numbers (`new BigInteger(hex, 16)` in the JS client): odd lengths,
//! upper case and redundant leading zeros are accepted, and padHex is applied to the value. The
//! unreduced B goes into u; B mod N goes into S.
//!
//! Side channels: every exponentiation with a secret exponent (a, x, b, a + u·x) uses
//! crypto-bigint's constant-time Montgomery ladder over a fixed exponent width
//! ([`ConstMontyForm::pow`] / `pow_bounded_exp` with a constant bound). The byte length of
//! padHex(S) (a hash input) necessarily depends on S, as in every Cognito client.

use core::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use aws_lc_rs::{digest, hmac};
use base64::Engine as _;
use base64::engine::general_purpose;
use crypto_bigint::modular::{ConstMontyForm, ConstMontyParams, FixedMontyParams};
use crypto_bigint::{Odd, U256, U512, U1024, U1280, U3072, Uint};
use tower_cognito::UserPoolId;

mod device;
#[cfg(any(test, feature = "test-util"))]
mod server;
pub use device::DeviceVerifierConfig;
#[cfg(any(test, feature = "test-util"))]
pub(crate) use server::{PasswordVerifier, SrpServer};

// ---------------------------------------------------------------------------------------------
// Limits on everything that comes from the network (checked before any parsing).

/// Longest accepted `SRP_B` / `SRP_A` hex string (a 3072-bit value is 768 digits; leading
/// zeros are tolerated up to this length).
const MAX_SRP_HEX_LEN: usize = 1024;
/// Longest accepted `SALT` hex string (Cognito's salts are 16 bytes, 32 digits).
const MAX_SALT_HEX_LEN: usize = 512;
/// Longest accepted `SECRET_BLOCK` (base64 text; Cognito's are about 1-2 KiB).
const MAX_SECRET_BLOCK_LEN: usize = 16 * 1024;
/// Longest accepted `USER_ID_FOR_SRP` / `USERNAME`, in bytes (Cognito's limit is 128 characters).
const MAX_USER_ID_LEN: usize = 1024;
/// Longest accepted user pool id (Cognito's limit is 55 characters).
const MAX_USER_POOL_ID_LEN: usize = 128;

/// Bytes of the secret exponents a and b.
const SECRET_EXPONENT_LEN: usize = 128;
/// Attempts at drawing a usable random a or b before giving up (one always succeeds in practice).
const MAX_RANDOM_ATTEMPTS: usize = 8;
/// Bit width bounding the exponent a + u·x (a < 2^1024, u·x < 2^512): a public constant, so
/// `pow_bounded_exp` with it stays constant-time.
const CLIENT_EXPONENT_BITS: u32 = 1025;

const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);

/// k = H(padHex(N) | padHex(g)), checked against the hash in the tests.
const K_HEX: &str = "538282c4354742d7cbbde2359fcf67f9f5b3a6b08791e5011b43b8a5b66d9ee6";

const DERIVED_KEY_INFO: &[u8] = b"Caldera Derived Key\x01";

/// The RFC 5054 3072-bit group as a compile-time Montgomery modulus.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Rfc5054Group3072;

impl ConstMontyParams<{ U3072::LIMBS }> for Rfc5054Group3072 {
    const LIMBS: usize = U3072::LIMBS;
    // N is public: the variable-time setup runs once, at compile time.
    const PARAMS: FixedMontyParams<{ U3072::LIMBS }> =
        FixedMontyParams::new_vartime(Odd::<U3072>::from_be_hex(N_HEX));
}

/// An element of Z/NZ in Montgomery form.
type Fe = ConstMontyForm<Rfc5054Group3072, { U3072::LIMBS }>;

const G: Fe = Fe::new(&U3072::from_u8(2));
const K: Fe = Fe::new(&U256::from_be_hex(K_HEX).resize::<{ U3072::LIMBS }>());

// ---------------------------------------------------------------------------------------------
// Errors

/// A challenge or request parameter named in an [`SrpError`] (wire names in `Display`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SrpParam {
    /// The user pool id (or the pool name taken from it).
    UserPoolId,
    /// `SRP_A`.
    SrpA,
    /// `SRP_B`.
    SrpB,
    /// `SALT`.
    Salt,
    /// `SECRET_BLOCK` / `PASSWORD_CLAIM_SECRET_BLOCK`.
    SecretBlock,
    /// `USER_ID_FOR_SRP`.
    UserIdForSrp,
    /// `USERNAME`.
    Username,
    /// `TIMESTAMP`.
    Timestamp,
    /// `PASSWORD_CLAIM_SIGNATURE`.
    Signature,
}

impl fmt::Display for SrpParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UserPoolId => "user pool id",
            Self::SrpA => "SRP_A",
            Self::SrpB => "SRP_B",
            Self::Salt => "SALT",
            Self::SecretBlock => "SECRET_BLOCK",
            Self::UserIdForSrp => "USER_ID_FOR_SRP",
            Self::Username => "USERNAME",
            Self::Timestamp => "TIMESTAMP",
            Self::Signature => "PASSWORD_CLAIM_SIGNATURE",
        })
    }
}

/// Why an SRP step failed. Messages name the parameter, never its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SrpError {
    /// The user pool id is not `<region>_<name>` (exactly one `_`, both parts non-empty).
    #[error("the user pool id is not of the form `<region>_<name>`")]
    InvalidUserPoolId,
    /// A parameter is longer than its cap.
    #[error("{param} is longer than {max} bytes")]
    TooLong {
        /// The parameter.
        param: SrpParam,
        /// Its cap, in bytes.
        max: usize,
    },
    /// A hex parameter is empty or has a character other than `0-9a-fA-F`.
    #[error("{0} is not a hexadecimal number")]
    InvalidHex(SrpParam),
    /// A hex number does not fit in 3072 bits.
    #[error("{0} does not fit in 3072 bits")]
    OutOfRange(SrpParam),
    /// A base64 parameter does not decode (`PASSWORD_CLAIM_SIGNATURE` on the server side;
    /// `SECRET_BLOCK` always decodes, leniently, as the reference client reads it).
    #[error("{0} is not valid base64")]
    InvalidBase64(SrpParam),
    /// A public value (`SRP_A` or `SRP_B`) is 0 mod N: the exchange must be refused.
    #[error("{0} is zero modulo N")]
    ZeroModN(SrpParam),
    /// u = H(padHex(A) | padHex(B)) is zero: the exchange must be refused.
    #[error("the SRP scrambling parameter u is zero")]
    ZeroScrambler,
    /// A fixed secret exponent is empty or longer than 128 bytes.
    #[error("the secret exponent must be 1 to 128 bytes long")]
    InvalidSecretExponent,
    /// The system random number generator failed.
    #[error("the system random number generator failed")]
    Random,
    /// The password claim signature does not verify (wrong password, or tampered values).
    #[error("the password claim signature does not match")]
    SignatureMismatch,
}

// ---------------------------------------------------------------------------------------------
// Client

/// The client's side of one `USER_SRP_AUTH` exchange: keep it from `InitiateAuth` to
/// `RespondToAuthChallenge` (the same a must answer the challenge).
///
/// [`UserPoolClient::sign_in_srp`](super::UserPoolClient::sign_in_srp) runs it for you; it is
/// public for applications that call Cognito another way (the AWS SDK has the operations but no
/// SRP):
///
/// ```
/// use tower_cognito_client::srp::{PasswordVerifierChallenge, SrpClient, cognito_timestamp};
///
/// let srp = SrpClient::new("us-west-2_abc")?;
/// let srp_a = srp.srp_a_hex(); // InitiateAuth's AuthParameters.SRP_A
/// # let _ = srp_a;
/// // The PASSWORD_VERIFIER challenge's parameters, as Cognito sent them:
/// let challenge = PasswordVerifierChallenge::new(
///     "36ef01c6dde9fe503da333b1acc758ba", // SALT
///     "36ef01c6dde9fe503da333b1acc758ba", // SRP_B
///     "c2VjcmV0IGJsb2Nr",                 // SECRET_BLOCK
///     "user_id",                          // USER_ID_FOR_SRP
///     "user_id",                          // USERNAME
/// );
/// let claim = srp.password_claim(&challenge, "password", &cognito_timestamp(1_739_212_212))?;
/// assert_eq!(claim.timestamp(), "Mon Feb 10 18:30:12 UTC 2025");
/// assert_eq!(claim.username(), "user_id");
/// # Ok::<(), tower_cognito_client::SrpError>(())
/// ```
pub struct SrpClient {
    pool_name: String,
    a: SecretExponent,
    big_a: U3072,
}

impl fmt::Debug for SrpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrpClient")
            .field("pool_name", &self.pool_name)
            .field("a", &self.a)
            .field("srp_a", &PublicValue(&self.big_a))
            .finish()
    }
}

impl SrpClient {
    /// A client for the user pool `user_pool_id` (`us-west-2_abc`), with a fresh random a.
    ///
    /// # Errors
    /// [`SrpError`] for a pool id without `_`, or when no randomness is available.
    pub fn new(user_pool_id: &str) -> Result<Self, SrpError> {
        Self::for_pool_name(pool_name(user_pool_id)?)
    }

    /// Same, with the pool name given directly (the part of the pool id after its `_`, as
    /// the client's validated configuration has it).
    pub(crate) fn for_pool_name(pool_name: &str) -> Result<Self, SrpError> {
        cap(pool_name, SrpParam::UserPoolId, MAX_USER_POOL_ID_LEN)?;
        let pool_name = pool_name.to_owned();
        for _ in 0..MAX_RANDOM_ATTEMPTS {
            let a = SecretExponent::random()?;
            if let Some(big_a) = public_value(&a) {
                return Ok(Self {
                    pool_name,
                    a,
                    big_a,
                });
            }
        }
        Err(SrpError::ZeroModN(SrpParam::SrpA))
    }

    /// A client with a fixed a (big-endian, 1 to 128 bytes): for test vectors only.
    #[cfg(test)]
    pub(crate) fn with_secret_a(user_pool_id: &str, a: &[u8]) -> Result<Self, SrpError> {
        Self::with_pool_name(pool_name(user_pool_id)?, a)
    }

    /// Same, with the pool name given directly (device SRP uses the device group key here).
    #[cfg(test)]
    fn with_pool_name(pool_name: &str, a: &[u8]) -> Result<Self, SrpError> {
        let a = SecretExponent::from_be_bytes(a)?;
        let big_a = public_value(&a).ok_or(SrpError::ZeroModN(SrpParam::SrpA))?;
        Ok(Self {
            pool_name: pool_name.to_owned(),
            a,
            big_a,
        })
    }

    /// `SRP_A` for `InitiateAuth`: A as lower-case hex without leading zeros.
    pub fn srp_a_hex(&self) -> String {
        to_hex_trimmed(&self.big_a)
    }

    /// Answers a `PASSWORD_VERIFIER` challenge. `timestamp` is what goes into `TIMESTAMP`,
    /// normally [`cognito_timestamp`] of the current time.
    ///
    /// # Errors
    /// [`SrpError`] for an input over its length cap or not hex, a `B` that is 0 mod N,
    /// or a scrambler `u` of 0.
    pub fn password_claim(
        &self,
        challenge: &PasswordVerifierChallenge<'_>,
        password: &str,
        timestamp: &str,
    ) -> Result<PasswordClaim, SrpError> {
        cap(
            challenge.user_id_for_srp,
            SrpParam::UserIdForSrp,
            MAX_USER_ID_LEN,
        )?;
        cap(challenge.username, SrpParam::Username, MAX_USER_ID_LEN)?;
        let secret_block = decode_secret_block(challenge.secret_block_b64)?;
        let salt = parse_hex_number(challenge.salt_hex, SrpParam::Salt, MAX_SALT_HEX_LEN)?;
        let big_b = parse_srp_b(challenge.srp_b_hex)?;
        let b_mod_n = Fe::new(&big_b);
        if b_mod_n.retrieve() == U3072::ZERO {
            return Err(SrpError::ZeroModN(SrpParam::SrpB));
        }
        let u = scrambler(&self.big_a, &big_b)?;
        let x = private_key(&self.pool_name, challenge.user_id_for_srp, password, &salt);

        let s = client_premaster_secret(&self.a, &b_mod_n, &u, &x);
        let key = derive_key(&s, &u);
        let signature = claim_signature(
            &key,
            &self.pool_name,
            challenge.user_id_for_srp,
            &secret_block,
            timestamp,
        );
        Ok(PasswordClaim {
            signature_b64: general_purpose::STANDARD.encode(signature.as_ref()),
            secret_block: challenge.secret_block_b64.to_owned(),
            timestamp: timestamp.to_owned(),
            username: challenge.username.to_owned(),
        })
    }
}

/// The `ChallengeParameters` of a `PASSWORD_VERIFIER` challenge, as received. `Debug` shows the
/// user ids only.
#[derive(Clone, Copy)]
pub struct PasswordVerifierChallenge<'a> {
    /// `SALT` (hex; may be odd-length).
    pub(crate) salt_hex: &'a str,
    /// `SRP_B` (hex).
    pub(crate) srp_b_hex: &'a str,
    /// `SECRET_BLOCK` (base64 from Cognito, any string from some emulators; decoded
    /// leniently, returned verbatim).
    pub(crate) secret_block_b64: &'a str,
    /// `USER_ID_FOR_SRP` (goes into x and the signature).
    pub(crate) user_id_for_srp: &'a str,
    /// `USERNAME` (the internal user name: answer with it, and compute `SECRET_HASH` over it).
    pub(crate) username: &'a str,
}

impl fmt::Debug for PasswordVerifierChallenge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordVerifierChallenge")
            .field("salt_hex", &Redacted)
            .field("srp_b_hex", &Redacted)
            .field("secret_block_b64", &Redacted)
            .field("user_id_for_srp", &self.user_id_for_srp)
            .field("username", &self.username)
            .finish()
    }
}

impl<'a> PasswordVerifierChallenge<'a> {
    /// The challenge parameters `SALT`, `SRP_B`, `SECRET_BLOCK`, `USER_ID_FOR_SRP` and
    /// `USERNAME`, as received (their lengths are checked when the claim is computed).
    pub fn new(
        salt_hex: &'a str,
        srp_b_hex: &'a str,
        secret_block_b64: &'a str,
        user_id_for_srp: &'a str,
        username: &'a str,
    ) -> Self {
        Self {
            salt_hex,
            srp_b_hex,
            secret_block_b64,
            user_id_for_srp,
            username,
        }
    }
}

/// The `ChallengeResponses` of `RespondToAuthChallenge` (plus `SECRET_HASH` where the app
/// client has a secret, computed over `username`). `Debug` redacts the signature; no
/// `PartialEq` (but in this module's tests), so that nothing compares a signature in variable
/// time.
#[derive(Clone)]
#[cfg_attr(test, derive(PartialEq, Eq))]
pub struct PasswordClaim {
    /// `PASSWORD_CLAIM_SIGNATURE`.
    pub(crate) signature_b64: String,
    /// `PASSWORD_CLAIM_SECRET_BLOCK`: the challenge's `SECRET_BLOCK`, byte for byte.
    pub(crate) secret_block: String,
    /// `TIMESTAMP`.
    pub(crate) timestamp: String,
    /// `USERNAME`: the challenge's `USERNAME`.
    pub(crate) username: String,
}

impl PasswordClaim {
    /// `PASSWORD_CLAIM_SIGNATURE` (base64).
    pub fn signature(&self) -> &str {
        &self.signature_b64
    }
    /// `PASSWORD_CLAIM_SECRET_BLOCK`: the challenge's `SECRET_BLOCK`, byte for byte.
    pub fn secret_block(&self) -> &str {
        &self.secret_block
    }
    /// `TIMESTAMP`.
    pub fn timestamp(&self) -> &str {
        &self.timestamp
    }
    /// `USERNAME`: the challenge's, which `SECRET_HASH` is computed over.
    pub fn username(&self) -> &str {
        &self.username
    }
}

impl fmt::Debug for PasswordClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordClaim")
            .field("signature_b64", &Redacted)
            .field("secret_block", &Redacted)
            .field("timestamp", &self.timestamp)
            .field("username", &self.username)
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------
// TIMESTAMP

/// `TIMESTAMP` for `secs_since_epoch` (UTC): `Mon Feb 3 08:05:09 UTC 2025`, English names,
/// day of month not padded, time fields zero-padded.
pub fn cognito_timestamp(secs_since_epoch: u64) -> String {
    let days = secs_since_epoch / 86_400;
    let secs_of_day = secs_since_epoch % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{} {} {} {:02}:{:02}:{:02} UTC {}",
        weekday_name(days),
        month_name(month),
        day,
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60,
        year,
    )
}

/// [`cognito_timestamp`] of a [`SystemTime`] (times before 1970 clamp to the epoch).
pub fn cognito_timestamp_at(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    cognito_timestamp(secs)
}

/// Proleptic Gregorian (year, month 1-12, day 1-31) of a day count since 1970-01-01
/// (Howard Hinnant's `civil_from_days`, for non-negative day counts).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z / 146_097;
    let day_of_era = z % 146_097; // [0, 146096]
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153; // month from March = 0
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

fn weekday_name(days_since_epoch: u64) -> &'static str {
    // 1970-01-01 was a Thursday.
    match (days_since_epoch + 4) % 7 {
        0 => "Sun",
        1 => "Mon",
        2 => "Tue",
        3 => "Wed",
        4 => "Thu",
        5 => "Fri",
        _ => "Sat",
    }
}

fn month_name(month: u64) -> &'static str {
    match month {
        1 => "Jan",
        2 => "Feb",
        3 => "Mar",
        4 => "Apr",
        5 => "May",
        6 => "Jun",
        7 => "Jul",
        8 => "Aug",
        9 => "Sep",
        10 => "Oct",
        11 => "Nov",
        _ => "Dec",
    }
}

// ---------------------------------------------------------------------------------------------
// The shared math

/// A secret exponent (a or b): 128 bytes, never printed.
struct SecretExponent(U1024);

impl fmt::Debug for SecretExponent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Redacted.fmt(f)
    }
}

impl SecretExponent {
    fn random() -> Result<Self, SrpError> {
        let mut bytes = [0u8; SECRET_EXPONENT_LEN];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| SrpError::Random)?;
        Ok(Self(U1024::from_be_slice(&bytes)))
    }

    #[cfg(test)]
    fn from_be_bytes(bytes: &[u8]) -> Result<Self, SrpError> {
        if bytes.is_empty() || bytes.len() > SECRET_EXPONENT_LEN {
            return Err(SrpError::InvalidSecretExponent);
        }
        let mut padded = [0u8; SECRET_EXPONENT_LEN];
        right_align(&mut padded, bytes);
        Ok(Self(U1024::from_be_slice(&padded)))
    }
}

/// The 16-byte key both sides derive from S and u.
struct DerivedKey([u8; 16]);

impl DerivedKey {
    fn hmac_key(&self) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, &self.0)
    }
}

/// g^a mod N, or `None` when it is 0 mod N (impossible for a prime N, checked anyway).
fn public_value(a: &SecretExponent) -> Option<U3072> {
    let big_a = G.pow(&a.0).retrieve();
    (big_a != U3072::ZERO).then_some(big_a)
}

/// S = (B - k·g^x)^(a + u·x) mod N (the base reduced into [0, N) by the field arithmetic).
fn client_premaster_secret(a: &SecretExponent, b_mod_n: &Fe, u: &U256, x: &U256) -> U3072 {
    let base = *b_mod_n - K * G.pow(x);
    let ux: U512 = u.concatenating_mul(x);
    let exponent =
        a.0.resize::<{ U1280::LIMBS }>()
            .wrapping_add(&ux.resize::<{ U1280::LIMBS }>());
    base.pow_bounded_exp(&exponent, CLIENT_EXPONENT_BITS)
        .retrieve()
}

/// u = H(padHex(A) | padHex(B)), refusing 0.
fn scrambler(big_a: &U3072, big_b: &U3072) -> Result<U256, SrpError> {
    let u = U256::from_be_slice(&sha256(&[&pad_hex(big_a), &pad_hex(big_b)]));
    check_scrambler(&u)?;
    Ok(u)
}

fn check_scrambler(u: &U256) -> Result<(), SrpError> {
    if *u == U256::ZERO {
        Err(SrpError::ZeroScrambler)
    } else {
        Ok(())
    }
}

/// x = H(padHex(salt) | H(poolName | userId | ":" | password)), `salt` as minimal big-endian
/// bytes.
fn private_key(pool_name: &str, user_id_for_srp: &str, password: &str, salt: &[u8]) -> U256 {
    let identity = sha256(&[
        pool_name.as_bytes(),
        user_id_for_srp.as_bytes(),
        b":",
        password.as_bytes(),
    ]);
    U256::from_be_slice(&sha256(&[&pad_hex_bytes(salt), &identity]))
}

/// key = first 16 bytes of HKDF-SHA256(ikm = padHex(S), salt = padHex(u), info =
/// "Caldera Derived Key"): one HMAC block, PRK = HMAC(salt, ikm), OKM = HMAC(PRK, info | 0x01).
fn derive_key(s: &U3072, u: &U256) -> DerivedKey {
    let prk = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &pad_hex(u)), &pad_hex(s));
    let okm = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, prk.as_ref()),
        DERIVED_KEY_INFO,
    );
    let mut key = [0u8; 16];
    for (dst, src) in key.iter_mut().zip(okm.as_ref()) {
        *dst = *src;
    }
    DerivedKey(key)
}

fn claim_message(
    pool_name: &str,
    user_id_for_srp: &str,
    secret_block: &[u8],
    timestamp: &str,
) -> Vec<u8> {
    let mut message = Vec::with_capacity(
        pool_name.len() + user_id_for_srp.len() + secret_block.len() + timestamp.len(),
    );
    message.extend_from_slice(pool_name.as_bytes());
    message.extend_from_slice(user_id_for_srp.as_bytes());
    message.extend_from_slice(secret_block);
    message.extend_from_slice(timestamp.as_bytes());
    message
}

fn claim_signature(
    key: &DerivedKey,
    pool_name: &str,
    user_id_for_srp: &str,
    secret_block: &[u8],
    timestamp: &str,
) -> hmac::Tag {
    hmac::sign(
        &key.hmac_key(),
        &claim_message(pool_name, user_id_for_srp, secret_block, timestamp),
    )
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut context = digest::Context::new(&digest::SHA256);
    for part in parts {
        context.update(part);
    }
    let mut out = [0u8; 32];
    right_align(&mut out, context.finish().as_ref());
    out
}

// ---------------------------------------------------------------------------------------------
// Encodings

/// The pool name: the user pool id after its `_` (`us-west-2_abc` → `abc`).
fn pool_name(user_pool_id: &str) -> Result<&str, SrpError> {
    cap(user_pool_id, SrpParam::UserPoolId, MAX_USER_POOL_ID_LEN)?;
    // The one pool-id rule (`UserPoolId`); a region with a `_` of its own is refused too, as
    // the reference client's `split('_')[1]` would take another pool name.
    match UserPoolId::parse(user_pool_id) {
        Ok(id) if !id.region().contains('_') => user_pool_id
            .rsplit_once('_')
            .map(|(_, name)| name)
            .ok_or(SrpError::InvalidUserPoolId),
        _ => Err(SrpError::InvalidUserPoolId),
    }
}

fn cap(value: &str, param: SrpParam, max: usize) -> Result<(), SrpError> {
    if value.len() > max {
        Err(SrpError::TooLong { param, max })
    } else {
        Ok(())
    }
}

/// Decodes `SECRET_BLOCK` exactly as amazon-cognito-identity-js does on Node
/// (`Buffer.from(SECRET_BLOCK, 'base64')`, Node's lenient decoder): every UTF-16 code unit is
/// read as its low byte; `=` ends the data; a byte outside both base64 alphabets (standard
/// `+/` and url-safe `-_`) is skipped; bits that do not fill a last byte are dropped. So any
/// string decodes (an emulator's UUID does), and the string itself goes back unchanged as
/// `PASSWORD_CLAIM_SECRET_BLOCK`. Real Cognito sends canonical base64, which decodes as usual.
///
/// The block is a public value signed into the claim: reading it leniently costs nothing, and
/// the length cap still applies first.
fn decode_secret_block(secret_block_b64: &str) -> Result<Vec<u8>, SrpError> {
    cap(
        secret_block_b64,
        SrpParam::SecretBlock,
        MAX_SECRET_BLOCK_LEN,
    )?;
    let mut out = Vec::with_capacity(secret_block_b64.len() / 4 * 3 + 2);
    // Up to 14 bits waiting to fill a byte: `pending` holds `pending_bits` of them.
    let mut pending: u32 = 0;
    let mut pending_bits: u32 = 0;
    for unit in secret_block_b64.encode_utf16() {
        // Node truncates each code unit to its low byte (`static_cast<uint8_t>`).
        let [low, _] = unit.to_le_bytes();
        if low == b'=' {
            break;
        }
        let Some(sextet) = base64_value(low) else {
            continue;
        };
        pending = (pending << 6) | u32::from(sextet);
        pending_bits += 6;
        if pending_bits >= 8 {
            pending_bits -= 8;
            let [_, _, _, byte] = (pending >> pending_bits).to_be_bytes();
            out.push(byte);
            pending &= (1 << pending_bits) - 1;
        }
    }
    Ok(out)
}

/// The value of a byte in the standard or the url-safe base64 alphabet.
fn base64_value(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Parses hex (any case, any length up to `max`, odd lengths allowed) as a non-negative number:
/// its minimal big-endian bytes (empty for zero).
fn parse_hex_number(hex: &str, param: SrpParam, max: usize) -> Result<Vec<u8>, SrpError> {
    cap(hex, param, max)?;
    if hex.is_empty() {
        return Err(SrpError::InvalidHex(param));
    }
    let mut nibbles = Vec::with_capacity(hex.len() + 1);
    for c in hex.bytes() {
        let nibble = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return Err(SrpError::InvalidHex(param)),
        };
        if nibble != 0 || !nibbles.is_empty() {
            nibbles.push(nibble);
        }
    }
    if nibbles.len() % 2 == 1 {
        nibbles.insert(0, 0);
    }
    Ok(nibbles
        .chunks_exact(2)
        .map(|pair| pair.iter().fold(0u8, |acc, n| (acc << 4) | n))
        .collect())
}

/// Parses `SRP_A` / `SRP_B` into a 3072-bit value (not reduced mod N).
fn parse_public_value(hex: &str, param: SrpParam) -> Result<U3072, SrpError> {
    let bytes = parse_hex_number(hex, param, MAX_SRP_HEX_LEN)?;
    let mut buf = [0u8; U3072::BYTES];
    if bytes.len() > buf.len() {
        return Err(SrpError::OutOfRange(param));
    }
    right_align(&mut buf, &bytes);
    Ok(U3072::from_be_slice(&buf))
}

/// Parses `SRP_B` as both reference clients read it alike: hex digits (any case, any length,
/// leading zeros), optionally surrounded by whitespace, after one `+`, with single underscores
/// between digits (Python's `int(s, 16)` in pycognito; amazon-cognito-identity-js skips those
/// characters). A `0x` prefix stays refused: jsbn reads its `x` as a digit, so the two
/// references disagree on its value. The cap applies to the string as received.
fn parse_srp_b(hex: &str) -> Result<U3072, SrpError> {
    const PARAM: SrpParam = SrpParam::SrpB;
    cap(hex, PARAM, MAX_SRP_HEX_LEN)?;
    // Python's `str.strip()` whitespace among ASCII characters.
    let trimmed = hex.trim_matches(|c: char| matches!(c, '\t'..='\r' | '\x1c'..='\x1f' | ' '));
    let unsigned = trimmed.strip_prefix('+').unwrap_or(trimmed);
    if !unsigned.contains('_') {
        return parse_public_value(unsigned, PARAM);
    }
    if unsigned.starts_with('_') || unsigned.ends_with('_') || unsigned.contains("__") {
        return Err(SrpError::InvalidHex(PARAM));
    }
    let digits: String = unsigned.chars().filter(|c| *c != '_').collect();
    parse_public_value(&digits, PARAM)
}

/// padHex of a value, as bytes.
fn pad_hex<const LIMBS: usize>(value: &Uint<LIMBS>) -> Vec<u8> {
    let encoded = value.to_be_bytes();
    let bytes = encoded.as_slice();
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    pad_hex_bytes(bytes.get(first..).unwrap_or_default())
}

/// padHex of a number given as minimal big-endian bytes: `00` for zero, a `00` byte in front
/// when the top bit is set.
fn pad_hex_bytes(minimal: &[u8]) -> Vec<u8> {
    match minimal.first() {
        None => vec![0],
        Some(first) if *first >= 0x80 => {
            let mut out = Vec::with_capacity(minimal.len() + 1);
            out.push(0);
            out.extend_from_slice(minimal);
            out
        }
        Some(_) => minimal.to_vec(),
    }
}

/// Lower-case hex without leading zeros (`0` for zero), like `BigInteger.toString(16)`.
fn to_hex_trimmed<const LIMBS: usize>(value: &Uint<LIMBS>) -> String {
    let mut hex = String::with_capacity(2 * Uint::<LIMBS>::BYTES);
    push_hex(&mut hex, value.to_be_bytes().as_slice());
    let trimmed = hex.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_owned()
    } else {
        trimmed.to_owned()
    }
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for byte in bytes {
        for nibble in [byte >> 4, byte & 0x0f] {
            if let Some(digit) = DIGITS.get(usize::from(nibble)) {
                out.push(char::from(*digit));
            }
        }
    }
}

/// Copies `src` into the end of `dst` (big-endian left padding); `src` longer than `dst` keeps
/// its last bytes (callers check lengths first).
fn right_align(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().rev().zip(src.iter().rev()) {
        *d = *s;
    }
}

struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Debug for a public 3072-bit value: its first hex digits only.
struct PublicValue<'a>(&'a U3072);

impl fmt::Debug for PublicValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = to_hex_trimmed(self.0);
        match hex.get(..16) {
            Some(prefix) if hex.len() > 16 => write!(f, "{prefix}…"),
            _ => f.write_str(&hex),
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::server::{MAX_SIGNATURE_LEN, MAX_TIMESTAMP_LEN};
    use super::*;
    use serde_json::Value;

    const AWS_COGNITO_SRP_VECTORS: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/srp/srp_vectors_aws_cognito_srp.json"
    ));
    const PYCOGNITO_VECTORS: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/srp/srp_vectors_pycognito.json"
    ));
    const JS_VECTORS: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/srp/srp_vectors_amazon_cognito_identity_js.json"
    ));

    const POOL: &str = "us-west-2_abc";
    const SECRET_BLOCK: &str = "9ae77ec7154c14dcc487b47707fee4b4920cb96d8a8c045e4c8df879a7b375524aa736acdec6c9ad4ea606774d00621b";

    fn hex_bytes(hex: &str) -> Vec<u8> {
        assert!(hex.len().is_multiple_of(2), "even-length hex expected");
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    fn field<'a>(value: &'a Value, key: &str) -> &'a str {
        value[key]
            .as_str()
            .unwrap_or_else(|| panic!("missing string field {key}"))
    }

    fn challenge<'a>(salt: &'a str, b: &'a str) -> PasswordVerifierChallenge<'a> {
        PasswordVerifierChallenge {
            salt_hex: salt,
            srp_b_hex: b,
            secret_block_b64: SECRET_BLOCK,
            user_id_for_srp: "user_id",
            username: "test",
        }
    }

    fn too_long<T>(param: SrpParam, max: usize) -> Result<T, SrpError> {
        Err(SrpError::TooLong { param, max })
    }

    fn ones_client() -> SrpClient {
        SrpClient::with_secret_a(POOL, &[1u8; 128]).unwrap()
    }

    /// Runs one vector: `SRP_A`, the intermediates where the file has them, then the claim.
    fn check_vector(case: &Value) {
        let name = field(case, "name");
        let a = hex_bytes(field(case, "a_hex"));
        let client = match case.get("user_pool_id").and_then(Value::as_str) {
            Some(id) => SrpClient::with_secret_a(id, &a),
            None => SrpClient::with_pool_name(field(case, "pool_name"), &a),
        }
        .unwrap();
        let expected = &case["expected"];
        assert_eq!(
            client.srp_a_hex(),
            field(expected, "srp_a_hex"),
            "{name}: SRP_A"
        );

        let challenge = PasswordVerifierChallenge {
            salt_hex: field(case, "salt_hex"),
            srp_b_hex: field(case, "srp_b_hex"),
            secret_block_b64: field(case, "secret_block_b64"),
            user_id_for_srp: field(case, "user_id_for_srp"),
            username: field(case, "username"),
        };
        let password = field(case, "password");

        if let Some(u_hex) = expected.get("u_hex").and_then(Value::as_str) {
            let big_b = parse_public_value(challenge.srp_b_hex, SrpParam::SrpB).unwrap();
            let u = scrambler(&client.big_a, &big_b).unwrap();
            assert_eq!(to_hex_trimmed(&u), u_hex, "{name}: u");
            let salt =
                parse_hex_number(challenge.salt_hex, SrpParam::Salt, MAX_SALT_HEX_LEN).unwrap();
            let x = private_key(
                &client.pool_name,
                challenge.user_id_for_srp,
                password,
                &salt,
            );
            assert_eq!(to_hex_trimmed(&x), field(expected, "x_hex"), "{name}: x");
            let s = client_premaster_secret(&client.a, &Fe::new(&big_b), &u, &x);
            assert_eq!(to_hex_trimmed(&s), field(expected, "s_hex"), "{name}: S");
            let key = derive_key(&s, &u);
            let mut key_hex = String::new();
            push_hex(&mut key_hex, &key.0);
            assert_eq!(key_hex, field(expected, "key_hex"), "{name}: HKDF key");
        }

        let timestamp = field(case, "timestamp");
        let claim = client
            .password_claim(&challenge, password, timestamp)
            .unwrap();
        assert_eq!(
            claim.signature_b64,
            field(expected, "signature_b64"),
            "{name}: PASSWORD_CLAIM_SIGNATURE"
        );
        assert_eq!(claim.secret_block, challenge.secret_block_b64, "{name}");
        assert_eq!(claim.timestamp, timestamp, "{name}");
        assert_eq!(claim.username, challenge.username, "{name}");
    }

    fn cases(doc: &str) -> Vec<Value> {
        let doc: Value = serde_json::from_str(doc).unwrap();
        doc["cases"].as_array().unwrap().clone()
    }

    #[test]
    fn vectors_from_aws_cognito_srp() {
        let cases = cases(AWS_COGNITO_SRP_VECTORS);
        assert_eq!(cases.len(), 4);
        for case in &cases {
            check_vector(case);
        }
    }

    #[test]
    fn vectors_from_pycognito() {
        let cases = cases(PYCOGNITO_VECTORS);
        assert!(cases.len() >= 8);
        for case in &cases {
            check_vector(case);
        }
    }

    #[test]
    fn vectors_from_amazon_cognito_identity_js() {
        let doc: Value = serde_json::from_str(JS_VECTORS).unwrap();
        // Every pycognito case was recomputed by the JS client and agreed.
        let py = cases(PYCOGNITO_VECTORS);
        let cross = doc["cross_check"].as_array().unwrap();
        assert_eq!(cross.len(), py.len());
        for (js, py) in cross.iter().zip(&py) {
            assert_eq!(js["agrees_with_pycognito"], Value::Bool(true));
            assert_eq!(
                field(js, "signature_b64"),
                field(&py["expected"], "signature_b64")
            );
        }
        let js_only = doc["cases"].as_array().unwrap();
        assert!(!js_only.is_empty());
        for case in js_only {
            check_vector(case);
        }
    }

    const DEVICE_PYCOGNITO_VECTORS: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/srp/srp_device_vectors_pycognito.json"
    ));
    const DEVICE_JS_VECTORS: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/srp/srp_device_vectors_amazon_cognito_identity_js.json"
    ));

    /// `DEVICE_PASSWORD_VERIFIER`: the user SRP with the device group key as pool name and the
    /// device key as user id, checked step by step against pycognito, and the signature and
    /// `SRP_A` against amazon-cognito-identity-js.
    #[test]
    fn device_claim_vectors_from_pycognito_and_amazon_cognito_identity_js() {
        let py: Value = serde_json::from_str(DEVICE_PYCOGNITO_VECTORS).unwrap();
        let js: Value = serde_json::from_str(DEVICE_JS_VECTORS).unwrap();
        let cases = py["claim_cases"].as_array().unwrap();
        let js_cases = js["claim_check"].as_array().unwrap();
        assert!(cases.len() >= 4);
        assert_eq!(cases.len(), js_cases.len());
        for (case, js_case) in cases.iter().zip(js_cases) {
            assert_eq!(js_case["agrees_with_pycognito"], Value::Bool(true));
            assert_eq!(
                field(js_case, "srp_a_hex"),
                field(&case["expected"], "srp_a_hex")
            );
            assert_eq!(
                field(js_case, "signature_b64"),
                field(&case["expected"], "signature_b64")
            );
            check_vector(case);
        }
        // The first case is aws-cognito-srp's device test (its `eJ7lk0Z2...` signature).
        assert!(field(&cases[0]["expected"], "signature_b64").starts_with("eJ7lk0Z2"));
    }

    const JS_LENIENT_VECTORS: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/srp/srp_vectors_lenient_amazon_cognito_identity_js.json"
    ));
    const PYCOGNITO_LENIENT_VECTORS: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/srp/srp_vectors_lenient_pycognito.json"
    ));

    fn hex_of(bytes: &[u8]) -> String {
        let mut hex = String::new();
        push_hex(&mut hex, bytes);
        hex
    }

    #[test]
    fn vectors_for_lenient_inputs_follow_amazon_cognito_identity_js() {
        let js: Value = serde_json::from_str(JS_LENIENT_VECTORS).unwrap();
        let py: Value = serde_json::from_str(PYCOGNITO_LENIENT_VECTORS).unwrap();
        let js_cases = js["cases"].as_array().unwrap();
        let py_cases = py["cases"].as_array().unwrap();
        assert!(js_cases.len() >= 15);
        assert_eq!(js_cases.len(), py_cases.len());
        let mut disagreements = 0;
        for (case, py_case) in js_cases.iter().zip(py_cases) {
            let name = field(case, "name");
            assert_eq!(field(py_case, "name"), name);
            check_vector(case);
            assert_eq!(
                hex_of(&decode_secret_block(field(case, "secret_block_b64")).unwrap()),
                field(&case["expected"], "secret_block_hex"),
                "{name}: decoded SECRET_BLOCK"
            );
            // Where pycognito signs at all and agrees, it is the same signature.
            if py_case["agrees_with_js"] == Value::Bool(true) {
                assert_eq!(
                    field(py_case, "signature_b64"),
                    field(&case["expected"], "signature_b64"),
                    "{name}"
                );
            } else {
                disagreements += 1;
            }
        }
        // The file records the cases where pycognito refuses or signs other bytes (the UUID).
        assert!(disagreements > 0);
        let uuid = py_cases
            .iter()
            .find(|c| field(c, "name").contains("UUID"))
            .unwrap();
        assert_eq!(uuid["agrees_with_js"], Value::Bool(false));

        let decode_cases = js["decode_cases"].as_array().unwrap();
        assert!(decode_cases.len() >= 100);
        for case in decode_cases {
            let input = field(case, "input");
            assert_eq!(
                hex_of(&decode_secret_block(input).unwrap()),
                field(case, "node_hex"),
                "{input:?}"
            );
        }
    }

    #[test]
    fn srp_b_forms_both_references_accept() {
        let client = ones_client();
        let b = "36ef01c6dde9fe503da333b1acc758ba";
        let plain = client
            .password_claim(&challenge("abcd", b), "pw", "t")
            .unwrap();
        for form in [
            format!(" \t{b}\r\n"),
            format!("+{b}"),
            "\x0c +36_ef01c6dde9fe503da333b1acc758ba\x0b".to_owned(),
            "36ef_01c6_dde9fe503da333b1acc758ba".to_owned(),
            format!("{}\x1f", b.to_uppercase()),
        ] {
            assert_eq!(
                client.password_claim(&challenge("abcd", &form), "pw", "t"),
                Ok(plain.clone()),
                "{form:?}"
            );
        }
        // What either reference refuses, or reads as another number, stays refused.
        for form in [
            "",
            " ",
            "+",
            "++36ef",
            "-36ef",
            "0x36ef",
            "36__ef",
            "_36ef",
            "36ef_",
            "36 ef",
            "+ 36ef",
            "36ef\u{a0}",
        ] {
            assert_eq!(
                client.password_claim(&challenge("abcd", form), "pw", "t"),
                Err(SrpError::InvalidHex(SrpParam::SrpB)),
                "{form:?}"
            );
        }
        // The cap counts what was received, whitespace included.
        let padded = format!("{b}{}", " ".repeat(MAX_SRP_HEX_LEN));
        assert_eq!(
            client.password_claim(&challenge("abcd", &padded), "pw", "t"),
            too_long(SrpParam::SrpB, MAX_SRP_HEX_LEN)
        );
    }

    #[test]
    fn k_is_the_hash_of_padded_n_and_g() {
        let n = Fe::MODULUS.get();
        let k = sha256(&[&pad_hex(&n), &pad_hex(&U3072::from_u8(2))]);
        let mut hex = String::new();
        push_hex(&mut hex, &k);
        assert_eq!(hex, K_HEX);
        assert_eq!(
            hex,
            "538282c4354742d7cbbde2359fcf67f9f5b3a6b08791e5011b43b8a5b66d9ee6"
        );
        assert_eq!(
            K.retrieve(),
            U256::from_be_slice(&k).resize::<{ U3072::LIMBS }>()
        );
        // padHex(N) gains a 00 byte (N starts with ff); padHex(g) is the single byte 02.
        assert_eq!(pad_hex(&n).len(), 385);
        assert_eq!(pad_hex(&n)[..2], [0x00, 0xff]);
        assert_eq!(pad_hex(&U3072::from_u8(2)), [0x02]);
    }

    #[test]
    fn pad_hex_behaviour() {
        assert_eq!(pad_hex_bytes(&[]), [0x00]);
        assert_eq!(pad_hex_bytes(&[0x7f, 0x01]), [0x7f, 0x01]);
        assert_eq!(pad_hex_bytes(&[0x80]), [0x00, 0x80]);
        assert_eq!(pad_hex_bytes(&[0xff, 0x00]), [0x00, 0xff, 0x00]);
        assert_eq!(pad_hex(&U3072::ZERO), [0x00]);
        assert_eq!(pad_hex(&U256::from_u64(0x1234)), [0x12, 0x34]);
        assert_eq!(pad_hex(&U256::from_u64(0x8234)), [0x00, 0x82, 0x34]);
        assert_eq!(pad_hex(&U256::from_u64(0x234)), [0x02, 0x34]);

        let parse = |hex| parse_hex_number(hex, SrpParam::Salt, MAX_SALT_HEX_LEN);
        // Odd length: a leading zero nibble.
        assert_eq!(parse("36ef01c").unwrap(), [0x03, 0x6e, 0xf0, 0x1c]);
        assert_eq!(parse("036ef01c").unwrap(), [0x03, 0x6e, 0xf0, 0x1c]);
        // Read as a number: redundant leading zeros go, case does not matter.
        assert_eq!(parse("0000ab").unwrap(), [0xab]);
        assert_eq!(pad_hex_bytes(&parse("0000ab").unwrap()), [0x00, 0xab]);
        assert_eq!(parse("ABCdef").unwrap(), parse("abcdef").unwrap());
        assert_eq!(parse("7").unwrap(), [0x07]);
        assert_eq!(parse("0").unwrap(), Vec::<u8>::new());
        assert_eq!(pad_hex_bytes(&parse("000").unwrap()), [0x00]);
        assert_eq!(parse(""), Err(SrpError::InvalidHex(SrpParam::Salt)));
        assert_eq!(parse("12g4"), Err(SrpError::InvalidHex(SrpParam::Salt)));
        assert_eq!(parse("0x12"), Err(SrpError::InvalidHex(SrpParam::Salt)));
        assert_eq!(parse(" 12"), Err(SrpError::InvalidHex(SrpParam::Salt)));
        assert_eq!(parse("１２"), Err(SrpError::InvalidHex(SrpParam::Salt)));
    }

    #[test]
    fn srp_a_hex_is_lower_case_without_leading_zeros() {
        let client = SrpClient::with_secret_a(POOL, &[2]).unwrap();
        assert_eq!(client.srp_a_hex(), "4");
        assert_eq!(to_hex_trimmed(&U3072::ZERO), "0");
        let client = SrpClient::new(POOL).unwrap();
        let hex = client.srp_a_hex();
        assert!(!hex.starts_with('0'));
        assert!(hex.len() <= 768);
        assert!(hex.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')));
        // Two fresh clients draw different a.
        assert_ne!(SrpClient::new(POOL).unwrap().srp_a_hex(), hex);
    }

    #[test]
    fn pool_name_is_the_part_after_the_underscore() {
        assert_eq!(pool_name("us-west-2_abc"), Ok("abc"));
        assert_eq!(pool_name("eusc-de-east-1_Ab9"), Ok("Ab9"));
        for bad in ["abc", "_abc", "us-west-2_", "a_b_c", ""] {
            assert_eq!(pool_name(bad), Err(SrpError::InvalidUserPoolId), "{bad}");
        }
        let long = format!("us-west-2_{}", "a".repeat(200));
        assert_eq!(
            pool_name(&long),
            Err(SrpError::TooLong {
                param: SrpParam::UserPoolId,
                max: MAX_USER_POOL_ID_LEN
            })
        );
        assert_eq!(
            SrpClient::new("nounderscore").unwrap_err(),
            SrpError::InvalidUserPoolId
        );
        assert!(PasswordVerifier::new("bad", "u", "p").is_err());
    }

    #[test]
    fn b_zero_mod_n_is_refused() {
        let client = ones_client();
        let n_hex = to_hex_trimmed(&Fe::MODULUS.get());
        for b in [
            "0",
            "00",
            "000",
            n_hex.as_str(),
            &n_hex.to_uppercase(),
            &format!("00{n_hex}"),
        ] {
            assert_eq!(
                client.password_claim(&challenge("abcd", b), "password", "t"),
                Err(SrpError::ZeroModN(SrpParam::SrpB)),
            );
        }
        // 2N does not fit in 3072 bits.
        let mut two_n_hex = String::from("1");
        let n = Fe::MODULUS.get();
        push_hex(&mut two_n_hex, n.wrapping_add(&n).to_be_bytes().as_slice());
        assert_eq!(
            client.password_claim(&challenge("abcd", &two_n_hex), "password", "t"),
            Err(SrpError::OutOfRange(SrpParam::SrpB)),
        );
        // N + 1 is fine (B ≡ 1).
        let n_plus_1 = to_hex_trimmed(&Fe::MODULUS.get().wrapping_add(&U3072::ONE));
        assert!(
            client
                .password_claim(&challenge("abcd", &n_plus_1), "password", "t")
                .is_ok()
        );
    }

    #[test]
    fn u_zero_is_refused() {
        assert_eq!(check_scrambler(&U256::ZERO), Err(SrpError::ZeroScrambler));
        assert_eq!(check_scrambler(&U256::ONE), Ok(()));
        assert_eq!(check_scrambler(&U256::MAX), Ok(()));
    }

    #[test]
    fn oversized_inputs_are_refused_before_parsing() {
        let client = ones_client();
        let ok = challenge("abcd", "abcd");
        assert!(client.password_claim(&ok, "pw", "t").is_ok());

        let long_salt = "1".repeat(MAX_SALT_HEX_LEN + 1);
        assert_eq!(
            client.password_claim(&challenge(&long_salt, "abcd"), "pw", "t"),
            too_long(SrpParam::Salt, MAX_SALT_HEX_LEN)
        );
        let long_b = "1".repeat(MAX_SRP_HEX_LEN + 1);
        assert_eq!(
            client.password_claim(&challenge("abcd", &long_b), "pw", "t"),
            too_long(SrpParam::SrpB, MAX_SRP_HEX_LEN)
        );
        // Within the length cap but above 3072 bits.
        let wide_b = "1".repeat(769);
        assert_eq!(
            client.password_claim(&challenge("abcd", &wide_b), "pw", "t"),
            Err(SrpError::OutOfRange(SrpParam::SrpB))
        );
        // Leading zeros within the cap are fine.
        let zero_padded_b = format!("{}abcd", "0".repeat(MAX_SRP_HEX_LEN - 4));
        assert_eq!(
            client.password_claim(&challenge("abcd", &zero_padded_b), "pw", "t"),
            client.password_claim(&ok, "pw", "t")
        );
        let long_block = "A".repeat(MAX_SECRET_BLOCK_LEN + 4);
        let c = PasswordVerifierChallenge {
            secret_block_b64: &long_block,
            ..ok
        };
        assert_eq!(
            client.password_claim(&c, "pw", "t"),
            too_long(SrpParam::SecretBlock, MAX_SECRET_BLOCK_LEN)
        );
        let long_id = "u".repeat(MAX_USER_ID_LEN + 1);
        let c = PasswordVerifierChallenge {
            user_id_for_srp: &long_id,
            ..ok
        };
        assert_eq!(
            client.password_claim(&c, "pw", "t"),
            too_long(SrpParam::UserIdForSrp, MAX_USER_ID_LEN)
        );
        let c = PasswordVerifierChallenge {
            username: &long_id,
            ..ok
        };
        assert_eq!(
            client.password_claim(&c, "pw", "t"),
            too_long(SrpParam::Username, MAX_USER_ID_LEN)
        );
        // Server side: SRP_A, TIMESTAMP, signature.
        let verifier = PasswordVerifier::new(POOL, "user_id", "pw").unwrap();
        assert_eq!(
            SrpServer::new(&verifier, &long_b).unwrap_err(),
            SrpError::TooLong {
                param: SrpParam::SrpA,
                max: MAX_SRP_HEX_LEN
            }
        );
        let server = SrpServer::new(&verifier, &client.srp_a_hex()).unwrap();
        assert_eq!(
            server.verify_claim(SECRET_BLOCK, &"t".repeat(65), "AAAA"),
            too_long(SrpParam::Timestamp, MAX_TIMESTAMP_LEN)
        );
        assert_eq!(
            server.verify_claim(SECRET_BLOCK, "t", &"A".repeat(132)),
            too_long(SrpParam::Signature, MAX_SIGNATURE_LEN)
        );
    }

    #[test]
    fn secret_block_base64_is_lenient_and_echoed_verbatim() {
        let client = ones_client();
        let padded = "AAECAwQ=";
        let unpadded = "AAECAwQ";
        let claim = |block| {
            client.password_claim(
                &PasswordVerifierChallenge {
                    secret_block_b64: block,
                    ..challenge("abcd", "abcd")
                },
                "pw",
                "t",
            )
        };
        let with_padding = claim(padded).unwrap();
        let without = claim(unpadded).unwrap();
        assert_eq!(with_padding.signature_b64, without.signature_b64);
        assert_eq!(with_padding.secret_block, padded);
        assert_eq!(without.secret_block, unpadded);
        // What a strict decoder refuses decodes as Node's `Buffer.from(s, 'base64')` does,
        // and goes back unchanged.
        for block in [
            "!!!!",
            "AAECAwQ==",
            "AA-_",
            "A",
            "AB",
            "3f1c2b7a-9d4e-4c61-8b0f-2a9e6d5c4b3a",
        ] {
            assert_eq!(claim(block).unwrap().secret_block, block, "{block}");
        }
        assert_eq!(decode_secret_block("!!!!").unwrap(), b"");
        assert_eq!(decode_secret_block("A").unwrap(), b"");
        // Trailing bits that do not fill a byte are dropped, even when they are not zero.
        assert_eq!(decode_secret_block("AB").unwrap(), [0x00]);
        assert_eq!(decode_secret_block("AAECAwQ==").unwrap(), [0, 1, 2, 3, 4]);
        // `-_` are `+/`; whitespace and other bytes are skipped; `=` ends the data.
        assert_eq!(
            decode_secret_block("AA-_").unwrap(),
            decode_secret_block("AA+/").unwrap()
        );
        assert_eq!(
            decode_secret_block(" AA\nEC\tAw !Q").unwrap(),
            [0, 1, 2, 3, 4]
        );
        assert_eq!(decode_secret_block("AAEC=AwQ").unwrap(), [0, 1, 2]);
        // A UTF-16 code unit counts as its low byte: U+0141 reads as `A`, U+013D as `=`.
        assert_eq!(
            decode_secret_block("AAEC\u{141}wQ").unwrap(),
            decode_secret_block("AAECAwQ").unwrap()
        );
        assert_eq!(decode_secret_block("AAEC\u{13d}AwQ").unwrap(), [0, 1, 2]);
        // A character outside the BMP is two code units (0xD83D 0xDE00: low bytes 0x3D `=`, 0x00).
        assert_eq!(decode_secret_block("AAEC😀AwQ").unwrap(), [0, 1, 2]);
        // Canonical base64 decodes as usual.
        let bytes: Vec<u8> = (0..=255).collect();
        for len in 0..bytes.len() {
            let block = general_purpose::STANDARD.encode(&bytes[..len]);
            assert_eq!(decode_secret_block(&block).unwrap(), &bytes[..len]);
            let url = general_purpose::URL_SAFE_NO_PAD.encode(&bytes[..len]);
            assert_eq!(decode_secret_block(&url).unwrap(), &bytes[..len]);
        }
    }

    #[test]
    fn client_and_server_agree() {
        let secret_block = general_purpose::STANDARD.encode([7u8; 700]);
        for (user, password) in [
            ("alice", "correct horse battery staple"),
            ("usér-名前-😀", "пароль-🔑"),
            ("3f1c2b7a-9d4e-4c61-8b0f-2a9e6d5c4b3a", ""),
        ] {
            let verifier = PasswordVerifier::new(POOL, user, password).unwrap();
            let client = SrpClient::new(POOL).unwrap();
            let server = SrpServer::new(&verifier, &client.srp_a_hex()).unwrap();
            let srp_b = server.srp_b_hex();
            let challenge = PasswordVerifierChallenge {
                salt_hex: verifier.salt_hex(),
                srp_b_hex: &srp_b,
                secret_block_b64: &secret_block,
                user_id_for_srp: verifier.user_id_for_srp(),
                username: user,
            };
            let timestamp = cognito_timestamp(1_738_569_909);
            let claim = client
                .password_claim(&challenge, password, &timestamp)
                .unwrap();
            assert_eq!(
                server.verify_claim(&claim.secret_block, &claim.timestamp, &claim.signature_b64),
                Ok(())
            );

            // Wrong password.
            let wrong = client
                .password_claim(&challenge, "wrong password", &timestamp)
                .unwrap();
            assert_eq!(
                server.verify_claim(&wrong.secret_block, &wrong.timestamp, &wrong.signature_b64),
                Err(SrpError::SignatureMismatch)
            );
            // Tampered timestamp or secret block.
            assert_eq!(
                server.verify_claim(
                    &claim.secret_block,
                    "Mon Feb 3 08:05:10 UTC 2025",
                    &claim.signature_b64
                ),
                Err(SrpError::SignatureMismatch)
            );
            assert_eq!(
                server.verify_claim("AAAA", &claim.timestamp, &claim.signature_b64),
                Err(SrpError::SignatureMismatch)
            );
            // Another exchange's claim does not verify here.
            let other_client = SrpClient::new(POOL).unwrap();
            let other = other_client
                .password_claim(&challenge, password, &timestamp)
                .unwrap();
            assert_eq!(
                server.verify_claim(&other.secret_block, &other.timestamp, &other.signature_b64),
                Err(SrpError::SignatureMismatch)
            );
            assert_eq!(
                server.verify_claim(&claim.secret_block, &claim.timestamp, "not base64!"),
                Err(SrpError::InvalidBase64(SrpParam::Signature))
            );
            assert_eq!(
                server.verify_claim(&claim.secret_block, &claim.timestamp, "AAAA"),
                Err(SrpError::SignatureMismatch)
            );
        }
    }

    #[test]
    fn server_with_fixed_values_and_awkward_salts() {
        // Odd-length, high-bit and zero-led salts: the client reads SALT the way the
        // verifier was made.
        for salt in ["36ef01c", "9f00", "80", "0012ab", "00ff", "7"] {
            let verifier = PasswordVerifier::with_salt(POOL, "user_id", "password", salt).unwrap();
            let client = ones_client();
            let server =
                SrpServer::with_secret_b(&verifier, &client.srp_a_hex(), &[0x5a; 128]).unwrap();
            let srp_b = server.srp_b_hex();
            let claim = client
                .password_claim(&challenge(salt, &srp_b), "password", "ts")
                .unwrap();
            assert_eq!(
                server.verify_claim(SECRET_BLOCK, "ts", &claim.signature_b64),
                Ok(()),
                "{salt}"
            );
            // Deterministic with fixed a and b.
            let again =
                SrpServer::with_secret_b(&verifier, &client.srp_a_hex(), &[0x5a; 128]).unwrap();
            assert_eq!(again.srp_b_hex(), srp_b);
        }
    }

    #[test]
    fn server_refuses_a_zero_mod_n() {
        let verifier = PasswordVerifier::with_salt(POOL, "u", "p", "abcd").unwrap();
        let n_hex = to_hex_trimmed(&Fe::MODULUS.get());
        for a in ["0", "0000", n_hex.as_str()] {
            assert_eq!(
                SrpServer::new(&verifier, a).unwrap_err(),
                SrpError::ZeroModN(SrpParam::SrpA)
            );
            assert_eq!(
                SrpServer::with_secret_b(&verifier, a, &[1]).unwrap_err(),
                SrpError::ZeroModN(SrpParam::SrpA)
            );
        }
        assert_eq!(
            SrpServer::new(&verifier, "xyz").unwrap_err(),
            SrpError::InvalidHex(SrpParam::SrpA)
        );
    }

    #[test]
    fn secret_exponent_length_is_checked() {
        assert_eq!(
            SrpClient::with_secret_a(POOL, &[]).unwrap_err(),
            SrpError::InvalidSecretExponent
        );
        assert_eq!(
            SrpClient::with_secret_a(POOL, &[1; 129]).unwrap_err(),
            SrpError::InvalidSecretExponent
        );
        // Short a is left-padded: [0, 0, 2] and [2] are the same number.
        assert_eq!(
            SrpClient::with_secret_a(POOL, &[0, 0, 2])
                .unwrap()
                .srp_a_hex(),
            SrpClient::with_secret_a(POOL, &[2]).unwrap().srp_a_hex()
        );
    }

    #[test]
    fn debug_output_redacts_secrets() {
        let client = SrpClient::with_secret_a(POOL, &[0xab; 128]).unwrap();
        let debug = format!("{client:?}");
        assert!(debug.contains("[redacted]"), "{debug}");
        assert!(!debug.contains("abab"), "{debug}");
        assert!(!debug.contains(&client.srp_a_hex()), "{debug}");

        let verifier = PasswordVerifier::with_salt(POOL, "user_id", "hunter2", "abcd").unwrap();
        let v_hex = to_hex_trimmed(&verifier.verifier);
        let debug = format!("{verifier:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(!debug.contains(&v_hex[..16]), "{debug}");
        assert!(debug.contains("[redacted]"), "{debug}");

        let server =
            SrpServer::with_secret_b(&verifier, &client.srp_a_hex(), &[0xcd; 128]).unwrap();
        let debug = format!("{server:?}");
        let mut key_hex = String::new();
        push_hex(&mut key_hex, &server.key.0);
        assert!(!debug.contains(&key_hex), "{debug}");
        assert!(!debug.contains("cdcd"), "{debug}");
        assert!(debug.contains("[redacted]"), "{debug}");
    }

    #[test]
    fn error_messages_carry_no_values() {
        let client = ones_client();
        let err = client
            .password_claim(&challenge("zz-secret-zz", "abcd"), "hunter2", "t")
            .unwrap_err();
        let message = err.to_string();
        assert_eq!(message, "SALT is not a hexadecimal number");
        assert!(!message.contains("secret") && !message.contains("hunter2"));
        assert_eq!(
            SrpError::TooLong {
                param: SrpParam::SecretBlock,
                max: 16384
            }
            .to_string(),
            "SECRET_BLOCK is longer than 16384 bytes"
        );
        assert_eq!(
            SrpError::ZeroModN(SrpParam::SrpB).to_string(),
            "SRP_B is zero modulo N"
        );
    }

    #[test]
    fn timestamps() {
        for (secs, expected) in [
            (0, "Thu Jan 1 00:00:00 UTC 1970"),
            (1_738_569_909, "Mon Feb 3 08:05:09 UTC 2025"),
            (1_739_212_212, "Mon Feb 10 18:30:12 UTC 2025"),
            (1_709_251_199, "Thu Feb 29 23:59:59 UTC 2024"),
            (1_709_251_200, "Fri Mar 1 00:00:00 UTC 2024"),
            (951_825_600, "Tue Feb 29 12:00:00 UTC 2000"),
            (4_107_542_399, "Sun Feb 28 23:59:59 UTC 2100"),
            (4_107_542_400, "Mon Mar 1 00:00:00 UTC 2100"),
            (2_147_483_648, "Tue Jan 19 03:14:08 UTC 2038"),
            (946_684_799, "Fri Dec 31 23:59:59 UTC 1999"),
            (1_672_531_200, "Sun Jan 1 00:00:00 UTC 2023"),
            (253_402_300_799, "Fri Dec 31 23:59:59 UTC 9999"),
            (1_783_156_087, "Sat Jul 4 09:08:07 UTC 2026"),
        ] {
            assert_eq!(cognito_timestamp(secs), expected, "{secs}");
        }
        assert_eq!(
            cognito_timestamp_at(UNIX_EPOCH),
            "Thu Jan 1 00:00:00 UTC 1970"
        );
        let before_epoch = UNIX_EPOCH - std::time::Duration::from_secs(10);
        assert_eq!(
            cognito_timestamp_at(before_epoch),
            "Thu Jan 1 00:00:00 UTC 1970"
        );
        let now = cognito_timestamp_at(SystemTime::now());
        assert!(now.contains(" UTC "), "{now}");
        // Huge inputs do not overflow.
        let _ = cognito_timestamp(u64::MAX);
    }

    #[test]
    fn civil_from_days_walks_the_calendar() {
        // Step day by day from 1970-01-01 over 1000 years against a simple calendar.
        let (mut year, mut month, mut day) = (1970u64, 1u64, 1u64);
        for days in 0..366_000u64 {
            assert_eq!(civil_from_days(days), (year, month, day), "day {days}");
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            let month_len = match month {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            day += 1;
            if day > month_len {
                day = 1;
                month += 1;
                if month > 12 {
                    month = 1;
                    year += 1;
                }
            }
        }
    }
}
