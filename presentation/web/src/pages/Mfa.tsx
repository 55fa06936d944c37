import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, fieldError, type Schemas } from "../api/client";
import { ME_KEY } from "../auth/session";
import { Badge, Button, Card, ErrorPanel, QueryState, TextField } from "../components/ui";
import { AuthFrame } from "./Login";

export const MFA_KEY = ["mfa"] as const;

/** The enrolment: the QR code and secret, then a first code, then the recovery codes once. */
function Enrolment({ onDone }: { onDone: () => void }) {
  const [code, setCode] = useState("");
  const begin = useMutation({ mutationFn: () => ok(api.POST("/api/v1/mfa/totp")) });
  // The status is refreshed only once the codes are put away (`onDone`): refreshing it now
  // would swap this form for the enrolled view before the recovery codes were seen.
  const confirm = useMutation({ mutationFn: () => ok(api.POST("/api/v1/mfa/totp/confirm", { body: { code } })) });
  if (confirm.data) return <RecoveryCodes codes={confirm.data.recovery_codes} onDone={onDone} />;
  if (!begin.data) {
    return (
      <>
        {begin.error && <ErrorPanel error={begin.error} />}
        <Button busy={begin.isPending} onClick={() => begin.mutate()}>
          Set up an authenticator app
        </Button>
      </>
    );
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    confirm.mutate();
  };
  return (
    <form onSubmit={submit} className="space-y-3" aria-label="Confirm the authenticator app">
      <p className="text-sm text-slate-700">Scan this code with your authenticator app, or type the secret, then enter the code it shows.</p>
      <img src={`data:image/svg+xml;utf8,${encodeURIComponent(begin.data.qr_svg)}`} alt="QR code of the authenticator secret" className="h-48 w-48 border border-slate-200" />
      <p className="text-sm">
        Secret: <code aria-label="Authenticator secret" className="select-all break-all font-mono">{begin.data.secret}</code>
      </p>
      <TextField label="Code from the app" inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} error={fieldError(confirm.error, "code")} />
      {confirm.error && !fieldError(confirm.error, "code") && <ErrorPanel error={confirm.error} />}
      <Button type="submit" busy={confirm.isPending}>
        Confirm
      </Button>
    </form>
  );
}

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  return (
    <div role="status" className="space-y-3 rounded-md border border-green-300 bg-green-50 p-3 text-sm text-green-950">
      <p className="font-medium">Keep these recovery codes somewhere safe: each signs you in once if you lose the app. They are not shown again.</p>
      <ul aria-label="Recovery codes" className="grid grid-cols-2 gap-1 font-mono">
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ul>
      <Button tone="secondary" onClick={onDone}>
        I have saved them
      </Button>
    </div>
  );
}

/** A form asking for a current app code before a change to the factor. */
function CodeAction({ label, tone, action, onDone }: { label: string; tone: "secondary" | "danger"; action: (code: string) => Promise<unknown>; onDone: (result: unknown) => void }) {
  const [code, setCode] = useState("");
  const run = useMutation({ mutationFn: () => action(code), onSuccess: onDone });
  return (
    <form
      className="flex items-end gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        run.mutate();
      }}
      aria-label={label}
    >
      <TextField label={`Code to ${label.toLowerCase()}`} inputMode="numeric" value={code} onChange={(e) => setCode(e.target.value)} error={fieldError(run.error, "code")} />
      <Button type="submit" tone={tone} busy={run.isPending}>
        {label}
      </Button>
      {run.error && !fieldError(run.error, "code") && <ErrorPanel error={run.error} />}
    </form>
  );
}

/** Multi-factor sign-in on the profile page. */
export function MfaCard() {
  const client = useQueryClient();
  const status = useQuery({ queryKey: MFA_KEY, queryFn: () => ok(api.GET("/api/v1/mfa")) });
  const [codes, setCodes] = useState<string[] | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: MFA_KEY });
  return (
    <Card title="Two-step sign-in">
      <QueryState query={status}>
        {(mfa: Schemas["MfaStatusView"]) =>
          mfa.enrolled ? (
            <div className="space-y-3">
              <p className="text-sm">
                <Badge tone="green">On</Badge> An authenticator app is set up; {mfa.recovery_codes_left} recovery codes left.
                {mfa.required && " Your organization requires it."}
              </p>
              {codes && <RecoveryCodes codes={codes} onDone={() => setCodes(null)} />}
              <CodeAction
                label="Renew recovery codes"
                tone="secondary"
                action={(code) => ok(api.POST("/api/v1/mfa/recovery-codes", { body: { code } }))}
                onDone={(result) => {
                  setCodes((result as Schemas["RecoveryCodesView"]).recovery_codes);
                  void refresh();
                }}
              />
              {!mfa.required && (
                <CodeAction label="Turn off" tone="danger" action={(code) => ok(api.POST("/api/v1/mfa/disable", { body: { code } }))} onDone={() => void refresh()} />
              )}
            </div>
          ) : (
            <div className="space-y-3">
              <p className="text-sm text-slate-700">
                <Badge tone="slate">Off</Badge> Sign in with a code from an authenticator app as well as your password.
              </p>
              <Enrolment onDone={() => void refresh()} />
            </div>
          )
        }
      </QueryState>
    </Card>
  );
}

/** Where the tenant's policy sends a user without a second factor, before anything else. */
export function MfaSetupPage() {
  const navigate = useNavigate();
  const client = useQueryClient();
  return (
    <AuthFrame title="Set up two-step sign-in">
      <p className="mb-3 text-sm text-slate-700">Your organization requires a code from an authenticator app at sign-in.</p>
      <Enrolment
        onDone={async () => {
          // The token issued before enrolment only reached the account: a fresh one does all.
          await fetch("/api/v1/auth/refresh", { method: "POST", credentials: "same-origin", headers: { "X-Aegis-Request": "1" } });
          await client.invalidateQueries({ queryKey: ME_KEY });
          navigate("/", { replace: true });
        }}
      />
    </AuthFrame>
  );
}
