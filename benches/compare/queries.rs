//! Queries: each fixed query as a whole process, gloss next to `rg -i` and `sqlite3` FTS5,
//! wall and CPU time, the tools interleaved so drift hits them alike.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;

use crate::fts;
use crate::process::{os, run_checked, show, time_run};
use crate::stats::{median, ms, percentile};
use crate::Config;

pub const GLOSS: &str = "gloss";
pub const GLOSS_NOCHECK: &str = "gloss-nocheck";
pub const RG: &str = "rg";
pub const FTS: &str = "fts5";

#[derive(Default)]
pub struct ToolResult {
    /// Wall milliseconds per timed run.
    pub samples: Vec<f64>,
    /// CPU (user + system) milliseconds per timed run.
    pub cpu: Vec<f64>,
    pub hits: Option<usize>,
    pub error: Option<String>,
}

impl ToolResult {
    pub fn p50(&self) -> f64 {
        self.stat(|s| median(&s.samples))
    }
    pub fn p95(&self) -> f64 {
        self.stat(|s| percentile(&s.samples, 95.0))
    }
    pub fn cpu50(&self) -> f64 {
        self.stat(|s| median(&s.cpu))
    }
    fn stat(&self, f: impl Fn(&Self) -> f64) -> f64 {
        if self.error.is_some() {
            f64::NAN
        } else {
            f(self)
        }
    }
}

pub struct QueryRow {
    pub query: String,
    pub tools: BTreeMap<&'static str, ToolResult>,
}

pub fn gloss_cmd(cfg: &Config, content: &Path, index: &Path, tail: &[&str]) -> Vec<OsString> {
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

pub fn gloss_search(
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

/// The commands compared for one query.
fn commands(
    cfg: &Config,
    dir: &Path,
    index: &Path,
    db: Option<&Path>,
    q: &str,
) -> Vec<(&'static str, Vec<OsString>)> {
    let mut cmds = vec![(GLOSS, gloss_search(cfg, dir, index, q, false))];
    if cfg.nocheck_flag.is_some() {
        cmds.push((GLOSS_NOCHECK, gloss_search(cfg, dir, index, q, true)));
    }
    if cfg.rg {
        cmds.push((RG, os(&["rg", "-i", "--", q, &dir.to_string_lossy()])));
    }
    if let Some(db) = db {
        let mut c = vec![OsString::from("sqlite3"), db.as_os_str().to_owned()];
        c.push(fts::fts_sql(q).into());
        cmds.push((FTS, c));
    }
    cmds
}

/// Untimed warm-up, which also counts hits and catches errors.
fn warm(tool: &str, cmd: &[OsString], failures: &mut Vec<String>) -> ToolResult {
    let out = run_checked(cmd);
    let ok_codes: &[i32] = if tool == FTS { &[0] } else { &[0, 1] };
    let mut r = ToolResult::default();
    if !out.code.is_some_and(|c| ok_codes.contains(&c)) || (tool == FTS && !out.stderr.is_empty()) {
        let err = format!(
            "`{}` exited {:?}: {}",
            show(cmd),
            out.code,
            out.stderr.trim()
        );
        failures.push(err.clone());
        r.error = Some(err);
    } else {
        r.hits = Some(if tool.starts_with(GLOSS) {
            out.stdout.matches("\"rank\":").count()
        } else {
            out.stdout.lines().count()
        });
    }
    r
}

/// Every query of `queries`, every tool, `cfg.runs` timed runs each.
pub fn measure(
    cfg: &Config,
    key: &str,
    dir: &Path,
    index: &Path,
    db: Option<&Path>,
    queries: &[&str],
    failures: &mut Vec<String>,
) -> Vec<QueryRow> {
    let mut rows = Vec::new();
    for q in queries {
        eprintln!("[{key}] query {q:?}");
        let cmds = commands(cfg, dir, index, db, q);
        let mut row = QueryRow {
            query: q.to_string(),
            tools: BTreeMap::new(),
        };
        for (tool, cmd) in &cmds {
            row.tools.insert(tool, warm(tool, cmd, failures));
        }
        for _ in 0..cfg.runs {
            for (tool, cmd) in &cmds {
                let r = row.tools.get_mut(tool).expect("every tool was warmed");
                if r.error.is_some() {
                    continue;
                }
                if let Some(t) = time_run(cmd) {
                    r.samples.push(ms(t.wall));
                    r.cpu.push(t.cpu_s * 1000.0);
                }
            }
        }
        rows.push(row);
    }
    rows
}
