//! A campaign planned from a chain of techniques (an attack path): one draft per step, each
//! depending on the drafts of the steps that lead to it.

use super::*;

/// One step of the chain: the technique to test and the positions of the steps before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainStep {
    pub technique: TechniqueId,
    pub title: String,
    pub objective: String,
    /// Positions (in the chain's list) of the steps this one waits for; earlier positions only.
    pub depends_on: Vec<usize>,
}

impl CampaignService {
    /// A draft campaign with one draft test per step, in the chain's order, and the chain's
    /// edges as dependencies, all in one unit of work.
    ///
    /// # Errors
    /// `Forbidden` unless a lead or admin; `Invalid` naming the field.
    pub async fn plan_chain(
        &self,
        actor: &Actor,
        request: NewCampaign,
        steps: Vec<ChainStep>,
        context: &RequestContext,
    ) -> Result<CampaignDetail, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        actor.authorize(Action::PlanTests)?;
        if steps.is_empty() {
            return Err(invalid("steps", "the chain has no technique to test"));
        }
        let mut campaign = self.new_campaign(actor, &request)?;
        let mut planned: Vec<TestCase> = steps
            .iter()
            .map(|step| {
                let mut test = self.tests.new_draft(
                    actor,
                    step.title.chars().take(200).collect(),
                    step.technique.clone(),
                );
                test.objective = step.objective.clone();
                test.campaign_id = Some(campaign.id.as_uuid());
                test
            })
            .collect();
        let mut edges = Vec::new();
        for (position, step) in steps.iter().enumerate() {
            for &before in step.depends_on.iter().filter(|b| **b < position) {
                if let (Some(test), Some(depends_on)) = (planned.get(position), planned.get(before))
                {
                    edges.push(Dependency {
                        test: test.id,
                        depends_on: depends_on.id,
                    });
                }
            }
        }
        let uow = self.database.begin().await?;
        uow.insert_campaign(actor.tenant_id, &campaign).await?;
        for test in &mut planned {
            self.tests
                .insert_draft(uow.as_ref(), actor, context, test)
                .await?;
            campaign.test_order.push(test.id);
        }
        write_dependencies(uow.as_ref(), actor.tenant_id, &edges).await?;
        self.save(uow.as_ref(), &mut campaign).await?;
        self.audit(
            uow.as_ref(),
            Some(actor),
            context,
            "campaign.planned_from_chain",
            &campaign,
            serde_json::json!({"tests": planned.len(), "dependencies": edges.len()}),
        )
        .await?;
        uow.commit().await?;
        Ok(detail(actor, campaign, planned, &edges))
    }
}
