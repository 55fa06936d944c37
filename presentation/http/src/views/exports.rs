//! The wire types of [`crate::routes::exports`]: its views, request bodies and queries.

use serde::Deserialize;
use utoipa::IntoParams;

use aegis_application::error::FieldError;

use crate::problem::ApiError;

/// The format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Csv,
    Json,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// csv (default) or json.
    pub format: Option<String>,
}

impl FormatQuery {
    pub(crate) fn format(&self) -> Result<Format, ApiError> {
        match self.format.as_deref().map(str::trim) {
            None | Some("" | "csv") => Ok(Format::Csv),
            Some("json") => Ok(Format::Json),
            Some(_) => Err(ApiError::validation(vec![FieldError::new(
                "format",
                "must be csv or json",
            )])),
        }
    }
}
