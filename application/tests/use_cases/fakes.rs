//! In-memory adapters for use-case tests: a database whose units of work copy the state and
//! swap it back on commit, a fixed clock, counting ids, and a hasher that is not slow.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

use aegis_application::ports::*;
use aegis_domain::Role;
use aegis_domain::audit::{AuditEntry, GENESIS_HASH};
use aegis_domain::campaign::{
    Campaign, CampaignFilter, CampaignId, CampaignRepository, Dependency,
};
use aegis_domain::finding::{Finding, FindingFilter, FindingId, FindingRepository};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::*;
use aegis_domain::session::{RefreshSession, RefreshSessionId, SessionFamilyId};
use aegis_domain::tenant::{AuditHead, Tenant, TenantId, TenantSlug};
use aegis_domain::test_case::{TestCase, TestId, TransitionRecord};
use aegis_domain::user::{Email, User, UserId};

#[derive(Clone, Default)]
pub struct State {
    pub tenants: Vec<Tenant>,
    pub heads: Vec<(TenantId, AuditHead)>,
    pub users: Vec<User>,
    pub sessions: Vec<RefreshSession>,
    pub revoked: Vec<(TenantId, String)>,
    pub idempotency: Vec<IdempotencyRecord>,
    pub audit: Vec<AuditEntry>,
    pub tests: Vec<aegis_domain::test_case::TestCase>,
    pub history: Vec<(aegis_domain::test_case::TestId, TestHistory)>,
    pub notifications: Vec<aegis_domain::notification::Notification>,
    pub evidence: Vec<aegis_domain::evidence::Evidence>,
    pub custody: Vec<aegis_domain::evidence::CustodyEvent>,
    pub pending_objects: Vec<aegis_domain::evidence::PendingObject>,
    pub scores: Vec<(TenantId, aegis_domain::scoring::StoredScore)>,
    pub job_runs: Vec<aegis_domain::job::JobRun>,
    pub snapshots: Vec<aegis_domain::snapshot::PostureSnapshot>,
    pub campaigns: Vec<Campaign>,
    pub dependencies: Vec<(TenantId, Dependency)>,
    pub findings: Vec<Finding>,
}

/// Shared state; a unit of work holds a private copy until it commits.
#[derive(Clone, Default)]
pub struct MemoryDatabase {
    pub state: Arc<Mutex<State>>,
}

pub struct MemoryUnitOfWork {
    shared: Arc<Mutex<State>>,
    local: Mutex<State>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub trait HasState: Send + Sync {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T;
}

impl HasState for MemoryDatabase {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut lock(&self.state))
    }
}

impl HasState for MemoryUnitOfWork {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut lock(&self.local))
    }
}

fn history_of(state: &mut State, test: aegis_domain::test_case::TestId) -> &mut TestHistory {
    if let Some(index) = state.history.iter().position(|(id, _)| *id == test) {
        return &mut state.history[index].1;
    }
    state.history.push((test, TestHistory::default()));
    let last = state.history.len() - 1;
    &mut state.history[last].1
}

macro_rules! repositories {
    ($target:ty) => {
        #[async_trait]
        impl TenantRepository for $target {
            async fn find_tenant(
                &self,
                tenant: TenantId,
            ) -> Result<Option<Tenant>, RepositoryError> {
                Ok(self.with(|s| s.tenants.iter().find(|t| t.id == tenant).cloned()))
            }
            async fn find_tenant_by_slug(
                &self,
                slug: &TenantSlug,
            ) -> Result<Option<Tenant>, RepositoryError> {
                Ok(self.with(|s| s.tenants.iter().find(|t| &t.slug == slug).cloned()))
            }
            async fn list_tenants(&self) -> Result<Vec<Tenant>, RepositoryError> {
                Ok(self.with(|s| s.tenants.clone()))
            }
            async fn insert_tenant(&self, tenant: &Tenant) -> Result<(), RepositoryError> {
                self.with(|s| {
                    s.tenants.push(tenant.clone());
                    s.heads.push((
                        tenant.id,
                        AuditHead {
                            sequence: 0,
                            hash: GENESIS_HASH.to_owned(),
                        },
                    ));
                });
                Ok(())
            }
        }

        #[async_trait]
        impl CoverageRepository for $target {
            async fn tests_of_technique(
                &self,
                tenant: TenantId,
                technique: &aegis_domain::catalog::TechniqueId,
            ) -> Result<Vec<aegis_domain::test_case::TestCase>, RepositoryError> {
                Ok(self.with(|s| {
                    s.tests
                        .iter()
                        .filter(|t| t.tenant_id == tenant && &t.technique_id == technique)
                        .cloned()
                        .collect()
                }))
            }
            async fn save_technique_score(
                &self,
                tenant: TenantId,
                score: &aegis_domain::scoring::StoredScore,
            ) -> Result<(), RepositoryError> {
                self.with(|s| {
                    s.scores.retain(|(t, stored)| {
                        *t != tenant || stored.technique_id != score.technique_id
                    });
                    s.scores.push((tenant, score.clone()));
                });
                Ok(())
            }
            async fn technique_score(
                &self,
                tenant: TenantId,
                technique: &aegis_domain::catalog::TechniqueId,
            ) -> Result<Option<aegis_domain::scoring::StoredScore>, RepositoryError> {
                Ok(self.with(|s| {
                    s.scores
                        .iter()
                        .find(|(t, stored)| *t == tenant && &stored.technique_id == technique)
                        .map(|(_, stored)| stored.clone())
                }))
            }
            async fn technique_scores(
                &self,
                tenant: TenantId,
            ) -> Result<Vec<aegis_domain::scoring::StoredScore>, RepositoryError> {
                Ok(self.with(|s| {
                    s.scores
                        .iter()
                        .filter(|(t, _)| *t == tenant)
                        .map(|(_, stored)| stored.clone())
                        .collect()
                }))
            }
            async fn detection_rules_of(
                &self,
                _technique: &str,
            ) -> Result<Vec<aegis_domain::detection::RuleSummary>, RepositoryError> {
                Ok(Vec::new())
            }
            async fn countermeasure_count(&self, _technique: &str) -> Result<u32, RepositoryError> {
                Ok(0)
            }
        }

        #[async_trait]
        impl EvidenceRepository for $target {
            async fn insert_evidence(
                &self,
                _tenant: TenantId,
                item: &aegis_domain::evidence::Evidence,
            ) -> Result<(), RepositoryError> {
                self.with(|s| s.evidence.push(item.clone()));
                Ok(())
            }
            async fn find_evidence(
                &self,
                tenant: TenantId,
                id: aegis_domain::evidence::EvidenceId,
            ) -> Result<Option<aegis_domain::evidence::Evidence>, RepositoryError> {
                Ok(self.with(|s| {
                    s.evidence
                        .iter()
                        .find(|e| e.tenant_id == tenant && e.id == id)
                        .cloned()
                }))
            }
            async fn list_evidence(
                &self,
                tenant: TenantId,
                test: aegis_domain::test_case::TestId,
            ) -> Result<Vec<aegis_domain::evidence::Evidence>, RepositoryError> {
                Ok(self.with(|s| {
                    s.evidence
                        .iter()
                        .filter(|e| e.tenant_id == tenant && e.test_id == test)
                        .cloned()
                        .collect()
                }))
            }
            async fn mark_evidence_deleted(
                &self,
                tenant: TenantId,
                item: &aegis_domain::evidence::Evidence,
            ) -> Result<(), RepositoryError> {
                self.with(|s| {
                    for e in s
                        .evidence
                        .iter_mut()
                        .filter(|e| e.tenant_id == tenant && e.id == item.id)
                    {
                        *e = item.clone();
                    }
                });
                Ok(())
            }
            async fn insert_custody_event(
                &self,
                _tenant: TenantId,
                event: &aegis_domain::evidence::CustodyEvent,
            ) -> Result<(), RepositoryError> {
                self.with(|s| s.custody.push(event.clone()));
                Ok(())
            }
            async fn custody_log(
                &self,
                _tenant: TenantId,
                id: aegis_domain::evidence::EvidenceId,
            ) -> Result<Vec<aegis_domain::evidence::CustodyEvent>, RepositoryError> {
                Ok(self.with(|s| {
                    s.custody
                        .iter()
                        .filter(|c| c.evidence_id == id)
                        .cloned()
                        .collect()
                }))
            }
            async fn record_pending_object(
                &self,
                object: &aegis_domain::evidence::PendingObject,
            ) -> Result<(), RepositoryError> {
                self.with(|s| s.pending_objects.push(object.clone()));
                Ok(())
            }
            async fn claim_pending_object(&self, key: &str) -> Result<bool, RepositoryError> {
                Ok(self.with(|s| {
                    let before = s.pending_objects.len();
                    s.pending_objects.retain(|p| p.object_key != key);
                    s.pending_objects.len() < before
                }))
            }
            async fn pending_objects(
                &self,
                recorded_before: chrono::DateTime<chrono::Utc>,
                limit: u64,
            ) -> Result<Vec<aegis_domain::evidence::PendingObject>, RepositoryError> {
                Ok(self.with(|s| {
                    s.pending_objects
                        .iter()
                        .filter(|p| p.recorded_at < recorded_before)
                        .take(usize::try_from(limit).unwrap_or(usize::MAX))
                        .cloned()
                        .collect()
                }))
            }
        }

        #[async_trait]
        impl JobRunRepository for $target {
            async fn insert_job_run(
                &self,
                run: &aegis_domain::job::JobRun,
            ) -> Result<bool, RepositoryError> {
                Ok(self.with(|s| {
                    if s.job_runs.iter().any(|r| r.run_key == run.run_key) {
                        return false;
                    }
                    s.job_runs.push(run.clone());
                    true
                }))
            }
            async fn find_job_run(
                &self,
                id: uuid::Uuid,
            ) -> Result<Option<aegis_domain::job::JobRun>, RepositoryError> {
                Ok(self.with(|s| s.job_runs.iter().find(|r| r.id == id).cloned()))
            }
            async fn find_job_run_by_key(
                &self,
                run_key: &str,
            ) -> Result<Option<aegis_domain::job::JobRun>, RepositoryError> {
                Ok(self.with(|s| s.job_runs.iter().find(|r| r.run_key == run_key).cloned()))
            }
            async fn start_job_attempt(
                &self,
                run: &aegis_domain::job::JobRun,
            ) -> Result<bool, RepositoryError> {
                Ok(
                    self.with(|s| match s.job_runs.iter_mut().find(|r| r.id == run.id) {
                        Some(stored)
                            if stored.attempts + 1 == run.attempts
                                && !stored.outcome.is_final() =>
                        {
                            *stored = run.clone();
                            true
                        }
                        _ => false,
                    }),
                )
            }
            async fn update_job_run(
                &self,
                run: &aegis_domain::job::JobRun,
            ) -> Result<(), RepositoryError> {
                self.with(|s| match s.job_runs.iter_mut().find(|r| r.id == run.id) {
                    Some(stored) => {
                        *stored = run.clone();
                        Ok(())
                    }
                    None => Err(RepositoryError::NotFound("job run".to_owned())),
                })
            }
            async fn list_job_runs(
                &self,
                kind: Option<aegis_domain::job::JobKind>,
                outcome: Option<aegis_domain::job::JobOutcome>,
                page: PageRequest,
            ) -> Result<Page<aegis_domain::job::JobRun>, RepositoryError> {
                let mut items: Vec<_> = self.with(|s| {
                    s.job_runs
                        .iter()
                        .filter(|r| kind.is_none_or(|k| r.kind == k))
                        .filter(|r| outcome.is_none_or(|o| r.outcome == o))
                        .cloned()
                        .collect()
                });
                items.reverse();
                Ok(Page {
                    total: items.len() as u64,
                    items,
                    request: page,
                })
            }
            async fn latest_job_runs(
                &self,
            ) -> Result<Vec<aegis_domain::job::JobRun>, RepositoryError> {
                Ok(self.with(|s| {
                    aegis_domain::job::JobKind::ALL
                        .iter()
                        .filter_map(|k| s.job_runs.iter().rev().find(|r| r.kind == *k).cloned())
                        .collect()
                }))
            }
            async fn waiting_job_runs(
                &self,
            ) -> Result<Vec<aegis_domain::job::JobRun>, RepositoryError> {
                Ok(self.with(|s| {
                    s.job_runs
                        .iter()
                        .filter(|r| {
                            matches!(
                                r.outcome,
                                aegis_domain::job::JobOutcome::Queued
                                    | aegis_domain::job::JobOutcome::Retrying
                            )
                        })
                        .cloned()
                        .collect()
                }))
            }
        }

        #[async_trait]
        impl MetricsRepository for $target {
            async fn test_facts(
                &self,
                tenant: TenantId,
            ) -> Result<Vec<aegis_domain::metrics::TestFacts>, RepositoryError> {
                Ok(self.with(|s| {
                    s.tests
                        .iter()
                        .filter(|t| t.tenant_id == tenant)
                        .map(|t| aegis_domain::metrics::TestFacts {
                            technique_id: t.technique_id.clone(),
                            state: t.workflow.state(),
                            created_by: t.created_by,
                            created_at: t.created_at,
                            red_started_at: t.red_clock.started_at,
                            red_executed_at: t.red.executed_at,
                            blue_detected_at: t.blue.detected_at,
                            outcome: t.blue.outcome,
                            validated_at: t.validated_at,
                        })
                        .collect()
                }))
            }
            async fn workflow_actions_by_actor(
                &self,
                _tenant: TenantId,
                since: DateTime<Utc>,
            ) -> Result<Vec<(UserId, String, u64)>, RepositoryError> {
                Ok(self.with(|s| {
                    s.history
                        .iter()
                        .flat_map(|(_, h)| h.transitions.iter())
                        .filter(|t| t.occurred_at >= since)
                        .map(|t| (t.actor, t.action.clone(), 1))
                        .collect()
                }))
            }
            async fn recent_activity(
                &self,
                tenant: TenantId,
                limit: u64,
            ) -> Result<Vec<aegis_domain::metrics::ActivityItem>, RepositoryError> {
                Ok(self.with(|s| {
                    let mut items: Vec<_> = s
                        .history
                        .iter()
                        .flat_map(|(id, h)| h.transitions.iter().map(move |t| (*id, t)))
                        .filter_map(|(id, t)| {
                            let test = s
                                .tests
                                .iter()
                                .find(|x| x.id == id && x.tenant_id == tenant)?;
                            Some(aegis_domain::metrics::ActivityItem {
                                test_id: id,
                                test_title: test.title.clone(),
                                technique_id: test.technique_id.clone(),
                                actor: t.actor,
                                action: t.action.clone(),
                                from: t.from.clone(),
                                to: t.to.clone(),
                                at: t.occurred_at,
                            })
                        })
                        .collect();
                    items.sort_by(|a, b| b.at.cmp(&a.at));
                    items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
                    items
                }))
            }
        }

        #[async_trait]
        impl SnapshotRepository for $target {
            async fn insert_snapshot(
                &self,
                snapshot: &aegis_domain::snapshot::PostureSnapshot,
            ) -> Result<(), RepositoryError> {
                self.with(|s| s.snapshots.push(snapshot.clone()));
                Ok(())
            }
            async fn list_snapshots(
                &self,
                tenant: TenantId,
                from: Option<DateTime<Utc>>,
                to: Option<DateTime<Utc>>,
                page: PageRequest,
            ) -> Result<Page<aegis_domain::snapshot::PostureSnapshot>, RepositoryError> {
                let mut items: Vec<_> = self.with(|s| {
                    s.snapshots
                        .iter()
                        .filter(|x| x.tenant_id == tenant)
                        .filter(|x| from.is_none_or(|f| x.taken_at >= f))
                        .filter(|x| to.is_none_or(|t| x.taken_at <= t))
                        .cloned()
                        .collect()
                });
                items.reverse();
                Ok(Page {
                    total: items.len() as u64,
                    items,
                    request: page,
                })
            }
            async fn find_snapshot(
                &self,
                tenant: TenantId,
                id: uuid::Uuid,
            ) -> Result<Option<aegis_domain::snapshot::PostureSnapshot>, RepositoryError> {
                Ok(self.with(|s| {
                    s.snapshots
                        .iter()
                        .find(|x| x.tenant_id == tenant && x.id == id)
                        .cloned()
                }))
            }
            async fn delete_snapshot(
                &self,
                tenant: TenantId,
                id: uuid::Uuid,
            ) -> Result<bool, RepositoryError> {
                Ok(self.with(|s| {
                    let before = s.snapshots.len();
                    s.snapshots
                        .retain(|x| !(x.tenant_id == tenant && x.id == id));
                    s.snapshots.len() < before
                }))
            }
        }

        #[async_trait]
        impl NotificationRepository for $target {
            async fn delete_read_notifications(
                &self,
                tenant: TenantId,
                cutoff: DateTime<Utc>,
            ) -> Result<u64, RepositoryError> {
                Ok(self.with(|s| {
                    let before = s.notifications.len();
                    s.notifications.retain(|n| {
                        !(n.tenant_id == tenant && n.read_at.is_some_and(|at| at < cutoff))
                    });
                    (before - s.notifications.len()) as u64
                }))
            }
            async fn insert_notifications(
                &self,
                _tenant: TenantId,
                items: &[aegis_domain::notification::Notification],
            ) -> Result<(), RepositoryError> {
                self.with(|s| s.notifications.extend_from_slice(items));
                Ok(())
            }
            async fn list_notifications(
                &self,
                tenant: TenantId,
                user: UserId,
                unread_only: bool,
                page: PageRequest,
            ) -> Result<Page<aegis_domain::notification::Notification>, RepositoryError> {
                let items: Vec<_> = self.with(|s| {
                    s.notifications
                        .iter()
                        .filter(|n| {
                            n.tenant_id == tenant
                                && n.user_id == user
                                && (!unread_only || n.read_at.is_none())
                        })
                        .cloned()
                        .collect()
                });
                Ok(Page {
                    total: items.len() as u64,
                    items,
                    request: page,
                })
            }
            async fn count_unread_notifications(
                &self,
                tenant: TenantId,
                user: UserId,
            ) -> Result<u64, RepositoryError> {
                Ok(self.with(|s| {
                    s.notifications
                        .iter()
                        .filter(|n| {
                            n.tenant_id == tenant && n.user_id == user && n.read_at.is_none()
                        })
                        .count() as u64
                }))
            }
            async fn mark_notifications_read(
                &self,
                tenant: TenantId,
                user: UserId,
                only: Option<aegis_domain::notification::NotificationId>,
                at: DateTime<Utc>,
            ) -> Result<u64, RepositoryError> {
                Ok(self.with(|s| {
                    let mut changed = 0;
                    for n in s.notifications.iter_mut().filter(|n| {
                        n.tenant_id == tenant
                            && n.user_id == user
                            && n.read_at.is_none()
                            && only.is_none_or(|id| id == n.id)
                    }) {
                        n.read_at = Some(at);
                        changed += 1;
                    }
                    changed
                }))
            }
        }

        #[async_trait]
        impl TestRepository for $target {
            async fn insert_test(
                &self,
                _tenant: TenantId,
                test: &aegis_domain::test_case::TestCase,
            ) -> Result<(), RepositoryError> {
                self.with(|s| s.tests.push(test.clone()));
                Ok(())
            }
            async fn find_test(
                &self,
                tenant: TenantId,
                id: aegis_domain::test_case::TestId,
            ) -> Result<Option<aegis_domain::test_case::TestCase>, RepositoryError> {
                Ok(self.with(|s| {
                    s.tests
                        .iter()
                        .find(|t| t.tenant_id == tenant && t.id == id)
                        .cloned()
                }))
            }
            async fn update_test(
                &self,
                tenant: TenantId,
                test: &aegis_domain::test_case::TestCase,
                expected: i32,
            ) -> Result<(), RepositoryError> {
                self.with(|s| {
                    match s
                        .tests
                        .iter_mut()
                        .find(|t| t.tenant_id == tenant && t.id == test.id)
                    {
                        Some(stored) if stored.version == expected => {
                            *stored = test.clone();
                            Ok(())
                        }
                        Some(_) => Err(RepositoryError::Duplicate("version".into())),
                        None => Err(RepositoryError::NotFound("test".into())),
                    }
                })
            }
            async fn delete_test(
                &self,
                tenant: TenantId,
                id: aegis_domain::test_case::TestId,
            ) -> Result<(), RepositoryError> {
                self.with(|s| s.tests.retain(|t| !(t.tenant_id == tenant && t.id == id)));
                Ok(())
            }
            async fn list_tests(
                &self,
                tenant: TenantId,
                _filter: &TestFilter,
                page: PageRequest,
            ) -> Result<Page<aegis_domain::test_case::TestCase>, RepositoryError> {
                let items: Vec<_> = self.with(|s| {
                    s.tests
                        .iter()
                        .filter(|t| t.tenant_id == tenant)
                        .cloned()
                        .collect()
                });
                Ok(Page {
                    total: items.len() as u64,
                    items,
                    request: page,
                })
            }
            async fn insert_transition(
                &self,
                _tenant: TenantId,
                record: &aegis_domain::test_case::TransitionRecord,
            ) -> Result<(), RepositoryError> {
                self.with(|s| {
                    history_of(s, record.test_id)
                        .transitions
                        .push(record.clone())
                });
                Ok(())
            }
            async fn insert_worklog(
                &self,
                _tenant: TenantId,
                worklog: &aegis_domain::test_case::Worklog,
            ) -> Result<(), RepositoryError> {
                self.with(|s| {
                    history_of(s, worklog.test_id)
                        .worklogs
                        .push(worklog.clone())
                });
                Ok(())
            }
            async fn insert_comment(
                &self,
                _tenant: TenantId,
                comment: &aegis_domain::test_case::Comment,
            ) -> Result<(), RepositoryError> {
                self.with(|s| {
                    history_of(s, comment.test_id)
                        .comments
                        .push(comment.clone())
                });
                Ok(())
            }
            async fn test_history(
                &self,
                _tenant: TenantId,
                id: aegis_domain::test_case::TestId,
            ) -> Result<TestHistory, RepositoryError> {
                Ok(self.with(|s| history_of(s, id).clone()))
            }
        }

        #[async_trait]
        impl UserRepository for $target {
            async fn find_user_for_login(
                &self,
                email: &Email,
            ) -> Result<Option<User>, RepositoryError> {
                Ok(self.with(|s| s.users.iter().find(|u| &u.email == email).cloned()))
            }
            async fn find_user(
                &self,
                tenant: TenantId,
                user: UserId,
            ) -> Result<Option<User>, RepositoryError> {
                Ok(self.with(|s| {
                    s.users
                        .iter()
                        .find(|u| u.tenant_id == tenant && u.id == user)
                        .cloned()
                }))
            }
            async fn find_user_by_email(
                &self,
                tenant: TenantId,
                email: &Email,
            ) -> Result<Option<User>, RepositoryError> {
                Ok(self.with(|s| {
                    s.users
                        .iter()
                        .find(|u| u.tenant_id == tenant && &u.email == email)
                        .cloned()
                }))
            }
            async fn list_users(
                &self,
                tenant: TenantId,
                filter: &UserFilter,
                page: PageRequest,
            ) -> Result<Page<User>, RepositoryError> {
                let items: Vec<User> = self.with(|s| {
                    s.users
                        .iter()
                        .filter(|u| u.tenant_id == tenant)
                        .filter(|u| filter.role.is_none_or(|r| u.role == r))
                        .filter(|u| filter.is_active.is_none_or(|a| u.is_active == a))
                        .cloned()
                        .collect()
                });
                Ok(Page {
                    total: items.len() as u64,
                    items,
                    request: page,
                })
            }
            async fn count_usable_admins(
                &self,
                tenant: TenantId,
                except: Option<UserId>,
                now: DateTime<Utc>,
            ) -> Result<u64, RepositoryError> {
                Ok(self.with(|s| {
                    s.users
                        .iter()
                        .filter(|u| {
                            u.tenant_id == tenant && Some(u.id) != except && u.is_usable_admin(now)
                        })
                        .count() as u64
                }))
            }
            async fn insert_user(
                &self,
                _tenant: TenantId,
                user: &User,
            ) -> Result<(), RepositoryError> {
                self.with(|s| {
                    if s.users.iter().any(|u| u.email == user.email) {
                        return Err(RepositoryError::Duplicate("email".into()));
                    }
                    s.users.push(user.clone());
                    Ok(())
                })
            }
            async fn update_user(
                &self,
                tenant: TenantId,
                user: &User,
            ) -> Result<(), RepositoryError> {
                self.with(|s| {
                    match s
                        .users
                        .iter_mut()
                        .find(|u| u.tenant_id == tenant && u.id == user.id)
                    {
                        Some(existing) => {
                            *existing = user.clone();
                            Ok(())
                        }
                        None => Err(RepositoryError::NotFound("user".into())),
                    }
                })
            }
        }

        #[async_trait]
        impl RefreshSessionRepository for $target {
            async fn insert_refresh_session(
                &self,
                _tenant: TenantId,
                session: &RefreshSession,
            ) -> Result<(), RepositoryError> {
                self.with(|s| s.sessions.push(session.clone()));
                Ok(())
            }
            async fn find_refresh_session(
                &self,
                tenant: TenantId,
                token_hash: &str,
            ) -> Result<Option<RefreshSession>, RepositoryError> {
                Ok(self.with(|s| {
                    s.sessions
                        .iter()
                        .find(|x| x.tenant_id == tenant && x.token_hash == token_hash)
                        .cloned()
                }))
            }
            async fn mark_refresh_session_used(
                &self,
                _tenant: TenantId,
                session: RefreshSessionId,
                at: DateTime<Utc>,
            ) -> Result<(), RepositoryError> {
                self.with(|s| {
                    s.sessions
                        .iter_mut()
                        .filter(|x| x.id == session)
                        .for_each(|x| x.used_at = Some(at))
                });
                Ok(())
            }
            async fn revoke_session_family(
                &self,
                _tenant: TenantId,
                family: SessionFamilyId,
                at: DateTime<Utc>,
            ) -> Result<(), RepositoryError> {
                self.with(|s| {
                    s.sessions
                        .iter_mut()
                        .filter(|x| x.family_id == family)
                        .for_each(|x| x.revoked_at = Some(at))
                });
                Ok(())
            }
            async fn revoke_user_sessions(
                &self,
                _tenant: TenantId,
                user: UserId,
                keep: Option<SessionFamilyId>,
                at: DateTime<Utc>,
            ) -> Result<(), RepositoryError> {
                self.with(|s| {
                    s.sessions
                        .iter_mut()
                        .filter(|x| x.user_id == user && Some(x.family_id) != keep)
                        .for_each(|x| x.revoked_at = Some(at))
                });
                Ok(())
            }
        }

        #[async_trait]
        impl RevokedTokenRepository for $target {
            async fn revoke_access_token(
                &self,
                tenant: TenantId,
                jti: &str,
                _user: UserId,
                _expires_at: DateTime<Utc>,
            ) -> Result<(), RepositoryError> {
                self.with(|s| s.revoked.push((tenant, jti.to_owned())));
                Ok(())
            }
            async fn is_access_token_revoked(
                &self,
                tenant: TenantId,
                jti: &str,
            ) -> Result<bool, RepositoryError> {
                Ok(self.with(|s| s.revoked.iter().any(|(t, j)| *t == tenant && j == jti)))
            }
        }

        #[async_trait]
        impl IdempotencyRepository for $target {
            async fn find_idempotency_record(
                &self,
                tenant: TenantId,
                actor: UserId,
                scope: &str,
                key: &str,
            ) -> Result<Option<IdempotencyRecord>, RepositoryError> {
                Ok(self.with(|s| {
                    s.idempotency
                        .iter()
                        .find(|r| {
                            r.tenant_id == tenant
                                && r.actor_id == actor
                                && r.scope == scope
                                && r.key == key
                        })
                        .cloned()
                }))
            }
            async fn insert_idempotency_record(
                &self,
                _tenant: TenantId,
                record: &IdempotencyRecord,
            ) -> Result<(), RepositoryError> {
                self.with(|s| s.idempotency.push(record.clone()));
                Ok(())
            }
        }

        #[async_trait]
        impl CampaignRepository for $target {
            async fn insert_campaign(
                &self,
                _tenant: TenantId,
                campaign: &Campaign,
            ) -> Result<(), RepositoryError> {
                self.with(|s| {
                    if campaign.predecessor_id.is_some()
                        && s.campaigns
                            .iter()
                            .any(|c| c.predecessor_id == campaign.predecessor_id)
                    {
                        return Err(RepositoryError::Duplicate("predecessor".into()));
                    }
                    s.campaigns.push(campaign.clone());
                    Ok(())
                })
            }
            async fn find_campaign(
                &self,
                tenant: TenantId,
                id: CampaignId,
            ) -> Result<Option<Campaign>, RepositoryError> {
                Ok(self.with(|s| {
                    s.campaigns
                        .iter()
                        .find(|c| c.tenant_id == tenant && c.id == id)
                        .cloned()
                }))
            }
            async fn update_campaign(
                &self,
                tenant: TenantId,
                campaign: &Campaign,
                expected: i32,
            ) -> Result<(), RepositoryError> {
                self.with(|s| {
                    match s
                        .campaigns
                        .iter_mut()
                        .find(|c| c.tenant_id == tenant && c.id == campaign.id)
                    {
                        Some(stored) if stored.version == expected => {
                            *stored = campaign.clone();
                            Ok(())
                        }
                        Some(_) => Err(RepositoryError::Duplicate("version".into())),
                        None => Err(RepositoryError::NotFound("campaign".into())),
                    }
                })
            }
            async fn delete_campaign(
                &self,
                tenant: TenantId,
                id: CampaignId,
            ) -> Result<(), RepositoryError> {
                self.with(|s| {
                    s.campaigns
                        .retain(|c| !(c.tenant_id == tenant && c.id == id));
                    for test in &mut s.tests {
                        if test.campaign_id == Some(id.as_uuid()) {
                            test.campaign_id = None;
                        }
                    }
                });
                Ok(())
            }
            async fn list_campaigns(
                &self,
                tenant: TenantId,
                filter: &CampaignFilter,
                page: PageRequest,
            ) -> Result<Page<Campaign>, RepositoryError> {
                let items: Vec<Campaign> = self.with(|s| {
                    s.campaigns
                        .iter()
                        .filter(|c| c.tenant_id == tenant)
                        .filter(|c| filter.status.is_none_or(|st| c.status == st))
                        .cloned()
                        .collect()
                });
                Ok(Page {
                    total: items.len() as u64,
                    items,
                    request: page,
                })
            }
            async fn due_campaigns(
                &self,
                tenant: TenantId,
                now: DateTime<Utc>,
            ) -> Result<Vec<Campaign>, RepositoryError> {
                Ok(self.with(|s| {
                    s.campaigns
                        .iter()
                        .filter(|c| c.tenant_id == tenant && c.is_due(now))
                        .cloned()
                        .collect()
                }))
            }
            async fn successor_of(
                &self,
                tenant: TenantId,
                id: CampaignId,
            ) -> Result<Option<Campaign>, RepositoryError> {
                Ok(self.with(|s| {
                    s.campaigns
                        .iter()
                        .find(|c| c.tenant_id == tenant && c.predecessor_id == Some(id))
                        .cloned()
                }))
            }
            async fn tests_of_campaign(
                &self,
                tenant: TenantId,
                id: CampaignId,
            ) -> Result<Vec<TestCase>, RepositoryError> {
                Ok(self.with(|s| {
                    s.tests
                        .iter()
                        .filter(|t| t.tenant_id == tenant && t.campaign_id == Some(id.as_uuid()))
                        .cloned()
                        .collect()
                }))
            }
            async fn transitions_of_campaign(
                &self,
                tenant: TenantId,
                id: CampaignId,
            ) -> Result<Vec<TransitionRecord>, RepositoryError> {
                Ok(self.with(|s| {
                    let tests: Vec<TestId> = s
                        .tests
                        .iter()
                        .filter(|t| t.tenant_id == tenant && t.campaign_id == Some(id.as_uuid()))
                        .map(|t| t.id)
                        .collect();
                    s.history
                        .iter()
                        .filter(|(test, _)| tests.contains(test))
                        .flat_map(|(_, h)| h.transitions.clone())
                        .collect()
                }))
            }
            async fn dependencies_in_campaign(
                &self,
                tenant: TenantId,
                id: CampaignId,
            ) -> Result<Vec<Dependency>, RepositoryError> {
                Ok(self.with(|s| {
                    s.dependencies
                        .iter()
                        .filter(|(t, e)| {
                            *t == tenant
                                && s.tests.iter().any(|test| {
                                    test.id == e.test && test.campaign_id == Some(id.as_uuid())
                                })
                        })
                        .map(|(_, e)| *e)
                        .collect()
                }))
            }
            async fn replace_dependencies(
                &self,
                tenant: TenantId,
                test: TestId,
                depends_on: &[TestId],
            ) -> Result<(), RepositoryError> {
                self.with(|s| {
                    s.dependencies
                        .retain(|(t, e)| !(*t == tenant && e.test == test));
                    s.dependencies.extend(depends_on.iter().map(|d| {
                        (
                            tenant,
                            Dependency {
                                test,
                                depends_on: *d,
                            },
                        )
                    }));
                });
                Ok(())
            }
            async fn drop_dependencies_of(
                &self,
                tenant: TenantId,
                test: TestId,
            ) -> Result<(), RepositoryError> {
                self.with(|s| {
                    s.dependencies.retain(|(t, e)| {
                        !(*t == tenant && (e.test == test || e.depends_on == test))
                    })
                });
                Ok(())
            }
        }

        #[async_trait]
        impl FindingRepository for $target {
            async fn insert_finding(
                &self,
                _tenant: TenantId,
                finding: &Finding,
            ) -> Result<(), RepositoryError> {
                self.with(|s| s.findings.push(finding.clone()));
                Ok(())
            }
            async fn find_finding(
                &self,
                tenant: TenantId,
                id: FindingId,
            ) -> Result<Option<Finding>, RepositoryError> {
                Ok(self.with(|s| {
                    s.findings
                        .iter()
                        .find(|f| f.tenant_id == tenant && f.id == id)
                        .cloned()
                }))
            }
            async fn update_finding(
                &self,
                tenant: TenantId,
                finding: &Finding,
                expected: i32,
            ) -> Result<(), RepositoryError> {
                self.with(|s| {
                    match s
                        .findings
                        .iter_mut()
                        .find(|f| f.tenant_id == tenant && f.id == finding.id)
                    {
                        Some(stored) if stored.version == expected => {
                            *stored = finding.clone();
                            Ok(())
                        }
                        Some(_) => Err(RepositoryError::Duplicate("version".into())),
                        None => Err(RepositoryError::NotFound("finding".into())),
                    }
                })
            }
            async fn list_findings(
                &self,
                tenant: TenantId,
                filter: &FindingFilter,
                page: PageRequest,
            ) -> Result<Page<Finding>, RepositoryError> {
                let items: Vec<Finding> = self.with(|s| {
                    s.findings
                        .iter()
                        .filter(|f| f.tenant_id == tenant)
                        .filter(|f| filter.status.is_none_or(|st| f.status == st))
                        .cloned()
                        .collect()
                });
                Ok(Page {
                    total: items.len() as u64,
                    items,
                    request: page,
                })
            }
            async fn findings_of_test(
                &self,
                tenant: TenantId,
                test: TestId,
            ) -> Result<Vec<Finding>, RepositoryError> {
                Ok(self.with(|s| {
                    s.findings
                        .iter()
                        .filter(|f| {
                            f.tenant_id == tenant
                                && (f.test_id == test || f.retest_id == Some(test))
                        })
                        .cloned()
                        .collect()
                }))
            }
        }

        #[async_trait]
        impl AuditLogRepository for $target {
            async fn lock_audit_head(
                &self,
                tenant: TenantId,
            ) -> Result<AuditHead, RepositoryError> {
                self.with(|s| {
                    s.heads
                        .iter()
                        .find(|(t, _)| *t == tenant)
                        .map(|(_, h)| h.clone())
                })
                .ok_or_else(|| RepositoryError::NotFound("tenant".into()))
            }
            async fn append_audit_entry(
                &self,
                tenant: TenantId,
                entry: &AuditEntry,
            ) -> Result<(), RepositoryError> {
                self.with(|s| {
                    s.audit.push(entry.clone());
                    for (t, head) in &mut s.heads {
                        if *t == tenant {
                            *head = AuditHead {
                                sequence: entry.sequence,
                                hash: entry.hash.clone(),
                            };
                        }
                    }
                });
                Ok(())
            }
            async fn list_audit_entries(
                &self,
                tenant: TenantId,
                _filter: &AuditFilter,
                page: PageRequest,
            ) -> Result<Page<AuditEntry>, RepositoryError> {
                let mut items: Vec<AuditEntry> = self.with(|s| {
                    s.audit
                        .iter()
                        .filter(|e| e.record.tenant_id == tenant)
                        .cloned()
                        .collect()
                });
                items.reverse();
                Ok(Page {
                    total: items.len() as u64,
                    items,
                    request: page,
                })
            }
            async fn audit_chain_batch(
                &self,
                tenant: TenantId,
                after: i64,
                limit: u64,
            ) -> Result<Vec<AuditEntry>, RepositoryError> {
                Ok(self.with(|s| {
                    s.audit
                        .iter()
                        .filter(|e| e.record.tenant_id == tenant && e.sequence > after)
                        .take(usize::try_from(limit).unwrap_or(usize::MAX))
                        .cloned()
                        .collect()
                }))
            }
        }
    };
}

repositories!(MemoryDatabase);
repositories!(MemoryUnitOfWork);

#[async_trait]
impl UnitOfWork for MemoryUnitOfWork {
    async fn commit(self: Box<Self>) -> Result<(), RepositoryError> {
        let local = lock(&self.local).clone();
        *lock(&self.shared) = local;
        Ok(())
    }
}

#[async_trait]
impl Database for MemoryDatabase {
    async fn begin(&self) -> Result<Box<dyn UnitOfWork>, RepositoryError> {
        let local = lock(&self.state).clone();
        Ok(Box::new(MemoryUnitOfWork {
            shared: self.state.clone(),
            local: Mutex::new(local),
        }))
    }
    async fn ping(&self) -> Result<(), RepositoryError> {
        Ok(())
    }
}

/// "Hashes" by prefixing: the use cases only need hash and verify to agree.
pub struct PlainHasher;

#[async_trait]
impl PasswordHasher for PlainHasher {
    async fn hash(&self, password: &str) -> Result<String, HashingError> {
        Ok(format!("plain:{password}"))
    }
    async fn verify(&self, password: &str, hash: &str) -> bool {
        hash.strip_prefix("plain:") == Some(password)
    }
}

/// Tokens are the claims' fields joined by `|`; good enough to round-trip in tests.
pub struct TransparentTokens {
    pub clock: Arc<FixedClock>,
}

impl TokenService for TransparentTokens {
    fn issue(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        Ok(format!(
            "{}|{}|{}|{}|{}|{}|{}",
            claims.user_id,
            claims.tenant_id,
            claims.role,
            claims.jti,
            claims.session_family,
            claims.issued_at.timestamp(),
            claims.expires_at.timestamp()
        ))
    }
    fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let parts: Vec<&str> = token.split('|').collect();
        let [user, tenant, role, jti, family, iat, exp] = parts.as_slice() else {
            return Err(TokenError::Invalid);
        };
        let time = |t: &str| {
            t.parse::<i64>()
                .ok()
                .and_then(|s| Utc.timestamp_opt(s, 0).single())
                .ok_or(TokenError::Invalid)
        };
        let claims = AccessClaims {
            user_id: UserId::parse(user).map_err(|_| TokenError::Invalid)?,
            tenant_id: TenantId::parse(tenant).map_err(|_| TokenError::Invalid)?,
            role: role.parse::<Role>().map_err(|_| TokenError::Invalid)?,
            jti: (*jti).to_owned(),
            session_family: SessionFamilyId::parse(family).map_err(|_| TokenError::Invalid)?,
            issued_at: time(iat)?,
            expires_at: time(exp)?,
        };
        if claims.expires_at <= self.clock.now() {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

pub struct FixedClock {
    now: Mutex<DateTime<Utc>>,
}

impl FixedClock {
    pub fn new() -> Self {
        Self {
            now: Mutex::new(
                Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
                    .single()
                    .unwrap_or_default(),
            ),
        }
    }
    pub fn advance(&self, by: Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[derive(Default)]
pub struct CountingIds(AtomicU64);

impl IdGenerator for CountingIds {
    fn new_id(&self) -> Uuid {
        Uuid::from_u128(u128::from(self.0.fetch_add(1, Ordering::Relaxed)) + 1)
    }
}

#[derive(Default)]
pub struct CountingSecrets(AtomicU64);

impl SecretGenerator for CountingSecrets {
    fn token(&self) -> String {
        format!("token-{}", self.0.fetch_add(1, Ordering::Relaxed))
    }
    fn password(&self) -> String {
        format!(
            "Generated#Pw-{}x",
            self.0.fetch_add(1, Ordering::Relaxed) + 7391
        )
    }
}

pub struct NoEvidence;

#[async_trait]
impl EvidenceStore for NoEvidence {
    async fn put(&self, key: &str, _: Vec<u8>, _: &str) -> Result<(), EvidenceStoreError> {
        Err(EvidenceStoreError::InvalidKey(key.to_owned()))
    }
    async fn get(&self, key: &str) -> Result<Vec<u8>, EvidenceStoreError> {
        Err(EvidenceStoreError::NotFound(key.to_owned()))
    }
    async fn delete(&self, _: &str) -> Result<(), EvidenceStoreError> {
        Ok(())
    }
    async fn put_stream(
        &self,
        key: &str,
        _: &str,
        _: ByteChunks,
    ) -> Result<(), EvidenceStoreError> {
        Err(EvidenceStoreError::InvalidKey(key.to_owned()))
    }
    async fn get_stream(&self, key: &str) -> Result<ByteChunks, EvidenceStoreError> {
        Err(EvidenceStoreError::NotFound(key.to_owned()))
    }
    async fn check(&self) -> Result<(), EvidenceStoreError> {
        Ok(())
    }
}

/// A catalog with nothing in it: the use cases under test here do not read it.
pub struct EmptyCatalog;

#[async_trait]
impl aegis_domain::catalog_ports::CatalogRepository for EmptyCatalog {
    async fn apply_attack_release(
        &self,
        _: &aegis_domain::catalog::AttackRelease,
        _: DateTime<Utc>,
    ) -> Result<aegis_domain::catalog_ports::ImportReport, RepositoryError> {
        Ok(Default::default())
    }
    async fn list_tactics(&self) -> Result<Vec<aegis_domain::catalog::Tactic>, RepositoryError> {
        Ok(Vec::new())
    }
    async fn all_techniques(
        &self,
        _: &aegis_domain::catalog_ports::TechniqueFilter,
    ) -> Result<Vec<aegis_domain::catalog_ports::TechniqueSummary>, RepositoryError> {
        Ok(Vec::new())
    }
    async fn actors_per_technique(
        &self,
    ) -> Result<std::collections::HashMap<aegis_domain::catalog::TechniqueId, u32>, RepositoryError>
    {
        Ok(std::collections::HashMap::new())
    }
    async fn set_technique_review(
        &self,
        _: &aegis_domain::catalog::TechniqueId,
        _: bool,
        _: Option<&str>,
    ) -> Result<(), RepositoryError> {
        Err(RepositoryError::NotFound("technique".into()))
    }
    async fn insert_custom_technique(
        &self,
        _: &aegis_domain::catalog::Technique,
        _: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        Ok(())
    }
    async fn update_custom_technique(
        &self,
        _: &aegis_domain::catalog::Technique,
        _: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        Err(RepositoryError::NotFound("custom technique".into()))
    }
    async fn begin_import(
        &self,
        _: &aegis_domain::catalog_ports::ImportRun,
    ) -> Result<(), RepositoryError> {
        Ok(())
    }
    async fn finish_import(
        &self,
        _: Uuid,
        _: Result<&aegis_domain::catalog_ports::ImportReport, &str>,
        _: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        Ok(())
    }
    async fn find_import(
        &self,
        _: Uuid,
    ) -> Result<Option<aegis_domain::catalog_ports::ImportRun>, RepositoryError> {
        Ok(None)
    }
    async fn list_imports(
        &self,
        _: u64,
    ) -> Result<Vec<aegis_domain::catalog_ports::ImportRun>, RepositoryError> {
        Ok(Vec::new())
    }
    async fn list_techniques(
        &self,
        _: &aegis_domain::catalog_ports::TechniqueFilter,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::catalog_ports::TechniqueSummary>, RepositoryError> {
        Ok(Page {
            items: Vec::new(),
            total: 0,
            request: page,
        })
    }
    async fn find_technique(
        &self,
        _: &aegis_domain::catalog::TechniqueId,
    ) -> Result<Option<aegis_domain::catalog_ports::TechniqueDetail>, RepositoryError> {
        Ok(None)
    }
    async fn list_threat_actors(
        &self,
        _: &aegis_domain::catalog_ports::ThreatActorFilter,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::catalog::ThreatActor>, RepositoryError> {
        Ok(Page {
            items: Vec::new(),
            total: 0,
            request: page,
        })
    }
    async fn find_threat_actor(
        &self,
        _: &str,
    ) -> Result<Option<aegis_domain::catalog_ports::ThreatActorDetail>, RepositoryError> {
        Ok(None)
    }
    async fn technique_lineage(
        &self,
    ) -> Result<aegis_domain::technique_lineage::TechniqueLineage, RepositoryError> {
        Ok(aegis_domain::technique_lineage::TechniqueLineage::default())
    }
}

#[async_trait]
impl aegis_domain::detection::RuleRepository for EmptyCatalog {
    async fn apply_rules(
        &self,
        _: aegis_domain::detection::RuleSource,
        rules: &[aegis_domain::detection::DetectionRule],
        _: DateTime<Utc>,
    ) -> Result<aegis_domain::detection::ImportCounts, RepositoryError> {
        Ok(aegis_domain::detection::ImportCounts {
            created: rules.len() as u64,
            ..aegis_domain::detection::ImportCounts::default()
        })
    }
    async fn rules_for_technique(
        &self,
        _: &str,
    ) -> Result<Vec<aegis_domain::detection::RuleSummary>, RepositoryError> {
        Ok(Vec::new())
    }
    async fn list_rules(
        &self,
        _: &aegis_domain::detection::RuleFilter,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::detection::RuleSummary>, RepositoryError> {
        Ok(Page {
            items: Vec::new(),
            total: 0,
            request: page,
        })
    }
    async fn active_rule_counts(
        &self,
    ) -> Result<std::collections::HashMap<String, u32>, RepositoryError> {
        Ok(std::collections::HashMap::new())
    }
    async fn find_rule(
        &self,
        _: Uuid,
    ) -> Result<
        Option<(
            aegis_domain::detection::RuleSummary,
            aegis_domain::detection::DetectionRule,
        )>,
        RepositoryError,
    > {
        Ok(None)
    }
}

#[async_trait]
impl aegis_domain::detection::CountermeasureRepository for EmptyCatalog {
    async fn apply_countermeasures(
        &self,
        items: &[aegis_domain::detection::Countermeasure],
        _: DateTime<Utc>,
    ) -> Result<aegis_domain::detection::ImportCounts, RepositoryError> {
        Ok(aegis_domain::detection::ImportCounts {
            created: items.len() as u64,
            ..aegis_domain::detection::ImportCounts::default()
        })
    }
    async fn countermeasures_for_technique(
        &self,
        _: &str,
    ) -> Result<Vec<aegis_domain::detection::Countermeasure>, RepositoryError> {
        Ok(Vec::new())
    }
    async fn countermeasure_counts(
        &self,
    ) -> Result<std::collections::HashMap<String, u32>, RepositoryError> {
        Ok(std::collections::HashMap::new())
    }
}

#[async_trait]
impl aegis_domain::template::TemplateRepository for EmptyCatalog {
    async fn apply_templates(
        &self,
        _: aegis_domain::template::TemplateSource,
        templates: &[aegis_domain::template::TestTemplate],
        _: DateTime<Utc>,
    ) -> Result<aegis_domain::feed::ImportCounts, RepositoryError> {
        Ok(aegis_domain::feed::ImportCounts {
            created: templates.len() as u64,
            ..aegis_domain::feed::ImportCounts::default()
        })
    }
    async fn apply_binaries(
        &self,
        _: aegis_domain::template::TemplateSource,
        binaries: &[aegis_domain::template::LolBinary],
        _: DateTime<Utc>,
    ) -> Result<
        (
            aegis_domain::feed::ImportCounts,
            aegis_domain::feed::ImportCounts,
        ),
        RepositoryError,
    > {
        let created = aegis_domain::feed::ImportCounts {
            created: binaries.len() as u64,
            ..aegis_domain::feed::ImportCounts::default()
        };
        Ok((created, aegis_domain::feed::ImportCounts::default()))
    }
    async fn list_templates(
        &self,
        _: &aegis_domain::template::TemplateFilter,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::template::TemplateSummary>, RepositoryError> {
        Ok(Page {
            items: Vec::new(),
            total: 0,
            request: page,
        })
    }
    async fn find_template(
        &self,
        _: Uuid,
    ) -> Result<
        Option<(
            aegis_domain::template::TemplateSummary,
            aegis_domain::template::TestTemplate,
        )>,
        RepositoryError,
    > {
        Ok(None)
    }
    async fn binaries_for_technique(
        &self,
        _: &str,
    ) -> Result<Vec<aegis_domain::template::BinarySummary>, RepositoryError> {
        Ok(Vec::new())
    }
}

#[async_trait]
impl aegis_domain::threat_intel::IntelRepository for EmptyCatalog {
    async fn apply_intel(
        &self,
        actors: &[aegis_domain::threat_intel::IntelActor],
        _: DateTime<Utc>,
    ) -> Result<aegis_domain::threat_intel::IntelCounts, RepositoryError> {
        let mut counts = aegis_domain::threat_intel::IntelCounts::default();
        counts.actors.created = actors.len() as u64;
        Ok(counts)
    }
    async fn intel_for_actor(
        &self,
        _: &str,
    ) -> Result<Vec<aegis_domain::threat_intel::IntelActor>, RepositoryError> {
        Ok(Vec::new())
    }
}

#[async_trait]
impl aegis_domain::data_source::DataSourceRepository for EmptyCatalog {
    async fn data_sources(
        &self,
    ) -> Result<Vec<aegis_domain::data_source::DataSource>, RepositoryError> {
        Ok(Vec::new())
    }
    async fn save_data_source(
        &self,
        _: &aegis_domain::data_source::DataSource,
    ) -> Result<(), RepositoryError> {
        Ok(())
    }
}

#[async_trait]
impl aegis_domain::threat_intel::TrackedActorRepository for EmptyCatalog {
    async fn tracked_actors(
        &self,
        _: TenantId,
    ) -> Result<Vec<aegis_domain::threat_intel::TrackedActor>, RepositoryError> {
        Ok(Vec::new())
    }
    async fn save_tracked_actor(
        &self,
        _: TenantId,
        _: &aegis_domain::threat_intel::TrackedActor,
    ) -> Result<(), RepositoryError> {
        Ok(())
    }
    async fn untrack_actor(&self, _: TenantId, _: &str) -> Result<bool, RepositoryError> {
        Ok(false)
    }
}

#[async_trait]
impl aegis_domain::compliance::ComplianceRepository for EmptyCatalog {
    async fn apply_framework(
        &self,
        _: &aegis_domain::compliance::Framework,
        mappings: &[aegis_domain::compliance::ControlMapping],
        _: DateTime<Utc>,
    ) -> Result<aegis_domain::feed::ImportCounts, RepositoryError> {
        Ok(aegis_domain::feed::ImportCounts {
            created: mappings.len() as u64,
            ..aegis_domain::feed::ImportCounts::default()
        })
    }
    async fn frameworks(
        &self,
    ) -> Result<Vec<aegis_domain::compliance::FrameworkSummary>, RepositoryError> {
        Ok(Vec::new())
    }
    async fn framework_mappings(
        &self,
        _: &str,
    ) -> Result<
        Option<(
            aegis_domain::compliance::Framework,
            Vec<aegis_domain::compliance::ControlMapping>,
        )>,
        RepositoryError,
    > {
        Ok(None)
    }
}

/// No feed can be made: use-case tests never sync.
pub struct NoFeeds;

impl aegis_application::data_sources::FeedFactory for NoFeeds {
    fn feed(
        &self,
        kind: aegis_domain::data_source::FeedKind,
        _: aegis_application::data_sources::FeedOrigin,
    ) -> Result<aegis_application::data_sources::SourceFeed, aegis_application::catalog::FeedError>
    {
        Err(aegis_application::catalog::FeedError(format!(
            "no {} feed in use-case tests",
            kind.as_str()
        )))
    }
}

/// Reversible and obviously not secret: enough for tests of the layer above the cipher.
pub struct PlainCipher;

impl aegis_application::data_sources::CredentialCipher for PlainCipher {
    fn encrypt(&self, secret: &str) -> Vec<u8> {
        secret.as_bytes().to_vec()
    }
    fn decrypt(&self, ciphertext: &[u8]) -> Result<String, aegis_application::catalog::FeedError> {
        String::from_utf8(ciphertext.to_vec())
            .map_err(|e| aegis_application::catalog::FeedError(e.to_string()))
    }
}

/// A queue that remembers what was queued, so tests can deliver the attempts themselves.
#[derive(Clone, Default)]
pub struct RecordingQueue {
    pub queued: Arc<Mutex<Vec<(JobTicket, std::time::Duration)>>>,
}

impl RecordingQueue {
    pub fn take(&self) -> Vec<(JobTicket, std::time::Duration)> {
        std::mem::take(
            &mut *self
                .queued
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

#[async_trait]
impl JobQueue for RecordingQueue {
    async fn enqueue(
        &self,
        ticket: &JobTicket,
        delay: std::time::Duration,
    ) -> Result<(), JobQueueError> {
        let mut queued = self
            .queued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Like the real queue: an attempt already queued is not queued twice.
        if !queued.iter().any(|(t, _)| t == ticket) {
            queued.push((*ticket, delay));
        }
        Ok(())
    }
}

/// A feed that is never reached in these tests.
pub struct NoFeed;

#[async_trait]
impl aegis_application::catalog::AttackSource for NoFeed {
    fn describe(&self) -> String {
        "none".to_owned()
    }
    async fn fetch(
        &self,
    ) -> Result<aegis_domain::catalog::AttackRelease, aegis_application::catalog::FeedError> {
        Err(aegis_application::catalog::FeedError(
            "no feed in tests".to_owned(),
        ))
    }
}

#[async_trait]
impl aegis_domain::report::ReportRepository for EmptyCatalog {
    async fn insert_report(
        &self,
        _report: &aegis_domain::report::Report,
    ) -> Result<(), RepositoryError> {
        Ok(())
    }
    async fn update_report(
        &self,
        _report: &aegis_domain::report::Report,
    ) -> Result<(), RepositoryError> {
        Err(RepositoryError::NotFound("report".into()))
    }
    async fn find_report(
        &self,
        _tenant: TenantId,
        _id: aegis_domain::report::ReportId,
    ) -> Result<Option<aegis_domain::report::Report>, RepositoryError> {
        Ok(None)
    }
    async fn list_reports(
        &self,
        _tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::report::Report>, RepositoryError> {
        Ok(Page {
            items: Vec::new(),
            total: 0,
            request: page,
        })
    }
    async fn queued_reports(
        &self,
        _limit: u64,
    ) -> Result<Vec<aegis_domain::report::Report>, RepositoryError> {
        Ok(Vec::new())
    }
}

/// Renders a report as its title, for use cases that never look inside.
pub struct TitleRenderer;

impl aegis_application::reports::ReportRenderer for TitleRenderer {
    fn render(
        &self,
        content: &aegis_application::reports::ReportContent,
        _format: aegis_domain::report::ReportFormat,
    ) -> Result<Vec<u8>, aegis_application::reports::RenderError> {
        Ok(content.title.clone().into_bytes())
    }
}

/// A "signature" that is the digest itself: enough to tell documents apart in unit tests.
pub struct DigestSigner;

impl aegis_application::reports::DocumentSigner for DigestSigner {
    fn sign(&self, digest: &[u8]) -> String {
        hex::encode(digest)
    }
    fn verify(&self, digest: &[u8], signature: &str) -> bool {
        hex::encode(digest) == signature
    }
    fn public_key(&self) -> String {
        "digest".to_owned()
    }
}
