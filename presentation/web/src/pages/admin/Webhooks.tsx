import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, fieldError, ok, type Schemas } from "../../api/client";
import { useSession } from "../../auth/session";
import { WEBHOOK_EVENTS, WEBHOOK_PRESETS, type DeliveryStatus, type WebhookEventName, type WebhookPreset } from "../../api/enums";
import { Badge, Button, Card, EmptyState, ErrorPanel, PageHeader, QueryState, SelectField, Table, Td, TextArea, TextField, type BadgeTone } from "../../components/ui";
import { formatDateTime } from "../../lib/format";
import { AdminOnly, OneTimeSecret } from "./common";

type Webhook = Schemas["WebhookView"];
type Delivery = Schemas["DeliveryView"];

const WEBHOOKS_KEY = ["webhooks"] as const;
const STATUS_TONE: Record<DeliveryStatus, BadgeTone> = { pending: "slate", retrying: "amber", delivered: "green", dead: "red" };
const EVENT_HINTS: Record<WebhookEventName, string> = {
  "test.transitioned": "every step of the red/blue workflow",
  "test.validated": "both leads validated a test",
  "finding.opened": "a validation showed a gap",
  "finding.resolved": "a retest closed a finding",
  "alert.fired": "an alert rule fired",
  "import.finished": "a feed import finished",
  "report.ready": "a report can be downloaded",
  "scan.finished": "a detection-content scan finished",
};
const PRESET_LABELS: Record<WebhookPreset, string> = {
  generic: "Standard Webhooks JSON",
  slack: "Slack incoming webhook",
  teams: "Microsoft Teams incoming webhook",
};

export function WebhooksPage() {
  const { me } = useSession();
  if (me.role !== "admin") return <AdminOnly title="Webhooks" />;
  return <Webhooks />;
}

function Webhooks() {
  const hooks = useQuery({ queryKey: WEBHOOKS_KEY, queryFn: () => ok(api.GET("/api/v1/webhooks")) });
  const [created, setCreated] = useState<Schemas["WebhookWithSecretView"] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  return (
    <>
      <PageHeader
        title="Webhooks"
        subtitle="Signed HTTP callbacks to your own systems when something happens. Deliveries are retried with back-off and logged."
      />
      <div className="space-y-6">
        {created?.secret && (
          <div role="status" className="space-y-2">
            <OneTimeSecret label={`Signing secret of “${created.name}”`} value={created.secret} />
            <Button tone="secondary" onClick={() => setCreated(null)}>
              I have copied it
            </Button>
          </div>
        )}
        <Card title="New webhook">
          <CreateForm onCreated={setCreated} />
        </Card>
        <section aria-labelledby="webhook-list">
          <h2 id="webhook-list" className="mb-2 text-lg font-semibold text-slate-800">
            Registered webhooks
          </h2>
          <QueryState query={hooks} empty={(list) => (list.length === 0 ? <EmptyState title="No webhooks yet" /> : null)}>
            {(list) => <WebhookTable hooks={list} selected={selected} onSelect={setSelected} />}
          </QueryState>
        </section>
        {selected && <Deliveries id={selected} name={hooks.data?.find((h) => h.id === selected)?.name ?? ""} />}
        <AllowList />
      </div>
    </>
  );
}

function CreateForm({ onCreated }: { onCreated: (created: Schemas["WebhookWithSecretView"]) => void }) {
  const client = useQueryClient();
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [preset, setPreset] = useState<WebhookPreset>("generic");
  const [events, setEvents] = useState<WebhookEventName[]>(["finding.opened"]);
  const create = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/webhooks", { body: { name, url, events, preset } })),
    onSuccess: (hook) => {
      onCreated(hook);
      setName("");
      setUrl("");
      setEvents(["finding.opened"]);
      return client.invalidateQueries({ queryKey: WEBHOOKS_KEY });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const toggle = (name: WebhookEventName, on: boolean) => setEvents((current) => (on ? [...current, name] : current.filter((e) => e !== name)));
  return (
    <form onSubmit={submit} className="space-y-3" aria-label="Create a webhook">
      <div className="grid gap-3 md:grid-cols-2">
        <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} error={fieldError(create.error, "name")} />
        <TextField
          label="URL"
          value={url}
          placeholder="https://soar.example.com/hooks/aegis"
          onChange={(e) => setUrl(e.target.value)}
          error={fieldError(create.error, "url")}
        />
      </div>
      <SelectField
        label="Payload"
        value={preset}
        onChange={(e) => setPreset(WEBHOOK_PRESETS.find((p) => p === e.target.value) ?? "generic")}
        options={WEBHOOK_PRESETS.map((p) => [p, PRESET_LABELS[p]] as const)}
        error={fieldError(create.error, "preset")}
      />
      <fieldset>
        <legend className="text-sm font-medium text-slate-700">Events</legend>
        <div className="mt-1 grid gap-1 sm:grid-cols-2">
          {WEBHOOK_EVENTS.map((event) => (
            <label key={event} className="flex items-start gap-2 text-sm">
              <input type="checkbox" checked={events.includes(event)} onChange={(e) => toggle(event, e.target.checked)} className="mt-1" />
              <span>
                <span className="font-mono">{event}</span> <span className="text-slate-500">— {EVENT_HINTS[event]}</span>
              </span>
            </label>
          ))}
        </div>
        {fieldError(create.error, "events") && <p className="mt-1 text-sm text-red-700">{fieldError(create.error, "events")}</p>}
      </fieldset>
      {create.error && !fieldError(create.error, "url") && <ErrorPanel error={create.error} />}
      <Button type="submit" busy={create.isPending}>
        Create webhook
      </Button>
    </form>
  );
}

function WebhookTable({ hooks, selected, onSelect }: { hooks: Webhook[]; selected: string | null; onSelect: (id: string | null) => void }) {
  const client = useQueryClient();
  const invalidate = () => client.invalidateQueries({ queryKey: WEBHOOKS_KEY });
  const toggle = useMutation({
    mutationFn: (hook: Webhook) => ok(api.PATCH("/api/v1/webhooks/{id}", { params: { path: { id: hook.id } }, body: { active: !hook.active } })),
    onSuccess: invalidate,
  });
  const remove = useMutation({
    mutationFn: (id: string) => ok(api.DELETE("/api/v1/webhooks/{id}", { params: { path: { id } } })),
    onSuccess: (_, id) => {
      if (selected === id) onSelect(null);
      return invalidate();
    },
  });
  const ping = useMutation({
    mutationFn: (id: string) => ok(api.POST("/api/v1/webhooks/{id}/test", { params: { path: { id } } })),
    onSuccess: (_, id) => {
      onSelect(id);
      return client.invalidateQueries({ queryKey: [...WEBHOOKS_KEY, id, "deliveries"] });
    },
  });
  const error = toggle.error ?? remove.error ?? ping.error;
  return (
    <>
      {error && <ErrorPanel error={error} />}
      <Table caption="Registered webhooks" head={["Name", "Events", "Payload", "Status", "Created", ""]}>
        {hooks.map((hook) => (
          <tr key={hook.id} className={selected === hook.id ? "bg-slate-50" : undefined}>
            <Td>
              <span className="font-medium">{hook.name}</span>
              <span className="block break-all font-mono text-xs text-slate-500">{hook.url}</span>
            </Td>
            <Td className="font-mono text-xs">{hook.events.join(" ")}</Td>
            <Td>{PRESET_LABELS[hook.preset]}</Td>
            <Td>
              <Badge tone={hook.active ? "green" : "slate"}>{hook.active ? "active" : "inactive"}</Badge>
            </Td>
            <Td>{formatDateTime(hook.created_at)}</Td>
            <Td>
              <div className="flex flex-wrap gap-2">
                <Button tone="secondary" onClick={() => onSelect(hook.id)} aria-label={`Deliveries of ${hook.name}`}>
                  Deliveries
                </Button>
                <Button tone="secondary" busy={ping.isPending && ping.variables === hook.id} onClick={() => ping.mutate(hook.id)} aria-label={`Send a test delivery to ${hook.name}`}>
                  Send test
                </Button>
                <Button tone="secondary" busy={toggle.isPending && toggle.variables?.id === hook.id} onClick={() => toggle.mutate(hook)} aria-label={`${hook.active ? "Deactivate" : "Activate"} ${hook.name}`}>
                  {hook.active ? "Deactivate" : "Activate"}
                </Button>
                <Button tone="danger" busy={remove.isPending && remove.variables === hook.id} onClick={() => remove.mutate(hook.id)} aria-label={`Delete ${hook.name}`}>
                  Delete
                </Button>
              </div>
            </Td>
          </tr>
        ))}
      </Table>
    </>
  );
}

function Deliveries({ id, name }: { id: string; name: string }) {
  const client = useQueryClient();
  const key = [...WEBHOOKS_KEY, id, "deliveries"];
  const deliveries = useQuery({
    queryKey: key,
    queryFn: () => ok(api.GET("/api/v1/webhooks/{id}/deliveries", { params: { path: { id }, query: { per_page: 50 } } })),
    // Waiting deliveries move on their own: follow them until they settle.
    refetchInterval: (query) => (query.state.data?.items.some((d) => d.status === "pending" || d.status === "retrying") ? 1000 : false),
  });
  const redeliver = useMutation({
    mutationFn: (delivery: string) => ok(api.POST("/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", { params: { path: { id, delivery_id: delivery } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: key }),
  });
  return (
    <Card title={`Deliveries of ${name}`}>
      {redeliver.error && <ErrorPanel error={redeliver.error} />}
      <QueryState query={deliveries} empty={(page) => (page.items.length === 0 ? <EmptyState title="Nothing delivered yet" /> : null)}>
        {(page) => (
          <Table caption={`Deliveries of ${name}`} head={["Event", "Status", "Attempts", "Last response", "Created", ""]}>
            {page.items.map((delivery) => (
              <DeliveryRow key={delivery.id} delivery={delivery} busy={redeliver.isPending && redeliver.variables === delivery.id} onRedeliver={() => redeliver.mutate(delivery.id)} />
            ))}
          </Table>
        )}
      </QueryState>
    </Card>
  );
}

function DeliveryRow({ delivery, busy, onRedeliver }: { delivery: Delivery; busy: boolean; onRedeliver: () => void }) {
  return (
    <tr>
      <Td>
        <span className="font-mono text-xs">{delivery.event}</span>
        <span className="block font-mono text-xs text-slate-500">{delivery.message_id}</span>
      </Td>
      <Td>
        <Badge tone={STATUS_TONE[delivery.status]}>{delivery.status}</Badge>
        {delivery.next_attempt_at && <span className="block text-xs text-slate-500">next {formatDateTime(delivery.next_attempt_at)}</span>}
      </Td>
      <Td>
        <details>
          <summary className="cursor-pointer">{delivery.attempts}</summary>
          <ol className="mt-1 space-y-1 text-xs">
            {delivery.log.map((attempt) => (
              <li key={attempt.attempt}>
                #{attempt.attempt} {formatDateTime(attempt.attempted_at)} — {attempt.succeeded ? "delivered" : "failed"}
                {attempt.response_code != null && ` (HTTP ${attempt.response_code})`}, {attempt.duration_ms} ms
                {attempt.error && <span className="block text-red-700">{attempt.error}</span>}
              </li>
            ))}
          </ol>
        </details>
      </Td>
      <Td>
        {delivery.last_response_code ?? "—"}
        {delivery.last_error && <span className="block text-xs text-red-700">{delivery.last_error}</span>}
      </Td>
      <Td>{formatDateTime(delivery.created_at)}</Td>
      <Td>
        {(delivery.status === "dead" || delivery.status === "delivered") && (
          <Button tone="secondary" busy={busy} onClick={onRedeliver} aria-label={`Redeliver ${delivery.message_id}`}>
            Redeliver
          </Button>
        )}
      </Td>
    </tr>
  );
}

function AllowList() {
  const client = useQueryClient();
  const list = useQuery({ queryKey: [...WEBHOOKS_KEY, "allow-list"], queryFn: () => ok(api.GET("/api/v1/webhooks/allow-list")) });
  const [draft, setDraft] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (entries: string[]) => ok(api.PUT("/api/v1/webhooks/allow-list", { body: { entries } })),
    onSuccess: () => {
      setDraft(null);
      return client.invalidateQueries({ queryKey: [...WEBHOOKS_KEY, "allow-list"] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const text = draft ?? list.data?.entries.join("\n") ?? "";
    save.mutate(
      text
        .split(/\s+/)
        .map((entry) => entry.trim())
        .filter((entry) => entry !== ""),
    );
  };
  return (
    <Card title="Allow-list">
      <p className="mb-3 text-sm text-slate-600">
        Webhooks never reach loopback, private, link-local, carrier-grade NAT, multicast or cloud metadata addresses, unless a host or range is listed here. The rule is checked at
        every connection.
      </p>
      <QueryState query={list}>
        {(current) => (
          <form onSubmit={submit} className="space-y-3" aria-label="Webhook allow-list">
            <TextArea
              label="Allowed hosts and ranges (one per line)"
              value={draft ?? current.entries.join("\n")}
              onChange={(e) => setDraft(e.target.value)}
              error={fieldError(save.error, "entries")}
            />
            <Button type="submit" busy={save.isPending}>
              Save allow-list
            </Button>
          </form>
        )}
      </QueryState>
    </Card>
  );
}
