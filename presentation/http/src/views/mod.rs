//! Wire formats: what the API reads and writes, documented in the OpenAPI document. Domain and
//! application types are mapped to these. `views/X.rs` holds the views, request bodies and
//! queries of `routes/X.rs`; this module holds the ones every capability shares (pages).

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
pub mod enums;
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

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use aegis_domain::page::{Page, PageRequest};

/// One page of a list, with the total across pages.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Paginated<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

impl<T> Paginated<T> {
    pub fn from_page<U>(page: Page<U>, map: impl FnMut(U) -> T) -> Self {
        let request = page.request;
        Self {
            total: page.total,
            page: request.page(),
            per_page: request.per_page(),
            items: page.items.into_iter().map(map).collect(),
        }
    }
}

/// Pagination parameters of every list.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-based page number (default 1).
    // Documented as what it is, any 32-bit unsigned number: `u32` would read as `int32`.
    #[param(value_type = Option<u64>, maximum = 4_294_967_295_u64)]
    pub page: Option<u32>,
    /// Items per page (default 50); values outside 1 to 200 are brought into that range.
    #[param(value_type = Option<u64>, maximum = 4_294_967_295_u64)]
    pub per_page: Option<u32>,
}

impl PageQuery {
    pub fn request(self) -> PageRequest {
        // 32 bits each, so that the offset they make cannot overflow, whatever a client sends.
        PageRequest::new(
            self.page.map_or(1, u64::from),
            self.per_page.map_or(50, u64::from),
        )
    }
}

/// A file as it is served: bytes, not JSON (a PDF report, for instance).
pub struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for Binary {}

/// A request body that must be a JSON object. serde reads a struct from an array too (its
/// fields in order), so `[null, null]` would pass for a body of optional fields; the API
/// documents an object, and refuses anything else as a validation problem.
#[derive(Debug)]
pub struct ObjectBody<T>(pub T);

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for ObjectBody<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let object = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
        T::deserialize(serde_json::Value::Object(object))
            .map(Self)
            .map_err(serde::de::Error::custom)
    }
}

/// Tells an explicit null (clear the field) from an absent field (leave it).
pub(crate) fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}
