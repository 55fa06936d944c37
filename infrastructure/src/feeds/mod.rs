//! Feed importers: each a pure, bounded parser from the source's bytes to domain values, and a
//! writer (the catalog repository) that upserts them idempotently.

pub mod attack;
mod input;
pub mod remote;

pub use input::{FeedInputError, MAX_FEED_BYTES, decompress_bounded, read_feed_file};
