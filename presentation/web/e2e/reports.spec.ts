import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { signIn, snap } from "./accounts";

test("a lead generates a signed report, downloads it and checks it", async ({ page }) => {
  await signIn(page, "blueLead");
  await page.getByRole("link", { name: "Reports" }).click();
  await page.getByLabel("Kind").selectOption("executive_summary");
  await page.getByLabel("Format").selectOption("html");
  await page.getByRole("button", { name: "Generate report" }).click();
  // The report job runs in-process; the list follows it until it is ready.
  const row = page.getByRole("row").filter({ hasText: "Executive summary" }).first();
  await expect(row).toContainText("Ready", { timeout: 30_000 });

  const download = page.waitForEvent("download");
  await row.getByRole("link", { name: "Download" }).click();
  const file = await (await download).path();
  const body = await readFile(file, "utf8");
  expect(body).toContain("<html");
  expect(body.trimEnd().split("\n").pop()).toMatch(/^<!-- aegis-signature ed25519:[0-9a-f]{128} sha256:[0-9a-f]{64} -->$/);

  await row.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("dialog")).toContainText(/valid/i);
  await page.keyboard.press("Escape");

  // The same file checked in the browser, then one byte altered.
  await page.getByLabel("Downloaded report file").setInputFiles({ name: "report.html", mimeType: "text/html", buffer: Buffer.from(body) });
  await expect(page.getByRole("list", { name: "File check" }).first()).toBeVisible();
  await expect(page.getByText(/^Valid/).first()).toBeVisible();
  await page.getByLabel("Downloaded report file").setInputFiles({ name: "altered.html", mimeType: "text/html", buffer: Buffer.from(body.replace("<html", "<html data-x")) });
  await expect(page.getByText(/Not valid/).first()).toBeVisible();
  await snap(page, "reports");
});
