import { useRef, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas, fieldError } from "../../api/client";
import { useSession } from "../../auth/session";
import { Badge, Button, Card, Dialog, EmptyState, ErrorPanel, PageHeader, Pagination, QueryState, SelectField, Table, Td, TextField } from "../../components/ui";
import { formatDate, formatDateTime, ROLES, roleLabel } from "../../lib/format";

import { AdminOnly, FilterText, OneTimeSecret } from "./common";
import { pageCount, useListParams } from "../../lib/listParams";
import { oneOf, type Role } from "../../api/enums";

type User = Schemas["UserView"];
const ROLE_OPTIONS = ROLES.map((r) => [r, roleLabel[r] ?? r] as const);
const SORTS = [
  ["email", "Email"],
  ["display_name", "Display name"],
  ["role", "Role"],
  ["-last_login_at", "Latest sign-in first"],
  ["-created_at", "Newest first"],
] as const;

const fieldOf = (error: unknown) => (name: string) => fieldError(error, name);

export function UsersPage() {
  const { me } = useSession();
  if (me.role !== "admin") return <AdminOnly title="Users" />;
  return <Users selfId={me.id} />;
}

function Users({ selfId }: { selfId: string }) {
  const list = useListParams();
  const role = oneOf(ROLES, list.get("role"));
  const active = list.get("active");
  const q = list.get("q");
  const sort = list.get("sort");
  const users = useQuery({
    queryKey: ["users", "list", { role, active, q, sort, page: list.page, perPage: list.perPage }],
    queryFn: () =>
      ok(
        api.GET("/api/v1/users", {
          params: {
            query: {
              page: list.page,
              per_page: list.perPage,
              ...(role ? { role } : {}),
              ...(active ? { is_active: active === "true" } : {}),
              ...(q ? { q } : {}),
              ...(sort ? { sort } : {}),
            },
          },
        }),
      ),
  });
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<User | null>(null);
  const [resetting, setResetting] = useState<User | null>(null);
  const [deactivating, setDeactivating] = useState<User | null>(null);
  const [keying, setKeying] = useState<User | null>(null);
  const [resettingMfa, setResettingMfa] = useState<User | null>(null);

  return (
    <>
      <PageHeader title="Users" subtitle="Who can sign in, and with which role." actions={<Button onClick={() => setCreating(true)}>Create user</Button>} />
      <div className="mb-4 flex flex-wrap items-end gap-3">
        <FilterText label="Search email or name" value={q} onApply={(v) => list.set({ q: v })} />
        <div className="w-44">
          <SelectField label="Role" value={role} onChange={(e) => list.set({ role: e.target.value })} options={[["", "Any role"], ...ROLE_OPTIONS]} />
        </div>
        <div className="w-40">
          <SelectField
            label="Status"
            value={active}
            onChange={(e) => list.set({ active: e.target.value })}
            options={[
              ["", "Any"],
              ["true", "Active"],
              ["false", "Deactivated"],
            ]}
          />
        </div>
        <div className="w-48">
          <SelectField label="Sort by" value={sort || "email"} onChange={(e) => list.set({ sort: e.target.value === "email" ? null : e.target.value })} options={SORTS} />
        </div>
      </div>
      <QueryState query={users} empty={(data) => (data.items.length === 0 ? <EmptyState title="No user matches these filters" /> : null)}>
        {(data) => (
          <>
            <Table caption="Users" head={["Email", "Display name", "Role", "Status", "Last sign-in", "Created", ""]}>
              {data.items.map((u) => (
                <tr key={u.id}>
                  <Td className="font-medium break-all">{u.email}</Td>
                  <Td>{u.display_name}</Td>
                  <Td>{roleLabel[u.role] ?? u.role}</Td>
                  <Td>
                    <span className="flex flex-wrap gap-1">
                      {u.is_active ? <Badge tone="green">Active</Badge> : <Badge tone="red">Deactivated</Badge>}
                      {u.kind === "service" && <Badge tone="purple">Service account</Badge>}
                      {u.must_change_password && <Badge tone="amber">Must change password</Badge>}
                      {u.locked_until && new Date(u.locked_until) > new Date() && <Badge tone="amber">Locked until {formatDateTime(u.locked_until)}</Badge>}
                    </span>
                  </Td>
                  <Td className="whitespace-nowrap">{formatDateTime(u.last_login_at)}</Td>
                  <Td className="whitespace-nowrap">{formatDate(u.created_at)}</Td>
                  <Td className="w-36">
                    {/* Stacked, so the table fits a 1280-pixel screen. */}
                    <div className="flex flex-col items-start">
                      <Button tone="ghost" aria-label={`Edit ${u.email}`} onClick={() => setEditing(u)}>
                        Edit
                      </Button>
                      {u.kind === "service" ? (
                        <Button tone="ghost" aria-label={`New API key for ${u.email}`} onClick={() => setKeying(u)}>
                          New API key
                        </Button>
                      ) : (
                        <>
                          <Button tone="ghost" aria-label={`Reset password of ${u.email}`} onClick={() => setResetting(u)}>
                            Reset password
                          </Button>
                          <Button tone="ghost" aria-label={`Reset two-step sign-in of ${u.email}`} onClick={() => setResettingMfa(u)}>
                            Reset two-step sign-in
                          </Button>
                        </>
                      )}
                      {u.is_active && u.id !== selfId && (
                        <Button tone="ghost" className="text-red-800" aria-label={`Deactivate ${u.email}`} onClick={() => setDeactivating(u)}>
                          Deactivate
                        </Button>
                      )}
                    </div>
                  </Td>
                </tr>
              ))}
            </Table>
            <p className="mt-2 text-xs text-slate-500">{data.total} users</p>
            <Pagination page={data.page} pages={pageCount(data.total, data.per_page)} onPage={list.setPage} />
          </>
        )}
      </QueryState>
      {creating && <CreateDialog onClose={() => setCreating(false)} />}
      {editing && <EditDialog user={editing} isSelf={editing.id === selfId} onClose={() => setEditing(null)} />}
      {resetting && <ResetDialog user={resetting} onClose={() => setResetting(null)} />}
      {deactivating && <DeactivateDialog user={deactivating} onClose={() => setDeactivating(null)} />}
      {keying && <ServiceKeyDialog user={keying} onClose={() => setKeying(null)} />}
      {resettingMfa && <ResetMfaDialog user={resettingMfa} onClose={() => setResettingMfa(null)} />}
      <MfaPolicyCard />
    </>
  );
}

function useUsersChanged() {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: ["users"] });
}

function CreateDialog({ onClose }: { onClose: () => void }) {
  const changed = useUsersChanged();
  const [email, setEmail] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [password, setPassword] = useState("");
  const [service, setService] = useState(false);
  // One key per payload: a repeated submit replays the first answer instead of creating twice,
  // and a corrected form is a new request rather than a conflict.
  const idempotency = useRef({ payload: "", key: "" });
  const create = useMutation({
    mutationFn: () => {
      const body = service
        ? { email, role, display_name: displayName || null, kind: "service" as const }
        : { email, role, display_name: displayName || null, password: password || null };
      const payload = JSON.stringify(body);
      if (idempotency.current.payload !== payload) idempotency.current = { payload, key: crypto.randomUUID() };
      return ok(api.POST("/api/v1/users", { params: { header: { "Idempotency-Key": idempotency.current.key } }, body }));
    },
    onSuccess: changed,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const field = fieldOf(create.error);
  const created = create.data;
  return (
    <Dialog open title="Create user" onClose={onClose}>
      {created ? (
        <div className="space-y-3 text-sm">
          {created.kind === "service" ? (
            <p role="status">
              {created.email} was created as a {roleLabel[created.role] ?? created.role} service account: it has no password; give it an API key from the list.
            </p>
          ) : (
            <>
              <p role="status">
                {created.email} was created as {roleLabel[created.role] ?? created.role}; they must choose a new password at their first sign-in.
              </p>
              {created.generated_password ? <OneTimeSecret label="Generated password" value={created.generated_password} /> : <p>They sign in with the password you chose.</p>}
            </>
          )}
          <Button onClick={onClose}>Done</Button>
        </div>
      ) : (
        <form onSubmit={submit} className="space-y-3" noValidate>
          <TextField label="Email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} error={field("email")} required autoFocus />
          <TextField label="Display name" value={displayName} onChange={(e) => setDisplayName(e.target.value)} error={field("display_name")} hint="Defaults to the part of the email before @." />
          <SelectField label="Role" value={role} onChange={(e) => setRole(oneOf(ROLES, e.target.value) ?? role)} options={ROLE_OPTIONS} error={field("role")} />
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={service} onChange={(e) => setService(e.target.checked)} />
            Service account (no password; acts only through API keys)
          </label>
          {!service && (
            <TextField
              label="Initial password"
              type="password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              error={field("password")}
              hint="Leave empty to have one generated and shown once."
            />
          )}
          {create.error && <ErrorPanel error={create.error} />}
          <div className="flex justify-end gap-2">
            <Button tone="secondary" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" busy={create.isPending} disabled={!email}>
              Create user
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

function EditDialog({ user, isSelf, onClose }: { user: User; isSelf: boolean; onClose: () => void }) {
  const changed = useUsersChanged();
  const [displayName, setDisplayName] = useState(user.display_name);
  const [role, setRole] = useState(user.role);
  const [active, setActive] = useState(user.is_active);
  const save = useMutation({
    mutationFn: () =>
      ok(
        api.PATCH("/api/v1/users/{id}", {
          params: { path: { id: user.id } },
          body: {
            ...(displayName !== user.display_name ? { display_name: displayName } : {}),
            ...(role !== user.role ? { role } : {}),
            ...(active !== user.is_active ? { is_active: active } : {}),
          },
        }),
      ),
    onSuccess: async () => {
      await changed();
      onClose();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  const field = fieldOf(save.error);
  const unchanged = displayName === user.display_name && role === user.role && active === user.is_active;
  return (
    <Dialog open title={`Edit ${user.email}`} onClose={onClose}>
      <form onSubmit={submit} className="space-y-3" noValidate>
        <TextField label="Display name" value={displayName} onChange={(e) => setDisplayName(e.target.value)} error={field("display_name")} required />
        <SelectField label="Role" value={role} onChange={(e) => setRole(oneOf(ROLES, e.target.value) ?? role)} options={ROLE_OPTIONS} error={field("role")} hint={isSelf ? "Demoting yourself ends your administration rights." : ""} />
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} className="h-4 w-4" />
          Active (can sign in)
        </label>
        {field("is_active") && <p className="text-xs text-red-700">{field("is_active")}</p>}
        {save.error && <ErrorPanel error={save.error} />}
        <div className="flex justify-end gap-2">
          <Button tone="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" busy={save.isPending} disabled={unchanged}>
            Save
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

function ResetDialog({ user, onClose }: { user: User; onClose: () => void }) {
  const changed = useUsersChanged();
  const [password, setPassword] = useState("");
  const reset = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/users/{id}/reset-password", { params: { path: { id: user.id } }, body: { password: password || null } })),
    onSuccess: changed,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    reset.mutate();
  };
  return (
    <Dialog open title={`Reset the password of ${user.email}`} onClose={onClose}>
      {reset.data ? (
        <div className="space-y-3 text-sm">
          <p role="status">The password was reset; {user.email}'s sessions have ended and they must choose a new password at the next sign-in.</p>
          {reset.data.generated_password && <OneTimeSecret label="New password" value={reset.data.generated_password} />}
          <Button onClick={onClose}>Done</Button>
        </div>
      ) : (
        <form onSubmit={submit} className="space-y-3" noValidate>
          <p className="text-sm text-slate-700">Their sessions end now, and they must choose a new password when they next sign in.</p>
          <TextField
            label="New password"
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={fieldOf(reset.error)("password")}
            hint="Leave empty to have one generated and shown once."
          />
          {reset.error && <ErrorPanel error={reset.error} />}
          <div className="flex justify-end gap-2">
            <Button tone="secondary" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" tone="danger" busy={reset.isPending}>
              Reset password
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

function DeactivateDialog({ user, onClose }: { user: User; onClose: () => void }) {
  const changed = useUsersChanged();
  const deactivate = useMutation({
    mutationFn: () => ok(api.DELETE("/api/v1/users/{id}", { params: { path: { id: user.id } } })),
    onSuccess: async () => {
      await changed();
      onClose();
    },
  });
  return (
    <Dialog open title={`Deactivate ${user.email}?`} onClose={onClose}>
      <div className="space-y-3 text-sm">
        <p>They can no longer sign in. Their work and audit trail stay; an administrator can make the account active again with Edit.</p>
        {deactivate.error && <ErrorPanel error={deactivate.error} />}
        <div className="flex justify-end gap-2">
          <Button tone="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button tone="danger" busy={deactivate.isPending} onClick={() => deactivate.mutate()}>
            Deactivate
          </Button>
        </div>
      </div>
    </Dialog>
  );
}

/** A key for a service account: its scopes narrow the account's role; shown once. */
function ServiceKeyDialog({ user, onClose }: { user: User; onClose: () => void }) {
  const [name, setName] = useState(`${user.display_name} key`);
  const [scopes, setScopes] = useState("read tests:write evidence:write");
  const create = useMutation({
    mutationFn: () =>
      ok(
        api.POST("/api/v1/api-keys", {
          body: { name, scopes: scopes.split(/\s+/).filter(Boolean) as Schemas["ApiKeyScope"][], owner_id: user.id },
        }),
      ),
  });
  return (
    <Dialog open title={`New API key for ${user.email}`} onClose={onClose}>
      {create.data ? (
        <div className="space-y-3 text-sm">
          <OneTimeSecret label="API key" value={create.data.key} />
          <Button onClick={onClose}>Done</Button>
        </div>
      ) : (
        <form
          className="space-y-3"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <TextField label="Key name" value={name} onChange={(e) => setName(e.target.value)} error={fieldError(create.error, "name")} />
          <TextField label="Scopes" value={scopes} onChange={(e) => setScopes(e.target.value)} error={fieldError(create.error, "scopes")} hint="Space-separated: read, write, tests:write, evidence:write, …" />
          {create.error && <ErrorPanel error={create.error} />}
          <div className="flex justify-end gap-2">
            <Button tone="secondary" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" busy={create.isPending}>
              Create key
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

/** Removes a user's authenticator app and recovery codes (a lost phone); audited. */
function ResetMfaDialog({ user, onClose }: { user: User; onClose: () => void }) {
  const reset = useMutation({ mutationFn: () => ok(api.DELETE("/api/v1/mfa/users/{id}", { params: { path: { id: user.id } } })) });
  return (
    <Dialog open title="Reset two-step sign-in" onClose={onClose}>
      {reset.isSuccess ? (
        <div className="space-y-3 text-sm">
          <p role="status">{user.email} signs in with the password alone until they set up an authenticator app again.</p>
          <Button onClick={onClose}>Done</Button>
        </div>
      ) : (
        <div className="space-y-3 text-sm">
          <p>Remove {user.email}'s authenticator app and recovery codes?</p>
          {reset.error && <ErrorPanel error={reset.error} />}
          <div className="flex justify-end gap-2">
            <Button tone="secondary" onClick={onClose}>
              Cancel
            </Button>
            <Button tone="danger" busy={reset.isPending} onClick={() => reset.mutate()}>
              Reset
            </Button>
          </div>
        </div>
      )}
    </Dialog>
  );
}

/** Which roles must sign in with an authenticator app as well as a password. */
function MfaPolicyCard() {
  const client = useQueryClient();
  const policy = useQuery({ queryKey: ["mfa", "policy"], queryFn: () => ok(api.GET("/api/v1/mfa/policy")) });
  const [chosen, setChosen] = useState<Role[] | null>(null);
  const save = useMutation({
    mutationFn: (roles: Role[]) => ok(api.PUT("/api/v1/mfa/policy", { body: { required_roles: roles } })),
    onSuccess: (saved) => {
      setChosen(null);
      client.setQueryData(["mfa", "policy"], saved);
    },
  });
  return (
    <div className="mt-6">
      <Card title="Two-step sign-in policy">
        <QueryState query={policy}>
          {(current) => {
            const roles = chosen ?? (current.required_roles as Role[]);
            return (
              <form
                aria-label="Two-step sign-in policy"
                onSubmit={(e) => {
                  e.preventDefault();
                  save.mutate(roles);
                }}
                className="space-y-3"
              >
                <p className="text-sm text-slate-700">Users of these roles must set up an authenticator app before anything else.</p>
                <div className="flex flex-wrap gap-4">
                  {ROLES.map((r) => (
                    <label key={r} className="flex items-center gap-2 text-sm">
                      <input
                        type="checkbox"
                        checked={roles.includes(r)}
                        onChange={(e) => setChosen(e.target.checked ? [...roles, r] : roles.filter((x) => x !== r))}
                      />
                      {roleLabel[r] ?? r}
                    </label>
                  ))}
                </div>
                {save.error && <ErrorPanel error={save.error} />}
                <div className="flex items-center gap-3">
                  <Button type="submit" busy={save.isPending}>
                    Save policy
                  </Button>
                  {save.isSuccess && <span role="status" className="text-sm text-green-800">Saved.</span>}
                </div>
              </form>
            );
          }}
        </QueryState>
      </Card>
    </div>
  );
}
