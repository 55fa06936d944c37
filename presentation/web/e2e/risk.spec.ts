import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { signIn } from "./accounts";

test("a lead computes risk and reads the matrix, the most urgent techniques and why", async ({ page }) => {
  await signIn(page, "redLead");
  await page.getByRole("link", { name: "Risk" }).click();
  await expect(page.getByRole("heading", { name: "Risk", level: 1 })).toBeVisible();

  await page.getByRole("button", { name: "Recompute risk" }).click();
  await expect(page.getByText("Likelihood × impact")).toBeVisible();

  // Phishing is used by two groups of the fixture and nothing proves it is detected.
  const advice = page.getByRole("list", { name: "Recommendations" });
  await expect(advice).toContainText(/T1566 is (medium|high|critical): 2 known actors use it/);
  await expect(advice).toContainText("no detection is proven");

  const urgent = page.getByRole("table", { name: "Most urgent techniques" });
  await expect(urgent.getByRole("row").filter({ hasText: "T1566" })).toContainText("Unproven");

  // A matrix cell lists its techniques.
  const cell = page.getByRole("gridcell", { name: /: [1-9]\d* techniques/ }).first();
  await cell.click();
  await expect(page.getByTestId("matrix-selection")).toContainText(/T\d{4}/);

  // The dashboard shows prevention apart from detection.
  await page.getByRole("link", { name: "Dashboard" }).click();
  await expect(page.getByRole("heading", { name: "Prevention and detection" })).toBeVisible();
  await expect(page.getByTestId("prevention-panel")).toBeVisible();
});

test("an admin imports the KEV catalog and a lead reviews an exploited vulnerability", async ({ page }) => {
  await signIn(page, "admin");
  const catalog = await readFile(new URL("../../../tests/fixtures/osint/kev-catalog.json", import.meta.url));
  const upload = await page.request.post("/api/v1/data-sources/kev/bundle", {
    headers: { "X-Aegis-Request": "1", "content-type": "application/octet-stream" },
    data: catalog,
  });
  expect(upload.ok()).toBeTruthy();

  await signIn(page, "redLead");
  await page.getByRole("link", { name: "Intelligence" }).click();
  const items = page.getByRole("table", { name: "Intelligence items" });
  const outlook = items.getByRole("row").filter({ hasText: "Microsoft Outlook Improper Input Validation Vulnerability" });
  await expect(outlook).toContainText("CVE-2024-21413");
  await expect(outlook).toContainText("Exploited");
  await outlook.getByRole("button", { name: /Mark .* reviewed/ }).click();
  await expect(outlook).toContainText("Reviewed");
});
