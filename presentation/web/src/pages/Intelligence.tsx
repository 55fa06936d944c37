import { useState } from "react";
import { Link } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { Badge, Button, Card, EmptyState, ErrorPanel, PageHeader, Pagination, QueryState, SelectField, Stat, Table, Td } from "../components/ui";
import { formatDate, humanize, severityTone } from "../lib/format";
import { can } from "../lib/permissions";

type Item = Schemas["IntelItemView"];
type Source = NonNullable<Item["source"]>;
const SOURCES: Source[] = ["nvd", "kev", "news"];

function Review({ item }: { item: Item }) {
  const client = useQueryClient();
  const review = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/osint/items/{id}/review", { params: { path: { id: item.id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ["osint"] }),
  });
  if (item.reviewed) return <Badge tone="green">Reviewed</Badge>;
  return (
    <>
      <Button tone="secondary" busy={review.isPending} onClick={() => review.mutate()} aria-label={`Mark ${item.title} reviewed`}>
        Mark reviewed
      </Button>
      {review.error && <ErrorPanel error={review.error} />}
    </>
  );
}

export function IntelligencePage() {
  const { me } = useSession();
  const [source, setSource] = useState<Source | "">("");
  const [pending, setPending] = useState(false);
  const [page, setPage] = useState(1);
  const summary = useQuery({ queryKey: ["osint", "summary"], queryFn: () => ok(api.GET("/api/v1/osint/summary")) });
  const items = useQuery({
    queryKey: ["osint", "items", source, pending, page],
    queryFn: () =>
      ok(
        api.GET("/api/v1/osint/items", {
          params: { query: { source: source || undefined, reviewed: pending ? false : undefined, page, per_page: 25 } },
        }),
      ),
  });
  const mayReview = can(me.role, "manage_findings");
  return (
    <>
      <PageHeader title="Intelligence" subtitle="NVD CVEs, CISA's known exploited vulnerabilities and security news, tied to ATT&CK techniques. Each recent item raises its techniques' risk." />
      <QueryState query={summary}>
        {(s) => (
          <div className="mb-5 grid grid-cols-2 gap-3 md:grid-cols-5">
            <Stat label="Items" value={s.items} />
            <Stat label="To review" value={s.unreviewed} />
            <Stat label="Exploited (KEV)" value={s.known_exploited} />
            <Stat label="Last 30 days" value={s.recent} />
            <Stat label="Most named" value={s.top_techniques[0]?.key ?? "—"} hint={s.top_techniques[0] ? `${s.top_techniques[0].count} items` : undefined} />
          </div>
        )}
      </QueryState>
      <Card>
        <div className="mb-3 flex flex-wrap items-end gap-3">
          <SelectField
            label="Source"
            value={source}
            onChange={(e) => {
              setSource(e.target.value as Source | "");
              setPage(1);
            }}
            options={[["", "Any"], ...SOURCES.map((s) => [s, s === "kev" ? "CISA KEV" : s === "nvd" ? "NVD" : "News"] as const)]}
          />
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={pending} onChange={(e) => { setPending(e.target.checked); setPage(1); }} /> Only items to review
          </label>
        </div>
        <QueryState query={items} empty={(list) => (list.items.length === 0 ? <EmptyState title="No intelligence item">An admin imports NVD, KEV, the KEV→ATT&CK mapping and news feeds from the data sources page.</EmptyState> : null)}>
          {(list) => (
            <>
              <Table head={["Published", "Item", "Severity", "Techniques", "Review"]} caption="Intelligence items">
                {list.items.map((item) => (
                  <tr key={item.id}>
                    <Td className="whitespace-nowrap">{formatDate(item.published_at)}</Td>
                    <Td>
                      <a href={item.url} target="_blank" rel="noreferrer" className="font-medium text-blue-800 hover:underline">
                        {item.title}
                      </a>
                      <p className="text-xs text-slate-500">
                        {item.feed}
                        {item.cves.length > 0 && <> · {item.cves.join(", ")}</>}
                        {item.known_exploited && (
                          <>
                            {" "}
                            <Badge tone="red">Exploited</Badge>
                          </>
                        )}
                      </p>
                    </Td>
                    <Td>
                      {item.severity ? <Badge tone={severityTone(item.severity)}>{humanize(item.severity)}</Badge> : "—"}
                      {item.cvss != null && <span className="ml-1 text-xs text-slate-500">{item.cvss.toFixed(1)}</span>}
                    </Td>
                    <Td>
                      <span className="flex flex-wrap gap-1">
                        {item.techniques.map((t) => (
                          <Link key={t} to={`/techniques/${t}`} className="text-blue-800 hover:underline">
                            {t}
                          </Link>
                        ))}
                      </span>
                    </Td>
                    <Td>{mayReview ? <Review item={item} /> : item.reviewed ? <Badge tone="green">Reviewed</Badge> : <Badge>To review</Badge>}</Td>
                  </tr>
                ))}
              </Table>
              <Pagination page={page} pages={Math.max(1, Math.ceil(list.total / 25))} onPage={setPage} />
            </>
          )}
        </QueryState>
      </Card>
    </>
  );
}
