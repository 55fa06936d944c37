import { afterEach, describe, expect, it, vi } from "vitest";
import { sessionFetch, setSessionListener } from "./client";

function answer(status: number, body: unknown = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

function listen() {
  const listener = { onSignedOut: vi.fn(), onPasswordChangeRequired: vi.fn(), onMfaEnrolmentRequired: vi.fn() };
  setSessionListener(listener);
  return listener;
}

afterEach(() => vi.unstubAllGlobals());

describe("sessionFetch", () => {
  it("refreshes once on a 401 and retries the request", async () => {
    const listener = listen();
    const seen: string[] = [];
    let refreshed = false;
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: Request | string) => {
        const url = typeof input === "string" ? input : input.url;
        const path = new URL(url, "http://localhost").pathname;
        seen.push(path);
        if (path === "/api/v1/auth/refresh") {
          refreshed = true;
          return answer(200);
        }
        return refreshed ? answer(200, { ok: true }) : answer(401);
      }),
    );
    const response = await sessionFetch(new Request("http://localhost/api/v1/tests"));
    expect(response.status).toBe(200);
    expect(seen).toEqual(["/api/v1/tests", "/api/v1/auth/refresh", "/api/v1/tests"]);
    expect(listener.onSignedOut).not.toHaveBeenCalled();
  });

  it("shares one refresh between requests that fail together, then signs out when it fails", async () => {
    const listener = listen();
    let refreshes = 0;
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: Request | string) => {
        const url = typeof input === "string" ? input : input.url;
        if (url.endsWith("/api/v1/auth/refresh")) {
          refreshes += 1;
          await new Promise((resolve) => setTimeout(resolve, 10));
          return answer(401);
        }
        return answer(401);
      }),
    );
    const [a, b] = await Promise.all([sessionFetch(new Request("http://localhost/api/v1/tests")), sessionFetch(new Request("http://localhost/api/v1/campaigns"))]);
    expect([a.status, b.status]).toEqual([401, 401]);
    expect(refreshes).toBe(1);
    expect(listener.onSignedOut).toHaveBeenCalled();
  });

  it("sends the user to the password page when the server requires a change", async () => {
    const listener = listen();
    vi.stubGlobal("fetch", vi.fn(async () => answer(403, { type: "about:blank", title: "Change your password", status: 403, code: "PASSWORD_CHANGE_REQUIRED" })));
    const response = await sessionFetch(new Request("http://localhost/api/v1/dashboard"));
    expect(response.status).toBe(403);
    expect(listener.onPasswordChangeRequired).toHaveBeenCalledTimes(1);
    expect(listener.onSignedOut).not.toHaveBeenCalled();
  });

  it("does not refresh for the sign-in request itself", async () => {
    listen();
    const calls = vi.fn(async () => answer(401, { type: "about:blank", title: "Wrong", status: 401, code: "INVALID_CREDENTIALS" }));
    vi.stubGlobal("fetch", calls);
    await sessionFetch(new Request("http://localhost/api/v1/auth/login", { method: "POST" }));
    expect(calls).toHaveBeenCalledTimes(1);
  });
});
