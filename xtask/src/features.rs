//! `cargo xtask features`: the combinations of each crate's optional features build, and the
//! tests pass in the combinations that change behaviour. For every library member (xtask aside):
//!
//! 1. The library, with none of its optional features and each one alone (a feature that needs
//!    another, or a dependency feature it does not enable, fails alone; what a feature's absence
//!    breaks fails in step 2's all-but-one builds; pairs, the sizes between and a lib-only
//!    all-but-one added builds, not gates: dropped when the root crate reached eight features,
//!    for CI's 30 minutes), deduped by what the subset enables
//!    (a feature that enables another, as `client` enabled `reqwest` before the workspace split,
//!    makes no new build):
//!    `cargo clippy -p NAME --lib --no-default-features --features SUBSET -- -D warnings`. That is
//!    a user's build, dependencies with exactly the features the subset gives them (a feature
//!    relying on a dependency feature only the dev-dependencies enable fails here, and under
//!    `cargo test` it would not), and a type check only: no code generation, no linking.
//! 2. The tests, examples and benches (`--all-targets`) for the subsets that decide their
//!    `cfg` gates: none and all but one (all of them is the lint step of CI; each alone was
//!    dropped with the client's web, redis and metrics features, for CI's 30 minutes): a target
//!    that needs a feature it is not gated on fails in the first, an import left unused when one
//!    is off in the second. The dev-dependencies give the dependencies the same features in every
//!    one of these builds, so only the crate's own targets are checked again.
//! 3. The tests where behaviour changes: `--all-features` is the README's test command (`cargo
//!    xtask test`, its own CI step); here, for each crate, every feature that is not on by
//!    default with the default ones off (`tracing` off is the one switch that changes code on the
//!    request path; `redis`, `metrics` and the rest keep their tests), with the services and
//!    `--include-ignored`, less the tests that build an example and run it (they run once, in
//!    `cargo xtask test`); the client's integration tests are left to that command too (its
//!    default `tracing` only logs), its unit tests run here. (A plain `cargo test --workspace`, default features and no services,
//!    ran here too until the client's web sign-in and token source made it cost about as much as
//!    the README's test command it repeats; every service-backed test is `#[ignore]`d with the
//!    command that runs it, and the clippy builds above check its features' targets.)
//!
//! Why not `--all-targets` or `cargo test` for every subset: measured on this crate before the
//! workspace split (7 features, 96 distinct subsets, 2 cores), in CPU seconds, `cargo test` of 19
//! combinations took 1132 s and `--all-targets` clippy of the 96 subsets 897 s, while the three
//! steps here take about 440 + 110 + 190 s.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use clap::Parser;

use crate::services::Owned;
use crate::testing;
use crate::util::{self, Fail};
use crate::workspace::{self, Package};

/// Settings of `cargo xtask features`.
#[derive(Debug, Parser)]
pub(crate) struct Args {
    /// Only this package (repeat for several; default: every library member with features).
    #[arg(long = "package", short = 'p', value_name = "NAME")]
    packages: Vec<String>,
    /// The clippy builds only, no test run.
    #[arg(long)]
    no_tests: bool,
    /// Print the subsets and the test runs without running them.
    #[arg(long)]
    dry_run: bool,
}

/// A set of feature names.
type Set = BTreeSet<String>;

/// Everything `chosen` enables in `features` (each feature's plain feature entries, transitively;
/// `dep:x` and `x/y` entries enable no feature of the crate).
fn closure(features: &BTreeMap<String, Vec<String>>, chosen: &Set) -> Set {
    let mut on = chosen.clone();
    let mut todo: Vec<String> = chosen.iter().cloned().collect();
    while let Some(feature) = todo.pop() {
        for enabled in features.get(&feature).into_iter().flatten() {
            if features.contains_key(enabled) && on.insert(enabled.clone()) {
                todo.push(enabled.clone());
            }
        }
    }
    on
}

/// The optional features of a package (every feature but `default`).
fn optional(features: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    features
        .keys()
        .filter(|f| *f != "default")
        .cloned()
        .collect()
}

/// Every distinct closure of a subset of at most one of the optional features, smallest first.
fn subsets(features: &BTreeMap<String, Vec<String>>) -> Result<Vec<Set>, Fail> {
    let optional = optional(features);
    if optional.len() > 12 {
        return Err(Fail(format!(
            "{} optional features: too many for a powerset",
            optional.len()
        )));
    }
    let n = optional.len();
    let mut distinct = BTreeSet::new();
    for mask in 0u32..(1 << n) {
        // None or one feature: what a feature needs of another shows alone (what its absence
        // breaks shows in the all-targets builds of all but one).
        let size = mask.count_ones() as usize;
        if size > 1 {
            continue;
        }
        let chosen: Set = optional
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, f)| f.clone())
            .collect();
        distinct.insert(closure(features, &chosen));
    }
    let mut sets: Vec<Set> = distinct.into_iter().collect();
    sets.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    Ok(sets)
}

/// The features off by default, with what they enable: the test run with the defaults off.
fn non_default(features: &BTreeMap<String, Vec<String>>) -> Set {
    let defaults = closure(features, &Set::from(["default".to_owned()]));
    let rest: Set = optional(features)
        .into_iter()
        .filter(|f| !defaults.contains(f))
        .collect();
    closure(features, &rest)
}

fn list(set: &Set) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(",")
}

/// The subsets whose `--all-targets` build decides the `cfg` gates of tests, examples and
/// benches: none (a target using a feature it is not gated on fails there) and all but one (an
/// import or item left unused when that feature is off fails there), each closed under what it
/// enables (the full set is left to the lint step), distinct. Each feature alone, which adds
/// little to these two for a target, was dropped for CI's 30 minutes (the library keeps its
/// single-feature builds).
fn gate_subsets(features: &BTreeMap<String, Vec<String>>) -> Vec<Set> {
    let optional = optional(features);
    let all = closure(features, &optional.iter().cloned().collect());
    let mut sets = vec![Set::new()];
    for feature in &optional {
        // All but `feature`, and but every feature that enables it.
        let rest: Set = optional
            .iter()
            .filter(|f| !closure(features, &Set::from([(*f).clone()])).contains(feature))
            .cloned()
            .collect();
        sets.push(closure(features, &rest));
    }
    let mut distinct = Vec::new();
    for set in sets {
        if set != all && !distinct.contains(&set) {
            distinct.push(set);
        }
    }
    distinct
}

/// Which targets a clippy run checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Targets {
    /// The library alone, as a dependent builds it.
    Lib,
    /// Tests, examples and benches too.
    All,
}

/// `cargo clippy` of one subset.
fn clippy_args(package: &str, targets: Targets, set: &Set) -> Vec<String> {
    let targets = match targets {
        Targets::Lib => "--lib",
        Targets::All => "--all-targets",
    };
    let mut args = ["clippy", "--quiet", "-p", package, targets]
        .map(str::to_owned)
        .to_vec();
    args.push("--no-default-features".into());
    if !set.is_empty() {
        args.extend(["--features".to_owned(), list(set)]);
    }
    args.extend(["--".to_owned(), "-D".to_owned(), "warnings".to_owned()]);
    args
}

/// `cargo test` of the non-default features of `package`, service-backed tests included.
/// The packages whose integration tests run again with the default features off.
const PACKAGES_TESTED_WHOLE: [&str; 1] = ["tower-cognito"];

/// The test modules that build an example (or drive a browser), skipped by the feature runs.
const SKIPPED_IN_FEATURE_RUNS: [&str; 4] = [
    "_example::",
    "quickstart::",
    "user_pool_cli::",
    "web_browser::",
];

fn test_args(package: &str, set: &Set) -> Vec<String> {
    let mut args = ["test", "-p", package, "--no-default-features"]
        .map(str::to_owned)
        .to_vec();
    if !set.is_empty() {
        args.extend(["--features".to_owned(), list(set)]);
    }
    // Only the layer's default `tracing` changes code on a request path; the other crates' default
    // features only log: their unit tests run here, their integration tests at every feature in
    // `cargo xtask test`.
    if !PACKAGES_TESTED_WHOLE.contains(&package) {
        args.push("--lib".to_owned());
    }
    // The tests that build an example and run it as a child process run once, in `cargo xtask
    // test` (the browser test needs the Chromium it installs): here they would build every
    // example again with these features, for the same behaviour.
    args.extend(["--", "--include-ignored"].map(str::to_owned));
    for skipped in SKIPPED_IN_FEATURE_RUNS {
        args.extend(["--skip".to_owned(), skipped.to_owned()]);
    }
    args
}

/// The packages to check: library members with optional features, xtask aside.
fn packages(only: &[String]) -> Result<Vec<Package>, Fail> {
    let all = workspace::packages()?;
    for name in only {
        if !all.iter().any(|p| &p.name == name) {
            return Err(Fail(format!("no workspace member named {name}")));
        }
    }
    Ok(all
        .into_iter()
        .filter(|p| p.name != "xtask" && p.lib_root.is_some())
        .filter(|p| !optional(&p.features).is_empty())
        .filter(|p| only.is_empty() || only.contains(&p.name))
        .collect())
}

/// `cargo xtask features`.
pub(crate) fn run(args: &Args) -> Result<(), Fail> {
    let packages = packages(&args.packages)?;
    let started = Instant::now();
    let mut plan = Vec::new();
    for package in &packages {
        for set in subsets(&package.features)? {
            plan.push(clippy_args(&package.name, Targets::Lib, &set));
        }
        for set in gate_subsets(&package.features) {
            plan.push(clippy_args(&package.name, Targets::All, &set));
        }
    }
    let tests: Vec<Vec<String>> = packages
        .iter()
        .map(|p| test_args(&p.name, &non_default(&p.features)))
        .collect();
    if args.dry_run {
        for step in plan
            .iter()
            .chain(if args.no_tests { &[][..] } else { &tests })
        {
            println!("cargo {}", step.join(" "));
        }
        return Ok(());
    }
    let total = plan.len();
    // Every subset is checked, so that one run names every failing one.
    let mut failed = Vec::new();
    for (i, step) in plan.iter().enumerate() {
        util::log(&format!("[{}/{total}] cargo {}", i + 1, step.join(" ")));
        if let Err(Fail(e)) = util::status(util::cmd("cargo").args(step)) {
            util::log(&e);
            failed.push(format!("cargo {}", step.join(" ")));
        }
    }
    let clippy_time = started.elapsed();
    util::log(&format!(
        "{} of {total} feature builds without warnings ({} s)",
        total - failed.len(),
        clippy_time.as_secs()
    ));
    // The tests run even after a failed build, so that one run reports everything.
    if !args.no_tests {
        {
            let services = Owned::start(testing::start_timeout())?;
            let vars = services.vars();
            for step in &tests {
                if let Err(Fail(e)) = testing::run_cargo_test(step, &vars) {
                    failed.push(e);
                }
            }
        }
    }
    let all = started.elapsed();
    util::log(&format!(
        "features: {} s ({total} clippy builds {} s, tests {} s)",
        all.as_secs(),
        clippy_time.as_secs(),
        all.saturating_sub(clippy_time).as_secs()
    ));
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Fail(format!(
            "{} feature step(s) failed:\n  {}",
            failed.len(),
            failed.join("\n  ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(table: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        table
            .iter()
            .map(|(f, on)| {
                (
                    (*f).to_owned(),
                    on.iter().map(|s| (*s).to_owned()).collect(),
                )
            })
            .collect()
    }

    fn set(names: &[&str]) -> Set {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    /// The root crate's features before the workspace split (issue 17): a table with a feature
    /// that enables another.
    fn root() -> BTreeMap<String, Vec<String>> {
        features(&[
            ("default", &["axum", "reqwest", "tracing"]),
            ("tracing", &["dep:tracing"]),
            ("reqwest", &["dep:reqwest"]),
            ("axum", &["dep:axum-core"]),
            ("test-util", &["dep:hyper", "tokio/net"]),
            ("client", &["dep:crypto-bigint", "reqwest"]),
            ("redis", &["dep:redis", "tokio/macros"]),
            ("metrics", &["dep:metrics"]),
        ])
    }

    #[test]
    fn implied_features_are_one_build() -> Result<(), Fail> {
        let f = root();
        assert_eq!(closure(&f, &set(&["client"])), set(&["client", "reqwest"]));
        let sets = subsets(&f)?;
        // 1 + 7 subsets of at most one feature; `client` alone is `client` with `reqwest`.
        assert_eq!(sets.len(), 8);
        assert!(sets.contains(&set(&["metrics"])));
        assert!(sets.contains(&set(&["client", "reqwest"])));
        assert!(!sets.contains(&set(&["axum", "metrics"])));
        assert_eq!(sets.first(), Some(&Set::new()));
        assert_eq!(sets.last().map(Set::len), Some(2));
        assert!(
            sets.iter()
                .all(|s| !s.contains("client") || s.contains("reqwest"))
        );
        Ok(())
    }

    #[test]
    fn the_non_default_test_run() {
        let f = root();
        assert_eq!(
            non_default(&f),
            set(&["client", "metrics", "redis", "reqwest", "test-util"])
        );
        assert_eq!(
            test_args("tower-cognito", &non_default(&f)).join(" "),
            "test -p tower-cognito --no-default-features --features \
             client,metrics,redis,reqwest,test-util -- --include-ignored --skip _example:: \
             --skip quickstart:: --skip user_pool_cli:: --skip web_browser::"
        );
    }

    #[test]
    fn clippy_of_a_subset() {
        assert_eq!(
            clippy_args("c", Targets::All, &Set::new()).join(" "),
            "clippy --quiet -p c --all-targets --no-default-features -- -D warnings"
        );
        assert_eq!(
            clippy_args("c", Targets::Lib, &set(&["redis", "axum"])).join(" "),
            "clippy --quiet -p c --lib --no-default-features --features axum,redis -- -D warnings"
        );
    }

    #[test]
    fn the_gate_subsets() {
        let sets = gate_subsets(&root());
        let names: Vec<String> = sets.iter().map(list).collect();
        assert_eq!(
            names,
            [
                "",
                "client,metrics,redis,reqwest,test-util,tracing",
                "axum,metrics,redis,reqwest,test-util,tracing",
                "axum,client,redis,reqwest,test-util,tracing",
                "axum,client,metrics,reqwest,test-util,tracing",
                // All but reqwest is all but client too.
                "axum,metrics,redis,test-util,tracing",
                "axum,client,metrics,redis,reqwest,tracing",
                "axum,client,metrics,redis,reqwest,test-util",
            ]
        );
        // Nothing optional: the empty set is the full one, left to the lint step.
        assert!(gate_subsets(&features(&[("default", &[])])).is_empty());
    }

    #[test]
    fn too_many_features_are_refused() {
        let many: Vec<(String, Vec<String>)> =
            (0..13).map(|i| (format!("f{i}"), Vec::new())).collect();
        assert!(subsets(&many.into_iter().collect()).is_err());
    }
}
