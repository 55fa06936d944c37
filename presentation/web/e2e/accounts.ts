import { expect, type Page } from "@playwright/test";

/** Every account's first password (it must be changed) and the one global setup sets. */
export const FIRST_PASSWORD = "Aegis#Welcome-2026";
export const PASSWORD = "Aegis#E2e-Tests-2026";

export const ACCOUNTS = {
  admin: "admin@aegis.test",
  redLead: "red.lead@aegis.test",
  redTech: "red.tech@aegis.test",
  blueLead: "blue.lead@aegis.test",
  blueTech: "blue.tech@aegis.test",
  viewer: "viewer@aegis.test",
} as const;
export type Account = keyof typeof ACCOUNTS;

/** Signs in through the login page and waits for the dashboard. */
export async function signIn(page: Page, account: Account): Promise<void> {
  await page.context().clearCookies();
  await page.goto("/login");
  await page.getByLabel("Email").fill(ACCOUNTS[account]);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
}

/** Saves what the user sees, for a person to look at (not compared). */
export async function snap(page: Page, name: string): Promise<void> {
  // Not "networkidle": the live notification stream keeps a request open on every page.
  await page.waitForLoadState("load");
  await expect(page.getByRole("status").filter({ hasText: "Loading" })).toHaveCount(0);
  await page.screenshot({ path: `e2e/screenshots/${name}.png`, fullPage: true });
}
