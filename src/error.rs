//! Errors of the gloss library: values with the context a user needs (the file, the flag).

use std::path::PathBuf;

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The notes folder given by `--content` (or `GLOSS_CONTENT`) is missing.
    #[error("notes folder {0} does not exist (set it with --content or GLOSS_CONTENT)")]
    ContentMissing(PathBuf),

    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The index could not be opened, read or written.
    #[error("index {path}: {message} (run `gloss index --rebuild` to rebuild it)")]
    Index { path: PathBuf, message: String },

    /// A write to the index failed (the engine refused it); an incremental run that meets
    /// this is retried as a full build.
    #[error("index {path}: {message} (run `gloss index --rebuild` to rebuild it)")]
    IndexWrite { path: PathBuf, message: String },

    /// The folder given as the index folder is not one gloss may write to.
    #[error("index folder {path} {reason}; gloss touches nothing in it (choose another --index, GLOSS_INDEX or gloss.toml `index`)")]
    NotOurs { path: PathBuf, reason: String },

    /// Nothing can be written in the index folder.
    #[error("index {0} is read-only; gloss can answer from it but not refresh it")]
    ReadOnly(PathBuf),

    /// The disk ran out of space while the index was written.
    #[error("the disk holding index {0} is full (no space left on device); the last index was kept: free some space and run `gloss index` again")]
    DiskFull(PathBuf),

    /// Another `gloss index` holds the index lock.
    #[error("index {0} is locked by another gloss run; try again when it finishes")]
    Locked(PathBuf),

    /// The query has no words to search for.
    #[error("the query is empty: give at least one word, e.g. `gloss search token`")]
    EmptyQuery,

    /// An error from the search engine, with what gloss was doing.
    #[error("{context}: {source}")]
    Engine {
        context: String,
        #[source]
        source: tantivy::TantivyError,
    },
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an io error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Wraps a tantivy error with what gloss was doing.
    pub fn engine(context: impl Into<String>, source: tantivy::TantivyError) -> Self {
        Error::Engine {
            context: context.into(),
            source,
        }
    }
}
