import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../api/client";
import { json, renderPage, stubApi } from "../../test/render";
import { JobsPage } from "./Jobs";

const run = (overrides: Partial<Schemas["JobRunView"]> = {}): Schemas["JobRunView"] => ({
  id: "01a228d0-0000-7000-8000-0000000000b1",
  job: "coverage_refresh",
  trigger: "schedule",
  due_at: "2026-11-29T00:15:00Z",
  queued_at: "2026-11-29T00:15:00Z",
  started_at: "2026-11-29T00:15:01Z",
  finished_at: "2026-11-29T00:15:03Z",
  attempts: 1,
  max_attempts: 3,
  outcome: "succeeded",
  counts: { refreshed: 12 },
  ...overrides,
});

const scheduled: Schemas["ScheduledJobView"][] = [
  { job: "coverage_refresh", description: "Recompute coverage as validations age", schedule: "0 15 0 * * *", next_due: "2026-11-30T00:15:00Z", last_run: run() },
  { job: "intel_scan", description: "Tell the leads what the newest catalog imports changed", schedule: "0 0 6 * * Mon", next_due: "2026-11-30T06:00:00Z", last_run: null },
];

describe("JobsPage", () => {
  it("shows each scheduled job's last run, and the history", async () => {
    stubApi({
      "GET /api/v1/system/scheduler-status": () => json(scheduled),
      "GET /api/v1/system/jobs": () => json({ items: [run({ id: "01a228d0-0000-7000-8000-0000000000b2", outcome: "dead", error: "database unreachable", counts: {} })], total: 1, page: 1, per_page: 50 }),
    });
    renderPage(<JobsPage />);
    const last = await screen.findByTestId("last-run-coverage_refresh");
    expect(last).toHaveTextContent("Succeeded");
    expect(last).toHaveTextContent("refreshed 12");
    expect(screen.getByTestId("last-run-intel_scan")).toHaveTextContent("Never run");
    const history = await screen.findByRole("table", { name: "Job runs" });
    expect(within(history).getByText("Dead")).toBeInTheDocument();
    expect(within(history).getByText("database unreachable")).toBeInTheDocument();
  });

  it("runs a job now and follows it until it finishes", async () => {
    let polls = 0;
    const { calls } = stubApi({
      "GET /api/v1/system/scheduler-status": () => json(scheduled),
      "GET /api/v1/system/jobs": () => json({ items: [], total: 0, page: 1, per_page: 50 }),
      "POST /api/v1/system/jobs/intel_scan/run": () => json(run({ id: "01a228d0-0000-7000-8000-0000000000b3", job: "intel_scan", trigger: "manual", outcome: "queued", started_at: null, finished_at: null, counts: {} }), 202),
      "GET /api/v1/system/jobs/01a228d0-0000-7000-8000-0000000000b3": () =>
        json(run({ id: "01a228d0-0000-7000-8000-0000000000b3", job: "intel_scan", trigger: "manual", outcome: ++polls > 1 ? "succeeded" : "running", counts: { notified: 3 } })),
    });
    renderPage(<JobsPage />);
    const card = (await screen.findByText("Tell the leads what the newest catalog imports changed")).closest("section");
    if (!card) throw new Error("no card");
    await userEvent.click(within(card).getByRole("button", { name: "Run now" }));
    expect(await within(card).findByText("Run you started")).toBeInTheDocument();
    await waitFor(() => expect(within(card).getByText("notified 3")).toBeInTheDocument());
    await waitFor(() => expect(within(card).getByText("Succeeded")).toBeInTheDocument(), { timeout: 5000 });
    // Finishing refreshes the scheduler status, so the last run shows it.
    await waitFor(() => expect(calls.filter((r) => r.url.endsWith("/scheduler-status")).length).toBeGreaterThan(1));
  });

  it("is refused to a lead", () => {
    stubApi({});
    renderPage(<JobsPage />, { role: "blue_lead" });
    expect(screen.getByText("Only administrators can see this page")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Run now" })).not.toBeInTheDocument();
  });
});
