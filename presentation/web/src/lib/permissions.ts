/**
 * The server's permission matrix (domain/tests/golden/permissions.txt), for hiding what a role
 * may not do. The server still decides; a refusal shows its problem.
 */
const MATRIX = {
  manage_catalog: ["admin"],
  flag_technique_for_review: ["admin", "red_lead", "blue_lead"],
  plan_tests: ["admin", "red_lead", "blue_lead"],
  execute_red: ["admin", "red_lead", "red_tech"],
  evaluate_blue: ["admin", "blue_lead", "blue_tech"],
  validate_red: ["admin", "red_lead"],
  validate_blue: ["admin", "blue_lead"],
  reopen_test: ["admin", "red_lead", "blue_lead"],
  comment: ["admin", "red_lead", "red_tech", "blue_lead", "blue_tech"],
  manage_campaigns: ["admin", "red_lead", "blue_lead"],
  take_snapshot: ["admin", "red_lead", "blue_lead"],
  manage_findings: ["admin", "red_lead", "blue_lead"],
  manage_detections: ["admin", "blue_lead"],
  complete_campaign: ["admin", "red_lead"],
  manage_users: ["admin"],
  read_audit_log: ["admin"],
  manage_system: ["admin"],
  manage_alerts: ["admin", "red_lead", "blue_lead"],
  manage_knowledge: ["admin", "red_lead", "red_tech", "blue_lead", "blue_tech"],
  submit_scans: ["admin", "red_lead", "blue_lead"],
  manage_scan_policy: ["admin", "red_lead", "blue_lead"],
} as const satisfies Record<string, readonly string[]>;

export type Permission = keyof typeof MATRIX;

export function can(role: string, permission: Permission): boolean {
  return (MATRIX[permission] as readonly string[]).includes(role);
}
