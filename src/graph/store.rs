//! The graph's cache file, `graph-<opstamp>.bin`: the graph and what it was made of, in a
//! private binary format that is mapped and read where needed, not parsed whole.
//!
//! It holds, after a magic line and a header of section offsets:
//! - every name (term or alias) as the analyzer cut it, in order of first use;
//! - every definition (term, aliases, text, file, line, node, the nodes its text names), in
//!   glossary order, each found by its number through an offset table;
//! - every file, with its definitions, found by name through a hash table;
//! - every node (term, aliases, file, line, keys, definitions, mentions, mentioned_by), by
//!   number, and its rank A-Z in a fixed-width table;
//! - the matcher's names, by window string, through a hash table: so
//!   [`super::Matcher::find`] runs on the mapped file without building a matcher;
//! - the node of each key (of a term, else of an alias), through a hash table: so a lookup
//!   reads only the nodes it shows ([`super::Graph`]).
//!
//! Numbers and strings are LEB128-encoded ([`super::source`]); hash tables use FNV-1a, whose
//! value does not depend on a library version. Every read is bounds-checked: a file that is
//! not whole or not of this format reads as `None`, never as a panic.

use std::io::{self, Seek, SeekFrom, Write};

use super::delta::Delta;
use super::source::{put, put_str, Def, Name, Reader, Source};
use super::{FxSet, Lookup, Node, Owned, Tables, VERSION};

/// Magic and format of the file; the graph's VERSION is its first header field.
const MAGIC: &[u8; 13] = b"gloss-graph2\n";

/// Header fields (u64, little-endian), in order.
#[derive(Clone, Copy)]
enum F {
    Version,
    Longest,
    Defs,
    Nodes,
    Files,
    FileSlots,
    TableSlots,
    NameBlob,
    DefBlob,
    DefIndex,
    NodeBlob,
    NodeIndex,
    Ranks,
    Places,
    FileBlob,
    FileIndex,
    FileSlotsAt,
    TableBlob,
    TableSlotsAt,
    KeySlots,
    KeyBlob,
    KeySlotsAt,
    End,
}

const FIELDS: usize = F::End as usize + 1;
const HEADER: usize = MAGIC.len() + 8 * FIELDS;

/// Table entry flags: a raw prefix, a stem prefix.
const RAW_PREFIX: u64 = 1;
const STEM_PREFIX: u64 = 2;

/// FNV-1a, 64 bits.
pub(crate) fn hash(s: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in s {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// What the file is written from.
pub(crate) struct Parts<'s, 'a> {
    pub source: &'s Source<'a>,
    pub graph: &'s Owned,
    /// The node of each definition.
    pub of_def: &'s [usize],
    /// Each node's place A-Z (the order of mentioned_by lists).
    pub rank: &'s [u32],
    /// The matcher's names (all of them).
    pub tables: &'s Table<'a>,
}

/// The matcher's names, as the file is written from them.
pub(crate) enum Table<'a> {
    /// Built in memory, every name.
    Built(Tables),
    /// An earlier file's, with the entries of some strings replaced.
    Merged(Box<Merged<'a>>),
}

/// The matcher's names of a graph file with some names changed: the file's entries with
/// its nodes renumbered, but for the strings the changed names give (before and after),
/// whose entries are made again of every name now ([`super::update`]).
pub(crate) struct Merged<'a> {
    pub base: Base<'a>,
    /// The number now of each of the file's nodes (every node of an entry kept has one).
    pub renumber: Vec<Option<u32>>,
    /// The strings whose entries are `over`'s (none when it has none).
    pub affected: FxSet<String>,
    /// The entries of the `affected` strings.
    pub over: Tables,
}

impl Merged<'_> {
    fn renumbered(&self, n: usize) -> Option<usize> {
        self.renumber.get(n).copied().flatten().map(|m| m as usize)
    }
}

impl Lookup for Merged<'_> {
    fn keyed(&self, key: &str, out: &mut Vec<usize>) -> bool {
        if self.affected.contains(key) {
            return self.over.keyed(key, out);
        }
        let from = out.len();
        if !self.base.keyed(key, out) {
            return false;
        }
        let mut kept = from;
        for i in from..out.len() {
            if let Some(n) = self.renumbered(out[i]) {
                out[kept] = n;
                kept += 1;
            }
        }
        out.truncate(kept);
        kept > from
    }

    fn stemmed(&self, stems: &str, f: &mut dyn FnMut(usize, &str)) {
        if self.affected.contains(stems) {
            return self.over.stemmed(stems, f);
        }
        self.base.stemmed(stems, &mut |node, raws| {
            if let Some(n) = self.renumbered(node) {
                f(n, raws);
            }
        });
    }

    fn grows(&self, raw: &str, stems: &str) -> bool {
        let flag = |s: &str, bit: u64, set: &FxSet<String>| {
            if self.affected.contains(s) {
                set.contains(s)
            } else {
                self.base
                    .lookup(s)
                    .is_some_and(|(flags, _)| flags & bit != 0)
            }
        };
        flag(raw, RAW_PREFIX, &self.over.raw_prefixes)
            || flag(stems, STEM_PREFIX, &self.over.stem_prefixes)
    }
}

/// Writes the file to `out`, 64 KB at a time (the header last, over its placeholder).
pub(crate) fn write<W: Write + Seek>(out: &mut W, parts: &Parts<'_, '_>) -> io::Result<()> {
    let start = out.stream_position()?;
    let mut w = Out {
        out,
        buf: Vec::with_capacity(CHUNK + 1024),
        pos: 0,
    };
    let mut h = [0u64; FIELDS];
    w.buf.extend_from_slice(&[0; HEADER]);
    h[F::Version as usize] = u64::from(VERSION);
    h[F::Longest as usize] = parts.source.longest as u64;
    h[F::Defs as usize] = parts.source.defs.len() as u64;
    h[F::Nodes as usize] = parts.graph.nodes.len() as u64;
    h[F::NameBlob as usize] = w.at();
    write_names(&mut w, parts.source)?;
    let (files, file_of) = files_of(parts.source);
    // Each node's file: its first definition's.
    let mut node_file = vec![u32::MAX; parts.graph.nodes.len()];
    for (&n, &f) in parts.of_def.iter().zip(&file_of) {
        if node_file[n] == u32::MAX {
            node_file[n] = f;
        }
    }
    h[F::DefBlob as usize] = w.at();
    let index = write_defs(&mut w, parts, &file_of)?;
    h[F::DefIndex as usize] = w.at();
    w.u32s(&index)?;
    h[F::NodeBlob as usize] = w.at();
    let index = write_nodes(&mut w, parts, &node_file)?;
    h[F::NodeIndex as usize] = w.at();
    w.u32s(&index)?;
    h[F::Ranks as usize] = w.at();
    w.u32s(parts.rank)?;
    h[F::Places as usize] = w.at();
    w.u32s(&places(parts.graph, &node_file)?)?;
    write_files(&mut w, &mut h, &files)?;
    write_table(&mut w, &mut h, parts.tables)?;
    write_keys(&mut w, &mut h, parts.graph)?;
    h[F::End as usize] = w.at();
    w.finish()?;
    out.seek(SeekFrom::Start(start))?;
    out.write_all(&header_bytes(&h))?;
    out.seek(SeekFrom::Start(start + h[F::End as usize]))?;
    Ok(())
}

/// The file in memory.
pub(crate) fn encode(parts: &Parts<'_, '_>) -> Vec<u8> {
    let mut out = io::Cursor::new(Vec::new());
    write(&mut out, parts).expect("writing to memory");
    out.into_inner()
}

fn header_bytes(h: &[u64; FIELDS]) -> Vec<u8> {
    let mut bytes = MAGIC.to_vec();
    for v in h {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    bytes
}

/// Each node's file (its number) and line, two u32s a node, for a lookup that sorts many
/// nodes by place.
fn places(graph: &Owned, node_file: &[u32]) -> io::Result<Vec<u32>> {
    let mut places = Vec::with_capacity(2 * graph.nodes.len());
    for (node, &file) in graph.nodes.iter().zip(node_file) {
        let line = u32::try_from(node.line).map_err(|_| io::Error::other("line over 2^32"))?;
        places.extend([file, line]);
    }
    Ok(places)
}

/// The files of the definitions, in order of first use, each with its definitions; and
/// the file of each definition (its number).
fn files_of<'a>(source: &Source<'a>) -> (Vec<(&'a str, Vec<u32>)>, Vec<u32>) {
    let mut at: super::FxMap<&str, usize> = super::FxMap::default();
    let mut files: Vec<(&str, Vec<u32>)> = Vec::new();
    let mut file_of = Vec::with_capacity(source.defs.len());
    for (d, def) in source.defs.iter().enumerate() {
        // The definitions of a file are mostly side by side.
        let f = match files.last() {
            Some((last, _)) if *last == def.file => files.len() - 1,
            _ => *at.entry(def.file).or_insert_with(|| {
                files.push((def.file, Vec::new()));
                files.len() - 1
            }),
        };
        files[f].1.push(d as u32);
        file_of.push(f as u32);
    }
    (files, file_of)
}

fn write_names<W: Write>(w: &mut Out<'_, W>, source: &Source<'_>) -> io::Result<()> {
    let mut seen: super::FxSet<&str> = super::FxSet::default();
    let named = source
        .defs
        .iter()
        .flat_map(|d| std::iter::once(d.term).chain(d.aliases.iter().copied()));
    let names: Vec<&str> = named.filter(|n| seen.insert(n)).collect();
    put(&mut w.buf, names.len() as u64);
    for name in names {
        let cut = source.name(name);
        for s in [name, &cut.key, &cut.raws, &cut.stems] {
            put_str(&mut w.buf, s);
        }
        put(&mut w.buf, cut.words as u64);
        w.flush()?;
    }
    Ok(())
}

/// The definitions; the offset of each (and the end) from the blob's start.
fn write_defs<W: Write>(
    w: &mut Out<'_, W>,
    parts: &Parts<'_, '_>,
    file_of: &[u32],
) -> io::Result<Vec<u32>> {
    let source = parts.source;
    let start = w.at();
    let mut index = Vec::with_capacity(source.defs.len() + 1);
    for (d, def) in source.defs.iter().enumerate() {
        index.push(w.offset(start)?);
        let b = &mut w.buf;
        put_str(b, def.term);
        put_strs(b, &def.aliases);
        put_str(b, def.text);
        put(b, u64::from(file_of[d]));
        put(b, def.line as u64);
        put(b, parts.of_def[d] as u64);
        put_nums(b, source.found(d).iter().map(|&n| u64::from(n)));
        w.flush()?;
    }
    index.push(w.offset(start)?);
    Ok(index)
}

/// The nodes; the offset of each (and the end) from the blob's start.
fn write_nodes<W: Write>(
    w: &mut Out<'_, W>,
    parts: &Parts<'_, '_>,
    node_file: &[u32],
) -> io::Result<Vec<u32>> {
    let graph = parts.graph;
    // The definitions of each node, in order: `defs[starts[n]..starts[n + 1]]`.
    let mut starts = vec![0usize; graph.nodes.len() + 1];
    for &n in parts.of_def {
        starts[n + 1] += 1;
    }
    for n in 0..graph.nodes.len() {
        starts[n + 1] += starts[n];
    }
    let mut next = starts.clone();
    let mut defs = vec![0u32; parts.of_def.len()];
    for (d, &n) in parts.of_def.iter().enumerate() {
        defs[next[n]] = d as u32;
        next[n] += 1;
    }
    let start = w.at();
    let mut index = Vec::with_capacity(graph.nodes.len() + 1);
    for (n, node) in graph.nodes.iter().enumerate() {
        index.push(w.offset(start)?);
        let b = &mut w.buf;
        put_str(b, &node.term);
        put_strs(b, &node.aliases);
        put(b, u64::from(node_file[n]));
        put(b, node.line as u64);
        put_strs(b, &graph.keys[n]);
        put_nums(
            b,
            defs[starts[n]..starts[n + 1]].iter().map(|&d| u64::from(d)),
        );
        put_nums(b, graph.mentions[n].iter().map(|&m| m as u64));
        put_nums(b, graph.mentioned_by[n].iter().map(|&m| m as u64));
        w.flush()?;
    }
    index.push(w.offset(start)?);
    Ok(index)
}

/// The files with their definitions, their offsets, and their hash table.
fn write_files<W: Write>(
    w: &mut Out<'_, W>,
    h: &mut [u64; FIELDS],
    files: &[(&str, Vec<u32>)],
) -> io::Result<()> {
    h[F::Files as usize] = files.len() as u64;
    h[F::FileBlob as usize] = w.at();
    let start = w.at();
    let mut index = Vec::with_capacity(files.len() + 1);
    for (name, defs) in files {
        index.push(w.offset(start)?);
        put_str(&mut w.buf, name);
        put_nums(&mut w.buf, defs.iter().map(|&d| u64::from(d)));
        w.flush()?;
    }
    index.push(w.offset(start)?);
    h[F::FileIndex as usize] = w.at();
    w.u32s(&index)?;
    let slots = slots_for(files.len());
    let mut table = vec![0u32; slots];
    for (f, (name, _)) in files.iter().enumerate() {
        let mut s = hash(name.as_bytes()) as usize & (slots - 1);
        while table[s] != 0 {
            s = (s + 1) & (slots - 1);
        }
        table[s] = f as u32 + 1;
    }
    h[F::FileSlots as usize] = slots as u64;
    h[F::FileSlotsAt as usize] = w.at();
    w.u32s(&table)
}

/// One string of the matcher's tables: the nodes whose names have it as key, the terms
/// cut to it as stems, and whether it is a raw or a stem prefix.
#[derive(Default)]
struct Entry<'t> {
    keyed: &'t [usize],
    stemmed: &'t [super::StemName],
    flags: u64,
}

/// The entries of `tables`, sorted by string.
fn entries(tables: &Tables) -> Vec<(&str, Entry<'_>)> {
    let mut all: Vec<(&str, Entry<'_>)> = Vec::with_capacity(
        tables.keys.len()
            + tables.stems.len()
            + tables.raw_prefixes.len()
            + tables.stem_prefixes.len(),
    );
    for (s, nodes) in &tables.keys {
        all.push((
            s,
            Entry {
                keyed: nodes,
                ..Entry::default()
            },
        ));
    }
    for (s, names) in &tables.stems {
        all.push((
            s,
            Entry {
                stemmed: names,
                ..Entry::default()
            },
        ));
    }
    for s in &tables.raw_prefixes {
        all.push((
            s,
            Entry {
                flags: RAW_PREFIX,
                ..Entry::default()
            },
        ));
    }
    for s in &tables.stem_prefixes {
        all.push((
            s,
            Entry {
                flags: STEM_PREFIX,
                ..Entry::default()
            },
        ));
    }
    all.sort_unstable_by(|a, b| head(a.0).cmp(&head(b.0)).then_with(|| a.0.cmp(b.0)));
    let mut merged: Vec<(&str, Entry<'_>)> = Vec::with_capacity(all.len());
    for (s, e) in all {
        match merged.last_mut() {
            Some((last, m)) if *last == s => {
                if !e.keyed.is_empty() {
                    m.keyed = e.keyed;
                }
                if !e.stemmed.is_empty() {
                    m.stemmed = e.stemmed;
                }
                m.flags |= e.flags;
            }
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// The first eight bytes of `s` as a number, in the order of the strings: sorting by it
/// first, most comparisons end there.
fn head(s: &str) -> u64 {
    let mut b = [0u8; 8];
    let n = s.len().min(8);
    b[..n].copy_from_slice(&s.as_bytes()[..n]);
    u64::from_be_bytes(b)
}

/// Appends one entry of the matcher's table (after its string).
fn put_entry<'r>(
    b: &mut Vec<u8>,
    flags: u64,
    keyed: impl ExactSizeIterator<Item = u64>,
    stemmed: impl ExactSizeIterator<Item = (u64, &'r str)>,
) {
    put(b, flags);
    put_nums(b, keyed);
    put(b, stemmed.len() as u64);
    for (node, raws) in stemmed {
        put(b, node);
        put_str(b, raws);
    }
}

/// Writes an entry of `tables` (its string `s`), with its place in `at`.
fn write_entry<W: Write>(
    w: &mut Out<'_, W>,
    at: &mut Vec<(u64, u32)>,
    start: u64,
    s: &str,
    e: &Entry<'_>,
) -> io::Result<()> {
    at.push((hash(s.as_bytes()), w.offset(start)?));
    put_str(&mut w.buf, s);
    let keyed = e.keyed.iter().map(|&n| n as u64);
    let stemmed = e.stemmed.iter().map(|n| (n.node as u64, n.raws.as_str()));
    put_entry(&mut w.buf, e.flags, keyed, stemmed);
    w.flush()
}

/// The matcher's tables: the entries sorted by string (the same file for the same names),
/// then the hash table of their offsets, each slot (hash's high half, offset + 1).
fn write_table<W: Write>(
    w: &mut Out<'_, W>,
    h: &mut [u64; FIELDS],
    tables: &Table<'_>,
) -> io::Result<()> {
    h[F::TableBlob as usize] = w.at();
    let start = w.at();
    let mut at = Vec::new();
    match tables {
        Table::Built(tables) => {
            let entries = entries(tables);
            at.reserve(entries.len());
            for (s, e) in &entries {
                write_entry(w, &mut at, start, s, e)?;
            }
        }
        Table::Merged(m) => write_merged(w, &mut at, start, m)?,
    }
    h[F::TableSlotsAt as usize] = w.at();
    h[F::TableSlots as usize] = write_slots(w, &at)?;
    Ok(())
}

/// The entries of a [`Merged`] table: the file's, renumbered, but those of its changed
/// strings, which are `over`'s, in order of string as a build writes them.
fn write_merged<W: Write>(
    w: &mut Out<'_, W>,
    at: &mut Vec<(u64, u32)>,
    start: u64,
    m: &Merged<'_>,
) -> io::Result<()> {
    let bad = || io::Error::other("the graph file's table does not read");
    let over = entries(&m.over);
    let mut over = over.iter().peekable();
    let mut r = Reader {
        bytes: m.base.table_bytes().ok_or_else(bad)?,
    };
    let renumbered = |n: u64| -> io::Result<u64> {
        let n = usize::try_from(n).map_err(|_| bad())?;
        match m.renumber.get(n) {
            Some(Some(to)) => Ok(u64::from(*to)),
            _ => Err(bad()),
        }
    };
    let mut keyed = Vec::new();
    let mut stemmed = Vec::new();
    at.reserve(m.base.table_entries() as usize);
    while !r.bytes.is_empty() {
        let s = r.str().ok_or_else(bad)?;
        let flags = r.num().ok_or_else(bad)?;
        keyed.clear();
        for _ in 0..r.count().ok_or_else(bad)? {
            keyed.push(r.num().ok_or_else(bad)?);
        }
        stemmed.clear();
        for _ in 0..r.count().ok_or_else(bad)? {
            stemmed.push((r.num().ok_or_else(bad)?, r.str().ok_or_else(bad)?));
        }
        while let Some((o, e)) = over.next_if(|(o, _)| *o < s) {
            write_entry(w, at, start, o, e)?;
        }
        if m.affected.contains(s) {
            continue;
        }
        for n in keyed.iter_mut() {
            *n = renumbered(*n)?;
        }
        for (n, _) in stemmed.iter_mut() {
            *n = renumbered(*n)?;
        }
        at.push((hash(s.as_bytes()), w.offset(start)?));
        put_str(&mut w.buf, s);
        put_entry(
            &mut w.buf,
            flags,
            keyed.iter().copied(),
            stemmed.iter().copied(),
        );
        w.flush()?;
    }
    for (o, e) in over {
        write_entry(w, at, start, o, e)?;
    }
    Ok(())
}

/// The node of each key: of the first node whose term has it, else of the first whose
/// alias has it (sorted by key: the same file for the same graph).
fn write_keys<W: Write>(
    w: &mut Out<'_, W>,
    h: &mut [u64; FIELDS],
    graph: &Owned,
) -> io::Result<()> {
    // Of the first node of each key: terms first, then aliases.
    let mut all: Vec<(&str, bool, usize)> = Vec::with_capacity(graph.keys.len());
    for (n, keys) in graph.keys.iter().enumerate() {
        for (i, key) in keys.iter().enumerate() {
            if !key.is_empty() {
                all.push((key, i > 0, n));
            }
        }
    }
    all.sort_unstable_by(|a, b| {
        head(a.0)
            .cmp(&head(b.0))
            .then_with(|| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)))
    });
    all.dedup_by(|later, first| later.0 == first.0);
    let nodes = all.into_iter().map(|(key, _, n)| (key, n));
    h[F::KeyBlob as usize] = w.at();
    let start = w.at();
    let mut at = Vec::new();
    for (key, n) in nodes {
        at.push((hash(key.as_bytes()), w.offset(start)?));
        put_str(&mut w.buf, key);
        put(&mut w.buf, n as u64);
        w.flush()?;
    }
    h[F::KeySlotsAt as usize] = w.at();
    h[F::KeySlots as usize] = write_slots(w, &at)?;
    Ok(())
}

/// A hash table of the entries at offsets `at` (each with its string's hash), open
/// addressing: each slot the hash's high half and the offset + 1, 0 when empty. Its count
/// of slots.
fn write_slots<W: Write>(w: &mut Out<'_, W>, at: &[(u64, u32)]) -> io::Result<u64> {
    let slots = slots_for(at.len());
    let mut table = vec![0u64; slots];
    for &(hashed, offset) in at {
        let mut slot = hashed as usize & (slots - 1);
        while table[slot] != 0 {
            slot = (slot + 1) & (slots - 1);
        }
        table[slot] = (hashed >> 32) << 32 | (u64::from(offset) + 1);
    }
    for chunk in table.chunks(4096) {
        for v in chunk {
            w.buf.extend_from_slice(&v.to_le_bytes());
        }
        w.flush()?;
    }
    Ok(slots as u64)
}

/// Slots of a hash table for `n` entries: a power of two, at most half full.
fn slots_for(n: usize) -> usize {
    (2 * n).max(8).next_power_of_two()
}

fn put_strs<S: AsRef<str>>(b: &mut Vec<u8>, strs: &[S]) {
    put(b, strs.len() as u64);
    for s in strs {
        put_str(b, s.as_ref());
    }
}

fn put_nums(b: &mut Vec<u8>, nums: impl ExactSizeIterator<Item = u64>) {
    put(b, nums.len() as u64);
    for n in nums {
        put(b, n);
    }
}

/// Bytes gathered before they are written out.
const CHUNK: usize = 64 * 1024;

/// A writer that knows its position.
struct Out<'w, W: Write> {
    out: &'w mut W,
    buf: Vec<u8>,
    /// Bytes written out before `buf`.
    pos: u64,
}

impl<W: Write> Out<'_, W> {
    fn at(&self) -> u64 {
        self.pos + self.buf.len() as u64
    }

    /// The position from `start`, as a u32 (a file over 4 GB is not written).
    fn offset(&self, start: u64) -> io::Result<u32> {
        u32::try_from(self.at() - start).map_err(|_| io::Error::other("graph cache over 4 GB"))
    }

    fn u32s(&mut self, values: &[u32]) -> io::Result<()> {
        for chunk in values.chunks(8192) {
            for v in chunk {
                self.buf.extend_from_slice(&v.to_le_bytes());
            }
            self.flush()?;
        }
        Ok(())
    }

    /// Writes out what `buf` holds once it is [`CHUNK`] bytes or more.
    fn flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= CHUNK {
            self.finish()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.pos += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }
}

/// A definition as the file holds it.
pub(crate) struct DefRec<'a> {
    pub term: &'a str,
    pub aliases: Vec<&'a str>,
    pub text: &'a str,
    pub file: usize,
    pub line: usize,
    pub node: usize,
    pub found: Vec<u32>,
}

/// A node as the file holds it.
pub(crate) struct NodeRec<'a> {
    pub term: &'a str,
    pub aliases: Vec<&'a str>,
    pub file: usize,
    pub line: usize,
    pub keys: Vec<&'a str>,
    pub defs: Vec<u32>,
    pub mentions: Vec<u32>,
    pub by: Vec<u32>,
}

/// The header of a file [`Base::open`] read.
#[derive(Clone, Copy)]
pub(crate) struct Header([u64; FIELDS]);

/// A mapped cache file.
#[derive(Clone, Copy)]
pub(crate) struct Base<'a> {
    bytes: &'a [u8],
    h: [u64; FIELDS],
}

impl<'a> Base<'a> {
    /// The file in `bytes`; `None` unless it is of this format and version and whole.
    pub fn open(bytes: &'a [u8]) -> Option<Base<'a>> {
        let rest = bytes.strip_prefix(MAGIC)?;
        let mut h = [0u64; FIELDS];
        for (i, v) in h.iter_mut().enumerate() {
            *v = u64::from_le_bytes(rest.get(8 * i..8 * i + 8)?.try_into().ok()?);
        }
        let whole = h[F::End as usize] == bytes.len() as u64;
        let sections = [
            F::NameBlob,
            F::DefBlob,
            F::NodeBlob,
            F::FileBlob,
            F::TableBlob,
        ];
        let inside = sections
            .iter()
            .all(|&f| h[f as usize] <= bytes.len() as u64);
        let slots = [F::FileSlots, F::TableSlots, F::KeySlots]
            .iter()
            .all(|&f| h[f as usize].is_power_of_two());
        // Each thing counted takes a byte at least: no count is trusted beyond that.
        let counts = [F::Defs, F::Nodes, F::Files]
            .iter()
            .all(|&f| h[f as usize] <= bytes.len() as u64);
        (h[F::Version as usize] == u64::from(VERSION) && whole && inside && slots && counts)
            .then_some(Base { bytes, h })
    }

    /// Its header, to [`Base::again`] without checking it again.
    pub fn header(&self) -> Header {
        Header(self.h)
    }

    /// The file in `bytes` whose header [`Base::open`] read as `header`.
    pub fn again(bytes: &'a [u8], header: &Header) -> Base<'a> {
        Base { bytes, h: header.0 }
    }

    fn get(&self, f: F) -> u64 {
        self.h[f as usize]
    }

    /// A hash of the header: which file a [`Delta`] was made over.
    pub fn id(&self) -> u64 {
        hash(&self.bytes[..HEADER])
    }

    pub fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    pub fn longest(&self) -> usize {
        self.get(F::Longest) as usize
    }

    pub fn defs(&self) -> usize {
        self.get(F::Defs) as usize
    }

    pub fn nodes(&self) -> usize {
        self.get(F::Nodes) as usize
    }

    fn u32_at(&self, at: u64) -> Option<u32> {
        let at = usize::try_from(at).ok()?;
        Some(u32::from_le_bytes(
            self.bytes.get(at..at + 4)?.try_into().ok()?,
        ))
    }

    fn u64_at(&self, at: u64) -> Option<u64> {
        let at = usize::try_from(at).ok()?;
        Some(u64::from_le_bytes(
            self.bytes.get(at..at + 8)?.try_into().ok()?,
        ))
    }

    /// Entry `i` of `count` in a blob with an offset table.
    fn entry(&self, blob: F, index: F, count: F, i: usize) -> Option<Reader<'a>> {
        if i as u64 >= self.get(count) {
            return None;
        }
        let at = self.get(index) + 4 * i as u64;
        let (from, to) = (self.u32_at(at)?, self.u32_at(at + 4)?);
        let start = usize::try_from(self.get(blob)).ok()?;
        let bytes = self.bytes.get(start + from as usize..start + to as usize)?;
        Some(Reader { bytes })
    }

    pub fn def(&self, d: usize) -> Option<DefRec<'a>> {
        let mut r = self.entry(F::DefBlob, F::DefIndex, F::Defs, d)?;
        Some(DefRec {
            term: r.str()?,
            aliases: r.strs()?,
            text: r.str()?,
            file: r.usize()?,
            line: r.usize()?,
            node: r.usize()?,
            found: r.nums()?,
        })
    }

    pub fn node(&self, n: usize) -> Option<NodeRec<'a>> {
        let mut r = self.entry(F::NodeBlob, F::NodeIndex, F::Nodes, n)?;
        Some(NodeRec {
            term: r.str()?,
            aliases: r.strs()?,
            file: r.usize()?,
            line: r.usize()?,
            keys: r.strs()?,
            defs: r.nums()?,
            mentions: r.nums()?,
            by: r.nums()?,
        })
    }

    /// Node `n`'s term, aliases, file and line (the rest of its record is not read).
    pub fn node_head(&self, n: usize) -> Option<(&'a str, Vec<&'a str>, usize, usize)> {
        let mut r = self.entry(F::NodeBlob, F::NodeIndex, F::Nodes, n)?;
        Some((r.str()?, r.strs()?, r.usize()?, r.usize()?))
    }

    /// Node `n`'s file and line (from a fixed-width table).
    pub fn node_place(&self, n: usize) -> Option<(usize, usize)> {
        if n as u64 >= self.get(F::Nodes) {
            return None;
        }
        let at = self.get(F::Places) + 8 * n as u64;
        Some((self.u32_at(at)? as usize, self.u32_at(at + 4)? as usize))
    }

    /// Node `n`'s place A-Z.
    pub fn rank(&self, n: usize) -> Option<u32> {
        if n as u64 >= self.get(F::Nodes) {
            return None;
        }
        self.u32_at(self.get(F::Ranks) + 4 * n as u64)
    }

    /// File `f`'s name and definitions.
    pub fn file(&self, f: usize) -> Option<(&'a str, Vec<u32>)> {
        let mut r = self.entry(F::FileBlob, F::FileIndex, F::Files, f)?;
        Some((r.str()?, r.nums()?))
    }

    /// The definitions of the file named `name` (none when it has none); `None` when the
    /// file cannot be read.
    pub fn file_defs(&self, name: &str) -> Option<Vec<u32>> {
        let slots = self.get(F::FileSlots);
        let mut s = hash(name.as_bytes()) & (slots - 1);
        for _ in 0..slots {
            let f = self.u32_at(self.get(F::FileSlotsAt) + 4 * s)?;
            if f == 0 {
                return Some(Vec::new());
            }
            let (file, defs) = self.file(f as usize - 1)?;
            if file == name {
                return Some(defs);
            }
            s = (s + 1) & (slots - 1);
        }
        None
    }

    /// The entry for `s` in the hash table `slots` (`count` of them) over `blob`,
    /// positioned after the string.
    fn probe(&self, blob: F, slots: F, count: F, s: &str) -> Option<Reader<'a>> {
        let count = self.get(count);
        let hashed = hash(s.as_bytes());
        let mut slot = hashed & (count - 1);
        let start = usize::try_from(self.get(blob)).ok()?;
        for _ in 0..count {
            let v = self.u64_at(self.get(slots) + 8 * slot)?;
            if v == 0 {
                return None;
            }
            if v >> 32 == hashed >> 32 {
                let at = start + ((v & 0xffff_ffff) as usize).checked_sub(1)?;
                let mut r = Reader {
                    bytes: self.bytes.get(at..)?,
                };
                if r.str()? == s {
                    return Some(r);
                }
            }
            slot = (slot + 1) & (count - 1);
        }
        None
    }

    /// The matcher's entry for `s`, positioned after the string: (flags, the rest).
    fn lookup(&self, s: &str) -> Option<(u64, Reader<'a>)> {
        let mut r = self.probe(F::TableBlob, F::TableSlotsAt, F::TableSlots, s)?;
        Some((r.num()?, r))
    }

    /// The entries of the matcher's table, one after another.
    fn table_bytes(&self) -> Option<&'a [u8]> {
        let from = usize::try_from(self.get(F::TableBlob)).ok()?;
        let to = usize::try_from(self.get(F::TableSlotsAt)).ok()?;
        self.bytes.get(from..to)
    }

    /// At most how many entries the matcher's table has (half its slots).
    fn table_entries(&self) -> u64 {
        self.get(F::TableSlots) / 2
    }

    /// The node whose term has this key, else the first whose alias has it.
    pub fn find_key(&self, key: &str) -> Option<usize> {
        self.probe(F::KeyBlob, F::KeySlotsAt, F::KeySlots, key)?
            .usize()
    }

    /// The name of file `f`.
    pub fn file_at(&self, f: usize) -> Option<&'a str> {
        self.entry(F::FileBlob, F::FileIndex, F::Files, f)?.str()
    }

    /// The name of file `f`, read once into `names` (of every file).
    fn file_name(&self, names: &mut [Option<&'a str>], f: usize) -> Option<&'a str> {
        let slot = names.get_mut(f)?;
        if slot.is_none() {
            let mut r = self.entry(F::FileBlob, F::FileIndex, F::Files, f)?;
            *slot = Some(r.str()?);
        }
        *slot
    }

    /// The whole graph, with the changes of `delta` (made over this file).
    pub fn graph(&self, delta: Option<&Delta>) -> Option<Owned> {
        let count = self.nodes();
        let mut files: Vec<Option<&str>> = vec![None; self.get(F::Files) as usize];
        let mut graph = Owned {
            version: VERSION,
            nodes: Vec::with_capacity(count),
            mentions: Vec::with_capacity(count),
            keys: Vec::with_capacity(count),
            mentioned_by: Vec::with_capacity(count),
            by_key: std::sync::OnceLock::new(),
        };
        for n in 0..count {
            let rec = self.node(n)?;
            let file = self.file_name(&mut files, rec.file)?;
            graph.nodes.push(Node {
                term: rec.term.to_string(),
                aliases: rec.aliases.iter().map(|a| a.to_string()).collect(),
                file: file.to_string(),
                line: rec.line,
            });
            graph
                .keys
                .push(rec.keys.iter().map(|k| k.to_string()).collect());
            graph
                .mentions
                .push(rec.mentions.iter().map(|&m| m as usize).collect());
            graph
                .mentioned_by
                .push(rec.by.iter().map(|&m| m as usize).collect());
        }
        for (&n, patch) in delta.into_iter().flat_map(|d| &d.nodes) {
            let n = n as usize;
            graph.nodes.get_mut(n)?.line = patch.line;
            graph.mentions[n] = patch.mentions.iter().map(|&m| m as usize).collect();
            graph.mentioned_by[n] = patch.by.iter().map(|&m| m as usize).collect();
        }
        graph.is_consistent().then_some(graph)
    }

    /// What the graph was made of, with the changes of `delta` (made over this file).
    pub fn source(&self, delta: &'a Delta) -> Option<Source<'a>> {
        let start = usize::try_from(self.get(F::NameBlob)).ok()?;
        let mut r = Reader {
            bytes: self.bytes.get(start..)?,
        };
        let mut source = Source {
            longest: self.longest(),
            ..Source::default()
        };
        let count = r.count()?;
        source.names.reserve(count);
        for _ in 0..count {
            let name = r.str()?;
            let cut = Name {
                key: r.str()?.into(),
                raws: r.str()?.into(),
                stems: r.str()?.into(),
                words: r.usize()?,
            };
            source.names.insert(name, cut);
        }
        let mut files: Vec<Option<&str>> = vec![None; self.get(F::Files) as usize];
        for d in 0..self.defs() {
            let rec = self.def(d)?;
            let file = self.file_name(&mut files, rec.file)?;
            let patch = delta.defs.get(&(d as u32));
            let start = source.found.len();
            match patch {
                Some(p) => source.found.extend_from_slice(&p.found),
                None => source.found.extend_from_slice(&rec.found),
            }
            let named = std::iter::once(rec.term).chain(rec.aliases.iter().copied());
            if !named.into_iter().all(|n| source.names.contains_key(n)) {
                return None;
            }
            source.defs.push(Def {
                term: rec.term,
                aliases: rec.aliases,
                text: patch.map_or(rec.text, |p| p.text.as_str()),
                file,
                line: patch.map_or(rec.line, |p| p.line),
                found: start..source.found.len(),
            });
        }
        Some(source)
    }
}

impl Lookup for Base<'_> {
    fn keyed(&self, key: &str, out: &mut Vec<usize>) -> bool {
        let Some((_, mut r)) = self.lookup(key) else {
            return false;
        };
        let count = r.count().unwrap_or(0);
        for _ in 0..count {
            match r.usize() {
                Some(n) => out.push(n),
                None => break,
            }
        }
        count > 0
    }

    fn stemmed(&self, stems: &str, f: &mut dyn FnMut(usize, &str)) {
        let Some((_, mut r)) = self.lookup(stems) else {
            return;
        };
        let Some(keyed) = r.count() else { return };
        for _ in 0..keyed {
            if r.num().is_none() {
                return;
            }
        }
        for _ in 0..r.count().unwrap_or(0) {
            let (Some(node), Some(raws)) = (r.usize(), r.str()) else {
                return;
            };
            f(node, raws);
        }
    }

    fn grows(&self, raw: &str, stems: &str) -> bool {
        let flag = |s: &str, bit: u64| self.lookup(s).is_some_and(|(flags, _)| flags & bit != 0);
        flag(raw, RAW_PREFIX) || flag(stems, STEM_PREFIX)
    }
}
