//! A bounded reader of unified diffs as git writes them (`git diff`, `git format-patch`).
//!
//! Written here rather than taken from a crate: the maintained parsers (`patch`, `unidiff`)
//! skip git's extended headers, so a pure rename, a binary file or a mode change is lost or
//! refused, and they are not bounded against hostile input. This one keeps renames, binary
//! markers and `\ No newline at end of file`, caps the input's size and file count, and
//! answers a typed error for anything malformed instead of panicking.

use std::fmt;

/// The largest diff read (5 MiB): a pipeline's change to detection content is far smaller.
pub const MAX_DIFF_BYTES: usize = 5 * 1024 * 1024;
/// The most files one diff may touch.
pub const MAX_FILES: usize = 2_000;

/// What happened to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Changed,
    Deleted,
    Renamed,
}

impl ChangeKind {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Changed => "changed",
            Self::Deleted => "deleted",
            Self::Renamed => "renamed",
        }
    }
}

/// One line of a hunk, with its line numbers on the side(s) it exists on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HunkLine {
    Context { old: u32, new: u32, text: String },
    Added { new: u32, text: String },
    Removed { old: u32, text: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub old_start: u32,
    pub old_lines: u32,
    pub new_start: u32,
    pub new_lines: u32,
    pub lines: Vec<HunkLine>,
}

/// One file of the diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    /// `None` for an added file.
    pub old_path: Option<String>,
    /// `None` for a deleted file.
    pub new_path: Option<String>,
    pub kind: ChangeKind,
    /// Git said `Binary files … differ` or carried a binary patch: no text to check.
    pub binary: bool,
    pub hunks: Vec<Hunk>,
}

/// A line of the new side: its number in the new file, its text, and whether the change
/// added it (rather than kept it as context).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewLine<'a> {
    pub number: u32,
    pub text: &'a str,
    pub added: bool,
}

impl FileDiff {
    /// The path the file has after the change (before it, for a deletion).
    #[must_use]
    pub fn path(&self) -> &str {
        self.new_path
            .as_deref()
            .or(self.old_path.as_deref())
            .unwrap_or_default()
    }

    /// The new side's lines the diff holds, in order (context and added lines).
    pub fn new_lines(&self) -> impl Iterator<Item = NewLine<'_>> {
        self.hunks.iter().flat_map(|hunk| {
            hunk.lines.iter().filter_map(|line| match line {
                HunkLine::Context { new, text, .. } => Some(NewLine {
                    number: *new,
                    text,
                    added: false,
                }),
                HunkLine::Added { new, text } => Some(NewLine {
                    number: *new,
                    text,
                    added: true,
                }),
                HunkLine::Removed { .. } => None,
            })
        })
    }

    /// The lines the change removed, with their old line numbers.
    pub fn removed_lines(&self) -> impl Iterator<Item = (u32, &str)> {
        self.hunks.iter().flat_map(|hunk| {
            hunk.lines.iter().filter_map(|line| match line {
                HunkLine::Removed { old, text } => Some((*old, text.as_str())),
                _ => None,
            })
        })
    }

    /// Whether the diff holds the whole new file: an added file, or one hunk that starts at
    /// the first line of both sides and whose old side the diff shows whole (no old lines
    /// beyond it can exist only when git gave the file as one hunk from line 1 of an added
    /// or fully rewritten file). Only then can a parser judge the new side as a file.
    #[must_use]
    pub fn holds_whole_new_side(&self) -> bool {
        !self.binary && self.kind == ChangeKind::Added && self.new_path.is_some()
    }

    /// The new side's text the diff holds, lines joined with `\n`; gaps between hunks are
    /// where the diff holds nothing.
    #[must_use]
    pub fn new_text(&self) -> String {
        let mut text = String::new();
        for line in self.new_lines() {
            text.push_str(line.text);
            text.push('\n');
        }
        text
    }

    /// The old side's text the diff holds.
    #[must_use]
    pub fn old_text(&self) -> String {
        let mut text = String::new();
        for hunk in &self.hunks {
            for line in &hunk.lines {
                match line {
                    HunkLine::Context { text: t, .. } | HunkLine::Removed { text: t, .. } => {
                        text.push_str(t);
                        text.push('\n');
                    }
                    HunkLine::Added { .. } => {}
                }
            }
        }
        text
    }
}

/// Why a diff was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    #[error("the diff is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the diff touches more than {limit} files")]
    TooManyFiles { limit: usize },
    #[error("the diff holds no file")]
    Empty,
    #[error("line {line}: {reason}")]
    Malformed { line: usize, reason: String },
}

fn malformed(line: usize, reason: impl fmt::Display) -> DiffError {
    DiffError::Malformed {
        line,
        reason: reason.to_string(),
    }
}

/// A path as git writes it in a header: `/dev/null` is none; `a/` and `b/` prefixes and a
/// trailing tab with a timestamp go; a C-quoted path is unquoted.
fn header_path(raw: &str) -> Option<String> {
    let raw = raw.split('\t').next().unwrap_or_default().trim_end();
    let raw = if raw.starts_with('"') {
        unquote(raw)
    } else {
        raw.to_owned()
    };
    if raw == "/dev/null" {
        return None;
    }
    Some(strip_side(&raw).to_owned())
}

fn strip_side(path: &str) -> &str {
    path.strip_prefix("a/")
        .or_else(|| path.strip_prefix("b/"))
        .unwrap_or(path)
}

/// Git's C quoting: `"a/t\303\251st\tx"`. Octal escapes are bytes of UTF-8.
fn unquote(quoted: &str) -> String {
    let inner = quoted
        .strip_prefix('"')
        .map(|s| s.strip_suffix('"').unwrap_or(s))
        .unwrap_or(quoted);
    let mut bytes = Vec::with_capacity(inner.len());
    let mut chars = inner.bytes().peekable();
    while let Some(b) = chars.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        match chars.next() {
            Some(b'n') => bytes.push(b'\n'),
            Some(b't') => bytes.push(b'\t'),
            Some(b'r') => bytes.push(b'\r'),
            Some(b'"') => bytes.push(b'"'),
            Some(b'\\') => bytes.push(b'\\'),
            Some(d @ b'0'..=b'7') => {
                let mut value = u32::from(d - b'0');
                for _ in 0..2 {
                    match chars.peek() {
                        Some(&n @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(n - b'0');
                            chars.next();
                        }
                        _ => break,
                    }
                }
                bytes.push(u8::try_from(value & 0xff).unwrap_or(b'?'));
            }
            Some(other) => bytes.push(other),
            None => bytes.push(b'\\'),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The two paths of `diff --git a/X b/Y`. With spaces in names the split is ambiguous; git
/// writes the same path twice unless renamed, so the split that gives equal halves wins,
/// else the last ` b/`. Rename and `---`/`+++` headers refine it afterwards.
fn git_header_paths(rest: &str) -> (Option<String>, Option<String>) {
    if let Some(inner) = rest.strip_prefix('"') {
        // `"a/x y" "b/x y"` or `"a/x" b/x`.
        if let Some(end) = inner.find("\" ").map(|i| i + 1) {
            let (old, new) = rest.split_at(end + 1);
            return (header_path(old), header_path(new.trim_start()));
        }
        return (header_path(rest), None);
    }
    let splits: Vec<usize> = rest.match_indices(" b/").map(|(i, _)| i).collect();
    let chosen = splits
        .iter()
        .copied()
        .find(|&i| strip_side(&rest[..i]) == strip_side(&rest[i + 1..]))
        .or_else(|| splits.last().copied());
    match chosen {
        Some(i) => (header_path(&rest[..i]), header_path(&rest[i + 1..])),
        None => (header_path(rest), None),
    }
}

/// `@@ -a,b +c,d @@ …` → (a, b, c, d); a missing count is 1.
fn hunk_header(line: &str) -> Option<(u32, u32, u32, u32)> {
    let rest = line.strip_prefix("@@ -")?;
    let end = rest.find(" @@")?;
    let (old, new) = rest[..end].split_once(" +")?;
    let range = |text: &str| -> Option<(u32, u32)> {
        match text.split_once(',') {
            Some((start, count)) => Some((start.parse().ok()?, count.parse().ok()?)),
            None => Some((text.parse().ok()?, 1)),
        }
    };
    let (old_start, old_lines) = range(old)?;
    let (new_start, new_lines) = range(new)?;
    Some((old_start, old_lines, new_start, new_lines))
}

struct Building {
    file: FileDiff,
    renamed: bool,
    saw_old_header: bool,
}

impl Building {
    fn new(old: Option<String>, new: Option<String>) -> Self {
        Self {
            file: FileDiff {
                old_path: old,
                new_path: new,
                kind: ChangeKind::Changed,
                binary: false,
                hunks: Vec::new(),
            },
            renamed: false,
            saw_old_header: false,
        }
    }

    fn finish(mut self) -> FileDiff {
        self.file.kind = match (&self.file.old_path, &self.file.new_path) {
            (None, _) => ChangeKind::Added,
            (_, None) => ChangeKind::Deleted,
            (Some(old), Some(new)) if self.renamed || old != new => ChangeKind::Renamed,
            _ => ChangeKind::Changed,
        };
        self.file
    }
}

/// Reads a unified diff into its files.
///
/// # Errors
/// `TooLarge`, `TooManyFiles`, `Empty` (no file at all) or `Malformed` with the line.
pub fn parse(text: &str) -> Result<Vec<FileDiff>, DiffError> {
    if text.len() > MAX_DIFF_BYTES {
        return Err(DiffError::TooLarge {
            limit: MAX_DIFF_BYTES,
        });
    }
    let mut files: Vec<FileDiff> = Vec::new();
    let mut current: Option<Building> = None;
    // Lines still expected in the open hunk: (old, new, next old number, next new number).
    let mut open: Option<(u32, u32, u32, u32)> = None;
    let mut in_binary_patch = false;
    let push = |files: &mut Vec<FileDiff>, building: Building| -> Result<(), DiffError> {
        if files.len() >= MAX_FILES {
            return Err(DiffError::TooManyFiles { limit: MAX_FILES });
        }
        files.push(building.finish());
        Ok(())
    };
    for (index, raw) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some((old_left, new_left, old_no, new_no)) = open.as_mut() {
            let hunk = current
                .as_mut()
                .and_then(|b| b.file.hunks.last_mut())
                .ok_or_else(|| malformed(number, "a hunk outside any file"))?;
            let (marker, body) = match line.chars().next() {
                Some(c) => (Some(c), &line[c.len_utf8()..]),
                // Some tools strip the space of an empty context line.
                None => (Some(' '), ""),
            };
            match marker {
                Some(' ') if *old_left > 0 && *new_left > 0 => {
                    hunk.lines.push(HunkLine::Context {
                        old: *old_no,
                        new: *new_no,
                        text: body.to_owned(),
                    });
                    *old_left -= 1;
                    *new_left -= 1;
                    *old_no = old_no.saturating_add(1);
                    *new_no = new_no.saturating_add(1);
                }
                Some('+') if *new_left > 0 => {
                    hunk.lines.push(HunkLine::Added {
                        new: *new_no,
                        text: body.to_owned(),
                    });
                    *new_left -= 1;
                    *new_no = new_no.saturating_add(1);
                }
                Some('-') if *old_left > 0 => {
                    hunk.lines.push(HunkLine::Removed {
                        old: *old_no,
                        text: body.to_owned(),
                    });
                    *old_left -= 1;
                    *old_no = old_no.saturating_add(1);
                }
                Some('\\') => {}
                _ => {
                    return Err(malformed(
                        number,
                        "the hunk ends before the line counts of its header",
                    ));
                }
            }
            if *old_left == 0 && *new_left == 0 {
                open = None;
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("diff --git ") {
            if let Some(building) = current.take() {
                push(&mut files, building)?;
            }
            in_binary_patch = false;
            let (old, new) = git_header_paths(rest);
            current = Some(Building::new(old, new));
            continue;
        }
        if in_binary_patch {
            continue;
        }
        if let Some(rest) = line.strip_prefix("--- ") {
            let starts_new = current
                .as_ref()
                .is_none_or(|b| b.saw_old_header || !b.file.hunks.is_empty());
            if starts_new {
                if let Some(building) = current.take() {
                    push(&mut files, building)?;
                }
                current = Some(Building::new(None, None));
            }
            if let Some(building) = current.as_mut() {
                building.file.old_path = header_path(rest);
                building.saw_old_header = true;
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("+++ ") {
            let building = current
                .as_mut()
                .ok_or_else(|| malformed(number, "`+++` without a file"))?;
            building.file.new_path = header_path(rest);
            continue;
        }
        if line.starts_with("@@ ") {
            let (old_start, old_lines, new_start, new_lines) = hunk_header(line)
                .ok_or_else(|| malformed(number, "a hunk header that does not read"))?;
            let building = current
                .as_mut()
                .ok_or_else(|| malformed(number, "a hunk before any file header"))?;
            building.file.hunks.push(Hunk {
                old_start,
                old_lines,
                new_start,
                new_lines,
                lines: Vec::new(),
            });
            if old_lines > 0 || new_lines > 0 {
                // An empty side starts at the line before its first (`-0,0`).
                let old_no = if old_lines == 0 {
                    old_start + 1
                } else {
                    old_start
                };
                let new_no = if new_lines == 0 {
                    new_start + 1
                } else {
                    new_start
                };
                open = Some((old_lines, new_lines, old_no.max(1), new_no.max(1)));
            }
            continue;
        }
        let Some(building) = current.as_mut() else {
            // A mail header, a commit message or a diffstat before the first file.
            continue;
        };
        if line.starts_with("new file mode") {
            building.file.old_path = None;
        } else if line.starts_with("deleted file mode") {
            building.file.new_path = None;
        } else if let Some(path) = line
            .strip_prefix("rename from ")
            .or_else(|| line.strip_prefix("copy from "))
        {
            building.file.old_path = header_path(path);
            building.renamed = line.starts_with("rename");
        } else if let Some(path) = line
            .strip_prefix("rename to ")
            .or_else(|| line.strip_prefix("copy to "))
        {
            building.file.new_path = header_path(path);
            if line.starts_with("copy") {
                building.file.old_path = None;
            }
        } else if line.starts_with("Binary files ") {
            building.file.binary = true;
        } else if line == "GIT binary patch" {
            building.file.binary = true;
            in_binary_patch = true;
        }
        // index, similarity, mode lines and anything else between files say nothing more.
    }
    if open.is_some() {
        return Err(malformed(
            text.split('\n').count(),
            "the diff ends inside a hunk",
        ));
    }
    if let Some(building) = current.take() {
        push(&mut files, building)?;
    }
    if files.is_empty() {
        return Err(DiffError::Empty);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADDED: &str = "diff --git a/rules/new.yml b/rules/new.yml\nnew file mode 100644\nindex 000..111\n--- /dev/null\n+++ b/rules/new.yml\n@@ -0,0 +1,3 @@\n+title: A\n+id: 1\n+level: high\n";

    #[test]
    fn an_added_file_has_its_whole_new_side() {
        let files = parse(ADDED).unwrap_or_default();
        assert_eq!(files.len(), 1);
        let file = &files[0];
        assert_eq!(file.kind, ChangeKind::Added);
        assert_eq!(file.path(), "rules/new.yml");
        assert!(file.holds_whole_new_side());
        assert_eq!(file.new_text(), "title: A\nid: 1\nlevel: high\n");
        let numbers: Vec<u32> = file.new_lines().map(|l| l.number).collect();
        assert_eq!(numbers, vec![1, 2, 3]);
    }

    #[test]
    fn changes_renames_deletions_and_binaries_are_told_apart() {
        let diff = "\
diff --git a/a.yml b/a.yml
index 1..2 100644
--- a/a.yml
+++ b/a.yml
@@ -10,3 +10,3 @@ title
 keep
-old
+new
 keep
\\ No newline at end of file
diff --git a/old name.yml b/new name.yml
similarity index 100%
rename from old name.yml
rename to new name.yml
diff --git a/gone.toml b/gone.toml
deleted file mode 100644
--- a/gone.toml
+++ /dev/null
@@ -1 +0,0 @@
-x = 1
diff --git a/logo.png b/logo.png
new file mode 100644
index 0000000..1111111
Binary files /dev/null and b/logo.png differ
";
        let files = parse(diff).unwrap_or_default();
        let kinds: Vec<(ChangeKind, &str)> = files.iter().map(|f| (f.kind, f.path())).collect();
        assert_eq!(
            kinds,
            vec![
                (ChangeKind::Changed, "a.yml"),
                (ChangeKind::Renamed, "new name.yml"),
                (ChangeKind::Deleted, "gone.toml"),
                (ChangeKind::Added, "logo.png"),
            ]
        );
        let added: Vec<(u32, &str)> = files[0]
            .new_lines()
            .filter(|l| l.added)
            .map(|l| (l.number, l.text))
            .collect();
        assert_eq!(added, vec![(11, "new")]);
        assert_eq!(
            files[0].removed_lines().collect::<Vec<_>>(),
            vec![(11, "old")]
        );
        assert!(files[3].binary);
        assert!(!files[3].holds_whole_new_side());
    }

    #[test]
    fn plain_unified_diffs_and_format_patch_preambles_read() {
        let diff = "From abc Mon Sep 17 00:00:00 2001\nSubject: [PATCH] x\n---\n a.txt | 2 +-\n\n--- a.txt\t2024-01-01\n+++ a.txt\t2024-01-02\n@@ -1 +1 @@\n-a\n+b\n--- b.txt\n+++ b.txt\n@@ -1 +1,2 @@\n b\n+c\n";
        let files = parse(diff).unwrap_or_default();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].path(), "a.txt");
        assert_eq!(files[1].new_text(), "b\nc\n");
    }

    #[test]
    fn hostile_input_is_refused_without_panicking() {
        assert_eq!(parse(""), Err(DiffError::Empty));
        assert_eq!(parse("just words\n"), Err(DiffError::Empty));
        assert!(matches!(
            parse("diff --git a/x b/x\n@@ -1,5 +1,5 @@\n a\n"),
            Err(DiffError::Malformed { .. })
        ));
        assert!(matches!(
            parse("diff --git a/x b/x\n@@ -1,1 +1,1 @@\nxyz\n"),
            Err(DiffError::Malformed { .. })
        ));
        assert!(matches!(
            parse("@@ -1 +1 @@\n-a\n+b\n"),
            Err(DiffError::Malformed { .. })
        ));
        assert!(matches!(
            parse("diff --git a/x b/x\n@@ -99999999999,1 +1 @@\n"),
            Err(DiffError::Malformed { .. })
        ));
        let huge = "+".repeat(MAX_DIFF_BYTES + 1);
        assert_eq!(
            parse(&huge),
            Err(DiffError::TooLarge {
                limit: MAX_DIFF_BYTES
            })
        );
        let many: String = (0..=MAX_FILES)
            .map(|i| format!("diff --git a/f{i} b/f{i}\n"))
            .collect();
        assert_eq!(
            parse(&many),
            Err(DiffError::TooManyFiles { limit: MAX_FILES })
        );
        // Odd bytes and half headers never panic.
        for text in [
            "diff --git \"a/\\",
            "--- \"\n+++ \"\\777\n",
            "@@ -,+ @@",
            "\u{202e}@@ -1 +1 @@",
        ] {
            let _ = parse(text);
        }
    }

    #[test]
    fn quoted_paths_are_unquoted() {
        let diff = "diff --git \"a/t\\303\\251st.yml\" \"b/t\\303\\251st.yml\"\n--- \"a/t\\303\\251st.yml\"\n+++ \"b/t\\303\\251st.yml\"\n@@ -1 +1 @@\n-a\n+b\n";
        let files = parse(diff).unwrap_or_default();
        assert_eq!(files[0].path(), "tést.yml");
    }
}
