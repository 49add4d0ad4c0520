//! Snippets: the part of an entry's text worth showing, with the matched words marked,
//! including words matched through a typo or as a compound.
//!
//! tantivy's `SnippetGenerator` only highlights exact terms; gloss matches words the same
//! way the query did (stem, compound, typo budget), so what ranked a hit is what lights up.

use crate::tokenize::{typo_budget, Analyzer, Word};

/// One word of the query, as matched against text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryWord {
    /// Lowercased, folded.
    pub raw: String,
    /// Stemmed.
    pub stem: String,
    /// Edits allowed for a typo match.
    pub budget: u8,
}

impl QueryWord {
    /// Builds a query word from an analysed word.
    pub fn new(word: &Word) -> Self {
        QueryWord {
            raw: word.raw.clone(),
            stem: word.stem.clone(),
            budget: typo_budget(word.raw.chars().count()),
        }
    }

    /// The word matches `token` exactly, by stem or as a plural.
    pub(crate) fn exact(&self, token: &Word) -> bool {
        token.stem == self.stem
            || token.raw == self.raw
            || (self.raw.len() > 3 && self.raw.strip_suffix('s') == Some(token.raw.as_str()))
    }

    /// Whether `token`'s stem can equal this word's: stemming changes only the end of a
    /// word, never its first letter (`dying` → `die`, `skies` → `sky`), so a token of
    /// another first letter needs no stem to be told apart.
    pub(crate) fn may_stem_to(&self, token: &Word) -> bool {
        token.raw.as_bytes().first() == self.stem.as_bytes().first()
    }

    /// Whether [`QueryWord::close`] may need `token`'s stem: a stem is never longer than
    /// its word.
    pub(crate) fn may_be_close_by_stem(&self, token: &Word) -> bool {
        let stem_budget = usize::from(self.stem_budget());
        self.budget > 0
            && stem_budget > 0
            && token.raw.chars().count() + stem_budget >= self.stem.chars().count()
    }

    /// The word matches `token` within its typo budget. The budget is the word's as typed:
    /// a stem, shorter than the word, gets no more than its own length allows, so
    /// `faithfulness` (stem `faith`) cannot reach `with`.
    pub(crate) fn close(&self, token: &Word) -> bool {
        let token_len = token.raw.chars().count();
        if self.budget == 0 || token_len < 3 {
            return false;
        }
        within(&token.raw, token_len, &self.raw, usize::from(self.budget)) || {
            let stem_budget = usize::from(self.stem_budget());
            stem_budget > 0
                && within(
                    &token.stem,
                    token.stem.chars().count(),
                    &self.stem,
                    stem_budget,
                )
        }
    }

    /// Edits allowed on the stem: the word's budget, capped by the stem's own length.
    pub fn stem_budget(&self) -> u8 {
        self.budget.min(typo_budget(self.stem.chars().count()))
    }
}

/// Whether `a` (of `a_len` chars) is within `budget` edits of `b`. Words whose lengths
/// differ by more than the budget never are: most tokens of a text are rejected without
/// computing a distance.
fn within(a: &str, a_len: usize, b: &str, budget: usize) -> bool {
    a_len.abs_diff(b.chars().count()) <= budget && strsim::osa_distance(a, b) <= budget
}

/// A snippet and the byte ranges of its highlighted words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// The excerpt, with `…` where it was cut.
    pub text: String,
    /// Byte ranges into `text`, sorted, not overlapping.
    pub highlights: Vec<[usize; 2]>,
}

/// Byte ranges of `text` that match `words` (exactly, or within the typo budget when a
/// word has no exact match in the text) or one of the joined `compounds`.
pub fn matches(
    text: &str,
    words: &[QueryWord],
    compounds: &[QueryWord],
    analyzer: &mut Analyzer,
) -> Vec<[usize; 2]> {
    let mut tokens = analyzer.unstemmed_words(text);
    let mut ranges: Vec<[usize; 2]> = Vec::new();
    for q in words.iter().chain(compounds) {
        let before = ranges.len();
        for t in tokens.iter_mut() {
            if q.may_stem_to(t) {
                analyzer.stem_token(t);
            }
            if q.exact(t) {
                ranges.push([t.start, t.end]);
            }
        }
        if ranges.len() > before {
            continue;
        }
        for t in tokens.iter_mut() {
            if q.may_be_close_by_stem(t) {
                analyzer.stem_token(t);
            }
            if q.close(t) {
                ranges.push([t.start, t.end]);
            }
        }
    }
    ranges.sort_unstable();
    let mut merged: Vec<[usize; 2]> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            // Overlapping, or parts of one hyphenated word: one highlight.
            Some(last)
                if r[0] <= last[1] || text.get(last[1]..r[0]).is_some_and(|gap| gap == "-") =>
            {
                last[1] = last[1].max(r[1])
            }
            _ => merged.push(r),
        }
    }
    merged
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Cuts a snippet of about `max` bytes around the densest run of matches.
pub fn make(text: &str, ranges: &[[usize; 2]], max: usize) -> Snippet {
    if text.len() <= max {
        return Snippet {
            text: text.to_string(),
            highlights: ranges.to_vec(),
        };
    }
    let best = (0..ranges.len())
        .max_by_key(|&i| {
            let count = ranges[i..]
                .iter()
                .take_while(|r| r[1] <= ranges[i][0] + max)
                .count();
            (count, std::cmp::Reverse(i))
        })
        .map_or(0, |i| ranges[i][0]);
    let mut start = floor_boundary(text, best.saturating_sub(max / 5));
    if start > 0 {
        start = text[..start]
            .rfind(char::is_whitespace)
            .map_or(0, |i| i + 1);
    }
    let mut end = floor_boundary(text, start + max);
    if end < text.len() {
        if let Some(space) = text[start..end].rfind(char::is_whitespace) {
            if space > max / 2 {
                end = start + space;
            }
        }
    }
    let prefix = if start > 0 { "\u{2026}" } else { "" };
    let suffix = if end < text.len() { "\u{2026}" } else { "" };
    let shift = prefix.len();
    let highlights = ranges
        .iter()
        .filter(|r| r[0] >= start && r[1] <= end)
        .map(|r| [r[0] - start + shift, r[1] - start + shift])
        .collect();
    Snippet {
        text: format!("{prefix}{}{suffix}", &text[start..end]),
        highlights,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(text: &str) -> Vec<QueryWord> {
        Analyzer::default()
            .plain_words(text)
            .iter()
            .map(QueryWord::new)
            .collect()
    }

    fn marked(text: &str, q: &str) -> Vec<String> {
        let ranges = matches(text, &query(q), &[], &mut Analyzer::default());
        ranges
            .iter()
            .map(|r| text[r[0]..r[1]].to_string())
            .collect()
    }

    #[test]
    fn stems_and_typos_are_highlighted() {
        assert_eq!(
            marked("Tokens are the building blocks.", "token"),
            ["Tokens"]
        );
        assert_eq!(
            marked("Retrieval augmented generation", "retreival"),
            ["Retrieval"]
        );
    }

    #[test]
    fn stemming_keeps_the_first_letter_of_a_word() {
        // Snowball's exceptions and its short-word, `y` and apostrophe rules: what
        // `may_stem_to` relies on.
        let words = [
            "dying",
            "lying",
            "tying",
            "skies",
            "sky",
            "news",
            "ugly",
            "early",
            "only",
            "singly",
            "idly",
            "gently",
            "howe",
            "atlas",
            "cosmos",
            "bias",
            "andes",
            "y",
            "ys",
            "yes",
            "young",
            "yielding",
            "ied",
            "ies",
            "tied",
            "ties",
            "cries",
            "succeed",
            "proceed",
            "exceed",
            "canning",
            "inning",
            "earring",
            "herring",
            "outing",
            "o'neil",
            "generously",
            "communism",
            "arsenal",
            "4o",
            "gpt4",
            "über",
            "aed",
            "eed",
            "ing",
        ];
        let mut analyzer = Analyzer::default();
        for word in words {
            for t in analyzer.words(word) {
                assert_eq!(t.stem.chars().next(), t.raw.chars().next(), "{t:?}");
            }
        }
    }

    #[test]
    fn typos_are_not_highlighted_when_the_exact_word_is_there() {
        assert_eq!(marked("model and modal", "model"), ["model"]);
    }

    #[test]
    fn compounds_highlight_whole() {
        assert_eq!(
            marked("Use fine-tuning here", "fine tuning"),
            ["fine-tuning"]
        );
    }

    #[test]
    fn snippet_is_cut_around_the_matches_with_shifted_ranges() {
        let text = format!("{} needle here {}", "hay ".repeat(100), "hay ".repeat(100));
        let ranges = matches(&text, &query("needle"), &[], &mut Analyzer::default());
        let s = make(&text, &ranges, 80);
        assert!(s.text.starts_with('\u{2026}') && s.text.ends_with('\u{2026}'));
        let [a, b] = s.highlights[0];
        assert_eq!(&s.text[a..b], "needle");
    }
}
