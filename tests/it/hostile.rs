//! Reliability: hostile notes, hostile queries, terminal safety and index faults. Every
//! hostile input is generated here in a temp folder; nothing large is committed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{code, stderr, stdout, tree, Sandbox};

// ---------------------------------------------------------------------------------------
// Helpers

/// The built binary with the sandbox's folders, as a plain `std` command (to spawn and kill).
fn gloss(sb: &Sandbox, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gloss"));
    cmd.current_dir(sb.dir.path())
        .env_remove("GLOSS_CONTENT")
        .env_remove("GLOSS_INDEX")
        .env_remove("GLOSS_NO_REFRESH")
        // A developer's own ~/.config/gloss/gloss.toml must not change test results.
        .env("GLOSS_CONFIG", "")
        .env("NO_COLOR", "1")
        .arg("--content")
        .arg(sb.notes())
        .arg("--index")
        .arg(sb.index())
        .args(args);
    cmd
}

fn run(sb: &Sandbox, args: &[&str]) -> Output {
    let out = run_on_damage(sb, args);
    // The binary turns a panic into one line and exit 2: on an intact index that is a bug.
    let err = stderr(&out);
    assert!(!err.contains("internal error"), "{args:?}:\n{err}");
    out
}

/// [`run`] on a deliberately damaged index, where a panic inside the engine, caught and
/// reported as one line naming the rebuild, is an accepted outcome.
fn run_on_damage(sb: &Sandbox, args: &[&str]) -> Output {
    let out = gloss(sb, args).output().expect("run gloss");
    assert_no_panic(&out, args);
    out
}

/// No panic, no death by signal (a stack overflow aborts), whatever the exit code.
fn assert_no_panic(out: &Output, what: &[&str]) {
    let err = stderr(out);
    assert!(
        out.status.code().is_some() && out.status.code() != Some(101),
        "{what:?} died: {:?}\n{err}",
        out.status
    );
    assert!(!err.contains("panicked"), "{what:?} panicked:\n{err}");
}

/// `(term, file, line, text)` of each hit of a `--format json` run.
fn json_hits(sb: &Sandbox, args: &[&str]) -> Vec<(String, String, u64, String)> {
    // Flags first: the arguments may end with `-- QUERY`.
    let mut all = vec!["--format", "json"];
    all.extend(args);
    let out = run(sb, &all);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{all:?}: not JSON ({e}): {}\nstderr: {}",
            stdout(&out),
            stderr(&out)
        )
    });
    v["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| {
            (
                h["term"].as_str().unwrap_or("").to_string(),
                h["file"].as_str().unwrap_or("").to_string(),
                h["line"].as_u64().unwrap_or(0),
                h["text"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The top definition of `term`: (term, file, line).
fn define(sb: &Sandbox, term: &str) -> (String, String, u64) {
    let hits = json_hits(sb, &["define", term]);
    let (t, f, l, _) = hits
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no definition for {term:?}"));
    (t, f, l)
}

/// Tests run as root in CI containers, where permission bits stop nothing.
fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn write_bytes(sb: &Sandbox, name: impl AsRef<Path>, bytes: &[u8]) {
    let path = sb.notes().join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write note");
}

/// The live generation folder of the sandbox's index.
fn generation(sb: &Sandbox) -> PathBuf {
    let current = std::fs::read_to_string(sb.index().join("CURRENT")).expect("CURRENT");
    sb.index().join(current.trim())
}

/// Files of the live generation whose name ends with `.ext`.
fn segment_files(sb: &Sandbox, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(generation(sb))
        .expect("generation")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files
}

/// After damage to the index, a query either answers (the index was rebuilt) or fails
/// with one line naming the rebuild command. Never a panic.
fn answers_or_names_the_rebuild(sb: &Sandbox, what: &str) {
    let out = run_on_damage(sb, &["define", "token"]);
    let err = stderr(&out);
    match code(&out) {
        0 => assert!(
            stdout(&out).starts_with("Token"),
            "{what}: {}",
            stdout(&out)
        ),
        2 => {
            assert!(err.contains("gloss index --rebuild"), "{what}: {err}");
            assert_eq!(err.trim_end().lines().count(), 1, "{what}: {err}");
        }
        other => panic!("{what}: exit {other}\n{err}"),
    }
}

/// splitmix64: a small seeded generator, so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

// ---------------------------------------------------------------------------------------
// Hostile notes

/// Writes one of each hostile note; returns the files that must get a warning.
fn hostile_folder(sb: &Sandbox) -> Vec<&'static str> {
    use std::os::unix::fs::symlink;
    let notes = sb.notes();
    write_bytes(
        sb,
        "invalid-utf8.md",
        b"# Bad bytes\n\n**Latin term**: caf\xe9 au lait \xff\xfe.\n",
    );
    let mut binary = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    binary.extend((0..=255u8).cycle().take(4096));
    write_bytes(sb, "binary.md", &binary);
    write_bytes(sb, "empty.md", b"");
    // 10,000 levels on one line each: `- - - ...` and `> > > ...`; and the two mixed.
    write_bytes(
        sb,
        "deep-list.md",
        format!("{}deepest listitem\n", "- ".repeat(10_000)).as_bytes(),
    );
    write_bytes(
        sb,
        "deep-quote.md",
        format!("{} deepest quoteword\n", ">".repeat(10_000)).as_bytes(),
    );
    write_bytes(
        sb,
        "deep-mixed.md",
        format!("{}deepest mixword\n", "> - ".repeat(5_000)).as_bytes(),
    );
    // 5,000 columns, with a glossary header so the table is read for definitions too.
    let cols = |f: &dyn Fn(usize) -> String| (2..5000).map(f).collect::<Vec<_>>().join(" | ");
    let table = format!(
        "| Term | Definition | {} |\n{}|\n| Wide term | A row of a very wide table. | {} |\n",
        cols(&|i| format!("c{i}")),
        "|---".repeat(5000),
        cols(&|i| format!("v{i}")),
    );
    write_bytes(sb, "wide-table.md", table.as_bytes());
    // Symlink loops: a folder pointing at its parent, and two links pointing at each other.
    std::fs::create_dir_all(notes.join("loop")).expect("mkdir");
    symlink("..", notes.join("loop/up")).expect("symlink");
    symlink("cycle-b.md", notes.join("cycle-a.md")).expect("symlink");
    symlink("cycle-a.md", notes.join("cycle-b.md")).expect("symlink");
    symlink("nowhere.md", notes.join("dangling.md")).expect("symlink");
    // Not regular files: skipped without a read (a read would block or never end).
    symlink("/dev/zero", notes.join("zero.md")).expect("symlink");
    let _ = Command::new("mkfifo").arg(notes.join("fifo.md")).status();
    write_bytes(
        sb,
        "name with spaces.md",
        b"**Spaced term**: in a file with spaces.\n",
    );
    write_bytes(
        sb,
        "new\nline.md",
        b"**Newline term**: in a file with a newline in its name.\n",
    );
    write_bytes(
        sb,
        "\u{f1}o\u{f1}o \u{65e5}\u{672c} \u{fc}.md",
        b"**Nonascii term**: in a file with a non-ASCII name.\n",
    );
    write_bytes(
        sb,
        "crlf.md",
        b"# CRLF\r\n\r\n**Crlf term**: windows line endings.\r\n\r\n**Second crlf**: on line five.\r\n",
    );
    write_bytes(
        sb,
        "mixed.md",
        b"# Mixed\n\r\n**Unix term**: lf.\n\n**Mac term**: cr only.\r\r**Dos term**: crlf.\r\n",
    );
    write_bytes(
        sb,
        "bad-yaml.md",
        b"---\ntitle: [unclosed\n  - : :\n---\n\n**After yaml**: still indexed.\n",
    );
    // libyaml is quadratic in bracket nesting: this took 25 s (release) before the guard.
    write_bytes(
        sb,
        "deep-yaml.md",
        format!(
            "---\ntitle: {}\n---\n\n**After deep yaml**: still fast.\n",
            "[".repeat(100_000)
        )
        .as_bytes(),
    );
    // 100,000 aliases and tags: the alias dedup was quadratic (a minute) and tags were
    // copied into every entry (7 GB) before the caps.
    let list = |p: &str| {
        (0..100_000)
            .map(|i| format!("{p}{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let paragraphs: String = (0..500).map(|i| format!("Paragraph {i}.\n\n")).collect();
    write_bytes(
        sb,
        "many-aliases.md",
        format!(
            "---\ntitle: Aliased\naliases: [{}]\ntags: [{}]\n---\n\nAliased is a note with many aliases.\n\n{paragraphs}",
            list("a"),
            list("t")
        )
        .as_bytes(),
    );
    // A 1 MB heading over 300 paragraphs: it was copied into each (3 GB for 2 MB × 500).
    let paragraphs: String = (0..300)
        .map(|i| format!("Longhead paragraph {i}.\n\n"))
        .collect();
    write_bytes(
        sb,
        "long-heading.md",
        format!("# {}\n\n{paragraphs}", "heading ".repeat(1 << 17)).as_bytes(),
    );
    vec![
        "invalid-utf8.md",
        "binary.md",
        "loop/up",
        "cycle-a.md",
        "cycle-b.md",
        "dangling.md",
        "bad-yaml.md",
        "deep-yaml.md",
    ]
}

#[test]
fn hostile_notes_index_with_a_warning_per_bad_file_and_stay_unchanged() {
    let sb = Sandbox::empty();
    let bad = hostile_folder(&sb);
    let before = tree(&sb.notes());
    let started = Instant::now();
    let out = run(&sb, &["index"]);
    let took = started.elapsed();
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{err}");
    let warnings: Vec<&str> = err
        .lines()
        .filter_map(|l| l.strip_prefix("gloss: warning: "))
        .collect();
    for file in &bad {
        let n = warnings
            .iter()
            .filter(|w| w.starts_with(&format!("{file}: ")))
            .count();
        assert_eq!(n, 1, "{file}: expected one warning in\n{err}");
    }
    assert_eq!(warnings.len(), bad.len(), "unexpected warnings:\n{err}");
    // Generous for a debug build on 2 cores; the bounded inputs index in well under 1 s.
    assert!(took < Duration::from_secs(30), "indexing took {took:?}");

    for (query, term, file, line) in [
        ("latin term", "Latin term", "invalid-utf8.md", 3),
        ("spaced term", "Spaced term", "name with spaces.md", 1),
        ("newline term", "Newline term", "new\nline.md", 1),
        (
            "nonascii term",
            "Nonascii term",
            "\u{f1}o\u{f1}o \u{65e5}\u{672c} \u{fc}.md",
            1,
        ),
        ("crlf term", "Crlf term", "crlf.md", 3),
        ("second crlf", "Second crlf", "crlf.md", 5),
        ("unix term", "Unix term", "mixed.md", 3),
        ("after yaml", "After yaml", "bad-yaml.md", 6),
        ("after deep yaml", "After deep yaml", "deep-yaml.md", 5),
        ("aliased", "Aliased", "many-aliases.md", 7),
        ("wide term", "Wide term", "wide-table.md", 3),
    ] {
        assert_eq!(
            define(&sb, query),
            (term.to_string(), file.to_string(), line),
            "{query}"
        );
    }
    for (query, file) in [
        ("listitem", "deep-list.md"),
        ("quoteword", "deep-quote.md"),
        ("mixword", "deep-mixed.md"),
        ("v4999", "wide-table.md"),
        ("longhead", "long-heading.md"),
    ] {
        let hits = json_hits(&sb, &["search", query]);
        assert_eq!(
            hits.first().map(|h| h.1.as_str()),
            Some(file),
            "{query}: {hits:?}"
        );
    }
    // Front matter lists are capped: the 65th alias is not a name of the term.
    assert_eq!(json_hits(&sb, &["define", "a64"]), []);

    let check = run(&sb, &["index", "--check"]);
    assert_eq!(code(&check), 0, "{}{}", stdout(&check), stderr(&check));
    assert_eq!(before, tree(&sb.notes()), "notes were modified");
}

#[test]
fn twenty_megabyte_single_line_note_indexes_in_bounded_memory() {
    let sb = Sandbox::empty();
    // One line: a bold lead-in, so it is also a 20 MB definition (it was kept whole and
    // tokenized whole: 1 GB peak before definitions were capped).
    let mut line = b"**Huge**: ".to_vec();
    while line.len() < 20 * 1024 * 1024 {
        line.extend_from_slice(b"lorem ipsum dolor sit amet ");
    }
    write_bytes(&sb, "huge.md", &line);
    let time = Path::new("/usr/bin/time");
    let out = if time.exists() {
        let inner = gloss(&sb, &["index"]);
        let mut cmd = Command::new(time);
        cmd.arg("-v")
            .arg(inner.get_program())
            .args(inner.get_args())
            .current_dir(sb.dir.path())
            .env_remove("GLOSS_CONTENT")
            .env_remove("GLOSS_INDEX")
            .env("GLOSS_CONFIG", "");
        cmd.output().expect("run gloss under /usr/bin/time")
    } else {
        gloss(&sb, &["index"]).output().expect("run gloss")
    };
    assert_no_panic(&out, &["index"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let err = stderr(&out);
    if let Some(kb) = err
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        println!(
            "peak memory indexing a 20 MB single-line note: {} MB",
            kb / 1024
        );
        assert!(kb < 1536 * 1024, "peak memory {kb} kB");
    } else {
        println!("/usr/bin/time not available: peak memory not recorded");
    }
    let hits = json_hits(&sb, &["define", "huge"]);
    assert_eq!(hits[0].0, "Huge");
    assert!(
        hits[0].3.len() < 4100,
        "definition of {} bytes",
        hits[0].3.len()
    );
    assert_eq!(code(&run(&sb, &["search", "dolor"])), 0);
}

#[test]
fn reading_a_missing_note_is_a_warning_not_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = gloss::stages::NoteFile {
        rel: "gone.md".into(),
        abs: dir.path().join("gone.md"),
        size: 10,
        mtime_ns: 0,
    };
    let mut warnings = Vec::new();
    assert!(gloss::stages::read(&file, &mut warnings).is_none());
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].file, "gone.md");
    assert!(warnings[0].message.starts_with("skipped: "), "{warnings:?}");
}

#[test]
fn dangling_symlink_note_is_a_warning_and_the_rest_is_indexed() {
    let sb = Sandbox::empty();
    sb.write("ok.md", "**Alpha**: First letter.\n");
    std::os::unix::fs::symlink("deleted.md", sb.notes().join("gone.md")).expect("symlink");
    let out = run(&sb, &["index"]);
    assert_eq!(code(&out), 0);
    assert!(
        stderr(&out).contains("gloss: warning: gone.md: skipped"),
        "{}",
        stderr(&out)
    );
    assert_eq!(define(&sb, "alpha"), ("Alpha".into(), "ok.md".into(), 1));
}

#[test]
fn unreadable_note_is_a_warning() {
    if running_as_root() {
        // Root reads a mode-000 file anyway: the test would prove nothing.
        println!("skipped: running as root, permission bits do not stop reads");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::empty();
    sb.write("ok.md", "**Alpha**: First letter.\n");
    sb.write("secret.md", "**Beta**: Second letter.\n");
    let secret = sb.notes().join("secret.md");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let out = run(&sb, &["index"]);
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    assert_eq!(code(&out), 0);
    assert!(stderr(&out).contains("secret.md"), "{}", stderr(&out));
    assert_eq!(define(&sb, "alpha").0, "Alpha");
}

#[test]
fn notes_whose_names_differ_only_in_invalid_utf8_are_both_kept() {
    use std::os::unix::ffi::OsStrExt;
    let sb = Sandbox::empty();
    let name = |b: &[u8]| std::ffi::OsStr::from_bytes(b).to_os_string();
    write_bytes(&sb, name(b"x\xe9.md"), b"**Alpha**: First letter.\n");
    write_bytes(&sb, name(b"x\xe8.md"), b"**Beta**: Second letter.\n");
    assert_eq!(code(&run(&sb, &["index"])), 0);
    write_bytes(
        &sb,
        name(b"x\xe9.md"),
        b"**Alpha**: First letter, edited.\n",
    );
    assert_eq!(code(&run(&sb, &["index"])), 0);
    assert_eq!(code(&run(&sb, &["define", "beta"])), 0, "Beta was lost");
    assert_eq!(code(&run(&sb, &["define", "beta"])), 0, "Beta was lost");
    let check = run(&sb, &["index", "--check"]);
    assert_eq!(code(&check), 0, "{}", stdout(&check));
}

#[test]
fn a_non_utf8_file_name_does_not_refresh_on_every_search() {
    use std::os::unix::ffi::OsStrExt;
    let sb = Sandbox::empty();
    sb.write("ok.md", "**Alpha**: First letter.\n");
    write_bytes(
        &sb,
        std::ffi::OsStr::from_bytes(b"latin\xe9.md"),
        b"**Beta**: Second letter.\n",
    );
    std::os::unix::fs::symlink("deleted.md", sb.notes().join("gone.md")).expect("symlink");
    assert_eq!(code(&run(&sb, &["index"])), 0);
    let out = run(&sb, &["define", "alpha"]);
    assert_eq!(code(&out), 0);
    assert_eq!(
        stderr(&out),
        "",
        "an unchanged folder was walked and refreshed again"
    );
}

// ---------------------------------------------------------------------------------------
// Hostile queries

#[test]
fn empty_and_blank_queries_are_usage_errors() {
    let sb = Sandbox::new("styles");
    for args in [
        &["search", ""][..],
        &["search", "   "],
        &["search", "\t\n "],
        &["define", ""],
        &["define", "  ", " "],
        &[""],
        &["  "],
    ] {
        let out = run(&sb, args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("the query is empty") && err.contains("gloss search token"),
            "{args:?}: {err}"
        );
        assert!(out.stdout.is_empty());
    }
    // No query at all is clap's usage error.
    let out = run(&sb, &["search"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("Usage"), "{}", stderr(&out));
}

#[test]
fn query_syntax_characters_are_plain_text() {
    let sb = Sandbox::new("styles");
    for q in [
        "\"",
        "(",
        ")",
        ":",
        "-",
        "+",
        "*",
        "~",
        "^",
        "[",
        "\\",
        "C++",
        "std::vec",
        "AND OR NOT",
        "token AND",
        "NOT token",
        "\"token",
        "token~2",
        "term:token",
        "token^10",
        "[a TO z]",
        "*token*",
    ] {
        for mode in ["search", "define"] {
            let out = run(&sb, &[mode, "--", q]);
            assert!(
                matches!(code(&out), 0 | 1),
                "{mode} {q:?}: exit {}\n{}",
                code(&out),
                stderr(&out)
            );
        }
    }
    // Operators are words, not syntax: `token AND` finds what `token` finds, and `NOT`
    // does not exclude (a query parser would have returned nothing for `NOT token`).
    assert_eq!(json_hits(&sb, &["define", "--", "token AND"])[0].0, "Token");
    assert_eq!(json_hits(&sb, &["search", "--", "NOT token"])[0].0, "Token");
    assert_eq!(json_hits(&sb, &["search", "--", "-token"])[0].0, "Token");
}

#[test]
fn query_starting_with_a_dash_goes_after_double_dash() {
    let sb = Sandbox::new("styles");
    let out = run(&sb, &["search", "--", "-token"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("Token"));
    // Without `--` it is an unknown flag, as in grep.
    assert_eq!(code(&run(&sb, &["search", "-token"])), 2);
}

#[test]
fn long_and_exotic_unicode_queries_do_not_panic() {
    let sb = Sandbox::new("styles");
    sb.write(
        "unicode.md",
        "**\u{65e5}\u{672c}\u{8a9e}**: Japanese.\n\n**\u{645}\u{631}\u{62d}\u{628}\u{627}**: Arabic hello.\n\n**Cafe\u{301}**: combining accent.\n",
    );
    let long_word = "a".repeat(10_000);
    let long_words = "token ".repeat(2_000);
    let queries = [
        long_word.as_str(),
        long_words.as_str(),
        "\u{1f600}\u{1f389}",
        "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}",
        "\u{65e5}\u{672c}\u{8a9e}",
        "\u{8a00}\u{8a9e}\u{30e2}\u{30c7}\u{30eb}",
        "\u{645}\u{631}\u{62d}\u{628}\u{627}",
        "\u{5e9}\u{5dc}\u{5d5}\u{5dd} token",
        "\u{202e}token\u{202c}",
        "e\u{301}\u{301}\u{301}\u{301}",
        "cafe\u{301}",
        "Z\u{351}\u{36b}\u{343}\u{36a}\u{302}\u{36b}\u{33d}\u{34f}\u{334}\u{319}\u{324}\u{31e}",
        "\u{fffd}\u{feff}\u{200b}",
        "\u{1d00}\u{1d18}\u{26a}",
    ];
    for q in queries {
        for mode in ["search", "define"] {
            let started = Instant::now();
            let out = run(&sb, &[mode, "--", q]);
            assert!(
                matches!(code(&out), 0 | 1),
                "{mode} {:?}: exit {}\n{}",
                q.chars().take(40).collect::<String>(),
                code(&out),
                stderr(&out)
            );
            assert!(started.elapsed() < Duration::from_secs(20));
        }
    }
    assert_eq!(
        define(&sb, "\u{65e5}\u{672c}\u{8a9e}").0,
        "\u{65e5}\u{672c}\u{8a9e}"
    );
    assert_eq!(
        define(&sb, "\u{645}\u{631}\u{62d}\u{628}\u{627}").0,
        "\u{645}\u{631}\u{62d}\u{628}\u{627}"
    );
}

#[test]
fn nul_bytes_in_a_query_do_not_panic() {
    // argv cannot carry NUL: the library is called directly.
    use gloss::stages::{search, Options};
    use gloss::Mode;
    let store = crate::common::shipped();
    for q in ["\0", "tok\0en", "\0token\0", "fine\0tuning", "\0 \0"] {
        for mode in [Mode::Search, Mode::Define] {
            let options = Options {
                mode,
                ..Options::default()
            };
            match search(store, q, &options) {
                Ok(_) | Err(gloss::error::Error::EmptyQuery) => {}
                Err(err) => panic!("{q:?}: {err}"),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Terminal safety

/// Control characters a note must not be able to send to a terminal: ESC (0x1b) and every
/// other C0 control but '\n', DEL, and the C1 controls (U+0080..U+009F, CSI is U+009B).
fn raw_controls(s: &str) -> Vec<char> {
    s.chars().filter(|&c| c.is_control() && c != '\n').collect()
}

#[test]
fn control_characters_from_notes_never_reach_the_terminal() {
    let sb = Sandbox::empty();
    let note = "# Head\u{1b}[2J\u{1b}]0;pwned\u{7}ing\n\n\
                **Red\u{1b}[31m alert\u{1b}]0;title\u{7}**: text \u{1b}[1;31mred\u{1b}[0m \u{8}\u{b}\u{c} \
                bell\u{7} c1\u{9b}31m del\u{7f} and \u{202e}evil rtl.\r\n\n\
                - item with \u{1b}[5mblink\u{1b}[0m alert\n\n\
                ```\ncode \u{1b}[31m alert\n```\n\n\
                | Term | Definition |\n|---|---|\n| Bell\u{7}row | alert \u{1b}]8;;http://x\u{7}link |\n";
    write_bytes(&sb, "evil\u{1b}[31m\nname.md", note.as_bytes());
    write_bytes(&sb, "plain.md", note.as_bytes());
    for args in [
        &["search", "--color", "never", "alert"][..],
        &["define", "--color", "never", "red alert"],
        &["define", "--color", "never", "bellrow"],
        &["terms", "--color", "never"],
        &["search", "--color", "never", "xyzzy\u{1b}[31m"],
        &["define", "--color", "never", "alrt"],
    ] {
        let out = run(&sb, args);
        assert!(matches!(code(&out), 0 | 1), "{args:?}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(!out.stdout.contains(&0x1b), "{args:?}: ESC in {text:?}");
        assert_eq!(
            raw_controls(&text),
            Vec::<char>::new(),
            "{args:?}: {text:?}"
        );
    }
    // The file name is shown escaped, not raw.
    let out = run(&sb, &["search", "--color", "never", "alert"]);
    assert!(
        stdout(&out).contains("evil\\u{1b}[31m\\nname.md"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn control_characters_in_file_names_never_reach_stderr() {
    let sb = Sandbox::empty();
    write_bytes(
        &sb,
        "warn\u{1b}]0;pwned\u{7}\n.md",
        b"**Bad bytes**: caf\xe9\n",
    );
    let out = run(&sb, &["index"]);
    assert_eq!(code(&out), 0);
    let err = stderr(&out);
    assert!(err.contains("invalid UTF-8"), "{err}");
    assert_eq!(raw_controls(&err), Vec::<char>::new(), "{err:?}");
}

// ---------------------------------------------------------------------------------------
// Index faults

#[test]
fn missing_index_is_built_on_first_search() {
    let sb = Sandbox::new("styles");
    assert!(!sb.index().exists());
    let out = run(&sb, &["define", "token"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(sb.index().join("CURRENT").exists());
    // A deleted index folder is rebuilt the same way.
    std::fs::remove_dir_all(sb.index()).expect("rm index");
    assert_eq!(code(&run(&sb, &["define", "token"])), 0);
}

#[test]
fn garbage_meta_json_is_rebuilt_or_named() {
    let sb = Sandbox::new("styles");
    assert_eq!(code(&run(&sb, &["index"])), 0);
    std::fs::write(generation(&sb).join("meta.json"), "{garbage\u{0}\u{ff}").expect("write");
    let check = run(&sb, &["index", "--check"]);
    assert_eq!(code(&check), 1, "{}", stdout(&check));
    assert!(stdout(&check).contains("gloss index --rebuild"));
    answers_or_names_the_rebuild(&sb, "garbage meta.json");
    assert_eq!(code(&run(&sb, &["index", "--rebuild"])), 0);
    assert_eq!(code(&run(&sb, &["define", "token"])), 0);
}

#[test]
fn truncated_or_deleted_segment_files_are_rebuilt_or_named() {
    for ext in ["store", "idx"] {
        for delete in [false, true] {
            let what = format!("{} .{ext}", if delete { "deleted" } else { "truncated" });
            let sb = Sandbox::new("styles");
            assert_eq!(code(&run(&sb, &["index"])), 0);
            let files = segment_files(&sb, ext);
            assert!(!files.is_empty(), "no .{ext} file");
            for f in &files {
                if delete {
                    std::fs::remove_file(f).expect("rm");
                } else {
                    let len = std::fs::metadata(f).expect("stat").len();
                    let file = std::fs::OpenOptions::new()
                        .write(true)
                        .open(f)
                        .expect("open");
                    file.set_len(len / 2).expect("truncate");
                }
            }
            let check = run(&sb, &["index", "--check"]);
            assert_eq!(code(&check), 1, "{what}: {}", stdout(&check));
            assert!(
                stdout(&check).contains("corrupt"),
                "{what}: {}",
                stdout(&check)
            );
            answers_or_names_the_rebuild(&sb, &what);
            assert_eq!(code(&run(&sb, &["index", "--rebuild"])), 0, "{what}");
            assert_eq!(code(&run(&sb, &["define", "token"])), 0, "{what}");
            let check = run(&sb, &["index", "--check"]);
            assert_eq!(code(&check), 0, "{what}: {}", stdout(&check));
        }
    }
}

/// Restores the sandbox's index from `backup`, then flips an eighth of the body of each
/// `.ext` file of the live generation, starting at `window` quarters of it.
fn flip_bytes(sb: &Sandbox, backup: &Path, ext: &str, window: usize) {
    std::fs::remove_dir_all(sb.index()).expect("rm index");
    crate::common::copy_dir(backup, &sb.index());
    for f in segment_files(sb, ext) {
        let mut bytes = std::fs::read(&f).expect("read");
        // Keep the footer (checked on open).
        let body = bytes.len().saturating_sub(40);
        let from = window * body / 4;
        let to = (from + (body / 8).max(1)).min(body);
        for b in &mut bytes[from..to] {
            *b ^= 0x5a;
        }
        std::fs::write(&f, bytes).expect("write");
    }
}

/// An index of `styles`, and a copy of it beside (the index names its notes folder, so
/// damaged copies are restored in place, not made elsewhere).
fn damaged_index_sandbox() -> (Sandbox, PathBuf) {
    let sb = Sandbox::new("styles");
    assert_eq!(code(&run(&sb, &["index"])), 0);
    let backup = sb.dir.path().join("backup");
    crate::common::copy_dir(&sb.index(), &backup);
    (sb, backup)
}

#[test]
fn flipped_bytes_in_segment_files_never_panic() {
    let (sb, backup) = damaged_index_sandbox();
    for ext in ["fast", "store", "idx", "term", "pos", "fieldnorm"] {
        for window in 0..4 {
            flip_bytes(&sb, &backup, ext, window);
            let what = format!(".{ext} window {window}");
            let check = run_on_damage(&sb, &["index", "--check"]);
            assert_eq!(code(&check), 1, "{what}: {}", stdout(&check));
            for args in [&["search", "token"][..], &["define", "vocabulary"]] {
                let out = run_on_damage(&sb, args);
                let err = stderr(&out);
                match code(&out) {
                    0 | 1 => {}
                    2 => assert!(err.contains("gloss index --rebuild"), "{what}: {err}"),
                    other => panic!("{what} {args:?}: exit {other}\n{err}"),
                }
            }
        }
    }
}

#[test]
fn errors_from_damaged_segment_files_are_one_line() {
    let (sb, backup) = damaged_index_sandbox();
    flip_bytes(&sb, &backup, "term", 1);
    let out = run_on_damage(&sb, &["define", "vocabulary"]);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains("gloss index --rebuild"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn index_from_another_schema_version_is_rebuilt_with_a_notice() {
    let sb = Sandbox::new("styles");
    assert_eq!(code(&run(&sb, &["index"])), 0);
    let meta = generation(&sb).join("meta.json");
    let text = std::fs::read_to_string(&meta).expect("meta.json");
    // The payload is a JSON string inside meta.json: `"payload":"{\"schema\":N,...`.
    let marker = "\\\"schema\\\":";
    let at = text.find(marker).expect("schema in the payload") + marker.len();
    let digits = text[at..].chars().take_while(char::is_ascii_digit).count();
    let edited = format!("{}999{}", &text[..at], &text[at + digits..]);
    serde_json::from_str::<serde_json::Value>(&edited).expect("still valid JSON");
    std::fs::write(&meta, edited).expect("write meta.json");

    let out = run(&sb, &["define", "token"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).starts_with("Token"));
    let err = stderr(&out);
    assert!(
        err.contains("index format 999") && err.contains("rebuilding"),
        "{err}"
    );
    // Rebuilt once: the next run is quiet and the check is clean.
    let out = run(&sb, &["define", "token"]);
    assert_eq!(stderr(&out), "");
    assert_eq!(code(&run(&sb, &["index", "--check"])), 0);
}

/// `count` notes of three definitions and three paragraphs each; every entry says which
/// `version` it is and names its file (`kNNN`), so a hit shows which state of which file
/// it came from.
fn versioned_corpus(sb: &Sandbox, count: usize, version: u64) {
    for i in 0..count {
        write_versioned(sb, i, version);
    }
}

fn write_versioned(sb: &Sandbox, i: usize, version: u64) {
    let mut text = format!("# Note {i}\n\n");
    for part in ["a", "b", "c"] {
        text.push_str(&format!(
            "**Term{i:03}{part}**: version {version} of k{i:03}, definition {part} about \
             tokens, embeddings and retrieval.\n\n"
        ));
    }
    for k in 0..3 {
        text.push_str(&format!(
            "Paragraph {k} of k{i:03} (version {version}) talks about vectors, chunking \
             and the ranking of passages for question answering.\n\n"
        ));
    }
    // Written beside and renamed into place, as editors save: an index run reading the
    // note while it is rewritten in place could see it half-written (empty), index that,
    // and answer without it until the next refresh.
    let tmp = sb.notes().join(format!(".note{i:03}.md.tmp"));
    std::fs::write(&tmp, text).expect("write note");
    std::fs::rename(&tmp, sb.notes().join(format!("note{i:03}.md"))).expect("rename note");
}

/// Hits listed for one versioned note: 3 definitions and 3 plain paragraphs (the passages
/// of its 3 lead-in paragraphs repeat their definitions, so are not listed: one hit per
/// place). Small notes: 400 of them index in about 200 ms in a debug build, so kills 0-200
/// ms after the start land before, during and after the commit.
const ENTRIES_PER_NOTE: usize = 6;

/// The version of every entry of file `i` in the last commit (read without refreshing).
fn versions_of(sb: &Sandbox, i: usize) -> Vec<u64> {
    // Four characters: no typo budget, so only this file's entries match.
    let word = format!("k{i:03}");
    let args = [
        "--no-refresh",
        "search",
        &word,
        "--format",
        "jsonl",
        "-n",
        "60",
    ];
    let out = run(sb, &args);
    assert_eq!(code(&out), 0, "{word}: {}", stderr(&out));
    let file = format!("note{i:03}.md");
    let mut versions = Vec::new();
    for line in stdout(&out).lines() {
        let hit: serde_json::Value = serde_json::from_str(line).expect("jsonl");
        if hit["file"] != file.as_str() {
            continue;
        }
        let text = hit["text"].as_str().unwrap_or("");
        let v = text
            .split("version ")
            .nth(1)
            .and_then(|t| t.split([' ', ')']).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no version in {text:?}"));
        versions.push(v);
    }
    versions
}

#[test]
fn two_rebuilds_at_once_both_succeed_and_the_index_answers() {
    let sb = Sandbox::empty();
    versioned_corpus(&sb, 400, 1);
    assert_eq!(code(&run(&sb, &["index"])), 0);
    let spawn = || {
        gloss(&sb, &["index", "--rebuild"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let out = child.wait_with_output().expect("wait");
        assert_no_panic(&out, &["index", "--rebuild"]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    }
    assert_eq!(
        define(&sb, "term123b"),
        ("Term123b".into(), "note123.md".into(), 5)
    );
    assert_eq!(versions_of(&sb, 7), [1; ENTRIES_PER_NOTE]);
    let check = run(&sb, &["index", "--check"]);
    assert_eq!(code(&check), 0, "{}", stdout(&check));
    // Only the live generation is left behind.
    let generations = std::fs::read_dir(sb.index())
        .expect("index dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("gen-"))
        .count();
    assert_eq!(generations, 1);
}

#[test]
fn searches_keep_answering_while_the_index_is_rebuilt() {
    let sb = Sandbox::empty();
    versioned_corpus(&sb, 400, 1);
    assert_eq!(code(&run(&sb, &["index"])), 0);
    // A note changed before each search makes it want to refresh, so it meets the lock.
    let mut rebuilds = 0;
    let mut searches = 0;
    let started = Instant::now();
    while rebuilds < 3 || started.elapsed() < Duration::from_secs(2) {
        let mut child = gloss(&sb, &["index", "--rebuild"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        rebuilds += 1;
        loop {
            write_versioned(&sb, 3, searches + 2);
            let out = run(&sb, &["define", "term003c"]);
            assert_eq!(code(&out), 0, "search during a rebuild: {}", stderr(&out));
            assert!(stdout(&out).starts_with("Term003c"), "{}", stdout(&out));
            searches += 1;
            if child.try_wait().expect("try_wait").is_some() {
                break;
            }
        }
        assert!(child.wait().expect("wait").success());
        if rebuilds >= 10 {
            break;
        }
    }
    println!("{searches} searches during {rebuilds} rebuilds, all answered");
}

#[test]
fn sigkill_during_indexing_leaves_the_last_commit_answering() {
    let sb = Sandbox::empty();
    let count = 400;
    versioned_corpus(&sb, count, 0);
    assert_eq!(code(&run(&sb, &["index"])), 0);
    let mut version = vec![0u64; count];
    let mut rng = Rng(0x5EED_0F61_0550_0001);
    // Killed before the commit, killed after it (still cleaning up), finished.
    let mut outcomes = [0; 3];
    // GLOSS_KILL_ROUNDS=500 for a longer hunt.
    let rounds: u64 = std::env::var("GLOSS_KILL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    for round in 1..=rounds {
        // Edit every 7th file (offset by round) to this round's version, then index.
        let edited: Vec<usize> = (0..count)
            .filter(|i| (i + round as usize).is_multiple_of(7))
            .collect();
        for &i in &edited {
            write_versioned(&sb, i, round);
        }
        let args: &[&str] = if round.is_multiple_of(2) {
            &["index", "--rebuild"]
        } else {
            &["index"]
        };
        let mut child = gloss(&sb, args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let delay = rng.below(201);
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill(); // SIGKILL on Unix
        let status = child.wait().expect("wait");
        let finished = status.success();
        let mut state_after_kill = None;

        // The last commit answers: each sampled file shows one state, old or new, whole.
        for &i in edited
            .iter()
            .take(4)
            .chain([&(round as usize * 13 % count)])
        {
            let seen = versions_of(&sb, i);
            assert_eq!(
                seen.len(),
                ENTRIES_PER_NOTE,
                "round {round} (kill at {delay} ms): file {i}: {seen:?}"
            );
            assert!(
                seen.iter().all(|&v| v == seen[0]),
                "round {round}: file {i} mixes versions {seen:?}"
            );
            let now = if edited.contains(&i) {
                round
            } else {
                version[i]
            };
            assert!(
                seen[0] == version[i] || seen[0] == now,
                "round {round}: file {i} at version {} (old {}, new {now})",
                seen[0],
                version[i]
            );
            if finished {
                assert_eq!(
                    seen[0], now,
                    "round {round}: a finished run was not committed"
                );
            } else if edited.contains(&i) {
                state_after_kill = Some(seen[0] == now);
            }
        }
        match state_after_kill {
            Some(true) => outcomes[1] += 1,
            Some(false) => outcomes[0] += 1,
            None => outcomes[2] += 1,
        }
        let check = run(&sb, &["index", "--check"]);
        assert!(
            matches!(code(&check), 0 | 1),
            "round {round}: check exit {}: {}{}",
            code(&check),
            stdout(&check),
            stderr(&check)
        );
        // Bring the index up to date (as any search would) before the next round.
        let refresh = run(&sb, &["index"]);
        assert_eq!(code(&refresh), 0, "round {round}: {}", stderr(&refresh));
        for &i in &edited {
            version[i] = round;
        }
        let seen = versions_of(&sb, edited[0]);
        assert_eq!(
            seen,
            [round; ENTRIES_PER_NOTE],
            "round {round} (kill at {delay} ms, {}): file {} after a refresh that said {:?}; \
             check before it said {:?}",
            if finished { "finished" } else { "killed" },
            edited[0],
            stderr(&refresh),
            stdout(&check),
        );
    }
    println!(
        "{rounds} index runs: {} killed before their commit, {} killed after it, {} finished",
        outcomes[0], outcomes[1], outcomes[2]
    );
    let check = run(&sb, &["index", "--check"]);
    assert_eq!(code(&check), 0, "{}", stdout(&check));
}

#[test]
fn an_unwritable_index_keeps_answering_from_the_last_commit() {
    // As root nothing is read-only; a folder where gloss's write probe goes makes its
    // writes fail (the read-only cases are in safety.rs).
    let sb = Sandbox::new("styles");
    assert_eq!(code(&run(&sb, &["index"])), 0);
    sb.write("new.md", "**Zebra**: A striped animal.\n");
    let lock = sb.index().join(".gloss-probe.tmp");
    std::fs::create_dir(&lock).expect("probe dir");
    let out = run(&sb, &["define", "token"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).starts_with("Token"));
    assert!(
        stderr(&out).contains("answering from the last committed index"),
        "{}",
        stderr(&out)
    );
    let out = run(&sb, &["index"]);
    assert_eq!(code(&out), 2);
    assert_eq!(
        stderr(&out).trim_end().lines().count(),
        1,
        "{}",
        stderr(&out)
    );
    // Once writable again, the change is picked up.
    std::fs::remove_dir(&lock).expect("rm lock dir");
    assert_eq!(define(&sb, "zebra").0, "Zebra");
}

#[test]
fn a_refresh_killed_mid_commit_does_not_block_the_next_one() {
    let sb = Sandbox::empty();
    versioned_corpus(&sb, 20, 0);
    assert_eq!(code(&run(&sb, &["index"])), 0);
    write_versioned(&sb, 3, 1);
    // The files a completed refresh adds are the files a killed one may leave behind.
    let backup = sb.dir.path().join("backup");
    crate::common::copy_dir(&sb.index(), &backup);
    let before: Vec<PathBuf> = segment_files(&sb, "del");
    assert_eq!(code(&run(&sb, &["index"])), 0);
    let orphans: Vec<PathBuf> = segment_files(&sb, "del")
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect();
    assert!(!orphans.is_empty(), "the refresh wrote no delete file");
    let saved: Vec<(PathBuf, Vec<u8>)> = orphans
        .iter()
        .map(|p| (p.clone(), std::fs::read(p).expect("read")))
        .collect();
    // Back to the last commit, with the killed run's delete file still on disk.
    std::fs::remove_dir_all(sb.index()).expect("rm index");
    crate::common::copy_dir(&backup, &sb.index());
    for (path, bytes) in saved {
        std::fs::write(path, bytes).expect("orphan");
    }
    // A search still answers from the last commit (it cannot refresh either).
    let out = run(&sb, &["define", "term003a"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = run(&sb, &["index"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(versions_of(&sb, 3), [1; ENTRIES_PER_NOTE]);
}
