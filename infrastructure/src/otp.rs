//! Time-based one-time passwords (RFC 6238) with `totp-rs`, and the enrolment QR code as SVG
//! with `qrcodegen` (no image crates: the browser draws the vector).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use qrcodegen::{QrCode, QrCodeEcc};
use rand::Rng;
use totp_rs::{Algorithm, Builder, Secret, Totp};

use aegis_application::ports::{OneTimePasswords, OtpError, TotpProvisioning};

/// Seconds per step and digits per code: what every authenticator app expects by default.
const STEP_SECONDS: i64 = 30;
const DIGITS: u8 = 6;

/// RFC 6238 with SHA-1, six digits, 30-second steps.
#[derive(Debug, Clone, Copy, Default)]
pub struct TotpCodes;

fn totp(secret: &str, issuer: Option<&str>, account: &str) -> Result<Totp, OtpError> {
    let secret = Secret::try_from_base32(secret).map_err(|e| OtpError(e.to_string()))?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(0)
        .with_step_duration(STEP_SECONDS.unsigned_abs())
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(issuer)
        .build()
        .map_err(|e| OtpError(e.to_string()))
}

impl OneTimePasswords for TotpCodes {
    fn new_secret(&self) -> String {
        let mut bytes = [0_u8; 20];
        rand::rng().fill(&mut bytes);
        Secret::from(bytes.to_vec()).to_base32()
    }

    fn provisioning(
        &self,
        secret: &str,
        issuer: &str,
        account: &str,
    ) -> Result<TotpProvisioning, OtpError> {
        let uri = totp(secret, Some(issuer), account)?
            .to_url()
            .map_err(|e| OtpError(e.to_string()))?;
        let qr =
            QrCode::encode_text(&uri, QrCodeEcc::Medium).map_err(|e| OtpError(e.to_string()))?;
        Ok(TotpProvisioning {
            secret: secret.to_owned(),
            qr_svg: svg(&qr),
            uri,
        })
    }

    fn matching_step(&self, secret: &str, code: &str, now: DateTime<Utc>) -> Option<i64> {
        let totp = totp(secret, None, "").ok()?;
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let current = now.timestamp().div_euclid(STEP_SECONDS);
        // The step before first: a code typed just before the step turned is the likelier one.
        [current - 1, current, current + 1]
            .into_iter()
            .find(|step| {
                u64::try_from(step * STEP_SECONDS)
                    .ok()
                    .and_then(|time| totp.check(&code, time))
                    .is_some()
            })
    }
}

/// The QR code as an SVG document: one path of unit squares and a four-module quiet zone.
fn svg(qr: &QrCode) -> String {
    let border = 4;
    let size = qr.size() + border * 2;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                let _ = write!(path, "M{},{}h1v1h-1z", x + border, y + border);
            }
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" \
         shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 secret "12345678901234567890" at 59 s gives 94287082
    /// (eight digits); the six-digit code is its last six.
    #[test]
    fn the_rfc_vector_matches_at_its_step_only() {
        let secret = Secret::from(b"12345678901234567890".to_vec()).to_base32();
        let at = DateTime::from_timestamp(59, 0).unwrap_or_default();
        assert_eq!(TotpCodes.matching_step(&secret, "287082", at), Some(1));
        let later = DateTime::from_timestamp(59 + 120, 0).unwrap_or_default();
        assert_eq!(TotpCodes.matching_step(&secret, "287082", later), None);
        assert_eq!(TotpCodes.matching_step(&secret, "000000", at), None);
        assert_eq!(TotpCodes.matching_step(&secret, "28708", at), None);
    }

    #[test]
    fn provisioning_gives_an_otpauth_uri_and_an_svg() {
        let secret = TotpCodes.new_secret();
        assert_eq!(secret.len(), 32, "160 bits in base32");
        let provisioning = TotpCodes.provisioning(&secret, "Aegis", "ana@example.com");
        let Ok(provisioning) = provisioning else {
            panic!("{provisioning:?}");
        };
        assert!(
            provisioning.uri.starts_with("otpauth://totp/Aegis:ana"),
            "{}",
            provisioning.uri
        );
        assert!(
            provisioning.uri.contains("issuer=Aegis"),
            "{}",
            provisioning.uri
        );
        assert!(provisioning.uri.contains(&format!("secret={secret}")));
        assert!(provisioning.qr_svg.starts_with("<svg"));
    }
}
