import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, renderPage, stubApi } from "../../test/render";
import { ScanPolicyPage } from "./ScanPolicy";

const POLICY = { block_at: "high", always_block: [], never_block: [], error_mode: "fail_closed", download_allow_list: ["github.com"], diff_retention_days: 90, is_default: true, updated_at: null, updated_by: null };
const EXCEPTION = {
  id: "0190a000-0000-7000-8000-0000000000e1",
  kind: "exception",
  rule_id: "download-execute",
  path_pattern: "atomics/**/*.yaml",
  reason: "Atomic tests download on purpose",
  created_by: "00000000-0000-7000-8000-000000000001",
  created_at: "2026-12-01T10:00:00Z",
  expires_at: null,
};

function problem(errors: { field: string; message: string }[]) {
  return json({ type: "about:blank", title: "The request is not valid", status: 422, code: "VALIDATION_FAILED", errors }, 422);
}

describe("the scan policy page", () => {
  it("shows the server's field errors under the fields they name, elements included", async () => {
    let sent: Record<string, unknown> = {};
    stubApi({
      "GET /api/v1/scans/policy": () => json(POLICY),
      "GET /api/v1/scans/suppressions": () => json([]),
      "GET /api/v1/scans/baselines": () => json([]),
      "GET /api/v1/scans/exceptions": () => json([]),
      "PUT /api/v1/scans/policy": async (request) => {
        sent = (await request.json()) as Record<string, unknown>;
        return problem([
          { field: "always_block[1]", message: "`Bad Rule` is not a rule id ([a-z0-9._-])" },
          { field: "never_block[0]", message: "a rule cannot both always and never block" },
          { field: "download_allow_list[0]", message: "not a host name" },
        ]);
      },
    });
    renderPage(<ScanPolicyPage />, { role: "blue_lead" });
    const always = await screen.findByLabelText("Always block (rule ids)");
    // Pasted rather than typed key by key: the point is the answer, not the keyboard.
    await userEvent.click(always);
    await userEvent.paste("bidi-control, Bad Rule");
    await userEvent.click(screen.getByLabelText("Never block (rule ids)"));
    await userEvent.paste("bidi-control");
    const hosts = screen.getByLabelText("Download allow-list (hosts)");
    await userEvent.clear(hosts);
    await userEvent.paste("http://x");
    await userEvent.click(screen.getByRole("button", { name: "Save the policy" }));

    expect(await screen.findByText("[1]: `Bad Rule` is not a rule id ([a-z0-9._-])")).toBeInTheDocument();
    expect(always).toHaveAttribute("aria-invalid", "true");
    expect(always).toHaveAccessibleDescription("[1]: `Bad Rule` is not a rule id ([a-z0-9._-])");
    expect(screen.getByLabelText("Never block (rule ids)")).toHaveAccessibleDescription("[0]: a rule cannot both always and never block");
    expect(hosts).toHaveAccessibleDescription("[0]: not a host name");
    // Shown at their fields, they are not repeated in the form's summary.
    expect(within(screen.getByRole("alert")).queryByText(/Bad Rule/)).not.toBeInTheDocument();
    expect(sent).toEqual({ block_at: "high", error_mode: "fail_closed", always_block: ["bidi-control", "Bad", "Rule"], never_block: ["bidi-control"], download_allow_list: ["http://x"], diff_retention_days: 90 });
  });

  it("is read-only for a viewer, and lists the exceptions without a delete", async () => {
    stubApi({
      "GET /api/v1/scans/policy": () => json(POLICY),
      "GET /api/v1/scans/suppressions": () => json([]),
      "GET /api/v1/scans/baselines": () => json([]),
      "GET /api/v1/scans/exceptions": () => json([EXCEPTION]),
    });
    renderPage(<ScanPolicyPage />, { role: "viewer" });
    expect(await screen.findByLabelText("Block at")).toBeDisabled();
    expect(screen.queryByRole("button", { name: "Save the policy" })).not.toBeInTheDocument();
    const table = await screen.findByRole("table", { name: "Exceptions" });
    expect(within(table).getByText("atomics/**/*.yaml")).toBeInTheDocument();
    expect(within(table).queryByRole("button")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Add the exception" })).not.toBeInTheDocument();
  });

  it("deletes an exception only after confirming", async () => {
    let deleted = false;
    stubApi({
      "GET /api/v1/scans/policy": () => json(POLICY),
      "GET /api/v1/scans/suppressions": () => json([]),
      "GET /api/v1/scans/baselines": () => json([]),
      "GET /api/v1/scans/exceptions": () => json(deleted ? [] : [EXCEPTION]),
      [`DELETE /api/v1/scans/exceptions/${EXCEPTION.id}`]: () => {
        deleted = true;
        return new Response(null, { status: 204 });
      },
    });
    renderPage(<ScanPolicyPage />, { role: "admin" });
    await userEvent.click(await screen.findByRole("button", { name: "Delete the exception download-execute" }));
    expect(deleted).toBe(false);
    await userEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Delete the exception" }));
    expect(await screen.findByText("No exceptions in force")).toBeInTheDocument();
    expect(deleted).toBe(true);
  });
});
