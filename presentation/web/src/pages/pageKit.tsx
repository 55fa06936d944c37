import type { BadgeTone } from "../components/ui";
import { every, oneOf, type CampaignStatus, type CampaignType, type CoverageStatus, type FindingStatus, type Severity } from "../api/enums";

const CAMPAIGN_TYPE_LABELS: Record<CampaignType, string> = {
  purple_team: "Purple team",
  red_team: "Red team (blind)",
  blue_team: "Blue team",
  tabletop: "Tabletop",
};

/** Every campaign type with its label, as select options. */
export const CAMPAIGN_TYPES = Object.entries(CAMPAIGN_TYPE_LABELS) as [CampaignType, string][];

/** The campaign type a select or URL parameter names, if it names one. */
export function campaignTypeOf(text: string | null | undefined): CampaignType | undefined {
  return oneOf(Object.keys(CAMPAIGN_TYPE_LABELS) as CampaignType[], text);
}

export const CAMPAIGN_STATUSES = every<CampaignStatus>()(["draft", "active", "completed", "archived"]);

export function campaignStatusTone(status: string): BadgeTone {
  switch (status) {
    case "active":
      return "blue";
    case "completed":
      return "green";
    case "archived":
      return "purple";
    default:
      return "slate";
  }
}

export const FINDING_STATUSES = every<FindingStatus>()(["open", "in_remediation", "awaiting_retest", "resolved", "risk_accepted"]);
export const SEVERITIES = every<Severity>()(["critical", "high", "medium", "low"]);

export function findingStatusTone(status: string): BadgeTone {
  switch (status) {
    case "open":
      return "red";
    case "in_remediation":
      return "amber";
    case "awaiting_retest":
      return "blue";
    case "resolved":
      return "green";
    case "risk_accepted":
      return "purple";
    default:
      return "slate";
  }
}

export const COVERAGE_STATUSES = every<CoverageStatus>()(["not_covered", "in_progress", "partial", "validated", "stale"]);

export function coverageTone(status: string | null | undefined): BadgeTone {
  switch (status) {
    case "validated":
    case "covered":
      return "green";
    case "partial":
      return "amber";
    case "in_progress":
      return "blue";
    case "stale":
      return "purple";
    case "not_covered":
    case "gap":
      return "red";
    default:
      return "slate";
  }
}

/** Chart fills per coverage status, the badge colours at chart strength. */


/** Today as YYYY-MM-DD in the user's time zone (date inputs speak local dates). */
export function today(): string {
  const now = new Date();
  const offset = now.getTimezoneOffset() * 60_000;
  return new Date(now.getTime() - offset).toISOString().slice(0, 10);
}
