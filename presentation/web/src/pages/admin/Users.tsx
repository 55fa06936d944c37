// TEMPORARY: replaced by the page itself.
export function UsersPage() { return null; }
