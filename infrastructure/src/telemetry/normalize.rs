//! From one shipped document to an [`Event`] under the Windows names Sigma rules use.
//!
//! Four shapes are recognised: the flat Windows format (Security Datasets, NXLog: `EventID`,
//! `Channel`, the event data at top level), Winlogbeat / ECS (`winlog.event_data.*`,
//! `process.executable`…), Splunk's JSON export (`{"result": {...}}`, `EventCode`,
//! `LogName`) and the EVTX parser's JSON (`Event.System`, `Event.EventData`). The reverse of
//! pySigma's `ecs_windows` pipeline adds the Sysmon names next to the ECS ones, and the
//! Security log's process creation (4688) gets the names of Sysmon's (as pySigma's
//! `windows_audit` mapping reads them).

use serde_json::{Map, Value};

use super::event::{Event, parse_timestamp};

/// ECS field → the Windows (Sysmon) name a Sigma rule uses, after pySigma's `ecs_windows`.
const ECS_TO_WINDOWS: &[(&str, &str)] = &[
    ("process.executable", "image"),
    ("process.command_line", "commandline"),
    ("process.pid", "processid"),
    ("process.entity_id", "processguid"),
    ("process.working_directory", "currentdirectory"),
    ("process.pe.original_file_name", "originalfilename"),
    ("process.pe.description", "description"),
    ("process.pe.product", "product"),
    ("process.pe.company", "company"),
    ("process.pe.file_version", "fileversion"),
    ("process.parent.executable", "parentimage"),
    ("process.parent.command_line", "parentcommandline"),
    ("process.parent.pid", "parentprocessid"),
    ("process.parent.entity_id", "parentprocessguid"),
    ("user.name", "user"),
    ("winlog.logon.id", "logonid"),
    ("file.path", "targetfilename"),
    ("registry.path", "targetobject"),
    ("registry.data.strings", "details"),
    ("dll.path", "imageloaded"),
    ("source.ip", "sourceip"),
    ("source.port", "sourceport"),
    ("source.domain", "sourcehostname"),
    ("destination.ip", "destinationip"),
    ("destination.port", "destinationport"),
    ("destination.domain", "destinationhostname"),
    ("network.transport", "protocol"),
    ("network.direction", "initiated"),
    ("dns.question.name", "queryname"),
    ("dns.answers.data", "queryresults"),
    ("powershell.file.script_block_text", "scriptblocktext"),
    ("powershell.file.script_block_id", "scriptblockid"),
    ("powershell.command.value", "payload"),
    ("event.code", "eventid"),
    ("winlog.event_id", "eventid"),
    ("winlog.channel", "channel"),
    ("winlog.provider_name", "provider_name"),
    ("winlog.computer_name", "computer"),
    ("winlog.record_id", "eventrecordid"),
    ("host.name", "computer"),
];

/// Splunk's Windows add-on name → the event's.
const SPLUNK_TO_WINDOWS: &[(&str, &str)] = &[
    ("eventcode", "eventid"),
    ("logname", "channel"),
    ("computername", "computer"),
    ("sourcename", "provider_name"),
    ("recordnumber", "eventrecordid"),
];

/// Nested objects deeper than this are not flattened further (a hostile document stops here).
const MAX_DEPTH: usize = 16;

/// The event a document records, or `None` for a document that is no event (an empty object).
#[must_use]
pub fn event_from_document(index: usize, document: &Value) -> Option<Event> {
    let Value::Object(object) = document else {
        return None;
    };
    // Splunk's export wraps each row.
    if let Some(Value::Object(result)) = object.get("result") {
        return splunk(index, result);
    }
    // An Elasticsearch hit.
    if let Some(Value::Object(source)) = object.get("_source") {
        return from_object(index, source);
    }
    // The EVTX parser's document.
    if let Some(Value::Object(event)) = object.get("Event")
        && event.contains_key("System")
    {
        return evtx(index, event);
    }
    from_object(index, object)
}

fn from_object(index: usize, object: &Map<String, Value>) -> Option<Event> {
    let mut event = Event::at(index);
    flatten(&mut event, "", object, 0);
    if object.contains_key("winlog") {
        // Winlogbeat: the event data under its own names.
        if let Some(Value::Object(data)) = object.get("winlog").and_then(|w| w.get("event_data")) {
            for (name, value) in data {
                event.insert(name, value);
            }
        }
        if let Some(Value::Object(data)) = object.get("winlog").and_then(|w| w.get("user_data")) {
            flatten(&mut event, "", data, 0);
        }
    }
    for (ecs, windows) in ECS_TO_WINDOWS {
        event.alias(windows, ecs);
    }
    windows_aliases(&mut event);
    event.timestamp = [
        "utctime",
        "@timestamp",
        "timecreated",
        "timestamp",
        "eventtime",
    ]
    .into_iter()
    .find_map(|name| event.field(name).and_then(parse_timestamp));
    event.record_id = ["eventrecordid", "recordnumber"]
        .into_iter()
        .find_map(|name| event.field(name).map(str::to_owned));
    (!event.is_empty()).then_some(event)
}

fn splunk(index: usize, result: &Map<String, Value>) -> Option<Event> {
    let mut event = from_object(index, result)?;
    for (splunk, windows) in SPLUNK_TO_WINDOWS {
        event.alias(windows, splunk);
    }
    // `source` is `XmlWinEventLog:<channel>` or `WinEventLog:<channel>`.
    if !event.has("channel")
        && let Some(channel) = event
            .field("source")
            .and_then(|s| s.split_once(':'))
            .map(|(_, channel)| channel.to_owned())
    {
        event.insert("channel", &Value::String(channel));
    }
    windows_aliases(&mut event);
    if let Some(time) = event.field("_time").and_then(parse_timestamp) {
        event.timestamp = Some(time);
    }
    Some(event)
}

fn evtx(index: usize, root: &Map<String, Value>) -> Option<Event> {
    let mut event = Event::at(index);
    let system = root.get("System").and_then(Value::as_object)?;
    for (name, value) in system {
        match (name.as_str(), value) {
            ("EventID", Value::Object(id)) => {
                if let Some(text) = id.get("#text") {
                    event.insert("EventID", text);
                }
            }
            ("Provider", Value::Object(provider)) => {
                if let Some(attributes) = provider.get("#attributes").and_then(Value::as_object) {
                    if let Some(name) = attributes.get("Name") {
                        event.insert("Provider_Name", name);
                    }
                    if let Some(guid) = attributes.get("Guid") {
                        event.insert("Provider_Guid", guid);
                    }
                }
            }
            ("TimeCreated", Value::Object(time)) => {
                if let Some(at) = time
                    .get("#attributes")
                    .and_then(|a| a.get("SystemTime"))
                    .and_then(Value::as_str)
                {
                    event.timestamp = parse_timestamp(at);
                }
            }
            (_, Value::Object(inner)) => {
                if let Some(Value::Object(attributes)) = inner.get("#attributes") {
                    for (attribute, value) in attributes {
                        event.insert(attribute, value);
                    }
                }
            }
            (name, value) => event.insert(name, value),
        }
    }
    for section in ["EventData", "UserData"] {
        match root.get(section) {
            Some(Value::Object(data)) => flatten_leaves(&mut event, data, 0),
            Some(Value::String(text)) => event.insert("Data", &Value::String(text.clone())),
            _ => {}
        }
    }
    windows_aliases(&mut event);
    event.record_id = event.field("eventrecordid").map(str::to_owned);
    Some(event)
}

/// EVTX event data: `<Data Name="Image">` became `"Image": …`; unnamed data (`Data` with
/// `#text`) and user data's nested elements are kept under their leaf names.
fn flatten_leaves(event: &mut Event, object: &Map<String, Value>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    for (name, value) in object {
        match value {
            Value::Object(inner) => {
                if let Some(text) = inner.get("#text") {
                    event.insert(name, text);
                } else if name != "#attributes" {
                    flatten_leaves(event, inner, depth + 1);
                }
            }
            other => event.insert(name, other),
        }
    }
}

/// Every leaf under its dotted path (`process.parent.executable`), top-level names as they are.
fn flatten(event: &mut Event, prefix: &str, object: &Map<String, Value>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    for (name, value) in object {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match value {
            Value::Object(inner) => flatten(event, &path, inner, depth + 1),
            Value::Array(items) if items.iter().any(Value::is_object) => {
                for item in items {
                    if let Value::Object(inner) = item {
                        flatten(event, &path, inner, depth + 1);
                    }
                }
            }
            other => event.insert(&path, other),
        }
    }
}

/// The names every Windows source shares, whoever shipped the event.
fn windows_aliases(event: &mut Event) {
    // NXLog names the provider `SourceName` and the computer `Hostname`.
    event.alias("provider_name", "sourcename");
    event.alias("computer", "hostname");
    // The Security log's process creation under Sysmon's names (pySigma `windows_audit`).
    if event.event_id() == Some(4688) && event.channel() == "security" {
        event.alias("image", "newprocessname");
        event.alias("parentimage", "parentprocessname");
        event.alias("user", "subjectusername");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_flat_format_keeps_its_names_and_the_sysmon_time() {
        let document = json!({"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Image": "C:\\Windows\\System32\\cmd.exe", "UtcTime": "2020-09-22 08:11:16.328",
            "@timestamp": "2020-09-22T08:11:18.316Z", "RecordNumber": 42, "SourceName": "Microsoft-Windows-Sysmon"});
        let event = event_from_document(3, &document).unwrap_or_default();
        assert_eq!(event.event_id(), Some(1));
        assert_eq!(event.channel(), "microsoft-windows-sysmon/operational");
        assert_eq!(event.field("image"), Some("C:\\Windows\\System32\\cmd.exe"));
        assert_eq!(
            event.field("provider_name"),
            Some("Microsoft-Windows-Sysmon")
        );
        assert_eq!(event.record_id.as_deref(), Some("42"));
        assert_eq!(
            event.timestamp.map(|t| t.to_rfc3339()),
            Some("2020-09-22T08:11:16.328+00:00".to_owned())
        );
    }

    #[test]
    fn security_process_creation_takes_sysmon_names() {
        let document = json!({"EventID": 4688, "Channel": "Security",
            "NewProcessName": "C:\\Windows\\System32\\whoami.exe", "ParentProcessName": "C:\\Windows\\System32\\cmd.exe"});
        let event = event_from_document(0, &document).unwrap_or_default();
        assert_eq!(
            event.field("image"),
            Some("C:\\Windows\\System32\\whoami.exe")
        );
        assert_eq!(
            event.field("parentimage"),
            Some("C:\\Windows\\System32\\cmd.exe")
        );
    }

    #[test]
    fn winlogbeat_documents_take_their_event_data_and_ecs_names() {
        let document = json!({"@timestamp": "2024-01-02T03:04:05Z",
            "winlog": {"event_id": "1", "channel": "Microsoft-Windows-Sysmon/Operational",
                       "event_data": {"OriginalFileName": "whoami.exe"}},
            "process": {"executable": "C:\\w.exe", "command_line": "w /all",
                        "parent": {"executable": "C:\\cmd.exe"}}});
        let event = event_from_document(0, &document).unwrap_or_default();
        assert_eq!(event.event_id(), Some(1));
        assert_eq!(event.field("image"), Some("C:\\w.exe"));
        assert_eq!(event.field("parentimage"), Some("C:\\cmd.exe"));
        assert_eq!(event.field("originalfilename"), Some("whoami.exe"));
        assert_eq!(event.field("process.command_line"), Some("w /all"));
        assert!(event.timestamp.is_some());
    }

    #[test]
    fn splunk_rows_are_unwrapped() {
        let document = json!({"preview": false, "result": {"_time": "2024-01-02T03:04:05.000+00:00",
            "EventCode": "4104", "source": "XmlWinEventLog:Microsoft-Windows-PowerShell/Operational",
            "ScriptBlockText": "IEX (New-Object Net.WebClient)"}});
        let event = event_from_document(0, &document).unwrap_or_default();
        assert_eq!(event.event_id(), Some(4104));
        assert_eq!(event.channel(), "microsoft-windows-powershell/operational");
        assert!(event.timestamp.is_some());
    }

    #[test]
    fn evtx_documents_flatten_system_and_event_data() {
        let document = json!({"Event": {"#attributes": {"xmlns": "x"}, "System": {
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}},
            "EventID": 4688, "Channel": "Security", "EventRecordID": 7, "Computer": "WS1",
            "TimeCreated": {"#attributes": {"SystemTime": "2024-01-02T03:04:05.123456Z"}}},
            "EventData": {"NewProcessName": "C:\\x.exe", "CommandLine": "x -y"}}});
        let event = event_from_document(0, &document).unwrap_or_default();
        assert_eq!(event.event_id(), Some(4688));
        assert_eq!(event.field("image"), Some("C:\\x.exe"));
        assert_eq!(
            event.field("provider_name"),
            Some("Microsoft-Windows-Security-Auditing")
        );
        assert_eq!(event.record_id.as_deref(), Some("7"));
        assert!(event.timestamp.is_some());
    }
}
