//! What the hyper and gRPC examples share: the quick start's environment contract (`BIND_ADDR`,
//! `COGNITO_*`, offline mode with an embedded `LocalIssuer` when no `COGNITO_*` is set), read into
//! a layer and the lines to print at start-up. Included by each example with
//! `#[path = "common/mod.rs"] mod common;`.
//!
//! | Variable | Meaning |
//! |---|---|
//! | `BIND_ADDR` | Address to listen on, `IP:PORT` (each example has its default; port `0` picks a free one) |
//! | `COGNITO_USER_POOL_ID` | The user pool, e.g. `us-east-1_AbC123xyz`; switches to real mode |
//! | `COGNITO_CLIENT_ID` | Allowed app client ids, comma-separated (required in real mode) |
//! | `COGNITO_REGION` | The region, when it is not the pool id's prefix (optional) |
//! | `COGNITO_TOKEN_USE` | `access` (default), `id` or `any` |
//! | `COGNITO_JWKS_URL` | Fetch the keys from here instead of the pool's issuer (https, or http to loopback) |

use std::net::SocketAddr;
use std::process::ExitCode;

use tower_cognito::test_util::{JwksServer, LocalIssuer};
use tower_cognito::{AcceptTokenUse, CognitoAuthLayer, CognitoConfig, ConfigError};

/// Every `COGNITO_*` variable the examples read.
pub(crate) const COGNITO_VARS: [&str; 5] = [
    "COGNITO_USER_POOL_ID",
    "COGNITO_CLIENT_ID",
    "COGNITO_REGION",
    "COGNITO_TOKEN_USE",
    "COGNITO_JWKS_URL",
];

/// What the environment asked for, already validated.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Where to listen.
    pub(crate) bind_addr: SocketAddr,
    /// The user pool to verify tokens of; `None` means offline mode (embedded local issuer).
    pub(crate) cognito: Option<CognitoConfig>,
}

/// Reads the settings through `vars` (`std::env::var` in `main`, a map in tests); `BIND_ADDR`
/// defaults to `default_bind`. Empty (or all-blank) values count as unset.
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
    let bind_addr: SocketAddr = bind.parse().map_err(|_| {
        format!("invalid BIND_ADDR {bind:?}: expected IP:PORT, e.g. {default_bind}")
    })?;

    let Some(pool_id) = var("COGNITO_USER_POOL_ID") else {
        // Offline mode, but only if nothing else hints at a real pool: a half-configured real
        // mode must not silently turn into a server that accepts locally minted tokens.
        if let Some(set) = COGNITO_VARS.iter().find(|name| var(name).is_some()) {
            return Err(format!(
                "{set} is set but COGNITO_USER_POOL_ID is not: set COGNITO_USER_POOL_ID for \
                 real mode, or unset every COGNITO_* variable for offline mode"
            ));
        }
        return Ok(Settings {
            bind_addr,
            cognito: None,
        });
    };

    let token_use = match var("COGNITO_TOKEN_USE") {
        None => AcceptTokenUse::Access,
        Some(raw) => raw.parse::<AcceptTokenUse>().map_err(|_| {
            format!("invalid COGNITO_TOKEN_USE {raw:?}: expected access, id or any")
        })?,
    };
    let client_ids: Vec<String> = var("COGNITO_CLIENT_ID")
        .map(|raw| {
            raw.split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
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
        cognito: Some(config),
    })
}

/// The layer of [`Settings`], what to print about it, and in offline mode the embedded issuer.
#[derive(Debug)]
pub(crate) struct Auth {
    /// The layer, its first key set loaded.
    pub(crate) layer: CognitoAuthLayer,
    /// The start-up lines: the mode and, offline, the printed tokens.
    pub(crate) lines: Vec<String>,
    /// Offline mode: a valid access token (1 h).
    pub(crate) access_token: Option<String>,
    /// Offline mode: the issuer's JWKS server, which must outlive the layer's refresher.
    _jwks: Option<(LocalIssuer, JwksServer)>,
}

/// Builds the layer for `settings`, waiting for the first key set. Offline, starts an embedded
/// issuer serving its JWKS on loopback and mints an access and an ID token.
///
/// # Errors
/// A one-line message when the issuer cannot start or the keys cannot be loaded.
pub(crate) async fn auth(settings: &Settings) -> Result<Auth, String> {
    if let Some(config) = &settings.cognito {
        let jwks_url = config.jwks_url().to_owned();
        let layer = CognitoAuthLayer::new(config.clone())
            .await
            .map_err(|e| format!("could not load the signing keys from {jwks_url}: {e}"))?;
        let clients = config
            .client_ids()
            .map(|ids| ids.collect::<Vec<_>>().join(","))
            .unwrap_or_default();
        let lines = vec![format!(
            "real mode: user pool {} (issuer {}, JWKS {jwks_url}, token use {}, app clients {clients})",
            config.user_pool_id(),
            config.issuer(),
            config.token_use().as_str(),
        )];
        return Ok(Auth {
            layer,
            lines,
            access_token: None,
            _jwks: None,
        });
    }
    let issuer = LocalIssuer::new().map_err(|e| format!("local issuer: {e}"))?;
    let jwks = issuer
        .serve()
        .await
        .map_err(|e| format!("local issuer: {e}"))?;
    // `issuer.config()` carries the loopback JWKS URL of `serve`.
    let config = issuer
        .config()
        .token_use(AcceptTokenUse::Any)
        .build()
        .map_err(|e| format!("local issuer configuration: {e}"))?;
    let layer = CognitoAuthLayer::new(config)
        .await
        .map_err(|e| format!("could not load the local issuer's keys: {e}"))?;
    let access_token = issuer.access_token();
    let lines = vec![
        "offline mode: no COGNITO_* variable set, tokens come from an embedded local issuer"
            .to_owned(),
        format!(
            "user pool {} (issuer {}, JWKS {}, token use any, app client {})",
            issuer.user_pool_id(),
            issuer.issuer(),
            jwks.jwks_url(),
            issuer.client_id(),
        ),
        format!("access token: {access_token}"),
        format!("id token: {}", issuer.id_token()),
        "(tokens valid for 1 hour; restart for fresh ones)".to_owned(),
    ];
    Ok(Auth {
        layer,
        lines,
        access_token: Some(access_token),
        _jwks: Some((issuer, jwks)),
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
