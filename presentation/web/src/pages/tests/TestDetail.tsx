// TEMPORARY: replaced by the page itself.
export function TestDetailPage() { return null; }
