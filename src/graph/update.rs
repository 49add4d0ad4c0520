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
//! A text is cut into words only when its bytes hold one of the changed names' needles
//! ([`Probe::needles`]): most texts are not.
//!
//! The matcher's table, which the cache file written after this holds whole, is the last
//! file's, its nodes renumbered, but for the entries of the strings the changed names give
//! (before or after): those are made again of every name now ([`Merged`]). An entry whose
//! strings no changed name gives has the same names before and after, of nodes whose
//! numbers keep their order.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use super::nodes::{groups, NameOf, Nodes};
use super::source::{Def, Name, Source};
use super::store::{Base, Merged, Table};
use super::{looked_for, prefixes, Made, Matcher, Tables};
use crate::search::Hit;
use crate::tokenize::{singular_of, space_pieces, Analyzer, Word};

type FxMap<K, V> = HashMap<K, V, rustc_hash::FxBuildHasher>;
type FxSet<K> = HashSet<K, rustc_hash::FxBuildHasher>;

/// The graph of `old`'s definitions with those of the notes in `changes` replaced by the
/// definition hits given (none for a note removed), with what it is made of.
pub(crate) fn update<'a>(
    base: &Base<'a>,
    old: &Source<'a>,
    changes: &'a BTreeMap<String, Vec<Hit>>,
) -> Made<'a> {
    let changed: FxSet<&str> = changes.keys().map(String::as_str).collect();
    let mut analyzer = Analyzer::default();
    let (mut new, was) = merged(old, changes, &changed, &mut analyzer);
    let (old_groups, new_groups) = (groups(old), groups(&new));
    let new_nodes = Nodes::of(&new, &new_groups);
    let names = new_nodes.names(&new);
    let longest_now = longest(&names, &new);
    let everything = old.longest != longest_now;
    let mut probe = Probe::of((old, &old_groups), (&new, &new_groups), &changed);
    let (renumber, old_terms) = renumbering(old, &old_groups, &new_nodes);
    let mut words = Vec::new();
    // Definitions whose nodes found are kept: not given, not met by a changed name.
    let kept: Vec<Option<usize>> = (0..was.len())
        .map(|d| {
            let before = was[d].filter(|_| !everything)?;
            let text = new.defs[d].text;
            let met = probe
                .as_mut()
                .is_some_and(|p| p.hits(&mut analyzer, &mut words, text));
            let known = old
                .found(before)
                .iter()
                .all(|&m| renumber[m as usize].is_some());
            (!met && known).then_some(before)
        })
        .collect();
    let affected = probe.map(Probe::strings).unwrap_or_default();
    let table = Merged {
        base: *base,
        over: Tables::of(&names, &new, Some(&affected)),
        renumber,
        affected,
    };
    let mut matcher = Matcher::over(table, longest_now);
    matcher.seen = Some(Default::default());
    let mut found = Vec::new();
    for (d, kept) in kept.into_iter().enumerate() {
        let start = found.len();
        match kept {
            Some(before) => found.extend(
                old.found(before)
                    .iter()
                    .flat_map(|&m| matcher.table.renumber[m as usize]),
            ),
            None => found.extend(matcher.find(new.defs[d].text).into_iter().map(|n| n as u32)),
        }
        new.defs[d].found = start..found.len();
    }
    new.found = found;
    new.longest = longest_now;
    let order = a_to_z(base, &old_terms, &matcher.table.renumber, &new_nodes);
    let (graph, of_def, rank) = match order {
        Some(order) => new_nodes.graph_in(&new, &order),
        None => new_nodes.graph(&new),
    };
    Made {
        graph,
        source: new,
        of_def,
        rank,
        tables: Table::Merged(Box::new(matcher.table)),
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
    new.names.reserve(old.names.len() + given.len());
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
    // Each given definition goes after the kept ones that come before it (found by
    // halving: the kept ones are in order).
    let places: Vec<usize> = given
        .iter()
        .map(|g| kept.partition_point(|&k| in_order(&new, g, &old.defs[k]).is_ge()))
        .collect();
    let mut given: Vec<Option<Def<'a>>> = given.into_iter().map(Some).collect();
    let mut was = Vec::with_capacity(kept.len() + given.len());
    new.defs.reserve(kept.len() + given.len());
    for slot in interleaved(kept.len(), &places) {
        match slot {
            Ok(i) => {
                new.defs.push(old.defs[kept[i]].clone());
                was.push(Some(kept[i]));
            }
            Err(g) => {
                new.defs.extend(given[g].take());
                was.push(None);
            }
        }
    }
    (new, was)
}

/// The order of `kept` items in order and of others, each going after the first `at[g]`
/// kept ones (`at` ascending, as `partition_point` gives them): `Ok(i)` for the `i`th kept
/// item, `Err(g)` for the `g`th other.
fn interleaved(kept: usize, at: &[usize]) -> Vec<Result<usize, usize>> {
    let mut order = Vec::with_capacity(kept + at.len());
    let mut others = at.iter().enumerate().peekable();
    for i in 0..kept {
        while let Some((g, _)) = others.next_if(|&(_, &place)| place == i) {
            order.push(Err(g));
        }
        order.push(Ok(i));
    }
    order.extend(others.map(|(g, _)| Err(g)));
    order
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
/// its number in `new` (by term key), if it is there; with each one's term (its first
/// definition's).
fn renumbering<'a>(
    old: &Source<'a>,
    groups: &[Cow<'_, str>],
    new: &Nodes,
) -> (Vec<Option<u32>>, Vec<&'a str>) {
    let mut seen: FxSet<&str> = FxSet::default();
    let (mut to, mut terms) = (Vec::new(), Vec::new());
    for (def, group) in old.defs.iter().zip(groups) {
        if seen.insert(group.as_ref()) {
            to.push(new.by_group.get(group.as_ref()).map(|&m| m as u32));
            terms.push(def.term);
        }
    }
    (to, terms)
}

/// The nodes of `new` A-Z ([`super::nodes::a_to_z`]) from the order of the file's
/// (`base`; their terms `old_terms`, their numbers now `renumber`): a node with the same
/// term keeps its place among the others (the nodes of one term keep their order), and
/// the others are placed by halving. `None` when the file's ranks do not read.
fn a_to_z(
    base: &Base<'_>,
    old_terms: &[&str],
    renumber: &[Option<u32>],
    new: &Nodes,
) -> Option<Vec<usize>> {
    let mut by_rank = vec![usize::MAX; old_terms.len()];
    for n in 0..old_terms.len() {
        let r = base.rank(n)? as usize;
        *by_rank.get_mut(r)? = n;
    }
    let mut placed = vec![false; new.nodes.len()];
    let mut order = Vec::with_capacity(new.nodes.len());
    for &n in &by_rank {
        let m = renumber.get(n).copied()?;
        if let Some(m) = m.map(|m| m as usize) {
            if new.nodes[m].term == old_terms[n] && !placed[m] {
                placed[m] = true;
                order.push(m);
            }
        }
    }
    let key = |m: usize| (new.nodes[m].term.to_lowercase(), m);
    let mut others: Vec<(String, usize)> = (0..new.nodes.len())
        .filter(|&m| !placed[m])
        .map(key)
        .collect();
    others.sort_unstable();
    // Each goes after the placed ones before it (they are in order).
    let mut at = Vec::with_capacity(others.len());
    for other in &others {
        at.push(order.partition_point(|&m| key(m) < *other));
    }
    let merged = interleaved(order.len(), &at)
        .into_iter()
        .map(|slot| match slot {
            Ok(i) => order[i],
            Err(g) => others[g].1,
        });
    Some(merged.collect())
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

/// The term keys of the nodes that have a definition in a changed note (`groups`: of each
/// definition).
fn touched<'g>(
    source: &Source<'_>,
    groups: &'g [Cow<'_, str>],
    changed: &FxSet<&str>,
) -> FxSet<&'g str> {
    let pairs = source.defs.iter().zip(groups);
    pairs
        .filter(|(def, _)| changed.contains(def.file))
        .map(|(_, group)| group.as_ref())
        .collect()
}

/// The definitions of each node whose term key is one of `keys` (`groups`: of each
/// definition), for those that have one.
fn defs_of<'g>(groups: &'g [Cow<'_, str>], keys: &FxSet<&str>) -> FxMap<&'g str, Vec<usize>> {
    let mut by: FxMap<&str, Vec<usize>> = FxMap::default();
    for (d, group) in groups.iter().enumerate() {
        if keys.contains(group.as_ref()) {
            by.entry(group.as_ref()).or_default().push(d);
        }
    }
    by
}

/// What the windows of a text are compared with: the changed names' keys, raw prefixes,
/// stems and stem prefixes, and every start of those (a window that is none cannot grow
/// into one).
///
/// Before a text is cut into words, its bytes are searched for [`Probe::needles`]: a text
/// that has none of them has no window that answers, and is not cut.
#[derive(Default)]
struct Probe {
    keys: FxSet<String>,
    raws: FxSet<String>,
    stems: FxSet<String>,
    raw_starts: FxSet<String>,
    stem_starts: FxSet<String>,
    longest: usize,
    /// The raw words joined that answer: the keys, their plurals and the raw prefixes.
    joined: FxSet<String>,
    /// Lowercase pieces, one of which is in every ASCII text with a window that answers
    /// (lowercased); `None` when there are none to look for (then every text is cut).
    needles: Option<Vec<memchr::memmem::Finder<'static>>>,
    /// A text lowercased (reused from text to text).
    lower: Vec<u8>,
}

impl Probe {
    /// The probe for the names of the nodes whose names differ between `old` and `new`
    /// (only the nodes with a definition in a changed note, before or after, can); `None`
    /// when none do.
    fn of(
        (old, old_groups): (&Source<'_>, &[Cow<'_, str>]),
        (new, new_groups): (&Source<'_>, &[Cow<'_, str>]),
        changed: &FxSet<&str>,
    ) -> Option<Probe> {
        // Every definition of those nodes, before and after: a node that gains or loses a
        // definition elsewhere than in a changed note keeps its names.
        let mut keys = touched(old, old_groups, changed);
        keys.extend(touched(new, new_groups, changed));
        let before = defs_of(old_groups, &keys);
        let after = defs_of(new_groups, &keys);
        let mut probe = Probe::default();
        for group in keys {
            let was = before.get(group).map(|defs| names_of(old, defs));
            let now = after.get(group).map(|defs| names_of(new, defs));
            if was == now {
                continue;
            }
            for (names, source) in [(was, old), (now, new)] {
                for (term, name, alias) in names.into_iter().flatten() {
                    probe.add(term, name, alias, source.name(name));
                }
            }
        }
        probe.needles = probe.needles();
        (probe.longest > 0).then_some(probe)
    }

    /// The strings of the matcher's table the changed names give: keys, stems, prefixes.
    fn strings(self) -> FxSet<String> {
        let mut all = self.keys;
        all.extend(self.raws);
        all.extend(self.stems);
        all
    }

    /// The needles of [`Probe::needles`], once every name is added.
    ///
    /// An ASCII text's plain words, raw, are its bytes lowercased, each a run of them (a
    /// word, a possessive cut off, a part of a camel-case or hyphenated word); another
    /// text is searched as such a text ([`Probe::may_hit`]). So:
    /// - a window of at most `longest` words whose raws joined are one of `joined`, cut into
    ///   `longest` pieces: at most `longest - 1` word bounds fall inside it, so one piece
    ///   falls inside one word, and is in the text;
    /// - a window whose stems joined are one of `stems` has a word with each of its stems;
    ///   a word of under three bytes is its own stem, and the English stemmer keeps a
    ///   word's start, changing at most its last [`STEM_TAIL`] bytes
    ///   (`dying` → `die`, `happy` → `happi`, `relational` → `relat`): the stem but those
    ///   bytes is in the text.
    fn needles(&self) -> Option<Vec<memchr::memmem::Finder<'static>>> {
        let mut pieces: Vec<&str> = Vec::new();
        for joined in &self.joined {
            let n = self.longest.min(joined.len()).max(1);
            if !joined.is_ascii() {
                return None;
            }
            let size = joined.len() / n;
            let extra = joined.len() % n;
            let mut at = 0;
            for i in 0..n {
                let len = size + usize::from(i < extra);
                pieces.push(&joined[at..at + len]);
                at += len;
            }
        }
        for stems in &self.stems {
            if !stems.is_ascii() {
                return None;
            }
            let best = stems
                .split(' ')
                .map(|stem| &stem[..stem.len().saturating_sub(STEM_TAIL)])
                .max_by_key(|piece| piece.len())?;
            pieces.push(best);
        }
        if pieces.iter().any(|p| p.is_empty()) {
            return None;
        }
        pieces.sort_unstable_by_key(|p| (p.len(), *p));
        pieces.dedup();
        // A piece that holds another is found only where that one is: it adds nothing.
        let mut kept: Vec<&str> = Vec::new();
        for p in pieces {
            if !kept.iter().any(|k| p.contains(k)) {
                kept.push(p);
            }
        }
        Some(
            kept.into_iter()
                .map(|p| memchr::memmem::Finder::new(p.as_bytes()).into_owned())
                .collect(),
        )
    }

    /// False when `text` has none of the needles: no window of it answers. A text that is
    /// not all ASCII is read as the analyzer cuts it: in pieces that end before a space
    /// (after something else), each cut alone ([`crate::tokenize`]); the ASCII pieces are
    /// searched lowercased, the others through their words' raws.
    fn may_hit(&mut self, analyzer: &mut Analyzer, text: &str) -> bool {
        let Some(needles) = &self.needles else {
            return true;
        };
        self.lower.clear();
        if text.is_ascii() {
            self.lower.extend_from_slice(text.as_bytes());
            self.lower.make_ascii_lowercase();
        } else {
            for range in space_pieces(text) {
                let piece = &text[range];
                if piece.is_ascii() {
                    let from = self.lower.len();
                    self.lower.extend_from_slice(piece.as_bytes());
                    self.lower[from..].make_ascii_lowercase();
                } else {
                    for word in analyzer.unstemmed_words(piece) {
                        self.lower.push(b' ');
                        self.lower.extend_from_slice(word.raw.as_bytes());
                    }
                    self.lower.push(b' ');
                }
            }
        }
        needles.iter().any(|n| n.find(&self.lower).is_some())
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
        self.joined.extend(plurals);
        if !alias {
            self.stems.insert(cut.stems.to_string());
            add_starts(&mut self.stem_starts, &cut.stems);
        }
    }

    /// True when a window of `text` answers to a changed name (`words`: a buffer).
    fn hits(&mut self, analyzer: &mut Analyzer, words: &mut Vec<Word>, text: &str) -> bool {
        self.may_hit(analyzer, text) && self.windows_hit(analyzer, words, text)
    }

    /// [`Probe::hits`], every window of `text` compared.
    fn windows_hit(&self, analyzer: &mut Analyzer, words: &mut Vec<Word>, text: &str) -> bool {
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

/// How many bytes at most the English stemmer changes or adds at the end of a word of three
/// bytes or more: the stem but that many bytes is the word's start. (It changes two at
/// most, `lying` → `lie`: one more is kept in hand.)
const STEM_TAIL: usize = 3;

/// Every start of `s` that ends on a character boundary.
fn add_starts(set: &mut FxSet<String>, s: &str) {
    for (at, c) in s.char_indices() {
        set.insert(s[..at + c.len_utf8()].to_string());
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn interleaved_puts_each_other_after_its_count_of_kept_ones() {
        assert_eq!(
            interleaved(3, &[0, 0, 2, 3]),
            [Err(0), Err(1), Ok(0), Ok(1), Err(2), Ok(2), Err(3)]
        );
        assert_eq!(interleaved(2, &[]), [Ok(0), Ok(1)]);
        assert_eq!(interleaved(0, &[0, 0]), [Err(0), Err(1)]);
    }

    /// Words whose stems are not their starts, plurals, short words, and letters that fold.
    const WORDS: &[&str] = &[
        "lying",
        "lie",
        "tying",
        "dying",
        "die",
        "happy",
        "happiness",
        "happily",
        "policy",
        "policies",
        "relational",
        "relation",
        "chunk",
        "chunking",
        "class",
        "classes",
        "box",
        "boxes",
        "llm",
        "a",
        "of",
        "skies",
        "sky",
        "café",
        "fine",
        "tuning",
        "sensibility",
        "generalization",
        "zorblax",
        "widget",
        "naïve",
        "straße",
        "e\u{301}clair",
        "İstanbul",
        "ǅemal",
        "widgetʼs",
    ];

    /// Ways to set two words side by side in a text.
    const JOINS: &[&str] = &[
        " ", "-", "'s ", ", ", "", " (", "_", ".", "—", "\u{a0}", "  ", "’s ",
    ];

    fn cased(word: &str, how: usize) -> String {
        match how {
            0 => word.to_string(),
            1 => word.to_uppercase(),
            _ => {
                let mut c = word.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect())
                    .unwrap_or_default()
            }
        }
    }

    fn text_of(words: &[(usize, usize, usize)]) -> String {
        let mut text = String::new();
        for &(w, how, join) in words {
            text.push_str(&cased(WORDS[w % WORDS.len()], how));
            text.push_str(JOINS[join % JOINS.len()]);
        }
        text
    }

    fn name_of(words: &[usize]) -> String {
        let picked: Vec<&str> = words.iter().map(|&w| WORDS[w % WORDS.len()]).collect();
        picked.join(" ")
    }

    #[test]
    fn the_stemmer_keeps_all_but_the_last_bytes_of_a_word() {
        let mut analyzer = Analyzer::default();
        let suffixes = [
            "", "s", "es", "ies", "ied", "ing", "ingly", "ed", "edly", "eed", "ly", "li", "y",
            "ness", "ational", "tional", "ization", "ation", "ator", "alism", "aliti", "alli",
            "fulness", "ousli", "iveness", "iviti", "biliti", "bli", "ogi", "ogist", "fulli",
            "lessli", "enci", "anci", "abli", "entli", "izer", "alize", "icate", "iciti", "ical",
            "ful", "ative", "ement", "ment", "able", "ible", "'s", "'",
        ];
        let starts = [
            "d", "l", "t", "sk", "happ", "poss", "gener", "sens", "relat", "rel", "ab", "abil",
            "commun", "univers", "emerg", "proc", "succ", "exc", "cann", "inn", "herr", "earr",
            "out", "ev", "x", "by", "ski", "onl", "earl", "gentl", "singl", "ugl", "idl",
        ];
        let mut words: Vec<String> = WORDS.iter().map(|w| w.to_string()).collect();
        for start in starts {
            for a in suffixes {
                for b in ["", "s", "ly", "ing", "ation", "ness", "y"] {
                    words.push(format!("{start}{a}{b}"));
                    words.push(format!("{start}y{a}{b}"));
                    words.push(format!("{start}e{a}{b}"));
                }
            }
        }
        for word in words.iter().flat_map(|w| analyzer.plain_words(w)) {
            let kept = word.stem.len().saturating_sub(STEM_TAIL);
            let kept = (0..=kept).rev().find(|&k| word.stem.is_char_boundary(k));
            let start = &word.stem[..kept.unwrap_or(0)];
            assert!(word.raw.starts_with(start), "{} → {}", word.raw, word.stem);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn a_text_without_the_needles_has_no_window_that_answers(
            names in prop::collection::vec(
                (prop::collection::vec(0..36usize, 1..4), any::<bool>()),
                1..4,
            ),
            texts in prop::collection::vec(
                prop::collection::vec((0..36usize, 0..3usize, 0..12usize), 0..10),
                1..8,
            ),
        ) {
            let mut analyzer = Analyzer::default();
            let mut probe = Probe::default();
            let names: Vec<(String, bool)> =
                names.iter().map(|(words, alias)| (name_of(words), *alias)).collect();
            for (name, alias) in &names {
                let term = if *alias { "Some term" } else { name.as_str() };
                probe.add(term, name, *alias, &Name::of(&mut analyzer, name));
            }
            probe.needles = probe.needles();
            let mut words = Vec::new();
            for text in &texts {
                let text = text_of(text);
                if probe.windows_hit(&mut analyzer, &mut words, &text) {
                    prop_assert!(probe.may_hit(&mut analyzer, &text), "{text:?} for {names:?}");
                }
            }
        }
    }
}
