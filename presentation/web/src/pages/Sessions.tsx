import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas } from "../api/client";
import { Badge, Button, Card, ErrorPanel, QueryState, Table, Td } from "../components/ui";
import { formatDateTime } from "../lib/format";

export const SESSIONS_KEY = ["auth", "sessions"] as const;

/** One's signed-in sessions on the profile page: where and when, and ending one or the others. */
export function SessionsCard() {
  const sessions = useQuery({ queryKey: SESSIONS_KEY, queryFn: () => ok(api.GET("/api/v1/auth/sessions")) });
  return (
    <Card title="Sessions">
      <p className="mb-3 text-sm text-slate-600">
        Where you are signed in. An ended session cannot refresh; its page signs out within minutes.
      </p>
      <QueryState query={sessions}>{(list) => <SessionTable sessions={list} />}</QueryState>
    </Card>
  );
}

function SessionTable({ sessions }: { sessions: Schemas["SessionView"][] }) {
  const client = useQueryClient();
  const refresh = () => client.invalidateQueries({ queryKey: SESSIONS_KEY });
  const endOne = useMutation({
    mutationFn: (id: string) => ok(api.DELETE("/api/v1/auth/sessions/{id}", { params: { path: { id } } })),
    onSuccess: refresh,
  });
  const endOthers = useMutation({
    mutationFn: () => ok(api.DELETE("/api/v1/auth/sessions", { params: { query: {} } })),
    onSuccess: refresh,
  });
  const others = sessions.filter((session) => !session.current);
  return (
    <>
      {(endOne.error ?? endOthers.error) && <ErrorPanel error={endOne.error ?? endOthers.error} />}
      {/* Three columns: the card is half the page wide, and a browser's user agent is long. */}
      <Table caption="Your sessions" head={["Device and address", "Last seen", ""]}>
        {sessions.map((session) => (
          <tr key={session.id}>
            <Td className="[overflow-wrap:anywhere]">
              {session.user_agent ?? "Unknown device"}
              {session.current && (
                <span className="ml-2">
                  <Badge tone="green">this session</Badge>
                </span>
              )}
              <div className="font-mono text-xs text-slate-500">{session.client_ip ?? "—"}</div>
            </Td>
            <Td>
              {formatDateTime(session.last_seen_at)}
              <div className="text-xs text-slate-500">signed in {formatDateTime(session.created_at)}</div>
            </Td>
            <Td>
              {!session.current && (
                <Button
                  tone="danger"
                  busy={endOne.isPending && endOne.variables === session.id}
                  onClick={() => endOne.mutate(session.id)}
                  aria-label={`End the session of ${session.user_agent ?? "an unknown device"}`}
                >
                  End
                </Button>
              )}
            </Td>
          </tr>
        ))}
      </Table>
      {others.length > 0 && (
        <div className="mt-3">
          <Button tone="secondary" busy={endOthers.isPending} onClick={() => endOthers.mutate()}>
            End all other sessions
          </Button>
        </div>
      )}
    </>
  );
}
