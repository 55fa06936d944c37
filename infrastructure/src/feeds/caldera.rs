//! CALDERA abilities (`data/abilities/<tactic>/<id>.yml`): a YAML list of abilities in either
//! schema: the legacy `technique` / `platforms` map, whose keys may join several platforms or
//! executors with commas, or the newer `technique_id` / `executors` list.

use std::collections::BTreeMap;

use serde::Deserialize;

use aegis_domain::detection::technique_from_tag;
use aegis_domain::template::{Executor, TemplateSource, TestTemplate};

use super::collection::FeedFile;
use super::rule_fields::{tidy, utf8};
use super::yaml::documents;

#[derive(Debug, Deserialize)]
struct Ability {
    id: Option<String>,
    name: Option<String>,
    #[serde(default)]
    description: String,
    tactic: Option<String>,
    technique: Option<LegacyTechnique>,
    technique_id: Option<String>,
    #[serde(default)]
    privilege: Option<String>,
    /// platform(s) → executor name(s) → how.
    #[serde(default)]
    platforms: BTreeMap<String, BTreeMap<String, Option<LegacyExecutor>>>,
    #[serde(default)]
    executors: Vec<NewExecutor>,
}

#[derive(Debug, Deserialize)]
struct LegacyTechnique {
    attack_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LegacyExecutor {
    command: Option<String>,
    #[serde(default)]
    cleanup: Cleanup,
    #[serde(default)]
    payloads: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct NewExecutor {
    name: Option<String>,
    platform: Option<String>,
    command: Option<String>,
    #[serde(default)]
    cleanup: Cleanup,
    #[serde(default)]
    payloads: Vec<String>,
}

/// One command or several.
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum Cleanup {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Cleanup {
    fn text(self) -> Option<String> {
        let text = match self {
            Self::None => return None,
            Self::One(one) => one,
            Self::Many(many) => many.join("\n"),
        };
        let text = text.trim().to_owned();
        (!text.is_empty()).then_some(text)
    }
}

/// CALDERA says `darwin`; the catalog says `macos`.
fn platform(name: &str) -> String {
    match name.trim().to_ascii_lowercase().as_str() {
        "darwin" => "macos".to_owned(),
        other => other.to_owned(),
    }
}

fn split(keys: &str) -> impl Iterator<Item = &str> {
    keys.split(',').map(str::trim).filter(|k| !k.is_empty())
}

fn executors(ability: &mut Ability) -> Vec<Executor> {
    let elevated = ability
        .privilege
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("elevated"));
    let mut found = Vec::new();
    // One executor per platform and executor name, however many a key joins with commas.
    let mut add = |platforms: &str,
                   names: &str,
                   command: Option<String>,
                   cleanup: Cleanup,
                   payloads: Vec<String>| {
        let Some(command) = command
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
        else {
            return;
        };
        let cleanup = cleanup.text();
        for os in split(platforms) {
            for name in split(names) {
                found.push(Executor {
                    name: name.to_owned(),
                    platform: Some(platform(os)),
                    command: command.clone(),
                    cleanup: cleanup.clone(),
                    elevation_required: elevated,
                    payloads: payloads.clone(),
                });
            }
        }
    };
    for (platforms, by_executor) in std::mem::take(&mut ability.platforms) {
        for (names, how) in by_executor {
            if let Some(how) = how {
                add(&platforms, &names, how.command, how.cleanup, how.payloads);
            }
        }
    }
    for how in std::mem::take(&mut ability.executors) {
        add(
            how.platform.as_deref().unwrap_or_default(),
            how.name.as_deref().unwrap_or("sh"),
            how.command,
            how.cleanup,
            how.payloads,
        );
    }
    found
}

/// The templates of one CALDERA ability file.
///
/// # Errors
/// Why the file yields no template: not UTF-8, not YAML, an ability without id, name or
/// ATT&CK technique.
pub fn parse_caldera_file(file: &FeedFile) -> Result<Vec<TestTemplate>, String> {
    let text = utf8(&file.bytes)?;
    let mut abilities = Vec::new();
    for list in documents::<Option<Vec<Ability>>>(text, "a CALDERA ability file")? {
        abilities.extend(list.unwrap_or_default());
    }
    if abilities.is_empty() {
        return Err("the file holds no ability".to_owned());
    }
    abilities
        .into_iter()
        .map(|mut ability| {
            let technique = ability
                .technique_id
                .as_deref()
                .or(ability
                    .technique
                    .as_ref()
                    .and_then(|t| t.attack_id.as_deref()))
                .and_then(technique_from_tag)
                .ok_or("an ability names no ATT&CK technique")?;
            let id = ability
                .id
                .take()
                .map(|i| i.trim().to_owned())
                .filter(|i| !i.is_empty() && i.len() <= 128)
                .ok_or("an ability has no id")?;
            let name = ability
                .name
                .take()
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .ok_or("an ability has no name")?;
            let executors = executors(&mut ability);
            Ok(TestTemplate {
                source: TemplateSource::Caldera,
                source_id: id,
                name: name.chars().take(300).collect(),
                description: ability.description.trim().to_owned(),
                technique,
                tactic: ability.tactic.map(|t| t.trim().to_ascii_lowercase()),
                platforms: tidy(
                    executors
                        .iter()
                        .filter_map(|e| e.platform.clone())
                        .collect(),
                ),
                executors,
                input_arguments: Vec::new(),
                dependencies: Vec::new(),
                author: None,
                path: file.path.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> FeedFile {
        FeedFile {
            path: "data/abilities/discovery/x.yml".to_owned(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn the_legacy_schema_splits_comma_joined_platforms_and_executors() {
        let text = "---\n\n- id: 315cedf1\n  name: Emulate\n  description: d\n  tactic: execution\n  privilege: Elevated\n\
            \x20 technique:\n    attack_id: T1059.001\n    name: PowerShell\n  platforms:\n    windows:\n      psh,pwsh:\n\
            \x20       command: |\n          start x\n        cleanup: |\n          del x\n        payloads:\n        - a.ps1\n\
            \x20   linux,darwin:\n      sh:\n        command: id\n";
        let templates = parse_caldera_file(&file(text)).unwrap_or_default();
        assert_eq!(templates.len(), 1);
        let template = &templates[0];
        assert_eq!(template.technique, "T1059.001");
        assert_eq!(template.platforms, ["linux", "macos", "windows"]);
        assert_eq!(template.executors.len(), 4);
        assert!(template.executors.iter().all(|e| e.elevation_required));
        let psh = template.executors.iter().find(|e| e.name == "pwsh");
        assert_eq!(psh.and_then(|e| e.cleanup.as_deref()), Some("del x"));
        assert_eq!(
            psh.map(|e| e.payloads.clone()),
            Some(vec!["a.ps1".to_owned()])
        );
    }

    #[test]
    fn the_newer_schema_reads_executors_and_a_padded_technique_id() {
        let text = "- tactic: defense-evasion\n  technique_id: ' T1564.001'\n  name: Hide\n  description: d\n\
            \x20 executors:\n  - name: psh\n    platform: windows\n    command: 'attrib +h #{host.dir.staged}'\n    cleanup: []\n\
            \x20 - name: sh\n    platform: linux\n    code: x\n  id: f2130677\n";
        let templates = parse_caldera_file(&file(text)).unwrap_or_default();
        assert_eq!(templates.len(), 1);
        assert_eq!(templates[0].technique, "T1564.001");
        assert_eq!(templates[0].executors.len(), 1);
        assert_eq!(templates[0].executors[0].cleanup, None);
    }

    #[test]
    fn an_ability_without_a_technique_refuses_the_file() {
        assert!(parse_caldera_file(&file("- id: a\n  name: b\n")).is_err());
        assert!(parse_caldera_file(&file("---\n")).is_err());
    }
}
