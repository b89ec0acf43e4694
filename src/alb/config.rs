//! [`AlbConfig`]: which load balancers, app clients and issuer an ALB layer accepts, where their
//! keys come from, and the bounds of the request path. Plain data, checked once by
//! [`AlbConfigBuilder::build`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::clock::{Clock, SystemClock};
use crate::error::ConfigError;
use crate::syntax::is_qdtext;
use crate::urls::{fetch_url, without_userinfo};

use super::key::KeyError;

/// Default cap of the `x-amzn-oidc-data` header: the ALB's user claims plus the access token can
/// reach about 11 KB, so this cap is its own, not the bearer token's.
pub const DEFAULT_MAX_HEADER_SIZE: usize = 16 * 1024;

/// Why an ALB configuration (or layer) was refused: raised by [`AlbConfigBuilder::build`] and
/// [`AlbLayerBuilder::build`](super::AlbLayerBuilder::build), never per request.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AlbConfigError {
    /// No load balancer ARN: the signer pin is required, there is no "any signer".
    #[error("no load balancer ARN: call signer(..) with the ARN of each ALB in front")]
    MissingSigner,
    /// An ARN is not an ALB ARN (`arn:<aws|aws-cn|aws-us-gov>:elasticloadbalancing:<region>:...`).
    #[error("invalid load balancer ARN {0:?}")]
    InvalidSigner(String),
    /// The ARNs name several regions: one layer fetches its keys from one region.
    #[error("the load balancer ARNs name several regions ({0} and {1}): use one layer per region")]
    SeveralRegions(String, String),
    /// No app client id (the header's `client`).
    #[error("no app client id: call client_id(..)")]
    MissingClientId,
    /// An app client id is empty or has characters outside ASCII letters and digits.
    #[error("invalid app client id {0:?}")]
    InvalidClientId(String),
    /// No issuer (the header's `iss`).
    #[error("no issuer: call issuer(..) with the identity provider's issuer URL")]
    MissingIssuer,
    /// The issuer is empty or not printable ASCII.
    #[error("invalid issuer {0:?}")]
    InvalidIssuer(String),
    /// The keys URL is not https (or plain http to a loopback host), or has credentials.
    #[error("invalid ALB keys URL {url:?}: {reason}")]
    InvalidKeysUrl {
        /// The URL as given (credentials removed).
        url: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A duration or size is out of its allowed range.
    #[error("{name} is out of range: {reason}")]
    OutOfRange {
        /// The setting's name.
        name: &'static str,
        /// The allowed range.
        reason: &'static str,
    },
    /// The realm cannot be a quoted `WWW-Authenticate` parameter.
    #[error(transparent)]
    Realm(#[from] ConfigError),
    /// A static key is not a P-256 public key PEM, or its `kid` is not a UUID.
    #[error("invalid static key {kid:?}: {reason}")]
    InvalidKey {
        /// The `kid` it was given for.
        kid: String,
        /// Why it was refused.
        #[source]
        reason: KeyError,
    },
    /// The layer has no static key and no key source: without the `reqwest` feature, give it an
    /// [`AlbKeySource`](super::AlbKeySource).
    #[error("no key source: without the `reqwest` feature, give the layer one")]
    NoKeySource,
    /// The HTTP client could not be built.
    #[error("the HTTP client could not be built")]
    HttpClient(#[source] Arc<dyn std::error::Error + Send + Sync>),
}

/// What an ALB layer accepts, and its bounds. Made with [`AlbConfig::builder`].
#[derive(Clone)]
pub struct AlbConfig {
    pub(crate) signers: Box<[Box<str>]>,
    pub(crate) region: Box<str>,
    pub(crate) client_ids: Box<[Box<str>]>,
    pub(crate) issuer: Box<str>,
    /// Read by the reqwest source (its loopback rule).
    #[cfg_attr(not(feature = "reqwest"), allow(dead_code))]
    pub(crate) keys_url: Url,
    /// `keys_url` without a trailing `/`: a key is at `{keys_base}/{kid}`.
    pub(crate) keys_base: Box<str>,
    pub(crate) leeway: u64,
    pub(crate) max_header_size: usize,
    pub(crate) fetch_timeout: Duration,
    pub(crate) fetch_cooldown: Duration,
    pub(crate) fetch_burst: u32,
    pub(crate) max_keys: usize,
    pub(crate) unknown_kid_ttl: u64,
    pub(crate) max_unknown_kids: usize,
    pub(crate) realm: Box<str>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl fmt::Debug for AlbConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlbConfig")
            .field("signers", &self.signers)
            .field("client_ids", &self.client_ids)
            .field("issuer", &self.issuer)
            .field("keys_url", &self.keys_base)
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

impl AlbConfig {
    /// Starts a configuration: give it the load balancer ARNs
    /// ([`signer`](AlbConfigBuilder::signer)), the app client ids
    /// ([`client_id`](AlbConfigBuilder::client_id)) and the issuer
    /// ([`issuer`](AlbConfigBuilder::issuer)), all required.
    pub fn builder() -> AlbConfigBuilder {
        AlbConfigBuilder::default()
    }

    /// The accepted load balancer ARNs (the header's `signer`).
    pub fn signers(&self) -> impl Iterator<Item = &str> {
        self.signers.iter().map(|s| &**s)
    }

    /// The region of the load balancers.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The accepted app client ids (the header's `client`).
    pub fn client_ids(&self) -> impl Iterator<Item = &str> {
        self.client_ids.iter().map(|s| &**s)
    }

    /// The accepted issuer (the header's `iss`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Where the keys are fetched from, as `<keys_url>/<kid>`.
    pub fn keys_url(&self) -> &str {
        &self.keys_base
    }

    /// The realm of the `WWW-Authenticate` challenge.
    pub fn realm(&self) -> &str {
        &self.realm
    }
}

/// Builds an [`AlbConfig`]; nothing is checked before [`build`](Self::build).
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until built"]
pub struct AlbConfigBuilder {
    signers: Vec<String>,
    client_ids: Vec<String>,
    issuer: Option<String>,
    keys_url: Option<String>,
    leeway: Duration,
    max_header_size: usize,
    fetch_timeout: Duration,
    fetch_cooldown: Duration,
    fetch_burst: u32,
    max_keys: usize,
    unknown_kid_ttl: Duration,
    max_unknown_kids: usize,
    realm: String,
    clock: Option<Arc<dyn Clock>>,
}

impl Default for AlbConfigBuilder {
    fn default() -> Self {
        Self {
            signers: Vec::new(),
            client_ids: Vec::new(),
            issuer: None,
            keys_url: None,
            leeway: Duration::from_secs(60),
            max_header_size: DEFAULT_MAX_HEADER_SIZE,
            fetch_timeout: Duration::from_secs(5),
            fetch_cooldown: Duration::from_secs(1),
            fetch_burst: 4,
            max_keys: 16,
            unknown_kid_ttl: Duration::from_secs(60),
            max_unknown_kids: 1024,
            realm: crate::config::CognitoConfig::DEFAULT_REALM.to_owned(),
            clock: None,
        }
    }
}

impl AlbConfigBuilder {
    /// Accepts tokens signed by this load balancer (its ARN, compared exactly with the header's
    /// `signer`); call once per ALB in front of the service (all in one region). Required.
    pub fn signer(mut self, arn: impl Into<String>) -> Self {
        self.signers.push(arn.into());
        self
    }

    /// Accepts tokens of this app client (the header's `client`); call once per client. Required.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_ids.push(client_id.into());
        self
    }

    /// The issuer the ALB authenticates with (the header's `iss`, and the payload's when it has
    /// one), compared exactly: with Cognito, `https://cognito-idp.<region>.amazonaws.com/<pool>`.
    /// Required.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Fetch the keys as `<url>/<kid>` instead of the region's endpoint
    /// (`https://public-keys.auth.elb.<region>.amazonaws.com`; in GovCloud the region's S3
    /// bucket). https, or plain http to a loopback host.
    pub fn keys_url(mut self, url: impl Into<String>) -> Self {
        self.keys_url = Some(url.into());
        self
    }

    /// Clock skew allowed on `exp` (default 60 s, at most 5 min).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Largest `x-amzn-oidc-data` accepted, in bytes (default 16 KiB, from 1 KiB to 64 KiB).
    pub fn max_header_size(mut self, bytes: usize) -> Self {
        self.max_header_size = bytes;
        self
    }

    /// Limit of one key fetch (default 5 s, from 100 ms to 60 s).
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// Key fetches are rate-limited overall: at most [`fetch_burst`](Self::fetch_burst) at once,
    /// then one more per `cooldown` (default 1 s, from 10 ms to 1 h). A request whose key is not
    /// cached while the budget is spent is answered `503` with `Retry-After`.
    pub fn fetch_cooldown(mut self, cooldown: Duration) -> Self {
        self.fetch_cooldown = cooldown;
        self
    }

    /// How many key fetches may start back to back before the cooldown applies (default 4, from
    /// 1 to 64).
    pub fn fetch_burst(mut self, burst: u32) -> Self {
        self.fetch_burst = burst;
        self
    }

    /// Most keys kept (default 16, from 1 to 1024); the oldest goes first.
    pub fn max_keys(mut self, keys: usize) -> Self {
        self.max_keys = keys;
        self
    }

    /// How long a `kid` whose key URL answered `404` is refused without asking again (default
    /// 60 s, from 1 s to 1 h).
    pub fn unknown_kid_ttl(mut self, ttl: Duration) -> Self {
        self.unknown_kid_ttl = ttl;
        self
    }

    /// Most unknown `kid`s remembered (default 1024, from 1 to 65 536).
    pub fn max_unknown_kids(mut self, kids: usize) -> Self {
        self.max_unknown_kids = kids;
        self
    }

    /// The realm of the `WWW-Authenticate` challenge (default `api`).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// The clock of the `exp` rule and of the unknown-`kid` cache (the system clock by default).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Checks every setting.
    ///
    /// # Errors
    /// An [`AlbConfigError`] naming what is missing or refused.
    pub fn build(self) -> Result<AlbConfig, AlbConfigError> {
        if self.signers.is_empty() {
            return Err(AlbConfigError::MissingSigner);
        }
        let mut region: Option<String> = None;
        for arn in &self.signers {
            let r = arn_region(arn).ok_or_else(|| AlbConfigError::InvalidSigner(arn.clone()))?;
            match &region {
                Some(first) if first != r => {
                    return Err(AlbConfigError::SeveralRegions(first.clone(), r.to_owned()));
                }
                _ => region = Some(r.to_owned()),
            }
        }
        let region = region.ok_or(AlbConfigError::MissingSigner)?;
        if self.client_ids.is_empty() {
            return Err(AlbConfigError::MissingClientId);
        }
        if let Some(bad) = self
            .client_ids
            .iter()
            .find(|c| c.is_empty() || !c.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            return Err(AlbConfigError::InvalidClientId(bad.clone()));
        }
        let issuer = self.issuer.ok_or(AlbConfigError::MissingIssuer)?;
        if issuer.is_empty() || !issuer.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(AlbConfigError::InvalidIssuer(issuer));
        }
        let raw_url = self.keys_url.unwrap_or_else(|| default_keys_url(&region));
        let keys_url = fetch_url(raw_url.trim_end_matches('/')).map_err(|reason| {
            AlbConfigError::InvalidKeysUrl {
                url: without_userinfo(&raw_url),
                reason,
            }
        })?;
        in_range(
            "leeway",
            self.leeway <= Duration::from_secs(300),
            "at most 5 min",
        )?;
        in_range(
            "max_header_size",
            (1024..=64 * 1024).contains(&self.max_header_size),
            "1 KiB to 64 KiB",
        )?;
        in_range(
            "fetch_timeout",
            (Duration::from_millis(100)..=Duration::from_secs(60)).contains(&self.fetch_timeout),
            "100 ms to 60 s",
        )?;
        in_range(
            "fetch_cooldown",
            (Duration::from_millis(10)..=Duration::from_secs(3600)).contains(&self.fetch_cooldown),
            "10 ms to 1 h",
        )?;
        in_range(
            "fetch_burst",
            (1..=64).contains(&self.fetch_burst),
            "1 to 64",
        )?;
        in_range("max_keys", (1..=1024).contains(&self.max_keys), "1 to 1024")?;
        in_range(
            "unknown_kid_ttl",
            (Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&self.unknown_kid_ttl),
            "1 s to 1 h",
        )?;
        in_range(
            "max_unknown_kids",
            (1..=65_536).contains(&self.max_unknown_kids),
            "1 to 65 536",
        )?;
        if self.realm.is_empty() || !self.realm.bytes().all(is_qdtext) {
            return Err(ConfigError::InvalidRealm(self.realm).into());
        }
        Ok(AlbConfig {
            signers: self.signers.into_iter().map(Into::into).collect(),
            region: region.into(),
            client_ids: self.client_ids.into_iter().map(Into::into).collect(),
            issuer: issuer.into(),
            keys_base: keys_url.as_str().trim_end_matches('/').into(),
            keys_url,
            leeway: self.leeway.as_secs(),
            max_header_size: self.max_header_size,
            fetch_timeout: self.fetch_timeout,
            fetch_cooldown: self.fetch_cooldown,
            fetch_burst: self.fetch_burst,
            max_keys: self.max_keys,
            unknown_kid_ttl: self.unknown_kid_ttl.as_secs(),
            max_unknown_kids: self.max_unknown_kids,
            realm: self.realm.into(),
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
        })
    }
}

fn in_range(name: &'static str, ok: bool, reason: &'static str) -> Result<(), AlbConfigError> {
    if ok {
        Ok(())
    } else {
        Err(AlbConfigError::OutOfRange { name, reason })
    }
}

/// The region of an ALB ARN, by the rule of AWS's own verifier (awslabs/aws-jwt-verify
/// `src/alb-verifier.ts`, `ALB_ARN_REGEX`):
/// `^arn:(?:aws|aws-cn|aws-us-gov):elasticloadbalancing:([a-z]{2}-(?:gov-)?[a-z]+-\d{1}):.+$`.
pub(crate) fn arn_region(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:")?;
    let (partition, rest) = rest.split_once(':')?;
    if !matches!(partition, "aws" | "aws-cn" | "aws-us-gov") {
        return None;
    }
    let rest = rest.strip_prefix("elasticloadbalancing:")?;
    let (region, resource) = rest.split_once(':')?;
    (is_region(region) && !resource.is_empty()).then_some(region)
}

/// `[a-z]{2}-(?:gov-)?[a-z]+-\d{1}`.
fn is_region(region: &str) -> bool {
    let lower = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase());
    let parts: Vec<&str> = region.split('-').collect();
    let (country, middle, digit) = match parts.as_slice() {
        [c, m, d] => (*c, vec![*m], *d),
        [c, "gov", m, d] => (*c, vec!["gov", *m], *d),
        _ => return false,
    };
    country.len() == 2
        && lower(country)
        && middle.iter().all(|m| lower(m))
        && digit.len() == 1
        && digit.bytes().all(|b| b.is_ascii_digit())
}

/// The regional key endpoint (elb2023): `public-keys.auth.elb.<region>.amazonaws.com`, and for
/// GovCloud the region's S3 bucket.
fn default_keys_url(region: &str) -> String {
    if region.starts_with("us-gov-") {
        format!("https://s3-{region}.amazonaws.com/aws-elb-public-keys-prod-{region}")
    } else {
        format!("https://public-keys.auth.elb.{region}.amazonaws.com")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188";

    fn base() -> AlbConfigBuilder {
        AlbConfig::builder()
            .signer(ARN)
            .client_id("4r1ktl3f2lrrvc1e5e0hdh1gjo")
            .issuer("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123xyz")
    }

    #[test]
    fn arn_rule_of_aws_jwt_verify() {
        for (arn, region) in [
            (ARN, Some("us-east-1")),
            (
                "arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:1:loadbalancer/app/a/b",
                Some("us-gov-west-1"),
            ),
            (
                "arn:aws-cn:elasticloadbalancing:cn-north-1:1:x",
                Some("cn-north-1"),
            ),
            ("arn:aws:elasticloadbalancing:us-east-1:", None),
            ("arn:aws:elasticloadbalancing:us-east-12:1:x", None),
            ("arn:aws:elasticloadbalancing:US-east-1:1:x", None),
            ("arn:aws:elasticloadbalancing:use-east-1:1:x", None),
            ("arn:aws:ec2:us-east-1:1:x", None),
            ("arn:other:elasticloadbalancing:us-east-1:1:x", None),
            ("", None),
        ] {
            assert_eq!(arn_region(arn), region, "{arn}");
        }
    }

    #[test]
    fn defaults_and_refusals() {
        let c = base().build().unwrap();
        assert_eq!(c.region(), "us-east-1");
        assert_eq!(
            c.keys_url(),
            "https://public-keys.auth.elb.us-east-1.amazonaws.com"
        );
        let gov = base()
            .signer("arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:1:loadbalancer/app/a/b");
        assert!(matches!(
            gov.build(),
            Err(AlbConfigError::SeveralRegions(a, b)) if a == "us-east-1" && b == "us-gov-west-1"
        ));
        let gov = AlbConfig::builder()
            .signer("arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:1:loadbalancer/app/a/b")
            .client_id("c1")
            .issuer("i")
            .build()
            .unwrap();
        assert_eq!(
            gov.keys_url(),
            "https://s3-us-gov-west-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-west-1"
        );
        let no_signer = AlbConfig::builder().client_id("c1").issuer("i").build();
        assert!(matches!(no_signer, Err(AlbConfigError::MissingSigner)));
        assert!(matches!(
            AlbConfig::builder().signer(ARN).issuer("i").build(),
            Err(AlbConfigError::MissingClientId)
        ));
        assert!(matches!(
            AlbConfig::builder().signer(ARN).client_id("c").build(),
            Err(AlbConfigError::MissingIssuer)
        ));
        assert!(matches!(
            base()
                .signer("arn:aws:elasticloadbalancing:eu-west-1:1:x")
                .build(),
            Err(AlbConfigError::SeveralRegions(..))
        ));
        assert!(matches!(
            base().keys_url("http://example.com").build(),
            Err(AlbConfigError::InvalidKeysUrl { .. })
        ));
        assert!(matches!(
            base().keys_url("https://u:p@example.com").build(),
            Err(AlbConfigError::InvalidKeysUrl { url, .. }) if !url.contains("u:p")
        ));
        assert_eq!(
            base()
                .keys_url("http://127.0.0.1:1/keys/")
                .build()
                .unwrap()
                .keys_url(),
            "http://127.0.0.1:1/keys"
        );
        assert!(matches!(
            base().client_id("bad id").build(),
            Err(AlbConfigError::InvalidClientId(_))
        ));
        assert!(matches!(
            base().max_header_size(10).build(),
            Err(AlbConfigError::OutOfRange {
                name: "max_header_size",
                ..
            })
        ));
        assert!(matches!(
            base().realm("a\"b").build(),
            Err(AlbConfigError::Realm(_))
        ));
    }
}
