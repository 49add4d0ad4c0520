//! The concept graph: which terms each definition mentions, and which definitions mention
//! each term, for `gloss related` and the "see also" line of `gloss define`.
//!
//! A definition of A mentions B when B's name or one of its aliases occurs in A's text as
//! whole words. Words are compared as the index compares them: by normalised key (so
//! `LLMs` mentions `LLM` and `fine tuning` mentions `Fine-tuning`), or as inflections of
//! one word (`chunking` mentions `Chunk`, `fine-tuned` mentions `Fine-tuning`; a derived
//! word does not: `tokenization` does not mention `Token`). At each place the longest name wins (`vector database` mentions
//! `Vector database`, not `Database`). Aliases of one or two letters, and initials made up
//! by gloss that spell a common word, are not looked for.
//!
//! Definitions of the same term (same key) are one node. The graph is built from the index
//! and cached in the live index generation, named by the commit's opstamp, so it is
//! rebuilt exactly when the index changes: a binary file with what it was made of
//! (`graph-<opstamp>.bin`, [`store`]), or, after a run that changed only the texts or lines
//! of definitions, the changes since the file of an earlier commit
//! (`graph-<opstamp>.delta`, [`delta`], [`patch`]).

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::entries;
use crate::error::{Error, Result};
use crate::glossary;
use crate::index::Store;
use crate::search::Hit;
use crate::tokenize::{singular_of, Analyzer, Word};
use crate::words;

mod delta;
mod nodes;
mod patch;
mod source;
mod store;
mod update;
mod view;

use delta::Delta;
use nodes::{NameOf, Nodes};
use source::Source;
use store::Base;
pub use view::Graph;

/// Format of the cached graph and of the matching rules; a cache of another version is
/// rebuilt. Bump it whenever what counts as a mention changes.
pub const VERSION: u32 = 5;

/// Longest name, in words, looked for in definitions.
const MAX_NAME_WORDS: usize = 8;

/// One term of the graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// The term, as its first definition (A-Z, then file and line) writes it.
    pub term: String,
    /// Aliases of all its definitions.
    pub aliases: Vec<String>,
    /// File of its first definition.
    pub file: String,
    /// Line of its first definition.
    pub line: usize,
}

/// Terms and who mentions whom, in memory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Owned {
    /// [`VERSION`].
    pub version: u32,
    /// Terms, A-Z.
    pub nodes: Vec<Node>,
    /// For each node, the nodes its definitions mention, in order of first mention.
    pub mentions: Vec<Vec<usize>>,
    /// For each node, the normalised keys of its term and then of its aliases, computed
    /// once when the graph is built so a lookup by name analyses only the name.
    pub keys: Vec<Vec<String>>,
    /// For each node, the nodes whose definitions mention it, A-Z.
    pub mentioned_by: Vec<Vec<usize>>,
    /// Node by key: terms first, then aliases (built on first use, not stored).
    #[serde(skip)]
    by_key: std::sync::OnceLock<HashMap<String, usize>>,
}

impl PartialEq for Owned {
    fn eq(&self, other: &Owned) -> bool {
        (
            self.version,
            &self.nodes,
            &self.mentions,
            &self.keys,
            &self.mentioned_by,
        ) == (
            other.version,
            &other.nodes,
            &other.mentions,
            &other.keys,
            &other.mentioned_by,
        )
    }
}

impl Eq for Owned {}

/// A name looked for, by stems.
pub(crate) struct StemName {
    node: usize,
    /// Its words, unstemmed, joined by spaces.
    raws: String,
}

/// Two words with the same stem are the same word when they are spelt alike, or one is the
/// other inflected (`chunking` and `chunk`, `fine-tuned` and `fine-tuning`), not derived
/// (`tokenization` is not `token`, `precise` is not `precision`, `ofs` is not `of`).
fn same_word(name: &str, text: &str) -> bool {
    if name == text {
        return true;
    }
    if name.chars().count() < 4 || text.chars().count() < 4 {
        return false;
    }
    let (a, b) = (inflection_base(name), inflection_base(text));
    a == b || a == text || name == b
}

/// A word without its inflection: `chunking`, `chunked`, `chunks` → `chunk`; `tuning`,
/// `tuned`, `tune` → `tun`; `embedding` → `embed`.
fn inflection_base(word: &str) -> &str {
    let mut w = word;
    for suffix in ["ing", "ed", "es", "s"] {
        if let Some(stem) = w.strip_suffix(suffix).filter(|s| s.len() >= 3) {
            w = stem;
            let b = w.as_bytes();
            let n = b.len();
            // `embedding` → `embedd` → `embed`, `running` → `run`.
            if suffix.len() > 1 && n >= 4 && b[n - 1] == b[n - 2] && !b"lsz".contains(&b[n - 1]) {
                w = &w[..n - 1];
            }
            break;
        }
    }
    match w.strip_suffix('e') {
        Some(stem) if stem.len() >= 3 => stem,
        _ => w,
    }
}

type FxMap<K, V> = HashMap<K, V, rustc_hash::FxBuildHasher>;
type FxSet<K> = HashSet<K, rustc_hash::FxBuildHasher>;

/// The names a matcher looks for, by the strings it asks about a window of text: built
/// in memory ([`Tables`]) or read from a cached graph file ([`store::Base`]).
pub(crate) trait Lookup {
    /// Adds to `out` the nodes of the names whose key is `key`; false when there are none.
    fn keyed(&self, key: &str, out: &mut Vec<usize>) -> bool;
    /// Calls `f(node, raw words)` for each term whose stems, joined by spaces, are `stems`.
    fn stemmed(&self, stems: &str, f: &mut dyn FnMut(usize, &str));
    /// Whether a window whose raw words joined are `raw` and stems joined `stems` can grow
    /// into a name.
    fn grows(&self, raw: &str, stems: &str) -> bool;
}

/// The names looked for, in memory.
#[derive(Default)]
pub(crate) struct Tables {
    /// Name keys → nodes.
    keys: FxMap<String, Vec<usize>>,
    /// Name stems, joined by spaces → names (terms only).
    stems: FxMap<String, Vec<StemName>>,
    /// Raw words joined, of the first words of every name (all but its last word) ...
    raw_prefixes: FxSet<String>,
    /// ... and their stems joined by spaces: a window of text that is neither cannot grow
    /// into a name.
    stem_prefixes: FxSet<String>,
}

impl Lookup for Tables {
    fn keyed(&self, key: &str, out: &mut Vec<usize>) -> bool {
        match self.keys.get(key) {
            Some(found) => {
                out.extend_from_slice(found);
                true
            }
            None => false,
        }
    }

    fn stemmed(&self, stems: &str, f: &mut dyn FnMut(usize, &str)) {
        for name in self.stems.get(stems).into_iter().flatten() {
            f(name.node, &name.raws);
        }
    }

    fn grows(&self, raw: &str, stems: &str) -> bool {
        self.raw_prefixes.contains(raw) || self.stem_prefixes.contains(stems)
    }
}

/// Finds the names of terms in text.
pub(crate) struct Matcher<T = Tables> {
    analyzer: Analyzer,
    table: T,
    longest: usize,
    /// The words of the text being matched (reused from text to text).
    words: Vec<Word>,
    /// What a one-word window found, by its word ([`Matcher::first_word`]): kept by a
    /// matcher that reads many texts, where most words come back again and again.
    seen: Option<FxMap<String, Seen>>,
}

/// A one-word window as [`Matcher::find`] met it: the word's stem, the nodes it names and
/// whether it can grow into a longer name.
struct Seen {
    stem: String,
    nodes: Vec<usize>,
    grows: bool,
}

impl Tables {
    /// The tables of `names`, cut as `source` says, of the strings in `only` (all when
    /// `None`): each string's entry as the tables of every name have it.
    fn of<'b>(names: &[NameOf<'b>], source: &Source<'_>, only: Option<&FxSet<String>>) -> Tables {
        let keep = |s: &str| only.is_none_or(|only| only.contains(s));
        let mut t = Tables::default();
        for &(node, term, name, alias) in names {
            let cut = source.name(name);
            // Whether the name gives a string kept, asked before whether it is looked for
            // (which costs more).
            let key = keep(&cut.key);
            // Acronyms and initials do not inflect: only terms are matched by stem.
            let stems = !alias && keep(&cut.stems);
            let starts = || prefixes(cut).any(|(raw, stem)| keep(&raw) || keep(stem));
            let gives = only.is_none() || key || stems || starts();
            if !gives || looked_for(term, name, alias, cut).is_none() {
                continue;
            }
            if key {
                let nodes = t.keys.entry(cut.key.to_string()).or_default();
                if !nodes.contains(&node) {
                    nodes.push(node);
                }
            }
            for (raw, stem) in prefixes(cut) {
                if keep(&raw) {
                    t.raw_prefixes.insert(raw);
                }
                if keep(stem) {
                    t.stem_prefixes.insert(stem.to_string());
                }
            }
            if stems {
                t.stems
                    .entry(cut.stems.to_string())
                    .or_default()
                    .push(StemName {
                        node,
                        raws: cut.raws.to_string(),
                    });
            }
        }
        t
    }
}

impl Matcher<Tables> {
    /// A matcher for `names`, cut as `source` says.
    fn new(names: &[NameOf<'_>], source: &Source<'_>) -> Matcher {
        let mut m = Matcher::over(Tables::of(names, source, None), 0);
        m.seen = Some(FxMap::default());
        for &(_, term, name, alias) in names {
            let cut = source.name(name);
            if let Some(words) = looked_for(term, name, alias, cut) {
                m.longest = m.longest.max(words);
            }
        }
        m
    }
}

impl<T: Lookup> Matcher<T> {
    /// A matcher of the names in `table`, the longest `longest` words.
    fn over(table: T, longest: usize) -> Matcher<T> {
        Matcher {
            analyzer: Analyzer::default(),
            table,
            longest,
            words: Vec::new(),
            seen: None,
        }
    }

    /// [`Matcher::named`] and [`Lookup::grows`] of the window of one word `w`, remembered
    /// by word when the matcher keeps them: the tables are asked once per distinct word.
    fn first_word(&mut self, w: &Word, nodes: &mut Vec<usize>) -> bool {
        if let Some(seen) = self.seen.as_ref().and_then(|s| s.get(w.raw.as_str())) {
            if seen.stem == w.stem {
                nodes.clear();
                nodes.extend_from_slice(&seen.nodes);
                return seen.grows;
            }
        }
        self.named(std::slice::from_ref(w), &w.raw, &w.stem, nodes);
        let grows = self.table.grows(&w.raw, &w.stem);
        if let Some(seen) = self.seen.as_mut() {
            let entry = Seen {
                stem: w.stem.clone(),
                nodes: nodes.clone(),
                grows,
            };
            seen.insert(w.raw.clone(), entry);
        }
        grows
    }

    /// The nodes named by the words `window`, into `nodes`: by key, else by inflection.
    fn named(&self, window: &[Word], joined: &str, stems: &str, nodes: &mut Vec<usize>) {
        nodes.clear();
        if self.table.keyed(singular_of(joined).as_ref(), nodes) {
            return;
        }
        // Exact spellings first: `chunks` names `Chunk`, not also `Chunking`.
        self.table.stemmed(stems, &mut |node, raws| {
            let close = raws
                .split(' ')
                .zip(window)
                .all(|(n, w)| same_word(n, &w.raw));
            if close && !nodes.contains(&node) {
                nodes.push(node);
            }
        });
    }

    /// The nodes named in `text`, in order of first occurrence, each once; at each place
    /// the longest name wins.
    pub fn find(&mut self, text: &str) -> Vec<usize> {
        let mut buffer = std::mem::take(&mut self.words);
        let count = self.analyzer.plain_words_into(text, &mut buffer);
        let words = &buffer[..count];
        let mut out: Vec<usize> = Vec::new();
        let (mut joined, mut stems) = (String::new(), String::new());
        let (mut best, mut nodes) = (Vec::new(), Vec::new());
        let mut i = 0;
        while i < words.len() {
            let mut best_len = 0;
            joined.clear();
            stems.clear();
            for len in 1..=self.longest.min(words.len() - i) {
                let w = &words[i + len - 1];
                joined.push_str(&w.raw);
                if len > 1 {
                    stems.push(' ');
                }
                stems.push_str(&w.stem);
                let grows = if len == 1 {
                    self.first_word(w, &mut nodes)
                } else {
                    self.named(&words[i..i + len], &joined, &stems, &mut nodes);
                    self.table.grows(&joined, &stems)
                };
                if !nodes.is_empty() {
                    best_len = len;
                    std::mem::swap(&mut best, &mut nodes);
                }
                if !grows {
                    break;
                }
            }
            if best_len == 0 {
                i += 1;
                continue;
            }
            for &n in &best {
                if !out.contains(&n) {
                    out.push(n);
                }
            }
            i += best_len;
        }
        self.words = buffer;
        out
    }
}

/// How many words a name has when it is looked for (it has 1 to [`MAX_NAME_WORDS`] and is
/// [`usable`]).
fn looked_for(term: &str, name: &str, alias: bool, cut: &source::Name<'_>) -> Option<usize> {
    let fits = (1..=MAX_NAME_WORDS).contains(&cut.words);
    (fits && usable(term, name, &cut.key, alias)).then_some(cut.words)
}

/// The strings a window of text that can still grow into a name is: for each of the name's
/// first words but the last, the raw words joined (no separator) and the stems joined by
/// spaces.
fn prefixes<'c>(cut: &'c source::Name<'_>) -> impl Iterator<Item = (String, &'c str)> {
    let mut raw = String::new();
    let stems = cut.stems.as_ref();
    let ends = stems.match_indices(' ').map(|(at, _)| at);
    cut.raws.split(' ').zip(ends).map(move |(word, end)| {
        raw.push_str(word);
        (raw.clone(), &stems[..end])
    })
}

/// Whether a name is worth looking for: not one or two letters (for an alias; one letter for
/// a term), and not made-up initials that spell a common word.
fn usable(term: &str, name: &str, key: &str, alias: bool) -> bool {
    let len = key.chars().count();
    if len < 2 || (alias && len <= 2) {
        return false;
    }
    let auto_initials = alias && entries::initials(term).as_deref() == Some(name);
    !(auto_initials && words::COMMON_WORDS.contains(&key))
}

/// Builds the graph from definition hits (as listed by [`glossary::terms`]).
#[cfg(test)]
pub fn build(definitions: &[Hit]) -> Owned {
    build_with_source(definitions).graph
}

/// A graph with what it was made of, as its cache file holds them ([`store`]).
pub(crate) struct Made<'a> {
    graph: Owned,
    source: Source<'a>,
    /// The node of each definition.
    of_def: Vec<usize>,
    /// Each node's place A-Z.
    rank: Vec<u32>,
    /// Every name looked for.
    tables: store::Table<'a>,
}

impl<'a> Made<'a> {
    fn parts(&self) -> store::Parts<'_, 'a> {
        store::Parts {
            source: &self.source,
            graph: &self.graph,
            of_def: &self.of_def,
            rank: &self.rank,
            tables: &self.tables,
        }
    }
}

/// [`build`], with what it was made of (for [`update`] after the next change).
fn build_with_source(definitions: &[Hit]) -> Made<'_> {
    let mut source = Source::of(definitions, &mut Analyzer::default());
    let nodes = Nodes::of(&source, &nodes::groups(&source));
    let mut matcher = Matcher::new(&nodes.names(&source), &source);
    source.longest = matcher.longest;
    for d in 0..source.defs.len() {
        let found = matcher.find(source.defs[d].text);
        let start = source.found.len();
        source.found.extend(found.into_iter().map(|n| n as u32));
        source.defs[d].found = start..source.found.len();
    }
    let (graph, of_def, rank) = nodes.graph(&source);
    Made {
        graph,
        source,
        of_def,
        rank,
        tables: store::Table::Built(matcher.table),
    }
}

impl Owned {
    /// The node named `name` (its term or an alias, compared by key).
    #[cfg(test)]
    pub fn find(&self, name: &str) -> Option<usize> {
        self.find_key(&Analyzer::default().key(name))
    }

    /// The node whose term has this normalised key, else the first whose alias has it.
    pub fn find_key(&self, key: &str) -> Option<usize> {
        if key.is_empty() {
            return None;
        }
        let by_key = self.by_key.get_or_init(|| {
            let mut map = HashMap::new();
            // All terms first, so a term's key wins over another node's alias.
            for (n, keys) in self.keys.iter().enumerate() {
                if let Some(term) = keys.first() {
                    map.entry(term.clone()).or_insert(n);
                }
            }
            for (n, keys) in self.keys.iter().enumerate() {
                for alias in keys.iter().skip(1) {
                    map.entry(alias.clone()).or_insert(n);
                }
            }
            map
        });
        by_key.get(key).copied()
    }

    fn is_consistent(&self) -> bool {
        let n = self.nodes.len();
        self.version == VERSION
            && self.mentions.len() == n
            && self.keys.len() == n
            && self.mentioned_by.len() == n
            && self
                .mentions
                .iter()
                .chain(&self.mentioned_by)
                .flatten()
                .all(|&m| m < n)
    }
}

/// The live generation folder named in `<index>/CURRENT`.
fn generation(dir: &Path) -> Option<PathBuf> {
    let name = std::fs::read_to_string(dir.join("CURRENT")).ok()?;
    let name = name.trim();
    (!name.is_empty() && !name.contains(['/', '\\']) && name != "..").then(|| dir.join(name))
}

/// Whether the store's reader sees the commit described by `metas` (same segments, same
/// deletions), so a graph built from it may be cached under that commit's opstamp.
fn reader_matches(store: &Store, metas: &tantivy::IndexMeta) -> bool {
    let searcher = store.reader.searcher();
    let mut seen: Vec<(String, u32)> = searcher
        .segment_readers()
        .iter()
        .map(|s| (s.segment_id().uuid_string(), s.num_deleted_docs()))
        .collect();
    let mut meta: Vec<(String, u32)> = metas
        .segments
        .iter()
        .map(|s| (s.id().uuid_string(), s.num_deleted_docs()))
        .collect();
    seen.sort();
    meta.sort();
    seen == meta
}

/// Builds and caches the graph of the index just committed in `dir`: called by the index
/// run, so the first `define` or `related` after an edit reads it instead of building it.
/// Best effort: a graph that cannot be built or cached now is built on first use.
pub fn build_after_commit(dir: &Path) {
    // Building the graph allocates much: on mimalloc, even after an in-place run.
    crate::allocator::bulk();
    if let Ok((Some(store), _)) = crate::index::open(dir) {
        let _ = open(&store);
    }
}

/// A graph made by an index run, with its cache file's bytes, to cache together.
pub struct Built {
    graph: Owned,
    bytes: Vec<u8>,
}

/// The graph of a fresh generation, from the definitions its run indexed (as
/// [`Hit::from_doc`] would read them back): the graph [`load_or_build`] would make from the
/// committed index, without reading every definition back from it. Made while the index
/// commits; [`cache_built`] caches it once the commit's opstamp is known.
pub fn build_fresh(definitions: Vec<Hit>) -> Built {
    let hits = glossary::in_order(definitions, &mut Analyzer::default());
    let made = build_with_source(&hits);
    Built {
        bytes: store::encode(&made.parts()),
        graph: made.graph,
    }
}

/// Caches a graph of [`build_fresh`] for the commit `opstamp` of its generation. Best
/// effort, like [`build_after_commit`].
pub fn cache_built(generation: &Path, opstamp: u64, built: &Built) {
    debug_assert!(built.graph.is_consistent());
    let _ = write_base(generation, opstamp, |out| out.write_all(&built.bytes));
}

/// The cache files of commit `opstamp` in the generation folder: the graph's file
/// ([`store`]), or the changes since another commit's ([`delta`]).
fn cache_paths(generation: &Path, opstamp: u64) -> (PathBuf, PathBuf) {
    (
        generation.join(format!("graph-{opstamp}.bin")),
        generation.join(format!("graph-{opstamp}.delta")),
    )
}

/// Makes the graph cached for the commit `from` the graph of the commit `to` just made in
/// `dir`, whose live generation folder is `generation`, for an index run that changed no
/// definition (the graph is made of definitions only): a rename of its delta, or else of
/// its file, without opening the index; builds it when there is no such cache.
pub fn carry_after_commit(dir: &Path, generation: &Path, from: u64, to: u64) {
    let (old, old_delta) = cache_paths(generation, from);
    let (new, new_delta) = cache_paths(generation, to);
    if from != to
        && (std::fs::rename(&old_delta, &new_delta).is_ok() || std::fs::rename(&old, &new).is_ok())
    {
        return;
    }
    build_after_commit(dir);
}

/// A cache file that changes may be made over: `limit` is the largest delta kept before the
/// whole file is written again.
fn delta_limit(base: &Base<'_>) -> u64 {
    (base.len() / 16).max(64 * 1024)
}

/// Makes the graph of the commit `to` just made in `dir` (live generation folder
/// `generation`) from the graph cached for the commit `from` it changed, for an index run
/// that changed the definitions of the notes in `changes` (their definitions now; none for
/// a note removed, as [`Hit::from_doc`] would read them back). When only texts and lines
/// changed, the changes since the cache file are written ([`patch`]); else the file is
/// written again from what it holds, matching again only the texts the change can affect
/// ([`update`]). Builds it when there is no such cache.
pub fn update_after_commit(
    dir: &Path,
    generation: &Path,
    from: u64,
    to: u64,
    changes: &std::collections::BTreeMap<String, Vec<Hit>>,
) {
    let Some(cached) = Cached::open(generation, from) else {
        return build_after_commit(dir);
    };
    let Some(base) = Base::open(&cached.bytes) else {
        return build_after_commit(dir);
    };
    match next(&base, &cached.delta, changes, delta_limit(&base)) {
        Some(Next::Delta(delta, bytes)) => {
            let _ = write_delta(generation, to, delta.base, &bytes);
        }
        Some(Next::Whole(made)) => {
            let _ = write_base(generation, to, |out| store::write(out, &made.parts()));
        }
        None => build_after_commit(dir),
    }
}

/// What the cache of the next commit is.
enum Next<'a> {
    /// The changes since the cache file (the same file), and their bytes.
    Delta(Delta, Vec<u8>),
    /// A new file.
    Whole(Box<Made<'a>>),
}

/// The cache after a change to `changes` of the graph cached as `base` with `delta`: a
/// delta over the same file when only texts and lines changed and it stays within `limit`
/// bytes, else a new file. `None` when the file cannot be read.
fn next<'a>(
    base: &Base<'a>,
    delta: &'a Delta,
    changes: &'a std::collections::BTreeMap<String, Vec<Hit>>,
    limit: u64,
) -> Option<Next<'a>> {
    if let Some(next) = patch::patch(base, delta, changes) {
        let bytes = next.encode();
        if bytes.len() as u64 <= limit {
            return Some(Next::Delta(next, bytes));
        }
    }
    // Building the whole file allocates much: on mimalloc, even after an in-place run.
    crate::allocator::bulk();
    let old = base.source(delta)?;
    Some(Next::Whole(Box::new(update::update(base, &old, changes))))
}

/// The cache of one commit, read: the graph file's bytes and the changes since.
pub(crate) struct Cached {
    /// Mapped (in memory for tests).
    bytes: Box<dyn std::ops::Deref<Target = [u8]> + Send + Sync>,
    /// Its header, as read when it was opened.
    header: store::Header,
    delta: Delta,
}

impl Cached {
    /// The cache of commit `opstamp` in `generation`: its delta and the file that is over,
    /// else its own file; `None` when there is none or it does not read.
    fn open(generation: &Path, opstamp: u64) -> Option<Cached> {
        let delta_path = cache_paths(generation, opstamp).1;
        let delta = match std::fs::read(&delta_path) {
            Ok(bytes) => Some(Delta::decode(&bytes)?),
            Err(_) => None,
        };
        let base = delta.as_ref().map_or(opstamp, |d| d.base);
        let bytes = map(&cache_paths(generation, base).0)?;
        let file = Base::open(&bytes)?;
        let delta = match delta {
            Some(d) if (d.base_len, d.base_id) != (file.len(), file.id()) => return None,
            Some(d) => d,
            None => Delta::over(opstamp, file.len(), file.id()),
        };
        let header = file.header();
        Some(Cached {
            bytes: Box::new(bytes),
            header,
            delta,
        })
    }

    fn base(&self) -> Option<Base<'_>> {
        Some(Base::again(&self.bytes, &self.header))
    }

    /// The whole graph.
    fn graph(&self) -> Option<Owned> {
        self.base()?.graph(Some(&self.delta))
    }

    fn find_key(&self, key: &str) -> Option<usize> {
        self.base()?.find_key(key)
    }

    fn node(&self, n: usize) -> Option<Node> {
        let base = self.base()?;
        let (term, aliases, file, line) = base.node_head(n)?;
        Some(Node {
            term: term.to_string(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            file: base.file_at(file)?.to_string(),
            line: self.line(n).unwrap_or(line),
        })
    }

    /// Node `n`'s line, when the delta changed it.
    fn line(&self, n: usize) -> Option<usize> {
        let patch = self.delta.nodes.get(&u32::try_from(n).ok()?)?;
        Some(patch.line)
    }

    /// Node `n`'s file (a number the nodes share) and line.
    fn place(&self, n: usize) -> Option<(usize, usize)> {
        let (file, line) = self.base()?.node_place(n)?;
        Some((file, self.line(n).unwrap_or(line)))
    }

    /// Node `n`'s mentions and mentioned_by.
    fn edges(&self, n: usize) -> Option<(Vec<usize>, Vec<usize>)> {
        let all = |list: &[u32]| list.iter().map(|&m| m as usize).collect();
        match self.delta.nodes.get(&u32::try_from(n).ok()?) {
            Some(p) => Some((all(&p.mentions), all(&p.by))),
            None => {
                let rec = self.base()?.node(n)?;
                Some((all(&rec.mentions), all(&rec.by)))
            }
        }
    }
}

/// The graph of the index: read from the cache beside the live index when it was made for
/// the same commit (mapped: a lookup reads the nodes it shows), else built and cached. A
/// missing, unreadable or outdated cache is rebuilt; failing to write it (a read-only
/// index) is not an error.
pub fn open(store: &Store) -> Result<Graph> {
    let metas = store
        .index
        .load_metas()
        .map_err(|e| Error::engine("reading the index commit", e))?;
    let cache = generation(&store.dir).filter(|_| reader_matches(store, &metas));
    if let Some(folder) = &cache {
        if let Some(cached) = Cached::open(folder, metas.opstamp) {
            return Ok(Graph::cached(cached));
        }
    }
    let hits = glossary::terms(store, None)?.hits;
    let made = build_with_source(&hits);
    if let Some(folder) = cache {
        let _ = write_base(&folder, metas.opstamp, |out| {
            store::write(out, &made.parts())
        });
    }
    Ok(Graph::built(made.graph))
}

/// [`open`], the whole graph in memory.
#[cfg(test)]
pub(crate) fn load_or_build(store: &Store) -> Result<Owned> {
    Ok(open(store)?.owned().expect("the graph's cache reads"))
}

/// The graph cached for commit `opstamp` in the generation `folder`.
#[cfg(test)]
fn read_cache(folder: &Path, opstamp: u64) -> Option<Owned> {
    Cached::open(folder, opstamp)?.graph()
}

/// A cache file, mapped rather than read (no copy, no page fault per 4 KB of a fresh
/// buffer). `None` when it cannot be opened.
fn map(path: &Path) -> Option<memmap2::Mmap> {
    let file = std::fs::File::open(path).ok()?;
    // SAFETY: the mapping is only read, and gloss never changes a cache file in place: it
    // writes a temporary file and renames it over the old one, which stays whole for its
    // readers. (An outside truncation would end the process, as for tantivy's mapped files.)
    unsafe { memmap2::Mmap::map(&file) }.ok()
}

/// Writes the graph file of commit `opstamp` in the generation `folder` atomically (temp
/// file, rename) with `fill`, and removes the caches of other commits.
fn write_base(
    folder: &Path,
    opstamp: u64,
    fill: impl FnOnce(&mut std::io::BufWriter<&mut std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let (path, _) = cache_paths(folder, opstamp);
    write_atomic(folder, &path, fill)?;
    remove_others(folder, &[&path])
}

/// Writes the changes since the graph file of commit `base` (`bytes` of a [`Delta`]) as the
/// cache of commit `opstamp` (atomically), and removes the caches of other commits but
/// that file.
fn write_delta(folder: &Path, opstamp: u64, base: u64, bytes: &[u8]) -> std::io::Result<()> {
    let (_, path) = cache_paths(folder, opstamp);
    write_atomic(folder, &path, |out| out.write_all(bytes))?;
    let (base, _) = cache_paths(folder, base);
    remove_others(folder, &[&path, &base])
}

/// A temporary cache file not written to for this long was left by a process that ended
/// before it renamed it into place (killed, or out of space).
const STALE: std::time::Duration = std::time::Duration::from_secs(60);

/// Removes the graph caches in `folder` but `keep` (of this format or an older one), and
/// the temporary ones left by a process that ended while writing one ([`STALE`]).
fn remove_others(folder: &Path, keep: &[&Path]) -> std::io::Result<()> {
    let keep: Vec<_> = keep.iter().map(|p| p.file_name()).collect();
    for entry in std::fs::read_dir(folder)?.flatten() {
        let name = entry.file_name();
        let n = name.to_string_lossy();
        if !n.starts_with("graph-") || keep.contains(&Some(name.as_os_str())) {
            continue;
        }
        let cache = [".json", ".defs", ".bin", ".delta"]
            .iter()
            .any(|ext| n.ends_with(ext));
        let stale = || {
            let written = entry.metadata().and_then(|m| m.modified());
            written.is_ok_and(|t| t.elapsed().is_ok_and(|age| age > STALE))
        };
        if cache || (n.ends_with(TEMP) && stale()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

/// How the name of a cache file being written ends (`graph-<random>.tmp`), so that one a
/// killed process left is known for a graph cache's and collected.
const TEMP: &str = ".tmp";

/// Writes `path` in `folder` through a buffered temporary file renamed over it.
fn write_atomic(
    folder: &Path,
    path: &Path,
    fill: impl FnOnce(&mut std::io::BufWriter<&mut std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut tmp = tempfile::Builder::new()
        .prefix("graph-")
        .suffix(TEMP)
        .tempfile_in(folder)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
    fill(&mut out)?;
    out.flush()?;
    drop(out);
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A definition of `term` at `file:line`, for the tests of the graph and of its modules.
#[cfg(test)]
fn test_def(file: &str, line: usize, term: &str, aliases: &[&str], text: &str) -> Hit {
    Hit {
        kind: crate::entries::Kind::Definition,
        term: Some(term.into()),
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
        text: text.into(),
        file: file.into(),
        line,
        ..Hit::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(term: &str, aliases: &[&str], text: &str) -> Hit {
        Hit {
            snippet: text.into(),
            ..test_def("a.md", 1, term, aliases, text)
        }
    }

    fn terms<'a>(g: &'a Owned, ids: &[usize]) -> Vec<&'a str> {
        ids.iter().map(|&i| g.nodes[i].term.as_str()).collect()
    }

    fn mentions<'a>(g: &'a Owned, term: &str) -> Vec<&'a str> {
        terms(g, &g.mentions[g.find(term).unwrap()])
    }

    #[test]
    fn a_definition_mentions_names_and_aliases_as_whole_words() {
        let g = build(&[
            def(
                "Retrieval-augmented generation",
                &["RAG"],
                "Uses chunks and embeddings to help an LLM.",
            ),
            def("Chunk", &[], "A piece of a document, made by chunking."),
            def("Embedding", &[], "A vector for a chunk."),
            def(
                "Large language model",
                &["LLM"],
                "A big model. Often used in RAG.",
            ),
            def("Bed", &[], "Not in embedding."),
        ]);
        assert_eq!(
            mentions(&g, "rag"),
            ["Chunk", "Embedding", "Large language model"]
        );
        assert_eq!(mentions(&g, "Embedding"), ["Chunk"]);
        assert_eq!(mentions(&g, "LLM"), ["Retrieval-augmented generation"]);
        assert!(mentions(&g, "bed").contains(&"Embedding"));
        let by = &g.mentioned_by[g.find("chunk").unwrap()];
        assert_eq!(
            terms(&g, by),
            ["Embedding", "Retrieval-augmented generation"]
        );
    }

    #[test]
    fn an_exact_spelling_beats_an_inflection() {
        let g = build(&[
            def("Chunk", &[], "A piece."),
            def("Chunking", &[], "Making pieces."),
            def("Other", &[], "Chunks, then chunked text."),
        ]);
        assert_eq!(mentions(&g, "other"), ["Chunk", "Chunking"]);
        let g = build(&[
            def("Chunking", &[], "Making pieces."),
            def("Other", &[], "Uses chunks."),
        ]);
        assert_eq!(mentions(&g, "other"), ["Chunking"]);
    }

    #[test]
    fn hyphen_and_plural_variants_count_but_distant_stems_do_not() {
        let g = build(&[
            def("Fine-tuning", &[], "Training further."),
            def("Token", &[], "A unit of text."),
            def(
                "Adapter",
                &[],
                "Used for fine tuning and finetuning of LLMs; see tokenization.",
            ),
            def("LLM", &[], "A model."),
        ]);
        assert_eq!(mentions(&g, "adapter"), ["Fine-tuning", "LLM"]);
    }

    #[test]
    fn inflections_are_one_word_and_derivations_are_not() {
        for (a, b) in [
            ("chunking", "chunk"),
            ("chunked", "chunks"),
            ("tuning", "tuned"),
            ("tune", "tuning"),
            ("embedding", "embed"),
            ("prompting", "prompt"),
        ] {
            assert!(same_word(a, b), "{a} {b}");
        }
        for (a, b) in [
            ("precise", "precision"),
            ("retrieved", "retriever"),
            ("tokenization", "token"),
            ("ofs", "of"),
        ] {
            assert!(!same_word(a, b), "{a} {b}");
        }
    }

    #[test]
    fn short_words_and_aliases_are_not_matched_by_stem() {
        let g = build(&[
            def("Online feature store", &["ofs"], "A store."),
            def("Other", &[], "Made of parts, with ofs."),
        ]);
        assert_eq!(mentions(&g, "other"), ["Online feature store"]);
        let g = build(&[
            def("Online feature store", &["ofs"], "A store."),
            def("Other", &[], "Made of parts."),
        ]);
        assert!(mentions(&g, "other").is_empty());
    }

    #[test]
    fn the_longest_name_wins_and_a_term_does_not_mention_itself() {
        let g = build(&[
            def(
                "Vector database",
                &[],
                "A database of vectors; a vector database stores embeddings.",
            ),
            def("Database", &[], "Stores data."),
            def("Index", &[], "Speeds up a vector database."),
        ]);
        assert!(mentions(&g, "vector database").contains(&"Database"));
        assert_eq!(mentions(&g, "index"), ["Vector database"]);
    }

    #[test]
    fn short_aliases_and_common_word_initials_are_not_names() {
        let g = build(&[
            def("Agents Networks Data", &["and"], "x"),
            def("Machine learning", &["ML"], "y"),
            def("Other", &[], "Cats and dogs do ML."),
        ]);
        assert!(mentions(&g, "other").is_empty());
    }

    #[test]
    fn see_also_lists_mentions_then_mentioners_up_to_max() {
        let g = Graph::built(build(&[
            def("A term", &[], "Mentions b term and c term."),
            def("B term", &[], "Plain."),
            def("C term", &[], "Plain."),
            def("D term", &[], "About a term."),
        ]));
        let a = g.find("a term").unwrap();
        let names: Vec<String> = g.see_also(a, 6).into_iter().map(|n| n.term).collect();
        assert_eq!(names, ["B term", "C term", "D term"]);
        assert_eq!(g.see_also(a, 2).len(), 2);
        // Mentioners nearest in the notes come first.
        let mut far = def("E far", &[], "About the hub.");
        far.line = 2;
        let mut near = def("F near", &[], "About the hub.");
        near.line = 40;
        let mut other = def("G other", &[], "About the hub.");
        other.file = "b.md".into();
        other.line = 30;
        let mut hub = def("Hub", &[], "Plain.");
        hub.line = 35;
        let g = Graph::built(build(&[far, near, other, hub]));
        let names: Vec<String> = g
            .see_also(g.find("hub").unwrap(), 6)
            .into_iter()
            .map(|n| n.term)
            .collect();
        assert_eq!(names, ["F near", "E far", "G other"]);
    }

    #[test]
    fn definitions_of_the_same_term_are_one_node() {
        let g = build(&[
            def("Token", &[], "A unit; see embedding."),
            def("tokens", &[], "Pieces of text."),
            def("Embedding", &[], "A vector."),
        ]);
        assert_eq!(g.nodes.len(), 2);
        assert_eq!(mentions(&g, "token"), ["Embedding"]);
    }

    #[test]
    fn a_cache_of_another_version_or_shape_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let hits = [def("A", &[], "x"), def("Bee", &[], "about A")];
        let made = build_with_source(&hits);
        write_base(dir.path(), 1, |out| store::write(out, &made.parts())).unwrap();
        assert_eq!(read_cache(dir.path(), 1), Some(made.graph.clone()));
        let path = cache_paths(dir.path(), 1).0;
        let bytes = std::fs::read(&path).unwrap();
        // Another version (the header's first field), a cut file, no file.
        let mut other = bytes.clone();
        other[13] ^= 1;
        std::fs::write(&path, &other).unwrap();
        assert_eq!(read_cache(dir.path(), 1), None);
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        assert_eq!(read_cache(dir.path(), 1), None);
        std::fs::write(&path, "{not json").unwrap();
        assert_eq!(read_cache(dir.path(), 1), None);
        // A delta over a file that is not the one it was made over.
        std::fs::write(&path, &bytes).unwrap();
        let base = Base::open(&bytes).unwrap();
        let delta = Delta::over(1, base.len(), base.id() ^ 1);
        write_delta(dir.path(), 2, 1, &delta.encode()).unwrap();
        assert_eq!(read_cache(dir.path(), 2), None);
        let delta = Delta::over(1, base.len(), base.id());
        write_delta(dir.path(), 2, 1, &delta.encode()).unwrap();
        assert_eq!(read_cache(dir.path(), 2), Some(made.graph.clone()));
        // The file stays as the delta's base; a new file removes both, and a temporary
        // file left a while ago by a killed run, not one being written now.
        assert!(path.is_file());
        let (left, writing) = (
            dir.path().join("graph-x1.tmp"),
            dir.path().join("graph-x2.tmp"),
        );
        let old = std::time::SystemTime::now() - 2 * STALE;
        std::fs::File::create(&left)
            .unwrap()
            .set_modified(old)
            .unwrap();
        std::fs::write(&writing, "").unwrap();
        write_base(dir.path(), 3, |out| store::write(out, &made.parts())).unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(writing.is_file() && !left.exists());
        assert_eq!(read_cache(dir.path(), 2), None);
    }

    #[test]
    fn a_cache_file_reads_back_as_written() {
        let mut hits = vec![
            test_def("a.md", 3, "Token", &["tok"], "A unit, of a chunk."),
            test_def("a.md", 9, "Chunk", &[], "A piece of text with tokens."),
            test_def("b/c.md", 300, "Tokens", &[], "Pieces."),
        ];
        // Files named again after many others.
        hits.extend((0..300).map(|i| test_def(&format!("f{i}.md"), i, "T", &[], "")));
        hits.push(test_def("f299.md", 1, "Last", &[], "A token."));
        let hits = glossary::in_order(hits, &mut Analyzer::default());
        let made = build_with_source(&hits);
        let bytes = store::encode(&made.parts());
        let base = Base::open(&bytes).unwrap();
        assert_eq!(base.graph(None).as_ref(), Some(&made.graph));
        let delta = Delta::over(1, base.len(), base.id());
        let back = base.source(&delta).unwrap();
        incremental::same_source(&back, &made.source);
        assert_eq!(base.file_defs("f299.md").unwrap().len(), 2);
        assert_eq!(base.file_defs("nowhere.md"), Some(Vec::new()));
        // The matcher read from the file finds what the built one finds.
        let mut mapped = Matcher::over(base, base.longest());
        let nodes = Nodes::of(&made.source, &nodes::groups(&made.source));
        let mut built = Matcher::new(&nodes.names(&made.source), &made.source);
        for text in ["tokens and chunks", "a tok of text", "Last, T, token"] {
            assert_eq!(mapped.find(text), built.find(text), "{text}");
        }
        for cut in [0, 20, bytes.len() / 2, bytes.len() - 1] {
            assert!(Base::open(&bytes[..cut]).is_none(), "cut at {cut}");
        }
    }
}

#[cfg(test)]
mod incremental {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::test_def as def;
    use super::*;

    fn ordered(hits: &[Hit]) -> Vec<Hit> {
        glossary::in_order(hits.to_vec(), &mut Analyzer::default())
    }

    /// The definitions of each note, as the run gives them.
    fn by_note(hits: &[Hit]) -> BTreeMap<String, Vec<Hit>> {
        let mut notes: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
        for h in hits {
            notes.entry(h.file.clone()).or_default().push(h.clone());
        }
        notes
    }

    /// The notes whose definitions differ between `before` and `after` (with those of
    /// `also`, re-read unchanged), with their definitions in `after`.
    fn changes(before: &[Hit], after: &[Hit], also: &[&str]) -> BTreeMap<String, Vec<Hit>> {
        let (was, now) = (by_note(before), by_note(after));
        let key = |hits: Option<&Vec<Hit>>| -> Vec<(String, Vec<String>, String, usize)> {
            hits.into_iter()
                .flatten()
                .map(|h| {
                    (
                        h.term.clone().unwrap(),
                        h.aliases.clone(),
                        h.text.clone(),
                        h.line,
                    )
                })
                .collect()
        };
        let files = was
            .keys()
            .chain(now.keys())
            .cloned()
            .collect::<std::collections::BTreeSet<_>>();
        files
            .into_iter()
            .filter(|f| key(was.get(f)) != key(now.get(f)) || also.contains(&f.as_str()))
            .map(|f| {
                let hits = now.get(&f).cloned().unwrap_or_default();
                (f, hits)
            })
            .collect()
    }

    /// The same definitions, names and nodes found.
    pub(super) fn same_source(a: &Source<'_>, b: &Source<'_>) {
        assert_eq!(a.longest, b.longest);
        assert_eq!(a.names, b.names);
        assert_eq!(a.defs.len(), b.defs.len());
        for (d, (x, y)) in a.defs.iter().zip(&b.defs).enumerate() {
            assert_eq!(
                (x.term, &x.aliases, x.text, x.file, x.line),
                (y.term, &y.aliases, y.text, y.file, y.line)
            );
            assert_eq!(a.found(d), b.found(d), "found of {}", x.term);
        }
    }

    /// A lookup reads from `view` what it reads from `graph`.
    fn same_view(view: &Graph, graph: &Owned) {
        let built = Graph::built(graph.clone());
        for n in 0..=graph.nodes.len() {
            assert_eq!(view.node(n), built.node(n));
            assert_eq!(view.mentions(n), built.mentions(n));
            assert_eq!(view.mentioned_by(n), built.mentioned_by(n));
            assert_eq!(view.see_also(n, 4), built.see_also(n, 4));
            for key in graph.keys.get(n).into_iter().flatten() {
                assert_eq!(view.find_key(key), built.find_key(key), "{key}");
            }
        }
        assert_eq!(view.find_key("not a key at all"), None);
    }

    /// A graph's cache as index runs keep it: a file, and the changes since.
    struct Cache {
        bytes: Vec<u8>,
        delta: Option<Delta>,
    }

    impl Cache {
        fn of(hits: &[Hit]) -> Cache {
            let hits = ordered(hits);
            let made = build_with_source(&hits);
            Cache {
                bytes: store::encode(&made.parts()),
                delta: None,
            }
        }

        /// The cache after the definitions went from `before` to `after` (the notes of
        /// `also` re-read unchanged), deltas kept up to `limit` bytes, checked against a
        /// build of `after`: its graph, and whether it is a delta.
        fn step(
            &mut self,
            before: &[Hit],
            after: &[Hit],
            also: &[&str],
            limit: u64,
        ) -> (Owned, bool) {
            let changes = changes(&ordered(before), after, also);
            let (graph, delta, bytes) = {
                let base = Base::open(&self.bytes).unwrap();
                let over = Delta::over(1, base.len(), base.id());
                let delta = self.delta.as_ref().unwrap_or(&over);
                match next(&base, delta, &changes, limit).unwrap() {
                    Next::Delta(d, _) => (base.graph(Some(&d)).unwrap(), Some(d), None),
                    Next::Whole(made) => {
                        (made.graph.clone(), None, Some(store::encode(&made.parts())))
                    }
                }
            };
            let patched = delta.is_some();
            self.delta = delta;
            if let Some(bytes) = bytes {
                self.bytes = bytes;
            }
            let after = ordered(after);
            let built = build_with_source(&after);
            assert_eq!(graph, built.graph);
            let view = Graph::cached(Cached {
                bytes: Box::new(self.bytes.clone()),
                header: Base::open(&self.bytes).unwrap().header(),
                delta: self.delta.clone().unwrap_or_default(),
            });
            same_view(&view, &built.graph);
            let base = Base::open(&self.bytes).unwrap();
            assert_eq!(base.graph(self.delta.as_ref()).as_ref(), Some(&graph));
            let over = Delta::over(1, base.len(), base.id());
            let source = base.source(self.delta.as_ref().unwrap_or(&over)).unwrap();
            same_source(&source, &built.source);
            if !patched {
                // The file written is the one a build writes.
                assert!(self.bytes == store::encode(&built.parts()));
            }
            (graph, patched)
        }
    }

    /// The graph of `after` updated from that of `before` (its file written and read back),
    /// through a new file and, when it can be, through a delta, each checked against the
    /// graph built from scratch; returns it.
    fn updated(before: &[Hit], after: &[Hit], also: &[&str]) -> Owned {
        let (whole, patched) = Cache::of(before).step(before, after, also, 0);
        assert!(!patched);
        let (graph, _) = Cache::of(before).step(before, after, also, u64::MAX);
        assert_eq!(graph, whole);
        graph
    }

    fn mentions<'a>(g: &'a Owned, term: &str) -> Vec<&'a str> {
        let ids = &g.mentions[g.find(term).unwrap()];
        ids.iter().map(|&i| g.nodes[i].term.as_str()).collect()
    }

    fn base() -> Vec<Hit> {
        vec![
            def(
                "a.md",
                1,
                "Chunk",
                &[],
                "A piece of a document, made by chunking.",
            ),
            def("a.md", 3, "Embedding", &[], "A vector for a chunk."),
            def(
                "b.md",
                1,
                "Large language model",
                &["LLM"],
                "A big model; see embedding.",
            ),
            def("b.md", 5, "Database", &[], "Stores data."),
            def(
                "c.md",
                2,
                "Index",
                &[],
                "Speeds up a vector database for an LLM.",
            ),
            def("c.md", 4, "Token", &[], "A unit of text."),
        ]
    }

    fn edit(hits: &mut [Hit], term: &str, text: &str) {
        let h = hits
            .iter_mut()
            .find(|h| h.term.as_deref() == Some(term))
            .unwrap();
        h.text = text.into();
    }

    #[test]
    fn a_definition_edited_to_mention_another_term_and_back() {
        let mut after = base();
        edit(
            &mut after,
            "Token",
            "A unit of text, the input of a large language model.",
        );
        let g = updated(&base(), &after, &[]);
        assert_eq!(mentions(&g, "token"), ["Large language model"]);
        let g = updated(&after, &base(), &[]);
        assert!(mentions(&g, "token").is_empty());
        assert!(!g.mentioned_by[g.find("llm").unwrap()].contains(&g.find("token").unwrap()));
    }

    #[test]
    fn a_note_read_again_unchanged_keeps_its_mentions() {
        let g = updated(&base(), &base(), &["a.md", "c.md"]);
        assert_eq!(mentions(&g, "index"), ["Database", "Large language model"]);
    }

    #[test]
    fn a_term_renamed() {
        let mut after = base();
        after[3].term = Some("Vector database".into());
        let g = updated(&base(), &after, &[]);
        assert_eq!(
            mentions(&g, "index"),
            ["Vector database", "Large language model"]
        );
        assert!(g.find("database").is_none());
        let g = updated(&after, &base(), &[]);
        assert_eq!(mentions(&g, "index"), ["Database", "Large language model"]);
    }

    #[test]
    fn an_alias_added_and_removed() {
        let mut after = base();
        after[5].aliases = vec!["unit of text".into()];
        let mut other = after.clone();
        other.push(def(
            "d.md",
            1,
            "Tokenizer",
            &[],
            "Cuts text into a unit of text each.",
        ));
        let g = updated(&base(), &other, &[]);
        assert_eq!(mentions(&g, "tokenizer"), ["Token"]);
        let before = other.clone();
        other[5].aliases.clear();
        let g = updated(&before, &other, &[]);
        assert!(mentions(&g, "tokenizer").is_empty());
        // An alias that is another term's name: both are found.
        let mut after = base();
        after[0].aliases = vec!["Token".into()];
        let g = updated(&base(), &after, &[]);
        assert_eq!(g.find_key("token"), g.find("Token"));
    }

    #[test]
    fn two_definitions_of_one_term_where_one_changes() {
        let mut before = base();
        before.push(def("d.md", 7, "chunks", &[], "Parts of a document."));
        let mut after = before.clone();
        after[6].text = "Parts of a document, each with an embedding.".into();
        let g = updated(&before, &after, &[]);
        assert_eq!(mentions(&g, "chunk"), ["Embedding"]);
        // The first definition goes: the node takes the second one's spelling and place.
        let mut after = before.clone();
        after.remove(0);
        let g = updated(&before, &after, &[]);
        let chunk = &g.nodes[g.find("chunk").unwrap()];
        assert_eq!(
            (chunk.term.as_str(), chunk.file.as_str()),
            ("chunks", "d.md")
        );
    }

    #[test]
    fn a_notes_definitions_removed_and_a_new_note_with_definitions() {
        let before = base();
        let after: Vec<Hit> = base().into_iter().filter(|h| h.file != "b.md").collect();
        let g = updated(&before, &after, &[]);
        assert!(mentions(&g, "index").is_empty());
        assert!(g.find("llm").is_none());
        let mut more = base();
        more.push(def(
            "e.md",
            1,
            "Retrieval",
            &["RAG"],
            "Finds a chunk by its embedding for an LLM.",
        ));
        more.push(def(
            "e.md",
            9,
            "Vector",
            &[],
            "Numbers; an embedding is one.",
        ));
        let g = updated(&before, &more, &[]);
        assert_eq!(
            mentions(&g, "rag"),
            ["Chunk", "Embedding", "Large language model"]
        );
        assert_eq!(
            mentions(&g, "index"),
            ["Vector", "Database", "Large language model"]
        );
    }

    #[test]
    fn the_longest_name_wins_when_names_come_and_go() {
        let before = base();
        let mut after = base();
        after.push(def(
            "e.md",
            1,
            "Vector database",
            &[],
            "A database of vectors.",
        ));
        let g = updated(&before, &after, &[]);
        // `vector database` in Index's text now names the longer term, not `Database`.
        assert_eq!(
            mentions(&g, "index"),
            ["Vector database", "Large language model"]
        );
        let g = updated(&after, &before, &[]);
        assert_eq!(mentions(&g, "index"), ["Database", "Large language model"]);
        // A shorter name added inside a longer one changes nothing there.
        let mut shorter = after.clone();
        shorter.push(def("f.md", 1, "Vector", &[], "Numbers."));
        let g = updated(&after, &shorter, &[]);
        assert_eq!(
            mentions(&g, "index"),
            ["Vector database", "Large language model"]
        );
    }

    #[test]
    fn an_inflection_and_a_plural_of_a_new_name_are_found() {
        let before = base();
        let mut after = base();
        after.push(def("e.md", 1, "Chunking", &[], "Cutting documents."));
        after.push(def("e.md", 3, "Datum", &[], "One of the data."));
        let g = updated(&before, &after, &[]);
        assert_eq!(mentions(&g, "chunk"), ["Chunking"]);
        let g = updated(&after, &before, &[]);
        assert!(mentions(&g, "chunk").is_empty());
    }

    #[test]
    fn a_term_defined_again_in_another_note() {
        let before = base();
        for (file, term, aliases) in [
            ("c.md", "Chunk", &[][..]),
            ("a0.md", "Chunk", &[][..]),
            ("z.md", "chunks", &[][..]),
            ("a0.md", "Embedding", &["Vector embedding"][..]),
        ] {
            let mut after = before.clone();
            after.push(def(file, 9, term, aliases, "Again, of a token."));
            let g = updated(&before, &after, &[]);
            assert!(mentions(&g, term).contains(&"Token"), "{term}");
            updated(&after, &before, &[]);
        }
    }

    #[test]
    fn a_name_added_is_found_however_other_definitions_write_it() {
        let mut before = base();
        before.push(def(
            "d.md",
            1,
            "Rule",
            &[],
            "Policies of the LLM's zorblax-widgets, happily lying.",
        ));
        before.push(def(
            "d.md",
            4,
            "Guard",
            &[],
            "Keeps ZorblaxWidget's policy; the Lying detectors.",
        ));
        before.push(def("d.md", 8, "Other", &[], "Nothing here, but a lie."));
        let added: &[(&str, &[&str])] = &[
            ("Policy", &[]),
            ("Zorblax widget", &[]),
            ("Zorblax", &["ZW"]),
            ("Happy", &[]),
            ("Lie detector", &[]),
            ("Lyingdetector", &[]),
            ("Thing", &["Lying detector"]),
        ];
        for &(term, aliases) in added {
            let mut after = before.clone();
            after.push(def("e.md", 1, term, aliases, "A made-up term."));
            updated(&before, &after, &[]);
            updated(&after, &before, &[]);
            // Renamed, then one more name beside it.
            let mut renamed = after.clone();
            renamed.last_mut().unwrap().term = Some(format!("{term} rule"));
            updated(&after, &renamed, &[]);
            let mut both = after.clone();
            both.push(def("f.md", 1, "Detector", &[], "Finds a lie."));
            updated(&after, &both, &[]);
        }
        let mut after = before.clone();
        after.push(def("e.md", 1, "Policy", &[], "A rule."));
        after.push(def("e.md", 3, "Zorblax widget", &[], "A made-up term."));
        let g = updated(&before, &after, &[]);
        assert_eq!(
            mentions(&g, "rule"),
            ["Policy", "Large language model", "Zorblax widget"]
        );
        assert_eq!(mentions(&g, "guard"), ["Zorblax widget", "Policy"]);
    }

    const WORDS: &[&str] = &[
        "chunk",
        "chunks",
        "chunking",
        "vector",
        "database",
        "databases",
        "token",
        "tokens",
        "model",
        "language",
        "large",
        "index",
        "llm",
        "data",
        "embedding",
        "store",
        "a",
        "of",
        "lying",
        "lie",
        "policy",
        "policies",
        "happy",
        "happiness",
    ];

    fn phrase(picks: &[usize]) -> String {
        picks
            .iter()
            .map(|&i| WORDS[i % WORDS.len()])
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn corpus() -> impl Strategy<Value = Vec<Hit>> {
        let one = (
            0..4usize,
            1..30usize,
            prop::collection::vec(0..24usize, 1..4),
            prop::option::of(prop::collection::vec(0..24usize, 1..3)),
            prop::collection::vec(0..24usize, 0..12),
        );
        prop::collection::vec(one, 1..12).prop_map(|defs| {
            let mut places = std::collections::HashSet::new();
            defs.into_iter()
                .filter(|d| places.insert((d.0, d.1)))
                .map(|(file, line, term, alias, text)| {
                    let aliases: Vec<String> = alias.map(|a| phrase(&a)).into_iter().collect();
                    let aliases: Vec<&str> = aliases.iter().map(String::as_str).collect();
                    def(
                        &format!("n{file}.md"),
                        line,
                        &phrase(&term),
                        &aliases,
                        &phrase(&text),
                    )
                })
                .collect()
        })
    }

    #[test]
    fn a_text_or_line_edit_is_a_delta_and_a_rename_is_not() {
        let before = base();
        let mut cache = Cache::of(&before);
        let mut after = base();
        edit(
            &mut after,
            "Token",
            "A unit of text, the input of a large language model.",
        );
        let (g, patched) = cache.step(&before, &after, &[], u64::MAX);
        assert!(patched);
        assert_eq!(mentions(&g, "token"), ["Large language model"]);
        // Lines moved (in the same order) and another text edited: the changes since the
        // file, in one delta.
        let mut moved = after.clone();
        for h in moved.iter_mut().filter(|h| h.file == "c.md") {
            h.line += 10;
        }
        edit(&mut moved, "Index", "Speeds up a database.");
        let (g, patched) = cache.step(&after, &moved, &[], u64::MAX);
        assert!(patched);
        assert_eq!(mentions(&g, "index"), ["Database"]);
        assert_eq!(mentions(&g, "token"), ["Large language model"]);
        assert_eq!(g.nodes[g.find("token").unwrap()].line, 14);
        // Back as the file has it: nothing left in the delta.
        let (_, patched) = cache.step(&moved, &before, &[], u64::MAX);
        assert!(patched);
        let left = cache.delta.as_ref().map(|d| (d.defs.len(), d.nodes.len()));
        assert_eq!(left, Some((0, 0)));
        // A rename, or two definitions swapping lines: a new file.
        let mut renamed = before.clone();
        renamed[3].term = Some("Vector database".into());
        let (_, patched) = cache.step(&before, &renamed, &[], u64::MAX);
        assert!(!patched);
        let mut swapped = renamed.clone();
        (swapped[0].line, swapped[1].line) = (3, 1);
        let (_, patched) = cache.step(&renamed, &swapped, &[], u64::MAX);
        assert!(!patched);
    }

    fn texts() -> impl Strategy<Value = Vec<Vec<usize>>> {
        prop::collection::vec(prop::collection::vec(0..24usize, 0..12), 12)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn random_text_edits_kept_as_deltas_give_the_graph_a_build_gives(
            start in corpus(),
            steps in prop::collection::vec((0..4usize, corpus(), 0..4usize, texts(), 0..3usize), 1..6),
            limit in prop::sample::select(vec![0u64, 300, u64::MAX]),
        ) {
            let mut cache = Cache::of(&start);
            let mut now = start;
            for (kind, other, note, texts, shift) in steps {
                let file = format!("n{note}.md");
                let mut next: Vec<Hit> = now.clone();
                if kind == 0 {
                    // Note `n{note}` takes its definitions from `other`.
                    next.retain(|h| h.file != file);
                    next.extend(other.into_iter().filter(|h| h.file == file));
                } else {
                    // Its texts rewritten, its lines moved.
                    for (h, t) in next.iter_mut().filter(|h| h.file == file).zip(&texts) {
                        h.text = phrase(t);
                        h.line += shift;
                    }
                }
                cache.step(&now, &next, &[], limit);
                now = next;
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn random_edits_give_the_graph_a_build_gives(steps in prop::collection::vec((corpus(), 0..4usize), 1..4), start in corpus()) {
            let mut now = start;
            for (other, note) in steps {
                // Note `n{note}` takes its definitions from `other` (or loses them).
                let file = format!("n{note}.md");
                let mut next: Vec<Hit> = now.iter().filter(|h| h.file != file).cloned().collect();
                next.extend(other.into_iter().filter(|h| h.file == file));
                updated(&now, &next, &[]);
                now = next;
            }
        }
    }
}
