//! Database errors never cross into application: they become `RepositoryError`s here, with the
//! `DbErr` kept as the source so that the logs see it.

use aegis_domain::ports::{RepositoryError, Subject};
use aegis_domain::tenant::TenantId;
use sea_orm::{DbErr, SqlErr};

/// Maps `error`; a unique violation becomes `Duplicate(subject)`.
pub(crate) fn on_write(subject: Subject) -> impl FnOnce(DbErr) -> RepositoryError {
    move |error| match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => RepositoryError::Duplicate(subject),
        _ => unexpected(error),
    }
}

/// A failure to reach the database is `Unavailable` (a retry may succeed); anything else the
/// store refused is `Unexpected`.
pub(crate) fn unexpected(error: DbErr) -> RepositoryError {
    if is_unreachable(&error) {
        RepositoryError::Unavailable(error.into())
    } else {
        RepositoryError::Unexpected(error.into())
    }
}

/// Whether the database could not be reached or went away mid-query: no connection to be
/// had, a connection that broke (I/O), or PostgreSQL's connection exceptions (SQLSTATE class
/// 08) and operator interventions (class 57: shutting down, starting up).
fn is_unreachable(error: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    let runtime = match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Query(runtime) | DbErr::Exec(runtime) => runtime,
        _ => return false,
    };
    let RuntimeErr::SqlxError(sqlx) = runtime else {
        return false;
    };
    match sqlx.as_ref() {
        Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => true,
        Sqlx::Database(database) => database
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57")),
        _ => false,
    }
}

/// A stored value the domain refuses (a role or email that no longer parses).
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> RepositoryError {
    RepositoryError::unexpected(format!("stored {what} is invalid: {detail}"))
}

/// A row written under `tenant` must belong to it: a mismatch is a bug in the caller, refused
/// before anything is written.
pub(crate) fn ensure_tenant(
    owner: TenantId,
    tenant: TenantId,
    what: &str,
) -> Result<(), RepositoryError> {
    if owner == tenant {
        Ok(())
    } else {
        Err(RepositoryError::unexpected(format!(
            "{what} belongs to another tenant"
        )))
    }
}
