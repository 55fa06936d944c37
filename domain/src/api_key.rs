//! API keys: long-lived credentials for pipelines and service accounts.
//!
//! A key acts as its owner, narrowed by its scopes: the owner's role decides what may be
//! done at all, the key's scopes what this key may do of it. Only a SHA-256 hash of the key is
//! stored; the key is high-entropy (256 random bits), so a fast hash is enough and each
//! request costs one lookup, not a bcrypt round.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};

use crate::id::Id;
use crate::permission::Action;
use crate::tenant::TenantId;
use crate::user::UserId;

pub type ApiKeyId = Id<ApiKey>;

/// The text every key starts with, so scanners and people recognise a leaked one.
pub const KEY_PREFIX: &str = "aegis_";

/// What a key may be used for. `write` grants every scope, `read` only reading; the finer
/// scopes grant one area of work each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Read,
    Write,
    TestsWrite,
    EvidenceWrite,
    CampaignsWrite,
    FindingsWrite,
    DetectionsWrite,
    SnapshotsWrite,
    CatalogWrite,
    ImportsRun,
    UsersWrite,
    KnowledgeWrite,
    ScansWrite,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown scope `{0}`: expected one of read, write, tests:write, evidence:write, \
     campaigns:write, findings:write, detections:write, snapshots:write, catalog:write, imports:run, users:write, knowledge:write, scans:write"
)]
pub struct UnknownScope(pub String);

impl Scope {
    pub const ALL: [Scope; 13] = [
        Scope::Read,
        Scope::Write,
        Scope::TestsWrite,
        Scope::EvidenceWrite,
        Scope::CampaignsWrite,
        Scope::FindingsWrite,
        Scope::DetectionsWrite,
        Scope::SnapshotsWrite,
        Scope::CatalogWrite,
        Scope::ImportsRun,
        Scope::UsersWrite,
        Scope::KnowledgeWrite,
        Scope::ScansWrite,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::TestsWrite => "tests:write",
            Scope::EvidenceWrite => "evidence:write",
            Scope::CampaignsWrite => "campaigns:write",
            Scope::FindingsWrite => "findings:write",
            Scope::DetectionsWrite => "detections:write",
            Scope::SnapshotsWrite => "snapshots:write",
            Scope::CatalogWrite => "catalog:write",
            Scope::ImportsRun => "imports:run",
            Scope::UsersWrite => "users:write",
            Scope::KnowledgeWrite => "knowledge:write",
            Scope::ScansWrite => "scans:write",
        }
    }

    /// # Errors
    /// `UnknownScope` for any text that names no scope.
    pub fn parse(text: &str) -> Result<Self, UnknownScope> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == text.trim())
            .ok_or_else(|| UnknownScope(text.to_owned()))
    }

    /// The scope a key needs to perform `action`. Evidence uploads are the one area of work
    /// that is not an action of its own: the evidence use case asks for `EvidenceWrite`.
    pub const fn needed_for(action: Action) -> Scope {
        use Action as A;
        match action {
            A::ReadOwnAccount | A::ReadCatalog | A::ReadOperations | A::ReadAuditLog => Scope::Read,
            A::PlanTests
            | A::ExecuteRed
            | A::EvaluateBlue
            | A::ValidateRed
            | A::ValidateBlue
            | A::ReopenTest
            | A::Comment => Scope::TestsWrite,
            A::ManageCampaigns | A::CompleteCampaign => Scope::CampaignsWrite,
            // Alerts are triaged as findings are: the same scope.
            A::ManageFindings | A::ManageAlerts => Scope::FindingsWrite,
            A::ManageDetections => Scope::DetectionsWrite,
            A::TakeSnapshot => Scope::SnapshotsWrite,
            A::ManageCatalog | A::FlagTechniqueForReview => Scope::CatalogWrite,
            A::ManageSystem => Scope::ImportsRun,
            A::ManageUsers => Scope::UsersWrite,
            A::ManageKnowledge => Scope::KnowledgeWrite,
            A::SubmitScans => Scope::ScansWrite,
            // A pipeline's key that may submit scans must not waive its own findings.
            A::ManageScanPolicy => Scope::Write,
            // A key never changes its owner's password or preferences unless it may write all.
            A::ManageOwnAccount => Scope::Write,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The scopes of one key: never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(BTreeSet<Scope>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidScopes {
    #[error("at least one scope is required")]
    Empty,
    #[error(transparent)]
    Unknown(#[from] UnknownScope),
}

impl Scopes {
    /// # Errors
    /// `Empty` without any scope, `Unknown` for a name that is no scope.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, InvalidScopes> {
        let scopes = names
            .into_iter()
            .map(Scope::parse)
            .collect::<Result<BTreeSet<_>, _>>()?;
        if scopes.is_empty() {
            return Err(InvalidScopes::Empty);
        }
        Ok(Self(scopes))
    }

    /// Whether these scopes grant `needed`: `write` grants everything, anything else only itself.
    pub fn grants(&self, needed: Scope) -> bool {
        self.0.contains(&Scope::Write) || self.0.contains(&needed)
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    /// The names, space-separated, as stored.
    pub fn to_text(&self) -> String {
        self.iter().map(Scope::as_str).collect::<Vec<_>>().join(" ")
    }
}

/// A stored API key: everything but the key itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub tenant_id: TenantId,
    /// The user the key acts as (a person, or a service account).
    pub owner_id: UserId,
    pub name: String,
    /// The first characters of the secret, shown so a key can be told apart from others.
    pub prefix: String,
    /// SHA-256 (hex) of the whole key.
    pub secret_hash: String,
    pub scopes: Scopes,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub last_used_ip: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Why a presented key cannot be used now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    Revoked,
    Expired,
}

impl ApiKey {
    /// # Errors
    /// `Revoked` once revoked, `Expired` from its expiry on.
    pub fn check_usable(&self, now: DateTime<Utc>) -> Result<(), KeyRefusal> {
        if self.revoked_at.is_some() {
            return Err(KeyRefusal::Revoked);
        }
        if self.expires_at.is_some_and(|at| at <= now) {
            return Err(KeyRefusal::Expired);
        }
        Ok(())
    }

    /// Whether a use at `now` from `ip` is worth writing down: the first use, a new address,
    /// or a minute after the last recorded one (so a busy pipeline is not a write per call).
    pub fn use_worth_recording(&self, now: DateTime<Utc>, ip: Option<&str>) -> bool {
        match self.last_used_at {
            None => true,
            Some(last) => {
                self.last_used_ip.as_deref() != ip || now - last >= chrono::Duration::minutes(1)
            }
        }
    }
}

/// The tenant a presented key belongs to, read from its text (`aegis_<tenant>_<secret>`),
/// so its lookup is tenant-scoped like every other. `None` for text that is no key.
pub fn tenant_of_key(key: &str) -> Option<TenantId> {
    let rest = key.strip_prefix(KEY_PREFIX)?;
    let (tenant, secret) = rest.split_once('_')?;
    if secret.len() < 32 || !secret.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    TenantId::parse(tenant).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_grant() {
        let scopes = Scopes::parse(["read", "tests:write"]);
        assert!(scopes.is_ok());
        let Ok(scopes) = scopes else { return };
        assert!(scopes.grants(Scope::Read));
        assert!(scopes.grants(Scope::TestsWrite));
        assert!(!scopes.grants(Scope::EvidenceWrite));
        assert_eq!(scopes.to_text(), "read tests:write");
        assert_eq!(Scopes::parse([]), Err(InvalidScopes::Empty));
        assert!(matches!(
            Scopes::parse(["tests:delete"]),
            Err(InvalidScopes::Unknown(_))
        ));
        let all = Scopes::parse(["write"]);
        assert!(all.is_ok_and(|all| Scope::ALL.iter().all(|s| all.grants(*s))));
    }

    #[test]
    fn every_action_needs_a_scope_and_reading_needs_read() {
        for action in Action::ALL {
            let scope = Scope::needed_for(action);
            let reads = matches!(
                action,
                Action::ReadOwnAccount
                    | Action::ReadCatalog
                    | Action::ReadOperations
                    | Action::ReadAuditLog
            );
            assert_eq!(scope == Scope::Read, reads, "{action}");
        }
    }

    #[test]
    fn the_tenant_is_read_from_the_key() {
        let tenant = TenantId::from_uuid(uuid::Uuid::nil());
        let secret = "ab".repeat(32);
        let key = format!("aegis_{}_{secret}", tenant.as_uuid().simple());
        assert_eq!(tenant_of_key(&key), Some(tenant));
        assert_eq!(tenant_of_key("aegis_nope"), None);
        assert_eq!(
            tenant_of_key(&format!("aegis_{}_short", tenant.as_uuid().simple())),
            None
        );
        assert_eq!(tenant_of_key("eyJhbGciOi.x.y"), None);
    }

    #[test]
    fn revoked_and_expired_keys_are_refused() {
        let now = Utc::now();
        let mut key = ApiKey {
            id: ApiKeyId::from_uuid(uuid::Uuid::nil()),
            tenant_id: TenantId::from_uuid(uuid::Uuid::nil()),
            owner_id: UserId::from_uuid(uuid::Uuid::nil()),
            name: "ci".into(),
            prefix: "abcd".into(),
            secret_hash: String::new(),
            scopes: Scopes(BTreeSet::from([Scope::Read])),
            expires_at: Some(now + chrono::Duration::days(1)),
            created_by: UserId::from_uuid(uuid::Uuid::nil()),
            created_at: now,
            last_used_at: None,
            last_used_ip: None,
            revoked_at: None,
        };
        assert_eq!(key.check_usable(now), Ok(()));
        assert_eq!(
            key.check_usable(now + chrono::Duration::days(2)),
            Err(KeyRefusal::Expired)
        );
        key.revoked_at = Some(now);
        assert_eq!(key.check_usable(now), Err(KeyRefusal::Revoked));
    }
}
