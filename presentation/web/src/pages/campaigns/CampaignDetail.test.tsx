import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../api/client";
import { json, renderPage, stubApi, type Routes } from "../../test/render";
import { CampaignDetailPage, lifecycleActions } from "./CampaignDetail";
import { CAMPAIGN_ID, PREVIOUS_ID, campaign, detail, test } from "./fixtures";
import type { CampaignStatus, Role } from "../../api/enums";


const A = "01a228d5-0000-7000-8000-00000000000a";
const B = "01a228d5-0000-7000-8000-00000000000b";
const C = "01a228d5-0000-7000-8000-00000000000c";

function plan(status: CampaignStatus): Schemas["CampaignDetailView"] {
  return detail(campaign({ status }), [
    { test: test(A, "LSASS dump", { state: "validated", blue: { fired_rules: [], rule_results: [], paused_seconds: 0, outcome: "not_detected" } }), depends_on: [], blocked_by: [] },
    { test: test(B, "SAM hive export"), depends_on: [A, C], blocked_by: [C] },
    { test: test(C, "DCSync"), depends_on: [], blocked_by: [] },
  ]);
}

const coverage: Schemas["CampaignCoverageView"] = {
  campaign_id: CAMPAIGN_ID,
  score: 42,
  previous: { campaign_id: PREVIOUS_ID, run_number: 2, percent_validated: 75, score: 30 },
  techniques: [{ technique_id: "T1003.001", tests: 1, score: 42, status: "validated", outcome: "detected" }],
  changes: [
    { technique_id: "T1003.001", trend: "improved", score: 42, previous_score: 20, outcome: "detected", previous_outcome: "not_detected" },
    { technique_id: "T1110.003", trend: "dropped", previous_score: 55 },
  ],
};

function routes(data: Schemas["CampaignDetailView"], extra: Routes = {}): Routes {
  return {
    [`GET /api/v1/campaigns/${CAMPAIGN_ID}`]: () => json(data),
    [`GET /api/v1/campaigns/${CAMPAIGN_ID}/coverage`]: () => json(coverage),
    [`GET /api/v1/campaigns/${CAMPAIGN_ID}/timeline`]: () => json([{ at: "2026-11-02T10:00:00Z", kind: "start-execution", test_id: A, test_title: "LSASS dump", from: "draft", to: "red_executing" }]),
    "GET /api/v1/tests": () => json({ items: [], total: 0, page: 1, per_page: 50 }),
    ...extra,
  };
}

const render = (role: Role) => renderPage(<CampaignDetailPage />, { role, url: `/campaigns/${CAMPAIGN_ID}`, pattern: "/campaigns/:id" });
const lifecycleButtons = () => ["Activate", "Complete", "Archive", "Delete"].filter((name) => screen.queryByRole("button", { name }));

describe("lifecycleActions", () => {
  it("follows the status and the permission matrix", () => {
    expect(lifecycleActions("draft", "blue_lead")).toMatchObject({ activate: true, complete: false, archive: true, delete: true, plan: true });
    expect(lifecycleActions("active", "blue_lead")).toMatchObject({ activate: false, complete: false, archive: false, delete: false, plan: false, schedule: true });
    expect(lifecycleActions("active", "red_lead").complete).toBe(true);
    expect(lifecycleActions("completed", "admin")).toMatchObject({ archive: true, complete: false, schedule: false });
    expect(Object.values(lifecycleActions("draft", "red_tech")).some(Boolean)).toBe(false);
    expect(Object.values(lifecycleActions("archived", "admin")).some(Boolean)).toBe(false);
  });
});

describe("CampaignDetailPage", () => {
  it("offers activate, archive and delete on a draft to a lead, and plan editing", async () => {
    stubApi(routes(plan("draft")));
    render("blue_lead");
    await screen.findByRole("heading", { name: "Q4 credential access" });
    expect(lifecycleButtons()).toEqual(["Activate", "Archive", "Delete"]);
    expect(screen.getByRole("button", { name: "Move SAM hive export up" })).toBeEnabled();
    expect(screen.getByRole("button", { name: "Move LSASS dump up" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Remove DCSync" })).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Add a test" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Export template" })).toHaveAttribute("href", `/api/v1/campaigns/${CAMPAIGN_ID}/export`);
    expect(screen.getByRole("link", { name: "Heatmap of this campaign" })).toHaveAttribute("href", `/heatmap?campaign_id=${CAMPAIGN_ID}`);
  });

  it("lets only a red lead or admin complete an active campaign, and freezes its plan", async () => {
    stubApi(routes(plan("active")));
    const { unmount } = render("blue_lead");
    await screen.findByRole("heading", { name: "Q4 credential access" });
    expect(lifecycleButtons()).toEqual([]);
    expect(screen.queryByRole("button", { name: /^Move / })).not.toBeInTheDocument();
    expect(screen.queryByRole("heading", { name: "Add a test" })).not.toBeInTheDocument();
    // Dependencies still change for drafts while the campaign is active.
    expect(screen.getByRole("button", { name: "Dependencies of DCSync" })).toBeInTheDocument();
    unmount();
    render("red_lead");
    await screen.findByRole("heading", { name: "Q4 credential access" });
    expect(lifecycleButtons()).toEqual(["Complete"]);
  });

  it("shows a viewer no action at all", async () => {
    stubApi(routes(plan("draft")));
    render("viewer");
    await screen.findByRole("heading", { name: "Q4 credential access" });
    expect(lifecycleButtons()).toEqual([]);
    expect(screen.queryByRole("button", { name: /Dependencies|Remove|Move|Edit schedule/ })).not.toBeInTheDocument();
  });

  it("shows the plan in order with dependencies and what blocks each test", async () => {
    stubApi(routes(plan("draft")));
    render("viewer");
    const table = await screen.findByRole("table", { name: "Tests in execution order" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((r) => within(r).getAllByRole("link")[0]?.textContent)).toEqual(["LSASS dump", "SAM hive export", "DCSync"]);
    const sam = within(rows[1] as HTMLElement);
    expect(sam.getByText("Blocked by 1")).toBeInTheDocument();
    expect(sam.getByRole("link", { name: "#3 DCSync" })).toHaveAttribute("href", `/tests/${C}`);
    expect(sam.getByText("blocking")).toBeInTheDocument();
    expect(sam.getByText("validated")).toBeInTheDocument();
    expect(within(rows[0] as HTMLElement).getByText("Not detected")).toBeInTheDocument();
  });

  it("compares the run with the previous one and links to it", async () => {
    stubApi(routes(plan("completed")));
    render("viewer");
    const table = await screen.findByRole("table", { name: "Coverage by technique, compared with the previous run" });
    expect(within(table).getByText("Improved")).toBeInTheDocument();
    expect(within(table).getByText("20 → 42")).toBeInTheDocument();
    expect(within(table).getByText("Dropped")).toBeInTheDocument();
    expect(screen.getByText("Run #2")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "open the previous run" })).toHaveAttribute("href", `/campaigns/${PREVIOUS_ID}`);
  });

  it("reorders with the whole list and saves dependencies, showing a refused cycle", async () => {
    const { calls } = stubApi(
      routes(plan("draft"), {
        [`PUT /api/v1/campaigns/${CAMPAIGN_ID}/tests/order`]: () => json(campaign()),
        [`PUT /api/v1/tests/${C}/dependencies`]: () =>
          json({ type: "about:blank", title: "The request is not valid", status: 422, code: "VALIDATION_FAILED", errors: [{ field: "depends_on", message: "these dependencies would form a cycle" }] }, 422),
      }),
    );
    render("admin");
    await userEvent.click(await screen.findByRole("button", { name: "Move DCSync up" }));
    await waitFor(() => expect(calls.some((r) => r.method === "PUT")).toBe(true));
    expect(await calls.find((r) => r.method === "PUT")?.clone().json()).toEqual({ test_ids: [A, C, B] });

    await userEvent.click(screen.getByRole("button", { name: "Dependencies of DCSync" }));
    await userEvent.click(screen.getByRole("checkbox", { name: "#2 SAM hive export" }));
    await userEvent.click(screen.getByRole("button", { name: "Save dependencies" }));
    expect(await screen.findAllByText("these dependencies would form a cycle")).not.toHaveLength(0);
    const put = calls.filter((r) => r.method === "PUT").at(-1);
    expect(await put?.clone().json()).toEqual({ depends_on: [B] });
  });
});
