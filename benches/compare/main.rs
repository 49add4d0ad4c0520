//! `cargo bench --bench compare`: gloss against `rg -i` and SQLite FTS5, whole processes,
//! on the shipped notes, the real corpora in the shared folder (when present) and a
//! generated corpus of many tiny notes. Every figure is taken as wall time and as CPU
//! seconds (user + system): the machine is shared, and CPU varies far less than wall.
//!
//! One file per thing measured: [`index_build`] (CPU-s per MB, peak memory), [`lint`],
//! [`queries`] (against `rg -i` and `sqlite3` FTS5, see [`fts`]), [`refresh`] (after one
//! edit); [`report`] prints them and checks the targets of issue 16. A baseline tool that is
//! absent is reported and skipped, never a failure.
//!
//! Nothing is written inside the corpora: indexes and databases go to `target/bench-tmp/`,
//! the refresh test edits a copy made in the system temp folder, and the generated corpus
//! is written to `target/bench-tmp/synth/notes`.
//!
//! Environment:
//! - `GLOSS_BENCH_RUNS`     timed runs per query and tool (default 20)
//! - `GLOSS_BENCH_CORPORA`  comma list of `content`, `k8s`, `mdn`, `synth` (default all four)
//! - `GLOSS_BENCH_SHARED`   folder holding `k8s-docs-en/` and `mdn-en-us/` (default
//!   `../shared/corpora`, else `../../shared/corpora` from a worktree)
//! - `GLOSS_BENCH_SYNTH_NOTES`  notes in the generated corpus (default 100000)
//! - `GLOSS_BENCH_BUILDS`   index builds timed per corpus (default 3 below 20 MB, else 1)
//! - `GLOSS_BENCH_REFRESH`  edits timed in the refresh test (default 5)
//! - `GLOSS_BENCH_LINT_LIMIT`  seconds after which `gloss lint` is killed (default 300)
//! - `GLOSS_BENCH_NOCHECK_FLAG`  the gloss flag that skips the freshness check, when
//!   `gloss --help` does not reveal it (detected automatically otherwise)
//! - `GLOSS_BENCH_NO_BUILD=1`  do not run `cargo build --release` first

mod corpus;
mod fts;
mod index_build;
mod lint;
mod process;
mod queries;
mod refresh;
mod report;
mod stats;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use corpus::{markdown_files, Corpus, Place, CORPORA};
use process::{cmd_line, loadavg, machine, os, time_run, tool_works};
use report::CorpusResult;
use stats::{env_usize, fmt_ms, median, ms};

pub struct Config {
    root: PathBuf,
    runs: usize,
    corpora: Vec<String>,
    shared: PathBuf,
    synth_notes: usize,
    builds: Option<usize>,
    refresh_runs: usize,
    tmp: PathBuf,
    gloss: PathBuf,
    gnu_time: Option<PathBuf>,
    rg: bool,
    sqlite: bool,
    nocheck_flag: Option<String>,
}

/// The corpus folder, generated first when it is the synthetic one; `None` when absent.
fn corpus_dir(cfg: &Config, corpus: &Corpus) -> Result<PathBuf, String> {
    let dir = match corpus.place {
        Place::Repo(rel) => cfg.root.join(rel),
        Place::Shared(rel) => cfg.shared.join(rel),
        Place::Generated => {
            let dir = cfg.tmp.join(corpus.key).join("notes");
            eprintln!("[{}] generating {} notes", corpus.key, cfg.synth_notes);
            corpus::generate(&dir, cfg.synth_notes)
                .map_err(|e| format!("generating {} failed: {e}", dir.display()))?;
            dir
        }
    };
    if !dir.is_dir() {
        return Err(format!("{} not found: skipped", dir.display()));
    }
    Ok(fs::canonicalize(&dir).unwrap_or(dir))
}

fn bench_corpus(cfg: &Config, corpus: &Corpus) -> CorpusResult {
    let mut res = CorpusResult {
        key: corpus.key,
        name: corpus.name,
        ..CorpusResult::default()
    };
    let dir = match corpus_dir(cfg, corpus) {
        Ok(d) => d,
        Err(e) => {
            res.skipped = Some(e);
            return res;
        }
    };
    eprintln!("[{}] {}", corpus.key, dir.display());
    let files = markdown_files(&dir);
    // Warm the page cache: every measurement below is of a warm corpus.
    for f in &files {
        if let Ok(b) = fs::read(f) {
            res.bytes += b.len() as u64;
        }
    }
    res.files = files.len();
    let work = cfg.tmp.join(corpus.key);
    let _ = fs::create_dir_all(&work);
    let index = work.join("index");
    match index_build::measure(cfg, corpus.key, &dir, &index, res.files, res.bytes) {
        Ok(b) => res.build = Some(b),
        Err(e) => {
            res.failures.push(e);
            return res;
        }
    }
    match lint::measure(cfg, corpus.key, &dir, &index) {
        Ok(l) => res.lint = Some(l),
        Err(e) => res.failures.push(e),
    }
    let db = work.join("fts5.db");
    if cfg.sqlite {
        eprintln!("[{}] building the FTS5 table", corpus.key);
        match fts::build_fts(&dir, &files, &db, &work.join("fts5.sql")) {
            Ok(built) => res.fts = Some(built),
            Err(e) => res.failures.push(format!("FTS5 build failed: {e}")),
        }
    }
    let db = res.fts.is_some().then_some(db.as_path());
    res.rows = queries::measure(
        cfg,
        corpus.key,
        &dir,
        &index,
        db,
        corpus.queries,
        &mut res.failures,
    );
    eprintln!("[{}] refresh test", corpus.key);
    let in_place = matches!(corpus.place, Place::Generated).then_some(index.as_path());
    res.refresh = refresh::measure(cfg, corpus.key, &dir, in_place, &files, corpus.queries[0]);
    res
}

fn detect_nocheck_flag(gloss: &Path) -> Option<String> {
    if let Ok(f) = std::env::var("GLOSS_BENCH_NOCHECK_FLAG") {
        let f = f.trim().to_string();
        return (!f.is_empty()).then_some(f);
    }
    let mut help = String::new();
    for args in [&["--help"][..], &["search", "--help"][..]] {
        if let Ok(out) = Command::new(gloss).args(args).output() {
            help.push_str(&String::from_utf8_lossy(&out.stdout));
        }
    }
    // An option line whose flag or description speaks of freshness / refreshing / staleness.
    let mut lines = help.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        let flag = t
            .split([' ', ',', '='])
            .find(|w| w.starts_with("--") && w.len() > 2);
        let Some(flag) = flag else { continue };
        if flag == "--rebuild" || flag == "--help" {
            continue;
        }
        let mut text = t.to_lowercase();
        if let Some(next) = lines.peek() {
            if !next.trim_start().starts_with('-') {
                text.push_str(&next.to_lowercase());
            }
        }
        let speaks = [
            "fresh",
            "stale",
            "no-refresh",
            "skip-refresh",
            "without refresh",
            "skip the check",
            "no-check",
        ]
        .iter()
        .any(|w| text.contains(w));
        if speaks && !flag.contains('<') {
            return Some(flag.trim_end_matches([',', '.']).to_string());
        }
    }
    None
}

/// Builds the release binary (unless told not to) and copies it aside, so another
/// `cargo build` cannot swap it mid-run.
fn release_binary(root: &Path) -> (PathBuf, PathBuf) {
    if std::env::var_os("GLOSS_BENCH_NO_BUILD").is_none() {
        eprintln!("building gloss (cargo build --release)...");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--release", "--quiet", "--bin", "gloss"])
            .current_dir(root)
            .status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("gloss bench: `cargo build --release` failed; build gloss and rerun with GLOSS_BENCH_NO_BUILD=1");
            std::process::exit(2);
        }
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"));
    let gloss = newest_release_binary(&target);
    if !gloss.is_file() {
        eprintln!(
            "gloss bench: {} not found; run `cargo build --release` first",
            gloss.display()
        );
        std::process::exit(2);
    }
    let tmp = target.join("bench-tmp");
    if let Err(e) = fs::create_dir_all(&tmp) {
        eprintln!("gloss bench: creating {}: {e}", tmp.display());
        std::process::exit(2);
    }
    let snapshot = tmp.join(format!("gloss{}", std::env::consts::EXE_SUFFIX));
    match fs::copy(&gloss, &snapshot) {
        Ok(_) => (snapshot, tmp),
        Err(_) => (gloss, tmp),
    }
}

/// `target/release/gloss`, or `target/<triple>/release/gloss` when the build names a
/// target (.cargo/config.toml does on Linux x86_64): whichever was built last.
fn newest_release_binary(target: &Path) -> PathBuf {
    let name = format!("gloss{}", std::env::consts::EXE_SUFFIX);
    let triples = fs::read_dir(target)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("release").join(&name));
    std::iter::once(target.join("release").join(&name))
        .chain(triples)
        .filter_map(|p| Some((fs::metadata(&p).ok()?.modified().ok()?, p)))
        .max()
        .map_or_else(|| target.join("release").join(&name), |(_, p)| p)
}

fn config() -> Config {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let (gloss, tmp) = release_binary(&root);
    let corpora = std::env::var("GLOSS_BENCH_CORPORA")
        .unwrap_or_else(|_| "content,k8s,mdn,synth".into())
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let shared = std::env::var_os("GLOSS_BENCH_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // A worktree sits one level deeper than the main checkout.
            ["../shared/corpora", "../../shared/corpora"]
                .iter()
                .map(|r| root.join(r))
                .find(|p| p.is_dir())
                .unwrap_or_else(|| root.join("../shared/corpora"))
        });
    Config {
        runs: env_usize("GLOSS_BENCH_RUNS").unwrap_or(20).max(1),
        builds: env_usize("GLOSS_BENCH_BUILDS"),
        refresh_runs: env_usize("GLOSS_BENCH_REFRESH").unwrap_or(5).max(1),
        synth_notes: env_usize("GLOSS_BENCH_SYNTH_NOTES").unwrap_or(100_000),
        rg: tool_works("rg", "--version"),
        sqlite: tool_works("sqlite3", "-version")
            && Command::new("sqlite3")
                .args([":memory:", "CREATE VIRTUAL TABLE t USING fts5(x);"])
                .output()
                .is_ok_and(|o| o.status.success() && o.stderr.is_empty()),
        nocheck_flag: detect_nocheck_flag(&gloss),
        gnu_time: process::gnu_time(),
        root,
        corpora,
        shared,
        tmp,
        gloss,
    }
}

/// The commit measured, and whether `src/` or `Cargo.toml` had uncommitted changes.
fn revision(root: &Path) -> String {
    let root = root.to_str().unwrap_or(".");
    let head = cmd_line("git", &["-C", root, "rev-parse", "--short", "HEAD"]);
    let dirty = !cmd_line(
        "git",
        &[
            "-C",
            root,
            "status",
            "--porcelain",
            "--",
            "src",
            "Cargo.toml",
        ],
    )
    .is_empty();
    format!(
        "release build of commit {}{}",
        if head.is_empty() { "?" } else { &head },
        if dirty {
            ", with uncommitted changes in src/ or Cargo.toml"
        } else {
            ""
        }
    )
}

fn print_header(cfg: &Config) {
    // Process start-up floor: what any whole-process measurement pays.
    let floor: Vec<_> = (0..cfg.runs.max(20))
        .filter_map(|_| time_run(&os(&["true"])))
        .collect();
    let floor_wall: Vec<f64> = floor.iter().map(|t| ms(t.wall)).collect();
    let floor_cpu: Vec<f64> = floor.iter().map(|t| t.cpu_s * 1000.0).collect();
    println!("# gloss vs rg vs SQLite FTS5");
    println!();
    println!("- machine: {}", machine());
    println!(
        "- gloss: {} ({})",
        cmd_line(cfg.gloss.to_str().unwrap_or("gloss"), &["--version"]),
        revision(&cfg.root)
    );
    let rg = cmd_line("rg", &["--version"]);
    println!(
        "- rg: {}",
        if cfg.rg {
            rg.lines().next().unwrap_or("")
        } else {
            "absent: rg columns skipped (`apt-get install ripgrep` to compare)"
        }
    );
    println!(
        "- sqlite3: {}",
        if cfg.sqlite {
            format!(
                "{} (FTS5)",
                cmd_line("sqlite3", &["-version"])
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
            )
        } else {
            "absent or without FTS5: FTS5 columns skipped (`apt-get install sqlite3` to compare)"
                .into()
        }
    );
    println!(
        "- peak RSS from: {}",
        if cfg.gnu_time.is_some() {
            "/usr/bin/time -f %M"
        } else {
            "getrusage ru_maxrss of the children"
        }
    );
    println!("- CPU: user + system of each child, from getrusage(RUSAGE_CHILDREN) around the run");
    println!(
        "- freshness-check skip flag: {}",
        cfg.nocheck_flag.as_deref().unwrap_or(
            "none in `gloss --help`: only the default path (with the check) is measured"
        )
    );
    println!(
        "- runs per query and tool: {} (after one untimed warm-up run); process floor (`true`): wall {} ms, CPU {} ms",
        cfg.runs,
        fmt_ms(median(&floor_wall)),
        fmt_ms(median(&floor_cpu))
    );
    println!("- load average at start: {}", loadavg());
    println!("- gloss query: `gloss --content DIR --index IDX search --format json -n 10 -- QUERY`; rg: `rg -i -- QUERY DIR`; FTS5: `sqlite3 DB \"SELECT file, line, snippet(...) FROM p WHERE p MATCH '\"w1\" \"w2\"' ORDER BY bm25(p) LIMIT 10\"`; all stdout to /dev/null");
}

fn main() {
    let cfg = config();
    print_header(&cfg);
    let started = Instant::now();
    let mut results = Vec::new();
    for key in &cfg.corpora {
        let Some(corpus) = CORPORA.iter().find(|c| c.key == key) else {
            eprintln!("gloss bench: unknown corpus {key:?} (known: content, k8s, mdn, synth)");
            continue;
        };
        let res = bench_corpus(&cfg, corpus);
        report::print_corpus(&cfg, &res);
        results.push(res);
    }
    report::print_targets(&results);
    println!();
    println!(
        "Total bench time: {:.0} s; load average at the end: {}",
        started.elapsed().as_secs_f64(),
        loadavg()
    );
}
