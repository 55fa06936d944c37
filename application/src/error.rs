//! How use-case errors are classified for callers: every capability's error enum says which
//! kind of failure it is and gives a stable machine-readable code.

use aegis_domain::password::PolicyViolation;
use aegis_domain::ports::RepositoryError;

/// One invalid input field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A text input trimmed, with a field error when it is required and blank or longer than
/// `max` characters.
pub(crate) fn text_field(
    field: &str,
    value: &str,
    max: usize,
    required: bool,
    fields: &mut Vec<FieldError>,
) -> String {
    let trimmed = value.trim();
    if required && trimmed.is_empty() {
        fields.push(FieldError::new(field, "is required"));
    } else if trimmed.chars().count() > max {
        fields.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    trimmed.to_owned()
}

/// The broad class of a failure; the HTTP layer turns it into a status code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    Invalid(Vec<FieldError>),
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    /// It existed and is deliberately no longer kept (a retention period ran out).
    Gone,
    /// Temporarily refused; retry after this many seconds.
    Locked {
        retry_after_seconds: u64,
    },
    /// A service Aegis calls (an issue tracker) refused or could not be reached.
    Upstream,
    Unexpected,
}

/// Implemented by every use-case error enum.
pub trait Classified: std::error::Error {
    fn kind(&self) -> ErrorKind;
    /// A stable, documented identifier such as `INVALID_CREDENTIALS`.
    fn code(&self) -> &'static str;
}

/// Turns `validator` results into field errors.
pub fn field_errors(errors: &validator::ValidationErrors) -> Vec<FieldError> {
    let mut out: Vec<FieldError> = errors
        .field_errors()
        .into_iter()
        .flat_map(|(field, errs)| {
            errs.iter().map(move |e| {
                let message = e
                    .message
                    .as_ref()
                    .map_or_else(|| e.code.to_string(), ToString::to_string);
                FieldError::new(field.to_string(), message)
            })
        })
        .collect();
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

/// Password-policy violations as field errors of `field`.
pub fn password_errors(field: &str, violations: &[PolicyViolation]) -> Vec<FieldError> {
    violations
        .iter()
        .map(|v| FieldError::new(field, format!("password {}", v.message())))
        .collect()
}

/// Repository failures that a use case does not expect become opaque to clients; the text,
/// with the whole source chain, is what the server logs.
pub(crate) fn unexpected(error: &RepositoryError) -> String {
    error.chain()
}

/// Whether an unexpected failure's message (made by `unexpected`) says the storage could not
/// be reached: the HTTP layer answers 503 for those, so that clients and proxies retry.
pub fn is_storage_unavailable(message: &str) -> bool {
    message.contains(STORAGE_UNAVAILABLE)
}

/// How `RepositoryError::Unavailable` reads (its `Display`), which `unexpected` keeps.
pub(crate) const STORAGE_UNAVAILABLE: &str = "storage unavailable";
