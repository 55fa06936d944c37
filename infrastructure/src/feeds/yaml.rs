//! YAML as the feeds publish it, read with aliases expanded only within a bound, so an alias
//! bomb is refused instead of followed.

use serde::de::DeserializeOwned;

/// Events an alias may replay in one file before the file is refused.
const MAX_ALIAS_EVENTS: usize = 10_000;

fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_ALIAS_EVENTS,
        },
    }
}

/// Every document of a (possibly multi-document) YAML text.
pub(crate) fn documents<T: DeserializeOwned>(text: &str, what: &str) -> Result<Vec<T>, String> {
    serde_saphyr::from_multiple_with_options(text, options())
        .map_err(|e| format!("not {what}: {}", first_line(&e.to_string())))
}

/// The single document of a YAML text.
pub(crate) fn document<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, String> {
    serde_saphyr::from_str_with_options(text, options())
        .map_err(|e| format!("not {what}: {}", first_line(&e.to_string())))
}

fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or(message)
}

/// A scalar of any YAML type as text (`null` is none): feeds write defaults as strings,
/// numbers or booleans alike.
pub(crate) fn scalar_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}
