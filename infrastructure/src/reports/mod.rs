//! Report documents: HTML with inline SVG charts (minijinja) and PDF drawn with vector
//! shapes and the standard Helvetica font (pdf-writer), both from the same content; and the
//! HMAC signature of their digests.

mod charts;
mod html;
mod pdf;

use aegis_application::reports::{DocumentSigner, RenderError, ReportContent, ReportRenderer};
use aegis_domain::report::ReportFormat;
use hmac::{Hmac, Mac};
use sha2::Sha256;

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

/// HMAC-SHA256 with a key derived from the server secret, kept apart from the other uses of
/// that secret by its own label.
#[derive(Clone)]
pub struct HmacSigner {
    key: Vec<u8>,
}

impl HmacSigner {
    pub fn new(server_secret: &[u8]) -> Self {
        let mut key = b"aegis report signature v1:".to_vec();
        key.extend_from_slice(server_secret);
        Self { key }
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length: this cannot fail.
        <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
    }
}

impl DocumentSigner for HmacSigner {
    fn sign(&self, digest: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(digest);
        hex::encode(mac.finalize().into_bytes())
    }

    fn verify(&self, digest: &[u8], signature: &str) -> bool {
        let Ok(expected) = hex::decode(signature) else {
            return false;
        };
        let mut mac = self.mac();
        mac.update(digest);
        mac.verify_slice(&expected).is_ok()
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
    fn signatures_verify_only_with_the_same_secret_and_digest() {
        let signer = HmacSigner::new(b"one server secret");
        let signature = signer.sign(b"digest");
        assert!(signer.verify(b"digest", &signature));
        assert!(!signer.verify(b"other digest", &signature));
        assert!(!HmacSigner::new(b"another secret").verify(b"digest", &signature));
        assert!(!signer.verify(b"digest", "not hex"));
    }
}
