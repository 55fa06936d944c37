//! NVD CVE API 2.0 answers and NVD's JSON 2.0 data files (the same shape: a `vulnerabilities`
//! array of `cve` objects): each CVE becomes an intelligence item with its English
//! description, CVSS base score and severity (v4.0, else v3.1, v3.0, v2), CWE ids, whether
//! CISA lists it as exploited, and the ATT&CK ids its description names.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;

use aegis_domain::osint::{IntelEntry, IntelSeverity, IntelSource, is_cve, scan};

use super::collection::FeedFile;
use super::rule_fields::utf8;

/// The longest summary kept, in characters.
pub const MAX_SUMMARY_CHARS: usize = 4000;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    #[serde(default)]
    results_per_page: Option<u64>,
    #[serde(default)]
    start_index: Option<u64>,
    #[serde(default)]
    total_results: Option<u64>,
    vulnerabilities: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cve {
    id: String,
    published: String,
    #[serde(default)]
    descriptions: Vec<LangText>,
    #[serde(default)]
    metrics: Metrics,
    #[serde(default)]
    weaknesses: Vec<Weakness>,
    #[serde(default)]
    cisa_exploit_add: Option<String>,
    #[serde(default)]
    cisa_vulnerability_name: Option<String>,
    #[serde(default)]
    vuln_status: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LangText {
    lang: String,
    value: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metrics {
    #[serde(default)]
    cvss_metric_v40: Vec<Metric>,
    #[serde(default)]
    cvss_metric_v31: Vec<Metric>,
    #[serde(default)]
    cvss_metric_v30: Vec<Metric>,
    #[serde(default)]
    cvss_metric_v2: Vec<Metric>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metric {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    cvss_data: CvssData,
    /// v2 keeps its severity beside `cvssData`.
    #[serde(default)]
    base_severity: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CvssData {
    base_score: f64,
    #[serde(default)]
    base_severity: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Weakness {
    #[serde(default)]
    description: Vec<LangText>,
}

/// Where the next page starts, when the answer says there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NvdPage {
    pub start_index: u64,
    pub results_per_page: u64,
    pub total_results: u64,
}

impl NvdPage {
    pub fn next_start(&self) -> Option<u64> {
        let next = self.start_index.saturating_add(self.results_per_page);
        (self.results_per_page > 0 && next < self.total_results).then_some(next)
    }
}

/// What one NVD answer or file holds.
#[derive(Debug, Default)]
pub struct NvdBatch {
    pub entries: Vec<IntelEntry>,
    /// CWE ids per CVE, for scanners' findings.
    pub weaknesses: Vec<(String, Vec<String>)>,
    pub skipped: Vec<(String, String)>,
    pub page: Option<NvdPage>,
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    // NVD writes its times without a zone; they are UTC.
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

pub(crate) fn bounded(text: &str, max: usize) -> String {
    let trimmed = text.trim();
    if trimmed.chars().count() <= max {
        return trimmed.to_owned();
    }
    let mut cut: String = trimmed.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The score and severity of the best metric: v4.0, then v3.1, v3.0, v2; NVD's own
/// (`Primary`) before a CNA's.
fn cvss(metrics: &Metrics) -> Option<(f64, Option<IntelSeverity>)> {
    for list in [
        &metrics.cvss_metric_v40,
        &metrics.cvss_metric_v31,
        &metrics.cvss_metric_v30,
        &metrics.cvss_metric_v2,
    ] {
        let best = list
            .iter()
            .find(|m| m.kind.as_deref() == Some("Primary"))
            .or_else(|| list.first());
        if let Some(metric) = best {
            let score = metric.cvss_data.base_score;
            if !(0.0..=10.0).contains(&score) {
                continue;
            }
            let severity = metric
                .cvss_data
                .base_severity
                .as_deref()
                .or(metric.base_severity.as_deref())
                .and_then(IntelSeverity::parse)
                .or_else(|| IntelSeverity::of_cvss(score));
            return Some((score, severity));
        }
    }
    None
}

fn entry_of(cve: Cve) -> Result<(IntelEntry, Vec<String>), String> {
    if !is_cve(&cve.id) {
        return Err("not a CVE id".to_owned());
    }
    if cve.vuln_status.as_deref() == Some("Rejected") {
        return Err("rejected by NVD".to_owned());
    }
    let published = parse_time(&cve.published)
        .ok_or_else(|| format!("unreadable published time {:?}", cve.published))?;
    let description = cve
        .descriptions
        .iter()
        .find(|d| d.lang == "en")
        .or_else(|| cve.descriptions.first())
        .map(|d| d.value.clone())
        .unwrap_or_default();
    let (score, severity) = match cvss(&cve.metrics) {
        Some((score, severity)) => (Some(score), severity),
        None => (None, None),
    };
    let weaknesses: Vec<String> = cve
        .weaknesses
        .iter()
        .flat_map(|w| w.description.iter())
        .map(|d| d.value.trim().to_owned())
        .filter(|v| v.starts_with("CWE-"))
        .collect();
    let title = cve
        .cisa_vulnerability_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| cve.id.clone());
    let entry = IntelEntry {
        source: IntelSource::Nvd,
        feed: "NVD".to_owned(),
        url: format!("https://nvd.nist.gov/vuln/detail/{}", cve.id),
        title: bounded(&title, 300),
        techniques: scan(&description).techniques,
        summary: bounded(&description, MAX_SUMMARY_CHARS),
        published_at: published,
        severity,
        cvss: score,
        cves: vec![cve.id.clone()],
        known_exploited: cve.cisa_exploit_add.is_some(),
    };
    Ok((entry, weaknesses))
}

/// The CVEs of one NVD API answer or JSON 2.0 file. One malformed CVE is skipped with its
/// reason.
///
/// # Errors
/// Why the file yields nothing: not UTF-8, not JSON, no `vulnerabilities` array.
pub fn parse_nvd_file(file: &FeedFile) -> Result<NvdBatch, String> {
    let answer: Answer = serde_json::from_str(utf8(&file.bytes)?)
        .map_err(|e| format!("not an NVD CVE 2.0 answer: {e}"))?;
    let mut batch = NvdBatch {
        page: match (
            answer.start_index,
            answer.results_per_page,
            answer.total_results,
        ) {
            (Some(start_index), Some(results_per_page), Some(total_results)) => Some(NvdPage {
                start_index,
                results_per_page,
                total_results,
            }),
            _ => None,
        },
        ..NvdBatch::default()
    };
    for (index, item) in answer.vulnerabilities.into_iter().enumerate() {
        let Some(cve) = item.get("cve").cloned() else {
            batch
                .skipped
                .push((format!("{}#{index}", file.path), "no cve object".to_owned()));
            continue;
        };
        let id = cve
            .get("id")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("?")
            .to_owned();
        match serde_json::from_value::<Cve>(cve).map_err(|e| e.to_string()) {
            Ok(cve) => match entry_of(cve) {
                Ok((entry, weaknesses)) => {
                    batch.weaknesses.push((id, weaknesses));
                    batch.entries.push(entry);
                }
                Err(reason) => batch.skipped.push((id, reason)),
            },
            Err(reason) => batch.skipped.push((id, reason)),
        }
    }
    Ok(batch)
}

#[cfg(test)]
#[expect(
    clippy::expect_used,
    reason = "a test fails loudly on what it did not expect"
)]
mod tests {
    use super::*;

    fn file(text: &str) -> FeedFile {
        FeedFile {
            path: "nvd.json".to_owned(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn a_cve_becomes_an_item_with_its_score_and_kev_flag() {
        let batch = parse_nvd_file(&file(include_str!(
            "../../../tests/fixtures/osint/nvd-cves.json"
        )))
        .expect("parsed");
        assert_eq!(batch.entries.len(), 2, "{:?}", batch.skipped);
        let log4j = &batch.entries[0];
        assert_eq!(log4j.cves, ["CVE-2021-44228"]);
        assert_eq!(log4j.url, "https://nvd.nist.gov/vuln/detail/CVE-2021-44228");
        assert_eq!(log4j.cvss, Some(10.0));
        assert_eq!(log4j.severity, Some(IntelSeverity::Critical));
        assert!(log4j.known_exploited);
        assert_eq!(
            log4j.title,
            "Apache Log4j2 Remote Code Execution Vulnerability"
        );
        assert_eq!(log4j.techniques, ["T1190"]);
        assert_eq!(batch.weaknesses[0].1, ["CWE-502", "CWE-400", "CWE-20"]);
        let other = &batch.entries[1];
        assert!(!other.known_exploited);
        assert_eq!(other.severity, Some(IntelSeverity::Medium));
        assert_eq!(batch.skipped.len(), 2);
        assert_eq!(
            batch.page.and_then(|p| p.next_start()),
            None,
            "one page holds all"
        );
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        assert!(parse_nvd_file(&file("{")).is_err());
        assert!(parse_nvd_file(&file("[]")).is_err());
        let page = NvdPage {
            start_index: 0,
            results_per_page: 2000,
            total_results: 4500,
        };
        assert_eq!(page.next_start(), Some(2000));
    }
}
