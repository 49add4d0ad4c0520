//! gloss: a glossary search engine for markdown study notes.
//!
//! Data flows one way:
//!
//! ```text
//! notes/*.md
//!   │ notes      walk the folder (.gitignore honoured), read each file read-only
//!   │ sections   pulldown-cmark → heading-bounded sections of blocks, with source lines
//!   │ entries    definitions (eight note styles) and passages
//!   │ index      tantivy schema, build beside the old / refresh in place, manifest
//!   │ search     query → tiers of exact, typo and text matches → ranked hits + snippets
//!   ▼ render     hits → text | json | jsonl | csv | markdown | html | anki
//! ```
//!
//! A query goes through one pipeline, whatever the front end: the front end builds a
//! [`Request`], [`lookup`] searches (the query, then its synonym expansions, inside the
//! scope) and [`rank`] alone decides the order of the [`Answer`]'s hits.
//!
//! ```
//! use gloss::index::{self, Refresh};
//! use gloss::{lookup, Mode, Request};
//!
//! let notes = tempfile::tempdir()?;
//! std::fs::write(notes.path().join("nlp.md"), "# NLP\n\n**Token**: The basic unit of text.\n")?;
//! let dir = tempfile::tempdir()?;
//! index::refresh(notes.path(), dir.path(), Refresh::Rebuild, true)?;
//! let store = index::open(dir.path())?.0.expect("just built");
//! let answer = lookup(&store, &Request::new("tokens", Mode::Define))?;
//! let hit = &answer.results.hits[0];
//! assert_eq!(hit.term.as_deref(), Some("Token"));
//! assert_eq!((hit.file.as_str(), hit.line), ("nlp.md", 3));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
// The table of contents. A front end needs the types re-exported here and the modules
// below that stay public; the stages themselves are private, and [`stages`] lends them
// to the tests, benchmarks, fuzz targets and examples that drive one at a time.

// What a front end calls: one request in, one answer out (see ARCHITECTURE.md).
pub use crate::config::{Boost, Config, Synonym};
pub use crate::entries::Kind;
pub use crate::error::{Error, Result};
pub use crate::graph::{Graph, Node};
pub use crate::index::Store;
pub use crate::lookup::{lookup, Answer, Notice, Related, Request, TermsRequest};
pub use crate::scope::Scope;
pub use crate::search::{Hit, Mode, Results, Tier, TIERS};

// The modules a front end uses by name: opening and refreshing the index, the listings,
// output formats, settings, errors, and the long-running front ends.
pub mod allocator;
pub mod config;
pub mod context;
pub mod error;
pub mod index;
pub mod lint;
pub mod lookup;
pub mod render;
pub mod serve;
pub mod watch;

// Index time: notes → sections → entries → index (and the graph of each commit).
mod entries;
mod graph;
mod notes;
mod sections;
mod text;
mod thesaurus;
mod tokenize;
mod words;

// Query time: request → tiers → one order.
mod glossary;
mod query;
mod rank;
mod scope;
mod search;
mod snippet;

/// The pipeline one stage at a time, for tests, benchmarks, fuzz targets and examples. A
/// front end calls [`lookup()`] instead, which runs every stage and ranks the hits.
pub mod stages {
    pub use crate::entries::{extract, Entry};
    pub use crate::notes::{decode, read, NoteFile, Warning};
    pub use crate::search::{search, Options};
    pub use crate::sections::{parse, Document};
    pub use crate::tokenize::Analyzer;
}
