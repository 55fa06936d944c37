//! The scans' adapters: detection content read with the importers' own parsers (so a scan
//! refuses exactly what an import would), and the HMAC-SHA256 artifact signer.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use std::sync::Arc;

use aegis_application::scans::{
    DetectionContentParser, ParsedDetection, ReportKeySigner, ScanSigner,
};
use aegis_domain::detection::technique_from_tag;
use aegis_domain::scan::hazards::ContentKind;

use crate::feeds::collection::FeedFile;
use crate::feeds::{atomic, caldera, elastic, sigma};
use crate::reports::Ed25519Signer;

/// Sigma's statuses and levels (the specification's closed sets).
const SIGMA_STATUSES: [&str; 5] = [
    "stable",
    "test",
    "experimental",
    "deprecated",
    "unsupported",
];
const SIGMA_LEVELS: [&str; 5] = ["informational", "low", "medium", "high", "critical"];

/// Detection content through the feed parsers of `infrastructure::feeds`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImporterParsers;

fn sigma_problems(mapping: &sigma::Mapping) -> Vec<String> {
    let mut problems = Vec::new();
    let text = |key: &str| mapping.get(key).and_then(serde_json::Value::as_str);
    match text("status") {
        None => problems.push("the Sigma rule has no `status`".to_owned()),
        Some(status) if !SIGMA_STATUSES.contains(&status) => problems.push(format!(
            "the Sigma rule's status `{status}` is none of {}",
            SIGMA_STATUSES.join(", ")
        )),
        Some(_) => {}
    }
    match text("level") {
        None => problems.push("the Sigma rule has no `level`".to_owned()),
        Some(level) if !SIGMA_LEVELS.contains(&level) => problems.push(format!(
            "the Sigma rule's level `{level}` is none of {}",
            SIGMA_LEVELS.join(", ")
        )),
        Some(_) => {}
    }
    let has_logsource = mapping
        .get("logsource")
        .and_then(serde_json::Value::as_object)
        .is_some_and(|l| !l.is_empty());
    if !has_logsource {
        problems.push("the Sigma rule has no `logsource`".to_owned());
    }
    match mapping
        .get("detection")
        .and_then(serde_json::Value::as_object)
    {
        None => problems.push("the Sigma rule has no `detection`".to_owned()),
        Some(detection) if !detection.contains_key("condition") => {
            problems.push("the Sigma rule's detection has no `condition`".to_owned());
        }
        Some(_) => {}
    }
    problems
}

/// Sub-techniques an Elastic rule lists under a technique that is not their parent.
fn elastic_wrong_parents(text: &str) -> Vec<(String, String)> {
    let Ok(value) = toml::from_str::<toml::Value>(text) else {
        return Vec::new();
    };
    let mut wrong = Vec::new();
    let threats = value
        .get("rule")
        .and_then(|r| r.get("threat"))
        .and_then(toml::Value::as_array);
    for threat in threats.into_iter().flatten() {
        let techniques = threat.get("technique").and_then(toml::Value::as_array);
        for technique in techniques.into_iter().flatten() {
            let Some(parent) = technique
                .get("id")
                .and_then(toml::Value::as_str)
                .and_then(technique_from_tag)
            else {
                continue;
            };
            let subs = technique
                .get("subtechnique")
                .and_then(toml::Value::as_array);
            for sub in subs.into_iter().flatten() {
                if let Some(id) = sub
                    .get("id")
                    .and_then(toml::Value::as_str)
                    .and_then(technique_from_tag)
                    && id.split_once('.').is_none_or(|(p, _)| p != parent)
                {
                    wrong.push((id, parent.clone()));
                }
            }
        }
    }
    wrong
}

impl DetectionContentParser for ImporterParsers {
    fn parse(
        &self,
        kind: ContentKind,
        path: &str,
        text: &str,
    ) -> Result<Vec<ParsedDetection>, String> {
        let file = FeedFile {
            path: path.to_owned(),
            bytes: text.as_bytes().to_vec(),
        };
        match kind {
            ContentKind::Sigma => Ok(sigma::parse_sigma_documents(&file)?
                .into_iter()
                .map(|(rule, mapping)| ParsedDetection {
                    id: rule.source_id,
                    title: rule.title,
                    techniques: rule.techniques,
                    wrong_parents: Vec::new(),
                    problems: sigma_problems(&mapping),
                })
                .collect()),
            ContentKind::Elastic => {
                let rule = elastic::parse_elastic_file(&file)?;
                Ok(vec![ParsedDetection {
                    id: rule.source_id,
                    title: rule.title,
                    techniques: rule.techniques,
                    wrong_parents: elastic_wrong_parents(text),
                    problems: Vec::new(),
                }])
            }
            ContentKind::Atomic | ContentKind::Caldera => {
                let templates = if kind == ContentKind::Atomic {
                    atomic::parse_atomic_file(&file)?
                } else {
                    caldera::parse_caldera_file(&file)?
                };
                Ok(templates
                    .into_iter()
                    .map(|t| ParsedDetection {
                        id: t.source_id,
                        title: t.name,
                        techniques: technique_from_tag(&t.technique).into_iter().collect(),
                        wrong_parents: Vec::new(),
                        problems: if t.executors.is_empty() {
                            vec!["the test has no executor".to_owned()]
                        } else {
                            Vec::new()
                        },
                    })
                    .collect())
            }
            ContentKind::Yaml | ContentKind::Toml | ContentKind::Other => Ok(Vec::new()),
        }
    }
}

/// HMAC-SHA256 under a key derived from the server secret: artifacts verify only on a server
/// that holds the secret (no public key).
pub struct HmacSigner {
    key: Vec<u8>,
}

impl HmacSigner {
    /// The key is HMAC-SHA256(server secret, "aegis scan artifacts"), so it is not the
    /// secret itself and is not shared with the other uses of the secret.
    #[must_use]
    pub fn derived(secret: &[u8]) -> Self {
        let key = Self::mac(secret, b"aegis scan artifacts");
        Self { key }
    }

    fn mac(key: &[u8], message: &[u8]) -> Vec<u8> {
        // HMAC takes a key of any length; `new_from_slice` fails for none.
        match <Hmac<Sha256> as Mac>::new_from_slice(key) {
            Ok(mut mac) => {
                mac.update(message);
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        }
    }
}

impl ScanSigner for HmacSigner {
    fn algorithm(&self) -> &'static str {
        "hmac-sha256"
    }

    fn sign(&self, message: &[u8]) -> String {
        hex::encode(Self::mac(&self.key, message))
    }

    fn verify(&self, message: &[u8], signature: &str) -> bool {
        let Ok(signature) = hex::decode(signature.trim()) else {
            return false;
        };
        match <Hmac<Sha256> as Mac>::new_from_slice(&self.key) {
            Ok(mut mac) => {
                mac.update(message);
                mac.verify_slice(&signature).is_ok()
            }
            Err(_) => false,
        }
    }

    fn public_key(&self) -> Option<String> {
        None
    }
}

/// The development signer: Ed25519 under a key derived from a published phrase, so every
/// development machine signs the same bytes the same way and a fixture signed on one verifies
/// on all. It proves nothing (everyone holds the key), says so in its algorithm name, and the
/// production profile refuses it.
pub struct DevelopmentSigner(ReportKeySigner);

impl DevelopmentSigner {
    /// The phrase the key derives from; public on purpose.
    pub const PHRASE: &'static str = "aegis development scan signer: not a secret";

    #[must_use]
    pub fn new() -> Self {
        Self(ReportKeySigner(Arc::new(Ed25519Signer::derived(
            Self::PHRASE.as_bytes(),
        ))))
    }
}

impl Default for DevelopmentSigner {
    fn default() -> Self {
        Self::new()
    }
}

impl ScanSigner for DevelopmentSigner {
    fn algorithm(&self) -> &'static str {
        "development"
    }

    fn sign(&self, message: &[u8]) -> String {
        self.0.sign(message)
    }

    fn verify(&self, message: &[u8], signature: &str) -> bool {
        self.0.verify(message, signature)
    }

    fn public_key(&self) -> Option<String> {
        self.0.public_key()
    }
}

/// Checks an Ed25519 artifact signature offline: `signature` (hex) of the SHA-256 of
/// `message` under `public_key` (hex), as `ReportKeySigner` makes it.
#[must_use]
pub fn verify_ed25519(public_key: &str, message: &[u8], signature: &str) -> bool {
    use sha2::Digest;
    crate::reports::verify_with(public_key, &Sha256::digest(message), signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigma_schema_problems_are_named() {
        let parsed = ImporterParsers.parse(
            ContentKind::Sigma,
            "rules/x.yml",
            "title: T\nid: rule-1\nstatus: maybe\nlogsource:\n  product: windows\ndetection:\n  sel:\n    a: b\n",
        );
        let problems = parsed.map(|d| d[0].problems.clone()).unwrap_or_default();
        assert_eq!(
            problems,
            vec![
                "the Sigma rule's status `maybe` is none of stable, test, experimental, deprecated, unsupported".to_owned(),
                "the Sigma rule has no `level`".to_owned(),
                "the Sigma rule's detection has no `condition`".to_owned(),
            ]
        );
        assert!(
            ImporterParsers
                .parse(ContentKind::Sigma, "x.yml", "id: 1\n")
                .is_err()
        );
    }

    #[test]
    fn elastic_subtechniques_under_another_parent_are_found() {
        let text = "[rule]\nrule_id = \"r\"\nname = \"n\"\n[[rule.threat]]\nframework = \"MITRE ATT&CK\"\n[[rule.threat.technique]]\nid = \"T1059\"\n[[rule.threat.technique.subtechnique]]\nid = \"T1003.001\"\n[[rule.threat.technique.subtechnique]]\nid = \"T1059.001\"\n";
        assert_eq!(
            elastic_wrong_parents(text),
            vec![("T1003.001".to_owned(), "T1059".to_owned())]
        );
    }

    #[test]
    fn hmac_signatures_verify_and_refuse_changes() {
        let signer = HmacSigner::derived(b"secret");
        let signature = signer.sign(b"message");
        assert!(signer.verify(b"message", &signature));
        assert!(!signer.verify(b"messagf", &signature));
        assert!(!HmacSigner::derived(b"other").verify(b"message", &signature));
        assert!(!signer.verify(b"message", "zz"));
    }

    #[test]
    fn the_development_signer_signs_alike_everywhere_and_names_itself() {
        let here = DevelopmentSigner::new();
        let there = DevelopmentSigner::new();
        let signature = here.sign(b"artifact");
        assert_eq!(
            signature,
            there.sign(b"artifact"),
            "deterministic across machines"
        );
        assert!(there.verify(b"artifact", &signature));
        assert!(!there.verify(b"artifacT", &signature));
        assert_eq!(here.algorithm(), "development");
        let key = here.public_key().unwrap_or_default();
        assert!(verify_ed25519(&key, b"artifact", &signature));
        // Not the key a server derives from its own secret.
        let server = ReportKeySigner(Arc::new(Ed25519Signer::derived(b"server secret")));
        assert_ne!(server.public_key(), here.public_key());
    }
}
