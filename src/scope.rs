//! Scope: which part of the notes a query looks at (`--in PATH_OR_GLOB`, `--tag T`).
//!
//! A scope becomes one clause of every tantivy query a lookup runs ([`Scope::clause`]): the
//! files and tags of the index that the scope keeps, read from the index's own term
//! dictionaries, so the search itself returns only hits in scope and nothing is over-fetched.

use std::collections::BTreeSet;
use std::sync::Arc;

use globset::{Glob, GlobMatcher};
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

use crate::error::{Error, Result};
use crate::index::Store;
use crate::search::Hit;

/// One `--in` value.
#[derive(Debug, Clone)]
enum Place {
    /// A path or a prefix of one: `04-rag`, `sub/`, `sub/a.md`.
    Prefix(String),
    /// A glob over the whole relative path: `0[1-3]-*.md`, `**/draft*.md`.
    Glob(GlobMatcher),
}

/// A filter on hits: in one of the places (when any are given) and tagged with one of the
/// tags (when any are given).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    places: Vec<Place>,
    tags: Vec<String>,
}

/// A `--in` value that is not a valid glob.
#[derive(Debug, thiserror::Error)]
#[error("--in {pattern:?} is not a valid glob: {message}")]
pub struct ScopeError {
    /// The value given.
    pub pattern: String,
    /// What is wrong.
    pub message: String,
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '[', '{'])
}

/// `./a/b` → `a/b`, backslashes as slashes.
fn normalise(s: &str) -> String {
    let mut s = s.replace('\\', "/");
    while let Some(rest) = s.strip_prefix("./") {
        s = rest.to_string();
    }
    s
}

impl Scope {
    /// A scope from `--in` values (relative to the notes folder; a leading `content_prefix`,
    /// the notes folder as typed, is dropped so shell completion of `content/04-rag...`
    /// works) and `--tag` values.
    pub fn new(
        places: &[String],
        tags: &[String],
        content_prefix: &str,
    ) -> Result<Scope, ScopeError> {
        let content_prefix = normalise(content_prefix);
        let content_prefix = content_prefix.trim_end_matches('/');
        let mut out = Scope::default();
        for p in places {
            let mut p = normalise(p);
            if !content_prefix.is_empty() && content_prefix != "." {
                if let Some(rest) = p.strip_prefix(&format!("{content_prefix}/")) {
                    p = rest.to_string();
                }
            }
            if is_glob(&p) {
                let glob = Glob::new(&p).map_err(|e| ScopeError {
                    pattern: p.clone(),
                    message: e.kind().to_string(),
                })?;
                out.places.push(Place::Glob(glob.compile_matcher()));
            } else {
                out.places.push(Place::Prefix(p));
            }
        }
        out.tags = tags
            .iter()
            .map(|t| t.trim().trim_start_matches('#').to_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
        Ok(out)
    }

    /// True when the scope keeps every hit.
    pub fn is_all(&self) -> bool {
        self.places.is_empty() && self.tags.is_empty()
    }

    /// Whether a hit is in scope.
    pub fn contains(&self, hit: &Hit) -> bool {
        self.keeps_file(&hit.file)
            && (self.tags.is_empty() || hit.tags.iter().any(|t| self.keeps_tag(t)))
    }

    /// Whether a note's path (relative to the notes folder) is in one of the places.
    fn keeps_file(&self, file: &str) -> bool {
        self.places.is_empty()
            || self.places.iter().any(|p| match p {
                Place::Prefix(prefix) => file.starts_with(prefix.as_str()),
                Place::Glob(glob) => glob.is_match(file),
            })
    }

    /// Whether a front matter tag is one of the scope's (case and a leading `#` ignored).
    fn keeps_tag(&self, tag: &str) -> bool {
        self.tags
            .contains(&tag.trim().trim_start_matches('#').to_lowercase())
    }

    /// The clause a query in this scope must also match: any of the indexed files in the
    /// places and any of the indexed tags asked for. `Ok(None)` for the whole index;
    /// [`Clause::Nothing`] when no indexed note is in scope.
    pub fn clause(&self, store: &Store) -> Result<Option<Clause>> {
        if self.is_all() {
            return Ok(None);
        }
        let searcher = store.reader.searcher();
        let f = &store.fields;
        let mut parts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if !self.places.is_empty() {
            let files = indexed(&searcher, f.file, |file| self.keeps_file(file))?;
            if files.is_empty() {
                return Ok(Some(Clause::Nothing));
            }
            parts.push((Occur::Must, any_of(f.file, &files)));
        }
        if !self.tags.is_empty() {
            let tags = indexed(&searcher, f.tag, |tag| self.keeps_tag(tag))?;
            if tags.is_empty() {
                return Ok(Some(Clause::Nothing));
            }
            parts.push((Occur::Must, any_of(f.tag, &tags)));
        }
        // A filter, not a match: it adds nothing to a hit's score (BM25 of a file name
        // would reorder hits by which file they are in).
        let filter = ConstScoreQuery::new(Box::new(BooleanQuery::new(parts)), 0.0);
        Ok(Some(Clause::Within(Arc::new(filter))))
    }
}

/// What a scope asks of a query.
#[derive(Debug, Clone)]
pub enum Clause {
    /// Hits must match this query (files and tags in scope).
    Within(Arc<dyn Query>),
    /// No indexed note is in scope: there can be no hit.
    Nothing,
}

/// The indexed values of a raw (untokenised) field that `keep` accepts.
fn indexed(searcher: &Searcher, field: Field, keep: impl Fn(&str) -> bool) -> Result<Vec<String>> {
    let mut out = BTreeSet::new();
    for segment in searcher.segment_readers() {
        let inverted = segment
            .inverted_index(field)
            .map_err(|e| Error::engine("reading the index's files and tags", e))?;
        let mut terms = inverted
            .terms()
            .stream()
            .map_err(|e| Error::engine("reading the index's files and tags", e.into()))?;
        while terms.advance() {
            if let Ok(value) = std::str::from_utf8(terms.key()) {
                if keep(value) {
                    out.insert(value.to_string());
                }
            }
        }
    }
    Ok(out.into_iter().collect())
}

/// Any of `values` in a raw field.
fn any_of(field: Field, values: &[String]) -> Box<dyn Query> {
    let clauses = values
        .iter()
        .map(|v| {
            let q = TermQuery::new(Term::from_field_text(field, v), IndexRecordOption::Basic);
            (Occur::Should, Box::new(q) as Box<dyn Query>)
        })
        .collect();
    Box::new(BooleanQuery::new(clauses))
}

impl Scope {
    /// Drops the hits out of scope.
    pub fn filter(&self, hits: &mut Vec<Hit>) {
        if !self.is_all() {
            hits.retain(|h| self.contains(h));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entries::Kind;

    fn hit(kind: Kind, file: &str, line: usize, tags: &[&str]) -> Hit {
        Hit {
            kind,
            file: file.into(),
            line,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..Hit::default()
        }
    }

    fn keeps(scope: &Scope, file: &str) -> bool {
        scope.contains(&hit(Kind::Passage, file, 1, &[]))
    }

    #[test]
    fn places_are_prefixes_or_globs() {
        let s = Scope::new(&["04-rag".into()], &[], "content").unwrap();
        assert!(keeps(&s, "04-rag-vector-search.md"));
        assert!(!keeps(&s, "03-apps.md"));
        let s = Scope::new(&["0[1-3]-*.md".into()], &[], "content").unwrap();
        assert!(keeps(&s, "02-x.md"));
        assert!(!keeps(&s, "04-x.md"));
        let s = Scope::new(
            &["./sub/".into(), "content/09-ops.md".into()],
            &[],
            "./content/",
        )
        .unwrap();
        assert!(keeps(&s, "sub/a.md"));
        assert!(keeps(&s, "09-ops.md"));
        assert!(!keeps(&s, "subway.md"));
        assert!(Scope::new(&["[".into()], &[], "").is_err());
    }

    #[test]
    fn tags_match_any_ignoring_case_and_hash() {
        let s = Scope::new(&[], &["#Kubernetes".into(), "ops".into()], "").unwrap();
        assert!(s.contains(&hit(Kind::Passage, "a.md", 1, &["kubernetes"])));
        assert!(s.contains(&hit(Kind::Passage, "a.md", 1, &["OPS", "x"])));
        assert!(!s.contains(&hit(Kind::Passage, "a.md", 1, &["rag"])));
        assert!(!s.contains(&hit(Kind::Passage, "a.md", 1, &[])));
    }
}
