import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, fieldError } from "../api/client";
import { fetchMe, ME_KEY } from "../auth/session";
import { Button, ErrorPanel, TextField } from "../components/ui";
import { AuthFrame } from "./Login";

export const PASSWORD_RULE = "At least 12 characters with an upper-case letter, a lower-case letter, a digit and a symbol.";

/** The password form, shared by the forced change after sign-in and the profile page. */
export function PasswordForm({ onChanged }: { onChanged: () => void }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [repeat, setRepeat] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const mismatch = repeat.length > 0 && next !== repeat;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (mismatch) return;
    setBusy(true);
    setError(null);
    try {
      await ok(api.POST("/api/v1/auth/change-password", { body: { current_password: current, new_password: next } }));
      onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const field = (name: string) => fieldError(error, name);
  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      <TextField label="Current password" type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} error={field("current_password")} required />
      <TextField label="New password" type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} error={field("new_password")} hint={PASSWORD_RULE} required />
      <TextField label="Repeat the new password" type="password" autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.target.value)} error={mismatch ? "The two passwords differ." : undefined} required />
      {error !== null && <ErrorPanel error={error} />}
      <Button type="submit" busy={busy} disabled={!current || !next || mismatch}>
        Change password
      </Button>
    </form>
  );
}

export function ChangePasswordPage() {
  const navigate = useNavigate();
  const client = useQueryClient();
  const me = useQuery({ queryKey: ME_KEY, queryFn: fetchMe });
  return (
    <AuthFrame title={me.data?.must_change_password ? "Choose a new password before you go on" : "Change your password"}>
      {me.data === null ? (
        <p className="text-sm">
          Your session has ended. <a className="text-blue-800 underline" href="/login">Sign in</a> again.
        </p>
      ) : (
        <PasswordForm
          onChanged={async () => {
            await client.invalidateQueries({ queryKey: ME_KEY });
            navigate("/", { replace: true });
          }}
        />
      )}
    </AuthFrame>
  );
}
