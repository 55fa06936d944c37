import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas } from "../api/client";
import { Button, Card, ErrorPanel, QueryState } from "../components/ui";

export const CHANNELS_KEY = ["notifications", "preferences"] as const;

type Choice = { in_app: boolean; email: boolean };

/** The kinds of notification as rows, the channels as checkboxes; saved together. */
function ChannelsForm({ preferences }: { preferences: Schemas["ChannelPreferencesView"] }) {
  const client = useQueryClient();
  const [choices, setChoices] = useState<Record<string, Choice>>(() =>
    Object.fromEntries(preferences.kinds.map((k) => [k.kind, { in_app: k.in_app, email: k.email }])),
  );
  const save = useMutation({
    mutationFn: () =>
      ok(
        api.PUT("/api/v1/notifications/preferences", {
          body: {
            kinds: Object.entries(choices).map(([kind, choice]) => ({
              kind,
              channels: [...(choice.in_app ? ["in_app"] : []), ...(choice.email ? ["email"] : [])],
            })),
          },
        }),
      ),
    onSuccess: (updated) => client.setQueryData(CHANNELS_KEY, updated),
  });
  const toggle = (kind: string, channel: keyof Choice) =>
    setChoices((current) => {
      const choice = current[kind] ?? { in_app: true, email: false };
      return { ...current, [kind]: { ...choice, [channel]: !choice[channel] } };
    });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} className="space-y-3" aria-label="Notification channels">
      {!preferences.email_available && (
        <p className="rounded-md bg-amber-50 p-2 text-sm text-amber-900">This server has no email configured: email choices are kept, and take effect once an administrator sets up SMTP.</p>
      )}
      <table className="w-full text-sm">
        <thead>
          <tr className="text-left text-slate-600">
            <th className="py-1 font-medium">Notification</th>
            <th className="py-1 text-center font-medium">In the app</th>
            <th className="py-1 text-center font-medium">Email</th>
          </tr>
        </thead>
        <tbody>
          {preferences.kinds.map((k) => {
            const choice = choices[k.kind] ?? { in_app: k.in_app, email: k.email };
            return (
              <tr key={k.kind} className="border-t border-slate-100">
                <td className="py-1.5 pr-2 text-slate-800">{k.label}</td>
                <td className="py-1.5 text-center">
                  <input type="checkbox" aria-label={`${k.label}: in the app`} checked={choice.in_app} onChange={() => toggle(k.kind, "in_app")} />
                </td>
                <td className="py-1.5 text-center">
                  <input type="checkbox" aria-label={`${k.label}: email`} checked={choice.email} onChange={() => toggle(k.kind, "email")} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="text-xs text-slate-500">Webhooks are set for the whole organization by administrators, under Webhooks.</p>
      {save.error && <ErrorPanel error={save.error} />}
      <div className="flex items-center gap-3">
        <Button type="submit" busy={save.isPending}>
          Save notification channels
        </Button>
        {save.isSuccess && (
          <span role="status" className="text-sm text-green-800">
            Saved.
          </span>
        )}
      </div>
    </form>
  );
}

/** The profile's card of notification channels per kind. */
export function NotificationChannelsCard() {
  const preferences = useQuery({ queryKey: CHANNELS_KEY, queryFn: () => ok(api.GET("/api/v1/notifications/preferences")) });
  return (
    <Card title="Notification channels">
      <QueryState query={preferences}>{(data) => <ChannelsForm preferences={data} />}</QueryState>
    </Card>
  );
}
