//! CISA's Known Exploited Vulnerabilities catalog (JSON): each vulnerability becomes an
//! intelligence item flagged as exploited in the wild, dated by when CISA added it, with its
//! CWE ids; the CTID KEV→ATT&CK mapping (`kev_attack`) gives its techniques.

use chrono::{NaiveDate, Utc};
use serde::Deserialize;

use aegis_domain::osint::{IntelEntry, IntelSource, is_cve, scan};

use super::collection::FeedFile;
use super::nvd::{MAX_SUMMARY_CHARS, bounded};
use super::rule_fields::utf8;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Catalog {
    #[serde(default)]
    catalog_version: Option<String>,
    vulnerabilities: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vulnerability {
    #[serde(rename = "cveID")]
    cve_id: String,
    #[serde(default)]
    vendor_project: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    vulnerability_name: String,
    date_added: String,
    #[serde(default)]
    short_description: String,
    #[serde(default)]
    required_action: String,
    #[serde(default)]
    due_date: Option<String>,
    #[serde(default)]
    known_ransomware_campaign_use: Option<String>,
    #[serde(default)]
    cwes: Vec<String>,
}

/// What the catalog holds.
#[derive(Debug, Default)]
pub struct KevBatch {
    pub version: Option<String>,
    pub entries: Vec<IntelEntry>,
    /// CWE ids per CVE.
    pub weaknesses: Vec<(String, Vec<String>)>,
    pub skipped: Vec<(String, String)>,
}

fn entry_of(v: Vulnerability) -> Result<IntelEntry, String> {
    let cve = v.cve_id.trim().to_ascii_uppercase();
    if !is_cve(&cve) {
        return Err("not a CVE id".to_owned());
    }
    let added = NaiveDate::parse_from_str(v.date_added.trim(), "%Y-%m-%d")
        .map_err(|e| format!("unreadable dateAdded {:?}: {e}", v.date_added))?;
    let mut summary = v.short_description.trim().to_owned();
    if !v.required_action.trim().is_empty() {
        summary.push_str(&format!(" Required action: {}", v.required_action.trim()));
    }
    if let Some(due) = v.due_date.as_deref().filter(|d| !d.trim().is_empty()) {
        summary.push_str(&format!(" Due {}.", due.trim()));
    }
    if v.known_ransomware_campaign_use.as_deref() == Some("Known") {
        summary.push_str(" Known to be used in ransomware campaigns.");
    }
    let title = if v.vulnerability_name.trim().is_empty() {
        format!("{} {} ({cve})", v.vendor_project, v.product)
    } else {
        v.vulnerability_name.clone()
    };
    Ok(IntelEntry {
        source: IntelSource::Kev,
        feed: "CISA KEV".to_owned(),
        url: format!(
            "https://www.cisa.gov/known-exploited-vulnerabilities-catalog?search_api_fulltext={cve}"
        ),
        title: bounded(&title, 300),
        techniques: scan(&summary).techniques,
        summary: bounded(&summary, MAX_SUMMARY_CHARS),
        published_at: added
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc())
            .unwrap_or_else(Utc::now),
        severity: None,
        cvss: None,
        cves: vec![cve],
        known_exploited: true,
    })
}

/// The catalog's vulnerabilities; one malformed entry is skipped with its reason.
///
/// # Errors
/// Why the file yields nothing: not UTF-8, not JSON, no `vulnerabilities` array.
pub fn parse_kev_catalog(file: &FeedFile) -> Result<KevBatch, String> {
    let catalog: Catalog =
        serde_json::from_str(utf8(&file.bytes)?).map_err(|e| format!("not a KEV catalog: {e}"))?;
    let mut batch = KevBatch {
        version: catalog.catalog_version,
        ..KevBatch::default()
    };
    for (index, value) in catalog.vulnerabilities.into_iter().enumerate() {
        let id = value
            .get("cveID")
            .and_then(serde_json::Value::as_str)
            .map_or_else(|| format!("{}#{index}", file.path), str::to_owned);
        match serde_json::from_value::<Vulnerability>(value)
            .map_err(|e| e.to_string())
            .and_then(|v| {
                let cwes = v.cwes.clone();
                entry_of(v).map(|e| (e, cwes))
            }) {
            Ok((entry, cwes)) => {
                batch.weaknesses.push((entry.cves[0].clone(), cwes));
                batch.entries.push(entry);
            }
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

    #[test]
    fn each_vulnerability_is_an_exploited_item() {
        let batch = parse_kev_catalog(&FeedFile {
            path: "known_exploited_vulnerabilities.json".to_owned(),
            bytes: include_bytes!("../../../tests/fixtures/osint/kev-catalog.json").to_vec(),
        })
        .expect("parsed");
        assert_eq!(batch.version.as_deref(), Some("2026.12.01"));
        assert_eq!(batch.entries.len(), 3, "{:?}", batch.skipped);
        let pan = &batch.entries[0];
        assert_eq!(pan.cves, ["CVE-2024-3400"]);
        assert!(pan.known_exploited);
        assert!(pan.summary.contains("Required action: Apply mitigations"));
        assert!(pan.summary.contains("ransomware"));
        assert_eq!(pan.published_at.to_rfc3339(), "2026-11-28T00:00:00+00:00");
        assert_eq!(batch.weaknesses[0].1, ["CWE-77"]);
        assert_eq!(batch.skipped.len(), 1);
        assert!(
            parse_kev_catalog(&FeedFile {
                path: "x.json".into(),
                bytes: b"{\"title\": 1}".to_vec()
            })
            .is_err()
        );
    }
}
