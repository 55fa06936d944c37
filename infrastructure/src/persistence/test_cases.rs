//! Tests and their history.

use aegis_domain::ports::Entity;
use aegis_domain::ports::Subject;
use aegis_domain::ports::TestRepository;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};

use aegis_domain::catalog::TechniqueId;
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::{RepositoryError, TestFilter, TestHistory};
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::{
    BlueReport, Comment, Outcome, PhaseClock, RedReport, TestCase, TestId, TransitionRecord,
    Worklog,
};
use aegis_domain::user::UserId;
use aegis_domain::workflow::{Team, TestState, Verdict, Workflow};

use super::campaigns::entities::campaign;
use super::catalog::entities::technique;
use super::catalog::read::techniques_of_tactic;
use super::error::{corrupt, ensure_tenant, on_write, unexpected};
use super::json_values::strings;
use super::test_entities::{comment, test, transition, worklog};
use super::text_search::any_contains;
use super::versioned::{VersionedTable, find_in_tenant, update_versioned};

use async_trait::async_trait;

use super::read_models::Scope;
use super::{Connection, SeaStore};

fn verdict(text: Option<&str>) -> Result<Option<Verdict>, RepositoryError> {
    match text {
        None => Ok(None),
        Some("approve") => Ok(Some(Verdict::Approve)),
        Some("reject") => Ok(Some(Verdict::Reject)),
        Some(other) => Err(corrupt("vote", other)),
    }
}

fn to_domain(row: test::Model) -> Result<TestCase, RepositoryError> {
    let state = row
        .state
        .parse::<TestState>()
        .map_err(|e| corrupt("test state", e))?;
    let workflow = Workflow::restore(
        state,
        verdict(row.red_vote.as_deref())?,
        verdict(row.blue_vote.as_deref())?,
        row.paused,
    );
    let outcome = row
        .blue_outcome
        .as_deref()
        .map(|o| Outcome::parse(o).ok_or_else(|| corrupt("outcome", o)))
        .transpose()?;
    let mut test = TestCase::draft(
        TestId::from_uuid(row.id),
        TenantId::from_uuid(row.tenant_id),
        row.title,
        TechniqueId::parse(&row.technique_id).map_err(|e| corrupt("technique id", e))?,
        UserId::from_uuid(row.created_by),
        row.created_at,
    )
    .restored(workflow, row.version);
    test.description = row.description;
    test.objective = row.objective;
    test.target_environment = row.target_environment;
    test.platform = row.platform;
    test.assignee = row.assignee_id.map(UserId::from_uuid);
    test.campaign_id = row.campaign_id;
    test.red_vote_notes = row.red_vote_notes;
    test.blue_vote_notes = row.blue_vote_notes;
    test.paused_at = row.paused_at;
    test.red_clock = PhaseClock {
        started_at: row.red_started_at,
        paused_seconds: row.red_paused_seconds,
    };
    test.blue_clock = PhaseClock {
        started_at: row.blue_started_at,
        paused_seconds: row.blue_paused_seconds,
    };
    let picked_up = state == TestState::BlueEvaluating
        && PhaseClock::blue_started_this_round(&test.red_clock, &test.blue_clock);
    let (version, workflow) = (test.version(), *test.workflow());
    test = test.restored(workflow.with_evaluation_started(picked_up), version);
    test.red = RedReport {
        executed_at: row.red_executed_at,
        procedure: row.red_procedure,
        command: row.red_command,
        tool: row.red_tool,
        targets: strings(&row.red_targets),
        result_summary: row.red_result_summary,
    };
    test.blue = BlueReport {
        outcome,
        detected_at: row.blue_detected_at,
        detection_source: row.blue_detection_source,
        rule_results: rule_results(&row.blue_fired_rules),
        notes: row.blue_notes,
    };
    test.validated_at = row.validated_at;
    test.updated_at = row.updated_at;
    Ok(test)
}

fn to_row(t: &TestCase) -> test::ActiveModel {
    let workflow = t.workflow();
    test::ActiveModel {
        id: Set(t.id.as_uuid()),
        tenant_id: Set(t.tenant_id.as_uuid()),
        title: Set(t.title.clone()),
        description: Set(t.description.clone()),
        technique_id: Set(t.technique_id.to_string()),
        objective: Set(t.objective.clone()),
        target_environment: Set(t.target_environment.clone()),
        platform: Set(t.platform.clone()),
        validated_at: Set(t.validated_at),
        assignee_id: Set(t.assignee.map(|a| a.as_uuid())),
        campaign_id: Set(t.campaign_id),
        state: Set(workflow.state().as_str().to_owned()),
        red_vote: Set(workflow.red_vote().map(|v| v.as_str().to_owned())),
        red_vote_notes: Set(t.red_vote_notes.clone()),
        blue_vote: Set(workflow.blue_vote().map(|v| v.as_str().to_owned())),
        blue_vote_notes: Set(t.blue_vote_notes.clone()),
        paused: Set(workflow.is_paused()),
        paused_at: Set(t.paused_at),
        red_started_at: Set(t.red_clock.started_at),
        red_paused_seconds: Set(t.red_clock.paused_seconds),
        blue_started_at: Set(t.blue_clock.started_at),
        blue_paused_seconds: Set(t.blue_clock.paused_seconds),
        red_executed_at: Set(t.red.executed_at),
        red_procedure: Set(t.red.procedure.clone()),
        red_command: Set(t.red.command.clone()),
        red_tool: Set(t.red.tool.clone()),
        red_targets: Set(serde_json::json!(t.red.targets)),
        red_result_summary: Set(t.red.result_summary.clone()),
        blue_outcome: Set(t.blue.outcome.map(|o| o.as_str().to_owned())),
        blue_detected_at: Set(t.blue.detected_at),
        blue_detection_source: Set(t.blue.detection_source.clone()),
        blue_fired_rules: Set(serde_json::json!(
            t.blue
                .rule_results
                .iter()
                .map(|r| serde_json::json!({"rule": r.rule, "verdict": r.verdict.as_str()}))
                .collect::<Vec<_>>()
        )),
        blue_notes: Set(t.blue.notes.clone()),
        version: Set(t.version()),
        created_by: Set(t.created_by.as_uuid()),
        created_at: Set(t.created_at),
        updated_at: Set(t.updated_at),
    }
}

pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    t: &TestCase,
) -> Result<(), RepositoryError> {
    ensure_tenant(t.tenant_id, tenant, "test")?;
    test::Entity::insert(to_row(t))
        .exec_without_returning(db)
        .await
        .map_err(on_write(Subject::Test))?;
    Ok(())
}

pub(crate) async fn find(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: TestId,
) -> Result<Option<TestCase>, RepositoryError> {
    find_in_tenant::<test::Entity>(db, tenant, id.as_uuid())
        .await?
        .map(to_domain)
        .transpose()
}

pub(crate) async fn update(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    t: &TestCase,
    expected_version: i32,
) -> Result<(), RepositoryError> {
    let mut row = to_row(t);
    row.id = NotSet;
    row.tenant_id = NotSet;
    row.created_at = NotSet;
    row.created_by = NotSet;
    update_versioned::<test::Entity, _>(db, tenant, t.id.as_uuid(), expected_version, row).await
}

pub(crate) async fn delete(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: TestId,
) -> Result<(), RepositoryError> {
    // Children first: SQLite only cascades with foreign keys on, and explicit is clearer.
    super::campaigns::drop_dependencies_of(db, tenant, id).await?;
    for statement in [
        comment::Entity::delete_many()
            .filter(comment::Column::TestId.eq(id.as_uuid()))
            .filter(comment::Column::TenantId.eq(tenant.as_uuid()))
            .build(db.get_database_backend()),
        worklog::Entity::delete_many()
            .filter(worklog::Column::TestId.eq(id.as_uuid()))
            .filter(worklog::Column::TenantId.eq(tenant.as_uuid()))
            .build(db.get_database_backend()),
        transition::Entity::delete_many()
            .filter(transition::Column::TestId.eq(id.as_uuid()))
            .filter(transition::Column::TenantId.eq(tenant.as_uuid()))
            .build(db.get_database_backend()),
    ] {
        db.execute_raw(statement).await.map_err(unexpected)?;
    }
    let result = test::Entity::delete_many()
        .filter(test::Column::TenantId.eq(tenant.as_uuid()))
        .filter(test::Column::Id.eq(id.as_uuid()))
        .exec(db)
        .await
        .map_err(unexpected)?;
    if result.rows_affected == 0 {
        return Err(RepositoryError::NotFound(Entity::Test));
    }
    Ok(())
}

/// Every test of one technique, in any state.
pub(crate) async fn of_technique(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    technique: &TechniqueId,
) -> Result<Vec<TestCase>, RepositoryError> {
    matching(
        db,
        Condition::all()
            .add(test::Column::TenantId.eq(tenant.as_uuid()))
            .add(test::Column::TechniqueId.eq(technique.as_str())),
    )
    .await
}

/// Every test meeting `condition`, in any state.
pub(crate) async fn matching(
    db: &impl ConnectionTrait,
    condition: Condition,
) -> Result<Vec<TestCase>, RepositoryError> {
    test::Entity::find()
        .filter(condition)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(to_domain)
        .collect()
}

pub(crate) async fn list(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    filter: &TestFilter,
    page: PageRequest,
) -> Result<Page<TestCase>, RepositoryError> {
    let mut query = test::Entity::find().filter(test::Column::TenantId.eq(tenant.as_uuid()));
    if let Some(state) = filter.state {
        query = query.filter(test::Column::State.eq(state.as_str()));
    }
    if let Some(technique) = &filter.technique {
        query = query.filter(test::Column::TechniqueId.eq(technique.as_str()));
    }
    if let Some(campaign) = filter.campaign {
        query = query.filter(test::Column::CampaignId.eq(campaign));
    }
    if let Some(assignee) = filter.assignee {
        query = query.filter(test::Column::AssigneeId.eq(assignee.as_uuid()));
    }
    if let Some(team) = filter.team {
        let states: &[TestState] = match team {
            Team::Red => &[TestState::Draft, TestState::RedExecuting],
            Team::Blue => &[TestState::BlueEvaluating],
        };
        query = query.filter(test::Column::State.is_in(states.iter().map(|s| s.as_str())));
    }
    if let Some(from) = filter.created_from {
        query = query.filter(test::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.created_to {
        query = query.filter(test::Column::CreatedAt.lt(to));
    }
    if let Some(from) = filter.validated_from {
        query = query.filter(test::Column::ValidatedAt.gte(from));
    }
    if let Some(to) = filter.validated_to {
        query = query.filter(test::Column::ValidatedAt.lt(to));
    }
    if let Some(tactic_ref) = &filter.tactic {
        let ids = techniques_of_tactic(db, tactic_ref, technique::Column::MitreId).await?;
        query = query.filter(test::Column::TechniqueId.in_subquery(ids));
    }
    if let Some(text) = &filter.text {
        query = query.filter(any_contains(
            &[test::Column::Title, test::Column::Description],
            text,
        ));
    }
    // The domain says what is concealed; this only turns it into SQL.
    for (kind, states) in &filter.concealed {
        let of_kind = campaign::Entity::find()
            .select_only()
            .column(campaign::Column::Id)
            .filter(campaign::Column::TenantId.eq(tenant.as_uuid()))
            .filter(campaign::Column::Kind.eq(kind.as_str()))
            .into_query();
        query = query.filter(
            Condition::any()
                .add(test::Column::CampaignId.is_null())
                .add(test::Column::CampaignId.not_in_subquery(of_kind))
                .add(test::Column::State.is_not_in(states.iter().map(|s| s.as_str()))),
        );
    }
    let total = query.clone().count(db).await.map_err(unexpected)?;
    let rows = query
        .order_by_desc(test::Column::CreatedAt)
        .order_by_desc(test::Column::Id)
        .offset(page.offset())
        .limit(page.per_page())
        .all(db)
        .await
        .map_err(unexpected)?;
    let items = rows.into_iter().map(to_domain).collect::<Result<_, _>>()?;
    Ok(Page {
        items,
        total,
        request: page,
    })
}

pub(crate) async fn insert_transition(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    r: &TransitionRecord,
) -> Result<(), RepositoryError> {
    let row = transition::ActiveModel {
        id: Set(r.id),
        tenant_id: Set(tenant.as_uuid()),
        test_id: Set(r.test_id.as_uuid()),
        actor_id: Set(r.actor.as_uuid()),
        action: Set(r.action.clone()),
        from_state: Set(r.from.clone()),
        to_state: Set(r.to.clone()),
        comment: Set(r.comment.clone()),
        occurred_at: Set(r.occurred_at),
    };
    transition::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

pub(crate) async fn insert_worklog(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    w: &Worklog,
) -> Result<(), RepositoryError> {
    let row = worklog::ActiveModel {
        id: Set(w.id),
        tenant_id: Set(tenant.as_uuid()),
        test_id: Set(w.test_id.as_uuid()),
        team: Set(w.team.as_str().to_owned()),
        actor_id: Set(w.actor.as_uuid()),
        started_at: Set(w.started_at),
        ended_at: Set(w.ended_at),
        paused_seconds: Set(w.paused_seconds),
        duration_seconds: Set(w.duration_seconds),
        integrity_hash: Set(w.integrity_hash.clone()),
    };
    worklog::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

pub(crate) async fn insert_comment(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    c: &Comment,
) -> Result<(), RepositoryError> {
    let row = comment::ActiveModel {
        id: Set(c.id),
        tenant_id: Set(tenant.as_uuid()),
        test_id: Set(c.test_id.as_uuid()),
        author_id: Set(c.author.as_uuid()),
        body: Set(c.body.clone()),
        created_at: Set(c.created_at),
    };
    comment::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(unexpected)?;
    Ok(())
}

pub(crate) fn transition_to_domain(r: transition::Model) -> TransitionRecord {
    TransitionRecord {
        id: r.id,
        test_id: TestId::from_uuid(r.test_id),
        actor: UserId::from_uuid(r.actor_id),
        action: r.action,
        from: r.from_state,
        to: r.to_state,
        comment: r.comment,
        occurred_at: r.occurred_at,
    }
}

pub(crate) async fn history(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: TestId,
) -> Result<TestHistory, RepositoryError> {
    let transitions = transition::Entity::find()
        .filter(transition::Column::TenantId.eq(tenant.as_uuid()))
        .filter(transition::Column::TestId.eq(id.as_uuid()))
        .order_by_asc(transition::Column::OccurredAt)
        .order_by_asc(transition::Column::Id)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(transition_to_domain)
        .collect();
    let worklogs = worklog::Entity::find()
        .filter(worklog::Column::TenantId.eq(tenant.as_uuid()))
        .filter(worklog::Column::TestId.eq(id.as_uuid()))
        .order_by_asc(worklog::Column::EndedAt)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(|w| {
            let team = if w.team == "blue" {
                Team::Blue
            } else {
                Team::Red
            };
            Worklog {
                id: w.id,
                test_id: TestId::from_uuid(w.test_id),
                team,
                actor: UserId::from_uuid(w.actor_id),
                started_at: w.started_at,
                ended_at: w.ended_at,
                paused_seconds: w.paused_seconds,
                duration_seconds: w.duration_seconds,
                integrity_hash: w.integrity_hash,
            }
        })
        .collect();
    let comments = comment::Entity::find()
        .filter(comment::Column::TenantId.eq(tenant.as_uuid()))
        .filter(comment::Column::TestId.eq(id.as_uuid()))
        .order_by_asc(comment::Column::CreatedAt)
        .all(db)
        .await
        .map_err(unexpected)?
        .into_iter()
        .map(|c| Comment {
            id: c.id,
            test_id: TestId::from_uuid(c.test_id),
            author: UserId::from_uuid(c.author_id),
            body: c.body,
            created_at: c.created_at,
        })
        .collect();
    Ok(TestHistory {
        transitions,
        worklogs,
        comments,
    })
}

/// Blue's rule results: `{rule, verdict}` objects, or the plain names of fired rules that
/// tests stored before verdicts existed.
fn rule_results(value: &serde_json::Value) -> Vec<aegis_domain::test_case::RuleResult> {
    use aegis_domain::test_case::{RuleResult, RuleVerdict};
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| match item {
                    serde_json::Value::String(rule) => Some(RuleResult {
                        rule: rule.clone(),
                        verdict: RuleVerdict::Triggered,
                    }),
                    other => Some(RuleResult {
                        rule: other.get("rule")?.as_str()?.to_owned(),
                        verdict: RuleVerdict::parse(other.get("verdict")?.as_str()?)?,
                    }),
                })
                .collect()
        })
        .unwrap_or_default()
}

impl VersionedTable for test::Entity {
    const ENTITY: Entity = Entity::Test;
    fn tenant_column() -> Self::Column {
        test::Column::TenantId
    }
    fn id_column() -> Self::Column {
        test::Column::Id
    }
    fn version_column() -> Self::Column {
        test::Column::Version
    }
}

#[async_trait]
impl<C: Connection> TestRepository for SeaStore<C> {
    async fn insert_test(&self, tenant: TenantId, test: &TestCase) -> Result<(), RepositoryError> {
        let outcome = insert(self.conn(), tenant, test).await?;
        self.changed(Scope::Tenant(tenant)).await?;
        Ok(outcome)
    }
    async fn find_test(
        &self,
        tenant: TenantId,
        test: TestId,
    ) -> Result<Option<TestCase>, RepositoryError> {
        find(&self.read(), tenant, test).await
    }
    async fn update_test(
        &self,
        tenant: TenantId,
        test: &TestCase,
        expected_version: i32,
    ) -> Result<(), RepositoryError> {
        let outcome = update(self.conn(), tenant, test, expected_version).await?;
        self.changed(Scope::Tenant(tenant)).await?;
        Ok(outcome)
    }
    async fn delete_test(&self, tenant: TenantId, test: TestId) -> Result<(), RepositoryError> {
        let outcome = delete(self.conn(), tenant, test).await?;
        self.changed(Scope::Tenant(tenant)).await?;
        Ok(outcome)
    }
    async fn list_tests(
        &self,
        tenant: TenantId,
        filter: &TestFilter,
        page: PageRequest,
    ) -> Result<Page<TestCase>, RepositoryError> {
        list(&self.read(), tenant, filter, page).await
    }
    async fn insert_transition(
        &self,
        tenant: TenantId,
        record: &TransitionRecord,
    ) -> Result<(), RepositoryError> {
        let outcome = insert_transition(self.conn(), tenant, record).await?;
        self.changed(Scope::Tenant(tenant)).await?;
        Ok(outcome)
    }
    async fn insert_worklog(
        &self,
        tenant: TenantId,
        worklog: &Worklog,
    ) -> Result<(), RepositoryError> {
        insert_worklog(self.conn(), tenant, worklog).await
    }
    async fn insert_comment(
        &self,
        tenant: TenantId,
        comment: &Comment,
    ) -> Result<(), RepositoryError> {
        insert_comment(self.conn(), tenant, comment).await
    }
    async fn test_history(
        &self,
        tenant: TenantId,
        test: TestId,
    ) -> Result<TestHistory, RepositoryError> {
        history(self.conn(), tenant, test).await
    }
}
