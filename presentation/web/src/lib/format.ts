import type { BadgeTone } from "../components/ui";
import { every, type CoverageStatus, type Outcome, type Role, type TestState } from "../api/enums";

export function formatDate(value: string | null | undefined): string {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

export function formatDateTime(value: string | null | undefined): string {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s} s` : `${s} s`;
}

export function formatPercent(value: number | null | undefined, digits = 0): string {
  return value === null || value === undefined ? "—" : `${value.toFixed(digits)} %`;
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** snake_case or kebab-case words as a label: "blue_evaluating" -> "Blue evaluating". */
export function humanize(text: string | null | undefined): string {
  if (!text) return "—";
  const words = text.replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export const TEST_STATES = every<TestState>()(["draft", "red_executing", "blue_evaluating", "in_review", "validated", "rejected", "disputed"]);

export function stateTone(state: string): BadgeTone {
  switch (state) {
    case "validated":
      return "green";
    case "rejected":
      return "red";
    case "disputed":
      return "amber";
    case "red_executing":
      return "red";
    case "blue_evaluating":
      return "blue";
    case "in_review":
      return "purple";
    default:
      return "slate";
  }
}

export const OUTCOMES = every<Outcome>()(["prevented", "detected", "logged", "not_detected"]);

export function outcomeTone(outcome: string | null | undefined): BadgeTone {
  switch (outcome) {
    case "prevented":
      return "green";
    case "detected":
      return "blue";
    case "logged":
      return "amber";
    case "not_detected":
      return "red";
    default:
      return "slate";
  }
}

export function severityTone(severity: string): BadgeTone {
  switch (severity) {
    case "critical":
      return "red";
    case "high":
      return "amber";
    case "medium":
      return "blue";
    default:
      return "slate";
  }
}

/** Score colours from red (0) to green (100), readable with dark text. */
export function scoreColor(score: number | null | undefined): string {
  if (score === null || score === undefined) return "#e2e8f0";
  if (score >= 80) return "#4ade80";
  if (score >= 60) return "#a3e635";
  if (score >= 40) return "#facc15";
  if (score >= 20) return "#fb923c";
  return "#f87171";
}

export const ROLES = every<Role>()(["admin", "red_lead", "red_tech", "blue_lead", "blue_tech", "viewer"]);
export type { Role };

export const roleLabel: Record<Role, string> = {
  admin: "Administrator",
  red_lead: "Red lead",
  red_tech: "Red operator",
  blue_lead: "Blue lead",
  blue_tech: "Blue analyst",
  viewer: "Viewer",
};

/** Coverage status colours, shared by the heatmap, lists and charts. */
export const COVERAGE_COLORS: Record<CoverageStatus, string> = {
  validated: "#4ade80",
  partial: "#facc15",
  in_progress: "#93c5fd",
  stale: "#c4b5fd",
  not_covered: "#e2e8f0",
};

/** A 0-100 score as a whole number, or a dash when there is none. */
export function formatScore(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : value.toFixed(0);
}
