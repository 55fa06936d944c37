//! Compliance frameworks reached through ATT&CK: each control maps to the techniques it
//! mitigates, and its coverage follows from those techniques' validated results.

use std::collections::{BTreeMap, HashMap};

use crate::feed::ImportCounts;
use crate::ports::RepositoryError;
use crate::scoring::CoverageStatus;

/// A framework as a mapping publisher describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framework {
    /// `nist_800_53-rev5`, `csa_ccm-4.1`.
    pub id: String,
    pub name: String,
    pub version: String,
    /// The ATT&CK release the mapping was made against.
    pub attack_version: String,
    /// Who published the mapping, and its licence.
    pub source: String,
}

/// One control → technique mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlMapping {
    pub control_id: String,
    pub control_name: String,
    /// The control family (`AC`, `IAM`).
    pub group: Option<String>,
    pub technique: String,
    /// `mitigates`.
    pub mapping_type: String,
}

/// How far a control's mapped techniques are proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlStatus {
    /// Every mapped technique has a validated test.
    Covered,
    /// Some do.
    Partial,
    /// None does.
    Gap,
}

impl ControlStatus {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Covered => "covered",
            Self::Partial => "partial",
            Self::Gap => "gap",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Covered, Self::Partial, Self::Gap]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// A control with the coverage of its techniques.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlCoverage {
    pub control_id: String,
    pub control_name: String,
    pub group: Option<String>,
    pub techniques: Vec<String>,
    /// Mapped techniques with a validated test.
    pub validated: Vec<String>,
    /// Mapped techniques still to test: the tests that would close the gap.
    pub to_test: Vec<String>,
    /// The mean score of its techniques (0 for a technique never scored).
    pub score: f64,
    pub status: ControlStatus,
}

/// Each control's coverage from the mapped techniques' scores (technique id → score and
/// status), controls in id order.
#[must_use]
pub fn control_coverage(
    mappings: &[ControlMapping],
    scores: &HashMap<String, (f64, CoverageStatus)>,
) -> Vec<ControlCoverage> {
    let mut controls: BTreeMap<&str, (&ControlMapping, Vec<String>)> = BTreeMap::new();
    for mapping in mappings {
        controls
            .entry(mapping.control_id.as_str())
            .or_insert_with(|| (mapping, Vec::new()))
            .1
            .push(mapping.technique.clone());
    }
    controls
        .into_values()
        .map(|(first, mut techniques)| {
            techniques.sort();
            techniques.dedup();
            let proven = |t: &String| {
                scores.get(t).is_some_and(|(_, status)| {
                    matches!(status, CoverageStatus::Validated | CoverageStatus::Partial)
                })
            };
            let (validated, to_test): (Vec<String>, Vec<String>) =
                techniques.iter().cloned().partition(|t| proven(t));
            let total: f64 = techniques
                .iter()
                .map(|t| scores.get(t).map_or(0.0, |(score, _)| *score))
                .sum();
            let score = if techniques.is_empty() {
                0.0
            } else {
                (total / techniques.len() as f64 * 10.0).round() / 10.0
            };
            let status = match (validated.is_empty(), to_test.is_empty()) {
                (_, true) => ControlStatus::Covered,
                (true, false) => ControlStatus::Gap,
                (false, false) => ControlStatus::Partial,
            };
            ControlCoverage {
                control_id: first.control_id.clone(),
                control_name: first.control_name.clone(),
                group: first.group.clone(),
                techniques,
                validated,
                to_test,
                score,
                status,
            }
        })
        .collect()
}

/// A framework in the list, with its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameworkSummary {
    pub framework: Framework,
    pub controls: u32,
    pub mappings: u32,
}

/// Where mappings are kept: global, like the catalog.
#[async_trait::async_trait]
pub trait ComplianceRepository: Send + Sync {
    /// Replaces a framework's mappings with these, in one transaction (a re-import of the
    /// same file changes nothing and says so).
    ///
    /// # Errors
    /// `Unexpected` on storage failure; nothing is written then.
    async fn apply_framework(
        &self,
        framework: &Framework,
        mappings: &[ControlMapping],
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<ImportCounts, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn frameworks(&self) -> Result<Vec<FrameworkSummary>, RepositoryError>;

    /// # Errors
    /// `Unexpected` on storage failure.
    async fn framework_mappings(
        &self,
        id: &str,
    ) -> Result<Option<(Framework, Vec<ControlMapping>)>, RepositoryError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(control: &str, technique: &str) -> ControlMapping {
        ControlMapping {
            control_id: control.to_owned(),
            control_name: format!("Control {control}"),
            group: Some("AC".to_owned()),
            technique: technique.to_owned(),
            mapping_type: "mitigates".to_owned(),
        }
    }

    #[test]
    fn a_control_is_covered_partial_or_a_gap_by_its_techniques() {
        let mappings = [
            mapping("AC-2", "T1078"),
            mapping("AC-2", "T1110"),
            mapping("AC-3", "T1078"),
            mapping("SI-4", "T1059"),
        ];
        let scores = HashMap::from([
            ("T1078".to_owned(), (80.0, CoverageStatus::Validated)),
            ("T1110".to_owned(), (10.0, CoverageStatus::InProgress)),
        ]);
        let controls = control_coverage(&mappings, &scores);
        let by_id = |id: &str| controls.iter().find(|c| c.control_id == id).cloned();
        let ac2 = by_id("AC-2").unwrap_or_else(|| panic!("AC-2"));
        assert_eq!(ac2.status, ControlStatus::Partial);
        assert_eq!(ac2.score, 45.0);
        assert_eq!(ac2.to_test, ["T1110"]);
        assert_eq!(
            by_id("AC-3").map(|c| c.status),
            Some(ControlStatus::Covered)
        );
        assert_eq!(by_id("SI-4").map(|c| c.status), Some(ControlStatus::Gap));
    }
}
