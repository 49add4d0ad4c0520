//! The printed report: one section per corpus (build, lint, queries, refresh) and the
//! targets of issue 16 with the measured figure next to each.

use crate::fts::FtsBuild;
use crate::index_build::Build;
use crate::lint::Lint;
use crate::queries::{QueryRow, ToolResult, FTS, GLOSS, GLOSS_NOCHECK, RG};
use crate::refresh::Refresh;
use crate::stats::{fmt_ms, fmt_ratio, median, percentile, Samples};
use crate::Config;

#[derive(Default)]
pub struct CorpusResult {
    pub key: &'static str,
    pub name: &'static str,
    pub skipped: Option<String>,
    pub files: usize,
    pub bytes: u64,
    pub build: Option<Build>,
    pub lint: Option<Lint>,
    pub fts: Option<FtsBuild>,
    pub rows: Vec<QueryRow>,
    pub refresh: Refresh,
    pub failures: Vec<String>,
}

/// gloss's build CPU over `sqlite3`'s for the FTS5 table of the same notes: the same job
/// done by a named baseline in the same run, which the machine's speed of the day moves
/// alike.
fn build_vs_fts(res: &CorpusResult) -> Option<f64> {
    let (b, f) = (res.build.as_ref()?, res.fts.as_ref()?);
    finite(b.cpu_s / f.cpu_s)
}

/// Median over queries of one tool's per-query median (`cpu`: CPU, else wall).
fn overall(res: &CorpusResult, tool: &str, cpu: bool) -> f64 {
    let meds: Vec<f64> = res
        .rows
        .iter()
        .filter_map(|r| r.tools.get(tool))
        .map(|t| if cpu { t.cpu50() } else { t.p50() })
        .filter(|x| !x.is_nan())
        .collect();
    median(&meds)
}

/// Median over queries of `tool` median / `base` median.
fn ratio(res: &CorpusResult, tool: &str, base: &str, cpu: bool) -> f64 {
    let pick = |t: &ToolResult| if cpu { t.cpu50() } else { t.p50() };
    let rs: Vec<f64> = res
        .rows
        .iter()
        .filter_map(|r| Some(pick(r.tools.get(tool)?) / pick(r.tools.get(base)?)))
        .filter(|x| !x.is_nan())
        .collect();
    median(&rs)
}

/// The freshness check's cost: median over queries of (gloss p50 - gloss with the check
/// skipped p50), same queries, same index, same run.
fn check_cost(res: &CorpusResult) -> f64 {
    let ds: Vec<f64> = res
        .rows
        .iter()
        .filter_map(|r| Some(r.tools.get(GLOSS)?.cpu50() - r.tools.get(GLOSS_NOCHECK)?.cpu50()))
        .filter(|x| !x.is_nan())
        .collect();
    median(&ds)
}

fn mb(kb: Option<u64>) -> String {
    kb.map_or("n/a".into(), |kb| format!("{:.0} MB", kb as f64 / 1024.0))
}

pub fn print_corpus(cfg: &Config, res: &CorpusResult) {
    println!();
    println!("## {}", res.name);
    println!();
    if let Some(s) = &res.skipped {
        println!("{s}");
        return;
    }
    println!(
        "{} markdown files, {:.2} MB",
        res.files,
        res.bytes as f64 / 1e6
    );
    print_build(res);
    print_lint(res);
    print_queries(cfg, res);
    print_refresh(&res.refresh);
    if !res.failures.is_empty() {
        println!();
        println!("Failures:");
        for f in &res.failures {
            println!("- {f}");
        }
    }
}

fn print_build(res: &CorpusResult) {
    let Some(b) = &res.build else { return };
    println!();
    println!("| index build (`gloss index --rebuild`) | wall | CPU user+sys | CPU-s per MB | MB/s (wall) | files/s | peak RSS |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {:.2} s | {:.2} s | {:.3} | {:.1} | {:.0} | {} |",
        b.message.trim_start_matches("gloss: "),
        b.wall_s,
        b.cpu_s,
        b.cpu_per_mb(),
        b.mb_s(),
        b.files_s(),
        mb(b.peak_kb)
    );
}

fn print_lint(res: &CorpusResult) {
    let Some(l) = &res.lint else { return };
    println!();
    match l.timed_out {
        Some(limit) => println!(
            "`gloss lint`: killed after {limit} s (CPU {:.1} s by then)",
            l.cpu_s
        ),
        None => println!(
            "`gloss lint`: wall {:.2} s, CPU {:.2} s, peak RSS {}",
            l.wall_s,
            l.cpu_s,
            mb(l.peak_kb)
        ),
    }
}

fn print_queries(cfg: &Config, res: &CorpusResult) {
    if let Some(f) = &res.fts {
        println!();
        println!(
            "FTS5 baseline: {} paragraphs (blank-line separated) in table p(file, line, text), porter unicode61, built by `sqlite3` (one thread, from a generated SQL script) in {:.2} s wall, {:.2} CPU-s{}",
            f.passages,
            f.wall_s,
            f.cpu_s,
            build_vs_fts(res).map_or(String::new(), |r| format!(
                "; gloss's build took {} times its CPU in this run",
                fmt_ratio(r)
            ))
        );
    }
    if res.rows.is_empty() {
        return;
    }
    let tools: Vec<&str> = [GLOSS, GLOSS_NOCHECK, RG, FTS]
        .into_iter()
        .filter(|t| res.rows.iter().any(|r| r.tools.contains_key(t)))
        .collect();
    let bases: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| [RG, FTS].contains(t))
        .collect();
    println!();
    println!(
        "Whole-process query time in ms over {} runs: wall median / p95, CPU (user+sys) median; hits in brackets (gloss hits, rg matching lines, FTS5 rows)",
        cfg.runs
    );
    println!();
    let mut head = String::from("| query |");
    let mut rule = String::from("|---|");
    for t in &tools {
        head.push_str(&format!(" {t} wall p50 / p95 [hits] | {t} CPU |"));
        rule.push_str("---:|---:|");
    }
    for b in &bases {
        head.push_str(&format!(" gloss/{b} CPU | gloss/{b} wall |"));
        rule.push_str("---:|---:|");
    }
    println!("{head}");
    println!("{rule}");
    for row in &res.rows {
        let mut line = format!("| `{}` |", row.query);
        for t in &tools {
            match row.tools.get(t) {
                Some(r) if r.error.is_some() => line.push_str(" FAILED | |"),
                Some(r) => line.push_str(&format!(
                    " {} / {} [{}] | {} |",
                    fmt_ms(r.p50()),
                    fmt_ms(r.p95()),
                    r.hits.map_or("?".into(), |h| h.to_string()),
                    fmt_ms(r.cpu50())
                )),
                None => line.push_str(" - | - |"),
            }
        }
        for b in &bases {
            let get = |t: &str, cpu: bool| {
                row.tools
                    .get(t)
                    .map_or(f64::NAN, |r| if cpu { r.cpu50() } else { r.p50() })
            };
            line.push_str(&format!(
                " {} | {} |",
                fmt_ratio(get(GLOSS, true) / get(b, true)),
                fmt_ratio(get(GLOSS, false) / get(b, false))
            ));
        }
        println!("{line}");
    }
    let mut line = String::from("| **median of the query medians** |");
    for t in &tools {
        line.push_str(&format!(
            " **{}** | **{}** |",
            fmt_ms(overall(res, t, false)),
            fmt_ms(overall(res, t, true))
        ));
    }
    for b in &bases {
        line.push_str(&format!(
            " **{}** | **{}** |",
            fmt_ratio(ratio(res, GLOSS, b, true)),
            fmt_ratio(ratio(res, GLOSS, b, false))
        ));
    }
    println!("{line}");
    println!();
    println!("Ratios: gloss median / baseline median per query; the last row is the median of the per-query ratios (below 1: gloss is faster).");
    if let Some(flag) = &cfg.nocheck_flag {
        println!(
            "Freshness check cost (median over queries of gloss CPU p50 - gloss {flag} CPU p50): {} ms",
            fmt_ms(check_cost(res))
        );
    }
}

fn print_refresh(r: &Refresh) {
    println!();
    println!(
        "Freshness and refresh (whole process; one note edited: a line appended, a definition \
         added, a definition rewritten):"
    );
    println!();
    println!("| case | wall median ms | wall p95 ms | CPU median ms | runs |");
    println!("|---|---:|---:|---:|---:|");
    for (name, xs) in [
        ("search for the first query, nothing changed", &r.no_change),
        (
            "search after one note edited (refresh + search)",
            &r.search_after_edit,
        ),
        ("`gloss index` after one note edited", &r.index_after_edit),
        (
            "`gloss index` after a definition added to that note",
            &r.index_after_new_definition,
        ),
        (
            "`gloss index` after a definition's text rewritten (term unchanged)",
            &r.index_after_definition_edit,
        ),
        (
            "search after one note touched, content unchanged (re-hash)",
            &r.search_after_touch,
        ),
        (
            "for scale: `rg --files DIR` (the same `ignore` walker, no stat, no search)",
            &r.walk_only,
        ),
        (
            "baseline: `find DIR -printf '%T@ %s\\n'` (every folder listed, every file stat'ed)",
            &r.stat_walk,
        ),
    ] {
        if xs.is_empty() {
            println!("| {name} | n/a | n/a | n/a | 0 |");
            continue;
        }
        println!(
            "| {name} | {} | {} | {} | {} |",
            fmt_ms(median(&xs.wall)),
            fmt_ms(percentile(&xs.wall, 95.0)),
            fmt_ms(median(&xs.cpu)),
            xs.wall.len()
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
    if !r.index_after_definition_edit.is_empty() {
        println!();
        println!(
            "`gloss define` after the last rewrite {} its new text.",
            if r.definition_found {
                "showed"
            } else {
                "did NOT show"
            }
        );
    }
    if let Some(n) = &r.note {
        println!();
        println!("Note: {n}");
    }
}

/// One row of the targets table.
struct Target {
    corpus: String,
    goal: String,
    measured: String,
    met: Option<bool>,
}

fn finite(x: f64) -> Option<f64> {
    (!x.is_nan()).then_some(x)
}

/// Wall and CPU median of refresh samples, checked against `limit_ms` on CPU, with their
/// CPU ratio to `find`'s stat walk of the same folder in the same run when it ran.
fn refresh_target(
    corpus: &str,
    r: &Refresh,
    goal: &str,
    s: &Samples,
    found: bool,
    limit_ms: f64,
) -> Target {
    let cpu = finite(median(&s.cpu));
    let baseline = finite(median(&r.stat_walk.cpu)).and_then(|b| cpu.map(|c| c / b));
    Target {
        corpus: corpus.into(),
        goal: goal.into(),
        measured: cpu.map_or("n/a".into(), |c| {
            format!(
                "CPU {} ms (wall {} ms{})",
                fmt_ms(c),
                fmt_ms(median(&s.wall)),
                baseline.map_or(String::new(), |x| format!(
                    "; {} x `find -printf`'s CPU",
                    fmt_ratio(x)
                ))
            )
        }),
        met: cpu.map(|c| c < limit_ms && found),
    }
}

fn mdn_targets(res: &CorpusResult, out: &mut Vec<Target>) {
    let c = "mdn-en-us";
    match &res.build {
        Some(b) => {
            out.push(Target {
                corpus: c.into(),
                goal: "index build <= 0.07 CPU-s per MB".into(),
                measured: format!(
                    "{:.3} CPU-s/MB ({:.1} CPU-s, {:.1} s wall, {:.1} MB/s{})",
                    b.cpu_per_mb(),
                    b.cpu_s,
                    b.wall_s,
                    b.mb_s(),
                    build_vs_fts(res).map_or(String::new(), |r| format!(
                        "; {} x sqlite3 FTS5's build CPU",
                        fmt_ratio(r)
                    ))
                ),
                met: Some(b.cpu_per_mb() <= 0.07),
            });
            out.push(Target {
                corpus: c.into(),
                goal: "index build peak memory < 300 MB".into(),
                measured: mb(b.peak_kb),
                met: b.peak_kb.map(|kb| (kb as f64 / 1024.0) < 300.0),
            });
        }
        None => out.push(Target {
            corpus: c.into(),
            goal: "index build".into(),
            measured: "FAILED".into(),
            met: Some(false),
        }),
    }
    lint_target(c, res, 5.0, out);
    let r = &res.refresh;
    out.push(refresh_target(
        c,
        r,
        "`gloss index` after one edit < 60 ms",
        &r.index_after_edit,
        true,
        60.0,
    ));
    out.push(refresh_target(
        c,
        r,
        "search that refreshes one edit < 60 ms",
        &r.search_after_edit,
        r.edit_found,
        60.0,
    ));
    out.push(refresh_target(
        c,
        r,
        "`gloss index` after one definition's text edited < 60 ms",
        &r.index_after_definition_edit,
        r.definition_found,
        60.0,
    ));
}

fn lint_target(c: &str, res: &CorpusResult, limit_s: f64, out: &mut Vec<Target>) {
    let goal = format!("`gloss lint` < {limit_s} s");
    out.push(match &res.lint {
        Some(l) => Target {
            corpus: c.into(),
            goal,
            measured: match l.timed_out {
                Some(t) => format!("killed after {t} s"),
                None => format!("CPU {:.2} s (wall {:.2} s)", l.cpu_s, l.wall_s),
            },
            met: Some(l.timed_out.is_none() && l.cpu_s < limit_s),
        },
        None => Target {
            corpus: c.into(),
            goal,
            measured: "not run".into(),
            met: None,
        },
    });
}

fn synth_targets(res: &CorpusResult, out: &mut Vec<Target>) {
    let c = format!("generated, {} notes", res.files);
    let c = c.as_str();
    lint_target(c, res, 30.0, out);
    let r = &res.refresh;
    out.push(refresh_target(
        c,
        r,
        "`gloss index` after one edit < 500 ms",
        &r.index_after_edit,
        true,
        500.0,
    ));
    out.push(refresh_target(
        c,
        r,
        "search that refreshes one edit < 500 ms",
        &r.search_after_edit,
        r.edit_found,
        500.0,
    ));
    out.push(refresh_target(
        c,
        r,
        "`gloss index` after one definition's text edited < 500 ms",
        &r.index_after_definition_edit,
        r.definition_found,
        500.0,
    ));
}

fn content_targets(res: &CorpusResult, out: &mut Vec<Target>) {
    let c = "content/";
    let cpu = finite(overall(res, GLOSS, true));
    out.push(Target {
        corpus: c.into(),
        goal: "search < 3 ms CPU (median of the query medians)".into(),
        measured: cpu.map_or("n/a".into(), |x| {
            format!(
                "{} ms CPU (wall {} ms)",
                fmt_ms(x),
                fmt_ms(overall(res, GLOSS, false))
            )
        }),
        met: cpu.map(|x| x < 3.0),
    });
    for (base, goal, limit) in [
        (FTS, "within 2x of sqlite3 FTS5 (gloss/fts5 CPU <= 2)", 2.0),
        (RG, "faster than `rg -i` (gloss/rg CPU < 1)", 1.0),
    ] {
        let r = finite(ratio(res, GLOSS, base, true));
        out.push(Target {
            corpus: c.into(),
            goal: goal.into(),
            measured: r.map_or(format!("{base} absent"), |x| {
                format!(
                    "CPU ratio {} (wall ratio {})",
                    fmt_ratio(x),
                    fmt_ratio(ratio(res, GLOSS, base, false))
                )
            }),
            met: r.map(|x| if limit == 1.0 { x < 1.0 } else { x <= limit }),
        });
    }
}

pub fn print_targets(results: &[CorpusResult]) {
    let mut targets = Vec::new();
    for res in results.iter().filter(|r| r.skipped.is_none()) {
        match res.key {
            "mdn" => mdn_targets(res, &mut targets),
            "synth" => synth_targets(res, &mut targets),
            "content" => content_targets(res, &mut targets),
            _ => {}
        }
    }
    println!();
    println!("## Targets (issue 16; checked on CPU seconds, wall shown beside)");
    println!();
    println!("| corpus | target | measured | verdict |");
    println!("|---|---|---|---|");
    for t in targets {
        let verdict = match t.met {
            Some(true) => "met",
            Some(false) => "NOT met",
            None => "not measured",
        };
        println!("| {} | {} | {} | {verdict} |", t.corpus, t.goal, t.measured);
    }
}
