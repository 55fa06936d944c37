//! draft -> active -> completed -> archived, and who may move a campaign along.

use super::*;

impl CampaignService {
    /// Draft → active (leads or admin; at least one test).
    ///
    /// # Errors
    /// `Refused` outside draft or without tests.
    pub async fn activate(
        &self,
        actor: &Actor,
        id: CampaignId,
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
                "campaign.activated",
                async |_, campaign| {
                    campaign.activate(now)?;
                    Ok(serde_json::json!({"tests": campaign.test_order.len()}))
                },
            )
            .await?;
        Ok(campaign)
    }

    /// Active → completed (red lead or admin); nothing changes afterwards.
    ///
    /// # Errors
    /// `Forbidden` for others; `Refused` outside active.
    pub async fn complete(
        &self,
        actor: &Actor,
        id: CampaignId,
        context: &RequestContext,
    ) -> Result<Campaign, CampaignError> {
        actor.authorize(Action::CompleteCampaign)?;
        let now = self.clock.now();
        let campaign = self
            .change(
                actor,
                id,
                None,
                context,
                "campaign.completed",
                async |uow, campaign| {
                    campaign.complete(now)?;
                    let tests = uow.tests_of_campaign(actor.tenant_id, campaign.id).await?;
                    let validated = tests
                        .iter()
                        .filter(|t| t.workflow().state() == TestState::Validated)
                        .count();
                    Ok(serde_json::json!({"tests": tests.len(), "validated": validated}))
                },
            )
            .await?;
        Ok(campaign)
    }

    /// Puts a completed (or abandoned draft) campaign away; its recurrence stops.
    ///
    /// # Errors
    /// `Refused` while active.
    pub async fn archive(
        &self,
        actor: &Actor,
        id: CampaignId,
        context: &RequestContext,
    ) -> Result<Campaign, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        let campaign = self
            .change(
                actor,
                id,
                None,
                context,
                "campaign.archived",
                async |_, campaign| {
                    campaign.archive()?;
                    Ok(serde_json::json!({}))
                },
            )
            .await?;
        Ok(campaign)
    }
}
