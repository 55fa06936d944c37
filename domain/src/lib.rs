//! The Aegis domain: the rules of the product with no I/O, no framework and no database.
//!
//! Everything here is plain data and pure functions, plus the repository traits (ports) that
//! the infrastructure layer implements. Values that exist are valid: constructors parse.

pub mod alert;
pub mod analytics;
pub mod api_key;
pub mod attack_path;
pub mod audit;
pub mod campaign;
pub mod canonical_json;
pub mod catalog;
pub mod compliance;
pub mod data_source;
pub mod detection;
pub mod detection_lifecycle;
pub mod evidence;
pub mod feed;
pub mod finding;
pub mod github;
pub mod id;
pub mod job;
pub mod knowledge;
pub mod lockout;
pub mod metrics;
pub mod mfa;
pub mod narrative;
pub mod notification;
pub mod osint;
pub mod page;
pub mod password;
pub mod permission;
pub mod ports;
pub mod report;
pub mod risk;
pub mod role;
pub mod scan;
pub mod scan_policy;
pub mod scoring;
pub mod session;
pub mod siem;
pub mod snapshot;
pub mod sso;
pub mod technique_lineage;
pub mod telemetry;
pub mod template;
pub mod tenant;
pub mod test_case;
pub mod threat_intel;
pub mod ticket;
pub mod user;
pub mod webhook;
pub mod workflow;

pub use id::Id;
pub use role::Role;
