//! The rejection event: one `tracing` event per rejected request, at debug level, with the error
//! kind's name, the status, the pool and the token's `kid` (escaped; it is attacker-chosen, capped
//! in length by the header rules), never the token, a claim or a header value. The `kid` is read
//! again only when the event is enabled, so a disabled subscriber costs one check.

use http::HeaderMap;

use crate::auth::Authenticator;
use crate::error::Error;

impl<E> Authenticator<E> {
    /// Emits the rejection event of a request with these headers.
    #[inline]
    pub(crate) fn trace_rejection(&self, headers: &HeaderMap, error: &Error) {
        #[cfg(feature = "tracing")]
        if tracing::enabled!(tracing::Level::DEBUG) {
            let layer = &self.config().layer;
            let candidate = crate::bearer::token_candidate(
                headers,
                layer.max_token_size,
                layer.cookie.as_deref(),
            )
            .ok();
            let kid = candidate
                .and_then(crate::jws::split)
                .and_then(|parts| crate::header::segment_kid(parts.header).ok());
            // With several pools, the one the token's `iss` names (`-` when none does).
            let pool = candidate.and_then(|c| self.pool_id_of(c)).unwrap_or("-");
            tracing::debug!(
                kind = error.kind().name(),
                status = error.status().as_u16(),
                pool,
                kid = ?kid.as_deref().unwrap_or("-"),
                "request rejected"
            );
        }
        #[cfg(not(feature = "tracing"))]
        let _ = (headers, error);
    }
}
