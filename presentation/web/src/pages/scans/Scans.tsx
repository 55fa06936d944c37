import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, fieldError, ok } from "../../api/client";
import { every, oneOf } from "../../api/enums";
import { useSession } from "../../auth/session";
import { Badge, Button, Card, EmptyState, PageHeader, Pagination, QueryState, SelectField, Table, Td, TextArea, TextField } from "../../components/ui";
import { formatDateTime, humanize } from "../../lib/format";
import { pageCount, useListParams } from "../../lib/listParams";
import { can } from "../../lib/permissions";
import { FormProblem, SearchField } from "../listing";
import { decisionTone, scanStatusTone, type Scan } from "./scanApi";

const PER_PAGE = 25;
export const SCAN_DECISIONS = every<Scan["decision"] & string>()(["pass", "fail", "error"]);
export const SCAN_STATUSES = every<Scan["status"]>()(["queued", "running", "completed", "error"]);

/** Who submitted what: names from the tenant's directory. */
function useDirectory() {
  const directory = useQuery({
    queryKey: ["users", "directory"],
    queryFn: () => ok(api.GET("/api/v1/users/directory")),
    staleTime: 300_000,
  });
  return (id: string) => {
    const person = directory.data?.find((p) => p.id === id);
    return person ? person.display_name || humanize(person.role) : `${id.slice(0, 8)}…`;
  };
}

/** A diff pasted or chosen as a file, with where it comes from; opens the new scan. */
export function SubmitDiff() {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [text, setText] = useState("");
  const [repository, setRepository] = useState("");
  const [commit, setCommit] = useState("");
  const [pullRequest, setPullRequest] = useState("");
  const submit = useMutation({
    mutationFn: async () => {
      const source = { repository: repository.trim() || null, commit: commit.trim() || null, pull_request: pullRequest.trim() || null };
      if (file) {
        const form = new FormData();
        form.append("file", file, file.name);
        for (const [name, value] of Object.entries(source)) if (value) form.append(name, value);
        return ok(api.POST("/api/v1/scans", { body: form as never, bodySerializer: (body: unknown) => body as FormData }));
      }
      return ok(api.POST("/api/v1/scans", { body: { diff: text, ...source } }));
    },
    onSuccess: async (scan) => {
      await client.invalidateQueries({ queryKey: ["scans"] });
      void navigate(`/scans/${scan.id}`);
    },
  });
  const shown = ["diff", "file", "repository", "commit", "pull_request"];
  return (
    <Card title="Submit a diff">
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          submit.mutate();
        }}
      >
        <div className="grid gap-3 md:grid-cols-3">
          <TextField label="Repository" value={repository} onChange={(e) => setRepository(e.target.value)} placeholder="acme/detections" error={fieldError(submit.error, "repository")} />
          <TextField label="Commit" value={commit} onChange={(e) => setCommit(e.target.value)} error={fieldError(submit.error, "commit")} />
          <TextField label="Pull request" value={pullRequest} onChange={(e) => setPullRequest(e.target.value)} error={fieldError(submit.error, "pull_request")} />
        </div>
        <TextArea
          label="Diff"
          rows={6}
          value={text}
          disabled={file !== null}
          onChange={(e) => setText(e.target.value)}
          placeholder="git diff main...HEAD"
          error={fieldError(submit.error, "diff")}
          hint="Paste the output of git diff, or choose a .patch file below (at most 5 MiB)."
        />
        <div className="flex flex-wrap items-end gap-3">
          <label className="text-sm font-medium text-slate-700">
            Or a diff file
            <input className="mt-1 block text-sm" type="file" accept=".diff,.patch,text/x-diff,text/plain" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
          </label>
          {fieldError(submit.error, "file") && <p className="text-xs text-red-700">{fieldError(submit.error, "file")}</p>}
          <Button type="submit" busy={submit.isPending} disabled={!file && text.trim() === ""}>
            Scan the diff
          </Button>
        </div>
        <FormProblem error={submit.error} shown={shown} />
      </form>
    </Card>
  );
}

export function ScansPage() {
  const { me } = useSession();
  const name = useDirectory();
  const filters = useListParams();
  const query = {
    repository: filters.get("repository") || undefined,
    decision: oneOf(SCAN_DECISIONS, filters.get("decision")),
    status: oneOf(SCAN_STATUSES, filters.get("status")),
    from: filters.get("from") || undefined,
    to: filters.get("to") || undefined,
  };
  const filtered = Object.values(query).some((v) => v !== undefined);
  const scans = useQuery({
    queryKey: ["scans", query, filters.page],
    queryFn: () => ok(api.GET("/api/v1/scans", { params: { query: { ...query, page: filters.page, per_page: PER_PAGE } } })),
    // A queued or running scan on the page is decided within seconds.
    refetchInterval: (q) => (q.state.data?.items.some((s) => s.status === "queued" || s.status === "running") ? 2000 : false),
  });
  return (
    <>
      <PageHeader
        title="Scans"
        subtitle="Diffs of detection repositories checked before they merge: each decided pass or fail under the scan policy, with a signed result."
        actions={
          <Link to="/scans/policy" className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100">
            Scan policy
          </Link>
        }
      />
      {can(me.role, "submit_scans") && (
        <div className="mb-4">
          <SubmitDiff />
        </div>
      )}
      <div className="mb-4 grid gap-3 sm:grid-cols-3 lg:grid-cols-5">
        <SearchField label="Repository" value={filters.get("repository")} onCommit={(v) => filters.set({ repository: v })} />
        <SelectField label="Decision" value={filters.get("decision")} onChange={(e) => filters.set({ decision: e.target.value })} options={[["", "Any decision"], ...SCAN_DECISIONS.map((d) => [d, humanize(d)] as const)]} />
        <SelectField label="Status" value={filters.get("status")} onChange={(e) => filters.set({ status: e.target.value })} options={[["", "Any status"], ...SCAN_STATUSES.map((s) => [s, humanize(s)] as const)]} />
        <TextField label="Submitted from" type="date" value={filters.get("from")} onChange={(e) => filters.set({ from: e.target.value })} error={fieldError(scans.error, "from")} />
        <TextField label="Submitted to" type="date" value={filters.get("to")} onChange={(e) => filters.set({ to: e.target.value })} error={fieldError(scans.error, "to")} />
      </div>
      <QueryState
        query={scans}
        empty={(page) =>
          page.items.length === 0 ? (
            <EmptyState title={filtered ? "No scan matches these filters" : "No scans yet"}>
              {!filtered && "A pipeline posts its diff to /api/v1/scans (see docs/scans.md), or submit one above."}
            </EmptyState>
          ) : null
        }
      >
        {(page) => (
          <>
            <Table caption="Scans" head={["Scan", "Commit", "Decision", "Status", "Findings", "Blocking", "Submitted", "By"]}>
              {page.items.map((scan) => (
                <tr key={scan.id}>
                  <Td>
                    <Link to={`/scans/${scan.id}`} className="font-medium text-blue-800 hover:underline">
                      {scan.repository ?? "No repository"}
                    </Link>
                    <p className="text-xs text-slate-500">
                      {scan.pull_request ? `PR ${scan.pull_request} · ` : ""}
                      {scan.files} {scan.files === 1 ? "file" : "files"}
                    </p>
                  </Td>
                  <Td className="font-mono text-xs">{scan.commit ? scan.commit.slice(0, 10) : "—"}</Td>
                  <Td>{scan.decision ? <Badge tone={decisionTone(scan.decision)}>{humanize(scan.decision)}</Badge> : "—"}</Td>
                  <Td>
                    <Badge tone={scanStatusTone(scan.status)}>{humanize(scan.status)}</Badge>
                  </Td>
                  <Td className="text-right tabular-nums">{scan.findings}</Td>
                  <Td className={`text-right tabular-nums ${scan.blocking > 0 ? "font-semibold text-red-800" : ""}`}>{scan.blocking}</Td>
                  <Td className="whitespace-nowrap text-xs">{formatDateTime(scan.created_at)}</Td>
                  <Td className="text-xs">{name(scan.submitted_by)}</Td>
                </tr>
              ))}
            </Table>
            <p className="mt-2 text-xs text-slate-500">{page.total} scans</p>
            <Pagination page={page.page} pages={pageCount(page.total, page.per_page)} onPage={filters.setPage} />
          </>
        )}
      </QueryState>
    </>
  );
}
