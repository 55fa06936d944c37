//! Which channels carry a notification: each person chooses, per kind, the bell (in-app)
//! and email; the kinds they did not set follow the defaults (`ChannelChoice::default_for`).
//!
//! The rooms that notify hand their notifications to [`deliver`] inside their unit of work:
//! the in-app ones are stored, the emailed ones become outbox rows that commit (or roll back)
//! with the event, and the mail job sends them after commit.

use std::collections::HashMap;

use aegis_domain::notification::{
    Channel, ChannelChoice, ChannelPreferences, EmailDelivery, KINDS, Notification,
    NotificationKind,
};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::RepositoryError;
use aegis_domain::tenant::TenantId;
use aegis_domain::user::{UserId, UserKind};

use super::{NotificationError, NotificationService};
use crate::audit_trail::{self, Change};
use crate::context::{Actor, RequestContext};
use crate::error::FieldError;
use crate::ports::UnitOfWork;

/// Stores `notifications` on the channels their recipients chose, in the caller's unit of
/// work: the bell's rows, and an email per notification whose kind the person has email on
/// for (active people only; service accounts read no mail).
///
/// # Errors
/// `Unexpected` on storage failure.
pub(crate) async fn deliver(
    uow: &dyn UnitOfWork,
    tenant: TenantId,
    notifications: &[Notification],
) -> Result<(), RepositoryError> {
    let mut preferences: HashMap<UserId, ChannelPreferences> = HashMap::new();
    let mut addresses: HashMap<UserId, Option<String>> = HashMap::new();
    let mut in_app = Vec::new();
    let mut emails = Vec::new();
    for notification in notifications {
        let user = notification.user_id;
        let choice = match preferences.get(&user) {
            Some(chosen) => chosen.choice(&notification.kind),
            None => {
                let chosen = uow.channel_preferences(tenant, user).await?;
                let choice = chosen.choice(&notification.kind);
                preferences.insert(user, chosen);
                choice
            }
        };
        if choice.in_app {
            in_app.push(notification.clone());
        }
        if !choice.email {
            continue;
        }
        let address = match addresses.get(&user) {
            Some(address) => address.clone(),
            None => {
                let address = uow
                    .find_user(tenant, user)
                    .await?
                    .filter(|u| u.is_active && u.kind == UserKind::Person)
                    .map(|u| u.email.as_str().to_owned());
                addresses.insert(user, address.clone());
                address
            }
        };
        if let Some(address) = address {
            emails.push(EmailDelivery::pending(notification, &address));
        }
    }
    uow.insert_notifications(tenant, &in_app).await?;
    uow.insert_email_deliveries(tenant, &emails).await
}

/// One kind's channels as a person sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindChannels {
    pub kind: &'static NotificationKind,
    pub choice: ChannelChoice,
}

/// A person's channels for every kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSettings {
    pub kinds: Vec<KindChannels>,
    /// Whether this server can send email at all (SMTP configured).
    pub email_available: bool,
}

/// What a person asks for one kind: the channels that should carry it (the others are off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindRequest {
    pub kind: String,
    pub channels: Vec<String>,
}

/// More than every kind twice is not a preferences form.
const MAX_REQUESTS: usize = 64;

fn parse_requests(
    requests: &[KindRequest],
) -> Result<Vec<(String, ChannelChoice)>, Vec<FieldError>> {
    let mut errors = Vec::new();
    if requests.len() > MAX_REQUESTS {
        errors.push(FieldError::new(
            "kinds",
            format!("at most {MAX_REQUESTS} kinds at once"),
        ));
        return Err(errors);
    }
    let mut seen = Vec::new();
    let mut choices = Vec::new();
    for (i, request) in requests.iter().enumerate() {
        let Some(kind) = NotificationKind::find(&request.kind) else {
            let known: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
            errors.push(FieldError::new(
                format!("kinds[{i}].kind"),
                format!(
                    "`{}` is not a notification kind (one of: {})",
                    request.kind,
                    known.join(", ")
                ),
            ));
            continue;
        };
        if seen.contains(&kind.name) {
            errors.push(FieldError::new(
                format!("kinds[{i}].kind"),
                format!("`{}` is named twice", kind.name),
            ));
            continue;
        }
        seen.push(kind.name);
        let mut choice = ChannelChoice {
            in_app: false,
            email: false,
        };
        for (j, name) in request.channels.iter().enumerate() {
            match Channel::parse(name) {
                Ok(Channel::InApp) => choice.in_app = true,
                Ok(Channel::Email) => choice.email = true,
                Err(refusal) => errors.push(FieldError::new(
                    format!("kinds[{i}].channels[{j}]"),
                    refusal.to_string(),
                )),
            }
        }
        choices.push((kind.name.to_owned(), choice));
    }
    if errors.is_empty() {
        Ok(choices)
    } else {
        Err(errors)
    }
}

impl NotificationService {
    fn settings_of(&self, preferences: &ChannelPreferences) -> ChannelSettings {
        ChannelSettings {
            kinds: KINDS
                .iter()
                .map(|kind| KindChannels {
                    kind,
                    choice: preferences.choice(kind.name),
                })
                .collect(),
            email_available: self.email_available(),
        }
    }

    /// The actor's channels for every kind.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn channel_settings(
        &self,
        actor: &Actor,
    ) -> Result<ChannelSettings, NotificationError> {
        actor.authorize(Action::ReadOwnAccount)?;
        let preferences = self
            .database
            .channel_preferences(actor.tenant_id, actor.user_id)
            .await?;
        Ok(self.settings_of(&preferences))
    }

    /// Sets the channels of the kinds named (the other kinds keep theirs).
    ///
    /// # Errors
    /// `Invalid` naming each unknown kind, kind named twice and unknown channel (`webhook`
    /// too: webhooks are chosen per organization).
    pub async fn choose_channels(
        &self,
        actor: &Actor,
        requests: &[KindRequest],
        context: &RequestContext,
    ) -> Result<ChannelSettings, NotificationError> {
        actor.authorize(Action::ManageOwnAccount)?;
        let choices = parse_requests(requests).map_err(NotificationError::Invalid)?;
        let uow = self.database.begin().await?;
        let mut preferences = uow
            .channel_preferences(actor.tenant_id, actor.user_id)
            .await?;
        for (kind, choice) in &choices {
            preferences
                .choose(kind, *choice)
                .map_err(|kind| NotificationError::Unexpected(format!("unlisted kind {kind}")))?;
        }
        uow.save_channel_preferences(
            actor.tenant_id,
            actor.user_id,
            &preferences,
            self.clock.now(),
        )
        .await?;
        let details: serde_json::Map<String, serde_json::Value> = choices
            .iter()
            .map(|(kind, choice)| {
                (
                    kind.clone(),
                    serde_json::json!({ "in_app": choice.in_app, "email": choice.email }),
                )
            })
            .collect();
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action: "notifications.preferences",
            entity_type: "user",
            entity_id: Some(actor.user_id.to_string()),
            details: serde_json::Value::Object(details),
        };
        audit_trail::record(
            self.clock.as_ref(),
            self.ids.as_ref(),
            uow.as_ref(),
            context,
            change,
        )
        .await?;
        uow.commit().await?;
        Ok(self.settings_of(&preferences))
    }

    /// The actor's emails, newest first, with where each stands.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn emails(
        &self,
        actor: &Actor,
        page: PageRequest,
    ) -> Result<Page<EmailDelivery>, NotificationError> {
        actor.authorize(Action::ReadOwnAccount)?;
        Ok(self
            .database
            .list_email_deliveries(actor.tenant_id, actor.user_id, page)
            .await?)
    }
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]
mod tests {
    use super::*;

    fn request(kind: &str, channels: &[&str]) -> KindRequest {
        KindRequest {
            kind: kind.to_owned(),
            channels: channels.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn every_bad_field_is_named() {
        let errors = parse_requests(&[
            request("alert.fired", &["email", "webhook"]),
            request("nope", &["in_app"]),
            request("alert.fired", &[]),
            request("test.reopen", &["sms"]),
        ])
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "kinds[0].channels[1]",
                "kinds[1].kind",
                "kinds[2].kind",
                "kinds[3].channels[0]"
            ]
        );
    }

    #[test]
    fn the_channels_named_are_on_and_the_others_off() {
        let choices = parse_requests(&[request("test.reopen", &["email"])]).unwrap();
        assert_eq!(
            choices,
            [(
                "test.reopen".to_owned(),
                ChannelChoice {
                    in_app: false,
                    email: true
                }
            )]
        );
    }
}
