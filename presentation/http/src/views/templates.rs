//! The wire types of [`crate::routes::templates`]: its views, request bodies and queries.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use aegis_domain::template::{
    BinarySummary, BinaryUse, Dependency, Executor, InputArgument, TemplateSummary, TestTemplate,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateSummaryView {
    pub id: Uuid,
    /// atomic, caldera, lolbas or gtfobins.
    #[schema(value_type = crate::views::enums::TemplateSource)]
    pub source: String,
    /// The template's own id in its source (Atomic GUID, CALDERA ability id, `binary#n`).
    pub source_id: String,
    pub name: String,
    /// The ATT&CK technique id, known to the catalog or not yet (the successor of a revoked
    /// id the template names).
    pub technique: String,
    /// The revoked technique id the template names, when it counts under its successor.
    pub named_as: Option<String>,
    pub platforms: Vec<String>,
    /// The executors it can run with (`powershell`, `sh`, `psh`, `manual`…).
    pub executors: Vec<String>,
}

impl From<TemplateSummary> for TemplateSummaryView {
    fn from(t: TemplateSummary) -> Self {
        Self {
            id: t.id,
            source: t.source.as_str().to_owned(),
            source_id: t.source_id,
            name: t.name,
            technique: t.technique,
            named_as: t.named_technique,
            platforms: t.platforms,
            executors: t.executors,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExecutorView {
    pub name: String,
    pub platform: Option<String>,
    pub command: String,
    pub cleanup: Option<String>,
    pub elevation_required: bool,
    pub payloads: Vec<String>,
}

impl From<Executor> for ExecutorView {
    fn from(e: Executor) -> Self {
        Self {
            name: e.name,
            platform: e.platform,
            command: e.command,
            cleanup: e.cleanup,
            elevation_required: e.elevation_required,
            payloads: e.payloads,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InputArgumentView {
    pub name: String,
    pub description: String,
    /// string, path, url, integer or float.
    #[serde(rename = "type")]
    pub kind: String,
    pub default: Option<String>,
}

impl From<InputArgument> for InputArgumentView {
    fn from(a: InputArgument) -> Self {
        Self {
            name: a.name,
            description: a.description,
            kind: a.kind,
            default: a.default,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DependencyView {
    pub description: String,
    pub prereq_command: Option<String>,
    pub get_prereq_command: Option<String>,
}

impl From<Dependency> for DependencyView {
    fn from(d: Dependency) -> Self {
        Self {
            description: d.description,
            prereq_command: d.prereq_command,
            get_prereq_command: d.get_prereq_command,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateDetailView {
    pub id: Uuid,
    /// atomic, caldera, lolbas or gtfobins.
    #[schema(value_type = crate::views::enums::TemplateSource)]
    pub source: String,
    pub source_id: String,
    pub name: String,
    pub technique: String,
    /// The revoked technique id the template names, when it counts under its successor.
    pub named_as: Option<String>,
    pub platforms: Vec<String>,
    pub description: String,
    pub tactic: Option<String>,
    pub executors: Vec<ExecutorView>,
    pub input_arguments: Vec<InputArgumentView>,
    pub dependencies: Vec<DependencyView>,
    pub author: Option<String>,
    pub licence: String,
    /// Where it was read from, within its source.
    pub path: String,
}

impl TemplateDetailView {
    pub(crate) fn new(summary: TemplateSummary, template: TestTemplate) -> Self {
        Self {
            id: summary.id,
            source: summary.source.as_str().to_owned(),
            source_id: summary.source_id,
            name: summary.name,
            technique: summary.technique,
            named_as: summary.named_technique,
            platforms: summary.platforms,
            description: template.description,
            tactic: template.tactic,
            licence: template.source.licence().to_owned(),
            executors: template.executors.into_iter().map(Into::into).collect(),
            input_arguments: template
                .input_arguments
                .into_iter()
                .map(Into::into)
                .collect(),
            dependencies: template.dependencies.into_iter().map(Into::into).collect(),
            author: template.author,
            path: template.path,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BinaryUseView {
    /// LOLBAS category or GTFOBins function.
    pub function: String,
    pub description: String,
    pub command: String,
    pub privileges: Option<String>,
    pub techniques: Vec<String>,
    pub platforms: Vec<String>,
}

impl From<BinaryUse> for BinaryUseView {
    fn from(u: BinaryUse) -> Self {
        Self {
            function: u.function,
            description: u.description,
            command: u.command,
            privileges: u.privileges,
            techniques: u.techniques,
            platforms: u.platforms,
        }
    }
}

/// A living-off-the-land binary on a technique's page, with the uses that enable it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BinaryView {
    pub id: Uuid,
    /// lolbas or gtfobins.
    #[schema(value_type = crate::views::enums::TemplateSource)]
    pub source: String,
    pub name: String,
    pub description: String,
    pub licence: String,
    pub uses: Vec<BinaryUseView>,
}

impl From<BinarySummary> for BinaryView {
    fn from(b: BinarySummary) -> Self {
        Self {
            id: b.id,
            source: b.source.as_str().to_owned(),
            licence: b.source.licence().to_owned(),
            name: b.name,
            description: b.description,
            uses: b.uses.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    /// atomic, caldera, lolbas or gtfobins.
    #[param(value_type = Option<crate::views::enums::TemplateSource>)]
    pub source: Option<String>,
    /// Templates for this ATT&CK technique id.
    pub technique: Option<String>,
    /// windows, linux, macos…
    pub platform: Option<String>,
    /// Text in the name.
    pub q: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FromTemplateRequest {
    pub template_id: Uuid,
    /// The test's title; the template's name when absent.
    pub title: Option<String>,
    /// Which of the template's platforms to run on; its first when absent.
    pub platform: Option<String>,
    /// Values for the template's input arguments (`#{name}` in its command); defaults fill
    /// the rest.
    #[serde(default)]
    pub input_arguments: BTreeMap<String, String>,
    #[serde(default)]
    pub target_environment: String,
    pub assignee_id: Option<Uuid>,
}
