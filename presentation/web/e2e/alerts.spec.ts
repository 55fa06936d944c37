import { expect, test } from "@playwright/test";
import { baseURL } from "../playwright.config";
import { ACCOUNTS, PASSWORD, signIn, type Account } from "./accounts";

async function token(account: Account): Promise<string> {
  const answer = await fetch(`${baseURL}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: ACCOUNTS[account], password: PASSWORD }),
  });
  expect(answer.ok).toBe(true);
  return ((await answer.json()) as { access_token: string }).access_token;
}

async function call(account: Account, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const answer = await fetch(`${baseURL}${path}`, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${await token(account)}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  expect(answer.ok, `${method} ${path}: ${answer.status} ${text}`).toBe(true);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** A test of T1566 that blue missed, taken to validation by both leads. */
async function missedTest(title: string): Promise<void> {
  const created = await call("redLead", "POST", "/api/v1/tests", { title, technique_id: "T1566" });
  const id = created.id as string;
  await call("redTech", "POST", `/api/v1/tests/${id}/start-execution`, {});
  await call("redTech", "PATCH", `/api/v1/tests/${id}/red`, {
    executed_at: "2026-11-29T10:00:00Z",
    procedure: "Phishing mail with a macro",
    tool: "manual",
    targets: ["WS-1"],
    result_summary: "delivered and opened",
  });
  await call("redTech", "POST", `/api/v1/tests/${id}/submit-red`, {});
  await call("blueTech", "PATCH", `/api/v1/tests/${id}/blue`, { outcome: "not_detected", notes: "Nothing in the mail gateway." });
  await call("blueTech", "POST", `/api/v1/tests/${id}/submit-blue`, {});
  await call("redLead", "POST", `/api/v1/tests/${id}/validate-red`, { verdict: "approve" });
  await call("blueLead", "POST", `/api/v1/tests/${id}/validate-blue`, { verdict: "approve" });
}

test("a missed detection fires detection_gap once: acknowledged, and not again within the cooldown", async ({ page }) => {
  const title = `Macro phishing ${Date.now()}`;
  await missedTest(title);

  await signIn(page, "blueLead");
  await expect(page.getByText("Open alerts")).toBeVisible();
  await page.getByRole("link", { name: "Alerts" }).click();
  await expect(page.getByRole("heading", { name: "Alerts", level: 1 })).toBeVisible();
  await page.getByRole("button", { name: "Evaluate now" }).click();
  await expect(page.getByRole("status").filter({ hasText: "rules evaluated" })).toBeVisible();

  await page.getByLabel("Rule type").selectOption("detection_gap");
  const alerts = page.getByRole("table", { name: "Alerts" });
  const ours = alerts.getByRole("row").filter({ hasText: title });
  await expect(ours).toHaveCount(1);
  await expect(ours).toContainText("Open");
  await expect(ours).toContainText("High");

  await ours.getByRole("button", { name: `Acknowledge Validated test missed T1566: ${title}` }).click();
  const dialog = page.getByRole("dialog", { name: "Acknowledge alert" });
  await dialog.getByLabel("Note (optional)").fill("Mail gateway rule on its way");
  await dialog.getByRole("button", { name: "Acknowledge" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(ours).toContainText("Acknowledged");
  await expect(ours).toContainText("Mail gateway rule on its way");

  // Evaluated again within the cooldown: still one alert for this test.
  await page.getByRole("button", { name: "Evaluate now" }).click();
  await expect(page.getByRole("status").filter({ hasText: "rules evaluated" })).toBeVisible();
  await page.reload();
  await expect(alerts.getByRole("row").filter({ hasText: title })).toHaveCount(1);
  await expect(alerts.getByRole("row").filter({ hasText: title })).toContainText("Acknowledged");

  // The rules are the lead's to tune; the system rules are listed with the custom ones.
  const rules = page.getByRole("table", { name: "Alert rules" });
  await expect(rules.getByRole("row").filter({ hasText: "Validated test missed" })).toContainText("system rule");
});
