//! The terms of a segment's dictionary an automaton matches, found by walking the
//! dictionary's FST directly.
//!
//! tantivy's `TermDictionary::search` streams the same terms through `tantivy_fst`'s
//! general stream, which spells out every key it passes and decodes the node behind every
//! transition it tries, live or dead, pushing and popping two ~100-byte frames each time.
//! A typo automaton kills most transitions one character after a live node, so most of
//! that work was for transitions that lead nowhere: on MDN a 9-letter word not in any
//! dictionary cost ~700 instructions per transition tried (24 M in all, most of a
//! refreshing search's query). [`matching`] tries each transition with the automaton
//! first and decodes only the nodes it can go on from; it keeps the key being
//! spelling, and looks the matches up in tantivy's dictionary by key.
//!
//! The FST is the front part of the field's dictionary file, in the layout of
//! `tantivy::termdict`'s FST dictionary (tantivy is pinned to one version in Cargo.toml):
//! `[fst][term infos][term infos' length: u64][FST version: u32][dictionary type: u32]`.
//! A dictionary that does not read that way, or whose FST does not hold as many terms as
//! tantivy's dictionary says, is not walked here ([`open`] says `None`), and the caller
//! streams it through tantivy.

use std::path::PathBuf;

use tantivy::directory::{CompositeFile, OwnedBytes};
use tantivy::schema::Field;
use tantivy::{Directory, SegmentReader};
use tantivy_fst::raw::{Fst, Node};
use tantivy_fst::Automaton;

/// The FST dictionary's version (tantivy's `FST_VERSION`).
const FST_VERSION: u32 = 1;

/// The dictionary type of an FST dictionary (tantivy's `DictionaryType::Fst`).
const FST_TYPE: u32 = 1;

/// The dictionary's footer: the term infos' length (u64), the version and the type (u32).
const FOOTER: usize = 16;

/// The FST of `field`'s term dictionary in `reader`'s segment, when it reads as tantivy's
/// FST dictionary and holds `terms` terms; `None` otherwise.
pub(super) fn open(reader: &SegmentReader, field: Field, terms: usize) -> Option<Fst<OwnedBytes>> {
    let path = PathBuf::from(format!("{}.term", reader.segment_id().uuid_string()));
    let file = reader.index().directory().open_read(&path).ok()?;
    let dictionary = CompositeFile::open(&file).ok()?.open_read(field)?;
    let bytes = dictionary.read_bytes().ok()?;
    let main = bytes.len().checked_sub(FOOTER)?;
    let footer = &bytes.as_slice()[main..];
    let infos = u64::from_le_bytes(footer[..8].try_into().ok()?);
    let version = u32::from_le_bytes(footer[8..12].try_into().ok()?);
    let kind = u32::from_le_bytes(footer[12..].try_into().ok()?);
    if version != FST_VERSION || kind != FST_TYPE {
        return None;
    }
    let fst_len = main.checked_sub(usize::try_from(infos).ok()?)?;
    let fst = Fst::new(bytes.slice(0..fst_len)).ok()?;
    (fst.len() == terms).then_some(fst)
}

/// A node being walked: the next transition to try, and the automaton's state on
/// reaching it.
struct Frame<'f, S> {
    node: Node<'f>,
    next: usize,
    state: S,
}

/// Calls `found` with every term `automaton` matches (in key order), as `tantivy_fst`'s
/// stream over the same automaton would list them: a term matches when its node is final
/// and the state after its last byte matches; the walk goes on from a node only while the
/// automaton can still match.
pub(super) fn matching<A: Automaton>(
    fst: &Fst<OwnedBytes>,
    automaton: &A,
    found: &mut dyn FnMut(&[u8]),
) {
    let start = automaton.start();
    let root = fst.root();
    if root.is_final() && automaton.is_match(&start) {
        found(&[]);
    }
    let mut key = Vec::new();
    let mut stack = vec![Frame {
        node: root,
        next: 0,
        state: start,
    }];
    while let Some(top) = stack.last_mut() {
        if top.next >= top.node.len() || !automaton.can_match(&top.state) {
            stack.pop();
            key.pop();
            continue;
        }
        let t = top.node.transition(top.next);
        top.next += 1;
        let state = automaton.accept(&top.state, t.inp);
        let is_match = automaton.is_match(&state);
        if !is_match && !automaton.can_match(&state) {
            continue;
        }
        let node = fst.node(t.addr);
        key.push(t.inp);
        if node.is_final() && is_match {
            found(&key);
        }
        stack.push(Frame {
            node,
            next: 0,
            state,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::typos::band::tests::strings;
    use crate::search::typos::band::Band;
    use tantivy::query::FuzzyTermQuery;
    use tantivy::schema::{Schema, STRING};
    use tantivy::{doc, Index, IndexWriter, Term};

    /// Every string of up to `len` characters from `alphabet`, and some longer words.
    fn words(alphabet: &[&str], len: usize) -> Vec<String> {
        let mut all = strings(alphabet, len);
        for long in [
            "tokenization",
            "tokenizer",
            "temperature",
            "retrieval",
            "naïve",
        ] {
            all.push(long.to_string());
        }
        all
    }

    /// The keys an automaton matches: by the walk, and by tantivy's stream.
    fn both<A: Automaton>(
        fst: &Fst<OwnedBytes>,
        dict: &tantivy::termdict::TermDictionary,
        automaton: &A,
    ) -> (Vec<Vec<u8>>, Vec<Vec<u8>>)
    where
        A::State: Clone,
    {
        let mut walked = Vec::new();
        matching(fst, automaton, &mut |key| walked.push(key.to_vec()));
        let mut streamed = Vec::new();
        let mut stream = dict.search(automaton).into_stream().unwrap();
        while stream.advance() {
            streamed.push(stream.key().to_vec());
        }
        (walked, streamed)
    }

    #[test]
    fn the_walk_finds_what_tantivys_stream_finds() {
        let mut schema = Schema::builder();
        let field = schema.add_text_field("w", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let terms = words(&["a", "b", "c", "é"], 4);
        for w in terms.iter().filter(|w| !w.is_empty()) {
            writer.add_document(doc!(field => w.as_str())).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let reader = searcher.segment_reader(0);
        let postings = reader.inverted_index(field).unwrap();
        let dict = postings.terms();
        assert!(open(reader, field, dict.num_terms() + 1).is_none());
        let fst = open(reader, field, dict.num_terms()).expect("the dictionary's FST");
        let mut matched = 0;
        for word in words(&["a", "b", "é"], 3) {
            for distance in 0..=2 {
                for prefix in [false, true] {
                    let term = Term::from_field_text(field, &word);
                    let fuzzy = if prefix {
                        FuzzyTermQuery::new_prefix(term, distance, true)
                    } else {
                        FuzzyTermQuery::new(term, distance, true)
                    };
                    let (walked, streamed) = both(&fst, dict, &fuzzy.automaton().unwrap());
                    assert_eq!(walked, streamed, "dfa {word:?} {distance} {prefix}");
                    matched += walked.len();
                    if let Some(band) = Band::new(&word, distance, prefix) {
                        let (walked, streamed) = both(&fst, dict, &band);
                        assert_eq!(walked, streamed, "band {word:?} {distance} {prefix}");
                    }
                }
            }
        }
        assert!(matched > 10_000, "{matched}");
    }
}
