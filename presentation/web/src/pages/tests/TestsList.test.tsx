import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, renderPage, stubApi, type Routes } from "../../test/render";
import { testView } from "./fixtures";
import { TestsPage } from "./TestsList";

const base: Routes = {
  "GET /api/v1/tactics": () => json([{ mitre_id: "TA0006", name: "Credential Access", shortname: "credential-access", description: "", matrix_order: 7 }]),
  "GET /api/v1/campaigns": () => json({ items: [], total: 0, page: 1, per_page: 200 }),
};


describe("TestsPage", () => {
  it("lists the tests with the filters from the URL", async () => {
    const { calls } = stubApi({
      ...base,
      "GET /api/v1/tests": () => json({ items: [testView({ state: "validated", blue: { ...testView().blue, outcome: "detected" } })], total: 1, page: 1, per_page: 25 }),
    });
    renderPage(<TestsPage />, { role: "viewer", url: "/tests?state=validated&tactic=credential-access" });
    const link = await screen.findByRole("link", { name: "LSASS dump with ProcDump" });
    expect(link).toHaveAttribute("href", `/tests/${testView().id}`);
    expect(screen.getByRole("link", { name: "T1003.001" })).toHaveAttribute("href", "/techniques/T1003.001");
    expect(within(screen.getByRole("table")).getByText("Detected")).toBeInTheDocument();
    const listCall = calls.find((r) => new URL(r.url).pathname === "/api/v1/tests");
    const query = new URL(listCall?.url ?? "http://x").searchParams;
    expect(query.get("state")).toBe("validated");
    expect(query.get("tactic")).toBe("credential-access");
    expect(screen.getByRole("link", { name: "Export CSV" })).toHaveAttribute("href", "/api/v1/exports/tests?state=validated&tactic=credential-access");
    // A viewer plans nothing.
    expect(screen.queryByRole("button", { name: "New test" })).not.toBeInTheDocument();
  });

  it("hides New test from operators", async () => {
    stubApi({ ...base, "GET /api/v1/tests": () => json({ items: [], total: 0, page: 1, per_page: 25 }) });
    renderPage(<TestsPage />, { role: "red_tech", url: "/tests" });
    expect(await screen.findByText("No tests match these filters")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "New test" })).not.toBeInTheDocument();
  });

  it("shows the server's field problems under the new test's inputs", async () => {
    stubApi({
      ...base,
      "GET /api/v1/tests": () => json({ items: [], total: 0, page: 1, per_page: 25 }),
      "POST /api/v1/tests": () =>
        json(
          {
            type: "about:blank",
            title: "The request is not valid",
            status: 422,
            code: "VALIDATION_FAILED",
            errors: [{ field: "technique_id", message: "`TXX` is not an ATT&CK technique id" }],
          },
          422,
        ),
    });
    renderPage(<TestsPage />, { role: "blue_lead", url: "/tests" });
    await userEvent.click(await screen.findByRole("button", { name: "New test" }));
    const dialog = screen.getByRole("dialog");
    await userEvent.type(within(dialog).getByLabelText("Title"), "A test");
    await userEvent.type(within(dialog).getByLabelText("Technique"), "TXX");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create test" }));
    expect(await within(dialog).findByText("`TXX` is not an ATT&CK technique id")).toBeInTheDocument();
    expect(within(dialog).getByLabelText("Technique")).toHaveAttribute("aria-invalid", "true");
  });

  it("shows a board with a column per state", async () => {
    stubApi({
      ...base,
      "GET /api/v1/tests": (request) => {
        const state = new URL(request.url).searchParams.get("state");
        return json(state === "disputed" ? { items: [testView({ state: "disputed", title: "Contested one" })], total: 1, page: 1, per_page: 20 } : { items: [], total: 0, page: 1, per_page: 20 });
      },
    });
    renderPage(<TestsPage />, { role: "viewer", url: "/tests?view=board" });
    const disputed = await screen.findByRole("region", { name: "Disputed" });
    expect(await within(disputed).findByRole("link", { name: "Contested one" })).toBeInTheDocument();
    expect(screen.getAllByRole("region")).toHaveLength(7);
    expect(screen.queryByRole("table")).not.toBeInTheDocument();
  });
});
