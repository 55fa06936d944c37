//! What every feed import reports, whatever it imports.

/// What an import did to the items it read, keyed by the source's own ids.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}
