//! The permission matrix: which role may perform which action.
//!
//! Admin passes every check; viewers only read; leads can do what their techs can; red and
//! blue never do each other's work. The matrix is checked against the golden table in
//! `domain/tests/golden/permissions.txt`, so any change to it is visible in review.

use std::fmt;

use crate::role::Role;

/// Everything a user can ask Aegis to do that a role may be refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Read one's own account and sign out.
    ReadOwnAccount,
    /// Change one's own password and preferences.
    ManageOwnAccount,
    /// Read techniques, tactics, threat actors, templates and rules.
    ReadCatalog,
    /// Create and edit custom techniques, templates and data sources.
    ManageCatalog,
    /// Flag a technique for review.
    FlagTechniqueForReview,
    /// Read tests, campaigns, evidence and results.
    ReadOperations,
    /// Create, edit and delete tests in draft.
    PlanTests,
    /// Start execution, fill red fields, upload red evidence, submit red.
    ExecuteRed,
    /// Fill blue fields, upload blue evidence, submit blue.
    EvaluateBlue,
    /// Cast the red lead's vote.
    ValidateRed,
    /// Cast the blue lead's vote.
    ValidateBlue,
    /// Reopen a validated or rejected test for a retest.
    ReopenTest,
    /// Comment on tests and campaigns (everyone who works on them).
    Comment,
    /// Create, plan and activate campaigns.
    ManageCampaigns,
    /// Record the organization's coverage posture on demand (leads).
    TakeSnapshot,
    /// Triage findings, plan their remediation, accept risks and order retests (leads).
    ManageFindings,
    /// Manage detection assets, record their proofs by hand, log infrastructure changes and
    /// set decay policies (the blue lead: detections are the blue side's).
    ManageDetections,
    /// Complete a campaign (red lead or admin: the red side closes an operation).
    CompleteCampaign,
    /// List, create, change and deactivate users.
    ManageUsers,
    /// Read and verify the audit trail.
    ReadAuditLog,
    /// Run feed syncs and jobs, change system settings.
    ManageSystem,
    /// Configure alert rules, evaluate them on request, and acknowledge, resolve or dismiss
    /// alerts (leads: alerts are the organization's, not one team's). Deleting a rule is the
    /// admin's (`ManageSystem`), as in the original.
    ManageAlerts,
    /// Write playbooks and lessons learned (everyone who works on tests; viewers read).
    ManageKnowledge,
    /// Submit a diff of detection content to be scanned (leads, and pipelines with a key).
    SubmitScans,
    /// Set the tenant's scan policy and let findings through (suppressions, baselines,
    /// exceptions): leads, not the pipelines whose findings they are.
    ManageScanPolicy,
}

impl Action {
    pub const ALL: [Action; 25] = [
        Action::ReadOwnAccount,
        Action::ManageOwnAccount,
        Action::ReadCatalog,
        Action::ManageCatalog,
        Action::FlagTechniqueForReview,
        Action::ReadOperations,
        Action::PlanTests,
        Action::ExecuteRed,
        Action::EvaluateBlue,
        Action::ValidateRed,
        Action::ValidateBlue,
        Action::ReopenTest,
        Action::Comment,
        Action::ManageCampaigns,
        Action::TakeSnapshot,
        Action::ManageFindings,
        Action::ManageDetections,
        Action::CompleteCampaign,
        Action::ManageUsers,
        Action::ReadAuditLog,
        Action::ManageSystem,
        Action::ManageAlerts,
        Action::ManageKnowledge,
        Action::SubmitScans,
        Action::ManageScanPolicy,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Action::ReadOwnAccount => "read_own_account",
            Action::ManageOwnAccount => "manage_own_account",
            Action::ReadCatalog => "read_catalog",
            Action::ManageCatalog => "manage_catalog",
            Action::FlagTechniqueForReview => "flag_technique_for_review",
            Action::ReadOperations => "read_operations",
            Action::PlanTests => "plan_tests",
            Action::ExecuteRed => "execute_red",
            Action::EvaluateBlue => "evaluate_blue",
            Action::ValidateRed => "validate_red",
            Action::ValidateBlue => "validate_blue",
            Action::ReopenTest => "reopen_test",
            Action::Comment => "comment",
            Action::ManageCampaigns => "manage_campaigns",
            Action::TakeSnapshot => "take_snapshot",
            Action::ManageFindings => "manage_findings",
            Action::ManageDetections => "manage_detections",
            Action::CompleteCampaign => "complete_campaign",
            Action::ManageUsers => "manage_users",
            Action::ReadAuditLog => "read_audit_log",
            Action::ManageSystem => "manage_system",
            Action::ManageAlerts => "manage_alerts",
            Action::ManageKnowledge => "manage_knowledge",
            Action::SubmitScans => "submit_scans",
            Action::ManageScanPolicy => "manage_scan_policy",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `role` may perform `action`.
pub const fn permits(role: Role, action: Action) -> bool {
    use Action as A;
    use Role as R;
    match role {
        R::Admin => true,
        R::Viewer => matches!(
            action,
            A::ReadOwnAccount | A::ManageOwnAccount | A::ReadCatalog | A::ReadOperations
        ),
        _ => match action {
            A::ReadOwnAccount
            | A::ManageOwnAccount
            | A::ReadCatalog
            | A::ReadOperations
            | A::Comment
            | A::ManageKnowledge => true,
            A::ExecuteRed => matches!(role, R::RedLead | R::RedTech),
            A::EvaluateBlue => matches!(role, R::BlueLead | R::BlueTech),
            A::FlagTechniqueForReview
            | A::PlanTests
            | A::ReopenTest
            | A::ManageCampaigns
            | A::ManageFindings
            | A::ManageAlerts
            | A::SubmitScans
            | A::ManageScanPolicy
            | A::TakeSnapshot => {
                matches!(role, R::RedLead | R::BlueLead)
            }
            A::ValidateRed | A::CompleteCampaign => matches!(role, R::RedLead),
            A::ValidateBlue | A::ManageDetections => matches!(role, R::BlueLead),
            A::ManageCatalog | A::ManageUsers | A::ReadAuditLog | A::ManageSystem => false,
        },
    }
}

/// The whole matrix as text, one row per action, `x` where allowed: the golden table's format.
pub fn render_matrix() -> String {
    let mut out = String::from("action");
    for role in Role::ALL {
        out.push(' ');
        out.push_str(role.as_str());
    }
    out.push('\n');
    for action in Action::ALL {
        out.push_str(action.as_str());
        for role in Role::ALL {
            out.push(' ');
            out.push_str(if permits(role, action) { "x" } else { "-" });
        }
        out.push('\n');
    }
    out
}
