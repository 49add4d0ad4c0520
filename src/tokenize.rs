//! Words: how gloss cuts text into tokens, for the index, for queries and for highlights.
//!
//! One word splitter ([`WordTokenizer`], Unicode word bounds) feeds two tantivy analyzers,
//! registered by name on every opened index: [`STEMMED`] (lowercase, ASCII folding, English
//! stemming) for ranking, and [`RAW`] (no stemming) for typo matching, because a misspelt word
//! does not stem like the right one. Compounds meet: `fine-tuning` also yields `finetuning`,
//! `ConfigMap` also yields `config` and `map`, so every spelling finds the same entry.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, Stemmer, TextAnalyzer, Token,
    TokenStream, Tokenizer,
};
use tantivy::Index;
use unicode_segmentation::UnicodeSegmentation;

/// Name of the stemmed analyzer (term, text and heading fields).
pub const STEMMED: &str = "gloss_stemmed";
/// Name of the unstemmed analyzer (typo-matching shadow fields).
pub const RAW: &str = "gloss_raw";

/// Longest token kept, in bytes; longer ones are base64, hashes or URLs, never search terms.
const MAX_TOKEN_BYTES: usize = 48;

/// Splits text on Unicode word bounds, adding joined tokens for hyphenated and camel-case
/// compounds at the position of their first part.
#[derive(Clone, Default)]
pub struct WordTokenizer {
    tokens: Vec<Token>,
}

/// The token stream of [`WordTokenizer`]: tokens computed up front.
pub struct WordTokenStream<'a> {
    tokens: &'a mut [Token],
    next: usize,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream<'a> {
        // Token strings are reused from call to call: tokenizing is most of indexing time.
        let mut len = 0;
        let tokens = &mut self.tokens;
        split_words(text, &mut |from, to, word, position| {
            if len == tokens.len() {
                tokens.push(Token::default());
            }
            let token = &mut tokens[len];
            token.offset_from = from;
            token.offset_to = to;
            token.position = position;
            token.position_length = 1;
            token.text.clear();
            token.text.push_str(word);
            len += 1;
        });
        WordTokenStream {
            tokens: &mut tokens[..len],
            next: 0,
        }
    }
}

impl TokenStream for WordTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

fn is_word(segment: &str) -> bool {
    segment.chars().any(char::is_alphanumeric)
}

fn is_hyphen(segment: &str) -> bool {
    matches!(segment, "-" | "\u{2010}" | "\u{2011}")
}

/// `LLM's`, `LLM’s` and `LLMs` index as `LLM`: the stemmer leaves vowel-less plurals alone.
fn strip_possessive(mut word: &str) -> &str {
    // Every trailing `'s`, not one, and `'S` too (`GPT'S` in capitals): a key analysed
    // again must come out the same.
    while let Some(stem) = ["'s", "'S", "\u{2019}s", "\u{2019}S"]
        .iter()
        .find_map(|p| word.strip_suffix(p))
        .filter(|w| !w.is_empty())
    {
        word = stem;
    }
    match word.strip_suffix('s') {
        Some(stem) if stem.len() >= 2 && stem.chars().all(|c| c.is_ascii_uppercase()) => stem,
        _ => word,
    }
}

/// Byte offsets where a camel-case word starts a new part (`ConfigMap` → `[0, 6]`).
fn camel_starts(word: &str) -> Vec<usize> {
    let mut starts = vec![0];
    let mut prev_lower = false;
    for (i, c) in word.char_indices() {
        if c.is_uppercase() && prev_lower {
            starts.push(i);
        }
        prev_lower = c.is_lowercase();
    }
    starts
}

/// Calls `emit(from, to, text, position)` for every token of `text`, compounds first.
fn split_words(text: &str, emit: &mut dyn FnMut(usize, usize, &str, usize)) {
    let segments: Vec<(usize, &str)> = text.split_word_bound_indices().collect();
    let mut position = 0;
    let mut i = 0;
    while i < segments.len() {
        if !is_word(segments[i].1) {
            i += 1;
            continue;
        }
        let mut chain = vec![i];
        let mut j = i;
        while j + 2 < segments.len() && is_hyphen(segments[j + 1].1) && is_word(segments[j + 2].1) {
            chain.push(j + 2);
            j += 2;
        }
        if chain.len() > 1 {
            let from = segments[i].0;
            let last = segments[j];
            let to = last.0 + strip_possessive(last.1).len();
            let joined: String = chain
                .iter()
                .map(|&k| strip_possessive(segments[k].1))
                .collect();
            emit(from, to, &joined, position);
        }
        for &k in &chain {
            let (offset, raw) = segments[k];
            let word = strip_possessive(raw);
            let starts = camel_starts(word);
            if starts.len() > 1 {
                emit(offset, offset + word.len(), word, position);
                for (n, &s) in starts.iter().enumerate() {
                    let e = starts.get(n + 1).copied().unwrap_or(word.len());
                    emit(offset + s, offset + e, &word[s..e], position);
                    position += 1;
                }
            } else {
                emit(offset, offset + word.len(), word, position);
                position += 1;
            }
        }
        i = j + 1;
    }
}

/// The unstemmed analyzer: words, lowercased and ASCII-folded.
pub fn raw_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        // Again: folding can give capitals (small-capital `ᴀᴘɪ` → `API`), and some letters
        // fold only once lowercased (`Å` the Angstrom sign → `å` → `a`).
        .filter(LowerCaser)
        .build()
}

/// The stemmed analyzer: [`raw_analyzer`] plus English stemming.
pub fn stemmed_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        // Again: folding can give capitals (small-capital `ᴀᴘɪ` → `API`), and some letters
        // fold only once lowercased (`Å` the Angstrom sign → `å` → `a`).
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Registers both analyzers on an index; call on every open, at index and at query time.
pub fn register(index: &Index) {
    let manager = index.tokenizers();
    manager.register(STEMMED, stemmed_analyzer());
    manager.register(RAW, raw_analyzer());
}

/// One word of a text, as the analyzers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Lowercased, ASCII-folded form.
    pub raw: String,
    /// Stemmed form of `raw`.
    pub stem: String,
    /// Byte range in the analysed text.
    pub start: usize,
    /// End of the byte range.
    pub end: usize,
    /// True for a joined compound (`finetuning` from `fine-tuning`), false for a plain word.
    pub compound: bool,
}

/// Both analyzers, for code outside tantivy that must cut words exactly as the index does.
pub struct Analyzer {
    raw: TextAnalyzer,
    stemmed: TextAnalyzer,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer {
            raw: raw_analyzer(),
            stemmed: stemmed_analyzer(),
        }
    }
}

impl Analyzer {
    /// Every token of `text`, compounds included, in order of position.
    pub fn words(&mut self, text: &str) -> Vec<Word> {
        let mut raw = Vec::new();
        let mut stream = self.raw.token_stream(text);
        while let Some(token) = stream.next() {
            raw.push(token.clone());
        }
        let mut stems = Vec::with_capacity(raw.len());
        let mut stream = self.stemmed.token_stream(text);
        while let Some(token) = stream.next() {
            stems.push(token.text.clone());
        }
        let mut words = Vec::with_capacity(raw.len());
        for (n, token) in raw.into_iter().enumerate() {
            words.push(Word {
                stem: stems.get(n).cloned().unwrap_or_else(|| token.text.clone()),
                raw: token.text,
                start: token.offset_from,
                end: token.offset_to,
                compound: false,
            });
        }
        mark_compounds(&mut words);
        words
    }

    /// The plain words of `text` (no compound tokens), as the user typed them.
    pub fn plain_words(&mut self, text: &str) -> Vec<Word> {
        self.words(text)
            .into_iter()
            .filter(|w| !w.compound)
            .collect()
    }

    /// The normalised key of a term: its words lowercased, folded, joined without separators
    /// and made singular, so `Fine-tuning`, `fine tuning` and `finetuning` share one key, and
    /// `LLMs` and `LLM` another. Full stemming would be too coarse here (`Tokenizer` and
    /// `Token` would collide).
    pub fn key(&mut self, term: &str) -> String {
        let joined: String = self
            .plain_words(term)
            .iter()
            .map(|w| w.raw.as_str())
            .collect();
        singular(&joined)
    }

    /// The stem of one lowercased word.
    pub fn stem(&mut self, word: &str) -> String {
        let mut stream = self.stemmed.token_stream(word);
        match stream.next() {
            Some(token) => token.text.clone(),
            None => word.to_string(),
        }
    }
}

/// English plural to singular, conservatively: `databases` → `database`, `policies` →
/// `policy`, `classes` → `class`; words ending in `ss`, `us`, `is` are left alone.
pub fn singular(word: &str) -> String {
    if word.len() > 4 {
        if let Some(stem) = word.strip_suffix("ies") {
            return format!("{stem}y");
        }
        for suffix in ["sses", "xes", "ches", "shes"] {
            if word.ends_with(suffix) {
                return word[..word.len() - 2].to_string();
            }
        }
    }
    // Only a letter before the `s` makes a plural (`aa.s` and `31m's` are not).
    if word.len() > 3
        && word.ends_with('s')
        && word[..word.len() - 1].ends_with(char::is_alphabetic)
        && !word.ends_with("ss")
        && !word.ends_with("us")
        && !word.ends_with("is")
    {
        return word[..word.len() - 1].to_string();
    }
    word.to_string()
}

/// A token whose range strictly contains the following token's start is a compound.
fn mark_compounds(words: &mut [Word]) {
    for n in 0..words.len() {
        if let Some(next) = words.get(n + 1) {
            if next.start == words[n].start && next.end < words[n].end {
                words[n].compound = true;
            }
        }
    }
}

/// Typo budget for a word of `len` characters: none up to 4, one up to 8, two beyond.
pub fn typo_budget(len: usize) -> u8 {
    match len {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raws(text: &str) -> Vec<String> {
        Analyzer::default()
            .words(text)
            .into_iter()
            .map(|w| w.raw)
            .collect()
    }

    #[test]
    fn hyphenated_words_also_give_the_joined_compound() {
        assert_eq!(raws("Fine-tuning"), ["finetuning", "fine", "tuning"]);
    }

    #[test]
    fn camel_case_gives_parts_and_whole() {
        assert_eq!(raws("a ConfigMap"), ["a", "configmap", "config", "map"]);
    }

    #[test]
    fn acronym_plural_is_not_split_and_loses_its_s() {
        assert_eq!(raws("LLMs"), ["llm"]);
        assert_eq!(raws("llms"), ["llms"]);
    }

    #[test]
    fn keys_meet_across_spellings() {
        let mut a = Analyzer::default();
        let k = a.key("Fine-tuning");
        assert_eq!(a.key("fine tuning"), k);
        assert_eq!(a.key("finetuning"), k);
        assert_eq!(a.key("FINE-TUNING"), k);
        assert_eq!(a.key("LLMs"), a.key("LLM"));
        assert_eq!(a.key("self attention"), a.key("Self-Attention"));
        assert_eq!(a.key("config map"), a.key("ConfigMap"));
        assert_eq!(a.key("tokens"), a.key("Token"));
        assert_ne!(a.key("Tokenizer"), a.key("Token"));
        assert_eq!(a.key("vector databases"), a.key("Vector database"));
        assert_eq!(a.key("policies"), "policy");
        assert_eq!(a.key("bias"), a.key("bias"));
    }

    #[test]
    fn possessive_is_dropped_and_accents_fold() {
        assert_eq!(raws("the LLM's café"), ["the", "llm", "cafe"]);
    }

    #[test]
    fn folding_never_leaves_capitals() {
        assert_eq!(raws("\u{1d00}\u{1d18}\u{26a} \u{a7fb}"), ["api", "f"]);
    }

    #[test]
    fn keys_are_stable_when_analysed_again() {
        let mut a = Analyzer::default();
        for s in [
            "a's's",
            "\u{1b}[31m's's",
            "aA.S",
            "\u{a7fb}",
            "\u{212b}",
            "\u{a7aa}",
            "x'S",
        ] {
            let k = a.key(s);
            assert_eq!(a.key(&k), k, "{s:?}");
        }
    }

    #[test]
    fn compound_flag_marks_joined_tokens() {
        let words = Analyzer::default().words("self-attention works");
        let flags: Vec<bool> = words.iter().map(|w| w.compound).collect();
        assert_eq!(flags, [true, false, false, false]);
    }

    #[test]
    fn typo_budget_follows_word_length() {
        assert_eq!(typo_budget(4), 0);
        assert_eq!(typo_budget(5), 1);
        assert_eq!(typo_budget(8), 1);
        assert_eq!(typo_budget(9), 2);
    }
}
