//! Query text → ranked hits over a small index built once from tests/fixtures/styles: never
//! panics, never fails on a query with words, and every highlight is a byte range on char
//! boundaries inside its snippet.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use gloss::index::{self, Refresh, Store};
use gloss::stages::{self, Options};
use gloss::Mode;
use libfuzzer_sys::fuzz_target;

fn store() -> &'static Store {
    static STORE: OnceLock<(tempfile::TempDir, Store)> = OnceLock::new();
    &STORE
        .get_or_init(|| {
            let notes = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/styles");
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("index");
            index::refresh(&notes, &path, Refresh::Rebuild, true).expect("index the fixtures");
            let (store, _) = index::open(&path).expect("open the index");
            (dir, store.expect("an index"))
        })
        .1
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let query = String::from_utf8_lossy(rest);
    let options = Options {
        mode: if first & 1 == 0 {
            Mode::Search
        } else {
            Mode::Define
        },
        limit: 1 + usize::from(first >> 4),
        ..Options::default()
    };
    let results = match stages::search(store(), &query, &options) {
        Ok(results) => results,
        Err(gloss::error::Error::EmptyQuery) => return,
        Err(err) => panic!("query {query:?} failed: {err}"),
    };
    assert!(results.hits.len() <= options.limit);
    for hit in &results.hits {
        for &[from, to] in &hit.highlights {
            assert!(from < to && to <= hit.snippet.len(), "{hit:?}");
            assert!(
                hit.snippet.is_char_boundary(from) && hit.snippet.is_char_boundary(to),
                "{hit:?}"
            );
        }
    }
});
