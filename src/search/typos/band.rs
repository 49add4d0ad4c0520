//! Typo matching for ASCII words without a Levenshtein DFA.
//!
//! `FuzzyTermQuery` builds its DFA from a parametric automaton that the `levenshtein_automata`
//! crate computes once per process and distance: about 3 M instructions for distances 1
//! and 2, a third of a one-word search on the shipped notes, paid again by every process.
//! [`Band`] matches the same terms (the tests check it against that DFA) by computing the
//! edit distance to the word one term character at a time. A transposition of two
//! neighbouring characters counts as one edit (optimal string alignment), as in
//! `FuzzyTermQuery::new(.., true)`.
//!
//! The distances are kept bit-parallel (the non-deterministic automaton of Wu and Manber):
//! for each number of edits `e` up to the distance, one 64-bit row whose bit `i` says that
//! the characters read are within `e` edits of the word's first `i` characters. One
//! character moves every row with a few shifts and masks, whatever the word's length: on
//! MDN, a walk of a big term dictionary tries ~30,000 characters per word, and the cell by
//! cell band this replaced took ~270 instructions for each.
//!
//! A prefix ask (`FuzzyTermQuery::new_prefix`) follows that DFA too, which is not quite "some
//! prefix of the term is within the distance": see [`Band::settled`].
//!
//! Only ASCII words are handled: a term's non-ASCII character then equals no character of
//! the word, so it is read from its UTF-8 lead byte and its continuation bytes are skipped.

use tantivy_fst::Automaton;

/// The largest distance a [`Band`] handles.
pub(crate) const MAX_DISTANCE: u8 = 2;

/// Longest word a [`Band`] handles (its positions 0 to 63 are the bits of a `u64`).
pub(crate) const MAX_WORD: usize = 63;

const ROWS: usize = MAX_DISTANCE as usize + 1;

/// Stands for any non-ASCII character: equal to no byte of an ASCII word.
const OTHER: u8 = 0x80;

/// Terms within `distance` edits of an ASCII `word` or, with `prefix`, terms that start
/// with a string within that distance of it.
#[derive(Debug, Clone)]
pub(crate) struct Band {
    /// For each byte `c`, the positions `i` (1 to the word's length) whose character
    /// `i - 1` is `c`.
    at: Box<[u64; 256]>,
    /// The word's positions: 0 to its length.
    positions: u64,
    /// Position `len`, the whole word.
    whole: u64,
    distance: u8,
    prefix: bool,
}

/// The edit distances after some characters of a term: bit `i` of `rows[e]` is set when
/// those characters are within `e` edits of the word's first `i` characters (so each row
/// holds the one before it); `before` is the same one character earlier and `last` that
/// character, which a transposition needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Column {
    rows: [u64; ROWS],
    before: [u64; ROWS],
    last: u8,
    matched: bool,
}

impl Band {
    /// A band for `word`, or `None` when it is not ASCII, longer than [`MAX_WORD`], or
    /// `distance` is over [`MAX_DISTANCE`].
    pub(crate) fn new(word: &str, distance: u8, prefix: bool) -> Option<Band> {
        let fits = word.is_ascii() && word.len() <= MAX_WORD && distance <= MAX_DISTANCE;
        fits.then(|| {
            let mut at = Box::new([0u64; 256]);
            for (i, &c) in word.as_bytes().iter().enumerate() {
                at[usize::from(c)] |= 1 << (i + 1);
            }
            Band {
                at,
                positions: up_to(word.len()),
                whole: 1 << word.len(),
                distance,
                prefix,
            }
        })
    }

    /// The rows in use: 0 to `distance` edits.
    fn rows(&self) -> usize {
        usize::from(self.distance) + 1
    }

    /// The fewest edits between the whole word and the characters read, if within the
    /// distance; `distance + 1` otherwise.
    fn to_whole_word(&self, column: &Column) -> u8 {
        let within = column.rows[..self.rows()]
            .iter()
            .position(|&row| row & self.whole != 0);
        within.map_or(self.distance + 1, |e| e as u8)
    }

    /// A column with its prefix match noted. As in `levenshtein_automata`'s prefix DFA, a
    /// term matches for good once the whole word is within the distance and no shorter
    /// part of the word is closer (the rest of the term can then only add edits); until
    /// then, a term matches when the whole word is within the distance of all of it.
    fn settled(&self, mut column: Column) -> Column {
        if self.prefix && !column.matched {
            let whole = self.to_whole_word(&column);
            let closer_part = whole > 0
                && column.rows[usize::from(whole) - 1] & self.positions & !self.whole != 0;
            column.matched = whole <= self.distance && !closer_part;
        }
        column
    }

    /// The column after one more term character `c` (ASCII, or [`OTHER`]). With `e`
    /// edits, position `i` is reached by: the characters matched (`i - 1` with `e` edits,
    /// and `c` is the word's character `i - 1`); the term character inserted (`i` with
    /// `e - 1`); replaced (`i - 1` with `e - 1`); a word character skipped (`i - 1` with
    /// `e - 1`, in the new column); two neighbours swapped (`i - 2` with `e - 1`, one
    /// column earlier, when `c` is the word's character `i - 2` and the last one read its
    /// character `i - 1`).
    fn step(&self, column: &Column, c: u8) -> Column {
        let here = self.at[usize::from(c)];
        let swapped = (here << 1) & self.at[usize::from(column.last)];
        let (old, before) = (&column.rows, &column.before);
        // Every row is moved, in use or not: rows over the distance never feed the ones
        // under it, and a fixed count of rows takes no loop.
        let mut rows = [0u64; ROWS];
        rows[0] = (old[0] << 1) & here;
        for e in 1..ROWS {
            let fewer = old[e - 1];
            rows[e] = (((old[e] << 1) & here)
                | fewer
                | (fewer << 1)
                | (rows[e - 1] << 1)
                | ((before[e - 1] << 2) & swapped))
                & self.positions;
        }
        self.settled(Column {
            rows,
            before: column.rows,
            last: c,
            matched: column.matched,
        })
    }
}

/// Bits 0 to `n`.
fn up_to(n: usize) -> u64 {
    u64::MAX >> (63 - n)
}

impl Automaton for Band {
    type State = Column;

    fn start(&self) -> Column {
        let mut rows = [0u64; ROWS];
        for (e, row) in rows.iter_mut().enumerate() {
            *row = up_to(e) & self.positions;
        }
        self.settled(Column {
            rows,
            before: [0; ROWS],
            last: OTHER,
            matched: false,
        })
    }

    fn is_match(&self, column: &Column) -> bool {
        column.matched || column.rows[usize::from(self.distance)] & self.whole != 0
    }

    fn can_match(&self, column: &Column) -> bool {
        column.matched || column.rows[usize::from(self.distance)] != 0
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
pub(super) mod tests {
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
    pub(in crate::search::typos) fn strings(alphabet: &[&str], len: usize) -> Vec<String> {
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
