import { useEffect, useId, useState, type ReactNode } from "react";
import { ApiProblem } from "../api/client";
import { ErrorPanel, TextField } from "../components/ui";


/** The value, or undefined so that the query string leaves it out. */
export function opt(value: string): string | undefined {
  return value === "" ? undefined : value;
}

/** A text filter that writes to the URL once the typing pauses, not on every key. */
export function SearchField({
  label,
  value,
  onCommit,
  list,
  placeholder,
  hint,
}: {
  label: string;
  value: string;
  onCommit: (value: string) => void;
  list?: readonly string[];
  placeholder?: string;
  hint?: string;
}) {
  const [text, setText] = useState(value);
  const listId = useId();
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const timer = setTimeout(() => onCommit(text.trim()), 300);
    return () => clearTimeout(timer);
  }, [text, value, onCommit]);
  return (
    <>
      <TextField
        label={label}
        type="search"
        value={text}
        placeholder={placeholder}
        {...(hint ? { hint } : {})}
        list={list ? listId : undefined}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => e.key === "Enter" && onCommit(text.trim())}
      />
      {list && (
        <datalist id={listId}>
          {list.map((item) => (
            <option key={item} value={item} />
          ))}
        </datalist>
      )}
    </>
  );
}

/** A form's failure: the problem's title, and only the fields not already shown under inputs. */
export function FormProblem({ error, shown }: { error: unknown; shown: readonly string[] }) {
  if (!error) return null;
  if (error instanceof ApiProblem) {
    const rest = error.problem.errors?.filter((e) => !shown.includes(e.field));
    return <ErrorPanel error={new ApiProblem({ ...error.problem, errors: rest })} />;
  }
  return <ErrorPanel error={error} />;
}

export const PLATFORMS = ["windows", "linux", "macos", "containers", "azure-ad", "office-365", "google-workspace"] as const;

/** A definition list of label/value pairs; empty values show a dash. */
export function Facts({ items }: { items: ReadonlyArray<readonly [string, ReactNode]> }) {
  return (
    <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1.5 text-sm">
      {items.map(([label, value]) => (
        <div key={label} className="contents">
          <dt className="text-slate-500">{label}</dt>
          <dd className="min-w-0 break-words text-slate-900">{value === null || value === undefined || value === "" || value === false ? "—" : value}</dd>
        </div>
      ))}
    </dl>
  );
}
