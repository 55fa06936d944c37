//! Knowledge: playbooks per technique (versioned, never edited in place), lessons learned, and
//! the full-text search over the catalog and the organization's work.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::campaign::CampaignId;
use crate::catalog::TechniqueId;
use crate::finding::{FindingId, Severity};
use crate::id::Id;
use crate::tenant::TenantId;
use crate::test_case::TestId;
use crate::user::UserId;

pub type PlaybookId = Id<Playbook>;
pub type LessonId = Id<Lesson>;

/// What a playbook is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlaybookKind {
    Attack,
    Detect,
    Investigate,
    Respond,
    Hunt,
}

impl PlaybookKind {
    pub const ALL: [Self; 5] = [
        Self::Attack,
        Self::Detect,
        Self::Investigate,
        Self::Respond,
        Self::Hunt,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Attack => "attack",
            Self::Detect => "detect",
            Self::Investigate => "investigate",
            Self::Respond => "respond",
            Self::Hunt => "hunt",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl fmt::Display for PlaybookKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The editable content of a playbook: what each version keeps whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaybookContent {
    pub technique_id: TechniqueId,
    pub kind: PlaybookKind,
    pub title: String,
    /// Markdown; shown sanitized (no raw HTML) by the UI.
    pub body: String,
    pub tools: Vec<String>,
    pub prerequisites: Vec<String>,
}

/// A playbook: its current content and the number of its current version. Every change makes
/// a new [`PlaybookVersion`]; the playbook row only points at the newest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Playbook {
    pub id: PlaybookId,
    pub tenant_id: TenantId,
    pub content: PlaybookContent,
    /// Cleared by a soft delete; an inactive playbook is listed only on request.
    pub active: bool,
    /// The number of the current version (1 for a new playbook); moved only by [`Playbook::revise`].
    version: i32,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_by: UserId,
    pub updated_at: DateTime<Utc>,
}

/// One immutable version of a playbook: who wrote it, when, and what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaybookVersion {
    pub playbook_id: PlaybookId,
    pub number: i32,
    pub content: PlaybookContent,
    pub author: UserId,
    pub created_at: DateTime<Utc>,
    /// The version this one restored, when it was made by a restore.
    pub restored_from: Option<i32>,
}

impl Playbook {
    /// A new playbook and its first version.
    #[must_use]
    pub fn create(
        id: PlaybookId,
        tenant_id: TenantId,
        content: PlaybookContent,
        author: UserId,
        at: DateTime<Utc>,
    ) -> (Self, PlaybookVersion) {
        let playbook = Self {
            id,
            tenant_id,
            content,
            active: true,
            version: 1,
            created_by: author,
            created_at: at,
            updated_by: author,
            updated_at: at,
        };
        let first = playbook.current_version(None);
        (playbook, first)
    }

    /// Storage's way back: a playbook as it was stored.
    #[must_use]
    pub fn restored(mut self, version: i32) -> Self {
        self.version = version;
        self
    }

    #[must_use]
    pub const fn version(&self) -> i32 {
        self.version
    }

    fn current_version(&self, restored_from: Option<i32>) -> PlaybookVersion {
        PlaybookVersion {
            playbook_id: self.id,
            number: self.version,
            content: self.content.clone(),
            author: self.updated_by,
            created_at: self.updated_at,
            restored_from,
        }
    }

    /// Replaces the content as a new version. Returns the version the stored row must still
    /// have (the optimistic check) and the new version to keep, or `None` when the content is
    /// unchanged (no empty version is ever made).
    pub fn revise(
        &mut self,
        content: PlaybookContent,
        author: UserId,
        at: DateTime<Utc>,
        restored_from: Option<i32>,
    ) -> Option<(i32, PlaybookVersion)> {
        if content == self.content {
            return None;
        }
        let expected = self.version;
        self.content = content;
        self.version += 1;
        self.updated_by = author;
        self.updated_at = at;
        Some((expected, self.current_version(restored_from)))
    }

    /// Soft delete (or undo it). Returns the version the stored row must still have; the
    /// content and its versions are untouched.
    pub fn set_active(&mut self, active: bool, by: UserId, at: DateTime<Utc>) -> i32 {
        self.active = active;
        self.updated_by = by;
        self.updated_at = at;
        self.version
    }
}

/// The playbook list's filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlaybookFilter {
    pub technique: Option<TechniqueId>,
    pub kind: Option<PlaybookKind>,
    pub include_inactive: bool,
}

/// What a lesson is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LessonLink {
    Nothing,
    Test(TestId),
    Campaign(CampaignId),
}

impl LessonLink {
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Nothing => "none",
            Self::Test(_) => "test",
            Self::Campaign(_) => "campaign",
        }
    }
}

/// A lesson learned: what went wrong (or right) and what to do next time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lesson {
    pub id: LessonId,
    pub tenant_id: TenantId,
    pub title: String,
    /// Markdown, like a playbook's body.
    pub body: String,
    pub severity: Severity,
    pub link: LessonLink,
    /// The finding it was drawn from, when it was.
    pub finding_id: Option<FindingId>,
    pub technique_id: Option<TechniqueId>,
    /// Incremented by every change ([`Lesson::record_change`]).
    version: i32,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Lesson {
    #[must_use]
    pub fn new(
        id: LessonId,
        tenant_id: TenantId,
        title: String,
        severity: Severity,
        created_by: UserId,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            tenant_id,
            title,
            body: String::new(),
            severity,
            link: LessonLink::Nothing,
            finding_id: None,
            technique_id: None,
            version: 1,
            created_by,
            created_at: at,
            updated_at: at,
        }
    }

    #[must_use]
    pub fn restored(mut self, version: i32) -> Self {
        self.version = version;
        self
    }

    #[must_use]
    pub const fn version(&self) -> i32 {
        self.version
    }

    /// Moves to the next version; returns the one the stored row must still have.
    pub fn record_change(&mut self, at: DateTime<Utc>) -> i32 {
        let expected = self.version;
        self.version += 1;
        self.updated_at = at;
        expected
    }
}

/// The lesson list's filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LessonFilter {
    pub severity: Option<Severity>,
    pub test: Option<TestId>,
    pub campaign: Option<CampaignId>,
}

/// The organization's knowledge in numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnowledgeStats {
    pub playbooks: u64,
    pub inactive_playbooks: u64,
    /// Active playbooks per kind, every kind present.
    pub playbooks_by_kind: Vec<(PlaybookKind, u64)>,
    /// Distinct techniques with at least one active playbook.
    pub techniques_with_playbooks: u64,
    pub playbook_versions: u64,
    pub lessons: u64,
    /// Lessons per severity, every severity present.
    pub lessons_by_severity: Vec<(Severity, u64)>,
}

/// What the search covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SearchKind {
    Technique,
    Test,
    Playbook,
    Lesson,
    Rule,
    Template,
}

impl SearchKind {
    pub const ALL: [Self; 6] = [
        Self::Technique,
        Self::Test,
        Self::Playbook,
        Self::Lesson,
        Self::Rule,
        Self::Template,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Technique => "technique",
            Self::Test => "test",
            Self::Playbook => "playbook",
            Self::Lesson => "lesson",
            Self::Rule => "rule",
            Self::Template => "template",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Why a search request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchRefusal {
    #[error("must contain at least one letter or digit")]
    NoTerms,
    #[error("is too long (at most {max} characters)")]
    TooLong { max: usize },
    #[error("at most {max} words are searched")]
    TooManyTerms { max: usize },
}

/// A parsed search: lowercased words (letters and digits only, so no query syntax of either
/// database can be injected), which kinds to search, and how many hits to return. Every word
/// must match; the last one also matches as a prefix, so typing finds as one types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    terms: Vec<String>,
    pub kinds: Vec<SearchKind>,
    pub limit: u64,
}

impl SearchQuery {
    pub const MAX_TEXT: usize = 200;
    pub const MAX_TERMS: usize = 12;
    pub const MAX_LIMIT: u64 = 50;
    pub const DEFAULT_LIMIT: u64 = 20;

    /// # Errors
    /// `NoTerms`, `TooLong`, `TooManyTerms`.
    pub fn parse(text: &str, kinds: Vec<SearchKind>, limit: u64) -> Result<Self, SearchRefusal> {
        if text.chars().count() > Self::MAX_TEXT {
            return Err(SearchRefusal::TooLong {
                max: Self::MAX_TEXT,
            });
        }
        // Technique ids (T1059.001) are split at the dot into words both databases index.
        let terms: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        if terms.is_empty() {
            return Err(SearchRefusal::NoTerms);
        }
        if terms.len() > Self::MAX_TERMS {
            return Err(SearchRefusal::TooManyTerms {
                max: Self::MAX_TERMS,
            });
        }
        let mut kinds = kinds;
        kinds.sort();
        kinds.dedup();
        if kinds.is_empty() {
            kinds = SearchKind::ALL.to_vec();
        }
        Ok(Self {
            terms,
            kinds,
            limit: limit.clamp(1, Self::MAX_LIMIT),
        })
    }

    #[must_use]
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    #[must_use]
    pub fn includes(&self, kind: SearchKind) -> bool {
        self.kinds.contains(&kind)
    }

    /// Whether `text` holds every term (the last as a prefix of a word): the in-memory
    /// meaning of a match, for fakes and checks.
    #[must_use]
    pub fn matches(&self, text: &str) -> bool {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let last = self.terms.len().saturating_sub(1);
        self.terms.iter().enumerate().all(|(i, term)| {
            words
                .iter()
                .any(|w| w == term || (i == last && w.starts_with(term.as_str())))
        })
    }
}

/// One search result. `id` is the object's own id: a technique's ATT&CK id, else a UUID.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub kind: SearchKind,
    pub id: String,
    pub title: String,
    /// A short excerpt around the match, plain text.
    pub snippet: String,
    /// Higher is better; comparable within one search.
    pub score: f64,
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is a failed test"
)]
mod tests {
    use super::*;

    fn content(body: &str) -> PlaybookContent {
        PlaybookContent {
            technique_id: TechniqueId::parse("T1059.001").unwrap(),
            kind: PlaybookKind::Detect,
            title: "PowerShell".into(),
            body: body.into(),
            tools: vec![],
            prerequisites: vec![],
        }
    }

    #[test]
    fn every_revision_is_a_new_numbered_version_and_no_change_makes_none() {
        let at = Utc::now();
        let author = UserId::from_uuid(uuid::Uuid::nil());
        let (mut playbook, first) = Playbook::create(
            PlaybookId::from_uuid(uuid::Uuid::nil()),
            TenantId::from_uuid(uuid::Uuid::nil()),
            content("one"),
            author,
            at,
        );
        assert_eq!(first.number, 1);
        assert!(playbook.revise(content("one"), author, at, None).is_none());
        let (expected, second) = playbook.revise(content("two"), author, at, None).unwrap();
        assert_eq!((expected, second.number), (1, 2));
        let (_, third) = playbook
            .revise(first.content.clone(), author, at, Some(1))
            .unwrap();
        assert_eq!((third.number, third.restored_from), (3, Some(1)));
        assert_eq!(playbook.content.body, "one");
    }

    #[test]
    fn search_text_becomes_plain_words() {
        let query = SearchQuery::parse("  T1059.001 'OR 1=1 -- \"x\"*", vec![], 500).unwrap();
        assert_eq!(query.terms(), ["t1059", "001", "or", "1", "1", "x"]);
        assert_eq!(query.kinds.len(), SearchKind::ALL.len());
        assert_eq!(query.limit, SearchQuery::MAX_LIMIT);
        assert_eq!(
            SearchQuery::parse(" -- ", vec![], 5),
            Err(SearchRefusal::NoTerms)
        );
        assert!(SearchQuery::parse(&"a ".repeat(13), vec![], 5).is_err());
        let query = SearchQuery::parse("encoded powersh", vec![SearchKind::Playbook], 5).unwrap();
        assert!(query.matches("Hunt for Encoded PowerShell"));
        assert!(!query.matches("Hunt for PowerShell"));
    }
}
