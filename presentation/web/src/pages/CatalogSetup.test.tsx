import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { json, renderPage, stubApi } from "../test/render";
import { CatalogSetup } from "./CatalogSetup";

const source = (kind: "attack" | "sigma", overrides: Partial<Schemas["DataSourceView"]> = {}): Schemas["DataSourceView"] => ({
  kind,
  title: kind === "attack" ? "MITRE ATT&CK" : "Sigma rules",
  url: kind === "attack" ? "https://raw.githubusercontent.com/mitre-attack/attack-stix-data/master/enterprise-attack/enterprise-attack.json" : "https://github.com/SigmaHQ/sigma/releases/latest/download/sigma_all_rules.zip",
  enabled: true,
  schedule: "0 0 4 * * *",
  has_credential: false,
  licence: "Apache-2.0",
  status: "never",
  last_sync_at: null,
  last_counts: null,
  last_error: null,
  sync_requested: false,
  ...overrides,
});

describe("CatalogSetup", () => {
  it("shows the first sync's progress while the feeds come in", async () => {
    stubApi({
      "GET /api/v1/data-sources": () =>
        json([source("attack", { status: "succeeded", last_sync_at: "2026-12-07T05:00:00Z" }), source("sigma", { status: "running" })]),
    });
    renderPage(<CatalogSetup totalTechniques={0} />, { role: "viewer" });
    const status = await screen.findByRole("status");
    expect(status).toHaveTextContent("Syncing: 1 of 2 feeds done (1 succeeded), 1 to go.");
    expect(within(status).getByRole("progressbar", { name: "Feeds synced" })).toHaveAttribute("value", "1");
    expect(screen.getByRole("link", { name: "Follow each source" })).toHaveAttribute("href", "/admin/data-sources");
  });

  it("offers an offline admin the uploads, with where to download each file", async () => {
    stubApi({
      "GET /api/v1/data-sources": () =>
        json([source("attack", { status: "failed", last_error: "error sending request: dns error" }), source("sigma", { status: "failed", last_error: "dns error" })]),
    });
    renderPage(<CatalogSetup totalTechniques={0} />);
    expect(await screen.findByText("Set up the catalog")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: /enterprise-attack\.json$/ })).toHaveAttribute("href", expect.stringContaining("attack-stix-data"));
    expect(screen.getByText("Last attempt: error sending request: dns error")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Upload MITRE ATT&CK" }));
    const dialog = screen.getByRole("dialog");
    expect(within(dialog).getByLabelText("Bundle file")).toHaveAttribute("type", "file");
    expect(within(dialog).getByRole("button", { name: "Upload and import" })).toBeDisabled();
  });

  it("tells everyone else to ask an admin, and says nothing once the catalog is there", async () => {
    stubApi({ "GET /api/v1/data-sources": () => json([source("attack", { status: "failed" })]) });
    const { unmount } = renderPage(<CatalogSetup totalTechniques={0} />, { role: "red_lead" });
    expect(await screen.findByText("No ATT&CK catalog yet")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Upload/ })).not.toBeInTheDocument();
    unmount();
    const { calls } = stubApi({ "GET /api/v1/data-sources": () => json([source("attack", { status: "succeeded" })]) });
    const { container } = renderPage(<CatalogSetup totalTechniques={600} />);
    await waitFor(() => expect(calls.length).toBeGreaterThan(0));
    // Let the answer render.
    await act(() => new Promise((resolve) => setTimeout(resolve, 50)));
    expect(container).toBeEmptyDOMElement();
    expect(screen.queryByRole("status")).not.toBeInTheDocument();
  });
});
