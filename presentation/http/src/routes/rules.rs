//! `/api/v1/detection-rules`: the imported Sigma and Elastic rules.

use actix_web::web;
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::error::FieldError;
use aegis_domain::detection::{RuleFilter, RuleSource};

use crate::auth::Authenticated;
use crate::problem::{ApiError, Problem};
use crate::views::rules::{RuleDetailView, RuleQuery, RuleSummaryView};
use crate::views::{PageQuery, Paginated};

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
        // A closed set, documented as such: a blank or padded value is refused like any other.
        .map(|s| {
            RuleSource::parse(s).ok_or_else(|| {
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
