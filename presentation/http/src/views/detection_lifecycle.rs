//! The wire types of [`crate::routes::detection_lifecycle`]: detection assets, their proofs,
//! infrastructure changes, decay policies, confidence and the lifecycle dashboard.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::detection_lifecycle::{
    AssetDetail, AssetProof, AssetQuery, ChangeOutcome, Ended, LifecycleDashboard, NextLapse,
    ProofView, TechniqueConfidence,
};
use aegis_domain::detection_lifecycle::{
    AssetRevision, DecayPolicy, DetectionAsset, InfrastructureChange,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleLinkView {
    /// The catalog rule (`GET /api/v1/detection-rules/{id}`).
    pub rule_id: Uuid,
    #[schema(value_type = crate::views::enums::RuleSource)]
    pub source: String,
    pub source_id: String,
    pub title: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssetView {
    pub id: Uuid,
    pub name: String,
    #[schema(value_type = crate::views::enums::AssetKind)]
    pub kind: String,
    pub owner_id: Option<Uuid>,
    pub team: String,
    /// Which SIEM or EDR runs it, lower-case.
    pub platform: String,
    #[schema(value_type = crate::views::enums::AssetStatus)]
    pub status: String,
    pub content: String,
    /// SHA-256 of the content, hex.
    pub content_sha256: String,
    pub techniques: Vec<String>,
    /// The catalog rule it was made from.
    pub rule: Option<RuleLinkView>,
    pub version: i32,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<DetectionAsset> for AssetView {
    fn from(a: DetectionAsset) -> Self {
        // Read first: the fields below move out of `a`.
        let version = a.version();
        Self {
            id: a.id.as_uuid(),
            kind: a.kind.as_str().to_owned(),
            owner_id: a.owner.map(|u| u.as_uuid()),
            status: a.status.as_str().to_owned(),
            content: a.content().to_owned(),
            content_sha256: a.content_sha256().to_owned(),
            techniques: a.techniques.iter().map(ToString::to_string).collect(),
            rule: a.rule.map(|r| RuleLinkView {
                rule_id: r.rule_id,
                source: r.source.as_str().to_owned(),
                source_id: r.source_id,
                title: r.title,
            }),
            version,
            created_by: a.created_by.as_uuid(),
            created_at: a.created_at,
            updated_at: a.updated_at,
            name: a.name,
            team: a.team,
            platform: a.platform,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ValidationView {
    pub id: Uuid,
    pub asset_id: Uuid,
    pub technique_id: String,
    /// `test` (written when a test validated with the asset's rule firing) or `manual`.
    #[schema(value_type = crate::views::enums::ProofSource)]
    pub source: String,
    pub test_id: Option<Uuid>,
    #[schema(value_type = Option<crate::views::enums::Outcome>)]
    pub outcome: Option<String>,
    pub evidence: Option<String>,
    pub notes: String,
    /// The asset content it proved.
    pub content_sha256: String,
    pub validated_by: Option<Uuid>,
    pub validated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Where it stands now.
    #[schema(value_type = crate::views::enums::ProofState)]
    pub state: String,
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it ended (`rule changed since it was proven`, `expired`, an infrastructure change).
    pub end_reason: Option<String>,
    pub infrastructure_change_id: Option<Uuid>,
}

impl From<ProofView> for ValidationView {
    fn from(view: ProofView) -> Self {
        let v = view.validation;
        let ended = v.ended;
        Self {
            id: v.id.as_uuid(),
            asset_id: v.asset_id.as_uuid(),
            technique_id: v.technique_id.to_string(),
            source: v.source.as_str().to_owned(),
            test_id: v.test_id.map(|t| t.as_uuid()),
            outcome: v.outcome.map(|o| o.as_str().to_owned()),
            evidence: v.evidence,
            notes: v.notes,
            content_sha256: v.content_sha256,
            validated_by: v.validated_by.map(|u| u.as_uuid()),
            validated_at: v.validated_at,
            expires_at: v.expires_at,
            state: view.state.as_str().to_owned(),
            ended_at: ended.as_ref().map(|e| e.at),
            end_reason: ended.as_ref().map(|e| e.reason.clone()),
            infrastructure_change_id: ended.and_then(|e| e.change.map(|c| c.as_uuid())),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionView {
    pub version: i32,
    /// created, edited, rule_reimported or retired.
    pub change: String,
    pub content_sha256: String,
    #[schema(value_type = crate::views::enums::AssetStatus)]
    pub status: String,
    /// `null` for the system (a rule re-import).
    pub changed_by: Option<Uuid>,
    pub changed_at: DateTime<Utc>,
}

impl From<AssetRevision> for RevisionView {
    fn from(r: AssetRevision) -> Self {
        Self {
            version: r.version,
            change: r.change,
            content_sha256: r.content_sha256,
            status: r.status.as_str().to_owned(),
            changed_by: r.changed_by.map(|u| u.as_uuid()),
            changed_at: r.changed_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssetDetailView {
    pub asset: AssetView,
    /// Newest first.
    pub validations: Vec<ValidationView>,
    /// Oldest first.
    pub history: Vec<RevisionView>,
}

impl From<AssetDetail> for AssetDetailView {
    fn from(d: AssetDetail) -> Self {
        Self {
            asset: d.asset.into(),
            validations: d.validations.into_iter().map(Into::into).collect(),
            history: d.history.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EndedView {
    /// How many proofs ended.
    pub validations: u64,
    /// The techniques they proved (rescored).
    pub techniques: Vec<String>,
    /// The retest drafts planned, one per technique.
    pub retests: Vec<Uuid>,
    /// How many owners were told.
    pub notified: u64,
}

impl From<Ended> for EndedView {
    fn from(e: Ended) -> Self {
        Self {
            validations: e.validations,
            techniques: e.techniques.iter().map(ToString::to_string).collect(),
            retests: e.retests.iter().map(|t| t.as_uuid()).collect(),
            notified: e.notified,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssetChangeView {
    pub asset: AssetView,
    /// What the change ended (a changed content ends every proof of the asset).
    pub ended: EndedView,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssetListQuery {
    #[param(value_type = Option<crate::views::enums::AssetKind>)]
    pub kind: Option<String>,
    #[param(value_type = Option<crate::views::enums::AssetStatus>)]
    pub status: Option<String>,
    pub platform: Option<String>,
    pub team: Option<String>,
    pub owner_id: Option<Uuid>,
    /// Assets covering this technique.
    pub technique_id: Option<String>,
    /// In the name.
    pub search: Option<String>,
}

impl From<AssetListQuery> for AssetQuery {
    fn from(q: AssetListQuery) -> Self {
        let text = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
        Self {
            kind: q.kind,
            status: q.status,
            platform: text(q.platform),
            team: text(q.team),
            owner: q.owner_id,
            technique: text(q.technique_id),
            search: text(q.search),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewAssetRequest {
    pub name: String,
    #[schema(value_type = crate::views::enums::AssetKind)]
    pub kind: String,
    pub platform: String,
    #[serde(default)]
    pub team: String,
    pub owner_id: Option<Uuid>,
    #[serde(default)]
    pub content: String,
    /// ATT&CK technique ids the catalog holds.
    #[serde(default)]
    pub techniques: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AssetFromRuleRequest {
    /// The catalog rule (`GET /api/v1/detection-rules`).
    pub rule_id: Uuid,
    pub platform: String,
    /// Defaults to the rule's title.
    pub name: Option<String>,
    /// Defaults to siem_rule.
    #[schema(value_type = Option<crate::views::enums::AssetKind>)]
    pub kind: Option<String>,
    #[serde(default)]
    pub team: String,
    pub owner_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateAssetRequest {
    pub name: Option<String>,
    #[schema(value_type = Option<crate::views::enums::AssetKind>)]
    pub kind: Option<String>,
    pub platform: Option<String>,
    pub team: Option<String>,
    /// A user id, or null to clear.
    #[serde(default, deserialize_with = "crate::views::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub owner_id: Option<Option<Uuid>>,
    /// active or disabled (retire with DELETE).
    #[schema(value_type = Option<crate::views::enums::AssetStatus>)]
    pub status: Option<String>,
    /// A changed content ends every proof of the asset.
    pub content: Option<String>,
    pub techniques: Option<Vec<String>>,
    /// The version read; or send If-Match.
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ValidationListQuery {
    pub asset_id: Option<Uuid>,
    pub technique_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ManualValidationRequest {
    pub asset_id: Uuid,
    pub technique_id: String,
    /// Where the proof is: an evidence id, a ticket, a URL.
    pub evidence: String,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssetProofView {
    pub asset: AssetView,
    /// The current proof lasting longest; `null` when the asset is unproven for the technique.
    pub proof: Option<ValidationView>,
    /// The newest proof of any state.
    pub last: Option<ValidationView>,
}

impl From<AssetProof> for AssetProofView {
    fn from(p: AssetProof) -> Self {
        Self {
            asset: p.asset.into(),
            proof: p.proof.map(|v| {
                // The asset's proof is a current one by construction.
                ProofView {
                    state: aegis_domain::detection_lifecycle::ProofState::Current,
                    validation: v,
                }
                .into()
            }),
            last: p.last.map(Into::into),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConfidenceView {
    pub technique_id: String,
    pub assets: Vec<AssetProofView>,
    /// Assets that cover it.
    pub covering: u32,
    /// Of those, proven now.
    pub proven: u32,
    /// The share proven now, 0 to 100.
    pub confidence: u32,
    /// When its last current proof lapses.
    pub proven_until: Option<DateTime<Utc>>,
}

impl From<TechniqueConfidence> for ConfidenceView {
    fn from(c: TechniqueConfidence) -> Self {
        Self {
            technique_id: c.technique.to_string(),
            assets: c.assets.into_iter().map(Into::into).collect(),
            covering: c.covering,
            proven: c.proven,
            confidence: c.confidence,
            proven_until: c.proven_until,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConfidenceSummaryView {
    pub technique_id: String,
    pub covering: u32,
    pub proven: u32,
    pub confidence: u32,
    pub proven_until: Option<DateTime<Utc>>,
}

impl From<TechniqueConfidence> for ConfidenceSummaryView {
    fn from(c: TechniqueConfidence) -> Self {
        Self {
            technique_id: c.technique.to_string(),
            covering: c.covering,
            proven: c.proven,
            confidence: c.confidence,
            proven_until: c.proven_until,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InfrastructureChangeView {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub occurred_at: DateTime<Utc>,
    pub platforms: Vec<String>,
    pub asset_ids: Vec<Uuid>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
    /// How many proofs it ended.
    pub ended_validations: u32,
}

impl From<InfrastructureChange> for InfrastructureChangeView {
    fn from(c: InfrastructureChange) -> Self {
        Self {
            id: c.id.as_uuid(),
            title: c.title,
            description: c.description,
            occurred_at: c.occurred_at,
            platforms: c.platforms,
            asset_ids: c.assets.iter().map(|a| a.as_uuid()).collect(),
            recorded_by: c.recorded_by.as_uuid(),
            recorded_at: c.recorded_at,
            ended_validations: c.ended_validations,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeOutcomeView {
    pub change: InfrastructureChangeView,
    pub ended: EndedView,
}

impl From<ChangeOutcome> for ChangeOutcomeView {
    fn from(o: ChangeOutcome) -> Self {
        Self {
            change: o.change.into(),
            ended: o.ended.into(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewInfrastructureChangeRequest {
    /// What changed (a SIEM migration, an EDR upgrade, a removed log source).
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// When it happened (default now); proofs made before it end.
    pub occurred_at: Option<DateTime<Utc>>,
    /// The platforms it touches (every asset on them).
    #[serde(default)]
    pub platforms: Vec<String>,
    /// Assets it touches besides those on the platforms.
    #[serde(default)]
    pub asset_ids: Vec<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecayPolicyView {
    pub id: Uuid,
    /// `null` for any platform.
    pub platform: Option<String>,
    /// A tactic shortname, `null` for any tactic.
    pub tactic: Option<String>,
    pub validity_days: i64,
}

impl From<DecayPolicy> for DecayPolicyView {
    fn from(p: DecayPolicy) -> Self {
        Self {
            id: p.id,
            platform: p.platform,
            tactic: p.tactic,
            validity_days: p.validity_days,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DecayPolicyRequest {
    pub platform: Option<String>,
    pub tactic: Option<String>,
    /// 1 to 3650.
    pub validity_days: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NextLapseView {
    pub technique_id: String,
    pub lapses_at: DateTime<Utc>,
    pub asset_ids: Vec<Uuid>,
}

impl From<NextLapse> for NextLapseView {
    fn from(n: NextLapse) -> Self {
        Self {
            technique_id: n.technique.to_string(),
            lapses_at: n.lapses_at,
            asset_ids: n.assets.iter().map(|a| a.as_uuid()).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LifecycleDashboardView {
    pub assets: u32,
    /// Active assets with no current proof.
    pub unproven_assets: u32,
    pub current: u32,
    pub expiring_7_days: u32,
    pub expiring_30_days: u32,
    pub expired: u32,
    pub invalidated: u32,
    /// Techniques whose last proof lapses first, soonest first.
    pub next_lapses: Vec<NextLapseView>,
}

impl From<LifecycleDashboard> for LifecycleDashboardView {
    fn from(d: LifecycleDashboard) -> Self {
        Self {
            assets: d.assets,
            unproven_assets: d.unproven_assets,
            current: d.current,
            expiring_7_days: d.expiring_7_days,
            expiring_30_days: d.expiring_30_days,
            expired: d.expired,
            invalidated: d.invalidated,
            next_lapses: d.next_lapses.into_iter().map(Into::into).collect(),
        }
    }
}
