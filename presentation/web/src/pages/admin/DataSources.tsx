// TEMPORARY: replaced by the page itself.
export function DataSourcesPage() { return null; }
