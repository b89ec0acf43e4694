//! [`WebSignIn`]: the sign-in, callback and logout of a server-rendered app, and the session
//! behind each request.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Body;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};

use tower_cognito::Verifier;
use tower_cognito::clock::Clock;
use tower_cognito::deny::DenyList;

use super::cookie::{read_cookie, set_cookie};
use super::endpoint::{EndpointError, Endpoints};
use super::random::{is_random_id, random_id, s256, same};
use super::return_to::local_path;
use super::session::{Session, Transaction};
use super::store::{SessionStore, StoreError};
use super::verify::{AccessCheck, TokenRefused, check_id_token};

mod builder;

pub use self::builder::WebSignInBuilder;

/// How long a sign-in may take between `/login` and `/callback`.
const TRANSACTION_LIFETIME: Duration = Duration::from_secs(600);
const SESSION_KEY: &str = "tower-cognito:session:";
const LOGIN_KEY: &str = "tower-cognito:login:";
/// The `error` codes of the authorization endpoint shown on the callback's page; any other is
/// shown as `error`.
const SHOWN_ERRORS: [&str; 7] = [
    "access_denied",
    "invalid_request",
    "unauthorized_client",
    "unsupported_response_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
];

/// Web sign-in for a server-rendered app with Cognito's managed login: the authorization code
/// flow with PKCE (S256), `state` and `nonce`, server-side sessions, refresh, and logout.
///
/// [`router`](Self::router) gives the routes (`/login`, `/callback`, `/logout`);
/// [`layer`](Self::layer) puts the session's access token on each request for the
/// application's own `CognitoAuthLayer`, so a route is protected the same way for browsers and
/// API callers. Cheap to clone. See the [guide](crate::guide::web).
#[derive(Clone)]
pub struct WebSignIn {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) endpoints: Endpoints,
    /// This site's origin (`https://app.example.com`), for the logout's CSRF check.
    pub(crate) origin: String,
    pub(crate) redirect_uri: String,
    pub(crate) logout_uri: String,
    pub(crate) scopes: String,
    pub(crate) identity_provider: Option<String>,
    pub(crate) lang: Option<String>,
    pub(crate) store: Arc<dyn SessionStore>,
    pub(crate) id_verifier: Verifier,
    pub(crate) access: Arc<dyn AccessCheck>,
    pub(crate) deny: Option<DenyList>,
    pub(crate) secure: bool,
    pub(crate) session_cookie: String,
    pub(crate) login_cookie: String,
    pub(crate) session_lifetime: Duration,
    pub(crate) refresh_margin: Duration,
    /// One refresh at a time per session in this process.
    pub(crate) refreshing: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl fmt::Debug for WebSignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("WebSignIn")
            .field("authorize", &inner.endpoints.authorize.as_str())
            .field("client_id", &inner.endpoints.client_id)
            .field("client_secret", &inner.endpoints.authorization)
            .field("redirect_uri", &inner.redirect_uri)
            .field("scopes", &inner.scopes)
            .field("store", &inner.store)
            .finish_non_exhaustive()
    }
}

/// Why [`WebSignIn::session`] could not say whether the request is signed in: the store or the
/// token endpoint (for a due refresh of an expired token) is down. The request gets `503`.
#[derive(Debug)]
pub(crate) struct Unavailable(
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))] pub(crate) &'static str,
);

// The log macros drop their fields without `tracing`: the values they name go unused then.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
impl WebSignIn {
    /// A builder for the app client `client_id` on the managed-login `domain`
    /// (`https://<prefix>.auth.<region>.amazoncognito.com`, a custom domain, or the local user
    /// pool's `http://127.0.0.1:PORT`), with `redirect_uri` (the callback route's absolute
    /// URL, one of the client's callback URLs, sent byte for byte to both endpoints).
    pub fn builder(
        domain: impl Into<String>,
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> WebSignInBuilder {
        WebSignInBuilder::new(domain.into(), client_id.into(), redirect_uri.into())
    }

    /// `GET /login[?return_to=/path][&max_age=N][&acr_values=...]`: a new sign-in transaction
    /// and a redirect to managed login.
    pub async fn login(&self, query: Option<&str>) -> Response<Body> {
        let inner = &self.inner;
        let params = query_params(query);
        let return_to = local_path(params.get("return_to").map_or("/", String::as_str));
        let (Some(id), Some(state), Some(nonce), Some(verifier)) =
            (random_id(), random_id(), random_id(), random_id())
        else {
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "No randomness for a sign-in.",
            );
        };
        let transaction = Transaction {
            state: state.clone(),
            nonce: nonce.clone(),
            verifier: verifier.clone(),
            return_to,
        };
        let Ok(value) = serde_json::to_vec(&transaction) else {
            return page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The sign-in could not start.",
            );
        };
        let key = format!("{LOGIN_KEY}{id}");
        if let Err(error) = inner.store.put(&key, value, TRANSACTION_LIFETIME).await {
            return store_down(&error);
        }
        let mut url = inner.endpoints.authorize.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &inner.endpoints.client_id)
                .append_pair("redirect_uri", &inner.redirect_uri)
                .append_pair("scope", &inner.scopes)
                .append_pair("state", &state)
                .append_pair("nonce", &nonce)
                .append_pair("code_challenge", &s256(&verifier))
                .append_pair("code_challenge_method", "S256");
            if let Some(idp) = &inner.identity_provider {
                q.append_pair("identity_provider", idp);
            }
            if let Some(lang) = &inner.lang {
                q.append_pair("lang", lang);
            }
            if let Some(max_age) = params.get("max_age").filter(|v| is_max_age(v)) {
                q.append_pair("max_age", max_age);
            }
            if let Some(acr) = params.get("acr_values").filter(|v| is_acr_values(v)) {
                q.append_pair("acr_values", acr);
            }
        }
        let cookie = set_cookie(
            &inner.login_cookie,
            &id,
            TRANSACTION_LIFETIME.as_secs(),
            inner.secure,
        );
        redirect(StatusCode::FOUND, url.as_str(), &[cookie])
    }

    /// `GET /callback?code=...&state=...`: checks the transaction of this browser, redeems the
    /// code, verifies the tokens, starts a new session and redirects to the return path.
    pub async fn callback(&self, headers: &HeaderMap, query: Option<&str>) -> Response<Body> {
        let inner = &self.inner;
        let params = query_params(query);
        let clear_login = set_cookie(&inner.login_cookie, "", 0, inner.secure);
        let Some(id) = read_cookie(headers, &inner.login_cookie).filter(|id| is_random_id(id))
        else {
            return page(
                StatusCode::BAD_REQUEST,
                "This sign-in has expired or was started in another browser. Sign in again.",
            );
        };
        let transaction = match inner.store.take(&format!("{LOGIN_KEY}{id}")).await {
            Ok(Some(bytes)) => serde_json::from_slice::<Transaction>(&bytes).ok(),
            Ok(None) => None,
            Err(error) => return store_down(&error),
        };
        if let Some(error) = params.get("error") {
            let shown = SHOWN_ERRORS
                .iter()
                .find(|e| **e == error.as_str())
                .copied()
                .unwrap_or("error");
            return page_with(
                StatusCode::BAD_REQUEST,
                &format!("The sign-in did not complete ({shown})."),
                &[clear_login],
            );
        }
        let Some(transaction) = transaction else {
            return page_with(
                StatusCode::BAD_REQUEST,
                "This sign-in has expired or was already used. Sign in again.",
                &[clear_login],
            );
        };
        let state_ok = params
            .get("state")
            .is_some_and(|state| same(state, &transaction.state));
        let Some(code) = params.get("code").filter(|_| state_ok) else {
            return page_with(
                StatusCode::BAD_REQUEST,
                "This sign-in's state does not match. Sign in again.",
                &[clear_login],
            );
        };
        let tokens = match inner
            .endpoints
            .redeem(code, &inner.redirect_uri, &transaction.verifier)
            .await
        {
            Ok(tokens) => tokens,
            Err(EndpointError::Refused(code)) => {
                crate::log::debug!(error = %code, "the token endpoint refused the code");
                return page_with(
                    StatusCode::BAD_REQUEST,
                    "The sign-in code was refused (used, expired or not for this app). Sign in again.",
                    &[clear_login],
                );
            }
            Err(EndpointError::Unavailable(why)) => {
                crate::log::warning!(error = why, "the token endpoint failed at sign-in");
                return page_with(
                    StatusCode::BAD_GATEWAY,
                    "The sign-in service is unavailable. Try again later.",
                    &[clear_login],
                );
            }
        };
        let Some(id_token) = tokens.id_token.as_deref() else {
            return page_with(
                StatusCode::BAD_GATEWAY,
                "The sign-in service sent no ID token.",
                &[clear_login],
            );
        };
        let facts =
            match self.check_tokens(&tokens.access_token, id_token, Some(&transaction.nonce)) {
                Ok(facts) => facts,
                Err(why) => {
                    crate::log::debug!(reason = why, "a sign-in's tokens were refused");
                    return page_with(
                        StatusCode::BAD_REQUEST,
                        "The sign-in's tokens were refused. Sign in again.",
                        &[clear_login],
                    );
                }
            };
        let (Some(session_id), Some(csrf)) = (random_id(), random_id()) else {
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "No randomness for a session.",
            );
        };
        let session = Session {
            access_token: tokens.access_token,
            id_token: id_token.to_owned(),
            refresh_token: tokens.refresh_token,
            expires_at: facts.exp,
            iat: facts.iat,
            sub: facts.sub,
            username: facts.username,
            origin_jti: facts.origin_jti,
            csrf,
        };
        if let Err(error) = self.save(&session_id, &session).await {
            return store_down(&error);
        }
        // A session this browser had before (another user, or fixation) is dropped, never
        // promoted.
        if let Some(old) = read_cookie(headers, &inner.session_cookie).filter(|id| is_random_id(id))
            && let Err(error) = inner.store.delete(&format!("{SESSION_KEY}{old}")).await
        {
            crate::log::warning!(error = %error, "the previous session could not be deleted");
        }
        let cookie = set_cookie(
            &inner.session_cookie,
            &session_id,
            inner.session_lifetime.as_secs(),
            inner.secure,
        );
        let mut response = redirect(
            StatusCode::SEE_OTHER,
            &transaction.return_to,
            &[cookie, clear_login],
        );
        response
            .headers_mut()
            .insert("referrer-policy", HeaderValue::from_static("no-referrer"));
        response
    }

    /// `POST /logout` (from this site: `Origin` or `Sec-Fetch-Site`, or the session's
    /// [`csrf_token`](Session::csrf_token) as the form field `csrf`), or `GET /logout?csrf=...`:
    /// deletes the session, revokes its refresh token, denies its lineage when a deny-list is
    /// set, expires the cookie, and redirects to Cognito's `/logout`. Without a session it only
    /// redirects; a cross-site or token-less request gets `403` and the session stays.
    pub async fn logout(
        &self,
        method: &Method,
        headers: &HeaderMap,
        query: Option<&str>,
        form: &[u8],
    ) -> Response<Body> {
        let inner = &self.inner;
        let found = match self.load(headers).await {
            Ok(found) => found,
            Err(error) => return store_down(&error),
        };
        let url = self.cognito_logout_url();
        let Some((id, session)) = found else {
            return redirect(StatusCode::SEE_OTHER, url.as_str(), &[]);
        };
        let given = match *method {
            Method::GET => query_params(query).remove("csrf"),
            Method::POST => query_params(std::str::from_utf8(form).ok()).remove("csrf"),
            _ => None,
        };
        let token_ok = given.is_some_and(|t| same(&t, &session.csrf));
        let same_site = *method == Method::POST
            && (headers
                .get("origin")
                .is_some_and(|o| o.as_bytes() == inner.origin.as_bytes())
                || headers
                    .get("sec-fetch-site")
                    .is_some_and(|s| s.as_bytes() == b"same-origin"));
        if !token_ok && !same_site {
            return page(StatusCode::FORBIDDEN, "Sign out from this site's own page.");
        }
        if let Err(error) = inner.store.delete(&format!("{SESSION_KEY}{id}")).await {
            return store_down(&error);
        }
        if let Some(refresh) = &session.refresh_token
            && let Err(error) = inner.endpoints.revoke(refresh).await
        {
            crate::log::warning!(error = %error, "revoking the refresh token at logout failed");
        }
        if let (Some(deny), Some(origin)) = (&inner.deny, &session.origin_jti) {
            deny.revoke_lineage(origin, session.expires_at, session.iat);
        }
        let cookie = set_cookie(&inner.session_cookie, "", 0, inner.secure);
        redirect(StatusCode::SEE_OTHER, url.as_str(), &[cookie])
    }

    /// The session of this request (by its cookie), its access token refreshed when within the
    /// margin of expiry (one refresh per session at a time in this process; a rotated refresh
    /// token replaces the old one before any answer uses the new tokens). `None`: not signed
    /// in, or the session ended (refresh refused).
    pub(crate) async fn session(
        &self,
        headers: &HeaderMap,
    ) -> Result<Option<Session>, Unavailable> {
        let Some((id, session)) = self.load(headers).await.map_err(|_| Unavailable("store"))?
        else {
            return Ok(None);
        };
        let now = self.inner.clock.now();
        if now.saturating_add(self.inner.refresh_margin.as_secs()) < session.expires_at {
            return Ok(Some(session));
        }
        self.refresh(&id, now).await
    }

    async fn refresh(&self, id: &str, now: u64) -> Result<Option<Session>, Unavailable> {
        let inner = &self.inner;
        let lock = {
            let mut map = inner
                .refreshing
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            Arc::clone(map.entry(id.to_owned()).or_default())
        };
        let guard = lock.lock().await;
        let result = self.refresh_locked(id, now).await;
        drop(guard);
        {
            let mut map = inner
                .refreshing
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            // Two owners: the map and this call; a waiter holds a third, and removes it itself.
            if map.get(id).is_some_and(|l| Arc::strong_count(l) <= 2) {
                map.remove(id);
            }
        }
        result
    }

    /// The refresh itself, holding the session's lock: the session is read again from the
    /// store, since another request may have refreshed it while this one waited.
    async fn refresh_locked(&self, id: &str, now: u64) -> Result<Option<Session>, Unavailable> {
        let inner = &self.inner;
        let key = format!("{SESSION_KEY}{id}");
        // Another request may have refreshed it while this one waited.
        let session = match inner.store.get(&key).await {
            Ok(Some(bytes)) => match serde_json::from_slice::<Session>(&bytes) {
                Ok(session) => session,
                Err(_) => return Ok(None),
            },
            Ok(None) => return Ok(None),
            Err(_) => return Err(Unavailable("store")),
        };
        if now.saturating_add(inner.refresh_margin.as_secs()) < session.expires_at {
            return Ok(Some(session));
        }
        let Some(refresh_token) = session.refresh_token.clone() else {
            return Ok((now < session.expires_at).then_some(session));
        };
        match inner.endpoints.refresh(&refresh_token).await {
            Ok(tokens) => {
                let id_token = tokens.id_token.clone().unwrap_or(session.id_token.clone());
                let Ok(facts) = self.check_tokens(&tokens.access_token, &id_token, None) else {
                    let _ = inner.store.delete(&key).await;
                    return Ok(None);
                };
                let renewed = Session {
                    access_token: tokens.access_token,
                    id_token,
                    refresh_token: tokens.refresh_token.or(Some(refresh_token)),
                    expires_at: facts.exp,
                    iat: facts.iat,
                    ..session
                };
                self.save(id, &renewed)
                    .await
                    .map_err(|_| Unavailable("store"))?;
                Ok(Some(renewed))
            }
            Err(EndpointError::Refused(code)) => {
                crate::log::debug!(error = %code, "a session's refresh was refused: it ends");
                let _ = inner.store.delete(&key).await;
                Ok(None)
            }
            Err(EndpointError::Unavailable(why)) => {
                crate::log::warning!(error = why, "a session's refresh failed");
                if now < session.expires_at {
                    Ok(Some(session))
                } else {
                    Err(Unavailable("token endpoint"))
                }
            }
        }
    }

    /// The session named by the request's cookie, if its id has the right form and the store
    /// holds it.
    async fn load(&self, headers: &HeaderMap) -> Result<Option<(String, Session)>, StoreError> {
        let inner = &self.inner;
        let Some(id) = read_cookie(headers, &inner.session_cookie).filter(|id| is_random_id(id))
        else {
            return Ok(None);
        };
        let bytes = inner.store.get(&format!("{SESSION_KEY}{id}")).await?;
        Ok(bytes
            .and_then(|b| serde_json::from_slice::<Session>(&b).ok())
            .map(|session| (id.to_owned(), session)))
    }

    async fn save(&self, id: &str, session: &Session) -> Result<(), StoreError> {
        let value = serde_json::to_vec(session)
            .map_err(|e| StoreError::new("a session could not be serialised", Some(Box::new(e))))?;
        self.inner
            .store
            .put(
                &format!("{SESSION_KEY}{id}"),
                value,
                self.inner.session_lifetime,
            )
            .await
    }

    /// Verifies a new access token with the application's layer and the ID token with this
    /// client's rules (and `nonce` at sign-in); both must name the same user.
    fn check_tokens(
        &self,
        access_token: &str,
        id_token: &str,
        nonce: Option<&str>,
    ) -> Result<super::verify::AccessFacts, &'static str> {
        let inner = &self.inner;
        let facts = inner
            .access
            .verify(access_token)
            .map_err(|_| "the access token")?;
        let keys = inner.access.keys().ok_or("no keys")?;
        let now = inner.clock.now();
        let id = check_id_token(
            &inner.id_verifier,
            &keys,
            now,
            id_token,
            nonce,
            access_token,
        )
        .map_err(|e| match e {
            TokenRefused::Rule => "the ID token",
            TokenRefused::Nonce => "the nonce",
            TokenRefused::AtHash => "at_hash",
        })?;
        if id.sub != facts.sub {
            return Err("the subject");
        }
        Ok(facts)
    }

    /// Cognito's `/logout` with the client id and the logout URI.
    fn cognito_logout_url(&self) -> reqwest::Url {
        let inner = &self.inner;
        let mut url = inner.endpoints.logout.clone();
        url.query_pairs_mut()
            .append_pair("client_id", &inner.endpoints.client_id)
            .append_pair("logout_uri", &inner.logout_uri);
        url
    }

    /// The login route's path with `return_to` (and step-up parameters) for a redirect.
    pub(crate) fn login_location(&self, return_to: &str, step_up: &[(&str, String)]) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("return_to", &local_path(return_to));
        for (name, value) in step_up {
            query.append_pair(name, value);
        }
        format!("/login?{}", query.finish())
    }
}

fn query_params(query: Option<&str>) -> HashMap<String, String> {
    let mut params = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        params
            .entry(name.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    params
}

/// `max_age`: a number of seconds (RFC 9470).
pub(crate) fn is_max_age(value: &str) -> bool {
    !value.is_empty() && value.len() <= 10 && value.bytes().all(|b| b.is_ascii_digit())
}

/// `acr_values`: space-separated values of visible ASCII without `"` or `\`, at most 512 bytes.
pub(crate) fn is_acr_values(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 512
        && value
            .bytes()
            .all(|b| b == b' ' || matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e))
}

#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
fn store_down(error: &StoreError) -> Response<Body> {
    crate::log::error!(error = %error, "the session store failed: failing closed");
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sessions are unavailable. Try again later.",
    )
}

pub(crate) fn page(status: StatusCode, message: &str) -> Response<Body> {
    page_with(status, message, &[])
}

fn page_with(status: StatusCode, message: &str, cookies: &[String]) -> Response<Body> {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sign-in</title></head>\
         <body><p id=\"message\">{message}</p><p><a href=\"/login\">Sign in</a></p></body></html>\n"
    );
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            headers.append(SET_COOKIE, value);
        }
    }
    response
}

pub(crate) fn redirect(status: StatusCode, location: &str, cookies: &[String]) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(LOCATION, value);
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            headers.append(SET_COOKIE, value);
        }
    }
    response
}
