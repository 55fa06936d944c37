//! Recurring campaigns: the next run spawned as a fresh draft, exactly once per due date.

use super::*;

impl CampaignService {
    /// Spawns the next run of every recurring campaign that is due, in every organization:
    /// a fresh draft with fresh draft tests (same plans, same order, same dependencies),
    /// linked to its predecessor. Each due run is spawned once: a run whose successor
    /// exists is skipped, and the database refuses a second successor. Returns how many
    /// runs were spawned.
    ///
    /// # Errors
    /// `Unexpected` on storage failure.
    pub async fn spawn_due_runs(&self) -> Result<u64, CampaignError> {
        let now = self.clock.now();
        let mut spawned = 0;
        for tenant in self.database.list_tenants().await? {
            for due in self.database.due_campaigns(tenant.id, now).await? {
                match self.spawn_next_run(tenant.id, due.id, now).await {
                    Ok(true) => spawned += 1,
                    Ok(false) => {}
                    Err(CampaignError::Unexpected(reason)) if reason.contains("predecessor") => {
                        tracing::info!(campaign = %due.id, "next run already spawned elsewhere");
                    }
                    Err(other) => return Err(other),
                }
            }
        }
        Ok(spawned)
    }

    pub(super) async fn spawn_next_run(
        &self,
        tenant: TenantId,
        id: CampaignId,
        now: DateTime<Utc>,
    ) -> Result<bool, CampaignError> {
        let uow = self.database.begin().await?;
        let Some(mut campaign) = uow.find_campaign(tenant, id).await? else {
            return Ok(false);
        };
        if !campaign.is_due(now) || uow.successor_of(tenant, id).await?.is_some() {
            return Ok(false);
        }
        let Some(mut next) = campaign.next_run(CampaignId::from_uuid(self.ids.new_id()), now)
        else {
            return Ok(false);
        };
        next.created_by = campaign.created_by;
        let tests = in_order(&campaign, uow.tests_of_campaign(tenant, id).await?);
        let edges = uow.dependencies_in_campaign(tenant, id).await?;
        uow.insert_campaign(tenant, &next)
            .await
            .map_err(|e| CampaignError::Unexpected(e.to_string()))?;
        let mut copies: HashMap<TestId, TestId> = HashMap::new();
        let mut techniques = Vec::new();
        for test in &tests {
            let mut copy =
                test.fresh_copy(TestId::from_uuid(self.ids.new_id()), test.created_by, now);
            copy.campaign_id = Some(next.id.as_uuid());
            uow.insert_test(tenant, &copy).await?;
            copies.insert(test.id, copy.id);
            next.test_order.push(copy.id);
            techniques.push(copy.technique_id.clone());
        }
        let copied_edges: Vec<Dependency> = edges
            .iter()
            .filter_map(|e| {
                Some(Dependency {
                    test: *copies.get(&e.test)?,
                    depends_on: *copies.get(&e.depends_on)?,
                })
            })
            .collect();
        write_dependencies(uow.as_ref(), tenant, &copied_edges).await?;
        self.save(uow.as_ref(), &mut next).await?;
        campaign.next_run_at = None;
        self.save(uow.as_ref(), &mut campaign).await?;
        techniques.sort();
        techniques.dedup();
        for technique in &techniques {
            crate::coverage::refresh(uow.as_ref(), tenant, technique, &self.scoring, now).await?;
        }
        let change = Change {
            tenant,
            actor: None,
            action: "campaign.run_spawned",
            entity_type: "campaign",
            entity_id: Some(next.id.to_string()),
            details: serde_json::json!({
                "predecessor_id": campaign.id,
                "run_number": next.run_number,
                "tests": tests.len(),
            }),
        };
        audit_trail::record(
            self.clock.as_ref(),
            self.ids.as_ref(),
            uow.as_ref(),
            &RequestContext::default(),
            change,
        )
        .await?;
        uow.commit().await?;
        tracing::info!(campaign = %campaign.id, next = %next.id, run = next.run_number, "recurring campaign spawned");
        Ok(true)
    }
}
