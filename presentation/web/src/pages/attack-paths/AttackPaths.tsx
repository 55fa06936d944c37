import { useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiProblem, asProblem, CSRF_HEADER, ok } from "../../api/client";
import { useSession } from "../../auth/session";
import { Badge, Button, Card, EmptyState, ErrorPanel, PageHeader, QueryState, Table, Td, TextField } from "../../components/ui";
import { formatDateTime, humanize } from "../../lib/format";
import { can } from "../../lib/permissions";
import { PathGraph, label } from "./PathGraph";

/** Sends a flow file as it is: the server tells a STIX bundle from a builder file. */
async function importFlow(file: File): Promise<{ id: string; notes: string[] }> {
  const response = await fetch("/api/v1/attack-paths/import", {
    method: "POST",
    headers: { ...CSRF_HEADER, "Content-Type": "application/json" },
    credentials: "same-origin",
    body: file,
  });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) throw new ApiProblem(asProblem(body, response.status));
  const made = body as { attack_path: { path: { id: string } }; notes: string[] };
  return { id: made.attack_path.path.id, notes: made.notes };
}

export function AttackPathsPage() {
  const { me } = useSession();
  const navigate = useNavigate();
  const client = useQueryClient();
  const writer = can(me.role, "manage_campaigns");
  const file = useRef<HTMLInputElement>(null);
  const [actor, setActor] = useState("");
  const [notes, setNotes] = useState<string[]>([]);
  const paths = useQuery({
    queryKey: ["attack-paths"],
    queryFn: () => ok(api.GET("/api/v1/attack-paths", { params: { query: { per_page: 100 } } })),
  });
  const imported = useMutation({
    mutationFn: importFlow,
    onSuccess: async (made) => {
      setNotes(made.notes);
      await client.invalidateQueries({ queryKey: ["attack-paths"] });
      navigate(`/attack-paths/${made.id}`);
    },
  });
  const fromActor = useMutation({
    mutationFn: (id: string) => ok(api.POST("/api/v1/attack-paths/from-actor/{id}", { params: { path: { id } } })),
    onSuccess: async (made) => {
      await client.invalidateQueries({ queryKey: ["attack-paths"] });
      navigate(`/attack-paths/${made.attack_path.path.id}`);
    },
  });
  return (
    <>
      <PageHeader title="Attack paths" subtitle="Chains of techniques, where your defences stop them, and the campaigns that test them." />
      {writer && (
        <div className="mb-4 grid gap-4 md:grid-cols-2">
          <Card title="Import an Attack Flow">
            <p className="mb-2 text-sm text-slate-600">An Attack Flow Builder file (.afb) or an Attack Flow 2.0 STIX bundle (.json).</p>
            <label className="block text-sm font-medium text-slate-700" htmlFor="flow-file">
              Flow file
            </label>
            <input id="flow-file" ref={file} type="file" accept=".afb,.json,application/json" className="mb-2 block text-sm" />
            <Button busy={imported.isPending} onClick={() => file.current?.files?.[0] && imported.mutate(file.current.files[0])}>
              Import flow
            </Button>
            {imported.error && <ErrorPanel error={imported.error} />}
            {notes.length > 0 && (
              <ul className="mt-2 list-disc pl-5 text-xs text-slate-600">
                {notes.map((n) => (
                  <li key={n}>{n}</li>
                ))}
              </ul>
            )}
          </Card>
          <Card title="From a threat actor">
            <TextField label="Threat actor" hint="ATT&CK id, e.g. G0016" value={actor} onChange={(e) => setActor(e.target.value)} />
            <Button className="mt-2" busy={fromActor.isPending} disabled={!actor.trim()} onClick={() => fromActor.mutate(actor.trim())}>
              Create from actor
            </Button>
            {fromActor.error && <ErrorPanel error={fromActor.error} />}
          </Card>
        </div>
      )}
      <QueryState query={paths} empty={(page) => (page.items.length === 0 ? <EmptyState title="No attack paths yet" /> : null)}>
        {(page) => (
          <Table head={["Name", "Source", "Techniques", "Updated"]} caption="Attack paths">
            {page.items.map((path) => (
              <tr key={path.id}>
                <Td>
                  <Link to={`/attack-paths/${path.id}`} className="text-blue-800 underline">
                    {path.name}
                  </Link>
                </Td>
                <Td>
                  <Badge>{humanize(path.source)}</Badge>
                </Td>
                <Td>{path.techniques}</Td>
                <Td>{formatDateTime(path.updated_at)}</Td>
              </tr>
            ))}
          </Table>
        )}
      </QueryState>
    </>
  );
}

export function AttackPathDetailPage() {
  const { id = "" } = useParams();
  const { me } = useSession();
  const navigate = useNavigate();
  const detail = useQuery({
    queryKey: ["attack-paths", id],
    queryFn: () => ok(api.GET("/api/v1/attack-paths/{id}", { params: { path: { id } } })),
  });
  const plan = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/attack-paths/{id}/campaign", { params: { path: { id } } })),
    onSuccess: (planned) => navigate(`/campaigns/${planned.campaign.id}`),
  });
  return (
    <QueryState query={detail}>
      {(path) => {
        const byKey = new Map(path.steps.map((s) => [s.key, s]));
        const weakest = path.weakest_step ? byKey.get(path.weakest_step) : undefined;
        const stop = path.first_stop ? byKey.get(path.first_stop) : undefined;
        return (
          <>
            <PageHeader
              title={path.path.name}
              subtitle={path.path.description}
              actions={
                <div className="flex gap-2">
                  <a href={`/api/v1/attack-paths/${id}/export`} download className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100">
                    Export STIX
                  </a>
                  {can(me.role, "manage_campaigns") && (
                    <Button busy={plan.isPending} onClick={() => plan.mutate()}>
                      Plan campaign
                    </Button>
                  )}
                </div>
              }
            />
            {plan.error && <ErrorPanel error={plan.error} />}
            <div className="mb-4 grid gap-4 sm:grid-cols-2">
              <Card title="Weakest step">{weakest ? `${label(weakest)} (${weakest.score?.toFixed(1) ?? "0.0"})` : "None"}</Card>
              <Card title="First stopped at">{stop ? label(stop) : "Nothing stops this path yet"}</Card>
            </div>
            <PathGraph steps={path.steps} edges={path.edges} weakest={path.weakest_step} firstStop={path.first_stop} />
            <Table head={["Step", "Score", "Status", "Latest outcome", "Stopped"]} caption="Steps in order">
              {path.steps.map((step) => (
                <tr key={step.key}>
                  <Td>{label(step)}</Td>
                  <Td>{step.score?.toFixed(1) ?? "—"}</Td>
                  <Td>{step.status ? humanize(step.status) : "—"}</Td>
                  <Td>{step.latest_outcome ? humanize(step.latest_outcome) : "—"}</Td>
                  <Td>{step.stopped ? <Badge tone="green">Stopped</Badge> : ""}</Td>
                </tr>
              ))}
            </Table>
          </>
        );
      }}
    </QueryState>
  );
}
