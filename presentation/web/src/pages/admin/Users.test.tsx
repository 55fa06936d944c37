import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, renderPage, stubApi, user } from "../../test/render";
import { UsersPage } from "./Users";


const people = [user("admin"), user("red_tech", { id: "01a228d0-0000-7000-8000-000000000003", email: "red.tech@aegis.test", display_name: "Red Tech", is_active: false })];

describe("UsersPage", () => {
  it("is refused to anyone but an administrator, without asking the server", () => {
    const { calls } = stubApi({});
    renderPage(<UsersPage />, { role: "red_lead" });
    expect(screen.getByText("Only administrators can see this page")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Create user" })).not.toBeInTheDocument();
    expect(calls).toHaveLength(0);
  });

  it("lists users with the URL's filters and shows a generated password once", async () => {
    let sent: unknown = null;
    const { calls } = stubApi({
      "GET /api/v1/users": () => json({ items: people, total: 2, page: 1, per_page: 50 }),
      "POST /api/v1/users": async (request) => {
        sent = await request.json();
        if ((sent as { email: string }).email === "taken@aegis.test") {
          return json({ type: "about:blank", title: "The request is not valid", status: 422, code: "VALIDATION_FAILED", errors: [{ field: "email", message: "is already taken" }] }, 422);
        }
        return json({ ...user("blue_tech", { email: "new@aegis.test", must_change_password: true }), generated_password: "Gen#Secret-123456" }, 201);
      },
    });
    renderPage(<UsersPage />, { url: "/admin/users?role=red_tech&active=false" });
    expect(await screen.findByText("red.tech@aegis.test")).toBeInTheDocument();
    expect(screen.getByText("Deactivated", { selector: "span" })).toBeInTheDocument();
    const listed = calls.find((c) => new URL(c.url).pathname === "/api/v1/users");
    const query = new URL(listed?.url ?? "http://x").searchParams;
    expect([query.get("role"), query.get("is_active")]).toEqual(["red_tech", "false"]);

    await userEvent.click(screen.getByRole("button", { name: "Create user" }));
    const dialog = screen.getByRole("dialog");
    await userEvent.type(within(dialog).getByLabelText("Email"), "taken@aegis.test");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create user" }));
    expect(await within(dialog).findByText("is already taken", { selector: "p" })).toBeInTheDocument();

    await userEvent.clear(within(dialog).getByLabelText("Email"));
    await userEvent.type(within(dialog).getByLabelText("Email"), "new@aegis.test");
    await userEvent.selectOptions(within(dialog).getByLabelText("Role"), "blue_tech");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create user" }));
    expect(await within(dialog).findByTestId("one-time-secret")).toHaveTextContent("Gen#Secret-123456");
    expect(sent).toEqual({ email: "new@aegis.test", role: "blue_tech", display_name: null, password: null });
  });

  it("asks before deactivating and shows the server's refusal", async () => {
    stubApi({
      "GET /api/v1/users": () => json({ items: [user("admin", { id: "01a228d0-0000-7000-8000-000000000009", email: "other.admin@aegis.test" })], total: 1, page: 1, per_page: 50 }),
      "DELETE /api/v1/users/01a228d0-0000-7000-8000-000000000009": () =>
        json({ type: "about:blank", title: "The last active administrator cannot be deactivated", status: 409, code: "LAST_ADMIN" }, 409),
    });
    renderPage(<UsersPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Deactivate other.admin@aegis.test" }));
    const dialog = screen.getByRole("dialog");
    await userEvent.click(within(dialog).getByRole("button", { name: "Deactivate" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("The last active administrator cannot be deactivated");
  });

  it("creates a service account without a password and gives it a scoped API key", async () => {
    const service = user("red_lead", { id: "01a228d0-0000-7000-8000-000000000009", email: "ci@aegis.test", display_name: "CI", kind: "service" });
    let created: unknown = null;
    let key: unknown = null;
    stubApi({
      "GET /api/v1/users": () => json({ items: [user("admin"), service], total: 2, page: 1, per_page: 50 }),
      "POST /api/v1/users": async (request) => {
        created = await request.json();
        return json(service, 201);
      },
      "POST /api/v1/api-keys": async (request) => {
        key = await request.json();
        return json({ id: "k", owner_id: service.id, name: "CI key", prefix: "aegis_…", scopes: ["read"], created_by: "a", created_at: "2026-12-01T00:00:00Z", status: "active", key: "aegis_shown_once" }, 201);
      },
    });
    renderPage(<UsersPage />);
    expect(await screen.findByText("Service account")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Create user" }));
    const dialog = screen.getByRole("dialog");
    await userEvent.type(within(dialog).getByLabelText("Email"), "ci@aegis.test");
    await userEvent.click(within(dialog).getByLabelText(/Service account/));
    expect(within(dialog).queryByLabelText("Initial password")).not.toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole("button", { name: "Create user" }));
    expect(await within(dialog).findByText(/service account: it has no password/)).toBeInTheDocument();
    expect(created).toEqual({ email: "ci@aegis.test", role: "viewer", display_name: null, kind: "service" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Done" }));

    await userEvent.click(screen.getByRole("button", { name: "New API key for ci@aegis.test" }));
    const keyDialog = screen.getByRole("dialog");
    await userEvent.click(within(keyDialog).getByRole("button", { name: "Create key" }));
    expect(await within(keyDialog).findByTestId("one-time-secret")).toHaveTextContent("aegis_shown_once");
    expect(key).toEqual({ name: "CI key", scopes: ["read", "tests:write", "evidence:write"], owner_id: service.id });
  });

  it("saves the roles the two-step sign-in policy requires", async () => {
    let saved: unknown = null;
    stubApi({
      "GET /api/v1/users": () => json({ items: [user("admin")], total: 1, page: 1, per_page: 50 }),
      "GET /api/v1/mfa/policy": () => json({ required_roles: ["admin"] }),
      "PUT /api/v1/mfa/policy": async (request) => {
        saved = await request.json();
        return json(saved);
      },
    });
    renderPage(<UsersPage />);
    const form = await screen.findByRole("form", { name: "Two-step sign-in policy" });
    expect(within(form).getByLabelText("Administrator")).toBeChecked();
    await userEvent.click(within(form).getByLabelText("Viewer"));
    await userEvent.click(within(form).getByRole("button", { name: "Save policy" }));
    expect(await within(form).findByText("Saved.")).toBeInTheDocument();
    expect(saved).toEqual({ required_roles: ["admin", "viewer"] });
  });
});
