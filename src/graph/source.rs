//! What the graph was made of, kept beside it (`graph-<opstamp>.defs`) so a run that changes
//! a few definitions updates the graph from it instead of reading every definition back from
//! the index: each definition (term, aliases, text, place) in glossary order, the nodes its
//! text names (as [`super::Matcher::find`] found them), and each name's words as the
//! analyzer cut them.
//!
//! It is cached inside the graph's file ([`super::store`]); this module holds it in memory,
//! and the number and string encoding the cache files share.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::glossary;
use crate::search::Hit;
use crate::tokenize::Analyzer;

type FxMap<K, V> = HashMap<K, V, rustc_hash::FxBuildHasher>;

/// A term or alias as the analyzer cuts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Name<'a> {
    /// Its normalised key ([`Analyzer::key`]).
    pub key: Cow<'a, str>,
    /// Its plain words, lowercased and folded, joined by spaces.
    pub raws: Cow<'a, str>,
    /// Their stems, joined by spaces.
    pub stems: Cow<'a, str>,
    /// How many plain words.
    pub words: usize,
}

impl Name<'static> {
    /// `name` cut by `analyzer`.
    pub fn of(analyzer: &mut Analyzer, name: &str) -> Name<'static> {
        let words = analyzer.plain_words(name);
        let raws: Vec<&str> = words.iter().map(|w| w.raw.as_str()).collect();
        let stems: Vec<&str> = words.iter().map(|w| w.stem.as_str()).collect();
        Name {
            key: Cow::Owned(analyzer.key(name)),
            raws: Cow::Owned(raws.join(" ")),
            stems: Cow::Owned(stems.join(" ")),
            words: words.len(),
        }
    }
}

/// One definition the graph is made of.
#[derive(Debug, Clone)]
pub(crate) struct Def<'a> {
    pub term: &'a str,
    pub aliases: Vec<&'a str>,
    pub text: &'a str,
    pub file: &'a str,
    pub line: usize,
    /// Where its nodes found are in [`Source::found`].
    pub found: std::ops::Range<usize>,
}

/// The definitions of a graph, with the names they define, cut.
#[derive(Debug, Default)]
pub(crate) struct Source<'a> {
    /// Every term and alias of `defs`, cut.
    pub names: FxMap<&'a str, Name<'a>>,
    /// In glossary order ([`glossary::in_order`]).
    pub defs: Vec<Def<'a>>,
    /// The nodes each definition's text names, in order (ranges of `defs`).
    pub found: Vec<u32>,
    /// The length in words of the longest name looked for.
    pub longest: usize,
}

impl<'a> Source<'a> {
    /// Definition hits in glossary order, with their names cut (nothing found yet).
    pub fn of(hits: &'a [Hit], analyzer: &mut Analyzer) -> Source<'a> {
        let mut source = Source::default();
        for hit in hits {
            let Some(def) = Def::of(hit) else { continue };
            source.add_names(&def, analyzer);
            source.defs.push(def);
        }
        source
    }

    /// Cuts the names of `def` not cut yet.
    pub fn add_names(&mut self, def: &Def<'a>, analyzer: &mut Analyzer) {
        for name in std::iter::once(def.term).chain(def.aliases.iter().copied()) {
            self.names
                .entry(name)
                .or_insert_with(|| Name::of(analyzer, name));
        }
    }

    /// The cut of a term or alias of one of the definitions.
    pub fn name(&self, name: &str) -> &Name<'a> {
        &self.names[name]
    }

    /// The node key of a term: its key, or the term lowercased when it has no words (as
    /// [`super::build`] groups definitions).
    pub fn group(&self, term: &str) -> Cow<'_, str> {
        let key = &self.name(term).key;
        if key.is_empty() {
            Cow::Owned(term.to_lowercase())
        } else {
            Cow::Borrowed(key)
        }
    }

    /// The glossary sort key of a term ([`glossary::in_order`]), from its cut.
    pub fn order(&self, term: &str) -> (char, Cow<'_, str>) {
        glossary::sort_key_of(term, &self.name(term).raws)
    }

    /// The nodes the text of definition `d` names.
    pub fn found(&self, d: usize) -> &[u32] {
        &self.found[self.defs[d].found.clone()]
    }
}

impl<'a> Def<'a> {
    /// The definition of a hit with a term (not blank).
    pub fn of(hit: &'a Hit) -> Option<Def<'a>> {
        let term = hit.term.as_deref().filter(|t| !t.trim().is_empty())?;
        Some(Def {
            term,
            aliases: hit.aliases.iter().map(String::as_str).collect(),
            text: &hit.text,
            file: &hit.file,
            line: hit.line,
            found: 0..0,
        })
    }
}

/// Appends a number (LEB128).
pub(crate) fn put(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Appends a string: its length, then its bytes.
pub(crate) fn put_str(out: &mut Vec<u8>, s: &str) {
    put(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// Reads what [`put`] and [`put_str`] wrote.
pub(crate) struct Reader<'a> {
    pub bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn num(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.bytes.split_first()?;
            self.bytes = rest;
            n |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    /// A number that is not a count (a line, a node).
    pub fn usize(&mut self) -> Option<usize> {
        usize::try_from(self.num()?).ok()
    }

    /// A number that counts things in the rest of the file (at most one per byte left).
    pub fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.num()?).ok()?;
        (n <= self.bytes.len()).then_some(n)
    }

    pub fn str(&mut self) -> Option<&'a str> {
        let len = self.count()?;
        let (s, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        std::str::from_utf8(s).ok()
    }

    /// A count, then that many strings.
    pub fn strs(&mut self) -> Option<Vec<&'a str>> {
        (0..self.count()?).map(|_| self.str()).collect()
    }

    /// A count, then that many numbers (each under 2^32).
    pub fn nums(&mut self) -> Option<Vec<u32>> {
        (0..self.count()?)
            .map(|_| u32::try_from(self.num()?).ok())
            .collect()
    }
}
