// TEMPORARY: replaced by the page itself.
export function NotificationsPage() { return null; }
