//! What the store holds: a sign-in transaction (between `/login` and `/callback`) and a session.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A sign-in in progress: what `/callback` checks and needs, single use, 10 minutes.
#[derive(Serialize, Deserialize)]
pub(crate) struct Transaction {
    pub(crate) state: String,
    pub(crate) nonce: String,
    pub(crate) verifier: String,
    pub(crate) return_to: String,
}

/// A signed-in browser's session: its tokens stay here, server-side; the cookie holds the id.
#[derive(Clone, Serialize, Deserialize)]
pub struct Session {
    pub(crate) access_token: String,
    pub(crate) id_token: String,
    pub(crate) refresh_token: Option<String>,
    /// The access token's `exp` (seconds since the Unix epoch).
    pub(crate) expires_at: u64,
    pub(crate) iat: Option<u64>,
    pub(crate) sub: String,
    pub(crate) username: Option<String>,
    pub(crate) origin_jti: Option<String>,
    /// The per-session token a `GET /logout` or a logout form must carry.
    pub(crate) csrf: String,
}

impl Session {
    /// The user's `sub`.
    pub fn sub(&self) -> &str {
        &self.sub
    }

    /// The user name (`username` of the access token).
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The token a logout form or link must carry (`csrf` field or query parameter): a
    /// cross-site page cannot read it, so it cannot sign the user out.
    pub fn csrf_token(&self) -> &str {
        &self.csrf
    }

    /// When the current access token expires (seconds since the Unix epoch).
    pub fn expires_at(&self) -> u64 {
        self.expires_at
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("sub", &self.sub)
            .field("username", &self.username)
            .field("expires_at", &self.expires_at)
            .field("tokens", &"[redacted]")
            .finish_non_exhaustive()
    }
}
