import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { useMutation, useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas, fieldError } from "../../api/client";
import { useSession } from "../../auth/session";
import { Badge, Button, Dialog, EmptyState, ErrorPanel, Loading, PageHeader, Pagination, QueryState, SelectField, Table, Td, TextArea, TextField } from "../../components/ui";
import { formatDateTime, humanize, outcomeTone, stateTone, TEST_STATES } from "../../lib/format";
import { FormProblem, PLATFORMS, SearchField, opt } from "../listing";
import { pageCount, useListParams } from "../../lib/listParams";
import { can } from "../../lib/permissions";
import { every, oneOf, TEAMS, type Team, type TestState } from "../../api/enums";

type Test = Schemas["TestView"];
const PER_PAGE = 25;
const BOARD_PER_STATE = 20;
/** The board reads left to right as the workflow runs, the end states last. */
/** Every state, in the board's column order. */
const BOARD_STATES = every<TestState>()(["draft", "red_executing", "blue_evaluating", "in_review", "disputed", "validated", "rejected"]);
const FILTERS = ["state", "technique_id", "tactic", "campaign_id", "team", "q", "assignee_id"] as const;

export function TestsPage() {
  const { me } = useSession();
  const list = useListParams();
  const [creating, setCreating] = useState(false);
  const board = list.get("view") === "board";
  const filters = {
    technique_id: opt(list.get("technique_id")),
    tactic: opt(list.get("tactic")),
    campaign_id: opt(list.get("campaign_id")),
    team: oneOf(TEAMS, list.get("team")),
    q: opt(list.get("q")),
    assignee_id: opt(list.get("assignee_id")),
  };
  const exportQuery = new URLSearchParams();
  for (const name of FILTERS) if (list.get(name) && !(board && name === "state")) exportQuery.set(name, list.get(name));

  return (
    <>
      <PageHeader
        title="Tests"
        subtitle="Purple-team tests of ATT&CK techniques, from red's execution to both leads' validation."
        actions={
          <>
            <div role="group" aria-label="View" className="inline-flex overflow-hidden rounded-md border border-slate-300">
              {(["list", "board"] as const).map((view) => (
                <button
                  key={view}
                  type="button"
                  aria-pressed={(view === "board") === board}
                  onClick={() => list.set({ view: view === "board" ? "board" : "", page: "" })}
                  className="px-3 py-1.5 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-blue-600 aria-pressed:bg-blue-700 aria-pressed:text-white bg-white text-slate-800 hover:bg-slate-100"
                >
                  {view === "list" ? "List" : "Board by state"}
                </button>
              ))}
            </div>
            <a href={`/api/v1/exports/tests?${exportQuery.toString()}`} className="inline-flex items-center rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100">
              Export CSV
            </a>
            {can(me.role, "plan_tests") && <Button onClick={() => setCreating(true)}>New test</Button>}
          </>
        }
      />
      <TestFilters list={list} board={board} meId={me.id} />
      {board ? <TestBoard filters={filters} /> : <TestTable filters={{ ...filters, state: oneOf(TEST_STATES, list.get("state")) }} page={list.page} onPage={(page) => list.set({ page: String(page) })} />}
      <NewTestDialog open={creating} onClose={() => setCreating(false)} />
    </>
  );
}

function TestFilters({ list, board, meId }: { list: ReturnType<typeof useListParams>; board: boolean; meId: string }) {
  const tactics = useQuery({ queryKey: ["tactics"], queryFn: () => ok(api.GET("/api/v1/tactics")), staleTime: 300_000 });
  const campaigns = useQuery({
    queryKey: ["campaigns", "options"],
    queryFn: () => ok(api.GET("/api/v1/campaigns", { params: { query: { per_page: 200 } } })),
    staleTime: 60_000,
  });
  const tacticOptions = [...(tactics.data ?? [])].sort((a, b) => a.matrix_order - b.matrix_order).map((t) => [t.shortname, t.name] as const);
  const campaignOptions = (campaigns.data?.items ?? []).map((c) => [c.id, c.name] as const);
  const active = FILTERS.some((name) => list.get(name));
  return (
    <form role="search" aria-label="Filter tests" className="mb-4 grid grid-cols-2 gap-3 rounded-lg border border-slate-200 bg-white p-3 md:grid-cols-4 xl:grid-cols-7" onSubmit={(e) => e.preventDefault()}>
      <SearchField label="Search" value={list.get("q")} onCommit={(q) => list.set({ q })} placeholder="Title, description" />
      {!board && (
        <SelectField label="State" value={list.get("state")} onChange={(e) => list.set({ state: e.target.value })} options={[["", "Any state"], ...TEST_STATES.map((s) => [s, humanize(s)] as const)]} />
      )}
      <SearchField label="Technique" value={list.get("technique_id")} onCommit={(technique_id) => list.set({ technique_id: technique_id.toUpperCase() })} placeholder="T1059.001" />
      <SelectField label="Tactic" value={list.get("tactic")} onChange={(e) => list.set({ tactic: e.target.value })} options={[["", "Any tactic"], ...tacticOptions]} />
      <SelectField label="Campaign" value={list.get("campaign_id")} onChange={(e) => list.set({ campaign_id: e.target.value })} options={[["", "Any campaign"], ...campaignOptions]} />
      <SelectField
        label="Waiting for"
        value={list.get("team")}
        onChange={(e) => list.set({ team: e.target.value })}
        options={[
          ["", "Anyone"],
          ["red", "Red team"],
          ["blue", "Blue team"],
        ]}
      />
      <div className="flex flex-col justify-end gap-2 pb-1">
        <label className="flex items-center gap-2 whitespace-nowrap text-sm text-slate-700">
          <input type="checkbox" checked={list.get("assignee_id") === meId} onChange={(e) => list.set({ assignee_id: e.target.checked ? meId : "" })} className="h-4 w-4 rounded border-slate-300" />
          Assigned to me
        </label>
        {active && (
          <Button tone="ghost" className="self-start" onClick={() => list.set(Object.fromEntries(FILTERS.map((name) => [name, ""])))}>
            Clear filters
          </Button>
        )}
      </div>
    </form>
  );
}

type Filters = { state?: TestState | undefined; technique_id?: string | undefined; tactic?: string | undefined; campaign_id?: string | undefined; team?: Team | undefined; q?: string | undefined; assignee_id?: string | undefined };

function TestTable({ filters, page, onPage }: { filters: Filters; page: number; onPage: (page: number) => void }) {
  const tests = useQuery({
    queryKey: ["tests", "list", filters, page],
    queryFn: () => ok(api.GET("/api/v1/tests", { params: { query: { ...filters, page, per_page: PER_PAGE } } })),
    placeholderData: (previous) => previous,
  });
  return (
    <QueryState query={tests} empty={(data) => (data.items.length === 0 ? <EmptyState title="No tests match these filters" /> : null)}>
      {(data) => (
        <>
          <p className="mb-2 text-sm text-slate-600">
            {data.total} {data.total === 1 ? "test" : "tests"}
          </p>
          <Table caption="Tests" head={["Title", "Technique", "State", "Outcome", "Platform", "Updated"]}>
            {data.items.map((test) => (
              <tr key={test.id} className="hover:bg-slate-50">
                <Td>
                  <Link to={`/tests/${test.id}`} className="font-medium text-blue-800 hover:underline">
                    {test.title}
                  </Link>
                  {test.paused && <span className="ml-2 text-xs text-amber-800">paused</span>}
                </Td>
                <Td>
                  <Link to={`/techniques/${test.technique_id}`} className="font-mono text-blue-800 hover:underline">
                    {test.technique_id}
                  </Link>
                </Td>
                <Td className="whitespace-nowrap">
                  <Badge tone={stateTone(test.state)}>{humanize(test.state)}</Badge>
                </Td>
                <Td className="whitespace-nowrap">{test.blue.outcome ? <Badge tone={outcomeTone(test.blue.outcome)}>{humanize(test.blue.outcome)}</Badge> : <span className="text-slate-500">—</span>}</Td>
                <Td>{test.platform ?? "—"}</Td>
                <Td className="whitespace-nowrap text-slate-600">{formatDateTime(test.updated_at)}</Td>
              </tr>
            ))}
          </Table>
          <Pagination page={data.page} pages={pageCount(data.total, data.per_page)} onPage={onPage} />
        </>
      )}
    </QueryState>
  );
}

/** One query per state: each column shows its own total and its latest tests. */
function TestBoard({ filters }: { filters: Filters }) {
  const columns = useQueries({
    queries: BOARD_STATES.map((state) => ({
      queryKey: ["tests", "board", state, filters],
      queryFn: () => ok(api.GET("/api/v1/tests", { params: { query: { ...filters, state, per_page: BOARD_PER_STATE } } })),
    })),
  });
  const listLink = (state: string) => {
    const query = new URLSearchParams({ state });
    for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
    return `/tests?${query.toString()}`;
  };
  return (
    <div className="grid grid-cols-1 items-start gap-3 sm:grid-cols-2 lg:grid-cols-3 xl:grid-cols-4">
      {BOARD_STATES.map((state, index) => {
        const column = columns[index];
        return (
          <section key={state} aria-label={humanize(state)} className="flex min-w-0 flex-col rounded-lg border border-slate-200 bg-slate-50">
            <h2 className="flex items-center justify-between border-b border-slate-200 px-3 py-2 text-sm font-semibold text-slate-800">
              <Badge tone={stateTone(state)}>{humanize(state)}</Badge>
              <span className="text-slate-500">{column?.data?.total ?? ""}</span>
            </h2>
            <div className="space-y-2 p-2">
              {!column || column.isPending ? (
                <Loading />
              ) : column.error || !column.data ? (
                <ErrorPanel error={column.error} onRetry={() => column.refetch()} />
              ) : column.data.items.length === 0 ? (
                <p className="px-1 py-3 text-center text-xs text-slate-500">No tests</p>
              ) : (
                <>
                  {column.data.items.map((test) => (
                    <TestCard key={test.id} test={test} />
                  ))}
                  {column.data.total > column.data.items.length && (
                    <Link to={listLink(state)} className="block px-1 text-xs text-blue-800 hover:underline">
                      All {column.data.total} in the list
                    </Link>
                  )}
                </>
              )}
            </div>
          </section>
        );
      })}
    </div>
  );
}

function TestCard({ test }: { test: Test }) {
  return (
    <article className="rounded-md border border-slate-200 bg-white p-2 text-sm shadow-sm">
      <Link to={`/tests/${test.id}`} className="font-medium text-blue-800 hover:underline">
        {test.title}
      </Link>
      <div className="mt-1 flex flex-wrap items-center gap-1.5 text-xs text-slate-600">
        <Link to={`/techniques/${test.technique_id}`} className="font-mono hover:underline">
          {test.technique_id}
        </Link>
        {test.platform && <span>· {test.platform}</span>}
        {test.blue.outcome && <Badge tone={outcomeTone(test.blue.outcome)}>{humanize(test.blue.outcome)}</Badge>}
        {test.paused && <Badge tone="amber">Paused</Badge>}
      </div>
      <p className="mt-1 text-xs text-slate-500">Updated {formatDateTime(test.updated_at)}</p>
    </article>
  );
}

const EMPTY_TEST = { title: "", technique_id: "", description: "", objective: "", platform: "", target_environment: "" };
const TEST_FIELDS = Object.keys(EMPTY_TEST);

function NewTestDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [form, setForm] = useState(EMPTY_TEST);
  const create = useMutation({
    mutationFn: () =>
      ok(
        api.POST("/api/v1/tests", {
          body: { ...form, title: form.title.trim(), technique_id: form.technique_id.trim().toUpperCase(), platform: opt(form.platform.trim()) ?? null },
        }),
      ),
    onSuccess: async (test) => {
      await client.invalidateQueries({ queryKey: ["tests"] });
      setForm(EMPTY_TEST);
      navigate(`/tests/${test.id}`);
    },
  });
  const close = () => {
    create.reset();
    onClose();
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const bind = (name: keyof typeof EMPTY_TEST) => ({
    value: form[name],
    error: fieldError(create.error, name),
    onChange: (e: { target: { value: string } }) => setForm((f) => ({ ...f, [name]: e.target.value })),
  });
  return (
    <Dialog open={open} title="New test" onClose={close}>
      <form onSubmit={submit} className="space-y-3" noValidate>
        <TextField label="Title" required {...bind("title")} autoFocus />
        <TextField label="Technique" required hint="ATT&CK technique id, e.g. T1059.001" {...bind("technique_id")} />
        <TextArea label="Description" {...bind("description")} />
        <TextArea label="Objective" rows={2} {...bind("objective")} />
        <div className="grid grid-cols-2 gap-3">
          <TextField label="Platform" list="new-test-platforms" {...bind("platform")} />
          <TextField label="Target environment" {...bind("target_environment")} />
        </div>
        <datalist id="new-test-platforms">
          {PLATFORMS.map((p) => (
            <option key={p} value={p} />
          ))}
        </datalist>
        <FormProblem error={create.error} shown={TEST_FIELDS} />
        <div className="flex justify-end gap-2">
          <Button tone="secondary" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" busy={create.isPending}>
            Create test
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
