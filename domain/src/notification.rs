//! In-app notifications: who must act next on a test hears of it.

use chrono::{DateTime, Utc};

use crate::id::Id;
use crate::tenant::TenantId;
use crate::user::UserId;

pub type NotificationId = Id<Notification>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: NotificationId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    /// What happened, e.g. `test.submit-red`.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// The test (or other entity) it is about.
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// A way a notification reaches its user. Webhooks are not among them: they belong to the
/// organization, whose admins subscribe each one to events (`crate::webhook`), so what a
/// person chooses cannot send their own notifications to an endpoint others configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// The bell and the live stream.
    InApp,
    /// An email over SMTP to the user's address.
    Email,
}

/// Why a channel name is not one a person may choose.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelRefusal {
    #[error("`{0}` is not a notification channel (in_app, email)")]
    Unknown(String),
    #[error("webhooks are chosen per organization by admins, who subscribe each one to events")]
    OrganizationWide,
}

impl Channel {
    pub const ALL: [Self; 2] = [Self::InApp, Self::Email];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InApp => "in_app",
            Self::Email => "email",
        }
    }

    /// # Errors
    /// `OrganizationWide` for `webhook`, `Unknown` for any other name but the channels'.
    pub fn parse(name: &str) -> Result<Self, ChannelRefusal> {
        match name {
            "in_app" => Ok(Self::InApp),
            "email" => Ok(Self::Email),
            "webhook" => Err(ChannelRefusal::OrganizationWide),
            other => Err(ChannelRefusal::Unknown(other.to_owned())),
        }
    }
}

/// A kind of notification a person can choose channels for, and what it is when nobody chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationKind {
    /// As notifications carry it (`Notification::kind`).
    pub name: &'static str,
    /// What it means, for the preferences page.
    pub label: &'static str,
    /// High-signal kinds (someone must act) are emailed unless the person turned it off.
    pub email_by_default: bool,
}

/// Every kind the rooms notify of. A kind missing here still reaches the bell, never email,
/// until it is listed.
pub static KINDS: [NotificationKind; 9] = [
    NotificationKind {
        name: "test.submit-red",
        label: "A test is ready for blue to evaluate",
        email_by_default: true,
    },
    NotificationKind {
        name: "test.submit-blue",
        label: "A test is waiting for the leads' review",
        email_by_default: true,
    },
    NotificationKind {
        name: "test.validate-red",
        label: "The leads disagree on a test (red voted)",
        email_by_default: true,
    },
    NotificationKind {
        name: "test.validate-blue",
        label: "The leads disagree on a test (blue voted)",
        email_by_default: true,
    },
    NotificationKind {
        name: "test.reopen",
        label: "A finished test was reopened",
        email_by_default: false,
    },
    NotificationKind {
        name: "alert.fired",
        label: "An alert fired",
        email_by_default: true,
    },
    NotificationKind {
        name: "detection.proof_ended",
        label: "A detection proof expired",
        email_by_default: false,
    },
    NotificationKind {
        name: "intel.catalog_changed",
        label: "The ATT&CK catalog changed",
        email_by_default: false,
    },
    NotificationKind {
        name: "intel.tracked_actor_techniques",
        label: "A tracked actor uses new techniques",
        email_by_default: false,
    },
];

impl NotificationKind {
    /// The listed kind named `name`.
    #[must_use]
    pub fn find(name: &str) -> Option<&'static Self> {
        KINDS.iter().find(|kind| kind.name == name)
    }
}

/// Which channels carry one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelChoice {
    pub in_app: bool,
    pub email: bool,
}

impl ChannelChoice {
    /// What a kind gets when its person chose nothing: the bell always, email for the
    /// high-signal kinds.
    #[must_use]
    pub fn default_for(kind: &str) -> Self {
        Self {
            in_app: true,
            email: NotificationKind::find(kind).is_some_and(|k| k.email_by_default),
        }
    }

    #[must_use]
    pub const fn carries(self, channel: Channel) -> bool {
        match channel {
            Channel::InApp => self.in_app,
            Channel::Email => self.email,
        }
    }
}

/// One person's choices: the kinds they set, the defaults for the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelPreferences {
    chosen: std::collections::BTreeMap<String, ChannelChoice>,
}

impl ChannelPreferences {
    /// The choices as stored (kinds no longer listed are kept: they cost nothing and come
    /// back if the kind does).
    #[must_use]
    pub fn restored(chosen: impl IntoIterator<Item = (String, ChannelChoice)>) -> Self {
        Self {
            chosen: chosen.into_iter().collect(),
        }
    }

    /// Sets `kind`'s channels; only listed kinds can be chosen.
    ///
    /// # Errors
    /// The kind's name back when it is not listed in [`KINDS`].
    pub fn choose(&mut self, kind: &str, choice: ChannelChoice) -> Result<(), String> {
        let Some(listed) = NotificationKind::find(kind) else {
            return Err(kind.to_owned());
        };
        self.chosen.insert(listed.name.to_owned(), choice);
        Ok(())
    }

    /// The channels of `kind`: chosen, or its default.
    #[must_use]
    pub fn choice(&self, kind: &str) -> ChannelChoice {
        self.chosen
            .get(kind)
            .copied()
            .unwrap_or_else(|| ChannelChoice::default_for(kind))
    }

    /// What was chosen, kind by kind.
    pub fn chosen(&self) -> impl Iterator<Item = (&str, ChannelChoice)> {
        self.chosen
            .iter()
            .map(|(kind, choice)| (kind.as_str(), *choice))
    }
}

pub type EmailDeliveryId = Id<EmailDelivery>;

/// Where an email stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailStatus {
    /// Waiting for its first attempt or a retry.
    Pending,
    Sent,
    /// Every attempt failed, or the server refused it for good; `last_error` says why.
    Failed,
}

impl EmailStatus {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    #[must_use]
    pub fn parse(value: &str) -> Option<Self> {
        [Self::Pending, Self::Sent, Self::Failed]
            .into_iter()
            .find(|status| status.as_str() == value)
    }
}

/// One notification on its way by email: the outbox row, written in the notification's unit
/// of work and sent by the mail job after commit. It carries what the templates need, so it
/// is sent as the notification was even if the notification is read and swept meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailDelivery {
    /// The notification's id: one email per notification.
    pub id: EmailDeliveryId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub to: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub status: EmailStatus,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// How a failed attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    Sent,
    /// Worth another try (the server was unreachable or answered 4xx).
    Transient,
    /// The server refused it for good (5xx: no such mailbox, policy).
    Permanent,
}

impl EmailDelivery {
    /// The email of `notification` to `to`, due at once.
    #[must_use]
    pub fn pending(notification: &Notification, to: &str) -> Self {
        Self {
            id: EmailDeliveryId::from_uuid(notification.id.as_uuid()),
            tenant_id: notification.tenant_id,
            user_id: notification.user_id,
            to: to.to_owned(),
            kind: notification.kind.clone(),
            title: notification.title.clone(),
            body: notification.body.clone(),
            entity_type: notification.entity_type.clone(),
            entity_id: notification.entity_id.clone(),
            status: EmailStatus::Pending,
            attempts: 0,
            next_attempt_at: notification.created_at,
            created_at: notification.created_at,
            sent_at: None,
            last_error: None,
        }
    }

    /// Records the attempt just made (`attempts` already counts it): sent, retried after
    /// the policy's back-off, or failed after the last attempt or a permanent refusal.
    pub fn record(
        &mut self,
        outcome: AttemptOutcome,
        error: Option<String>,
        policy: &crate::webhook::DeliveryPolicy,
        now: DateTime<Utc>,
    ) {
        self.last_error = error;
        match outcome {
            AttemptOutcome::Sent => {
                self.status = EmailStatus::Sent;
                self.sent_at = Some(now);
                self.last_error = None;
            }
            AttemptOutcome::Transient if self.attempts < policy.max_attempts => {
                let delay = chrono::Duration::from_std(policy.delay_after(self.attempts))
                    .unwrap_or_else(|_| chrono::Duration::hours(1));
                self.next_attempt_at = now + delay;
            }
            AttemptOutcome::Transient | AttemptOutcome::Permanent => {
                self.status = EmailStatus::Failed;
            }
        }
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
    fn high_signal_kinds_are_emailed_by_default_and_the_rest_are_not() {
        assert!(ChannelChoice::default_for("test.submit-red").email);
        assert!(ChannelChoice::default_for("alert.fired").email);
        assert!(!ChannelChoice::default_for("test.reopen").email);
        let unknown = ChannelChoice::default_for("something.new");
        assert!(unknown.in_app && !unknown.email);
    }

    #[test]
    fn a_choice_overrides_the_default_and_only_listed_kinds_can_be_chosen() {
        let mut preferences = ChannelPreferences::default();
        let off = ChannelChoice {
            in_app: true,
            email: false,
        };
        preferences.choose("alert.fired", off).unwrap();
        assert_eq!(preferences.choice("alert.fired"), off);
        assert!(preferences.choice("test.submit-blue").email);
        assert_eq!(
            preferences.choose("alert.nope", off),
            Err("alert.nope".to_owned())
        );
    }

    #[test]
    fn webhook_is_refused_as_organization_wide_and_other_names_as_unknown() {
        assert_eq!(Channel::parse("email"), Ok(Channel::Email));
        assert_eq!(
            Channel::parse("webhook"),
            Err(ChannelRefusal::OrganizationWide)
        );
        assert!(matches!(
            Channel::parse("sms"),
            Err(ChannelRefusal::Unknown(_))
        ));
    }

    #[test]
    fn a_failing_email_is_retried_then_failed_and_a_permanent_refusal_fails_at_once() {
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let notification = Notification {
            id: NotificationId::from_uuid(uuid::Uuid::nil()),
            tenant_id: TenantId::from_uuid(uuid::Uuid::nil()),
            user_id: UserId::from_uuid(uuid::Uuid::nil()),
            kind: "alert.fired".to_owned(),
            title: "t".to_owned(),
            body: "b".to_owned(),
            entity_type: None,
            entity_id: None,
            created_at: now,
            read_at: None,
        };
        let policy = crate::webhook::DeliveryPolicy {
            max_attempts: 2,
            first_delay: std::time::Duration::from_secs(10),
        };
        let mut email = EmailDelivery::pending(&notification, "a@b.test");
        email.attempts = 1;
        email.record(AttemptOutcome::Transient, Some("down".into()), &policy, now);
        assert_eq!(email.status, EmailStatus::Pending);
        assert_eq!(email.next_attempt_at, now + chrono::Duration::seconds(10));
        email.attempts = 2;
        email.record(AttemptOutcome::Transient, Some("down".into()), &policy, now);
        assert_eq!(email.status, EmailStatus::Failed);
        assert_eq!(email.last_error.as_deref(), Some("down"));

        let mut refused = EmailDelivery::pending(&notification, "a@b.test");
        refused.attempts = 1;
        refused.record(AttemptOutcome::Permanent, Some("550".into()), &policy, now);
        assert_eq!(refused.status, EmailStatus::Failed);
    }
}
