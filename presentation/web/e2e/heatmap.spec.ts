import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { signIn } from "./accounts";

test("a lead exports the heatmap as a Navigator layer and plans tests from one", async ({ page }) => {
  await signIn(page, "redLead");
  await page.goto("/heatmap");
  await expect(page.getByTestId("heatmap")).toBeVisible();

  // Hovering a cell shows its score breakdown.
  await page.getByRole("link", { name: /^T1566 Phishing: score/ }).hover();
  await expect(page.getByRole("tooltip")).toContainText("Countermeasures");

  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export Navigator layer" }).click();
  const layer = JSON.parse(await readFile(await (await download).path(), "utf8")) as { domain: string; techniques: { techniqueID: string }[] };
  expect(layer.domain).toBe("enterprise-attack");
  expect(layer.techniques.map((t) => t.techniqueID)).toContain("T1059.001");

  const plan = { name: "phishing plan", domain: "enterprise-attack", versions: { layer: "4.5" }, techniques: [{ techniqueID: "T1566", score: 10, comment: "test the mail gateway" }] };
  await page.getByLabel("Import Navigator layer").setInputFiles({ name: "plan.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(plan)) });
  await expect(page.getByText("1 draft tests planned, 0 techniques skipped")).toBeVisible();
  await page.getByRole("button", { name: /^T1566 · / }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("T1566");
});
