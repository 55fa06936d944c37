import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, fieldError, ok, type Schemas } from "../../api/client";
import { useSession } from "../../auth/session";
import { Badge, Button, Card, ErrorPanel, PageHeader, QueryState, SelectField, TextArea, TextField } from "../../components/ui";
import { formatDateTime } from "../../lib/format";
import { AdminOnly } from "./common";

type Config = Schemas["SsoConfigView"];
type Role = Schemas["GroupRoleView"]["role"];
const KEY = ["sso-config"] as const;
const ROLES: ReadonlyArray<readonly [string, string]> = [
  ["admin", "Admin"],
  ["red_lead", "Red lead"],
  ["red_tech", "Red tech"],
  ["blue_lead", "Blue lead"],
  ["blue_tech", "Blue tech"],
  ["viewer", "Viewer"],
];

export function SsoSettingsPage() {
  const { me } = useSession();
  if (me.role !== "admin") return <AdminOnly title="Single sign-on" />;
  return <SsoSettings />;
}

function SsoSettings() {
  const config = useQuery({ queryKey: KEY, queryFn: () => ok(api.GET("/api/v1/sso/config")) });
  return (
    <>
      <PageHeader title="Single sign-on" subtitle="Sign in through your OpenID Connect identity provider, with its groups mapped to roles (docs/sso.md)." />
      <QueryState query={config}>{(data) => <SsoForm key={data.updated_at ?? "new"} config={data} />}</QueryState>
    </>
  );
}

/** `group = role` per line, read in order: the first group a person is in gives the role. */
function mappingsText(config: Config): string {
  return config.role_mappings.map((m) => `${m.group} = ${m.role}`).join("\n");
}

function parseMappings(text: string): Schemas["GroupRoleView"][] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const at = line.lastIndexOf("=");
      return at < 0 ? { group: line, role: "" as Role } : { group: line.slice(0, at).trim(), role: line.slice(at + 1).trim() as Role };
    });
}

function Toggle({ label, checked, onChange, hint }: { label: string; checked: boolean; onChange: (value: boolean) => void; hint?: string }) {
  return (
    <label className="flex items-start gap-2 text-sm">
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} className="mt-0.5 h-4 w-4" />
      <span>
        {label}
        {hint && <span className="block text-xs text-slate-500">{hint}</span>}
      </span>
    </label>
  );
}

/** The settings form: the client secret is write-only (left empty, the stored one is kept). */
function SsoForm({ config }: { config: Config }) {
  const client = useQueryClient();
  const [displayName, setDisplayName] = useState(config.display_name);
  const [issuer, setIssuer] = useState(config.issuer);
  const [clientId, setClientId] = useState(config.client_id);
  const [secret, setSecret] = useState("");
  const [scopes, setScopes] = useState(config.scopes.join(" "));
  const [groupsClaim, setGroupsClaim] = useState(config.groups_claim);
  const [mappings, setMappings] = useState(mappingsText(config));
  const [defaultRole, setDefaultRole] = useState<string>(config.default_role ?? "");
  const [jit, setJit] = useState(config.jit_provisioning);
  const [ssoOnly, setSsoOnly] = useState(config.sso_only);
  const [breakGlass, setBreakGlass] = useState(config.break_glass_email ?? "");
  const [enabled, setEnabled] = useState(config.configured ? config.enabled : true);
  const save = useMutation({
    mutationFn: () =>
      ok(
        api.PUT("/api/v1/sso/config", {
          body: {
            display_name: displayName,
            issuer,
            client_id: clientId,
            client_secret: secret || undefined,
            scopes: scopes.split(/\s+/).filter(Boolean),
            groups_claim: groupsClaim,
            role_mappings: parseMappings(mappings),
            default_role: (defaultRole || undefined) as Role | undefined,
            jit_provisioning: jit,
            sso_only: ssoOnly,
            break_glass_email: breakGlass || undefined,
            enabled,
          },
        }),
      ),
    onSuccess: (saved) => {
      setSecret("");
      client.setQueryData(KEY, saved);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  const shown = save.data ?? config;
  const mappingError = fieldError(save.error, "role_mappings") ?? (save.error ? mappingFieldError(save.error) : undefined);
  return (
    <Card title="OpenID Connect provider" actions={<Badge tone={shown.configured && shown.enabled ? "green" : "slate"}>{shown.configured ? (shown.enabled ? "On" : "Off") : "Not configured"}</Badge>}>
      <form onSubmit={submit} className="grid max-w-2xl gap-3" aria-label="Single sign-on settings">
        <p className="text-sm text-slate-600">
          Register this redirect URI at the provider: <code className="rounded bg-slate-100 px-1">{shown.redirect_uri}</code>
        </p>
        <TextField label="Button label" value={displayName} onChange={(e) => setDisplayName(e.target.value)} placeholder="Contoso" error={fieldError(save.error, "display_name")} />
        <TextField label="Issuer URL" value={issuer} onChange={(e) => setIssuer(e.target.value)} placeholder="https://login.example.com" hint="Discovery reads {issuer}/.well-known/openid-configuration. A provider on an internal address must be on the webhooks' allow-list." error={fieldError(save.error, "issuer")} />
        <TextField label="Client id" value={clientId} onChange={(e) => setClientId(e.target.value)} error={fieldError(save.error, "client_id")} />
        <TextField
          label="Client secret"
          type="password"
          autoComplete="off"
          value={secret}
          onChange={(e) => setSecret(e.target.value)}
          hint={shown.client_secret_set ? "A secret is stored; leave empty to keep it." : "Required the first time."}
          error={fieldError(save.error, "client_secret")}
        />
        <TextField label="Scopes" value={scopes} onChange={(e) => setScopes(e.target.value)} hint="Besides openid, space-separated." error={fieldError(save.error, "scopes")} />
        <TextField label="Groups claim" value={groupsClaim} onChange={(e) => setGroupsClaim(e.target.value)} error={fieldError(save.error, "groups_claim")} />
        <TextArea label="Group to role mapping" value={mappings} onChange={(e) => setMappings(e.target.value)} placeholder={"security-admins = admin\nred-team = red_tech"} hint="One `group = role` per line; the first group a person is in gives the role." error={mappingError} />
        <SelectField label="Default role" value={defaultRole} onChange={(e) => setDefaultRole(e.target.value)} options={[["", "None: refuse people in no mapped group"], ...ROLES]} error={fieldError(save.error, "default_role")} />
        <Toggle label="Create accounts at first sign-in (just in time)" checked={jit} onChange={setJit} hint="Off: only people who already have an account can sign in." />
        <Toggle label="SSO only" checked={ssoOnly} onChange={setSsoOnly} hint="Passwords are refused, except for the break-glass admin." />
        <TextField label="Break-glass admin email" value={breakGlass} onChange={(e) => setBreakGlass(e.target.value)} error={fieldError(save.error, "break_glass_email")} />
        <Toggle label="Enabled" checked={enabled} onChange={setEnabled} />
        {save.error && <ErrorPanel error={save.error} />}
        <div className="flex items-center gap-3">
          <Button type="submit" busy={save.isPending}>
            Save
          </Button>
          {shown.updated_at && <span className="text-xs text-slate-500">Saved {formatDateTime(shown.updated_at)}</span>}
        </div>
      </form>
    </Card>
  );
}

/** The first error about one line of the mapping (`role_mappings[2].role`). */
function mappingFieldError(error: unknown): string | undefined {
  for (let index = 0; index < 100; index++) {
    const found = fieldError(error, `role_mappings[${index}].role`) ?? fieldError(error, `role_mappings[${index}].group`);
    if (found) return `Line ${index + 1}: ${found}`;
  }
  return undefined;
}
