//! The refresh of notes edited in place. When a `stat` pass over the last commit's manifest
//! (the freshness check of a query, or the run's own) finds that only notes changed size or
//! time, while every folder stamp and ignore file is as recorded, nothing is unsettled and
//! the last walk read everything, then those notes are all a walk would find changed: the
//! run re-reads just them, without parsing the manifest, walking or listing anything, and
//! appends their new lines to the live manifest as a journal (see `manifest.rs`) instead
//! of writing it whole. Anything else goes the ordinary way, which also compacts the journal.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use super::{
    commit, defs, disk_full, folder, manifest, open, pause_for_test, probe_writable, update_graph,
    write, Manifest, Observed, Payload, Plan, Progress, Report, Store, Target,
};
use crate::error::{Error, Result};
use crate::notes::{self, NoteFile};

/// Journal lines a manifest of `lines` lines may hold before a refresh writes it whole.
fn journal_limit(lines: usize) -> usize {
    (lines / 8).max(256)
}

/// The live index of the notes folder `content_id` and what a `stat` pass over its manifest
/// sees now; `None` when there is none to refresh in place.
pub(super) fn observe(dir: &Path, content: &Path, content_id: &str) -> Option<(Store, Observed)> {
    let store = open(dir).ok()?.0?;
    if store.payload.content != content_id {
        return None;
    }
    let observed = store.observe(content)?;
    Some((store, observed))
}

/// True when notes edited in place are all that changed since `observed`'s manifest.
fn applies(store: &Store, observed: &Observed) -> bool {
    observed.listed
        && !observed.unsettled
        && observed.folders_same
        && !observed.edited.is_empty()
        && observed
            .edited
            .iter()
            .all(|(_, _, now)| now.is_some_and(|n| n.is_file))
        && observed.journal + observed.edited.len() <= journal_limit(observed.lines)
        && store.payload.manifest_len.is_some()
}

/// True when nothing changed since `observed`'s manifest and it records a whole, settled
/// walk: the ordinary run would list nothing again, find the index current and write
/// nothing.
fn current(observed: &Observed) -> bool {
    observed.seen.unchanged && observed.listed && !observed.unsettled
}

/// Re-indexes the notes edited in place, when that is all that changed, and reports an
/// index that is current as it is, without parsing its manifest (`Ok(None)` otherwise, or
/// when another run committed since `store` was opened: the ordinary run decides then).
/// Same steps as the ordinary run: lock, plan, write, commit, graph.
pub(super) fn run(
    content: &Path,
    dir: &Path,
    store: &Store,
    observed: &Observed,
    wait: bool,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Option<Report>> {
    let edited = applies(store, observed);
    if !edited && !current(observed) {
        return Ok(None);
    }
    pause_for_test("GLOSS_TEST_PAUSE_BEFORE_LOCK");
    let lock = folder::lock(dir, wait)?;
    pause_for_test("GLOSS_TEST_PAUSE_LOCKED");
    if !still_current(dir, store) {
        return Ok(None);
    }
    probe_writable(dir)?;
    if !edited {
        return Ok(Some(Report {
            files: observed.notes,
            ..Report::default()
        }));
    }
    let mut plan = plan(content, store, observed);
    let committed = write(dir, content, &mut plan, progress)
        .and_then(|writer| commit(&lock, dir, &mut plan, writer))
        .map_err(|err| disk_full(err, dir))?;
    update_graph(dir, &mut plan, committed);
    Ok(Some(plan.report))
}

/// True when `store` is still the last commit: same generation, same payload (a commit
/// names a new manifest or a longer one).
fn still_current(dir: &Path, store: &Store) -> bool {
    let live = folder::current_name(dir);
    let same_generation = live.is_some_and(|name| store.generation.ends_with(name));
    let payload = store.index.load_metas().ok().and_then(|m| m.payload);
    same_generation
        && payload
            .and_then(|p| serde_json::from_str::<Payload>(&p).ok())
            .is_some_and(|p| p == store.payload)
}

/// The plan: re-read the edited notes into the live index; the manifest holds just their
/// lines as last committed (their new ones are appended at the commit).
fn plan(content: &Path, store: &Store, observed: &Observed) -> Plan {
    let mut manifest = Manifest {
        listed: true,
        ..Manifest::default()
    };
    let mut to_index = Vec::new();
    for (rel, was, now) in &observed.edited {
        let Some(now) = now else { continue };
        manifest.files.insert(rel.clone(), was.clone());
        to_index.push(NoteFile {
            rel: rel.clone(),
            abs: notes::rel_path(content, rel),
            size: now.size,
            mtime_ns: now.mtime_ns,
        });
    }
    to_index.sort_by(|a, b| a.rel.cmp(&b.rel));
    let target = Target::Live {
        index: store.index.clone(),
        opstamp: store.index.load_metas().map_or(u64::MAX, |m| m.opstamp),
        generation: store.generation.clone(),
        stamps: store.generation.join(&store.payload.manifest),
    };
    Plan {
        target,
        defs: Some(defs::Defs::new(store.reader.clone(), store.fields)),
        definitions: None,
        manifest,
        to_index,
        removed: Vec::new(),
        listed: true,
        dirs: BTreeMap::new(),
        ignores: BTreeMap::new(),
        unsettled: BTreeSet::new(),
        content_id: store.payload.content.clone(),
        report: Report {
            files: observed.notes,
            ..Report::default()
        },
        journal: Some((
            store.payload.manifest.clone(),
            store.payload.manifest_len.unwrap_or(0),
        )),
    }
}

/// Appends the lines of `manifest`'s notes to the manifest `name` in `generation`, after
/// the `len` bytes its last commit vouches for (what a run that never committed appended
/// is cut off first), durably: the manifest's name and new length, for the commit payload.
pub(super) fn append(
    generation: &Path,
    name: &str,
    len: u64,
    manifest: &Manifest,
) -> Result<(String, u64)> {
    let path = generation.join(name);
    let lines = manifest::journal_lines(&manifest.files, manifest.listed);
    let mut file = OpenOptions::new()
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    file.set_len(len)
        .and_then(|()| file.seek(SeekFrom::Start(len)))
        .and_then(|_| file.write_all(lines.as_bytes()))
        .and_then(|()| file.sync_data())
        .map_err(|e| Error::io(&path, e))?;
    Ok((name.to_string(), len + lines.len() as u64))
}
