//! Webhooks: signed HTTP callbacks to a tenant's own systems when something happens in Aegis.
//!
//! A webhook names the events it wants; each event becomes one delivery per matching active
//! webhook, recorded in the transaction of the event (an outbox), and sent later by a job
//! with retries. Where a webhook may point is a security decision (SSRF): the address rules
//! are pure and live here, so that saving a webhook and connecting to it apply the same rules.

use std::collections::BTreeSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::id::Id;
use crate::tenant::TenantId;
use crate::user::UserId;

pub type WebhookId = Id<Webhook>;
pub type DeliveryId = Id<WebhookDelivery>;

/// What a webhook can be told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WebhookEvent {
    /// A test moved in the red/blue workflow.
    TestTransitioned,
    /// Both leads validated a test.
    TestValidated,
    /// A validation opened a finding (a logged or missed technique).
    FindingOpened,
    /// A retest settled a finding.
    FindingResolved,
    /// An alert rule fired.
    AlertFired,
    /// A feed import finished.
    ImportFinished,
    /// A report was generated and can be downloaded.
    ReportReady,
    /// A scan of detection content finished.
    ScanFinished,
    /// A test delivery an admin asked for; never subscribed to, always sent when asked.
    Ping,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown event `{0}`: expected one of test.transitioned, test.validated, finding.opened, \
     finding.resolved, alert.fired, import.finished, report.ready, scan.finished"
)]
pub struct UnknownEvent(pub String);

impl WebhookEvent {
    /// The events a webhook can subscribe to (every event but the ping).
    pub const SUBSCRIBABLE: [Self; 8] = [
        Self::TestTransitioned,
        Self::TestValidated,
        Self::FindingOpened,
        Self::FindingResolved,
        Self::AlertFired,
        Self::ImportFinished,
        Self::ReportReady,
        Self::ScanFinished,
    ];

    pub const ALL: [Self; 9] = [
        Self::TestTransitioned,
        Self::TestValidated,
        Self::FindingOpened,
        Self::FindingResolved,
        Self::AlertFired,
        Self::ImportFinished,
        Self::ReportReady,
        Self::ScanFinished,
        Self::Ping,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TestTransitioned => "test.transitioned",
            Self::TestValidated => "test.validated",
            Self::FindingOpened => "finding.opened",
            Self::FindingResolved => "finding.resolved",
            Self::AlertFired => "alert.fired",
            Self::ImportFinished => "import.finished",
            Self::ReportReady => "report.ready",
            Self::ScanFinished => "scan.finished",
            Self::Ping => "webhook.ping",
        }
    }

    /// Any event by its name, the ping included (as stored).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|event| event.as_str() == text)
    }

    /// An event a webhook may subscribe to.
    ///
    /// # Errors
    /// `UnknownEvent` for the ping and any other name.
    pub fn parse_subscribable(text: &str) -> Result<Self, UnknownEvent> {
        Self::SUBSCRIBABLE
            .into_iter()
            .find(|event| event.as_str() == text.trim())
            .ok_or_else(|| UnknownEvent(text.to_owned()))
    }

    /// A sentence for chat presets.
    pub const fn headline(self) -> &'static str {
        match self {
            Self::TestTransitioned => "A test moved in the workflow",
            Self::TestValidated => "A test was validated",
            Self::FindingOpened => "A finding was opened",
            Self::FindingResolved => "A finding was resolved",
            Self::AlertFired => "An alert fired",
            Self::ImportFinished => "A feed import finished",
            Self::ReportReady => "A report is ready",
            Self::ScanFinished => "A scan finished",
            Self::Ping => "Test delivery from Aegis",
        }
    }
}

impl fmt::Display for WebhookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The shape of the body sent: Standard Webhooks JSON, or a chat incoming-webhook message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookPreset {
    Generic,
    Slack,
    Teams,
}

impl WebhookPreset {
    pub const ALL: [Self; 3] = [Self::Generic, Self::Slack, Self::Teams];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Generic => "generic",
            Self::Slack => "slack",
            Self::Teams => "teams",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text.trim())
    }
}

/// A tenant's webhook. The secret is kept sealed; only the use case that creates or rotates
/// it ever sees it in clear.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub id: WebhookId,
    pub tenant_id: TenantId,
    pub name: String,
    pub url: String,
    pub events: BTreeSet<WebhookEvent>,
    pub preset: WebhookPreset,
    pub active: bool,
    /// The `whsec_` secret, sealed with the server's credential cipher.
    pub secret_sealed: Vec<u8>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Webhook {
    /// Whether an event should be delivered to this webhook.
    pub fn wants(&self, event: WebhookEvent) -> bool {
        self.active && self.events.contains(&event)
    }

    /// The events, space-separated, as stored.
    pub fn events_text(&self) -> String {
        self.events
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its first attempt.
    Pending,
    /// An attempt failed; another is due at `next_attempt_at`.
    Retrying,
    Delivered,
    /// Every attempt failed.
    Dead,
}

impl DeliveryStatus {
    pub const ALL: [Self; 4] = [Self::Pending, Self::Retrying, Self::Delivered, Self::Dead];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Retrying => "retrying",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub const fn is_waiting(self) -> bool {
        matches!(self, Self::Pending | Self::Retrying)
    }
}

/// One event for one webhook, with its attempts so far.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookDelivery {
    pub id: DeliveryId,
    pub tenant_id: TenantId,
    pub webhook_id: WebhookId,
    /// The Standard Webhooks `webhook-id`: the same for a redelivery of the same message, so
    /// receivers can drop duplicates.
    pub message_id: String,
    pub event: WebhookEvent,
    /// The Standard Webhooks JSON payload (`type`, `timestamp`, `data`); presets reshape it
    /// when sending.
    pub payload: String,
    pub status: DeliveryStatus,
    /// Attempts started so far.
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_response_code: Option<u16>,
    pub last_error: Option<String>,
}

impl WebhookDelivery {
    /// A delivery waiting for its first attempt now.
    pub fn pending(
        id: DeliveryId,
        webhook: &Webhook,
        message_id: String,
        event: WebhookEvent,
        payload: String,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            tenant_id: webhook.tenant_id,
            webhook_id: webhook.id,
            message_id,
            event,
            payload,
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: Some(now),
            created_at: now,
            last_attempt_at: None,
            last_response_code: None,
            last_error: None,
        }
    }

    /// Records the outcome of attempt `self.attempts`: delivered, another try after the
    /// back-off, or dead after the last one.
    pub fn record_attempt(&mut self, attempt: &DeliveryAttempt, policy: &DeliveryPolicy) {
        self.last_attempt_at = Some(attempt.attempted_at);
        self.last_response_code = attempt.response_code;
        self.last_error.clone_from(&attempt.error);
        if attempt.succeeded {
            self.status = DeliveryStatus::Delivered;
            self.next_attempt_at = None;
        } else if self.attempts >= policy.max_attempts {
            self.status = DeliveryStatus::Dead;
            self.next_attempt_at = None;
        } else {
            self.status = DeliveryStatus::Retrying;
            let delay = chrono::Duration::from_std(policy.delay_after(self.attempts))
                .unwrap_or_else(|_| chrono::Duration::hours(1));
            self.next_attempt_at = Some(attempt.attempted_at + delay);
        }
    }
}

/// One attempt to deliver, as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub id: uuid::Uuid,
    pub delivery_id: DeliveryId,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub attempted_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub succeeded: bool,
    /// The receiver's HTTP status, when it answered.
    pub response_code: Option<u16>,
    /// Why the attempt failed: the refusal, the connection error or the status.
    pub error: Option<String>,
}

/// How deliveries are retried: `max_attempts` in all, the wait doubling from `first_delay`
/// after each failure, at most an hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryPolicy {
    pub max_attempts: u32,
    pub first_delay: Duration,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            first_delay: Duration::from_secs(30),
        }
    }
}

impl DeliveryPolicy {
    const MAX_DELAY: Duration = Duration::from_secs(3600);

    /// The wait after failed attempt `attempt` (1-based): `first_delay * 2^(attempt-1)`.
    pub fn delay_after(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
        self.first_delay
            .checked_mul(factor)
            .map_or(Self::MAX_DELAY, |d| d.min(Self::MAX_DELAY))
    }
}

/// Why an address may not be connected to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    Loopback,
    /// RFC 1918, and IPv6 unique local addresses (fc00::/7) and site-local ones.
    Private,
    LinkLocal,
    /// Carrier-grade NAT, 100.64.0.0/10.
    SharedAddressSpace,
    Multicast,
    Unspecified,
    Broadcast,
    /// Reserved, benchmarking and protocol-assignment ranges that no public service uses.
    Reserved,
    /// A cloud provider's instance metadata service (169.254.169.254, fd00:ec2::254, ...).
    CloudMetadata,
}

impl AddressClass {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Loopback => "loopback",
            Self::Private => "private",
            Self::LinkLocal => "link-local",
            Self::SharedAddressSpace => "carrier-grade NAT",
            Self::Multicast => "multicast",
            Self::Unspecified => "unspecified",
            Self::Broadcast => "broadcast",
            Self::Reserved => "reserved",
            Self::CloudMetadata => "cloud metadata",
        }
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The class that forbids connecting to `ip`, or `None` for a public address. IPv4 addresses
/// embedded in IPv6 (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`)
/// are judged as the IPv4 address they carry, so wrapping a private address does not hide it.
pub fn refusal_of(ip: IpAddr) -> Option<AddressClass> {
    match ip {
        IpAddr::V4(v4) => refusal_of_v4(v4),
        IpAddr::V6(v6) => refusal_of_v6(v6),
    }
}

fn refusal_of_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    let [a, b, c, _] = ip.octets();
    let class = if ip == Ipv4Addr::new(169, 254, 169, 254)
        || ip == Ipv4Addr::new(100, 100, 100, 200)
        || ip == Ipv4Addr::new(192, 0, 0, 192)
    {
        // AWS, GCP, Azure, OpenStack; Alibaba Cloud; Oracle Cloud's legacy address.
        AddressClass::CloudMetadata
    } else if ip.is_broadcast() {
        AddressClass::Broadcast
    } else if a == 0 {
        AddressClass::Unspecified
    } else if a == 127 {
        AddressClass::Loopback
    } else if a == 10 || (a == 172 && (16..=31).contains(&b)) || (a == 192 && b == 168) {
        AddressClass::Private
    } else if a == 169 && b == 254 {
        AddressClass::LinkLocal
    } else if a == 100 && (64..=127).contains(&b) {
        AddressClass::SharedAddressSpace
    } else if (224..=239).contains(&a) {
        AddressClass::Multicast
    } else if a >= 240
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..=19).contains(&b))
        || (a == 192 && b == 0 && c == 2)
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
    {
        AddressClass::Reserved
    } else {
        return None;
    };
    Some(class)
}

fn refusal_of_v6(ip: Ipv6Addr) -> Option<AddressClass> {
    if let Some(v4) = embedded_v4(ip) {
        return refusal_of_v4(v4);
    }
    let segments = ip.segments();
    let first = segments[0];
    let class = if ip == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254) {
        AddressClass::CloudMetadata
    } else if ip.is_unspecified() {
        AddressClass::Unspecified
    } else if ip.is_loopback() {
        AddressClass::Loopback
    } else if first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfec0 {
        AddressClass::Private
    } else if first & 0xffc0 == 0xfe80 {
        AddressClass::LinkLocal
    } else if first & 0xff00 == 0xff00 {
        AddressClass::Multicast
    } else if first == 0x2001 && segments[1] == 0x0db8
        || first == 0x0100 && segments[1..4] == [0; 3]
    {
        // Documentation (2001:db8::/32) and discard-only (100::/64) prefixes.
        AddressClass::Reserved
    } else {
        return None;
    };
    Some(class)
}

/// The IPv4 address an IPv6 one carries: mapped, compatible (deprecated but still routed by
/// some stacks) or NAT64's well-known prefix.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if s[..6] == [0; 6] && !(s[6] == 0 && s[7] <= 1) {
        return Some(tail());
    }
    if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0; 4] {
        return Some(tail());
    }
    None
}

/// One entry of a tenant's allow-list: a host name, or an address range in CIDR notation
/// (a bare address is a /32 or /128).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowEntry {
    Host(String),
    Network { address: IpAddr, prefix: u8 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is neither a host name nor an address or CIDR range")]
pub struct InvalidAllowEntry(pub String);

impl AllowEntry {
    /// # Errors
    /// `InvalidAllowEntry` for text that is no host name, address or CIDR range.
    pub fn parse(text: &str) -> Result<Self, InvalidAllowEntry> {
        let text = text.trim();
        let invalid = || InvalidAllowEntry(text.to_owned());
        if text.is_empty() || text.len() > 253 {
            return Err(invalid());
        }
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let bare = address.trim_start_matches('[').trim_end_matches(']');
        if let Ok(address) = bare.parse::<IpAddr>() {
            let max = if address.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                Some(p) => p
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= max)
                    .ok_or_else(invalid)?,
                None => max,
            };
            return Ok(Self::Network { address, prefix });
        }
        if prefix.is_some() {
            return Err(invalid());
        }
        let host = text.to_ascii_lowercase();
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if host.trim_end_matches('.').split('.').all(label_ok) {
            Ok(Self::Host(host.trim_end_matches('.').to_owned()))
        } else {
            Err(invalid())
        }
    }

    pub fn as_text(&self) -> String {
        match self {
            Self::Host(host) => host.clone(),
            Self::Network { address, prefix } => format!("{address}/{prefix}"),
        }
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let Self::Network { address, prefix } = self else {
            return false;
        };
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        match (address, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(*prefix)).unwrap_or(0);
                u32::from(*net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(*prefix)).unwrap_or(0);
                u128::from(*net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The hosts and ranges an admin allows webhooks to reach even though they are internal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(Vec<AllowEntry>);

impl AllowList {
    /// # Errors
    /// The first entry that does not parse.
    pub fn parse<'a>(
        entries: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, InvalidAllowEntry> {
        let mut parsed: Vec<AllowEntry> = Vec::new();
        for entry in entries {
            let entry = AllowEntry::parse(entry)?;
            if !parsed.contains(&entry) {
                parsed.push(entry);
            }
        }
        Ok(Self(parsed))
    }

    pub fn entries(&self) -> &[AllowEntry] {
        &self.0
    }

    pub fn to_texts(&self) -> Vec<String> {
        self.0.iter().map(AllowEntry::as_text).collect()
    }

    /// Whether the list names this host (case-insensitive, without a trailing dot).
    pub fn names_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.0
            .iter()
            .any(|entry| matches!(entry, AllowEntry::Host(h) if *h == host))
    }

    /// Why connecting to `ip` for a URL of host `host` is refused, or `None` when allowed:
    /// public addresses always are; internal ones when the list names the host or a range
    /// holding the address.
    pub fn judge(&self, host: &str, ip: IpAddr) -> Option<AddressClass> {
        let class = refusal_of(ip)?;
        if self.names_host(host) || self.0.iter().any(|entry| entry.contains(ip)) {
            None
        } else {
            Some(class)
        }
    }
}

/// Why a webhook URL may not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetRefusal {
    #[error("is not an absolute http or https URL")]
    NotHttp,
    #[error("must not carry a user name or password")]
    Credentials,
    #[error("{address} is a {class} address, not allowed unless the webhook allow-list names it")]
    Address {
        address: IpAddr,
        class: AddressClass,
    },
    #[error("{host} resolves only to addresses that are not allowed: {addresses}")]
    ResolvesInternal { host: String, addresses: String },
    #[error("the name {0} does not resolve")]
    Unresolvable(String),
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]
mod tests {
    use super::*;

    fn class(text: &str) -> Option<AddressClass> {
        refusal_of(text.parse().unwrap())
    }

    #[test]
    fn internal_ipv4_addresses_are_refused_with_their_class() {
        use AddressClass as C;
        for (ip, expected) in [
            ("127.0.0.1", C::Loopback),
            ("127.255.0.9", C::Loopback),
            ("10.0.0.1", C::Private),
            ("172.16.0.1", C::Private),
            ("172.31.255.255", C::Private),
            ("192.168.1.1", C::Private),
            ("169.254.169.254", C::CloudMetadata),
            ("100.100.100.200", C::CloudMetadata),
            ("169.254.10.1", C::LinkLocal),
            ("100.64.0.1", C::SharedAddressSpace),
            ("100.127.255.254", C::SharedAddressSpace),
            ("224.0.0.1", C::Multicast),
            ("0.0.0.0", C::Unspecified),
            ("255.255.255.255", C::Broadcast),
            ("240.0.0.1", C::Reserved),
            ("198.18.0.1", C::Reserved),
        ] {
            assert_eq!(class(ip), Some(expected), "{ip}");
        }
    }

    #[test]
    fn public_addresses_and_near_misses_are_allowed() {
        for ip in [
            "8.8.8.8",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.1.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(class(ip), None, "{ip}");
        }
    }

    #[test]
    fn internal_ipv6_addresses_and_wrapped_ipv4_ones_are_refused() {
        use AddressClass as C;
        for (ip, expected) in [
            ("::1", C::Loopback),
            ("::", C::Unspecified),
            ("fc00::1", C::Private),
            ("fd12:3456::1", C::Private),
            ("fe80::1", C::LinkLocal),
            ("ff02::1", C::Multicast),
            ("fd00:ec2::254", C::CloudMetadata),
            ("::ffff:127.0.0.1", C::Loopback),
            ("::ffff:10.0.0.1", C::Private),
            ("::ffff:169.254.169.254", C::CloudMetadata),
            ("64:ff9b::a00:1", C::Private),
            ("::7f00:1", C::Loopback),
            ("2001:db8::1", C::Reserved),
        ] {
            assert_eq!(class(ip), Some(expected), "{ip}");
        }
    }

    #[test]
    fn the_allow_list_opens_named_hosts_and_ranges_only() {
        let list = AllowList::parse(["127.0.0.1", "10.1.0.0/16", "Hooks.Internal."]).unwrap();
        let ip = |t: &str| t.parse::<IpAddr>().unwrap();
        assert_eq!(list.judge("example.com", ip("127.0.0.1")), None);
        assert_eq!(list.judge("example.com", ip("::ffff:127.0.0.1")), None);
        assert_eq!(
            list.judge("example.com", ip("127.0.0.2")),
            Some(AddressClass::Loopback)
        );
        assert_eq!(list.judge("x", ip("10.1.200.3")), None);
        assert_eq!(list.judge("x", ip("10.2.0.1")), Some(AddressClass::Private));
        assert_eq!(list.judge("hooks.internal", ip("10.9.9.9")), None);
        assert_eq!(
            list.judge("localhost", ip("::1")),
            Some(AddressClass::Loopback)
        );
        assert_eq!(list.judge("anything", ip("93.184.216.34")), None);
    }

    #[test]
    fn allow_entries_parse_hosts_addresses_and_ranges() {
        assert_eq!(
            AllowEntry::parse("[::1]").unwrap().as_text(),
            "::1/128".to_owned()
        );
        assert_eq!(
            AllowEntry::parse("fd00::/8").unwrap().as_text(),
            "fd00::/8".to_owned()
        );
        for bad in [
            "",
            "10.0.0.0/33",
            "host/8",
            "bad host",
            "-x.example",
            "a..b",
        ] {
            assert!(AllowEntry::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn retries_back_off_exponentially_then_the_delivery_dies() {
        let policy = DeliveryPolicy {
            max_attempts: 3,
            first_delay: Duration::from_secs(10),
        };
        assert_eq!(policy.delay_after(1), Duration::from_secs(10));
        assert_eq!(policy.delay_after(2), Duration::from_secs(20));
        assert_eq!(policy.delay_after(40), Duration::from_secs(3600));
        let now = chrono::DateTime::<Utc>::UNIX_EPOCH;
        let webhook = Webhook {
            id: WebhookId::from_uuid(uuid::Uuid::nil()),
            tenant_id: TenantId::from_uuid(uuid::Uuid::nil()),
            name: "n".into(),
            url: "https://example.com".into(),
            events: BTreeSet::from([WebhookEvent::ReportReady]),
            preset: WebhookPreset::Generic,
            active: true,
            secret_sealed: Vec::new(),
            created_by: UserId::from_uuid(uuid::Uuid::nil()),
            created_at: now,
            updated_at: now,
        };
        let mut delivery = WebhookDelivery::pending(
            DeliveryId::from_uuid(uuid::Uuid::nil()),
            &webhook,
            "msg_1".into(),
            WebhookEvent::ReportReady,
            "{}".into(),
            now,
        );
        let delivery_id = delivery.id;
        let failed = |attempt| DeliveryAttempt {
            id: uuid::Uuid::nil(),
            delivery_id,
            attempt,
            attempted_at: now,
            duration_ms: 1,
            succeeded: false,
            response_code: Some(500),
            error: Some("HTTP 500".into()),
        };
        delivery.attempts = 1;
        delivery.record_attempt(&failed(1), &policy);
        assert_eq!(delivery.status, DeliveryStatus::Retrying);
        assert_eq!(
            delivery.next_attempt_at,
            Some(now + chrono::Duration::seconds(10))
        );
        delivery.attempts = 3;
        delivery.record_attempt(&failed(3), &policy);
        assert_eq!(delivery.status, DeliveryStatus::Dead);
        assert_eq!(delivery.next_attempt_at, None);
    }

    #[test]
    fn the_ping_cannot_be_subscribed_to() {
        assert!(WebhookEvent::parse_subscribable("webhook.ping").is_err());
        assert_eq!(
            WebhookEvent::parse_subscribable("finding.opened"),
            Ok(WebhookEvent::FindingOpened)
        );
        assert_eq!(
            WebhookEvent::parse("webhook.ping"),
            Some(WebhookEvent::Ping)
        );
    }
}
