import type { Schemas } from "../../api/client";

/** A test as the API returns it, for component tests. */
export function testView(overrides: Partial<Schemas["TestView"]> = {}): Schemas["TestView"] {
  return {
    id: "01a228d0-2a29-726e-b2e6-4f8e38d298f2",
    title: "LSASS dump with ProcDump",
    description: "Dump lsass memory.",
    technique_id: "T1003.001",
    objective: "Detect the dump",
    target_environment: "lab",
    platform: "windows",
    assignee_id: null,
    campaign_id: null,
    state: "draft",
    paused: false,
    red: { targets: [], paused_seconds: 0, tool: "procdump", command: "procdump -ma lsass.exe", procedure: "Run it", result_summary: null, executed_at: null, started_at: null },
    blue: { fired_rules: [], rule_results: [], paused_seconds: 0, outcome: null, notes: null, detected_at: null, detection_source: null, started_at: null },
    red_vote: { verdict: null, notes: null },
    blue_vote: { verdict: null, notes: null },
    validated_at: null,
    version: 4,
    created_by: "00000000-0000-7000-8000-0000000000aa",
    created_at: "2026-11-29T10:00:00Z",
    updated_at: "2026-11-29T11:00:00Z",
    ...overrides,
  };
}

