//! Report documents: HTML with inline SVG charts (minijinja) and PDF drawn with vector
//! shapes and the standard Helvetica font (pdf-writer), both from the same content; and the
//! Ed25519 signature of their digests.

mod charts;
mod html;
mod pdf;

use aegis_application::reports::{DocumentSigner, RenderError, ReportContent, ReportRenderer};
use aegis_domain::report::ReportFormat;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

/// Renders reports as HTML or PDF.
#[derive(Debug, Clone, Copy, Default)]
pub struct DocumentRenderer;

impl ReportRenderer for DocumentRenderer {
    fn render(
        &self,
        content: &ReportContent,
        format: ReportFormat,
    ) -> Result<Vec<u8>, RenderError> {
        match format {
            ReportFormat::Html => html::render(content).map(String::into_bytes),
            ReportFormat::Pdf => Ok(pdf::render(content)),
        }
    }
}

/// Ed25519 signatures: readers check a document with the public key alone.
#[derive(Clone)]
pub struct Ed25519Signer {
    key: SigningKey,
}

#[derive(Debug, thiserror::Error)]
#[error("a report signing key is 64 hex digits (a 32-byte Ed25519 seed)")]
pub struct BadSigningKey;

impl Ed25519Signer {
    /// The key configured as 64 hex digits.
    ///
    /// # Errors
    /// `BadSigningKey` for anything else.
    pub fn from_hex(seed: &str) -> Result<Self, BadSigningKey> {
        let bytes: [u8; 32] = hex::decode(seed.trim())
            .map_err(|_| BadSigningKey)?
            .try_into()
            .map_err(|_| BadSigningKey)?;
        Ok(Self {
            key: SigningKey::from_bytes(&bytes),
        })
    }

    /// A key derived from the server secret when none is configured: stable across restarts,
    /// and apart from the secret's other uses by its own label.
    pub fn derived(server_secret: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"aegis report signing key v1:");
        hasher.update(server_secret);
        Self {
            key: SigningKey::from_bytes(&hasher.finalize().into()),
        }
    }
}

/// Checks `signature` (hex) of `digest` under `public_key` (hex).
pub fn verify_with(public_key: &str, digest: &[u8], signature: &str) -> bool {
    let key = hex::decode(public_key.trim())
        .ok()
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .and_then(|k| VerifyingKey::from_bytes(&k).ok());
    let signature = hex::decode(signature.trim())
        .ok()
        .and_then(|s| <[u8; 64]>::try_from(s).ok())
        .map(|s| Signature::from_bytes(&s));
    match (key, signature) {
        (Some(key), Some(signature)) => key.verify(digest, &signature).is_ok(),
        _ => false,
    }
}

impl DocumentSigner for Ed25519Signer {
    fn sign(&self, digest: &[u8]) -> String {
        hex::encode(self.key.sign(digest).to_bytes())
    }

    fn verify(&self, digest: &[u8], signature: &str) -> bool {
        verify_with(&self.public_key(), digest, signature)
    }

    fn public_key(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aegis_application::reports::{Bar, Block, HeatCell, HeatColumn, Section};

    pub(super) fn sample() -> ReportContent {
        ReportContent {
            title: "Coverage report".to_owned(),
            subtitle: "Requested 2026-11-29".to_owned(),
            organization: "Acme <Security> & Co".to_owned(),
            generated_at: chrono::DateTime::UNIX_EPOCH,
            sections: vec![Section {
                heading: "Posture".to_owned(),
                blocks: vec![
                    Block::Figures(vec![("Coverage".to_owned(), "42.0%".to_owned())]),
                    Block::Paragraph("Coverage is developing: <script>alert(1)</script>".repeat(8)),
                    Block::Bullets(vec!["T1059 Command and Scripting Interpreter".to_owned()]),
                    Block::Bars {
                        title: "By tactic".to_owned(),
                        bars: vec![Bar {
                            label: "Execution".to_owned(),
                            value: 64.5,
                            color: "#f5a524".to_owned(),
                        }],
                    },
                    Block::Trend {
                        title: "Trend".to_owned(),
                        points: vec![
                            ("2026-11-01".to_owned(), 10.0),
                            ("2026-11-08".to_owned(), 30.0),
                        ],
                    },
                    Block::Heatmap(vec![HeatColumn {
                        title: "Execution".to_owned(),
                        cells: vec![HeatCell {
                            id: "T1059".to_owned(),
                            name: "Command and Scripting Interpreter".to_owned(),
                            score: 55.0,
                            color: "#f5a524".to_owned(),
                        }],
                    }]),
                    Block::Table {
                        headers: vec!["Technique".to_owned(), "Score".to_owned()],
                        rows: (0..120)
                            .map(|n| vec![format!("T{n:04} naïve – name"), format!("{n}.0")])
                            .collect(),
                    },
                ],
            }],
        }
    }

    #[test]
    fn html_escapes_what_users_wrote_and_draws_the_charts() {
        let html = DocumentRenderer
            .render(&sample(), ReportFormat::Html)
            .unwrap_or_else(|e| panic!("{e}"));
        let html = String::from_utf8(html).unwrap_or_default();
        assert!(html.contains("Acme &lt;Security&gt; &amp; Co"), "{html}");
        assert!(!html.contains("<script>alert(1)</script>"));
        assert_eq!(html.matches("<svg").count(), 3, "bars, trend and heatmap");
        assert!(html.contains("T0119 naïve"));
    }

    #[test]
    fn pdf_is_a_pdf_with_every_page() {
        let pdf = DocumentRenderer
            .render(&sample(), ReportFormat::Pdf)
            .unwrap_or_else(|e| panic!("{e}"));
        // `AEGIS_SAMPLE_PDF=/tmp/sample.pdf` keeps the document to look at.
        if let Some(path) = std::env::var_os("AEGIS_SAMPLE_PDF") {
            std::fs::write(path, &pdf).unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.ends_with(b"%%EOF") || pdf.ends_with(b"%%EOF\n"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Count 3"), "120 table rows need more pages");
        assert!(text.contains("/Helvetica"));
    }

    #[test]
    fn signatures_verify_only_with_the_same_key_and_digest() {
        let signer = Ed25519Signer::derived(b"one server secret");
        let signature = signer.sign(b"digest");
        assert!(signer.verify(b"digest", &signature));
        assert!(verify_with(&signer.public_key(), b"digest", &signature));
        assert!(!signer.verify(b"other digest", &signature));
        assert!(!Ed25519Signer::derived(b"another secret").verify(b"digest", &signature));
        assert!(!signer.verify(b"digest", "not hex"));
        let configured =
            Ed25519Signer::from_hex(&"07".repeat(32)).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(configured.public_key(), signer.public_key());
        assert!(Ed25519Signer::from_hex("abc").is_err());
    }
}
