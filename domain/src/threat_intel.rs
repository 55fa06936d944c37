//! Threat intelligence beyond ATT&CK: intrusion sets and threat actors from STIX 2.x bundles
//! (vendor playbooks, ISAC feeds), merged with the ATT&CK groups they describe.

use serde::{Deserialize, Serialize};

use crate::feed::ImportCounts;
use crate::ports::RepositoryError;

/// An actor as an intelligence bundle describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntelActor {
    /// The bundle's STIX id for it: the upsert key, and the first way to match an ATT&CK group.
    pub stix_id: String,
    /// `intrusion-set` or `threat-actor`.
    pub kind: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub description: String,
    /// STIX industry sectors it targets (`financial-services`).
    pub sectors: Vec<String>,
    /// Regions and countries it targets (`europe`, `US`).
    pub regions: Vec<String>,
    /// Reference URLs.
    pub references: Vec<String>,
    /// ATT&CK technique ids it uses, directly or through its campaigns, sorted; ids the
    /// catalog does not know yet are kept.
    pub techniques: Vec<String>,
    /// The file it was read from.
    pub path: String,
}

impl IntelActor {
    /// Its name and aliases, as the matcher compares them.
    #[must_use]
    pub fn names(&self) -> Vec<String> {
        std::iter::once(&self.name)
            .chain(&self.aliases)
            .map(|n| comparable_name(n))
            .filter(|n| !n.is_empty())
            .collect()
    }
}

/// A name with case, spaces and punctuation removed: `APT 28`, `apt-28` and `APT28` are one.
#[must_use]
pub fn comparable_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether two actors share a name or an alias.
#[must_use]
pub fn shares_a_name(names: &[String], other_names: &[String]) -> bool {
    names.iter().any(|n| other_names.contains(n))
}

/// What an intelligence import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IntelCounts {
    pub actors: ImportCounts,
    /// Actors merged into an ATT&CK group (by STIX id or a shared name or alias).
    pub merged: u64,
    /// Actors no ATT&CK group describes, added to the catalog's threat actors.
    pub added: u64,
}

/// Where intelligence is kept: global, like the catalog.
#[async_trait::async_trait]
pub trait IntelRepository: Send + Sync {
    /// Upserts actors by STIX id in one transaction, each merged into the ATT&CK group with
    /// its STIX id or a shared name or alias, or added as a threat actor of its own.
    ///
    /// # Errors
    /// `Unexpected` on storage failure; nothing is written then.
    async fn apply_intel(
        &self,
        actors: &[IntelActor],
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<IntelCounts, RepositoryError>;

    /// The intelligence merged into a threat actor (by its catalog STIX id).
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    async fn intel_for_actor(
        &self,
        actor_stix_id: &str,
    ) -> Result<Vec<IntelActor>, RepositoryError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_without_case_spaces_or_punctuation() {
        assert_eq!(comparable_name("APT 28"), comparable_name("apt-28"));
        assert_eq!(comparable_name("Fancy Bear"), "fancybear");
        assert!(shares_a_name(
            &["apt28".to_owned(), "fancybear".to_owned()],
            &["sofacy".to_owned(), "fancybear".to_owned()]
        ));
        assert!(!shares_a_name(&["apt28".to_owned()], &["apt29".to_owned()]));
    }
}
