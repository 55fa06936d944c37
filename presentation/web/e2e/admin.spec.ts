import { expect, test } from "@playwright/test";
import { signIn, snap } from "./accounts";

test("an admin imports a Sigma bundle from the data sources page", async ({ page }) => {
  await signIn(page, "admin");
  await page.getByRole("link", { name: "Data sources" }).click();
  await expect(page.getByRole("heading", { name: "Data sources", level: 1 })).toBeVisible();
  const sigma = page.getByRole("row").filter({ has: page.getByText("sigma", { exact: true }) });
  await sigma.getByRole("button", { name: "Upload bundle" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Bundle file").setInputFiles("e2e/fixtures/sigma-powershell-download.yml");
  await dialog.getByRole("button", { name: "Upload and import" }).click();
  await expect(dialog.getByRole("status")).toContainText("1 created");
  await dialog.getByRole("button", { name: "Done" }).click();
  await expect(sigma).toContainText("Succeeded");
  await snap(page, "data-sources");

  await page.getByRole("link", { name: "Detection rules" }).click();
  await page.getByRole("link", { name: /PowerShell In-Memory Download Cradle/ }).click();
  await expect(page.getByText("Aegis tests").first()).toBeVisible();
  await snap(page, "detection-rule-detail");

  await page.goto("/techniques/T1059.001");
  await expect(page.getByRole("heading", { name: "Detection rules (1)" })).toBeVisible();
});

test("a viewer reads the data sources but cannot run them", async ({ page }) => {
  await signIn(page, "viewer");
  await page.goto("/admin/data-sources");
  await expect(page.getByRole("table", { name: "Data sources" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Sync now" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Users" })).toHaveCount(0);
});
