//! Intelligence items: what public sources (NVD, CISA's Known Exploited Vulnerabilities
//! catalog, security news feeds) published, tied to the ATT&CK techniques it concerns, either
//! named in the text or reached through the CTID mapping of KEV vulnerabilities to ATT&CK.
//! Each item mentioning a technique is a signal in that technique's risk.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

/// How bad a vulnerability is, from its CVSS base score (v3 qualitative ratings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IntelSeverity {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl IntelSeverity {
    /// Most severe first.
    pub const ALL: [Self; 5] = [
        Self::Critical,
        Self::High,
        Self::Medium,
        Self::Low,
        Self::None,
    ];

    /// CVSS v3.x: 0 none, 0.1–3.9 low, 4.0–6.9 medium, 7.0–8.9 high, 9.0–10.0 critical.
    pub fn of_cvss(score: f64) -> Option<Self> {
        if !score.is_finite() || !(0.0..=10.0).contains(&score) {
            return None;
        }
        Some(if score >= 9.0 {
            Self::Critical
        } else if score >= 7.0 {
            Self::High
        } else if score >= 4.0 {
            Self::Medium
        } else if score > 0.0 {
            Self::Low
        } else {
            Self::None
        })
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
            Self::None => "none",
        }
    }

    /// Also reads NVD's upper-case `baseSeverity`.
    pub fn parse(text: &str) -> Option<Self> {
        let lower = text.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|s| s.as_str() == lower)
    }
}

/// Where an item comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IntelSource {
    /// The NVD CVE API 2.0 (or its JSON files).
    Nvd,
    /// CISA's Known Exploited Vulnerabilities catalog.
    Kev,
    /// An RSS or Atom news feed.
    News,
}

impl IntelSource {
    pub const ALL: [Self; 3] = [Self::Nvd, Self::Kev, Self::News];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Nvd => "nvd",
            Self::Kev => "kev",
            Self::News => "news",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// An item as a feed gives it, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct IntelEntry {
    pub source: IntelSource,
    /// The feed's name for people (`NVD`, `CISA KEV`, `SANS ISC`...).
    pub feed: String,
    /// The item's address: it identifies the item (one item per URL).
    pub url: String,
    pub title: String,
    pub summary: String,
    pub published_at: DateTime<Utc>,
    pub severity: Option<IntelSeverity>,
    pub cvss: Option<f64>,
    /// CVE ids it concerns, upper case, sorted, distinct.
    pub cves: Vec<String>,
    /// Whether CISA lists one of its CVEs as exploited in the wild.
    pub known_exploited: bool,
    /// ATT&CK ids it names, sorted, distinct.
    pub techniques: Vec<String>,
}

/// A stored item.
#[derive(Debug, Clone, PartialEq)]
pub struct IntelItem {
    pub id: uuid::Uuid,
    pub entry: IntelEntry,
    pub imported_at: DateTime<Utc>,
    /// The organization's review, when it reviewed the item.
    pub reviewed: Option<Review>,
}

/// An organization's acknowledgement of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Review {
    pub reviewed_by: crate::user::UserId,
    pub reviewed_at: DateTime<Utc>,
}

/// One link of the CTID KEV→ATT&CK mapping.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KevTechnique {
    pub cve: String,
    pub technique: String,
    /// `exploitation_technique`, `primary_impact`, `secondary_impact` or `uncategorized`.
    pub mapping_type: String,
}

/// The techniques each CVE leads to through the KEV mapping.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KevMapping {
    by_cve: HashMap<String, BTreeSet<String>>,
}

impl KevMapping {
    pub fn new(links: impl IntoIterator<Item = KevTechnique>) -> Self {
        let mut by_cve: HashMap<String, BTreeSet<String>> = HashMap::new();
        for link in links {
            by_cve.entry(link.cve).or_default().insert(link.technique);
        }
        Self { by_cve }
    }

    /// The techniques the CVEs lead to, sorted and distinct.
    pub fn techniques_of<'a>(&self, cves: impl IntoIterator<Item = &'a String>) -> Vec<String> {
        let mut found = BTreeSet::new();
        for cve in cves {
            if let Some(techniques) = self.by_cve.get(cve) {
                found.extend(techniques.iter().cloned());
            }
        }
        found.into_iter().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.by_cve.is_empty()
    }
}

impl IntelEntry {
    /// Adds the techniques its CVEs lead to through `mapping`.
    pub fn link(&mut self, mapping: &KevMapping) {
        let mut all: BTreeSet<String> = self.techniques.drain(..).collect();
        all.extend(mapping.techniques_of(&self.cves));
        self.techniques = all.into_iter().collect();
    }
}

/// The ATT&CK technique ids and CVE ids a text names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mentions {
    /// `T1059`, `T1059.001`: sorted, distinct.
    pub techniques: Vec<String>,
    /// `CVE-2024-3400`: upper case, sorted, distinct.
    pub cves: Vec<String>,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn digits(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count()
}

/// Finds ATT&CK technique ids (`T` + 4 digits, optionally `.` + 3 digits) and CVE ids
/// (`CVE-` + 4 digits + `-` + 4 to 7 digits, any case) standing as words in `text`.
pub fn scan(text: &str) -> Mentions {
    let bytes = text.as_bytes();
    let mut techniques = BTreeSet::new();
    let mut cves = BTreeSet::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !is_word_byte(bytes[i - 1]);
        if !starts_word {
            i += 1;
            continue;
        }
        if bytes[i] == b'T' {
            let main = digits(bytes, i + 1);
            if main == 4 {
                let mut end = i + 5;
                if end + 4 <= bytes.len() && bytes[end] == b'.' && digits(bytes, end + 1) == 3 {
                    end += 4;
                }
                // `T1059.01` is no id; `T1059.` ends a sentence.
                let malformed_sub = end < bytes.len()
                    && bytes[end] == b'.'
                    && bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
                if !malformed_sub && (end == bytes.len() || !is_word_byte(bytes[end])) {
                    techniques.insert(text[i..end].to_owned());
                    i = end;
                    continue;
                }
            }
        }
        if bytes.len() >= i + 4 && bytes[i..i + 4].eq_ignore_ascii_case(b"CVE-") {
            let year = digits(bytes, i + 4);
            let dash = i + 4 + year;
            if year == 4 && dash < bytes.len() && bytes[dash] == b'-' {
                let number = digits(bytes, dash + 1);
                let end = dash + 1 + number;
                if (4..=7).contains(&number) && (end == bytes.len() || !is_word_byte(bytes[end])) {
                    cves.insert(text[i..end].to_ascii_uppercase());
                    i = end;
                    continue;
                }
            }
        }
        i += 1;
    }
    Mentions {
        techniques: techniques.into_iter().collect(),
        cves: cves.into_iter().collect(),
    }
}

/// Whether `text` is a CVE id (`CVE-2024-3400`, upper case).
pub fn is_cve(text: &str) -> bool {
    scan(text).cves.first().is_some_and(|c| c == text)
}

/// Filters of the item list; `None` means any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IntelFilter {
    pub source: Option<IntelSource>,
    pub severity: Option<IntelSeverity>,
    /// Items naming this technique id (as named).
    pub technique: Option<String>,
    /// Reviewed by the organization (true) or not yet (false).
    pub reviewed: Option<bool>,
    pub known_exploited: Option<bool>,
    /// Case-insensitive text in the title, summary or CVE ids.
    pub text: Option<String>,
    pub published_from: Option<DateTime<Utc>>,
}

/// What the organization's intelligence looks like.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IntelSummary {
    pub items: u64,
    pub unreviewed: u64,
    pub known_exploited: u64,
    /// Items published in the risk window (last 30 days).
    pub recent: u64,
    pub by_source: Vec<(IntelSource, u64)>,
    pub by_severity: Vec<(IntelSeverity, u64)>,
    /// The techniques most named in the window, most first (at most 10).
    pub top_techniques: Vec<(String, u64)>,
    pub last_published_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
#[expect(
    clippy::expect_used,
    reason = "a test fails loudly on what it did not expect"
)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_text_names_techniques_and_cves_as_words() {
        let found = scan(
            "Attackers chained cve-2024-3400 (T1190) with T1059.001 and T1003; \
             not XT1234, T12345, CVE-2024-12, T1059.01 or ACVE-2023-1234.",
        );
        assert_eq!(found.techniques, ["T1003", "T1059.001", "T1190"]);
        assert_eq!(found.cves, ["CVE-2024-3400"]);
        assert!(is_cve("CVE-2021-44228"));
        assert!(!is_cve("CVE-2021-44228x"));
    }

    #[test]
    fn severity_follows_cvss_ratings() {
        assert_eq!(IntelSeverity::of_cvss(9.8), Some(IntelSeverity::Critical));
        assert_eq!(IntelSeverity::of_cvss(7.0), Some(IntelSeverity::High));
        assert_eq!(IntelSeverity::of_cvss(6.9), Some(IntelSeverity::Medium));
        assert_eq!(IntelSeverity::of_cvss(0.1), Some(IntelSeverity::Low));
        assert_eq!(IntelSeverity::of_cvss(0.0), Some(IntelSeverity::None));
        assert_eq!(IntelSeverity::of_cvss(11.0), None);
        assert_eq!(
            IntelSeverity::parse("CRITICAL"),
            Some(IntelSeverity::Critical)
        );
    }

    #[test]
    fn the_kev_mapping_links_an_entry_to_its_techniques() {
        let mapping = KevMapping::new([
            KevTechnique {
                cve: "CVE-2024-3400".into(),
                technique: "T1190".into(),
                mapping_type: "exploitation_technique".into(),
            },
            KevTechnique {
                cve: "CVE-2024-3400".into(),
                technique: "T1059".into(),
                mapping_type: "primary_impact".into(),
            },
        ]);
        let mut entry = IntelEntry {
            source: IntelSource::Kev,
            feed: "CISA KEV".into(),
            url: "https://nvd.nist.gov/vuln/detail/CVE-2024-3400".into(),
            title: "PAN-OS".into(),
            summary: String::new(),
            published_at: DateTime::from_timestamp(0, 0).expect("epoch"),
            severity: None,
            cvss: None,
            cves: vec!["CVE-2024-3400".into()],
            known_exploited: true,
            techniques: vec!["T1190".into(), "T1505.003".into()],
        };
        entry.link(&mapping);
        assert_eq!(entry.techniques, ["T1059", "T1190", "T1505.003"]);
    }

    proptest! {
        #[test]
        fn scanning_never_panics_and_finds_only_well_formed_ids(text in "\\PC{0,200}") {
            let found = scan(&text);
            for id in &found.techniques {
                prop_assert!(crate::catalog::TechniqueId::parse(id).is_ok(), "{}", id);
            }
            for cve in &found.cves {
                prop_assert!(cve.starts_with("CVE-"));
            }
        }

        #[test]
        fn an_id_in_any_sentence_is_found(n in 1000u32..9999, sub in proptest::option::of(0u32..999), prefix in "[ a-z,.(]{0,10}") {
            let id = match sub { Some(s) => format!("T{n}.{s:03}"), None => format!("T{n}") };
            let found = scan(&format!("{prefix} {id} was seen"));
            prop_assert_eq!(found.techniques, vec![id]);
        }
    }
}
