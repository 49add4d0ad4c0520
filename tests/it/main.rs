//! The one integration-test binary: the CLI run as a user runs it, and the shipped notes.

mod browser;
mod cli;
mod common;
mod content;
mod everyday;
mod export;
mod hostile;
mod mcp;
mod props;
mod refresh;
mod relevance;
mod safety;
mod seed;
mod serve;
mod styles;
