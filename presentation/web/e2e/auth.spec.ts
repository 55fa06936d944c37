import { expect, test } from "@playwright/test";
import { FIRST_PASSWORD, snap } from "./accounts";

test("a first sign-in must change the password, and the session then works", async ({ page }) => {
  // A deep link without a session goes to the login page and comes back after it.
  await page.goto("/techniques/T1059.001");
  await expect(page).toHaveURL(/\/login\?next=/);
  await snap(page, "login");

  await page.getByLabel("Email").fill("first@aegis.test");
  await page.getByLabel("Password", { exact: true }).fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("not correct");

  await page.getByLabel("Password", { exact: true }).fill(FIRST_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/change-password$/);
  // Nothing else is reachable before the change.
  await page.goto("/tests");
  await expect(page).toHaveURL(/\/change-password$/);
  await snap(page, "change-password");

  await page.getByLabel("Current password").fill(FIRST_PASSWORD);
  await page.getByLabel("New password", { exact: true }).fill("short");
  await page.getByLabel("Repeat the new password").fill("short");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await expect(page.getByText(/new_password/).first()).toBeVisible();

  const chosen = "Chosen#Password-2026";
  await page.getByLabel("New password", { exact: true }).fill(chosen);
  await page.getByLabel("Repeat the new password").fill(chosen);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);

  await page.getByLabel("Email").fill("first@aegis.test");
  await page.getByLabel("Password", { exact: true }).fill(chosen);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
});

test("an expired access token is refreshed once without the user noticing", async ({ page, context }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill("first@aegis.test");
  await page.getByLabel("Password", { exact: true }).fill("Chosen#Password-2026");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  // Drop the access cookie: the next request is a 401, the refresh cookie renews the session.
  const cookies = await context.cookies();
  await context.clearCookies();
  await context.addCookies(cookies.filter((c) => c.name !== "aegis_token"));
  await page.goto("/techniques");
  await expect(page.getByRole("heading", { name: "Techniques" })).toBeVisible();
  await expect(page.getByRole("link", { name: "T1059", exact: true })).toBeVisible();
  expect((await context.cookies()).some((c) => c.name === "aegis_token")).toBe(true);
});
