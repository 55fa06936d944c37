//! In-memory attack paths for use-case tests.

use aegis_domain::attack_path::{AttackPath, AttackPathId};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use async_trait::async_trait;

use super::{Memory, Slot, replace_versioned};

#[async_trait]
impl<S: Slot> AttackPathRepository for Memory<S> {
    async fn insert_attack_path(
        &self,
        _tenant: TenantId,
        path: &AttackPath,
    ) -> Result<(), RepositoryError> {
        self.with(|s| s.attack_paths.push(path.clone()));
        Ok(())
    }
    async fn find_attack_path(
        &self,
        tenant: TenantId,
        id: AttackPathId,
    ) -> Result<Option<AttackPath>, RepositoryError> {
        Ok(self.with(|s| {
            s.attack_paths
                .iter()
                .find(|p| p.tenant_id == tenant && p.id == id)
                .cloned()
        }))
    }
    async fn update_attack_path(
        &self,
        tenant: TenantId,
        path: &AttackPath,
        expected: i32,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            replace_versioned(
                &mut s.attack_paths,
                path,
                expected,
                |stored| stored.tenant_id == tenant && stored.id == path.id,
                |stored| stored.version(),
                Entity::AttackPath,
            )
        })
    }
    async fn delete_attack_path(
        &self,
        tenant: TenantId,
        id: AttackPathId,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            let before = s.attack_paths.len();
            s.attack_paths
                .retain(|p| !(p.tenant_id == tenant && p.id == id));
            if s.attack_paths.len() == before {
                Err(RepositoryError::NotFound(Entity::AttackPath))
            } else {
                Ok(())
            }
        })
    }
    async fn list_attack_paths(
        &self,
        tenant: TenantId,
        page: PageRequest,
    ) -> Result<Page<AttackPath>, RepositoryError> {
        let mut items: Vec<AttackPath> = self.with(|s| {
            s.attack_paths
                .iter()
                .filter(|p| p.tenant_id == tenant)
                .cloned()
                .collect()
        });
        items.sort_by_key(|p| std::cmp::Reverse(p.created_at));
        Ok(Page {
            total: items.len() as u64,
            items,
            request: page,
        })
    }
}

/// Attack Flow files are read by infrastructure; use-case tests read none.
pub struct NoFlowFiles;

impl aegis_application::attack_paths::AttackFlowCodec for NoFlowFiles {
    fn read(
        &self,
        _bytes: &[u8],
    ) -> Result<
        aegis_domain::attack_path::FlowDraft,
        aegis_application::attack_paths::FlowFormatError,
    > {
        Err(aegis_application::attack_paths::FlowFormatError(
            "no flow files in use-case tests".to_owned(),
        ))
    }

    fn write(&self, _path: &AttackPath) -> serde_json::Value {
        serde_json::Value::Null
    }
}
