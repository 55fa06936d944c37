import { useState } from "react";
import { Link } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { Badge, Button, Card, EmptyState, ErrorPanel, PageHeader, QueryState, Stat, Table, Td } from "../components/ui";
import type { BadgeTone } from "../components/ui";
import { formatDateTime, formatScore, humanize } from "../lib/format";
import { can } from "../lib/permissions";

type Risk = Schemas["RiskView"];
type Cell = Schemas["RiskCellView"];

export function riskTone(level: string): BadgeTone {
  switch (level) {
    case "critical":
      return "red";
    case "high":
      return "amber";
    case "medium":
      return "blue";
    case "low":
      return "green";
    default:
      return "slate";
  }
}

/** Cells coloured by how far up and right they sit: likelihood x impact. */
function cellColour(cell: Cell): string {
  if (cell.count === 0) return "bg-white";
  const weight = cell.likelihood * cell.impact;
  if (weight >= 16) return "bg-red-200";
  if (weight >= 9) return "bg-amber-200";
  if (weight >= 4) return "bg-yellow-100";
  return "bg-green-100";
}

function Matrix({ cells, selected, onSelect }: { cells: Cell[]; selected: Cell | null; onSelect: (cell: Cell) => void }) {
  return (
    <div>
      <div className="grid grid-cols-[auto_repeat(5,minmax(0,1fr))] gap-1 text-xs" role="grid" aria-label="Likelihood by impact">
        {[5, 4, 3, 2, 1].map((likelihood) => (
          <div key={likelihood} className="contents" role="row">
            <div className="flex items-center pr-1 text-slate-500">L{likelihood}</div>
            {cells
              .filter((c) => c.likelihood === likelihood)
              .map((cell) => (
                <button
                  key={`${cell.likelihood}-${cell.impact}`}
                  type="button"
                  role="gridcell"
                  aria-label={`Likelihood ${cell.likelihood}, impact ${cell.impact}: ${cell.count} techniques`}
                  aria-selected={selected === cell}
                  onClick={() => onSelect(cell)}
                  className={`h-12 rounded border border-slate-200 font-semibold ${cellColour(cell)} ${selected === cell ? "ring-2 ring-blue-700" : ""}`}
                >
                  {cell.count || ""}
                </button>
              ))}
          </div>
        ))}
        <div />
        {[1, 2, 3, 4, 5].map((impact) => (
          <div key={impact} className="text-center text-slate-500">
            I{impact}
          </div>
        ))}
      </div>
      <p className="mt-1 text-xs text-slate-500">Likelihood: actors in scope and recent intelligence. Impact: detection gap and failed tests.</p>
    </div>
  );
}

function Breakdown({ risk }: { risk: Risk }) {
  const b = risk.breakdown;
  return (
    <span className="text-xs text-slate-600">
      gap {b.detection_gap} · actors {b.threat_actors} · intel {b.intelligence} · failed {b.failed_tests}
    </span>
  );
}

export function RiskPage() {
  const { me } = useSession();
  const client = useQueryClient();
  const [selected, setSelected] = useState<Cell | null>(null);
  const summary = useQuery({ queryKey: ["risk", "summary"], queryFn: () => ok(api.GET("/api/v1/risk/summary")) });
  const matrix = useQuery({ queryKey: ["risk", "matrix"], queryFn: () => ok(api.GET("/api/v1/risk/matrix")) });
  const top = useQuery({ queryKey: ["risk", "top"], queryFn: () => ok(api.GET("/api/v1/risk/top", { params: { query: { limit: 10 } } })) });
  const advice = useQuery({ queryKey: ["risk", "recommendations"], queryFn: () => ok(api.GET("/api/v1/risk/recommendations", { params: { query: { limit: 10 } } })) });
  const compute = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/risk/compute")),
    onSuccess: () => client.invalidateQueries({ queryKey: ["risk"] }),
  });
  return (
    <>
      <PageHeader
        title="Risk"
        subtitle="Techniques ranked by detection gap, the actors that use them, recent intelligence and failed tests."
        actions={
          can(me.role, "take_snapshot") && (
            <Button busy={compute.isPending} onClick={() => compute.mutate()}>
              Recompute risk
            </Button>
          )
        }
      />
      {compute.error && <ErrorPanel error={compute.error} />}
      <QueryState query={summary}>
        {(s) =>
          s.techniques === 0 ? (
            <EmptyState title="Risk has not been computed yet">A lead computes it here; it is also recomputed every night and whenever its inputs change.</EmptyState>
          ) : (
            <div className="space-y-5">
              <div className="grid grid-cols-2 gap-3 md:grid-cols-6">
                {["critical", "high", "medium", "low", "info"].map((level) => (
                  <Stat key={level} label={humanize(level)} value={s.by_level[level] ?? 0} />
                ))}
                <Stat label="Unproven high or critical" value={s.unproven_high} hint={`computed ${formatDateTime(s.computed_at)}`} />
              </div>
              <div className="grid gap-5 xl:grid-cols-3">
                <Card title="Likelihood × impact">
                  <QueryState query={matrix}>{(cells) => <Matrix cells={cells} selected={selected} onSelect={setSelected} />}</QueryState>
                  {selected && (
                    <div className="mt-3 text-sm" data-testid="matrix-selection">
                      <p className="font-medium">
                        Likelihood {selected.likelihood}, impact {selected.impact}: {selected.count} techniques
                      </p>
                      <p className="mt-1 flex flex-wrap gap-1">
                        {selected.techniques.slice(0, 40).map((id) => (
                          <Link key={id} to={`/techniques/${id}`} className="text-blue-800 underline">
                            {id}
                          </Link>
                        ))}
                      </p>
                    </div>
                  )}
                </Card>
                <Card title="Recommendations" className="xl:col-span-2">
                  <QueryState query={advice} empty={(list) => (list.length === 0 ? <EmptyState title="Nothing to recommend" /> : null)}>
                    {(list) => (
                      <ol className="space-y-2 text-sm" aria-label="Recommendations">
                        {list.map((r) => (
                          <li key={r.technique_id} className="flex gap-2">
                            <span className="w-5 shrink-0 text-right text-slate-500">{r.rank}.</span>
                            <span>
                              <Badge tone={riskTone(r.level)}>{humanize(r.level)}</Badge>{" "}
                              <Link to={`/techniques/${r.technique_id}`} className="font-medium text-blue-800 hover:underline">
                                {r.technique_id}
                              </Link>{" "}
                              <span>{r.reason}</span>
                            </span>
                          </li>
                        ))}
                      </ol>
                    )}
                  </QueryState>
                </Card>
              </div>
              <Card title="Most urgent techniques">
                <QueryState query={top}>
                  {(risks) => (
                    <Table head={["Technique", "Level", "Score", "Why", "Actors", "Signals", "Proof"]} caption="Most urgent techniques">
                      {risks.map((risk) => (
                        <tr key={risk.technique_id}>
                          <Td>
                            <Link to={`/techniques/${risk.technique_id}`} className="text-blue-800 underline">
                              {risk.technique_id}
                            </Link>{" "}
                            {risk.name}
                          </Td>
                          <Td>
                            <Badge tone={riskTone(risk.level)}>{humanize(risk.level)}</Badge>
                          </Td>
                          <Td>{formatScore(risk.score)}</Td>
                          <Td>
                            <Breakdown risk={risk} />
                          </Td>
                          <Td>
                            {risk.inputs.actors}
                            {risk.inputs.tracked_actors ? " tracked" : ""}
                          </Td>
                          <Td>{risk.inputs.intelligence_signals}</Td>
                          <Td>{risk.inputs.detection_proven ? <Badge tone="green">Proven</Badge> : <Badge tone="red">Unproven</Badge>}</Td>
                        </tr>
                      ))}
                    </Table>
                  )}
                </QueryState>
              </Card>
            </div>
          )
        }
      </QueryState>
    </>
  );
}
