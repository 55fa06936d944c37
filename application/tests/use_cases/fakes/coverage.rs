//! In-memory coverage for use-case tests.

use aegis_domain::ports::*;
use aegis_domain::tenant::TenantId;
use async_trait::async_trait;

use super::{Memory, Slot};

#[async_trait]
impl<S: Slot> CoverageRepository for Memory<S> {
    async fn tests_of_technique(
        &self,
        tenant: TenantId,
        technique: &aegis_domain::catalog::TechniqueId,
    ) -> Result<Vec<aegis_domain::test_case::TestCase>, RepositoryError> {
        Ok(self.with(|s| {
            s.tests
                .iter()
                .filter(|t| t.tenant_id == tenant && &t.technique_id == technique)
                .cloned()
                .collect()
        }))
    }
    async fn save_technique_score(
        &self,
        tenant: TenantId,
        score: &aegis_domain::scoring::StoredScore,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.scores
                .retain(|(t, stored)| *t != tenant || stored.technique_id != score.technique_id);
            s.scores.push((tenant, score.clone()));
        });
        Ok(())
    }
    async fn technique_score(
        &self,
        tenant: TenantId,
        technique: &aegis_domain::catalog::TechniqueId,
    ) -> Result<Option<aegis_domain::scoring::StoredScore>, RepositoryError> {
        Ok(self.with(|s| {
            s.scores
                .iter()
                .find(|(t, stored)| *t == tenant && &stored.technique_id == technique)
                .map(|(_, stored)| stored.clone())
        }))
    }
    async fn technique_scores(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<aegis_domain::scoring::StoredScore>, RepositoryError> {
        Ok(self.with(|s| {
            s.scores
                .iter()
                .filter(|(t, _)| *t == tenant)
                .map(|(_, stored)| stored.clone())
                .collect()
        }))
    }
    async fn detection_rules_of(
        &self,
        _technique: &str,
    ) -> Result<Vec<aegis_domain::detection::RuleSummary>, RepositoryError> {
        Ok(Vec::new())
    }
    async fn countermeasure_count(&self, _technique: &str) -> Result<u32, RepositoryError> {
        Ok(0)
    }
    async fn detection_proof(
        &self,
        tenant: TenantId,
        technique: &aegis_domain::catalog::TechniqueId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<aegis_domain::scoring::DetectionProof, RepositoryError> {
        Ok(self.with(|s| {
            let mine = s
                .detection_validations
                .iter()
                .filter(|v| v.tenant_id == tenant && &v.technique_id == technique);
            let (current, lapsed, lapsed_at) = mine.fold((0, 0, None), |(c, l, at), v| {
                if v.ended.is_none() && v.expires_at > now {
                    (c + 1, l, at)
                } else {
                    let stopped = v
                        .ended
                        .as_ref()
                        .map_or(v.expires_at, |end| end.at.min(v.expires_at));
                    (c, l + 1, Ord::max(at, Some(stopped)))
                }
            });
            aegis_domain::scoring::DetectionProof {
                current,
                lapsed,
                lapsed_at,
            }
        }))
    }
}
