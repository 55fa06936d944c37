//! Small normalizations the rule parsers share.

use chrono::NaiveDate;

/// `2023/01/05` or `2023-01-05`; anything else is no date.
pub(crate) fn rule_date(text: Option<&str>) -> Option<NaiveDate> {
    let text = text?.trim();
    NaiveDate::parse_from_str(text, "%Y/%m/%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d"))
        .ok()
}

/// Sorted, deduplicated, without blanks.
pub(crate) fn tidy(mut items: Vec<String>) -> Vec<String> {
    items.retain(|s| !s.trim().is_empty());
    items.sort();
    items.dedup();
    items
}

/// The bytes as text, or why not.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text: {e}"))
}
