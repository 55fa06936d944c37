// TEMPORARY: replaced by the page itself.
export function DetectionRulesPage() { return null; }
export function DetectionRuleDetailPage() { return null; }
