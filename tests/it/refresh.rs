//! Refreshes that list again only the folders that changed and re-read only the notes that
//! changed give the same index as a build from scratch: after each kind of change, the
//! glossary, what a search finds and the related terms of every term are compared with
//! those of a fresh `--rebuild` into another index folder.

use std::path::Path;

use assert_cmd::Command;

use crate::common::Sandbox;

/// `gloss --content notes --index INDEX ARGS...`, as `Sandbox::gloss` runs it.
fn gloss_at(sb: &Sandbox, index: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("gloss")
        .expect("binary")
        .current_dir(sb.dir.path())
        .env_remove("GLOSS_CONTENT")
        .env_remove("GLOSS_INDEX")
        .env_remove("GLOSS_NO_REFRESH")
        .env("GLOSS_CONFIG", "")
        .arg("--content")
        .arg(sb.notes())
        .arg("--index")
        .arg(index)
        .args(args)
        .output()
        .expect("run gloss")
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What the index answers: the glossary, a search, and each term's related terms.
fn answers(sb: &Sandbox, index: &Path) -> String {
    let no_refresh = |args: &[&str]| {
        let mut all = vec!["--no-refresh"];
        all.extend(args);
        stdout(&gloss_at(sb, index, &all))
    };
    let terms = no_refresh(&["terms", "--format", "json"]);
    let listed: serde_json::Value = serde_json::from_str(&terms).expect("terms JSON");
    // Scores may differ: deleted documents count in the statistics until segments merge.
    let found: serde_json::Value =
        serde_json::from_str(&no_refresh(&["search", "letter", "--format", "json"]))
            .expect("search JSON");
    let mut places: Vec<String> = found["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| format!("{} {}:{}", h["term"], h["file"], h["line"]))
        .collect();
    places.sort();
    let mut out = format!("terms: {terms}\nsearch: {places:?}");
    for hit in listed["hits"].as_array().expect("hits") {
        let term = hit["term"].as_str().expect("term");
        let related = no_refresh(&["related", term, "--format", "json"]);
        out.push_str(&format!("\nrelated {term}: {related}"));
    }
    out
}

/// Refreshes the sandbox's index with `gloss index`, checks it against a fresh rebuild, and
/// returns the refresh's summary line.
fn refresh_matches_rebuild(sb: &Sandbox, step: &str) -> String {
    let out = sb.gloss(&["index"]).output().expect("run gloss");
    assert_eq!(out.status.code(), Some(0), "{step}: {out:?}");
    let summary = String::from_utf8_lossy(&out.stderr).into_owned();
    let fresh = sb
        .dir
        .path()
        .join(format!("fresh-{}", step.replace(' ', "-")));
    let rebuilt = gloss_at(sb, &fresh, &["index", "--rebuild"]);
    assert_eq!(rebuilt.status.code(), Some(0), "{step}: {rebuilt:?}");
    let (now, expected) = (answers(sb, &sb.index()), answers(sb, &fresh));
    assert_eq!(
        now, expected,
        "{step}: the refreshed index differs from a rebuild"
    );
    let check = sb.gloss(&["index", "--check"]).output().expect("run gloss");
    assert_eq!(check.status.code(), Some(0), "{step}: {}", stdout(&check));
    summary
}

#[test]
fn every_kind_of_change_refreshes_to_what_a_rebuild_gives() {
    let sb = Sandbox::empty();
    sb.write("a.md", "**Alpha**: First letter, before Beta.\n");
    sb.write(
        "sub/b.md",
        "**Beta**: Second letter.\n\nA passage about a letter.\n",
    );
    sb.write("sub/deep/c.md", "**Gamma**: Third letter, after Alpha.\n");
    sb.write("other/e.md", "**Epsilon**: Fifth letter.\n");
    refresh_matches_rebuild(&sb, "first");
    let steps: [(&str, &dyn Fn()); 9] = [
        ("edit a definition", &|| {
            sb.write("sub/b.md", "**Beta**: Second letter, before Gamma.\n")
        }),
        ("edit a passage only", &|| {
            sb.write(
                "sub/b.md",
                "**Beta**: Second letter, before Gamma.\n\nA letter.\n",
            )
        }),
        ("add a note", &|| {
            sb.write("sub/deep/d.md", "**Delta**: Fourth letter, after Beta.\n")
        }),
        ("delete a note", &|| {
            std::fs::remove_file(sb.notes().join("a.md")).unwrap()
        }),
        ("rename a note", &|| {
            std::fs::rename(
                sb.notes().join("sub/deep/c.md"),
                sb.notes().join("sub/deep/c2.md"),
            )
            .unwrap()
        }),
        ("rename a folder", &|| {
            std::fs::rename(sb.notes().join("sub/deep"), sb.notes().join("sub/moved")).unwrap()
        }),
        ("delete a folder", &|| {
            std::fs::remove_dir_all(sb.notes().join("other")).unwrap()
        }),
        ("add a gitignore", &|| {
            std::fs::write(sb.notes().join(".gitignore"), "moved/\n").unwrap()
        }),
        ("remove the gitignore", &|| {
            std::fs::remove_file(sb.notes().join(".gitignore")).unwrap()
        }),
    ];
    for (step, change) in steps {
        change();
        refresh_matches_rebuild(&sb, step);
    }
}

#[test]
fn a_refresh_reads_only_the_notes_that_changed() {
    let sb = Sandbox::empty();
    for n in 0..5 {
        sb.write(
            &format!("f{n}/note{n}.md"),
            &format!("**Term{n}**: Letter {n}.\n"),
        );
    }
    refresh_matches_rebuild(&sb, "first");
    sb.write("f3/note3.md", "**Term3**: Letter three, edited.\n");
    sb.write("f4/new.md", "**Added**: A letter.\n");
    let summary = refresh_matches_rebuild(&sb, "edit and add");
    assert!(
        summary.contains("re-indexed 2 of 6 files"),
        "not only the changed notes: {summary}"
    );
    let summary = refresh_matches_rebuild(&sb, "nothing");
    assert!(summary.contains("re-indexed 0 of 6 files"), "{summary}");
}

#[test]
fn a_search_after_an_edit_refreshes_and_finds_the_new_words() {
    let sb = Sandbox::empty();
    sb.write("deep/er/note.md", "**Alpha**: First letter.\n");
    sb.write("other.md", "**Beta**: Second letter.\n");
    assert_eq!(
        sb.gloss(&["index"]).output().unwrap().status.code(),
        Some(0)
    );
    sb.write("deep/er/note.md", "**Alpha**: First letter, zqxword.\n");
    let out = sb.gloss(&["search", "zqxword"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(stdout(&out).contains("deep/er/note.md"), "{}", stdout(&out));
    refresh_matches_rebuild(&sb, "after the search");
}

/// The live manifest's file and text.
fn manifest(sb: &Sandbox) -> (std::path::PathBuf, String) {
    let current = std::fs::read_to_string(sb.index().join("CURRENT")).expect("CURRENT");
    let generation = sb.index().join(current.trim());
    let path = std::fs::read_dir(&generation)
        .expect("generation")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains("gloss-manifest-"))
        .expect("a manifest");
    let text = std::fs::read_to_string(&path).expect("manifest");
    (path, text)
}

/// Folder stamps less than two seconds old when a walk saw them are listed again by the
/// next refresh (a same-tick change could hide behind them); past that, `gloss index`
/// records them as settled and edits in place take the short way.
fn settle(sb: &Sandbox) {
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let out = sb.gloss(&["index"]).output().expect("run gloss");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

fn journal_lines(text: &str) -> usize {
    text.lines().filter(|l| l.starts_with('+')).count()
}

#[test]
fn notes_edited_in_place_are_journaled_and_match_a_rebuild() {
    let sb = Sandbox::empty();
    sb.write("a.md", "**Alpha**: First letter.\n");
    sb.write(
        "sub/b.md",
        "**Beta**: Second letter.\n\nA passage about a letter.\n",
    );
    sb.write("sub/deep/c.md", "**Gamma**: Third letter, after Beta.\n");
    refresh_matches_rebuild(&sb, "first");
    settle(&sb);
    let (_, before) = manifest(&sb);
    assert_eq!(journal_lines(&before), 0, "{before}");
    // Rewritten in place (the folder's stamp does not move): a definition added.
    sb.write(
        "sub/b.md",
        "**Beta**: Second letter.\n\nA passage about a letter.\n\n**Delta**: Fourth letter.\n",
    );
    let summary = refresh_matches_rebuild(&sb, "in place: a definition added");
    assert!(summary.contains("re-indexed 1 of 3 files"), "{summary}");
    let (_, after) = manifest(&sb);
    assert!(after.starts_with(&before), "not appended to:\n{after}");
    assert!(after[before.len()..].starts_with("+f\t"), "{after}");
    // A passage edited in place, found by the search that refreshes.
    sb.write(
        "sub/deep/c.md",
        "**Gamma**: Third letter, after Beta, zqxword.\n",
    );
    let out = sb.gloss(&["search", "zqxword"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(stdout(&out).contains("sub/deep/c.md"), "{}", stdout(&out));
    refresh_matches_rebuild(&sb, "in place: a passage, by a search");
    assert_eq!(journal_lines(&manifest(&sb).1), 2);
    // A note added: the manifest is written whole again, without a journal.
    sb.write("sub/e.md", "**Epsilon**: Fifth letter.\n");
    refresh_matches_rebuild(&sb, "a note added");
    assert_eq!(journal_lines(&manifest(&sb).1), 0);
}

#[cfg(unix)]
#[test]
fn manifest_lines_no_commit_vouches_for_are_not_trusted() {
    use std::io::Write as _;
    use std::os::unix::fs::MetadataExt;
    let sb = Sandbox::empty();
    sb.write("a.md", "**Alpha**: First letter.\n");
    sb.write("b.md", "**Beta**: Second letter.\n");
    refresh_matches_rebuild(&sb, "first");
    settle(&sb);
    sb.write("a.md", "**Alpha**: First letter, zqxnew.\n");
    // What a run killed before its commit leaves: the note's new size and time appended,
    // then a torn line. Trusted, they would make the edit invisible to the freshness check.
    let meta = std::fs::metadata(sb.notes().join("a.md")).unwrap();
    let mtime = meta.mtime() as u64 * 1_000_000_000 + meta.mtime_nsec() as u64;
    let (path, _) = manifest(&sb);
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    let zeros = "0".repeat(64);
    write!(file, "+f\t{}\t{mtime}\t{zeros}\ta.md\n+f\t1", meta.len()).unwrap();
    drop(file);
    let out = sb.gloss(&["search", "zqxnew"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(stdout(&out).contains("a.md"), "{}", stdout(&out));
    let (_, text) = manifest(&sb);
    assert!(
        !text.contains(&zeros),
        "the uncommitted lines were kept:\n{text}"
    );
    refresh_matches_rebuild(&sb, "after the uncommitted lines");
}

/// The graph caches (`graph-<commit>.bin` or `.delta`) of the live generation: names and
/// bytes.
fn graph_caches(sb: &Sandbox) -> Vec<(String, Vec<u8>)> {
    let current = std::fs::read_to_string(sb.index().join("CURRENT")).expect("CURRENT");
    let generation = sb.index().join(current.trim());
    let mut caches: Vec<(String, Vec<u8>)> = std::fs::read_dir(&generation)
        .expect("generation")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("graph-") && (n.ends_with(".bin") || n.ends_with(".delta")))
        .map(|n| {
            let bytes = std::fs::read(generation.join(&n)).expect("cache");
            (n, bytes)
        })
        .collect();
    caches.sort();
    caches
}

/// `bytes` with the first `from` replaced by `to` (of the same length).
fn replaced(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("found");
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

#[test]
fn a_passage_edited_in_place_carries_the_graph_over_to_the_new_commit() {
    let sb = Sandbox::empty();
    let note = "**Alpha**: First letter, before Beta.\n\n**Beta**: Second letter.\n\nA passage.\n";
    sb.write("a.md", note);
    let out = sb.gloss(&["index"]).output().expect("run gloss");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    settle(&sb);
    let before = graph_caches(&sb);
    assert_eq!(before.len(), 1, "{before:?}");
    // A mark only the cache holds: a graph built again would not have it.
    let marked = replaced(&before[0].1, b"Alpha", b"Alphz");
    assert_ne!(marked, before[0].1);
    let current = std::fs::read_to_string(sb.index().join("CURRENT")).expect("CURRENT");
    let path = sb.index().join(current.trim()).join(&before[0].0);
    std::fs::write(&path, &marked).expect("mark the cache");
    sb.write("a.md", &format!("{note}\nAnother passage, zqyword.\n"));
    let out = sb.gloss(&["index"]).output().expect("run gloss");
    let summary = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(summary.contains("re-indexed 1 of 1 files"), "{summary}");
    let after = graph_caches(&sb);
    assert_eq!(after.len(), 1, "{after:?}");
    assert_ne!(after[0].0, before[0].0, "the cache names the new commit");
    assert!(
        after[0].1 == marked,
        "carried over as it was, not built again"
    );
}

#[test]
fn an_index_run_over_unchanged_settled_notes_writes_nothing() {
    let sb = Sandbox::empty();
    sb.write("a.md", "**Alpha**: First letter.\n");
    sb.write("sub/b.md", "**Beta**: Second letter.\n");
    settle(&sb);
    settle(&sb);
    let (path, text) = manifest(&sb);
    let listing = |sb: &Sandbox| {
        let current = std::fs::read_to_string(sb.index().join("CURRENT")).expect("CURRENT");
        let generation = sb.index().join(current.trim());
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&generation)
            .expect("generation")
            .flatten()
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).expect("read"),
                )
            })
            .collect();
        files.sort();
        (current, files)
    };
    let before = listing(&sb);
    let out = sb.gloss(&["index"]).output().expect("run gloss");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let summary = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        summary.starts_with(
            "gloss: re-indexed 0 of 2 files (0 definitions, 0 passages, 0 removed, 0 warnings)"
        ),
        "{summary}"
    );
    assert_eq!(listing(&sb), before, "nothing in the index was written");
    assert_eq!(manifest(&sb), (path, text));
    // An edit after that is still found.
    sb.write("sub/b.md", "**Beta**: Second letter, zqzword.\n");
    let out = sb
        .gloss(&["search", "zqzword"])
        .output()
        .expect("run gloss");
    assert!(stdout(&out).contains("sub/b.md"), "{out:?}");
}

/// The live generation's graph file (`graph-<commit>.bin`) and the changes since, if any
/// (`graph-<commit>.delta`).
fn graph_files(sb: &Sandbox) -> (std::path::PathBuf, Option<std::path::PathBuf>) {
    let current = std::fs::read_to_string(sb.index().join("CURRENT")).expect("CURRENT");
    let generation = sb.index().join(current.trim());
    let files: Vec<_> = std::fs::read_dir(&generation)
        .expect("generation")
        .flatten()
        .map(|e| e.path())
        .collect();
    let named = |ext: &str| -> Vec<std::path::PathBuf> {
        files
            .iter()
            .filter(|p| {
                let name = p.file_name().unwrap_or_default().to_string_lossy();
                name.starts_with("graph-") && name.ends_with(ext)
            })
            .cloned()
            .collect()
    };
    let (bins, deltas) = (named(".bin"), named(".delta"));
    assert_eq!(bins.len(), 1, "{files:?}");
    assert!(deltas.len() <= 1, "{files:?}");
    (bins[0].clone(), deltas.first().cloned())
}

/// The terms `related TERM` lists as mentioned (term, file) and as mentioning it.
fn related(sb: &Sandbox, term: &str) -> (Vec<(String, String)>, Vec<String>) {
    let v = sb.json(&["related", term]);
    let mentions = v["mentions"].as_array().expect("mentions").iter();
    let by = v["mentioned_by"].as_array().expect("mentioned_by").iter();
    (
        mentions
            .map(|m| {
                (
                    m["term"].as_str().unwrap().into(),
                    m["file"].as_str().unwrap().into(),
                )
            })
            .collect(),
        by.map(|m| m["term"].as_str().unwrap().into()).collect(),
    )
}

#[test]
fn a_definition_edited_updates_the_graph_from_the_last_ones_source() {
    let sb = Sandbox::empty();
    let note = |next: &str| {
        format!("**Alpha**: First letter, before {next}.\n\n**Beta**: Second letter.\n")
    };
    sb.write("a.md", &note("Beta"));
    sb.write("g.md", "**Gamma**: Third letter.\n");
    settle(&sb);
    assert_eq!(related(&sb, "alpha").0, [("Beta".into(), "a.md".into())]);
    // A mark only the cached file holds: Gamma's note is q.md there (same length).
    let (file, delta) = graph_files(&sb);
    assert!(delta.is_none(), "{delta:?}");
    let marked = replaced(&std::fs::read(&file).expect("graph file"), b"g.md", b"q.md");
    std::fs::write(&file, &marked).expect("mark");
    // Edited in place: Alpha now mentions Gamma, not Beta.
    sb.write("a.md", &note("Gamma"));
    let out = sb.gloss(&["index"]).output().expect("run gloss");
    let summary = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(summary.contains("re-indexed 1 of 2 files"), "{summary}");
    // The file stays; the changes are beside it, named for the new commit.
    let (now, delta) = graph_files(&sb);
    assert_eq!(now, file);
    assert!(std::fs::read(&file).expect("graph file") == marked);
    let first = delta.expect("a delta");
    assert_eq!(related(&sb, "alpha").0, [("Gamma".into(), "q.md".into())]);
    assert!(related(&sb, "beta").1.is_empty());
    assert_eq!(related(&sb, "gamma").1, ["Alpha"]);
    let out = sb.gloss(&["define", "alpha"]).output().expect("run gloss");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("see also: Gamma\n"), "{text}");
    // Edited again: the changes since the same file, in one delta.
    sb.write("a.md", &note("Beta, then"));
    sb.gloss(&["index"]).output().expect("run gloss");
    let (now, delta) = graph_files(&sb);
    assert_eq!(now, file);
    assert_ne!(delta.as_ref(), Some(&first), "a delta for the new commit");
    assert_eq!(related(&sb, "alpha").0, [("Beta".into(), "a.md".into())]);
    assert_eq!(related(&sb, "beta").1, ["Alpha"]);
    assert!(related(&sb, "gamma").1.is_empty());
    // A file that does not read whole: the graph is built from the index again.
    std::fs::write(&file, &marked[..marked.len() / 2]).expect("cut");
    sb.write("a.md", &note("Beta and Gamma"));
    refresh_matches_rebuild(&sb, "file cut");
    assert_eq!(
        related(&sb, "alpha").0,
        [
            ("Beta".into(), "a.md".into()),
            ("Gamma".into(), "g.md".into())
        ]
    );
    // Updated from the source the rebuild left: the same as a rebuild.
    sb.write("a.md", &note("nothing"));
    sb.write(
        "g.md",
        "**Gamma**: Third letter, after Alpha.\n\n**Delta**: Fourth.\n",
    );
    refresh_matches_rebuild(&sb, "two notes");
    assert_eq!(related(&sb, "gamma").0, [("Alpha".into(), "a.md".into())]);
    assert!(related(&sb, "alpha").0.is_empty());
}
