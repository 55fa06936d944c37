//! A repository read through the GitHub REST API: the tree listing
//! (`/repos/OWNER/REPO/git/trees/REF?recursive=1`), then each wanted file from the raw host at
//! the tree's commit, so every file comes from one consistent snapshot. The credential, when
//! the source has one, lifts the API's rate limit.

use std::path::{Component, Path, PathBuf};

use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;

use aegis_application::catalog::FeedError;

use super::collection::CollectionLimits;

/// Files fetched at the same time.
const PARALLEL_FETCHES: usize = 8;

/// Whether a URL is a GitHub tree listing rather than a file or an archive.
pub(crate) fn is_tree_url(url: &str) -> bool {
    url.contains("/repos/") && url.contains("/git/trees/")
}

#[derive(Debug, Deserialize)]
struct Tree {
    sha: String,
    #[serde(default)]
    truncated: bool,
    tree: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    path: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    size: u64,
}

/// `OWNER/REPO` and the origin of the raw files, from the tree URL: github.com's raw host, or
/// the `/raw` path of the same host (GitHub Enterprise Server, mirrors).
fn raw_base(tree_url: &str) -> Result<String, FeedError> {
    let url = reqwest::Url::parse(tree_url).map_err(|e| FeedError(format!("{tree_url}: {e}")))?;
    let segments: Vec<&str> = url
        .path_segments()
        .map(Iterator::collect)
        .unwrap_or_default();
    let repos = segments
        .iter()
        .position(|s| *s == "repos")
        .ok_or_else(|| FeedError(format!("{tree_url} is not a repository tree URL")))?;
    let (Some(owner), Some(repo)) = (segments.get(repos + 1), segments.get(repos + 2)) else {
        return Err(FeedError(format!("{tree_url} names no OWNER/REPO")));
    };
    let origin = if url.host_str() == Some("api.github.com") {
        "https://raw.githubusercontent.com".to_owned()
    } else {
        format!("{}/raw", url.origin().ascii_serialization())
    };
    Ok(format!("{origin}/{owner}/{repo}"))
}

/// A tree path kept inside the download directory.
fn local_path(root: &Path, path: &str) -> Option<PathBuf> {
    let relative = Path::new(path);
    relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| root.join(relative))
}

/// Fetches the wanted files of the tree into `dir`; returns what was refused with why.
///
/// # Errors
/// `FeedError` when the listing cannot be read, is truncated, or a file cannot be fetched.
pub(crate) async fn fetch_tree(
    client: &reqwest::Client,
    tree_url: &str,
    token: Option<&str>,
    wanted: &(dyn Fn(&str) -> bool + Send + Sync),
    limits: CollectionLimits,
    dir: &Path,
) -> Result<Vec<(String, String)>, FeedError> {
    let listing =
        super::remote::get_with(client, tree_url, "application/vnd.github+json", token).await?;
    let tree: Tree = serde_json::from_slice(&listing)
        .map_err(|e| FeedError(format!("{tree_url} is not a tree listing: {e}")))?;
    if tree.truncated {
        return Err(FeedError(format!(
            "{tree_url}: GitHub truncated the listing; import an archive of the repository instead"
        )));
    }
    let base = raw_base(tree_url)?;
    let mut refused = Vec::new();
    let mut files = Vec::new();
    let mut total = 0_u64;
    for entry in tree.tree {
        if entry.kind != "blob" || !wanted(&entry.path) {
            continue;
        }
        if entry.size > limits.max_file_bytes {
            refused.push((
                entry.path,
                format!("larger than {} bytes", limits.max_file_bytes),
            ));
            continue;
        }
        let Some(target) = local_path(dir, &entry.path) else {
            refused.push((entry.path, "the path leaves the repository".to_owned()));
            continue;
        };
        total += entry.size;
        if total > limits.max_total_bytes || files.len() >= limits.max_files {
            return Err(FeedError(format!(
                "{tree_url}: the wanted files exceed the import limits"
            )));
        }
        files.push((entry.path, target));
    }
    futures::stream::iter(files)
        .map(|(path, target)| {
            let url = format!("{base}/{}/{path}", tree.sha);
            async move {
                let body = super::remote::get_with(client, &url, "*/*", token).await?;
                if let Some(parent) = target.parent() {
                    tokio::fs::create_dir_all(parent)
                        .await
                        .map_err(|e| FeedError(format!("cannot keep {path}: {e}")))?;
                }
                tokio::fs::write(&target, body)
                    .await
                    .map_err(|e| FeedError(format!("cannot keep {path}: {e}")))
            }
        })
        .buffer_unordered(PARALLEL_FETCHES)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_files_come_from_the_raw_host_or_the_same_hosts_raw_path() {
        assert_eq!(
            raw_base("https://api.github.com/repos/redcanaryco/atomic-red-team/git/trees/master?recursive=1")
                .ok()
                .as_deref(),
            Some("https://raw.githubusercontent.com/redcanaryco/atomic-red-team")
        );
        assert_eq!(
            raw_base("http://127.0.0.1:9/api/v3/repos/o/r/git/trees/main?recursive=1")
                .ok()
                .as_deref(),
            Some("http://127.0.0.1:9/raw/o/r")
        );
        assert!(raw_base("https://api.github.com/users/x").is_err());
        assert!(is_tree_url(
            "https://api.github.com/repos/o/r/git/trees/main?recursive=1"
        ));
        assert!(!is_tree_url(
            "https://github.com/o/r/archive/refs/heads/main.zip"
        ));
    }

    #[test]
    fn tree_paths_stay_inside_the_download() {
        let root = Path::new("/tmp/x");
        assert!(local_path(root, "atomics/T1059/T1059.yaml").is_some());
        assert!(local_path(root, "../etc/passwd").is_none());
        assert!(local_path(root, "/etc/passwd").is_none());
    }
}
