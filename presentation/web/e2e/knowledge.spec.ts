import { expect, test, type APIRequestContext } from "@playwright/test";
import { ACCOUNTS, PASSWORD, signIn, type Account } from "./accounts";

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

/** A validated test of phishing that blue missed, and the finding it opened. */
async function missedPhishing(request: APIRequestContext): Promise<string> {
  const red = await token(request, "redLead");
  const blue = await token(request, "blueLead");
  const created = await call(request, red, "POST", "/api/v1/tests", { title: "Spearphishing link", technique_id: "T1566" });
  const test = String(created["id"]);
  const step = async (bearer: string, action: string, body: Record<string, unknown> = {}) => {
    const current = await call(request, bearer, "GET", `/api/v1/tests/${test}`);
    return call(request, bearer, "POST", `/api/v1/tests/${test}/${action}`, { ...body, version: current["version"] });
  };
  await step(red, "start-execution");
  let current = await call(request, red, "GET", `/api/v1/tests/${test}`);
  await call(request, red, "PATCH", `/api/v1/tests/${test}/red`, { version: current["version"], executed_at: "2026-11-29T09:00:00Z", procedure: "Sent a link to the pilot group.", result_summary: "Clicked." });
  await step(red, "submit-red");
  current = await call(request, blue, "GET", `/api/v1/tests/${test}`);
  await call(request, blue, "PATCH", `/api/v1/tests/${test}/blue`, { version: current["version"], outcome: "not_detected" });
  await step(blue, "submit-blue");
  await step(red, "validate-red", { verdict: "approve" });
  await step(blue, "validate-blue", { verdict: "approve" });
  // Other specs leave findings on T1566 too: this test's own is the one to draw from.
  const findings = await call(request, blue, "GET", "/api/v1/findings?technique_id=T1566&per_page=200");
  const mine = (findings["items"] as { id: string; test_id: string }[]).find((f) => f.test_id === test);
  expect(mine).toBeDefined();
  return mine?.id ?? "";
}

test("a playbook edited twice is restored, rendered without raw HTML, and found by the global search", async ({ page }) => {
  await signIn(page, "blueTech");
  await page.getByRole("link", { name: "Playbooks and lessons" }).click();
  await expect(page.getByRole("heading", { name: "Knowledge", level: 1 })).toBeVisible();

  await page.getByRole("button", { name: "New playbook" }).click();
  const form = page.getByRole("form").or(page.locator("form")).first();
  await form.getByLabel("Technique").fill("T1059.001");
  await form.getByLabel("Type").selectOption("hunt");
  await form.getByLabel("Title").fill("Hunt encoded PowerShell");
  await form
    .getByLabel("Body (Markdown)")
    .fill("Search the **zephyrquill** telemetry.\n<script>window.injected = true</script>\nEscalate to the SOC.");
  await form.getByLabel("Tools (one per line)").fill("Sysmon");
  await page.getByRole("button", { name: "Save playbook" }).click();

  const detail = page.getByRole("heading", { name: /Hunt encoded PowerShell/ });
  await expect(detail).toBeVisible();
  await expect(page.getByText("version 1 ·")).toBeVisible();
  // Markdown is rendered; raw HTML is not.
  await expect(page.locator("strong", { hasText: "zephyrquill" })).toBeVisible();
  await expect(page.locator("main script")).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { injected?: boolean }).injected)).toBeUndefined();

  // Two edits, two new versions.
  for (const [version, body] of [
    [2, "Search the **zephyrquill** telemetry.\nPage the on-call analyst."],
    [3, "Search the proxy logs.\nPage the on-call analyst."],
  ] as const) {
    await page.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("form", { name: "Edit playbook" });
    await edit.getByLabel("Body (Markdown)").fill(body);
    await edit.getByRole("button", { name: `Save as version ${version}` }).click();
    await expect(page.getByText(`version ${version} ·`)).toBeVisible();
  }
  const versions = page.getByRole("table", { name: "Versions of the playbook" });
  await expect(versions.getByRole("row")).toHaveCount(4);

  // The diff of version 3 shows what changed.
  await page.getByRole("button", { name: "Changes in version 3" }).click();
  const diff = page.getByRole("region", { name: "Changes from version 2 to 3" });
  await expect(diff).toContainText("- Search the **zephyrquill** telemetry.");
  await expect(diff).toContainText("+ Search the proxy logs.");

  // Restoring version 1 makes version 4 with version 1's body.
  await page.getByRole("button", { name: "Restore version 1" }).click();
  await expect(page.getByText("version 4 ·")).toBeVisible();
  await expect(versions.getByRole("row")).toHaveCount(5);
  await expect(versions).toContainText("(restores 1)");
  await expect(page.getByText("Escalate to the SOC.")).toBeVisible();

  // The header's search: "/" focuses it, a word of the body finds the playbook.
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await page.locator("main").click();
  await page.keyboard.press("/");
  const search = page.getByRole("combobox", { name: "Search" });
  await expect(search).toBeFocused();
  await search.fill("zephyrquill");
  const hit = page.getByRole("option", { name: /Playbook\s*Hunt encoded PowerShell/ });
  await expect(hit).toBeVisible();
  await expect(hit.locator("mark")).toHaveText("zephyrquill");
  await hit.click();
  await expect(page).toHaveURL(/\/knowledge\?playbook=/);
  await expect(page.getByRole("heading", { name: /Hunt encoded PowerShell/ })).toBeVisible();

  // Ctrl+K opens it too.
  await page.locator("main").click();
  await page.keyboard.press("Control+k");
  await expect(search).toBeFocused();
});

test("a lesson is drawn from a finding in one step", async ({ page, request }) => {
  const finding = await missedPhishing(request);
  await signIn(page, "blueTech");
  await page.goto(`/findings/${finding}`);
  await page.getByRole("button", { name: "Draw a lesson" }).click();
  await expect(page).toHaveURL(/\/knowledge\?lesson=/);
  const lessons = page.getByRole("table", { name: "Lessons learned" });
  const row = lessons.getByRole("row").filter({ hasText: "Spearphishing link" });
  await expect(row).toContainText("High");
  await expect(row).toContainText("not detected");
  await expect(row.getByRole("link", { name: "Test" })).toBeVisible();
});
