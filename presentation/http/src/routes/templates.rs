//! `/api/v1/test-templates` (Atomic Red Team, CALDERA, LOLBAS and GTFOBins procedures) and
//! `POST /api/v1/tests/from-template`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use aegis_application::Services;
use aegis_application::error::FieldError;
use aegis_application::templates::TemplateInstance;
use aegis_domain::template::{TemplateFilter, TemplateSource};

use crate::auth::Authenticated;
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::templates::{
    FromTemplateRequest, TemplateDetailView, TemplateQuery, TemplateSummaryView,
};
use crate::views::test_cases::TestView;
use crate::views::{PageQuery, Paginated};

fn blank_to_none(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// Test templates, by technique and name.
#[utoipa::path(get, path = "/api/v1/test-templates", tag = "catalog", params(TemplateQuery, PageQuery),
    responses((status = 200, body = Paginated<TemplateSummaryView>), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn list(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    query: web::Query<TemplateQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Paginated<TemplateSummaryView>>, ApiError> {
    let query = query.into_inner();
    // A closed set, documented as such: a blank or padded value is refused like any other.
    let source = query
        .source
        .map(|s| {
            TemplateSource::parse(&s).ok_or_else(|| {
                ApiError::validation(vec![FieldError::new(
                    "source",
                    "must be atomic, caldera, lolbas or gtfobins",
                )])
            })
        })
        .transpose()?;
    let filter = TemplateFilter {
        source,
        technique: blank_to_none(query.technique).map(|t| t.to_ascii_uppercase()),
        platform: blank_to_none(query.platform),
        text: blank_to_none(query.q),
    };
    let templates = services
        .templates
        .list(&actor, &filter, page.request())
        .await?;
    Ok(web::Json(Paginated::from_page(templates, Into::into)))
}

/// One template whole: executors, input arguments, dependencies, licence.
#[utoipa::path(get, path = "/api/v1/test-templates/{id}", tag = "catalog", params(("id" = Uuid, Path)),
    responses((status = 200, body = TemplateDetailView), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn get(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    id: web::Path<Uuid>,
) -> Result<web::Json<TemplateDetailView>, ApiError> {
    let (summary, template) = services.templates.get(&actor, *id).await?;
    Ok(web::Json(TemplateDetailView::new(summary, template)))
}

/// Create a draft test from a template (leads, admin): red's procedure, command and tool are
/// filled from it. Accepts `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/tests/from-template", tag = "tests", request_body = FromTemplateRequest,
    responses((status = 201, body = TestView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn create_test(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    request: HttpRequest,
    body: web::Json<FromTemplateRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = crate::routes::idempotency_key(&request)?;
    let body = body.into_inner();
    let instance = TemplateInstance {
        template_id: body.template_id,
        title: body.title,
        platform: blank_to_none(body.platform),
        input_arguments: body.input_arguments,
        target_environment: body.target_environment,
        assignee_id: body.assignee_id,
    };
    let test = services
        .templates
        .instantiate(&actor, instance, key.as_ref(), &context)
        .await?;
    Ok(crate::routes::test_cases::tagged(StatusCode::CREATED, test))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(list))
        .route("/{id}", web::get().to(get));
}
