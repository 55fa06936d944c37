//! What the proofs add up to: confidence per technique (which assets cover it, which are
//! proven and until when) and the lifecycle dashboard.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};

use aegis_domain::catalog::TechniqueId;
use aegis_domain::detection_lifecycle::{
    AssetId, AssetStatus, DetectionAsset, DetectionValidation, ProofState,
};
use aegis_domain::permission::Action;

use super::{DetectionLifecycleService, LifecycleError, ProofView};
use crate::context::Actor;

/// One asset that covers a technique, with its proof for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetProof {
    pub asset: DetectionAsset,
    /// The current proof lasting longest, if any.
    pub proof: Option<DetectionValidation>,
    /// The newest proof of any state, if the asset was ever proven for the technique.
    pub last: Option<ProofView>,
}

/// How far a technique's detection can be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TechniqueConfidence {
    pub technique: TechniqueId,
    /// The assets that cover it (by their techniques, or by a proof for it).
    pub assets: Vec<AssetProof>,
    pub covering: u32,
    pub proven: u32,
    /// The share of covering assets proven now, 0..=100.
    pub confidence: u32,
    /// When the last current proof lapses.
    pub proven_until: Option<DateTime<Utc>>,
}

/// A technique whose proof lapses soon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextLapse {
    pub technique: TechniqueId,
    /// When its last current proof lapses.
    pub lapses_at: DateTime<Utc>,
    pub assets: Vec<AssetId>,
}

/// The lifecycle dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleDashboard {
    pub assets: u32,
    /// Active assets with no current proof.
    pub unproven_assets: u32,
    pub current: u32,
    pub expiring_7_days: u32,
    pub expiring_30_days: u32,
    pub expired: u32,
    pub invalidated: u32,
    /// Techniques whose last current proof lapses first, soonest first (at most 10).
    pub next_lapses: Vec<NextLapse>,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Confidence of every technique that an asset covers or a proof names, from the
/// organization's live assets and their proofs: what the matrix shows.
#[must_use]
pub(super) fn confidence_of(
    assets: &[DetectionAsset],
    validations: &[DetectionValidation],
    now: DateTime<Utc>,
) -> Vec<TechniqueConfidence> {
    let by_id: BTreeMap<AssetId, &DetectionAsset> = assets.iter().map(|a| (a.id, a)).collect();
    let mut covering: BTreeMap<&TechniqueId, BTreeSet<AssetId>> = BTreeMap::new();
    for asset in assets {
        for technique in &asset.techniques {
            covering.entry(technique).or_default().insert(asset.id);
        }
    }
    let mut proofs: BTreeMap<(&TechniqueId, AssetId), Vec<&DetectionValidation>> = BTreeMap::new();
    for v in validations {
        if by_id.contains_key(&v.asset_id) {
            covering
                .entry(&v.technique_id)
                .or_default()
                .insert(v.asset_id);
            proofs
                .entry((&v.technique_id, v.asset_id))
                .or_default()
                .push(v);
        }
    }
    covering
        .into_iter()
        .map(|(technique, ids)| {
            let rows: Vec<AssetProof> = ids
                .iter()
                .filter_map(|id| by_id.get(id))
                .map(|asset| {
                    let list = proofs
                        .get(&(technique, asset.id))
                        .map(Vec::as_slice)
                        .unwrap_or_default();
                    let proof = list
                        .iter()
                        .filter(|v| v.state(now) == ProofState::Current)
                        .max_by_key(|v| v.expires_at)
                        .map(|v| (*v).clone());
                    let last = list
                        .iter()
                        .max_by_key(|v| v.validated_at)
                        .map(|v| ProofView {
                            state: v.state(now),
                            validation: (*v).clone(),
                        });
                    AssetProof {
                        asset: (*asset).clone(),
                        proof,
                        last,
                    }
                })
                .collect();
            let proven = count(rows.iter().filter(|r| r.proof.is_some()).count());
            let total = count(rows.len());
            TechniqueConfidence {
                technique: technique.clone(),
                covering: total,
                proven,
                confidence: proven.saturating_mul(100).checked_div(total).unwrap_or(0),
                proven_until: rows
                    .iter()
                    .filter_map(|r| r.proof.as_ref().map(|p| p.expires_at))
                    .max(),
                assets: rows,
            }
        })
        .collect()
}

impl DetectionLifecycleService {
    /// Which assets cover a technique, and which are proven until when ("unproven" when none).
    ///
    /// # Errors
    /// `Forbidden`; `Invalid` for a malformed technique id.
    pub async fn confidence(
        &self,
        actor: &Actor,
        technique: &str,
    ) -> Result<TechniqueConfidence, LifecycleError> {
        actor.authorize(Action::ReadOperations)?;
        let technique = TechniqueId::parse(technique.trim())
            .map_err(|_| super::invalid("technique", "is not an ATT&CK technique id"))?;
        let assets: Vec<DetectionAsset> = self
            .database
            .live_assets(actor.tenant_id)
            .await?
            .into_iter()
            .collect();
        let validations = self
            .database
            .validations(actor.tenant_id, None, Some(&technique))
            .await?;
        let relevant: Vec<DetectionAsset> = assets
            .into_iter()
            .filter(|a| {
                a.techniques.contains(&technique) || validations.iter().any(|v| v.asset_id == a.id)
            })
            .collect();
        Ok(confidence_of(&relevant, &validations, self.clock.now())
            .into_iter()
            .find(|c| c.technique == technique)
            .unwrap_or(TechniqueConfidence {
                technique,
                assets: Vec::new(),
                covering: 0,
                proven: 0,
                confidence: 0,
                proven_until: None,
            }))
    }

    /// Confidence of every technique an asset of the organization covers.
    ///
    /// # Errors
    /// `Forbidden`.
    pub async fn confidence_matrix(
        &self,
        actor: &Actor,
    ) -> Result<Vec<TechniqueConfidence>, LifecycleError> {
        actor.authorize(Action::ReadOperations)?;
        let assets = self.database.live_assets(actor.tenant_id).await?;
        let validations = self
            .database
            .unended_validations(actor.tenant_id, None, None)
            .await?;
        Ok(confidence_of(&assets, &validations, self.clock.now()))
    }

    /// Expiring in 7 and 30 days, expired, invalidated, and the techniques whose last proof
    /// lapses next.
    ///
    /// # Errors
    /// `Forbidden`.
    pub async fn dashboard(&self, actor: &Actor) -> Result<LifecycleDashboard, LifecycleError> {
        actor.authorize(Action::ReadOperations)?;
        let now = self.clock.now();
        let assets = self.database.live_assets(actor.tenant_id).await?;
        let validations = self
            .database
            .validations(actor.tenant_id, None, None)
            .await?;
        let state = |v: &DetectionValidation| v.state(now);
        let current: Vec<&DetectionValidation> = validations
            .iter()
            .filter(|v| state(v) == ProofState::Current)
            .collect();
        let within = |days: i64| {
            count(
                current
                    .iter()
                    .filter(|v| v.expires_at <= now + Duration::days(days))
                    .count(),
            )
        };
        let proven: BTreeSet<AssetId> = current.iter().map(|v| v.asset_id).collect();
        let mut lapses: BTreeMap<&TechniqueId, (DateTime<Utc>, BTreeSet<AssetId>)> =
            BTreeMap::new();
        for v in &current {
            let entry = lapses
                .entry(&v.technique_id)
                .or_insert((v.expires_at, BTreeSet::new()));
            entry.0 = entry.0.max(v.expires_at);
            entry.1.insert(v.asset_id);
        }
        let mut next_lapses: Vec<NextLapse> = lapses
            .into_iter()
            .map(|(technique, (lapses_at, assets))| NextLapse {
                technique: technique.clone(),
                lapses_at,
                assets: assets.into_iter().collect(),
            })
            .collect();
        next_lapses.sort_by(|a, b| {
            a.lapses_at
                .cmp(&b.lapses_at)
                .then(a.technique.cmp(&b.technique))
        });
        next_lapses.truncate(10);
        Ok(LifecycleDashboard {
            assets: count(assets.len()),
            unproven_assets: count(
                assets
                    .iter()
                    .filter(|a| a.status == AssetStatus::Active && !proven.contains(&a.id))
                    .count(),
            ),
            current: count(current.len()),
            expiring_7_days: within(7),
            expiring_30_days: within(30),
            expired: count(
                validations
                    .iter()
                    .filter(|v| state(v) == ProofState::Expired)
                    .count(),
            ),
            invalidated: count(
                validations
                    .iter()
                    .filter(|v| state(v) == ProofState::Invalidated)
                    .count(),
            ),
            next_lapses,
        })
    }
}
