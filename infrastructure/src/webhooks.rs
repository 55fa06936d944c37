//! Sending webhook deliveries: Standard Webhooks signatures, and the SSRF rules applied where
//! they cannot be dodged, at connection time.
//!
//! Every name is resolved by our own [`reqwest::dns::Resolve`], which drops the addresses the
//! tenant's allow-list does not permit (`aegis_domain::webhook::AllowList::judge`) and fails
//! when none is left; so a name that resolved to a public address when the webhook was saved
//! and to an internal one now (DNS rebinding) is refused. A URL whose host is an address
//! literal never reaches a resolver, so it is judged before the request. Proxies from the
//! environment are ignored (a proxy would resolve the name itself), redirects are not
//! followed, the answer is read up to 64 KiB, and connecting and the whole request time out.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use sha2::Sha256;

use aegis_application::webhooks::{
    OutgoingDelivery, SECRET_PREFIX, SendOutcome, WebhookSecrets, WebhookTransport,
};
use aegis_domain::webhook::{AllowList, TargetRefusal};

use crate::credentials::SealedCredentials;

/// How much of an answer is read: enough to see it is there, never a flood.
const RESPONSE_LIMIT: usize = 64 * 1024;

/// Timeouts of the webhook client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookClientSettings {
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
}

impl Default for WebhookClientSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(10),
        }
    }
}

/// The HTTP transport of webhooks.
#[derive(Debug, Clone, Default)]
pub struct HttpWebhookTransport {
    settings: WebhookClientSettings,
}

impl HttpWebhookTransport {
    #[must_use]
    pub fn new(settings: WebhookClientSettings) -> Self {
        Self { settings }
    }

    fn client(&self, allow: &AllowList) -> Result<reqwest::Client, reqwest::Error> {
        guarded_client(
            allow,
            self.settings.connect_timeout,
            self.settings.total_timeout,
            concat!("Aegis-Webhooks/", env!("CARGO_PKG_VERSION")),
        )
    }
}

/// A client for addresses an organization configures (webhooks, Jira, SIEMs): every name
/// resolved through the SSRF rules at connection time, no proxy, no redirects, bounded in time.
pub(crate) fn guarded_client(
    allow: &AllowList,
    connect_timeout: std::time::Duration,
    total_timeout: std::time::Duration,
    user_agent: &'static str,
) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver {
            allow: allow.clone(),
        }))
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect_timeout)
        .timeout(total_timeout)
        .user_agent(user_agent)
        .build()
}

/// The URL parsed, with its host as text and, when it is an address literal, the address.
pub(crate) struct Target {
    pub(crate) url: reqwest::Url,
    host: String,
    literal: Option<IpAddr>,
}

pub(crate) fn parse_target(url: &str) -> Result<Target, TargetRefusal> {
    let url = reqwest::Url::parse(url).map_err(|_| TargetRefusal::NotHttp)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(TargetRefusal::NotHttp);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetRefusal::Credentials);
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or(TargetRefusal::NotHttp)?
        .to_owned();
    let literal = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok();
    Ok(Target { url, host, literal })
}

/// Judges an address literal, which no resolver sees.
pub(crate) fn judge_literal(target: &Target, allow: &AllowList) -> Result<(), TargetRefusal> {
    match target.literal {
        Some(address) => match allow.judge(&target.host, address) {
            Some(class) => Err(TargetRefusal::Address { address, class }),
            None => Ok(()),
        },
        None => Ok(()),
    }
}

/// Resolves `host` and keeps the addresses the allow-list permits.
///
/// # Errors
/// `Unresolvable` when the name has no address, `ResolvesInternal` when none is allowed.
pub(crate) async fn allowed_addresses(
    host: &str,
    allow: &AllowList,
) -> Result<Vec<IpAddr>, TargetRefusal> {
    let resolved: Vec<IpAddr> = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|_| TargetRefusal::Unresolvable(host.to_owned()))?
        .map(|address| address.ip())
        .collect();
    if resolved.is_empty() {
        return Err(TargetRefusal::Unresolvable(host.to_owned()));
    }
    let allowed: Vec<IpAddr> = resolved
        .iter()
        .copied()
        .filter(|ip| allow.judge(host, *ip).is_none())
        .collect();
    if allowed.is_empty() {
        let addresses = resolved
            .iter()
            .map(|ip| {
                let class = allow.judge(host, *ip).map_or("allowed", |c| c.as_str());
                format!("{ip} ({class})")
            })
            .collect::<Vec<_>>()
            .join(", ");
        return Err(TargetRefusal::ResolvesInternal {
            host: host.to_owned(),
            addresses,
        });
    }
    Ok(allowed)
}

/// The resolver every webhook connection goes through.
pub(crate) struct GuardedResolver {
    pub(crate) allow: AllowList,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let allowed = allowed_addresses(&host, &allow).await.map_err(
                |refusal| -> Box<dyn std::error::Error + Send + Sync> { Box::new(refusal) },
            )?;
            // Port 0: the connector puts the URL's port in.
            let addrs: Addrs = Box::new(
                allowed
                    .into_iter()
                    .map(|ip| SocketAddr::new(ip, 0))
                    .collect::<Vec<_>>()
                    .into_iter(),
            );
            Ok(addrs)
        })
    }
}

/// The Standard Webhooks signature header value: `v1,` and the base64 HMAC-SHA256 of
/// `id.timestamp.body` under the secret's key.
///
/// # Errors
/// A message when the secret is not `whsec_` and base64.
pub fn signature(
    secret: &str,
    message_id: &str,
    timestamp: i64,
    body: &str,
) -> Result<String, String> {
    let key = secret
        .strip_prefix(SECRET_PREFIX)
        .and_then(|b64| STANDARD.decode(b64).ok())
        .ok_or("the webhook secret is not a whsec_ base64 secret")?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&key).map_err(|_| "the webhook secret is unusable")?;
    mac.update(message_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The cause chain of a request error, so the log says "connection refused" or the SSRF
/// refusal rather than only "error sending request".
pub(crate) fn chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[async_trait]
impl WebhookTransport for HttpWebhookTransport {
    async fn check_target(&self, url: &str, allow: &AllowList) -> Result<(), TargetRefusal> {
        let target = parse_target(url)?;
        if target.literal.is_some() {
            return judge_literal(&target, allow);
        }
        allowed_addresses(&target.host, allow).await.map(|_| ())
    }

    async fn send(&self, delivery: OutgoingDelivery) -> SendOutcome {
        let started = Instant::now();
        let failed = |error: String, code: Option<u16>| SendOutcome {
            succeeded: false,
            response_code: code,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            error: Some(error),
        };
        let target = match parse_target(&delivery.url) {
            Ok(target) => target,
            Err(refusal) => return failed(format!("refused: {refusal}"), None),
        };
        if let Err(refusal) = judge_literal(&target, &delivery.allow) {
            return failed(format!("refused: {refusal}"), None);
        }
        let signature = match signature(
            &delivery.secret,
            &delivery.message_id,
            delivery.timestamp,
            &delivery.body,
        ) {
            Ok(signature) => signature,
            Err(error) => return failed(error, None),
        };
        let client = match self.client(&delivery.allow) {
            Ok(client) => client,
            Err(error) => return failed(chain(&error), None),
        };
        let response = client
            .post(target.url)
            .header("content-type", "application/json")
            .header("webhook-id", &delivery.message_id)
            .header("webhook-timestamp", delivery.timestamp.to_string())
            .header("webhook-signature", signature)
            .body(delivery.body)
            .send()
            .await;
        let mut response = match response {
            Ok(response) => response,
            Err(error) => return failed(chain(&error), None),
        };
        let status = response.status();
        // Read (and drop) at most the limit, so the connection ends cleanly for small
        // answers and a receiver cannot make us hold a large one.
        let mut read = 0usize;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    read += chunk.len();
                    if read >= RESPONSE_LIMIT {
                        break;
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    if status.is_success() {
                        break;
                    }
                    return failed(chain(&error), Some(status.as_u16()));
                }
            }
        }
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        if status.is_success() {
            SendOutcome {
                succeeded: true,
                response_code: Some(status.as_u16()),
                duration_ms,
                error: None,
            }
        } else {
            SendOutcome {
                succeeded: false,
                response_code: Some(status.as_u16()),
                duration_ms,
                error: Some(if status.is_redirection() {
                    format!("HTTP {status}: redirects are not followed")
                } else {
                    format!("HTTP {status}")
                }),
            }
        }
    }
}

/// Webhook secrets are sealed with the same cipher as data-source credentials.
impl WebhookSecrets for SealedCredentials {
    fn seal(&self, secret: &str) -> Vec<u8> {
        aegis_application::data_sources::CredentialCipher::encrypt(self, secret)
    }

    fn unseal(&self, sealed: &[u8]) -> Option<String> {
        aegis_application::data_sources::CredentialCipher::decrypt(self, sealed).ok()
    }
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_the_standard_webhooks_reference_vector() {
        // The example of the Standard Webhooks specification's reference libraries.
        let signature = signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(
            signature.as_deref(),
            Ok("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[tokio::test]
    async fn literal_internal_addresses_and_other_schemes_are_refused() {
        let transport = HttpWebhookTransport::default();
        let none = AllowList::default();
        for (url, reason) in [
            ("http://127.0.0.1/hook", "loopback"),
            ("http://10.0.0.1/", "private"),
            ("http://169.254.169.254/latest/meta-data", "cloud metadata"),
            ("http://[::1]:8080/", "loopback"),
            ("http://[::ffff:10.0.0.1]/", "private"),
            ("http://[fd00:ec2::254]/", "cloud metadata"),
            ("http://100.64.1.1/", "carrier-grade NAT"),
        ] {
            let refusal = transport.check_target(url, &none).await;
            assert!(
                matches!(&refusal, Err(r) if r.to_string().contains(reason)),
                "{url}: {refusal:?}"
            );
        }
        for url in ["ftp://example.com/", "file:///etc/passwd", "not a url"] {
            assert_eq!(
                transport.check_target(url, &none).await,
                Err(TargetRefusal::NotHttp),
                "{url}"
            );
        }
        assert_eq!(
            transport
                .check_target("https://user:pw@example.com/", &none)
                .await,
            Err(TargetRefusal::Credentials)
        );
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused_unless_allowed() {
        let transport = HttpWebhookTransport::default();
        let refusal = transport
            .check_target("http://localhost:9/", &AllowList::default())
            .await;
        assert!(
            matches!(refusal, Err(TargetRefusal::ResolvesInternal { .. })),
            "{refusal:?}"
        );
        let allow = AllowList::parse(["localhost"]).unwrap();
        assert_eq!(
            transport.check_target("http://localhost:9/", &allow).await,
            Ok(())
        );
    }

    #[tokio::test]
    async fn the_resolver_refuses_at_connection_time() {
        // Saved while allowed, sent after the allow-list changed: the connection is refused
        // by the resolver, not by an earlier check.
        let transport = HttpWebhookTransport::default();
        let outcome = transport
            .send(OutgoingDelivery {
                url: "http://localhost:9/".to_owned(),
                allow: AllowList::default(),
                message_id: "msg_1".to_owned(),
                timestamp: 0,
                body: "{}".to_owned(),
                secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned(),
            })
            .await;
        assert!(!outcome.succeeded);
        let error = outcome.error.unwrap_or_default();
        assert!(
            error.contains("resolves only to addresses that are not allowed"),
            "{error}"
        );
    }
}
