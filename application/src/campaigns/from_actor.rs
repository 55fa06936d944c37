//! A campaign planned from a threat actor: one draft per technique, from the best template.

use super::*;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FromThreatActor {
    pub threat_actor_id: String,
    pub name: Option<String>,
    pub kind: Option<String>,
    /// Only techniques that run on this platform, with templates for it.
    pub platform: Option<String>,
    /// Leave out techniques the organization validated within this many days.
    pub skip_validated_within_days: Option<u32>,
}

/// A campaign planned from an adversary, with the techniques left out and why.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedCampaign {
    pub detail: CampaignDetail,
    pub skipped: Vec<(String, String)>,
    /// How many of its tests came from a template.
    pub from_templates: u32,
}

impl CampaignService {
    /// A draft campaign with one draft test per technique the actor uses (optionally only
    /// those running on a platform, and leaving out techniques validated recently), each
    /// planned from the best matching template when there is one.
    ///
    /// # Errors
    /// `ThreatActorNotFound`; `Invalid` naming the field.
    pub async fn from_threat_actor(
        &self,
        actor: &Actor,
        request: FromThreatActor,
        context: &RequestContext,
    ) -> Result<PlannedCampaign, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        actor.authorize(Action::PlanTests)?;
        let adversary = self
            .catalog
            .find_threat_actor(request.threat_actor_id.trim())
            .await?
            .ok_or(CampaignError::ThreatActorNotFound)?;
        let label = adversary.actor.mitre_id.clone().map_or_else(
            || adversary.actor.name.clone(),
            |id| format!("{} ({id})", adversary.actor.name),
        );
        let platform = request
            .platform
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        let now = self.clock.now();
        let scores = self.database.technique_scores(actor.tenant_id).await?;
        let recently_validated: HashSet<TechniqueId> = match request.skip_validated_within_days {
            Some(days) => scores
                .iter()
                .filter(|s| {
                    s.score
                        .last_validated_at
                        .is_some_and(|at| now - at <= chrono::Duration::days(i64::from(days)))
                })
                .map(|s| s.technique_id.clone())
                .collect(),
            None => HashSet::new(),
        };
        let mut skipped = Vec::new();
        let mut planned: Vec<TestCase> = Vec::new();
        let mut from_templates = 0;
        for technique in adversary.technique_ids() {
            let Ok(id) = TechniqueId::parse(&technique) else {
                skipped.push((technique, "not an ATT&CK technique id".to_owned()));
                continue;
            };
            let Some(detail) = self.catalog.find_technique(&id).await? else {
                skipped.push((technique, "not in the ATT&CK catalog yet".to_owned()));
                continue;
            };
            if let Some(platform) = platform
                && !detail
                    .technique
                    .platforms
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(platform))
            {
                skipped.push((technique, format!("does not run on {platform}")));
                continue;
            }
            if recently_validated.contains(&id) {
                skipped.push((technique, "validated recently".to_owned()));
                continue;
            }
            let test = match self.best_template(&technique, platform).await? {
                Some((new, plan)) => {
                    from_templates += 1;
                    let mut test = self.tests.new_draft(actor, new.title, id.clone());
                    test.description = new.description;
                    test.objective = new.objective;
                    test.platform = new.platform;
                    test.red = plan;
                    test
                }
                None => {
                    let mut test = self.tests.new_draft(
                        actor,
                        format!("{id} {}", detail.technique.name)
                            .chars()
                            .take(200)
                            .collect(),
                        id.clone(),
                    );
                    test.objective = format!(
                        "Emulate {label}'s use of {id} {} and confirm it is prevented or detected.",
                        detail.technique.name
                    );
                    test.platform = platform.map(str::to_owned);
                    test
                }
            };
            planned.push(test);
        }
        let name = request
            .name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| format!("Emulation of {label}"));
        let mut campaign = self.new_campaign(
            actor,
            &NewCampaign {
                name,
                description: format!(
                    "Planned from the techniques {label} is known to use ({} in all).",
                    adversary.technique_ids().len()
                ),
                objective: format!("Validate the defences against {label}."),
                kind: request.kind,
                ..NewCampaign::default()
            },
        )?;
        campaign.threat_actor = Some(adversary.actor.stix_id.clone());
        let uow = self.database.begin().await?;
        uow.insert_campaign(actor.tenant_id, &campaign).await?;
        for test in &mut planned {
            test.campaign_id = Some(campaign.id.as_uuid());
            self.tests
                .insert_draft(uow.as_ref(), actor, context, test)
                .await?;
            campaign.test_order.push(test.id);
        }
        self.save(uow.as_ref(), &mut campaign).await?;
        self.audit(
            uow.as_ref(),
            Some(actor),
            context,
            "campaign.planned_from_threat_actor",
            &campaign,
            serde_json::json!({
                "threat_actor": adversary.actor.stix_id,
                "tests": planned.len(),
                "skipped": skipped.len(),
            }),
        )
        .await?;
        uow.commit().await?;
        Ok(PlannedCampaign {
            detail: detail(actor, campaign, planned, &[]),
            skipped,
            from_templates,
        })
    }

    /// The template that fits best: Atomic Red Team first, then CALDERA, LOLBAS and
    /// GTFOBins, the first whose command renders with its defaults on `platform`.
    pub(super) async fn best_template(
        &self,
        technique: &str,
        platform: Option<&str>,
    ) -> Result<Option<(crate::test_cases::NewTest, RedReport)>, CampaignError> {
        let candidates = self
            .templates
            .list_templates(
                &TemplateFilter {
                    technique: Some(technique.to_owned()),
                    platform: platform.map(str::to_owned),
                    ..TemplateFilter::default()
                },
                PageRequest::new(1, PageRequest::MAX_PER_PAGE),
            )
            .await?
            .items;
        let rank = |source: TemplateSource| match source {
            TemplateSource::Atomic => 0,
            TemplateSource::Caldera => 1,
            TemplateSource::Lolbas => 2,
            TemplateSource::Gtfobins => 3,
        };
        let mut candidates = candidates;
        candidates.sort_by(|a, b| {
            rank(a.source)
                .cmp(&rank(b.source))
                .then(a.name.cmp(&b.name))
        });
        for summary in candidates {
            let Some((_, template)) = self.templates.find_template(summary.id).await? else {
                continue;
            };
            if let Ok(planned) =
                crate::templates::planned_test(&template, platform, &BTreeMap::new(), None)
            {
                return Ok(Some(planned));
            }
        }
        Ok(None)
    }
}
