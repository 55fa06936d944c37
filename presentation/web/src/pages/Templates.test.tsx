import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes, useParams } from "react-router";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../api/client";
import { json, renderPage, stubApi, type Routes as ApiRoutes } from "../test/render";
import { TemplatesPage } from "./Templates";

const TEMPLATE_ID = "01a228ce-0cbf-7243-8971-f1dfe9c3995f";
const summary: Schemas["TemplateSummaryView"] = {
  id: TEMPLATE_ID,
  source: "atomic",
  source_id: "7cede33f",
  name: "Create Mini Dump of LSASS.exe using ProcDump",
  technique: "T1003.001",
  platforms: ["windows"],
  executors: ["command_prompt"],
};
const detail = {
  ...summary,
  description: "Dump lsass with procdump.",
  tactic: null,
  author: null,
  licence: "MIT",
  path: "atomics/T1003.001/T1003.001.yaml",
  executors: [{ name: "command_prompt", platform: null, command: "#{procdump_exe} -ma lsass.exe #{output_file}", cleanup: null, elevation_required: true, payloads: [] }],
  input_arguments: [{ name: "output_file", description: "Where the dump goes", type: "path", default: "C:\\Windows\\Temp\\lsass.dmp" }],
  dependencies: [],
};
const routes: ApiRoutes = {
  "GET /api/v1/test-templates": () => json({ items: [summary], total: 1, page: 1, per_page: 25 }),
  [`GET /api/v1/test-templates/${TEMPLATE_ID}`]: () => json(detail),
};

function NewTest() {
  return <p>Opened test {useParams().id}</p>;
}
const page = (
  <Routes>
    <Route path="/templates" element={<TemplatesPage />} />
    <Route path="/tests/:id" element={<NewTest />} />
  </Routes>
);


describe("TemplatesPage", () => {
  it("lists templates with the URL's filters and expands one to its commands", async () => {
    const { calls } = stubApi(routes);
    renderPage(<TemplatesPage />, { role: "blue_tech", url: "/templates?source=atomic&technique=T1003.001" });
    const toggle = await screen.findByRole("button", { name: /Create Mini Dump/ });
    const query = new URL(calls[0]?.url ?? "http://x").searchParams;
    expect(query.get("source")).toBe("atomic");
    expect(query.get("technique")).toBe("T1003.001");
    await userEvent.click(toggle);
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    expect(await screen.findByText("#{procdump_exe} -ma lsass.exe #{output_file}")).toBeInTheDocument();
    expect(screen.getByText("C:\\Windows\\Temp\\lsass.dmp")).toBeInTheDocument();
    // Analysts do not plan tests.
    expect(screen.queryByRole("button", { name: "Create a test" })).not.toBeInTheDocument();
  });

  it("creates a test from a template with its arguments and opens it", async () => {
    const bodies: unknown[] = [];
    stubApi({
      ...routes,
      "POST /api/v1/tests/from-template": async (request) => {
        bodies.push(await request.json());
        return json({ id: "new-test-id" }, 201);
      },
    });
    renderPage(page, { role: "red_lead", url: "/templates" });
    await userEvent.click(await screen.findByRole("button", { name: /Create Mini Dump/ }));
    await userEvent.click(await screen.findByRole("button", { name: "Create a test" }));
    const dialog = screen.getByRole("dialog");
    const argument = within(dialog).getByLabelText("output_file");
    expect(argument).toHaveValue("C:\\Windows\\Temp\\lsass.dmp");
    await userEvent.clear(argument);
    await userEvent.type(argument, "D:\\x.dmp");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create test" }));
    expect(await screen.findByText("Opened test new-test-id")).toBeInTheDocument();
    await waitFor(() => expect(bodies[0]).toMatchObject({ template_id: TEMPLATE_ID, platform: "windows", input_arguments: { output_file: "D:\\x.dmp" } }));
  });
});
