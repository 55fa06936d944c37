//! Writing an ATT&CK release: one transaction, upserts keyed by STIX id, fingerprints to tell
//! unchanged objects from updated ones, and the import recorded with its report.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QuerySelect,
};

use aegis_domain::catalog::{AttackRelease, fingerprint};
use aegis_domain::ports::RepositoryError;
use aegis_domain::ports::{ImportCounts, ImportReport};

use super::Connection;
use super::entities::{
    mitigation, relationship, software, tactic, technique, technique_tactic, threat_actor,
};
use crate::persistence::error::unexpected;

/// Rows per multi-row INSERT: well under SQLite's bound-parameter limit for the widest table.
const BATCH: usize = 200;

fn flag(value: bool) -> &'static str {
    if value { "1" } else { "0" }
}

/// Inserts `rows` in batches.
async fn insert_batches<E, A>(tx: &DatabaseTransaction, rows: Vec<A>) -> Result<(), RepositoryError>
where
    E: EntityTrait,
    A: ActiveModelTrait<Entity = E> + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<A> = rows.by_ref().take(BATCH).collect();
        E::insert_many(batch)
            .exec_without_returning(tx)
            .await
            .map_err(unexpected)?;
    }
    Ok(())
}

/// Stored fingerprints of one table, by STIX id.
async fn fingerprints<E>(
    tx: &DatabaseTransaction,
    id: E::Column,
    print: E::Column,
) -> Result<HashMap<String, String>, RepositoryError>
where
    E: EntityTrait,
{
    let rows: Vec<(String, String)> = E::find()
        .select_only()
        .column(id)
        .column(print)
        .into_tuple()
        .all(tx)
        .await
        .map_err(unexpected)?;
    Ok(rows.into_iter().collect())
}

/// Upserts rows of one kind: new ones in batches, changed ones one by one (few per release).
async fn upsert<E, A>(
    tx: &DatabaseTransaction,
    existing: &HashMap<String, String>,
    rows: Vec<(String, String, A)>,
) -> Result<ImportCounts, RepositoryError>
where
    E: EntityTrait,
    A: ActiveModelTrait<Entity = E> + sea_orm::ActiveModelBehavior + Send,
    E::Model: IntoActiveModel<A>,
{
    let mut counts = ImportCounts::default();
    let mut new_rows = Vec::new();
    for (stix_id, print, row) in rows {
        match existing.get(&stix_id) {
            None => {
                counts.created += 1;
                new_rows.push(row);
            }
            Some(stored) if *stored == print => counts.unchanged += 1,
            Some(_) => {
                counts.updated += 1;
                row.update(tx).await.map_err(unexpected)?;
            }
        }
    }
    insert_batches(tx, new_rows).await?;
    Ok(counts)
}

#[derive(Debug)]
struct StoredTechnique {
    fingerprint: String,
    name: String,
    description: String,
    revoked: bool,
    deprecated: bool,
    review_required: bool,
    review_reason: Option<String>,
}

pub(crate) async fn apply(
    connection: &impl Connection,
    release: &AttackRelease,
    started_at: DateTime<Utc>,
) -> Result<ImportReport, RepositoryError> {
    let tx = crate::persistence::begin_write(connection)
        .await
        .map_err(unexpected)?;
    let mut report = ImportReport {
        skipped: release.skipped.clone(),
        ..ImportReport::default()
    };

    let stored =
        fingerprints::<tactic::Entity>(&tx, tactic::Column::StixId, tactic::Column::Fingerprint)
            .await?;
    let rows = release
        .tactics
        .iter()
        .map(|t| {
            let modified = t.modified.map(|m| m.to_rfc3339()).unwrap_or_default();
            let order = t.matrix_order.to_string();
            let print = fingerprint(&[
                &t.mitre_id,
                &t.name,
                &t.shortname,
                &t.description,
                &order,
                &modified,
            ]);
            let row = tactic::ActiveModel {
                stix_id: Set(t.stix_id.clone()),
                mitre_id: Set(t.mitre_id.clone()),
                name: Set(t.name.clone()),
                shortname: Set(t.shortname.clone()),
                description: Set(t.description.clone()),
                url: Set(t.url.clone()),
                matrix_order: Set(t.matrix_order),
                modified: Set(t.modified),
                fingerprint: Set(print.clone()),
            };
            (t.stix_id.clone(), print, row)
        })
        .collect();
    report
        .counts
        .insert("tactic".into(), upsert(&tx, &stored, rows).await?);

    report.counts.insert(
        "technique".into(),
        apply_techniques(&tx, release, started_at, &mut report.flagged_for_review).await?,
    );

    let stored = fingerprints::<mitigation::Entity>(
        &tx,
        mitigation::Column::StixId,
        mitigation::Column::Fingerprint,
    )
    .await?;
    let rows = release
        .mitigations
        .iter()
        .map(|m| {
            let print = fingerprint(&[
                &m.mitre_id,
                &m.name,
                &m.description,
                flag(m.revoked),
                flag(m.deprecated),
            ]);
            let row = mitigation::ActiveModel {
                stix_id: Set(m.stix_id.clone()),
                mitre_id: Set(m.mitre_id.clone()),
                name: Set(m.name.clone()),
                description: Set(m.description.clone()),
                url: Set(m.url.clone()),
                revoked: Set(m.revoked),
                deprecated: Set(m.deprecated),
                fingerprint: Set(print.clone()),
            };
            (m.stix_id.clone(), print, row)
        })
        .collect();
    report
        .counts
        .insert("mitigation".into(), upsert(&tx, &stored, rows).await?);

    let stored = fingerprints::<threat_actor::Entity>(
        &tx,
        threat_actor::Column::StixId,
        threat_actor::Column::Fingerprint,
    )
    .await?;
    let rows = release
        .threat_actors
        .iter()
        .map(|a| {
            let references = serde_json::to_value(&a.references).unwrap_or_default();
            let modified = a.modified.map(|m| m.to_rfc3339()).unwrap_or_default();
            let print = fingerprint(&[
                a.mitre_id.as_deref().unwrap_or_default(),
                &a.name,
                &a.aliases.join("\u{1f}"),
                &a.description,
                &references.to_string(),
                flag(a.revoked),
                flag(a.deprecated),
                &modified,
            ]);
            let row = threat_actor::ActiveModel {
                stix_id: Set(a.stix_id.clone()),
                mitre_id: Set(a.mitre_id.clone()),
                name: Set(a.name.clone()),
                aliases: Set(serde_json::json!(a.aliases)),
                description: Set(a.description.clone()),
                references: Set(references),
                revoked: Set(a.revoked),
                deprecated: Set(a.deprecated),
                modified: Set(a.modified),
                fingerprint: Set(print.clone()),
            };
            (a.stix_id.clone(), print, row)
        })
        .collect();
    report
        .counts
        .insert("threat_actor".into(), upsert(&tx, &stored, rows).await?);

    let stored = fingerprints::<software::Entity>(
        &tx,
        software::Column::StixId,
        software::Column::Fingerprint,
    )
    .await?;
    let rows = release
        .software
        .iter()
        .map(|s| {
            let print = fingerprint(&[
                s.mitre_id.as_deref().unwrap_or_default(),
                &s.name,
                s.kind.as_str(),
                &s.aliases.join("\u{1f}"),
                &s.platforms.join("\u{1f}"),
                &s.description,
                flag(s.revoked),
                flag(s.deprecated),
            ]);
            let row = software::ActiveModel {
                stix_id: Set(s.stix_id.clone()),
                mitre_id: Set(s.mitre_id.clone()),
                name: Set(s.name.clone()),
                kind: Set(s.kind.as_str().to_owned()),
                aliases: Set(serde_json::json!(s.aliases)),
                platforms: Set(serde_json::json!(s.platforms)),
                description: Set(s.description.clone()),
                revoked: Set(s.revoked),
                deprecated: Set(s.deprecated),
                fingerprint: Set(print.clone()),
            };
            (s.stix_id.clone(), print, row)
        })
        .collect();
    report
        .counts
        .insert("software".into(), upsert(&tx, &stored, rows).await?);

    let stored = fingerprints::<relationship::Entity>(
        &tx,
        relationship::Column::StixId,
        relationship::Column::Fingerprint,
    )
    .await?;
    let rows = release
        .relationships
        .iter()
        .map(|r| {
            let description = r.description.clone().unwrap_or_default();
            let print = fingerprint(&[r.kind.as_str(), &r.source, &r.target, &description]);
            let row = relationship::ActiveModel {
                stix_id: Set(r.stix_id.clone()),
                kind: Set(r.kind.as_str().to_owned()),
                source_ref: Set(r.source.clone()),
                target_ref: Set(r.target.clone()),
                description: Set(r.description.clone()),
                fingerprint: Set(print.clone()),
            };
            (r.stix_id.clone(), print, row)
        })
        .collect();
    report
        .counts
        .insert("relationship".into(), upsert(&tx, &stored, rows).await?);

    tx.commit().await.map_err(unexpected)?;
    Ok(report)
}

pub(crate) fn report_json(report: &ImportReport) -> serde_json::Value {
    let counts: serde_json::Map<String, serde_json::Value> = report
        .counts
        .iter()
        .map(|(kind, c)| {
            (kind.clone(), serde_json::json!({"created": c.created, "updated": c.updated, "unchanged": c.unchanged, "revoked": c.revoked}))
        })
        .collect();
    let skipped: Vec<serde_json::Value> = report
        .skipped
        .iter()
        .map(|s| serde_json::json!({"stix_id": s.stix_id, "reason": s.reason}))
        .collect();
    serde_json::json!({"counts": counts, "flagged_for_review": report.flagged_for_review, "skipped": skipped})
}

/// Techniques get more than a fingerprint comparison: a changed name or description flags the
/// technique for review, newly revoked or deprecated ones are counted, and their tactic links
/// follow their content.
async fn apply_techniques(
    tx: &DatabaseTransaction,
    release: &AttackRelease,
    at: DateTime<Utc>,
    flagged: &mut Vec<String>,
) -> Result<ImportCounts, RepositoryError> {
    let stored: HashMap<String, StoredTechnique> = technique::Entity::find()
        .all(tx)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(|row| {
            (
                row.stix_id,
                StoredTechnique {
                    fingerprint: row.fingerprint,
                    name: row.name,
                    description: row.description,
                    revoked: row.revoked,
                    deprecated: row.deprecated,
                    review_required: row.review_required,
                    review_reason: row.review_reason,
                },
            )
        })
        .collect();
    let mut counts = ImportCounts::default();
    let mut new_rows = Vec::new();
    let mut links = Vec::new();
    let mut relinked = HashSet::new();
    for t in &release.techniques {
        let print = t.fingerprint();
        let previous = stored.get(&t.stix_id);
        if previous.is_some_and(|p| p.fingerprint == print) {
            counts.unchanged += 1;
            continue;
        }
        let mut review_required = previous.is_some_and(|p| p.review_required);
        let mut review_reason = previous.and_then(|p| p.review_reason.clone());
        if let Some(p) = previous {
            let renamed = p.name != t.name;
            let redescribed = p.description != t.description;
            if renamed || redescribed {
                review_required = true;
                let what = match (renamed, redescribed) {
                    (true, true) => "name and description",
                    (true, false) => "name",
                    _ => "description",
                };
                review_reason = Some(format!(
                    "{what} changed in the import of {}",
                    at.format("%Y-%m-%d")
                ));
                flagged.push(t.mitre_id.to_string());
            }
            if (t.revoked && !p.revoked) || (t.deprecated && !p.deprecated) {
                counts.revoked += 1;
            }
        }
        let row = technique::ActiveModel {
            stix_id: Set(t.stix_id.clone()),
            mitre_id: Set(t.mitre_id.to_string()),
            name: Set(t.name.clone()),
            description: Set(t.description.clone()),
            tactics: Set(serde_json::json!(t.tactics)),
            platforms: Set(serde_json::json!(t.platforms)),
            detection: Set(t.detection.clone()),
            data_components: Set(serde_json::json!(t.data_components)),
            detection_strategies: Set(serde_json::json!(t.detection_strategies)),
            url: Set(t.url.clone()),
            version: Set(t.version.clone()),
            parent_mitre_id: Set(t.parent.as_ref().map(ToString::to_string)),
            is_subtechnique: Set(t.parent.is_some()),
            revoked: Set(t.revoked),
            deprecated: Set(t.deprecated),
            revoked_by: Set(t.revoked_by.clone()),
            review_required: Set(review_required),
            review_reason: Set(review_reason),
            custom: Set(false),
            modified: Set(t.modified),
            fingerprint: Set(print),
            imported_at: Set(at),
        };
        for shortname in t.tactics.iter().collect::<HashSet<_>>() {
            links.push(technique_tactic::ActiveModel {
                technique_stix_id: Set(t.stix_id.clone()),
                tactic_shortname: Set(shortname.clone()),
            });
        }
        if previous.is_some() {
            counts.updated += 1;
            relinked.insert(t.stix_id.clone());
            row.update(tx).await.map_err(unexpected)?;
        } else {
            counts.created += 1;
            new_rows.push(row);
        }
    }
    insert_batches(tx, new_rows).await?;
    if !relinked.is_empty() {
        technique_tactic::Entity::delete_many()
            .filter(technique_tactic::Column::TechniqueStixId.is_in(relinked))
            .exec(tx)
            .await
            .map_err(unexpected)?;
    }
    insert_batches(tx, links).await?;
    Ok(counts)
}
