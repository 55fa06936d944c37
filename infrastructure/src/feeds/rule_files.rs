//! Rule sets on disk: a file, a directory or an archive of Sigma YAML or Elastic TOML files.

use std::path::PathBuf;

use async_trait::async_trait;

use aegis_application::catalog::FeedError;
use aegis_application::rules::{RuleBatch, RuleFeed};
use aegis_domain::detection::RuleSource;

use super::collection::{CollectionLimits, FeedFile, read_collection};
use super::elastic::parse_elastic_file;
use super::sigma::parse_sigma_file;

/// Where a rule set is: on disk, or at a URL that is downloaded first (a release archive such
/// as `sigma_all_rules.zip`, or one file).
#[derive(Clone)]
pub enum Location {
    Path(PathBuf),
    Url(String),
    /// A URL that wants a bearer token (a GitHub token against the API's rate limit).
    AuthorizedUrl {
        url: String,
        token: String,
    },
    /// An uploaded bundle, kept in its temporary directory as long as the location lives.
    Bundle {
        path: PathBuf,
        dir: std::sync::Arc<tempfile::TempDir>,
    },
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Path(path) => write!(f, "{}", path.display()),
            Self::Url(url) | Self::AuthorizedUrl { url, .. } => f.write_str(url),
            Self::Bundle { .. } => f.write_str("an uploaded bundle"),
        }
    }
}

/// Shown as `Display` is, so that a token never reaches a log.
impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Location({self})")
    }
}

/// The download of a URL location lives in this directory until the import is read.
async fn materialize(
    location: &Location,
) -> Result<(PathBuf, Option<tempfile::TempDir>), FeedError> {
    let (url, token) = match location {
        Location::Path(path) | Location::Bundle { path, .. } => return Ok((path.clone(), None)),
        Location::Url(url) => (url, None),
        Location::AuthorizedUrl { url, token } => (url, Some(token.as_str())),
    };
    let dir =
        tempfile::tempdir().map_err(|e| FeedError(format!("no room for the download: {e}")))?;
    let path = super::remote::download_into(url, token, dir.path()).await?;
    Ok((path, Some(dir)))
}

/// Reads the wanted files at a location (downloading a URL first: an archive or a file, or
/// the wanted files of a GitHub tree listing) off the async runtime, within the collection
/// limits, and hands them to `parse`.
pub(crate) async fn read_location<T: Send + 'static>(
    location: &Location,
    limits: CollectionLimits,
    wanted: impl Fn(&str) -> bool + Send + Sync + 'static,
    parse: impl FnOnce(super::collection::Collection) -> T + Send + 'static,
) -> Result<T, FeedError> {
    let tree = match location {
        Location::Url(url) if super::github_tree::is_tree_url(url) => Some((url, None)),
        Location::AuthorizedUrl { url, token } if super::github_tree::is_tree_url(url) => {
            Some((url, Some(token.as_str())))
        }
        _ => None,
    };
    let (path, download, refused) = match tree {
        Some((url, token)) => {
            let dir = tempfile::tempdir()
                .map_err(|e| FeedError(format!("no room for the download: {e}")))?;
            let refused = super::github_tree::fetch_tree(
                &super::remote::client()?,
                url,
                token,
                &wanted,
                limits,
                dir.path(),
            )
            .await?;
            (dir.path().to_owned(), Some(dir), refused)
        }
        None => {
            let (path, download) = materialize(location).await?;
            (path, download, Vec::new())
        }
    };
    tokio::task::spawn_blocking(move || {
        let _download = download;
        let mut collection =
            read_collection(&path, &wanted, limits).map_err(|e| FeedError(e.to_string()))?;
        collection.skipped.extend(refused);
        Ok(parse(collection))
    })
    .await
    .map_err(|e| FeedError(format!("the reader stopped: {e}")))?
}

/// Each file parsed, in order, with the files shared out over the available cores: parsing
/// is most of the time an import of thousands of rule files takes.
fn parse_each<T: Send>(files: &[FeedFile], parse: impl Fn(&FeedFile) -> T + Sync) -> Vec<T> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    if cores < 2 || files.len() < 64 {
        return files.iter().map(&parse).collect();
    }
    let share = files.len().div_ceil(cores);
    std::thread::scope(|scope| {
        let parse = &parse;
        let workers: Vec<_> = files
            .chunks(share)
            .map(|part| scope.spawn(move || part.iter().map(parse).collect::<Vec<T>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// The rules of `source` at a location.
#[derive(Debug, Clone)]
pub struct RuleFiles {
    source: RuleSource,
    location: Location,
    limits: CollectionLimits,
}

impl RuleFiles {
    pub fn new(source: RuleSource, path: impl Into<PathBuf>) -> Self {
        Self::at(source, Location::Path(path.into()))
    }

    pub fn at(source: RuleSource, location: Location) -> Self {
        Self {
            source,
            location,
            limits: CollectionLimits::default(),
        }
    }
}

fn is_rule_file(source: RuleSource, path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    match source {
        RuleSource::Sigma => lower.ends_with(".yml") || lower.ends_with(".yaml"),
        RuleSource::Elastic => lower.ends_with(".toml"),
    }
}

#[async_trait]
impl RuleFeed for RuleFiles {
    fn source(&self) -> RuleSource {
        self.source
    }

    fn describe(&self) -> String {
        format!("{} rules from {}", self.source.as_str(), self.location)
    }

    async fn fetch(&self) -> Result<RuleBatch, FeedError> {
        let source = self.source;
        let wanted = move |p: &str| is_rule_file(source, p);
        read_location(&self.location, self.limits, wanted, move |collection| {
            let mut batch = RuleBatch {
                rules: Vec::new(),
                skipped: collection.skipped,
            };
            let parsed = parse_each(&collection.files, |file| match source {
                RuleSource::Sigma => parse_sigma_file(file),
                RuleSource::Elastic => parse_elastic_file(file).map(|rule| vec![rule]),
            });
            for (file, parsed) in collection.files.iter().zip(parsed) {
                match parsed {
                    Ok(rules) => batch.rules.extend(rules),
                    Err(reason) => batch.skipped.push((file.path.clone(), reason)),
                }
            }
            batch
        })
        .await
    }
}

/// A per-technique response (`…/attack/<T>.json`, or a `.json` at the top of the import): the
/// rest of a D3FEND site archive (technique pages, the ontology) is not read.
fn is_d3fend_response(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".json") && (!lower.contains('/') || lower.contains("attack/"))
}

/// D3FEND API responses (`offensive-technique/attack/<T>.json`) at a location: a directory,
/// an archive or one file.
#[derive(Debug, Clone)]
pub struct D3fendFiles {
    location: Location,
    limits: CollectionLimits,
}

impl D3fendFiles {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self::at(Location::Path(path.into()))
    }

    pub fn at(location: Location) -> Self {
        Self {
            location,
            limits: CollectionLimits::default(),
        }
    }
}

#[async_trait]
impl aegis_application::rules::CountermeasureFeed for D3fendFiles {
    fn describe(&self) -> String {
        format!("D3FEND from {}", self.location)
    }

    async fn fetch(&self) -> Result<aegis_application::rules::CountermeasureBatch, FeedError> {
        read_location(
            &self.location,
            self.limits,
            is_d3fend_response,
            |collection| {
                let mut skipped = collection.skipped;
                let mut pairings = Vec::new();
                for file in &collection.files {
                    match super::d3fend::parse_d3fend_file(file) {
                        Ok(response) => {
                            if let Some(reason) = response.skipped {
                                skipped.push((file.path.clone(), reason));
                            }
                            pairings.extend(response.pairings);
                        }
                        Err(reason) => skipped.push((file.path.clone(), reason)),
                    }
                }
                aegis_application::rules::CountermeasureBatch {
                    countermeasures: super::d3fend::countermeasures(pairings),
                    skipped,
                }
            },
        )
        .await
    }
}
