import { expect, test } from "@playwright/test";
import { signIn, snap } from "./accounts";

/** Sysmon process creations in the Security Datasets' flat format, tagged with the run's marker. */
function telemetry(marker: string): Buffer {
  const events = [
    {
      EventID: 1,
      Channel: "Microsoft-Windows-Sysmon/Operational",
      Hostname: "WS1.corp.local",
      UtcTime: "2026-11-29 10:00:05.000",
      Image: "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
      CommandLine: `powershell.exe /enc SQBFAFgA # ${marker}`,
      ParentImage: "C:\\Windows\\System32\\cmd.exe",
      RecordNumber: 4242,
    },
    {
      EventID: 4688,
      Channel: "Security",
      Hostname: "WS1.corp.local",
      "@timestamp": "2026-11-29T10:00:06.000Z",
      NewProcessName: "C:\\Windows\\System32\\whoami.exe",
      CommandLine: `whoami ${marker}`,
    },
  ];
  return Buffer.from(events.map((e) => JSON.stringify(e)).join("\n") + "\n");
}

test("blue uploads the run's telemetry, sees the proposal and takes it into its report", async ({ page }) => {
  // The catalog gets a rule for the technique.
  await signIn(page, "admin");
  await page.getByRole("link", { name: "Data sources" }).click();
  const sigma = page.getByRole("row").filter({ has: page.getByText("sigma", { exact: true }) });
  await sigma.getByRole("button", { name: "Upload bundle" }).click();
  const bundle = page.getByRole("dialog");
  await bundle.getByLabel("Bundle file").setInputFiles("e2e/fixtures/sigma-encoded-powershell-telemetry.yml");
  await bundle.getByRole("button", { name: "Upload and import" }).click();
  await expect(bundle.getByRole("status")).toContainText(/1 (created|unchanged|updated)/);
  await bundle.getByRole("button", { name: "Done" }).click();

  // Red plans and runs the test, with the run marker in its command.
  const title = `Encoded PowerShell ${Date.now()}`;
  await signIn(page, "redLead");
  await page.getByRole("link", { name: "Tests" }).click();
  await page.getByRole("button", { name: "New test" }).click();
  const dialog = page.getByRole("dialog", { name: "New test" });
  await dialog.getByLabel("Title").fill(title);
  await dialog.getByLabel("Technique").fill("T1027");
  await dialog.getByLabel("Platform").fill("Windows");
  await dialog.getByRole("button", { name: "Create test" }).click();
  await expect(page.getByRole("heading", { name: title })).toBeVisible();
  const url = page.url();
  const marker = (await page.getByRole("code").or(page.locator("code")).filter({ hasText: /^aegis-[0-9a-f]{8}$/ }).first().textContent()) ?? "";
  expect(marker).toMatch(/^aegis-[0-9a-f]{8}$/);

  await signIn(page, "redTech");
  await page.goto(url);
  await page.getByRole("button", { name: "Start execution" }).click();
  await page.getByLabel("Procedure").fill("Run an encoded PowerShell command");
  await page.getByLabel("Command").fill(`powershell.exe /enc SQBFAFgA # ${marker}`);
  await page.getByLabel("Executed at").fill("2026-11-29T10:00");
  await page.getByLabel("Result summary").fill("It ran.");
  await page.getByRole("button", { name: "Save red report" }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
  await page.getByRole("button", { name: "Submit red report" }).click();
  await expect(page.getByRole("button", { name: "Submit red report" })).toHaveCount(0);

  // Blue uploads the telemetry and evaluates it.
  await signIn(page, "blueTech");
  await page.goto(url);
  await page.getByLabel("Evidence file").setInputFiles({ name: "sysmon.jsonl", mimeType: "application/json", buffer: telemetry(marker) });
  await page.getByRole("button", { name: "Upload", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Uploaded sysmon.jsonl" })).toBeVisible();
  await page.getByRole("button", { name: "Evaluate telemetry" }).click();
  const evaluation = page.getByRole("listitem", { name: /^Evaluation of / }).first();
  await expect(evaluation).toContainText("Proposed: Detected");
  await expect(evaluation.getByRole("list", { name: "Rules that fired" })).toContainText("Encoded PowerShell Command Line (telemetry e2e fixture)");
  await expect(evaluation).toContainText("2 events read, 2 in the run (2 with the marker)");
  await snap(page, "telemetry-proposal");

  // Blue takes the proposal, finds it in its report, and submits.
  await evaluation.getByRole("button", { name: "Use as blue's result" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Taken into the blue report" })).toBeVisible();
  await expect(page.getByLabel("Outcome")).toHaveValue("detected");
  await expect(page.getByLabel("Detection source")).toHaveValue(/^Aegis telemetry evaluation [0-9a-f]{12}$/);
  await expect(page.getByLabel("Rule 1", { exact: true })).toHaveValue("sigma:3c1f0a52-7d4e-4b8a-9e61-2f5d8c7b9a10");
  await page.getByRole("button", { name: "Submit blue report" }).click();
  await expect(page.getByRole("button", { name: "Submit blue report" })).toHaveCount(0);
  // The sealed evaluation is evidence of the test.
  await expect(page.getByText(/^telemetry-evaluation-.*\.json/).first()).toBeVisible();
});
