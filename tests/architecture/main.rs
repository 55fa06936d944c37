//! The hexagonal layer rules, checked on the crate graph that `cargo metadata` reports.
//!
//! Each workspace crate's layer is the top-level folder it lives in. Only normal (not dev or
//! build) dependencies count, followed transitively.

mod metadata;
mod module_cycles;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use metadata::{Metadata, PackageId};

const IO_CRATES: &[&str] = &[
    "sea-orm",
    "sea-orm-migration",
    "sea-query",
    "sqlx",
    "sqlx-core",
    "sqlx-postgres",
    "sqlx-sqlite",
    "diesel",
    "tokio-postgres",
    "rusqlite",
    "libsqlite3-sys",
    "actix-web",
    "actix-http",
    "actix-rt",
    "hyper",
    "axum",
    "reqwest",
    "rust-s3",
    "aws-sdk-s3",
    "apalis",
    "apalis-core",
    "apalis-sql",
    "redis",
    "tokio",
    "mio",
];
const DB_CRATES: &[&str] = &[
    "sea-orm",
    "sea-orm-migration",
    "sqlx",
    "sqlx-core",
    "diesel",
    "tokio-postgres",
    "rusqlite",
    "libsqlite3-sys",
    "rust-s3",
    "aws-sdk-s3",
    "apalis-sql",
    "redis",
];
const LAYERS: &[&str] = &[
    "domain",
    "application",
    "infrastructure",
    "presentation",
    "migrations",
    "tests",
];

struct Graph {
    metadata: Metadata,
    normal: HashMap<PackageId, Vec<PackageId>>,
    members: HashSet<PackageId>,
}

impl Graph {
    fn load() -> Self {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let metadata = Metadata::load(&manifest);
        let resolve = metadata
            .resolve
            .clone()
            .unwrap_or_else(|| panic!("cargo metadata has no resolve graph"));
        let normal = resolve
            .nodes
            .iter()
            .map(|node| {
                let deps = node
                    .deps
                    .iter()
                    .filter(|dep| dep.is_normal())
                    .map(|dep| dep.pkg.clone())
                    .collect();
                (node.id.clone(), deps)
            })
            .collect();
        let members = metadata.workspace_members.iter().cloned().collect();
        Self {
            metadata,
            normal,
            members,
        }
    }

    fn name(&self, id: &PackageId) -> String {
        self.metadata[id].name.clone()
    }

    fn layer(&self, id: &PackageId) -> Option<&'static str> {
        let dir = self.metadata[id].manifest_path.parent()?;
        let relative = dir.strip_prefix(&self.metadata.workspace_root).ok()?;
        let top = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or_default();
        LAYERS.iter().copied().find(|layer| *layer == top)
    }

    fn below(&self, id: &PackageId) -> HashSet<PackageId> {
        let mut seen = HashSet::new();
        let mut stack: Vec<PackageId> = self.normal.get(id).cloned().unwrap_or_default();
        while let Some(dep) = stack.pop() {
            if seen.insert(dep.clone()) {
                stack.extend(self.normal.get(&dep).cloned().unwrap_or_default());
            }
        }
        seen
    }

    fn violations(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for id in &self.members {
            let name = self.name(id);
            let Some(layer) = self.layer(id) else {
                problems.push(format!(
                    "{name}: lives outside the layer folders {LAYERS:?}"
                ));
                continue;
            };
            let direct = self.normal.get(id).cloned().unwrap_or_default();
            let below = self.below(id);
            let direct_layers: BTreeSet<&str> = direct
                .iter()
                .filter(|d| self.members.contains(*d))
                .filter_map(|d| self.layer(d))
                .collect();
            let reached_layers: BTreeSet<&str> = below
                .iter()
                .filter(|d| self.members.contains(*d))
                .filter_map(|d| self.layer(d))
                .collect();
            let external: BTreeSet<String> = below
                .iter()
                .filter(|d| !self.members.contains(*d))
                .map(|d| self.name(d))
                .collect();
            let io: Vec<&String> = external
                .iter()
                .filter(|n| IO_CRATES.contains(&n.as_str()))
                .collect();
            let has_bin = self.metadata[id].targets.iter().any(|t| t.is_bin());
            match layer {
                "domain" | "application" => {
                    let allowed: &[&str] = if layer == "domain" {
                        &["domain"]
                    } else {
                        &["domain", "application"]
                    };
                    let bad: Vec<&&str> = direct_layers
                        .iter()
                        .filter(|l| !allowed.contains(l))
                        .collect();
                    if !bad.is_empty() {
                        problems.push(format!("{name} ({layer}) depends on layers {bad:?}"));
                    }
                    if !io.is_empty() {
                        problems.push(format!("{name} ({layer}) reaches I/O crates {io:?}"));
                    }
                }
                "infrastructure" if direct_layers.contains("presentation") => {
                    problems.push(format!("{name} (infrastructure) depends on presentation"));
                }
                "migrations" => {
                    let bad: Vec<&&str> = direct_layers
                        .iter()
                        .filter(|l| ["application", "infrastructure", "presentation"].contains(l))
                        .collect();
                    if !bad.is_empty() {
                        problems.push(format!("{name} (migrations) depends on {bad:?}"));
                    }
                }
                "presentation" if !has_bin && external.contains("actix-web") => {
                    let bad: Vec<&&str> = reached_layers
                        .iter()
                        .filter(|l| ["infrastructure", "migrations"].contains(l))
                        .collect();
                    if !bad.is_empty() {
                        problems.push(format!("{name} (HTTP library) reaches {bad:?}"));
                    }
                    let db: Vec<&String> = external
                        .iter()
                        .filter(|n| DB_CRATES.contains(&n.as_str()))
                        .collect();
                    if !db.is_empty() {
                        problems.push(format!(
                            "{name} (HTTP library) reaches database or storage crates {db:?}"
                        ));
                    }
                }
                _ => {}
            }
            if !["presentation", "tests"].contains(&layer) && direct_layers.contains("presentation")
            {
                problems.push(format!("{name} ({layer}) depends on presentation"));
            }
        }
        problems.sort();
        problems
    }
}

#[test]
fn the_crate_graph_keeps_the_layer_rules() {
    let graph = Graph::load();
    let problems = graph.violations();
    assert!(
        problems.is_empty(),
        "layer rules broken:\n  - {}",
        problems.join("\n  - ")
    );
}

#[test]
fn every_layer_has_its_crate_and_one_binary_composes_them() {
    let graph = Graph::load();
    let layers: BTreeSet<&str> = graph
        .members
        .iter()
        .filter_map(|id| graph.layer(id))
        .collect();
    for layer in LAYERS {
        assert!(layers.contains(layer), "no crate in {layer}/");
    }
    let binaries: Vec<String> = graph
        .members
        .iter()
        .filter(|id| graph.metadata[*id].targets.iter().any(|t| t.is_bin()))
        .map(|id| graph.name(id))
        .collect();
    assert_eq!(
        binaries,
        vec!["aegis".to_owned()],
        "exactly one binary, the composition root"
    );
}

#[test]
fn every_crate_inherits_the_workspace_lints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let graph = Graph::load();
    for id in &graph.members {
        let manifest = std::fs::read_to_string(&graph.metadata[id].manifest_path)
            .unwrap_or_else(|e| panic!("cannot read a manifest under {root:?}: {e}"));
        assert!(
            manifest.contains("[lints]\nworkspace = true"),
            "{} does not inherit the workspace lints",
            graph.name(id)
        );
    }
}

#[test]
fn the_graph_reads_normal_dependencies() {
    // Guards the reader of `cargo metadata`: a graph without edges would break no rule.
    let graph = Graph::load();
    let find = |name: &str| {
        graph
            .members
            .iter()
            .find(|id| graph.name(id) == name)
            .cloned()
            .unwrap_or_else(|| panic!("no member {name}"))
    };
    let (http, application, domain) = (
        find("aegis-http"),
        find("aegis-application"),
        find("aegis-domain"),
    );
    assert!(graph.normal[&http].contains(&application));
    assert!(graph.below(&http).contains(&domain));
    // The end-to-end tests reach every layer through dev-dependencies only.
    assert!(
        !graph.below(&find("aegis-tests")).contains(&domain),
        "dev and build edges are not normal ones"
    );
}
