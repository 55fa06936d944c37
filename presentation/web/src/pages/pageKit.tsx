import { useEffect, useState } from "react";
import { useSearchParams } from "react-router";
import type { BadgeTone } from "../components/ui";
import { TextField } from "../components/ui";

/**
 * A list's filters and page kept in the URL, so links and reloads keep them. Changing a filter
 * goes back to the first page; filter edits replace the history entry instead of piling up.
 */
export function useUrlFilters() {
  const [params, setParams] = useSearchParams();
  const get = (key: string) => params.get(key) ?? "";
  const page = Math.max(1, Number(params.get("page")) || 1);
  const set = (changes: Record<string, string | null>, replace = true) =>
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        for (const [key, value] of Object.entries(changes)) {
          if (value) next.set(key, value);
          else next.delete(key);
        }
        if (!("page" in changes)) next.delete("page");
        return next;
      },
      { replace },
    );
  return { get, page, set, setPage: (p: number) => set({ page: p > 1 ? String(p) : null }, false) };
}

export function pageCount(total: number, perPage: number): number {
  return Math.max(1, Math.ceil(total / Math.max(1, perPage)));
}

/** A text filter that waits for the typing to pause before it changes the URL (and the query). */
export function SearchBox({ label, value, onSearch, hint }: { label: string; value: string; onSearch: (value: string) => void; hint?: string }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const timer = setTimeout(() => onSearch(text.trim()), 300);
    return () => clearTimeout(timer);
  }, [text, value, onSearch]);
  return <TextField label={label} type="search" value={text} onChange={(e) => setText(e.target.value)} {...(hint ? { hint } : {})} />;
}

export const CAMPAIGN_TYPES = [
  ["purple_team", "Purple team"],
  ["red_team", "Red team (blind)"],
  ["blue_team", "Blue team"],
  ["tabletop", "Tabletop"],
] as const;

export const CAMPAIGN_STATUSES = ["draft", "active", "completed", "archived"] as const;

export function campaignStatusTone(status: string): BadgeTone {
  switch (status) {
    case "active":
      return "blue";
    case "completed":
      return "green";
    case "archived":
      return "purple";
    default:
      return "slate";
  }
}

export const FINDING_STATUSES = ["open", "in_remediation", "awaiting_retest", "resolved", "risk_accepted"] as const;
export const SEVERITIES = ["critical", "high", "medium", "low"] as const;

export function findingStatusTone(status: string): BadgeTone {
  switch (status) {
    case "open":
      return "red";
    case "in_remediation":
      return "amber";
    case "awaiting_retest":
      return "blue";
    case "resolved":
      return "green";
    case "risk_accepted":
      return "purple";
    default:
      return "slate";
  }
}

export const COVERAGE_STATUSES = ["not_covered", "in_progress", "partial", "validated", "stale"] as const;

export function coverageTone(status: string | null | undefined): BadgeTone {
  switch (status) {
    case "validated":
    case "covered":
      return "green";
    case "partial":
      return "amber";
    case "in_progress":
      return "blue";
    case "stale":
      return "purple";
    case "not_covered":
    case "gap":
      return "red";
    default:
      return "slate";
  }
}

/** Chart fills per coverage status, the badge colours at chart strength. */
export const COVERAGE_COLORS: Record<string, string> = {
  not_covered: "#f87171",
  in_progress: "#60a5fa",
  partial: "#facc15",
  validated: "#4ade80",
  stale: "#c084fc",
};

export function formatScore(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : value.toFixed(0);
}

/** Today as YYYY-MM-DD in the user's time zone (date inputs speak local dates). */
export function today(): string {
  const now = new Date();
  const offset = now.getTimezoneOffset() * 60_000;
  return new Date(now.getTime() - offset).toISOString().slice(0, 10);
}
