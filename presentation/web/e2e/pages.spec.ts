import AxeBuilder from "@axe-core/playwright";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { ACCOUNTS, PASSWORD, signIn, snap, type Account } from "./accounts";

async function token(request: APIRequestContext, account: Account): Promise<string> {
  const login = await request.post("/api/v1/auth/login", { data: { email: ACCOUNTS[account], password: PASSWORD } });
  expect(login.ok()).toBe(true);
  return ((await login.json()) as { access_token: string }).access_token;
}

async function call(request: APIRequestContext, bearer: string, method: "GET" | "POST" | "PATCH", path: string, data?: unknown): Promise<Record<string, unknown>> {
  const response = await request.fetch(path, { method, headers: { authorization: `Bearer ${bearer}` }, ...(data !== undefined && { data }) });
  expect(response.ok(), `${method} ${path}: ${await response.text()}`).toBe(true);
  return (await response.json()) as Record<string, unknown>;
}

/** A campaign with a test that blue missed: a finding, a timeline, progress to show. */
async function seed(request: APIRequestContext): Promise<{ campaign: string; test: string; finding: string }> {
  const red = await token(request, "redLead");
  const blue = await token(request, "blueLead");
  const campaign = await call(request, red, "POST", "/api/v1/campaigns", { name: "Q4 purple exercise", campaign_type: "purple_team", objective: "Prove execution coverage" });
  const created = await call(request, red, "POST", "/api/v1/tests", { title: "Encoded PowerShell", technique_id: "T1059.001", platform: "Windows" });
  const test = String(created["id"]);
  const campaignId = String(campaign["id"]);
  await call(request, red, "POST", `/api/v1/campaigns/${campaignId}/tests`, { test_id: test });
  await call(request, red, "POST", `/api/v1/campaigns/${campaignId}/activate`, {});
  const step = async (bearer: string, action: string, body: Record<string, unknown> = {}) => {
    const current = await call(request, bearer, "GET", `/api/v1/tests/${test}`);
    return call(request, bearer, "POST", `/api/v1/tests/${test}/${action}`, { ...body, version: current["version"] });
  };
  await step(red, "start-execution");
  let current = await call(request, red, "GET", `/api/v1/tests/${test}`);
  await call(request, red, "PATCH", `/api/v1/tests/${test}/red`, { version: current["version"], executed_at: "2026-11-29T09:00:00Z", command: "powershell -enc SQBFAFgA", result_summary: "Ran unnoticed." });
  await step(red, "submit-red");
  current = await call(request, blue, "GET", `/api/v1/tests/${test}`);
  await call(request, blue, "PATCH", `/api/v1/tests/${test}/blue`, { version: current["version"], outcome: "not_detected", notes: "Nothing in the EDR." });
  await step(blue, "submit-blue");
  await step(red, "validate-red", { verdict: "approve" });
  await step(blue, "validate-blue", { verdict: "approve" });
  const findings = await call(request, blue, "GET", `/api/v1/findings?technique_id=T1059.001`);
  const items = findings["items"] as { id: string }[];
  expect(items.length).toBeGreaterThan(0);
  return { campaign: campaignId, test, finding: items[0]?.id ?? "" };
}

test("every page renders for an admin, with no error on screen", async ({ page, request }) => {
  const ids = await seed(request);
  const actors = await call(request, await token(request, "admin"), "GET", "/api/v1/threat-actors");
  const actor = (actors["items"] as { stix_id: string }[])[0]?.stix_id ?? "";
  const rules = await call(request, await token(request, "admin"), "GET", "/api/v1/detection-rules");
  const rule = (rules["items"] as { id: string }[])[0]?.id;
  const scan = await call(request, await token(request, "blueLead"), "POST", "/api/v1/scans", {
    diff: "diff --git a/rules/a.yml b/rules/a.yml\n--- a/rules/a.yml\n+++ b/rules/a.yml\n@@ -1,2 +1,2 @@\n level: high\n-title: Old\n+title: New\n",
    repository: "acme/detections",
  });
  const pages: [string, string, RegExp][] = [
    ["dashboard", "/", /Dashboard/],
    ["heatmap", "/heatmap", /ATT&CK heatmap/],
    ["techniques", "/techniques", /Techniques/],
    ["technique-detail", "/techniques/T1059.001", /PowerShell/],
    ["tests", "/tests", /Tests/],
    ["tests-board", "/tests?view=board", /Tests/],
    ["test-detail", `/tests/${ids.test}`, /Encoded PowerShell/],
    ["campaigns", "/campaigns", /Campaigns/],
    ["campaign-detail", `/campaigns/${ids.campaign}`, /Q4 purple exercise/],
    ["threat-actors", "/threat-actors", /Threat actors/],
    ["threat-actor-detail", `/threat-actors/${encodeURIComponent(actor)}`, /.+/],
    ["findings", "/findings", /Findings/],
    ["alerts", "/alerts", /Alerts/],
    ["scans", "/scans", /Scans/],
    ["scan-detail", `/scans/${String(scan["id"])}`, /Scan of acme\/detections/],
    ["scan-policy", "/scans/policy", /Scan policy/],
    ["finding-detail", `/findings/${ids.finding}`, /.+/],
    ["detection-rules", "/detection-rules", /Detection rules/],
    ...(rule ? ([["detection-rule", `/detection-rules/${rule}`, /.+/]] as [string, string, RegExp][]) : []),
    ["templates", "/templates", /Test templates|Templates/],
    ["detection-assets", "/detection-assets", /Detection assets/],
    ["detection-lifecycle", "/detection-lifecycle", /Detection lifecycle/],
    ["infrastructure-changes", "/infrastructure-changes", /Infrastructure changes/],
    ["risk", "/risk", /Risk/],
    ["intelligence", "/intelligence", /Intelligence/],
    ["knowledge", "/knowledge", /Knowledge/],
    ["compliance", "/compliance", /Compliance/],
    ["reports", "/reports", /Reports/],
    ["notifications", "/notifications", /Notifications/],
    ["profile", "/profile", /profile/i],
    ["admin-users", "/admin/users", /Users/],
    ["admin-data-sources", "/admin/data-sources", /Data sources/],
    ["admin-jobs", "/admin/jobs", /Jobs/],
    ["admin-audit", "/admin/audit", /Audit log/],
    ["admin-webhooks", "/admin/webhooks", /Webhooks/],
    ["not-found", "/no/such/page", /.*/],
  ];
  // Each page gets its own budget (an axe audit of a large page takes seconds on a loaded machine),
  // so the walk's limit grows with the pages instead of failing when one is added.
  test.setTimeout(pages.length * 15_000);
  await signIn(page, "admin");
  const failures: string[] = [];
  const inaccessible: string[] = [];
  const cramped: string[] = [];
  page.on("pageerror", (error) => failures.push(`${page.url()}: ${error.message}`));
  for (const [name, path, heading] of pages) {
    await page.goto(path);
    if (name === "not-found") {
      await expect(page.getByText("There is no page here")).toBeVisible();
    } else {
      await expect(page.getByRole("heading", { level: 1 }).first()).toHaveText(heading);
    }
    await snap(page, `page-${name}`);
    await expect(page.getByRole("alert"), `${path} shows an error`).toHaveCount(0);
    // At 1280 pixels no table hides columns behind a scroll bar (the matrix may scroll).
    const overflowing = await page.evaluate(() =>
      [...document.querySelectorAll(".overflow-x-auto")].filter((el) => !el.matches('[data-testid="heatmap"]') && el.scrollWidth > el.clientWidth + 1).length,
    );
    if (overflowing > 0) cramped.push(`${path}: ${overflowing} scrolling table(s)`);
    // WCAG 2 A and AA: labels, names, contrast, landmarks, ARIA use.
    const audit = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
    for (const violation of audit.violations.filter((v) => v.impact === "serious" || v.impact === "critical")) {
      inaccessible.push(`${path}: ${violation.id} (${violation.nodes.length}) ${violation.nodes[0]?.target.join(" ") ?? ""}`);
    }
  }
  expect(failures).toEqual([]);
  expect(inaccessible).toEqual([]);
  expect(cramped).toEqual([]);
});

test("the jobs page shows each scheduled job's last run, and runs one now", async ({ page }) => {
  await signIn(page, "admin");
  await page.goto("/admin/jobs");
  await expect(page.getByText(/Last run/).first()).toBeVisible();
  const cleanup = page.locator("section").filter({ has: page.getByRole("heading", { name: /notification_cleanup/ }) }).last();
  await expect(cleanup.getByTestId("last-run-notification_cleanup")).toContainText("Never run");
  await cleanup.getByRole("button", { name: "Run now" }).click();
  await expect(cleanup.getByTestId("last-run-notification_cleanup")).toContainText("Succeeded", { timeout: 30_000 });
  await snap(page, "jobs");
});
