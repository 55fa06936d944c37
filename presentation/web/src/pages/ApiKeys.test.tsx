import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, renderPage, stubApi } from "../test/render";
import { ApiKeysCard } from "./ApiKeys";

const KEY = {
  id: "0190a000-0000-7000-8000-000000000001",
  owner_id: "0190a000-0000-7000-8000-000000000002",
  name: "CI",
  prefix: "aegis_…0123abcd",
  scopes: ["read", "tests:write"],
  expires_at: null,
  created_by: "0190a000-0000-7000-8000-000000000002",
  created_at: "2026-12-01T10:00:00Z",
  last_used_at: "2026-12-02T10:00:00Z",
  last_used_ip: "198.51.100.7",
  revoked_at: null,
  status: "active",
};

describe("ApiKeysCard", () => {
  it("creates a key with the chosen scopes, shows it once, and revokes one", async () => {
    let keys = [KEY];
    let sent: unknown = null;
    let revoked = "";
    stubApi({
      "GET /api/v1/api-keys": () => json(keys),
      "POST /api/v1/api-keys": async (request) => {
        sent = await request.json();
        return json({ ...KEY, id: "0190a000-0000-7000-8000-000000000003", name: "Pipeline", key: "aegis_secret" }, 201);
      },
      [`DELETE /api/v1/api-keys/${KEY.id}`]: () => {
        revoked = KEY.id;
        keys = [{ ...KEY, status: "revoked", revoked_at: "2026-12-03T10:00:00Z" as unknown as null }];
        return new Response(null, { status: 204 });
      },
    });
    renderPage(<ApiKeysCard />, { role: "red_lead" });
    const table = await screen.findByRole("table", { name: "Your API keys" });
    expect(within(table).getByText("198.51.100.7")).toBeInTheDocument();

    await userEvent.type(screen.getByLabelText("Key name"), "Pipeline");
    await userEvent.click(screen.getByRole("checkbox", { name: /evidence:write/ }));
    await userEvent.click(screen.getByRole("button", { name: "Create key" }));
    expect(await screen.findByRole("textbox", { name: "New API key" })).toHaveValue("aegis_secret");
    expect(sent).toEqual({ name: "Pipeline", scopes: ["read", "evidence:write"], expires_at: null });
    await userEvent.click(screen.getByRole("button", { name: "I have copied it" }));
    expect(screen.queryByRole("textbox", { name: "New API key" })).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Revoke CI" }));
    expect(await screen.findByText("revoked")).toBeInTheDocument();
    expect(revoked).toBe(KEY.id);
  });

  it("shows the field the server refuses", async () => {
    stubApi({
      "GET /api/v1/api-keys": () => json([]),
      "POST /api/v1/api-keys": () =>
        json({ type: "about:blank", title: "The request is not valid", status: 422, code: "VALIDATION_FAILED", errors: [{ field: "name", message: "must be 1 to 120 characters" }] }, 422),
    });
    renderPage(<ApiKeysCard />, { role: "viewer" });
    expect(await screen.findByText("You have no API keys.")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Create key" }));
    expect(await screen.findByText("must be 1 to 120 characters", { selector: "p" })).toBeInTheDocument();
  });
});
