import { Link } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas } from "../api/client";
import { Badge, Button, EmptyState, ErrorPanel, PageHeader, Pagination, QueryState, SelectField } from "../components/ui";
import { useUnreadCount } from "../components/NotificationBell";
import { formatDateTime, humanize } from "../lib/format";
import { entityLink } from "../lib/links";
import { pageCount, useListParams } from "../lib/listParams";

export function NotificationsPage() {
  const list = useListParams();
  const unreadOnly = list.get("unread") === "1";
  const client = useQueryClient();
  const unread = useUnreadCount();
  const notifications = useQuery({
    queryKey: ["notifications", "list", { unreadOnly, page: list.page, perPage: list.perPage }],
    queryFn: () =>
      ok(api.GET("/api/v1/notifications", { params: { query: { page: list.page, per_page: list.perPage, ...(unreadOnly ? { unread: true } : {}) } } })),
  });
  // Every notification query, the header's bell included, shares the ["notifications"] prefix.
  const refresh = () => client.invalidateQueries({ queryKey: ["notifications"] });
  const readOne = useMutation({
    mutationFn: (id: string) => ok(api.POST("/api/v1/notifications/{id}/read", { params: { path: { id } } })),
    onSuccess: refresh,
  });
  const readAll = useMutation({ mutationFn: () => ok(api.POST("/api/v1/notifications/read-all")), onSuccess: refresh });
  const unreadCount = unread.data?.unread;

  return (
    <>
      <PageHeader
        title="Notifications"
        subtitle={unreadCount === undefined ? "What happened to the work you are part of." : `${unreadCount} unread`}
        actions={
          <Button tone="secondary" busy={readAll.isPending} disabled={unreadCount === 0} onClick={() => readAll.mutate()}>
            Mark all read
          </Button>
        }
      />
      <div className="mb-4 w-56">
        <SelectField
          label="Show"
          value={unreadOnly ? "unread" : "all"}
          onChange={(e) => list.set({ unread: e.target.value === "unread" ? "1" : null })}
          options={[
            ["all", "All notifications"],
            ["unread", "Unread only"],
          ]}
        />
      </div>
      {readAll.error && <ErrorPanel error={readAll.error} />}
      {readOne.error && <ErrorPanel error={readOne.error} />}
      <QueryState
        query={notifications}
        empty={(data) => (data.items.length === 0 ? <EmptyState title={unreadOnly ? "Nothing unread" : "No notifications yet"}>They arrive when tests, campaigns and findings you take part in move.</EmptyState> : null)}
      >
        {(data) => (
          <>
            <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
              {data.items.map((n) => (
                <NotificationRow key={n.id} notification={n} busy={readOne.isPending && readOne.variables === n.id} onRead={() => readOne.mutate(n.id)} />
              ))}
            </ul>
            <p className="mt-2 text-xs text-slate-500">{data.total} in all</p>
            <Pagination page={data.page} pages={pageCount(data.total, data.per_page)} onPage={list.setPage} />
          </>
        )}
      </QueryState>
    </>
  );
}

function NotificationRow({ notification: n, busy, onRead }: { notification: Schemas["NotificationView"]; busy: boolean; onRead: () => void }) {
  const to = entityLink(n.entity_type, n.entity_id);
  const unread = !n.read_at;
  return (
    <li className={`flex items-start justify-between gap-4 p-3 text-sm ${unread ? "bg-blue-50" : ""}`}>
      <div className="min-w-0 space-y-1">
        <p className="flex flex-wrap items-center gap-2">
          {to ? (
            <Link to={to} className="font-medium text-blue-800 hover:underline">
              {n.title}
            </Link>
          ) : (
            <span className="font-medium">{n.title}</span>
          )}
          <Badge>{humanize(n.kind.replace(/\./g, " "))}</Badge>
          {unread && <Badge tone="blue">Unread</Badge>}
        </p>
        <p className="text-slate-700">{n.body}</p>
        <p className="text-xs text-slate-600">
          {formatDateTime(n.created_at)}
          {n.read_at && ` · read ${formatDateTime(n.read_at)}`}
        </p>
      </div>
      {unread && (
        <Button tone="ghost" busy={busy} onClick={onRead} aria-label={`Mark “${n.title}” read`}>
          Mark read
        </Button>
      )}
    </li>
  );
}
