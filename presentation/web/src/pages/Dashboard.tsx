// TEMPORARY: replaced by the page itself.
export function DashboardPage() { return null; }
