//! The wire types of [`crate::routes::data_sources`]: its views, request bodies and queries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use aegis_application::data_sources::SyncReport;
use aegis_domain::data_source::{DataSource, SyncCounts};

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncCountsView {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub skipped: u64,
}

impl From<SyncCounts> for SyncCountsView {
    fn from(c: SyncCounts) -> Self {
        Self {
            created: c.created,
            updated: c.updated,
            unchanged: c.unchanged,
            skipped: c.skipped,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DataSourceView {
    /// attack, atomic, caldera, sigma, elastic, d3fend, lolbas, gtfobins, stix or compliance.
    #[schema(value_type = crate::views::enums::FeedKind)]
    pub kind: String,
    pub title: String,
    pub url: String,
    pub enabled: bool,
    /// A cron expression with seconds first (UTC); null syncs only on request or upload.
    pub schedule: Option<String>,
    /// Whether a credential is stored (it is never shown).
    pub has_credential: bool,
    /// The licence the source's content is published under.
    pub licence: String,
    /// never, running, succeeded or failed.
    #[schema(value_type = crate::views::enums::SyncStatus)]
    pub status: String,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_counts: Option<SyncCountsView>,
    pub last_error: Option<String>,
    /// Whether a sync was asked for and waits for the feed-sync job.
    pub sync_requested: bool,
}

impl From<DataSource> for DataSourceView {
    fn from(s: DataSource) -> Self {
        Self {
            kind: s.kind.as_str().to_owned(),
            title: s.kind.title().to_owned(),
            licence: s.kind.licence().to_owned(),
            url: s.url,
            enabled: s.enabled,
            schedule: s.schedule,
            has_credential: s.credential.is_some(),
            status: s.status.as_str().to_owned(),
            last_sync_at: s.last_sync_at,
            last_counts: s.last_counts.map(Into::into),
            last_error: s.last_error,
            sync_requested: s.sync_requested_at.is_some(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataSourceRequest {
    pub url: Option<String>,
    pub enabled: Option<bool>,
    /// A cron expression with seconds first (UTC); null removes the schedule.
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<String>)]
    pub schedule: Option<Option<String>>,
    /// A credential such as a GitHub token, stored encrypted; null removes it.
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<String>)]
    pub credential: Option<Option<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BundleReportView {
    #[schema(value_type = crate::views::enums::FeedKind)]
    pub kind: String,
    pub counts: SyncCountsView,
    /// Files or items not imported, with why.
    pub skipped: Vec<SkippedView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedView {
    pub path: String,
    pub reason: String,
}

impl From<SyncReport> for BundleReportView {
    fn from(r: SyncReport) -> Self {
        Self {
            kind: r.kind.as_str().to_owned(),
            counts: r.counts.into(),
            skipped: r
                .skipped
                .into_iter()
                .map(|(path, reason)| SkippedView { path, reason })
                .collect(),
        }
    }
}
