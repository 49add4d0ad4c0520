//! The graph's nodes and edges from its definitions: definitions of one term key are one
//! node (its term and place those of the first); a node mentions what its definitions'
//! texts name, in order of first mention.

use std::borrow::Cow;
use std::collections::HashMap;

use super::source::Source;
use super::{Node, Owned, VERSION};

type FxMap<K, V> = HashMap<K, V, rustc_hash::FxBuildHasher>;

/// A name to look for: (node, its term, the name, is an alias).
pub(crate) type NameOf<'b> = (usize, &'b str, &'b str, bool);

/// The nodes of a source's definitions.
pub(crate) struct Nodes {
    pub nodes: Vec<Node>,
    /// The node of each definition.
    pub of_def: Vec<usize>,
    /// Node by term key ([`Source::group`]).
    pub by_group: FxMap<String, usize>,
}

impl Nodes {
    /// Groups definitions by term key (`groups`, one per definition: [`groups`]); a node
    /// takes the first definition's term and place, and the aliases of all its definitions.
    pub fn of(source: &Source<'_>, groups: &[Cow<'_, str>]) -> Nodes {
        let mut t = Nodes {
            nodes: Vec::new(),
            of_def: Vec::with_capacity(source.defs.len()),
            by_group: FxMap::default(),
        };
        for (def, group) in source.defs.iter().zip(groups) {
            let n = match t.by_group.get(group.as_ref()) {
                Some(&n) => n,
                None => {
                    t.nodes.push(Node {
                        term: def.term.to_string(),
                        aliases: Vec::new(),
                        file: def.file.to_string(),
                        line: def.line,
                    });
                    t.by_group.insert(group.to_string(), t.nodes.len() - 1);
                    t.nodes.len() - 1
                }
            };
            for &a in &def.aliases {
                if !t.nodes[n].aliases.iter().any(|b| b == a) {
                    t.nodes[n].aliases.push(a.to_string());
                }
            }
            t.of_def.push(n);
        }
        t
    }

    /// The names of node `n`: its term, then its aliases.
    pub fn own_names(&self, n: usize) -> impl Iterator<Item = NameOf<'_>> {
        let node = &self.nodes[n];
        std::iter::once((n, node.term.as_str(), node.term.as_str(), false)).chain(
            node.aliases
                .iter()
                .map(move |a| (n, node.term.as_str(), a.as_str(), true)),
        )
    }

    /// The other spelling of its node's term that definition `d` gives, if any.
    pub fn variant<'b>(&self, source: &'b Source<'_>, d: usize) -> Option<NameOf<'b>> {
        let term = source.defs[d].term;
        let n = self.of_def[d];
        (!source.name(term).key.is_empty() && self.nodes[n].term != term)
            .then_some((n, term, term, false))
    }

    /// Names to look for: every node's term and aliases, then every other spelling of a
    /// term that a definition gives (each counts, not only the first of a node).
    pub fn names<'b>(&'b self, source: &'b Source<'_>) -> Vec<NameOf<'b>> {
        let mut names: Vec<NameOf<'b>> = (0..self.nodes.len())
            .flat_map(|n| self.own_names(n))
            .collect();
        names.extend((0..source.defs.len()).filter_map(|d| self.variant(source, d)));
        names
    }

    /// The graph: each node mentions the nodes its definitions' texts name, in order of first
    /// mention, but itself. With it, the node of each definition and each node's rank A-Z.
    pub fn graph(self, source: &Source<'_>) -> (Owned, Vec<usize>, Vec<u32>) {
        let order = a_to_z(&self.nodes);
        self.graph_in(source, &order)
    }

    /// [`Nodes::graph`], the nodes A-Z being `order` (as [`a_to_z`] gives them).
    pub fn graph_in(self, source: &Source<'_>, order: &[usize]) -> (Owned, Vec<usize>, Vec<u32>) {
        let mentions = self.mentions(source);
        let (mentioned_by, rank) = mentioned_by(self.nodes.len(), order, &mentions);
        let keys = (0..self.nodes.len())
            .map(|n| {
                self.own_names(n)
                    .map(|(_, _, name, _)| source.name(name).key.to_string())
                    .collect()
            })
            .collect();
        let graph = Owned {
            version: VERSION,
            nodes: self.nodes,
            mentions,
            keys,
            mentioned_by,
            by_key: std::sync::OnceLock::new(),
        };
        (graph, self.of_def, rank)
    }

    /// For each node, the nodes its definitions' texts name (in definition order), each
    /// once, but itself.
    fn mentions(&self, source: &Source<'_>) -> Vec<Vec<usize>> {
        let count = self.nodes.len();
        // The definitions of each node, in order: `defs[starts[n]..starts[n + 1]]`.
        let mut starts = vec![0; count + 1];
        for &n in &self.of_def {
            starts[n + 1] += 1;
        }
        for n in 0..count {
            starts[n + 1] += starts[n];
        }
        let mut next = starts.clone();
        let mut defs = vec![0; self.of_def.len()];
        for (d, &n) in self.of_def.iter().enumerate() {
            defs[next[n]] = d;
            next[n] += 1;
        }
        // `seen[m] == n`: node `n` has `m` already (or is `m`).
        let mut seen = vec![usize::MAX; count];
        let mut mentions = vec![Vec::new(); count];
        for n in 0..count {
            seen[n] = n;
            for &d in &defs[starts[n]..starts[n + 1]] {
                for &m in source.found(d) {
                    let m = m as usize;
                    if seen[m] != n {
                        seen[m] = n;
                        mentions[n].push(m);
                    }
                }
            }
        }
        mentions
    }
}

/// The term key of each definition of `source` ([`Source::group`]).
pub(crate) fn groups<'s>(source: &'s Source<'_>) -> Vec<Cow<'s, str>> {
    source.defs.iter().map(|d| source.group(d.term)).collect()
}

/// The nodes A-Z: by term lowercased, then node.
pub(crate) fn a_to_z(nodes: &[Node]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..nodes.len()).collect();
    order.sort_by_cached_key(|&n| (nodes[n].term.to_lowercase(), n));
    order
}

/// For each of `count` nodes, the nodes that mention it, A-Z (`order`): the mentioning
/// nodes are taken in that order. With each node's place in that order.
fn mentioned_by(
    count: usize,
    order: &[usize],
    mentions: &[Vec<usize>],
) -> (Vec<Vec<usize>>, Vec<u32>) {
    let mut by: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut rank = vec![0; count];
    for (r, &n) in order.iter().enumerate() {
        rank[n] = r as u32;
        for &m in &mentions[n] {
            by[m].push(n);
        }
    }
    (by, rank)
}
