// TEMPORARY: replaced by the page itself.
export function TechniqueDetailPage() { return null; }
