//! Database errors never cross into application: they become `RepositoryError`s here.

use aegis_domain::ports::RepositoryError;
use sea_orm::{DbErr, SqlErr};

/// Maps `error`; a unique violation becomes `Duplicate(subject)`.
pub(crate) fn on_write(subject: &str) -> impl FnOnce(DbErr) -> RepositoryError + '_ {
    move |error| match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            RepositoryError::Duplicate(subject.to_owned())
        }
        _ => RepositoryError::Unexpected(error.to_string()),
    }
}

pub(crate) fn unexpected(error: DbErr) -> RepositoryError {
    RepositoryError::Unexpected(error.to_string())
}

/// A stored value the domain refuses (a role or email that no longer parses).
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> RepositoryError {
    RepositoryError::Unexpected(format!("stored {what} is invalid: {detail}"))
}
