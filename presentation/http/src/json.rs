//! Request bodies, queries and paths that cannot be read become 4xx problems, never 500s.

use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};

use aegis_application::error::FieldError;

use crate::problem::ApiError;

/// The field a serde message names in backticks (``missing field `email` ``), if any.
fn named_field(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let length = message[start..].find('`')?;
    Some(message[start..start + length].to_owned())
}

/// A JSON body that is malformed (400) or of the wrong shape (422, naming the field).
pub fn body_error(error: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match error.classify() {
        Category::Data => {
            let message = error.to_string();
            let field =
                if message.starts_with("missing field") || message.starts_with("unknown field") {
                    named_field(&message).unwrap_or_else(|| "body".to_owned())
                } else {
                    "body".to_owned()
                };
            ApiError::validation(vec![FieldError::new(field, message)])
        }
        Category::Syntax | Category::Eof | Category::Io => ApiError::bad_request(
            "MALFORMED_JSON",
            format!("the body is not valid JSON: {error}"),
        ),
    }
}

pub fn unsupported_media_type() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
        "Unsupported content type",
    )
    .with_detail("send application/json (or a form where the endpoint says so)")
}

pub fn payload_too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        "The request body is too large",
    )
    .with_detail(format!("the limit is {limit} bytes"))
}

fn json_error(error: JsonPayloadError, _: &HttpRequest, limit: usize) -> actix_web::Error {
    let problem = match &error {
        JsonPayloadError::Deserialize(inner) => body_error(inner),
        JsonPayloadError::ContentType => unsupported_media_type(),
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            payload_too_large(limit)
        }
        JsonPayloadError::Payload(PayloadError::Overflow) => payload_too_large(limit),
        other => ApiError::bad_request("UNREADABLE_BODY", other.to_string()),
    };
    problem.into()
}

fn query_error(error: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    let message = error.to_string();
    let field = named_field(&message).unwrap_or_else(|| "query".to_owned());
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "INVALID_QUERY",
        "The query string is not valid",
    )
    .with_fields(vec![FieldError::new(field, message)])
    .into()
}

fn path_error(error: PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "No such resource")
        .with_detail(format!("the path is not valid: {error}"))
        .into()
}

/// Extractor configuration with bounded bodies and problem-shaped errors.
pub fn configure(config: &mut web::ServiceConfig, limit: usize) {
    config
        .app_data(
            web::JsonConfig::default()
                .limit(limit)
                .error_handler(move |e, r| json_error(e, r, limit)),
        )
        .app_data(web::PayloadConfig::new(limit))
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(web::PathConfig::default().error_handler(path_error));
}
