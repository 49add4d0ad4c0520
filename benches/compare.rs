//! `cargo bench --bench compare`: gloss against `rg -i` and SQLite FTS5, whole process, on
//! the shipped notes and (when present) the real corpora in `../shared/corpora/`.
//!
//! For each corpus it prints: the index build (wall time, MB/s, files/s, peak RSS); every
//! query of a fixed set run as a whole process with the index warm (median and p95 over
//! `GLOSS_BENCH_RUNS` runs), next to the same query answered by `rg -i -- QUERY DIR` and by
//! the `sqlite3` shell over an FTS5 table of the same paragraphs; the ratios gloss/baseline;
//! the cost of a search that finds one note edited (refresh) and of one that finds nothing
//! changed (the freshness check). At the end the targets of issue 5 are checked.
//!
//! Nothing is written inside the corpora: indexes and databases go to `target/bench-tmp/`,
//! and the refresh test edits a copy made in the system temp folder.
//!
//! Environment:
//! - `GLOSS_BENCH_RUNS`     timed runs per query and tool (default 20)
//! - `GLOSS_BENCH_CORPORA`  comma list of `content`, `k8s`, `mdn` (default all three)
//! - `GLOSS_BENCH_SHARED`   folder holding `k8s-docs-en/` and `mdn-en-us/` (default `../shared/corpora`)
//! - `GLOSS_BENCH_BUILDS`   index builds timed per corpus (default 3 below 20 MB, else 1)
//! - `GLOSS_BENCH_REFRESH`  edits timed in the refresh test (default 5)
//! - `GLOSS_BENCH_NOCHECK_FLAG`  the gloss flag that skips the freshness check, when
//!   `gloss --help` does not reveal it (detected automatically otherwise)
//! - `GLOSS_BENCH_NO_BUILD=1`  do not run `cargo build --release` first

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One corpus and its fixed queries: single words, typos, phrases.
struct Corpus {
    key: &'static str,
    name: &'static str,
    /// Relative to the repository root (`content`) or to the shared corpora folder.
    rel: &'static str,
    shared: bool,
    queries: &'static [&'static str],
}

const CORPORA: &[Corpus] = &[
    Corpus {
        key: "content",
        name: "content/ (shipped notes)",
        rel: "content",
        shared: false,
        queries: &[
            "token",
            "hallucination",
            "embeddings",
            "fine-tuning",
            "chunking",
            "perplexty",
            "retreival augmented",
            "tempreture",
            "self attention",
            "vector search",
            "prompt injection",
            "delay before the first token",
        ],
    },
    Corpus {
        key: "k8s",
        name: "k8s-docs-en",
        rel: "k8s-docs-en",
        shared: true,
        queries: &[
            "pod",
            "kubelet",
            "configmap",
            "ingress",
            "taint",
            "namespase",
            "servce account",
            "persistant volume",
            "rolling update",
            "resource quota",
            "horizontal pod autoscaler",
            "network policy",
        ],
    },
    Corpus {
        key: "mdn",
        name: "mdn-en-us",
        rel: "mdn-en-us",
        shared: true,
        queries: &[
            "fetch",
            "flexbox",
            "promise",
            "viewport",
            "cors",
            "javascrpt",
            "accesibility",
            "event listner",
            "event listener",
            "local storage",
            "cross origin",
            "grid layout",
        ],
    },
];

struct Config {
    root: PathBuf,
    runs: usize,
    corpora: Vec<String>,
    shared: PathBuf,
    builds: Option<usize>,
    refresh_runs: usize,
    tmp: PathBuf,
    gloss: PathBuf,
    gnu_time: Option<PathBuf>,
    rg: bool,
    sqlite: bool,
    nocheck_flag: Option<String>,
}

// ---------------------------------------------------------------------------------------
// statistics and formatting

fn median(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Nearest-rank percentile.
fn percentile(xs: &[f64], p: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * v.len() as f64).ceil().max(1.0) as usize;
    v[rank.min(v.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn fmt_ms(x: f64) -> String {
    if x.is_nan() {
        "n/a".into()
    } else if x < 10.0 {
        format!("{x:.2}")
    } else if x < 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.0}")
    }
}

fn fmt_ratio(x: f64) -> String {
    if x.is_nan() {
        "n/a".into()
    } else if x < 0.1 {
        format!("{x:.3}")
    } else {
        format!("{x:.2}")
    }
}

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

// ---------------------------------------------------------------------------------------
// processes

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

fn tool_works(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A run whose output is kept (the untimed warm-up), to count hits and catch errors.
struct Checked {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run_checked(cmd: &[OsString]) -> Checked {
    match Command::new(&cmd[0])
        .args(&cmd[1..])
        .stdin(Stdio::null())
        .output()
    {
        Ok(out) => Checked {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        },
        Err(e) => Checked {
            code: None,
            stdout: String::new(),
            stderr: format!("cannot start {:?}: {e}", cmd[0]),
        },
    }
}

/// Wall time of one whole process, output to /dev/null. `None` when it failed to start.
fn time_run(cmd: &[OsString]) -> Option<(Duration, Option<i32>)> {
    let started = Instant::now();
    let status = Command::new(&cmd[0])
        .args(&cmd[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    Some((started.elapsed(), status.code()))
}

/// A measured run: wall time, peak RSS in kB, exit code, stderr.
struct Measured {
    wall: Duration,
    peak_kb: Option<u64>,
    /// User + system CPU seconds, when `/usr/bin/time` reported them.
    cpu_s: Option<f64>,
    code: Option<i32>,
    stderr: String,
}

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Runs `cmd` under `/usr/bin/time -v` when present (peak RSS from "Maximum resident set
/// size"), else polls `/proc/<pid>/status` VmHWM, else reports no peak.
fn run_measured(cfg: &Config, cmd: &[OsString]) -> Measured {
    if let Some(time) = &cfg.gnu_time {
        let report = cfg.tmp.join("time-v.txt");
        let _ = fs::remove_file(&report);
        let started = Instant::now();
        let out = Command::new(time)
            .arg("-v")
            .arg("-o")
            .arg(&report)
            .args(cmd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output();
        let wall = started.elapsed();
        let (code, stderr) = match out {
            Ok(o) => (
                o.status.code(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            ),
            Err(e) => (None, e.to_string()),
        };
        let text = fs::read_to_string(&report).unwrap_or_default();
        let field = |name: &str| -> Option<f64> {
            text.lines()
                .find(|l| l.trim_start().starts_with(name))
                .and_then(|l| l.rsplit(':').next())
                .and_then(|v| v.trim().parse().ok())
        };
        let peak_kb = field("Maximum resident set size").map(|kb| kb as u64);
        let cpu_s = field("User time")
            .zip(field("System time"))
            .map(|(u, s)| u + s);
        return Measured {
            wall,
            peak_kb,
            cpu_s,
            code,
            stderr,
        };
    }
    let started = Instant::now();
    let child = Command::new(&cmd[0])
        .args(&cmd[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            return Measured {
                wall: started.elapsed(),
                peak_kb: None,
                cpu_s: None,
                code: None,
                stderr: e.to_string(),
            }
        }
    };
    let pid = child.id();
    let done = Arc::new(AtomicBool::new(false));
    let poller = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut peak = None;
            while !done.load(Ordering::Relaxed) {
                if let Some(kb) = vm_hwm_kb(pid) {
                    peak = Some(peak.map_or(kb, |p: u64| p.max(kb)));
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            peak
        })
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    let code = child.wait().ok().and_then(|s| s.code());
    let wall = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let peak_kb = poller.join().ok().flatten();
    Measured {
        wall,
        peak_kb,
        cpu_s: None,
        code,
        stderr,
    }
}

// ---------------------------------------------------------------------------------------
// corpus files

fn is_markdown(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
}

/// Markdown files under `root` (hidden entries skipped), sorted.
fn markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(read) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in read.flatten() {
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            let Ok(meta) = fs::metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() && is_markdown(&path) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let meta = fs::metadata(&src)?;
        if meta.is_dir() {
            copy_tree(&src, &dst)?;
        } else if meta.is_file() {
            fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

/// True when `path` or a parent holds `.git` (gloss and rg would apply its ignore rules).
fn inside_git_repo(path: &Path) -> bool {
    path.ancestors().any(|p| p.join(".git").exists())
}

// ---------------------------------------------------------------------------------------
// SQLite FTS5

fn sql_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Paragraphs (blocks separated by blank lines) with their 1-based first line.
fn paragraphs(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur: Vec<&str> = Vec::new();
    let mut start = 0;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push((start, cur.join("\n")));
                cur.clear();
            }
        } else {
            if cur.is_empty() {
                start = i + 1;
            }
            cur.push(line);
        }
    }
    if !cur.is_empty() {
        out.push((start, cur.join("\n")));
    }
    out
}

/// Builds `db` (table `p(file, line, text)`, FTS5, porter stemming) from the paragraphs of
/// `files`, through the `sqlite3` shell fed a generated SQL script. Returns the passage count.
fn build_fts(root: &Path, files: &[PathBuf], db: &Path, script: &Path) -> Result<usize, String> {
    let _ = fs::remove_file(db);
    let mut sql = std::io::BufWriter::new(fs::File::create(script).map_err(|e| e.to_string())?);
    let mut count = 0;
    writeln!(
        sql,
        "PRAGMA journal_mode=OFF;\nPRAGMA synchronous=OFF;\n\
         CREATE VIRTUAL TABLE p USING fts5(file UNINDEXED, line UNINDEXED, text, \
         tokenize='porter unicode61 remove_diacritics 2');\nBEGIN;"
    )
    .map_err(|e| e.to_string())?;
    for f in files {
        let Ok(bytes) = fs::read(f) else { continue };
        let text = String::from_utf8_lossy(&bytes).replace('\0', "");
        let rel = f
            .strip_prefix(root)
            .unwrap_or(f)
            .to_string_lossy()
            .into_owned();
        for (line, para) in paragraphs(&text) {
            writeln!(
                sql,
                "INSERT INTO p VALUES({},{},{});",
                sql_str(&rel),
                line,
                sql_str(&para)
            )
            .map_err(|e| e.to_string())?;
            count += 1;
        }
    }
    writeln!(sql, "COMMIT;\nINSERT INTO p(p) VALUES('optimize');").map_err(|e| e.to_string())?;
    sql.flush().map_err(|e| e.to_string())?;
    drop(sql);
    let out = Command::new("sqlite3")
        .arg(db)
        .stdin(fs::File::open(script).map_err(|e| e.to_string())?)
        .output()
        .map_err(|e| e.to_string())?;
    let _ = fs::remove_file(script);
    if !out.status.success() || !out.stderr.is_empty() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    Ok(count)
}

/// The FTS5 query for user words: each word a quoted string (implicit AND), so nothing in
/// the user's text is read as FTS5 syntax.
fn fts_match(query: &str) -> String {
    query
        .split_whitespace()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

fn fts_sql(query: &str) -> String {
    format!(
        "SELECT file, line, replace(snippet(p, 2, '[', ']', '...', 12), char(10), ' ') \
         FROM p WHERE p MATCH {} ORDER BY bm25(p) LIMIT 10;",
        sql_str(&fts_match(query))
    )
}

// ---------------------------------------------------------------------------------------
// the measurements

#[derive(Default)]
struct ToolResult {
    samples: Vec<f64>,
    hits: Option<usize>,
    error: Option<String>,
}

impl ToolResult {
    fn p50(&self) -> f64 {
        if self.error.is_some() {
            f64::NAN
        } else {
            median(&self.samples)
        }
    }
    fn p95(&self) -> f64 {
        if self.error.is_some() {
            f64::NAN
        } else {
            percentile(&self.samples, 95.0)
        }
    }
}

struct QueryRow {
    query: &'static str,
    tools: BTreeMap<&'static str, ToolResult>,
}

struct Build {
    wall_s: f64,
    cpu_s: Option<f64>,
    peak_kb: Option<u64>,
    mb_s: f64,
    files_s: f64,
    message: String,
}

#[derive(Default)]
struct Refresh {
    search_after_edit: Vec<f64>,
    index_after_edit: Vec<f64>,
    search_after_touch: Vec<f64>,
    no_change: Vec<f64>,
    walk_only: Vec<f64>,
    edit_found: bool,
    note: Option<String>,
}

#[derive(Default)]
struct CorpusResult {
    key: &'static str,
    skipped: Option<String>,
    files: usize,
    bytes: u64,
    build: Option<Build>,
    build_error: Option<String>,
    fts_passages: Option<usize>,
    fts_build_s: f64,
    rows: Vec<QueryRow>,
    refresh: Refresh,
    failures: Vec<String>,
}

const GLOSS: &str = "gloss";
const GLOSS_NOCHECK: &str = "gloss-nocheck";
const RG: &str = "rg";
const FTS: &str = "fts5";

fn gloss_cmd(cfg: &Config, content: &Path, index: &Path, tail: &[&str]) -> Vec<OsString> {
    let mut cmd = vec![
        cfg.gloss.clone().into_os_string(),
        "--content".into(),
        content.into(),
        "--index".into(),
        index.into(),
    ];
    cmd.extend(tail.iter().map(OsString::from));
    cmd
}

fn gloss_search(
    cfg: &Config,
    content: &Path,
    index: &Path,
    q: &str,
    nocheck: bool,
) -> Vec<OsString> {
    let mut cmd = gloss_cmd(cfg, content, index, &["search"]);
    if nocheck {
        if let Some(flag) = &cfg.nocheck_flag {
            cmd.push(flag.into());
        }
    }
    cmd.extend(os(&["--format", "json", "-n", "10", "--", q]));
    cmd
}

fn show(cmd: &[OsString]) -> String {
    cmd.iter()
        .map(|a| {
            let s = a.to_string_lossy();
            if s.contains(' ') || s.is_empty() {
                format!("'{s}'")
            } else {
                s.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn bench_corpus(cfg: &Config, corpus: &Corpus) -> CorpusResult {
    let mut res = CorpusResult {
        key: corpus.key,
        ..CorpusResult::default()
    };
    let dir = if corpus.shared {
        cfg.shared.join(corpus.rel)
    } else {
        cfg.root.join(corpus.rel)
    };
    if !dir.is_dir() {
        res.skipped = Some(format!("{} not found: skipped", dir.display()));
        return res;
    }
    let dir = fs::canonicalize(&dir).unwrap_or(dir);
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

    // --- index build -------------------------------------------------------------------
    let builds = cfg
        .builds
        .unwrap_or(if res.bytes < 20_000_000 { 3 } else { 1 })
        .max(1);
    let mut walls = Vec::new();
    let mut peaks = Vec::new();
    let mut cpus = Vec::new();
    let mut message = String::new();
    for i in 0..builds {
        eprintln!("[{}] index build {}/{}", corpus.key, i + 1, builds);
        let _ = fs::remove_dir_all(&index);
        let cmd = gloss_cmd(cfg, &dir, &index, &["index", "--rebuild"]);
        let m = run_measured(cfg, &cmd);
        if m.code != Some(0) {
            let err = format!("`{}` exited {:?}: {}", show(&cmd), m.code, m.stderr.trim());
            res.failures.push(err.clone());
            res.build_error = Some(err);
            break;
        }
        message = m.stderr.lines().last().unwrap_or("").to_string();
        walls.push(m.wall.as_secs_f64());
        if let Some(kb) = m.peak_kb {
            peaks.push(kb);
        }
        if let Some(c) = m.cpu_s {
            cpus.push(c);
        }
    }
    if res.build_error.is_some() {
        return res;
    }
    let wall_s = median(&walls);
    res.build = Some(Build {
        wall_s,
        cpu_s: (!cpus.is_empty()).then(|| median(&cpus)),
        peak_kb: peaks.iter().max().copied(),
        mb_s: res.bytes as f64 / 1e6 / wall_s,
        files_s: res.files as f64 / wall_s,
        message,
    });

    // --- FTS5 database -----------------------------------------------------------------
    let db = work.join("fts5.db");
    if cfg.sqlite {
        eprintln!("[{}] building the FTS5 table", corpus.key);
        let started = Instant::now();
        match build_fts(&dir, &files, &db, &work.join("fts5.sql")) {
            Ok(n) => {
                res.fts_passages = Some(n);
                res.fts_build_s = started.elapsed().as_secs_f64();
            }
            Err(e) => res.failures.push(format!("FTS5 build failed: {e}")),
        }
    }

    // --- queries -----------------------------------------------------------------------
    let dir_s = dir.to_string_lossy().into_owned();
    for q in corpus.queries {
        eprintln!("[{}] query {q:?}", corpus.key);
        let mut cmds: Vec<(&'static str, Vec<OsString>)> =
            vec![(GLOSS, gloss_search(cfg, &dir, &index, q, false))];
        if cfg.nocheck_flag.is_some() {
            cmds.push((GLOSS_NOCHECK, gloss_search(cfg, &dir, &index, q, true)));
        }
        if cfg.rg {
            cmds.push((RG, os(&["rg", "-i", "--", q, &dir_s])));
        }
        if res.fts_passages.is_some() {
            let mut c = vec![OsString::from("sqlite3"), db.clone().into_os_string()];
            c.push(fts_sql(q).into());
            cmds.push((FTS, c));
        }
        let mut row = QueryRow {
            query: q,
            tools: BTreeMap::new(),
        };
        // Untimed warm-up, which also counts hits and catches errors.
        for (tool, cmd) in &cmds {
            let out = run_checked(cmd);
            let ok_codes: &[i32] = if *tool == FTS { &[0] } else { &[0, 1] };
            let mut r = ToolResult::default();
            if !out.code.is_some_and(|c| ok_codes.contains(&c))
                || (*tool == FTS && !out.stderr.is_empty())
            {
                let err = format!(
                    "`{}` exited {:?}: {}",
                    show(cmd),
                    out.code,
                    out.stderr.trim()
                );
                res.failures.push(err.clone());
                r.error = Some(err);
            } else {
                r.hits = Some(if tool.starts_with(GLOSS) {
                    out.stdout.matches("\"rank\":").count()
                } else {
                    out.stdout.lines().count()
                });
            }
            row.tools.insert(tool, r);
        }
        // Timed runs, the tools interleaved so drift hits them alike.
        for _ in 0..cfg.runs {
            for (tool, cmd) in &cmds {
                let r = row.tools.get_mut(tool).unwrap();
                if r.error.is_some() {
                    continue;
                }
                if let Some((d, _)) = time_run(cmd) {
                    r.samples.push(ms(d));
                }
            }
        }
        res.rows.push(row);
    }

    // --- refresh, on a copy -----------------------------------------------------------
    eprintln!("[{}] refresh test on a copy", corpus.key);
    res.refresh = refresh_test(cfg, corpus, &dir, &files);
    res
}

fn refresh_test(cfg: &Config, corpus: &Corpus, dir: &Path, files: &[PathBuf]) -> Refresh {
    let mut r = Refresh::default();
    let base = std::env::temp_dir().join(format!("gloss-bench-{}", std::process::id()));
    let copy = base.join(corpus.key);
    let index = cfg.tmp.join(corpus.key).join("index-copy");
    let _ = fs::remove_dir_all(&base);
    let _ = fs::remove_dir_all(&index);
    if inside_git_repo(&base) {
        r.note = Some(format!(
            "{} is inside a git repository (its ignore rules would apply): refresh test skipped; set TMPDIR",
            base.display()
        ));
        return r;
    }
    if let Err(e) = copy_tree(dir, &copy) {
        r.note = Some(format!("copying {} failed: {e}", dir.display()));
        let _ = fs::remove_dir_all(&base);
        return r;
    }
    let build = run_checked(&gloss_cmd(cfg, &copy, &index, &["index", "--rebuild"]));
    if build.code != Some(0) {
        r.note = Some(format!("indexing the copy failed: {}", build.stderr.trim()));
        let _ = fs::remove_dir_all(&base);
        return r;
    }
    // The edited note: the middle one, by path.
    let victim = copy.join(files[files.len() / 2].strip_prefix(dir).unwrap());
    let probe = corpus.queries[0];
    let search = |q: &str| gloss_search(cfg, &copy, &index, q, false);
    // Warm.
    let _ = run_checked(&search(probe));
    for i in 0..cfg.refresh_runs {
        // Append a line with a word found nowhere else; the search for it must find it.
        let word = format!("zqxbench{}", "k".repeat(i + 1));
        let mut f = fs::OpenOptions::new().append(true).open(&victim).unwrap();
        writeln!(f, "\nBenchmark edit: {word} appended by the gloss bench.").unwrap();
        drop(f);
        let cmd = search(&word);
        let started = Instant::now();
        let out = run_checked(&cmd);
        r.search_after_edit.push(ms(started.elapsed()));
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
    for i in 0..cfg.refresh_runs {
        let mut f = fs::OpenOptions::new().append(true).open(&victim).unwrap();
        writeln!(f, "\nBenchmark edit {i} before `gloss index`.").unwrap();
        drop(f);
        let cmd = gloss_cmd(cfg, &copy, &index, &["index"]);
        let started = Instant::now();
        let out = run_checked(&cmd);
        let took = ms(started.elapsed());
        if out.code == Some(0) {
            r.index_after_edit.push(took);
        } else {
            r.note = Some(format!(
                "`{}` after an edit exited {:?}: {}",
                show(&cmd),
                out.code,
                out.stderr.trim()
            ));
        }
    }
    for i in 0..cfg.refresh_runs {
        // Same content, new mtime: gloss re-hashes the file and finds it unchanged.
        let when = std::time::SystemTime::now() + Duration::from_secs(10 + i as u64);
        if let Ok(f) = fs::OpenOptions::new().write(true).open(&victim) {
            let _ = f.set_modified(when);
        }
        if let Some((d, _)) = time_run(&search(probe)) {
            r.search_after_touch.push(ms(d));
        }
    }
    let _ = run_checked(&search(probe));
    let walk = os(&["rg", "--files", "--", copy.to_str().unwrap_or(".")]);
    for _ in 0..cfg.runs {
        if let Some((d, _)) = time_run(&search(probe)) {
            r.no_change.push(ms(d));
        }
        if cfg.rg {
            if let Some((d, _)) = time_run(&walk) {
                r.walk_only.push(ms(d));
            }
        }
    }
    let _ = fs::remove_dir_all(&base);
    let _ = fs::remove_dir_all(&index);
    r
}

// ---------------------------------------------------------------------------------------
// report

fn overall(res: &CorpusResult, tool: &str) -> f64 {
    let meds: Vec<f64> = res
        .rows
        .iter()
        .filter_map(|r| r.tools.get(tool))
        .map(|t| t.p50())
        .filter(|x| !x.is_nan())
        .collect();
    median(&meds)
}

/// The freshness check's cost: median over queries of (gloss p50 - gloss with the check
/// skipped p50), same queries, same index, same run.
fn check_cost(res: &CorpusResult) -> f64 {
    let ds: Vec<f64> = res
        .rows
        .iter()
        .filter_map(|r| Some(r.tools.get(GLOSS)?.p50() - r.tools.get(GLOSS_NOCHECK)?.p50()))
        .filter(|x| !x.is_nan())
        .collect();
    median(&ds)
}

/// Median over queries of gloss median / baseline median.
fn ratio(res: &CorpusResult, tool: &str, base: &str) -> f64 {
    let rs: Vec<f64> = res
        .rows
        .iter()
        .filter_map(|r| Some(r.tools.get(tool)?.p50() / r.tools.get(base)?.p50()))
        .filter(|x| !x.is_nan())
        .collect();
    median(&rs)
}

fn print_corpus(cfg: &Config, res: &CorpusResult, corpus: &Corpus) {
    println!();
    println!("## {}", corpus.name);
    if let Some(s) = &res.skipped {
        println!();
        println!("{s}");
        return;
    }
    println!();
    println!(
        "{} markdown files, {:.2} MB",
        res.files,
        res.bytes as f64 / 1e6
    );
    println!();
    match (&res.build, &res.build_error) {
        (Some(b), _) => {
            println!(
                "| index build (`gloss index --rebuild`) | wall | CPU user+sys | MB/s | files/s | peak RSS |"
            );
            println!("|---|---:|---:|---:|---:|---:|");
            println!(
                "| {} | {:.2} s | {} | {:.1} | {:.0} | {} |",
                b.message.trim_start_matches("gloss: "),
                b.wall_s,
                b.cpu_s.map_or("n/a".into(), |c| format!("{c:.2} s")),
                b.mb_s,
                b.files_s,
                b.peak_kb
                    .map_or("n/a".into(), |kb| format!("{:.0} MB", kb as f64 / 1024.0))
            );
        }
        (None, Some(e)) => println!("index build FAILED: {e}"),
        _ => {}
    }
    if let Some(n) = res.fts_passages {
        println!();
        println!(
            "FTS5 baseline: {n} paragraphs (blank-line separated) in table p(file, line, text), porter unicode61, built in {:.1} s (not part of the comparison)",
            res.fts_build_s
        );
    }
    if res.rows.is_empty() {
        return;
    }
    let mut tools: Vec<&str> = vec![GLOSS];
    if cfg.nocheck_flag.is_some() {
        tools.push(GLOSS_NOCHECK);
    }
    let bases: Vec<&str> = [RG, FTS]
        .into_iter()
        .filter(|t| res.rows.iter().any(|r| r.tools.contains_key(t)))
        .collect();
    tools.extend(&bases);
    println!();
    println!(
        "Whole-process query time in ms, median / p95 over {} runs (hits in brackets: gloss hits, rg matching lines, FTS5 rows)",
        cfg.runs
    );
    println!();
    let mut head = String::from("| query |");
    let mut rule = String::from("|---|");
    for t in &tools {
        head.push_str(&format!(" {t} p50 / p95 [hits] |"));
        rule.push_str("---:|");
    }
    let gl: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| t.starts_with(GLOSS))
        .collect();
    for b in &bases {
        for g in &gl {
            head.push_str(&format!(" {g}/{b} |"));
            rule.push_str("---:|");
        }
    }
    println!("{head}");
    println!("{rule}");
    for row in &res.rows {
        let mut line = format!("| `{}` |", row.query);
        for t in &tools {
            match row.tools.get(t) {
                Some(r) if r.error.is_some() => line.push_str(" FAILED |"),
                Some(r) => line.push_str(&format!(
                    " {} / {} [{}] |",
                    fmt_ms(r.p50()),
                    fmt_ms(r.p95()),
                    r.hits.map_or("?".into(), |h| h.to_string())
                )),
                None => line.push_str(" - |"),
            }
        }
        for b in &bases {
            for t in &gl {
                let g = row.tools.get(t).map_or(f64::NAN, |r| r.p50());
                let x = row.tools.get(b).map_or(f64::NAN, |r| r.p50());
                line.push_str(&format!(" {} |", fmt_ratio(g / x)));
            }
        }
        println!("{line}");
    }
    let mut line = String::from("| **median of the query medians** |");
    for t in &tools {
        line.push_str(&format!(" **{}** |", fmt_ms(overall(res, t))));
    }
    for b in &bases {
        for t in &gl {
            line.push_str(&format!(" **{}** |", fmt_ratio(ratio(res, t, b))));
        }
    }
    println!("{line}");
    println!();
    println!("Ratios: gloss median / baseline median per query; the last row is the median of the per-query ratios (below 1: gloss is faster).");
    if cfg.nocheck_flag.is_none() {
        println!("gloss has no flag to skip the freshness check (none found in `gloss --help`): only the default path is measured.");
    }
    if cfg.nocheck_flag.is_some() {
        println!(
            "Freshness check cost (median over queries of gloss p50 - gloss {} p50): {} ms",
            cfg.nocheck_flag.as_deref().unwrap_or(""),
            fmt_ms(check_cost(res))
        );
    }
    let r = &res.refresh;
    println!();
    println!("Freshness and refresh (whole process, on a copy of the corpus in the temp folder; one note edited by appending a line):");
    println!();
    println!("| case | median ms | p95 ms | runs |");
    println!("|---|---:|---:|---:|");
    for (name, xs) in [
        ("search for the first query, nothing changed", &r.no_change),
        (
            "search after one note edited (refresh + search)",
            &r.search_after_edit,
        ),
        ("`gloss index` after one note edited", &r.index_after_edit),
        (
            "search after one note touched, content unchanged (re-hash)",
            &r.search_after_touch,
        ),
        (
            "for scale: `rg --files DIR` (the same `ignore` walker, no stat, no search)",
            &r.walk_only,
        ),
    ] {
        if xs.is_empty() {
            println!("| {name} | n/a | n/a | 0 |");
            continue;
        }
        println!(
            "| {name} | {} | {} | {} |",
            fmt_ms(median(xs)),
            fmt_ms(percentile(xs, 95.0)),
            xs.len()
        );
    }
    if !r.search_after_edit.is_empty() {
        println!();
        println!(
            "The search after the edit {} the appended word.",
            if r.edit_found {
                "found"
            } else {
                "did NOT find"
            }
        );
    }
    if let Some(n) = &r.note {
        println!();
        println!("Note: {n}");
    }
    if !res.failures.is_empty() {
        println!();
        println!("Failures:");
        for f in &res.failures {
            println!("- {f}");
        }
    }
}

fn verdict(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "met",
        Some(false) => "NOT met",
        None => "not measured",
    }
}

fn print_targets(cfg: &Config, results: &[CorpusResult]) {
    println!();
    println!("## Targets (issue 5)");
    println!();
    println!("| corpus | target | measured | verdict |");
    println!("|---|---|---|---|");
    let row = |c: &str, t: &str, m: String, ok: Option<bool>| {
        println!("| {c} | {t} | {m} | {} |", verdict(ok));
    };
    let finite = |x: f64| (!x.is_nan()).then_some(x);
    for res in results.iter().filter(|r| r.skipped.is_none()) {
        match res.key {
            "mdn" => {
                let nock = finite(overall(res, GLOSS_NOCHECK));
                row(
                    "mdn-en-us",
                    "query median <= 10 ms, freshness check skipped",
                    nock.map_or_else(
                        || "no flag to skip the check".into(),
                        |x| format!("{} ms", fmt_ms(x)),
                    ),
                    nock.map(|x| x <= 10.0),
                );
                let g = finite(overall(res, GLOSS));
                row(
                    "mdn-en-us",
                    "query median <= 20 ms with the freshness check",
                    g.map_or("n/a".into(), |x| format!("{} ms", fmt_ms(x))),
                    g.map(|x| x <= 20.0),
                );
                for (tool, how) in [(GLOSS, "default path"), (GLOSS_NOCHECK, "check skipped")] {
                    if tool == GLOSS_NOCHECK && cfg.nocheck_flag.is_none() {
                        continue;
                    }
                    let r = finite(ratio(res, tool, RG));
                    row(
                        "mdn-en-us",
                        &format!(">= 30x faster than `rg -i` ({how}; {tool}/rg <= 0.033)"),
                        r.map_or("rg absent".into(), |x| {
                            format!("{tool}/rg {} ({:.1}x faster)", fmt_ratio(x), 1.0 / x)
                        }),
                        r.map(|x| x <= 1.0 / 30.0),
                    );
                    let r = finite(ratio(res, tool, FTS));
                    row(
                        "mdn-en-us",
                        &format!("faster than SQLite FTS5 via `sqlite3` ({how}; {tool}/fts5 < 1)"),
                        r.map_or("sqlite3 absent".into(), |x| {
                            format!("{tool}/fts5 {}", fmt_ratio(x))
                        }),
                        r.map(|x| x < 1.0),
                    );
                }
                if let Some(b) = &res.build {
                    row(
                        "mdn-en-us",
                        "full index build >= 10 MB/s",
                        format!("{:.1} MB/s ({:.1} s)", b.mb_s, b.wall_s),
                        Some(b.mb_s >= 10.0),
                    );
                    row(
                        "mdn-en-us",
                        "peak memory of the build < 500 MB",
                        b.peak_kb
                            .map_or("n/a".into(), |kb| format!("{:.0} MB", kb as f64 / 1024.0)),
                        b.peak_kb.map(|kb| (kb as f64 / 1024.0) < 500.0),
                    );
                } else {
                    row(
                        "mdn-en-us",
                        "full index build",
                        "FAILED".into(),
                        Some(false),
                    );
                }
                let e = finite(median(&res.refresh.search_after_edit));
                row(
                    "mdn-en-us",
                    "refresh after editing one file < 1 s (search that refreshes)",
                    e.map_or("n/a".into(), |x| format!("{} ms", fmt_ms(x))),
                    e.map(|x| x < 1000.0 && res.refresh.edit_found),
                );
                let cost = finite(check_cost(res));
                row(
                    "mdn-en-us",
                    "freshness check measured, and the query with it within 20 ms",
                    match (cost, g) {
                        (Some(c), Some(q)) => {
                            format!("check {} ms; query with it {} ms", fmt_ms(c), fmt_ms(q))
                        }
                        (None, Some(q)) => format!(
                            "check not separable (no skip flag); query with it {} ms",
                            fmt_ms(q)
                        ),
                        _ => "n/a".into(),
                    },
                    g.map(|q| q <= 20.0),
                );
            }
            "content" => {
                let g = finite(overall(res, GLOSS));
                row(
                    "content/",
                    "query median <= 5 ms",
                    g.map_or("n/a".into(), |x| format!("{} ms", fmt_ms(x))),
                    g.map(|x| x <= 5.0),
                );
                for (tool, how) in [(GLOSS, "default path"), (GLOSS_NOCHECK, "check skipped")] {
                    if tool == GLOSS_NOCHECK && cfg.nocheck_flag.is_none() {
                        continue;
                    }
                    let r = finite(ratio(res, tool, RG));
                    row(
                        "content/",
                        &format!("no slower than `rg -i` ({how}; {tool}/rg <= 1)"),
                        r.map_or("rg absent".into(), |x| {
                            format!("{tool}/rg {}", fmt_ratio(x))
                        }),
                        r.map(|x| x <= 1.0),
                    );
                }
                let cost = finite(check_cost(res));
                let n = finite(overall(res, GLOSS));
                match cost {
                    Some(c) => row(
                        "content/",
                        "freshness check <= 2 ms when nothing changed",
                        format!(
                            "{} ms (median over queries of gloss p50 - gloss {} p50)",
                            fmt_ms(c),
                            cfg.nocheck_flag.as_deref().unwrap_or("")
                        ),
                        Some(c <= 2.0),
                    ),
                    None => row(
                        "content/",
                        "freshness check <= 2 ms when nothing changed",
                        format!(
                            "not separable without a skip flag; whole search with the check: {} ms",
                            n.map_or("n/a".into(), fmt_ms)
                        ),
                        None,
                    ),
                }
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------

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

fn cmd_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn machine() -> String {
    let model = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let ram = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or("? GB".into(), |kb| {
            format!("{:.1} GB", kb / 1024.0 / 1024.0)
        });
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpus} CPUs ({model}), {ram} RAM, {}", std::env::consts::OS)
}

fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "n/a".into())
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("GLOSS_BENCH_NO_BUILD").is_none() {
        eprintln!("building gloss (cargo build --release)...");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--release", "--quiet", "--bin", "gloss"])
            .current_dir(&root)
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
    let gloss = target
        .join("release")
        .join(format!("gloss{}", std::env::consts::EXE_SUFFIX));
    if !gloss.is_file() {
        eprintln!(
            "gloss bench: {} not found; run `cargo build --release` first",
            gloss.display()
        );
        std::process::exit(2);
    }
    let tmp = target.join("bench-tmp");
    fs::create_dir_all(&tmp).expect("creating target/bench-tmp");
    // Measure a snapshot: another `cargo build` must not swap the binary mid-run.
    let snapshot = tmp.join(format!("gloss{}", std::env::consts::EXE_SUFFIX));
    let gloss = match fs::copy(&gloss, &snapshot) {
        Ok(_) => snapshot,
        Err(_) => gloss,
    };
    let corpora: Vec<String> = std::env::var("GLOSS_BENCH_CORPORA")
        .unwrap_or_else(|_| "content,k8s,mdn".into())
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let shared = std::env::var_os("GLOSS_BENCH_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/corpora"));
    let gnu_time = Path::new("/usr/bin/time");
    let gnu_time = (gnu_time.is_file()
        && Command::new(gnu_time)
            .args(["-v", "true"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success()))
    .then(|| gnu_time.to_path_buf());
    let cfg = Config {
        runs: env_usize("GLOSS_BENCH_RUNS").unwrap_or(20).max(1),
        builds: env_usize("GLOSS_BENCH_BUILDS"),
        refresh_runs: env_usize("GLOSS_BENCH_REFRESH").unwrap_or(5).max(1),
        rg: tool_works("rg", "--version"),
        sqlite: tool_works("sqlite3", "-version")
            && Command::new("sqlite3")
                .args([":memory:", "CREATE VIRTUAL TABLE t USING fts5(x);"])
                .output()
                .is_ok_and(|o| o.status.success() && o.stderr.is_empty()),
        nocheck_flag: detect_nocheck_flag(&gloss),
        root,
        corpora,
        shared,
        tmp,
        gloss,
        gnu_time,
    };

    // Process start-up floor: what any whole-process measurement pays.
    let mut floor = Vec::new();
    for _ in 0..cfg.runs.max(20) {
        if let Some((d, _)) = time_run(&os(&["true"])) {
            floor.push(ms(d));
        }
    }

    println!("# gloss vs rg vs SQLite FTS5");
    println!();
    println!("- machine: {}", machine());
    let head = cmd_line(
        "git",
        &[
            "-C",
            cfg.root.to_str().unwrap_or("."),
            "rev-parse",
            "--short",
            "HEAD",
        ],
    );
    let dirty = !cmd_line(
        "git",
        &[
            "-C",
            cfg.root.to_str().unwrap_or("."),
            "status",
            "--porcelain",
            "--",
            "src",
            "Cargo.toml",
        ],
    )
    .is_empty();
    println!(
        "- gloss: {} (release build of commit {}{})",
        cmd_line(cfg.gloss.to_str().unwrap_or("gloss"), &["--version"]),
        if head.is_empty() { "?" } else { &head },
        if dirty {
            ", with uncommitted changes in src/ or Cargo.toml"
        } else {
            ""
        }
    );
    println!(
        "- rg: {}",
        if cfg.rg {
            cmd_line("rg", &["--version"])
                .lines()
                .next()
                .unwrap_or("")
                .to_string()
        } else {
            "absent: rg columns skipped (install ripgrep to compare)".into()
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
            "absent or without FTS5: FTS5 columns skipped".into()
        }
    );
    println!(
        "- peak RSS from: {}",
        if cfg.gnu_time.is_some() {
            "/usr/bin/time -v (Maximum resident set size)"
        } else {
            "/proc/<pid>/status VmHWM, polled every 2 ms"
        }
    );
    println!(
        "- freshness-check skip flag: {}",
        cfg.nocheck_flag.as_deref().unwrap_or(
            "none in `gloss --help`: only the default path (with the check) is measured"
        )
    );
    println!(
        "- runs per query and tool: {} (after one untimed warm-up run); process spawn floor (`true`): median {} ms",
        cfg.runs,
        fmt_ms(median(&floor))
    );
    println!("- load average at start: {}", loadavg());
    println!("- gloss query: `gloss --content DIR --index IDX search --format json -n 10 -- QUERY`; rg: `rg -i -- QUERY DIR`; FTS5: `sqlite3 DB \"SELECT file, line, snippet(...) FROM p WHERE p MATCH '\"w1\" \"w2\"' ORDER BY bm25(p) LIMIT 10\"`; all stdout to /dev/null");

    let started = Instant::now();
    let mut results = Vec::new();
    for key in &cfg.corpora {
        let Some(corpus) = CORPORA.iter().find(|c| c.key == key) else {
            eprintln!("gloss bench: unknown corpus {key:?} (known: content, k8s, mdn)");
            continue;
        };
        let res = bench_corpus(&cfg, corpus);
        print_corpus(&cfg, &res, corpus);
        results.push(res);
    }
    print_targets(&cfg, &results);
    println!();
    println!(
        "Total bench time: {:.0} s; load average at the end: {} (other processes on the machine disturb whole-process timings)",
        started.elapsed().as_secs_f64(),
        loadavg()
    );
}
