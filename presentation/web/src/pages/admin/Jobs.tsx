import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas } from "../../api/client";
import { useSession } from "../../auth/session";
import { Badge, Button, Card, Dialog, EmptyState, ErrorPanel, PageHeader, Pagination, QueryState, SelectField, Table, Td } from "../../components/ui";
import { formatDateTime, humanize } from "../../lib/format";

import { AdminOnly, FINISHED, formatInstant, JOB_OUTCOMES, LiveRun, jobOutcomeTone, POLL_MS, RunLine, useJobRun, type JobRun } from "./common";
import { pageCount, useListParams } from "../../lib/listParams";
import { JOB_KINDS, oneOf, type JobKind } from "../../api/enums";

type Scheduled = Schemas["ScheduledJobView"];

export function JobsPage() {
  const { me } = useSession();
  if (me.role !== "admin") return <AdminOnly title="Jobs" />;
  return <Jobs />;
}

function Jobs() {
  const client = useQueryClient();
  const status = useQuery({ queryKey: ["system", "scheduler-status"], queryFn: () => ok(api.GET("/api/v1/system/scheduler-status")) });
  const [runs, setRuns] = useState<Record<string, string>>({});
  const runNow = useMutation({
    mutationFn: (job: JobKind) => ok(api.POST("/api/v1/system/jobs/{job}/run", { params: { path: { job } } })),
    onSuccess: (run, job) => {
      setRuns((prev) => ({ ...prev, [job]: run.id }));
      return client.invalidateQueries({ queryKey: ["system", "jobs", "list"] });
    },
  });
  const refresh = () => client.invalidateQueries({ queryKey: ["system"] });

  return (
    <>
      <PageHeader title="Jobs" subtitle="The background work: when each job runs, how its last run went, and every run's record." />
      <div className="space-y-6">
        <section aria-labelledby="scheduled-jobs">
          <h2 id="scheduled-jobs" className="mb-2 text-lg font-semibold text-slate-800">
            Scheduled jobs
          </h2>
          {runNow.error && (
            <div className="mb-2">
              <ErrorPanel error={runNow.error} />
            </div>
          )}
          <QueryState query={status} empty={(data) => (data.length === 0 ? <EmptyState title="No jobs are scheduled" /> : null)}>
            {(jobs) => (
              <div className="grid gap-3 lg:grid-cols-2 2xl:grid-cols-3">
                {jobs.map((job) => (
                  <ScheduledJobCard
                    key={job.job}
                    job={job}
                    liveRunId={runs[job.job] ?? null}
                    busy={runNow.isPending && runNow.variables === job.job}
                    onRun={() => runNow.mutate(job.job)}
                    onFinished={refresh}
                  />
                ))}
              </div>
            )}
          </QueryState>
        </section>
        <History jobNames={status.data?.map((j) => j.job) ?? []} />
      </div>
    </>
  );
}

function ScheduledJobCard({ job, liveRunId, busy, onRun, onFinished }: { job: Scheduled; liveRunId: string | null; busy: boolean; onRun: () => void; onFinished: () => void }) {
  const last = job.last_run;
  return (
    <Card
      title={
        <span>
          {humanize(job.job)} <code className="text-xs font-normal text-slate-500">{job.job}</code>
        </span>
      }
      actions={
        <Button tone="secondary" busy={busy} onClick={onRun}>
          Run now
        </Button>
      }
    >
      <p className="text-sm text-slate-600">{job.description}</p>
      <dl className="mt-3 grid grid-cols-[6rem_1fr] gap-x-3 gap-y-1 text-sm">
        <dt className="text-slate-500">Schedule</dt>
        <dd>{job.schedule ? <code>{job.schedule}</code> : "on demand only"} </dd>
        <dt className="text-slate-500">Next run</dt>
        <dd>{formatDateTime(job.next_due)}</dd>
        <dt className="font-semibold text-slate-800">Last run</dt>
        <dd data-testid={`last-run-${job.job}`}>
          {last ? (
            <span className="space-y-1">
              <span className="flex flex-wrap items-center gap-2">
                <Badge tone={jobOutcomeTone(last.outcome)}>{humanize(last.outcome)}</Badge>
                <span className="font-medium">{formatDateTime(last.finished_at ?? last.started_at ?? last.queued_at)}</span>
                <span className="text-xs text-slate-500">{humanize(last.trigger)}</span>
              </span>
              <RunLine run={last} withOutcome={false} />
            </span>
          ) : (
            <span className="text-slate-600">Never run</span>
          )}
        </dd>
      </dl>
      {liveRunId && (
        <div className="mt-3 rounded-md bg-slate-50 p-2" aria-live="polite">
          <p className="text-xs font-medium text-slate-700">Run you started</p>
          <LiveRun id={liveRunId} onFinished={onFinished} />
        </div>
      )}
    </Card>
  );
}

function History({ jobNames }: { jobNames: string[] }) {
  const list = useListParams();
  const job = oneOf(JOB_KINDS, list.get("job"));
  const outcome = oneOf(JOB_OUTCOMES, list.get("outcome"));
  const runs = useQuery({
    queryKey: ["system", "jobs", "list", { job, outcome, page: list.page, perPage: list.perPage }],
    queryFn: () =>
      ok(api.GET("/api/v1/system/jobs", { params: { query: { page: list.page, per_page: list.perPage, ...(job ? { job } : {}), ...(outcome ? { outcome } : {}) } } })),
    refetchInterval: (query) => (query.state.data?.items.some((r) => !FINISHED.has(r.outcome)) ? POLL_MS * 2 : false),
  });
  const [detail, setDetail] = useState<string | null>(null);
  return (
    <section aria-labelledby="job-history">
      <h2 id="job-history" className="mb-2 text-lg font-semibold text-slate-800">
        History
      </h2>
      <div className="mb-3 flex flex-wrap gap-3">
        <div className="w-56">
          <SelectField label="Job" value={job} onChange={(e) => list.set({ job: e.target.value })} options={[["", "Every job"], ...jobNames.map((j) => [j, humanize(j)] as const)]} />
        </div>
        <div className="w-44">
          <SelectField label="Outcome" value={outcome} onChange={(e) => list.set({ outcome: e.target.value })} options={[["", "Any outcome"], ...JOB_OUTCOMES.map((o) => [o, humanize(o)] as const)]} />
        </div>
      </div>
      <QueryState query={runs} empty={(data) => (data.items.length === 0 ? <EmptyState title={job || outcome ? "No run matches these filters" : "No job has run yet"} /> : null)}>
        {(data) => (
          <>
            <Table caption="Job runs" head={["Job", "Trigger", "Queued", "Started / finished", "Outcome", "Attempts", "Counts", "Error"]}>
              {data.items.map((r) => (
                <tr key={r.id}>
                  <Td>
                    <button type="button" className="text-left font-medium text-blue-800 hover:underline focus:outline-none focus-visible:ring-2 focus-visible:ring-blue-600" onClick={() => setDetail(r.id)}>
                      {humanize(r.job)}
                    </button>
                  </Td>
                  <Td>{humanize(r.trigger)}</Td>
                  <Td className="whitespace-nowrap">{formatInstant(r.queued_at)}</Td>
                  <Td className="whitespace-nowrap">
                    {formatInstant(r.started_at)}
                    <span className="block text-slate-600">{formatInstant(r.finished_at)}</span>
                  </Td>
                  <Td>
                    <Badge tone={jobOutcomeTone(r.outcome)}>{humanize(r.outcome)}</Badge>
                  </Td>
                  <Td>
                    {r.attempts} / {r.max_attempts}
                  </Td>
                  <Td className="min-w-[9rem] text-xs">{countsText(r) || "—"}</Td>
                  <Td className="max-w-xs text-xs text-red-800">{r.error ?? ""}</Td>
                </tr>
              ))}
            </Table>
            <Pagination page={data.page} pages={pageCount(data.total, data.per_page)} onPage={list.setPage} />
          </>
        )}
      </QueryState>
      {detail && <RunDialog id={detail} onClose={() => setDetail(null)} />}
    </section>
  );
}

function countsText(run: JobRun): string {
  return Object.entries(run.counts)
    .map(([k, v]) => `${humanize(k).toLowerCase()} ${v}`)
    .join(", ");
}

function RunDialog({ id, onClose }: { id: string; onClose: () => void }) {
  const run = useJobRun(id);
  return (
    <Dialog open title="Job run" onClose={onClose}>
      <QueryState query={run}>
        {(r) => (
          <dl className="grid grid-cols-[8rem_1fr] gap-x-3 gap-y-1 text-sm">
            <dt className="text-slate-500">Job</dt>
            <dd>{humanize(r.job)}</dd>
            <dt className="text-slate-500">Run id</dt>
            <dd className="break-all font-mono text-xs">{r.id}</dd>
            <dt className="text-slate-500">Trigger</dt>
            <dd>{humanize(r.trigger)}</dd>
            {r.due_at && (
              <>
                <dt className="text-slate-500">Due</dt>
                <dd>{formatDateTime(r.due_at)}</dd>
              </>
            )}
            <dt className="text-slate-500">Queued</dt>
            <dd>{formatDateTime(r.queued_at)}</dd>
            <dt className="text-slate-500">Started</dt>
            <dd>{formatDateTime(r.started_at)}</dd>
            <dt className="text-slate-500">Finished</dt>
            <dd>{formatDateTime(r.finished_at)}</dd>
            <dt className="text-slate-500">Outcome</dt>
            <dd>
              <Badge tone={jobOutcomeTone(r.outcome)}>{humanize(r.outcome)}</Badge>
            </dd>
            <dt className="text-slate-500">Attempts</dt>
            <dd>
              {r.attempts} of {r.max_attempts}
            </dd>
            <dt className="text-slate-500">Counts</dt>
            <dd>{countsText(r) || "—"}</dd>
            <dt className="text-slate-500">Error</dt>
            <dd className="whitespace-pre-wrap text-red-800">{r.error ?? "—"}</dd>
            {r.requested_by && (
              <>
                <dt className="text-slate-500">Requested by</dt>
                <dd>
                  <UserName id={r.requested_by} />
                </dd>
              </>
            )}
          </dl>
        )}
      </QueryState>
    </Dialog>
  );
}

function UserName({ id }: { id: string }) {
  const user = useQuery({ queryKey: ["users", id], queryFn: () => ok(api.GET("/api/v1/users/{id}", { params: { path: { id } } })) });
  return user.data ? <>{user.data.email}</> : <span className="break-all font-mono text-xs">{id}</span>;
}
