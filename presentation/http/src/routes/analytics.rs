//! `/api/v1/analytics`: feeds for BI tools, a page of flat rows at a time, as JSON (a page
//! object) or CSV (the page's rows; the total in `X-Total-Count`, the next page in `Link`).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use aegis_application::Services;
use aegis_domain::page::Page;

use crate::auth::Authenticated;
use crate::problem::{ApiError, Problem};
use crate::views::analytics::{
    AnalyticsFormatQuery, CoverageRow, OperatorActivityRow, TestRow, TrendRow,
};
use crate::views::exports::Format;
use crate::views::{PageQuery, Paginated};

/// A page of rows in the asked format.
fn answer<T: Serialize, U>(
    request: &HttpRequest,
    format: Format,
    page: Page<U>,
    row: impl FnMut(U) -> T,
) -> HttpResponse {
    let page = Paginated::from_page(page, row);
    let mut response = HttpResponse::Ok();
    response.insert_header(("x-total-count", page.total.to_string()));
    if page.page.saturating_mul(page.per_page) < page.total {
        let next = format!(
            "<{}?page={}&per_page={}{}>; rel=\"next\"",
            request.path(),
            page.page + 1,
            page.per_page,
            if format == Format::Csv {
                "&format=csv"
            } else {
                ""
            }
        );
        response.insert_header(("link", next));
    }
    match format {
        Format::Json => response.json(page),
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            // The header comes with the first row: an empty page is an empty body.
            for item in &page.items {
                // A row of plain fields always serializes; the writer quotes what needs it.
                let _ = writer.serialize(item);
            }
            response
                .content_type("text/csv; charset=utf-8")
                .body(writer.into_inner().unwrap_or_default())
        }
    }
}

/// Every technique's coverage (sub-techniques after their parent).
#[utoipa::path(get, path = "/api/v1/analytics/coverage", tag = "analytics", params(AnalyticsFormatQuery, PageQuery),
    responses((status = 200, description = "A page of coverage rows", content((Paginated<CoverageRow> = "application/json"), (String = "text/csv"))),
        (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn coverage(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    request: HttpRequest,
    format: web::Query<AnalyticsFormatQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = format.format()?;
    let rows = services.analytics.coverage(&actor, page.request()).await?;
    Ok(answer(&request, format, rows, CoverageRow::from))
}

/// The tests the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/analytics/tests", tag = "analytics", params(AnalyticsFormatQuery, PageQuery),
    responses((status = 200, description = "A page of test rows", content((Paginated<TestRow> = "application/json"), (String = "text/csv"))),
        (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn tests(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    request: HttpRequest,
    format: web::Query<AnalyticsFormatQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = format.format()?;
    let rows = services.analytics.tests(&actor, page.request()).await?;
    Ok(answer(&request, format, rows, TestRow::from))
}

/// The posture over time, oldest snapshot first.
#[utoipa::path(get, path = "/api/v1/analytics/trends", tag = "analytics", params(AnalyticsFormatQuery, PageQuery),
    responses((status = 200, description = "A page of trend points", content((Paginated<TrendRow> = "application/json"), (String = "text/csv"))),
        (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn trends(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    request: HttpRequest,
    format: web::Query<AnalyticsFormatQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = format.format()?;
    let rows = services.analytics.trends(&actor, page.request()).await?;
    Ok(answer(&request, format, rows, TrendRow::from))
}

/// Each person's logged work per team, most time first.
#[utoipa::path(get, path = "/api/v1/analytics/operators", tag = "analytics", params(AnalyticsFormatQuery, PageQuery),
    responses((status = 200, description = "A page of operator rows", content((Paginated<OperatorActivityRow> = "application/json"), (String = "text/csv"))),
        (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn operators(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    request: HttpRequest,
    format: web::Query<AnalyticsFormatQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = format.format()?;
    let rows = services.analytics.operators(&actor, page.request()).await?;
    Ok(answer(&request, format, rows, OperatorActivityRow::from))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/coverage", web::get().to(coverage))
        .route("/tests", web::get().to(tests))
        .route("/trends", web::get().to(trends))
        .route("/operators", web::get().to(operators));
}
