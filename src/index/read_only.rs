//! A tantivy directory that still opens when the index folder cannot be written, and that
//! makes a commit's files durable together, once, at the commit.
//!
//! Read-only folders: tantivy takes a lock file while a reader opens the segments (so a
//! writer's garbage collection does not delete them meanwhile), and creating that file fails
//! on a read-only mount or with read-only files. Where nothing can be written, nothing can be
//! collected either, so the lock is not needed: this directory answers such a failure with a
//! lock that holds nothing.
//!
//! Syncs: tantivy's memory-mapped directory `fdatasync`s each file it finishes, and its
//! managed directory rewrites `.managed.json` (the list of files it may garbage-collect)
//! atomically and durably before it creates each new file: a temporary file, an
//! `fdatasync`, a rename. A one-note commit made 19 `fdatasync`s and 9 renames, and on a
//! busy disk those waits were most of its wall time. tantivy makes its files durable where a
//! commit needs it: [`Directory::sync_directory`], which it calls just before it replaces
//! `meta.json` (the commit point; a merge's end goes the same way). So this directory keeps
//! the files finished since then open, and at that call syncs them, writes the latest list
//! as `.managed.json` (atomically, durably) and syncs the folder. The index a commit names
//! is as durable as before.
//!
//! Between two commits, the name of each file is appended to a log beside the list,
//! `.managed-created.jsonl` (one write, not synced), before the file is created; the list
//! and the log's names together are what the directory reads as `.managed.json`. A process
//! killed at any moment (which loses no written page) so leaves no file they do not name,
//! and the next writer's garbage collection removes those no commit kept, as with
//! tantivy's own directory. A line torn by a kill names a file that was never created, and
//! is skipped. `.managed.json` itself is only ever replaced durably: a power loss can lose
//! or tear the log (the files it named may then stay), never the list the last commit
//! wrote. The log goes once a commit's list covers every file it names. A list that only
//! lost files (a garbage collection) waits for the next commit; until then it names files
//! no longer there, which the next collection drops. Every other call goes to the ordinary
//! memory-mapped directory.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    AntiCallToken, Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, TerminatingWrite,
    WatchCallback, WatchHandle, WritePtr, META_LOCK,
};

/// The file in which tantivy's managed directory lists the files it created.
const MANAGED: &str = ".managed.json";

/// The log of files created since `.managed.json` was last written: one JSON string a
/// line, each appended before its file is created.
const CREATED: &str = ".managed-created.jsonl";

/// The file the list is written to before it is renamed into place: one name, so a
/// process killed in between leaves one file the next write reuses (only the process
/// holding tantivy's writer lock writes the list).
const NEXT: &str = ".managed.json.next";

/// The commit point, and the one file `meta.json` is written to before it is renamed
/// into place (tantivy's own write uses a new random `.tmpXXXXXX` each time, which a
/// process killed in between left in the folder for good).
const META: (&str, &str) = ("meta.json", ".meta.json.next");

/// [`MmapDirectory`], with locks that cannot be taken for want of write access granted as
/// no-ops, and the syncs of a commit made at the commit (see the module's documentation).
#[derive(Debug, Clone)]
pub struct Tolerant {
    inner: MmapDirectory,
    unsynced: Arc<Unsynced>,
}

impl Tolerant {
    /// Opens the folder of one generation.
    pub fn open(path: &Path) -> tantivy::Result<Tolerant> {
        let inner = MmapDirectory::open(path)?;
        Ok(Tolerant {
            inner: inner.clone(),
            unsynced: Arc::new(Unsynced {
                inner,
                root: path.to_path_buf(),
                state: Mutex::default(),
            }),
        })
    }
}

/// What was written through the directory (all its clones) since its last sync.
#[derive(Debug)]
struct Unsynced {
    inner: MmapDirectory,
    root: PathBuf,
    state: Mutex<Pending>,
}

#[derive(Debug, Default)]
struct Pending {
    /// Files finished and not yet synced, kept open.
    files: Vec<File>,
    /// The newest `.managed.json` tantivy wrote, when it is not on disk durably yet.
    managed: Option<Vec<u8>>,
    /// The log of created files, once this process appended to it.
    log: Option<File>,
}

impl Unsynced {
    fn pending(&self) -> io::Result<std::sync::MutexGuard<'_, Pending>> {
        self.state
            .lock()
            .map_err(|_| io::Error::other("a thread writing the index panicked"))
    }

    /// Appends the name of the file `path` to the log of created files, in one write:
    /// called before the file is created. Dot files are not tantivy's to collect.
    fn log_before_create(&self, path: &Path) -> io::Result<()> {
        let name = path
            .to_str()
            .ok_or_else(|| io::Error::other("an index file name that is not UTF-8"))?;
        if name.starts_with('.') {
            return Ok(());
        }
        let mut line = serde_json::to_string(name).map_err(io::Error::other)?;
        line.push('\n');
        let mut pending = self.pending()?;
        let log = match &mut pending.log {
            Some(log) => log,
            empty => empty.insert(
                OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(self.root.join(CREATED))?,
            ),
        };
        log.write_all(line.as_bytes())
    }

    /// Syncs the files finished since the last sync, then writes the newest list of files
    /// (atomically and durably, as tantivy does), then syncs the folder; the log of created
    /// files goes once the list covers it.
    fn sync(&self) -> io::Result<()> {
        let mut pending = self.pending()?;
        sync_all(&std::mem::take(&mut pending.files))?;
        let Some(managed) = pending.managed.take() else {
            return self.inner.sync_directory();
        };
        if let Err(e) = replace(&self.root, (MANAGED, NEXT), &managed) {
            pending.managed = Some(managed);
            return Err(e);
        }
        self.inner.sync_directory()?;
        pending.log = None;
        if self.covered(&managed) {
            if let Err(e) = std::fs::remove_file(self.root.join(CREATED)) {
                if e.kind() != io::ErrorKind::NotFound {
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// The complete lines of the log of created files (none when there is no log).
    fn created(&self) -> BTreeSet<String> {
        let text = std::fs::read(self.root.join(CREATED)).unwrap_or_default();
        text.split_inclusive(|&b| b == b'\n')
            .filter(|line| line.ends_with(b"\n"))
            .filter_map(|line| serde_json::from_slice::<String>(line).ok())
            .collect()
    }

    /// True when every file the log names is in the list `managed` or gone (a process
    /// that opened the index before another was killed does not know that one's files).
    fn covered(&self, managed: &[u8]) -> bool {
        let listed: BTreeSet<String> = serde_json::from_slice(managed).unwrap_or_default();
        self.created()
            .iter()
            .all(|name| listed.contains(name) || !self.root.join(name).exists())
    }

    /// `.managed.json` as read from disk: the list with the names the log adds.
    fn read_lists(&self) -> Result<Vec<u8>, OpenReadError> {
        let durable = self.inner.atomic_read(Path::new(MANAGED));
        let mut names = self.created();
        if names.is_empty() {
            return durable;
        }
        match durable {
            Ok(bytes) => match serde_json::from_slice::<BTreeSet<String>>(&bytes) {
                Ok(more) => names.extend(more),
                // tantivy reports what is wrong with it.
                Err(_) => return Ok(bytes),
            },
            Err(OpenReadError::FileDoesNotExist(_)) => {}
            Err(e) => return Err(e),
        }
        serde_json::to_vec(&names)
            .map_err(|e| OpenReadError::wrap_io_error(io::Error::other(e), PathBuf::from(MANAGED)))
    }
}

/// Writes `data` as `name` in `root` atomically and durably: a whole file `next`, its data
/// synced, renamed over the old one (the caller syncs the folder when it must).
fn replace(root: &Path, (name, next): (&str, &str), data: &[u8]) -> io::Result<()> {
    let next = root.join(next);
    let mut file = File::create(&next)?;
    file.write_all(data)?;
    file.sync_data()?;
    drop(file);
    std::fs::rename(&next, root.join(name))
}

/// `fdatasync`s the files, each on its own thread: the disk takes their writes and cache
/// flushes together instead of one after another.
fn sync_all(files: &[File]) -> io::Result<()> {
    let Some((first, rest)) = files.split_first() else {
        return Ok(());
    };
    std::thread::scope(|scope| {
        let others: Vec<_> = rest
            .iter()
            .map(|file| scope.spawn(move || file.sync_data()))
            .collect();
        let mine = first.sync_data();
        others
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap_or_else(|_| Err(io::Error::other("sync panicked")))
            })
            .fold(mine, |all, one| all.and(one))
    })
}

/// A file being written: written straight through (tantivy buffers above it); when
/// finished, it joins the files the next sync makes durable.
struct Finishing {
    file: Option<File>,
    unsynced: Arc<Unsynced>,
}

impl Write for Finishing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.file {
            Some(file) => file.write(buf),
            None => Err(io::Error::other("write after the file was finished")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl TerminatingWrite for Finishing {
    fn terminate_ref(&mut self, _: AntiCallToken) -> io::Result<()> {
        if let Some(file) = self.file.take() {
            self.unsynced.pending()?.files.push(file);
        }
        Ok(())
    }
}

fn unwritable(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ReadOnlyFilesystem | io::ErrorKind::PermissionDenied
    )
}

impl Directory for Tolerant {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.inner.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.inner.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }

    /// Creates the file as [`MmapDirectory`] does (it must not exist), without its sync,
    /// once the log names it.
    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.unsynced
            .log_before_create(path)
            .map_err(|e| OpenWriteError::wrap_io_error(e, path.into()))?;
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.unsynced.root.join(path))
            .map_err(|e| match e.kind() {
                io::ErrorKind::AlreadyExists => OpenWriteError::FileAlreadyExists(path.into()),
                _ => OpenWriteError::wrap_io_error(e, path.into()),
            })?;
        Ok(BufWriter::new(Box::new(Finishing {
            file: Some(file),
            unsynced: Arc::clone(&self.unsynced),
        })))
    }

    /// `.managed.json`: the newest list, in memory, or on disk with the log's names.
    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        if path != Path::new(MANAGED) {
            return self.inner.atomic_read(path);
        }
        if let Some(managed) = self.unsynced.pending().ok().and_then(|p| p.managed.clone()) {
            return Ok(managed);
        }
        self.unsynced.read_lists()
    }

    /// `.managed.json` is kept for the next sync; `meta.json` is written at once, as
    /// tantivy's directory writes it (data synced, renamed into place) but through one
    /// temporary name; anything else goes to tantivy's directory. tantivy lists `meta.json`
    /// durably before its first write (the first file listed makes it sync the folder).
    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        if path == Path::new(MANAGED) {
            self.unsynced.pending()?.managed = Some(data.to_vec());
            return Ok(());
        }
        if path == Path::new(META.0) {
            return replace(&self.unsynced.root, META, data);
        }
        self.inner.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.unsynced.sync()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        match self.inner.acquire_lock(lock) {
            // Only the readers' lock: the writer's must be real.
            Err(LockError::IoError(e)) if unwritable(&e) && lock.filepath == META_LOCK.filepath => {
                Ok(DirectoryLock::from(Box::new(())))
            }
            other => other,
        }
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(watch_callback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{Schema, STORED, STRING};
    use tantivy::{doc, Index, IndexSettings, IndexWriter};

    fn schema() -> (Schema, tantivy::schema::Field) {
        let mut b = Schema::builder();
        let word = b.add_text_field("word", STRING | STORED);
        (b.build(), word)
    }

    /// An index created through [`Tolerant`] in `dir`, with the word "kept" committed, and
    /// its writer.
    fn kept_in(dir: &Path) -> (Index, IndexWriter, tantivy::schema::Field) {
        let (schema, word) = schema();
        let index = Index::create(
            Tolerant::open(dir).unwrap(),
            schema,
            IndexSettings::default(),
        )
        .unwrap();
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.add_document(doc!(word => "kept")).unwrap();
        writer.commit().unwrap();
        (index, writer, word)
    }

    /// The files tantivy made in `dir` (not its own dot files) and those the lists on disk
    /// name (`.managed.json` and the unsynced one).
    fn made_and_listed(dir: &Path) -> (Vec<String>, Vec<String>) {
        let mut made: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.') && n != "meta.json")
            .collect();
        made.sort();
        let mut listed = BTreeSet::new();
        if let Ok(text) = std::fs::read(dir.join(MANAGED)) {
            listed.extend(serde_json::from_slice::<Vec<String>>(&text).unwrap());
        }
        let log = std::fs::read_to_string(dir.join(CREATED)).unwrap_or_default();
        listed.extend(
            log.lines()
                .map(|l| serde_json::from_str::<String>(l).unwrap()),
        );
        listed.remove("meta.json");
        (made, listed.into_iter().collect())
    }

    /// A copy of `dir`'s files as they are on disk now: what a process killed at this
    /// moment leaves (a kill loses no written page).
    fn snapshot(dir: &Path, to: &Path) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }

    fn count(index: &Index, field: tantivy::schema::Field, word: &str) -> usize {
        let searcher = index.reader().unwrap().searcher();
        let query = tantivy::query::TermQuery::new(
            tantivy::Term::from_field_text(field, word),
            tantivy::schema::IndexRecordOption::Basic,
        );
        searcher.search(&query, &tantivy::collector::Count).unwrap()
    }

    /// A new index of [`schema`] in `dir`, through [`Tolerant`].
    fn create(dir: &Path) -> (Index, tantivy::schema::Field) {
        let (schema, word) = schema();
        let index = Index::create(
            Tolerant::open(dir).unwrap(),
            schema,
            IndexSettings::default(),
        )
        .unwrap();
        (index, word)
    }

    #[test]
    fn a_commit_through_it_lists_every_file_it_made_and_reopens_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let (index, word) = create(tmp.path());
        for round in 0..3 {
            let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
            writer.delete_term(tantivy::Term::from_field_text(word, "old"));
            writer.add_document(doc!(word => "old")).unwrap();
            writer
                .add_document(doc!(word => format!("round{round}")))
                .unwrap();
            writer.commit().unwrap();
            writer.wait_merging_threads().unwrap();
        }
        drop(index);
        let (made, listed) = made_and_listed(tmp.path());
        // Every file on disk is one tantivy can collect; the list may still name files a
        // collection removed (written at the next commit).
        assert!(
            made.iter().all(|f| listed.contains(f)),
            "{made:?} vs {listed:?}"
        );
        let index = Index::open(Tolerant::open(tmp.path()).unwrap()).unwrap();
        assert_eq!(count(&index, word, "old"), 1);
        assert_eq!(count(&index, word, "round0"), 1);
        assert_eq!(count(&index, word, "round2"), 1);
    }

    #[test]
    fn meta_json_is_written_through_one_temporary_name_the_next_commit_takes_over() {
        let tmp = tempfile::tempdir().unwrap();
        let (index, word) = create(tmp.path());
        // What a run killed between writing the temporary file and renaming it leaves.
        std::fs::write(tmp.path().join(META.1), b"{ torn").unwrap();
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.add_document(doc!(word => "kept")).unwrap();
        writer.commit().unwrap();
        writer.wait_merging_threads().unwrap();
        drop(index);
        let names: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().any(|n| n == META.0), "{names:?}");
        assert!(
            !names.iter().any(|n| n == META.1 || n.starts_with(".tmp")),
            "{names:?}"
        );
        let index = Index::open(Tolerant::open(tmp.path()).unwrap()).unwrap();
        assert_eq!(count(&index, word, "kept"), 1);
    }

    /// [`Tolerant`], copying the folder as it is on disk into `to` at the first
    /// `sync_directory` (a commit's, just before its files and list are made durable): what
    /// a process killed at that moment leaves (a kill loses no written page).
    #[derive(Debug, Clone)]
    struct KilledAtSync {
        inner: Tolerant,
        from: PathBuf,
        to: PathBuf,
        done: Arc<Mutex<bool>>,
    }

    impl Directory for KilledAtSync {
        fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
            self.inner.get_file_handle(path)
        }
        fn delete(&self, path: &Path) -> Result<(), DeleteError> {
            self.inner.delete(path)
        }
        fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
            self.inner.exists(path)
        }
        fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
            self.inner.open_write(path)
        }
        fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
            self.inner.atomic_read(path)
        }
        fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
            self.inner.atomic_write(path, data)
        }
        fn sync_directory(&self) -> io::Result<()> {
            let mut done = self.done.lock().unwrap();
            if !*done {
                *done = true;
                snapshot(&self.from, &self.to);
            }
            self.inner.sync_directory()
        }
        fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
            self.inner.acquire_lock(lock)
        }
        fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
            self.inner.watch(watch_callback)
        }
    }

    #[test]
    fn a_run_killed_in_its_commit_leaves_only_listed_files_and_the_next_writer_collects_them() {
        let tmp = tempfile::tempdir().unwrap();
        let killed = tempfile::tempdir().unwrap();
        let (index, writer, word) = kept_in(tmp.path());
        drop((writer, index));
        let (committed, _) = made_and_listed(tmp.path());
        let durable = std::fs::read(tmp.path().join(MANAGED)).unwrap();
        let index = Index::open(KilledAtSync {
            inner: Tolerant::open(tmp.path()).unwrap(),
            from: tmp.path().to_path_buf(),
            to: killed.path().to_path_buf(),
            done: Arc::default(),
        })
        .unwrap();
        // A new segment, and deletes for the committed one.
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.delete_term(tantivy::Term::from_field_text(word, "kept"));
        writer.add_document(doc!(word => "never")).unwrap();
        writer.commit().unwrap();
        let (made, listed) = made_and_listed(killed.path());
        assert!(
            made.len() > committed.len() + 1 && made.iter().any(|f| f.ends_with(".del")),
            "the new segment's files and the deletes: {made:?}"
        );
        assert!(
            made.iter().all(|f| listed.contains(f)),
            "{made:?} vs {listed:?}"
        );
        // Only a commit's sync replaces the durable list.
        assert_eq!(std::fs::read(killed.path().join(MANAGED)).unwrap(), durable);
        let index = Index::open(Tolerant::open(killed.path()).unwrap()).unwrap();
        let writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.garbage_collect_files().wait().unwrap();
        drop(writer);
        assert_eq!(made_and_listed(killed.path()).0, committed);
        assert_eq!(count(&index, word, "kept"), 1);
        assert_eq!(count(&index, word, "never"), 0);
    }

    #[test]
    fn a_torn_line_of_the_log_is_skipped_and_a_commit_removes_the_log() {
        let tmp = tempfile::tempdir().unwrap();
        let (index, writer, word) = kept_in(tmp.path());
        drop(writer);
        drop(index);
        // A file a killed run created, and the name of one it was about to create.
        std::fs::write(tmp.path().join("0123.idx"), b"orphan").unwrap();
        std::fs::write(tmp.path().join(CREATED), b"\"0123.idx\"\n\"45").unwrap();
        let index = Index::open(Tolerant::open(tmp.path()).unwrap()).unwrap();
        assert_eq!(count(&index, word, "kept"), 1);
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.add_document(doc!(word => "more")).unwrap();
        writer.commit().unwrap();
        assert!(!tmp.path().join(CREATED).exists());
        assert!(!tmp.path().join("0123.idx").exists());
        let (made, listed) = made_and_listed(tmp.path());
        assert!(
            made.iter().all(|f| listed.contains(f)),
            "{made:?} vs {listed:?}"
        );
        assert_eq!(count(&index, word, "more"), 1);
    }

    #[test]
    fn files_of_a_writer_dropped_without_a_commit_are_listed_for_collection() {
        let tmp = tempfile::tempdir().unwrap();
        let (index, mut writer, word) = kept_in(tmp.path());
        writer.add_document(doc!(word => "never")).unwrap();
        // Ends the segment (its files are written) without committing it.
        let _ = writer.prepare_commit().unwrap();
        drop(writer);
        drop(index);
        let (made, listed) = made_and_listed(tmp.path());
        assert!(made.len() > 7, "the uncommitted segment's files: {made:?}");
        assert!(
            made.iter().all(|f| listed.contains(f)),
            "{made:?} vs {listed:?}"
        );
        // The next writer collects them; the committed document stays.
        let index = Index::open(Tolerant::open(tmp.path()).unwrap()).unwrap();
        let writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.garbage_collect_files().wait().unwrap();
        drop(writer);
        assert_eq!(count(&index, word, "kept"), 1);
        assert_eq!(count(&index, word, "never"), 0);
        let (made, _) = made_and_listed(tmp.path());
        assert!(made.len() <= 7, "{made:?}");
    }
}
