import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "@playwright/test";
import { signIn } from "./accounts";

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../tests/fixtures/sarif");

test("a scanner's SARIF file becomes vulnerability findings, and importing it again changes nothing", async ({ page }) => {
  await signIn(page, "blueLead");
  await page.goto("/findings");
  await expect(page.getByRole("heading", { name: "Findings", level: 1 })).toBeVisible();

  await page.getByLabel(/Scanner results/).setInputFiles(path.join(fixtures, "semgrep.sarif"));
  await page.getByRole("button", { name: "Import SARIF" }).click();
  const counts = page.getByRole("status").filter({ hasText: "created" });
  await expect(counts).toContainText("3 created · 0 updated · 0 unchanged · 0 resolved · 1 skipped");
  await expect(counts).toContainText("suppressed in the scanner");

  await page.getByLabel("Kind").selectOption("vulnerability");
  const row = page.getByRole("row").filter({ hasText: "backend/tasks/export.py:88" });
  await expect(row).toBeVisible();
  await expect(row.getByText("Semgrep OSS")).toBeVisible();
  await expect(row.getByRole("link", { name: "T1059" })).toBeVisible();

  await page.getByRole("button", { name: "Import SARIF" }).click();
  await expect(counts).toContainText("0 created · 0 updated · 3 unchanged");

  await row.getByRole("link", { name: /export\.py:88/ }).click();
  await expect(page.getByText("CWE-78")).toBeVisible();
  await expect(page.getByText(/Fix: Pass the command as a list/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Record fixed" })).toBeVisible();
});
