//! Compliance frameworks reached through ATT&CK: each control maps to the techniques it
//! mitigates, and its coverage follows from those techniques' validated results.

use std::collections::{BTreeMap, HashMap};

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

/// How far a control's mapped techniques are proven. A technique is proven when it is
/// covered in the sense of [`CoverageStatus::is_covered`]: its newest validated test prevented
/// or detected it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlStatus {
    /// Every mapped technique is covered.
    Covered,
    /// Some are.
    Partial,
    /// None is (including a control whose techniques were all tested and missed).
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
    /// Mapped techniques whose newest validated test prevented or detected them.
    pub validated: Vec<String>,
    /// Mapped techniques not covered yet: the tests (or the detections, then tests) that
    /// would close the gap.
    pub to_test: Vec<String>,
    /// Those of `to_test` whose newest validated test missed them (only logged, or not
    /// detected).
    pub missed: Vec<String>,
    /// The mean score of its techniques (0 for a technique never scored).
    pub score: f64,
    pub status: ControlStatus,
}

impl ControlCoverage {
    /// A gap although every mapped technique was tested: each newest validated test missed
    /// its technique. Shown as "tested, not detected", so that it is not read as untested.
    #[must_use]
    pub fn tested_not_detected(&self) -> bool {
        self.status == ControlStatus::Gap
            && !self.techniques.is_empty()
            && self.missed.len() == self.techniques.len()
    }
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
            // The technique statuses carry the rule (scoring decides what the newest
            // validation means); a control only counts them.
            let status_of = |t: &String| scores.get(t).map(|(_, status)| *status);
            let (validated, to_test): (Vec<String>, Vec<String>) = techniques
                .iter()
                .cloned()
                .partition(|t| status_of(t).is_some_and(CoverageStatus::is_covered));
            let missed: Vec<String> = to_test
                .iter()
                .filter(|t| status_of(t).is_some_and(CoverageStatus::is_missed))
                .cloned()
                .collect();
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
                missed,
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

/// A control-to-control crosswalk from a framework without an ATT&CK mapping (ISO 27001,
/// NIST CSF) to one with (`via`, NIST SP 800-53 rev 5): the target's controls reach the
/// techniques of the controls they correspond to, marked as derived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crosswalk {
    pub target: Framework,
    /// The framework id the crosswalk leads to.
    pub via: String,
    /// (target control id, target control name, `via` control id).
    pub pairs: Vec<(String, String, String)>,
}

/// A control id as both publishers agree on it: `AC-02` and `AC-2` are one, and so are
/// `AC-2(1)` and `AC-02(01)`.
#[must_use]
pub fn control_key(id: &str) -> String {
    let id = id.trim().to_ascii_uppercase();
    let mut key = String::with_capacity(id.len());
    let mut number = String::new();
    let flush = |number: &mut String, key: &mut String| {
        if !number.is_empty() {
            let trimmed = number.trim_start_matches('0');
            key.push_str(if trimmed.is_empty() { "0" } else { trimmed });
            number.clear();
        }
    };
    for c in id.chars() {
        if c.is_ascii_digit() {
            number.push(c);
        } else {
            flush(&mut number, &mut key);
            if !c.is_whitespace() {
                key.push(c);
            }
        }
    }
    flush(&mut number, &mut key);
    key
}

/// The target framework's mappings derived through the crosswalk from `via`'s mappings.
#[must_use]
pub fn derive_mappings(crosswalk: &Crosswalk, via: &[ControlMapping]) -> Vec<ControlMapping> {
    let mut by_control: HashMap<String, Vec<&ControlMapping>> = HashMap::new();
    for mapping in via {
        by_control
            .entry(control_key(&mapping.control_id))
            .or_default()
            .push(mapping);
    }
    let mut derived: Vec<ControlMapping> = crosswalk
        .pairs
        .iter()
        .flat_map(|(control, name, through)| {
            by_control
                .get(&control_key(through))
                .into_iter()
                .flatten()
                .map(move |m| ControlMapping {
                    control_id: control.clone(),
                    control_name: name.clone(),
                    group: None,
                    technique: m.technique.clone(),
                    mapping_type: "derived".to_owned(),
                })
        })
        .collect();
    derived.sort_by(|a, b| (&a.control_id, &a.technique).cmp(&(&b.control_id, &b.technique)));
    derived.dedup_by(|a, b| a.control_id == b.control_id && a.technique == b.technique);
    derived
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
    fn crosswalked_controls_reach_the_techniques_of_their_counterparts() {
        assert_eq!(control_key("AC-02"), "AC-2");
        assert_eq!(control_key("ac-2 (01)"), "AC-2(1)");
        assert_eq!(control_key("A.9.2.1"), "A.9.2.1");
        let crosswalk = Crosswalk {
            target: Framework {
                id: "iso_27001-2013".to_owned(),
                name: "ISO/IEC 27001".to_owned(),
                version: "2013".to_owned(),
                attack_version: String::new(),
                source: String::new(),
            },
            via: "nist_800_53-rev5".to_owned(),
            pairs: vec![
                (
                    "A.9.2.1".to_owned(),
                    "User registration".to_owned(),
                    "AC-2".to_owned(),
                ),
                (
                    "A.9.2.2".to_owned(),
                    "User access provisioning".to_owned(),
                    "AC-2".to_owned(),
                ),
                (
                    "A.12.1.1".to_owned(),
                    "Procedures".to_owned(),
                    "XX-9".to_owned(),
                ),
            ],
        };
        let derived = derive_mappings(
            &crosswalk,
            &[mapping("AC-02", "T1078"), mapping("AC-02", "T1110")],
        );
        assert_eq!(derived.len(), 4);
        assert!(derived.iter().all(|m| m.mapping_type == "derived"));
        assert!(derived.iter().all(|m| m.control_id != "A.12.1.1"));
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

    #[test]
    fn a_technique_whose_newest_test_missed_it_does_not_cover_a_control() {
        let mappings = [
            mapping("AC-2", "T1078"),
            mapping("AC-2", "T1110"),
            mapping("SI-4", "T1059"),
            mapping("SI-4", "T1078"),
            mapping("CM-7", "T1110"),
            mapping("CM-7", "T1566"),
        ];
        // T1078 and T1110: the newest validated test was only logged or not detected.
        let scores = HashMap::from([
            ("T1078".to_owned(), (20.0, CoverageStatus::Partial)),
            ("T1110".to_owned(), (5.0, CoverageStatus::Partial)),
            ("T1059".to_owned(), (85.0, CoverageStatus::Validated)),
        ]);
        let controls = control_coverage(&mappings, &scores);
        let by_id = |id: &str| {
            controls
                .iter()
                .find(|c| c.control_id == id)
                .cloned()
                .unwrap_or_else(|| panic!("{id}"))
        };
        let ac2 = by_id("AC-2");
        assert_eq!(ac2.status, ControlStatus::Gap, "every technique missed");
        assert!(ac2.validated.is_empty());
        assert_eq!(ac2.missed, ["T1078", "T1110"]);
        assert!(ac2.tested_not_detected());
        let si4 = by_id("SI-4");
        assert_eq!(si4.status, ControlStatus::Partial);
        assert_eq!(si4.validated, ["T1059"]);
        assert_eq!(si4.to_test, ["T1078"]);
        assert!(!si4.tested_not_detected());
        let cm7 = by_id("CM-7");
        assert_eq!(cm7.status, ControlStatus::Gap);
        assert!(!cm7.tested_not_detected(), "T1566 was never tested");
    }
}
