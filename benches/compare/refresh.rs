//! Refresh: what a search or `gloss index` costs after one note was edited (a line of prose
//! appended, a definition added, a definition's text rewritten), after one was touched
//! without a change, and when nothing changed. Real corpora are copied to the system temp
//! folder first; nothing is edited in place except a generated corpus.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::corpus::{copy_tree, inside_git_repo};
use crate::process::{os, run_checked, show, time_run, tool_works};
use crate::queries::{gloss_cmd, gloss_search};
use crate::stats::Samples;
use crate::Config;

#[derive(Default)]
pub struct Refresh {
    pub search_after_edit: Samples,
    pub index_after_edit: Samples,
    /// `gloss index` after a new definition (a bold term and its text) was appended.
    pub index_after_new_definition: Samples,
    /// `gloss index` after the text of that definition was rewritten (names unchanged).
    pub index_after_definition_edit: Samples,
    /// `gloss define` showed the rewritten definition with its last text.
    pub definition_found: bool,
    pub search_after_touch: Samples,
    pub no_change: Samples,
    pub walk_only: Samples,
    /// `find DIR -printf '%T@ %s\n'`: every folder listed and every file stat'ed, what a
    /// freshness check that trusts nothing does; the named baseline of the refresh rows.
    pub stat_walk: Samples,
    pub edit_found: bool,
    pub note: Option<String>,
}

/// Where the refresh test works: a copy (removed afterwards) or the corpus itself.
struct Place {
    content: PathBuf,
    index: PathBuf,
    scratch: Option<PathBuf>,
}

impl Drop for Place {
    fn drop(&mut self) {
        if let Some(base) = &self.scratch {
            let _ = fs::remove_dir_all(base);
            let _ = fs::remove_dir_all(&self.index);
        }
    }
}

/// Copies `dir` to the temp folder and indexes the copy.
fn copy_of(cfg: &Config, key: &str, dir: &Path) -> Result<Place, String> {
    let base = std::env::temp_dir().join(format!("gloss-bench-{}", std::process::id()));
    let place = Place {
        content: base.join(key),
        index: cfg.tmp.join(key).join("index-copy"),
        scratch: Some(base.clone()),
    };
    let _ = fs::remove_dir_all(&base);
    let _ = fs::remove_dir_all(&place.index);
    if inside_git_repo(&base) {
        return Err(format!(
            "{} is inside a git repository (its ignore rules would apply): refresh test skipped; set TMPDIR",
            base.display()
        ));
    }
    copy_tree(dir, &place.content).map_err(|e| format!("copying {} failed: {e}", dir.display()))?;
    let build = run_checked(&gloss_cmd(
        cfg,
        &place.content,
        &place.index,
        &["index", "--rebuild"],
    ));
    if build.code != Some(0) {
        return Err(format!("indexing the copy failed: {}", build.stderr.trim()));
    }
    Ok(place)
}

/// Waits out gloss's margin for timestamps too recent to trust (2 s), then runs `gloss
/// index` once: a copy's notes were all written just before its build, so without this
/// the first timed refresh would hash every note instead of checking one edit.
fn settle(cfg: &Config, place: &Place) {
    std::thread::sleep(Duration::from_millis(2_500));
    let _ = run_checked(&gloss_cmd(cfg, &place.content, &place.index, &["index"]));
}

fn append(path: &Path, line: &str) {
    if let Ok(mut f) = fs::OpenOptions::new().append(true).open(path) {
        let _ = writeln!(f, "\n{line}");
    }
}

/// The refresh cases on one corpus. `in_place` names an index of `dir` that may be used
/// as is, and notes in `dir` that may be edited (a generated corpus).
pub fn measure(
    cfg: &Config,
    key: &str,
    dir: &Path,
    in_place: Option<&Path>,
    files: &[PathBuf],
    probe: &str,
) -> Refresh {
    let mut r = Refresh::default();
    let place = match in_place {
        Some(index) => Place {
            content: dir.to_path_buf(),
            index: index.to_path_buf(),
            scratch: None,
        },
        None => match copy_of(cfg, key, dir) {
            Ok(p) => p,
            Err(e) => {
                r.note = Some(e);
                return r;
            }
        },
    };
    let Some(middle) = files.get(files.len() / 2) else {
        return r;
    };
    settle(cfg, &place);
    let victim = place
        .content
        .join(middle.strip_prefix(dir).unwrap_or(middle));
    let search = |q: &str| gloss_search(cfg, &place.content, &place.index, q, false);
    let _ = run_checked(&search(probe));
    // The two one-edit cases take turns, so both meet the machine in the same state.
    for i in 0..cfg.refresh_runs {
        edit_then_search(&mut r, &victim, &search, i);
        edit_then_index(cfg, &mut r, &victim, &place, i);
    }
    definition_edits(cfg, &mut r, &victim, &place);
    for i in 0..cfg.refresh_runs {
        // Same content, new mtime: gloss re-hashes the file and finds it unchanged.
        let when = std::time::SystemTime::now() + Duration::from_secs(10 + i as u64);
        if let Ok(f) = fs::OpenOptions::new().write(true).open(&victim) {
            let _ = f.set_modified(when);
        }
        if let Some(t) = time_run(&search(probe)) {
            r.search_after_touch.push(t.wall, t.cpu_s);
        }
    }
    let _ = run_checked(&search(probe));
    let content = place.content.to_str().unwrap_or(".");
    let walk = os(&["rg", "--files", "--", content]);
    let stat_walk = os(&["find", content, "-printf", "%T@ %s\n"]);
    let find = tool_works("find", "--version");
    for _ in 0..cfg.runs {
        if let Some(t) = time_run(&search(probe)) {
            r.no_change.push(t.wall, t.cpu_s);
        }
        if cfg.rg {
            if let Some(t) = time_run(&walk) {
                r.walk_only.push(t.wall, t.cpu_s);
            }
        }
        if find {
            if let Some(t) = time_run(&stat_walk) {
                r.stat_walk.push(t.wall, t.cpu_s);
            }
        }
    }
    r
}

/// `gloss index` after definitions are added to `victim` (one new term per run), then after
/// the text of one more is rewritten in place (its term unchanged); `define` must then show
/// the last text.
fn definition_edits(cfg: &Config, r: &mut Refresh, victim: &Path, place: &Place) {
    let index = || {
        let out = run_checked(&gloss_cmd(cfg, &place.content, &place.index, &["index"]));
        (out.code == Some(0)).then_some(out)
    };
    for i in 0..cfg.refresh_runs {
        append(
            victim,
            &format!("**Zqxbench term {i}**: a definition added by the gloss bench."),
        );
        match index() {
            Some(out) => r.index_after_new_definition.push(out.wall, out.cpu_s),
            None => r.note = Some("`gloss index` after a new definition failed".into()),
        }
    }
    let Ok(before) = fs::read_to_string(victim) else {
        return;
    };
    // The first rewrite adds the term (untimed); the timed ones change only its text.
    let rewrite = |pass: usize| {
        let text = format!("**Zqxbench edited term**: the gloss bench rewrote this, pass {pass}.");
        fs::write(victim, format!("{before}\n{text}\n")).ok()?;
        index()
    };
    for pass in 0..=cfg.refresh_runs {
        match rewrite(pass) {
            Some(out) if pass > 0 => r.index_after_definition_edit.push(out.wall, out.cpu_s),
            Some(_) => {}
            None => {
                r.note = Some("`gloss index` after a definition edit failed".into());
                return;
            }
        }
    }
    let define = run_checked(&gloss_cmd(
        cfg,
        &place.content,
        &place.index,
        &["define", "Zqxbench edited term"],
    ));
    let last = format!("pass {}.", cfg.refresh_runs);
    r.definition_found = define.code == Some(0) && define.stdout.contains(&last);
}

/// Appends a line with a word found nowhere else, then searches for it (it must be found).
fn edit_then_search(
    r: &mut Refresh,
    victim: &Path,
    search: &dyn Fn(&str) -> Vec<std::ffi::OsString>,
    i: usize,
) {
    let word = format!("zqxbench{}", "k".repeat(i + 1));
    append(
        victim,
        &format!("Benchmark edit with {word}, appended by the gloss bench."),
    );
    let cmd = search(&word);
    let out = run_checked(&cmd);
    r.search_after_edit.push(out.wall, out.cpu_s);
    if out.code != Some(0) {
        r.note = Some(format!(
            "search after an edit did not find the new word: `{}` exited {:?}: {}",
            show(&cmd),
            out.code,
            out.stderr.trim()
        ));
    } else if i == 0 {
        r.edit_found = true;
    }
}

/// Appends a line of prose, then runs `gloss index`.
fn edit_then_index(cfg: &Config, r: &mut Refresh, victim: &Path, place: &Place, i: usize) {
    append(victim, &format!("Benchmark edit {i} before `gloss index`."));
    let cmd = gloss_cmd(cfg, &place.content, &place.index, &["index"]);
    let out = run_checked(&cmd);
    if out.code == Some(0) {
        r.index_after_edit.push(out.wall, out.cpu_s);
    } else {
        r.note = Some(format!(
            "`{}` after an edit exited {:?}: {}",
            show(&cmd),
            out.code,
            out.stderr.trim()
        ));
    }
}
