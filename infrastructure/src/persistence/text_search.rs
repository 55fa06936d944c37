//! Case-insensitive substring search that behaves the same on PostgreSQL and SQLite.

use sea_orm::Condition;
use sea_orm::sea_query::{Expr, ExprTrait, Func, IntoColumnRef, LikeExpr};

/// `%text%`, lowercased, with LIKE's wildcards escaped so that `_` and `%` match themselves.
fn contains(text: &str) -> LikeExpr {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

/// Any of `columns` contains `text`, ignoring case. JSON columns are searched as text.
pub(crate) fn any_contains<C: IntoColumnRef + Copy>(columns: &[C], text: &str) -> Condition {
    columns.iter().fold(Condition::any(), |condition, column| {
        let lowered = Func::lower(Expr::col(*column).cast_as("text"));
        condition.add(Expr::expr(lowered).like(contains(text)))
    })
}
