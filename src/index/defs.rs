//! Whether an incremental run changed any definition: the concept graph is made of the
//! definitions only (term, aliases, place, text), so a run that re-indexed notes without
//! changing one (an edited passage, a touched file) keeps the graph of the last commit
//! instead of building it again.

use std::collections::BTreeMap;

use tantivy::collector::DocSetCollector;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{IndexReader, TantivyDocument, Term};

use super::Fields;
use crate::entries::{Entry, Kind};
use crate::search::Hit;

/// A definition as the graph reads it from the index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Def {
    line: u64,
    term: String,
    aliases: Vec<String>,
    text: String,
}

/// The definitions of the last commit, looked up per note, and whether any changed.
pub(super) struct Defs {
    reader: IndexReader,
    fields: Fields,
    /// True once a note's definitions differ from those of the last commit.
    pub changed: bool,
    /// The definitions now (as the graph reads them back) of the note whose definitions
    /// changed first and of every note after it, by note: all the graph must take anew.
    pub notes: BTreeMap<String, Vec<Hit>>,
}

impl Defs {
    /// Compares against the commit `reader` sees.
    pub fn new(reader: IndexReader, fields: Fields) -> Defs {
        Defs {
            reader,
            fields,
            changed: false,
            notes: BTreeMap::new(),
        }
    }

    /// Notes that note `rel` now has `entries` (none when it is gone).
    pub fn note(&mut self, rel: &str, entries: &[Entry]) {
        if !self.changed {
            self.compare(rel, entries);
        }
        if self.changed {
            let hits = entries.iter().filter_map(super::definition_hit).collect();
            self.notes.insert(rel.to_string(), hits);
        }
    }

    /// Sets `changed` when the definitions of `rel` differ from the last commit's.
    fn compare(&mut self, rel: &str, entries: &[Entry]) {
        let mut now: Vec<Def> = entries
            .iter()
            .filter(|e| e.kind == Kind::Definition)
            .map(|e| Def {
                line: e.line as u64,
                term: e.term.clone().unwrap_or_default(),
                aliases: e.aliases.clone(),
                text: e.text.clone(),
            })
            .collect();
        now.sort();
        // An index that cannot be read here counts as a change: the graph is built again.
        self.changed = self.indexed(rel).is_none_or(|before| before != now);
    }

    /// The definitions of `rel` in the last commit, as stored.
    fn indexed(&self, rel: &str) -> Option<Vec<Def>> {
        let f = &self.fields;
        let searcher = self.reader.searcher();
        let term = |field, text: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, text),
                IndexRecordOption::Basic,
            ))
        };
        let query = BooleanQuery::new(vec![
            (Occur::Must, term(f.file, rel)),
            (Occur::Must, term(f.kind, Kind::Definition.as_str())),
        ]);
        let mut defs = Vec::new();
        for addr in searcher.search(&query, &DocSetCollector).ok()? {
            let doc: TantivyDocument = searcher.doc(addr).ok()?;
            let text = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            defs.push(Def {
                line: doc.get_first(f.line).and_then(|v| v.as_u64()).unwrap_or(0),
                term: text(f.term),
                aliases: doc
                    .get_all(f.alias)
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                text: text(f.body),
            });
        }
        defs.sort();
        Some(defs)
    }
}
