import { useState, type FormEvent } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, fieldError, type Schemas } from "../api/client";
import { signIn, ME_KEY } from "../auth/session";
import { Button, ErrorPanel, TextField } from "../components/ui";

export function AuthFrame({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center bg-slate-900 px-4">
      <div className="w-full max-w-sm rounded-lg bg-white p-6 shadow-xl">
        <div className="mb-5 flex items-center gap-2">
          <img src="/favicon.svg" alt="" className="h-8 w-8" />
          <div>
            <p className="text-lg font-semibold">Aegis</p>
            <h1 className="text-sm text-slate-600">{title}</h1>
          </div>
        </div>
        {children}
      </div>
    </main>
  );
}

/** A same-site path to return to after signing in; anything else goes to the dashboard. */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login") ? next : "/";
}

export function LoginPage() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [challenge, setChallenge] = useState<string | null>(null);
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const client = useQueryClient();

  const enter = async (tokens: Schemas["TokenResponse"]) => {
    await client.invalidateQueries({ queryKey: ME_KEY });
    const next = tokens.must_change_password ? "/change-password" : tokens.mfa_enrolment_required ? "/mfa-setup" : safeNext(params.get("next"));
    navigate(next, { replace: true });
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await signIn(email, password);
      if ("challenge_token" in answer) setChallenge(answer.challenge_token);
      else await enter(answer);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const field = (name: string) => fieldError(error, name);
  if (challenge) return <MfaStep challenge={challenge} onSignedIn={enter} />;
  return (
    <AuthFrame title="Sign in">
      <form onSubmit={submit} className="space-y-4" noValidate>
        <TextField label="Email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} error={field("email")} autoFocus />
        <TextField label="Password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} error={field("password")} />
        {error !== null && <ErrorPanel error={error} />}
        {params.get("sso_error") && (
          <p role="alert" className="rounded-md bg-red-50 p-3 text-sm text-red-800">
            {ssoErrorText(params.get("sso_error") ?? "")}
          </p>
        )}
        <Button type="submit" busy={busy} className="w-full justify-center">
          Sign in
        </Button>
      </form>
      <SsoButtons tenant={params.get("tenant") ?? "default"} />
    </AuthFrame>
  );
}

/** What a refused single sign-on means to the person (codes of docs/sso.md). */
function ssoErrorText(code: string): string {
  switch (code) {
    case "SSO_UNKNOWN_USER":
      return "Single sign-on worked, but you have no account here. Ask an admin to create one.";
    case "SSO_NO_ROLE":
      return "Single sign-on worked, but none of your groups gives access to Aegis.";
    case "SSO_ACCOUNT_UNUSABLE":
      return "Single sign-on worked, but your account here cannot sign in.";
    case "SSO_DENIED":
      return "The identity provider did not sign you in.";
    case "SSO_PROVIDER_UNAVAILABLE":
      return "The identity provider cannot be reached. Try again later.";
    default:
      return "Single sign-on did not complete. Start again.";
  }
}

/** "Sign in with …" for each identity provider the tenant configured (none: nothing shown). */
function SsoButtons({ tenant }: { tenant: string }) {
  const providers = useQuery({
    queryKey: ["sso-providers", tenant],
    queryFn: () => ok(api.GET("/api/v1/sso/providers", { params: { query: { tenant } } })),
    staleTime: 60_000,
  });
  const listed = providers.data?.providers ?? [];
  if (listed.length === 0) return null;
  return (
    <div className="mt-4 space-y-2 border-t border-slate-200 pt-4">
      {listed.map((provider) => (
        <a
          key={provider.login_url}
          href={provider.login_url}
          className="flex w-full justify-center rounded-md border border-slate-300 px-3 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50"
        >
          Sign in with {provider.display_name}
        </a>
      ))}
    </div>
  );
}

/** The second step: a code from the authenticator app, or a recovery code. */
function MfaStep({ challenge, onSignedIn }: { challenge: string; onSignedIn: (tokens: Schemas["TokenResponse"]) => Promise<void> }) {
  const [code, setCode] = useState("");
  const [recovery, setRecovery] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = recovery ? { challenge_token: challenge, recovery_code: code } : { challenge_token: challenge, code };
      await onSignedIn(await ok(api.POST("/api/v1/auth/mfa", { body })));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <AuthFrame title="Two-step sign-in">
      <form onSubmit={submit} className="space-y-4" noValidate>
        <TextField
          label={recovery ? "Recovery code" : "Code from your authenticator app"}
          inputMode={recovery ? "text" : "numeric"}
          autoComplete="one-time-code"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          error={fieldError(error, "code")}
          autoFocus
        />
        {error !== null && <ErrorPanel error={error} />}
        <Button type="submit" busy={busy} className="w-full justify-center">
          Verify
        </Button>
        <Button tone="ghost" className="w-full justify-center" onClick={() => setRecovery((r) => !r)}>
          {recovery ? "Use the authenticator app" : "Use a recovery code"}
        </Button>
      </form>
    </AuthFrame>
  );
}
