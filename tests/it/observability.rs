//! Metrics, tracing and readiness through the real layer: the snapshot's counters and gauges,
//! their export through the `metrics` facade (a recorder of the test's own), the rejection event's
//! fields (kind, pool, `kid`; never the token), and the readiness service's answers.

use std::sync::Arc;
use std::time::Duration;

use tower::ServiceExt as _;
use tower_cognito::test_util::LocalIssuer;
use tower_cognito::{CognitoAuthLayer, ErrorKind, TokenUse, clock::FixedClock, deny::DenyList};

use crate::support::answer;

const NOW: u64 = 1_700_000_000;

fn issuer_on(clock: &Arc<FixedClock>) -> LocalIssuer {
    LocalIssuer::builder()
        .clock(Arc::clone(clock))
        .build()
        .unwrap()
}

/// An issuer on `clock`, a deny-list on it, and a layer for access tokens refreshing from the
/// issuer (in memory) with that list.
async fn deny_list_layer(clock: &Arc<FixedClock>) -> (LocalIssuer, DenyList, CognitoAuthLayer) {
    let issuer = issuer_on(clock);
    let deny = DenyList::with_clock(Arc::clone(clock));
    let config = issuer.config().token_use(TokenUse::Access).build().unwrap();
    let layer = CognitoAuthLayer::builder(config)
        .jwks_source(issuer.clone())
        .deny_list(deny.clone())
        .start()
        .await
        .unwrap();
    (issuer, deny, layer)
}

#[tokio::test]
async fn the_snapshot_counts_outcomes_cache_fetches_refetches_and_the_deny_list() {
    let clock = Arc::new(FixedClock::new(NOW));
    let (issuer, deny, layer) = deny_list_layer(&clock).await;

    let token = issuer.access_token();
    for _ in 0..3 {
        assert_eq!(answer(&layer, &token).await.status, 200);
    }
    assert_eq!(answer(&layer, "x.y.z").await.status, 401);
    let forged = issuer.token().header("kid", "forged").build();
    assert_eq!(answer(&layer, &forged).await.status, 401);
    assert_eq!(
        answer(&layer, &issuer.token().expired().build())
            .await
            .status,
        401
    );
    let claims = layer.verify(&token).unwrap();
    deny.revoke_session(&claims);
    assert_eq!(answer(&layer, &token).await.status, 401);
    clock.advance(42);

    let m = layer.status();
    assert_eq!(m.accepted, 4, "three requests and one verify");
    assert_eq!(m.rejected(ErrorKind::Malformed), 1);
    assert_eq!(m.rejected(ErrorKind::UnknownKeyId), 1);
    assert_eq!(m.rejected(ErrorKind::Expired { exp: 0, now: 0 }), 1);
    assert_eq!(m.rejected(ErrorKind::Revoked), 1);
    assert_eq!(m.rejected_total(), 4);
    assert_eq!(
        m.cache_hits, 4,
        "two repeats, the verify and the revoked hit"
    );
    assert_eq!(m.cache_misses, 4);
    let pool = &m.pools[0];
    assert_eq!(pool.pool, issuer.user_pool_id());
    assert!(pool.keys > 0);
    assert_eq!(pool.key_set_age, Some(Duration::from_secs(42)));
    assert_eq!(pool.unknown_kid_refetches, 1);
    assert!(pool.fetches >= 1 && pool.fetch_successes >= 1);
    assert_eq!(pool.fetch_failures, 0);
    let d = m.deny_list.as_ref().unwrap();
    assert_eq!((d.entries, d.shared, d.lag), (1, false, None));

    // One counter set, whichever clone or claims type counted.
    #[derive(Debug, serde::Deserialize)]
    struct Extra {}
    let typed = layer.clone().extra_claims::<Extra>();
    typed.verify(&issuer.access_token()).unwrap();
    assert_eq!(layer.status().accepted, 5);
}

#[cfg(feature = "metrics")]
mod export {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    use metrics::{
        Counter, CounterFn, Gauge, GaugeFn, Histogram, Key, KeyName, Metadata, Recorder,
        SharedString, Unit,
    };

    /// Keeps the last value of every series, named `name{label=value,...}`.
    #[derive(Default)]
    pub(super) struct Capture(Arc<Mutex<BTreeMap<String, f64>>>);

    struct Series(Arc<Mutex<BTreeMap<String, f64>>>, String);

    impl CounterFn for Series {
        fn increment(&self, value: u64) {
            *self.0.lock().unwrap().entry(self.1.clone()).or_default() += value as f64;
        }
        fn absolute(&self, value: u64) {
            self.0.lock().unwrap().insert(self.1.clone(), value as f64);
        }
    }

    impl GaugeFn for Series {
        fn increment(&self, value: f64) {
            *self.0.lock().unwrap().entry(self.1.clone()).or_default() += value;
        }
        fn decrement(&self, value: f64) {
            *self.0.lock().unwrap().entry(self.1.clone()).or_default() -= value;
        }
        fn set(&self, value: f64) {
            self.0.lock().unwrap().insert(self.1.clone(), value);
        }
    }

    impl Capture {
        fn series(&self, key: &Key) -> Arc<Series> {
            let labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            let name = format!("{}{{{}}}", key.name(), labels.join(","));
            Arc::new(Series(Arc::clone(&self.0), name))
        }

        pub(super) fn get(&self, name: &str) -> Option<f64> {
            self.0.lock().unwrap().get(name).copied()
        }
    }

    impl Recorder for Capture {
        fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
            Counter::from_arc(self.series(key))
        }
        fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
            Gauge::from_arc(self.series(key))
        }
        fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
            Histogram::noop()
        }
    }
}

#[cfg(feature = "metrics")]
#[tokio::test]
async fn record_exports_the_snapshot_through_the_metrics_facade() {
    let clock = Arc::new(FixedClock::new(NOW));
    let (issuer, deny, layer) = deny_list_layer(&clock).await;
    let token = issuer.access_token();
    layer.verify(&token).unwrap();
    layer.verify(&token).unwrap();
    let _ = layer.verify("x.y.z");
    deny.revoke("gone", NOW + 60);
    clock.advance(7);

    let capture = export::Capture::default();
    metrics::with_local_recorder(&capture, || layer.status().record());
    let pool = issuer.user_pool_id();
    let cases = [
        (
            "tower_cognito_verifications_total{outcome=accepted}".to_owned(),
            2.0,
        ),
        (
            "tower_cognito_verifications_total{outcome=malformed}".to_owned(),
            1.0,
        ),
        (
            "tower_cognito_verifications_total{outcome=revoked}".to_owned(),
            0.0,
        ),
        ("tower_cognito_cache_hits_total{}".to_owned(), 1.0),
        ("tower_cognito_cache_misses_total{}".to_owned(), 2.0),
        (
            format!("tower_cognito_key_set_age_seconds{{pool={pool}}}"),
            7.0,
        ),
        (
            format!("tower_cognito_jwks_fetches_total{{pool={pool},outcome=failure}}"),
            0.0,
        ),
        (
            format!("tower_cognito_unknown_kid_refetches_total{{pool={pool}}}"),
            0.0,
        ),
        ("tower_cognito_deny_list_entries{}".to_owned(), 1.0),
        ("tower_cognito_deny_list_lag_seconds{}".to_owned(), 0.0),
        ("tower_cognito_deny_list_resyncs_total{}".to_owned(), 0.0),
        (
            "tower_cognito_deny_list_sync_failures_total{}".to_owned(),
            0.0,
        ),
        (format!("tower_cognito_ready{{pool={pool}}}"), 1.0),
        (format!("tower_cognito_keys{{pool={pool}}}"), 1.0),
    ];
    for (name, value) in cases {
        assert_eq!(capture.get(&name), Some(value), "{name}");
    }
    assert!(
        capture
            .get(&format!(
                "tower_cognito_jwks_fetches_total{{pool={pool},outcome=success}}"
            ))
            .unwrap()
            >= 1.0
    );
}

/// The ALB layer's figures under their own names (`tower_cognito_alb_*`).
#[cfg(all(feature = "metrics", feature = "alb"))]
#[tokio::test]
async fn alb_record_exports_its_figures() {
    use tower_cognito::alb::AlbAuthLayer;
    use tower_cognito::test_util::alb::LocalAlb;

    let alb = LocalAlb::with_clock(FixedClock::new(NOW)).unwrap();
    let layer = AlbAuthLayer::builder(alb.config().build().unwrap())
        .key_source(alb.clone())
        .build()
        .unwrap();
    layer.verify(&alb.token()).await.unwrap();
    let _ = layer.verify("x.y.z").await;
    let capture = export::Capture::default();
    metrics::with_local_recorder(&capture, || layer.status().record());
    for (name, value) in [
        (
            "tower_cognito_alb_verifications_total{outcome=accepted}",
            1.0,
        ),
        (
            "tower_cognito_alb_verifications_total{outcome=malformed}",
            1.0,
        ),
        (
            "tower_cognito_alb_verifications_total{outcome=expired}",
            0.0,
        ),
        ("tower_cognito_alb_key_fetches_total{outcome=loaded}", 1.0),
        (
            "tower_cognito_alb_key_fetches_total{outcome=not_found}",
            0.0,
        ),
        ("tower_cognito_alb_key_fetches_total{outcome=failure}", 0.0),
        ("tower_cognito_alb_key_fetches_total{outcome=refused}", 0.0),
        ("tower_cognito_alb_keys{}", 1.0),
    ] {
        assert_eq!(capture.get(name), Some(value), "{name}");
    }
}

#[cfg(feature = "tracing")]
mod events {
    use std::fmt::Write as _;
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    /// Every event, as `level message field=value ...`.
    #[derive(Clone, Default)]
    pub(super) struct Events(pub(super) Arc<Mutex<Vec<String>>>);

    struct Line<'a>(&'a mut String);

    impl Visit for Line<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }

    impl Subscriber for Events {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut line = event.metadata().level().to_string();
            event.record(&mut Line(&mut line));
            self.0.lock().unwrap().push(line);
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }
}

#[cfg(feature = "tracing")]
#[test]
fn one_debug_event_per_rejection_with_kind_pool_and_kid_never_the_token() {
    use std::convert::Infallible;
    use tower::{Layer as _, Service as _};

    let issuer = LocalIssuer::new().unwrap();
    let config = crate::support::access_config(&issuer);
    let layer = CognitoAuthLayer::builder(config)
        .static_keys(issuer.key_set())
        .build()
        .unwrap();
    let mut svc = layer.layer(tower::service_fn(|_req: http::Request<()>| async {
        Ok::<_, Infallible>(http::Response::new(String::new()))
    }));
    let expired = issuer.token().expired().build();
    let hostile = issuer.token().header("kid", "evil\n\u{1b}[31mkid").build();
    let events = events::Events::default();
    tracing::subscriber::with_default(events.clone(), || {
        for token in [&expired, &hostile, &issuer.access_token()] {
            let req = http::Request::get("/")
                .header("authorization", format!("Bearer {token}"))
                .body(())
                .unwrap();
            drop(svc.call(req));
        }
        drop(svc.call(http::Request::get("/").body(()).unwrap()));
    });
    let lines = events.0.lock().unwrap().clone();
    let rejections: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("request rejected"))
        .collect();
    assert_eq!(rejections.len(), 3, "{lines:#?}");
    let pool = issuer.user_pool_id();
    let kid = issuer.kid();
    assert!(rejections[0].starts_with("DEBUG"), "{}", rejections[0]);
    assert!(
        rejections[0].contains(&format!(
            "kind=expired status=401 pool={pool} kid=\"{kid}\""
        )),
        "{}",
        rejections[0]
    );
    // The attacker's `kid` is escaped: no raw newline or escape character reaches the log.
    assert!(
        rejections[1].contains("kind=unknown_key_id"),
        "{}",
        rejections[1]
    );
    assert!(
        rejections[1].contains(r#"kid="evil\n\u{1b}[31mkid""#),
        "{}",
        rejections[1]
    );
    assert!(
        rejections[2].contains("kind=missing_credentials") && rejections[2].contains("kid=\"-\"")
    );
    for line in &lines {
        for token in [&expired, &hostile] {
            let signature = token.rsplit('.').next().unwrap();
            assert!(!line.contains(signature), "{line}");
            assert!(!line.contains(token.split('.').nth(1).unwrap()), "{line}");
        }
    }
}

/// Anonymous requests behind an optional layer reach guards and extractors that refuse them:
/// debug events only, whatever their number (an anonymous client cannot fill the error log);
/// the guard without any layer still logs its misconfiguration at error level, once per request.
#[cfg(all(feature = "tracing", feature = "axum"))]
#[tokio::test(flavor = "current_thread")]
async fn anonymous_refusals_log_nothing_at_error_level() {
    use axum::body::Body;
    use axum::routing::get;
    use tower_cognito::{
        Claims, CognitoClaims, Error, Require, guard::Authorized, guard::GuardLayer,
        guard::Requirement,
    };

    struct Admins;
    impl Requirement for Admins {
        fn check(claims: &CognitoClaims) -> Result<(), Error> {
            match claims.in_group("admins") {
                true => Ok(()),
                false => Err(Error::missing_group()),
            }
        }
    }

    let issuer = crate::support::shared_issuer();
    let auth = crate::support::access_layer(&issuer).optional();
    let admins = || Require::groups_any(["admins"]).unwrap();
    let app = axum::Router::new()
        .route(
            "/guarded",
            get(|| async { "" }).route_layer(auth.guard(admins())),
        )
        .route("/authorized", get(|_: Authorized<Admins>| async { "" }))
        .route("/claims", get(|_: Claims| async { "" }))
        .layer(auth)
        .route(
            "/no-layer",
            get(|| async { "" }).route_layer(GuardLayer::new(admins())),
        );
    let events = events::Events::default();
    let _default = tracing::subscriber::set_default(events.clone());
    for _ in 0..10 {
        for uri in ["/guarded", "/authorized", "/claims"] {
            let request = http::Request::get(uri).body(Body::empty()).unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), 401, "{uri}");
        }
    }
    let lines = events.0.lock().unwrap().clone();
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|l| l.starts_with("DEBUG")), "{lines:#?}");
    assert_eq!(lines.len(), 30, "one debug event per refusal: {lines:#?}");

    let request = http::Request::get("/no-layer").body(Body::empty()).unwrap();
    assert_eq!(app.oneshot(request).await.unwrap().status(), 500);
    let lines = events.0.lock().unwrap().clone();
    let errors: Vec<&String> = lines.iter().filter(|l| l.starts_with("ERROR")).collect();
    assert_eq!(errors.len(), 1, "{lines:#?}");
}

#[tokio::test]
async fn the_readiness_service_answers_200_when_ready_and_503_with_the_reason() {
    let issuer = LocalIssuer::new().unwrap();
    let config = crate::support::access_config(&issuer);
    let ready = CognitoAuthLayer::builder(config.clone())
        .static_keys(issuer.key_set())
        .build()
        .unwrap();
    let res = ready
        .readiness_service()
        .oneshot(http::Request::get("/ready").body(()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.body(), "ready\n");
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(ready.status().deny_list.is_none());

    // No keys yet (a source that never answers): 503, "no keys".
    let waiting = CognitoAuthLayer::builder(config)
        .jwks_source(NeverJwks)
        .build()
        .unwrap();
    let res = waiting
        .readiness_service()
        .oneshot(http::Request::get("/ready").body(()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.body(), "no keys\n");

    // Behind axum, outside the authenticated routes.
    let app: axum::Router = axum::Router::new()
        .route("/me", axum::routing::get(|| async { "me" }))
        .layer(ready.clone())
        .route_service("/ready", ready.readiness_service());
    let res = app
        .oneshot(
            http::Request::get("/ready")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// A JWKS source that never answers.
#[derive(Debug, Clone)]
struct NeverJwks;

impl tower_cognito::jwks::JwksSource for NeverJwks {
    async fn fetch(&self, _max_size: usize) -> Result<Vec<u8>, tower_cognito::jwks::FetchError> {
        std::future::pending().await
    }
}
