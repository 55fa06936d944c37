import { screen, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Schemas } from "../../api/client";
import { json, renderPage, stubApi } from "../../test/render";
import { AttackPathDetailPage } from "./AttackPaths";
import { layout, stepTone } from "./PathGraph";

const ID = "01a228d5-236d-71ae-8225-464470eb4399";

function step(overrides: Partial<Schemas["PathStepView"]>): Schemas["PathStepView"] {
  return { key: "s1", name: "Phishing", kind: "technique", technique_id: "T1566", operator: null, score: 0, status: "not_covered", latest_outcome: null, stopped: false, ...overrides };
}

const steps = [
  step({ key: "s1", name: "Phishing", technique_id: "T1566", score: 10, status: "partial", latest_outcome: "not_detected" }),
  step({ key: "s2", name: "OR", kind: "operator", technique_id: null, operator: "OR", score: null, status: null }),
  step({ key: "s3", name: "PowerShell", technique_id: "T1059.001", score: 80, status: "validated", latest_outcome: "detected", stopped: true }),
];
const edges = [
  { from: "s1", to: "s2" },
  { from: "s2", to: "s3" },
];

describe("PathGraph", () => {
  it("lays the chain out left to right in its order", () => {
    const positions = layout(steps, edges);
    const x = (key: string) => positions.get(key)?.x ?? Number.NaN;
    expect(x("s1")).toBeLessThan(x("s2"));
    expect(x("s2")).toBeLessThan(x("s3"));
  });

  it("colours steps by coverage", () => {
    expect(stepTone(steps[2] as Schemas["PathStepView"])).toBe("#bbf7d0");
    expect(stepTone(steps[0] as Schemas["PathStepView"])).toBe("#fde68a");
    expect(stepTone(step({ status: "not_covered" }))).toBe("#fecaca");
  });
});

describe("AttackPathDetailPage", () => {
  // jsdom has no ResizeObserver; the graph library measures its pane with one.
  beforeEach(() => {
    vi.stubGlobal(
      "ResizeObserver",
      class {
        observe() {}
        unobserve() {}
        disconnect() {}
      },
    );
  });

  it("shows the weakest step and the first stop, and offers a campaign to leads only", async () => {
    const detail = {
      path: { id: ID, name: "Phish to PowerShell", description: "", source: "attack_flow", origin: null, steps: 3, techniques: 2, version: 1, created_by: null, created_at: "2026-12-01T10:00:00Z", updated_at: "2026-12-01T10:00:00Z" },
      steps,
      edges,
      weakest_step: "s1",
      first_stop: "s3",
    };
    stubApi({ [`GET /api/v1/attack-paths/${ID}`]: () => json(detail) });
    renderPage(<AttackPathDetailPage />, { role: "viewer", url: `/attack-paths/${ID}`, pattern: "/attack-paths/:id" });
    expect(await screen.findByRole("heading", { name: "Phish to PowerShell" })).toBeInTheDocument();
    expect(screen.getByText("T1566 Phishing (10.0)")).toBeInTheDocument();
    const table = screen.getByRole("table", { name: "Steps in order" });
    const stopped = within(table).getByText("Stopped", { selector: "span" }).closest("tr") as HTMLElement;
    expect(within(stopped).getByText("T1059.001 PowerShell")).toBeInTheDocument();
    const graph = screen.getByRole("figure", { name: "Attack path graph" });
    expect(graph.querySelectorAll("[data-step]")).toHaveLength(3);
    expect(screen.queryByRole("button", { name: "Plan campaign" })).not.toBeInTheDocument();
  });
});
