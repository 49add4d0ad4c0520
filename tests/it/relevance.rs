//! The relevance table: each query's expected term must rank first.

use crate::common::score_table;

#[test]
fn relevance_table_top_hits() {
    let failures = score_table("relevance.tsv");
    assert!(
        failures.is_empty(),
        "{} misses:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
