//! The OpenAPI 3.1 document, generated from the handlers and views. A copy is committed at
//! `docs/openapi.json`; a test fails when the two drift apart.

mod errors;

use errors::ErrorResponses;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::problem::{Problem, ProblemField};
use crate::routes::test_cases as test_routes;
use crate::routes::{
    alerts, analytics, api_keys, audit_log, auth, campaigns, catalog, compliance, coverage,
    dashboard, data_sources, detection_lifecycle, evidence, exports, findings, jobs, mfa,
    notifications, osint, reports, risk, rules, snapshots, system, telemetry, templates,
    tracked_actors, users, webhooks,
};
use crate::views::Paginated;
use crate::views::users::UserView;
use crate::views::{
    alerts as alert_views, audit_log as audit_log_views, campaigns as campaign_views,
    catalog as catalog_views, detection_lifecycle as lifecycle_views, findings as finding_views,
    jobs as job_views, notifications as notification_views, osint as osint_views,
    reports as report_views, risk as risk_views, rules as rule_views, snapshots as snapshot_views,
    templates as template_views, test_cases as test_views,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Aegis API",
        description = "Prove, technique by technique, how well you are defended against MITRE ATT&CK. \
            Errors are RFC 9457 problem documents with a stable `code`.",
        license(name = "Apache-2.0")
    ),
    paths(
        auth::login, auth::verify_mfa, auth::refresh, auth::logout, auth::me, auth::change_password,
        auth::sessions, auth::end_session, auth::end_sessions, users::end_sessions,
        users::list, users::create, users::get, users::update, users::deactivate,
        users::reset_password, users::me, users::update_preferences, users::directory,
        api_keys::create, api_keys::list, api_keys::get, api_keys::update, api_keys::revoke,
        mfa::status, mfa::begin, mfa::confirm, mfa::recovery_codes, mfa::disable, mfa::reset,
        mfa::policy, mfa::set_policy,
        crate::routes::tenants::list, crate::routes::tenants::create, crate::routes::tenants::get,
        crate::routes::tenants::disable, crate::routes::tenants::enable,
        crate::routes::tenants::current, crate::routes::tenants::update_current,
        crate::routes::sso::config, crate::routes::sso::set_config, crate::routes::sso::providers,
        crate::routes::sso::login, crate::routes::sso::callback,
        audit_log::list, audit_log::verify,
        test_routes::create, test_routes::list, test_routes::get, test_routes::timeline,
        test_routes::update, test_routes::delete, test_routes::update_red, test_routes::update_blue,
        test_routes::act, test_routes::comment,
        notifications::list, notifications::unread_count, notifications::mark_read,
        notifications::mark_all_read, notifications::stream,
        notifications::preferences, notifications::set_preferences, notifications::emails,
        evidence::upload, evidence::list, evidence::get, evidence::download, evidence::download_link, evidence::verify,
        evidence::delete,
        telemetry::overview, telemetry::evaluate,
        catalog::review, catalog::create_technique, catalog::update_technique,
        catalog::imports, catalog::import,
        jobs::list, jobs::get, jobs::run, jobs::sync_mitre, jobs::run_intel_scan, jobs::scheduler_status,
        dashboard::dashboard, dashboard::metrics,
        rules::list, rules::get,
        templates::list, templates::get, templates::create_test,
        data_sources::list, data_sources::configure, data_sources::sync, data_sources::upload_bundle,
        tracked_actors::list, tracked_actors::track, tracked_actors::untrack,
        exports::tests, exports::techniques, exports::findings,
        analytics::coverage, analytics::tests, analytics::trends, analytics::operators,
        campaigns::list, campaigns::create, campaigns::get, campaigns::update, campaigns::delete,
        campaigns::schedule, campaigns::link_test, campaigns::unlink_test, campaigns::reorder,
        campaigns::set_dependencies, campaigns::activate, campaigns::complete, campaigns::archive,
        campaigns::from_threat_actor, campaigns::export, campaigns::import, campaigns::coverage,
        campaigns::timeline,
        findings::list, findings::get, findings::update, findings::accept_risk, findings::retest,
        findings::add_step, findings::update_step, findings::remove_step,
        findings::import_sarif,
        detection_lifecycle::list_assets, detection_lifecycle::create_asset,
        detection_lifecycle::create_from_rule, detection_lifecycle::get_asset,
        detection_lifecycle::update_asset, detection_lifecycle::retire_asset,
        detection_lifecycle::list_validations, detection_lifecycle::record_validation,
        detection_lifecycle::confidence_matrix, detection_lifecycle::confidence,
        detection_lifecycle::list_changes, detection_lifecycle::record_change,
        detection_lifecycle::list_policies, detection_lifecycle::set_policy,
        detection_lifecycle::delete_policy, detection_lifecycle::dashboard,
        reports::list, reports::request, reports::get, reports::download, reports::verify,
        compliance::frameworks, compliance::framework,
        snapshots::list, snapshots::trend, snapshots::take, snapshots::get, snapshots::delete,
        risk::list, risk::matrix, risk::summary, risk::top, risk::recommendations, risk::technique,
        risk::detection_performance, risk::compute,
        osint::list, osint::get, osint::review, osint::summary, osint::technique,
        catalog::tactics, catalog::techniques, catalog::technique, catalog::threat_actors, catalog::threat_actor,
        coverage::heatmap, coverage::summary, coverage::navigator_layer, coverage::import_navigator_layer,
        system::health, system::ready, system::metrics,
        alerts::evaluate, alerts::rules, alerts::create_rule, alerts::update_rule,
        alerts::delete_rule, alerts::list, alerts::summary, alerts::acknowledge, alerts::resolve,
        alerts::dismiss,
        webhooks::list, webhooks::create, webhooks::get, webhooks::update, webhooks::delete,
        webhooks::allow_list, webhooks::set_allow_list, webhooks::deliveries, webhooks::redeliver,
        webhooks::test,
        crate::routes::tickets::list, crate::routes::tickets::link, crate::routes::tickets::unlink,
        crate::routes::tickets::jira_config, crate::routes::tickets::set_jira_config,
        crate::routes::tickets::create_from_finding,
        crate::routes::github::config, crate::routes::github::set_config,
        crate::routes::github::delete_config, crate::routes::github::deliveries,
        crate::routes::github::webhook,
        crate::routes::knowledge::list_playbooks, crate::routes::knowledge::create_playbook,
        crate::routes::knowledge::get_playbook, crate::routes::knowledge::update_playbook,
        crate::routes::knowledge::delete_playbook, crate::routes::knowledge::versions,
        crate::routes::knowledge::version, crate::routes::knowledge::diff,
        crate::routes::knowledge::restore, crate::routes::knowledge::list_lessons,
        crate::routes::knowledge::create_lesson, crate::routes::knowledge::from_finding,
        crate::routes::knowledge::from_campaign, crate::routes::knowledge::get_lesson,
        crate::routes::knowledge::update_lesson, crate::routes::knowledge::delete_lesson,
        crate::routes::knowledge::stats, crate::routes::knowledge::search,
        crate::routes::attack_paths::list, crate::routes::attack_paths::create,
        crate::routes::attack_paths::get, crate::routes::attack_paths::update,
        crate::routes::attack_paths::delete, crate::routes::attack_paths::import,
        crate::routes::attack_paths::from_actor, crate::routes::attack_paths::export,
        crate::routes::attack_paths::plan_campaign,
        crate::routes::siem::list, crate::routes::siem::create, crate::routes::siem::get,
        crate::routes::siem::update, crate::routes::siem::delete, crate::routes::siem::check,
        crate::routes::siem::evaluate,
        crate::routes::scans::submit, crate::routes::scans::list, crate::routes::scans::get,
        crate::routes::scans::scan_findings, crate::routes::scans::artifact,
        crate::routes::scans::verify, crate::routes::scans::diff,
        crate::routes::scan_policy::policy, crate::routes::scan_policy::set_policy,
        crate::routes::scan_policy::suppressions, crate::routes::scan_policy::suppress,
        crate::routes::scan_policy::suppression, crate::routes::scan_policy::delete_suppression,
        crate::routes::scan_policy::baselines, crate::routes::scan_policy::create_baseline,
        crate::routes::scan_policy::baseline, crate::routes::scan_policy::delete_baseline,
        crate::routes::scan_policy::exceptions, crate::routes::scan_policy::create_exception,
        crate::routes::scan_policy::exception, crate::routes::scan_policy::delete_exception,
    ),
    components(schemas(
        Problem, ProblemField, UserView, Paginated<UserView>,
        Paginated<audit_log_views::AuditEntryResponse>,
        Paginated<test_views::TestView>,
        Paginated<notification_views::NotificationView>,
        Paginated<notification_views::EmailDeliveryView>,
        Paginated<catalog_views::TechniqueSummaryView>, Paginated<catalog_views::ThreatActorView>,
        Paginated<campaign_views::CampaignView>, Paginated<finding_views::FindingResponse>,
        Paginated<report_views::ReportView>, Paginated<lifecycle_views::AssetView>,
        Paginated<job_views::JobRunView>, Paginated<rule_views::RuleSummaryView>, Paginated<template_views::TemplateSummaryView>, Paginated<snapshot_views::SnapshotView>,
        Paginated<risk_views::RiskView>, Paginated<osint_views::IntelItemView>,
        Paginated<crate::views::webhooks::DeliveryView>,
        crate::views::enums::RiskSort,
        Paginated<alert_views::AlertView>,
        Paginated<crate::views::knowledge::PlaybookView>,
        Paginated<crate::views::knowledge::LessonView>,
        Paginated<crate::views::attack_paths::AttackPathView>,
        Paginated<crate::views::scans::ScanView>,
    )),
    modifiers(&SecuritySchemes, &ErrorResponses),
    tags(
        (name = "auth", description = "Sign in, tokens and one's password"),
        (name = "users", description = "Accounts and roles"),
        (name = "mfa", description = "Multi-factor sign-in: authenticator apps, recovery codes, the tenant's policy"),
        (name = "platform", description = "Tenants a platform operator runs, and the caller's own tenant"),
        (name = "sso", description = "Single sign-on through an OpenID provider: configuration, sign-in and its callback"),
        (name = "api-keys", description = "API keys for pipelines and service accounts, narrowed by scopes"),
        (name = "audit", description = "The hash-chained audit trail"),
        (name = "tests", description = "Tests through the red/blue validation workflow"),
        (name = "campaigns", description = "Campaigns: plans, schedules, dependencies, recurrence and runs"),
        (name = "attack-paths", description = "Attack paths: chains of techniques with their coverage per step, Attack Flow import and export, campaigns planned from them"),
        (name = "findings", description = "Findings from missed detections, their remediation and retests"),
        (name = "detection-lifecycle", description = "Detection assets, the proofs that they fire, and what ends them"),
        (name = "reports", description = "Executive, coverage and campaign reports: generated, signed, verified"),
        (name = "evidence", description = "Evidence files and their chain of custody"),
        (name = "telemetry", description = "Proof from telemetry: Sigma rules evaluated over a test's recorded events"),
        (name = "notifications", description = "In-app notifications"),
        (name = "catalog", description = "The ATT&CK catalog: tactics, techniques, threat actors"),
        (name = "coverage", description = "Coverage scores, the ATT&CK heatmap and roll-ups"),
        (name = "dashboard", description = "KPIs, the executive narrative and pipeline metrics"),
        (name = "snapshots", description = "Posture snapshots and the coverage trend"),
        (name = "analytics", description = "Feeds for BI tools: coverage, tests, trends and operators as flat JSON or CSV pages"),
        (name = "osint", description = "Intelligence items from NVD, CISA KEV and security news, tied to techniques"),
        (name = "risk", description = "Risk per technique, the likelihood x impact matrix, recommendations, prevention apart from detection"),
        (name = "jobs", description = "Background jobs: history, schedules, run now"),
        (name = "alerts", description = "Alert rules, their evaluation, and alerts: open, acknowledged, resolved or dismissed"),
        (name = "webhooks", description = "Signed webhooks on events, their allow-list, delivery log and redelivery"),
        (name = "tickets", description = "Findings, tests and remediation steps linked to tracker issues; Jira issues created from findings, their statuses synced, worklogs pushed to Tempo"),
        (name = "system", description = "Health, readiness and metrics"),
        (name = "knowledge", description = "Playbooks with their versions, lessons learned, and full-text search"),
        (name = "github", description = "The GitHub integration: pull requests scanned from signed webhook deliveries (each once), the scans reported back as check runs"),
        (name = "scans", description = "Detection as code: diffs of detection content verified, decided pass or fail, and signed"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A JWT access token from /api/v1/auth/login, or an API key (`aegis_...`)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::ACCESS_COOKIE))),
        );
        // `/metrics` takes its own token (AEGIS_METRICS_TOKEN), not a user's.
        components.add_security_scheme(
            "metrics_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as served and committed: pretty JSON with a trailing newline.
pub fn document() -> String {
    let mut doc = ApiDoc::openapi();
    make_operation_ids_unique(&mut doc);
    let mut text = doc.to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}

/// Handlers share names across modules (`list`, `get`), and utoipa takes the operation id from
/// the function; generated clients (the web UI's types) need each id once, so a shared one is
/// prefixed with the operation's tag, and numbered if that is still not enough.
fn make_operation_ids_unique(doc: &mut utoipa::openapi::OpenApi) {
    use std::collections::{HashMap, HashSet};
    fn operations(
        doc: &mut utoipa::openapi::OpenApi,
    ) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
        doc.paths.paths.values_mut().flat_map(|item| {
            [
                item.get.as_mut(),
                item.put.as_mut(),
                item.post.as_mut(),
                item.delete.as_mut(),
                item.patch.as_mut(),
            ]
            .into_iter()
            .flatten()
        })
    }
    let mut uses: HashMap<String, usize> = HashMap::new();
    for operation in operations(doc) {
        if let Some(id) = &operation.operation_id {
            *uses.entry(id.clone()).or_default() += 1;
        }
    }
    let mut taken: HashSet<String> = HashSet::new();
    for operation in operations(doc) {
        let Some(id) = operation.operation_id.clone() else {
            continue;
        };
        let mut unique = if uses.get(&id).copied().unwrap_or(0) > 1 {
            let tag = operation
                .tags
                .as_ref()
                .and_then(|tags| tags.first())
                .map_or("api", String::as_str)
                .replace('-', "_");
            format!("{tag}_{id}")
        } else {
            id
        };
        let base = unique.clone();
        let mut n = 2;
        while !taken.insert(unique.clone()) {
            unique = format!("{base}_{n}");
            n += 1;
        }
        operation.operation_id = Some(unique);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn operation_ids_are_unique() {
        let mut doc = <super::ApiDoc as utoipa::OpenApi>::openapi();
        super::make_operation_ids_unique(&mut doc);
        let mut ids = std::collections::HashSet::new();
        for item in doc.paths.paths.values() {
            let operations = [&item.get, &item.put, &item.post, &item.delete, &item.patch];
            for id in operations
                .into_iter()
                .flatten()
                .filter_map(|op| op.operation_id.clone())
            {
                assert!(ids.insert(id.clone()), "{id} is used twice");
            }
        }
        assert!(ids.len() > 100, "every operation has an id");
    }

    #[test]
    fn the_committed_document_matches_the_code() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
        let generated = super::document();
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(&path, &generated)
                .unwrap_or_else(|e| panic!("cannot write {path:?}: {e}"));
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/openapi.json is out of date: run `UPDATE_OPENAPI=1 cargo test -p aegis-http openapi` and commit it"
        );
    }
}
