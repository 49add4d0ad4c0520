//! The stamp table: a manifest's lines in fixed-width records, written beside it when it is
//! written whole (`gloss-stamps-<stamp>-<pid>.bin` beside `gloss-manifest-<stamp>-<pid>.tsv`),
//! so the freshness check `stat`s each note and folder and compares two integers, instead
//! of parsing the manifest's text line by line, finding each key's folder handle and
//! ordering the lines (on MDN, ~28k lines: ~52 M of a no-change search's ~60 M user
//! instructions). The records are in the order the text check `stat`s them
//! (`manifest::by_place`), each with its name relative to the open folder it is `stat`ed
//! from (`Anchors`).
//!
//! The table covers the manifest as written whole; journal lines appended since (see
//! `manifest.rs`) are read as text, as before, and replace the records of their notes.
//! A table that is missing, torn, not this format, or not of this manifest (its length, and
//! a hash of its first and last 4 KiB) is not used: the check reads the text. Every byte of
//! the table is covered by a checksum, so a table cut short or left half written by a
//! crash is never trusted. Written without `fsync`: the text is what is durable.
//!
//! ```text
//! header (72 bytes): magic, manifest length covered, records, folders, name bytes,
//!                    hash of the manifest's ends, notes, flags, 0
//! folders:  (name offset u32, length u32) each, parents first   (the open handles)
//! records:  (a u64, b u64, line offset u32, name offset u32, folder u16, kind u8, 0,
//!            key hash u32) each, in `stat` order
//! names:    folder keys, and each record's path from its folder, NUL-terminated
//! checksum: u64 of all the bytes before it
//! ```

use std::path::Path;

use super::anchors::{self, Anchors};
use super::manifest::{self, Observed, Summary};

const MAGIC: &[u8; 16] = b"gloss-stamps 1\n\0";
const HEAD: usize = 72;
const FOLDER: usize = 8;
const RECORD: usize = 32;
/// A record checked through its line of text (an ignore file, or a key with an escape).
const TEXT: u32 = u32::MAX;
/// A record `stat`ed from the notes folder itself.
const ROOT: u16 = u16::MAX;
/// Flag: some folder or ignore file is unsettled (`D`, `I`).
const UNSETTLED: u32 = 1;

/// The start of a table's file name.
pub const PREFIX: &str = "gloss-stamps-";

/// The table's file name, beside the manifest `manifest`.
pub fn name_of(manifest: &str) -> String {
    let stem = (manifest.strip_prefix("gloss-manifest-"))
        .and_then(|rest| rest.strip_suffix(".tsv"))
        .unwrap_or(manifest);
    format!("{PREFIX}{stem}.bin")
}

/// Writes the table of the manifest `text`, just written whole as `name` in `generation`
/// (best effort: without it, the check reads the text).
pub fn write(generation: &Path, name: &str, text: &str) {
    if let Some(bytes) = build(text) {
        let _ = std::fs::write(generation.join(name_of(name)), bytes);
    }
}

/// The table of a manifest's text; `None` when a line is not one the table holds (a
/// journal line, a line that does not parse, a field after the key) or offsets overflow.
fn build(text: &str) -> Option<Vec<u8>> {
    let lines = manifest::base_lines(text)?;
    u32::try_from(text.len()).ok()?;
    let strs: Vec<&str> = lines.iter().map(|&(_, l)| l).collect();
    let fields = parsed(&strs)?;
    let dirs: Vec<&str> = (fields.iter())
        .filter(|f| matches!(f.kind, b'd' | b'D'))
        .map(|f| f.key)
        .collect();
    let folders = anchors::busiest(&dirs);
    let mut names = Vec::new();
    let mut folder_part = Vec::with_capacity(folders.len() * FOLDER);
    for dir in &folders {
        folder_part.extend_from_slice(&u32::try_from(names.len()).ok()?.to_le_bytes());
        folder_part.extend_from_slice(&u32::try_from(dir.len()).ok()?.to_le_bytes());
        names.extend_from_slice(dir.as_bytes());
    }
    let order = manifest::by_place(&strs);
    let records = records(&order, &lines, &fields, &folders, &mut names)?;
    names.push(0);
    let notes = fields.iter().filter(|f| f.kind == b'f').count();
    let unsettled = fields.iter().any(|f| matches!(f.kind, b'D' | b'I'));
    let mut head = Vec::with_capacity(HEAD);
    head.extend_from_slice(MAGIC);
    for n in [text.len(), lines.len(), folders.len(), names.len()] {
        head.extend_from_slice(&(n as u64).to_le_bytes());
    }
    head.extend_from_slice(&ends_hash(text.as_bytes()).to_le_bytes());
    head.extend_from_slice(&u32::try_from(notes).ok()?.to_le_bytes());
    head.extend_from_slice(&u32::from(unsettled).to_le_bytes());
    head.extend_from_slice(&0u64.to_le_bytes());
    let mut table = [head, folder_part, records, names].concat();
    let sum = checksum(&table);
    table.extend_from_slice(&sum.to_le_bytes());
    Some(table)
}

/// The fields of each line; `None` when one does not parse, or has a field after its key.
fn parsed<'t>(lines: &[&'t str]) -> Option<Vec<manifest::Fields<'t>>> {
    let fields: Vec<manifest::Fields> = (lines.iter())
        .map(|l| manifest::fields(l))
        .collect::<Option<_>>()?;
    let ends = |f: &manifest::Fields, l: &str| {
        f.key.as_ptr() as usize + f.key.len() == l.as_ptr() as usize + l.len()
    };
    fields
        .iter()
        .zip(lines)
        .all(|(f, l)| ends(f, l))
        .then_some(fields)
}

/// The records of the lines (`(offset, line)`, parsed as `fields`) in the order `order`,
/// each note's and folder's name appended to `names`, from the nearest of `folders` above.
fn records(
    order: &[usize],
    lines: &[(usize, &str)],
    fields: &[manifest::Fields],
    folders: &[&str],
    names: &mut Vec<u8>,
) -> Option<Vec<u8>> {
    let index: rustc_hash::FxHashMap<&str, u16> = (folders.iter().enumerate())
        .map(|(i, &d)| Some((d, u16::try_from(i).ok()?)))
        .collect::<Option<_>>()?;
    let mut records = Vec::with_capacity(lines.len() * RECORD);
    for &i in order {
        let (f, offset) = (&fields[i], lines[i].0);
        let (name, folder) = match f.kind {
            b'f' | b'd' | b'D' if anchors::plain(f.key) => {
                let (folder, rest) = folder_of(&index, f.key);
                let at = u32::try_from(names.len()).ok()?;
                let rest = if rest.is_empty() { "." } else { rest };
                names.extend_from_slice(rest.as_bytes());
                names.push(0);
                (at, folder)
            }
            _ => (TEXT, ROOT),
        };
        let hash = if f.kind == b'f' { key_hash(f.key) } else { 0 };
        records.extend_from_slice(&f.a.to_le_bytes());
        records.extend_from_slice(&f.b.to_le_bytes());
        records.extend_from_slice(&u32::try_from(offset).ok()?.to_le_bytes());
        records.extend_from_slice(&name.to_le_bytes());
        records.extend_from_slice(&folder.to_le_bytes());
        records.extend_from_slice(&[f.kind, 0]);
        records.extend_from_slice(&hash.to_le_bytes());
    }
    Some(records)
}

/// The nearest folder of `index` strictly above key `key`, and the rest of the path from
/// it (as `Anchors` resolves a key).
fn folder_of<'k>(index: &rustc_hash::FxHashMap<&str, u16>, key: &'k str) -> (u16, &'k str) {
    let mut end = key.len();
    while let Some(i) = key.as_bytes()[..end].iter().rposition(|&b| b == b'/') {
        if let Some(&folder) = index.get(&key[..i]) {
            return (folder, &key[i + 1..]);
        }
        end = i;
    }
    (ROOT, key)
}

/// A hash of a note's key as written, to find the records a journal line replaces (a
/// stable function of its own: the table outlives the process that wrote it).
fn key_hash(key: &str) -> u32 {
    let h = checksum(key.as_bytes());
    (h ^ (h >> 32)) as u32
}

/// A hash of the first and last 4 KiB of a manifest's text (all of it when shorter), with
/// its length: what ties a table to its manifest.
fn ends_hash(text: &[u8]) -> u64 {
    let n = text.len();
    let head = &text[..n.min(4096)];
    let tail = &text[n.saturating_sub(4096)..];
    checksum(&[head, tail].concat()) ^ n as u64
}

/// A 64-bit hash of `bytes`, four lanes of eight bytes at a time (MDN's table, ~1.5 MB,
/// in ~0.1 ms), to tell a whole table from a torn or foreign one.
fn checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut lanes = [K, K.rotate_left(16), K.rotate_left(32), K.rotate_left(48)];
    let mix = |h: u64, w: u64| (h.rotate_left(23) ^ w).wrapping_mul(0x2127_599B_F432_5C37);
    let mut blocks = bytes.chunks_exact(32);
    for block in blocks.by_ref() {
        for (n, lane) in lanes.iter_mut().enumerate() {
            *lane = mix(*lane, le64(block, n * 8));
        }
    }
    for (n, &byte) in blocks.remainder().iter().enumerate() {
        lanes[n % 4] = mix(lanes[n % 4], u64::from(byte) | 0x100);
    }
    lanes
        .iter()
        .fold(bytes.len() as u64, |h, &lane| mix(h, lane))
}

/// A table read from its bytes, checked whole against the manifest text it covers.
struct Table<'t> {
    base: usize,
    folders: &'t [u8],
    records: &'t [u8],
    names: &'t [u8],
    notes: usize,
    unsettled: bool,
}

impl<'t> Table<'t> {
    /// The table in `bytes`, when it is whole and of the manifest `text`.
    fn read(bytes: &'t [u8], text: &[u8]) -> Option<Table<'t>> {
        let word = |at: usize| usize::try_from(le64(bytes, at)).ok();
        if bytes.len() < HEAD || bytes[..16] != MAGIC[..] {
            return None;
        }
        let (base, records, folders, names) = (word(16)?, word(24)?, word(32)?, word(40)?);
        let folder_end = HEAD.checked_add(folders.checked_mul(FOLDER)?)?;
        let record_end = folder_end.checked_add(records.checked_mul(RECORD)?)?;
        let end = record_end.checked_add(names)?;
        if end.checked_add(8)? != bytes.len() || names == 0 || bytes[end - 1] != 0 {
            return None;
        }
        if le64(bytes, end) != checksum(&bytes[..end]) {
            return None;
        }
        let covered = text.get(..base)?;
        if !covered.ends_with(b"\n") || le64(bytes, 48) != ends_hash(covered) {
            return None;
        }
        Some(Table {
            base,
            folders: &bytes[HEAD..folder_end],
            records: &bytes[folder_end..record_end],
            names: &bytes[record_end..end],
            notes: le32(bytes, 56) as usize,
            unsettled: le32(bytes, 60) & UNSETTLED != 0,
        })
    }

    /// Records in the table.
    fn len(&self) -> usize {
        self.records.len() / RECORD
    }

    /// Record `i` (below [`Table::len`]).
    fn record(&self, i: usize) -> Record {
        let r = &self.records[i * RECORD..(i + 1) * RECORD];
        Record {
            a: le64(r, 0),
            b: le64(r, 8),
            line: le32(r, 16) as usize,
            name: le32(r, 20),
            folder: u16::from_le_bytes([r[24], r[25]]),
            kind: r[26],
            hash: le32(r, 28),
        }
    }

    /// The keys of the folders records are `stat`ed from, in order.
    fn folder_keys(&self) -> Option<Vec<&'t str>> {
        (self.folders.chunks_exact(FOLDER))
            .map(|f| {
                let (at, len) = (le32(f, 0) as usize, le32(f, 4) as usize);
                std::str::from_utf8(self.names.get(at..at.checked_add(len)?)?).ok()
            })
            .collect()
    }

    /// Where the name at `at` in the names starts: it ends at the next NUL byte, which
    /// there is (the names end with one, [`Table::read`]).
    fn name(&self, at: u32) -> Option<*const libc::c_char> {
        Some(self.names.get(at as usize..)?.as_ptr().cast())
    }
}

/// One record: what its line records (`a`, `b` as `manifest::Fields` has them), where the
/// line starts, its name's offset ([`TEXT`]: none), its folder ([`ROOT`]: the notes
/// folder), its kind (`f`, `d`, `D`, `i`, `I`) and, for a note, its key's hash.
struct Record {
    a: u64,
    b: u64,
    line: usize,
    name: u32,
    folder: u16,
    kind: u8,
    hash: u32,
}

/// The little-endian `u64` at `at` of `bytes` (0 past the end).
fn le64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    if let Some(b) = bytes.get(at..at + 8) {
        word.copy_from_slice(b);
    }
    u64::from_le_bytes(word)
}

/// The little-endian `u32` at `at` of `bytes` (0 past the end).
fn le32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    if let Some(b) = bytes.get(at..at + 4) {
        word.copy_from_slice(b);
    }
    u32::from_le_bytes(word)
}

/// [`manifest::observe`] through the table beside the manifest `name` (its committed bytes
/// `text`) in `generation`; `None` when there is no table fit to use, or the text is not a
/// manifest (the caller reads the text then). Only the lines read are checked as UTF-8.
pub fn observe(generation: &Path, name: &str, text: &[u8], root: &Path) -> Option<Observed> {
    let mapped = manifest::map(&generation.join(name_of(name)))?;
    let table = Table::read(&mapped, text)?;
    let mut listed = manifest::header(line_at(text, 0)?)?;
    let mut journal = Vec::new();
    for line in manifest::lines_of(std::str::from_utf8(&text[table.base..]).ok()?) {
        match line.strip_prefix('+')? {
            "u" => listed = false,
            entry => journal.push(entry),
        }
    }
    let entries = journal.len();
    let (last, kept) = manifest::last_entries(journal);
    let anchors = Anchors::with(root, &table.folder_keys()?);
    let replaced = replaced(&table, text, &last);
    let mut differing = differing(&table, text, root, &anchors, &replaced)?;
    for line in &kept {
        if !manifest::same(line, root, &anchors)? {
            differing.push(line);
        }
    }
    let summary = Summary {
        source: format!("{name}#{}", text.len()),
        listed,
        unsettled: table.unsettled || kept.iter().any(|l| l.starts_with(['D', 'I'])),
        notes: table.notes - replaced.len() + kept.iter().filter(|l| l.starts_with("f\t")).count(),
        journal: entries,
        lines: table.len() + entries + 1,
    };
    manifest::finish(summary, &differing, root, &anchors)
}

/// The line of `text` that starts at `offset`, as [`manifest::lines_of`] gives it; `None`
/// past the end, or when it is not UTF-8.
fn line_at(text: &[u8], offset: usize) -> Option<&str> {
    let rest = text.get(offset..)?;
    let line = memchr::memchr(b'\n', rest).map_or(rest, |end| &rest[..end]);
    let line = std::str::from_utf8(line).ok()?;
    Some(line.strip_suffix('\r').unwrap_or(line))
}

/// The records (indexes, sorted) of the notes whose last journal entry is in `last`.
fn replaced(table: &Table, text: &[u8], last: &rustc_hash::FxHashMap<&str, &str>) -> Vec<usize> {
    if last.is_empty() {
        return Vec::new();
    }
    let hashes: rustc_hash::FxHashSet<u32> = last.keys().map(|k| key_hash(k)).collect();
    (0..table.len())
        .filter(|&i| {
            let r = table.record(i);
            r.kind == b'f'
                && hashes.contains(&r.hash)
                && line_at(text, r.line)
                    .is_some_and(|line| last.contains_key(manifest::key_of(line)))
        })
        .collect()
}

/// The lines (in file order) of the records that do not hold, the `replaced` ones left
/// out; `None` when a record is out of place in `text`, or a line does not parse.
#[cfg(target_os = "linux")]
fn differing<'x>(
    table: &Table,
    text: &'x [u8],
    root: &Path,
    anchors: &Anchors,
    replaced: &[usize],
) -> Option<Vec<&'x str>> {
    let folders = table.folder_keys()?;
    let handles: Vec<Option<std::os::fd::RawFd>> =
        folders.iter().map(|&k| anchors.handle(Some(k))).collect();
    let root_fd = anchors.handle(None)?;
    let check = |i: usize| -> Option<Result<usize, ()>> {
        if replaced.binary_search(&i).is_ok() {
            return None;
        }
        let r = table.record(i);
        let handle = match r.folder {
            ROOT => Some(root_fd),
            n => handles.get(usize::from(n)).copied().flatten(),
        };
        let same = match (handle, table.name(r.name)) {
            (Some(fd), Some(name)) if r.name != TEXT => {
                // SAFETY: `name` is in the names, which end with a NUL byte.
                let meta = unsafe { anchors::stat_raw(fd, name) };
                match r.kind {
                    b'f' => {
                        Some(meta.is_some_and(|m| m.stat.mtime_ns == r.b && m.stat.size == r.a))
                    }
                    _ => Some(meta.is_some_and(|m| m.stamp == r.a)),
                }
            }
            // An ignore file, an escaped key, a folder that did not open: by the text.
            _ => line_at(text, r.line).and_then(|l| manifest::same(l, root, anchors)),
        };
        match same {
            Some(true) => None,
            Some(false) => Some(Ok(r.line)),
            None => Some(Err(())),
        }
    };
    let mut offsets = manifest::changed(table.len(), check).ok()?;
    offsets.sort_unstable();
    offsets.iter().map(|&at| line_at(text, at)).collect()
}

/// Without folder handles, the table is not used.
#[cfg(not(target_os = "linux"))]
fn differing<'x>(
    _table: &Table,
    _text: &'x [u8],
    _root: &Path,
    _anchors: &Anchors,
    _replaced: &[usize],
) -> Option<Vec<&'x str>> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::FileState;
    use crate::notes;

    /// A notes folder with folders holding several folders (each `stat`ed from a handle),
    /// a name that is escaped in a manifest and an ignore file.
    fn notes_folder() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for rel in [
            "a.md",
            "b/x/n.md",
            "b/y/n.md",
            "b/z/deep/n.md",
            "c/n.md",
            "tab\tname.md",
        ] {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, format!("**{rel}**: a note.\n")).unwrap();
        }
        std::fs::write(root.join(".gitignore"), "*.tmp\n").unwrap();
        dir
    }

    /// The manifest of `root` as a walk sees it now, as its file holds it.
    fn manifest_of(root: &Path) -> String {
        manifest::walked(root, &"h".repeat(64)).render()
    }

    /// The journal line of note `rel` as it is now.
    fn journal_line(root: &Path, rel: &str) -> String {
        let meta = std::fs::metadata(root.join(rel)).unwrap();
        let mut files = std::collections::BTreeMap::new();
        let state = FileState {
            size: meta.len(),
            mtime_ns: notes::mtime_ns(&meta),
            hash: "j".repeat(64),
        };
        files.insert(rel.to_string(), state);
        manifest::journal_lines(&files, true)
    }

    /// What the table and the text each see of `text` (the table in `generation`).
    fn both(generation: &Path, text: &str, root: &Path) -> (String, String) {
        let table = observe(generation, "m.tsv", text.as_bytes(), root).expect("the table is used");
        let by_text = manifest::observe("m.tsv", text, root).unwrap();
        (format!("{table:?}"), format!("{by_text:?}"))
    }

    #[test]
    fn the_table_sees_what_the_text_sees() {
        let notes = notes_folder();
        let root = notes.path();
        let generation = tempfile::tempdir().unwrap();
        let base = manifest_of(root);
        write(generation.path(), "m.tsv", &base);
        let table = std::fs::read(generation.path().join(name_of("m.tsv"))).unwrap();
        assert!(
            Table::read(&table, base.as_bytes())
                .unwrap()
                .folder_keys()
                .unwrap()
                == ["b"]
        );
        let (a, b) = both(generation.path(), &base, root);
        assert_eq!(a, b);
        assert!(a.contains("unchanged: true"), "{a}");
        // An edit in place, then a journal line recording it, twice, then `+u`.
        std::fs::write(root.join("b/x/n.md"), "**N**: longer now.\n").unwrap();
        let (a, b) = both(generation.path(), &base, root);
        assert_eq!(a, b);
        assert!(
            a.contains("unchanged: false") && a.contains("b/x/n.md"),
            "{a}"
        );
        let journaled = format!("{base}{}", journal_line(root, "b/x/n.md"));
        let (a, b) = both(generation.path(), &journaled, root);
        assert_eq!(a, b);
        assert!(
            a.contains("unchanged: true") && a.contains("journal: 1"),
            "{a}"
        );
        std::fs::write(root.join("a.md"), "**A**: edited.\n").unwrap();
        let twice = format!("{journaled}{}+u\n", journal_line(root, "b/x/n.md"));
        assert_eq!(
            both(generation.path(), &twice, root).0,
            both(generation.path(), &twice, root).1
        );
        // A note added, one removed, an escaped name edited, the ignore file changed.
        std::fs::write(root.join("b/z/new.md"), "**New**: note.\n").unwrap();
        std::fs::remove_file(root.join("c/n.md")).unwrap();
        std::fs::write(root.join("tab\tname.md"), "**T**: edited too.\n").unwrap();
        std::fs::write(root.join(".gitignore"), "*.bak\n").unwrap();
        for text in [&base, &journaled, &twice] {
            let (a, b) = both(generation.path(), text, root);
            assert_eq!(a, b);
            for changed in ["b/z", "\"c\"", "c/n.md", "tab\\tname.md", ".gitignore"] {
                assert!(a.contains(changed), "{changed} {a}");
            }
        }
    }

    #[test]
    fn a_torn_damaged_or_foreign_table_is_not_used() {
        let notes = notes_folder();
        let root = notes.path();
        let base = manifest_of(root);
        let table = build(&base).unwrap();
        assert!(Table::read(&table, base.as_bytes()).is_some());
        // Cut short anywhere, or one bit flipped anywhere.
        for len in 0..table.len() {
            assert!(
                Table::read(&table[..len], base.as_bytes()).is_none(),
                "{len}"
            );
        }
        for at in 0..table.len() {
            let mut bad = table.clone();
            bad[at] ^= 4;
            assert!(Table::read(&bad, base.as_bytes()).is_none(), "{at}");
        }
        // The table of another manifest: one note's time differs in the last line.
        std::fs::write(root.join("tab\tname.md"), "**T**: edited.\n").unwrap();
        let other = manifest_of(root);
        assert_ne!(other, base);
        assert!(Table::read(&build(&other).unwrap(), base.as_bytes()).is_none());
        // A manifest cut before the table's end, or not ending a line there.
        assert!(Table::read(&table, &base.as_bytes()[..base.len() - 1]).is_none());
        // A missing table, or text after the table's end that is not journal lines: the
        // text is read instead.
        let generation = tempfile::tempdir().unwrap();
        assert!(observe(generation.path(), "m.tsv", base.as_bytes(), root).is_none());
        std::fs::write(generation.path().join(name_of("m.tsv")), &table).unwrap();
        assert!(observe(generation.path(), "m.tsv", base.as_bytes(), root).is_some());
        let appended = format!("{base}d\t5\tb\n");
        assert!(observe(generation.path(), "m.tsv", appended.as_bytes(), root).is_none());
        // No table for text that holds a journal line, or a field after a key.
        assert!(build(&format!("{base}+u\n")).is_none());
        assert!(build(&format!("{base}d\t5\tb\textra\n")).is_none());
    }

    #[test]
    fn an_index_run_writes_a_table_with_its_manifest_and_removes_the_old_ones() {
        let dir = tempfile::tempdir().unwrap();
        let (notes, index) = (dir.path().join("notes"), dir.path().join("index"));
        std::fs::create_dir(&notes).unwrap();
        std::fs::write(notes.join("a.md"), "**Alpha**: First letter.\n").unwrap();
        let files = |index: &Path| -> Vec<String> {
            let generation = std::fs::read_dir(index)
                .unwrap()
                .flatten()
                .find(|e| e.path().is_dir())
                .unwrap()
                .path();
            let mut names: Vec<String> = std::fs::read_dir(generation)
                .unwrap()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("gloss-manifest-") || n.starts_with(PREFIX))
                .collect();
            names.sort();
            names
        };
        let run = || {
            crate::index::refresh(&notes, &index, crate::index::Refresh::Incremental, true).unwrap()
        };
        run();
        let unsettled = files(&index);
        assert_eq!(unsettled.len(), 2, "{unsettled:?}");
        assert_eq!(unsettled[1], name_of(&unsettled[0]));
        // Once the folder's stamp is old enough to vouch for, a run writes the manifest
        // whole again, and the last one's table goes with it.
        std::thread::sleep(std::time::Duration::from_millis(2100));
        run();
        let first = files(&index);
        assert_eq!(first.len(), 2, "{first:?}");
        assert_ne!(first, unsettled);
        assert_eq!(first[1], name_of(&first[0]));
        // A note edited in place: the manifest is appended to, and its table still used.
        std::fs::write(notes.join("a.md"), "**Alpha**: First letter, edited.\n").unwrap();
        run();
        assert_eq!(files(&index), first);
        let (store, _) = crate::index::open(&index).unwrap();
        let store = store.unwrap();
        let manifest = std::fs::read(store.generation.join(&first[0])).unwrap();
        let text = manifest::committed(&manifest, store.payload.manifest_len).unwrap();
        let seen = observe(&store.generation, &first[0], text, &notes).unwrap();
        assert!(seen.seen.unchanged && seen.journal == 1);
        // A note added: the manifest is written whole under a new name, with its table.
        std::fs::write(notes.join("b.md"), "**Beta**: Second letter.\n").unwrap();
        run();
        let second = files(&index);
        assert_eq!(second.len(), 2, "{second:?}");
        assert_ne!(second, first);
        assert_eq!(second[1], name_of(&second[0]));
    }
}
