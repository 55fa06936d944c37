//! `/api/v1/exports`: tests and techniques as CSV or JSON downloads. Tests stream: each page
//! is written out as it is read.

use actix_web::{HttpResponse, web};
use bytes::Bytes;
use futures::StreamExt;

use aegis_application::Services;
use aegis_application::exports::{ExportError, TechniqueRow};
use aegis_application::findings::FindingView;
use aegis_domain::finding::StepStatus;
use aegis_domain::test_case::TestCase;

use crate::auth::Authenticated;
use crate::problem::{ApiError, Problem};
use crate::views::coverage::HeatmapQuery;
use crate::views::exports::{Format, FormatQuery};
use crate::views::findings::{FindingListQuery, FindingResponse};
use crate::views::test_cases::{TestListQuery, TestView};

const TEST_COLUMNS: [&str; 17] = [
    "id",
    "title",
    "technique_id",
    "state",
    "platform",
    "assignee_id",
    "campaign_id",
    "executed_at",
    "tool",
    "command",
    "outcome",
    "detected_at",
    "detection_source",
    "fired_rules",
    "created_at",
    "validated_at",
    "version",
];

fn test_record(test: &TestCase) -> [String; 17] {
    let time =
        |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    [
        test.id.to_string(),
        test.title.clone(),
        test.technique_id.to_string(),
        test.workflow().state().as_str().to_owned(),
        test.platform.clone().unwrap_or_default(),
        test.assignee.map(|a| a.to_string()).unwrap_or_default(),
        test.campaign_id.map(|c| c.to_string()).unwrap_or_default(),
        time(test.red.executed_at),
        test.red.tool.clone().unwrap_or_default(),
        test.red.command.clone().unwrap_or_default(),
        test.blue
            .outcome
            .map(|o| o.as_str().to_owned())
            .unwrap_or_default(),
        time(test.blue.detected_at),
        test.blue.detection_source.clone().unwrap_or_default(),
        test.blue.fired_rules().collect::<Vec<_>>().join("; "),
        test.created_at.to_rfc3339(),
        time(test.validated_at),
        test.version().to_string(),
    ]
}

/// CSV rows (with the header first when `header`), never failing on cell content: the
/// writer quotes what needs quoting.
fn csv_chunk<const N: usize>(
    header: Option<[&str; N]>,
    rows: impl Iterator<Item = [String; N]>,
) -> Bytes {
    let mut writer = csv::Writer::from_writer(Vec::new());
    if let Some(header) = header {
        let _ = writer.write_record(header);
    }
    for row in rows {
        let _ = writer.write_record(&row);
    }
    Bytes::from(writer.into_inner().unwrap_or_default())
}

fn attachment(name: &str, format: Format) -> (String, &'static str) {
    match format {
        Format::Csv => (
            format!("attachment; filename=\"{name}.csv\""),
            "text/csv; charset=utf-8",
        ),
        Format::Json => (
            format!("attachment; filename=\"{name}.json\""),
            "application/json",
        ),
    }
}

/// The organization's tests (the test list's filters), streamed as CSV or a JSON array of
/// test objects.
#[utoipa::path(get, path = "/api/v1/exports/tests", tag = "tests", params(FormatQuery, TestListQuery),
    responses((status = 200, description = "CSV or a JSON array of tests", content((String = "text/csv"), (serde_json::Value = "application/json"))),
        (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn tests(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    format: web::Query<FormatQuery>,
    query: web::Query<TestListQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = format.format()?;
    let pages = services
        .exports
        .tests(&actor, query.into_inner().filter()?)?;
    Ok(streamed(
        "tests",
        format,
        TEST_COLUMNS,
        pages,
        test_record,
        TestView::from,
    ))
}

/// Streams `pages` as CSV rows (`record`) under `columns`, or as one JSON array of `view`s;
/// a page that cannot be read ends the stream with its error.
fn streamed<T, V, const N: usize>(
    name: &str,
    format: Format,
    columns: [&'static str; N],
    pages: futures::stream::BoxStream<'static, Result<Vec<T>, ExportError>>,
    record: fn(&T) -> [String; N],
    view: fn(T) -> V,
) -> HttpResponse
where
    T: 'static,
    V: serde::Serialize + 'static,
{
    // A JSON export is one array, `[]` when nothing matches; a CSV one starts with its header.
    let (open, close): (&'static [u8], &'static [u8]) = match format {
        Format::Csv => (b"", b""),
        Format::Json => (b"[", b"]"),
    };
    let mut first = true;
    let rows = pages.map(move |page| {
        let page = page.map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
        let chunk = match format {
            Format::Csv => csv_chunk(None, page.iter().map(record)),
            Format::Json => {
                let mut text = String::new();
                for item in page {
                    if !first {
                        text.push(',');
                    }
                    first = false;
                    text.push_str(&serde_json::to_string(&view(item)).unwrap_or_default());
                }
                Bytes::from(text)
            }
        };
        Ok::<_, actix_web::Error>(chunk)
    });
    let header = match format {
        // An empty export still gets its header row.
        Format::Csv => csv_chunk(Some(columns), std::iter::empty()),
        Format::Json => Bytes::from_static(open),
    };
    let body = futures::stream::once(async move { Ok::<_, actix_web::Error>(header) })
        .chain(rows)
        .chain(futures::stream::once(async move {
            Ok(Bytes::from_static(close))
        }));
    let (disposition, content_type) = attachment(name, format);
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("content-disposition", disposition))
        .streaming(body)
}

const FINDING_COLUMNS: [&str; 17] = [
    "id",
    "title",
    "technique_id",
    "severity",
    "status",
    "outcome",
    "owner_id",
    "due_on",
    "overdue",
    "test_id",
    "campaign_id",
    "retest_id",
    "steps",
    "steps_done",
    "risk_reason",
    "risk_expires_on",
    "created_at",
];

fn finding_record(view: &FindingView) -> [String; 17] {
    let finding = &view.finding;
    let acceptance = finding.risk_acceptance.as_ref();
    let done = finding
        .steps
        .iter()
        .filter(|s| s.status == StepStatus::Done)
        .count();
    [
        finding.id.to_string(),
        finding.title.clone(),
        finding
            .technique_id
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        finding.severity.as_str().to_owned(),
        finding.status().as_str().to_owned(),
        finding
            .outcome()
            .map(|o| o.as_str().to_owned())
            .unwrap_or_default(),
        finding.owner.map(|o| o.to_string()).unwrap_or_default(),
        finding.due_on.map(|d| d.to_string()).unwrap_or_default(),
        view.overdue.to_string(),
        finding.test_id().map(|t| t.to_string()).unwrap_or_default(),
        finding
            .campaign_id
            .map(|c| c.to_string())
            .unwrap_or_default(),
        finding.retest_id.map(|t| t.to_string()).unwrap_or_default(),
        finding
            .steps
            .iter()
            .map(|s| format!("{} [{}]", s.title, s.status.as_str()))
            .collect::<Vec<_>>()
            .join("; "),
        done.to_string(),
        acceptance.map(|a| a.reason.clone()).unwrap_or_default(),
        acceptance
            .map(|a| a.expires_on.to_string())
            .unwrap_or_default(),
        finding.created_at.to_rfc3339(),
    ]
}

/// The organization's findings and their remediation (the finding list's filters), streamed
/// as CSV or a JSON array.
#[utoipa::path(get, path = "/api/v1/exports/findings", tag = "findings", params(FormatQuery, FindingListQuery),
    responses((status = 200, description = "CSV or a JSON array of findings", content((String = "text/csv"), (serde_json::Value = "application/json"))),
        (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn findings(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    format: web::Query<FormatQuery>,
    query: web::Query<FindingListQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = format.format()?;
    let filter = services.findings.filter(&query.into_inner().into())?;
    let pages = services.exports.findings(&actor, filter)?;
    Ok(streamed(
        "findings",
        format,
        FINDING_COLUMNS,
        pages,
        finding_record,
        FindingResponse::from,
    ))
}

const TECHNIQUE_COLUMNS: [&str; 18] = [
    "mitre_id",
    "name",
    "parent",
    "tactics",
    "status",
    "score",
    "rolled_score",
    "validated_tests",
    "open_tests",
    "detection_rules",
    "countermeasures",
    "threat_actors",
    "tests_points",
    "rules_points",
    "countermeasures_points",
    "freshness_points",
    "diversity_points",
    "last_validated_at",
];

fn technique_record(row: &TechniqueRow) -> [String; 18] {
    let cell = &row.cell;
    let points = &cell.score.breakdown;
    [
        cell.technique.mitre_id.to_string(),
        cell.technique.name.clone(),
        row.parent.clone().unwrap_or_default(),
        cell.technique.tactics.join("; "),
        cell.score.status.as_str().to_owned(),
        cell.score.score.to_string(),
        cell.rolled_score.to_string(),
        cell.score.validated_tests.to_string(),
        cell.open_tests.to_string(),
        cell.rules.to_string(),
        cell.countermeasures.to_string(),
        cell.actors.to_string(),
        points.tests.to_string(),
        points.rules.to_string(),
        points.countermeasures.to_string(),
        points.freshness.to_string(),
        points.diversity.to_string(),
        cell.score
            .last_validated_at
            .map(|t| t.to_rfc3339())
            .unwrap_or_default(),
    ]
}

/// Every technique with its coverage score, status, breakdown and counts (the heatmap's
/// filters), as CSV or JSON.
#[utoipa::path(get, path = "/api/v1/exports/techniques", tag = "coverage", params(FormatQuery, HeatmapQuery),
    responses((status = 200, description = "CSV or a JSON array of techniques", content((String = "text/csv"), (serde_json::Value = "application/json"))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn techniques(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    format: web::Query<FormatQuery>,
    query: web::Query<HeatmapQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = format.format()?;
    let rows = services
        .exports
        .techniques(&actor, &query.into_inner().filter())
        .await?;
    let body = match format {
        Format::Csv => csv_chunk(Some(TECHNIQUE_COLUMNS), rows.iter().map(technique_record)),
        Format::Json => {
            let objects: Vec<serde_json::Map<String, serde_json::Value>> = rows
                .iter()
                .map(|row| {
                    TECHNIQUE_COLUMNS
                        .iter()
                        .zip(technique_record(row))
                        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v)))
                        .collect()
                })
                .collect();
            Bytes::from(serde_json::to_vec(&objects).unwrap_or_default())
        }
    };
    let (disposition, content_type) = attachment("techniques", format);
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("content-disposition", disposition))
        .body(body))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/tests", web::get().to(tests))
        .route("/techniques", web::get().to(techniques))
        .route("/findings", web::get().to(findings));
}
