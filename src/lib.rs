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
// The table of contents. The types a front end needs are re-exported here; the modules
// stay public for the integration tests and benchmarks that drive one stage at a time.

// What a front end calls: one request in, one answer out (see ARCHITECTURE.md).
pub use crate::config::{Boost, Config, Synonym};
pub use crate::entries::Kind;
pub use crate::error::{Error, Result};
pub use crate::index::Store;
pub use crate::lookup::{lookup, Answer, Notice, Related, Request, TermsRequest};
pub use crate::scope::Scope;
pub use crate::search::{Hit, Mode, Results, Tier, TIERS};

// Index time: notes → sections → entries → index (and the graph of each commit).
pub mod entries;
pub mod graph;
pub mod index;
pub mod notes;
pub mod sections;
pub mod text;
pub mod thesaurus;
pub mod tokenize;
pub mod words;

// Query time: request → tiers → one order.
pub mod lookup;
pub mod query;
pub mod rank;
pub mod scope;
pub mod search;
pub mod snippet;

// Output and the other listings.
pub mod context;
pub mod glossary;
pub mod lint;
pub mod render;

// Settings, errors, and the long-running front ends.
pub mod config;
pub mod error;
pub mod serve;
pub mod watch;
