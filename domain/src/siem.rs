//! SIEM connections: where a tenant's alerts are asked for when a test's run is checked
//! against the SIEM instead of uploaded telemetry. The secret is kept sealed (nonce and
//! ciphertext); the domain never sees it in the clear.

use chrono::{DateTime, Utc};

use crate::id::Id;
use crate::tenant::TenantId;
use crate::user::UserId;

pub type SiemConnectionId = Id<SiemConnection>;

/// Which SIEM a connection talks to, so which query language and which API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SiemKind {
    /// Elastic Security: the detection engine's alerts index.
    Elastic,
    /// OpenSearch: an index of alert documents an admin names (the same search API).
    OpenSearch,
    /// Splunk: a search job over REST (notable events by default).
    Splunk,
    /// Microsoft Sentinel: KQL over `SecurityAlert` through the Log Analytics query API.
    Sentinel,
}

impl SiemKind {
    pub const ALL: [Self; 4] = [
        Self::Elastic,
        Self::OpenSearch,
        Self::Splunk,
        Self::Sentinel,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Elastic => "elastic",
            Self::OpenSearch => "opensearch",
            Self::Splunk => "splunk",
            Self::Sentinel => "sentinel",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Elastic Security's default alerts index for the `default` space.
pub const ELASTIC_ALERTS_INDEX: &str = ".alerts-security.alerts-default";
/// The field of an Elastic Security alert that carries the rule's own id (the prebuilt
/// rules' `rule_id`, stable across installations, unlike the saved object's id).
pub const ELASTIC_RULE_FIELD: &str = "kibana.alert.rule.rule_id";
/// Splunk's default: notable events (Enterprise Security) of the expected searches.
/// `$rules$` becomes the quoted rule names and ids, comma-separated.
pub const SPLUNK_DEFAULT_SEARCH: &str = "search index=notable | where search_name IN ($rules$) OR rule_name IN ($rules$) OR rule_id IN ($rules$)";
/// Microsoft Entra ID's token endpoint host.
pub const SENTINEL_LOGIN_URL: &str = "https://login.microsoftonline.com";
/// The Log Analytics query API.
pub const SENTINEL_API_URL: &str = "https://api.loganalytics.io";

/// One SIEM an admin configured. Which optional fields matter depends on the kind:
/// `index` and `rule_field` for Elastic and OpenSearch, `search` for Splunk,
/// `workspace_id`, `directory_id` and `login_url` for Sentinel.
#[derive(Clone, PartialEq, Eq)]
pub struct SiemConnection {
    pub id: SiemConnectionId,
    pub tenant_id: TenantId,
    pub name: String,
    pub kind: SiemKind,
    /// The API's address, without a trailing slash.
    pub base_url: String,
    pub index: Option<String>,
    pub rule_field: Option<String>,
    /// Splunk's search template.
    pub search: Option<String>,
    /// Sentinel's Log Analytics workspace id.
    pub workspace_id: Option<String>,
    /// Sentinel's Microsoft Entra tenant (directory) id.
    pub directory_id: Option<String>,
    /// Sentinel's token endpoint host.
    pub login_url: Option<String>,
    /// The user of Elastic / OpenSearch basic authentication, or Sentinel's client id;
    /// absent for an Elastic API key or a Splunk token.
    pub username: Option<String>,
    /// The API key, password, token or client secret, sealed.
    pub secret_sealed: Vec<u8>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_by: UserId,
    pub updated_at: DateTime<Utc>,
}

// Written by hand so that not even the sealed secret reaches a log.
impl std::fmt::Debug for SiemConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiemConnection")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_back_what_they_write() {
        for kind in SiemKind::ALL {
            assert_eq!(SiemKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(SiemKind::parse("qradar"), None);
    }
}
