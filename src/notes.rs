//! Notes on disk: find the markdown files of a notes folder and read them, read-only.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::error::{Error, Result};

mod rewalk;

pub use rewalk::{rewalk, Previous, Seen, Stat};

/// The ignore files a walk honours in each folder.
const IGNORE_FILES: [&str; 2] = [".gitignore", ".ignore"];

/// A problem with one file that did not stop the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The file, relative to the notes folder (or as given, when outside it).
    pub file: String,
    /// What was wrong and what gloss did about it.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

/// A markdown file found in the notes folder, with what is needed to tell if it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteFile {
    /// Path relative to the notes folder, with `/` separators: the `file` of every hit.
    pub rel: String,
    /// Path to open.
    pub abs: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds since the Unix epoch (0 when unknown).
    pub mtime_ns: u64,
}

/// The text of a note, decoded.
#[derive(Debug, Clone)]
pub struct Note {
    /// Path relative to the notes folder.
    pub rel: String,
    /// The text, BOM removed, invalid UTF-8 replaced.
    pub text: String,
}

/// True for the file names gloss reads: `.md` and `.markdown`, any case.
pub fn is_markdown(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
}

/// Lists the markdown files under `root`, honouring `.gitignore` and skipping hidden
/// folders, sorted by relative path. Unreadable entries become warnings.
pub fn walk(root: &Path) -> Result<(Vec<NoteFile>, Vec<Warning>)> {
    let tree = walk_tree(root)?;
    Ok((tree.files, tree.warnings))
}

/// What a walk of the notes folder saw: the notes, the stamps of every folder
/// ([`dir_stamp`]) and the modification times of every ignore file, so a later run can tell
/// "nothing changed" from a few `stat`s (a note added, removed or renamed changes its
/// folder's stamp) and list again only the folders that changed ([`rewalk`]).
#[derive(Debug, Clone, Default)]
pub struct Tree {
    /// Markdown files, sorted by relative path.
    pub files: Vec<NoteFile>,
    /// Folders (relative, `""` for the root) and their stamps ([`dir_stamp`]).
    pub dirs: Vec<(String, u64)>,
    /// `.gitignore` and `.ignore` files (relative) and their modification times.
    pub ignores: Vec<(String, u64)>,
    /// Folders and ignore files whose stamp or time was too recent to vouch for what the
    /// walk saw (see [`RACY_NS`]): the next run lists those folders again, and walks the
    /// whole folder again for such an ignore file.
    pub unsettled: std::collections::BTreeSet<String>,
    /// Entries that could not be read.
    pub warnings: Vec<Warning>,
}

/// Modification time in nanoseconds since the epoch, 0 when unknown.
pub fn mtime_ns(meta: &std::fs::Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64)
}

/// A folder's stamp: its change time in nanoseconds (its modification time off Unix). It
/// moves when an entry is added, removed or renamed in the folder, and also when the
/// folder's permissions change (which its modification time does not show), so a folder
/// whose stamp did not move lists the same entries as when it was last listed.
pub fn dir_stamp(meta: &std::fs::Metadata) -> u64 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let secs = u64::try_from(meta.ctime()).unwrap_or(0);
        let nanos = u64::try_from(meta.ctime_nsec()).unwrap_or(0);
        secs.saturating_mul(1_000_000_000).saturating_add(nanos)
    }
    #[cfg(not(unix))]
    {
        mtime_ns(meta)
    }
}

/// How close to the start of a walk a folder's stamp (or an ignore file's time) may be
/// before the walk cannot vouch for its listing: an entry added in the same clock tick as a
/// change the walk saw would leave the stamp where it was (file systems stamp times with a
/// coarse clock, some to the second). Such folders are [`Tree::unsettled`] and listed again
/// by the next run whatever their stamp.
pub const RACY_NS: u64 = 2_000_000_000;

/// When a walk started, to tell which stamps are too recent to vouch for a listing.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    since: u64,
    margin: u64,
}

impl Clock {
    /// A walk starting now; stamps within `margin` ns of now are unsettled ([`RACY_NS`];
    /// tests use a short one).
    pub fn start(margin: u64) -> Clock {
        let since = std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Clock { since, margin }
    }

    /// True when `stamp` is too close to the start of the walk to vouch for its listing.
    pub fn unsettled(&self, stamp: u64) -> bool {
        stamp.saturating_add(self.margin) > self.since
    }
}

/// The walk of a notes folder: `.gitignore` and `.ignore` honoured (also those in the
/// folders above it), hidden folders skipped, symlinks followed.
pub fn walker(root: &Path) -> ignore::WalkBuilder {
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .hidden(true)
        .git_ignore(true)
        .git_exclude(false)
        .git_global(false)
        .require_git(false)
        .follow_links(true);
    builder
}

/// Ignore files of the folders above `root`, which the walk honours too: each present one
/// with its time, each absent one with [`ABSENT`] (so creating one is noticed as well).
fn parent_ignores(root: &Path) -> Vec<(String, u64)> {
    let Ok(base) = std::fs::canonicalize(root) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for parent in base.ancestors().skip(1) {
        for name in IGNORE_FILES {
            let path = parent.join(name);
            let time = std::fs::metadata(&path).map_or(ABSENT, |m| mtime_ns(&m));
            out.push((path.to_string_lossy().into_owned(), time));
        }
    }
    out
}

/// The time recorded for an ignore file that does not exist.
pub const ABSENT: u64 = u64::MAX;

/// [`walk`], also recording folder and ignore-file times (see [`Tree`]).
pub fn walk_tree(root: &Path) -> Result<Tree> {
    walk_tree_with(root, RACY_NS)
}

/// [`walk_tree`] with the margin of [`Clock`] given (tests use a short one).
pub fn walk_tree_with(root: &Path, margin: u64) -> Result<Tree> {
    let clock = Clock::start(margin);
    if !root.is_dir() {
        return Err(Error::ContentMissing(root.to_path_buf()));
    }
    let mut tree = Tree {
        ignores: parent_ignores(root),
        ..Tree::default()
    };
    for entry in walker(root).build() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                tree.warnings.push(Warning {
                    file: error_path(&err, root),
                    message: format!("skipped: {}", one_line(&err.to_string())),
                });
                continue;
            }
        };
        let rel = relative(entry.path(), root);
        if entry.file_type().is_some_and(|t| t.is_dir()) {
            if let Ok(meta) = entry.metadata() {
                tree.dirs.push((rel.clone(), dir_stamp(&meta)));
            }
            tree.ignores
                .extend(rewalk::ignore_files(entry.path(), &rel));
            continue;
        }
        if !entry.file_type().is_some_and(|t| t.is_file()) || !is_markdown(entry.path()) {
            continue;
        }
        match entry.metadata() {
            Ok(meta) => tree.files.push(NoteFile {
                rel,
                abs: entry.path().to_path_buf(),
                size: meta.len(),
                mtime_ns: mtime_ns(&meta),
            }),
            Err(err) => tree.warnings.push(Warning {
                file: rel,
                message: format!("skipped: {}", one_line(&err.to_string())),
            }),
        }
    }
    tree.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    tree.unsettled = tree
        .dirs
        .iter()
        .chain(&tree.ignores)
        .filter(|(_, t)| *t != ABSENT && clock.unsettled(*t))
        .map(|(rel, _)| rel.clone())
        .collect();
    Ok(tree)
}

fn error_path(err: &ignore::Error, root: &Path) -> String {
    fn find(err: &ignore::Error) -> Option<&Path> {
        match err {
            ignore::Error::WithPath { path, .. } => Some(path),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                find(err)
            }
            ignore::Error::Loop { child, .. } => Some(child),
            _ => None,
        }
    }
    find(err).map_or_else(|| root.display().to_string(), |p| relative(p, root))
}

/// `path` relative to `root` with `/` separators: the key of a note in the index. A name
/// that is not UTF-8 keeps its other bytes as `\xNN` (and a `\\` stands for a backslash),
/// so two names differing only in such bytes stay two notes; [`rel_path`] reverses it.
pub fn relative(path: &Path, root: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    // The usual key, `a/b/c.md`, is the path as it is: no component to drop or encode.
    if let Some(plain) = rel.to_str().filter(|s| is_plain_relative(s)) {
        return plain.to_string();
    }
    let parts: Vec<String> = rel
        .components()
        .map(|c| encode_name(c.as_os_str()))
        .collect();
    parts.join("/")
}

/// Whether the relative path `s` is its own key: components joined by single `/` that
/// [`Path::components`] keeps as they are (no empty or `.` one past the first, no
/// leading or trailing `/`) and [`encode_name`] does not change (no `\\`).
fn is_plain_relative(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('/')
        && !s.ends_with('/')
        && !s.ends_with("/.")
        && !s.contains("//")
        && !s.contains("/./")
        && !s.contains('\\')
}

#[cfg(unix)]
fn encode_name(name: &std::ffi::OsStr) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::with_capacity(name.len());
    for chunk in name.as_bytes().utf8_chunks() {
        out.push_str(&chunk.valid().replace('\\', "\\\\"));
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

#[cfg(not(unix))]
fn encode_name(name: &std::ffi::OsStr) -> String {
    name.to_string_lossy().into_owned()
}

/// The file a note key made by [`relative`] names, under `root`.
#[cfg(unix)]
pub fn rel_path(root: &Path, rel: &str) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let mut bytes = Vec::with_capacity(rel.len());
    let mut rest = rel.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        match rest {
            [b'\\', tail @ ..] => {
                bytes.push(b'\\');
                rest = tail;
            }
            [b'x', h, l, tail @ ..] => match std::str::from_utf8(&[*h, *l])
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            {
                Some(v) => {
                    bytes.push(v);
                    rest = tail;
                }
                None => bytes.push(b),
            },
            _ => bytes.push(b),
        }
    }
    root.join(std::ffi::OsStr::from_bytes(&bytes))
}

/// The file a note key made by [`relative`] names, under `root`.
#[cfg(not(unix))]
pub fn rel_path(root: &Path, rel: &str) -> PathBuf {
    root.join(rel)
}

/// A file name as it can be shown on one line: lossy UTF-8, controls escaped.
pub fn printable_name(name: &std::ffi::OsStr) -> String {
    name.to_string_lossy()
        .chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads one note. A binary file is skipped (`Ok(None)` and a warning); invalid UTF-8 is
/// replaced with a warning; a leading BOM is dropped. The file is only ever opened to read.
pub fn read(file: &NoteFile, warnings: &mut Vec<Warning>) -> Option<Note> {
    let bytes = match load(&file.abs) {
        Ok(loaded) => loaded.bytes,
        Err(err) => {
            warnings.push(Warning {
                file: file.rel.clone(),
                message: format!("skipped: {}", one_line(&err.to_string())),
            });
            return None;
        }
    };
    decode(&file.rel, bytes, warnings).map(|text| Note {
        rel: file.rel.clone(),
        text,
    })
}

/// How much of a file is read to tell a binary file (a NUL byte in it) from a note.
pub const SNIFF: usize = 8192;

/// A file's bytes as gloss reads them: all of a note, only the first [`SNIFF`] bytes of a
/// binary file (a note that is a symlink to a disk image is not read whole to skip it).
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The bytes read.
    pub bytes: Vec<u8>,
    /// True when the bytes read hold a NUL: a binary file, read no further.
    pub binary: bool,
}

impl Loaded {
    /// BLAKE3 of the bytes read, hex: what the manifest records for the file.
    pub fn hash(&self) -> String {
        blake3::hash(&self.bytes).to_hex().to_string()
    }
}

/// Reads a file as a note (see [`Loaded`]), opened read-only.
pub fn load(path: &Path) -> std::io::Result<Loaded> {
    load_sized(path, 0)
}

/// [`load`] of a file the walk saw `size` bytes long: the buffer is made that size at
/// once, and the file is read to its end without asking its size again (a `statx` and an
/// `lseek` per note). A file that grew since is read whole all the same.
pub fn load_sized(path: &Path, size: u64) -> std::io::Result<Loaded> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    // One byte more than the size, to meet the end; a binary file's size is not trusted.
    let expected = usize::try_from(size).unwrap_or(0).saturating_add(1);
    let mut bytes = Vec::with_capacity(expected.min(SNIFF));
    (&mut file).take(SNIFF as u64).read_to_end(&mut bytes)?;
    if bytes.contains(&0) {
        return Ok(Loaded {
            bytes,
            binary: true,
        });
    }
    // Fewer bytes than asked for: the end was met. Else the rest, through `take`:
    // `File::read_to_end` would ask the file's size and position first.
    if bytes.len() == SNIFF {
        // As `File::read_to_end` would: no memory for it is an error, not an abort.
        bytes
            .try_reserve_exact(expected.saturating_sub(SNIFF))
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::OutOfMemory, e))?;
        (&mut file).take(u64::MAX).read_to_end(&mut bytes)?;
    }
    Ok(Loaded {
        bytes,
        binary: false,
    })
}

/// Decodes note bytes: see [`read`].
pub fn decode(rel: &str, mut bytes: Vec<u8>, warnings: &mut Vec<Warning>) -> Option<String> {
    let head = &bytes[..bytes.len().min(SNIFF)];
    if head.contains(&0) {
        warnings.push(Warning {
            file: rel.to_string(),
            message: "skipped: looks like a binary file, not markdown".to_string(),
        });
        return None;
    }
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    // The bytes become the text in place, without a copy.
    Some(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            warnings.push(Warning {
                file: rel.to_string(),
                message: format!(
                    "invalid UTF-8 at byte {}; read with replacement characters",
                    err.utf8_error().valid_up_to()
                ),
            });
            String::from_utf8_lossy(err.as_bytes()).into_owned()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_relative_path_is_its_own_key_and_others_go_through_components() {
        let root = Path::new("/notes");
        let by_components = |rel: &str| {
            Path::new(rel)
                .components()
                .map(|c| encode_name(c.as_os_str()))
                .collect::<Vec<_>>()
                .join("/")
        };
        for rel in [
            "a.md",
            "a/b/c.md",
            "./a.md",
            "a/./b.md",
            "a//b.md",
            "a/b/",
            "a/.",
            "..",
            "../x.md",
            "a\\b.md",
            ".hidden/x.md",
            "a/.b/c.md",
            "",
        ] {
            let path = root.join(rel);
            let want = by_components(path.strip_prefix(root).unwrap().to_str().unwrap());
            assert_eq!(relative(&path, root), want, "{rel:?}");
        }
        assert_eq!(
            relative(Path::new("/elsewhere/a.md"), root),
            "//elsewhere/a.md"
        );
    }

    #[test]
    fn bom_is_dropped() {
        let mut w = Vec::new();
        assert_eq!(
            decode("a.md", b"\xEF\xBB\xBFhi".to_vec(), &mut w).unwrap(),
            "hi"
        );
        assert!(w.is_empty());
    }

    #[test]
    fn invalid_utf8_is_read_lossily_with_a_warning() {
        let mut w = Vec::new();
        let text = decode("bad.md", b"caf\xE9 ok".to_vec(), &mut w).unwrap();
        assert_eq!(text, "caf\u{FFFD} ok");
        assert_eq!(w.len(), 1);
        assert!(w[0]
            .to_string()
            .starts_with("bad.md: invalid UTF-8 at byte 3"));
    }

    #[test]
    fn binary_is_skipped_with_a_warning() {
        let mut w = Vec::new();
        assert!(decode("x.md", b"PK\x03\x04\x00\x00".to_vec(), &mut w).is_none());
        assert!(w[0].message.contains("binary"));
    }
}
