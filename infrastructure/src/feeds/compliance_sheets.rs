//! Compliance spreadsheets (.xlsx): the CIS Controls v8 → ATT&CK export, and NIST's
//! crosswalks from NIST SP 800-53 rev 5 to ISO/IEC 27001 and from the Cybersecurity Framework
//! to SP 800-53 rev 5. Which one a workbook is, its header row or sheet names tell.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use aegis_domain::compliance::{ControlMapping, Crosswalk, Framework};
use aegis_domain::detection::technique_from_tag;

use super::collection::FeedFile;

/// The NIST SP 800-53 rev 5 framework id, as the Mappings Explorer files name it.
const NIST_800_53_R5: &str = "nist_800_53-rev5";

/// What a compliance workbook holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Workbook {
    Mapping(Framework, Vec<ControlMapping>),
    Crosswalk(Crosswalk),
}

fn cell(row: &[Data], column: usize) -> String {
    row.get(column)
        .map(|c| match c {
            Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
            other => other.to_string(),
        })
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// Comma- or newline-separated ids, without markers such as ISO's partial-asterisk.
fn ids(text: &str) -> Vec<String> {
    text.split([',', '\n', ';'])
        .map(|id| id.trim().trim_end_matches('*').trim().to_owned())
        .filter(|id| !id.is_empty())
        .collect()
}

fn rows(workbook: &mut Xlsx<Cursor<&[u8]>>, sheet: &str) -> Result<Vec<Vec<Data>>, String> {
    let range = workbook
        .worksheet_range(sheet)
        .map_err(|e| format!("sheet {sheet} unreadable: {e}"))?;
    Ok(range.rows().map(<[Data]>::to_vec).collect())
}

/// One compliance workbook.
///
/// # Errors
/// Why the file yields nothing: not a workbook, a malformed one, or none of the known layouts.
pub fn parse_compliance_workbook(file: &FeedFile) -> Result<Workbook, String> {
    // calamine 0.31 indexes shared strings without a bound check, so a crafted workbook makes
    // it panic (found by the `workbook` fuzz target): that file is refused, not the import.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_workbook(file)))
        .unwrap_or_else(|_| Err("the workbook is malformed".to_owned()))
}

fn read_workbook(file: &FeedFile) -> Result<Workbook, String> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(file.bytes.as_slice()))
        .map_err(|e| format!("not an .xlsx workbook: {e}"))?;
    let sheets = workbook.sheet_names();
    if let Some(sheet) = sheets.iter().find(|s| s.contains("CSF to SP 800-53")) {
        return csf_crosswalk(&rows(&mut workbook, sheet)?);
    }
    let first = sheets.first().cloned().ok_or("the workbook has no sheet")?;
    let rows = rows(&mut workbook, &first)?;
    let header_of = |text: &str| {
        rows.iter().take(5).find_map(|row| {
            row.iter()
                .position(|c| c.to_string().trim().eq_ignore_ascii_case(text))
        })
    };
    if let (Some(control), Some(technique)) = (header_of("Control ID"), header_of("Technique ID")) {
        return Ok(cis_mapping(&rows, control, technique));
    }
    if rows
        .iter()
        .take(3)
        .any(|row| cell(row, 2).contains("ISO/IEC 27001"))
    {
        return Ok(iso_crosswalk(&rows));
    }
    Err("not a known compliance layout (CIS Controls export, NIST crosswalk)".to_owned())
}

fn cis_mapping(rows: &[Vec<Data>], control: usize, technique: usize) -> Workbook {
    let name = control + 2;
    let mut mappings: Vec<ControlMapping> = rows
        .iter()
        .filter(|row| {
            let id = cell(row, control);
            !id.is_empty() && id.chars().next().is_some_and(|c| c.is_ascii_digit())
        })
        .flat_map(|row| {
            let id = cell(row, control);
            let control_name = cell(row, name);
            let group = id.split('.').next().map(|g| format!("CIS {g}"));
            ids(&cell(row, technique))
                .into_iter()
                .filter_map(|t| technique_from_tag(&t))
                .map(move |technique| ControlMapping {
                    control_id: id.clone(),
                    control_name: control_name.clone(),
                    group: group.clone(),
                    technique,
                    mapping_type: "mitigates".to_owned(),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    mappings.sort_by(|a, b| (&a.control_id, &a.technique).cmp(&(&b.control_id, &b.technique)));
    mappings.dedup_by(|a, b| a.control_id == b.control_id && a.technique == b.technique);
    Workbook::Mapping(
        Framework {
            id: "cis_controls-v8".to_owned(),
            name: "CIS Controls".to_owned(),
            version: "v8".to_owned(),
            attack_version: "8.2".to_owned(),
            source: "CIS Controls Navigator export (CC BY-NC-ND 4.0, loaded by the user)"
                .to_owned(),
        },
        mappings,
    )
}

fn iso_crosswalk(rows: &[Vec<Data>]) -> Workbook {
    let pairs = rows
        .iter()
        .filter(|row| {
            let nist = cell(row, 0);
            nist.len() >= 4 && nist.as_bytes()[2] == b'-'
        })
        .flat_map(|row| {
            let nist = cell(row, 0);
            ids(&cell(row, 2))
                .into_iter()
                .map(move |iso| (iso.clone(), String::new(), nist.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    Workbook::Crosswalk(Crosswalk {
        target: Framework {
            id: "iso_27001-2013".to_owned(),
            name: "ISO/IEC 27001".to_owned(),
            version: "2013".to_owned(),
            attack_version: String::new(),
            source: "derived through NIST's SP 800-53 rev 5 to ISO/IEC 27001 crosswalk".to_owned(),
        },
        via: NIST_800_53_R5.to_owned(),
        pairs,
    })
}

fn csf_crosswalk(rows: &[Vec<Data>]) -> Result<Workbook, String> {
    let pairs = rows
        .iter()
        .filter_map(|row| {
            let subcategory = cell(row, 2);
            let (id, name) = subcategory.split_once(':')?;
            let id = id.trim();
            (id.contains('.') && id.contains('-')).then(|| {
                ids(&cell(row, 3))
                    .into_iter()
                    .map(|nist| (id.to_owned(), name.trim().to_owned(), nist))
                    .collect::<Vec<_>>()
            })
        })
        .flatten()
        .collect();
    Ok(Workbook::Crosswalk(Crosswalk {
        target: Framework {
            id: "nist_csf-1.1".to_owned(),
            name: "NIST Cybersecurity Framework".to_owned(),
            version: "1.1".to_owned(),
            attack_version: String::new(),
            source: "derived through NIST's CSF to SP 800-53 rev 5 mapping".to_owned(),
        },
        via: NIST_800_53_R5.to_owned(),
        pairs,
    }))
}

#[cfg(test)]
mod shared_samples {
    use super::*;

    fn sample(path: &str) -> Option<FeedFile> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/feeds/compliance")
            .join(path);
        std::fs::read(&root).ok().map(|bytes| FeedFile {
            path: path.to_owned(),
            bytes,
        })
    }

    #[test]
    fn the_real_workbooks_parse_when_present() {
        let Some(cis) = sample("cis-controls/CIS_Controls_v8_ATTCKv82_condensed.xlsx") else {
            return;
        };
        match parse_compliance_workbook(&cis) {
            Ok(Workbook::Mapping(framework, mappings)) => {
                assert_eq!(framework.id, "cis_controls-v8");
                assert!(mappings.len() > 100, "{}", mappings.len());
                assert!(
                    mappings
                        .iter()
                        .any(|m| m.control_id == "2.3" && m.technique == "T1059")
                );
            }
            other => panic!("{other:?}"),
        }
        for (path, target) in [
            (
                "nist-crosswalks/sp800-53r5-to-iso-27001-mapping.xlsx",
                "iso_27001-2013",
            ),
            (
                "nist-crosswalks/csf-pf-to-sp800-53r5-mappings.xlsx",
                "nist_csf-1.1",
            ),
        ] {
            let Some(file) = sample(path) else { return };
            match parse_compliance_workbook(&file) {
                Ok(Workbook::Crosswalk(crosswalk)) => {
                    assert_eq!(crosswalk.target.id, target);
                    assert!(
                        crosswalk.pairs.len() > 50,
                        "{path}: {}",
                        crosswalk.pairs.len()
                    );
                }
                other => panic!("{path}: {other:?}"),
            }
        }
        let Some(other) = sample(
            "cis-controls/CIS_Controls_v8_Mapping_to_NIST_SP_800_53_Rev_5_Moderate_and_Low_Base.xlsx",
        ) else {
            return;
        };
        assert!(
            parse_compliance_workbook(&other).is_err(),
            "an unknown layout is refused"
        );
    }
}

#[cfg(test)]
mod hostile {
    use super::*;

    #[test]
    fn the_fuzzers_crashing_workbook_is_refused_without_a_panic() {
        let crash = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/regressions/workbook-shared-string-index.xlsx");
        let bytes = std::fs::read(&crash).unwrap_or_else(|e| panic!("{}: {e}", crash.display()));
        let file = FeedFile {
            path: "crash.xlsx".to_owned(),
            bytes,
        };
        assert!(parse_compliance_workbook(&file).is_err());
    }
}
