import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { json, renderPage, stubApi } from "../test/render";
import { DetectionAssetsPage, TechniqueProofs } from "./DetectionLifecycle";

const ASSET_ID = "01a228ce-0def-7478-a9e7-057b48652b01";
const TEST_ID = "01a228ce-0def-7478-a9e7-057b48652c01";
const asset: Schemas["AssetView"] = {
  id: ASSET_ID,
  name: "Encoded PowerShell",
  kind: "siem_rule",
  owner_id: null,
  team: "SOC",
  platform: "splunk",
  status: "active",
  content: "index=win",
  content_sha256: "ab".repeat(32),
  techniques: ["T1059.001"],
  rule: null,
  version: 1,
  created_by: ASSET_ID,
  created_at: "2026-12-01T10:00:00Z",
  updated_at: "2026-12-01T10:00:00Z",
};
const proof: Schemas["ValidationView"] = {
  id: "01a228ce-0def-7478-a9e7-057b48652d01",
  asset_id: ASSET_ID,
  technique_id: "T1059.001",
  source: "test",
  test_id: TEST_ID,
  outcome: "detected",
  evidence: null,
  notes: "",
  content_sha256: "ab".repeat(32),
  validated_by: null,
  validated_at: "2026-12-01T10:00:00Z",
  expires_at: "2027-05-30T10:00:00Z",
  state: "current",
  ended_at: null,
  end_reason: null,
  infrastructure_change_id: null,
};

describe("TechniqueProofs", () => {
  it("shows each asset with its proof, and an ended one with why", async () => {
    const ended = { ...asset, id: "01a228ce-0def-7478-a9e7-057b48652b02", name: "LSASS access" };
    stubApi({
      "GET /api/v1/detection-lifecycle/confidence/T1059.001": () =>
        json({
          technique_id: "T1059.001",
          covering: 2,
          proven: 1,
          confidence: 50,
          proven_until: proof.expires_at,
          assets: [
            { asset, proof, last: proof },
            { asset: ended, proof: null, last: { ...proof, asset_id: ended.id, state: "invalidated", end_reason: "rule changed since it was proven" } },
          ],
        }),
    });
    renderPage(<TechniqueProofs techniqueId="T1059.001" />);
    const rows = await screen.findAllByTestId("asset-proof");
    expect(rows[0]).toHaveTextContent("Current");
    expect(screen.getByRole("link", { name: "proving test" })).toHaveAttribute("href", `/tests/${TEST_ID}`);
    expect(rows[1]).toHaveTextContent("Invalidated");
    expect(rows[1]).toHaveTextContent("rule changed since it was proven");
    expect(screen.getByText(/1 of 2 proven/)).toBeInTheDocument();
  });
});

describe("DetectionAssetsPage", () => {
  it("lists assets and offers a new one only to those who manage detections", async () => {
    stubApi({ "GET /api/v1/detection-lifecycle/assets": () => json({ items: [asset], total: 1, page: 1, per_page: 25 }) });
    renderPage(<DetectionAssetsPage />, { role: "blue_lead", url: "/detection-assets" });
    expect(await screen.findByRole("link", { name: "Encoded PowerShell" })).toHaveAttribute("href", `/detection-assets/${ASSET_ID}`);
    expect(screen.getByRole("button", { name: "New asset" })).toBeInTheDocument();
  });

  it("hides the new asset form from a technician", async () => {
    stubApi({ "GET /api/v1/detection-lifecycle/assets": () => json({ items: [], total: 0, page: 1, per_page: 25 }) });
    renderPage(<DetectionAssetsPage />, { role: "blue_tech", url: "/detection-assets" });
    expect(await screen.findByText("No detection assets")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "New asset" })).toBeNull();
  });
});
