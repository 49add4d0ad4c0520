//! gloss: a glossary search engine for markdown study notes.
pub mod entries;
pub mod error;
pub mod glossary;
pub mod index;
pub mod notes;
pub mod render;
pub mod search;
pub mod sections;
pub mod snippet;
pub mod text;
pub mod tokenize;
