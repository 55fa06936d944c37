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

/// A company logo for report headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    mime: &'static str,
    bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum BadLogo {
    #[error("the logo is larger than 512 KiB")]
    TooLarge,
    #[error("the logo must be a PNG, JPEG or SVG image")]
    NotAnImage,
}

impl Logo {
    const MAX_BYTES: usize = 512 * 1024;

    /// A PNG, JPEG or SVG image, recognised by its content.
    ///
    /// # Errors
    /// `TooLarge` over 512 KiB, `NotAnImage` for anything else.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, BadLogo> {
        if bytes.len() > Self::MAX_BYTES {
            return Err(BadLogo::TooLarge);
        }
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_lowercase();
        let mime = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            "image/png"
        } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            "image/jpeg"
        } else if head.contains("<svg") {
            "image/svg+xml"
        } else {
            return Err(BadLogo::NotAnImage);
        };
        Ok(Self { mime, bytes })
    }

    fn data_uri(&self) -> String {
        use base64::Engine;
        format!(
            "data:{};base64,{}",
            self.mime,
            base64::engine::general_purpose::STANDARD.encode(&self.bytes)
        )
    }
}

/// The company name and logo reports carry instead of the organization's own name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Branding {
    pub company: Option<String>,
    pub logo: Option<Logo>,
}

/// Renders reports as HTML or PDF, with the configured branding.
#[derive(Debug, Clone, Default)]
pub struct DocumentRenderer {
    branding: Branding,
}

impl DocumentRenderer {
    pub fn new(branding: Branding) -> Self {
        Self { branding }
    }
}

impl ReportRenderer for DocumentRenderer {
    fn render(
        &self,
        content: &ReportContent,
        format: ReportFormat,
    ) -> Result<Vec<u8>, RenderError> {
        let mut content = content.clone();
        if let Some(company) = self
            .branding
            .company
            .as_ref()
            .filter(|c| !c.trim().is_empty())
        {
            content.organization = company.trim().to_owned();
        }
        let logo = self.branding.logo.as_ref().map(Logo::data_uri);
        match format {
            ReportFormat::Html => html::render(&content, logo.as_deref()).map(String::into_bytes),
            // The PDF carries the company name; images are not embedded in it.
            ReportFormat::Pdf => Ok(pdf::render(&content)),
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
        let html = DocumentRenderer::default()
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
        let pdf = DocumentRenderer::default()
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
    fn branding_names_the_company_and_shows_its_logo() {
        let svg = b"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>".to_vec();
        let renderer = DocumentRenderer::new(Branding {
            company: Some("Contoso Bank".to_owned()),
            logo: Some(Logo::from_bytes(svg).unwrap_or_else(|e| panic!("{e}"))),
        });
        let html = renderer
            .render(&sample(), ReportFormat::Html)
            .unwrap_or_else(|e| panic!("{e}"));
        let html = String::from_utf8(html).unwrap_or_default();
        assert!(html.contains("Contoso Bank") && !html.contains("Acme"));
        assert!(html.contains("src=\"data:image/svg+xml;base64,"), "{html}");
        assert!(matches!(
            Logo::from_bytes(b"GIF89a".to_vec()),
            Err(BadLogo::NotAnImage)
        ));
        assert!(matches!(
            Logo::from_bytes(vec![0xff; 600 * 1024]),
            Err(BadLogo::TooLarge)
        ));
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
