//! Every endpoint, walked with every role, against the permission matrix (whose golden table
//! is checked in `domain/tests/golden/permissions.txt`). What each endpoint needs is seeded
//! first (a test in the right state, a campaign, a finding, evidence, a report, a rule...), so
//! the paths carry real ids: an allowed role must get the endpoint's success status, a refused
//! one 403. A 404 or a 409 for an allowed role is a failure: it would hide a broken handler.

use std::collections::HashMap;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use aegis_domain::Role;
use aegis_domain::detection::RuleSource;
use aegis_domain::permission::Action;

use crate::helpers::*;

pub(crate) struct Endpoint {
    pub(crate) method: Method,
    /// `{name}` stands for a seeded id (see `Walk::resolve`).
    pub(crate) path: &'static str,
    action: Action,
    /// May name seeded ids too.
    pub(crate) body: Option<Value>,
    /// The statuses that mean success (documented in the OpenAPI document).
    success: &'static [u16],
}

const OK: &[u16] = &[200];
const CREATED: &[u16] = &[201];
const ACCEPTED: &[u16] = &[202];
const NO_CONTENT: &[u16] = &[204];

fn e(
    method: Method,
    path: &'static str,
    action: Action,
    body: Option<Value>,
    success: &'static [u16],
) -> Endpoint {
    Endpoint {
        method,
        path,
        action,
        body,
        success,
    }
}

pub(crate) fn endpoints() -> Vec<Endpoint> {
    use Action as A;
    use Method as M;
    vec![
        e(M::GET, "/api/v1/tactics", A::ReadCatalog, None, OK),
        e(M::GET, "/api/v1/heatmap", A::ReadCatalog, None, OK),
        e(M::GET, "/api/v1/dashboard", A::ReadOperations, None, OK),
        e(M::GET, "/api/v1/metrics", A::ReadOperations, None, OK),
        e(M::GET, "/api/v1/detection-rules", A::ReadCatalog, None, OK),
        e(
            M::GET,
            "/api/v1/detection-rules/{rule}",
            A::ReadCatalog,
            None,
            OK,
        ),
        e(M::GET, "/api/v1/test-templates", A::ReadCatalog, None, OK),
        e(
            M::GET,
            "/api/v1/test-templates/{template}",
            A::ReadCatalog,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/tests/from-template",
            A::PlanTests,
            Some(json!({"template_id": "{template}"})),
            CREATED,
        ),
        e(M::GET, "/api/v1/data-sources", A::ReadCatalog, None, OK),
        e(M::GET, "/api/v1/tracked-actors", A::ReadCatalog, None, OK),
        e(
            M::GET,
            "/api/v1/compliance/frameworks",
            A::ReadCatalog,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/compliance/frameworks/{framework}",
            A::ReadCatalog,
            None,
            OK,
        ),
        e(M::GET, "/api/v1/exports/tests", A::ReadOperations, None, OK),
        e(
            M::GET,
            "/api/v1/exports/techniques",
            A::ReadCatalog,
            None,
            OK,
        ),
        e(
            M::PUT,
            "/api/v1/tracked-actors/{actor}",
            A::PlanTests,
            None,
            OK,
        ),
        e(
            M::DELETE,
            "/api/v1/tracked-actors/{tracked_actor}",
            A::PlanTests,
            None,
            NO_CONTENT,
        ),
        e(
            M::PATCH,
            "/api/v1/data-sources/{kind}",
            A::ManageSystem,
            Some(json!({"enabled": true})),
            OK,
        ),
        e(
            M::POST,
            "/api/v1/data-sources/{kind}/sync",
            A::ManageSystem,
            None,
            ACCEPTED,
        ),
        e(
            M::POST,
            "/api/v1/data-sources/{kind}/bundle",
            A::ManageSystem,
            Some(json!({"type": "bundle", "id": "bundle--walk", "objects": []})),
            OK,
        ),
        e(M::GET, "/api/v1/coverage", A::ReadCatalog, None, OK),
        e(
            M::GET,
            "/api/v1/heatmap/navigator-layer",
            A::ReadCatalog,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/heatmap/navigator-layer",
            A::PlanTests,
            Some(json!({"name": "walk", "techniques": [{"techniqueID": "T1059", "score": 1}]})),
            // Created when it plans a test, OK when every technique already has one.
            &[200, 201],
        ),
        e(
            M::GET,
            "/api/v1/tests/{test}/evidence",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/evidence/{evidence}",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/tests/{test}/telemetry",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/tests/{blue_test}/telemetry/evaluate",
            A::EvaluateBlue,
            Some(json!({})),
            CREATED,
        ),
        e(
            M::GET,
            "/api/v1/evidence/{evidence}/download",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/evidence/{evidence}/download-link",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/evidence/{evidence}/verify",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::DELETE,
            "/api/v1/evidence/{new_evidence}",
            A::ManageSystem,
            Some(json!({"reason": "walk"})),
            OK,
        ),
        e(
            M::PATCH,
            "/api/v1/techniques/{mitre_id}/review",
            A::FlagTechniqueForReview,
            Some(json!({"review_required": true, "reason": "walk"})),
            OK,
        ),
        e(
            M::POST,
            "/api/v1/techniques",
            A::ManageCatalog,
            Some(
                json!({"mitre_id": "{new_custom_id}", "name": "Walked", "tactics": ["execution"]}),
            ),
            CREATED,
        ),
        e(
            M::PATCH,
            "/api/v1/techniques/{custom}",
            A::ManageCatalog,
            Some(json!({"name": "Walked", "tactics": ["execution"]})),
            OK,
        ),
        e(M::GET, "/api/v1/system/imports", A::ManageSystem, None, OK),
        e(
            M::GET,
            "/api/v1/system/imports/{import}",
            A::ManageSystem,
            None,
            OK,
        ),
        e(M::GET, "/api/v1/system/jobs", A::ManageSystem, None, OK),
        e(
            M::GET,
            "/api/v1/system/jobs/{job_run}",
            A::ManageSystem,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/system/jobs/{job}/run",
            A::ManageSystem,
            None,
            ACCEPTED,
        ),
        e(
            M::POST,
            "/api/v1/system/run-intel-scan",
            A::ManageSystem,
            None,
            ACCEPTED,
        ),
        e(
            M::GET,
            "/api/v1/system/scheduler-status",
            A::ManageSystem,
            None,
            OK,
        ),
        e(M::GET, "/api/v1/risk", A::ReadOperations, None, OK),
        e(M::GET, "/api/v1/risk/matrix", A::ReadOperations, None, OK),
        e(M::GET, "/api/v1/risk/summary", A::ReadOperations, None, OK),
        e(M::GET, "/api/v1/risk/top", A::ReadOperations, None, OK),
        e(
            M::GET,
            "/api/v1/risk/recommendations",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/risk/detection-performance",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/risk/techniques/{risk_technique}",
            A::ReadOperations,
            None,
            OK,
        ),
        e(M::POST, "/api/v1/risk/compute", A::TakeSnapshot, None, OK),
        e(M::GET, "/api/v1/osint/items", A::ReadOperations, None, OK),
        e(M::GET, "/api/v1/osint/summary", A::ReadOperations, None, OK),
        e(M::GET, "/api/v1/alerts", A::ReadOperations, None, OK),
        e(
            M::GET,
            "/api/v1/alerts/summary",
            A::ReadOperations,
            None,
            OK,
        ),
        e(M::GET, "/api/v1/alerts/rules", A::ReadOperations, None, OK),
        e(
            M::POST,
            "/api/v1/alerts/evaluate",
            A::ManageAlerts,
            None,
            ACCEPTED,
        ),
        e(
            M::POST,
            "/api/v1/alerts/rules",
            A::ManageAlerts,
            Some(json!({"name": "Walked rule", "rule_type": "detection_gap"})),
            CREATED,
        ),
        e(
            M::PATCH,
            "/api/v1/alerts/rules/{alert_rule}",
            A::ManageAlerts,
            Some(json!({"enabled": true})),
            OK,
        ),
        e(
            M::DELETE,
            "/api/v1/alerts/rules/{new_alert_rule}",
            A::ManageSystem,
            None,
            NO_CONTENT,
        ),
        e(
            M::POST,
            "/api/v1/alerts/{new_alert}/acknowledge",
            A::ManageAlerts,
            Some(json!({"note": "walked"})),
            OK,
        ),
        e(
            M::POST,
            "/api/v1/alerts/{new_alert}/resolve",
            A::ManageAlerts,
            Some(json!({})),
            OK,
        ),
        e(
            M::POST,
            "/api/v1/alerts/{new_alert}/dismiss",
            A::ManageAlerts,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/osint/items/{intel_item}",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/osint/items/{intel_item}/review",
            A::ManageFindings,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/osint/technique/{mitre_id}",
            A::ReadOperations,
            None,
            OK,
        ),
        e(M::GET, "/api/v1/snapshots", A::ReadCatalog, None, OK),
        e(M::GET, "/api/v1/snapshots/trend", A::ReadCatalog, None, OK),
        e(M::POST, "/api/v1/snapshots", A::TakeSnapshot, None, CREATED),
        e(
            M::GET,
            "/api/v1/snapshots/{snapshot}",
            A::ReadCatalog,
            None,
            OK,
        ),
        e(
            M::DELETE,
            "/api/v1/snapshots/{new_snapshot}",
            A::ManageSystem,
            None,
            NO_CONTENT,
        ),
        e(M::GET, "/api/v1/tests", A::ReadOperations, None, OK),
        e(
            M::GET,
            "/api/v1/analytics/coverage",
            A::ReadCatalog,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/analytics/tests",
            A::ReadOperations,
            None,
            OK,
        ),
        e(M::GET, "/api/v1/analytics/trends", A::ReadCatalog, None, OK),
        e(
            M::GET,
            "/api/v1/analytics/operators",
            A::ReadOperations,
            None,
            OK,
        ),
        e(M::GET, "/api/v1/notifications", A::ReadOwnAccount, None, OK),
        e(
            M::GET,
            "/api/v1/notifications/stream",
            A::ReadOwnAccount,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/notifications/unread-count",
            A::ReadOwnAccount,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/notifications/{own_notification}/read",
            A::ManageOwnAccount,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/notifications/read-all",
            A::ManageOwnAccount,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/notifications/preferences",
            A::ReadOwnAccount,
            None,
            OK,
        ),
        e(
            M::PUT,
            "/api/v1/notifications/preferences",
            A::ManageOwnAccount,
            Some(json!({"kinds": [{"kind": "test.reopen", "channels": ["in_app"]}]})),
            OK,
        ),
        e(
            M::GET,
            "/api/v1/notifications/emails",
            A::ReadOwnAccount,
            None,
            OK,
        ),
        e(M::GET, "/api/v1/tests/{test}", A::ReadOperations, None, OK),
        e(
            M::GET,
            "/api/v1/tests/{test}/timeline",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::PATCH,
            "/api/v1/tests/{test}",
            A::PlanTests,
            Some(json!({"title": "Renamed"})),
            OK,
        ),
        e(
            M::DELETE,
            "/api/v1/tests/{draft_test}",
            A::PlanTests,
            None,
            NO_CONTENT,
        ),
        e(
            M::PATCH,
            "/api/v1/tests/{red_test}/red",
            A::ExecuteRed,
            Some(json!({"tool": "x"})),
            OK,
        ),
        e(
            M::PATCH,
            "/api/v1/tests/{blue_test}/blue",
            A::EvaluateBlue,
            Some(json!({"notes": "x"})),
            OK,
        ),
        e(
            M::POST,
            "/api/v1/tests/{test}/comments",
            A::Comment,
            Some(json!({"body": "x"})),
            CREATED,
        ),
        e(
            M::POST,
            "/api/v1/tests/{draft_test}/{action}",
            A::ExecuteRed,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/tests",
            A::PlanTests,
            Some(json!({"title": "Walk", "technique_id": "T1059"})),
            CREATED,
        ),
        e(M::GET, "/api/v1/techniques", A::ReadCatalog, None, OK),
        e(
            M::GET,
            "/api/v1/techniques/{mitre_id}",
            A::ReadCatalog,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/threat-actors/{actor}",
            A::ReadCatalog,
            None,
            OK,
        ),
        e(M::GET, "/api/v1/threat-actors", A::ReadCatalog, None, OK),
        e(M::GET, "/api/v1/auth/me", A::ReadOwnAccount, None, OK),
        e(M::GET, "/api/v1/users/me", A::ReadOwnAccount, None, OK),
        e(
            M::PATCH,
            "/api/v1/users/me/preferences",
            A::ManageOwnAccount,
            Some(json!({"theme": "dark"})),
            OK,
        ),
        e(M::GET, "/api/v1/users", A::ManageUsers, None, OK),
        e(
            M::POST,
            "/api/v1/api-keys",
            A::ReadOwnAccount,
            Some(json!({"name": "Walk", "scopes": ["read"]})),
            CREATED,
        ),
        e(M::GET, "/api/v1/api-keys", A::ReadOwnAccount, None, OK),
        e(M::GET, "/api/v1/tenant", A::ReadOwnAccount, None, OK),
        e(M::GET, "/api/v1/auth/sessions", A::ReadOwnAccount, None, OK),
        e(
            M::DELETE,
            "/api/v1/auth/sessions",
            A::ManageOwnAccount,
            None,
            OK,
        ),
        e(
            M::DELETE,
            "/api/v1/auth/sessions/{own_session}",
            A::ManageOwnAccount,
            None,
            NO_CONTENT,
        ),
        e(
            M::DELETE,
            "/api/v1/users/{target}/sessions",
            A::ManageUsers,
            None,
            NO_CONTENT,
        ),
        e(
            M::PATCH,
            "/api/v1/tenant",
            A::ManageSystem,
            Some(json!({"name": "Walked organization"})),
            OK,
        ),
        e(M::GET, "/api/v1/webhooks", A::ManageSystem, None, OK),
        e(
            M::POST,
            "/api/v1/webhooks",
            A::ManageSystem,
            Some(
                json!({"name": "Walked", "url": "http://127.0.0.1:9/walk", "events": ["scan.finished"]}),
            ),
            CREATED,
        ),
        e(
            M::GET,
            "/api/v1/webhooks/allow-list",
            A::ManageSystem,
            None,
            OK,
        ),
        e(
            M::PUT,
            "/api/v1/webhooks/allow-list",
            A::ManageSystem,
            Some(json!({"entries": ["127.0.0.1"]})),
            OK,
        ),
        e(
            M::GET,
            "/api/v1/webhooks/{webhook}",
            A::ManageSystem,
            None,
            OK,
        ),
        e(
            M::PATCH,
            "/api/v1/webhooks/{webhook}",
            A::ManageSystem,
            Some(json!({"name": "Walked hook"})),
            OK,
        ),
        e(
            M::GET,
            "/api/v1/webhooks/{webhook}/deliveries",
            A::ManageSystem,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/webhooks/{webhook}/deliveries/{webhook_delivery}/redeliver",
            A::ManageSystem,
            None,
            ACCEPTED,
        ),
        e(
            M::POST,
            "/api/v1/webhooks/{webhook}/test",
            A::ManageSystem,
            None,
            ACCEPTED,
        ),
        e(
            M::DELETE,
            "/api/v1/webhooks/{new_webhook}",
            A::ManageSystem,
            None,
            NO_CONTENT,
        ),
        e(
            M::GET,
            "/api/v1/tickets?finding_id={finding}",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/tickets",
            A::ManageFindings,
            Some(
                json!({"finding_id": "{finding}", "system": "other", "key": "{new_name}",
                        "url": "https://tracker.example/walk"}),
            ),
            CREATED,
        ),
        e(
            M::DELETE,
            "/api/v1/tickets/{new_ticket}",
            A::ManageFindings,
            None,
            NO_CONTENT,
        ),
        e(
            M::GET,
            "/api/v1/tickets/jira/config",
            A::ManageSystem,
            None,
            OK,
        ),
        e(
            M::PUT,
            "/api/v1/tickets/jira/config",
            A::ManageSystem,
            Some(
                json!({"base_url": "{jira_url}", "email": "walk@example.com",
                        "api_token": "walk-token", "project_key": "SEC"}),
            ),
            OK,
        ),
        e(
            M::GET,
            "/api/v1/integrations/github",
            A::ManageSystem,
            None,
            OK,
        ),
        e(
            M::PUT,
            "/api/v1/integrations/github",
            A::ManageSystem,
            Some(json!({"api_url": "{jira_url}", "token": "walk-token",
                        "webhook_secret": "walk-webhook-secret", "repositories": ["acme/walk"]})),
            OK,
        ),
        e(
            M::GET,
            "/api/v1/integrations/github/deliveries",
            A::ManageSystem,
            None,
            OK,
        ),
        e(
            M::DELETE,
            "/api/v1/integrations/github",
            A::ManageSystem,
            None,
            NO_CONTENT,
        ),
        e(
            M::GET,
            "/api/v1/siem/connections",
            A::ManageSystem,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/siem/connections",
            A::ManageSystem,
            Some(
                json!({"name": "Walked SIEM", "kind": "elastic", "base_url": "{siem_url}",
                        "secret": "walk-key"}),
            ),
            CREATED,
        ),
        e(
            M::GET,
            "/api/v1/siem/connections/{siem}",
            A::ManageSystem,
            None,
            OK,
        ),
        e(
            M::PUT,
            "/api/v1/siem/connections/{siem}",
            A::ManageSystem,
            Some(json!({"name": "Walk SIEM", "kind": "elastic", "base_url": "{siem_url}"})),
            OK,
        ),
        e(
            M::POST,
            "/api/v1/siem/connections/{siem}/check",
            A::ManageSystem,
            None,
            NO_CONTENT,
        ),
        e(
            M::DELETE,
            "/api/v1/siem/connections/{new_siem}",
            A::ManageSystem,
            None,
            NO_CONTENT,
        ),
        e(
            M::POST,
            "/api/v1/tests/{blue_test}/siem/evaluate",
            A::EvaluateBlue,
            Some(json!({"connection_id": "{siem}"})),
            CREATED,
        ),
        e(
            M::POST,
            "/api/v1/findings/{new_finding}/ticket",
            A::ManageFindings,
            None,
            CREATED,
        ),
        e(M::GET, "/api/v1/mfa", A::ReadOwnAccount, None, OK),
        e(M::POST, "/api/v1/mfa/totp", A::ManageOwnAccount, None, OK),
        e(M::GET, "/api/v1/sso/config", A::ManageUsers, None, OK),
        e(
            M::PUT,
            "/api/v1/sso/config",
            A::ManageUsers,
            // Disabled, so that saving does not read a provider's discovery document.
            Some(
                json!({"display_name": "IdP", "issuer": "https://idp.example",
                        "client_id": "aegis", "client_secret": "secret", "enabled": false}),
            ),
            OK,
        ),
        e(M::GET, "/api/v1/mfa/policy", A::ManageUsers, None, OK),
        e(
            M::PUT,
            "/api/v1/mfa/policy",
            A::ManageUsers,
            Some(json!({"required_roles": []})),
            OK,
        ),
        e(
            M::DELETE,
            "/api/v1/mfa/users/{target}",
            A::ManageUsers,
            None,
            NO_CONTENT,
        ),
        e(
            M::GET,
            "/api/v1/api-keys/{own_key}",
            A::ReadOwnAccount,
            None,
            OK,
        ),
        e(
            M::PATCH,
            "/api/v1/api-keys/{own_key}",
            A::ReadOwnAccount,
            Some(json!({"name": "Walked"})),
            OK,
        ),
        e(
            M::DELETE,
            "/api/v1/api-keys/{own_key}",
            A::ReadOwnAccount,
            None,
            NO_CONTENT,
        ),
        e(
            M::GET,
            "/api/v1/users/directory",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/users",
            A::ManageUsers,
            Some(json!({"email": "{new_email}", "role": "viewer"})),
            CREATED,
        ),
        e(M::GET, "/api/v1/users/{target}", A::ManageUsers, None, OK),
        e(
            M::PATCH,
            "/api/v1/users/{target}",
            A::ManageUsers,
            Some(json!({"display_name": "Target"})),
            OK,
        ),
        e(
            M::POST,
            "/api/v1/users/{target}/reset-password",
            A::ManageUsers,
            None,
            OK,
        ),
        e(
            M::DELETE,
            "/api/v1/users/{target}",
            A::ManageUsers,
            None,
            OK,
        ),
        e(M::GET, "/api/v1/campaigns", A::ReadOperations, None, OK),
        e(
            M::POST,
            "/api/v1/campaigns",
            A::ManageCampaigns,
            Some(json!({"name": "Walk"})),
            CREATED,
        ),
        e(
            M::POST,
            "/api/v1/campaigns/from-threat-actor",
            A::ManageCampaigns,
            Some(json!({"threat_actor_id": "{actor}"})),
            CREATED,
        ),
        e(
            M::POST,
            "/api/v1/campaigns/import",
            A::ManageCampaigns,
            Some(
                json!({"template": {"format": "aegis.campaign-template/1", "name": "Walk",
                                     "campaign_type": "purple_team", "tests": []}}),
            ),
            CREATED,
        ),
        e(
            M::GET,
            "/api/v1/campaigns/{campaign}",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::PATCH,
            "/api/v1/campaigns/{campaign}",
            A::ManageCampaigns,
            Some(json!({"name": "Walked"})),
            OK,
        ),
        e(
            M::DELETE,
            "/api/v1/campaigns/{new_campaign}",
            A::ManageCampaigns,
            None,
            NO_CONTENT,
        ),
        e(
            M::PATCH,
            "/api/v1/campaigns/{campaign}/schedule",
            A::ManageCampaigns,
            Some(json!({"start_date": "2026-12-01"})),
            OK,
        ),
        e(
            M::POST,
            "/api/v1/campaigns/{new_campaign}/tests",
            A::ManageCampaigns,
            Some(json!({"test_id": "{draft_test}"})),
            OK,
        ),
        e(
            M::PUT,
            "/api/v1/campaigns/{campaign}/tests/order",
            A::ManageCampaigns,
            Some(json!({"test_ids": ["{campaign_test}"]})),
            OK,
        ),
        e(
            M::DELETE,
            "/api/v1/campaigns/{campaign_with_test}/tests/{its_test}",
            A::ManageCampaigns,
            None,
            OK,
        ),
        e(
            M::PUT,
            "/api/v1/tests/{campaign_test}/dependencies",
            A::ManageCampaigns,
            Some(json!({"depends_on": []})),
            OK,
        ),
        e(
            M::POST,
            "/api/v1/campaigns/{campaign_with_test}/activate",
            A::ManageCampaigns,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/campaigns/{active_campaign}/complete",
            A::CompleteCampaign,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/campaigns/{new_campaign}/archive",
            A::ManageCampaigns,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/campaigns/{campaign}/export",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/campaigns/{campaign}/coverage",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/campaigns/{campaign}/timeline",
            A::ReadOperations,
            None,
            OK,
        ),
        e(M::GET, "/api/v1/reports", A::ReadOperations, None, OK),
        e(
            M::POST,
            "/api/v1/reports",
            A::TakeSnapshot,
            Some(json!({"kind": "executive_summary"})),
            ACCEPTED,
        ),
        e(
            M::POST,
            "/api/v1/scans",
            A::SubmitScans,
            Some(json!({"diff": WALKED_DIFF})),
            ACCEPTED,
        ),
        e(M::GET, "/api/v1/scans", A::ReadOperations, None, OK),
        e(M::GET, "/api/v1/scans/{scan}", A::ReadOperations, None, OK),
        e(
            M::GET,
            "/api/v1/scans/{scan}/findings",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/scans/{scan}/diff",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/scans/{scan}/artifact",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/scans/{scan}/verify",
            A::ReadOperations,
            Some(json!({})),
            OK,
        ),
        e(M::GET, "/api/v1/scans/policy", A::ReadOperations, None, OK),
        e(
            M::PUT,
            "/api/v1/scans/policy",
            A::ManageScanPolicy,
            Some(json!({"block_at": "high", "error_mode": "fail_closed"})),
            OK,
        ),
        e(
            M::GET,
            "/api/v1/scans/suppressions",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/scans/suppressions",
            A::ManageScanPolicy,
            Some(json!({"fingerprint": "{new_fingerprint}", "reason": "walk"})),
            CREATED,
        ),
        e(
            M::GET,
            "/api/v1/scans/suppressions/{new_suppression}",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::DELETE,
            "/api/v1/scans/suppressions/{new_suppression}",
            A::ManageScanPolicy,
            None,
            NO_CONTENT,
        ),
        e(
            M::GET,
            "/api/v1/scans/baselines",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/scans/baselines",
            A::ManageScanPolicy,
            Some(json!({"scan_id": "{scan}", "reason": "walk"})),
            CREATED,
        ),
        e(
            M::GET,
            "/api/v1/scans/baselines/{new_baseline}",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::DELETE,
            "/api/v1/scans/baselines/{new_baseline}",
            A::ManageScanPolicy,
            None,
            NO_CONTENT,
        ),
        e(
            M::GET,
            "/api/v1/scans/exceptions",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/scans/exceptions",
            A::ManageScanPolicy,
            Some(
                json!({"rule_id": "bidi-control", "path_pattern": "{new_pattern}",
                        "reason": "walk"}),
            ),
            CREATED,
        ),
        e(
            M::GET,
            "/api/v1/scans/exceptions/{new_exception}",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::DELETE,
            "/api/v1/scans/exceptions/{new_exception}",
            A::ManageScanPolicy,
            None,
            NO_CONTENT,
        ),
        e(
            M::GET,
            "/api/v1/reports/{report}",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/reports/{report}/download",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/reports/{report}/verify",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/detection-lifecycle/assets",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/detection-lifecycle/assets",
            A::ManageDetections,
            Some(json!({"name": "{new_name}", "kind": "custom", "platform": "walk"})),
            CREATED,
        ),
        e(
            M::POST,
            "/api/v1/detection-lifecycle/assets/from-rule",
            A::ManageDetections,
            Some(json!({"rule_id": "{rule}", "platform": "walk", "name": "{new_name}"})),
            CREATED,
        ),
        e(
            M::GET,
            "/api/v1/detection-lifecycle/assets/{asset}",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::PATCH,
            "/api/v1/detection-lifecycle/assets/{asset}",
            A::ManageDetections,
            Some(json!({"team": "Walk"})),
            OK,
        ),
        e(
            M::DELETE,
            "/api/v1/detection-lifecycle/assets/{new_asset}",
            A::ManageDetections,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/detection-lifecycle/validations",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/detection-lifecycle/validations",
            A::ManageDetections,
            Some(json!({"asset_id": "{asset}", "technique_id": "T1059.001", "evidence": "walk"})),
            CREATED,
        ),
        e(
            M::GET,
            "/api/v1/detection-lifecycle/confidence",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/detection-lifecycle/confidence/{technique_id}",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/detection-lifecycle/infrastructure-changes",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/detection-lifecycle/infrastructure-changes",
            A::ManageDetections,
            Some(json!({"title": "Walked change", "platforms": ["nowhere"]})),
            CREATED,
        ),
        e(
            M::GET,
            "/api/v1/detection-lifecycle/decay-policies",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::PUT,
            "/api/v1/detection-lifecycle/decay-policies",
            A::ManageDetections,
            Some(json!({"platform": "walk", "validity_days": 30})),
            OK,
        ),
        e(
            M::DELETE,
            "/api/v1/detection-lifecycle/decay-policies/{new_policy}",
            A::ManageDetections,
            None,
            NO_CONTENT,
        ),
        e(
            M::GET,
            "/api/v1/detection-lifecycle/dashboard",
            A::ReadOperations,
            None,
            OK,
        ),
        e(M::GET, "/api/v1/findings", A::ReadOperations, None, OK),
        e(
            M::POST,
            "/api/v1/findings/import/sarif",
            A::ManageFindings,
            Some(
                json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Walk"}},
                "results": [{"ruleId": "walk", "message": {"text": "walked"}}]}]}),
            ),
            OK,
        ),
        e(
            M::GET,
            "/api/v1/exports/findings",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/findings/{finding}",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::PATCH,
            "/api/v1/findings/{finding}",
            A::ManageFindings,
            Some(json!({"severity": "high"})),
            OK,
        ),
        e(
            M::POST,
            "/api/v1/findings/{new_finding}/accept-risk",
            A::ManageFindings,
            Some(json!({"reason": "walk", "expires_on": "2099-01-01"})),
            OK,
        ),
        e(
            M::POST,
            "/api/v1/findings/{new_finding}/retest",
            A::ManageFindings,
            None,
            CREATED,
        ),
        e(
            M::POST,
            "/api/v1/findings/{finding}/steps",
            A::ManageFindings,
            Some(json!({"title": "Walk"})),
            CREATED,
        ),
        // Leads change any step; a step's assignee (anyone who works on tests) its progress:
        // the step is the caller's.
        e(
            M::PATCH,
            "/api/v1/findings/{finding}/steps/{own_step}",
            A::Comment,
            Some(json!({"status": "done"})),
            OK,
        ),
        e(
            M::DELETE,
            "/api/v1/findings/{finding}/steps/{own_step}",
            A::ManageFindings,
            None,
            OK,
        ),
        e(M::GET, "/api/v1/audit-logs", A::ReadAuditLog, None, OK),
        e(
            M::GET,
            "/api/v1/audit-logs/verify",
            A::ReadAuditLog,
            None,
            OK,
        ),
        e(M::GET, "/api/v1/attack-paths", A::ReadOperations, None, OK),
        e(
            M::POST,
            "/api/v1/attack-paths",
            A::ManageCampaigns,
            Some(json!({"name": "Walked", "steps": [{"key": "a", "technique_id": "T1566"}]})),
            CREATED,
        ),
        e(
            M::GET,
            "/api/v1/attack-paths/{attack_path}",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::PATCH,
            "/api/v1/attack-paths/{attack_path}",
            A::ManageCampaigns,
            Some(json!({"name": "Walked again"})),
            OK,
        ),
        e(
            M::DELETE,
            "/api/v1/attack-paths/{new_attack_path}",
            A::ManageCampaigns,
            None,
            NO_CONTENT,
        ),
        e(
            M::POST,
            "/api/v1/attack-paths/import",
            A::ManageCampaigns,
            Some(
                json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001",
                "objects": [
                    {"type": "attack-flow", "id": "attack-flow--00000000-0000-4000-8000-000000000002",
                     "spec_version": "2.1", "name": "Walked flow", "scope": "incident",
                     "start_refs": ["attack-action--00000000-0000-4000-8000-000000000003"]},
                    {"type": "attack-action", "id": "attack-action--00000000-0000-4000-8000-000000000003",
                     "spec_version": "2.1", "name": "Phishing", "technique_id": "T1566"}]}),
            ),
            CREATED,
        ),
        e(
            M::POST,
            "/api/v1/attack-paths/from-actor/{actor}",
            A::ManageCampaigns,
            None,
            CREATED,
        ),
        e(
            M::GET,
            "/api/v1/attack-paths/{attack_path}/export",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/attack-paths/{attack_path}/campaign",
            A::ManageCampaigns,
            None,
            CREATED,
        ),
        e(
            M::GET,
            "/api/v1/knowledge/playbooks",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/knowledge/playbooks",
            A::ManageKnowledge,
            Some(
                json!({"technique_id": "T1059.001", "type": "detect", "title": "Walked",
                "body": "Walked body"}),
            ),
            CREATED,
        ),
        e(
            M::GET,
            "/api/v1/knowledge/playbooks/{playbook}",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::PATCH,
            "/api/v1/knowledge/playbooks/{playbook}",
            A::ManageKnowledge,
            Some(json!({"body": "Walked again"})),
            OK,
        ),
        e(
            M::DELETE,
            "/api/v1/knowledge/playbooks/{new_playbook}",
            A::ManageKnowledge,
            None,
            NO_CONTENT,
        ),
        e(
            M::GET,
            "/api/v1/knowledge/playbooks/{playbook}/versions",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/knowledge/playbooks/{playbook}/versions/{number}",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/knowledge/playbooks/{playbook}/diff?from=1&to=1",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/knowledge/playbooks/{playbook}/restore/{number}",
            A::ManageKnowledge,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/knowledge/lessons",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::POST,
            "/api/v1/knowledge/lessons",
            A::ManageKnowledge,
            Some(json!({"title": "Walked", "severity": "low"})),
            CREATED,
        ),
        e(
            M::POST,
            "/api/v1/knowledge/lessons/from-finding/{finding}",
            A::ManageKnowledge,
            None,
            CREATED,
        ),
        e(
            M::POST,
            "/api/v1/knowledge/lessons/from-campaign/{completed_campaign}",
            A::ManageKnowledge,
            None,
            CREATED,
        ),
        e(
            M::GET,
            "/api/v1/knowledge/lessons/{lesson}",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::PATCH,
            "/api/v1/knowledge/lessons/{lesson}",
            A::ManageKnowledge,
            Some(json!({"severity": "medium"})),
            OK,
        ),
        e(
            M::DELETE,
            "/api/v1/knowledge/lessons/{new_lesson}",
            A::ManageKnowledge,
            None,
            NO_CONTENT,
        ),
        e(
            M::GET,
            "/api/v1/knowledge/stats",
            A::ReadOperations,
            None,
            OK,
        ),
        e(
            M::GET,
            "/api/v1/search?q=walked",
            A::ReadOperations,
            None,
            OK,
        ),
    ]
}

/// The checked-in golden table (role x action), read as the reviewers see it.
fn golden_table() -> HashMap<(String, String), bool> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../domain/tests/golden/permissions.txt"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let roles: Vec<&str> = lines.next().unwrap().split_whitespace().skip(1).collect();
    let mut table = HashMap::new();
    for line in lines {
        let mut cells = line.split_whitespace();
        let action = cells.next().unwrap();
        for (role, cell) in roles.iter().zip(cells) {
            table.insert(((*role).to_owned(), action.to_owned()), cell == "x");
        }
    }
    table
}

/// The `{name}` placeholders of a path or body, in order.
pub(crate) fn placeholders(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('}') else { break };
        let name = &rest[..close];
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            found.push(name.to_owned());
        }
    }
    found
}

const SIGMA_RULE: &str = "title: Walked Rule
id: 5f3c8a1e-0000-4000-8000-0000000000aa
status: test
author: Aegis Test Author
tags: [attack.t1059.001, attack.t1059]
logsource: {product: windows}
detection: {selection: {Image: x.exe}, condition: selection}
level: high
";

const ATOMIC_TEST: &str = "attack_technique: T1059.001
display_name: PowerShell
atomic_tests:
- name: Walked cradle
  auto_generated_guid: 7d3b5f1c-0000-4000-8000-0000000000aa
  description: Runs a command.
  supported_platforms:
  - windows
  executor:
    command: whoami
    name: powershell
";

/// Someone the walk sends requests as.
pub(crate) struct Caller {
    pub(crate) role: Role,
    pub(crate) user_id: String,
    pub(crate) token: String,
    /// The token is a read-only API key of the user: it may do only what reads.
    pub(crate) read_only_key: bool,
}

/// Whether `caller` may call `endpoint`: the golden table for the role, narrowed by the key's
/// `read` scope for a key (which never manages keys).
fn allowed(golden: &HashMap<(String, String), bool>, caller: &Caller, endpoint: &Endpoint) -> bool {
    let by_role = golden[&(
        caller.role.as_str().to_owned(),
        endpoint.action.as_str().to_owned(),
    )];
    if !caller.read_only_key {
        return by_role;
    }
    by_role
        && aegis_domain::api_key::Scope::needed_for(endpoint.action)
            == aegis_domain::api_key::Scope::Read
        && !endpoint.path.starts_with("/api/v1/api-keys")
        && !endpoint.path.starts_with("/api/v1/mfa")
}

/// What the walk seeds once, and how it makes what a request consumes.
pub(crate) struct Walk<'a> {
    app: &'a TestApp,
    pub(crate) admin: String,
    crew: Crew,
    pub(crate) shared: HashMap<&'static str, String>,
    tenant: aegis_domain::tenant::TenantId,
    database: std::sync::Arc<dyn aegis_application::ports::Database>,
}

impl Walk<'_> {
    async fn send(&self, method: Method, path: &str, body: Value) -> Value {
        self.app.send_ok(method, path, &self.admin, body).await
    }

    async fn new_test(&self) -> String {
        let test = self
            .send(
                Method::POST,
                "/api/v1/tests",
                json!({"title": "Walked", "technique_id": "T1059"}),
            )
            .await;
        test["id"].as_str().unwrap().to_owned()
    }

    async fn act(&self, test: &str, action: &str, body: Value) {
        self.send(
            Method::POST,
            &format!("/api/v1/tests/{test}/{action}"),
            body,
        )
        .await;
    }

    /// A test red is executing.
    async fn red_test(&self) -> String {
        let test = self.new_test().await;
        self.act(&test, "start-execution", json!({})).await;
        test
    }

    /// A test blue is evaluating.
    async fn blue_test(&self) -> String {
        let test = self.red_test().await;
        self.send(
            Method::PATCH,
            &format!("/api/v1/tests/{test}/red"),
            json!({"executed_at": "2026-11-22T10:00:00Z", "command": "whoami", "result_summary": "ran"}),
        )
        .await;
        self.act(&test, "submit-red", json!({})).await;
        test
    }

    async fn new_campaign(&self) -> String {
        let campaign = self
            .send(Method::POST, "/api/v1/campaigns", json!({"name": "Walked"}))
            .await;
        campaign["id"].as_str().unwrap().to_owned()
    }

    /// A draft campaign with one draft test: (campaign, test).
    async fn campaign_with_test(&self) -> (String, String) {
        let campaign = self.new_campaign().await;
        let test = self.new_test().await;
        self.send(
            Method::POST,
            &format!("/api/v1/campaigns/{campaign}/tests"),
            json!({"test_id": test}),
        )
        .await;
        (campaign, test)
    }

    /// An open finding: a test validated as not detected.
    async fn new_attack_path(&self) -> String {
        let path = self
            .send(
                Method::POST,
                "/api/v1/attack-paths",
                json!({"name": "Walked", "steps": [{"key": "a", "technique_id": "T1566"}]}),
            )
            .await;
        path["path"]["id"].as_str().unwrap().to_owned()
    }

    async fn new_playbook(&self) -> String {
        let playbook = self
            .send(
                Method::POST,
                "/api/v1/knowledge/playbooks",
                json!({"technique_id": "T1059.001", "type": "hunt", "title": "Walked",
                    "body": "Walked body"}),
            )
            .await;
        playbook["id"].as_str().unwrap().to_owned()
    }

    async fn new_finding(&self) -> String {
        let test = self
            .send(
                Method::POST,
                "/api/v1/tests",
                json!({"title": "Missed", "technique_id": "T1566"}),
            )
            .await;
        let test = test["id"].as_str().unwrap().to_owned();
        self.app
            .run_to_validation(&self.crew, &test, json!({"outcome": "not_detected"}))
            .await;
        let findings: Value = self
            .app
            .get("/api/v1/findings?per_page=100", &self.admin)
            .await
            .json()
            .await
            .unwrap();
        findings["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["test_id"] == test.as_str())
            .unwrap_or_else(|| panic!("no finding opened for {test}: {findings}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn new_asset(&self) -> String {
        let asset = self
            .send(
                Method::POST,
                "/api/v1/detection-lifecycle/assets",
                json!({"name": format!("Walked {}", uuid::Uuid::new_v4().simple()),
                       "kind": "sensor", "platform": "walk"}),
            )
            .await;
        asset["id"].as_str().unwrap().to_owned()
    }

    /// A Sysmon event in the flat format, as blue's telemetry of the test in blue's phase.
    async fn new_telemetry(&self) {
        let line = json!({"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
            "UtcTime": "2026-11-29 10:00:00.000", "Image": "C:\\Windows\\System32\\whoami.exe"});
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(format!("{line}\n").into_bytes())
                .file_name("walk.jsonl"),
        );
        let response = self
            .app
            .client
            .post(self.app.url(&format!(
                "/api/v1/tests/{}/evidence",
                self.shared["blue_test"]
            )))
            .bearer_auth(&self.admin)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "telemetry upload");
    }

    async fn new_evidence(&self) -> String {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(b"walked evidence".to_vec()).file_name("walk.txt"),
        );
        let response = self
            .app
            .client
            .post(self.app.url(&format!(
                "/api/v1/tests/{}/evidence",
                self.shared["red_test"]
            )))
            .bearer_auth(&self.admin)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "evidence upload");
        let evidence: Value = response.json().await.unwrap();
        evidence["id"].as_str().unwrap().to_owned()
    }

    /// A custom alert rule of `rule_type`, with its defaults.
    async fn new_alert_rule(&self, rule_type: &str) -> String {
        let rule = self
            .send(
                Method::POST,
                "/api/v1/alerts/rules",
                json!({"name": "Walked rule", "rule_type": rule_type}),
            )
            .await;
        rule["id"].as_str().unwrap().to_owned()
    }

    /// An open alert of its own: a new rule (so a new fingerprint) whose condition holds, a
    /// tactic under 100 % in a snapshot, evaluated.
    async fn new_alert(&self) -> String {
        self.new_snapshot().await;
        let rule = self
            .send(
                Method::POST,
                "/api/v1/alerts/rules",
                json!({"name": "Walked coverage", "rule_type": "low_coverage", "config": {"threshold": 100}}),
            )
            .await;
        let rule = rule["id"].as_str().unwrap().to_owned();
        let fired = self
            .app
            .client
            .post(self.app.url("/api/v1/alerts/evaluate"))
            .bearer_auth(&self.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(fired.status(), StatusCode::ACCEPTED);
        let alerts: Value = self
            .app
            .get(
                "/api/v1/alerts?status=open&rule_type=low_coverage&per_page=200",
                &self.admin,
            )
            .await
            .json()
            .await
            .unwrap();
        alerts["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["rule_id"] == rule.as_str())
            .unwrap_or_else(|| panic!("rule {rule} fired nothing: {alerts}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn new_snapshot(&self) -> String {
        let snapshot = self
            .send(Method::POST, "/api/v1/snapshots", json!({}))
            .await;
        snapshot["id"].as_str().unwrap().to_owned()
    }

    /// A notification of the caller's own, as the workflow writes them (admins and viewers
    /// are never an audience of the workflow, so it is written directly).
    async fn own_notification(&self, caller: &Caller) -> String {
        use aegis_domain::notification::{Notification, NotificationId};
        let id = uuid::Uuid::now_v7();
        let note = Notification {
            id: NotificationId::from_uuid(id),
            tenant_id: self.tenant,
            user_id: aegis_domain::user::UserId::from_uuid(
                uuid::Uuid::parse_str(&caller.user_id).unwrap(),
            ),
            kind: "test.submit-red".to_owned(),
            title: "Walked".to_owned(),
            body: "A test waits for you".to_owned(),
            entity_type: None,
            entity_id: None,
            created_at: chrono::Utc::now(),
            read_at: None,
        };
        self.database
            .insert_notifications(self.tenant, &[note])
            .await
            .unwrap();
        id.to_string()
    }

    /// A session of the caller's user other than the caller's own: a fresh sign-in (every
    /// walked user's password is `NEW_PASSWORD`).
    async fn own_session(&self, caller: &Caller) -> String {
        let user: Value = self
            .app
            .get(&format!("/api/v1/users/{}", caller.user_id), &self.admin)
            .await
            .json()
            .await
            .unwrap();
        let email = user["email"].as_str().unwrap();
        let token = self.app.token(email, NEW_PASSWORD).await;
        let sessions: Value = self
            .app
            .get("/api/v1/auth/sessions", &token)
            .await
            .json()
            .await
            .unwrap();
        sessions
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["current"] == true)
            .unwrap_or_else(|| panic!("no current session of {email}: {sessions}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A step of the shared finding, assigned to the caller.
    async fn own_step(&self, caller: &Caller) -> String {
        let finding = self
            .send(
                Method::POST,
                &format!("/api/v1/findings/{}/steps", self.shared["finding"]),
                json!({"title": "Walked step", "assignee_id": caller.user_id}),
            )
            .await;
        finding["steps"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|s| s["assignee_id"] == caller.user_id.as_str())
            .unwrap_or_else(|| panic!("no step of {}: {finding}", caller.user_id))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The id a placeholder stands for in one request: shared seeds, or made now for the
    /// requests that consume what they act on (deletions, state changes).
    pub(crate) async fn resolve(
        &self,
        name: &str,
        caller: &Caller,
        resolved: &mut HashMap<String, String>,
    ) {
        if resolved.contains_key(name) {
            return;
        }
        let value = match name {
            "action" => "start-execution".to_owned(),
            "job" => "coverage_refresh".to_owned(),
            "kind" => "stix".to_owned(),
            "mitre_id" => "T1059".to_owned(),
            "technique_id" => "T1059.001".to_owned(),
            "number" => "1".to_owned(),
            "actor" => "G0016".to_owned(),
            // A technique with a stored risk: the admin computes it first.
            "risk_technique" => {
                self.send(Method::POST, "/api/v1/risk/compute", json!({}))
                    .await;
                "T1059".to_owned()
            }
            // An intelligence item: the admin uploads the KEV fixture once.
            "intel_item" => {
                let uploaded = self
                    .app
                    .client
                    .post(self.app.url("/api/v1/data-sources/kev/bundle"))
                    .bearer_auth(&self.admin)
                    .header("content-type", "application/octet-stream")
                    .body(osint_fixture("kev-catalog.json"))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(uploaded.status(), StatusCode::OK);
                let items: Value = self
                    .app
                    .get("/api/v1/osint/items", &self.admin)
                    .await
                    .json()
                    .await
                    .unwrap();
                items["items"][0]["id"].as_str().unwrap().to_owned()
            }
            "tracked_actor" => {
                self.send(Method::PUT, "/api/v1/tracked-actors/G0016", json!({}))
                    .await;
                "G0016".to_owned()
            }
            "new_custom_id" => format!("T9{:03}", next_suffix()),
            "new_email" => format!("new.{}@aegis.test", uuid::Uuid::new_v4().simple()),
            "target" => {
                let email = format!("target.{}@aegis.test", uuid::Uuid::new_v4().simple());
                self.app.create_user(&self.admin, &email, "viewer").await.0
            }
            "draft_test" => self.new_test().await,
            "new_campaign" => self.new_campaign().await,
            "campaign_with_test" => {
                let (campaign, test) = self.campaign_with_test().await;
                resolved.insert("its_test".to_owned(), test);
                campaign
            }
            "active_campaign" => {
                let (campaign, _) = self.campaign_with_test().await;
                self.send(
                    Method::POST,
                    &format!("/api/v1/campaigns/{campaign}/activate"),
                    json!({}),
                )
                .await;
                campaign
            }
            "new_finding" => self.new_finding().await,
            "new_playbook" => self.new_playbook().await,
            "new_attack_path" => self.new_attack_path().await,
            "new_lesson" => {
                let lesson = self
                    .send(
                        Method::POST,
                        "/api/v1/knowledge/lessons",
                        json!({"title": "Walked", "severity": "low"}),
                    )
                    .await;
                lesson["id"].as_str().unwrap().to_owned()
            }
            "new_name" => format!("Walked asset {}", uuid::Uuid::new_v4().simple()),
            "new_fingerprint" => format!("{:064x}", uuid::Uuid::new_v4().as_u128()),
            "new_pattern" => format!("walk/{}/*.yml", uuid::Uuid::new_v4().simple()),
            "new_suppression" => self
                .send(
                    Method::POST,
                    "/api/v1/scans/suppressions",
                    json!({"fingerprint": format!("{:064x}", uuid::Uuid::new_v4().as_u128()),
                           "reason": "doomed"}),
                )
                .await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
            "new_exception" => self
                .send(
                    Method::POST,
                    "/api/v1/scans/exceptions",
                    json!({"rule_id": "bidi-control",
                           "path_pattern": format!("doomed/{}/*", uuid::Uuid::new_v4().simple()),
                           "reason": "doomed"}),
                )
                .await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
            "new_baseline" => self
                .send(
                    Method::POST,
                    "/api/v1/scans/baselines",
                    json!({"scan_id": self.shared["scan"], "reason": "doomed"}),
                )
                .await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
            "new_asset" => self.new_asset().await,
            "new_policy" => {
                let policy = self
                    .send(
                        Method::PUT,
                        "/api/v1/detection-lifecycle/decay-policies",
                        json!({"tactic": "execution", "validity_days": 60}),
                    )
                    .await;
                policy["id"].as_str().unwrap().to_owned()
            }
            "new_evidence" => self.new_evidence().await,
            "new_webhook" => self
                .send(
                    Method::POST,
                    "/api/v1/webhooks",
                    json!({"name": "Doomed", "url": "http://127.0.0.1:9/doomed",
                           "events": ["scan.finished"]}),
                )
                .await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
            "new_snapshot" => self.new_snapshot().await,
            "new_siem" => self
                .send(
                    Method::POST,
                    "/api/v1/siem/connections",
                    json!({"name": "Doomed SIEM", "kind": "elastic",
                           "base_url": self.shared["siem_url"], "secret": "doomed-key"}),
                )
                .await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
            "new_ticket" => self
                .send(
                    Method::POST,
                    "/api/v1/tickets",
                    json!({"finding_id": self.shared["finding"], "system": "other",
                           "key": format!("DOOMED-{}", next_suffix()),
                           "url": "https://tracker.example/doomed"}),
                )
                .await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
            "alert_rule" => {
                let rules: Value = self
                    .app
                    .get("/api/v1/alerts/rules", &self.admin)
                    .await
                    .json()
                    .await
                    .unwrap();
                rules["items"][0]["id"].as_str().unwrap().to_owned()
            }
            "new_alert_rule" => self.new_alert_rule("detection_gap").await,
            "new_alert" => self.new_alert().await,
            "own_notification" => self.own_notification(caller).await,
            "own_step" => self.own_step(caller).await,
            "own_session" => self.own_session(caller).await,
            "own_key" => {
                // A key cannot create keys: the walked key's owner (the admin) makes it.
                let token = if caller.read_only_key {
                    &self.admin
                } else {
                    &caller.token
                };
                let key = self
                    .app
                    .send_ok(
                        Method::POST,
                        "/api/v1/api-keys",
                        token,
                        json!({"name": "Walked", "scopes": ["read"]}),
                    )
                    .await;
                key["id"].as_str().unwrap().to_owned()
            }
            shared => self
                .shared
                .get(shared)
                .unwrap_or_else(|| panic!("nothing seeded for {{{shared}}}"))
                .clone(),
        };
        resolved.insert(name.to_owned(), value);
    }
}

/// Four digits for a fresh custom technique id per request.
fn next_suffix() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(100);
    NEXT.fetch_add(1, Ordering::Relaxed) % 1000
}

/// Seeds what the endpoints read: the catalog, a rule, a template, a framework, tests in each
/// state, a campaign, a finding, evidence, a snapshot, a generated report, a custom technique.
pub(crate) async fn seed(app: &TestApp) -> Walk<'_> {
    use aegis_infrastructure::feeds::ctid::ComplianceFiles;
    use aegis_infrastructure::feeds::rule_files::{Location, RuleFiles};
    use aegis_infrastructure::feeds::template_files::LibraryFiles;

    app.import_attack(&attack_fixture("enterprise-v1.json"))
        .await;
    let prepared = aegis::app::prepare(&app.settings).await.unwrap();
    let system = aegis_application::context::Initiator::System {
        tenant: prepared.tenant.id,
    };
    let services = &prepared.wired.services;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("walked.yml"), SIGMA_RULE).unwrap();
    services
        .rules
        .import(&system, &RuleFiles::new(RuleSource::Sigma, dir.path()))
        .await
        .unwrap();
    let atomics = dir.path().join("atomics/T1059.001");
    std::fs::create_dir_all(&atomics).unwrap();
    std::fs::write(atomics.join("T1059.001.yaml"), ATOMIC_TEST).unwrap();
    services
        .templates
        .import(
            &system,
            &LibraryFiles::at(
                aegis_domain::template::TemplateSource::Atomic,
                Location::Path(dir.path().join("atomics")),
            ),
        )
        .await
        .unwrap();
    let mappings = dir.path().join("compliance");
    std::fs::create_dir_all(&mappings).unwrap();
    std::fs::write(
        mappings.join("nist.json"),
        json!({"metadata": {"mapping_framework": "nist_800_53", "mapping_framework_version": "rev5",
                             "attack_version": "16.1"},
               "mapping_objects": [{"capability_id": "SI-04", "capability_description": "System Monitoring",
                                    "capability_group": "SI", "mapping_type": "mitigates",
                                    "attack_object_id": "T1059.001", "status": "complete"}]})
        .to_string(),
    )
    .unwrap();
    services
        .compliance
        .import(&system, &ComplianceFiles::at(Location::Path(mappings)))
        .await
        .unwrap();

    let admin = app.admin_token().await;
    seed_tenant(app, admin, prepared.tenant.id).await
}

/// Seeds one tenant's operational data as its admin `admin`: tests in each state, a
/// campaign, a finding, evidence, a snapshot, a generated report, a scan, a webhook and its
/// delivery, a Jira configuration, a SIEM connection, an attack path, a playbook, a lesson,
/// a custom technique. The catalog (global) is seeded by `seed`.
pub(crate) async fn seed_tenant(
    app: &TestApp,
    admin: String,
    tenant: aegis_domain::tenant::TenantId,
) -> Walk<'_> {
    let prepared = aegis::app::prepare(&app.settings).await.unwrap();
    let crew = app.crew(&admin).await;
    let mut walk = Walk {
        app,
        admin,
        crew,
        shared: HashMap::new(),
        tenant,
        database: prepared.wired.database.clone(),
    };
    let first = |list: Value, what: &str| -> String {
        let items = list.get("items").cloned().unwrap_or(list);
        items[0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no {what} seeded: {items}"))
            .to_owned()
    };
    let read = |path: &'static str| {
        let app = walk.app;
        let admin = walk.admin.clone();
        async move { app.get(path, &admin).await.json::<Value>().await.unwrap() }
    };
    let rule = first(read("/api/v1/detection-rules").await, "rule");
    let template = first(read("/api/v1/test-templates").await, "template");
    let import = first(read("/api/v1/system/imports").await, "import");
    let job_run = walk
        .send(
            Method::POST,
            "/api/v1/system/jobs/coverage_refresh/run",
            json!({}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let test = walk.new_test().await;
    let red_test = walk.red_test().await;
    let blue_test = walk.blue_test().await;
    let (campaign, campaign_test) = walk.campaign_with_test().await;
    let custom = format!("T8{:03}", next_suffix());
    walk.send(
        Method::POST,
        "/api/v1/techniques",
        json!({"mitre_id": custom, "name": "Walked", "tactics": ["execution"]}),
    )
    .await;
    for (name, value) in [
        ("rule", rule),
        ("template", template),
        ("framework", "nist_800_53-rev5".to_owned()),
        ("import", import),
        ("job_run", job_run),
        ("test", test),
        ("red_test", red_test),
        ("blue_test", blue_test),
        ("campaign", campaign),
        ("campaign_test", campaign_test),
        ("custom", custom),
    ] {
        walk.shared.insert(name, value);
    }
    let finding = walk.new_finding().await;
    walk.shared.insert("finding", finding);
    let evidence = walk.new_evidence().await;
    walk.shared.insert("evidence", evidence);
    walk.new_telemetry().await;
    let snapshot = walk.new_snapshot().await;
    walk.shared.insert("snapshot", snapshot);
    let asset = walk.new_asset().await;
    walk.shared.insert("asset", asset);
    let report = walk
        .send(
            Method::POST,
            "/api/v1/reports",
            json!({"kind": "executive_summary"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_until_generated(app, &walk.admin, &report).await;
    walk.shared.insert("report", report);
    let scan = walk
        .send(
            Method::POST,
            "/api/v1/scans",
            json!({"diff": WALKED_DIFF, "repository": "walk/detections"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_until_scanned(app, &walk.admin, &scan).await;
    walk.shared.insert("scan", scan);
    // A webhook to a closed local port (allowed for the walk) and one delivery of it.
    walk.send(
        Method::PUT,
        "/api/v1/webhooks/allow-list",
        json!({"entries": ["127.0.0.1"]}),
    )
    .await;
    let webhook = walk
        .send(
            Method::POST,
            "/api/v1/webhooks",
            json!({"name": "Walk", "url": "http://127.0.0.1:9/walk", "events": ["scan.finished"]}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let delivery = walk
        .send(
            Method::POST,
            &format!("/api/v1/webhooks/{webhook}/test"),
            json!({}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    walk.shared.insert("webhook", webhook);
    walk.shared.insert("webhook_delivery", delivery);
    // A local stand-in for Jira (allowed for the walk), so creating issues succeeds.
    let jira = crate::tickets::FakeJira::start().await;
    crate::tickets::configure(app, &walk.admin, &jira).await;
    walk.shared.insert("jira_url", jira.url.clone());
    // A local stand-in for Elasticsearch, and a connection to it, so SIEM checks and
    // evaluations succeed.
    let siem = crate::siem::FakeElastic::start().await;
    let connection = walk
        .send(
            Method::POST,
            "/api/v1/siem/connections",
            json!({"name": "Walk SIEM", "kind": "elastic", "base_url": siem.url, "secret": "walk-key"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    walk.shared.insert("siem_url", siem.url.clone());
    walk.shared.insert("siem", connection);
    let attack_path = walk.new_attack_path().await;
    walk.shared.insert("attack_path", attack_path);
    let playbook = walk.new_playbook().await;
    walk.shared.insert("playbook", playbook);
    let lesson = walk
        .send(
            Method::POST,
            "/api/v1/knowledge/lessons",
            json!({"title": "Walked", "severity": "low"}),
        )
        .await;
    walk.shared
        .insert("lesson", lesson["id"].as_str().unwrap().to_owned());
    let (completed, _) = walk.campaign_with_test().await;
    for step in ["activate", "complete"] {
        walk.send(
            Method::POST,
            &format!("/api/v1/campaigns/{completed}/{step}"),
            json!({}),
        )
        .await;
    }
    walk.shared.insert("completed_campaign", completed);
    walk
}

/// A diff that adds one plain file: what the walk submits as a scan.
const WALKED_DIFF: &str = "diff --git a/notes.txt b/notes.txt\nnew file mode 100644\n--- /dev/null\n+++ b/notes.txt\n@@ -0,0 +1 @@\n+walked\n";

async fn wait_until_scanned(app: &TestApp, token: &str, id: &str) {
    for _ in 0..300 {
        let scan: Value = app
            .get(&format!("/api/v1/scans/{id}"), token)
            .await
            .json()
            .await
            .unwrap();
        match scan["status"].as_str() {
            Some("queued" | "running") => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Some("completed") => return,
            _ => panic!("scan {id} did not complete: {scan}"),
        }
    }
    panic!("scan {id} did not complete in time");
}

async fn wait_until_generated(app: &TestApp, token: &str, id: &str) {
    for _ in 0..300 {
        let report: Value = app
            .get(&format!("/api/v1/reports/{id}"), token)
            .await
            .json()
            .await
            .unwrap();
        match report["status"].as_str() {
            Some("queued") => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            Some("ready") => return,
            _ => panic!("report {id} was not generated: {report}"),
        }
    }
    panic!("report {id} was not generated in time");
}

on_both_databases!(
    every_endpoint_with_every_role_matches_the_golden_table,
    |app: TestApp| async move {
        let walk = seed(&app).await;
        let admin_me: Value = app
            .get("/api/v1/auth/me", &walk.admin)
            .await
            .json()
            .await
            .unwrap();
        let admin_id = admin_me["id"].as_str().unwrap().to_owned();
        let mut callers = vec![Caller {
            role: Role::Admin,
            user_id: admin_id.clone(),
            token: walk.admin.clone(),
            read_only_key: false,
        }];
        for role in Role::ALL.into_iter().filter(|r| *r != Role::Admin) {
            let (user_id, token) = app.user_with_role(&walk.admin, role.as_str()).await;
            callers.push(Caller {
                role,
                user_id,
                token,
                read_only_key: false,
            });
        }
        // The admin's read-only key: every endpoint that writes refuses it.
        let key = app
            .send_ok(
                Method::POST,
                "/api/v1/api-keys",
                &walk.admin,
                json!({"name": "walk reader", "scopes": ["read"]}),
            )
            .await;
        callers.push(Caller {
            role: Role::Admin,
            user_id: admin_id,
            token: key["key"].as_str().unwrap().to_owned(),
            read_only_key: true,
        });
        let golden = golden_table();
        let mut mismatches = Vec::new();
        for caller in &callers {
            for endpoint in endpoints() {
                let body = endpoint.body.as_ref().map(Value::to_string);
                let mut resolved = HashMap::new();
                let text = format!("{} {}", endpoint.path, body.as_deref().unwrap_or(""));
                for name in placeholders(&text) {
                    walk.resolve(&name, caller, &mut resolved).await;
                }
                let fill = |text: &str| {
                    resolved
                        .iter()
                        .fold(text.to_owned(), |text, (name, value)| {
                            text.replace(&format!("{{{name}}}"), value)
                        })
                };
                let path = fill(endpoint.path);
                let mut request = app
                    .client
                    .request(endpoint.method.clone(), app.url(&path))
                    .bearer_auth(&caller.token);
                if let Some(body) = &body {
                    request = request
                        .header("content-type", "application/json")
                        .body(fill(body));
                }
                let response = request.send().await.unwrap();
                let status = response.status();
                let allowed = allowed(&golden, caller, &endpoint);
                let ok = if allowed {
                    endpoint.success.contains(&status.as_u16())
                } else {
                    status == StatusCode::FORBIDDEN
                };
                if !ok {
                    let answer = response.text().await.unwrap_or_default();
                    mismatches.push(format!(
                        "{}{} {} {path} -> {status} (allowed: {allowed}): {}",
                        caller.role,
                        if caller.read_only_key {
                            " (read-only key)"
                        } else {
                            ""
                        },
                        endpoint.method,
                        answer.chars().take(300).collect::<String>()
                    ));
                }
            }
        }
        assert!(
            mismatches.is_empty(),
            "endpoints disagree with the golden table:\n{}",
            mismatches.join("\n")
        );
    }
);

/// A walked path as the OpenAPI document writes it.
pub(crate) fn documented(path: &str) -> String {
    // A query string is not part of the documented path.
    let path = path.split('?').next().unwrap_or(path);
    placeholders(path)
        .into_iter()
        .fold(path.to_owned(), |path, name| {
            let parameter = match name.as_str() {
                "its_test" => "test_id",
                "own_step" => "step_id",
                "webhook_delivery" => "delivery_id",
                "custom" => "mitre_id",
                "job" | "kind" | "mitre_id" | "action" | "technique_id" | "number" => name.as_str(),
                _ => "id",
            };
            path.replace(&format!("{{{name}}}"), &format!("{{{parameter}}}"))
        })
}

#[test]
fn the_walk_covers_every_documented_endpoint() {
    let document: Value = serde_json::from_str(&aegis_http::openapi::document()).unwrap();
    // Sign-in and session endpoints are for everyone by design and tested in `auth`.
    let open = [
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/auth/change-password",
        "/api/v1/auth/mfa",
        // Starts a real sync; its role rules are tested in `catalog`.
        "/api/v1/system/sync-mitre",
        // Opened by the metrics token, not by a user's role; tested in `system`.
        "/metrics",
    ];
    // For platform operators, whatever their role; tested in `tenants` (and every tenant
    // admin's refusal in `tenant_isolation`).
    let platform = "/api/v1/platform/";
    // Multipart uploads; their role rules are tested in `evidence`.
    let multipart = [("post", "/api/v1/tests/{id}/evidence")];
    // Each needs a fresh code of the caller's authenticator app; every role may do them for
    // itself (manage_own_account), and they are tested in `mfa`.
    let own_factor = [
        ("post", "/api/v1/mfa/totp/confirm"),
        ("post", "/api/v1/mfa/recovery-codes"),
        ("post", "/api/v1/mfa/disable"),
    ];
    let walked: Vec<(String, String)> = endpoints()
        .iter()
        .map(|e| (e.method.as_str().to_lowercase(), documented(e.path)))
        .collect();
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let secured = operation.get("security").is_some();
            if !secured
                || open.contains(&path.as_str())
                || path.starts_with(platform)
                || multipart.contains(&(method.as_str(), path.as_str()))
                || own_factor.contains(&(method.as_str(), path.as_str()))
            {
                continue;
            }
            assert!(
                walked.contains(&(method.clone(), path.clone())),
                "{method} {path} is not walked with every role"
            );
            let success: Vec<u16> = operation["responses"]
                .as_object()
                .unwrap()
                .keys()
                .filter_map(|s| s.parse().ok())
                .filter(|s: &u16| (200..300).contains(s))
                .collect();
            let expected = endpoints()
                .into_iter()
                .find(|e| {
                    e.method.as_str().eq_ignore_ascii_case(method) && documented(e.path) == *path
                })
                .map(|e| e.success.to_vec())
                .unwrap_or_default();
            assert!(
                expected.iter().all(|s| success.contains(s)),
                "{method} {path}: the walk expects {expected:?}, the document says {success:?}"
            );
        }
    }
}
