// TEMPORARY: replaced by the page itself.
export function TemplatesPage() { return null; }
