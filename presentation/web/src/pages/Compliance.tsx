import { useState } from "react";
import { Link, useParams } from "react-router";
import { useQueries, useQuery } from "@tanstack/react-query";
import { PolarAngleAxis, RadialBar, RadialBarChart } from "recharts";
import { api, ok, type Schemas } from "../api/client";
import { Badge, Button, Card, EmptyState, ErrorPanel, Loading, PageHeader, QueryState, SelectField, Stat, Table, Td } from "../components/ui";
import { formatPercent, formatScore, humanize, scoreColor } from "../lib/format";
import { coverageTone } from "./pageKit";
import { useListParams } from "../lib/listParams";
import { SearchField } from "./listing";
import { CONTROL_STATUSES, oneOf } from "../api/enums";

type Control = Schemas["ControlView"];

function frameworkQuery(id: string, status?: string) {
  return {
    queryKey: ["compliance", id, status ?? ""],
    queryFn: () => ok(api.GET("/api/v1/compliance/frameworks/{id}", { params: { path: { id }, query: { status: oneOf(CONTROL_STATUSES, status) } } })),
  };
}

/** Rings filled to the covered percent (outer) and, when given, the touched percent (inner). */
export function Gauge({ percent, touched, label }: { percent: number; touched?: number; label: string }) {
  const clamp = (v: number) => Math.max(0, Math.min(100, v));
  const value = clamp(percent);
  const rings = [
    ...(touched === undefined ? [] : [{ name: "Touched", value: clamp(touched), fill: "#93c5fd" }]),
    { name: "Covered", value, fill: scoreColor(value) },
  ];
  return (
    <div className="relative h-40 w-40 shrink-0" role="img" aria-label={`${label}: ${formatPercent(value)}${touched === undefined ? "" : `, ${formatPercent(clamp(touched))} touched`}`}>
      <RadialBarChart width={160} height={160} innerRadius={touched === undefined ? 60 : 46} outerRadius={78} barSize={touched === undefined ? 16 : 12} data={rings} startAngle={90} endAngle={-270}>
        <PolarAngleAxis type="number" domain={[0, 100]} tick={false} />
        <RadialBar dataKey="value" background={{ fill: "#e2e8f0" }} cornerRadius={6} isAnimationActive={false} />
      </RadialBarChart>
      <div className="absolute inset-0 flex flex-col items-center justify-center" aria-hidden>
        <span className="text-2xl font-semibold text-slate-900">{value.toFixed(0)} %</span>
        <span className="text-xs text-slate-500">covered</span>
      </div>
    </div>
  );
}

export function CompliancePage() {
  const frameworks = useQuery({ queryKey: ["compliance", "frameworks"], queryFn: () => ok(api.GET("/api/v1/compliance/frameworks")) });
  // The list has no percentages: each framework's coverage comes from its own view.
  const coverage = useQueries({ queries: (frameworks.data ?? []).map((f) => frameworkQuery(f.id)) });
  return (
    <>
      <PageHeader title="Compliance" subtitle="How much of each framework's controls the validated ATT&CK coverage backs up." />
      <QueryState
        query={frameworks}
        empty={(list) => (list.length === 0 ? <EmptyState title="No compliance framework imported">An admin imports mappings from the data sources page.</EmptyState> : null)}
      >
        {(list) => (
          <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3">
            {list.map((framework, i) => {
              const view = coverage[i];
              return (
                <Card key={framework.id}>
                  <div className="flex items-start justify-between gap-2">
                    <div>
                      <h2 className="text-base font-semibold">
                        <Link to={`/compliance/${encodeURIComponent(framework.id)}`} className="text-blue-800 hover:underline">
                          {framework.name}
                        </Link>
                      </h2>
                      <p className="text-xs text-slate-500">Version {framework.version}</p>
                    </div>
                    {view?.data?.derived && <Badge tone="amber">Derived</Badge>}
                  </div>
                  <div className="mt-3 flex items-center gap-4">
                    {view?.data ? <Gauge percent={view.data.covered_percent} touched={view.data.touched_percent} label={`${framework.name} controls covered`} /> : view?.error ? <ErrorPanel error={view.error} /> : <Loading />}
                    <dl className="space-y-1 whitespace-nowrap text-sm">
                      <div>
                        <dt className="inline text-slate-500">Controls </dt>
                        <dd className="inline font-medium">{framework.controls}</dd>
                      </div>
                      <div>
                        <dt className="inline text-slate-500">Mappings </dt>
                        <dd className="inline font-medium">{framework.mappings}</dd>
                      </div>
                      {view?.data && (
                        <div>
                          <dt className="inline text-slate-500">
                            <span className="mr-1 inline-block h-2 w-2 rounded-full bg-blue-300" aria-hidden />
                            Touched{" "}
                          </dt>
                          <dd className="inline font-medium">{formatPercent(view.data.touched_percent)}</dd>
                        </div>
                      )}
                    </dl>
                  </div>
                  <p className="mt-2 line-clamp-2 text-xs text-slate-500">{framework.source}</p>
                </Card>
              );
            })}
          </div>
        )}
      </QueryState>
    </>
  );
}

const STATUS_ORDER: Record<string, number> = { gap: 0, partial: 1, covered: 2 };

/** A control's status for people: a gap whose techniques were all tested and missed is not an untested one. */
export function controlStatusLabel(control: Control): string {
  return control.tested_not_detected ? "Tested, not detected" : humanize(control.status);
}

/** Gaps first (no technique validated), then weak (partial) controls, lowest score first. */
export function gapsFirst(controls: Control[]): Control[] {
  return [...controls].sort((a, b) => (STATUS_ORDER[a.status] ?? 3) - (STATUS_ORDER[b.status] ?? 3) || a.score - b.score || a.control_id.localeCompare(b.control_id));
}

export function FrameworkPage() {
  const { id = "" } = useParams();
  const filters = useListParams();
  const status = filters.get("status");
  const q = filters.get("q").toLowerCase();
  const group = filters.get("group");
  const framework = useQuery(frameworkQuery(id, status));
  if (!framework.data) {
    return (
      <>
        <PageHeader title="Compliance framework" />
        <QueryState query={framework}>{() => null}</QueryState>
      </>
    );
  }
  const data = framework.data;
  const groups = [...new Set(data.controls.map((c) => c.group).filter((g): g is string => Boolean(g)))].sort();
  const shown = gapsFirst(
    data.controls.filter(
      (c) => (!group || c.group === group) && (!q || c.control_id.toLowerCase().includes(q) || c.name.toLowerCase().includes(q) || c.techniques.some((t) => t.toLowerCase() === q)),
    ),
  );
  const gaps = shown.filter((c) => c.status !== "covered");
  const covered = shown.filter((c) => c.status === "covered");
  const count = (s: string) => data.controls.filter((c) => c.status === s).length;
  return (
    <>
      <PageHeader
        title={`${data.framework.name} ${data.framework.version}`}
        subtitle={
          <span className="flex flex-wrap items-center gap-2">
            <span>{data.framework.source}</span>
            {data.framework.attack_version && <span>· mapped against ATT&CK {data.framework.attack_version}</span>}
            <Link to="/compliance" className="text-blue-800 hover:underline">
              All frameworks
            </Link>
          </span>
        }
      />
      {data.derived && (
        <p className="mb-4 rounded-md bg-amber-50 p-3 text-sm text-amber-900">
          This framework is reached through another one by a crosswalk: its coverage is weaker evidence than a direct mapping.
        </p>
      )}
      <div className="mb-5 flex flex-wrap items-center gap-4">
        <Gauge percent={data.covered_percent} touched={data.touched_percent} label="Controls covered" />
        <div className="grid flex-1 grid-cols-2 gap-3 md:grid-cols-4">
          <Stat label="Touched" value={formatPercent(data.touched_percent)} hint="controls with a covered technique" />
          <Stat label="Gaps" value={status && status !== "gap" ? "—" : count("gap")} hint="no technique detected or prevented" />
          <Stat label="Partial" value={status && status !== "partial" ? "—" : count("partial")} hint="some techniques detected or prevented" />
          <Stat label="Covered" value={status && status !== "covered" ? "—" : count("covered")} hint="every technique detected or prevented" />
        </div>
      </div>
      <div className="mb-4 grid gap-3 sm:grid-cols-3">
        <SearchField label="Search controls" value={filters.get("q")} onCommit={(v) => filters.set({ q: v })} hint="Control id, name or a technique id" />
        <SelectField
          label="Status"
          value={status}
          onChange={(e) => filters.set({ status: e.target.value })}
          options={[
            ["", "Any status"],
            ["gap", "Gap"],
            ["partial", "Partial"],
            ["covered", "Covered"],
          ]}
        />
        <SelectField label="Group" value={group} onChange={(e) => filters.set({ group: e.target.value })} options={[["", "Every group"], ...groups.map((g) => [g, g] as const)]} />
      </div>
      {shown.length === 0 ? (
        <EmptyState title="No control matches these filters" />
      ) : (
        <div className="space-y-5">
          {gaps.length > 0 && (
            <section aria-labelledby="gaps-heading">
              <h2 id="gaps-heading" className="mb-2 text-lg font-semibold text-slate-900">
                Control gaps ({gaps.length})
              </h2>
              <p className="mb-2 text-sm text-slate-600">Controls not or only partly backed by validated techniques, the weakest first, with the techniques whose validated tests would close them.</p>
              <ControlTable key={`gaps-${status}-${q}-${group}`} controls={gaps} caption="Control gaps" />
            </section>
          )}
          {covered.length > 0 && (
            <section aria-labelledby="covered-heading">
              <h2 id="covered-heading" className="mb-2 text-lg font-semibold text-slate-900">
                Covered controls ({covered.length})
              </h2>
              <ControlTable key={`covered-${status}-${q}-${group}`} controls={covered} caption="Covered controls" />
            </section>
          )}
        </div>
      )}
    </>
  );
}

const CONTROLS_SHOWN = 25;

function ControlTable({ controls, caption }: { controls: Control[]; caption: string }) {
  // Frameworks have about a hundred controls, all in one answer: show them a screenful at a time.
  const [limit, setLimit] = useState(CONTROLS_SHOWN);
  return (
    <>
      <Table caption={caption} head={["Control", "Status", "Score", "Validated", "To test"]}>
        {controls.slice(0, limit).map((control) => (
          <tr key={control.control_id}>
            <Td className="w-64">
              <p className="font-mono text-xs text-slate-500">{control.control_id}</p>
              <p className="font-medium text-slate-900">{control.name}</p>
              {control.group && <p className="text-xs text-slate-500">{control.group}</p>}
            </Td>
            <Td>
              <Badge tone={coverageTone(control.status)}>{controlStatusLabel(control)}</Badge>
            </Td>
            <Td>{formatScore(control.score)}</Td>
            <Td className="whitespace-nowrap">
              {control.validated.length} of {control.techniques.length}
            </Td>
            <Td>
              <TechniqueLinks ids={control.to_test} />
              {control.missed.length > 0 && !control.tested_not_detected && (
                <p className="mt-1 text-xs text-slate-500">
                  Tested, not detected: <span className="font-mono">{control.missed.join(", ")}</span>
                </p>
              )}
            </Td>
          </tr>
        ))}
      </Table>
      {controls.length > limit && (
        <Button tone="secondary" className="mt-2" onClick={() => setLimit((n) => n + CONTROLS_SHOWN)}>
          Show {Math.min(CONTROLS_SHOWN, controls.length - limit)} more of {controls.length - limit}
        </Button>
      )}
    </>
  );
}

function TechniqueLinks({ ids }: { ids: string[] }) {
  const [all, setAll] = useState(false);
  if (ids.length === 0) return <span className="text-slate-500">—</span>;
  const shown = all ? ids : ids.slice(0, 10);
  return (
    <div>
      <ul className="flex flex-wrap gap-1">
        {shown.map((id) => (
          <li key={id}>
            <Link to={`/techniques/${id}`} className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-blue-800 hover:bg-blue-50 hover:underline">
              {id}
            </Link>
          </li>
        ))}
      </ul>
      {ids.length > 10 && (
        <Button tone="ghost" className="mt-1 px-1 py-0.5 text-xs" onClick={() => setAll((v) => !v)}>
          {all ? "Show fewer" : `Show all ${ids.length}`}
        </Button>
      )}
    </div>
  );
}
