//! ATT&CK Navigator layers: the coverage heatmap exported as a layer (format 4.5, as Navigator
//! 5.x reads it), and a layer imported as draft tests for the techniques it scores or annotates.

use std::sync::Arc;

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use aegis_domain::catalog::TechniqueId;
use aegis_domain::scoring::{CoverageStatus, heat_color};
use aegis_domain::test_case::TestCase;

use crate::context::{Actor, RequestContext};
use crate::coverage::{CoverageError, CoverageService, HeatmapCell, HeatmapFilter};
use crate::error::FieldError;
use crate::ports::Database;
use crate::test_cases::{DraftTest, TestError, TestService};

pub const LAYER_FORMAT: &str = "4.5";
pub const NAVIGATOR_VERSION: &str = "5.1.0";
pub const DOMAIN: &str = "enterprise-attack";
/// Techniques one imported layer may carry (the enterprise matrix has about 800 per tactic
/// placement; more is not a layer of this domain).
pub const MAX_LAYER_TECHNIQUES: usize = 5000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LayerVersions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attack: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub navigator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerMetadata {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerLink {
    pub label: String,
    pub url: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerTechnique {
    #[serde(rename = "techniqueID")]
    pub technique_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tactic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub color: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    #[serde(default = "enabled")]
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<LayerMetadata>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LayerLink>,
    #[serde(default)]
    pub show_subtechniques: bool,
}

fn enabled() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerGradient {
    pub colors: Vec<String>,
    pub min_value: f64,
    pub max_value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegendItem {
    pub label: String,
    pub color: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerLayout {
    pub layout: String,
    pub aggregate_function: String,
    #[serde(rename = "showID")]
    pub show_id: bool,
    pub show_name: bool,
    pub show_aggregate_scores: bool,
    pub count_unscored: bool,
    pub expanded_subtechniques: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LayerFilters {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
}

/// A Navigator layer: what Aegis writes in full, and what it reads (unknown fields ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NavigatorLayer {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub versions: LayerVersions,
    #[serde(default)]
    pub domain: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<LayerFilters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<LayerLayout>,
    #[serde(default)]
    pub hide_disabled: bool,
    #[serde(default)]
    pub techniques: Vec<LayerTechnique>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gradient: Option<LayerGradient>,
    #[serde(default)]
    pub legend_items: Vec<LegendItem>,
    #[serde(default)]
    pub metadata: Vec<LayerMetadata>,
    #[serde(default)]
    pub links: Vec<LayerLink>,
    #[serde(default)]
    pub show_tactic_row_background: bool,
    #[serde(default)]
    pub select_techniques_across_tactics: bool,
    #[serde(default)]
    pub select_subtechniques_with_parent: bool,
}

/// Which part of the matrix to export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerScope {
    pub heatmap: HeatmapFilter,
    /// One tactic's column (shortname, e.g. `execution`, or id, e.g. `TA0002`).
    pub tactic: Option<String>,
}

/// What importing a layer did.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerImport {
    pub created: Vec<TestCase>,
    /// Technique ids that were not turned into tests, and why.
    pub skipped: Vec<(String, String)>,
}

#[derive(Clone)]
pub struct NavigatorService {
    database: Arc<dyn Database>,
    coverage: CoverageService,
    tests: TestService,
}

fn attack_url(id: &TechniqueId) -> String {
    format!(
        "https://attack.mitre.org/techniques/{}/",
        id.as_str().replace('.', "/")
    )
}

fn round(score: f64) -> f64 {
    (score * 10.0).round() / 10.0
}

fn layer_technique(cell: &HeatmapCell, tactic: &str, rolled: bool) -> LayerTechnique {
    let score = if rolled {
        cell.rolled_score
    } else {
        cell.score.score
    };
    let status = cell.score.status;
    let b = &cell.score.breakdown;
    let mut metadata = vec![
        LayerMetadata {
            name: "status".to_owned(),
            value: status.as_str().to_owned(),
        },
        LayerMetadata {
            name: "breakdown".to_owned(),
            value: format!(
                "tests {:.1}, rules {:.1}, countermeasures {:.1}, freshness {:.1}, diversity {:.1}",
                b.tests, b.rules, b.countermeasures, b.freshness, b.diversity
            ),
        },
        LayerMetadata {
            name: "tests".to_owned(),
            value: format!(
                "{} validated, {} open",
                cell.score.validated_tests, cell.open_tests
            ),
        },
    ];
    if let Some(at) = cell.score.last_validated_at {
        metadata.push(LayerMetadata {
            name: "last validated".to_owned(),
            value: at.format("%Y-%m-%d").to_string(),
        });
    }
    for (name, count) in [
        ("detection rules", cell.rules),
        ("countermeasures", cell.countermeasures),
    ] {
        if count > 0 {
            metadata.push(LayerMetadata {
                name: name.to_owned(),
                value: count.to_string(),
            });
        }
    }
    if cell.actors > 0 {
        metadata.push(LayerMetadata {
            name: "threat actors".to_owned(),
            value: cell.actors.to_string(),
        });
    }
    LayerTechnique {
        technique_id: cell.technique.mitre_id.as_str().to_owned(),
        tactic: Some(tactic.to_owned()),
        score: Some(round(score)),
        color: heat_color(score, status),
        comment: if rolled && !cell.subtechniques.is_empty() {
            format!(
                "{}: {:.1} (own {:.1}, rolled up with {} sub-techniques)",
                status.label(),
                score,
                cell.score.score,
                cell.subtechniques.len()
            )
        } else {
            format!("{}: {:.1}", status.label(), score)
        },
        enabled: true,
        metadata,
        links: vec![LayerLink {
            label: "ATT&CK".to_owned(),
            url: attack_url(&cell.technique.mitre_id),
        }],
        show_subtechniques: cell
            .subtechniques
            .iter()
            .any(|s| s.score.status != CoverageStatus::NotCovered),
    }
}

impl NavigatorService {
    pub(crate) fn new(
        database: Arc<dyn Database>,
        coverage: CoverageService,
        tests: TestService,
    ) -> Self {
        Self {
            database,
            coverage,
            tests,
        }
    }

    /// The coverage heatmap of `scope` as a Navigator layer.
    ///
    /// # Errors
    /// `NotFound` for an unknown threat actor or tactic; `Forbidden`.
    pub async fn export(
        &self,
        actor: &Actor,
        scope: &LayerScope,
    ) -> Result<NavigatorLayer, CoverageError> {
        let heatmap = self.coverage.heatmap(actor, &scope.heatmap).await?;
        let organization = self
            .database
            .find_tenant(actor.tenant_id)
            .await?
            .map_or_else(|| "your organization".to_owned(), |t| t.name);
        let columns: Vec<_> = match &scope.tactic {
            None => heatmap.columns.iter().collect(),
            Some(tactic) => {
                let wanted = tactic.trim().to_lowercase();
                let found: Vec<_> = heatmap
                    .columns
                    .iter()
                    .filter(|c| {
                        c.tactic.shortname == wanted || c.tactic.mitre_id.to_lowercase() == wanted
                    })
                    .collect();
                if found.is_empty() {
                    return Err(CoverageError::NotFound(
                        crate::coverage::CoverageSubject::Tactic,
                    ));
                }
                found
            }
        };
        let mut techniques = Vec::new();
        for column in &columns {
            for cell in &column.techniques {
                techniques.push(layer_technique(cell, &column.tactic.shortname, true));
                for sub in &cell.subtechniques {
                    techniques.push(layer_technique(sub, &column.tactic.shortname, false));
                }
            }
        }
        let mut name = format!("Aegis coverage: {organization}");
        let mut description = String::from("Coverage scores from validated purple-team tests");
        if let Some(actor_id) = &scope.heatmap.threat_actor {
            name.push_str(&format!(" against {actor_id}"));
            description.push_str(&format!(", limited to the techniques {actor_id} uses"));
        }
        if let [column] = columns.as_slice() {
            name.push_str(&format!(" ({})", column.tactic.name));
        }
        let gradient = LayerGradient {
            colors: vec![
                heat_color(0.1, CoverageStatus::Partial),
                heat_color(50.0, CoverageStatus::Partial),
                heat_color(100.0, CoverageStatus::Validated),
            ],
            min_value: 0.0,
            max_value: 100.0,
        };
        let legend_items = vec![
            LegendItem {
                label: "Not covered".to_owned(),
                color: heat_color(0.0, CoverageStatus::NotCovered),
            },
            LegendItem {
                label: "Score 0".to_owned(),
                color: gradient.colors[0].clone(),
            },
            LegendItem {
                label: "Score 50".to_owned(),
                color: gradient.colors[1].clone(),
            },
            LegendItem {
                label: "Score 100".to_owned(),
                color: gradient.colors[2].clone(),
            },
        ];
        let mut metadata = vec![LayerMetadata {
            name: "exported by".to_owned(),
            value: "Aegis".to_owned(),
        }];
        if let Some(score) = heatmap.organization_score {
            metadata.push(LayerMetadata {
                name: "organization score".to_owned(),
                value: format!("{score:.1}"),
            });
        }
        Ok(NavigatorLayer {
            name,
            versions: LayerVersions {
                attack: None,
                navigator: Some(NAVIGATOR_VERSION.to_owned()),
                layer: Some(LAYER_FORMAT.to_owned()),
            },
            domain: DOMAIN.to_owned(),
            description,
            filters: scope.heatmap.platform.as_ref().map(|p| LayerFilters {
                platforms: vec![p.clone()],
            }),
            layout: Some(LayerLayout {
                layout: "side".to_owned(),
                aggregate_function: "average".to_owned(),
                show_id: true,
                show_name: true,
                show_aggregate_scores: false,
                count_unscored: false,
                expanded_subtechniques: "annotated".to_owned(),
            }),
            hide_disabled: false,
            techniques,
            gradient: Some(gradient),
            legend_items,
            metadata,
            links: Vec::new(),
            show_tactic_row_background: false,
            select_techniques_across_tactics: true,
            select_subtechniques_with_parent: false,
        })
    }

    /// Creates one draft test per technique the layer scores or comments on (enabled ones),
    /// all in one transaction; techniques the catalog does not hold are reported, not fatal.
    ///
    /// # Errors
    /// `Invalid` naming `domain` or `techniques` for a layer of another domain or too large a
    /// one; `Forbidden` unless the actor plans tests.
    pub async fn import(
        &self,
        actor: &Actor,
        layer: &NavigatorLayer,
        context: &RequestContext,
    ) -> Result<LayerImport, TestError> {
        let mut fields = Vec::new();
        if !layer.domain.is_empty() && layer.domain != DOMAIN {
            fields.push(FieldError::new(
                "domain",
                format!("only {DOMAIN} layers can be imported"),
            ));
        }
        if layer.techniques.len() > MAX_LAYER_TECHNIQUES {
            fields.push(FieldError::new(
                "techniques",
                format!("at most {MAX_LAYER_TECHNIQUES} entries"),
            ));
        }
        if !fields.is_empty() {
            return Err(TestError::Invalid(fields));
        }
        let layer_name = if layer.name.trim().is_empty() {
            "an imported layer".to_owned()
        } else {
            format!("layer “{}”", layer.name.trim())
        };
        let mut seen = HashSet::new();
        let mut wanted: BTreeMap<TechniqueId, (Option<f64>, Vec<String>)> = BTreeMap::new();
        let mut skipped = Vec::new();
        for entry in &layer.techniques {
            let comment = entry.comment.trim();
            if !entry.enabled || (entry.score.is_none() && comment.is_empty()) {
                continue;
            }
            match TechniqueId::parse(entry.technique_id.trim()) {
                Ok(id) => {
                    let (score, notes) = wanted.entry(id).or_default();
                    *score = score.or(entry.score);
                    if !comment.is_empty() && !notes.iter().any(|n| n == comment) {
                        notes.push(comment.to_owned());
                    }
                }
                Err(_) => {
                    if seen.insert(entry.technique_id.clone()) {
                        skipped.push((
                            entry.technique_id.clone(),
                            "not an ATT&CK technique id".to_owned(),
                        ));
                    }
                }
            }
        }
        let drafts = wanted
            .into_iter()
            .map(|(technique, (score, notes))| {
                let mut description = format!("Planned from {layer_name}.");
                if let Some(score) = score {
                    description.push_str(&format!(" Layer score: {score}."));
                }
                for note in notes {
                    description.push_str("\n\n");
                    description.push_str(&note.chars().take(2000).collect::<String>());
                }
                DraftTest {
                    technique,
                    description,
                }
            })
            .collect();
        let (created, unknown) = self
            .tests
            .create_drafts(actor, drafts, &layer_name, context)
            .await?;
        skipped.extend(
            unknown
                .into_iter()
                .map(|id| (id.as_str().to_owned(), "not in the catalog".to_owned())),
        );
        Ok(LayerImport { created, skipped })
    }
}
