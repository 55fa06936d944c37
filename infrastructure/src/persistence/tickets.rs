//! Ticket links, the tenants' Jira configurations and the worklogs pushed to Tempo.

use async_trait::async_trait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr, sea_query::ExprTrait, sea_query::OnConflict,
};

use aegis_domain::ports::{Entity, RepositoryError, Subject, TicketRepository};
use aegis_domain::tenant::TenantId;
use aegis_domain::ticket::{
    JiraConfig, PushedWorklog, StatusCategory, TicketId, TicketLink, TicketSubject, TicketSystem,
};
use aegis_domain::user::UserId;

use super::error::{corrupt, ensure_tenant, on_write, unexpected};
use super::{Connection, SeaStore};

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod ticket {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "tickets")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub subject_kind: String,
            pub subject_id: Uuid,
            pub finding_id: Option<Uuid>,
            pub system: String,
            pub key: String,
            pub url: String,
            pub external_id: Option<String>,
            pub status: Option<String>,
            pub status_category: String,
            pub last_synced_at: Option<DateTimeUtc>,
            pub sync_error: Option<String>,
            pub created_by: Uuid,
            pub created_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod jira_config {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "jira_configs")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub tenant_id: Uuid,
            pub base_url: String,
            pub email: String,
            pub api_token_sealed: Vec<u8>,
            pub project_key: String,
            pub issue_type: String,
            pub labels: String,
            pub aegis_url: Option<String>,
            pub tempo_token_sealed: Option<Vec<u8>>,
            pub tempo_url: String,
            pub tempo_account_id: Option<String>,
            pub updated_by: Uuid,
            pub updated_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod pushed {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "ticket_worklogs")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub ticket_id: Uuid,
            pub worklog_id: Uuid,
            pub tempo_id: String,
            pub pushed_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::{jira_config, pushed, ticket};

fn ticket_of(row: ticket::Model) -> Result<TicketLink, RepositoryError> {
    Ok(TicketLink {
        id: TicketId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        subject: TicketSubject::restored(&row.subject_kind, row.subject_id, row.finding_id)
            .ok_or_else(|| corrupt("ticket subject", &row.subject_kind))?,
        system: TicketSystem::parse(&row.system)
            .ok_or_else(|| corrupt("ticket system", &row.system))?,
        key: row.key,
        url: row.url,
        external_id: row.external_id,
        status: row.status,
        status_category: StatusCategory::parse(&row.status_category),
        last_synced_at: row.last_synced_at,
        sync_error: row.sync_error,
        created_by: UserId::from_uuid(row.created_by),
        created_at: row.created_at,
    })
}

fn ticket_row(t: &TicketLink) -> ticket::ActiveModel {
    ticket::ActiveModel {
        id: Set(t.id.as_uuid()),
        tenant_id: Set(t.tenant_id.as_uuid()),
        subject_kind: Set(t.subject.kind().to_owned()),
        subject_id: Set(t.subject.id()),
        finding_id: Set(match t.subject {
            TicketSubject::RemediationStep { finding, .. } => Some(finding.as_uuid()),
            _ => None,
        }),
        system: Set(t.system.as_str().to_owned()),
        key: Set(t.key.clone()),
        url: Set(t.url.clone()),
        external_id: Set(t.external_id.clone()),
        status: Set(t.status.clone()),
        status_category: Set(t.status_category.as_str().to_owned()),
        last_synced_at: Set(t.last_synced_at),
        sync_error: Set(t.sync_error.clone()),
        created_by: Set(t.created_by.as_uuid()),
        created_at: Set(t.created_at),
    }
}

fn config_of(row: jira_config::Model) -> JiraConfig {
    JiraConfig {
        tenant_id: TenantId::from_uuid(row.tenant_id),
        base_url: row.base_url,
        email: row.email,
        api_token_sealed: row.api_token_sealed,
        project_key: row.project_key,
        issue_type: row.issue_type,
        labels: row
            .labels
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect(),
        aegis_url: row.aegis_url,
        tempo_token_sealed: row.tempo_token_sealed,
        tempo_url: row.tempo_url,
        tempo_account_id: row.tempo_account_id,
        updated_by: UserId::from_uuid(row.updated_by),
        updated_at: row.updated_at,
    }
}

async fn find_ticket(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: TicketId,
) -> Result<Option<TicketLink>, RepositoryError> {
    ticket::Entity::find()
        .filter(ticket::Column::TenantId.eq(tenant.as_uuid()))
        .filter(ticket::Column::Id.eq(id.as_uuid()))
        .one(db)
        .await
        .map_err(unexpected)?
        .map(ticket_of)
        .transpose()
}

async fn tickets_of(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    subject: &TicketSubject,
) -> Result<Vec<TicketLink>, RepositoryError> {
    let mut query = ticket::Entity::find()
        .filter(ticket::Column::TenantId.eq(tenant.as_uuid()))
        .filter(ticket::Column::SubjectKind.eq(subject.kind()))
        .filter(ticket::Column::SubjectId.eq(subject.id()));
    if let TicketSubject::RemediationStep { finding, .. } = subject {
        query = query.filter(ticket::Column::FindingId.eq(finding.as_uuid()));
    }
    query
        .order_by_asc(ticket::Column::CreatedAt)
        .order_by_asc(ticket::Column::Id)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(ticket_of)
        .collect()
}

async fn followed(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    limit: u64,
) -> Result<Vec<TicketLink>, RepositoryError> {
    ticket::Entity::find()
        .filter(ticket::Column::TenantId.eq(tenant.as_uuid()))
        .filter(ticket::Column::System.eq(TicketSystem::Jira.as_str()))
        .filter(ticket::Column::StatusCategory.ne(StatusCategory::Done.as_str()))
        // Never synced first (NULL sorts first on SQLite and last on PostgreSQL ascending,
        // so it is asked for explicitly), then the longest ago.
        .order_by_asc(Expr::col(ticket::Column::LastSyncedAt).is_not_null())
        .order_by_asc(ticket::Column::LastSyncedAt)
        .order_by_asc(ticket::Column::Id)
        .limit(limit)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(ticket_of)
        .collect()
}

async fn jira_config(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Option<JiraConfig>, RepositoryError> {
    Ok(jira_config::Entity::find_by_id(tenant.as_uuid())
        .one(db)
        .await
        .map_err(unexpected)?
        .map(config_of))
}

async fn pushed_worklogs(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    ticket: TicketId,
) -> Result<Vec<PushedWorklog>, RepositoryError> {
    Ok(pushed::Entity::find()
        .filter(pushed::Column::TenantId.eq(tenant.as_uuid()))
        .filter(pushed::Column::TicketId.eq(ticket.as_uuid()))
        .order_by_asc(pushed::Column::PushedAt)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(|row| PushedWorklog {
            id: row.id,
            ticket_id: TicketId::from_uuid(row.ticket_id),
            worklog_id: row.worklog_id,
            tempo_id: row.tempo_id,
            pushed_at: row.pushed_at,
        })
        .collect())
}

#[async_trait]
impl<C: Connection> TicketRepository for SeaStore<C> {
    async fn insert_ticket(
        &self,
        tenant: TenantId,
        ticket: &TicketLink,
    ) -> Result<(), RepositoryError> {
        ensure_tenant(ticket.tenant_id, tenant, "ticket")?;
        ticket::Entity::insert(ticket_row(ticket))
            .exec_without_returning(self.conn())
            .await
            .map_err(on_write(Subject::Ticket))?;
        Ok(())
    }

    async fn find_ticket(
        &self,
        tenant: TenantId,
        id: TicketId,
    ) -> Result<Option<TicketLink>, RepositoryError> {
        find_ticket(&self.read(), tenant, id).await
    }

    async fn delete_ticket(&self, tenant: TenantId, id: TicketId) -> Result<(), RepositoryError> {
        // The pushed worklogs go first: SQLite enforces the cascade only when foreign keys
        // are switched on for the connection.
        pushed::Entity::delete_many()
            .filter(pushed::Column::TenantId.eq(tenant.as_uuid()))
            .filter(pushed::Column::TicketId.eq(id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        let result = ticket::Entity::delete_many()
            .filter(ticket::Column::TenantId.eq(tenant.as_uuid()))
            .filter(ticket::Column::Id.eq(id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        if result.rows_affected == 0 {
            return Err(RepositoryError::NotFound(Entity::Ticket));
        }
        Ok(())
    }

    async fn tickets_of(
        &self,
        tenant: TenantId,
        subject: &TicketSubject,
    ) -> Result<Vec<TicketLink>, RepositoryError> {
        tickets_of(&self.read(), tenant, subject).await
    }

    async fn followed_tickets(
        &self,
        tenant: TenantId,
        limit: u64,
    ) -> Result<Vec<TicketLink>, RepositoryError> {
        followed(&self.read(), tenant, limit).await
    }

    async fn update_ticket_status(
        &self,
        tenant: TenantId,
        ticket: &TicketLink,
    ) -> Result<(), RepositoryError> {
        ensure_tenant(ticket.tenant_id, tenant, "ticket")?;
        let result = ticket::Entity::update_many()
            .col_expr(
                ticket::Column::ExternalId,
                Expr::value(ticket.external_id.clone()),
            )
            .col_expr(ticket::Column::Status, Expr::value(ticket.status.clone()))
            .col_expr(
                ticket::Column::StatusCategory,
                Expr::value(ticket.status_category.as_str().to_owned()),
            )
            .col_expr(
                ticket::Column::LastSyncedAt,
                Expr::value(ticket.last_synced_at),
            )
            .col_expr(
                ticket::Column::SyncError,
                Expr::value(ticket.sync_error.clone()),
            )
            .filter(ticket::Column::TenantId.eq(tenant.as_uuid()))
            .filter(ticket::Column::Id.eq(ticket.id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(unexpected)?;
        if result.rows_affected == 0 {
            return Err(RepositoryError::NotFound(Entity::Ticket));
        }
        Ok(())
    }

    async fn jira_config(&self, tenant: TenantId) -> Result<Option<JiraConfig>, RepositoryError> {
        jira_config(&self.read(), tenant).await
    }

    async fn save_jira_config(
        &self,
        tenant: TenantId,
        config: &JiraConfig,
    ) -> Result<(), RepositoryError> {
        ensure_tenant(config.tenant_id, tenant, "Jira configuration")?;
        let row = jira_config::ActiveModel {
            tenant_id: Set(tenant.as_uuid()),
            base_url: Set(config.base_url.clone()),
            email: Set(config.email.clone()),
            api_token_sealed: Set(config.api_token_sealed.clone()),
            project_key: Set(config.project_key.clone()),
            issue_type: Set(config.issue_type.clone()),
            labels: Set(config.labels.join("\n")),
            aegis_url: Set(config.aegis_url.clone()),
            tempo_token_sealed: Set(config.tempo_token_sealed.clone()),
            tempo_url: Set(config.tempo_url.clone()),
            tempo_account_id: Set(config.tempo_account_id.clone()),
            updated_by: Set(config.updated_by.as_uuid()),
            updated_at: Set(config.updated_at),
        };
        use jira_config::Column as C;
        jira_config::Entity::insert(row)
            .on_conflict(
                OnConflict::column(C::TenantId)
                    .update_columns([
                        C::BaseUrl,
                        C::Email,
                        C::ApiTokenSealed,
                        C::ProjectKey,
                        C::IssueType,
                        C::Labels,
                        C::AegisUrl,
                        C::TempoTokenSealed,
                        C::TempoUrl,
                        C::TempoAccountId,
                        C::UpdatedBy,
                        C::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(self.conn())
            .await
            .map_err(unexpected)?;
        Ok(())
    }

    async fn pushed_worklogs(
        &self,
        tenant: TenantId,
        ticket: TicketId,
    ) -> Result<Vec<PushedWorklog>, RepositoryError> {
        pushed_worklogs(&self.read(), tenant, ticket).await
    }

    async fn record_pushed_worklog(
        &self,
        tenant: TenantId,
        record: &PushedWorklog,
    ) -> Result<(), RepositoryError> {
        let row = pushed::ActiveModel {
            id: Set(record.id),
            tenant_id: Set(tenant.as_uuid()),
            ticket_id: Set(record.ticket_id.as_uuid()),
            worklog_id: Set(record.worklog_id),
            tempo_id: Set(record.tempo_id.clone()),
            pushed_at: Set(record.pushed_at),
        };
        pushed::Entity::insert(row)
            .exec_without_returning(self.conn())
            .await
            .map_err(on_write(Subject::Worklog))?;
        Ok(())
    }
}
