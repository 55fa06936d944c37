//! Campaign templates (`aegis.campaign-template/1`): the plan exported and imported, without results.

use super::*;

/// A campaign's plan without any result, to share with another team or instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignTemplate {
    pub format: String,
    pub name: String,
    pub description: String,
    pub objective: String,
    pub kind: String,
    /// Days from the campaign's start to its end.
    pub duration_days: Option<i64>,
    pub phases: Vec<TemplatePhase>,
    pub recurrence: Option<String>,
    pub threat_actor: Option<String>,
    pub tests: Vec<TemplateTest>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplatePhase {
    pub name: String,
    /// Days after the campaign's start.
    pub starts_after_days: Option<i64>,
    pub ends_after_days: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateTest {
    /// Its place in the plan, which `depends_on` refers to.
    pub key: u32,
    pub title: String,
    pub description: String,
    pub technique_id: String,
    pub objective: String,
    pub target_environment: String,
    pub platform: Option<String>,
    pub procedure: Option<String>,
    pub command: Option<String>,
    pub tool: Option<String>,
    pub depends_on: Vec<u32>,
}

pub const TEMPLATE_FORMAT: &str = "aegis.campaign-template/1";

impl CampaignService {
    /// The campaign's plan as a template: its tests' plans and dependencies, and nothing
    /// that happened (no red or blue results, evidence, notes or comments).
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn export(
        &self,
        actor: &Actor,
        id: CampaignId,
    ) -> Result<CampaignTemplate, CampaignError> {
        let detail = self.get(actor, id).await?;
        let campaign = &detail.campaign;
        let keys: HashMap<TestId, u32> = detail
            .tests
            .iter()
            .enumerate()
            .map(|(n, t)| (t.test.id, u32::try_from(n + 1).unwrap_or(u32::MAX)))
            .collect();
        let offset = |d: Option<NaiveDate>| {
            campaign
                .starts_on
                .zip(d)
                .map(|(start, d)| (d - start).num_days())
        };
        Ok(CampaignTemplate {
            format: TEMPLATE_FORMAT.to_owned(),
            name: campaign.name.clone(),
            description: campaign.description.clone(),
            objective: campaign.objective.clone(),
            kind: campaign.kind.as_str().to_owned(),
            duration_days: offset(campaign.ends_on),
            phases: campaign
                .phases
                .iter()
                .map(|p| TemplatePhase {
                    name: p.name.clone(),
                    starts_after_days: offset(p.starts_on),
                    ends_after_days: offset(p.ends_on),
                })
                .collect(),
            recurrence: campaign.recurrence.as_ref().map(Recurrence::describe),
            threat_actor: campaign.threat_actor.clone(),
            tests: detail
                .tests
                .iter()
                .map(|t| TemplateTest {
                    key: keys.get(&t.test.id).copied().unwrap_or_default(),
                    title: t.test.title.clone(),
                    description: t.test.description.clone(),
                    technique_id: t.test.technique_id.to_string(),
                    objective: t.test.objective.clone(),
                    target_environment: t.test.target_environment.clone(),
                    platform: t.test.platform.clone(),
                    procedure: t.test.red.procedure.clone(),
                    command: t.test.red.command.clone(),
                    tool: t.test.red.tool.clone(),
                    depends_on: t
                        .depends_on
                        .iter()
                        .filter_map(|d| keys.get(d).copied())
                        .collect(),
                })
                .collect(),
        })
    }

    /// A new draft campaign from a template, starting on `starts_on` when given.
    ///
    /// # Errors
    /// `Invalid` naming the field of the template that does not fit (format, type, technique,
    /// dependency).
    pub async fn import(
        &self,
        actor: &Actor,
        template: CampaignTemplate,
        starts_on: Option<NaiveDate>,
        context: &RequestContext,
    ) -> Result<CampaignDetail, CampaignError> {
        actor.authorize(Action::ManageCampaigns)?;
        actor.authorize(Action::PlanTests)?;
        if template.format != TEMPLATE_FORMAT {
            return Err(invalid("format", format!("must be {TEMPLATE_FORMAT}")));
        }
        if template.tests.len() > 1_000 {
            return Err(invalid("tests", "at most 1000 tests"));
        }
        let at = |days: Option<i64>| {
            starts_on
                .zip(days)
                .map(|(s, d)| s + chrono::Duration::days(d))
        };
        let recurrence = template
            .recurrence
            .as_deref()
            .map(|text| Recurrence::parse(text).map_err(|e| invalid("recurrence", e.to_string())))
            .transpose()?;
        let mut campaign = self.new_campaign(
            actor,
            &NewCampaign {
                name: template.name.clone(),
                description: template.description.clone(),
                objective: template.objective.clone(),
                kind: Some(template.kind.clone()),
                starts_on,
                ends_on: at(template.duration_days),
                phases: template
                    .phases
                    .iter()
                    .map(|p| PhaseInput {
                        name: p.name.clone(),
                        starts_on: at(p.starts_after_days),
                        ends_on: at(p.ends_after_days),
                        status: None,
                    })
                    .collect(),
                recurrence: None,
            },
        )?;
        campaign.set_recurrence(recurrence, self.clock.now());
        campaign.threat_actor = template.threat_actor.clone();
        let mut tests = Vec::new();
        let mut ids: HashMap<u32, TestId> = HashMap::new();
        let mut fields = Vec::new();
        for (n, planned) in template.tests.iter().enumerate() {
            let technique = match TechniqueId::parse(&planned.technique_id) {
                Ok(id) if self.catalog.find_technique(&id).await?.is_some() => id,
                _ => {
                    fields.push(FieldError::new(
                        format!("tests[{n}].technique_id"),
                        format!("{} is not in the ATT&CK catalog", planned.technique_id),
                    ));
                    continue;
                }
            };
            let title: String = planned.title.trim().chars().take(200).collect();
            if title.is_empty() {
                fields.push(FieldError::new(format!("tests[{n}].title"), "is required"));
                continue;
            }
            if ids.contains_key(&planned.key) {
                fields.push(FieldError::new(format!("tests[{n}].key"), "is used twice"));
                continue;
            }
            let mut test = self.tests.new_draft(actor, title, technique);
            test.description = planned.description.clone();
            test.objective = planned.objective.clone();
            test.target_environment = planned.target_environment.clone();
            test.platform = planned.platform.clone();
            test.red = RedReport {
                procedure: planned.procedure.clone(),
                command: planned.command.clone(),
                tool: planned.tool.clone(),
                ..RedReport::default()
            };
            test.campaign_id = Some(campaign.id.as_uuid());
            ids.insert(planned.key, test.id);
            tests.push(test);
        }
        let mut edges = Vec::new();
        for (n, planned) in template.tests.iter().enumerate() {
            let Some(test) = ids.get(&planned.key) else {
                continue;
            };
            for key in &planned.depends_on {
                match ids.get(key) {
                    Some(dep) => edges.push(Dependency {
                        test: *test,
                        depends_on: *dep,
                    }),
                    None => fields.push(FieldError::new(
                        format!("tests[{n}].depends_on"),
                        format!("no test with key {key}"),
                    )),
                }
            }
        }
        if creates_cycle(&[], &edges) {
            fields.push(FieldError::new("tests", "the dependencies form a cycle"));
        }
        if !fields.is_empty() {
            return Err(CampaignError::Invalid(fields));
        }
        let uow = self.database.begin().await?;
        uow.insert_campaign(actor.tenant_id, &campaign).await?;
        for test in &tests {
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
            "campaign.imported",
            &campaign,
            serde_json::json!({"tests": tests.len()}),
        )
        .await?;
        uow.commit().await?;
        Ok(detail(actor, campaign, tests, &edges))
    }
}
