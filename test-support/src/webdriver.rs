//! A small WebDriver client (W3C protocol over HTTP, JSON) for the browser tests: `chromedriver`
//! as a child process on a loopback port, headless Chromium sessions each with a profile of its
//! own. Only what the tests do: open a URL, read the URL, the page source and an element's
//! text, type into a field, click.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// The key of an element reference in a WebDriver answer.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// Limit of one WebDriver command (a page load included).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// How long finding an element waits for it to appear (WebDriver's implicit wait), in ms.
const IMPLICIT_WAIT_MS: u64 = 15_000;

/// `chromedriver` running on a loopback port; killed when dropped.
#[derive(Debug)]
pub struct Driver {
    _child: Child,
    base: String,
    http: reqwest::Client,
}

/// The `chromedriver` to use: `CHROMEDRIVER` (a path), set by `cargo xtask test`, which installs
/// Chromium and its driver. `None` when it is not set: the caller's test must then fail (it is
/// `#[ignore]`d for plain `cargo test`).
pub fn chromedriver() -> Option<PathBuf> {
    std::env::var_os("CHROMEDRIVER")
        .map(PathBuf::from)
        .filter(|p| !p.as_os_str().is_empty())
}

impl Driver {
    /// Starts `chromedriver` at `path` on a free loopback port and waits (at most 30 s) until
    /// it answers `/status`.
    pub async fn start(path: &Path) -> Driver {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let child = Command::new(path)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..300 {
            if let Ok(answer) = http.get(format!("{base}/status")).send().await
                && answer.status().is_success()
            {
                return Driver {
                    _child: child,
                    base,
                    http,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not answer /status within 30 s");
    }

    /// A new headless Chromium session with a fresh profile (no cookies: another browser).
    pub async fn browser(&self) -> Browser {
        let profile = std::env::temp_dir().join(format!(
            "tower-cognito-browser-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    // The network events, for the URLs a redirect chain went through.
                    "goog:loggingPrefs": { "performance": "ALL" },
                    // Finding an element waits up to this long for it: after a click, the next
                    // page is awaited by looking for an element only it has.
                    "timeouts": { "implicit": IMPLICIT_WAIT_MS },
                    "goog:chromeOptions": {
                        "args": [
                            "--headless=new",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-dev-shm-usage",
                            "--no-first-run",
                            "--no-default-browser-check",
                            format!("--user-data-dir={}", profile.display()),
                        ]
                    }
                }
            }
        });
        let answer = command(
            &self.http,
            reqwest::Method::POST,
            &format!("{}/session", self.base),
            Some(capabilities),
        )
        .await;
        let id = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_owned();
        Browser {
            http: self.http.clone(),
            session: format!("{}/session/{id}", self.base),
            profile,
        }
    }
}

/// One browser session; ended (and its profile removed) by [`Browser::quit`].
#[derive(Debug)]
pub struct Browser {
    http: reqwest::Client,
    session: String,
    profile: PathBuf,
}

async fn command(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> Value {
    let mut request = http.request(method, url).timeout(COMMAND_TIMEOUT);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let answer = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("WebDriver {url}: {e}"));
    let status = answer.status();
    let value: Value = answer.json().await.unwrap();
    assert!(status.is_success(), "WebDriver {url}: {status} {value}");
    value["value"].clone()
}

impl Browser {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        command(&self.http, method, &format!("{}{path}", self.session), body).await
    }

    /// Opens `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    /// The current URL.
    pub async fn url(&self) -> String {
        let value = self.call(reqwest::Method::GET, "/url", None).await;
        value.as_str().unwrap().to_owned()
    }

    /// The page's source (for a JSON answer, Chromium wraps it in a `<pre>`).
    pub async fn source(&self) -> String {
        let value = self.call(reqwest::Method::GET, "/source", None).await;
        value.as_str().unwrap().to_owned()
    }

    async fn element(&self, css: &str) -> String {
        let value = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await;
        value[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {value}"))
            .to_owned()
    }

    /// The visible text of the element `css`.
    pub async fn text(&self, css: &str) -> String {
        let id = self.element(css).await;
        let value = self
            .call(reqwest::Method::GET, &format!("/element/{id}/text"), None)
            .await;
        value.as_str().unwrap().to_owned()
    }

    /// Types `text` into the field `css`.
    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// Waits (at most 15 s) until the page has the element `css`: after a [`click`](Self::click)
    /// that navigates, wait for an element only the next page has before reading it.
    pub async fn wait_for(&self, css: &str) {
        self.element(css).await;
    }

    /// Clicks the element `css`. Whether the browser waits for a page the click opens depends
    /// on the timing: follow a navigating click with [`wait_for`](Self::wait_for).
    pub async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// Every URL the browser requested since the last call (redirects included), oldest first:
    /// from Chromium's performance log (`Network.requestWillBeSent`).
    pub async fn requested_urls(&self) -> Vec<String> {
        let value = self
            .call(
                reqwest::Method::POST,
                "/se/log",
                Some(json!({ "type": "performance" })),
            )
            .await;
        let mut urls = Vec::new();
        for entry in value.as_array().into_iter().flatten() {
            let Some(message) = entry["message"].as_str() else {
                continue;
            };
            let Ok(event) = serde_json::from_str::<Value>(message) else {
                continue;
            };
            if event["message"]["method"] == "Network.requestWillBeSent"
                && let Some(url) = event["message"]["params"]["request"]["url"].as_str()
            {
                urls.push(url.to_owned());
            }
        }
        urls
    }

    /// Ends the session and removes its profile.
    pub async fn quit(self) {
        let _ = self
            .http
            .delete(&self.session)
            .timeout(COMMAND_TIMEOUT)
            .send()
            .await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
