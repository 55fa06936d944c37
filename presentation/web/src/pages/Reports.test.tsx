import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { json, renderPage, stubApi } from "../test/render";
import { ReportsPage } from "./Reports";
import { toHex } from "./reportSeal";

function report(overrides: Partial<Schemas["ReportView"]> = {}): Schemas["ReportView"] {
  return {
    id: "01a228d0-0000-7000-8000-000000000001",
    kind: "executive_summary",
    format: "html",
    status: "ready",
    requested_by: "00000000-0000-7000-8000-000000000001",
    requested_at: "2026-11-29T10:00:00Z",
    generated_at: "2026-11-29T10:00:05Z",
    size_bytes: 2048,
    sha256: "ab".repeat(32),
    signature: "cd".repeat(64),
    file_name: "aegis-executive-summary-20261129-100000.html",
    ...overrides,
  };
}

const page = (items: Schemas["ReportView"][]) => ({ items, total: items.length, page: 1, per_page: 50 });

describe("ReportsPage", () => {
  it("lists reports with a download link for ready ones, and hides generation from a viewer", async () => {
    stubApi({
      "GET /api/v1/reports": () => json(page([report(), report({ id: "01a228d0-0000-7000-8000-000000000002", kind: "coverage_report", status: "failed", error: "no ATT&CK data", sha256: null, signature: null, size_bytes: null })])),
    });
    renderPage(<ReportsPage />, { role: "viewer" });
    const download = await screen.findByRole("link", { name: "Download" });
    expect(download).toHaveAttribute("href", "/api/v1/reports/01a228d0-0000-7000-8000-000000000001/download");
    expect(screen.getAllByRole("link", { name: "Download" })).toHaveLength(1);
    expect(screen.getByText("no ATT&CK data")).toBeInTheDocument();
    expect(screen.getByText("2.0 KiB")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Generate report" })).not.toBeInTheDocument();
  });

  it("shows the problem's campaign field when a lead's request is refused", async () => {
    const { calls } = stubApi({
      "GET /api/v1/reports": () => json(page([])),
      "GET /api/v1/campaigns": () => json({ items: [], total: 0, page: 1, per_page: 200 }),
      "POST /api/v1/reports": () =>
        json({ type: "about:blank", title: "The request is not valid", status: 422, code: "VALIDATION_FAILED", errors: [{ field: "format", message: "must be html or pdf" }] }, 422),
    });
    renderPage(<ReportsPage />, { role: "red_lead" });
    await userEvent.selectOptions(await screen.findByLabelText("Format"), "pdf");
    await userEvent.click(screen.getByRole("button", { name: "Generate report" }));
    expect(await screen.findByText("must be html or pdf", { selector: "p" })).toBeInTheDocument();
    const post = calls.find((r) => r.method === "POST");
    expect(await post?.clone().json()).toEqual({ kind: "executive_summary", format: "pdf", campaign_id: null });
  });

  it("verifies a stored report: digest, signature validity and the public key", async () => {
    stubApi({
      "GET /api/v1/reports": () => json(page([report()])),
      "POST /api/v1/reports/01a228d0-0000-7000-8000-000000000001/verify": () => json({ report: report(), digest_matches: true, signature_valid: false, public_key: "ef".repeat(32) }),
    });
    renderPage(<ReportsPage />, { role: "viewer" });
    await userEvent.click(await screen.findByRole("button", { name: "Verify" }));
    const dialog = await screen.findByRole("dialog");
    expect(await within(dialog).findByText(/Signature not valid/)).toBeInTheDocument();
    expect(within(dialog).getByText("ab".repeat(32))).toBeInTheDocument();
    expect(within(dialog).getByText("ef".repeat(32))).toBeInTheDocument();
  });

  it("checks a downloaded file in the browser against the recorded digest and the server's key", async () => {
    const keys = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const publicKey = toHex(await crypto.subtle.exportKey("raw", keys.publicKey));
    const body = new TextEncoder().encode("<html><body>Executive summary</body></html>");
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
    const signature = toHex(await crypto.subtle.sign({ name: "Ed25519" }, keys.privateKey, digest));
    const sealed = (text: string) => new File([text, `\n<!-- aegis-signature ed25519:${signature} sha256:${toHex(digest)} -->\n`], "report.html", { type: "text/html" });
    const stored = report({ sha256: toHex(digest), signature });
    stubApi({
      "GET /api/v1/reports": () => json(page([stored])),
      [`POST /api/v1/reports/${stored.id}/verify`]: () => json({ report: stored, digest_matches: true, signature_valid: true, public_key: publicKey }),
    });
    renderPage(<ReportsPage />, { role: "viewer" });
    const input = await screen.findByLabelText("Downloaded report file");

    await userEvent.upload(input, sealed(new TextDecoder().decode(body)));
    const result = await screen.findByRole("list", { name: "File check" });
    await waitFor(() => expect(result).toHaveTextContent("Ed25519 signature is valid for this server's key"));
    expect(result).toHaveTextContent("Unaltered");
    expect(result).toHaveTextContent("with the same signature");
    expect(screen.getByText("Valid: unaltered and signed by this server.")).toBeInTheDocument();

    await userEvent.upload(input, sealed("<html><body>Executive summary, edited</body></html>"));
    expect(await screen.findByText("Not valid: the document was altered after it was signed.")).toBeInTheDocument();
    expect(screen.getByRole("list", { name: "File check" })).toHaveTextContent("Altered");
  });
});
