//! Reading the catalog: the matrix's tactics, filtered technique lists, a technique with its
//! neighbourhood, and threat actors with the techniques they use.

use aegis_domain::ports::Entity;
use aegis_domain::ports::Subject;
use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};

use aegis_domain::catalog::{Reference, Tactic, Technique, TechniqueId, ThreatActor};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::RepositoryError;
use aegis_domain::ports::{
    Named, TechniqueDetail, TechniqueFilter, TechniqueSortKey, TechniqueSummary, ThreatActorDetail,
    ThreatActorFilter,
};
use aegis_domain::scoring::CoverageStatus;
use aegis_domain::tenant::TenantId;

use super::Connection;
use super::entities::{
    mitigation, relationship, software, tactic, technique, technique_tactic, threat_actor,
};
use crate::persistence::error::{corrupt, unexpected};
use crate::persistence::json_values::strings;
use crate::persistence::text_search::any_contains;

/// Every technique id of the catalog and where the revoked ones lead: how import reports
/// tell current, replaced, deprecated and unknown ids apart.
pub(crate) async fn lineage(
    db: &impl ConnectionTrait,
) -> Result<aegis_domain::technique_lineage::TechniqueLineage, RepositoryError> {
    lineage_of(db, None).await
}

/// Where the revoked ids lead, without the rest of the catalog: all that reading a rule,
/// template or intelligence item needs (`current_of`, `names_of`), and a few rows where the
/// whole catalog is hundreds, on paths that run once per technique while scores are recomputed.
pub(crate) async fn replacements(
    db: &impl ConnectionTrait,
) -> Result<aegis_domain::technique_lineage::TechniqueLineage, RepositoryError> {
    let revoked = || {
        technique::Entity::find()
            .filter(technique::Column::Revoked.eq(true))
            .select_only()
    };
    let wanted = Condition::any()
        .add(technique::Column::Revoked.eq(true))
        // The techniques they lead to, and current rows that still hold a revoked id.
        .add(
            technique::Column::StixId.in_subquery(
                revoked()
                    .column(technique::Column::RevokedBy)
                    .filter(technique::Column::RevokedBy.is_not_null())
                    .into_query(),
            ),
        )
        .add(
            technique::Column::MitreId
                .in_subquery(revoked().column(technique::Column::MitreId).into_query()),
        );
    lineage_of(db, Some(wanted)).await
}

async fn lineage_of(
    db: &impl ConnectionTrait,
    only: Option<Condition>,
) -> Result<aegis_domain::technique_lineage::TechniqueLineage, RepositoryError> {
    let mut query = technique::Entity::find();
    if let Some(only) = only {
        query = query.filter(only);
    }
    let rows: Vec<(String, String, bool, bool, Option<String>)> = query
        .select_only()
        .column(technique::Column::MitreId)
        .column(technique::Column::StixId)
        .column(technique::Column::Revoked)
        .column(technique::Column::Deprecated)
        .column(technique::Column::RevokedBy)
        .into_tuple()
        .all(db)
        .await
        .map_err(unexpected)?;
    Ok(
        aegis_domain::technique_lineage::TechniqueLineage::from_entries(rows.iter().map(
            |(mitre_id, stix_id, revoked, deprecated, revoked_by)| {
                aegis_domain::technique_lineage::LineageEntry {
                    mitre_id,
                    stix_id,
                    revoked: *revoked,
                    deprecated: *deprecated,
                    revoked_by: revoked_by.as_deref(),
                }
            },
        )),
    )
}

fn to_tactic(row: tactic::Model) -> Tactic {
    Tactic {
        stix_id: row.stix_id,
        mitre_id: row.mitre_id,
        name: row.name,
        shortname: row.shortname,
        description: row.description,
        url: row.url,
        matrix_order: row.matrix_order,
        modified: row.modified,
    }
}

fn to_summary(row: &technique::Model) -> Result<TechniqueSummary, RepositoryError> {
    Ok(TechniqueSummary {
        mitre_id: TechniqueId::parse(&row.mitre_id).map_err(|e| corrupt("technique id", e))?,
        name: row.name.clone(),
        tactics: strings(&row.tactics),
        platforms: strings(&row.platforms),
        is_subtechnique: row.is_subtechnique,
        revoked: row.revoked,
        deprecated: row.deprecated,
        review_required: row.review_required,
    })
}

fn to_technique(row: technique::Model) -> Result<Technique, RepositoryError> {
    Ok(Technique {
        mitre_id: TechniqueId::parse(&row.mitre_id).map_err(|e| corrupt("technique id", e))?,
        parent: row
            .parent_mitre_id
            .as_deref()
            .map(TechniqueId::parse)
            .transpose()
            .map_err(|e| corrupt("parent id", e))?,
        tactics: strings(&row.tactics),
        platforms: strings(&row.platforms),
        stix_id: row.stix_id,
        name: row.name,
        description: row.description,
        detection: row.detection,
        data_components: strings(&row.data_components),
        detection_strategies: serde_json::from_value(row.detection_strategies)
            .map_err(|e| corrupt("detection strategies", e))?,
        url: row.url,
        version: row.version,
        revoked: row.revoked,
        deprecated: row.deprecated,
        revoked_by: row.revoked_by,
        modified: row.modified,
    })
}

fn to_actor(row: threat_actor::Model) -> ThreatActor {
    ThreatActor {
        stix_id: row.stix_id,
        mitre_id: row.mitre_id,
        name: row.name,
        aliases: strings(&row.aliases),
        description: row.description,
        references: serde_json::from_value::<Vec<Reference>>(row.references).unwrap_or_default(),
        revoked: row.revoked,
        deprecated: row.deprecated,
        modified: row.modified,
    }
}

pub(crate) async fn list_tactics(
    db: &impl ConnectionTrait,
) -> Result<Vec<Tactic>, RepositoryError> {
    let rows = tactic::Entity::find()
        .order_by_asc(tactic::Column::MatrixOrder)
        .all(db)
        .await
        .map_err(unexpected)?;
    Ok(rows.into_iter().map(to_tactic).collect())
}

/// A subquery of `column` for the techniques under a tactic, given by id (`TA0002`) or
/// shortname (`execution`).
pub(crate) async fn techniques_of_tactic(
    db: &impl ConnectionTrait,
    tactic_ref: &str,
    column: technique::Column,
) -> Result<sea_orm::sea_query::SelectStatement, RepositoryError> {
    let shortname = tactic::Entity::find()
        .filter(
            Condition::any()
                .add(tactic::Column::MitreId.eq(tactic_ref.to_uppercase()))
                .add(tactic::Column::Shortname.eq(tactic_ref.to_lowercase())),
        )
        .one(db)
        .await
        .map_err(unexpected)?
        .map_or_else(|| tactic_ref.to_lowercase(), |t| t.shortname);
    let members = technique_tactic::Entity::find()
        .select_only()
        .column(technique_tactic::Column::TechniqueStixId)
        .filter(technique_tactic::Column::TacticShortname.eq(shortname))
        .into_query();
    Ok(technique::Entity::find()
        .select_only()
        .column(column)
        .filter(technique::Column::StixId.in_subquery(members))
        .into_query())
}

async fn filtered_techniques(
    db: &impl ConnectionTrait,
    filter: &TechniqueFilter,
) -> Result<sea_orm::Select<technique::Entity>, RepositoryError> {
    let mut query = technique::Entity::find();
    if !filter.include_subtechniques {
        query = query.filter(technique::Column::IsSubtechnique.eq(false));
    }
    if !filter.include_revoked {
        query = query
            .filter(technique::Column::Revoked.eq(false))
            .filter(technique::Column::Deprecated.eq(false));
    }
    if let Some(review) = filter.review_required {
        query = query.filter(technique::Column::ReviewRequired.eq(review));
    }
    if let Some(tactic_ref) = &filter.tactic {
        let members = techniques_of_tactic(db, tactic_ref, technique::Column::StixId).await?;
        query = query.filter(technique::Column::StixId.in_subquery(members));
    }
    if let Some(platform) = &filter.platform {
        // Platforms are a short JSON array; the quoted name matches exactly one element.
        let quoted = serde_json::Value::String(platform.clone()).to_string();
        query = query.filter(any_contains(&[technique::Column::Platforms], &quoted));
    }
    if let Some(text) = &filter.text {
        query = query.filter(any_contains(
            &[
                technique::Column::MitreId,
                technique::Column::Name,
                technique::Column::Description,
            ],
            text,
        ));
    }
    if let Some((tenant, status)) = filter.coverage {
        query = query.filter(with_coverage(tenant, status));
    }
    Ok(query)
}

/// Techniques whose stored score in `tenant` has `status`; never scored counts as not covered.
fn with_coverage(tenant: TenantId, status: CoverageStatus) -> Condition {
    use crate::persistence::coverage::entities::technique_score;
    let scored = |status_condition: sea_orm::sea_query::SimpleExpr| {
        technique_score::Entity::find()
            .select_only()
            .column(technique_score::Column::TechniqueId)
            .filter(technique_score::Column::TenantId.eq(tenant.as_uuid()))
            .filter(status_condition)
            .into_query()
    };
    let not_covered = CoverageStatus::NotCovered.as_str();
    if status == CoverageStatus::NotCovered {
        Condition::all().add(
            technique::Column::MitreId
                .not_in_subquery(scored(technique_score::Column::Status.ne(not_covered))),
        )
    } else {
        Condition::all().add(
            technique::Column::MitreId
                .in_subquery(scored(technique_score::Column::Status.eq(status.as_str()))),
        )
    }
}

pub(crate) async fn all_techniques(
    db: &impl ConnectionTrait,
    filter: &TechniqueFilter,
) -> Result<Vec<TechniqueSummary>, RepositoryError> {
    filtered_techniques(db, filter)
        .await?
        .order_by_asc(technique::Column::MitreId)
        .order_by_asc(technique::Column::Revoked)
        .all(db)
        .await
        .map_err(unexpected)?
        .iter()
        .map(to_summary)
        .collect()
}

pub(crate) async fn actors_per_technique(
    db: &impl ConnectionTrait,
) -> Result<HashMap<TechniqueId, u32>, RepositoryError> {
    let current_actors: std::collections::HashSet<String> = threat_actor::Entity::find()
        .select_only()
        .column(threat_actor::Column::StixId)
        .filter(threat_actor::Column::Revoked.eq(false))
        .filter(threat_actor::Column::Deprecated.eq(false))
        .into_tuple::<String>()
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .collect();
    let techniques: HashMap<String, String> = technique::Entity::find()
        .select_only()
        .column(technique::Column::StixId)
        .column(technique::Column::MitreId)
        .into_tuple::<(String, String)>()
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .collect();
    let uses: Vec<(String, String)> = relationship::Entity::find()
        .select_only()
        .column(relationship::Column::SourceRef)
        .column(relationship::Column::TargetRef)
        .filter(relationship::Column::Kind.eq("uses"))
        .filter(relationship::Column::SourceRef.starts_with("intrusion-set--"))
        .filter(relationship::Column::TargetRef.starts_with("attack-pattern--"))
        .into_tuple()
        .all(db)
        .await
        .map_err(unexpected)?;
    let mut pairs = Vec::with_capacity(uses.len());
    for (actor, target) in uses {
        let Some(mitre_id) = techniques.get(&target) else {
            continue;
        };
        if !current_actors.contains(&actor) {
            continue;
        }
        let id = TechniqueId::parse(mitre_id).map_err(|e| corrupt("technique id", e))?;
        pairs.push((actor, id));
    }
    // Distinct actors per technique, a parent's over its whole family: the domain's rule.
    Ok(aegis_domain::catalog::actors_per_technique(pairs))
}

pub(crate) async fn list_techniques(
    db: &impl ConnectionTrait,
    filter: &TechniqueFilter,
    page: PageRequest,
) -> Result<Page<TechniqueSummary>, RepositoryError> {
    let query = filtered_techniques(db, filter).await?;
    let total = query.clone().count(db).await.map_err(unexpected)?;
    let order = if filter.sort.descending {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    let column = match filter.sort.key {
        TechniqueSortKey::MitreId => technique::Column::MitreId,
        TechniqueSortKey::Name => technique::Column::Name,
        TechniqueSortKey::Modified => technique::Column::Modified,
    };
    let rows = query
        .order_by(column, order)
        .order_by_asc(technique::Column::MitreId)
        .order_by_asc(technique::Column::Revoked)
        .offset(page.offset())
        .limit(page.per_page())
        .all(db)
        .await
        .map_err(unexpected)?;
    let items = rows.iter().map(to_summary).collect::<Result<_, _>>()?;
    Ok(Page {
        items,
        total,
        request: page,
    })
}

/// STIX ids related to `stix_id` by `kind`, on the other end of the relationship.
async fn related(
    db: &impl ConnectionTrait,
    kind: &str,
    stix_id: &str,
    outgoing: bool,
) -> Result<Vec<String>, RepositoryError> {
    let (mine, other) = if outgoing {
        (
            relationship::Column::SourceRef,
            relationship::Column::TargetRef,
        )
    } else {
        (
            relationship::Column::TargetRef,
            relationship::Column::SourceRef,
        )
    };
    relationship::Entity::find()
        .select_only()
        .column(other)
        .filter(relationship::Column::Kind.eq(kind))
        .filter(mine.eq(stix_id))
        .into_tuple::<String>()
        .all(db)
        .await
        .map_err(unexpected)
}

pub(crate) async fn find_technique(
    db: &impl ConnectionTrait,
    id: &TechniqueId,
) -> Result<Option<TechniqueDetail>, RepositoryError> {
    let Some(row) = technique::Entity::find()
        .filter(technique::Column::MitreId.eq(id.as_str()))
        .order_by_asc(technique::Column::Revoked)
        .order_by_asc(technique::Column::Deprecated)
        .one(db)
        .await
        .map_err(unexpected)?
    else {
        return Ok(None);
    };
    let review_required = row.review_required;
    let stix_id = row.stix_id.clone();
    let subtechniques = technique::Entity::find()
        .filter(technique::Column::ParentMitreId.eq(id.as_str()))
        .filter(technique::Column::Revoked.eq(false))
        .order_by_asc(technique::Column::MitreId)
        .all(db)
        .await
        .map_err(unexpected)?
        .iter()
        .map(to_summary)
        .collect::<Result<_, _>>()?;
    let users = related(db, "uses", &stix_id, false).await?;
    let mitigation_ids = related(db, "mitigates", &stix_id, false).await?;
    let mitigations = mitigation::Entity::find()
        .filter(mitigation::Column::StixId.is_in(mitigation_ids))
        .order_by_asc(mitigation::Column::MitreId)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(|m| Named {
            mitre_id: Some(m.mitre_id),
            name: m.name,
        })
        .collect();
    let threat_actors = threat_actor::Entity::find()
        .filter(threat_actor::Column::StixId.is_in(users.clone()))
        .filter(threat_actor::Column::Revoked.eq(false))
        .order_by_asc(threat_actor::Column::Name)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(|a| Named {
            mitre_id: a.mitre_id,
            name: a.name,
        })
        .collect();
    let software = software::Entity::find()
        .filter(software::Column::StixId.is_in(users))
        .filter(software::Column::Revoked.eq(false))
        .order_by_asc(software::Column::Name)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(|s| Named {
            mitre_id: s.mitre_id,
            name: s.name,
        })
        .collect();
    Ok(Some(TechniqueDetail {
        technique: to_technique(row)?,
        review_required,
        subtechniques,
        mitigations,
        threat_actors,
        software,
    }))
}

pub(crate) async fn list_threat_actors(
    db: &impl ConnectionTrait,
    filter: &ThreatActorFilter,
    page: PageRequest,
) -> Result<Page<ThreatActor>, RepositoryError> {
    let mut query = threat_actor::Entity::find();
    if !filter.include_revoked {
        query = query
            .filter(threat_actor::Column::Revoked.eq(false))
            .filter(threat_actor::Column::Deprecated.eq(false));
    }
    if let Some(text) = &filter.text {
        // Names that merged intelligence knows an actor by find it too.
        query = query.filter(
            any_contains(
                &[
                    threat_actor::Column::Name,
                    threat_actor::Column::Aliases,
                    threat_actor::Column::Description,
                ],
                text,
            )
            .add(
                threat_actor::Column::StixId
                    .in_subquery(crate::persistence::threat_intel::actors_named(text)),
            ),
        );
    }
    let total = query.clone().count(db).await.map_err(unexpected)?;
    let rows = query
        .order_by_asc(threat_actor::Column::Name)
        .offset(page.offset())
        .limit(page.per_page())
        .all(db)
        .await
        .map_err(unexpected)?;
    let mut intel = crate::persistence::threat_intel::aliases_for(
        db,
        rows.iter().map(|r| r.stix_id.clone()).collect(),
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|row| {
            let mut actor = to_actor(row);
            if let Some(names) = intel.remove(&actor.stix_id) {
                merge_aliases(&mut actor, names);
            }
            actor
        })
        .collect();
    Ok(Page {
        items,
        total,
        request: page,
    })
}

/// Adds the names intelligence knows an actor by to its aliases, once each.
fn merge_aliases(actor: &mut ThreatActor, names: impl IntoIterator<Item = String>) {
    for name in names {
        let known = std::iter::once(&actor.name)
            .chain(&actor.aliases)
            .any(|n| n.eq_ignore_ascii_case(&name));
        if !known {
            actor.aliases.push(name);
        }
    }
}

pub(crate) async fn find_threat_actor(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<ThreatActorDetail>, RepositoryError> {
    let Some(row) = threat_actor::Entity::find()
        .filter(
            Condition::any()
                .add(threat_actor::Column::MitreId.eq(id.to_uppercase()))
                .add(threat_actor::Column::StixId.eq(id)),
        )
        .order_by_asc(threat_actor::Column::Revoked)
        .one(db)
        .await
        .map_err(unexpected)?
    else {
        return Ok(None);
    };
    let used = related(db, "uses", &row.stix_id, true).await?;
    let intel = crate::persistence::threat_intel::for_actor(db, &row.stix_id).await?;
    let reported: Vec<String> = intel
        .iter()
        .flat_map(|i| i.techniques.iter().cloned())
        .collect();
    let techniques: Vec<technique::Model> = technique::Entity::find()
        .filter(
            Condition::any()
                .add(technique::Column::StixId.is_in(used))
                .add(
                    Condition::all()
                        .add(technique::Column::MitreId.is_in(reported))
                        .add(technique::Column::Revoked.eq(false)),
                ),
        )
        .order_by_asc(technique::Column::MitreId)
        .all(db)
        .await
        .map_err(unexpected)?;
    // The same technique can be reached twice (revoked and current): keep one per id.
    let mut seen = HashMap::new();
    let mut summaries = Vec::new();
    for technique in &techniques {
        if seen.insert(technique.mitre_id.clone(), ()).is_none() {
            summaries.push(to_summary(technique)?);
        }
    }
    let mut actor = to_actor(row);
    merge_aliases(
        &mut actor,
        intel
            .iter()
            .flat_map(|i| std::iter::once(i.name.clone()).chain(i.aliases.iter().cloned())),
    );
    Ok(Some(ThreatActorDetail {
        actor,
        techniques: summaries,
        intel,
    }))
}

pub(crate) async fn set_review(
    db: &impl ConnectionTrait,
    id: &TechniqueId,
    required: bool,
    reason: Option<&str>,
) -> Result<(), RepositoryError> {
    let result = technique::Entity::update_many()
        .col_expr(technique::Column::ReviewRequired, Expr::value(required))
        .col_expr(
            technique::Column::ReviewReason,
            Expr::value(reason.map(str::to_owned)),
        )
        .filter(technique::Column::MitreId.eq(id.as_str()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    if result.rows_affected == 0 {
        return Err(RepositoryError::NotFound(Entity::Technique));
    }
    Ok(())
}

fn custom_row(t: &Technique, at: chrono::DateTime<chrono::Utc>) -> technique::ActiveModel {
    use sea_orm::ActiveValue::Set;
    technique::ActiveModel {
        // Custom techniques have no STIX id of their own: derive a stable one from the id.
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
        revoked: Set(false),
        deprecated: Set(t.deprecated),
        revoked_by: Set(None),
        review_required: Set(false),
        review_reason: Set(None),
        custom: Set(true),
        modified: Set(Some(at)),
        fingerprint: Set(t.fingerprint()),
        imported_at: Set(at),
    }
}

async fn relink(db: &impl ConnectionTrait, t: &Technique) -> Result<(), RepositoryError> {
    use sea_orm::ActiveValue::Set;
    technique_tactic::Entity::delete_many()
        .filter(technique_tactic::Column::TechniqueStixId.eq(t.stix_id.as_str()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    let mut seen = std::collections::HashSet::new();
    let links: Vec<_> = t
        .tactics
        .iter()
        .filter(|s| seen.insert(s.as_str()))
        .map(|s| technique_tactic::ActiveModel {
            technique_stix_id: Set(t.stix_id.clone()),
            tactic_shortname: Set(s.clone()),
        })
        .collect();
    if !links.is_empty() {
        technique_tactic::Entity::insert_many(links)
            .exec_without_returning(db)
            .await
            .map_err(unexpected)?;
    }
    Ok(())
}

pub(crate) async fn insert_custom(
    db: &impl Connection,
    t: &Technique,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), RepositoryError> {
    let tx = crate::persistence::begin_write(db)
        .await
        .map_err(unexpected)?;
    let taken = technique::Entity::find()
        .filter(technique::Column::MitreId.eq(t.mitre_id.as_str()))
        .one(&tx)
        .await
        .map_err(unexpected)?;
    if taken.is_some() {
        return Err(RepositoryError::Duplicate(Subject::Technique));
    }
    technique::Entity::insert(custom_row(t, at))
        .exec_without_returning(&tx)
        .await
        .map_err(crate::persistence::error::on_write(Subject::Technique))?;
    relink(&tx, t).await?;
    tx.commit().await.map_err(unexpected)
}

pub(crate) async fn update_custom(
    db: &impl Connection,
    t: &Technique,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), RepositoryError> {
    let tx = crate::persistence::begin_write(db)
        .await
        .map_err(unexpected)?;
    let mut row = custom_row(t, at);
    row.stix_id = sea_orm::ActiveValue::NotSet;
    let result = technique::Entity::update_many()
        .set(row)
        .filter(technique::Column::StixId.eq(t.stix_id.as_str()))
        .filter(technique::Column::Custom.eq(true))
        .exec(&tx)
        .await
        .map_err(unexpected)?;
    if result.rows_affected == 0 {
        return Err(RepositoryError::NotFound(Entity::CustomTechnique));
    }
    relink(&tx, t).await?;
    tx.commit().await.map_err(unexpected)
}
