import { useState, type FormEvent, type ReactNode } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas, fieldError } from "../api/client";
import { ME_KEY } from "../auth/session";
import { Badge, Button, Card, ErrorPanel, PageHeader, QueryState, SelectField } from "../components/ui";
import { formatDateTime, roleLabel } from "../lib/format";
import { ApiKeysCard } from "./ApiKeys";
import { MfaCard } from "./Mfa";
import { NotificationChannelsCard } from "./NotificationChannels";
import { PasswordForm } from "./ChangePassword";
import { SessionsCard } from "./Sessions";
import { DEFAULT_PER_PAGE, HEATMAP_COLOR_OPTIONS, PER_PAGE_OPTIONS, readPreferences, type Preferences } from "./preferences";

export const PROFILE_KEY = ["users", "me"] as const;

export function ProfilePage() {
  const profile = useQuery({ queryKey: PROFILE_KEY, queryFn: () => ok(api.GET("/api/v1/users/me")) });
  return (
    <>
      <PageHeader title="Your profile" subtitle="Your account, your password, your API keys, where you are signed in and how the app behaves for you." />
      <QueryState query={profile}>
        {(me) => (
          <div className="grid items-start gap-5 xl:grid-cols-2">
            <div className="space-y-5">
              <Account me={me} />
              <PreferencesCard me={me} />
              <NotificationChannelsCard />
            </div>
            <div className="space-y-5">
              <PasswordCard />
              <MfaCard />
              <ApiKeysCard />
              <SessionsCard />
            </div>
          </div>
        )}
      </QueryState>
    </>
  );
}

function Account({ me }: { me: Schemas["UserView"] }) {
  const rows: [string, ReactNode][] = [
    ["Email", me.email],
    ["Display name", me.display_name],
    ["Role", roleLabel[me.role] ?? me.role],
    ["Status", me.is_active ? <Badge tone="green">Active</Badge> : <Badge tone="red">Deactivated</Badge>],
    ["Last sign-in", formatDateTime(me.last_login_at)],
    ["Account created", formatDateTime(me.created_at)],
  ];
  return (
    <Card title="Account">
      <dl className="grid grid-cols-[10rem_1fr] gap-x-4 gap-y-2 text-sm">
        {rows.map(([term, value]) => (
          <div key={term} className="contents">
            <dt className="text-slate-600">{term}</dt>
            <dd className="text-slate-900">{value}</dd>
          </div>
        ))}
      </dl>
      <p className="mt-3 text-xs text-slate-500">An administrator changes your display name and role.</p>
    </Card>
  );
}

function PasswordCard() {
  const client = useQueryClient();
  // A new key empties the form after a change.
  const [generation, setGeneration] = useState(0);
  const [changed, setChanged] = useState(false);
  return (
    <Card title="Change password">
      {changed && (
        <p role="status" className="mb-3 rounded-md bg-green-50 p-2 text-sm text-green-900">
          Your password was changed.
        </p>
      )}
      <PasswordForm
        key={generation}
        onChanged={() => {
          setChanged(true);
          setGeneration((g) => g + 1);
          void client.invalidateQueries({ queryKey: ME_KEY });
        }}
      />
    </Card>
  );
}

/** The preference object as the generated schema types it (an object with no declared keys). */
function asPreferenceBody(value: Record<string, unknown>): Record<string, never> {
  return value as Record<string, never>;
}

function PreferencesCard({ me }: { me: Schemas["UserView"] }) {
  const client = useQueryClient();
  const stored = readPreferences(me.preferences);
  const [perPage, setPerPage] = useState(String(stored.per_page ?? DEFAULT_PER_PAGE));
  const [colorBy, setColorBy] = useState(stored.heatmap_color_by ?? "rolled_score");
  const save = useMutation({
    mutationFn: (prefs: Preferences) => ok(api.PATCH("/api/v1/users/me/preferences", { body: asPreferenceBody(prefs) })),
    onSuccess: (updated) => {
      client.setQueryData(PROFILE_KEY, updated);
      // The session's copy feeds every page's defaults.
      return client.invalidateQueries({ queryKey: ME_KEY });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({ per_page: Number(perPage), heatmap_color_by: colorBy });
  };
  const field = (name: string) => fieldError(save.error, name);
  return (
    <Card title="Preferences">
      <form onSubmit={submit} className="space-y-4">
        <SelectField
          label="Rows per page in lists"
          value={perPage}
          onChange={(e) => setPerPage(e.target.value)}
          options={PER_PAGE_OPTIONS.map((n) => [String(n), String(n)] as const)}
          error={field("per_page")}
        />
        <SelectField
          label="Colour heatmap cells by"
          value={colorBy}
          onChange={(e) => setColorBy(e.target.value)}
          options={HEATMAP_COLOR_OPTIONS}
          error={field("heatmap_color_by")}
        />
        {save.error && <ErrorPanel error={save.error} />}
        <div className="flex items-center gap-3">
          <Button type="submit" busy={save.isPending}>
            Save preferences
          </Button>
          {save.isSuccess && (
            <span role="status" className="text-sm text-green-800">
              Saved.
            </span>
          )}
        </div>
      </form>
    </Card>
  );
}
