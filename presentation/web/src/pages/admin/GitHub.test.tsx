import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../api/client";
import { json, renderPage, stubApi } from "../../test/render";
import { GithubSettingsPage } from "./GitHub";

const unset: Schemas["GithubConfigView"] = {
  configured: false,
  api_url: null,
  repositories: [],
  active: false,
  check_name: null,
  token_set: false,
  webhook_secret_set: false,
  service_user: null,
  webhook_path: "/api/v1/integrations/github/webhook",
  updated_by: null,
  updated_at: null,
};

const saved: Schemas["GithubConfigView"] = {
  ...unset,
  configured: true,
  api_url: "https://api.github.com",
  repositories: ["acme/detections"],
  active: true,
  check_name: "Aegis detection scan",
  token_set: true,
  webhook_secret_set: true,
  service_user: "01a25098-0000-7000-8000-0000000000e1",
  updated_by: "01a25098-0000-7000-8000-0000000000f1",
  updated_at: "2026-12-08T00:30:00Z",
};

const scanned: Schemas["GithubDeliveryView"] = {
  delivery_id: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
  event: "pull_request",
  action: "opened",
  repository: "acme/detections",
  pull_request: 7,
  head_sha: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
  result: "scanned",
  scan_id: "01a25098-0000-7000-8000-0000000000c1",
  error: null,
  received_at: "2026-12-08T00:31:00Z",
};

const failed: Schemas["GithubDeliveryView"] = {
  ...scanned,
  delivery_id: "c0ffee00-cc7a-11e3-9c1a-4c9367dc0958",
  result: "failed",
  scan_id: null,
  error: "GitHub answered HTTP 503: Service Unavailable",
};

describe("GithubSettingsPage", () => {
  it("names a refused repository, saves with the secrets write-only, and lists deliveries with their scans", async () => {
    let puts = 0;
    const { calls } = stubApi({
      "GET /api/v1/integrations/github": () => json(unset),
      "GET /api/v1/integrations/github/deliveries": () => json({ items: [scanned, failed] }),
      "PUT /api/v1/integrations/github": () =>
        ++puts === 1
          ? json(
              {
                type: "about:blank",
                title: "The request is not valid",
                status: 422,
                code: "VALIDATION_FAILED",
                errors: [{ field: "repositories[1]", message: "`acme` is not a GitHub repository name (owner/name)" }],
              },
              422,
            )
          : json(saved),
    });
    renderPage(<GithubSettingsPage />);
    const form = await screen.findByRole("form", { name: "GitHub settings" });
    expect(within(form).getByText("Required the first time.")).toBeInTheDocument();
    await userEvent.type(within(form).getByLabelText("Token"), "ghp_secretToken");
    await userEvent.type(within(form).getByLabelText("Webhook secret"), "a-webhook-secret-of-some-length");
    await userEvent.type(within(form).getByLabelText("Repositories (owner/name, one per line)"), "acme/detections{enter}acme");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(await within(form).findByText(/Line 2: `acme` is not a GitHub repository name/)).toBeInTheDocument();

    await userEvent.clear(within(form).getByLabelText("Repositories (owner/name, one per line)"));
    await userEvent.type(within(form).getByLabelText("Repositories (owner/name, one per line)"), "acme/detections");
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(await screen.findByText("A token is stored; leave empty to keep it.")).toBeInTheDocument();
    expect(screen.getByLabelText("Token")).toHaveValue("");
    const sent = calls.filter((c) => c.method === "PUT")[1];
    if (!sent) throw new Error("no second PUT");
    expect(await sent.clone().json()).toMatchObject({
      api_url: "https://api.github.com",
      token: "ghp_secretToken",
      webhook_secret: "a-webhook-secret-of-some-length",
      repositories: ["acme/detections"],
      active: true,
    });

    const table = await screen.findByRole("table", { name: "GitHub deliveries" });
    expect(within(table).getByText("scanned")).toBeInTheDocument();
    expect(within(table).getByRole("link", { name: "Scan 01a25098" })).toHaveAttribute("href", `/scans/${scanned.scan_id}`);
    expect(within(table).getByText("GitHub answered HTTP 503: Service Unavailable")).toBeInTheDocument();
  });
});
