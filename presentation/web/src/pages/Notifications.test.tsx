import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { json, renderPage, stubApi } from "../test/render";
import { NotificationsPage } from "./Notifications";

const unread: Schemas["NotificationView"] = {
  id: "01a228d0-0000-7000-8000-00000000000a",
  kind: "test_submitted",
  title: "T1059 is waiting for review",
  body: "Red submitted their execution.",
  entity_type: "test",
  entity_id: "01a228d0-0000-7000-8000-0000000000ff",
  created_at: "2026-11-29T10:00:00Z",
  read_at: null,
};
const read: Schemas["NotificationView"] = { ...unread, id: "01a228d0-0000-7000-8000-00000000000b", title: "Intel update", entity_type: null, entity_id: null, read_at: "2026-11-29T11:00:00Z" };

describe("NotificationsPage", () => {
  it("links each notification to its entity and marks one read, refreshing the unread count", async () => {
    let unreadCount = 1;
    const { calls } = stubApi({
      "GET /api/v1/notifications": () => json({ items: [unread, read], total: 2, page: 1, per_page: 50 }),
      "GET /api/v1/notifications/unread-count": () => json({ unread: unreadCount }),
      [`POST /api/v1/notifications/${unread.id}/read`]: () => {
        unreadCount = 0;
        return json({ marked: 1 });
      },
    });
    renderPage(<NotificationsPage />, { role: "red_tech" });
    expect(await screen.findByRole("link", { name: "T1059 is waiting for review" })).toHaveAttribute("href", `/tests/${unread.entity_id}`);
    expect(screen.queryByRole("link", { name: "Intel update" })).not.toBeInTheDocument();
    expect(await screen.findByText("1 unread")).toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Mark “T1059 is waiting for review” read" }));
    expect(await screen.findByText("0 unread")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Mark all read" })).toBeDisabled();
    expect(calls.filter((r) => r.url.includes("/api/v1/notifications?")).length).toBeGreaterThan(1);
  });

  it("asks the server for unread ones only when the filter says so", async () => {
    const { calls } = stubApi({
      "GET /api/v1/notifications": () => json({ items: [], total: 0, page: 1, per_page: 50 }),
      "GET /api/v1/notifications/unread-count": () => json({ unread: 0 }),
    });
    renderPage(<NotificationsPage />, { url: "/notifications?unread=1" });
    expect(await screen.findByText("Nothing unread")).toBeInTheDocument();
    await waitFor(() => expect(calls.some((r) => new URL(r.url).searchParams.get("unread") === "true")).toBe(true));
  });
});
