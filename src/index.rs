//! The index: tantivy schema, building and refreshing it from the notes, opening it.
//!
//! Layout of the index folder: `CURRENT` names the generation folder (`gen-<n>/`) that holds
//! the live tantivy index. A full build writes a new generation beside the old one and
//! switches `CURRENT` by an atomic rename after its commit, so an interrupted build leaves
//! the last good index in place. Incremental refreshes delete and re-add the entries of
//! changed files in the live generation and commit once; tantivy swaps `meta.json`
//! atomically. The manifest of indexed files (size, mtime, content hash; folder times) is a
//! file in the generation folder written before the commit, and the commit payload names
//! it, so the index and its manifest can never disagree; a query that skips the freshness
//! check never reads it.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions, STORED, STRING};
use tantivy::{doc, Index, IndexReader, ReloadPolicy, Term};

use crate::entries::{self, Entry, Kind};
use crate::error::{Error, Result};
use crate::notes::{self, NoteFile, Warning};
use crate::search::Hit;
use crate::sections;
use crate::tokenize::{self, Analyzer};

mod anchors;
mod defs;
mod folder;
mod handover;
mod manifest;
mod quick;
mod read_only;
mod stamps;

use handover::{Pump, Writer};

pub use folder::{inspect, State, MARKER};
pub use manifest::{unchanged, FileState, Manifest, Observed};

/// Version of the schema and analyzers; an index written with another one is rebuilt.
pub const SCHEMA_VERSION: u32 = 8;

/// Notes parsed per batch while the previous batch is being indexed.
const PARSE_BATCH: usize = 256;

/// Writer memory budget of the one writer thread: MDN's 54 MB of notes fit in one segment.
const WRITER_BYTES: usize = 96 * 1024 * 1024;

/// Notes re-read up to which the writer gets tantivy's smallest budget.
const TINY_REFRESH: usize = 64;

/// Field handles, resolved once.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// `definition` or `passage`.
    pub kind: tantivy::schema::Field,
    /// Stored term (definitions).
    pub term: tantivy::schema::Field,
    /// Stored aliases, one value each.
    pub alias: tantivy::schema::Field,
    /// Term and aliases, stemmed, for ranking.
    pub names: tantivy::schema::Field,
    /// Term and aliases, unstemmed, for typo matching.
    pub names_raw: tantivy::schema::Field,
    /// Normalised keys of the term and aliases, for exact lookups.
    pub key: tantivy::schema::Field,
    /// The term's own normalised key, stored even when empty: anchors and card ids.
    pub term_key: tantivy::schema::Field,
    /// Definition or passage text, stemmed and stored.
    pub body: tantivy::schema::Field,
    /// Heading path text, stemmed.
    pub heading: tantivy::schema::Field,
    /// Heading path, stored, one value per heading.
    pub heading_path: tantivy::schema::Field,
    /// File relative to the notes folder.
    pub file: tantivy::schema::Field,
    /// 1-based line; stored only (read back with the hit, never searched or sorted on).
    pub line: tantivy::schema::Field,
    /// Front matter tags.
    pub tag: tantivy::schema::Field,
}

fn text_options(analyzer: &str, positions: bool, stored: bool) -> TextOptions {
    let record = if positions {
        IndexRecordOption::WithFreqsAndPositions
    } else {
        IndexRecordOption::WithFreqs
    };
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(record),
    );
    if stored {
        options.set_stored()
    } else {
        options
    }
}

/// The schema and its field handles.
pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        kind: b.add_text_field("kind", STRING | STORED),
        term: b.add_text_field("term", STORED),
        alias: b.add_text_field("alias", STORED),
        names: b.add_text_field("names", text_options(tokenize::STEMMED, true, false)),
        names_raw: b.add_text_field("names_raw", text_options(tokenize::RAW, false, false)),
        key: b.add_text_field("key", STRING | STORED),
        term_key: b.add_text_field("term_key", STORED),
        body: b.add_text_field("body", text_options(tokenize::STEMMED, true, true)),
        heading: b.add_text_field("heading", text_options(tokenize::STEMMED, false, false)),
        heading_path: b.add_text_field("heading_path", STORED),
        file: b.add_text_field("file", STRING | STORED),
        line: b.add_u64_field("line", STORED),
        tag: b.add_text_field("tag", STRING | STORED),
    };
    (b.build(), fields)
}

/// The commit payload: small, read on every open.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// [`SCHEMA_VERSION`] of the gloss that wrote the index.
    pub schema: u32,
    /// Canonical path of the notes folder indexed.
    pub content: String,
    /// File name of the manifest in the generation folder.
    pub manifest: String,
    /// Bytes of the manifest this commit vouches for (the manifest's journal may have grown
    /// since, see `index/manifest.rs`); absent: the whole file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_len: Option<u64>,
}

/// What an index run did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Files in the notes folder.
    pub files: usize,
    /// Files read and (re-)indexed this run.
    pub indexed: usize,
    /// Files removed from the index.
    pub removed: usize,
    /// Definitions in the files indexed this run.
    pub definitions: usize,
    /// Passages in the files indexed this run.
    pub passages: usize,
    /// True when the index was built from scratch.
    pub rebuilt: bool,
    /// Why it was rebuilt, when that is news to the user.
    pub notice: Option<String>,
    /// Per-file problems.
    pub warnings: Vec<Warning>,
    /// Seconds taken.
    pub seconds: f64,
}

/// An opened index.
pub struct Store {
    /// The index folder.
    pub dir: PathBuf,
    /// The tantivy index (tokenizers registered).
    pub index: Index,
    /// Field handles.
    pub fields: Fields,
    /// A reader on the last commit.
    pub reader: IndexReader,
    /// The payload of the last commit.
    pub payload: Payload,
    /// The generation folder holding the index.
    pub generation: PathBuf,
    manifest: std::sync::OnceLock<Manifest>,
}

impl Store {
    /// True when the notes in `root` are exactly as last indexed (see [`unchanged`]). An
    /// index whose manifest is in the JSON of earlier versions is refreshed once, which
    /// writes it anew.
    pub fn unchanged(&self, root: &Path) -> bool {
        self.observe(root).is_some_and(|o| o.seen.unchanged)
    }

    /// The notes, folders and ignore files of the last commit's manifest as they are now
    /// ([`manifest::observe`]); `None` when the manifest cannot be read this way.
    pub fn observe(&self, root: &Path) -> Option<Observed> {
        if self.payload.manifest.ends_with(".json") {
            return None;
        }
        let mapped = manifest::map(&self.generation.join(&self.payload.manifest))?;
        let bytes = manifest::committed(&mapped, self.payload.manifest_len)?;
        // The stamp table beside it, when there is one fit to use; else the text.
        stamps::observe(&self.generation, &self.payload.manifest, bytes, root).or_else(|| {
            let text = std::str::from_utf8(bytes).ok()?;
            manifest::observe(&self.payload.manifest, text, root)
        })
    }

    /// What identifies the last commit's manifest as [`Store::observe`] saw it: its name
    /// and committed length ([`notes::Seen::source`]).
    fn manifest_id(&self) -> Option<String> {
        let len = self.payload.manifest_len?;
        Some(format!("{}#{len}", self.payload.manifest))
    }

    /// The manifest of the last commit, read on first use.
    pub fn manifest(&self) -> Result<&Manifest> {
        if let Some(m) = self.manifest.get() {
            return Ok(m);
        }
        let path = self.generation.join(&self.payload.manifest);
        let bytes = fs::read(&path).map_err(|e| index_err(&self.dir, format!("manifest: {e}")))?;
        let m = if self.payload.manifest.ends_with(".json") {
            serde_json::from_slice(&bytes).ok()
        } else {
            manifest::committed(&bytes, self.payload.manifest_len)
                .and_then(|part| std::str::from_utf8(part).ok())
                .and_then(Manifest::parse)
        };
        let m = m.ok_or_else(|| index_err(&self.dir, "manifest: not a gloss manifest"))?;
        Ok(self.manifest.get_or_init(|| m))
    }
}

/// How to bring the index up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// Re-index only what changed.
    Incremental,
    /// Build from scratch.
    Rebuild,
}

fn first_line(err: impl std::fmt::Display) -> String {
    err.to_string().lines().next().unwrap_or("").to_string()
}

/// The index could not be opened or read: [`Error::Index`].
fn index_err(dir: &Path, err: impl std::fmt::Display) -> Error {
    Error::Index {
        path: dir.to_path_buf(),
        message: first_line(err),
    }
}

/// The engine refused a write: [`Error::DiskFull`] when that is why, else
/// [`Error::IndexWrite`].
fn write_err(dir: &Path, err: tantivy::TantivyError) -> Error {
    if engine_disk_full(&err) {
        return Error::DiskFull(dir.to_path_buf());
    }
    Error::IndexWrite {
        path: dir.to_path_buf(),
        message: first_line(err),
    }
}

/// True for the io errors of a full disk (or an exhausted quota).
fn io_disk_full(e: &std::io::Error) -> bool {
    const ENOSPC: i32 = 28;
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    ) || e.raw_os_error() == Some(ENOSPC)
}

/// True when a tantivy error is, or wraps, the io error of a full disk. A writer thread's
/// error reaches the caller as its message only, hence the last resort on the text.
fn engine_disk_full(err: &tantivy::TantivyError) -> bool {
    use tantivy::directory::error::OpenWriteError;
    use tantivy::TantivyError as T;
    match err {
        T::IoError(e) => io_disk_full(e),
        T::OpenWriteError(OpenWriteError::IoError { io_error, .. }) => io_disk_full(io_error),
        other => {
            let text = other.to_string();
            text.contains("No space left on device") || text.contains("StorageFull")
        }
    }
}

/// `err`, or [`Error::DiskFull`] when a full disk is what it comes down to.
fn disk_full(err: Error, dir: &Path) -> Error {
    let full = match &err {
        Error::Io { source, .. } => io_disk_full(source),
        Error::Engine { source, .. } => engine_disk_full(source),
        Error::IndexWrite { message, .. } | Error::Index { message, .. } => {
            message.contains("No space left on device")
        }
        _ => false,
    };
    if full {
        Error::DiskFull(dir.to_path_buf())
    } else {
        err
    }
}

fn current_generation(dir: &Path) -> Option<PathBuf> {
    folder::current_name(dir).map(|name| dir.join(name))
}

/// Opens the index in `dir`. `Ok(None)` when there is none yet, or it was written by a
/// gloss with another schema (the reason is returned to tell the user).
///
/// A folder gloss did not make is [`Error::NotOurs`]; nothing in it is read.
pub fn open(dir: &Path) -> Result<(Option<Store>, Option<String>)> {
    open_with(dir, &|_, directory| directory)
}

/// Given a generation folder and the directory [`open`] reads it through, the directory to
/// read it through instead.
pub type Wrap<'a> = &'a dyn Fn(&Path, Box<dyn tantivy::Directory>) -> Box<dyn tantivy::Directory>;

/// [`open`], with the generation folder's directory handed to `wrap` (with the folder's
/// path) first: `gloss serve` reads the files into memory instead of mapping them.
pub fn open_with(dir: &Path, wrap: Wrap<'_>) -> Result<(Option<Store>, Option<String>)> {
    if folder::inspect(dir)? == State::Empty {
        return Ok((None, None));
    }
    let Some(generation) = current_generation(dir) else {
        return Ok((None, None));
    };
    let index = read_only::Tolerant::open(&generation)
        .map(|directory| wrap(&generation, Box::new(directory)))
        .and_then(Index::open)
        .map_err(|e| index_err(dir, e))?;
    let value: Option<serde_json::Value> = payload_of(&index)
        .map_err(|e| index_err(dir, e))?
        .and_then(|p| serde_json::from_str(&p).ok());
    let schema_seen = value
        .as_ref()
        .and_then(|v| v.get("schema"))
        .and_then(|v| v.as_u64());
    if let Some(seen) = schema_seen.filter(|&v| v != u64::from(SCHEMA_VERSION)) {
        return Ok((
            None,
            Some(format!(
                "the index was made by a gloss with index format {seen} (this one uses {SCHEMA_VERSION}); rebuilding it"
            )),
        ));
    }
    let Some(payload) = value.and_then(|v| serde_json::from_value::<Payload>(v).ok()) else {
        return Ok((
            None,
            Some("the index has no gloss manifest; rebuilding it".into()),
        ));
    };
    tokenize::register(&index);
    let (_, fields) = schema();
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
        .map_err(|e| index_err(dir, e))?;
    Ok((
        Some(Store {
            dir: dir.to_path_buf(),
            index,
            fields,
            reader,
            payload,
            generation,
            manifest: std::sync::OnceLock::new(),
        }),
        None,
    ))
}

/// The payload of the index's `meta.json`, read without building its schema again
/// ([`Index::open`] just did): a query opens the index, and each full parse of the
/// metas is about 2% of a search on the shipped notes.
fn payload_of(index: &Index) -> tantivy::Result<Option<String>> {
    use tantivy::Directory as _;
    #[derive(serde::Deserialize)]
    struct Payload {
        payload: Option<String>,
    }
    let bytes = index
        .directory()
        .atomic_read(std::path::Path::new("meta.json"))
        .map_err(|e| tantivy::TantivyError::InternalError(e.to_string()))?;
    serde_json::from_slice::<Payload>(&bytes)
        .map(|m| m.payload)
        .map_err(|e| tantivy::TantivyError::InternalError(format!("meta.json: {e}")))
}

/// Files that differ from the manifest: (changed or new, removed).
pub fn stale(manifest: &Manifest, files: &[NoteFile]) -> (Vec<NoteFile>, Vec<String>) {
    let changed: Vec<NoteFile> = files
        .iter()
        .filter(|f| {
            manifest
                .files
                .get(&f.rel)
                .is_none_or(|s| s.size != f.size || s.mtime_ns != f.mtime_ns)
        })
        .cloned()
        .collect();
    let present: std::collections::HashSet<&str> = files.iter().map(|f| f.rel.as_str()).collect();
    let removed = manifest
        .files
        .keys()
        .filter(|k| !present.contains(k.as_str()))
        .cloned()
        .collect();
    (changed, removed)
}

fn canonical(content: &Path) -> String {
    fs::canonicalize(content)
        .unwrap_or_else(|_| content.to_path_buf())
        .display()
        .to_string()
}

/// One file read, parsed and cut into entries.
struct Parsed {
    file: NoteFile,
    hash: String,
    entries: Vec<Entry>,
    warnings: Vec<Warning>,
    skipped: bool,
}

fn parse_file(file: &NoteFile) -> Parsed {
    let mut warnings = Vec::new();
    let loaded = match notes::load_sized(&file.abs, file.size) {
        Ok(loaded) => loaded,
        Err(err) => {
            warnings.push(Warning {
                file: file.rel.clone(),
                message: format!("skipped: {err}"),
            });
            return Parsed {
                file: file.clone(),
                hash: String::new(),
                entries: Vec::new(),
                warnings,
                skipped: true,
            };
        }
    };
    let hash = loaded.hash();
    let Some(text) = notes::decode(&file.rel, loaded.bytes, &mut warnings) else {
        return Parsed {
            file: file.clone(),
            hash,
            entries: Vec::new(),
            warnings,
            skipped: false,
        };
    };
    let doc = sections::parse(&text);
    warnings.extend(doc.problems.iter().map(|p| Warning {
        file: file.rel.clone(),
        message: p.clone(),
    }));
    Parsed {
        entries: entries::extract(&file.rel, &doc),
        file: file.clone(),
        hash,
        warnings,
        skipped: false,
    }
}

/// Makes the documents of `entries` and gives them to the pump, which hands them to the
/// writer.
fn add_entries(
    writer: &Writer,
    fields: &Fields,
    analyzer: &mut Analyzer,
    entries: &[Entry],
    pump: &mut Pump,
) -> tantivy::Result<()> {
    for e in entries {
        let mut d = doc!(
            fields.kind => e.kind.as_str(),
            fields.body => e.text.as_str(),
            fields.heading => e.heading_path.join(" \u{203a} "),
            fields.file => e.file.as_str(),
            fields.line => e.line as u64,
        );
        for h in &e.heading_path {
            d.add_text(fields.heading_path, h);
        }
        for t in &e.tags {
            d.add_text(fields.tag, t);
        }
        if let (Kind::Definition, Some(term)) = (e.kind, &e.term) {
            d.add_text(fields.term, term);
            d.add_text(fields.term_key, analyzer.key(term));
            let mut keys = Vec::new();
            // Silent keys (initials) are searchable names but never stored for display.
            for name in std::iter::once(term).chain(&e.aliases).chain(&e.keys) {
                d.add_text(fields.names, name);
                d.add_text(fields.names_raw, name);
                let key = analyzer.key(name);
                if !key.is_empty() && !keys.contains(&key) {
                    d.add_text(fields.key, &key);
                    keys.push(key);
                }
            }
            for a in &e.aliases {
                d.add_text(fields.alias, a);
            }
        }
        pump.add(writer, d)?;
    }
    Ok(())
}

/// Where an index run is, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// About to read and parse `files` notes.
    Start {
        /// Notes to (re-)index.
        files: usize,
    },
    /// `done` notes parsed so far.
    Parsed {
        /// Notes parsed.
        done: usize,
    },
    /// `done` notes handed to the index writer so far.
    Added {
        /// Notes added.
        done: usize,
    },
    /// All notes added; writing the index.
    Committing,
}

/// Brings the index in `dir` up to date with the notes in `content`, under the index lock.
/// `wait` says whether to wait for a concurrent run or fail with [`Error::Locked`].
pub fn refresh(content: &Path, dir: &Path, mode: Refresh, wait: bool) -> Result<Report> {
    refresh_with_progress(content, dir, mode, wait, &|_| {})
}

/// [`refresh`], reporting progress to `progress` (called from worker threads).
pub fn refresh_with_progress(
    content: &Path,
    dir: &Path,
    mode: Refresh,
    wait: bool,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Report> {
    refresh_seen(content, dir, mode, wait, progress, None)
}

/// [`refresh_with_progress`], given the store a query opened and what a `stat` pass over its
/// manifest just saw ([`Store::observe`]), so the run does not open it or `stat` it all again.
fn refresh_seen(
    content: &Path,
    dir: &Path,
    mode: Refresh,
    wait: bool,
    progress: &(dyn Fn(Progress) + Sync),
    given: Option<(&Store, &Observed)>,
) -> Result<Report> {
    match run(content, dir, mode, wait, progress, given) {
        // An incremental commit that the live generation refuses (files left by a killed
        // run that tantivy does not know about, say) is retried as a fresh build beside it.
        Err(Error::IndexWrite { message, .. }) if mode == Refresh::Incremental => {
            let mut report = run(content, dir, Refresh::Rebuild, wait, progress, None)?;
            report.notice = Some(format!(
                "the index could not be updated in place ({message}); rebuilt it"
            ));
            Ok(report)
        }
        other => other,
    }
}

/// Test hook, for tests that must act at an exact point of an index run: when the
/// environment variable `var` (`GLOSS_TEST_PAUSE_BEFORE_LOCK`: after the walk, before the
/// lock; `GLOSS_TEST_PAUSE_LOCKED`: just after taking the lock) names a file, the run
/// creates that file and waits until it is removed (at most a minute), once per process.
/// Not for users.
fn pause_for_test(var: &str) {
    static PAUSED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let Some(path) = std::env::var_os(var).filter(|p| !p.is_empty()) else {
        return;
    };
    if let Ok(mut paused) = PAUSED.lock() {
        if paused.iter().any(|v| v == var) {
            return;
        }
        paused.push(var.to_string());
    }
    let path = PathBuf::from(path);
    if fs::write(&path, b"").is_err() {
        return;
    }
    let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while path.exists() && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// One index run, in named steps: claim the folder, read the last commit's manifest, walk
/// the notes (only the folders that changed, when the manifest allows), lock, plan, write
/// the changes, commit them, update the graph. A run that fails removes the generation it
/// was building.
fn run(
    content: &Path,
    dir: &Path,
    mode: Refresh,
    wait: bool,
    progress: &(dyn Fn(Progress) + Sync),
    given: Option<(&Store, &Observed)>,
) -> Result<Report> {
    let started = std::time::Instant::now();
    folder::claim(dir, content)?;
    let content_id = canonical(content);
    let commit_seen = folder::commit_id(dir);
    let own;
    let observed = match given {
        Some(given) => Some(given),
        None if mode == Refresh::Incremental => {
            own = quick::observe(dir, content, &content_id);
            own.as_ref().map(|(store, o)| (store, o))
        }
        None => None,
    };
    // Notes edited in place, and nothing else: re-read just those.
    if let Some((store, o)) = observed {
        if let Some(mut report) = quick::run(content, dir, store, o, wait, progress)? {
            report.seconds = started.elapsed().as_secs_f64();
            return Ok(report);
        }
    }
    // The ordinary run allocates much and frees it at once; notes edited in place are
    // re-read on the system's allocator (see `allocator.rs`).
    crate::allocator::bulk();
    let seen = observed.map(|(_, o)| &o.seen);
    let mut last = Last::read(dir, &content_id, mode);
    let mut tree = last.walk(content, seen)?;
    pause_for_test("GLOSS_TEST_PAUSE_BEFORE_LOCK");
    let lock = folder::lock(dir, wait)?;
    pause_for_test("GLOSS_TEST_PAUSE_LOCKED");
    if folder::commit_id(dir) != commit_seen {
        // Another run committed after this walk: its index is newer than what the walk
        // saw, so plan again from the notes as they are now.
        last = Last::read(dir, &content_id, mode);
        tree = last.walk(content, None)?;
    }
    probe_writable(dir)?;
    let mut plan = plan(&lock, content_id, dir, tree, last)?;
    if plan.is_current() {
        let mut report = plan.report;
        report.seconds = started.elapsed().as_secs_f64();
        return Ok(report);
    }
    let written = write(dir, content, &mut plan, progress)
        .and_then(|writer| commit_with_graph(&lock, dir, &mut plan, writer));
    let (committed, fresh_graph) = match written {
        Ok(done) => done,
        Err(err) => {
            if let Target::Fresh { generation, .. } = &plan.target {
                lock.discard(generation);
            }
            return Err(disk_full(err, dir));
        }
    };
    match (&plan.target, fresh_graph) {
        (Target::Fresh { generation, .. }, Some(graph)) => {
            crate::graph::cache_built(generation, committed, &graph);
        }
        _ => update_graph(dir, &mut plan, committed),
    }
    let mut report = plan.report;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Work that depends only on the notes is done once per commit (`committed`), not per
/// query: the graph, unless no definition changed (then the last commit's graph is this
/// one's); a fresh build makes it from the definitions it indexed, without reading them back,
/// and a run that changed some updates the last graph with their notes' definitions.
fn update_graph(dir: &Path, plan: &mut Plan, committed: u64) {
    match (&plan.target, &plan.defs, plan.definitions.take()) {
        (
            Target::Live {
                opstamp,
                generation,
                ..
            },
            Some(defs),
            _,
        ) if !defs.changed => {
            crate::graph::carry_after_commit(dir, generation, *opstamp, committed);
        }
        (Target::Fresh { generation, .. }, _, Some(definitions)) => {
            let graph = crate::graph::build_fresh(definitions);
            crate::graph::cache_built(generation, committed, &graph);
        }
        (
            Target::Live {
                opstamp,
                generation,
                ..
            },
            Some(defs),
            _,
        ) => {
            // The changed notes' definitions come from this run: the graph is updated
            // from the last one's cache, per definition and node when only texts changed
            // (no bulk allocation: mimalloc is started only if the whole graph is made).
            crate::graph::update_after_commit(dir, generation, *opstamp, committed, &defs.notes);
        }
        _ => {
            // Building the graph allocates much: on mimalloc, even after an in-place run.
            crate::allocator::bulk();
            crate::graph::build_after_commit(dir);
        }
    }
}

/// [`commit`], with the graph of a fresh generation built meanwhile on another thread: the
/// commit mostly waits for the writer thread to write the segment. The commit's opstamp,
/// and the graph when there is one.
fn commit_with_graph(
    lock: &folder::Lock,
    dir: &Path,
    plan: &mut Plan,
    writer: Writer,
) -> Result<(u64, Option<crate::graph::Built>)> {
    let definitions = match plan.target {
        Target::Fresh { .. } => plan.definitions.take(),
        Target::Live { .. } => None,
    };
    std::thread::scope(|scope| {
        let graph = definitions.map(|d| scope.spawn(move || crate::graph::build_fresh(d)));
        let committed = commit(lock, dir, plan, writer);
        let graph = graph.and_then(|g| g.join().ok());
        committed.map(|opstamp| (opstamp, graph))
    })
}

/// The last commit as a run finds it: the live index and its manifest when the run can
/// update them in place, otherwise why not (when that is news to the user).
struct Last {
    existing: Option<(Store, Manifest)>,
    notice: Option<String>,
}

impl Last {
    fn read(dir: &Path, content_id: &str, mode: Refresh) -> Last {
        let (existing, notice) = reusable(dir, content_id, mode);
        Last { existing, notice }
    }

    /// The notes as they are now: from the last walk's record, listing again only the
    /// folders that changed, when the manifest says that record is whole; else a full walk.
    /// `seen`, the stats of a check of this same manifest, stand in for `stat`s.
    fn walk(&self, content: &Path, seen: Option<&notes::Seen>) -> Result<notes::Tree> {
        if let Some((store, manifest)) = self.existing.as_ref().filter(|(_, m)| m.listed) {
            let previous = notes::Previous {
                files: manifest.files.keys().map(String::as_str).collect(),
                dirs: &manifest.dirs,
                ignores: &manifest.ignores,
                unsettled: &manifest.unsettled,
                seen: seen.filter(|s| Some(&s.source) == store.manifest_id().as_ref()),
            };
            if let Some(tree) = notes::rewalk(content, &previous)? {
                return Ok(tree);
            }
        }
        notes::walk_tree(content)
    }
}

/// Fails with [`Error::ReadOnly`] when nothing can be written in the index folder: gloss
/// creates and removes its own temporary file there.
fn probe_writable(dir: &Path) -> Result<()> {
    let probe = dir.join(folder::PROBE);
    match File::create(&probe) {
        Ok(_) => {
            let _ = fs::remove_file(&probe);
            Ok(())
        }
        Err(e) if is_read_only(&e) => Err(Error::ReadOnly(dir.to_path_buf())),
        Err(e) => Err(disk_full(Error::io(&probe, e), dir)),
    }
}

fn is_read_only(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
    )
}

/// Where a run writes: the live generation, or a new one beside it.
enum Target {
    /// The live generation, updated in place.
    Live {
        /// Its tantivy index.
        index: Index,
        /// The opstamp of its last commit.
        opstamp: u64,
        /// Its folder.
        generation: PathBuf,
        /// The stamps file of its last commit.
        stamps: PathBuf,
    },
    /// A new generation, switched to after its commit.
    Fresh {
        /// Its tantivy index.
        index: Index,
        /// Its folder.
        generation: PathBuf,
    },
}

/// What a run is going to do, decided under the lock.
struct Plan {
    target: Target,
    /// The definitions of the live index, to tell whether this run changes the graph
    /// (none for a fresh build).
    defs: Option<defs::Defs>,
    /// A fresh build's definitions, as the graph reads them, collected as they are added.
    definitions: Option<Vec<Hit>>,
    /// The manifest as it will be committed, updated as notes are added.
    manifest: Manifest,
    /// Notes to (re-)read.
    to_index: Vec<NoteFile>,
    /// Notes gone since the last commit.
    removed: Vec<String>,
    /// True while the walk and the notes read so far met nothing unreadable.
    listed: bool,
    /// Folder and ignore-file times of this walk, and those it could not vouch for.
    dirs: BTreeMap<String, u64>,
    ignores: BTreeMap<String, u64>,
    unsettled: std::collections::BTreeSet<String>,
    /// The notes folder, as recorded in the payload.
    content_id: String,
    report: Report,
    /// Set when only notes edited in place are re-read: the live manifest and the length its
    /// commit vouches for, to which their lines are appended instead of writing it whole.
    journal: Option<(String, u64)>,
}

impl Plan {
    /// True when the live index already matches the walk: nothing to write.
    fn is_current(&self) -> bool {
        let Target::Live { stamps, .. } = &self.target else {
            return false;
        };
        self.to_index.is_empty()
            && self.removed.is_empty()
            && self.manifest.dirs == self.dirs
            && self.manifest.ignores == self.ignores
            && self.manifest.listed == self.listed
            && self.manifest.unsettled == self.unsettled
            && stamps.exists()
    }
}

/// The live index and its manifest, when an incremental run can update them; otherwise why
/// not, when that is news to the user.
fn reusable(
    dir: &Path,
    content_id: &str,
    mode: Refresh,
) -> (Option<(Store, Manifest)>, Option<String>) {
    if mode == Refresh::Rebuild {
        return (None, None);
    }
    let (store, notice) = match open(dir) {
        Ok(found) => found,
        Err(err) => return (None, Some(format!("{}; rebuilding it", damage(&err)))),
    };
    let Some(store) = store else {
        return (None, notice);
    };
    if store.payload.content != content_id {
        let notice = format!(
            "the index was built from {}; rebuilding it for {content_id}",
            store.payload.content
        );
        return (None, Some(notice));
    }
    // A manifest that cannot be read is a damaged index (or one of an older gloss): rebuild.
    match store.manifest().cloned() {
        Ok(manifest) => (Some((store, manifest)), None),
        Err(_) if manifest::older(&store.generation.join(&store.payload.manifest)) => (
            None,
            Some("the index was made by an older gloss; rebuilding it".into()),
        ),
        Err(err) => (None, Some(format!("{}; rebuilding it", damage(&err)))),
    }
}

/// Decides what to write: which notes changed since the last commit, or a full build into a
/// new generation.
fn plan(
    lock: &folder::Lock,
    content_id: String,
    dir: &Path,
    tree: notes::Tree,
    last: Last,
) -> Result<Plan> {
    let mut report = Report {
        files: tree.files.len(),
        warnings: tree.warnings,
        ..Report::default()
    };
    let mut defs = None;
    let (target, manifest, to_index, removed) = match last.existing {
        Some((store, manifest)) => {
            let (changed, removed) = stale(&manifest, &tree.files);
            let stamps = store.generation.join(&store.payload.manifest);
            defs = Some(defs::Defs::new(store.reader.clone(), store.fields));
            let target = Target::Live {
                // No opstamp (meta.json unreadable now): no graph to carry over.
                opstamp: store.index.load_metas().map_or(u64::MAX, |m| m.opstamp),
                index: store.index,
                generation: store.generation,
                stamps,
            };
            (target, manifest, changed, removed)
        }
        None => {
            report.rebuilt = true;
            report.notice = last.notice;
            let generation = lock.new_generation()?;
            let (schema, _) = schema();
            let index = create_index(&generation, schema).map_err(|e| {
                lock.discard(&generation);
                write_err(dir, e)
            })?;
            tokenize::register(&index);
            let target = Target::Fresh { index, generation };
            (target, Manifest::default(), tree.files, Vec::new())
        }
    };
    let definitions = matches!(target, Target::Fresh { .. }).then(Vec::new);
    Ok(Plan {
        target,
        defs,
        definitions,
        listed: report.warnings.is_empty(),
        manifest,
        to_index,
        removed,
        dirs: tree.dirs.into_iter().collect(),
        ignores: tree.ignores.into_iter().collect(),
        unsettled: tree.unsettled,
        content_id,
        report,
        journal: None,
    })
}

/// A new tantivy index in `generation`. The doc store is compressed on the writer thread,
/// not on a thread of its own: with one writer thread, handing each 16 KB block to another
/// thread woke it about 6,000 times on MDN, each a context switch on a busy machine, for
/// about 2% of the run's CPU in compression. The store's bytes are the same.
fn create_index(generation: &Path, schema: Schema) -> tantivy::Result<Index> {
    let settings = tantivy::IndexSettings {
        docstore_compress_dedicated_thread: false,
        ..tantivy::IndexSettings::default()
    };
    Index::builder()
        .schema(schema)
        .settings(settings)
        .create_in_dir(generation)
}

/// Opens the writer of the plan's target and hands it the plan's deletions and the notes,
/// parsed on all cores; the manifest and report follow along. Nothing is committed yet.
fn write(
    dir: &Path,
    content: &Path,
    plan: &mut Plan,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Writer> {
    let (Target::Live { index, .. } | Target::Fresh { index, .. }) = &plan.target;
    progress(Progress::Start {
        files: plan.to_index.len(),
    });
    // One writer thread (the notes are parsed on all cores meanwhile): a run's notes go
    // into one segment, in file order, so each term's dictionary entry and postings list
    // are written once, not once per thread, and ties rank the same on every run. A few
    // notes re-read: tantivy's smallest budget (15 MB) starts faster than a big arena, and
    // one merge thread is started instead of tantivy's four.
    let tiny = plan.to_index.len() <= TINY_REFRESH;
    let options = tantivy::indexer::IndexWriterOptions::builder()
        .num_worker_threads(1)
        .memory_budget_per_thread(if tiny { 16 * 1024 * 1024 } else { WRITER_BYTES })
        .num_merge_threads(if tiny { 1 } else { 4 })
        .build();
    let mut writer: Writer = index.writer_with_options(options).map_err(|e| match e {
        tantivy::TantivyError::LockFailure(..) => Error::Locked(dir.to_path_buf()),
        other => write_err(dir, other),
    })?;
    // A run killed mid-commit can leave files the next commit would write again
    // (`FileAlreadyExists`): collect them first, under the lock.
    let _ = writer.garbage_collect_files().wait();
    let (_, fields) = schema();
    for rel in &plan.removed {
        if let Some(defs) = &mut plan.defs {
            defs.note(rel, &[]);
        }
        writer.delete_term(Term::from_field_text(fields.file, rel));
        plan.manifest.files.remove(rel);
        plan.report.removed += 1;
    }
    let fresh = matches!(plan.target, Target::Fresh { .. });
    let added = add_notes(&mut writer, &fields, plan, fresh, progress);
    if let Err(err) = added {
        // A writer thread that died says only that it died; its own error (a full disk,
        // say) comes out when the threads are joined.
        let cause = writer.prepare_commit().err().unwrap_or(err);
        return Err(write_err(dir, cause));
    }
    // Notes that vanished with their folder are not "removed": the run fails instead of
    // committing an index of whatever was read before.
    if !content.is_dir() {
        return Err(Error::ContentMissing(content.to_path_buf()));
    }
    Ok(writer)
}

/// Parses the plan's notes in batches (the next batch on all cores while the writer takes
/// this one, in file order so ties rank the same on every run, at most two batches in
/// memory) and adds their entries.
fn add_notes(
    writer: &mut Writer,
    fields: &Fields,
    plan: &mut Plan,
    fresh: bool,
    progress: &(dyn Fn(Progress) + Sync),
) -> tantivy::Result<()> {
    let done = std::sync::atomic::AtomicUsize::new(0);
    let (batches, received) = std::sync::mpsc::sync_channel::<Vec<Parsed>>(1);
    let to_index = std::mem::take(&mut plan.to_index);
    let mut analyzer = Analyzer::default();
    let mut pump = Pump::new();
    let result = std::thread::scope(|scope| -> tantivy::Result<()> {
        let done = &done;
        let to_index = &to_index;
        scope.spawn(move || {
            let parse = |file: &NoteFile| {
                let parsed = parse_file(file);
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(Progress::Parsed { done: n });
                parsed
            };
            for chunk in to_index.chunks(PARSE_BATCH) {
                // One note (an edit): parsed here, without starting the thread pool.
                let parsed: Vec<Parsed> = match chunk {
                    [one] => vec![parse(one)],
                    _ => chunk.par_iter().map(parse).collect(),
                };
                if batches.send(parsed).is_err() {
                    break;
                }
            }
        });
        for (n, p) in received.into_iter().flatten().enumerate() {
            progress(Progress::Added { done: n + 1 });
            let rel = p.file.rel.clone();
            if let Some(entries) = record(plan, p, fresh) {
                if let Some(defs) = &mut plan.defs {
                    defs.note(&rel, &entries);
                }
                if let Some(definitions) = &mut plan.definitions {
                    definitions.extend(entries.iter().filter_map(definition_hit));
                }
                // The note's entries from the last commit go; its new ones replace them.
                // A fresh generation has none (and a delete costs a lookup per segment).
                if !fresh {
                    writer.delete_term(Term::from_field_text(fields.file, &rel));
                }
                add_entries(writer, fields, &mut analyzer, &entries, &mut pump)?;
            }
        }
        pump.flush(writer)
    });
    plan.to_index = to_index;
    result
}

/// A definition entry as the graph reads it back from the index ([`Hit::from_doc`]): term,
/// aliases, text and place. None for passages and definitions without a term.
pub(super) fn definition_hit(e: &Entry) -> Option<Hit> {
    let term = e.term.as_ref().filter(|_| e.kind == Kind::Definition)?;
    Some(Hit {
        kind: Kind::Definition,
        term: Some(term.clone()),
        aliases: e.aliases.clone(),
        text: e.text.clone(),
        file: e.file.clone(),
        line: e.line,
        ..Hit::default()
    })
}

/// Records one parsed note in the plan's manifest and report; its entries when they must be
/// (re-)added (a note whose bytes did not change is kept as indexed, in place).
fn record(plan: &mut Plan, p: Parsed, fresh: bool) -> Option<Vec<Entry>> {
    plan.report.warnings.extend(p.warnings);
    if p.skipped {
        plan.listed = false;
        return None;
    }
    let unchanged = plan
        .manifest
        .files
        .get(&p.file.rel)
        .is_some_and(|s| s.hash == p.hash);
    plan.manifest.files.insert(
        p.file.rel.clone(),
        FileState {
            size: p.file.size,
            mtime_ns: p.file.mtime_ns,
            hash: p.hash,
        },
    );
    if unchanged && !fresh {
        return None;
    }
    plan.report.indexed += 1;
    plan.report.definitions += p
        .entries
        .iter()
        .filter(|e| e.kind == Kind::Definition)
        .count();
    plan.report.passages += p.entries.iter().filter(|e| e.kind == Kind::Passage).count();
    Some(p.entries)
}

/// Commits what [`write`] added, with the manifest named in the payload; a fresh
/// generation then becomes the live one. This is the one place a finished run lands.
/// Returns the commit's opstamp.
fn commit(lock: &folder::Lock, dir: &Path, plan: &mut Plan, mut writer: Writer) -> Result<u64> {
    plan.manifest.dirs = std::mem::take(&mut plan.dirs);
    plan.manifest.ignores = std::mem::take(&mut plan.ignores);
    plan.manifest.listed = plan.listed;
    plan.manifest.unsettled = std::mem::take(&mut plan.unsettled);
    let (Target::Live { generation, .. } | Target::Fresh { generation, .. }) = &plan.target;
    let (manifest_name, len) = match &plan.journal {
        Some((name, len)) => quick::append(generation, name, *len, &plan.manifest)?,
        None => write_manifest(generation, &plan.manifest)?,
    };
    let payload = serde_json::to_string(&Payload {
        schema: SCHEMA_VERSION,
        content: plan.content_id.clone(),
        manifest: manifest_name.clone(),
        manifest_len: Some(len),
    })
    .unwrap_or_default();
    let mut prepared = writer.prepare_commit().map_err(|e| write_err(dir, e))?;
    prepared.set_payload(&payload);
    let opstamp = prepared.commit().map_err(|e| write_err(dir, e))?;
    writer
        .wait_merging_threads()
        .map_err(|e| write_err(dir, e))?;
    remove_other_manifests(generation, &manifest_name);
    if let Target::Fresh { generation, .. } = &plan.target {
        lock.switch(generation)?;
    }
    Ok(opstamp)
}

/// Writes the manifest beside the index, durably, under a fresh name (the last commit's
/// payload still names the old one until this commit lands): its name and length.
fn write_manifest(generation: &Path, manifest: &Manifest) -> Result<(String, u64)> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let name = format!("gloss-manifest-{stamp}-{}.tsv", std::process::id());
    let text = manifest.render();
    write_durably(&generation.join(&name), text.as_bytes())?;
    stamps::write(generation, &name, &text);
    Ok((name, text.len() as u64))
}

fn write_durably(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = File::create(path).map_err(|e| Error::io(path, e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(path, e))
}

/// Removes manifests no commit names any more, and their stamp tables (best effort).
fn remove_other_manifests(generation: &Path, keep: &str) {
    let table = stamps::name_of(keep);
    if let Ok(read) = fs::read_dir(generation) {
        for entry in read.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = name.starts_with("gloss-manifest-") || name.starts_with(stamps::PREFIX);
            if ours && name != keep && name != table {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// Opens the index for a query, building it on first use and, when `check` is on,
/// refreshing it when the notes changed (`check = false` answers from the index as it is,
/// without walking the notes). When the index cannot be refreshed (another run holds the
/// lock, the folder is read-only, the disk is full), the last commit answers, with a
/// one-line notice. Reports the progress of any index run it starts.
pub fn ensure_fresh_with_progress(
    content: &Path,
    dir: &Path,
    check: bool,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(Store, Option<Report>, Option<String>)> {
    folder::refuse_overlap(dir, content)?;
    let (store, notice) = match open(dir) {
        Ok(found) => found,
        Err(err @ (Error::NotOurs { .. } | Error::Io { .. })) => return Err(err),
        Err(err) => (None, Some(format!("{}; rebuilding it", damage(&err)))),
    };
    let Some(store) = store else {
        let mut report = refresh_with_progress(content, dir, Refresh::Incremental, true, progress)?;
        if report.notice.is_none() {
            report.notice = notice;
        }
        return Ok((reopen(dir)?, Some(report), None));
    };
    if !check {
        return Ok((store, None, None));
    }
    if !content.is_dir() {
        return Err(Error::ContentMissing(content.to_path_buf()));
    }
    // The stats of the check are handed to the refresh, which does not take them again.
    let seen = (store.payload.content == canonical(content))
        .then(|| store.observe(content))
        .flatten();
    if seen.as_ref().is_some_and(|o| o.seen.unchanged) {
        return Ok((store, None, None));
    }
    let given = seen.as_ref().map(|o| (&store, o));
    match refresh_seen(content, dir, Refresh::Incremental, false, progress, given) {
        Ok(report) => Ok((refreshed(dir, store)?, Some(report), None)),
        Err(err @ (Error::NotOurs { .. } | Error::ContentMissing(_))) => Err(err),
        Err(err) => Ok((store, None, Some(unrefreshed(&err)))),
    }
}

/// The index as just committed by a refresh of `store`'s notes. A refresh that committed
/// into `store`'s own generation (notes edited in place) leaves it open: its reader is
/// reloaded (segment files it has open are not opened again) and the commit's payload read;
/// any other commit, or a payload that does not read, opens the index anew.
fn refreshed(dir: &Path, store: Store) -> Result<Store> {
    let live = folder::current_name(dir);
    if !live.is_some_and(|name| store.generation.ends_with(name)) {
        return reopen(dir);
    }
    let payload = payload_of(&store.index)
        .ok()
        .flatten()
        .and_then(|p| serde_json::from_str::<Payload>(&p).ok())
        .filter(|p| p.schema == SCHEMA_VERSION);
    match payload {
        Some(payload) if store.reader.reload().is_ok() => Ok(Store {
            payload,
            manifest: std::sync::OnceLock::new(),
            ..store
        }),
        _ => reopen(dir),
    }
}

/// The index as just committed.
fn reopen(dir: &Path) -> Result<Store> {
    let (store, _) = open(dir)?;
    store.ok_or_else(|| index_err(dir, "the index is missing after it was written"))
}

/// The one-line notice for a query answered from an index that could not be refreshed.
fn unrefreshed(err: &Error) -> String {
    let why = match err {
        Error::Locked(_) => "another gloss run is indexing".to_string(),
        Error::ReadOnly(path) => format!("the index {} is read-only", path.display()),
        Error::DiskFull(path) => format!("the disk holding {} is full", path.display()),
        other => format!("could not refresh the index ({other})"),
    };
    format!("{why}; answering from the last committed index")
}

/// A one-line description of a damaged index, without the rebuild hint.
fn damage(err: &Error) -> String {
    match err {
        Error::Index { path, message } => {
            format!("the index in {} is damaged ({message})", path.display())
        }
        other => other.to_string(),
    }
}

/// What `gloss index --check` found.
#[derive(Debug, Clone, Default)]
pub struct Check {
    /// Notes changed since they were indexed.
    pub stale: Vec<String>,
    /// Notes not in the index yet.
    pub missing: Vec<String>,
    /// Indexed notes that no longer exist.
    pub removed: Vec<String>,
    /// Index files whose checksum fails, or why the index cannot be opened.
    pub corrupt: Vec<String>,
    /// True when there is no index at all.
    pub absent: bool,
    /// Why the index cannot be refreshed, when it is read-only (not a fault: it answers).
    pub read_only: Option<String>,
}

impl Check {
    /// True when the index matches the notes and is intact.
    pub fn is_clean(&self) -> bool {
        !self.absent
            && self.stale.is_empty()
            && self.missing.is_empty()
            && self.removed.is_empty()
            && self.corrupt.is_empty()
    }
}

/// Verifies the index against the notes without changing either: which notes are stale,
/// missing or removed, which index files fail their checksums, and whether the folder is
/// read-only (learnt by creating and removing gloss's own probe file in it).
pub fn check(content: &Path, dir: &Path) -> Result<Check> {
    let mut report = Check::default();
    folder::refuse_overlap(dir, content)?;
    folder::inspect(dir)?;
    // tantivy can panic on segment files with damaged bytes; that is a finding here.
    let Ok(opened) = std::panic::catch_unwind(|| open(dir)) else {
        report
            .corrupt
            .push("index files are damaged: the engine failed reading them".into());
        return Ok(report);
    };
    let store = match opened {
        Ok((Some(store), _)) => store,
        Ok((None, reason)) => {
            report.absent = true;
            report.corrupt.extend(reason);
            return Ok(report);
        }
        Err(err) => {
            report.corrupt.push(damage(&err));
            return Ok(report);
        }
    };
    if let Err(err @ Error::ReadOnly(_)) = probe_writable(dir) {
        report.read_only = Some(err.to_string());
    }
    match store.index.validate_checksum() {
        Ok(bad) => report.corrupt.extend(
            bad.iter()
                .map(|p| format!("{}: checksum mismatch", p.display())),
        ),
        Err(err) => report.corrupt.push(err.to_string()),
    }
    let manifest = match store.manifest() {
        Ok(m) => m,
        Err(err) => {
            report.corrupt.push(damage(&err));
            return Ok(report);
        }
    };
    let (files, _) = notes::walk(content)?;
    let (changed, removed) = stale(manifest, &files);
    for file in changed {
        if manifest.files.contains_key(&file.rel) {
            // Same size and time are required to skip; a touched but identical file is not stale.
            let same = notes::load(&file.abs)
                .map(|l| l.hash())
                .is_ok_and(|h| manifest.files.get(&file.rel).is_some_and(|s| s.hash == h));
            if !same {
                report.stale.push(file.rel);
            }
        } else {
            report.missing.push(file.rel);
        }
    }
    report.removed = removed;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notes_dir() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let notes = dir.path().join("notes");
        fs::create_dir(&notes).unwrap();
        fs::write(notes.join("a.md"), "**Alpha**: First letter.\n").unwrap();
        let index = dir.path().join("index");
        (dir, notes, index)
    }

    #[test]
    fn a_query_after_an_in_place_edit_reads_the_new_commit_through_the_store_it_had_open() {
        let (_dir, notes, index) = notes_dir();
        let nothing = &|_: Progress| {};
        let (first, report, _) = ensure_fresh_with_progress(&notes, &index, true, nothing).unwrap();
        assert!(report.is_some_and(|r| r.rebuilt));
        drop(first);
        // Past the racy-timestamp margin, so the edit below is seen by its stamp alone.
        std::thread::sleep(std::time::Duration::from_millis(2100));
        let (settled, _, _) = ensure_fresh_with_progress(&notes, &index, true, nothing).unwrap();
        drop(settled);
        fs::write(notes.join("a.md"), "**Alpha**: First letter, zqxedited.\n").unwrap();
        let (store, report, notice) =
            ensure_fresh_with_progress(&notes, &index, true, nothing).unwrap();
        assert_eq!(
            (report.map(|r| (r.rebuilt, r.indexed)), notice),
            (Some((false, 1)), None)
        );
        let (fresh, _) = open(&index).unwrap();
        let fresh = fresh.unwrap();
        assert_eq!(
            store.generation, fresh.generation,
            "not an in-place refresh"
        );
        assert_eq!(store.payload, fresh.payload);
        // Live documents holding a word (the edited note's old ones are deleted).
        let count = |s: &Store, word: &str| {
            let term = Term::from_field_text(s.fields.body, word);
            let query = tantivy::query::TermQuery::new(term, IndexRecordOption::Basic);
            let searcher = s.reader.searcher();
            searcher.search(&query, &tantivy::collector::Count).unwrap()
        };
        for word in ["zqxedit", "letter", "first"] {
            assert_eq!(count(&store, word), count(&fresh, word), "{word}");
        }
        assert!(count(&store, "zqxedit") > 0);
        let docs = |s: &Store| s.reader.searcher().num_docs();
        assert_eq!(docs(&store), docs(&fresh));
        assert!(store.unchanged(&notes));
    }

    #[test]
    fn a_second_run_over_unchanged_notes_writes_nothing() {
        let (_dir, notes, index) = notes_dir();
        let first = refresh(&notes, &index, Refresh::Incremental, true).unwrap();
        assert!(first.rebuilt);
        assert_eq!((first.indexed, first.definitions), (1, 1));
        let commit = folder::commit_id(&index);
        let second = refresh(&notes, &index, Refresh::Incremental, true).unwrap();
        assert!(!second.rebuilt);
        assert_eq!((second.indexed, second.removed), (0, 0));
        assert_eq!(
            folder::commit_id(&index),
            commit,
            "an empty commit was made"
        );
    }

    #[test]
    fn an_edit_reindexes_only_that_note_and_a_removal_drops_it() {
        let (_dir, notes, index) = notes_dir();
        fs::write(notes.join("b.md"), "**Beta**: Second letter.\n").unwrap();
        refresh(&notes, &index, Refresh::Incremental, true).unwrap();
        fs::write(notes.join("b.md"), "**Beta**: Second letter, edited.\n").unwrap();
        let report = refresh(&notes, &index, Refresh::Incremental, true).unwrap();
        assert_eq!((report.rebuilt, report.indexed), (false, 1));
        fs::remove_file(notes.join("a.md")).unwrap();
        let report = refresh(&notes, &index, Refresh::Incremental, true).unwrap();
        assert_eq!((report.indexed, report.removed), (0, 1));
        let (store, _) = open(&index).unwrap();
        let manifest = store.unwrap().manifest().unwrap().clone();
        assert_eq!(manifest.files.keys().collect::<Vec<_>>(), ["b.md"]);
    }

    #[test]
    fn a_fresh_builds_graph_is_the_graph_read_back_from_its_index() {
        let (_dir, notes, index) = notes_dir();
        fs::write(
            notes.join("b.md"),
            "# B\n\n**Beta**: After alpha.\n\n**Gamma** (GM): After beta and Alpha.\n\n\
             **alpha**: Also a letter, before gamma.\n",
        )
        .unwrap();
        refresh(&notes, &index, Refresh::Rebuild, true).unwrap();
        let store = open(&index).unwrap().0.unwrap();
        let graphs = || -> Vec<PathBuf> {
            fs::read_dir(&store.generation)
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    let name = p.file_name().unwrap_or_default().to_string_lossy();
                    name.starts_with("graph-") && name.ends_with(".bin")
                })
                .collect()
        };
        assert_eq!(graphs().len(), 1, "the build cached no graph");
        let cached = crate::graph::load_or_build(&store).unwrap();
        fs::remove_file(&graphs()[0]).unwrap();
        let read_back = crate::graph::load_or_build(&store).unwrap();
        assert_eq!(cached, read_back);
        assert_eq!(cached.nodes.len(), 3);
        assert!(cached.mentions.iter().all(|m| !m.is_empty()));
    }

    #[test]
    fn the_stamps_notice_an_ignore_file_created_above_the_notes() {
        let (dir, notes, index) = notes_dir();
        refresh(&notes, &index, Refresh::Incremental, true).unwrap();
        let store = open(&index).unwrap().0.unwrap();
        assert!(store.unchanged(&notes));
        fs::write(dir.path().join(".ignore"), "a.md\n").unwrap();
        assert!(!store.unchanged(&notes));
    }

    #[test]
    fn a_full_disk_is_recognised_through_the_engines_wrappers() {
        let enospc = || std::io::Error::from_raw_os_error(28);
        let dir = Path::new("idx");
        let wrapped = tantivy::TantivyError::IoError(std::sync::Arc::new(enospc()));
        assert!(matches!(write_err(dir, wrapped), Error::DiskFull(_)));
        let open_write = tantivy::TantivyError::OpenWriteError(
            tantivy::directory::error::OpenWriteError::IoError {
                io_error: std::sync::Arc::new(enospc()),
                filepath: PathBuf::from("x.idx"),
            },
        );
        assert!(matches!(write_err(dir, open_write), Error::DiskFull(_)));
        let thread = tantivy::TantivyError::ErrorInThread(format!("{:?}", enospc().to_string()));
        assert!(matches!(write_err(dir, thread), Error::DiskFull(_)));
        assert!(matches!(
            disk_full(Error::io("x", enospc()), dir),
            Error::DiskFull(_)
        ));
        let other = tantivy::TantivyError::ErrorInThread("An index writer was killed.".into());
        assert!(matches!(write_err(dir, other), Error::IndexWrite { .. }));
    }
}
