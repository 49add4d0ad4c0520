//! The manifest of a commit: what was indexed (each note's size, time and content hash) and
//! what the walk saw (folder stamps, ignore-file times), in one tab-separated file of one
//! line per note, folder and ignore file. The freshness check of a query reads it as it is
//! (a `stat` per line, no map built); a refresh parses it whole. Lines, not JSON: MDN's
//! 28k lines parse and print in a few milliseconds.
//!
//! ```text
//! gloss-manifest 3 listed        (or "unlisted": see Manifest::listed)
//! f <size> <mtime ns> <blake3 hex> <note>
//! d <stamp> <folder>               (D: unsettled, see Manifest::unsettled)
//! i <mtime ns, or ABSENT> <ignore file>   (I: unsettled)
//! +f <size> <mtime ns> <blake3 hex> <note>   (journal: replaces the note's line above)
//! +u                               (journal: the manifest is now unlisted)
//! ```
//!
//! The journal: a refresh that only re-read notes edited in place appends their lines to
//! the live manifest instead of writing it whole (`index/quick.rs`). The commit payload
//! gives the manifest's length as of that commit, and readers read only that many bytes:
//! bytes appended by a run that never committed (a torn line included) are never trusted,
//! and the next run cuts them off before appending. Any other refresh writes the manifest
//! whole under a new name, which compacts the journal.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::anchors::Anchors;
use crate::notes;

/// The first word of the first line of a manifest in this format.
/// Version 3 added the journal; an index with an older manifest is rebuilt once.
const HEADER: &str = "gloss-manifest 3";

/// What gloss knows of one indexed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    /// Size in bytes when indexed.
    pub size: u64,
    /// Modification time (ns since the epoch) when indexed.
    pub mtime_ns: u64,
    /// BLAKE3 hash of the content, hex.
    pub hash: String,
}

/// What was indexed, for the freshness check and incremental refreshes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Indexed files by relative path.
    pub files: BTreeMap<String, FileState>,
    /// Folder stamps at the last walk (`""` is the notes folder; see
    /// [`notes::dir_stamp`]).
    #[serde(default)]
    pub dirs: BTreeMap<String, u64>,
    /// Ignore-file modification times at the last walk.
    #[serde(default)]
    pub ignores: BTreeMap<String, u64>,
    /// True when the last walk read every entry and every note: `files`, `dirs` and
    /// `ignores` are then all it saw, and the next run lists again only the folders whose
    /// stamp moved ([`notes::rewalk`]); otherwise it walks the whole folder again (and
    /// reports again what it could not read).
    #[serde(default)]
    pub listed: bool,
    /// Folders and ignore files whose stamp was too recent for the last walk to vouch for
    /// ([`notes::Tree::unsettled`]): the next refresh lists them again whatever their stamp.
    #[serde(default)]
    pub unsettled: BTreeSet<String>,
}

impl Manifest {
    /// The manifest as its file holds it.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(self.files.len() * 160 + self.dirs.len() * 64);
        let listed = if self.listed { "listed" } else { "unlisted" };
        let _ = writeln!(out, "{HEADER} {listed}");
        for (rel, f) in &self.files {
            let rel = escape_line(rel);
            let _ = writeln!(out, "f\t{}\t{}\t{}\t{rel}", f.size, f.mtime_ns, f.hash);
        }
        let kind = |rel: &String, settled: char| {
            if self.unsettled.contains(rel) {
                settled.to_ascii_uppercase()
            } else {
                settled
            }
        };
        for (rel, t) in &self.dirs {
            let _ = writeln!(out, "{}\t{t}\t{}", kind(rel, 'd'), escape_line(rel));
        }
        for (rel, t) in &self.ignores {
            let _ = writeln!(out, "{}\t{t}\t{}", kind(rel, 'i'), escape_line(rel));
        }
        out
    }

    /// Reads a manifest file's text; `None` when it is not one.
    pub fn parse(text: &str) -> Option<Manifest> {
        let mut lines = text.lines();
        let listed = match lines.next()?.strip_prefix(HEADER)? {
            " listed" => true,
            " unlisted" => false,
            _ => return None,
        };
        let mut m = Manifest {
            listed,
            ..Manifest::default()
        };
        for line in lines {
            let line = match line.strip_prefix('+') {
                Some("u") => {
                    m.listed = false;
                    continue;
                }
                Some(entry) => entry,
                None => line,
            };
            let mut parts = line.split('\t');
            match (parts.next()?, parts.next()?.parse::<u64>().ok()?) {
                ("f", size) => {
                    let mtime_ns = parts.next()?.parse().ok()?;
                    let hash = parts.next()?.to_string();
                    let rel = unescape_line(parts.next()?);
                    m.files.insert(
                        rel,
                        FileState {
                            size,
                            mtime_ns,
                            hash,
                        },
                    );
                }
                (kind @ ("d" | "D"), stamp) => {
                    let rel = unescape_line(parts.next()?);
                    if kind == "D" {
                        m.unsettled.insert(rel.clone());
                    }
                    m.dirs.insert(rel, stamp);
                }
                (kind @ ("i" | "I"), time) => {
                    let rel = unescape_line(parts.next()?);
                    if kind == "I" {
                        m.unsettled.insert(rel.clone());
                    }
                    m.ignores.insert(rel, time);
                }
                _ => return None,
            }
        }
        Some(m)
    }
}

/// A note key on one line: backslash, tab, newline and carriage return escaped.
pub(super) fn escape_line(rel: &str) -> String {
    if !rel.contains(['\\', '\n', '\r', '\t']) {
        return rel.to_string();
    }
    rel.replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
        .replace('\t', "\\t")
}

/// Reverses [`escape_line`].
pub(super) fn unescape_line(line: &str) -> String {
    if !line.contains('\\') {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// True when nothing in `root` changed since the walk recorded in the manifest text
/// `manifest` (see [`observe`]); a text that is not a manifest counts as a change.
pub fn unchanged(manifest: &str, root: &Path) -> bool {
    observe("", manifest, root).is_some_and(|o| o.seen.unchanged)
}

/// The journal lines recording `files` (and, unless `listed`, that the manifest is now
/// unlisted), to append to a manifest.
pub fn journal_lines(files: &BTreeMap<String, FileState>, listed: bool) -> String {
    let mut out = String::new();
    for (rel, f) in files {
        let rel = escape_line(rel);
        let _ = writeln!(out, "+f\t{}\t{}\t{}\t{rel}", f.size, f.mtime_ns, f.hash);
    }
    if !listed {
        out.push_str("+u\n");
    }
    out
}

/// True when the file at `path` is a manifest of an older gloss (its index is rebuilt).
pub fn older(path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = [0u8; 32];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let head = String::from_utf8_lossy(&head[..n]);
    head.starts_with("gloss-manifest ") && !head.starts_with(HEADER)
}

/// The manifest file at `path`, mapped rather than read: the freshness check reads all of
/// it, and reading MDN's (3.2 MB) into a fresh buffer cost ~1.7 ms of CPU (a page fault
/// per 4 KB, and the copy) against ~0.2 ms mapped. `None` when it cannot be opened.
pub fn map(path: &Path) -> Option<memmap2::Mmap> {
    let file = std::fs::File::open(path).ok()?;
    // SAFETY: the mapping is only read, and gloss only ever appends to a manifest or cuts
    // it back to the length its last commit gives, which no reader reads past: it is not
    // cut under a reader. (Like tantivy's mapped index files, an outside truncation or a
    // failing disk would end the process instead of returning an error.)
    unsafe { memmap2::Mmap::map(&file) }.ok()
}

/// The part of a manifest file its commit vouches for: the first `len` bytes (the whole
/// text for a commit that does not say). `None` when the file is shorter or the length
/// does not end a line.
pub fn committed(text: &[u8], len: Option<u64>) -> Option<&[u8]> {
    let Some(len) = len else {
        return Some(text);
    };
    let len = usize::try_from(len).ok()?;
    let part = text.get(..len)?;
    (part.is_empty() || part.ends_with(b"\n")).then_some(part)
}

/// What [`observe`] saw, with what an in-place refresh needs to know of the manifest.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// The paths of the manifest that changed, as they are now, and whether none did
    /// (`seen.source` is the manifest's file name and length).
    pub seen: notes::Seen,
    /// The manifest says the last walk read everything ([`Manifest::listed`]).
    pub listed: bool,
    /// Some folder or ignore file is unsettled ([`Manifest::unsettled`]).
    pub unsettled: bool,
    /// Every folder and ignore file is as recorded.
    pub folders_same: bool,
    /// Notes whose size or time moved: what the manifest recorded, and what is there now.
    pub edited: Vec<(String, FileState, Option<notes::Stat>)>,
    /// Journal lines in the manifest, and lines in all.
    pub journal: usize,
    /// Lines in the manifest (its header and the journal included).
    pub lines: usize,
    /// Notes the manifest records.
    pub notes: usize,
}

/// One `stat` per line of the manifest text `manifest` (file `name`, read up to the length
/// its commit gives; [`changed`] says on which threads), instead of a walk: every note,
/// folder and ignore file as it is now, and whether nothing changed since the walk
/// recorded (every note has the same size and time, every folder the same stamp, see
/// [`notes::dir_stamp`], every ignore file the same time, and one that was absent still
/// is). `None` when the text is not a manifest. A refresh that follows uses these stats
/// instead of taking them again ([`notes::Previous::seen`]).
pub fn observe(name: &str, manifest: &str, root: &Path) -> Option<Observed> {
    let mut lines = lines_of(manifest);
    let mut listed = header(lines.next()?)?;
    let mut base = Vec::new();
    let mut journal = Vec::new();
    for line in lines {
        match line.strip_prefix('+') {
            Some("u") => listed = false,
            Some(entry) => journal.push(entry),
            None => base.push(line),
        }
    }
    let total = base.len() + journal.len() + 1;
    let journaled = journal.len();
    let lines = replace_journaled(base, journal);
    let anchors = Anchors::open(root, &folder_keys(&lines));
    // First only whether each line still holds, building nothing for those that do (the
    // common case of a query); then what the others hold now.
    let differs = |&i: &usize| match same(lines[i], root, &anchors) {
        Some(true) => None,
        Some(false) => Some(Ok(i)),
        None => Some(Err(())),
    };
    let order = by_place(&lines);
    let mut differing = changed(order.len(), |k| differs(&order[k])).ok()?;
    differing.sort_unstable();
    let summary = Summary {
        source: format!("{name}#{}", manifest.len()),
        listed,
        unsettled: lines
            .iter()
            .any(|l| l.starts_with("D\t") || l.starts_with("I\t")),
        notes: lines.iter().filter(|l| l.starts_with("f\t")).count(),
        journal: journaled,
        lines: total,
    };
    let differing: Vec<&str> = differing.iter().map(|&i| lines[i]).collect();
    finish(summary, &differing, root, &anchors)
}

/// What a freshness check found of a manifest as a whole (see [`Observed`]).
pub(super) struct Summary {
    /// The manifest's file name and length.
    pub source: String,
    pub listed: bool,
    pub unsettled: bool,
    pub notes: usize,
    pub journal: usize,
    pub lines: usize,
}

/// The [`Observed`] of a manifest whose lines `differing` (in file order) do not hold:
/// each looked at again, for what its path holds now.
pub(super) fn finish(
    summary: Summary,
    differing: &[&str],
    root: &Path,
    anchors: &Anchors,
) -> Option<Observed> {
    let looked: Option<Vec<Looked>> = (differing.iter())
        .map(|line| look(line, root, anchors))
        .collect();
    let mut seen = Observed {
        seen: notes::Seen {
            source: summary.source,
            unchanged: true,
            ..notes::Seen::default()
        },
        listed: summary.listed,
        unsettled: summary.unsettled,
        notes: summary.notes,
        folders_same: true,
        journal: summary.journal,
        lines: summary.lines,
        ..Observed::default()
    };
    for l in looked? {
        seen.add(l);
    }
    sort_keys(&mut seen.seen.files);
    sort_keys(&mut seen.seen.dirs);
    sort_keys(&mut seen.seen.ignores);
    Some(seen)
}

/// Whether a manifest's first line says it is listed; `None` when it is not a manifest's
/// first line (of this format).
pub(super) fn header(line: &str) -> Option<bool> {
    match line.strip_prefix(HEADER)? {
        " listed" => Some(true),
        " unlisted" => Some(false),
        _ => None,
    }
}

/// The lines after the header of a manifest written whole, each with its offset in `text`;
/// `None` when `text` is not a manifest or holds a journal line.
pub(super) fn base_lines(text: &str) -> Option<Vec<(usize, &str)>> {
    let mut lines = lines_of(text);
    header(lines.next()?)?;
    let mut out = Vec::new();
    for line in lines {
        if line.starts_with('+') {
            return None;
        }
        // A line of `text` (a subslice): its offset is where it starts.
        out.push((line.as_ptr() as usize - text.as_ptr() as usize, line));
    }
    Some(out)
}

/// A manifest's journal entries (`+` stripped, `+u` left out) kept: the last for each note
/// (and any identical to it), in order; with each note's last entry, by key as written.
pub(super) fn last_entries(journal: Vec<&str>) -> (rustc_hash::FxHashMap<&str, &str>, Vec<&str>) {
    let mut last: rustc_hash::FxHashMap<&str, &str> = Default::default();
    for line in &journal {
        last.insert(key_of(line), line);
    }
    let kept = journal
        .into_iter()
        .filter(|line| last.get(key_of(line)) == Some(line))
        .collect();
    (last, kept)
}

/// The order in which to `stat` a manifest's lines (indexes into `lines`): notes and
/// folders merged by key, so a folder comes just before what it holds, then the other
/// lines as written. The kernel reads a folder's entry and inode for its own `stat` and
/// again on the way to each note in it: taken together, they are still in the CPU's caches
/// the second time (on MDN the pass took ~15% less CPU than notes first, then folders).
pub(super) fn by_place(lines: &[&str]) -> Vec<usize> {
    let (mut notes, mut folders, mut rest) = (Vec::new(), Vec::new(), Vec::new());
    for (i, &line) in lines.iter().enumerate() {
        match line.as_bytes().first() {
            Some(b'f') => notes.push((ordering_key(line), i)),
            Some(b'd' | b'D') => folders.push((ordering_key(line), i)),
            _ => rest.push(i),
        }
    }
    let mut order = Vec::with_capacity(lines.len());
    let (mut notes, mut folders) = (notes.into_iter().peekable(), folders.into_iter().peekable());
    loop {
        let next = match (notes.peek(), folders.peek()) {
            (Some(note), Some(folder)) if folder.0 <= note.0 => folders.next(),
            (Some(_), _) => notes.next(),
            (None, _) => folders.next(),
        };
        let Some((_, i)) = next else { break };
        order.push(i);
    }
    order.extend(rest);
    order
}

/// What [`by_place`] orders a note's or folder's line by: the rest of the line from its
/// key (a line of this gloss ends with it), found by the widths its time or stamp (19
/// digits) and hash (64) have from 2001 to 2286 before any search; the whole line when
/// it has too few fields. An order is all this is for: a line that does not fit is still
/// `stat`ed, only in another place. ([`key_of`]'s tab search in its place: 59.4 -> 67.0 M
/// instructions for a no-change `search` on MDN, callgrind, quick build.)
fn ordering_key(line: &str) -> &str {
    let bytes = line.as_bytes();
    let after = |at: usize, width: usize| match bytes.get(at + width) {
        Some(b'\t') => Some(at + width + 1),
        _ => tab(bytes, at).map(|end| end + 1),
    };
    let key = match bytes.first() {
        Some(b'f') => tab(bytes, 2)
            .and_then(|size| after(size + 1, 19))
            .and_then(|hash| after(hash, 64)),
        _ => after(2, 19),
    };
    key.map_or(line, |at| &line[at..])
}

/// The lines of `text` as [`str::lines`] gives them, each end found by the memchr crate's
/// vector search (the standard library's took ~8 M instructions on MDN's 3.2 MB manifest).
pub(super) fn lines_of(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let line = match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(end) => {
                let line = &rest[..end];
                rest = &rest[end + 1..];
                line.strip_suffix('\r').unwrap_or(line)
            }
            None => std::mem::take(&mut rest),
        };
        Some(line)
    })
}

/// The folder keys of a manifest's lines, as written (in order).
fn folder_keys<'t>(lines: &[&'t str]) -> Vec<&'t str> {
    lines
        .iter()
        .filter(|l| l.starts_with("d\t") || l.starts_with("D\t"))
        .map(|l| key_of(l))
        .collect()
}

/// A manifest line split into its fields (the key as written, escaped): a note's `f`, size,
/// time, hash and key; a folder's `d`/`D`, stamp and key (`b` 0, no hash); an ignore file's
/// `i`/`I`, time and key. `None` when the line is none of these. Reads the bytes once, with
/// no searching through the fields it does not need.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Fields<'t> {
    pub kind: u8,
    pub a: u64,
    pub b: u64,
    pub hash: &'t str,
    pub key: &'t str,
}

pub(super) fn fields(line: &str) -> Option<Fields<'_>> {
    let bytes = line.as_bytes();
    let kind = *bytes.first()?;
    if bytes.get(1) != Some(&b'\t') {
        return None;
    }
    let (a, at) = number(bytes, 2)?;
    let (b, hash, at) = match kind {
        b'f' => {
            let (b, at) = number(bytes, at)?;
            let end = tab(bytes, at)?;
            (b, &line[at..end], end + 1)
        }
        b'd' | b'D' | b'i' | b'I' => (0, "", at),
        _ => return None,
    };
    // The key runs to the next tab, if any (a line of this gloss has none).
    let end = tab(bytes, at).unwrap_or(bytes.len());
    Some(Fields {
        kind,
        a,
        b,
        hash,
        key: &line[at..end],
    })
}

/// Where the first tab at or after `at` is, looking at eight bytes at a time (the fields
/// searched are short: a library search costs more to set up than it saves).
fn tab(bytes: &[u8], at: usize) -> Option<usize> {
    const TABS: u64 = u64::from_ne_bytes([b'\t'; 8]);
    const LOW: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let rest = bytes.get(at..)?;
    let mut chunks = rest.chunks_exact(8);
    for (n, chunk) in chunks.by_ref().enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        // A zero byte of `x` is a tab of the chunk; the lowest flagged byte is the first.
        let x = u64::from_le_bytes(word) ^ TABS;
        let found = x.wrapping_sub(LOW) & !x & HIGH;
        if found != 0 {
            return Some(at + n * 8 + (found.trailing_zeros() / 8) as usize);
        }
    }
    let tail = chunks.remainder();
    let done = rest.len() - tail.len();
    tail.iter().position(|&c| c == b'\t').map(|n| at + done + n)
}

/// The decimal number at `bytes[at..]`, up to a tab: its value and where the next field
/// starts. `None` for no digits, anything else before the tab, no tab, or an overflow.
/// Eight digits at a time while they last (a note's time has 19), then one at a time; a
/// number of 20 digits or more is parsed with its checks.
fn number(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
    let digits = bytes.get(at..)?;
    let mut value = 0u64;
    let mut n = 0;
    // Two blocks of eight: at most 16 digits, so the loop below cannot overflow either.
    while n < 16 {
        let Some(block) = digits.get(n..n + 8).and_then(eight_digits) else {
            break;
        };
        value = value * 100_000_000 + block;
        n += 8;
    }
    for (n, &c) in digits.iter().enumerate().skip(n) {
        match c {
            // Up to 19 digits cannot overflow.
            b'0'..=b'9' if n < 19 => value = value * 10 + u64::from(c - b'0'),
            b'\t' if n > 0 => return Some((value, at + n + 1)),
            b'0'..=b'9' => return long_number(digits, at),
            _ => return None,
        }
    }
    None
}

/// The value of eight ASCII digits (the first the most significant); `None` when one of the
/// bytes is not a digit.
fn eight_digits(bytes: &[u8]) -> Option<u64> {
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const ZEROS: u64 = u64::from_ne_bytes([b'0'; 8]);
    const SIXES: u64 = u64::from_ne_bytes([6; 8]);
    let x = u64::from_le_bytes(bytes.try_into().ok()?);
    // Every byte is 0x30-0x3F, and adding 6 carries none of them past 0x3F: 0x30-0x39.
    if x & HIGH_NIBBLES != ZEROS || (x + SIXES) & HIGH_NIBBLES != ZEROS {
        return None;
    }
    // Digits (first in the lowest byte) into pairs, the pairs into fours, into eight.
    let d = x - ZEROS;
    let pairs = (d * 10 + (d >> 8)) & 0x00FF_00FF_00FF_00FF;
    let fours = (pairs * 100 + (pairs >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some((fours.wrapping_mul(10_000) + (fours >> 32)) & 0xFFFF_FFFF)
}

/// [`number`] for 20 digits or more: parsed with its overflow check.
fn long_number(digits: &[u8], at: usize) -> Option<(u64, usize)> {
    let n = digits.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits.get(n) != Some(&b'\t') {
        return None;
    }
    let value = std::str::from_utf8(&digits[..n]).ok()?.parse().ok()?;
    Some((value, at + n + 1))
}

/// The key of a manifest line as written, without reading its numbers: what follows the
/// fourth tab of a note's line, the second of any other (the line itself when it has too
/// few: it does not parse anyway).
pub(super) fn key_of(line: &str) -> &str {
    let bytes = line.as_bytes();
    let tabs = if line.starts_with('f') { 4 } else { 2 };
    let mut at = 0;
    for _ in 0..tabs {
        match tab(bytes, at) {
            Some(i) => at = i + 1,
            None => return line,
        }
    }
    let end = tab(bytes, at).unwrap_or(bytes.len());
    &line[at..end]
}

/// The base lines without those a journal line replaces, then the journal's last line for
/// each note.
fn replace_journaled<'t>(base: Vec<&'t str>, journal: Vec<&'t str>) -> Vec<&'t str> {
    if journal.is_empty() {
        return base;
    }
    // A note's line is keyed by its escaped path.
    let (last, kept) = last_entries(journal);
    // A line of this gloss ends with its key: only lines ending with a journal key are
    // split to find theirs (a line with a field after its key is kept, and its note
    // re-read: it does not hold).
    let replaced = |line: &str| {
        line.starts_with("f\t")
            && last.keys().any(|k| line.ends_with(k))
            && last.contains_key(key_of(line))
    };
    let mut lines: Vec<&str> = base.into_iter().filter(|l| !replaced(l)).collect();
    lines.extend(kept);
    lines
}

impl Observed {
    fn add(&mut self, l: Looked) {
        self.seen.unchanged &= l.same;
        self.unsettled |= l.unsettled;
        match l.now {
            Now::File(now) => {
                if let Some(was) = l.was {
                    self.edited.push((l.rel.clone(), was, now));
                }
                self.seen.files.push((l.rel, now));
            }
            Now::Dir(now) => {
                self.folders_same &= l.same;
                self.seen.dirs.push((l.rel, now));
            }
            Now::Ignore(now) => {
                self.folders_same &= l.same;
                self.seen.ignores.push((l.rel, now));
            }
        }
    }
}

/// Sorts a list by key, unless it already is (a manifest is written sorted).
fn sort_keys<T>(list: &mut [(String, T)]) {
    if !list.is_sorted_by(|a, b| a.0 <= b.0) {
        list.sort_by(|a, b| a.0.cmp(&b.0));
    }
}

/// Manifest lines up to which the freshness check `stat`s on this thread alone; above
/// it, on all cores (rayon): starting the pool costs more than a few hundred `stat`s.
/// One thread for every folder up to 60,000 lines was tried (session 10): it saved 1-3 ms
/// of CPU on MDN's 28k lines when the machine was busy and nothing measurable when it was
/// quiet (load 1: no-change search 50.5 vs 51.8 ms CPU, one-edit `gloss index` 66.4 vs
/// 65.7), while its wall time rose from 29 to 53 ms and from 44 to 67 ms.
const ONE_THREAD_UPTO: usize = 999;

/// The items of `0..n` that `check` finds changed (`Some(Ok(i))`), in order; `Err` as soon
/// as one cannot be told. On this thread up to [`ONE_THREAD_UPTO`] items, else on all
/// cores.
pub(super) fn changed<F>(n: usize, check: F) -> Result<Vec<usize>, ()>
where
    F: Fn(usize) -> Option<Result<usize, ()>> + Sync + Send,
{
    if n <= ONE_THREAD_UPTO {
        (0..n).filter_map(check).collect()
    } else {
        (0..n).into_par_iter().filter_map(check).collect()
    }
}

/// One manifest line looked at: its key, what its path holds now, and whether that is what
/// the line recorded.
struct Looked {
    rel: String,
    now: Now,
    same: bool,
    /// What the line recorded, for a note that changed.
    was: Option<FileState>,
    /// The line is an unsettled folder or ignore file.
    unsettled: bool,
}

enum Now {
    File(Option<notes::Stat>),
    Dir(Option<u64>),
    Ignore(u64),
}

/// True when the note, folder or ignore file of a manifest line is as the line recorded;
/// `None` when the line does not parse. Allocates nothing for a plain key.
pub(super) fn same(line: &str, root: &Path, anchors: &Anchors) -> Option<bool> {
    let f = fields(line)?;
    // A plain key (the common case) is its path key as written, and `stat`s without the
    // checks of an arbitrary one.
    let plain = super::anchors::plain(f.key);
    let rel = if plain {
        std::borrow::Cow::Borrowed(f.key)
    } else {
        unescaped(f.key)
    };
    let stat = || {
        if plain {
            anchors.stat_plain(root, &rel)
        } else {
            anchors.stat(root, &rel)
        }
    };
    Some(match f.kind {
        b'f' => stat().is_some_and(|m| m.stat.mtime_ns == f.b && m.stat.size == f.a),
        b'd' | b'D' => stat().is_some_and(|m| m.stamp == f.a),
        _ => ignore_time(root, &rel) == f.a,
    })
}

/// A key as a path key: unescaped, borrowed when it has nothing escaped.
fn unescaped(key: &str) -> std::borrow::Cow<'_, str> {
    if key.contains('\\') {
        std::borrow::Cow::Owned(unescape_line(key))
    } else {
        std::borrow::Cow::Borrowed(key)
    }
}

/// The time of the ignore file `rel` ([`notes::ABSENT`] when there is none).
fn ignore_time(root: &Path, rel: &str) -> u64 {
    let path = if rel.is_empty() {
        root.to_path_buf()
    } else {
        notes::rel_path(root, rel)
    };
    std::fs::metadata(path).map_or(notes::ABSENT, |m| notes::mtime_ns(&m))
}

/// One manifest line checked against the file or folder it names; `None` when the line
/// does not parse.
fn look(line: &str, root: &Path, anchors: &Anchors) -> Option<Looked> {
    let f = fields(line)?;
    let rel = unescape_line(f.key);
    let mut was = None;
    let (now, same) = match f.kind {
        b'f' => {
            let now = anchors.stat(root, &rel).map(|m| m.stat);
            let same = now.is_some_and(|n| n.mtime_ns == f.b && n.size == f.a);
            was = (!same).then(|| FileState {
                size: f.a,
                mtime_ns: f.b,
                hash: f.hash.to_string(),
            });
            (Now::File(now), same)
        }
        b'd' | b'D' => {
            let now = anchors.stat(root, &rel).map(|m| m.stamp);
            (Now::Dir(now), now == Some(f.a))
        }
        _ => {
            let now = ignore_time(root, &rel);
            (Now::Ignore(now), now == f.a)
        }
    };
    Some(Looked {
        rel,
        now,
        same,
        was,
        unsettled: f.kind == b'D' || f.kind == b'I',
    })
}

/// The manifest of `root` as a walk sees it now, every note with the content hash `hash`
/// (for tests of the freshness check).
#[cfg(test)]
pub(super) fn walked(root: &Path, hash: &str) -> Manifest {
    let tree = notes::walk_tree_with(root, 0).unwrap();
    let mut m = Manifest {
        listed: true,
        dirs: tree.dirs.iter().cloned().collect(),
        ignores: tree.ignores.iter().cloned().collect(),
        ..Manifest::default()
    };
    for f in &tree.files {
        let state = FileState {
            size: f.size,
            mtime_ns: f.mtime_ns,
            hash: hash.into(),
        };
        m.files.insert(f.rel.clone(), state);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_items_are_the_same_in_order_on_one_thread_or_all() {
        // Every seventh item changed; item `bad` cannot be told.
        let check = |bad: usize| {
            move |i: usize| match i {
                _ if i == bad => Some(Err(())),
                _ if i.is_multiple_of(7) => Some(Ok(i)),
                _ => None,
            }
        };
        for n in [
            0,
            10,
            ONE_THREAD_UPTO,
            ONE_THREAD_UPTO + 1,
            3 * ONE_THREAD_UPTO,
        ] {
            let expected: Vec<usize> = (0..n).filter(|i| i.is_multiple_of(7)).collect();
            assert_eq!(changed(n, check(usize::MAX)), Ok(expected), "{n} items");
            if n > 0 {
                assert_eq!(
                    changed(n, check(n - 1)),
                    Err(()),
                    "{n} items, the last one bad"
                );
            }
        }
    }

    #[test]
    fn lines_are_statted_folder_by_folder_each_once() {
        let lines = [
            "f\t1\t2\th\ta.md",
            "f\t1\t2\th\tb/x/n.md",
            "f\t1\t2\th\tb/y.md",
            "f\t1\t2\th\tc/n.md",
            "d\t5\t",
            "d\t5\tb",
            "D\t5\tb/x",
            "d\t5\tc",
            "i\t7\t.gitignore",
            "f\t1\t2\th\tb/x/journaled.md",
        ];
        let order: Vec<&str> = by_place(&lines).iter().map(|&i| lines[i]).collect();
        assert_eq!(
            order,
            [
                "d\t5\t",
                "f\t1\t2\th\ta.md",
                "d\t5\tb",
                "D\t5\tb/x",
                "f\t1\t2\th\tb/x/n.md",
                "f\t1\t2\th\tb/y.md",
                "d\t5\tc",
                "f\t1\t2\th\tc/n.md",
                "f\t1\t2\th\tb/x/journaled.md",
                "i\t7\t.gitignore",
            ]
        );
        assert!(by_place(&[]).is_empty());
    }

    #[test]
    fn lines_are_split_as_the_standard_library_splits_them() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\r\nb\r\n\r\nc\r",
            "a\n\nb",
            "\r",
            "x\ry\n",
            "é\u{1F600}\nz",
        ] {
            let ours: Vec<&str> = lines_of(text).collect();
            assert_eq!(ours, text.lines().collect::<Vec<_>>(), "{text:?}");
        }
        let long = "f\t1\t2\th\tkey\n".repeat(1000) + "tail";
        assert!(lines_of(&long).eq(long.lines()));
    }

    #[test]
    fn the_ordering_key_is_the_key_whatever_the_fields_widths() {
        let hash = "a".repeat(64);
        for (line, key) in [
            (
                format!("f\t12\t1764712345123456789\t{hash}\tweb/x.md"),
                "web/x.md",
            ),
            ("f\t12\t5\th\tweb/x.md".to_string(), "web/x.md"),
            (format!("f\t0\t1764712345123456789\t{hash}\t"), ""),
            ("d\t1764712345123456789\tweb".to_string(), "web"),
            ("D\t7\tweb/api".to_string(), "web/api"),
            ("d\t7\t".to_string(), ""),
            ("f\t12".to_string(), "f\t12"),
        ] {
            assert_eq!(ordering_key(&line), key, "{line:?}");
            if key != line {
                assert_eq!(key_of(&line), key, "{line:?}");
            }
        }
    }

    #[test]
    fn names_keep_newlines_tabs_and_backslashes_on_one_line() {
        for rel in [
            "plain.md",
            "two\nlines.md",
            "tab\there.md",
            "back\\slash\\n.md",
            "cr\r.md",
            "x\\xE9.md",
        ] {
            let line = escape_line(rel);
            assert!(!line.contains(['\n', '\r', '\t']), "{line:?}");
            assert_eq!(unescape_line(&line), rel);
        }
    }

    #[test]
    fn a_manifest_reads_back_as_written() {
        let mut m = Manifest {
            listed: true,
            ..Manifest::default()
        };
        m.files.insert(
            "a\tb/c.md".into(),
            FileState {
                size: 12,
                mtime_ns: 34,
                hash: "ab".repeat(32),
            },
        );
        m.dirs.insert(String::new(), 5);
        m.dirs.insert("a\tb".into(), 0);
        m.ignores.insert("/up/.gitignore".into(), notes::ABSENT);
        m.ignores.insert("a\tb/.ignore".into(), 7);
        m.unsettled.insert("a\tb".into());
        m.unsettled.insert("a\tb/.ignore".into());
        assert_eq!(Manifest::parse(&m.render()), Some(m.clone()));
        m.listed = false;
        assert_eq!(Manifest::parse(&m.render()), Some(m));
        assert_eq!(Manifest::parse("{\"files\":{}}"), None);
        assert_eq!(Manifest::parse("gloss-manifest 3 listed\nx\t1\ty\n"), None);
        // A manifest of an older gloss is not read: its index is rebuilt once.
        assert_eq!(Manifest::parse("gloss-manifest 2 listed\n"), None);
    }

    #[test]
    fn lines_split_into_fields_as_written_and_bad_lines_do_not() {
        let hash = "0123456789abcdef".repeat(4);
        let line = format!("f\t12\t1796243529829010602\t{hash}\ta/b\\tc.md");
        let f = fields(&line).unwrap();
        assert_eq!(
            (f.kind, f.a, f.b, f.hash, f.key),
            (b'f', 12, 1796243529829010602, hash.as_str(), "a/b\\tc.md")
        );
        assert_eq!(key_of(&line), "a/b\\tc.md");
        // A hash of another length still parses (its tab is searched for).
        let f = fields("f\t1\t2\tab\tx.md").unwrap();
        assert_eq!((f.hash, f.key), ("ab", "x.md"));
        let f = fields("D\t18446744073709551615\t").unwrap();
        assert_eq!((f.kind, f.a, f.b, f.key), (b'D', u64::MAX, 0, ""));
        // 19 digits (the most parsed without checks), then 20 within range and leading zeros.
        let f = fields("d\t9999999999999999999\tdocs").unwrap();
        assert_eq!((f.a, f.key), (9_999_999_999_999_999_999, "docs"));
        let f = fields("f\t10000000000000000000\t00000000000000000000042\th\tk").unwrap();
        assert_eq!((f.a, f.b, f.key), (10_000_000_000_000_000_000, 42, "k"));
        let f = fields("i\t7\t/up/.gitignore").unwrap();
        assert_eq!((f.kind, f.a, f.key), (b'i', 7, "/up/.gitignore"));
        assert_eq!(key_of("d\t5\tdocs/a"), "docs/a");
        // A field after the key is not part of it.
        assert_eq!(fields("d\t5\tdocs\textra").unwrap().key, "docs");
        for bad in [
            "",
            "f",
            "d5\tdocs",
            "d\t\tdocs",
            "d\t5",
            "d\t5x\tdocs",
            "d\t+5\tdocs",
            "d\t18446744073709551616\tdocs",
            "d\t99999999999999999999\tdocs",
            "d\t1234567890123456789x\tdocs",
            "d\t12345678901234567890x\tdocs",
            "d\t12345678901234567890",
            "d\t7",
            "x\t5\tdocs",
            "dd\t5\tdocs",
            "f\t1\t2\thash-and-no-key",
        ] {
            assert_eq!(fields(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn numbers_read_eight_digits_at_a_time_as_one_at_a_time() {
        let mut cases: Vec<String> = vec!["0".into(), "00000000".into(), "99999999".into()];
        // Every length, with digits that vary per place, and one bad byte at every offset.
        let mut x = 1_234_567_891_234_567_891u64;
        for len in 1..=24 {
            for _ in 0..40 {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let digits: String = (0..len)
                    .map(|i| char::from(b'0' + ((x >> (i * 2 % 60)) % 10) as u8))
                    .collect();
                cases.push(digits.clone());
                let at = (x % len as u64) as usize;
                for bad in ['/', ':', '\t', ' ', 'a', '\u{b0}'] {
                    let mut d: Vec<char> = digits.chars().collect();
                    d[at] = bad;
                    cases.push(d.into_iter().collect());
                }
            }
        }
        // What the field up to the first tab holds, as the standard parse reads it.
        let expected = |text: &str| {
            let (field, _) = text.split_once('\t')?;
            let digits = !field.is_empty() && field.bytes().all(|c| c.is_ascii_digit());
            digits
                .then(|| field.parse::<u64>().ok())?
                .map(|v| (v, field.len() + 1))
        };
        for case in cases {
            let line = format!("{case}\tnext");
            assert_eq!(number(line.as_bytes(), 0), expected(&line), "{case:?}");
            assert_eq!(
                number(case.as_bytes(), 0),
                expected(&case),
                "{case:?} alone"
            );
        }
    }

    #[test]
    fn a_tab_is_found_at_every_offset_of_a_word() {
        for len in 0..40 {
            for at in 0..len {
                let mut bytes = vec![b'x'; len];
                bytes[at] = b'\t';
                for from in 0..=at {
                    assert_eq!(tab(&bytes, from), Some(at), "{len} {at} {from}");
                }
                assert_eq!(tab(&bytes, at + 1), None);
            }
        }
        // Bytes just below and above a tab are not one.
        assert_eq!(tab(&[0x08, 0x0a, 0x89, 0x00, 0x09], 0), Some(4));
    }

    #[test]
    fn journal_lines_replace_a_notes_line_and_only_committed_bytes_count() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("a.md"), "**A**: one.\n").unwrap();
        std::fs::write(root.join("b.md"), "**B**: two.\n").unwrap();
        // Its key ends with a.md's: a.md's journal line must not replace its line.
        std::fs::write(root.join("xa.md"), "**XA**: three.\n").unwrap();
        let mut m = walked(root, "old");
        let now = m.files["a.md"].clone();
        // a.md as last indexed: one byte shorter than it is.
        m.files.get_mut("a.md").unwrap().size -= 1;
        let base = m.render();
        let observed = observe("m", &base, root).unwrap();
        assert!(!observed.seen.unchanged && observed.folders_same && observed.listed);
        assert_eq!(observed.edited.len(), 1);
        assert_eq!(observed.edited[0].0, "a.md");
        // Re-indexed: the journal records it as it is now.
        let mut journal = BTreeMap::new();
        let state = FileState {
            hash: "new".into(),
            ..now
        };
        journal.insert("a.md".to_string(), state);
        let text = format!("{base}{}", journal_lines(&journal, true));
        let observed = observe("m", &text, root).unwrap();
        assert!(observed.seen.unchanged, "{:?}", observed.edited);
        assert_eq!((observed.journal, observed.notes), (1, 3));
        let parsed = Manifest::parse(&text).unwrap();
        assert_eq!(parsed.files["a.md"].hash, "new");
        assert!(parsed.listed);
        // Bytes past the committed length (a run that never committed, a torn line) are
        // not read.
        let torn = format!("{text}+f\t1\t2\tx");
        let torn = torn.as_bytes();
        assert_eq!(
            committed(torn, Some(text.len() as u64)),
            Some(text.as_bytes())
        );
        assert_eq!(committed(torn, Some(text.len() as u64 - 3)), None);
        assert_eq!(committed(torn, Some(torn.len() as u64 + 1)), None);
        let unlisted = format!("{text}{}", journal_lines(&BTreeMap::new(), false));
        assert!(!Manifest::parse(&unlisted).unwrap().listed);
        assert!(!observe("m", &unlisted, root).unwrap().listed);
    }
}
