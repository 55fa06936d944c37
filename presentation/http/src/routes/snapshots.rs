//! `/api/v1/snapshots`: the organization's coverage posture over time.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::snapshots::TrendPoint;
use aegis_domain::snapshot::{PostureSnapshot, TacticPosture};

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::{PageQuery, Paginated};

#[derive(Debug, Serialize, ToSchema)]
pub struct TacticPostureView {
    pub tactic: String,
    pub name: String,
    pub score: Option<f64>,
    pub techniques: u32,
    pub covered: u32,
}

impl From<TacticPosture> for TacticPostureView {
    fn from(t: TacticPosture) -> Self {
        Self {
            tactic: t.tactic,
            name: t.name,
            score: t.score,
            techniques: t.techniques,
            covered: t.covered,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotView {
    pub id: Uuid,
    pub taken_at: DateTime<Utc>,
    /// Who asked for it; none for the weekly job.
    pub taken_by: Option<Uuid>,
    pub organization_score: Option<f64>,
    pub threat_weighted_score: Option<f64>,
    pub total_techniques: u32,
    /// Techniques (counted with their sub-techniques) whose newest validated test prevented or
    /// detected them: status `validated`, the only status that counts as covered.
    pub covered_techniques: u32,
    pub coverage_percent: f64,
    pub validated_tests: u32,
    /// Techniques per coverage status.
    pub status_counts: std::collections::BTreeMap<String, u32>,
    pub by_tactic: Vec<TacticPostureView>,
}

impl From<PostureSnapshot> for SnapshotView {
    fn from(s: PostureSnapshot) -> Self {
        Self {
            coverage_percent: s.coverage_percent(),
            id: s.id,
            taken_at: s.taken_at,
            taken_by: s.taken_by.map(|u| u.as_uuid()),
            organization_score: s.organization_score,
            threat_weighted_score: s.threat_weighted_score,
            total_techniques: s.total_techniques,
            covered_techniques: s.covered_techniques,
            validated_tests: s.validated_tests,
            status_counts: s.status_counts,
            by_tactic: s.by_tactic.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrendPointView {
    pub taken_at: DateTime<Utc>,
    pub organization_score: Option<f64>,
    pub threat_weighted_score: Option<f64>,
    pub coverage_percent: f64,
    pub validated_tests: u32,
}

impl From<TrendPoint> for TrendPointView {
    fn from(p: TrendPoint) -> Self {
        Self {
            taken_at: p.taken_at,
            organization_score: p.organization_score,
            threat_weighted_score: p.threat_weighted_score,
            coverage_percent: p.coverage_percent,
            validated_tests: p.validated_tests,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SnapshotRange {
    /// Taken at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Taken at or before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

/// Snapshots, newest first.
#[utoipa::path(get, path = "/api/v1/snapshots", tag = "snapshots", params(SnapshotRange, PageQuery),
    responses((status = 200, body = Paginated<SnapshotView>)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    range: web::Query<SnapshotRange>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<SnapshotView>>, ApiError> {
    let snapshots = services
        .snapshots
        .list(&actor, range.from, range.to, page.request())
        .await?;
    Ok(web::Json(Paginated::from_page(snapshots, Into::into)))
}

/// The posture trend, oldest first, for charts.
#[utoipa::path(get, path = "/api/v1/snapshots/trend", tag = "snapshots", params(SnapshotRange),
    responses((status = 200, body = Vec<TrendPointView>)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn trend(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    range: web::Query<SnapshotRange>,
) -> Result<web::Json<Vec<TrendPointView>>, ApiError> {
    let points = services
        .snapshots
        .trend(&actor, range.from, range.to)
        .await?;
    Ok(web::Json(points.into_iter().map(Into::into).collect()))
}

/// Record the organization's posture now (leads and admins).
#[utoipa::path(post, path = "/api/v1/snapshots", tag = "snapshots",
    responses((status = 201, body = SnapshotView), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn take(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
) -> Result<HttpResponse, ApiError> {
    let snapshot = services.snapshots.take(&actor, &context).await?;
    Ok(HttpResponse::Created().json(SnapshotView::from(snapshot)))
}

/// One snapshot.
#[utoipa::path(get, path = "/api/v1/snapshots/{id}", tag = "snapshots", params(("id" = Uuid, Path)),
    responses((status = 200, body = SnapshotView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<SnapshotView>, ApiError> {
    Ok(web::Json(services.snapshots.get(&actor, *id).await?.into()))
}

/// Delete a snapshot (admin).
#[utoipa::path(delete, path = "/api/v1/snapshots/{id}", tag = "snapshots", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn delete(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    services.snapshots.delete(&actor, *id, &context).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(list))
        .route("", web::post().to(take))
        .route("/trend", web::get().to(trend))
        .route("/{id}", web::get().to(get))
        .route("/{id}", web::delete().to(delete));
}
