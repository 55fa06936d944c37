//! Threat intelligence beyond ATT&CK: intrusion sets and threat actors from STIX 2.x bundles
//! (vendor playbooks, ISAC feeds), merged with the ATT&CK groups they describe.

use serde::{Deserialize, Serialize};

use crate::feed::ImportCounts;

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
    /// catalog does not know yet are kept. Read back from the catalog, a revoked id is
    /// replaced by its successor and listed in `legacy_techniques`.
    pub techniques: Vec<String>,
    /// The revoked ids the intelligence names, each with the technique it counts under (set
    /// when read back, never stored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub legacy_techniques: Vec<crate::technique_lineage::LegacyTechnique>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tracked_actor_knows_which_techniques_are_new() {
        let tracked = TrackedActor {
            actor_stix_id: "intrusion-set--1".to_owned(),
            name: "APT29".to_owned(),
            mitre_id: Some("G0016".to_owned()),
            known_techniques: vec!["T1059".to_owned(), "T1566".to_owned()],
            tracked_by: None,
            tracked_at: chrono::DateTime::UNIX_EPOCH,
        };
        let current = ["T1566", "T1685", "T1059", "T1027", "T1685"].map(str::to_owned);
        assert_eq!(tracked.new_techniques(&current), ["T1027", "T1685"]);
    }

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

/// An actor an organization tracks: it is in scope for the threat-weighted score, and the
/// intel scan tells the leads when it is reported using techniques it was not known to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedActor {
    /// The catalog actor's STIX id.
    pub actor_stix_id: String,
    pub name: String,
    pub mitre_id: Option<String>,
    /// The techniques it was known to use when last looked at, sorted.
    pub known_techniques: Vec<String>,
    pub tracked_by: Option<crate::user::UserId>,
    pub tracked_at: chrono::DateTime<chrono::Utc>,
}

impl TrackedActor {
    /// The techniques in `current` it was not known to use, sorted.
    #[must_use]
    pub fn new_techniques(&self, current: &[String]) -> Vec<String> {
        let mut new: Vec<String> = current
            .iter()
            .filter(|t| !self.known_techniques.contains(t))
            .cloned()
            .collect();
        new.sort();
        new.dedup();
        new
    }
}
