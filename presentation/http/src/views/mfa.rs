//! The wire types of [`crate::routes::mfa`].

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use aegis_application::mfa::MfaStatus;

/// Where one stands with multi-factor sign-in.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaStatusView {
    /// An authenticator app is enrolled and confirmed.
    pub enrolled: bool,
    /// An enrolment was begun and waits for its first code.
    pub pending: bool,
    pub recovery_codes_left: u64,
    /// The tenant's policy requires a second factor for your role.
    pub required: bool,
}

impl From<MfaStatus> for MfaStatusView {
    fn from(status: MfaStatus) -> Self {
        Self {
            enrolled: status.enrolled,
            pending: status.pending,
            recovery_codes_left: status.recovery_codes_left,
            required: status.required,
        }
    }
}

/// A new authenticator secret: scan the QR code or type the secret, then confirm a code.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpEnrolmentView {
    /// Base32, for typing into the app.
    pub secret: String,
    /// The `otpauth://` URI the QR code holds.
    pub otpauth_uri: String,
    /// The QR code as an SVG document.
    pub qr_svg: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaCodeRequest {
    /// Six digits from the authenticator app.
    pub code: String,
}

/// Recovery codes: shown this once; each signs in once instead of an app code.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesView {
    pub recovery_codes: Vec<String>,
}

/// The roles that must sign in with a second factor.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaPolicyView {
    #[schema(value_type = Vec<crate::views::enums::Role>)]
    pub required_roles: Vec<String>,
}
