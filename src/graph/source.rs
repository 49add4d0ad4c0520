//! What the graph was made of, kept beside it (`graph-<opstamp>.defs`) so a run that changes
//! a few definitions updates the graph from it instead of reading every definition back from
//! the index: each definition (term, aliases, text, place) in glossary order, the nodes its
//! text names (as [`super::Matcher::find`] found them), and each name's words as the
//! analyzer cut them.
//!
//! The format is a private binary one, read without copying the texts: a magic line with
//! [`super::VERSION`], the names, the files, then the definitions. A file that does not
//! read whole is no cache.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::io::Write;

use crate::glossary;
use crate::search::Hit;
use crate::tokenize::Analyzer;

/// Magic and format of the file; the graph's VERSION follows it.
const MAGIC: &[u8; 12] = b"gloss-defs1\n";

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

    /// The file's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out).expect("writing to memory");
        out
    }

    /// Writes the file's bytes to `out`, 64 KB at a time.
    pub fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        let mut buf = Vec::with_capacity(CHUNK + 1024);
        buf.extend_from_slice(MAGIC);
        put(&mut buf, super::VERSION as u64);
        put(&mut buf, self.longest as u64);
        // The names in order of first use: the same file for the same definitions.
        let mut seen: FxMap<&str, ()> = FxMap::default();
        let named = self
            .defs
            .iter()
            .flat_map(|d| std::iter::once(d.term).chain(d.aliases.iter().copied()));
        let names: Vec<&str> = named.filter(|n| seen.insert(n, ()).is_none()).collect();
        put(&mut buf, names.len() as u64);
        for name in names {
            let cut = self.name(name);
            for s in [name, &cut.key, &cut.raws, &cut.stems] {
                put_str(&mut buf, s);
            }
            put(&mut buf, cut.words as u64);
            flush(out, &mut buf)?;
        }
        let mut files: FxMap<&str, u64> = FxMap::default();
        put(&mut buf, self.defs.len() as u64);
        for def in &self.defs {
            put_str(&mut buf, def.term);
            put(&mut buf, def.aliases.len() as u64);
            for a in &def.aliases {
                put_str(&mut buf, a);
            }
            put_str(&mut buf, def.text);
            let known = files.len() as u64;
            match files.entry(def.file) {
                Entry::Occupied(e) => put(&mut buf, *e.get() + 1),
                Entry::Vacant(e) => {
                    e.insert(known);
                    put(&mut buf, 0);
                    put_str(&mut buf, def.file);
                }
            }
            put(&mut buf, def.line as u64);
            let found = &self.found[def.found.clone()];
            put(&mut buf, found.len() as u64);
            for &n in found {
                put(&mut buf, u64::from(n));
            }
            flush(out, &mut buf)?;
        }
        out.write_all(&buf)
    }

    /// Reads bytes of [`Source::encode`]; `None` unless they are whole and of this version.
    pub fn decode(bytes: &'a [u8]) -> Option<Source<'a>> {
        let mut r = Reader {
            bytes: bytes.strip_prefix(MAGIC)?,
        };
        if r.num()? != super::VERSION as u64 {
            return None;
        }
        let mut source = Source {
            longest: usize::try_from(r.num()?).ok()?,
            ..Source::default()
        };
        let count = r.count()?;
        source.names.reserve(count);
        for _ in 0..count {
            let name = r.str()?;
            let (key, raws, stems) = (r.str()?, r.str()?, r.str()?);
            let words = r.count()?;
            let cut = Name {
                key: Cow::Borrowed(key),
                raws: Cow::Borrowed(raws),
                stems: Cow::Borrowed(stems),
                words,
            };
            source.names.insert(name, cut);
        }
        let mut files: Vec<&str> = Vec::new();
        let count = r.count()?;
        source.defs.reserve(count);
        for _ in 0..count {
            let def = r.def(&mut files, &mut source.found)?;
            let named = std::iter::once(def.term).chain(def.aliases.iter().copied());
            if !named.into_iter().all(|n| source.names.contains_key(n)) {
                return None;
            }
            source.defs.push(def);
        }
        r.bytes.is_empty().then_some(source)
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

/// Bytes gathered before they are written out.
const CHUNK: usize = 64 * 1024;

/// Writes out what `buf` holds once it is [`CHUNK`] bytes or more.
fn flush(out: &mut impl Write, buf: &mut Vec<u8>) -> std::io::Result<()> {
    if buf.len() >= CHUNK {
        out.write_all(buf)?;
        buf.clear();
    }
    Ok(())
}

/// Appends a number (LEB128).
fn put(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Appends a string: its length, then its bytes.
fn put_str(out: &mut Vec<u8>, s: &str) {
    put(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// Reads what [`put`] and [`put_str`] wrote.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn num(&mut self) -> Option<u64> {
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

    /// A number that counts things in the rest of the file (at most one per byte left).
    fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.num()?).ok()?;
        (n <= self.bytes.len()).then_some(n)
    }

    fn str(&mut self) -> Option<&'a str> {
        let len = self.count()?;
        let (s, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        std::str::from_utf8(s).ok()
    }

    /// One definition; its file is new (a string) or one read before (its number + 1).
    fn def(&mut self, files: &mut Vec<&'a str>, found: &mut Vec<u32>) -> Option<Def<'a>> {
        let term = self.str()?;
        let aliases = (0..self.count()?)
            .map(|_| self.str())
            .collect::<Option<Vec<_>>>()?;
        let text = self.str()?;
        let file = match usize::try_from(self.num()?).ok()? {
            0 => {
                files.push(self.str()?);
                files.last().copied()?
            }
            n => *files.get(n - 1)?,
        };
        let line = usize::try_from(self.num()?).ok()?;
        let start = found.len();
        for _ in 0..self.count()? {
            found.push(u32::try_from(self.num()?).ok()?);
        }
        Some(Def {
            term,
            aliases,
            text,
            file,
            line,
            found: start..found.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(term: &str, aliases: &[&str], text: &str, file: &str, line: usize) -> Hit {
        crate::graph::test_def(file, line, term, aliases, text)
    }

    #[test]
    fn a_source_reads_back_as_written_and_a_cut_file_does_not_read() {
        let mut hits = vec![
            hit("Token", &["tok"], "A unit.", "a.md", 3),
            hit("Chunk", &[], "A piece of text.", "a.md", 9),
            hit("Tokens", &[], "Pieces.", "b/c.md", 300),
        ];
        // Files named again after many others, near the end of the file.
        hits.extend((0..300).map(|i| hit("T", &[], "", &format!("f{i}.md"), i)));
        hits.push(hit("Last", &[], "", "f299.md", 1));
        let mut source = Source::of(&hits, &mut Analyzer::default());
        source.found = vec![1, 0, 200, 70_000];
        source.defs[0].found = 0..2;
        source.defs[2].found = 2..4;
        let bytes = source.encode();
        let back = Source::decode(&bytes).unwrap();
        assert_eq!(back.names, source.names);
        assert_eq!(back.defs.len(), 304);
        for (d, (a, b)) in back.defs.iter().zip(&source.defs).enumerate() {
            assert_eq!(
                (a.term, &a.aliases, a.text, a.file, a.line),
                (b.term, &b.aliases, b.text, b.file, b.line)
            );
            assert_eq!(back.found(d), source.found(d));
        }
        assert_eq!(back.found(2), [200, 70_000]);
        assert_eq!(back.defs[303].file, "f299.md");
        assert_eq!(back.name("tok").raws, "tok");
        assert_eq!(back.group("Tokens"), "token");
        for cut in [1, bytes.len() / 2, bytes.len() - 1] {
            assert!(Source::decode(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Source::decode(&longer).is_none());
    }
}
