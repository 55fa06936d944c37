//! Proof from telemetry: the events a test's run left (uploaded as evidence) are evaluated
//! against the catalog's Sigma rules, and the result proposes blue's report. The evaluation
//! is sealed as evidence of the test (its inputs' hashes, the rules' versions, the result),
//! hashed and in the chain of custody like every file, so the leads vote with the proof in
//! front of them. Blue confirms or changes the proposal through the blue report.

pub mod siem;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use aegis_domain::evidence::{
    CustodyEvent, CustodyKind, Evidence, EvidenceId, PendingObject, PendingPurpose,
};
use aegis_domain::permission::Action;
use aegis_domain::ports::{RepositoryError, RuleRepository};
use aegis_domain::telemetry::{Proposal, RuleSeen, RunWindow, WindowPolicy, propose, run_marker};
use aegis_domain::test_case::{RuleVerdict, TestCase, TestId};
use aegis_domain::workflow::{Refusal, Team, TestState};

use crate::audit_trail::{self, Change};
use crate::context::{Actor, Forbidden, RequestContext};
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::ports::{ByteChunks, Clock, Database, EvidenceStore, EvidenceStoreError, IdGenerator};

/// The content type of a sealed evaluation: how it is told from the files blue uploaded.
pub const EVALUATION_CONTENT_TYPE: &str = "application/vnd.aegis.telemetry-evaluation+json";

/// A Sigma rule to evaluate, with the text it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInput {
    /// The rule's own id (Sigma `id`).
    pub id: String,
    pub text: String,
    pub path: String,
    /// What identifies this version of the rule: its modification date and text hash.
    pub version: String,
}

/// One telemetry file, streamed from the evidence store.
pub struct TelemetryInput {
    pub name: String,
    pub body: ByteChunks,
}

impl std::fmt::Debug for TelemetryInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelemetryInput")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A rule that fired, as the evaluator saw it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FiredRule {
    pub id: String,
    pub title: String,
    pub techniques: Vec<String>,
    pub level: String,
    pub matching_events: u64,
    pub first_match_at: Option<DateTime<Utc>>,
    pub last_match_at: Option<DateTime<Utc>>,
    /// A few matching events: their index, record id, time and the fields that matched.
    pub samples: serde_json::Value,
}

/// A rule the evaluator could not evaluate, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UnsupportedRule {
    pub id: String,
    pub title: String,
    pub techniques: Vec<String>,
    pub reason: String,
}

/// A rule the evaluator evaluated (fired or not).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EvaluatedRule {
    pub id: String,
    pub techniques: Vec<String>,
}

/// What the evaluator found.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EvaluatorReport {
    pub events_read: u64,
    pub events_in_run: u64,
    pub events_with_marker: u64,
    /// The rules it evaluated, with their techniques.
    pub evaluated: Vec<EvaluatedRule>,
    pub fired: Vec<FiredRule>,
    pub unsupported: Vec<UnsupportedRule>,
}

#[derive(Debug, thiserror::Error)]
pub enum EvaluatorError {
    #[error("{input}: {reason}")]
    Unreadable { input: String, reason: String },
    #[error("the evaluator failed: {0}")]
    Unexpected(String),
}

/// Evaluates Sigma rules over telemetry (the infrastructure's offline evaluator).
#[async_trait]
pub trait TelemetryEvaluator: Send + Sync {
    /// Only events tied to the run (inside `window`, or carrying `marker`) are offered to the
    /// rules.
    ///
    /// # Errors
    /// `Unreadable` for an input that is no telemetry or is over the limits.
    async fn evaluate(
        &self,
        rules: Vec<RuleInput>,
        inputs: Vec<TelemetryInput>,
        window: Option<RunWindow>,
        marker: String,
    ) -> Result<EvaluatorReport, EvaluatorError>;
}

/// Which rules to evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RuleScope {
    /// The catalog's Sigma rules tagged with the test's technique.
    #[default]
    Technique,
    /// Every Sigma rule of the catalog.
    All,
}

/// What a test's run offers to tie events to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInfo {
    pub marker: String,
    pub executed_at: Option<DateTime<Utc>>,
    pub window: Option<RunWindow>,
    pub policy: WindowPolicy,
}

/// One input of an evaluation, as sealed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SealedInput {
    pub evidence_id: uuid::Uuid,
    pub filename: String,
    pub sha256: String,
    pub size_bytes: i64,
}

/// A rule's version, as sealed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SealedRule {
    pub id: String,
    pub version: String,
}

/// The blue result proposed, as sealed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SealedProposal {
    pub outcome: String,
    pub detected_at: Option<DateTime<Utc>>,
    pub time_to_detect_seconds: Option<i64>,
    pub rule_results: Vec<SealedRuleResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SealedRuleResult {
    pub rule: String,
    pub verdict: String,
}

/// The sealed document of one evaluation.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EvaluationDocument {
    pub test_id: uuid::Uuid,
    pub technique_id: String,
    pub scope: String,
    pub marker: String,
    pub executed_at: Option<DateTime<Utc>>,
    pub window_from: Option<DateTime<Utc>>,
    pub window_to: Option<DateTime<Utc>>,
    pub evaluated_at: DateTime<Utc>,
    pub evaluated_by: uuid::Uuid,
    pub inputs: Vec<SealedInput>,
    pub rules: Vec<SealedRule>,
    pub result: EvaluatorReport,
    pub proposal: SealedProposal,
    /// Where the result came from: `telemetry` (the offline evaluator) or `siem:<kind>`.
    #[serde(default = "offline_source")]
    pub source: String,
    /// The SIEM asked and what it answered, when the source is a SIEM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub siem: Option<siem::SealedSiemQuery>,
}

fn offline_source() -> String {
    "telemetry".to_owned()
}

/// An evaluation with the evidence file that seals it.
#[derive(Debug, Clone, PartialEq)]
pub struct TelemetryEvaluation {
    pub evidence: Evidence,
    pub document: EvaluationDocument,
}

/// What a telemetry use case did not find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TelemetryItem {
    Test,
    Evidence,
}

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid telemetry request")]
    Invalid(Vec<FieldError>),
    #[error("{0:?} not found")]
    NotFound(TelemetryItem),
    #[error("{0}")]
    Refused(Refusal),
    #[error("the evidence store failed: {0}")]
    Store(String),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for TelemetryError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl From<EvidenceStoreError> for TelemetryError {
    fn from(error: EvidenceStoreError) -> Self {
        Self::Store(error.to_string())
    }
}

impl Classified for TelemetryError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) | Self::Refused(Refusal::NotPermitted { .. }) => {
                ErrorKind::Forbidden
            }
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::Refused(_) => ErrorKind::Conflict,
            Self::Store(_) | Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) | Self::Refused(Refusal::NotPermitted { .. }) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::NotFound(TelemetryItem::Test) => "TEST_NOT_FOUND",
            Self::NotFound(TelemetryItem::Evidence) => "EVIDENCE_NOT_FOUND",
            Self::Refused(_) => "EVIDENCE_LOCKED",
            Self::Store(_) | Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// Sigma rules read per page when every rule is asked for.
const RULE_PAGE: u64 = 200;

#[derive(Clone)]
pub struct TelemetryService {
    database: Arc<dyn Database>,
    rules: Arc<dyn RuleRepository>,
    evidence: Arc<dyn EvidenceStore>,
    evaluator: Arc<dyn TelemetryEvaluator>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    policy: WindowPolicy,
}

impl TelemetryService {
    pub fn new(
        database: Arc<dyn Database>,
        rules: Arc<dyn RuleRepository>,
        evidence: Arc<dyn EvidenceStore>,
        evaluator: Arc<dyn TelemetryEvaluator>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        policy: WindowPolicy,
    ) -> Self {
        Self {
            database,
            rules,
            evidence,
            evaluator,
            clock,
            ids,
            policy,
        }
    }

    async fn test(&self, actor: &Actor, id: TestId) -> Result<TestCase, TelemetryError> {
        self.database
            .find_test(actor.tenant_id, id)
            .await?
            .ok_or(TelemetryError::NotFound(TelemetryItem::Test))
    }

    fn run_of(&self, test: &TestCase) -> RunInfo {
        RunInfo {
            marker: run_marker(test.id),
            executed_at: test.red.executed_at,
            window: test
                .red
                .executed_at
                .map(|at| RunWindow::around(at, self.policy)),
            policy: self.policy,
        }
    }

    /// The test's run marker and window, and its sealed evaluations, newest first.
    ///
    /// # Errors
    /// `NotFound` for an unknown test; `Store` when a sealed evaluation cannot be read.
    pub async fn overview(
        &self,
        actor: &Actor,
        test_id: TestId,
    ) -> Result<(RunInfo, Vec<TelemetryEvaluation>), TelemetryError> {
        actor.authorize(Action::ReadOperations)?;
        let test = self.test(actor, test_id).await?;
        let mut evaluations = Vec::new();
        for evidence in self
            .database
            .list_evidence(actor.tenant_id, test_id)
            .await?
        {
            if evidence.deleted_at.is_some() || evidence.content_type != EVALUATION_CONTENT_TYPE {
                continue;
            }
            let bytes = self.evidence.get(&evidence.object_key).await?;
            let document: EvaluationDocument = serde_json::from_slice(&bytes)
                .map_err(|e| TelemetryError::Unexpected(format!("a sealed evaluation: {e}")))?;
            evaluations.push(TelemetryEvaluation { evidence, document });
        }
        evaluations.sort_by_key(|e| std::cmp::Reverse(e.evidence.uploaded_at));
        Ok((self.run_of(&test), evaluations))
    }

    /// Evaluates the test's telemetry (the files named, or every file blue and red uploaded)
    /// against the catalog's Sigma rules and seals the result as evidence.
    ///
    /// # Errors
    /// `Forbidden` but for blue, leads and admins; `Refused` outside blue's phase (admins: until
    /// validation); `Invalid` when there is no telemetry or an input is not telemetry;
    /// `NotFound` for an unknown test or file.
    pub async fn evaluate(
        &self,
        actor: &Actor,
        test_id: TestId,
        evidence_ids: Option<Vec<EvidenceId>>,
        scope: RuleScope,
        context: &RequestContext,
    ) -> Result<TelemetryEvaluation, TelemetryError> {
        actor.authorize(Action::ReadOperations)?;
        actor.authorize(Action::EvaluateBlue)?;
        let test = self.test(actor, test_id).await?;
        let state = test.workflow().state();
        let open = state == TestState::BlueEvaluating
            || (actor.role == aegis_domain::Role::Admin && state != TestState::Validated);
        if !open {
            return Err(TelemetryError::Refused(Refusal::NotAllowedInState {
                state,
                action: "evaluate telemetry",
            }));
        }
        let inputs = self.inputs(actor, test_id, evidence_ids).await?;
        let rules = self.rules_for(&test, scope).await?;
        let run = self.run_of(&test);
        let mut streams = Vec::with_capacity(inputs.len());
        for input in &inputs {
            streams.push(TelemetryInput {
                name: input.filename.clone(),
                body: self.evidence.get_stream(&input.object_key).await?,
            });
        }
        let sealed_rules: Vec<SealedRule> = rules
            .iter()
            .map(|r| SealedRule {
                id: r.id.clone(),
                version: r.version.clone(),
            })
            .collect();
        let report = self
            .evaluator
            .evaluate(rules, streams, run.window, run.marker.clone())
            .await
            .map_err(|error| match error {
                EvaluatorError::Unreadable { input, reason } => {
                    TelemetryError::Invalid(vec![FieldError::new(
                        "evidence_ids",
                        format!("{input} is not telemetry Aegis reads: {reason}"),
                    )])
                }
                EvaluatorError::Unexpected(reason) => TelemetryError::Unexpected(reason),
            })?;
        let proposal = proposal_of(&test, &report, run.executed_at);
        let document = EvaluationDocument {
            test_id: test.id.as_uuid(),
            technique_id: test.technique_id.to_string(),
            scope: match scope {
                RuleScope::Technique => "technique",
                RuleScope::All => "all",
            }
            .to_owned(),
            marker: run.marker,
            executed_at: run.executed_at,
            window_from: run.window.map(|w| w.from),
            window_to: run.window.map(|w| w.to),
            evaluated_at: self.clock.now(),
            evaluated_by: actor.user_id.as_uuid(),
            inputs: inputs
                .iter()
                .map(|e| SealedInput {
                    evidence_id: e.id.as_uuid(),
                    filename: e.filename.clone(),
                    sha256: e.sha256.clone(),
                    size_bytes: e.size_bytes,
                })
                .collect(),
            rules: sealed_rules,
            result: report,
            proposal: sealed(&proposal),
            source: offline_source(),
            siem: None,
        };
        let evidence = self.seal(actor, &test, &document, context).await?;
        Ok(TelemetryEvaluation { evidence, document })
    }

    async fn inputs(
        &self,
        actor: &Actor,
        test_id: TestId,
        wanted: Option<Vec<EvidenceId>>,
    ) -> Result<Vec<Evidence>, TelemetryError> {
        let files: Vec<Evidence> = self
            .database
            .list_evidence(actor.tenant_id, test_id)
            .await?
            .into_iter()
            .filter(|e| e.deleted_at.is_none() && e.content_type != EVALUATION_CONTENT_TYPE)
            .collect();
        let chosen = match wanted {
            Some(ids) => {
                if ids.is_empty() {
                    return Err(TelemetryError::Invalid(vec![FieldError::new(
                        "evidence_ids",
                        "must name at least one file",
                    )]));
                }
                let mut chosen = Vec::with_capacity(ids.len());
                for id in ids {
                    let file = files
                        .iter()
                        .find(|f| f.id == id)
                        .ok_or(TelemetryError::NotFound(TelemetryItem::Evidence))?;
                    chosen.push(file.clone());
                }
                chosen
            }
            None => files,
        };
        if chosen.is_empty() {
            return Err(TelemetryError::Invalid(vec![FieldError::new(
                "evidence_ids",
                "the test has no telemetry: upload the run's events as evidence first",
            )]));
        }
        Ok(chosen)
    }

    async fn rules_for(
        &self,
        test: &TestCase,
        scope: RuleScope,
    ) -> Result<Vec<RuleInput>, TelemetryError> {
        use aegis_domain::detection::{RuleFilter, RuleSource};
        let summaries = match scope {
            RuleScope::Technique => self
                .rules
                .rules_for_technique(test.technique_id.as_str())
                .await?
                .into_iter()
                .filter(|r| r.source == RuleSource::Sigma)
                .collect::<Vec<_>>(),
            RuleScope::All => {
                let filter = RuleFilter {
                    source: Some(RuleSource::Sigma),
                    ..RuleFilter::default()
                };
                let mut all = Vec::new();
                let mut number = 1;
                loop {
                    let request = aegis_domain::page::PageRequest::new(number, RULE_PAGE);
                    let page = self.rules.list_rules(&filter, request).await?;
                    let done = page.items.is_empty()
                        || (all.len() + page.items.len()) as u64 >= page.total;
                    all.extend(page.items);
                    if done {
                        break;
                    }
                    number += 1;
                }
                all
            }
        };
        let mut inputs = Vec::with_capacity(summaries.len());
        for summary in summaries {
            if let Some((_, rule)) = self.rules.find_rule(summary.id).await? {
                let digest = hex::encode(Sha256::digest(rule.text.as_bytes()));
                let date = rule.modified.or(rule.created).map(|d| d.to_string());
                inputs.push(RuleInput {
                    id: rule.source_id.clone(),
                    version: format!(
                        "{}+{}",
                        date.unwrap_or_else(|| "undated".to_owned()),
                        &digest[..12]
                    ),
                    text: rule.text,
                    path: rule.path,
                });
            }
        }
        Ok(inputs)
    }

    /// Stores the document as blue's evidence of the test, hashed, with its custody and audit
    /// entries, in one unit of work (the object first recorded as pending, as uploads are).
    async fn seal(
        &self,
        actor: &Actor,
        test: &TestCase,
        document: &EvaluationDocument,
        context: &RequestContext,
    ) -> Result<Evidence, TelemetryError> {
        let bytes = serde_json::to_vec_pretty(document)
            .map_err(|e| TelemetryError::Unexpected(e.to_string()))?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let id = EvidenceId::from_uuid(self.ids.new_id());
        let key = format!("{}/{}/{}", actor.tenant_id, test.id, id);
        let now = self.clock.now();
        let pending = PendingObject {
            object_key: key.clone(),
            tenant_id: actor.tenant_id,
            purpose: PendingPurpose::Upload,
            recorded_at: now,
        };
        self.database.record_pending_object(&pending).await?;
        let size = bytes.len();
        let body: ByteChunks = Box::pin(futures::stream::once(async move {
            Ok::<_, EvidenceStoreError>(bytes)
        }));
        self.evidence
            .put_stream(&key, EVALUATION_CONTENT_TYPE, body)
            .await?;
        let evidence = Evidence {
            id,
            tenant_id: actor.tenant_id,
            test_id: test.id,
            team: Team::Blue,
            filename: format!("telemetry-evaluation-{}.json", now.format("%Y%m%dT%H%M%SZ")),
            content_type: EVALUATION_CONTENT_TYPE.to_owned(),
            size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
            sha256: sha256.clone(),
            object_key: key.clone(),
            uploaded_by: actor.user_id,
            uploaded_at: now,
            deleted_at: None,
            deleted_by: None,
            delete_reason: None,
        };
        let custody = CustodyEvent {
            id: self.ids.new_id(),
            evidence_id: id,
            kind: CustodyKind::Uploaded,
            actor: actor.user_id,
            occurred_at: now,
            sha256: sha256.clone(),
        };
        let uow = self.database.begin().await?;
        if !uow.claim_pending_object(&key).await? {
            return Err(TelemetryError::Store(
                "the evaluation outlived its grace period and its object was swept".into(),
            ));
        }
        uow.insert_evidence(actor.tenant_id, &evidence).await?;
        uow.insert_custody_event(actor.tenant_id, &custody).await?;
        let change = Change {
            tenant: actor.tenant_id,
            actor: Some(actor.user_id),
            action: "telemetry.evaluated",
            entity_type: "evidence",
            entity_id: Some(id.to_string()),
            details: serde_json::json!({
                "test_id": test.id,
                "sha256": sha256,
                "outcome": document.proposal.outcome,
                "rules_fired": document.result.fired.len(),
                "inputs": document.inputs.iter().map(|i| &i.sha256).collect::<Vec<_>>(),
            }),
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
        Ok(evidence)
    }
}

/// Fired rules are triggered; the technique's rules that were evaluated and stayed silent
/// are not triggered; the technique's rules that cannot be evaluated are not evaluated.
/// Rules of other techniques appear only when they fired.
fn proposal_of(
    test: &TestCase,
    report: &EvaluatorReport,
    executed_at: Option<DateTime<Utc>>,
) -> Proposal {
    let technique = test.technique_id.as_str();
    let tagged = |techniques: &[String]| techniques.iter().any(|t| t == technique);
    let mut seen: Vec<RuleSeen> = report
        .fired
        .iter()
        .map(|f| RuleSeen {
            rule: format!("sigma:{}", f.id),
            verdict: RuleVerdict::Triggered,
            first_match_at: f.first_match_at,
        })
        .collect();
    let fired: std::collections::HashSet<&str> =
        report.fired.iter().map(|f| f.id.as_str()).collect();
    for rule in report.evaluated.iter().filter(|r| tagged(&r.techniques)) {
        if !fired.contains(rule.id.as_str()) {
            seen.push(RuleSeen {
                rule: format!("sigma:{}", rule.id),
                verdict: RuleVerdict::NotTriggered,
                first_match_at: None,
            });
        }
    }
    for rule in report.unsupported.iter().filter(|u| tagged(&u.techniques)) {
        seen.push(RuleSeen {
            rule: format!("sigma:{}", rule.id),
            verdict: RuleVerdict::NotEvaluated,
            first_match_at: None,
        });
    }
    propose(
        usize::try_from(report.events_in_run).unwrap_or(usize::MAX),
        &seen,
        executed_at,
    )
}

fn sealed(proposal: &Proposal) -> SealedProposal {
    SealedProposal {
        outcome: proposal.outcome.as_str().to_owned(),
        detected_at: proposal.detected_at,
        time_to_detect_seconds: proposal.time_to_detect_seconds,
        rule_results: proposal
            .rule_results
            .iter()
            .map(|r| SealedRuleResult {
                rule: r.rule.clone(),
                verdict: r.verdict.as_str().to_owned(),
            })
            .collect(),
    }
}
