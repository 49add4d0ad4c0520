//! Never touch what is not ours (issue 10): the index folder gloss proves it owns, `--output`
//! that never destroys, read-only and full disks, lost updates, the lock. Every test hashes
//! the folders it hands gloss before and after.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};

use assert_cmd::Command;

use crate::common::{code, stderr, stdout, tree, Sandbox};

/// gloss with no settings from the environment, run in `cwd`.
fn bare(cwd: &Path) -> Command {
    let mut cmd = Command::cargo_bin("gloss").expect("binary");
    cmd.current_dir(cwd)
        .env_remove("GLOSS_CONTENT")
        .env_remove("GLOSS_INDEX")
        .env_remove("GLOSS_NO_REFRESH")
        .env_remove("GLOSS_TEST_PAUSE_BEFORE_LOCK")
        .env_remove("GLOSS_TEST_PAUSE_LOCKED")
        .env("GLOSS_CONFIG", "")
        .env("NO_COLOR", "1");
    cmd
}

fn gloss(sb: &Sandbox, args: &[&str]) -> Command {
    let mut cmd = sb.gloss(args);
    cmd.env_remove("GLOSS_TEST_PAUSE_BEFORE_LOCK")
        .env_remove("GLOSS_TEST_PAUSE_LOCKED")
        .env("NO_COLOR", "1");
    cmd
}

fn run(sb: &Sandbox, args: &[&str]) -> Output {
    gloss(sb, args).output().expect("run gloss")
}

/// A refusal: exit 2, one line on stderr naming the folder and the reason, nothing on stdout.
fn assert_refused(out: &Output, folder: &str, reason: &str) {
    let err = stderr(out);
    assert_eq!(code(out), 2, "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("index folder") && err.contains(folder) && err.contains(reason),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "{}", stdout(out));
}

/// A user's folder of notes with things an old gloss would have deleted: a subfolder named
/// like a generation, a `CURRENT` file, a symlink named `gen-*`.
fn users_folder(root: &Path) {
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "gen-ai/agents.md",
        "**Agent**: A model that acts in a loop.\n",
    );
    write(
        "gen-ai/rag.md",
        "**RAG**: Retrieval-augmented generation.\n",
    );
    write("CURRENT", "gen-ai\n");
    write("gen-1-2/keep.txt", "mine\n");
    std::os::unix::fs::symlink("gen-ai", root.join("gen-link")).unwrap();
}

#[test]
fn index_dot_in_gloss_toml_with_notes_in_gen_ai_is_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes");
    users_folder(&notes);
    std::fs::write(notes.join("gloss.toml"), "index = \".\"\n").unwrap();
    let before = tree(dir.path());
    for _ in 0..2 {
        let out = bare(dir.path())
            .args(["--content", "notes", "define", "agent"])
            .output()
            .unwrap();
        assert_refused(&out, "notes", "is the notes folder");
    }
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn an_index_folder_holding_the_notes_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    users_folder(dir.path());
    std::fs::rename(dir.path().join("gen-ai"), dir.path().join("gen-ai-notes")).unwrap();
    let before = tree(dir.path());
    let out = bare(dir.path())
        .args([
            "--content",
            "gen-ai-notes",
            "--index",
            ".",
            "define",
            "agent",
        ])
        .output()
        .unwrap();
    assert_refused(&out, ".", "contains the notes folder");
    let out = bare(dir.path())
        .args([
            "--content",
            "gen-ai-notes",
            "--index",
            ".",
            "index",
            "--rebuild",
        ])
        .output()
        .unwrap();
    assert_refused(&out, ".", "contains the notes folder");
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn gloss_index_at_a_users_folder_with_current_and_gen_entries_is_refused() {
    let sb = Sandbox::new("styles");
    let theirs = sb.dir.path().join("theirs");
    users_folder(&theirs);
    let before = tree(sb.dir.path());
    for args in [
        &["define", "token"][..],
        &["--no-refresh", "define", "token"],
        &["index"],
        &["index", "--rebuild"],
        &["terms"],
    ] {
        let out = bare(sb.dir.path())
            .env("GLOSS_INDEX", &theirs)
            .arg("--content")
            .arg(sb.notes())
            .args(args)
            .output()
            .unwrap();
        assert_refused(&out, "theirs", "has no .gloss-index marker");
    }
    let out = bare(sb.dir.path())
        .env("GLOSS_INDEX", &theirs)
        .arg("--content")
        .arg(sb.notes())
        .args(["index", "--check"])
        .output()
        .unwrap();
    assert_refused(&out, "theirs", "has no .gloss-index marker");
    assert_eq!(tree(sb.dir.path()), before);
}

#[test]
fn an_index_folder_inside_the_notes_is_refused_unless_the_walk_skips_it() {
    let sb = Sandbox::new("styles");
    let before = tree(sb.dir.path());
    let inside = sb.notes().join("idx/deeper");
    let out = bare(sb.dir.path())
        .arg("--content")
        .arg(sb.notes())
        .arg("--index")
        .arg(&inside)
        .args(["define", "token"])
        .output()
        .unwrap();
    assert_refused(&out, "idx/deeper", "inside the notes folder");
    // The folders made to ask the walk are gone again.
    assert_eq!(tree(sb.dir.path()), before);
    // A hidden folder, or one the notes' .gitignore names, is fine.
    for (index, ignore) in [(".gloss/index", None), ("built", Some("built/\n"))] {
        if let Some(ignore) = ignore {
            std::fs::write(sb.notes().join(".gitignore"), ignore).unwrap();
        }
        let out = bare(sb.dir.path())
            .arg("--content")
            .arg(sb.notes())
            .arg("--index")
            .arg(sb.notes().join(index))
            .args(["define", "token"])
            .output()
            .unwrap();
        assert_eq!(code(&out), 0, "{index}: {}", stderr(&out));
        assert!(stdout(&out).starts_with("Token"), "{}", stdout(&out));
        assert!(sb.notes().join(index).join(".gloss-index").is_file());
    }
}

#[test]
fn the_committed_index_readme_is_known_and_kept() {
    let sb = Sandbox::new("styles");
    std::fs::create_dir(sb.index()).unwrap();
    let readme = crate::common::root().join("index/README.md");
    std::fs::copy(&readme, sb.index().join("README.md")).unwrap();
    let out = run(&sb, &["define", "token"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(run(&sb, &["index", "--rebuild"]).status.code(), Some(0));
    assert_eq!(
        std::fs::read(sb.index().join("README.md")).unwrap(),
        std::fs::read(&readme).unwrap()
    );
    let marker = std::fs::read_to_string(sb.index().join(".gloss-index")).unwrap();
    assert!(
        marker.starts_with("gloss index folder, format 1\n"),
        "{marker}"
    );
}

#[test]
fn a_folder_holding_only_a_users_own_readme_is_refused() {
    let sb = Sandbox::new("styles");
    std::fs::create_dir(sb.index()).unwrap();
    std::fs::write(sb.index().join("README.md"), "# My project\n").unwrap();
    let before = tree(sb.dir.path());
    let out = run(&sb, &["define", "token"]);
    assert_refused(&out, "index", "it holds README.md");
    assert_eq!(tree(sb.dir.path()), before);
}

#[test]
fn only_generations_gloss_listed_are_removed_and_killed_runs_are_swept() {
    let sb = Sandbox::new("styles");
    assert_eq!(code(&run(&sb, &["index"])), 0);
    let index = sb.index();
    // Something of the user's that looks like a generation, never listed by gloss.
    std::fs::create_dir(index.join("gen-7-7")).unwrap();
    std::fs::write(index.join("gen-7-7/notes.txt"), "mine").unwrap();
    std::fs::write(index.join("keep-me.txt"), "mine too").unwrap();
    // What a killed run leaves: a listed generation that CURRENT does not name, temp files.
    let marker = index.join(".gloss-index");
    let mut text = std::fs::read_to_string(&marker).unwrap();
    text.push_str("generation gen-5-5\n");
    std::fs::write(&marker, text).unwrap();
    std::fs::create_dir(index.join("gen-5-5")).unwrap();
    std::fs::write(index.join("gen-5-5/meta.json"), "{}").unwrap();
    std::fs::write(index.join("CURRENT.tmp"), "gen-5-5").unwrap();
    // Any run that takes the lock tidies: here a search that refreshes after an edit.
    sb.write("new.md", "**Zebra**: A striped animal.\n");
    let out = run(&sb, &["define", "zebra"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        !index.join("gen-5-5").exists(),
        "the killed run's generation stays"
    );
    assert!(!index.join("CURRENT.tmp").exists());
    assert!(!std::fs::read_to_string(&marker)
        .unwrap()
        .contains("gen-5-5"));
    for _ in 0..2 {
        assert_eq!(code(&run(&sb, &["index", "--rebuild"])), 0);
    }
    assert_eq!(
        std::fs::read_to_string(index.join("gen-7-7/notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(
        std::fs::read_to_string(index.join("keep-me.txt")).unwrap(),
        "mine too"
    );
    let gens: Vec<String> = std::fs::read_dir(&index)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("gen-"))
        .collect();
    assert_eq!(
        gens.len(),
        2,
        "the live generation and the user's: {gens:?}"
    );
}

// ---------------------------------------------------------------------------------------
// --output

fn terms_to(sb: &Sandbox, target: &Path, force: bool) -> Output {
    let mut cmd = gloss(sb, &["terms", "-o"]);
    cmd.arg(target);
    if force {
        cmd.arg("--force");
    }
    cmd.output().expect("run gloss")
}

#[test]
fn output_onto_a_symlink_replaces_its_target_and_keeps_the_link() {
    let sb = Sandbox::new("styles");
    let target = sb.dir.path().join("real.txt");
    std::fs::write(&target, "old\n").unwrap();
    let link = sb.dir.path().join("link.txt");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = terms_to(&sb, &link, false);
    assert_eq!(code(&out), 2, "no --force: {}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "old\n");
    let out = terms_to(&sb, &link, true);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_link(&link).unwrap(), target);
    let written = std::fs::read_to_string(&target).unwrap();
    assert!(written.lines().any(|l| l.starts_with("Token")), "{written}");
}

#[test]
fn output_onto_a_fifo_writes_into_it_and_keeps_it() {
    use std::os::unix::fs::FileTypeExt;
    let sb = Sandbox::new("styles");
    let fifo = sb.dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).expect("read fifo"))
    };
    let out = terms_to(&sb, &fifo, true);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let got = reader.join().unwrap();
    assert!(got.lines().any(|l| l.starts_with("Token")), "{got}");
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
}

#[test]
fn output_onto_a_copy_of_dev_null_writes_into_it_and_keeps_the_device() {
    use std::os::unix::fs::FileTypeExt;
    let sb = Sandbox::new("styles");
    let null = sb.dir.path().join("null");
    let made = std::process::Command::new("mknod")
        .arg(&null)
        .args(["c", "1", "3"])
        .output();
    match made {
        Ok(o) if o.status.success() => {}
        other => {
            println!("skipped: cannot mknod a copy of /dev/null here (not root?): {other:?}");
            return;
        }
    }
    let out = terms_to(&sb, &null, true);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let meta = std::fs::symlink_metadata(&null).unwrap();
    assert!(
        meta.file_type().is_char_device(),
        "replaced by a regular file"
    );
    let names: Vec<String> = std::fs::read_dir(sb.dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn output_onto_a_folder_is_refused() {
    let sb = Sandbox::new("styles");
    let folder = sb.dir.path().join("out");
    std::fs::create_dir(&folder).unwrap();
    let before = tree(sb.dir.path());
    let out = terms_to(&sb, &folder, true);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("is a folder"), "{}", stderr(&out));
    let mut after = tree(sb.dir.path());
    // The index gloss built is its own; the rest must be as it was.
    after.retain(|p, _| !p.starts_with("index"));
    let mut before = before;
    before.retain(|p, _| !p.starts_with("index"));
    assert_eq!(after, before);
}

// ---------------------------------------------------------------------------------------
// The lock and lost updates: runs paused at an exact point by the test hooks.

/// A gloss run paused at a hook: waits until the run has created `flag`.
struct Paused {
    child: Child,
    flag: PathBuf,
}

impl Paused {
    fn start(mut cmd: std::process::Command, hook: &str, flag: PathBuf) -> Paused {
        let child = cmd
            .env(hook, &flag)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut paused = Paused { child, flag };
        while !paused.flag.exists() {
            if let Some(status) = paused.child.try_wait().expect("try_wait") {
                panic!("the run ended before its pause: {status}");
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        paused
    }

    fn resume(self) -> Output {
        std::fs::remove_file(&self.flag).expect("release");
        self.child.wait_with_output().expect("wait")
    }
}

/// As [`gloss`], as a std command (to spawn and read from while it runs).
fn command(sb: &Sandbox, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("gloss"));
    cmd.current_dir(sb.dir.path())
        .env_remove("GLOSS_CONTENT")
        .env_remove("GLOSS_INDEX")
        .env_remove("GLOSS_NO_REFRESH")
        .env_remove("GLOSS_TEST_PAUSE_BEFORE_LOCK")
        .env_remove("GLOSS_TEST_PAUSE_LOCKED")
        .env("GLOSS_CONFIG", "")
        .env("NO_COLOR", "1")
        .arg("--content")
        .arg(sb.notes())
        .arg("--index")
        .arg(sb.index())
        .args(args);
    cmd
}

#[test]
fn a_second_rebuild_waits_for_the_first_even_with_files_deleted() {
    let sb = Sandbox::new("styles");
    assert_eq!(code(&run(&sb, &["index"])), 0);
    let flag = sb.dir.path().join("paused");
    let first = Paused::start(
        command(&sb, &["index", "--rebuild"]),
        "GLOSS_TEST_PAUSE_LOCKED",
        flag,
    );
    // What a user might delete to "unlock" it.
    let _ = std::fs::remove_file(sb.index().join("gloss.lock"));
    let mut second = command(&sb, &["index", "--rebuild"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(second.stderr.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("waiting for it"), "{line}");
    assert!(second.try_wait().unwrap().is_none(), "it did not wait");
    let out = first.resume();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(second.wait().unwrap().success());
    let check = run(&sb, &["index", "--check"]);
    assert_eq!(code(&check), 0, "{}", stdout(&check));
    let gens = std::fs::read_dir(sb.index())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("gen-"))
        .count();
    assert_eq!(gens, 1);
}

#[test]
fn a_marker_deleted_during_a_rebuild_stops_a_second_one_and_comes_back() {
    let sb = Sandbox::new("styles");
    assert_eq!(code(&run(&sb, &["index"])), 0);
    let flag = sb.dir.path().join("paused");
    let first = Paused::start(
        command(&sb, &["index", "--rebuild"]),
        "GLOSS_TEST_PAUSE_LOCKED",
        flag,
    );
    std::fs::remove_file(sb.index().join(".gloss-index")).unwrap();
    let second = run(&sb, &["index", "--rebuild"]);
    assert_refused(&second, "index", "no .gloss-index marker");
    let out = first.resume();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(sb.index().join(".gloss-index").is_file());
    let out = run(&sb, &["define", "token"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let check = run(&sb, &["index", "--check"]);
    assert_eq!(code(&check), 0, "{}", stdout(&check));
}

#[test]
fn a_refresh_that_walked_before_a_newer_index_run_does_not_commit_over_it() {
    let sb = Sandbox::new("styles");
    assert_eq!(code(&run(&sb, &["index"])), 0);
    sb.write("first.md", "**Aardvark**: An animal that eats ants.\n");
    let flag = sb.dir.path().join("paused");
    // The search walks (seeing first.md), then pauses before taking the lock.
    let search = Paused::start(
        command(&sb, &["define", "aardvark"]),
        "GLOSS_TEST_PAUSE_BEFORE_LOCK",
        flag,
    );
    // Meanwhile a note is added and `gloss index` commits it.
    sb.write("second.md", "**Zebra**: A striped animal.\n");
    assert_eq!(code(&run(&sb, &["index"])), 0);
    let out = search.resume();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).starts_with("Aardvark"), "{}", stdout(&out));
    // The search's refresh did not drop the note its walk never saw.
    let out = run(&sb, &["--no-refresh", "define", "zebra"]);
    assert_eq!(code(&out), 0, "zebra was lost: {}", stderr(&out));
    let check = run(&sb, &["index", "--check"]);
    assert_eq!(code(&check), 0, "{}", stdout(&check));
}

#[test]
fn a_notes_folder_that_disappears_during_a_rebuild_fails_it() {
    let sb = Sandbox::new("styles");
    assert_eq!(code(&run(&sb, &["index"])), 0);
    let flag = sb.dir.path().join("paused");
    let rebuild = Paused::start(
        command(&sb, &["index", "--rebuild"]),
        "GLOSS_TEST_PAUSE_BEFORE_LOCK",
        flag,
    );
    let away = sb.dir.path().join("away");
    std::fs::rename(sb.notes(), &away).unwrap();
    let out = rebuild.resume();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
    std::fs::rename(&away, sb.notes()).unwrap();
    // The last index is whole and answers without a rebuild.
    let out = run(&sb, &["define", "token"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).starts_with("Token"), "{}", stdout(&out));
    assert_eq!(stderr(&out), "");
    let gens = std::fs::read_dir(sb.index())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("gen-"))
        .count();
    assert_eq!(gens, 1, "the failed build's generation was left");
}

// ---------------------------------------------------------------------------------------
// A read-only index answers.

fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A folder bind-mounted read-only onto itself; unmounted on drop, whatever happens.
struct ReadOnlyMount(PathBuf);

impl ReadOnlyMount {
    fn new(path: &Path) -> Result<ReadOnlyMount, String> {
        if !running_as_root() {
            return Err("not root".into());
        }
        let mount = |args: &[&str]| {
            std::process::Command::new("mount")
                .args(args)
                .arg(path)
                .arg(path)
                .output()
                .map_err(|e| e.to_string())
                .and_then(|o| {
                    if o.status.success() {
                        Ok(())
                    } else {
                        Err(String::from_utf8_lossy(&o.stderr).trim().to_string())
                    }
                })
        };
        mount(&["--bind"])?;
        let guard = ReadOnlyMount(path.to_path_buf());
        mount(&["-o", "remount,ro,bind"])?;
        Ok(guard)
    }
}

impl Drop for ReadOnlyMount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// Queries with and without --no-refresh answer from the last commit, with at most one line
/// on stderr; `index --check` says read-only, not corrupt; `gloss index` fails on one line.
fn assert_read_only_index_answers(run: &dyn Fn(&[&str]) -> Output, sb: &Sandbox) {
    let check = run(&["index", "--check"]);
    assert_eq!(code(&check), 0, "{}{}", stdout(&check), stderr(&check));
    assert!(stdout(&check).contains("read-only"), "{}", stdout(&check));
    assert!(!stdout(&check).contains("corrupt"), "{}", stdout(&check));
    let before = tree(&sb.index());
    sb.write("zebra.md", "**Zebra**: A striped animal.\n");
    for no_refresh in [false, true] {
        for (args, expect) in [
            (&["define", "token"][..], "Token"),
            (&["search", "token"], "Token"),
            (&["terms"], "Token"),
        ] {
            let mut all: Vec<&str> = if no_refresh {
                vec!["--no-refresh"]
            } else {
                vec![]
            };
            all.extend(args);
            let out = run(&all);
            assert_eq!(code(&out), 0, "{all:?}: {}", stderr(&out));
            assert!(
                stdout(&out).lines().any(|l| l.starts_with(expect)),
                "{all:?}: {}",
                stdout(&out)
            );
            assert!(
                stderr(&out).lines().count() <= 1,
                "{all:?}: {}",
                stderr(&out)
            );
            if !no_refresh {
                assert!(
                    stderr(&out).contains("read-only"),
                    "{all:?}: {}",
                    stderr(&out)
                );
            }
        }
    }
    let out = run(&["index"]);
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out).trim_end().lines().count(),
        1,
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    assert_eq!(tree(&sb.index()), before);
}

#[test]
fn an_index_on_a_read_only_mount_answers_from_its_last_commit() {
    let sb = Sandbox::new("styles");
    assert_eq!(code(&run(&sb, &["index"])), 0);
    let _mount = match ReadOnlyMount::new(&sb.index()) {
        Ok(mount) => mount,
        Err(why) => {
            println!("skipped: cannot make a read-only bind mount here ({why})");
            return;
        }
    };
    assert_read_only_index_answers(&|args| run(&sb, args), &sb);
}

#[test]
fn an_index_of_read_only_files_answers_from_its_last_commit() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let sb = Sandbox::new("styles");
    assert_eq!(code(&run(&sb, &["index"])), 0);
    fn chmod_tree(path: &Path, dir_mode: u32, file_mode: u32) {
        let mode = if path.is_dir() { dir_mode } else { file_mode };
        if path.is_dir() {
            for entry in std::fs::read_dir(path).unwrap().flatten() {
                chmod_tree(&entry.path(), dir_mode, file_mode);
            }
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    chmod_tree(&sb.index(), 0o555, 0o444);
    // Root writes anything: run gloss as `nobody` then, on a tree it may read.
    let root = running_as_root();
    if root {
        std::fs::set_permissions(sb.dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        chmod_tree(&sb.notes(), 0o777, 0o666);
    }
    let run_as = |args: &[&str]| {
        let mut cmd = command(&sb, args);
        if root {
            cmd.uid(65534).gid(65534);
        }
        cmd.output().expect("run gloss")
    };
    assert_read_only_index_answers(&run_as, &sb);
    chmod_tree(&sb.index(), 0o755, 0o644);
}

// ---------------------------------------------------------------------------------------
// A full disk leaves no debris.

/// A small tmpfs mounted on `path`; unmounted on drop.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn new(path: &Path, size: &str) -> Result<SmallDisk, String> {
        if !running_as_root() {
            return Err("not root".into());
        }
        std::fs::create_dir_all(path).map_err(|e| e.to_string())?;
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(SmallDisk(path.to_path_buf()))
    }

    fn resize(&self, size: &str) {
        let ok = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .expect("mount");
        assert!(ok.success());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// About a megabyte of notes of made-up words (compressing poorly, like real text).
fn megabyte_of_notes(sb: &Sandbox) {
    let mut seed: u64 = 0x5EED_D15C_F011;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    for n in 0..120 {
        let mut text = String::new();
        for d in 0..10 {
            text.push_str(&format!("**Term{n}x{d}**:"));
            for _ in 0..60 {
                let len = 3 + next() % 8;
                let word: String = (0..len)
                    .map(|_| (b'a' + (next() % 26) as u8) as char)
                    .collect();
                text.push(' ');
                text.push_str(&word);
            }
            text.push_str("\n\n");
        }
        sb.write(&format!("bulk/n{n:03}.md"), &text);
    }
}

#[test]
fn a_rebuild_on_a_full_disk_says_so_and_leaves_the_last_index_answering() {
    let sb = Sandbox::new("styles");
    let disk = match SmallDisk::new(&sb.index(), "256k") {
        Ok(disk) => disk,
        Err(why) => {
            println!("skipped: cannot mount a small tmpfs here ({why})");
            return;
        }
    };
    assert_eq!(code(&run(&sb, &["index"])), 0);
    let before = tree(&sb.index());
    megabyte_of_notes(&sb);
    let out = run(&sb, &["index", "--rebuild"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim_end().lines().count(),
        1,
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("is full"), "{}", stderr(&out));
    assert_eq!(tree(&sb.index()), before, "the partial generation was left");
    // A search still answers, saying why it could not refresh.
    let out = run(&sb, &["define", "token"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).starts_with("Token"), "{}", stdout(&out));
    assert!(stderr(&out).contains("is full"), "{}", stderr(&out));
    // Once there is room again, the next search refreshes.
    disk.resize("64m");
    let out = run(&sb, &["define", "term7x3"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).starts_with("Term7x3"), "{}", stdout(&out));
    let check = run(&sb, &["index", "--check"]);
    assert_eq!(code(&check), 0, "{}", stdout(&check));
}

// ---------------------------------------------------------------------------------------
// Smaller ones.

#[test]
fn a_note_name_with_a_newline_does_not_make_every_search_walk_again() {
    let sb = Sandbox::empty();
    sb.write("ok.md", "**Alpha**: First letter.\n");
    sb.write("two\nlines.md", "**Beta**: Second letter.\n");
    // A walk warns about this on every walk: a walk shows on stderr.
    std::os::unix::fs::symlink("deleted.md", sb.notes().join("gone.md")).unwrap();
    assert_eq!(code(&run(&sb, &["index"])), 0);
    let out = run(&sb, &["define", "beta"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "an unchanged folder was refreshed again");
    // An edit of that note is still noticed.
    sb.write("two\nlines.md", "**Gamma**: Third letter.\n");
    let out = run(&sb, &["define", "gamma"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).starts_with("Gamma"), "{}", stdout(&out));
    let out = run(&sb, &["define", "gamma"]);
    assert_eq!(stderr(&out), "", "refreshed again");
}

#[test]
fn a_gitignore_change_above_the_notes_folder_is_noticed() {
    let sb = Sandbox::empty();
    sb.write("alpha.md", "**Alpha**: First letter.\n");
    sb.write("secret.md", "**Secret**: Not for the glossary.\n");
    assert_eq!(code(&run(&sb, &["define", "secret"])), 0);
    // The folder above the notes (a git repository's root, say) starts ignoring it.
    std::fs::write(sb.dir.path().join(".gitignore"), "secret.md\n").unwrap();
    let out = run(&sb, &["define", "secret"]);
    assert_eq!(code(&out), 1, "still found: {}", stdout(&out));
    std::fs::remove_file(sb.dir.path().join(".gitignore")).unwrap();
    let out = run(&sb, &["define", "secret"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn no_refresh_context_on_an_edited_note_says_it_changed() {
    let sb = Sandbox::empty();
    sb.write("a.md", "# Words\n\n**Alpha**: First letter.\n");
    assert_eq!(code(&run(&sb, &["index"])), 0);
    let out = run(&sb, &["define", "alpha", "--context", "1"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("3: **Alpha**: First letter."),
        "{}",
        stdout(&out)
    );
    // Two lines inserted above: yesterday's line 3 is today's "inserted" line.
    sb.write("a.md", "# Words\n\ninserted\n\n**Alpha**: First letter.\n");
    let out = run(&sb, &["--no-refresh", "define", "alpha", "--context", "1"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!stdout(&out).contains("inserted"), "{}", stdout(&out));
    assert!(stdout(&out).contains("a.md:3"), "{}", stdout(&out));
    assert!(stdout(&out).contains("First letter"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("a.md changed since it was indexed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

#[test]
fn a_note_linking_to_a_huge_binary_file_is_not_read_whole() {
    let sb = Sandbox::empty();
    sb.write("alpha.md", "**Alpha**: First letter.\n");
    // A 4 GiB sparse file of zeros: reading it whole needs 4 GiB of memory, which the run
    // below does not have.
    let huge = sb.dir.path().join("disk.img");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(4 << 30)
        .unwrap();
    std::os::unix::fs::symlink(&huge, sb.notes().join("image.md")).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("gloss");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 2000000 && exec \"$@\"")
        .arg("sh")
        .arg(&bin)
        .arg("--content")
        .arg(sb.notes())
        .arg("--index")
        .arg(sb.index())
        .args(["define", "alpha"])
        .current_dir(sb.dir.path())
        .env("GLOSS_CONFIG", "")
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).starts_with("Alpha"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("image.md: skipped: looks like a binary file"),
        "{}",
        stderr(&out)
    );
    let check = run(&sb, &["index", "--check"]);
    assert_eq!(code(&check), 0, "{}", stdout(&check));
}

#[test]
fn runs_claiming_a_new_index_folder_at_once_all_succeed() {
    let sb = Sandbox::new("styles");
    let children: Vec<Child> = (0..4)
        .map(|i| {
            let args: &[&str] = if i % 2 == 0 {
                &["index"]
            } else {
                &["define", "token"]
            };
            command(&sb, args)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("wait");
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    }
    let names: Vec<String> = std::fs::read_dir(sb.index())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("gen-"))
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, [".gloss-index", "CURRENT"]);
    let check = run(&sb, &["index", "--check"]);
    assert_eq!(code(&check), 0, "{}", stdout(&check));
}
