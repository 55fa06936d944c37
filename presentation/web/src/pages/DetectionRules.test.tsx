import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { json, renderPage, stubApi } from "../test/render";
import { DetectionRuleDetailPage, DetectionRulesPage } from "./DetectionRules";

const RULE_ID = "01a228ce-0def-7478-a9e7-057b48652a08";
const rule: Schemas["RuleSummaryView"] = {
  id: RULE_ID,
  source: "sigma",
  source_id: "313e72de-0c0d-4d65-8c95-87f4d546eceb",
  title: "AWS Console Login Monitoring",
  status: "experimental",
  severity: "medium",
  author: "Ivan Saakov",
  deprecated: false,
  techniques: ["T1078.004"],
  legacy_techniques: [],
};

describe("DetectionRulesPage", () => {
  it("lists rules with technique links and passes the filters on", async () => {
    const { calls } = stubApi({ "GET /api/v1/detection-rules": () => json({ items: [rule], total: 1, page: 1, per_page: 25 }) });
    renderPage(<DetectionRulesPage />, { url: "/detection-rules?source=sigma&include_deprecated=true" });
    expect(await screen.findByRole("link", { name: "AWS Console Login Monitoring" })).toHaveAttribute("href", `/detection-rules/${RULE_ID}`);
    expect(screen.getByRole("link", { name: "T1078.004" })).toHaveAttribute("href", "/techniques/T1078.004");
    expect(screen.getByLabelText("Include deprecated rules")).toBeChecked();
    const query = new URL(calls[0]?.url ?? "http://x").searchParams;
    expect(query.get("source")).toBe("sigma");
    expect(query.get("include_deprecated")).toBe("true");
  });

  it("says so when nothing matches", async () => {
    stubApi({ "GET /api/v1/detection-rules": () => json({ items: [], total: 0, page: 1, per_page: 25 }) });
    renderPage(<DetectionRulesPage />, { url: "/detection-rules?q=nothing" });
    expect(await screen.findByText("No rules match these filters")).toBeInTheDocument();
  });
});

describe("DetectionRuleDetailPage", () => {
  it("shows the rule's text, attribution and techniques", async () => {
    stubApi({
      [`GET /api/v1/detection-rules/${RULE_ID}`]: () =>
        json({
          ...rule,
          description: "Detects console logins from odd places.",
          licence: "Detection Rule License 1.1",
          kind: "sigma",
          tactics: ["initial-access"],
          references: ["https://example.org/ref"],
          false_positives: ["Travel"],
          path: "rules/cloud/aws/x.yml",
          text: "title: AWS Console Login Monitoring\nlevel: medium",
          created: "2025-10-19",
          modified: null,
          log_source: "aws//cloudtrail",
          risk_score: null,
        }),
    });
    renderPage(<DetectionRuleDetailPage />, { url: `/detection-rules/${RULE_ID}`, pattern: "/detection-rules/:id" });
    expect(await screen.findByRole("heading", { name: "AWS Console Login Monitoring" })).toBeInTheDocument();
    expect(screen.getByLabelText("Rule text").tagName).toBe("PRE");
    expect(screen.getByLabelText("Rule text")).toHaveTextContent("level: medium");
    expect(screen.getByText(/Detection Rule License 1.1/)).toBeInTheDocument();
    expect(screen.getByText("Ivan Saakov")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "T1078.004" })).toHaveAttribute("href", "/techniques/T1078.004");
  });

  it("shows the problem when the rule does not exist", async () => {
    stubApi({});
    renderPage(<DetectionRuleDetailPage />, { url: "/detection-rules/nope", pattern: "/detection-rules/:id" });
    expect(await screen.findByRole("alert")).toHaveTextContent("Not Found");
  });
});
