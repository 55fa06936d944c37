import { Fragment, useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas, fieldError } from "../api/client";
import { useSession } from "../auth/session";
import { Badge, Button, Dialog, EmptyState, PageHeader, Pagination, QueryState, SelectField, Table, Td, TextField } from "../components/ui";
import { humanize } from "../lib/format";
import { Facts, FormProblem, PLATFORMS, SearchField, opt } from "./listing";
import { pageCount, useListParams } from "../lib/listParams";
import { can } from "../lib/permissions";
import { oneOf, TEMPLATE_SOURCES } from "../api/enums";

/** What the dialog needs of a template. */
type Template = Pick<Schemas["TemplateDetailView"], "id" | "name" | "platforms" | "input_arguments">;
const PER_PAGE = 25;
const SOURCES = [
  ["", "Any source"],
  ["atomic", "Atomic Red Team"],
  ["caldera", "CALDERA"],
  ["lolbas", "LOLBAS"],
  ["gtfobins", "GTFOBins"],
] as const;
const sourceName = (source: string) => SOURCES.find(([value]) => value === source)?.[1] ?? source;

export function TemplatesPage() {
  const { me } = useSession();
  const list = useListParams();
  const [open, setOpen] = useState<string | null>(null);
  const [creating, setCreating] = useState<Template | null>(null);
  const query = {
    source: oneOf(TEMPLATE_SOURCES, list.get("source")),
    technique: opt(list.get("technique")),
    platform: opt(list.get("platform")),
    q: opt(list.get("q")),
    page: list.page,
    per_page: PER_PAGE,
  };
  const templates = useQuery({
    queryKey: ["test-templates", query],
    queryFn: () => ok(api.GET("/api/v1/test-templates", { params: { query } })),
    placeholderData: (previous) => previous,
  });
  return (
    <>
      <PageHeader title="Test templates" subtitle="Procedures from Atomic Red Team, CALDERA, LOLBAS and GTFOBins, ready to become tests." />
      <form role="search" aria-label="Filter templates" className="mb-4 grid grid-cols-2 gap-3 rounded-lg border border-slate-200 bg-white p-3 md:grid-cols-4" onSubmit={(e) => e.preventDefault()}>
        <SearchField label="Search" value={list.get("q")} onCommit={(q) => list.set({ q })} placeholder="Text in the name" />
        <SelectField label="Source" value={list.get("source")} onChange={(e) => list.set({ source: e.target.value })} options={SOURCES} />
        <SearchField label="Technique" value={list.get("technique")} onCommit={(technique) => list.set({ technique: technique.toUpperCase() })} placeholder="T1003.001" />
        <SearchField label="Platform" value={list.get("platform")} onCommit={(platform) => list.set({ platform: platform.toLowerCase() })} list={PLATFORMS} placeholder="windows" />
      </form>
      <QueryState query={templates} empty={(data) => (data.items.length === 0 ? <EmptyState title="No templates match these filters" /> : null)}>
        {(data) => (
          <>
            <p className="mb-2 text-sm text-slate-600">{data.total} templates</p>
            <Table caption="Test templates" head={["Name", "Technique", "Source", "Platforms", "Executors"]}>
              {data.items.map((t) => (
                <Fragment key={t.id}>
                  <tr className="hover:bg-slate-50">
                    <Td>
                      <button
                        type="button"
                        aria-expanded={open === t.id}
                        onClick={() => setOpen(open === t.id ? null : t.id)}
                        className="flex items-start gap-1 text-left font-medium text-blue-800 hover:underline focus:outline-none focus-visible:ring-2 focus-visible:ring-blue-600"
                      >
                        <span aria-hidden className="w-3 text-slate-500">
                          {open === t.id ? "▾" : "▸"}
                        </span>
                        {t.name}
                      </button>
                    </Td>
                    <Td>
                      <Link to={`/techniques/${t.technique}`} className="font-mono text-blue-800 hover:underline">
                        {t.technique}
                      </Link>
                    </Td>
                    <Td className="whitespace-nowrap">{sourceName(t.source)}</Td>
                    <Td>{t.platforms.join(", ")}</Td>
                    <Td className="text-slate-600">{t.executors.join(", ")}</Td>
                  </tr>
                  {open === t.id && (
                    <tr>
                      <td colSpan={5} className="bg-slate-50 px-4 py-3">
                        <TemplateDetails id={t.id} onCreate={can(me.role, "plan_tests") ? setCreating : undefined} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </Table>
            <Pagination page={data.page} pages={pageCount(data.total, data.per_page)} onPage={(page) => list.set({ page: String(page) })} />
          </>
        )}
      </QueryState>
      {creating && <FromTemplateDialog template={creating} onClose={() => setCreating(null)} />}
    </>
  );
}

function TemplateDetails({ id, onCreate }: { id: string; onCreate: ((template: Template) => void) | undefined }) {
  const detail = useQuery({
    queryKey: ["test-templates", id],
    queryFn: () => ok(api.GET("/api/v1/test-templates/{id}", { params: { path: { id } } })),
  });
  return (
    <QueryState query={detail}>
      {(t) => (
        <div className="space-y-3 text-sm">
          <div className="flex items-start justify-between gap-3">
            <p className="max-w-3xl whitespace-pre-wrap text-slate-700">{t.description || "No description."}</p>
            {onCreate && <Button onClick={() => onCreate(t)}>Create a test</Button>}
          </div>
          <Facts
            items={[
              ["Source id", <span className="font-mono text-xs">{t.source_id}</span>],
              ["Tactic", t.tactic && humanize(t.tactic)],
              ["Author", t.author],
              ["Licence", t.licence],
              ["Path", <span className="break-all font-mono text-xs">{t.path}</span>],
            ]}
          />
          {t.input_arguments.length > 0 && (
            <section>
              <h3 className="mb-1 font-semibold text-slate-800">Input arguments</h3>
              <ul className="space-y-1">
                {t.input_arguments.map((arg) => (
                  <li key={arg.name}>
                    <span className="font-mono text-xs font-semibold">{arg.name}</span> <Badge>{arg.type}</Badge> {arg.description}
                    {arg.default && (
                      <span className="text-slate-600">
                        {" "}
                        (default <code className="break-all rounded bg-white px-1 font-mono text-xs">{arg.default}</code>)
                      </span>
                    )}
                  </li>
                ))}
              </ul>
            </section>
          )}
          <section>
            <h3 className="mb-1 font-semibold text-slate-800">Commands</h3>
            {t.executors.map((ex, i) => (
              <div key={i} className="mb-2">
                <p className="text-xs text-slate-600">
                  {ex.name}
                  {ex.platform && ` on ${ex.platform}`}
                  {ex.elevation_required && " · needs elevation"}
                </p>
                <pre className="mt-1 max-h-56 overflow-auto whitespace-pre-wrap rounded bg-slate-900 p-2 font-mono text-xs text-slate-100">{ex.command}</pre>
                {ex.cleanup && (
                  <>
                    <p className="mt-1 text-xs text-slate-600">Cleanup</p>
                    <pre className="mt-1 max-h-32 overflow-auto whitespace-pre-wrap rounded bg-slate-800 p-2 font-mono text-xs text-slate-100">{ex.cleanup}</pre>
                  </>
                )}
              </div>
            ))}
          </section>
          {t.dependencies.length > 0 && (
            <section>
              <h3 className="mb-1 font-semibold text-slate-800">Prerequisites</h3>
              <ul className="list-disc space-y-1 pl-5">
                {t.dependencies.map((d, i) => (
                  <li key={i}>{d.description}</li>
                ))}
              </ul>
            </section>
          )}
        </div>
      )}
    </QueryState>
  );
}

/** randomUUID exists only in secure contexts; a plain-HTTP deployment still needs a key. */
function newKey(): string {
  return typeof crypto.randomUUID === "function" ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function FromTemplateDialog({ template, onClose }: { template: Template; onClose: () => void }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [title, setTitle] = useState("");
  const [platform, setPlatform] = useState(template.platforms[0] ?? "");
  const [target, setTarget] = useState("");
  const [args, setArgs] = useState<Record<string, string>>(() => Object.fromEntries(template.input_arguments.map((a) => [a.name, a.default ?? ""])));
  // One key per dialog: a double submit creates one test.
  const [idempotencyKey] = useState(newKey);
  const create = useMutation({
    mutationFn: () =>
      ok(
        api.POST("/api/v1/tests/from-template", {
          headers: { "Idempotency-Key": idempotencyKey },
          body: {
            template_id: template.id,
            title: opt(title.trim()) ?? null,
            platform: opt(platform) ?? null,
            target_environment: target,
            input_arguments: args,
          },
        }),
      ),
    onSuccess: async (test) => {
      await client.invalidateQueries({ queryKey: ["tests"] });
      navigate(`/tests/${test.id}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const argField = (name: string) => fieldError(create.error, `input_arguments.${name}`) ?? fieldError(create.error, name);
  return (
    <Dialog open title="Create a test from this template" onClose={onClose}>
      <form onSubmit={submit} className="max-h-[70vh] space-y-3 overflow-y-auto" noValidate>
        <p className="text-sm text-slate-600">{template.name}</p>
        <TextField label="Title" value={title} placeholder={template.name} hint="The template's name when empty" onChange={(e) => setTitle(e.target.value)} error={fieldError(create.error, "title")} />
        <div className="grid grid-cols-2 gap-3">
          {template.platforms.length > 1 ? (
            <SelectField label="Platform" value={platform} onChange={(e) => setPlatform(e.target.value)} options={template.platforms.map((p) => [p, p] as const)} error={fieldError(create.error, "platform")} />
          ) : (
            <TextField label="Platform" value={platform} readOnly error={fieldError(create.error, "platform")} />
          )}
          <TextField label="Target environment" value={target} onChange={(e) => setTarget(e.target.value)} error={fieldError(create.error, "target_environment")} />
        </div>
        {template.input_arguments.length > 0 && (
          <fieldset className="space-y-2">
            <legend className="text-sm font-semibold text-slate-800">Input arguments</legend>
            {template.input_arguments.map((arg) => (
              <TextField
                key={arg.name}
                label={arg.name}
                hint={arg.description}
                value={args[arg.name] ?? ""}
                onChange={(e) => setArgs((a) => ({ ...a, [arg.name]: e.target.value }))}
                error={argField(arg.name)}
              />
            ))}
          </fieldset>
        )}
        <FormProblem
          error={create.error}
          shown={["title", "platform", "target_environment", ...template.input_arguments.flatMap((a) => [a.name, `input_arguments.${a.name}`])]}
        />
        <div className="flex justify-end gap-2">
          <Button tone="secondary" onClick={onClose}>
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
