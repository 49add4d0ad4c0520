//! The graph after a run that changed the definitions of some notes, made from the last
//! graph's [`Source`] and those notes' definitions instead of from every definition read
//! back from the index, and equal to the graph [`super::build`] would make.
//!
//! A definition's mentions are what [`Matcher::find`] finds in its text, and `find` only
//! asks the matcher about windows of that text. So only these are matched again:
//! - the changed notes' definitions;
//! - when the names looked for changed (a term renamed, an alias added, a term defined for
//!   the first or the last time), the texts with a window the changed names answer to: its
//!   words joined are one of their keys (or a plural of one) or a prefix of one, or its stems
//!   are theirs or a prefix of theirs. Every other answer the matcher gives is the same as
//!   before: a node whose term, aliases and spellings are unchanged keeps its place among the
//!   others (nodes are in glossary order, by their first definition's term);
//! - every text when the longest name's length changed.
//!
//! Every other definition keeps the nodes it named, renumbered.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::nodes::{NameOf, Nodes};
use super::source::{Def, Name, Source};
use super::{looked_for, prefixes, Graph, Matcher};
use crate::search::Hit;
use crate::tokenize::{singular_of, Analyzer, Word};

type FxMap<K, V> = HashMap<K, V, rustc_hash::FxBuildHasher>;
type FxSet<K> = HashSet<K, rustc_hash::FxBuildHasher>;

/// The graph of `old`'s definitions with those of the notes in `changes` replaced by the
/// definition hits given (none for a note removed), and its source.
pub(crate) fn update<'a>(
    old: &Source<'a>,
    changes: &'a BTreeMap<String, Vec<Hit>>,
) -> (Graph, Source<'a>) {
    let changed: FxSet<&str> = changes.keys().map(String::as_str).collect();
    let mut analyzer = Analyzer::default();
    let (mut new, was) = merged(old, changes, &changed, &mut analyzer);
    let (old_nodes, new_nodes) = (Nodes::of(old), Nodes::of(&new));
    let mut matcher = Matcher::new(new_nodes.names(&new), &new);
    let probe = Probe::of(old, &old_nodes, &new, &new_nodes, &changed);
    let everything = longest(old, &old_nodes) != matcher.longest;
    let renumber = renumbering(&old_nodes, &new_nodes);
    let mut words = Vec::new();
    let mut found = Vec::new();
    for (d, &before) in was.iter().enumerate() {
        let (start, text) = (found.len(), new.defs[d].text);
        let unaffected = |analyzer: &mut Analyzer, words: &mut Vec<Word>| {
            !everything
                && probe
                    .as_ref()
                    .is_none_or(|p| !p.hits(analyzer, words, text))
        };
        let kept = before
            .filter(|_| unaffected(&mut analyzer, &mut words))
            .is_some_and(|b| {
                let nodes = old.found(b).iter().map(|&m| renumber[m as usize]);
                nodes.map(|n| n.map(|n| found.push(n))).all(|n| n.is_some())
            });
        if !kept {
            found.truncate(start);
            found.extend(matcher.find(text).into_iter().map(|n| n as u32));
        }
        new.defs[d].found = start..found.len();
    }
    new.found = found;
    (new_nodes.graph(&new), new)
}

/// The definitions of `old` outside the changed notes and those given for them, in glossary
/// order, with their names cut (from `old` when it has them); for each, its place in `old`
/// (`None` for one given).
fn merged<'a>(
    old: &Source<'a>,
    changes: &'a BTreeMap<String, Vec<Hit>>,
    changed: &FxSet<&str>,
    analyzer: &mut Analyzer,
) -> (Source<'a>, Vec<Option<usize>>) {
    let mut given: Vec<Def<'a>> = changes
        .values()
        .flat_map(|hits| hits.iter().filter_map(Def::of))
        .collect();
    let kept: Vec<usize> = (0..old.defs.len())
        .filter(|&d| !changed.contains(old.defs[d].file))
        .collect();
    let mut new = Source::default();
    let all = kept.iter().map(|&d| &old.defs[d]).chain(&given);
    for name in all.flat_map(|d| std::iter::once(d.term).chain(d.aliases.iter().copied())) {
        new.names
            .entry(name)
            .or_insert_with(|| match old.names.get(name) {
                Some(cut) => cut.clone(),
                None => Name::of(analyzer, name),
            });
    }
    given.sort_by(|a, b| in_order(&new, a, b));
    let (mut kept, mut given) = (kept.into_iter().peekable(), given.into_iter().peekable());
    let mut was = Vec::new();
    loop {
        let take_given = match (kept.peek(), given.peek()) {
            (Some(&k), Some(g)) => in_order(&new, g, &old.defs[k]).is_lt(),
            (None, Some(_)) => true,
            (_, None) => false,
        };
        if take_given {
            new.defs.extend(given.next());
            was.push(None);
        } else if let Some(k) = kept.next() {
            new.defs.push(old.defs[k].clone());
            was.push(Some(k));
        } else {
            break;
        }
    }
    (new, was)
}

/// The order of [`crate::glossary::in_order`]: by sort key, term, file and line.
fn in_order(source: &Source<'_>, a: &Def<'_>, b: &Def<'_>) -> std::cmp::Ordering {
    (source.order(a.term), a.term, a.file, a.line).cmp(&(
        source.order(b.term),
        b.term,
        b.file,
        b.line,
    ))
}

/// The length of the longest name looked for.
fn longest(source: &Source<'_>, nodes: &Nodes) -> usize {
    nodes
        .names(source)
        .into_iter()
        .filter_map(|(_, term, name, alias)| looked_for(term, name, alias, source.name(name)))
        .max()
        .unwrap_or(0)
}

/// For each node of `old`, its number in `new` (by term key), if it is there.
fn renumbering(old: &Nodes, new: &Nodes) -> Vec<Option<u32>> {
    let mut to = vec![None; old.nodes.len()];
    for (group, &n) in &old.by_group {
        to[n] = new.by_group.get(group).map(|&m| m as u32);
    }
    to
}

/// The names of a node, in the order the matcher takes them: term, aliases, then the other
/// spellings its definitions give.
fn names_of<'b>(
    nodes: &'b Nodes,
    source: &'b Source<'_>,
    n: usize,
    defs: &[usize],
) -> Vec<NameOf<'b>> {
    let own = nodes.own_names(n);
    own.chain(defs.iter().filter_map(|&d| nodes.variant(source, d)))
        .collect()
}

/// What the windows of a text are compared with: the changed names' keys, raw prefixes,
/// stems and stem prefixes, and every start of those (a window that is none cannot grow
/// into one).
#[derive(Default)]
struct Probe {
    keys: FxSet<String>,
    raws: FxSet<String>,
    stems: FxSet<String>,
    raw_starts: FxSet<String>,
    stem_starts: FxSet<String>,
    longest: usize,
}

impl Probe {
    /// The probe for the names of the nodes whose names differ between `old` and `new`
    /// (only the nodes of definitions of the changed notes can); `None` when none do.
    fn of(
        old: &Source<'_>,
        old_nodes: &Nodes,
        new: &Source<'_>,
        new_nodes: &Nodes,
        changed: &FxSet<&str>,
    ) -> Option<Probe> {
        let old_defs = defs_by_group(old, old_nodes, changed);
        let new_defs = defs_by_group(new, new_nodes, changed);
        let mut probe = Probe::default();
        let groups = old_defs.keys().chain(new_defs.keys()).collect::<FxSet<_>>();
        for group in groups {
            let before = old_defs
                .get(group)
                .map(|(n, defs)| names_of(old_nodes, old, *n, defs));
            let after = new_defs
                .get(group)
                .map(|(n, defs)| names_of(new_nodes, new, *n, defs));
            let same = |a: &Vec<NameOf>, b: &Vec<NameOf>| {
                a.iter()
                    .map(|x| (x.1, x.2, x.3))
                    .eq(b.iter().map(|x| (x.1, x.2, x.3)))
            };
            if let (Some(a), Some(b)) = (&before, &after) {
                if same(a, b) {
                    continue;
                }
            }
            for (names, source) in [(before, old), (after, new)] {
                for (_, term, name, alias) in names.into_iter().flatten() {
                    probe.add(term, name, alias, source.name(name));
                }
            }
        }
        (probe.longest > 0).then_some(probe)
    }

    /// Adds what the matcher keeps of a name.
    fn add(&mut self, term: &str, name: &str, alias: bool, cut: &Name<'_>) {
        let Some(words) = looked_for(term, name, alias, cut) else {
            return;
        };
        self.longest = self.longest.max(words);
        let key = cut.key.as_ref();
        let mut plurals = vec![key.to_string(), format!("{key}s"), format!("{key}es")];
        plurals.extend(key.strip_suffix('y').map(|k| format!("{k}ies")));
        self.keys.insert(key.to_string());
        for (raw, stem) in prefixes(cut) {
            plurals.push(raw.clone());
            self.raws.insert(raw);
            self.stems.insert(stem.to_string());
            add_starts(&mut self.stem_starts, stem);
        }
        for s in &plurals {
            add_starts(&mut self.raw_starts, s);
        }
        if !alias {
            self.stems.insert(cut.stems.to_string());
            add_starts(&mut self.stem_starts, &cut.stems);
        }
    }

    /// True when a window of `text` answers to a changed name (`words`: a buffer).
    fn hits(&self, analyzer: &mut Analyzer, words: &mut Vec<Word>, text: &str) -> bool {
        let count = analyzer.plain_words_into(text, words);
        let words = &words[..count];
        let (mut joined, mut stems) = (String::new(), String::new());
        for i in 0..words.len() {
            joined.clear();
            stems.clear();
            for (len, w) in words[i..].iter().take(self.longest).enumerate() {
                joined.push_str(&w.raw);
                if len > 0 {
                    stems.push(' ');
                }
                stems.push_str(&w.stem);
                if self.keys.contains(singular_of(&joined).as_ref())
                    || self.raws.contains(&joined)
                    || self.stems.contains(&stems)
                {
                    return true;
                }
                if !self.raw_starts.contains(&joined) && !self.stem_starts.contains(&stems) {
                    break;
                }
            }
        }
        false
    }
}

/// Every start of `s` that ends on a character boundary.
fn add_starts(set: &mut FxSet<String>, s: &str) {
    for (at, c) in s.char_indices() {
        set.insert(s[..at + c.len_utf8()].to_string());
    }
}

/// The nodes with a definition in a changed note, by term key: (node, its definitions).
fn defs_by_group<'n>(
    source: &Source<'_>,
    nodes: &'n Nodes,
    changed: &FxSet<&str>,
) -> FxMap<&'n str, (usize, Vec<usize>)> {
    let touched: FxSet<usize> = (0..source.defs.len())
        .filter(|&d| changed.contains(source.defs[d].file))
        .map(|d| nodes.of_def[d])
        .collect();
    let mut by: FxMap<&str, (usize, Vec<usize>)> = FxMap::default();
    for (group, &n) in nodes.by_group.iter().filter(|(_, n)| touched.contains(n)) {
        by.insert(group.as_str(), (n, Vec::new()));
    }
    let mut defs_of: FxMap<usize, Vec<usize>> = FxMap::default();
    for (d, &n) in nodes.of_def.iter().enumerate() {
        if touched.contains(&n) {
            defs_of.entry(n).or_default().push(d);
        }
    }
    for (n, defs) in by.values_mut() {
        *defs = defs_of.remove(n).unwrap_or_default();
    }
    by
}
