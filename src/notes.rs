//! Notes on disk: find the markdown files of a notes folder and read them, read-only.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::error::{Error, Result};

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

/// What a walk of the notes folder saw: the notes, and the modification times of every
/// folder and ignore file, so a later run can tell "nothing changed" from a few `stat`s
/// (a note added, removed or renamed changes its folder's time) without walking again.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    /// Markdown files, sorted by relative path.
    pub files: Vec<NoteFile>,
    /// Folders (relative, `""` for the root) and their modification times.
    pub dirs: Vec<(String, u64)>,
    /// `.gitignore` and `.ignore` files (relative) and their modification times.
    pub ignores: Vec<(String, u64)>,
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

/// [`walk`], also recording folder and ignore-file times (see [`Tree`]).
pub fn walk_tree(root: &Path) -> Result<Tree> {
    if !root.is_dir() {
        return Err(Error::ContentMissing(root.to_path_buf()));
    }
    let mut tree = Tree::default();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .git_ignore(true)
        .git_exclude(false)
        .git_global(false)
        .require_git(false)
        .follow_links(true)
        .build();
    for entry in walker {
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
                tree.dirs.push((rel.clone(), mtime_ns(&meta)));
            }
            for name in [".gitignore", ".ignore"] {
                if let Ok(meta) = std::fs::metadata(entry.path().join(name)) {
                    let path = if rel.is_empty() {
                        name.to_string()
                    } else {
                        format!("{rel}/{name}")
                    };
                    tree.ignores.push((path, mtime_ns(&meta)));
                }
            }
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

/// `path` relative to `root` with `/` separators.
pub fn relative(path: &Path, root: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads one note. A binary file is skipped (`Ok(None)` and a warning); invalid UTF-8 is
/// replaced with a warning; a leading BOM is dropped. The file is only ever opened to read.
pub fn read(file: &NoteFile, warnings: &mut Vec<Warning>) -> Option<Note> {
    let bytes = match std::fs::read(&file.abs) {
        Ok(bytes) => bytes,
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

/// Decodes note bytes: see [`read`].
pub fn decode(rel: &str, bytes: Vec<u8>, warnings: &mut Vec<Warning>) -> Option<String> {
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        warnings.push(Warning {
            file: rel.to_string(),
            message: "skipped: looks like a binary file, not markdown".to_string(),
        });
        return None;
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    Some(match std::str::from_utf8(body) {
        Ok(text) => text.to_string(),
        Err(err) => {
            warnings.push(Warning {
                file: rel.to_string(),
                message: format!(
                    "invalid UTF-8 at byte {}; read with replacement characters",
                    err.valid_up_to()
                ),
            });
            String::from_utf8_lossy(body).into_owned()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
