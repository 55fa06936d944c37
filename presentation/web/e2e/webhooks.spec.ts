import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { signIn, snap } from "./accounts";

type Received = { headers: IncomingHttpHeaders; body: string };

/** A webhook receiver on 127.0.0.1 that answers with `status()` and keeps what it got. */
async function receiver(status: () => number) {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      response.writeHead(status()).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/aegis`, received, close: () => server.close() };
}

/** Standard Webhooks: base64 HMAC-SHA256 of `id.timestamp.body` with the key after `whsec_`. */
function verifies(secret: string, request: Received): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const signed = `${request.headers["webhook-id"]}.${request.headers["webhook-timestamp"]}.${request.body}`;
  const expected = createHmac("sha256", key).update(signed).digest("base64");
  return String(request.headers["webhook-signature"]).split(" ").includes(`v1,${expected}`);
}

test("an admin registers a webhook, sees a failing receiver retried until dead, and redelivers", async ({ page }) => {
  let answer = 500;
  const hook = await receiver(() => answer);
  try {
    await signIn(page, "admin");
    await page.getByRole("link", { name: "Webhooks" }).click();
    await expect(page.getByRole("heading", { name: "Webhooks", exact: true })).toBeVisible();

    // An internal address is refused, the reason under the URL field.
    const form = page.getByRole("form", { name: "Create a webhook" });
    await form.getByLabel("Name").fill("SOAR");
    await form.getByLabel("URL").fill(hook.url);
    await form.getByRole("button", { name: "Create webhook" }).click();
    await expect(form.getByText(/127\.0\.0\.1 is a loopback address/)).toBeVisible();

    // Allowed through the allow-list, it is accepted and its secret shown once.
    const allow = page.getByRole("form", { name: "Webhook allow-list" });
    await allow.getByLabel("Allowed hosts and ranges (one per line)").fill("127.0.0.1");
    await allow.getByRole("button", { name: "Save allow-list" }).click();
    await expect(allow.getByLabel("Allowed hosts and ranges (one per line)")).toHaveValue("127.0.0.1/32");
    await form.getByRole("button", { name: "Create webhook" }).click();
    const secret = (await page.getByTestId("one-time-secret").textContent()) ?? "";
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    await page.getByRole("button", { name: "I have copied it" }).click();
    await expect(page.getByTestId("one-time-secret")).toHaveCount(0);

    // A test delivery to the failing receiver: retried with back-off, then dead, with its log.
    const row = page.getByRole("row").filter({ hasText: "SOAR" });
    await row.getByRole("button", { name: "Send a test delivery to SOAR" }).click();
    const log = page.getByRole("table", { name: "Deliveries of SOAR" });
    await expect(log.getByText("dead", { exact: true })).toBeVisible({ timeout: 40_000 });
    await log.getByText("5", { exact: true }).click();
    await expect(log.getByText(/#5 .* failed \(HTTP 500\)/)).toBeVisible();
    expect(hook.received).toHaveLength(5);
    expect(hook.received.every((request) => verifies(secret, request))).toBe(true);
    await snap(page, "webhooks-dead-delivery");
    // With data on it, the page passes the WCAG A/AA audit and no table scrolls at 1280 px.
    const audit = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
    expect(audit.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);
    const overflowing = await page.evaluate(() => [...document.querySelectorAll(".overflow-x-auto")].filter((el) => el.scrollWidth > el.clientWidth + 1).length);
    expect(overflowing).toBe(0);

    // Fixed receiver: the redelivery arrives under the same webhook-id, signed.
    answer = 204;
    const messageId = hook.received[0]?.headers["webhook-id"];
    await log.getByRole("button", { name: `Redeliver ${messageId}` }).click();
    await expect(log.getByText("delivered", { exact: true })).toBeVisible({ timeout: 20_000 });
    const last = hook.received.at(-1);
    if (!last) throw new Error("nothing received");
    expect(last.headers["webhook-id"]).toBe(messageId);
    expect(verifies(secret, last)).toBe(true);
    expect(JSON.parse(last.body).type).toBe("webhook.ping");
  } finally {
    hook.close();
  }
});

test("the webhooks page is for administrators only", async ({ page }) => {
  await signIn(page, "blueLead");
  await expect(page.getByRole("link", { name: "Webhooks" })).toHaveCount(0);
  await page.goto("/admin/webhooks");
  await expect(page.getByText("Only administrators can see this page")).toBeVisible();
});
