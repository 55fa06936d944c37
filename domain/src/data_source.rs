//! The registry of public content sources: where each feed is fetched from, whether and when
//! it syncs, the credential it needs, and how its last sync went.

use chrono::{DateTime, Utc};

/// The public sources Aegis imports: the nine content feeds and the compliance mappings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FeedKind {
    Attack,
    Atomic,
    Caldera,
    Sigma,
    Elastic,
    D3fend,
    Lolbas,
    Gtfobins,
    Stix,
    Compliance,
    /// NVD CVEs (the CVE API 2.0, or its JSON files).
    Nvd,
    /// CISA's Known Exploited Vulnerabilities catalog.
    Kev,
    /// The CTID mapping of KEV vulnerabilities to ATT&CK.
    KevAttack,
    /// Security news in RSS or Atom (a list of feeds).
    News,
}

impl FeedKind {
    pub const ALL: [Self; 14] = [
        Self::Attack,
        Self::Atomic,
        Self::Caldera,
        Self::Sigma,
        Self::Elastic,
        Self::D3fend,
        Self::Lolbas,
        Self::Gtfobins,
        Self::Stix,
        Self::Compliance,
        Self::Nvd,
        Self::Kev,
        Self::KevAttack,
        Self::News,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Attack => "attack",
            Self::Atomic => "atomic",
            Self::Caldera => "caldera",
            Self::Sigma => "sigma",
            Self::Elastic => "elastic",
            Self::D3fend => "d3fend",
            Self::Lolbas => "lolbas",
            Self::Gtfobins => "gtfobins",
            Self::Stix => "stix",
            Self::Compliance => "compliance",
            Self::Nvd => "nvd",
            Self::Kev => "kev",
            Self::KevAttack => "kev_attack",
            Self::News => "news",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            Self::Attack => "MITRE ATT&CK Enterprise",
            Self::Atomic => "Atomic Red Team",
            Self::Caldera => "CALDERA stockpile abilities",
            Self::Sigma => "Sigma rules",
            Self::Elastic => "Elastic detection rules",
            Self::D3fend => "MITRE D3FEND",
            Self::Lolbas => "LOLBAS",
            Self::Gtfobins => "GTFOBins",
            Self::Stix => "STIX threat intelligence",
            Self::Compliance => "Compliance mappings (CTID Mappings Explorer)",
            Self::Nvd => "NVD CVEs",
            Self::Kev => "CISA Known Exploited Vulnerabilities",
            Self::KevAttack => "KEV to ATT&CK mapping (CTID Mappings Explorer)",
            Self::News => "Security news (RSS and Atom)",
        }
    }

    /// The licence the source's content is published under, recorded with it.
    #[must_use]
    pub const fn licence(self) -> &'static str {
        match self {
            Self::Attack => "ATT&CK Terms of Use",
            Self::Atomic => "MIT",
            Self::Caldera => "Apache-2.0",
            Self::Sigma => "Detection Rule License 1.1 (keep the author attribution)",
            Self::Elastic => "Elastic License 2.0",
            Self::D3fend => "MIT; D3FEND terms of use",
            Self::Lolbas | Self::Gtfobins => "GPL-3.0",
            Self::Stix => "as the publisher states (Unit 42 playbooks: MIT)",
            Self::Compliance => {
                "Apache-2.0 (CTID); CIS Controls: CC BY-NC-ND 4.0, loaded by the user"
            }
            Self::Nvd => "NVD terms of use (public domain data; not endorsed by NVD)",
            Self::Kev => "CC0 1.0 (CISA)",
            Self::KevAttack => "Apache-2.0 (CTID)",
            Self::News => "as each publisher states: headlines and links only",
        }
    }

    /// Where the publisher serves it: an archive or file the importer reads like a local one,
    /// or a GitHub tree listing whose wanted files are fetched one by one.
    #[must_use]
    pub const fn default_url(self) -> &'static str {
        match self {
            Self::Attack => {
                "https://raw.githubusercontent.com/mitre-attack/attack-stix-data/master/enterprise-attack/enterprise-attack.json"
            }
            // The tree listing is one API request; the files come from the raw host.
            Self::Atomic => {
                "https://api.github.com/repos/redcanaryco/atomic-red-team/git/trees/master?recursive=1"
            }
            Self::Caldera => "https://github.com/mitre/stockpile/archive/refs/heads/master.zip",
            Self::Sigma => {
                "https://github.com/SigmaHQ/sigma/releases/latest/download/sigma_all_rules.zip"
            }
            Self::Elastic => {
                "https://github.com/elastic/detection-rules/archive/refs/heads/main.zip"
            }
            Self::D3fend => {
                "https://github.com/d3fend/d3fend-website-next/archive/refs/heads/gh-pages.zip"
            }
            Self::Lolbas => {
                "https://github.com/LOLBAS-Project/LOLBAS/archive/refs/heads/master.zip"
            }
            Self::Gtfobins => {
                "https://github.com/GTFOBins/GTFOBins.github.io/archive/refs/heads/master.zip"
            }
            Self::Stix => {
                "https://github.com/pan-unit42/playbook_viewer/archive/refs/heads/master.zip"
            }
            Self::Compliance => {
                "https://raw.githubusercontent.com/center-for-threat-informed-defense/mappings-explorer/main/mappings/nist_800_53/attack-16.1/nist_800_53-rev5/enterprise/nist_800_53-rev5_attack-16.1-enterprise.json"
            }
            // The CVEs CISA lists as exploited: the ones that matter to risk, a bounded set.
            Self::Nvd => "https://services.nvd.nist.gov/rest/json/cves/2.0?hasKev",
            Self::Kev => {
                "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
            }
            Self::KevAttack => {
                "https://raw.githubusercontent.com/center-for-threat-informed-defense/mappings-explorer/main/mappings/kev/attack-16.1/kev-07.28.2025/enterprise/kev-07.28.2025_attack-16.1-enterprise.json"
            }
            // Space-separated: the original's defaults (CISA, NVD, SANS ISC, BleepingComputer,
            // The Hacker News, Krebs on Security).
            Self::News => {
                "https://www.cisa.gov/cybersecurity-advisories/all.xml https://nvd.nist.gov/feeds/xml/cve/misc/nvd-rss.xml https://isc.sans.edu/rssfeed_full.xml https://www.bleepingcomputer.com/feed/ https://feeds.feedburner.com/TheHackersNews https://krebsonsecurity.com/feed/"
            }
        }
    }
}

/// How a source's last sync went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncStatus {
    Never,
    Running,
    Succeeded,
    Failed,
}

impl SyncStatus {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Never => "never",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Never, Self::Running, Self::Succeeded, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// What a sync changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SyncCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub skipped: u64,
}

/// One source in the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSource {
    pub kind: FeedKind,
    pub url: String,
    /// Disabled sources are neither scheduled nor synced on request.
    pub enabled: bool,
    /// A 6-field cron expression (UTC); `None` syncs only on request or by upload.
    pub schedule: Option<String>,
    /// The credential (e.g. a GitHub token) encrypted at rest; never shown.
    pub credential: Option<Vec<u8>>,
    pub status: SyncStatus,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_counts: Option<SyncCounts>,
    pub last_error: Option<String>,
    /// Set by "sync now" until the sync job takes it.
    pub sync_requested_at: Option<DateTime<Utc>>,
}

impl DataSource {
    /// The registry entry of a source nobody has configured.
    #[must_use]
    pub fn default_for(kind: FeedKind) -> Self {
        Self {
            kind,
            url: kind.default_url().to_owned(),
            enabled: true,
            schedule: None,
            credential: None,
            status: SyncStatus::Never,
            last_sync_at: None,
            last_counts: None,
            last_error: None,
            sync_requested_at: None,
        }
    }
}
