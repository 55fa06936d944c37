// TEMPORARY: replaced by the page itself.
export function ThreatActorsPage() { return null; }
export function ThreatActorDetailPage() { return null; }
