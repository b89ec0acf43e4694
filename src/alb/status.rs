//! [`AlbStatus`]: what an ALB layer has done, for a `/metrics` handler, logs and tests.

use crate::error::ErrorKind;

/// The figures of an [`AlbAuthLayer`](super::AlbAuthLayer), read with
/// [`status`](super::AlbAuthLayer::status): its requests' outcomes, its key fetches and the keys
/// it holds. Taking one costs a few atomic loads and one small allocation: call it from a
/// `/metrics` handler or a test, not per request.
///
/// ```
/// # #[cfg(feature = "test-util")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tower_cognito::ErrorKind;
/// use tower_cognito::alb::AlbAuthLayer;
/// use tower_cognito::test_util::alb::LocalAlb;
///
/// // An ALB's key endpoint and tokens, in memory.
/// let alb = LocalAlb::new()?;
/// let layer = AlbAuthLayer::builder(alb.config().build()?)
///     .key_source(alb.clone())
///     .build()?;
/// layer.verify(&alb.token()).await?;
/// assert!(layer.verify("not-a-token").await.is_err());
/// let status = layer.status();
/// assert_eq!((status.accepted, status.rejected_total()), (1, 1));
/// assert_eq!(status.rejected(ErrorKind::Malformed), 1);
/// assert_eq!((status.key_fetches, status.keys_loaded, status.keys), (1, 1, 1));
/// # Ok(()) }
/// # #[cfg(not(feature = "test-util"))]
/// # fn main() {}
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AlbStatus {
    /// Requests (and [`verify`](super::AlbAuthLayer::verify) calls) that passed.
    pub accepted: u64,
    /// Rejections by error kind ([`ErrorKind::name`]), every kind listed, zeros included: read
    /// one with [`rejected`](Self::rejected).
    pub rejections: Vec<(&'static str, u64)>,
    /// Key fetches started: one per `kid` however many requests wait for it at once, and a
    /// flood of unknown `kid`s at most the fetch budget's. At least the sum of the three
    /// outcomes below (a fetch whose requests all went away ends without one).
    pub key_fetches: u64,
    /// Fetches that loaded a key.
    pub keys_loaded: u64,
    /// Fetches answered `404`: the `kid` is then refused without a fetch for a while.
    pub unknown_kids: u64,
    /// Fetches that failed otherwise (network, timeout, another status, a key refused).
    pub key_fetch_failures: u64,
    /// Fetches not started because the fetch budget was spent (a flood of unknown `kid`s):
    /// their requests were refused with `keys_unavailable`.
    pub key_fetches_refused: u64,
    /// Keys in the cache.
    pub keys: usize,
}

impl AlbStatus {
    /// Rejections of `kind` (counted by [`ErrorKind::name`]).
    pub fn rejected(&self, kind: ErrorKind) -> u64 {
        let name = kind.name();
        let found = self.rejections.iter().find(|(n, _)| *n == name);
        found.map_or(0, |(_, count)| *count)
    }

    /// Every rejection.
    pub fn rejected_total(&self) -> u64 {
        self.rejections.iter().map(|(_, count)| count).sum()
    }

    /// Hands the figures to the `metrics` facade (feature `metrics`), as
    /// [`Status::record`](crate::status::Status::record) does for the Cognito layer:
    ///
    /// | name | kind | labels |
    /// |---|---|---|
    /// | `tower_cognito_alb_verifications_total` | counter | `outcome` = `accepted` or the error kind's name |
    /// | `tower_cognito_alb_key_fetches_total` | counter | `outcome` = `loaded`, `not_found`, `failure`, or `refused` (not started: the fetch budget was spent) |
    /// | `tower_cognito_alb_keys` | gauge | |
    #[cfg(feature = "metrics")]
    pub fn record(&self) {
        use ::metrics::{counter, gauge};
        counter!("tower_cognito_alb_verifications_total", "outcome" => "accepted")
            .absolute(self.accepted);
        for (kind, count) in &self.rejections {
            counter!("tower_cognito_alb_verifications_total", "outcome" => *kind).absolute(*count);
        }
        for (outcome, count) in [
            ("loaded", self.keys_loaded),
            ("not_found", self.unknown_kids),
            ("failure", self.key_fetch_failures),
            ("refused", self.key_fetches_refused),
        ] {
            counter!("tower_cognito_alb_key_fetches_total", "outcome" => outcome).absolute(count);
        }
        gauge!("tower_cognito_alb_keys").set(self.keys as f64);
    }
}
