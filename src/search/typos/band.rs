//! Typo matching for ASCII words without a Levenshtein DFA.
//!
//! `FuzzyTermQuery` builds its DFA from a parametric automaton that the `levenshtein_automata`
//! crate computes once per process and distance: about 3 M instructions for distances 1
//! and 2, a third of a one-word search on the shipped notes, paid again by every process.
//! [`Band`] matches the same terms (the tests check it against that DFA) by computing the
//! edit distance to the word one term character at a time, keeping only the cells a match
//! can still go through: those at most `distance` away from the diagonal (Ukkonen's band).
//! A transposition of two neighbouring characters counts as one edit (optimal string
//! alignment), as in `FuzzyTermQuery::new(.., true)`.
//!
//! A prefix ask (`FuzzyTermQuery::new_prefix`) follows that DFA too, which is not quite "some
//! prefix of the term is within the distance": see [`Band::settled`].
//!
//! Only ASCII words are handled: a term's non-ASCII character then equals no character of
//! the word, so it is read from its UTF-8 lead byte and its continuation bytes are skipped.

use tantivy_fst::Automaton;

/// The largest distance a [`Band`] handles (the band is `2 * MAX_DISTANCE + 1` cells).
pub(crate) const MAX_DISTANCE: u8 = 2;

/// Longest word a [`Band`] handles (a column counts the characters read in a `u8`).
pub(crate) const MAX_WORD: usize = 64;

const WIDTH: usize = 2 * MAX_DISTANCE as usize + 1;

/// Stands for any non-ASCII character: equal to no byte of an ASCII word.
const OTHER: u8 = 0x80;

/// Terms within `distance` edits of an ASCII `word` or, with `prefix`, terms that start
/// with a string within that distance of it.
#[derive(Debug, Clone)]
pub(crate) struct Band {
    word: Box<[u8]>,
    distance: u8,
    prefix: bool,
}

/// The edit distances after `read` characters of a term: `cells[k]` is the distance
/// between those characters and the word's first `read + k - distance`, capped at
/// `distance + 1`; `before` is the column one character earlier and `last` that
/// character, which a transposition needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Column {
    read: u8,
    cells: [u8; WIDTH],
    before: [u8; WIDTH],
    last: u8,
    matched: bool,
}

impl Band {
    /// A band for `word`, or `None` when it is not ASCII, longer than [`MAX_WORD`], or
    /// `distance` is over [`MAX_DISTANCE`].
    pub(crate) fn new(word: &str, distance: u8, prefix: bool) -> Option<Band> {
        let fits = word.is_ascii() && word.len() <= MAX_WORD && distance <= MAX_DISTANCE;
        fits.then(|| Band {
            word: word.as_bytes().into(),
            distance,
            prefix,
        })
    }

    /// Cells of a column in use: the diagonal and `distance` on each side.
    fn width(&self) -> usize {
        2 * usize::from(self.distance) + 1
    }

    /// The capped value: any distance over the limit.
    fn far(&self) -> u8 {
        self.distance + 1
    }

    /// The word position of cell `k` after `read` term characters, if the word has it.
    fn position(&self, read: usize, k: usize) -> Option<usize> {
        (read + k)
            .checked_sub(usize::from(self.distance))
            .filter(|&i| i <= self.word.len())
    }

    /// The distance between the whole word and the characters read, if within the band.
    fn to_whole_word(&self, column: &Column) -> u8 {
        let k = (self.word.len() + usize::from(self.distance)).checked_sub(column.read.into());
        k.filter(|&k| k < self.width())
            .map_or(self.far(), |k| column.cells[k])
    }

    /// A column with its prefix match noted. As in `levenshtein_automata`'s prefix DFA, a
    /// term matches for good once the whole word is within the distance and no shorter
    /// part of the word is closer (the rest of the term can then only add edits); until
    /// then, a term matches when the whole word is within the distance of all of it.
    fn settled(&self, mut column: Column) -> Column {
        if self.prefix && !column.matched {
            let whole = self.to_whole_word(&column);
            let n = self.word.len();
            let read = usize::from(column.read);
            let closer_part = (0..self.width())
                .filter(|&k| self.position(read, k).is_some_and(|i| i < n))
                .any(|k| column.cells[k] < whole);
            column.matched = whole <= self.distance && !closer_part;
        }
        column
    }

    /// The column after one more term character `c` (ASCII, or [`OTHER`]).
    fn step(&self, column: &Column, c: u8) -> Column {
        let (far, width) = (self.far(), self.width());
        let read = usize::from(column.read) + 1;
        let mut cells = [far; WIDTH];
        for k in 0..width {
            let Some(i) = self.position(read, k) else {
                continue;
            };
            let kept = column.cells.get(k + 1).filter(|_| k + 1 < width);
            let mut best = kept.map_or(far, |d| d + 1);
            if i >= 1 {
                if k >= 1 {
                    best = best.min(cells[k - 1] + 1);
                }
                best = best.min(column.cells[k] + u8::from(self.word[i - 1] != c));
                if i >= 2 && c == self.word[i - 2] && column.last == self.word[i - 1] {
                    best = best.min(column.before[k] + 1);
                }
            }
            cells[k] = best.min(far);
        }
        self.settled(Column {
            read: read as u8,
            cells,
            before: column.cells,
            last: c,
            matched: column.matched,
        })
    }
}

impl Automaton for Band {
    type State = Column;

    fn start(&self) -> Column {
        let far = self.far();
        let mut cells = [far; WIDTH];
        for (k, cell) in cells.iter_mut().enumerate().take(self.width()) {
            if let Some(i) = self.position(0, k) {
                *cell = (i.min(far.into())) as u8;
            }
        }
        self.settled(Column {
            read: 0,
            cells,
            before: [far; WIDTH],
            last: OTHER,
            matched: false,
        })
    }

    fn is_match(&self, column: &Column) -> bool {
        column.matched || self.to_whole_word(column) <= self.distance
    }

    fn can_match(&self, column: &Column) -> bool {
        column.matched
            || column.cells[..self.width()]
                .iter()
                .any(|&d| d <= self.distance)
    }

    fn will_always_match(&self, column: &Column) -> bool {
        column.matched
    }

    fn accept(&self, column: &Column, byte: u8) -> Column {
        let continuation = (0x80..0xC0).contains(&byte);
        if column.matched || continuation || !self.can_match(column) {
            return *column;
        }
        self.step(column, if byte.is_ascii() { byte } else { OTHER })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::query::FuzzyTermQuery;
    use tantivy::schema::{Field, Term};

    fn run<A: Automaton>(automaton: &A, term: &str) -> bool {
        let mut state = automaton.start();
        for &b in term.as_bytes() {
            if !automaton.can_match(&state) {
                return false;
            }
            state = automaton.accept(&state, b);
        }
        automaton.is_match(&state)
    }

    /// `FuzzyTermQuery`'s automaton for the same ask.
    fn dfa(word: &str, distance: u8, prefix: bool) -> impl Automaton {
        let t = Term::from_field_text(Field::from_field_id(0), word);
        let fuzzy = if prefix {
            FuzzyTermQuery::new_prefix(t, distance, true)
        } else {
            FuzzyTermQuery::new(t, distance, true)
        };
        fuzzy.automaton().unwrap()
    }

    /// Every string of up to `len` characters from `alphabet`.
    fn strings(alphabet: &[&str], len: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut last = all.clone();
        for _ in 0..len {
            last = last
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    #[test]
    fn matches_exactly_the_terms_the_levenshtein_dfa_matches() {
        let words = strings(&["a", "b", "c"], 4);
        let terms = strings(&["a", "b", "c", "é"], 5);
        let mut checked = 0;
        for word in &words {
            for distance in 0..=MAX_DISTANCE {
                for prefix in [false, true] {
                    let band = Band::new(word, distance, prefix).unwrap();
                    let dfa = dfa(word, distance, prefix);
                    for term in &terms {
                        assert_eq!(
                            run(&band, term),
                            run(&dfa, term),
                            "{word:?} {term:?} distance {distance} prefix {prefix}"
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 121 * 1365 * 6);
    }

    #[test]
    fn long_words_and_real_typos_match_as_the_dfa_does() {
        let pairs = [
            ("temperature", "tempreture"),
            ("perplexity", "perplexty"),
            ("retrieval", "retreival"),
            ("augmented", "augmneted"),
            ("tokenization", "tokenisation"),
            ("embedding", "embeddings"),
            ("embedding", "embeddingsx"),
            ("café", "cafe"),
            ("naïve", "naive"),
            ("transformer", "trnasformers"),
            ("hallucination", "halucination"),
            ("guardrails", "guardrailsandmore"),
        ];
        for (a, b) in pairs {
            for (word, term) in [(a, b), (b, a)] {
                for distance in 0..=MAX_DISTANCE {
                    for prefix in [false, true] {
                        let Some(band) = Band::new(word, distance, prefix) else {
                            assert!(!word.is_ascii());
                            continue;
                        };
                        assert_eq!(
                            run(&band, term),
                            run(&dfa(word, distance, prefix), term),
                            "{word:?} {term:?} distance {distance} prefix {prefix}"
                        );
                    }
                }
            }
        }
    }

    proptest::proptest! {
        /// Longer words, and terms a few random edits away from them (most of which are
        /// near the distance limit, where a mistake would show).
        #[test]
        fn matches_the_dfa_on_longer_words_and_near_terms(
            word in "[a-e]{5,14}",
            edits in proptest::collection::vec((0usize..16, 0u8..4, "[a-eé]"), 0..4),
        ) {
            let mut term: Vec<char> = word.chars().collect();
            for (at, kind, c) in edits {
                let at = at % (term.len() + 1);
                let c = c.chars().next().unwrap();
                match kind {
                    0 => term.insert(at, c),
                    1 if at < term.len() => { term.remove(at); }
                    2 if at < term.len() => term[at] = c,
                    3 if at + 1 < term.len() => term.swap(at, at + 1),
                    _ => {}
                }
            }
            let term: String = term.into_iter().collect();
            for distance in 0..=MAX_DISTANCE {
                for prefix in [false, true] {
                    let band = Band::new(&word, distance, prefix).unwrap();
                    proptest::prop_assert_eq!(
                        run(&band, &term),
                        run(&dfa(&word, distance, prefix), &term),
                        "{:?} {:?} distance {} prefix {}", word, term, distance, prefix
                    );
                }
            }
        }
    }

    #[test]
    fn only_ascii_words_within_the_limits_get_a_band() {
        assert!(Band::new("token", 2, false).is_some());
        assert!(Band::new("café", 1, false).is_none());
        assert!(Band::new("token", 3, false).is_none());
        assert!(Band::new(&"a".repeat(MAX_WORD + 1), 1, false).is_none());
    }
}
