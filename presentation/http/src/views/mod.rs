//! Wire formats: what the API reads and writes, documented in the OpenAPI document. Domain and
//! application types are mapped to these. `views/X.rs` holds the views, request bodies and
//! queries of `routes/X.rs`; this module holds the ones every capability shares (pages).

pub mod audit_logs;
pub mod auth;
pub mod campaigns;
pub mod catalog;
pub mod compliance;
pub mod coverage;
pub mod dashboard;
pub mod data_sources;
pub mod evidence;
pub mod exports;
pub mod findings;
pub mod jobs;
pub mod notifications;
pub mod reports;
pub mod rules;
pub mod snapshots;
pub mod system;
pub mod templates;
pub mod tests;
pub mod tracking;
pub mod users;

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
    pub page: Option<u64>,
    /// Items per page, 1 to 200 (default 50).
    pub per_page: Option<u64>,
}

impl PageQuery {
    pub fn request(self) -> PageRequest {
        PageRequest::new(self.page.unwrap_or(1), self.per_page.unwrap_or(50))
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
