//! Reports: an executive summary, a coverage report and a purple-team campaign report, as
//! HTML or PDF with charts drawn on the server. A request queues the report; the
//! report-generation job assembles its content, renders it, signs its digest and stores it
//! through the evidence store; readers download it and check its signature.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use aegis_domain::campaign::CampaignId;
use aegis_domain::finding::{FindingFilter, FindingStatus, Severity};
use aegis_domain::job::JobKind;
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::permission::Action;
use aegis_domain::ports::{ReportRepository, RepositoryError};
use aegis_domain::report::{
    Report, ReportFormat, ReportId, ReportKind, ReportStatus, StoredDocument, seal, unseal,
};
use aegis_domain::scoring::heat_color;
use aegis_domain::tenant::TenantId;

use crate::campaigns::CampaignService;
use crate::context::{Actor, Forbidden, Initiator, RequestContext};
use crate::coverage::{CoverageService, HeatmapFilter};
use crate::dashboard::DashboardService;
use crate::error::{Classified, ErrorKind, FieldError, unexpected};
use crate::ports::{Clock, Database, EvidenceStore, IdGenerator};

/// A report's content, independent of its format.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportContent {
    pub title: String,
    pub subtitle: String,
    pub organization: String,
    pub generated_at: DateTime<Utc>,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub heading: String,
    pub blocks: Vec<Block>,
}

/// One bar of a bar chart: a label and a value out of 100.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub color: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HeatCell {
    pub id: String,
    pub name: String,
    pub score: f64,
    pub color: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HeatColumn {
    pub title: String,
    pub cells: Vec<HeatCell>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Paragraph(String),
    Bullets(Vec<String>),
    /// Headline numbers: label and value.
    Figures(Vec<(String, String)>),
    /// Horizontal bars out of 100.
    Bars {
        title: String,
        bars: Vec<Bar>,
    },
    /// A line over time: label (a date) and value out of 100.
    Trend {
        title: String,
        points: Vec<(String, f64)>,
    },
    /// The ATT&CK matrix: a column per tactic, a coloured cell per technique.
    Heatmap(Vec<HeatColumn>),
    Table {
        headers: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

#[derive(Debug, thiserror::Error)]
#[error("the report could not be rendered: {0}")]
pub struct RenderError(pub String);

/// Turns content into a document of a format.
pub trait ReportRenderer: Send + Sync {
    /// # Errors
    /// `RenderError` when the document cannot be produced.
    fn render(&self, content: &ReportContent, format: ReportFormat)
    -> Result<Vec<u8>, RenderError>;
}

/// Signs document digests with the server's key, so a document can be shown to be Aegis's.
pub trait DocumentSigner: Send + Sync {
    /// A hex signature of `digest`.
    fn sign(&self, digest: &[u8]) -> String;
    /// Whether `signature` is this server's signature of `digest`.
    fn verify(&self, digest: &[u8], signature: &str) -> bool;
    /// The key readers verify with, hex.
    fn public_key(&self) -> String;
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("invalid report request")]
    Invalid(Vec<FieldError>),
    #[error("report not found")]
    NotFound,
    #[error("the report is {0}: there is no document to download")]
    NotReady(&'static str),
    #[error("unexpected failure: {0}")]
    Unexpected(String),
}

impl From<RepositoryError> for ReportError {
    fn from(error: RepositoryError) -> Self {
        Self::Unexpected(unexpected(&error))
    }
}

impl Classified for ReportError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Invalid(fields) => ErrorKind::Invalid(fields.clone()),
            Self::NotFound => ErrorKind::NotFound,
            Self::NotReady(_) => ErrorKind::Conflict,
            Self::Unexpected(_) => ErrorKind::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid(_) => "VALIDATION_FAILED",
            Self::NotFound => "REPORT_NOT_FOUND",
            Self::NotReady(_) => "REPORT_NOT_READY",
            Self::Unexpected(_) => "INTERNAL_ERROR",
        }
    }
}

/// Whether a stored document is the one generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub report: Report,
    /// The stored document's body still hashes to the digest recorded and sealed in it.
    pub digest_matches: bool,
    /// The document's seal is this server's signature of that digest.
    pub signature_valid: bool,
    /// The Ed25519 public key that verifies it, hex.
    pub public_key: String,
}

/// What the report job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenerationCounts {
    pub generated: u64,
    pub failed: u64,
}

#[derive(Clone)]
pub struct ReportService {
    database: Arc<dyn Database>,
    reports: Arc<dyn ReportRepository>,
    signer: Arc<dyn DocumentSigner>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    evidence: Arc<dyn EvidenceStore>,
    jobs: crate::jobs::JobService,
}

impl ReportService {
    pub(crate) fn new(
        database: Arc<dyn Database>,
        reports: Arc<dyn ReportRepository>,
        signer: Arc<dyn DocumentSigner>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        evidence: Arc<dyn EvidenceStore>,
        jobs: crate::jobs::JobService,
    ) -> Self {
        Self {
            database,
            reports,
            signer,
            clock,
            ids,
            evidence,
            jobs,
        }
    }

    /// Queues a report and the job that generates it.
    ///
    /// # Errors
    /// `Forbidden` unless a lead or admin; `Invalid` naming the kind, format or campaign.
    pub async fn request(
        &self,
        actor: &Actor,
        kind: &str,
        format: &str,
        campaign: Option<uuid::Uuid>,
        context: &RequestContext,
    ) -> Result<Report, ReportError> {
        actor.authorize(Action::TakeSnapshot)?;
        let mut fields = Vec::new();
        let kind = ReportKind::parse(kind);
        if kind.is_none() {
            fields.push(FieldError::new(
                "kind",
                "must be executive_summary, coverage_report or purple_campaign",
            ));
        }
        let format = ReportFormat::parse(format);
        if format.is_none() {
            fields.push(FieldError::new("format", "must be html or pdf"));
        }
        if kind == Some(ReportKind::PurpleCampaign) {
            let known = match campaign {
                Some(id) => self
                    .database
                    .find_campaign(actor.tenant_id, CampaignId::from_uuid(id))
                    .await?
                    .is_some(),
                None => false,
            };
            if !known {
                let message = if campaign.is_some() {
                    "no such campaign"
                } else {
                    "is required for a campaign report"
                };
                fields.push(FieldError::new("campaign_id", message));
            }
        }
        fields.sort_by(|a, b| a.field.cmp(&b.field));
        let (Some(kind), Some(format), true) = (kind, format, fields.is_empty()) else {
            return Err(ReportError::Invalid(fields));
        };
        let report = Report {
            id: ReportId::from_uuid(self.ids.new_id()),
            tenant_id: actor.tenant_id,
            kind,
            format,
            campaign_id: campaign.filter(|_| kind == ReportKind::PurpleCampaign),
            status: ReportStatus::Queued,
            requested_by: actor.user_id,
            requested_at: self.clock.now(),
            generated_at: None,
            document: None,
            error: None,
        };
        self.reports.insert_report(&report).await?;
        // The job runs as the system: asking for a report is not asking to manage jobs.
        self.jobs
            .run_now(
                &Initiator::System {
                    tenant: actor.tenant_id,
                },
                JobKind::ReportGeneration,
                context,
            )
            .await
            .map_err(|e| ReportError::Unexpected(e.to_string()))?;
        Ok(report)
    }

    /// # Errors
    /// `Forbidden` for a role that cannot read operations.
    pub async fn list(
        &self,
        actor: &Actor,
        page: PageRequest,
    ) -> Result<Page<Report>, ReportError> {
        actor.authorize(Action::ReadOperations)?;
        Ok(self.reports.list_reports(actor.tenant_id, page).await?)
    }

    /// # Errors
    /// `NotFound`.
    pub async fn get(&self, actor: &Actor, id: ReportId) -> Result<Report, ReportError> {
        actor.authorize(Action::ReadOperations)?;
        self.reports
            .find_report(actor.tenant_id, id)
            .await?
            .ok_or(ReportError::NotFound)
    }

    /// The document's bytes.
    ///
    /// # Errors
    /// `NotReady` while queued or after a failure.
    pub async fn download(
        &self,
        actor: &Actor,
        id: ReportId,
    ) -> Result<(Report, Vec<u8>), ReportError> {
        let report = self.get(actor, id).await?;
        let Some(document) = &report.document else {
            return Err(ReportError::NotReady(report.status.as_str()));
        };
        let bytes = self
            .evidence
            .get(&document.object_key)
            .await
            .map_err(|e| ReportError::Unexpected(e.to_string()))?;
        Ok((report, bytes))
    }

    /// Re-reads the stored document and checks its digest and signature.
    ///
    /// # Errors
    /// `NotReady` without a document.
    pub async fn verify(&self, actor: &Actor, id: ReportId) -> Result<Verification, ReportError> {
        let (report, bytes) = self.download(actor, id).await?;
        let recorded = report.document.as_ref();
        let (digest_matches, signature_valid) = match unseal(&bytes) {
            None => (false, false),
            Some(seal) => {
                let digest = Sha256::digest(seal.body);
                let digest_matches = hex::encode(digest) == seal.digest_hex
                    && recorded.is_some_and(|d| d.sha256 == seal.digest_hex);
                let signature_valid = hex::decode(&seal.digest_hex)
                    .is_ok_and(|d| self.signer.verify(&d, &seal.signature_hex));
                (digest_matches, signature_valid)
            }
        };
        Ok(Verification {
            report,
            digest_matches,
            signature_valid,
            public_key: self.signer.public_key(),
        })
    }
}

/// Assembles, renders, signs and stores reports: the report-generation job's work.
#[derive(Clone)]
pub struct ReportGenerator {
    database: Arc<dyn Database>,
    reports: Arc<dyn ReportRepository>,
    renderer: Arc<dyn ReportRenderer>,
    signer: Arc<dyn DocumentSigner>,
    clock: Arc<dyn Clock>,
    evidence: Arc<dyn EvidenceStore>,
    coverage: CoverageService,
    dashboard: DashboardService,
    campaigns: CampaignService,
    /// A ready report is a webhook event.
    outbox: crate::webhooks::Outbox,
}

impl ReportGenerator {
    #[expect(
        clippy::too_many_arguments,
        reason = "a report draws on its storage ports and the services whose views it renders"
    )]
    pub(crate) fn new(
        database: Arc<dyn Database>,
        reports: Arc<dyn ReportRepository>,
        renderer: Arc<dyn ReportRenderer>,
        signer: Arc<dyn DocumentSigner>,
        clock: Arc<dyn Clock>,
        evidence: Arc<dyn EvidenceStore>,
        coverage: CoverageService,
        dashboard: DashboardService,
        campaigns: CampaignService,
        outbox: crate::webhooks::Outbox,
    ) -> Self {
        Self {
            outbox,
            database,
            reports,
            renderer,
            signer,
            clock,
            evidence,
            coverage,
            dashboard,
            campaigns,
        }
    }

    /// Generates every queued report (the report-generation job). A report that cannot be
    /// generated is marked failed with the reason; the others go on.
    ///
    /// # Errors
    /// `Unexpected` when the queue cannot be read.
    pub async fn generate_queued(&self) -> Result<GenerationCounts, ReportError> {
        let mut counts = GenerationCounts::default();
        for mut report in self.reports.queued_reports(100).await? {
            match self.generate(&report).await {
                Ok(document) => {
                    report.status = ReportStatus::Ready;
                    report.document = Some(document);
                    counts.generated += 1;
                }
                Err(reason) => {
                    tracing::warn!(report = %report.id, %reason, "report generation failed");
                    report.status = ReportStatus::Failed;
                    report.error = Some(reason);
                    counts.failed += 1;
                }
            }
            report.generated_at = Some(self.clock.now());
            self.reports.update_report(&report).await?;
            // Reports are stored through their own (global) port, outside any unit of work of
            // the tenant, so the event is recorded right after the report is saved.
            if report.status == ReportStatus::Ready
                && let Err(error) = self
                    .outbox
                    .publish(
                        report.tenant_id,
                        aegis_domain::webhook::WebhookEvent::ReportReady,
                        serde_json::json!({
                            "report_id": report.id,
                            "kind": report.kind.as_str(),
                            "format": report.format.as_str(),
                            "campaign_id": report.campaign_id,
                            "sha256": report.document.as_ref().map(|d| d.sha256.clone()),
                        }),
                    )
                    .await
            {
                tracing::warn!(report = %report.id, error = %error.chain(), "report.ready not recorded for webhooks");
            }
        }
        Ok(counts)
    }

    async fn generate(&self, report: &Report) -> Result<StoredDocument, String> {
        let content = self.content(report).await?;
        let bytes = self
            .renderer
            .render(&content, report.format)
            .map_err(|e| e.to_string())?;
        let digest = Sha256::digest(&bytes);
        let digest_hex = hex::encode(digest);
        let signature = self.signer.sign(&digest);
        let bytes = seal(&bytes, report.format, &digest_hex, &signature);
        let object_key = format!(
            "reports/{}/{}.{}",
            report.tenant_id,
            report.id,
            report.format.as_str()
        );
        self.evidence
            .put(&object_key, bytes.clone(), report.format.content_type())
            .await
            .map_err(|e| e.to_string())?;
        Ok(StoredDocument {
            object_key,
            size_bytes: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            sha256: digest_hex,
            signature,
        })
    }

    async fn content(&self, report: &Report) -> Result<ReportContent, String> {
        let tenant = report.tenant_id;
        let organization = self
            .database
            .find_tenant(tenant)
            .await
            .map_err(|e| e.to_string())?
            .map_or_else(String::new, |t| t.name);
        let sections = match report.kind {
            ReportKind::ExecutiveSummary => self.executive(tenant).await?,
            ReportKind::CoverageReport => self.coverage_sections(tenant).await?,
            ReportKind::PurpleCampaign => {
                let id = report
                    .campaign_id
                    .map(CampaignId::from_uuid)
                    .ok_or("a campaign report names its campaign")?;
                self.campaign_sections(tenant, id).await?
            }
        };
        Ok(ReportContent {
            title: report.kind.title().to_owned(),
            subtitle: format!(
                "Requested {}",
                report.requested_at.format("%Y-%m-%d %H:%M UTC")
            ),
            organization,
            generated_at: self.clock.now(),
            sections,
        })
    }

    async fn executive(&self, tenant: TenantId) -> Result<Vec<Section>, String> {
        let board = self
            .dashboard
            .dashboard_of(tenant)
            .await
            .map_err(|e| e.to_string())?;
        let k = &board.kpis;
        let score = |s: Option<f64>| s.map_or_else(|| "n/a".to_owned(), |s| format!("{s:.1}"));
        let figures = vec![
            ("Coverage".to_owned(), format!("{:.1}%", k.coverage_percent)),
            (
                "Covered techniques".to_owned(),
                format!("{} of {}", k.covered_techniques, k.total_techniques),
            ),
            ("Organization score".to_owned(), score(k.organization_score)),
            (
                "Threat-weighted score".to_owned(),
                score(k.threat_weighted_score),
            ),
            ("Validated tests".to_owned(), k.validated_tests.to_string()),
            (
                "Active campaigns".to_owned(),
                k.active_campaigns.to_string(),
            ),
        ];
        let story = &board.narrative;
        let mut sections = vec![
            Section {
                heading: "Posture".to_owned(),
                blocks: vec![
                    Block::Figures(figures),
                    Block::Paragraph(story.posture.clone()),
                    Block::Paragraph(story.trend.clone()),
                ],
            },
            Section {
                heading: "Coverage by tactic".to_owned(),
                blocks: vec![tactic_bars(&board.posture)],
            },
            Section {
                heading: "Trend".to_owned(),
                blocks: vec![self.trend(tenant).await?],
            },
            Section {
                heading: "Top uncovered high-risk techniques".to_owned(),
                blocks: vec![Block::Bullets(story.top_risks.clone())],
            },
            Section {
                heading: "What improved and what to do next".to_owned(),
                blocks: vec![
                    Block::Paragraph(story.improvements.clone()),
                    Block::Bullets(story.actions.clone()),
                ],
            },
        ];
        sections.push(self.findings_section(tenant, None).await?);
        Ok(sections)
    }

    async fn trend(&self, tenant: TenantId) -> Result<Block, String> {
        let snapshots = self
            .database
            .list_snapshots(tenant, None, None, PageRequest::new(1, 26))
            .await
            .map_err(|e| e.to_string())?;
        let mut points: Vec<(String, f64)> = snapshots
            .items
            .iter()
            .map(|s| {
                (
                    s.taken_at.format("%Y-%m-%d").to_string(),
                    s.coverage_percent(),
                )
            })
            .collect();
        points.reverse();
        Ok(Block::Trend {
            title: "Coverage % per posture snapshot".to_owned(),
            points,
        })
    }

    async fn coverage_sections(&self, tenant: TenantId) -> Result<Vec<Section>, String> {
        let board = self
            .dashboard
            .dashboard_of(tenant)
            .await
            .map_err(|e| e.to_string())?;
        let heatmap = self
            .coverage
            .heatmap_of(tenant, &HeatmapFilter::default())
            .await
            .map_err(|e| e.to_string())?;
        Ok(vec![
            Section {
                heading: "Coverage by tactic".to_owned(),
                blocks: vec![
                    Block::Figures(vec![
                        (
                            "Coverage".to_owned(),
                            format!("{:.1}%", board.kpis.coverage_percent),
                        ),
                        (
                            "Organization score".to_owned(),
                            heatmap
                                .organization_score
                                .map_or_else(|| "n/a".to_owned(), |s| format!("{s:.1}")),
                        ),
                    ]),
                    tactic_bars(&board.posture),
                ],
            },
            Section {
                heading: "ATT&CK heatmap".to_owned(),
                blocks: vec![heat_block(&heatmap)],
            },
            Section {
                heading: "Techniques".to_owned(),
                blocks: vec![technique_table(&heatmap)],
            },
        ])
    }

    async fn campaign_sections(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<Vec<Section>, String> {
        let database = &self.database;
        let campaign = database
            .find_campaign(tenant, id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the campaign no longer exists")?;
        let tests = database
            .tests_of_campaign(tenant, id)
            .await
            .map_err(|e| e.to_string())?;
        let coverage = self
            .campaigns
            .coverage_of(tenant, &campaign)
            .await
            .map_err(|e| e.to_string())?;
        let heatmap = self
            .coverage
            .heatmap_of(
                tenant,
                &HeatmapFilter {
                    campaign: Some(id),
                    ..HeatmapFilter::default()
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        let validated = tests.iter().filter(|t| t.validated_at.is_some()).count();
        let dates = match (campaign.starts_on, campaign.ends_on) {
            (Some(start), Some(end)) => format!("{start} to {end}"),
            (Some(start), None) => format!("from {start}"),
            _ => "not scheduled".to_owned(),
        };
        let mut figures = vec![
            ("Type".to_owned(), campaign.kind.as_str().replace('_', " ")),
            ("Status".to_owned(), campaign.status().as_str().to_owned()),
            ("Dates".to_owned(), dates),
            ("Run".to_owned(), campaign.run_number.to_string()),
            ("Tests".to_owned(), tests.len().to_string()),
            ("Validated".to_owned(), validated.to_string()),
            (
                "Campaign score".to_owned(),
                coverage
                    .score
                    .map_or_else(|| "n/a".to_owned(), |s| format!("{s:.1}")),
            ),
        ];
        if let Some(previous) = &coverage.previous {
            figures.push((
                "Previous run score".to_owned(),
                previous
                    .score
                    .map_or_else(|| "n/a".to_owned(), |s| format!("{s:.1}")),
            ));
        }
        let outcome_bars = aegis_domain::test_case::Outcome::ALL
            .into_iter()
            .map(|o| {
                let n = tests
                    .iter()
                    .filter(|t| t.blue.outcome == Some(o) && t.validated_at.is_some())
                    .count();
                let share = if validated == 0 {
                    0.0
                } else {
                    n as f64 * 100.0 / validated as f64
                };
                Bar {
                    label: format!("{} ({n})", o.as_str().replace('_', " ")),
                    value: share,
                    color: match o {
                        aegis_domain::test_case::Outcome::Prevented => "#30a46c",
                        aegis_domain::test_case::Outcome::Detected => "#46a758",
                        aegis_domain::test_case::Outcome::Logged => "#f5a524",
                        aegis_domain::test_case::Outcome::NotDetected => "#e5484d",
                    }
                    .to_owned(),
                }
            })
            .collect();
        let rows = coverage
            .techniques
            .iter()
            .map(|t| {
                let change = coverage
                    .changes
                    .iter()
                    .find(|c| c.technique_id == t.technique_id)
                    .map_or_else(|| "-".to_owned(), |c| c.trend.as_str().to_owned());
                vec![
                    t.technique_id.to_string(),
                    t.tests.to_string(),
                    t.outcome
                        .map_or_else(|| "-".to_owned(), |o| o.as_str().replace('_', " ")),
                    format!("{:.1}", t.score.score),
                    change,
                ]
            })
            .collect();
        let mut sections = vec![
            Section {
                heading: campaign.name.clone(),
                blocks: vec![
                    Block::Figures(figures),
                    Block::Paragraph(campaign.objective.clone()),
                ],
            },
            Section {
                heading: "Outcomes of validated tests".to_owned(),
                blocks: vec![Block::Bars {
                    title: "Share of validated tests, %".to_owned(),
                    bars: outcome_bars,
                }],
            },
            Section {
                heading: "Techniques, run over run".to_owned(),
                blocks: vec![Block::Table {
                    headers: ["Technique", "Tests", "Outcome", "Score", "Since last run"]
                        .map(str::to_owned)
                        .to_vec(),
                    rows,
                }],
            },
            Section {
                heading: "Campaign heatmap".to_owned(),
                blocks: vec![heat_block(&heatmap)],
            },
        ];
        sections.push(self.findings_section(tenant, Some(id)).await?);
        Ok(sections)
    }

    async fn findings_section(
        &self,
        tenant: TenantId,
        campaign: Option<CampaignId>,
    ) -> Result<Section, String> {
        let filter = FindingFilter {
            campaign: campaign.map(|c| c.as_uuid()),
            ..FindingFilter::default()
        };
        let findings = self
            .database
            .list_findings(
                tenant,
                &filter,
                PageRequest::new(1, PageRequest::MAX_PER_PAGE),
            )
            .await
            .map_err(|e| e.to_string())?;
        let today = self.clock.now().date_naive();
        let open = findings
            .items
            .iter()
            .filter(|f| f.status().is_unresolved())
            .count();
        let by_severity = Severity::ALL
            .into_iter()
            .rev()
            .map(|s| {
                let n = findings
                    .items
                    .iter()
                    .filter(|f| f.severity == s && f.status().is_unresolved())
                    .count();
                (format!("Open {}", s.as_str()), n.to_string())
            })
            .collect();
        let rows = findings
            .items
            .iter()
            .map(|f| {
                vec![
                    f.title.clone(),
                    f.severity.as_str().to_owned(),
                    f.status().as_str().replace('_', " "),
                    f.due_on.map_or_else(|| "-".to_owned(), |d| d.to_string()),
                    if f.is_overdue(today) { "yes" } else { "" }.to_owned(),
                ]
            })
            .collect();
        let resolved = findings
            .items
            .iter()
            .filter(|f| f.status() == FindingStatus::Resolved)
            .count();
        Ok(Section {
            heading: "Findings and remediation".to_owned(),
            blocks: vec![
                Block::Figures(by_severity),
                Block::Paragraph(format!(
                    "{open} open and {resolved} resolved of {} findings.",
                    findings.total
                )),
                Block::Table {
                    headers: ["Finding", "Severity", "Status", "Due", "Overdue"]
                        .map(str::to_owned)
                        .to_vec(),
                    rows,
                },
            ],
        })
    }
}

fn tactic_bars(posture: &aegis_domain::snapshot::PostureSnapshot) -> Block {
    Block::Bars {
        title: "Mean score per tactic (0-100)".to_owned(),
        bars: posture
            .by_tactic
            .iter()
            .map(|t| {
                let value = t.score.unwrap_or_default();
                Bar {
                    label: t.name.clone(),
                    value,
                    color: heat_color(value, aegis_domain::scoring::CoverageStatus::Partial),
                }
            })
            .collect(),
    }
}

fn heat_block(heatmap: &crate::coverage::Heatmap) -> Block {
    Block::Heatmap(
        heatmap
            .columns
            .iter()
            .map(|column| HeatColumn {
                title: column.tactic.name.clone(),
                cells: column
                    .techniques
                    .iter()
                    .map(|cell| HeatCell {
                        id: cell.technique.mitre_id.to_string(),
                        name: cell.technique.name.clone(),
                        score: cell.rolled_score,
                        color: heat_color(cell.rolled_score, cell.score.status),
                    })
                    .collect(),
            })
            .collect(),
    )
}

fn technique_table(heatmap: &crate::coverage::Heatmap) -> Block {
    let mut seen = std::collections::HashSet::new();
    let mut rows = Vec::new();
    for column in &heatmap.columns {
        for cell in &column.techniques {
            if seen.insert(cell.technique.mitre_id.clone()) {
                rows.push(vec![
                    cell.technique.mitre_id.to_string(),
                    cell.technique.name.clone(),
                    cell.score.status.as_str().replace('_', " "),
                    format!("{:.1}", cell.rolled_score),
                    cell.score.validated_tests.to_string(),
                    cell.rules.to_string(),
                ]);
            }
        }
    }
    Block::Table {
        headers: [
            "Technique",
            "Name",
            "Status",
            "Score",
            "Validated tests",
            "Rules",
        ]
        .map(str::to_owned)
        .to_vec(),
        rows,
    }
}
