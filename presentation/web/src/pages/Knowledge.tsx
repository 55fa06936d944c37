import { useState } from "react";
import { Link } from "react-router";
import Markdown from "react-markdown";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, CSRF_HEADER, fieldError, ok, type Schemas } from "../api/client";
import { useSession } from "../auth/session";
import { Badge, Button, Card, EmptyState, PageHeader, Pagination, QueryState, SelectField, Stat, Table, Td, TextArea, TextField } from "../components/ui";
import { formatDateTime, humanize, severityTone } from "../lib/format";
import { pageCount, useListParams } from "../lib/listParams";
import { can } from "../lib/permissions";
import { every } from "../api/enums";
import { FormProblem, opt } from "./listing";
import { SEVERITIES } from "./pageKit";

type Playbook = Schemas["PlaybookView"];
type Lesson = Schemas["LessonView"];
type PlaybookType = Schemas["PlaybookType"];
type Severity = Schemas["Severity"];

export const PLAYBOOK_TYPES = every<PlaybookType>()(["attack", "detect", "investigate", "respond", "hunt"]);

/**
 * Markdown as the UI shows it: react-markdown builds React elements and never renders raw
 * HTML (it is dropped with `skipHtml`), and its default URL transform refuses `javascript:`
 * links, so a playbook cannot inject markup or script.
 */
export function SafeMarkdown({ text }: { text: string }) {
  return (
    <div className="prose prose-sm max-w-none space-y-2 [&_code]:rounded [&_code]:bg-slate-100 [&_code]:px-1 [&_h1]:text-lg [&_h1]:font-semibold [&_h2]:font-semibold [&_li]:ml-5 [&_ol]:list-decimal [&_ul]:list-disc">
      <Markdown skipHtml>{text}</Markdown>
    </div>
  );
}

function lines(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((t) => t.trim())
    .filter(Boolean);
}

function usePlaybookForm(initial?: Playbook) {
  const [form, setForm] = useState({
    technique_id: initial?.technique_id ?? "",
    type: (initial?.type ?? "detect") as PlaybookType,
    title: initial?.title ?? "",
    body: initial?.body ?? "",
    tools: (initial?.tools ?? []).join("\n"),
    prerequisites: (initial?.prerequisites ?? []).join("\n"),
  });
  const set = (name: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [name]: e.target.value }));
  const payload = () => ({ ...form, tools: lines(form.tools), prerequisites: lines(form.prerequisites) });
  return { form, set, payload };
}

function PlaybookFields({ state, error }: { state: ReturnType<typeof usePlaybookForm>; error: unknown }) {
  const { form, set } = state;
  return (
    <div className="grid gap-3 md:grid-cols-2">
      <TextField label="Technique" value={form.technique_id} onChange={set("technique_id")} placeholder="T1059.001" error={fieldError(error, "technique_id")} required />
      <SelectField label="Type" value={form.type} onChange={set("type")} options={PLAYBOOK_TYPES.map((t) => [t, humanize(t)] as const)} error={fieldError(error, "type")} />
      <div className="md:col-span-2">
        <TextField label="Title" value={form.title} onChange={set("title")} error={fieldError(error, "title")} required />
      </div>
      <div className="md:col-span-2">
        <TextArea label="Body (Markdown)" rows={8} value={form.body} onChange={set("body")} error={fieldError(error, "body")} required />
      </div>
      <TextArea label="Tools (one per line)" value={form.tools} onChange={set("tools")} error={fieldError(error, "tools")} />
      <TextArea label="Prerequisites (one per line)" value={form.prerequisites} onChange={set("prerequisites")} error={fieldError(error, "prerequisites")} />
    </div>
  );
}

const FORM_FIELDS = ["technique_id", "type", "title", "body", "tools", "prerequisites"] as const;

function NewPlaybook({ onDone }: { onDone: (id: string) => void }) {
  const state = usePlaybookForm();
  const client = useQueryClient();
  const create = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/knowledge/playbooks", { body: state.payload(), headers: CSRF_HEADER })),
    onSuccess: (created) => {
      void client.invalidateQueries({ queryKey: ["knowledge"] });
      onDone(created.id);
    },
  });
  return (
    <Card title="New playbook">
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <PlaybookFields state={state} error={create.error} />
        <FormProblem error={create.error} shown={FORM_FIELDS} />
        <Button type="submit" busy={create.isPending}>
          Save playbook
        </Button>
      </form>
    </Card>
  );
}

function EditPlaybook({ playbook, onDone }: { playbook: Playbook; onDone: () => void }) {
  const state = usePlaybookForm(playbook);
  const client = useQueryClient();
  const save = useMutation({
    mutationFn: () =>
      ok(
        api.PATCH("/api/v1/knowledge/playbooks/{id}", {
          params: { path: { id: playbook.id } },
          body: { ...state.payload(), version: playbook.version },
          headers: CSRF_HEADER,
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["knowledge"] });
      onDone();
    },
  });
  return (
    <form
      className="space-y-3"
      aria-label="Edit playbook"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <PlaybookFields state={state} error={save.error} />
      <FormProblem error={save.error} shown={FORM_FIELDS} />
      <div className="flex gap-2">
        <Button type="submit" busy={save.isPending}>
          Save as version {playbook.version + 1}
        </Button>
        <Button tone="secondary" onClick={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

function DiffView({ id, from, to }: { id: string; from: number; to: number }) {
  const diff = useQuery({
    queryKey: ["knowledge", "diff", id, from, to],
    queryFn: () => ok(api.GET("/api/v1/knowledge/playbooks/{id}/diff", { params: { path: { id }, query: { from, to } } })),
  });
  return (
    <QueryState query={diff}>
      {(d) => (
        <div aria-label={`Changes from version ${from} to ${to}`} role="region">
          {d.changed_fields.length > 0 && <p className="mb-2 text-sm text-slate-700">Also changed: {d.changed_fields.map(humanize).join(", ")}</p>}
          <pre className="overflow-x-auto rounded border border-slate-200 bg-slate-50 p-2 text-xs">
            {d.lines.map((line, i) => (
              <div
                key={i}
                className={line.op === "insert" ? "bg-green-100 text-green-900" : line.op === "delete" ? "bg-red-100 text-red-900" : "text-slate-700"}
              >
                {line.op === "insert" ? "+ " : line.op === "delete" ? "- " : "  "}
                {line.text}
              </div>
            ))}
          </pre>
        </div>
      )}
    </QueryState>
  );
}

function Versions({ playbook, canWrite }: { playbook: Playbook; canWrite: boolean }) {
  const client = useQueryClient();
  const [compare, setCompare] = useState<[number, number] | null>(null);
  const versions = useQuery({
    queryKey: ["knowledge", "versions", playbook.id, playbook.version],
    queryFn: () => ok(api.GET("/api/v1/knowledge/playbooks/{id}/versions", { params: { path: { id: playbook.id } } })),
  });
  const restore = useMutation({
    mutationFn: (number: number) =>
      ok(api.POST("/api/v1/knowledge/playbooks/{id}/restore/{number}", { params: { path: { id: playbook.id, number } }, headers: CSRF_HEADER })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["knowledge"] }),
  });
  return (
    <Card title="Versions">
      <QueryState query={versions}>
        {(list) => (
          <>
            <Table head={["Version", "Title", "Author", "When", ""]} caption="Versions of the playbook">
              {list.map((v) => (
                <tr key={v.number}>
                  <Td>
                    {v.number}
                    {v.restored_from != null && <span className="text-slate-500"> (restores {v.restored_from})</span>}
                  </Td>
                  <Td>{v.title}</Td>
                  <Td className="font-mono text-xs">{v.author.slice(0, 8)}</Td>
                  <Td>{formatDateTime(v.created_at)}</Td>
                  <Td className="space-x-1 whitespace-nowrap">
                    {v.number > 1 && (
                      <Button tone="ghost" onClick={() => setCompare([v.number - 1, v.number])}>
                        Changes in version {v.number}
                      </Button>
                    )}
                    {canWrite && v.number !== playbook.version && playbook.active && (
                      <Button tone="secondary" busy={restore.isPending && restore.variables === v.number} onClick={() => restore.mutate(v.number)}>
                        Restore version {v.number}
                      </Button>
                    )}
                  </Td>
                </tr>
              ))}
            </Table>
            {restore.error && <FormProblem error={restore.error} shown={[]} />}
            {compare && (
              <div className="mt-3">
                <DiffView id={playbook.id} from={compare[0]} to={compare[1]} />
              </div>
            )}
          </>
        )}
      </QueryState>
    </Card>
  );
}

function PlaybookDetail({ id, canWrite }: { id: string; canWrite: boolean }) {
  const [editing, setEditing] = useState(false);
  const client = useQueryClient();
  const playbook = useQuery({
    queryKey: ["knowledge", "playbook", id],
    queryFn: () => ok(api.GET("/api/v1/knowledge/playbooks/{id}", { params: { path: { id } } })),
  });
  const remove = useMutation({
    mutationFn: () => ok(api.DELETE("/api/v1/knowledge/playbooks/{id}", { params: { path: { id } }, headers: CSRF_HEADER })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["knowledge"] }),
  });
  return (
    <QueryState query={playbook}>
      {(p) => (
        <div className="space-y-4">
          <Card
            title={
              <span>
                {p.title} <Badge tone="blue">{humanize(p.type)}</Badge> {!p.active && <Badge tone="slate">Deleted</Badge>}
              </span>
            }
            actions={
              canWrite &&
              p.active &&
              !editing && (
                <div className="flex gap-2">
                  <Button tone="secondary" onClick={() => setEditing(true)}>
                    Edit
                  </Button>
                  <Button tone="danger" busy={remove.isPending} onClick={() => remove.mutate()}>
                    Delete
                  </Button>
                </div>
              )
            }
          >
            <p className="mb-3 text-sm text-slate-600">
              <Link className="underline" to={`/techniques/${p.technique_id}`}>
                {p.technique_id}
              </Link>{" "}
              · version {p.version} · updated {formatDateTime(p.updated_at)}
            </p>
            {editing ? (
              <EditPlaybook playbook={p} onDone={() => setEditing(false)} />
            ) : (
              <>
                <SafeMarkdown text={p.body} />
                {(p.tools.length > 0 || p.prerequisites.length > 0) && (
                  <dl className="mt-4 grid gap-2 text-sm md:grid-cols-2">
                    <div>
                      <dt className="font-medium">Tools</dt>
                      <dd>{p.tools.join(", ") || "—"}</dd>
                    </div>
                    <div>
                      <dt className="font-medium">Prerequisites</dt>
                      <dd>{p.prerequisites.join(", ") || "—"}</dd>
                    </div>
                  </dl>
                )}
              </>
            )}
          </Card>
          <Versions playbook={p} canWrite={canWrite} />
        </div>
      )}
    </QueryState>
  );
}

function Playbooks({ canWrite }: { canWrite: boolean }) {
  const list = useListParams();
  const selected = list.get("playbook");
  const [creating, setCreating] = useState(false);
  const query = {
    technique: opt(list.get("technique")),
    type: opt(list.get("type")) as PlaybookType | undefined,
    include_inactive: list.get("include_inactive") === "true" || undefined,
    page: list.page,
    per_page: list.perPage,
  };
  const playbooks = useQuery({
    queryKey: ["knowledge", "playbooks", query],
    queryFn: () => ok(api.GET("/api/v1/knowledge/playbooks", { params: { query } })),
  });
  return (
    <section aria-labelledby="playbooks-heading" className="space-y-3">
      <div className="flex items-end justify-between gap-3">
        <h2 id="playbooks-heading" className="text-lg font-semibold">
          Playbooks
        </h2>
        {canWrite && (
          <Button tone="secondary" onClick={() => setCreating((c) => !c)}>
            {creating ? "Close form" : "New playbook"}
          </Button>
        )}
      </div>
      {creating && (
        <NewPlaybook
          onDone={(id) => {
            setCreating(false);
            list.set({ playbook: id });
          }}
        />
      )}
      <div className="flex flex-wrap items-end gap-3">
        <TextField label="Technique" defaultValue={list.get("technique")} placeholder="T1059" onBlur={(e) => list.set({ technique: e.target.value.trim() || null })} />
        <SelectField
          label="Type"
          value={list.get("type")}
          onChange={(e) => list.set({ type: e.target.value || null })}
          options={[["", "All types"], ...PLAYBOOK_TYPES.map((t) => [t, humanize(t)] as const)]}
        />
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={list.get("include_inactive") === "true"} onChange={(e) => list.set({ include_inactive: e.target.checked ? "true" : null })} />
          Include deleted
        </label>
      </div>
      <QueryState query={playbooks} empty={(d) => (d.total === 0 ? <EmptyState title="No playbooks yet">Write how to attack, detect, investigate, respond to or hunt a technique.</EmptyState> : null)}>
        {(d) => (
          <>
            <Table head={["Technique", "Type", "Title", "Version", "Updated"]} caption="Playbooks">
              {d.items.map((p) => (
                <tr key={p.id} className={p.id === selected ? "bg-blue-50" : undefined}>
                  <Td className="font-mono">{p.technique_id}</Td>
                  <Td>{humanize(p.type)}</Td>
                  <Td>
                    <Link className="text-blue-800 underline" to={`?playbook=${p.id}`}>
                      {p.title}
                    </Link>
                    {!p.active && <span className="text-slate-500"> (deleted)</span>}
                  </Td>
                  <Td>{p.version}</Td>
                  <Td>{formatDateTime(p.updated_at)}</Td>
                </tr>
              ))}
            </Table>
            <Pagination page={list.page} pages={pageCount(d.total, d.per_page)} onPage={list.setPage} />
          </>
        )}
      </QueryState>
      {selected && <PlaybookDetail key={selected} id={selected} canWrite={canWrite} />}
    </section>
  );
}

function NewLesson() {
  const client = useQueryClient();
  const [form, setForm] = useState({ title: "", body: "", severity: "medium" as Severity });
  const create = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/knowledge/lessons", { body: form, headers: CSRF_HEADER })),
    onSuccess: () => {
      setForm({ title: "", body: "", severity: "medium" });
      void client.invalidateQueries({ queryKey: ["knowledge"] });
    },
  });
  return (
    <Card title="New lesson">
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <TextField label="Lesson title" value={form.title} onChange={(e) => setForm({ ...form, title: e.target.value })} error={fieldError(create.error, "title")} required />
        <SelectField
          label="Severity"
          value={form.severity}
          onChange={(e) => setForm({ ...form, severity: e.target.value as Severity })}
          options={SEVERITIES.map((s) => [s, humanize(s)] as const)}
        />
        <TextArea label="What happened and what to do next time (Markdown)" value={form.body} onChange={(e) => setForm({ ...form, body: e.target.value })} />
        <FormProblem error={create.error} shown={["title", "severity", "body"]} />
        <Button type="submit" busy={create.isPending}>
          Save lesson
        </Button>
      </form>
    </Card>
  );
}

function LessonLinks({ lesson }: { lesson: Lesson }) {
  if (lesson.test_id) return <Link className="underline" to={`/tests/${lesson.test_id}`}>Test</Link>;
  if (lesson.campaign_id) return <Link className="underline" to={`/campaigns/${lesson.campaign_id}`}>Campaign</Link>;
  return <span className="text-slate-500">—</span>;
}

function Lessons({ canWrite }: { canWrite: boolean }) {
  const list = useListParams();
  const selected = list.get("lesson");
  const lessons = useQuery({
    queryKey: ["knowledge", "lessons", list.page, list.perPage],
    queryFn: () => ok(api.GET("/api/v1/knowledge/lessons", { params: { query: { page: list.page, per_page: list.perPage } } })),
  });
  return (
    <section aria-labelledby="lessons-heading" className="space-y-3">
      <h2 id="lessons-heading" className="text-lg font-semibold">
        Lessons learned
      </h2>
      {canWrite && <NewLesson />}
      <QueryState query={lessons} empty={(d) => (d.total === 0 ? <EmptyState title="No lessons yet">Draw one from a finding or a completed campaign, or write one.</EmptyState> : null)}>
        {(d) => (
          <Table head={["Severity", "Title", "Linked to", "Written"]} caption="Lessons learned">
            {d.items.map((l) => (
              <tr key={l.id} className={l.id === selected ? "bg-blue-50" : undefined}>
                <Td>
                  <Badge tone={severityTone(l.severity)}>{humanize(l.severity)}</Badge>
                </Td>
                <Td>
                  <details open={l.id === selected}>
                    <summary className="cursor-pointer">{l.title}</summary>
                    <div className="mt-2">
                      <SafeMarkdown text={l.body} />
                    </div>
                  </details>
                </Td>
                <Td>
                  <LessonLinks lesson={l} />
                </Td>
                <Td>{formatDateTime(l.created_at)}</Td>
              </tr>
            ))}
          </Table>
        )}
      </QueryState>
    </section>
  );
}

export function KnowledgePage() {
  const { me } = useSession();
  const canWrite = can(me.role, "manage_knowledge");
  const stats = useQuery({ queryKey: ["knowledge", "stats"], queryFn: () => ok(api.GET("/api/v1/knowledge/stats")) });
  return (
    <div className="space-y-6">
      <PageHeader title="Knowledge" subtitle="Playbooks per technique, every edit kept as a version, and the lessons learned." />
      <QueryState query={stats}>
        {(s) => (
          <div className="grid gap-3 md:grid-cols-4">
            <Stat label="Playbooks" value={s.playbooks} hint={`${s.inactive_playbooks} deleted`} />
            <Stat label="Techniques with a playbook" value={s.techniques_with_playbooks} />
            <Stat label="Versions" value={s.playbook_versions} />
            <Stat label="Lessons" value={s.lessons} />
          </div>
        )}
      </QueryState>
      <Playbooks canWrite={canWrite} />
      <Lessons canWrite={canWrite} />
    </div>
  );
}
