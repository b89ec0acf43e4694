//! What the test modules share beyond `tower_cognito_test_support` (which builds the examples):
//! the features to build an example of this crate with.

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
