//! The signed result of a scan: canonical JSON (object keys sorted by code point, no
//! whitespace), so the same result is always the same bytes. The signature covers the
//! artifact without its `signature` member; a verifier also requires the bytes to be
//! canonical, so that no byte of a signed artifact can change unnoticed.

use serde_json::{Map, Value, json};

use super::{Scan, ScanPolicy};

/// The member holding the signature.
pub const SIGNATURE: &str = "signature";

/// `value` as canonical JSON.
pub use crate::canonical_json::canonical_json as canonical;

/// The unsigned artifact of a completed scan.
#[must_use]
pub fn unsigned(scan: &Scan, policy: &ScanPolicy) -> Value {
    json!({
        "scan_id": scan.id.to_string(),
        "tenant_id": scan.tenant_id.to_string(),
        "repository": scan.source.repository,
        "commit": scan.source.commit,
        "base": scan.source.base,
        "pull_request": scan.source.pull_request,
        "diff_sha256": scan.diff_sha256,
        "findings": scan.findings,
        "coverage": scan.coverage,
        "decision": scan.decision.map(super::Decision::as_str),
        "policy": policy,
        "created_at": scan.created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    })
}

/// The signature block added to an artifact.
#[must_use]
pub fn signature_block(algorithm: &str, key: Option<&str>, value: &str) -> Value {
    json!({ "algorithm": algorithm, "key": key, "value": value })
}

/// What a presented artifact is made of, once checked to be canonical.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented {
    /// The canonical bytes the signature covers.
    pub signed: String,
    pub algorithm: String,
    pub key: Option<String>,
    pub signature: String,
}

/// Why a presented artifact cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArtifactError {
    #[error("the artifact is not JSON: {0}")]
    NotJson(String),
    #[error("the artifact is not a JSON object")]
    NotObject,
    #[error("the artifact is not in canonical form (keys sorted, no whitespace): it was altered")]
    NotCanonical,
    #[error("the artifact carries no signature")]
    Unsigned,
}

/// Reads a presented artifact: it must be canonical (a trailing newline aside) and signed.
///
/// # Errors
/// `NotJson`, `NotObject`, `NotCanonical` or `Unsigned`.
pub fn present(bytes: &[u8]) -> Result<Presented, ArtifactError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ArtifactError::NotJson(e.to_string()))?;
    let text = text.strip_suffix('\n').unwrap_or(text);
    let value: Value =
        serde_json::from_str(text).map_err(|e| ArtifactError::NotJson(e.to_string()))?;
    if canonical(&value) != text {
        return Err(ArtifactError::NotCanonical);
    }
    let Value::Object(mut map) = value else {
        return Err(ArtifactError::NotObject);
    };
    let Some(Value::Object(signature)) = map.remove(SIGNATURE) else {
        return Err(ArtifactError::Unsigned);
    };
    let field = |name: &str| {
        signature
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let (Some(algorithm), Some(value)) = (field("algorithm"), field("value")) else {
        return Err(ArtifactError::Unsigned);
    };
    Ok(Presented {
        signed: canonical(&Value::Object(map)),
        algorithm,
        key: field("key"),
        signature: value,
    })
}

/// The signed artifact: `unsigned` with its signature block, canonical.
#[must_use]
pub fn signed(unsigned: &Value, signature: Value) -> String {
    let mut map = match unsigned {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    map.insert(SIGNATURE.to_owned(), signature);
    canonical(&Value::Object(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_sorts_keys_and_drops_whitespace() {
        let value: Value =
            serde_json::from_str("{ \"b\": [1, {\"y\": 2, \"x\": \"\u{e9}\\n\"}], \"a\": null }")
                .unwrap_or_default();
        assert_eq!(
            canonical(&value),
            "{\"a\":null,\"b\":[1,{\"x\":\"\u{e9}\\n\",\"y\":2}]}"
        );
    }

    #[test]
    fn only_canonical_signed_artifacts_are_read() {
        let unsigned = json!({"scan_id": "s", "decision": "pass"});
        let text = signed(&unsigned, signature_block("ed25519", Some("k"), "sig"));
        let presented = present(text.as_bytes());
        assert_eq!(
            presented,
            Ok(Presented {
                signed: canonical(&unsigned),
                algorithm: "ed25519".to_owned(),
                key: Some("k".to_owned()),
                signature: "sig".to_owned(),
            })
        );
        let spaced = text.replacen(':', ": ", 1);
        assert_eq!(present(spaced.as_bytes()), Err(ArtifactError::NotCanonical));
        assert_eq!(
            present(canonical(&unsigned).as_bytes()),
            Err(ArtifactError::Unsigned)
        );
        assert!(matches!(present(b"{"), Err(ArtifactError::NotJson(_))));
        assert_eq!(present(b"[]"), Err(ArtifactError::NotObject));
    }
}
