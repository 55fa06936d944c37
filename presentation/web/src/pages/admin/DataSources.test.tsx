import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../api/client";
import { json, renderPage, stubApi } from "../../test/render";
import { DataSourcesPage } from "./DataSources";
import type { JobOutcome } from "../../api/enums";


const sigma: Schemas["DataSourceView"] = {
  kind: "sigma",
  title: "Sigma rules",
  url: "https://github.com/SigmaHQ/sigma/releases/latest/download/sigma_all_rules.zip",
  enabled: true,
  schedule: "0 0 4 * * *",
  has_credential: true,
  licence: "Detection Rule License 1.1",
  status: "failed",
  last_sync_at: "2026-11-29T10:00:00Z",
  last_counts: { created: 53, updated: 2, unchanged: 7, skipped: 1 },
  last_error: "the download timed out",
  sync_requested: false,
};

const run = (outcome: JobOutcome): Schemas["JobRunView"] => ({
  id: "01a228d0-0000-7000-8000-0000000000aa",
  job: "feed_sync",
  trigger: "manual",
  queued_at: "2026-11-29T10:05:00Z",
  started_at: outcome === "queued" ? null : "2026-11-29T10:05:01Z",
  finished_at: outcome === "succeeded" ? "2026-11-29T10:05:09Z" : null,
  attempts: 1,
  max_attempts: 3,
  outcome,
  counts: outcome === "succeeded" ? { synced: 1 } : {},
});

describe("DataSourcesPage", () => {
  it("shows every source's state to a non-admin, with no admin action", async () => {
    stubApi({ "GET /api/v1/data-sources": () => json([sigma]) });
    renderPage(<DataSourcesPage />, { role: "blue_tech" });
    expect(await screen.findByText("Sigma rules")).toBeInTheDocument();
    expect(screen.getByText("the download timed out")).toBeInTheDocument();
    expect(screen.getByText("53 created, 2 updated, 7 unchanged, 1 skipped")).toBeInTheDocument();
    expect(screen.getByText("Licence: Detection Rule License 1.1")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Sync now" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Configure" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Upload bundle" })).not.toBeInTheDocument();
  });

  it("lets an admin sync now and follows the queued job until it is done", async () => {
    let polls = 0;
    stubApi({
      "GET /api/v1/data-sources": () => json([sigma]),
      "POST /api/v1/data-sources/sigma/sync": () => json(run("queued"), 202),
      "GET /api/v1/system/jobs/01a228d0-0000-7000-8000-0000000000aa": () => json(run(++polls > 1 ? "succeeded" : "running")),
    });
    renderPage(<DataSourcesPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Sync now" }));
    expect(await screen.findByText("Running")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByText("Succeeded")).toBeInTheDocument(), { timeout: 5000 });
    expect(screen.getByText("synced 1")).toBeInTheDocument();
  });

  it("configures a source without ever showing its credential, and shows the refused field", async () => {
    let sent: unknown = null;
    stubApi({
      "GET /api/v1/data-sources": () => json([sigma]),
      "PATCH /api/v1/data-sources/sigma": async (request) => {
        sent = await request.json();
        return json({ type: "about:blank", title: "The request is not valid", status: 422, code: "VALIDATION_FAILED", errors: [{ field: "schedule", message: "is not a cron expression" }] }, 422);
      },
    });
    renderPage(<DataSourcesPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Configure" }));
    const dialog = screen.getByRole("dialog");
    expect(within(dialog).getByLabelText("Credential")).toHaveValue("");
    await userEvent.clear(within(dialog).getByLabelText("Schedule"));
    await userEvent.type(within(dialog).getByLabelText("Schedule"), "every day");
    await userEvent.click(within(dialog).getByRole("checkbox", { name: "Remove the stored credential" }));
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    expect(await within(dialog).findByText("is not a cron expression", { selector: "p" })).toBeInTheDocument();
    expect(sent).toEqual({ schedule: "every day", credential: null });
  });

  it("has a labelled bundle file input for admins", async () => {
    stubApi({ "GET /api/v1/data-sources": () => json([sigma]) });
    renderPage(<DataSourcesPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Upload bundle" }));
    const dialog = screen.getByRole("dialog");
    expect(within(dialog).getByLabelText("Bundle file")).toHaveAttribute("type", "file");
    expect(within(dialog).getByRole("button", { name: "Upload and import" })).toBeDisabled();
  });
});
