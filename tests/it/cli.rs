//! The binary as a user runs it: exit codes, output, errors, notes folders with quirks.

use predicates::prelude::*;

use crate::common::{hits, top, tree, Sandbox};

#[test]
fn shorthand_search_prints_term_file_line_and_snippet() {
    let sb = Sandbox::new("styles");
    sb.gloss(&["token", "--color", "never"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(
            "Token  definition\n  a-bold.md:5  Bold lead-ins\n  The basic unit of text.\n",
        ));
}

#[test]
fn exit_codes_follow_grep() {
    let sb = Sandbox::new("styles");
    sb.gloss(&["search", "token"]).assert().code(0);
    sb.gloss(&["search", "zzzqqq"]).assert().code(1).stdout("");
    sb.gloss(&["search", "   "])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the query is empty"));
    sb.gloss(&["--limit", "many", "token"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--limit"));
}

#[test]
fn define_without_match_suggests_indexed_terms() {
    let sb = Sandbox::new("styles");
    sb.gloss(&["define", "xyzzy"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no definition for \"xyzzy\""));
    sb.gloss(&["define", "tekon"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("did you mean: Token"));
}

#[test]
fn json_has_every_documented_field() {
    let sb = Sandbox::new("styles");
    let v = sb.json(&["search", "attention mask"]);
    assert_eq!(v["query"], "attention mask");
    assert!(v["suggestions"].as_array().unwrap().is_empty());
    let h = &v["hits"][0];
    assert_eq!(h["rank"], 1);
    assert_eq!(h["kind"], "definition");
    assert_eq!(h["term"], "attention mask");
    assert_eq!(h["aliases"], serde_json::json!([]));
    assert_eq!(
        h["heading_path"],
        serde_json::json!(["Glossary", "A", "attention mask"])
    );
    assert_eq!(h["file"], "d-headings.md");
    assert_eq!(h["line"], 5);
    assert!(h["score"].as_f64().unwrap() > 0.0);
    let snippet = h["snippet"].as_str().unwrap();
    let marked: Vec<&str> = h["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &snippet[r[0].as_u64().unwrap() as usize..r[1].as_u64().unwrap() as usize])
        .collect();
    assert_eq!(marked, ["attention"]);
    let passage = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["kind"] == "passage")
        .unwrap();
    assert!(passage["term"].is_null());
}

#[test]
fn definitions_come_before_passages_and_define_returns_only_definitions() {
    let sb = Sandbox::new("styles");
    let v = sb.json(&["search", "tokens"]);
    let kinds: Vec<&str> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    let first_passage = kinds.iter().position(|k| *k == "passage").unwrap();
    assert!(
        kinds[first_passage..].iter().all(|k| *k == "passage"),
        "{kinds:?}"
    );
    let v = sb.json(&["define", "tokens"]);
    assert!(v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["kind"] == "definition"));
}

#[test]
fn typo_matches_are_highlighted_in_snippets() {
    let sb = Sandbox::new("styles");
    let v = sb.json(&["define", "vocabulray"]);
    assert_eq!(top(&v).0, "Vocabulary");
    let v = sb.json(&["search", "embedings"]);
    let h = &v["hits"][0];
    let snippet = h["snippet"].as_str().unwrap();
    let r = &h["highlights"][0];
    assert_eq!(
        &snippet[r[0].as_u64().unwrap() as usize..r[1].as_u64().unwrap() as usize],
        "embeddings"
    );
}

#[test]
fn color_is_off_when_piped_and_on_when_asked() {
    let sb = Sandbox::new("styles");
    sb.gloss(&["token"])
        .assert()
        .stdout(predicate::str::contains("\u{1b}[").not());
    sb.gloss(&["token", "--color", "always"])
        .assert()
        .stdout(predicate::str::contains("\u{1b}["));
}

#[test]
fn quirky_folder_indexes_with_warnings_and_notes_stay_unchanged() {
    let sb = Sandbox::new("quirks");
    sb.write("ignored.md", "**Ignored**: Listed in .gitignore.\n");
    let before = tree(&sb.notes());
    sb.gloss(&["index"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("latin1.md: invalid UTF-8"))
        .stderr(predicate::str::contains(
            "binary.md: skipped: looks like a binary file",
        ));
    assert_eq!(
        top(&sb.json(&["define", "perplexity"])),
        ("Perplexity".into(), "crlf-bom.md".into(), 3)
    );
    assert_eq!(
        top(&sb.json(&["define", "toxicity"])),
        ("Toxicity".into(), "crlf-bom.md".into(), 5)
    );
    assert_eq!(
        top(&sb.json(&["define", "nested term"])),
        ("Nested Term".into(), "sub/nested.markdown".into(), 1)
    );
    assert_eq!(
        top(&sb.json(&["define", "cafe term"])).0,
        "Caf\u{fffd} term"
    );
    for hidden in ["secret", "ignored", "plain text file"] {
        sb.gloss(&["define", hidden]).assert().code(1);
    }
    assert_eq!(before, tree(&sb.notes()), "notes were modified");
}

#[test]
fn search_refreshes_after_edit_rename_and_delete() {
    let sb = Sandbox::empty();
    sb.write("a.md", "**Alpha**: First letter.\n");
    sb.write("b.md", "**Beta**: Second letter.\n");
    assert_eq!(
        top(&sb.json(&["define", "alpha"])),
        ("Alpha".into(), "a.md".into(), 1)
    );
    // Edit: same file, new text (and a different size so the change is seen at once).
    sb.write(
        "a.md",
        "# Greek\n\n**Alpha**: The first letter of the Greek alphabet.\n",
    );
    assert_eq!(
        top(&sb.json(&["define", "alpha"])),
        ("Alpha".into(), "a.md".into(), 3)
    );
    // Rename.
    std::fs::rename(sb.notes().join("b.md"), sb.notes().join("c.md")).unwrap();
    let v = sb.json(&["define", "beta"]);
    assert_eq!(hits(&v), vec![("Beta".into(), "c.md".into(), 1)]);
    // Delete.
    std::fs::remove_file(sb.notes().join("c.md")).unwrap();
    sb.gloss(&["define", "beta"]).assert().code(1);
    let v = sb.json(&["search", "letter"]);
    assert!(
        hits(&v).iter().all(|h| h.1 == "a.md"),
        "stale entries remain: {v}"
    );
}

#[test]
fn index_reports_counts_and_rebuild_works() {
    let sb = Sandbox::new("styles");
    sb.gloss(&["index"]).assert().code(0).stderr(
        predicate::str::is_match(r"indexed 8 of 8 files \(\d+ definitions, \d+ passages").unwrap(),
    );
    sb.gloss(&["index"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("re-indexed 0 of 8 files"));
    sb.gloss(&["index", "--rebuild"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("indexed 8 of 8"));
    sb.gloss(&["define", "token"]).assert().code(0);
}

#[test]
fn missing_notes_folder_is_a_one_line_error() {
    let sb = Sandbox::empty();
    std::fs::remove_dir(sb.notes()).unwrap();
    sb.gloss(&["token"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::starts_with("gloss: ").and(predicate::str::contains("does not exist")),
        )
        .stderr(predicate::function(|s: &str| s.lines().count() == 1));
}

#[test]
fn corrupt_index_metadata_names_the_rebuild_command_or_is_rebuilt() {
    let sb = Sandbox::new("styles");
    sb.gloss(&["index"]).assert().code(0);
    let current = std::fs::read_to_string(sb.index().join("CURRENT")).unwrap();
    std::fs::write(
        sb.index().join(current.trim()).join("meta.json"),
        "{garbage",
    )
    .unwrap();
    let out = sb.gloss(&["define", "token"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code() == Some(0) || stderr.contains("gloss index --rebuild"),
        "status {:?}, stderr {stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn environment_variables_set_the_folders() {
    let sb = Sandbox::new("styles");
    let mut cmd = assert_cmd::Command::cargo_bin("gloss").unwrap();
    cmd.current_dir(sb.dir.path())
        .env("GLOSS_CONTENT", sb.notes())
        .env("GLOSS_INDEX", sb.index())
        .args(["define", "token", "--color", "never"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("a-bold.md:5"));
}

#[test]
fn a_misspelt_subcommand_still_searches_and_says_what_was_meant() {
    let sb = Sandbox::new("styles");
    // Still a search: the fallback to some of the words finds Token.
    sb.gloss(&["serch", "token"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "gloss: searching for \"serch token\"; did you mean `gloss search token`?",
        ));
    sb.gloss(&["termz"])
        .assert()
        .stderr(predicate::str::contains(
            "gloss: searching for \"termz\"; did you mean `gloss terms`?",
        ));
    // A real query is not taken for a command, and a real command is not searched.
    sb.gloss(&["token"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("did you mean").not());
    sb.gloss(&["terms"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("searching for").not());
}

#[test]
fn the_man_page_names_no_page_that_does_not_exist() {
    let sb = Sandbox::new("styles");
    let out = sb.gloss(&["man"]).output().unwrap();
    let man = String::from_utf8(out.stdout).unwrap();
    assert!(!man.contains("gloss\\-search(1)"), "{man}");
    assert!(!man.contains("(1)\n"), "{man}");
    assert!(man.contains(".SH SUBCOMMANDS\n"), "{man}");
    assert!(man.contains("\\fBgloss search\\fR QUERY..."), "{man}");
    assert!(man.contains("\\fBgloss terms\\fR"), "{man}");
}

#[test]
fn index_check_does_not_say_index_index() {
    let sb = Sandbox::new("styles");
    sb.gloss(&["index"]).assert().code(0);
    let out = sb.gloss(&["index", "--check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        format!("{}: up to date and intact\n", sb.index().display())
    );
    // Run from the sandbox with the default folder name: still no "index index".
    let mut cmd = assert_cmd::Command::cargo_bin("gloss").unwrap();
    let out = cmd
        .current_dir(sb.dir.path())
        .env("GLOSS_CONFIG", "")
        .env_remove("GLOSS_INDEX")
        .args(["--content", "notes", "index", "--check"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("index index"));
}

#[test]
fn a_limit_of_zero_is_a_usage_error() {
    let sb = Sandbox::new("styles");
    sb.gloss(&["-n", "0", "token"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--limit").and(predicate::str::contains("at least 1")));
    sb.write("gloss.toml", "limit = 0\n");
    sb.gloss(&["token"]).assert().code(2).stderr(
        predicate::str::contains("gloss.toml:1:").and(predicate::str::contains("at least 1")),
    );
}

#[test]
fn notes_in_the_current_folder_without_content_say_how_to_point_there() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("nlp.md"), "# NLP\n\n**Token**: A unit.\n").unwrap();
    let mut cmd = assert_cmd::Command::cargo_bin("gloss").unwrap();
    cmd.current_dir(dir.path())
        .env("GLOSS_CONFIG", "")
        .env_remove("GLOSS_CONTENT")
        .env_remove("GLOSS_INDEX")
        .args(["define", "token"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "does not exist, but this folder has 1 markdown note",
        ))
        .stderr(predicate::str::contains("gloss --content ."))
        .stderr(predicate::function(|s: &str| s.lines().count() == 1));
    assert!(!dir.path().join("index").exists(), "nothing written");
}
