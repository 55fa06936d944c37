import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { Route, Routes, useLocation } from "react-router";
import type { Schemas } from "../api/client";
import { json, renderPage, stubApi } from "../test/render";
import { campaign, detail } from "./campaigns/fixtures";
import { plainDescription, ThreatActorDetailPage, ThreatActorsPage } from "./ThreatActors";
import type { CoverageStatus, Role } from "../api/enums";


const STIX = "intrusion-set--899ce53f-13a0-479b-a0e4-67d46e241542";
const OTHER = "intrusion-set--00000000-13a0-479b-a0e4-67d46e241542";

function actor(overrides: Partial<Schemas["ThreatActorView"]> = {}): Schemas["ThreatActorView"] {
  return { stix_id: STIX, mitre_id: "G0016", name: "APT29", aliases: ["APT29", "Cozy Bear"], description: "A group.", revoked: false, deprecated: false, ...overrides };
}

function technique(mitre_id: string, name: string, platforms = ["Windows"]): Schemas["TechniqueSummaryView"] {
  return { mitre_id, name, tactics: ["credential-access"], platforms, is_subtechnique: mitre_id.includes("."), revoked: false, deprecated: false, review_required: false };
}

function cell(mitre_id: string, status: CoverageStatus, score: number): Schemas["HeatmapCellView"] {
  return {
    mitre_id,
    name: mitre_id,
    platforms: ["Windows"],
    status,
    score,
    rolled_score: score,
    color: "#fff",
    breakdown: { tests: 0, rules: 0, countermeasures: 0, freshness: 0, diversity: 0 },
    validated_tests: 0,
    open_tests: 0,
    threat_actors: 1,
    detection_rules: 0,
    countermeasures: 0,
    outcomes: {
      validated_tests: 0, prevented: 0, detected: 0, logged: 0, missed: 0,
      prevented_share: 0, detected_share: 0, logged_share: 0, missed_share: 0,
      timed_tests: 0, median_seconds_to_detect: null, p90_seconds_to_detect: null,
    },
    subtechniques: [],
  };
}

const actorDetail: Schemas["ThreatActorDetailView"] = {
  ...actor({ description: "[APT29](https://attack.mitre.org/groups/G0016) is a group.(Citation: CrowdStrike)" }),
  references: [{ source: "CrowdStrike", url: "https://example.com/report" }],
  techniques: [technique("T1003.001", "LSASS Memory"), technique("T1110.003", "Password Spraying", ["Linux"])],
  target_sectors: ["government"],
  target_regions: ["Europe"],
  intel: [],
};

const detailRoutes = {
  [`GET /api/v1/threat-actors/${STIX}`]: () => json(actorDetail),
  "GET /api/v1/tracked-actors": () => json([]),
  "GET /api/v1/heatmap": () =>
    json({
      status_counts: [],
      tactics: [{ tactic_id: "TA0006", tactic: "Credential Access", shortname: "credential-access", techniques: [{ ...cell("T1003", "partial", 40), subtechniques: [cell("T1003.001", "validated", 81)] }, cell("T1110.003", "not_covered", 0)] }],
    }),
  "GET /api/v1/coverage": () =>
    json({
      techniques: 2,
      validated_percent: 50,
      organization_score: 40,
      status_counts: [
        { status: "validated", techniques: 1 },
        { status: "not_covered", techniques: 1 },
      ],
      tactics: [],
    }),
};

describe("ThreatActorsPage", () => {
  it("lists actors with links by encoded STIX id and lets a lead track one", async () => {
    const { calls } = stubApi({
      "GET /api/v1/threat-actors": () => json({ items: [actor(), actor({ stix_id: OTHER, mitre_id: "G0007", name: "APT28", aliases: [] })], total: 2, page: 1, per_page: 25 }),
      "GET /api/v1/tracked-actors": () => json([{ stix_id: OTHER, name: "APT28", known_techniques: [], tracked_at: "2026-11-01T00:00:00Z" }]),
      [`PUT /api/v1/tracked-actors/${STIX}`]: () => json({ stix_id: STIX, name: "APT29", known_techniques: [], tracked_at: "2026-11-02T00:00:00Z" }),
    });
    renderPage(<ThreatActorsPage />, { role: "red_lead", url: "/threat-actors?q=apt" });
    expect(await screen.findByRole("link", { name: "APT29" })).toHaveAttribute("href", `/threat-actors/${encodeURIComponent(STIX)}`);
    expect(new URL(calls[0]?.url ?? "").searchParams.get("q")).toBe("apt");
    expect(await screen.findByRole("button", { name: "Stop tracking APT28" })).toHaveAttribute("aria-pressed", "true");
    await userEvent.click(screen.getByRole("button", { name: "Track APT29" }));
    await waitFor(() => expect(calls.some((r) => r.method === "PUT" && r.url.endsWith(`/tracked-actors/${STIX}`))).toBe(true));
  });

  it("shows tracking to a technician without the toggle", async () => {
    stubApi({
      "GET /api/v1/threat-actors": () => json({ items: [actor()], total: 1, page: 1, per_page: 25 }),
      "GET /api/v1/tracked-actors": () => json([{ stix_id: STIX, name: "APT29", known_techniques: [], tracked_at: "2026-11-01T00:00:00Z" }]),
    });
    renderPage(<ThreatActorsPage />, { role: "blue_tech", url: "/threat-actors" });
    const row = (await screen.findByRole("link", { name: "APT29" })).closest("tr") as HTMLElement;
    expect(await within(row).findByText("Tracked")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Track/ })).not.toBeInTheDocument();
  });
});

describe("ThreatActorDetailPage", () => {
  const render = (role: Role) =>
    renderPage(
      <Routes>
        <Route path="/threat-actors/:id" element={<ThreatActorDetailPage />} />
        <Route path="/campaigns/:id" element={<CampaignLanding />} />
      </Routes>,
      { role, url: `/threat-actors/${encodeURIComponent(STIX)}` },
    );

  it("shows each technique's coverage, weakest first, and the summary by status", async () => {
    stubApi(detailRoutes);
    render("viewer");
    const table = await screen.findByRole("table", { name: /Techniques the actor uses/ });
    await within(table).findByText("Validated");
    const rows = within(table).getAllByRole("row").slice(1);
    expect(within(rows[0] as HTMLElement).getByRole("link")).toHaveAttribute("href", "/techniques/T1110.003");
    expect(within(rows[0] as HTMLElement).getByText("Not covered")).toBeInTheDocument();
    expect(within(rows[1] as HTMLElement).getByText("81")).toBeInTheDocument();
    const summary = await screen.findByRole("list", { name: "Techniques by coverage status" });
    expect(within(summary).getAllByRole("listitem").map((li) => li.textContent)).toEqual(["Not covered1", "In progress0", "Partial0", "Validated1", "Stale0"]);
    expect(screen.getByText("APT29 is a group.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Plan a campaign" })).not.toBeInTheDocument();
  });

  it("plans a campaign and goes to it with the skipped techniques", async () => {
    const planned = "01a228d8-e9e5-75f8-ac80-700f152a9b60";
    const { calls } = stubApi({
      ...detailRoutes,
      "POST /api/v1/campaigns/from-threat-actor": () =>
        json({ ...detail(campaign({ id: planned }), []), from_templates: 1, skipped: [{ technique_id: "T1110.003", reason: "does not run on Windows" }] }, 201),
    });
    render("blue_lead");
    await userEvent.click(await screen.findByRole("button", { name: "Plan a campaign" }));
    const dialog = within(screen.getByRole("dialog"));
    await userEvent.selectOptions(dialog.getByLabelText("Platform"), "Windows");
    await userEvent.type(dialog.getByLabelText("Skip techniques validated within (days)"), "30");
    await userEvent.click(dialog.getByRole("button", { name: "Plan the campaign" }));
    expect(await screen.findByTestId("landing")).toHaveTextContent(`${planned}|T1110.003: does not run on Windows`);
    const post = calls.find((r) => r.method === "POST");
    expect(await post?.clone().json()).toEqual({ threat_actor_id: STIX, name: "APT29 emulation", platform: "Windows", campaign_type: "purple_team", skip_validated_within_days: 30 });
  });
});

function CampaignLanding() {
  const location = useLocation();
  const state = location.state as { planned?: { skipped: Schemas["SkippedTechnique"][] } } | null;
  return <p data-testid="landing">{`${location.pathname.split("/").at(-1) ?? ""}|${(state?.planned?.skipped ?? []).map((s) => `${s.technique_id}: ${s.reason}`).join(",")}`}</p>;
}

describe("plainDescription", () => {
  it("drops citations and keeps link text", () => {
    expect(plainDescription("[APT29](https://x) did it.(Citation: A)(Citation: B)")).toBe("APT29 did it.");
  });
});
