import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../api/client";
import { json, renderPage, stubApi } from "../../test/render";
import { TicketsPanel } from "./TicketsPanel";

const FINDING = "01a228d5-236d-71ae-8225-464470eb4322";

function ticket(overrides: Partial<Schemas["TicketView"]> = {}): Schemas["TicketView"] {
  return {
    id: "01a228d5-0000-71ae-8225-000000000001",
    subject_kind: "finding",
    subject_id: FINDING,
    finding_id: FINDING,
    system: "jira",
    key: "SEC-7",
    url: "https://example.atlassian.net/browse/SEC-7",
    external_id: "10007",
    status: "In Progress",
    status_category: "indeterminate",
    last_synced_at: "2026-12-07T10:00:00Z",
    sync_error: null,
    created_by: "01a228ce-0000-7000-8000-0000000000d1",
    created_at: "2026-12-07T09:00:00Z",
    ...overrides,
  };
}

describe("TicketsPanel", () => {
  it("shows linked tickets with their synced status and offers no Jira issue when one exists", async () => {
    stubApi({ "GET /api/v1/tickets": () => json({ items: [ticket()], jira_configured: true }) });
    renderPage(<TicketsPanel subject={{ finding_id: FINDING }} canManage />, { role: "blue_lead" });
    const link = await screen.findByRole("link", { name: "SEC-7" });
    expect(link).toHaveAttribute("href", "https://example.atlassian.net/browse/SEC-7");
    expect(screen.getByText("In Progress")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Create Jira issue" })).not.toBeInTheDocument();
  });

  it("creates a Jira issue from the finding when Jira is configured, and shows Jira's refusal", async () => {
    let created = false;
    const { calls } = stubApi({
      "GET /api/v1/tickets": () => json({ items: created ? [ticket()] : [], jira_configured: true }),
      [`POST /api/v1/findings/${FINDING}/ticket`]: () => {
        if (!created) {
          created = true;
          return json({ type: "about:blank", title: "Jira answered HTTP 400: issuetype: Specify a valid issue type", status: 502, code: "TRACKER_REJECTED" }, 502);
        }
        return json(ticket(), 201);
      },
    });
    renderPage(<TicketsPanel subject={{ finding_id: FINDING }} canManage />, { role: "admin" });
    await userEvent.click(await screen.findByRole("button", { name: "Create Jira issue" }));
    expect(await screen.findByText(/Specify a valid issue type/)).toBeInTheDocument();
    expect(calls.some((c) => c.method === "POST" && c.url.endsWith(`/findings/${FINDING}/ticket`))).toBe(true);
  });

  it("links an issue of any tracker by hand and names a refused field", async () => {
    let body: unknown = null;
    stubApi({
      "GET /api/v1/tickets": () => json({ items: [], jira_configured: false }),
      "POST /api/v1/tickets": async (request: Request) => {
        body = await request.json();
        return json({ type: "about:blank", title: "The request is not valid", status: 422, code: "VALIDATION_FAILED", errors: [{ field: "url", message: "must be an absolute http or https URL" }] }, 422);
      },
    });
    renderPage(<TicketsPanel subject={{ finding_id: FINDING }} canManage />, { role: "red_lead" });
    expect(await screen.findByText("No ticket is linked yet.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Create Jira issue" })).not.toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText("Tracker"), "github");
    await userEvent.type(screen.getByLabelText("Key"), "org/repo#1");
    await userEvent.type(screen.getByLabelText("URL"), "javascript:x");
    await userEvent.click(screen.getByRole("button", { name: "Link ticket" }));
    expect(await screen.findByText("must be an absolute http or https URL")).toBeInTheDocument();
    await waitFor(() => expect(body).toEqual({ finding_id: FINDING, system: "github", key: "org/repo#1", url: "javascript:x" }));
  });

  it("lets viewers read but not link", async () => {
    stubApi({ "GET /api/v1/tickets": () => json({ items: [ticket({ system: "other", key: "CHG-1", status: null, status_category: "unknown", last_synced_at: null })], jira_configured: true }) });
    renderPage(<TicketsPanel subject={{ finding_id: FINDING }} canManage={false} />, { role: "viewer" });
    expect(await screen.findByRole("link", { name: "CHG-1" })).toBeInTheDocument();
    expect(screen.getByText("Status not known yet")).toBeInTheDocument();
    expect(screen.queryByRole("form", { name: "Link a ticket" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Unlink CHG-1" })).not.toBeInTheDocument();
  });
});
