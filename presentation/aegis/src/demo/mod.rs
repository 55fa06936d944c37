//! `aegis demo`: a demonstration data set in the installation's tenant, made through the
//! application's use cases as each role would (so it is valid by construction): one user per
//! role, the ATT&CK techniques of APT29 (when the catalog does not hold them yet), detection
//! rules, a purple-team campaign planned from APT29 with tests in every workflow state,
//! validated results with evidence, findings in remediation, twelve weeks of posture snapshots
//! and the notifications the workflow sends. Running it again changes nothing: each part is
//! made only when it is missing.

mod content;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use aegis_application::Services;
use aegis_application::catalog::{AttackSource, FeedError};
use aegis_application::context::{Actor, Initiator, RequestContext};
use aegis_application::findings::{FindingChanges, FindingQuery, NewStep};
use aegis_application::rules::{RuleBatch, RuleFeed};
use aegis_application::test_cases::{BlueChanges, RedChanges};
use aegis_application::users::{NewUser, UserError};
use aegis_domain::Role;
use aegis_domain::campaign::CampaignFilter;
use aegis_domain::catalog::AttackRelease;
use aegis_domain::data_source::{FeedKind, SyncCounts};
use aegis_domain::detection::RuleSource;
use aegis_domain::page::PageRequest;
use aegis_domain::tenant::Tenant;
use aegis_domain::test_case::{TestCase, TestId};
use aegis_domain::user::{Email, UserId};
use aegis_domain::workflow::{TestState, Verdict, WorkflowAction};

pub use content::{DEMO_ACTOR, DEMO_CAMPAIGN};

/// Why the demo could not be made: the use case that refused, and its message.
#[derive(Debug, thiserror::Error)]
#[error("{step}: {message}")]
pub struct DemoError {
    pub step: &'static str,
    pub message: String,
}

fn failed(step: &'static str) -> impl FnOnce(&dyn std::fmt::Display) -> DemoError {
    move |e| DemoError {
        step,
        message: e.to_string(),
    }
}

macro_rules! attempt {
    ($step:literal, $call:expr) => {
        $call.await.map_err(|e| failed($step)(&e))
    };
}

/// A demo user, and the password generated for them when this run created them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUser {
    pub email: String,
    pub role: Role,
    pub password: Option<String>,
}

/// What a run made (all zero but the users on a second run).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoReport {
    pub users: Vec<DemoUser>,
    pub catalog_imported: bool,
    pub rules_created: u64,
    pub campaign_created: bool,
    pub tests: u32,
    pub validated: u32,
    pub evidence: u32,
    pub findings: u32,
    /// Findings of kind vulnerability, from the scanners' SARIF file.
    pub vulnerabilities: u32,
    pub snapshots: u32,
    pub reports: u32,
}

/// The ATT&CK subset of the demo, embedded in the binary.
struct DemoAttack;

#[async_trait::async_trait]
impl AttackSource for DemoAttack {
    fn describe(&self) -> String {
        "the demo data set (APT29's techniques from MITRE ATT&CK)".to_owned()
    }

    async fn fetch(&self) -> Result<AttackRelease, FeedError> {
        let bytes = aegis_infrastructure::feeds::decompress_bounded(
            content::ATTACK_BUNDLE_GZ.to_vec(),
            aegis_infrastructure::feeds::MAX_FEED_BYTES,
        )
        .map_err(|e| FeedError(e.to_string()))?;
        aegis_infrastructure::feeds::attack::parse_bundle(&bytes)
            .map_err(|e| FeedError(e.to_string()))
    }
}

/// The demo's Sigma rules, embedded in the binary.
struct DemoRules;

#[async_trait::async_trait]
impl RuleFeed for DemoRules {
    fn source(&self) -> RuleSource {
        RuleSource::Sigma
    }

    fn describe(&self) -> String {
        "the demo data set's Sigma rules".to_owned()
    }

    async fn fetch(&self) -> Result<RuleBatch, FeedError> {
        let mut batch = RuleBatch::default();
        for (path, text) in content::SIGMA_RULES {
            let file = aegis_infrastructure::feeds::collection::FeedFile {
                path: (*path).to_owned(),
                bytes: text.as_bytes().to_vec(),
            };
            match aegis_infrastructure::feeds::sigma::parse_sigma_file(&file) {
                Ok(rules) => batch.rules.extend(rules),
                Err(reason) => batch.skipped.push(((*path).to_owned(), reason)),
            }
        }
        Ok(batch)
    }
}

fn context() -> RequestContext {
    RequestContext {
        request_id: Some("aegis-demo".to_owned()),
        ..RequestContext::default()
    }
}

/// Makes the demo data set in `tenant` (what is missing of it).
///
/// # Errors
/// `DemoError` naming the step whose use case refused.
pub async fn seed(services: &Services, tenant: &Tenant) -> Result<DemoReport, DemoError> {
    let system = Initiator::System { tenant: tenant.id };
    let mut report = DemoReport::default();

    if services
        .catalog
        .threat_actor(&system, DEMO_ACTOR)
        .await
        .is_err()
    {
        let imported = services.catalog.import_attack(&system, &DemoAttack).await;
        let outcome = imported
            .as_ref()
            .map(|r| {
                let totals = r.totals();
                SyncCounts {
                    created: totals.created,
                    updated: totals.updated,
                    unchanged: totals.unchanged,
                    skipped: r.skipped.len() as u64,
                }
            })
            .map_err(ToString::to_string);
        attempt!(
            "recording the import",
            services
                .data_sources
                .record_import(&system, FeedKind::Attack, outcome)
        )?;
        imported.map_err(|e| failed("importing ATT&CK")(&e))?;
        report.catalog_imported = true;
    }

    let mut people: BTreeMap<Role, Actor> = BTreeMap::new();
    for person in &content::PEOPLE {
        let (actor, password) = ensure_user(services, &system, person).await?;
        report.users.push(DemoUser {
            email: person.email.to_owned(),
            role: person.role,
            password,
        });
        people.insert(person.role, actor);
    }
    let cast = Cast::of(&people)?;

    let existing = attempt!(
        "looking for the demo campaign",
        services.campaigns.list(
            &cast.red_lead,
            &CampaignFilter {
                text: Some(DEMO_CAMPAIGN.to_owned()),
                ..CampaignFilter::default()
            },
            PageRequest::new(1, 10),
        )
    )?;
    if existing.items.iter().any(|c| c.name == DEMO_CAMPAIGN) {
        return Ok(report);
    }

    let rules = attempt!(
        "importing the demo rules",
        services.rules.import(&system, &DemoRules)
    )?;
    report.rules_created = rules.counts.created;

    Exercise {
        services,
        cast: &cast,
        report: &mut report,
        now: Utc::now(),
    }
    .run()
    .await?;
    Ok(report)
}

async fn ensure_user(
    services: &Services,
    system: &Initiator,
    person: &content::Person,
) -> Result<(Actor, Option<String>), DemoError> {
    let (summary, password) = match services.users.find_by_email(system, person.email).await {
        Ok(summary) => (summary, None),
        Err(UserError::NotFound) => {
            let created = attempt!(
                "creating a demo user",
                services.users.create(
                    system,
                    NewUser {
                        email: person.email.to_owned(),
                        display_name: Some(person.name.to_owned()),
                        role: person.role.as_str().to_owned(),
                        kind: None,
                        password: None,
                    },
                    None,
                    &context(),
                )
            )?;
            (created.user, created.generated_password)
        }
        Err(e) => return Err(failed("looking for a demo user")(&e)),
    };
    let email = Email::parse(&summary.email).map_err(|e| failed("a demo user's email")(&e))?;
    // The demo acts as each person through the same use cases their requests reach.
    let actor = Actor {
        user_id: UserId::from_uuid(summary.id),
        tenant_id: system.tenant(),
        role: person.role,
        email,
        must_change_password: false,
        token: None,
        api_key: None,
    };
    Ok((actor, password))
}

/// The people who play the exercise.
struct Cast {
    red_lead: Actor,
    red_tech: Actor,
    blue_lead: Actor,
    blue_tech: Actor,
}

impl Cast {
    fn of(people: &BTreeMap<Role, Actor>) -> Result<Self, DemoError> {
        let get = |role: Role| {
            people.get(&role).cloned().ok_or_else(|| DemoError {
                step: "the demo users",
                message: format!("no {role}"),
            })
        };
        Ok(Self {
            red_lead: get(Role::RedLead)?,
            red_tech: get(Role::RedTech)?,
            blue_lead: get(Role::BlueLead)?,
            blue_tech: get(Role::BlueTech)?,
        })
    }
}

/// Where a demo test is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Validated(usize),
    At(TestState),
}

/// The campaign played week by week over twelve weeks.
struct Exercise<'a> {
    services: &'a Services,
    cast: &'a Cast,
    report: &'a mut DemoReport,
    now: DateTime<Utc>,
}

const WEEKS: i64 = 12;

impl Exercise<'_> {
    async fn run(mut self) -> Result<(), DemoError> {
        let services = self.services;
        let planned = attempt!(
            "planning the campaign from APT29",
            services.campaigns.from_threat_actor(
                &self.cast.red_lead,
                aegis_application::campaigns::FromThreatActor {
                    threat_actor_id: DEMO_ACTOR.to_owned(),
                    name: Some(DEMO_CAMPAIGN.to_owned()),
                    kind: Some("purple_team".to_owned()),
                    platform: None,
                    skip_validated_within_days: None,
                },
                &context(),
            )
        )?;
        self.report.campaign_created = true;
        let campaign = planned.detail.campaign.id;
        attempt!(
            "activating the campaign",
            services
                .campaigns
                .activate(&self.cast.red_lead, campaign, &context())
        )?;
        let tests: Vec<TestCase> = planned.detail.tests.into_iter().map(|t| t.test).collect();
        self.report.tests = u32::try_from(tests.len()).unwrap_or(u32::MAX);

        let stops = plan_stops(tests.len());
        // Week by week: that week's tests validated, then the week's posture recorded.
        for week in 0..WEEKS {
            for (test, stop) in tests.iter().zip(&stops) {
                if let Stop::Validated(w) = *stop
                    && w as i64 == week
                {
                    self.validate(test, self.report.validated as usize).await?;
                    self.report.validated += 1;
                }
            }
            let taken_at = self.now - Duration::weeks(WEEKS - 1 - week);
            attempt!(
                "recording a weekly snapshot",
                services.snapshots.take_at(
                    &self.cast.blue_lead,
                    taken_at.min(Utc::now()),
                    &context()
                )
            )?;
            self.report.snapshots += 1;
        }
        for (index, (test, stop)) in tests.iter().zip(&stops).enumerate() {
            if let Stop::At(state) = *stop {
                self.leave_at(test, state, index).await?;
            }
        }
        self.remediate(campaign.as_uuid()).await?;
        self.import_scans().await?;
        self.report_on(campaign.as_uuid()).await
    }

    /// The scanners' results join the findings beside the test gaps.
    async fn import_scans(&mut self) -> Result<(), DemoError> {
        let imported = attempt!(
            "importing the scanners' SARIF file",
            self.services.findings.import_scan(
                &self.cast.blue_lead,
                content::SCANNER_SARIF,
                &context()
            )
        )?;
        self.report.vulnerabilities = u32::try_from(imported.created).unwrap_or(u32::MAX);
        Ok(())
    }

    /// The campaign's signed report, generated now rather than by the workers.
    async fn report_on(&mut self, campaign: uuid::Uuid) -> Result<(), DemoError> {
        let reports = &self.services.reports;
        attempt!(
            "requesting the campaign report",
            reports.request(
                &self.cast.blue_lead,
                "purple_campaign",
                "html",
                Some(campaign),
                &context(),
            )
        )?;
        // The generation job, run here in the foreground as `aegis jobs run` does.
        let system = Initiator::System {
            tenant: self.cast.blue_lead.tenant_id,
        };
        let run = attempt!(
            "generating the campaign report",
            self.services
                .jobs
                .run_in_foreground(&system, aegis_domain::job::JobKind::ReportGeneration)
        )?;
        if let Some(error) = run.error {
            return Err(DemoError {
                step: "generating the campaign report",
                message: error,
            });
        }
        let generated = run.counts.get("generated").copied().unwrap_or_default();
        self.report.reports += u32::try_from(generated).unwrap_or(u32::MAX);
        Ok(())
    }

    async fn act(
        &self,
        actor: &Actor,
        test: TestId,
        action: WorkflowAction,
        notes: Option<&str>,
    ) -> Result<TestCase, DemoError> {
        attempt!(
            "moving a test along its workflow",
            self.services.tests.act(
                actor,
                test,
                action,
                notes.map(str::to_owned),
                None,
                &context()
            )
        )
    }

    async fn execute_red(&mut self, test: &TestCase, index: usize) -> Result<(), DemoError> {
        let red = &self.cast.red_tech;
        self.act(red, test.id, WorkflowAction::StartExecution, None)
            .await?;
        let run = content::red_run(test, index);
        attempt!(
            "writing red's report",
            self.services.tests.update_red(
                red,
                test.id,
                RedChanges {
                    executed_at: Some(Utc::now()),
                    procedure: Some(run.procedure),
                    command: Some(run.command),
                    tool: Some(run.tool.to_owned()),
                    targets: Some(vec![run.target.to_owned()]),
                    result_summary: Some(run.summary),
                },
                None,
                &context(),
            )
        )?;
        self.upload(red, test.id, "execution-log.txt", run.log)
            .await?;
        self.act(red, test.id, WorkflowAction::SubmitRed, None)
            .await?;
        Ok(())
    }

    async fn evaluate_blue(&mut self, test: &TestCase, index: usize) -> Result<(), DemoError> {
        let blue = &self.cast.blue_tech;
        let seen = content::blue_view(test, index);
        self.act(blue, test.id, WorkflowAction::StartEvaluation, None)
            .await?;
        attempt!(
            "writing blue's evaluation",
            self.services.tests.update_blue(
                blue,
                test.id,
                BlueChanges {
                    outcome: Some(seen.outcome.as_str().to_owned()),
                    detected_at: seen.detected.then(Utc::now),
                    detection_source: seen.source.map(str::to_owned),
                    fired_rules: None,
                    rule_results: None,
                    notes: Some(seen.notes),
                },
                None,
                &context(),
            )
        )?;
        self.upload(blue, test.id, "siem-alerts.json", seen.export)
            .await?;
        self.act(blue, test.id, WorkflowAction::SubmitBlue, None)
            .await?;
        Ok(())
    }

    async fn validate(&mut self, test: &TestCase, index: usize) -> Result<(), DemoError> {
        self.execute_red(test, index).await?;
        self.evaluate_blue(test, index).await?;
        let approve = Some("Both reports agree with the logs.");
        let (red_lead, blue_lead) = (&self.cast.red_lead, &self.cast.blue_lead);
        self.act(
            red_lead,
            test.id,
            WorkflowAction::ValidateRed(Verdict::Approve),
            approve,
        )
        .await?;
        self.act(
            blue_lead,
            test.id,
            WorkflowAction::ValidateBlue(Verdict::Approve),
            approve,
        )
        .await?;
        Ok(())
    }

    /// Leaves a test in `state`, the way the teams would get it there.
    async fn leave_at(
        &mut self,
        test: &TestCase,
        state: TestState,
        index: usize,
    ) -> Result<(), DemoError> {
        let (red_lead, blue_lead) = (self.cast.red_lead.clone(), self.cast.blue_lead.clone());
        match state {
            TestState::Draft | TestState::Validated => {}
            TestState::RedExecuting => {
                self.act(
                    &self.cast.red_tech,
                    test.id,
                    WorkflowAction::StartExecution,
                    None,
                )
                .await?;
            }
            TestState::BlueEvaluating => self.execute_red(test, index).await?,
            TestState::InReview | TestState::Rejected | TestState::Disputed => {
                self.execute_red(test, index).await?;
                self.evaluate_blue(test, index).await?;
                let reject = Some("The execution log does not show the technique's command ran.");
                match state {
                    TestState::Rejected => {
                        self.act(
                            &red_lead,
                            test.id,
                            WorkflowAction::ValidateRed(Verdict::Reject),
                            reject,
                        )
                        .await?;
                        self.act(
                            &blue_lead,
                            test.id,
                            WorkflowAction::ValidateBlue(Verdict::Reject),
                            reject,
                        )
                        .await?;
                    }
                    TestState::Disputed => {
                        self.act(
                            &red_lead,
                            test.id,
                            WorkflowAction::ValidateRed(Verdict::Approve),
                            Some("Executed as planned."),
                        )
                        .await?;
                        self.act(
                            &blue_lead,
                            test.id,
                            WorkflowAction::ValidateBlue(Verdict::Reject),
                            Some("The alert blue cites fired an hour before the execution."),
                        )
                        .await?;
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    async fn upload(
        &mut self,
        actor: &Actor,
        test: TestId,
        filename: &str,
        body: String,
    ) -> Result<(), DemoError> {
        let chunks: aegis_application::ports::ByteChunks =
            Box::pin(futures::stream::once(async move { Ok(body.into_bytes()) }));
        attempt!(
            "uploading evidence",
            self.services
                .evidence
                .upload(actor, test, filename, None, chunks, &context())
        )?;
        self.report.evidence += 1;
        Ok(())
    }

    /// Each finding the validations opened gets an owner, a due date and remediation steps.
    async fn remediate(&mut self, campaign: uuid::Uuid) -> Result<(), DemoError> {
        let lead = &self.cast.blue_lead;
        let findings = attempt!(
            "listing the findings",
            self.services.findings.list(
                lead,
                &FindingQuery {
                    campaign: Some(campaign),
                    ..FindingQuery::default()
                },
                PageRequest::new(1, PageRequest::MAX_PER_PAGE),
            )
        )?;
        for (index, view) in findings.items.iter().enumerate() {
            let finding = &view.finding;
            let due = Utc::now().date_naive() + Duration::days(14 + 7 * index as i64);
            attempt!(
                "triaging a finding",
                self.services.findings.update(
                    lead,
                    finding.id,
                    FindingChanges {
                        owner_id: Some(Some(self.cast.blue_tech.user_id.as_uuid())),
                        due_on: Some(Some(due)),
                        ..FindingChanges::default()
                    },
                    None,
                    &context(),
                )
            )?;
            for (title, notes) in finding.outcome().into_iter().flat_map(content::remediation) {
                attempt!(
                    "adding a remediation step",
                    self.services.findings.add_step(
                        lead,
                        finding.id,
                        NewStep {
                            title: title.to_owned(),
                            assignee_id: Some(self.cast.blue_tech.user_id.as_uuid()),
                            notes: notes.to_owned(),
                        },
                        &context(),
                    )
                )?;
            }
            self.report.findings += 1;
        }
        Ok(())
    }
}

/// Where each of `count` tests (in campaign order) ends: one in each unfinished state, the
/// rest validated, spread over the twelve weeks.
fn plan_stops(count: usize) -> Vec<Stop> {
    const UNFINISHED: [TestState; 6] = [
        TestState::Disputed,
        TestState::Rejected,
        TestState::InReview,
        TestState::BlueEvaluating,
        TestState::RedExecuting,
        TestState::Draft,
    ];
    let unfinished = UNFINISHED.len().min(count.saturating_sub(1));
    let validated = count - unfinished;
    let mut stops: Vec<Stop> = (0..validated)
        .map(|i| Stop::Validated(i * WEEKS as usize / validated.max(1)))
        .collect();
    stops.extend(UNFINISHED[..unfinished].iter().map(|s| Stop::At(*s)));
    stops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_a_test_and_validations_spread_over_the_weeks() {
        let stops = plan_stops(24);
        assert_eq!(stops.len(), 24);
        for state in TestState::ALL {
            let present = stops.iter().any(|s| match s {
                Stop::At(at) => *at == state,
                Stop::Validated(_) => state == TestState::Validated,
            });
            assert!(present, "{state:?}");
        }
        let weeks: std::collections::BTreeSet<usize> = stops
            .iter()
            .filter_map(|s| match s {
                Stop::Validated(w) => Some(*w),
                Stop::At(_) => None,
            })
            .collect();
        assert_eq!(weeks.len(), 12);
        assert_eq!(weeks.last(), Some(&11));
    }

    #[test]
    fn a_small_campaign_still_validates_one_test() {
        assert_eq!(plan_stops(1), vec![Stop::Validated(0)]);
        assert!(plan_stops(3).contains(&Stop::Validated(0)));
        assert!(plan_stops(0).is_empty());
    }

    #[test]
    fn the_embedded_feeds_parse() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let release = runtime
            .block_on(DemoAttack.fetch())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(release.skipped.is_empty(), "{:?}", release.skipped);
        let rules = runtime
            .block_on(DemoRules.fetch())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(rules.skipped.is_empty(), "{:?}", rules.skipped);
        assert_eq!(rules.rules.len(), content::SIGMA_RULES.len());
    }
}
