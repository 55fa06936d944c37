import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, renderPage, stubApi } from "../../test/render";
import { ScanDetailPage } from "./ScanDetail";
import { readDiff } from "./diffView";

const ID = "0190a000-0000-7000-8000-0000000000aa";
const PATH = "rules/windows/cradle.yml";
const DIFF = [
  "diff --git a/rules/old.yml b/rules/old.yml",
  "index 1111111..2222222 100644",
  "--- a/rules/old.yml",
  "+++ b/rules/old.yml",
  "@@ -3,3 +3,3 @@ id: 1",
  " status: test",
  "-title: Old",
  "+title: New",
  " level: high",
  `diff --git a/${PATH} b/${PATH}`,
  "new file mode 100644",
  "--- /dev/null",
  `+++ b/${PATH}`,
  "@@ -0,0 +1,4 @@",
  "+title: Download Cradle \u202Eexe.txt",
  "+tags:",
  "+    - attack.t1086",
  "+key: AKIAIOSFODNN7EXAMPLE",
  "",
].join("\n");

const SCAN = {
  id: ID,
  repository: "acme/detections",
  commit: "abc123def4567890",
  base: null,
  pull_request: "42",
  diff_sha256: "ab".repeat(32),
  diff_bytes: DIFF.length,
  files: 2,
  status: "completed",
  decision: "fail",
  policy: { block_at: "high", always_block: [], never_block: ["title-changed"], error_mode: "fail_closed", download_allow_list: ["github.com"] },
  findings: 4,
  blocking: 2,
  coverage: { gained: ["T1059.001"], lost: [], proven_changed: [] },
  error: null,
  attempts: 1,
  submitted_by: "00000000-0000-7000-8000-000000000001",
  created_at: "2026-12-08T10:00:00Z",
  completed_at: "2026-12-08T10:00:02Z",
};

function finding(rule: string, file: string, line: number | null, blocks: boolean, waived: unknown = null) {
  return { rule_id: rule, severity: "high", file, line, message: `${rule} message`, suggestion: `${rule} suggestion`, fingerprint: `${rule}-fp`, blocks, waived };
}

const FINDINGS = [
  finding("bidi-control", PATH, 1, true),
  finding("attack-tag-revoked", PATH, 3, false, { kind: "suppression", waiver_id: "w1", reason: "Known, fixed upstream", expires_at: null }),
  finding("secret-aws-access-key", PATH, 4, true),
  finding("parse-error", PATH, null, false),
  finding("title-changed", "rules/old.yml", 4, false),
];

function stub() {
  return stubApi({
    [`GET /api/v1/scans/${ID}`]: () => json(SCAN),
    [`GET /api/v1/scans/${ID}/findings`]: () => json(FINDINGS),
    [`GET /api/v1/scans/${ID}/diff`]: () => new Response(DIFF, { headers: { "content-type": "text/x-diff; charset=utf-8" } }),
    "GET /api/v1/users/directory": () => json([]),
  });
}

/** The diff row of a new-side line, and the row under it (where its findings go). */
function rowsOf(file: HTMLElement, line: number) {
  const row = file.querySelector(`tr[data-new-line="${line}"]`) as HTMLElement;
  return { row, next: row.nextElementSibling as HTMLElement | null };
}

describe("the scan detail page", () => {
  it("shows each finding under the line it names, with what blocks and what is waived", async () => {
    stub();
    renderPage(<ScanDetailPage />, { role: "blue_lead", url: `/scans/${ID}`, pattern: "/scans/:id" });
    const file = await screen.findByRole("region", { name: `File ${PATH}` });

    const title = rowsOf(file, 1);
    // The bidirectional override is shown, not obeyed.
    expect(title.row).toHaveTextContent("Download Cradle ⟨U+202E⟩exe.txt");
    expect(within(title.next as HTMLElement).getByText("bidi-control")).toBeInTheDocument();
    expect(within(title.next as HTMLElement).getByText("BLOCKS")).toBeInTheDocument();

    const tag = rowsOf(file, 3);
    const waived = within(tag.next as HTMLElement);
    expect(waived.getByText("attack-tag-revoked")).toBeInTheDocument();
    expect(waived.getByText("Waived by suppression")).toBeInTheDocument();
    expect(waived.getByText(/Known, fixed upstream/)).toBeInTheDocument();
    expect(waived.queryByText("BLOCKS")).not.toBeInTheDocument();
    expect(waived.queryByRole("button", { name: /Suppress/ })).not.toBeInTheDocument();

    expect(within(rowsOf(file, 4).next as HTMLElement).getByText("secret-aws-access-key")).toBeInTheDocument();
    // Line 2 has no finding: the next row is line 3's.
    expect(rowsOf(file, 2).next?.getAttribute("data-new-line")).toBe("3");

    // A finding without a line sits at the file's top, before the first line.
    const top = within(file).getAllByTestId("finding")[0] as HTMLElement;
    expect(top).toHaveAttribute("data-rule", "parse-error");

    // The other file's finding is under its own line 4 (the new side's numbering).
    const other = screen.getByRole("region", { name: "File rules/old.yml" });
    expect(within(rowsOf(other, 4).next as HTMLElement).getByText("title-changed")).toBeInTheDocument();

    // A lead may suppress what is not waived; the policy and coverage are shown.
    expect(screen.getByRole("button", { name: `Suppress bidi-control in ${PATH} line 1` })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Accept as baseline" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "T1059.001" })).toHaveAttribute("href", "/techniques/T1059.001");
    expect(screen.getByText("High and above")).toBeInTheDocument();
  });

  it("suppresses a finding by its fingerprint, with a reason and an expiry", async () => {
    const { calls } = stubApi({
      [`GET /api/v1/scans/${ID}`]: () => json(SCAN),
      [`GET /api/v1/scans/${ID}/findings`]: () => json(FINDINGS),
      [`GET /api/v1/scans/${ID}/diff`]: () => new Response(DIFF),
      "POST /api/v1/scans/suppressions": () => json({ id: "w2", kind: "suppression", reason: "Test key", created_by: SCAN.submitted_by, created_at: SCAN.created_at }, 201),
    });
    renderPage(<ScanDetailPage />, { role: "red_lead", url: `/scans/${ID}`, pattern: "/scans/:id" });
    await userEvent.click(await screen.findByRole("button", { name: `Suppress secret-aws-access-key in ${PATH} line 4` }));
    const dialog = screen.getByRole("dialog", { name: "Suppress secret-aws-access-key" });
    await userEvent.click(within(dialog).getByLabelText("Reason"));
    await userEvent.paste("AWS's documented example key");
    await userEvent.type(within(dialog).getByLabelText("Expires (optional)"), "2027-06-30");
    await userEvent.click(within(dialog).getByRole("button", { name: "Suppress the finding" }));
    await screen.findByRole("region", { name: `File ${PATH}` });
    const post = calls.find((c) => c.method === "POST");
    const body = (await post?.clone().json()) as { fingerprint: string; reason: string; expires_at: string };
    expect(body.fingerprint).toBe("secret-aws-access-key-fp");
    expect(body.reason).toBe("AWS's documented example key");
    expect(body.expires_at.slice(0, 4)).toBe("2027");
  });

  it("offers no waiver to a viewer, and lists the findings when the diff has expired", async () => {
    stubApi({
      [`GET /api/v1/scans/${ID}`]: () => json(SCAN),
      [`GET /api/v1/scans/${ID}/findings`]: () => json(FINDINGS),
      [`GET /api/v1/scans/${ID}/diff`]: () => json({ type: "about:blank", title: "Gone", status: 410, code: "SCAN_DIFF_EXPIRED" }, 410),
    });
    renderPage(<ScanDetailPage />, { role: "viewer", url: `/scans/${ID}`, pattern: "/scans/:id" });
    expect(await screen.findByText(/The diff is no longer kept/)).toBeInTheDocument();
    const file = screen.getByRole("region", { name: `File ${PATH}` });
    expect(within(file).getAllByTestId("finding")).toHaveLength(4);
    expect(within(file).getByText("Line 4")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Suppress/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Accept as baseline" })).not.toBeInTheDocument();
  });
});

describe("readDiff", () => {
  it("numbers the new side, keeps renames, deletions, binaries and C-quoted paths", () => {
    const files = readDiff(
      [
        'diff --git "a/t\\303\\251st.yml" "b/t\\303\\251st.yml"',
        "new file mode 100644",
        "--- /dev/null",
        '+++ "b/t\\303\\251st.yml"',
        "@@ -0,0 +1,1 @@",
        "+a",
        "\\ No newline at end of file",
        "diff --git a/old name.yml b/new name.yml",
        "similarity index 100%",
        "rename from old name.yml",
        "rename to new name.yml",
        "diff --git a/gone.toml b/gone.toml",
        "deleted file mode 100644",
        "--- a/gone.toml",
        "+++ /dev/null",
        "@@ -1,1 +0,0 @@",
        "-x = 1",
        "diff --git a/logo.png b/logo.png",
        "Binary files /dev/null and b/logo.png differ",
      ].join("\n"),
    );
    expect(files.map((f) => [f.path, f.status, f.binary])).toEqual([
      ["tést.yml", "added", false],
      ["new name.yml", "renamed", false],
      ["gone.toml", "deleted", false],
      ["logo.png", "changed", true],
    ]);
    expect(files[0]?.hunks[0]?.lines.map((l) => [l.kind, l.newNumber])).toEqual([
      ["added", 1],
      ["note", null],
    ]);
    expect(files[1]?.oldPath).toBe("old name.yml");
    expect(files[2]?.hunks[0]?.lines[0]).toEqual({ kind: "removed", text: "x = 1", oldNumber: 1, newNumber: null });
  });

  it("reads plain diffs without git's header, a hunk after another", () => {
    const files = readDiff(["--- a/x.yml", "+++ b/x.yml", "@@ -1,2 +1,2 @@", " a", "-b", "+c", "@@ -10,1 +10,2 @@", " j", "+k", "--- a/y.yml", "+++ b/y.yml", "@@ -1 +1 @@", "-p", "+q"].join("\n"));
    expect(files.map((f) => f.path)).toEqual(["x.yml", "y.yml"]);
    expect(files[0]?.hunks[1]?.lines.map((l) => l.newNumber)).toEqual([10, 11]);
    expect(files[1]?.hunks[0]?.lines.map((l) => l.kind)).toEqual(["removed", "added"]);
  });
});
