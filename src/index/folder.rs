//! The index folder: proving gloss made it, locking it, and the generations gloss keeps in it.
//!
//! gloss writes a marker, `.gloss-index`, into every index folder it creates. The marker
//! names its format and every generation folder gloss made there, and gloss only ever
//! deletes or rewrites what the marker proves is its own: those generation folders,
//! `CURRENT`, and its temporary files (`CURRENT.tmp`, `.gloss-index.<pid>.tmp`,
//! `.gloss-probe.tmp`). A folder that exists, is not empty and has no marker is refused, and
//! so is an index folder that is the notes folder, contains it, or lies inside it where the
//! walk would read it.
//!
//! The lock is an advisory lock on the folder itself (on Unix), which nobody can unlink from
//! under its holder the way a lock file can be.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::notes;

/// The marker file that proves gloss made an index folder.
pub const MARKER: &str = ".gloss-index";
/// Temporary markers are `.gloss-index.<pid>.tmp`: two runs claiming a new folder at once
/// each write their own.
const MARKER_TMP: (&str, &str) = (".gloss-index.", ".tmp");
/// Names the live generation.
pub const CURRENT: &str = "CURRENT";
const CURRENT_TMP: &str = "CURRENT.tmp";
/// The file gloss creates and removes to learn whether it can write in the folder.
pub const PROBE: &str = ".gloss-probe.tmp";
/// Format of the marker (and of the folder layout it describes).
pub const FORMAT: u32 = 1;
const HEADER: &str = "gloss index folder, format ";
/// The one file an index folder may hold before gloss first writes to it: the README
/// committed in the repository's `index/`, known by its name and first words.
const KNOWN: (&str, &str) = (
    "README.md",
    "# index/\n\ngloss writes its search index here",
);

/// True for the repository's `index/README.md` (a user's own README is not gloss's).
fn is_known(dir: &Path, name: &std::ffi::OsStr) -> bool {
    use std::io::Read;
    if name != KNOWN.0 {
        return false;
    }
    let mut head = Vec::new();
    let read = File::open(dir.join(KNOWN.0))
        .and_then(|f| f.take(KNOWN.1.len() as u64).read_to_end(&mut head));
    read.is_ok() && head == KNOWN.1.as_bytes()
}

/// What the marker of an index folder says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Marker {
    /// Generation folders gloss created here, oldest first.
    generations: Vec<String>,
}

impl Marker {
    fn parse(text: &str) -> Option<Marker> {
        let mut lines = text.lines();
        let format: u32 = lines.next()?.strip_prefix(HEADER)?.trim().parse().ok()?;
        if format != FORMAT {
            return None;
        }
        let generations = lines
            .filter_map(|l| l.strip_prefix("generation "))
            .map(str::to_string)
            .filter(|g| is_generation_name(g))
            .collect();
        Some(Marker { generations })
    }

    fn render(&self) -> String {
        let mut out = format!("{HEADER}{FORMAT}\n");
        out.push_str(
            "# Written by gloss: it deletes nothing in this folder but what is listed here.\n",
        );
        for g in &self.generations {
            out.push_str(&format!("generation {g}\n"));
        }
        out
    }
}

/// `gen-<digits>-<digits>`: the only names gloss gives generation folders.
fn is_generation_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("gen-") else {
        return false;
    };
    let mut parts = rest.split('-');
    let digits =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    digits(parts.next()) && digits(parts.next()) && parts.next().is_none()
}

/// `.gloss-index.<pid>.tmp`: a marker being written.
fn is_temp_marker(name: &str) -> bool {
    name.strip_prefix(MARKER_TMP.0)
        .and_then(|n| n.strip_suffix(MARKER_TMP.1))
        .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

fn refuse(dir: &Path, reason: impl Into<String>) -> Error {
    Error::NotOurs {
        path: dir.to_path_buf(),
        reason: reason.into(),
    }
}

/// What is in a folder given as the index folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// It does not exist, or holds nothing but known files: no index yet.
    Empty,
    /// gloss made it (its marker is there).
    Ours,
}

fn read_marker(dir: &Path) -> Result<Option<Marker>> {
    let path = dir.join(MARKER);
    match fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&path, e)),
        Ok(meta) if !meta.is_file() => {
            return Err(refuse(dir, format!("has a {MARKER} that is not a file")))
        }
        Ok(_) => {}
    }
    let text = fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    Marker::parse(&text).map(Some).ok_or_else(|| {
        refuse(
            dir,
            format!("has a {MARKER} this gloss cannot read (made by another version?)"),
        )
    })
}

/// Looks at `dir` without changing anything: [`State::Empty`], [`State::Ours`], or the
/// refusal when it holds things gloss did not put there.
pub fn inspect(dir: &Path) -> Result<State> {
    match fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::Empty),
        Err(e) => return Err(Error::io(dir, e)),
        Ok(meta) if !meta.is_dir() => return Err(refuse(dir, "is not a folder")),
        Ok(_) => {}
    }
    if read_marker(dir)?.is_some() {
        return Ok(State::Ours);
    }
    let read = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    // A run claiming the folder right now may have written its temporary marker already.
    let unknown = read.flatten().find(|e| {
        let name = e.file_name();
        !is_known(dir, &name) && !is_temp_marker(&name.to_string_lossy())
    });
    match unknown {
        None => Ok(State::Empty),
        // Its marker appeared since it was looked for: a run claimed it meanwhile.
        Some(_) if read_marker(dir)?.is_some() => Ok(State::Ours),
        Some(entry) => {
            let old_gloss =
                current_name(dir).is_some_and(|g| dir.join(g).join("meta.json").is_file());
            let hint = if old_gloss {
                " (if an older gloss made it, delete it and gloss will build a new one)"
            } else {
                ""
            };
            Err(refuse(
                dir,
                format!(
                    "is not empty (it holds {}) and has no {MARKER} marker, so gloss did not make it{hint}",
                    notes::printable_name(&entry.file_name())
                ),
            ))
        }
    }
}

/// `path` made absolute with its existing part resolved (symlinks, `..`), for comparing
/// folders that may not exist yet.
pub fn resolve(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut base = abs.clone();
    let mut rest: Vec<Component> = Vec::new();
    let components: Vec<Component> = abs.components().collect();
    let mut keep = components.len();
    loop {
        if let Ok(found) = fs::canonicalize(&base) {
            let mut out = found;
            for c in components[keep..].iter().chain(rest.iter()) {
                match c {
                    Component::ParentDir => {
                        out.pop();
                    }
                    Component::Normal(n) => out.push(n),
                    _ => {}
                }
            }
            return out;
        }
        if keep == 0 {
            return abs;
        }
        keep -= 1;
        base = components[..keep].iter().collect();
        rest.clear();
    }
}

/// Makes sure `dir` can be gloss's index folder for the notes in `content` before anything
/// is written: refused when it is, contains, or (where the walk would read it) lies inside
/// the notes folder, or holds things gloss did not put there. Creates it with its marker
/// when it is missing or empty.
pub fn claim(dir: &Path, content: &Path) -> Result<()> {
    if !content.is_dir() {
        return Err(Error::ContentMissing(content.to_path_buf()));
    }
    let (index_dir, notes_dir) = refuse_overlap(dir, content)?;
    let state = inspect(dir)?;
    if index_dir.starts_with(&notes_dir) {
        refuse_if_walked(dir, &index_dir, &notes_dir, content)?;
    }
    if state == State::Empty {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        if let Err(err) = create_marker(dir) {
            // Another run claiming the folder at the same time may have swept this run's
            // temporary marker after writing its own: either marker will do.
            if read_marker(dir)?.is_none() {
                return Err(err);
            }
        }
    }
    Ok(())
}

/// Refuses an index folder that is the notes folder or contains it; gives both resolved.
pub fn refuse_overlap(dir: &Path, content: &Path) -> Result<(PathBuf, PathBuf)> {
    let notes_dir = resolve(content);
    let index_dir = resolve(dir);
    if index_dir == notes_dir {
        return Err(refuse(dir, "is the notes folder"));
    }
    if notes_dir.starts_with(&index_dir) {
        return Err(refuse(
            dir,
            format!("contains the notes folder {}", content.display()),
        ));
    }
    Ok((index_dir, notes_dir))
}

/// An index folder inside the notes folder is allowed only where the walk does not go
/// (a hidden folder, or one the notes' `.gitignore` ignores). The folder is created to ask
/// the walk, and removed again when refused.
fn refuse_if_walked(dir: &Path, index_dir: &Path, notes_dir: &Path, content: &Path) -> Result<()> {
    let rel = index_dir.strip_prefix(notes_dir).unwrap_or(index_dir);
    let hidden = rel
        .components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
    if hidden {
        return Ok(());
    }
    let created = first_missing(index_dir);
    fs::create_dir_all(index_dir).map_err(|e| Error::io(dir, e))?;
    let target = index_dir.to_path_buf();
    let walked = notes::walker(notes_dir)
        .filter_entry(move |e| target.starts_with(e.path()))
        .build()
        .flatten()
        .any(|e| e.path() == index_dir);
    if !walked {
        return Ok(());
    }
    if let Some(top) = created {
        // Only the empty folders made just now, deepest first.
        let mut at = index_dir.to_path_buf();
        while at.starts_with(&top) && fs::remove_dir(&at).is_ok() {
            at.pop();
        }
    }
    Err(refuse(
        dir,
        format!(
            "lies inside the notes folder {} and would be read as notes (put it elsewhere, or ignore it in the notes' .gitignore)",
            content.display()
        ),
    ))
}

/// The outermost folder of `path` that does not exist yet.
fn first_missing(path: &Path) -> Option<PathBuf> {
    let mut missing = None;
    for at in path.ancestors() {
        if at.exists() {
            break;
        }
        missing = Some(at.to_path_buf());
    }
    missing
}

fn write_durably(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = File::create(path).map_err(|e| Error::io(path, e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(path, e))
}

fn temp_marker(dir: &Path) -> PathBuf {
    dir.join(format!(
        "{}{}{}",
        MARKER_TMP.0,
        std::process::id(),
        MARKER_TMP.1
    ))
}

/// Replaces the marker (under the lock).
fn write_marker(dir: &Path, marker: &Marker) -> Result<()> {
    let tmp = temp_marker(dir);
    write_durably(&tmp, marker.render().as_bytes())?;
    fs::rename(&tmp, dir.join(MARKER)).map_err(|e| Error::io(dir.join(MARKER), e))
}

/// Writes the first marker of a new folder, unless another run wrote one meanwhile (a hard
/// link does not replace a file; a run that already has generations keeps its marker).
fn create_marker(dir: &Path) -> Result<()> {
    let tmp = temp_marker(dir);
    let path = dir.join(MARKER);
    write_durably(&tmp, Marker::default().render().as_bytes())?;
    let linked = match fs::hard_link(&tmp, &path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        // A file system without hard links: a rename, when there is still no marker.
        Err(_) if !path.exists() => fs::rename(&tmp, &path),
        other => other,
    };
    let _ = fs::remove_file(&tmp);
    linked.map_err(|e| Error::io(&path, e))
}

/// The generation `CURRENT` names, if it names a plausible one.
pub fn current_name(dir: &Path) -> Option<String> {
    let name = fs::read_to_string(dir.join(CURRENT)).ok()?;
    let name = name.trim();
    is_generation_name(name).then(|| name.to_string())
}

/// What identifies the index's last commit: `CURRENT` and its generation's `meta.json`.
/// A run compares it before its walk and under the lock, so it never commits a plan made
/// from an index that another run has replaced meanwhile.
pub fn commit_id(dir: &Path) -> Option<(String, Vec<u8>)> {
    let name = current_name(dir)?;
    let meta = fs::read(dir.join(&name).join("meta.json")).ok()?;
    Some((name, meta))
}

/// The index lock, held until dropped (the OS drops it on a crash). While it is held, the
/// holder may create, switch and remove its generations.
pub struct Lock {
    dir: PathBuf,
    /// The marker as read when the lock was taken, kept up to date by this holder (and
    /// written back whole, so a marker deleted meanwhile comes back).
    marker: std::cell::RefCell<Marker>,
    _file: File,
}

/// Takes the lock on the index folder `dir` (which [`claim`] has made sure is ours);
/// `wait` blocks until it is free, otherwise a busy lock is [`Error::Locked`]. Then tidies
/// what killed runs left: generations the marker lists that `CURRENT` does not name, and
/// temporary files.
pub fn lock(dir: &Path, wait: bool) -> Result<Lock> {
    let file = lock_file(dir)?;
    if wait {
        file.lock().map_err(|e| Error::io(dir, e))?;
    } else {
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(Error::Locked(dir.to_path_buf())),
            Err(fs::TryLockError::Error(e)) => return Err(Error::io(dir, e)),
        }
    }
    // Someone may have emptied or replaced the folder while we waited.
    let marker = read_marker(dir)?.ok_or_else(|| {
        refuse(
            dir,
            format!("lost its {MARKER} marker while gloss waited for it"),
        )
    })?;
    let lock = Lock {
        dir: dir.to_path_buf(),
        marker: std::cell::RefCell::new(marker),
        _file: file,
    };
    lock.sweep();
    Ok(lock)
}

#[cfg(unix)]
fn lock_file(dir: &Path) -> Result<File> {
    File::open(dir).map_err(|e| Error::io(dir, e))
}

#[cfg(not(unix))]
fn lock_file(dir: &Path) -> Result<File> {
    let path = dir.join(MARKER);
    File::options()
        .read(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))
}

impl Lock {
    /// Creates a new, empty generation folder, listed in the marker before it exists.
    pub fn new_generation(&self) -> Result<PathBuf> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!("gen-{stamp}-{}", std::process::id());
        let mut marker = self.marker.borrow_mut();
        marker.generations.push(name.clone());
        write_marker(&self.dir, &marker)?;
        let path = self.dir.join(&name);
        fs::create_dir(&path).map_err(|e| Error::io(&path, e))?;
        Ok(path)
    }

    /// Removes a generation this run made and will not use (best effort).
    pub fn discard(&self, generation: &Path) {
        let Some(name) = generation.file_name().and_then(|n| n.to_str()) else {
            return;
        };
        let mut marker = self.marker.borrow_mut();
        if marker.generations.iter().any(|g| g == name) && remove_generation(&self.dir, name) {
            marker.generations.retain(|g| g != name);
            let _ = write_marker(&self.dir, &marker);
        }
    }

    /// Points `CURRENT` at `generation` atomically, then removes the other generations.
    pub fn switch(&self, generation: &Path) -> Result<()> {
        let name = generation
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = self.dir.join(CURRENT_TMP);
        write_durably(&tmp, name.as_bytes())?;
        let current = self.dir.join(CURRENT);
        fs::rename(&tmp, &current).map_err(|e| Error::io(&current, e))?;
        self.sweep();
        Ok(())
    }

    /// Removes what killed runs left (best effort; a read-only folder keeps it): listed
    /// generations other than the live one, and gloss's temporary files.
    pub fn sweep(&self) {
        for tmp in [CURRENT_TMP, PROBE] {
            let path = self.dir.join(tmp);
            if fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
                let _ = fs::remove_file(path);
            }
        }
        for entry in fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if is_temp_marker(&name) && entry.file_type().is_ok_and(|t| t.is_file()) {
                let _ = fs::remove_file(entry.path());
            }
        }
        let mut marker = self.marker.borrow_mut();
        let live = current_name(&self.dir);
        let before = marker.generations.len();
        marker.generations.retain(|g| {
            if Some(g) == live.as_ref() {
                return true;
            }
            !remove_generation(&self.dir, g)
        });
        let lost = !self.dir.join(MARKER).is_file();
        if marker.generations.len() != before || lost {
            let _ = write_marker(&self.dir, &marker);
        }
    }
}

/// Removes a generation folder gloss made; true when it is gone. A name that is no longer a
/// real folder (a symlink put in its place, say) is forgotten, not followed.
fn remove_generation(dir: &Path, name: &str) -> bool {
    let path = dir.join(name);
    match fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(&path).is_ok(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_round_trips_and_ignores_foreign_names() {
        let m = Marker {
            generations: vec!["gen-1-2".into(), "gen-3-4".into()],
        };
        assert_eq!(Marker::parse(&m.render()), Some(m));
        let text =
            format!("{HEADER}{FORMAT}\ngeneration gen-ai\ngeneration ../x\ngeneration gen-5-6\n");
        assert_eq!(
            Marker::parse(&text).unwrap().generations,
            vec!["gen-5-6".to_string()]
        );
        assert_eq!(Marker::parse("gloss index folder, format 99\n"), None);
        assert_eq!(Marker::parse("hello\n"), None);
    }

    #[test]
    fn generation_names_are_gloss_shaped() {
        assert!(is_generation_name("gen-1700000000000000000-42"));
        for bad in [
            "gen-ai",
            "gen-1",
            "gen-1-2-3",
            "gen--2",
            "../gen-1-2",
            "gen-1-x",
        ] {
            assert!(!is_generation_name(bad), "{bad}");
        }
    }

    #[test]
    fn resolve_handles_missing_tails_and_dot_dot() {
        let dir = tempfile::tempdir().unwrap();
        let real = fs::canonicalize(dir.path()).unwrap();
        assert_eq!(resolve(&dir.path().join("a/b/../c")), real.join("a/c"));
        assert_eq!(resolve(&dir.path().join(".")), real);
    }

    #[test]
    fn a_lock_holder_removes_only_the_generations_the_marker_lists() {
        let dir = tempfile::tempdir().unwrap();
        let notes = dir.path().join("notes");
        fs::create_dir(&notes).unwrap();
        let index = dir.path().join("index");
        claim(&index, &notes).unwrap();
        let lock = lock(&index, true).unwrap();
        let live = lock.new_generation().unwrap();
        let failed = lock.new_generation().unwrap();
        fs::write(failed.join("segment"), "partial").unwrap();
        lock.switch(&live).unwrap();
        assert!(
            !failed.exists(),
            "a listed generation CURRENT does not name stays"
        );
        let theirs = index.join("gen-1-1");
        fs::create_dir(&theirs).unwrap();
        let discarded = lock.new_generation().unwrap();
        lock.discard(&discarded);
        lock.sweep();
        assert!(!discarded.exists() && live.exists() && theirs.exists());
        let listed = read_marker(&index).unwrap().unwrap().generations;
        assert_eq!(listed, [live.file_name().unwrap().to_str().unwrap()]);
    }

    #[test]
    fn a_foreign_folder_is_refused_and_an_empty_one_claimed() {
        let dir = tempfile::tempdir().unwrap();
        let notes = dir.path().join("notes");
        fs::create_dir(&notes).unwrap();
        let index = dir.path().join("index");
        fs::create_dir(&index).unwrap();
        fs::write(index.join("README.md"), "my own readme").unwrap();
        assert!(matches!(claim(&index, &notes), Err(Error::NotOurs { .. })));
        let ours = format!("{}.\nMore.\n", KNOWN.1);
        fs::write(index.join("README.md"), ours).unwrap();
        claim(&index, &notes).unwrap();
        assert_eq!(inspect(&index).unwrap(), State::Ours);
        let foreign = dir.path().join("mine");
        fs::create_dir(&foreign).unwrap();
        fs::write(foreign.join("CURRENT"), "gen-1-2").unwrap();
        let err = claim(&foreign, &notes).unwrap_err();
        assert!(matches!(err, Error::NotOurs { .. }), "{err}");
        assert_eq!(fs::read_dir(&foreign).unwrap().count(), 1);
    }
}
