import type { Schemas } from "../../api/client";

export const CAMPAIGN_ID = "01a228d5-22aa-70c1-b894-766a41186e43";
export const PREVIOUS_ID = "01a228d5-0000-70c1-b894-766a41186e40";

export function page<T>(items: T[], total = items.length) {
  return { items, total, page: 1, per_page: 25 };
}

export function campaign(overrides: Partial<Schemas["CampaignView"]> = {}): Schemas["CampaignView"] {
  return {
    id: CAMPAIGN_ID,
    name: "Q4 credential access",
    description: "Credential dumping against the Windows estate.",
    objective: "Validate detection of credential theft",
    campaign_type: "purple_team",
    status: "draft",
    phases: [],
    run_number: 1,
    test_ids: [],
    version: 1,
    created_at: "2026-11-01T10:00:00Z",
    updated_at: "2026-11-01T10:00:00Z",
    start_date: "2026-11-01",
    end_date: "2026-12-15",
    recurrence: null,
    predecessor_id: null,
    ...overrides,
  };
}

export function test(id: string, title: string, overrides: Partial<Schemas["TestView"]> = {}): Schemas["TestView"] {
  return {
    id,
    title,
    description: "",
    technique_id: "T1003.001",
    objective: "",
    target_environment: "lab",
    state: "draft",
    paused: false,
    red: { targets: [], paused_seconds: 0 },
    blue: { fired_rules: [], rule_results: [], paused_seconds: 0 },
    red_vote: {},
    blue_vote: {},
    version: 1,
    created_by: "00000000-0000-7000-8000-000000000001",
    created_at: "2026-11-01T10:00:00Z",
    updated_at: "2026-11-01T10:00:00Z",
    campaign_id: CAMPAIGN_ID,
    ...overrides,
  };
}

export function detail(c: Schemas["CampaignView"], tests: Schemas["CampaignTestView"][], overrides: Partial<Schemas["CampaignDetailView"]> = {}): Schemas["CampaignDetailView"] {
  return {
    campaign: { ...c, test_ids: tests.map((t) => t.test.id) },
    tests,
    hidden_tests: 0,
    progress: { total: tests.length, by_state: {}, validated: 0, percent_validated: 0, outcomes: {}, blocked: 0 },
    ...overrides,
  };
}
