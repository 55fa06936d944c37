import type { ReactElement } from "react";
import { render } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { MemoryRouter, Route, Routes } from "react-router";
import { vi } from "vitest";
import { SessionContext, type Me } from "../auth/session";
import type { Role } from "../api/enums";

export function user(role: Role, overrides: Partial<Me> = {}): Me {
  return {
    id: "00000000-0000-7000-8000-000000000001",
    tenant_id: "00000000-0000-7000-8000-000000000002",
    email: `${role}@aegis.test`,
    display_name: role,
    role,
    kind: "person",
    is_active: true,
    must_change_password: false,
    preferences: {},
    created_at: "2026-11-01T00:00:00Z",
    updated_at: "2026-11-01T00:00:00Z",
    ...overrides,
  };
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": status >= 400 ? "application/problem+json" : "application/json" },
  });
}

/** Answers by "METHOD /path" (query string ignored); unmatched requests are 404 problems. */
export type Routes = Record<string, (request: Request) => Response | Promise<Response>>;

export function stubApi(routes: Routes) {
  const calls: Request[] = [];
  const fetchMock = vi.fn(async (input: Request | string, init?: RequestInit) => {
    const request = typeof input === "string" ? new Request(new URL(input, "http://localhost"), init) : input;
    calls.push(request);
    const { pathname } = new URL(request.url);
    const handler = routes[`${request.method} ${pathname}`];
    return handler
      ? handler(request)
      : json({ type: "about:blank", title: "Not Found", status: 404, code: "NOT_FOUND" }, 404);
  });
  vi.stubGlobal("fetch", fetchMock);
  return { calls, fetchMock };
}

/**
 * Renders a page as `role` at `url`, under `pattern` (for route params), with a fresh query
 * client that does not retry.
 */
export function renderPage(ui: ReactElement, { role = "admin", url = "/", pattern = "*" }: { role?: Role; url?: string; pattern?: string } = {}) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const session = { me: user(role), signOut: async () => {} };
  return render(
    <QueryClientProvider client={client}>
      <SessionContext.Provider value={session}>
        <MemoryRouter initialEntries={[url]}>
          <Routes>
            <Route path={pattern} element={ui} />
          </Routes>
        </MemoryRouter>
      </SessionContext.Provider>
    </QueryClientProvider>,
  );
}
