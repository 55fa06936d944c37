//! Atomic Red Team (`atomics/<T>/<T>.yaml`): one template per atomic test, keyed by its
//! `auto_generated_guid`.

use std::collections::BTreeMap;

use serde::Deserialize;

use aegis_domain::detection::technique_from_tag;
use aegis_domain::template::{Dependency, Executor, InputArgument, TemplateSource, TestTemplate};

use super::collection::FeedFile;
use super::rule_fields::{tidy, utf8};
use super::yaml::{document, scalar_text};

#[derive(Debug, Deserialize)]
struct AtomicFile {
    attack_technique: Option<String>,
    #[serde(default)]
    atomic_tests: Vec<AtomicTest>,
}

#[derive(Debug, Deserialize)]
struct AtomicTest {
    name: Option<String>,
    auto_generated_guid: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    supported_platforms: Vec<String>,
    #[serde(default)]
    input_arguments: BTreeMap<String, AtomicArgument>,
    #[serde(default)]
    dependencies: Vec<AtomicDependency>,
    executor: Option<AtomicExecutor>,
}

#[derive(Debug, Deserialize)]
struct AtomicArgument {
    #[serde(default)]
    description: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    default: serde_json::Value,
}

#[derive(Debug, Deserialize)]
struct AtomicDependency {
    #[serde(default)]
    description: String,
    prereq_command: Option<String>,
    get_prereq_command: Option<String>,
}

#[derive(Debug, Deserialize)]
struct AtomicExecutor {
    name: Option<String>,
    command: Option<String>,
    /// The manual executor's instructions, in place of a command.
    steps: Option<String>,
    cleanup_command: Option<String>,
    #[serde(default)]
    elevation_required: bool,
}

fn trimmed(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().replace("\r\n", "\n"))
        .filter(|t| !t.is_empty())
}

/// The templates of one Atomic Red Team technique file.
///
/// # Errors
/// Why the file yields no template: not UTF-8, not YAML, no technique. A test without a GUID
/// or a name is left out of the file's templates.
pub fn parse_atomic_file(file: &FeedFile) -> Result<Vec<TestTemplate>, String> {
    let text = utf8(&file.bytes)?;
    let parsed: AtomicFile = document(text, "an Atomic Red Team file")?;
    let technique = parsed
        .attack_technique
        .as_deref()
        .and_then(technique_from_tag)
        .ok_or("the file names no ATT&CK technique (attack_technique)")?;
    let mut templates = Vec::new();
    for test in parsed.atomic_tests {
        let (Some(guid), Some(name)) = (trimmed(test.auto_generated_guid), trimmed(test.name))
        else {
            continue;
        };
        let platforms = tidy(
            test.supported_platforms
                .iter()
                .map(|p| p.trim().to_ascii_lowercase())
                .collect(),
        );
        let executors = test
            .executor
            .and_then(|e| {
                let command = trimmed(e.command).or_else(|| trimmed(e.steps))?;
                Some(Executor {
                    name: trimmed(e.name).unwrap_or_else(|| "manual".to_owned()),
                    platform: None,
                    command,
                    cleanup: trimmed(e.cleanup_command),
                    elevation_required: e.elevation_required,
                    payloads: Vec::new(),
                })
            })
            .into_iter()
            .collect();
        templates.push(TestTemplate {
            source: TemplateSource::Atomic,
            source_id: guid.chars().take(128).collect(),
            name: name.chars().take(300).collect(),
            description: test.description.trim().replace("\r\n", "\n"),
            technique: technique.clone(),
            tactic: None,
            platforms,
            executors,
            input_arguments: test
                .input_arguments
                .into_iter()
                .map(|(name, argument)| InputArgument {
                    name,
                    description: argument.description.trim().to_owned(),
                    kind: argument.kind,
                    default: scalar_text(&argument.default),
                })
                .collect(),
            dependencies: test
                .dependencies
                .into_iter()
                .map(|d| Dependency {
                    description: d.description.trim().to_owned(),
                    prereq_command: trimmed(d.prereq_command),
                    get_prereq_command: trimmed(d.get_prereq_command),
                })
                .collect(),
            author: None,
            path: file.path.clone(),
        });
    }
    Ok(templates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> FeedFile {
        FeedFile {
            path: "atomics/T1070.008/T1070.008.yaml".to_owned(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn an_atomic_test_becomes_a_template_with_its_arguments_and_dependencies() {
        let text = "attack_technique: T1070.008\r\ndisplay_name: Clear Mailbox Data\r\natomic_tests:\r\n\
            - name: Copy and Delete Mailbox Data\r\n  auto_generated_guid: d29f01ea-ac72-4efc-8a15-bea64b77fabf\r\n\
            \x20 description: |\r\n    Copies and deletes mail data\r\n  supported_platforms:\r\n  - Windows\r\n\
            \x20 input_arguments:\r\n    count:\r\n      description: how many\r\n      type: integer\r\n      default: 3\r\n\
            \x20   empty:\r\n      description: none\r\n      type: string\r\n      default: null\r\n\
            \x20 dependencies:\r\n  - description: Outlook\r\n    prereq_command: exit 0\r\n\
            \x20 executor:\r\n    command: |\r\n      copy #{count}\r\n    cleanup_command: del x\r\n    name: powershell\r\n    elevation_required: true\r\n\
            - name: Manual one\r\n  auto_generated_guid: 0a1b2c3d-0000-4000-8000-000000000000\r\n  supported_platforms: [linux]\r\n\
            \x20 executor:\r\n    name: manual\r\n    steps: |\r\n      1. do it\r\n\
            - name: No guid\r\n  executor:\r\n    name: sh\r\n    command: id\r\n";
        let templates = parse_atomic_file(&file(text)).unwrap_or_default();
        assert_eq!(templates.len(), 2);
        let first = &templates[0];
        assert_eq!(first.technique, "T1070.008");
        assert_eq!(first.platforms, ["windows"]);
        assert_eq!(first.executors[0].command, "copy #{count}");
        assert!(first.executors[0].elevation_required);
        assert_eq!(first.input_arguments[0].default.as_deref(), Some("3"));
        assert_eq!(first.input_arguments[1].default, None);
        assert_eq!(
            first.dependencies[0].prereq_command.as_deref(),
            Some("exit 0")
        );
        assert_eq!(templates[1].executors[0].name, "manual");
        assert_eq!(templates[1].executors[0].command, "1. do it");
    }

    #[test]
    fn a_file_without_a_technique_is_refused() {
        assert!(parse_atomic_file(&file("atomic_tests: []\n")).is_err());
        assert!(parse_atomic_file(&file("a: [b\n")).is_err());
    }
}
