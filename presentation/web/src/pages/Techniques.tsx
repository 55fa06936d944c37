// TEMPORARY: replaced by the page itself.
export function TechniquesPage() { return null; }
