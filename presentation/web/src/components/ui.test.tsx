import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ApiProblem } from "../api/client";
import { ErrorPanel } from "./ui";
import { renderPage } from "../test/render";

describe("ErrorPanel", () => {
  it("shows the problem's title, detail and fields", () => {
    const problem = new ApiProblem({
      type: "about:blank",
      title: "The request is not valid",
      status: 422,
      code: "VALIDATION_FAILED",
      detail: "2 fields",
      errors: [{ field: "technique_id", message: "is not in the catalog" }],
    });
    renderPage(<ErrorPanel error={problem} />);
    expect(screen.getByRole("alert")).toHaveTextContent("The request is not valid");
    expect(screen.getByText("technique_id")).toBeInTheDocument();
    expect(screen.getByText(/is not in the catalog/)).toBeInTheDocument();
  });
});
