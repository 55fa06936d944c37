import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../api/client";
import { json, renderPage, stubApi } from "../../test/render";
import { WebhooksPage } from "./Webhooks";

const hook: Schemas["WebhookView"] = {
  id: "01a25098-0000-7000-8000-0000000000a1",
  name: "SOAR",
  url: "https://soar.example.com/hooks/aegis",
  events: ["finding.opened"],
  preset: "generic",
  active: true,
  created_by: "01a25098-0000-7000-8000-0000000000f1",
  created_at: "2026-12-07T12:00:00Z",
  updated_at: "2026-12-07T12:00:00Z",
};

const dead: Schemas["DeliveryView"] = {
  id: "01a25098-0000-7000-8000-0000000000d1",
  webhook_id: hook.id,
  message_id: "msg_01a25098",
  event: "webhook.ping",
  status: "dead",
  attempts: 2,
  next_attempt_at: null,
  created_at: "2026-12-07T12:01:00Z",
  last_attempt_at: "2026-12-07T12:01:30Z",
  last_response_code: 500,
  last_error: "HTTP 500 Internal Server Error",
  payload: { type: "webhook.ping", timestamp: "2026-12-07T12:01:00Z", data: {} },
  log: [
    { attempt: 1, attempted_at: "2026-12-07T12:01:00Z", duration_ms: 4, succeeded: false, response_code: 500, error: "HTTP 500 Internal Server Error" },
    { attempt: 2, attempted_at: "2026-12-07T12:01:30Z", duration_ms: 3, succeeded: false, response_code: 500, error: "HTTP 500 Internal Server Error" },
  ],
};

describe("WebhooksPage", () => {
  it("shows a refused URL under its field, then the secret of a created webhook once", async () => {
    let attempts = 0;
    const { calls } = stubApi({
      "GET /api/v1/webhooks": () => json(attempts > 1 ? [hook] : []),
      "GET /api/v1/webhooks/allow-list": () => json({ entries: [] }),
      "POST /api/v1/webhooks": () =>
        ++attempts === 1
          ? json(
              {
                type: "about:blank",
                title: "Validation failed",
                status: 422,
                code: "VALIDATION_FAILED",
                errors: [{ field: "url", message: "10.0.0.1 is a private address, not allowed unless the webhook allow-list names it" }],
              },
              422,
            )
          : json({ ...hook, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }, 201),
    });
    renderPage(<WebhooksPage />);
    const form = await screen.findByRole("form", { name: "Create a webhook" });
    await userEvent.type(within(form).getByLabelText("Name"), "SOAR");
    await userEvent.type(within(form).getByLabelText("URL"), "http://10.0.0.1/");
    await userEvent.click(within(form).getByRole("button", { name: "Create webhook" }));
    expect(await within(form).findByText(/10\.0\.0\.1 is a private address/)).toBeInTheDocument();
    await userEvent.click(within(form).getByRole("button", { name: "Create webhook" }));
    expect(await screen.findByTestId("one-time-secret")).toHaveTextContent("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    const created = calls.filter((c) => c.method === "POST")[1];
    if (!created) throw new Error("no second POST");
    const body = await created.clone().json();
    expect(body).toMatchObject({ name: "SOAR", events: ["finding.opened"], preset: "generic" });
    await userEvent.click(screen.getByRole("button", { name: "I have copied it" }));
    expect(screen.queryByTestId("one-time-secret")).not.toBeInTheDocument();
    expect(await screen.findByRole("table", { name: "Registered webhooks" })).toHaveTextContent("SOAR");
  });

  it("shows a webhook's delivery log and redelivers a dead delivery", async () => {
    const { calls } = stubApi({
      "GET /api/v1/webhooks": () => json([hook]),
      "GET /api/v1/webhooks/allow-list": () => json({ entries: ["127.0.0.1/32"] }),
      [`GET /api/v1/webhooks/${hook.id}/deliveries`]: () => json({ items: [dead], total: 1, page: 1, per_page: 50 }),
      [`POST /api/v1/webhooks/${hook.id}/deliveries/${dead.id}/redeliver`]: () => json({ ...dead, id: "01a25098-0000-7000-8000-0000000000d2", status: "pending", attempts: 0, log: [] }, 202),
    });
    renderPage(<WebhooksPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Deliveries of SOAR" }));
    const log = await screen.findByRole("table", { name: "Deliveries of SOAR" });
    expect(within(log).getByText("dead")).toBeInTheDocument();
    expect(within(log).getByText(/#2 .* failed \(HTTP 500\)/)).toBeInTheDocument();
    await userEvent.click(within(log).getByRole("button", { name: "Redeliver msg_01a25098" }));
    expect(calls.some((c) => c.method === "POST" && c.url.endsWith(`/deliveries/${dead.id}/redeliver`))).toBe(true);
    expect(screen.getByLabelText("Allowed hosts and ranges (one per line)")).toHaveValue("127.0.0.1/32");
  });
});
