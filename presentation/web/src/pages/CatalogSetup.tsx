import { useEffect, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, ok, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { Button, Card } from "../components/ui";
import { SOURCES_KEY, SyncProgress, UploadDialog, syncProgress } from "./admin/DataSources";

type Source = Schemas["DataSourceView"];

/**
 * The dashboard's first-run help: while the feeds sync (the first start of an installation
 * with an empty catalog syncs them all at once) a banner with their progress; when the
 * catalog is still empty and nothing is syncing (an offline site: the downloads failed), an
 * onboarding panel from which an admin uploads ATT&CK and the feed archives, with where to
 * download each.
 */
export function CatalogSetup({ totalTechniques }: { totalTechniques: number }) {
  const { me } = useSession();
  const client = useQueryClient();
  const sources = useQuery({
    queryKey: SOURCES_KEY,
    queryFn: () => ok(api.GET("/api/v1/data-sources")),
    refetchInterval: (query) => (query.state.data?.some((s) => s.enabled && (s.status === "running" || s.sync_requested)) ? 3000 : false),
  });
  const pending = sources.data ? syncProgress(sources.data).pending : 0;
  const [wasSyncing, setWasSyncing] = useState(false);
  useEffect(() => {
    // When the syncs end, the dashboard's numbers change: read them again.
    if (pending > 0) setWasSyncing(true);
    else if (wasSyncing) {
      setWasSyncing(false);
      void client.invalidateQueries({ queryKey: ["dashboard"] });
    }
  }, [pending, wasSyncing, client]);
  if (!sources.data) return null;
  if (pending > 0) {
    return (
      <div className="space-y-1">
        <SyncProgress sources={sources.data} />
        <p className="text-xs text-slate-600">
          ATT&CK and the public feeds are being imported. <Link className="underline" to="/admin/data-sources">Follow each source</Link>
        </p>
      </div>
    );
  }
  if (totalTechniques > 0) return null;
  return <Onboarding sources={sources.data} isAdmin={me.role === "admin"} />;
}

function Onboarding({ sources, isAdmin }: { sources: Source[]; isAdmin: boolean }) {
  const [uploading, setUploading] = useState<Source | null>(null);
  if (!isAdmin) {
    return (
      <Card title="No ATT&CK catalog yet">
        <p className="text-sm">This installation has not imported MITRE ATT&CK yet. An administrator imports it from the dashboard or the data sources page.</p>
      </Card>
    );
  }
  const enabled = sources.filter((s) => s.enabled);
  return (
    <Card title="Set up the catalog">
      <div className="space-y-3 text-sm">
        <p>
          The catalog is empty and the feeds could not be downloaded (this server seems to be offline). On a machine with internet access, download each file below, bring
          it here and upload it: ATT&CK first, since the other feeds refer to its techniques.
        </p>
        <ol className="list-decimal space-y-2 pl-5">
          {enabled.map((s) => (
            <li key={s.kind}>
              <span className="font-medium">{s.title}</span>{" "}
              {s.status === "succeeded" ? <span className="text-green-800">(imported)</span> : null}
              <a className="block break-all text-xs text-blue-800 underline" href={s.url} rel="noreferrer" target="_blank">
                {s.url}
              </a>
              {s.last_error && <span className="block text-xs text-red-800">Last attempt: {s.last_error}</span>}
              <Button tone="secondary" onClick={() => setUploading(s)}>
                Upload {s.title}
              </Button>
            </li>
          ))}
        </ol>
        <p className="text-xs text-slate-600">
          The command line does the same: <code>aegis import attack --path enterprise-attack.json</code>, <code>aegis import sigma --path sigma_all_rules.zip</code>, …
        </p>
      </div>
      {uploading && <UploadDialog source={uploading} onClose={() => setUploading(null)} />}
    </Card>
  );
}
