import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Highlighted, opensSearch } from "./GlobalSearch";
import { SafeMarkdown } from "../pages/Knowledge";

describe("the global search", () => {
  it("opens with / outside a field and with Ctrl+K anywhere", () => {
    const body = document.body;
    const input = document.createElement("input");
    expect(opensSearch({ key: "/", ctrlKey: false, metaKey: false, target: body })).toBe(true);
    expect(opensSearch({ key: "/", ctrlKey: false, metaKey: false, target: input })).toBe(false);
    expect(opensSearch({ key: "k", ctrlKey: true, metaKey: false, target: input })).toBe(true);
    expect(opensSearch({ key: "K", ctrlKey: false, metaKey: true, target: body })).toBe(true);
    expect(opensSearch({ key: "k", ctrlKey: false, metaKey: false, target: body })).toBe(false);
  });

  it("marks matched words and never renders the snippet as HTML", () => {
    const { container } = render(<Highlighted text={"<b>x</b> the «encoded» command"} />);
    expect(container.querySelector("mark")?.textContent).toBe("encoded");
    expect(container.querySelector("b")).toBeNull();
    expect(container.textContent).toContain("<b>x</b>");
  });
});

describe("playbook Markdown", () => {
  it("renders Markdown but drops raw HTML and script links", () => {
    const { container } = render(
      <SafeMarkdown text={"**bold** <img src=x onerror=alert(1)>\n\n<script>alert(1)</script>\n\n[link](javascript:alert(1))"} />,
    );
    expect(screen.getByText("bold").tagName).toBe("STRONG");
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("script")).toBeNull();
    expect(container.querySelector("a")?.getAttribute("href") ?? "").not.toContain("javascript");
  });
});
