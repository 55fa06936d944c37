//! The dashboard and the metrics: where the organization stands, how it got there, and what
//! to do next, computed from the stored coverage and the tests.

use std::sync::Arc;

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, Utc};

use aegis_domain::catalog::TechniqueId;
use aegis_domain::metrics::{
    ActivityItem, OperatorActivity, TestMetrics, operator_activity, test_metrics,
};
use aegis_domain::narrative::{
    EarlierPosture, Narrative, NarrativeInputs, RiskyTechnique, narrative,
};
use aegis_domain::page::PageRequest;
use aegis_domain::permission::Action;
use aegis_domain::ports::{CatalogRepository, RepositoryError, UserFilter};
use aegis_domain::scoring::CoverageStatus;
use aegis_domain::snapshot::PostureSnapshot;
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;
use aegis_domain::workflow::TestState;

use crate::context::{Actor, Forbidden};
use crate::coverage::{CoverageError, CoverageService, Heatmap, HeatmapFilter};
use crate::error::{Classified, ErrorKind, unexpected};
use crate::ports::{Clock, Database};
use crate::snapshots::{is_covered, posture};

#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for DashboardError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl From<CoverageError> for DashboardError {
    fn from(error: CoverageError) -> Self {
        match error {
            CoverageError::Forbidden(forbidden) => Self::Forbidden(forbidden),
            other => Self::Unexpected(other.to_string()),
        }
    }
}

impl Classified for DashboardError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// The headline numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Kpis {
    pub total_techniques: u32,
    pub covered_techniques: u32,
    pub coverage_percent: f64,
    pub validated_tests: u32,
    pub open_tests: u32,
    /// Campaigns under way.
    pub active_campaigns: u32,
    /// Alerts fired and not yet acknowledged, resolved or dismissed.
    pub open_alerts: u32,
    pub organization_score: Option<f64>,
    pub threat_weighted_score: Option<f64>,
    pub last_snapshot: Option<PostureSnapshot>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    pub kpis: Kpis,
    /// The current posture: by tactic and by status.
    pub posture: PostureSnapshot,
    pub activity: Vec<ActivityItem>,
    pub narrative: Narrative,
    /// Display names of the people the activity names.
    pub people: BTreeMap<UserId, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MetricsReport {
    pub metrics: TestMetrics,
    pub operators: Vec<OperatorActivity>,
    /// Operator activity counts from this instant.
    pub since: DateTime<Utc>,
    pub people: BTreeMap<UserId, String>,
}

/// Validations this recent count as improvements in the narrative.
const RECENT_DAYS: u32 = 30;
/// The trend compares with the newest snapshot at least this old.
const TREND_DAYS: i64 = 7;
const ACTIVITY_ITEMS: u64 = 20;
const TOP_RISKS: usize = 3;
const TREND_WEEKS: u32 = 12;

#[derive(Clone)]
pub struct DashboardService {
    database: Arc<dyn Database>,
    catalog: Arc<dyn CatalogRepository>,
    clock: Arc<dyn Clock>,
    coverage: CoverageService,
}

fn risky_uncovered(heatmap: &Heatmap) -> Vec<RiskyTechnique> {
    let mut seen = HashSet::new();
    let mut risks: Vec<RiskyTechnique> = heatmap
        .columns
        .iter()
        .flat_map(|column| column.techniques.iter())
        .filter(|cell| cell.score.status == CoverageStatus::NotCovered && !is_covered(cell))
        .filter(|cell| seen.insert(cell.technique.mitre_id.clone()))
        .map(|cell| RiskyTechnique {
            technique_id: cell.technique.mitre_id.clone(),
            name: cell.technique.name.clone(),
            // Distinct actors over the technique and its sub-techniques, counted at the source.
            actors: cell.actors,
        })
        .filter(|risk| risk.actors > 0)
        .collect();
    risks.sort_by(|a, b| {
        b.actors
            .cmp(&a.actors)
            .then_with(|| a.technique_id.cmp(&b.technique_id))
    });
    risks.truncate(TOP_RISKS);
    risks
}

impl DashboardService {
    pub(crate) fn new(
        database: Arc<dyn Database>,
        catalog: Arc<dyn CatalogRepository>,
        clock: Arc<dyn Clock>,
        coverage: CoverageService,
    ) -> Self {
        Self {
            database,
            catalog,
            clock,
            coverage,
        }
    }

    async fn people(&self, tenant: TenantId) -> Result<BTreeMap<UserId, String>, RepositoryError> {
        let users = self
            .database
            .list_users(
                tenant,
                &UserFilter::default(),
                PageRequest::new(1, PageRequest::MAX_PER_PAGE),
            )
            .await?;
        Ok(users
            .items
            .into_iter()
            .map(|u| {
                let name = if u.display_name.trim().is_empty() {
                    u.email.as_str().to_owned()
                } else {
                    u.display_name
                };
                (u.id, name)
            })
            .collect())
    }

    /// The snapshot to compare with: the newest one at least a week old, else the oldest.
    async fn earlier_snapshot(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<Option<PostureSnapshot>, RepositoryError> {
        let database = &self.database;
        let week_old = database
            .list_snapshots(
                tenant,
                None,
                Some(now - Duration::days(TREND_DAYS)),
                PageRequest::new(1, 1),
            )
            .await?;
        if let Some(snapshot) = week_old.items.into_iter().next() {
            return Ok(Some(snapshot));
        }
        let all = database
            .list_snapshots(tenant, None, None, PageRequest::new(1, 1))
            .await?;
        if all.total == 0 {
            return Ok(None);
        }
        Ok(database
            .list_snapshots(tenant, None, None, PageRequest::new(all.total, 1))
            .await?
            .items
            .into_iter()
            .next())
    }

    /// # Errors
    /// `Forbidden` for a role that cannot read operations.
    pub async fn dashboard(&self, actor: &Actor) -> Result<Dashboard, DashboardError> {
        actor.authorize(Action::ReadOperations)?;
        self.dashboard_of(actor.tenant_id).await
    }

    /// The dashboard of an organization, for the reports that are generated without a user.
    pub(crate) async fn dashboard_of(&self, tenant: TenantId) -> Result<Dashboard, DashboardError> {
        let now = self.clock.now();
        let database = &self.database;
        let heatmap = self
            .coverage
            .heatmap_of(tenant, &HeatmapFilter::default())
            .await?;
        let facts = database.test_facts(tenant).await?;
        let validated_tests = facts
            .iter()
            .filter(|t| t.state == TestState::Validated)
            .count();
        let mut current = posture(&heatmap, u32::try_from(validated_tests).unwrap_or(u32::MAX));
        current.tenant_id = tenant;
        current.taken_at = now;
        let metrics = test_metrics(&facts, &[], now, 1);
        let last_snapshot = database
            .list_snapshots(tenant, None, None, PageRequest::new(1, 1))
            .await?
            .items
            .into_iter()
            .next();
        let earlier = self.earlier_snapshot(tenant, now).await?;
        let recent_from = now - Duration::days(i64::from(RECENT_DAYS));
        let recent: Vec<_> = facts
            .iter()
            .filter(|t| t.validated_at.is_some_and(|at| at >= recent_from))
            .collect();
        let recent_techniques: HashSet<&TechniqueId> =
            recent.iter().map(|t| &t.technique_id).collect();
        let count = |state: TestState| {
            metrics
                .funnel
                .iter()
                .find(|(s, _)| *s == state)
                .map_or(0, |(_, n)| *n)
        };
        let risks = risky_uncovered(&heatmap);
        let story = narrative(&NarrativeInputs {
            covered_techniques: current.covered_techniques,
            total_techniques: current.total_techniques,
            coverage_percent: current.coverage_percent(),
            organization_score: current.organization_score,
            detection_rate: metrics.detection_rate,
            earlier: earlier.map(|s| EarlierPosture {
                taken_at: s.taken_at,
                organization_score: s.organization_score,
                coverage_percent: s.coverage_percent(),
            }),
            top_uncovered: &risks,
            validated_recently: u32::try_from(recent.len()).unwrap_or(u32::MAX),
            techniques_validated_recently: u32::try_from(recent_techniques.len())
                .unwrap_or(u32::MAX),
            recent_days: RECENT_DAYS,
            stale_techniques: current
                .status_counts
                .get(CoverageStatus::Stale.as_str())
                .copied()
                .unwrap_or_default(),
            awaiting_review: count(TestState::InReview),
        });
        let open_tests =
            metrics.total_tests - count(TestState::Validated) - count(TestState::Rejected);
        let activity = database.recent_activity(tenant, ACTIVITY_ITEMS).await?;
        let active = aegis_domain::campaign::CampaignFilter {
            status: Some(aegis_domain::campaign::CampaignStatus::Active),
            ..aegis_domain::campaign::CampaignFilter::default()
        };
        let active_campaigns = database
            .list_campaigns(tenant, &active, aegis_domain::page::PageRequest::new(1, 1))
            .await?
            .total;
        let active_campaigns = u32::try_from(active_campaigns).unwrap_or(u32::MAX);
        let open = aegis_domain::alert::AlertFilter {
            status: Some(aegis_domain::alert::AlertStatus::Open),
            ..aegis_domain::alert::AlertFilter::default()
        };
        let open_alerts = database
            .list_alerts(tenant, &open, aegis_domain::page::PageRequest::new(1, 1))
            .await?
            .total;
        let open_alerts = u32::try_from(open_alerts).unwrap_or(u32::MAX);
        let people = self.people(tenant).await?;
        Ok(Dashboard {
            kpis: Kpis {
                total_techniques: current.total_techniques,
                covered_techniques: current.covered_techniques,
                coverage_percent: current.coverage_percent(),
                validated_tests: current.validated_tests,
                open_tests,
                active_campaigns,
                open_alerts,
                organization_score: current.organization_score,
                threat_weighted_score: current.threat_weighted_score,
                last_snapshot,
            },
            posture: current,
            activity,
            narrative: story,
            people,
        })
    }

    /// The testing pipeline's metrics, with each person's workflow actions over the last
    /// `days` days.
    ///
    /// # Errors
    /// `Forbidden` for a role that cannot read operations.
    pub async fn metrics(&self, actor: &Actor, days: u32) -> Result<MetricsReport, DashboardError> {
        actor.authorize(Action::ReadOperations)?;
        let tenant = actor.tenant_id;
        let now = self.clock.now();
        let database = &self.database;
        let facts = database.test_facts(tenant).await?;
        // The techniques the heatmap shows: not revoked or deprecated, sub-techniques too.
        let catalog: Vec<TechniqueId> = self
            .catalog
            .all_techniques(&aegis_domain::ports::TechniqueFilter {
                include_subtechniques: true,
                ..aegis_domain::ports::TechniqueFilter::default()
            })
            .await?
            .into_iter()
            .map(|t| t.mitre_id)
            .collect();
        let since = now - Duration::days(i64::from(days.max(1)));
        let actions = database.workflow_actions_by_actor(tenant, since).await?;
        Ok(MetricsReport {
            metrics: test_metrics(&facts, &catalog, now, TREND_WEEKS),
            operators: operator_activity(&actions),
            since,
            people: self.people(tenant).await?,
        })
    }
}
