import { useEffect, useRef, useState, type FormEvent } from "react";
import { useQuery } from "@tanstack/react-query";
import { api, ok, type Schemas } from "../../api/client";
import { Badge, Button, EmptyState, ErrorPanel, PageHeader, TextField, type BadgeTone } from "../../components/ui";
import { formatDateTime, humanize } from "../../lib/format";
import { every, type JobOutcome } from "../../api/enums";

export type JobRun = Schemas["JobRunView"];

/** What an admin-only page shows anyone else who reaches its address. */
export function AdminOnly({ title }: { title: string }) {
  return (
    <>
      <PageHeader title={title} />
      <EmptyState title="Only administrators can see this page" />
    </>
  );
}

/** A text filter applied on Enter or with its button, not on every keystroke. */
export function FilterText({ label, value, onApply, type = "text", className = "w-64" }: { label: string; value: string; onApply: (value: string) => void; type?: string; className?: string }) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(draft.trim());
  };
  return (
    <form onSubmit={submit} className={`flex items-end gap-2 ${className}`}>
      <div className="flex-1">
        <TextField label={label} type={type} value={draft} onChange={(e) => setDraft(e.target.value)} />
      </div>
      <Button type="submit" tone="secondary">
        Apply
      </Button>
    </form>
  );
}

/** A password or secret the server returns once: shown with a warning and a copy button. */
export function OneTimeSecret({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="rounded-md border border-amber-300 bg-amber-50 p-3">
      <p className="text-sm font-medium text-amber-900">{label} (shown only this once)</p>
      <div className="mt-1 flex items-center gap-2">
        <code className="select-all break-all rounded bg-white px-2 py-1 font-mono text-sm" data-testid="one-time-secret">
          {value}
        </code>
        <Button
          tone="secondary"
          onClick={() =>
            navigator.clipboard
              .writeText(value)
              .then(() => setCopied(true))
              .catch(() => setCopied(false))
          }
        >
          {copied ? "Copied" : "Copy"}
        </Button>
      </div>
    </div>
  );
}

/** Outcomes after which a run changes no more. */
export const FINISHED = new Set(["succeeded", "dead"]);
export const JOB_OUTCOMES = every<JobOutcome>()(["queued", "running", "succeeded", "retrying", "dead"]);

export function jobOutcomeTone(outcome: string): BadgeTone {
  switch (outcome) {
    case "succeeded":
      return "green";
    case "dead":
      return "red";
    case "retrying":
      return "amber";
    case "running":
      return "blue";
    default:
      return "slate";
  }
}

export const POLL_MS = 2000;

/** One run, polled until it finishes; `onFinished` fires once when it does. */
export function useJobRun(id: string | null, onFinished?: (run: JobRun) => void) {
  const finishedRef = useRef<string | null>(null);
  const run = useQuery({
    queryKey: ["system", "jobs", "run", id],
    queryFn: () => ok(api.GET("/api/v1/system/jobs/{id}", { params: { path: { id: id ?? "" } } })),
    enabled: id !== null,
    refetchInterval: (query) => (query.state.data && FINISHED.has(query.state.data.outcome) ? false : POLL_MS),
  });
  useEffect(() => {
    if (run.data && FINISHED.has(run.data.outcome) && finishedRef.current !== run.data.id) {
      finishedRef.current = run.data.id;
      onFinished?.(run.data);
    }
  }, [run.data, onFinished]);
  return run;
}

/** A compact instant with seconds, for tables of runs. */
export function formatInstant(value: string | null | undefined): string {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
}

/** A run's state in one line: outcome, attempts, when, counts, error. */
export function RunLine({ run, withOutcome = true }: { run: JobRun; withOutcome?: boolean }) {
  const counts = Object.entries(run.counts);
  return (
    <span className="inline-flex flex-wrap items-center gap-x-2 gap-y-1 text-xs text-slate-700">
      {withOutcome && <Badge tone={jobOutcomeTone(run.outcome)}>{humanize(run.outcome)}</Badge>}
      <span>
        attempt {run.attempts} of {run.max_attempts}
      </span>
      <span>{run.finished_at ? `finished ${formatDateTime(run.finished_at)}` : run.started_at ? `started ${formatDateTime(run.started_at)}` : `queued ${formatDateTime(run.queued_at)}`}</span>
      {counts.length > 0 && <span>{counts.map(([k, v]) => `${humanize(k).toLowerCase()} ${v}`).join(", ")}</span>}
      {run.error && <span className="text-red-800">{run.error}</span>}
    </span>
  );
}

/** The state of a run one just queued, polled until it finishes. */
export function LiveRun({ id, onFinished }: { id: string; onFinished?: (run: JobRun) => void }) {
  const run = useJobRun(id, onFinished);
  if (run.error) return <ErrorPanel error={run.error} />;
  if (!run.data) return <span className="text-xs text-slate-600">Queued…</span>;
  return <RunLine run={run.data} />;
}
