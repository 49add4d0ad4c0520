//! The walk of a notes folder done again from what the last walk recorded: `stat` every
//! folder, list again only the folders whose stamp moved (an entry added, removed or
//! renamed in them), walk only folders that are new, and `stat` the notes of the others.
//! A content edit then costs one `stat` per note and per folder, and no listing.
//!
//! Whatever this cannot follow exactly as a full walk would is left to a full walk
//! (`Ok(None)`): an ignore file created, changed or deleted anywhere (its rules may hide or
//! show notes in any folder below it), an entry that cannot be read (a full walk reports
//! it), a folder that is a symbolic link (a full walk checks it for loops), a folder gone
//! whose parent did not change.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rayon::prelude::*;

use super::{dir_stamp, is_markdown, mtime_ns, relative, Clock, NoteFile, Tree, IGNORE_FILES};
use crate::error::{Error, Result};

/// What the last walk recorded, as the index manifest keeps it.
pub struct Previous<'a> {
    /// Notes, relative, sorted or not.
    pub files: Vec<&'a str>,
    /// Folders (relative, `""` for the notes folder) and their stamps ([`dir_stamp`]).
    pub dirs: &'a BTreeMap<String, u64>,
    /// Ignore files and their modification times (absent ones above the notes folder as
    /// [`super::ABSENT`]).
    pub ignores: &'a BTreeMap<String, u64>,
    /// Folders and ignore files whose stamp the last walk could not vouch for
    /// ([`Tree::unsettled`]).
    pub unsettled: &'a BTreeSet<String>,
    /// What a `stat` pass just before saw of these notes, folders and ignore files (the
    /// freshness check of a query): used instead of `stat`ing them again.
    pub seen: Option<&'a Seen>,
}

/// What a path of the last walk holds now, as a `stat` (following links) saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// A regular file.
    pub is_file: bool,
    /// Size in bytes.
    pub size: u64,
    /// Modification time ([`mtime_ns`]).
    pub mtime_ns: u64,
}

/// `stat`s of notes, folders and ignore files the last walk recorded, each list sorted by
/// key, taken beforehand (by the freshness check of a query, which hands what it saw of
/// the paths that changed to the refresh); [`rewalk`] `stat`s the paths not in it.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// The record the paths come from (the index manifest's file name): a refresh uses the
    /// stats only against that same record.
    pub source: String,
    /// Notes and what their paths hold (`None`: gone or unreadable).
    pub files: Vec<(String, Option<Stat>)>,
    /// Folders and their stamps ([`dir_stamp`]; `None`: gone or unreadable).
    pub dirs: Vec<(String, Option<u64>)>,
    /// Ignore files and their times ([`super::ABSENT`] when absent).
    pub ignores: Vec<(String, u64)>,
    /// True when every path is as recorded.
    pub unchanged: bool,
}

impl Seen {
    fn find<T: Copy>(list: &[(String, T)], rel: &str) -> Option<T> {
        list.binary_search_by(|(k, _)| k.as_str().cmp(rel))
            .ok()
            .map(|i| list[i].1)
    }

    /// What note `rel` holds, when it was looked at.
    fn file(&self, rel: &str) -> Option<Option<Stat>> {
        Self::find(&self.files, rel)
    }

    /// The stamp of folder `rel`, when it was looked at.
    fn dir(&self, rel: &str) -> Option<Option<u64>> {
        Self::find(&self.dirs, rel)
    }

    /// The time of ignore file `rel`, when it was looked at.
    fn ignore(&self, rel: &str) -> Option<u64> {
        Self::find(&self.ignores, rel)
    }
}

/// What `path` holds now.
pub fn stat(path: &Path) -> Option<Stat> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stat {
        is_file: meta.is_file(),
        size: meta.len(),
        mtime_ns: mtime_ns(&meta),
    })
}

/// The walk of `root` brought up to date from `prev`, or `Ok(None)` when only a full walk
/// can tell (see the module docs). Same notes, folders and ignore files as
/// [`super::walk_tree`] would find.
pub fn rewalk(root: &Path, prev: &Previous) -> Result<Option<Tree>> {
    rewalk_with(root, prev, super::RACY_NS)
}

/// [`rewalk`] with the margin of [`Clock`] given (tests use a short one).
pub fn rewalk_with(root: &Path, prev: &Previous, margin: u64) -> Result<Option<Tree>> {
    let clock = Clock::start(margin);
    if !root.is_dir() {
        return Err(Error::ContentMissing(root.to_path_buf()));
    }
    if ignores_moved(root, prev) {
        return Ok(None);
    }
    let stamps = stat_dirs(root, prev.dirs, prev.seen);
    let mut next = Next::default();
    for (rel, stamp) in &stamps {
        match stamp {
            Some(s) if prev.dirs.get(rel) == Some(s) && !prev.unsettled.contains(rel) => {}
            Some(_) => next.changed.push(rel.clone()),
            None => {
                next.gone.insert(rel.clone());
            }
        }
    }
    next.dirs = stamps
        .into_iter()
        .filter_map(|(rel, s)| s.map(|s| (rel, s)))
        .collect();
    for rel in std::mem::take(&mut next.changed) {
        if !next.list(root, &rel, prev)? {
            return Ok(None);
        }
        next.changed.push(rel);
    }
    if !next.gone.is_empty() {
        // A folder vanished although its parent lists the same entries.
        return Ok(None);
    }
    next.finish(root, prev, clock)
}

/// True when an ignore file the last walk saw changed or went, or one it found absent
/// (above the notes folder) appeared, or the last walk could not vouch for one.
fn ignores_moved(root: &Path, prev: &Previous) -> bool {
    let ignores: Vec<(&String, &u64)> = prev.ignores.iter().collect();
    ignores.par_iter().any(|(rel, &time)| {
        if prev.unsettled.contains(*rel) {
            return true;
        }
        let now = prev.seen.and_then(|s| s.ignore(rel)).unwrap_or_else(|| {
            std::fs::metadata(folder(root, rel)).map_or(super::ABSENT, |m| mtime_ns(&m))
        });
        now != time
    })
}

/// The stamp of every folder the last walk saw, `None` for those gone: as `seen` has it,
/// else `stat`ed now.
fn stat_dirs(
    root: &Path,
    dirs: &BTreeMap<String, u64>,
    seen: Option<&Seen>,
) -> Vec<(String, Option<u64>)> {
    let look = |rel: &String| {
        let stamp = seen.and_then(|s| s.dir(rel)).unwrap_or_else(|| {
            std::fs::metadata(folder(root, rel))
                .map(|m| dir_stamp(&m))
                .ok()
        });
        (rel.clone(), stamp)
    };
    let rels: Vec<&String> = dirs.keys().collect();
    rels.par_iter().map(|rel| look(rel)).collect()
}

/// The walk as it is being brought up to date.
#[derive(Default)]
struct Next {
    /// Folders and their stamps now.
    dirs: BTreeMap<String, u64>,
    /// Folders listed again.
    changed: Vec<String>,
    /// Folders of the last walk that are gone (each must be under a folder listed again).
    gone: BTreeSet<String>,
    /// Notes found by listing folders again or walking new ones.
    found: Vec<NoteFile>,
    /// Ignore files found in new folders.
    ignores: Vec<(String, u64)>,
}

impl Next {
    /// Lists the folder `rel` again: its notes, its new subfolders walked whole, its
    /// subfolders gone dropped. False when a full walk must decide.
    fn list(&mut self, root: &Path, rel: &str, prev: &Previous) -> Result<bool> {
        if ignore_files_differ(root, rel, prev.ignores) {
            return Ok(false);
        }
        let dir = folder(root, rel);
        let mut present = BTreeSet::new();
        for entry in super::walker(&dir).max_depth(Some(1)).build() {
            let Ok(entry) = entry else {
                return Ok(false);
            };
            if entry.depth() == 0 {
                continue;
            }
            let child = relative(entry.path(), root);
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if entry.path_is_symlink() && (is_dir || entry.path().is_dir()) {
                return Ok(false);
            }
            if is_dir {
                present.insert(child.clone());
                if !prev.dirs.contains_key(&child) && !self.walk_new(root, &child)? {
                    return Ok(false);
                }
                continue;
            }
            if entry.file_type().is_some_and(|t| t.is_file()) && is_markdown(entry.path()) {
                let Ok(meta) = entry.metadata() else {
                    return Ok(false);
                };
                self.found.push(note(child, entry.path(), &meta));
            }
        }
        self.drop_missing_children(rel, &present, prev);
        Ok(true)
    }

    /// Walks a folder the last walk did not see, whole. False when a full walk must decide.
    fn walk_new(&mut self, root: &Path, rel: &str) -> Result<bool> {
        for entry in super::walker(&folder(root, rel)).build() {
            let Ok(entry) = entry else {
                return Ok(false);
            };
            let path = entry.path();
            let child = relative(path, root);
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if entry.path_is_symlink() && (is_dir || path.is_dir()) {
                return Ok(false);
            }
            let Ok(meta) = entry.metadata() else {
                return Ok(false);
            };
            if is_dir {
                self.dirs.insert(child.clone(), dir_stamp(&meta));
                self.ignores.extend(ignore_files(path, &child));
            } else if entry.file_type().is_some_and(|t| t.is_file()) && is_markdown(path) {
                self.found.push(note(child, path, &meta));
            }
        }
        Ok(true)
    }

    /// Forgets the subfolders of `rel` (and all below them) that its listing no longer has.
    fn drop_missing_children(&mut self, rel: &str, present: &BTreeSet<String>, prev: &Previous) {
        let prefix = child_prefix(rel);
        let missing: Vec<String> = prev
            .dirs
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k)
            .filter(|k| {
                let name = &k[prefix.len()..];
                !name.is_empty() && !name.contains('/') && !present.contains(*k)
            })
            .cloned()
            .collect();
        for gone in missing {
            let below = child_prefix(&gone);
            self.gone.retain(|g| *g != gone && !g.starts_with(&below));
            self.dirs
                .retain(|d, _| *d != gone && !d.starts_with(&below));
        }
    }

    /// The tree: notes of unchanged folders `stat`ed again, those listed or walked added.
    fn finish(mut self, root: &Path, prev: &Previous, clock: Clock) -> Result<Option<Tree>> {
        let relisted: BTreeSet<&str> = self.changed.iter().map(String::as_str).collect();
        let keep: Vec<&str> = prev
            .files
            .iter()
            .copied()
            .filter(|f| {
                let parent = parent_of(f);
                !relisted.contains(parent) && self.dirs.contains_key(parent)
            })
            .collect();
        let look = |rel: &&str| {
            let path = folder(root, rel);
            let now = match prev.seen.and_then(|s| s.file(rel)) {
                Some(now) => now?,
                None => stat(&path)?,
            };
            now.is_file.then(|| NoteFile {
                rel: rel.to_string(),
                abs: path,
                size: now.size,
                mtime_ns: now.mtime_ns,
            })
        };
        let kept: Option<Vec<NoteFile>> = keep.par_iter().map(look).collect();
        // A note gone from a folder whose stamp did not move: let a full walk decide.
        let Some(mut files) = kept else {
            return Ok(None);
        };
        files.append(&mut self.found);
        files.sort_by(|a, b| a.rel.cmp(&b.rel));
        files.dedup_by(|a, b| a.rel == b.rel);
        let mut ignores: BTreeMap<String, u64> = prev.ignores.clone();
        ignores.extend(self.ignores);
        let unsettled = self
            .dirs
            .iter()
            .chain(&ignores)
            .filter(|(_, t)| **t != super::ABSENT && clock.unsettled(**t))
            .map(|(rel, _)| rel.clone())
            .collect();
        Ok(Some(Tree {
            files,
            dirs: self.dirs.into_iter().collect(),
            ignores: ignores.into_iter().collect(),
            unsettled,
            warnings: Vec::new(),
        }))
    }
}

fn note(rel: String, path: &Path, meta: &std::fs::Metadata) -> NoteFile {
    NoteFile {
        rel,
        abs: path.to_path_buf(),
        size: meta.len(),
        mtime_ns: mtime_ns(meta),
    }
}

/// The ignore files in folder `path` (relative `rel`) with their times.
pub(super) fn ignore_files(path: &Path, rel: &str) -> Vec<(String, u64)> {
    IGNORE_FILES
        .iter()
        .filter_map(|name| {
            let meta = std::fs::metadata(path.join(name)).ok()?;
            Some((join(rel, name), mtime_ns(&meta)))
        })
        .collect()
}

/// True when folder `rel` holds another set of ignore files than the last walk saw.
fn ignore_files_differ(root: &Path, rel: &str, ignores: &BTreeMap<String, u64>) -> bool {
    let dir = folder(root, rel);
    IGNORE_FILES
        .iter()
        .any(|name| dir.join(name).exists() != ignores.contains_key(&join(rel, name)))
}

/// The path of a folder or file key under `root` (the notes folder itself for `""`).
fn folder(root: &Path, rel: &str) -> std::path::PathBuf {
    if rel.is_empty() {
        root.to_path_buf()
    } else {
        super::rel_path(root, rel)
    }
}

fn join(rel: &str, name: &str) -> String {
    if rel.is_empty() {
        name.to_string()
    } else {
        format!("{rel}/{name}")
    }
}

/// `"a/b/"` for folder `"a/b"`, `""` for the notes folder.
fn child_prefix(rel: &str) -> String {
    if rel.is_empty() {
        String::new()
    } else {
        format!("{rel}/")
    }
}

/// The folder of a note key: `"a/b"` for `"a/b/c.md"`, `""` for `"c.md"`.
fn parent_of(rel: &str) -> &str {
    rel.rfind('/').map_or("", |i| &rel[..i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// Long enough for a file system's coarse clock to move on.
    fn tick() {
        std::thread::sleep(std::time::Duration::from_millis(25));
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    /// A notes folder of three levels, walked whole.
    fn folder_walked() -> (tempfile::TempDir, Tree) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "a.md", "**A**: one.\n");
        write(root, "sub/b.md", "**B**: two.\n");
        write(root, "sub/deep/c.md", "**C**: three.\n");
        write(root, "other/d.markdown", "**D**: four.\n");
        write(root, "other/not-a-note.txt", "no\n");
        let tree = super::super::walk_tree_with(root, 0).unwrap();
        tick();
        (dir, tree)
    }

    /// The walk brought up to date from `before`: `None` when a full walk must decide;
    /// otherwise it must equal a full walk, which is returned.
    fn rewalked(root: &Path, before: &Tree) -> Option<Tree> {
        let dirs: BTreeMap<String, u64> = before.dirs.iter().cloned().collect();
        let ignores: BTreeMap<String, u64> = before.ignores.iter().cloned().collect();
        let seen = seen_now(root, before);
        let prev = |seen| Previous {
            files: before.files.iter().map(|f| f.rel.as_str()).collect(),
            dirs: &dirs,
            ignores: &ignores,
            unsettled: &before.unsettled,
            seen,
        };
        // Stats taken beforehand (a query's freshness check) stand in for the walk's own.
        let with_seen = rewalk_with(root, &prev(Some(&seen)), 0).unwrap();
        let tree = rewalk_with(root, &prev(None), 0).unwrap();
        assert_eq!(
            with_seen.as_ref().map(|t| (&t.files, &t.dirs, &t.ignores)),
            tree.as_ref().map(|t| (&t.files, &t.dirs, &t.ignores))
        );
        let tree = tree?;
        let full = super::super::walk_tree_with(root, 0).unwrap();
        assert_eq!(tree.files, full.files);
        let sorted = |v: &[(String, u64)]| v.iter().cloned().collect::<BTreeMap<_, _>>();
        assert_eq!(sorted(&tree.dirs), sorted(&full.dirs));
        assert_eq!(sorted(&tree.ignores), sorted(&full.ignores));
        Some(tree)
    }

    /// What a check of `before`'s record sees now.
    fn seen_now(root: &Path, before: &Tree) -> Seen {
        let mut seen = Seen {
            files: (before.files.iter())
                .map(|f| (f.rel.clone(), stat(&folder(root, &f.rel))))
                .collect(),
            ..Seen::default()
        };
        for (rel, _) in &before.dirs {
            let now = std::fs::metadata(folder(root, rel)).map(|m| dir_stamp(&m));
            seen.dirs.push((rel.clone(), now.ok()));
        }
        for (rel, _) in &before.ignores {
            let now =
                std::fs::metadata(folder(root, rel)).map_or(super::super::ABSENT, |m| mtime_ns(&m));
            seen.ignores.push((rel.clone(), now));
        }
        seen.dirs.sort();
        seen.ignores.sort();
        seen
    }

    fn rels(tree: &Tree) -> Vec<&str> {
        tree.files.iter().map(|f| f.rel.as_str()).collect()
    }

    #[test]
    fn an_edit_is_seen_without_listing_any_folder() {
        let (dir, before) = folder_walked();
        fs::write(dir.path().join("sub/deep/c.md"), "**C**: three, edited.\n").unwrap();
        let tree = rewalked(dir.path(), &before).expect("no full walk");
        let c = tree
            .files
            .iter()
            .find(|f| f.rel == "sub/deep/c.md")
            .unwrap();
        assert_eq!(c.size, "**C**: three, edited.\n".len() as u64);
    }

    #[test]
    fn notes_added_removed_and_renamed_are_seen() {
        let (dir, before) = folder_walked();
        let root = dir.path();
        write(root, "sub/deep/new.md", "**N**: new.\n");
        fs::remove_file(root.join("a.md")).unwrap();
        fs::rename(root.join("other/d.markdown"), root.join("other/e.md")).unwrap();
        let tree = rewalked(root, &before).expect("no full walk");
        assert_eq!(
            rels(&tree),
            ["other/e.md", "sub/b.md", "sub/deep/c.md", "sub/deep/new.md"]
        );
    }

    #[test]
    fn folders_added_removed_and_renamed_are_seen() {
        let (dir, before) = folder_walked();
        let root = dir.path();
        write(root, "new/one/x.md", "**X**: x.\n");
        write(root, "new/y.md", "**Y**: y.\n");
        write(root, "new/.hidden/z.md", "**Z**: hidden.\n");
        fs::remove_dir_all(root.join("other")).unwrap();
        fs::rename(root.join("sub/deep"), root.join("sub/moved")).unwrap();
        let tree = rewalked(root, &before).expect("no full walk");
        assert_eq!(
            rels(&tree),
            [
                "a.md",
                "new/one/x.md",
                "new/y.md",
                "sub/b.md",
                "sub/moved/c.md"
            ]
        );
        let dirs: Vec<&str> = tree.dirs.iter().map(|(d, _)| d.as_str()).collect();
        assert!(!dirs
            .iter()
            .any(|d| d.starts_with("other") || d.contains("deep")));
        // And once more from the tree just made.
        tick();
        write(root, "new/one/two/w.md", "**W**: w.\n");
        let again = rewalked(root, &tree).expect("no full walk");
        assert!(rels(&again).contains(&"new/one/two/w.md"));
    }

    #[test]
    fn a_new_folder_with_its_own_ignore_file_is_walked_by_its_rules() {
        let (dir, before) = folder_walked();
        let root = dir.path();
        write(root, "new/.gitignore", "draft.md\n");
        write(root, "new/draft.md", "**Draft**: hidden.\n");
        write(root, "new/kept.md", "**Kept**: shown.\n");
        let tree = rewalked(root, &before).expect("no full walk");
        assert!(rels(&tree).contains(&"new/kept.md"));
        assert!(!rels(&tree).contains(&"new/draft.md"));
        assert!(tree.ignores.iter().any(|(i, _)| i == "new/.gitignore"));
    }

    #[test]
    fn an_ignore_file_created_changed_or_deleted_asks_for_a_full_walk() {
        let (dir, before) = folder_walked();
        let root = dir.path();
        write(root, "sub/.gitignore", "b.md\n");
        assert!(rewalked(root, &before).is_none(), "created");
        let with_ignore = super::super::walk_tree_with(root, 0).unwrap();
        assert!(!rels(&with_ignore).contains(&"sub/b.md"));
        tick();
        write(root, "sub/.gitignore", "deep/\n");
        assert!(rewalked(root, &with_ignore).is_none(), "changed");
        fs::remove_file(root.join("sub/.gitignore")).unwrap();
        assert!(rewalked(root, &with_ignore).is_none(), "deleted");
    }

    #[test]
    fn rules_of_ignore_files_above_a_listed_folder_still_apply() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, ".gitignore", "*.draft.md\n/sub/secret.md\nbuild/\n");
        write(root, "sub/a.md", "**A**: a.\n");
        let before = super::super::walk_tree_with(root, 0).unwrap();
        tick();
        write(root, "sub/b.draft.md", "**B**: ignored.\n");
        write(root, "sub/secret.md", "**S**: ignored.\n");
        write(root, "sub/build/c.md", "**C**: ignored.\n");
        write(root, "sub/d.md", "**D**: kept.\n");
        let tree = rewalked(root, &before).expect("no full walk");
        assert_eq!(rels(&tree), ["sub/a.md", "sub/d.md"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_linked_in_asks_for_a_full_walk() {
        let (dir, before) = folder_walked();
        let root = dir.path();
        std::os::unix::fs::symlink(root.join("sub"), root.join("other/link")).unwrap();
        assert!(rewalked(root, &before).is_none());
    }

    #[test]
    fn a_recent_folder_stamp_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "sub/a.md", "**A**: a.\n");
        write(root, "other/b.md", "**B**: b.\n");
        let minute = 60_000_000_000;
        let tree = super::super::walk_tree_with(root, minute).unwrap();
        assert!(tree.unsettled.contains("sub"), "{:?}", tree.unsettled);
        // A note added in the same clock tick as the walk leaves the stamp where it was
        // (simulated: the stamps recorded are the ones seen now), yet it is found.
        write(root, "sub/c.md", "**C**: c.\n");
        let mut stale = tree.clone();
        let now = super::super::walk_tree_with(root, 0).unwrap();
        stale.dirs = now.dirs.clone();
        stale.files.retain(|f| f.rel != "sub/c.md");
        let again = rewalked(root, &stale).expect("no full walk");
        assert!(rels(&again).contains(&"sub/c.md"));
    }
}
