//! The changes made to a cached graph file ([`super::store`]) since it was written, cached
//! as `graph-<opstamp>.delta` for a commit whose definitions differ from the file's only in
//! their texts and lines: the definitions changed (text, line, nodes named) and the nodes
//! changed (line, mentions, mentioned_by), each whole. Each such commit writes the changes
//! since the file, so a reader reads two files, never a chain.

use std::collections::BTreeMap;

use super::source::{put, put_str, Reader};
use super::VERSION;

/// Magic and format of the file; the graph's VERSION follows it.
const MAGIC: &[u8; 13] = b"gloss-delta1\n";

/// A definition's text, line and nodes named, changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DefPatch {
    pub text: String,
    pub line: usize,
    pub found: Vec<u32>,
}

/// A node's line, mentions and mentioned_by, changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NodePatch {
    pub line: usize,
    pub mentions: Vec<u32>,
    pub by: Vec<u32>,
}

/// The changes since the graph file of commit `base`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Delta {
    /// The commit whose graph file this is made over ...
    pub base: u64,
    /// ... and that file's length and header hash ([`super::store::Base::id`]).
    pub base_len: u64,
    pub base_id: u64,
    pub defs: BTreeMap<u32, DefPatch>,
    pub nodes: BTreeMap<u32, NodePatch>,
}

impl Delta {
    /// No change over the file of commit `base` (of that length and id).
    pub fn over(base: u64, base_len: u64, base_id: u64) -> Delta {
        Delta {
            base,
            base_len,
            base_id,
            ..Delta::default()
        }
    }

    /// The file's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        for n in [u64::from(VERSION), self.base, self.base_len, self.base_id] {
            put(&mut b, n);
        }
        put(&mut b, self.defs.len() as u64);
        for (&d, p) in &self.defs {
            put(&mut b, u64::from(d));
            put_str(&mut b, &p.text);
            put(&mut b, p.line as u64);
            put_list(&mut b, &p.found);
        }
        put(&mut b, self.nodes.len() as u64);
        for (&n, p) in &self.nodes {
            put(&mut b, u64::from(n));
            put(&mut b, p.line as u64);
            put_list(&mut b, &p.mentions);
            put_list(&mut b, &p.by);
        }
        b
    }

    /// Reads bytes of [`Delta::encode`]; `None` unless they are whole and of this version.
    pub fn decode(bytes: &[u8]) -> Option<Delta> {
        let mut r = Reader {
            bytes: bytes.strip_prefix(MAGIC)?,
        };
        if r.num()? != u64::from(VERSION) {
            return None;
        }
        let mut delta = Delta::over(r.num()?, r.num()?, r.num()?);
        for _ in 0..r.count()? {
            let d = u32::try_from(r.num()?).ok()?;
            let patch = DefPatch {
                text: r.str()?.to_string(),
                line: r.usize()?,
                found: r.nums()?,
            };
            delta.defs.insert(d, patch);
        }
        for _ in 0..r.count()? {
            let n = u32::try_from(r.num()?).ok()?;
            let patch = NodePatch {
                line: r.usize()?,
                mentions: r.nums()?,
                by: r.nums()?,
            };
            delta.nodes.insert(n, patch);
        }
        r.bytes.is_empty().then_some(delta)
    }
}

fn put_list(b: &mut Vec<u8>, list: &[u32]) {
    put(b, list.len() as u64);
    for &n in list {
        put(b, u64::from(n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delta_reads_back_as_written_and_a_cut_one_does_not_read() {
        let mut delta = Delta::over(7, 1000, 42);
        delta.defs.insert(
            3,
            DefPatch {
                text: "A text, édité.".into(),
                line: 12,
                found: vec![0, 300, 70_000],
            },
        );
        delta.nodes.insert(
            9,
            NodePatch {
                line: 4,
                mentions: vec![1],
                by: vec![],
            },
        );
        let bytes = delta.encode();
        assert_eq!(Delta::decode(&bytes), Some(delta));
        for cut in 0..bytes.len() {
            assert!(Delta::decode(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Delta::decode(&longer).is_none());
    }
}
