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

