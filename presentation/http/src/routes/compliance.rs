//! `/api/v1/compliance`: imported frameworks, and each control's coverage from the
//! organization's validated tests of the techniques it mitigates.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use aegis_application::Services;
use aegis_application::compliance::FrameworkCoverage;
use aegis_application::error::FieldError;
use aegis_domain::compliance::{ControlStatus, Framework, FrameworkSummary};

use crate::auth::Authenticated;
use crate::problem::{ApiError, Problem};

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

/// The imported compliance frameworks.
#[utoipa::path(get, path = "/api/v1/compliance/frameworks", tag = "coverage",
    responses((status = 200, body = [FrameworkSummaryView])),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn frameworks(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<Vec<FrameworkSummaryView>>, ApiError> {
    let frameworks = services.compliance.frameworks(&actor).await?;
    Ok(web::Json(frameworks.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ControlQuery {
    /// covered, partial or gap.
    pub status: Option<String>,
}

/// A framework's controls with this organization's coverage of each.
#[utoipa::path(get, path = "/api/v1/compliance/frameworks/{id}", tag = "coverage",
    params(("id" = String, Path, description = "e.g. nist_800_53-rev5"), ControlQuery),
    responses((status = 200, body = FrameworkCoverageView), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn framework(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<String>,
    query: web::Query<ControlQuery>,
) -> Result<web::Json<FrameworkCoverageView>, ApiError> {
    let status = query
        .status
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            ControlStatus::parse(s.trim()).ok_or_else(|| {
                ApiError::validation(vec![FieldError::new(
                    "status",
                    "must be covered, partial or gap",
                )])
            })
        })
        .transpose()?;
    let coverage = services.compliance.framework(&actor, &id, status).await?;
    Ok(web::Json(coverage.into()))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/frameworks", web::get().to(frameworks))
        .route("/frameworks/{id}", web::get().to(framework));
}
