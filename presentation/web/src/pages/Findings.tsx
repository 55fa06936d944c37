import { useState, type ReactNode } from "react";
import { Link, useParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiProblem, ok, type Schemas } from "../api/client";
import { useSession, type Me } from "../auth/session";
import { Badge, Button, Card, Dialog, EmptyState, ErrorPanel, PageHeader, Pagination, QueryState, SelectField, Table, Td, TextArea, TextField } from "../components/ui";
import { formatDate, formatDateTime, humanize, outcomeTone, severityTone } from "../lib/format";
import { FINDING_STATUSES, findingStatusTone, SEVERITIES, today } from "./pageKit";
import { pageCount, useListParams } from "../lib/listParams";
import { SearchField } from "./listing";
import { can } from "../lib/permissions";
import { Facts } from "./listing";
import { every, oneOf, type FindingKind, type StepStatus } from "../api/enums";
import { DrawLesson } from "./DrawLesson";
import { TicketsPanel } from "./tickets/TicketsPanel";

type Finding = Schemas["FindingResponse"];
const PER_PAGE = 25;
const FILTER_KEYS = ["kind", "status", "severity", "technique_id", "owner_id", "campaign_id", "overdue"] as const;
const KIND_LABELS: Record<FindingKind, string> = { test_gap: "Test gap", vulnerability: "Vulnerability" };
const FINDING_KINDS = every<FindingKind>()(["test_gap", "vulnerability"]);
type SarifImport = Schemas["SarifImportView"];

/** Imports a scanner's SARIF file and shows what the import did. */
export function SarifImport() {
  const client = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const send = useMutation({
    mutationFn: (chosen: File) => {
      const form = new FormData();
      form.append("file", chosen, chosen.name);
      return ok(api.POST("/api/v1/findings/import/sarif", { body: form as never, bodySerializer: (body: unknown) => body as FormData }));
    },
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ["findings"] });
    },
  });
  const problem = send.error instanceof ApiProblem ? send.error : null;
  const result: SarifImport | undefined = send.data;
  return (
    <Card title="Import SARIF">
      <form
        className="flex flex-wrap items-end gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (file) send.mutate(file);
        }}
      >
        <label className="text-sm font-medium text-slate-700">
          Scanner results (SARIF 2.1.0)
          <input className="mt-1 block text-sm" type="file" accept=".sarif,.json,application/sarif+json,application/json" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <Button type="submit" busy={send.isPending} disabled={!file}>
          Import SARIF
        </Button>
      </form>
      {problem?.field("file") && <p className="mt-2 text-sm text-red-800">The file: {problem.field("file")}</p>}
      {send.error && !problem?.field("file") && (
        <div className="mt-2">
          <ErrorPanel error={send.error} />
        </div>
      )}
      {result && (
        <div role="status" className="mt-3 text-sm text-slate-800">
          <p>
            {result.created} created · {result.updated} updated · {result.unchanged} unchanged · {result.resolved} resolved · {result.results_skipped} skipped
          </p>
          {result.skipped.length > 0 && (
            <ul className="mt-1 list-disc pl-5 text-xs text-slate-600">
              {result.skipped.slice(0, 10).map((s) => (
                <li key={`${s.run}-${s.index}-${s.reason}`}>
                  {s.rule_id ?? `result ${s.index}`}: {s.reason}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </Card>
  );
}

/** Names for user ids from the tenant's directory, and the people a finding or step can go to. */
function usePeople(me: Me) {
  const directory = useQuery({
    queryKey: ["users", "directory"],
    queryFn: () => ok(api.GET("/api/v1/users/directory")),
    staleTime: 300_000,
  });
  const people = directory.data ?? [];
  const name = (id: string | null | undefined) => {
    if (!id) return "Nobody";
    if (id === me.id) return `${me.display_name || me.email} (you)`;
    const person = people.find((p) => p.id === id);
    return person ? person.display_name || humanize(person.role) : `User ${id.slice(0, 8)}…`;
  };
  // Viewers only read, so nobody assigns work to them; a current choice stays selectable.
  const options = (current: string | null | undefined): [string, string][] => {
    const ids = new Set([me.id, ...people.filter((p) => p.is_active && p.role !== "viewer").map((p) => p.id), ...(current ? [current] : [])]);
    return [["", "Nobody"], ...[...ids].map((id): [string, string] => [id, name(id)])];
  };
  return { name, options };
}

export function FindingsPage() {
  const { me } = useSession();
  const people = usePeople(me);
  const filters = useListParams();
  const values = Object.fromEntries(FILTER_KEYS.map((k) => [k, filters.get(k)])) as Record<(typeof FILTER_KEYS)[number], string>;
  const query = {
    kind: oneOf(FINDING_KINDS, values.kind),
    status: oneOf(FINDING_STATUSES, values.status),
    severity: oneOf(SEVERITIES, values.severity),
    technique_id: values.technique_id || undefined,
    owner_id: values.owner_id || undefined,
    campaign_id: values.campaign_id || undefined,
    overdue: values.overdue === "true" ? true : undefined,
  };
  const findings = useQuery({
    queryKey: ["findings", query, filters.page],
    queryFn: () => ok(api.GET("/api/v1/findings", { params: { query: { ...query, page: filters.page, per_page: PER_PAGE } } })),
  });
  const campaigns = useQuery({
    queryKey: ["campaigns", "names"],
    queryFn: () => ok(api.GET("/api/v1/campaigns", { params: { query: { per_page: 200 } } })),
    staleTime: 60_000,
  });
  const campaignNames = new Map((campaigns.data?.items ?? []).map((c) => [c.id, `${c.name} (run #${c.run_number})`]));
  const exportQuery = new URLSearchParams(Object.entries(query).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]])));
  exportQuery.set("format", "csv");
  const filtered = FILTER_KEYS.some((k) => values[k]);

  return (
    <>
      <PageHeader
        title="Findings"
        subtitle="Gaps shown by validated tests (logged or not detected), vulnerabilities reported by scanners, and their remediation."
        actions={
          <a href={`/api/v1/exports/findings?${exportQuery.toString()}`} download className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100">
            Export CSV
          </a>
        }
      />
      {can(me.role, "manage_findings") && (
        <div className="mb-4">
          <SarifImport />
        </div>
      )}
      <div className="mb-4 grid gap-3 sm:grid-cols-3 lg:grid-cols-7">
        <SelectField label="Kind" value={values.kind} onChange={(e) => filters.set({ kind: e.target.value })} options={[["", "Any kind"], ...FINDING_KINDS.map((k) => [k, KIND_LABELS[k]] as const)]} />
        <SelectField label="Status" value={values.status} onChange={(e) => filters.set({ status: e.target.value })} options={[["", "Any status"], ...FINDING_STATUSES.map((s) => [s, humanize(s)] as const)]} />
        <SelectField label="Severity" value={values.severity} onChange={(e) => filters.set({ severity: e.target.value })} options={[["", "Any severity"], ...SEVERITIES.map((s) => [s, humanize(s)] as const)]} />
        <SearchField label="Technique" value={values.technique_id} onCommit={(v) => filters.set({ technique_id: v.toUpperCase() })} />
        <SelectField label="Owner" value={values.owner_id} onChange={(e) => filters.set({ owner_id: e.target.value })} options={[["", "Anyone"], ...people.options(values.owner_id || null).slice(1)]} />
        <SelectField
          label="Campaign"
          value={values.campaign_id}
          onChange={(e) => filters.set({ campaign_id: e.target.value })}
          options={[["", "Any campaign"], ...[...campaignNames.entries(), ...(values.campaign_id && !campaignNames.has(values.campaign_id) ? [[values.campaign_id, "This campaign"] as [string, string]] : [])]]}
        />
        <label className="flex items-end gap-2 pb-2 text-sm font-medium text-slate-700">
          <input type="checkbox" checked={values.overdue === "true"} onChange={(e) => filters.set({ overdue: e.target.checked ? "true" : null })} />
          Overdue only
        </label>
      </div>
      <QueryState
        query={findings}
        empty={(page) =>
          page.items.length === 0 ? <EmptyState title={filtered ? "No finding matches these filters" : "No findings"}>{!filtered && "A finding opens when a validated test shows a technique only logged or not detected."}</EmptyState> : null
        }
      >
        {(page) => (
          <>
            <Table caption="Findings" head={["Finding", "Technique", "Severity", "Status", "Owner", "Due", "Campaign"]}>
              {page.items.map((f) => (
                <tr key={f.id} className={f.overdue ? "bg-red-50/60" : undefined}>
                  <Td>
                    <Link to={`/findings/${f.id}`} className="font-medium text-blue-800 hover:underline">
                      {f.title}
                    </Link>
                    <p className="text-xs text-slate-500">
                      <Badge tone={f.kind === "vulnerability" ? "amber" : "slate"}>{KIND_LABELS[f.kind]}</Badge>{" "}
                      {f.outcome && <Badge tone={outcomeTone(f.outcome)}>{humanize(f.outcome)}</Badge>}
                      {f.vulnerability && <span>{f.vulnerability.scanner}</span>} · opened {formatDate(f.created_at)}
                    </p>
                  </Td>
                  <Td>
                    {f.technique_id ? (
                      <Link to={`/techniques/${f.technique_id}`} className="font-mono text-blue-800 hover:underline">
                        {f.technique_id}
                      </Link>
                    ) : (
                      "—"
                    )}
                  </Td>
                  <Td>
                    <Badge tone={severityTone(f.severity)}>{humanize(f.severity)}</Badge>
                  </Td>
                  <Td className="whitespace-nowrap">
                    <Badge tone={findingStatusTone(f.status)}>{humanize(f.status)}</Badge>
                    {f.acceptance_expired && <p className="mt-1 text-xs font-medium text-amber-800">Acceptance expired</p>}
                  </Td>
                  <Td>{people.name(f.owner_id)}</Td>
                  <Td>
                    <DueDate finding={f} />
                  </Td>
                  <Td>
                    {f.campaign_id ? (
                      <Link to={`/campaigns/${f.campaign_id}`} className="text-blue-800 hover:underline">
                        {campaignNames.get(f.campaign_id) ?? "Open"}
                      </Link>
                    ) : (
                      "—"
                    )}
                  </Td>
                </tr>
              ))}
            </Table>
            <p className="mt-2 text-xs text-slate-500">{page.total} findings</p>
            <Pagination page={page.page} pages={pageCount(page.total, page.per_page)} onPage={filters.setPage} />
          </>
        )}
      </QueryState>
    </>
  );
}

function DueDate({ finding }: { finding: Finding }) {
  if (!finding.due_on) return <span className="text-slate-500">—</span>;
  return finding.overdue ? (
    <span className="whitespace-nowrap font-semibold text-red-800">
      {formatDate(finding.due_on)} <Badge tone="red">Overdue</Badge>
    </span>
  ) : (
    <span className="whitespace-nowrap">{formatDate(finding.due_on)}</span>
  );
}

export function FindingDetailPage() {
  const { id = "" } = useParams();
  const { me } = useSession();
  const finding = useQuery({
    queryKey: ["finding", id],
    queryFn: () => ok(api.GET("/api/v1/findings/{id}", { params: { path: { id } } })),
  });
  if (!finding.data) {
    return (
      <>
        <PageHeader title="Finding" />
        <QueryState query={finding}>{() => null}</QueryState>
      </>
    );
  }
  return <FindingView finding={finding.data} me={me} />;
}

function useFindingChange(id: string) {
  const client = useQueryClient();
  return async (fresh: Finding) => {
    client.setQueryData(["finding", id], fresh);
    await client.invalidateQueries({ queryKey: ["findings"] });
  };
}

function FindingView({ finding, me }: { finding: Finding; me: Me }) {
  const canManage = can(me.role, "manage_findings");
  const people = usePeople(me);
  const changed = useFindingChange(finding.id);
  const [accepting, setAccepting] = useState(false);
  const [retest, setRetest] = useState<Schemas["TestView"] | null>(null);
  const setStatus = useMutation({
    mutationFn: (status: "in_remediation" | "open" | "resolved") => ok(api.PATCH("/api/v1/findings/{id}", { params: { path: { id: finding.id } }, body: { status, version: finding.version } })),
    onSuccess: changed,
  });
  const requestRetest = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/findings/{id}/retest", { params: { path: { id: finding.id } } })),
    onSuccess: async (answer) => {
      setRetest(answer.retest);
      await changed(answer.finding);
    },
  });
  const open = finding.status === "open" || finding.status === "in_remediation";
  return (
    <>
      <PageHeader
        title={finding.title}
        subtitle={
          <span className="flex flex-wrap items-center gap-2">
            <Badge tone={severityTone(finding.severity)}>{humanize(finding.severity)}</Badge>
            <Badge tone={findingStatusTone(finding.status)}>{humanize(finding.status)}</Badge>
            {finding.overdue && <Badge tone="red">Overdue</Badge>}
            <Link to="/findings" className="text-blue-800 hover:underline">
              All findings
            </Link>
          </span>
        }
        actions={
          <>
            {can(me.role, "manage_knowledge") && <DrawLesson from="finding" id={finding.id} />}
            {canManage && (
              <>
                {finding.status === "open" && (
                  <Button tone="secondary" busy={setStatus.isPending} onClick={() => setStatus.mutate("in_remediation")}>
                    Start remediation
                  </Button>
                )}
                {finding.status === "risk_accepted" && (
                  <Button tone="secondary" busy={setStatus.isPending} onClick={() => setStatus.mutate("open")}>
                    Reopen
                  </Button>
                )}
                {finding.status !== "resolved" && (
                  <Button tone="secondary" onClick={() => setAccepting(true)}>
                    Accept risk
                  </Button>
                )}
                {open && finding.kind === "test_gap" && (
                  <Button busy={requestRetest.isPending} onClick={() => requestRetest.mutate()}>
                    Request retest
                  </Button>
                )}
                {open && finding.kind === "vulnerability" && (
                  <Button busy={setStatus.isPending} onClick={() => setStatus.mutate("resolved")}>
                    Record fixed
                  </Button>
                )}
              </>
            )}
          </>
        }
      />
      {(setStatus.error || requestRetest.error) && (
        <div className="mb-4">
          <ErrorPanel error={setStatus.error ?? requestRetest.error} />
        </div>
      )}
      {retest && (
        <div role="status" className="mb-4 rounded-md border border-green-200 bg-green-50 p-3 text-sm text-green-900">
          A retest was created in draft:{" "}
          <Link to={`/tests/${retest.id}`} className="font-medium underline">
            {retest.title}
          </Link>
          . The finding resolves when it validates with a better outcome.
        </div>
      )}
      <div className="grid gap-5 xl:grid-cols-3">
        <div className="space-y-5 xl:col-span-2">
          <Details finding={finding} ownerName={people.name(finding.owner_id)} />
          {finding.vulnerability && <ScannerReport vulnerability={finding.vulnerability} />}
          <Steps finding={finding} me={me} canManage={canManage} people={people} />
        </div>
        <div className="space-y-5">
          {canManage && finding.status !== "resolved" && <ManageFinding finding={finding} people={people} />}
          <TicketsPanel subject={{ finding_id: finding.id }} canManage={canManage} />
          {finding.risk_acceptance && (
            <Card title="Accepted risk">
              {finding.acceptance_expired && <p className="mb-2 rounded bg-amber-50 p-2 text-sm font-medium text-amber-900">The acceptance has expired: the finding needs a new decision.</p>}
              <p className="whitespace-pre-line text-sm text-slate-800">{finding.risk_acceptance.reason}</p>
              <p className="mt-2 text-xs text-slate-600">
                Until {formatDate(finding.risk_acceptance.expires_on)}, accepted by {people.name(finding.risk_acceptance.accepted_by)}
              </p>
            </Card>
          )}
        </div>
      </div>
      {accepting && <AcceptRiskDialog finding={finding} onClose={() => setAccepting(false)} />}
    </>
  );
}

type People = ReturnType<typeof usePeople>;

function Details({ finding, ownerName }: { finding: Finding; ownerName: string }) {
  const rows: [string, ReactNode][] = [
    ["Kind", KIND_LABELS[finding.kind]],
    [
      "Technique",
      finding.technique_id ? (
        <Link key="t" to={`/techniques/${finding.technique_id}`} className="font-mono text-blue-800 hover:underline">
          {finding.technique_id}
        </Link>
      ) : (
        "None known"
      ),
    ],
  ];
  if (finding.test_id) {
    rows.push([
      "Found by",
      <Link key="test" to={`/tests/${finding.test_id}`} className="text-blue-800 hover:underline">
        the validated test
      </Link>,
    ]);
  }
  if (finding.outcome) {
    rows.push(["Outcome", <Badge key="o" tone={outcomeTone(finding.outcome)}>{humanize(finding.outcome)}</Badge>]);
  }
  rows.push(
    [
      "Campaign",
      finding.campaign_id ? (
        <Link key="c" to={`/campaigns/${finding.campaign_id}`} className="text-blue-800 hover:underline">
          Open the campaign
        </Link>
      ) : (
        "—"
      ),
    ],
    ["Owner", ownerName],
    ["Due", <DueDate key="due" finding={finding} />],
    ["Opened", formatDateTime(finding.created_at)],
    ["Resolved", formatDateTime(finding.resolved_at)],
  );
  if (finding.retest_id) {
    rows.push([
      "Retest",
      <Link key="r" to={`/tests/${finding.retest_id}`} className="text-blue-800 hover:underline">
        Open the retest
      </Link>,
    ]);
  }
  if (finding.last_retest_outcome) {
    rows.push(["Last retest", <Badge key="lr" tone={outcomeTone(finding.last_retest_outcome)}>{`${humanize(finding.last_retest_outcome)} (no better)`}</Badge>]);
  }
  return (
    <Card title="Details">
      <Facts items={rows} />
    </Card>
  );
}

/** What the scanner reported: its rule, where, the CVEs and CWEs, the techniques, the fix. */
function ScannerReport({ vulnerability: v }: { vulnerability: NonNullable<Finding["vulnerability"]> }) {
  const rows: [string, ReactNode][] = [
    ["Scanner", v.scanner_version ? `${v.scanner} ${v.scanner_version}` : v.scanner],
    ["Rule", v.rule_name ? `${v.rule_name} (${v.rule_id})` : v.rule_id],
    ["Location", v.location ? `${v.location.uri}${v.location.line ? `:${v.location.line}` : ""}` : "—"],
    ["CVE", v.cves.length ? v.cves.join(", ") : "—"],
    ["CWE", v.cwes.length ? v.cwes.join(", ") : "—"],
    ["Security severity", v.security_severity == null ? `— (rated ${humanize(v.scanner_severity)})` : `${v.security_severity.toFixed(1)} (${humanize(v.scanner_severity)})`],
    [
      "Techniques",
      v.techniques.length
        ? v.techniques.map((t) => (
            <Link key={t} to={`/techniques/${t}`} className="mr-2 font-mono text-blue-800 hover:underline">
              {t}
            </Link>
          ))
        : "None known",
    ],
  ];
  return (
    <Card title="Scanner report">
      <p className="mb-3 whitespace-pre-line text-sm text-slate-800">{v.message}</p>
      <Facts items={rows} />
      {v.guidance && (
        <>
          <h3 className="mt-4 text-sm font-semibold text-slate-900">Guidance</h3>
          <p className="mt-1 whitespace-pre-line text-sm text-slate-800">{v.guidance}</p>
        </>
      )}
    </Card>
  );
}

function ManageFinding({ finding, people }: { finding: Finding; people: People }) {
  const changed = useFindingChange(finding.id);
  const [severity, setSeverity] = useState(finding.severity);
  const [due, setDue] = useState(finding.due_on ?? "");
  const [owner, setOwner] = useState(finding.owner_id ?? "");
  const save = useMutation({
    mutationFn: () =>
      ok(
        api.PATCH("/api/v1/findings/{id}", {
          params: { path: { id: finding.id } },
          body: { severity, due_on: due || null, owner_id: owner || null, version: finding.version },
        }),
      ),
    onSuccess: changed,
  });
  const problem = save.error instanceof ApiProblem ? save.error : null;
  const dirty = severity !== finding.severity || due !== (finding.due_on ?? "") || owner !== (finding.owner_id ?? "");
  return (
    <Card title="Triage">
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <SelectField label="Severity" value={severity} onChange={(e) => setSeverity(oneOf(SEVERITIES, e.target.value) ?? severity)} options={SEVERITIES.map((s) => [s, humanize(s)] as const)} error={problem?.field("severity")} />
        <TextField label="Due date" type="date" value={due} onChange={(e) => setDue(e.target.value)} error={problem?.field("due_on")} />
        <SelectField label="Owner" value={owner} onChange={(e) => setOwner(e.target.value)} options={people.options(finding.owner_id)} error={problem?.field("owner_id")} />
        {save.error && <ErrorPanel error={save.error} />}
        <Button type="submit" busy={save.isPending} disabled={!dirty}>
          Save
        </Button>
      </form>
    </Card>
  );
}

function AcceptRiskDialog({ finding, onClose }: { finding: Finding; onClose: () => void }) {
  const changed = useFindingChange(finding.id);
  const [reason, setReason] = useState("");
  const [expires, setExpires] = useState("");
  const accept = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/findings/{id}/accept-risk", { params: { path: { id: finding.id } }, body: { reason, expires_on: expires } })),
    onSuccess: async (fresh) => {
      await changed(fresh);
      onClose();
    },
  });
  const problem = accept.error instanceof ApiProblem ? accept.error : null;
  return (
    <Dialog open title="Accept the risk" onClose={onClose}>
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          accept.mutate();
        }}
      >
        <p className="text-sm text-slate-600">The gap stays open on purpose until the expiry date; then the finding needs a new decision.</p>
        <TextArea label="Reason" required value={reason} onChange={(e) => setReason(e.target.value)} error={problem?.field("reason")} />
        <TextField label="Expires on" type="date" required min={today()} value={expires} onChange={(e) => setExpires(e.target.value)} error={problem?.field("expires_on")} />
        {accept.error && <ErrorPanel error={accept.error} />}
        <div className="flex justify-end gap-2">
          <Button tone="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" busy={accept.isPending} disabled={!reason.trim() || !expires}>
            Accept risk
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

const STEP_STATUS_LABELS: Record<StepStatus, string> = { todo: "To do", in_progress: "In progress", done: "Done" };
const STEP_STATUSES = Object.entries(STEP_STATUS_LABELS) as [StepStatus, string][];

function stepTone(status: string) {
  return status === "done" ? "green" : status === "in_progress" ? "blue" : "slate";
}

function Steps({ finding, me, canManage, people }: { finding: Finding; me: Me; canManage: boolean; people: People }) {
  const changed = useFindingChange(finding.id);
  const [title, setTitle] = useState("");
  const [notes, setNotes] = useState("");
  const [assignee, setAssignee] = useState("");
  const add = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/findings/{id}/steps", { params: { path: { id: finding.id } }, body: { title, notes, assignee_id: assignee || null } })),
    onSuccess: async (fresh) => {
      setTitle("");
      setNotes("");
      setAssignee("");
      await changed(fresh);
    },
  });
  const problem = add.error instanceof ApiProblem ? add.error : null;
  const resolved = finding.status === "resolved";
  return (
    <Card title="Remediation steps">
      {finding.steps.length === 0 ? (
        <p className="text-sm text-slate-500">No steps yet.</p>
      ) : (
        <ol className="space-y-3">
          {finding.steps.map((step, index) => (
            <StepItem
              key={step.id}
              finding={finding}
              step={step}
              index={index}
              canManage={canManage}
              // Its assignee may report progress; viewers only read.
              canProgress={canManage || (step.assignee_id === me.id && me.role !== "viewer")}
              people={people}
            />
          ))}
        </ol>
      )}
      {canManage && !resolved && (
        <form
          className="mt-4 space-y-3 border-t border-slate-100 pt-4"
          onSubmit={(e) => {
            e.preventDefault();
            add.mutate();
          }}
        >
          <h3 className="text-sm font-semibold text-slate-700">Add a step</h3>
          <div className="grid gap-3 md:grid-cols-2">
            <TextField label="New step" value={title} onChange={(e) => setTitle(e.target.value)} error={problem?.field("title")} />
            <SelectField label="Assignee" value={assignee} onChange={(e) => setAssignee(e.target.value)} options={people.options(null)} error={problem?.field("assignee_id")} />
          </div>
          <TextArea label="Notes" rows={2} value={notes} onChange={(e) => setNotes(e.target.value)} error={problem?.field("notes")} />
          {add.error && <ErrorPanel error={add.error} />}
          <Button type="submit" busy={add.isPending} disabled={!title.trim()}>
            Add step
          </Button>
        </form>
      )}
    </Card>
  );
}

function StepItem({
  finding,
  step,
  index,
  canManage,
  canProgress,
  people,
}: {
  finding: Finding;
  step: Schemas["StepView"];
  index: number;
  canManage: boolean;
  canProgress: boolean;
  people: People;
}) {
  const changed = useFindingChange(finding.id);
  const [editing, setEditing] = useState(false);
  const [status, setStatus] = useState(step.status);
  const [notes, setNotes] = useState(step.notes);
  const [assignee, setAssignee] = useState(step.assignee_id ?? "");
  const path = { params: { path: { id: finding.id, step_id: step.id } } };
  const update = useMutation({
    mutationFn: (body: Schemas["UpdateStepRequest"]) => ok(api.PATCH("/api/v1/findings/{id}/steps/{step_id}", { ...path, body })),
    onSuccess: async (fresh) => {
      setEditing(false);
      await changed(fresh);
    },
  });
  const remove = useMutation({
    mutationFn: () => ok(api.DELETE("/api/v1/findings/{id}/steps/{step_id}", path)),
    onSuccess: changed,
  });
  const problem = update.error instanceof ApiProblem ? update.error : null;
  const last = index === finding.steps.length - 1;
  return (
    <li className="rounded-md border border-slate-200 p-3">
      <div className="flex items-start justify-between gap-2">
        <div className="min-w-0 flex-1">
          <p className="font-medium text-slate-900">
            {index + 1}. {step.title}
          </p>
          <p className="text-xs text-slate-500">
            {people.name(step.assignee_id)} · updated {formatDateTime(step.updated_at)}
          </p>
        </div>
        <div className="flex shrink-0 items-center gap-0.5">
          <Badge tone={stepTone(step.status)}>{STEP_STATUSES.find(([v]) => v === step.status)?.[1] ?? humanize(step.status)}</Badge>
          {canManage && (
            <>
              <Button tone="ghost" aria-label={`Move step ${index + 1} up`} disabled={index === 0 || update.isPending} onClick={() => update.mutate({ position: index - 1 })}>
                ↑
              </Button>
              <Button tone="ghost" aria-label={`Move step ${index + 1} down`} disabled={last || update.isPending} onClick={() => update.mutate({ position: index + 1 })}>
                ↓
              </Button>
            </>
          )}
          {canProgress && !editing && (
            <Button
              tone="ghost"
              onClick={() => {
                setStatus(step.status);
                setNotes(step.notes);
                setAssignee(step.assignee_id ?? "");
                setEditing(true);
              }}
            >
              Update
            </Button>
          )}
          {canManage && (
            <Button tone="ghost" className="text-red-800" busy={remove.isPending} onClick={() => remove.mutate()} aria-label={`Delete step ${index + 1}`}>
              Delete
            </Button>
          )}
        </div>
      </div>
      {step.notes && !editing && <p className="mt-2 whitespace-pre-line text-sm text-slate-700">{step.notes}</p>}
      {editing && (
        <form
          className="mt-3 space-y-3"
          onSubmit={(e) => {
            e.preventDefault();
            update.mutate(canManage ? { status, notes, assignee_id: assignee || null } : { status, notes });
          }}
        >
          <div className="grid gap-3 md:grid-cols-2">
            <SelectField label="Step status" value={status} onChange={(e) => setStatus(STEP_STATUSES.find(([value]) => value === e.target.value)?.[0] ?? status)} options={STEP_STATUSES} error={problem?.field("status")} />
            {canManage && <SelectField label="Assignee" value={assignee} onChange={(e) => setAssignee(e.target.value)} options={people.options(step.assignee_id)} error={problem?.field("assignee_id")} />}
          </div>
          <TextArea label="Notes" rows={2} value={notes} onChange={(e) => setNotes(e.target.value)} error={problem?.field("notes")} />
          <div className="flex gap-2">
            <Button type="submit" busy={update.isPending}>
              Save step
            </Button>
            <Button tone="secondary" onClick={() => setEditing(false)}>
              Cancel
            </Button>
          </div>
        </form>
      )}
      {(update.error || remove.error) && (
        <div className="mt-2">
          <ErrorPanel error={update.error ?? remove.error} />
        </div>
      )}
    </li>
  );
}
