import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../api/client";
import { json, renderPage, stubApi, type Routes } from "../../test/render";
import { testView } from "./fixtures";
import { ACTION_LABELS, TestDetailPage } from "./TestDetail";
import type { Role, WorkflowAction } from "../../api/enums";

const ID = "01a228d0-2a29-726e-b2e6-4f8e38d298f2";
const URL_ = `/tests/${ID}`;

function timeline(test: Schemas["TestView"], available_actions: WorkflowAction[]): Schemas["TimelineView"] {
  return {
    test,
    available_actions,
    transitions: [{ action: "start-execution", from: "draft", to: "red_executing", actor_id: "00000000-0000-7000-8000-0000000000aa", occurred_at: "2026-11-29T10:00:00Z" }],
    worklogs: [],
    comments: [{ id: "c1", author_id: "00000000-0000-7000-8000-0000000000aa", body: "Looks good so far", created_at: "2026-11-29T10:30:00Z" }],
  };
}

function routes(view: Schemas["TimelineView"], extra: Routes = {}): Routes {
  return {
    [`GET /api/v1/tests/${ID}/timeline`]: () => json(view),
    [`GET /api/v1/tests/${ID}/evidence`]: () => json([]),
    "GET /api/v1/detection-rules": () => json({ items: [], total: 0, page: 1, per_page: 100 }),
    "GET /api/v1/users": () => json({ items: [], total: 0, page: 1, per_page: 200 }),
    ...extra,
  };
}

const show = (role: Role) => renderPage(<TestDetailPage />, { role, url: URL_, pattern: "/tests/:id" });


describe("TestDetailPage", () => {
  it("offers only the available actions", async () => {
    stubApi(routes(timeline(testView({ state: "in_review" }), ["validate-red"])));
    show("red_lead");
    expect(await screen.findByRole("button", { name: "Validate (red)" })).toBeInTheDocument();
    for (const [action, label] of Object.entries(ACTION_LABELS)) {
      if (action !== "validate-red") expect(screen.queryByRole("button", { name: label })).not.toBeInTheDocument();
    }
    expect(screen.getByText("Looks good so far")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "T1003.001" })).toHaveAttribute("href", "/techniques/T1003.001");
  });

  it("shows a viewer the reports but no forms and no actions", async () => {
    stubApi(routes(timeline(testView({ state: "red_executing", red: { ...testView().red, started_at: "2026-11-29T10:00:00Z" } }), [])));
    show("viewer");
    expect(await screen.findByText("procdump -ma lsass.exe")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Save red report" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Save blue report" })).not.toBeInTheDocument();
    expect(screen.queryByLabelText("Evidence file")).not.toBeInTheDocument();
    expect(screen.queryByLabelText("Comment")).not.toBeInTheDocument();
    for (const label of Object.values(ACTION_LABELS)) expect(screen.queryByRole("button", { name: label })).not.toBeInTheDocument();
  });

  it("lets red edit its report while it executes and sends the version with a step", async () => {
    const bodies: unknown[] = [];
    stubApi(
      routes(timeline(testView({ state: "red_executing" }), ["submit-red", "pause-timer"]), {
        [`POST /api/v1/tests/${ID}/pause-timer`]: async (request) => {
          bodies.push(await request.json());
          return json(testView({ state: "red_executing", paused: true, version: 5 }));
        },
      }),
    );
    show("red_tech");
    expect(await screen.findByRole("button", { name: "Save red report" })).toBeInTheDocument();
    expect(screen.getByLabelText("Evidence file")).toBeInTheDocument();
    expect(screen.queryByLabelText("Outcome")).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Pause timer" }));
    await waitFor(() => expect(bodies).toEqual([{ version: 4 }]));
  });

  it("saves blue's evaluation with the outcome and the version", async () => {
    const bodies: unknown[] = [];
    stubApi(
      routes(timeline(testView({ state: "blue_evaluating" }), ["submit-blue"]), {
        [`PATCH /api/v1/tests/${ID}/blue`]: async (request) => {
          bodies.push(await request.json());
          return json(testView({ state: "blue_evaluating", version: 5 }));
        },
      }),
    );
    show("blue_tech");
    await userEvent.selectOptions(await screen.findByLabelText("Outcome"), "detected");
    expect(screen.queryByRole("button", { name: "Save red report" })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Save blue report" }));
    await waitFor(() => expect(bodies).toHaveLength(1));
    expect(bodies[0]).toMatchObject({ version: 4, outcome: "detected" });
    expect(await screen.findByText("Saved.")).toBeInTheDocument();
  });

  it("shows each field a refused submit names next to that field of red's report", async () => {
    stubApi(
      routes(timeline(testView({ state: "red_executing" }), ["submit-red"]), {
        [`POST /api/v1/tests/${ID}/submit-red`]: () =>
          json(
            {
              type: "about:blank",
              title: "The request is not valid",
              status: 422,
              code: "VALIDATION_FAILED",
              detail: "invalid test data (executed_at: is required before submitting; result_summary: is required before submitting)",
              errors: [
                { field: "executed_at", message: "is required before submitting" },
                { field: "result_summary", message: "is required before submitting" },
              ],
            },
            422,
          ),
      }),
    );
    show("red_tech");
    await userEvent.click(await screen.findByRole("button", { name: "Submit red report" }));
    const executed = screen.getByLabelText("Executed at");
    await waitFor(() => expect(executed).toHaveAttribute("aria-invalid", "true"));
    expect(executed).toHaveAccessibleDescription("is required before submitting");
    expect(screen.getByLabelText("Result summary")).toHaveAccessibleDescription("is required before submitting");
    expect(screen.getByLabelText("Tool")).not.toHaveAttribute("aria-invalid");
  });

  it("asks for a verdict and shows the server's reason for refusing a rejection", async () => {
    const bodies: unknown[] = [];
    stubApi(
      routes(timeline(testView({ state: "in_review" }), ["validate-red"]), {
        [`POST /api/v1/tests/${ID}/validate-red`]: async (request) => {
          bodies.push(await request.json());
          return json(
            { type: "about:blank", title: "The request is not valid", status: 422, code: "VALIDATION_FAILED", errors: [{ field: "notes", message: "a rejection needs notes that say why" }] },
            422,
          );
        },
      }),
    );
    show("red_lead");
    await userEvent.click(await screen.findByRole("button", { name: "Validate (red)" }));
    await userEvent.click(screen.getByRole("button", { name: "Reject" }));
    expect(await screen.findByText("a rejection needs notes that say why")).toBeInTheDocument();
    expect(bodies[0]).toMatchObject({ verdict: "reject", version: 4 });
    expect(screen.getByLabelText("Notes")).toHaveAttribute("aria-invalid", "true");
  });
});
