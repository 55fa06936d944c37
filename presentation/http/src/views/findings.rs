//! The wire types of [`crate::routes::findings`]: its views, request bodies and queries.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::findings::{FindingQuery, FindingView};

use crate::views::test_cases::TestView;

#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    pub id: Uuid,
    pub title: String,
    pub assignee_id: Option<Uuid>,
    /// todo, in_progress or done.
    #[schema(value_type = crate::views::enums::StepStatus)]
    pub status: String,
    pub notes: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RiskAcceptanceView {
    pub reason: String,
    pub expires_on: NaiveDate,
    pub accepted_by: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FindingResponse {
    pub id: Uuid,
    /// The validated test that showed the gap.
    pub test_id: Uuid,
    pub technique_id: String,
    pub campaign_id: Option<Uuid>,
    pub title: String,
    /// logged or not_detected.
    #[schema(value_type = crate::views::enums::Outcome)]
    pub outcome: String,
    /// low, medium, high or critical.
    #[schema(value_type = crate::views::enums::Severity)]
    pub severity: String,
    /// open, in_remediation, awaiting_retest, resolved or risk_accepted.
    #[schema(value_type = crate::views::enums::FindingStatus)]
    pub status: String,
    pub owner_id: Option<Uuid>,
    pub due_on: Option<NaiveDate>,
    /// Unresolved past its due date.
    pub overdue: bool,
    /// In order.
    pub steps: Vec<StepView>,
    pub risk_acceptance: Option<RiskAcceptanceView>,
    /// The accepted risk's expiry has passed: it needs a new decision.
    pub acceptance_expired: bool,
    /// The retest that must validate with a better outcome to resolve the finding.
    pub retest_id: Option<Uuid>,
    /// The outcome of the last retest that did not improve.
    pub last_retest_outcome: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<FindingView> for FindingResponse {
    fn from(view: FindingView) -> Self {
        let f = view.finding;
        // Read first: the fields below move out of `f`.
        let (status, version) = (f.status(), f.version());
        Self {
            id: f.id.as_uuid(),
            test_id: f.test_id.as_uuid(),
            technique_id: f.technique_id.to_string(),
            campaign_id: f.campaign_id,
            title: f.title,
            outcome: f.outcome.as_str().to_owned(),
            severity: f.severity.as_str().to_owned(),
            status: status.as_str().to_owned(),
            owner_id: f.owner.map(|u| u.as_uuid()),
            due_on: f.due_on,
            overdue: view.overdue,
            steps: f
                .steps
                .into_iter()
                .map(|s| StepView {
                    id: s.id,
                    title: s.title,
                    assignee_id: s.assignee.map(|u| u.as_uuid()),
                    status: s.status.as_str().to_owned(),
                    notes: s.notes,
                    updated_at: s.updated_at,
                })
                .collect(),
            risk_acceptance: f.risk_acceptance.map(|a| RiskAcceptanceView {
                reason: a.reason,
                expires_on: a.expires_on,
                accepted_by: a.accepted_by.as_uuid(),
            }),
            acceptance_expired: view.acceptance_expired,
            retest_id: f.retest_id.map(|t| t.as_uuid()),
            last_retest_outcome: f.last_retest_outcome.map(|o| o.as_str().to_owned()),
            resolved_at: f.resolved_at,
            version,
            created_at: f.created_at,
            updated_at: f.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingListQuery {
    /// open, in_remediation, awaiting_retest, resolved or risk_accepted.
    #[param(value_type = Option<crate::views::enums::FindingStatus>)]
    pub status: Option<String>,
    /// low, medium, high or critical.
    #[param(value_type = Option<crate::views::enums::Severity>)]
    pub severity: Option<String>,
    pub technique_id: Option<String>,
    pub owner_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    /// Only unresolved findings past their due date.
    pub overdue: Option<bool>,
}

impl From<FindingListQuery> for FindingQuery {
    fn from(q: FindingListQuery) -> Self {
        Self {
            // Closed sets: an empty value is no member of them, and is refused like any other
            // (the document lists their values).
            status: q.status,
            severity: q.severity,
            technique: q.technique_id.filter(|s| !s.trim().is_empty()),
            owner: q.owner_id,
            campaign: q.campaign_id,
            overdue: q.overdue.unwrap_or(false),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateFindingRequest {
    /// A user id, or null to clear.
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub owner_id: Option<Option<Uuid>>,
    /// A date, or null to clear.
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub due_on: Option<Option<NaiveDate>>,
    /// low, medium, high or critical.
    #[schema(value_type = Option<crate::views::enums::Severity>)]
    pub severity: Option<String>,
    /// in_remediation (start the work) or open (take back an accepted risk).
    #[schema(value_type = Option<crate::views::enums::FindingStatus>)]
    pub status: Option<String>,
    /// The version read; or send If-Match.
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AcceptRiskRequest {
    pub reason: String,
    /// After today; the finding needs a new decision then.
    pub expires_on: NaiveDate,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewStepRequest {
    pub title: String,
    pub assignee_id: Option<Uuid>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateStepRequest {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    /// todo, in_progress or done.
    #[schema(value_type = Option<crate::views::enums::StepStatus>)]
    pub status: Option<String>,
    pub notes: Option<String>,
    /// Move the step to this place (0 first).
    pub position: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetestView {
    pub finding: FindingResponse,
    /// The new draft test that must validate with a better outcome.
    pub retest: TestView,
}
