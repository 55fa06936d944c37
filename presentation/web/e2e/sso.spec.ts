import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { ACCOUNTS, PASSWORD, signIn, snap } from "./accounts";

// The OpenID provider scripts/test.sh starts (scripts/oidc-provider.mjs); docs/sso.md.
const issuer = process.env.AEGIS_TEST_OIDC_ISSUER;

let restoreAllowList: (() => Promise<void>) | undefined;
test.afterEach(async () => {
  await restoreAllowList?.();
  restoreAllowList = undefined;
});

test("an admin configures single sign-on and a person signs in through the provider", async ({ page, request }) => {
  test.skip(!issuer, "AEGIS_TEST_OIDC_ISSUER is not set: scripts/test.sh starts the OpenID provider");
  const login = await request.post("/api/v1/auth/login", { data: { email: ACCOUNTS.admin, password: PASSWORD } });
  const headers = { Authorization: `Bearer ${(await login.json()).access_token as string}` };
  // The provider listens on 127.0.0.1: the tenant's allow-list has to permit it.
  const allow = (await (await request.get("/api/v1/webhooks/allow-list", { headers })).json()) as { entries: string[] };
  const allowed = await request.put("/api/v1/webhooks/allow-list", { headers, data: { entries: [...new Set([...allow.entries, "127.0.0.1"])] } });
  expect(allowed.status()).toBe(200);
  // The e2e server is shared: the specs after this one (webhooks) expect loopback refused.
  restoreAllowList = async () => {
    const restored = await request.put("/api/v1/webhooks/allow-list", { headers, data: { entries: allow.entries } });
    expect(restored.status()).toBe(200);
  };

  await signIn(page, "admin");
  await page.goto("/admin/sso");
  await page.getByLabel("Button label").fill("Test IdP");
  await page.getByLabel("Issuer URL").fill(issuer ?? "");
  await page.getByLabel("Client id").fill("aegis");
  await page.getByLabel("Client secret").fill("aegis-oidc-test-secret-0123456789");
  await page.getByLabel("Scopes").fill("email profile groups");
  await page.getByLabel("Group to role mapping").fill("aegis-admins = admin\nblue-team = blue_tech");
  await page.getByLabel("Create accounts at first sign-in").check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText(/^Saved /)).toBeVisible();
  await expect(page.getByText("A secret is stored; leave empty to keep it.")).toBeVisible();
  await snap(page, "admin-sso");
  const audit = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
  expect(audit.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);

  // A person of the blue team signs in through the provider and gets an account.
  await page.context().clearCookies();
  await page.goto("/login");
  await snap(page, "login-sso");
  await page.getByRole("link", { name: "Sign in with Test IdP" }).click();
  await page.locator('input[name="login"]').fill("erin");
  await page.locator('input[name="password"]').fill("any password");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  const me = await (await page.request.get("/api/v1/auth/me")).json();
  expect(me.email).toBe("erin@idp.test");
  expect(me.role).toBe("blue_tech");

  // The other specs get a tenant without single sign-on, and Erin deactivated.
  const off = await request.put("/api/v1/sso/config", { headers, data: { display_name: "Test IdP", issuer, client_id: "aegis", enabled: false } });
  expect(off.status()).toBe(200);
  expect((await request.delete(`/api/v1/users/${me.id}`, { headers })).status()).toBe(200);
});
