import { useSearchParams } from "react-router";
import { DEFAULT_PER_PAGE, usePreferences } from "../pages/preferences";

/**
 * A list's filters and page, kept in the URL so that links and reloads keep them. An empty or
 * null value removes a parameter; changing anything but the page goes back to page 1, and filter
 * edits replace the history entry instead of piling up. Rows per page follow the profile.
 */
export function useListParams() {
  const [params, setParams] = useSearchParams();
  const perPage = usePreferences().per_page ?? DEFAULT_PER_PAGE;
  const page = Math.max(1, Math.floor(Number(params.get("page"))) || 1);
  const set = (changes: Record<string, string | null>, replace = true) =>
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        for (const [name, value] of Object.entries(changes)) {
          if (value) next.set(name, value);
          else next.delete(name);
        }
        if (!("page" in changes)) next.delete("page");
        return next;
      },
      { replace },
    );
  return {
    params,
    page,
    perPage,
    get: (name: string) => params.get(name) ?? "",
    set,
    setPage: (p: number) => set({ page: p > 1 ? String(p) : null }, false),
  };
}

export function pageCount(total: number, perPage: number): number {
  return Math.max(1, Math.ceil(total / Math.max(1, perPage)));
}
