//! Planning tests: create (one, planned, or drafts in bulk), read, list, change and delete.

use super::*;

impl TestService {
    pub(super) async fn known_technique(&self, text: &str) -> Result<TechniqueId, TestError> {
        let id = TechniqueId::parse(text).map_err(|e| invalid("technique_id", e.to_string()))?;
        match self.catalog.find_technique(&id).await? {
            Some(_) => Ok(id),
            None => Err(invalid(
                "technique_id",
                format!("{id} is not in the ATT&CK catalog (import ATT&CK first)"),
            )),
        }
    }

    pub(super) async fn known_user(&self, actor: &Actor, id: Uuid) -> Result<UserId, TestError> {
        let user = UserId::from_uuid(id);
        match self.database.find_user(actor.tenant_id, user).await? {
            Some(found) if found.is_active => Ok(user),
            _ => Err(invalid(
                "assignee_id",
                "is not an active user of this organization",
            )),
        }
    }

    /// Creates a test in draft. Accepts an Idempotency-Key.
    ///
    /// # Errors
    /// `Forbidden` unless a lead or admin, `Invalid` naming the fields.
    pub async fn create(
        &self,
        actor: &Actor,
        request: NewTest,
        key: Option<&IdempotencyKey>,
        context: &RequestContext,
    ) -> Result<TestCase, TestError> {
        self.create_planned(actor, request, RedReport::default(), key, context)
            .await
    }

    /// Creates a draft whose red procedure is already planned (from a template): red starts
    /// from it instead of an empty form.
    ///
    /// # Errors
    /// As `create`.
    pub async fn create_planned(
        &self,
        actor: &Actor,
        request: NewTest,
        plan: RedReport,
        key: Option<&IdempotencyKey>,
        context: &RequestContext,
    ) -> Result<TestCase, TestError> {
        actor.authorize(Action::PlanTests)?;
        let mut fields = Vec::new();
        let title = required("title", &request.title, 200, &mut fields);
        let technique = self.known_technique(&request.technique_id).await;
        if let Err(TestError::Invalid(more)) = &technique {
            fields.extend(more.iter().cloned());
        }
        let assignee = match request.assignee_id {
            Some(id) => match self.known_user(actor, id).await {
                Ok(user) => Some(user),
                Err(TestError::Invalid(more)) => {
                    fields.extend(more);
                    None
                }
                Err(other) => return Err(other),
            },
            None => None,
        };
        if !fields.is_empty() {
            return Err(TestError::Invalid(fields));
        }
        let technique_id = technique?;
        let tenant = actor.tenant_id;
        let idempotent = key.map(|key| IdempotentRequest {
            tenant,
            actor: actor.user_id,
            scope: "tests.create",
            key,
            fingerprint: fingerprint(&request),
        });
        let uow = self.database.begin().await?;
        if let Some(idempotent) = &idempotent {
            match idempotent.prior::<Uuid>(uow.as_ref()).await? {
                Prior::Replay(id) => {
                    return uow
                        .find_test(tenant, TestId::from_uuid(id))
                        .await?
                        .ok_or(TestError::NotFound);
                }
                Prior::Conflict => return Err(TestError::IdempotencyConflict),
                Prior::None => {}
            }
        }
        let mut test = self.new_draft(actor, title, technique_id);
        test.description = request.description.trim().to_owned();
        test.objective = request.objective.trim().to_owned();
        test.target_environment = request.target_environment.trim().to_owned();
        test.platform = request.platform.clone().and_then(optional);
        test.assignee = assignee;
        test.red = plan;
        self.insert_draft(uow.as_ref(), actor, context, &test)
            .await?;
        let now = test.created_at;
        if let Some(idempotent) = &idempotent {
            idempotent
                .remember(uow.as_ref(), &test.id.as_uuid(), now)
                .await?;
        }
        uow.commit().await?;
        Ok(test)
    }

    /// # Errors
    /// `Forbidden` for a role that cannot read operations.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &TestFilter,
        page: PageRequest,
    ) -> Result<Page<TestCase>, TestError> {
        actor.authorize(Action::ReadOperations)?;
        let filter = filter.clone().seen_by(actor.role);
        Ok(self
            .database
            .list_tests(actor.tenant_id, &filter, page)
            .await?)
    }

    /// # Errors
    /// `NotFound` when the test is not in the actor's organization.
    pub async fn get(&self, actor: &Actor, id: TestId) -> Result<TestCase, TestError> {
        actor.authorize(Action::ReadOperations)?;
        let database = self.database.as_ref();
        let test = database
            .find_test(actor.tenant_id, id)
            .await?
            .ok_or(TestError::NotFound)?;
        campaign_as_seen(database, actor, &test).await?;
        Ok(test)
    }

    /// The test with its transitions, worklogs and comments.
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn timeline(&self, actor: &Actor, id: TestId) -> Result<Timeline, TestError> {
        let test = self.get(actor, id).await?;
        let history = self.database.test_history(actor.tenant_id, id).await?;
        Ok(Timeline { test, history })
    }

    /// Changes the general fields of a draft.
    ///
    /// # Errors
    /// `Forbidden`, `Refused` outside draft, `VersionConflict`, `Invalid`.
    pub async fn update(
        &self,
        actor: &Actor,
        id: TestId,
        changes: TestChanges,
        expected_version: Option<i32>,
        context: &RequestContext,
    ) -> Result<TestCase, TestError> {
        actor.authorize(Action::PlanTests)?;
        let mut fields = Vec::new();
        let title = changes
            .title
            .as_deref()
            .map(|t| required("title", t, 200, &mut fields));
        let technique = match &changes.technique_id {
            Some(text) => Some(self.known_technique(text).await?),
            None => None,
        };
        let assignee = match changes.assignee_id {
            Some(Some(id)) => Some(Some(self.known_user(actor, id).await?)),
            Some(None) => Some(None),
            None => None,
        };
        if !fields.is_empty() {
            return Err(TestError::Invalid(fields));
        }
        let uow = self.database.begin().await?;
        let (mut test, _) = self.load(uow.as_ref(), actor, id, expected_version).await?;
        if test.workflow().state() != TestState::Draft {
            return Err(TestError::Refused(Refusal::NotAllowedInState {
                state: test.workflow().state(),
                action: "edit",
            }));
        }
        if let Some(title) = title {
            test.title = title;
        }
        let previous_technique = test.technique_id.clone();
        if let Some(technique) = technique {
            test.technique_id = technique;
        }
        if let Some(assignee) = assignee {
            test.assignee = assignee;
        }
        if let Some(platform) = changes.platform {
            test.platform = platform.and_then(optional);
        }
        for (value, target) in [
            (changes.description, &mut test.description),
            (changes.objective, &mut test.objective),
            (changes.target_environment, &mut test.target_environment),
        ] {
            if let Some(value) = value {
                value.trim().clone_into(target);
            }
        }
        self.save(uow.as_ref(), &mut test).await?;
        if previous_technique != test.technique_id {
            self.rescore(uow.as_ref(), actor.tenant_id, &previous_technique)
                .await?;
            self.rescore(uow.as_ref(), actor.tenant_id, &test.technique_id)
                .await?;
        }
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "test.updated",
            &test,
            serde_json::json!({"version": test.version()}),
        )
        .await?;
        uow.commit().await?;
        Ok(test)
    }

    /// Deletes a test in draft or rejected.
    ///
    /// # Errors
    /// `Forbidden`, `Refused` in other states.
    pub async fn delete(
        &self,
        actor: &Actor,
        id: TestId,
        context: &RequestContext,
    ) -> Result<(), TestError> {
        actor.authorize(Action::PlanTests)?;
        let uow = self.database.begin().await?;
        let (test, campaign) = self.load(uow.as_ref(), actor, id, None).await?;
        if !matches!(
            test.workflow().state(),
            TestState::Draft | TestState::Rejected
        ) {
            return Err(TestError::Refused(Refusal::NotAllowedInState {
                state: test.workflow().state(),
                action: "delete",
            }));
        }
        uow.delete_test(actor.tenant_id, id).await?;
        if let Some(mut campaign) = campaign {
            campaign.test_order.retain(|t| *t != id);
            let expected = campaign.record_change(self.clock.now());
            uow.update_campaign(actor.tenant_id, &campaign, expected)
                .await?;
        }
        self.rescore(uow.as_ref(), actor.tenant_id, &test.technique_id)
            .await?;
        self.audit(
            uow.as_ref(),
            actor,
            context,
            "test.deleted",
            &test,
            serde_json::json!({"title": test.title}),
        )
        .await?;
        uow.commit().await?;
        Ok(())
    }

    /// A draft with nothing filled in but its title and technique.
    pub(crate) fn new_draft(
        &self,
        actor: &Actor,
        title: String,
        technique_id: TechniqueId,
    ) -> TestCase {
        TestCase::draft(
            TestId::from_uuid(self.ids.new_id()),
            actor.tenant_id,
            title,
            technique_id,
            actor.user_id,
            self.clock.now(),
        )
    }

    /// Stores a new draft with its technique's rescoring and its audit entry.
    pub(crate) async fn insert_draft(
        &self,
        uow: &dyn UnitOfWork,
        actor: &Actor,
        context: &RequestContext,
        test: &TestCase,
    ) -> Result<(), TestError> {
        uow.insert_test(actor.tenant_id, test).await?;
        self.rescore(uow, actor.tenant_id, &test.technique_id)
            .await?;
        self.audit(
            uow,
            actor,
            context,
            "test.created",
            test,
            serde_json::json!({
                "title": test.title, "technique_id": test.technique_id.as_str(),
            }),
        )
        .await?;
        Ok(())
    }

    /// Creates drafts for many techniques at once (a Navigator layer, a plan), all or none;
    /// techniques the catalog does not hold are returned instead of created.
    ///
    /// # Errors
    /// `Forbidden` unless a lead or admin.
    pub async fn create_drafts(
        &self,
        actor: &Actor,
        drafts: Vec<DraftTest>,
        source: &str,
        context: &RequestContext,
    ) -> Result<(Vec<TestCase>, Vec<TechniqueId>), TestError> {
        actor.authorize(Action::PlanTests)?;
        let mut planned = Vec::new();
        let mut unknown = Vec::new();
        for draft in drafts {
            match self.catalog.find_technique(&draft.technique).await? {
                Some(detail) => {
                    let title: String = format!(
                        "{} {} (from {source})",
                        draft.technique, detail.technique.name
                    )
                    .chars()
                    .take(200)
                    .collect();
                    let mut test = self.new_draft(actor, title, draft.technique);
                    test.description = draft.description;
                    planned.push(test);
                }
                None => unknown.push(draft.technique),
            }
        }
        let uow = self.database.begin().await?;
        for test in &planned {
            self.insert_draft(uow.as_ref(), actor, context, test)
                .await?;
        }
        uow.commit().await?;
        Ok((planned, unknown))
    }
}
