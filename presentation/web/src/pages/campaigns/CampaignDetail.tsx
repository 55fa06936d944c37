// TEMPORARY: replaced by the page itself.
export function CampaignDetailPage() { return null; }
