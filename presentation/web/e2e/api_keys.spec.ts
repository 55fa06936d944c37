import { expect, test } from "@playwright/test";
import { signIn, snap } from "./accounts";

test("a lead creates a read-only API key on the profile page, uses it, and revokes it", async ({ page, request }) => {
  await signIn(page, "redLead");
  await page.goto("/profile");
  const form = page.getByRole("form", { name: "Create an API key" });
  await form.getByLabel("Key name").fill("Dashboard export");
  await form.getByRole("button", { name: "Create key" }).click();
  const shown = page.getByRole("textbox", { name: "New API key" });
  await expect(shown).toHaveValue(/^aegis_[0-9a-f]{32}_[0-9a-f]{64}$/);
  const key = await shown.inputValue();
  await snap(page, "profile-api-keys");
  await page.getByRole("button", { name: "I have copied it" }).click();
  await expect(shown).toHaveCount(0);

  // The key reads; a write is refused with the missing scope named.
  const auth = { Authorization: `Bearer ${key}` };
  expect((await request.get("/api/v1/tests", { headers: auth })).status()).toBe(200);
  const refused = await request.post("/api/v1/tests", { headers: auth, data: { title: "Nope", technique_id: "T1059.001" } });
  expect(refused.status()).toBe(403);
  expect((await refused.json()).title).toContain("tests:write");

  const row = page.getByRole("row").filter({ hasText: "Dashboard export" });
  await page.reload();
  await expect(row).toContainText("active");
  await expect(row).toContainText("127.0.0.1");
  await row.getByRole("button", { name: "Revoke Dashboard export" }).click();
  await expect(row).toContainText("revoked");
  expect((await request.get("/api/v1/tests", { headers: auth })).status()).toBe(401);
});
