//! The environment contract of the examples, for your own binaries too: where to listen, which
//! user pool's tokens to accept, or, without a pool, an offline mode with an embedded
//! [`LocalIssuer`](crate::test_util::LocalIssuer) (feature `test-util`).
//!
//! | Variable | Meaning |
//! |---|---|
//! | `BIND_ADDR` | Address to listen on, `IP:PORT` (each binary has its default; port `0` picks a free one) |
//! | `COGNITO_USER_POOL_ID` | The user pool, e.g. `us-east-1_AbC123xyz`; switches to real mode |
//! | `COGNITO_CLIENT_ID` | Allowed app client ids, comma-separated (required in real mode) |
//! | `COGNITO_REGION` | The region, when it is not the pool id's prefix (optional) |
//! | `COGNITO_TOKEN_USE` | `access` (default), `id` or `any`, in real and offline mode alike |
//! | `COGNITO_JWKS_URL` | Fetch the keys from here instead of the pool's issuer (https, or http to loopback) |
//!
//! [`Env::config`] gives the configuration builder of real mode, or `None` without
//! `COGNITO_USER_POOL_ID` (offline mode: serve tokens of a local issuer, as the quick start does).
//! `COGNITO_CLIENT_ID`, `COGNITO_REGION` or `COGNITO_JWKS_URL` without a pool is refused: half a
//! real configuration must never fall back to a server that accepts locally minted tokens. Empty
//! (or all-blank) values count as unset. Every refusal is an [`EnvError`] naming the variable.
//!
//! ```
//! use tower_cognito::TokenUse;
//! use tower_cognito::env::Env;
//!
//! let env = Env::from_pairs([
//!     ("COGNITO_USER_POOL_ID", "eu-west-1_AbC123xyz"),
//!     ("COGNITO_CLIENT_ID", "4r1ktl3f2lrrvc1e5e0hdh1gjo, 7abc1ktl3f2lrrvc1e5e0hdh1g"),
//! ]);
//! assert_eq!(env.bind_addr("127.0.0.1:3000")?.port(), 3000);
//! let config = env.config()?.ok_or("real mode")?.build()?;
//! assert_eq!(config.token_use(), Some(TokenUse::Access));
//! assert_eq!(config.client_ids().map(Iterator::count), Some(2));
//!
//! // Half a real configuration is refused, naming the variable.
//! let half = Env::from_pairs([("COGNITO_CLIENT_ID", "4r1ktl3f2lrrvc1e5e0hdh1gjo")]);
//! assert_eq!(half.config().unwrap_err().var(), "COGNITO_CLIENT_ID");
//! // No pool: offline mode.
//! assert!(Env::from_pairs([("BIND_ADDR", "127.0.0.1:0")]).config()?.is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;

use crate::claims::TokenUse;
use crate::config::{CognitoConfig, CognitoConfigBuilder};
use crate::error::ConfigError;

/// The variables only real mode reads.
const REAL_MODE_VARS: [&str; 3] = ["COGNITO_CLIENT_ID", "COGNITO_REGION", "COGNITO_JWKS_URL"];

/// Where the variables are read from: the process environment ([`Env::process`]), or given pairs
/// ([`Env::from_pairs`], for tests). Values are trimmed; empty ones count as unset.
pub struct Env {
    source: Source,
}

enum Source {
    Process,
    Pairs(HashMap<String, String>),
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Source::Process => f.write_str("Env::Process"),
            Source::Pairs(pairs) => f
                .debug_struct("Env")
                .field("vars", &pairs.keys().collect::<Vec<_>>())
                .finish(),
        }
    }
}

/// Why the environment was refused: names the variable, with the configuration's own error as
/// the source where there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvError {
    /// A value does not parse (`BIND_ADDR`, `COGNITO_TOKEN_USE`).
    #[error("invalid {var} {value:?}: expected {expected}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// What it should be.
        expected: String,
    },
    /// The configuration refused a value (the source says why).
    #[error("invalid {var}")]
    Config {
        /// The variable.
        var: &'static str,
        /// The configuration's refusal.
        #[source]
        source: ConfigError,
    },
    /// `COGNITO_USER_POOL_ID` is set and no app client is.
    #[error(
        "COGNITO_CLIENT_ID is required when COGNITO_USER_POOL_ID is set (comma-separated app \
         client ids of the pool)"
    )]
    MissingClientId,
    /// A variable of real mode is set without `COGNITO_USER_POOL_ID`.
    #[error(
        "{var} is set but COGNITO_USER_POOL_ID is not: set COGNITO_USER_POOL_ID for real mode, \
         or unset {var} for offline mode"
    )]
    WithoutPool {
        /// The variable.
        var: &'static str,
    },
}

impl EnvError {
    /// The variable that was refused.
    pub fn var(&self) -> &'static str {
        match self {
            Self::Invalid { var, .. } | Self::Config { var, .. } | Self::WithoutPool { var } => var,
            Self::MissingClientId => "COGNITO_CLIENT_ID",
        }
    }
}

impl Env {
    /// The variables of this process.
    pub fn process() -> Self {
        Self {
            source: Source::Process,
        }
    }

    /// These variables only (none of the process's): for tests.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            source: Source::Pairs(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            ),
        }
    }

    /// The value of `name`, trimmed; `None` when unset or blank.
    pub fn var(&self, name: &str) -> Option<String> {
        let raw = match &self.source {
            Source::Process => std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()),
            Source::Pairs(pairs) => pairs.get(name).cloned(),
        };
        raw.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// `BIND_ADDR`, or `default` when it is unset.
    ///
    /// # Errors
    /// [`EnvError::Invalid`] when the value is not `IP:PORT` (a host name is refused).
    pub fn bind_addr(&self, default: &str) -> Result<SocketAddr, EnvError> {
        let raw = self.var("BIND_ADDR").unwrap_or_else(|| default.to_owned());
        raw.parse().map_err(|_| EnvError::Invalid {
            var: "BIND_ADDR",
            value: raw,
            expected: format!("IP:PORT, e.g. {default}"),
        })
    }

    /// `COGNITO_TOKEN_USE`: `access` when it is unset. Read in both modes (offline, it is what
    /// the embedded issuer's configuration accepts).
    ///
    /// # Errors
    /// [`EnvError::Invalid`] for a value other than `access`, `id` or `any`.
    /// The value is the one kind accepted, or `None` for `any` (either kind).
    pub fn token_use(&self) -> Result<Option<TokenUse>, EnvError> {
        match self.var("COGNITO_TOKEN_USE") {
            None => Ok(Some(TokenUse::Access)),
            Some(raw) if raw == "any" => Ok(None),
            Some(raw) => raw.parse().map(Some).map_err(|_| EnvError::Invalid {
                var: "COGNITO_TOKEN_USE",
                value: raw,
                expected: "access, id or any".to_owned(),
            }),
        }
    }

    /// Real mode's configuration builder: the pool, its app clients, region, JWKS URL and token
    /// use from the variables, already checked as [`CognitoConfigBuilder::build`] will check
    /// them (add settings of your own, then build). `None` without `COGNITO_USER_POOL_ID`:
    /// offline mode.
    ///
    /// # Errors
    /// An [`EnvError`] naming the variable: `COGNITO_TOKEN_USE` does not parse (in either mode),
    /// a real-mode variable is set without a pool, the pool is set without an app client, or the
    /// configuration refuses a value.
    pub fn config(&self) -> Result<Option<CognitoConfigBuilder>, EnvError> {
        let token_use = self.token_use()?;
        let Some(pool_id) = self.var("COGNITO_USER_POOL_ID") else {
            return match REAL_MODE_VARS.into_iter().find(|n| self.var(n).is_some()) {
                Some(var) => Err(EnvError::WithoutPool { var }),
                None => Ok(None),
            };
        };
        let clients = self.var("COGNITO_CLIENT_ID").unwrap_or_default();
        let clients = clients
            .split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty());
        let mut builder = CognitoConfig::builder(pool_id)
            .client_ids(clients)
            .token_use_choice(token_use);
        if let Some(region) = self.var("COGNITO_REGION") {
            builder = builder.region(region);
        }
        if let Some(url) = self.var("COGNITO_JWKS_URL") {
            builder = builder.jwks_url(url);
        }
        // Every value the variables gave is checked now, so that the error names its variable.
        builder.clone().build().map_err(|e| {
            let var = match &e {
                ConfigError::MissingClientId => return EnvError::MissingClientId,
                ConfigError::InvalidClientId(_) => "COGNITO_CLIENT_ID",
                ConfigError::InvalidRegion(_) => "COGNITO_REGION",
                ConfigError::InvalidJwksUrl { .. } => "COGNITO_JWKS_URL",
                // The pool id, and anything else a configuration of one pool with the default
                // settings could refuse.
                _ => "COGNITO_USER_POOL_ID",
            };
            EnvError::Config { var, source: e }
        })?;
        Ok(Some(builder))
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    /// The error and its sources on one line, as the examples print it.
    fn chain(e: &EnvError) -> String {
        let mut line = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            line = format!("{line}: {s}");
            source = s.source();
        }
        line
    }

    #[test]
    fn defaults_and_choices() {
        let none = env(&[]);
        assert_eq!(
            none.bind_addr("127.0.0.1:3000").unwrap(),
            "127.0.0.1:3000".parse().unwrap()
        );
        assert!(none.config().unwrap().is_none());
        assert_eq!(none.token_use().unwrap(), Some(TokenUse::Access));

        // Blank values count as unset.
        let blank = env(&[("BIND_ADDR", " "), ("COGNITO_REGION", "")]);
        assert_eq!(
            blank.bind_addr("127.0.0.1:3000").unwrap(),
            "127.0.0.1:3000".parse().unwrap()
        );
        assert!(blank.config().unwrap().is_none());

        // COGNITO_TOKEN_USE is honoured offline too (it names no pool).
        let id = env(&[("COGNITO_TOKEN_USE", " id ")]);
        assert!(id.config().unwrap().is_none());
        assert_eq!(id.token_use().unwrap(), Some(TokenUse::Id));

        let real = [
            ("COGNITO_USER_POOL_ID", "us-east-1_AbC123xyz"),
            ("COGNITO_CLIENT_ID", "c1"),
        ];
        let config = env(&real).config().unwrap().unwrap().build().unwrap();
        assert_eq!(
            config.token_use(),
            Some(TokenUse::Access),
            "default: access"
        );
        assert_eq!(
            config.jwks_url(),
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123xyz/.well-known/jwks.json"
        );
        assert_eq!(config.client_ids().unwrap().collect::<Vec<_>>(), ["c1"]);

        for (raw, expected) in [("id", Some(TokenUse::Id)), ("any", None)] {
            let mut vars = real.to_vec();
            vars.push(("COGNITO_TOKEN_USE", raw));
            let config = env(&vars).config().unwrap().unwrap().build().unwrap();
            assert_eq!(config.token_use(), expected);
        }

        let mut vars = real.to_vec();
        vars.push(("COGNITO_REGION", "eu-central-1"));
        vars.push(("COGNITO_CLIENT_ID", "a, b,,c"));
        vars.push(("COGNITO_JWKS_URL", "http://127.0.0.1:9/jwks.json"));
        let config = env(&vars).config().unwrap().unwrap().build().unwrap();
        assert_eq!(config.region(), "eu-central-1");
        assert_eq!(
            config.issuer(),
            "https://cognito-idp.eu-central-1.amazonaws.com/us-east-1_AbC123xyz"
        );
        assert_eq!(
            config.client_ids().unwrap().collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(config.jwks_url(), "http://127.0.0.1:9/jwks.json");
    }

    #[test]
    fn refusals_name_the_variable_on_one_line() {
        let pool = ("COGNITO_USER_POOL_ID", "us-east-1_AbC123xyz");
        let client = ("COGNITO_CLIENT_ID", "c1");
        type Vars<'a> = &'a [(&'a str, &'a str)];
        let cases: &[(Vars<'_>, &str, &[&str])] = &[
            (
                &[pool, client, ("COGNITO_TOKEN_USE", "bogus")],
                "COGNITO_TOKEN_USE",
                &["COGNITO_TOKEN_USE", "bogus", "access, id or any"],
            ),
            // Read in offline mode too.
            (
                &[("COGNITO_TOKEN_USE", "bogus")],
                "COGNITO_TOKEN_USE",
                &["invalid COGNITO_TOKEN_USE"],
            ),
            (
                &[("COGNITO_USER_POOL_ID", "bad id"), client],
                "COGNITO_USER_POOL_ID",
                &["COGNITO_USER_POOL_ID", "bad id"],
            ),
            (
                &[pool],
                "COGNITO_CLIENT_ID",
                &["COGNITO_CLIENT_ID is required"],
            ),
            (
                &[pool, ("COGNITO_CLIENT_ID", " , ")],
                "COGNITO_CLIENT_ID",
                &["COGNITO_CLIENT_ID is required"],
            ),
            (
                &[pool, ("COGNITO_CLIENT_ID", "bad client")],
                "COGNITO_CLIENT_ID",
                &["COGNITO_CLIENT_ID", "bad client"],
            ),
            (
                &[
                    pool,
                    client,
                    ("COGNITO_JWKS_URL", "http://example.com/jwks"),
                ],
                "COGNITO_JWKS_URL",
                &["COGNITO_JWKS_URL", "loopback"],
            ),
            (
                &[pool, client, ("COGNITO_REGION", "US_EAST")],
                "COGNITO_REGION",
                &["COGNITO_REGION"],
            ),
            // Half a real configuration never falls back to offline mode.
            (
                &[client],
                "COGNITO_CLIENT_ID",
                &["COGNITO_CLIENT_ID is set", "COGNITO_USER_POOL_ID"],
            ),
            (
                &[("COGNITO_JWKS_URL", "https://example.com/jwks")],
                "COGNITO_JWKS_URL",
                &["COGNITO_JWKS_URL is set"],
            ),
            (
                &[("COGNITO_REGION", "eu-west-1")],
                "COGNITO_REGION",
                &["COGNITO_REGION is set"],
            ),
        ];
        for (vars, var, needles) in cases {
            let err = env(vars).config().expect_err(&format!("{vars:?}"));
            assert_eq!(err.var(), *var, "{vars:?}");
            let line = chain(&err);
            assert!(!line.contains('\n'), "one line: {line:?}");
            for needle in *needles {
                assert!(line.contains(needle), "{vars:?}: {line:?} lacks {needle:?}");
            }
        }
        for (raw, needles) in [
            ("nonsense", &["BIND_ADDR", "nonsense"][..]),
            ("localhost:3000", &["BIND_ADDR"]),
        ] {
            let err = env(&[("BIND_ADDR", raw)])
                .bind_addr("127.0.0.1:3000")
                .unwrap_err();
            assert_eq!(err.var(), "BIND_ADDR");
            let line = chain(&err);
            assert!(!line.contains('\n'), "one line: {line:?}");
            for needle in needles {
                assert!(line.contains(needle), "{raw}: {line:?} lacks {needle:?}");
            }
            assert!(line.contains("e.g. 127.0.0.1:3000"), "{line}");
        }
    }

    #[test]
    fn the_process_environment_is_read_as_given() {
        // Nothing of the process is set or changed here (that is `unsafe` in edition 2024):
        // cargo sets CARGO_PKG_NAME for the tests it runs, and no one sets the other name.
        let process = Env::process();
        assert_eq!(
            process.var("CARGO_PKG_NAME").as_deref(),
            Some("tower-cognito")
        );
        assert_eq!(process.var("TOWER_COGNITO_NO_SUCH_VARIABLE_2b9f"), None);
        assert_eq!(format!("{process:?}"), "Env::Process");
    }
}
