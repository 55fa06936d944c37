/**
 * Reads a unified diff for display: files, hunks and each line with its old and new numbers,
 * so that findings (which name the new side's line) sit under the line they are about. The
 * server's reader (domain/src/scan/diff.rs) is the one that judges; this one only lays the
 * text out, so it never refuses anything: what it does not recognise stays in the file as is.
 */

export type DiffLineKind = "added" | "removed" | "context" | "note";

export type DiffLine = {
  kind: DiffLineKind;
  text: string;
  oldNumber: number | null;
  newNumber: number | null;
};

export type DiffHunk = { header: string; lines: DiffLine[] };

export type DiffFile = {
  /** The path after the change, or before it for a deletion (as findings name files). */
  path: string;
  oldPath: string | null;
  newPath: string | null;
  status: "added" | "deleted" | "renamed" | "copied" | "changed";
  binary: boolean;
  hunks: DiffHunk[];
};

/** Git's C quoting (`"a/t\303\251st"`): octal escapes are UTF-8 bytes. */
function unquote(text: string): string {
  if (!(text.length >= 2 && text.startsWith('"') && text.endsWith('"'))) return text;
  const body = text.slice(1, -1);
  const bytes: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, "\\": 92, a: 7, b: 8, f: 12, v: 11 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i] ?? "";
    if (c !== "\\") {
      bytes.push(...new TextEncoder().encode(c));
      continue;
    }
    const next = body[i + 1] ?? "";
    const octal = /^[0-7]{3}/.exec(body.slice(i + 1, i + 4));
    if (octal) {
      bytes.push(parseInt(octal[0], 8));
      i += 3;
    } else if (next in simple) {
      bytes.push(simple[next] ?? 0);
      i += 1;
    } else {
      bytes.push(92);
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** A header path: `/dev/null` is none; the `a/` or `b/` prefix goes; a tab ends it. */
function headerPath(raw: string): string | null {
  const text = unquote(raw.split("\t")[0]?.trim() ?? "");
  if (text === "/dev/null") return null;
  return text.replace(/^[ab]\//, "");
}

/** The two paths of `diff --git a/X b/Y` (the last ` b/` when names hold spaces). */
function gitPaths(rest: string): [string, string] {
  const quoted = /^("(?:[^"\\]|\\.)*"|\S+) ("(?:[^"\\]|\\.)*"|\S+)$/.exec(rest);
  if (quoted && (rest.startsWith('"') || rest.endsWith('"'))) {
    return [headerPath(quoted[1] ?? "") ?? "", headerPath(quoted[2] ?? "") ?? ""];
  }
  const at = rest.lastIndexOf(" b/");
  if (at < 0) return [headerPath(rest) ?? "", headerPath(rest) ?? ""];
  return [headerPath(rest.slice(0, at)) ?? "", headerPath(rest.slice(at + 1)) ?? ""];
}

const HUNK = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

export function readDiff(text: string): DiffFile[] {
  const files: DiffFile[] = [];
  let file: DiffFile | null = null;
  let hunk: DiffHunk | null = null;
  let oldNumber = 0;
  let newNumber = 0;
  const open = (oldPath: string | null, newPath: string | null): DiffFile => {
    const next: DiffFile = { path: newPath ?? oldPath ?? "", oldPath, newPath, status: "changed", binary: false, hunks: [] };
    files.push(next);
    hunk = null;
    return next;
  };
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? "").replace(/\r$/, "");
    if (line.startsWith("diff --git ")) {
      const [a, b] = gitPaths(line.slice("diff --git ".length));
      file = open(a, b);
      continue;
    }
    const inHunk: DiffHunk | null = hunk;
    if (inHunk && file) {
      const first = line[0];
      if (first === "+" || first === "-" || first === " " || line === "") {
        if (first === "+") inHunk.lines.push({ kind: "added", text: line.slice(1), oldNumber: null, newNumber: newNumber++ });
        else if (first === "-") inHunk.lines.push({ kind: "removed", text: line.slice(1), oldNumber: oldNumber++, newNumber: null });
        else inHunk.lines.push({ kind: "context", text: line.slice(1), oldNumber: oldNumber++, newNumber: newNumber++ });
        // A `--- ` that opens the next plain diff ends this hunk (checked below).
        if (!(first === "-" && line.startsWith("--- ") && (lines[i + 1] ?? "").startsWith("+++ "))) continue;
        inHunk.lines.pop();
        hunk = null;
      } else if (first === "\\") {
        inHunk.lines.push({ kind: "note", text: line.slice(1).trim(), oldNumber: null, newNumber: null });
        continue;
      }
    }
    const header = HUNK.exec(line);
    if (header && file) {
      oldNumber = Number(header[1]);
      newNumber = Number(header[2]);
      hunk = { header: line, lines: [] };
      file.hunks.push(hunk);
      continue;
    }
    if (line.startsWith("--- ") && (lines[i + 1] ?? "").startsWith("+++ ")) {
      const oldPath = headerPath(line.slice(4));
      const newPath = headerPath((lines[i + 1] ?? "").slice(4));
      // Without a `diff --git` line first, this header opens the file (a plain diff).
      if (!file || file.hunks.length > 0) file = open(oldPath, newPath);
      file.oldPath = oldPath;
      file.newPath = newPath;
      file.path = newPath ?? oldPath ?? file.path;
      if (oldPath === null) file.status = "added";
      if (newPath === null) file.status = "deleted";
      i += 1;
      continue;
    }
    if (!file) continue;
    if (line.startsWith("new file mode")) file.status = "added";
    else if (line.startsWith("deleted file mode")) {
      file.status = "deleted";
      file.newPath = null;
      file.path = file.oldPath ?? file.path;
    } else if (line.startsWith("rename to ") || line.startsWith("copy to ")) {
      file.newPath = unquote(line.slice(line.indexOf(" to ") + 4));
      file.path = file.newPath;
      file.status = line.startsWith("rename") ? "renamed" : "copied";
    } else if (line.startsWith("rename from ") || line.startsWith("copy from ")) {
      file.oldPath = unquote(line.slice(line.indexOf(" from ") + 6));
    } else if (line.startsWith("Binary files ") || line === "GIT binary patch") {
      file.binary = true;
    }
  }
  return files;
}
