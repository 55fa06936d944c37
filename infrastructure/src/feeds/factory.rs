//! The feed of each source kind, from its URL (with its credential) or from an uploaded
//! offline bundle.

use std::sync::Arc;

use aegis_application::catalog::{AttackSource, FeedError};
use aegis_application::data_sources::{FeedFactory, FeedOrigin, SourceFeed};
use aegis_domain::catalog::AttackRelease;
use aegis_domain::data_source::FeedKind;
use aegis_domain::detection::RuleSource;
use aegis_domain::template::TemplateSource;

use super::attack::FileAttackSource;
use super::osint_files::{OsintFiles, OsintKind};
use super::remote::UrlAttackSource;
use super::rule_files::{D3fendFiles, Location, RuleFiles};
use super::stix_intel::StixIntelFiles;
use super::template_files::LibraryFiles;

/// Makes feeds for the data-source registry.
#[derive(Debug, Clone, Copy, Default)]
pub struct SourceFeeds;

/// An ATT&CK bundle at a location: downloaded, or read from the uploaded file.
struct LocatedAttackSource(Location);

#[async_trait::async_trait]
impl AttackSource for LocatedAttackSource {
    fn describe(&self) -> String {
        self.0.to_string()
    }

    async fn fetch(&self) -> Result<AttackRelease, FeedError> {
        match &self.0 {
            Location::Url(url) | Location::AuthorizedUrl { url, .. } => {
                UrlAttackSource::new(url.clone()).fetch().await
            }
            Location::Path(path) | Location::Bundle { path, .. } => {
                FileAttackSource::new(path.clone()).fetch().await
            }
        }
    }
}

/// The name a bundle is kept under, so that the collection reader knows how to open it: the
/// archive its first bytes announce, else one file in the source's format.
fn bundle_name(kind: FeedKind, bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"PK\x03\x04") {
        // A workbook is a zip too: one with Office's content-types part is read as a workbook.
        let head = &bytes[..bytes.len().min(4096)];
        let workbook = head.windows(19).any(|w| w == b"[Content_Types].xml");
        return if kind == FeedKind::Compliance && workbook {
            "bundle.xlsx"
        } else {
            "bundle.zip"
        };
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return "bundle.tar.gz";
    }
    match kind {
        FeedKind::Attack
        | FeedKind::D3fend
        | FeedKind::Stix
        | FeedKind::Compliance
        | FeedKind::Nvd
        | FeedKind::Kev
        | FeedKind::KevAttack => "bundle.json",
        FeedKind::News => "bundle.xml",
        FeedKind::Elastic => "bundle.toml",
        FeedKind::Gtfobins => "bundle",
        FeedKind::Atomic | FeedKind::Caldera | FeedKind::Sigma | FeedKind::Lolbas => "bundle.yml",
    }
}

fn keep(kind: FeedKind, bytes: &[u8]) -> Result<Location, FeedError> {
    let dir = tempfile::tempdir().map_err(|e| FeedError(format!("no room for the bundle: {e}")))?;
    let path = dir.path().join(bundle_name(kind, bytes));
    std::fs::write(&path, bytes).map_err(|e| FeedError(format!("cannot keep the bundle: {e}")))?;
    Ok(Location::Bundle {
        path,
        dir: Arc::new(dir),
    })
}

impl FeedFactory for SourceFeeds {
    fn feed(&self, kind: FeedKind, origin: FeedOrigin) -> Result<SourceFeed, FeedError> {
        let location = match origin {
            FeedOrigin::Bundle { bytes } => keep(kind, &bytes)?,
            FeedOrigin::Url {
                url,
                token: Some(token),
            } => Location::AuthorizedUrl { url, token },
            FeedOrigin::Url { url, token: None } => Location::Url(url),
        };
        let library = |source| LibraryFiles::at(source, location.clone());
        Ok(match kind {
            FeedKind::Attack => SourceFeed::Attack(Box::new(LocatedAttackSource(location))),
            FeedKind::Sigma => {
                SourceFeed::Rules(Box::new(RuleFiles::at(RuleSource::Sigma, location)))
            }
            FeedKind::Elastic => {
                SourceFeed::Rules(Box::new(RuleFiles::at(RuleSource::Elastic, location)))
            }
            FeedKind::D3fend => SourceFeed::Countermeasures(Box::new(D3fendFiles::at(location))),
            FeedKind::Atomic => SourceFeed::Templates(Box::new(library(TemplateSource::Atomic))),
            FeedKind::Caldera => SourceFeed::Templates(Box::new(library(TemplateSource::Caldera))),
            FeedKind::Lolbas => SourceFeed::Binaries(Box::new(library(TemplateSource::Lolbas))),
            FeedKind::Gtfobins => SourceFeed::Binaries(Box::new(library(TemplateSource::Gtfobins))),
            FeedKind::Stix => SourceFeed::Intel(Box::new(StixIntelFiles::at(location))),
            FeedKind::Compliance => {
                SourceFeed::Compliance(Box::new(super::ctid::ComplianceFiles::at(location)))
            }
            FeedKind::Nvd => SourceFeed::Osint(Box::new(OsintFiles::at(OsintKind::Nvd, location))),
            FeedKind::Kev => SourceFeed::Osint(Box::new(OsintFiles::at(OsintKind::Kev, location))),
            FeedKind::KevAttack => {
                SourceFeed::Osint(Box::new(OsintFiles::at(OsintKind::KevAttack, location)))
            }
            FeedKind::News => {
                SourceFeed::Osint(Box::new(OsintFiles::at(OsintKind::News, location)))
            }
        })
    }
}
