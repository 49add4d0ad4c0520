//! The graph as lookups read it: from its cache file, mapped, only the nodes a lookup
//! shows ([`Cached`]), or the graph built in memory when there was no cache to read.

use serde::{Serialize, Serializer};

use super::{Cached, Node, Owned};
use crate::tokenize::Analyzer;

/// The concept graph of an index: its terms, the terms each one's definitions mention and
/// those whose definitions mention it.
pub struct Graph {
    inner: Inner,
}

enum Inner {
    Built(Owned),
    Cached(Cached),
}

impl Graph {
    pub(crate) fn built(graph: Owned) -> Graph {
        Graph {
            inner: Inner::Built(graph),
        }
    }

    pub(crate) fn cached(cache: Cached) -> Graph {
        Graph {
            inner: Inner::Cached(cache),
        }
    }

    /// The whole graph in memory; `None` when its cache does not read.
    #[cfg(test)]
    pub(crate) fn owned(self) -> Option<Owned> {
        match self.inner {
            Inner::Built(graph) => Some(graph),
            Inner::Cached(cache) => cache.graph(),
        }
    }

    /// The node named `name` (its term or an alias, compared by key).
    pub fn find(&self, name: &str) -> Option<usize> {
        self.find_key(&Analyzer::default().key(name))
    }

    /// The node whose term has this normalised key, else the first whose alias has it.
    pub fn find_key(&self, key: &str) -> Option<usize> {
        if key.is_empty() {
            return None;
        }
        match &self.inner {
            Inner::Built(graph) => graph.find_key(key),
            Inner::Cached(cache) => cache.find_key(key),
        }
    }

    /// Node `n`.
    pub fn node(&self, n: usize) -> Option<Node> {
        match &self.inner {
            Inner::Built(graph) => graph.nodes.get(n).cloned(),
            Inner::Cached(cache) => cache.node(n),
        }
    }

    /// The nodes node `n`'s definitions mention, in order of first mention.
    pub fn mentions(&self, n: usize) -> Vec<usize> {
        match &self.inner {
            Inner::Built(graph) => graph.mentions.get(n).cloned().unwrap_or_default(),
            Inner::Cached(cache) => cache.edges(n).map(|e| e.0).unwrap_or_default(),
        }
    }

    /// The nodes whose definitions mention node `n`, A-Z.
    pub fn mentioned_by(&self, n: usize) -> Vec<usize> {
        match &self.inner {
            Inner::Built(graph) => graph.mentioned_by.get(n).cloned().unwrap_or_default(),
            Inner::Cached(cache) => cache.edges(n).map(|e| e.1).unwrap_or_default(),
        }
    }

    /// Up to `max` terms to look at next: those the node mentions, in order, then those
    /// that mention it, nearest in the notes first (same note, then by line distance).
    pub fn see_also(&self, node: usize, max: usize) -> Vec<Node> {
        let Some(here) = self.place(node) else {
            return Vec::new();
        };
        let mentions = self.mentions(node);
        let mut by: Vec<(bool, usize, usize)> = self
            .mentioned_by(node)
            .into_iter()
            .filter_map(|m| {
                let (file, line) = self.place(m)?;
                Some((file != here.0, line.abs_diff(here.1), m))
            })
            .collect();
        // Only the nearest can be shown: those past the mentions, the node and `max`.
        let shown = max.saturating_add(mentions.len() + 1);
        if by.len() > shown {
            by.select_nth_unstable(shown);
            by.truncate(shown);
        }
        by.sort_unstable();
        let mut out: Vec<usize> = Vec::new();
        for m in mentions
            .into_iter()
            .chain(by.into_iter().map(|(_, _, m)| m))
        {
            if out.len() == max {
                break;
            }
            if m != node && !out.contains(&m) {
                out.push(m);
            }
        }
        out.into_iter().filter_map(|m| self.node(m)).collect()
    }

    /// Where node `n` is defined: its file, as the nodes' file or its number, and line.
    fn place(&self, n: usize) -> Option<(Place<'_>, usize)> {
        match &self.inner {
            Inner::Built(graph) => graph
                .nodes
                .get(n)
                .map(|node| (Place::Name(&node.file), node.line)),
            Inner::Cached(cache) => cache
                .place(n)
                .map(|(file, line)| (Place::Number(file), line)),
        }
    }
}

/// A node's file: one graph gives all its nodes' files the same way.
#[derive(PartialEq, Eq)]
enum Place<'g> {
    Name(&'g str),
    Number(usize),
}

/// The whole graph, as it was cached as JSON before it had a file of its own.
impl Serialize for Graph {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.inner {
            Inner::Built(graph) => graph.serialize(serializer),
            Inner::Cached(cache) => match cache.graph() {
                Some(graph) => graph.serialize(serializer),
                None => Err(serde::ser::Error::custom("the graph's cache does not read")),
            },
        }
    }
}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = match self.inner {
            Inner::Built(_) => "built",
            Inner::Cached(_) => "cached",
        };
        f.debug_struct("Graph").field("read", &how).finish()
    }
}
