//! A tantivy directory that still opens when the index folder cannot be written.
//!
//! tantivy takes a lock file while a reader opens the segments (so a writer's garbage
//! collection does not delete them meanwhile), and creating that file fails on a read-only
//! mount or with read-only files. Where nothing can be written, nothing can be collected
//! either, so the lock is not needed: this directory answers such a failure with a lock that
//! holds nothing. Every other call goes to the ordinary memory-mapped directory.

use std::io;
use std::path::Path;
use std::sync::Arc;

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle,
    WritePtr, META_LOCK,
};

/// [`MmapDirectory`], with locks that cannot be taken for want of write access granted as
/// no-ops.
#[derive(Debug, Clone)]
pub struct Tolerant(MmapDirectory);

impl Tolerant {
    /// Opens the folder of one generation.
    pub fn open(path: &Path) -> tantivy::Result<Tolerant> {
        Ok(Tolerant(MmapDirectory::open(path)?))
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
        self.0.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.0.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.0.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.0.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.0.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.0.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.0.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        match self.0.acquire_lock(lock) {
            // Only the readers' lock: the writer's must be real.
            Err(LockError::IoError(e)) if unwritable(&e) && lock.filepath == META_LOCK.filepath => {
                Ok(DirectoryLock::from(Box::new(())))
            }
            other => other,
        }
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.0.watch(watch_callback)
    }
}
