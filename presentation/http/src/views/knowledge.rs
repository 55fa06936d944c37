//! The wire types of [`crate::routes::knowledge`]: playbooks, their versions and diffs,
//! lessons learned, the knowledge statistics and search hits.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_application::knowledge::{
    LessonChanges, LessonQuery, NewLesson, NewPlaybook, PlaybookChanges, PlaybookDiff,
    PlaybookQuery,
};
use aegis_domain::knowledge::{
    KnowledgeStats, Lesson, LessonLink, Playbook, PlaybookVersion, SearchHit, SearchKind,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct PlaybookView {
    pub id: Uuid,
    pub technique_id: String,
    /// attack, detect, investigate, respond or hunt.
    #[serde(rename = "type")]
    #[schema(value_type = crate::views::enums::PlaybookType)]
    pub kind: String,
    pub title: String,
    /// Markdown (rendered without raw HTML by the UI).
    pub body: String,
    pub tools: Vec<String>,
    pub prerequisites: Vec<String>,
    /// False once deleted (soft delete).
    pub active: bool,
    /// The number of the current version.
    pub version: i32,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_by: Uuid,
    pub updated_at: DateTime<Utc>,
}

impl From<Playbook> for PlaybookView {
    fn from(p: Playbook) -> Self {
        let version = p.version();
        let c = p.content;
        Self {
            id: p.id.as_uuid(),
            technique_id: c.technique_id.to_string(),
            kind: c.kind.as_str().to_owned(),
            title: c.title,
            body: c.body,
            tools: c.tools,
            prerequisites: c.prerequisites,
            active: p.active,
            version,
            created_by: p.created_by.as_uuid(),
            created_at: p.created_at,
            updated_by: p.updated_by.as_uuid(),
            updated_at: p.updated_at,
        }
    }
}

/// One immutable version of a playbook.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaybookVersionView {
    pub playbook_id: Uuid,
    pub number: i32,
    pub technique_id: String,
    #[serde(rename = "type")]
    #[schema(value_type = crate::views::enums::PlaybookType)]
    pub kind: String,
    pub title: String,
    pub body: String,
    pub tools: Vec<String>,
    pub prerequisites: Vec<String>,
    /// Who wrote this version.
    pub author: Uuid,
    pub created_at: DateTime<Utc>,
    /// The version this one restored, when it was made by a restore.
    pub restored_from: Option<i32>,
}

impl From<PlaybookVersion> for PlaybookVersionView {
    fn from(v: PlaybookVersion) -> Self {
        let c = v.content;
        Self {
            playbook_id: v.playbook_id.as_uuid(),
            number: v.number,
            technique_id: c.technique_id.to_string(),
            kind: c.kind.as_str().to_owned(),
            title: c.title,
            body: c.body,
            tools: c.tools,
            prerequisites: c.prerequisites,
            author: v.author.as_uuid(),
            created_at: v.created_at,
            restored_from: v.restored_from,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiffLineView {
    /// equal, insert or delete.
    #[schema(value_type = crate::views::enums::DiffOp)]
    pub op: String,
    /// The line without its line break.
    pub text: String,
}

/// Two versions compared: the fields that differ and the body line by line.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaybookDiffView {
    pub from: i32,
    pub to: i32,
    /// Fields other than the body that differ: title, technique_id, kind, tools, prerequisites.
    pub changed_fields: Vec<String>,
    pub lines: Vec<DiffLineView>,
    /// The body diff in unified format.
    pub unified: String,
}

impl From<PlaybookDiff> for PlaybookDiffView {
    fn from(d: PlaybookDiff) -> Self {
        Self {
            from: d.from.number,
            to: d.to.number,
            changed_fields: d.changed_fields.iter().map(|f| (*f).to_owned()).collect(),
            lines: d
                .lines
                .into_iter()
                .map(|(op, text)| DiffLineView {
                    op: op.as_str().to_owned(),
                    text,
                })
                .collect(),
            unified: d.unified,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePlaybookRequest {
    /// An ATT&CK technique id in the catalog.
    pub technique_id: String,
    #[serde(rename = "type")]
    #[schema(value_type = crate::views::enums::PlaybookType)]
    pub kind: String,
    #[schema(max_length = 300)]
    pub title: String,
    /// Markdown.
    pub body: String,
    #[serde(default)]
    pub tools: Vec<String>,
    #[serde(default)]
    pub prerequisites: Vec<String>,
}

impl From<CreatePlaybookRequest> for NewPlaybook {
    fn from(r: CreatePlaybookRequest) -> Self {
        Self {
            technique_id: r.technique_id,
            kind: r.kind,
            title: r.title,
            body: r.body,
            tools: r.tools,
            prerequisites: r.prerequisites,
        }
    }
}

/// Fields left out stay as they are; a content change makes a new version.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePlaybookRequest {
    pub technique_id: Option<String>,
    #[serde(rename = "type")]
    #[schema(value_type = Option<crate::views::enums::PlaybookType>)]
    pub kind: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub tools: Option<Vec<String>>,
    pub prerequisites: Option<Vec<String>>,
    /// `true` undoes a delete; `false` deletes.
    pub active: Option<bool>,
    /// The version you read (or send `If-Match`).
    pub version: Option<i32>,
}

impl From<UpdatePlaybookRequest> for PlaybookChanges {
    fn from(r: UpdatePlaybookRequest) -> Self {
        Self {
            technique_id: r.technique_id,
            kind: r.kind,
            title: r.title,
            body: r.body,
            tools: r.tools,
            prerequisites: r.prerequisites,
            active: r.active,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlaybookListQuery {
    /// Only this technique's playbooks (an ATT&CK id).
    pub technique: Option<String>,
    /// Only playbooks of this type.
    #[serde(rename = "type")]
    #[param(value_type = Option<crate::views::enums::PlaybookType>)]
    pub kind: Option<String>,
    /// Also deleted playbooks (default false).
    pub include_inactive: Option<bool>,
}

impl From<PlaybookListQuery> for PlaybookQuery {
    fn from(q: PlaybookListQuery) -> Self {
        Self {
            technique: q.technique,
            kind: q.kind,
            include_inactive: q.include_inactive.unwrap_or(false),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// The older version's number.
    pub from: i32,
    /// The newer version's number.
    pub to: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LessonView {
    pub id: Uuid,
    pub title: String,
    /// Markdown.
    pub body: String,
    #[schema(value_type = crate::views::enums::Severity)]
    pub severity: String,
    /// What the lesson is linked to.
    #[schema(value_type = crate::views::enums::LessonLinkKind)]
    pub link: String,
    pub test_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    /// Attack paths are not stored yet; always null for now.
    pub attack_path_id: Option<Uuid>,
    /// The finding it was drawn from.
    pub finding_id: Option<Uuid>,
    pub technique_id: Option<String>,
    pub version: i32,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Lesson> for LessonView {
    fn from(l: Lesson) -> Self {
        let version = l.version();
        let (test_id, campaign_id) = match l.link {
            LessonLink::Nothing => (None, None),
            LessonLink::Test(t) => (Some(t.as_uuid()), None),
            LessonLink::Campaign(c) => (None, Some(c.as_uuid())),
        };
        Self {
            id: l.id.as_uuid(),
            title: l.title,
            body: l.body,
            severity: l.severity.as_str().to_owned(),
            link: l.link.kind().to_owned(),
            test_id,
            campaign_id,
            attack_path_id: None,
            finding_id: l.finding_id.map(|f| f.as_uuid()),
            technique_id: l.technique_id.map(|t| t.to_string()),
            version,
            created_by: l.created_by.as_uuid(),
            created_at: l.created_at,
            updated_at: l.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLessonRequest {
    #[schema(max_length = 300)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[schema(value_type = crate::views::enums::Severity)]
    pub severity: String,
    /// Link to a test (or a campaign, not both).
    pub test_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    pub technique_id: Option<String>,
}

impl From<CreateLessonRequest> for NewLesson {
    fn from(r: CreateLessonRequest) -> Self {
        Self {
            title: r.title,
            body: r.body,
            severity: r.severity,
            test_id: r.test_id,
            campaign_id: r.campaign_id,
            technique_id: r.technique_id,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLessonRequest {
    pub title: Option<String>,
    pub body: Option<String>,
    #[schema(value_type = Option<crate::views::enums::Severity>)]
    pub severity: Option<String>,
    /// The version you read (or send `If-Match`).
    pub version: Option<i32>,
}

impl From<UpdateLessonRequest> for LessonChanges {
    fn from(r: UpdateLessonRequest) -> Self {
        Self {
            title: r.title,
            body: r.body,
            severity: r.severity,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LessonListQuery {
    #[param(value_type = Option<crate::views::enums::Severity>)]
    pub severity: Option<String>,
    pub test_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
}

impl From<LessonListQuery> for LessonQuery {
    fn from(q: LessonListQuery) -> Self {
        Self {
            severity: q.severity,
            test_id: q.test_id,
            campaign_id: q.campaign_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KindCount {
    #[serde(rename = "type")]
    #[schema(value_type = crate::views::enums::PlaybookType)]
    pub kind: String,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SeverityCount {
    #[schema(value_type = crate::views::enums::Severity)]
    pub severity: String,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KnowledgeStatsView {
    /// Active playbooks.
    pub playbooks: u64,
    /// Deleted playbooks.
    pub inactive_playbooks: u64,
    pub playbooks_by_type: Vec<KindCount>,
    pub techniques_with_playbooks: u64,
    pub playbook_versions: u64,
    pub lessons: u64,
    pub lessons_by_severity: Vec<SeverityCount>,
}

impl From<KnowledgeStats> for KnowledgeStatsView {
    fn from(s: KnowledgeStats) -> Self {
        Self {
            playbooks: s.playbooks,
            inactive_playbooks: s.inactive_playbooks,
            playbooks_by_type: s
                .playbooks_by_kind
                .into_iter()
                .map(|(k, count)| KindCount {
                    kind: k.as_str().to_owned(),
                    count,
                })
                .collect(),
            techniques_with_playbooks: s.techniques_with_playbooks,
            playbook_versions: s.playbook_versions,
            lessons: s.lessons,
            lessons_by_severity: s
                .lessons_by_severity
                .into_iter()
                .map(|(severity, count)| SeverityCount {
                    severity: severity.as_str().to_owned(),
                    count,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The words to find (all of them; the last also as a prefix). Letters and digits only
    /// count; at most 200 characters and 12 words.
    pub q: String,
    /// Comma-separated types to search (default all): technique, test, playbook, lesson,
    /// rule, template.
    pub types: Option<String>,
    /// At most this many hits, 1 to 50 (default 20).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHitView {
    #[serde(rename = "type")]
    #[schema(value_type = crate::views::enums::SearchType)]
    pub kind: String,
    /// A technique's ATT&CK id, else the object's UUID.
    pub id: String,
    pub title: String,
    /// Plain text around the match; matched words are between « and ».
    pub snippet: String,
    /// Higher is better; comparable within one search.
    pub score: f64,
    /// Where the web UI shows the object.
    pub link: String,
}

impl From<SearchHit> for SearchHitView {
    fn from(hit: SearchHit) -> Self {
        let link = match hit.kind {
            SearchKind::Technique => format!("/techniques/{}", hit.id),
            SearchKind::Test => format!("/tests/{}", hit.id),
            SearchKind::Playbook => format!("/knowledge?playbook={}", hit.id),
            SearchKind::Lesson => format!("/knowledge?lesson={}", hit.id),
            SearchKind::Rule => format!("/detection-rules/{}", hit.id),
            SearchKind::Template => format!("/templates?template={}", hit.id),
        };
        Self {
            kind: hit.kind.as_str().to_owned(),
            id: hit.id,
            title: hit.title,
            snippet: hit.snippet,
            score: hit.score,
            link,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResponse {
    /// Best first.
    pub items: Vec<SearchHitView>,
}
