import { useState, type FormEvent, type ReactNode } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas, fieldError } from "../api/client";
import { useSession } from "../auth/session";
import { Badge, Button, Card, Dialog, EmptyState, ErrorPanel, PageHeader, Pagination, QueryState, SelectField, Table, Td, TextField, type BadgeTone } from "../components/ui";
import { formatBytes, formatDateTime, humanize } from "../lib/format";

import { sha256Hex, unseal, verifyEd25519 } from "./reportSeal";
import { pageCount, useListParams } from "../lib/listParams";
import { can } from "../lib/permissions";
import { oneOf, REPORT_FORMATS, REPORT_KINDS, type ReportFormat, type ReportKind } from "../api/enums";

type Report = Schemas["ReportView"];
type Verification = Schemas["VerificationView"];

const KINDS = [
  ["executive_summary", "Executive summary"],
  ["coverage_report", "Coverage report"],
  ["purple_campaign", "Purple-team campaign"],
] as const;
const FORMATS = [
  ["html", "HTML"],
  ["pdf", "PDF"],
] as const;
/** Reports still being made; the list refreshes while any is. */
const PENDING = new Set(["queued", "running"]);
const REFRESH_MS = 3000;

function statusTone(status: string): BadgeTone {
  return status === "ready" ? "green" : status === "failed" ? "red" : "amber";
}

export function ReportsPage() {
  const { me } = useSession();
  const list = useListParams();
  const reports = useQuery({
    queryKey: ["reports", { page: list.page, perPage: list.perPage }],
    queryFn: () => ok(api.GET("/api/v1/reports", { params: { query: { page: list.page, per_page: list.perPage } } })),
    refetchInterval: (query) => (query.state.data?.items.some((r) => PENDING.has(r.status)) ? REFRESH_MS : false),
  });
  const [checked, setChecked] = useState<Report | null>(null);
  const verify = useMutation({ mutationFn: (id: string) => ok(api.POST("/api/v1/reports/{id}/verify", { params: { path: { id } } })) });

  return (
    <>
      <PageHeader title="Reports" subtitle="Executive, coverage and campaign reports in HTML or PDF, each signed by this server." />
      <div className="space-y-5">
        {can(me.role, "take_snapshot") && <GenerateCard />}
        <QueryState
          query={reports}
          empty={(data) =>
            data.items.length === 0 ? (
              <EmptyState title="No reports yet">{can(me.role, "take_snapshot") ? "Generate one above." : "A lead or an administrator generates them."}</EmptyState>
            ) : null
          }
        >
          {(data) => (
            <>
              <Table caption="Reports" head={["Kind", "Format", "Status", "Requested", "Size", "SHA-256", ""]}>
                {data.items.map((r) => (
                  <tr key={r.id}>
                    <Td>
                      <span className="font-medium">{humanize(r.kind)}</span>
                      <span className="block text-xs text-slate-500">{r.file_name}</span>
                    </Td>
                    <Td className="uppercase">{r.format}</Td>
                    <Td>
                      <Badge tone={statusTone(r.status)}>{humanize(r.status)}</Badge>
                      {r.error && <span className="mt-1 block max-w-xs text-xs text-red-800">{r.error}</span>}
                    </Td>
                    <Td>
                      {formatDateTime(r.requested_at)}
                      {r.generated_at && <span className="block text-xs text-slate-500">ready {formatDateTime(r.generated_at)}</span>}
                    </Td>
                    <Td>{r.size_bytes === null || r.size_bytes === undefined ? "—" : formatBytes(r.size_bytes)}</Td>
                    <Td>
                      {r.sha256 ? (
                        <code className="text-xs" title={r.sha256}>
                          {r.sha256.slice(0, 16)}…
                        </code>
                      ) : (
                        "—"
                      )}
                    </Td>
                    <Td className="whitespace-nowrap text-right">
                      {r.status === "ready" && (
                        <span className="inline-flex items-center gap-2">
                          <a href={`/api/v1/reports/${r.id}/download`} download={r.file_name} className="rounded-md px-2 py-1 text-sm font-medium text-blue-800 hover:bg-blue-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-blue-600">
                            Download
                          </a>
                          <Button
                            tone="secondary"
                            onClick={() => {
                              setChecked(r);
                              verify.mutate(r.id);
                            }}
                          >
                            Verify
                          </Button>
                        </span>
                      )}
                    </Td>
                  </tr>
                ))}
              </Table>
              <Pagination page={data.page} pages={pageCount(data.total, data.per_page)} onPage={list.setPage} />
            </>
          )}
        </QueryState>
        <VerifyFileCard />
      </div>
      <Dialog open={checked !== null} title={checked ? `Verification of ${checked.file_name}` : "Verification"} onClose={() => setChecked(null)}>
        {verify.isPending && <p className="text-sm text-slate-600">Re-reading the stored document…</p>}
        {verify.error && <ErrorPanel error={verify.error} />}
        {verify.data && <VerificationResult verification={verify.data} />}
      </Dialog>
    </>
  );
}

function GenerateCard() {
  const client = useQueryClient();
  const [kind, setKind] = useState<ReportKind>("executive_summary");
  const [format, setFormat] = useState<ReportFormat>("html");
  const [campaignId, setCampaignId] = useState("");
  const forCampaign = kind === "purple_campaign";
  const campaigns = useQuery({
    queryKey: ["campaigns", "for-report"],
    queryFn: () => ok(api.GET("/api/v1/campaigns", { params: { query: { per_page: 200 } } })),
    enabled: forCampaign,
  });
  const generate = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/reports", { body: { kind, format, campaign_id: forCampaign && campaignId ? campaignId : null } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ["reports"] }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    generate.mutate();
  };
  const field = (name: string) => fieldError(generate.error, name);
  const campaignOptions: [string, string][] = [["", campaigns.isPending ? "Loading campaigns…" : "Choose a campaign"], ...(campaigns.data?.items.map((c): [string, string] => [c.id, `${c.name} (${c.run_number > 1 ? `run ${c.run_number}, ` : ""}${humanize(c.status).toLowerCase()})`]) ?? [])];
  return (
    <Card title="Generate a report">
      <form onSubmit={submit} className="flex flex-wrap items-end gap-4">
        <div className="w-56">
          <SelectField label="Kind" value={kind} onChange={(e) => setKind(oneOf(REPORT_KINDS, e.target.value) ?? kind)} options={KINDS} error={field("kind")} />
        </div>
        <div className="w-28">
          <SelectField label="Format" value={format} onChange={(e) => setFormat(oneOf(REPORT_FORMATS, e.target.value) ?? format)} options={FORMATS} error={field("format")} />
        </div>
        {forCampaign && (
          <div className="w-72">
            <SelectField label="Campaign" value={campaignId} onChange={(e) => setCampaignId(e.target.value)} options={campaignOptions} error={field("campaign_id")} required />
          </div>
        )}
        <Button type="submit" busy={generate.isPending} disabled={forCampaign && !campaignId}>
          Generate report
        </Button>
      </form>
      {campaigns.error && <ErrorPanel error={campaigns.error} />}
      {generate.error && (
        <div className="mt-3">
          <ErrorPanel error={generate.error} />
        </div>
      )}
      {generate.isSuccess && (
        <p role="status" className="mt-3 text-sm text-slate-700">
          Queued: the report appears below and becomes downloadable when it is ready.
        </p>
      )}
    </Card>
  );
}

function Check({ ok: passed, children }: { ok: boolean | null; children: ReactNode }) {
  const [mark, tone] = passed === null ? ["?", "text-amber-800"] : passed ? ["✓", "text-green-800"] : ["✗", "text-red-800"];
  return (
    <li className={`flex gap-2 ${tone}`}>
      <span aria-hidden className="font-bold">
        {mark}
      </span>
      <span>{children}</span>
    </li>
  );
}

function VerificationResult({ verification: v }: { verification: Verification }) {
  return (
    <div className="space-y-3 text-sm">
      <ul className="space-y-1">
        <Check ok={v.digest_matches}>{v.digest_matches ? "The stored document still hashes to its recorded digest." : "The stored document no longer matches its recorded digest: it was altered."}</Check>
        <Check ok={v.signature_valid}>{v.signature_valid ? "Signature valid: the seal is this server's Ed25519 signature." : "Signature not valid: the seal is not this server's signature."}</Check>
      </ul>
      <dl className="space-y-2">
        <div>
          <dt className="font-medium text-slate-700">SHA-256 digest</dt>
          <dd className="break-all font-mono text-xs">{v.report.sha256 ?? "—"}</dd>
        </div>
        <div>
          <dt className="font-medium text-slate-700">Public key</dt>
          <dd className="break-all font-mono text-xs">{v.public_key}</dd>
        </div>
      </dl>
      <p className="text-xs text-slate-600">
        Check a downloaded copy anywhere with <code>aegis report verify FILE --public-key {v.public_key.slice(0, 12)}…</code> (the full key above).
      </p>
    </div>
  );
}

type FileCheck = {
  fileName: string;
  seal: { digestHex: string; signatureHex: string; bodyDigest: string } | null;
  /** The report on this server that recorded the file's digest. */
  match: Report | null;
  /** The server's own check of a stored report, which also gives its public key. */
  server: Verification | null;
  /** The browser's Ed25519 check of the file's seal; null when the browser cannot. */
  signature: boolean | null;
};

/** Looks through every page of reports for the one that recorded `digest`; also returns a ready report to learn the key from. */
async function findReport(digest: string): Promise<{ match: Report | null; anyReady: Report | null }> {
  let anyReady: Report | null = null;
  for (let page = 1; ; page++) {
    const data = await ok(api.GET("/api/v1/reports", { params: { query: { page, per_page: 200 } } }));
    const match = data.items.find((r) => r.sha256 === digest) ?? null;
    anyReady ??= data.items.find((r) => r.status === "ready") ?? null;
    if (match || page * data.per_page >= data.total || data.items.length === 0) return { match, anyReady };
  }
}

async function checkFile(file: File): Promise<FileCheck> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const seal = unseal(bytes);
  if (!seal) return { fileName: file.name, seal: null, match: null, server: null, signature: null };
  const bodyDigest = await sha256Hex(seal.body);
  const { match, anyReady } = await findReport(seal.digestHex);
  const keySource = match ?? anyReady;
  const server = keySource ? await ok(api.POST("/api/v1/reports/{id}/verify", { params: { path: { id: keySource.id } } })) : null;
  const signature = server ? await verifyEd25519(server.public_key, seal.signatureHex, seal.digestHex) : null;
  return { fileName: file.name, seal: { digestHex: seal.digestHex, signatureHex: seal.signatureHex, bodyDigest }, match, server, signature };
}

function VerifyFileCard() {
  const check = useMutation({ mutationFn: checkFile });
  return (
    <Card title="Verify a downloaded file">
      <p className="mb-3 text-sm text-slate-600">
        The file is read in your browser and never uploaded: its body is hashed with SHA-256, compared with the digest in its seal and with the digest this server recorded, and its
        Ed25519 signature is checked with this server's public key.
      </p>
      <div className="max-w-md">
        <TextField
          label="Downloaded report file"
          type="file"
          accept=".html,.pdf,text/html,application/pdf"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) check.mutate(file);
          }}
        />
      </div>
      {check.isPending && <p className="mt-3 text-sm text-slate-600">Checking…</p>}
      {check.error && (
        <div className="mt-3">
          <ErrorPanel error={check.error} />
        </div>
      )}
      {check.data && <FileCheckResult result={check.data} />}
    </Card>
  );
}

function FileCheckResult({ result: r }: { result: FileCheck }) {
  const key = r.server?.public_key;
  const cli = `aegis report verify ${r.fileName}${key ? ` --public-key ${key}` : ""}`;
  if (!r.seal) {
    return (
      <ul className="mt-3 text-sm" aria-label="File check">
        <Check ok={false}>{r.fileName} carries no Aegis signature line: it was not made by Aegis, or its last line was removed.</Check>
      </ul>
    );
  }
  const unaltered = r.seal.bodyDigest === r.seal.digestHex;
  const recorded = r.match !== null && r.match.signature === r.seal.signatureHex;
  const [valid, verdict]: [boolean | null, string] = !unaltered
    ? [false, "Not valid: the document was altered after it was signed."]
    : r.signature === false
      ? [false, "Not valid: the signature is not from this server's key."]
      : r.signature === true
        ? [true, "Valid: unaltered and signed by this server."]
        : recorded
          ? [true, "Valid: unaltered, and its digest and signature are the ones this server recorded."]
          : [null, "Unaltered, but its signature could not be checked here."];
  return (
    <div className="mt-3 space-y-2 text-sm">
      <p role="status" className={`rounded-md p-2 font-semibold ${valid === null ? "bg-amber-50 text-amber-900" : valid ? "bg-green-50 text-green-900" : "bg-red-50 text-red-900"}`}>
        {verdict}
      </p>
      <ul className="space-y-1" aria-label="File check">
        <Check ok={unaltered}>
          {unaltered ? "Unaltered: the body hashes to the digest in its seal." : "Altered: the body no longer hashes to the digest in its seal."}{" "}
          <span className="break-all font-mono text-xs">{r.seal.bodyDigest}</span>
        </Check>
        {r.match ? (
          <Check ok={recorded}>
            Its seal's digest is recorded here for the {humanize(r.match.kind).toLowerCase()} ({r.match.format.toUpperCase()}) of {formatDateTime(r.match.requested_at)}
            {recorded ? ", with the same signature." : ", but the seal's signature differs from the recorded one."}
          </Check>
        ) : (
          <Check ok={null}>No report on this server recorded its seal's digest: the file may come from another server.</Check>
        )}
        {key && r.signature !== null && <Check ok={r.signature}>{r.signature ? "The seal's Ed25519 signature is valid for this server's key." : "The seal's signature is not from this server's key."}</Check>}
      </ul>
      {(!key || r.signature === null) && (
        <p className="text-slate-700">
          {key ? "This browser cannot check Ed25519 signatures." : "There is no ready report here to learn this server's public key from."} Check the signature with{" "}
          <code className="break-all text-xs">{cli}</code>
          {key ? "." : " and the public key of the server that made it."}
        </p>
      )}
    </div>
  );
}
