//! The catalog's adapter: reads, imports and import runs, over any connection.

pub(crate) mod entities;
pub(crate) mod import;
pub(crate) mod read;
pub(crate) mod runs;

use aegis_domain::catalog::TechniqueId;
use aegis_domain::page::Page;
use aegis_domain::page::PageRequest;
use aegis_domain::ports::CatalogRepository;
use aegis_domain::ports::RepositoryError;
use async_trait::async_trait;
use chrono::DateTime;
use chrono::Utc;

use crate::persistence::read_models::Scope;
use crate::persistence::{Connection, SeaStore};

#[async_trait]
impl<C: Connection> CatalogRepository for SeaStore<C> {
    async fn apply_attack_release(
        &self,
        release: &aegis_domain::catalog::AttackRelease,
        at: DateTime<Utc>,
    ) -> Result<aegis_domain::ports::ImportReport, RepositoryError> {
        let outcome = import::apply(self.conn(), release, at).await?;
        self.changed(Scope::Catalog).await?;
        Ok(outcome)
    }

    async fn begin_import(
        &self,
        run: &aegis_domain::ports::ImportRun,
    ) -> Result<(), RepositoryError> {
        runs::begin(self.conn(), run).await
    }

    async fn finish_import(
        &self,
        id: uuid::Uuid,
        outcome: Result<&aegis_domain::ports::ImportReport, &str>,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        runs::finish(self.conn(), id, outcome, at).await
    }

    async fn find_import(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<aegis_domain::ports::ImportRun>, RepositoryError> {
        runs::find(&self.read(), id).await
    }

    async fn list_imports(
        &self,
        limit: u64,
    ) -> Result<Vec<aegis_domain::ports::ImportRun>, RepositoryError> {
        runs::list(&self.read(), limit).await
    }

    async fn set_technique_review(
        &self,
        id: &aegis_domain::catalog::TechniqueId,
        required: bool,
        reason: Option<&str>,
    ) -> Result<(), RepositoryError> {
        let outcome = read::set_review(self.conn(), id, required, reason).await?;
        self.changed(Scope::Catalog).await?;
        Ok(outcome)
    }

    async fn insert_custom_technique(
        &self,
        technique: &aegis_domain::catalog::Technique,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let outcome = read::insert_custom(self.conn(), technique, at).await?;
        self.changed(Scope::Catalog).await?;
        Ok(outcome)
    }

    async fn update_custom_technique(
        &self,
        technique: &aegis_domain::catalog::Technique,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let outcome = read::update_custom(self.conn(), technique, at).await?;
        self.changed(Scope::Catalog).await?;
        Ok(outcome)
    }

    async fn list_tactics(&self) -> Result<Vec<aegis_domain::catalog::Tactic>, RepositoryError> {
        read::list_tactics(&self.read()).await
    }

    async fn list_techniques(
        &self,
        filter: &aegis_domain::ports::TechniqueFilter,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::ports::TechniqueSummary>, RepositoryError> {
        read::list_techniques(&self.read(), filter, page).await
    }

    async fn find_technique(
        &self,
        id: &aegis_domain::catalog::TechniqueId,
    ) -> Result<Option<aegis_domain::ports::TechniqueDetail>, RepositoryError> {
        read::find_technique(&self.read(), id).await
    }

    async fn list_threat_actors(
        &self,
        filter: &aegis_domain::ports::ThreatActorFilter,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::catalog::ThreatActor>, RepositoryError> {
        read::list_threat_actors(&self.read(), filter, page).await
    }

    async fn all_techniques(
        &self,
        filter: &aegis_domain::ports::TechniqueFilter,
    ) -> Result<Vec<aegis_domain::ports::TechniqueSummary>, RepositoryError> {
        read::all_techniques(&self.read(), filter).await
    }

    async fn actors_per_technique(
        &self,
    ) -> Result<std::collections::HashMap<TechniqueId, u32>, RepositoryError> {
        read::actors_per_technique(&self.read()).await
    }

    async fn find_threat_actor(
        &self,
        id: &str,
    ) -> Result<Option<aegis_domain::ports::ThreatActorDetail>, RepositoryError> {
        read::find_threat_actor(&self.read(), id).await
    }
    async fn technique_lineage(
        &self,
    ) -> Result<aegis_domain::technique_lineage::TechniqueLineage, RepositoryError> {
        read::lineage(&self.read()).await
    }
}
