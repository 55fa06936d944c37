import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, renderPage, stubApi } from "../test/render";
import { SessionsCard } from "./Sessions";

const CURRENT = {
  id: "0190a000-0000-7000-8000-000000000011",
  created_at: "2026-12-01T10:00:00Z",
  last_seen_at: "2026-12-02T10:00:00Z",
  expires_at: "2026-12-15T10:00:00Z",
  client_ip: "198.51.100.7",
  user_agent: "Firefox/140",
  current: true,
};
const PHONE = { ...CURRENT, id: "0190a000-0000-7000-8000-000000000012", client_ip: "203.0.113.9", user_agent: "Phone app", current: false };
const TABLET = { ...CURRENT, id: "0190a000-0000-7000-8000-000000000013", client_ip: null, user_agent: "Tablet", current: false };

describe("SessionsCard", () => {
  it("lists the sessions, marks this one, and ends one then the others", async () => {
    let sessions = [CURRENT, PHONE, TABLET];
    let ended = "";
    let endedOthers = false;
    stubApi({
      "GET /api/v1/auth/sessions": () => json(sessions),
      [`DELETE /api/v1/auth/sessions/${PHONE.id}`]: () => {
        ended = PHONE.id;
        sessions = [CURRENT, TABLET];
        return new Response(null, { status: 204 });
      },
      "DELETE /api/v1/auth/sessions": () => {
        endedOthers = true;
        sessions = [CURRENT];
        return json({ ended: 1 });
      },
    });
    renderPage(<SessionsCard />, { role: "viewer" });
    const table = await screen.findByRole("table", { name: "Your sessions" });
    expect(within(table).getByText("203.0.113.9")).toBeInTheDocument();
    expect(within(table).getByText("this session")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "End the session of Firefox/140" })).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "End the session of Phone app" }));
    expect(await screen.findByRole("button", { name: "End the session of Tablet" })).toBeInTheDocument();
    expect(screen.queryByText("Phone app")).not.toBeInTheDocument();
    expect(ended).toBe(PHONE.id);

    await userEvent.click(screen.getByRole("button", { name: "End all other sessions" }));
    expect(await screen.findByText("Firefox/140")).toBeInTheDocument();
    await screen.findByText(/this session/);
    expect(endedOthers).toBe(true);
    expect(screen.queryByRole("button", { name: "End all other sessions" })).not.toBeInTheDocument();
  });
});
