import type { Schemas } from "../api/client";
import { formatDuration, formatPercent } from "../lib/format";

type Split = Schemas["OutcomeSplitView"];

const PARTS = [
  { key: "prevented_share", label: "Prevented", colour: "bg-emerald-600" },
  { key: "detected_share", label: "Detected", colour: "bg-sky-600" },
  { key: "logged_share", label: "Logged only", colour: "bg-amber-500" },
  { key: "missed_share", label: "Missed", colour: "bg-red-600" },
] as const;

/** Validated tests split into prevented / detected / logged only / missed, and the time to detect. */
export function OutcomeSplit({ split, compact = false }: { split: Split; compact?: boolean }) {
  if (split.validated_tests === 0) {
    return <p className="text-slate-500">No validated test yet.</p>;
  }
  return (
    <div>
      <div className="flex h-2 w-full overflow-hidden rounded bg-slate-200" role="img" aria-label={PARTS.map((p) => `${p.label} ${formatPercent(split[p.key] * 100)}`).join(", ")}>
        {PARTS.map((p) => (split[p.key] > 0 ? <div key={p.key} className={p.colour} style={{ width: `${split[p.key] * 100}%` }} /> : null))}
      </div>
      <dl className={`mt-1 grid ${compact ? "grid-cols-2" : "grid-cols-4"} gap-x-3 gap-y-0.5`}>
        {PARTS.map((p) => (
          <div key={p.key} className="flex justify-between gap-1">
            <dt className="text-slate-600">{p.label}</dt>
            <dd className="font-medium">{formatPercent(split[p.key] * 100)}</dd>
          </div>
        ))}
      </dl>
      <p className="mt-1 text-slate-600">
        {split.validated_tests} validated · time to detect:{" "}
        {split.median_seconds_to_detect == null ? (
          "not timed"
        ) : (
          <>
            median <strong>{formatDuration(split.median_seconds_to_detect)}</strong>, p90 <strong>{formatDuration(split.p90_seconds_to_detect)}</strong>
          </>
        )}
      </p>
    </div>
  );
}
