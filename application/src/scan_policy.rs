//! A tenant's say over its scans: the policy profile new scans are decided under, and the
//! waivers that let findings through (suppressions, baselines, exceptions). Reading is for
//! everyone who reads operations; changing is for leads and admins (`ManageScanPolicy`), never
//! for a pipeline key that may only submit scans. Every change is audited.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use aegis_domain::permission::Action;
use aegis_domain::ports::{RepositoryError, Subject};
use aegis_domain::scan::{
    DEFAULT_DIFF_RETENTION_DAYS, ErrorMode, MAX_DIFF_RETENTION_DAYS, ScanId, ScanPolicy,
    ScanStatus, Severity,
};
use aegis_domain::scan_policy::{
    ScanWaiver, ScanWaiverId, StoredScanPolicy, WaiverKind, WaiverScope, path_matcher,
};
use aegis_domain::user::UserId;

use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, RequestContext};
use crate::error::{Classified, ErrorKind, FieldError, text_field, unexpected};
use crate::ports::{Clock, Database, IdGenerator};

/// The longest reason a waiver may give.
const MAX_REASON: usize = 2000;
/// How far ahead a waiver may expire: a waiver is a decision to revisit, not to forget.
const MAX_EXPIRY: Duration = Duration::days(731);
/// The most rule ids one list of the policy may name, and the most allowed hosts.
const MAX_LIST: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum ScanPolicyError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid scan policy or waiver")]
    Invalid(Vec<FieldError>),
    #[error("scan waiver not found")]
    NotFound,
    #[error("scan not found")]
    ScanNotFound,
    #[error("{0}")]
    ScanNotBaselinable(&'static str),
    #[error("this {0} already exists")]
    Duplicate(&'static str),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for ScanPolicyError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl Classified for ScanPolicyError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::NotFound | Self::ScanNotFound => ErrorKind::NotFound,
            Self::ScanNotBaselinable(_) | Self::Duplicate(_) => ErrorKind::Conflict,
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::NotFound => "SCAN_WAIVER_NOT_FOUND",
            Self::ScanNotFound => "SCAN_NOT_FOUND",
            Self::ScanNotBaselinable(_) => "SCAN_NOT_BASELINABLE",
            Self::Duplicate(_) => "SCAN_WAIVER_EXISTS",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// The policy new scans of the tenant are decided under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectivePolicy {
    pub policy: ScanPolicy,
    /// How many days a scan's raw diff is kept.
    pub diff_retention_days: u32,
    /// Who set it and when; `None` while the tenant runs on the default.
    pub set: Option<(UserId, DateTime<Utc>)>,
}

/// A policy as an admin or a lead writes it: rule ids and hosts as given.
#[derive(Debug, Clone)]
pub struct PolicyInput {
    pub block_at: Severity,
    pub always_block: Vec<String>,
    pub never_block: Vec<String>,
    pub error_mode: ErrorMode,
    pub download_allow_list: Vec<String>,
    /// The default (90 days) when not given.
    pub diff_retention_days: Option<u32>,
}

/// A new suppression: one finding, by its fingerprint.
#[derive(Debug, Clone)]
pub struct NewSuppression {
    pub fingerprint: String,
    pub reason: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new exception: one rule under a path pattern.
#[derive(Debug, Clone)]
pub struct NewException {
    pub rule_id: String,
    pub path_pattern: String,
    pub reason: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new baseline: the findings of a completed scan, for the scan's repository.
#[derive(Debug, Clone)]
pub struct NewBaseline {
    pub scan_id: ScanId,
    pub reason: String,
}

#[derive(Clone)]
pub struct ScanPolicyService {
    database: Arc<dyn Database>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl ScanPolicyService {
    pub(crate) fn new(
        database: Arc<dyn Database>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            database,
            clock,
            ids,
        }
    }

    /// # Errors
    /// `Forbidden`, `Unexpected`.
    pub async fn policy(&self, actor: &Actor) -> Result<EffectivePolicy, ScanPolicyError> {
        actor.authorize(Action::ReadOperations)?;
        Ok(effective(self.database.scan_policy(actor.tenant_id).await?))
    }

    /// Replaces the tenant's policy; scans already submitted keep the one they were
    /// submitted under.
    ///
    /// # Errors
    /// `Forbidden` unless a lead or an admin; `Invalid` naming the field; `Unexpected`.
    pub async fn set_policy(
        &self,
        actor: &Actor,
        input: PolicyInput,
        context: &RequestContext,
    ) -> Result<EffectivePolicy, ScanPolicyError> {
        actor.authorize(Action::ManageScanPolicy)?;
        let (policy, diff_retention_days) = validate_policy(input)?;
        let now = self.clock.now();
        let stored = StoredScanPolicy {
            policy,
            diff_retention_days,
            updated_by: actor.user_id,
            updated_at: now,
        };
        let uow = self.database.begin().await?;
        let before = effective(uow.scan_policy(actor.tenant_id).await?);
        uow.save_scan_policy(actor.tenant_id, &stored).await?;
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "scan_policy.updated",
            "scan_policy",
            None,
            serde_json::json!({
                "before": before.policy,
                "after": stored.policy,
                "diff_retention_days": {
                    "before": before.diff_retention_days,
                    "after": stored.diff_retention_days,
                },
            }),
        )
        .await?;
        uow.commit().await?;
        Ok(effective(Some(stored)))
    }

    /// The tenant's waivers, newest first: of one kind or all; expired ones only when asked.
    ///
    /// # Errors
    /// `Forbidden`, `Unexpected`.
    pub async fn waivers(
        &self,
        actor: &Actor,
        kind: Option<WaiverKind>,
        include_expired: bool,
    ) -> Result<Vec<ScanWaiver>, ScanPolicyError> {
        actor.authorize(Action::ReadOperations)?;
        let active_at = (!include_expired).then(|| self.clock.now());
        Ok(self
            .database
            .scan_waivers(actor.tenant_id, kind, active_at)
            .await?)
    }

    /// # Errors
    /// `Forbidden`, `NotFound`, `Unexpected`.
    pub async fn waiver(
        &self,
        actor: &Actor,
        kind: WaiverKind,
        id: ScanWaiverId,
    ) -> Result<ScanWaiver, ScanPolicyError> {
        actor.authorize(Action::ReadOperations)?;
        self.database
            .find_scan_waiver(actor.tenant_id, id)
            .await?
            .filter(|w| w.scope.kind() == kind)
            .ok_or(ScanPolicyError::NotFound)
    }

    /// # Errors
    /// `Forbidden`; `Invalid` (a fingerprint that is not 64 hex digits, a blank reason, an
    /// expiry in the past or more than two years ahead); `Duplicate`; `Unexpected`.
    pub async fn suppress(
        &self,
        actor: &Actor,
        request: NewSuppression,
        context: &RequestContext,
    ) -> Result<ScanWaiver, ScanPolicyError> {
        actor.authorize(Action::ManageScanPolicy)?;
        let mut fields = Vec::new();
        let fingerprint = request.fingerprint.trim().to_ascii_lowercase();
        if fingerprint.len() != 64 || !fingerprint.bytes().all(|b| b.is_ascii_hexdigit()) {
            fields.push(FieldError::new(
                "fingerprint",
                "must be a finding's fingerprint: 64 hexadecimal digits",
            ));
        }
        let reason = text_field("reason", &request.reason, MAX_REASON, true, &mut fields);
        self.check_expiry(request.expires_at, &mut fields);
        if !fields.is_empty() {
            return Err(ScanPolicyError::Invalid(fields));
        }
        let waiver = self.waiver_of(
            actor,
            WaiverScope::Suppression { fingerprint },
            reason,
            request.expires_at,
        );
        self.insert(actor, waiver, context, None).await
    }

    /// # Errors
    /// `Forbidden`; `Invalid` (a blank or malformed rule id, a pattern that is not a glob,
    /// a blank reason, a bad expiry); `Duplicate`; `Unexpected`.
    pub async fn except(
        &self,
        actor: &Actor,
        request: NewException,
        context: &RequestContext,
    ) -> Result<ScanWaiver, ScanPolicyError> {
        actor.authorize(Action::ManageScanPolicy)?;
        let mut fields = Vec::new();
        let rule_id = rule_id_field("rule_id", &request.rule_id, &mut fields);
        let path_pattern = text_field(
            "path_pattern",
            &request.path_pattern,
            500,
            true,
            &mut fields,
        );
        if !path_pattern.is_empty()
            && let Err(error) = path_matcher(&path_pattern)
        {
            fields.push(FieldError::new("path_pattern", error.to_string()));
        }
        let reason = text_field("reason", &request.reason, MAX_REASON, true, &mut fields);
        self.check_expiry(request.expires_at, &mut fields);
        if !fields.is_empty() {
            return Err(ScanPolicyError::Invalid(fields));
        }
        let waiver = self.waiver_of(
            actor,
            WaiverScope::Exception {
                rule_id,
                path_pattern,
            },
            reason,
            request.expires_at,
        );
        self.insert(actor, waiver, context, None).await
    }

    /// Accepts the findings of a completed scan for its repository: later scans of that
    /// repository block only on findings it did not have. A new baseline of a repository
    /// replaces the previous one in the same transaction.
    ///
    /// # Errors
    /// `Forbidden`; `Invalid` (a blank reason); `ScanNotFound`; `ScanNotBaselinable` for a
    /// scan not completed or without a repository; `Unexpected`.
    pub async fn baseline(
        &self,
        actor: &Actor,
        request: NewBaseline,
        context: &RequestContext,
    ) -> Result<ScanWaiver, ScanPolicyError> {
        actor.authorize(Action::ManageScanPolicy)?;
        let mut fields = Vec::new();
        let reason = text_field("reason", &request.reason, MAX_REASON, true, &mut fields);
        if !fields.is_empty() {
            return Err(ScanPolicyError::Invalid(fields));
        }
        let scan = self
            .database
            .find_scan(actor.tenant_id, request.scan_id)
            .await?
            .ok_or(ScanPolicyError::ScanNotFound)?;
        if scan.status != ScanStatus::Completed {
            return Err(ScanPolicyError::ScanNotBaselinable(
                "only a completed scan can be a baseline",
            ));
        }
        let Some(repository) = scan.source.repository.clone() else {
            return Err(ScanPolicyError::ScanNotBaselinable(
                "the scan names no repository: a baseline holds for one repository",
            ));
        };
        let fingerprints: BTreeSet<String> = scan
            .findings
            .iter()
            .map(|f| f.fingerprint.clone())
            .collect();
        let waiver = self.waiver_of(
            actor,
            WaiverScope::Baseline {
                repository: repository.clone(),
                scan_id: scan.id,
                fingerprints,
            },
            reason,
            None,
        );
        self.insert(actor, waiver, context, Some(repository)).await
    }

    /// # Errors
    /// `Forbidden`, `NotFound` (also for a waiver of another kind), `Unexpected`.
    pub async fn delete(
        &self,
        actor: &Actor,
        kind: WaiverKind,
        id: ScanWaiverId,
        context: &RequestContext,
    ) -> Result<(), ScanPolicyError> {
        actor.authorize(Action::ManageScanPolicy)?;
        let uow = self.database.begin().await?;
        let waiver = uow
            .find_scan_waiver(actor.tenant_id, id)
            .await?
            .filter(|w| w.scope.kind() == kind)
            .ok_or(ScanPolicyError::NotFound)?;
        if !uow.delete_scan_waiver(actor.tenant_id, id).await? {
            return Err(ScanPolicyError::NotFound);
        }
        self.audit(
            uow.as_ref(),
            actor,
            context,
            &format!("scan_{kind}.deleted"),
            &format!("scan_{kind}"),
            Some(id.to_string()),
            describe(&waiver),
        )
        .await?;
        uow.commit().await?;
        Ok(())
    }

    fn waiver_of(
        &self,
        actor: &Actor,
        scope: WaiverScope,
        reason: String,
        expires_at: Option<DateTime<Utc>>,
    ) -> ScanWaiver {
        ScanWaiver {
            id: ScanWaiverId::from_uuid(self.ids.new_id()),
            tenant_id: actor.tenant_id,
            scope,
            reason,
            created_by: actor.user_id,
            created_at: self.clock.now(),
            expires_at,
        }
    }

    fn check_expiry(&self, expires_at: Option<DateTime<Utc>>, fields: &mut Vec<FieldError>) {
        let now = self.clock.now();
        match expires_at {
            Some(at) if at <= now => {
                fields.push(FieldError::new("expires_at", "must be in the future"));
            }
            Some(at) if at > now + MAX_EXPIRY => fields.push(FieldError::new(
                "expires_at",
                "must be at most two years ahead: a waiver is a decision to revisit",
            )),
            _ => {}
        }
    }

    /// Stores `waiver` (replacing the repository's previous baseline when `replacing` names
    /// one) and audits it, in one transaction.
    async fn insert(
        &self,
        actor: &Actor,
        waiver: ScanWaiver,
        context: &RequestContext,
        replacing: Option<String>,
    ) -> Result<ScanWaiver, ScanPolicyError> {
        let kind = waiver.scope.kind();
        let uow = self.database.begin().await?;
        let mut replaced = None;
        if let Some(repository) = replacing {
            let previous = uow
                .scan_waivers(actor.tenant_id, Some(WaiverKind::Baseline), None)
                .await?
                .into_iter()
                .find(|w| {
                    matches!(&w.scope, WaiverScope::Baseline { repository: r, .. } if *r == repository)
                });
            if let Some(previous) = previous {
                uow.delete_scan_waiver(actor.tenant_id, previous.id).await?;
                replaced = Some(previous.id.to_string());
            }
        }
        match uow.insert_scan_waiver(actor.tenant_id, &waiver).await {
            Err(RepositoryError::Duplicate(Subject::ScanWaiver)) => {
                return Err(ScanPolicyError::Duplicate(kind.as_str()));
            }
            other => other?,
        }
        let mut details = describe(&waiver);
        if let (Some(replaced), Some(map)) = (replaced, details.as_object_mut()) {
            map.insert("replaced".to_owned(), replaced.into());
        }
        self.audit(
            uow.as_ref(),
            actor,
            context,
            &format!("scan_{kind}.created"),
            &format!("scan_{kind}"),
            Some(waiver.id.to_string()),
            details,
        )
        .await?;
        uow.commit().await?;
        Ok(waiver)
    }

    #[expect(clippy::too_many_arguments, reason = "one audit entry's fields")]
    async fn audit(
        &self,
        uow: &dyn crate::ports::UnitOfWork,
        actor: &Actor,
        context: &RequestContext,
        action: &str,
        entity_type: &str,
        entity_id: Option<String>,
        details: serde_json::Value,
    ) -> Result<(), ScanPolicyError> {
        audit_trail::record(
            self.clock.as_ref(),
            self.ids.as_ref(),
            uow,
            context,
            Change {
                tenant: actor.tenant_id,
                actor: Some(actor.user_id),
                action,
                entity_type,
                entity_id,
                details,
            },
        )
        .await?;
        Ok(())
    }
}

pub(crate) fn effective(stored: Option<StoredScanPolicy>) -> EffectivePolicy {
    match stored {
        Some(stored) => EffectivePolicy {
            policy: stored.policy,
            diff_retention_days: stored.diff_retention_days,
            set: Some((stored.updated_by, stored.updated_at)),
        },
        None => EffectivePolicy {
            policy: ScanPolicy::default(),
            diff_retention_days: DEFAULT_DIFF_RETENTION_DAYS,
            set: None,
        },
    }
}

/// What the audit log keeps of a waiver.
fn describe(waiver: &ScanWaiver) -> serde_json::Value {
    let mut details = match &waiver.scope {
        WaiverScope::Suppression { fingerprint } => {
            serde_json::json!({ "fingerprint": fingerprint })
        }
        WaiverScope::Baseline {
            repository,
            scan_id,
            fingerprints,
        } => serde_json::json!({
            "repository": repository,
            "scan_id": scan_id.to_string(),
            "findings": fingerprints.len(),
        }),
        WaiverScope::Exception {
            rule_id,
            path_pattern,
        } => serde_json::json!({ "rule_id": rule_id, "path_pattern": path_pattern }),
    };
    if let Some(map) = details.as_object_mut() {
        map.insert("reason".to_owned(), waiver.reason.clone().into());
        map.insert(
            "expires_at".to_owned(),
            waiver.expires_at.map(|t| t.to_rfc3339()).into(),
        );
    }
    details
}

/// A rule id: lower-case letters, digits, `.`, `-` and `_` (as docs/scans.md names them).
fn rule_id_field(field: &str, value: &str, fields: &mut Vec<FieldError>) -> String {
    let id = text_field(field, value, 100, true, fields);
    if !id.is_empty()
        && !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    {
        fields.push(FieldError::new(
            field,
            format!("`{id}` is not a rule id: lower-case letters, digits, `.`, `-` and `_`"),
        ));
    }
    id
}

fn validate_policy(input: PolicyInput) -> Result<(ScanPolicy, u32), ScanPolicyError> {
    let mut fields = Vec::new();
    let retention = input
        .diff_retention_days
        .unwrap_or(DEFAULT_DIFF_RETENTION_DAYS);
    if !(1..=MAX_DIFF_RETENTION_DAYS).contains(&retention) {
        fields.push(FieldError::new(
            "diff_retention_days",
            format!("must be between 1 and {MAX_DIFF_RETENTION_DAYS} days"),
        ));
    }
    let mut rules = |field: &str, ids: Vec<String>| -> BTreeSet<String> {
        if ids.len() > MAX_LIST {
            fields.push(FieldError::new(
                field,
                format!("at most {MAX_LIST} rule ids"),
            ));
        }
        ids.iter()
            .enumerate()
            .map(|(i, id)| rule_id_field(&format!("{field}[{i}]"), id, &mut fields))
            .collect()
    };
    let always_block = rules("always_block", input.always_block);
    let never_block = rules("never_block", input.never_block);
    for both in always_block.intersection(&never_block) {
        fields.push(FieldError::new(
            "never_block",
            format!("`{both}` cannot both always and never block"),
        ));
    }
    if input.download_allow_list.len() > MAX_LIST {
        fields.push(FieldError::new(
            "download_allow_list",
            format!("at most {MAX_LIST} hosts"),
        ));
    }
    let mut hosts = Vec::new();
    for (i, host) in input.download_allow_list.iter().enumerate() {
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        let valid = !host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if valid {
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        } else {
            fields.push(FieldError::new(
                format!("download_allow_list[{i}]"),
                "must be a host name such as raw.githubusercontent.com",
            ));
        }
    }
    if !fields.is_empty() {
        return Err(ScanPolicyError::Invalid(fields));
    }
    let policy = ScanPolicy {
        block_at: input.block_at,
        always_block,
        never_block,
        error_mode: input.error_mode,
        download_allow_list: hosts,
    };
    Ok((policy, retention))
}
