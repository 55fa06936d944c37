import { ApiProblem, asProblem, CSRF_HEADER, sessionFetch, type Schemas } from "../../api/client";
import type { BadgeTone } from "../../components/ui";

export type Scan = Schemas["ScanView"];
export type ScanFinding = Schemas["ScanFindingView"];
export type Verification = Schemas["ScanVerificationView"];

/**
 * The few scan endpoints that speak raw bytes rather than JSON (the diff, the artifact as
 * signed): openapi-fetch would parse or re-serialise them, and a re-serialised artifact no
 * longer verifies.
 */
async function send(path: string, init: RequestInit = {}): Promise<Response> {
  const response = await sessionFetch(new Request(new URL(path, window.location.origin), { credentials: "same-origin", ...init, headers: { ...CSRF_HEADER, ...(init.headers ?? {}) } }));
  if (!response.ok) {
    const body: unknown = await response.json().catch(() => null);
    throw new ApiProblem(asProblem(body, response.status));
  }
  return response;
}

export async function fetchDiff(id: string): Promise<string> {
  return (await send(`/api/v1/scans/${id}/diff`)).text();
}

export async function fetchArtifact(id: string): Promise<string> {
  return (await send(`/api/v1/scans/${id}/artifact`)).text();
}

/** Presents an artifact's bytes, untouched, for the server to check. */
export async function verifyArtifact(id: string, artifact: string | Blob): Promise<Verification> {
  const response = await send(`/api/v1/scans/${id}/verify`, { method: "POST", headers: { "Content-Type": "application/json" }, body: artifact });
  return (await response.json()) as Verification;
}

export function decisionTone(decision: string | null | undefined): BadgeTone {
  switch (decision) {
    case "pass":
      return "green";
    case "fail":
      return "red";
    case "error":
      return "amber";
    default:
      return "slate";
  }
}

export function scanStatusTone(status: string): BadgeTone {
  switch (status) {
    case "completed":
      return "green";
    case "error":
      return "red";
    case "running":
      return "blue";
    default:
      return "slate";
  }
}

/** The end of a chosen local day, as the instant an expiry means. */
export function endOfDay(day: string): string | null {
  return day ? new Date(`${day}T23:59:59`).toISOString() : null;
}

/** Rule ids and hosts typed one per line or comma-separated. */
export function listOf(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((v) => v.trim())
    .filter((v) => v !== "");
}
