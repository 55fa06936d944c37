import { useSearchParams } from "react-router";
import { useSession } from "../auth/session";

/**
 * The UI preferences kept in the profile (`PATCH /api/v1/users/me/preferences`). The server
 * stores any JSON object; these are the keys the web UI writes and reads.
 */
export type Preferences = {
  /** Rows per page of the lists that honour it. */
  per_page?: number;
  /** What colours a heatmap cell by default: "rolled_score", "score" or "status". */
  heatmap_color_by?: string;
};

export const PER_PAGE_OPTIONS = [25, 50, 100, 200] as const;
export const DEFAULT_PER_PAGE = 50;

export const HEATMAP_COLOR_OPTIONS = [
  ["rolled_score", "Rolled-up score (with sub-techniques)"],
  ["score", "The technique's own score"],
  ["status", "Coverage status"],
] as const;

/** The known keys of a stored preference object, ignoring anything malformed. */
export function readPreferences(raw: Record<string, unknown> | undefined): Preferences {
  const prefs: Preferences = {};
  const perPage = raw?.["per_page"];
  if (typeof perPage === "number" && Number.isInteger(perPage) && perPage >= 1 && perPage <= 200) prefs.per_page = perPage;
  const colorBy = raw?.["heatmap_color_by"];
  if (typeof colorBy === "string" && HEATMAP_COLOR_OPTIONS.some(([value]) => value === colorBy)) prefs.heatmap_color_by = colorBy;
  return prefs;
}

export function usePreferences(): Preferences {
  return readPreferences(useSession().me.preferences);
}

/**
 * A list's filters and page kept in the URL, so links and reloads keep them. Changing a filter
 * goes back to the first page.
 */
export function useListParams() {
  const [params, setParams] = useSearchParams();
  const perPage = usePreferences().per_page ?? DEFAULT_PER_PAGE;
  const page = Math.max(1, Math.floor(Number(params.get("page"))) || 1);
  const update = (patch: Record<string, string | null>) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        for (const [key, value] of Object.entries(patch)) {
          if (value === null || value === "") next.delete(key);
          else next.set(key, value);
        }
        if (!("page" in patch)) next.delete("page");
        return next;
      },
      { replace: true },
    );
  return {
    page,
    perPage,
    get: (key: string) => params.get(key) ?? "",
    update,
    setPage: (p: number) => update({ page: p > 1 ? String(p) : null }),
  };
}

export function pageCount(total: number, perPage: number): number {
  return Math.max(1, Math.ceil(total / Math.max(1, perPage)));
}
