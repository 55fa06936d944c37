// TEMPORARY: replaced by the page itself.
export function TestsPage() { return null; }
