import { useQuery } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import { useSession } from "../../auth/session";

/** Everyone in the tenant by name, for the actor ids the API returns. */
export function useDirectory() {
  return useQuery({
    queryKey: ["users", "directory"],
    queryFn: () => ok(api.GET("/api/v1/users/directory")),
    staleTime: 300_000,
  });
}

/** Names for actor ids: "you" for oneself, the display name for colleagues. */
export function usePeople(): (id: string) => string {
  const { me } = useSession();
  const directory = useDirectory();
  return (id: string) => {
    if (id === me.id) return "you";
    const person = directory.data?.find((p) => p.id === id);
    return person ? person.display_name || person.role : `user ${id.slice(-6)}`;
  };
}
