import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas } from "../../api/client";
import { Badge, Button, Card, ErrorPanel, QueryState, SelectField } from "../../components/ui";
import { formatDateTime, formatDuration, humanize, outcomeTone } from "../../lib/format";
import { Facts } from "../listing";
import { can } from "../../lib/permissions";

type Test = Schemas["TestView"];
type Evaluation = Schemas["TelemetryEvaluationView"];

/** Blue (and admins until validation) evaluate telemetry in blue's phase. */
export function canEvaluate(state: string, role: string): boolean {
  if (role === "admin") return state !== "validated";
  return state === "blue_evaluating" && can(role, "evaluate_blue");
}

/**
 * Proof from telemetry: the run marker red puts in its command, the window events are tied
 * by, and the sealed evaluations of the telemetry uploaded as evidence, each proposing blue's
 * result; blue takes a proposal into its report (and may still change it there).
 */
export function TelemetryPanel({ test, role, blueEditable, onSaved }: { test: Test; role: string; blueEditable: boolean; onSaved: (test: Test) => void }) {
  const client = useQueryClient();
  const key = ["tests", test.id, "telemetry"];
  const overview = useQuery({
    queryKey: key,
    queryFn: () => ok(api.GET("/api/v1/tests/{id}/telemetry", { params: { path: { id: test.id } } })),
  });
  const [scope, setScope] = useState<"technique" | "all">("technique");
  const evaluate = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/tests/{id}/telemetry/evaluate", { params: { path: { id: test.id } }, body: { scope } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ["tests", test.id] }),
  });
  return (
    <Card title="Proof from telemetry">
      <QueryState query={overview}>
        {({ run, evaluations }) => (
          <div className="space-y-4">
            <Facts
              items={[
                [
                  "Run marker",
                  <span>
                    <code className="rounded bg-slate-100 px-1 font-mono">{run.marker}</code>
                    <span className="ml-2 text-xs text-slate-500">put it in the command line, a process or a host name</span>
                  </span>,
                ],
                [
                  "Window",
                  run.window_from && run.window_to
                    ? `${formatDateTime(run.window_from)} to ${formatDateTime(run.window_to)}`
                    : "set when red records the execution time",
                ],
                ["Clock skew, grace", `${formatDuration(run.clock_skew_seconds)}, ${formatDuration(run.grace_seconds)}`],
              ]}
            />
            {canEvaluate(test.state, role) && (
              <div className="flex flex-wrap items-end gap-3 rounded-md border border-slate-200 bg-slate-50 p-3">
                <p className="min-w-0 flex-1 text-sm text-slate-700">Upload the run's events as evidence (EVTX, JSON lines; plain, .gz or .zip), then evaluate the catalog's Sigma rules over them.</p>
                <div className="w-56">
                  <SelectField
                    label="Rules"
                    value={scope}
                    onChange={(e) => setScope(e.target.value === "all" ? "all" : "technique")}
                    options={[
                      ["technique", `Rules of ${test.technique_id}`],
                      ["all", "Every Sigma rule"],
                    ]}
                  />
                </div>
                <Button busy={evaluate.isPending} onClick={() => evaluate.mutate()}>
                  Evaluate telemetry
                </Button>
              </div>
            )}
            {evaluate.error && <ErrorPanel error={evaluate.error} />}
            {evaluations.length === 0 ? (
              <p className="text-sm text-slate-500">No evaluation yet.</p>
            ) : (
              <ol className="space-y-3">
                {evaluations.map((evaluation, index) => (
                  <EvaluationItem key={evaluation.evidence.id} test={test} evaluation={evaluation} latest={index === 0} blueEditable={blueEditable} onSaved={onSaved} />
                ))}
              </ol>
            )}
          </div>
        )}
      </QueryState>
    </Card>
  );
}

function EvaluationItem({ test, evaluation, latest, blueEditable, onSaved }: { test: Test; evaluation: Evaluation; latest: boolean; blueEditable: boolean; onSaved: (test: Test) => void }) {
  const { proposal } = evaluation;
  const take = useMutation({
    mutationFn: () =>
      ok(
        api.PATCH("/api/v1/tests/{id}/blue", {
          params: { path: { id: test.id } },
          body: {
            version: test.version,
            outcome: proposal.outcome,
            detected_at: proposal.detected_at ?? null,
            detection_source: `Aegis telemetry evaluation ${evaluation.evidence.sha256.slice(0, 12)}`,
            rule_results: proposal.rule_results.map((r) => ({ rule: r.rule, result: r.verdict })),
          },
        }),
      ),
    onSuccess: onSaved,
  });
  return (
    <li className="rounded-md border border-slate-200 p-3 text-sm" aria-label={`Evaluation of ${formatDateTime(evaluation.evaluated_at)}`}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="font-medium text-slate-900">
          Proposed: <Badge tone={outcomeTone(proposal.outcome)}>{humanize(proposal.outcome)}</Badge>
          {proposal.time_to_detect_seconds !== null && proposal.time_to_detect_seconds !== undefined && (
            <span className="ml-2 text-slate-600">time to detect {formatDuration(Math.max(0, proposal.time_to_detect_seconds))}</span>
          )}
        </p>
        {latest && blueEditable && (
          <Button tone="secondary" busy={take.isPending} onClick={() => take.mutate()}>
            Use as blue's result
          </Button>
        )}
      </div>
      {take.isSuccess && (
        <p role="status" className="mt-1 text-green-900">
          Taken into the blue report: review it there, then submit.
        </p>
      )}
      {take.error && <ErrorPanel error={take.error} />}
      <p className="mt-1 text-xs text-slate-600">
        {formatDateTime(evaluation.evaluated_at)} · {evaluation.events_read} events read, {evaluation.events_in_run} in the run ({evaluation.events_with_marker} with the marker) · {evaluation.rules_evaluated} rules evaluated, {evaluation.rules_unsupported} unsupported ·{" "}
        {evaluation.inputs.map((i) => i.filename).join(", ")}
      </p>
      <p className="break-all font-mono text-xs text-slate-700">
        <span className="font-sans text-slate-500">Sealed, SHA-256 </span>
        {evaluation.evidence.sha256}
      </p>
      {evaluation.fired.length > 0 ? (
        <ul className="mt-2 space-y-1" aria-label="Rules that fired">
          {evaluation.fired.map((rule) => (
            <li key={rule.id} className="flex flex-wrap items-center gap-2">
              <Badge tone="green">Fired</Badge>
              <span className="font-medium">{rule.title}</span>
              <span className="text-xs text-slate-600">
                {rule.matching_events} event{rule.matching_events === 1 ? "" : "s"}, first {rule.first_match_at ? formatDateTime(rule.first_match_at) : "untimed"} · {rule.techniques.join(", ")}
              </span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="mt-2 text-slate-600">No rule fired{evaluation.events_in_run > 0 ? " on the run's events" : ": the run left no events"}.</p>
      )}
      {evaluation.unsupported.length > 0 && (
        <details className="mt-2">
          <summary className="cursor-pointer text-xs text-slate-600">{evaluation.unsupported.length} rules could not be evaluated</summary>
          <ul className="mt-1 space-y-0.5 text-xs">
            {evaluation.unsupported.slice(0, 50).map((rule) => (
              <li key={rule.id}>
                {rule.title}: <span className="text-slate-600">{rule.reason}</span>
              </li>
            ))}
          </ul>
        </details>
      )}
    </li>
  );
}
