import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, renderPage, stubApi } from "../../test/render";
import { CampaignsPage, importBody } from "./Campaigns";
import { campaign, page } from "./fixtures";


describe("CampaignsPage", () => {
  it("lists campaigns with the URL's filters and hides creation from a viewer", async () => {
    const { calls } = stubApi({
      "GET /api/v1/campaigns": () =>
        json(page([campaign({ status: "active", run_number: 3, test_ids: ["a", "b"], recurrence: { rule: "every 90 days", every_days: 90 } })], 26)),
    });
    renderPage(<CampaignsPage />, { role: "viewer", url: "/campaigns?status=active&campaign_type=purple_team" });
    const link = await screen.findByRole("link", { name: "Q4 credential access" });
    expect(link).toHaveAttribute("href", "/campaigns/01a228d5-22aa-70c1-b894-766a41186e43");
    const row = link.closest("tr");
    expect(row).not.toBeNull();
    const cells = within(row as HTMLElement);
    expect(cells.getByText("Active")).toBeInTheDocument();
    expect(cells.getByText("#3")).toBeInTheDocument();
    expect(cells.getByText("Repeats every 90 days")).toBeInTheDocument();
    const url = new URL(calls[0]?.url ?? "");
    expect(url.searchParams.get("status")).toBe("active");
    expect(url.searchParams.get("campaign_type")).toBe("purple_team");
    expect(screen.getByRole("navigation", { name: "Pages" })).toHaveTextContent("Page 1 of 2");
    expect(screen.queryByRole("button", { name: "New campaign" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Import template" })).not.toBeInTheDocument();
  });

  it("shows the server's field messages when a lead's new campaign is refused", async () => {
    const { calls } = stubApi({
      "GET /api/v1/campaigns": () => json(page([])),
      "POST /api/v1/campaigns": () =>
        json(
          {
            type: "about:blank",
            title: "The request is not valid",
            status: 422,
            code: "VALIDATION_FAILED",
            errors: [
              { field: "end_date", message: "must not be before start_date" },
              { field: "recurrence.every_days", message: "an interval must be between 1 and 3660 days" },
            ],
          },
          422,
        ),
    });
    renderPage(<CampaignsPage />, { role: "blue_lead", url: "/campaigns" });
    await screen.findByText("No campaigns yet");
    await userEvent.click(screen.getByRole("button", { name: "New campaign" }));
    await userEvent.type(screen.getByLabelText("Name"), "Bad dates");
    await userEvent.selectOptions(screen.getByLabelText("Recurrence"), "days");
    await userEvent.clear(screen.getByLabelText("Every (days)"));
    await userEvent.type(screen.getByLabelText("Every (days)"), "0");
    await userEvent.click(screen.getByRole("button", { name: "Create draft" }));
    expect(await screen.findAllByText("must not be before start_date")).not.toHaveLength(0);
    expect(screen.getByLabelText("End date")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Every (days)")).toHaveAttribute("aria-invalid", "true");
    const post = calls.find((r) => r.method === "POST");
    expect(await post?.clone().json()).toMatchObject({ name: "Bad dates", campaign_type: "purple_team", recurrence: { every_days: 0 } });
  });

  it("imports a template file as the request body", async () => {
    const { calls } = stubApi({
      "GET /api/v1/campaigns": () => json(page([])),
      "POST /api/v1/campaigns/import": () => json({ campaign: campaign({ id: "01a228d5-1111-70c1-b894-766a41186e43" }), tests: [], hidden_tests: 0, progress: { total: 0, by_state: {}, validated: 0, percent_validated: 0, outcomes: {}, blocked: 0 } }, 201),
    });
    renderPage(<CampaignsPage />, { role: "red_lead", url: "/campaigns" });
    await userEvent.click(await screen.findByRole("button", { name: "Import template" }));
    const template = { format: "aegis.campaign-template/1", name: "Shared plan", campaign_type: "purple_team", tests: [] };
    await userEvent.upload(screen.getByLabelText("Template file (JSON)"), new File([JSON.stringify(template)], "plan.json", { type: "application/json" }));
    await userEvent.click(screen.getByRole("button", { name: "Import" }));
    await waitFor(() => expect(calls.some((r) => r.method === "POST")).toBe(true));
    const post = calls.find((r) => r.method === "POST");
    expect(await post?.clone().json()).toEqual({ template });
  });
});

describe("importBody", () => {
  it("wraps a bare template, keeps a whole request, and refuses what is not an object", () => {
    expect(importBody('{"name":"x","tests":[]}', "2027-01-04")).toEqual({ template: { name: "x", tests: [] }, start_date: "2027-01-04" });
    expect(importBody('{"template":{"name":"x"},"start_date":"2027-02-01"}', "")).toEqual({ template: { name: "x" }, start_date: "2027-02-01" });
    expect(() => importBody("[1]", "")).toThrow();
    expect(() => importBody("not json", "")).toThrow();
  });
});
