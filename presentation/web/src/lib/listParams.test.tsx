import { act, renderHook } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import { SessionContext } from "../auth/session";
import { user } from "../test/render";
import { pageCount, useListParams } from "./listParams";

function wrapper(url: string, preferences: Record<string, unknown> = {}) {
  return ({ children }: { children: ReactNode }) => (
    <SessionContext.Provider value={{ me: user("viewer", { preferences: preferences as Record<string, never> }), signOut: async () => {} }}>
      <MemoryRouter initialEntries={[url]}>{children}</MemoryRouter>
    </SessionContext.Provider>
  );
}

describe("useListParams", () => {
  it("reads filters and the page from the URL, and a filter change goes back to page 1", () => {
    const { result } = renderHook(() => useListParams(), { wrapper: wrapper("/tests?state=draft&page=3") });
    expect(result.current.get("state")).toBe("draft");
    expect(result.current.page).toBe(3);
    act(() => result.current.set({ state: "validated" }));
    expect(result.current.get("state")).toBe("validated");
    expect(result.current.page).toBe(1);
    act(() => result.current.setPage(2));
    expect(result.current.page).toBe(2);
    act(() => result.current.set({ state: "" }));
    expect(result.current.params.has("state")).toBe(false);
  });

  it("takes the rows per page from the profile, and ignores a nonsense page", () => {
    const { result } = renderHook(() => useListParams(), { wrapper: wrapper("/tests?page=-4", { per_page: 25 }) });
    expect(result.current.perPage).toBe(25);
    expect(result.current.page).toBe(1);
  });
});

describe("pageCount", () => {
  it("is at least one page", () => {
    expect(pageCount(0, 50)).toBe(1);
    expect(pageCount(101, 50)).toBe(3);
  });
});
