import { useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, fieldError, ok, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { Badge, Button, Card, EmptyState, ErrorPanel, PageHeader, Pagination, QueryState, SelectField, Stat, Table, Td, TextArea, TextField, type BadgeTone } from "../components/ui";
import { formatDate, formatDateTime, humanize, outcomeTone } from "../lib/format";
import { pageCount, useListParams } from "../lib/listParams";
import { can } from "../lib/permissions";
import { Facts, SearchField } from "./listing";
import { ASSET_KINDS, ASSET_STATUSES, oneOf } from "../api/enums";

type Validation = Schemas["ValidationView"];
const PER_PAGE = 25;
const FIELDS = ["name", "kind", "platform", "team", "content", "techniques[0]"];

export function proofTone(state: string): BadgeTone {
  switch (state) {
    case "current":
      return "green";
    case "expired":
      return "amber";
    default:
      return "red";
  }
}

function assetStatusTone(status: string): BadgeTone {
  return status === "active" ? "green" : status === "disabled" ? "amber" : "slate";
}

/** A proof's state and what ended it, in one line. */
export function ProofBadge({ proof }: { proof: Validation | null | undefined }) {
  if (!proof) return <Badge tone="slate">Unproven</Badge>;
  return (
    <span className="inline-flex flex-wrap items-center gap-1">
      <Badge tone={proofTone(proof.state)}>{humanize(proof.state)}</Badge>
      <span className="text-xs text-slate-600">
        {proof.state === "current" ? `until ${formatDate(proof.expires_at)}` : (proof.end_reason ?? `expired ${formatDate(proof.expires_at)}`)}
      </span>
    </span>
  );
}

export function DetectionAssetsPage() {
  const { me } = useSession();
  const filters = useListParams();
  const [creating, setCreating] = useState(false);
  const query = {
    kind: oneOf(ASSET_KINDS, filters.get("kind")),
    status: oneOf(ASSET_STATUSES, filters.get("status")),
    platform: filters.get("platform") || undefined,
    technique_id: filters.get("technique_id") || undefined,
    search: filters.get("search") || undefined,
  };
  const assets = useQuery({
    queryKey: ["detection-assets", query, filters.page],
    queryFn: () => ok(api.GET("/api/v1/detection-lifecycle/assets", { params: { query: { ...query, page: filters.page, per_page: PER_PAGE } } })),
  });
  return (
    <>
      <PageHeader
        title="Detection assets"
        subtitle="The detections running in production, and whether a test proved each one."
        actions={
          <span className="flex gap-2">
            <Link to="/detection-lifecycle" className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100">
              Lifecycle dashboard
            </Link>
            {can(me.role, "manage_detections") && <Button onClick={() => setCreating(true)}>New asset</Button>}
          </span>
        }
      />
      {creating && <NewAssetForm onClose={() => setCreating(false)} />}
      <div className="mb-4 grid gap-3 sm:grid-cols-3 lg:grid-cols-5">
        <SearchField label="Name" value={filters.get("search")} onCommit={(v) => filters.set({ search: v })} />
        <SelectField label="Kind" value={filters.get("kind")} onChange={(e) => filters.set({ kind: e.target.value })} options={[["", "Any kind"], ...ASSET_KINDS.map((k) => [k, humanize(k)] as const)]} />
        <SelectField label="Status" value={filters.get("status")} onChange={(e) => filters.set({ status: e.target.value })} options={[["", "Any status"], ...ASSET_STATUSES.map((s) => [s, humanize(s)] as const)]} />
        <SearchField label="Platform" value={filters.get("platform")} onCommit={(v) => filters.set({ platform: v.toLowerCase() })} />
        <SearchField label="Technique" value={filters.get("technique_id")} onCommit={(v) => filters.set({ technique_id: v.toUpperCase() })} />
      </div>
      <QueryState
        query={assets}
        empty={(page) =>
          page.items.length === 0 ? (
            <EmptyState title="No detection assets">Make one from a detection rule (open the rule and choose “Run it in production”) or describe one by hand.</EmptyState>
          ) : null
        }
      >
        {(page) => (
          <>
            <Table caption="Detection assets" head={["Asset", "Kind", "Platform", "Team", "Status", "Techniques"]}>
              {page.items.map((a) => (
                <tr key={a.id}>
                  <Td>
                    <Link to={`/detection-assets/${a.id}`} className="font-medium text-blue-800 hover:underline">
                      {a.name}
                    </Link>
                    {a.rule && <p className="text-xs text-slate-500">from {humanize(a.rule.source)} rule</p>}
                  </Td>
                  <Td>{humanize(a.kind)}</Td>
                  <Td>{a.platform}</Td>
                  <Td>{a.team || "—"}</Td>
                  <Td>
                    <Badge tone={assetStatusTone(a.status)}>{humanize(a.status)}</Badge>
                  </Td>
                  <Td className="font-mono text-xs">{a.techniques.join(", ") || "—"}</Td>
                </tr>
              ))}
            </Table>
            <p className="mt-2 text-xs text-slate-500">{page.total} assets</p>
            <Pagination page={page.page} pages={pageCount(page.total, page.per_page)} onPage={filters.setPage} />
          </>
        )}
      </QueryState>
    </>
  );
}

function NewAssetForm({ onClose }: { onClose: () => void }) {
  const navigate = useNavigate();
  const [form, setForm] = useState({ name: "", kind: "siem_rule", platform: "", team: "", content: "", techniques: "" });
  const create = useMutation({
    mutationFn: () =>
      ok(
        api.POST("/api/v1/detection-lifecycle/assets", {
          body: {
            name: form.name,
            kind: oneOf(ASSET_KINDS, form.kind) ?? "custom",
            platform: form.platform,
            team: form.team,
            content: form.content,
            techniques: form.techniques
              .split(/[\s,]+/)
              .map((t) => t.trim().toUpperCase())
              .filter(Boolean),
          },
        }),
      ),
    onSuccess: (asset) => navigate(`/detection-assets/${asset.id}`),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const error = (name: string) => fieldError(create.error, name);
  return (
    <Card title="New detection asset" className="mb-4">
      <form onSubmit={submit} className="grid gap-3 sm:grid-cols-2">
        <TextField label="Name" value={form.name} error={error("name")} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        <SelectField label="Kind" value={form.kind} error={error("kind")} onChange={(e) => setForm({ ...form, kind: e.target.value })} options={ASSET_KINDS.map((k) => [k, humanize(k)] as const)} />
        <TextField label="Platform" hint="Which SIEM or EDR runs it" value={form.platform} error={error("platform")} onChange={(e) => setForm({ ...form, platform: e.target.value })} />
        <TextField label="Team" value={form.team} error={error("team")} onChange={(e) => setForm({ ...form, team: e.target.value })} />
        <TextField label="Techniques" hint="ATT&CK ids, separated by commas" value={form.techniques} error={error("techniques[0]")} onChange={(e) => setForm({ ...form, techniques: e.target.value })} />
        <TextArea label="Content" value={form.content} error={error("content")} onChange={(e) => setForm({ ...form, content: e.target.value })} />
        {create.error && !FIELDS.some((f) => fieldError(create.error, f)) ? <ErrorPanel error={create.error} /> : null}
        <div className="flex gap-2 sm:col-span-2">
          <Button type="submit" busy={create.isPending}>
            Create
          </Button>
          <Button tone="secondary" onClick={onClose}>
            Cancel
          </Button>
        </div>
      </form>
    </Card>
  );
}

/** On a detection rule's page: make it an asset running on a platform, keeping the link. */
export function RunRuleInProduction({ ruleId }: { ruleId: string }) {
  const { me } = useSession();
  const navigate = useNavigate();
  const [platform, setPlatform] = useState("");
  const create = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/detection-lifecycle/assets/from-rule", { body: { rule_id: ruleId, platform } })),
    onSuccess: (asset) => navigate(`/detection-assets/${asset.id}`),
  });
  if (!can(me.role, "manage_detections")) return null;
  return (
    <Card title="Run it in production">
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <TextField label="Platform" hint="Which SIEM or EDR runs it" value={platform} error={fieldError(create.error, "platform")} onChange={(e) => setPlatform(e.target.value)} />
        <Button type="submit" busy={create.isPending}>
          Make it a detection asset
        </Button>
      </form>
      {create.error && !fieldError(create.error, "platform") ? <ErrorPanel error={create.error} /> : null}
    </Card>
  );
}

export function DetectionAssetDetailPage() {
  const { id = "" } = useParams();
  const { me } = useSession();
  const client = useQueryClient();
  const detail = useQuery({
    queryKey: ["detection-assets", "detail", id],
    queryFn: () => ok(api.GET("/api/v1/detection-lifecycle/assets/{id}", { params: { path: { id } } })),
  });
  const [content, setContent] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (version: number) => ok(api.PATCH("/api/v1/detection-lifecycle/assets/{id}", { params: { path: { id } }, body: { content: content ?? "", version } })),
    onSuccess: async () => {
      setContent(null);
      await client.invalidateQueries({ queryKey: ["detection-assets"] });
    },
  });
  const retire = useMutation({
    mutationFn: () => ok(api.DELETE("/api/v1/detection-lifecycle/assets/{id}", { params: { path: { id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ["detection-assets"] }),
  });
  const manage = can(me.role, "manage_detections");
  return (
    <QueryState query={detail}>
      {({ asset, validations, history }) => (
        <>
          <PageHeader
            title={asset.name}
            subtitle={
              <span className="flex flex-wrap items-center gap-2">
                <Badge tone={assetStatusTone(asset.status)}>{humanize(asset.status)}</Badge>
                <span>
                  {humanize(asset.kind)} on {asset.platform}
                </span>
                <Link to="/detection-assets" className="text-blue-800 hover:underline">
                  · All assets
                </Link>
              </span>
            }
            actions={
              manage && asset.status !== "retired" ? (
                <Button tone="secondary" busy={retire.isPending} onClick={() => retire.mutate()}>
                  Retire
                </Button>
              ) : null
            }
          />
          {retire.error ? <ErrorPanel error={retire.error} /> : null}
          <div className="grid gap-4 lg:grid-cols-3">
            <div className="space-y-4 lg:col-span-2">
              <Card title="Validations">
                {validations.length === 0 ? (
                  <p className="text-sm text-slate-600">Unproven: no validated test has seen it fire yet.</p>
                ) : (
                  <Table caption="Validations" head={["Technique", "Proof", "How", "Validated", "State"]}>
                    {validations.map((v) => (
                      <tr key={v.id}>
                        <Td>
                          <Link to={`/techniques/${v.technique_id}`} className="font-mono text-blue-800 hover:underline">
                            {v.technique_id}
                          </Link>
                        </Td>
                        <Td>
                          {v.test_id ? (
                            <Link to={`/tests/${v.test_id}`} className="text-blue-800 hover:underline">
                              Test
                            </Link>
                          ) : (
                            (v.evidence ?? "—")
                          )}
                          {v.outcome && (
                            <span className="ml-1">
                              <Badge tone={outcomeTone(v.outcome)}>{humanize(v.outcome)}</Badge>
                            </span>
                          )}
                        </Td>
                        <Td>{humanize(v.source)}</Td>
                        <Td className="whitespace-nowrap">{formatDateTime(v.validated_at)}</Td>
                        <Td>
                          <ProofBadge proof={v} />
                        </Td>
                      </tr>
                    ))}
                  </Table>
                )}
              </Card>
              <Card title="Content">
                {manage && asset.status !== "retired" ? (
                  <div className="space-y-2">
                    <TextArea label="Rule content" rows={10} value={content ?? asset.content} error={fieldError(save.error, "content")} onChange={(e) => setContent(e.target.value)} />
                    <p className="text-xs text-slate-600">Saving a changed content ends every proof of this asset and plans a retest.</p>
                    <Button disabled={content === null || content === asset.content} busy={save.isPending} onClick={() => save.mutate(asset.version)}>
                      Save content
                    </Button>
                    {save.error && !fieldError(save.error, "content") ? <ErrorPanel error={save.error} /> : null}
                  </div>
                ) : (
                  <pre className="max-h-96 overflow-auto whitespace-pre-wrap rounded bg-slate-50 p-3 text-xs">{asset.content || "—"}</pre>
                )}
              </Card>
            </div>
            <div className="space-y-4">
              <Card title="About">
                <Facts
                  items={[
                    ["Team", asset.team],
                    ["Techniques", <span className="font-mono text-xs">{asset.techniques.join(", ")}</span>],
                    ["SHA-256", <span className="break-all font-mono text-xs">{asset.content_sha256}</span>],
                    [
                      "From rule",
                      asset.rule ? (
                        <Link to={`/detection-rules/${asset.rule.rule_id}`} className="text-blue-800 hover:underline">
                          {asset.rule.title}
                        </Link>
                      ) : null,
                    ],
                    ["Version", asset.version],
                  ]}
                />
              </Card>
              <Card title="History">
                <ol className="space-y-1 text-sm">
                  {history.map((h) => (
                    <li key={`${h.version}-${h.change}`}>
                      <span className="font-medium">{humanize(h.change)}</span> · v{h.version} · {formatDateTime(h.changed_at)}
                      <span className="block break-all font-mono text-xs text-slate-500">{h.content_sha256.slice(0, 16)}…</span>
                    </li>
                  ))}
                </ol>
              </Card>
            </div>
          </div>
        </>
      )}
    </QueryState>
  );
}

export function LifecycleDashboardPage() {
  const dashboard = useQuery({
    queryKey: ["detection-lifecycle", "dashboard"],
    queryFn: () => ok(api.GET("/api/v1/detection-lifecycle/dashboard")),
  });
  return (
    <>
      <PageHeader
        title="Detection lifecycle"
        subtitle="Which detections are proven, which proofs lapse soon, and what ended them."
        actions={
          <span className="flex gap-2">
            <Link to="/detection-assets" className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100">
              Assets
            </Link>
            <Link to="/infrastructure-changes" className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100">
              Infrastructure changes
            </Link>
          </span>
        }
      />
      <QueryState query={dashboard}>
        {(d) => (
          <>
            <div className="mb-4 grid gap-3 sm:grid-cols-3 lg:grid-cols-6">
              <Stat label="Assets" value={d.assets} hint={`${d.unproven_assets} unproven`} />
              <Stat label="Current proofs" value={d.current} />
              <Stat label="Expiring in 7 days" value={d.expiring_7_days} />
              <Stat label="Expiring in 30 days" value={d.expiring_30_days} />
              <Stat label="Expired" value={d.expired} />
              <Stat label="Invalidated" value={d.invalidated} />
            </div>
            <Card title="Techniques whose last proof lapses next">
              {d.next_lapses.length === 0 ? (
                <p className="text-sm text-slate-600">No technique is proven by a detection asset now.</p>
              ) : (
                <Table caption="Next lapses" head={["Technique", "Lapses", "Assets"]}>
                  {d.next_lapses.map((n) => (
                    <tr key={n.technique_id}>
                      <Td>
                        <Link to={`/techniques/${n.technique_id}`} className="font-mono text-blue-800 hover:underline">
                          {n.technique_id}
                        </Link>
                      </Td>
                      <Td>{formatDate(n.lapses_at)}</Td>
                      <Td>{n.asset_ids.length}</Td>
                    </tr>
                  ))}
                </Table>
              )}
            </Card>
          </>
        )}
      </QueryState>
    </>
  );
}

export function InfrastructureChangesPage() {
  const { me } = useSession();
  const client = useQueryClient();
  const changes = useQuery({
    queryKey: ["detection-lifecycle", "infrastructure-changes"],
    queryFn: () => ok(api.GET("/api/v1/detection-lifecycle/infrastructure-changes")),
  });
  const [form, setForm] = useState({ title: "", description: "", platforms: "" });
  const [ended, setEnded] = useState<Schemas["EndedView"] | null>(null);
  const record = useMutation({
    mutationFn: () =>
      ok(
        api.POST("/api/v1/detection-lifecycle/infrastructure-changes", {
          body: {
            title: form.title,
            description: form.description,
            platforms: form.platforms
              .split(",")
              .map((p) => p.trim())
              .filter(Boolean),
          },
        }),
      ),
    onSuccess: async (outcome) => {
      setEnded(outcome.ended);
      setForm({ title: "", description: "", platforms: "" });
      await client.invalidateQueries({ queryKey: ["detection-lifecycle"] });
    },
  });
  return (
    <>
      <PageHeader title="Infrastructure changes" subtitle="A SIEM migration, an EDR upgrade, a removed log source: the proofs of what it touches end." />
      {can(me.role, "manage_detections") && (
        <Card title="Log a change" className="mb-4">
          <form
            className="grid gap-3 sm:grid-cols-3"
            onSubmit={(e) => {
              e.preventDefault();
              record.mutate();
            }}
          >
            <TextField label="What changed" value={form.title} error={fieldError(record.error, "title")} onChange={(e) => setForm({ ...form, title: e.target.value })} />
            <TextField label="Platforms" hint="Separated by commas" value={form.platforms} error={fieldError(record.error, "platforms")} onChange={(e) => setForm({ ...form, platforms: e.target.value })} />
            <TextField label="Details" value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} />
            <div className="sm:col-span-3">
              <Button type="submit" busy={record.isPending}>
                Log the change
              </Button>
            </div>
          </form>
          {ended && (
            <p role="status" className="mt-2 text-sm text-slate-700">
              {ended.validations} proofs ended; {ended.retests.length} retests planned.
            </p>
          )}
        </Card>
      )}
      <QueryState query={changes} empty={(list) => (list.length === 0 ? <EmptyState title="No infrastructure change logged" /> : null)}>
        {(list) => (
          <Table caption="Infrastructure changes" head={["Change", "When", "Platforms", "Proofs ended"]}>
            {list.map((c) => (
              <tr key={c.id}>
                <Td>
                  <span className="font-medium">{c.title}</span>
                  {c.description && <p className="text-xs text-slate-500">{c.description}</p>}
                </Td>
                <Td className="whitespace-nowrap">{formatDateTime(c.occurred_at)}</Td>
                <Td>{c.platforms.join(", ") || "—"}</Td>
                <Td>{c.ended_validations}</Td>
              </tr>
            ))}
          </Table>
        )}
      </QueryState>
    </>
  );
}

/** On a technique's page: each asset covering it, with its proof or "unproven". */
export function TechniqueProofs({ techniqueId }: { techniqueId: string }) {
  const confidence = useQuery({
    queryKey: ["detection-lifecycle", "confidence", techniqueId],
    queryFn: () => ok(api.GET("/api/v1/detection-lifecycle/confidence/{technique_id}", { params: { path: { technique_id: techniqueId } } })),
  });
  return (
    <Card title="Detection assets">
      <QueryState query={confidence}>
        {(c) =>
          c.assets.length === 0 ? (
            <p className="text-sm text-slate-600">No detection asset covers it.</p>
          ) : (
            <>
              <p className="mb-2 text-sm text-slate-700">
                {c.proven} of {c.covering} proven{c.proven_until ? `, until ${formatDate(c.proven_until)}` : ""}.
              </p>
              <ul className="space-y-2 text-sm">
                {c.assets.map((a) => (
                  <li key={a.asset.id} data-testid="asset-proof">
                    <Link to={`/detection-assets/${a.asset.id}`} className="font-medium text-blue-800 hover:underline">
                      {a.asset.name}
                    </Link>{" "}
                    <span className="text-slate-500">({a.asset.platform})</span>{" "}
                    <ProofBadge proof={a.proof ?? a.last} />
                    {a.proof?.test_id && (
                      <>
                        {" "}
                        <Link to={`/tests/${a.proof.test_id}`} className="text-xs text-blue-800 hover:underline">
                          proving test
                        </Link>
                      </>
                    )}
                  </li>
                ))}
              </ul>
            </>
          )
        }
      </QueryState>
    </Card>
  );
}
