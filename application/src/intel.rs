//! The intel scan: what the catalog imports since the last scan added, changed or revoked,
//! told to the people who plan tests.

use std::sync::Arc;

use aegis_domain::Role;
use aegis_domain::job::{JobKind, JobOutcome};
use aegis_domain::notification::{Notification, NotificationId};
use aegis_domain::page::PageRequest;
use aegis_domain::ports::{CatalogRepository, ImportRun, ImportStatus, TrackedActorRepository};
use aegis_domain::ports::{RepositoryError, UserFilter};
use aegis_domain::user::UserId;
use aegis_domain::workflow::Audience;

use crate::notifications::recipients;
use crate::ports::{Clock, Database, IdGenerator};

/// What a scan found and whom it told.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntelScan {
    /// Successful imports since the previous scan.
    pub imports: u64,
    pub new_techniques: u64,
    pub changed_techniques: u64,
    pub revoked_techniques: u64,
    /// Techniques whose name or description changed, to review.
    pub flagged: Vec<String>,
    /// Tracked actors, over every organization, reported using techniques they were not known
    /// to use.
    pub tracked_actor_news: u64,
    pub notified: u64,
}

#[derive(Clone)]
pub struct IntelService {
    database: Arc<dyn Database>,
    catalog: Arc<dyn CatalogRepository>,
    tracking: Arc<dyn TrackedActorRepository>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

/// The newest imports looked at; the scan runs weekly and imports daily.
const IMPORTS_LOOKED_AT: u64 = 100;
/// Techniques named in a notification; the rest are counted.
const FLAGGED_NAMED: usize = 20;

impl IntelService {
    pub(crate) fn new(
        database: Arc<dyn Database>,
        catalog: Arc<dyn CatalogRepository>,
        tracking: Arc<dyn TrackedActorRepository>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            database,
            catalog,
            tracking,
            clock,
            ids,
        }
    }

    /// Compares the imports that finished since the previous successful scan and notifies
    /// the leads and admins of every organization when anything changed.
    ///
    /// # Errors
    /// `RepositoryError` on storage failure; nobody is notified then.
    pub async fn scan(&self) -> Result<IntelScan, RepositoryError> {
        let previous = self
            .database
            .list_job_runs(
                Some(JobKind::IntelScan),
                Some(JobOutcome::Succeeded),
                PageRequest::new(1, 1),
            )
            .await?
            .items
            .into_iter()
            .next()
            .and_then(|run| run.started_at);
        let imports: Vec<ImportRun> = self
            .catalog
            .list_imports(IMPORTS_LOOKED_AT)
            .await?
            .into_iter()
            .filter(|run| run.status == ImportStatus::Succeeded)
            .filter(|run| match (previous, run.finished_at) {
                (Some(since), Some(finished)) => finished > since,
                (None, Some(_)) => true,
                (_, None) => false,
            })
            .collect();
        let mut scan = IntelScan {
            imports: imports.len() as u64,
            ..IntelScan::default()
        };
        for run in &imports {
            let Some(report) = &run.report else { continue };
            let techniques = &report["counts"]["technique"];
            let number = |key: &str| techniques[key].as_u64().unwrap_or_default();
            scan.new_techniques += number("created");
            scan.changed_techniques += number("updated");
            scan.revoked_techniques += number("revoked");
            if let Some(flagged) = report["flagged_for_review"].as_array() {
                scan.flagged
                    .extend(flagged.iter().filter_map(|v| v.as_str()).map(str::to_owned));
            }
        }
        scan.flagged.sort_unstable();
        scan.flagged.dedup();
        let catalog_changed =
            scan.new_techniques + scan.changed_techniques + scan.revoked_techniques > 0;
        let newest = imports.first().map(|run| run.id.to_string());
        for tenant in self.database.list_tenants().await? {
            let news = self.tracked_actor_news(tenant.id).await?;
            if !catalog_changed && news.is_empty() {
                continue;
            }
            scan.tracked_actor_news += news.len() as u64;
            let uow = self.database.begin().await?;
            let nobody = UserId::from_uuid(uuid::Uuid::nil());
            let mut people =
                recipients(uow.as_ref(), tenant.id, Audience::BothLeads, nobody).await?;
            let admins = uow
                .list_users(
                    tenant.id,
                    &UserFilter {
                        role: Some(Role::Admin),
                        is_active: Some(true),
                        ..UserFilter::default()
                    },
                    PageRequest::new(1, PageRequest::MAX_PER_PAGE),
                )
                .await?;
            people.extend(admins.items.into_iter().map(|u| u.id));
            let now = self.clock.now();
            let catalog_news =
                people
                    .iter()
                    .filter(|_| catalog_changed)
                    .map(|&user_id| Notification {
                        id: NotificationId::from_uuid(self.ids.new_id()),
                        tenant_id: tenant.id,
                        user_id,
                        kind: "intel.catalog_changed".to_owned(),
                        title: format!(
                            "ATT&CK changed: {} new, {} changed, {} revoked techniques",
                            scan.new_techniques, scan.changed_techniques, scan.revoked_techniques
                        ),
                        body: review_list(&scan.flagged),
                        entity_type: Some("catalog_import".to_owned()),
                        entity_id: newest.clone(),
                        created_at: now,
                        read_at: None,
                    });
            let actor_news =
                people
                    .iter()
                    .filter(|_| !news.is_empty())
                    .map(|&user_id| Notification {
                        id: NotificationId::from_uuid(self.ids.new_id()),
                        tenant_id: tenant.id,
                        user_id,
                        kind: "intel.tracked_actor_techniques".to_owned(),
                        title: format!(
                            "{} tracked actors use techniques they were not known to use",
                            news.len()
                        ),
                        body: news
                            .iter()
                            .map(|(tracked, new)| format!("{}: {}", tracked.name, new.join(", ")))
                            .collect::<Vec<_>>()
                            .join("; "),
                        entity_type: Some("threat_actor".to_owned()),
                        entity_id: news
                            .first()
                            .map(|(tracked, _)| tracked.actor_stix_id.clone()),
                        created_at: now,
                        read_at: None,
                    });
            let notifications: Vec<Notification> = catalog_news.chain(actor_news).collect();
            crate::notifications::deliver(uow.as_ref(), tenant.id, &notifications).await?;
            uow.commit().await?;
            scan.notified += notifications.len() as u64;
            // Known only once the leads have been told.
            for (mut tracked, new) in news {
                tracked.known_techniques.extend(new);
                tracked.known_techniques.sort();
                self.tracking
                    .save_tracked_actor(tenant.id, &tracked)
                    .await?;
            }
        }
        Ok(scan)
    }

    /// Each tracked actor of the organization now reported using techniques it was not known
    /// to use, with those techniques.
    async fn tracked_actor_news(
        &self,
        tenant: aegis_domain::tenant::TenantId,
    ) -> Result<Vec<(aegis_domain::threat_intel::TrackedActor, Vec<String>)>, RepositoryError> {
        let mut news = Vec::new();
        for tracked in self.tracking.tracked_actors(tenant).await? {
            let Some(detail) = self
                .catalog
                .find_threat_actor(&tracked.actor_stix_id)
                .await?
            else {
                continue;
            };
            let new = tracked.new_techniques(&detail.technique_ids());
            if !new.is_empty() {
                news.push((tracked, new));
            }
        }
        Ok(news)
    }
}

fn review_list(flagged: &[String]) -> String {
    if flagged.is_empty() {
        return "No technique needs review.".to_owned();
    }
    let named: Vec<&str> = flagged
        .iter()
        .take(FLAGGED_NAMED)
        .map(String::as_str)
        .collect();
    let rest = flagged.len().saturating_sub(FLAGGED_NAMED);
    let mut body = format!(
        "To review (name or description changed): {}",
        named.join(", ")
    );
    if rest > 0 {
        body.push_str(&format!(" and {rest} more"));
    }
    body
}
