//! SARIF 2.1.0 logs from code and cloud scanners (CodeQL, Semgrep, Trivy, Grype, …): each
//! result becomes a [`ScannedResult`] with its rule, message, location, CVE and CWE ids,
//! security-severity score, level, guidance and an identity that survives re-scans.
//!
//! Pure and bounded: at most [`MAX_SARIF_BYTES`], [`MAX_RUNS`] runs and [`MAX_RESULTS`]
//! results; long texts are cut. The log is read as JSON values rather than through a typed
//! SARIF model (such as `serde-sarif`) on purpose: scanners write many optional parts loosely,
//! and one result we cannot use must be skipped with its reason, never fail the file. Only a
//! file that is not a SARIF 2.1.0 log at all is refused, with the JSON path at fault.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use aegis_application::findings::{ScanReader, UnreadableScan};
use aegis_domain::finding::vulnerability::{
    CodeLocation, ScanLevel, ScanReport, ScannedResult, Scanner, SecurityScore, SkippedResult,
    normalize_cwe,
};
use aegis_domain::osint::scan;

/// The largest file read (32 MiB).
pub const MAX_SARIF_BYTES: usize = 32 * 1024 * 1024;
pub const MAX_RUNS: usize = 100;
/// Results beyond this many in one file are skipped, each with the reason.
pub const MAX_RESULTS: usize = 10_000;
const MAX_MESSAGE_CHARS: usize = 5_000;
const MAX_GUIDANCE_CHARS: usize = 20_000;
/// Skipped results listed one by one; past this many, one entry says how many more.
const MAX_SKIPPED_LISTED: usize = 1_000;

/// The adapter of the findings' [`ScanReader`] port.
#[derive(Debug, Clone, Copy, Default)]
pub struct SarifReader;

impl ScanReader for SarifReader {
    fn read(&self, bytes: &[u8]) -> Result<ScanReport, UnreadableScan> {
        parse_sarif(bytes)
    }
}

fn refuse(message: impl Into<String>) -> UnreadableScan {
    UnreadableScan(message.into())
}

fn text_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut at = value;
    for key in path {
        at = at.get(key)?;
    }
    at.as_str().map(str::trim).filter(|s| !s.is_empty())
}

fn cut(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

/// A SARIF message: its text, or its markdown, or the rule's message string it names with
/// the `{0}`-style arguments put in.
fn message_text(message: &Value, rule: Option<&Value>) -> Option<String> {
    if let Some(text) = text_at(message, &["text"]).or_else(|| text_at(message, &["markdown"])) {
        return Some(text.to_owned());
    }
    let id = text_at(message, &["id"])?;
    let template = rule.and_then(|r| {
        text_at(r, &["messageStrings", id, "text"])
            .or_else(|| text_at(r, &["messageStrings", id, "markdown"]))
    })?;
    let mut text = template.to_owned();
    if let Some(arguments) = message.get("arguments").and_then(Value::as_array) {
        for (n, argument) in arguments.iter().enumerate().take(50) {
            if let Some(argument) = argument.as_str() {
                text = text.replace(&format!("{{{n}}}"), argument);
            }
        }
    }
    Some(text)
}

fn tags(value: Option<&Value>) -> Vec<&str> {
    value
        .and_then(|v| v.get("properties"))
        .and_then(|p| p.get("tags"))
        .and_then(Value::as_array)
        .map(|tags| tags.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The `security-severity` property, written as a string (as GitHub documents it) or a number.
fn security_score(value: Option<&Value>) -> Option<Option<SecurityScore>> {
    let raw = value?.get("properties")?.get("security-severity")?;
    let score = match raw {
        Value::String(text) => text.trim().parse::<f64>().ok(),
        Value::Number(number) => number.as_f64(),
        _ => None,
    };
    Some(score.and_then(SecurityScore::of))
}

/// CWE ids of the taxa a rule relates to or a result names, in a CWE taxonomy.
fn cwe_references(list: Option<&Value>, target: bool, found: &mut BTreeSet<String>) {
    for entry in list
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .take(200)
    {
        let reference = if target {
            entry.get("target")
        } else {
            Some(entry)
        };
        let Some(reference) = reference else { continue };
        let component = text_at(reference, &["toolComponent", "name"]).unwrap_or_default();
        if let Some(id) = text_at(reference, &["id"])
            && (component.eq_ignore_ascii_case("cwe") || id.to_ascii_lowercase().contains("cwe-"))
            && let Some(cwe) = normalize_cwe(id)
        {
            found.insert(cwe);
        }
    }
}

/// The run's scope: its scanner, and the category of its `automationDetails.id` (the part
/// before the last `/`, the whole id when it has none), as GitHub code scanning groups
/// analyses.
fn scope_of(scanner: &str, run: &Value) -> String {
    let category = text_at(run, &["automationDetails", "id"]).map(|id| match id.rfind('/') {
        Some(0) | None => id,
        Some(at) => &id[..at],
    });
    let scope = match category {
        Some(category) => format!("{scanner}/{category}"),
        None => scanner.to_owned(),
    };
    cut(&scope, 400)
}

/// Parses a SARIF 2.1.0 log.
///
/// # Errors
/// `UnreadableScan` when the bytes are too many, not JSON, not version 2.1.0, or a run lacks
/// its tool's name; the message names the JSON path.
pub fn parse_sarif(bytes: &[u8]) -> Result<ScanReport, UnreadableScan> {
    if bytes.len() > MAX_SARIF_BYTES {
        return Err(refuse(format!(
            "is larger than {MAX_SARIF_BYTES} bytes, the most a SARIF import reads"
        )));
    }
    let log: Value = serde_json::from_slice(bytes)
        .map_err(|e| refuse(format!("is not a JSON document: {e}")))?;
    if !log.is_object() {
        return Err(refuse(
            "is not a SARIF log: the document must be a JSON object",
        ));
    }
    match log.get("version").and_then(Value::as_str) {
        Some("2.1.0") => {}
        Some(other) => {
            return Err(refuse(format!(
                "version: is {other:?}; only SARIF 2.1.0 is read"
            )));
        }
        None => {
            return Err(refuse(
                "version: is missing; a SARIF 2.1.0 log says \"2.1.0\"",
            ));
        }
    }
    let runs = log
        .get("runs")
        .and_then(Value::as_array)
        .ok_or_else(|| refuse("runs: is missing or not an array"))?;
    if runs.len() > MAX_RUNS {
        return Err(refuse(format!(
            "runs: more than {MAX_RUNS} runs in one file"
        )));
    }
    let mut report = ScanReport::default();
    let mut unlisted = 0usize;
    let mut skip = |report: &mut ScanReport, skipped: SkippedResult| {
        if report.skipped.len() < MAX_SKIPPED_LISTED {
            report.skipped.push(skipped);
        } else {
            unlisted += 1;
        }
    };
    let mut scopes = BTreeSet::new();
    for (run_index, run) in runs.iter().enumerate() {
        let driver = run.get("tool").and_then(|t| t.get("driver"));
        let name = driver
            .and_then(|d| text_at(d, &["name"]))
            .ok_or_else(|| refuse(format!("runs[{run_index}].tool.driver.name: is missing")))?;
        let scanner = Scanner {
            name: cut(name, 200),
            version: driver
                .and_then(|d| text_at(d, &["semanticVersion"]).or_else(|| text_at(d, &["version"])))
                .map(|v| cut(v, 100)),
        };
        let scope = scope_of(&scanner.name, run);
        scopes.insert(scope.clone());
        let rules: Vec<&Value> = driver
            .and_then(|d| d.get("rules"))
            .and_then(Value::as_array)
            .map(|rules| rules.iter().collect())
            .unwrap_or_default();
        let rule_by_id: HashMap<&str, &Value> = rules
            .iter()
            .filter_map(|r| Some((text_at(r, &["id"])?, *r)))
            .collect();
        let artifacts = run.get("artifacts").and_then(Value::as_array);
        let Some(results) = run.get("results") else {
            continue;
        };
        let Some(results) = results.as_array() else {
            return Err(refuse(format!(
                "runs[{run_index}].results: is not an array"
            )));
        };
        for (index, result) in results.iter().enumerate() {
            let skipped = |rule_id: Option<&str>, reason: &str| SkippedResult {
                run: run_index,
                index,
                rule_id: rule_id.map(|r| cut(r, 300)),
                reason: reason.to_owned(),
            };
            if report.results.len() >= MAX_RESULTS {
                skip(
                    &mut report,
                    skipped(None, &format!("over {MAX_RESULTS} results in one file")),
                );
                continue;
            }
            if !result.is_object() {
                skip(&mut report, skipped(None, "not a JSON object"));
                continue;
            }
            let rule_index = result
                .get("ruleIndex")
                .or_else(|| result.get("rule").and_then(|r| r.get("index")))
                .and_then(Value::as_u64)
                .and_then(|i| usize::try_from(i).ok());
            let named = text_at(result, &["ruleId"]).or_else(|| text_at(result, &["rule", "id"]));
            let rule = match (named, rule_index) {
                (Some(id), _) => rule_by_id.get(id).copied(),
                (None, Some(i)) => rules.get(i).copied(),
                (None, None) => None,
            };
            let Some(rule_id) = named.or_else(|| rule.and_then(|r| text_at(r, &["id"]))) else {
                skip(&mut report, skipped(None, "names no rule (ruleId)"));
                continue;
            };
            if let Some(kind) = text_at(result, &["kind"]).filter(|k| *k != "fail") {
                skip(
                    &mut report,
                    skipped(Some(rule_id), &format!("its kind is {kind}, not fail")),
                );
                continue;
            }
            let suppressed = result
                .get("suppressions")
                .and_then(Value::as_array)
                .is_some_and(|s| {
                    s.iter()
                        .any(|s| matches!(text_at(s, &["status"]), None | Some("accepted")))
                });
            if suppressed {
                skip(
                    &mut report,
                    skipped(Some(rule_id), "suppressed in the scanner"),
                );
                continue;
            }
            if text_at(result, &["baselineState"]) == Some("absent") {
                skip(
                    &mut report,
                    skipped(Some(rule_id), "its baseline state is absent"),
                );
                continue;
            }
            let level_text = text_at(result, &["level"])
                .or_else(|| rule.and_then(|r| text_at(r, &["defaultConfiguration", "level"])))
                .unwrap_or("warning");
            let Some(level) = ScanLevel::parse(level_text) else {
                skip(
                    &mut report,
                    skipped(Some(rule_id), &format!("unknown level {level_text:?}")),
                );
                continue;
            };
            let rule_name = rule.and_then(|r| {
                text_at(r, &["shortDescription", "text"]).or_else(|| text_at(r, &["name"]))
            });
            let message = result
                .get("message")
                .and_then(|m| message_text(m, rule))
                .or_else(|| rule_name.map(str::to_owned))
                .unwrap_or_else(|| rule_id.to_owned());
            let location = result
                .get("locations")
                .and_then(Value::as_array)
                .and_then(|l| l.first())
                .and_then(|l| l.get("physicalLocation"))
                .and_then(|physical| {
                    let artifact = physical.get("artifactLocation")?;
                    let uri = text_at(artifact, &["uri"]).or_else(|| {
                        let i = usize::try_from(artifact.get("index")?.as_u64()?).ok()?;
                        text_at(artifacts?.get(i)?, &["location", "uri"])
                    })?;
                    let line = physical
                        .get("region")
                        .and_then(|r| r.get("startLine"))
                        .and_then(Value::as_u64)
                        .and_then(|l| u32::try_from(l).ok());
                    Some(CodeLocation {
                        uri: cut(uri, 2_000),
                        line,
                    })
                });
            let score = security_score(Some(result))
                .or_else(|| security_score(rule))
                .flatten();
            let help = rule.and_then(|r| {
                text_at(r, &["help", "text"])
                    .or_else(|| text_at(r, &["help", "markdown"]))
                    .or_else(|| text_at(r, &["fullDescription", "text"]))
            });
            let mut guidance = help.unwrap_or_default().to_owned();
            for fix in result
                .get("fixes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .take(20)
            {
                if let Some(text) = fix.get("description").and_then(|d| message_text(d, rule)) {
                    if !guidance.is_empty() {
                        guidance.push_str("\n\n");
                    }
                    guidance.push_str("Fix: ");
                    guidance.push_str(&text);
                }
            }
            let all_tags: Vec<&str> = tags(rule).into_iter().chain(tags(Some(result))).collect();
            let mut cwes = BTreeSet::new();
            for tag in &all_tags {
                if tag.to_ascii_lowercase().contains("cwe")
                    && let Some(cwe) = normalize_cwe(tag)
                {
                    cwes.insert(cwe);
                }
            }
            if rule_id.to_ascii_lowercase().contains("cwe-")
                && let Some(cwe) = normalize_cwe(rule_id)
            {
                cwes.insert(cwe);
            }
            cwe_references(rule.and_then(|r| r.get("relationships")), true, &mut cwes);
            cwe_references(result.get("taxa"), false, &mut cwes);
            let mut cves = BTreeSet::new();
            let named_texts = [Some(rule_id), rule_name, Some(message.as_str()), help];
            for text in named_texts
                .into_iter()
                .flatten()
                .chain(all_tags.iter().copied())
            {
                cves.extend(scan(&cut(text, MAX_GUIDANCE_CHARS)).cves);
            }
            let identity = identity_of(result, rule_id, location.as_ref());
            report.results.push(ScannedResult {
                run: run_index,
                index,
                scanner: scanner.clone(),
                scope: scope.clone(),
                identity,
                rule_id: cut(rule_id, 300),
                rule_name: rule_name.map(|n| cut(n, 300)),
                message: cut(&message, MAX_MESSAGE_CHARS),
                location,
                cves: cves.into_iter().collect(),
                cwes: cwes.into_iter().collect(),
                score,
                level,
                guidance: cut(&guidance, MAX_GUIDANCE_CHARS),
            });
        }
    }
    if unlisted > 0 {
        report.skipped.push(SkippedResult {
            run: 0,
            index: 0,
            rule_id: None,
            reason: format!("and {unlisted} more results skipped, not listed one by one"),
        });
    }
    report.scopes = scopes.into_iter().collect();
    Ok(report)
}

/// What identifies a result across scans: the scanner's partial fingerprints (or
/// fingerprints) when it gives any, else its rule, artifact and line.
fn identity_of(result: &Value, rule_id: &str, location: Option<&CodeLocation>) -> String {
    for key in ["partialFingerprints", "fingerprints"] {
        let prints: BTreeMap<&str, &str> = result
            .get(key)
            .and_then(Value::as_object)
            .map(|prints| {
                prints
                    .iter()
                    .take(50)
                    .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
                    .collect()
            })
            .unwrap_or_default();
        if !prints.is_empty() {
            let joined: Vec<String> = prints.iter().map(|(k, v)| format!("{k}={v}")).collect();
            return cut(&format!("{rule_id}|{}", joined.join("|")), 4_000);
        }
    }
    let (uri, line) = location.map_or(("", None), |l| (l.uri.as_str(), l.line));
    cut(
        &format!(
            "{rule_id}|{uri}|{}",
            line.map(|l| l.to_string()).unwrap_or_default()
        ),
        4_000,
    )
}

#[cfg(test)]
#[expect(
    clippy::expect_used,
    reason = "a test fails loudly on what it did not expect"
)]
mod tests {
    use super::*;

    #[test]
    fn a_run_without_results_still_names_its_scope() {
        let report = parse_sarif(
            br#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"Semgrep"}},
                "automationDetails":{"id":"api/2026-12-08"},"results":[]}]}"#,
        )
        .expect("a clean scan");
        assert_eq!(report.scopes, ["Semgrep/api"]);
        assert!(report.results.is_empty());
    }

    #[test]
    fn the_file_as_a_whole_is_refused_naming_the_path_at_fault() {
        for (bytes, expected) in [
            (&b"not json"[..], "is not a JSON document"),
            (b"[]", "must be a JSON object"),
            (br#"{"runs":[]}"#, "version: is missing"),
            (br#"{"version":"2.0.0","runs":[]}"#, "version: is \"2.0.0\""),
            (br#"{"version":"2.1.0"}"#, "runs: is missing"),
            (
                br#"{"version":"2.1.0","runs":[{"tool":{"driver":{}}}]}"#,
                "runs[0].tool.driver.name: is missing",
            ),
            (
                br#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":{}}]}"#,
                "runs[0].results: is not an array",
            ),
        ] {
            let error = parse_sarif(bytes).expect_err("refused");
            assert!(error.0.contains(expected), "{} / {expected}", error.0);
        }
    }

    #[test]
    fn a_result_the_log_names_with_a_message_string_and_a_rule_index_is_read() {
        let report = parse_sarif(
            br#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"CodeQL","rules":[
              {"id":"js/sql-injection","messageStrings":{"m":{"text":"Query built from {0}."}},
               "properties":{"tags":["external/cwe/cwe-089"],"security-severity":8.8}}]}},
              "results":[{"ruleIndex":0,"message":{"id":"m","arguments":["user input"]},
                "locations":[{"physicalLocation":{"artifactLocation":{"index":0},"region":{"startLine":7}}}]},
                {"ruleId":"js/sql-injection","kind":"pass","message":{"text":"fine"}},
                {"ruleId":"js/sql-injection","suppressions":[{"kind":"inSource"}],"message":{"text":"x"}},
                {"message":{"text":"no rule"}},
                {"ruleId":"x","level":"loud","message":{"text":"?"}}],
              "artifacts":[{"location":{"uri":"src/db.js"}}]}]}"#,
        )
        .expect("read");
        let result = report.results.first().expect("one result");
        assert_eq!(result.rule_id, "js/sql-injection");
        assert_eq!(result.message, "Query built from user input.");
        assert_eq!(
            result.location,
            Some(CodeLocation {
                uri: "src/db.js".to_owned(),
                line: Some(7)
            })
        );
        assert_eq!(result.cwes, ["CWE-89"]);
        assert_eq!(result.score.map(SecurityScore::tenths), Some(88));
        assert_eq!(result.identity, "js/sql-injection|src/db.js|7");
        let reasons: Vec<&str> = report.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "its kind is pass, not fail",
                "suppressed in the scanner",
                "names no rule (ruleId)",
                "unknown level \"loud\""
            ]
        );
        assert_eq!(report.skipped[0].index, 1);
    }

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/fixtures/sarif")
                .join(name),
        )
        .expect("fixture")
    }

    #[test]
    fn a_trivy_shaped_log_gives_cves_scores_and_guidance() {
        let report = parse_sarif(&fixture("trivy.sarif")).expect("read");
        assert_eq!(report.scopes, ["Trivy"]);
        assert_eq!(report.results.len(), 3);
        let log4shell = &report.results[0];
        assert_eq!(log4shell.scanner.version.as_deref(), Some("0.57.1"));
        assert_eq!(log4shell.cves, ["CVE-2021-44228"]);
        assert_eq!(log4shell.cwes, ["CWE-502"]);
        assert_eq!(log4shell.score.map(SecurityScore::tenths), Some(100));
        assert_eq!(log4shell.level, ScanLevel::Error);
        assert!(log4shell.guidance.contains("Upgrade log4j-core"));
        assert_eq!(log4shell.identity, "CVE-2021-44228|app/pom.xml|42");
        assert_eq!(report.results[2].score.map(SecurityScore::tenths), Some(33));
    }

    #[test]
    fn a_semgrep_shaped_log_gives_cwes_fixes_fingerprints_and_skips_the_suppressed() {
        let report = parse_sarif(&fixture("semgrep.sarif")).expect("read");
        assert_eq!(report.scopes, ["Semgrep OSS/backend"]);
        let [shell, sql, secret] = &report.results[..] else {
            panic!("three results: {:?}", report.results);
        };
        assert_eq!(shell.cwes, ["CWE-78"]);
        assert!(shell.guidance.contains("Fix: Pass the command as a list"));
        assert!(shell.identity.contains("matchBasedId/v1=5f1b1c0e3a"));
        assert_eq!(sql.cwes, ["CWE-89"]);
        assert!(
            sql.identity
                .contains("primaryLocationLineHash=a81b9e0c3d2f")
        );
        assert_eq!(secret.cwes, ["CWE-798"]);
        assert_eq!(secret.level, ScanLevel::Warning);
        assert!(shell.cves.is_empty());
        assert_eq!(report.skipped.len(), 1);
        assert_eq!(report.skipped[0].reason, "suppressed in the scanner");
    }

    #[test]
    fn results_past_the_bound_are_skipped_with_the_reason() {
        let result = r#"{"ruleId":"r","message":{"text":"m"}}"#;
        let results = vec![result; MAX_RESULTS + 2].join(",");
        let log = format!(
            r#"{{"version":"2.1.0","runs":[{{"tool":{{"driver":{{"name":"x"}}}},"results":[{results}]}}]}}"#
        );
        let report = parse_sarif(log.as_bytes()).expect("read");
        assert_eq!(report.results.len(), MAX_RESULTS);
        assert_eq!(report.skipped.len(), 2);
        assert!(report.skipped[0].reason.starts_with("over 10000 results"));
        assert!(parse_sarif(&vec![b' '; MAX_SARIF_BYTES + 1]).is_err());
    }
}
