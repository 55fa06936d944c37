import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../api/client";
import { json, renderPage, stubApi, user } from "../../test/render";
import { AuditPage } from "./Audit";

const admin = user("admin");
const entry: Schemas["AuditEntryResponse"] = {
  id: "01a228d0-0000-7000-8000-0000000000c1",
  sequence: 49,
  actor_id: admin.id,
  action: "test.validate-red",
  entity_type: "test",
  entity_id: "01a228d0-2a29-726e-b2e6-4f8e38d298f2",
  details: {},
  client_ip: "127.0.0.1",
  occurred_at: "2026-11-29T19:37:54Z",
  previous_hash: "c894a829",
  hash: "6632cb2ca169d0e9b5ddb4127278e40f",
};

function routes(verify: Schemas["ChainVerificationResponse"]) {
  return {
    "GET /api/v1/users": () => json({ items: [admin], total: 1, page: 1, per_page: 200 }),
    "GET /api/v1/audit-logs": () => json({ items: [entry], total: 1, page: 1, per_page: 50 }),
    "GET /api/v1/audit-logs/verify": () => json(verify),
  };
}

describe("AuditPage", () => {
  it("lists entries with their actor and a link to the entity, filtered by the URL", async () => {
    const { calls } = stubApi(routes({ intact: true, entries_checked: 50, head_sequence: 50 }));
    renderPage(<AuditPage />, { url: "/admin/audit?action=test.validate-red&from=2026-11-01" });
    expect(await screen.findByRole("link", { name: entry.entity_id ?? "" })).toHaveAttribute("href", `/tests/${entry.entity_id}`);
    expect(screen.getByText(admin.email, { selector: "td" })).toBeInTheDocument();
    const query = new URL(calls.find((r) => r.url.includes("/audit-logs?"))?.url ?? "http://x").searchParams;
    expect(query.get("action")).toBe("test.validate-red");
    expect(query.get("from")).toBe(new Date("2026-11-01T00:00:00").toISOString());
  });

  it("says where the chain is broken", async () => {
    stubApi(routes({ intact: false, entries_checked: 31, head_sequence: 50, broken_at_sequence: 31, problem: "entry 31's hash does not match its content" }));
    renderPage(<AuditPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Verify chain" }));
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("Chain broken at sequence 31"));
    expect(screen.getByRole("alert")).toHaveTextContent("entry 31's hash does not match its content");
  });

  it("says how many entries an intact chain has", async () => {
    stubApi(routes({ intact: true, entries_checked: 50, head_sequence: 50 }));
    renderPage(<AuditPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Verify chain" }));
    expect(await screen.findByText(/50 entries checked, up to sequence 50/)).toBeInTheDocument();
  });
});
