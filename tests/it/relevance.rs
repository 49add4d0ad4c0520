//! The relevance table: each query's expected term must rank first.
//!
//! Lookup categories (exact, case, hyphen, plural, typos, acronyms, concepts) must all
//! hold. The categories of issue 13 (what a student types when the word is missing) are
//! scored per category and printed with the rest.

use std::collections::BTreeMap;

use gloss::search::{search, Mode, Options};

use crate::common::{shipped, table};

/// Categories in which every row must rank its term first.
const STRICT: &[&str] = &[
    "exact", "case", "hyphen", "plural", "typo1", "typo2", "acronym", "concept",
];

/// What one row expects of `define`.
enum Expected<'a> {
    /// This term first.
    Top(&'a str),
    /// These two terms as the first two hits, in either order.
    Pair(&'a str, &'a str),
    /// No definition at all.
    Nothing,
}

impl<'a> Expected<'a> {
    fn parse(cell: &'a str) -> Expected<'a> {
        if cell == "-" {
            Expected::Nothing
        } else if let Some((a, b)) = cell.split_once('|') {
            Expected::Pair(a, b)
        } else {
            Expected::Top(cell)
        }
    }

    /// Whether the terms returned, best first, meet the expectation.
    fn met(&self, terms: &[String]) -> bool {
        match *self {
            Expected::Top(t) => terms.first().is_some_and(|first| first == t),
            Expected::Pair(a, b) => {
                let two: Vec<&str> = terms.iter().take(2).map(String::as_str).collect();
                two.len() == 2 && two.contains(&a) && two.contains(&b)
            }
            Expected::Nothing => terms.is_empty(),
        }
    }
}

/// Rows passed and rows run per category, and the failures described.
struct Score {
    per: BTreeMap<String, (usize, usize)>,
    failures: Vec<(String, String)>,
}

fn score(name: &str) -> Score {
    let store = shipped();
    let mut per: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for (query, expected, category) in table(name) {
        let opts = Options {
            mode: Mode::Define,
            limit: 10,
            ..Options::default()
        };
        let results = search(store, &query, &opts).expect("search");
        let terms: Vec<String> = results.hits.iter().filter_map(|h| h.term.clone()).collect();
        let entry = per.entry(category.clone()).or_default();
        entry.1 += 1;
        if Expected::parse(&expected).met(&terms) {
            entry.0 += 1;
        } else {
            failures.push((
                category,
                format!(
                    "{query:?}: expected {expected:?}, got {:?}",
                    terms.iter().take(3).collect::<Vec<_>>()
                ),
            ));
        }
    }
    Score { per, failures }
}

#[test]
fn relevance_table_top_hits() {
    let score = score("relevance.tsv");
    for (cat, (ok, n)) in &score.per {
        println!(
            "  {cat:<11} top-1 {ok}/{n} ({:.0}%)",
            100.0 * *ok as f64 / *n as f64
        );
    }
    for (cat, failure) in &score.failures {
        println!("  miss [{cat}] {failure}");
    }
    let strict: Vec<&String> = score
        .failures
        .iter()
        .filter(|(cat, _)| STRICT.contains(&cat.as_str()))
        .map(|(_, f)| f)
        .collect();
    assert!(
        strict.is_empty(),
        "{} lookup misses:\n{}",
        strict.len(),
        strict
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
