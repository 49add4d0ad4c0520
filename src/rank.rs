//! Ranking: the one place that decides the order of the hits a lookup returns.
//!
//! The search hands over one list of hits per query it ran (the query as typed, then each
//! synonym expansion), each hit carrying its tier and its BM25 score within that tier.
//! [`rank`] turns them into the final list by these rules, in this order:
//!
//! 1. **Merge**: hits of later queries (expansions) are added after those of earlier ones;
//!    a place (file, line, kind) already listed is not listed again.
//! 2. **One hit per place**: a passage is dropped when a definition listed from the same
//!    lines already holds everything it says (see [`covers`]).
//! 3. **Boosts**: a hit's score is multiplied by every boost whose glob matches its file.
//!    The search cuts each tier by the same boosted score ([`Lift`]), so a boosted hit that
//!    would climb into the list is among the hits it returns, without fetching more.
//! 4. **Order**: definitions before passages; then the query the hit came from (as typed
//!    first); then the tier; then, among exact term matches, the spelling typed first;
//!    then (only when boosts apply) the boosted score. Otherwise the search's own order
//!    within a tier stands (BM25, or edit distance for typo matches of a term).
//! 5. **Cut and number**: the first `limit` hits, ranked 1..n.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tantivy::index::SegmentId;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED};

use crate::config::Boost;
use crate::entries::Kind;
use crate::error::{Error, Result};
use crate::search::Hit;
use crate::tokenize::Analyzer;

/// The hits of one query run by a lookup (the query as typed, or an expansion), best first
/// as the search ranked them.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// Its hits.
    pub hits: Vec<Hit>,
}

/// The final order of the hits of `batches` (the typed query's first), as the module
/// documentation lists the rules. `typed` is the query as the user typed it.
pub fn rank(batches: Vec<Batch>, typed: &str, boosts: &[Boost], limit: usize) -> Vec<Hit> {
    let mut hits = merge(batches);
    one_hit_per_place(&mut hits);
    let boosted = apply_boosts(&mut hits, boosts);
    order(&mut hits, typed, boosted);
    let mut hits: Vec<Hit> = hits.into_iter().map(|r| r.hit).collect();
    hits.truncate(limit);
    renumber(&mut hits);
    hits
}

/// A hit with the number of the batch it came from (0: the query as typed).
#[derive(Debug)]
struct Ranked {
    hit: Hit,
    batch: usize,
}

/// Rule 1: all batches' hits in batch order, each place once.
fn merge(batches: Vec<Batch>) -> Vec<Ranked> {
    let mut seen: HashSet<(String, usize, bool)> = HashSet::new();
    let mut out = Vec::new();
    for (batch, b) in batches.into_iter().enumerate() {
        for hit in b.hits {
            if seen.insert((hit.file.clone(), hit.line, hit.kind == Kind::Definition)) {
                out.push(Ranked { hit, batch });
            }
        }
    }
    out
}

/// Rule 2: drops each passage that a listed definition covers.
fn one_hit_per_place(hits: &mut Vec<Ranked>) {
    let mut analyzer = Analyzer::default();
    let definitions: Vec<&Hit> = hits
        .iter()
        .map(|r| &r.hit)
        .filter(|h| h.kind == Kind::Definition)
        .collect();
    if definitions.is_empty() {
        return;
    }
    let covered: Vec<bool> = hits
        .iter()
        .map(|r| r.hit.kind == Kind::Passage && covers(&definitions, &r.hit, &mut analyzer))
        .collect();
    let mut flags = covered.into_iter();
    hits.retain(|_| !flags.next().unwrap_or(false));
}

/// Whether the definitions written on the lines of `passage` hold everything it says: every
/// word of the passage is a word of their terms, aliases or texts. A passage that says more
/// (a list with other items, a paragraph that goes on) is kept.
pub fn covers(definitions: &[&Hit], passage: &Hit, analyzer: &mut Analyzer) -> bool {
    let last = passage.line + passage.text.lines().count().max(1) - 1;
    let here: Vec<&&Hit> = definitions
        .iter()
        .filter(|d| d.file == passage.file && (passage.line..=last).contains(&d.line))
        .collect();
    if here.is_empty() {
        return false;
    }
    let mut words: HashSet<String> = HashSet::new();
    for d in &here {
        let names = d.term.iter().chain(&d.aliases);
        for text in names.chain(std::iter::once(&d.text)) {
            words.extend(plain_raw_words(text, analyzer));
        }
    }
    plain_raw_words(&passage.text, analyzer).all(|w| words.contains(&w))
}

/// The words of `text` as typed (lowercased, folded), without compounds; no stems.
fn plain_raw_words(text: &str, analyzer: &mut Analyzer) -> impl Iterator<Item = String> {
    analyzer
        .unstemmed_words(text)
        .into_iter()
        .filter(|w| !w.compound)
        .map(|w| w.raw)
}

/// Rule 3: multiplies scores by the matching boosts; true when any boost is configured.
fn apply_boosts(hits: &mut [Ranked], boosts: &[Boost]) -> bool {
    for r in hits.iter_mut() {
        r.hit.score = boosted(r.hit.score, &factors(boosts, &r.hit.file));
    }
    !boosts.is_empty()
}

/// The factors of the boosts whose glob matches `file`, in the order configured.
fn factors(boosts: &[Boost], file: &str) -> Vec<f32> {
    boosts
        .iter()
        .filter(|b| b.matches(file))
        .map(|b| b.factor)
        .collect()
}

/// A score multiplied by each factor in turn (rule 3 for one hit).
fn boosted(score: f32, factors: &[f32]) -> f32 {
    factors.iter().fold(score, |s, f| s * f)
}

/// Rule 3 where the search cuts a tier: the boost factors of the indexed notes, looked up by
/// document, so a tier keeps the hits that rank first once boosted (a boosted match below
/// the unboosted cut climbs into it) and the search needs no more hits than the limit.
/// Hits keep their own score; [`rank`] multiplies it.
#[derive(Debug, Default)]
pub struct Lift {
    /// Per segment, its boosted documents → their file's factors (an index in `factors`).
    docs: HashMap<SegmentId, Arc<HashMap<DocId, usize>>>,
    /// The segments in order, for [`DocAddress::segment_ord`].
    segments: Vec<SegmentId>,
    /// The factors of each boosted file.
    factors: Arc<Vec<Vec<f32>>>,
}

impl Lift {
    /// The factors of the notes indexed in `file` (the field of file paths) that any of
    /// `boosts` matches; `None` when there are no boosts.
    pub fn new(searcher: &Searcher, file: Field, boosts: &[Boost]) -> Result<Option<Arc<Lift>>> {
        if boosts.is_empty() {
            return Ok(None);
        }
        let mut lift = Lift::default();
        let mut factors = Vec::new();
        let mut by_file: HashMap<String, usize> = HashMap::new();
        for segment in searcher.segment_readers() {
            lift.segments.push(segment.segment_id());
            let mut docs = HashMap::new();
            for (path, postings) in boosted_files(segment, file, boosts)? {
                let at = *by_file.entry(path).or_insert_with_key(|path| {
                    factors.push(self::factors(boosts, path));
                    factors.len() - 1
                });
                docs.extend(postings.into_iter().map(|doc| (doc, at)));
            }
            lift.docs.insert(segment.segment_id(), Arc::new(docs));
        }
        lift.factors = Arc::new(factors);
        Ok(Some(Arc::new(lift)))
    }

    /// A hit's score once boosted.
    pub fn boost(&self, address: DocAddress, score: f32) -> f32 {
        let segment = self.segments.get(address.segment_ord as usize);
        match segment.and_then(|id| self.docs.get(id)?.get(&address.doc_id)) {
            Some(&at) => boosted(score, &self.factors[at]),
            None => score,
        }
    }

    /// For a collector ordering a segment's documents: (boosted score, score) of a document.
    pub fn scorer(&self, segment: &SegmentReader) -> impl Fn(DocId, Score) -> (Score, Score) {
        let docs = self.docs.get(&segment.segment_id()).cloned();
        let factors = Arc::clone(&self.factors);
        move |doc, score| match docs.as_ref().and_then(|d| d.get(&doc)) {
            Some(&at) => (boosted(score, &factors[at]), score),
            None => (score, score),
        }
    }
}

/// The files of a segment that a boost matches, each with its documents.
fn boosted_files(
    segment: &SegmentReader,
    file: Field,
    boosts: &[Boost],
) -> Result<Vec<(String, Vec<DocId>)>> {
    let failed = |e| Error::engine("reading the index's files for boosts", e);
    let inverted = segment.inverted_index(file).map_err(failed)?;
    let mut terms = inverted.terms().stream().map_err(|e| failed(e.into()))?;
    let mut out = Vec::new();
    while terms.advance() {
        let Ok(path) = std::str::from_utf8(terms.key()) else {
            continue;
        };
        if !boosts.iter().any(|b| b.matches(path)) {
            continue;
        }
        let mut postings = inverted
            .read_postings_from_terminfo(terms.value(), IndexRecordOption::Basic)
            .map_err(|e| failed(e.into()))?;
        let mut docs = Vec::new();
        let mut doc = postings.doc();
        while doc != TERMINATED {
            docs.push(doc);
            doc = postings.advance();
        }
        out.push((path.to_string(), docs));
    }
    Ok(out)
}

/// Rule 4: a stable sort, so the search's order stands where no rule decides.
fn order(hits: &mut [Ranked], typed: &str, by_score: bool) {
    let typed = typed.trim();
    let group = |r: &Ranked| {
        let h = &r.hit;
        let exact_as_typed = h.tier == 0 && is_spelt(h, typed);
        (h.kind == Kind::Passage, r.batch, h.tier, !exact_as_typed)
    };
    hits.sort_by(|a, b| {
        let by_group = group(a).cmp(&group(b));
        if by_score {
            by_group.then_with(|| b.hit.score.total_cmp(&a.hit.score))
        } else {
            by_group
        }
    });
}

/// The term or an alias is written exactly as typed (`PEFT` the method over `peft` the
/// library).
fn is_spelt(hit: &Hit, typed: &str) -> bool {
    hit.term.as_deref() == Some(typed) || hit.aliases.iter().any(|a| a == typed)
}

/// Rule 5: ranks 1..n in order.
pub fn renumber(hits: &mut [Hit]) {
    for (n, hit) in hits.iter_mut().enumerate() {
        hit.rank = n + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(kind: Kind, tier: u8, file: &str, line: usize, score: f32) -> Hit {
        Hit {
            kind,
            term: (kind == Kind::Definition).then(|| format!("{file}:{line}")),
            file: file.into(),
            line,
            score,
            tier,
            ..Hit::default()
        }
    }

    fn batch(hits: Vec<Hit>) -> Batch {
        Batch { hits }
    }

    fn places(hits: &[Hit]) -> Vec<(&str, usize)> {
        hits.iter().map(|h| (h.file.as_str(), h.line)).collect()
    }

    #[test]
    fn definitions_come_before_passages_whatever_their_tiers() {
        // A definition matching only some words (tier 7) still precedes a passage with all.
        let hits = rank(
            vec![batch(vec![
                hit(Kind::Passage, 5, "p.md", 1, 9.0),
                hit(Kind::Definition, 7, "d.md", 1, 1.0),
            ])],
            "q",
            &[],
            10,
        );
        assert_eq!(places(&hits), [("d.md", 1), ("p.md", 1)]);
    }

    #[test]
    fn tiers_order_hits_of_a_kind_and_bm25_order_stands_within_a_tier() {
        let hits = rank(
            vec![batch(vec![
                hit(Kind::Definition, 3, "c.md", 1, 9.0),
                hit(Kind::Definition, 1, "a.md", 1, 1.0),
                hit(Kind::Definition, 1, "b.md", 1, 0.5),
                hit(Kind::Definition, 2, "typo.md", 1, 0.1),
                hit(Kind::Definition, 2, "typo.md", 2, 0.3),
            ])],
            "q",
            &[],
            10,
        );
        assert_eq!(
            places(&hits),
            [
                ("a.md", 1),
                ("b.md", 1),
                ("typo.md", 1),
                ("typo.md", 2),
                ("c.md", 1)
            ]
        );
    }

    #[test]
    fn the_spelling_typed_wins_among_exact_matches() {
        let mut lower = hit(Kind::Definition, 0, "lib.md", 1, 5.0);
        lower.term = Some("peft".into());
        let mut upper = hit(Kind::Definition, 0, "method.md", 1, 1.0);
        upper.term = Some("PEFT".into());
        let hits = rank(vec![batch(vec![lower, upper])], " PEFT ", &[], 10);
        assert_eq!(places(&hits), [("method.md", 1), ("lib.md", 1)]);
    }

    #[test]
    fn expansions_add_after_the_typed_query_each_place_once() {
        let typed = batch(vec![
            hit(Kind::Definition, 3, "a.md", 1, 1.0),
            hit(Kind::Passage, 5, "a.md", 5, 1.0),
        ]);
        let expanded = batch(vec![
            hit(Kind::Definition, 0, "a.md", 1, 9.0),
            hit(Kind::Definition, 0, "b.md", 2, 9.0),
            hit(Kind::Passage, 5, "b.md", 9, 9.0),
        ]);
        let hits = rank(vec![typed, expanded], "q", &[], 10);
        assert_eq!(
            places(&hits),
            [("a.md", 1), ("b.md", 2), ("a.md", 5), ("b.md", 9)]
        );
        assert_eq!(
            hits.iter().map(|h| h.rank).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
    }

    #[test]
    fn boosts_reorder_within_a_tier_and_never_lift_a_passage_over_a_definition() {
        let boosts = [Boost::new("b*.md", 3.0).unwrap()];
        let hits = rank(
            vec![batch(vec![
                hit(Kind::Definition, 1, "a1.md", 1, 2.0),
                hit(Kind::Definition, 1, "b1.md", 1, 1.0),
                hit(Kind::Definition, 3, "a2.md", 1, 5.0),
                hit(Kind::Passage, 5, "a3.md", 1, 2.0),
                hit(Kind::Passage, 5, "b2.md", 1, 1.0),
            ])],
            "q",
            &boosts,
            10,
        );
        assert_eq!(
            places(&hits),
            [
                ("b1.md", 1),
                ("a1.md", 1),
                ("a2.md", 1),
                ("b2.md", 1),
                ("a3.md", 1)
            ]
        );
        assert_eq!(hits[0].score, 3.0);
    }

    #[test]
    fn a_passage_that_only_repeats_a_definition_is_dropped() {
        let mut def = hit(Kind::Definition, 1, "a.md", 3, 1.0);
        def.term = Some("Token".into());
        def.text = "The basic unit of text.".into();
        let mut same = hit(Kind::Passage, 5, "a.md", 3, 1.0);
        same.text = "Token: The basic unit of text.".into();
        let mut more = hit(Kind::Passage, 5, "a.md", 2, 1.0);
        more.text = "- Token: The basic unit of text.\n- Chunk: A piece.".into();
        let mut elsewhere = hit(Kind::Passage, 5, "b.md", 3, 1.0);
        elsewhere.text = "Token: The basic unit of text.".into();
        let hits = rank(vec![batch(vec![def, same, more, elsewhere])], "q", &[], 10);
        assert_eq!(places(&hits), [("a.md", 3), ("a.md", 2), ("b.md", 3)]);
    }

    #[test]
    fn the_list_is_cut_at_the_limit_and_numbered() {
        let hits = rank(
            vec![batch(vec![
                hit(Kind::Definition, 1, "a.md", 1, 1.0),
                hit(Kind::Definition, 1, "b.md", 1, 1.0),
                hit(Kind::Definition, 1, "c.md", 1, 1.0),
            ])],
            "q",
            &[],
            2,
        );
        assert_eq!(places(&hits), [("a.md", 1), ("b.md", 1)]);
        assert_eq!(hits.iter().map(|h| h.rank).collect::<Vec<_>>(), [1, 2]);
    }
}
