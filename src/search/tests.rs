//! Unit tests of the search on a tiny index: which tier answers which kind of query, the
//! order of tiers and of hits within one, snippets, the scope clause and suggestions.

use std::sync::OnceLock;

use super::*;
use crate::index::{self, Refresh};
use crate::scope::{Clause, Scope};

/// Definitions, one per line style the tiers tell apart.
const DEFINITIONS: &str = "# Language models

**Token**: The basic unit of text a model reads.

**Token budget**: How many tokens a request may use.

**LLM** (large language model): A model trained on a great deal of text.

**Quantization**: Storing weights with fewer bits to save memory.

**Retrieval augmented generation**: Answering with passages fetched from an index.

**Agent**: A model that calls tools in a loop.

**Fine-tuning**: Training a model further on a narrower task.

**Pneumonoultramicroscopicsilicovolcanoconiosisandmore**: A word too long to have a key.
";

/// Passages, no definitions.
const PASSAGES: &str = "# Reading

The tokenizer splits text into pieces before the model sees them.

Every request pays for its tokens, tokens in and tokens out.

A long paragraph that mentions a token once, among many other words about matters that have nothing to do with it at all.
";

/// `a.md` (definitions) and `b.md` (passages), indexed once for all tests.
fn store() -> &'static Store {
    static STORE: OnceLock<(tempfile::TempDir, Store)> = OnceLock::new();
    &STORE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let notes = dir.path().join("notes");
            std::fs::create_dir(&notes).expect("notes dir");
            std::fs::write(notes.join("a.md"), DEFINITIONS).expect("a.md");
            std::fs::write(notes.join("b.md"), PASSAGES).expect("b.md");
            let at = dir.path().join("index");
            index::refresh(&notes, &at, Refresh::Rebuild, true).expect("index");
            let store = index::open(&at).expect("open").0.expect("built");
            (dir, store)
        })
        .1
}

fn options(mode: Mode) -> Options {
    Options {
        mode,
        ..Options::default()
    }
}

/// (term or file:line, tier) of each hit.
fn found(query: &str, mode: Mode) -> Vec<(String, Tier)> {
    let results = search(store(), query, &options(mode)).expect("search");
    results.hits.iter().map(|h| (name(h), tier_of(h))).collect()
}

fn name(h: &Hit) -> String {
    h.term
        .clone()
        .unwrap_or_else(|| format!("{}:{}", h.file, h.line))
}

fn tier_of(h: &Hit) -> Tier {
    *TIERS
        .iter()
        .find(|t| **t as u8 == h.tier)
        .expect("a known tier")
}

/// The first hit of `query`, with its tier.
fn first(query: &str, mode: Mode) -> (String, Tier) {
    found(query, mode)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no hit for {query:?}"))
}

#[test]
fn a_query_that_is_a_terms_key_is_an_exact_match() {
    // `llms` is the plural of the key `llm`.
    assert_eq!(first("llms", Mode::Define), ("LLM".into(), Tier::ExactKey));
    assert_eq!(
        first("Token", Mode::Define),
        ("Token".into(), Tier::ExactKey)
    );
}

#[test]
fn words_of_a_term_find_it_by_term_words() {
    assert_eq!(
        first("budget", Mode::Define),
        ("Token budget".into(), Tier::TermWords)
    );
}

#[test]
fn a_last_word_typed_in_part_finds_the_term_by_prefix() {
    assert_eq!(
        first("retrieval aug", Mode::Define),
        ("Retrieval augmented generation".into(), Tier::TermPrefix)
    );
}

#[test]
fn a_typo_of_five_to_eight_letters_gets_one_edit() {
    assert_eq!(
        first("tokne", Mode::Define),
        ("Token".into(), Tier::TermTypo)
    );
    // Two edits are over the budget of a five-letter word.
    assert_eq!(found("tkone", Mode::Define), []);
}

#[test]
fn a_typo_of_nine_letters_or_more_gets_two_edits() {
    assert_eq!(
        first("qantizaton", Mode::Define),
        ("Quantization".into(), Tier::TermTypo)
    );
}

#[test]
fn a_typo_of_three_letters_gets_no_edit_and_four_letters_only_as_a_last_resort() {
    assert_eq!(found("lln", Mode::Define), []);
    assert_eq!(
        first("agnt", Mode::Define),
        ("Agent".into(), Tier::ShortTypo)
    );
}

#[test]
fn a_word_of_a_definitions_text_finds_it_by_definition_words() {
    assert_eq!(
        first("tools", Mode::Search),
        ("Agent".into(), Tier::DefinitionWords)
    );
    assert_eq!(
        first("toolz", Mode::Search),
        ("Agent".into(), Tier::DefinitionTypo)
    );
}

#[test]
fn three_content_words_are_a_description() {
    assert_eq!(
        first("model that calls tools", Mode::Define),
        ("Agent".into(), Tier::Description)
    );
}

#[test]
fn some_of_the_words_is_the_fallback_for_definitions_and_for_passages() {
    assert_eq!(
        first("tools spreadsheet", Mode::Search),
        ("Agent".into(), Tier::DefinitionSomeWords)
    );
    assert_eq!(
        found("pieces spreadsheet", Mode::Search),
        [("b.md:3".into(), Tier::PassageSomeWords)]
    );
}

#[test]
fn passage_text_is_found_with_and_without_a_typo() {
    assert_eq!(
        found("pieces", Mode::Search),
        [("b.md:3".into(), Tier::PassageWords)]
    );
    assert_eq!(
        found("spilts", Mode::Search),
        [("b.md:3".into(), Tier::PassageTypo)]
    );
    // `define` never lists passages.
    assert_eq!(found("pieces", Mode::Define), []);
}

#[test]
fn tiers_come_in_order_and_definitions_before_passages() {
    let hits = found("token", Mode::Search);
    assert_eq!(hits[0], ("Token".into(), Tier::ExactKey));
    let tiers: Vec<Tier> = hits.iter().map(|h| h.1).collect();
    let mut sorted = tiers.clone();
    sorted.sort();
    assert_eq!(tiers, sorted, "{hits:?}");
    assert!(hits.iter().any(|h| h.1.kind() == Kind::Passage), "{hits:?}");
}

#[test]
fn bm25_orders_hits_within_a_tier() {
    // Three `tokens` in a short paragraph beat one `token` in a long one.
    let hits = found("tokens", Mode::Search);
    let at = |place: &str| hits.iter().position(|h| h.0 == place);
    let (dense, sparse) = (at("b.md:5").unwrap(), at("b.md:7").unwrap());
    assert_eq!(hits[dense].1, hits[sparse].1, "{hits:?}");
    assert!(dense < sparse, "{hits:?}");
}

#[test]
fn the_snippet_highlights_the_words_matched() {
    let results = search(store(), "pieces", &options(Mode::Search)).expect("search");
    let hit = &results.hits[0];
    assert_eq!(
        hit.snippet,
        "The tokenizer splits text into pieces before the model sees them."
    );
    assert_eq!(hit.highlights, [[31, 37]]);
    assert_eq!(&hit.snippet[31..37], "pieces");
}

#[test]
fn a_scope_clause_keeps_hits_to_its_notes() {
    let scope = Scope::new(&["b.md".into()], &[], "").expect("scope");
    let Some(Clause::Within(within)) = scope.clause(store()).expect("clause") else {
        panic!("b.md is indexed");
    };
    let opts = Options {
        within: Some(within),
        ..options(Mode::Search)
    };
    let results = search(store(), "token", &opts).expect("search");
    assert!(!results.hits.is_empty());
    assert!(results.hits.iter().all(|h| h.file == "b.md"), "{results:?}");
}

#[test]
fn nothing_found_lists_close_terms_as_suggestions() {
    let results = search(store(), "lln", &options(Mode::Define)).expect("search");
    assert!(results.hits.is_empty());
    assert_eq!(results.suggestions, ["LLM"]);
    let none = search(store(), "zzyzx", &options(Mode::Define)).expect("search");
    assert!(none.hits.is_empty() && none.suggestions.is_empty());
}

#[test]
fn a_hit_carries_the_term_key_the_index_stored() {
    let key = |query: &str, mode: Mode| {
        let results = search(store(), query, &options(mode)).expect("search");
        let hit = results.hits.into_iter().next().expect("a hit");
        (name(&hit), hit.key)
    };
    assert_eq!(
        key("fine tuning", Mode::Define),
        ("Fine-tuning".into(), "finetuning".into())
    );
    assert_eq!(key("LLMs", Mode::Define), ("LLM".into(), "llm".into()));
    // A word over the analyzer's length limit has no key: stored empty, not the alias's.
    assert_eq!(
        key("too long to have a key", Mode::Search),
        (
            "Pneumonoultramicroscopicsilicovolcanoconiosisandmore".into(),
            String::new()
        )
    );
    assert_eq!(
        key("pieces", Mode::Search),
        ("b.md:3".into(), String::new())
    );
}
