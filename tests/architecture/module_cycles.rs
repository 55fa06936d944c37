//! The use cases' rooms import each other in no cycle: a capability that needs another's work
//! calls it one way only, or offers a port the other implements (`jobs` has its `JobWork`,
//! done by `job_work`; `test_cases` has `ValidationFollowUp`, done by `findings`). A room is a
//! top-level module with everything under it: `campaigns/plan.rs` belongs to `campaigns`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The module path of every `.rs` file under `src` (`lib.rs` is the root, `x/mod.rs` is `x`).
fn modules(src: &Path) -> BTreeMap<String, PathBuf> {
    let mut found = BTreeMap::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir:?}: {e}"));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).unwrap_or(&path).with_extension("");
            let mut parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
                parts.pop();
            }
            found.insert(parts.join("::"), path);
        }
    }
    found
}

/// The paths a file names after `crate::`, expanded over `use crate::{a, b::c}` groups.
fn crate_paths(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            paths.extend(group[..end].split(',').map(|p| p.trim().to_owned()));
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        paths.push(rest[..end].to_owned());
    }
    paths
}

/// The room a module path is in: its first segment.
fn room(path: &str) -> &str {
    path.split("::").next().unwrap_or_default()
}

fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Depth-first search that reports each back edge's cycle once.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        found: &mut Vec<Vec<String>>,
    ) {
        if let Some(at) = stack.iter().position(|n| n == node) {
            found.push(stack[at..].to_vec());
            return;
        }
        if !done.insert(node.to_owned()) {
            return;
        }
        stack.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            visit(next, edges, stack, done, found);
        }
        stack.pop();
    }
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        visit(node, edges, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

fn dependencies(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let known = modules(src);
    let rooms: BTreeSet<&str> = known.keys().map(|m| room(m)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, file) in &known {
        if module.is_empty() {
            // The crate root wires the services together; it is not a capability.
            continue;
        }
        let from = room(module);
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file:?}: {e}"));
        // `super::` stays in the room; only `crate::` crosses to another.
        let targets = crate_paths(&text)
            .iter()
            .map(|path| room(path))
            .filter(|target| *target != from && rooms.contains(target))
            .map(ToOwned::to_owned)
            .collect::<BTreeSet<_>>();
        edges.entry(from.to_owned()).or_default().extend(targets);
    }
    edges
}

#[test]
fn application_modules_import_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../application/src");
    let found = cycles(&dependencies(&src));
    assert!(
        found.is_empty(),
        "application modules import each other in a cycle: {}",
        found
            .iter()
            .map(|c| c.join(" -> "))
            .collect::<Vec<_>>()
            .join("; ")
    );
}

#[test]
fn the_cycle_check_sees_a_cycle() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    };
    write("lib.rs", "pub mod a; pub mod b;");
    write("a.rs", "use crate::b::Thing;");
    write("b/mod.rs", "mod inner;");
    write("b/inner.rs", "use crate::{a::Other, b::Thing};");
    let found = cycles(&dependencies(dir.path()));
    assert_eq!(
        found,
        vec![vec!["a".to_owned(), "b".to_owned()]],
        "{found:?}"
    );
}
