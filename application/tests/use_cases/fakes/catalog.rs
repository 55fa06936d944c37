//! In-memory catalog for use-case tests.

use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A catalog with nothing in it: the use cases under test here do not read it.
pub struct EmptyCatalog;

#[async_trait]
impl aegis_domain::ports::CatalogRepository for EmptyCatalog {
    async fn apply_attack_release(
        &self,
        _: &aegis_domain::catalog::AttackRelease,
        _: DateTime<Utc>,
    ) -> Result<aegis_domain::ports::ImportReport, RepositoryError> {
        Ok(Default::default())
    }
    async fn list_tactics(&self) -> Result<Vec<aegis_domain::catalog::Tactic>, RepositoryError> {
        Ok(Vec::new())
    }
    async fn all_techniques(
        &self,
        _: &aegis_domain::ports::TechniqueFilter,
    ) -> Result<Vec<aegis_domain::ports::TechniqueSummary>, RepositoryError> {
        Ok(Vec::new())
    }
    async fn actors_per_technique(
        &self,
    ) -> Result<std::collections::HashMap<aegis_domain::catalog::TechniqueId, u32>, RepositoryError>
    {
        Ok(std::collections::HashMap::new())
    }
    async fn set_technique_review(
        &self,
        _: &aegis_domain::catalog::TechniqueId,
        _: bool,
        _: Option<&str>,
    ) -> Result<(), RepositoryError> {
        Err(RepositoryError::NotFound(Entity::Technique))
    }
    async fn insert_custom_technique(
        &self,
        _: &aegis_domain::catalog::Technique,
        _: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        Ok(())
    }
    async fn update_custom_technique(
        &self,
        _: &aegis_domain::catalog::Technique,
        _: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        Err(RepositoryError::NotFound(Entity::CustomTechnique))
    }
    async fn begin_import(
        &self,
        _: &aegis_domain::ports::ImportRun,
    ) -> Result<(), RepositoryError> {
        Ok(())
    }
    async fn finish_import(
        &self,
        _: Uuid,
        _: Result<&aegis_domain::ports::ImportReport, &str>,
        _: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        Ok(())
    }
    async fn find_import(
        &self,
        _: Uuid,
    ) -> Result<Option<aegis_domain::ports::ImportRun>, RepositoryError> {
        Ok(None)
    }
    async fn list_imports(
        &self,
        _: u64,
    ) -> Result<Vec<aegis_domain::ports::ImportRun>, RepositoryError> {
        Ok(Vec::new())
    }
    async fn list_techniques(
        &self,
        _: &aegis_domain::ports::TechniqueFilter,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::ports::TechniqueSummary>, RepositoryError> {
        Ok(Page {
            items: Vec::new(),
            total: 0,
            request: page,
        })
    }
    async fn find_technique(
        &self,
        _: &aegis_domain::catalog::TechniqueId,
    ) -> Result<Option<aegis_domain::ports::TechniqueDetail>, RepositoryError> {
        Ok(None)
    }
    async fn list_threat_actors(
        &self,
        _: &aegis_domain::ports::ThreatActorFilter,
        page: PageRequest,
    ) -> Result<Page<aegis_domain::catalog::ThreatActor>, RepositoryError> {
        Ok(Page {
            items: Vec::new(),
            total: 0,
            request: page,
        })
    }
    async fn find_threat_actor(
        &self,
        _: &str,
    ) -> Result<Option<aegis_domain::ports::ThreatActorDetail>, RepositoryError> {
        Ok(None)
    }
    async fn technique_lineage(
        &self,
    ) -> Result<aegis_domain::technique_lineage::TechniqueLineage, RepositoryError> {
        Ok(aegis_domain::technique_lineage::TechniqueLineage::default())
    }
}

/// A feed that is never reached in these tests.
pub struct NoFeed;

#[async_trait]
impl aegis_application::catalog::AttackSource for NoFeed {
    fn describe(&self) -> String {
        "none".to_owned()
    }
    async fn fetch(
        &self,
    ) -> Result<aegis_domain::catalog::AttackRelease, aegis_application::catalog::FeedError> {
        Err(aegis_application::catalog::FeedError(
            "no feed in tests".to_owned(),
        ))
    }
}
