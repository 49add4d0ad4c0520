//! Everyday use: progress, completions and man page, related terms, lint, context, scoping
//! and config, run as a user runs them.

use assert_cmd::Command;
use predicates::prelude::*;

use crate::common::{hits, Sandbox};

/// `gloss --content notes --index index ARGS...` with no user config file.
fn gloss(sb: &Sandbox, args: &[&str]) -> Command {
    let mut cmd = sb.gloss(args);
    cmd.env("GLOSS_CONFIG", "").env_remove("NO_COLOR");
    cmd
}

/// gloss in the sandbox folder with no folder flags and no user config.
fn bare(sb: &Sandbox, args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("gloss").expect("binary");
    cmd.current_dir(sb.dir.path())
        .env_remove("GLOSS_CONTENT")
        .env_remove("GLOSS_INDEX")
        .env("GLOSS_CONFIG", "")
        .args(args);
    cmd
}

/// Runs a command expecting `code`; returns (stdout, stderr).
fn run(cmd: &mut Command, code: i32) -> (String, String) {
    let out = cmd.output().expect("run gloss");
    let (o, e) = (
        String::from_utf8(out.stdout).expect("UTF-8"),
        String::from_utf8(out.stderr).expect("UTF-8"),
    );
    assert_eq!(out.status.code(), Some(code), "stdout: {o}\nstderr: {e}");
    (o, e)
}

/// Runs a command with `--format json` and parses its stdout.
fn json(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.args(["--format", "json"]).output().expect("run gloss");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn files_of(v: &serde_json::Value) -> Vec<String> {
    hits(v).into_iter().map(|(_, file, _)| file).collect()
}

fn terms_of(v: &serde_json::Value) -> Vec<String> {
    hits(v).into_iter().map(|(term, _, _)| term).collect()
}

/// The live index generation folder.
fn generation(sb: &Sandbox) -> std::path::PathBuf {
    let name = std::fs::read_to_string(sb.index().join("CURRENT")).unwrap();
    sb.index().join(name.trim())
}

/// Names of the graph caches in the live generation.
fn graph_caches(sb: &Sandbox) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(generation(sb))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("graph-") && (n.ends_with(".bin") || n.ends_with(".delta")))
        .collect();
    names.sort();
    names
}

/// `bytes` with every `from` replaced by `to` (of the same length).
fn replaced(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut out = bytes.to_vec();
    let mut at = 0;
    while let Some(found) = out[at..].windows(from.len()).position(|w| w == from) {
        out[at + found..at + found + to.len()].copy_from_slice(to);
        at += found + to.len();
    }
    assert_ne!(out, bytes, "{from:?} not found");
    out
}

// 1. Progress ------------------------------------------------------------------------------

#[test]
fn index_off_a_terminal_prints_the_summary_and_no_progress_bar() {
    let sb = Sandbox::new("everyday");
    let (_, stderr) = run(&mut gloss(&sb, &["index"]), 0);
    assert!(
        stderr.starts_with(
            "gloss: indexed 4 of 4 files (12 definitions, 14 passages, 0 removed, 0 warnings) in "
        ),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!stderr.contains(['\r', '\u{1b}']), "{stderr:?}");
    // The first search builds the index through the same path, as quietly.
    let sb = Sandbox::new("everyday");
    let (_, stderr) = run(&mut gloss(&sb, &["define", "pod"]), 0);
    assert!(
        stderr.starts_with("gloss: indexed 4 of 4 files"),
        "{stderr}"
    );
    assert!(!stderr.contains(['\r', '\u{1b}']), "{stderr:?}");
}

// 2. Completions, man page, help -------------------------------------------------------------

#[test]
fn completions_are_printed_for_each_shell_and_load_in_bash() {
    let sb = Sandbox::empty();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let (script, _) = run(&mut bare(&sb, &["completions", shell]), 0);
        for word in ["related", "lint", "completions", "context", "tag"] {
            assert!(script.contains(word), "{shell} lacks {word}");
        }
    }
    let (script, _) = run(&mut bare(&sb, &["completions", "bash"]), 0);
    let path = sb.dir.path().join("gloss.bash");
    std::fs::write(&path, script).unwrap();
    if let Ok(out) = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("source {:?} && complete -p gloss", path))
        .output()
    {
        let listed = String::from_utf8_lossy(&out.stdout);
        assert!(listed.contains("_gloss"), "{listed}");
    }
    bare(&sb, &["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value 'tcsh'"));
}

#[test]
fn man_page_is_roff_with_examples_environment_and_files() {
    let sb = Sandbox::empty();
    let (page, _) = run(&mut bare(&sb, &["man"]), 0);
    assert!(page.starts_with(".ie") || page.starts_with(".TH"), "{page}");
    assert!(page.contains(".TH gloss 1"));
    for section in [
        ".SH SYNOPSIS",
        ".SH OPTIONS",
        ".SH SUBCOMMANDS",
        ".SH EXAMPLES",
        ".SH ENVIRONMENT",
        ".SH FILES",
    ] {
        assert!(page.contains(section), "no {section}");
    }
    assert!(page.contains("gloss related rag"));
    assert!(page.contains("GLOSS_CONFIG"));
}

#[test]
fn help_shows_examples_of_everyday_commands() {
    let sb = Sandbox::empty();
    let (help, _) = run(&mut bare(&sb, &["--help"]), 0);
    for line in [
        "Examples:",
        "gloss related rag",
        "gloss lint",
        "--context section",
        "--in 04-rag",
        "--tag kubernetes",
        "gloss config",
        "gloss completions bash",
    ] {
        assert!(help.contains(line), "help lacks {line:?}:\n{help}");
    }
}

// 3. Related terms ---------------------------------------------------------------------------

#[test]
fn related_walks_from_rag_to_chunking_to_embedding() {
    let sb = Sandbox::new("everyday");
    let (text, _) = run(&mut gloss(&sb, &["related", "rag", "--color", "never"]), 0);
    assert_eq!(
        text,
        "Retrieval-augmented generation (RAG)  01-rag.md:7\n\
         \n\
         mentions (2)\n\
         \x20 Chunk                       01-rag.md:15\n\
         \x20 Large language model (LLM)  01-rag.md:9\n"
    );
    let (text, _) = run(
        &mut gloss(&sb, &["related", "chunk", "--color", "never"]),
        0,
    );
    assert!(text.contains("mentioned by (4)\n  Chunk sizes"), "{text}");
    assert!(
        text.contains("Retrieval-augmented generation (RAG)"),
        "{text}"
    );
    let v = json(&mut gloss(&sb, &["related", "chunking"]));
    assert_eq!(v["term"], "Chunking");
    assert_eq!(v["file"], "01-rag.md");
    assert_eq!(v["line"], 13);
    let mentions: Vec<&str> = v["mentions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["term"].as_str().unwrap())
        .collect();
    assert_eq!(mentions, ["Chunk", "Embedding"]);
    assert_eq!(v["mentioned_by"][0]["term"], "Chunk");
    assert_eq!(v["mentions"][1]["file"], "02-vectors.md");
}

#[test]
fn related_finds_terms_by_alias_or_typo_and_exits_1_when_there_is_none() {
    let sb = Sandbox::new("everyday");
    let (text, _) = run(&mut gloss(&sb, &["related", "LLMs", "--color", "never"]), 0);
    assert!(
        text.starts_with("Large language model (LLM)  01-rag.md:9"),
        "{text}"
    );
    let (text, _) = run(
        &mut gloss(&sb, &["related", "embeding", "--color", "never"]),
        0,
    );
    assert!(text.starts_with("Embedding  02-vectors.md:5"), "{text}");
    let (_, stderr) = run(&mut gloss(&sb, &["related", "xyzzy"]), 1);
    assert_eq!(stderr, "no definition for \"xyzzy\"\n");
    gloss(&sb, &["related", "rag", "--format", "csv"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--format text|json"));
}

#[test]
fn define_text_has_a_see_also_line_and_json_is_unchanged() {
    let sb = Sandbox::new("everyday");
    let (text, _) = run(&mut gloss(&sb, &["define", "chunking", "-n", "1"]), 0);
    assert_eq!(
        text,
        "Chunking  definition\n  01-rag.md:13  Retrieval › Preparing documents\n  \
         Splitting documents into chunks before computing an embedding for each chunk.\n  \
         see also: Chunk, Embedding\n"
    );
    let v = json(&mut gloss(&sb, &["define", "chunking", "-n", "1"]));
    let keys: Vec<&String> = v["hits"][0].as_object().unwrap().keys().collect();
    assert!(!keys.iter().any(|k| k.as_str() == "see_also"), "{keys:?}");
    // `search` output keeps its shape.
    let (text, _) = run(&mut gloss(&sb, &["search", "chunking", "-n", "1"]), 0);
    assert!(!text.contains("see also"), "{text}");
}

#[test]
fn the_graph_is_cached_per_commit_and_a_broken_cache_is_rebuilt() {
    let sb = Sandbox::new("everyday");
    let (first, _) = run(&mut gloss(&sb, &["related", "rag", "--color", "never"]), 0);
    let caches = graph_caches(&sb);
    assert_eq!(caches.len(), 1, "{caches:?}");
    let cache = generation(&sb).join(&caches[0]);
    // Reused as it is: a mark only the cache holds shows up (a term spelt otherwise).
    let bytes = std::fs::read(&cache).unwrap();
    std::fs::write(&cache, replaced(&bytes, b"Chunk", b"Chonk")).unwrap();
    let (again, _) = run(&mut gloss(&sb, &["related", "rag", "--color", "never"]), 0);
    assert!(again.contains("Chonk"), "{again}");
    // Unreadable: rebuilt and rewritten as it was.
    std::fs::write(&cache, "{not json").unwrap();
    let (again, _) = run(&mut gloss(&sb, &["related", "rag", "--color", "never"]), 0);
    assert_eq!(again, first);
    assert!(std::fs::read(&cache).unwrap() == bytes);
    // A new commit gets a new cache; the old one is removed.
    sb.write(
        "03-new.md",
        "**Reranker**: Orders retrieved chunks again.\n",
    );
    run(
        &mut gloss(&sb, &["related", "reranker", "--color", "never"]),
        0,
    );
    let now = graph_caches(&sb);
    assert_eq!(now.len(), 1, "{now:?}");
    assert_ne!(now, caches);
}

#[test]
fn the_index_run_builds_the_graph_so_no_query_has_to() {
    let sb = Sandbox::new("everyday");
    run(&mut gloss(&sb, &["index"]), 0);
    let built = graph_caches(&sb);
    assert_eq!(built.len(), 1, "{built:?}");
    // An edit, then an index run: the new commit's graph is there before any query.
    sb.write(
        "03-new.md",
        "**Reranker**: Orders retrieved chunks again.\n",
    );
    run(&mut gloss(&sb, &["index"]), 0);
    let now = graph_caches(&sb);
    assert_eq!(now.len(), 1, "{now:?}");
    assert_ne!(now, built);
    let cache = std::fs::read(generation(&sb).join(&now[0])).unwrap();
    assert!(cache.windows(8).any(|w| w == b"Reranker"));
}

#[test]
fn a_graph_cache_of_an_older_format_is_rebuilt_and_removed() {
    let sb = Sandbox::new("everyday");
    let (first, _) = run(&mut gloss(&sb, &["related", "rag", "--color", "never"]), 0);
    let caches = graph_caches(&sb);
    assert_eq!(caches.len(), 1, "{caches:?}");
    // As an older gloss left it: the graph as JSON and its source, no binary file.
    let commit = caches[0].trim_end_matches(".bin");
    let generation = generation(&sb);
    std::fs::remove_file(generation.join(&caches[0])).unwrap();
    let (json, defs) = (format!("{commit}.json"), format!("{commit}.defs"));
    std::fs::write(generation.join(&json), r#"{"version":5,"nodes":[]}"#).unwrap();
    std::fs::write(generation.join(&defs), "gloss-defs1\n").unwrap();
    let (again, stderr) = run(&mut gloss(&sb, &["related", "rag", "--color", "never"]), 0);
    assert_eq!((again.as_str(), stderr.as_str()), (first.as_str(), ""));
    assert_eq!(graph_caches(&sb), caches);
    assert!(!generation.join(json).exists() && !generation.join(defs).exists());
}

#[test]
fn a_cache_that_cannot_be_written_is_not_an_error() {
    let sb = Sandbox::new("everyday");
    let (first, _) = run(&mut gloss(&sb, &["related", "rag", "--color", "never"]), 0);
    let cache = generation(&sb).join(&graph_caches(&sb)[0]);
    // A folder where the cache file should be: unreadable and unwritable, even as root.
    std::fs::remove_file(&cache).unwrap();
    std::fs::create_dir(&cache).unwrap();
    let (again, stderr) = run(&mut gloss(&sb, &["related", "rag", "--color", "never"]), 0);
    assert_eq!(again, first);
    assert_eq!(stderr, "");
    assert!(cache.is_dir());
}

// 4. Lint ------------------------------------------------------------------------------------

#[test]
fn lint_reports_each_kind_of_problem_one_per_line_and_exits_1() {
    let sb = Sandbox::new("everyday-lint");
    let (out, stderr) = run(&mut gloss(&sb, &["lint"]), 1);
    assert_eq!(
        out,
        "a.md:6: \"Perplexity\" has an empty definition\n\
         a.md:7: the definition of \"Docs\" is only a link\n\
         a.md:9: \"context window\" is bold like a term but defined nowhere (used 3 times)\n\
         b.md:3: \"token\" is defined 2 times with different text (first at a.md:3)\n\
         b.md:5: \"finetuning\" and \"Fine-tuning\" (a.md:4) look like the same term\n\
         b.md:7: \"Tokeniser\" and \"Tokenizer\" (a.md:5) are one letter apart: the same term?\n"
    );
    assert_eq!(stderr, "gloss: 6 findings in 2 notes\n");
    let v = json(&mut gloss(&sb, &["lint"]));
    assert_eq!(v["files"], 2);
    let checks: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    assert_eq!(
        checks,
        [
            "empty",
            "empty",
            "undefined",
            "conflict",
            "duplicate",
            "duplicate"
        ]
    );
}

#[test]
fn lint_of_a_clean_glossary_exits_0_without_touching_the_index() {
    let sb = Sandbox::new("everyday");
    let (out, stderr) = run(&mut gloss(&sb, &["lint"]), 0);
    assert_eq!(out, "");
    assert_eq!(stderr, "gloss: no findings in 4 notes\n");
    assert!(
        !sb.index().exists(),
        "lint must read the notes, not build an index"
    );
    gloss(&sb, &["lint"])
        .arg("--content")
        .arg(sb.dir.path().join("missing"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does not exist"));
}

// 5. Context ---------------------------------------------------------------------------------

#[test]
fn context_section_prints_the_section_up_to_the_next_heading_of_its_level() {
    let sb = Sandbox::new("everyday");
    let (text, _) = run(
        &mut gloss(&sb, &["search", "straddle", "--context", "section"]),
        0,
    );
    assert_eq!(
        text,
        "passage\n  01-rag.md:17  Retrieval › Preparing documents\n\
         \x20 11- ## Preparing documents\n\
         \x20 12-\n\
         \x20 13- **Chunking**: Splitting documents into chunks before computing an embedding for each chunk.\n\
         \x20 14-\n\
         \x20 15- **Chunk**: A piece of a document, made by chunking.\n\
         \x20 16-\n\
         \x20 17: Chunk overlap keeps sentences that straddle a boundary retrievable from either side.\n\
         \x20 18- A second line of the same paragraph.\n\
         \x20 19-\n\
         \x20 20- ### Chunk sizes\n\
         \x20 21-\n\
         \x20 22- Small chunks are precise; large chunks keep context.\n"
    );
    // A passage under a deeper heading gets only its own section.
    let (text, _) = run(
        &mut gloss(&sb, &["search", "precise", "--context", "section"]),
        0,
    );
    assert!(text.ends_with("  20- ### Chunk sizes\n  21-\n  22: Small chunks are precise; large chunks keep context.\n"), "{text}");
}

#[test]
fn context_n_prints_n_lines_either_side() {
    let sb = Sandbox::new("everyday");
    let (text, _) = run(
        &mut gloss(&sb, &["search", "straddle", "--context", "1"]),
        0,
    );
    assert_eq!(
        text,
        "passage\n  01-rag.md:17  Retrieval › Preparing documents\n\
         \x20 16-\n\
         \x20 17: Chunk overlap keeps sentences that straddle a boundary retrievable from either side.\n\
         \x20 18- A second line of the same paragraph.\n"
    );
    gloss(&sb, &["search", "straddle", "--context", "lots"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("expected `section` or a number"));
}

#[test]
fn context_lines_are_made_printable() {
    let sb = Sandbox::empty();
    sb.write(
        "esc.md",
        "# T\n\nA \u{1b}[31mred\u{1b}[0m word and a\ttab.\n",
    );
    let (text, _) = run(&mut gloss(&sb, &["search", "word", "--context", "0"]), 0);
    assert!(
        text.contains("  3: A \\u{1b}[31mred\\u{1b}[0m word and a    tab.\n"),
        "{text:?}"
    );
    assert!(!text.contains('\u{1b}'));
}

// 6. Scoping ---------------------------------------------------------------------------------

#[test]
fn in_keeps_hits_under_a_prefix_a_folder_or_a_glob() {
    let sb = Sandbox::new("everyday");
    let all = json(&mut gloss(&sb, &["search", "embedding"]));
    assert!(files_of(&all).contains(&"01-rag.md".to_string()));
    let v = json(&mut gloss(&sb, &["search", "embedding", "--in", "02"]));
    assert!(!files_of(&v).is_empty());
    assert!(files_of(&v).iter().all(|f| f == "02-vectors.md"), "{v}");
    let v = json(&mut gloss(&sb, &["search", "pod", "--in", "sub/"]));
    assert!(files_of(&v).iter().all(|f| f.starts_with("sub/")), "{v}");
    let v = json(&mut gloss(
        &sb,
        &[
            "search",
            "embedding",
            "--in",
            "0[1-1]-*.md",
            "--in",
            "sub/*.md",
        ],
    ));
    let files = files_of(&v);
    assert!(
        files.contains(&"01-rag.md".to_string()) && files.contains(&"sub/pod.md".to_string()),
        "{files:?}"
    );
    assert!(!files.contains(&"02-vectors.md".to_string()));
    // Ranks are renumbered after filtering.
    let ranks: Vec<u64> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["rank"].as_u64().unwrap())
        .collect();
    assert_eq!(ranks, (1..=ranks.len() as u64).collect::<Vec<_>>());
    // The scope filters; it does not score: a hit keeps the score it has unscoped.
    let score_of = |v: &serde_json::Value, file: &str| -> Vec<f64> {
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["file"] == file)
            .map(|h| h["score"].as_f64().unwrap())
            .collect()
    };
    let scoped = json(&mut gloss(&sb, &["search", "embedding", "--in", "02"]));
    assert_eq!(
        score_of(&scoped, "02-vectors.md"),
        score_of(&all, "02-vectors.md")
    );
    gloss(&sb, &["search", "embedding", "--in", "nowhere/"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "in the notes chosen by --in/--tag",
        ));
    gloss(&sb, &["search", "embedding", "--in", "[oops"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--in \"[oops\" is not a valid glob",
        ));
}

#[test]
fn a_scoped_query_still_fills_its_limit() {
    let sb = Sandbox::new("everyday");
    // The best hits for "chunk" are in 01-rag.md; scoped to 02 the one there still comes back.
    let v = json(&mut gloss(
        &sb,
        &["search", "chunks", "-n", "1", "--in", "02-vectors.md"],
    ));
    assert_eq!(files_of(&v), ["02-vectors.md"]);
    assert_eq!(v["hits"][0]["rank"], 1);
}

#[test]
fn a_scope_finds_its_hit_however_weak_among_many() {
    // 60 notes mention "token"; the one scoped to is the weakest match. A filter after the
    // search would need it among the first 20 x limit hits; a clause of the query does not.
    let sb = Sandbox::empty();
    for i in 0..60 {
        sb.write(
            &format!("n{i:02}.md"),
            &format!("# N{i}\n\nToken token token {i}.\n"),
        );
    }
    sb.write(
        "zz-last.md",
        "# Last\n\nA long paragraph that says token once among many other words of little use.\n",
    );
    let v = json(&mut gloss(
        &sb,
        &["search", "token", "-n", "1", "--in", "zz-"],
    ));
    assert_eq!(files_of(&v), ["zz-last.md"], "{v}");
}

#[test]
fn a_scope_that_matches_no_note_says_so() {
    let sb = Sandbox::new("everyday");
    gloss(
        &sb,
        &["search", "embedding", "--in", "nowhere/", "--tag", "ops"],
    )
    .assert()
    .code(1)
    .stderr(predicate::str::contains(
        "matches --in \"nowhere/\" --tag \"ops\"",
    ));
    gloss(&sb, &["terms", "--tag", "nosuchtag"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("matches --tag \"nosuchtag\""));
    // A scope that holds notes but no hit is not reported as empty.
    gloss(&sb, &["define", "vector", "--tag", "ops"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("matches").not());
}

#[test]
fn tag_keeps_notes_whose_front_matter_has_the_tag() {
    let sb = Sandbox::new("everyday");
    let v = json(&mut gloss(&sb, &["terms", "--tag", "ops"]));
    assert_eq!(terms_of(&v), ["Deployment", "Pod", "Scaling"]);
    let v = json(&mut gloss(&sb, &["terms", "--tag", "Kubernetes"]));
    assert_eq!(terms_of(&v), ["Pod", "Scaling"]);
    let v = json(&mut gloss(&sb, &["search", "pod", "--tag", "kubernetes"]));
    assert!(files_of(&v).iter().all(|f| f == "sub/pod.md"), "{v}");
    let v = json(&mut gloss(&sb, &["define", "vector", "--tag", "ops"]));
    assert!(v["hits"].as_array().unwrap().is_empty());
    // Tags ride along in JSON hits.
    let v = json(&mut gloss(&sb, &["define", "deployment", "-n", "1"]));
    assert_eq!(v["hits"][0]["tags"], serde_json::json!(["ops"]));
}

// 7. Config ----------------------------------------------------------------------------------

#[test]
fn gloss_toml_in_the_notes_sets_limit_synonyms_and_boosts() {
    let sb = Sandbox::new("everyday");
    sb.write(
        "gloss.toml",
        "limit = 2\n[synonyms]\nllm = \"large language model\"\nvdb = [\"vector database\"]\n[boosts]\n\"02-*.md\" = 100.0\n",
    );
    // A passage of 02 about chunks that says more than any definition.
    let vectors = std::fs::read_to_string(sb.notes().join("02-vectors.md")).unwrap();
    sb.write(
        "02-vectors.md",
        &format!("{vectors}\nChunks of text become vectors before they are compared.\n"),
    );
    let v = json(&mut gloss(&sb, &["search", "chunk"]));
    assert_eq!(hits(&v).len(), 2);
    // A flag beats the file.
    let v = json(&mut gloss(&sb, &["search", "chunk", "-n", "5"]));
    assert_eq!(hits(&v).len(), 5);
    // A synonym: the query finds nothing, its expansion does.
    let v = json(&mut gloss(&sb, &["define", "vdb"]));
    assert_eq!(terms_of(&v), ["Vector database"]);
    assert_eq!(v["query"], "vdb");
    // An alias already matching keeps its hit first; the expansion adds to it.
    let v = json(&mut gloss(&sb, &["define", "llm", "-n", "3"]));
    assert_eq!(terms_of(&v)[0], "Large language model");
    // Boosts reorder hits of the same kind and tier: 02's passage before 01's.
    let v = json(&mut gloss(&sb, &["search", "chunks", "-n", "10"]));
    let passages: Vec<String> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["kind"] == "passage")
        .map(|h| h["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        passages.first().map(String::as_str),
        Some("02-vectors.md"),
        "{v}"
    );
}

#[test]
fn config_shows_each_setting_and_where_it_came_from() {
    let sb = Sandbox::new("everyday");
    let user = sb.dir.path().join("user.toml");
    std::fs::write(
        &user,
        "index = \"idx\"\nlimit = 7\n[synonyms]\nk8s = \"kubernetes\"\n",
    )
    .unwrap();
    sb.write("gloss.toml", "limit = 3\n[boosts]\n\"sub/*.md\" = 2.0\n");
    let mut cmd = bare(&sb, &["config"]);
    cmd.env("GLOSS_CONFIG", &user).env("GLOSS_CONTENT", "notes");
    let (text, _) = run(&mut cmd, 0);
    let user_s = user.display().to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.contains(&"# config file notes/gloss.toml: read"),
        "{text}"
    );
    assert!(
        lines.contains(&format!("# config file {user_s}: read").as_str()),
        "{text}"
    );
    let setting = |key: &str| -> String {
        lines
            .iter()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("no {key} in {text}"))
            .to_string()
    };
    assert!(
        setting("content").ends_with("# env GLOSS_CONTENT"),
        "{text}"
    );
    let index = setting("index");
    assert!(
        index.contains("idx") && index.ends_with(&format!("# {user_s}")),
        "{text}"
    );
    assert!(
        setting("limit").starts_with("limit = 3")
            && setting("limit").ends_with("# notes/gloss.toml")
    );
    assert!(setting("k8s").contains("[\"kubernetes\"]"), "{text}");
    assert!(
        setting("\"sub/*.md\"").ends_with("# notes/gloss.toml"),
        "{text}"
    );
    // Flags beat everything; defaults when nothing is set.
    let mut cmd = bare(
        &sb,
        &["config", "--content", "notes", "--index", "i2", "-n", "4"],
    );
    let (text, _) = run(&mut cmd, 0);
    assert!(text.contains("index = \"i2\""), "{text}");
    assert!(
        text.contains("# flag --index") && text.contains("# flag --limit"),
        "{text}"
    );
    let empty = Sandbox::empty();
    let (text, _) = run(&mut bare(&empty, &["config"]), 0);
    assert!(text.contains("content = \"content\""), "{text}");
    assert!(text.contains("# default"), "{text}");
}

#[test]
fn environment_variables_and_user_config_choose_the_folders_and_flags_override_them() {
    let sb = Sandbox::new("everyday");
    // The user config names the notes and index; a search from anywhere uses them.
    let user = sb.dir.path().join("user.toml");
    std::fs::write(&user, "content = \"notes\"\nindex = \"idx\"\n").unwrap();
    let mut cmd = bare(&sb, &["define", "pod", "--color", "never"]);
    cmd.env("GLOSS_CONFIG", &user).current_dir("/");
    let (text, _) = run(&mut cmd, 0);
    assert!(text.contains("sub/pod.md:6"), "{text}");
    assert!(sb.dir.path().join("idx").join("CURRENT").exists());
    // Env beats the user config; a flag beats env.
    let mut cmd = bare(&sb, &["define", "pod"]);
    cmd.env("GLOSS_CONFIG", &user)
        .env("GLOSS_CONTENT", sb.dir.path().join("missing"));
    cmd.assert()
        .code(2)
        .stderr(predicate::str::contains("missing"));
    let mut cmd = bare(&sb, &["define", "pod", "--content"]);
    cmd.arg(sb.notes())
        .env("GLOSS_CONFIG", &user)
        .env("GLOSS_CONTENT", sb.dir.path().join("missing"))
        .env("GLOSS_INDEX", sb.index());
    cmd.assert().code(0);
    assert!(sb.index().join("CURRENT").exists());
}

#[test]
fn a_broken_config_file_is_a_one_line_error_with_its_line() {
    let sb = Sandbox::new("everyday");
    sb.write("gloss.toml", "limit = 3\nlimt = 4\n");
    let (_, stderr) = run(&mut gloss(&sb, &["define", "pod"]), 2);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("gloss: "), "{stderr}");
    assert!(stderr.contains("gloss.toml:2: "), "{stderr}");
    sb.write("gloss.toml", "[boosts]\n\"[x\" = 2.0\n");
    let (_, stderr) = run(&mut gloss(&sb, &["define", "pod"]), 2);
    assert!(stderr.contains("is not a valid glob"), "{stderr}");
    // Completions and the man page need no settings.
    gloss(&sb, &["man"]).assert().code(0);
}

/// The kinds of the hits, in order.
fn kinds_of(v: &serde_json::Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn synonyms_and_boosts_never_move_a_passage_above_a_definition() {
    let sb = Sandbox::new("styles");
    let want = ["definition", "definition", "passage"];
    // Without settings: definitions that hold some of the words, then the passage that
    // holds them all.
    let v = json(&mut gloss(&sb, &["search", "metrics", "cpu"]));
    assert_eq!(kinds_of(&v), want, "{v}");
    // A synonym that occurs in the query and a boost of the passage's note change nothing
    // in that order.
    sb.write(
        "gloss.toml",
        "[synonyms]\ncpu = \"processor\"\nmetric = \"measure\"\n[boosts]\n\"e-front-matter/*.md\" = 1000.0\n",
    );
    let v = json(&mut gloss(&sb, &["search", "metrics", "cpu"]));
    let kinds = kinds_of(&v);
    let first_passage = kinds.iter().position(|k| k == "passage").unwrap();
    assert!(first_passage >= 2, "{v}");
    assert!(kinds[first_passage..].iter().all(|k| k == "passage"), "{v}");
    assert_eq!(
        v["hits"][first_passage]["file"],
        "e-front-matter/horizontal-pod-autoscaler.md"
    );
}
