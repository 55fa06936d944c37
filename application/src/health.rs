//! Readiness: can this instance reach what it needs to serve?

use std::sync::Arc;

use crate::ports::{Database, EvidenceStore};

/// The state of each dependency; ready only when all are up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub database: Result<(), String>,
    pub evidence_store: Result<(), String>,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.database.is_ok() && self.evidence_store.is_ok()
    }
}

#[derive(Clone)]
pub struct HealthService {
    database: Arc<dyn Database>,
    evidence: Arc<dyn EvidenceStore>,
}

impl HealthService {
    pub fn new(database: Arc<dyn Database>, evidence: Arc<dyn EvidenceStore>) -> Self {
        Self { database, evidence }
    }

    pub async fn readiness(&self) -> Readiness {
        Readiness {
            database: self.database.ping().await.map_err(|e| e.to_string()),
            evidence_store: self.evidence.check().await.map_err(|e| e.to_string()),
        }
    }
}
