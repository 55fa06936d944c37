import { createContext, useContext, useEffect, type ReactNode } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate, useLocation } from "react-router";
import { api, ok, setSessionListener, type Schemas } from "../api/client";
import { Loading } from "../components/ui";

export type Me = Schemas["UserView"];

type Session = { me: Me; signOut: () => Promise<void> };
export const SessionContext = createContext<Session | null>(null);

export const ME_KEY = ["me"] as const;

export function fetchMe(): Promise<Me | null> {
  return api.GET("/api/v1/auth/me").then(({ data, response }) => (response.ok && data ? data : null));
}

/** The signed-in user, loaded once; routes under it need a session and a current password. */
export function RequireSession({ children }: { children: ReactNode }) {
  const navigate = useNavigate();
  const location = useLocation();
  const client = useQueryClient();
  const me = useQuery({ queryKey: ME_KEY, queryFn: fetchMe, staleTime: 60_000 });

  useEffect(() => {
    setSessionListener({
      onSignedOut() {
        client.clear();
        navigate(`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`, { replace: true });
      },
      onPasswordChangeRequired() {
        navigate("/change-password", { replace: true });
      },
      onMfaEnrolmentRequired() {
        navigate("/mfa-setup", { replace: true });
      },
    });
  }, [client, navigate]);

  useEffect(() => {
    if (me.isSuccess && me.data === null) {
      navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
    } else if (me.data?.must_change_password) {
      navigate("/change-password", { replace: true });
    }
  }, [me.isSuccess, me.data, navigate, location.pathname, location.search]);

  if (me.isPending || !me.data || me.data.must_change_password) return <Loading what="Checking your session" />;

  const signOut = async () => {
    await api.POST("/api/v1/auth/logout").catch(() => undefined);
    client.clear();
    navigate("/login", { replace: true });
  };
  return <SessionContext.Provider value={{ me: me.data, signOut }}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside RequireSession");
  return session;
}

export async function signIn(email: string, password: string): Promise<Schemas["TokenResponse"] | Schemas["MfaChallengeResponse"]> {
  return ok(api.POST("/api/v1/auth/login", { body: { email, password } }));
}
