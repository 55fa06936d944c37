//! One recorded event, normalised to the Windows names Sigma rules are written against.
//!
//! Field names are kept lower-cased (Windows event data names are unique regardless of case,
//! and the shippers disagree on case), each value with its lower-cased form so that Sigma's
//! case-insensitive comparisons cost one lowering per event, not one per rule.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};

/// One value of a field, as written and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub raw: String,
    pub lower: String,
}

impl Text {
    #[must_use]
    pub fn new(raw: String) -> Self {
        let lower = raw.to_lowercase();
        Self { raw, lower }
    }
}

/// One event: its position in the input, its time, and its fields (a field of a list holds
/// several values; a test matches when any does).
#[derive(Debug, Clone, Default)]
pub struct Event {
    /// Position in the input, from 0.
    pub index: usize,
    pub timestamp: Option<DateTime<Utc>>,
    /// The record number the source gave it (EVTX `EventRecordID`, `RecordNumber`), if any.
    pub record_id: Option<String>,
    fields: HashMap<Box<str>, Vec<Text>>,
}

impl Event {
    /// An empty event at a position of its input.
    #[must_use]
    pub fn at(index: usize) -> Self {
        Self {
            index,
            ..Self::default()
        }
    }

    /// The values of a field, by its lower-cased name.
    #[must_use]
    pub fn values(&self, lower_name: &str) -> Option<&[Text]> {
        self.fields.get(lower_name).map(Vec::as_slice)
    }

    /// Every value of every field (keyword searches look at all of them).
    pub fn all_values(&self) -> impl Iterator<Item = &Text> {
        self.fields.values().flatten()
    }

    /// The event's channel, lower-cased (empty when it names none).
    #[must_use]
    pub fn channel(&self) -> &str {
        self.first("channel").unwrap_or_default()
    }

    /// The event's numeric id, when it has one.
    #[must_use]
    pub fn event_id(&self) -> Option<u32> {
        self.first("eventid").and_then(|id| id.trim().parse().ok())
    }

    fn first(&self, lower_name: &str) -> Option<&str> {
        self.values(lower_name)
            .and_then(<[Text]>::first)
            .map(|t| t.lower.as_str())
    }

    pub(crate) fn has(&self, lower_name: &str) -> bool {
        self.fields.contains_key(lower_name)
    }

    /// Adds a value under a name (any case); a list adds each of its scalars.
    pub(crate) fn insert(&mut self, name: &str, value: &serde_json::Value) {
        let key: Box<str> = name.to_lowercase().into_boxed_str();
        match value {
            serde_json::Value::Null => {}
            serde_json::Value::Array(items) => {
                for item in items {
                    if let Some(text) = scalar(item) {
                        self.fields
                            .entry(key.clone())
                            .or_default()
                            .push(Text::new(text));
                    }
                }
            }
            other => {
                if let Some(text) = scalar(other) {
                    self.fields.entry(key).or_default().push(Text::new(text));
                }
            }
        }
    }

    /// Adds `alias` as a copy of `source` when the event lacks it (ECS and the Security log
    /// name what Sysmon calls `Image` differently).
    pub(crate) fn alias(&mut self, alias: &str, source: &str) {
        if self.has(alias) {
            return;
        }
        if let Some(values) = self.fields.get(source).cloned() {
            self.fields.insert(alias.into(), values);
        }
    }

    /// The fields and their first values, for showing what matched.
    #[must_use]
    pub fn field(&self, lower_name: &str) -> Option<&str> {
        self.values(lower_name)
            .and_then(<[Text]>::first)
            .map(|t| t.raw.as_str())
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

fn scalar(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        // Nested objects are flattened by the readers; a list of lists is not an event field.
        _ => None,
    }
}

/// A timestamp as shippers write them: RFC 3339, `YYYY-MM-DD HH:MM:SS[.fff]` in UTC (Sysmon's
/// `UtcTime`), or seconds since the epoch (Splunk's `_time`).
#[must_use]
pub fn parse_timestamp(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(value) {
        return Some(time.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f%#z",
    ] {
        if let Ok(time) = NaiveDateTime::parse_from_str(value, format) {
            return Some(time.and_utc());
        }
    }
    if let Ok(time) = DateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S%.f%z") {
        return Some(time.with_timezone(&Utc));
    }
    let seconds: f64 = value.parse().ok()?;
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "checked finite and non-negative; sub-nanosecond precision is irrelevant"
    )]
    let (whole, nanos) = (seconds.trunc() as i64, (seconds.fract() * 1e9) as u32);
    DateTime::from_timestamp(whole, nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_of_every_shipper_parse() {
        let expected = "2020-09-22T08:11:16.328Z";
        for value in [
            "2020-09-22T08:11:16.328Z",
            "2020-09-22 08:11:16.328",
            "2020-09-22T08:11:16.328+00:00",
            "1600762276.328",
        ] {
            let time = parse_timestamp(value)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
            assert_eq!(time.as_deref(), Some(expected), "{value}");
        }
        assert_eq!(parse_timestamp("yesterday"), None);
    }

    #[test]
    fn values_are_found_by_any_case_and_lists_keep_each_value() {
        let mut event = Event::default();
        event.insert("CommandLine", &serde_json::json!("CMD.exe /c whoami"));
        event.insert("tags", &serde_json::json!(["a", 1, null]));
        assert_eq!(event.values("commandline").map(<[Text]>::len), Some(1));
        assert_eq!(
            event.values("commandline").map(|v| v[0].lower.as_str()),
            Some("cmd.exe /c whoami")
        );
        assert_eq!(event.values("tags").map(<[Text]>::len), Some(2));
        event.alias("image", "commandline");
        assert!(event.has("image"));
    }
}
