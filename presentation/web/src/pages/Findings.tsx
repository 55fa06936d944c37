// TEMPORARY: replaced by the page itself.
export function FindingsPage() { return null; }
export function FindingDetailPage() { return null; }
