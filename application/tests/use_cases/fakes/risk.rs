//! In-memory risk for use-case tests: observations come from the stored tests; intelligence
//! signals from `State::intelligence` (published at, technique id).

use std::collections::HashMap;

use aegis_domain::catalog::TechniqueId;
use aegis_domain::ports::*;
use aegis_domain::risk::{TechniqueRisk, ValidatedObservation};
use aegis_domain::tenant::TenantId;
use aegis_domain::workflow::TestState;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Memory, Slot};

#[async_trait]
impl<S: Slot> RiskRepository for Memory<S> {
    async fn validated_observations(
        &self,
        tenant: TenantId,
        technique: Option<&TechniqueId>,
    ) -> Result<Vec<ValidatedObservation>, RepositoryError> {
        Ok(self.with(|s| {
            s.tests
                .iter()
                .filter(|t| t.tenant_id == tenant)
                .filter(|t| t.workflow().state() == TestState::Validated)
                .filter(|t| technique.is_none_or(|id| &t.technique_id == id))
                .filter_map(|t| {
                    Some(ValidatedObservation {
                        technique_id: t.technique_id.clone(),
                        outcome: t.blue.outcome?,
                        executed_at: t.red.executed_at,
                        detected_at: t.blue.detected_at,
                    })
                })
                .collect()
        }))
    }

    async fn intelligence_signals(
        &self,
        since: DateTime<Utc>,
        technique: Option<&TechniqueId>,
    ) -> Result<HashMap<String, u32>, RepositoryError> {
        Ok(self.with(|s| {
            let mut counts: HashMap<String, u32> = HashMap::new();
            for (published, id) in &s.intelligence {
                if *published >= since && technique.is_none_or(|t| t.as_str() == id) {
                    *counts.entry(id.clone()).or_default() += 1;
                }
            }
            counts
        }))
    }

    async fn replace_risks(
        &self,
        tenant: TenantId,
        risks: &[TechniqueRisk],
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.risks.retain(|(t, _)| *t != tenant);
            s.risks.extend(risks.iter().map(|r| (tenant, r.clone())));
        });
        Ok(())
    }

    async fn save_risk(
        &self,
        tenant: TenantId,
        risk: &TechniqueRisk,
    ) -> Result<(), RepositoryError> {
        self.with(|s| {
            s.risks
                .retain(|(t, r)| *t != tenant || r.technique_id != risk.technique_id);
            s.risks.push((tenant, risk.clone()));
        });
        Ok(())
    }

    async fn risks(&self, tenant: TenantId) -> Result<Vec<TechniqueRisk>, RepositoryError> {
        Ok(self.with(|s| {
            s.risks
                .iter()
                .filter(|(t, _)| *t == tenant)
                .map(|(_, r)| r.clone())
                .collect()
        }))
    }

    async fn risk_of(
        &self,
        tenant: TenantId,
        technique: &TechniqueId,
    ) -> Result<Option<TechniqueRisk>, RepositoryError> {
        Ok(self.with(|s| {
            s.risks
                .iter()
                .find(|(t, r)| *t == tenant && &r.technique_id == technique)
                .map(|(_, r)| r.clone())
        }))
    }
}
