//! `/api/v1/detection-rules`: the imported Sigma and Elastic rules.

use actix_web::web;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::error::FieldError;
use aegis_domain::detection::{DetectionRule, RuleFilter, RuleSource, RuleSummary};

use crate::auth::Authenticated;
use crate::problem::{ApiError, Problem};
use crate::views::{PageQuery, Paginated};

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleSummaryView {
    pub id: Uuid,
    /// sigma or elastic.
    pub source: String,
    /// The rule's own id in its source.
    pub source_id: String,
    pub title: String,
    pub status: String,
    pub severity: String,
    /// Kept and shown as the source's licence asks (Sigma's DRL).
    pub author: Option<String>,
    pub deprecated: bool,
    /// The ATT&CK techniques the rule counts under: its tags, a revoked id replaced by the
    /// technique that succeeded it; ids unknown to the catalog are kept as they are.
    pub techniques: Vec<String>,
    /// The revoked technique ids the rule is tagged with, each with the technique it counts
    /// under.
    pub legacy_techniques: Vec<LegacyTechniqueView>,
}

/// A revoked ATT&CK id an item names, and the technique it counts under.
#[derive(Debug, Serialize, ToSchema)]
pub struct LegacyTechniqueView {
    /// The id as the item names it (T1086).
    pub named_as: String,
    /// The technique that replaced it (T1059.001).
    pub technique: String,
}

impl From<aegis_domain::technique_lineage::LegacyTechnique> for LegacyTechniqueView {
    fn from(legacy: aegis_domain::technique_lineage::LegacyTechnique) -> Self {
        Self {
            named_as: legacy.named,
            technique: legacy.current,
        }
    }
}

impl From<RuleSummary> for RuleSummaryView {
    fn from(rule: RuleSummary) -> Self {
        Self {
            id: rule.id,
            source: rule.source.as_str().to_owned(),
            source_id: rule.source_id,
            title: rule.title,
            status: rule.status,
            severity: rule.severity,
            author: rule.author,
            deprecated: rule.deprecated,
            techniques: rule.techniques,
            legacy_techniques: rule.legacy_techniques.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleDetailView {
    #[serde(flatten)]
    pub summary: RuleSummaryView,
    pub description: String,
    pub licence: String,
    pub risk_score: Option<u32>,
    /// `sigma`, or Elastic's rule type and language (`eql/eql`).
    pub kind: String,
    pub tactics: Vec<String>,
    pub references: Vec<String>,
    pub false_positives: Vec<String>,
    pub created: Option<NaiveDate>,
    pub modified: Option<NaiveDate>,
    pub log_source: Option<String>,
    /// Where it was read from, within its rule set.
    pub path: String,
    /// The rule as published, whole.
    pub text: String,
}

impl RuleDetailView {
    fn new(summary: RuleSummary, rule: DetectionRule) -> Self {
        Self {
            licence: rule.source.licence().to_owned(),
            summary: summary.into(),
            description: rule.description,
            risk_score: rule.risk_score,
            kind: rule.kind,
            tactics: rule.tactics,
            references: rule.references,
            false_positives: rule.false_positives,
            created: rule.created,
            modified: rule.modified,
            log_source: rule.log_source,
            path: rule.path,
            text: rule.text,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RuleQuery {
    /// sigma or elastic.
    pub source: Option<String>,
    /// Rules tagged with this ATT&CK technique id.
    pub technique: Option<String>,
    /// Text in the title.
    pub q: Option<String>,
    /// Include deprecated rules (default false).
    pub include_deprecated: Option<bool>,
}

/// Detection rules, by title.
#[utoipa::path(get, path = "/api/v1/detection-rules", tag = "catalog", params(RuleQuery, PageQuery),
    responses((status = 200, body = Paginated<RuleSummaryView>), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<RuleQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<RuleSummaryView>>, ApiError> {
    let query = query.into_inner();
    let source = query
        .source
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            RuleSource::parse(s.trim()).ok_or_else(|| {
                ApiError::validation(vec![FieldError::new("source", "must be sigma or elastic")])
            })
        })
        .transpose()?;
    let filter = RuleFilter {
        source,
        technique: query
            .technique
            .filter(|t| !t.trim().is_empty())
            .map(|t| t.trim().to_ascii_uppercase()),
        text: query.q.filter(|q| !q.trim().is_empty()),
        include_deprecated: query.include_deprecated.unwrap_or(false),
    };
    let rules = services.rules.list(&actor, &filter, page.request()).await?;
    Ok(web::Json(Paginated::from_page(rules, Into::into)))
}

/// One rule with its whole text, licence and attribution.
#[utoipa::path(get, path = "/api/v1/detection-rules/{id}", tag = "catalog", params(("id" = Uuid, Path)),
    responses((status = 200, body = RuleDetailView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<RuleDetailView>, ApiError> {
    let (summary, rule) = services.rules.get(&actor, *id).await?;
    Ok(web::Json(RuleDetailView::new(summary, rule)))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(list))
        .route("/{id}", web::get().to(get));
}
