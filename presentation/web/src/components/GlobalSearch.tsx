import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { useNavigate } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { api, ok, type Schemas } from "../api/client";
import { humanize } from "../lib/format";

type Hit = Schemas["SearchHitView"];

/** The snippet's matched words (between « and ») as <mark>, the rest as text: never HTML. */
export function Highlighted({ text }: { text: string }) {
  const parts: ReactNode[] = [];
  text.split(/(«[^»]*»)/).forEach((part, i) => {
    if (part.startsWith("«") && part.endsWith("»")) parts.push(<mark key={i}>{part.slice(1, -1)}</mark>);
    else if (part) parts.push(part);
  });
  return <>{parts}</>;
}

/** Whether a key press should open the search: "/" outside a field, or Ctrl/⌘+K anywhere. */
export function opensSearch(e: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "target">): boolean {
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") return true;
  const target = e.target as HTMLElement | null;
  const typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable);
  return e.key === "/" && !typing;
}

/** The header's search over techniques, tests, playbooks, lessons, rules and templates. */
export function GlobalSearch() {
  const [text, setText] = useState("");
  const [query, setQuery] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const listId = useId();
  const navigate = useNavigate();

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (opensSearch(e)) {
        e.preventDefault();
        input.current?.focus();
        setOpen(true);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  useEffect(() => {
    const timer = setTimeout(() => setQuery(text.trim()), 200);
    return () => clearTimeout(timer);
  }, [text]);

  const searchable = /[\p{L}\p{N}]/u.test(query);
  const results = useQuery({
    queryKey: ["search", query],
    queryFn: () => ok(api.GET("/api/v1/search", { params: { query: { q: query, limit: 12 } } })),
    enabled: searchable,
    staleTime: 10_000,
  });
  const hits: Hit[] = searchable ? (results.data?.items ?? []) : [];
  const go = (hit: Hit) => {
    setOpen(false);
    setText("");
    input.current?.blur();
    void navigate(hit.link);
  };

  return (
    <div className="relative mr-auto w-full max-w-md">
      <label htmlFor={`${listId}-input`} className="sr-only">
        Search
      </label>
      <input
        id={`${listId}-input`}
        ref={input}
        type="search"
        role="combobox"
        aria-expanded={open && hits.length > 0}
        aria-controls={listId}
        aria-activedescendant={open && hits[active] ? `${listId}-${active}` : undefined}
        placeholder="Search techniques, tests, playbooks… ( / or Ctrl+K )"
        className="block w-full rounded-md border border-slate-300 px-2.5 py-1.5 text-sm focus:border-blue-600 focus:outline-none focus:ring-2 focus:ring-blue-600/30"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setActive(0);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            setOpen(false);
            input.current?.blur();
          } else if (e.key === "ArrowDown") {
            e.preventDefault();
            setActive((a) => Math.min(a + 1, Math.max(hits.length - 1, 0)));
          } else if (e.key === "ArrowUp") {
            e.preventDefault();
            setActive((a) => Math.max(a - 1, 0));
          } else if (e.key === "Enter" && hits[active]) {
            e.preventDefault();
            go(hits[active]);
          }
        }}
      />
      {open && searchable && (
        <ul id={listId} role="listbox" aria-label="Search results" className="absolute left-0 right-0 z-40 mt-1 max-h-96 overflow-y-auto rounded-md border border-slate-200 bg-white shadow-lg">
          {results.isPending && <li className="px-3 py-2 text-sm text-slate-500">Searching…</li>}
          {results.isError && <li className="px-3 py-2 text-sm text-red-700">The search failed.</li>}
          {results.isSuccess && hits.length === 0 && <li className="px-3 py-2 text-sm text-slate-500">Nothing found.</li>}
          {hits.map((hit, i) => (
            <li
              key={`${hit.type}-${hit.id}`}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={`cursor-pointer px-3 py-2 text-sm ${i === active ? "bg-blue-50" : ""}`}
              onMouseDown={(e) => {
                e.preventDefault();
                go(hit);
              }}
              onMouseEnter={() => setActive(i)}
            >
              <span className="mr-2 inline-block rounded bg-slate-100 px-1.5 text-xs font-medium text-slate-700">{humanize(hit.type)}</span>
              <span className="font-medium">{hit.title}</span>
              {hit.snippet && (
                <p className="mt-0.5 line-clamp-2 text-xs text-slate-600">
                  <Highlighted text={hit.snippet} />
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
