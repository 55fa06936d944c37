//! Knowledge: playbooks per technique and kind, whose every edit is a new immutable version
//! (listed, compared line by line, restored as a newer version, soft deleted); lessons learned,
//! written by hand or drawn in one step from a finding or a completed campaign; and the
//! full-text search over the catalog and the organization's work.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use uuid::Uuid;

use aegis_domain::campaign::{CampaignId, CampaignStatus};
use aegis_domain::catalog::TechniqueId;
use aegis_domain::finding::{FindingId, Severity};
use aegis_domain::knowledge::{
    KnowledgeStats, Lesson, LessonFilter, LessonId, LessonLink, Playbook, PlaybookContent,
    PlaybookFilter, PlaybookId, PlaybookKind, PlaybookVersion, SearchHit, SearchKind, SearchQuery,
};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::{CatalogRepository, RepositoryError, Subject};
use aegis_domain::test_case::{Outcome, TestId};
use aegis_domain::workflow::TestState;

use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, RequestContext};
use crate::error::text_field as text;
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::idempotency::{IdempotencyKey, IdempotentRequest, Prior, fingerprint};
use crate::ports::{Clock, Database, IdGenerator, UnitOfWork};

#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid knowledge data")]
    Invalid(Vec<FieldError>),
    #[error("playbook not found")]
    PlaybookNotFound,
    #[error("playbook version not found")]
    VersionNotFound,
    #[error("lesson not found")]
    LessonNotFound,
    #[error("finding not found")]
    FindingNotFound,
    #[error("campaign not found")]
    CampaignNotFound,
    #[error("a lesson is drawn from a completed campaign; this one is {0}")]
    CampaignNotCompleted(&'static str),
    #[error("the playbook is deleted; restore it with `active: true` first")]
    PlaybookInactive,
    #[error("changed by someone else; reload it and retry")]
    VersionConflict,
    #[error("the Idempotency-Key was already used with a different request")]
    IdempotencyConflict,
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for KnowledgeError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::StaleVersion { .. } => Self::VersionConflict,
            RepositoryError::Duplicate(Subject::IdempotencyKey) => Self::IdempotencyConflict,
            RepositoryError::NotFound(aegis_domain::ports::Entity::Lesson) => Self::LessonNotFound,
            RepositoryError::NotFound(_) => Self::PlaybookNotFound,
            other => Self::Unexpected(unexpected(&other)),
        }
    }
}

impl Classified for KnowledgeError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::PlaybookNotFound
            | Self::VersionNotFound
            | Self::LessonNotFound
            | Self::FindingNotFound
            | Self::CampaignNotFound => ErrorKind::NotFound,
            Self::CampaignNotCompleted(_)
            | Self::PlaybookInactive
            | Self::VersionConflict
            | Self::IdempotencyConflict => ErrorKind::Conflict,
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::PlaybookNotFound => "PLAYBOOK_NOT_FOUND",
            Self::VersionNotFound => "PLAYBOOK_VERSION_NOT_FOUND",
            Self::LessonNotFound => "LESSON_NOT_FOUND",
            Self::FindingNotFound => "FINDING_NOT_FOUND",
            Self::CampaignNotFound => "CAMPAIGN_NOT_FOUND",
            Self::CampaignNotCompleted(_) => "CAMPAIGN_NOT_COMPLETED",
            Self::PlaybookInactive => "PLAYBOOK_INACTIVE",
            Self::VersionConflict => "VERSION_CONFLICT",
            Self::IdempotencyConflict => "IDEMPOTENCY_KEY_REUSED",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

const MAX_TITLE: usize = 300;
const MAX_BODY: usize = 100_000;
const MAX_ITEMS: usize = 50;
const MAX_ITEM: usize = 200;

fn items(field: &str, values: &[String], fields: &mut Vec<FieldError>) -> Vec<String> {
    if values.len() > MAX_ITEMS {
        fields.push(FieldError::new(
            field,
            format!("at most {MAX_ITEMS} entries"),
        ));
    }
    let cleaned: Vec<String> = values
        .iter()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    if cleaned.iter().any(|v| v.chars().count() > MAX_ITEM) {
        fields.push(FieldError::new(
            field,
            format!("each entry must be at most {MAX_ITEM} characters"),
        ));
    }
    cleaned
}

fn playbook_kind(field: &str, text: &str, fields: &mut Vec<FieldError>) -> Option<PlaybookKind> {
    let parsed = PlaybookKind::parse(text.trim());
    if parsed.is_none() {
        fields.push(FieldError::new(
            field,
            "must be attack, detect, investigate, respond or hunt",
        ));
    }
    parsed
}

fn severity(field: &str, text: &str, fields: &mut Vec<FieldError>) -> Option<Severity> {
    let parsed = Severity::parse(text.trim());
    if parsed.is_none() {
        fields.push(FieldError::new(
            field,
            "must be low, medium, high or critical",
        ));
    }
    parsed
}

/// A new playbook as a caller gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewPlaybook {
    pub technique_id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub tools: Vec<String>,
    pub prerequisites: Vec<String>,
}

/// Changes to a playbook; `None` leaves a field as it is. Any content change is a new version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlaybookChanges {
    pub technique_id: Option<String>,
    pub kind: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub tools: Option<Vec<String>>,
    pub prerequisites: Option<Vec<String>>,
    /// `true` undoes a soft delete.
    pub active: Option<bool>,
}

/// The playbook list's filters as a caller gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlaybookQuery {
    pub technique: Option<String>,
    pub kind: Option<String>,
    pub include_inactive: bool,
}

/// A new lesson as a caller gives it: linked to a test, a campaign, or nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewLesson {
    pub title: String,
    pub body: String,
    pub severity: String,
    pub test_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    pub technique_id: Option<String>,
}

/// Changes to a lesson; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LessonChanges {
    pub title: Option<String>,
    pub body: Option<String>,
    pub severity: Option<String>,
}

/// The lesson list's filters as a caller gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LessonQuery {
    pub severity: Option<String>,
    pub test_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
}

/// One line of a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineChange {
    Equal,
    Insert,
    Delete,
}

impl LineChange {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Equal => "equal",
            Self::Insert => "insert",
            Self::Delete => "delete",
        }
    }
}

/// Two versions of a playbook compared: which fields differ, and the body line by line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaybookDiff {
    pub from: PlaybookVersion,
    pub to: PlaybookVersion,
    /// Names of the fields other than the body that differ (title, technique_id, kind, tools,
    /// prerequisites).
    pub changed_fields: Vec<&'static str>,
    pub lines: Vec<(LineChange, String)>,
    /// The same body diff in unified format.
    pub unified: String,
}

/// The diff of two versions' bodies, line by line (Myers, through `similar`).
#[must_use]
pub fn diff_versions(from: PlaybookVersion, to: PlaybookVersion) -> PlaybookDiff {
    let diff = similar::TextDiff::from_lines(&from.content.body, &to.content.body);
    let lines = diff
        .iter_all_changes()
        .map(|change| {
            let kind = match change.tag() {
                similar::ChangeTag::Equal => LineChange::Equal,
                similar::ChangeTag::Insert => LineChange::Insert,
                similar::ChangeTag::Delete => LineChange::Delete,
            };
            let line = change.value();
            (kind, line.strip_suffix('\n').unwrap_or(line).to_owned())
        })
        .collect();
    let unified = diff
        .unified_diff()
        .header(
            &format!("version {}", from.number),
            &format!("version {}", to.number),
        )
        .to_string();
    let (a, b) = (&from.content, &to.content);
    let changed_fields = [
        ("title", a.title != b.title),
        ("technique_id", a.technique_id != b.technique_id),
        ("kind", a.kind != b.kind),
        ("tools", a.tools != b.tools),
        ("prerequisites", a.prerequisites != b.prerequisites),
    ]
    .into_iter()
    .filter_map(|(name, changed)| changed.then_some(name))
    .collect();
    PlaybookDiff {
        from,
        to,
        changed_fields,
        lines,
        unified,
    }
}

#[derive(Clone)]
pub struct KnowledgeService {
    database: Arc<dyn Database>,
    catalog: Arc<dyn CatalogRepository>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl KnowledgeService {
    pub fn new(
        database: Arc<dyn Database>,
        catalog: Arc<dyn CatalogRepository>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            database,
            catalog,
            clock,
            ids,
        }
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "an audit entry names its actor, action, entity and details"
    )]
    async fn audit(
        &self,
        uow: &dyn UnitOfWork,
        context: &RequestContext,
        actor: &Actor,
        action: &str,
        entity_type: &str,
        entity_id: String,
        details: serde_json::Value,
    ) -> Result<(), RepositoryError> {
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action,
            entity_type,
            entity_id: Some(entity_id),
            details,
        };
        audit_trail::record(self.clock.as_ref(), self.ids.as_ref(), uow, context, change).await
    }

    /// A technique id that parses and is in the catalog. Read before any unit of work opens:
    /// the catalog is another port.
    async fn known_technique(
        &self,
        field: &str,
        text: &str,
        fields: &mut Vec<FieldError>,
    ) -> Result<Option<TechniqueId>, KnowledgeError> {
        let id = match TechniqueId::parse(text.trim()) {
            Ok(id) => id,
            Err(e) => {
                fields.push(FieldError::new(field, e.to_string()));
                return Ok(None);
            }
        };
        if self.catalog.find_technique(&id).await?.is_none() {
            fields.push(FieldError::new(
                field,
                format!("{id} is not in the ATT&CK catalog"),
            ));
            return Ok(None);
        }
        Ok(Some(id))
    }

    // ---- playbooks ----

    /// # Errors
    /// `Invalid` naming a bad technique or kind filter.
    pub async fn list_playbooks(
        &self,
        actor: &Actor,
        query: &PlaybookQuery,
        page: PageRequest,
    ) -> Result<Page<Playbook>, KnowledgeError> {
        actor.authorize(Action::ReadOperations)?;
        let mut fields = Vec::new();
        let technique = query.technique.as_deref().and_then(|t| {
            TechniqueId::parse(t.trim())
                .map_err(|e| fields.push(FieldError::new("technique", e.to_string())))
                .ok()
        });
        let kind = query
            .kind
            .as_deref()
            .and_then(|k| playbook_kind("type", k, &mut fields));
        if !fields.is_empty() {
            return Err(KnowledgeError::Invalid(fields));
        }
        let filter = PlaybookFilter {
            technique,
            kind,
            include_inactive: query.include_inactive,
        };
        Ok(self
            .database
            .list_playbooks(actor.tenant_id, &filter, page)
            .await?)
    }

    /// Writes a playbook and its first version. Accepts an Idempotency-Key.
    ///
    /// # Errors
    /// `Forbidden` for viewers; `Invalid` naming the fields.
    pub async fn create_playbook(
        &self,
        actor: &Actor,
        request: NewPlaybook,
        key: Option<&IdempotencyKey>,
        context: &RequestContext,
    ) -> Result<Playbook, KnowledgeError> {
        actor.authorize(Action::ManageKnowledge)?;
        let mut fields = Vec::new();
        let technique = self
            .known_technique("technique_id", &request.technique_id, &mut fields)
            .await?;
        let kind = playbook_kind("type", &request.kind, &mut fields);
        let title = text("title", &request.title, MAX_TITLE, true, &mut fields);
        let body = text("body", &request.body, MAX_BODY, true, &mut fields);
        let tools = items("tools", &request.tools, &mut fields);
        let prerequisites = items("prerequisites", &request.prerequisites, &mut fields);
        let (Some(technique_id), Some(kind), true) = (technique, kind, fields.is_empty()) else {
            return Err(KnowledgeError::Invalid(fields));
        };
        let tenant = actor.tenant_id;
        let idempotent = key.map(|key| IdempotentRequest {
            tenant,
            actor: actor.user_id,
            scope: "playbooks.create",
            key,
            fingerprint: fingerprint(&request),
        });
        let uow = self.database.begin().await?;
        if let Some(idempotent) = &idempotent {
            match idempotent.prior::<Uuid>(uow.as_ref()).await? {
                Prior::Replay(id) => {
                    return uow
                        .find_playbook(tenant, PlaybookId::from_uuid(id))
                        .await?
                        .ok_or(KnowledgeError::PlaybookNotFound);
                }
                Prior::Conflict => return Err(KnowledgeError::IdempotencyConflict),
                Prior::None => {}
            }
        }
        let now = self.clock.now();
        let content = PlaybookContent {
            technique_id,
            kind,
            title,
            body,
            tools,
            prerequisites,
        };
        let (playbook, first) = Playbook::create(
            PlaybookId::from_uuid(self.ids.new_id()),
            tenant,
            content,
            actor.user_id,
            now,
        );
        uow.insert_playbook(tenant, &playbook, &first).await?;
        self.audit(
            uow.as_ref(),
            context,
            actor,
            "playbook.created",
            "playbook",
            playbook.id.to_string(),
            serde_json::json!({
                "technique_id": playbook.content.technique_id.as_str(),
                "type": kind.as_str(), "version": 1,
            }),
        )
        .await?;
        if let Some(idempotent) = &idempotent {
            idempotent
                .remember(uow.as_ref(), &playbook.id.as_uuid(), now)
                .await?;
        }
        uow.commit().await?;
        Ok(playbook)
    }

    /// Active or not.
    ///
    /// # Errors
    /// `PlaybookNotFound`.
    pub async fn get_playbook(
        &self,
        actor: &Actor,
        id: PlaybookId,
    ) -> Result<Playbook, KnowledgeError> {
        actor.authorize(Action::ReadOperations)?;
        self.database
            .find_playbook(actor.tenant_id, id)
            .await?
            .ok_or(KnowledgeError::PlaybookNotFound)
    }

    /// Changes the content as a new version (none when nothing changed), and may undo a soft
    /// delete. `expected_version`, when given, must be the current version.
    ///
    /// # Errors
    /// `Invalid` naming the fields; `VersionConflict`; `PlaybookInactive` for a content change
    /// to a deleted playbook that is not also restored.
    pub async fn update_playbook(
        &self,
        actor: &Actor,
        id: PlaybookId,
        changes: PlaybookChanges,
        expected_version: Option<i32>,
        context: &RequestContext,
    ) -> Result<Playbook, KnowledgeError> {
        actor.authorize(Action::ManageKnowledge)?;
        let mut fields = Vec::new();
        let technique = match &changes.technique_id {
            Some(t) => self.known_technique("technique_id", t, &mut fields).await?,
            None => None,
        };
        let kind = changes
            .kind
            .as_deref()
            .and_then(|k| playbook_kind("type", k, &mut fields));
        let title = changes
            .title
            .as_deref()
            .map(|t| text("title", t, MAX_TITLE, true, &mut fields));
        let body = changes
            .body
            .as_deref()
            .map(|b| text("body", b, MAX_BODY, true, &mut fields));
        let tools = changes
            .tools
            .as_deref()
            .map(|t| items("tools", t, &mut fields));
        let prerequisites = changes
            .prerequisites
            .as_deref()
            .map(|p| items("prerequisites", p, &mut fields));
        if !fields.is_empty() {
            return Err(KnowledgeError::Invalid(fields));
        }
        let uow = self.database.begin().await?;
        let mut playbook = uow
            .find_playbook(actor.tenant_id, id)
            .await?
            .ok_or(KnowledgeError::PlaybookNotFound)?;
        if expected_version.is_some_and(|v| v != playbook.version()) {
            return Err(KnowledgeError::VersionConflict);
        }
        let now = self.clock.now();
        let reactivated = changes.active == Some(true) && !playbook.active;
        let deactivated = changes.active == Some(false) && playbook.active;
        let mut content = playbook.content.clone();
        if let Some(technique) = technique {
            content.technique_id = technique;
        }
        if let Some(kind) = kind {
            content.kind = kind;
        }
        if let Some(title) = title {
            content.title = title;
        }
        if let Some(body) = body {
            content.body = body;
        }
        if let Some(tools) = tools {
            content.tools = tools;
        }
        if let Some(prerequisites) = prerequisites {
            content.prerequisites = prerequisites;
        }
        let content_changed = content != playbook.content;
        if content_changed && !playbook.active && !reactivated {
            return Err(KnowledgeError::PlaybookInactive);
        }
        if !content_changed && !reactivated && !deactivated {
            return Ok(playbook);
        }
        let mut expected = playbook.version();
        if reactivated || deactivated {
            expected = playbook.set_active(reactivated, actor.user_id, now);
        }
        let version = playbook
            .revise(content, actor.user_id, now, None)
            .map(|(_, version)| version);
        uow.update_playbook(actor.tenant_id, &playbook, expected, version.as_ref())
            .await?;
        self.audit(
            uow.as_ref(),
            context,
            actor,
            "playbook.updated",
            "playbook",
            playbook.id.to_string(),
            serde_json::json!({
                "version": playbook.version(), "active": playbook.active,
                "new_version": version.is_some(),
            }),
        )
        .await?;
        uow.commit().await?;
        Ok(playbook)
    }

    /// Soft delete: the playbook and its versions stay, listed with `include_inactive`.
    ///
    /// # Errors
    /// `PlaybookNotFound`.
    pub async fn delete_playbook(
        &self,
        actor: &Actor,
        id: PlaybookId,
        context: &RequestContext,
    ) -> Result<(), KnowledgeError> {
        actor.authorize(Action::ManageKnowledge)?;
        let uow = self.database.begin().await?;
        let mut playbook = uow
            .find_playbook(actor.tenant_id, id)
            .await?
            .ok_or(KnowledgeError::PlaybookNotFound)?;
        if !playbook.active {
            return Ok(());
        }
        let expected = playbook.set_active(false, actor.user_id, self.clock.now());
        uow.update_playbook(actor.tenant_id, &playbook, expected, None)
            .await?;
        self.audit(
            uow.as_ref(),
            context,
            actor,
            "playbook.deleted",
            "playbook",
            playbook.id.to_string(),
            serde_json::json!({"version": playbook.version()}),
        )
        .await?;
        uow.commit().await?;
        Ok(())
    }

    /// Every version, newest first.
    ///
    /// # Errors
    /// `PlaybookNotFound`.
    pub async fn versions(
        &self,
        actor: &Actor,
        id: PlaybookId,
    ) -> Result<Vec<PlaybookVersion>, KnowledgeError> {
        self.get_playbook(actor, id).await?;
        Ok(self.database.playbook_versions(actor.tenant_id, id).await?)
    }

    /// # Errors
    /// `PlaybookNotFound`, `VersionNotFound`.
    pub async fn version(
        &self,
        actor: &Actor,
        id: PlaybookId,
        number: i32,
    ) -> Result<PlaybookVersion, KnowledgeError> {
        self.get_playbook(actor, id).await?;
        self.database
            .playbook_version(actor.tenant_id, id, number)
            .await?
            .ok_or(KnowledgeError::VersionNotFound)
    }

    /// Version `from` against version `to`.
    ///
    /// # Errors
    /// `PlaybookNotFound`; `Invalid` naming `from` or `to` when that version does not exist.
    pub async fn diff(
        &self,
        actor: &Actor,
        id: PlaybookId,
        from: i32,
        to: i32,
    ) -> Result<PlaybookDiff, KnowledgeError> {
        self.get_playbook(actor, id).await?;
        let mut fields = Vec::new();
        let mut load = async |field: &str, number: i32| -> Result<_, KnowledgeError> {
            let found = self
                .database
                .playbook_version(actor.tenant_id, id, number)
                .await?;
            if found.is_none() {
                fields.push(FieldError::new(
                    field,
                    format!("the playbook has no version {number}"),
                ));
            }
            Ok(found)
        };
        let a = load("from", from).await?;
        let b = load("to", to).await?;
        match (a, b) {
            (Some(a), Some(b)) => Ok(diff_versions(a, b)),
            _ => Err(KnowledgeError::Invalid(fields)),
        }
    }

    /// Makes version `number`'s content the current one, as a new version that says which one
    /// it restored. Restoring the content already current changes nothing.
    ///
    /// # Errors
    /// `PlaybookNotFound`, `VersionNotFound`, `PlaybookInactive`.
    pub async fn restore(
        &self,
        actor: &Actor,
        id: PlaybookId,
        number: i32,
        context: &RequestContext,
    ) -> Result<Playbook, KnowledgeError> {
        actor.authorize(Action::ManageKnowledge)?;
        let uow = self.database.begin().await?;
        let mut playbook = uow
            .find_playbook(actor.tenant_id, id)
            .await?
            .ok_or(KnowledgeError::PlaybookNotFound)?;
        let old = uow
            .playbook_version(actor.tenant_id, id, number)
            .await?
            .ok_or(KnowledgeError::VersionNotFound)?;
        if !playbook.active {
            return Err(KnowledgeError::PlaybookInactive);
        }
        let Some((expected, version)) =
            playbook.revise(old.content, actor.user_id, self.clock.now(), Some(number))
        else {
            return Ok(playbook);
        };
        uow.update_playbook(actor.tenant_id, &playbook, expected, Some(&version))
            .await?;
        self.audit(
            uow.as_ref(),
            context,
            actor,
            "playbook.restored",
            "playbook",
            playbook.id.to_string(),
            serde_json::json!({"restored": number, "version": version.number}),
        )
        .await?;
        uow.commit().await?;
        Ok(playbook)
    }

    // ---- lessons ----

    /// # Errors
    /// `Invalid` naming a bad severity filter.
    pub async fn list_lessons(
        &self,
        actor: &Actor,
        query: &LessonQuery,
        page: PageRequest,
    ) -> Result<Page<Lesson>, KnowledgeError> {
        actor.authorize(Action::ReadOperations)?;
        let mut fields = Vec::new();
        let severity = query
            .severity
            .as_deref()
            .and_then(|s| severity("severity", s, &mut fields));
        if !fields.is_empty() {
            return Err(KnowledgeError::Invalid(fields));
        }
        let filter = LessonFilter {
            severity,
            test: query.test_id.map(TestId::from_uuid),
            campaign: query.campaign_id.map(CampaignId::from_uuid),
        };
        Ok(self
            .database
            .list_lessons(actor.tenant_id, &filter, page)
            .await?)
    }

    /// Writes a lesson by hand. Accepts an Idempotency-Key.
    ///
    /// # Errors
    /// `Invalid` naming the fields (an unknown test or campaign, both at once).
    pub async fn create_lesson(
        &self,
        actor: &Actor,
        request: NewLesson,
        key: Option<&IdempotencyKey>,
        context: &RequestContext,
    ) -> Result<Lesson, KnowledgeError> {
        actor.authorize(Action::ManageKnowledge)?;
        let mut fields = Vec::new();
        let title = text("title", &request.title, MAX_TITLE, true, &mut fields);
        let body = text("body", &request.body, MAX_BODY, false, &mut fields);
        let severity = severity("severity", &request.severity, &mut fields);
        let technique = match &request.technique_id {
            Some(t) => self.known_technique("technique_id", t, &mut fields).await?,
            None => None,
        };
        if request.test_id.is_some() && request.campaign_id.is_some() {
            fields.push(FieldError::new(
                "campaign_id",
                "a lesson is linked to a test or a campaign, not both",
            ));
        }
        let tenant = actor.tenant_id;
        let uow = self.database.begin().await?;
        let link = match (request.test_id, request.campaign_id) {
            (Some(test), None) => {
                if uow
                    .find_test(tenant, TestId::from_uuid(test))
                    .await?
                    .is_none()
                {
                    fields.push(FieldError::new(
                        "test_id",
                        "is not a test of this organization",
                    ));
                }
                LessonLink::Test(TestId::from_uuid(test))
            }
            (None, Some(campaign)) => {
                let id = CampaignId::from_uuid(campaign);
                if uow.find_campaign(tenant, id).await?.is_none() {
                    fields.push(FieldError::new(
                        "campaign_id",
                        "is not a campaign of this organization",
                    ));
                }
                LessonLink::Campaign(id)
            }
            _ => LessonLink::Nothing,
        };
        let Some(severity) = severity.filter(|_| fields.is_empty()) else {
            return Err(KnowledgeError::Invalid(fields));
        };
        let idempotent = key.map(|key| IdempotentRequest {
            tenant,
            actor: actor.user_id,
            scope: "lessons.create",
            key,
            fingerprint: fingerprint(&request),
        });
        if let Some(idempotent) = &idempotent {
            match idempotent.prior::<Uuid>(uow.as_ref()).await? {
                Prior::Replay(id) => {
                    return uow
                        .find_lesson(tenant, LessonId::from_uuid(id))
                        .await?
                        .ok_or(KnowledgeError::LessonNotFound);
                }
                Prior::Conflict => return Err(KnowledgeError::IdempotencyConflict),
                Prior::None => {}
            }
        }
        let now = self.clock.now();
        let mut lesson = Lesson::new(
            LessonId::from_uuid(self.ids.new_id()),
            tenant,
            title,
            severity,
            actor.user_id,
            now,
        );
        lesson.body = body;
        lesson.link = link;
        lesson.technique_id = technique;
        uow.insert_lesson(tenant, &lesson).await?;
        self.audit(
            uow.as_ref(),
            context,
            actor,
            "lesson.created",
            "lesson",
            lesson.id.to_string(),
            serde_json::json!({"severity": severity.as_str(), "link": lesson.link.kind()}),
        )
        .await?;
        if let Some(idempotent) = &idempotent {
            idempotent
                .remember(uow.as_ref(), &lesson.id.as_uuid(), now)
                .await?;
        }
        uow.commit().await?;
        Ok(lesson)
    }

    /// A lesson drawn from a finding in one step: its title, severity, test and technique,
    /// and a body that records the gap, its remediation and any accepted risk.
    ///
    /// # Errors
    /// `FindingNotFound`.
    pub async fn lesson_from_finding(
        &self,
        actor: &Actor,
        finding: FindingId,
        context: &RequestContext,
    ) -> Result<Lesson, KnowledgeError> {
        actor.authorize(Action::ManageKnowledge)?;
        let tenant = actor.tenant_id;
        let uow = self.database.begin().await?;
        let finding = uow
            .find_finding(tenant, finding)
            .await?
            .ok_or(KnowledgeError::FindingNotFound)?;
        let status = finding.status().as_str().replace('_', " ");
        let mut body = match (finding.outcome(), finding.vulnerability()) {
            (Some(outcome), _) => format!(
                "The validated test of {technique} was **{phrase}**: the defence {verb}.\n\n\
                 Finding status: {status}.\n",
                technique = finding
                    .technique_id
                    .as_ref()
                    .map_or("its technique", |t| t.as_str()),
                phrase = outcome.as_str().replace('_', " "),
                verb = if outcome == Outcome::Logged {
                    "only logged it"
                } else {
                    "missed it"
                },
            ),
            (None, Some(vulnerability)) => format!(
                "{scanner} reported **{rule}**: {message}\n\nFinding status: {status}.\n",
                scanner = vulnerability.scanner.name,
                rule = vulnerability.rule_id,
                message = vulnerability.message,
            ),
            (None, None) => format!("Finding status: {status}.\n"),
        };
        if !finding.steps.is_empty() {
            body.push_str("\n## Remediation\n\n");
            for step in &finding.steps {
                body.push_str(&format!(
                    "- [{}] {}\n",
                    if step.status.as_str() == "done" {
                        "x"
                    } else {
                        " "
                    },
                    step.title
                ));
            }
        }
        if let Some(acceptance) = &finding.risk_acceptance {
            body.push_str(&format!(
                "\n## Accepted risk\n\n{} (until {})\n",
                acceptance.reason, acceptance.expires_on
            ));
        }
        let mut lesson = Lesson::new(
            LessonId::from_uuid(self.ids.new_id()),
            tenant,
            finding.title.chars().take(MAX_TITLE).collect(),
            finding.severity,
            actor.user_id,
            self.clock.now(),
        );
        lesson.body = body;
        if let Some(test) = finding.test_id() {
            lesson.link = LessonLink::Test(test);
        }
        lesson.finding_id = Some(finding.id);
        lesson.technique_id = finding.technique_id.clone();
        uow.insert_lesson(tenant, &lesson).await?;
        self.audit(
            uow.as_ref(),
            context,
            actor,
            "lesson.created",
            "lesson",
            lesson.id.to_string(),
            serde_json::json!({"finding_id": finding.id, "severity": lesson.severity.as_str()}),
        )
        .await?;
        uow.commit().await?;
        Ok(lesson)
    }

    /// A lesson drawn from a completed campaign in one step: its results per outcome and the
    /// techniques it left uncovered; as severe as its worst validated outcome.
    ///
    /// # Errors
    /// `CampaignNotFound`; `CampaignNotCompleted`.
    pub async fn lesson_from_campaign(
        &self,
        actor: &Actor,
        campaign: CampaignId,
        context: &RequestContext,
    ) -> Result<Lesson, KnowledgeError> {
        actor.authorize(Action::ManageKnowledge)?;
        let tenant = actor.tenant_id;
        let uow = self.database.begin().await?;
        let campaign = uow
            .find_campaign(tenant, campaign)
            .await?
            .ok_or(KnowledgeError::CampaignNotFound)?;
        if campaign.status() != CampaignStatus::Completed {
            return Err(KnowledgeError::CampaignNotCompleted(
                campaign.status().as_str(),
            ));
        }
        let tests = uow.tests_of_campaign(tenant, campaign.id).await?;
        let validated: Vec<_> = tests
            .iter()
            .filter(|t| t.workflow().state() == TestState::Validated)
            .collect();
        let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
        for outcome in validated.iter().filter_map(|t| t.blue.outcome) {
            *outcomes.entry(outcome.as_str()).or_default() += 1;
        }
        let gaps: Vec<String> = validated
            .iter()
            .filter(|t| matches!(t.blue.outcome, Some(Outcome::Logged | Outcome::NotDetected)))
            .map(|t| format!("- {} — {}", t.technique_id, t.title))
            .collect();
        let severity = if outcomes.contains_key(Outcome::NotDetected.as_str()) {
            Severity::High
        } else if outcomes.contains_key(Outcome::Logged.as_str()) {
            Severity::Medium
        } else {
            Severity::Low
        };
        let mut body = format!(
            "Campaign **{}** completed with {} tests, {} validated.\n\n",
            campaign.name,
            tests.len(),
            validated.len()
        );
        if !campaign.objective.is_empty() {
            body.push_str(&format!("Objective: {}\n\n", campaign.objective));
        }
        body.push_str("## Outcomes\n\n");
        for (outcome, n) in &outcomes {
            body.push_str(&format!("- {}: {n}\n", outcome.replace('_', " ")));
        }
        if !gaps.is_empty() {
            body.push_str("\n## Gaps\n\n");
            body.push_str(&gaps.join("\n"));
            body.push('\n');
        }
        let mut lesson = Lesson::new(
            LessonId::from_uuid(self.ids.new_id()),
            tenant,
            format!("Lessons from {}", campaign.name)
                .chars()
                .take(MAX_TITLE)
                .collect(),
            severity,
            actor.user_id,
            self.clock.now(),
        );
        lesson.body = body;
        lesson.link = LessonLink::Campaign(campaign.id);
        uow.insert_lesson(tenant, &lesson).await?;
        self.audit(
            uow.as_ref(),
            context,
            actor,
            "lesson.created",
            "lesson",
            lesson.id.to_string(),
            serde_json::json!({"campaign_id": campaign.id, "severity": severity.as_str()}),
        )
        .await?;
        uow.commit().await?;
        Ok(lesson)
    }

    /// # Errors
    /// `LessonNotFound`.
    pub async fn get_lesson(&self, actor: &Actor, id: LessonId) -> Result<Lesson, KnowledgeError> {
        actor.authorize(Action::ReadOperations)?;
        self.database
            .find_lesson(actor.tenant_id, id)
            .await?
            .ok_or(KnowledgeError::LessonNotFound)
    }

    /// # Errors
    /// `LessonNotFound`; `Invalid` naming the fields; `VersionConflict`.
    pub async fn update_lesson(
        &self,
        actor: &Actor,
        id: LessonId,
        changes: LessonChanges,
        expected_version: Option<i32>,
        context: &RequestContext,
    ) -> Result<Lesson, KnowledgeError> {
        actor.authorize(Action::ManageKnowledge)?;
        let mut fields = Vec::new();
        let title = changes
            .title
            .as_deref()
            .map(|t| text("title", t, MAX_TITLE, true, &mut fields));
        let body = changes
            .body
            .as_deref()
            .map(|b| text("body", b, MAX_BODY, false, &mut fields));
        let new_severity = changes
            .severity
            .as_deref()
            .map(|s| severity("severity", s, &mut fields));
        if !fields.is_empty() {
            return Err(KnowledgeError::Invalid(fields));
        }
        let uow = self.database.begin().await?;
        let mut lesson = uow
            .find_lesson(actor.tenant_id, id)
            .await?
            .ok_or(KnowledgeError::LessonNotFound)?;
        if expected_version.is_some_and(|v| v != lesson.version()) {
            return Err(KnowledgeError::VersionConflict);
        }
        if let Some(title) = title {
            lesson.title = title;
        }
        if let Some(body) = body {
            lesson.body = body;
        }
        if let Some(Some(severity)) = new_severity {
            lesson.severity = severity;
        }
        let expected = lesson.record_change(self.clock.now());
        uow.update_lesson(actor.tenant_id, &lesson, expected)
            .await?;
        self.audit(
            uow.as_ref(),
            context,
            actor,
            "lesson.updated",
            "lesson",
            lesson.id.to_string(),
            serde_json::json!({"version": lesson.version()}),
        )
        .await?;
        uow.commit().await?;
        Ok(lesson)
    }

    /// # Errors
    /// `LessonNotFound`.
    pub async fn delete_lesson(
        &self,
        actor: &Actor,
        id: LessonId,
        context: &RequestContext,
    ) -> Result<(), KnowledgeError> {
        actor.authorize(Action::ManageKnowledge)?;
        let uow = self.database.begin().await?;
        uow.delete_lesson(actor.tenant_id, id).await?;
        self.audit(
            uow.as_ref(),
            context,
            actor,
            "lesson.deleted",
            "lesson",
            id.to_string(),
            serde_json::json!({}),
        )
        .await?;
        uow.commit().await?;
        Ok(())
    }

    /// # Errors
    /// `Forbidden` only for a caller that cannot read operations.
    pub async fn stats(&self, actor: &Actor) -> Result<KnowledgeStats, KnowledgeError> {
        actor.authorize(Action::ReadOperations)?;
        Ok(self.database.knowledge_stats(actor.tenant_id).await?)
    }

    // ---- search ----

    /// Ranked, typed hits for `text` over `types` (all when empty).
    ///
    /// # Errors
    /// `Invalid` naming `q` (no word, too long, too many words), `types` (an unknown type) or
    /// `limit` (out of 1..=50).
    pub async fn search(
        &self,
        actor: &Actor,
        text: &str,
        types: Option<&str>,
        limit: Option<u64>,
    ) -> Result<Vec<SearchHit>, KnowledgeError> {
        actor.authorize(Action::ReadOperations)?;
        let mut fields = Vec::new();
        let mut kinds = Vec::new();
        for name in types
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            match SearchKind::parse(name) {
                Some(kind) => kinds.push(kind),
                None => fields.push(FieldError::new(
                    "types",
                    format!(
                        "unknown type `{name}`: expected technique, test, playbook, lesson, \
                         rule or template"
                    ),
                )),
            }
        }
        if limit.is_some_and(|l| l == 0 || l > SearchQuery::MAX_LIMIT) {
            fields.push(FieldError::new(
                "limit",
                format!("must be between 1 and {}", SearchQuery::MAX_LIMIT),
            ));
        }
        let query = SearchQuery::parse(text, kinds, limit.unwrap_or(SearchQuery::DEFAULT_LIMIT))
            .map_err(|e| fields.push(FieldError::new("q", e.to_string())));
        match query {
            Ok(query) if fields.is_empty() => {
                Ok(self.database.search(actor.tenant_id, &query).await?)
            }
            _ => Err(KnowledgeError::Invalid(fields)),
        }
    }
}
