import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, fieldError, type Schemas } from "../api/client";
import { every, type ApiKeyScope, type ApiKeyStatus } from "../api/enums";
import { Badge, Button, Card, ErrorPanel, QueryState, Table, Td, TextField, type BadgeTone } from "../components/ui";
import { formatDateTime } from "../lib/format";

export const API_KEYS_KEY = ["api-keys"] as const;

/** Every scope, in the order the form offers them, with what each one allows. */
const SCOPES = every<ApiKeyScope>()([
  "read",
  "write",
  "tests:write",
  "evidence:write",
  "campaigns:write",
  "findings:write",
  "detections:write",
  "snapshots:write",
  "catalog:write",
  "imports:run",
  "users:write",
  "knowledge:write",
  "scans:write",
]);
const SCOPE_HINTS: Record<ApiKeyScope, string> = {
  read: "read everything your role can read",
  write: "everything your role can do",
  "tests:write": "plan, execute, evaluate, validate and comment on tests",
  "evidence:write": "upload evidence",
  "campaigns:write": "plan and run campaigns",
  "findings:write": "triage findings",
  "detections:write": "detection assets, their proofs and infrastructure changes",
  "snapshots:write": "take snapshots and request reports",
  "catalog:write": "custom techniques and review flags",
  "imports:run": "feed imports, syncs and jobs",
  "users:write": "manage users",
  "knowledge:write": "write playbooks and lessons",
  "scans:write": "submit detection-content diffs to be scanned",
};
const STATUS_TONE: Record<ApiKeyStatus, BadgeTone> = { active: "green", expired: "amber", revoked: "slate" };

/** One's API keys on the profile page: create (the key is shown once), list and revoke. */
export function ApiKeysCard() {
  const keys = useQuery({ queryKey: API_KEYS_KEY, queryFn: () => ok(api.GET("/api/v1/api-keys")) });
  const [created, setCreated] = useState<Schemas["CreatedApiKeyResponse"] | null>(null);
  return (
    <Card title="API keys">
      <p className="mb-3 text-sm text-slate-600">
        A key acts as you, narrowed by its scopes. Send it as <code>Authorization: Bearer &lt;key&gt;</code>.
      </p>
      {created && <NewKey created={created} onDone={() => setCreated(null)} />}
      <CreateKeyForm onCreated={setCreated} />
      <div className="mt-4">
        <QueryState query={keys}>{(list) => <KeyTable keys={list} />}</QueryState>
      </div>
    </Card>
  );
}

function NewKey({ created, onDone }: { created: Schemas["CreatedApiKeyResponse"]; onDone: () => void }) {
  return (
    <div role="status" className="mb-4 rounded-md border border-green-300 bg-green-50 p-3 text-sm text-green-950">
      <p className="font-medium">Copy the key “{created.name}” now: it is not shown again.</p>
      <input
        readOnly
        aria-label="New API key"
        value={created.key}
        onFocus={(e) => e.target.select()}
        className="mt-2 w-full rounded border border-green-300 bg-white px-2 py-1 font-mono text-xs"
      />
      <Button tone="secondary" className="mt-2" onClick={onDone}>
        I have copied it
      </Button>
    </div>
  );
}

function CreateKeyForm({ onCreated }: { onCreated: (created: Schemas["CreatedApiKeyResponse"]) => void }) {
  const client = useQueryClient();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<ApiKeyScope[]>(["read"]);
  const [expires, setExpires] = useState("");
  const create = useMutation({
    mutationFn: () =>
      ok(
        api.POST("/api/v1/api-keys", {
          body: { name, scopes, expires_at: expires ? new Date(`${expires}T23:59:59Z`).toISOString() : null },
        }),
      ),
    onSuccess: (key) => {
      onCreated(key);
      setName("");
      setScopes(["read"]);
      setExpires("");
      return client.invalidateQueries({ queryKey: API_KEYS_KEY });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const toggle = (scope: ApiKeyScope, on: boolean) =>
    setScopes((current) => (on ? [...current, scope] : current.filter((s) => s !== scope)));
  return (
    <form onSubmit={submit} className="space-y-3" aria-label="Create an API key">
      <TextField label="Key name" value={name} onChange={(e) => setName(e.target.value)} error={fieldError(create.error, "name")} />
      <fieldset>
        <legend className="text-sm font-medium text-slate-700">Scopes</legend>
        <div className="mt-1 grid gap-1 sm:grid-cols-2">
          {SCOPES.map((scope) => (
            <label key={scope} className="flex items-start gap-2 text-sm">
              <input type="checkbox" checked={scopes.includes(scope)} onChange={(e) => toggle(scope, e.target.checked)} className="mt-1" />
              <span>
                <span className="font-mono">{scope}</span> <span className="text-slate-500">— {SCOPE_HINTS[scope]}</span>
              </span>
            </label>
          ))}
        </div>
        {fieldError(create.error, "scopes") && <p className="mt-1 text-sm text-red-700">{fieldError(create.error, "scopes")}</p>}
      </fieldset>
      <TextField
        label="Expires on (optional)"
        type="date"
        value={expires}
        onChange={(e) => setExpires(e.target.value)}
        error={fieldError(create.error, "expires_at")}
      />
      {create.error && <ErrorPanel error={create.error} />}
      <Button type="submit" busy={create.isPending}>
        Create key
      </Button>
    </form>
  );
}

function KeyTable({ keys }: { keys: Schemas["ApiKeyView"][] }) {
  const client = useQueryClient();
  const revoke = useMutation({
    mutationFn: (id: string) => ok(api.DELETE("/api/v1/api-keys/{id}", { params: { path: { id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: API_KEYS_KEY }),
  });
  if (keys.length === 0) return <p className="text-sm text-slate-600">You have no API keys.</p>;
  return (
    <>
      {revoke.error && <ErrorPanel error={revoke.error} />}
      <Table caption="Your API keys" head={["Name", "Scopes", "Status", "Last used", "Expires", ""]}>
        {keys.map((key) => (
          <tr key={key.id}>
            <Td>
              <span className="font-medium">{key.name}</span>
              <span className="block font-mono text-xs text-slate-500">{key.prefix}</span>
            </Td>
            <Td className="font-mono text-xs">{key.scopes.join(" ")}</Td>
            <Td>
              <Badge tone={STATUS_TONE[key.status]}>{key.status}</Badge>
            </Td>
            <Td>
              {formatDateTime(key.last_used_at)}
              {key.last_used_ip && <span className="block text-xs text-slate-500">{key.last_used_ip}</span>}
            </Td>
            <Td>{formatDateTime(key.expires_at)}</Td>
            <Td>
              {key.status === "active" && (
                <Button tone="danger" busy={revoke.isPending && revoke.variables === key.id} onClick={() => revoke.mutate(key.id)} aria-label={`Revoke ${key.name}`}>
                  Revoke
                </Button>
              )}
            </Td>
          </tr>
        ))}
      </Table>
    </>
  );
}
