//! The part of `cargo metadata --format-version 1` the layer rules read. Read here rather than
//! with the `cargo_metadata` crate: that crate turns on serde_json's `unbounded_depth` for the
//! whole workspace's test build, so the server the tests start would parse JSON unlike the one
//! that ships (without a depth limit), and `cargo run` and the tests could share no build.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

/// A package id as `cargo metadata` spells it.
pub(crate) type PackageId = String;

#[derive(Debug, Deserialize)]
pub(crate) struct Metadata {
    packages: Vec<Package>,
    pub(crate) workspace_members: Vec<PackageId>,
    pub(crate) workspace_root: PathBuf,
    pub(crate) resolve: Option<Resolve>,
    #[serde(skip)]
    by_id: HashMap<PackageId, usize>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Package {
    id: PackageId,
    pub(crate) name: String,
    pub(crate) manifest_path: PathBuf,
    pub(crate) targets: Vec<Target>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Target {
    kind: Vec<String>,
}

impl Target {
    pub(crate) fn is_bin(&self) -> bool {
        self.kind.iter().any(|k| k == "bin")
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Resolve {
    pub(crate) nodes: Vec<Node>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Node {
    pub(crate) id: PackageId,
    pub(crate) deps: Vec<NodeDep>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct NodeDep {
    pub(crate) pkg: PackageId,
    dep_kinds: Vec<DepKind>,
}

impl NodeDep {
    /// A normal dependency (not only a dev or build one) of at least one target.
    pub(crate) fn is_normal(&self) -> bool {
        self.dep_kinds.iter().any(|k| k.kind.is_none())
    }
}

#[derive(Debug, Clone, Deserialize)]
struct DepKind {
    /// `null` for a normal dependency, `"dev"` or `"build"` otherwise.
    kind: Option<String>,
}

impl Metadata {
    /// Runs `cargo metadata` on the workspace of `manifest`.
    pub(crate) fn load(manifest: &Path) -> Self {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let output = Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--manifest-path"])
            .arg(manifest)
            .output()
            .unwrap_or_else(|e| panic!("cannot run cargo metadata: {e}"));
        assert!(
            output.status.success(),
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut metadata: Self = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("cargo metadata printed what it should not: {e}"));
        metadata.by_id = metadata
            .packages
            .iter()
            .enumerate()
            .map(|(index, package)| (package.id.clone(), index))
            .collect();
        metadata
    }
}

impl std::ops::Index<&PackageId> for Metadata {
    type Output = Package;

    fn index(&self, id: &PackageId) -> &Package {
        let index = self
            .by_id
            .get(id)
            .unwrap_or_else(|| panic!("no package {id} in cargo metadata"));
        &self.packages[*index]
    }
}
