//! The detection lifecycle's view of risk: how long a proof lasts depends on the technique's
//! stored risk level. Its own module because the risk room already depends on the lifecycle's
//! neighbours (validation refreshes risk), and the lifecycle must not import risk back.

use std::sync::Arc;

use aegis_domain::catalog::TechniqueId;
use aegis_domain::ports::RiskRepository;
use aegis_domain::tenant::TenantId;

/// The stored risk levels, as the detection lifecycle reads them to decide how long a proof
/// lasts (90, 180 or 365 days by level). A technique whose risk was never computed has none,
/// and the lifecycle falls back to its default.
pub struct StoredRiskLevels {
    risks: Arc<dyn RiskRepository>,
}

impl StoredRiskLevels {
    pub fn new(risks: Arc<dyn RiskRepository>) -> Self {
        Self { risks }
    }
}

#[async_trait::async_trait]
impl crate::detection_lifecycle::TechniqueRisk for StoredRiskLevels {
    async fn risk_level(&self, tenant: TenantId, technique: &TechniqueId) -> Option<String> {
        // A storage failure must not block the proof it dates: it gets the default lifetime.
        let risks = self.risks.risks(tenant).await.ok()?;
        risks
            .into_iter()
            .find(|risk| &risk.technique_id == technique)
            .map(|risk| risk.level.as_str().to_owned())
    }
}
