// TEMPORARY: replaced by the page itself.
export function CampaignsPage() { return null; }
