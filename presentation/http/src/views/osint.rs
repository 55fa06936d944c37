//! The wire types of [`crate::routes::osint`]: intelligence items, their filters and summary.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::error::FieldError;
use aegis_domain::osint::{IntelFilter, IntelItem, IntelSeverity, IntelSource, IntelSummary};

use crate::problem::ApiError;

/// An intelligence item and the organization's review of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntelItemView {
    pub id: Uuid,
    #[schema(value_type = crate::views::enums::IntelSource)]
    pub source: String,
    /// The feed's name (`NVD`, `CISA KEV`, a news site's title).
    pub feed: String,
    pub url: String,
    pub title: String,
    pub summary: String,
    pub published_at: DateTime<Utc>,
    #[schema(value_type = Option<crate::views::enums::IntelSeverity>)]
    pub severity: Option<String>,
    /// CVSS base score, 0..=10.
    pub cvss: Option<f64>,
    pub cves: Vec<String>,
    /// Listed by CISA as exploited in the wild.
    pub known_exploited: bool,
    /// ATT&CK ids it names or its CVEs lead to (CTID KEV mapping).
    pub techniques: Vec<String>,
    pub reviewed: bool,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub imported_at: DateTime<Utc>,
}

impl From<IntelItem> for IntelItemView {
    fn from(item: IntelItem) -> Self {
        let e = item.entry;
        Self {
            id: item.id,
            source: e.source.as_str().to_owned(),
            feed: e.feed,
            url: e.url,
            title: e.title,
            summary: e.summary,
            published_at: e.published_at,
            severity: e.severity.map(|s| s.as_str().to_owned()),
            cvss: e.cvss,
            cves: e.cves,
            known_exploited: e.known_exploited,
            techniques: e.techniques,
            reviewed: item.reviewed.is_some(),
            reviewed_by: item.reviewed.map(|r| r.reviewed_by.as_uuid()),
            reviewed_at: item.reviewed.map(|r| r.reviewed_at),
            imported_at: item.imported_at,
        }
    }
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IntelItemQuery {
    /// nvd, kev or news.
    #[param(value_type = Option<crate::views::enums::IntelSource>)]
    pub source: Option<String>,
    /// critical, high, medium, low or none.
    #[param(value_type = Option<crate::views::enums::IntelSeverity>)]
    pub severity: Option<String>,
    /// Items naming this ATT&CK id.
    pub technique: Option<String>,
    /// Reviewed by the organization (true) or not yet (false).
    pub reviewed: Option<bool>,
    pub known_exploited: Option<bool>,
    /// Text in the title, summary or CVE ids.
    pub q: Option<String>,
    pub published_from: Option<DateTime<Utc>>,
}

impl IntelItemQuery {
    /// # Errors
    /// An unknown source or severity, named.
    pub fn filter(self) -> Result<IntelFilter, ApiError> {
        let mut fields = Vec::new();
        let source = self.source.as_deref().and_then(|s| {
            let parsed = IntelSource::parse(s);
            if parsed.is_none() {
                fields.push(FieldError::new("source", "must be nvd, kev or news"));
            }
            parsed
        });
        let severity = self.severity.as_deref().and_then(|s| {
            let parsed = IntelSeverity::parse(s).filter(|p| p.as_str() == s);
            if parsed.is_none() {
                fields.push(FieldError::new(
                    "severity",
                    "must be critical, high, medium, low or none",
                ));
            }
            parsed
        });
        if !fields.is_empty() {
            return Err(ApiError::validation(fields));
        }
        Ok(IntelFilter {
            source,
            severity,
            technique: self
                .technique
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
            reviewed: self.reviewed,
            known_exploited: self.known_exploited,
            text: self.q.filter(|q| !q.trim().is_empty()),
            published_from: self.published_from,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountView {
    pub key: String,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntelSummaryView {
    pub items: u64,
    /// Not yet reviewed by the organization.
    pub unreviewed: u64,
    pub known_exploited: u64,
    /// Published in the last 30 days (the risk's intelligence window).
    pub recent: u64,
    /// Items per source (nvd, kev, news).
    pub by_source: Vec<CountView>,
    /// Items per severity.
    pub by_severity: Vec<CountView>,
    /// The techniques most named in the window, most first.
    pub top_techniques: Vec<CountView>,
    pub last_published_at: Option<DateTime<Utc>>,
}

impl From<IntelSummary> for IntelSummaryView {
    fn from(s: IntelSummary) -> Self {
        let view = |key: &str, count: u64| CountView {
            key: key.to_owned(),
            count,
        };
        Self {
            items: s.items,
            unreviewed: s.unreviewed,
            known_exploited: s.known_exploited,
            recent: s.recent,
            by_source: s
                .by_source
                .iter()
                .map(|(k, n)| view(k.as_str(), *n))
                .collect(),
            by_severity: s
                .by_severity
                .iter()
                .map(|(k, n)| view(k.as_str(), *n))
                .collect(),
            top_techniques: s.top_techniques.iter().map(|(k, n)| view(k, *n)).collect(),
            last_published_at: s.last_published_at,
        }
    }
}
