import { useEffect, useState } from "react";
import { Link } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import { formatDateTime } from "../lib/format";
import { entityLink } from "../lib/links";

/** How long to wait before reopening a stream the server refused (an expired session). */
const REOPEN_MS = 5_000;

export function useUnreadCount() {
  return useQuery({
    queryKey: ["notifications", "unread"],
    queryFn: () => ok(api.GET("/api/v1/notifications/unread-count")),
  });
}

/**
 * Keeps the notification queries current from the server's live stream instead of polling:
 * each new notification, and each (re)connection, refreshes them.
 */
export function useLiveNotifications(): void {
  const client = useQueryClient();
  useEffect(() => {
    if (typeof EventSource === "undefined") return;
    let source: EventSource | null = null;
    let reopen: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const refresh = () => void client.invalidateQueries({ queryKey: ["notifications"] });
    const open = () => {
      if (stopped) return;
      source = new EventSource("/api/v1/notifications/stream");
      source.addEventListener("notification", refresh);
      source.addEventListener("open", refresh);
      source.addEventListener("error", () => {
        // The browser reconnects a dropped stream itself; one the server refused (the access
        // token expired) it closes. A normal request renews the session, then it reopens.
        if (source?.readyState !== EventSource.CLOSED || stopped) return;
        reopen = setTimeout(() => {
          void ok(api.GET("/api/v1/notifications/unread-count"))
            .catch(() => undefined)
            .finally(open);
        }, REOPEN_MS);
      });
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(reopen);
      source?.close();
    };
  }, [client]);
}

export function NotificationBell() {
  const [open, setOpen] = useState(false);
  const client = useQueryClient();
  useLiveNotifications();
  const unread = useUnreadCount();
  const latest = useQuery({
    queryKey: ["notifications", "latest"],
    queryFn: () => ok(api.GET("/api/v1/notifications", { params: { query: { per_page: 8 } } })),
    enabled: open,
  });
  const readAll = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/notifications/read-all")),
    onSuccess: () => client.invalidateQueries({ queryKey: ["notifications"] }),
  });
  const count = unread.data?.unread ?? 0;
  return (
    <div className="relative">
      <button
        type="button"
        aria-label={`Notifications, ${count} unread`}
        aria-expanded={open}
        onClick={() => setOpen((v) => !v)}
        className="relative rounded p-1.5 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-blue-600"
      >
        <svg viewBox="0 0 24 24" className="h-5 w-5 text-slate-700" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden>
          <path d="M18 8a6 6 0 1 0-12 0c0 7-3 9-3 9h18s-3-2-3-9M13.7 21a2 2 0 0 1-3.4 0" />
        </svg>
        {count > 0 && (
          <span data-testid="unread-count" className="absolute -right-1 -top-1 min-w-5 rounded-full bg-red-600 px-1 text-center text-xs font-semibold text-white">
            {count > 99 ? "99+" : count}
          </span>
        )}
      </button>
      {open && (
        <div className="absolute right-0 z-40 mt-2 w-96 rounded-lg border border-slate-200 bg-white shadow-lg" onKeyDown={(e) => e.key === "Escape" && setOpen(false)}>
          <div className="flex items-center justify-between border-b border-slate-100 px-3 py-2">
            <p className="text-sm font-semibold">Notifications</p>
            <button type="button" className="text-xs text-blue-800 hover:underline disabled:text-slate-400" disabled={count === 0} onClick={() => readAll.mutate()}>
              Mark all read
            </button>
          </div>
          <ul className="max-h-96 divide-y divide-slate-100 overflow-y-auto">
            {latest.isPending && <li className="p-3 text-sm text-slate-500">Loading…</li>}
            {latest.data?.items.length === 0 && <li className="p-3 text-sm text-slate-500">Nothing new.</li>}
            {latest.data?.items.map((n) => (
              <li key={n.id} className={`p-3 text-sm ${n.read_at ? "" : "bg-blue-50"}`}>
                <Link to={entityLink(n.entity_type, n.entity_id) ?? "/notifications"} onClick={() => setOpen(false)} className="font-medium hover:underline">
                  {n.title}
                </Link>
                <p className="text-slate-600">{n.body}</p>
                <p className="text-xs text-slate-500">{formatDateTime(n.created_at)}</p>
              </li>
            ))}
          </ul>
          <Link to="/notifications" onClick={() => setOpen(false)} className="block border-t border-slate-100 px-3 py-2 text-center text-sm text-blue-800 hover:bg-slate-50">
            All notifications
          </Link>
        </div>
      )}
    </div>
  );
}
