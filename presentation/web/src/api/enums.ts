import type { Schemas } from "./client";

/**
 * The API's closed sets of values (states, statuses, outcomes, roles...), as the OpenAPI
 * document's enum schemas generate them into `schema.d.ts`.
 */
export type TestState = Schemas["TestState"];
export type Outcome = Schemas["Outcome"];
export type RuleVerdict = Schemas["RuleVerdict"];
export type Role = Schemas["Role"];
export type CampaignType = Schemas["CampaignType"];
export type CampaignStatus = Schemas["CampaignStatus"];
export type FindingStatus = Schemas["FindingStatus"];
export type FindingKind = Schemas["FindingKind"];
export type Severity = Schemas["Severity"];
export type CoverageStatus = Schemas["CoverageStatus"];
export type JobOutcome = Schemas["JobOutcome"];

/**
 * A list of every value of the generated union `T`, in the order the page shows them. Types
 * exist only at compile time, so the list is still written out, but the compiler holds it to
 * the API: a value the API does not have, or one of its values left out, fails `tsc`.
 *
 * `every<TestState>()(["draft", ...])`
 */
export function every<T extends string>() {
  return <const L extends readonly T[]>(values: L & ([Exclude<T, L[number]>] extends [never] ? unknown : { missing: Exclude<T, L[number]> })): L =>
    values;
}

export type ControlStatus = Schemas["ControlStatus"];
export type StepStatus = Schemas["StepStatus"];
export type RuleSource = Schemas["RuleSource"];
export type TemplateSource = Schemas["TemplateSource"];
export type ReportKind = Schemas["ReportKind"];
export type ReportFormat = Schemas["ReportFormat"];
export type JobKind = Schemas["JobKind"];
export type FeedKind = Schemas["FeedKind"];
export type WorkflowAction = Schemas["WorkflowAction"];
export type Team = Schemas["Team"];

export const CONTROL_STATUSES = every<ControlStatus>()(["covered", "partial", "gap"]);
export const RULE_SOURCES = every<RuleSource>()(["sigma", "elastic"]);
export const TEMPLATE_SOURCES = every<TemplateSource>()(["atomic", "caldera", "lolbas", "gtfobins"]);
export const REPORT_KINDS = every<ReportKind>()(["executive_summary", "coverage_report", "purple_campaign"]);
export const REPORT_FORMATS = every<ReportFormat>()(["html", "pdf"]);
export const JOB_KINDS = every<JobKind>()([
  "attack_sync",
  "intel_scan",
  "notification_cleanup",
  "coverage_snapshot",
  "coverage_refresh",
  "evidence_sweep",
  "feed_sync",
  "recurring_campaigns",
  "report_generation",
  "detection_decay",
  "alert_evaluation",
  "webhook_delivery",
  "ticket_sync",
  "email_delivery",
  "scan",
  "github_checks",
]);
export const TEAMS = every<Team>()(["red", "blue"]);

/**
 * `text` when it is one of `values`, else `undefined`: how a URL parameter or a select's value
 * (plain strings) becomes a value the API accepts.
 */
export function oneOf<T extends string>(values: readonly T[], text: string | null | undefined): T | undefined {
  return values.find((value) => value === text);
}
export type AssetKind = Schemas["AssetKind"];
export type AssetStatus = Schemas["AssetStatus"];
export const ASSET_KINDS = every<AssetKind>()(["siem_rule", "edr_policy", "sensor", "ids_rule", "manual_review", "custom"]);
export const ASSET_STATUSES = every<AssetStatus>()(["active", "disabled", "retired"]);
export type ApiKeyScope = Schemas["ApiKeyScope"];
export type ApiKeyStatus = Schemas["ApiKeyStatus"];
export type AlertRuleType = Schemas["AlertRuleType"];
export type AlertSeverity = Schemas["AlertSeverity"];
export type AlertStatus = Schemas["AlertStatus"];
export type AlertChannel = Schemas["AlertChannel"];
export const ALERT_RULE_TYPES = every<AlertRuleType>()([
  "high_risk_uncovered",
  "stale_technique",
  "coverage_regression",
  "low_coverage",
  "expiry_wave",
  "new_technique",
  "orphan_spike",
  "detection_gap",
]);
export const ALERT_SEVERITIES = every<AlertSeverity>()(["critical", "high", "medium", "low", "info"]);
export const ALERT_STATUSES = every<AlertStatus>()(["open", "acknowledged", "resolved", "dismissed"]);
export const ALERT_CHANNELS = every<AlertChannel>()(["in_app", "webhook", "email"]);
export type WebhookEventName = Schemas["WebhookEventName"];
export type WebhookPreset = Schemas["WebhookPreset"];
export type DeliveryStatus = Schemas["DeliveryStatus"];
export const WEBHOOK_EVENTS = every<WebhookEventName>()([
  "test.transitioned",
  "test.validated",
  "finding.opened",
  "finding.resolved",
  "alert.fired",
  "import.finished",
  "report.ready",
  "scan.finished",
]);
export const WEBHOOK_PRESETS = every<WebhookPreset>()(["generic", "slack", "teams"]);
