//! The request-path core of an ALB layer: read `x-amzn-oidc-data`, check its header, look its key
//! up in the cache, verify, check the forwarded identities. One function ([`AlbAuthenticator::run`])
//! serves a cache hit and the end of a fetch alike, so every rule holds on both paths; only the
//! key lookup differs. Layer -> service -> this -> verifier.

use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, HeaderName};

use crate::clock::Clock;
use crate::error::{Error, ErrorKind, RequestError};
use crate::extract::Claims as CognitoClaims;
use crate::layer::CognitoAuthLayer;
use crate::metrics::Counters;

use super::cache::{KeyCache, Lookup};
use super::claims::AlbClaims;
use super::config::AlbConfig;
use super::fetch::KeyFetcher;
use super::key::AlbKey;
use super::status::AlbStatus;
use super::verifier::AlbVerifier;

/// The ALB's signed claims.
pub(crate) const DATA: HeaderName = HeaderName::from_static("x-amzn-oidc-data");
/// The user's `sub`, plain and unsigned.
pub(crate) const IDENTITY: HeaderName = HeaderName::from_static("x-amzn-oidc-identity");
/// The identity provider's access token.
pub(crate) const ACCESS_TOKEN: HeaderName = HeaderName::from_static("x-amzn-oidc-accesstoken");

/// What a verified request carries on: the ALB claims, and the Cognito claims of the forwarded
/// access token when the layer verifies it too.
#[derive(Debug)]
pub(crate) struct Authenticated {
    pub(crate) alb: Arc<AlbClaims>,
    pub(crate) cognito: Option<CognitoClaims>,
}

/// Where the synchronous step ended.
#[derive(Debug)]
pub(crate) enum Step {
    Done(Result<Authenticated, Error>),
    /// The header passed every rule and its key is not cached: fetch it, then
    /// [`AlbAuthenticator::finish`].
    Fetch(String),
}

/// Why [`AlbAuthenticator::step`] stopped.
enum Stop {
    Fetch(String),
    Refused(Error),
}

impl From<ErrorKind> for Stop {
    fn from(kind: ErrorKind) -> Self {
        Self::Refused(Error::from(kind))
    }
}

/// Everything an ALB layer's clones and services share.
pub(crate) struct AlbAuthenticator {
    verifier: AlbVerifier,
    cache: Arc<KeyCache>,
    fetcher: Option<KeyFetcher>,
    clock: Arc<dyn Clock>,
    max_header_size: usize,
    /// Verifies the forwarded access token too, and requires the same `sub`.
    access: Option<CognitoAuthLayer>,
    /// The outcomes of requests and `verify` calls.
    counters: Counters,
}

impl fmt::Debug for AlbAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlbAuthenticator")
            .field("verifier", &self.verifier)
            .field("keys", &self.cache.len())
            .field("fetcher", &self.fetcher)
            .field("access_token", &self.access.is_some())
            .finish()
    }
}

impl AlbAuthenticator {
    pub(crate) fn new(
        config: &AlbConfig,
        cache: Arc<KeyCache>,
        fetcher: Option<KeyFetcher>,
        access: Option<CognitoAuthLayer>,
    ) -> Self {
        Self {
            verifier: AlbVerifier::new(config),
            cache,
            fetcher,
            clock: Arc::clone(&config.clock),
            max_header_size: config.max_header_size,
            access,
            counters: Counters::default(),
        }
    }

    /// The synchronous step: a cached key verifies the request here, without awaiting.
    #[inline]
    pub(crate) fn authenticate(&self, headers: &HeaderMap) -> Step {
        match self.run(headers, |kid, now| self.cache.get(kid, now)) {
            Step::Done(result) => Step::Done(self.counters.count(result)),
            fetch @ Step::Fetch(_) => fetch,
        }
    }

    /// Fetches the key of `kid` (single-flight), for a request [`authenticate`](Self::authenticate)
    /// sent to fetch it.
    pub(crate) async fn fetch(&self, kid: &str) -> Result<Arc<AlbKey>, ErrorKind> {
        match &self.fetcher {
            Some(fetcher) => fetcher.key(kid).await,
            None => Err(ErrorKind::UnknownKeyId),
        }
    }

    /// The end of a request that waited for its key: the same step with that key.
    pub(crate) fn finish(
        &self,
        headers: &HeaderMap,
        fetched: Result<Arc<AlbKey>, ErrorKind>,
    ) -> Result<Authenticated, Error> {
        let result = match fetched {
            Ok(key) => match self.run(headers, |_, _| Lookup::Key(key)) {
                Step::Done(done) => done,
                // The lookup above always finds a key.
                Step::Fetch(_) => Err(Error::from(ErrorKind::KeysUnavailable)),
            },
            Err(kind) => Err(Error::from(kind)),
        };
        self.counters.count(result)
    }

    /// A token alone (no request): the header and payload rules, with a cached key or one
    /// fetched now.
    pub(crate) async fn verify_token(&self, token: &[u8]) -> Result<AlbClaims, Error> {
        let result = self.verify_token_uncounted(token).await;
        self.counters.count(result)
    }

    async fn verify_token_uncounted(&self, token: &[u8]) -> Result<AlbClaims, Error> {
        let now = self.clock.now();
        let checked = self.verifier.check(token, now)?;
        let key = match self.cache.get(&checked.kid, now) {
            Lookup::Key(key) => key,
            Lookup::Unknown => return Err(ErrorKind::UnknownKeyId.into()),
            Lookup::Absent => self.fetch(&checked.kid).await?,
        };
        Ok(self.verifier.finish(checked, &key, now)?)
    }

    /// The figures of the layer's requests, fetches and cache.
    pub(crate) fn status(&self) -> AlbStatus {
        let (accepted, rejections) = self.counters.outcomes();
        let [
            key_fetches,
            keys_loaded,
            unknown_kids,
            key_fetch_failures,
            key_fetches_refused,
        ] = self.fetcher.as_ref().map_or([0; 5], KeyFetcher::counts);
        AlbStatus {
            accepted,
            rejections,
            key_fetches,
            keys_loaded,
            unknown_kids,
            key_fetch_failures,
            key_fetches_refused,
            keys: self.cache.len().0,
        }
    }

    fn run(&self, headers: &HeaderMap, lookup: impl FnOnce(&str, u64) -> Lookup) -> Step {
        match self.step(headers, lookup) {
            Ok(done) => Step::Done(Ok(done)),
            Err(Stop::Fetch(kid)) => Step::Fetch(kid),
            Err(Stop::Refused(error)) => Step::Done(Err(error)),
        }
    }

    fn step(
        &self,
        headers: &HeaderMap,
        lookup: impl FnOnce(&str, u64) -> Lookup,
    ) -> Result<Authenticated, Stop> {
        let token = data_token(headers, self.max_header_size)?;
        let now = self.clock.now();
        let checked = self.verifier.check(token, now)?;
        let key = match lookup(&checked.kid, now) {
            Lookup::Key(key) => key,
            Lookup::Absent if self.fetcher.is_some() => return Err(Stop::Fetch(checked.kid)),
            Lookup::Unknown | Lookup::Absent => return Err(ErrorKind::UnknownKeyId.into()),
        };
        let claims = self.verifier.finish(checked, &key, now)?;
        same_identity(headers, &claims.sub)?;
        let cognito = match &self.access {
            Some(layer) => Some(access_claims(layer, headers, &claims.sub)?),
            None => None,
        };
        Ok(Authenticated {
            alb: Arc::new(claims),
            cognito,
        })
    }
}

/// The single `x-amzn-oidc-data` value: none is [`ErrorKind::MissingCredentials`]; two, or
/// control or non-ASCII bytes, `400`; longer than `max` bytes, [`ErrorKind::TokenTooLarge`].
fn data_token(headers: &HeaderMap, max: usize) -> Result<&[u8], ErrorKind> {
    let mut values = headers.get_all(DATA).iter();
    let value = values.next().ok_or(ErrorKind::MissingCredentials)?;
    if values.next().is_some() {
        return Err(ErrorKind::InvalidRequest(RequestError::MultipleAlbHeaders));
    }
    let bytes = value.as_bytes();
    if bytes.len() > max {
        return Err(ErrorKind::TokenTooLarge);
    }
    if bytes.iter().any(|b| !(0x20..0x7f).contains(b)) {
        return Err(ErrorKind::InvalidRequest(RequestError::InvalidCharacters));
    }
    Ok(bytes)
}

/// `x-amzn-oidc-identity`, when present (once), must be the verified `sub`: it is plain text any
/// client can send, so it is never an identity on its own, only one more check.
fn same_identity(headers: &HeaderMap, sub: &str) -> Result<(), ErrorKind> {
    let mut values = headers.get_all(IDENTITY).iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(()),
        (Some(value), None) if value.as_bytes() == sub.as_bytes() => Ok(()),
        _ => Err(ErrorKind::IdentityMismatch),
    }
}

/// The forwarded access token, verified by the Cognito layer, and of the same user.
fn access_claims(
    layer: &CognitoAuthLayer,
    headers: &HeaderMap,
    sub: &str,
) -> Result<CognitoClaims, Stop> {
    let mut values = headers.get_all(ACCESS_TOKEN).iter();
    let token = match (values.next(), values.next()) {
        (Some(value), None) => value
            .to_str()
            .map_err(|_| ErrorKind::InvalidRequest(RequestError::InvalidCharacters))?,
        (None, _) => return Err(ErrorKind::MissingCredentials.into()),
        (Some(_), Some(_)) => {
            return Err(ErrorKind::InvalidRequest(RequestError::MultipleAlbHeaders).into());
        }
    };
    let claims = layer.verify(token).map_err(Stop::Refused)?;
    if claims.sub != sub {
        return Err(ErrorKind::IdentityMismatch.into());
    }
    Ok(claims)
}
