//! The examples' environment contract, in one place: the quick start, the hyper and gRPC examples
//! and the bench server read these variables into a `CognitoAuthLayer` here, print [`Auth::banner`]
//! (the mode, what the layer accepts and, offline, the tokens), then their own "try it" lines and
//! `listening on http://ADDR` last. Each includes this file with
//! `#[path = "common/mod.rs"] mod common;` (the bench server through the quick start).
//!
//! | Variable | Meaning |
//! |---|---|
//! | `BIND_ADDR` | Address to listen on, `IP:PORT` (each example has its default; port `0` picks a free one) |
//! | `COGNITO_USER_POOL_ID` | The user pool, e.g. `us-east-1_AbC123xyz`; switches to real mode |
//! | `COGNITO_CLIENT_ID` | Allowed app client ids, comma-separated (required in real mode) |
//! | `COGNITO_REGION` | The region, when it is not the pool id's prefix (optional) |
//! | `COGNITO_TOKEN_USE` | `access` (default), `id` or `any`, in real and offline mode alike |
//! | `COGNITO_JWKS_URL` | Fetch the keys from here instead of the pool's issuer (https, or http to loopback) |
//!
//! Offline mode (no `COGNITO_USER_POOL_ID`): an embedded `LocalIssuer` serves its JWKS on loopback
//! and mints an access and an ID token to print. `COGNITO_CLIENT_ID`, `COGNITO_REGION` or
//! `COGNITO_JWKS_URL` without a pool is refused: half a real configuration must never fall back
//! to a server that accepts locally minted tokens. Empty (or all-blank) values count as unset.

use std::net::SocketAddr;
use std::process::ExitCode;

use tower_cognito::test_util::{JwksServer, LocalIssuer, LocalIssuerError};
use tower_cognito::{AcceptTokenUse, CognitoAuthLayer, CognitoConfig, ConfigError};

/// The variables only real mode reads.
const REAL_MODE_VARS: [&str; 3] = ["COGNITO_CLIENT_ID", "COGNITO_REGION", "COGNITO_JWKS_URL"];

/// What the environment asked for, already validated.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Where to listen.
    pub(crate) bind_addr: SocketAddr,
    /// The kind of token the layer accepts, in either mode.
    pub(crate) token_use: AcceptTokenUse,
    /// The user pool to verify tokens of; `None` means offline mode (embedded local issuer).
    pub(crate) cognito: Option<CognitoConfig>,
}

/// Reads the settings through `vars` ([`env`] in `main`, a map in tests); `BIND_ADDR` defaults
/// to `default_bind`.
///
/// # Errors
/// A one-line message naming the variable that is wrong.
pub(crate) fn settings_from_env(
    vars: impl Fn(&str) -> Option<String>,
    default_bind: &str,
) -> Result<Settings, String> {
    let var = |name: &str| {
        vars(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let bind = var("BIND_ADDR").unwrap_or_else(|| default_bind.to_owned());
    let bind_addr = bind.parse().map_err(|_| {
        format!("invalid BIND_ADDR {bind:?}: expected IP:PORT, e.g. {default_bind}")
    })?;
    let token_use = match var("COGNITO_TOKEN_USE") {
        None => AcceptTokenUse::Access,
        Some(raw) => raw.parse().map_err(|_| {
            format!("invalid COGNITO_TOKEN_USE {raw:?}: expected access, id or any")
        })?,
    };

    let Some(pool_id) = var("COGNITO_USER_POOL_ID") else {
        if let Some(set) = REAL_MODE_VARS.into_iter().find(|name| var(name).is_some()) {
            return Err(format!(
                "{set} is set but COGNITO_USER_POOL_ID is not: set COGNITO_USER_POOL_ID for \
                 real mode, or unset {set} for offline mode"
            ));
        }
        return Ok(Settings {
            bind_addr,
            token_use,
            cognito: None,
        });
    };

    let client_ids = var("COGNITO_CLIENT_ID").unwrap_or_default();
    let client_ids = client_ids
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty());
    let mut builder = CognitoConfig::builder(pool_id)
        .client_ids(client_ids)
        .token_use(token_use);
    if let Some(region) = var("COGNITO_REGION") {
        builder = builder.region(region);
    }
    if let Some(url) = var("COGNITO_JWKS_URL") {
        builder = builder.jwks_url(url);
    }
    let config = builder.build().map_err(|e| match e {
        ConfigError::MissingClientId => "COGNITO_CLIENT_ID is required when \
            COGNITO_USER_POOL_ID is set (comma-separated app client ids of the pool)"
            .to_owned(),
        ConfigError::InvalidUserPoolId(_) => format!("COGNITO_USER_POOL_ID: {e}"),
        ConfigError::InvalidClientId(_) => format!("COGNITO_CLIENT_ID: {e}"),
        ConfigError::InvalidRegion(_) => format!("COGNITO_REGION: {e}"),
        ConfigError::InvalidJwksUrl { .. } => format!("COGNITO_JWKS_URL: {e}"),
        other => format!("invalid Cognito configuration: {other}"),
    })?;
    Ok(Settings {
        bind_addr,
        token_use,
        cognito: Some(config),
    })
}

/// Offline mode's embedded issuer and the tokens it printed.
#[derive(Debug)]
pub(crate) struct Offline {
    /// The issuer that signed the tokens (and signs more for the bench server).
    pub(crate) issuer: LocalIssuer,
    /// Serves the issuer's JWKS on loopback until dropped: it must outlive the layer.
    pub(crate) jwks: JwksServer,
    /// A valid access token (1 h).
    pub(crate) access_token: String,
    /// A valid ID token (1 h).
    pub(crate) id_token: String,
}

/// The layer of [`Settings`], what to print about it, and in offline mode the embedded issuer.
#[derive(Debug)]
pub(crate) struct Auth {
    /// The layer, its first key set loaded.
    pub(crate) layer: CognitoAuthLayer,
    /// Offline mode only; keep it alive as long as the layer serves.
    pub(crate) offline: Option<Offline>,
    /// The start-up lines: the mode, the accepted token use and, offline, the printed tokens.
    pub(crate) banner: Vec<String>,
    /// What the layer accepts, for [`Auth::try_token`].
    token_use: AcceptTokenUse,
}

impl Auth {
    /// The token for a "try it" line: offline, the printed token the layer accepts (the ID token
    /// when it takes ID tokens only); in real mode `$TOKEN`, for the reader's own.
    pub(crate) fn try_token(&self) -> &str {
        match &self.offline {
            Some(o) if self.token_use == AcceptTokenUse::Id => &o.id_token,
            Some(o) => &o.access_token,
            None => "$TOKEN",
        }
    }
}

/// Builds the layer for `settings`, waiting for the first key set. Offline, starts an embedded
/// issuer serving its JWKS on loopback and mints an access and an ID token.
///
/// # Errors
/// A one-line message when the issuer cannot start or the keys cannot be loaded.
pub(crate) async fn auth(settings: &Settings) -> Result<Auth, String> {
    let token_use = settings.token_use;
    let accepts = format!("accepted token use: {}", token_use.as_str());
    if let Some(config) = &settings.cognito {
        let jwks_url = config.jwks_url();
        let layer = CognitoAuthLayer::new(config.clone())
            .await
            .map_err(|e| format!("could not load the signing keys from {jwks_url}: {e}"))?;
        let clients = config.client_ids().map(|ids| ids.collect::<Vec<_>>());
        let banner = vec![
            format!(
                "real mode: user pool {}, issuer {}, app clients {}",
                config.user_pool_id(),
                config.issuer(),
                clients.unwrap_or_default().join(", "),
            ),
            format!("JWKS {jwks_url}"),
            accepts,
            "(put a token of this pool in $TOKEN)".to_owned(),
        ];
        return Ok(Auth {
            layer,
            offline: None,
            banner,
            token_use,
        });
    }
    let local = |e: LocalIssuerError| format!("local issuer: {e}");
    let issuer = LocalIssuer::new().map_err(local)?;
    let jwks = issuer.serve().await.map_err(local)?;
    // `config()` points at the JWKS that `serve` publishes on loopback.
    let config = issuer.config().token_use(token_use).build();
    let config = config.map_err(|e| format!("local issuer: {e}"))?;
    let layer = CognitoAuthLayer::new(config)
        .await
        .map_err(|e| format!("could not load the local issuer's keys: {e}"))?;
    // The printed user is in the groups `users` and `admins` (the quick start's `GET /admin`
    // needs `admins`).
    let groups = ["users", "admins"];
    let offline = Offline {
        access_token: issuer.token().claim("cognito:groups", groups).build(),
        id_token: issuer
            .id_token_builder()
            .claim("cognito:groups", groups)
            .build(),
        issuer,
        jwks,
    };
    let banner = vec![
        "offline mode: no COGNITO_USER_POOL_ID, tokens from an embedded issuer".to_owned(),
        format!(
            "user pool {}, app client {}, JWKS {}",
            offline.issuer.user_pool_id(),
            offline.issuer.client_id(),
            offline.jwks.jwks_url(),
        ),
        accepts,
        format!("access token: {}", offline.access_token),
        format!("id token: {}", offline.id_token),
        format!(
            "(both for the user alice, in the groups {}; valid for 1 hour: restart for fresh ones)",
            groups.join(" and ")
        ),
    ];
    Ok(Auth {
        layer,
        offline: Some(offline),
        banner,
        token_use,
    })
}

/// Binds `settings.bind_addr` (port `0`: a free one) and returns the listener and its address.
///
/// # Errors
/// A one-line message when the address cannot be bound.
pub(crate) async fn bind(
    settings: &Settings,
) -> Result<(tokio::net::TcpListener, SocketAddr), String> {
    let listener = tokio::net::TcpListener::bind(settings.bind_addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", settings.bind_addr))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    Ok((listener, addr))
}

/// The process's environment, as [`settings_from_env`] reads it.
pub(crate) fn env(name: &str) -> Option<String> {
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}

/// The exit of an example named `name`: success, or its error on one line of stderr and `1`.
pub(crate) fn exit(name: &str, result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: error: {e}");
            ExitCode::FAILURE
        }
    }
}
