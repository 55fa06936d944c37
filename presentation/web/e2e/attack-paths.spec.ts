import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "@playwright/test";
import { signIn } from "./accounts";

const here = path.dirname(fileURLToPath(import.meta.url));
const FLOW = path.resolve(here, "../../../tests/fixtures/attack-flow/fixture.afb");

test("an Attack Flow Builder file imports as a graph and plans a campaign", async ({ page }) => {
  await signIn(page, "redLead");
  await page.getByRole("link", { name: "Attack paths" }).click();
  await expect(page.getByRole("heading", { name: "Attack paths", level: 1 })).toBeVisible();

  await page.getByLabel("Flow file").setInputFiles(FLOW);
  await page.getByRole("button", { name: "Import flow" }).click();

  await expect(page.getByRole("heading", { name: "Aegis fixture flow", level: 1 })).toBeVisible();
  const graph = page.getByRole("figure", { name: "Attack path graph" });
  await expect(graph.locator("[data-step]")).toHaveCount(4);
  await expect(graph.getByText("T1059.001 PowerShell")).toBeVisible();
  await expect(graph.locator(".react-flow__edge")).toHaveCount(3);

  await page.getByRole("button", { name: "Plan campaign" }).click();
  await expect(page).toHaveURL(/\/campaigns\/[0-9a-f-]+$/);
  await expect(page.getByRole("heading", { name: "Path: Aegis fixture flow", level: 1 })).toBeVisible();
});
