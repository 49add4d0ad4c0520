//! The index as `gloss serve` reads it: each file read into memory when a commit is opened,
//! not memory-mapped.
//!
//! A memory-mapped file that is truncated under a running process kills that process with
//! SIGBUS on its next read past the new end, and nothing in safe Rust can catch that. A file
//! read into memory cannot change under the server, whatever happens to the index folder:
//! the commit it opened keeps answering while the watcher rebuilds a damaged index. The
//! cost is the index's size in memory (MDN: about 60 MB). Segment files never change once
//! written, so a file read for an earlier commit (same path, length, modification time and
//! inode) is shared, not read again; only a refresh's new segments are read.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, OwnedBytes, WatchCallback, WatchHandle, WritePtr,
};

/// What identifies a file's content without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: i64,
    modified_ns: i64,
    inode: u64,
}

fn stamp(path: &Path) -> io::Result<Stamp> {
    let meta = std::fs::metadata(path)?;
    Ok(Stamp {
        len: meta.len(),
        modified: meta.mtime(),
        modified_ns: meta.mtime_nsec(),
        inode: meta.ino(),
    })
}

/// Files read so far, shared by the commits the server opens.
#[derive(Clone, Default)]
pub(crate) struct Files(Arc<Mutex<HashMap<PathBuf, (Stamp, OwnedBytes)>>>);

impl Files {
    /// Forgets files that are gone or changed (called before each open, so memory holds
    /// only what the live commits use).
    pub(crate) fn prune(&self) {
        let mut files = self.0.lock().unwrap_or_else(|p| p.into_inner());
        files.retain(|path, (seen, _)| stamp(path).is_ok_and(|now| now == *seen));
    }

    fn read(&self, path: &Path) -> io::Result<OwnedBytes> {
        let now = stamp(path)?;
        if let Some((seen, bytes)) = self.0.lock().unwrap_or_else(|p| p.into_inner()).get(path) {
            if *seen == now {
                return Ok(bytes.clone());
            }
        }
        let bytes = OwnedBytes::new(std::fs::read(path)?);
        let mut files = self.0.lock().unwrap_or_else(|p| p.into_inner());
        files.insert(path.to_path_buf(), (now, bytes.clone()));
        Ok(bytes)
    }
}

/// A generation folder whose files are read into memory; everything but reading goes to
/// the directory gloss opens indexes with (locks, the writer's calls).
#[derive(Clone)]
pub(crate) struct InMemory {
    root: PathBuf,
    files: Files,
    rest: Box<dyn Directory>,
}

impl InMemory {
    /// Reads the generation folder `root` through `files`; `rest` handles everything else.
    pub(crate) fn new(root: &Path, files: Files, rest: Box<dyn Directory>) -> InMemory {
        InMemory {
            root: root.to_path_buf(),
            files,
            rest,
        }
    }
}

impl fmt::Debug for InMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InMemory({})", self.root.display())
    }
}

impl Directory for InMemory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        match self.files.read(&self.root.join(path)) {
            Ok(bytes) => Ok(Arc::new(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Err(OpenReadError::FileDoesNotExist(path.to_path_buf()))
            }
            Err(e) => Err(OpenReadError::wrap_io_error(e, path.to_path_buf())),
        }
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.rest.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.rest.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.rest.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.rest.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.rest.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.rest.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.rest.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.rest.watch(watch_callback)
    }
}
