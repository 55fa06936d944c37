import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, fieldError, ok, type Schemas } from "../../api/client";
import { useSession } from "../../auth/session";
import { Badge, Button, Card, ErrorPanel, PageHeader, QueryState, TextField } from "../../components/ui";
import { formatDateTime } from "../../lib/format";
import { AdminOnly } from "./common";

type Config = Schemas["JiraConfigView"];
const KEY = ["jira-config"] as const;

export function JiraSettingsPage() {
  const { me } = useSession();
  if (me.role !== "admin") return <AdminOnly title="Jira" />;
  return <JiraSettings />;
}

function JiraSettings() {
  const config = useQuery({ queryKey: KEY, queryFn: () => ok(api.GET("/api/v1/tickets/jira/config")) });
  return (
    <>
      <PageHeader title="Jira" subtitle="Create Jira issues from findings, bring their statuses back, and push sealed worklogs to Tempo (docs/tickets.md)." />
      <QueryState query={config}>{(data) => <JiraForm key={data.updated_at ?? "new"} config={data} />}</QueryState>
    </>
  );
}

/** The settings form: tokens are write-only (left empty, the stored one is kept). */
function JiraForm({ config }: { config: Config }) {
  const client = useQueryClient();
  const [baseUrl, setBaseUrl] = useState(config.base_url ?? "");
  const [email, setEmail] = useState(config.email ?? "");
  const [apiToken, setApiToken] = useState("");
  const [projectKey, setProjectKey] = useState(config.project_key ?? "");
  const [issueType, setIssueType] = useState(config.issue_type ?? "Task");
  const [labels, setLabels] = useState(config.labels.join(", "));
  const [aegisUrl, setAegisUrl] = useState(config.aegis_url ?? window.location.origin);
  const [tempoToken, setTempoToken] = useState("");
  const [tempoAccount, setTempoAccount] = useState(config.tempo_account_id ?? "");
  const save = useMutation({
    mutationFn: () =>
      ok(
        api.PUT("/api/v1/tickets/jira/config", {
          body: {
            base_url: baseUrl,
            email,
            api_token: apiToken || undefined,
            project_key: projectKey,
            issue_type: issueType,
            labels: labels
              .split(",")
              .map((l) => l.trim())
              .filter(Boolean),
            aegis_url: aegisUrl || undefined,
            tempo_token: tempoToken || undefined,
            tempo_account_id: tempoAccount || undefined,
          },
        }),
      ),
    onSuccess: async (saved) => {
      setApiToken("");
      setTempoToken("");
      client.setQueryData(KEY, saved);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  const shown = save.data ?? config;
  return (
    <Card
      title="Connection"
      actions={
        <>
          <Badge tone={shown.configured ? "green" : "slate"}>{shown.configured ? "Configured" : "Not configured"}</Badge>
          {shown.tempo_enabled && <Badge tone="green">Tempo on</Badge>}
        </>
      }
    >
      <form onSubmit={submit} className="grid max-w-2xl gap-3" aria-label="Jira settings">
        <TextField label="Jira address" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} placeholder="https://your-site.atlassian.net" error={fieldError(save.error, "base_url")} />
        <TextField label="Account email" value={email} onChange={(e) => setEmail(e.target.value)} error={fieldError(save.error, "email")} />
        <TextField
          label="API token"
          type="password"
          autoComplete="off"
          value={apiToken}
          onChange={(e) => setApiToken(e.target.value)}
          hint={shown.api_token_set ? "A token is stored; leave empty to keep it." : "Required the first time."}
          error={fieldError(save.error, "api_token")}
        />
        <TextField label="Project key" value={projectKey} onChange={(e) => setProjectKey(e.target.value)} placeholder="SEC" error={fieldError(save.error, "project_key")} />
        <TextField label="Issue type" value={issueType} onChange={(e) => setIssueType(e.target.value)} error={fieldError(save.error, "issue_type")} />
        <TextField label="Labels" value={labels} onChange={(e) => setLabels(e.target.value)} hint="Comma-separated, no spaces within a label." error={fieldError(save.error, "labels")} />
        <TextField label="Aegis address for links" value={aegisUrl} onChange={(e) => setAegisUrl(e.target.value)} error={fieldError(save.error, "aegis_url")} />
        <TextField
          label="Tempo API token"
          type="password"
          autoComplete="off"
          value={tempoToken}
          onChange={(e) => setTempoToken(e.target.value)}
          hint={shown.tempo_token_set ? "A token is stored; leave empty to keep it." : "Optional: push sealed worklogs to Tempo."}
          error={fieldError(save.error, "tempo_token")}
        />
        <TextField label="Tempo author account id" value={tempoAccount} onChange={(e) => setTempoAccount(e.target.value)} error={fieldError(save.error, "tempo_account_id")} />
        {save.error && <ErrorPanel error={save.error} />}
        <div className="flex items-center gap-3">
          <Button type="submit" busy={save.isPending}>
            Save
          </Button>
          {shown.updated_at && <span className="text-xs text-slate-500">Saved {formatDateTime(shown.updated_at)}</span>}
        </div>
      </form>
    </Card>
  );
}
