//! gloss: a glossary search engine for markdown study notes.
pub mod entries;
pub mod error;
pub mod index;
pub mod notes;
pub mod sections;
pub mod text;
pub mod tokenize;
pub mod search;
pub mod snippet;
pub mod render;
