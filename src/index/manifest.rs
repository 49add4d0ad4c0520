//! The manifest of a commit: what was indexed (each note's size, time and content hash) and
//! what the walk saw (folder stamps, ignore-file times), in one tab-separated file of one
//! line per note, folder and ignore file. The freshness check of a query reads it as it is
//! (a `stat` per line, no map built); a refresh parses it whole. Lines, not JSON: MDN's
//! 28k lines parse and print in a few milliseconds.
//!
//! ```text
//! gloss-manifest 2 listed        (or "unlisted": see Manifest::listed)
//! f <size> <mtime ns> <blake3 hex> <note>
//! d <stamp> <folder>               (D: unsettled, see Manifest::unsettled)
//! i <mtime ns, or ABSENT> <ignore file>   (I: unsettled)
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::notes;

/// The first word of the first line of a manifest in this format.
const HEADER: &str = "gloss-manifest 2";

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
    observe("", manifest, root).is_some_and(|seen| seen.unchanged)
}

/// One `stat` per line of the manifest text `manifest` (file `name`), in parallel, instead
/// of a walk: every note, folder and ignore file as it is now, and whether nothing changed
/// since the walk recorded (every note has the same size and time, every folder the same
/// stamp, see [`notes::dir_stamp`], every ignore file the same time, and one that was absent
/// still is). `None` when the text is not a manifest. A refresh that follows uses these
/// stats instead of taking them again ([`notes::Previous::seen`]).
pub fn observe(name: &str, manifest: &str, root: &Path) -> Option<notes::Seen> {
    let mut lines = manifest.lines();
    if !lines.next().is_some_and(|l| l.starts_with(HEADER)) {
        return None;
    }
    let lines: Vec<&str> = lines.collect();
    // Starting the thread pool costs more than a few hundred `stat`s on one thread.
    let looked: Option<Vec<Looked>> = if lines.len() < PARALLEL_FROM {
        lines.iter().map(|line| look(line, root)).collect()
    } else {
        lines.par_iter().map(|line| look(line, root)).collect()
    };
    let mut seen = notes::Seen {
        source: name.to_string(),
        unchanged: true,
        ..notes::Seen::default()
    };
    for l in looked? {
        seen.unchanged &= l.same;
        match l.now {
            Now::File(now) => seen.files.push((l.rel, now)),
            Now::Dir(now) => seen.dirs.push((l.rel, now)),
            Now::Ignore(now) => seen.ignores.push((l.rel, now)),
        }
    }
    sort_keys(&mut seen.files);
    sort_keys(&mut seen.dirs);
    sort_keys(&mut seen.ignores);
    Some(seen)
}

/// Sorts a list by key, unless it already is (a manifest is written sorted).
fn sort_keys<T>(list: &mut [(String, T)]) {
    if !list.is_sorted_by(|a, b| a.0 <= b.0) {
        list.sort_by(|a, b| a.0.cmp(&b.0));
    }
}

/// Manifest lines from which the freshness check `stat`s in parallel.
const PARALLEL_FROM: usize = 1000;

/// One manifest line looked at: its key, what its path holds now, and whether that is what
/// the line recorded.
struct Looked {
    rel: String,
    now: Now,
    same: bool,
}

enum Now {
    File(Option<notes::Stat>),
    Dir(Option<u64>),
    Ignore(u64),
}

/// One manifest line checked against the file or folder it names; `None` when the line
/// does not parse.
fn look(line: &str, root: &Path) -> Option<Looked> {
    let mut parts = line.split('\t');
    let kind = parts.next()?;
    let time: u64 = parts.next()?.parse().ok()?;
    let (size, time) = if kind == "f" {
        let mtime: u64 = parts.next()?.parse().ok()?;
        parts.next();
        (time, mtime)
    } else {
        (0, time)
    };
    let rel = unescape_line(parts.next()?);
    let path = if rel.is_empty() {
        root.to_path_buf()
    } else {
        notes::rel_path(root, &rel)
    };
    let (now, same) = match kind {
        "f" => {
            let now = notes::stat(&path);
            let same = now.is_some_and(|n| n.mtime_ns == time && n.size == size);
            (Now::File(now), same)
        }
        "d" | "D" => {
            let now = std::fs::metadata(path).ok().map(|m| notes::dir_stamp(&m));
            (Now::Dir(now), now == Some(time))
        }
        "i" | "I" => {
            let now = std::fs::metadata(path).map_or(notes::ABSENT, |m| notes::mtime_ns(&m));
            (Now::Ignore(now), now == time)
        }
        _ => return None,
    };
    Some(Looked { rel, now, same })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(Manifest::parse("gloss-manifest 2 listed\nx\t1\ty\n"), None);
    }
}
