//! The wire types of [`crate::routes::tracked_actors`]: its views, request bodies and queries.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use aegis_domain::threat_intel::TrackedActor;

#[derive(Debug, Serialize, ToSchema)]
pub struct TrackedActorView {
    pub stix_id: String,
    pub mitre_id: Option<String>,
    pub name: String,
    /// The techniques it was known to use when last looked at.
    pub known_techniques: Vec<String>,
    pub tracked_by: Option<Uuid>,
    pub tracked_at: DateTime<Utc>,
}

impl From<TrackedActor> for TrackedActorView {
    fn from(t: TrackedActor) -> Self {
        Self {
            stix_id: t.actor_stix_id,
            mitre_id: t.mitre_id,
            name: t.name,
            known_techniques: t.known_techniques,
            tracked_by: t.tracked_by.map(|u| u.as_uuid()),
            tracked_at: t.tracked_at,
        }
    }
}
