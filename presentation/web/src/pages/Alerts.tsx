import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, fieldError, ok, type Schemas } from "../api/client";
import {
  ALERT_CHANNELS,
  ALERT_RULE_TYPES,
  ALERT_SEVERITIES,
  ALERT_STATUSES,
  oneOf,
  type AlertChannel,
  type AlertRuleType,
  type AlertSeverity,
} from "../api/enums";
import { useSession } from "../auth/session";
import { Badge, Button, Card, Dialog, EmptyState, ErrorPanel, PageHeader, Pagination, QueryState, SelectField, Stat, Table, Td, TextArea, TextField, type BadgeTone } from "../components/ui";
import { formatDateTime, humanize, severityTone } from "../lib/format";
import { pageCount, useListParams } from "../lib/listParams";
import { can } from "../lib/permissions";
import { FormProblem } from "./listing";

type Alert = Schemas["AlertView"];
type Rule = Schemas["AlertRuleView"];
type Step = "acknowledge" | "resolve" | "dismiss";

const PER_PAGE = 25;
const ALERTS_KEY = ["alerts"] as const;

/** What each rule type watches, and which settings it reads (docs/alerts.md says more). */
const RULE_TYPES: Record<AlertRuleType, { label: string; hint: string; threshold?: string; days?: string; minSeverity?: boolean }> = {
  high_risk_uncovered: { label: "High risk, nothing proven", hint: "a technique of at least this risk level with no proven detection", minSeverity: true },
  stale_technique: { label: "Stale technique", hint: "the newest validated test is older than the days given", days: "Older than (days)" },
  coverage_regression: { label: "Coverage regression", hint: "the organization's or a tactic's score fell by the points given between the last two snapshots", threshold: "Drop (points)" },
  low_coverage: { label: "Low coverage", hint: "a tactic under the percentage given in the last snapshot", threshold: "Under (%)" },
  expiry_wave: { label: "Expiry wave", hint: "at least the count given of detection proofs expire within the days given", threshold: "Proofs (count)", days: "Within (days)" },
  new_technique: { label: "New technique", hint: "an import reports a tracked actor using a technique it was not known to use" },
  orphan_spike: { label: "Orphan spike", hint: "rules with no technique, or techniques with no rule, grew by the count given since the last evaluation", threshold: "Growth (count)" },
  detection_gap: { label: "Detection gap", hint: "a test validated within the days given missed: nothing detected it", days: "Look back (days)" },
};

function statusTone(status: string): BadgeTone {
  switch (status) {
    case "open":
      return "red";
    case "acknowledged":
      return "amber";
    case "resolved":
      return "green";
    default:
      return "slate";
  }
}

function alertSeverityTone(severity: string): BadgeTone {
  return severity === "info" ? "slate" : severityTone(severity);
}

/** Where an alert's subject lives in the UI, from its details. */
function subjectLink(alert: Alert) {
  const details = (alert.details ?? {}) as Record<string, unknown>;
  if (typeof details.test_id === "string") return { to: `/tests/${details.test_id}`, text: "Open the test" };
  if (typeof details.technique_id === "string") return { to: `/techniques/${details.technique_id}`, text: details.technique_id };
  return null;
}

export function AlertsPage() {
  const { me } = useSession();
  const manage = can(me.role, "manage_alerts");
  const filters = useListParams();
  const query = {
    status: oneOf(ALERT_STATUSES, filters.get("status")),
    severity: oneOf(ALERT_SEVERITIES, filters.get("severity")),
    rule_type: oneOf(ALERT_RULE_TYPES, filters.get("rule_type")),
  };
  const client = useQueryClient();
  const alerts = useQuery({
    queryKey: [...ALERTS_KEY, "list", query, filters.page],
    queryFn: () => ok(api.GET("/api/v1/alerts", { params: { query: { ...query, page: filters.page, per_page: PER_PAGE } } })),
  });
  const summary = useQuery({ queryKey: [...ALERTS_KEY, "summary"], queryFn: () => ok(api.GET("/api/v1/alerts/summary")) });
  const evaluate = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/alerts/evaluate")),
    onSuccess: () => client.invalidateQueries({ queryKey: ALERTS_KEY }),
  });
  const [acting, setActing] = useState<{ alert: Alert; step: Step } | null>(null);
  const filtered = Boolean(query.status || query.severity || query.rule_type);

  return (
    <>
      <PageHeader
        title="Alerts"
        subtitle="Conditions the alert rules found in the posture: each fires once per its rule's cooldown."
        actions={
          manage && (
            <Button busy={evaluate.isPending} onClick={() => evaluate.mutate()}>
              Evaluate now
            </Button>
          )
        }
      />
      {evaluate.data && (
        <p role="status" className="mb-3 text-sm text-slate-700">
          {evaluate.data.rules_evaluated} rules evaluated, {evaluate.data.alerts_fired} alerts fired.
        </p>
      )}
      {evaluate.error && <ErrorPanel error={evaluate.error} />}
      <QueryState query={summary}>
        {(s) => (
          <div className="mb-4 grid grid-cols-2 gap-3 md:grid-cols-4">
            <Stat label="Open" value={s.open} />
            <Stat label="Acknowledged" value={s.by_status.acknowledged ?? 0} />
            <Stat label="Critical or high, active" value={(s.active_by_severity.critical ?? 0) + (s.active_by_severity.high ?? 0)} />
            <Stat label="All time" value={s.total} />
          </div>
        )}
      </QueryState>
      <div className="mb-4 grid gap-3 sm:grid-cols-3">
        <SelectField label="Status" value={filters.get("status")} onChange={(e) => filters.set({ status: e.target.value })} options={[["", "Any status"], ...ALERT_STATUSES.map((s) => [s, humanize(s)] as const)]} />
        <SelectField label="Severity" value={filters.get("severity")} onChange={(e) => filters.set({ severity: e.target.value })} options={[["", "Any severity"], ...ALERT_SEVERITIES.map((s) => [s, humanize(s)] as const)]} />
        <SelectField label="Rule type" value={filters.get("rule_type")} onChange={(e) => filters.set({ rule_type: e.target.value })} options={[["", "Any type"], ...ALERT_RULE_TYPES.map((t) => [t, RULE_TYPES[t].label] as const)]} />
      </div>
      <QueryState
        query={alerts}
        empty={(page) => (page.items.length === 0 ? <EmptyState title={filtered ? "No alert matches these filters" : "No alerts"}>{!filtered && "An alert fires when a rule's condition holds; evaluation runs hourly and after validations, imports, snapshots and decay."}</EmptyState> : null)}
      >
        {(page) => (
          <>
            <Table caption="Alerts" head={["Alert", "Type", "Severity", "Status", "Fired", ""]}>
              {page.items.map((alert) => {
                const link = subjectLink(alert);
                const step = alert.closed ?? alert.acknowledged;
                return (
                  <tr key={alert.id}>
                    <Td>
                      <span className="font-medium">{alert.title}</span>
                      {link && (
                        <Link to={link.to} className="block text-xs text-blue-800 hover:underline">
                          {link.text}
                        </Link>
                      )}
                      {step?.note && <p className="text-xs text-slate-600">Note: {step.note}</p>}
                    </Td>
                    <Td>{RULE_TYPES[alert.rule_type].label}</Td>
                    <Td>
                      <Badge tone={alertSeverityTone(alert.severity)}>{humanize(alert.severity)}</Badge>
                    </Td>
                    <Td>
                      <Badge tone={statusTone(alert.status)}>{humanize(alert.status)}</Badge>
                    </Td>
                    <Td className="whitespace-nowrap">{formatDateTime(alert.fired_at)}</Td>
                    <Td className="whitespace-nowrap">
                      {manage && alert.status === "open" && (
                        <Button tone="secondary" onClick={() => setActing({ alert, step: "acknowledge" })} aria-label={`Acknowledge ${alert.title}`}>
                          Acknowledge
                        </Button>
                      )}
                      {manage && (alert.status === "open" || alert.status === "acknowledged") && (
                        <>
                          <Button tone="ghost" onClick={() => setActing({ alert, step: "resolve" })} aria-label={`Resolve ${alert.title}`}>
                            Resolve
                          </Button>
                          <Button tone="ghost" onClick={() => setActing({ alert, step: "dismiss" })} aria-label={`Dismiss ${alert.title}`}>
                            Dismiss
                          </Button>
                        </>
                      )}
                    </Td>
                  </tr>
                );
              })}
            </Table>
            <Pagination page={filters.page} pages={pageCount(page.total, PER_PAGE)} onPage={filters.setPage} />
          </>
        )}
      </QueryState>
      {acting && <StepDialog alert={acting.alert} step={acting.step} onClose={() => setActing(null)} />}
      {manage && <RulesCard isAdmin={me.role === "admin"} />}
    </>
  );
}

function StepDialog({ alert, step, onClose }: { alert: Alert; step: Step; onClose: () => void }) {
  const client = useQueryClient();
  const [note, setNote] = useState("");
  const act = useMutation({
    mutationFn: () => {
      const params = { params: { path: { id: alert.id } }, body: { note: note.trim() || null } };
      switch (step) {
        case "acknowledge":
          return ok(api.POST("/api/v1/alerts/{id}/acknowledge", params));
        case "resolve":
          return ok(api.POST("/api/v1/alerts/{id}/resolve", params));
        default:
          return ok(api.POST("/api/v1/alerts/{id}/dismiss", params));
      }
    },
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ALERTS_KEY });
      onClose();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    act.mutate();
  };
  return (
    <Dialog open title={`${humanize(step)} alert`} onClose={onClose}>
      <form onSubmit={submit} className="space-y-3">
        <p className="text-sm text-slate-700">{alert.title}</p>
        <TextArea label="Note (optional)" value={note} onChange={(e) => setNote(e.target.value)} error={fieldError(act.error, "note")} maxLength={2000} />
        <FormProblem error={act.error} shown={["note"]} />
        <Button type="submit" busy={act.isPending}>
          {humanize(step)}
        </Button>
      </form>
    </Dialog>
  );
}

function RulesCard({ isAdmin }: { isAdmin: boolean }) {
  const rules = useQuery({ queryKey: [...ALERTS_KEY, "rules"], queryFn: () => ok(api.GET("/api/v1/alerts/rules")) });
  const [editing, setEditing] = useState<Rule | "new" | null>(null);
  return (
    <div className="mt-6">
      <Card
        title="Alert rules"
        actions={
          <Button tone="secondary" onClick={() => setEditing("new")}>
            New rule
          </Button>
        }
      >
        <QueryState query={rules}>{(list) => <RuleTable rules={list.items} isAdmin={isAdmin} onEdit={setEditing} />}</QueryState>
      </Card>
      {editing && <RuleDialog rule={editing === "new" ? null : editing} onClose={() => setEditing(null)} />}
    </div>
  );
}

function settings(rule: Rule): string {
  const parts: string[] = [];
  if (rule.config.threshold !== null && rule.config.threshold !== undefined) parts.push(`threshold ${rule.config.threshold}`);
  if (rule.config.days !== null && rule.config.days !== undefined) parts.push(`${rule.config.days} days`);
  if (rule.config.min_severity) parts.push(`${rule.config.min_severity} risk or more`);
  return parts.join(", ") || "—";
}

function RuleTable({ rules, isAdmin, onEdit }: { rules: Rule[]; isAdmin: boolean; onEdit: (rule: Rule) => void }) {
  const client = useQueryClient();
  const toggle = useMutation({
    mutationFn: (rule: Rule) => ok(api.PATCH("/api/v1/alerts/rules/{id}", { params: { path: { id: rule.id } }, body: { enabled: !rule.enabled } })),
    onSuccess: () => client.invalidateQueries({ queryKey: [...ALERTS_KEY, "rules"] }),
  });
  const remove = useMutation({
    mutationFn: (rule: Rule) => ok(api.DELETE("/api/v1/alerts/rules/{id}", { params: { path: { id: rule.id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: [...ALERTS_KEY, "rules"] }),
  });
  return (
    <>
      {(toggle.error || remove.error) && <ErrorPanel error={toggle.error ?? remove.error} />}
      <Table caption="Alert rules" head={["Rule", "Settings", "Severity", "Cooldown", "Channels", "Enabled", ""]}>
        {rules.map((rule) => (
          <tr key={rule.id}>
            <Td>
              <span className="font-medium">{rule.name}</span>
              <span className="block text-xs text-slate-500">
                {RULE_TYPES[rule.rule_type].label}
                {rule.system ? " · system rule" : ""}
              </span>
            </Td>
            <Td>{settings(rule)}</Td>
            <Td>
              <Badge tone={alertSeverityTone(rule.severity)}>{humanize(rule.severity)}</Badge>
            </Td>
            <Td>{rule.cooldown_hours} h</Td>
            <Td>{rule.channels.map(humanize).join(", ")}</Td>
            <Td>
              <label className="flex items-center gap-2 text-sm">
                <input type="checkbox" checked={rule.enabled} disabled={toggle.isPending} onChange={() => toggle.mutate(rule)} aria-label={`Enable ${rule.name}`} />
                {rule.enabled ? "On" : "Off"}
              </label>
            </Td>
            <Td className="whitespace-nowrap">
              <Button tone="ghost" onClick={() => onEdit(rule)} aria-label={`Edit ${rule.name}`}>
                Edit
              </Button>
              {isAdmin && !rule.system && (
                <Button tone="danger" busy={remove.isPending && remove.variables?.id === rule.id} onClick={() => remove.mutate(rule)} aria-label={`Delete ${rule.name}`}>
                  Delete
                </Button>
              )}
            </Td>
          </tr>
        ))}
      </Table>
    </>
  );
}

function numberOrNull(text: string): number | null {
  return text.trim() === "" ? null : Number(text);
}

function RuleDialog({ rule, onClose }: { rule: Rule | null; onClose: () => void }) {
  const client = useQueryClient();
  const [name, setName] = useState(rule?.name ?? "");
  const [ruleType, setRuleType] = useState<AlertRuleType>(rule?.rule_type ?? "detection_gap");
  const [threshold, setThreshold] = useState(rule?.config.threshold?.toString() ?? "");
  const [days, setDays] = useState(rule?.config.days?.toString() ?? "");
  const [minSeverity, setMinSeverity] = useState(rule?.config.min_severity ?? "");
  const [severity, setSeverity] = useState<AlertSeverity>(rule?.severity ?? "medium");
  const [cooldown, setCooldown] = useState(String(rule?.cooldown_hours ?? 24));
  const [channels, setChannels] = useState<AlertChannel[]>(rule?.channels ?? ["in_app"]);
  const kind = RULE_TYPES[ruleType];
  const config = {
    ...(kind.threshold ? { threshold: numberOrNull(threshold) } : {}),
    ...(kind.days ? { days: numberOrNull(days) } : {}),
    ...(kind.minSeverity ? { min_severity: (minSeverity || null) as Schemas["AlertConfigRequest"]["min_severity"] } : {}),
  };
  const save = useMutation({
    mutationFn: () =>
      rule
        ? ok(
            api.PATCH("/api/v1/alerts/rules/{id}", {
              params: { path: { id: rule.id } },
              body: { name, config, severity, cooldown_hours: Number(cooldown), channels },
            }),
          )
        : ok(api.POST("/api/v1/alerts/rules", { body: { name, rule_type: ruleType, config, severity, cooldown_hours: Number(cooldown), channels } })),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: [...ALERTS_KEY, "rules"] });
      onClose();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  const toggle = (channel: AlertChannel, on: boolean) => setChannels((current) => (on ? [...current, channel] : current.filter((c) => c !== channel)));
  return (
    <Dialog open title={rule ? `Edit ${rule.name}` : "New alert rule"} onClose={onClose}>
      <form onSubmit={submit} className="space-y-3">
        <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} error={fieldError(save.error, "name")} />
        <SelectField
          label="Type"
          value={ruleType}
          disabled={Boolean(rule)}
          onChange={(e) => setRuleType(oneOf(ALERT_RULE_TYPES, e.target.value) ?? ruleType)}
          options={ALERT_RULE_TYPES.map((t) => [t, RULE_TYPES[t].label] as const)}
          hint={`Fires when ${kind.hint}.`}
          error={fieldError(save.error, "rule_type")}
        />
        {kind.threshold && <TextField label={kind.threshold} type="number" step="any" value={threshold} onChange={(e) => setThreshold(e.target.value)} error={fieldError(save.error, "config.threshold")} />}
        {kind.days && <TextField label={kind.days} type="number" value={days} onChange={(e) => setDays(e.target.value)} error={fieldError(save.error, "config.days")} />}
        {kind.minSeverity && (
          <SelectField
            label="Lowest risk level"
            value={minSeverity}
            onChange={(e) => setMinSeverity(e.target.value)}
            options={[["", "Default (high)"], ...["critical", "high", "medium", "low", "info"].map((l) => [l, humanize(l)] as const)]}
            error={fieldError(save.error, "config.min_severity")}
          />
        )}
        <SelectField label="Severity" value={severity} onChange={(e) => setSeverity(oneOf(ALERT_SEVERITIES, e.target.value) ?? severity)} options={ALERT_SEVERITIES.map((s) => [s, humanize(s)] as const)} error={fieldError(save.error, "severity")} />
        <TextField label="Cooldown (hours)" type="number" value={cooldown} onChange={(e) => setCooldown(e.target.value)} error={fieldError(save.error, "cooldown_hours")} />
        <fieldset>
          <legend className="text-sm font-medium text-slate-700">Channels</legend>
          <div className="mt-1 flex gap-4">
            {ALERT_CHANNELS.map((channel) => (
              <label key={channel} className="flex items-center gap-2 text-sm">
                <input type="checkbox" checked={channels.includes(channel)} onChange={(e) => toggle(channel, e.target.checked)} />
                {humanize(channel)}
              </label>
            ))}
          </div>
          <p className="mt-1 text-xs text-slate-500">In-app notifications are sent now; webhook and email are kept for their deliveries.</p>
          {fieldError(save.error, "channels") && <p className="mt-1 text-xs text-red-700">{fieldError(save.error, "channels")}</p>}
        </fieldset>
        <FormProblem error={save.error} shown={["name", "rule_type", "config.threshold", "config.days", "config.min_severity", "severity", "cooldown_hours", "channels"]} />
        <Button type="submit" busy={save.isPending}>
          Save rule
        </Button>
      </form>
    </Dialog>
  );
}
