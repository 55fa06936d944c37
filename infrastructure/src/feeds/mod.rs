//! Feed importers: each a pure, bounded parser from the source's bytes to domain values, and a
//! writer (the catalog repository) that upserts them idempotently.

pub mod atomic;
pub mod attack;
pub mod attack_flow;
pub mod caldera;
pub mod collection;
pub mod compliance_sheets;
pub mod ctid;
pub mod d3fend;
mod d3fend_ids;
pub mod elastic;
pub mod factory;
mod github_tree;
mod input;
pub mod kev;
pub mod kev_attack;
pub mod lolbin;
pub mod news;
pub mod nvd;
pub mod osint_files;
pub mod remote;
mod rule_fields;
pub mod rule_files;
pub mod sarif;
pub mod sigma;
pub mod stix_intel;
pub mod template_files;
mod yaml;

pub use input::{FeedInputError, MAX_FEED_BYTES, decompress_bounded, read_feed_file};
