//! Helpers: fixture folders copied into a fresh temp dir, the built binary run against them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use tempfile::TempDir;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temp dir holding a copy of `tests/fixtures/<name>` as `notes/`, and room for `index/`.
pub struct Sandbox {
    pub dir: TempDir,
}

impl Sandbox {
    pub fn new(fixture: &str) -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_dir(
            &root().join("tests/fixtures").join(fixture),
            &dir.path().join("notes"),
        );
        Sandbox { dir }
    }

    pub fn empty() -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("notes")).expect("notes dir");
        Sandbox { dir }
    }

    pub fn notes(&self) -> PathBuf {
        self.dir.path().join("notes")
    }

    pub fn index(&self) -> PathBuf {
        self.dir.path().join("index")
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.notes().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// `gloss --content notes --index index ARGS...`, colour off, env cleared of GLOSS_*.
    pub fn gloss(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("gloss").expect("binary");
        cmd.current_dir(self.dir.path())
            .env_remove("GLOSS_CONTENT")
            .env_remove("GLOSS_INDEX")
            .env_remove("GLOSS_NO_REFRESH")
            // A developer's own ~/.config/gloss/gloss.toml must not change test results.
            .env("GLOSS_CONFIG", "")
            .arg("--content")
            .arg(self.notes())
            .arg("--index")
            .arg(self.index())
            .args(args);
        cmd
    }

    /// Runs gloss with `--format json` and parses stdout.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        let out = self.gloss(&all).output().expect("run gloss");
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every entry under `dir`, to compare a folder before and after a run: files by their
/// BLAKE3 hash, symlinks by their target, folders and special files (a FIFO) by kind. Links
/// are never followed and special files never read (reading a FIFO would block).
pub fn tree(dir: &Path) -> BTreeMap<PathBuf, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, String>) {
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let path = entry.path();
            let rel = path.strip_prefix(root).expect("under root").to_path_buf();
            let meta = std::fs::symlink_metadata(&path).expect("lstat");
            let value = if meta.file_type().is_symlink() {
                format!(
                    "link {}",
                    std::fs::read_link(&path).expect("readlink").display()
                )
            } else if meta.is_dir() {
                walk(root, &path, out);
                "dir".to_string()
            } else if meta.is_file() {
                blake3::hash(&std::fs::read(&path).expect("read"))
                    .to_hex()
                    .to_string()
            } else {
                "special".to_string()
            };
            out.insert(rel, value);
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// A run's exit code (-1 when a signal ended it).
pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// A run's stderr, lossily decoded.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A run's stdout, lossily decoded.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// (term, file, line) of each hit.
pub fn hits(v: &serde_json::Value) -> Vec<(String, String, u64)> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["term"].as_str().unwrap_or("").to_string(),
                h["file"].as_str().unwrap().to_string(),
                h["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The first hit's (term, file, line).
pub fn top(v: &serde_json::Value) -> (String, String, u64) {
    hits(v)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no hits in {v}"))
}

/// The shipped notes indexed once per test run, in-process.
pub fn shipped() -> &'static gloss::index::Store {
    static STORE: std::sync::OnceLock<(TempDir, gloss::index::Store)> = std::sync::OnceLock::new();
    &STORE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let index = dir.path().join("index");
            gloss::index::refresh(
                &root().join("content"),
                &index,
                gloss::index::Refresh::Rebuild,
                true,
            )
            .expect("index content/");
            let (store, _) = gloss::index::open(&index).expect("open");
            (dir, store.expect("index exists"))
        })
        .1
}

/// Rows of a `query<TAB>expected[<TAB>category]` table; `#` lines and a header are skipped.
pub fn table(name: &str) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(root().join("tests").join(name)).expect("table");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#') && !l.starts_with("query\t"))
        .map(|l| {
            let mut cols = l.split('\t');
            let q = cols.next().unwrap_or("").trim().to_string();
            let e = cols.next().unwrap_or("").trim().to_string();
            let c = cols.next().unwrap_or("all").trim().to_string();
            (q, e, c)
        })
        .collect()
}

/// Runs every row as `define`, prints recall per category, and returns the failures.
pub fn score_table(name: &str) -> Vec<String> {
    use gloss::stages::{search, Options};
    use gloss::Mode;
    let store = shipped();
    let rows = table(name);
    let mut per: std::collections::BTreeMap<String, (usize, usize, f64)> = Default::default();
    let mut failures = Vec::new();
    for (query, expected, category) in &rows {
        let opts = Options {
            mode: Mode::Define,
            limit: 10,
            ..Options::default()
        };
        let results = search(store, query, &opts).expect("search");
        let terms: Vec<String> = results.hits.iter().filter_map(|h| h.term.clone()).collect();
        let rank = terms.iter().position(|t| t == expected);
        let e = per.entry(category.clone()).or_default();
        e.1 += 1;
        if rank == Some(0) {
            e.0 += 1;
        } else {
            failures.push(format!(
                "{query:?}: expected {expected:?}, got {:?}",
                terms.iter().take(3).collect::<Vec<_>>()
            ));
        }
        e.2 += rank.map_or(0.0, |r| 1.0 / (r as f64 + 1.0));
    }
    println!("{name}: {} rows", rows.len());
    for (cat, (ok, n, rr)) in &per {
        println!(
            "  {cat:<10} top-1 {ok}/{n} ({:.0}%)  MRR {:.2}",
            100.0 * *ok as f64 / *n as f64,
            rr / *n as f64
        );
    }
    failures
}
