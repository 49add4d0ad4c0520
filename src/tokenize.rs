//! Words: how gloss cuts text into tokens, for the index, for queries and for highlights.
//!
//! One word splitter ([`WordTokenizer`], Unicode word bounds) feeds two tantivy analyzers,
//! registered by name on every opened index: [`STEMMED`] (lowercase, ASCII folding, English
//! stemming) for ranking, and [`RAW`] (no stemming) for typo matching, because a misspelt word
//! does not stem like the right one. Compounds meet: `fine-tuning` also yields `finetuning`,
//! `ConfigMap` also yields `config` and `map`, so every spelling finds the same entry.

use std::collections::HashMap;

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, Stemmer, TextAnalyzer, Token,
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

/// Longest text whose tokens a tokenizer keeps for the same text again.
const MEMO_BYTES: usize = 512;

/// Distinct words whose stems one tokenizer remembers before it starts afresh.
const STEM_CACHE_WORDS: usize = 1 << 16;

/// Distinct words whose stems the process shares between tokenizers before it starts afresh.
const SHARED_STEM_WORDS: usize = 1 << 18;

/// Slots of a stem cache's hot table (a power of two): 256 KB, small enough to stay in the
/// CPU's cache where the whole table does not.
const HOT_STEM_SLOTS: usize = 1 << 13;

/// Distinct words a stem cache learns before it sets up its hot table (a query never does).
const HOT_AFTER_WORDS: usize = 1 << 10;

/// Distinct words too long for the stem table ([`Inline`]) whose stems one stem cache
/// remembers before it starts afresh.
const LONG_STEM_WORDS: usize = 1 << 12;

/// Splits text on Unicode word bounds, adding joined tokens for hyphenated and camel-case
/// compounds at the position of their first part; then, in the same pass, drops tokens of
/// [`MAX_TOKEN_BYTES`] or more, lowercases and ASCII-folds them and (for [`STEMMED`])
/// stems them. One pass instead of a chain of four filters: tokenizing is most of indexing
/// time. Each indexing thread has its own clone, so its own stem cache.
///
/// The tokens of the last short text are kept: the same text again (the heading path that
/// all entries of a section share, analysed once per entry) gets them without being cut
/// again, unless a consumer changed them.
#[derive(Clone)]
pub struct WordTokenizer {
    tokens: Vec<Token>,
    /// The last text, whose tokens are the first `memo_len` of `tokens`, when `memo_valid`.
    memo: String,
    memo_len: usize,
    memo_valid: bool,
    scratch: Scratch,
    /// Lowercase, fold, lowercase again: tantivy's filters, for words that are not ASCII.
    fold: TextAnalyzer,
    /// Stemmed forms already computed, when stemming.
    stems: Option<StemCache>,
}

/// Buffers reused from text to text.
#[derive(Clone, Default)]
struct Scratch {
    segments: Vec<(usize, usize)>,
    chain: Vec<(usize, usize)>,
    starts: Vec<usize>,
    joined: String,
}

/// English stems of lowercased words, remembered: most words of a text were seen before.
/// Words and stems are kept inline (no pointer to follow on a lookup: the table is bigger
/// than the cache, and a second miss per token cost more than stemming saved). A stem is
/// kept as what it changes in its word: a stem is nearly always the start of its word,
/// sometimes with a letter or two after it (`happy` → `happi`).
///
/// In front of the table, once it holds enough words, a small direct-mapped hot table of
/// the words met last: a lookup in the big table misses the CPU's cache twice (control
/// bytes, then the slot), and most tokens are the same few thousand words.
#[derive(Clone)]
struct StemCache {
    stemmer: TextAnalyzer,
    known: Stems,
    /// Stems of words of 24 bytes or more (identifiers, mostly: MDN's notes stem ~40k of
    /// them, each ~4,000 instructions in the stemmer), by word.
    long: HashMap<String, String, rustc_hash::FxBuildHasher>,
    /// Empty until [`HOT_AFTER_WORDS`] words are known, then [`HOT_STEM_SLOTS`] slots.
    hot: Vec<(Inline, Edit)>,
}

/// A stem as an edit of its word: keep the word's first `.0[0]` bytes, then append the
/// `.0[1]` bytes that follow.
#[derive(Clone, Copy)]
struct Edit([u8; 8]);

impl Edit {
    /// The edit that turns `word` into `stem`, when its tail fits.
    fn new(word: &str, stem: &str) -> Option<Edit> {
        let mut keep = word
            .bytes()
            .zip(stem.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        while !stem.is_char_boundary(keep) {
            keep -= 1;
        }
        let tail = &stem.as_bytes()[keep..];
        let mut bytes = [0u8; 8];
        bytes[0] = u8::try_from(keep).ok()?;
        bytes[1] = u8::try_from(tail.len()).ok().filter(|&n| n <= 6)?;
        bytes[2..2 + tail.len()].copy_from_slice(tail);
        Some(Edit(bytes))
    }

    /// Appends the stem of `word` to `out`.
    #[inline(always)]
    fn write(&self, word: &str, out: &mut String) {
        let keep = usize::from(self.0[0]);
        out.push_str(word.get(..keep).unwrap_or(word));
        self.push_tail(out);
    }

    /// Appends what the stem has after the part of its word it keeps.
    #[inline(always)]
    fn push_tail(&self, out: &mut String) {
        if self.0[1] == 0 {
            return;
        }
        let tail = &self.0[2..2 + usize::from(self.0[1])];
        if let Ok(tail) = std::str::from_utf8(tail) {
            out.push_str(tail);
        }
    }

    /// Turns the word into its stem.
    #[inline]
    fn apply(&self, word: &mut String) {
        word.truncate(usize::from(self.0[0]));
        self.push_tail(word);
    }
}

type Stems = HashMap<Inline, Edit, rustc_hash::FxBuildHasher>;

/// Stems computed by any tokenizer of the process: each tokenizer (one per field and
/// indexing thread) asks here before stemming a word it has not seen, so a word is stemmed
/// once per process instead of once per field and thread.
static SHARED_STEMS: std::sync::LazyLock<std::sync::Mutex<Stems>> =
    std::sync::LazyLock::new(Default::default);

/// The shared stem of `key`, if any tokenizer computed it.
fn shared_stem(key: &Inline) -> Option<Edit> {
    SHARED_STEMS.lock().ok()?.get(key).copied()
}

/// Shares a computed stem with the other tokenizers.
fn share_stem(key: Inline, edit: Edit) {
    if let Ok(mut shared) = SHARED_STEMS.lock() {
        if shared.len() >= SHARED_STEM_WORDS {
            shared.clear();
        }
        shared.insert(key, edit);
    }
}

/// A short string stored in place: its length, then its bytes, as three little-endian
/// machine words. Made from the string's bytes in registers: a key written to memory byte
/// by byte and read back a word at a time stalls the CPU (no store forwarding).
#[derive(Clone, Copy, Eq)]
struct Inline([u64; 3]);

/// Word by word in registers (a vector compare would read the key back from memory).
impl PartialEq for Inline {
    fn eq(&self, other: &Inline) -> bool {
        let [a, b, c] = self.0;
        let [x, y, z] = other.0;
        ((a ^ x) | (b ^ y) | (c ^ z)) == 0
    }
}

/// Three machine words to hash, not a slice with its length (the derived hash of an array).
impl std::hash::Hash for Inline {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for &word in &self.0 {
            state.write_u64(word);
        }
    }
}

/// The bytes of `b` (at most 8) as a little-endian word, zero above: two overlapping loads
/// at most, no copy through memory.
fn le_word(b: &[u8]) -> u64 {
    let n = b.len();
    let two = |at: usize| u64::from(u16::from_le_bytes([b[at], b[at + 1]]));
    let four = |at: usize| u64::from(u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]));
    match n {
        0 => 0,
        1 => u64::from(b[0]),
        2..=3 => two(0) | two(n - 2) << (8 * (n - 2)),
        4..=7 => four(0) | four(n - 4) << (8 * (n - 4)),
        _ => u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
    }
}

impl Inline {
    #[inline(always)]
    fn new(s: &str) -> Option<Inline> {
        let b = s.as_bytes();
        let len = b.len();
        if len >= 24 {
            return None;
        }
        // Most words fit the first machine word; a longer one has its first 8 bytes read
        // at once (shifted, its 8th byte drops out), and its rest after them.
        let head = |b: &[u8]| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
        let words = match len {
            0..=7 => [le_word(b), 0, 0],
            8..=15 => [head(b) << 8 >> 8, le_word(&b[7..]), 0],
            _ => [head(b) << 8 >> 8, head(&b[7..]), le_word(&b[15..])],
        };
        Some(Inline([len as u64 | words[0] << 8, words[1], words[2]]))
    }

    /// [`Inline::new`] as it was first written, for the test that checks the quicker one.
    #[cfg(test)]
    fn by_parts(s: &str) -> Option<Inline> {
        let b = s.as_bytes();
        let len = b.len();
        if len >= 24 {
            return None;
        }
        let part = |from: usize, to: usize| le_word(&b[from.min(len)..to.min(len)]);
        Some(Inline([
            len as u64 | part(0, 7) << 8,
            part(7, 15),
            part(15, 23),
        ]))
    }

    /// Its slot in a hot table of [`HOT_STEM_SLOTS`]: a multiplicative hash of its three
    /// words, top bits.
    fn slot(&self) -> usize {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        let h = self
            .0
            .iter()
            .fold(0u64, |h, &w| (h.rotate_left(5) ^ w).wrapping_mul(K));
        (h >> (64 - HOT_STEM_SLOTS.trailing_zeros())) as usize
    }
}

impl StemCache {
    fn new() -> Self {
        StemCache {
            stemmer: TextAnalyzer::builder(RawTokenizer::default())
                .filter(Stemmer::new(Language::English))
                .build(),
            known: HashMap::default(),
            long: HashMap::default(),
            hot: Vec::new(),
        }
    }

    /// Replaces `word` by its stem.
    fn stem(&mut self, word: &mut String) {
        // The English stemmer leaves a word of fewer than three letters as it is (`a`, `of`,
        // `is`: a quarter of the tokens of English text), so no table is asked.
        if word.len() < 3 {
            return;
        }
        let Some(key) = Inline::new(word) else {
            return self.stem_long(word);
        };
        self.stem_keyed(key, word);
    }

    /// [`StemCache::stem`] of a word too long for [`Inline`].
    #[cold]
    fn stem_long(&mut self, word: &mut String) {
        if let Some(stem) = self.long.get(word.as_str()) {
            word.clone_from(stem);
            return;
        }
        let stem = self.stemmer.token_stream(word.as_str()).next().cloned();
        if let Some(stem) = stem {
            if self.long.len() >= LONG_STEM_WORDS {
                self.long.clear();
            }
            self.long.insert(word.clone(), stem.text.clone());
            *word = stem.text;
        }
    }

    /// `out` made the stem of `word` (as `out = word` then [`StemCache::stem`]): a word
    /// met lately is looked up from its own bytes, and only the part of it its stem keeps
    /// is copied.
    #[inline(always)]
    fn stem_into(&mut self, word: &str, out: &mut String) {
        out.clear();
        let key = match Inline::new(word) {
            Some(key) if word.len() >= 3 => key,
            _ => {
                out.push_str(word);
                return self.stem(out);
            }
        };
        if !self.hot.is_empty() {
            let (hot_key, edit) = &self.hot[key.slot()];
            if *hot_key == key {
                return edit.write(word, out);
            }
        }
        out.push_str(word);
        self.stem_keyed(key, out);
    }

    /// [`StemCache::stem`] of a word of three bytes or more, whose key is `key`.
    fn stem_keyed(&mut self, key: Inline, word: &mut String) {
        let slot = if self.hot.is_empty() {
            None
        } else {
            Some(key.slot())
        };
        if let Some((hot_key, edit)) = slot.map(|s| &self.hot[s]) {
            if *hot_key == key {
                return edit.apply(word);
            }
        }
        let edit = match self.known.get(&key) {
            Some(edit) => *edit,
            None => match self.learn(key, word) {
                Some(edit) => edit,
                None => return,
            },
        };
        match slot {
            Some(s) => self.hot[s] = (key, edit),
            None if self.known.len() >= HOT_AFTER_WORDS => {
                self.hot = vec![(Inline([0; 3]), Edit([0; 8])); HOT_STEM_SLOTS];
            }
            None => {}
        }
        edit.apply(word);
    }

    /// The edit that stems a word this cache has not seen: shared by another tokenizer,
    /// else computed (and shared). None when there is nothing to keep: `word` is then
    /// already its stem.
    fn learn(&mut self, key: Inline, word: &mut String) -> Option<Edit> {
        let edit = match shared_stem(&key) {
            Some(edit) => edit,
            None => {
                let stem = self
                    .stemmer
                    .token_stream(word.as_str())
                    .next()?
                    .text
                    .clone();
                let Some(edit) = Edit::new(word, &stem) else {
                    *word = stem;
                    return None;
                };
                share_stem(key, edit);
                edit
            }
        };
        if self.known.len() >= STEM_CACHE_WORDS {
            self.known.clear();
        }
        self.known.insert(key, edit);
        Some(edit)
    }
}

impl WordTokenizer {
    fn new(stem: bool) -> Self {
        WordTokenizer {
            tokens: Vec::new(),
            memo: String::new(),
            memo_len: 0,
            memo_valid: false,
            scratch: Scratch::default(),
            fold: TextAnalyzer::builder(RawTokenizer::default())
                .filter(LowerCaser)
                .filter(AsciiFoldingFilter)
                // Again: folding can give capitals (small-capital `ᴀᴘɪ` → `API`), and some
                // letters fold only once lowercased (`Å` the Angstrom sign → `å` → `a`).
                .filter(LowerCaser)
                .build(),
            stems: stem.then(StemCache::new),
        }
    }

    /// Keeps `text` as the text whose tokens are the first `len`, when it is short.
    fn remember(&mut self, text: &str, len: usize) {
        self.memo_len = len;
        self.memo_valid = text.len() <= MEMO_BYTES;
        self.memo.clear();
        if self.memo_valid {
            self.memo.push_str(text);
        }
    }

    /// Lowercased, folded (and stemmed) form of one word, into `out`; `case` says what is
    /// known of it already (it is then not checked again).
    fn normalise(&mut self, word: &str, case: Case, out: &mut String) {
        debug_assert!(
            match case {
                Case::Unknown => true,
                Case::Ascii => word.is_ascii(),
                Case::Lower => word.is_ascii() && !word.bytes().any(|b| b.is_ascii_uppercase()),
            },
            "{word:?} {case:?}"
        );
        if case == Case::Lower {
            match &mut self.stems {
                Some(stems) => stems.stem_into(word, out),
                None => {
                    out.clear();
                    out.push_str(word);
                }
            }
            return;
        }
        out.clear();
        if case == Case::Ascii || word.is_ascii() {
            out.push_str(word);
            out.make_ascii_lowercase();
        } else if let Some(token) = self.fold.token_stream(word).next() {
            out.push_str(&token.text);
        }
        if let Some(stems) = &mut self.stems {
            stems.stem(out);
        }
    }
}

/// The token stream of [`WordTokenizer`]: tokens computed up front.
pub struct WordTokenStream<'a> {
    tokens: &'a mut [Token],
    next: usize,
    /// Whether the tokenizer's memo holds; dropped when a token is changed.
    memo_valid: Option<&'a mut bool>,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream<'a> {
        if self.memo_valid && self.memo == text {
            return WordTokenStream {
                tokens: &mut self.tokens[..self.memo_len],
                next: 0,
                memo_valid: Some(&mut self.memo_valid),
            };
        }
        // Token strings are reused from call to call.
        let mut tokens = std::mem::take(&mut self.tokens);
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut len = 0;
        split_words(text, &mut scratch, &mut |from, to, word, position, case| {
            if word.len() >= MAX_TOKEN_BYTES {
                return;
            }
            if len == tokens.len() {
                tokens.push(Token::default());
            }
            let token = &mut tokens[len];
            token.offset_from = from;
            token.offset_to = to;
            token.position = position;
            token.position_length = 1;
            self.normalise(word, case, &mut token.text);
            len += 1;
        });
        self.tokens = tokens;
        self.scratch = scratch;
        self.remember(text, len);
        WordTokenStream {
            tokens: &mut self.tokens[..len],
            next: 0,
            memo_valid: Some(&mut self.memo_valid),
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
        if let Some(valid) = self.memo_valid.as_deref_mut() {
            *valid = false;
        }
        &mut self.tokens[self.next - 1]
    }
}

fn is_word(segment: &str) -> bool {
    if segment.is_ascii() {
        segment.bytes().any(|b| b.is_ascii_alphanumeric())
    } else {
        segment.chars().any(char::is_alphanumeric)
    }
}

fn is_hyphen(segment: &str) -> bool {
    matches!(segment, "-" | "\u{2010}" | "\u{2011}")
}

/// `LLM's`, `LLM’s` and `LLMs` index as `LLM`: the stemmer leaves vowel-less plurals alone.
#[inline]
fn strip_possessive(word: &str) -> &str {
    // Every form below ends in `s` or `S`; most words do not.
    if !matches!(word.as_bytes().last(), Some(b's' | b'S')) {
        return word;
    }
    strip_possessive_s(word)
}

/// [`strip_possessive`] of a word that ends in `s` or `S`.
fn strip_possessive_s(mut word: &str) -> &str {
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

/// Byte offsets where a camel-case word starts a new part (`ConfigMap` → `[0, 6]`), into
/// `starts`; `ascii` when the word is known to be ASCII.
fn camel_starts(word: &str, ascii: bool, starts: &mut Vec<usize>) {
    starts.clear();
    starts.push(0);
    if ascii || word.is_ascii() {
        let bytes = word.as_bytes();
        for i in 1..bytes.len() {
            if bytes[i].is_ascii_uppercase() && bytes[i - 1].is_ascii_lowercase() {
                starts.push(i);
            }
        }
        return;
    }
    let mut prev_lower = false;
    for (i, c) in word.char_indices() {
        if c.is_uppercase() && prev_lower {
            starts.push(i);
        }
        prev_lower = c.is_lowercase();
    }
}

/// Word-break class of an ASCII byte (Unicode annex 29).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wb {
    Letter,
    Numeric,
    /// `_`
    ExtendNumLet,
    /// `.` and `'`: join letters to letters and digits to digits.
    MidNumLet,
    /// `:`: joins letters.
    MidLetter,
    /// `,` and `;`: join digits.
    MidNum,
    Cr,
    Lf,
    /// Vertical tab, form feed.
    Newline,
    Space,
    Other,
}

/// [`Wb`] of every byte: one load per byte in the hot loop instead of a match.
static WB: [Wb; 256] = {
    let mut table = [Wb::Other; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            b'a'..=b'z' | b'A'..=b'Z' => Wb::Letter,
            b'0'..=b'9' => Wb::Numeric,
            b'_' => Wb::ExtendNumLet,
            b'.' | b'\'' => Wb::MidNumLet,
            b':' => Wb::MidLetter,
            b',' | b';' => Wb::MidNum,
            b'\r' => Wb::Cr,
            b'\n' => Wb::Lf,
            0x0b | 0x0c => Wb::Newline,
            b' ' => Wb::Space,
            _ => Wb::Other,
        };
        b += 1;
    }
    table
};

/// The end of the segment of ASCII `bytes` that starts at `i` (annex 29 rules for ASCII):
/// what [`word_segment`] and [`ascii_piece`] follow, kept for the tests that check them.
#[cfg(test)]
fn ascii_segment_end(bytes: &[u8], i: usize) -> usize {
    use Wb::*;
    let class = |k: usize| bytes.get(k).map_or(Other, |&b| WB[usize::from(b)]);
    match class(i) {
        Letter | Numeric | ExtendNumLet => {
            // Letters, digits and `_` all join; `.` `'` `:` join letters to letters, and
            // `.` `'` `,` `;` digits to digits.
            let mut j = i + 1;
            loop {
                match class(j) {
                    Letter | Numeric | ExtendNumLet => j += 1,
                    mid @ (MidLetter | MidNumLet | MidNum) => {
                        match (class(j - 1), mid, class(j + 1)) {
                            (Letter, MidLetter | MidNumLet, Letter)
                            | (Numeric, MidNum | MidNumLet, Numeric) => j += 2,
                            _ => return j,
                        }
                    }
                    _ => return j,
                }
            }
        }
        Space => {
            let mut j = i + 1;
            while class(j) == Space {
                j += 1;
            }
            j
        }
        Cr if class(i + 1) == Lf => i + 2,
        _ => i + 1,
    }
}

/// What is known of a token's text when it is cut: nothing, that it is ASCII, or that it
/// is ASCII without capitals (most words: then it is not lowercased again).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Case {
    Unknown,
    Ascii,
    Lower,
}

// Where the functions below send each token: `emit(from, to, text, position, case)`, a
// generic closure, not a `dyn` one: it is called for every token, and inlined.

/// Calls `emit(from, to, text, position)` for every token of `text`, compounds first.
/// Annex 29 always breaks before a space that follows something else, and no token or
/// compound spans a space, so the text is cut there into pieces: the ASCII pieces (most
/// of them) are cut by a table of the ASCII rules as they are read, the others through
/// `unicode_segmentation`'s word-bound segments. An ASCII text is read whole: the ASCII
/// rules never join anything to a space, so they cut it where its pieces would end.
fn split_words(
    text: &str,
    scratch: &mut Scratch,
    emit: &mut impl FnMut(usize, usize, &str, usize, Case),
) {
    let bytes = text.as_bytes();
    let mut position = 0;
    if bytes.is_ascii() {
        ascii_piece(text, 0..bytes.len(), scratch, &mut position, emit);
        return;
    }
    for piece in space_pieces(text) {
        if bytes[piece.clone()].is_ascii() {
            ascii_piece(text, piece, scratch, &mut position, emit);
        } else {
            unicode_piece(text, piece, scratch, &mut position, emit);
        }
    }
}

/// The byte ranges `text` is cut into before each space that follows something else:
/// Annex 29 always breaks there, and no token or compound spans such a cut.
pub(crate) fn space_pieces(text: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let mut start = 0;
    (1..=bytes.len()).filter_map(move |end| {
        if end < bytes.len() && !(bytes[end] == b' ' && bytes[end - 1] != b' ') {
            return None;
        }
        let piece = start..end;
        start = end;
        Some(piece)
    })
}

/// Bits of [`ASCII_BITS`]: a byte that a word segment goes on through (a letter, a digit,
/// `_`); a letter or a digit; a capital.
const WORD_BYTE: u8 = 1;
const ALNUM: u8 = 2;
const UPPER: u8 = 4;

/// What a word segment needs to know of each ASCII byte, in one load.
static ASCII_BITS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            b'A'..=b'Z' => WORD_BYTE | ALNUM | UPPER,
            b'a'..=b'z' | b'0'..=b'9' => WORD_BYTE | ALNUM,
            b'_' => WORD_BYTE,
            _ => 0,
        };
        b += 1;
    }
    table
};

/// The end of the word segment of ASCII `bytes` that starts at `i` (a letter, a digit or
/// `_`), where [`ascii_segment_end`] ends it, and the [`ASCII_BITS`] of its bytes or'ed:
/// one pass, where cutting the segment, asking whether it holds a letter or digit and
/// whether it holds a capital were three.
#[inline]
fn word_segment(bytes: &[u8], i: usize) -> (usize, u8) {
    use Wb::*;
    let mut bits = 0;
    let mut j = i;
    loop {
        while let Some(&b) = bytes.get(j) {
            let b = ASCII_BITS[usize::from(b)];
            if b & WORD_BYTE == 0 {
                break;
            }
            bits |= b;
            j += 1;
        }
        // `.` `'` `:` join letters to letters, and `.` `'` `,` `;` digits to digits; `j`
        // is past the segment's first byte.
        let (Some(&mid), Some(&next)) = (bytes.get(j), bytes.get(j + 1)) else {
            return (j, bits);
        };
        let class = |b: u8| WB[usize::from(b)];
        match (class(bytes[j - 1]), class(mid), class(next)) {
            (Letter, MidLetter | MidNumLet, Letter) | (Numeric, MidNum | MidNumLet, Numeric) => {
                bits |= ASCII_BITS[usize::from(next)];
                j += 2;
            }
            _ => return (j, bits),
        }
    }
}

/// The tokens of an ASCII piece of `text`: each word segment, with the words joined to
/// it by hyphens (`-` is a segment of its own), goes to [`emit_chain`]; a word alone (most
/// of them) straight to [`emit_word`].
fn ascii_piece(
    text: &str,
    piece: std::ops::Range<usize>,
    scratch: &mut Scratch,
    position: &mut usize,
    emit: &mut impl FnMut(usize, usize, &str, usize, Case),
) {
    let base = piece.start;
    let bytes = &text.as_bytes()[piece];
    let starts_word = |at: usize| {
        bytes
            .get(at)
            .is_some_and(|&b| ASCII_BITS[usize::from(b)] & WORD_BYTE != 0)
    };
    let mut i = 0;
    while i < bytes.len() {
        // Only a letter, a digit or `_` starts a segment that can be a word; the others
        // (spaces, CR LF, punctuation) are never words.
        if !starts_word(i) {
            i += 1;
            continue;
        }
        let (to, bits) = word_segment(bytes, i);
        if bits & ALNUM == 0 {
            i = to;
            continue;
        }
        let hyphen = bytes.get(to) == Some(&b'-') && to + 1 < bytes.len() && starts_word(to + 1);
        if !hyphen {
            let upper = bits & UPPER != 0;
            emit_word(
                text,
                (base + i, base + to),
                Some(upper),
                scratch,
                position,
                emit,
            );
            i = to;
            continue;
        }
        scratch.chain.clear();
        scratch.chain.push((base + i, base + to));
        let mut last = to;
        while bytes.get(last) == Some(&b'-') && last + 1 < bytes.len() && starts_word(last + 1) {
            let (next, bits) = word_segment(bytes, last + 1);
            if bits & ALNUM == 0 {
                break;
            }
            scratch.chain.push((base + last + 1, base + next));
            last = next;
        }
        emit_chain(text, scratch, position, true, emit);
        i = last;
    }
}

/// The tokens of a piece of `text` that is not all ASCII, from its word-bound segments.
fn unicode_piece(
    text: &str,
    piece: std::ops::Range<usize>,
    scratch: &mut Scratch,
    position: &mut usize,
    emit: &mut impl FnMut(usize, usize, &str, usize, Case),
) {
    let base = piece.start;
    let mut segments = std::mem::take(&mut scratch.segments);
    segments.clear();
    segments.extend(
        text[piece]
            .split_word_bound_indices()
            .map(|(at, s)| (base + at, base + at + s.len())),
    );
    let seg = |k: usize| &text[segments[k].0..segments[k].1];
    let mut i = 0;
    while i < segments.len() {
        if !is_word(seg(i)) {
            i += 1;
            continue;
        }
        scratch.chain.clear();
        scratch.chain.push(segments[i]);
        let mut j = i;
        while j + 2 < segments.len() && is_hyphen(seg(j + 1)) && is_word(seg(j + 2)) {
            scratch.chain.push(segments[j + 2]);
            j += 2;
        }
        emit_chain(text, scratch, position, false, emit);
        i = j + 1;
    }
    scratch.segments = segments;
}

/// The tokens of one chain of words joined by hyphens (`scratch.chain`, byte ranges of
/// `text`): the joined compound when there are several words, then each word
/// ([`emit_word`]).
fn emit_chain(
    text: &str,
    scratch: &mut Scratch,
    position: &mut usize,
    ascii: bool,
    emit: &mut impl FnMut(usize, usize, &str, usize, Case),
) {
    let known = if ascii { Case::Ascii } else { Case::Unknown };
    let chain = std::mem::take(&mut scratch.chain);
    if let [(from, _), .., (last_from, last_to)] = chain[..] {
        let to = last_from + strip_possessive(&text[last_from..last_to]).len();
        let joined = &mut scratch.joined;
        joined.clear();
        for &(a, b) in chain.iter() {
            joined.push_str(strip_possessive(&text[a..b]));
        }
        emit(from, to, joined, *position, known);
    }
    for &word in chain.iter() {
        // Whether an ASCII word has capitals is asked of the word itself.
        let upper = ascii.then_some(true);
        emit_word(text, word, upper, scratch, position, emit);
    }
    scratch.chain = chain;
}

/// The tokens of one word (`text[from..to]`, its possessive dropped): the word, then its
/// camel-case parts when it has several. `upper` is `None` when the word is not ASCII,
/// else whether it may have capitals (`Some(false)`: it has none, so it has no camel-case
/// parts and is its own lowercase).
#[inline(always)]
fn emit_word(
    text: &str,
    (offset, end): (usize, usize),
    upper: Option<bool>,
    scratch: &mut Scratch,
    position: &mut usize,
    emit: &mut impl FnMut(usize, usize, &str, usize, Case),
) {
    let word = strip_possessive(&text[offset..end]);
    let ascii = upper.is_some();
    if upper == Some(false) || (ascii && !word.bytes().any(|b| b.is_ascii_uppercase())) {
        emit(offset, offset + word.len(), word, *position, Case::Lower);
        *position += 1;
        return;
    }
    let known = if ascii { Case::Ascii } else { Case::Unknown };
    let starts = &mut scratch.starts;
    camel_starts(word, ascii, starts);
    if starts.len() > 1 {
        emit(offset, offset + word.len(), word, *position, known);
        for (n, &s) in starts.iter().enumerate() {
            let e = starts.get(n + 1).copied().unwrap_or(word.len());
            emit(offset + s, offset + e, &word[s..e], *position, known);
            *position += 1;
        }
    } else {
        emit(offset, offset + word.len(), word, *position, known);
        *position += 1;
    }
}

/// The unstemmed analyzer: words, lowercased and ASCII-folded.
pub fn raw_analyzer() -> TextAnalyzer {
    TextAnalyzer::from(WordTokenizer::new(false))
}

/// The stemmed analyzer: [`raw_analyzer`] plus English stemming.
pub fn stemmed_analyzer() -> TextAnalyzer {
    TextAnalyzer::from(WordTokenizer::new(true))
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
/// Text is cut once: a word's stem is the stem of its unstemmed token, which is what the
/// stemmed analyzer computes (same split, same normalisation, then the stemmer).
pub struct Analyzer {
    raw: WordTokenizer,
    stems: StemCache,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer {
            raw: WordTokenizer::new(false),
            stems: StemCache::new(),
        }
    }
}

impl Analyzer {
    /// Every token of `text`, compounds included, in order of position.
    pub fn words(&mut self, text: &str) -> Vec<Word> {
        let mut words = self.unstemmed_words(text);
        for word in &mut words {
            self.stem_token(word);
        }
        words
    }

    /// [`Analyzer::words`] without stems (`stem` is empty): for callers that need the stem
    /// of few of the words, through [`Analyzer::stem_token`].
    pub fn unstemmed_words(&mut self, text: &str) -> Vec<Word> {
        let mut stream = self.raw.token_stream(text);
        let mut words = Vec::with_capacity(stream.tokens.len());
        while stream.advance() {
            let token = stream.token();
            words.push(Word {
                raw: token.text.clone(),
                stem: String::new(),
                start: token.offset_from,
                end: token.offset_to,
                compound: false,
            });
        }
        mark_compounds(&mut words);
        words
    }

    /// Sets the stem of a word of [`Analyzer::unstemmed_words`], as [`Analyzer::words`]
    /// would have.
    pub fn stem_token(&mut self, word: &mut Word) {
        if word.stem.is_empty() {
            word.stem.clone_from(&word.raw);
            self.stems.stem(&mut word.stem);
        }
    }

    /// The plain words of `text` (no compound tokens), as the user typed them.
    pub fn plain_words(&mut self, text: &str) -> Vec<Word> {
        let mut words = self.words(text);
        words.retain(|w| !w.compound);
        words
    }

    /// [`Analyzer::plain_words`] into the first words of `out`, reusing their strings;
    /// returns how many. Words past that count are left over from earlier texts.
    pub fn plain_words_into(&mut self, text: &str, out: &mut Vec<Word>) -> usize {
        let stream = self.raw.token_stream(text);
        let tokens: &[Token] = stream.tokens;
        let mut len = 0;
        for (n, token) in tokens.iter().enumerate() {
            let compound = tokens.get(n + 1).is_some_and(|next| {
                next.offset_from == token.offset_from && next.offset_to < token.offset_to
            });
            if compound {
                continue;
            }
            if len == out.len() {
                out.push(Word {
                    raw: String::new(),
                    stem: String::new(),
                    start: 0,
                    end: 0,
                    compound: false,
                });
            }
            let word = &mut out[len];
            word.raw.clear();
            word.raw.push_str(&token.text);
            self.stems.stem_into(&token.text, &mut word.stem);
            word.start = token.offset_from;
            word.end = token.offset_to;
            len += 1;
        }
        len
    }

    /// The normalised key of a term: its words lowercased, folded, joined without separators
    /// and made singular, so `Fine-tuning`, `fine tuning` and `finetuning` share one key, and
    /// `LLMs` and `LLM` another. Full stemming would be too coarse here (`Tokenizer` and
    /// `Token` would collide).
    pub fn key(&mut self, term: &str) -> String {
        // Only the unstemmed plain tokens: no stem is looked up.
        let stream = self.raw.token_stream(term);
        let tokens: &[Token] = stream.tokens;
        let mut joined = String::new();
        for (n, token) in tokens.iter().enumerate() {
            let compound = tokens.get(n + 1).is_some_and(|next| {
                next.offset_from == token.offset_from && next.offset_to < token.offset_to
            });
            if !compound {
                joined.push_str(&token.text);
            }
        }
        singular(&joined)
    }

    /// The stem of one lowercased word.
    pub fn stem(&mut self, word: &str) -> String {
        let mut stream = self.raw.token_stream(word);
        match stream.next() {
            Some(token) => {
                let mut stem = token.text.clone();
                self.stems.stem(&mut stem);
                stem
            }
            None => word.to_string(),
        }
    }
}

/// English plural to singular, conservatively: `databases` → `database`, `policies` →
/// `policy`, `classes` → `class`; words ending in `ss`, `us`, `is` are left alone.
pub fn singular(word: &str) -> String {
    singular_of(word).into_owned()
}

/// [`singular`], without a copy when the word is not a plural.
pub fn singular_of(word: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    if word.len() > 4 {
        if let Some(stem) = word.strip_suffix("ies") {
            return Cow::Owned(format!("{stem}y"));
        }
        for suffix in ["sses", "xes", "ches", "shes"] {
            if word.ends_with(suffix) {
                return Cow::Borrowed(&word[..word.len() - 2]);
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
        return Cow::Borrowed(&word[..word.len() - 1]);
    }
    Cow::Borrowed(word)
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

    /// The word splitter alone, for the reference chain below.
    #[derive(Clone, Default)]
    struct PlainWords {
        tokens: Vec<Token>,
    }

    impl Tokenizer for PlainWords {
        type TokenStream<'a> = WordTokenStream<'a>;

        fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream<'a> {
            self.tokens.clear();
            let tokens = &mut self.tokens;
            split_words(
                text,
                &mut Scratch::default(),
                &mut |from, to, word, position, _| {
                    tokens.push(Token {
                        offset_from: from,
                        offset_to: to,
                        position,
                        text: word.to_string(),
                        position_length: 1,
                    });
                },
            );
            WordTokenStream {
                tokens: &mut self.tokens[..],
                next: 0,
                memo_valid: None,
            }
        }
    }

    /// The analyzers as tantivy filter chains (how they were built before the fused pass).
    fn reference(stem: bool) -> TextAnalyzer {
        let chain = TextAnalyzer::builder(PlainWords::default())
            .filter(tantivy::tokenizer::RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(LowerCaser);
        if stem {
            chain.filter(Stemmer::new(Language::English)).build()
        } else {
            chain.build()
        }
    }

    fn all_tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Token> {
        let mut out = Vec::new();
        let mut stream = analyzer.token_stream(text);
        while let Some(t) = stream.next() {
            out.push(t.clone());
        }
        out
    }

    #[test]
    fn inline_keys_are_the_keys_made_part_by_part() {
        let text = "abcdefghijklmnopqrstuvwxyz0123456789";
        for from in 0..4 {
            for len in 0..=25 {
                let s = &text[from..from + len];
                let (quick, parts) = (Inline::new(s), Inline::by_parts(s));
                assert_eq!(quick.map(|k| k.0), parts.map(|k| k.0), "{s:?}");
            }
        }
    }

    #[test]
    fn long_words_stem_as_the_stemmer_stems_them() {
        let mut cache = StemCache::new();
        let mut stemmer = TextAnalyzer::builder(RawTokenizer::default())
            .filter(Stemmer::new(Language::English))
            .build();
        for word in [
            "internationalizationsupports",
            "getelementsbyclassnamesearching",
            "abcdefghijklmnopqrstuvwxyz",
        ] {
            let expected = stemmer.token_stream(word).next().map(|t| t.text.clone());
            for _ in 0..2 {
                let mut got = word.to_string();
                cache.stem(&mut got);
                assert_eq!(Some(got), expected, "{word}");
                let mut into = String::from("left over");
                cache.stem_into(word, &mut into);
                assert_eq!(Some(into), expected, "{word}");
            }
        }
    }

    #[test]
    fn the_fused_pass_gives_the_tokens_of_the_filter_chain() {
        let texts = [
            "Fine-tuning the LLM's ConfigMap: running runners ran quickly, généralement",
            "ΣΊΣΥΦΟΣ ὈΔΥΣΣΕΎΣ İstanbul straße ﬁne \u{1d00}\u{1d18}\u{26a} \u{212b}ngstrom",
            "aVeryLongIdentifierThatGoesOnAndOnForeverAndEverAndEver-short x",
            "connection connections connected connecting connects Connection CONNECTIONS",
            "\u{2019}s ’s e.g. 3.14 foo_bar a:b don't naïve café-crème résumés 東京 タワー",
            "HTTPRequest XMLHttpRequest getElementById iPhone e-mail re-re-entry",
        ];
        for stem in [false, true] {
            let mut fused = if stem {
                stemmed_analyzer()
            } else {
                raw_analyzer()
            };
            let mut chain = reference(stem);
            for _ in 0..2 {
                for text in texts {
                    assert_eq!(
                        all_tokens(&mut fused, text),
                        all_tokens(&mut chain, text),
                        "{text}"
                    );
                }
            }
        }
    }

    /// Byte ranges of the word-bound segments of `text`, as
    /// `unicode_segmentation::split_word_bound_indices` gives them: ASCII pieces by the
    /// table of the ASCII rules, the others by `unicode_segmentation`.
    fn word_bounds(text: &str, out: &mut Vec<(usize, usize)>) {
        out.clear();
        let bytes = text.as_bytes();
        for range in space_pieces(text) {
            let start = range.start;
            let piece = &text[range.clone()];
            if piece.is_ascii() {
                let piece = &bytes[range];
                let mut from = 0;
                while from < piece.len() {
                    let to = ascii_segment_end(piece, from);
                    out.push((start + from, start + to));
                    from = to;
                }
            } else {
                out.extend(
                    piece
                        .split_word_bound_indices()
                        .map(|(at, s)| (start + at, start + at + s.len())),
                );
            }
        }
    }

    /// The tokens as they were cut before the one-pass ASCII reading: all the text's
    /// word-bound segments first, then words and hyphen chains picked from them.
    fn reference_split(text: &str) -> Vec<(usize, usize, String, usize)> {
        let mut segments = Vec::new();
        word_bounds(text, &mut segments);
        let seg = |k: usize| &text[segments[k].0..segments[k].1];
        let mut out = Vec::new();
        let mut starts = Vec::new();
        let mut position = 0;
        let mut i = 0;
        while i < segments.len() {
            if !is_word(seg(i)) {
                i += 1;
                continue;
            }
            let mut chain = vec![i];
            let mut j = i;
            while j + 2 < segments.len() && is_hyphen(seg(j + 1)) && is_word(seg(j + 2)) {
                chain.push(j + 2);
                j += 2;
            }
            if chain.len() > 1 {
                let to = segments[j].0 + strip_possessive(seg(j)).len();
                let joined: String = chain.iter().map(|&k| strip_possessive(seg(k))).collect();
                out.push((segments[i].0, to, joined, position));
            }
            for &k in &chain {
                let offset = segments[k].0;
                let word = strip_possessive(seg(k));
                camel_starts(word, false, &mut starts);
                if starts.len() > 1 {
                    out.push((offset, offset + word.len(), word.to_string(), position));
                }
                for (n, &s) in starts.iter().enumerate() {
                    let e = starts.get(n + 1).copied().unwrap_or(word.len());
                    out.push((offset + s, offset + e, word[s..e].to_string(), position));
                    position += 1;
                }
            }
            i = j + 1;
        }
        out
    }

    fn split(text: &str, scratch: &mut Scratch) -> Vec<(usize, usize, String, usize)> {
        let mut out = Vec::new();
        split_words(text, scratch, &mut |from, to, word, position, _| {
            out.push((from, to, word.to_string(), position));
        });
        out
    }

    /// Texts from the corpora's awkward spots: apostrophes, hyphens, dots in numbers and
    /// names, underscores, possessives in capitals, emoji, CJK, marks, odd spaces.
    const TRICKY: &[&str] = &[
        "don't can't LLM's LLMs' GPT'S a's's it’s APIs ’s 's x's- 'tis rock 'n' roll",
        "fine-tuning re-re-entry e-mail -leading trailing- a--b a - b 3-4 x-1 -- --flag-name",
        "3.14 1,000,000 1.2.3 v1.2.3-beta.4 e.g. i.e. U.S.A. node.js Array.prototype.map() a.b.",
        "foo_bar __proto__ _private snake_case_name CONST_NAME a_1 _ __ 1_000",
        "ConfigMap XMLHttpRequest getElementById iPhone HTTPRequest aB bA ABC aBC",
        "emoji 😀 👍🏽 🇫🇷 flag, ZWJ 👨\u{200d}👩\u{200d}👧 family; keycap 1\u{fe0f}\u{20e3}",
        "東京タワー 日本語のテキスト 中文 한국어 ภาษาไทย café-crème naïve résumé Straße",
        "tabs\there\r\nand\u{b}form\u{c}feeds\u{a0}nbsp\u{2009}thin\u{3000}ideographic",
        "a:b a::b http://example.com/path?x=1&y=2 <div class=\"x\"> {{jsxref(\"Map\")}}",
        "`code` *em* **strong** [link](https://x.y/z) ![img](a.png) # Heading ## two",
        "",
        " ",
        "   leading and trailing spaces   ",
        "x",
        "a-",
        "-a",
        "a-b-",
        "ﬁne \u{1d00}\u{1d18}\u{26a} \u{212b}ngstrom e\u{301}te\u{301} \u{2010}x\u{2011}y a\u{2010}b",
    ];

    #[test]
    fn the_one_pass_reading_gives_the_tokens_of_the_segment_reading() {
        let mut texts: Vec<String> = TRICKY.iter().map(|t| t.to_string()).collect();
        texts.push(TRICKY.join(" "));
        texts.push(TRICKY.concat());
        // Pseudo-random texts over the byte classes of the ASCII rules, hyphens, letters in
        // both cases, possessives and a few non-ASCII characters.
        let alphabet = [
            "a", "B", "s", "S", "1", "_", ".", "'", ":", ",", ";", "-", " ", "  ", "\n", "\r\n",
            "\t", "’", "é", "日", "\u{301}", "\u{2010}", "😀", "x", "Yz", "9",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..30_000 {
            let mut t = String::new();
            for _ in 0..(seed % 24) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                t.push_str(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            texts.push(t);
        }
        let mut scratch = Scratch::default();
        for t in &texts {
            assert_eq!(split(t, &mut scratch), reference_split(t), "{t:?}");
        }
        let owned = |v: &[(usize, usize, &str, usize)]| -> Vec<(usize, usize, String, usize)> {
            v.iter()
                .map(|&(a, b, w, p)| (a, b, w.to_string(), p))
                .collect()
        };
        assert_eq!(
            split("Fine-tuning LLM's ConfigMap", &mut scratch),
            owned(&[
                (0, 11, "Finetuning", 0),
                (0, 4, "Fine", 0),
                (5, 11, "tuning", 1),
                (12, 15, "LLM", 2),
                (18, 27, "ConfigMap", 3),
                (18, 24, "Config", 3),
                (24, 27, "Map", 4),
            ])
        );
    }

    fn reference_bounds(text: &str) -> Vec<(usize, usize)> {
        text.split_word_bound_indices()
            .map(|(at, s)| (at, at + s.len()))
            .collect()
    }

    #[test]
    fn word_bounds_match_unicode_segmentation() {
        // Every string of up to four characters over the classes that matter, then
        // pseudo-random longer ones mixing in non-ASCII letters, marks and spaces.
        let alphabet = [
            "a", "Z", "1", "_", ".", "'", ":", ",", ";", "\r", "\n", "\u{b}", " ", "\t", "-",
        ];
        let mut out = Vec::new();
        let mut texts = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for t in &frontier {
                for a in alphabet {
                    next.push(format!("{t}{a}"));
                }
            }
            texts.extend(next.iter().cloned());
            frontier = next;
        }
        let wide = [
            "a",
            "1",
            ".",
            "'",
            " ",
            " ",
            "é",
            "\u{301}",
            "’",
            "-",
            "\u{200d}",
            "日",
            "ß",
            ":",
            "\n",
            "_",
            "\u{1f600}",
            "\u{1f1eb}",
            "\u{2060}",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            let mut t = String::new();
            for _ in 0..(seed % 13) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                t.push_str(wide[(seed % wide.len() as u64) as usize]);
            }
            texts.push(t);
        }
        for t in &texts {
            word_bounds(t, &mut out);
            assert_eq!(out, reference_bounds(t), "{t:?}");
        }
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
    fn a_text_seen_again_gets_the_same_tokens_unless_they_were_changed() {
        let mut tokenizer = WordTokenizer::new(true);
        let tokens = |t: &mut WordTokenizer, text: &str| {
            let mut out = Vec::new();
            let mut stream = t.token_stream(text);
            while stream.advance() {
                out.push(stream.token().clone());
            }
            out
        };
        let heading = "Web APIs \u{203a} Fine-tuning ConfigMaps";
        let first = tokens(&mut tokenizer, heading);
        assert_eq!(tokens(&mut tokenizer, heading), first);
        assert_eq!(
            tokens(&mut tokenizer, "Other words"),
            tokens(&mut WordTokenizer::new(true), "Other words")
        );
        assert_eq!(tokens(&mut tokenizer, heading), first);
        let mut stream = tokenizer.token_stream(heading);
        stream.advance();
        stream.token_mut().text.push_str("changed");
        assert_eq!(tokens(&mut tokenizer, heading), first);
        let long = "word ".repeat(200);
        let once = tokens(&mut tokenizer, &long);
        assert_eq!(tokens(&mut tokenizer, &long), once);
    }

    #[test]
    fn cached_stems_are_the_stemmers() {
        let words = [
            "running",
            "happy",
            "happiness",
            "generalization",
            "skies",
            "dying",
            "agreed",
            "tokens",
            "the",
            "a",
            "généralement",
            "naïvetés",
            "ﬁne",
            "straße",
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxies",
        ];
        let mut reference = TextAnalyzer::builder(RawTokenizer::default())
            .filter(Stemmer::new(Language::English))
            .build();
        // The second cache finds the first one's stems in the shared table.
        let mut caches = [StemCache::new(), StemCache::new()];
        for round in 0..4 {
            for word in words {
                let mut stem = word.to_string();
                caches[round % 2].stem(&mut stem);
                let want = reference.token_stream(word).next().unwrap().text.clone();
                assert_eq!(stem, want, "{word} (round {round})");
            }
        }
    }

    #[test]
    fn words_of_under_three_bytes_are_their_own_stems() {
        let mut reference = TextAnalyzer::builder(RawTokenizer::default())
            .filter(Stemmer::new(Language::English))
            .build();
        // Every string of one or two bytes that a lowercased token can be: ASCII, and the
        // two-byte letters (`é`, `ß`, `ı`, Greek, Cyrillic).
        let ascii = (0x20u8..0x7f).map(char::from);
        let two_byte = ('\u{80}'..='\u{7ff}').filter(|c| !c.is_control());
        let mut words: Vec<String> = ascii.clone().chain(two_byte).map(String::from).collect();
        for a in ascii.clone() {
            words.extend(ascii.clone().map(|b| format!("{a}{b}")));
        }
        let mut cache = StemCache::new();
        for word in &words {
            let mut stem = word.clone();
            cache.stem(&mut stem);
            let want = reference.token_stream(word).next().map(|t| t.text.clone());
            assert_eq!(Some(stem), want, "{word:?}");
        }
    }

    #[test]
    fn an_inline_key_is_the_length_then_the_bytes() {
        let words = ["", "a", "ab", "abc", "abcd", "naïve", "abcdefg", "abcdefgh"];
        let long: Vec<String> = (8..24).map(|n| "xyzw".repeat(6)[..n].to_string()).collect();
        for word in words.iter().copied().chain(long.iter().map(String::as_str)) {
            let mut bytes = [0u8; 24];
            bytes[0] = word.len() as u8;
            bytes[1..=word.len()].copy_from_slice(word.as_bytes());
            let want: Vec<u64> = bytes
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
                .collect();
            assert_eq!(Inline::new(word).unwrap().0[..], want[..], "{word:?}");
        }
        assert!(Inline::new(&"x".repeat(24)).is_none());
    }

    #[test]
    fn stems_from_the_hot_table_are_the_stemmers() {
        let mut reference = TextAnalyzer::builder(RawTokenizer::default())
            .filter(Stemmer::new(Language::English))
            .build();
        let roots = [
            "run", "happ", "general", "token", "agree", "sky", "die", "naïv",
        ];
        let endings = [
            "", "s", "ing", "ed", "ness", "ization", "ies", "y", "er", "ly",
        ];
        // Enough distinct words for the hot table, and more words than its slots so
        // slots are taken over by other words.
        let words: Vec<String> = (0..3 * HOT_STEM_SLOTS)
            .map(|n| {
                let (root, ending) = (roots[n % roots.len()], endings[n % endings.len()]);
                format!("{root}{}{ending}", n / 17)
            })
            .chain(["the", "a", "running", "happiness", ""].map(String::from))
            .collect();
        let mut cache = StemCache::new();
        for round in 0..3 {
            for word in &words {
                let mut stem = word.clone();
                cache.stem(&mut stem);
                let want = reference
                    .token_stream(word)
                    .next()
                    .map_or_else(String::new, |t| t.text.clone());
                assert_eq!(&stem, &want, "{word} (round {round})");
            }
        }
        assert_eq!(cache.hot.len(), HOT_STEM_SLOTS);
    }

    #[test]
    fn plain_words_into_reuses_buffers_and_gives_plain_words() {
        let mut a = Analyzer::default();
        let mut buffer = Vec::new();
        for text in [
            "Fine-tuning the LLM's ConfigMap: running runners, généralement",
            "a",
            "self-attention works for CamelCase and snake_case words",
            "",
        ] {
            let n = a.plain_words_into(text, &mut buffer);
            assert_eq!(buffer[..n], a.plain_words(text)[..], "{text:?}");
        }
    }

    #[test]
    fn singular_of_borrows_unless_it_must_spell_anew() {
        use std::borrow::Cow;
        for word in [
            "databases",
            "policies",
            "classes",
            "boxes",
            "status",
            "llms",
            "a",
        ] {
            assert_eq!(singular_of(word), singular(word));
        }
        assert!(matches!(
            singular_of("databases"),
            Cow::Borrowed("database")
        ));
        assert!(matches!(singular_of("policies"), Cow::Owned(_)));
    }

    #[test]
    fn typo_budget_follows_word_length() {
        assert_eq!(typo_budget(4), 0);
        assert_eq!(typo_budget(5), 1);
        assert_eq!(typo_budget(8), 1);
        assert_eq!(typo_budget(9), 2);
    }
}
