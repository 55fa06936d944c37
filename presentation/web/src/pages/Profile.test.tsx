import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, renderPage, stubApi, user } from "../test/render";
import { ProfilePage } from "./Profile";

describe("ProfilePage", () => {
  it("shows the account and saves the preferences it edits", async () => {
    const me = user("blue_lead", { email: "blue.lead@aegis.test", display_name: "Blue Lead", preferences: {} });
    let saved: unknown = null;
    stubApi({
      "GET /api/v1/users/me": () => json(me),
      "GET /api/v1/auth/me": () => json(me),
      "PATCH /api/v1/users/me/preferences": async (request) => {
        saved = await request.json();
        return json({ ...me, preferences: saved });
      },
    });
    renderPage(<ProfilePage />, { role: "blue_lead" });
    expect(await screen.findByText("blue.lead@aegis.test")).toBeInTheDocument();
    expect(screen.getByText("Blue lead")).toBeInTheDocument();
    expect(screen.getByLabelText("New password")).toBeInTheDocument();

    await userEvent.selectOptions(screen.getByLabelText("Rows per page in lists"), "100");
    await userEvent.selectOptions(screen.getByLabelText("Colour heatmap cells by"), "status");
    await userEvent.click(screen.getByRole("button", { name: "Save preferences" }));
    expect(await screen.findByText("Saved.")).toBeInTheDocument();
    expect(saved).toEqual({ per_page: 100, heatmap_color_by: "status" });
  });

  it("shows the field the server refuses in a password change", async () => {
    stubApi({
      "GET /api/v1/users/me": () => json(user("viewer")),
      "POST /api/v1/auth/change-password": () =>
        json({ type: "about:blank", title: "The request is not valid", status: 422, code: "VALIDATION_FAILED", errors: [{ field: "current_password", message: "is not your password" }] }, 422),
    });
    renderPage(<ProfilePage />, { role: "viewer" });
    await userEvent.type(await screen.findByLabelText("Current password"), "wrong");
    await userEvent.type(screen.getByLabelText("New password"), "Another#Pass-2027");
    await userEvent.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText("is not your password", { selector: "p" })).toBeInTheDocument();
  });
});
