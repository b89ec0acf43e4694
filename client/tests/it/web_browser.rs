//! The web sign-in as a person does it, in a real headless browser (Chromium through
//! chromedriver, `tower_cognito_test_support::webdriver`): the `web_login` example, offline on its
//! embedded local user pool, `/` -> `/login` -> the pool's sign-in page -> the form filled and
//! sent -> back at the app, signed in -> `/me` -> sign out -> `/me` refused. A second browser
//! profile has no session; a tampered `state` and a replayed callback (its code already
//! redeemed) are refused.
//!
//! Ignored by plain `cargo test` (it needs Chromium); `cargo xtask test` installs Chromium and
//! chromium-driver and sets `CHROMEDRIVER`, and the test fails without it.
//!
//! Run: `cargo xtask test -- -p tower-cognito-client --test it web_browser::`.

use tower_cognito_test_support::child;
use tower_cognito_test_support::example::build_example;
use tower_cognito_test_support::webdriver::{Browser, Driver, chromedriver};

use crate::support::features;

/// The variables the example reads, unset for its offline mode.
const VARS: [&str; 9] = [
    "PUBLIC_URL",
    "COGNITO_USER_POOL_ID",
    "COGNITO_CLIENT_ID",
    "COGNITO_CLIENT_SECRET",
    "COGNITO_DOMAIN",
    "COGNITO_JWKS_URL",
    "COGNITO_ISSUER",
    "COGNITO_TOKEN_USE",
    "REDIS_URL",
];

async fn sign_in(browser: &Browser, base: &str, user: &str, password: &str) {
    browser.goto(&format!("{base}/")).await;
    assert!(browser.source().await.contains("Not signed in"));
    browser.click("#login").await;
    browser.wait_for("#username").await;
    let page = browser.url().await;
    assert!(
        !page.starts_with(base),
        "not on the pool's sign-in page: {page}"
    );
    browser.type_into("#username", user).await;
    browser.type_into("#password", password).await;
    browser.click("#signin").await;
    browser.wait_for("#user").await;
}

#[tokio::test]
#[ignore = "needs CHROMEDRIVER (Chromium and chromium-driver): run cargo xtask test"]
async fn a_person_signs_in_and_out_in_a_real_browser() {
    let driver_path = chromedriver().expect("CHROMEDRIVER is not set: run `cargo xtask test`");
    let features = features();
    let exe = build_example(
        env!("CARGO_MANIFEST_DIR"),
        "web_login",
        &["--no-default-features", "--features", &features],
    )
    .await;
    let app = child::start(child::command(&exe, &VARS)).await;
    let demo = child::line_value(&app.lines, "demo user: ").expect("a demo user line");
    let (user, password) = demo.split_once(" password: ").expect("user and password");
    let base = format!("http://{}", app.addr);
    let driver = Driver::start(&driver_path).await;

    // Sign in.
    let browser = driver.browser().await;
    sign_in(&browser, &base, user, password).await;
    assert_eq!(browser.url().await, format!("{base}/"));
    assert_eq!(browser.text("#user").await, user);
    browser.goto(&format!("{base}/me")).await;
    let me = browser.source().await;
    assert!(
        me.contains("\"sub\"") && me.contains(&format!("\"username\":\"{user}\"")),
        "{me}"
    );

    // The callback URL the browser went through, replayed: its code is spent, its transaction
    // gone.
    let callback = browser
        .requested_urls()
        .await
        .into_iter()
        .find(|u| u.starts_with(&format!("{base}/callback?")))
        .expect("the callback in the browser's requests");
    assert!(callback.contains("code="), "{callback}");
    browser.goto(&callback).await;
    assert!(
        browser.source().await.contains("Sign in again"),
        "replay accepted"
    );
    // The session is still there.
    browser.goto(&format!("{base}/")).await;
    assert_eq!(browser.text("#user").await, user);

    // Another profile: no session.
    let other = driver.browser().await;
    other.goto(&format!("{base}/me")).await;
    assert!(!other.source().await.contains("\"sub\""));
    // A tampered state is refused.
    other.goto(&format!("{base}/login")).await;
    let authorize = other.url().await;
    let state = authorize
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("state="))
        .expect("state in the sign-in page's URL")
        .to_owned();
    let tampered_state = format!("{}x", &state[..state.len() - 1]);
    other
        .goto(&authorize.replace(&state, &tampered_state))
        .await;
    other.type_into("#username", user).await;
    other.type_into("#password", password).await;
    other.click("#signin").await;
    other.wait_for("#message").await;
    assert!(other.url().await.starts_with(&format!("{base}/callback")));
    assert!(other.source().await.contains("state does not match"));
    other.goto(&format!("{base}/me")).await;
    assert!(!other.source().await.contains("\"sub\""));
    other.quit().await;

    // Sign out: through Cognito's /logout back to the app, signed out.
    browser.goto(&format!("{base}/")).await;
    browser.click("#logout").await;
    browser.wait_for("#login").await;
    assert_eq!(browser.url().await, format!("{base}/"));
    assert!(browser.source().await.contains("Not signed in"));
    browser.goto(&format!("{base}/me")).await;
    assert!(!browser.source().await.contains("\"sub\""));
    browser.quit().await;
}
