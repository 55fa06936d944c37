import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiProblem, api, ok, fieldError, type Schemas } from "../../api/client";
import { Badge, Button, Card, EmptyState, ErrorPanel, PageHeader, QueryState, Table, Td, TextField } from "../../components/ui";
import { formatDateTime } from "../../lib/format";
import { OneTimeSecret } from "./common";

const TENANTS_KEY = ["platform", "tenants"] as const;

/** The platform operator's tenants: create one with its first admin, disable and enable. */
export function TenantsPage() {
  const tenants = useQuery({ queryKey: TENANTS_KEY, queryFn: () => ok(api.GET("/api/v1/platform/tenants")) });
  const refused = tenants.error instanceof ApiProblem && tenants.error.problem.code === "PLATFORM_OPERATOR_REQUIRED";
  return (
    <>
      <PageHeader title="Tenants" subtitle="The organizations this installation serves. A disabled tenant keeps its data; nobody of it signs in." />
      {refused ? (
        <EmptyState title="Only platform operators can see this page" />
      ) : (
        <div className="space-y-5">
          <CreateTenantCard />
          <QueryState query={tenants}>{(list) => <TenantTable tenants={list} />}</QueryState>
        </div>
      )}
    </>
  );
}

function CreateTenantCard() {
  const client = useQueryClient();
  const [slug, setSlug] = useState("");
  const [name, setName] = useState("");
  const [adminEmail, setAdminEmail] = useState("");
  const create = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/platform/tenants", { body: { slug, name, admin_email: adminEmail } })),
    onSuccess: () => {
      setSlug("");
      setName("");
      setAdminEmail("");
      return client.invalidateQueries({ queryKey: TENANTS_KEY });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const field = (name: string) => fieldError(create.error, name);
  const created: Schemas["CreatedTenantResponse"] | undefined = create.data;
  return (
    <Card title="New tenant">
      {created?.admin_password && (
        <div className="mb-3">
          <OneTimeSecret label={`Password of ${created.admin.email}, who must change it at first sign-in`} value={created.admin_password} />
        </div>
      )}
      {create.error && !field("slug") && !field("name") && !field("admin_email") ? <ErrorPanel error={create.error} /> : null}
      <form onSubmit={submit} className="grid gap-3 md:grid-cols-3">
        <TextField label="Slug" value={slug} onChange={(e) => setSlug(e.target.value)} error={field("slug")} required />
        <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} error={field("name")} required />
        <TextField label="First admin's email" type="email" value={adminEmail} onChange={(e) => setAdminEmail(e.target.value)} error={field("admin_email")} required />
        <div className="md:col-span-3">
          <Button type="submit" busy={create.isPending}>
            Create tenant
          </Button>
        </div>
      </form>
    </Card>
  );
}

function TenantTable({ tenants }: { tenants: Schemas["TenantView"][] }) {
  const client = useQueryClient();
  const toggle = useMutation({
    mutationFn: ({ id, disable }: { id: string; disable: boolean }) =>
      disable
        ? ok(api.POST("/api/v1/platform/tenants/{id}/disable", { params: { path: { id } } }))
        : ok(api.POST("/api/v1/platform/tenants/{id}/enable", { params: { path: { id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: TENANTS_KEY }),
  });
  return (
    <>
      {toggle.error && <ErrorPanel error={toggle.error} />}
      <Table caption="Tenants" head={["Tenant", "Status", "Created", ""]}>
        {tenants.map((tenant) => {
          const disabled = tenant.status === "disabled";
          return (
            <tr key={tenant.id}>
              <Td>
                <span className="font-medium">{tenant.name}</span>
                <span className="block font-mono text-xs text-slate-500">{tenant.slug}</span>
              </Td>
              <Td>
                <Badge tone={disabled ? "red" : "green"}>{tenant.status}</Badge>
              </Td>
              <Td>{formatDateTime(tenant.created_at)}</Td>
              <Td>
                <Button
                  tone={disabled ? "secondary" : "danger"}
                  busy={toggle.isPending && toggle.variables?.id === tenant.id}
                  onClick={() => toggle.mutate({ id: tenant.id, disable: !disabled })}
                  aria-label={`${disabled ? "Enable" : "Disable"} ${tenant.name}`}
                >
                  {disabled ? "Enable" : "Disable"}
                </Button>
              </Td>
            </tr>
          );
        })}
      </Table>
    </>
  );
}
