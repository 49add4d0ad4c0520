//! Keeping the index fresh while notes change: a file-system watcher that refreshes the
//! index incrementally after each burst of edits, and the lock by which it tells query runs
//! that they may skip their freshness check.
//!
//! The watcher holds an exclusive OS lock on `<index>/watch.lock` (an advisory `flock`,
//! released by the kernel when the process dies, however it dies), and writes into that file
//! the notes folder it watches. [`is_watched`] probes the lock: held, for the same notes
//! folder, means a live watcher vouches for freshness. No PID file, nothing to clean up.

use std::fs::{self, File, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};

use crate::error::{Error, Result};
use crate::index::{self, Refresh, Report};

/// The lock file in the index folder.
pub const LOCK_FILE: &str = "watch.lock";

/// How long the watcher waits for a burst of events to end before refreshing.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// How often the watcher looks at the index and the notes folder when nothing happens
/// (a deleted or damaged index is rebuilt; a notes folder that went away is watched for).
pub const HEALTH_EVERY: Duration = Duration::from_secs(1);

/// One file of the index's live generation: name, length, modification time.
type FileStamp = (std::ffi::OsString, u64, Option<std::time::SystemTime>);

/// The files of the generation `CURRENT` names, sorted; `None` when there is none.
fn stamps(index_dir: &Path) -> Option<Vec<FileStamp>> {
    let current = fs::read_to_string(index_dir.join("CURRENT")).ok()?;
    let generation = index_dir.join(current.trim());
    let mut files: Vec<FileStamp> = fs::read_dir(generation)
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let meta = entry.metadata().ok()?;
            Some((entry.file_name(), meta.len(), meta.modified().ok()))
        })
        .collect();
    files.sort();
    files.push((current.into(), 0, None));
    Some(files)
}

/// The notes folder as the lock file records it.
fn content_id(content: &Path) -> String {
    fs::canonicalize(content)
        .unwrap_or_else(|_| content.to_path_buf())
        .display()
        .to_string()
}

/// True while a live watcher (`gloss watch` or `gloss serve`) keeps the index in `index_dir`
/// fresh for the notes in `content`: queries may then skip their walk over the notes.
/// Never blocks; any doubt (no lock file, unreadable, another notes folder) is `false`.
pub fn is_watched(index_dir: &Path, content: &Path) -> bool {
    let Ok(mut file) = File::open(index_dir.join(LOCK_FILE)) else {
        return false;
    };
    match file.try_lock_shared() {
        // Nobody holds it exclusively: no watcher. (Our shared lock drops with the file.)
        Ok(()) => false,
        Err(TryLockError::WouldBlock) => {
            let mut recorded = String::new();
            file.read_to_string(&mut recorded).is_ok() && recorded == content_id(content)
        }
        Err(TryLockError::Error(_)) => false,
    }
}

/// The watcher's hold on `watch.lock`; dropping it (or the process ending) releases it.
pub struct Claim {
    file: File,
    path: PathBuf,
    content: String,
}

impl Claim {
    /// Takes the lock for `content` in an index folder gloss made (its marker is there;
    /// a folder that is not gloss's is never written to). `Ok(None)` when another watcher
    /// holds it or there is no index folder yet. A query probing the lock holds it shared
    /// for microseconds, so a busy lock is retried briefly.
    pub fn take(index_dir: &Path, content: &Path) -> Result<Option<Claim>> {
        if !index_dir.join(index::MARKER).is_file() {
            return Ok(None);
        }
        let path = index_dir.join(LOCK_FILE);
        let file = File::options()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        let deadline = Instant::now() + Duration::from_millis(500);
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(TryLockError::WouldBlock) => return Ok(None),
                Err(TryLockError::Error(e)) => return Err(Error::io(&path, e)),
            }
        }
        let mut claim = Claim {
            file,
            path,
            content: content_id(content),
        };
        claim.record()?;
        Ok(Some(claim))
    }

    fn record(&mut self) -> Result<()> {
        let path = &self.path;
        self.file.set_len(0).map_err(|e| Error::io(path, e))?;
        self.file
            .seek(SeekFrom::Start(0))
            .and_then(|_| self.file.write_all(self.content.as_bytes()))
            .map_err(|e| Error::io(path, e))
    }

    /// True while the locked file is still the one at the lock path (the index folder may
    /// have been deleted under us, taking the file with it).
    pub fn is_current(&self) -> bool {
        use std::os::unix::fs::MetadataExt;
        match (fs::metadata(&self.path), self.file.metadata()) {
            (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
            _ => false,
        }
    }
}

/// What the watcher tells its owner.
#[derive(Debug)]
pub enum Event {
    /// The index was refreshed (or rebuilt); open it again to see the change.
    Refreshed(Report),
    /// A refresh failed; the last committed index still answers.
    Failed(Error),
    /// The notes folder is gone; the watcher waits for it to come back.
    ContentMissing,
    /// Another watcher already holds the index; this one keeps it fresh too, without the lock.
    Shared,
    /// The first refresh is done and the lock is held: queries may skip their check now.
    Ready,
}

/// Watches `content` and keeps the index in `index_dir` fresh until `stop` is set.
pub struct Watcher {
    content: PathBuf,
    index_dir: PathBuf,
    stop: Arc<AtomicBool>,
    rebuild: Arc<AtomicBool>,
}

/// The live file-system watch and the channel its events arrive on.
struct Live {
    _watcher: RecommendedWatcher,
    events: mpsc::Receiver<notify::Result<notify::Event>>,
}

/// Whether an event can mean a change. inotify also reports files and folders being
/// opened, and an index run opens every note: counting those as changes made the watcher
/// refresh again and again, walking the whole notes folder several times a second.
fn changes(event: &notify::Event) -> bool {
    match event.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

impl Watcher {
    /// A watcher for `content` into `index_dir`, stopped by setting `stop`.
    pub fn new(content: &Path, index_dir: &Path, stop: Arc<AtomicBool>) -> Watcher {
        Watcher {
            content: content.to_path_buf(),
            index_dir: index_dir.to_path_buf(),
            stop,
            rebuild: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Rebuilds from scratch whenever `flag` is set (a reader sets it when reading the
    /// index failed: its files may be damaged in a way that opening it does not show).
    pub fn with_rebuild(mut self, flag: Arc<AtomicBool>) -> Watcher {
        self.rebuild = flag;
        self
    }

    fn start_watch(&self) -> Option<Live> {
        let (tx, events) = mpsc::channel();
        let mut watcher = notify::recommended_watcher(move |event| {
            let _ = tx.send(event);
        })
        .ok()?;
        watcher
            .watch(&self.content, RecursiveMode::Recursive)
            .ok()?;
        Some(Live {
            _watcher: watcher,
            events,
        })
    }

    /// After a change, waits until the notes have been quiet for [`DEBOUNCE`] (at most a
    /// few seconds), so a burst of edits is one refresh.
    fn settle(&self, live: &Live) {
        let latest = Instant::now() + 20 * DEBOUNCE;
        while Instant::now() < latest && !self.stop.load(Ordering::SeqCst) {
            if live.events.recv_timeout(DEBOUNCE).is_err() {
                return;
            }
        }
    }

    fn refresh(&self, tell: &mut dyn FnMut(Event)) {
        let how = if self.rebuild.swap(false, Ordering::SeqCst) {
            Refresh::Rebuild
        } else {
            Refresh::Incremental
        };
        match index::refresh(&self.content, &self.index_dir, how, true) {
            Ok(report) => tell(Event::Refreshed(report)),
            Err(err) => tell(Event::Failed(err)),
        }
    }

    /// The index is readable and names a commit. Opening a big index costs real CPU
    /// (it was most of an idle watcher's time on MDN), so it is opened again only when its
    /// live generation's files (names, lengths, modification times) differ from the last
    /// time it opened. A damaged index (one that no longer opens) is rebuilt from scratch.
    fn index_ok(&self, opened: &mut Option<Vec<FileStamp>>) -> bool {
        let now = stamps(&self.index_dir);
        if now.is_some() && now == *opened {
            return true;
        }
        let (ok, damaged) = match index::open(&self.index_dir) {
            Ok((store, _)) => (store.is_some(), false),
            Err(_) => (false, true),
        };
        if damaged {
            self.rebuild.store(true, Ordering::SeqCst);
        }
        *opened = if ok { now } else { None };
        ok
    }

    /// Runs until `stop` is set: the first refresh, then one after each burst of changes
    /// (within [`DEBOUNCE`] plus the refresh time), a rebuild when the index was deleted or
    /// damaged, and a wait when the notes folder disappears. A refresh in progress when
    /// `stop` is set finishes first, so no index is left half-written.
    pub fn run(&self, tell: &mut dyn FnMut(Event)) {
        // Events first, so nothing that changes during the first refresh is missed.
        let mut live = self.start_watch();
        let mut claim = None;
        let mut missing = false;
        let mut dirty = true;
        let mut ready = false;
        let mut opened = None;
        while !self.stop.load(Ordering::SeqCst) {
            if !self.content.is_dir() {
                if !missing {
                    tell(Event::ContentMissing);
                    missing = true;
                    live = None;
                    claim = None;
                }
                std::thread::sleep(Duration::from_millis(200));
                continue;
            }
            if missing || live.is_none() {
                missing = false;
                live = self.start_watch();
                dirty = true;
            }
            if dirty || self.rebuild.load(Ordering::SeqCst) || !self.index_ok(&mut opened) {
                self.refresh(tell);
            }
            if claim.as_ref().is_none_or(|c: &Claim| !c.is_current()) {
                claim = self.claim(tell);
            }
            if !ready {
                ready = true;
                tell(Event::Ready);
            }
            dirty = self.wait(live.as_ref());
        }
    }

    fn claim(&self, tell: &mut dyn FnMut(Event)) -> Option<Claim> {
        match Claim::take(&self.index_dir, &self.content) {
            Ok(Some(claim)) => Some(claim),
            Ok(None) => {
                tell(Event::Shared);
                None
            }
            Err(err) => {
                tell(Event::Failed(err));
                None
            }
        }
    }

    /// Waits up to [`HEALTH_EVERY`] for changes; true when the notes changed.
    fn wait(&self, live: Option<&Live>) -> bool {
        let Some(live) = live else {
            std::thread::sleep(HEALTH_EVERY);
            return true;
        };
        let deadline = Instant::now() + HEALTH_EVERY;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            // A stop or a rebuild request ends the wait at once (the caller acts on it).
            if left.is_zero()
                || self.stop.load(Ordering::SeqCst)
                || self.rebuild.load(Ordering::SeqCst)
            {
                return false;
            }
            // Short slices so a stop request is seen quickly.
            match live
                .events
                .recv_timeout(left.min(Duration::from_millis(100)))
            {
                Ok(Ok(event)) if changes(&event) && event.paths.iter().any(|p| self.matters(p)) => {
                    self.settle(live);
                    return true;
                }
                Ok(Ok(_)) => {}
                // Events were lost (queue overflow): refresh to be safe.
                Ok(Err(_)) => return true,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return true,
            }
        }
    }

    /// Changes inside the index folder (when it lives in the notes folder) are our own.
    fn matters(&self, path: &Path) -> bool {
        let index = fs::canonicalize(&self.index_dir).unwrap_or_else(|_| self.index_dir.clone());
        !path.starts_with(&index) && !path.starts_with(&self.index_dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_is_seen_for_its_own_notes_folder_only() {
        let dir = tempfile::tempdir().unwrap();
        let (notes, other, index) = (
            dir.path().join("notes"),
            dir.path().join("other"),
            dir.path().join("index"),
        );
        fs::create_dir_all(&notes).unwrap();
        fs::create_dir_all(&other).unwrap();
        assert!(
            Claim::take(&index, &notes).unwrap().is_none(),
            "no index folder yet"
        );
        fs::create_dir_all(&index).unwrap();
        fs::write(index.join(index::MARKER), "").unwrap();
        assert!(!is_watched(&index, &notes), "no lock file yet");
        let claim = Claim::take(&index, &notes).unwrap().expect("free lock");
        assert!(is_watched(&index, &notes));
        assert!(!is_watched(&index, &other));
        assert!(
            Claim::take(&index, &notes).unwrap().is_none(),
            "a second watcher does not get the lock"
        );
        drop(claim);
        assert!(!is_watched(&index, &notes), "released on drop");
    }

    #[test]
    fn a_claim_whose_file_was_deleted_is_not_current() {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("index");
        fs::create_dir_all(&index).unwrap();
        fs::write(index.join(index::MARKER), "").unwrap();
        let claim = Claim::take(&index, dir.path()).unwrap().unwrap();
        assert!(claim.is_current());
        fs::remove_dir_all(&index).unwrap();
        assert!(!claim.is_current());
        assert!(!is_watched(&index, dir.path()));
    }
}
