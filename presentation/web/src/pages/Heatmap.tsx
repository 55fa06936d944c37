// TEMPORARY: replaced by the page itself.
export function HeatmapPage() { return null; }
