import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { api, ok } from "../api/client";
import { Badge, Card, EmptyState, PageHeader, Pagination, QueryState, SelectField, Table, Td } from "../components/ui";
import { humanize, severityTone } from "../lib/format";
import { Facts, SearchField, opt } from "./listing";
import { pageCount, useListParams } from "../lib/listParams";
import { oneOf, RULE_SOURCES } from "../api/enums";
import { RunRuleInProduction } from "./DetectionLifecycle";

const PER_PAGE = 25;
const SOURCES = [
  ["", "Any source"],
  ["sigma", "Sigma"],
  ["elastic", "Elastic"],
] as const;
const sourceName = (source: string) => SOURCES.find(([value]) => value === source)?.[1] ?? source;

function TechniqueLinks({ ids }: { ids: string[] }) {
  if (ids.length === 0) return <span className="text-slate-500">—</span>;
  return (
    <span className="flex flex-wrap gap-x-2">
      {ids.map((id) => (
        <Link key={id} to={`/techniques/${id}`} className="font-mono text-blue-800 hover:underline">
          {id}
        </Link>
      ))}
    </span>
  );
}

export function DetectionRulesPage() {
  const list = useListParams();
  const query = {
    source: oneOf(RULE_SOURCES, list.get("source")),
    technique: opt(list.get("technique")),
    q: opt(list.get("q")),
    include_deprecated: list.get("include_deprecated") === "true" ? true : undefined,
    page: list.page,
    per_page: PER_PAGE,
  };
  const rules = useQuery({
    queryKey: ["detection-rules", query],
    queryFn: () => ok(api.GET("/api/v1/detection-rules", { params: { query } })),
    placeholderData: (previous) => previous,
  });
  return (
    <>
      <PageHeader title="Detection rules" subtitle="Sigma and Elastic rules, by the ATT&CK techniques they detect." />
      <form role="search" aria-label="Filter detection rules" className="mb-4 grid grid-cols-2 items-end gap-3 rounded-lg border border-slate-200 bg-white p-3 md:grid-cols-4" onSubmit={(e) => e.preventDefault()}>
        <SearchField label="Search" value={list.get("q")} onCommit={(q) => list.set({ q })} placeholder="Text in the title" />
        <SelectField label="Source" value={list.get("source")} onChange={(e) => list.set({ source: e.target.value })} options={SOURCES} />
        <SearchField label="Technique" value={list.get("technique")} onCommit={(technique) => list.set({ technique: technique.toUpperCase() })} placeholder="T1059.001" />
        <label className="flex items-center gap-2 pb-2 text-sm text-slate-700">
          <input
            type="checkbox"
            checked={list.get("include_deprecated") === "true"}
            onChange={(e) => list.set({ include_deprecated: e.target.checked ? "true" : "" })}
            className="h-4 w-4 rounded border-slate-300"
          />
          Include deprecated rules
        </label>
      </form>
      <QueryState query={rules} empty={(data) => (data.items.length === 0 ? <EmptyState title="No rules match these filters" /> : null)}>
        {(data) => (
          <>
            <p className="mb-2 text-sm text-slate-600">{data.total} rules</p>
            <Table caption="Detection rules" head={["Title", "Source", "Severity", "Status", "Techniques", "Author"]}>
              {data.items.map((rule) => (
                <tr key={rule.id} className="hover:bg-slate-50">
                  <Td>
                    <Link to={`/detection-rules/${rule.id}`} className="font-medium text-blue-800 hover:underline">
                      {rule.title}
                    </Link>
                    {rule.deprecated && (
                      <span className="ml-2">
                        <Badge tone="amber">Deprecated</Badge>
                      </span>
                    )}
                  </Td>
                  <Td>{sourceName(rule.source)}</Td>
                  <Td className="whitespace-nowrap">
                    <Badge tone={severityTone(rule.severity)}>{humanize(rule.severity)}</Badge>
                  </Td>
                  <Td>{humanize(rule.status)}</Td>
                  <Td>
                    <TechniqueLinks ids={rule.techniques} />
                  </Td>
                  <Td className="text-slate-600">{rule.author ?? "—"}</Td>
                </tr>
              ))}
            </Table>
            <Pagination page={data.page} pages={pageCount(data.total, data.per_page)} onPage={(page) => list.set({ page: String(page) })} />
          </>
        )}
      </QueryState>
    </>
  );
}

export function DetectionRuleDetailPage() {
  const { id = "" } = useParams();
  const rule = useQuery({
    queryKey: ["detection-rules", "detail", id],
    queryFn: () => ok(api.GET("/api/v1/detection-rules/{id}", { params: { path: { id } } })),
  });
  return (
    <QueryState query={rule}>
      {(r) => (
        <>
          <PageHeader
            title={r.title}
            subtitle={
              <span className="flex flex-wrap items-center gap-2">
                <Badge tone={severityTone(r.severity)}>{humanize(r.severity)}</Badge>
                {r.deprecated && <Badge tone="amber">Deprecated</Badge>}
                <span>
                  {sourceName(r.source)} rule <span className="font-mono text-xs">{r.source_id}</span>
                </span>
                <Link to="/detection-rules" className="text-blue-800 hover:underline">
                  · All rules
                </Link>
              </span>
            }
          />
          <p className="mb-4 rounded-md border border-slate-200 bg-slate-50 px-3 py-2 text-sm text-slate-700">
            {r.author ? (
              <>
                By <span className="font-medium">{r.author}</span>.{" "}
              </>
            ) : null}
            Licence: {r.licence}.
          </p>
          <div className="grid gap-4 lg:grid-cols-3">
            <div className="min-w-0 space-y-4 lg:col-span-2">
              <Card title="Description">
                <p className="whitespace-pre-wrap text-sm text-slate-800">{r.description || "No description."}</p>
              </Card>
              <Card title="Rule">
                <pre tabIndex={0} aria-label="Rule text" className="max-h-[36rem] overflow-auto rounded bg-slate-900 p-3 font-mono text-xs text-slate-100">{r.text}</pre>
              </Card>
            </div>
            <div className="min-w-0 space-y-4">
              <Card title="Details">
                <Facts
                  items={[
                    ["Techniques", <TechniqueLinks ids={r.techniques} />],
                    ["Tactics", r.tactics.map(humanize).join(", ")],
                    ["Kind", r.kind],
                    ["Status", humanize(r.status)],
                    ["Risk score", r.risk_score ?? null],
                    ["Log source", r.log_source],
                    ["Created", r.created],
                    ["Modified", r.modified],
                    ["Path", <span className="break-all font-mono text-xs">{r.path}</span>],
                  ]}
                />
              </Card>
              <RunRuleInProduction ruleId={r.id} />
              {r.false_positives.length > 0 && (
                <Card title="False positives">
                  <ul className="list-disc space-y-1 pl-5 text-sm">
                    {r.false_positives.map((fp, i) => (
                      <li key={i}>{fp}</li>
                    ))}
                  </ul>
                </Card>
              )}
              {r.references.length > 0 && (
                <Card title="References">
                  <ul className="space-y-1 text-sm">
                    {r.references.map((ref) => (
                      <li key={ref} className="break-all">
                        {/^https?:\/\//.test(ref) ? (
                          <a href={ref} target="_blank" rel="noreferrer noopener" className="text-blue-800 hover:underline">
                            {ref}
                          </a>
                        ) : (
                          ref
                        )}
                      </li>
                    ))}
                  </ul>
                </Card>
              )}
            </div>
          </div>
        </>
      )}
    </QueryState>
  );
}
