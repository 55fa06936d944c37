/** Who may do what on tests, from the permission matrix (the server enforces; the UI hides). */
export const canPlanTests = (role: string) => ["admin", "red_lead", "blue_lead"].includes(role);
export const canExecuteRed = (role: string) => ["admin", "red_lead", "red_tech"].includes(role);
export const canEvaluateBlue = (role: string) => ["admin", "blue_lead", "blue_tech"].includes(role);
export const canComment = (role: string) => role !== "viewer";
