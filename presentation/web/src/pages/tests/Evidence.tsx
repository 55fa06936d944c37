import { useId, useRef, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, upload, type Schemas } from "../../api/client";
import { Badge, Button, Card, EmptyState, ErrorPanel, QueryState, SelectField } from "../../components/ui";
import { formatBytes, formatDateTime, humanize } from "../../lib/format";
import { can } from "../../lib/permissions";

type Test = Schemas["TestView"];
type Evidence = Schemas["EvidenceView"];


/** The team whose phase it is adds evidence; admins may add to either team until validation. */
export function uploadTeams(state: string, role: string): string[] {
  if (role === "admin") return state === "validated" ? [] : state === "blue_evaluating" ? ["blue", "red"] : ["red", "blue"];
  if ((state === "draft" || state === "red_executing") && can(role, "execute_red")) return ["red"];
  if (state === "blue_evaluating" && can(role, "evaluate_blue")) return ["blue"];
  return [];
}

export function EvidencePanel({ test, role, nameOf }: { test: Test; role: string; nameOf: (id: string) => string }) {
  const evidence = useQuery({
    queryKey: ["tests", test.id, "evidence"],
    queryFn: () => ok(api.GET("/api/v1/tests/{id}/evidence", { params: { path: { id: test.id } } })),
  });
  const teams = uploadTeams(test.state, role);
  return (
    <Card title="Evidence">
      {teams.length > 0 && <UploadForm testId={test.id} teams={teams} />}
      <QueryState query={evidence} empty={(items) => (items.length === 0 ? <EmptyState title="No evidence yet" /> : null)}>
        {(items) => (
          <ul className="divide-y divide-slate-100">
            {items.map((item) => (
              <EvidenceRow key={item.id} item={item} nameOf={nameOf} />
            ))}
          </ul>
        )}
      </QueryState>
    </Card>
  );
}

function UploadForm({ testId, teams }: { testId: string; teams: string[] }) {
  const client = useQueryClient();
  const inputId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [team, setTeam] = useState(teams[0] ?? "red");
  const [progress, setProgress] = useState<number | null>(null);
  const [uploaded, setUploaded] = useState<Evidence | null>(null);
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    const form = new FormData();
    form.append("file", file, file.name);
    setError(null);
    setUploaded(null);
    setProgress(0);
    try {
      const query = teams.length > 1 ? `?team=${team}` : "";
      const result = await upload<Evidence>(`/api/v1/tests/${testId}/evidence${query}`, form, setProgress);
      setUploaded(result);
      setFile(null);
      if (input.current) input.current.value = "";
      await client.invalidateQueries({ queryKey: ["tests", testId] });
    } catch (e) {
      setError(e);
    } finally {
      setProgress(null);
    }
  };
  return (
    <form onSubmit={submit} className="mb-4 space-y-2 rounded-md border border-slate-200 bg-slate-50 p-3">
      <div className="flex flex-wrap items-end gap-3">
        <div className="min-w-0 flex-1 space-y-1">
          <label htmlFor={inputId} className="block text-sm font-medium text-slate-700">
            Evidence file
          </label>
          <input
            id={inputId}
            ref={input}
            type="file"
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              setUploaded(null);
              setError(null);
            }}
            className="block w-full text-sm file:mr-3 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-3 file:py-1.5 file:text-sm file:font-medium hover:file:bg-slate-100"
          />
        </div>
        {teams.length > 1 && (
          <div className="w-36">
            <SelectField label="For team" value={team} onChange={(e) => setTeam(e.target.value)} options={teams.map((t) => [t, humanize(t)] as const)} />
          </div>
        )}
        <Button type="submit" disabled={!file} busy={progress !== null}>
          Upload
        </Button>
      </div>
      {progress !== null && (
        <div className="flex items-center gap-2 text-xs text-slate-600">
          <progress className="h-2 w-full" aria-label="Upload progress" max={1} value={progress} />
          {Math.round(progress * 100)} %
        </div>
      )}
      {uploaded && (
        <p role="status" className="text-sm text-green-900">
          Uploaded {uploaded.filename}. SHA-256 <span className="break-all font-mono text-xs">{uploaded.sha256}</span>
        </p>
      )}
      {error !== null && <ErrorPanel error={error} />}
    </form>
  );
}

function EvidenceRow({ item, nameOf }: { item: Evidence; nameOf: (id: string) => string }) {
  const client = useQueryClient();
  const [showCustody, setShowCustody] = useState(false);
  const custodyId = useId();
  const detail = useQuery({
    queryKey: ["evidence", item.id],
    queryFn: () => ok(api.GET("/api/v1/evidence/{id}", { params: { path: { id: item.id } } })),
    enabled: showCustody,
  });
  const verify = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/evidence/{id}/verify", { params: { path: { id: item.id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ["evidence", item.id] }),
  });
  const deleted = item.deleted_at !== null && item.deleted_at !== undefined;
  return (
    <li className="py-3 text-sm">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <p className="font-medium text-slate-900">
            {item.filename} <Badge tone={item.team === "red" ? "red" : "blue"}>{humanize(item.team)}</Badge> {deleted && <Badge tone="amber">Deleted</Badge>}
          </p>
          <p className="text-xs text-slate-600">
            {formatBytes(item.size_bytes)} · {item.content_type} · {nameOf(item.uploaded_by)}, {formatDateTime(item.uploaded_at)}
          </p>
          <p className="break-all font-mono text-xs text-slate-700">
            <span className="font-sans text-slate-500">SHA-256 </span>
            {item.sha256}
          </p>
          {deleted && (
            <p className="text-xs text-amber-900">
              Deleted {formatDateTime(item.deleted_at)}: {item.delete_reason ?? "no reason given"}
            </p>
          )}
        </div>
        <div className="flex shrink-0 gap-1">
          {!deleted && (
            <>
              <a href={`/api/v1/evidence/${item.id}/download`} className="inline-flex items-center rounded-md px-3 py-1.5 text-sm font-medium text-blue-800 hover:bg-blue-50">
                Download<span className="sr-only"> {item.filename}</span>
              </a>
              <Button tone="secondary" busy={verify.isPending} onClick={() => verify.mutate()}>
                Verify<span className="sr-only"> {item.filename}</span>
              </Button>
            </>
          )}
          <Button tone="ghost" aria-expanded={showCustody} aria-controls={custodyId} onClick={() => setShowCustody((v) => !v)}>
            Custody log<span className="sr-only"> of {item.filename}</span>
          </Button>
        </div>
      </div>
      {verify.data && (
        <p role="status" className={`mt-1 text-sm ${verify.data.intact ? "text-green-900" : "text-red-900"}`}>
          {verify.data.intact ? "Intact: the stored file still hashes to the recorded SHA-256." : `Altered: the stored file now hashes to ${verify.data.recomputed_sha256}.`}
        </p>
      )}
      {verify.error && <ErrorPanel error={verify.error} />}
      {showCustody && (
        <div id={custodyId} className="mt-2 rounded-md border border-slate-200 p-2">
          <QueryState query={detail} empty={(d) => (!d.custody || d.custody.length === 0 ? <p className="text-xs text-slate-500">No custody entries.</p> : null)}>
            {(d) => (
              <ol className="space-y-1 text-xs">
                {(d.custody ?? []).map((entry, i) => (
                  <li key={i} className="flex flex-wrap gap-x-2">
                    <Badge tone={entry.kind === "verification_failed" || entry.kind === "deleted" ? "red" : entry.kind === "verified" ? "green" : "slate"}>{humanize(entry.kind)}</Badge>
                    <span>{nameOf(entry.actor_id)}</span>
                    <span className="text-slate-500">{formatDateTime(entry.occurred_at)}</span>
                    <span className="font-mono text-slate-500" title={entry.sha256}>
                      {entry.sha256.slice(0, 12)}…{entry.sha256 === item.sha256 ? "" : " (differs)"}
                    </span>
                  </li>
                ))}
              </ol>
            )}
          </QueryState>
        </div>
      )}
    </li>
  );
}
