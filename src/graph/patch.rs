//! The changes to a cached graph file after a run whose notes' definitions differ from the
//! cached ones only in their texts and lines: the same terms with the same aliases, in the
//! same order within each note. Then the nodes, their names, their numbers and ranks, and
//! so the matcher, are those of the file; only these change:
//! - each changed definition's nodes named: its new text matched with the file's matcher,
//!   read from the mapped file ([`super::Lookup`] of [`Base`]);
//! - each of their nodes' line (its first definition's) and mentions (what its definitions
//!   name, in order, each once, but itself);
//! - the mentioned_by list of each node that one of those gained or lost, kept in rank order.
//!
//! All of it is read and written per definition and per node: the work grows with the
//! change, not with the glossary. Definitions and nodes that end as the file has them are
//! dropped from the delta.

use std::collections::{BTreeMap, BTreeSet};

use super::delta::{DefPatch, Delta, NodePatch};
use super::source::Def;
use super::store::Base;
use super::{FxSet, Matcher};
use crate::search::Hit;

/// The changes since `base` after those of `old` and then the change to the notes in
/// `changes` (their definitions now); `None` when more than texts and lines changed, or
/// the file does not read.
pub(crate) fn patch(
    base: &Base<'_>,
    old: &Delta,
    changes: &BTreeMap<String, Vec<Hit>>,
) -> Option<Delta> {
    let mut next = old.clone();
    let mut matcher = Matcher::over(*base, base.longest());
    let mut touched = BTreeSet::new();
    for (file, hits) in changes {
        for (d, def) in paired(base, old, file, hits)? {
            let found: Vec<u32> = matcher.find(def.text).iter().map(|&n| n as u32).collect();
            let rec = base.def(d as usize)?;
            let patch = DefPatch {
                text: def.text.to_string(),
                line: def.line,
                found,
            };
            let filed = (rec.text, rec.line, &rec.found) == (def.text, def.line, &patch.found);
            let unchanged = next.defs.get(&d).map_or(filed, |p| *p == patch);
            if unchanged {
                continue;
            }
            if filed {
                next.defs.remove(&d);
            } else {
                next.defs.insert(d, patch);
            }
            touched.insert(rec.node);
        }
    }
    for n in touched {
        relink(base, &mut next, n)?;
    }
    Some(next)
}

/// The definitions of `file` in the file (as numbered there) with those `hits` give now,
/// paired by line order; `None` unless they have the same terms and aliases in that order
/// (and no two share a line), so that they keep their numbers and nodes.
fn paired<'h>(
    base: &Base<'_>,
    old: &Delta,
    file: &str,
    hits: &'h [Hit],
) -> Option<Vec<(u32, Def<'h>)>> {
    let mut now: Vec<Def<'h>> = hits.iter().filter_map(Def::of).collect();
    now.sort_by_key(|d| d.line);
    let mut was = Vec::new();
    for d in base.file_defs(file)? {
        let rec = base.def(d as usize)?;
        let line = old.defs.get(&d).map_or(rec.line, |p| p.line);
        was.push((line, d, rec));
    }
    was.sort_by_key(|&(line, d, _)| (line, d));
    let same_line = |lines: Vec<usize>| lines.windows(2).any(|w| w[0] == w[1]);
    if was.len() != now.len()
        || same_line(was.iter().map(|w| w.0).collect())
        || same_line(now.iter().map(|d| d.line).collect())
    {
        return None;
    }
    let mut pairs = Vec::with_capacity(now.len());
    for ((_, d, rec), def) in was.into_iter().zip(now) {
        if rec.term != def.term || rec.aliases != def.aliases || def.file != file {
            return None;
        }
        pairs.push((d, def));
    }
    Some(pairs)
}

/// Node `n` as the file and `next` have it.
fn node_now(base: &Base<'_>, next: &Delta, n: u32) -> Option<NodePatch> {
    if let Some(p) = next.nodes.get(&n) {
        return Some(p.clone());
    }
    let rec = base.node(n as usize)?;
    Some(NodePatch {
        line: rec.line,
        mentions: rec.mentions,
        by: rec.by,
    })
}

/// Sets node `n` to `patch` in `next` (dropped when it is the file's).
fn set_node(base: &Base<'_>, next: &mut Delta, n: u32, patch: NodePatch) -> Option<()> {
    let rec = base.node(n as usize)?;
    if (rec.line, &rec.mentions, &rec.by) == (patch.line, &patch.mentions, &patch.by) {
        next.nodes.remove(&n);
    } else {
        next.nodes.insert(n, patch);
    }
    Some(())
}

/// Node `n`'s line and mentions from its definitions as `next` has them, and the
/// mentioned_by lists of the nodes it gained or lost.
fn relink(base: &Base<'_>, next: &mut Delta, n: usize) -> Option<()> {
    let rec = base.node(n)?;
    let n = u32::try_from(n).ok()?;
    let mut mentions = Vec::new();
    let mut seen: FxSet<u32> = FxSet::default();
    seen.insert(n);
    for &d in &rec.defs {
        let found = match next.defs.get(&d) {
            Some(p) => p.found.clone(),
            None => base.def(d as usize)?.found,
        };
        mentions.extend(found.into_iter().filter(|&m| seen.insert(m)));
    }
    let first = *rec.defs.first()?;
    let line = match next.defs.get(&first) {
        Some(p) => p.line,
        None => base.def(first as usize)?.line,
    };
    let was = node_now(base, next, n)?;
    let (gone, new): (Vec<u32>, Vec<u32>) = (
        was.mentions
            .iter()
            .copied()
            .filter(|m| !mentions.contains(m))
            .collect(),
        mentions
            .iter()
            .copied()
            .filter(|m| !was.mentions.contains(m))
            .collect(),
    );
    let by = was.by;
    set_node(base, next, n, NodePatch { line, mentions, by })?;
    for m in gone {
        let mut node = node_now(base, next, m)?;
        node.by.retain(|&x| x != n);
        set_node(base, next, m, node)?;
    }
    let rank = base.rank(n as usize)?;
    for m in new {
        let mut node = node_now(base, next, m)?;
        let ranks = node
            .by
            .iter()
            .map(|&x| base.rank(x as usize))
            .collect::<Option<Vec<u32>>>()?;
        node.by.insert(ranks.partition_point(|&r| r < rank), n);
        set_node(base, next, m, node)?;
    }
    Some(())
}
