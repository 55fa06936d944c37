//! `/api/v1/mfa`: enrolling an authenticator app, recovery codes, turning it off, an admin's
//! reset of a user's factor, and the tenant's policy. (The second step of signing in is
//! `POST /api/v1/auth/mfa`.) One's own enrolment is reachable while the policy still waits
//! for it, like the password change.

use actix_web::{HttpResponse, web};
use uuid::Uuid;

use aegis_application::Services;

use crate::auth::{Authenticated, PendingPasswordChange};
use crate::client::Context;
use crate::problem::{ApiError, Problem};
use crate::views::mfa::{
    MfaCodeRequest, MfaPolicyView, MfaStatusView, RecoveryCodesView, TotpEnrolmentView,
};

/// Where one stands with multi-factor sign-in.
#[utoipa::path(get, path = "/api/v1/mfa", tag = "mfa",
    responses((status = 200, body = MfaStatusView), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn status(
    services: web::Data<Services>,
    PendingPasswordChange(actor): PendingPasswordChange,
) -> Result<web::Json<MfaStatusView>, ApiError> {
    Ok(web::Json(services.mfa.status(&actor).await?.into()))
}

/// Begin enrolling an authenticator app: a new secret and its QR code.
#[utoipa::path(post, path = "/api/v1/mfa/totp", tag = "mfa",
    responses((status = 200, body = TotpEnrolmentView), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "MFA_ALREADY_ENROLLED")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn begin(
    services: web::Data<Services>,
    PendingPasswordChange(actor): PendingPasswordChange,
    Context(context): Context,
) -> Result<web::Json<TotpEnrolmentView>, ApiError> {
    let enrolment = services.mfa.begin_enrolment(&actor, &context).await?;
    Ok(web::Json(TotpEnrolmentView {
        secret: enrolment.secret,
        otpauth_uri: enrolment.uri,
        qr_svg: enrolment.qr_svg,
    }))
}

/// Confirm the enrolment with a first code; answers the recovery codes, once.
#[utoipa::path(post, path = "/api/v1/mfa/totp/confirm", tag = "mfa",
    request_body = MfaCodeRequest,
    responses((status = 200, body = RecoveryCodesView), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "MFA_NOT_ENROLLED or MFA_ALREADY_ENROLLED"),
        (status = 422, body = Problem, description = "INVALID_MFA_CODE")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn confirm(
    services: web::Data<Services>,
    PendingPasswordChange(actor): PendingPasswordChange,
    Context(context): Context,
    body: web::Json<MfaCodeRequest>,
) -> Result<web::Json<RecoveryCodesView>, ApiError> {
    let codes = services
        .mfa
        .confirm_enrolment(&actor, &body.code, &context)
        .await?;
    Ok(web::Json(RecoveryCodesView {
        recovery_codes: codes,
    }))
}

/// New recovery codes (the old ones stop working); needs a current app code.
#[utoipa::path(post, path = "/api/v1/mfa/recovery-codes", tag = "mfa",
    request_body = MfaCodeRequest,
    responses((status = 200, body = RecoveryCodesView), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "MFA_NOT_ENROLLED"),
        (status = 422, body = Problem, description = "INVALID_MFA_CODE")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn recovery_codes(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<MfaCodeRequest>,
) -> Result<web::Json<RecoveryCodesView>, ApiError> {
    let codes = services
        .mfa
        .regenerate_recovery_codes(&actor, &body.code, &context)
        .await?;
    Ok(web::Json(RecoveryCodesView {
        recovery_codes: codes,
    }))
}

/// Turn one's second factor off (not while the policy requires it); needs a current code.
#[utoipa::path(post, path = "/api/v1/mfa/disable", tag = "mfa",
    request_body = MfaCodeRequest,
    responses((status = 204), (status = 403, body = Problem, description = "MFA_REQUIRED_BY_POLICY or FORBIDDEN"),
        (status = 409, body = Problem, description = "MFA_NOT_ENROLLED"),
        (status = 422, body = Problem, description = "INVALID_MFA_CODE")),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn disable(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<MfaCodeRequest>,
) -> Result<HttpResponse, ApiError> {
    services.mfa.disable(&actor, &body.code, &context).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Remove a user's second factor and recovery codes (admins; audited).
#[utoipa::path(delete, path = "/api/v1/mfa/users/{id}", tag = "mfa", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn reset(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    services.mfa.reset(&actor, *id, &context).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The roles of this tenant that must sign in with a second factor (admins).
#[utoipa::path(get, path = "/api/v1/mfa/policy", tag = "mfa",
    responses((status = 200, body = MfaPolicyView), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn policy(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
) -> Result<web::Json<MfaPolicyView>, ApiError> {
    let roles = services.mfa.policy(&actor).await?;
    Ok(web::Json(MfaPolicyView {
        required_roles: roles.iter().map(ToString::to_string).collect(),
    }))
}

/// Set the roles that must sign in with a second factor (admins). Users of those roles
/// without one are sent to enrol at their next sign-in.
#[utoipa::path(put, path = "/api/v1/mfa/policy", tag = "mfa",
    request_body = MfaPolicyView,
    responses((status = 200, body = MfaPolicyView), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
pub async fn set_policy(
    services: web::Data<Services>,
    Authenticated(actor): Authenticated,
    Context(context): Context,
    body: web::Json<MfaPolicyView>,
) -> Result<web::Json<MfaPolicyView>, ApiError> {
    let roles = services
        .mfa
        .set_policy(&actor, &body.required_roles, &context)
        .await?;
    Ok(web::Json(MfaPolicyView {
        required_roles: roles.iter().map(ToString::to_string).collect(),
    }))
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(status))
        .route("/totp", web::post().to(begin))
        .route("/totp/confirm", web::post().to(confirm))
        .route("/recovery-codes", web::post().to(recovery_codes))
        .route("/disable", web::post().to(disable))
        .route("/policy", web::get().to(policy))
        .route("/policy", web::put().to(set_policy))
        .route("/users/{id}", web::delete().to(reset));
}
