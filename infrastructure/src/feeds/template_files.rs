//! Offensive libraries on disk or at a URL: Atomic Red Team and CALDERA templates, LOLBAS
//! and GTFOBins binaries, from a file, a directory or an archive.

use async_trait::async_trait;

use aegis_application::catalog::FeedError;
use aegis_application::templates::{BinaryBatch, BinaryFeed, TemplateBatch, TemplateFeed};
use aegis_domain::template::TemplateSource;

use super::atomic::parse_atomic_file;
use super::caldera::parse_caldera_file;
use super::collection::CollectionLimits;
use super::lolbin::{
    default_function_techniques, is_gtfobins_file, is_lolbas_entry, parse_function_techniques,
    parse_gtfobins_file, parse_lolbas_file,
};
use super::rule_files::{Location, read_location};

/// The templates or binaries of one source at a location.
#[derive(Debug, Clone)]
pub struct LibraryFiles {
    source: TemplateSource,
    location: Location,
    limits: CollectionLimits,
}

impl LibraryFiles {
    pub fn at(source: TemplateSource, location: Location) -> Self {
        Self {
            source,
            location,
            limits: CollectionLimits::default(),
        }
    }

    async fn read<T: Send + 'static>(
        &self,
        wanted: fn(&str) -> bool,
        parse: impl FnOnce(super::collection::Collection) -> T + Send + 'static,
    ) -> Result<T, FeedError> {
        read_location(&self.location, self.limits, wanted, parse).await
    }
}

fn is_yaml(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".yml") || lower.ends_with(".yaml")
}

/// Atomic Red Team keeps tests in `atomics/<T>/<T>.yaml`; the folder also holds
/// `Indexes/` and `used_guids.txt`, which are not tests.
fn is_atomic_file(path: &str) -> bool {
    is_yaml(path) && !path.to_ascii_lowercase().contains("index")
}

#[async_trait]
impl TemplateFeed for LibraryFiles {
    fn source(&self) -> TemplateSource {
        self.source
    }

    fn describe(&self) -> String {
        format!("{} templates from {}", self.source.title(), self.location)
    }

    async fn fetch(&self) -> Result<TemplateBatch, FeedError> {
        let parse = match self.source {
            TemplateSource::Atomic => parse_atomic_file,
            TemplateSource::Caldera => parse_caldera_file,
            other => {
                return Err(FeedError(format!(
                    "{} publishes binaries, not templates",
                    other.title()
                )));
            }
        };
        let wanted = match self.source {
            TemplateSource::Atomic => is_atomic_file,
            _ => is_yaml,
        };
        self.read(wanted, move |collection| {
            let mut batch = TemplateBatch {
                templates: Vec::new(),
                skipped: collection.skipped,
            };
            for file in &collection.files {
                match parse(file) {
                    Ok(templates) => batch.templates.extend(templates),
                    Err(reason) => batch.skipped.push((file.path.clone(), reason)),
                }
            }
            batch
        })
        .await
    }
}

#[async_trait]
impl BinaryFeed for LibraryFiles {
    fn source(&self) -> TemplateSource {
        self.source
    }

    fn describe(&self) -> String {
        format!("{} binaries from {}", self.source.title(), self.location)
    }

    async fn fetch(&self) -> Result<BinaryBatch, FeedError> {
        match self.source {
            TemplateSource::Lolbas => {
                self.read(is_lolbas_entry, |collection| {
                    let mut batch = BinaryBatch {
                        binaries: Vec::new(),
                        skipped: collection.skipped,
                    };
                    for file in &collection.files {
                        match parse_lolbas_file(file) {
                            Ok(binary) => batch.binaries.push(binary),
                            Err(reason) => batch.skipped.push((file.path.clone(), reason)),
                        }
                    }
                    batch
                })
                .await
            }
            TemplateSource::Gtfobins => {
                self.read(is_gtfobins_file, |collection| {
                    let mut batch = BinaryBatch {
                        binaries: Vec::new(),
                        skipped: collection.skipped,
                    };
                    let (lists, pages): (Vec<_>, Vec<_>) = collection
                        .files
                        .iter()
                        .partition(|f| f.path.ends_with("functions.yml"));
                    let mut mapping = default_function_techniques();
                    for list in lists {
                        match parse_function_techniques(list) {
                            Ok(found) => mapping.extend(found),
                            Err(reason) => batch.skipped.push((list.path.clone(), reason)),
                        }
                    }
                    for file in pages {
                        match parse_gtfobins_file(file, &mapping) {
                            Ok(binary) => batch.binaries.push(binary),
                            Err(reason) => batch.skipped.push((file.path.clone(), reason)),
                        }
                    }
                    batch
                })
                .await
            }
            other => Err(FeedError(format!(
                "{} publishes templates, not binaries",
                other.title()
            ))),
        }
    }
}

#[cfg(test)]
mod shared_samples {
    use super::*;

    fn sample(folder: &str) -> Option<Location> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/feeds")
            .join(folder);
        root.exists().then_some(Location::Path(root))
    }

    #[tokio::test]
    async fn the_real_atomic_and_caldera_samples_parse_when_present() {
        let Some(atomics) = sample("atomic-red-team") else {
            return;
        };
        let batch = TemplateFeed::fetch(&LibraryFiles::at(TemplateSource::Atomic, atomics))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(batch.skipped.is_empty(), "{:?}", batch.skipped);
        assert!(batch.templates.len() > 300, "{}", batch.templates.len());
        assert!(batch.templates.iter().any(|t| t.technique == "T1685"));
        assert!(
            batch
                .templates
                .iter()
                .filter(|t| t.technique == "T1070.008")
                .all(|t| t.executors.iter().all(|e| !e.command.contains('\r'))),
            "CRLF files read as plain lines"
        );
        assert!(
            batch
                .templates
                .iter()
                .any(|t| t.executors.iter().any(|e| e.name == "manual"))
        );

        let Some(abilities) = sample("caldera-stockpile") else {
            return;
        };
        let batch = TemplateFeed::fetch(&LibraryFiles::at(TemplateSource::Caldera, abilities))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(batch.skipped.is_empty(), "{:?}", batch.skipped);
        assert_eq!(batch.templates.len(), 32);
        assert!(batch.templates.iter().all(|t| !t.executors.is_empty()));
        assert!(
            batch
                .templates
                .iter()
                .any(|t| t.executors.iter().any(|e| e.name == "pwsh"))
        );
    }

    #[tokio::test]
    async fn the_real_lolbas_and_gtfobins_samples_parse_when_present() {
        let Some(lolbas) = sample("lolbas") else {
            return;
        };
        let batch = BinaryFeed::fetch(&LibraryFiles::at(TemplateSource::Lolbas, lolbas))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(batch.skipped.is_empty(), "{:?}", batch.skipped);
        assert_eq!(batch.binaries.len(), 36);
        assert!(batch.binaries.iter().all(|b| !b.techniques().is_empty()));

        let Some(gtfobins) = sample("gtfobins") else {
            return;
        };
        let batch = BinaryFeed::fetch(&LibraryFiles::at(TemplateSource::Gtfobins, gtfobins))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            batch
                .skipped
                .iter()
                .all(|(_, reason)| reason.starts_with("duplicate id")),
            "{:?}",
            batch.skipped
        );
        assert!(batch.binaries.len() >= 36, "{}", batch.binaries.len());
        let bash = batch.binaries.iter().find(|b| b.name == "bash");
        assert!(bash.is_some_and(|b| b.techniques().contains(&"T1059".to_owned())));
    }
}
