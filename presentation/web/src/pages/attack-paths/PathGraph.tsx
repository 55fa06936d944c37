import { useMemo } from "react";
import { Background, Controls, ReactFlow, type Edge, type Node } from "@xyflow/react";
import dagre from "@dagrejs/dagre";
import "@xyflow/react/dist/style.css";
import type { Schemas } from "../../api/client";

type Step = Schemas["PathStepView"];
type PathEdge = Schemas["EdgeView"];

const WIDTH = 190;
const HEIGHT = 64;

/** Fill by coverage: covered green, tried and missed amber, untested or stale red/slate. */
export function stepTone(step: Step): string {
  if (step.kind === "operator") return "#e2e8f0";
  switch (step.status) {
    case "validated":
      return "#bbf7d0";
    case "partial":
      return "#fde68a";
    case "in_progress":
      return "#bfdbfe";
    case "stale":
      return "#e9d5ff";
    default:
      return "#fecaca";
  }
}

/** Left-to-right layered layout of the path by dagre, so the chain reads in its order. */
export function layout(steps: Step[], edges: PathEdge[]): Map<string, { x: number; y: number }> {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 30, ranksep: 60 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const step of steps) graph.setNode(step.key, { width: WIDTH, height: HEIGHT });
  for (const edge of edges) graph.setEdge(edge.from, edge.to);
  dagre.layout(graph);
  const positions = new Map<string, { x: number; y: number }>();
  for (const step of steps) {
    const node = graph.node(step.key);
    positions.set(step.key, { x: node.x - WIDTH / 2, y: node.y - HEIGHT / 2 });
  }
  return positions;
}

export function label(step: Step): string {
  return step.kind === "operator" ? (step.operator ?? step.name) : `${step.technique_id ?? ""} ${step.name}`;
}

export function PathGraph({ steps, edges, weakest, firstStop }: { steps: Step[]; edges: PathEdge[]; weakest: string | null | undefined; firstStop: string | null | undefined }) {
  const { nodes, links } = useMemo(() => {
    const positions = layout(steps, edges);
    const nodes: Node[] = steps.map((step) => {
      const marks = [step.key === weakest ? "weakest" : null, step.key === firstStop ? "first stop" : null].filter(Boolean);
      return {
        id: step.key,
        position: positions.get(step.key) ?? { x: 0, y: 0 },
        data: {
          label: (
            <span data-step={step.key} aria-label={`${label(step)}${marks.length ? ` (${marks.join(", ")})` : ""}`}>
              <strong className="block truncate">{label(step)}</strong>
              {step.kind === "technique" && (
                <span className="text-xs">
                  {step.score?.toFixed(1) ?? "0.0"} · {step.status?.replace("_", " ")}
                  {marks.length > 0 && ` · ${marks.join(", ")}`}
                </span>
              )}
            </span>
          ),
        },
        style: {
          width: WIDTH,
          background: stepTone(step),
          border: step.key === firstStop ? "3px solid #15803d" : step.key === weakest ? "3px solid #b91c1c" : "1px solid #64748b",
          borderRadius: step.kind === "operator" ? 32 : 6,
          fontSize: 12,
        },
      };
    });
    const links: Edge[] = edges.map((edge) => ({ id: `${edge.from}->${edge.to}`, source: edge.from, target: edge.to, markerEnd: { type: "arrowclosed" as never } }));
    return { nodes, links };
  }, [steps, edges, weakest, firstStop]);
  return (
    <div className="h-[480px] rounded-md border border-slate-200 bg-white" aria-label="Attack path graph" role="figure">
      <ReactFlow nodes={nodes} edges={links} fitView nodesDraggable={false} nodesConnectable={false} proOptions={{ hideAttribution: true }}>
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
