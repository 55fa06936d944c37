import { useState, type ReactNode } from "react";
import { Link, useParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiProblem, fieldError, ok } from "../../api/client";
import { useSession } from "../../auth/session";
import { Badge, Button, Card, Dialog, EmptyState, ErrorPanel, Loading, PageHeader, QueryState, TextArea, TextField } from "../../components/ui";
import { formatBytes, formatDateTime, humanize, severityTone } from "../../lib/format";
import { can } from "../../lib/permissions";
import { Facts, FormProblem } from "../listing";
import { readDiff, type DiffFile, type DiffLine } from "./diffView";
import { decisionTone, endOfDay, fetchArtifact, fetchDiff, scanStatusTone, verifyArtifact, type Scan, type ScanFinding, type Verification } from "./scanApi";

const WAIVER_LABELS: Record<string, string> = { suppression: "suppression", baseline: "baseline", exception: "exception" };

/** One finding, where it is shown: under its line, or at its file's top. */
export function FindingNote({ finding, onSuppress }: { finding: ScanFinding; onSuppress?: ((finding: ScanFinding) => void) | undefined }) {
  const tone = finding.blocks ? "border-red-300 bg-red-50" : finding.waived ? "border-slate-200 bg-slate-50" : "border-amber-200 bg-amber-50";
  return (
    <div data-testid="finding" data-rule={finding.rule_id} className={`my-1 rounded border px-3 py-2 font-sans text-sm ${tone}`}>
      <div className="flex flex-wrap items-center gap-2">
        <Badge tone={severityTone(finding.severity)}>{humanize(finding.severity)}</Badge>
        <code className="text-xs font-semibold text-slate-800">{finding.rule_id}</code>
        {finding.blocks && <Badge tone="red">BLOCKS</Badge>}
        {finding.waived && <Badge tone="purple">Waived by {WAIVER_LABELS[finding.waived.kind] ?? finding.waived.kind}</Badge>}
        {onSuppress && !finding.waived && (
          <Button tone="ghost" className="ml-auto !py-0.5 text-xs" onClick={() => onSuppress(finding)} aria-label={`Suppress ${finding.rule_id} in ${finding.file}${finding.line ? ` line ${finding.line}` : ""}`}>
            Suppress
          </Button>
        )}
      </div>
      <p className="mt-1 whitespace-pre-wrap break-words text-slate-900">{finding.message}</p>
      {finding.suggestion && <p className="mt-0.5 whitespace-pre-wrap break-words text-slate-700">Suggestion: {finding.suggestion}</p>}
      {finding.waived && (
        <p className="mt-0.5 text-xs text-slate-600">
          {humanize(finding.waived.kind)}: {finding.waived.reason}
          {finding.waived.expires_at ? ` (until ${formatDateTime(finding.waived.expires_at)})` : ""}
        </p>
      )}
    </div>
  );
}

const LINE_TONES: Record<DiffLine["kind"], string> = {
  added: "bg-green-50",
  removed: "bg-red-50",
  context: "",
  note: "text-slate-600 italic",
};
const MARKS: Record<DiffLine["kind"], string> = { added: "+", removed: "-", context: " ", note: "\\" };

/**
 * A file of the diff with its findings under the lines they name. The text is rendered as
 * text (never as markup), and invisible or bidirectional characters are shown, since they are
 * exactly what a reviewer must see.
 */
export function DiffFileView({ file, findings, onSuppress }: { file: DiffFile; findings: ScanFinding[]; onSuppress?: ((finding: ScanFinding) => void) | undefined }) {
  const byLine = new Map<number, ScanFinding[]>();
  const whole: ScanFinding[] = [];
  for (const finding of findings) {
    if (finding.line === null || finding.line === undefined) whole.push(finding);
    else byLine.set(finding.line, [...(byLine.get(finding.line) ?? []), finding]);
  }
  // Findings on lines the diff does not show (outside every hunk) go to the top too.
  const shown = new Set(file.hunks.flatMap((h) => h.lines.map((l) => l.newNumber)).filter((n): n is number => n !== null));
  for (const [line, list] of byLine) if (!shown.has(line)) whole.push(...list);
  return (
    <section aria-label={`File ${file.path}`} className="overflow-hidden rounded-lg border border-slate-200 bg-white">
      <header className="flex flex-wrap items-center gap-2 border-b border-slate-200 bg-slate-50 px-3 py-2 text-sm">
        <h3 className="break-all font-mono font-semibold text-slate-900">{visible(file.path)}</h3>
        {file.status !== "changed" && <Badge tone={file.status === "deleted" ? "red" : file.status === "added" ? "green" : "blue"}>{humanize(file.status)}</Badge>}
        {file.status === "renamed" && file.oldPath && <span className="break-all text-xs text-slate-600">from {visible(file.oldPath)}</span>}
        {findings.length > 0 && <span className="ml-auto text-xs text-slate-600">{findings.length} {findings.length === 1 ? "finding" : "findings"}</span>}
      </header>
      {whole.length > 0 && (
        <div className="border-b border-slate-200 px-3 py-1">
          {whole.map((f) => (
            <FindingNote key={`${f.fingerprint}-${f.line ?? "file"}`} finding={f} onSuppress={onSuppress} />
          ))}
        </div>
      )}
      {file.binary && <p className="px-3 py-2 text-sm text-slate-600">A binary file: no text to show.</p>}
      {file.hunks.length > 0 && (
        <table className="w-full table-fixed border-collapse font-mono text-xs">
          <colgroup>
            <col className="w-12" />
            <col className="w-12" />
            <col className="w-5" />
            <col />
          </colgroup>
          <thead className="sr-only">
            <tr>
              <th scope="col">Old line</th>
              <th scope="col">New line</th>
              <th scope="col">Change</th>
              <th scope="col">Text</th>
            </tr>
          </thead>
          {file.hunks.map((hunk, h) => (
            <tbody key={h}>
              <tr className="bg-blue-50 text-slate-600">
                <td colSpan={4} className="px-3 py-0.5">
                  {hunk.header}
                </td>
              </tr>
              {hunk.lines.map((line, i) => {
                const notes = line.newNumber !== null && line.kind !== "removed" ? byLine.get(line.newNumber) : undefined;
                return [
                  <tr key={`l${i}`} className={LINE_TONES[line.kind]} data-new-line={line.newNumber ?? undefined}>
                    <td className="select-none px-1 text-right align-top text-slate-600">{line.oldNumber ?? ""}</td>
                    <td className="select-none px-1 text-right align-top text-slate-600">{line.newNumber ?? ""}</td>
                    <td className="select-none text-center align-top text-slate-600">{MARKS[line.kind]}</td>
                    <td className="whitespace-pre-wrap break-all pr-3 align-top">{visible(line.text)}</td>
                  </tr>,
                  notes ? (
                    <tr key={`f${i}`}>
                      <td colSpan={4} className="px-3">
                        {notes.map((f) => (
                          <FindingNote key={f.fingerprint} finding={f} onSuppress={onSuppress} />
                        ))}
                      </td>
                    </tr>
                  ) : null,
                ];
              })}
            </tbody>
          ))}
        </table>
      )}
    </section>
  );
}

/**
 * Bidirectional and invisible characters as visible markers (`⟨U+202E⟩`), so a Trojan Source
 * line reads as what it is, not as what it pretends.
 */
export function visible(text: string): ReactNode {
  const hidden = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\u00AD\u034F\u115F\u1160\u180E\u3164\uFEFF\uFFA0]/g;
  if (!hidden.test(text)) return text;
  hidden.lastIndex = 0;
  const parts: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(hidden)) {
    const at = match.index;
    parts.push(text.slice(last, at));
    const code = (match[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
    parts.push(
      <mark key={at} className="rounded bg-red-200 px-0.5 text-red-900" title="An invisible or bidirectional character">
        ⟨U+{code}⟩
      </mark>,
    );
    last = at + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

/** The diff file by file, each finding under its line; findings of files the diff does not show last. */
export function DiffWithFindings({ diff, findings, onSuppress }: { diff: string; findings: ScanFinding[]; onSuppress?: ((finding: ScanFinding) => void) | undefined }) {
  const files = readDiff(diff);
  const paths = new Set(files.map((f) => f.path));
  const orphans = findings.filter((f) => !paths.has(f.file));
  const of = (file: DiffFile) => findings.filter((f) => f.file === file.path);
  return (
    <div className="space-y-4">
      {files.map((file, i) => (
        <DiffFileView key={`${file.path}-${i}`} file={file} findings={of(file)} onSuppress={onSuppress} />
      ))}
      {orphans.length > 0 && <FindingsByFile findings={orphans} onSuppress={onSuppress} />}
    </div>
  );
}

/** Findings grouped by file, for when the diff is not at hand (or names files oddly). */
function FindingsByFile({ findings, onSuppress }: { findings: ScanFinding[]; onSuppress?: ((finding: ScanFinding) => void) | undefined }) {
  const files = [...new Set(findings.map((f) => f.file))];
  return (
    <>
      {files.map((file) => (
        <section key={file} aria-label={`File ${file}`} className="rounded-lg border border-slate-200 bg-white p-3">
          <h3 className="break-all font-mono text-sm font-semibold">{visible(file)}</h3>
          {findings
            .filter((f) => f.file === file)
            .map((f) => (
              <div key={`${f.fingerprint}-${f.line ?? "file"}`}>
                {f.line !== null && f.line !== undefined && <p className="mt-2 text-xs text-slate-500">Line {f.line}</p>}
                <FindingNote finding={f} onSuppress={onSuppress} />
              </div>
            ))}
        </section>
      ))}
    </>
  );
}

function TechniqueLinks({ ids }: { ids: string[] }) {
  if (ids.length === 0) return <>—</>;
  return (
    <span className="flex flex-wrap gap-1.5">
      {ids.map((id) => (
        <Link key={id} to={`/techniques/${id}`} className="font-mono text-blue-800 hover:underline">
          {id}
        </Link>
      ))}
    </span>
  );
}

function Codes({ values }: { values: string[] }) {
  if (values.length === 0) return <>—</>;
  return (
    <span className="flex flex-wrap gap-1.5">
      {values.map((v) => (
        <code key={v} className="break-all rounded bg-slate-100 px-1 text-xs">
          {v}
        </code>
      ))}
    </span>
  );
}

function VerificationResult({ result }: { result: Verification }) {
  return result.valid ? (
    <p role="status" className="rounded-md border border-green-200 bg-green-50 p-2 text-sm text-green-900">
      Verified: this server signed it ({result.algorithm}) and not one byte has changed.
      {result.public_key && <span className="block break-all font-mono text-xs">Public key {result.public_key}</span>}
    </p>
  ) : (
    <p role="status" className="rounded-md border border-red-200 bg-red-50 p-2 text-sm text-red-900">
      Not valid: {result.reason ?? "the signature does not match"}
    </p>
  );
}

/** Download the signed artifact, open it for people, or check one (this server's, or a file). */
function ArtifactCard({ scan }: { scan: Scan }) {
  const [file, setFile] = useState<File | null>(null);
  const verify = useMutation({
    mutationFn: async (source: "server" | "file") => (source === "file" && file ? verifyArtifact(scan.id, file) : verifyArtifact(scan.id, await fetchArtifact(scan.id))),
  });
  const decided = scan.status === "completed" || scan.status === "error";
  return (
    <Card title="Signed artifact">
      {!decided ? (
        <p className="text-sm text-slate-600">The artifact is signed once the scan is decided.</p>
      ) : (
        <div className="space-y-3">
          <div className="flex flex-wrap gap-2">
            <a href={`/api/v1/scans/${scan.id}/artifact`} download={`scan-${scan.id}.json`} className="rounded-md bg-blue-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-blue-800">
              Download artifact (JSON)
            </a>
            <a href={`/api/v1/scans/${scan.id}/artifact?format=html`} target="_blank" rel="noopener noreferrer" className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100">
              Open the HTML view
            </a>
            <Button tone="secondary" busy={verify.isPending && verify.variables === "server"} onClick={() => verify.mutate("server")}>
              Verify the artifact
            </Button>
          </div>
          <div className="flex flex-wrap items-end gap-2">
            <label className="text-sm font-medium text-slate-700">
              Or verify an artifact file you kept
              <input className="mt-1 block text-sm" type="file" accept=".json,application/json" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
            </label>
            <Button tone="secondary" disabled={!file} busy={verify.isPending && verify.variables === "file"} onClick={() => verify.mutate("file")}>
              Verify the file
            </Button>
          </div>
          {verify.data && <VerificationResult result={verify.data} />}
          {verify.error && <ErrorPanel error={verify.error} />}
        </div>
      )}
    </Card>
  );
}

function SuppressDialog({ finding, onClose }: { finding: ScanFinding; onClose: () => void }) {
  const client = useQueryClient();
  const [reason, setReason] = useState("");
  const [expires, setExpires] = useState("");
  const suppress = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/scans/suppressions", { body: { fingerprint: finding.fingerprint, reason, expires_at: endOfDay(expires) } })),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ["scan-waivers"] });
      onClose();
    },
  });
  return (
    <Dialog open title={`Suppress ${finding.rule_id}`} onClose={onClose}>
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          suppress.mutate();
        }}
      >
        <p className="text-sm text-slate-700">
          This finding (<span className="font-mono">{visible(finding.file)}</span>
          {finding.line ? `, line ${finding.line}` : ""}) will no longer block scans, in any repository, until the suppression is deleted or expires. Scans keep reporting it as waived. Scans already
          decided keep their decision.
        </p>
        <TextArea label="Reason" required value={reason} onChange={(e) => setReason(e.target.value)} error={fieldError(suppress.error, "reason")} />
        <TextField label="Expires (optional)" type="date" value={expires} onChange={(e) => setExpires(e.target.value)} error={fieldError(suppress.error, "expires_at")} />
        <FormProblem error={suppress.error} shown={["reason", "expires_at"]} />
        <div className="flex justify-end gap-2">
          <Button tone="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" busy={suppress.isPending} disabled={reason.trim() === ""}>
            Suppress the finding
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

function BaselineDialog({ scan, onClose }: { scan: Scan; onClose: () => void }) {
  const client = useQueryClient();
  const [reason, setReason] = useState("");
  const accept = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/scans/baselines", { body: { scan_id: scan.id, reason } })),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ["scan-waivers"] });
      onClose();
    },
  });
  return (
    <Dialog open title="Accept as baseline" onClose={onClose}>
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          accept.mutate();
        }}
      >
        <p className="text-sm text-slate-700">
          Later scans of <span className="font-mono">{scan.repository ?? "this repository"}</span> will block only on findings this scan did not have ({scan.findings} accepted). It replaces the
          repository&apos;s current baseline.
        </p>
        <TextArea label="Reason" required value={reason} onChange={(e) => setReason(e.target.value)} error={fieldError(accept.error, "reason")} />
        <FormProblem error={accept.error} shown={["reason"]} />
        <div className="flex justify-end gap-2">
          <Button tone="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" busy={accept.isPending} disabled={reason.trim() === ""}>
            Accept as baseline
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

function DiffSection({ scan, findings, onSuppress }: { scan: Scan; findings: ScanFinding[]; onSuppress?: ((finding: ScanFinding) => void) | undefined }) {
  const diff = useQuery({ queryKey: ["scan-diff", scan.id], queryFn: () => fetchDiff(scan.id), staleTime: Infinity, retry: false });
  if (diff.isPending) return <Loading what="Loading the diff" />;
  if (diff.error instanceof ApiProblem && diff.error.code === "SCAN_DIFF_EXPIRED") {
    return (
      <div className="space-y-3">
        <p className="rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900">The diff is no longer kept (diffs are deleted after the retention period); the findings and the signed artifact remain.</p>
        {findings.length > 0 && <FindingsByFile findings={findings} onSuppress={onSuppress} />}
      </div>
    );
  }
  if (diff.error || diff.data === undefined) return <ErrorPanel error={diff.error} onRetry={() => void diff.refetch()} />;
  return <DiffWithFindings diff={diff.data} findings={findings} onSuppress={onSuppress} />;
}

export function ScanDetailPage() {
  const { id = "" } = useParams();
  const { me } = useSession();
  const manage = can(me.role, "manage_scan_policy");
  const [suppressing, setSuppressing] = useState<ScanFinding | null>(null);
  const [baseline, setBaseline] = useState(false);
  const scan = useQuery({
    queryKey: ["scans", id],
    queryFn: () => ok(api.GET("/api/v1/scans/{id}", { params: { path: { id } } })),
    refetchInterval: (q) => (q.state.data && (q.state.data.status === "queued" || q.state.data.status === "running") ? 1000 : false),
  });
  const status = scan.data?.status;
  const findings = useQuery({
    queryKey: ["scans", id, "findings", status],
    queryFn: () => ok(api.GET("/api/v1/scans/{id}/findings", { params: { path: { id } } })),
    enabled: status === "completed" || status === "error",
  });
  return (
    <QueryState query={scan}>
      {(s) => {
        const pending = s.status === "queued" || s.status === "running";
        return (
          <>
            <PageHeader
              title={
                <span className="flex flex-wrap items-center gap-3">
                  Scan of {s.repository ?? "a diff"}
                  {s.decision && (
                    <Badge tone={decisionTone(s.decision)}>
                      <span className="text-sm uppercase">{s.decision}</span>
                    </Badge>
                  )}
                </span>
              }
              subtitle={
                <>
                  <Link to="/scans" className="text-blue-800 underline">
                    Scans
                  </Link>{" "}
                  · {s.pull_request ? `PR ${s.pull_request} · ` : ""}
                  {s.commit ? `commit ${s.commit.slice(0, 12)} · ` : ""}submitted {formatDateTime(s.created_at)}
                </>
              }
              actions={
                manage && s.status === "completed" ? (
                  <Button tone="secondary" onClick={() => setBaseline(true)}>
                    Accept as baseline
                  </Button>
                ) : undefined
              }
            />
            <div className="mb-4 grid gap-4 lg:grid-cols-3">
              <Card title="Decision">
                <Facts
                  items={[
                    ["Status", <Badge key="s" tone={scanStatusTone(s.status)}>{humanize(s.status)}{pending ? "…" : ""}</Badge>],
                    ["Decision", s.decision ? <Badge key="d" tone={decisionTone(s.decision)}>{humanize(s.decision)}</Badge> : pending ? "Waiting for the scan" : null],
                    ["Findings", `${s.findings} (${s.blocking} blocking)`],
                    ["Files", `${s.files} · ${formatBytes(s.diff_bytes)}`],
                    ["Base", s.base ? <span className="font-mono text-xs">{s.base}</span> : null],
                    ["Completed", s.completed_at ? formatDateTime(s.completed_at) : null],
                    ["Attempts", s.attempts],
                    ["Error", s.error],
                    ["Diff SHA-256", <span key="h" className="break-all font-mono text-xs">{s.diff_sha256}</span>],
                  ]}
                />
              </Card>
              <Card title="Policy that decided it">
                <Facts
                  items={[
                    ["Blocks at", `${humanize(s.policy.block_at)} and above`],
                    ["Always block", <Codes key="a" values={s.policy.always_block} />],
                    ["Never block", <Codes key="n" values={s.policy.never_block} />],
                    ["If it cannot finish", s.policy.error_mode === "fail_open" ? "Pass (fail open)" : "Error (fail closed)"],
                    ["Downloads allowed from", <Codes key="h" values={s.policy.download_allow_list} />],
                  ]}
                />
              </Card>
              <Card title="Coverage delta">
                <Facts
                  items={[
                    ["Gained", <TechniqueLinks key="g" ids={s.coverage.gained} />],
                    ["Lost", <TechniqueLinks key="l" ids={s.coverage.lost} />],
                    ["Proven rules changed", <Codes key="p" values={s.coverage.proven_changed} />],
                  ]}
                />
              </Card>
            </div>
            <div className="mb-4">
              <ArtifactCard scan={s} />
            </div>
            <h2 className="mb-2 text-lg font-semibold text-slate-900">The diff and its findings</h2>
            {pending ? (
              <Loading what="Scanning" />
            ) : (
              <QueryState query={findings}>
                {(list) => (
                  <>
                    {list.length === 0 && (
                      <div className="mb-3">
                        <EmptyState title="No findings" />
                      </div>
                    )}
                    <DiffSection scan={s} findings={list} onSuppress={manage ? setSuppressing : undefined} />
                  </>
                )}
              </QueryState>
            )}
            {suppressing && <SuppressDialog finding={suppressing} onClose={() => setSuppressing(null)} />}
            {baseline && <BaselineDialog scan={s} onClose={() => setBaseline(false)} />}
          </>
        );
      }}
    </QueryState>
  );
}
