//! RFC 9457 problem documents: the one place where errors become HTTP responses.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use aegis_application::error::{Classified, ErrorKind, FieldError};

/// A problem document, as returned with `Content-Type: application/problem+json`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    /// A stable, machine-readable code (e.g. `VALIDATION_FAILED`).
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request id, also in the `X-Request-Id` header and in the server's logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The fields at fault, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub message: String,
}

/// An error on its way to the client (boxed: errors travel in every handler's `Result`).
#[derive(Debug)]
pub struct ApiError(Box<Parts>);

#[derive(Debug)]
struct Parts {
    status: StatusCode,
    code: &'static str,
    title: String,
    detail: Option<String>,
    fields: Vec<FieldError>,
    retry_after_seconds: Option<u64>,
    /// The `WWW-Authenticate` challenge of a 401.
    www_authenticate: Option<&'static str>,
    /// Logged on the server, never sent.
    cause: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, title: impl Into<String>) -> Self {
        Self(Box::new(Parts {
            status,
            code,
            title: title.into(),
            detail: None,
            fields: Vec::new(),
            retry_after_seconds: None,
            www_authenticate: None,
            cause: None,
        }))
    }

    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.0.detail = Some(detail.into());
        self
    }

    #[must_use]
    pub fn with_fields(mut self, fields: Vec<FieldError>) -> Self {
        self.0.fields = fields;
        self
    }

    #[must_use]
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.0.retry_after_seconds = Some(seconds);
        self
    }

    #[must_use]
    pub fn with_www_authenticate(mut self, challenge: &'static str) -> Self {
        self.0.www_authenticate = Some(challenge);
        self
    }

    pub fn validation(fields: Vec<FieldError>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "VALIDATION_FAILED",
            "The request is not valid",
        )
        .with_fields(fields)
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            code,
            "The request could not be read",
        )
        .with_detail(detail)
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", "No such resource")
    }

    pub fn internal(cause: impl Into<String>) -> Self {
        let mut error = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "Internal server error",
        )
        .with_detail(
            "The server failed to handle the request; quote the request id when reporting it.",
        );
        error.0.cause = Some(cause.into());
        error
    }

    /// The database could not be reached: a retry soon may succeed.
    pub fn unavailable(cause: impl Into<String>) -> Self {
        let mut error = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "The service is temporarily unavailable",
        )
        .with_detail("The database cannot be reached just now; retry in a few seconds.")
        .with_retry_after(5);
        error.0.cause = Some(cause.into());
        error
    }

    pub fn code(&self) -> &'static str {
        self.0.code
    }

    /// The fields at fault, for a validation problem.
    pub fn fields(&self) -> &[FieldError] {
        &self.0.fields
    }

    /// Turns any use-case error into its problem.
    pub fn from_use_case<E: Classified>(error: &E) -> Self {
        let message = error.to_string();
        match error.kind() {
            ErrorKind::Invalid(fields) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                error.code(),
                "The request is not valid",
            )
            .with_detail(message)
            .with_fields(fields),
            ErrorKind::Unauthenticated => {
                Self::new(StatusCode::UNAUTHORIZED, error.code(), message)
            }
            ErrorKind::Forbidden => Self::new(StatusCode::FORBIDDEN, error.code(), message),
            ErrorKind::NotFound => Self::new(StatusCode::NOT_FOUND, error.code(), message),
            ErrorKind::Conflict => Self::new(StatusCode::CONFLICT, error.code(), message),
            ErrorKind::Gone => Self::new(StatusCode::GONE, error.code(), message),
            ErrorKind::Locked {
                retry_after_seconds,
            } => Self::new(StatusCode::TOO_MANY_REQUESTS, error.code(), message)
                .with_retry_after(retry_after_seconds),
            ErrorKind::Upstream => Self::new(StatusCode::BAD_GATEWAY, error.code(), message),
            ErrorKind::Unexpected if aegis_application::error::is_storage_unavailable(&message) => {
                Self::unavailable(message)
            }
            ErrorKind::Unexpected => Self::internal(message),
        }
    }
}

impl<E: Classified> From<E> for ApiError {
    fn from(error: E) -> Self {
        Self::from_use_case(&error)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.0.status.as_u16(),
            self.0.code,
            self.0.title
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(cause) = &self.0.cause {
            tracing::error!(code = self.0.code, cause = %cause, "request failed");
        }
        let detail = if self.0.status == StatusCode::UNPROCESSABLE_ENTITY {
            Some(naming_fields(self.0.detail.as_deref(), &self.0.fields))
        } else {
            self.0.detail.clone()
        };
        let problem = Problem {
            problem_type: format!(
                "https://aegis.local/problems/{}",
                self.0.code.to_lowercase().replace('_', "-")
            ),
            title: self.0.title.clone(),
            status: self.0.status.as_u16(),
            code: self.0.code.to_owned(),
            detail,
            request_id: crate::request_id::current(),
            errors: self
                .0
                .fields
                .iter()
                .map(|f| ProblemField {
                    field: f.field.clone(),
                    message: f.message.clone(),
                })
                .collect(),
        };
        let mut response = HttpResponse::build(self.0.status);
        response.content_type("application/problem+json");
        if let Some(seconds) = self.0.retry_after_seconds {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from(seconds)));
        }
        if let Some(challenge) = self.0.www_authenticate {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            ));
        }
        response.json(problem)
    }
}

/// A 422's detail: its own words followed by every field at fault and why, so that a client
/// that shows only the detail (a log line, a notice) still says what to fix, and the
/// `errors` entries say the same field by field.
fn naming_fields(detail: Option<&str>, fields: &[FieldError]) -> String {
    let named = fields
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect::<Vec<_>>()
        .join("; ");
    match (detail, named.is_empty()) {
        (Some(detail), true) => detail.to_owned(),
        (None, true) => "the request is not valid".to_owned(),
        (Some(detail), false) => format!("{detail} ({named})"),
        (None, false) => named,
    }
}

/// The stable code for an error that did not come from Aegis code (actix's own refusals).
fn code_for_status(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "BAD_REQUEST",
        StatusCode::NOT_FOUND => "NOT_FOUND",
        StatusCode::METHOD_NOT_ALLOWED => "METHOD_NOT_ALLOWED",
        StatusCode::PAYLOAD_TOO_LARGE => "PAYLOAD_TOO_LARGE",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "UNSUPPORTED_MEDIA_TYPE",
        StatusCode::UNAUTHORIZED => "AUTHENTICATION_REQUIRED",
        StatusCode::FORBIDDEN => "FORBIDDEN",
        status if status.is_server_error() => "INTERNAL_ERROR",
        _ => "REQUEST_REFUSED",
    }
}

/// Turns any error response that is not yet a problem document (a refusal by actix itself,
/// such as an oversized raw body) into one, so clients only ever parse one error format.
pub async fn fallback_middleware(
    request: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<
    actix_web::dev::ServiceResponse<actix_web::body::EitherBody<impl actix_web::body::MessageBody>>,
    actix_web::Error,
> {
    let response = next.call(request).await?;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return Ok(response.map_into_left_body());
    }
    let reason = status.canonical_reason().unwrap_or("Error");
    let mut problem = ApiError::new(status, code_for_status(status), reason);
    if let Some(error) = response
        .response()
        .error()
        .filter(|_| status.is_client_error())
    {
        problem = problem.with_detail(error.to_string());
    }
    let (request, _) = response.into_parts();
    let replacement = problem.error_response().map_into_right_body();
    Ok(actix_web::dev::ServiceResponse::new(request, replacement))
}
