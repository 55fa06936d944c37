//! The versions of the derived views (heatmap, coverage, dashboard, metrics, catalog lists),
//! as validators a client or a response cache compares: a view computed at one tag is the
//! same view until the tag moves. The storage moves the versions in the transaction of every
//! change to the views' inputs, so any instance sees a change at its next read.

use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, Utc};
use sha2::{Digest, Sha256};

use aegis_domain::permission::Action;
use aegis_domain::ports::{ReadModelRepository, RepositoryError};

use crate::context::{Actor, Forbidden};
use crate::error::{Classified, ErrorKind, unexpected};
use crate::ports::Clock;

/// A derived view moves with time as well as with data (freshness and decay, the dashboard's
/// last 30 days): its tag also moves at the start of every period this long.
pub const TIME_PERIOD_SECONDS: i64 = 60;

#[derive(Debug, thiserror::Error)]
pub enum ReadModelError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for ReadModelError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl Classified for ReadModelError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// Which family of views: each is read under its own permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadModel {
    /// The catalog with the organization's coverage: techniques, tactics, the heatmap.
    Catalog,
    /// The operational views: the dashboard and the metrics.
    Operations,
}

impl ReadModel {
    const fn action(self) -> Action {
        match self {
            Self::Catalog => Action::ReadCatalog,
            Self::Operations => Action::ReadOperations,
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Self::Catalog => "catalog",
            Self::Operations => "operations",
        }
    }
}

/// What a view is at: `tag` changes whenever the view may (an opaque token), and
/// `last_modified` is when it last did, given only once that second is over so that a later
/// change can never share the second a client holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewTag {
    pub tag: String,
    pub last_modified: Option<DateTime<Utc>>,
}

#[derive(Clone)]
pub struct ReadModelService {
    versions: Arc<dyn ReadModelRepository>,
    clock: Arc<dyn Clock>,
}

impl ReadModelService {
    pub fn new(versions: Arc<dyn ReadModelRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { versions, clock }
    }

    /// The tag of `view` as `actor` sees it (its organization and its role: a role may see
    /// less of the same view).
    ///
    /// # Errors
    /// `Forbidden` for a role that cannot read the view; `Unexpected` on storage failure.
    pub async fn tag(&self, actor: &Actor, view: ReadModel) -> Result<ViewTag, ReadModelError> {
        actor.authorize(view.action())?;
        let version = self.versions.read_model_version(actor.tenant_id).await?;
        let now = self.clock.now();
        let period = Duration::seconds(TIME_PERIOD_SECONDS);
        let period_start = now.duration_trunc(period).unwrap_or(now);
        let mut digest = Sha256::new();
        digest.update(view.name());
        digest.update(actor.tenant_id.as_uuid().as_bytes());
        digest.update(actor.role.as_str());
        digest.update(version.tenant.to_be_bytes());
        digest.update(version.catalog.to_be_bytes());
        digest.update(period_start.timestamp().to_be_bytes());
        let tag = hex::encode(&digest.finalize()[..12]);
        let changed = version
            .changed_at
            .map_or(period_start, |at| at.max(period_start));
        let last_modified = (now - changed >= Duration::seconds(1)).then(|| {
            changed
                .duration_trunc(Duration::seconds(1))
                .unwrap_or(changed)
        });
        Ok(ViewTag { tag, last_modified })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_view_is_read_under_its_permission() {
        assert_eq!(ReadModel::Catalog.action(), Action::ReadCatalog);
        assert_eq!(ReadModel::Operations.action(), Action::ReadOperations);
    }
}
