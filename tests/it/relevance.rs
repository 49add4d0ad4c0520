//! The relevance table: each query's expected term must rank first.
//!
//! Lookup categories (exact, case, hyphen, plural, typos, acronyms, concepts) must all
//! hold. The categories of issue 13 (what a student types when the word is missing) must
//! each reach [`TARGET`]; their figures before gloss read questions, comparisons and
//! short forms were: question 53%, paraphrase 57%, comparison 0%, short 69%, shorttypo
//! 29%, absent 25%.

use std::collections::BTreeMap;

use gloss::stages::{search, Options};
use gloss::Mode;

use crate::common::{shipped, table};

/// Categories in which every row must rank its term first.
const STRICT: &[&str] = &[
    "exact", "case", "hyphen", "plural", "typo1", "typo2", "acronym", "concept",
];

/// Categories scored against [`TARGET`].
const TARGETED: &[&str] = &[
    "question",
    "paraphrase",
    "comparison",
    "short",
    "shorttypo",
    "absent",
];

/// Share of a targeted category's rows that must rank their term first.
const TARGET: f64 = 0.8;

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
    for cat in TARGETED {
        let (ok, n) = score.per.get(*cat).copied().unwrap_or((0, 0));
        assert!(n >= 20, "{cat}: {n} rows, want at least 20");
        assert!(
            ok as f64 >= TARGET * n as f64,
            "{cat}: {ok}/{n} right first, below {:.0}%",
            TARGET * 100.0
        );
    }
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

/// Share of `described.tsv`'s rows (all categories together) that must be met.
const DESCRIBED_FLOOR: f64 = 0.7;

/// The second table, written before the thesaurus: rows accept any of `A|B` first, and
/// comparisons want both names (term or alias) among the first two. It is scored
/// against a floor and printed, so a change that helps the first table at this one's
/// expense shows.
#[test]
fn described_table_top_hits() {
    let store = shipped();
    let mut per: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for (query, expected, category) in table("described.tsv") {
        let opts = Options {
            mode: Mode::Define,
            limit: 10,
            ..Options::default()
        };
        let hits = search(store, &query, &opts).expect("search").hits;
        let names = |i: usize| -> Vec<String> {
            hits.get(i).map_or(Vec::new(), |h| {
                h.term
                    .iter()
                    .chain(&h.aliases)
                    .map(|n| n.to_lowercase())
                    .collect()
            })
        };
        let wanted: Vec<String> = expected.split('|').map(str::to_lowercase).collect();
        let met = if expected == "-" {
            hits.is_empty()
        } else if category == "comparison" {
            let two = [names(0), names(1)];
            wanted.iter().all(|w| two.iter().any(|n| n.contains(w)))
        } else {
            hits.first()
                .and_then(|h| h.term.as_ref())
                .is_some_and(|t| wanted.contains(&t.to_lowercase()))
        };
        let entry = per.entry(category.clone()).or_default();
        entry.1 += 1;
        entry.0 += usize::from(met);
        if !met {
            let got: Vec<_> = hits.iter().take(3).filter_map(|h| h.term.clone()).collect();
            misses.push(format!(
                "  miss [{category}] {query:?}: want {expected:?}, got {got:?}"
            ));
        }
    }
    let (mut ok, mut n) = (0, 0);
    for (cat, (o, c)) in &per {
        println!(
            "  {cat:<11} top-1 {o}/{c} ({:.0}%)",
            100.0 * *o as f64 / *c as f64
        );
        ok += o;
        n += c;
    }
    println!("  all         top-1 {ok}/{n}\n{}", misses.join("\n"));
    assert!(
        ok as f64 >= DESCRIBED_FLOOR * n as f64,
        "described.tsv: {ok}/{n} right first, below {:.0}%",
        DESCRIBED_FLOOR * 100.0
    );
}

/// Concept search on a small folder of notes: questions, comparisons, prefixes, short
/// typos, and `define`'s honest misses.
mod concept {
    use assert_cmd::Command;

    use crate::common::{hits, Sandbox};

    const NOTES: &str = "# Notes

## Metrics

**BLEU**: A precision-oriented overlap metric for translation.

**ROUGE**: A recall-oriented overlap metric for summaries.

BLEU leans on precision and ROUGE leans on recall, so pick by the task.

## Models

**Neural network**: Layers of weighted units; gradient descent adjusts the weights to reduce the error.

**Low-rank adaptation (LoRA)**: Training two small matrices beside frozen weights.

**Quant**: A person who builds trading models.

**Quantization**: Storing weights with fewer bits.

**Retrieval-augmented generation (RAG)**: Retrieving passages and adding them to the prompt.

**Agent**: A model that chooses tools in a loop.

**Span**: One timed step of a trace.

**Spam**: Unwanted messages.

**Fast path**: A route taken with care.

**Development environment**: Where code is written and tried.
";

    fn sandbox() -> Sandbox {
        let sb = Sandbox::empty();
        sb.write("notes.md", NOTES);
        sb
    }

    fn terms(sb: &Sandbox, args: &[&str]) -> Vec<String> {
        hits(&sb.json(args)).into_iter().map(|h| h.0).collect()
    }

    fn define(sb: &Sandbox, query: &str) -> Command {
        sb.gloss(&["define", query])
    }

    #[test]
    fn a_question_is_looked_up_as_its_subject() {
        let sb = sandbox();
        assert_eq!(
            terms(&sb, &["define", "what is LoRA"])[0],
            "Low-rank adaptation"
        );
        assert_eq!(
            terms(&sb, &["define", "how does LoRA work?"])[0],
            "Low-rank adaptation"
        );
        let v = sb.json(&["define", "what is LoRA"]);
        assert_eq!(v["query"], "what is LoRA");
    }

    #[test]
    fn a_comparison_puts_each_side_first_and_the_passage_on_both_first_among_passages() {
        let sb = sandbox();
        for q in [
            "bleu vs rouge",
            "difference between BLEU and ROUGE",
            "bleu or rouge",
        ] {
            let t = terms(&sb, &["define", q]);
            assert_eq!(t[..2], ["BLEU", "ROUGE"], "{q}");
        }
        let v = sb.json(&["search", "bleu versus rouge"]);
        let first_passage = hits(&v).into_iter().find(|h| h.0.is_empty()).unwrap();
        assert_eq!((first_passage.1.as_str(), first_passage.2), ("notes.md", 9));
    }

    #[test]
    fn the_last_word_matches_as_a_prefix_below_whole_words() {
        let sb = sandbox();
        assert_eq!(
            terms(&sb, &["define", "retrieval aug"])[0],
            "Retrieval-augmented generation"
        );
        assert_eq!(
            terms(&sb, &["define", "quant"])[..2],
            ["Quant", "Quantization"]
        );
        // Two letters are not a prefix.
        define(&sb, "qu").assert().code(1);
    }

    #[test]
    fn short_forms_meet_their_long_forms() {
        let sb = sandbox();
        assert_eq!(
            terms(&sb, &["define", "dev env"])[0],
            "Development environment"
        );
    }

    #[test]
    fn a_four_letter_typo_gets_one_edit_only_when_no_term_matched() {
        let sb = sandbox();
        assert_eq!(terms(&sb, &["define", "agnt"]), ["Agent"]);
        assert_eq!(terms(&sb, &["define", "sapn"]), ["Span"]);
        // `span` is a term: `Spam`, one edit away, is not offered.
        assert_eq!(terms(&sb, &["define", "span"]), ["Span"]);
    }

    #[test]
    fn a_typo_budget_is_the_words_not_its_stems() {
        // `faithfulness` stems to `faith`: two edits from `with`, but the word has none to
        // spare on a four-letter stem.
        let sb = sandbox();
        define(&sb, "faithfulness")
            .assert()
            .code(1)
            .stderr(predicates::str::contains(
                "no definition for \"faithfulness\"",
            ));
    }

    #[test]
    fn define_names_definitions_that_only_mention_the_query_and_exits_1() {
        let sb = sandbox();
        define(&sb, "gradient descent")
            .assert()
            .code(1)
            .stdout("")
            .stderr(predicates::str::contains(
                "no definition for \"gradient descent\"\nmentioned in: Neural network\n",
            ));
        // `-n` asks for more: the mention is listed.
        let v = sb.json(&["define", "-n", "5", "gradient descent"]);
        assert_eq!(hits(&v)[0].0, "Neural network");
    }

    #[test]
    fn a_description_is_a_good_match_when_it_holds_its_words() {
        let sb = sandbox();
        // Three content words, all in the definition: found.
        assert_eq!(
            terms(&sb, &["define", "weights reduce error"])[0],
            "Neural network"
        );
        // One of three is nowhere in it: no definition, and no unrelated one instead.
        define(&sb, "weights reduce cost")
            .assert()
            .code(1)
            .stdout("");
        // Four or more: half of them will do (`adjusted` and `reduce` here), not fewer.
        assert_eq!(
            terms(&sb, &["define", "weights adjusted to reduce cost"])[0],
            "Neural network"
        );
        // An everyday word counts for the notes' word it stands in for (`lower` for
        // `reduce`, `tuned` for `adjusted`: src/thesaurus.rs).
        assert_eq!(
            terms(&sb, &["define", "weights tuned to lower cost"])[0],
            "Neural network"
        );
        // Fewer than half, even with stand-ins: nothing.
        define(&sb, "weights painted purple at dawn")
            .assert()
            .code(1)
            .stdout("");
    }
}
