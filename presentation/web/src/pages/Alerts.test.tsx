import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { json, renderPage, stubApi } from "../test/render";
import { AlertsPage } from "./Alerts";

const TEST_ID = "01a228d0-0000-7000-8000-0000000000ff";
const gap: Schemas["AlertView"] = {
  id: "01a228d0-0000-7000-8000-0000000000a1",
  rule_id: "01a228d0-0000-7000-8000-0000000000b1",
  rule_type: "detection_gap",
  severity: "high",
  status: "open",
  fingerprint: "detection_gap:01a228d0-0000-7000-8000-0000000000b1:t",
  title: "Validated test missed T1566: Macro phishing",
  // An open object in the document: its fields depend on the rule type.
  details: { test_id: TEST_ID, technique_id: "T1566" } as unknown as Schemas["AlertView"]["details"],
  fired_at: "2026-12-07T10:00:00Z",
  acknowledged: null,
  closed: null,
};
const summary: Schemas["AlertSummaryView"] = {
  total: 1,
  active: 1,
  open: 1,
  by_status: { open: 1, acknowledged: 0, resolved: 0, dismissed: 0 },
  active_by_severity: { info: 0, low: 0, medium: 0, high: 1, critical: 0 },
  active_by_type: { detection_gap: 1 },
};
const systemRule: Schemas["AlertRuleView"] = {
  id: gap.rule_id,
  name: "Validated test missed",
  rule_type: "detection_gap",
  system: true,
  config: { threshold: null, days: 30, min_severity: null },
  severity: "high",
  cooldown_hours: 24,
  channels: ["in_app"],
  enabled: true,
  last_evaluated_at: null,
  created_at: "2026-12-07T09:00:00Z",
  updated_at: "2026-12-07T09:00:00Z",
};

describe("AlertsPage", () => {
  it("lets a lead acknowledge an alert with a note and sends the filters to the server", async () => {
    let current = gap;
    const { calls } = stubApi({
      "GET /api/v1/alerts": () => json({ items: [current], total: 1, page: 1, per_page: 25 }),
      "GET /api/v1/alerts/summary": () => json(summary),
      "GET /api/v1/alerts/rules": () => json({ items: [systemRule] }),
      [`POST /api/v1/alerts/${gap.id}/acknowledge`]: async (request) => {
        const body = (await request.json()) as { note: string | null };
        current = { ...gap, status: "acknowledged", acknowledged: { by: "00000000-0000-7000-8000-000000000001", at: "2026-12-07T11:00:00Z", note: body.note } };
        return json(current);
      },
    });
    renderPage(<AlertsPage />, { role: "blue_lead", url: "/alerts?rule_type=detection_gap" });
    const row = (await screen.findByText(gap.title)).closest("tr");
    expect(row).not.toBeNull();
    expect(within(row as HTMLElement).getByRole("link", { name: "Open the test" })).toHaveAttribute("href", `/tests/${TEST_ID}`);
    await waitFor(() => expect(calls.some((r) => new URL(r.url).searchParams.get("rule_type") === "detection_gap")).toBe(true));

    await userEvent.click(screen.getByRole("button", { name: `Acknowledge ${gap.title}` }));
    await userEvent.type(screen.getByLabelText("Note (optional)"), "On it");
    await userEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Acknowledge" }));
    expect(await screen.findByText("Note: On it")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: `Acknowledge ${gap.title}` })).not.toBeInTheDocument();
    // A lead manages the rules; only an admin deletes (and never a system rule).
    expect(await screen.findByRole("table", { name: "Alert rules" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Delete/ })).not.toBeInTheDocument();
  });

  it("shows a viewer the alerts without actions or rules", async () => {
    stubApi({
      "GET /api/v1/alerts": () => json({ items: [gap], total: 1, page: 1, per_page: 25 }),
      "GET /api/v1/alerts/summary": () => json(summary),
    });
    renderPage(<AlertsPage />, { role: "viewer", url: "/alerts" });
    expect(await screen.findByText(gap.title)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Evaluate now" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: `Acknowledge ${gap.title}` })).not.toBeInTheDocument();
    expect(screen.queryByRole("table", { name: "Alert rules" })).not.toBeInTheDocument();
  });
});
