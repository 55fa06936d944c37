import { readFileSync, existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { can, type Permission } from "./permissions";

// The golden table the server's tests pin; the UI must hide exactly what the server refuses.
const golden = resolve(__dirname, "../../../../domain/tests/golden/permissions.txt");

describe.runIf(existsSync(golden))("the UI's permission matrix", () => {
  it("matches the server's golden table", () => {
    const [header, ...rows] = readFileSync(golden, "utf8").trim().split("\n");
    const roles = (header ?? "").split(/\s+/).slice(1);
    for (const row of rows) {
      const [action, ...marks] = row.split(/\s+/);
      if (!action || ["read_own_account", "manage_own_account", "read_catalog", "read_operations"].includes(action)) continue;
      roles.forEach((role, i) => {
        expect(can(role, action as Permission), `${action} ${role}`).toBe(marks[i] === "x");
      });
    }
  });
});
