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
    /// Its words, unstemmed.
    raws: Vec<String>,
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
    /// A matcher for `names`: (node, term, name, is an alias).
    fn new<'a>(names: impl IntoIterator<Item = (usize, &'a str, &'a str, bool)>) -> Matcher {
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
            let words = m.analyzer.plain_words(name);
            if words.is_empty() || words.len() > MAX_NAME_WORDS {
                continue;
            }
            let key = m.analyzer.key(name);
            if !usable(term, name, &key, alias) {
                continue;
            }
            let nodes = m.keys.entry(key).or_default();
            if !nodes.contains(&node) {
                nodes.push(node);
            }
            m.longest = m.longest.max(words.len());
            let (mut raw, mut stem) = (String::new(), String::new());
            for w in &words[..words.len() - 1] {
                raw.push_str(&w.raw);
                m.raw_prefixes.insert(raw.clone());
                if !stem.is_empty() {
                    stem.push(' ');
                }
                stem.push_str(&w.stem);
                m.stem_prefixes.insert(stem.clone());
            }
            // Acronyms and initials do not inflect: only terms are matched by stem.
            if alias {
                continue;
            }
            let stems: Vec<&str> = words.iter().map(|w| w.stem.as_str()).collect();
            let raws = words.iter().map(|w| w.raw.clone()).collect();
            m.stems
                .entry(stems.join(" "))
                .or_default()
                .push(StemName { node, raws });
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
                .iter()
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
pub fn build(definitions: &[Hit]) -> Graph {
    let mut analyzer = Analyzer::default();
    let terms = Terms::of(definitions, &mut analyzer);
    let names = terms.names(definitions, &mut analyzer);
    let mentions = terms.mentions(Matcher::new(names));
    let mentioned_by = mentioned_by(&terms.nodes, &mentions);
    let keys = terms
        .nodes
        .iter()
        .map(|n| {
            std::iter::once(&n.term)
                .chain(&n.aliases)
                .map(|name| analyzer.key(name))
                .collect()
        })
        .collect();
    Graph {
        version: VERSION,
        nodes: terms.nodes,
        mentions,
        keys,
        mentioned_by,
        by_key: std::sync::OnceLock::new(),
    }
}

/// The nodes of the graph: one per term key, with the texts of all its definitions.
struct Terms<'a> {
    nodes: Vec<Node>,
    texts: Vec<Vec<&'a str>>,
    by_key: HashMap<String, usize>,
}

impl<'a> Terms<'a> {
    /// Groups definitions by term key; a node takes the first definition's term and place.
    fn of(definitions: &'a [Hit], analyzer: &mut Analyzer) -> Terms<'a> {
        let mut t = Terms {
            nodes: Vec::new(),
            texts: Vec::new(),
            by_key: HashMap::new(),
        };
        for hit in definitions {
            let Some(term) = hit.term.as_deref().filter(|t| !t.trim().is_empty()) else {
                continue;
            };
            let key = analyzer.key(term);
            let key = if key.is_empty() {
                term.to_lowercase()
            } else {
                key
            };
            let n = *t.by_key.entry(key).or_insert_with(|| {
                t.nodes.push(Node {
                    term: term.to_string(),
                    aliases: Vec::new(),
                    file: hit.file.clone(),
                    line: hit.line,
                });
                t.texts.push(Vec::new());
                t.nodes.len() - 1
            });
            for a in &hit.aliases {
                if !t.nodes[n].aliases.contains(a) {
                    t.nodes[n].aliases.push(a.clone());
                }
            }
            t.texts[n].push(&hit.text);
        }
        t
    }

    /// Names to look for: (node, term, name, is an alias). Every definition's spelling of
    /// its term counts, not only the first of a node.
    fn names<'b>(
        &'b self,
        definitions: &'b [Hit],
        analyzer: &mut Analyzer,
    ) -> Vec<(usize, &'b str, &'b str, bool)> {
        let mut names = Vec::new();
        for (n, node) in self.nodes.iter().enumerate() {
            names.push((n, node.term.as_str(), node.term.as_str(), false));
            for a in &node.aliases {
                names.push((n, node.term.as_str(), a.as_str(), true));
            }
        }
        for term in definitions.iter().filter_map(|h| h.term.as_deref()) {
            if let Some(&n) = self.by_key.get(&analyzer.key(term)) {
                if self.nodes[n].term != term {
                    names.push((n, term, term, false));
                }
            }
        }
        names
    }

    /// For each node, the other nodes its definitions mention, in order of first mention.
    fn mentions(&self, mut matcher: Matcher) -> Vec<Vec<usize>> {
        let mut mentions = Vec::with_capacity(self.nodes.len());
        for (n, node_texts) in self.texts.iter().enumerate() {
            let mut found: Vec<usize> = Vec::new();
            for text in node_texts {
                for m in matcher.find(text) {
                    if m != n && !found.contains(&m) {
                        found.push(m);
                    }
                }
            }
            mentions.push(found);
        }
        mentions
    }
}

/// For each node, the nodes that mention it, A-Z.
fn mentioned_by(nodes: &[Node], mentions: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut by: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (n, ms) in mentions.iter().enumerate() {
        for &m in ms {
            by[m].push(n);
        }
    }
    for list in &mut by {
        list.sort_by_cached_key(|&n| (nodes[n].term.to_lowercase(), n));
    }
    by
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

/// The graph of a fresh generation, from the definitions its run indexed (as
/// [`Hit::from_doc`] would read them back): the graph [`load_or_build`] would make from the
/// committed index, without reading every definition back from it. Made while the index
/// commits; [`cache_built`] caches it once the commit's opstamp is known.
pub fn build_fresh(definitions: Vec<Hit>) -> Graph {
    let hits = glossary::in_order(definitions, &mut Analyzer::default());
    build(&hits)
}

/// Caches a graph of [`build_fresh`] for the commit `opstamp` of its generation. Best
/// effort, like [`build_after_commit`].
pub fn cache_built(generation: &Path, opstamp: u64, graph: &Graph) {
    let path = generation.join(format!("graph-{opstamp}.json"));
    let _ = write_cache(&path, generation, graph);
}

/// Makes the graph cached for the commit `from` the graph of the commit `to` just made in
/// `dir`, whose live generation folder is `generation`, for an index run that changed no
/// definition (the graph is made of definitions only): a rename, without opening the
/// index; builds it when there is no such cache.
pub fn carry_after_commit(dir: &Path, generation: &Path, from: u64, to: u64) {
    let old = generation.join(format!("graph-{from}.json"));
    let new = generation.join(format!("graph-{to}.json"));
    if old != new && std::fs::rename(&old, &new).is_ok() {
        return;
    }
    if let Ok((Some(store), _)) = crate::index::open(dir) {
        let _ = load_or_build(&store);
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
    let cache = generation(&store.dir)
        .filter(|_| reader_matches(store, &metas))
        .map(|g| (g.join(format!("graph-{}.json", metas.opstamp)), g));
    if let Some((path, _)) = &cache {
        if let Some(graph) = read_cache(path) {
            return Ok(graph);
        }
    }
    let graph = build(&glossary::terms(store, None)?.hits);
    if let Some((path, folder)) = cache {
        let _ = write_cache(&path, &folder, &graph);
    }
    Ok(graph)
}

fn read_cache(path: &Path) -> Option<Graph> {
    let bytes = std::fs::read(path).ok()?;
    let graph: Graph = serde_json::from_slice(&bytes).ok()?;
    graph.is_consistent().then_some(graph)
}

/// Writes the cache atomically (temp file, rename) and removes caches of older commits.
fn write_cache(path: &Path, folder: &Path, graph: &Graph) -> std::io::Result<()> {
    use std::io::Write;
    let mut tmp = tempfile::NamedTempFile::new_in(folder)?;
    tmp.write_all(&serde_json::to_vec(graph).map_err(std::io::Error::other)?)?;
    tmp.persist(path).map_err(|e| e.error)?;
    let keep = path.file_name();
    for entry in std::fs::read_dir(folder)?.flatten() {
        let name = entry.file_name();
        let n = name.to_string_lossy();
        if n.starts_with("graph-") && n.ends_with(".json") && Some(name.as_os_str()) != keep {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entries::Kind;

    fn def(term: &str, aliases: &[&str], text: &str) -> Hit {
        Hit {
            rank: 0,
            kind: Kind::Definition,
            term: Some(term.into()),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            text: text.into(),
            snippet: text.into(),
            highlights: vec![],
            heading_path: vec![],
            file: "a.md".into(),
            line: 1,
            score: 0.0,
            tags: vec![],
            ..Hit::default()
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
        write_cache(&path, dir.path(), &g).unwrap();
        assert_eq!(read_cache(&path), Some(g.clone()));
        g.mentions[0].push(99);
        write_cache(&path, dir.path(), &g).unwrap();
        assert_eq!(read_cache(&path), None);
        std::fs::write(&path, "{not json").unwrap();
        assert_eq!(read_cache(&path), None);
    }
}
