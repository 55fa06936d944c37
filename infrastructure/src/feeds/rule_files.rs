//! Rule sets on disk: a file, a directory or an archive of Sigma YAML or Elastic TOML files.

use std::path::PathBuf;

use async_trait::async_trait;

use aegis_application::catalog::FeedError;
use aegis_application::rules::{RuleBatch, RuleFeed};
use aegis_domain::detection::RuleSource;

use super::collection::{CollectionLimits, read_collection};
use super::elastic::parse_elastic_file;
use super::sigma::parse_sigma_file;

/// The rules of `source` under `path`.
#[derive(Debug, Clone)]
pub struct RuleFiles {
    source: RuleSource,
    path: PathBuf,
    limits: CollectionLimits,
}

impl RuleFiles {
    pub fn new(source: RuleSource, path: impl Into<PathBuf>) -> Self {
        Self {
            source,
            path: path.into(),
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
        format!(
            "{} rules from {}",
            self.source.as_str(),
            self.path.display()
        )
    }

    async fn fetch(&self) -> Result<RuleBatch, FeedError> {
        let (source, path, limits) = (self.source, self.path.clone(), self.limits);
        tokio::task::spawn_blocking(move || {
            let wanted = move |p: &str| is_rule_file(source, p);
            let collection =
                read_collection(&path, &wanted, limits).map_err(|e| FeedError(e.to_string()))?;
            let mut batch = RuleBatch {
                rules: Vec::new(),
                skipped: collection.skipped,
            };
            for file in &collection.files {
                let parsed = match source {
                    RuleSource::Sigma => parse_sigma_file(file),
                    RuleSource::Elastic => parse_elastic_file(file).map(|rule| vec![rule]),
                };
                match parsed {
                    Ok(rules) => batch.rules.extend(rules),
                    Err(reason) => batch.skipped.push((file.path.clone(), reason)),
                }
            }
            Ok(batch)
        })
        .await
        .map_err(|e| FeedError(format!("the rule reader stopped: {e}")))?
    }
}
