import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { json, renderPage, stubApi, user } from "../test/render";
import { test as testView } from "./campaigns/fixtures";
import { FindingDetailPage, FindingsPage, SarifImport } from "./Findings";
import type { Role } from "../api/enums";


const ID = "01a228d5-236d-71ae-8225-464470eb4322";
const ME = user("blue_tech").id;
const OWNER = "01a228ce-0000-7000-8000-0000000000d1";

function finding(overrides: Partial<Schemas["FindingResponse"]> = {}): Schemas["FindingResponse"] {
  return {
    id: ID,
    kind: "test_gap",
    vulnerability: null,
    test_id: "01a228d5-22b6-7557-bdf2-5d5529c218d8",
    technique_id: "T1003.001",
    campaign_id: null,
    title: "T1003.001 not detected: LSASS dump",
    outcome: "not_detected",
    severity: "critical",
    status: "open",
    owner_id: null,
    due_on: "2026-11-20",
    overdue: true,
    steps: [],
    risk_acceptance: null,
    acceptance_expired: false,
    retest_id: null,
    last_retest_outcome: null,
    resolved_at: null,
    version: 4,
    created_at: "2026-11-01T10:00:00Z",
    updated_at: "2026-11-01T10:00:00Z",
    ...overrides,
  };
}

const list = (items: Schemas["FindingResponse"][]) => ({ items, total: items.length, page: 1, per_page: 25 });
const noCampaigns = () => json({ items: [], total: 0, page: 1, per_page: 200 });
const renderDetail = (role: Role) => renderPage(<FindingDetailPage />, { role, url: `/findings/${ID}`, pattern: "/findings/:id" });

describe("FindingsPage", () => {
  it("lists findings with badges, the overdue due date, and the URL's filters in the query and the CSV link", async () => {
    const { calls } = stubApi({
      "GET /api/v1/users/directory": () => json([{ id: OWNER, display_name: "Dana Blue", role: "blue_lead", is_active: true }]),
      "GET /api/v1/findings": () => json(list([finding({ owner_id: OWNER }), finding({ id: "01a228d5-0000-71ae-8225-464470eb4323", title: "T1110.003 logged: spraying", severity: "medium", status: "in_remediation", overdue: false, due_on: "2027-01-10", outcome: "logged" })])),
      "GET /api/v1/campaigns": noCampaigns,
    });
    renderPage(<FindingsPage />, { role: "viewer", url: "/findings?severity=critical&overdue=true&technique_id=T1003.001" });
    const overdueRow = (await screen.findByRole("link", { name: "T1003.001 not detected: LSASS dump" })).closest("tr") as HTMLElement;
    expect(within(overdueRow).getByText("Critical")).toBeInTheDocument();
    expect(within(overdueRow).getByText("Overdue")).toBeInTheDocument();
    expect(await within(overdueRow).findByText("Dana Blue")).toBeInTheDocument();
    const otherRow = screen.getByRole("link", { name: "T1110.003 logged: spraying" }).closest("tr") as HTMLElement;
    expect(within(otherRow).queryByText("Overdue")).not.toBeInTheDocument();
    expect(within(otherRow).getByText("In remediation")).toBeInTheDocument();

    const query = new URL(calls.find((r) => r.url.includes("/findings"))?.url ?? "").searchParams;
    expect(query.get("severity")).toBe("critical");
    expect(query.get("overdue")).toBe("true");
    expect(query.get("technique_id")).toBe("T1003.001");
    const csv = new URL(screen.getByRole("link", { name: "Export CSV" }).getAttribute("href") ?? "", "http://x");
    expect(csv.pathname).toBe("/api/v1/exports/findings");
    expect(csv.searchParams.get("severity")).toBe("critical");
    expect(csv.searchParams.get("overdue")).toBe("true");
    expect(csv.searchParams.get("format")).toBe("csv");
  });
});

describe("FindingDetailPage", () => {
  it("gives a viewer no action", async () => {
    stubApi({ [`GET /api/v1/findings/${ID}`]: () => json(finding({ steps: [{ id: "s1", title: "Enable RunAsPPL", status: "todo", notes: "", updated_at: "2026-11-02T10:00:00Z", assignee_id: null }] })) });
    renderDetail("viewer");
    await screen.findByRole("heading", { name: "T1003.001 not detected: LSASS dump" });
    expect(screen.getByText("1. Enable RunAsPPL")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Accept risk|Request retest|Start remediation|Update|Add step|Save/ })).not.toBeInTheDocument();
  });

  it("lets the assignee of a step report progress, but nothing else", async () => {
    const { calls } = stubApi({
      [`GET /api/v1/findings/${ID}`]: () =>
        json(
          finding({
            steps: [
              { id: "s1", title: "Enable RunAsPPL", status: "todo", notes: "", updated_at: "2026-11-02T10:00:00Z", assignee_id: ME },
              { id: "s2", title: "Alert on LSASS access", status: "todo", notes: "", updated_at: "2026-11-02T10:00:00Z", assignee_id: null },
            ],
          }),
        ),
      [`PATCH /api/v1/findings/${ID}/steps/s1`]: () => json(finding()),
    });
    renderDetail("blue_tech");
    await screen.findByText("1. Enable RunAsPPL");
    expect(screen.getAllByRole("button", { name: "Update" })).toHaveLength(1);
    expect(screen.queryByRole("button", { name: /Delete|Accept risk|Request retest/ })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Update" }));
    expect(screen.queryByLabelText("Assignee")).not.toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText("Step status"), "in_progress");
    await userEvent.type(screen.getByLabelText("Notes"), "GPO staged");
    await userEvent.click(screen.getByRole("button", { name: "Save step" }));
    await waitFor(() => expect(calls.some((r) => r.method === "PATCH")).toBe(true));
    expect(await calls.find((r) => r.method === "PATCH")?.clone().json()).toEqual({ status: "in_progress", notes: "GPO staged" });
  });

  it("shows the server's reason when accepting the risk is refused", async () => {
    stubApi({
      [`GET /api/v1/findings/${ID}`]: () => json(finding()),
      [`POST /api/v1/findings/${ID}/accept-risk`]: () =>
        json({ type: "about:blank", title: "The request is not valid", status: 422, code: "VALIDATION_FAILED", errors: [{ field: "expires_on", message: "the expiry must be after today" }] }, 422),
    });
    renderDetail("red_lead");
    await userEvent.click(await screen.findByRole("button", { name: "Accept risk" }));
    const dialog = within(screen.getByRole("dialog"));
    await userEvent.type(dialog.getByLabelText("Reason"), "Legacy hosts until the migration");
    const expires = dialog.getByLabelText("Expires on");
    // The min attribute would stop a browser; the server's refusal is what this checks.
    expires.removeAttribute("min");
    await userEvent.type(expires, "2030-01-01");
    await userEvent.click(dialog.getByRole("button", { name: "Accept risk" }));
    expect(await dialog.findAllByText("the expiry must be after today")).not.toHaveLength(0);
    expect(dialog.getByLabelText("Expires on")).toHaveAttribute("aria-invalid", "true");
  });

  it("requests a retest and links to the new test", async () => {
    const retest = { id: "01a228d9-0000-7000-8000-000000000099", title: "Retest: LSASS dump" };
    stubApi({
      [`GET /api/v1/findings/${ID}`]: () => json(finding()),
      [`POST /api/v1/findings/${ID}/retest`]: () =>
        json({ finding: finding({ status: "awaiting_retest", retest_id: retest.id }), retest: testView(retest.id, retest.title, { campaign_id: null }) }, 201),
    });
    renderDetail("admin");
    expect(await screen.findByRole("button", { name: "Start remediation" })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Request retest" }));
    expect(await screen.findByRole("link", { name: "Retest: LSASS dump" })).toHaveAttribute("href", `/tests/${retest.id}`);
    expect(screen.getByText("Awaiting retest")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Request retest" })).not.toBeInTheDocument();
  });
});

const VULNERABILITY: Schemas["VulnerabilityView"] = {
  scanner: "Trivy",
  scanner_version: "0.57.1",
  scope: "Trivy",
  fingerprint: "ab".repeat(32),
  rule_id: "CVE-2021-44228",
  rule_name: "log4j-core: Remote code execution",
  message: "Package: log4j-core 2.14.1",
  location: { uri: "app/pom.xml", line: 42 },
  cves: ["CVE-2021-44228"],
  cwes: ["CWE-502"],
  security_severity: 10,
  scanner_severity: "critical",
  guidance: "Upgrade log4j-core to 2.15.0 or later.",
  techniques: ["T1059", "T1190"],
};

describe("SarifImport", () => {
  it("uploads the chosen file as multipart and shows the counts and the skipped results", async () => {
    const { calls } = stubApi({
      "POST /api/v1/findings/import/sarif": () =>
        json({ created: 3, updated: 1, unchanged: 2, resolved: 1, results_skipped: 1, skipped: [{ run: 0, index: 3, rule_id: "generic.secret", reason: "suppressed in the scanner" }] }),
    });
    renderPage(<SarifImport />, { role: "blue_lead" });
    const button = screen.getByRole("button", { name: "Import SARIF" });
    expect(button).toBeDisabled();
    await userEvent.upload(screen.getByLabelText(/Scanner results/), new File(['{"version":"2.1.0","runs":[]}'], "scan.sarif", { type: "application/json" }));
    await userEvent.click(button);
    const status = await screen.findByRole("status");
    expect(status).toHaveTextContent("3 created · 1 updated · 2 unchanged · 1 resolved · 1 skipped");
    expect(status).toHaveTextContent("generic.secret: suppressed in the scanner");
    const sent = calls.find((r) => r.url.endsWith("/findings/import/sarif"));
    expect(sent?.headers.get("content-type")).toMatch(/^multipart\/form-data/);
  });

  it("shows why a file was refused", async () => {
    stubApi({
      "POST /api/v1/findings/import/sarif": () =>
        json({ type: "about:blank", title: "Invalid", status: 422, code: "VALIDATION_FAILED", errors: [{ field: "file", message: "version: is missing" }] }, 422),
    });
    renderPage(<SarifImport />, { role: "admin" });
    await userEvent.upload(screen.getByLabelText(/Scanner results/), new File(["{}"], "scan.sarif"));
    await userEvent.click(screen.getByRole("button", { name: "Import SARIF" }));
    expect(await screen.findByText(/version: is missing/)).toBeInTheDocument();
  });
});

describe("Vulnerability findings", () => {
  it("lists the kind with a filter, and a viewer gets no import", async () => {
    const { calls } = stubApi({
      "GET /api/v1/users/directory": () => json([]),
      "GET /api/v1/findings": () => json(list([finding({ kind: "vulnerability", test_id: null, outcome: null, title: "log4shell in app/pom.xml:42", vulnerability: VULNERABILITY })])),
      "GET /api/v1/campaigns": noCampaigns,
    });
    renderPage(<FindingsPage />, { role: "viewer", url: "/findings?kind=vulnerability" });
    const row = (await screen.findByRole("link", { name: "log4shell in app/pom.xml:42" })).closest("tr") as HTMLElement;
    expect(within(row).getAllByText("Vulnerability").length).toBeGreaterThan(0);
    expect(within(row).getByText("Trivy")).toBeInTheDocument();
    expect(new URL(calls.find((r) => r.url.includes("/findings"))?.url ?? "").searchParams.get("kind")).toBe("vulnerability");
    expect(screen.queryByRole("button", { name: "Import SARIF" })).not.toBeInTheDocument();
  });

  it("shows the scanner, rule, location, CVE, CWE and guidance, and offers to record it fixed instead of a retest", async () => {
    stubApi({
      [`GET /api/v1/findings/${ID}`]: () => json(finding({ kind: "vulnerability", test_id: null, outcome: null, technique_id: "T1059", title: "log4shell", vulnerability: VULNERABILITY })),
      "GET /api/v1/users/directory": () => json([]),
    });
    renderDetail("blue_lead");
    await screen.findByRole("heading", { name: "log4shell" });
    expect(screen.getByText("Trivy 0.57.1")).toBeInTheDocument();
    expect(screen.getByText("log4j-core: Remote code execution (CVE-2021-44228)")).toBeInTheDocument();
    expect(screen.getByText("app/pom.xml:42")).toBeInTheDocument();
    expect(screen.getByText("CWE-502")).toBeInTheDocument();
    expect(screen.getByText("10.0 (Critical)")).toBeInTheDocument();
    expect(screen.getByText("Upgrade log4j-core to 2.15.0 or later.")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Record fixed" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Request retest" })).not.toBeInTheDocument();
  });
});
