import { useEffect, useState, type ReactNode } from "react";
import { Link } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiProblem, ok, type Schemas } from "../../api/client";
import { every } from "../../api/enums";
import { useSession } from "../../auth/session";
import { Button, Card, Dialog, EmptyState, PageHeader, QueryState, SelectField, Table, Td, TextArea, TextField } from "../../components/ui";
import { formatDateTime, humanize } from "../../lib/format";
import { useListParams } from "../../lib/listParams";
import { can } from "../../lib/permissions";
import { FormProblem } from "../listing";
import { endOfDay, listOf } from "./scanApi";

type Policy = Schemas["TenantScanPolicyView"];
type Waiver = Schemas["ScanWaiverView"];
type WaiverKind = Schemas["ScanWaiverKind"];
export const SCAN_SEVERITIES = every<Schemas["ScanSeverity"]>()(["info", "low", "medium", "high", "critical"]);
const ERROR_MODES = every<Schemas["ScanErrorMode"]>()(["fail_closed", "fail_open"]);
const ERROR_MODE_LABELS: Record<Schemas["ScanErrorMode"], string> = { fail_closed: "Fail closed: a scan that cannot finish decides error", fail_open: "Fail open: a scan that cannot finish passes" };
const POLICY_FIELDS = ["block_at", "always_block", "never_block", "error_mode", "download_allow_list", "diff_retention_days"] as const;

/**
 * The server's messages for a field, including its elements (`always_block[0]` belongs to
 * `always_block`), so each shows under the input it is about.
 */
export function messagesFor(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiProblem)) return undefined;
  const messages = (error.problem.errors ?? []).filter((e) => e.field === field || e.field.startsWith(`${field}[`)).map((e) => (e.field === field ? e.message : `${e.field.slice(field.length)}: ${e.message}`));
  return messages.length > 0 ? messages.join("; ") : undefined;
}

/** The tenant's profile: edited by leads and admins, read by everyone else. */
export function PolicyForm({ policy, editable }: { policy: Policy; editable: boolean }) {
  const client = useQueryClient();
  const initial = () => ({
    block_at: policy.block_at,
    always_block: policy.always_block.join("\n"),
    never_block: policy.never_block.join("\n"),
    error_mode: policy.error_mode,
    download_allow_list: policy.download_allow_list.join("\n"),
    diff_retention_days: String(policy.diff_retention_days),
  });
  const [form, setForm] = useState(initial);
  // A save answers the stored profile (hosts lower-cased, duplicates gone): show that.
  useEffect(() => setForm(initial()), [policy]);
  const save = useMutation({
    mutationFn: () =>
      ok(
        api.PUT("/api/v1/scans/policy", {
          body: {
            block_at: form.block_at,
            error_mode: form.error_mode,
            always_block: listOf(form.always_block),
            never_block: listOf(form.never_block),
            download_allow_list: listOf(form.download_allow_list),
            // Blank keeps the default (90 days); the server names the field when out of range.
            diff_retention_days: form.diff_retention_days.trim() === "" ? undefined : Number(form.diff_retention_days),
          },
        }),
      ),
    onSuccess: (saved) => client.setQueryData(["scan-policy"], saved),
  });
  const set = (name: keyof ReturnType<typeof initial>) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [name]: e.target.value }));
  return (
    <Card title="Policy profile">
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <p className="text-sm text-slate-600">
          {policy.is_default ? "The tenant runs on the default policy." : `Set ${policy.updated_at ? formatDateTime(policy.updated_at) : ""}.`} A scan is decided under the profile standing when it
          was submitted.
        </p>
        <div className="grid gap-3 md:grid-cols-2">
          <SelectField label="Block at" disabled={!editable} value={form.block_at} onChange={set("block_at")} options={SCAN_SEVERITIES.map((s) => [s, `${humanize(s)} and above`] as const)} error={messagesFor(save.error, "block_at")} />
          <SelectField label="Error mode" disabled={!editable} value={form.error_mode} onChange={set("error_mode")} options={ERROR_MODES.map((m) => [m, ERROR_MODE_LABELS[m]] as const)} error={messagesFor(save.error, "error_mode")} />
          <TextArea label="Always block (rule ids)" disabled={!editable} value={form.always_block} onChange={set("always_block")} hint="One per line: these block whatever their severity." error={messagesFor(save.error, "always_block")} />
          <TextArea label="Never block (rule ids)" disabled={!editable} value={form.never_block} onChange={set("never_block")} hint="One per line: reported, never blocking." error={messagesFor(save.error, "never_block")} />
          <TextArea
            label="Download allow-list (hosts)"
            disabled={!editable}
            value={form.download_allow_list}
            onChange={set("download_allow_list")}
            hint="Hosts tests may download and run code from; their subdomains too."
            error={messagesFor(save.error, "download_allow_list")}
          />
          <TextField
            label="Keep raw diffs for (days)"
            type="number"
            min={1}
            max={3650}
            disabled={!editable}
            value={form.diff_retention_days}
            onChange={set("diff_retention_days")}
            hint="After this the evidence sweep deletes a scan's diff; the scan keeps its hash, findings and signed result."
            error={messagesFor(save.error, "diff_retention_days")}
          />
        </div>
        <FormProblem error={save.error} shown={[...POLICY_FIELDS, ...(save.error instanceof ApiProblem ? (save.error.problem.errors ?? []).map((e) => e.field).filter((f) => POLICY_FIELDS.some((p) => f.startsWith(`${p}[`))) : [])]} />
        {save.isSuccess && !save.isPending && (
          <p role="status" className="text-sm text-green-800">
            Saved. New scans are decided under this profile.
          </p>
        )}
        {editable && (
          <Button type="submit" busy={save.isPending}>
            Save the policy
          </Button>
        )}
      </form>
    </Card>
  );
}

function ConfirmDelete({ waiver, onClose }: { waiver: Waiver; onClose: () => void }) {
  const client = useQueryClient();
  const paths = { suppression: "/api/v1/scans/suppressions/{id}", baseline: "/api/v1/scans/baselines/{id}", exception: "/api/v1/scans/exceptions/{id}" } as const;
  const remove = useMutation({
    mutationFn: () => ok(api.DELETE(paths[waiver.kind], { params: { path: { id: waiver.id } } })),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ["scan-waivers"] });
      onClose();
    },
  });
  return (
    <Dialog open title={`Delete this ${waiver.kind}?`} onClose={onClose}>
      <p className="text-sm text-slate-700">The findings it lets through block again in scans from now on. Scans already decided keep their decision.</p>
      <p className="mt-2 text-sm text-slate-600">Reason it was made: {waiver.reason}</p>
      <FormProblem error={remove.error} shown={[]} />
      <div className="mt-4 flex justify-end gap-2">
        <Button tone="secondary" onClick={onClose}>
          Cancel
        </Button>
        <Button tone="danger" busy={remove.isPending} onClick={() => remove.mutate()}>
          Delete the {waiver.kind}
        </Button>
      </div>
    </Dialog>
  );
}

function useWaivers(kind: WaiverKind, includeExpired: boolean) {
  const paths = { suppression: "/api/v1/scans/suppressions", baseline: "/api/v1/scans/baselines", exception: "/api/v1/scans/exceptions" } as const;
  return useQuery({
    queryKey: ["scan-waivers", kind, includeExpired],
    queryFn: () => ok(api.GET(paths[kind], { params: { query: { include_expired: includeExpired || undefined } } })),
  });
}

function expiry(waiver: Waiver): string {
  if (!waiver.expires_at) return "Never";
  const expired = new Date(waiver.expires_at).getTime() <= Date.now();
  return `${expired ? "Expired " : ""}${formatDateTime(waiver.expires_at)}`;
}

function WaiverTable({ kind, title, includeExpired, manage, head, cells }: { kind: WaiverKind; title: string; includeExpired: boolean; manage: boolean; head: string[]; cells: (w: Waiver) => ReactNode[] }) {
  const waivers = useWaivers(kind, includeExpired);
  const [deleting, setDeleting] = useState<Waiver | null>(null);
  return (
    <Card title={title}>
      <QueryState query={waivers} empty={(list) => (list.length === 0 ? <EmptyState title={`No ${kind}s${includeExpired ? "" : " in force"}`} /> : null)}>
        {(list) => (
          <Table caption={title} head={[...head, "Reason", "Expires", "Created", ...(manage ? [""] : [])]}>
            {list.map((w) => (
              <tr key={w.id}>
                {cells(w).map((cell, i) => (
                  <Td key={i} className="break-all">
                    {cell}
                  </Td>
                ))}
                <Td className="break-words">{w.reason}</Td>
                <Td className="whitespace-nowrap text-xs">{expiry(w)}</Td>
                <Td className="whitespace-nowrap text-xs">{formatDateTime(w.created_at)}</Td>
                {manage && (
                  <Td>
                    <Button tone="ghost" onClick={() => setDeleting(w)} aria-label={`Delete the ${kind} ${w.rule_id ?? w.repository ?? w.fingerprint?.slice(0, 12) ?? w.id}`}>
                      Delete
                    </Button>
                  </Td>
                )}
              </tr>
            ))}
          </Table>
        )}
      </QueryState>
      {deleting && <ConfirmDelete waiver={deleting} onClose={() => setDeleting(null)} />}
    </Card>
  );
}

function NewException() {
  const client = useQueryClient();
  const empty = { rule_id: "", path_pattern: "", reason: "", expires: "" };
  const [form, setForm] = useState(empty);
  const create = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/scans/exceptions", { body: { rule_id: form.rule_id.trim(), path_pattern: form.path_pattern.trim(), reason: form.reason, expires_at: endOfDay(form.expires) } })),
    onSuccess: async () => {
      setForm(empty);
      await client.invalidateQueries({ queryKey: ["scan-waivers"] });
    },
  });
  const set = (name: keyof typeof empty) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [name]: e.target.value }));
  return (
    <Card title="New exception">
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <p className="text-sm text-slate-600">Lets one rule&apos;s findings through in the files a glob matches (<code>*</code> within a folder, <code>**</code> across folders).</p>
        <div className="grid gap-3 md:grid-cols-4">
          <TextField label="Rule id" required value={form.rule_id} onChange={set("rule_id")} placeholder="download-execute" error={messagesFor(create.error, "rule_id")} />
          <TextField label="Files (glob)" required value={form.path_pattern} onChange={set("path_pattern")} placeholder="atomics/**/*.yaml" error={messagesFor(create.error, "path_pattern")} />
          <TextField label="Reason" required value={form.reason} onChange={set("reason")} error={messagesFor(create.error, "reason")} />
          <TextField label="Expires (optional)" type="date" value={form.expires} onChange={set("expires")} error={messagesFor(create.error, "expires_at")} />
        </div>
        <FormProblem error={create.error} shown={["rule_id", "path_pattern", "reason", "expires_at"]} />
        <Button type="submit" busy={create.isPending}>
          Add the exception
        </Button>
      </form>
    </Card>
  );
}

export function ScanPolicyPage() {
  const { me } = useSession();
  const manage = can(me.role, "manage_scan_policy");
  const filters = useListParams();
  const includeExpired = filters.get("include_expired") === "true";
  const policy = useQuery({ queryKey: ["scan-policy"], queryFn: () => ok(api.GET("/api/v1/scans/policy")) });
  const short = (text: string | null | undefined) => (text ? `${text.slice(0, 16)}…` : "—");
  return (
    <>
      <PageHeader
        title="Scan policy"
        subtitle={
          <>
            What blocks a{" "}
            <Link to="/scans" className="text-blue-800 underline">
              scan
            </Link>
            , and the waivers that let findings through (still reported, marked waived).{manage ? "" : " Leads and admins change them."}
          </>
        }
      />
      <div className="space-y-4">
        <QueryState query={policy}>{(p) => <PolicyForm policy={p} editable={manage} />}</QueryState>
        <label className="flex items-center gap-2 text-sm font-medium text-slate-700">
          <input type="checkbox" checked={includeExpired} onChange={(e) => filters.set({ include_expired: e.target.checked ? "true" : null })} />
          Include expired waivers
        </label>
        <WaiverTable kind="suppression" title="Suppressions" includeExpired={includeExpired} manage={manage} head={["Finding (fingerprint)"]} cells={(w) => [<span key="f" className="font-mono text-xs" title={w.fingerprint ?? ""}>{short(w.fingerprint)}</span>]} />
        <WaiverTable
          kind="baseline"
          title="Baselines"
          includeExpired={includeExpired}
          manage={manage}
          head={["Repository", "Scan", "Findings"]}
          cells={(w) => [
            w.repository ?? "—",
            w.scan_id ? (
              <Link key="s" to={`/scans/${w.scan_id}`} className="font-mono text-xs text-blue-800 hover:underline">
                {w.scan_id.slice(0, 8)}
              </Link>
            ) : (
              "—"
            ),
            w.findings ?? "—",
          ]}
        />
        <WaiverTable
          kind="exception"
          title="Exceptions"
          includeExpired={includeExpired}
          manage={manage}
          head={["Rule", "Files"]}
          cells={(w) => [<code key="r" className="text-xs">{w.rule_id}</code>, <code key="p" className="text-xs">{w.path_pattern}</code>]}
        />
        {manage && <NewException />}
      </div>
    </>
  );
}
