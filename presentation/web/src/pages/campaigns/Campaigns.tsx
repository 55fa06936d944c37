import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiProblem, ok, type Schemas } from "../../api/client";
import { useSession } from "../../auth/session";
import { Badge, Button, Dialog, EmptyState, ErrorPanel, PageHeader, Pagination, QueryState, SelectField, Table, Td, TextArea, TextField } from "../../components/ui";
import { formatDate, humanize } from "../../lib/format";
import { CAMPAIGN_STATUSES, CAMPAIGN_TYPES, campaignStatusTone, campaignTypeOf } from "../pageKit";
import { NO_RECURRENCE, RecurrenceFields, recurrenceRequest, type RecurrenceDraft } from "./recurrence";
import { pageCount, useListParams } from "../../lib/listParams";
import { SearchField } from "../listing";
import { can } from "../../lib/permissions";
import { oneOf } from "../../api/enums";

const PER_PAGE = 25;

export function campaignTypeLabel(type: string): string {
  return CAMPAIGN_TYPES.find(([value]) => value === type)?.[1] ?? humanize(type);
}

export function CampaignsPage() {
  const { me } = useSession();
  const canManage = can(me.role, "manage_campaigns");
  const filters = useListParams();
  const status = filters.get("status");
  const campaignType = filters.get("campaign_type");
  const q = filters.get("q");
  const [creating, setCreating] = useState(false);
  const [importing, setImporting] = useState(false);

  const campaigns = useQuery({
    queryKey: ["campaigns", { status, campaignType, q, page: filters.page }],
    queryFn: () =>
      ok(
        api.GET("/api/v1/campaigns", {
          params: { query: { status: oneOf(CAMPAIGN_STATUSES, status), campaign_type: campaignTypeOf(campaignType), q: q || undefined, page: filters.page, per_page: PER_PAGE } },
        }),
      ),
  });

  return (
    <>
      <PageHeader
        title="Campaigns"
        subtitle="Planned series of tests, run once or on a schedule, with their progress and results run over run."
        actions={
          canManage && (
            <>
              <Button tone="secondary" onClick={() => setImporting(true)}>
                Import template
              </Button>
              <Button onClick={() => setCreating(true)}>New campaign</Button>
            </>
          )
        }
      />
      <div className="mb-4 grid gap-3 sm:grid-cols-3">
        <SearchField label="Search" value={q} onCommit={(value) => filters.set({ q: value })} />
        <SelectField
          label="Status"
          value={status}
          onChange={(e) => filters.set({ status: e.target.value })}
          options={[["", "Any status"], ...CAMPAIGN_STATUSES.map((s) => [s, humanize(s)] as const)]}
        />
        <SelectField label="Type" value={campaignType} onChange={(e) => filters.set({ campaign_type: e.target.value })} options={[["", "Any type"], ...CAMPAIGN_TYPES]} />
      </div>
      <QueryState
        query={campaigns}
        empty={(page) =>
          page.items.length === 0 ? (
            <EmptyState title={status || campaignType || q ? "No campaign matches these filters" : "No campaigns yet"}>
              {canManage && !(status || campaignType || q) && "Create one, import a template, or plan one from a threat actor."}
            </EmptyState>
          ) : null
        }
      >
        {(page) => (
          <>
            <Table caption="Campaigns" head={["Name", "Type", "Status", "Run", "Schedule", "Tests"]}>
              {page.items.map((campaign) => (
                <CampaignRow key={campaign.id} campaign={campaign} />
              ))}
            </Table>
            <p className="mt-2 text-xs text-slate-500">{page.total} campaigns</p>
            <Pagination page={page.page} pages={pageCount(page.total, page.per_page)} onPage={filters.setPage} />
          </>
        )}
      </QueryState>
      {creating && <NewCampaignDialog onClose={() => setCreating(false)} />}
      {importing && <ImportTemplateDialog onClose={() => setImporting(false)} />}
    </>
  );
}

function CampaignRow({ campaign }: { campaign: Schemas["CampaignView"] }) {
  return (
    <tr>
      <Td>
        <Link to={`/campaigns/${campaign.id}`} className="font-medium text-blue-800 hover:underline">
          {campaign.name}
        </Link>
        {campaign.objective && <p className="line-clamp-1 text-xs text-slate-500">{campaign.objective}</p>}
      </Td>
      <Td>{campaignTypeLabel(campaign.campaign_type)}</Td>
      <Td>
        <Badge tone={campaignStatusTone(campaign.status)}>{humanize(campaign.status)}</Badge>
      </Td>
      <Td>#{campaign.run_number}</Td>
      <Td>
        <span className="whitespace-nowrap">
          {formatDate(campaign.start_date)} → {formatDate(campaign.end_date)}
        </span>
        {campaign.recurrence && <p className="text-xs text-slate-500">Repeats {campaign.recurrence.rule}</p>}
      </Td>
      <Td>{campaign.test_ids.length}</Td>
    </tr>
  );
}

function NewCampaignDialog({ onClose }: { onClose: () => void }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [form, setForm] = useState({ name: "", description: "", objective: "", campaign_type: "purple_team", start_date: "", end_date: "" });
  const [recurrence, setRecurrence] = useState<RecurrenceDraft>(NO_RECURRENCE);
  const create = useMutation({
    mutationFn: () =>
      ok(
        api.POST("/api/v1/campaigns", {
          body: {
            name: form.name.trim(),
            description: form.description,
            objective: form.objective,
            campaign_type: campaignTypeOf(form.campaign_type) ?? null,
            start_date: form.start_date || null,
            end_date: form.end_date || null,
            recurrence: recurrenceRequest(recurrence),
          },
        }),
      ),
    onSuccess: async (campaign) => {
      await client.invalidateQueries({ queryKey: ["campaigns"] });
      navigate(`/campaigns/${campaign.id}`);
    },
  });
  const problem = create.error instanceof ApiProblem ? create.error : null;
  const field = (key: keyof typeof form) => ({
    value: form[key],
    onChange: (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value })),
    error: problem?.field(key),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <Dialog open title="New campaign" onClose={onClose}>
      <form onSubmit={submit} className="space-y-3" noValidate>
        <TextField label="Name" required autoFocus {...field("name")} />
        <TextArea label="Description" {...field("description")} />
        <TextArea label="Objective" rows={2} {...field("objective")} />
        <SelectField label="Type" options={CAMPAIGN_TYPES} {...field("campaign_type")} hint="A red team campaign is blind: blue sees its tests only when red releases them." />
        <div className="grid grid-cols-2 gap-3">
          <TextField label="Start date" type="date" {...field("start_date")} />
          <TextField label="End date" type="date" {...field("end_date")} />
        </div>
        <RecurrenceFields value={recurrence} onChange={setRecurrence} problem={problem} />
        {create.error && <ErrorPanel error={create.error} />}
        <div className="flex justify-end gap-2 pt-2">
          <Button tone="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" busy={create.isPending} disabled={!form.name.trim()}>
            Create draft
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

/** The body to import: a file holding a whole request is sent as is, a bare template is wrapped. */
export function importBody(text: string, startDate: string): Schemas["ImportRequest"] {
  const parsed: unknown = JSON.parse(text);
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("The file does not hold a JSON object.");
  // The server validates the template's shape and names the fields at fault.
  const body = ("template" in parsed ? parsed : { template: parsed }) as Schemas["ImportRequest"];
  return startDate ? { ...body, start_date: startDate } : body;
}

function ImportTemplateDialog({ onClose }: { onClose: () => void }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [startDate, setStartDate] = useState("");
  const importing = useMutation({
    mutationFn: async () => {
      if (!file) throw new Error("Choose a template file.");
      let body: Schemas["ImportRequest"];
      try {
        body = importBody(await file.text(), startDate);
      } catch (e) {
        throw new Error(`${file.name} is not a campaign template: ${e instanceof Error ? e.message : String(e)}`);
      }
      return ok(api.POST("/api/v1/campaigns/import", { body }));
    },
    onSuccess: async (detail) => {
      await client.invalidateQueries({ queryKey: ["campaigns"] });
      navigate(`/campaigns/${detail.campaign.id}`);
    },
  });
  const problem = importing.error instanceof ApiProblem ? importing.error : null;
  return (
    <Dialog open title="Import a campaign template" onClose={onClose}>
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          importing.mutate();
        }}
      >
        <p className="text-sm text-slate-600">A template exported from a campaign (its plan, without results) becomes a new draft campaign with its tests.</p>
        <TextField label="Template file (JSON)" type="file" accept="application/json,.json" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        <TextField label="Start date" type="date" value={startDate} onChange={(e) => setStartDate(e.target.value)} error={problem?.field("start_date")} hint="Optional; phases keep their offsets from it." />
        {importing.error && <ErrorPanel error={importing.error} />}
        <div className="flex justify-end gap-2 pt-2">
          <Button tone="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" busy={importing.isPending} disabled={!file}>
            Import
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
