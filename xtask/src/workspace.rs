//! The workspace's members, from `cargo metadata --no-deps`: what the commands that act on every
//! crate (modules, features, package, docs) iterate over, so that adding a member needs no change
//! here.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::util::{self, Fail, ctx};

/// One workspace member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Package {
    pub(crate) name: String,
    /// The directory of its `Cargo.toml`.
    pub(crate) dir: PathBuf,
    /// The root file of its library target, if it has one.
    pub(crate) lib_root: Option<PathBuf>,
    /// Its features (`[features]`), each with what it enables.
    pub(crate) features: BTreeMap<String, Vec<String>>,
    /// Whether `cargo publish` may publish it (`publish` is not `false`).
    pub(crate) publish: bool,
    /// Its `[package.metadata.docs.rs]` table (`Null` when absent; in `cargo metadata` the
    /// table `docs` holding the table `rs`).
    pub(crate) docs_rs: Value,
}

/// The members of the workspace at the repository root.
pub(crate) fn packages() -> Result<Vec<Package>, Fail> {
    let json =
        util::output(util::cmd("cargo").args(["metadata", "--no-deps", "--format-version", "1"]))?;
    parse(&json)
}

/// The members in `cargo metadata --no-deps --format-version 1` output, in its order.
fn parse(json: &str) -> Result<Vec<Package>, Fail> {
    let metadata: Value = serde_json::from_str(json).map_err(ctx("cargo metadata"))?;
    let packages = metadata
        .get("packages")
        .and_then(Value::as_array)
        .ok_or_else(|| Fail("cargo metadata: no packages".into()))?;
    packages.iter().map(package).collect()
}

fn package(p: &Value) -> Result<Package, Fail> {
    let text = |key: &str| p.get(key).and_then(Value::as_str);
    let name =
        text("name").ok_or_else(|| Fail("cargo metadata: a package without a name".into()))?;
    let manifest = text("manifest_path")
        .map(PathBuf::from)
        .ok_or_else(|| Fail(format!("cargo metadata: no manifest path for {name}")))?;
    let dir = manifest.parent().map(PathBuf::from).ok_or_else(|| {
        Fail(format!(
            "cargo metadata: {} has no parent",
            manifest.display()
        ))
    })?;
    const LIB_KINDS: [&str; 6] = ["lib", "rlib", "dylib", "cdylib", "staticlib", "proc-macro"];
    let lib_root = p
        .get("targets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|t| {
            t.get("kind")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .any(|k| LIB_KINDS.contains(&k))
        })
        .and_then(|t| t.get("src_path").and_then(Value::as_str))
        .map(PathBuf::from);
    let features = p
        .get("features")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(feature, enables)| {
            let enables = enables
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            (feature.clone(), enables)
        })
        .collect();
    // `publish`: null (anywhere), [] (`publish = false`) or a list of registries.
    let publish = !matches!(p.get("publish"), Some(Value::Array(r)) if r.is_empty());
    let docs_rs = p
        .pointer("/metadata/docs/rs")
        .cloned()
        .unwrap_or(Value::Null);
    Ok(Package {
        name: name.to_owned(),
        dir,
        lib_root,
        features,
        publish,
        docs_rs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_from_metadata() -> Result<(), Fail> {
        let json = r#"{"packages": [
            {"name": "tower-cognito", "manifest_path": "/w/Cargo.toml", "publish": null,
             "targets": [{"kind": ["lib"], "src_path": "/w/src/lib.rs"},
                         {"kind": ["test"], "src_path": "/w/tests/it/main.rs"}],
             "features": {"default": ["axum"], "axum": ["dep:axum-core"], "client": ["reqwest"]},
             "metadata": {"docs": {"rs": {"all-features": true, "rustdoc-args": ["--cfg", "docsrs"]}}}},
            {"name": "xtask", "manifest_path": "/w/xtask/Cargo.toml", "publish": [],
             "targets": [{"kind": ["bin"], "src_path": "/w/xtask/src/main.rs"}],
             "features": {}}
        ]}"#;
        let packages = parse(json)?;
        let [root, xtask] = packages.as_slice() else {
            return Err(Fail(format!("{packages:?}")));
        };
        assert_eq!(root.name, "tower-cognito");
        assert_eq!(root.dir, PathBuf::from("/w"));
        assert_eq!(root.lib_root, Some(PathBuf::from("/w/src/lib.rs")));
        assert_eq!(
            root.features.get("client"),
            Some(&vec!["reqwest".to_owned()])
        );
        assert!(root.publish);
        assert_eq!(root.docs_rs.get("all-features"), Some(&Value::Bool(true)));
        assert_eq!(xtask.docs_rs, Value::Null);
        assert_eq!(xtask.lib_root, None);
        assert!(!xtask.publish);
        Ok(())
    }

    #[test]
    fn this_workspace() -> Result<(), Fail> {
        let packages = packages()?;
        assert!(packages.iter().any(|p| p.name == "xtask" && !p.publish));
        assert!(packages.iter().any(|p| p.lib_root.is_some() && p.publish));
        // The root crate documents every feature on docs.rs.
        let root = packages.iter().find(|p| p.name == "tower-cognito");
        assert_eq!(
            root.and_then(|p| p.docs_rs.get("all-features")),
            Some(&Value::Bool(true))
        );
        Ok(())
    }
}
