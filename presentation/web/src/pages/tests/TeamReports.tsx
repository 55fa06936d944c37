import { useId, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { api, ok, type Schemas, fieldError } from "../../api/client";
import { Badge, Button, Card, SelectField, TextArea, TextField } from "../../components/ui";
import { formatDateTime, formatDuration, humanize, OUTCOMES, outcomeTone } from "../../lib/format";
import { Facts, FormProblem } from "../listing";
import { every, oneOf, type RuleVerdict } from "../../api/enums";

type Test = Schemas["TestView"];
type RuleResult = Schemas["RuleResultView"];
const RULE_RESULTS = every<RuleVerdict>()(["triggered", "not_triggered", "not_evaluated"]);

/** An ISO instant as a datetime-local value, in the browser's zone. */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

function fromLocalInput(value: string): string | null {
  const date = new Date(value);
  return value && !Number.isNaN(date.getTime()) ? date.toISOString() : null;
}

function Pre({ children }: { children: string | null | undefined }) {
  return children ? <pre className="max-h-64 overflow-auto whitespace-pre-wrap rounded bg-slate-900 p-2 font-mono text-xs text-slate-100">{children}</pre> : null;
}

function Saved({ show }: { show: boolean }) {
  return show ? (
    <p role="status" className="text-sm text-green-800">
      Saved.
    </p>
  ) : null;
}

/**
 * `submitError`: the refusal of the last submit of this report (fields still missing), shown
 * next to those fields like a refused save.
 */
export function RedReport({ test, editable, onSaved, submitError }: { test: Test; editable: boolean; onSaved: (test: Test) => void; submitError?: unknown }) {
  return (
    <Card title="Red team report" actions={test.red.started_at ? <span className="text-xs text-slate-500">Started {formatDateTime(test.red.started_at)}</span> : undefined}>
      {editable ? (
        <RedForm test={test} onSaved={onSaved} submitError={submitError} />
      ) : (
        <Facts
          items={[
            ["Tool", test.red.tool],
            ["Command", <Pre>{test.red.command}</Pre>],
            ["Procedure", test.red.procedure && <p className="whitespace-pre-wrap">{test.red.procedure}</p>],
            ["Targets", test.red.targets.join(", ")],
            ["Executed", test.red.executed_at && formatDateTime(test.red.executed_at)],
            ["Result", test.red.result_summary && <p className="whitespace-pre-wrap">{test.red.result_summary}</p>],
            ["Paused for", test.red.paused_seconds > 0 ? formatDuration(test.red.paused_seconds) : null],
          ]}
        />
      )}
    </Card>
  );
}

const RED_FIELDS = ["procedure", "command", "tool", "targets", "executed_at", "result_summary"];

function RedForm({ test, onSaved, submitError }: { test: Test; onSaved: (test: Test) => void; submitError?: unknown }) {
  const [form, setForm] = useState(() => ({
    procedure: test.red.procedure ?? "",
    command: test.red.command ?? "",
    tool: test.red.tool ?? "",
    targets: test.red.targets.join("\n"),
    executed_at: toLocalInput(test.red.executed_at),
    result_summary: test.red.result_summary ?? "",
  }));
  const save = useMutation({
    mutationFn: () =>
      ok(
        api.PATCH("/api/v1/tests/{id}/red", {
          params: { path: { id: test.id } },
          body: {
            version: test.version,
            procedure: form.procedure,
            command: form.command,
            tool: form.tool,
            targets: form.targets
              .split(/[\n,]/)
              .map((t) => t.trim())
              .filter(Boolean),
            executed_at: fromLocalInput(form.executed_at),
            result_summary: form.result_summary,
          },
        }),
      ),
    onSuccess: onSaved,
  });
  const bind = (name: keyof typeof form) => ({
    value: form[name],
    error: fieldError(save.error, name) ?? fieldError(submitError, name),
    onChange: (e: { target: { value: string } }) => {
      save.reset();
      setForm((f) => ({ ...f, [name]: e.target.value }));
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} className="space-y-3">
      <TextArea label="Procedure" rows={4} {...bind("procedure")} />
      <TextArea label="Command" rows={2} spellCheck={false} {...bind("command")} />
      <div className="grid gap-3 md:grid-cols-2">
        <TextField label="Tool" {...bind("tool")} />
        <TextField label="Executed at" type="datetime-local" {...bind("executed_at")} />
      </div>
      <TextArea label="Targets" rows={2} hint="One host or account a line" {...bind("targets")} />
      <TextArea label="Result summary" {...bind("result_summary")} />
      <FormProblem error={save.error} shown={RED_FIELDS} />
      <div className="flex items-center gap-3">
        <Button type="submit" busy={save.isPending}>
          Save red report
        </Button>
        <Saved show={save.isSuccess} />
      </div>
    </form>
  );
}

export function BlueReport({ test, editable, onSaved, submitError }: { test: Test; editable: boolean; onSaved: (test: Test) => void; submitError?: unknown }) {
  return (
    <Card title="Blue team evaluation" actions={test.blue.started_at ? <span className="text-xs text-slate-500">Started {formatDateTime(test.blue.started_at)}</span> : undefined}>
      {editable ? (
        <BlueForm test={test} onSaved={onSaved} submitError={submitError} />
      ) : (test.state === "draft" || test.state === "red_executing") && !test.blue.outcome && !test.blue.started_at ? (
        <p className="text-sm text-slate-500">The blue team evaluates once red submits its report.</p>
      ) : (
        <Facts
          items={[
            ["Outcome", test.blue.outcome && <Badge tone={outcomeTone(test.blue.outcome)}>{humanize(test.blue.outcome)}</Badge>],
            ["Detected", test.blue.detected_at && formatDateTime(test.blue.detected_at)],
            ["Source", test.blue.detection_source],
            ["Notes", test.blue.notes && <p className="whitespace-pre-wrap">{test.blue.notes}</p>],
            ["Rules", test.blue.rule_results.length > 0 && <RuleResults results={test.blue.rule_results} />],
            ["Paused for", test.blue.paused_seconds > 0 ? formatDuration(test.blue.paused_seconds) : null],
          ]}
        />
      )}
    </Card>
  );
}

function ruleTone(result: string) {
  return result === "triggered" ? "green" : result === "not_triggered" ? "red" : "slate";
}

function RuleResults({ results }: { results: RuleResult[] }) {
  return (
    <ul className="space-y-1">
      {results.map((r) => (
        <li key={r.rule} className="flex flex-wrap items-center gap-2">
          <span className="break-all font-mono text-xs">{r.rule}</span>
          <Badge tone={ruleTone(r.result)}>{humanize(r.result)}</Badge>
        </li>
      ))}
    </ul>
  );
}

const BLUE_FIELDS = ["outcome", "detected_at", "detection_source", "notes", "rule_results", "fired_rules"];

function BlueForm({ test, onSaved, submitError }: { test: Test; onSaved: (test: Test) => void; submitError?: unknown }) {
  const [form, setForm] = useState(() => ({
    outcome: test.blue.outcome ?? "",
    detected_at: toLocalInput(test.blue.detected_at),
    detection_source: test.blue.detection_source ?? "",
    notes: test.blue.notes ?? "",
  }));
  const [rules, setRules] = useState<RuleResult[]>(() => test.blue.rule_results);
  const rulesListId = useId();
  // Suggest the catalog's rules for this technique; blue may still name any rule.
  const known = useQuery({
    queryKey: ["detection-rules", "technique", test.technique_id],
    queryFn: () => ok(api.GET("/api/v1/detection-rules", { params: { query: { technique: test.technique_id, per_page: 100 } } })),
    staleTime: 300_000,
  });
  const save = useMutation({
    mutationFn: () =>
      ok(
        api.PATCH("/api/v1/tests/{id}/blue", {
          params: { path: { id: test.id } },
          body: {
            version: test.version,
            outcome: oneOf(OUTCOMES, form.outcome) ?? null,
            detected_at: fromLocalInput(form.detected_at),
            detection_source: form.detection_source,
            notes: form.notes,
            rule_results: rules.map((r) => ({ ...r, rule: r.rule.trim() })).filter((r) => r.rule),
          },
        }),
      ),
    onSuccess: onSaved,
  });
  const change = () => save.reset();
  const bind = (name: keyof typeof form) => ({
    value: form[name],
    error: fieldError(save.error, name) ?? fieldError(submitError, name),
    onChange: (e: { target: { value: string } }) => {
      change();
      setForm((f) => ({ ...f, [name]: e.target.value }));
    },
  });
  const setRule = (index: number, patch: Partial<RuleResult>) => {
    change();
    setRules((list) => list.map((r, i) => (i === index ? { ...r, ...patch } : r)));
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} className="space-y-3">
      <div className="grid gap-3 md:grid-cols-2">
        <SelectField label="Outcome" {...bind("outcome")} options={[["", "Not decided"], ...OUTCOMES.map((o) => [o, humanize(o)] as const)]} />
        <TextField label="Detected at" type="datetime-local" {...bind("detected_at")} />
      </div>
      <TextField label="Detection source" hint="EDR, SIEM, analyst…" {...bind("detection_source")} />
      <TextArea label="Detection notes" {...bind("notes")} />
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium text-slate-700">Detection rules checked</legend>
        {rules.length === 0 && <p className="text-sm text-slate-500">No rules recorded.</p>}
        {rules.map((rule, index) => (
          <div key={index} className="grid grid-cols-[1fr_12rem_auto] items-end gap-2">
            <TextField label={`Rule ${index + 1}`} list={rulesListId} value={rule.rule} onChange={(e) => setRule(index, { rule: e.target.value })} />
            <SelectField label={`Result of rule ${index + 1}`} value={rule.result} onChange={(e) => setRule(index, { result: oneOf(RULE_RESULTS, e.target.value) ?? rule.result })} options={RULE_RESULTS.map((r) => [r, humanize(r)] as const)} />
            <Button
              tone="ghost"
              aria-label={`Remove rule ${index + 1}`}
              onClick={() => {
                change();
                setRules((list) => list.filter((_, i) => i !== index));
              }}
            >
              Remove
            </Button>
          </div>
        ))}
        <datalist id={rulesListId}>
          {known.data?.items.map((r) => (
            <option key={r.id} value={`${r.source}:${r.source_id}`}>
              {r.title}
            </option>
          ))}
        </datalist>
        <Button
          tone="secondary"
          onClick={() => {
            change();
            setRules((list) => [...list, { rule: "", result: "triggered" }]);
          }}
        >
          Add rule
        </Button>
      </fieldset>
      <FormProblem error={save.error} shown={BLUE_FIELDS.filter((f) => f !== "rule_results" && f !== "fired_rules")} />
      <div className="flex items-center gap-3">
        <Button type="submit" busy={save.isPending}>
          Save blue report
        </Button>
        <Saved show={save.isSuccess} />
      </div>
    </form>
  );
}
