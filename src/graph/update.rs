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
//!
//! The matcher is built of every name, as the cache file written after this holds them all.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use super::nodes::{groups, NameOf, Nodes};
use super::source::{Def, Name, Source};
use super::{looked_for, prefixes, Made, Matcher};
use crate::search::Hit;
use crate::tokenize::{singular_of, Analyzer, Word};

type FxMap<K, V> = HashMap<K, V, rustc_hash::FxBuildHasher>;
type FxSet<K> = HashSet<K, rustc_hash::FxBuildHasher>;

/// The graph of `old`'s definitions with those of the notes in `changes` replaced by the
/// definition hits given (none for a note removed), with what it is made of.
pub(crate) fn update<'a>(old: &Source<'a>, changes: &'a BTreeMap<String, Vec<Hit>>) -> Made<'a> {
    let changed: FxSet<&str> = changes.keys().map(String::as_str).collect();
    let mut analyzer = Analyzer::default();
    let (mut new, was) = merged(old, changes, &changed, &mut analyzer);
    let (old_groups, new_groups) = (groups(old), groups(&new));
    let new_nodes = Nodes::of(&new, &new_groups);
    let names = new_nodes.names(&new);
    let longest_now = longest(&names, &new);
    let everything = old.longest != longest_now;
    let probe = Probe::of((old, &old_groups), (&new, &new_groups), &changed);
    let renumber = renumbering(&old_groups, &new_nodes);
    let mut words = Vec::new();
    // Definitions whose nodes found are kept: not given, not met by a changed name.
    let kept: Vec<Option<usize>> = (0..was.len())
        .map(|d| {
            let before = was[d].filter(|_| !everything)?;
            let text = new.defs[d].text;
            let met = probe
                .as_ref()
                .is_some_and(|p| p.hits(&mut analyzer, &mut words, text));
            let known = old
                .found(before)
                .iter()
                .all(|&m| renumber[m as usize].is_some());
            (!met && known).then_some(before)
        })
        .collect();
    let mut matcher = Matcher::new(names, &new);
    let mut found = Vec::new();
    for (d, kept) in kept.into_iter().enumerate() {
        let start = found.len();
        match kept {
            Some(before) => {
                found.extend(old.found(before).iter().flat_map(|&m| renumber[m as usize]))
            }
            None => found.extend(matcher.find(new.defs[d].text).into_iter().map(|n| n as u32)),
        }
        new.defs[d].found = start..found.len();
    }
    new.found = found;
    new.longest = longest_now;
    let (graph, of_def, rank) = new_nodes.graph(&new);
    Made {
        graph,
        source: new,
        of_def,
        rank,
        tables: matcher.table,
    }
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

/// The length of the longest of `names` looked for.
fn longest(names: &[NameOf<'_>], source: &Source<'_>) -> usize {
    let mut best = 0;
    for &(_, term, name, alias) in names {
        let cut = source.name(name);
        if cut.words > best && looked_for(term, name, alias, cut).is_some() {
            best = cut.words;
        }
    }
    best
}

/// For each node of `old` (numbered in order of first definition, as [`Nodes::of`] does),
/// its number in `new` (by term key), if it is there.
fn renumbering(old: &[Cow<'_, str>], new: &Nodes) -> Vec<Option<u32>> {
    let mut seen: FxSet<&str> = FxSet::default();
    let mut to = Vec::new();
    for group in old {
        if seen.insert(group.as_ref()) {
            to.push(new.by_group.get(group.as_ref()).map(|&m| m as u32));
        }
    }
    to
}

/// The names of the node made of definitions `defs` (in order), as the matcher takes them:
/// (term, name, is an alias); its term, its aliases, then the other spellings of its term.
fn names_of<'b>(source: &Source<'b>, defs: &[usize]) -> Vec<(&'b str, &'b str, bool)> {
    let term = source.defs[defs[0]].term;
    let mut names = vec![(term, term, false)];
    for &d in defs {
        for &a in &source.defs[d].aliases {
            if !names.iter().any(|&(_, name, alias)| alias && name == a) {
                names.push((term, a, true));
            }
        }
    }
    for &d in defs {
        let spelt = source.defs[d].term;
        if spelt != term && !source.name(spelt).key.is_empty() {
            names.push((spelt, spelt, false));
        }
    }
    names
}

/// The definitions of each node that has one in a changed note, by term key (`groups`:
/// of each definition).
fn touched<'g>(
    source: &Source<'_>,
    groups: &'g [Cow<'_, str>],
    changed: &FxSet<&str>,
) -> FxMap<&'g str, Vec<usize>> {
    let mut by: FxMap<&str, Vec<usize>> = FxMap::default();
    for (def, group) in source.defs.iter().zip(groups) {
        if changed.contains(def.file) {
            by.insert(group.as_ref(), Vec::new());
        }
    }
    for (d, group) in groups.iter().enumerate() {
        if let Some(defs) = by.get_mut(group.as_ref()) {
            defs.push(d);
        }
    }
    by
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
        (old, old_groups): (&Source<'_>, &[Cow<'_, str>]),
        (new, new_groups): (&Source<'_>, &[Cow<'_, str>]),
        changed: &FxSet<&str>,
    ) -> Option<Probe> {
        let before = touched(old, old_groups, changed);
        let after = touched(new, new_groups, changed);
        let mut probe = Probe::default();
        for group in before.keys().chain(after.keys()).collect::<FxSet<_>>() {
            let was = before.get(group).map(|defs| names_of(old, defs));
            let now = after.get(group).map(|defs| names_of(new, defs));
            if was.is_some() && was == now {
                continue;
            }
            for (names, source) in [(was, old), (now, new)] {
                for (term, name, alias) in names.into_iter().flatten() {
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
