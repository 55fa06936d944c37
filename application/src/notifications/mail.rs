//! Email: the `MailSender` port the SMTP adapter implements, the templates, and the mail job
//! that sends the outbox (`EmailDelivery` rows written with their notifications) after
//! commit, retrying with back-off until sent or failed.

use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::StreamExt;

use aegis_domain::job::JobKind;
use aegis_domain::notification::{AttemptOutcome, EmailDelivery, EmailStatus, NotificationKind};
use aegis_domain::webhook::DeliveryPolicy;

use super::{NotificationError, NotificationService};
use crate::jobs::JobService;

/// Emails one run sends before it queues the next run.
const BATCH: u64 = 50;
/// How long a claimed email is held for the worker sending it.
const LEASE: chrono::Duration = chrono::Duration::seconds(120);

/// One email, rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailMessage {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct MailFailure {
    /// A refusal for good (an SMTP 5xx answer, an address the server rejects) is not retried.
    pub permanent: bool,
    pub reason: String,
}

/// Sends email (the SMTP adapter, `infrastructure::mail`).
#[async_trait]
pub trait MailSender: Send + Sync {
    /// # Errors
    /// A `MailFailure` saying why and whether another try could help.
    async fn send(&self, message: &MailMessage) -> Result<(), MailFailure>;
}

/// Email as configured: the sender and the web UI's address the links point to.
#[derive(Clone)]
pub struct Mailing {
    pub sender: Arc<dyn MailSender>,
    /// The web UI as its users reach it, e.g. `https://aegis.example.com`.
    pub web_url: String,
}

/// What one run of the mail job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmailCounts {
    pub sent: u64,
    pub retrying: u64,
    pub failed: u64,
}

/// Queues the mail job. The job service is built after the notification service, so it is
/// attached once everything exists.
#[derive(Clone, Default)]
pub struct MailKick {
    jobs: Arc<OnceLock<JobService>>,
    /// The second a run was last asked for, so a burst of notifications asks once.
    last: Arc<Mutex<i64>>,
}

impl MailKick {
    pub(crate) fn attach(&self, jobs: JobService) {
        // Attached once by `Services::new`; a second attach would be the same service.
        let _ = self.jobs.set(jobs);
    }

    /// Queues a run at `due` (rounded up to the next whole second, the queue's unit), keyed
    /// by its due time, so that every instance asking for the same second makes one run.
    async fn at(&self, due: DateTime<Utc>) {
        let Some(jobs) = self.jobs.get() else {
            return;
        };
        let second = due.timestamp() + 1;
        if let Ok(mut last) = self.last.lock() {
            if *last == second {
                return;
            }
            *last = second;
        }
        let Some(run_at) = DateTime::<Utc>::from_timestamp(second, 0) else {
            return;
        };
        if let Err(error) = jobs.queue_due(JobKind::EmailDelivery, run_at).await {
            // The scheduled run picks the emails up; nothing is lost.
            tracing::warn!(%error, "the email delivery job could not be queued");
        }
    }
}

/// The link of an email: the item in the web UI, else the notifications page.
pub(crate) fn link(web_url: &str, email: &EmailDelivery) -> String {
    let base = web_url.trim_end_matches('/');
    match (email.entity_type.as_deref(), email.entity_id.as_deref()) {
        (Some("test"), Some(id)) => format!("{base}/tests/{id}"),
        (Some("alert"), _) => format!("{base}/alerts"),
        (Some("detection_asset" | "asset"), Some(id)) => format!("{base}/detection-assets/{id}"),
        (Some("technique"), Some(id)) => format!("{base}/techniques/{id}"),
        _ => format!("{base}/notifications"),
    }
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The email of one notification: its kind's heading, the notification's title and body,
/// and the link to the item, as plain text and as HTML.
#[must_use]
pub fn render(web_url: &str, email: &EmailDelivery) -> MailMessage {
    let heading = NotificationKind::find(&email.kind).map_or("Aegis notification", |k| k.label);
    let link = link(web_url, email);
    let subject = format!("[Aegis] {}", email.title.replace(['\r', '\n'], " "));
    let text = format!(
        "{heading}\n\n{title}\n\n{body}\n\nOpen it in Aegis: {link}\n\n--\nYou receive this \
         because email is on for this kind of notification. Change it on your profile page: \
         {profile}\n",
        title = email.title,
        body = email.body,
        profile = profile(web_url),
    );
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\">\
         <p style=\"color:#555\">{heading}</p><h2>{title}</h2><p>{body}</p>\
         <p><a href=\"{link}\">Open it in Aegis</a></p><hr>\
         <p style=\"color:#777;font-size:small\">You receive this because email is on for \
         this kind of notification. <a href=\"{profile}\">Change it on your profile page</a>.\
         </p></body></html>",
        heading = escape_html(heading),
        title = escape_html(&email.title),
        body = escape_html(&email.body),
        link = escape_html(&link),
        profile = escape_html(&profile(web_url)),
    );
    MailMessage {
        to: email.to.clone(),
        subject,
        text,
        html,
    }
}

fn profile(web_url: &str) -> String {
    format!("{}/profile", web_url.trim_end_matches('/'))
}

impl NotificationService {
    /// Email as configured (without it, emails fail with the reason, visibly).
    #[must_use]
    pub fn mailing(mut self, mailing: Option<Mailing>, policy: DeliveryPolicy) -> Self {
        self.mailing = mailing;
        self.email_policy = policy;
        self
    }

    /// Whether email is configured on this server.
    pub fn email_available(&self) -> bool {
        self.mailing.is_some()
    }

    /// Queues the mail job each time notifications commit, until the signals end: emails
    /// leave within a second of their commit without the rooms that notify knowing about
    /// mail. The scheduled run is the safety net.
    pub async fn relay_email_requests(self) {
        let mut signals = self.signals.subscribe();
        while signals.next().await.is_some() {
            self.kick.at(self.clock.now()).await;
        }
    }

    /// The mail job: sends the emails that are due, each claimed first so one worker sends
    /// it, and records each outcome.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn send_due_emails(&self) -> Result<EmailCounts, NotificationError> {
        let now = self.clock.now();
        let due = self.database.due_email_deliveries(now, BATCH).await?;
        let mut counts = EmailCounts::default();
        let mut next_retry: Option<DateTime<Utc>> = None;
        for mut email in due.iter().cloned() {
            if !self
                .database
                .claim_email_delivery(&email, now + LEASE)
                .await?
            {
                continue;
            }
            email.attempts += 1;
            let (outcome, error) = match &self.mailing {
                None => (
                    AttemptOutcome::Permanent,
                    Some("email is not configured on this server (AEGIS_SMTP_HOST)".to_owned()),
                ),
                Some(mailing) => match mailing.sender.send(&render(&mailing.web_url, &email)).await
                {
                    Ok(()) => (AttemptOutcome::Sent, None),
                    Err(failure) if failure.permanent => {
                        (AttemptOutcome::Permanent, Some(failure.reason))
                    }
                    Err(failure) => (AttemptOutcome::Transient, Some(failure.reason)),
                },
            };
            email.record(outcome, error, &self.email_policy, self.clock.now());
            self.database.save_email_delivery(&email).await?;
            match email.status {
                EmailStatus::Sent => counts.sent += 1,
                EmailStatus::Failed => counts.failed += 1,
                EmailStatus::Pending => {
                    counts.retrying += 1;
                    next_retry = Some(
                        next_retry
                            .map_or(email.next_attempt_at, |at| at.min(email.next_attempt_at)),
                    );
                }
            }
        }
        if due.len() as u64 == BATCH {
            self.kick.at(self.clock.now()).await;
        }
        if let Some(at) = next_retry {
            // A second late, so the run never starts before the retry is due.
            self.kick.at(at + chrono::Duration::seconds(1)).await;
        }
        Ok(counts)
    }
}
