//! Planning a campaign: create, read, list, change, schedule and delete.

use super::*;

impl CampaignService {
    /// # Errors
    /// `Forbidden` unless a lead or admin; `Invalid` naming the fields.
    pub async fn create(
        &self,
        actor: &Actor,
        request: NewCampaign,
        context: &RequestContext,
    ) -> Result<Campaign, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        let campaign = self.new_campaign(actor, &request)?;
        let uow = self.database.begin().await?;
        uow.insert_campaign(actor.tenant_id, &campaign).await?;
        self.audit(
            uow.as_ref(),
            Some(actor),
            context,
            "campaign.created",
            &campaign,
            serde_json::json!({"name": campaign.name, "kind": campaign.kind.as_str()}),
        )
        .await?;
        uow.commit().await?;
        Ok(campaign)
    }

    pub(super) fn new_campaign(
        &self,
        actor: &Actor,
        request: &NewCampaign,
    ) -> Result<Campaign, CampaignError> {
        let mut fields = Vec::new();
        let name = text_field("name", &request.name, 200, true, &mut fields);
        let description = text_field(
            "description",
            &request.description,
            20_000,
            false,
            &mut fields,
        );
        let objective = text_field("objective", &request.objective, 5_000, false, &mut fields);
        let kind = match request.kind.as_deref() {
            None => Ok(CampaignKind::PurpleTeam),
            Some(text) => parse_kind(text),
        };
        let phases = parse_phases(&request.phases);
        let recurrence = request
            .recurrence
            .as_ref()
            .map(parse_recurrence)
            .transpose();
        for result in [
            kind.as_ref().err(),
            phases.as_ref().err(),
            recurrence.as_ref().err(),
            check_dates(request.starts_on, request.ends_on)
                .as_ref()
                .err(),
        ]
        .into_iter()
        .flatten()
        {
            if let CampaignError::Invalid(more) = result {
                fields.extend(more.iter().cloned());
            }
        }
        if !fields.is_empty() {
            fields.sort_by(|a, b| a.field.cmp(&b.field));
            return Err(CampaignError::Invalid(fields));
        }
        let now = self.clock.now();
        let mut campaign = Campaign::draft(
            CampaignId::from_uuid(self.ids.new_id()),
            actor.tenant_id,
            name,
            kind?,
            Some(actor.user_id),
            now,
        );
        campaign.description = description;
        campaign.objective = objective;
        campaign.starts_on = request.starts_on;
        campaign.ends_on = request.ends_on;
        campaign.phases = phases?;
        campaign.set_recurrence(recurrence?, now);
        Ok(campaign)
    }

    /// # Errors
    /// `Forbidden` for a role that cannot read operations.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &CampaignFilter,
        page: PageRequest,
    ) -> Result<Page<Campaign>, CampaignError> {
        actor.authorize(Action::ReadOperations)?;
        Ok(self
            .database
            .list_campaigns(actor.tenant_id, filter, page)
            .await?)
    }

    /// The campaign with its tests in order, their dependencies and the progress.
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn get(
        &self,
        actor: &Actor,
        id: CampaignId,
    ) -> Result<CampaignDetail, CampaignError> {
        actor.authorize(Action::ReadOperations)?;
        let database = self.database.as_ref();
        let campaign = database
            .find_campaign(actor.tenant_id, id)
            .await?
            .ok_or(CampaignError::NotFound)?;
        let tests = database.tests_of_campaign(actor.tenant_id, id).await?;
        let edges = database
            .dependencies_in_campaign(actor.tenant_id, id)
            .await?;
        Ok(detail(actor, campaign, tests, &edges))
    }

    /// Name, description, objective, type (in draft) and phases.
    ///
    /// # Errors
    /// `Invalid`; `Refused` once completed; `VersionConflict`.
    pub async fn update(
        &self,
        actor: &Actor,
        id: CampaignId,
        changes: CampaignChanges,
        expected_version: Option<i32>,
        context: &RequestContext,
    ) -> Result<Campaign, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        let mut fields = Vec::new();
        let name = changes
            .name
            .as_deref()
            .map(|n| text_field("name", n, 200, true, &mut fields));
        let description = changes
            .description
            .as_deref()
            .map(|d| text_field("description", d, 20_000, false, &mut fields));
        let objective = changes
            .objective
            .as_deref()
            .map(|o| text_field("objective", o, 5_000, false, &mut fields));
        if !fields.is_empty() {
            return Err(CampaignError::Invalid(fields));
        }
        let kind = changes.kind.as_deref().map(parse_kind).transpose()?;
        let phases = changes.phases.as_deref().map(parse_phases).transpose()?;
        let campaign = self
            .change(
                actor,
                id,
                expected_version,
                context,
                "campaign.updated",
                async |_, campaign| {
                    campaign.ensure_open("be edited")?;
                    if let Some(kind) = kind.filter(|k| *k != campaign.kind) {
                        campaign.ensure_planning("change its type")?;
                        campaign.kind = kind;
                    }
                    if let Some(name) = name {
                        campaign.name = name;
                    }
                    if let Some(description) = description {
                        campaign.description = description;
                    }
                    if let Some(objective) = objective {
                        campaign.objective = objective;
                    }
                    if let Some(phases) = phases {
                        campaign.phases = phases;
                    }
                    Ok(serde_json::json!({"name": campaign.name}))
                },
            )
            .await?;
        Ok(campaign)
    }

    /// Start and end dates and the recurrence.
    ///
    /// # Errors
    /// `Invalid` dates or rule; `Refused` once completed.
    pub async fn schedule(
        &self,
        actor: &Actor,
        id: CampaignId,
        changes: ScheduleChanges,
        context: &RequestContext,
    ) -> Result<Campaign, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        let recurrence = match &changes.recurrence {
            Some(Some(input)) => Some(Some(parse_recurrence(input)?)),
            Some(None) => Some(None),
            None => None,
        };
        let now = self.clock.now();
        let campaign = self
            .change(
                actor,
                id,
                None,
                context,
                "campaign.scheduled",
                async |_, campaign| {
                    campaign.ensure_open("be rescheduled")?;
                    if let Some(starts_on) = changes.starts_on {
                        campaign.starts_on = starts_on;
                    }
                    if let Some(ends_on) = changes.ends_on {
                        campaign.ends_on = ends_on;
                    }
                    check_dates(campaign.starts_on, campaign.ends_on)?;
                    let recurrence = recurrence.unwrap_or_else(|| campaign.recurrence.clone());
                    campaign.set_recurrence(recurrence, now);
                    Ok(serde_json::json!({
                        "start_date": campaign.starts_on,
                        "end_date": campaign.ends_on,
                        "recurrence": campaign.recurrence.as_ref().map(Recurrence::describe),
                    }))
                },
            )
            .await?;
        Ok(campaign)
    }

    /// Deletes a campaign still in draft; its tests stay, unlinked.
    ///
    /// # Errors
    /// `Refused` outside draft.
    pub async fn delete(
        &self,
        actor: &Actor,
        id: CampaignId,
        context: &RequestContext,
    ) -> Result<(), CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        let uow = self.database.begin().await?;
        let campaign = uow
            .find_campaign(actor.tenant_id, id)
            .await?
            .ok_or(CampaignError::NotFound)?;
        campaign.ensure_planning("be deleted")?;
        uow.delete_campaign(actor.tenant_id, id).await?;
        self.audit(
            uow.as_ref(),
            Some(actor),
            context,
            "campaign.deleted",
            &campaign,
            serde_json::json!({"name": campaign.name}),
        )
        .await?;
        uow.commit().await?;
        Ok(())
    }
}
