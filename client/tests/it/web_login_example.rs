//! The web sign-in example (`examples/web_login.rs`) as a child process, offline, driven over
//! HTTP without a browser (cookies by hand): its contract (`listening on`, the demo user, `/`
//! with a sign-in link, `/me` 401 without a session), the whole sign-in through the embedded
//! pool's managed-login page, `/me` with `sub` and the user name, and logout through Cognito's
//! `/logout` back to the app. The browser test (`web_browser`) does the same as a person would.
//!
//! Run: `cargo test -p tower-cognito-client --all-features --test it web_login_example::`.

use std::collections::HashMap;

use tower_cognito_test_support::child;
use tower_cognito_test_support::example::build_example;

use crate::support::features;

fn cookies(answer: &reqwest::Response, jar: &mut HashMap<String, String>) {
    for header in answer.headers().get_all("set-cookie") {
        let pair = header.to_str().unwrap().split(';').next().unwrap();
        let (name, value) = pair.split_once('=').unwrap();
        if value.is_empty() {
            jar.remove(name);
        } else {
            jar.insert(name.to_owned(), value.to_owned());
        }
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn cookie_header(jar: &HashMap<String, String>) -> String {
    jar.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Follows redirects by hand (at most 10), keeping cookies per host:port in one jar (the
/// browser's cookies are per host; the app and the pool are both 127.0.0.1, as on a developer's
/// machine).
async fn get(
    http: &reqwest::Client,
    url: &str,
    jar: &mut HashMap<String, String>,
) -> (String, reqwest::Response) {
    let mut url = url.to_owned();
    for _ in 0..10 {
        let answer = http
            .get(&url)
            .header("cookie", cookie_header(jar))
            .send()
            .await
            .unwrap();
        cookies(&answer, jar);
        if !answer.status().is_redirection() {
            return (url, answer);
        }
        let location = answer.headers()["location"].to_str().unwrap();
        url = reqwest::Url::parse(&url)
            .unwrap()
            .join(location)
            .unwrap()
            .to_string();
    }
    panic!("too many redirects");
}

#[tokio::test]
async fn the_example_signs_in_and_out_over_http() {
    let features = features();
    let exe = build_example(
        env!("CARGO_MANIFEST_DIR"),
        "web_login",
        &["--no-default-features", "--features", &features],
    )
    .await;
    let app = child::start(child::command(
        &exe,
        &[
            "PUBLIC_URL",
            "COGNITO_USER_POOL_ID",
            "COGNITO_CLIENT_ID",
            "COGNITO_DOMAIN",
            "REDIS_URL",
        ],
    ))
    .await;
    let demo = child::line_value(&app.lines, "demo user: ").unwrap();
    let (user, password) = demo.split_once(" password: ").unwrap();
    let base = format!("http://{}", app.addr);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let mut jar = HashMap::new();
    let (_, home) = get(&http, &format!("{base}/"), &mut jar).await;
    assert!(home.text().await.unwrap().contains("href=\"/login\""));
    let (_, me) = get(&http, &format!("{base}/me"), &mut jar).await;
    assert_eq!(me.status(), 401);
    // The sign-in page of the pool.
    let (page_url, page) = get(&http, &format!("{base}/login"), &mut jar).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let transaction = html
        .split("name=\"transaction\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    let action = html
        .split("<form method=\"post\" action=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("/login");
    let post = reqwest::Url::parse(&page_url)
        .unwrap()
        .join(action)
        .unwrap();
    let answer = http
        .post(post)
        .header("cookie", cookie_header(&jar))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("transaction", transaction),
            ("username", user),
            ("password", password),
            ("signin", "1"),
        ]))
        .send()
        .await
        .unwrap();
    cookies(&answer, &mut jar);
    assert!(answer.status().is_redirection(), "{}", answer.status());
    let callback = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        callback.starts_with(&format!("{base}/callback?")),
        "{callback}"
    );
    let (landed, _) = get(&http, &callback, &mut jar).await;
    assert_eq!(landed, format!("{base}/"));
    let (_, me) = get(&http, &format!("{base}/me"), &mut jar).await;
    assert_eq!(me.status(), 200);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["username"], user);
    assert!(me["sub"].as_str().is_some_and(|s| !s.is_empty()));
    // Sign out (same-origin POST), through the pool's /logout, back to the app.
    let (_, home) = get(&http, &format!("{base}/"), &mut jar).await;
    let html = home.text().await.unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let out = http
        .post(format!("{base}/logout"))
        .header("cookie", cookie_header(&jar))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("csrf", csrf.as_str())]))
        .send()
        .await
        .unwrap();
    cookies(&out, &mut jar);
    assert_eq!(out.status(), 303);
    let to = out.headers()["location"].to_str().unwrap().to_owned();
    let (back, _) = get(&http, &to, &mut jar).await;
    assert_eq!(back, format!("{base}/"));
    let (_, me) = get(&http, &format!("{base}/me"), &mut jar).await;
    assert_eq!(me.status(), 401);
}
