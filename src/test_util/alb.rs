//! A local Application Load Balancer for tests (features `alb` and `test-util`): [`LocalAlb`]
//! mints `x-amzn-oidc-data` tokens shaped like an ALB's (ES256, every segment padded with `=` as
//! the ALB pads it, the ALB's header members), serves its PEM key by `kid` on loopback
//! ([`LocalAlb::serve`]), and is an in-memory [`AlbKeySource`] too.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tower_cognito::alb::AlbAuthLayer;
//! use tower_cognito::test_util::alb::LocalAlb;
//!
//! let alb = LocalAlb::new()?;
//! let layer = AlbAuthLayer::builder(alb.config().build()?).key_source(alb.clone()).build()?;
//! let token = alb.token();
//! assert!(token.contains("=."), "padded, as an ALB pads");
//! assert_eq!(layer.verify(&token).await?.sub, "alice");
//! assert_eq!(alb.key_requests(), 1);
//! # Ok(()) }
//! ```

use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use http_body_util::Full;
use hyper::body::Bytes;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;

use super::{LOCAL_CLIENT_ID, LOCAL_POOL_ID, LocalIssuerError, TOKEN_LIFETIME};
use crate::alb::{AlbConfig, AlbConfigBuilder, AlbKeySource};
use crate::clock::{Clock, SystemClock};
use crate::source::FetchError;

/// The load balancer ARN a [`LocalAlb`] signs as.
pub const LOCAL_ALB_ARN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/local-alb/0123456789abcdef";

/// What the key endpoint (and the in-memory source) answers for the [`LocalAlb`]'s own `kid`;
/// any other `kid` is `404`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AlbKeyResponse {
    /// `200` with the PEM public key.
    Key,
    /// `200` with this body, as is.
    Body(Vec<u8>),
    /// This status and an empty body.
    Status(u16),
    /// No answer at all (the fetch times out).
    Hang,
}

struct Inner {
    pair: EcdsaKeyPair,
    pem: String,
    kid: String,
    clock: Arc<dyn Clock>,
    response: Mutex<AlbKeyResponse>,
    requests: AtomicU64,
    keys_url: Mutex<Option<String>>,
}

/// A local ALB: a P-256 key under a random UUID `kid`, the ARN [`LOCAL_ALB_ARN`], the app client
/// [`LOCAL_CLIENT_ID`] and the issuer of the user pool [`LOCAL_POOL_ID`]. Cheap to clone.
#[derive(Clone)]
pub struct LocalAlb {
    inner: Arc<Inner>,
}

impl fmt::Debug for LocalAlb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalAlb")
            .field("kid", &self.inner.kid)
            .finish_non_exhaustive()
    }
}

impl LocalAlb {
    /// A new key pair, on the system clock.
    ///
    /// # Errors
    /// [`LocalIssuerError::KeyGeneration`] if no key can be made.
    pub fn new() -> Result<Self, LocalIssuerError> {
        Self::with_clock(SystemClock)
    }

    /// A new key pair; tokens are stamped with `clock`, and [`config`](Self::config) uses it.
    ///
    /// # Errors
    /// [`LocalIssuerError::KeyGeneration`] if no key can be made.
    pub fn with_clock(clock: impl Clock) -> Result<Self, LocalIssuerError> {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| LocalIssuerError::KeyGeneration)?;
        let der = pair
            .public_key()
            .as_der()
            .map_err(|_| LocalIssuerError::KeyGeneration)?;
        Ok(Self {
            inner: Arc::new(Inner {
                pem: pem(der.as_ref()),
                pair,
                kid: random_uuid(),
                clock: Arc::new(clock),
                response: Mutex::new(AlbKeyResponse::Key),
                requests: AtomicU64::new(0),
                keys_url: Mutex::new(None),
            }),
        })
    }

    /// The `kid` of its key (a lowercase UUID).
    pub fn kid(&self) -> &str {
        &self.inner.kid
    }

    /// Its public key, PEM (`-----BEGIN PUBLIC KEY-----`, a P-256 SubjectPublicKeyInfo).
    pub fn pem(&self) -> &str {
        &self.inner.pem
    }

    /// The issuer it names (`iss`): the local user pool's.
    pub fn issuer(&self) -> String {
        format!("https://cognito-idp.us-east-1.amazonaws.com/{LOCAL_POOL_ID}")
    }

    /// Its clock's time.
    pub fn now(&self) -> u64 {
        self.inner.clock.now()
    }

    /// A configuration accepting its tokens: its ARN, app client and issuer, its clock, and
    /// while it is [served](Self::serve), the key endpoint's URL.
    pub fn config(&self) -> AlbConfigBuilder {
        let mut builder = AlbConfig::builder()
            .signer(LOCAL_ALB_ARN)
            .client_id(LOCAL_CLIENT_ID)
            .issuer(self.issuer())
            .clock(Arc::clone(&self.inner.clock));
        if let Some(url) = self.lock_url().clone() {
            builder = builder.keys_url(url);
        }
        builder
    }

    /// The JOSE header an ALB writes: `typ`, `kid`, `alg` `ES256`, `iss`, `client`, `signer`, and
    /// `exp` ([`TOKEN_LIFETIME`] from now).
    pub fn header(&self) -> Map<String, Value> {
        let header = json!({
            "typ": "JWT",
            "kid": self.inner.kid,
            "alg": "ES256",
            "iss": self.issuer(),
            "client": LOCAL_CLIENT_ID,
            "signer": LOCAL_ALB_ARN,
            "exp": self.now() + TOKEN_LIFETIME,
        });
        object(header)
    }

    /// The payload an ALB in front of Cognito writes for `sub` (the userinfo answer: `sub`,
    /// `email_verified` as the string `"true"`, `email`, `username`, then `exp` and `iss`).
    pub fn claims_for(&self, sub: &str) -> Map<String, Value> {
        object(json!({
            "sub": sub,
            "email_verified": "true",
            "email": format!("{sub}@example.com"),
            "username": sub,
            "exp": self.now() + TOKEN_LIFETIME,
            "iss": self.issuer(),
        }))
    }

    /// A valid token for the user `alice`.
    pub fn token(&self) -> String {
        self.token_for("alice")
    }

    /// A valid token for `sub`.
    pub fn token_for(&self, sub: &str) -> String {
        self.sign_json(
            &Value::Object(self.header()),
            &Value::Object(self.claims_for(sub)),
        )
    }

    /// `header` and `payload`, compact JSON, each segment padded as the ALB pads, signed.
    pub fn sign_json(&self, header: &Value, payload: &Value) -> String {
        self.sign_segments(
            &URL_SAFE.encode(header.to_string()),
            &URL_SAFE.encode(payload.to_string()),
        )
    }

    /// Signs the given encoded segments exactly as they are (`header.payload`, whatever their
    /// padding or alphabet) and appends the padded raw `r||s` signature: for tokens that break one
    /// format rule and no other.
    pub fn sign_segments(&self, header: &str, payload: &str) -> String {
        let input = format!("{header}.{payload}");
        let signature = self.signature(input.as_bytes());
        format!("{input}.{}", URL_SAFE.encode(signature))
    }

    /// The raw ES256 signature (`r||s`, 64 bytes) of `message`.
    pub fn signature(&self, message: &[u8]) -> Vec<u8> {
        self.inner
            .pair
            .sign(&SystemRandom::new(), message)
            .map(|s| s.as_ref().to_vec())
            .unwrap_or_default()
    }

    /// What the key endpoint answers from now on.
    pub fn respond_with(&self, response: AlbKeyResponse) {
        *self
            .inner
            .response
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = response;
    }

    /// Key requests answered so far (the endpoint's and the in-memory source's).
    pub fn key_requests(&self) -> u64 {
        self.inner.requests.load(Ordering::SeqCst)
    }

    /// The answer to a request for `kid`: status and body.
    fn answer(&self, kid: &str) -> (u16, Option<Vec<u8>>) {
        self.inner.requests.fetch_add(1, Ordering::SeqCst);
        if kid != self.inner.kid {
            return (404, Some(Vec::new()));
        }
        let response = self
            .inner
            .response
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match response {
            AlbKeyResponse::Key => (200, Some(self.inner.pem.clone().into_bytes())),
            AlbKeyResponse::Body(body) => (200, Some(body)),
            AlbKeyResponse::Status(status) => (status, Some(Vec::new())),
            AlbKeyResponse::Hang => (0, None),
        }
    }

    fn lock_url(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.inner
            .keys_url
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Serves the key by `kid` over HTTP on `127.0.0.1` (a free port): `GET /<kid>`. Take
    /// [`config`](Self::config) after this call. The server stops when the guard is dropped.
    ///
    /// # Errors
    /// [`LocalIssuerError::Bind`] if no loopback port can be bound.
    #[must_use = "the key server stops when its guard is dropped"]
    pub async fn serve(&self) -> Result<AlbKeyServer, LocalIssuerError> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let url = format!("http://{addr}");
        *self.lock_url() = Some(url.clone());
        let alb = self.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let alb = alb.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req: http::Request<_>| {
                        let alb = alb.clone();
                        async move {
                            let kid = req.uri().path().trim_start_matches('/').to_owned();
                            let (status, body) = alb.answer(&kid);
                            let Some(body) = body else {
                                std::future::pending::<()>().await;
                                return Ok::<_, Infallible>(http::Response::new(Full::default()));
                            };
                            let mut response = http::Response::new(Full::new(Bytes::from(body)));
                            *response.status_mut() = http::StatusCode::from_u16(status)
                                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
            }
        });
        Ok(AlbKeyServer {
            addr,
            url,
            task: task.abort_handle(),
        })
    }
}

/// In memory, without a server: what [`respond_with`](LocalAlb::respond_with) sets, `404` for
/// any other `kid`. It yields once before answering, so concurrent fetches overlap as they would
/// over a network.
impl AlbKeySource for LocalAlb {
    async fn fetch(&self, kid: &str, max_size: usize) -> Result<Vec<u8>, FetchError> {
        tokio::task::yield_now().await;
        match self.answer(kid) {
            (_, None) => std::future::pending().await,
            (200, Some(body)) if body.len() > max_size => Err(FetchError::TooLarge(max_size)),
            (200, Some(body)) => Ok(body),
            (status, Some(_)) => Err(FetchError::Status(status)),
        }
    }
}

/// The running key endpoint of a [`LocalAlb`]; stops when dropped.
#[derive(Debug)]
#[must_use = "the key server stops when this guard is dropped"]
pub struct AlbKeyServer {
    addr: SocketAddr,
    url: String,
    task: tokio::task::AbortHandle,
}

impl AlbKeyServer {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// The keys URL (`http://127.0.0.1:PORT`; a key is at `/<kid>`).
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for AlbKeyServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `der` as a PEM `PUBLIC KEY`, 64 characters a line.
fn pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = String::from("-----BEGIN PUBLIC KEY-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END PUBLIC KEY-----\n");
    out
}

fn random_uuid() -> String {
    let mut b = [0u8; 16];
    let _ = aws_lc_rs::rand::fill(&mut b);
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push_str(&format!("{byte:02x}"));
    }
    out
}
