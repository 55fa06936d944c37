//! The ATT&CK catalog: tactics, techniques and sub-techniques, mitigations, threat actors and
//! software, as imported from MITRE's STIX bundles. The catalog is global, shared by tenants.
//!
//! Revoked and deprecated objects are kept and flagged, never deleted, because tests point at
//! them; a technique whose name or description changes between imports is flagged for review.

use std::fmt;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// An ATT&CK technique id: `T1234`, or `T1234.001` for a sub-technique.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TechniqueId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an ATT&CK technique id (T1234 or T1234.001)")]
pub struct InvalidTechniqueId(pub String);

impl TechniqueId {
    /// # Errors
    /// `InvalidTechniqueId` unless `text` is `T` and four digits, optionally `.` and three.
    pub fn parse(text: &str) -> Result<Self, InvalidTechniqueId> {
        let upper = text.trim().to_ascii_uppercase();
        let bytes = upper.as_bytes();
        let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
        let valid = match bytes.len() {
            5 => bytes[0] == b'T' && digits(1..5),
            9 => bytes[0] == b'T' && digits(1..5) && bytes[5] == b'.' && digits(6..9),
            _ => false,
        };
        if valid {
            Ok(Self(upper))
        } else {
            Err(InvalidTechniqueId(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_subtechnique(&self) -> bool {
        self.0.len() == 9
    }

    /// The parent technique of a sub-technique.
    pub fn parent(&self) -> Option<TechniqueId> {
        self.is_subtechnique().then(|| Self(self.0[..5].to_owned()))
    }
}

impl fmt::Display for TechniqueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A column of the ATT&CK matrix, in matrix order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tactic {
    pub stix_id: String,
    /// `TA0001`.
    pub mitre_id: String,
    pub name: String,
    /// The kill-chain phase name techniques refer to (`initial-access`).
    pub shortname: String,
    pub description: String,
    pub url: Option<String>,
    /// Position in the matrix, from 1.
    pub matrix_order: i32,
    pub modified: Option<DateTime<Utc>>,
}

/// A technique or sub-technique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Technique {
    pub stix_id: String,
    pub mitre_id: TechniqueId,
    pub name: String,
    pub description: String,
    /// Tactic shortnames, in the order the bundle gives them.
    pub tactics: Vec<String>,
    pub platforms: Vec<String>,
    /// Free detection guidance (ATT&CK up to v17; v18 moved it into detection strategies).
    pub detection: String,
    /// Names of the data components that observe the technique (`Process Creation`), sorted.
    pub data_components: Vec<String>,
    /// The ATT&CK v18+ detection strategies for the technique.
    pub detection_strategies: Vec<DetectionStrategy>,
    pub url: Option<String>,
    pub version: Option<String>,
    pub parent: Option<TechniqueId>,
    pub revoked: bool,
    pub deprecated: bool,
    /// The STIX id of the replacement, for revoked techniques.
    pub revoked_by: Option<String>,
    pub modified: Option<DateTime<Utc>>,
}

/// An ATT&CK detection strategy (`x-mitre-detection-strategy`, `DET0103`): how defenders
/// observe a technique, through analytics over data components.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DetectionStrategy {
    pub mitre_id: String,
    pub name: String,
    pub url: Option<String>,
}

/// A mitigation (`course-of-action`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mitigation {
    pub stix_id: String,
    /// `M1036`.
    pub mitre_id: String,
    pub name: String,
    pub description: String,
    pub url: Option<String>,
    pub revoked: bool,
    pub deprecated: bool,
}

/// A reference cited by a catalog object.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reference {
    pub source: String,
    pub url: Option<String>,
    pub description: Option<String>,
}

/// A threat actor (`intrusion-set`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreatActor {
    pub stix_id: String,
    /// `G0032`.
    pub mitre_id: Option<String>,
    pub name: String,
    pub aliases: Vec<String>,
    pub description: String,
    pub references: Vec<Reference>,
    pub revoked: bool,
    pub deprecated: bool,
    pub modified: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoftwareKind {
    Malware,
    Tool,
}

impl SoftwareKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Malware => "malware",
            Self::Tool => "tool",
        }
    }
}

/// Malware or a tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Software {
    pub stix_id: String,
    /// `S0002`.
    pub mitre_id: Option<String>,
    pub name: String,
    pub kind: SoftwareKind,
    pub aliases: Vec<String>,
    pub platforms: Vec<String>,
    pub description: String,
    pub revoked: bool,
    pub deprecated: bool,
}

/// The STIX relationships the catalog keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelationshipKind {
    /// An actor or software uses a technique (or an actor uses software).
    Uses,
    /// A mitigation mitigates a technique.
    Mitigates,
    /// A sub-technique's parent.
    SubtechniqueOf,
    /// An object revoked in favour of another.
    RevokedBy,
}

impl RelationshipKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Uses => "uses",
            Self::Mitigates => "mitigates",
            Self::SubtechniqueOf => "subtechnique-of",
            Self::RevokedBy => "revoked-by",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "uses" => Some(Self::Uses),
            "mitigates" => Some(Self::Mitigates),
            "subtechnique-of" => Some(Self::SubtechniqueOf),
            "revoked-by" => Some(Self::RevokedBy),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relationship {
    pub stix_id: String,
    pub kind: RelationshipKind,
    pub source: String,
    pub target: String,
    pub description: Option<String>,
}

/// An object of the bundle that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub stix_id: String,
    pub reason: String,
}

/// Everything an ATT&CK bundle contributes to the catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttackRelease {
    pub tactics: Vec<Tactic>,
    pub techniques: Vec<Technique>,
    pub mitigations: Vec<Mitigation>,
    pub threat_actors: Vec<ThreatActor>,
    pub software: Vec<Software>,
    pub relationships: Vec<Relationship>,
    pub skipped: Vec<Skipped>,
}

/// How many distinct threat actors use each technique, from (actor, technique) uses: an actor
/// counts once per technique however often the use is recorded, and a parent counts every
/// actor that uses it or any of its sub-techniques once. ATT&CK records most uses on the
/// sub-techniques: adding their counts up would count an actor that uses T1059.001 and
/// T1059.003 twice for T1059. Techniques no actor uses are absent.
pub fn actors_per_technique<A: Ord + Clone>(
    uses: impl IntoIterator<Item = (A, TechniqueId)>,
) -> std::collections::HashMap<TechniqueId, u32> {
    let mut users: std::collections::HashMap<TechniqueId, std::collections::BTreeSet<A>> =
        std::collections::HashMap::new();
    for (actor, technique) in uses {
        if let Some(parent) = technique.parent() {
            users.entry(parent).or_default().insert(actor.clone());
        }
        users.entry(technique).or_default().insert(actor);
    }
    users
        .into_iter()
        .map(|(technique, actors)| (technique, u32::try_from(actors.len()).unwrap_or(u32::MAX)))
        .collect()
}

/// A fingerprint of an object's imported content: equal fingerprints mean "unchanged".
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

impl Technique {
    pub fn fingerprint(&self) -> String {
        let tactics = self.tactics.join(",");
        let platforms = self.platforms.join(",");
        let modified = self.modified.map(|m| m.to_rfc3339()).unwrap_or_default();
        let data_components = self.data_components.join(",");
        let strategies = self
            .detection_strategies
            .iter()
            .map(|s| s.mitre_id.as_str())
            .collect::<Vec<_>>()
            .join(",");
        fingerprint(&[
            self.mitre_id.as_str(),
            &self.name,
            &self.description,
            &tactics,
            &platforms,
            &self.detection,
            &data_components,
            &strategies,
            self.url.as_deref().unwrap_or_default(),
            self.version.as_deref().unwrap_or_default(),
            if self.revoked { "revoked" } else { "" },
            if self.deprecated { "deprecated" } else { "" },
            self.revoked_by.as_deref().unwrap_or_default(),
            &modified,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parent_counts_each_actor_of_its_family_once() {
        let id = |text: &str| TechniqueId::parse(text).unwrap_or_else(|e| panic!("{e}"));
        let counts = actors_per_technique([
            ("APT1", id("T1059")),
            ("APT1", id("T1059.001")),
            ("APT1", id("T1059.003")),
            ("APT1", id("T1059.003")),
            ("APT2", id("T1059.001")),
            ("APT3", id("T1566.001")),
        ]);
        assert_eq!(
            counts.get(&id("T1059")),
            Some(&2),
            "APT1 and APT2, once each"
        );
        assert_eq!(counts.get(&id("T1059.001")), Some(&2));
        assert_eq!(counts.get(&id("T1059.003")), Some(&1));
        assert_eq!(
            counts.get(&id("T1566")),
            Some(&1),
            "used through a sub-technique"
        );
        assert_eq!(counts.get(&id("T1003")), None);
    }

    #[test]
    fn technique_ids_parse_and_know_their_parent() {
        let sub = TechniqueId::parse("t1059.001").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sub.as_str(), "T1059.001");
        assert_eq!(
            sub.parent().map(|p| p.to_string()),
            Some("T1059".to_owned())
        );
        assert!(TechniqueId::parse("T1059").is_ok_and(|t| t.parent().is_none()));
        for bad in [
            "",
            "T105",
            "T10599",
            "T1059.01",
            "X1059",
            "T1059.0011",
            "T1059-001",
            "TA0001",
        ] {
            assert!(TechniqueId::parse(bad).is_err(), "{bad}");
        }
    }
}
