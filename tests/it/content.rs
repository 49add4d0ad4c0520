//! The shipped notes: nine sections, enough terms, no term defined twice, lookups that work.

use std::collections::BTreeMap;

use gloss::entries::{extract, Kind};
use gloss::sections::parse;
use gloss::tokenize::Analyzer;

use crate::common::{root, score_table};

const SECTIONS: [&str; 9] = [
    "01-generative-ai-basics.md",
    "02-databricks-generative-ai-and-nlp.md",
    "03-common-llm-applications.md",
    "04-rag-vector-search-and-storage.md",
    "05-multi-stage-reasoning-with-llm-chains.md",
    "06-fine-tuning-llms.md",
    "07-evaluating-llms.md",
    "08-society-and-llms.md",
    "09-llm-operations.md",
];

/// Terms deliberately defined in two places (a second view from another angle).
/// Add the normalised key here, with the reason, to allow one.
const SECOND_VIEWS: &[&str] = &[];

/// (normalised key, term, file, line) of every definition in content/.
fn definitions() -> Vec<(String, String, String, usize)> {
    let mut analyzer = Analyzer::default();
    let mut out = Vec::new();
    for file in SECTIONS {
        let text = std::fs::read_to_string(root().join("content").join(file)).expect(file);
        for e in extract(file, &parse(&text)) {
            if e.kind == Kind::Definition {
                let term = e.term.unwrap_or_default();
                out.push((analyzer.key(&term), term, e.file, e.line));
            }
        }
    }
    out
}

#[test]
fn nine_sections_with_at_least_twenty_terms_each_and_250_in_all() {
    let defs = definitions();
    for file in SECTIONS {
        let n = defs.iter().filter(|d| d.2 == file).count();
        assert!(n >= 20, "{file} defines {n} terms");
    }
    let distinct: std::collections::BTreeSet<&String> = defs.iter().map(|d| &d.0).collect();
    println!("{} distinct defined terms", distinct.len());
    assert!(distinct.len() >= 250, "{} distinct terms", distinct.len());
}

#[test]
fn no_term_is_defined_twice() {
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, term, file, line) in definitions() {
        by_key
            .entry(key)
            .or_default()
            .push(format!("{term} at {file}:{line}"));
    }
    let twice: Vec<String> = by_key
        .into_iter()
        .filter(|(k, places)| places.len() > 1 && !SECOND_VIEWS.contains(&k.as_str()))
        .map(|(_, places)| places.join(" and "))
        .collect();
    assert!(twice.is_empty(), "defined twice:\n{}", twice.join("\n"));
}

#[test]
fn content_lookups_find_the_expected_term_first() {
    let failures = score_table("content.tsv");
    assert!(
        failures.is_empty(),
        "{} misses:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
