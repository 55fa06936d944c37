//! Posture snapshots: the organization's coverage recorded weekly and on demand, and the
//! trend drawn from them.

use std::sync::Arc;

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::RepositoryError;
use aegis_domain::snapshot::{PostureSnapshot, TacticPosture};
use aegis_domain::tenant::TenantId;
use aegis_domain::user::UserId;

use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, RequestContext};
use crate::coverage::{CoverageError, CoverageService, Heatmap, HeatmapFilter};
use crate::error::{Classified, ErrorKind, unexpected};
use crate::ports::{Clock, Database, IdGenerator};

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("snapshot not found")]
    NotFound,
    #[error("a snapshot cannot be dated in the future")]
    InTheFuture,
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for SnapshotError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl From<CoverageError> for SnapshotError {
    fn from(error: CoverageError) -> Self {
        match error {
            CoverageError::Forbidden(forbidden) => Self::Forbidden(forbidden),
            other => Self::Unexpected(other.to_string()),
        }
    }
}

impl Classified for SnapshotError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::NotFound => ErrorKind::NotFound,
            Self::InTheFuture => ErrorKind::Invalid(vec![crate::error::FieldError::new(
                "taken_at",
                "must not be in the future",
            )]),
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound => "SNAPSHOT_NOT_FOUND",
            Self::InTheFuture => "VALIDATION_FAILED",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// One point of the posture trend.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    pub taken_at: DateTime<Utc>,
    pub organization_score: Option<f64>,
    pub threat_weighted_score: Option<f64>,
    pub coverage_percent: f64,
    pub validated_tests: u32,
}

/// A technique is covered when it, or one of its sub-techniques, is covered in the scoring's
/// sense: the newest validated test prevented or detected it (a newest test that was only
/// logged or not detected is a miss, not coverage).
pub(crate) fn is_covered(cell: &crate::coverage::HeatmapCell) -> bool {
    cell.score.status.is_covered()
        || cell
            .subtechniques
            .iter()
            .any(|sub| sub.score.status.is_covered())
}

/// The posture a heatmap shows (id, tenant and time left for the caller to set).
pub(crate) fn posture(heatmap: &Heatmap, validated_tests: u32) -> PostureSnapshot {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let mut techniques = HashSet::new();
    let mut covered = HashSet::new();
    let by_tactic = heatmap
        .columns
        .iter()
        .map(|column| {
            let covered_here = column
                .techniques
                .iter()
                .filter(|cell| is_covered(cell))
                .inspect(|cell| {
                    covered.insert(cell.technique.mitre_id.clone());
                })
                .count();
            techniques.extend(
                column
                    .techniques
                    .iter()
                    .map(|c| c.technique.mitre_id.clone()),
            );
            TacticPosture {
                tactic: column.tactic.shortname.clone(),
                name: column.tactic.name.clone(),
                score: column.score,
                techniques: count(column.techniques.len()),
                covered: count(covered_here),
            }
        })
        .collect();
    PostureSnapshot {
        id: uuid::Uuid::nil(),
        tenant_id: TenantId::from_uuid(uuid::Uuid::nil()),
        taken_at: DateTime::<Utc>::default(),
        taken_by: None,
        organization_score: heatmap.organization_score,
        threat_weighted_score: heatmap.threat_weighted_score,
        total_techniques: count(techniques.len()),
        covered_techniques: count(covered.len()),
        validated_tests,
        status_counts: heatmap
            .status_counts
            .iter()
            .map(|(status, n)| (status.as_str().to_owned(), *n))
            .collect(),
        by_tactic,
    }
}

#[derive(Clone)]
pub struct SnapshotService {
    database: Arc<dyn Database>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    coverage: CoverageService,
    /// Queues an alert evaluation after a snapshot taken on request commits.
    alert_requests: Option<crate::alerts::EvaluationRequests>,
}

impl SnapshotService {
    /// Queues an alert evaluation after each snapshot taken on request.
    pub(crate) fn requesting_alerts(mut self, requests: crate::alerts::EvaluationRequests) -> Self {
        self.alert_requests = Some(requests);
        self
    }

    pub(crate) fn new(
        database: Arc<dyn Database>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        coverage: CoverageService,
    ) -> Self {
        Self {
            database,
            clock,
            ids,
            coverage,
            alert_requests: None,
        }
    }

    async fn capture(
        &self,
        tenant: TenantId,
        taken_by: Option<UserId>,
    ) -> Result<PostureSnapshot, SnapshotError> {
        let heatmap = self
            .coverage
            .heatmap_of(tenant, &HeatmapFilter::default())
            .await?;
        let scores = self.database.technique_scores(tenant).await?;
        let mut snapshot = posture(
            &heatmap,
            scores.iter().map(|s| s.score.validated_tests).sum(),
        );
        snapshot.id = self.ids.new_id();
        snapshot.tenant_id = tenant;
        snapshot.taken_at = self.clock.now();
        snapshot.taken_by = taken_by;
        Ok(snapshot)
    }

    /// Records the organization's posture now, on a lead's request.
    ///
    /// # Errors
    /// `Forbidden` unless a lead or admin.
    pub async fn take(
        &self,
        actor: &Actor,
        context: &RequestContext,
    ) -> Result<PostureSnapshot, SnapshotError> {
        let now = self.clock.now();
        self.record(actor, now, context).await
    }

    /// Records the organization's posture as it stands, dated `taken_at` (not in the future):
    /// a trend back-filled from a history kept elsewhere, or built up step by step (the demo
    /// data set validates its tests week by week and records each week's posture).
    ///
    /// # Errors
    /// `Forbidden` unless a lead or admin; `InTheFuture`.
    pub async fn take_at(
        &self,
        actor: &Actor,
        taken_at: DateTime<Utc>,
        context: &RequestContext,
    ) -> Result<PostureSnapshot, SnapshotError> {
        if taken_at > self.clock.now() {
            return Err(SnapshotError::InTheFuture);
        }
        self.record(actor, taken_at, context).await
    }

    async fn record(
        &self,
        actor: &Actor,
        taken_at: DateTime<Utc>,
        context: &RequestContext,
    ) -> Result<PostureSnapshot, SnapshotError> {
        actor.authorize(Action::TakeSnapshot)?;
        let mut snapshot = self.capture(actor.tenant_id, Some(actor.user_id)).await?;
        snapshot.taken_at = taken_at;
        let uow = self.database.begin().await?;
        uow.insert_snapshot(&snapshot).await?;
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action: "snapshot.taken",
            entity_type: "posture_snapshot",
            entity_id: Some(snapshot.id.to_string()),
            details: serde_json::json!({
                "organization_score": snapshot.organization_score,
                "coverage_percent": snapshot.coverage_percent(),
            }),
        };
        audit_trail::record(
            self.clock.as_ref(),
            self.ids.as_ref(),
            uow.as_ref(),
            context,
            change,
        )
        .await?;
        uow.commit().await?;
        if let Some(requests) = &self.alert_requests {
            requests.request("snapshot").await;
        }
        Ok(snapshot)
    }

    /// Records every organization's posture: the weekly job.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn take_for_every_tenant(&self) -> Result<u64, SnapshotError> {
        let mut taken = 0;
        for tenant in self.database.list_tenants().await? {
            let snapshot = self.capture(tenant.id, None).await?;
            self.database.insert_snapshot(&snapshot).await?;
            taken += 1;
        }
        Ok(taken)
    }

    /// # Errors
    /// `Forbidden` for a role that cannot read coverage.
    pub async fn list(
        &self,
        actor: &Actor,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        page: PageRequest,
    ) -> Result<Page<PostureSnapshot>, SnapshotError> {
        actor.authorize(Action::ReadCatalog)?;
        Ok(self
            .database
            .list_snapshots(actor.tenant_id, from, to, page)
            .await?)
    }

    /// # Errors
    /// `Forbidden`, `NotFound`.
    pub async fn get(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
    ) -> Result<PostureSnapshot, SnapshotError> {
        actor.authorize(Action::ReadCatalog)?;
        self.database
            .find_snapshot(actor.tenant_id, id)
            .await?
            .ok_or(SnapshotError::NotFound)
    }

    /// # Errors
    /// `Forbidden` unless an admin, `NotFound`.
    pub async fn delete(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
        context: &RequestContext,
    ) -> Result<(), SnapshotError> {
        actor.authorize(Action::ManageSystem)?;
        let uow = self.database.begin().await?;
        if !uow.delete_snapshot(actor.tenant_id, id).await? {
            return Err(SnapshotError::NotFound);
        }
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action: "snapshot.deleted",
            entity_type: "posture_snapshot",
            entity_id: Some(id.to_string()),
            details: serde_json::json!({}),
        };
        audit_trail::record(
            self.clock.as_ref(),
            self.ids.as_ref(),
            uow.as_ref(),
            context,
            change,
        )
        .await?;
        uow.commit().await?;
        Ok(())
    }

    /// The trend in `[from, to]`, oldest first (at most the newest 200 snapshots).
    ///
    /// # Errors
    /// `Forbidden` for a role that cannot read coverage.
    pub async fn trend(
        &self,
        actor: &Actor,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<TrendPoint>, SnapshotError> {
        let page = PageRequest::new(1, PageRequest::MAX_PER_PAGE);
        let mut points: Vec<TrendPoint> = self
            .list(actor, from, to, page)
            .await?
            .items
            .into_iter()
            .map(|s| TrendPoint {
                taken_at: s.taken_at,
                organization_score: s.organization_score,
                threat_weighted_score: s.threat_weighted_score,
                coverage_percent: s.coverage_percent(),
                validated_tests: s.validated_tests,
            })
            .collect();
        points.reverse();
        Ok(points)
    }
}
