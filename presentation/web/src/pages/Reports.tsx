// TEMPORARY: replaced by the page itself.
export function ReportsPage() { return null; }
