import { useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, fieldError } from "../api/client";
import { useSession } from "../auth/session";
import { Badge, Button, Card, Dialog, EmptyState, ErrorPanel, PageHeader, Pagination, QueryState, SelectField, Table, Td, TextArea, TextField } from "../components/ui";
import { COVERAGE_COLORS, humanize } from "../lib/format";

import { COVERAGE_STATUSES } from "./pageKit";
import { can } from "../lib/permissions";
import { oneOf } from "../api/enums";

const PER_PAGE = 50;

export function CoverageBadge({ status, score }: { status: string | null | undefined; score?: number | null | undefined }) {
  if (!status) return <span className="text-slate-500">—</span>;
  return (
    <span className="inline-flex items-center gap-1.5 text-xs">
      <span className="inline-block h-3 w-3 rounded-sm border border-slate-300" style={{ background: COVERAGE_COLORS[oneOf(COVERAGE_STATUSES, status) ?? "not_covered"] }} aria-hidden />
      {humanize(status)}
      {score !== null && score !== undefined && <span className="text-slate-600">· {score.toFixed(0)}</span>}
    </span>
  );
}

export function TechniquesPage() {
  const [params, setParams] = useSearchParams();
  const { me } = useSession();
  const page = Number(params.get("page") ?? "1") || 1;
  const filters = {
    q: params.get("q") ?? "",
    tactic: params.get("tactic") ?? "",
    platform: params.get("platform") ?? "",
    coverage_status: params.get("coverage_status") ?? "",
    include_subtechniques: params.get("include_subtechniques") === "true",
    review_required: params.get("review_required") === "true",
  };
  const [search, setSearch] = useState(filters.q);
  const query = {
    ...(filters.q && { q: filters.q }),
    ...(filters.tactic && { tactic: filters.tactic }),
    ...(filters.platform && { platform: filters.platform }),
    coverage_status: oneOf(COVERAGE_STATUSES, filters.coverage_status),
    ...(filters.include_subtechniques && { include_subtechniques: true }),
    ...(filters.review_required && { review_required: true }),
    page,
    per_page: PER_PAGE,
  };
  const techniques = useQuery({
    queryKey: ["techniques", query],
    queryFn: () => ok(api.GET("/api/v1/techniques", { params: { query } })),
    placeholderData: (previous) => previous,
  });
  const tactics = useQuery({ queryKey: ["tactics"], queryFn: () => ok(api.GET("/api/v1/tactics")), staleTime: 300_000 });
  const set = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    next.delete("page");
    setParams(next, { replace: true });
  };
  const submitSearch = (event: FormEvent) => {
    event.preventDefault();
    set("q", search.trim());
  };
  return (
    <>
      <PageHeader
        title="Techniques"
        subtitle="The ATT&CK catalog with this organization's coverage of each technique."
        actions={
          <>
            <a href="/api/v1/exports/techniques?format=csv" className="inline-flex items-center rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-100">
              Export CSV
            </a>
            {can(me.role, "manage_catalog") && <CustomTechnique tactics={(tactics.data ?? []).map((t) => t.shortname)} />}
          </>
        }
      />
      <Card className="mb-4">
        <form onSubmit={submitSearch} className="grid grid-cols-2 items-end gap-3 lg:grid-cols-6">
          <div className="col-span-2">
            <TextField label="Search" type="search" placeholder="T1059, PowerShell…" value={search} onChange={(e) => setSearch(e.target.value)} />
          </div>
          <SelectField label="Tactic" value={filters.tactic} onChange={(e) => set("tactic", e.target.value)} options={[["", "All tactics"], ...(tactics.data ?? []).map((t) => [t.shortname, t.name] as const)]} />
          <SelectField
            label="Platform"
            value={filters.platform}
            onChange={(e) => set("platform", e.target.value)}
            options={[["", "All platforms"], ...["Windows", "Linux", "macOS", "Containers", "IaaS", "SaaS", "Office Suite", "Identity Provider", "Network Devices", "ESXi", "PRE"].map((p) => [p, p] as const)]}
          />
          <SelectField label="Coverage" value={filters.coverage_status} onChange={(e) => set("coverage_status", e.target.value)} options={[["", "Any"], ...COVERAGE_STATUSES.map((s) => [s, humanize(s)] as const)]} />
          <div className="space-y-1 text-sm">
            <label className="flex items-center gap-2">
              <input type="checkbox" checked={filters.include_subtechniques} onChange={(e) => set("include_subtechniques", e.target.checked ? "true" : "")} /> Sub-techniques
            </label>
            <label className="flex items-center gap-2">
              <input type="checkbox" checked={filters.review_required} onChange={(e) => set("review_required", e.target.checked ? "true" : "")} /> Needs review
            </label>
          </div>
        </form>
      </Card>
      <QueryState
        query={techniques}
        empty={(data) => (data.items.length === 0 ? <EmptyState title="No technique matches">Change the filters, or import ATT&CK (Data sources).</EmptyState> : null)}
      >
        {(data) => (
          <>
            <p className="mb-2 text-sm text-slate-600">{data.total} techniques</p>
            <Table head={["ID", "Name", "Tactics", "Platforms", "Coverage", ""]} caption="Techniques">
              {data.items.map((t) => (
                <tr key={t.mitre_id} className="hover:bg-slate-50">
                  <Td className="font-mono">
                    <Link to={`/techniques/${t.mitre_id}`} className="text-blue-800 hover:underline">
                      {t.mitre_id}
                    </Link>
                  </Td>
                  <Td>
                    <Link to={`/techniques/${t.mitre_id}`} className="hover:underline">
                      {t.name}
                    </Link>
                  </Td>
                  <Td className="text-slate-700">{t.tactics.map(humanize).join(", ")}</Td>
                  <Td className="max-w-64 text-slate-700">{t.platforms.join(", ")}</Td>
                  <Td>
                    <CoverageBadge status={t.coverage_status} score={t.score} />
                  </Td>
                  <Td>
                    {t.review_required && <Badge tone="amber">Review</Badge>} {t.revoked && <Badge tone="red">Revoked</Badge>} {t.deprecated && <Badge>Deprecated</Badge>}
                  </Td>
                </tr>
              ))}
            </Table>
            <Pagination page={data.page} pages={Math.ceil(data.total / data.per_page)} onPage={(p) => set("page", String(p))} />
          </>
        )}
      </QueryState>
    </>
  );
}

function CustomTechnique({ tactics }: { tactics: string[] }) {
  const [open, setOpen] = useState(false);
  const [form, setForm] = useState({ name: "", mitre_id: "", description: "", tactic: "", platforms: "" });
  const client = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: () =>
      ok(
        api.POST("/api/v1/techniques", {
          body: {
            name: form.name,
            description: form.description,
            tactics: form.tactic ? [form.tactic] : [],
            platforms: form.platforms
              .split(",")
              .map((p) => p.trim())
              .filter(Boolean),
            ...(form.mitre_id && { mitre_id: form.mitre_id }),
          },
        }),
      ),
    onSuccess: async (technique) => {
      await client.invalidateQueries({ queryKey: ["techniques"] });
      navigate(`/techniques/${technique.mitre_id}`);
    },
  });
  const field = (name: string) => fieldError(create.error, name);
  return (
    <>
      <Button onClick={() => setOpen(true)}>New custom technique</Button>
      <Dialog open={open} title="New custom technique" onClose={() => setOpen(false)}>
        <form
          className="space-y-3"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <TextField label="Name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} error={field("name")} required />
          <TextField label="Identifier" hint="Leave empty for a generated one" value={form.mitre_id} onChange={(e) => setForm({ ...form, mitre_id: e.target.value })} error={field("mitre_id")} />
          <SelectField label="Tactic" value={form.tactic} onChange={(e) => setForm({ ...form, tactic: e.target.value })} error={field("tactics")} options={[["", "Choose…"], ...tactics.map((t) => [t, humanize(t)] as const)]} />
          <TextField label="Platforms" hint="Comma-separated" value={form.platforms} onChange={(e) => setForm({ ...form, platforms: e.target.value })} error={field("platforms")} />
          <TextArea label="Description" value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} error={field("description")} />
          {create.error && <ErrorPanel error={create.error} />}
          <Button type="submit" busy={create.isPending}>
            Create
          </Button>
        </form>
      </Dialog>
    </>
  );
}
