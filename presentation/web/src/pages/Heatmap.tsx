import { memo, useCallback, useMemo, useRef, useState, type ChangeEvent } from "react";
import { OutcomeSplit } from "../components/OutcomeSplit";
import { Link, useNavigate, useSearchParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { Badge, Button, Card, ErrorPanel, PageHeader, QueryState, SelectField } from "../components/ui";
import { COVERAGE_COLORS, humanize } from "../lib/format";
import { usePreferences } from "./preferences";
import { can } from "../lib/permissions";

type Cell = Schemas["HeatmapCellView"];
type Column = Schemas["HeatmapColumnView"];
type Colouring = "score" | "status";


export function cellColor(cell: Cell, colouring: Colouring): string {
  return colouring === "status" ? (COVERAGE_COLORS[cell.status] ?? "#e2e8f0") : cell.color;
}

const FILTERS = ["platform", "threat_actor", "campaign_id"] as const;

export function HeatmapPage() {
  const [params, setParams] = useSearchParams();
  const { me } = useSession();
  const filters = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? ""])) as Record<(typeof FILTERS)[number], string>;
  const preferences = usePreferences();
  // The URL wins; otherwise the profile's preference.
  const colouring: Colouring = (params.get("colour") ?? preferences.heatmap_color_by) === "status" ? "status" : "score";
  const query = Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== ""));
  const heatmap = useQuery({
    queryKey: ["heatmap", query],
    queryFn: () => ok(api.GET("/api/v1/heatmap", { params: { query } })),
    placeholderData: (previous) => previous,
  });
  const actors = useQuery({
    queryKey: ["threat-actors", "all"],
    queryFn: () => ok(api.GET("/api/v1/threat-actors", { params: { query: { per_page: 200 } } })),
    staleTime: 300_000,
  });
  const campaigns = useQuery({
    queryKey: ["campaigns", "all"],
    queryFn: () => ok(api.GET("/api/v1/campaigns", { params: { query: { per_page: 200 } } })),
    staleTime: 60_000,
  });
  const setParam = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };
  const platforms = useMemo(() => {
    const all = new Set<string>();
    heatmap.data?.tactics.forEach((column) => column.techniques.forEach((cell) => cell.platforms.forEach((p) => all.add(p))));
    if (filters.platform) all.add(filters.platform);
    return [...all].sort();
  }, [heatmap.data, filters.platform]);
  const layerHref = `/api/v1/heatmap/navigator-layer${Object.keys(query).length ? `?${new URLSearchParams(query)}` : ""}`;
  const canImport = can(me.role, "plan_tests");

  return (
    <>
      <PageHeader
        title="ATT&CK heatmap"
        subtitle="Every technique by tactic, coloured by this organization's score or coverage status. Click a technique for its detail."
        actions={
          <>
            <a href={layerHref} download="aegis-layer.json" className="inline-flex items-center rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-100">
              Export Navigator layer
            </a>
            {canImport && <LayerImport />}
          </>
        }
      />
      <Card className="mb-4">
        <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
          <SelectField label="Platform" value={filters.platform} onChange={(e) => setParam("platform", e.target.value)} options={[["", "All platforms"], ...platforms.map((p) => [p, p] as const)]} />
          <SelectField
            label="Threat actor"
            value={filters.threat_actor}
            onChange={(e) => setParam("threat_actor", e.target.value)}
            options={[["", "All techniques"], ...(actors.data?.items ?? []).map((a) => [a.stix_id, a.mitre_id ? `${a.name} (${a.mitre_id})` : a.name] as const)]}
          />
          <SelectField
            label="Campaign"
            value={filters.campaign_id}
            onChange={(e) => setParam("campaign_id", e.target.value)}
            options={[["", "All tests"], ...(campaigns.data?.items ?? []).map((c) => [c.id, `${c.name} (run ${c.run_number})`] as const)]}
          />
          <SelectField
            label="Colour by"
            value={colouring}
            onChange={(e) => setParam("colour", e.target.value)}
            options={[
              ["score", "Score"],
              ["status", "Coverage status"],
            ]}
          />
        </div>
      </Card>
      <QueryState query={heatmap}>{(map) => <Matrix map={map} colouring={colouring} busy={heatmap.isFetching} />}</QueryState>
    </>
  );
}

function Legend({ map, colouring }: { map: Schemas["HeatmapView"]; colouring: Colouring }) {
  return (
    <div className="mb-3 flex flex-wrap items-center gap-4 text-sm">
      <span>
        Organization score <strong>{map.organization_score?.toFixed(0) ?? "—"}</strong>
      </span>
      <span>
        Threat-weighted <strong>{map.threat_weighted_score?.toFixed(0) ?? "—"}</strong>
      </span>
      {colouring === "status" ? (
        map.status_counts.map((count) => (
          <span key={count.status} className="inline-flex items-center gap-1">
            <span className="inline-block h-3 w-3 rounded-sm border border-slate-300" style={{ background: COVERAGE_COLORS[count.status] }} />
            {humanize(count.status)} ({count.techniques})
          </span>
        ))
      ) : (
        <span className="inline-flex items-center gap-1">
          0
          <span className="inline-block h-3 w-32 rounded-sm" style={{ background: "linear-gradient(to right, #d0d4da, #f87171, #facc15, #4ade80)" }} />
          100
        </span>
      )}
    </div>
  );
}

function Matrix({ map, colouring, busy }: { map: Schemas["HeatmapView"]; colouring: Colouring; busy: boolean }) {
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [hovered, setHovered] = useState<{ cell: Cell; x: number; y: number } | null>(null);
  const toggle = useCallback((id: string) => {
    setExpanded((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);
  const hover = useCallback((cell: Cell | null, x = 0, y = 0) => setHovered(cell ? { cell, x, y } : null), []);
  const expandAll = () => setExpanded(new Set(map.tactics.flatMap((c) => c.techniques.filter((t) => t.subtechniques.length > 0).map((t) => `${c.tactic_id}:${t.mitre_id}`))));
  return (
    <div aria-busy={busy}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <Legend map={map} colouring={colouring} />
        <div className="mb-3 flex gap-2">
          <Button tone="secondary" onClick={expandAll}>
            Expand all
          </Button>
          <Button tone="secondary" onClick={() => setExpanded(new Set())}>
            Collapse all
          </Button>
        </div>
      </div>
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white" data-testid="heatmap">
        <div className="flex min-w-max gap-1 p-2">
          {map.tactics.map((column) => (
            <TacticColumn key={column.tactic_id} column={column} colouring={colouring} expanded={expanded} onToggle={toggle} onHover={hover} />
          ))}
        </div>
      </div>
      {hovered && <HoverCard {...hovered} />}
    </div>
  );
}

type ColumnProps = {
  column: Column;
  colouring: Colouring;
  expanded: ReadonlySet<string>;
  onToggle: (id: string) => void;
  onHover: (cell: Cell | null, x?: number, y?: number) => void;
};

// Memoized: hovering a cell re-renders the hover card only, not 600 cells.
const TacticColumn = memo(function TacticColumn({ column, colouring, expanded, onToggle, onHover }: ColumnProps) {
  return (
    <section className="w-40 shrink-0" aria-label={column.tactic}>
      <header className="mb-1 rounded bg-slate-800 px-2 py-1.5 text-white">
        <h2 className="text-xs font-semibold leading-tight">{column.tactic}</h2>
        <p className="text-[11px] text-slate-300">
          {column.techniques.length} techniques · {column.score?.toFixed(0) ?? "—"}
        </p>
      </header>
      <ul className="space-y-0.5">
        {column.techniques.map((cell) => {
          const key = `${column.tactic_id}:${cell.mitre_id}`;
          const open = expanded.has(key);
          return (
            <li key={cell.mitre_id}>
              <div className="flex">
                <TechniqueCell cell={cell} colouring={colouring} onHover={onHover} />
                {cell.subtechniques.length > 0 && (
                  <button
                    type="button"
                    onClick={() => onToggle(key)}
                    aria-expanded={open}
                    aria-label={`${open ? "Hide" : "Show"} ${cell.subtechniques.length} sub-techniques of ${cell.mitre_id}`}
                    className="w-5 shrink-0 rounded-r border-l border-white/60 text-xs text-slate-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-blue-700"
                    style={{ background: cellColor(cell, colouring) }}
                  >
                    {open ? "−" : "+"}
                  </button>
                )}
              </div>
              {open && (
                <ul className="ml-2 mt-0.5 space-y-0.5 border-l-2 border-slate-300 pl-1">
                  {cell.subtechniques.map((sub) => (
                    <li key={sub.mitre_id} className="flex">
                      <TechniqueCell cell={sub} colouring={colouring} onHover={onHover} />
                    </li>
                  ))}
                </ul>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
});

function TechniqueCell({ cell, colouring, onHover }: { cell: Cell; colouring: Colouring; onHover: ColumnProps["onHover"] }) {
  const show = (target: HTMLElement) => {
    const box = target.getBoundingClientRect();
    onHover(cell, box.right, box.top);
  };
  return (
    <Link
      to={`/techniques/${cell.mitre_id}`}
      className="block min-w-0 flex-1 rounded-l px-1.5 py-1 text-[11px] leading-tight text-slate-900 last:rounded-r hover:outline hover:outline-2 hover:outline-slate-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-blue-700"
      style={{ background: cellColor(cell, colouring) }}
      onMouseEnter={(e) => show(e.currentTarget)}
      onMouseLeave={() => onHover(null)}
      onFocus={(e) => show(e.currentTarget)}
      onBlur={() => onHover(null)}
      aria-label={`${cell.mitre_id} ${cell.name}: score ${cell.rolled_score.toFixed(0)}, ${humanize(cell.status)}`}
    >
      <span className="font-mono text-[10px] font-medium">{cell.mitre_id}</span> <span>{cell.name}</span>
    </Link>
  );
}

function HoverCard({ cell, x, y }: { cell: Cell; x: number; y: number }) {
  const left = Math.min(x + 8, window.innerWidth - 300);
  const top = Math.min(Math.max(y, 8), window.innerHeight - 260);
  const b = cell.breakdown;
  return (
    <div role="tooltip" className="pointer-events-none fixed z-50 w-72 rounded-lg border border-slate-300 bg-white p-3 text-xs shadow-xl" style={{ left, top }}>
      <p className="text-sm font-semibold">
        {cell.mitre_id} · {cell.name}
      </p>
      <p className="mt-1">
        Score <strong>{cell.rolled_score.toFixed(0)}</strong>
        {cell.rolled_score !== cell.score && <> (own {cell.score.toFixed(0)})</>} · <Badge>{humanize(cell.status)}</Badge>
      </p>
      <dl className="mt-2 grid grid-cols-2 gap-x-3 gap-y-0.5">
        <dt>Tests</dt>
        <dd>{b.tests.toFixed(0)}</dd>
        <dt>Rules</dt>
        <dd>{b.rules.toFixed(0)}</dd>
        <dt>Countermeasures</dt>
        <dd>{b.countermeasures.toFixed(0)}</dd>
        <dt>Freshness</dt>
        <dd>{b.freshness.toFixed(0)}</dd>
        <dt>Diversity</dt>
        <dd>{b.diversity.toFixed(0)}</dd>
      </dl>
      <p className="mt-2 text-slate-600">
        {cell.validated_tests} validated, {cell.open_tests} open tests · {cell.detection_rules} rules · {cell.countermeasures} countermeasures · used by {cell.threat_actors} actors
      </p>
      {cell.platforms.length > 0 && <p className="mt-1 text-slate-500">{cell.platforms.join(", ")}</p>}
      <div className="mt-2 border-t border-slate-200 pt-2">
        <p className="font-semibold">Prevention and detection</p>
        <OutcomeSplit split={cell.outcomes} compact />
      </div>
    </div>
  );
}

/** Plans draft tests from an ATT&CK Navigator layer (the techniques it scores or annotates). */
function LayerImport() {
  const input = useRef<HTMLInputElement>(null);
  const navigate = useNavigate();
  const client = useQueryClient();
  const [parseError, setParseError] = useState<string | null>(null);
  const importLayer = useMutation({
    mutationFn: (layer: Record<string, unknown>) => // The layer is free-form JSON (Navigator 4.x); the server validates it.
      ok(api.POST("/api/v1/heatmap/navigator-layer", { body: layer as Record<string, never> })),
    onSuccess: () => client.invalidateQueries({ queryKey: ["heatmap"] }),
  });
  const pick = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = "";
    if (!file) return;
    setParseError(null);
    try {
      const parsed: unknown = JSON.parse(await file.text());
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
      importLayer.mutate(parsed as Record<string, unknown>);
    } catch {
      setParseError(`${file.name} is not a JSON Navigator layer.`);
    }
  };
  const result = importLayer.data;
  return (
    <div className="relative">
      <label className="inline-flex cursor-pointer items-center rounded-md bg-blue-700 px-3 py-1.5 text-sm font-medium text-white focus-within:ring-2 focus-within:ring-blue-600 hover:bg-blue-800">
        {importLayer.isPending ? "Importing…" : "Import Navigator layer"}
        <input ref={input} type="file" accept="application/json,.json" className="sr-only" onChange={pick} />
      </label>
      {(parseError || importLayer.error || result) && (
        <div className="absolute right-0 z-30 mt-2 w-96 rounded-lg border border-slate-200 bg-white p-3 text-sm shadow-lg" role="status">
          {parseError && <p className="text-red-800">{parseError}</p>}
          {importLayer.error && <ErrorPanel error={importLayer.error} />}
          {result && (
            <>
              <p className="font-semibold">
                {result.created.length} draft tests planned, {result.skipped.length} techniques skipped
              </p>
              <ul className="mt-1 max-h-40 overflow-y-auto">
                {result.created.slice(0, 10).map((test) => (
                  <li key={test.id}>
                    <button type="button" className="text-blue-800 hover:underline" onClick={() => navigate(`/tests/${test.id}`)}>
                      {test.technique_id} · {test.title}
                    </button>
                  </li>
                ))}
                {result.skipped.map((skip) => (
                  <li key={skip.technique_id} className="text-slate-600">
                    {skip.technique_id}: {skip.reason}
                  </li>
                ))}
              </ul>
              <Button tone="ghost" onClick={() => importLayer.reset()}>
                Close
              </Button>
            </>
          )}
          {!result && (
            <Button tone="ghost" onClick={() => (importLayer.reset(), setParseError(null))}>
              Close
            </Button>
          )}
        </div>
      )}
    </div>
  );
}
