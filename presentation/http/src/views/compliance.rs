//! The wire types of [`crate::routes::compliance`]: its views, request bodies and queries.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use aegis_application::compliance::FrameworkCoverage;
use aegis_domain::compliance::{Framework, FrameworkSummary};

#[derive(Debug, Serialize, ToSchema)]
pub struct FrameworkView {
    /// `nist_800_53-rev5`.
    pub id: String,
    pub name: String,
    pub version: String,
    /// The ATT&CK release the mapping was made against.
    pub attack_version: String,
    pub source: String,
}

impl From<Framework> for FrameworkView {
    fn from(f: Framework) -> Self {
        Self {
            id: f.id,
            name: f.name,
            version: f.version,
            attack_version: f.attack_version,
            source: f.source,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FrameworkSummaryView {
    #[serde(flatten)]
    pub framework: FrameworkView,
    pub controls: u32,
    pub mappings: u32,
}

impl From<FrameworkSummary> for FrameworkSummaryView {
    fn from(s: FrameworkSummary) -> Self {
        Self {
            framework: s.framework.into(),
            controls: s.controls,
            mappings: s.mappings,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ControlView {
    pub control_id: String,
    pub name: String,
    pub group: Option<String>,
    /// covered (the newest validated test of every mapped technique prevented or detected
    /// it), partial (of some), or gap (of none).
    #[schema(value_type = crate::views::enums::ControlStatus)]
    pub status: String,
    /// A gap whose techniques were all tested and missed (the newest validated test of each
    /// was only logged or not detected): "tested, not detected", not untested.
    pub tested_not_detected: bool,
    /// The mean score of its techniques.
    pub score: f64,
    pub techniques: Vec<String>,
    pub validated: Vec<String>,
    /// The techniques not covered yet, whose validated tests would close the gap.
    pub to_test: Vec<String>,
    /// Those of `to_test` whose newest validated test missed them.
    pub missed: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FrameworkCoverageView {
    pub framework: FrameworkView,
    /// Reached through another framework by a crosswalk (ISO 27001, NIST CSF via SP 800-53):
    /// weaker than a direct mapping.
    pub derived: bool,
    /// Percent of controls covered.
    pub covered_percent: f64,
    /// Percent of controls with at least one covered technique.
    pub touched_percent: f64,
    pub controls: Vec<ControlView>,
}

impl From<FrameworkCoverage> for FrameworkCoverageView {
    fn from(c: FrameworkCoverage) -> Self {
        Self {
            framework: c.framework.into(),
            derived: c.derived,
            covered_percent: c.covered_percent,
            touched_percent: c.touched_percent,
            controls: c
                .controls
                .into_iter()
                .map(|control| ControlView {
                    tested_not_detected: control.tested_not_detected(),
                    control_id: control.control_id,
                    name: control.control_name,
                    group: control.group,
                    status: control.status.as_str().to_owned(),
                    score: control.score,
                    techniques: control.techniques,
                    validated: control.validated,
                    to_test: control.to_test,
                    missed: control.missed,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ControlQuery {
    /// covered, partial or gap.
    #[param(value_type = Option<crate::views::enums::ControlStatus>)]
    pub status: Option<String>,
}
