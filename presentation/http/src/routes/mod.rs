//! The HTTP routes, one module per capability. Handlers extract, call one use case, and map
//! the result to a view.

pub mod audit_logs;
pub mod auth;
pub mod catalog;
pub mod notifications;
pub mod system;
pub mod tests;
pub mod users;
