import { useEffect, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiProblem, ok, type Schemas, fieldError } from "../../api/client";
import { useSession } from "../../auth/session";
import { Badge, Button, Card, Dialog, ErrorPanel, PageHeader, QueryState, TextArea } from "../../components/ui";
import { formatDateTime, formatDuration, humanize, stateTone } from "../../lib/format";
import { Facts } from "../listing";
import { EvidencePanel } from "./Evidence";
import { TelemetryPanel } from "./Telemetry";
import { usePeople } from "./people";
import { BlueReport, RedReport } from "./TeamReports";
import { can } from "../../lib/permissions";
import type { WorkflowAction } from "../../api/enums";

type Timeline = Schemas["TimelineView"];
type Test = Schemas["TestView"];

/** The end-to-end tests click these names. */
export const ACTION_LABELS: Record<string, string> = {
  "start-execution": "Start execution",
  "submit-red": "Submit red report",
  "start-evaluation": "Start evaluation",
  "submit-blue": "Submit blue report",
  "validate-red": "Validate (red)",
  "validate-blue": "Validate (blue)",
  reopen: "Reopen",
  "pause-timer": "Pause timer",
  "resume-timer": "Resume timer",
};
const VOTES = ["validate-red", "validate-blue"];
const TIMER_ACTIONS = ["pause-timer", "resume-timer"];

type Step = { action: WorkflowAction; verdict?: "approve" | "reject"; notes?: string };

export function TestDetailPage() {
  const { id = "" } = useParams();
  const { me } = useSession();
  const client = useQueryClient();
  const nameOf = usePeople();
  const key = ["tests", id, "timeline"];
  const timeline = useQuery({
    queryKey: key,
    queryFn: () => ok(api.GET("/api/v1/tests/{id}/timeline", { params: { path: { id } } })),
  });
  const [voting, setVoting] = useState<WorkflowAction | null>(null);
  const [proposalsTaken, setProposalsTaken] = useState(0);

  /** A saved change answers with the test: its new version is needed before the refetch lands. */
  const applied = (test: Test) => {
    client.setQueryData<Timeline>(key, (old) => (old ? { ...old, test } : old));
    return client.invalidateQueries({ queryKey: ["tests"] });
  };
  const step = (action: WorkflowAction, body: Omit<Step, "action">, version: number) =>
    ok(api.POST("/api/v1/tests/{id}/{action}", { params: { path: { id, action } }, body: { ...body, version } }));
  const onStepError = (error: Error) => {
    // A stale version means someone else moved the test: show theirs.
    if (error instanceof ApiProblem && error.status === 409) void client.invalidateQueries({ queryKey: key });
  };
  const act = useMutation({
    mutationFn: ({ action, ...body }: Step) => step(action, body, timeline.data?.test.version ?? 0),
    onSuccess: applied,
    onError: onStepError,
  });
  const vote = useMutation({
    mutationFn: ({ action, ...body }: Step) => step(action, body, timeline.data?.test.version ?? 0),
    onSuccess: async (test) => {
      setVoting(null);
      await applied(test);
    },
    onError: onStepError,
  });

  return (
    <QueryState query={timeline}>
      {({ test, transitions, worklogs, comments, available_actions }) => {
        const redEditable = test.state === "red_executing" && can(me.role, "execute_red");
        const blueEditable = test.state === "blue_evaluating" && can(me.role, "evaluate_blue");
        // A refused submit names the report's fields still missing: the form shows each.
        const submitError = (action: string) => (act.variables?.action === action ? act.error : null);
        return (
          <>
            <PageHeader
              title={test.title}
              subtitle={
                <span className="flex flex-wrap items-center gap-2">
                  <Badge tone={stateTone(test.state)}>{humanize(test.state)}</Badge>
                  {test.paused && <Badge tone="amber">Timer paused</Badge>}
                  <Link to={`/techniques/${test.technique_id}`} className="font-mono text-blue-800 hover:underline">
                    {test.technique_id}
                  </Link>
                  {test.platform && <span>· {test.platform}</span>}
                  {test.campaign_id && (
                    <Link to={`/campaigns/${test.campaign_id}`} className="text-blue-800 hover:underline">
                      · Campaign
                    </Link>
                  )}
                  <Link to="/tests" className="text-blue-800 hover:underline">
                    · All tests
                  </Link>
                </span>
              }
              actions={
                available_actions.length > 0 && (
                  <>
                    {available_actions.map((action) => (
                      <Button
                        key={action}
                        tone={TIMER_ACTIONS.includes(action) ? "secondary" : "primary"}
                        busy={act.isPending && act.variables.action === action}
                        disabled={act.isPending}
                        onClick={() => {
                          act.reset();
                          if (VOTES.includes(action)) {
                            vote.reset();
                            setVoting(action);
                          } else act.mutate({ action });
                        }}
                      >
                        {ACTION_LABELS[action] ?? humanize(action)}
                      </Button>
                    ))}
                  </>
                )
              }
            />
            {act.error && (
              <div className="mb-4">
                <ErrorPanel error={act.error} />
              </div>
            )}
            <div className="grid gap-4 lg:grid-cols-3">
              <div className="min-w-0 space-y-4 lg:col-span-2">
                <Card title="Test">
                  <Facts
                    items={[
                      ["Objective", test.objective && <p className="whitespace-pre-wrap">{test.objective}</p>],
                      ["Description", test.description && <p className="whitespace-pre-wrap">{test.description}</p>],
                      ["Target", test.target_environment],
                      ["Platform", test.platform],
                      ["Assignee", test.assignee_id && nameOf(test.assignee_id)],
                      ["Created", `${formatDateTime(test.created_at)} by ${nameOf(test.created_by)}`],
                      ["Updated", formatDateTime(test.updated_at)],
                      ["Validated", test.validated_at && formatDateTime(test.validated_at)],
                    ]}
                  />
                </Card>
                <RedReport key={`red-${test.id}`} test={test} editable={redEditable} onSaved={applied} submitError={submitError("submit-red")} />
                <BlueReport key={`blue-${test.id}-${proposalsTaken}`} test={test} editable={blueEditable} onSaved={applied} submitError={submitError("submit-blue")} />
                <EvidencePanel test={test} role={me.role} nameOf={nameOf} />
                <TelemetryPanel
                  test={test}
                  role={me.role}
                  blueEditable={blueEditable}
                  onSaved={(saved) => {
                    // The blue form keeps what it was opened with: reopen it on the proposal.
                    setProposalsTaken((n) => n + 1);
                    return applied(saved);
                  }}
                />
                <Comments testId={test.id} comments={comments} canWrite={can(me.role, "comment")} nameOf={nameOf} />
              </div>
              <div className="min-w-0 space-y-4">
                <TimerCard test={test} transitions={transitions} worklogs={worklogs} />
                <VotesCard test={test} />
                <TransitionsCard transitions={transitions} nameOf={nameOf} />
                <WorklogsCard worklogs={worklogs} nameOf={nameOf} />
              </div>
            </div>
            <VoteDialog
              action={voting}
              busy={vote.isPending}
              error={vote.error}
              onClose={() => setVoting(null)}
              onVote={(verdict, notes) => voting && vote.mutate({ action: voting, verdict, notes })}
            />
          </>
        );
      }}
    </QueryState>
  );
}

function VoteDialog({
  action,
  busy,
  error,
  onClose,
  onVote,
}: {
  action: string | null;
  busy: boolean;
  error: unknown;
  onClose: () => void;
  onVote: (verdict: "approve" | "reject", notes: string) => void;
}) {
  const [notes, setNotes] = useState("");
  useEffect(() => setNotes(""), [action]);
  const team = action === "validate-blue" ? "blue" : "red";
  return (
    <Dialog open={action !== null} title={`The ${team} lead's vote`} onClose={onClose}>
      <form onSubmit={(e) => e.preventDefault()} className="space-y-3">
        <p className="text-sm text-slate-600">Approve or reject the {team} team's work on this test. A rejection needs notes that say why.</p>
        <TextArea label="Notes" value={notes} onChange={(e) => setNotes(e.target.value)} error={fieldError(error, "notes")} />
        {error !== null && !fieldError(error, "notes") && <ErrorPanel error={error} />}
        <div className="flex justify-end gap-2">
          <Button tone="danger" busy={busy} onClick={() => onVote("reject", notes)}>
            Reject
          </Button>
          <Button busy={busy} onClick={() => onVote("approve", notes)}>
            Approve
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

function useNow(running: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  return now;
}

function TimerCard({ test, transitions, worklogs }: { test: Test; transitions: Timeline["transitions"]; worklogs: Timeline["worklogs"] }) {
  const team = test.state === "red_executing" ? "red" : test.state === "blue_evaluating" ? "blue" : null;
  const report = team === "red" ? test.red : team === "blue" ? test.blue : null;
  const now = useNow(team !== null && !test.paused);
  let elapsed: number | null = null;
  if (report?.started_at) {
    // While paused the clock stops at the pause; paused_seconds counts the earlier pauses.
    const pausedAt = test.paused ? transitions.filter((t) => t.action === "pause-timer").at(-1)?.occurred_at : undefined;
    const end = pausedAt ? Date.parse(pausedAt) : now;
    elapsed = Math.max(0, (end - Date.parse(report.started_at)) / 1000 - report.paused_seconds);
  }
  const total = (t: string) => worklogs.filter((w) => w.team === t).reduce((sum, w) => sum + w.duration_seconds, 0);
  return (
    <Card title="Timer">
      {team ? (
        <div className="mb-3">
          <p className="text-sm text-slate-600">
            {humanize(team)} team's phase {test.paused ? <Badge tone="amber">Paused</Badge> : <Badge tone="green">Running</Badge>}
          </p>
          <p className="mt-1 font-mono text-2xl font-semibold text-slate-900" aria-label="Elapsed">
            {formatDuration(elapsed)}
          </p>
        </div>
      ) : (
        <p className="mb-3 text-sm text-slate-600">No timer runs in this state.</p>
      )}
      <Facts
        items={[
          ["Red worked", worklogs.some((w) => w.team === "red") ? formatDuration(total("red")) : null],
          ["Blue worked", worklogs.some((w) => w.team === "blue") ? formatDuration(total("blue")) : null],
        ]}
      />
    </Card>
  );
}

function VotesCard({ test }: { test: Test }) {
  const vote = (label: string, v: Test["red_vote"]) => (
    <div>
      <p className="text-sm font-medium text-slate-700">
        {label}:{" "}
        {v.verdict ? <Badge tone={v.verdict === "approve" ? "green" : "red"}>{v.verdict === "approve" ? "Approved" : "Rejected"}</Badge> : <span className="text-slate-500">no vote yet</span>}
      </p>
      {v.notes && <p className="mt-1 whitespace-pre-wrap text-sm text-slate-600">{v.notes}</p>}
    </div>
  );
  return (
    <Card title="Votes">
      <div className="space-y-2">
        {vote("Red lead", test.red_vote)}
        {vote("Blue lead", test.blue_vote)}
      </div>
    </Card>
  );
}

function TransitionsCard({ transitions, nameOf }: { transitions: Timeline["transitions"]; nameOf: (id: string) => string }) {
  return (
    <Card title="Timeline">
      {transitions.length === 0 ? (
        <p className="text-sm text-slate-500">Nothing has happened yet.</p>
      ) : (
        <ol className="space-y-2 border-l-2 border-slate-200 pl-3">
          {transitions.map((t, i) => (
            <li key={i} className="text-sm">
              <p className="font-medium text-slate-800">{ACTION_LABELS[t.action] ?? humanize(t.action)}</p>
              {t.from !== t.to && (
                <p className="text-xs text-slate-600">
                  {humanize(t.from)} → {humanize(t.to)}
                </p>
              )}
              <p className="text-xs text-slate-500">
                {nameOf(t.actor_id)}, {formatDateTime(t.occurred_at)}
              </p>
              {t.comment && <p className="mt-0.5 whitespace-pre-wrap text-xs text-slate-700">{t.comment}</p>}
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}

function WorklogsCard({ worklogs, nameOf }: { worklogs: Timeline["worklogs"]; nameOf: (id: string) => string }) {
  return (
    <Card title="Worklogs">
      {worklogs.length === 0 ? (
        <p className="text-sm text-slate-500">No finished phase yet.</p>
      ) : (
        <ul className="divide-y divide-slate-100">
          {worklogs.map((w, i) => (
            <li key={i} className="py-2 text-sm">
              <p className="flex flex-wrap items-center gap-2">
                <Badge tone={w.team === "red" ? "red" : "blue"}>{humanize(w.team)}</Badge>
                <span className="font-medium">{formatDuration(w.duration_seconds)}</span>
                {w.intact ? <Badge tone="green">Intact</Badge> : <Badge tone="red">Tampered</Badge>}
              </p>
              <p className="text-xs text-slate-500">
                {nameOf(w.actor_id)}, {formatDateTime(w.started_at)} – {formatDateTime(w.ended_at)}
                {w.paused_seconds > 0 && `, paused ${formatDuration(w.paused_seconds)}`}
              </p>
              <p className="truncate font-mono text-xs text-slate-500" title={w.integrity_hash}>
                {w.integrity_hash}
              </p>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function Comments({ testId, comments, canWrite, nameOf }: { testId: string; comments: Timeline["comments"]; canWrite: boolean; nameOf: (id: string) => string }) {
  const client = useQueryClient();
  const [body, setBody] = useState("");
  const add = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/tests/{id}/comments", { params: { path: { id: testId } }, body: { body } })),
    onSuccess: async () => {
      setBody("");
      await client.invalidateQueries({ queryKey: ["tests", testId, "timeline"] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate();
  };
  return (
    <Card title={`Comments (${comments.length})`}>
      {comments.length === 0 ? (
        <p className="text-sm text-slate-500">No comments yet.</p>
      ) : (
        <ul className="space-y-3">
          {comments.map((c) => (
            <li key={c.id} className="rounded-md bg-slate-50 p-2 text-sm">
              <p className="text-xs text-slate-500">
                <span className="font-medium text-slate-700">{nameOf(c.author_id)}</span>, {formatDateTime(c.created_at)}
              </p>
              <p className="mt-1 whitespace-pre-wrap text-slate-800">{c.body}</p>
            </li>
          ))}
        </ul>
      )}
      {canWrite && (
        <form onSubmit={submit} className="mt-4 space-y-2">
          <TextArea label="Comment" value={body} onChange={(e) => setBody(e.target.value)} error={fieldError(add.error, "body")} />
          {add.error !== null && !fieldError(add.error, "body") && <ErrorPanel error={add.error} />}
          <Button type="submit" disabled={!body.trim()} busy={add.isPending}>
            Add comment
          </Button>
        </form>
      )}
    </Card>
  );
}
