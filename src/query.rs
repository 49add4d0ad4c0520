//! Query understanding: what a student typed, read as what to look up.
//!
//! Three readings, all on words before any index is touched:
//! - a question or request (`what is X`, `how does X work`, `explain X`, `meaning of X`)
//!   is reduced to its subject, so `what is LoRA` looks up `LoRA`;
//! - a comparison (`X vs Y`, `X versus Y`, `X or Y`, `difference between X and Y`,
//!   `X compared to Y`, `compare X and Y`) is split into its parts, each looked up alone;
//! - well-known short forms (`config`, `repo`, `env`, `db`, ...) meet their long forms
//!   through a small general table that `gloss.toml` `[synonyms]` can extend.

/// A query as understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Understood {
    /// What to look up: the query without its question and filler words (the query as
    /// typed when there are none, or when nothing else would be left).
    pub text: String,
    /// True when the query was phrased as a question or a request (`what is`, `explain`).
    pub question: bool,
    /// The parts of a comparison, two or more; empty for any other query.
    pub parts: Vec<Part>,
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The part as written (fillers removed).
    pub text: String,
    /// Readings to try, best first: the part itself, then the part with a word that the
    /// other side shares (`zero-shot` in `zero-shot vs few-shot prompting` is also tried
    /// as `zero-shot prompting`).
    pub readings: Vec<String>,
}

use crate::words::{LEADING_FILLER, OPENERS, SHORT_FORMS, STOPWORDS, TRAILING_FILLER, VERSUS};

/// Parts of an `or` or `compared to` comparison are short names, not clauses.
const MAX_OR_PART_WORDS: usize = 4;

/// Reads a query.
pub fn understand(query: &str) -> Understood {
    let words = split_words(query);
    if let Some(parts) = comparison(&words) {
        let text = parts
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        return Understood {
            text,
            question: true,
            parts,
        };
    }
    let (subject, question) = strip_question(&words);
    Understood {
        text: join(subject),
        question,
        parts: Vec::new(),
    }
}

/// A word as typed, and its lowercase form with surrounding punctuation removed.
#[derive(Debug, Clone)]
struct Typed<'a> {
    text: &'a str,
    lower: String,
}

fn split_words(query: &str) -> Vec<Typed<'_>> {
    query
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| matches!(c, '?' | '!' | ',' | ';' | ':' | '"')))
        .filter(|w| !w.is_empty())
        .map(|text| Typed {
            text,
            lower: text.to_lowercase().replace('\u{2019}', "'"),
        })
        .collect()
}

fn join(words: &[Typed]) -> String {
    words.iter().map(|w| w.text).collect::<Vec<_>>().join(" ")
}

fn is(word: &Typed, list: &[&str]) -> bool {
    list.contains(&word.lower.as_str())
}

/// The subject of a question, and whether there was a question at all. A query that
/// would be left empty is kept whole (`what is` is looked up as typed).
fn strip_question<'a, 'b>(words: &'b [Typed<'a>]) -> (&'b [Typed<'a>], bool) {
    let Some(first) = words.first() else {
        return (words, false);
    };
    if !is(first, OPENERS) || words.len() < 2 {
        return (words, false);
    }
    let mut start = 0;
    while start < words.len() && is(&words[start], LEADING_FILLER) {
        start += 1;
    }
    let mut end = words.len();
    while end > start + 1 && is(&words[end - 1], TRAILING_FILLER) {
        end -= 1;
    }
    if start >= end {
        return (words, false);
    }
    (&words[start..end], start > 0)
}

/// The parts of a comparison, or `None` when the query compares nothing.
fn comparison(words: &[Typed]) -> Option<Vec<Part>> {
    let lower: Vec<&str> = words.iter().map(|w| w.lower.as_str()).collect();
    let sides: Vec<&[Typed]> = if let Some(at) = position(&lower, &["difference", "between"])
        .or_else(|| position(&lower, &["differences", "between"]))
    {
        // `(what is) the difference between X and Y`: what comes before is filler.
        split_on(&words[at + 2..], &["and", "vs", "vs.", "versus"])?
    } else if let Some(at) = lower.iter().position(|w| *w == "compare") {
        split_on(&words[at + 1..], &["and", "with", "to", "vs", "versus"])?
    } else if let Some(at) =
        position(&lower, &["compared", "to"]).or_else(|| position(&lower, &["compared", "with"]))
    {
        // `X compared to Y` names two things; a longer side is a sentence that compares.
        let sides = vec![&words[..at], &words[at + 2..]];
        if sides.iter().any(|s| s.len() > MAX_OR_PART_WORDS) {
            return None;
        }
        sides
    } else {
        let parts = split_all(words, VERSUS);
        let only_or = !lower.iter().any(|w| VERSUS[..4].contains(w));
        if only_or && parts.iter().any(|p| p.len() > MAX_OR_PART_WORDS) {
            return None;
        }
        parts
    };
    let sides: Vec<&[Typed]> = sides
        .into_iter()
        .map(|s| strip_question(s).0)
        .filter(|s| !s.is_empty())
        .collect();
    if sides.len() < 2 {
        return None;
    }
    Some(parts_with_shared_words(&sides))
}

/// Index of the first occurrence of `pair` in `words`.
fn position(words: &[&str], pair: &[&str; 2]) -> Option<usize> {
    words.windows(2).position(|w| w == pair)
}

/// Splits at the first separator: two sides, both non-empty.
fn split_on<'a, 'b>(words: &'b [Typed<'a>], seps: &[&str]) -> Option<Vec<&'b [Typed<'a>]>> {
    let at = words.iter().position(|w| is(w, seps))?;
    (at > 0 && at + 1 < words.len()).then(|| vec![&words[..at], &words[at + 1..]])
}

/// Splits at every separator (`a vs b vs c`); one side when there is none.
fn split_all<'a, 'b>(words: &'b [Typed<'a>], seps: &[&str]) -> Vec<&'b [Typed<'a>]> {
    words
        .split(|w| is(w, seps))
        .filter(|s| !s.is_empty())
        .collect()
}

/// Each side's readings: itself, and, when a shorter side precedes a longer one, itself
/// with the longer side's last word (`supervised vs unsupervised learning`).
fn parts_with_shared_words(sides: &[&[Typed]]) -> Vec<Part> {
    let last = sides[sides.len() - 1];
    sides
        .iter()
        .map(|side| {
            let text = join(side);
            let mut readings = vec![text.clone()];
            if side.len() < last.len() && !std::ptr::eq(*side, last) {
                if let Some(shared) = last.last() {
                    if !side.iter().any(|w| w.lower == shared.lower) {
                        readings.push(format!("{text} {}", shared.text));
                    }
                }
            }
            Part { text, readings }
        })
        .collect()
}

/// Whether a lowercased word is a common English word that names no subject.
pub fn is_stopword(word: &str) -> bool {
    STOPWORDS.binary_search(&word).is_ok()
}

/// The long forms of a short form (`repo` → `repository`), matched case-insensitively.
pub fn long_forms(word: &str) -> &'static [&'static str] {
    let lower = word.to_lowercase();
    SHORT_FORMS
        .binary_search_by(|(short, _)| short.cmp(&lower.as_str()))
        .map(|i| SHORT_FORMS[i].1)
        .unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(q: &str) -> String {
        understand(q).text
    }

    fn parts(q: &str) -> Vec<Vec<String>> {
        understand(q)
            .parts
            .into_iter()
            .map(|p| p.readings)
            .collect()
    }

    #[test]
    fn questions_are_reduced_to_their_subject() {
        assert_eq!(subject("what is LoRA"), "LoRA");
        assert_eq!(subject("What is a vector database?"), "vector database");
        assert_eq!(subject("how does LoRA work"), "LoRA");
        assert_eq!(subject("what does a tokenizer do"), "tokenizer");
        assert_eq!(subject("explain self-attention"), "self-attention");
        assert_eq!(subject("meaning of perplexity"), "perplexity");
        assert_eq!(subject("what is the meaning of perplexity"), "perplexity");
        assert_eq!(subject("why use a reranker"), "reranker");
        assert_eq!(subject("what's RAG"), "RAG");
        assert_eq!(
            subject("how do I split documents into chunks"),
            "split documents into chunks"
        );
        assert!(understand("what is LoRA").question);
    }

    #[test]
    fn a_query_that_is_not_a_question_is_kept_whole() {
        assert_eq!(subject("guarded tool use"), "guarded tool use");
        assert_eq!(subject("model makes up facts"), "model makes up facts");
        assert!(!understand("guarded tool use").question);
        // Filler at the end counts only after an opener.
        assert_eq!(subject("tool use for agents"), "tool use for agents");
    }

    #[test]
    fn a_question_with_no_subject_is_looked_up_as_typed() {
        assert_eq!(subject("what is"), "what is");
        assert_eq!(subject("how"), "how");
        assert!(!understand("what is").question);
    }

    #[test]
    fn comparisons_split_into_parts() {
        assert_eq!(parts("bleu vs rouge"), [["bleu"], ["rouge"]]);
        assert_eq!(parts("RLHF versus DPO"), [["RLHF"], ["DPO"]]);
        assert_eq!(parts("lora or qlora"), [["lora"], ["qlora"]]);
        assert_eq!(
            parts("what is the difference between fine-tuning and RAG"),
            [["fine-tuning"], ["RAG"]]
        );
        assert_eq!(
            parts("shadow deployment compared to canary deployment"),
            [["shadow deployment"], ["canary deployment"]]
        );
        assert_eq!(
            parts("compare precision and recall"),
            [["precision"], ["recall"]]
        );
        assert_eq!(parts("a vs b vs c").len(), 3);
    }

    #[test]
    fn a_shorter_side_also_tries_the_word_both_sides_share() {
        assert_eq!(
            parts("zero-shot vs few-shot prompting"),
            vec![
                vec!["zero-shot".to_string(), "zero-shot prompting".to_string()],
                vec!["few-shot prompting".to_string()],
            ]
        );
    }

    #[test]
    fn or_inside_a_description_is_not_a_comparison() {
        assert!(
            understand("text or images generated by a model from a prompt")
                .parts
                .is_empty()
        );
        assert!(understand("rlhf").parts.is_empty());
        assert!(
            understand("input data changes over time compared with training data")
                .parts
                .is_empty()
        );
        assert!(understand("vs").parts.is_empty());
        assert!(understand("or").parts.is_empty());
    }

    #[test]
    fn short_forms_have_long_forms() {
        assert_eq!(long_forms("repo"), ["repository"]);
        assert_eq!(long_forms("Config"), ["configuration"]);
        assert!(long_forms("token").is_empty());
    }

    #[test]
    fn the_short_form_table_is_sorted() {
        assert!(SHORT_FORMS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn stopwords_are_sorted_and_found() {
        assert!(STOPWORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(is_stopword("the") && is_stopword("until"));
        assert!(!is_stopword("token") && !is_stopword("use"));
    }
}
