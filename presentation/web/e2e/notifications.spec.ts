import { expect, test } from "@playwright/test";
import { baseURL } from "../playwright.config";
import { ACCOUNTS, PASSWORD, signIn, type Account } from "./accounts";

async function call(account: Account, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const login = await fetch(`${baseURL}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: ACCOUNTS[account], password: PASSWORD }),
  });
  expect(login.ok).toBe(true);
  const { access_token } = (await login.json()) as { access_token: string };
  const answer = await fetch(`${baseURL}${path}`, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${access_token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(answer.ok, `${method} ${path}: ${answer.status}`).toBe(true);
  return (await answer.json()) as Record<string, unknown>;
}

test("a notification reaches a blue lead's open page through the live stream, without polling", async ({ page }) => {
  await signIn(page, "blueLead");
  const bell = page.getByRole("button", { name: /^Notifications, \d+ unread$/ });
  await expect(bell).toBeVisible();
  const before = Number((await bell.getAttribute("aria-label"))?.match(/(\d+) unread/)?.[1]);

  // Red submits a test: blue must evaluate it, and the blue lead is told.
  const test = await call("redLead", "POST", "/api/v1/tests", { title: `Live ${Date.now()}`, technique_id: "T1059.001" });
  const act = (action: string) => `/api/v1/tests/${String(test.id)}/${action}`;
  await call("redTech", "POST", act("start-execution"), {});
  await call("redTech", "PATCH", act("red"), { executed_at: "2026-11-29T10:00:00Z", command: "whoami", result_summary: "ran" });
  await call("redTech", "POST", act("submit-red"), {});

  // The bell no longer polls: only the stream can bring the news, and within a second.
  await expect(page.getByRole("button", { name: `Notifications, ${before + 1} unread` })).toBeVisible({ timeout: 1_000 });
  await page.getByRole("button", { name: `Notifications, ${before + 1} unread` }).click();
  await expect(page.getByRole("link", { name: /Live \d+/ })).toBeVisible();
});
