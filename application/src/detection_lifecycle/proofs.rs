//! Proofs: written when a test validates with an asset's rule firing or by a lead, ended by a
//! changed rule, an infrastructure change or the calendar, and what each end sets off.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use aegis_domain::catalog::TechniqueId;
use aegis_domain::detection::DetectionRule;
use aegis_domain::detection_lifecycle::{
    AssetId, AssetRevision, DetectionAsset, DetectionValidation, InfrastructureChange,
    InfrastructureChangeId, ProofEnd, ProofSource, REASON_EXPIRED, REASON_RULE_CHANGED,
    ValidationId, content_hash, expiry,
};
use aegis_domain::notification::{Notification, NotificationId};
use aegis_domain::permission::Action;
use aegis_domain::ports::RepositoryError;
use aegis_domain::scoring::ScoringPolicy;
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::{Outcome, TestCase, TestId};
use aegis_domain::user::UserId;

use super::{
    ChangeOutcome, DecayReport, DetectionLifecycleService, Ended, LifecycleError, ManualProof,
    NewInfrastructureChange, ProofView, invalid, provable,
};
use crate::audit_trail::{self, Change};
use crate::context::{Actor, RequestContext};
use crate::coverage::ThreatByTechnique;
use crate::error::FieldError;
use crate::ports::{Clock, IdGenerator, UnitOfWork};
use crate::test_cases::ValidationFollowUp;

/// What ending proofs and writing them needs besides the unit of work.
pub(super) struct Effects<'a> {
    pub(super) clock: &'a dyn Clock,
    pub(super) ids: &'a dyn IdGenerator,
    pub(super) scoring: &'a ScoringPolicy,
}

impl Effects<'_> {
    /// Ends `validations` (those not ended yet) and, in the same unit of work, rescores each
    /// technique they proved, tells each asset's owner and plans one retest draft per
    /// technique, created by `actor` (or, for the system, by the asset's owner or creator).
    #[expect(clippy::too_many_arguments, reason = "the unit of work and what ended")]
    pub(super) async fn end_proofs(
        &self,
        uow: &dyn UnitOfWork,
        context: &RequestContext,
        tenant: TenantId,
        actor: Option<UserId>,
        assets: &[DetectionAsset],
        validations: &[DetectionValidation],
        end: &ProofEnd,
        retest: bool,
    ) -> Result<Ended, RepositoryError> {
        let ids: Vec<ValidationId> = validations
            .iter()
            .filter(|v| v.ended.is_none())
            .map(|v| v.id)
            .collect();
        if ids.is_empty() {
            return Ok(Ended::default());
        }
        let count = uow.end_validations(tenant, &ids, end).await?;
        let now = self.clock.now();
        let mut by_technique: BTreeMap<TechniqueId, BTreeSet<AssetId>> = BTreeMap::new();
        for v in validations.iter().filter(|v| ids.contains(&v.id)) {
            by_technique
                .entry(v.technique_id.clone())
                .or_default()
                .insert(v.asset_id);
        }
        let asset = |id: &AssetId| assets.iter().find(|a| a.id == *id);
        let mut ended = Ended {
            validations: count,
            ..Ended::default()
        };
        if retest {
            for (technique, proven) in &by_technique {
                let names: Vec<&str> = proven
                    .iter()
                    .filter_map(asset)
                    .map(|a| a.name.as_str())
                    .collect();
                let creator = actor.or_else(|| {
                    proven
                        .iter()
                        .filter_map(asset)
                        .find_map(|a| a.owner.or(Some(a.created_by)))
                });
                let Some(creator) = creator else { continue };
                let title: String = format!("Retest {technique}: {}", names.join(", "))
                    .chars()
                    .take(200)
                    .collect();
                let mut test = TestCase::draft(
                    TestId::from_uuid(self.ids.new_id()),
                    tenant,
                    title,
                    technique.clone(),
                    creator,
                    now,
                );
                test.description = format!(
                    "The proof that {} detect {technique} ended: {}. Run the test again to prove \
                     the detection as it is now.",
                    names.join(", "),
                    end.reason
                );
                test.objective = "Prove the detection again after its proof ended.".to_owned();
                uow.insert_test(tenant, &test).await?;
                self.audit(
                    uow,
                    context,
                    tenant,
                    actor,
                    "test.created",
                    "test",
                    test.id.to_string(),
                    serde_json::json!({
                        "title": test.title, "technique_id": technique.as_str(),
                        "retest_of_detection": true,
                    }),
                )
                .await?;
                ended.retests.push(test.id);
            }
        }
        for technique in by_technique.keys() {
            crate::coverage::refresh(uow, tenant, technique, self.scoring, now).await?;
        }
        ended.notified = self
            .notify_owners(uow, tenant, assets, validations, &ids, end)
            .await?;
        ended.techniques = by_technique.into_keys().collect();
        self.audit(
            uow,
            context,
            tenant,
            actor,
            "detection.validations_ended",
            "detection_validation",
            String::new(),
            serde_json::json!({
                "reason": end.reason,
                "validations": ids.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "infrastructure_change": end.change.map(|c| c.to_string()),
                "retests": ended.retests.iter().map(ToString::to_string).collect::<Vec<_>>(),
            }),
        )
        .await?;
        Ok(ended)
    }

    async fn notify_owners(
        &self,
        uow: &dyn UnitOfWork,
        tenant: TenantId,
        assets: &[DetectionAsset],
        validations: &[DetectionValidation],
        ended: &[ValidationId],
        end: &ProofEnd,
    ) -> Result<u64, RepositoryError> {
        let mut notifications = Vec::new();
        let touched: BTreeSet<AssetId> = validations
            .iter()
            .filter(|v| ended.contains(&v.id))
            .map(|v| v.asset_id)
            .collect();
        for asset in assets.iter().filter(|a| touched.contains(&a.id)) {
            let Some(owner) = asset.owner else { continue };
            let techniques: BTreeSet<&str> = validations
                .iter()
                .filter(|v| v.asset_id == asset.id && ended.contains(&v.id))
                .map(|v| v.technique_id.as_str())
                .collect();
            notifications.push(Notification {
                id: NotificationId::from_uuid(self.ids.new_id()),
                tenant_id: tenant,
                user_id: owner,
                kind: "detection.proof_ended".to_owned(),
                title: format!("{}: its proof ended", asset.name),
                body: format!(
                    "{} for {}. A retest is planned.",
                    end.reason,
                    techniques.into_iter().collect::<Vec<_>>().join(", ")
                ),
                entity_type: Some("detection_asset".to_owned()),
                entity_id: Some(asset.id.to_string()),
                created_at: self.clock.now(),
                read_at: None,
            });
        }
        crate::notifications::deliver(uow, tenant, &notifications).await?;
        Ok(notifications.len() as u64)
    }

    #[expect(clippy::too_many_arguments, reason = "one audit entry's fields")]
    pub(super) async fn audit(
        &self,
        uow: &dyn UnitOfWork,
        context: &RequestContext,
        tenant: TenantId,
        actor: Option<UserId>,
        action: &str,
        entity_type: &str,
        entity_id: String,
        details: serde_json::Value,
    ) -> Result<(), RepositoryError> {
        let change = Change {
            tenant,
            actor,
            action,
            entity_type,
            entity_id: (!entity_id.is_empty()).then_some(entity_id),
            details,
        };
        audit_trail::record(self.clock, self.ids, uow, context, change).await
    }

    /// A new proof of `asset` for `technique` made at `now`, expiring as the organization's
    /// decay policies (or the technique's risk level) say.
    pub(super) async fn proof(
        &self,
        uow: &dyn UnitOfWork,
        asset: &DetectionAsset,
        technique: &TechniqueId,
        source: ProofSource,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<DetectionValidation, RepositoryError> {
        let policies = uow.decay_policies(asset.tenant_id).await?;
        let tactics = uow.tactics_of(technique).await?;
        // Read in the proof's own transaction: SQLite's one writer is held by it, and a read
        // through another connection of the same pool would wait for it to end.
        let level = uow
            .risk_of(asset.tenant_id, technique)
            .await?
            .map(|risk| risk.level.as_str().to_owned());
        Ok(DetectionValidation {
            id: ValidationId::from_uuid(self.ids.new_id()),
            tenant_id: asset.tenant_id,
            asset_id: asset.id,
            technique_id: technique.clone(),
            source,
            test_id: None,
            outcome: None,
            evidence: None,
            notes: String::new(),
            content_sha256: asset.content_sha256().to_owned(),
            validated_by: by,
            validated_at: now,
            expires_at: expiry(&policies, &asset.platform, &tactics, level.as_deref(), now),
            ended: None,
        })
    }
}

/// Proofs follow validations: the port `test_cases` calls when a test validates. Each rule
/// the test saw fire that names an active asset (its name, or the catalog rule it comes
/// from) proves that asset for the test's technique.
pub(crate) struct LifecycleOnValidation {
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    scoring: Arc<ScoringPolicy>,
}

impl LifecycleOnValidation {
    pub(crate) fn new(
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        scoring: Arc<ScoringPolicy>,
    ) -> Self {
        Self {
            clock,
            ids,
            scoring,
        }
    }
}

#[async_trait::async_trait]
impl ValidationFollowUp for LifecycleOnValidation {
    async fn on_validated(
        &self,
        uow: &dyn UnitOfWork,
        context: &RequestContext,
        actor: UserId,
        test: &TestCase,
        _threat: &ThreatByTechnique,
    ) -> Result<(), RepositoryError> {
        let fired: Vec<&str> = test.blue.fired_rules().collect();
        if fired.is_empty() || !counts(test.blue.outcome) {
            return Ok(());
        }
        let effects = Effects {
            clock: self.clock.as_ref(),
            ids: self.ids.as_ref(),
            scoring: &self.scoring,
        };
        let now = test.validated_at.unwrap_or_else(|| self.clock.now());
        let mut proofs = Vec::new();
        for asset in uow.live_assets(test.tenant_id).await? {
            if !provable(asset.status) || !fired.iter().any(|f| asset.is_named_by(f)) {
                continue;
            }
            let mut proof = effects
                .proof(
                    uow,
                    &asset,
                    &test.technique_id,
                    ProofSource::Test,
                    Some(actor),
                    now,
                )
                .await?;
            proof.test_id = Some(test.id);
            proof.outcome = test.blue.outcome;
            proofs.push(proof);
        }
        if proofs.is_empty() {
            return Ok(());
        }
        uow.insert_validations(test.tenant_id, &proofs).await?;
        // The test's own rescore ran before its proofs existed: score again with them.
        crate::coverage::refresh(uow, test.tenant_id, &test.technique_id, &self.scoring, now)
            .await?;
        effects
            .audit(
                uow,
                context,
                test.tenant_id,
                Some(actor),
                "detection.validated",
                "test",
                test.id.to_string(),
                serde_json::json!({
                    "technique_id": test.technique_id.as_str(),
                    "validations": proofs.iter().map(|p| p.id.to_string()).collect::<Vec<_>>(),
                    "assets": proofs.iter().map(|p| p.asset_id.to_string()).collect::<Vec<_>>(),
                }),
            )
            .await
    }
}

impl DetectionLifecycleService {
    pub(super) fn effects(&self) -> Effects<'_> {
        Effects {
            clock: self.clock.as_ref(),
            ids: self.ids.as_ref(),
            scoring: &self.scoring,
        }
    }

    /// A lead records that an asset detects a technique, with the evidence that shows it.
    ///
    /// # Errors
    /// `Forbidden` unless a blue lead or admin; `Invalid` without evidence or with an unknown
    /// technique; `AssetNotFound`; `Retired` for an asset that is not active.
    pub async fn record_proof(
        &self,
        actor: &Actor,
        proof: ManualProof,
        context: &RequestContext,
    ) -> Result<ProofView, LifecycleError> {
        actor.authorize(Action::ManageDetections)?;
        let mut fields = Vec::new();
        let evidence = proof.evidence.trim().to_owned();
        if evidence.is_empty() {
            fields.push(FieldError::new(
                "evidence",
                "is required: where the proof is",
            ));
        } else if evidence.chars().count() > 2000 {
            fields.push(FieldError::new(
                "evidence",
                "must be at most 2000 characters",
            ));
        }
        if proof.notes.chars().count() > 10_000 {
            fields.push(FieldError::new("notes", "must be at most 10000 characters"));
        }
        let technique = match TechniqueId::parse(proof.technique_id.trim()) {
            Ok(t) => Some(t),
            Err(_) => {
                fields.push(FieldError::new(
                    "technique_id",
                    "is not an ATT&CK technique id",
                ));
                None
            }
        };
        if !fields.is_empty() {
            return Err(LifecycleError::Invalid(fields));
        }
        let technique = technique.ok_or_else(|| invalid("technique_id", "is required"))?;
        if self.catalog.find_technique(&technique).await?.is_none() {
            return Err(invalid("technique_id", "is not in the catalog"));
        }
        let uow = self.database.begin().await?;
        let asset = uow
            .find_asset(actor.tenant_id, AssetId::from_uuid(proof.asset_id))
            .await?
            .ok_or(LifecycleError::AssetNotFound)?;
        if !provable(asset.status) {
            return Err(LifecycleError::Retired);
        }
        let effects = self.effects();
        let now = self.clock.now();
        let mut validation = effects
            .proof(
                uow.as_ref(),
                &asset,
                &technique,
                ProofSource::Manual,
                Some(actor.user_id),
                now,
            )
            .await?;
        validation.evidence = Some(evidence);
        validation.notes = proof.notes.trim().to_owned();
        uow.insert_validations(actor.tenant_id, std::slice::from_ref(&validation))
            .await?;
        crate::coverage::refresh(
            uow.as_ref(),
            actor.tenant_id,
            &technique,
            &self.scoring,
            now,
        )
        .await?;
        effects
            .audit(
                uow.as_ref(),
                context,
                actor.tenant_id,
                Some(actor.user_id),
                "detection.validated",
                "detection_asset",
                asset.id.to_string(),
                serde_json::json!({
                    "technique_id": technique.as_str(),
                    "validation": validation.id.to_string(),
                    "evidence": validation.evidence,
                }),
            )
            .await?;
        uow.commit().await?;
        Ok(ProofView {
            state: validation.state(now),
            validation,
        })
    }

    /// Logs an infrastructure change and ends, in the same unit of work, every proof made
    /// before it of the assets it touches (by platform or by name).
    ///
    /// # Errors
    /// `Forbidden` unless a blue lead or admin; `Invalid` without a title, or touching
    /// nothing, or naming an asset the organization does not have.
    pub async fn record_infrastructure_change(
        &self,
        actor: &Actor,
        change: NewInfrastructureChange,
        context: &RequestContext,
    ) -> Result<ChangeOutcome, LifecycleError> {
        actor.authorize(Action::ManageDetections)?;
        let mut fields = Vec::new();
        let title = change.title.trim().to_owned();
        if title.is_empty() {
            fields.push(FieldError::new("title", "is required"));
        } else if title.chars().count() > 200 {
            fields.push(FieldError::new("title", "must be at most 200 characters"));
        }
        if change.description.chars().count() > 10_000 {
            fields.push(FieldError::new(
                "description",
                "must be at most 10000 characters",
            ));
        }
        let mut platforms: Vec<String> = change
            .platforms
            .iter()
            .map(|p| p.trim().to_lowercase())
            .filter(|p| !p.is_empty())
            .collect();
        platforms.sort();
        platforms.dedup();
        if platforms.iter().any(|p| p.chars().count() > 100) {
            fields.push(FieldError::new(
                "platforms",
                "each must be at most 100 characters",
            ));
        }
        if platforms.is_empty() && change.asset_ids.is_empty() {
            fields.push(FieldError::new(
                "platforms",
                "name at least one platform or asset the change touches",
            ));
        }
        let now = self.clock.now();
        let occurred_at = change.occurred_at.unwrap_or(now);
        if occurred_at > now {
            fields.push(FieldError::new("occurred_at", "must not be in the future"));
        }
        if !fields.is_empty() {
            return Err(LifecycleError::Invalid(fields));
        }
        let uow = self.database.begin().await?;
        let live = uow.live_assets(actor.tenant_id).await?;
        let mut assets: Vec<AssetId> = change
            .asset_ids
            .iter()
            .copied()
            .map(AssetId::from_uuid)
            .collect();
        assets.sort();
        assets.dedup();
        for id in &assets {
            if uow.find_asset(actor.tenant_id, *id).await?.is_none() {
                return Err(invalid(
                    "asset_ids",
                    format!("{id} is not a detection asset"),
                ));
            }
        }
        let mut record = InfrastructureChange {
            id: InfrastructureChangeId::from_uuid(self.ids.new_id()),
            tenant_id: actor.tenant_id,
            title,
            description: change.description.trim().to_owned(),
            occurred_at,
            platforms,
            assets,
            recorded_by: actor.user_id,
            recorded_at: now,
            ended_validations: 0,
        };
        let touched: Vec<DetectionAsset> =
            live.into_iter().filter(|a| a.touched_by(&record)).collect();
        let touched_ids: Vec<AssetId> = touched.iter().map(|a| a.id).collect();
        let validations = uow
            .unended_validations(
                actor.tenant_id,
                Some(touched_ids.as_slice()),
                Some(occurred_at),
            )
            .await?;
        let end = ProofEnd {
            at: now,
            reason: format!("infrastructure changed: {}", record.title),
            change: Some(record.id),
        };
        let ended = self
            .effects()
            .end_proofs(
                uow.as_ref(),
                context,
                actor.tenant_id,
                Some(actor.user_id),
                &touched,
                &validations,
                &end,
                true,
            )
            .await?;
        record.ended_validations = u32::try_from(ended.validations).unwrap_or(u32::MAX);
        uow.insert_infrastructure_change(actor.tenant_id, &record)
            .await?;
        self.effects()
            .audit(
                uow.as_ref(),
                context,
                actor.tenant_id,
                Some(actor.user_id),
                "detection.infrastructure_changed",
                "infrastructure_change",
                record.id.to_string(),
                serde_json::json!({
                    "title": record.title,
                    "platforms": record.platforms,
                    "assets": touched_ids.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "ended_validations": ended.validations,
                }),
            )
            .await?;
        uow.commit().await?;
        Ok(ChangeOutcome {
            change: record,
            ended,
        })
    }

    /// The organization's infrastructure changes, newest first.
    ///
    /// # Errors
    /// `Forbidden` for a role that cannot read operations.
    pub async fn infrastructure_changes(
        &self,
        actor: &Actor,
    ) -> Result<Vec<InfrastructureChange>, LifecycleError> {
        actor.authorize(Action::ReadOperations)?;
        Ok(self
            .database
            .infrastructure_changes(actor.tenant_id)
            .await?)
    }

    /// After a rule import: each live asset made from one of `rules` whose published text
    /// changed takes the new text, and its proofs end ("rule changed since it was proven"),
    /// one unit of work per organization. Returns how many proofs ended.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub(crate) async fn rules_reimported(
        &self,
        rules: &[DetectionRule],
    ) -> Result<u64, LifecycleError> {
        if rules.is_empty() {
            return Ok(0);
        }
        let by_key: BTreeMap<(&str, &str), &DetectionRule> = rules
            .iter()
            .map(|r| ((r.source.as_str(), r.source_id.as_str()), r))
            .collect();
        let mut total = 0;
        let context = RequestContext::default();
        for tenant in self.database.list_tenants().await? {
            let uow = self.database.begin().await?;
            let now = self.clock.now();
            let mut changed = Vec::new();
            for mut asset in uow.live_assets(tenant.id).await? {
                let Some(rule) = asset.rule.as_ref().and_then(|link| {
                    by_key
                        .get(&(link.source.as_str(), link.source_id.as_str()))
                        .copied()
                }) else {
                    continue;
                };
                if content_hash(&rule.text) == asset.content_sha256() {
                    continue;
                }
                asset.set_content(rule.text.clone());
                if let Some(link) = asset.rule.as_mut() {
                    link.title.clone_from(&rule.title);
                }
                let expected = asset.record_change(now);
                let revision = AssetRevision {
                    id: self.ids.new_id(),
                    asset_id: asset.id,
                    version: asset.version(),
                    change: "rule_reimported".to_owned(),
                    content_sha256: asset.content_sha256().to_owned(),
                    status: asset.status,
                    changed_by: None,
                    changed_at: now,
                };
                uow.update_asset(tenant.id, &asset, expected, &revision)
                    .await?;
                changed.push(asset);
            }
            if changed.is_empty() {
                continue;
            }
            let ids: Vec<AssetId> = changed.iter().map(|a| a.id).collect();
            let validations = uow
                .unended_validations(tenant.id, Some(ids.as_slice()), None)
                .await?;
            let end = ProofEnd {
                at: now,
                reason: REASON_RULE_CHANGED.to_owned(),
                change: None,
            };
            let ended = self
                .effects()
                .end_proofs(
                    uow.as_ref(),
                    &context,
                    tenant.id,
                    None,
                    &changed,
                    &validations,
                    &end,
                    true,
                )
                .await?;
            uow.commit().await?;
            total += ended.validations;
        }
        Ok(total)
    }

    /// The daily decay: ends every proof whose time ran out, rescoring what it proved and
    /// telling the assets' owners, one unit of work per organization. Running it again the
    /// same day finds nothing left to end.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub(crate) async fn decay(&self) -> Result<DecayReport, LifecycleError> {
        let mut report = DecayReport::default();
        let context = RequestContext::default();
        for tenant in self.database.list_tenants().await? {
            let uow = self.database.begin().await?;
            let now = self.clock.now();
            let due: Vec<DetectionValidation> = uow
                .unended_validations(tenant.id, None, None)
                .await?
                .into_iter()
                .filter(|v| v.expires_at <= now)
                .collect();
            if due.is_empty() {
                continue;
            }
            let assets = uow.live_assets(tenant.id).await?;
            let end = ProofEnd {
                at: now,
                reason: REASON_EXPIRED.to_owned(),
                change: None,
            };
            let ended = self
                .effects()
                .end_proofs(
                    uow.as_ref(),
                    &context,
                    tenant.id,
                    None,
                    &assets,
                    &due,
                    &end,
                    false,
                )
                .await?;
            uow.commit().await?;
            report.expired += ended.validations;
            report.techniques += ended.techniques.len() as u64;
            report.notified += ended.notified;
        }
        Ok(report)
    }
}

/// Whether a fired rule's outcome counts: any outcome but a miss (a rule that fired on a
/// test blue scored "not detected" is a contradiction the test's record keeps).
#[must_use]
pub(super) fn counts(outcome: Option<Outcome>) -> bool {
    outcome != Some(Outcome::NotDetected)
}
