//! The wire types of [`crate::routes::catalog`]: its views, request bodies and queries.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use aegis_application::catalog::{CustomTechnique, TechniqueOverview};
use aegis_domain::catalog::{Tactic, ThreatActor};
use aegis_domain::ports::{Named, TechniqueDetail, TechniqueSummary};

#[derive(Debug, Serialize, ToSchema)]
pub struct TacticView {
    pub mitre_id: String,
    pub name: String,
    pub shortname: String,
    pub description: String,
    pub url: Option<String>,
    /// Position in the matrix, from 1.
    pub matrix_order: i32,
}

impl From<Tactic> for TacticView {
    fn from(tactic: Tactic) -> Self {
        Self {
            mitre_id: tactic.mitre_id,
            name: tactic.name,
            shortname: tactic.shortname,
            description: tactic.description,
            url: tactic.url,
            matrix_order: tactic.matrix_order,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TechniqueSummaryView {
    pub mitre_id: String,
    pub name: String,
    /// Tactic shortnames.
    pub tactics: Vec<String>,
    pub platforms: Vec<String>,
    pub is_subtechnique: bool,
    pub revoked: bool,
    pub deprecated: bool,
    pub review_required: bool,
    /// This organization's coverage status (lists only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::views::enums::CoverageStatus>)]
    pub coverage_status: Option<String>,
    /// This organization's score, 0 to 100 (lists only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

impl From<TechniqueSummary> for TechniqueSummaryView {
    fn from(t: TechniqueSummary) -> Self {
        Self {
            coverage_status: None,
            score: None,
            mitre_id: t.mitre_id.to_string(),
            name: t.name,
            tactics: t.tactics,
            platforms: t.platforms,
            is_subtechnique: t.is_subtechnique,
            revoked: t.revoked,
            deprecated: t.deprecated,
            review_required: t.review_required,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NamedView {
    pub mitre_id: Option<String>,
    pub name: String,
}

impl From<Named> for NamedView {
    fn from(named: Named) -> Self {
        Self {
            mitre_id: named.mitre_id,
            name: named.name,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DetectionStrategyView {
    /// `DET0103`.
    pub mitre_id: String,
    pub name: String,
    pub url: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TechniqueDetailView {
    pub mitre_id: String,
    pub stix_id: String,
    pub name: String,
    pub description: String,
    pub tactics: Vec<String>,
    pub platforms: Vec<String>,
    pub detection: String,
    /// Data components that observe the technique (`Process Creation`).
    pub data_components: Vec<String>,
    /// ATT&CK detection strategies (v18+).
    pub detection_strategies: Vec<DetectionStrategyView>,
    pub url: Option<String>,
    pub version: Option<String>,
    pub parent: Option<String>,
    pub revoked: bool,
    pub deprecated: bool,
    /// STIX id of the replacement of a revoked technique.
    pub revoked_by: Option<String>,
    pub review_required: bool,
    pub subtechniques: Vec<TechniqueSummaryView>,
    pub mitigations: Vec<NamedView>,
    pub threat_actors: Vec<NamedView>,
    pub software: Vec<NamedView>,
    /// True for an organization's own technique.
    pub custom: bool,
    /// This organization's tests of the technique (the latest 50).
    pub tests: Vec<crate::views::test_cases::TestView>,
    /// This organization's coverage of the technique, with the breakdown of its score.
    pub coverage: crate::views::coverage::CoverageView,
    /// Detection rules (Sigma, Elastic) tagged with the technique.
    pub detection_rules: Vec<crate::views::rules::RuleSummaryView>,
    /// D3FEND countermeasures of the technique.
    pub countermeasures: Vec<CountermeasureView>,
    /// Test templates for the technique (`POST /api/v1/tests/from-template` makes a test).
    pub templates: Vec<crate::views::templates::TemplateSummaryView>,
    /// Living-off-the-land binaries (LOLBAS, GTFOBins) with the uses that enable it.
    pub lol_binaries: Vec<crate::views::templates::BinaryView>,
    /// How the organization's validated tests of it split into prevented, detected, logged
    /// only and missed, with the time to detect (absent for roles that cannot read operations).
    pub outcomes: Option<crate::views::risk::OutcomeSplitView>,
    /// Its risk with the breakdown (absent before risk was computed).
    pub risk: Option<crate::views::risk::RiskView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountermeasureView {
    /// `D3-EFA`.
    pub d3fend_id: String,
    pub name: String,
    /// Model, Harden, Detect, Isolate, Deceive, Evict or Restore.
    pub tactic: String,
    pub url: String,
}

impl From<TechniqueOverview> for TechniqueDetailView {
    fn from(overview: TechniqueOverview) -> Self {
        let tests = overview.tests.into_iter().map(Into::into).collect();
        let coverage = crate::views::coverage::CoverageView::new(overview.coverage);
        let detection_rules = overview.rules.into_iter().map(Into::into).collect();
        let countermeasures = overview
            .countermeasures
            .into_iter()
            .map(|c| CountermeasureView {
                url: format!(
                    "https://d3fend.mitre.org/technique/d3f:{}/",
                    c.name.replace(' ', "")
                ),
                d3fend_id: c.d3fend_id,
                name: c.name,
                tactic: c.tactic,
            })
            .collect();
        let templates = overview.templates.into_iter().map(Into::into).collect();
        let lol_binaries = overview.binaries.into_iter().map(Into::into).collect();
        let outcomes = overview.outcomes.as_ref().map(Into::into);
        let detail: TechniqueDetail = overview.detail;
        let t = detail.technique;
        let risk = overview.risk.map(|risk| {
            crate::views::risk::RiskView::from(aegis_application::risk::RiskEntry {
                risk,
                name: t.name.clone(),
                tactics: t.tactics.clone(),
            })
        });
        let custom = t.stix_id.starts_with("x-aegis-technique--");
        Self {
            mitre_id: t.mitre_id.to_string(),
            stix_id: t.stix_id,
            name: t.name,
            description: t.description,
            tactics: t.tactics,
            platforms: t.platforms,
            detection: t.detection,
            data_components: t.data_components,
            detection_strategies: t
                .detection_strategies
                .into_iter()
                .map(|s| DetectionStrategyView {
                    mitre_id: s.mitre_id,
                    name: s.name,
                    url: s.url,
                })
                .collect(),
            url: t.url,
            version: t.version,
            parent: t.parent.map(|p| p.to_string()),
            revoked: t.revoked,
            deprecated: t.deprecated,
            revoked_by: t.revoked_by,
            review_required: detail.review_required,
            subtechniques: detail.subtechniques.into_iter().map(Into::into).collect(),
            mitigations: detail.mitigations.into_iter().map(Into::into).collect(),
            threat_actors: detail.threat_actors.into_iter().map(Into::into).collect(),
            software: detail.software.into_iter().map(Into::into).collect(),
            custom,
            tests,
            coverage,
            detection_rules,
            countermeasures,
            templates,
            lol_binaries,
            outcomes,
            risk,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ThreatActorView {
    pub mitre_id: Option<String>,
    pub stix_id: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub description: String,
    pub revoked: bool,
    pub deprecated: bool,
}

impl From<ThreatActor> for ThreatActorView {
    fn from(actor: ThreatActor) -> Self {
        Self {
            mitre_id: actor.mitre_id,
            stix_id: actor.stix_id,
            name: actor.name,
            aliases: actor.aliases,
            description: actor.description,
            revoked: actor.revoked,
            deprecated: actor.deprecated,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ThreatActorDetailView {
    #[serde(flatten)]
    pub actor: ThreatActorView,
    pub references: Vec<ReferenceView>,
    pub techniques: Vec<TechniqueSummaryView>,
    /// STIX industry sectors merged intelligence says it targets.
    pub target_sectors: Vec<String>,
    /// Regions and countries merged intelligence says it targets.
    pub target_regions: Vec<String>,
    /// The intelligence merged into this actor, by source.
    pub intel: Vec<IntelSourceView>,
}

/// One intelligence report's view of an actor.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntelSourceView {
    pub stix_id: String,
    /// intrusion-set or threat-actor.
    pub kind: String,
    pub name: String,
    pub aliases: Vec<String>,
    /// The file it was imported from.
    pub path: String,
    /// ATT&CK ids it reports, known to the catalog or not yet (a revoked id replaced by its
    /// successor).
    pub techniques: Vec<String>,
    /// The revoked ids it names, each with the technique it counts under.
    pub legacy_techniques: Vec<crate::views::rules::LegacyTechniqueView>,
    pub references: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReferenceView {
    pub source: String,
    pub url: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TechniqueQuery {
    /// Tactic id (TA0002) or shortname (execution).
    pub tactic: Option<String>,
    /// Platform, e.g. Windows.
    pub platform: Option<String>,
    /// Text in the id, name or description.
    pub q: Option<String>,
    /// Include sub-techniques (default false).
    pub include_subtechniques: Option<bool>,
    /// Include revoked and deprecated techniques (default false).
    pub include_revoked: Option<bool>,
    /// Only techniques flagged (true) or not flagged (false) for review.
    pub review_required: Option<bool>,
    /// mitre_id (default), name or modified; `-` before it for descending.
    pub sort: Option<String>,
    /// not_covered, in_progress, partial, validated or stale, in this organization.
    #[param(value_type = Option<crate::views::enums::CoverageStatus>)]
    pub coverage_status: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThreatActorQuery {
    /// Text in the name, aliases or description.
    pub q: Option<String>,
    /// Include revoked and deprecated actors (default false).
    pub include_revoked: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReviewRequest {
    pub review_required: bool,
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CustomTechniqueRequest {
    /// The new technique's id (create only), e.g. T9001 or T1059.901 under T1059.
    #[serde(default)]
    pub mitre_id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Tactic shortnames of the catalog, e.g. execution.
    pub tactics: Vec<String>,
    #[serde(default)]
    pub platforms: Vec<String>,
    #[serde(default)]
    pub detection: String,
    /// Data components that observe it, e.g. `Process Creation`.
    #[serde(default)]
    pub data_components: Vec<String>,
}

impl From<CustomTechniqueRequest> for CustomTechnique {
    fn from(r: CustomTechniqueRequest) -> Self {
        Self {
            mitre_id: r.mitre_id,
            name: r.name,
            description: r.description,
            tactics: r.tactics,
            platforms: r.platforms,
            detection: r.detection,
            data_components: r.data_components,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRunView {
    pub id: uuid::Uuid,
    pub source: String,
    /// running, succeeded or failed.
    #[schema(value_type = crate::views::enums::ImportStatus)]
    pub status: String,
    pub requested_by: Option<uuid::Uuid>,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Counts per kind (created, updated, unchanged, revoked), techniques flagged for review,
    /// and skipped objects with their reasons.
    #[schema(value_type = Option<Object>)]
    pub report: Option<serde_json::Value>,
    pub error: Option<String>,
}

impl From<aegis_domain::ports::ImportRun> for ImportRunView {
    fn from(run: aegis_domain::ports::ImportRun) -> Self {
        Self {
            id: run.id,
            source: run.source,
            status: run.status.as_str().to_owned(),
            requested_by: run.requested_by.map(|u| u.as_uuid()),
            started_at: run.started_at,
            finished_at: run.finished_at,
            report: run.report,
            error: run.error,
        }
    }
}
