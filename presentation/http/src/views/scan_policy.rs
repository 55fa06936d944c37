//! The wire types of [`crate::routes::scan_policy`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::scan_policy::{EffectivePolicy, PolicyInput};
use aegis_domain::scan::{ErrorMode, Severity};
use aegis_domain::scan_policy::{ScanWaiver, WaiverScope};

use crate::views::scans::ScanPolicyView;

/// The policy new scans of the tenant are decided under.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TenantScanPolicyView {
    #[serde(flatten)]
    pub policy: ScanPolicyView,
    /// How many days a scan's raw diff is kept before the evidence sweep deletes it.
    pub diff_retention_days: u32,
    /// Whether the tenant runs on the default (it has never set one).
    pub is_default: bool,
    pub updated_by: Option<Uuid>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<EffectivePolicy> for TenantScanPolicyView {
    fn from(effective: EffectivePolicy) -> Self {
        Self {
            policy: (&effective.policy).into(),
            diff_retention_days: effective.diff_retention_days,
            is_default: effective.set.is_none(),
            updated_by: effective.set.map(|(by, _)| by.as_uuid()),
            updated_at: effective.set.map(|(_, at)| at),
        }
    }
}

/// A tenant's policy, replaced whole.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanPolicyRequest {
    /// Findings at this severity or above block.
    #[schema(value_type = crate::views::enums::ScanSeverity)]
    pub block_at: String,
    /// Rule ids that block whatever their severity.
    #[serde(default)]
    pub always_block: Vec<String>,
    /// Rule ids that never block (reported only).
    #[serde(default)]
    pub never_block: Vec<String>,
    #[schema(value_type = crate::views::enums::ScanErrorMode)]
    pub error_mode: String,
    /// Hosts tests may download and run code from; a subdomain of one is allowed too.
    #[serde(default)]
    pub download_allow_list: Vec<String>,
    /// How many days a scan's raw diff is kept (1 to 3650; 90 when not given).
    #[serde(default)]
    pub diff_retention_days: Option<u32>,
}

impl ScanPolicyRequest {
    /// The input, or the field whose value is not one of its values.
    pub fn input(self) -> Result<PolicyInput, (&'static str, String)> {
        let block_at = Severity::parse(&self.block_at).ok_or(("block_at", self.block_at))?;
        let error_mode = match self.error_mode.as_str() {
            "fail_open" => ErrorMode::FailOpen,
            "fail_closed" => ErrorMode::FailClosed,
            _ => return Err(("error_mode", self.error_mode)),
        };
        Ok(PolicyInput {
            block_at,
            always_block: self.always_block,
            never_block: self.never_block,
            error_mode,
            download_allow_list: self.download_allow_list,
            diff_retention_days: self.diff_retention_days,
        })
    }
}

/// A suppression, a baseline or an exception.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScanWaiverView {
    pub id: Uuid,
    #[schema(value_type = crate::views::enums::ScanWaiverKind)]
    pub kind: String,
    /// A suppression's finding.
    pub fingerprint: Option<String>,
    /// A baseline's repository.
    pub repository: Option<String>,
    /// The scan a baseline was taken from.
    pub scan_id: Option<Uuid>,
    /// How many findings a baseline accepts.
    pub findings: Option<u32>,
    /// An exception's rule.
    pub rule_id: Option<String>,
    /// An exception's files, a glob (`*` within a folder, `**` across folders).
    pub path_pattern: Option<String>,
    pub reason: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    /// After this instant it lets nothing through; none for a waiver that stands until
    /// deleted.
    pub expires_at: Option<DateTime<Utc>>,
}

impl ScanWaiverView {
    #[must_use]
    pub fn of(waiver: &ScanWaiver) -> Self {
        let mut view = Self {
            id: waiver.id.as_uuid(),
            kind: waiver.scope.kind().as_str().to_owned(),
            fingerprint: None,
            repository: None,
            scan_id: None,
            findings: None,
            rule_id: None,
            path_pattern: None,
            reason: waiver.reason.clone(),
            created_by: waiver.created_by.as_uuid(),
            created_at: waiver.created_at,
            expires_at: waiver.expires_at,
        };
        match &waiver.scope {
            WaiverScope::Suppression { fingerprint } => {
                view.fingerprint = Some(fingerprint.clone())
            }
            WaiverScope::Baseline {
                repository,
                scan_id,
                fingerprints,
            } => {
                view.repository = Some(repository.clone());
                view.scan_id = Some(scan_id.as_uuid());
                view.findings = Some(u32::try_from(fingerprints.len()).unwrap_or(u32::MAX));
            }
            WaiverScope::Exception {
                rule_id,
                path_pattern,
            } => {
                view.rule_id = Some(rule_id.clone());
                view.path_pattern = Some(path_pattern.clone());
            }
        }
        view
    }
}

/// Which waivers a list shows.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaiverListQuery {
    /// Include the expired ones (default: only those that still let findings through).
    pub include_expired: Option<bool>,
}

/// Let one finding through, wherever it appears, by its fingerprint.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSuppressionRequest {
    /// The finding's fingerprint (64 hex digits, from `/scans/{id}/findings`).
    pub fingerprint: String,
    pub reason: String,
    /// When it stops letting the finding through; at most two years ahead.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Let one rule's findings through under a path pattern.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewExceptionRequest {
    pub rule_id: String,
    /// A glob over the file paths of the diff (`atomics/**/*.yaml`).
    pub path_pattern: String,
    pub reason: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Accept a completed scan's findings for its repository: later scans of it block only on
/// new ones. Replaces the repository's previous baseline.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBaselineRequest {
    pub scan_id: Uuid,
    pub reason: String,
}
