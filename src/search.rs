//! Search: a query becomes tiers of tantivy queries; hits come back with snippets, in the
//! order [`rank`](crate::rank) decides.
//!
//! The tiers are the [`Tier`] enum, best first, and [`TIERS`] is the order they run in: each
//! is one tantivy query (`Tiers::query`) restricted to definitions or passages, run
//! only while the hits found so far leave room. To add a tier: a variant, its place in
//! [`TIERS`], its query, and when it applies (`Tiers::applies`).

use std::collections::HashSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

use crate::entries::Kind;
use crate::error::{Error, Result};
use crate::index::{Fields, Store};
use crate::rank::{self, Batch};
use crate::snippet::{self, QueryWord};
use crate::tokenize::{typo_budget, Analyzer};

/// What to look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Definitions first, then passages.
    Search,
    /// Definitions only.
    Define,
}

/// Search options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Search or define.
    pub mode: Mode,
    /// Most hits returned.
    pub limit: usize,
    /// Longest snippet, in bytes.
    pub snippet_bytes: usize,
    /// A clause every hit must also match (a scope: `--in`, `--tag`); none by default.
    pub within: Option<Arc<dyn Query>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mode: Mode::Search,
            limit: 10,
            snippet_bytes: 240,
            within: None,
        }
    }
}

/// One ranked result. `Default` is for building hits by hand (tests, other listings).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Hit {
    /// 1-based rank.
    pub rank: usize,
    /// Definition or passage.
    pub kind: Kind,
    /// The term (null for passages).
    pub term: Option<String>,
    /// Other names of the term.
    pub aliases: Vec<String>,
    /// The whole definition or passage text.
    pub text: String,
    /// The excerpt shown.
    pub snippet: String,
    /// Byte ranges of matched words in `snippet`.
    pub highlights: Vec<[usize; 2]>,
    /// Enclosing headings, outermost first.
    pub heading_path: Vec<String>,
    /// File relative to the notes folder.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// BM25 score within the hit's tier.
    pub score: f32,
    /// Front matter tags of the note.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Ranking tier (0 best); internal.
    #[serde(skip)]
    pub tier: u8,
}

/// The answer to a query.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    /// The query as given.
    pub query: String,
    /// Ranked hits.
    pub hits: Vec<Hit>,
    /// Terms close to the query, when nothing was found.
    pub suggestions: Vec<String>,
}

/// The analysed query.
struct Plan {
    words: Vec<QueryWord>,
    /// Adjacent word pairs joined (`fine tuning` → `finetuning`), as alternatives.
    joined: Vec<(usize, QueryWord)>,
    keys: Vec<String>,
}

impl Plan {
    fn new(query: &str, analyzer: &mut Analyzer) -> Plan {
        let mut words: Vec<QueryWord> = analyzer
            .plain_words(query)
            .iter()
            .map(QueryWord::new)
            .collect();
        // A pasted page is not a query: its first words are plenty, and bound the work.
        words.truncate(MAX_QUERY_WORDS);
        // Typo automata cost memory per word; a long query is a description, not a lookup.
        if words.len() > MAX_FUZZY_WORDS {
            for w in &mut words {
                w.budget = 0;
            }
        }
        let mut joined = Vec::new();
        let pairs = if words.len() <= MAX_JOINED_WORDS {
            words.len()
        } else {
            0
        };
        for i in 1..pairs {
            let raw = format!("{}{}", words[i - 1].raw, words[i].raw);
            let stem = analyzer.stem(&raw);
            joined.push((
                i - 1,
                QueryWord {
                    budget: typo_budget(raw.chars().count()),
                    raw,
                    stem,
                },
            ));
        }
        let key = analyzer.key(query);
        let mut keys = vec![key.clone()];
        // `llms` typed in lowercase is not recognised as an acronym plural by the analyzer.
        if let Some(singular) = key.strip_suffix('s').filter(|k| k.len() >= 2) {
            keys.push(singular.to_string());
        }
        Plan {
            words,
            joined,
            keys,
        }
    }

    /// The word lists to try: the words as typed, and each with one pair joined.
    fn alternatives(&self) -> Vec<Vec<QueryWord>> {
        let mut out = vec![self.words.clone()];
        for (i, j) in &self.joined {
            let mut alt = self.words[..*i].to_vec();
            alt.push(j.clone());
            alt.extend_from_slice(&self.words[i + 2..]);
            out.push(alt);
        }
        out
    }
}

fn term_query(field: Field, text: &str, record: IndexRecordOption) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, text), record))
}

fn boost(q: Box<dyn Query>, by: f32) -> Box<dyn Query> {
    if (by - 1.0).abs() < f32::EPSILON {
        q
    } else {
        Box::new(BoostQuery::new(q, by))
    }
}

fn should(clauses: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        clauses.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

fn must(clauses: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        clauses.into_iter().map(|q| (Occur::Must, q)).collect(),
    ))
}

/// Fields a tier searches: stemmed fields with boosts, and their raw shadows for typos.
struct Target {
    stemmed: Vec<(Field, f32)>,
    raw: Vec<Field>,
}

/// Words of a query that are searched; the rest are ignored.
const MAX_QUERY_WORDS: usize = 16;

/// Longest term key matched within a typo budget.
const MAX_FUZZY_KEY: usize = 32;

/// Queries of more words than this get no typo tolerance.
const MAX_FUZZY_WORDS: usize = 8;

/// Queries up to this many words also try each adjacent pair joined (`fine tuning`).
const MAX_JOINED_WORDS: usize = 6;

/// Typo matches fetched before ordering them by edit distance.
const FUZZY_CANDIDATES: usize = 50;

/// Low constant score of a typo match: below any exact BM25 contribution that matters.
const FUZZY_BOOST: f32 = 0.2;

fn word_query(w: &QueryWord, target: &Target, fuzzy: bool) -> Box<dyn Query> {
    let mut clauses = Vec::new();
    for &(field, by) in &target.stemmed {
        clauses.push(boost(
            term_query(field, &w.stem, IndexRecordOption::WithFreqs),
            by,
        ));
        if let Some(singular) = w
            .raw
            .strip_suffix('s')
            .filter(|s| s.len() >= 2 && w.stem == w.raw)
        {
            clauses.push(boost(
                term_query(field, singular, IndexRecordOption::WithFreqs),
                by,
            ));
        }
    }
    if fuzzy && w.budget > 0 {
        for &field in &target.raw {
            let q = FuzzyTermQuery::new(Term::from_field_text(field, &w.raw), w.budget, true);
            clauses.push(boost(Box::new(q), FUZZY_BOOST));
        }
        for &(field, _) in &target.stemmed {
            let q = FuzzyTermQuery::new(Term::from_field_text(field, &w.stem), w.budget, true);
            clauses.push(boost(Box::new(q), FUZZY_BOOST));
        }
    }
    should(clauses)
}

/// Every word (in one of the alternatives) must match; adjacent words score a phrase bonus.
fn all_words(
    plan: &Plan,
    target: &Target,
    fuzzy: bool,
    phrase_field: Option<Field>,
) -> Box<dyn Query> {
    let mut alts: Vec<Box<dyn Query>> = plan
        .alternatives()
        .iter()
        .map(|alt| {
            let all_small = alt.iter().all(|w| is_small(&w.raw));
            let clauses = alt
                .iter()
                .map(|w| {
                    // Small words help ranking but are not required: `delay before the first token`.
                    let occur = if is_small(&w.raw) && !all_small {
                        Occur::Should
                    } else {
                        Occur::Must
                    };
                    (occur, word_query(w, target, fuzzy))
                })
                .collect();
            Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>
        })
        .collect();
    let mut clauses = vec![(Occur::Must, should(std::mem::take(&mut alts)))];
    let content: Vec<&QueryWord> = plan.words.iter().filter(|w| !is_small(&w.raw)).collect();
    if let (Some(field), true) = (phrase_field, content.len() > 1) {
        // Words close together beat words far apart: a tight and a loose phrase bonus.
        for (slop, by) in [(2, 2.0), (10, 1.0)] {
            let terms: Vec<(usize, Term)> = content
                .iter()
                .enumerate()
                .map(|(i, w)| (i, Term::from_field_text(field, &w.stem)))
                .collect();
            let phrase = PhraseQuery::new_with_offset_and_slop(terms, slop);
            clauses.push((Occur::Should, boost(Box::new(phrase), by)));
        }
    }
    Box::new(BooleanQuery::new(clauses))
}

/// Words that are never required: articles, prepositions, auxiliaries.
fn is_small(word: &str) -> bool {
    const SMALL: &[&str] = &[
        "a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "by", "with", "and", "or",
        "is", "are", "be", "as", "after", "before", "into", "about", "what", "how", "why", "does",
        "do", "it", "its", "that", "this", "which", "when",
    ];
    SMALL.contains(&word)
}

/// At least `min` of the query's content words match.
fn some_words(plan: &Plan, target: &Target, min: usize) -> Box<dyn Query> {
    let clauses: Vec<(Occur, Box<dyn Query>)> = plan
        .words
        .iter()
        .filter(|w| !is_small(&w.raw))
        .map(|w| (Occur::Should, word_query(w, target, true)))
        .collect();
    Box::new(BooleanQuery::with_minimum_required_clauses(
        clauses,
        min.max(1),
    ))
}

fn of_kind(f: &Fields, kind: Kind, q: Box<dyn Query>) -> Box<dyn Query> {
    must(vec![
        term_query(f.kind, kind.as_str(), IndexRecordOption::Basic),
        q,
    ])
}

/// The ranking tiers, best first: a hit's tier says how it matched, and BM25 orders hits
/// within a tier, so a typo never outranks an exact match. [`TIERS`] is the order they run
/// in; a tier runs only while the hits found so far leave room under the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    /// The query is a term's or an alias's key (`llms` → `LLM`).
    ExactKey = 0,
    /// All query words are in the term.
    TermWords = 1,
    /// The term within the typo budget, closest by edit distance first.
    TermTypo = 2,
    /// All words are in the definition's text.
    DefinitionWords = 3,
    /// The same within the typo budget.
    DefinitionTypo = 4,
    /// Passages with all words (search only).
    PassageWords = 5,
    /// The same within the typo budget.
    PassageTypo = 6,
    /// Fallback when no definition matched: definitions with some of the words.
    DefinitionSomeWords = 7,
    /// Fallback when no passage matched: passages with some of the words.
    PassageSomeWords = 8,
}

/// The order the tiers run in: every definition tier before any passage tier.
pub const TIERS: [Tier; 9] = [
    Tier::ExactKey,
    Tier::TermWords,
    Tier::TermTypo,
    Tier::DefinitionWords,
    Tier::DefinitionTypo,
    Tier::DefinitionSomeWords,
    Tier::PassageWords,
    Tier::PassageTypo,
    Tier::PassageSomeWords,
];

impl Tier {
    /// What the tier finds.
    pub fn kind(self) -> Kind {
        match self {
            Tier::PassageWords | Tier::PassageTypo | Tier::PassageSomeWords => Kind::Passage,
            _ => Kind::Definition,
        }
    }
}

/// A hit found by a tier, before its document is read.
struct Found {
    tier: Tier,
    score: f32,
    address: DocAddress,
}

/// One query being answered: the index, the analysed query and the hits found so far.
struct Tiers<'a> {
    searcher: &'a Searcher,
    f: &'a Fields,
    plan: &'a Plan,
    mode: Mode,
    limit: usize,
    within: Option<&'a Arc<dyn Query>>,
    found: Vec<Found>,
    seen: HashSet<DocAddress>,
}

impl Tiers<'_> {
    /// Runs the tiers in [`TIERS`] order while there is room.
    fn run_all(&mut self) -> Result<()> {
        for tier in TIERS {
            let room = self.limit.saturating_sub(self.found.len());
            if room == 0 || !self.applies(tier) {
                continue;
            }
            let Some(query) = self.query(tier) else {
                continue;
            };
            let mut query = of_kind(self.f, tier.kind(), query);
            if let Some(within) = self.within {
                query = must(vec![query, within.box_clone()]);
            }
            if tier == Tier::TermTypo {
                self.run_by_distance(&*query, room)?;
            } else {
                self.run(&*query, tier, room)?;
            }
        }
        Ok(())
    }

    /// Whether a tier runs, given the mode and what the tiers before it found.
    fn applies(&self, tier: Tier) -> bool {
        let found = |kind: Kind| self.found.iter().any(|h| h.tier.kind() == kind);
        match tier {
            Tier::DefinitionSomeWords => !found(Kind::Definition),
            Tier::PassageSomeWords => {
                self.mode == Mode::Search && self.plan.words.len() > 1 && !found(Kind::Passage)
            }
            Tier::PassageWords | Tier::PassageTypo => self.mode == Mode::Search,
            _ => true,
        }
    }

    /// The tantivy query of a tier (without its kind clause); `None` when the tier has
    /// nothing to ask for this query.
    fn query(&self, tier: Tier) -> Option<Box<dyn Query>> {
        let (plan, f) = (self.plan, self.f);
        let body = Some(f.body);
        Some(match tier {
            Tier::ExactKey => should(
                plan.keys
                    .iter()
                    .filter(|k| !k.is_empty())
                    .map(|k| term_query(f.key, k, IndexRecordOption::Basic))
                    .collect(),
            ),
            Tier::TermWords => all_words(plan, &self.names(), false, Some(f.names)),
            Tier::TermTypo => self.term_typo(),
            Tier::DefinitionWords => all_words(plan, &self.definition_text(), false, body),
            Tier::DefinitionTypo => all_words(plan, &self.definition_text(), true, body),
            Tier::PassageWords => all_words(plan, &self.passage_text(), false, body),
            Tier::PassageTypo => all_words(plan, &self.passage_text(), true, body),
            Tier::DefinitionSomeWords => {
                let (target, min) = self.some_words_for_definitions()?;
                some_words(plan, &target, min)
            }
            Tier::PassageSomeWords => some_words(plan, &self.passage_text(), 1),
        })
    }

    /// Term and aliases: stemmed, with the unstemmed shadow for typos.
    fn names(&self) -> Target {
        Target {
            stemmed: vec![(self.f.names, 1.0)],
            raw: vec![self.f.names_raw],
        }
    }

    /// A definition's names and text. Text is matched for typos on its stems only: an
    /// unstemmed shadow of every passage would double the indexing work for little gain.
    fn definition_text(&self) -> Target {
        Target {
            stemmed: vec![(self.f.names, 2.0), (self.f.body, 1.0)],
            raw: vec![self.f.names_raw],
        }
    }

    /// A passage's text and headings.
    fn passage_text(&self) -> Target {
        Target {
            stemmed: vec![(self.f.body, 1.0), (self.f.heading, 0.5)],
            raw: vec![],
        }
    }

    /// All words in the term within the typo budget, or the whole key within it (a typo
    /// automaton grows with the word: long keys, whole sentences, get none).
    fn term_typo(&self) -> Box<dyn Query> {
        let key = &self.plan.keys[0];
        let chars = key.chars().count();
        let mut typo = vec![all_words(self.plan, &self.names(), true, None)];
        let budget = if chars > MAX_FUZZY_KEY {
            0
        } else {
            typo_budget(chars)
        };
        if budget > 0 {
            let term = Term::from_field_text(self.f.key, key);
            typo.push(Box::new(FuzzyTermQuery::new(term, budget, true)));
        }
        should(typo)
    }

    /// Where and how many content words the definition fallback asks for. `search` asks for
    /// one; `define` for all but one, and only for queries of three or more, so a concept
    /// description still finds its term; for two words, one of them in a term's name
    /// (`chunking strategies` → `Chunking`).
    fn some_words_for_definitions(&self) -> Option<(Target, usize)> {
        let content_words = self.plan.words.iter().filter(|w| !is_small(&w.raw)).count();
        match self.mode {
            Mode::Search if self.plan.words.len() > 1 => Some((self.definition_text(), 1)),
            Mode::Define if content_words >= 3 => Some((self.definition_text(), content_words - 1)),
            Mode::Define if content_words == 2 => Some((self.names(), 1)),
            _ => None,
        }
    }

    /// Runs a query and keeps up to `want` hits not found before.
    fn run(&mut self, q: &dyn Query, tier: Tier, want: usize) -> Result<()> {
        for (score, address) in self.top(q, want + self.seen.len())? {
            if self.found.len() >= self.limit || want == 0 {
                break;
            }
            if self.seen.insert(address) {
                self.found.push(Found {
                    tier,
                    score,
                    address,
                });
            }
        }
        Ok(())
    }

    /// Typo matches all score alike: fetches candidates and keeps the `want` terms closest
    /// to the query by edit distance.
    fn run_by_distance(&mut self, q: &dyn Query, want: usize) -> Result<()> {
        let key = &self.plan.keys[0];
        let mut scored = Vec::new();
        for (score, address) in self.top(q, FUZZY_CANDIDATES + self.seen.len())? {
            if self.seen.contains(&address) {
                continue;
            }
            let doc: TantivyDocument = self
                .searcher
                .doc(address)
                .map_err(|e| Error::engine("reading a hit", e))?;
            let distance = all_str(&doc, self.f.key)
                .iter()
                .map(|k| strsim::osa_distance(k, key))
                .min()
                .unwrap_or(usize::MAX);
            scored.push((distance, score, address));
            if scored.len() == FUZZY_CANDIDATES {
                break;
            }
        }
        scored.sort_by_key(|s| s.0);
        for (_, score, address) in scored.into_iter().take(want) {
            self.seen.insert(address);
            self.found.push(Found {
                tier: Tier::TermTypo,
                score,
                address,
            });
        }
        Ok(())
    }

    /// The best `n` documents for a query, by score.
    fn top(&self, q: &dyn Query, n: usize) -> Result<Vec<(f32, DocAddress)>> {
        self.searcher
            .search(q, &TopDocs::with_limit(n).order_by_score())
            .map_err(|e| Error::engine("searching", e))
    }
}

/// Answers a query from an opened index.
pub fn search(store: &Store, query: &str, opts: &Options) -> Result<Results> {
    if query.trim().is_empty() {
        return Err(Error::EmptyQuery);
    }
    let mut analyzer = Analyzer::default();
    let plan = Plan::new(query, &mut analyzer);
    let searcher = store.reader.searcher();
    answer(store, &searcher, &plan, query, opts, &mut analyzer).map_err(|err| match err {
        // An engine failure at query time means damaged index files: say how to recover.
        Error::Engine { context, source } => Error::Index {
            path: store.dir.clone(),
            message: format!("{context}: {source}"),
        },
        other => other,
    })
}

/// Runs the tiers, reads the hits' documents with snippets, and ranks them.
fn answer(
    store: &Store,
    searcher: &Searcher,
    plan: &Plan,
    query: &str,
    opts: &Options,
    analyzer: &mut Analyzer,
) -> Result<Results> {
    let mut results = Results {
        query: query.to_string(),
        hits: Vec::new(),
        suggestions: Vec::new(),
    };
    if plan.words.is_empty() || opts.limit == 0 {
        return Ok(results);
    }
    let mut tiers = Tiers {
        searcher,
        f: &store.fields,
        plan,
        mode: opts.mode,
        limit: opts.limit,
        within: opts.within.as_ref(),
        found: Vec::new(),
        seen: HashSet::new(),
    };
    tiers.run_all()?;
    let hits = read_hits(searcher, &store.fields, plan, &tiers.found, opts, analyzer)?;
    let batch = Batch {
        query: query.to_string(),
        hits,
    };
    results.hits = rank::rank(vec![batch], query, &[], usize::MAX);
    if results.hits.is_empty() {
        results.suggestions = suggestions(store, searcher, plan)?;
    }
    Ok(results)
}

/// The hits of found documents, with snippets highlighting the query's words.
fn read_hits(
    searcher: &Searcher,
    f: &Fields,
    plan: &Plan,
    found: &[Found],
    opts: &Options,
    analyzer: &mut Analyzer,
) -> Result<Vec<Hit>> {
    let mut compounds: Vec<QueryWord> = plan.joined.iter().map(|(_, w)| w.clone()).collect();
    compounds.dedup();
    let mut hits = Vec::with_capacity(found.len());
    for (n, h) in found.iter().enumerate() {
        let doc: TantivyDocument = searcher
            .doc(h.address)
            .map_err(|e| Error::engine("reading a hit", e))?;
        let mut hit = Hit::from_doc(&doc, f);
        let ranges = snippet::matches(&hit.text, &plan.words, &compounds, analyzer);
        let snip = snippet::make(&hit.text, &ranges, opts.snippet_bytes);
        hit.snippet = snip.text;
        hit.highlights = snip.highlights;
        hit.rank = n + 1;
        hit.score = h.score;
        hit.tier = h.tier as u8;
        hits.push(hit);
    }
    Ok(hits)
}

impl Hit {
    /// A hit from a stored document: the whole text as snippet, no highlights, rank and
    /// score 0 (the caller sets what it knows).
    pub(crate) fn from_doc(doc: &TantivyDocument, f: &Fields) -> Hit {
        let kind = if first_str(doc, f.kind) == Kind::Definition.as_str() {
            Kind::Definition
        } else {
            Kind::Passage
        };
        let text = first_str(doc, f.body);
        Hit {
            rank: 0,
            kind,
            term: (kind == Kind::Definition).then(|| first_str(doc, f.term)),
            aliases: all_str(doc, f.alias),
            snippet: text.clone(),
            highlights: Vec::new(),
            text,
            heading_path: all_str(doc, f.heading_path),
            file: first_str(doc, f.file),
            line: doc.get_first(f.line).and_then(|v| v.as_u64()).unwrap_or(0) as usize,
            score: 0.0,
            tags: all_str(doc, f.tag),
            tier: 0,
        }
    }
}

fn first_str(doc: &TantivyDocument, field: Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

fn all_str(doc: &TantivyDocument, field: Field) -> Vec<String> {
    doc.get_all(field)
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// Indexed terms close to the query (distance 2, whatever the word length), closest first.
fn suggestions(store: &Store, searcher: &Searcher, plan: &Plan) -> Result<Vec<String>> {
    let f = &store.fields;
    let mut clauses: Vec<Box<dyn Query>> = Vec::new();
    if let Some(key) = plan
        .keys
        .first()
        .filter(|k| (3..=MAX_FUZZY_KEY).contains(&k.chars().count()))
    {
        clauses.push(Box::new(FuzzyTermQuery::new(
            Term::from_field_text(f.key, key),
            2,
            true,
        )));
        clauses.push(Box::new(FuzzyTermQuery::new_prefix(
            Term::from_field_text(f.key, key),
            1,
            true,
        )));
    }
    for w in plan.words.iter().filter(|w| w.raw.chars().count() > 2) {
        let d = if w.raw.chars().count() > 4 { 2 } else { 1 };
        clauses.push(Box::new(FuzzyTermQuery::new(
            Term::from_field_text(f.names_raw, &w.raw),
            d,
            true,
        )));
    }
    if clauses.is_empty() {
        return Ok(Vec::new());
    }
    let q = of_kind(f, Kind::Definition, should(clauses));
    let top = searcher
        .search(&*q, &TopDocs::with_limit(50).order_by_score())
        .map_err(|e| Error::engine("finding suggestions", e))?;
    let wanted: String = plan
        .words
        .iter()
        .map(|w| w.raw.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let mut terms: Vec<(usize, String)> = Vec::new();
    for (_, addr) in top {
        let doc: TantivyDocument = searcher
            .doc(addr)
            .map_err(|e| Error::engine("reading a suggestion", e))?;
        let term = first_str(&doc, f.term);
        if !terms.iter().any(|(_, t)| t.eq_ignore_ascii_case(&term)) {
            terms.push((strsim::osa_distance(&term.to_lowercase(), &wanted), term));
        }
    }
    terms.sort();
    Ok(terms.into_iter().take(5).map(|(_, t)| t).collect())
}
