import { useState, type ReactNode } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { Badge, Button, Card, ErrorPanel, PageHeader, QueryState, TextField } from "../components/ui";
import { formatDateTime, humanize, outcomeTone, stateTone } from "../lib/format";
import { can } from "../lib/permissions";
import { CoverageBadge } from "./Techniques";
import { TechniqueProofs } from "./DetectionLifecycle";

type Detail = Schemas["TechniqueDetailView"];

export function TechniqueDetailPage() {
  const { mitreId = "" } = useParams();
  const technique = useQuery({
    queryKey: ["technique", mitreId],
    queryFn: () => ok(api.GET("/api/v1/techniques/{mitre_id}", { params: { path: { mitre_id: mitreId } } })),
  });
  return <QueryState query={technique}>{(t) => <TechniqueView technique={t} />}</QueryState>;
}

function Section({ title, count, children }: { title: string; count: number; children: ReactNode }) {
  return (
    <Card title={`${title} (${count})`}>
      {count === 0 ? <p className="text-sm text-slate-600">None.</p> : children}
    </Card>
  );
}

function TechniqueView({ technique: t }: { technique: Detail }) {
  const { me } = useSession();
  return (
    <>
      <PageHeader
        title={
          <>
            <span className="font-mono text-slate-500">{t.mitre_id}</span> {t.name}
          </>
        }
        subtitle={
          <>
            {t.tactics.map(humanize).join(", ")} · {t.platforms.join(", ") || "no platform"}
            {t.parent && (
              <>
                {" · sub-technique of "}
                <Link className="text-blue-800 underline" to={`/techniques/${t.parent}`}>
                  {t.parent}
                </Link>
              </>
            )}
          </>
        }
        actions={
          <>
            {t.url && (
              <a href={t.url} target="_blank" rel="noreferrer" className="inline-flex items-center rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm hover:bg-slate-100">
                On attack.mitre.org
              </a>
            )}
            <Link to={`/tests?technique_id=${t.mitre_id}`} className="inline-flex items-center rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm hover:bg-slate-100">
              All its tests
            </Link>
          </>
        }
      />
      <div className="mb-4 flex flex-wrap gap-2">
        {t.custom && <Badge tone="purple">Custom</Badge>}
        {t.revoked && <Badge tone="red">Revoked{t.revoked_by ? ` by ${t.revoked_by}` : ""}</Badge>}
        {t.deprecated && <Badge>Deprecated</Badge>}
        {t.review_required && <Badge tone="amber">Needs review</Badge>}
        {t.version && <Badge>ATT&CK version {t.version}</Badge>}
      </div>
      <div className="grid gap-5 xl:grid-cols-3">
        <div className="space-y-5 xl:col-span-2">
          <ScoreBreakdown coverage={t.coverage} />
          <Section title="Tests" count={t.tests.length}>
            <ul className="divide-y divide-slate-100 text-sm">
              {t.tests.map((test) => (
                <li key={test.id} className="flex items-center justify-between gap-2 py-2">
                  <Link className="text-blue-800 hover:underline" to={`/tests/${test.id}`}>
                    {test.title}
                  </Link>
                  <span className="flex gap-2">
                    {test.blue.outcome && <Badge tone={outcomeTone(test.blue.outcome)}>{humanize(test.blue.outcome)}</Badge>}
                    <Badge tone={stateTone(test.state)}>{humanize(test.state)}</Badge>
                  </span>
                </li>
              ))}
            </ul>
          </Section>
          <Section title="Test templates" count={t.templates.length}>
            <TemplateList templates={t.templates} canPlan={can(me.role, "plan_tests")} />
          </Section>
          <Section title="Detection rules" count={t.detection_rules.length}>
            <ul className="divide-y divide-slate-100 text-sm">
              {t.detection_rules.map((rule) => (
                <li key={rule.id} className="flex items-center justify-between gap-2 py-2">
                  <Link className="text-blue-800 hover:underline" to={`/detection-rules/${rule.id}`}>
                    {rule.title}
                  </Link>
                  <span className="flex shrink-0 gap-2">
                    <Badge tone="blue">{humanize(rule.source)}</Badge>
                    <Badge>{rule.severity}</Badge>
                  </span>
                </li>
              ))}
            </ul>
          </Section>
          <TechniqueProofs techniqueId={t.mitre_id} />
          <Card title="Description">
            <p className="whitespace-pre-line text-sm leading-relaxed text-slate-800">{t.description || "No description."}</p>
            {t.detection && (
              <>
                <h3 className="mt-3 text-sm font-semibold">Detection</h3>
                <p className="whitespace-pre-line text-sm text-slate-800">{t.detection}</p>
              </>
            )}
          </Card>
        </div>
        <div className="space-y-5">
          <Section title="D3FEND countermeasures" count={t.countermeasures.length}>
            <ul className="space-y-1 text-sm">
              {t.countermeasures.map((c) => (
                <li key={c.d3fend_id}>
                  <a className="text-blue-800 hover:underline" href={c.url} target="_blank" rel="noreferrer">
                    {c.name}
                  </a>{" "}
                  <span className="text-slate-500">· {humanize(c.tactic)}</span>
                </li>
              ))}
            </ul>
          </Section>
          <Section title="Living-off-the-land binaries" count={t.lol_binaries.length}>
            <ul className="space-y-2 text-sm">
              {t.lol_binaries.map((b) => (
                <li key={b.id}>
                  <details>
                    <summary className="cursor-pointer">
                      <span className="font-medium">{b.name}</span> <span className="text-slate-500">· {b.source}</span>
                    </summary>
                    <p className="mt-1 text-slate-700">{b.description}</p>
                    {b.uses.map((use, i) => (
                      <div key={i} className="mt-1">
                        <p className="text-xs text-slate-600">{use.function}</p>
                        <pre className="overflow-x-auto rounded bg-slate-900 p-2 text-xs text-slate-100">{use.command}</pre>
                      </div>
                    ))}
                    <p className="mt-1 text-xs text-slate-500">Licence: {b.licence}</p>
                  </details>
                </li>
              ))}
            </ul>
          </Section>
          <Section title="Threat actors using it" count={t.threat_actors.length}>
            <ul className="flex flex-wrap gap-1.5 text-sm">
              {t.threat_actors.map((actor) => (
                <li key={actor.mitre_id ?? actor.name}>
                  {actor.mitre_id ? (
                    <Link to={`/threat-actors/${encodeURIComponent(actor.mitre_id)}`} className="rounded bg-slate-100 px-2 py-0.5 hover:bg-slate-200">
                      {actor.name}
                    </Link>
                  ) : (
                    <span className="rounded bg-slate-100 px-2 py-0.5">{actor.name}</span>
                  )}
                </li>
              ))}
            </ul>
          </Section>
          {t.subtechniques.length > 0 && (
            <Section title="Sub-techniques" count={t.subtechniques.length}>
              <ul className="space-y-1 text-sm">
                {t.subtechniques.map((s) => (
                  <li key={s.mitre_id} className="flex justify-between gap-2">
                    <Link className="text-blue-800 hover:underline" to={`/techniques/${s.mitre_id}`}>
                      {s.mitre_id} {s.name}
                    </Link>
                    <CoverageBadge status={s.coverage_status} />
                  </li>
                ))}
              </ul>
            </Section>
          )}
          <Section title="Mitigations" count={t.mitigations.length}>
            <ul className="list-disc pl-5 text-sm">
              {t.mitigations.map((m) => (
                <li key={m.mitre_id ?? m.name}>
                  {m.mitre_id && <span className="font-mono text-slate-500">{m.mitre_id} </span>}
                  {m.name}
                </li>
              ))}
            </ul>
          </Section>
          {can(me.role, "flag_technique_for_review") && <ReviewFlag technique={t} />}
        </div>
      </div>
    </>
  );
}

const BREAKDOWN: { key: keyof Schemas["BreakdownView"]; label: string }[] = [
  { key: "tests", label: "Validated tests" },
  { key: "rules", label: "Detection rules" },
  { key: "countermeasures", label: "Countermeasures" },
  { key: "freshness", label: "Freshness" },
  { key: "diversity", label: "Platform diversity" },
];

function ScoreBreakdown({ coverage }: { coverage: Schemas["CoverageView"] }) {
  return (
    <Card title="Score">
      <div className="flex flex-wrap items-center gap-6">
        <div className="flex h-24 w-24 items-center justify-center rounded-full text-3xl font-semibold text-slate-900" style={{ background: coverage.color }} aria-label={`Score ${coverage.score.toFixed(0)} of 100`}>
          {coverage.score.toFixed(0)}
        </div>
        <div className="space-y-1 text-sm">
          <CoverageBadge status={coverage.status} />
          <p>
            {coverage.validated_tests} validated, {coverage.open_tests} open tests
          </p>
          <p className="text-slate-600">Last validated {formatDateTime(coverage.last_validated_at)}</p>
          <p className="text-slate-600">Computed {formatDateTime(coverage.computed_at)}</p>
        </div>
        <ul className="min-w-64 flex-1 space-y-1.5 text-sm">
          {BREAKDOWN.map(({ key, label }) => {
            const value = coverage.breakdown[key];
            return (
              <li key={key} className="grid grid-cols-[9rem_1fr_3rem] items-center gap-2">
                <span>{label}</span>
                <div className="h-2.5 rounded bg-slate-100">
                  <div className="h-2.5 rounded bg-blue-700" style={{ width: `${Math.min(100, Math.max(0, value))}%` }} />
                </div>
                <span className="text-right">{value.toFixed(0)}</span>
              </li>
            );
          })}
        </ul>
      </div>
      <p className="mt-3 text-xs text-slate-500">Each part is 0 to 100; the weights are set by the administrator (see docs/scoring.md).</p>
    </Card>
  );
}

function TemplateList({ templates, canPlan }: { templates: Schemas["TemplateSummaryView"][]; canPlan: boolean }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const create = useMutation({
    mutationFn: (templateId: string) => ok(api.POST("/api/v1/tests/from-template", { body: { template_id: templateId } })),
    onSuccess: async (test) => {
      await client.invalidateQueries({ queryKey: ["tests"] });
      navigate(`/tests/${test.id}`);
    },
  });
  return (
    <>
      {create.error && <ErrorPanel error={create.error} />}
      <ul className="divide-y divide-slate-100 text-sm">
        {templates.map((template) => (
          <li key={template.id} className="flex items-center justify-between gap-2 py-2">
            <div>
              <p className="font-medium">{template.name}</p>
              <p className="text-xs text-slate-600">
                {humanize(template.source)} · {template.platforms.join(", ")} · {template.executors.join(", ")}
              </p>
            </div>
            {canPlan && (
              <Button tone="secondary" busy={create.isPending && create.variables === template.id} onClick={() => create.mutate(template.id)}>
                Create a test
              </Button>
            )}
          </li>
        ))}
      </ul>
      <Link to="/templates" className="mt-2 inline-block text-sm text-blue-800 hover:underline">
        Choose input arguments on the templates page
      </Link>
    </>
  );
}

function ReviewFlag({ technique }: { technique: Detail }) {
  const [reason, setReason] = useState("");
  const client = useQueryClient();
  const review = useMutation({
    mutationFn: (required: boolean) =>
      ok(
        api.PATCH("/api/v1/techniques/{mitre_id}/review", {
          params: { path: { mitre_id: technique.mitre_id } },
          body: { review_required: required, reason: reason || null },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: ["technique", technique.mitre_id] }),
  });
  return (
    <Card title="Review">
      <p className="mb-2 text-sm text-slate-700">
        {technique.review_required ? "Flagged: its tests or content need another look after an ATT&CK change." : "Flag it when an ATT&CK change or new intel calls its tests into question."}
      </p>
      {!technique.review_required && <TextField label="Reason" value={reason} onChange={(e) => setReason(e.target.value)} />}
      {review.error && <ErrorPanel error={review.error} />}
      <Button className="mt-2" tone="secondary" busy={review.isPending} onClick={() => review.mutate(!technique.review_required)}>
        {technique.review_required ? "Mark reviewed" : "Flag for review"}
      </Button>
    </Card>
  );
}
