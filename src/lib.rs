//! gloss: a glossary search engine for markdown study notes.
pub mod config;
pub mod context;
pub mod entries;
pub mod error;
pub mod glossary;
pub mod graph;
pub mod index;
pub mod lint;
pub mod notes;
pub mod render;
pub mod scope;
pub mod search;
pub mod sections;
pub mod snippet;
pub mod text;
pub mod tokenize;
