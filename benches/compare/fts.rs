//! SQLite FTS5, the indexed baseline: one row per paragraph, built through the `sqlite3` shell.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::process::children_cpu;

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

/// A built FTS5 table: its rows and what building it cost `sqlite3`.
pub struct FtsBuild {
    pub passages: usize,
    pub wall_s: f64,
    /// User + system CPU seconds of the `sqlite3` process (not of writing its script).
    pub cpu_s: f64,
}

/// Builds `db` (table `p(file, line, text)`, FTS5, porter stemming) from the paragraphs of
/// `files`, through the `sqlite3` shell fed a generated SQL script.
pub fn build_fts(
    root: &Path,
    files: &[PathBuf],
    db: &Path,
    script: &Path,
) -> Result<FtsBuild, String> {
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
    let cpu0 = children_cpu();
    let started = Instant::now();
    let out = Command::new("sqlite3")
        .arg(db)
        .stdin(fs::File::open(script).map_err(|e| e.to_string())?)
        .output()
        .map_err(|e| e.to_string())?;
    let (wall_s, cpu_s) = (started.elapsed().as_secs_f64(), children_cpu() - cpu0);
    let _ = fs::remove_file(script);
    if !out.status.success() || !out.stderr.is_empty() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    Ok(FtsBuild {
        passages: count,
        wall_s,
        cpu_s,
    })
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

pub fn fts_sql(query: &str) -> String {
    format!(
        "SELECT file, line, replace(snippet(p, 2, '[', ']', '...', 12), char(10), ' ') \
         FROM p WHERE p MATCH {} ORDER BY bm25(p) LIMIT 10;",
        sql_str(&fts_match(query))
    )
}
