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
//! and cached as JSON in the live index generation, named by the commit's opstamp, so it is
//! rebuilt exactly when the index changes.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::entries;
use crate::error::{Error, Result};
use crate::glossary;
use crate::index::Store;
use crate::search::Hit;
use crate::tokenize::{singular_of, Analyzer, Word};
use crate::words;

mod nodes;
mod source;
mod update;

use nodes::{NameOf, Nodes};
use source::Source;

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

/// Terms and who mentions whom.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Graph {
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

impl PartialEq for Graph {
    fn eq(&self, other: &Graph) -> bool {
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

impl Eq for Graph {}

/// A name looked for, by stems.
struct StemName {
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

/// Finds the names of terms in text.
pub struct Matcher {
    analyzer: Analyzer,
    /// Name keys → nodes.
    keys: FxMap<String, Vec<usize>>,
    /// Name stems, joined by spaces → names (terms only).
    stems: FxMap<String, Vec<StemName>>,
    /// Raw words joined, of the first words of every name (all but its last word) ...
    raw_prefixes: FxSet<String>,
    /// ... and their stems joined by spaces: a window of text that is neither cannot grow
    /// into a name.
    stem_prefixes: FxSet<String>,
    longest: usize,
    /// The words of the text being matched (reused from text to text).
    words: Vec<Word>,
}

impl Matcher {
    /// A matcher for `names`, cut as `source` says.
    fn new<'b>(names: impl IntoIterator<Item = NameOf<'b>>, source: &Source<'_>) -> Matcher {
        let mut m = Matcher {
            analyzer: Analyzer::default(),
            keys: FxMap::default(),
            stems: FxMap::default(),
            raw_prefixes: FxSet::default(),
            stem_prefixes: FxSet::default(),
            longest: 0,
            words: Vec::new(),
        };
        for (node, term, name, alias) in names {
            let cut = source.name(name);
            if looked_for(term, name, alias, cut).is_none() {
                continue;
            }
            let nodes = m.keys.entry(cut.key.to_string()).or_default();
            if !nodes.contains(&node) {
                nodes.push(node);
            }
            m.longest = m.longest.max(cut.words);
            for (raw, stem) in prefixes(cut) {
                m.raw_prefixes.insert(raw);
                m.stem_prefixes.insert(stem.to_string());
            }
            // Acronyms and initials do not inflect: only terms are matched by stem.
            if alias {
                continue;
            }
            m.stems
                .entry(cut.stems.to_string())
                .or_default()
                .push(StemName {
                    node,
                    raws: cut.raws.to_string(),
                });
        }
        m
    }

    /// The nodes named by the words `window`, into `nodes`: by key, else by inflection.
    fn named(&self, window: &[Word], joined: &str, stems: &str, nodes: &mut Vec<usize>) {
        nodes.clear();
        if let Some(found) = self.keys.get(singular_of(joined).as_ref()) {
            nodes.extend_from_slice(found);
            return;
        }
        // Exact spellings first: `chunks` names `Chunk`, not also `Chunking`.
        for name in self.stems.get(stems).into_iter().flatten() {
            let close = name
                .raws
                .split(' ')
                .zip(window)
                .all(|(n, w)| same_word(n, &w.raw));
            if close && !nodes.contains(&name.node) {
                nodes.push(name.node);
            }
        }
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
                self.named(&words[i..i + len], &joined, &stems, &mut nodes);
                if !nodes.is_empty() {
                    best_len = len;
                    std::mem::swap(&mut best, &mut nodes);
                }
                if !self.raw_prefixes.contains(joined.as_str())
                    && !self.stem_prefixes.contains(stems.as_str())
                {
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
pub fn build(definitions: &[Hit]) -> Graph {
    build_with_source(definitions).0
}

/// [`build`], with what it was made of (for [`update`] after the next change).
fn build_with_source(definitions: &[Hit]) -> (Graph, Source<'_>) {
    let mut source = Source::of(definitions, &mut Analyzer::default());
    let nodes = Nodes::of(&source, &nodes::groups(&source));
    let mut matcher = Matcher::new(nodes.names(&source), &source);
    source.longest = matcher.longest;
    for d in 0..source.defs.len() {
        let found = matcher.find(source.defs[d].text);
        let start = source.found.len();
        source.found.extend(found.into_iter().map(|n| n as u32));
        source.defs[d].found = start..source.found.len();
    }
    (nodes.graph(&source), source)
}

impl Graph {
    /// The node named `name` (its term or an alias, compared by key).
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

    /// Up to `max` terms to look at next: those the node mentions, in order, then those
    /// that mention it, nearest in the notes first (same note, then by line distance).
    pub fn see_also(&self, node: usize, max: usize) -> Vec<&Node> {
        let mut out: Vec<usize> = Vec::new();
        let (Some(mentions), Some(by), Some(here)) = (
            self.mentions.get(node),
            self.mentioned_by.get(node),
            self.nodes.get(node),
        ) else {
            return Vec::new();
        };
        let mut by = by.clone();
        by.sort_by_key(|&m| {
            let n = &self.nodes[m];
            (n.file != here.file, n.line.abs_diff(here.line), m)
        });
        for &m in mentions.iter().chain(&by) {
            if out.len() == max {
                break;
            }
            if m != node && !out.contains(&m) {
                out.push(m);
            }
        }
        out.into_iter().filter_map(|m| self.nodes.get(m)).collect()
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
    if let Ok((Some(store), _)) = crate::index::open(dir) {
        let _ = load_or_build(&store);
    }
}

/// A graph made by an index run, with what it was made of (encoded), to cache together.
pub struct Built {
    graph: Graph,
    source: Vec<u8>,
}

/// The graph of a fresh generation, from the definitions its run indexed (as
/// [`Hit::from_doc`] would read them back): the graph [`load_or_build`] would make from the
/// committed index, without reading every definition back from it. Made while the index
/// commits; [`cache_built`] caches it once the commit's opstamp is known.
pub fn build_fresh(definitions: Vec<Hit>) -> Built {
    let hits = glossary::in_order(definitions, &mut Analyzer::default());
    let (graph, source) = build_with_source(&hits);
    Built {
        source: source.encode(),
        graph,
    }
}

/// Caches a graph of [`build_fresh`] for the commit `opstamp` of its generation. Best
/// effort, like [`build_after_commit`].
pub fn cache_built(generation: &Path, opstamp: u64, built: &Built) {
    let _ = write_cache(
        generation,
        opstamp,
        &built.graph,
        Some(Made::Encoded(&built.source)),
    );
}

/// The cached graph of commit `opstamp` and what it was made of, in the generation folder.
fn cache_paths(generation: &Path, opstamp: u64) -> (PathBuf, PathBuf) {
    (
        generation.join(format!("graph-{opstamp}.json")),
        generation.join(format!("graph-{opstamp}.defs")),
    )
}

/// Makes the graph cached for the commit `from` the graph of the commit `to` just made in
/// `dir`, whose live generation folder is `generation`, for an index run that changed no
/// definition (the graph is made of definitions only): a rename, without opening the
/// index; builds it when there is no such cache.
pub fn carry_after_commit(dir: &Path, generation: &Path, from: u64, to: u64) {
    let (old, old_source) = cache_paths(generation, from);
    let (new, new_source) = cache_paths(generation, to);
    if old != new && std::fs::rename(&old, &new).is_ok() {
        // Without its source, the next run that changes a definition builds it whole.
        let _ = std::fs::rename(&old_source, &new_source);
        return;
    }
    if let Ok((Some(store), _)) = crate::index::open(dir) {
        let _ = load_or_build(&store);
    }
}

/// Makes the graph of the commit `to` just made in `dir` (live generation folder
/// `generation`) from the graph cached for the commit `from` it changed, for an index run
/// that changed the definitions of the notes in `changes` (their definitions now; none for
/// a note removed, as [`Hit::from_doc`] would read them back): matches again only the
/// texts the change can affect ([`update`]). Builds it when there is no such cache.
pub fn update_after_commit(
    dir: &Path,
    generation: &Path,
    from: u64,
    to: u64,
    changes: &std::collections::BTreeMap<String, Vec<Hit>>,
) {
    let bytes = map(&cache_paths(generation, from).1);
    match bytes.as_deref().and_then(Source::decode) {
        Some(old) => {
            let (graph, source) = update::update(&old, changes);
            let _ = write_cache(generation, to, &graph, Some(Made::Source(&source)));
        }
        None => build_after_commit(dir),
    }
}

/// The graph of the index: read from the cache beside the live index when it was made for
/// the same commit, else built and cached. A missing, unreadable or outdated cache is
/// rebuilt; failing to write it (a read-only index) is not an error.
pub fn load_or_build(store: &Store) -> Result<Graph> {
    let metas = store
        .index
        .load_metas()
        .map_err(|e| Error::engine("reading the index commit", e))?;
    let cache = generation(&store.dir).filter(|_| reader_matches(store, &metas));
    if let Some(folder) = &cache {
        if let Some(graph) = read_cache(&cache_paths(folder, metas.opstamp).0) {
            return Ok(graph);
        }
    }
    let hits = glossary::terms(store, None)?.hits;
    let (graph, source) = build_with_source(&hits);
    if let Some(folder) = cache {
        let _ = write_cache(&folder, metas.opstamp, &graph, Some(Made::Source(&source)));
    }
    Ok(graph)
}

fn read_cache(path: &Path) -> Option<Graph> {
    let bytes = std::fs::read(path).ok()?;
    let graph: Graph = serde_json::from_slice(&bytes).ok()?;
    graph.is_consistent().then_some(graph)
}

/// A cached source, mapped rather than read (no copy, no page fault per 4 KB of a fresh
/// buffer). `None` when it cannot be opened.
fn map(path: &Path) -> Option<memmap2::Mmap> {
    let file = std::fs::File::open(path).ok()?;
    // SAFETY: the mapping is only read, and gloss never changes a cache file in place: it
    // writes a temporary file and renames it over the old one, which stays whole for its
    // readers. (An outside truncation would end the process, as for tantivy's mapped files.)
    unsafe { memmap2::Mmap::map(&file) }.ok()
}

/// What the graph was made of, to cache beside it.
enum Made<'s, 'a> {
    Source(&'s Source<'a>),
    Encoded(&'s [u8]),
}

/// Writes the cache of commit `opstamp` in the generation `folder` atomically (temp file,
/// rename), its source first, and removes the caches of other commits.
fn write_cache(
    folder: &Path,
    opstamp: u64,
    graph: &Graph,
    source: Option<Made<'_, '_>>,
) -> std::io::Result<()> {
    let (path, source_path) = cache_paths(folder, opstamp);
    match source {
        Some(Made::Source(source)) => write_atomic(folder, &source_path, |out| source.write(out))?,
        Some(Made::Encoded(bytes)) => write_atomic(folder, &source_path, |out| {
            std::io::Write::write_all(out, bytes)
        })?,
        None => {}
    }
    write_atomic(folder, &path, |out| {
        serde_json::to_writer(out, graph).map_err(std::io::Error::other)
    })?;
    let keep = [path.file_name(), source_path.file_name()];
    for entry in std::fs::read_dir(folder)?.flatten() {
        let name = entry.file_name();
        let n = name.to_string_lossy();
        let cache = n.ends_with(".json") || n.ends_with(".defs");
        if n.starts_with("graph-") && cache && !keep.contains(&Some(name.as_os_str())) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

/// Writes `path` in `folder` through a buffered temporary file renamed over it.
fn write_atomic(
    folder: &Path,
    path: &Path,
    fill: impl FnOnce(&mut std::io::BufWriter<&mut std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    use std::io::Write;
    let mut tmp = tempfile::NamedTempFile::new_in(folder)?;
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

    fn terms<'a>(g: &'a Graph, ids: &[usize]) -> Vec<&'a str> {
        ids.iter().map(|&i| g.nodes[i].term.as_str()).collect()
    }

    fn mentions<'a>(g: &'a Graph, term: &str) -> Vec<&'a str> {
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
        let g = build(&[
            def("A term", &[], "Mentions b term and c term."),
            def("B term", &[], "Plain."),
            def("C term", &[], "Plain."),
            def("D term", &[], "About a term."),
        ]);
        let a = g.find("a term").unwrap();
        let names: Vec<&str> = g.see_also(a, 6).iter().map(|n| n.term.as_str()).collect();
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
        let g = build(&[far, near, other, hub]);
        let names: Vec<&str> = g
            .see_also(g.find("hub").unwrap(), 6)
            .iter()
            .map(|n| n.term.as_str())
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
        let path = dir.path().join("graph-1.json");
        let mut g = build(&[def("A", &[], "x"), def("Bee", &[], "about A")]);
        write_cache(dir.path(), 1, &g, None).unwrap();
        assert_eq!(read_cache(&path), Some(g.clone()));
        g.mentions[0].push(99);
        write_cache(dir.path(), 1, &g, None).unwrap();
        assert_eq!(read_cache(&path), None);
        std::fs::write(&path, "{not json").unwrap();
        assert_eq!(read_cache(&path), None);
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

    /// The graph of `after` updated from that of `before` (its source written and read
    /// back), checked against the graph built from scratch; returns it.
    fn updated(before: &[Hit], after: &[Hit], also: &[&str]) -> Graph {
        let before = ordered(before);
        let (_, source) = build_with_source(&before);
        let bytes = source.encode();
        let old = Source::decode(&bytes).unwrap();
        let changes = changes(&before, after, also);
        let (graph, new) = update::update(&old, &changes);
        let full = build(&ordered(after));
        assert_eq!(graph, full);
        // And the source it leaves is the one a build leaves.
        let after = ordered(after);
        let (_, built) = build_with_source(&after);
        assert_eq!(new.encode(), built.encode());
        graph
    }

    fn mentions<'a>(g: &'a Graph, term: &str) -> Vec<&'a str> {
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
            prop::collection::vec(0..18usize, 1..4),
            prop::option::of(prop::collection::vec(0..18usize, 1..3)),
            prop::collection::vec(0..18usize, 0..12),
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
