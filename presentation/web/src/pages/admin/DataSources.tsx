import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas, upload as uploadWithProgress, fieldError } from "../../api/client";
import { useSession } from "../../auth/session";
import { Badge, Button, Dialog, EmptyState, ErrorPanel, PageHeader, QueryState, Table, Td, TextField, type BadgeTone } from "../../components/ui";
import { formatDateTime, humanize } from "../../lib/format";
import { LiveRun } from "./common";
import type { FeedKind } from "../../api/enums";

type Source = Schemas["DataSourceView"];
type Counts = Schemas["SyncCountsView"];
type BundleReport = Schemas["BundleReportView"];

export const SOURCES_KEY = ["data-sources"] as const;
const MAX_BUNDLE_BYTES = 512 * 1024 * 1024;

function statusTone(status: string): BadgeTone {
  return status === "succeeded" ? "green" : status === "failed" ? "red" : status === "running" ? "blue" : "slate";
}

/** How far the enabled sources' syncs are: those asked for or running are pending. */
export function syncProgress(sources: Source[]): { enabled: number; pending: number; succeeded: number; failed: number } {
  const enabled = sources.filter((s) => s.enabled);
  const pending = enabled.filter((s) => s.sync_requested || s.status === "running").length;
  const settled = enabled.filter((s) => !(s.sync_requested || s.status === "running"));
  return {
    enabled: enabled.length,
    pending,
    succeeded: settled.filter((s) => s.status === "succeeded").length,
    failed: settled.filter((s) => s.status === "failed").length,
  };
}

/** A bar for the syncs under way: "4 of 9 feeds synced". */
export function SyncProgress({ sources }: { sources: Source[] }) {
  const { enabled, pending, succeeded, failed } = syncProgress(sources);
  if (pending === 0) return null;
  const done = enabled - pending;
  return (
    <div role="status" className="rounded border border-blue-200 bg-blue-50 p-3 text-sm text-blue-900">
      <p>
        Syncing: {done} of {enabled} feeds done ({succeeded} succeeded{failed > 0 ? `, ${failed} failed` : ""}), {pending} to go.
      </p>
      <progress aria-label="Feeds synced" className="mt-2 h-2 w-full" max={enabled} value={done} />
    </div>
  );
}

function CountsText({ counts }: { counts: Counts | null | undefined }) {
  if (!counts) return <>—</>;
  return (
    <span className="text-xs">
      {counts.created} created, {counts.updated} updated, {counts.unchanged} unchanged, {counts.skipped} skipped
    </span>
  );
}

export function DataSourcesPage() {
  const { me } = useSession();
  const isAdmin = me.role === "admin";
  const client = useQueryClient();
  const sources = useQuery({
    queryKey: SOURCES_KEY,
    queryFn: () => ok(api.GET("/api/v1/data-sources")),
    // A sync in progress changes status and counts on its own.
    refetchInterval: (query) => (query.state.data?.some((s) => s.status === "running" || s.sync_requested) ? 3000 : false),
  });
  const [runs, setRuns] = useState<Record<string, string>>({});
  const [configuring, setConfiguring] = useState<Source | null>(null);
  const [uploading, setUploading] = useState<Source | null>(null);
  const sync = useMutation({
    mutationFn: (kind: FeedKind) => ok(api.POST("/api/v1/data-sources/{kind}/sync", { params: { path: { kind } } })),
    onSuccess: (run, kind) => {
      setRuns((prev) => ({ ...prev, [kind]: run.id }));
      return client.invalidateQueries({ queryKey: SOURCES_KEY });
    },
  });
  const refresh = () => client.invalidateQueries({ queryKey: SOURCES_KEY });

  return (
    <>
      <PageHeader
        title="Data sources"
        subtitle={isAdmin ? "The feeds the catalog is built from: sync them, configure them, or import an offline bundle." : "The feeds the catalog is built from, and how their last sync went."}
      />
      {sync.error && (
        <div className="mb-3">
          <ErrorPanel error={sync.error} />
        </div>
      )}
      {sources.data && (
        <div className="mb-3">
          <SyncProgress sources={sources.data} />
        </div>
      )}
      <QueryState query={sources} empty={(data) => (data.length === 0 ? <EmptyState title="No data sources are known" /> : null)}>
        {(data) => (
          <Table caption="Data sources" head={["Source", "Schedule", "Last sync", "Last counts", "Last error", ...(isAdmin ? [""] : [])]}>
            {data.map((s) => (
              <tr key={s.kind}>
                <Td className="min-w-[20rem] max-w-md">
                  <span className="font-medium">{s.title}</span> <code className="text-xs text-slate-500">{s.kind}</code>
                  <span className="block break-all text-xs text-slate-600">{s.url}</span>
                  <span className="block text-xs text-slate-500">Licence: {s.licence}</span>
                </Td>
                <Td>
                  {s.enabled ? <Badge tone="green">Enabled</Badge> : <Badge>Disabled</Badge>}
                  <span className="mt-1 block text-xs">{s.schedule ? <code>{s.schedule}</code> : "on request or upload"}</span>
                  {s.has_credential && <span className="block text-xs text-slate-500">credential stored</span>}
                </Td>
                <Td>
                  <Badge tone={statusTone(s.status)}>{s.status === "never" ? "Never synced" : humanize(s.status)}</Badge>
                  <span className="mt-1 block text-xs">{formatDateTime(s.last_sync_at)}</span>
                  {s.sync_requested && <span className="block text-xs text-blue-800">sync requested</span>}
                </Td>
                <Td>
                  <CountsText counts={s.last_counts} />
                </Td>
                <Td className="max-w-xs">{s.last_error ? <span className="text-xs text-red-800">{s.last_error}</span> : "—"}</Td>
                {isAdmin && (
                  <Td className="w-44">
                    <div className="flex flex-col items-start gap-1">
                      <Button tone="secondary" busy={sync.isPending && sync.variables === s.kind} onClick={() => sync.mutate(s.kind)}>
                        Sync now
                      </Button>
                      <Button tone="ghost" onClick={() => setConfiguring(s)}>
                        Configure
                      </Button>
                      <Button tone="ghost" onClick={() => setUploading(s)}>
                        Upload bundle
                      </Button>
                    </div>
                    {runs[s.kind] && (
                      <div className="mt-1">
                        <LiveRun id={runs[s.kind] ?? ""} onFinished={refresh} />
                      </div>
                    )}
                  </Td>
                )}
              </tr>
            ))}
          </Table>
        )}
      </QueryState>
      {configuring && <ConfigureDialog source={configuring} onClose={() => setConfiguring(null)} />}
      {uploading && <UploadDialog source={uploading} onClose={() => setUploading(null)} />}
    </>
  );
}

function ConfigureDialog({ source, onClose }: { source: Source; onClose: () => void }) {
  const client = useQueryClient();
  const [url, setUrl] = useState(source.url);
  const [enabled, setEnabled] = useState(source.enabled);
  const [schedule, setSchedule] = useState(source.schedule ?? "");
  const [credential, setCredential] = useState("");
  const [removeCredential, setRemoveCredential] = useState(false);
  const body: Schemas["DataSourceRequest"] = {
    ...(url !== source.url ? { url } : {}),
    ...(enabled !== source.enabled ? { enabled } : {}),
    // An empty schedule removes it: the source then syncs only on request or upload.
    ...(schedule.trim() !== (source.schedule ?? "") ? { schedule: schedule.trim() || null } : {}),
    ...(credential ? { credential } : removeCredential ? { credential: null } : {}),
  };
  const save = useMutation({
    mutationFn: () => ok(api.PATCH("/api/v1/data-sources/{kind}", { params: { path: { kind: source.kind } }, body })),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: SOURCES_KEY });
      onClose();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  const field = (name: string) => fieldError(save.error, name);
  return (
    <Dialog open title={`Configure ${source.title}`} onClose={onClose}>
      <form onSubmit={submit} className="space-y-3" noValidate>
        <TextField label="URL" type="url" value={url} onChange={(e) => setUrl(e.target.value)} error={field("url")} required />
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} className="h-4 w-4" />
          Enabled
        </label>
        {field("enabled") && <p className="text-xs text-red-700">{field("enabled")}</p>}
        <TextField
          label="Schedule"
          value={schedule}
          onChange={(e) => setSchedule(e.target.value)}
          error={field("schedule")}
          hint="A cron expression with seconds first, in UTC (e.g. 0 0 4 * * * daily at 04:00). Empty: only on request or upload."
        />
        <TextField
          label="Credential"
          type="password"
          autoComplete="off"
          value={credential}
          onChange={(e) => setCredential(e.target.value)}
          error={field("credential")}
          hint={source.has_credential ? "A credential is stored (it is never shown). Type a new one to replace it." : "A token such as a GitHub token, stored encrypted. None is stored."}
        />
        {source.has_credential && (
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={removeCredential} disabled={credential !== ""} onChange={(e) => setRemoveCredential(e.target.checked)} className="h-4 w-4" />
            Remove the stored credential
          </label>
        )}
        {save.error && <ErrorPanel error={save.error} />}
        <div className="flex justify-end gap-2">
          <Button tone="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" busy={save.isPending} disabled={Object.keys(body).length === 0}>
            Save
          </Button>
        </div>
      </form>
    </Dialog>
  );
}


export function UploadDialog({ source, onClose }: { source: Source; onClose: () => void }) {
  const client = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState(0);
  const upload = useMutation({
    mutationFn: (f: File) => uploadWithProgress<BundleReport>(`/api/v1/data-sources/${encodeURIComponent(source.kind)}/bundle`, f, setProgress),
    onSuccess: () => client.invalidateQueries({ queryKey: SOURCES_KEY }),
  });
  const tooBig = file !== null && file.size > MAX_BUNDLE_BYTES;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (file && !tooBig) {
      setProgress(0);
      upload.mutate(file);
    }
  };
  const report = upload.data;
  return (
    <Dialog open title={`Upload a bundle for ${source.title}`} onClose={onClose}>
      {report ? (
        <div className="space-y-3 text-sm">
          <p role="status">
            Imported: <CountsText counts={report.counts} />
          </p>
          {report.skipped.length > 0 && (
            <details>
              <summary className="cursor-pointer">{report.skipped.length} files or items skipped</summary>
              <ul className="mt-1 max-h-48 list-disc overflow-y-auto pl-5 text-xs">
                {report.skipped.map((s, i) => (
                  <li key={`${s.path}-${i}`}>
                    <code>{s.path}</code>: {s.reason}
                  </li>
                ))}
              </ul>
            </details>
          )}
          <Button onClick={onClose}>Done</Button>
        </div>
      ) : (
        <form onSubmit={submit} className="space-y-3" noValidate>
          <p className="text-sm text-slate-700">A .zip or .tar.gz of the source's files, or one file in its format, at most 512 MiB. It is imported now, in place of a download.</p>
          <TextField
            label="Bundle file"
            type="file"
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            error={tooBig ? "The file is larger than 512 MiB." : fieldError(upload.error, "bundle")}
          />
          {upload.isPending && (
            <div>
              <label className="text-xs text-slate-600" htmlFor="bundle-progress">
                {progress < 1 ? `Uploading… ${Math.round(progress * 100)} %` : "Importing…"}
              </label>
              <progress id="bundle-progress" className="h-2 w-full" max={1} value={progress} />
            </div>
          )}
          {upload.error && <ErrorPanel error={upload.error} />}
          <div className="flex justify-end gap-2">
            <Button tone="secondary" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" busy={upload.isPending} disabled={!file || tooBig}>
              Upload and import
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
