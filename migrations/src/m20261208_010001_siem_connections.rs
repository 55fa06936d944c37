//! The tenants' SIEM connections (Elastic, OpenSearch, Splunk, Sentinel), with their secrets
//! sealed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum SiemConnections {
    Table,
    Id,
    TenantId,
    Name,
    /// `elastic`, `opensearch`, `splunk` or `sentinel`.
    Kind,
    BaseUrl,
    Index,
    RuleField,
    Search,
    WorkspaceId,
    DirectoryId,
    LoginUrl,
    Username,
    /// Nonce and ciphertext of the API key, password, token or client secret.
    SecretSealed,
    CreatedBy,
    CreatedAt,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SiemConnections::Table)
                    .col(uuid(SiemConnections::Id).primary_key())
                    .col(uuid(SiemConnections::TenantId))
                    .col(string_len(SiemConnections::Name, 200))
                    .col(string_len(SiemConnections::Kind, 16))
                    .col(string_len(SiemConnections::BaseUrl, 2048))
                    .col(string_len_null(SiemConnections::Index, 1024))
                    .col(string_len_null(SiemConnections::RuleField, 255))
                    .col(text_null(SiemConnections::Search))
                    .col(string_len_null(SiemConnections::WorkspaceId, 128))
                    .col(string_len_null(SiemConnections::DirectoryId, 128))
                    .col(string_len_null(SiemConnections::LoginUrl, 2048))
                    .col(string_len_null(SiemConnections::Username, 320))
                    .col(blob(SiemConnections::SecretSealed))
                    .col(uuid(SiemConnections::CreatedBy))
                    .col(timestamp_with_time_zone(SiemConnections::CreatedAt))
                    .col(uuid(SiemConnections::UpdatedBy))
                    .col(timestamp_with_time_zone(SiemConnections::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SiemConnections::Table, SiemConnections::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The list's question: a tenant's connections.
        manager
            .create_index(
                Index::create()
                    .name("siem_connections_by_tenant")
                    .table(SiemConnections::Table)
                    .col(SiemConnections::TenantId)
                    .col(SiemConnections::Name)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SiemConnections::Table).to_owned())
            .await
    }
}
