import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { baseURL } from "../playwright.config";
import { ACCOUNTS, PASSWORD, signIn, snap } from "./accounts";

/**
 * The hostile diff of issue 21: a Sigma rule with U+202E in its title, the revoked tag
 * attack.t1086 (revoked in the e2e catalog, replaced by T1059.001) and an AWS key. The file
 * name and rule id are this run's own, so no other spec's scans or waivers touch it.
 */
function hostileDiff(): { path: string; diff: string } {
  const run = randomUUID();
  const path = `rules/windows/process_creation/proc_creation_win_cradle_${run.slice(0, 8)}.yml`;
  const rule = [
    "title: Download Cradle \u202Eexe.txt Via PowerShell",
    `id: ${run}`,
    "status: test",
    "description: Detects a download cradle.",
    "author: Aegis e2e",
    "date: 2026-12-08",
    "tags:",
    "    - attack.execution",
    "    - attack.t1086",
    "logsource:",
    "    category: process_creation",
    "    product: windows",
    "detection:",
    "    selection:",
    "        CommandLine|contains: 'AKIAIOSFODNN7EXAMPLE'",
    "    condition: selection",
    "falsepositives:",
    "    - Unknown",
    "level: high",
  ];
  const diff = [`diff --git a/${path} b/${path}`, "new file mode 100644", "index 0000000..1111111", "--- /dev/null", `+++ b/${path}`, `@@ -0,0 +1,${rule.length} @@`, ...rule.map((l) => `+${l}`), ""].join("\n");
  return { path, diff };
}

const BLOCKING = [
  ["bidi-control", 1],
  ["attack-tag-revoked", 9],
  ["secret-aws-access-key", 15],
] as const;

test("a lead's hostile diff fails with its findings inline; suppressed one by one, the same diff passes with them waived; the artifact verifies", async ({ page }) => {
  test.setTimeout(120_000);
  const { path, diff } = hostileDiff();
  await signIn(page, "blueLead");
  await page.getByRole("link", { name: "Scans", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Scans", level: 1 })).toBeVisible();

  const submitDiff = async () => {
    await page.getByLabel("Repository").first().fill("acme/detections");
    await page.getByLabel("Pull request").fill("42");
    await page.getByLabel("Diff", { exact: true }).fill(diff);
    await page.getByRole("button", { name: "Scan the diff" }).click();
    await expect(page).toHaveURL(/\/scans\/[0-9a-f-]{36}$/);
    // The page polls while the scan is queued or running.
    await expect(page.getByRole("heading", { level: 1 })).toContainText(/pass|fail/i, { timeout: 30_000 });
    return page.url().split("/").pop() ?? "";
  };

  const failed = await submitDiff();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("fail");
  const file = page.getByRole("region", { name: `File ${path}` });
  await expect(file).toBeVisible();
  // The override is shown as a marker, not obeyed.
  await expect(file.locator('tr[data-new-line="1"]')).toContainText("Download Cradle ⟨U+202E⟩exe.txt Via PowerShell");
  for (const [rule, line] of BLOCKING) {
    // Each finding sits right under the line it names, and blocks.
    const note = file.locator(`tr[data-new-line="${line}"] + tr`).getByTestId("finding").filter({ hasText: rule });
    await expect(note).toBeVisible();
    await expect(note.getByText("BLOCKS")).toBeVisible();
  }
  await expect(file.getByTestId("finding").filter({ hasText: "attack-tag-revoked" })).toContainText("T1059.001");
  await expect(page.getByText("3 (3 blocking)")).toBeVisible();
  await snap(page, "scan-failed");

  // The signed artifact verifies as is, and a kept copy with one byte changed does not.
  await page.getByRole("button", { name: "Verify the artifact" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Verified" })).toContainText("this server signed it");
  const login = await fetch(`${baseURL}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: ACCOUNTS.blueLead, password: PASSWORD }) });
  const { access_token } = (await login.json()) as { access_token: string };
  const artifact = await (await fetch(`${baseURL}/api/v1/scans/${failed}/artifact`, { headers: { authorization: `Bearer ${access_token}` } })).text();
  expect(artifact).toContain('"decision":"fail"');
  await page.getByLabel("Or verify an artifact file you kept").setInputFiles({ name: "scan.json", mimeType: "application/json", buffer: Buffer.from(artifact.replace('"decision":"fail"', '"decision":"pass"')) });
  await page.getByRole("button", { name: "Verify the file" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Not valid" })).toBeVisible();

  // One suppression per blocking finding.
  for (const [rule, line] of BLOCKING) {
    await page.getByRole("button", { name: `Suppress ${rule} in ${path} line ${line}` }).click();
    const dialog = page.getByRole("dialog", { name: `Suppress ${rule}` });
    await dialog.getByLabel("Reason").fill(`e2e: ${rule} is the point of this fixture`);
    await dialog.getByRole("button", { name: "Suppress the finding" }).click();
    await expect(dialog).toBeHidden();
  }

  // The same diff again (no Idempotency-Key: a new scan) passes, its findings reported as waived.
  await page.goto("/scans");
  const passed = await submitDiff();
  expect(passed).not.toBe(failed);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("pass");
  const again = page.getByRole("region", { name: `File ${path}` });
  for (const [rule, line] of BLOCKING) {
    const note = again.locator(`tr[data-new-line="${line}"] + tr`).getByTestId("finding").filter({ hasText: rule });
    await expect(note.getByText("Waived by suppression")).toBeVisible();
    await expect(note).toContainText(`e2e: ${rule} is the point of this fixture`);
    await expect(note.getByText("BLOCKS")).toHaveCount(0);
  }
  await expect(page.getByText("3 (0 blocking)")).toBeVisible();
  await page.getByRole("button", { name: "Verify the artifact" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Verified" })).toBeVisible();
  await snap(page, "scan-passed");

  // The list shows both, and filters by decision.
  await page.goto("/scans?repository=acme/detections&decision=fail");
  await expect(page.locator(`a[href="/scans/${failed}"]`)).toBeVisible();
  await expect(page.locator(`a[href="/scans/${passed}"]`)).toHaveCount(0);
  await page.getByLabel("Decision").selectOption("pass");
  await expect(page.locator(`a[href="/scans/${passed}"]`)).toBeVisible();
  await expect(page).toHaveURL(/decision=pass/);

  // The suppressions are on the policy page, each deletable after a confirmation.
  await page.getByRole("link", { name: "Scan policy" }).first().click();
  const suppressions = page.getByRole("table", { name: "Suppressions" });
  for (const [rule] of BLOCKING) await expect(suppressions.getByText(`e2e: ${rule} is the point of this fixture`)).toBeVisible();
  await snap(page, "scan-policy");
});

test("the policy form shows the server's refusal at the field, and a viewer only reads it", async ({ page }) => {
  await signIn(page, "redLead");
  await page.goto("/scans/policy");
  const always = page.getByLabel("Always block (rule ids)");
  await always.fill("bidi-control\nnot-a-rule!");
  await page.getByRole("button", { name: "Save the policy" }).click();
  await expect(always).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText(/^\[1\]: /)).toBeVisible();

  await signIn(page, "viewer");
  await page.goto("/scans/policy");
  await expect(page.getByLabel("Block at")).toBeDisabled();
  await expect(page.getByRole("button", { name: "Save the policy" })).toHaveCount(0);
  await page.goto("/scans");
  await expect(page.getByRole("button", { name: "Scan the diff" })).toHaveCount(0);
});
