//! Detection assets: create (by hand or from a catalog rule), list, detail, edit, retire.
//! An edit that changes the content ends the asset's proofs in the same unit of work.

use uuid::Uuid;

use aegis_domain::catalog::TechniqueId;
use aegis_domain::detection_lifecycle::{
    AssetFilter, AssetId, AssetKind, AssetRevision, AssetStatus, DecayPolicy, DetectionAsset,
    ProofEnd, REASON_RULE_CHANGED, RuleLink,
};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::user::UserId;

use super::{
    AssetChanges, AssetDetail, AssetFromRule, AssetQuery, DetectionLifecycleService, Ended,
    LifecycleError, NewAsset, NewDecayPolicy, ProofView, invalid,
};
use crate::context::{Actor, RequestContext};
use crate::error::FieldError;
use crate::ports::UnitOfWork;

const MAX_CONTENT: usize = 1024 * 1024;

/// A required text of at most `max` characters, trimmed.
fn required(field: &str, value: &str, max: usize, fields: &mut Vec<FieldError>) -> String {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        fields.push(FieldError::new(field, "is required"));
    } else if trimmed.chars().count() > max {
        fields.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    trimmed.to_owned()
}

fn bounded(field: &str, value: &str, max: usize, fields: &mut Vec<FieldError>) -> String {
    let trimmed = value.trim();
    if trimmed.chars().count() > max {
        fields.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    trimmed.to_owned()
}

fn kind(text: &str, fields: &mut Vec<FieldError>) -> Option<AssetKind> {
    let parsed = AssetKind::parse(text.trim());
    if parsed.is_none() {
        fields.push(FieldError::new(
            "kind",
            "must be siem_rule, edr_policy, sensor, ids_rule, manual_review or custom",
        ));
    }
    parsed
}

fn content(text: &str, fields: &mut Vec<FieldError>) -> String {
    if text.len() > MAX_CONTENT {
        fields.push(FieldError::new("content", "must be at most 1 MiB"));
    }
    text.to_owned()
}

fn platform(text: &str, fields: &mut Vec<FieldError>) -> String {
    required("platform", text, 100, fields).to_lowercase()
}

impl DetectionLifecycleService {
    /// Techniques the catalog holds, or the field errors naming those it does not.
    async fn known_techniques(
        &self,
        ids: &[String],
        fields: &mut Vec<FieldError>,
    ) -> Result<Vec<TechniqueId>, LifecycleError> {
        let mut known = Vec::with_capacity(ids.len());
        if ids.len() > 500 {
            fields.push(FieldError::new("techniques", "at most 500 techniques"));
            return Ok(known);
        }
        for (i, id) in ids.iter().enumerate() {
            let Ok(technique) = TechniqueId::parse(id.trim()) else {
                fields.push(FieldError::new(
                    format!("techniques[{i}]"),
                    "is not an ATT&CK technique id",
                ));
                continue;
            };
            if self.catalog.find_technique(&technique).await?.is_none() {
                fields.push(FieldError::new(
                    format!("techniques[{i}]"),
                    format!("{technique} is not in the catalog"),
                ));
                continue;
            }
            known.push(technique);
        }
        Ok(known)
    }

    async fn known_owner(
        &self,
        actor: &Actor,
        owner: Option<Uuid>,
        fields: &mut Vec<FieldError>,
    ) -> Result<Option<UserId>, LifecycleError> {
        let Some(owner) = owner else { return Ok(None) };
        let user = UserId::from_uuid(owner);
        if self
            .database
            .find_user(actor.tenant_id, user)
            .await?
            .is_none()
        {
            fields.push(FieldError::new(
                "owner_id",
                "is not a user of the organization",
            ));
        }
        Ok(Some(user))
    }

    fn revision(&self, asset: &DetectionAsset, change: &str, by: Option<UserId>) -> AssetRevision {
        AssetRevision {
            id: self.ids.new_id(),
            asset_id: asset.id,
            version: asset.version(),
            change: change.to_owned(),
            content_sha256: asset.content_sha256().to_owned(),
            status: asset.status,
            changed_by: by,
            changed_at: asset.updated_at,
        }
    }

    async fn insert(
        &self,
        actor: &Actor,
        asset: &DetectionAsset,
        context: &RequestContext,
    ) -> Result<(), LifecycleError> {
        let uow = self.database.begin().await?;
        let revision = self.revision(asset, "created", Some(actor.user_id));
        uow.insert_asset(actor.tenant_id, asset, &revision).await?;
        self.effects()
            .audit(
                uow.as_ref(),
                context,
                actor.tenant_id,
                Some(actor.user_id),
                "detection.asset_created",
                "detection_asset",
                asset.id.to_string(),
                serde_json::json!({
                    "name": asset.name, "kind": asset.kind.as_str(),
                    "platform": asset.platform,
                    "content_sha256": asset.content_sha256(),
                    "rule": asset.rule.as_ref().map(|r| r.rule_id),
                }),
            )
            .await?;
        uow.commit().await?;
        Ok(())
    }

    /// A new asset described by hand.
    ///
    /// # Errors
    /// `Forbidden` unless a blue lead or admin; `Invalid` naming each bad field;
    /// `DuplicateAsset` when the name is taken on that platform.
    pub async fn create_asset(
        &self,
        actor: &Actor,
        new: NewAsset,
        context: &RequestContext,
    ) -> Result<DetectionAsset, LifecycleError> {
        actor.authorize(Action::ManageDetections)?;
        let mut fields = Vec::new();
        let name = required("name", &new.name, 200, &mut fields);
        let kind = kind(&new.kind, &mut fields);
        let platform = platform(&new.platform, &mut fields);
        let team = bounded("team", &new.team, 100, &mut fields);
        let body = content(&new.content, &mut fields);
        let techniques = self.known_techniques(&new.techniques, &mut fields).await?;
        let owner = self.known_owner(actor, new.owner_id, &mut fields).await?;
        let Some(kind) = kind.filter(|_| fields.is_empty()) else {
            return Err(LifecycleError::Invalid(fields));
        };
        let mut asset = DetectionAsset::new(
            AssetId::from_uuid(self.ids.new_id()),
            actor.tenant_id,
            name,
            kind,
            platform,
            body,
            techniques,
            actor.user_id,
            self.clock.now(),
        );
        asset.team = team;
        asset.owner = owner;
        self.insert(actor, &asset, context).await?;
        Ok(asset)
    }

    /// An asset made from a catalog Sigma or Elastic rule in one call: its content is the
    /// rule as published, its techniques the rule's (those the catalog holds), and the link to
    /// the rule is kept so a re-import of a changed rule reaches it.
    ///
    /// # Errors
    /// `Forbidden`; `RuleNotFound`; `Invalid`; `DuplicateAsset`.
    pub async fn create_from_rule(
        &self,
        actor: &Actor,
        from: AssetFromRule,
        context: &RequestContext,
    ) -> Result<DetectionAsset, LifecycleError> {
        actor.authorize(Action::ManageDetections)?;
        let (summary, rule) = self
            .rules
            .find_rule(from.rule_id)
            .await?
            .ok_or(LifecycleError::RuleNotFound)?;
        let mut fields = Vec::new();
        let name = match &from.name {
            Some(name) => required("name", name, 200, &mut fields),
            None => rule.title.trim().chars().take(200).collect(),
        };
        let kind = match &from.kind {
            Some(text) => kind(text, &mut fields),
            None => Some(AssetKind::SiemRule),
        };
        let platform = platform(&from.platform, &mut fields);
        let team = bounded("team", &from.team, 100, &mut fields);
        let owner = self.known_owner(actor, from.owner_id, &mut fields).await?;
        let mut techniques = Vec::new();
        for id in summary.techniques.iter().chain(rule.techniques.iter()) {
            if let Ok(technique) = TechniqueId::parse(id)
                && self.catalog.find_technique(&technique).await?.is_some()
            {
                techniques.push(technique);
            }
        }
        let Some(kind) = kind.filter(|_| fields.is_empty()) else {
            return Err(LifecycleError::Invalid(fields));
        };
        let mut asset = DetectionAsset::new(
            AssetId::from_uuid(self.ids.new_id()),
            actor.tenant_id,
            name,
            kind,
            platform,
            rule.text.clone(),
            techniques,
            actor.user_id,
            self.clock.now(),
        );
        asset.team = team;
        asset.owner = owner;
        asset.rule = Some(RuleLink {
            rule_id: summary.id,
            source: rule.source,
            source_id: rule.source_id.clone(),
            title: rule.title.clone(),
        });
        self.insert(actor, &asset, context).await?;
        Ok(asset)
    }

    /// # Errors
    /// `Forbidden`; `Invalid` for an unknown kind, status or technique id.
    pub async fn list_assets(
        &self,
        actor: &Actor,
        query: &AssetQuery,
        page: PageRequest,
    ) -> Result<Page<DetectionAsset>, LifecycleError> {
        actor.authorize(Action::ReadOperations)?;
        let mut filter = AssetFilter::default();
        if let Some(text) = &query.kind {
            filter.kind = Some(AssetKind::parse(text).ok_or_else(|| {
                invalid(
                    "kind",
                    "must be siem_rule, edr_policy, sensor, ids_rule, manual_review or custom",
                )
            })?);
        }
        if let Some(text) = &query.status {
            filter.status = Some(
                AssetStatus::parse(text)
                    .ok_or_else(|| invalid("status", "must be active, disabled or retired"))?,
            );
        }
        if let Some(text) = &query.technique {
            filter.technique = Some(
                TechniqueId::parse(text.trim())
                    .map_err(|_| invalid("technique", "is not an ATT&CK technique id"))?,
            );
        }
        filter.platform.clone_from(&query.platform);
        filter.team.clone_from(&query.team);
        filter.owner = query.owner.map(UserId::from_uuid);
        filter.search.clone_from(&query.search);
        Ok(self
            .database
            .list_assets(actor.tenant_id, &filter, page)
            .await?)
    }

    /// An asset with its proofs (newest first, each with where it stands now) and history.
    ///
    /// # Errors
    /// `Forbidden`; `AssetNotFound`.
    pub async fn asset(&self, actor: &Actor, id: AssetId) -> Result<AssetDetail, LifecycleError> {
        actor.authorize(Action::ReadOperations)?;
        let asset = self
            .database
            .find_asset(actor.tenant_id, id)
            .await?
            .ok_or(LifecycleError::AssetNotFound)?;
        let now = self.clock.now();
        let validations = self
            .database
            .validations(actor.tenant_id, Some(id), None)
            .await?
            .into_iter()
            .map(|validation| ProofView {
                state: validation.state(now),
                validation,
            })
            .collect();
        let history = self.database.asset_history(actor.tenant_id, id).await?;
        Ok(AssetDetail {
            asset,
            validations,
            history,
        })
    }

    /// Edits an asset. A changed content (its hash) ends its proofs at once, with the
    /// technique rescored, the owner told and a retest planned, all in this unit of work.
    ///
    /// # Errors
    /// `Forbidden`; `AssetNotFound`; `Invalid`; `VersionConflict`; `Retired`;
    /// `DuplicateAsset`.
    pub async fn update_asset(
        &self,
        actor: &Actor,
        id: AssetId,
        changes: AssetChanges,
        expected_version: Option<i32>,
        context: &RequestContext,
    ) -> Result<(DetectionAsset, Ended), LifecycleError> {
        actor.authorize(Action::ManageDetections)?;
        let mut fields = Vec::new();
        let techniques = match &changes.techniques {
            Some(ids) => Some(self.known_techniques(ids, &mut fields).await?),
            None => None,
        };
        let owner = match changes.owner_id {
            Some(owner) => Some(self.known_owner(actor, owner, &mut fields).await?),
            None => None,
        };
        let uow = self.database.begin().await?;
        let mut asset = self.load(uow.as_ref(), actor, id, expected_version).await?;
        if let Some(name) = &changes.name {
            asset.name = required("name", name, 200, &mut fields);
        }
        if let Some(text) = &changes.kind
            && let Some(kind) = kind(text, &mut fields)
        {
            asset.kind = kind;
        }
        if let Some(text) = &changes.platform {
            asset.platform = platform(text, &mut fields);
        }
        if let Some(team) = &changes.team {
            asset.team = bounded("team", team, 100, &mut fields);
        }
        if let Some(owner) = owner {
            asset.owner = owner;
        }
        if let Some(status) = &changes.status {
            match AssetStatus::parse(status) {
                Some(status @ (AssetStatus::Active | AssetStatus::Disabled)) => {
                    asset.status = status;
                }
                _ => fields.push(FieldError::new(
                    "status",
                    "must be active or disabled (retire an asset with DELETE)",
                )),
            }
        }
        if let Some(techniques) = techniques {
            asset.set_techniques(techniques);
        }
        let changed = match &changes.content {
            Some(text) => {
                let text = content(text, &mut fields);
                asset.set_content(text)
            }
            None => false,
        };
        if !fields.is_empty() {
            return Err(LifecycleError::Invalid(fields));
        }
        let expected = asset.record_change(self.clock.now());
        let revision = self.revision(&asset, "edited", Some(actor.user_id));
        uow.update_asset(actor.tenant_id, &asset, expected, &revision)
            .await?;
        let ended = if changed {
            self.end_all(
                uow.as_ref(),
                actor,
                &asset,
                REASON_RULE_CHANGED,
                true,
                context,
            )
            .await?
        } else {
            Ended::default()
        };
        self.effects()
            .audit(
                uow.as_ref(),
                context,
                actor.tenant_id,
                Some(actor.user_id),
                "detection.asset_updated",
                "detection_asset",
                asset.id.to_string(),
                serde_json::json!({
                    "version": asset.version(),
                    "content_changed": changed,
                    "content_sha256": asset.content_sha256(),
                    "ended_validations": ended.validations,
                }),
            )
            .await?;
        uow.commit().await?;
        Ok((asset, ended))
    }

    /// Retires an asset for good: its proofs end (it no longer runs), nothing proves it
    /// again, its history stays.
    ///
    /// # Errors
    /// `Forbidden`; `AssetNotFound`; `VersionConflict`; `Retired` when it already is.
    pub async fn retire_asset(
        &self,
        actor: &Actor,
        id: AssetId,
        expected_version: Option<i32>,
        context: &RequestContext,
    ) -> Result<(DetectionAsset, Ended), LifecycleError> {
        actor.authorize(Action::ManageDetections)?;
        let uow = self.database.begin().await?;
        let mut asset = self.load(uow.as_ref(), actor, id, expected_version).await?;
        asset.status = AssetStatus::Retired;
        let expected = asset.record_change(self.clock.now());
        let revision = self.revision(&asset, "retired", Some(actor.user_id));
        uow.update_asset(actor.tenant_id, &asset, expected, &revision)
            .await?;
        let ended = self
            .end_all(uow.as_ref(), actor, &asset, "asset retired", false, context)
            .await?;
        self.effects()
            .audit(
                uow.as_ref(),
                context,
                actor.tenant_id,
                Some(actor.user_id),
                "detection.asset_retired",
                "detection_asset",
                asset.id.to_string(),
                serde_json::json!({"ended_validations": ended.validations}),
            )
            .await?;
        uow.commit().await?;
        Ok((asset, ended))
    }

    /// Loads a live asset for a change, checking the client's version if it sent one.
    async fn load(
        &self,
        uow: &dyn UnitOfWork,
        actor: &Actor,
        id: AssetId,
        expected_version: Option<i32>,
    ) -> Result<DetectionAsset, LifecycleError> {
        let asset = uow
            .find_asset(actor.tenant_id, id)
            .await?
            .ok_or(LifecycleError::AssetNotFound)?;
        if asset.status == AssetStatus::Retired {
            return Err(LifecycleError::Retired);
        }
        if let Some(expected) = expected_version
            && expected != asset.version()
        {
            return Err(LifecycleError::VersionConflict {
                current: asset.version(),
            });
        }
        Ok(asset)
    }

    async fn end_all(
        &self,
        uow: &dyn UnitOfWork,
        actor: &Actor,
        asset: &DetectionAsset,
        reason: &str,
        retest: bool,
        context: &RequestContext,
    ) -> Result<Ended, LifecycleError> {
        let validations = uow
            .unended_validations(actor.tenant_id, Some(std::slice::from_ref(&asset.id)), None)
            .await?;
        let end = ProofEnd {
            at: self.clock.now(),
            reason: reason.to_owned(),
            change: None,
        };
        Ok(self
            .effects()
            .end_proofs(
                uow,
                context,
                actor.tenant_id,
                Some(actor.user_id),
                std::slice::from_ref(asset),
                &validations,
                &end,
                retest,
            )
            .await?)
    }

    /// Validations, newest first, of one asset or technique (or all), each with where it
    /// stands now.
    ///
    /// # Errors
    /// `Forbidden`; `Invalid` for a malformed technique id.
    pub async fn validations(
        &self,
        actor: &Actor,
        asset: Option<AssetId>,
        technique: Option<&str>,
    ) -> Result<Vec<ProofView>, LifecycleError> {
        actor.authorize(Action::ReadOperations)?;
        let technique = technique
            .map(|t| {
                TechniqueId::parse(t.trim())
                    .map_err(|_| invalid("technique_id", "is not an ATT&CK technique id"))
            })
            .transpose()?;
        let now = self.clock.now();
        Ok(self
            .database
            .validations(actor.tenant_id, asset, technique.as_ref())
            .await?
            .into_iter()
            .map(|validation| ProofView {
                state: validation.state(now),
                validation,
            })
            .collect())
    }

    /// The organization's decay policies.
    ///
    /// # Errors
    /// `Forbidden`.
    pub async fn decay_policies(&self, actor: &Actor) -> Result<Vec<DecayPolicy>, LifecycleError> {
        actor.authorize(Action::ReadOperations)?;
        Ok(self.database.decay_policies(actor.tenant_id).await?)
    }

    /// Sets how long proofs last for a platform, a tactic, both or neither (replacing the
    /// policy of the same scope). Proofs already made keep their expiry.
    ///
    /// # Errors
    /// `Forbidden`; `Invalid` for days outside 1..=3650 or an unknown tactic.
    pub async fn set_decay_policy(
        &self,
        actor: &Actor,
        policy: NewDecayPolicy,
        context: &RequestContext,
    ) -> Result<DecayPolicy, LifecycleError> {
        actor.authorize(Action::ManageDetections)?;
        let mut fields = Vec::new();
        if !(1..=3650).contains(&policy.validity_days) {
            fields.push(FieldError::new(
                "validity_days",
                "must be between 1 and 3650",
            ));
        }
        let platform = policy
            .platform
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_lowercase);
        if platform.as_ref().is_some_and(|p| p.chars().count() > 100) {
            fields.push(FieldError::new(
                "platform",
                "must be at most 100 characters",
            ));
        }
        let tactic = policy
            .tactic
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase);
        if let Some(tactic) = &tactic {
            let known = self.catalog.list_tactics().await?;
            if !known
                .iter()
                .any(|t| t.shortname.eq_ignore_ascii_case(tactic))
            {
                fields.push(FieldError::new(
                    "tactic",
                    "is not an ATT&CK tactic shortname",
                ));
            }
        }
        if !fields.is_empty() {
            return Err(LifecycleError::Invalid(fields));
        }
        let stored = DecayPolicy {
            id: self.ids.new_id(),
            tenant_id: actor.tenant_id,
            platform,
            tactic,
            validity_days: policy.validity_days,
        };
        let uow = self.database.begin().await?;
        uow.save_decay_policy(actor.tenant_id, &stored).await?;
        self.effects()
            .audit(
                uow.as_ref(),
                context,
                actor.tenant_id,
                Some(actor.user_id),
                "detection.decay_policy_set",
                "decay_policy",
                String::new(),
                serde_json::json!({
                    "platform": stored.platform, "tactic": stored.tactic,
                    "validity_days": stored.validity_days,
                }),
            )
            .await?;
        uow.commit().await?;
        // The stored row keeps its id when it replaced one of the same scope.
        let policies = self.database.decay_policies(actor.tenant_id).await?;
        Ok(policies
            .into_iter()
            .find(|p| p.platform == stored.platform && p.tactic == stored.tactic)
            .unwrap_or(stored))
    }

    /// # Errors
    /// `Forbidden`; `PolicyNotFound`.
    pub async fn delete_decay_policy(
        &self,
        actor: &Actor,
        id: Uuid,
        context: &RequestContext,
    ) -> Result<(), LifecycleError> {
        actor.authorize(Action::ManageDetections)?;
        let uow = self.database.begin().await?;
        uow.delete_decay_policy(actor.tenant_id, id).await?;
        self.effects()
            .audit(
                uow.as_ref(),
                context,
                actor.tenant_id,
                Some(actor.user_id),
                "detection.decay_policy_deleted",
                "decay_policy",
                id.to_string(),
                serde_json::json!({}),
            )
            .await?;
        uow.commit().await?;
        Ok(())
    }
}
