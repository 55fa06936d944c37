import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Bar, BarChart, CartesianGrid, Cell, Tooltip, XAxis, YAxis } from "recharts";
import { api, ApiProblem, ok, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { Badge, Button, Card, Dialog, EmptyState, ErrorPanel, PageHeader, Pagination, QueryState, SelectField, Stat, Table, Td, TextField } from "../components/ui";
import { COVERAGE_COLORS, formatDateTime, formatPercent, formatScore, humanize } from "../lib/format";
import { CAMPAIGN_TYPES, campaignTypeOf, COVERAGE_STATUSES, coverageTone } from "./pageKit";
import { pageCount, useListParams } from "../lib/listParams";
import { SearchField } from "./listing";
import { can } from "../lib/permissions";
import type { CampaignType } from "../api/enums";

const PER_PAGE = 25;

export function actorLink(stixId: string): string {
  return `/threat-actors/${encodeURIComponent(stixId)}`;
}

/** ATT&CK descriptions carry markdown links and citation markers; the text reads better without them. */
export function plainDescription(text: string): string {
  return text
    .replace(/\(Citation:[^)]*\)/g, "")
    .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1")
    .replace(/[ \t]+\n/g, "\n")
    .trim();
}

function useTracked() {
  return useQuery({ queryKey: ["tracked-actors"], queryFn: () => ok(api.GET("/api/v1/tracked-actors")) });
}

function TrackToggle({ stixId, name, tracked }: { stixId: string; name: string; tracked: boolean }) {
  const client = useQueryClient();
  const toggle = useMutation({
    mutationFn: async () => {
      const params = { params: { path: { id: stixId } } };
      if (tracked) await ok(api.DELETE("/api/v1/tracked-actors/{id}", params));
      else await ok(api.PUT("/api/v1/tracked-actors/{id}", params));
    },
    onSuccess: () => client.invalidateQueries({ queryKey: ["tracked-actors"] }),
  });
  return (
    <span className="inline-flex flex-col items-start gap-1">
      <Button tone={tracked ? "primary" : "secondary"} aria-pressed={tracked} aria-label={`${tracked ? "Stop tracking" : "Track"} ${name}`} busy={toggle.isPending} onClick={() => toggle.mutate()}>
        {tracked ? "Tracked" : "Track"}
      </Button>
      {toggle.error && <ErrorPanel error={toggle.error} />}
    </span>
  );
}

export function ThreatActorsPage() {
  const { me } = useSession();
  const canTrack = can(me.role, "plan_tests");
  const filters = useListParams();
  const q = filters.get("q");
  const includeRevoked = filters.get("include_revoked") === "true";
  const actors = useQuery({
    queryKey: ["threat-actors", { q, includeRevoked, page: filters.page }],
    queryFn: () =>
      ok(api.GET("/api/v1/threat-actors", { params: { query: { q: q || undefined, include_revoked: includeRevoked || undefined, page: filters.page, per_page: PER_PAGE } } })),
  });
  const tracked = useTracked();
  const trackedIds = new Set((tracked.data ?? []).map((t) => t.stix_id));
  return (
    <>
      <PageHeader
        title="Threat actors"
        subtitle={`ATT&CK groups and the techniques they use.${tracked.data ? ` This organization tracks ${tracked.data.length}.` : ""}`}
      />
      <div className="mb-4 grid items-end gap-3 sm:grid-cols-3">
        <SearchField label="Search" value={q} onCommit={(value) => filters.set({ q: value })} hint="Name, alias or description" />
        <label className="flex items-center gap-2 pb-2 text-sm font-medium text-slate-700">
          <input type="checkbox" checked={includeRevoked} onChange={(e) => filters.set({ include_revoked: e.target.checked ? "true" : null })} />
          Include revoked and deprecated
        </label>
      </div>
      {tracked.error && (
        <div className="mb-3">
          <ErrorPanel error={tracked.error} onRetry={() => tracked.refetch()} />
        </div>
      )}
      <QueryState query={actors} empty={(page) => (page.items.length === 0 ? <EmptyState title={q ? "No actor matches this search" : "No threat actors imported"} /> : null)}>
        {(page) => (
          <>
            <Table caption="Threat actors" head={["Actor", "ATT&CK id", "Aliases", "Tracked"]}>
              {page.items.map((actor) => (
                <tr key={actor.stix_id}>
                  <Td>
                    <Link to={actorLink(actor.stix_id)} className="font-medium text-blue-800 hover:underline">
                      {actor.name}
                    </Link>
                    {(actor.revoked || actor.deprecated) && (
                      <span className="ml-2">
                        <Badge tone="amber">{actor.revoked ? "Revoked" : "Deprecated"}</Badge>
                      </span>
                    )}
                  </Td>
                  <Td className="font-mono">{actor.mitre_id ?? "—"}</Td>
                  <Td className="max-w-md text-slate-700">
                    {actor.aliases.filter((a) => a !== actor.name).slice(0, 6).join(", ") || "—"}
                    {actor.aliases.length > 7 && <span className="text-slate-500"> and {actor.aliases.length - 7} more</span>}
                  </Td>
                  <Td>
                    {canTrack ? (
                      <TrackToggle stixId={actor.stix_id} name={actor.name} tracked={trackedIds.has(actor.stix_id)} />
                    ) : trackedIds.has(actor.stix_id) ? (
                      <Badge tone="blue">Tracked</Badge>
                    ) : (
                      <span className="text-slate-500">—</span>
                    )}
                  </Td>
                </tr>
              ))}
            </Table>
            <p className="mt-2 text-xs text-slate-500">{page.total} actors</p>
            <Pagination page={page.page} pages={pageCount(page.total, page.per_page)} onPage={filters.setPage} />
          </>
        )}
      </QueryState>
    </>
  );
}

type HeatCell = { status: string; score: number };

/** Every technique on the actor's heatmap, sub-techniques included, by ATT&CK id. */
function heatmapCells(heatmap: Schemas["HeatmapView"]): Map<string, HeatCell> {
  const cells = new Map<string, HeatCell>();
  const walk = (cell: Schemas["HeatmapCellView"]) => {
    cells.set(cell.mitre_id, { status: cell.status, score: cell.score });
    cell.subtechniques.forEach(walk);
  };
  heatmap.tactics.forEach((tactic) => tactic.techniques.forEach(walk));
  return cells;
}

export function ThreatActorDetailPage() {
  const { id = "" } = useParams();
  const { me } = useSession();
  const canManage = can(me.role, "manage_campaigns");
  const [planning, setPlanning] = useState(false);
  const actor = useQuery({
    queryKey: ["threat-actor", id],
    queryFn: () => ok(api.GET("/api/v1/threat-actors/{id}", { params: { path: { id } } })),
  });
  const tracked = useTracked();
  if (!actor.data) {
    return (
      <>
        <PageHeader title="Threat actor" />
        <QueryState query={actor}>{() => null}</QueryState>
      </>
    );
  }
  const data = actor.data;
  const trackedEntry = tracked.data?.find((t) => t.stix_id === data.stix_id);
  return (
    <>
      <PageHeader
        title={data.name}
        subtitle={
          <span className="flex flex-wrap items-center gap-2">
            {data.mitre_id && <span className="font-mono">{data.mitre_id}</span>}
            {data.revoked && <Badge tone="amber">Revoked</Badge>}
            {data.deprecated && <Badge tone="amber">Deprecated</Badge>}
            {trackedEntry && <Badge tone="blue">Tracked since {formatDateTime(trackedEntry.tracked_at)}</Badge>}
            <Link to="/threat-actors" className="text-blue-800 hover:underline">
              All actors
            </Link>
          </span>
        }
        actions={
          canManage && (
            <>
              {tracked.data && <TrackToggle stixId={data.stix_id} name={data.name} tracked={Boolean(trackedEntry)} />}
              <Button onClick={() => setPlanning(true)}>Plan a campaign</Button>
            </>
          )
        }
      />
      <div className="space-y-5">
        <div className="grid gap-5 xl:grid-cols-3">
          <div className="xl:col-span-2">
            <Card title="Profile">
              {data.aliases.length > 0 && (
                <div className="mb-3 flex flex-wrap gap-1">
                  <span className="sr-only">Aliases:</span>
                  {data.aliases.map((alias) => (
                    <Badge key={alias}>{alias}</Badge>
                  ))}
                </div>
              )}
              <p className="whitespace-pre-line text-sm leading-relaxed text-slate-800">{plainDescription(data.description) || "No description."}</p>
              <dl className="mt-3 grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
                <dt className="text-slate-500">Targeted sectors</dt>
                <dd>{data.target_sectors.length ? data.target_sectors.map(humanize).join(", ") : "Not reported"}</dd>
                <dt className="text-slate-500">Targeted regions</dt>
                <dd>{data.target_regions.length ? data.target_regions.join(", ") : "Not reported"}</dd>
                <dt className="text-slate-500">Intelligence sources</dt>
                <dd>{data.intel.length ? data.intel.map((i) => `${i.name} (${i.kind})`).join(", ") : "—"}</dd>
              </dl>
            </Card>
          </div>
          <CoverageAgainstActor actorId={data.stix_id} />
        </div>
        <TechniquesUsed actor={data} />
        <References references={data.references} />
      </div>
      {planning && <PlanCampaignDialog actor={data} onClose={() => setPlanning(false)} />}
    </>
  );
}

function TechniquesUsed({ actor }: { actor: Schemas["ThreatActorDetailView"] }) {
  const heatmap = useQuery({
    queryKey: ["heatmap", { threat_actor: actor.stix_id }],
    queryFn: () => ok(api.GET("/api/v1/heatmap", { params: { query: { threat_actor: actor.stix_id } } })),
  });
  const [status, setStatus] = useState("");
  const cells = heatmap.data ? heatmapCells(heatmap.data) : null;
  // The weakest first: what to test next against this actor.
  const techniques = actor.techniques.filter((t) => !status || cells?.get(t.mitre_id)?.status === status).sort((a, b) => (cells?.get(a.mitre_id)?.score ?? 0) - (cells?.get(b.mitre_id)?.score ?? 0) || a.mitre_id.localeCompare(b.mitre_id));
  return (
    <Card
      title={`Techniques used (${actor.techniques.length})`}
      actions={
        <SelectField
          label="Coverage"
          value={status}
          onChange={(e) => setStatus(e.target.value)}
          options={[["", "Any coverage"], ...COVERAGE_STATUSES.map((s) => [s, humanize(s)] as const)]}
        />
      }
    >
      {heatmap.error && (
        <div className="mb-3">
          <ErrorPanel error={heatmap.error} onRetry={() => heatmap.refetch()} />
        </div>
      )}
      {techniques.length === 0 ? (
        <EmptyState title={status ? "No technique with this coverage" : "No technique recorded for this actor"} />
      ) : (
        <Table caption="Techniques the actor uses, with this organization's coverage" head={["Technique", "Tactics", "Platforms", "Coverage", "Score"]}>
          {techniques.map((t) => {
            const cell = cells?.get(t.mitre_id);
            return (
              <tr key={t.mitre_id}>
                <Td>
                  <Link to={`/techniques/${t.mitre_id}`} className="text-blue-800 hover:underline">
                    <span className="font-mono">{t.mitre_id}</span> {t.name}
                  </Link>
                </Td>
                <Td className="text-xs text-slate-600">{t.tactics.map(humanize).join(", ")}</Td>
                <Td className="text-xs text-slate-600">{t.platforms.join(", ")}</Td>
                <Td className="whitespace-nowrap">{cell ? <Badge tone={coverageTone(cell.status)}>{humanize(cell.status)}</Badge> : heatmap.isPending ? "…" : "—"}</Td>
                <Td>{cell ? formatScore(cell.score) : "—"}</Td>
              </tr>
            );
          })}
        </Table>
      )}
    </Card>
  );
}

function References({ references }: { references: Schemas["ReferenceView"][] }) {
  const [all, setAll] = useState(false);
  if (references.length === 0) return null;
  // Alias-only references (no link) are the least useful; the linked reports come first.
  const ordered = [...references.filter((r) => r.url), ...references.filter((r) => !r.url)];
  const shown = all ? ordered : ordered.slice(0, 10);
  return (
    <Card title={`References (${references.length})`}>
      <ul className="space-y-1 text-sm">
        {shown.map((ref, i) => (
          <li key={`${ref.source}-${i}`}>
            {ref.url ? (
              <a href={ref.url} target="_blank" rel="noreferrer noopener" className="text-blue-800 hover:underline">
                {ref.source}
              </a>
            ) : (
              <span className="font-medium">{ref.source}</span>
            )}
            {ref.description && !ref.description.startsWith("(Citation") && <span className="text-slate-600"> — {ref.description}</span>}
          </li>
        ))}
      </ul>
      {references.length > 10 && (
        <Button tone="ghost" className="mt-2" onClick={() => setAll((v) => !v)}>
          {all ? "Show fewer" : `Show all ${references.length}`}
        </Button>
      )}
    </Card>
  );
}

function CoverageAgainstActor({ actorId }: { actorId: string }) {
  const coverage = useQuery({
    queryKey: ["coverage", { threat_actor: actorId }],
    queryFn: () => ok(api.GET("/api/v1/coverage", { params: { query: { threat_actor: actorId } } })),
  });
  return (
    <Card title="Coverage against this actor">
      <QueryState query={coverage}>
        {(data) => {
          const counts = COVERAGE_STATUSES.map((status) => ({
            status,
            label: humanize(status),
            techniques: data.status_counts.find((c) => c.status === status)?.techniques ?? 0,
          }));
          return (
            <>
              <div className="grid grid-cols-2 gap-2">
                <Stat label="Validated" value={formatPercent(data.validated_percent)} hint={`of ${data.techniques} techniques`} />
                <Stat label="Score" value={formatScore(data.organization_score)} hint="mean over its techniques" />
              </div>
              <BarChart width={300} height={200} data={counts} layout="vertical" margin={{ left: 10, right: 10, top: 10 }} className="mt-3">
                <CartesianGrid strokeDasharray="3 3" horizontal={false} />
                <XAxis type="number" allowDecimals={false} />
                <YAxis type="category" dataKey="label" width={100} interval={0} />
                <Tooltip />
                <Bar dataKey="techniques" name="Techniques" isAnimationActive={false}>
                  {counts.map((c) => (
                    <Cell key={c.status} fill={COVERAGE_COLORS[c.status] ?? "#94a3b8"} />
                  ))}
                </Bar>
              </BarChart>
              <ul className="mt-2 space-y-1 text-sm" aria-label="Techniques by coverage status">
                {counts.map((c) => (
                  <li key={c.status} className="flex items-center justify-between">
                    <Badge tone={coverageTone(c.status)}>{c.label}</Badge>
                    <span className="font-medium">{c.techniques}</span>
                  </li>
                ))}
              </ul>
              <p className="mt-2 text-xs text-slate-500">Sub-techniques are rolled into their technique.</p>
            </>
          );
        }}
      </QueryState>
    </Card>
  );
}

function PlanCampaignDialog({ actor, onClose }: { actor: Schemas["ThreatActorDetailView"]; onClose: () => void }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const platforms = [...new Set(actor.techniques.flatMap((t) => t.platforms))].sort();
  const [name, setName] = useState(`${actor.name} emulation`);
  const [platform, setPlatform] = useState("");
  const [campaignType, setCampaignType] = useState<CampaignType>("purple_team");
  const [skipDays, setSkipDays] = useState("");
  const plan = useMutation({
    mutationFn: () =>
      ok(
        api.POST("/api/v1/campaigns/from-threat-actor", {
          body: {
            threat_actor_id: actor.stix_id,
            name: name.trim() || null,
            platform: platform || null,
            campaign_type: campaignType,
            skip_validated_within_days: skipDays ? Number(skipDays) : null,
          },
        }),
      ),
    onSuccess: async (planned) => {
      await client.invalidateQueries({ queryKey: ["campaigns"] });
      navigate(`/campaigns/${planned.campaign.id}`, {
        state: { planned: { skipped: planned.skipped, from_templates: planned.from_templates, tests: planned.tests.length + planned.hidden_tests } },
      });
    },
  });
  const problem = plan.error instanceof ApiProblem ? plan.error : null;
  return (
    <Dialog open title={`Plan a campaign against ${actor.name}`} onClose={onClose}>
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          plan.mutate();
        }}
      >
        <p className="text-sm text-slate-600">A draft campaign with one draft test per technique the actor uses, from the best matching test template when there is one.</p>
        <TextField label="Campaign name" value={name} onChange={(e) => setName(e.target.value)} error={problem?.field("name")} />
        <SelectField label="Type" value={campaignType} onChange={(e) => setCampaignType(campaignTypeOf(e.target.value) ?? campaignType)} options={CAMPAIGN_TYPES} error={problem?.field("campaign_type")} />
        <SelectField
          label="Platform"
          value={platform}
          onChange={(e) => setPlatform(e.target.value)}
          options={[["", "Every platform"], ...platforms.map((p) => [p, p] as const)]}
          error={problem?.field("platform")}
          hint="Only techniques that run on it."
        />
        <TextField
          label="Skip techniques validated within (days)"
          type="number"
          min={0}
          value={skipDays}
          onChange={(e) => setSkipDays(e.target.value)}
          error={problem?.field("skip_validated_within_days")}
          hint="Leave empty to plan every technique."
        />
        {plan.error && <ErrorPanel error={plan.error} />}
        <div className="flex justify-end gap-2">
          <Button tone="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" busy={plan.isPending}>
            Plan the campaign
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
