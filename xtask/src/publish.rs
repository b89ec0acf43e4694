//! What the published crates hold and how their docs build: `cargo xtask package` and `cargo
//! xtask docs`, for every workspace member that may be published.

use serde_json::Value;

use crate::util::{self, Fail};
use crate::workspace::{self, Package};

/// The publishable members (`publish` not `false`).
fn published() -> Result<Vec<Package>, Fail> {
    let packages: Vec<Package> = workspace::packages()?
        .into_iter()
        .filter(|p| p.publish)
        .collect();
    if packages.is_empty() {
        return Err(Fail("no publishable workspace member".into()));
    }
    Ok(packages)
}

/// Whether a file of a package listing must not be published: tooling, CI, fuzzing, npm files.
fn forbidden(path: &str) -> bool {
    const DIRS: [&str; 6] = [
        "scripts/",
        "xtask/",
        "fuzz/",
        ".ci/",
        ".cargo/",
        "benches/peers/",
    ];
    DIRS.iter().any(|d| path.starts_with(d))
        || path.ends_with("package-lock.json")
        || path.split('/').any(|part| part == "node_modules")
}

/// `cargo package --list` of every publishable member: fails on a file that must not ship.
pub(crate) fn package() -> Result<(), Fail> {
    let mut bad = Vec::new();
    for p in published()? {
        let listing = util::output(util::cmd("cargo").args([
            "package",
            "--list",
            "--allow-dirty",
            "-p",
            &p.name,
        ]))?;
        let files: Vec<&str> = listing.lines().filter(|l| !l.is_empty()).collect();
        println!("{}: {} files", p.name, files.len());
        for file in files.iter().filter(|f| forbidden(f)) {
            println!("  must not be published: {file}");
            bad.push(format!("{}: {file}", p.name));
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(Fail(format!("{} files must not be published", bad.len())))
    }
}

/// The `cargo doc` arguments and rustdoc flags docs.rs uses for `p`, from its
/// `[package.metadata.docs.rs]`.
fn docs_rs_args(p: &Package) -> (Vec<String>, String) {
    let meta = &p.docs_rs;
    let strings = |key: &str| -> Vec<String> {
        meta.get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    let yes = |key: &str| meta.get(key).and_then(Value::as_bool) == Some(true);
    let mut args = ["doc", "--no-deps", "-p", &p.name]
        .map(str::to_owned)
        .to_vec();
    if yes("all-features") {
        args.push("--all-features".into());
    }
    if yes("no-default-features") {
        args.push("--no-default-features".into());
    }
    let features = strings("features");
    if !features.is_empty() {
        args.extend(["--features".to_owned(), features.join(",")]);
    }
    // docs.rs always passes `--cfg docsrs`; warnings (broken links...) fail here.
    let mut flags = strings("rustdoc-args");
    if !flags.windows(2).any(|w| w == ["--cfg", "docsrs"]) {
        flags.splice(0..0, ["--cfg".to_owned(), "docsrs".to_owned()]);
    }
    flags.extend(["-D".to_owned(), "warnings".to_owned()]);
    (args, flags.join(" "))
}

/// `cargo doc` of every publishable member as docs.rs builds it (nightly features through
/// `RUSTC_BOOTSTRAP=1`), warnings denied.
pub(crate) fn docs() -> Result<(), Fail> {
    for p in published()? {
        let (args, flags) = docs_rs_args(&p);
        util::log(&format!(
            "RUSTDOCFLAGS=\"{flags}\" cargo {}",
            args.join(" ")
        ));
        util::status(
            util::cmd("cargo")
                .args(&args)
                .env("RUSTC_BOOTSTRAP", "1")
                .env("RUSTDOCFLAGS", &flags),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tooling_is_not_published() {
        for path in [
            "scripts/srp-bench.sh",
            "xtask/src/main.rs",
            "fuzz/Cargo.toml",
            ".ci/run",
            ".cargo/config.toml",
            "benches/peers/Cargo.toml",
            "xtask/cognito-local/package-lock.json",
            "a/node_modules/b.js",
        ] {
            assert!(forbidden(path), "{path}");
        }
        for path in [
            "src/lib.rs",
            "benches/verify.rs",
            "README.md",
            "Cargo.toml.orig",
        ] {
            assert!(!forbidden(path), "{path}");
        }
    }

    #[test]
    fn the_docs_rs_settings() {
        let p = Package {
            name: "tower-cognito".into(),
            dir: ".".into(),
            lib_root: None,
            features: Default::default(),
            publish: true,
            docs_rs: serde_json::json!({"all-features": true, "rustdoc-args": ["--cfg", "docsrs"]}),
        };
        let (args, flags) = docs_rs_args(&p);
        assert_eq!(
            args.join(" "),
            "doc --no-deps -p tower-cognito --all-features"
        );
        assert_eq!(flags, "--cfg docsrs -D warnings");
        let bare = Package {
            docs_rs: serde_json::json!({"features": ["a", "b"], "rustdoc-args": ["--html-in-header", "h.html"]}),
            ..p
        };
        let (args, flags) = docs_rs_args(&bare);
        assert_eq!(
            args.join(" "),
            "doc --no-deps -p tower-cognito --features a,b"
        );
        assert_eq!(flags, "--cfg docsrs --html-in-header h.html -D warnings");
    }
}
