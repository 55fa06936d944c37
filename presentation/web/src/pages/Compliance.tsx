// TEMPORARY: replaced by the page itself.
export function CompliancePage() { return null; }
export function FrameworkPage() { return null; }
