//! One spelling of a JSON value, whatever order its objects were built in.
//!
//! Hashes and fingerprints are taken over this text, never over `Value::to_string()`: with
//! serde_json's `preserve_order` (which the EVTX parser turns on for the whole binary) an object
//! keeps its insertion order, so the same value built twice, or read back from PostgreSQL's
//! `jsonb` (which reorders keys), would print differently. Keys are sorted by their bytes, as
//! serde_json's default `BTreeMap` sorts them, so every hash written before stays the same.

use serde_json::Value;

/// The compact text of `value` with every object's keys sorted.
#[must_use]
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write(item, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_json;
    use serde_json::{Map, Value, json};

    #[test]
    fn keys_are_sorted_at_every_depth_whatever_the_insertion_order() {
        let mut inner = Map::new();
        inner.insert("z".into(), json!(1));
        inner.insert("a".into(), json!([{"y": true, "b": null}]));
        let mut outer = Map::new();
        outer.insert("k".into(), Value::Object(inner));
        outer.insert("\"quoted\"".into(), json!("é\n"));
        assert_eq!(
            canonical_json(&Value::Object(outer)),
            r#"{"\"quoted\"":"é\n","k":{"a":[{"b":null,"y":true}],"z":1}}"#
        );
    }

    #[test]
    fn numbers_strings_and_nesting_print_as_serde_json_prints_them() {
        let value = json!({"b": [1, 2.5, "x\u{1}"], "a": {"d": -3, "c": false}});
        assert_eq!(
            canonical_json(&value),
            r#"{"a":{"c":false,"d":-3},"b":[1,2.5,"x\u0001"]}"#
        );
    }
}
