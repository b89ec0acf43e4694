//! What the test modules share beyond `tower_cognito_test_support` (which builds the examples):
//! the features to build an example of this crate with, and the local-pool fixture.

/// The features this test binary was built with, so that an example built for it reuses the
/// crate's build.
pub(crate) fn features() -> String {
    let all = [
        ("tracing", cfg!(feature = "tracing")),
        ("test-util", cfg!(feature = "test-util")),
        ("metrics", cfg!(feature = "metrics")),
        ("web", cfg!(feature = "web")),
        ("redis", cfg!(feature = "redis")),
    ];
    let on: Vec<&str> = all.iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect();
    on.join(",")
}

/// A local user pool served on loopback, a client of it, and a layer for its tokens (every
/// token use), the pool's clock fixed at `start` (moved by the tests).
pub(crate) struct PoolFixture {
    pub(crate) pool: tower_cognito_client::test_util::LocalUserPool,
    pub(crate) server: tower_cognito_client::test_util::UserPoolServer,
    pub(crate) client: tower_cognito_client::UserPoolClient,
    pub(crate) clock: std::sync::Arc<tower_cognito::clock::FixedClock>,
    /// When the pool's clock started.
    pub(crate) start: u64,
    pub(crate) layer: tower_cognito::CognitoAuthLayer,
}

/// The pool `settings` make, its clock at `start` (the system time for the tests that sign in
/// with SRP: the client stamps its answers with it, and the pool accepts them only within five
/// minutes of its own clock).
pub(crate) async fn pool_fixture(
    start: u64,
    settings: impl FnOnce(
        tower_cognito_client::test_util::LocalUserPoolBuilder,
    ) -> tower_cognito_client::test_util::LocalUserPoolBuilder,
) -> PoolFixture {
    use std::sync::Arc;
    use tower_cognito::clock::FixedClock;
    use tower_cognito::test_util::LocalIssuer;
    use tower_cognito_client::test_util::LocalUserPool;
    let clock = Arc::new(FixedClock::new(start));
    let issuer = LocalIssuer::builder()
        .clock(Arc::clone(&clock))
        .build()
        .unwrap();
    let pool = settings(LocalUserPool::builder().issuer(issuer))
        .build()
        .unwrap();
    let server = pool.serve().await.unwrap();
    let mut builder =
        tower_cognito_client::UserPoolClient::builder(pool.user_pool_id(), pool.client_id())
            .endpoint(server.endpoint());
    if let Some(secret) = pool.client_secret() {
        builder = builder.client_secret(secret);
    }
    let client = builder.build().unwrap();
    let config = pool.config().any_token_use().build().unwrap();
    let layer = tower_cognito::CognitoAuthLayer::builder(config)
        .static_keys(pool.issuer().key_set())
        .build()
        .unwrap();
    PoolFixture {
        pool,
        server,
        client,
        clock,
        start,
        layer,
    }
}
