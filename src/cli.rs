//! The command line: the only module that knows clap. Turns flags into library options,
//! runs the pipeline, prints results and warnings.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use gloss::glossary;
use gloss::index::{self, Refresh, Report, Store};
use gloss::render::{self, Format, View};
use gloss::search::{self, Mode, Options, Results};

use crate::output::Output;

const EXAMPLES: &str = "\
Examples:
  gloss token                      search (same as `gloss search token`)
  gloss define fine-tuning         the best definitions of a term
  gloss search \"self attention\"    definitions first, then passages
  gloss define rag --format json   machine-readable output
  gloss terms --format html -o glossary.html
                                   the whole glossary as one page
  gloss terms --prefix re          terms starting with \"re\"
  gloss terms --format anki -o deck.txt
                                   flashcards for Anki's File > Import
  gloss index --rebuild            rebuild index/ from content/

Exit status: 0 when something was found, 1 when nothing was, 2 on error.";

/// gloss: a glossary search engine for your markdown notes.
#[derive(Debug, Parser)]
#[command(
    name = "gloss",
    version,
    about,
    after_help = EXAMPLES,
    override_usage = "gloss [OPTIONS] QUERY...\n       gloss [OPTIONS] <COMMAND>",
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(flatten)]
    global: Global,

    #[command(subcommand)]
    command: Command,
}

/// Flags that take a value, so the word after them is not the query.
const VALUE_FLAGS: &[&str] = &[
    "--content",
    "--index",
    "--limit",
    "-n",
    "--format",
    "--color",
    "--output",
    "-o",
];
const SUBCOMMANDS: &[&str] = &["search", "define", "terms", "index", "help"];

/// `gloss QUERY...` is `gloss search QUERY...`: inserts `search` before the first word that
/// is neither a flag, a flag's value, nor a subcommand.
pub fn with_default_subcommand(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut i = 1;
    while i < args.len() {
        let arg = args[i].to_string_lossy();
        if arg == "--" {
            break;
        }
        if VALUE_FLAGS.contains(&arg.as_ref()) {
            i += 2;
            continue;
        }
        if arg.starts_with('-') && arg.len() > 1 {
            i += 1;
            continue;
        }
        if SUBCOMMANDS.contains(&arg.as_ref()) {
            return args;
        }
        break;
    }
    if i >= args.len() {
        return args;
    }
    let mut out = args;
    out.insert(i, "search".into());
    out
}

#[derive(Debug, Args)]
struct Global {
    /// Folder of markdown notes.
    #[arg(
        long = "content",
        value_name = "DIR",
        env = "GLOSS_CONTENT",
        default_value = "content",
        global = true
    )]
    content: PathBuf,

    /// Folder of the search index.
    #[arg(
        long = "index",
        value_name = "DIR",
        env = "GLOSS_INDEX",
        default_value = "index",
        global = true
    )]
    index: PathBuf,

    /// Most results to show [default: 10; `terms` lists all].
    #[arg(long = "limit", short = 'n', value_name = "N", global = true)]
    limit: Option<usize>,

    /// Output format.
    #[arg(long = "format", value_enum, default_value_t = FormatArg::Text, global = true)]
    format: FormatArg,

    /// Write to FILE instead of stdout (`-` is stdout); the file appears whole or not at all.
    #[arg(long = "output", short = 'o', value_name = "FILE", global = true)]
    output: Option<PathBuf>,

    /// Let --output replace an existing file.
    #[arg(long = "force", global = true)]
    force: bool,

    /// When to colour text output: auto colours only on a terminal with NO_COLOR unset.
    #[arg(long = "color", value_enum, default_value_t = ColorArg::Auto, global = true)]
    color: ColorArg,

    /// Answer from the index as it is, without checking the notes for changes
    /// (it is still built when missing).
    #[arg(long = "no-refresh", env = "GLOSS_NO_REFRESH", global = true)]
    no_refresh: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Search definitions and passages (definitions first).
    Search {
        /// Words to search for.
        #[arg(value_name = "QUERY", required = true)]
        query: Vec<String>,
    },
    /// Look up the definitions of a term.
    Define {
        /// The term (several words are one term: `gloss define foundation model`).
        #[arg(value_name = "TERM", required = true)]
        term: Vec<String>,
    },
    /// List every defined term A-Z with its definition and source.
    Terms {
        /// Only terms starting with P (case, accents and hyphens ignored).
        #[arg(long = "prefix", value_name = "P")]
        prefix: Option<String>,
    },
    /// Build or refresh the index from the notes.
    Index {
        /// Rebuild from scratch instead of re-indexing changed files.
        #[arg(long = "rebuild", conflicts_with = "check")]
        rebuild: bool,
        /// Change nothing: report notes that are stale, missing from or removed from the
        /// index, and index files that fail their checksums (exit 1 when anything is off).
        #[arg(long = "check")]
        check: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    /// For people: term, source, highlighted snippet.
    Text,
    /// One JSON document (fields in the README).
    Json,
    /// One JSON hit per line.
    Jsonl,
    /// Header row, then rank,kind,term,file,line,heading_path,snippet,text.
    Csv,
    /// Blocks to paste into markdown notes.
    #[value(alias = "md")]
    Markdown,
    /// One self-contained page.
    Html,
    /// Tab-separated notes for Anki's File > Import.
    Anki,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Csv => Format::Csv,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Html => Format::Html,
            FormatArg::Anki => Format::Anki,
        }
    }
}

fn use_color(choice: ColorArg, out: &Output) -> bool {
    match choice {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            out.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

fn print_report(report: &Report, verbose: bool) {
    for w in &report.warnings {
        eprintln!("gloss: warning: {w}");
    }
    if let Some(notice) = &report.notice {
        eprintln!("gloss: {notice}");
    }
    if verbose || report.rebuilt {
        eprintln!(
            "gloss: {} {} of {} files ({} definitions, {} passages, {} removed, {} warnings) in {:.2}s",
            if report.rebuilt { "indexed" } else { "re-indexed" },
            report.indexed,
            report.files,
            report.definitions,
            report.passages,
            report.removed,
            report.warnings.len(),
            report.seconds
        );
    }
}

/// The first `max` characters of `s`, with `…` when cut.
fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}\u{2026}", &s[..at]),
        None => s.to_string(),
    }
}

/// Opens the index for a query, refreshing it first; prints what the refresh reported.
fn open_store(g: &Global) -> Result<Store> {
    let (store, report, notice) = index::ensure_fresh_with(&g.content, &g.index, !g.no_refresh)
        .with_context(|| format!("opening the index for notes in {}", g.content.display()))?;
    if let Some(report) = &report {
        print_report(report, false);
    }
    if let Some(notice) = notice {
        eprintln!("gloss: {notice}");
    }
    Ok(store)
}

/// Renders `results` to the output chosen by the flags. Io errors are returned as they are,
/// so a reader that stopped early (a closed pipe) ends the run quietly in `main`.
fn write(g: &Global, mut out: Output, results: &Results, view: View) -> Result<()> {
    let options = render::Options {
        color: use_color(g.color, &out),
        view,
    };
    render::renderer(g.format.into(), options).render(results, out.writer())?;
    out.finish()
}

/// `gloss index --check`: what is stale, missing or corrupt; exit 1 when anything is.
fn check(g: &Global) -> Result<ExitCode> {
    use std::io::Write;
    let report = index::check(&g.content, &g.index)?;
    let mut out = std::io::stdout().lock();
    if report.absent {
        writeln!(out, "no index in {}: run `gloss index`", g.index.display())?;
    }
    for (label, files) in [
        ("stale", &report.stale),
        ("not indexed", &report.missing),
        ("removed", &report.removed),
        ("corrupt", &report.corrupt),
    ] {
        for file in files {
            writeln!(out, "{label}: {}", render::printable(file))?;
        }
    }
    if report.is_clean() {
        writeln!(out, "index {} is up to date and intact", g.index.display())?;
        return Ok(ExitCode::SUCCESS);
    }
    if !report.corrupt.is_empty() {
        writeln!(out, "run `gloss index --rebuild` to rebuild it")?;
    } else if !report.absent {
        writeln!(out, "run `gloss index` (or any search) to refresh it")?;
    }
    Ok(ExitCode::from(1))
}

/// Runs the command line; returns the exit code.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let g = &cli.global;
    let (mode, words) = match cli.command {
        Command::Index { check: true, .. } => return check(g),
        Command::Index { rebuild, .. } => {
            let how = if rebuild {
                Refresh::Rebuild
            } else {
                Refresh::Incremental
            };
            let report = match index::refresh(&g.content, &g.index, how, false) {
                Err(gloss::error::Error::Locked(_)) => {
                    eprintln!(
                        "gloss: another gloss run is indexing {}; waiting for it",
                        g.index.display()
                    );
                    index::refresh(&g.content, &g.index, how, true)?
                }
                other => other?,
            };
            print_report(&report, true);
            return Ok(ExitCode::SUCCESS);
        }
        Command::Terms { prefix } => return terms(g, prefix.as_deref()),
        Command::Search { query } => (Mode::Search, query),
        Command::Define { term } => (Mode::Define, term),
    };
    let query = words.join(" ");
    if query.trim().is_empty() {
        eprintln!("gloss: the query is empty: give at least one word, e.g. `gloss search token`");
        return Ok(ExitCode::from(2));
    }
    // Open the output first: a refused --output fails before any work is done.
    let out = Output::open(g.output.as_deref(), g.force)?;
    let store = open_store(g)?;
    let options = Options {
        mode,
        limit: g.limit.unwrap_or(10),
        ..Options::default()
    };
    let results = search::search(&store, &query, &options)?;
    write(g, out, &results, View::Hits)?;
    if results.hits.is_empty() {
        let what = if mode == Mode::Define {
            "no definition for"
        } else {
            "no results for"
        };
        eprintln!("{what} {:?}", shorten(&query, 80));
        if !results.suggestions.is_empty() {
            eprintln!("did you mean: {}", results.suggestions.join(", "));
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// `gloss terms`: the glossary A-Z.
fn terms(g: &Global, prefix: Option<&str>) -> Result<ExitCode> {
    let out = Output::open(g.output.as_deref(), g.force)?;
    let store = open_store(g)?;
    let mut results = glossary::terms(&store, prefix)?;
    if let Some(limit) = g.limit {
        results.hits.truncate(limit);
    }
    write(g, out, &results, View::Glossary)?;
    if results.hits.is_empty() {
        match prefix.filter(|p| !p.trim().is_empty()) {
            Some(p) => eprintln!("no terms starting with {p:?}"),
            None => eprintln!("no terms defined in {}", g.content.display()),
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
