// TEMPORARY: replaced by the page itself.
export function JobsPage() { return null; }
