//! The fixture every peer measures: one RSA-2048 key, one ~1 KB Cognito access token, its JWKS.
//!
//! Everything is deterministic: the committed TEST-ONLY key (`test-only-rsa2048.pk8.b64`, the key
//! of `fuzz/src/lib.rs`), a fixed clock, fixed claims and RS256 (deterministic signatures). The
//! token expires on 2100-01-01 so that peers that read the real clock (jsonwebtoken,
//! jwt-authorizer, aws-jwt-verify) accept it too.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{TokenUse, CognitoConfigBuilder, clock::FixedClock};

/// TEST-ONLY RSA-2048 private key (PKCS#8 DER, base64), published on purpose. Never trust it.
const TEST_ONLY_PKCS8_B64: &str = include_str!("../test-only-rsa2048.pk8.b64");

/// `iat` and `auth_time` of the token, and the clock of tower-cognito's verifier.
pub const NOW: u64 = 1_700_000_000;
/// `exp` of the token: 2100-01-01T00:00:00Z.
pub const EXP: u64 = 4_102_444_800;
/// The `kid` of the key.
pub const KID: &str = "peers-key-1";

/// The shared fixture.
#[derive(Debug)]
pub struct Fixture {
    /// The issuer (pool `us-east-1_LocalPool1`, client `localclient1`), clock stopped at [`NOW`].
    pub issuer: LocalIssuer,
    /// The access token every peer verifies.
    pub token: String,
    /// The issuer's JWKS document (one RSA key, `kid` [`KID`]).
    pub jwks: Value,
}

/// Why the fixture could not be built.
#[derive(Debug)]
pub struct FixtureError(String);

impl std::fmt::Display for FixtureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FixtureError {}

impl Fixture {
    /// Builds the fixture.
    ///
    /// # Errors
    /// If the committed key does not decode or parse.
    pub fn new() -> Result<Self, FixtureError> {
        let der = STANDARD
            .decode(TEST_ONLY_PKCS8_B64.split_whitespace().collect::<String>())
            .map_err(|e| FixtureError(format!("test key is not base64: {e}")))?;
        let issuer = LocalIssuer::builder()
            .kid(KID)
            .clock(FixedClock::new(NOW))
            .pkcs8_key(der)
            .build()
            .map_err(|e| FixtureError(format!("test key: {e}")))?;
        let mut claims = issuer.access_claims();
        for (name, value) in [
            ("jti", json!("00000000-0000-4000-8000-00000000000a")),
            ("origin_jti", json!("00000000-0000-4000-8000-00000000000b")),
            ("event_id", json!("00000000-0000-4000-8000-00000000000c")),
            ("exp", json!(EXP)),
        ] {
            claims.insert(name.to_owned(), value);
        }
        let token = issuer.sign(&claims);
        let jwks = issuer.jwks();
        Ok(Self {
            issuer,
            token,
            jwks,
        })
    }

    /// tower-cognito's configuration builder: this pool and client, access tokens only, clock at
    /// [`NOW`]; everything else default.
    pub fn config(&self) -> CognitoConfigBuilder {
        self.issuer.config().token_use(TokenUse::Access)
    }

    /// What the node peer reads: token, JWKS, pool and client ids, issuer.
    pub fn export(&self) -> Value {
        json!({
            "note": "TEST-ONLY fixture of benches/peers (tower-cognito); written by the peers bench",
            "token": self.token,
            "jwks": self.jwks,
            "userPoolId": self.issuer.user_pool_id(),
            "clientId": self.issuer.client_id(),
            "issuer": self.issuer.issuer(),
            "exp": EXP,
        })
    }

    /// Writes [`export`](Self::export) to `path` (creating its directory).
    ///
    /// # Errors
    /// If the file cannot be written.
    pub fn write_export(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, format!("{:#}\n", self.export()))
    }
}

/// Where the bench and the `export` example write the fixture: `target/peers/fixture.json` of the
/// repository root, or `$PEERS_FIXTURE`.
pub fn export_path() -> PathBuf {
    std::env::var_os("PEERS_FIXTURE").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/peers/fixture.json"),
        PathBuf::from,
    )
}
