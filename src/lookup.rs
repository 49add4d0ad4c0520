//! Lookup: the one entry point every front end calls (the command line, `gloss serve`,
//! `gloss mcp`). A front end turns its input into a [`Request`], calls [`lookup`] and renders
//! the [`Answer`]; it never filters, merges or re-ranks hits itself.
//!
//! A lookup runs the query as typed, then (when that leaves room under the limit) each of
//! its synonym expansions, keeps the hits inside the request's [`Scope`], and hands every
//! list to [`rank::rank`], which alone decides the final order.
//!
//! The same module gives front ends the other listings: [`terms`] (the glossary A-Z, by
//! prefix), [`related`] (a term's neighbours in the concept graph), [`see_also`] (the terms
//! to show under a definition) and [`context`] (source lines around a hit).
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
//! assert_eq!(answer.results.hits[0].term.as_deref(), Some("Token"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::Path;

use serde::Serialize;

use crate::config::{Boost, Config, Synonym, DEFAULT_LIMIT};
use crate::context::{self, Context, Excerpt};
use crate::entries::Kind;
use crate::error::{Error, Result};
use crate::glossary;
use crate::graph::{self, Graph, Node};
use crate::index::Store;
use crate::rank::{self, Batch};
use crate::scope::{Clause, Scope};
use crate::search::{self, Hit, Mode, Options, Results};
use crate::tokenize::Analyzer;

/// What a front end asks: a query and everything that shapes its answer.
#[derive(Debug, Clone)]
pub struct Request {
    /// The words as typed.
    pub query: String,
    /// Search (definitions, then passages) or define (definitions only).
    pub mode: Mode,
    /// Most hits returned.
    pub limit: usize,
    /// Which notes to look in (`--in`, `--tag`); all by default.
    pub scope: Scope,
    /// Query synonyms: an expansion is searched when the query as typed leaves room.
    pub synonyms: Vec<Synonym>,
    /// Score multipliers for notes matching a glob.
    pub boosts: Vec<Boost>,
    /// `define` also lists definitions that only mention the query (`-n` asks for this).
    pub mentions: bool,
}

impl Request {
    /// A request with the default limit, every note in scope, no synonyms and no boosts.
    pub fn new(query: impl Into<String>, mode: Mode) -> Request {
        Request {
            query: query.into(),
            mode,
            limit: DEFAULT_LIMIT,
            scope: Scope::default(),
            synonyms: Vec::new(),
            boosts: Vec::new(),
            mentions: false,
        }
    }

    /// A request with the limit, synonyms and boosts of the settings in force.
    pub fn configured(query: impl Into<String>, mode: Mode, config: &Config) -> Request {
        Request {
            limit: config.limit.value,
            synonyms: config.synonyms.clone(),
            boosts: config.boosts.clone(),
            ..Request::new(query, mode)
        }
    }
}

/// Something a front end may tell the user about an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum Notice {
    /// Hits were added from these synonym expansions of the query.
    Expanded {
        /// The rewritten queries that were searched.
        queries: Vec<String>,
    },
    /// No indexed note is in the request's scope (`--in`, `--tag`).
    EmptyScope,
}

/// The answer to a [`Request`]: ranked hits, suggestions when there are none, notices.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    /// The query, the hits in their final order (ranks 1..n) and suggestions.
    #[serde(flatten)]
    pub results: Results,
    /// What the front end may want to say besides the hits.
    pub notices: Vec<Notice>,
}

/// Answers a request from an opened index: the one query pipeline of gloss.
pub fn lookup(store: &Store, request: &Request) -> Result<Answer> {
    if request.query.trim().is_empty() {
        return Err(Error::EmptyQuery);
    }
    let limit = request.limit;
    let mut answer = Answer {
        results: Results {
            query: request.query.clone(),
            ..Results::default()
        },
        notices: Vec::new(),
    };
    let within = match request.scope.clause(store)? {
        Some(Clause::Nothing) => {
            answer.notices.push(Notice::EmptyScope);
            return Ok(answer);
        }
        Some(Clause::Within(clause)) => Some(clause),
        None => None,
    };
    let options = Options {
        mode: request.mode,
        limit: fetch_size(request, limit),
        within,
        mentions: request.mentions,
        boosts: request.boosts.clone(),
        later_snippets: true,
        ..Options::default()
    };
    let first = search::search(store, &request.query, &options)?;
    let mut batches = vec![Batch { hits: first.hits }];
    let expanded = expand_while_short(store, request, &options, limit, &mut batches)?;
    if !expanded.is_empty() {
        answer.notices.push(Notice::Expanded { queries: expanded });
    }
    answer.results.hits = rank::rank(batches, &request.query, &request.boosts, limit);
    search::make_snippets(&mut answer.results.hits);
    if answer.results.hits.is_empty() {
        answer.results.suggestions = first.suggestions;
    }
    let hits = &answer.results.hits;
    answer.results.mentioned_in = first.mentioned_in;
    answer
        .results
        .mentioned_in
        .retain(|t| !hits.iter().any(|h| h.term.as_ref() == Some(t)));
    Ok(answer)
}

/// How many hits to ask of the search: the limit; twice it for `search`, whose passages
/// may be dropped as repeats of definitions (tiers fill in order, so the first hits of a
/// longer list are the hits of a shorter one). Boosts need no more: the search cuts each
/// tier by boosted score.
fn fetch_size(request: &Request, limit: usize) -> usize {
    match request.mode {
        Mode::Search => limit.saturating_mul(2),
        Mode::Define => limit,
    }
}

/// Searches the synonym expansions of the query, one by one, while the hits listed so far
/// do not fill the limit; returns the expansions searched.
fn expand_while_short(
    store: &Store,
    request: &Request,
    options: &Options,
    limit: usize,
    batches: &mut Vec<Batch>,
) -> Result<Vec<String>> {
    let mut searched = Vec::new();
    let listed =
        |batches: &Vec<Batch>| rank::rank(batches.clone(), &request.query, &[], usize::MAX).len();
    if listed(batches) >= limit {
        return Ok(searched);
    }
    for expansion in expand(&request.synonyms, &request.query) {
        let more = search::search(store, &expansion, options)?;
        batches.push(Batch { hits: more.hits });
        searched.push(expansion);
        if listed(batches) >= limit {
            break;
        }
    }
    Ok(searched)
}

/// The query with each synonym found in it replaced by an expansion: one rewritten query
/// per expansion, in order, none when no synonym occurs. Words are compared by their
/// normalised keys, so `LLMs` matches a synonym `llm` and `fine tuning` one written
/// `fine-tuning`.
pub fn expand(synonyms: &[Synonym], query: &str) -> Vec<String> {
    let mut analyzer = Analyzer::default();
    let mut out: Vec<String> = Vec::new();
    for syn in synonyms {
        let found = occurrences(&mut analyzer, &syn.key, query);
        if found.is_empty() {
            continue;
        }
        for expansion in &syn.expansions {
            let rewritten = replace_ranges(query, &found, expansion);
            if !out.contains(&rewritten) && rewritten != query {
                out.push(rewritten);
            }
        }
    }
    out
}

/// Byte ranges of `query` where the words of `key` occur (by normalised key), each widened
/// to the end of its last word (`LLMs` is read as `LLM`: replace the whole word).
fn occurrences(analyzer: &mut Analyzer, key: &str, query: &str) -> Vec<(usize, usize)> {
    let words = analyzer.plain_words(query);
    let want = analyzer.key(key);
    let len = analyzer.plain_words(key).len();
    let mut found = Vec::new();
    if want.is_empty() || len == 0 || len > words.len() {
        return found;
    }
    let mut i = 0;
    while i + len <= words.len() {
        let window = &query[words[i].start..words[i + len - 1].end];
        if analyzer.key(window) != want {
            i += 1;
            continue;
        }
        let mut end = words[i + len - 1].end;
        while let Some(c) = query[end..].chars().next() {
            if !(c.is_alphanumeric() || c == '\'' || c == '\u{2019}') {
                break;
            }
            end += c.len_utf8();
        }
        found.push((words[i].start, end));
        i += len;
    }
    found
}

/// `text` with each of the (sorted, disjoint) byte ranges replaced by `with`.
fn replace_ranges(text: &str, ranges: &[(usize, usize)], with: &str) -> String {
    let mut out = String::new();
    let mut at = 0;
    for &(a, b) in ranges {
        out.push_str(&text[at..a]);
        out.push_str(with);
        at = b;
    }
    out.push_str(&text[at..]);
    out
}

/// What `gloss terms` asks: the glossary A-Z, optionally by prefix, scope and limit.
#[derive(Debug, Clone, Default)]
pub struct TermsRequest {
    /// Only terms starting with this (case, accents and hyphens ignored).
    pub prefix: Option<String>,
    /// Which notes to list.
    pub scope: Scope,
    /// Most terms listed (all when `None`).
    pub limit: Option<usize>,
}

/// Every defined term A-Z in the scope, numbered 1..n.
pub fn terms(store: &Store, request: &TermsRequest) -> Result<Answer> {
    let mut results = glossary::terms(store, request.prefix.as_deref())?;
    let mut notices = Vec::new();
    if let Some(Clause::Nothing) = request.scope.clause(store)? {
        notices.push(Notice::EmptyScope);
    }
    request.scope.filter(&mut results.hits);
    if let Some(limit) = request.limit {
        results.hits.truncate(limit);
    }
    rank::renumber(&mut results.hits);
    Ok(Answer { results, notices })
}

/// A term and its neighbours in the concept graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Related {
    /// The term found.
    pub term: Node,
    /// The terms its definitions mention, in order of first mention.
    pub mentions: Vec<Node>,
    /// The terms whose definitions mention it, A-Z.
    pub mentioned_by: Vec<Node>,
}

/// The term named `name` (a term or alias; else the best definition for what was typed,
/// so typos and descriptions work) with at most `limit` terms in each list; `None` when no
/// term matches.
pub fn related(store: &Store, name: &str, limit: Option<usize>) -> Result<Option<Related>> {
    if name.trim().is_empty() {
        return Err(Error::EmptyQuery);
    }
    let graph = graph::open(store)?;
    let node = match graph.find(name) {
        Some(node) => Some(node),
        None => best_definition(store, name)?.and_then(|term| graph.find(&term)),
    };
    let Some((node, term)) = node.and_then(|n| Some((n, graph.node(n)?))) else {
        return Ok(None);
    };
    let cap = limit.unwrap_or(usize::MAX);
    let pick = |ids: Vec<usize>| -> Vec<Node> {
        ids.into_iter()
            .take(cap)
            .filter_map(|i| graph.node(i))
            .collect()
    };
    Ok(Some(Related {
        term,
        mentions: pick(graph.mentions(node)),
        mentioned_by: pick(graph.mentioned_by(node)),
    }))
}

/// The term of the best definition for `query`, if any.
fn best_definition(store: &Store, query: &str) -> Result<Option<String>> {
    let options = Options {
        mode: Mode::Define,
        limit: 1,
        ..Options::default()
    };
    let results = search::search(store, query, &options)?;
    Ok(results.hits.into_iter().next().and_then(|h| h.term))
}

/// The concept graph of the index (built by the index run and kept beside it), for
/// [`see_also`].
pub fn graph(store: &Store) -> Result<Graph> {
    graph::open(store)
}

/// Up to `max` terms to show under a definition hit (`see also:`); none for passages.
pub fn see_also(graph: &Graph, hit: &Hit, max: usize) -> Vec<String> {
    if hit.kind != Kind::Definition {
        return Vec::new();
    }
    // By the key the index stored: the term is not analysed again per hit.
    graph.find_key(&hit.key).map_or_else(Vec::new, |node| {
        graph
            .see_also(node, max)
            .into_iter()
            .map(|n| n.term)
            .collect()
    })
}

/// The source lines around line `line` of `file` (relative to the notes folder `content`):
/// `size` lines either side, or the whole section. `None` when the file cannot be read.
pub fn context(content: &Path, file: &str, line: usize, size: Context) -> Option<Excerpt> {
    let text = context::read(content, file)?;
    context::excerpt(&text, line, size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Origin;

    fn synonyms(pairs: &[(&str, &[&str])]) -> Vec<Synonym> {
        pairs
            .iter()
            .map(|(k, v)| Synonym {
                key: k.to_string(),
                expansions: v.iter().map(|s| s.to_string()).collect(),
                origin: Origin::Default,
            })
            .collect()
    }

    /// A tiny index of two notes, kept alive with its folders.
    fn tiny() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let notes = dir.path().join("notes");
        std::fs::create_dir(&notes).unwrap();
        std::fs::write(
            notes.join("a.md"),
            "# A\n\n**Token**: The basic unit of text.\n\n**Token budget**: How many tokens a \
             request may use.\n\nA token is counted by the tokenizer, one piece at a time.\n",
        )
        .unwrap();
        std::fs::write(
            notes.join("b.md"),
            "# B\n\n**Vector database**: Stores embeddings for search.\n\nEach token maps to \
             a vector.\n",
        )
        .unwrap();
        let index = dir.path().join("index");
        crate::index::refresh(&notes, &index, crate::index::Refresh::Rebuild, true).unwrap();
        let store = crate::index::open(&index).unwrap().0.unwrap();
        (dir, store)
    }

    fn places(answer: &Answer) -> Vec<(Kind, String, usize)> {
        let hits = &answer.results.hits;
        hits.iter()
            .map(|h| (h.kind, h.file.clone(), h.line))
            .collect()
    }

    #[test]
    fn an_exact_term_comes_before_terms_that_contain_it() {
        let (_dir, store) = tiny();
        let answer = lookup(&store, &Request::new("token", Mode::Define)).unwrap();
        let terms: Vec<_> = answer.results.hits.iter().map(|h| h.term.clone()).collect();
        assert_eq!(
            terms[..2],
            [Some("Token".into()), Some("Token budget".into())]
        );
        assert!(answer
            .results
            .hits
            .iter()
            .all(|h| h.kind == Kind::Definition));
    }

    #[test]
    fn a_typo_finds_the_term_and_nothing_suggests() {
        let (_dir, store) = tiny();
        let answer = lookup(&store, &Request::new("tokne", Mode::Define)).unwrap();
        assert_eq!(answer.results.hits[0].term.as_deref(), Some("Token"));
        let none = lookup(&store, &Request::new("zzyzx", Mode::Define)).unwrap();
        assert!(none.results.hits.is_empty());
    }

    #[test]
    fn search_lists_passages_after_definitions_and_not_a_definition_twice() {
        let (_dir, store) = tiny();
        let answer = lookup(&store, &Request::new("token", Mode::Search)).unwrap();
        let found = places(&answer);
        let first_passage = found.iter().position(|p| p.0 == Kind::Passage).unwrap();
        assert!(found[first_passage..].iter().all(|p| p.0 == Kind::Passage));
        // The paragraph `**Token**: ...` is the Token definition: listed once, as that.
        assert!(
            !found.contains(&(Kind::Passage, "a.md".into(), 3)),
            "{found:?}"
        );
        assert!(
            found.contains(&(Kind::Passage, "a.md".into(), 7)),
            "{found:?}"
        );
    }

    #[test]
    fn the_hits_kept_get_the_snippets_a_plain_search_cuts() {
        let (_dir, store) = tiny();
        let answer = lookup(&store, &Request::new("token", Mode::Search)).unwrap();
        let plain = search::search(&store, "token", &Options::default()).unwrap();
        assert!(!answer.results.hits.is_empty());
        for hit in &answer.results.hits {
            assert!(hit.pending.is_none(), "{}:{}", hit.file, hit.line);
            let same = plain
                .hits
                .iter()
                .find(|p| (&p.file, p.line, p.kind) == (&hit.file, hit.line, hit.kind))
                .unwrap();
            assert_eq!(
                (&hit.snippet, &hit.highlights),
                (&same.snippet, &same.highlights)
            );
        }
        assert!(answer.results.hits.iter().any(|h| !h.highlights.is_empty()));
    }

    #[test]
    fn a_scope_is_part_of_the_query_and_an_empty_one_is_a_notice() {
        let (_dir, store) = tiny();
        let request = Request {
            scope: Scope::new(&["b".into()], &[], "").unwrap(),
            ..Request::new("token", Mode::Search)
        };
        let answer = lookup(&store, &request).unwrap();
        assert_eq!(places(&answer), [(Kind::Passage, "b.md".into(), 5)]);
        let request = Request {
            scope: Scope::new(&["nowhere/".into()], &[], "").unwrap(),
            ..Request::new("token", Mode::Search)
        };
        let answer = lookup(&store, &request).unwrap();
        assert!(answer.results.hits.is_empty());
        assert_eq!(answer.notices, [Notice::EmptyScope]);
    }

    #[test]
    fn a_synonym_is_searched_when_the_query_leaves_room() {
        let (_dir, store) = tiny();
        let request = Request {
            synonyms: synonyms(&[("vdb", &["vector database"])]),
            ..Request::new("vdb", Mode::Define)
        };
        let answer = lookup(&store, &request).unwrap();
        assert_eq!(
            answer.results.hits[0].term.as_deref(),
            Some("Vector database")
        );
        assert_eq!(answer.results.query, "vdb");
        assert_eq!(
            answer.notices,
            [Notice::Expanded {
                queries: vec!["vector database".into()]
            }]
        );
    }

    #[test]
    fn synonyms_expand_words_and_phrases_by_key() {
        let s = synonyms(&[
            ("llm", &["large language model"]),
            ("fine-tuning", &["adaptation", "training"]),
        ]);
        assert_eq!(expand(&s, "llm"), ["large language model"]);
        assert_eq!(expand(&s, "LLMs serving"), ["large language model serving"]);
        assert_eq!(
            expand(&s, "fine tuning cost"),
            ["adaptation cost", "training cost"]
        );
        assert!(expand(&s, "token").is_empty());
        assert!(expand(&s, "llama").is_empty());
    }

    #[test]
    fn the_fetch_is_the_limit_whatever_the_scope_or_the_boosts() {
        let define = Request::new("x", Mode::Define);
        assert_eq!(fetch_size(&define, 10), 10);
        let search = Request {
            scope: Scope::new(&["a".into()], &["t".into()], "").unwrap(),
            ..Request::new("x", Mode::Search)
        };
        assert_eq!(fetch_size(&search, 10), 20);
        let boosted = Request {
            boosts: vec![Boost::new("a*.md", 2.0).unwrap()],
            ..Request::new("x", Mode::Define)
        };
        assert_eq!(fetch_size(&boosted, 10), 10);
    }

    /// Thirty definitions whose text holds `widget`, one per note; the one in `z.md` is the
    /// weakest BM25 match (its text is the longest), and `z.md` has a passage on widgets.
    fn widgets() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let notes = dir.path().join("notes");
        std::fs::create_dir(&notes).unwrap();
        for n in 0..29 {
            let text = format!("# Parts\n\n**Part {n}**: A widget.\n");
            std::fs::write(notes.join(format!("p{n:02}.md")), text).unwrap();
        }
        std::fs::write(
            notes.join("z.md"),
            "# Parts\n\n**Part z**: A widget among many other words that make this \
             definition long, and so the weakest match of all by its length.\n\n\
             Widgets, widgets: a passage on widgets.\n",
        )
        .unwrap();
        let index = dir.path().join("index");
        crate::index::refresh(&notes, &index, crate::index::Refresh::Rebuild, true).unwrap();
        let store = crate::index::open(&index).unwrap().0.unwrap();
        (dir, store)
    }

    #[test]
    fn a_boost_lifts_the_weakest_match_of_a_tier_past_more_matches_than_the_fetch() {
        let (_dir, store) = widgets();
        let plain = Request {
            limit: 1,
            ..Request::new("widget", Mode::Search)
        };
        let unboosted = lookup(&store, &plain).unwrap();
        assert_ne!(unboosted.results.hits[0].file, "z.md");
        // Thirty matches in one tier (more than twenty times the limit of one): the boosted
        // weakest comes first, and its note's passage, boosted as much, after definitions.
        let boosted = Request {
            boosts: vec![Boost::new("z.md", 1000.0).unwrap()],
            limit: 3,
            ..plain.clone()
        };
        let answer = lookup(&store, &boosted).unwrap();
        let hits = &answer.results.hits;
        assert_eq!(
            (hits[0].term.as_deref(), hits[0].file.as_str(), hits[0].line),
            (Some("Part z"), "z.md", 3)
        );
        assert_eq!(hits.len(), 3);
        assert!(hits.iter().all(|h| h.kind == Kind::Definition), "{hits:?}");
        let one = Request {
            limit: 1,
            ..boosted
        };
        let first = &lookup(&store, &one).unwrap().results.hits[0];
        assert_eq!((first.file.as_str(), first.line), ("z.md", 3));
    }

    #[test]
    fn a_boost_that_matches_no_note_changes_no_hit_and_no_score() {
        let (_dir, store) = widgets();
        let plain = Request {
            limit: 5,
            ..Request::new("widget", Mode::Search)
        };
        let boosted = Request {
            boosts: vec![Boost::new("nowhere/*.md", 9.0).unwrap()],
            ..plain.clone()
        };
        let hits = |request: &Request| -> Vec<(String, usize, f32)> {
            let answer = lookup(&store, request).unwrap();
            let hits = answer.results.hits.into_iter();
            hits.map(|h| (h.file, h.line, h.score)).collect()
        };
        assert_eq!(hits(&plain).len(), 5);
        assert_eq!(hits(&boosted), hits(&plain));
    }
}
