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
//! the files finished since then open and the latest `.managed.json` in memory, and at that
//! call syncs those files, writes the list (atomically, durably) and syncs the folder.
//! The index a commit names is as durable as before. What a process killed between two
//! commits leaves: files the list on disk does not name yet (tantivy never collects them;
//! they go with the generation folder), never a list naming a file that is not there. A
//! list that only lost files (a garbage collection) is left for the next commit to write;
//! one that gained files and was never synced is written when the directory is dropped.
//! Every other call goes to the ordinary memory-mapped directory.

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

/// [`MmapDirectory`], with locks that cannot be taken for want of write access granted as
/// no-ops, and the syncs of a commit made at the commit (see the module's documentation).
#[derive(Debug, Clone)]
pub struct Tolerant {
    inner: MmapDirectory,
    root: PathBuf,
    unsynced: Arc<Unsynced>,
}

impl Tolerant {
    /// Opens the folder of one generation.
    pub fn open(path: &Path) -> tantivy::Result<Tolerant> {
        let inner = MmapDirectory::open(path)?;
        Ok(Tolerant {
            inner: inner.clone(),
            root: path.to_path_buf(),
            unsynced: Arc::new(Unsynced {
                inner,
                state: Mutex::default(),
            }),
        })
    }
}

/// What was written through the directory (all its clones) since its last sync.
#[derive(Debug)]
struct Unsynced {
    inner: MmapDirectory,
    state: Mutex<Pending>,
}

#[derive(Debug, Default)]
struct Pending {
    /// Files finished and not yet synced, kept open.
    files: Vec<File>,
    /// The newest `.managed.json` tantivy wrote, when it is not on disk yet.
    managed: Option<Vec<u8>>,
    /// True when a file was created after that list was last written to disk: the list on
    /// disk lacks it.
    registered: bool,
}

impl Unsynced {
    fn pending(&self) -> io::Result<std::sync::MutexGuard<'_, Pending>> {
        self.state
            .lock()
            .map_err(|_| io::Error::other("a thread writing the index panicked"))
    }

    /// Syncs the files finished since the last sync, then writes the newest list of files
    /// (atomically and durably, as tantivy does), then syncs the folder.
    fn sync(&self) -> io::Result<()> {
        let mut pending = self.pending()?;
        sync_all(&std::mem::take(&mut pending.files))?;
        if let Some(managed) = pending.managed.take() {
            if let Err(e) = self.inner.atomic_write(Path::new(MANAGED), &managed) {
                pending.managed = Some(managed);
                return Err(e);
            }
            pending.registered = false;
        }
        self.inner.sync_directory()
    }
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

impl Drop for Unsynced {
    /// A list naming files created since it was last written goes to disk (best effort): a
    /// writer dropped without committing leaves no file tantivy does not know of.
    fn drop(&mut self) {
        let Ok(pending) = self.state.get_mut() else {
            return;
        };
        if let (Some(managed), true) = (pending.managed.take(), pending.registered) {
            let _ = self.inner.atomic_write(Path::new(MANAGED), &managed);
        }
    }
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

    /// Creates the file as [`MmapDirectory`] does (it must not exist), without its sync.
    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.root.join(path))
            .map_err(|e| match e.kind() {
                io::ErrorKind::AlreadyExists => OpenWriteError::FileAlreadyExists(path.into()),
                _ => OpenWriteError::wrap_io_error(e, path.into()),
            })?;
        if let Ok(mut pending) = self.unsynced.pending() {
            pending.registered |= pending.managed.is_some();
        }
        Ok(BufWriter::new(Box::new(Finishing {
            file: Some(file),
            unsynced: Arc::clone(&self.unsynced),
        })))
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        if path == Path::new(MANAGED) {
            if let Some(managed) = self.unsynced.pending().ok().and_then(|p| p.managed.clone()) {
                return Ok(managed);
            }
        }
        self.inner.atomic_read(path)
    }

    /// `.managed.json` is kept for the next sync; anything else is written at once.
    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        if path == Path::new(MANAGED) {
            self.unsynced.pending()?.managed = Some(data.to_vec());
            return Ok(());
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

    /// The files tantivy made in `dir` (not its own dot files) and those `.managed.json`
    /// names, as on disk.
    fn made_and_listed(dir: &Path) -> (Vec<String>, Vec<String>) {
        let mut made: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.') && n != "meta.json")
            .collect();
        made.sort();
        let text = std::fs::read(dir.join(MANAGED)).unwrap();
        let mut listed: Vec<String> = serde_json::from_slice(&text).unwrap();
        listed.retain(|n| n != "meta.json");
        listed.sort();
        (made, listed)
    }

    fn count(index: &Index, field: tantivy::schema::Field, word: &str) -> usize {
        let searcher = index.reader().unwrap().searcher();
        let query = tantivy::query::TermQuery::new(
            tantivy::Term::from_field_text(field, word),
            tantivy::schema::IndexRecordOption::Basic,
        );
        searcher.search(&query, &tantivy::collector::Count).unwrap()
    }

    #[test]
    fn a_commit_through_it_lists_every_file_it_made_and_reopens_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let (schema, word) = schema();
        let index = Index::create(
            Tolerant::open(tmp.path()).unwrap(),
            schema,
            IndexSettings::default(),
        )
        .unwrap();
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
    fn files_of_a_writer_dropped_without_a_commit_are_listed_for_collection() {
        let tmp = tempfile::tempdir().unwrap();
        let (schema, word) = schema();
        let index = Index::create(
            Tolerant::open(tmp.path()).unwrap(),
            schema,
            IndexSettings::default(),
        )
        .unwrap();
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.add_document(doc!(word => "kept")).unwrap();
        writer.commit().unwrap();
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
