import { createHmac } from "node:crypto";
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { ACCOUNTS, PASSWORD, signIn, snap } from "./accounts";

const SECRET = "e2e-webhook-secret-0123456789";

let restore: (() => Promise<void>) | undefined;
test.afterEach(async () => {
  await restore?.();
  restore = undefined;
});

test("an admin sets up GitHub, and a signed ping shows in the deliveries", async ({ page, request, playwright, baseURL }) => {
  const login = await request.post("/api/v1/auth/login", { data: { email: ACCOUNTS.admin, password: PASSWORD } });
  const headers = { Authorization: `Bearer ${(await login.json()).access_token as string}` };
  // The stand-in API address is on 127.0.0.1: the tenant's allow-list has to permit it.
  const allow = (await (await request.get("/api/v1/webhooks/allow-list", { headers })).json()) as { entries: string[] };
  expect((await request.put("/api/v1/webhooks/allow-list", { headers, data: { entries: [...new Set([...allow.entries, "127.0.0.1"])] } })).status()).toBe(200);
  // The e2e server is shared: the other specs get their allow-list back and no integration.
  restore = async () => {
    await request.delete("/api/v1/integrations/github", { headers });
    expect((await request.put("/api/v1/webhooks/allow-list", { headers, data: { entries: allow.entries } })).status()).toBe(200);
  };

  await signIn(page, "admin");
  await page.goto("/admin/github");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("GitHub");
  await expect(page.getByText("No deliveries yet")).toBeVisible();
  await page.getByLabel("API address").fill("http://127.0.0.1:9");
  await page.getByLabel("Token").fill("ghp_e2eTokenNeverShown");
  await page.getByLabel("Webhook secret").fill(SECRET);
  await page.getByLabel("Repositories (owner/name, one per line)").fill("acme/detections");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("A token is stored; leave empty to keep it.")).toBeVisible();
  await expect(page.getByText("Configured", { exact: true })).toBeVisible();

  // GitHub's ping, signed as GitHub signs it, from a client without the session's cookies.
  const github = await playwright.request.newContext({ baseURL });
  const body = JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1, repository: { full_name: "acme/detections" } });
  const ping = await github.post("/api/v1/integrations/github/webhook", {
    headers: {
      "content-type": "application/json",
      "x-github-event": "ping",
      "x-github-delivery": "e2e-ping-delivery",
      "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
    },
    data: body,
  });
  expect(ping.status()).toBe(200);
  expect(await ping.json()).toMatchObject({ status: "pong" });
  await github.dispose();

  await page.reload();
  const deliveries = page.getByRole("table", { name: "GitHub deliveries" });
  await expect(deliveries).toContainText("e2e-ping-delivery");
  await expect(deliveries).toContainText("ignored");
  await snap(page, "admin-github");
  const audit = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
  expect(audit.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);
});
