//! How the catalog reads the technique ids that feeds name. Rule sets, test libraries and
//! intelligence name techniques by the id they had when written: ATT&CK later revokes some
//! (T1086 became T1059.001) and deprecates others (T1043). A revoked id is counted under the
//! technique at the end of its `revoked_by` chain, and each item keeps the id it was named by;
//! only an id the catalog holds under no form is unresolved.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// One technique row as the lineage needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineageEntry<'a> {
    pub mitre_id: &'a str,
    pub stix_id: &'a str,
    pub revoked: bool,
    pub deprecated: bool,
    /// The STIX id of the object that replaced a revoked one.
    pub revoked_by: Option<&'a str>,
}

/// A technique id as an item named it, and the current technique it is counted under.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LegacyTechnique {
    /// The id the item names (a revoked technique).
    pub named: String,
    /// The technique that replaced it, where the item counts.
    pub current: String,
}

/// What the catalog makes of one named id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution<'a> {
    /// A current technique of the catalog.
    Current,
    /// A revoked technique, counted under the one that replaced it.
    Replaced { current: &'a str },
    /// Deprecated, or revoked without a replacement: known, counted under its own id, but no
    /// longer part of the matrix.
    Retired,
    /// Not in this catalog under any form: a newer ATT&CK release, another ATT&CK domain, or
    /// a mistake.
    Unknown,
}

/// The catalog's technique ids and where revoked ones lead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TechniqueLineage {
    current: HashSet<String>,
    retired: HashSet<String>,
    replaced: HashMap<String, String>,
}

/// A revocation chain longer than this is a loop in the data, not a history.
const MAX_CHAIN: usize = 32;

impl TechniqueLineage {
    /// Builds the lineage from every technique row of the catalog (current, deprecated and
    /// revoked alike). An id that a current row holds is current, whatever older rows say.
    #[must_use]
    pub fn from_entries<'a>(entries: impl IntoIterator<Item = LineageEntry<'a>>) -> Self {
        let entries: Vec<LineageEntry<'a>> = entries.into_iter().collect();
        let by_stix: HashMap<&str, &LineageEntry<'a>> =
            entries.iter().map(|e| (e.stix_id, e)).collect();
        let mut lineage = Self::default();
        for entry in entries.iter().filter(|e| !e.revoked && !e.deprecated) {
            lineage.current.insert(entry.mitre_id.to_owned());
        }
        for entry in entries.iter().filter(|e| e.revoked || e.deprecated) {
            if lineage.current.contains(entry.mitre_id) {
                continue;
            }
            let replacement = entry
                .revoked
                .then(|| Self::end_of_chain(entry, &by_stix))
                .flatten()
                .filter(|current| *current != entry.mitre_id);
            match replacement {
                Some(current) => {
                    lineage
                        .replaced
                        .insert(entry.mitre_id.to_owned(), current.to_owned());
                }
                None => {
                    lineage.retired.insert(entry.mitre_id.to_owned());
                }
            }
        }
        // An id both retired by one row and replaced by another counts where it leads.
        lineage
            .retired
            .retain(|id| !lineage.replaced.contains_key(id));
        lineage
    }

    /// The current (not revoked) technique a revoked one leads to, following `revoked_by`.
    fn end_of_chain<'a>(
        entry: &LineageEntry<'a>,
        by_stix: &HashMap<&str, &LineageEntry<'a>>,
    ) -> Option<&'a str> {
        let mut at = *entry;
        for _ in 0..MAX_CHAIN {
            if !at.revoked {
                return Some(at.mitre_id);
            }
            at = **by_stix.get(at.revoked_by?)?;
        }
        None
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.current.is_empty() && self.retired.is_empty() && self.replaced.is_empty()
    }

    /// What the catalog makes of `named` (compared as upper case).
    #[must_use]
    pub fn resolve(&self, named: &str) -> Resolution<'_> {
        let named = named.trim().to_ascii_uppercase();
        if self.current.contains(&named) {
            Resolution::Current
        } else if let Some(current) = self.replaced.get(&named) {
            Resolution::Replaced { current }
        } else if self.retired.contains(&named) {
            Resolution::Retired
        } else {
            Resolution::Unknown
        }
    }

    /// The id an item naming `named` counts under: the replacement of a revoked technique,
    /// else `named` itself.
    #[must_use]
    pub fn current_of(&self, named: &str) -> String {
        match self.resolve(named) {
            Resolution::Replaced { current } => current.to_owned(),
            _ => named.to_owned(),
        }
    }

    /// The ids that count under `current`: itself and the revoked ids it replaced, sorted.
    #[must_use]
    pub fn names_of(&self, current: &str) -> Vec<String> {
        let mut names: Vec<String> = std::iter::once(current.to_owned())
            .chain(
                self.replaced
                    .iter()
                    .filter(|(_, to)| to.as_str() == current)
                    .map(|(from, _)| from.clone()),
            )
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Each named id once under the id it counts under, sorted, and the named ids that were
    /// revoked, each with its replacement.
    #[must_use]
    pub fn resolve_all<'a>(
        &self,
        named: impl IntoIterator<Item = &'a str>,
    ) -> (Vec<String>, Vec<LegacyTechnique>) {
        let mut ids = Vec::new();
        let mut legacy = Vec::new();
        for name in named {
            let current = self.current_of(name);
            if current != name {
                legacy.push(LegacyTechnique {
                    named: name.to_owned(),
                    current: current.clone(),
                });
            }
            ids.push(current);
        }
        ids.sort();
        ids.dedup();
        legacy.sort();
        legacy.dedup();
        (ids, legacy)
    }
}

/// The technique ids an import names, sorted by what the catalog makes of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamedTechniques {
    /// The ids to count under (current and retired techniques, replacements of revoked ones).
    pub counted: Vec<String>,
    /// Revoked ids, each with the technique it is counted under.
    pub replaced: Vec<LegacyTechnique>,
    /// Deprecated ids, or revoked ones without a replacement: counted under their own id.
    pub retired: Vec<String>,
    /// Ids this catalog does not hold under any form.
    pub unknown: Vec<String>,
}

impl NamedTechniques {
    /// Sorts `named` (each once) by what `lineage` makes of them.
    #[must_use]
    pub fn sort<'a>(lineage: &TechniqueLineage, named: impl IntoIterator<Item = &'a str>) -> Self {
        let mut sorted = Self::default();
        let mut replaced = BTreeMap::new();
        for name in named {
            match lineage.resolve(name) {
                Resolution::Current => sorted.counted.push(name.to_owned()),
                Resolution::Replaced { current } => {
                    sorted.counted.push(current.to_owned());
                    replaced.insert(name.to_owned(), current.to_owned());
                }
                Resolution::Retired => {
                    sorted.counted.push(name.to_owned());
                    sorted.retired.push(name.to_owned());
                }
                Resolution::Unknown => sorted.unknown.push(name.to_owned()),
            }
        }
        for list in [
            &mut sorted.counted,
            &mut sorted.retired,
            &mut sorted.unknown,
        ] {
            list.sort();
            list.dedup();
        }
        sorted.replaced = replaced
            .into_iter()
            .map(|(named, current)| LegacyTechnique { named, current })
            .collect();
        sorted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(
        mitre_id: &'a str,
        stix_id: &'a str,
        revoked_by: Option<&'a str>,
    ) -> LineageEntry<'a> {
        LineageEntry {
            mitre_id,
            stix_id,
            revoked: revoked_by.is_some(),
            deprecated: false,
            revoked_by,
        }
    }

    fn lineage() -> TechniqueLineage {
        let deprecated = LineageEntry {
            deprecated: true,
            ..entry("T1043", "attack-pattern--43", None)
        };
        let revoked_alone = LineageEntry {
            revoked: true,
            ..entry("T1000", "attack-pattern--0", None)
        };
        TechniqueLineage::from_entries([
            entry("T1059.001", "attack-pattern--ps", None),
            entry("T1086", "attack-pattern--86", Some("attack-pattern--ps")),
            // T1162 -> T1547.011 -> T1647, as ATT&CK published it.
            entry("T1162", "attack-pattern--162", Some("attack-pattern--11")),
            entry(
                "T1547.011",
                "attack-pattern--11",
                Some("attack-pattern--1647"),
            ),
            entry("T1647", "attack-pattern--1647", None),
            deprecated,
            revoked_alone,
            // A loop in broken data ends nowhere.
            entry("T1998", "attack-pattern--a", Some("attack-pattern--b")),
            entry("T1999", "attack-pattern--b", Some("attack-pattern--a")),
        ])
    }

    #[test]
    fn revoked_ids_lead_to_the_end_of_their_chain() {
        let lineage = lineage();
        assert_eq!(lineage.resolve("T1059.001"), Resolution::Current);
        assert_eq!(
            lineage.resolve("t1086"),
            Resolution::Replaced {
                current: "T1059.001"
            }
        );
        assert_eq!(
            lineage.resolve("T1162"),
            Resolution::Replaced { current: "T1647" }
        );
        assert_eq!(lineage.resolve("T1043"), Resolution::Retired);
        assert_eq!(lineage.resolve("T1000"), Resolution::Retired);
        assert_eq!(lineage.resolve("T1998"), Resolution::Retired);
        assert_eq!(lineage.resolve("T1685"), Resolution::Unknown);
        assert_eq!(lineage.names_of("T1647"), ["T1162", "T1547.011", "T1647"]);
        assert_eq!(lineage.current_of("T1043"), "T1043");
    }

    #[test]
    fn named_ids_are_sorted_by_what_the_catalog_makes_of_them() {
        let named = NamedTechniques::sort(
            &lineage(),
            ["T1086", "T1059.001", "T1043", "T1685", "T1086"],
        );
        assert_eq!(named.counted, ["T1043", "T1059.001"]);
        assert_eq!(
            named.replaced,
            [LegacyTechnique {
                named: "T1086".to_owned(),
                current: "T1059.001".to_owned()
            }]
        );
        assert_eq!(named.retired, ["T1043"]);
        assert_eq!(named.unknown, ["T1685"]);
        let (ids, legacy) = lineage().resolve_all(["T1086", "T1059.001", "T1685"]);
        assert_eq!(ids, ["T1059.001", "T1685"]);
        assert_eq!(legacy.len(), 1);
    }
}
