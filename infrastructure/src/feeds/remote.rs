//! ATT&CK from the network: the official bundle over HTTPS, or a TAXII 2.1 collection, with
//! the bundle URL as the fallback when TAXII fails. Downloads are bounded like files are.

use std::time::Duration;

use async_trait::async_trait;

use aegis_application::catalog::{AttackSource, FeedError};
use aegis_domain::catalog::AttackRelease;

use super::attack::parse_bundle;
use super::{MAX_FEED_BYTES, decompress_bounded};

/// The Enterprise ATT&CK bundle of MITRE's attack-stix-data repository (STIX 2.1).
pub const OFFICIAL_BUNDLE_URL: &str = "https://raw.githubusercontent.com/mitre-attack/attack-stix-data/master/enterprise-attack/enterprise-attack.json";

/// The Enterprise collection on MITRE's TAXII 2.1 server.
pub const OFFICIAL_TAXII_OBJECTS_URL: &str = "https://attack-taxii.mitre.org/api/v21/collections/x-mitre-collection--1f5f1533-f617-4ca8-9ab4-6a02367fa019/objects/";

const TAXII_MEDIA_TYPE: &str = "application/taxii+json;version=2.1";

pub(crate) fn client() -> Result<reqwest::Client, FeedError> {
    reqwest::Client::builder()
        .user_agent(concat!("aegis/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(15))
        .timeout(Duration::from_secs(300))
        .build()
        .map_err(|e| FeedError(e.to_string()))
}

/// The body of `response`, refused beyond the feed size limit.
pub(crate) async fn bounded_body(mut response: reqwest::Response) -> Result<Vec<u8>, FeedError> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FeedError(e.to_string()))?
    {
        if body.len() as u64 + chunk.len() as u64 > MAX_FEED_BYTES {
            return Err(FeedError(format!(
                "the download exceeds {MAX_FEED_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

async fn get(client: &reqwest::Client, url: &str, accept: &str) -> Result<Vec<u8>, FeedError> {
    get_with(client, url, accept, None).await
}

pub(crate) async fn get_with(
    client: &reqwest::Client,
    url: &str,
    accept: &str,
    token: Option<&str>,
) -> Result<Vec<u8>, FeedError> {
    let mut request = client.get(url).header(reqwest::header::ACCEPT, accept);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .map_err(|e| FeedError(format!("{url}: {e}")))?;
    if !response.status().is_success() {
        return Err(FeedError(format!("{url} answered {}", response.status())));
    }
    bounded_body(response).await
}

/// Downloads `url` (bounded like a feed file) into `dir`, under the URL's last path segment so
/// that its extension (`.zip`, `.tar.gz`, `.yml`, ...) says how to read it.
///
/// # Errors
/// `FeedError` when the download fails, is refused, or cannot be written.
pub(crate) async fn download_into(
    url: &str,
    token: Option<&str>,
    dir: &std::path::Path,
) -> Result<std::path::PathBuf, FeedError> {
    let body = get_with(&client()?, url, "*/*", token).await?;
    let name = url
        .split(['?', '#'])
        .next()
        .and_then(|path| path.rsplit('/').next())
        .filter(|segment| {
            !segment.is_empty()
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        })
        .unwrap_or("download");
    let path = dir.join(name);
    tokio::fs::write(&path, body)
        .await
        .map_err(|e| FeedError(format!("cannot keep the download: {e}")))?;
    Ok(path)
}

fn parse_release(bytes: Vec<u8>) -> Result<AttackRelease, FeedError> {
    let bytes = decompress_bounded(bytes, MAX_FEED_BYTES).map_err(|e| FeedError(e.to_string()))?;
    parse_bundle(&bytes).map_err(|e| FeedError(e.to_string()))
}

/// A STIX bundle at an HTTP(S) URL (`.json` or gzip).
#[derive(Debug, Clone)]
pub struct UrlAttackSource {
    url: String,
}

impl UrlAttackSource {
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into() }
    }
}

#[async_trait]
impl AttackSource for UrlAttackSource {
    fn describe(&self) -> String {
        self.url.clone()
    }

    async fn fetch(&self) -> Result<AttackRelease, FeedError> {
        let bytes = get(&client()?, &self.url, "application/json").await?;
        tokio::task::spawn_blocking(move || parse_release(bytes))
            .await
            .map_err(|e| FeedError(e.to_string()))?
    }
}

/// A TAXII 2.1 collection's objects endpoint, read page by page; when it fails, the fallback
/// bundle URL is used instead.
#[derive(Debug, Clone)]
pub struct TaxiiAttackSource {
    objects_url: String,
    fallback: Option<UrlAttackSource>,
}

impl TaxiiAttackSource {
    pub fn new(objects_url: impl Into<String>, fallback: Option<UrlAttackSource>) -> Self {
        Self {
            objects_url: objects_url.into(),
            fallback,
        }
    }

    async fn fetch_taxii(&self) -> Result<AttackRelease, FeedError> {
        #[derive(serde::Deserialize)]
        struct Envelope {
            #[serde(default)]
            more: bool,
            next: Option<String>,
            #[serde(default)]
            objects: Vec<Box<serde_json::value::RawValue>>,
        }
        let client = client()?;
        let mut objects = Vec::new();
        let mut next: Option<String> = None;
        // A bound on pages keeps a misbehaving server from looping us forever.
        for _ in 0..1_000 {
            let url = match &next {
                None => self.objects_url.clone(),
                Some(token) => {
                    let mut url = reqwest::Url::parse(&self.objects_url)
                        .map_err(|e| FeedError(e.to_string()))?;
                    url.query_pairs_mut().append_pair("next", token);
                    url.to_string()
                }
            };
            let page = get(&client, &url, TAXII_MEDIA_TYPE).await?;
            let envelope: Envelope = serde_json::from_slice(&page)
                .map_err(|e| FeedError(format!("not a TAXII envelope: {e}")))?;
            objects.extend(envelope.objects);
            match (envelope.more, envelope.next) {
                (true, Some(token)) => next = Some(token),
                _ => {
                    let bundle = serde_json::json!({"type": "bundle", "id": "bundle--taxii", "objects": objects});
                    let bytes =
                        serde_json::to_vec(&bundle).map_err(|e| FeedError(e.to_string()))?;
                    return tokio::task::spawn_blocking(move || parse_release(bytes))
                        .await
                        .map_err(|e| FeedError(e.to_string()))?;
                }
            }
        }
        Err(FeedError(
            "the TAXII server kept paging beyond 1000 pages".to_owned(),
        ))
    }
}

#[async_trait]
impl AttackSource for TaxiiAttackSource {
    fn describe(&self) -> String {
        format!("taxii:{}", self.objects_url)
    }

    async fn fetch(&self) -> Result<AttackRelease, FeedError> {
        match self.fetch_taxii().await {
            Ok(release) => Ok(release),
            Err(error) => match &self.fallback {
                Some(fallback) => {
                    tracing::warn!(%error, fallback = %fallback.describe(), "TAXII failed; using the bundle URL");
                    fallback.fetch().await
                }
                None => Err(error),
            },
        }
    }
}
