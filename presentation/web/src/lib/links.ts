/** Where an entity named by a notification or an audit entry lives in the app. */
export function entityLink(type: string | null | undefined, id: string | null | undefined): string | null {
  if (!type || !id) return null;
  switch (type) {
    case "test":
      return `/tests/${id}`;
    case "campaign":
      return `/campaigns/${id}`;
    case "finding":
      return `/findings/${id}`;
    case "technique":
      return `/techniques/${id}`;
    case "report":
      return `/reports`;
    case "threat_actor":
      return `/threat-actors/${encodeURIComponent(id)}`;
    default:
      return null;
  }
}
