//! The permission matrix compared with its checked-in golden table.
//!
//! Run with `UPDATE_GOLDEN=1` to rewrite the table after an intended change, then review the diff.

use std::path::Path;

use aegis_domain::permission::render_matrix;

#[test]
fn permission_matrix_matches_the_golden_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/permissions.txt");
    let actual = render_matrix();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).unwrap_or_else(|e| panic!("cannot write {path:?}: {e}"));
    }
    let golden =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path:?}: {e}"));
    assert_eq!(
        actual, golden,
        "the permission matrix changed; rerun with UPDATE_GOLDEN=1 and review"
    );
}
