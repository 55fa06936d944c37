import { randomUUID } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import { baseURL } from "../playwright.config";
import { ACCOUNTS, PASSWORD, signIn, snap, type Account } from "./accounts";

/** A Sigma rule of its own per run, so the spec does not depend on what others imported. */
function rule(id: string, title: string, needle: string): string {
  return `title: ${title}
id: ${id}
status: experimental
description: A rule for the detection lifecycle browser test.
author: Aegis tests
tags:
  - attack.execution
  - attack.t1059.001
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    CommandLine|contains: '${needle}'
  condition: selection
level: high
`;
}

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

async function importRule(text: string): Promise<void> {
  const answer = await fetch(`${baseURL}/api/v1/data-sources/sigma/bundle`, {
    method: "POST",
    headers: { "content-type": "application/octet-stream", authorization: `Bearer ${await token("admin")}` },
    body: text,
  });
  expect(answer.ok, `bundle: ${answer.status} ${await answer.text()}`).toBe(true);
}

/** A test of T1059.001 taken to validation, blue reporting the rule as fired. */
async function proveWithTest(ruleId: string): Promise<void> {
  const test = await call("redLead", "POST", "/api/v1/tests", { title: `Encoded PowerShell ${Date.now()}`, technique_id: "T1059.001" });
  const id = test.id as string;
  await call("redTech", "POST", `/api/v1/tests/${id}/start-execution`, {});
  await call("redTech", "PATCH", `/api/v1/tests/${id}/red`, {
    executed_at: "2026-11-29T10:00:00Z",
    procedure: "Encoded command",
    command: "powershell -enc ZQBjAGgAbwA=",
    tool: "manual",
    targets: ["WS-1"],
    result_summary: "ran",
  });
  await call("redTech", "POST", `/api/v1/tests/${id}/submit-red`, {});
  await call("blueTech", "PATCH", `/api/v1/tests/${id}/blue`, {
    outcome: "detected",
    detected_at: "2026-11-29T10:02:00Z",
    rule_results: [{ rule: `sigma:${ruleId}`, result: "triggered" }],
  });
  await call("blueTech", "POST", `/api/v1/tests/${id}/submit-blue`, {});
  await call("redLead", "POST", `/api/v1/tests/${id}/validate-red`, { verdict: "approve" });
  await call("blueLead", "POST", `/api/v1/tests/${id}/validate-blue`, { verdict: "approve" });
}

async function techniqueStatus(page: Page): Promise<void> {
  await page.goto("/techniques/T1059.001");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
}

test("a rule changes, its proof lapses and the technique turns stale", async ({ page }) => {
  const ruleId = randomUUID();
  const title = `Encoded PowerShell ${ruleId.slice(0, 8)}`;
  await importRule(rule(ruleId, title, " -enc "));

  // The blue lead makes the rule a detection asset running on Splunk.
  await signIn(page, "blueLead");
  await page.goto(`/detection-rules?q=${encodeURIComponent(title)}`);
  await page.getByRole("link", { name: title }).first().click();
  await page.getByLabel("Platform").fill("Splunk");
  await page.getByRole("button", { name: "Make it a detection asset" }).click();
  await expect(page.getByRole("heading", { name: title, level: 1 })).toBeVisible();
  await expect(page.getByText("Unproven: no validated test has seen it fire yet.")).toBeVisible();
  const assetUrl = page.url();

  // A validated test proves it: the technique shows the proof.
  await proveWithTest(ruleId);
  await techniqueStatus(page);
  const proof = page.getByTestId("asset-proof").filter({ hasText: title });
  await expect(proof).toContainText("Current");
  await expect(proof.getByRole("link", { name: "proving test" })).toBeVisible();
  await snap(page, "technique-proven");

  // The rule is re-imported with changed detection logic: the proof ends.
  await importRule(rule(ruleId, title, " -EncodedCommand "));
  await page.goto(assetUrl);
  await expect(page.getByRole("table", { name: "Validations" })).toContainText("rule changed since it was proven");
  await expect(page.getByRole("listitem").filter({ hasText: "Rule reimported" })).toBeVisible();
  await snap(page, "asset-invalidated");

  // The technique turns stale, shows the ended proof, and a retest draft waits.
  await techniqueStatus(page);
  await expect(page.getByText("Stale").first()).toBeVisible();
  await expect(page.getByTestId("asset-proof").filter({ hasText: title })).toContainText("Invalidated");
  await page.goto("/tests?technique_id=T1059.001&state=draft");
  await expect(page.getByRole("link", { name: new RegExp(`^Retest T1059.001: ${title}`) }).first()).toBeVisible();

  // The lifecycle dashboard counts it.
  await page.goto("/detection-lifecycle");
  await expect(page.getByText("Invalidated", { exact: true })).toBeVisible();
  await snap(page, "detection-lifecycle-dashboard");
});
