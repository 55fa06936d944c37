import { useState, type ReactNode } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Bar, BarChart, CartesianGrid, Cell, Pie, PieChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { api, ApiProblem, ok, type Schemas } from "../../api/client";
import { useSession } from "../../auth/session";
import { can as permitted } from "../../lib/permissions";
import { DrawLesson } from "../DrawLesson";
import { Badge, Button, Card, Dialog, EmptyState, ErrorPanel, PageHeader, QueryState, Stat, Table, Td, TextField, type BadgeTone } from "../../components/ui";
import { formatDate, formatDateTime, formatPercent, formatScore, humanize, OUTCOMES, outcomeTone, stateTone, TEST_STATES } from "../../lib/format";
import { campaignStatusTone, coverageTone } from "../pageKit";
import { campaignTypeLabel } from "./Campaigns";
import { RecurrenceFields, recurrenceDraft, recurrenceRequest } from "./recurrence";
import { can } from "../../lib/permissions";
import { Facts } from "../listing";
import type { Outcome, TestState } from "../../api/enums";

type Detail = Schemas["CampaignDetailView"];
type Campaign = Schemas["CampaignView"];

/** What the role may do with a campaign in its status (the server's permission matrix). */
export function lifecycleActions(status: string, role: string) {
  const manage = can(role, "manage_campaigns");
  return {
    activate: manage && status === "draft",
    complete: can(role, "complete_campaign") && status === "active",
    archive: manage && (status === "draft" || status === "completed"),
    delete: manage && status === "draft",
    plan: manage && status === "draft",
    schedule: manage && (status === "draft" || status === "active"),
    dependencies: manage && (status === "draft" || status === "active"),
  };
}

/** The notice a campaign planned from a threat actor arrives with (router state). */
type PlannedNotice = { skipped: Schemas["SkippedTechnique"][]; from_templates: number; tests: number };

function plannedNotice(state: unknown): PlannedNotice | null {
  if (!state || typeof state !== "object" || !("planned" in state)) return null;
  const planned = (state as { planned: unknown }).planned;
  return planned && typeof planned === "object" && "skipped" in planned && Array.isArray(planned.skipped) ? (planned as PlannedNotice) : null;
}

export function CampaignDetailPage() {
  const { id = "" } = useParams();
  const { me } = useSession();
  const location = useLocation();
  const detail = useQuery({
    queryKey: ["campaign", id],
    queryFn: () => ok(api.GET("/api/v1/campaigns/{id}", { params: { path: { id } } })),
  });
  const planned = plannedNotice(location.state);
  if (!detail.data) {
    return (
      <>
        <PageHeader title="Campaign" />
        <QueryState query={detail}>{() => null}</QueryState>
      </>
    );
  }
  return (
    <QueryState query={detail}>
      {(data) => {
        const can = lifecycleActions(data.campaign.status, me.role);
        return (
          <>
            <Header campaign={data.campaign} can={can} />
            {planned && <PlannedFromActor notice={planned} />}
            <div className="space-y-5">
              <div className="grid gap-5 xl:grid-cols-3">
                <div className="space-y-5 xl:col-span-2">
                  <Overview campaign={data.campaign} />
                  <Schedule campaign={data.campaign} editable={can.schedule} />
                </div>
                <Progress detail={data} />
              </div>
              <Plan detail={data} can={can} />
              {can.plan && <AddTest campaignId={data.campaign.id} />}
              <div className="grid gap-5 xl:grid-cols-3">
                <div className="xl:col-span-2">
                  <CoverageRunOverRun campaign={data.campaign} />
                </div>
                <Timeline campaignId={data.campaign.id} />
              </div>
            </div>
          </>
        );
      }}
    </QueryState>
  );
}

type Can = ReturnType<typeof lifecycleActions>;

function useCampaignChange(campaignId: string) {
  const client = useQueryClient();
  return async (fresh?: Detail) => {
    if (fresh) client.setQueryData(["campaign", campaignId], fresh);
    await client.invalidateQueries({ queryKey: ["campaign", campaignId] });
    await client.invalidateQueries({ queryKey: ["campaigns"] });
    await client.invalidateQueries({ queryKey: ["campaign-coverage", campaignId] });
    await client.invalidateQueries({ queryKey: ["campaign-timeline", campaignId] });
  };
}

type Lifecycle = "activate" | "complete" | "archive" | "delete";
const lifecycleText: Record<Lifecycle, { label: string; confirm: string }> = {
  activate: { label: "Activate", confirm: "Activate the campaign? Its plan (tests and order) is fixed from then on and its tests can start." },
  complete: { label: "Complete", confirm: "Complete the campaign? Nothing changes in it afterwards." },
  archive: { label: "Archive", confirm: "Archive the campaign? Its recurrence stops." },
  delete: { label: "Delete", confirm: "Delete this draft campaign? Its tests stay, unlinked from it." },
};

function Header({ campaign, can }: { campaign: Campaign; can: Can }) {
  const { me } = useSession();
  // A completed campaign's results become a lesson learned in one step.
  const drawLesson = campaign.status === "completed" && permitted(me.role, "manage_knowledge");
  const navigate = useNavigate();
  const changed = useCampaignChange(campaign.id);
  const [asking, setAsking] = useState<Lifecycle | null>(null);
  const step = useMutation({
    mutationFn: async (action: Lifecycle) => {
      const path = { params: { path: { id: campaign.id } } };
      switch (action) {
        case "activate":
          return ok(api.POST("/api/v1/campaigns/{id}/activate", path));
        case "complete":
          return ok(api.POST("/api/v1/campaigns/{id}/complete", path));
        case "archive":
          return ok(api.POST("/api/v1/campaigns/{id}/archive", path));
        case "delete":
          return ok(api.DELETE("/api/v1/campaigns/{id}", path));
      }
    },
    onSuccess: async (_, action) => {
      setAsking(null);
      if (action === "delete") {
        navigate("/campaigns", { replace: true });
        await changed();
      } else {
        await changed();
      }
    },
  });
  const actions = (["activate", "complete", "archive", "delete"] as const).filter((a) => can[a]);
  return (
    <>
      <PageHeader
        title={campaign.name}
        subtitle={
          <span className="flex flex-wrap items-center gap-2">
            <Badge tone={campaignStatusTone(campaign.status)}>{humanize(campaign.status)}</Badge>
            <span>{campaignTypeLabel(campaign.campaign_type)}</span>
            <span>· Run #{campaign.run_number}</span>
            {campaign.predecessor_id && (
              <Link to={`/campaigns/${campaign.predecessor_id}`} className="text-blue-800 hover:underline">
                · Previous run
              </Link>
            )}
          </span>
        }
        actions={
          <>
            <Link to={`/heatmap?campaign_id=${campaign.id}`} className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100">
              Heatmap of this campaign
            </Link>
            <a
              href={`/api/v1/campaigns/${campaign.id}/export`}
              download={`campaign-${campaign.id}.json`}
              className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100"
            >
              Export template
            </a>
            {drawLesson && <DrawLesson from="campaign" id={campaign.id} />}
            {actions.map((action) => (
              <Button key={action} tone={action === "delete" ? "danger" : action === "archive" ? "secondary" : "primary"} onClick={() => setAsking(action)}>
                {lifecycleText[action].label}
              </Button>
            ))}
          </>
        }
      />
      {asking && (
        <Dialog
          open
          title={`${lifecycleText[asking].label} campaign`}
          onClose={() => {
            setAsking(null);
            step.reset();
          }}
        >
          <p className="text-sm text-slate-700">{lifecycleText[asking].confirm}</p>
          {step.error && (
            <div className="mt-3">
              <ErrorPanel error={step.error} />
            </div>
          )}
          <div className="mt-4 flex justify-end gap-2">
            <Button tone="secondary" onClick={() => setAsking(null)}>
              Cancel
            </Button>
            <Button tone={asking === "delete" ? "danger" : "primary"} busy={step.isPending} onClick={() => step.mutate(asking)}>
              {lifecycleText[asking].label}
            </Button>
          </div>
        </Dialog>
      )}
    </>
  );
}

function PlannedFromActor({ notice }: { notice: PlannedNotice }) {
  return (
    <div role="status" className="mb-5 rounded-md border border-blue-200 bg-blue-50 p-3 text-sm text-blue-950">
      <p className="font-semibold">
        Planned {notice.tests} tests from the threat actor ({notice.from_templates} from test templates).
      </p>
      {notice.skipped.length > 0 && (
        <>
          <p className="mt-1">{notice.skipped.length} techniques were left out:</p>
          <ul className="mt-1 max-h-48 list-disc overflow-y-auto pl-5">
            {notice.skipped.map((s) => (
              <li key={s.technique_id}>
                <Link to={`/techniques/${s.technique_id}`} className="font-mono text-blue-800 hover:underline">
                  {s.technique_id}
                </Link>
                : {s.reason}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

function Overview({ campaign }: { campaign: Campaign }) {
  const rows: [string, ReactNode][] = [
    ["Objective", campaign.objective || "—"],
    ["Created", formatDateTime(campaign.created_at)],
    ["Activated", formatDateTime(campaign.activated_at)],
    ["Completed", formatDateTime(campaign.completed_at)],
  ];
  if (campaign.threat_actor) {
    rows.push([
      "Threat actor",
      <Link key="actor" to={`/threat-actors/${encodeURIComponent(campaign.threat_actor)}`} className="text-blue-800 hover:underline">
        The actor it was planned from
      </Link>,
    ]);
  }
  return (
    <Card title="Overview">
      {campaign.description && <p className="mb-3 whitespace-pre-line text-sm text-slate-800">{campaign.description}</p>}
      <Facts items={rows} />
      {campaign.phases.length > 0 && (
        <div className="mt-3">
          <h3 className="text-sm font-semibold text-slate-700">Phases</h3>
          <ol className="mt-1 space-y-1 text-sm">
            {campaign.phases.map((phase, i) => (
              <li key={`${phase.name}-${i}`} className="flex flex-wrap items-center gap-2">
                <span className="font-medium">{phase.name}</span>
                <span className="text-slate-500">
                  {formatDate(phase.starts_on)} → {formatDate(phase.ends_on)}
                </span>
                {phase.status && <Badge>{humanize(phase.status)}</Badge>}
              </li>
            ))}
          </ol>
        </div>
      )}
    </Card>
  );
}

function testLabel(tests: Schemas["CampaignTestView"][], id: string): string {
  const index = tests.findIndex((t) => t.test.id === id);
  const entry = tests[index];
  return entry ? `#${index + 1} ${entry.test.title}` : "A test you cannot see";
}

function Plan({ detail, can }: { detail: Detail; can: Can }) {
  const campaignId = detail.campaign.id;
  const changed = useCampaignChange(campaignId);
  const [editing, setEditing] = useState<Schemas["CampaignTestView"] | null>(null);
  const tests = detail.tests;
  const reorder = useMutation({
    mutationFn: (order: string[]) => ok(api.PUT("/api/v1/campaigns/{id}/tests/order", { params: { path: { id: campaignId } }, body: { test_ids: order } })),
    onSuccess: () => changed(),
  });
  const remove = useMutation({
    mutationFn: (testId: string) => ok(api.DELETE("/api/v1/campaigns/{id}/tests/{test_id}", { params: { path: { id: campaignId, test_id: testId } } })),
    onSuccess: () => changed(),
  });
  const move = (index: number, by: number) => {
    const order = tests.map((t) => t.test.id);
    const [moved] = order.splice(index, 1);
    if (moved === undefined) return;
    order.splice(index + by, 0, moved);
    reorder.mutate(order);
  };
  const busy = reorder.isPending || remove.isPending;
  return (
    <Card title={`Plan (${tests.length} tests)`}>
      {detail.hidden_tests > 0 && (
        <p className="mb-3 rounded-md bg-amber-50 p-2 text-sm text-amber-900">
          {detail.hidden_tests} more {detail.hidden_tests === 1 ? "test" : "tests"} of this blind campaign will show once red releases them.
        </p>
      )}
      {(reorder.error || remove.error) && (
        <div className="mb-3">
          <ErrorPanel error={reorder.error ?? remove.error} />
        </div>
      )}
      {tests.length === 0 ? (
        <EmptyState title="No tests in this campaign yet">{can.plan && "Add draft tests below; the campaign can be activated once it has one."}</EmptyState>
      ) : (
        <Table caption="Tests in execution order" head={["#", "Test", "State", "Outcome", "Depends on", ...(can.plan || can.dependencies ? ["Actions"] : [])]}>
          {tests.map((entry, index) => {
            const { test } = entry;
            const blocked = new Set(entry.blocked_by);
            return (
              <tr key={test.id}>
                <Td className="text-slate-500">{index + 1}</Td>
                <Td className="min-w-56">
                  <Link to={`/tests/${test.id}`} className="font-medium text-blue-800 hover:underline">
                    {test.title}
                  </Link>
                  <p className="font-mono text-xs text-slate-500">{test.technique_id}</p>
                </Td>
                <Td className="whitespace-nowrap">
                  <Badge tone={stateTone(test.state)}>{humanize(test.state)}</Badge>
                  {entry.blocked_by.length > 0 && (
                    <p className="mt-1 text-xs font-medium text-amber-800">Blocked by {entry.blocked_by.length}</p>
                  )}
                </Td>
                <Td className="whitespace-nowrap">{test.blue.outcome ? <Badge tone={outcomeTone(test.blue.outcome)}>{humanize(test.blue.outcome)}</Badge> : <span className="text-slate-500">—</span>}</Td>
                <Td>
                  {entry.depends_on.length === 0 ? (
                    <span className="text-slate-500">—</span>
                  ) : (
                    <ul className="space-y-0.5 text-xs">
                      {entry.depends_on.map((dep) => (
                        <li key={dep}>
                          <Link to={`/tests/${dep}`} className="text-blue-800 hover:underline">
                            {testLabel(tests, dep)}
                          </Link>{" "}
                          {blocked.has(dep) ? <Badge tone="amber">blocking</Badge> : <Badge tone="green">validated</Badge>}
                        </li>
                      ))}
                    </ul>
                  )}
                </Td>
                {(can.plan || can.dependencies) && (
                  <Td>
                    <div className="flex flex-nowrap items-center gap-0.5">
                      {can.plan && (
                        <>
                          <Button tone="ghost" className="px-2!" aria-label={`Move ${test.title} up`} disabled={busy || index === 0} onClick={() => move(index, -1)}>
                            ↑
                          </Button>
                          <Button tone="ghost" className="px-2!" aria-label={`Move ${test.title} down`} disabled={busy || index === tests.length - 1} onClick={() => move(index, 1)}>
                            ↓
                          </Button>
                        </>
                      )}
                      {can.dependencies && test.state === "draft" && (
                        <Button tone="ghost" className="px-2!" onClick={() => setEditing(entry)} aria-label={`Dependencies of ${test.title}`}>
                          Dependencies
                        </Button>
                      )}
                      {can.plan && (
                        <Button tone="ghost" className="px-2! text-red-800" disabled={busy} onClick={() => remove.mutate(test.id)} aria-label={`Remove ${test.title}`}>
                          Remove
                        </Button>
                      )}
                    </div>
                  </Td>
                )}
              </tr>
            );
          })}
        </Table>
      )}
      {editing && <DependenciesDialog entry={editing} tests={tests} campaignId={campaignId} onClose={() => setEditing(null)} />}
    </Card>
  );
}

function DependenciesDialog({ entry, tests, campaignId, onClose }: { entry: Schemas["CampaignTestView"]; tests: Schemas["CampaignTestView"][]; campaignId: string; onClose: () => void }) {
  const changed = useCampaignChange(campaignId);
  const [chosen, setChosen] = useState(() => new Set(entry.depends_on));
  const save = useMutation({
    mutationFn: () => ok(api.PUT("/api/v1/tests/{id}/dependencies", { params: { path: { id: entry.test.id } }, body: { depends_on: [...chosen] } })),
    onSuccess: async (fresh) => {
      await changed(fresh);
      onClose();
    },
  });
  const problem = save.error instanceof ApiProblem ? save.error : null;
  const others = tests.filter((t) => t.test.id !== entry.test.id);
  return (
    <Dialog open title={`Dependencies of ${entry.test.title}`} onClose={onClose}>
      <p className="mb-3 text-sm text-slate-600">It cannot start executing until the tests it depends on are validated.</p>
      {others.length === 0 ? (
        <p className="text-sm text-slate-600">No other test in this campaign.</p>
      ) : (
        <fieldset className="max-h-72 space-y-1 overflow-y-auto">
          <legend className="sr-only">Depends on</legend>
          {others.map((other) => (
            <label key={other.test.id} className="flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                checked={chosen.has(other.test.id)}
                onChange={(e) =>
                  setChosen((set) => {
                    const next = new Set(set);
                    if (e.target.checked) next.add(other.test.id);
                    else next.delete(other.test.id);
                    return next;
                  })
                }
              />
              {testLabel(tests, other.test.id)}
            </label>
          ))}
        </fieldset>
      )}
      {problem?.field("depends_on") && <p className="mt-2 text-xs text-red-700">{problem.field("depends_on")}</p>}
      {save.error && (
        <div className="mt-3">
          <ErrorPanel error={save.error} />
        </div>
      )}
      <div className="mt-4 flex justify-end gap-2">
        <Button tone="secondary" onClick={onClose}>
          Cancel
        </Button>
        <Button busy={save.isPending} onClick={() => save.mutate()}>
          Save dependencies
        </Button>
      </div>
    </Dialog>
  );
}

function AddTest({ campaignId }: { campaignId: string }) {
  const changed = useCampaignChange(campaignId);
  const [q, setQ] = useState("");
  const [byId, setById] = useState("");
  const drafts = useQuery({
    queryKey: ["tests", "free-drafts", q],
    queryFn: () => ok(api.GET("/api/v1/tests", { params: { query: { state: "draft", q: q || undefined, per_page: 50 } } })),
  });
  const link = useMutation({
    mutationFn: (testId: string) => ok(api.POST("/api/v1/campaigns/{id}/tests", { params: { path: { id: campaignId } }, body: { test_id: testId } })),
    onSuccess: async () => {
      setById("");
      await changed();
      await drafts.refetch();
    },
  });
  const problem = link.error instanceof ApiProblem ? link.error : null;
  return (
    <Card title="Add a test">
      <div className="grid gap-4 md:grid-cols-2">
        <div>
          <TextField label="Find a draft test" type="search" value={q} onChange={(e) => setQ(e.target.value)} hint="Drafts that belong to no campaign." />
          <div className="mt-2 max-h-64 overflow-y-auto rounded border border-slate-200">
            <QueryState
              query={drafts}
              empty={(page) => (page.items.every((t) => t.campaign_id) ? <p className="p-3 text-sm text-slate-500">No free draft test{q && " matches"}.</p> : null)}
            >
              {(page) => (
                <ul className="divide-y divide-slate-100">
                  {page.items
                    .filter((t) => !t.campaign_id)
                    .map((t) => (
                      <li key={t.id} className="flex items-center justify-between gap-2 px-3 py-1.5 text-sm">
                        <span>
                          {t.title} <span className="font-mono text-xs text-slate-500">{t.technique_id}</span>
                        </span>
                        <Button tone="secondary" disabled={link.isPending} onClick={() => link.mutate(t.id)} aria-label={`Add ${t.title}`}>
                          Add
                        </Button>
                      </li>
                    ))}
                </ul>
              )}
            </QueryState>
          </div>
        </div>
        <form
          className="space-y-2"
          onSubmit={(e) => {
            e.preventDefault();
            link.mutate(byId.trim());
          }}
        >
          <TextField label="Test id" value={byId} onChange={(e) => setById(e.target.value)} error={problem?.field("test_id")} hint="The id of a draft test (from its page's address)." />
          <Button type="submit" tone="secondary" disabled={!byId.trim()} busy={link.isPending}>
            Add by id
          </Button>
        </form>
      </div>
      {link.error && !problem?.field("test_id") && (
        <div className="mt-3">
          <ErrorPanel error={link.error} />
        </div>
      )}
    </Card>
  );
}

const OUTCOME_COLORS: Record<Outcome, string> = { prevented: "#22c55e", detected: "#3b82f6", logged: "#f59e0b", not_detected: "#ef4444" };
const STATE_COLORS: Record<TestState, string> = {
  draft: "#94a3b8",
  red_executing: "#ef4444",
  blue_evaluating: "#3b82f6",
  in_review: "#a855f7",
  validated: "#22c55e",
  rejected: "#7f1d1d",
  disputed: "#f59e0b",
};

function Progress({ detail }: { detail: Detail }) {
  const { progress } = detail;
  const byState = TEST_STATES.map((state) => ({ state, label: humanize(state), tests: progress.by_state[state] ?? 0 })).filter((row) => row.tests > 0);
  const outcomes = OUTCOMES.map((outcome) => ({ outcome, label: humanize(outcome), count: progress.outcomes[outcome] ?? 0 })).filter((row) => row.count > 0);
  return (
    <Card title="Progress">
      <div className="grid grid-cols-2 gap-2">
        <Stat label="Validated" value={formatPercent(progress.percent_validated)} hint={`${progress.validated} of ${progress.total} tests`} />
        <Stat label="Blocked" value={progress.blocked} hint="drafts waiting for a dependency" />
      </div>
      {progress.total === 0 ? (
        <p className="mt-3 text-sm text-slate-500">No tests to count yet.</p>
      ) : (
        <>
          <h3 className="mt-4 text-sm font-semibold text-slate-700">Tests by state</h3>
          <ul className="sr-only">
            {byState.map((row) => (
              <li key={row.state}>
                {row.label}: {row.tests}
              </li>
            ))}
          </ul>
          <ResponsiveContainer width="100%" height={40 + byState.length * 34}>
            <BarChart data={byState} layout="vertical" margin={{ left: 20, right: 10 }}>
              <CartesianGrid strokeDasharray="3 3" horizontal={false} />
              <XAxis type="number" allowDecimals={false} />
              <YAxis type="category" dataKey="label" width={110} interval={0} />
              <Tooltip />
              <Bar dataKey="tests" name="Tests" isAnimationActive={false}>
                {byState.map((row) => (
                  <Cell key={row.state} fill={STATE_COLORS[row.state] ?? "#64748b"} />
                ))}
              </Bar>
            </BarChart>
          </ResponsiveContainer>
          <h3 className="mt-4 text-sm font-semibold text-slate-700">Outcomes of validated tests</h3>
          {outcomes.length === 0 ? (
            <p className="text-sm text-slate-500">No test validated yet.</p>
          ) : (
            <div className="flex items-center gap-4">
              <PieChart width={140} height={140}>
                <Pie data={outcomes} dataKey="count" nameKey="label" innerRadius={35} outerRadius={60} isAnimationActive={false}>
                  {outcomes.map((o) => (
                    <Cell key={o.outcome} fill={OUTCOME_COLORS[o.outcome] ?? "#64748b"} />
                  ))}
                </Pie>
                <Tooltip />
              </PieChart>
              <ul className="space-y-1 text-sm">
                {outcomes.map((o) => (
                  <li key={o.outcome} className="flex items-center gap-2">
                    <Badge tone={outcomeTone(o.outcome)}>{o.label}</Badge> {o.count}
                  </li>
                ))}
              </ul>
            </div>
          )}
        </>
      )}
    </Card>
  );
}

function Schedule({ campaign, editable }: { campaign: Campaign; editable: boolean }) {
  const changed = useCampaignChange(campaign.id);
  const [editing, setEditing] = useState(false);
  const [start, setStart] = useState(campaign.start_date ?? "");
  const [end, setEnd] = useState(campaign.end_date ?? "");
  const [recurrence, setRecurrence] = useState(() => recurrenceDraft(campaign.recurrence));
  const save = useMutation({
    mutationFn: () =>
      ok(
        api.PATCH("/api/v1/campaigns/{id}/schedule", {
          params: { path: { id: campaign.id } },
          body: { start_date: start || null, end_date: end || null, recurrence: recurrenceRequest(recurrence) },
        }),
      ),
    onSuccess: async () => {
      setEditing(false);
      await changed();
    },
  });
  const problem = save.error instanceof ApiProblem ? save.error : null;
  const open = () => {
    setStart(campaign.start_date ?? "");
    setEnd(campaign.end_date ?? "");
    setRecurrence(recurrenceDraft(campaign.recurrence));
    save.reset();
    setEditing(true);
  };
  return (
    <Card
      title="Schedule"
      actions={
        editable &&
        !editing && (
          <Button tone="secondary" onClick={open}>
            Edit schedule
          </Button>
        )
      }
    >
      {editing ? (
        <form
          className="space-y-3"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate();
          }}
        >
          <div className="grid grid-cols-2 gap-3">
            <TextField label="Start date" type="date" value={start} onChange={(e) => setStart(e.target.value)} error={problem?.field("start_date")} />
            <TextField label="End date" type="date" value={end} onChange={(e) => setEnd(e.target.value)} error={problem?.field("end_date")} />
          </div>
          <RecurrenceFields value={recurrence} onChange={setRecurrence} problem={problem} />
          {save.error && <ErrorPanel error={save.error} />}
          <div className="flex justify-end gap-2">
            <Button tone="secondary" onClick={() => setEditing(false)}>
              Cancel
            </Button>
            <Button type="submit" busy={save.isPending}>
              Save schedule
            </Button>
          </div>
        </form>
      ) : (
        <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
          <dt className="text-slate-500">Starts</dt>
          <dd>{formatDate(campaign.start_date)}</dd>
          <dt className="text-slate-500">Ends</dt>
          <dd>{formatDate(campaign.end_date)}</dd>
          <dt className="text-slate-500">Repeats</dt>
          <dd>{campaign.recurrence ? campaign.recurrence.rule : "No"}</dd>
          {campaign.next_run_at && (
            <>
              <dt className="text-slate-500">Next run</dt>
              <dd>{formatDateTime(campaign.next_run_at)}</dd>
            </>
          )}
        </dl>
      )}
    </Card>
  );
}

function Timeline({ campaignId }: { campaignId: string }) {
  const timeline = useQuery({
    queryKey: ["campaign-timeline", campaignId],
    queryFn: () => ok(api.GET("/api/v1/campaigns/{id}/timeline", { params: { path: { id: campaignId } } })),
  });
  return (
    <Card title="Timeline">
      <QueryState query={timeline} empty={(events) => (events.length === 0 ? <p className="text-sm text-slate-500">Nothing happened yet.</p> : null)}>
        {(events) => (
          <ol className="max-h-[28rem] space-y-2 overflow-y-auto border-l-2 border-slate-200 pl-3 text-sm">
            {[...events].reverse().map((event, i) => (
              <li key={`${event.at}-${event.kind}-${i}`}>
                <p className="text-xs text-slate-500">{formatDateTime(event.at)}</p>
                <p>
                  <span className="font-medium">{humanize(event.kind)}</span>
                  {event.test_id && (
                    <>
                      {" · "}
                      <Link to={`/tests/${event.test_id}`} className="text-blue-800 hover:underline">
                        {event.test_title ?? "test"}
                      </Link>
                    </>
                  )}
                </p>
                {(event.from || event.to) && (
                  <p className="text-xs text-slate-600">
                    {humanize(event.from)} → {humanize(event.to)}
                  </p>
                )}
              </li>
            ))}
          </ol>
        )}
      </QueryState>
    </Card>
  );
}

export function trendTone(trend: string): BadgeTone {
  switch (trend) {
    case "improved":
      return "green";
    case "regressed":
      return "red";
    case "new":
      return "blue";
    case "dropped":
      return "amber";
    default:
      return "slate";
  }
}

function CoverageRunOverRun({ campaign }: { campaign: Campaign }) {
  const coverage = useQuery({
    queryKey: ["campaign-coverage", campaign.id],
    queryFn: () => ok(api.GET("/api/v1/campaigns/{id}/coverage", { params: { path: { id: campaign.id } } })),
  });
  return (
    <Card title="Coverage, run over run">
      <QueryState query={coverage}>
        {(data) => {
          const changes = new Map(data.changes.map((c) => [c.technique_id, c]));
          const current = new Set(data.techniques.map((t) => t.technique_id));
          const dropped = data.changes.filter((c) => !current.has(c.technique_id));
          return (
            <>
              <div className="mb-3 grid gap-2 sm:grid-cols-2">
                <Stat label="This run's score" value={formatScore(data.score)} hint="mean of its techniques, from its own tests" />
                {data.previous ? (
                  <Stat
                    label={`Run #${data.previous.run_number}`}
                    value={formatScore(data.previous.score)}
                    hint={
                      <>
                        {formatPercent(data.previous.percent_validated)} validated ·{" "}
                        <Link to={`/campaigns/${data.previous.campaign_id}`} className="text-blue-800 hover:underline">
                          open the previous run
                        </Link>
                      </>
                    }
                  />
                ) : (
                  <Stat label="Previous run" value="—" hint="This is the first run." />
                )}
              </div>
              {data.techniques.length === 0 && dropped.length === 0 ? (
                <EmptyState title="No technique covered by this campaign yet" />
              ) : (
                <Table caption="Coverage by technique, compared with the previous run" head={["Technique", "Tests", "Status", "Score", "Outcome", "Versus previous run"]}>
                  {data.techniques.map((t) => {
                    const change = changes.get(t.technique_id);
                    return (
                      <tr key={t.technique_id}>
                        <Td>
                          <Link to={`/techniques/${t.technique_id}`} className="font-mono text-blue-800 hover:underline">
                            {t.technique_id}
                          </Link>
                        </Td>
                        <Td>{t.tests}</Td>
                        <Td className="whitespace-nowrap">
                          <Badge tone={coverageTone(t.status)}>{humanize(t.status)}</Badge>
                        </Td>
                        <Td>{formatScore(t.score)}</Td>
                        <Td className="whitespace-nowrap">{t.outcome ? <Badge tone={outcomeTone(t.outcome)}>{humanize(t.outcome)}</Badge> : "—"}</Td>
                        <Td>{change ? <Trend change={change} /> : "—"}</Td>
                      </tr>
                    );
                  })}
                  {dropped.map((c) => (
                    <tr key={c.technique_id} className="bg-slate-50">
                      <Td>
                        <Link to={`/techniques/${c.technique_id}`} className="font-mono text-blue-800 hover:underline">
                          {c.technique_id}
                        </Link>
                      </Td>
                      <Td>0</Td>
                      <Td>—</Td>
                      <Td>—</Td>
                      <Td>—</Td>
                      <Td>
                        <Trend change={c} />
                      </Td>
                    </tr>
                  ))}
                </Table>
              )}
            </>
          );
        }}
      </QueryState>
    </Card>
  );
}

function Trend({ change }: { change: Schemas["RunChangeView"] }) {
  return (
    <span className="flex flex-wrap items-center gap-1 text-xs">
      <Badge tone={trendTone(change.trend)}>{humanize(change.trend)}</Badge>
      {change.previous_score !== null && change.previous_score !== undefined && (
        <span className="text-slate-600">
          {formatScore(change.previous_score)} → {formatScore(change.score)}
        </span>
      )}
      {change.previous_outcome && <span className="text-slate-500">(was {humanize(change.previous_outcome)})</span>}
    </span>
  );
}
