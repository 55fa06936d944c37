import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { json, renderPage, stubApi } from "../test/render";
import { CompliancePage, FrameworkPage, gapsFirst } from "./Compliance";
import type { ControlStatus } from "../api/enums";

const framework = { id: "nist_800_53-rev5", name: "NIST SP 800-53", version: "rev5", attack_version: "16.1", source: "CTID Mappings Explorer" };

function control(control_id: string, status: ControlStatus, score: number, overrides: Partial<Schemas["ControlView"]> = {}): Schemas["ControlView"] {
  return { control_id, name: `Control ${control_id}`, group: control_id.slice(0, 2), status, score, techniques: ["T1003", "T1059"], validated: [], to_test: ["T1003", "T1059"], missed: [], tested_not_detected: false, ...overrides };
}

const coverage: Schemas["FrameworkCoverageView"] = {
  framework,
  derived: false,
  covered_percent: 33.3,
  touched_percent: 66.7,
  controls: [
    control("AC-02", "covered", 90, { validated: ["T1003", "T1059"], to_test: [] }),
    control("CM-07", "partial", 45, { validated: ["T1003"], to_test: ["T1059"] }),
    control("SI-04", "gap", 10),
    control("AC-17", "gap", 0, { to_test: ["T1021", "T1021.001"] }),
  ],
};

describe("CompliancePage", () => {
  it("shows one gauge per framework with its covered percent, linking to it", async () => {
    stubApi({
      "GET /api/v1/compliance/frameworks": () => json([{ ...framework, controls: 109, mappings: 5264 }, { id: "nist_csf-1.1", name: "NIST CSF", version: "1.1", attack_version: "", source: "derived", controls: 79, mappings: 12497 }]),
      "GET /api/v1/compliance/frameworks/nist_800_53-rev5": () => json(coverage),
      "GET /api/v1/compliance/frameworks/nist_csf-1.1": () => json({ ...coverage, framework: { ...framework, id: "nist_csf-1.1", name: "NIST CSF" }, derived: true, covered_percent: 12, touched_percent: 20 }),
    });
    renderPage(<CompliancePage />, { role: "viewer" });
    expect(await screen.findByRole("link", { name: "NIST SP 800-53" })).toHaveAttribute("href", "/compliance/nist_800_53-rev5");
    expect(await screen.findByRole("img", { name: "NIST SP 800-53 controls covered: 33 %, 67 % touched" })).toBeInTheDocument();
    expect(await screen.findByRole("img", { name: "NIST CSF controls covered: 12 %, 20 % touched" })).toBeInTheDocument();
    expect(screen.getByText("Derived")).toBeInTheDocument();
  });
});

describe("FrameworkPage", () => {
  it("lists the control gaps first, the weakest first, with the techniques to test", async () => {
    stubApi({ "GET /api/v1/compliance/frameworks/nist_800_53-rev5": () => json(coverage) });
    renderPage(<FrameworkPage />, { url: "/compliance/nist_800_53-rev5", pattern: "/compliance/:id" });
    const gaps = await screen.findByRole("table", { name: "Control gaps" });
    const ids = within(gaps)
      .getAllByRole("row")
      .slice(1)
      .map((row) => row.querySelector("p")?.textContent);
    expect(ids).toEqual(["AC-17", "SI-04", "CM-07"]);
    expect(within(gaps).getByRole("link", { name: "T1021.001" })).toHaveAttribute("href", "/techniques/T1021.001");
    const covered = screen.getByRole("table", { name: "Covered controls" });
    expect(within(covered).getByText("Control AC-02")).toBeInTheDocument();
    // The gaps come before the covered controls in the page.
    expect(gaps.compareDocumentPosition(covered) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it("sends the status filter to the server and filters by text and group on the page", async () => {
    const { calls } = stubApi({ "GET /api/v1/compliance/frameworks/nist_800_53-rev5": () => json(coverage) });
    renderPage(<FrameworkPage />, { url: "/compliance/nist_800_53-rev5?status=gap&group=SI", pattern: "/compliance/:id" });
    const gaps = await screen.findByRole("table", { name: "Control gaps" });
    expect(new URL(calls[0]?.url ?? "").searchParams.get("status")).toBe("gap");
    expect(within(gaps).getAllByRole("row")).toHaveLength(2);
    expect(within(gaps).getByText("Control SI-04")).toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText("Group"), "");
    expect(await within(screen.getByRole("table", { name: "Control gaps" })).findByText("Control AC-17")).toBeInTheDocument();
  });

  it("shows a gap whose techniques were all tested and missed as tested, not detected", async () => {
    const missed = {
      ...coverage,
      controls: [
        control("SI-03", "gap", 12, { missed: ["T1003", "T1059"], tested_not_detected: true }),
        control("SI-04", "gap", 0),
        control("CM-07", "partial", 40, { validated: ["T1003"], to_test: ["T1059"], missed: ["T1059"] }),
      ],
    };
    stubApi({ "GET /api/v1/compliance/frameworks/nist_800_53-rev5": () => json(missed) });
    renderPage(<FrameworkPage />, { url: "/compliance/nist_800_53-rev5", pattern: "/compliance/:id" });
    const gaps = await screen.findByRole("table", { name: "Control gaps" });
    const row = (id: string) => within(gaps).getByText(`Control ${id}`).closest("tr") as HTMLElement;
    expect(within(row("SI-03")).getByText("Tested, not detected")).toBeInTheDocument();
    expect(within(row("SI-04")).getByText("Gap")).toBeInTheDocument();
    expect(within(row("CM-07")).getByText("Partial")).toBeInTheDocument();
    expect(within(row("CM-07")).getByText("T1059", { selector: "span" })).toBeInTheDocument();
  });

  it("orders gaps, then partial, then covered controls", () => {
    expect(gapsFirst(coverage.controls).map((c) => c.control_id)).toEqual(["AC-17", "SI-04", "CM-07", "AC-02"]);
  });
});
