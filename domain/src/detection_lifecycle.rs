//! The life of a detection: the assets an organization runs in production (SIEM rules, EDR
//! policies, sensors…), the validations that prove one fired for a technique, how long that
//! proof lasts (decay policies), and what ends it early (a changed rule, an infrastructure
//! change). `docs/detection-lifecycle.md` tells the whole story.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::catalog::TechniqueId;
use crate::detection::{RuleSource, names_rule};
use crate::id::Id;
use crate::tenant::TenantId;
use crate::test_case::{Outcome, TestId};
use crate::user::UserId;

pub type AssetId = Id<DetectionAsset>;
pub type ValidationId = Id<DetectionValidation>;
pub type InfrastructureChangeId = Id<InfrastructureChange>;

/// What kind of detection an asset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssetKind {
    SiemRule,
    EdrPolicy,
    Sensor,
    IdsRule,
    ManualReview,
    Custom,
}

impl AssetKind {
    pub const ALL: [Self; 6] = [
        Self::SiemRule,
        Self::EdrPolicy,
        Self::Sensor,
        Self::IdsRule,
        Self::ManualReview,
        Self::Custom,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SiemRule => "siem_rule",
            Self::EdrPolicy => "edr_policy",
            Self::Sensor => "sensor",
            Self::IdsRule => "ids_rule",
            Self::ManualReview => "manual_review",
            Self::Custom => "custom",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Whether an asset runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssetStatus {
    Active,
    Disabled,
    /// Retired for good: kept with its history, never proven again.
    Retired,
}

impl AssetStatus {
    pub const ALL: [Self; 3] = [Self::Active, Self::Disabled, Self::Retired];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Retired => "retired",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The catalog rule an asset was made from: kept so a re-import of the rule with changed
/// detection logic reaches the asset, and so a test's fired rule names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleLink {
    /// The catalog row of the rule.
    pub rule_id: uuid::Uuid,
    pub source: RuleSource,
    pub source_id: String,
    pub title: String,
}

/// The SHA-256 of an asset's content, lower-case hex.
#[must_use]
pub fn content_hash(content: &str) -> String {
    hex::encode(Sha256::digest(content.as_bytes()))
}

/// A detection the organization runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectionAsset {
    pub id: AssetId,
    pub tenant_id: TenantId,
    pub name: String,
    pub kind: AssetKind,
    pub owner: Option<UserId>,
    pub team: String,
    /// Which SIEM or EDR runs it (`splunk`, `sentinel`, `crowdstrike`…), as the team names it.
    pub platform: String,
    pub status: AssetStatus,
    /// The rule as deployed; its hash is kept with it by [`DetectionAsset::set_content`].
    content: String,
    content_sha256: String,
    pub techniques: Vec<TechniqueId>,
    pub rule: Option<RuleLink>,
    /// Incremented by every change ([`DetectionAsset::record_change`]).
    version: i32,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl DetectionAsset {
    #[expect(clippy::too_many_arguments, reason = "every field of a new asset")]
    #[must_use]
    pub fn new(
        id: AssetId,
        tenant_id: TenantId,
        name: String,
        kind: AssetKind,
        platform: String,
        content: String,
        techniques: Vec<TechniqueId>,
        created_by: UserId,
        now: DateTime<Utc>,
    ) -> Self {
        let mut techniques = techniques;
        techniques.sort();
        techniques.dedup();
        Self {
            id,
            tenant_id,
            name,
            kind,
            owner: None,
            team: String::new(),
            platform,
            status: AssetStatus::Active,
            content_sha256: content_hash(&content),
            content,
            techniques,
            rule: None,
            version: 1,
            created_by,
            created_at: now,
            updated_at: now,
        }
    }

    /// The asset as storage holds it, content hash and version exactly as saved.
    #[must_use]
    pub fn restored(mut self, content_sha256: String, version: i32) -> Self {
        self.content_sha256 = content_sha256;
        self.version = version;
        self
    }

    #[must_use]
    pub fn content(&self) -> &str {
        &self.content
    }

    #[must_use]
    pub fn content_sha256(&self) -> &str {
        &self.content_sha256
    }

    #[must_use]
    pub const fn version(&self) -> i32 {
        self.version
    }

    /// Replaces the content; returns whether its hash changed (what ends its proofs).
    pub fn set_content(&mut self, content: String) -> bool {
        let hash = content_hash(&content);
        let changed = hash != self.content_sha256;
        self.content = content;
        self.content_sha256 = hash;
        changed
    }

    /// Replaces the techniques it covers (sorted, without duplicates).
    pub fn set_techniques(&mut self, mut techniques: Vec<TechniqueId>) {
        techniques.sort();
        techniques.dedup();
        self.techniques = techniques;
    }

    /// Marks a change made at `now`: returns the version it was based on and moves on.
    pub fn record_change(&mut self, now: DateTime<Utc>) -> i32 {
        let based_on = self.version;
        self.version += 1;
        self.updated_at = now;
        based_on
    }

    /// Whether a test's rule result entry names this asset: its name, or the catalog rule it
    /// comes from (by id, `source:id` or title), case-insensitively.
    #[must_use]
    pub fn is_named_by(&self, reference: &str) -> bool {
        reference.trim().eq_ignore_ascii_case(self.name.trim())
            || self
                .rule
                .as_ref()
                .is_some_and(|r| names_rule(r.source, &r.source_id, &r.title, reference))
    }

    /// Whether a change of infrastructure on `platforms` (or naming this asset) reaches it.
    #[must_use]
    pub fn touched_by(&self, change: &InfrastructureChange) -> bool {
        change.assets.contains(&self.id)
            || change
                .platforms
                .iter()
                .any(|p| p.trim().eq_ignore_ascii_case(self.platform.trim()))
    }
}

/// Filters of the asset list; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetFilter {
    pub kind: Option<AssetKind>,
    pub status: Option<AssetStatus>,
    /// Case-insensitive, exact.
    pub platform: Option<String>,
    pub team: Option<String>,
    pub owner: Option<UserId>,
    /// Assets covering this technique.
    pub technique: Option<TechniqueId>,
    /// In the name, case-insensitive.
    pub search: Option<String>,
}

/// One entry of an asset's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetRevision {
    pub id: uuid::Uuid,
    pub asset_id: AssetId,
    pub version: i32,
    /// `created`, `edited`, `rule_reimported`, `retired`.
    pub change: String,
    pub content_sha256: String,
    pub status: AssetStatus,
    /// Who changed it; `None` for the system (a rule re-import).
    pub changed_by: Option<UserId>,
    pub changed_at: DateTime<Utc>,
}

/// How a validation came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProofSource {
    /// Written when a test validated with the asset's rule firing.
    Test,
    /// Recorded by a lead, with evidence.
    Manual,
}

impl ProofSource {
    pub const ALL: [Self; 2] = [Self::Test, Self::Manual];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Test => "test",
            Self::Manual => "manual",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Why a proof ended.
pub const REASON_RULE_CHANGED: &str = "rule changed since it was proven";
pub const REASON_EXPIRED: &str = "expired";

/// How a proof ended: when and why. A validation never changes otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofEnd {
    pub at: DateTime<Utc>,
    pub reason: String,
    /// The infrastructure change that ended it, if one did.
    pub change: Option<InfrastructureChangeId>,
}

/// The record that an asset was proven to detect a technique, until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectionValidation {
    pub id: ValidationId,
    pub tenant_id: TenantId,
    pub asset_id: AssetId,
    pub technique_id: TechniqueId,
    pub source: ProofSource,
    pub test_id: Option<TestId>,
    pub outcome: Option<Outcome>,
    /// For a manual proof: where its evidence is (an evidence id, a ticket, a URL).
    pub evidence: Option<String>,
    pub notes: String,
    /// The asset content it proved.
    pub content_sha256: String,
    pub validated_by: Option<UserId>,
    pub validated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ended: Option<ProofEnd>,
}

/// Where a proof stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofState {
    Current,
    Expired,
    Invalidated,
}

impl ProofState {
    pub const ALL: [Self; 3] = [Self::Current, Self::Expired, Self::Invalidated];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Expired => "expired",
            Self::Invalidated => "invalidated",
        }
    }
}

impl DetectionValidation {
    /// Current until it expires or something ends it.
    #[must_use]
    pub fn state(&self, now: DateTime<Utc>) -> ProofState {
        match &self.ended {
            Some(end) if end.reason == REASON_EXPIRED => ProofState::Expired,
            Some(_) => ProofState::Invalidated,
            None if self.expires_at <= now => ProofState::Expired,
            None => ProofState::Current,
        }
    }
}

/// A change to the infrastructure (a SIEM migration, an EDR upgrade, a removed log source)
/// that ends the proofs of the assets it touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfrastructureChange {
    pub id: InfrastructureChangeId,
    pub tenant_id: TenantId,
    pub title: String,
    pub description: String,
    /// When the change happened: proofs made before it end.
    pub occurred_at: DateTime<Utc>,
    pub platforms: Vec<String>,
    pub assets: Vec<AssetId>,
    pub recorded_by: UserId,
    pub recorded_at: DateTime<Utc>,
    /// How many proofs it ended.
    pub ended_validations: u32,
}

/// A technique's risk level as the risk model names it (`critical`, `high`, `medium`, `low`,
/// `info`).
pub type RiskLevel = str;

/// How long a proof lasts when no decay policy says otherwise: 90 days for a critical or high
/// risk technique, 180 for a medium one (and when no risk level is known), 365 for the rest.
#[must_use]
pub fn default_validity_days(risk: Option<&RiskLevel>) -> i64 {
    match risk.map(str::to_ascii_lowercase).as_deref() {
        Some("critical" | "high") => 90,
        Some("low" | "info") => 365,
        _ => 180,
    }
}

/// An organization's rule for how long proofs last: for a platform, a tactic, both, or
/// neither (the organization's default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecayPolicy {
    pub id: uuid::Uuid,
    pub tenant_id: TenantId,
    pub platform: Option<String>,
    /// A tactic shortname (`initial-access`).
    pub tactic: Option<String>,
    pub validity_days: i64,
}

impl DecayPolicy {
    /// Whether it applies to an asset on `platform` proving a technique of `tactics`; how
    /// specific it is (2 for platform and tactic, 1 for one of them, 0 for the default).
    fn fit(&self, platform: &str, tactics: &[String]) -> Option<u8> {
        let platform_fits = self
            .platform
            .as_ref()
            .is_none_or(|p| p.trim().eq_ignore_ascii_case(platform.trim()));
        let tactic_fits = self
            .tactic
            .as_ref()
            .is_none_or(|t| tactics.iter().any(|x| x.eq_ignore_ascii_case(t)));
        (platform_fits && tactic_fits)
            .then(|| u8::from(self.platform.is_some()) + u8::from(self.tactic.is_some()))
    }
}

/// When a proof made at `validated_at` expires: the most specific policy that fits (platform
/// and tactic, then either, then the organization's default); the shortest validity among
/// equally specific ones; else [`default_validity_days`] of the technique's risk level.
#[must_use]
pub fn expiry(
    policies: &[DecayPolicy],
    platform: &str,
    tactics: &[String],
    risk: Option<&RiskLevel>,
    validated_at: DateTime<Utc>,
) -> DateTime<Utc> {
    let best = policies
        .iter()
        .filter_map(|p| p.fit(platform, tactics).map(|rank| (rank, p.validity_days)))
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let days = best.map_or_else(|| default_validity_days(risk), |(_, days)| days);
    validated_at + Duration::days(days.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 1, day, 0, 0, 0)
            .single()
            .unwrap_or_else(|| panic!("bad date"))
    }

    fn policy(platform: Option<&str>, tactic: Option<&str>, days: i64) -> DecayPolicy {
        DecayPolicy {
            id: uuid::Uuid::nil(),
            tenant_id: TenantId::from_uuid(uuid::Uuid::nil()),
            platform: platform.map(str::to_owned),
            tactic: tactic.map(str::to_owned),
            validity_days: days,
        }
    }

    #[test]
    fn without_policies_the_risk_level_decides() {
        assert_eq!(
            expiry(&[], "splunk", &[], Some("critical"), at(1)),
            at(1) + Duration::days(90)
        );
        assert_eq!(
            expiry(&[], "splunk", &[], Some("medium"), at(1)),
            at(1) + Duration::days(180)
        );
        assert_eq!(
            expiry(&[], "splunk", &[], Some("low"), at(1)),
            at(1) + Duration::days(365)
        );
        assert_eq!(
            expiry(&[], "splunk", &[], None, at(1)),
            at(1) + Duration::days(180)
        );
    }

    #[test]
    fn the_most_specific_policy_wins() {
        let tactics = vec!["initial-access".to_owned()];
        let policies = [
            policy(None, None, 200),
            policy(Some("Splunk"), None, 120),
            policy(Some("splunk"), Some("initial-access"), 30),
            policy(Some("sentinel"), Some("initial-access"), 10),
        ];
        assert_eq!(
            expiry(&policies, "splunk", &tactics, None, at(1)),
            at(1) + Duration::days(30)
        );
        assert_eq!(
            expiry(&policies, "splunk", &[], None, at(1)),
            at(1) + Duration::days(120)
        );
        assert_eq!(
            expiry(&policies, "crowdstrike", &[], Some("critical"), at(1)),
            at(1) + Duration::days(200)
        );
    }

    #[test]
    fn a_content_change_is_seen_by_its_hash() {
        let id = AssetId::from_uuid(uuid::Uuid::nil());
        let mut asset = DetectionAsset::new(
            id,
            TenantId::from_uuid(uuid::Uuid::nil()),
            "Mimikatz".into(),
            AssetKind::SiemRule,
            "splunk".into(),
            "index=win EventCode=10".into(),
            vec![],
            UserId::from_uuid(uuid::Uuid::nil()),
            at(1),
        );
        assert_eq!(
            asset.content_sha256(),
            content_hash("index=win EventCode=10")
        );
        assert!(!asset.set_content("index=win EventCode=10".into()));
        assert!(asset.set_content("index=win EventCode=4688".into()));
        assert!(asset.is_named_by(" mimikatz "));
        assert!(!asset.is_named_by("other"));
    }

    #[test]
    fn a_proof_is_current_until_it_expires_or_ends() {
        let proof = DetectionValidation {
            id: ValidationId::from_uuid(uuid::Uuid::nil()),
            tenant_id: TenantId::from_uuid(uuid::Uuid::nil()),
            asset_id: AssetId::from_uuid(uuid::Uuid::nil()),
            technique_id: TechniqueId::parse("T1003").unwrap_or_else(|e| panic!("{e}")),
            source: ProofSource::Manual,
            test_id: None,
            outcome: None,
            evidence: None,
            notes: String::new(),
            content_sha256: String::new(),
            validated_by: None,
            validated_at: at(1),
            expires_at: at(10),
            ended: None,
        };
        assert_eq!(proof.state(at(5)), ProofState::Current);
        assert_eq!(proof.state(at(10)), ProofState::Expired);
        let ended = DetectionValidation {
            ended: Some(ProofEnd {
                at: at(3),
                reason: REASON_RULE_CHANGED.into(),
                change: None,
            }),
            ..proof
        };
        assert_eq!(ended.state(at(5)), ProofState::Invalidated);
    }
}
