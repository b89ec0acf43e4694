//! The routes of the web sign-in, for axum.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::routing::get;
use http::{HeaderMap, Method, Response, Uri};

use super::sign_in::WebSignIn;

/// Largest logout form read (it holds one token).
const MAX_FORM: usize = 4096;

impl WebSignIn {
    /// The routes, to merge into the application's router *outside* its `CognitoAuthLayer`
    /// (they serve signed-out browsers): `GET /login`, `GET /callback`, `GET` and `POST
    /// /logout`. The callback's path must be the redirect URI's.
    pub fn router<S>(&self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let (login, callback, logout, logout_get) =
            (self.clone(), self.clone(), self.clone(), self.clone());
        let callback_path = callback.callback_path();
        Router::new()
            .route(
                "/login",
                get(move |uri: Uri| async move { login.login(uri.query()).await }),
            )
            .route(
                &callback_path,
                get(move |headers: HeaderMap, uri: Uri| async move {
                    callback.callback(&headers, uri.query()).await
                }),
            )
            .route(
                "/logout",
                get(move |headers: HeaderMap, uri: Uri| async move {
                    let answer: Response<Body> = logout_get
                        .logout(&Method::GET, &headers, uri.query(), &[])
                        .await;
                    answer
                })
                .post(
                    move |headers: HeaderMap, uri: Uri, body: Bytes| async move {
                        let form: &[u8] = if body.len() <= MAX_FORM { &body } else { &[] };
                        let answer: Response<Body> = logout
                            .logout(&Method::POST, &headers, uri.query(), form)
                            .await;
                        answer
                    },
                ),
            )
    }

    /// The path of the redirect URI (`/callback`).
    fn callback_path(&self) -> String {
        url::Url::parse(&self.inner.redirect_uri)
            .map(|u| u.path().to_owned())
            .unwrap_or_else(|_| "/callback".to_owned())
    }
}
