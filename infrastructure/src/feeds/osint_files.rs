//! The intelligence feeds: NVD (the CVE API 2.0, paged, with an optional API key; or its JSON
//! files), CISA's KEV catalog, the CTID KEV→ATT&CK mapping (a file or its URL) and news (a
//! space-separated list of RSS or Atom URLs, or uploaded feed files). Downloads and files are
//! bounded; one unreadable file or feed is skipped with its reason.

use std::time::Duration;

use aegis_application::catalog::FeedError;
use aegis_application::osint::{OsintBatch, OsintFeed};

use super::collection::{CollectionLimits, FeedFile};
use super::rule_files::Location;

/// The NVD API's largest page.
const NVD_PAGE: u64 = 2000;
/// At most this many NVD pages per sync (400,000 CVEs: every CVE there is).
const NVD_MAX_PAGES: u64 = 200;
/// NVD asks clients without a key to stay under 5 requests in 30 s, with one under 50.
const NVD_DELAY_WITHOUT_KEY: Duration = Duration::from_secs(6);
const NVD_DELAY_WITH_KEY: Duration = Duration::from_millis(600);
/// One NVD page or file: NVD's yearly JSON files run to a few hundred megabytes.
const NVD_MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;
/// At most this many news feeds per sync.
const MAX_NEWS_FEEDS: usize = 50;

/// Which intelligence feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OsintKind {
    Nvd,
    Kev,
    KevAttack,
    News,
}

/// An intelligence feed at a location.
#[derive(Debug, Clone)]
pub struct OsintFiles {
    kind: OsintKind,
    location: Location,
    /// Pause between NVD pages; `None` follows NVD's published rate limits.
    page_delay: Option<Duration>,
}

impl OsintFiles {
    pub fn at(kind: OsintKind, location: Location) -> Self {
        Self {
            kind,
            location,
            page_delay: None,
        }
    }

    /// Pages without pausing (a local test server has no rate limit).
    #[must_use]
    pub fn without_rate_limit(mut self) -> Self {
        self.page_delay = Some(Duration::ZERO);
        self
    }

    fn wanted(kind: OsintKind) -> fn(&str) -> bool {
        match kind {
            OsintKind::News => |p: &str| {
                let p = p.to_ascii_lowercase();
                p.ends_with(".xml") || p.ends_with(".rss") || p.ends_with(".atom")
            },
            _ => |p: &str| p.to_ascii_lowercase().ends_with(".json"),
        }
    }

    fn limits(kind: OsintKind) -> CollectionLimits {
        match kind {
            OsintKind::Nvd => CollectionLimits {
                max_file_bytes: NVD_MAX_FILE_BYTES,
                ..CollectionLimits::default()
            },
            _ => CollectionLimits {
                max_file_bytes: 64 * 1024 * 1024,
                ..CollectionLimits::default()
            },
        }
    }
}

/// Parses the files of one kind into a batch.
pub fn parse_files(kind: OsintKind, files: &[FeedFile], batch: &mut OsintBatch) {
    for file in files {
        let path = file.path.clone();
        match kind {
            OsintKind::Nvd => match super::nvd::parse_nvd_file(file) {
                Ok(nvd) => {
                    batch.entries.extend(nvd.entries);
                    batch.skipped.extend(nvd.skipped);
                }
                Err(reason) => batch.skipped.push((path, reason)),
            },
            OsintKind::Kev => match super::kev::parse_kev_catalog(file) {
                Ok(kev) => {
                    batch.entries.extend(kev.entries);
                    batch.skipped.extend(kev.skipped);
                }
                Err(reason) => batch.skipped.push((path, reason)),
            },
            OsintKind::KevAttack => match super::kev_attack::parse_kev_attack_file(file) {
                Ok((links, skipped)) => {
                    batch.mapping.get_or_insert_with(Vec::new).extend(links);
                    batch.skipped.extend(skipped);
                }
                Err(reason) => batch.skipped.push((path, reason)),
            },
            OsintKind::News => match super::news::parse_news_feed(file) {
                Ok(news) => {
                    batch.entries.extend(news.entries);
                    batch.skipped.extend(news.skipped);
                }
                Err(reason) => batch.skipped.push((path, reason)),
            },
        }
    }
}

/// `url` with `startIndex` and `resultsPerPage` set for one page.
fn nvd_page_url(url: &str, start: u64) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}resultsPerPage={NVD_PAGE}&startIndex={start}")
}

async fn nvd_pages(
    url: &str,
    key: Option<&str>,
    delay: Option<Duration>,
) -> Result<OsintBatch, FeedError> {
    let client = super::remote::client()?;
    let delay = delay.unwrap_or(if key.is_some() {
        NVD_DELAY_WITH_KEY
    } else {
        NVD_DELAY_WITHOUT_KEY
    });
    let mut batch = OsintBatch::default();
    let mut start = 0;
    for page in 0..NVD_MAX_PAGES {
        if page > 0 && !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let page_url = nvd_page_url(url, start);
        let mut request = client
            .get(&page_url)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(key) = key {
            // NVD takes its key in the `apiKey` header.
            request = request.header("apiKey", key);
        }
        let response = request
            .send()
            .await
            .map_err(|e| FeedError(format!("{url}: {e}")))?;
        if !response.status().is_success() {
            return Err(FeedError(format!("{url} answered {}", response.status())));
        }
        let body = super::remote::bounded_body(response).await?;
        let parsed = super::nvd::parse_nvd_file(&FeedFile {
            path: page_url,
            bytes: body,
        })
        .map_err(FeedError)?;
        batch.entries.extend(parsed.entries);
        batch.skipped.extend(parsed.skipped);
        match parsed.page.and_then(|p| p.next_start()) {
            Some(next) if next > start => start = next,
            _ => return Ok(batch),
        }
    }
    Ok(batch)
}

async fn news_feeds(urls: &str, token: Option<&str>) -> Result<OsintBatch, FeedError> {
    let client = super::remote::client()?;
    let mut batch = OsintBatch::default();
    let list: Vec<&str> = urls.split_whitespace().take(MAX_NEWS_FEEDS).collect();
    let mut failures = 0;
    for url in &list {
        let body = super::remote::get_with(
            &client,
            url,
            "application/rss+xml, application/atom+xml, application/xml, text/xml",
            token,
        )
        .await;
        match body {
            Ok(bytes) => parse_files(
                OsintKind::News,
                &[FeedFile {
                    path: (*url).to_owned(),
                    bytes,
                }],
                &mut batch,
            ),
            Err(error) => {
                failures += 1;
                batch.skipped.push(((*url).to_owned(), error.0));
            }
        }
    }
    if failures == list.len() {
        return Err(FeedError(format!(
            "none of the {} news feeds could be read",
            list.len()
        )));
    }
    Ok(batch)
}

#[async_trait::async_trait]
impl OsintFeed for OsintFiles {
    fn describe(&self) -> String {
        format!("{:?} intelligence from {}", self.kind, self.location)
    }

    async fn fetch(&self) -> Result<OsintBatch, FeedError> {
        let (url, token) = match &self.location {
            Location::Url(url) => (Some(url.as_str()), None),
            Location::AuthorizedUrl { url, token } => (Some(url.as_str()), Some(token.as_str())),
            Location::Path(_) | Location::Bundle { .. } => (None, None),
        };
        match (self.kind, url) {
            (OsintKind::Nvd, Some(url)) => nvd_pages(url, token, self.page_delay).await,
            (OsintKind::News, Some(urls)) => news_feeds(urls, token).await,
            (kind, _) => {
                super::rule_files::read_location(
                    &self.location,
                    Self::limits(kind),
                    Self::wanted(kind),
                    move |collection| {
                        let mut batch = OsintBatch {
                            skipped: collection.skipped,
                            ..OsintBatch::default()
                        };
                        parse_files(kind, &collection.files, &mut batch);
                        batch
                    },
                )
                .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_urls_keep_the_query() {
        assert_eq!(
            nvd_page_url("https://nvd.example/rest/json/cves/2.0?hasKev", 2000),
            "https://nvd.example/rest/json/cves/2.0?hasKev&resultsPerPage=2000&startIndex=2000"
        );
        assert_eq!(
            nvd_page_url("https://nvd.example/cves", 0),
            "https://nvd.example/cves?resultsPerPage=2000&startIndex=0"
        );
    }
}
