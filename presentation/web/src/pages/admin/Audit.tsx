// TEMPORARY: replaced by the page itself.
export function AuditPage() { return null; }
