//! `/api/v1/compliance`: imported frameworks, and each control's coverage from the
//! organization's validated tests of the techniques it mitigates.

use actix_web::web;

use aegis_application::Services;
use aegis_application::error::FieldError;
use aegis_domain::compliance::ControlStatus;

use crate::auth::Authenticated;
use crate::problem::{ApiError, Problem};
use crate::views::compliance::{ControlQuery, FrameworkCoverageView, FrameworkSummaryView};

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
        // A closed set, documented as such: a blank or padded value is refused like any other.
        .map(|s| {
            ControlStatus::parse(s).ok_or_else(|| {
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
