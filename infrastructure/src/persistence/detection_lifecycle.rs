//! Detection assets (with their techniques and history), their validations, infrastructure
//! changes and decay policies.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use aegis_domain::catalog::TechniqueId;
use aegis_domain::detection::RuleSource;
use aegis_domain::detection_lifecycle::{
    AssetFilter, AssetId, AssetKind, AssetRevision, AssetStatus, DecayPolicy, DetectionAsset,
    DetectionValidation, InfrastructureChange, InfrastructureChangeId, ProofEnd, ProofSource,
    RuleLink, ValidationId,
};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::{DetectionLifecycleRepository, Entity, RepositoryError, Subject};
use aegis_domain::scoring::DetectionProof;
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::{Outcome, TestId};
use aegis_domain::user::UserId;

use super::error::{corrupt, ensure_tenant, on_write, unexpected};
use super::json_values::strings;
use super::text_search::any_contains;
use super::versioned::{VersionedTable, find_in_tenant, update_versioned};
use super::{Connection, SeaStore};

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod asset {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "detection_assets")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub name: String,
            pub kind: String,
            pub owner_id: Option<Uuid>,
            pub team: String,
            pub platform: String,
            pub status: String,
            pub content: String,
            pub content_sha256: String,
            pub rule_id: Option<Uuid>,
            pub rule_source: Option<String>,
            pub rule_source_id: Option<String>,
            pub rule_title: Option<String>,
            pub version: i32,
            pub created_by: Uuid,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod asset_technique {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "detection_asset_techniques")]
        pub struct Model {
            pub tenant_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub asset_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub technique_id: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod revision {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "detection_asset_revisions")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub asset_id: Uuid,
            pub version: i32,
            pub change: String,
            pub content_sha256: String,
            pub status: String,
            pub changed_by: Option<Uuid>,
            pub changed_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod validation {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "detection_validations")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub asset_id: Uuid,
            pub technique_id: String,
            pub source: String,
            pub test_id: Option<Uuid>,
            pub outcome: Option<String>,
            pub evidence: Option<String>,
            pub notes: String,
            pub content_sha256: String,
            pub validated_by: Option<Uuid>,
            pub validated_at: DateTimeUtc,
            pub expires_at: DateTimeUtc,
            pub ended_at: Option<DateTimeUtc>,
            pub end_reason: Option<String>,
            pub ended_by_change: Option<Uuid>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod infrastructure_change {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "infrastructure_changes")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub title: String,
            pub description: String,
            pub occurred_at: DateTimeUtc,
            pub platforms: Json,
            pub assets: Json,
            pub recorded_by: Uuid,
            pub recorded_at: DateTimeUtc,
            pub ended_validations: i32,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod decay_policy {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "decay_policies")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub platform: Option<String>,
            pub tactic: Option<String>,
            pub scope_key: String,
            pub validity_days: i32,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::{asset, asset_technique, decay_policy, infrastructure_change, revision, validation};

impl VersionedTable for asset::Entity {
    const ENTITY: Entity = Entity::DetectionAsset;
    fn tenant_column() -> Self::Column {
        asset::Column::TenantId
    }
    fn id_column() -> Self::Column {
        asset::Column::Id
    }
    fn version_column() -> Self::Column {
        asset::Column::Version
    }
}

fn technique(text: &str) -> Result<TechniqueId, RepositoryError> {
    TechniqueId::parse(text).map_err(|e| corrupt("technique", e))
}

fn asset_status(text: &str) -> Result<AssetStatus, RepositoryError> {
    AssetStatus::parse(text).ok_or_else(|| corrupt("asset status", text))
}

fn asset_to_domain(
    row: asset::Model,
    techniques: Vec<TechniqueId>,
) -> Result<DetectionAsset, RepositoryError> {
    let rule = match (
        row.rule_id,
        row.rule_source,
        row.rule_source_id,
        row.rule_title,
    ) {
        (Some(rule_id), Some(source), Some(source_id), Some(title)) => Some(RuleLink {
            rule_id,
            source: RuleSource::parse(&source).ok_or_else(|| corrupt("rule source", &source))?,
            source_id,
            title,
        }),
        _ => None,
    };
    let mut asset = DetectionAsset::new(
        AssetId::from_uuid(row.id),
        TenantId::from_uuid(row.tenant_id),
        row.name,
        AssetKind::parse(&row.kind).ok_or_else(|| corrupt("asset kind", &row.kind))?,
        row.platform,
        row.content,
        techniques,
        UserId::from_uuid(row.created_by),
        row.created_at,
    )
    .restored(row.content_sha256, row.version);
    asset.owner = row.owner_id.map(UserId::from_uuid);
    asset.team = row.team;
    asset.status = asset_status(&row.status)?;
    asset.rule = rule;
    asset.updated_at = row.updated_at;
    Ok(asset)
}

fn asset_row(a: &DetectionAsset) -> asset::ActiveModel {
    let rule = a.rule.as_ref();
    asset::ActiveModel {
        id: Set(a.id.as_uuid()),
        tenant_id: Set(a.tenant_id.as_uuid()),
        name: Set(a.name.clone()),
        kind: Set(a.kind.as_str().to_owned()),
        owner_id: Set(a.owner.map(|u| u.as_uuid())),
        team: Set(a.team.clone()),
        platform: Set(a.platform.clone()),
        status: Set(a.status.as_str().to_owned()),
        content: Set(a.content().to_owned()),
        content_sha256: Set(a.content_sha256().to_owned()),
        rule_id: Set(rule.map(|r| r.rule_id)),
        rule_source: Set(rule.map(|r| r.source.as_str().to_owned())),
        rule_source_id: Set(rule.map(|r| r.source_id.clone())),
        rule_title: Set(rule.map(|r| r.title.clone())),
        version: Set(a.version()),
        created_by: Set(a.created_by.as_uuid()),
        created_at: Set(a.created_at),
        updated_at: Set(a.updated_at),
    }
}

fn revision_row(tenant: TenantId, r: &AssetRevision) -> revision::ActiveModel {
    revision::ActiveModel {
        id: Set(r.id),
        tenant_id: Set(tenant.as_uuid()),
        asset_id: Set(r.asset_id.as_uuid()),
        version: Set(r.version),
        change: Set(r.change.clone()),
        content_sha256: Set(r.content_sha256.clone()),
        status: Set(r.status.as_str().to_owned()),
        changed_by: Set(r.changed_by.map(|u| u.as_uuid())),
        changed_at: Set(r.changed_at),
    }
}

async fn replace_techniques(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    a: &DetectionAsset,
) -> Result<(), RepositoryError> {
    asset_technique::Entity::delete_many()
        .filter(asset_technique::Column::TenantId.eq(tenant.as_uuid()))
        .filter(asset_technique::Column::AssetId.eq(a.id.as_uuid()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    if a.techniques.is_empty() {
        return Ok(());
    }
    asset_technique::Entity::insert_many(a.techniques.iter().map(|t| {
        asset_technique::ActiveModel {
            tenant_id: Set(tenant.as_uuid()),
            asset_id: Set(a.id.as_uuid()),
            technique_id: Set(t.as_str().to_owned()),
        }
    }))
    .exec_without_returning(db)
    .await
    .map_err(unexpected)?;
    Ok(())
}

async fn add_revision(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    r: &AssetRevision,
) -> Result<(), RepositoryError> {
    revision::Entity::insert(revision_row(tenant, r))
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

/// The assets of `rows` with their techniques, read in one query.
async fn with_techniques(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    rows: Vec<asset::Model>,
) -> Result<Vec<DetectionAsset>, RepositoryError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut by_asset: HashMap<Uuid, Vec<TechniqueId>> = HashMap::new();
    // Chunks keep the parameter list within SQLite's and PostgreSQL's limits.
    for chunk in rows.chunks(500) {
        let links = asset_technique::Entity::find()
            .filter(asset_technique::Column::TenantId.eq(tenant.as_uuid()))
            .filter(asset_technique::Column::AssetId.is_in(chunk.iter().map(|r| r.id)))
            .all(db)
            .await
            .map_err(unexpected)?;
        for link in links {
            by_asset
                .entry(link.asset_id)
                .or_default()
                .push(technique(&link.technique_id)?);
        }
    }
    rows.into_iter()
        .map(|row| {
            let techniques = by_asset.remove(&row.id).unwrap_or_default();
            asset_to_domain(row, techniques)
        })
        .collect()
}

fn validation_to_domain(row: validation::Model) -> Result<DetectionValidation, RepositoryError> {
    let ended = match (row.ended_at, row.end_reason) {
        (Some(at), Some(reason)) => Some(ProofEnd {
            at,
            reason,
            change: row.ended_by_change.map(InfrastructureChangeId::from_uuid),
        }),
        _ => None,
    };
    Ok(DetectionValidation {
        id: ValidationId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        asset_id: AssetId::from_uuid(row.asset_id),
        technique_id: technique(&row.technique_id)?,
        source: ProofSource::parse(&row.source)
            .ok_or_else(|| corrupt("proof source", &row.source))?,
        test_id: row.test_id.map(TestId::from_uuid),
        outcome: row
            .outcome
            .as_deref()
            .map(|o| Outcome::parse(o).ok_or_else(|| corrupt("proof outcome", o)))
            .transpose()?,
        evidence: row.evidence,
        notes: row.notes,
        content_sha256: row.content_sha256,
        validated_by: row.validated_by.map(UserId::from_uuid),
        validated_at: row.validated_at,
        expires_at: row.expires_at,
        ended,
    })
}

fn validation_row(v: &DetectionValidation) -> validation::ActiveModel {
    validation::ActiveModel {
        id: Set(v.id.as_uuid()),
        tenant_id: Set(v.tenant_id.as_uuid()),
        asset_id: Set(v.asset_id.as_uuid()),
        technique_id: Set(v.technique_id.as_str().to_owned()),
        source: Set(v.source.as_str().to_owned()),
        test_id: Set(v.test_id.map(|t| t.as_uuid())),
        outcome: Set(v.outcome.map(|o| o.as_str().to_owned())),
        evidence: Set(v.evidence.clone()),
        notes: Set(v.notes.clone()),
        content_sha256: Set(v.content_sha256.clone()),
        validated_by: Set(v.validated_by.map(|u| u.as_uuid())),
        validated_at: Set(v.validated_at),
        expires_at: Set(v.expires_at),
        ended_at: Set(v.ended.as_ref().map(|e| e.at)),
        end_reason: Set(v.ended.as_ref().map(|e| e.reason.clone())),
        ended_by_change: Set(v.ended.as_ref().and_then(|e| e.change.map(|c| c.as_uuid()))),
    }
}

fn change_to_domain(
    row: infrastructure_change::Model,
) -> Result<InfrastructureChange, RepositoryError> {
    let assets = strings(&row.assets)
        .iter()
        .map(|id| AssetId::parse(id).map_err(|e| corrupt("infrastructure change asset", e)))
        .collect::<Result<_, _>>()?;
    Ok(InfrastructureChange {
        id: InfrastructureChangeId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        title: row.title,
        description: row.description,
        occurred_at: row.occurred_at,
        platforms: strings(&row.platforms),
        assets,
        recorded_by: UserId::from_uuid(row.recorded_by),
        recorded_at: row.recorded_at,
        ended_validations: u32::try_from(row.ended_validations).unwrap_or(0),
    })
}

fn scope_key(platform: Option<&str>, tactic: Option<&str>) -> String {
    format!(
        "{}|{}",
        platform.unwrap_or_default().trim().to_lowercase(),
        tactic.unwrap_or_default().trim().to_lowercase()
    )
}

/// How `technique`'s proofs stand at `now` (for scoring, inside its unit of work).
pub(crate) async fn proof_of(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    technique: &TechniqueId,
    now: DateTime<Utc>,
) -> Result<DetectionProof, RepositoryError> {
    let base = || {
        validation::Entity::find()
            .filter(validation::Column::TenantId.eq(tenant.as_uuid()))
            .filter(validation::Column::TechniqueId.eq(technique.as_str()))
    };
    let current = base()
        .filter(validation::Column::EndedAt.is_null())
        .filter(validation::Column::ExpiresAt.gt(now))
        .count(db)
        .await
        .map_err(unexpected)?;
    // When each lapsed proof stopped counting: its end, or its expiry.
    let lapsed: Vec<(Option<DateTime<Utc>>, DateTime<Utc>)> = base()
        .filter(
            Condition::any()
                .add(validation::Column::EndedAt.is_not_null())
                .add(validation::Column::ExpiresAt.lte(now)),
        )
        .select_only()
        .column(validation::Column::EndedAt)
        .column(validation::Column::ExpiresAt)
        .into_tuple()
        .all(db)
        .await
        .map_err(unexpected)?;
    let lapsed_at = lapsed
        .iter()
        .map(|(ended, expires)| ended.map_or(*expires, |ended| ended.min(*expires)))
        .max();
    let count = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(DetectionProof {
        current: count(current),
        lapsed: u32::try_from(lapsed.len()).unwrap_or(u32::MAX),
        lapsed_at,
    })
}

#[async_trait]
impl<C: Connection> DetectionLifecycleRepository for SeaStore<C> {
    async fn insert_asset(
        &self,
        tenant: TenantId,
        asset: &DetectionAsset,
        revision: &AssetRevision,
    ) -> Result<(), RepositoryError> {
        ensure_tenant(asset.tenant_id, tenant, "detection asset")?;
        let db = self.conn();
        asset::Entity::insert(asset_row(asset))
            .exec_without_returning(db)
            .await
            .map_err(on_write(Subject::DetectionAsset))?;
        replace_techniques(db, tenant, asset).await?;
        add_revision(db, tenant, revision).await
    }

    async fn update_asset(
        &self,
        tenant: TenantId,
        asset: &DetectionAsset,
        expected_version: i32,
        revision: &AssetRevision,
    ) -> Result<(), RepositoryError> {
        ensure_tenant(asset.tenant_id, tenant, "detection asset")?;
        let db = self.conn();
        let mut row = asset_row(asset);
        row.id = NotSet;
        row.tenant_id = NotSet;
        row.created_at = NotSet;
        row.created_by = NotSet;
        // The optimistic update reports no unique violation of its own: a rename onto
        // another asset's name and platform is refused here, inside the same transaction.
        let clash = asset::Entity::find()
            .filter(asset::Column::TenantId.eq(tenant.as_uuid()))
            .filter(asset::Column::Name.eq(asset.name.as_str()))
            .filter(asset::Column::Platform.eq(asset.platform.as_str()))
            .filter(asset::Column::Id.ne(asset.id.as_uuid()))
            .count(db)
            .await
            .map_err(unexpected)?;
        if clash > 0 {
            return Err(RepositoryError::Duplicate(Subject::DetectionAsset));
        }
        update_versioned::<asset::Entity, _>(db, tenant, asset.id.as_uuid(), expected_version, row)
            .await?;
        replace_techniques(db, tenant, asset).await?;
        add_revision(db, tenant, revision).await
    }

    async fn find_asset(
        &self,
        tenant: TenantId,
        id: AssetId,
    ) -> Result<Option<DetectionAsset>, RepositoryError> {
        let db = self.conn();
        let Some(row) = find_in_tenant::<asset::Entity>(db, tenant, id.as_uuid()).await? else {
            return Ok(None);
        };
        Ok(with_techniques(db, tenant, vec![row]).await?.pop())
    }

    async fn list_assets(
        &self,
        tenant: TenantId,
        filter: &AssetFilter,
        page: PageRequest,
    ) -> Result<Page<DetectionAsset>, RepositoryError> {
        let db = self.conn();
        let mut query = asset::Entity::find().filter(asset::Column::TenantId.eq(tenant.as_uuid()));
        if let Some(kind) = filter.kind {
            query = query.filter(asset::Column::Kind.eq(kind.as_str()));
        }
        if let Some(status) = filter.status {
            query = query.filter(asset::Column::Status.eq(status.as_str()));
        }
        if let Some(platform) = &filter.platform {
            query = query.filter(asset::Column::Platform.eq(platform.trim().to_lowercase()));
        }
        if let Some(team) = &filter.team {
            query = query.filter(asset::Column::Team.eq(team.trim()));
        }
        if let Some(owner) = filter.owner {
            query = query.filter(asset::Column::OwnerId.eq(owner.as_uuid()));
        }
        if let Some(technique) = &filter.technique {
            let members = asset_technique::Entity::find()
                .select_only()
                .column(asset_technique::Column::AssetId)
                .filter(asset_technique::Column::TenantId.eq(tenant.as_uuid()))
                .filter(asset_technique::Column::TechniqueId.eq(technique.as_str()))
                .into_query();
            query = query.filter(asset::Column::Id.in_subquery(members));
        }
        if let Some(search) = filter.search.as_deref().filter(|s| !s.trim().is_empty()) {
            query = query.filter(any_contains(&[asset::Column::Name], search.trim()));
        }
        let total = query.clone().count(db).await.map_err(unexpected)?;
        let rows = query
            .order_by_asc(asset::Column::Name)
            .order_by_asc(asset::Column::Id)
            .offset(page.offset())
            .limit(page.per_page())
            .all(db)
            .await
            .map_err(unexpected)?;
        Ok(Page {
            items: with_techniques(db, tenant, rows).await?,
            total,
            request: page,
        })
    }

    async fn live_assets(&self, tenant: TenantId) -> Result<Vec<DetectionAsset>, RepositoryError> {
        let db = self.conn();
        let rows = asset::Entity::find()
            .filter(asset::Column::TenantId.eq(tenant.as_uuid()))
            .filter(asset::Column::Status.ne(AssetStatus::Retired.as_str()))
            .order_by_asc(asset::Column::Name)
            .all(db)
            .await
            .map_err(unexpected)?;
        with_techniques(db, tenant, rows).await
    }

    async fn asset_history(
        &self,
        tenant: TenantId,
        asset: AssetId,
    ) -> Result<Vec<AssetRevision>, RepositoryError> {
        revision::Entity::find()
            .filter(revision::Column::TenantId.eq(tenant.as_uuid()))
            .filter(revision::Column::AssetId.eq(asset.as_uuid()))
            .order_by_asc(revision::Column::Version)
            .order_by_asc(revision::Column::ChangedAt)
            .all(self.conn())
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(|row| {
                Ok(AssetRevision {
                    id: row.id,
                    asset_id: AssetId::from_uuid(row.asset_id),
                    version: row.version,
                    change: row.change,
                    content_sha256: row.content_sha256,
                    status: asset_status(&row.status)?,
                    changed_by: row.changed_by.map(UserId::from_uuid),
                    changed_at: row.changed_at,
                })
            })
            .collect()
    }

    async fn insert_validations(
        &self,
        tenant: TenantId,
        validations: &[DetectionValidation],
    ) -> Result<(), RepositoryError> {
        if validations.is_empty() {
            return Ok(());
        }
        for v in validations {
            ensure_tenant(v.tenant_id, tenant, "detection validation")?;
        }
        for chunk in validations.chunks(200) {
            validation::Entity::insert_many(chunk.iter().map(validation_row))
                .exec_without_returning(self.conn())
                .await
                .map_err(unexpected)?;
        }
        Ok(())
    }

    async fn validations(
        &self,
        tenant: TenantId,
        asset: Option<AssetId>,
        technique: Option<&TechniqueId>,
    ) -> Result<Vec<DetectionValidation>, RepositoryError> {
        let mut query =
            validation::Entity::find().filter(validation::Column::TenantId.eq(tenant.as_uuid()));
        if let Some(asset) = asset {
            query = query.filter(validation::Column::AssetId.eq(asset.as_uuid()));
        }
        if let Some(technique) = technique {
            query = query.filter(validation::Column::TechniqueId.eq(technique.as_str()));
        }
        query
            .order_by_desc(validation::Column::ValidatedAt)
            .order_by_desc(validation::Column::Id)
            .all(self.conn())
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(validation_to_domain)
            .collect()
    }

    async fn unended_validations(
        &self,
        tenant: TenantId,
        assets: Option<&[AssetId]>,
        validated_before: Option<DateTime<Utc>>,
    ) -> Result<Vec<DetectionValidation>, RepositoryError> {
        let base = || {
            let mut query = validation::Entity::find()
                .filter(validation::Column::TenantId.eq(tenant.as_uuid()))
                .filter(validation::Column::EndedAt.is_null());
            if let Some(before) = validated_before {
                query = query.filter(validation::Column::ValidatedAt.lt(before));
            }
            query.order_by_asc(validation::Column::ValidatedAt)
        };
        let rows = match assets {
            None => base().all(self.conn()).await.map_err(unexpected)?,
            Some([]) => Vec::new(),
            Some(assets) => {
                let mut rows = Vec::new();
                for chunk in assets.chunks(500) {
                    rows.extend(
                        base()
                            .filter(
                                validation::Column::AssetId
                                    .is_in(chunk.iter().map(|a| a.as_uuid())),
                            )
                            .all(self.conn())
                            .await
                            .map_err(unexpected)?,
                    );
                }
                rows
            }
        };
        rows.into_iter().map(validation_to_domain).collect()
    }

    async fn end_validations(
        &self,
        tenant: TenantId,
        ids: &[ValidationId],
        end: &ProofEnd,
    ) -> Result<u64, RepositoryError> {
        let mut ended = 0;
        for chunk in ids.chunks(500) {
            let result = validation::Entity::update_many()
                .col_expr(validation::Column::EndedAt, Expr::value(end.at))
                .col_expr(
                    validation::Column::EndReason,
                    Expr::value(end.reason.clone()),
                )
                .col_expr(
                    validation::Column::EndedByChange,
                    Expr::value(end.change.map(|c| c.as_uuid())),
                )
                .filter(validation::Column::TenantId.eq(tenant.as_uuid()))
                .filter(validation::Column::EndedAt.is_null())
                .filter(validation::Column::Id.is_in(chunk.iter().map(|v| v.as_uuid())))
                .exec(self.conn())
                .await
                .map_err(unexpected)?;
            ended += result.rows_affected;
        }
        Ok(ended)
    }

    async fn insert_infrastructure_change(
        &self,
        tenant: TenantId,
        change: &InfrastructureChange,
    ) -> Result<(), RepositoryError> {
        ensure_tenant(change.tenant_id, tenant, "infrastructure change")?;
        let assets: Vec<String> = change.assets.iter().map(ToString::to_string).collect();
        infrastructure_change::Entity::insert(infrastructure_change::ActiveModel {
            id: Set(change.id.as_uuid()),
            tenant_id: Set(tenant.as_uuid()),
            title: Set(change.title.clone()),
            description: Set(change.description.clone()),
            occurred_at: Set(change.occurred_at),
            platforms: Set(serde_json::json!(change.platforms)),
            assets: Set(serde_json::json!(assets)),
            recorded_by: Set(change.recorded_by.as_uuid()),
            recorded_at: Set(change.recorded_at),
            ended_validations: Set(i32::try_from(change.ended_validations).unwrap_or(i32::MAX)),
        })
        .exec_without_returning(self.conn())
        .await
        .map_err(unexpected)?;
        Ok(())
    }

    async fn infrastructure_changes(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<InfrastructureChange>, RepositoryError> {
        infrastructure_change::Entity::find()
            .filter(infrastructure_change::Column::TenantId.eq(tenant.as_uuid()))
            .order_by_desc(infrastructure_change::Column::OccurredAt)
            .order_by_desc(infrastructure_change::Column::Id)
            .all(self.conn())
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(change_to_domain)
            .collect()
    }

    async fn tactics_of(&self, technique: &TechniqueId) -> Result<Vec<String>, RepositoryError> {
        use super::catalog::entities::technique as catalog_technique;
        Ok(catalog_technique::Entity::find()
            .filter(catalog_technique::Column::MitreId.eq(technique.as_str()))
            .order_by_asc(catalog_technique::Column::Revoked)
            .one(self.conn())
            .await
            .map_err(unexpected)?
            .map(|row| strings(&row.tactics))
            .unwrap_or_default())
    }

    async fn decay_policies(&self, tenant: TenantId) -> Result<Vec<DecayPolicy>, RepositoryError> {
        Ok(decay_policy::Entity::find()
            .filter(decay_policy::Column::TenantId.eq(tenant.as_uuid()))
            .order_by_asc(decay_policy::Column::ScopeKey)
            .all(self.conn())
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(|row| DecayPolicy {
                id: row.id,
                tenant_id: TenantId::from_uuid(row.tenant_id),
                platform: row.platform,
                tactic: row.tactic,
                validity_days: i64::from(row.validity_days),
            })
            .collect())
    }

    async fn save_decay_policy(
        &self,
        tenant: TenantId,
        policy: &DecayPolicy,
    ) -> Result<(), RepositoryError> {
        ensure_tenant(policy.tenant_id, tenant, "decay policy")?;
        decay_policy::Entity::insert(decay_policy::ActiveModel {
            id: Set(policy.id),
            tenant_id: Set(tenant.as_uuid()),
            platform: Set(policy.platform.clone()),
            tactic: Set(policy.tactic.clone()),
            scope_key: Set(scope_key(
                policy.platform.as_deref(),
                policy.tactic.as_deref(),
            )),
            validity_days: Set(i32::try_from(policy.validity_days).unwrap_or(i32::MAX)),
        })
        .on_conflict(
            OnConflict::columns([
                decay_policy::Column::TenantId,
                decay_policy::Column::ScopeKey,
            ])
            .update_columns([
                decay_policy::Column::ValidityDays,
                decay_policy::Column::Platform,
                decay_policy::Column::Tactic,
            ])
            .to_owned(),
        )
        .exec_without_returning(self.conn())
        .await
        .map_err(unexpected)?;
        Ok(())
    }

    async fn delete_decay_policy(&self, tenant: TenantId, id: Uuid) -> Result<(), RepositoryError> {
        let result = decay_policy::Entity::delete_many()
            .filter(decay_policy::Column::TenantId.eq(tenant.as_uuid()))
            .filter(decay_policy::Column::Id.eq(id))
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        if result.rows_affected == 0 {
            return Err(RepositoryError::NotFound(Entity::DecayPolicy));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::scope_key;

    #[test]
    fn a_policy_scope_ignores_case_and_blanks() {
        assert_eq!(scope_key(Some(" Splunk"), None), "splunk|");
        assert_eq!(scope_key(None, Some("Initial-Access")), "|initial-access");
        assert_eq!(scope_key(None, None), "|");
    }
}
