//! Which tests a campaign holds, in what order, and what each depends on.

use super::*;

impl CampaignService {
    /// Links a draft test to a campaign in draft, at the end of its order.
    ///
    /// # Errors
    /// `Refused` outside draft; `Invalid` for a test that is not a free draft.
    pub async fn link_test(
        &self,
        actor: &Actor,
        id: CampaignId,
        test_id: TestId,
        context: &RequestContext,
    ) -> Result<Campaign, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        let now = self.clock.now();
        let campaign = self
            .change(
                actor,
                id,
                None,
                context,
                "campaign.test_linked",
                async |uow, campaign| {
                    campaign.ensure_planning("take new tests")?;
                    let mut test = uow
                        .find_test(actor.tenant_id, test_id)
                        .await?
                        .ok_or_else(|| invalid("test_id", "no such test in this organization"))?;
                    if test.campaign_id == Some(campaign.id.as_uuid()) {
                        return Ok(serde_json::json!({"test_id": test_id}));
                    }
                    if let Some(other) = test.campaign_id {
                        return Err(invalid(
                            "test_id",
                            format!("the test already belongs to campaign {other}"),
                        ));
                    }
                    if test.workflow().state() != TestState::Draft {
                        return Err(invalid(
                            "test_id",
                            "only a test in draft can join a campaign",
                        ));
                    }
                    move_test(uow, &mut test, Some(campaign.id), now).await?;
                    campaign.test_order.push(test.id);
                    Ok(serde_json::json!({"test_id": test_id}))
                },
            )
            .await?;
        Ok(campaign)
    }

    /// Takes a test out of a campaign in draft, with its dependencies.
    ///
    /// # Errors
    /// `Refused` outside draft; `Invalid` when the test is not in the campaign.
    pub async fn unlink_test(
        &self,
        actor: &Actor,
        id: CampaignId,
        test_id: TestId,
        context: &RequestContext,
    ) -> Result<Campaign, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        let now = self.clock.now();
        let campaign = self
            .change(
                actor,
                id,
                None,
                context,
                "campaign.test_unlinked",
                async |uow, campaign| {
                    campaign.ensure_planning("give up tests")?;
                    let mut test = uow
                        .find_test(actor.tenant_id, test_id)
                        .await?
                        .filter(|t| t.campaign_id == Some(campaign.id.as_uuid()))
                        .ok_or_else(|| invalid("test_id", "the test is not in this campaign"))?;
                    move_test(uow, &mut test, None, now).await?;
                    uow.drop_dependencies_of(actor.tenant_id, test_id).await?;
                    campaign.test_order.retain(|t| *t != test_id);
                    Ok(serde_json::json!({"test_id": test_id}))
                },
            )
            .await?;
        Ok(campaign)
    }

    /// Sets the execution order: every test of the campaign, each once.
    ///
    /// # Errors
    /// `Invalid` when the list is not exactly the campaign's tests; `Refused` outside draft.
    pub async fn reorder(
        &self,
        actor: &Actor,
        id: CampaignId,
        order: Vec<TestId>,
        context: &RequestContext,
    ) -> Result<Campaign, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        let campaign = self
            .change(
                actor,
                id,
                None,
                context,
                "campaign.reordered",
                async |uow, campaign| {
                    campaign.ensure_planning("be reordered")?;
                    let tests: HashSet<TestId> = uow
                        .tests_of_campaign(actor.tenant_id, campaign.id)
                        .await?
                        .into_iter()
                        .map(|t| t.id)
                        .collect();
                    let given: HashSet<TestId> = order.iter().copied().collect();
                    if given.len() != order.len() || given != tests {
                        return Err(invalid(
                            "test_ids",
                            "must list every test of the campaign exactly once",
                        ));
                    }
                    campaign.test_order = order;
                    Ok(serde_json::json!({"tests": campaign.test_order.len()}))
                },
            )
            .await?;
        Ok(campaign)
    }

    /// Replaces what a test depends on: tests of the same campaign, without cycles. The
    /// test must still be in draft.
    ///
    /// # Errors
    /// `Invalid` naming `depends_on` for a test outside the campaign or a cycle.
    pub async fn set_dependencies(
        &self,
        actor: &Actor,
        test_id: TestId,
        depends_on: Vec<TestId>,
        context: &RequestContext,
    ) -> Result<CampaignDetail, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        let test = self
            .database
            .find_test(actor.tenant_id, test_id)
            .await?
            .ok_or(CampaignError::Test(TestError::NotFound))?;
        let campaign_id = test
            .campaign_id
            .map(CampaignId::from_uuid)
            .ok_or(CampaignError::NotInCampaign)?;
        let mut depends_on = depends_on;
        depends_on.sort();
        depends_on.dedup();
        self.change(
            actor,
            campaign_id,
            None,
            context,
            "campaign.dependencies_set",
            async |uow, campaign| {
                campaign.ensure_open("change dependencies")?;
                let current = uow
                    .find_test(actor.tenant_id, test_id)
                    .await?
                    .ok_or(CampaignError::Test(TestError::NotFound))?;
                if current.workflow().state() != TestState::Draft {
                    return Err(invalid(
                        "test_id",
                        "dependencies change only while the test is in draft",
                    ));
                }
                let members: HashSet<TestId> = uow
                    .tests_of_campaign(actor.tenant_id, campaign.id)
                    .await?
                    .into_iter()
                    .map(|t| t.id)
                    .collect();
                if let Some(stranger) = depends_on.iter().find(|d| !members.contains(d)) {
                    return Err(invalid(
                        "depends_on",
                        format!("test {stranger} is not in this campaign"),
                    ));
                }
                let existing: Vec<Dependency> = uow
                    .dependencies_in_campaign(actor.tenant_id, campaign.id)
                    .await?
                    .into_iter()
                    .filter(|e| e.test != test_id)
                    .collect();
                let added: Vec<Dependency> = depends_on
                    .iter()
                    .map(|d| Dependency {
                        test: test_id,
                        depends_on: *d,
                    })
                    .collect();
                if creates_cycle(&existing, &added) {
                    return Err(invalid(
                        "depends_on",
                        "these dependencies would form a cycle",
                    ));
                }
                uow.replace_dependencies(actor.tenant_id, test_id, &depends_on)
                    .await?;
                Ok(serde_json::json!({"test_id": test_id, "depends_on": depends_on}))
            },
        )
        .await?;
        let detail = self.get(actor, campaign_id).await?;
        Ok(detail)
    }
}
