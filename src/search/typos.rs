//! Typo matches, looked up once per query.
//!
//! A query of a few words asks for the same typo match many times: every tier and every
//! reading of the query (as typed, a pair joined, short forms spelled out) has its own
//! clauses, and a `FuzzyTermQuery` builds a Levenshtein automaton and walks a term
//! dictionary each time it is run. On a big index (MDN: 200k entries) those walks were
//! most of a multi-word query's time. [`Typos`] hands out queries that match exactly the
//! documents `FuzzyTermQuery` matches, scored alike (a constant), but build each automaton
//! once per query and walk each field's dictionary once per segment. An ASCII word is
//! matched by a [`band::Band`] instead of a DFA: same terms, without the per-process cost
//! of `FuzzyTermQuery`'s automaton builder. The dictionary is walked by [`walk`], which
//! tries each transition with the automaton before it decodes the node behind it, instead
//! of through tantivy's general stream (same terms; a third of the instructions).

mod band;
mod walk;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use tantivy::directory::OwnedBytes;
use tantivy::index::InvertedIndexReader;
use tantivy::index::SegmentId;
use tantivy::postings::TermInfo;
use tantivy::query::{
    AutomatonWeight, BitSetDocSet, ConstScorer, DfaWrapper, EmptyScorer, EnableScoring,
    Explanation, FuzzyTermQuery, Query, Scorer, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{BitSet, DocId, DocSet, Score, SegmentReader, TantivyError, Term};
use tantivy_fst::raw::Fst;

/// What a typo clause asks for: terms within `distance` edits of `text` (a transposition
/// counts as one), or with `prefix`, terms that start within that distance of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Ask {
    text: String,
    distance: u8,
    prefix: bool,
}

/// The automaton of an ask: a band for an ASCII word, `FuzzyTermQuery`'s DFA otherwise.
#[derive(Clone)]
enum Automaton {
    Band(Arc<band::Band>),
    Dfa(Arc<DfaWrapper>),
}

/// A term dictionary's FST, shared by the walks of one query.
type Dictionary = Arc<Fst<OwnedBytes>>;

/// The automata built and the documents found so far.
#[derive(Default)]
struct Memo {
    automata: Mutex<HashMap<Ask, Automaton>>,
    docs: Mutex<HashMap<(SegmentId, Field, Ask), Option<BitSet>>>,
    /// Each dictionary's FST, opened on first use (`None`: walked through tantivy).
    dictionaries: Mutex<HashMap<(SegmentId, Field), Option<Dictionary>>>,
}

/// The typo clauses of one query; clones share what was looked up.
#[derive(Clone, Default)]
pub(crate) struct Typos(Arc<Memo>);

impl fmt::Debug for Typos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Typos")
    }
}

/// A poisoned lock only means another lookup panicked; the memo itself stays consistent
/// (entries are inserted whole).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Typos {
    /// Documents whose `field` holds a term within `distance` edits of `text` (or, with
    /// `prefix`, a term starting so): `FuzzyTermQuery::new` (`new_prefix`) with
    /// transpositions, looked up once for this query.
    pub(crate) fn query(
        &self,
        field: Field,
        text: &str,
        distance: u8,
        prefix: bool,
    ) -> Box<dyn Query> {
        Box::new(TypoQuery {
            field,
            ask: Ask {
                text: text.to_string(),
                distance,
                prefix,
            },
            typos: self.clone(),
        })
    }

    /// The automaton of an ask, built on first use (it does not depend on the field).
    fn automaton(&self, ask: &Ask, field: Field) -> tantivy::Result<Automaton> {
        if let Some(built) = lock(&self.0.automata).get(ask) {
            return Ok(built.clone());
        }
        let built = match band::Band::new(&ask.text, ask.distance, ask.prefix) {
            Some(band) => Automaton::Band(Arc::new(band)),
            None => Automaton::Dfa(Arc::new(fuzzy_dfa(ask, field)?)),
        };
        lock(&self.0.automata).insert(ask.clone(), built.clone());
        Ok(built)
    }

    /// The documents of one segment matching an ask in `field` (`None` when no term of
    /// the field does): the dictionary is walked on the first call, later calls copy the
    /// result.
    fn docs(
        &self,
        reader: &SegmentReader,
        field: Field,
        ask: &Ask,
    ) -> tantivy::Result<Option<BitSet>> {
        let key = (reader.segment_id(), field, ask.clone());
        if let Some(found) = lock(&self.0.docs).get(&key) {
            return Ok(found.clone());
        }
        let postings = reader.inverted_index(field)?;
        let terms = self.matching(reader, field, ask, &postings)?;
        let found = if terms.is_empty() {
            None
        } else {
            let mut found = BitSet::with_max_value(reader.max_doc());
            for info in &terms {
                let mut block =
                    postings.read_block_postings_from_terminfo(info, IndexRecordOption::Basic)?;
                while !block.docs().is_empty() {
                    for &doc in block.docs() {
                        found.insert(doc);
                    }
                    block.advance();
                }
            }
            Some(found)
        };
        lock(&self.0.docs).insert(key, found.clone());
        Ok(found)
    }
}

impl Typos {
    /// The FST of `field`'s dictionary in one segment ([`walk::open`]), opened once per
    /// query.
    fn dictionary(&self, reader: &SegmentReader, field: Field, terms: usize) -> Option<Dictionary> {
        let key = (reader.segment_id(), field);
        if let Some(opened) = lock(&self.0.dictionaries).get(&key) {
            return opened.clone();
        }
        let opened = walk::open(reader, field, terms).map(Arc::new);
        lock(&self.0.dictionaries).insert(key, opened.clone());
        opened
    }

    /// The term infos of `field`'s terms in one segment that match an ask: by a walk of the
    /// dictionary's FST ([`walk`]), or through tantivy's stream when it cannot be opened so.
    fn matching(
        &self,
        reader: &SegmentReader,
        field: Field,
        ask: &Ask,
        postings: &InvertedIndexReader,
    ) -> tantivy::Result<Vec<TermInfo>> {
        let automaton = self.automaton(ask, field)?;
        let dictionary = postings.terms();
        let Some(fst) = self.dictionary(reader, field, dictionary.num_terms()) else {
            return stream(field, automaton, reader);
        };
        let mut infos = Vec::new();
        let mut unknown = false;
        let mut found = |key: &[u8]| match dictionary.get(key) {
            Ok(Some(info)) => infos.push(info),
            _ => unknown = true,
        };
        match &automaton {
            Automaton::Band(band) => walk::matching(&fst, &**band, &mut found),
            Automaton::Dfa(dfa) => walk::matching(&fst, &**dfa, &mut found),
        }
        if unknown {
            // The FST read is not the dictionary's: never answer from it.
            return stream(field, automaton, reader);
        }
        Ok(infos)
    }
}

/// The term infos of `field`'s terms in one segment that an automaton matches, through
/// tantivy's stream.
fn stream(
    field: Field,
    automaton: Automaton,
    reader: &SegmentReader,
) -> tantivy::Result<Vec<TermInfo>> {
    match automaton {
        Automaton::Band(band) => {
            AutomatonWeight::<band::Band>::new(field, band).get_match_term_infos(reader)
        }
        Automaton::Dfa(dfa) => {
            AutomatonWeight::<DfaWrapper>::new(field, dfa).get_match_term_infos(reader)
        }
    }
}

/// `FuzzyTermQuery`'s automaton for an ask (with transpositions).
fn fuzzy_dfa(ask: &Ask, field: Field) -> tantivy::Result<DfaWrapper> {
    let term = Term::from_field_text(field, &ask.text);
    let fuzzy = if ask.prefix {
        FuzzyTermQuery::new_prefix(term, ask.distance, true)
    } else {
        FuzzyTermQuery::new(term, ask.distance, true)
    };
    fuzzy.automaton()
}

/// One typo clause: a query and its own weight (it needs no statistics).
#[derive(Debug, Clone)]
struct TypoQuery {
    field: Field,
    ask: Ask,
    typos: Typos,
}

impl Query for TypoQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for TypoQuery {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        // No term matched: an empty scorer, which a boolean query drops at once, instead
        // of a scan of a bitset of the whole segment (on MDN a rare word's typo asks
        // mostly match nothing, each in a 215k-document segment).
        Ok(match self.typos.docs(reader, self.field, &self.ask)? {
            Some(docs) => Box::new(ConstScorer::new(BitSetDocSet::from(docs), boost)),
            None => Box::new(EmptyScorer),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) == doc {
            Ok(Explanation::new("TypoScorer", 1.0))
        } else {
            Err(TantivyError::InvalidArgument(
                "Document does not exist".to_string(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::schema::{Schema, STRING};
    use tantivy::{doc, Index, IndexWriter};

    fn index(words: &[&str]) -> (Index, Field) {
        let mut schema = Schema::builder();
        let field = schema.add_text_field("w", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for w in words {
            writer.add_document(doc!(field => *w)).unwrap();
        }
        writer.commit().unwrap();
        (index, field)
    }

    #[test]
    fn matches_what_a_fuzzy_term_query_matches_with_the_same_score() {
        let (index, field) = index(&["token", "tokne", "tokens", "taken", "talk", "tokenizer"]);
        let searcher = index.reader().unwrap().searcher();
        let typos = Typos::default();
        for (text, distance, prefix) in [("token", 1, false), ("token", 2, false), ("tok", 1, true)]
        {
            let term = Term::from_field_text(field, text);
            let fuzzy = if prefix {
                FuzzyTermQuery::new_prefix(term, distance, true)
            } else {
                FuzzyTermQuery::new(term, distance, true)
            };
            let ours = typos.query(field, text, distance, prefix);
            let top = TopDocs::with_limit(10).order_by_score();
            let expected = searcher.search(&fuzzy, &top).unwrap();
            // Twice: the second answer comes from the memo.
            for _ in 0..2 {
                assert_eq!(searcher.search(&*ours, &top).unwrap(), expected);
                assert_eq!(
                    searcher.search(&*ours, &Count).unwrap(),
                    searcher.search(&fuzzy, &Count).unwrap()
                );
            }
        }
    }
}
