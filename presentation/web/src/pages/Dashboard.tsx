import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { api, ok, type Schemas } from "../api/client";
import { Badge, Card, EmptyState, PageHeader, QueryState, Stat } from "../components/ui";
import { CatalogSetup } from "./CatalogSetup";
import { OutcomeSplit } from "../components/OutcomeSplit";
import { formatDate, formatDateTime, formatDuration, formatPercent, formatScore, humanize, stateTone } from "../lib/format";

function rate(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : formatPercent(value * 100);
}

export function DashboardPage() {
  const dashboard = useQuery({ queryKey: ["dashboard"], queryFn: () => ok(api.GET("/api/v1/dashboard")) });
  const metrics = useQuery({ queryKey: ["metrics"], queryFn: () => ok(api.GET("/api/v1/metrics", { params: { query: { days: 90 } } })) });
  const trend = useQuery({ queryKey: ["snapshots", "trend"], queryFn: () => ok(api.GET("/api/v1/snapshots/trend")) });
  const performance = useQuery({ queryKey: ["risk", "detection-performance"], queryFn: () => ok(api.GET("/api/v1/risk/detection-performance")) });
  return (
    <>
      <PageHeader title="Dashboard" subtitle="Where the organization stands against ATT&CK, and what moved lately." />
      <QueryState query={dashboard}>
        {(board) => (
          <div className="space-y-5">
            <CatalogSetup totalTechniques={board.kpis.total_techniques} />
            <Kpis kpis={board.kpis} />
            <Narrative narrative={board.narrative} />
            <div className="grid gap-5 xl:grid-cols-2">
              <Card title="Validation funnel">
                <QueryState query={metrics}>{(m) => <Funnel metrics={m} />}</QueryState>
              </Card>
              <Card title="Coverage over time">
                <QueryState query={trend} empty={(points) => (points.length === 0 ? <EmptyState title="No snapshots yet">A snapshot is taken every Sunday; admins can take one now.</EmptyState> : null)}>
                  {(points) => <Trend points={points} />}
                </QueryState>
              </Card>
            </div>
            <Card title="Prevention and detection">
              <QueryState query={performance}>{(p) => <PreventionPanel performance={p} />}</QueryState>
            </Card>
            <div className="grid gap-5 xl:grid-cols-3">
              <Card title="Posture by tactic" className="xl:col-span-2">
                <ByTactic rows={board.by_tactic} />
              </Card>
              <Card title="Recent activity">
                <Activity items={board.activity} />
              </Card>
            </div>
          </div>
        )}
      </QueryState>
    </>
  );
}

function Kpis({ kpis }: { kpis: Schemas["KpisView"] }) {
  return (
    <div className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6">
      <Stat label="Organization score" value={formatScore(kpis.organization_score)} hint="0 to 100, mean over the matrix" />
      <Stat label="Threat-weighted" value={formatScore(kpis.threat_weighted_score)} hint="weighted by actors using each technique" />
      <Stat label="Coverage" value={formatPercent(kpis.coverage_percent)} hint={`${kpis.covered_techniques} of ${kpis.total_techniques} techniques`} />
      <Stat label="Validated tests" value={kpis.validated_tests} />
      <Stat label="Open tests" value={<Link className="hover:underline" to="/tests">{kpis.open_tests}</Link>} />
      <Stat label="Active campaigns" value={<Link className="hover:underline" to="/campaigns?status=active">{kpis.active_campaigns}</Link>} />
      <Stat label="Open alerts" value={<Link className="hover:underline" to="/alerts?status=open">{kpis.open_alerts}</Link>} />
    </div>
  );
}

function Narrative({ narrative }: { narrative: Schemas["NarrativeView"] }) {
  return (
    <Card title="Executive summary">
      <div className="grid gap-4 text-sm leading-relaxed text-slate-800 lg:grid-cols-3">
        <div className="space-y-2 lg:col-span-2">
          <p>{narrative.posture}</p>
          <p>{narrative.trend}</p>
          <p>{narrative.improvements}</p>
        </div>
        <div className="space-y-3">
          {narrative.top_risks.length > 0 && (
            <div>
              <p className="font-semibold">Top risks</p>
              <ul className="list-disc pl-5">
                {narrative.top_risks.map((risk) => (
                  <li key={risk}>{risk}</li>
                ))}
              </ul>
            </div>
          )}
          {narrative.actions.length > 0 && (
            <div>
              <p className="font-semibold">Recommended actions</p>
              <ul className="list-disc pl-5">
                {narrative.actions.map((action) => (
                  <li key={action}>{action}</li>
                ))}
              </ul>
            </div>
          )}
        </div>
      </div>
    </Card>
  );
}

function Funnel({ metrics }: { metrics: Schemas["MetricsView"] }) {
  const data = metrics.funnel.map((step) => ({ state: humanize(step.state), tests: step.tests }));
  return (
    <div>
      <div className="mb-3 grid grid-cols-3 gap-2 text-sm">
        <p>
          Validation rate <span className="font-semibold">{rate(metrics.validation_rate)}</span>
        </p>
        <p>
          Detection rate <span className="font-semibold">{rate(metrics.detection_rate)}</span>
        </p>
        <p>
          Mean time to detect <span className="font-semibold">{formatDuration(metrics.mean_time_to_detect_seconds)}</span>
        </p>
      </div>
      <ResponsiveContainer width="100%" height={220}>
        <BarChart data={data} layout="vertical" margin={{ left: 30 }}>
          <CartesianGrid strokeDasharray="3 3" horizontal={false} />
          <XAxis type="number" allowDecimals={false} />
          <YAxis type="category" dataKey="state" width={110} tick={{ fontSize: 12 }} />
          <Tooltip />
          <Bar dataKey="tests" fill="#1d4ed8" name="Tests" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

function Trend({ points }: { points: Schemas["TrendPointView"][] }) {
  const data = points.map((p) => ({
    date: formatDate(p.taken_at),
    coverage: Number(p.coverage_percent.toFixed(1)),
    score: p.organization_score ?? null,
    threat: p.threat_weighted_score ?? null,
  }));
  return (
    <ResponsiveContainer width="100%" height={250}>
      <LineChart data={data}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="date" tick={{ fontSize: 12 }} />
        <YAxis domain={[0, 100]} />
        <Tooltip />
        <Legend />
        <Line dataKey="coverage" name="Coverage %" stroke="#1d4ed8" isAnimationActive={false} />
        <Line dataKey="score" name="Organization score" stroke="#16a34a" isAnimationActive={false} />
        <Line dataKey="threat" name="Threat-weighted" stroke="#dc2626" isAnimationActive={false} />
      </LineChart>
    </ResponsiveContainer>
  );
}

function ByTactic({ rows }: { rows: Schemas["TacticPostureView"][] }) {
  if (rows.length === 0) return <EmptyState title="No tactics yet">Import ATT&CK to see the matrix.</EmptyState>;
  return (
    <ul className="space-y-1.5">
      {rows.map((row) => {
        const percent = row.techniques > 0 ? (row.covered / row.techniques) * 100 : 0;
        return (
          <li key={row.tactic} className="grid grid-cols-[12rem_1fr_6rem] items-center gap-3 text-sm">
            <Link to={`/techniques?tactic=${encodeURIComponent(row.tactic)}`} className="truncate hover:underline">
              {row.name}
            </Link>
            <div className="h-3 rounded bg-slate-100" role="meter" aria-label={`${row.name} coverage`} aria-valuenow={Math.round(percent)} aria-valuemin={0} aria-valuemax={100}>
              <div className="h-3 rounded bg-blue-700" style={{ width: `${percent}%` }} />
            </div>
            <span className="text-right text-slate-700">
              {row.covered}/{row.techniques} · {formatScore(row.score)}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

function Activity({ items }: { items: Schemas["ActivityView"][] }) {
  if (items.length === 0) return <EmptyState title="No activity yet">Workflow steps on tests appear here.</EmptyState>;
  return (
    <ol className="space-y-2 text-sm">
      {items.map((item) => (
        <li key={`${item.test_id}-${item.at}-${item.action}`} className="border-b border-slate-100 pb-2">
          <Link to={`/tests/${item.test_id}`} className="font-medium hover:underline">
            {item.test_title}
          </Link>{" "}
          <span className="text-slate-500">({item.technique_id})</span>
          <p className="text-slate-700">
            {item.actor_name ?? "Someone"} · {humanize(item.action)} → <Badge tone={stateTone(item.to_state)}>{humanize(item.to_state)}</Badge>
          </p>
          <p className="text-xs text-slate-500">{formatDateTime(item.at)}</p>
        </li>
      ))}
    </ol>
  );
}

/** How validated tests ended overall and per tactic, with the time to detect. */
function PreventionPanel({ performance }: { performance: Schemas["DetectionPerformanceView"] }) {
  const tactics = Object.entries(performance.by_tactic);
  return (
    <div className="space-y-3 text-sm" data-testid="prevention-panel">
      <OutcomeSplit split={performance.overall} />
      {tactics.length > 0 && (
        <table className="w-full text-left text-xs">
          <caption className="sr-only">Prevention and detection per tactic</caption>
          <thead>
            <tr className="text-slate-500">
              <th className="py-1">Tactic</th>
              <th>Tests</th>
              <th>Prevented</th>
              <th>Detected</th>
              <th>Logged only</th>
              <th>Missed</th>
              <th>Median to detect</th>
              <th>p90</th>
            </tr>
          </thead>
          <tbody>
            {tactics.map(([tactic, split]) => (
              <tr key={tactic} className="border-t border-slate-100">
                <td className="py-1">{humanize(tactic)}</td>
                <td>{split.validated_tests}</td>
                <td>{formatPercent(split.prevented_share * 100)}</td>
                <td>{formatPercent(split.detected_share * 100)}</td>
                <td>{formatPercent(split.logged_share * 100)}</td>
                <td>{formatPercent(split.missed_share * 100)}</td>
                <td>{split.median_seconds_to_detect == null ? "—" : formatDuration(split.median_seconds_to_detect)}</td>
                <td>{split.p90_seconds_to_detect == null ? "—" : formatDuration(split.p90_seconds_to_detect)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
