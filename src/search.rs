//! Search: a query becomes tiers of tantivy queries; hits come back with snippets, in the
//! order [`rank`](crate::rank) decides.
//!
//! The query is read first ([`crate::query`]): a question is reduced to its subject, a
//! comparison is split into its parts (each looked up alone, the best definition of each
//! first), and short forms meet their long forms (`dev env` → Development environment).
//! A query of one or two content words names something; one of three or more (or a
//! question of two) describes something and is ranked by [`Tier::Description`].
//!
//! `define` shows, by default, only definitions of what was asked (see
//! `keep_what_was_asked`); definitions that merely mention a name are listed in
//! [`Results::mentioned_in`], and `Options::mentions` lists them as hits too.
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
    BooleanQuery, BoostQuery, DisjunctionMaxQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocAddress, Searcher, SegmentReader, TantivyDocument, Term};

use crate::config::Boost;
use crate::entries::Kind;
use crate::error::{Error, Result};
use crate::index::{Fields, Store};
use crate::query::{self, Part};
use crate::rank::{self, Batch, Lift};
use crate::snippet::{self, QueryWord};
use crate::thesaurus;
use crate::tokenize::{singular, typo_budget, Analyzer, Word};
use crate::words::SPLITTABLE;

mod typos;

use typos::Typos;

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
    /// `define` also lists, as hits, definitions that only mention the query (otherwise
    /// they are named in [`Results::mentioned_in`]).
    pub mentions: bool,
    /// Score multipliers by note: each tier keeps the hits that rank first once boosted
    /// ([`rank::Lift`]); the scores returned are not multiplied.
    pub boosts: Vec<Boost>,
    /// Leave each hit's snippet as its whole text until [`make_snippets`] is called on
    /// the hits that are kept: a lookup asks for more hits than it shows.
    pub later_snippets: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mode: Mode::Search,
            limit: 10,
            snippet_bytes: 240,
            within: None,
            mentions: false,
            boosts: Vec::new(),
            later_snippets: false,
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
    /// The term's normalised key as the index stored it (HTML anchors, Anki card ids);
    /// empty for passages; internal.
    #[serde(skip)]
    pub key: String,
    /// What the snippet is still to be cut for ([`Options::later_snippets`]); internal.
    #[serde(skip)]
    pub pending: Option<Arc<Marks>>,
}

/// The words a hit's snippet highlights, and its longest length (opaque: made by a search).
#[derive(Debug)]
pub struct Marks {
    words: Vec<QueryWord>,
    compounds: Vec<QueryWord>,
    snippet_bytes: usize,
}

impl Marks {
    fn of(plan: &Plan, snippet_bytes: usize) -> Marks {
        let mut compounds: Vec<QueryWord> = plan.joined.iter().map(|(_, w)| w.clone()).collect();
        compounds.dedup();
        Marks {
            words: plan.words.clone(),
            compounds,
            snippet_bytes,
        }
    }

    /// Cuts `hit`'s snippet around these words.
    fn cut(&self, hit: &mut Hit, analyzer: &mut Analyzer) {
        let ranges = snippet::matches(&hit.text, &self.words, &self.compounds, analyzer);
        let snip = snippet::make(&hit.text, &ranges, self.snippet_bytes);
        hit.snippet = snip.text;
        hit.highlights = snip.highlights;
    }
}

/// Cuts the snippets that a search with [`Options::later_snippets`] left to be cut.
pub fn make_snippets(hits: &mut [Hit]) {
    let mut analyzer = Analyzer::default();
    for hit in hits {
        if let Some(marks) = hit.pending.take() {
            marks.cut(hit, &mut analyzer);
        }
    }
}

/// The answer to a query.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Results {
    /// The query as given.
    pub query: String,
    /// Ranked hits.
    pub hits: Vec<Hit>,
    /// Terms close to the query, when nothing was found.
    pub suggestions: Vec<String>,
    /// `define`: terms whose definitions mention the query without defining it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mentioned_in: Vec<String>,
}

/// The analysed query.
#[derive(Clone)]
struct Plan {
    words: Vec<QueryWord>,
    /// Adjacent word pairs joined (`fine tuning` → `finetuning`, `roll back` → `rollback`),
    /// by the position of their first word.
    joined: Vec<(usize, QueryWord)>,
    /// Word lists to try: as typed, with one pair joined, with short forms spelled out.
    alternatives: Vec<Vec<QueryWord>>,
    /// Long forms of each word (`repo` → `repository`), by position.
    long: Vec<Vec<QueryWord>>,
    /// Words that stand in for each word in a description ([`crate::thesaurus`]), by
    /// position; empty unless the query describes.
    related: Vec<Vec<QueryWord>>,
    keys: Vec<String>,
    /// Words that are not common English words.
    content: usize,
    /// The query was a question or a request (`how do I get JSON out of a model`).
    question: bool,
    /// Its typo clauses, each looked up once however many tiers ask for it.
    typos: Typos,
}

/// Each pair of neighbouring words written as one (`fine tuning` → `finetuning`), with the
/// place of its first word; none for a query of more than [`MAX_JOINED_WORDS`] words.
fn joined_pairs(words: &[QueryWord], analyzer: &mut Analyzer) -> Vec<(usize, QueryWord)> {
    if words.len() > MAX_JOINED_WORDS {
        return Vec::new();
    }
    let mut joined = Vec::new();
    for i in 1..words.len() {
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
    joined
}

impl Plan {
    fn new(query: &str, question: bool, analyzer: &mut Analyzer) -> Plan {
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
        let joined = joined_pairs(&words, analyzer);
        let key = analyzer.key(query);
        let mut keys = vec![key.clone()];
        // `llms` typed in lowercase is not recognised as an acronym plural by the analyzer.
        if let Some(singular) = key.strip_suffix('s').filter(|k| k.len() >= 2) {
            keys.push(singular.to_string());
        }
        let mut alternatives = vec![words.clone()];
        for (i, j) in &joined {
            let mut alt = words[..*i].to_vec();
            alt.push(j.clone());
            alt.extend_from_slice(&words[i + 2..]);
            alternatives.push(alt);
        }
        let long: Vec<Vec<QueryWord>> = words
            .iter()
            .map(|w| {
                query::long_forms(&w.raw)
                    .iter()
                    .flat_map(|l| analyzer.plain_words(l))
                    .map(|l| QueryWord::new(&l))
                    .collect()
            })
            .collect();
        for alt in spelled_out(&words, &long, analyzer) {
            keys.push(singular(
                &alt.iter().map(|w| w.raw.as_str()).collect::<String>(),
            ));
            if !alternatives.contains(&alt) {
                alternatives.push(alt);
            }
        }
        keys.dedup();
        let content = words.iter().filter(|w| !query::is_stopword(&w.raw)).count();
        let mut plan = Plan {
            words,
            joined,
            alternatives,
            long,
            related: Vec::new(),
            keys,
            content,
            question,
            typos: Typos::default(),
        };
        if plan.describes() {
            plan.related = related_words(&plan.words, analyzer);
        }
        plan
    }

    /// The words related to the content word at `i` (none for common words).
    fn related(&self, i: usize) -> &[QueryWord] {
        self.related.get(i).map_or(&[], Vec::as_slice)
    }

    /// The word lists to try.
    fn alternatives(&self) -> &[Vec<QueryWord>] {
        &self.alternatives
    }

    /// A description, not a name: three or more content words, or a question of two.
    fn describes(&self) -> bool {
        self.content >= 3 || (self.question && self.content >= 2)
    }

    /// Content words a description's good match must hold: all of up to three, then half.
    fn needed(&self) -> usize {
        if self.content <= 3 {
            self.content
        } else {
            self.content.div_ceil(2)
        }
    }

    /// The same query with words of [`SHORT_TYPO_LEN`] letters given one edit; `None`
    /// when it has none.
    fn with_short_typos(&self) -> Option<Plan> {
        let mut plan = self.clone();
        let mut widened = false;
        for w in &mut plan.words {
            if w.raw.chars().count() == SHORT_TYPO_LEN && w.budget == 0 {
                w.budget = 1;
                widened = true;
            }
        }
        plan.alternatives = vec![plan.words.clone()];
        widened.then_some(plan)
    }
}

/// The [`thesaurus`] words of each content word, by position.
fn related_words(words: &[QueryWord], analyzer: &mut Analyzer) -> Vec<Vec<QueryWord>> {
    words
        .iter()
        .map(|w| {
            if query::is_stopword(&w.raw) {
                return Vec::new();
            }
            let word = analyzer.plain_words(&w.raw).into_iter().next();
            word.map(|word| thesaurus::related(&word, analyzer))
                .unwrap_or_default()
                .iter()
                .map(|r| QueryWord {
                    budget: 0,
                    ..QueryWord::new(r)
                })
                .collect()
        })
        .collect()
}

/// The query with every short form spelled out, once per long form (`auth` has two), and
/// words ending in a short form split (`vectordb` → `vector database`); empty when the
/// query has no short form.
fn spelled_out(
    words: &[QueryWord],
    long: &[Vec<QueryWord>],
    analyzer: &mut Analyzer,
) -> Vec<Vec<QueryWord>> {
    let forms = long.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let mut out = Vec::new();
    for n in 0..forms {
        let mut alt = Vec::new();
        let mut changed = false;
        for (w, l) in words.iter().zip(long) {
            if let Some(form) = l.get(n).or(l.first()) {
                alt.push(form.clone());
                changed = true;
            } else if let Some((head, short)) = split_short_suffix(&w.raw) {
                for part in [head, query::long_forms(short)[0]] {
                    alt.extend(analyzer.plain_words(part).iter().map(QueryWord::new));
                }
                changed = true;
            } else {
                alt.push(w.clone());
            }
        }
        if changed && !out.contains(&alt) {
            out.push(alt);
        }
    }
    out
}

/// `vectordb` → (`vector`, `db`): a word of letters ending in a splittable short form,
/// with at least three letters before it.
fn split_short_suffix(raw: &str) -> Option<(&str, &str)> {
    if !raw.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    SPLITTABLE.iter().find_map(|short| {
        let head = raw.strip_suffix(short)?;
        (head.len() >= 3).then_some((head, *short))
    })
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

/// Weight of a word that stands in for a description's word ([`crate::thesaurus`]).
const RELATED_BOOST: f32 = 0.5;

/// Description matches fetched by BM25 before weighing them by the words they match.
const DESCRIBE_CANDIDATES: usize = 50;

/// Length of the words that get one edit in the short-typo fallback (`agnt` → Agent).
const SHORT_TYPO_LEN: usize = 4;

/// A word in any of the target's fields: by stem (and as a singular), and with `typos`,
/// within its typo budget.
fn word_query(w: &QueryWord, target: &Target, typos: Option<&Typos>) -> Box<dyn Query> {
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
    if let Some(typos) = typos.filter(|_| w.budget > 0) {
        for &field in &target.raw {
            let q = typos.query(field, &w.raw, w.budget, false);
            clauses.push(boost(q, FUZZY_BOOST));
        }
        // The budget is the word's as typed, never more than its stem's own length allows:
        // `faithfulness` (stem `faith`) must not reach `with`.
        let stem_budget = w.stem_budget();
        if stem_budget > 0 {
            for &(field, _) in &target.stemmed {
                let q = typos.query(field, &w.stem, stem_budget, false);
                clauses.push(boost(q, FUZZY_BOOST));
            }
        }
    }
    should(clauses)
}

/// A word or any of its long forms.
fn word_or_long_query(
    w: &QueryWord,
    long: &[QueryWord],
    target: &Target,
    typos: &Typos,
) -> Box<dyn Query> {
    if long.is_empty() {
        return word_query(w, target, Some(typos));
    }
    let mut clauses = vec![word_query(w, target, Some(typos))];
    clauses.extend(long.iter().map(|l| word_query(l, target, Some(typos))));
    should(clauses)
}

/// Every word (in one of the alternatives) must match; adjacent words score a phrase bonus.
fn all_words(
    plan: &Plan,
    target: &Target,
    fuzzy: bool,
    phrase_field: Option<Field>,
) -> Box<dyn Query> {
    let typos = fuzzy.then_some(&plan.typos);
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
                    (occur, word_query(w, target, typos))
                })
                .collect();
            Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>
        })
        .collect();
    let mut clauses = vec![(Occur::Must, should(std::mem::take(&mut alts)))];
    let content: Vec<&QueryWord> = plan.words.iter().filter(|w| !is_small(&w.raw)).collect();
    if let Some(field) = phrase_field {
        clauses.extend(proximity(&content, field));
    }
    Box::new(BooleanQuery::new(clauses))
}

/// Words close together beat words far apart: a tight and a loose phrase bonus.
fn proximity(words: &[&QueryWord], field: Field) -> Vec<(Occur, Box<dyn Query>)> {
    if words.len() < 2 {
        return Vec::new();
    }
    [(2, 2.0), (10, 1.0)]
        .into_iter()
        .map(|(slop, by)| {
            let terms: Vec<(usize, Term)> = words
                .iter()
                .enumerate()
                .map(|(i, w)| (i, Term::from_field_text(field, &w.stem)))
                .collect();
            let phrase = PhraseQuery::new_with_offset_and_slop(terms, slop);
            (Occur::Should, boost(Box::new(phrase), by))
        })
        .collect()
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
        .map(|w| (Occur::Should, word_query(w, target, Some(&plan.typos))))
        .collect();
    Box::new(BooleanQuery::with_minimum_required_clauses(
        clauses,
        min.max(1),
    ))
}

/// All words but the last in a term, and the last as the start of a term word
/// (`retrieval aug`); `None` when the last word is shorter than three letters.
fn prefix_query(plan: &Plan, f: &Fields) -> Option<Box<dyn Query>> {
    let (last, rest) = plan.words.split_last()?;
    if last.raw.chars().count() < 3 || is_small(&last.raw) {
        return None;
    }
    let names = Target {
        stemmed: vec![(f.names, 1.0)],
        raw: vec![],
    };
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = rest
        .iter()
        .map(|w| {
            let occur = if is_small(&w.raw) {
                Occur::Should
            } else {
                Occur::Must
            };
            (occur, word_query(w, &names, None))
        })
        .collect();
    let prefix = plan.typos.query(f.names_raw, &last.raw, 0, true);
    clauses.push((Occur::Must, prefix));
    Some(Box::new(BooleanQuery::new(clauses)))
}

/// One fielded BM25 over term, aliases, definition text and heading: each content word
/// (or a long form of it) is a clause, [`Plan::needed`] of them must match, common words
/// add to the score without being required, and words near each other in the text or
/// in the term score a bonus.
fn description_query(plan: &Plan, f: &Fields) -> Box<dyn Query> {
    let target = Target {
        stemmed: vec![(f.names, 2.0), (f.body, 1.0), (f.heading, 0.3)],
        raw: vec![f.names_raw],
    };
    let content: Vec<(usize, &QueryWord, &[QueryWord])> = plan
        .words
        .iter()
        .zip(&plan.long)
        .enumerate()
        .filter(|(_, (w, _))| !query::is_stopword(&w.raw))
        .map(|(i, (w, l))| (i, w, l.as_slice()))
        .collect();
    let clauses: Vec<(Occur, Box<dyn Query>)> = content
        .iter()
        .map(|&(i, w, l)| {
            let word = word_or_long_query(w, l, &target, &plan.typos);
            let related = plan.related(i);
            if related.is_empty() {
                return (Occur::Should, word);
            }
            let stand_ins = related.iter().map(|r| word_query(r, &target, None));
            let stand_ins = boost(should(stand_ins.collect()), RELATED_BOOST);
            // The better of the word and its stand-ins: a text with both is not counted twice.
            let either = DisjunctionMaxQuery::new(vec![word, stand_ins]);
            (Occur::Should, Box::new(either) as Box<dyn Query>)
        })
        .collect();
    let words = BooleanQuery::with_minimum_required_clauses(clauses, plan.needed().max(1));
    let mut all = vec![(Occur::Must, Box::new(words) as Box<dyn Query>)];
    let common = Target {
        stemmed: vec![(f.names, 1.0), (f.body, 0.5)],
        raw: vec![],
    };
    all.extend(
        plan.words
            .iter()
            .filter(|w| query::is_stopword(&w.raw) && !is_small(&w.raw))
            .map(|w| (Occur::Should, word_query(w, &common, None))),
    );
    let plain: Vec<&QueryWord> = content.iter().map(|&(_, w, _)| w).collect();
    all.extend(proximity(&plain, f.body));
    all.extend(proximity(&plain, f.names));
    Box::new(BooleanQuery::new(all))
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
    /// All words in the term, the last as the start of a term word (`retrieval aug`);
    /// shortest term first.
    TermPrefix = 3,
    /// A name's words (one or two content words) all in the definition's text.
    DefinitionWords = 4,
    /// The same within the typo budget.
    DefinitionTypo = 5,
    /// A description (three content words or more, or a question of two): one fielded
    /// BM25 with proximity over term, aliases, text and heading, weighed by the share of
    /// the words matched; only good matches (see `Plan::needed`).
    Description = 6,
    /// When no term matched at all: words of four letters get one edit (`agnt` → Agent).
    ShortTypo = 7,
    /// Fallback when no definition matched: definitions with some of the words.
    DefinitionSomeWords = 8,
    /// Passages with all words (search only).
    PassageWords = 9,
    /// The same within the typo budget.
    PassageTypo = 10,
    /// Fallback when no passage matched: passages with some of the words.
    PassageSomeWords = 11,
}

/// The order the tiers run in: every definition tier before any passage tier.
pub const TIERS: [Tier; 12] = [
    Tier::ExactKey,
    Tier::TermWords,
    Tier::TermTypo,
    Tier::TermPrefix,
    Tier::DefinitionWords,
    Tier::DefinitionTypo,
    Tier::Description,
    Tier::ShortTypo,
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

    /// Tiers whose definitions are named by the query (term or alias).
    fn names(self) -> bool {
        matches!(
            self,
            Tier::ExactKey | Tier::TermWords | Tier::TermTypo | Tier::TermPrefix | Tier::ShortTypo
        )
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
    /// The boosts, when any: tiers are cut by boosted score.
    lift: Option<Arc<Lift>>,
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
            match tier {
                Tier::TermTypo | Tier::ShortTypo => self.run_by_distance(&*query, tier, room)?,
                Tier::TermPrefix => self.run_by_length(&*query, room)?,
                Tier::Description => self.run_described(&*query, room)?,
                _ => self.run(&*query, tier, room)?,
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
            Tier::DefinitionWords | Tier::DefinitionTypo => !self.plan.describes(),
            Tier::Description => self.plan.describes(),
            Tier::ShortTypo => !self.found.iter().any(|h| h.tier.names()),
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
            Tier::TermTypo => self.term_typo(plan, typo_budget),
            Tier::TermPrefix => prefix_query(plan, f)?,
            Tier::ShortTypo => {
                let short = |n: usize| u8::from(n >= SHORT_TYPO_LEN);
                self.term_typo(&plan.with_short_typos()?, short)
            }
            Tier::Description => description_query(plan, f),
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
    fn term_typo(&self, plan: &Plan, key_budget: impl Fn(usize) -> u8) -> Box<dyn Query> {
        let key = &plan.keys[0];
        let chars = key.chars().count();
        let mut typo = vec![all_words(plan, &self.names(), true, None)];
        let budget = if chars > MAX_FUZZY_KEY {
            0
        } else {
            key_budget(chars)
        };
        if budget > 0 {
            typo.push(plan.typos.query(self.f.key, key, budget, false));
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

    /// Typo matches all score alike: keeps the `want` terms closest to the query by edit
    /// distance; ties go to a key of the typed length (a slip of the finger more often
    /// swaps or replaces a letter than drops one).
    fn run_by_distance(&mut self, q: &dyn Query, tier: Tier, want: usize) -> Result<()> {
        let key = self.plan.keys[0].clone();
        let f = self.f;
        let distance = |doc: &TantivyDocument| {
            all_str(doc, f.key)
                .iter()
                .map(|k| {
                    let d = snippet::osa_distance(k, &key);
                    (d, k.chars().count().abs_diff(key.chars().count()))
                })
                .min()
                .unwrap_or((usize::MAX, 0))
        };
        self.run_ordered(q, tier, want, distance)
    }

    /// Prefix matches all score alike: the shortest terms first (`quantiz` → Quantization
    /// before Quantized LoRA).
    fn run_by_length(&mut self, q: &dyn Query, want: usize) -> Result<()> {
        let f = self.f;
        let length = |doc: &TantivyDocument| first_str(doc, f.term).chars().count();
        self.run_ordered(q, Tier::TermPrefix, want, length)
    }

    /// Fetches candidates not found before and keeps the `want` smallest by `order` of
    /// their stored documents.
    fn run_ordered<K: Ord>(
        &mut self,
        q: &dyn Query,
        tier: Tier,
        want: usize,
        order: impl Fn(&TantivyDocument) -> K,
    ) -> Result<()> {
        let mut scored = Vec::new();
        for (score, address) in self.top(q, FUZZY_CANDIDATES + self.seen.len())? {
            if self.seen.contains(&address) {
                continue;
            }
            scored.push((order(&self.doc(address)?), score, address));
            if scored.len() == FUZZY_CANDIDATES {
                break;
            }
        }
        scored.sort_by(|a, b| a.0.cmp(&b.0));
        self.by_boosted_score(&mut scored, |s| (s.1, s.2));
        for (_, score, address) in scored.into_iter().take(want) {
            self.keep(tier, score, address);
        }
        Ok(())
    }

    /// BM25 candidates of a description, each weighed by the square of the share of the
    /// query's words it matches, so a definition matching the whole description beats
    /// one whose term holds a single rare word of it; matches below
    /// [`Plan::needed`] content words are dropped.
    fn run_described(&mut self, q: &dyn Query, want: usize) -> Result<()> {
        let mut analyzer = Analyzer::default();
        let plan = self.plan;
        let weights = self.word_weights()?;
        let mut weighed = Vec::new();
        for (score, address) in self.top(q, DESCRIBE_CANDIDATES + self.seen.len())? {
            if self.seen.contains(&address) {
                continue;
            }
            let text = doc_text(&self.doc(address)?, self.f);
            let matched = matched_words(plan, &text, &mut analyzer);
            if matched.words < plan.needed() {
                continue;
            }
            let share = matched.share(&weights);
            weighed.push((score * share * share, address));
        }
        weighed.sort_by(|a, b| b.0.total_cmp(&a.0));
        self.by_boosted_score(&mut weighed, |w| *w);
        for (score, address) in weighed.into_iter().take(want) {
            self.keep(Tier::Description, score, address);
        }
        Ok(())
    }

    /// How much each word of a description weighs in the share of it a match holds: its
    /// inverse document frequency in definitions and passages (a word every note uses
    /// says little), zero for articles and prepositions.
    fn word_weights(&self) -> Result<Vec<f32>> {
        let docs = self.searcher.num_docs() as f32;
        self.plan
            .words
            .iter()
            .map(|w| {
                if query::is_stopword(&w.raw) && is_small(&w.raw) {
                    return Ok(0.0);
                }
                let term = Term::from_field_text(self.f.body, &w.stem);
                let df = self
                    .searcher
                    .doc_freq(&term)
                    .map_err(|e| Error::engine("reading a word's frequency", e))?;
                Ok((1.0 + (docs - df as f32 + 0.5) / (df as f32 + 0.5)).ln())
            })
            .collect()
    }

    fn keep(&mut self, tier: Tier, score: f32, address: DocAddress) {
        self.seen.insert(address);
        self.found.push(Found {
            tier,
            score,
            address,
        });
    }

    fn doc(&self, address: DocAddress) -> Result<TantivyDocument> {
        self.searcher
            .doc(address)
            .map_err(|e| Error::engine("reading a hit", e))
    }

    /// With boosts, reorders a tier's candidates by boosted score, as [`rank`] will (a
    /// stable sort: the tier's own order stands among equals), so the tier's cut keeps the
    /// hits that rank first.
    fn by_boosted_score<T>(&self, candidates: &mut [T], score: impl Fn(&T) -> (f32, DocAddress)) {
        if let Some(lift) = &self.lift {
            let boosted = |c: &T| {
                let (score, address) = score(c);
                lift.boost(address, score)
            };
            candidates.sort_by(|a, b| boosted(b).total_cmp(&boosted(a)));
        }
    }

    /// The best `n` documents for a query, by score (boosted, when there are boosts; the
    /// scores returned are the query's own).
    fn top(&self, q: &dyn Query, n: usize) -> Result<Vec<(f32, DocAddress)>> {
        let failed = |e| Error::engine("searching", e);
        let Some(lift) = &self.lift else {
            let by_score = TopDocs::with_limit(n).order_by_score();
            return self.searcher.search(q, &by_score).map_err(failed);
        };
        let lift = Arc::clone(lift);
        let by_boosted =
            TopDocs::with_limit(n).tweak_score(move |s: &SegmentReader| lift.scorer(s));
        let top = self.searcher.search(q, &by_boosted).map_err(failed)?;
        Ok(top
            .into_iter()
            .map(|((_, score), at)| (score, at))
            .collect())
    }
}

/// Answers a query from an opened index.
pub fn search(store: &Store, query: &str, opts: &Options) -> Result<Results> {
    if query.trim().is_empty() {
        return Err(Error::EmptyQuery);
    }
    let mut analyzer = Analyzer::default();
    let understood = query::understand(query);
    let searcher = store.reader.searcher();
    let answered = if understood.parts.len() >= 2 {
        compare(
            store,
            &searcher,
            query,
            &understood.parts,
            opts,
            &mut analyzer,
        )
    } else {
        // `what is X` is looked up as `X`.
        let plan = Plan::new(&understood.text, understood.question, &mut analyzer);
        answer(
            store,
            &searcher,
            &plan,
            &understood.text,
            opts,
            &mut analyzer,
        )
        .map(|mut r| {
            r.query = query.to_string();
            r
        })
    };
    answered.map_err(|err| match err {
        // An engine failure at query time means damaged index files: say how to recover.
        Error::Engine { context, source } => Error::Index {
            path: store.dir.clone(),
            message: format!("{context}: {source}"),
        },
        other => other,
    })
}

/// A comparison: each part looked up alone (in the reading that names a term best). The
/// best definition of each part, and the passages that discuss all parts, come first
/// ([`rank`] keeps that batch ahead); the rest of each part's hits follow in turn.
fn compare(
    store: &Store,
    searcher: &Searcher,
    query: &str,
    parts: &[Part],
    opts: &Options,
    analyzer: &mut Analyzer,
) -> Result<Results> {
    let mut answers = Vec::new();
    for part in parts {
        let mut best: Option<Results> = None;
        for reading in &part.readings {
            let plan = Plan::new(reading, false, analyzer);
            let r = answer(store, searcher, &plan, reading, opts, analyzer)?;
            let rank = |r: &Results| r.hits.first().map_or((true, u8::MAX), definition_rank);
            if best.as_ref().is_none_or(|b| rank(&r) < rank(b)) {
                best = Some(r);
            }
        }
        answers.extend(best);
    }
    let mut first = Batch::default();
    let mut rest = Batch::default();
    for a in &mut answers {
        if let Some(at) = a.hits.iter().position(|h| h.kind == Kind::Definition) {
            first.hits.push(a.hits.remove(at));
        }
    }
    if opts.mode == Mode::Search {
        first
            .hits
            .extend(passages_on_all(store, searcher, parts, opts, analyzer)?);
    }
    let longest = answers.iter().map(|a| a.hits.len()).max().unwrap_or(0);
    for i in 0..longest {
        rest.hits
            .extend(answers.iter().filter_map(|a| a.hits.get(i)).cloned());
    }
    let mut results = Results {
        query: query.to_string(),
        hits: rank::rank(vec![first, rest], query, &[], opts.limit),
        ..Results::default()
    };
    for a in answers {
        for t in a.mentioned_in {
            let listed = results.hits.iter().any(|h| h.term.as_ref() == Some(&t));
            if !listed && !results.mentioned_in.contains(&t) {
                results.mentioned_in.push(t);
            }
        }
        if results.hits.is_empty() {
            results.suggestions.extend(a.suggestions);
        }
    }
    Ok(results)
}

/// The passages that hold every word of every part of a comparison.
fn passages_on_all(
    store: &Store,
    searcher: &Searcher,
    parts: &[Part],
    opts: &Options,
    analyzer: &mut Analyzer,
) -> Result<Vec<Hit>> {
    let text: Vec<&str> = parts.iter().map(|p| p.text.as_str()).collect();
    let text = text.join(" ");
    let plan = Plan::new(&text, false, analyzer);
    let r = answer(store, searcher, &plan, &text, opts, analyzer)?;
    Ok(r.hits
        .into_iter()
        .filter(|h| h.tier == Tier::PassageWords as u8)
        .collect())
}

/// Definitions before passages, better tiers first.
fn definition_rank(h: &Hit) -> (bool, u8) {
    (h.kind != Kind::Definition, h.tier)
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
        ..Results::default()
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
        lift: Lift::new(searcher, store.fields.file, &opts.boosts)?,
        found: Vec::new(),
        seen: HashSet::new(),
    };
    tiers.run_all()?;
    let hits = read_hits(searcher, &store.fields, plan, &tiers.found, opts, analyzer)?;
    let batch = Batch { hits };
    results.hits = rank::rank(vec![batch], query, &[], usize::MAX);
    if opts.mode == Mode::Define && !opts.mentions {
        keep_what_was_asked(&mut results, plan, analyzer);
    }
    if results.hits.is_empty() {
        let mut more = suggestions(store, searcher, plan)?;
        more.retain(|s| !results.suggestions.contains(s));
        results.suggestions.extend(more);
        results.suggestions.truncate(5);
    }
    Ok(results)
}

/// `define`'s filter: definitions of what was asked stay: terms named by the query, a
/// name's words all in a definition with at least one in its term, a description's good
/// matches. Definitions that merely mention the query move to `mentioned_in`; those
/// matching only some words become suggestions.
fn keep_what_was_asked(results: &mut Results, plan: &Plan, analyzer: &mut Analyzer) {
    let hits = std::mem::take(&mut results.hits);
    // When the query is a term, terms sharing only its stem were not asked for (`tokenizer`
    // is not `Token`); otherwise a stem is how `reranker` finds Re-ranking.
    let exact = hits.iter().any(|h| h.tier == Tier::ExactKey as u8);
    for hit in hits {
        let tier = hit.tier;
        let keep = if tier == Tier::TermWords as u8 {
            !exact || names_every_word(&hit, plan, analyzer)
        } else if tier == Tier::DefinitionWords as u8 {
            names_some_word(&hit, plan, analyzer)
        } else if tier == Tier::DefinitionTypo as u8 {
            names_some_word(&hit, plan, analyzer) && {
                let text = format!("{} {}", hit.term.as_deref().unwrap_or(""), hit.text);
                matched_words(plan, &text, analyzer).words == plan.content
            }
        } else {
            tier != Tier::DefinitionSomeWords as u8
        };
        let term = hit.term.clone().unwrap_or_default();
        if keep {
            results.hits.push(hit);
        } else if tier == Tier::DefinitionSomeWords as u8 {
            if !results.suggestions.contains(&term) {
                results.suggestions.push(term);
            }
        } else if mentions(&hit, plan, analyzer) && !results.mentioned_in.contains(&term) {
            results.mentioned_in.push(term);
        }
    }
    rank::renumber(&mut results.hits);
}

/// The word as typed, in the singular or plural, or (when `prefix`) the start of a longer
/// word: `distill` in `distillation`, but not `tokenizer` in `token` (only a shared stem).
fn same_word(w: &QueryWord, t: &Word, prefix: bool) -> bool {
    t.raw == w.raw
        || singular(&t.raw) == singular(&w.raw)
        || (prefix && w.raw.chars().count() >= 3 && t.raw.starts_with(&w.raw))
}

/// Whether the words of one reading of the query (as typed, a pair joined, short forms
/// spelled out), other than small words, all occur in `text` as [`same_word`]s.
fn holds_every_word(plan: &Plan, text: &str, prefix: bool, analyzer: &mut Analyzer) -> bool {
    let tokens = analyzer.words(text);
    plan.alternatives().iter().any(|alt| {
        let last = alt.len().saturating_sub(1);
        alt.iter().enumerate().all(|(i, w)| {
            is_small(&w.raw) || tokens.iter().any(|t| same_word(w, t, prefix && i == last))
        })
    })
}

/// A hit's term and aliases, as one string.
fn names_of(hit: &Hit) -> String {
    let mut names = hit.term.clone().unwrap_or_default();
    for a in &hit.aliases {
        names.push(' ');
        names.push_str(a);
    }
    names
}

/// Whether the hit's term or aliases hold every word (the last may be a prefix).
fn names_every_word(hit: &Hit, plan: &Plan, analyzer: &mut Analyzer) -> bool {
    holds_every_word(plan, &names_of(hit), true, analyzer)
}

/// Whether a content word of the query (or its long form) is in the hit's term or aliases.
fn names_some_word(hit: &Hit, plan: &Plan, analyzer: &mut Analyzer) -> bool {
    let tokens = analyzer.words(&names_of(hit));
    plan.words
        .iter()
        .zip(&plan.long)
        .filter(|(w, _)| !query::is_stopword(&w.raw))
        .any(|(w, long)| {
            tokens
                .iter()
                .any(|t| w.exact(t) || long.iter().any(|l| l.exact(t)))
        })
}

/// Whether the hit's definition mentions the query: every word, as typed (`helps` does
/// not mention `helpfulness`, though both stem to `help`).
fn mentions(hit: &Hit, plan: &Plan, analyzer: &mut Analyzer) -> bool {
    holds_every_word(plan, &hit.text, false, analyzer)
}

/// A definition's term, aliases and text, as one string.
fn doc_text(doc: &TantivyDocument, f: &Fields) -> String {
    let mut text = all_str(doc, f.term).join(" ");
    for a in all_str(doc, f.alias) {
        text.push(' ');
        text.push_str(&a);
    }
    text.push(' ');
    text.push_str(&first_str(doc, f.body));
    text
}

/// Which of the plan's words that are not small `text` matches, in one pass over its
/// tokens: by stem, plural, long form, as half of a joined pair (`roll back` in
/// `Rollback`), within the word's typo budget (a typo never lands on a common word: `width`
/// is not `with`), or by a word that stands in for it.
fn matched_words(plan: &Plan, text: &str, analyzer: &mut Analyzer) -> Matched {
    let tokens = analyzer.words(text);
    let found = |w: &QueryWord| tokens.iter().any(|t| w.exact(t));
    let mut in_pair = vec![false; plan.words.len()];
    for (i, j) in &plan.joined {
        if found(j) {
            in_pair[*i] = true;
            in_pair[*i + 1] = true;
        }
    }
    let mut matched = Matched {
        words: 0,
        by_word: vec![0.0; plan.words.len()],
    };
    let counted = plan
        .words
        .iter()
        .zip(&plan.long)
        .zip(in_pair)
        .enumerate()
        .filter(|(_, ((w, _), _))| !query::is_stopword(&w.raw) || !is_small(&w.raw));
    for (i, ((w, long), paired)) in counted {
        let content = !query::is_stopword(&w.raw);
        let itself = paired
            || found(w)
            || long.iter().any(found)
            || tokens
                .iter()
                .any(|t| !query::is_stopword(&t.raw) && w.close(t));
        let by = if itself {
            1.0
        } else if plan.related(i).iter().any(found) {
            RELATED_BOOST
        } else {
            continue;
        };
        matched.by_word[i] = by;
        matched.words += usize::from(content);
    }
    matched
}

/// How much of a query a text matches.
#[derive(Debug, Default, Clone)]
struct Matched {
    /// Content words matched, by themselves or by a word that stands in for them.
    words: usize,
    /// By query word (content words and common words that are not small): 1 when the text
    /// has it, [`RELATED_BOOST`] when it has only a word that stands in for it, else 0.
    by_word: Vec<f32>,
}

impl Matched {
    /// The share of the query's weight matched, each word weighing `weights[i]`.
    fn share(&self, weights: &[f32]) -> f32 {
        let total: f32 = weights.iter().sum();
        let got: f32 = self.by_word.iter().zip(weights).map(|(m, w)| m * w).sum();
        if total > 0.0 {
            got / total
        } else {
            0.0
        }
    }
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
    let marks = Arc::new(Marks::of(plan, opts.snippet_bytes));
    let mut hits = Vec::with_capacity(found.len());
    for (n, h) in found.iter().enumerate() {
        let doc: TantivyDocument = searcher
            .doc(h.address)
            .map_err(|e| Error::engine("reading a hit", e))?;
        let mut hit = Hit::from_doc(&doc, f);
        if opts.later_snippets {
            hit.pending = Some(Arc::clone(&marks));
        } else {
            marks.cut(&mut hit, analyzer);
        }
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
            key: first_str(doc, f.term_key),
            pending: None,
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
        clauses.push(plan.typos.query(f.key, key, 2, false));
        clauses.push(plan.typos.query(f.key, key, 1, true));
    }
    for w in plan.words.iter().filter(|w| w.raw.chars().count() > 2) {
        let d = if w.raw.chars().count() > 4 { 2 } else { 1 };
        clauses.push(plan.typos.query(f.names_raw, &w.raw, d, false));
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
            terms.push((snippet::osa_distance(&term.to_lowercase(), &wanted), term));
        }
    }
    terms.sort();
    Ok(terms.into_iter().take(5).map(|(_, t)| t).collect())
}

#[cfg(test)]
mod tests;
