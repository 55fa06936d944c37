import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, renderPage, stubApi, user } from "../../test/render";
import { TenantsPage } from "./Tenants";

const DEFAULT = {
  id: "0190a000-0000-7000-8000-000000000021",
  slug: "default",
  name: "Default",
  created_at: "2026-12-01T10:00:00Z",
  disabled_at: null,
  status: "active",
};
const ACME = { ...DEFAULT, id: "0190a000-0000-7000-8000-000000000022", slug: "acme", name: "Acme Corp" };

describe("TenantsPage", () => {
  it("creates a tenant, shows its admin's password once, and disables it", async () => {
    let tenants = [DEFAULT];
    let sent: unknown = null;
    stubApi({
      "GET /api/v1/platform/tenants": () => json(tenants),
      "POST /api/v1/platform/tenants": async (request) => {
        sent = await request.json();
        tenants = [ACME, DEFAULT];
        return json({ tenant: ACME, admin: user("admin", { email: "admin@acme.test" }), admin_password: "Generated#Once-1" }, 201);
      },
      [`POST /api/v1/platform/tenants/${ACME.id}/disable`]: () => {
        tenants = [{ ...ACME, status: "disabled", disabled_at: "2026-12-03T10:00:00Z" as unknown as null }, DEFAULT];
        return json(tenants[0]);
      },
    });
    renderPage(<TenantsPage />);
    await screen.findByRole("table", { name: "Tenants" });
    await userEvent.type(screen.getByLabelText("Slug"), "acme");
    await userEvent.type(screen.getByLabelText("Name"), "Acme Corp");
    await userEvent.type(screen.getByLabelText("First admin's email"), "admin@acme.test");
    await userEvent.click(screen.getByRole("button", { name: "Create tenant" }));
    expect(await screen.findByTestId("one-time-secret")).toHaveTextContent("Generated#Once-1");
    expect(sent).toEqual({ slug: "acme", name: "Acme Corp", admin_email: "admin@acme.test" });

    const table = screen.getByRole("table", { name: "Tenants" });
    expect(await within(table).findByText("Acme Corp")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Disable Acme Corp" }));
    expect(await screen.findByRole("button", { name: "Enable Acme Corp" })).toBeInTheDocument();
    expect(within(table).getByText("disabled")).toBeInTheDocument();
  });

  it("tells a tenant admin the page is for operators", async () => {
    stubApi({
      "GET /api/v1/platform/tenants": () =>
        json({ type: "about:blank", title: "Forbidden", status: 403, code: "PLATFORM_OPERATOR_REQUIRED" }, 403),
    });
    renderPage(<TenantsPage />);
    expect(await screen.findByText("Only platform operators can see this page")).toBeInTheDocument();
  });
});
