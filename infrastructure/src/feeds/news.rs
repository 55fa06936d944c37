//! Security news in RSS and Atom (read with `feed-rs`): each entry becomes an intelligence
//! item when its title or summary names an ATT&CK technique or a CVE (the rest of the news is
//! not a signal and is left out), with its link as the URL.

use aegis_domain::osint::{IntelEntry, IntelSource, scan};

use super::collection::FeedFile;
use super::nvd::{MAX_SUMMARY_CHARS, bounded};

/// The publishers read when no other list is configured (the original's defaults).
pub const DEFAULT_FEEDS: [&str; 6] = [
    "https://www.cisa.gov/cybersecurity-advisories/all.xml",
    "https://nvd.nist.gov/feeds/xml/cve/misc/nvd-rss.xml",
    "https://isc.sans.edu/rssfeed_full.xml",
    "https://www.bleepingcomputer.com/feed/",
    "https://feeds.feedburner.com/TheHackersNews",
    "https://krebsonsecurity.com/feed/",
];

/// What one feed document holds.
#[derive(Debug, Default)]
pub struct NewsBatch {
    /// The feed's own title.
    pub title: Option<String>,
    pub entries: Vec<IntelEntry>,
    /// Entries that name no technique or CVE.
    pub not_signals: usize,
    pub skipped: Vec<(String, String)>,
}

/// Markup out, entities of the common kind decoded, spaces collapsed: summaries are HTML.
fn plain(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The entries of one RSS or Atom document that name a technique or a CVE.
///
/// # Errors
/// Why the document yields nothing: not a feed `feed-rs` can read.
pub fn parse_news_feed(file: &FeedFile) -> Result<NewsBatch, String> {
    let feed = feed_rs::parser::parse(file.bytes.as_slice())
        .map_err(|e| format!("not an RSS or Atom feed: {e}"))?;
    let title = feed
        .title
        .map(|t| plain(&t.content))
        .filter(|t| !t.is_empty());
    let name = title.clone().unwrap_or_else(|| file.path.clone());
    let mut batch = NewsBatch {
        title,
        ..NewsBatch::default()
    };
    for entry in feed.entries {
        let url = entry
            .links
            .iter()
            .map(|l| l.href.trim())
            .find(|h| h.starts_with("https://") || h.starts_with("http://"))
            .or_else(|| {
                let id = entry.id.trim();
                (id.starts_with("https://") || id.starts_with("http://")).then_some(id)
            })
            .map(str::to_owned);
        let heading = entry.title.as_ref().map(|t| plain(&t.content));
        let label = heading.clone().unwrap_or_else(|| entry.id.clone());
        let Some(url) = url.filter(|u| u.len() <= 2000) else {
            batch.skipped.push((label, "no link".to_owned()));
            continue;
        };
        let Some(published) = entry.published.or(entry.updated) else {
            batch.skipped.push((url, "no date".to_owned()));
            continue;
        };
        let body = entry
            .summary
            .as_ref()
            .map(|s| plain(&s.content))
            .or_else(|| {
                entry
                    .content
                    .as_ref()
                    .and_then(|c| c.body.as_deref())
                    .map(plain)
            })
            .unwrap_or_default();
        let heading = heading.unwrap_or_else(|| url.clone());
        let mentions = scan(&format!("{heading}\n{body}"));
        if mentions.techniques.is_empty() && mentions.cves.is_empty() {
            batch.not_signals += 1;
            continue;
        }
        batch.entries.push(IntelEntry {
            source: IntelSource::News,
            feed: bounded(&name, 120),
            url,
            title: bounded(&heading, 300),
            summary: bounded(&body, MAX_SUMMARY_CHARS),
            published_at: published,
            severity: None,
            cvss: None,
            cves: mentions.cves,
            known_exploited: false,
            techniques: mentions.techniques,
        });
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

    fn file(name: &str, bytes: &[u8]) -> FeedFile {
        FeedFile {
            path: name.to_owned(),
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn rss_entries_naming_techniques_or_cves_become_items() {
        let batch = parse_news_feed(&file(
            "news.rss",
            include_bytes!("../../../tests/fixtures/osint/news.rss"),
        ))
        .expect("parsed");
        assert_eq!(batch.title.as_deref(), Some("Example Security News"));
        assert_eq!(batch.entries.len(), 2, "{:?}", batch.skipped);
        assert_eq!(batch.not_signals, 1);
        let first = &batch.entries[0];
        assert_eq!(
            first.url,
            "https://news.example.test/2026/11/pan-os-exploited"
        );
        assert_eq!(first.cves, ["CVE-2024-3400"]);
        assert_eq!(first.techniques, ["T1059.004", "T1190"]);
        assert_eq!(first.feed, "Example Security News");
        assert!(!first.summary.contains('<'));
        assert_eq!(batch.skipped.len(), 1);
    }

    #[test]
    fn atom_entries_are_read_too() {
        let batch = parse_news_feed(&file(
            "news.atom",
            include_bytes!("../../../tests/fixtures/osint/news.atom"),
        ))
        .expect("parsed");
        assert_eq!(batch.entries.len(), 1);
        assert_eq!(batch.entries[0].techniques, ["T1003.001"]);
        assert_eq!(
            batch.entries[0].published_at.to_rfc3339(),
            "2026-11-30T09:30:00+00:00"
        );
        assert!(parse_news_feed(&file("x.rss", b"<html>no</html>")).is_err());
    }
}
