//! [`AccessToken`]: a token the source handed out, with its `Authorization` header built once.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;

use super::scopes::Scopes;
use crate::secret::Secret;

/// An access token from the token endpoint, valid when handed out. Cheap to clone.
///
/// `Debug` never shows the token; the `Authorization` header value is built once per token
/// and marked sensitive (HTTP/2 and HTTP/3 never index it).
#[derive(Clone)]
pub struct AccessToken(pub(crate) Arc<Granted>);

/// A cached token and its times on the source's clock.
pub(crate) struct Granted {
    pub(crate) value: Secret,
    pub(crate) header: HeaderValue,
    pub(crate) scopes: Scopes,
    pub(crate) lifetime: Duration,
    /// From here on, the next call starts a refresh in the background.
    pub(crate) refresh_at: Duration,
    /// From here on, the token is never handed out.
    pub(crate) expires_at: Duration,
}

impl AccessToken {
    /// The token (a JWT).
    pub fn expose(&self) -> &str {
        self.0.value.expose()
    }

    /// `Bearer <token>`, ready for an `Authorization` header.
    pub fn header_value(&self) -> &HeaderValue {
        &self.0.header
    }

    /// The scope set it was asked for (empty: every custom scope of the client).
    pub fn scopes(&self) -> &Scopes {
        &self.0.scopes
    }

    /// Its lifetime as the token endpoint gave it (`expires_in`).
    pub fn lifetime(&self) -> Duration {
        self.0.lifetime
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &self.0.value)
            .field("scopes", &self.0.scopes)
            .field("lifetime", &self.0.lifetime)
            .finish()
    }
}
