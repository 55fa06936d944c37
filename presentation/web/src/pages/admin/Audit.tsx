import { Link } from "react-router";
import { useMutation, useQuery } from "@tanstack/react-query";
import { api, ok, type Schemas } from "../../api/client";
import type { operations } from "../../api/schema";
import { useSession } from "../../auth/session";
import { Button, EmptyState, ErrorPanel, PageHeader, Pagination, QueryState, SelectField, Table, Td, TextField } from "../../components/ui";
import { formatDateTime, humanize } from "../../lib/format";
import { entityLink } from "../../lib/links";

import { AdminOnly, FilterText } from "./common";
import { pageCount, useListParams } from "../../lib/listParams";

type Entry = Schemas["AuditEntryResponse"];
type AuditQuery = NonNullable<operations["audit_list"]["parameters"]["query"]>;

export function AuditPage() {
  const { me } = useSession();
  if (me.role !== "admin") return <AdminOnly title="Audit log" />;
  return <Audit />;
}

/** A yyyy-mm-dd date as the instant its day starts, here; `nextDay` for an inclusive end. */
function dayStart(date: string, nextDay = false): string | undefined {
  const day = new Date(`${date}T00:00:00`);
  if (Number.isNaN(day.getTime())) return undefined;
  if (nextDay) day.setDate(day.getDate() + 1);
  return day.toISOString();
}

function Audit() {
  const list = useListParams();
  const filters = { action: list.get("action"), entity_type: list.get("entity_type"), entity_id: list.get("entity_id"), actor_id: list.get("actor") };
  const from = list.get("from");
  const to = list.get("to");
  const users = useQuery({ queryKey: ["users", "list", "all"], queryFn: () => ok(api.GET("/api/v1/users", { params: { query: { per_page: 200 } } })) });
  const emailOf = new Map(users.data?.items.map((u) => [u.id, u.email]) ?? []);
  const entries = useQuery({
    queryKey: ["audit-logs", { ...filters, from, to, page: list.page, perPage: list.perPage }],
    queryFn: () => {
      const fromInstant = from ? dayStart(from) : undefined;
      const toInstant = to ? dayStart(to, true) : undefined;
      const query: AuditQuery = {
        page: list.page,
        per_page: list.perPage,
        ...(filters.action ? { action: filters.action } : {}),
        ...(filters.entity_type ? { entity_type: filters.entity_type } : {}),
        ...(filters.entity_id ? { entity_id: filters.entity_id } : {}),
        ...(filters.actor_id ? { actor_id: filters.actor_id } : {}),
        ...(fromInstant ? { from: fromInstant } : {}),
        ...(toInstant ? { to: toInstant } : {}),
      };
      return ok(api.GET("/api/v1/audit-logs", { params: { query } }));
    },
  });
  const verify = useMutation({ mutationFn: () => ok(api.GET("/api/v1/audit-logs/verify")) });
  const filtered = Object.values(filters).some(Boolean) || from || to;

  return (
    <>
      <PageHeader
        title="Audit log"
        subtitle="Every change, newest first, each entry chained to the previous one by its hash."
        actions={
          <Button tone="secondary" busy={verify.isPending} onClick={() => verify.mutate()}>
            Verify chain
          </Button>
        }
      />
      {verify.error && (
        <div className="mb-4">
          <ErrorPanel error={verify.error} />
        </div>
      )}
      {verify.data && <ChainResult result={verify.data} />}
      <div className="mb-4 flex flex-wrap items-end gap-3">
        <FilterText label="Action" value={filters.action} onApply={(v) => list.set({ action: v })} className="w-60" />
        <FilterText label="Entity type" value={filters.entity_type} onApply={(v) => list.set({ entity_type: v })} className="w-52" />
        <FilterText label="Entity id" value={filters.entity_id} onApply={(v) => list.set({ entity_id: v })} className="w-72" />
        <div className="w-60">
          <SelectField
            label="Actor"
            value={filters.actor_id}
            onChange={(e) => list.set({ actor: e.target.value })}
            options={[["", "Anyone"], ...(users.data?.items.map((u) => [u.id, u.email] as const) ?? [])]}
          />
        </div>
        <div className="w-40">
          <TextField label="From" type="date" value={from} max={to || undefined} onChange={(e) => list.set({ from: e.target.value })} />
        </div>
        <div className="w-40">
          <TextField label="To (inclusive)" type="date" value={to} min={from || undefined} onChange={(e) => list.set({ to: e.target.value })} />
        </div>
      </div>
      <QueryState query={entries} empty={(data) => (data.items.length === 0 ? <EmptyState title={filtered ? "No entry matches these filters" : "The audit log is empty"} /> : null)}>
        {(data) => (
          <>
            <Table caption="Audit entries" head={["Seq. / hash", "Time", "Actor", "Action", "Entity", "Details"]}>
              {data.items.map((e) => (
                <Row key={e.id} entry={e} actor={e.actor_id ? (emailOf.get(e.actor_id) ?? e.actor_id) : "system"} />
              ))}
            </Table>
            <p className="mt-2 text-xs text-slate-500">{data.total} entries</p>
            <Pagination page={data.page} pages={pageCount(data.total, data.per_page)} onPage={list.setPage} />
          </>
        )}
      </QueryState>
    </>
  );
}

function Row({ entry: e, actor }: { entry: Entry; actor: string }) {
  const to = entityLink(e.entity_type, e.entity_id);
  const details = Object.keys(e.details).length > 0;
  return (
    <tr>
      <Td>
        <span className="font-mono text-xs font-semibold">{e.sequence}</span>
        <code className="block text-xs text-slate-500" title={`hash ${e.hash}\nprevious ${e.previous_hash}`}>
          {e.hash.slice(0, 10)}…
        </code>
      </Td>
      <Td className="min-w-[7rem]">{formatDateTime(e.occurred_at)}</Td>
      <Td className="whitespace-nowrap">
        {actor}
        {e.client_ip && <span className="block text-xs text-slate-500">{e.client_ip}</span>}
      </Td>
      <Td className="min-w-[11rem] max-w-[16rem]">
        <code className="break-words text-xs">{e.action}</code>
      </Td>
      <Td className="min-w-[9.5rem] max-w-[11rem]">
        <span className="text-slate-600">{humanize(e.entity_type)}</span>
        {e.entity_id &&
          (to ? (
            <Link to={to} className="block break-all font-mono text-xs text-blue-800 hover:underline">
              {e.entity_id}
            </Link>
          ) : (
            <span className="block break-all font-mono text-xs">{e.entity_id}</span>
          ))}
      </Td>
      <Td>
        {details ? (
          <details>
            <summary className="cursor-pointer text-xs text-blue-800">JSON</summary>
            <pre className="mt-1 max-h-64 max-w-[15rem] overflow-auto whitespace-pre-wrap break-all rounded bg-slate-50 p-2 text-xs">{JSON.stringify(e.details, null, 2)}</pre>
          </details>
        ) : (
          "—"
        )}
      </Td>
    </tr>
  );
}

function ChainResult({ result }: { result: Schemas["ChainVerificationResponse"] }) {
  return result.intact ? (
    <div role="status" className="mb-4 rounded-md border border-green-200 bg-green-50 p-3 text-sm text-green-900">
      <p className="font-semibold">Chain intact</p>
      <p>
        {result.entries_checked} entries checked, up to sequence {result.head_sequence}: nothing was edited or removed.
      </p>
    </div>
  ) : (
    <div role="alert" className="mb-4 rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-900">
      <p className="font-semibold">Chain broken{result.broken_at_sequence !== null && result.broken_at_sequence !== undefined ? ` at sequence ${result.broken_at_sequence}` : ""}</p>
      {result.problem && <p>{result.problem}</p>}
      <p>
        {result.entries_checked} entries checked; the head is sequence {result.head_sequence}.
      </p>
    </div>
  );
}
