import { expect, test } from "@playwright/test";
import { ACCOUNTS, PASSWORD, signIn, snap } from "./accounts";
import { totp } from "./totp";

test("a user enrols an authenticator app, then signs in with a code and with a recovery code", async ({ page, request }) => {
  await signIn(page, "blueTech");
  await page.goto("/profile");
  await page.getByRole("button", { name: "Set up an authenticator app" }).click();
  await expect(page.getByRole("img", { name: "QR code of the authenticator secret" })).toBeVisible();
  const secret = (await page.getByLabel("Authenticator secret").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await page.getByLabel("Code from the app").fill(totp(secret));
  await page.getByRole("button", { name: "Confirm" }).click();
  const codes = page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem");
  await expect(codes).toHaveCount(10);
  const recovery = (await codes.first().textContent())?.trim() ?? "";
  await snap(page, "profile-mfa-recovery-codes");
  await page.getByRole("button", { name: "I have saved them" }).click();
  await expect(page.getByText("An authenticator app is set up")).toBeVisible();

  // Signing in now takes a second step. The enrolment's code is spent: use the next step's.
  await page.context().clearCookies();
  await page.goto("/login");
  await page.getByLabel("Email").fill(ACCOUNTS.blueTech);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Code from your authenticator app").fill("000000");
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByText("The code is not correct").first()).toBeVisible();
  await page.getByLabel("Code from your authenticator app").fill(totp(secret, 1));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

  await page.context().clearCookies();
  await page.goto("/login");
  await page.getByLabel("Email").fill(ACCOUNTS.blueTech);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Use a recovery code" }).click();
  await page.getByLabel("Recovery code").fill(recovery);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

  // An admin resets the factor (audited), so the other specs sign in with the password alone.
  const me = await (await page.request.get("/api/v1/auth/me")).json();
  const login = await request.post("/api/v1/auth/login", { data: { email: ACCOUNTS.admin, password: PASSWORD } });
  const admin = (await login.json()).access_token as string;
  const reset = await request.delete(`/api/v1/mfa/users/${me.id}`, { headers: { Authorization: `Bearer ${admin}` } });
  expect(reset.status()).toBe(204);
  await page.goto("/profile");
  await expect(page.getByRole("button", { name: "Set up an authenticator app" })).toBeVisible();
});
