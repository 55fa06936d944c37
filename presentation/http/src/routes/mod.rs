//! The HTTP routes, one module per capability. Handlers extract, call one use case, and map
//! the result to a view.

pub mod alerts;
pub mod analytics;
pub mod api_keys;
pub mod attack_paths;
pub mod audit_log;
pub mod auth;
pub mod campaigns;
pub mod catalog;
pub mod compliance;
pub mod coverage;
pub mod dashboard;
pub mod data_sources;
pub mod detection_lifecycle;
pub mod evidence;
pub mod exports;
pub mod findings;
pub mod github;
pub mod jobs;
pub mod knowledge;
pub mod mfa;
pub mod notifications;
pub mod osint;
pub mod reports;
pub mod risk;
pub mod rules;
pub mod scan_policy;
pub mod scans;
pub mod siem;
pub mod snapshots;
pub mod sso;
pub mod system;
pub mod telemetry;
pub mod templates;
pub mod tenants;
pub mod test_cases;
pub mod tickets;
pub mod tracked_actors;
pub mod users;
pub mod webhooks;

use actix_web::HttpRequest;

use aegis_application::idempotency::IdempotencyKey;

use crate::problem::ApiError;

pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// The request's `Idempotency-Key`, if it sent one; a malformed key is a validation problem.
pub(crate) fn idempotency_key(request: &HttpRequest) -> Result<Option<IdempotencyKey>, ApiError> {
    request
        .headers()
        .get(IDEMPOTENCY_KEY)
        .map(|value| IdempotencyKey::parse(value.to_str().unwrap_or("\u{0}")))
        .transpose()
        .map_err(|field| ApiError::validation(vec![field]))
}
