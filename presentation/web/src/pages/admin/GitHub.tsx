import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, fieldError, ok, type Schemas } from "../../api/client";
import { useSession } from "../../auth/session";
import { Badge, Button, Card, EmptyState, ErrorPanel, PageHeader, QueryState, Table, Td, TextArea, TextField, type BadgeTone } from "../../components/ui";
import { formatDateTime } from "../../lib/format";
import { AdminOnly } from "./common";

type Config = Schemas["GithubConfigView"];
type Delivery = Schemas["GithubDeliveryView"];
const CONFIG_KEY = ["github-config"] as const;
const DELIVERIES_KEY = ["github-deliveries"] as const;
const RESULT_TONE: Record<Delivery["result"], BadgeTone> = { scanned: "green", ignored: "slate", failed: "red" };

export function GithubSettingsPage() {
  const { me } = useSession();
  if (me.role !== "admin") return <AdminOnly title="GitHub" />;
  return <GithubSettings />;
}

function GithubSettings() {
  const config = useQuery({ queryKey: CONFIG_KEY, queryFn: () => ok(api.GET("/api/v1/integrations/github")) });
  return (
    <>
      <PageHeader
        title="GitHub"
        subtitle="Scan the pull requests of your detection repositories and report each scan back as a check run (docs/scans.md)."
      />
      <div className="grid gap-6">
        <QueryState query={config}>{(data) => <GithubForm key={data.updated_at ?? "new"} config={data} />}</QueryState>
        <Deliveries />
      </div>
    </>
  );
}

/** The settings form: the token and the webhook secret are write-only (left empty, the stored ones are kept). */
function GithubForm({ config }: { config: Config }) {
  const client = useQueryClient();
  const [apiUrl, setApiUrl] = useState(config.api_url ?? "https://api.github.com");
  const [token, setToken] = useState("");
  const [secret, setSecret] = useState("");
  const [repositories, setRepositories] = useState(config.repositories.join("\n"));
  const [checkName, setCheckName] = useState(config.check_name ?? "Aegis detection scan");
  const [active, setActive] = useState(config.configured ? config.active : true);
  const save = useMutation({
    mutationFn: () =>
      ok(
        api.PUT("/api/v1/integrations/github", {
          body: {
            api_url: apiUrl,
            token: token || undefined,
            webhook_secret: secret || undefined,
            repositories: repositories
              .split("\n")
              .map((r) => r.trim())
              .filter(Boolean),
            active,
            check_name: checkName || undefined,
          },
        }),
      ),
    onSuccess: (saved) => {
      setToken("");
      setSecret("");
      client.setQueryData(CONFIG_KEY, saved);
    },
  });
  const remove = useMutation({
    mutationFn: () => ok(api.DELETE("/api/v1/integrations/github")),
    onSuccess: () => client.invalidateQueries({ queryKey: CONFIG_KEY }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  const shown = save.data ?? config;
  const repositoryError = (save.error && (fieldError(save.error, "repositories") ?? firstIndexed(save.error, "repositories"))) || undefined;
  return (
    <Card
      title="Integration"
      actions={
        <>
          <Badge tone={shown.configured ? "green" : "slate"}>{shown.configured ? "Configured" : "Not configured"}</Badge>
          {shown.configured && <Badge tone={shown.active ? "green" : "amber"}>{shown.active ? "Active" : "Paused"}</Badge>}
        </>
      }
    >
      <p className="mb-3 text-sm text-slate-600">
        In each repository, add a webhook: payload URL <code className="rounded bg-slate-100 px-1">{window.location.origin + shown.webhook_path}</code>, content
        type <code className="rounded bg-slate-100 px-1">application/json</code>, the secret below, and the event “Pull requests”. The token needs Checks (write),
        Pull requests (read) and Contents (read).
      </p>
      <form onSubmit={submit} className="grid max-w-2xl gap-3" aria-label="GitHub settings">
        <TextField label="API address" value={apiUrl} onChange={(e) => setApiUrl(e.target.value)} hint="GitHub Enterprise Server: https://HOST/api/v3" error={fieldError(save.error, "api_url")} />
        <TextField
          label="Token"
          type="password"
          autoComplete="off"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          hint={shown.token_set ? "A token is stored; leave empty to keep it." : "Required the first time."}
          error={fieldError(save.error, "token")}
        />
        <TextField
          label="Webhook secret"
          type="password"
          autoComplete="off"
          value={secret}
          onChange={(e) => setSecret(e.target.value)}
          hint={shown.webhook_secret_set ? "A secret is stored; leave empty to keep it." : "Required the first time: 16 characters or more."}
          error={fieldError(save.error, "webhook_secret")}
        />
        <TextArea label="Repositories (owner/name, one per line)" rows={4} value={repositories} onChange={(e) => setRepositories(e.target.value)} error={repositoryError} />
        <TextField label="Check run name" value={checkName} onChange={(e) => setCheckName(e.target.value)} error={fieldError(save.error, "check_name")} />
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} className="h-4 w-4" />
          Active (take webhook deliveries)
        </label>
        {save.error && <ErrorPanel error={save.error} />}
        {remove.error && <ErrorPanel error={remove.error} />}
        <div className="flex items-center gap-3">
          <Button type="submit" busy={save.isPending}>
            Save
          </Button>
          {shown.configured && (
            <Button type="button" tone="secondary" busy={remove.isPending} onClick={() => remove.mutate()}>
              Remove integration
            </Button>
          )}
          {shown.updated_at && <span className="text-xs text-slate-500">Saved {formatDateTime(shown.updated_at)}</span>}
        </div>
      </form>
    </Card>
  );
}

/** The first message the server gave for `repositories[i]`. */
function firstIndexed(error: unknown, field: string): string | undefined {
  for (let i = 0; i < 200; i++) {
    const message = fieldError(error, `${field}[${i}]`);
    if (message) return `Line ${i + 1}: ${message}`;
  }
  return undefined;
}

function Deliveries() {
  const deliveries = useQuery({ queryKey: DELIVERIES_KEY, queryFn: () => ok(api.GET("/api/v1/integrations/github/deliveries")) });
  return (
    <section aria-labelledby="github-deliveries">
      <h2 id="github-deliveries" className="mb-2 text-lg font-semibold">
        Recent deliveries
      </h2>
      <QueryState query={deliveries}>
        {(list) =>
          list.items.length === 0 ? (
            <EmptyState title="No deliveries yet">GitHub’s ping and pull request events appear here.</EmptyState>
          ) : (
            <Table caption="GitHub deliveries" head={["Delivery", "Event", "Repository", "Result", "Scan", "Received"]}>
              {list.items.map((d) => (
                <tr key={d.delivery_id}>
                  <Td className="font-mono text-xs">{d.delivery_id}</Td>
                  <Td>
                    {d.event}
                    {d.action && <span className="text-slate-500"> · {d.action}</span>}
                  </Td>
                  <Td>
                    {d.repository ?? "—"}
                    {d.pull_request != null && <span className="text-slate-500"> #{d.pull_request}</span>}
                  </Td>
                  <Td>
                    <Badge tone={RESULT_TONE[d.result]}>{d.result}</Badge>
                    {d.error && <span className="block text-xs text-red-700">{d.error}</span>}
                  </Td>
                  <Td>{d.scan_id ? <Link to={`/scans/${d.scan_id}`}>Scan {d.scan_id.slice(0, 8)}</Link> : "—"}</Td>
                  <Td className="whitespace-nowrap">{formatDateTime(d.received_at)}</Td>
                </tr>
              ))}
            </Table>
          )
        }
      </QueryState>
    </section>
  );
}
