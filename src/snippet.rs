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
            && char_len(&token.raw) + stem_budget >= char_len(&self.stem)
    }

    /// The word matches `token` within its typo budget. The budget is the word's as typed:
    /// a stem, shorter than the word, gets no more than its own length allows, so
    /// `faithfulness` (stem `faith`) cannot reach `with`.
    pub(crate) fn close(&self, token: &Word) -> bool {
        let token_len = char_len(&token.raw);
        if self.budget == 0 || token_len < 3 {
            return false;
        }
        within(&token.raw, token_len, &self.raw, usize::from(self.budget)) || {
            let stem_budget = usize::from(self.stem_budget());
            stem_budget > 0 && within(&token.stem, char_len(&token.stem), &self.stem, stem_budget)
        }
    }

    /// Edits allowed on the stem: the word's budget, capped by the stem's own length.
    pub fn stem_budget(&self) -> u8 {
        self.budget.min(typo_budget(char_len(&self.stem)))
    }
}

/// Whether `a` (of `a_len` chars) is within `budget` edits of `b`. Words whose lengths
/// differ by more than the budget never are: most tokens of a text are rejected without
/// computing a distance.
fn within(a: &str, a_len: usize, b: &str, budget: usize) -> bool {
    a_len.abs_diff(char_len(b)) <= budget && osa_bounded(a, b, budget).is_some()
}

/// The number of characters in `s`: its length when it is ASCII (most words), without a
/// call into the general counter, which the snippet loops made for every text word and
/// query word pair.
fn char_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// Longest ASCII word [`osa_distance`] measures in its own rows.
const OSA_ROW: usize = 64;

/// `strsim::osa_distance` (optimal string alignment: an edit is an insertion, a deletion,
/// a replacement or a swap of two neighbours, and no part is edited twice), computed the
/// same way, on the stack for ASCII words of up to [`OSA_ROW`] bytes: strsim's own
/// allocates three rows and decodes both words per call, and the snippets of a query
/// with a typo budget compare every text word of the right length with every query word
/// (~2,600 instructions a call, ~10% of a five-word search).
pub(crate) fn osa_distance(a: &str, b: &str) -> usize {
    osa_bounded(a, b, usize::MAX).unwrap_or(usize::MAX)
}

/// [`osa_distance`] when it is at most `limit`, `None` otherwise. Stops as soon as two
/// rows of the table in a row hold nothing within the limit: every later cell comes from
/// one of them, or from its own row's first cell (larger still), plus at least one.
fn osa_bounded(a: &str, b: &str, limit: usize) -> Option<usize> {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    if !x.is_ascii() || !y.is_ascii() || y.len() > OSA_ROW {
        return Some(strsim::osa_distance(a, b)).filter(|&d| d <= limit);
    }
    let n = y.len();
    // Rows i - 2, i - 1 and i of the table, taking turns.
    let mut rows = [[0usize; OSA_ROW + 1]; 3];
    for (j, cell) in rows[2].iter_mut().enumerate().take(n + 1) {
        *cell = j;
    }
    let mut over_before = false;
    for (i, &ac) in x.iter().enumerate() {
        let [two, prev, curr] = turn(&mut rows, i);
        curr[0] = i + 1;
        let mut least = curr[0];
        for (j, &bc) in y.iter().enumerate() {
            let cost = usize::from(ac != bc);
            let mut best = (curr[j] + 1).min(prev[j + 1] + 1).min(prev[j] + cost);
            if i > 0 && j > 0 && ac != bc && ac == y[j - 1] && bc == x[i - 1] {
                best = best.min(two[j - 1] + 1);
            }
            curr[j + 1] = best;
            least = least.min(best);
        }
        if least > limit && over_before {
            return None;
        }
        over_before = least > limit;
    }
    Some(rows[(x.len() + 2) % 3][n]).filter(|&d| d <= limit)
}

/// Rows `i - 2`, `i - 1` and `i` of [`osa_distance`]'s table, for row `i` (row -1 is the
/// first row's starting values, in slot 2).
fn turn(rows: &mut [[usize; OSA_ROW + 1]; 3], i: usize) -> [&mut [usize; OSA_ROW + 1]; 3] {
    let [r0, r1, r2] = rows;
    match i % 3 {
        0 => [r1, r2, r0],
        1 => [r2, r0, r1],
        _ => [r0, r1, r2],
    }
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

    proptest::proptest! {
        /// The same distance as strsim's, for near and far words, ASCII or not, short or
        /// longer than a row.
        #[test]
        fn osa_distance_is_strsims(
            a in "[abc]{0,9}|[a-eé]{0,7}|[ab]{60,70}",
            b in "[abc]{0,9}|[a-eé]{0,7}|[ab]{60,70}",
        ) {
            let d = strsim::osa_distance(&a, &b);
            proptest::prop_assert_eq!(osa_distance(&a, &b), d);
            for limit in 0..4 {
                proptest::prop_assert_eq!(osa_bounded(&a, &b, limit), Some(d).filter(|&d| d <= limit));
            }
        }
    }

    #[test]
    fn osa_distance_counts_a_swap_as_one_edit() {
        for (a, b, d) in [
            ("ab", "ba", 1),
            ("ca", "abc", 3),
            ("", "abc", 3),
            ("token", "tokne", 1),
        ] {
            assert_eq!(osa_distance(a, b), d, "{a} {b}");
            assert_eq!(strsim::osa_distance(a, b), d, "{a} {b}");
        }
    }
}
