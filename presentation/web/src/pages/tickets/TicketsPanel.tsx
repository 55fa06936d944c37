import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, fieldError, ok, type Schemas } from "../../api/client";
import { Badge, Button, Card, ErrorPanel, SelectField, TextField, type BadgeTone } from "../../components/ui";
import { formatDateTime } from "../../lib/format";

type Ticket = Schemas["TicketView"];
/** Whose tickets: a finding, a test, or a finding's remediation step. */
export type TicketSubject = { finding_id?: string; test_id?: string; step_id?: string };

const CATEGORY_TONE: Record<Ticket["status_category"], BadgeTone> = { new: "slate", indeterminate: "amber", done: "green", unknown: "slate" };
const SYSTEMS = [
  ["jira", "Jira"],
  ["github", "GitHub"],
  ["other", "Other tracker"],
] as const;

/** The tickets linked to a subject: their status as last synced, "Create Jira issue" on a finding when Jira is configured, and a form to link an issue of any tracker by hand. */
export function TicketsPanel({ subject, canManage }: { subject: TicketSubject; canManage: boolean }) {
  const client = useQueryClient();
  const key = ["tickets", subject] as const;
  const tickets = useQuery({ queryKey: key, queryFn: () => ok(api.GET("/api/v1/tickets", { params: { query: subject } })) });
  const refresh = () => client.invalidateQueries({ queryKey: ["tickets"] });
  const createJira = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/findings/{id}/ticket", { params: { path: { id: subject.finding_id ?? "" } } })),
    onSuccess: refresh,
  });
  const unlink = useMutation({
    mutationFn: (id: string) => ok(api.DELETE("/api/v1/tickets/{id}", { params: { path: { id } } })),
    onSuccess: refresh,
  });
  const items = tickets.data?.items ?? [];
  const isFinding = Boolean(subject.finding_id) && !subject.step_id;
  const hasJira = items.some((t) => t.system === "jira");
  return (
    <Card
      title="Tickets"
      actions={
        canManage &&
        isFinding &&
        tickets.data?.jira_configured &&
        !hasJira && (
          <Button busy={createJira.isPending} onClick={() => createJira.mutate()}>
            Create Jira issue
          </Button>
        )
      }
    >
      {tickets.error && <ErrorPanel error={tickets.error} />}
      {(createJira.error || unlink.error) && <ErrorPanel error={createJira.error ?? unlink.error} />}
      {tickets.data && items.length === 0 && <p className="text-sm text-slate-600">No ticket is linked yet.</p>}
      {items.length > 0 && (
        <ul className="divide-y divide-slate-100">
          {items.map((ticket) => (
            <li key={ticket.id} className="flex items-start justify-between gap-2 py-2 text-sm">
              <div>
                <a href={ticket.url} target="_blank" rel="noreferrer noopener" className="font-mono font-medium text-blue-800 hover:underline">
                  {ticket.key}
                </a>{" "}
                <span className="text-xs text-slate-500">{SYSTEMS.find(([value]) => value === ticket.system)?.[1]}</span>
                <div className="mt-1 flex flex-wrap items-center gap-2">
                  <Badge tone={CATEGORY_TONE[ticket.status_category]}>{ticket.status ?? "Status not known yet"}</Badge>
                  {ticket.last_synced_at && <span className="text-xs text-slate-500">synced {formatDateTime(ticket.last_synced_at)}</span>}
                </div>
                {ticket.sync_error && <p className="mt-1 text-xs text-red-700">Last sync failed: {ticket.sync_error}</p>}
              </div>
              {canManage && (
                <Button tone="secondary" aria-label={`Unlink ${ticket.key}`} busy={unlink.isPending && unlink.variables === ticket.id} onClick={() => unlink.mutate(ticket.id)}>
                  Unlink
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      {canManage && <LinkForm subject={subject} onLinked={refresh} />}
    </Card>
  );
}

function LinkForm({ subject, onLinked }: { subject: TicketSubject; onLinked: () => Promise<void> }) {
  const [system, setSystem] = useState<Ticket["system"]>("jira");
  const [key, setKey] = useState("");
  const [url, setUrl] = useState("");
  const link = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/tickets", { body: { ...subject, system, key, url } })),
    onSuccess: async () => {
      setKey("");
      setUrl("");
      await onLinked();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    link.mutate();
  };
  return (
    <form onSubmit={submit} className="mt-3 space-y-2 border-t border-slate-100 pt-3" aria-label="Link a ticket">
      <SelectField label="Tracker" value={system} onChange={(e) => setSystem(e.target.value as Ticket["system"])} options={SYSTEMS} error={fieldError(link.error, "system")} />
      <TextField label="Key" value={key} onChange={(e) => setKey(e.target.value)} placeholder="SEC-42" error={fieldError(link.error, "key")} />
      <TextField label="URL" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://…" error={fieldError(link.error, "url")} />
      {link.error && !fieldError(link.error, "key") && !fieldError(link.error, "url") && !fieldError(link.error, "system") && <ErrorPanel error={link.error} />}
      <Button type="submit" tone="secondary" busy={link.isPending}>
        Link ticket
      </Button>
    </form>
  );
}
