//! The command line: the only module that knows clap. Turns flags into library options,
//! runs the pipeline, prints results and warnings.
//!
//! An everyday `search`/`define` line is read without clap, by [`parse_plain`] (clap's
//! command tree cost ~15% of a search's instructions); anything it does not know goes to
//! clap. A flag added to [`Global`] is left to clap until `Global::set` reads it; the
//! tests compare both readings and walk clap's definition of every flag `set` reads.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum, ValueHint};
use clap_complete::Shell;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use gloss::config::{self, Config};
use gloss::context::{self, Context as ContextSize};
use gloss::index::{self, Progress, Refresh, Report};
use gloss::lint;
use gloss::lookup::{Related, TermsRequest};
use gloss::render::{self, Format, Text, View};
use gloss::{lookup, Answer, Graph, Hit, Mode, Notice, Request, Results, Scope, Store};

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

Everyday use:
  gloss related rag                the terms RAG's definition mentions, and those
                                   that mention it
  gloss lint                       duplicate, empty and undefined terms (exit 1 if any)
  gloss search chunking --context section
                                   each hit with the whole section around it
  gloss search token --context 2   each hit with 2 lines either side
  gloss search embedding --in 04-rag --in '0[5-6]-*.md'
                                   only hits in those notes
  gloss define pod --tag kubernetes
                                   only notes whose front matter has that tag
  gloss config                     the settings in force and where each came from
  gloss completions bash > ~/.local/share/bash-completion/completions/gloss
  gloss man > gloss.1              the manual page

Settings come from flags, then GLOSS_CONTENT / GLOSS_INDEX, then gloss.toml in the
notes folder, then <config dir>/gloss/gloss.toml (or the file named by GLOSS_CONFIG).

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

    /// The subcommand a misspelt first word probably meant (set by `main`, not a flag).
    #[arg(skip)]
    pub misspelt: Option<&'static str>,

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
    "--in",
    "--tag",
    "--context",
];
const SUBCOMMANDS: &[&str] = &[
    "search",
    "define",
    "terms",
    "index",
    "related",
    "lint",
    "config",
    "completions",
    "man",
    "serve",
    "watch",
    "mcp",
    "help",
];

/// The index of the first word that is neither a flag nor a flag's value (`None` when there
/// is none, or after `--`).
fn first_word(args: &[std::ffi::OsString]) -> Option<usize> {
    let mut i = 1;
    while i < args.len() {
        let arg = args[i].to_string_lossy();
        if arg == "--" {
            return None;
        }
        if VALUE_FLAGS.contains(&arg.as_ref()) {
            i += 2;
            continue;
        }
        if arg.starts_with('-') && arg.len() > 1 {
            i += 1;
            continue;
        }
        return Some(i);
    }
    None
}

/// `gloss QUERY...` is `gloss search QUERY...`: inserts `search` before the first word that
/// is neither a flag, a flag's value, nor a subcommand.
pub fn with_default_subcommand(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let Some(i) = first_word(&args) else {
        return args;
    };
    if SUBCOMMANDS.contains(&args[i].to_string_lossy().as_ref()) {
        return args;
    }
    let mut out = args;
    out.insert(i, "search".into());
    out
}

/// The subcommand the first word is a typo of (`serch` → `search`, `termz` → `terms`): one
/// edit away for words of up to five letters, two for longer ones. Such a word is still
/// searched for; the binary only says what was probably meant.
pub fn misspelt_subcommand(args: &[std::ffi::OsString]) -> Option<&'static str> {
    let word = args
        .get(first_word(args)?)?
        .to_string_lossy()
        .to_lowercase();
    let budget = if word.chars().count() <= 5 { 1 } else { 2 };
    SUBCOMMANDS
        .iter()
        .filter(|c| **c != "help")
        .map(|c| (strsim::osa_distance(&word, c), *c))
        .filter(|(d, _)| (1..=budget).contains(d))
        .min()
        .map(|(_, c)| c)
}

/// The command line of an everyday query (`search` or `define`, words, and the common
/// flags each written once as `--flag value`), read without clap; `None` for anything
/// else, which clap then reads. Building clap's command tree and matching against it was
/// ~15% of a search's instructions on the shipped notes; this reading gives the same
/// [`Cli`] as clap's (the tests compare them).
pub fn parse_plain(args: &[std::ffi::OsString]) -> Option<Cli> {
    if std::env::var_os("GLOSS_NO_REFRESH").is_some() {
        return None;
    }
    let mut global = Global::default();
    let mut command: Option<(bool, Vec<String>)> = None;
    let mut words_only = false;
    let mut seen: Vec<&str> = Vec::new();
    let mut i = 1;
    while i < args.len() {
        let arg = args[i].to_str()?;
        i += 1;
        match &mut command {
            Some((_, words)) if words_only => words.push(arg.to_string()),
            Some((_, words)) if arg == "--" && words.is_empty() => words_only = true,
            Some((_, words)) if !arg.starts_with('-') => words.push(arg.to_string()),
            Some((_, words)) if !words.is_empty() => return None,
            None if arg == "search" || arg == "define" => {
                command = Some((arg == "define", Vec::new()))
            }
            None if !arg.starts_with('-') => return None,
            _ => {
                if let Some(name) = single(arg) {
                    if seen.contains(&name) {
                        return None;
                    }
                    seen.push(name);
                }
                let value = args.get(i).and_then(|v| v.to_str());
                i += usize::from(global.set(arg, value)?);
            }
        }
    }
    let (define, words) = command.filter(|(_, words)| !words.is_empty())?;
    let command = if define {
        Command::Define { term: words }
    } else {
        Command::Search { query: words }
    };
    Some(Cli {
        global,
        misspelt: None,
        command,
    })
}

impl Global {
    /// Sets the flag `name` (with `value`, the next argument, if it takes one); the
    /// number of values used, or `None` for a flag this reading leaves to clap: unknown,
    /// `--context`, or a value that is missing, empty, starts with `-` or is not one clap
    /// takes. (`parse_plain` leaves flags given twice to clap.)
    fn set(&mut self, name: &str, value: Option<&str>) -> Option<bool> {
        let value = value.filter(|v| !v.is_empty() && !v.starts_with('-'));
        match name {
            "--force" => self.force = true,
            "--no-refresh" => self.no_refresh = true,
            "--content" => self.content = Some(value?.into()),
            "--index" => self.index = Some(value?.into()),
            "--output" | "-o" => self.output = Some(value?.into()),
            "--limit" | "-n" => self.limit = Some(at_least_one(value?).ok()?),
            "--in" => self.places.push(value?.to_string()),
            "--tag" => self.tags.push(value?.to_string()),
            "--format" => self.format = FormatArg::from_str(value?, false).ok()?,
            "--color" => self.color = ColorArg::from_str(value?, false).ok()?,
            _ => return None,
        }
        Some(!matches!(name, "--force" | "--no-refresh"))
    }
}

/// A flag's long name (`-n` is `--limit`), unless it may be given more than once.
fn single(name: &str) -> Option<&str> {
    match name {
        "--in" | "--tag" => None,
        "-n" => Some("--limit"),
        "-o" => Some("--output"),
        other => Some(other),
    }
}

#[derive(Debug, Default, Args)]
struct Global {
    /// Folder of markdown notes [default: content; env GLOSS_CONTENT; gloss.toml `content`].
    #[arg(long = "content", value_name = "DIR", value_hint = ValueHint::DirPath, global = true)]
    content: Option<PathBuf>,

    /// Folder of the search index [default: index; env GLOSS_INDEX; gloss.toml `index`].
    #[arg(long = "index", value_name = "DIR", value_hint = ValueHint::DirPath, global = true)]
    index: Option<PathBuf>,

    /// Most results to show [default: 10 or gloss.toml `limit`; `terms` lists all].
    #[arg(long = "limit", short = 'n', value_name = "N", global = true, value_parser = at_least_one)]
    limit: Option<usize>,

    /// Output format.
    #[arg(long = "format", value_enum, default_value_t = FormatArg::Text, global = true)]
    format: FormatArg,

    /// Write to FILE instead of stdout (`-` is stdout); the file appears whole or not at all.
    #[arg(
        long = "output",
        short = 'o',
        value_name = "FILE",
        value_hint = ValueHint::FilePath,
        global = true
    )]
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

    /// Only hits in these notes: a path or its start (`04-rag`, `sub/`) or a glob
    /// (`'0[1-3]-*.md'`), relative to the notes folder; repeat for any of several.
    #[arg(long = "in", value_name = "PATH_OR_GLOB", global = true)]
    places: Vec<String>,

    /// Only hits in notes whose front matter `tags:` include T; repeat for any of several.
    #[arg(long = "tag", value_name = "T", global = true)]
    tags: Vec<String>,

    /// Text output: print N source lines around each hit, or its whole section
    /// (`section`: from its heading to the next heading of the same or a higher level).
    #[arg(long = "context", value_name = "N|section", global = true)]
    context: Option<ContextSize>,
}

/// `--limit` is a whole number of at least 1 (0 would always find nothing).
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
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
    /// The terms a term's definition mentions, and the definitions that mention it.
    Related {
        /// The term (a name or an alias; several words are one term).
        #[arg(value_name = "TERM", required = true)]
        term: Vec<String>,
    },
    /// Check the glossary: terms defined twice, near-duplicates, empty definitions, bold or
    /// backticked terms defined nowhere (exit 1 when anything is found).
    Lint,
    /// Print the settings in force and where each came from.
    Config,
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        /// The shell.
        #[arg(value_enum, value_name = "SHELL")]
        shell: Shell,
    },
    /// Print the manual page (roff; `gloss man | man -l -`).
    Man,
    /// Serve the glossary as a local web page that searches as you type and stays fresh.
    Serve(crate::serve_cmd::ServeArgs),
    /// Keep the index fresh while notes change (queries then skip their freshness check).
    Watch,
    /// Serve the glossary to AI assistants: an MCP server on stdin/stdout (see README).
    Mcp,
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

#[derive(Debug, Default, Clone, Copy, ValueEnum)]
enum FormatArg {
    /// For people: term, source, highlighted snippet.
    #[default]
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

#[derive(Debug, Default, Clone, Copy, ValueEnum)]
enum ColorArg {
    #[default]
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
    // File names come from the notes folder: escape what could drive the terminal.
    for w in &report.warnings {
        eprintln!("gloss: warning: {}", render::printable(&w.to_string()));
    }
    if let Some(notice) = &report.notice {
        eprintln!("gloss: {}", render::printable(notice));
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

/// How long an index run goes before its progress bar appears.
const PROGRESS_DELAY: Duration = Duration::from_secs(1);

/// A progress bar on stderr for an index run, shown only on a terminal and only once the
/// run has taken [`PROGRESS_DELAY`]; the library reports [`Progress`], this draws it.
struct Bar {
    bar: ProgressBar,
    stop: Option<mpsc::Sender<()>>,
    reveal: Option<std::thread::JoinHandle<()>>,
}

impl Bar {
    /// A hidden bar that a timer thread reveals after the delay, when stderr is a terminal.
    fn start() -> Bar {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} notes {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message("reading notes");
        if !std::io::stderr().is_terminal() {
            return Bar {
                bar,
                stop: None,
                reveal: None,
            };
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let shown = bar.clone();
        let reveal = std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(PROGRESS_DELAY) {
                shown.set_draw_target(ProgressDrawTarget::stderr());
                shown.enable_steady_tick(Duration::from_millis(120));
            }
        });
        Bar {
            bar,
            stop: Some(stop),
            reveal: Some(reveal),
        }
    }

    /// The callback for [`index::refresh_with_progress`].
    fn update(&self, event: Progress) {
        advance(&self.bar, event);
    }

    /// Stops the timer and clears the bar (the summary line replaces it).
    fn finish(mut self) {
        drop(self.stop.take());
        if let Some(reveal) = self.reveal.take() {
            let _ = reveal.join();
        }
        self.bar.finish_and_clear();
    }
}

/// Moves a bar by one library progress event.
fn advance(bar: &ProgressBar, event: Progress) {
    match event {
        Progress::Start { files } => {
            bar.set_length(files as u64);
            bar.set_position(0);
            bar.set_message("reading notes");
        }
        // Notes are parsed a batch ahead of the writer: the bar follows the writer.
        Progress::Parsed { .. } => {}
        Progress::Added { done } => {
            bar.set_position(done as u64);
            bar.set_message("indexing");
        }
        Progress::Committing => {
            if let Some(len) = bar.length() {
                bar.set_position(len);
            }
            bar.set_message("writing the index");
        }
    }
}

/// Runs an index refresh with a progress bar.
fn refresh_with_bar(
    content: &Path,
    dir: &Path,
    how: Refresh,
    wait: bool,
) -> gloss::error::Result<Report> {
    let bar = Bar::start();
    let result = index::refresh_with_progress(content, dir, how, wait, &|p| bar.update(p));
    bar.finish();
    result
}

/// One run of the command line: the flags and the settings resolved from them.
struct Run<'a> {
    g: &'a Global,
    config: Config,
}

impl Run<'_> {
    /// The default notes folder is missing but the current folder holds notes: say how to
    /// point gloss at them rather than only that `content` does not exist.
    fn check_notes_folder(&self) -> Result<()> {
        let content = &self.config.content;
        if content.origin != config::Origin::Default || content.value.exists() {
            return Ok(());
        }
        let here = std::fs::read_dir(".")
            .map(|dir| {
                dir.flatten()
                    .filter(|e| {
                        let name = e.file_name().to_string_lossy().to_lowercase();
                        name.ends_with(".md") || name.ends_with(".markdown")
                    })
                    .count()
            })
            .unwrap_or(0);
        if here == 0 {
            return Ok(());
        }
        anyhow::bail!(
            "notes folder {} does not exist, but this folder has {}: \
             run `gloss --content . ...`, set GLOSS_CONTENT=., or put `content = \".\"` in \
             your gloss.toml",
            content.value.display(),
            plural(here, "markdown note")
        )
    }

    fn content(&self) -> &Path {
        &self.config.content.value
    }

    fn index(&self) -> &Path {
        &self.config.index.value
    }

    /// Opens the index for a query, refreshing it first; prints what the refresh reported.
    fn open_store(&self) -> Result<Store> {
        let (content, dir) = (self.content(), self.index());
        let context = || format!("opening the index for notes in {}", content.display());
        // A build or refresh started by a query gets the same delayed progress bar.
        let bar = Bar::start();
        // A live `gloss watch`/`gloss serve` keeps the index fresh: no walk over the notes.
        let check = !self.g.no_refresh && !gloss::watch::is_watched(dir, content);
        let fresh = index::ensure_fresh_with_progress(content, dir, check, &|p| bar.update(p));
        bar.finish();
        let (store, report, notice) = fresh.with_context(context)?;
        if let Some(report) = &report {
            print_report(report, false);
        }
        if let Some(notice) = notice {
            eprintln!("gloss: {notice}");
        }
        Ok(store)
    }

    fn scope(&self) -> Result<Scope> {
        let typed = self
            .g
            .content
            .as_deref()
            .unwrap_or(self.content())
            .to_string_lossy()
            .into_owned();
        Ok(Scope::new(&self.g.places, &self.g.tags, &typed)?)
    }

    fn render_options(&self, out: &Output, view: View) -> render::Options {
        render::Options {
            color: use_color(self.g.color, out),
            view,
        }
    }

    /// Renders `results` to the output chosen by the flags. Io errors are returned as they
    /// are, so a reader that stopped early (a closed pipe) ends the run quietly in `main`.
    fn write(&self, mut out: Output, results: &Results, view: View) -> Result<()> {
        let options = self.render_options(&out, view);
        render::renderer(self.g.format.into(), options).render(results, out.writer())?;
        out.finish()
    }

    /// Text output of search hits with the extras: `see also` lines (from `graph`) and
    /// source context (with `--context`).
    fn write_text(
        &self,
        mut out: Output,
        store: &Store,
        results: &Results,
        graph: Option<&Graph>,
        whole: usize,
    ) -> Result<()> {
        let text = Text {
            color: self.render_options(&out, View::Hits).color,
            whole,
        };
        let files: RefCell<HashMap<String, Option<String>>> = RefCell::default();
        let see_also = |hit: &Hit| -> Vec<String> {
            graph.map_or_else(Vec::new, |graph| lookup::see_also(graph, hit, SEE_ALSO))
        };
        let context = |hit: &Hit| {
            let size = self.g.context?;
            let mut files = files.borrow_mut();
            let source = files.entry(hit.file.clone()).or_insert_with(|| {
                let read = context::read_indexed(self.content(), &hit.file, store);
                if let Some(notice) = read.as_ref().err().and_then(|why| why.notice()) {
                    eprintln!("gloss: {}", render::printable(&notice));
                }
                read.ok()
            });
            context::excerpt(source.as_deref()?, hit.line, size)
        };
        text.render_with(results, out.writer(), &see_also, &context)?;
        out.finish()
    }

    /// `gloss search` and `gloss define`: flags to a [`Request`], the [`Answer`] to output.
    fn query(&self, mode: Mode, words: &[String]) -> Result<ExitCode> {
        let query = words.join(" ");
        if query.trim().is_empty() {
            eprintln!(
                "gloss: the query is empty: give at least one word, e.g. `gloss search token`"
            );
            return Ok(ExitCode::from(2));
        }
        let request = Request {
            scope: self.scope()?,
            // `-n` asks for more: `define` then also lists definitions that only mention it.
            mentions: self.g.limit.is_some(),
            ..Request::configured(query, mode, &self.config)
        };
        // Open the output first: a refused --output fails before any work is done.
        let out = Output::open(self.g.output.as_deref(), self.g.force)?;
        let store = self.open_store()?;
        let answer = lookup(&store, &request)?;
        self.print_notices(&answer);
        self.write_answer(out, &store, &request, &answer)?;
        let found = !answer.results.hits.is_empty();
        if !found {
            self.say_nothing_found(&request, &answer);
        }
        // The process ends here, and its end unmaps and frees everything at once: dropping
        // the index and the answer first would unmap each index file with a call of its own
        // and free each hit's strings. Nothing the store holds is written on drop (a query's
        // reader takes no lock and starts no thread; the output was finished above).
        std::mem::forget((store, answer));
        Ok(if found {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }

    /// Renders a lookup's answer in the format asked for.
    fn write_answer(
        &self,
        out: Output,
        store: &Store,
        request: &Request,
        answer: &Answer,
    ) -> Result<()> {
        if matches!(self.g.format, FormatArg::Text) {
            // The graph only feeds `see also` lines; a failure to build it costs only those.
            let graph = (request.mode == Mode::Define)
                .then(|| lookup::graph(store).ok())
                .flatten();
            // `define` prints its best definitions whole, not cut to a snippet.
            let whole = if request.mode == Mode::Define { 3 } else { 0 };
            return self.write_text(out, store, &answer.results, graph.as_ref(), whole);
        }
        if self.g.context.is_some() {
            eprintln!("gloss: warning: --context changes only text output");
        }
        self.write(out, &answer.results, View::Hits)
    }

    /// The notices of an answer worth a line on stderr.
    fn print_notices(&self, answer: &Answer) {
        for notice in &answer.notices {
            if let Notice::EmptyScope = notice {
                let mut given: Vec<String> = Vec::new();
                given.extend(self.g.places.iter().map(|p| format!("--in {p:?}")));
                given.extend(self.g.tags.iter().map(|t| format!("--tag {t:?}")));
                let given = render::printable(&given.join(" "));
                eprintln!(
                    "gloss: no note in {} matches {given}",
                    self.content().display()
                );
            }
        }
    }

    /// `no results for "..."` on stderr, with suggestions when there are any.
    fn say_nothing_found(&self, request: &Request, answer: &Answer) {
        let what = if request.mode == Mode::Define {
            "no definition for"
        } else {
            "no results for"
        };
        let scoped = if request.scope.is_all() {
            ""
        } else {
            " in the notes chosen by --in/--tag"
        };
        eprintln!("{what} {:?}{scoped}", shorten(&request.query, 80));
        if !answer.results.mentioned_in.is_empty() {
            eprintln!("mentioned in: {}", answer.results.mentioned_in.join(", "));
        }
        if !answer.results.suggestions.is_empty() {
            eprintln!("did you mean: {}", answer.results.suggestions.join(", "));
        }
    }

    /// `gloss terms`: the glossary A-Z.
    fn terms(&self, prefix: Option<&str>) -> Result<ExitCode> {
        let request = TermsRequest {
            prefix: prefix.map(str::to_string),
            scope: self.scope()?,
            limit: self.g.limit,
        };
        let out = Output::open(self.g.output.as_deref(), self.g.force)?;
        let store = self.open_store()?;
        let answer = lookup::terms(&store, &request)?;
        self.print_notices(&answer);
        self.write(out, &answer.results, View::Glossary)?;
        if answer.results.hits.is_empty() {
            match prefix.filter(|p| !p.trim().is_empty()) {
                Some(p) => eprintln!("no terms starting with {p:?}"),
                None => eprintln!("no terms defined in {}", self.content().display()),
            }
            return Ok(ExitCode::from(1));
        }
        Ok(ExitCode::SUCCESS)
    }

    /// `gloss related TERM`.
    fn related(&self, words: &[String]) -> Result<ExitCode> {
        let name = words.join(" ");
        if name.trim().is_empty() {
            eprintln!("gloss: the term is empty: e.g. `gloss related rag`");
            return Ok(ExitCode::from(2));
        }
        let json = match self.g.format {
            FormatArg::Text => false,
            FormatArg::Json => true,
            _ => anyhow::bail!("gloss related prints text or json (--format text|json)"),
        };
        let mut out = Output::open(self.g.output.as_deref(), self.g.force)?;
        let store = self.open_store()?;
        let Some(found) = lookup::related(&store, &name, self.g.limit)? else {
            eprintln!("no definition for {:?}", shorten(&name, 80));
            return Ok(ExitCode::from(1));
        };
        let Related {
            term,
            mentions,
            mentioned_by,
        } = &found;
        if json {
            let doc = serde_json::json!({
                "term": term.term,
                "aliases": term.aliases,
                "file": term.file,
                "line": term.line,
                "mentions": mentions,
                "mentioned_by": mentioned_by,
            });
            serde_json::to_writer_pretty(out.writer(), &doc)?;
            writeln!(out.writer())?;
        } else {
            let text = Text {
                color: use_color(self.g.color, &out),
                whole: 0,
            };
            let mentions: Vec<&gloss::Node> = mentions.iter().collect();
            let mentioned_by: Vec<&gloss::Node> = mentioned_by.iter().collect();
            text.render_related(term, &mentions, &mentioned_by, out.writer())?;
        }
        out.finish()?;
        if mentions.is_empty() && mentioned_by.is_empty() {
            eprintln!("no related terms for {:?}", term.term);
            return Ok(ExitCode::from(1));
        }
        Ok(ExitCode::SUCCESS)
    }

    /// `gloss lint`: one finding per line; exit 1 when there is any.
    fn lint(&self) -> Result<ExitCode> {
        let json = match self.g.format {
            FormatArg::Text => false,
            FormatArg::Json => true,
            _ => anyhow::bail!("gloss lint prints text or json (--format text|json)"),
        };
        let mut out = Output::open(self.g.output.as_deref(), self.g.force)?;
        let report = lint::lint(self.content())
            .with_context(|| format!("linting the notes in {}", self.content().display()))?;
        for w in &report.warnings {
            eprintln!("gloss: warning: {}", render::printable(&w.to_string()));
        }
        if json {
            let doc = serde_json::json!({ "files": report.files, "findings": report.findings });
            serde_json::to_writer_pretty(out.writer(), &doc)?;
            writeln!(out.writer())?;
        } else {
            for f in &report.findings {
                writeln!(out.writer(), "{}", render::printable(&f.to_string()))?;
            }
        }
        out.finish()?;
        let n = report.findings.len();
        let notes = plural(report.files, "note");
        if n == 0 {
            eprintln!("gloss: no findings in {notes}");
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!("gloss: {} in {notes}", plural(n, "finding"));
        Ok(ExitCode::from(1))
    }

    /// `gloss config`: the settings in force, as TOML with where each came from.
    fn show_config(&self) -> Result<ExitCode> {
        let mut out = Output::open(self.g.output.as_deref(), self.g.force)?;
        let c = &self.config;
        let w = out.writer();
        writeln!(
            w,
            "# gloss settings: flag > env > notes-folder gloss.toml > user gloss.toml > default"
        )?;
        for (path, found) in &c.files {
            let state = if *found { "read" } else { "not found" };
            writeln!(w, "# config file {}: {state}", path.display())?;
        }
        let path = |p: &Path| config::toml_string(&p.to_string_lossy());
        let rows = [
            (
                "content",
                path(&c.content.value),
                c.content.origin.to_string(),
            ),
            ("index", path(&c.index.value), c.index.origin.to_string()),
            (
                "limit",
                c.limit.value.to_string(),
                c.limit.origin.to_string(),
            ),
        ];
        for (key, value, origin) in rows {
            writeln!(w, "{:<32} # {origin}", format!("{key} = {value}"))?;
        }
        writeln!(w, "\n[synonyms]")?;
        for syn in &c.synonyms {
            let values: Vec<String> = syn
                .expansions
                .iter()
                .map(|e| config::toml_string(e))
                .collect();
            let line = format!("{} = [{}]", config::toml_key(&syn.key), values.join(", "));
            writeln!(w, "{line:<32} # {}", syn.origin)?;
        }
        writeln!(w, "\n[boosts]")?;
        for b in &c.boosts {
            let line = format!("{} = {}", config::toml_key(&b.glob), b.factor);
            writeln!(w, "{line:<32} # {}", b.origin)?;
        }
        out.finish()?;
        Ok(ExitCode::SUCCESS)
    }

    /// `gloss index`.
    fn index_command(&self, rebuild: bool) -> Result<ExitCode> {
        let (content, dir) = (self.content(), self.index());
        let how = if rebuild {
            Refresh::Rebuild
        } else {
            Refresh::Incremental
        };
        let report = match refresh_with_bar(content, dir, how, false) {
            Err(gloss::error::Error::Locked(_)) => {
                eprintln!(
                    "gloss: another gloss run is indexing {}; waiting for it",
                    dir.display()
                );
                refresh_with_bar(content, dir, how, true)?
            }
            other => other?,
        };
        print_report(&report, true);
        Ok(ExitCode::SUCCESS)
    }

    /// `gloss index --check`: what is stale, missing or corrupt; exit 1 when anything is.
    fn check(&self) -> Result<ExitCode> {
        let (content, dir) = (self.content(), self.index());
        let report = index::check(content, dir)?;
        let mut out = std::io::stdout().lock();
        if report.absent {
            writeln!(out, "no index in {}: run `gloss index`", dir.display())?;
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
        if let Some(why) = &report.read_only {
            writeln!(out, "read-only: {why}")?;
        }
        if report.is_clean() {
            writeln!(out, "{}: up to date and intact", dir.display())?;
            return Ok(ExitCode::SUCCESS);
        }
        if !report.corrupt.is_empty() {
            writeln!(out, "run `gloss index --rebuild` to rebuild it")?;
        } else if !report.absent {
            writeln!(out, "run `gloss index` (or any search) to refresh it")?;
        }
        Ok(ExitCode::from(1))
    }
}

/// `1 note`, `2 notes`.
fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// Most terms on a `see also` line.
const SEE_ALSO: usize = 6;

/// `gloss completions SHELL`.
fn completions(shell: Shell) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut Cli::command(), "gloss", &mut out);
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Sections of the manual page that clap does not generate.
const MAN_ENVIRONMENT: &str = "\
GLOSS_CONTENT   the notes folder (overridden by --content)
GLOSS_INDEX     the index folder (overridden by --index)
GLOSS_CONFIG    the user config file to read instead of <config dir>/gloss/gloss.toml;
                empty: read none
GLOSS_NO_REFRESH  as --no-refresh
NO_COLOR        no colours with --color auto";

const MAN_FILES: &str = "\
<notes>/gloss.toml                 settings for one notes folder
<config dir>/gloss/gloss.toml      settings for every notes folder
                                   (~/.config/gloss/gloss.toml on Linux)

  index = \"../index\"      # relative to the file's folder
  limit = 20
  [synonyms]
  llm = \"large language model\"
  [boosts]
  \"04-rag-*.md\" = 1.5";

/// Text as roff that is printed as it is (no filling, no macros).
fn roff_verbatim(title: &str, text: &str) -> String {
    let mut out = format!(".SH {title}\n.nf\n");
    for line in text.lines() {
        let line = line.replace('\\', "\\e").replace('-', "\\-");
        if line.starts_with(['.', '\'']) {
            out.push_str("\\&");
        }
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(".fi\n");
    out
}

/// A SUBCOMMANDS section: each subcommand with its arguments and what it does.
fn roff_commands(cmd: &clap::Command) -> String {
    let escape = |s: &str| s.replace('\\', "\\e").replace('-', "\\-");
    let mut out = String::from(".SH SUBCOMMANDS\n");
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let args: Vec<String> = sub
            .get_positionals()
            .map(|a| {
                let name = a
                    .get_value_names()
                    .and_then(|v| v.first())
                    .map_or_else(|| a.get_id().to_string().to_uppercase(), |v| v.to_string());
                if a.is_required_set() {
                    format!("{name}...")
                } else {
                    format!("[{name}]")
                }
            })
            .collect();
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        out.push_str(&format!(
            ".TP\n\\fBgloss {}\\fR {}\n{}\n",
            escape(sub.get_name()),
            escape(&args.join(" ")),
            escape(&about)
        ));
    }
    out
}

/// `gloss man`: clap's sections, then examples, environment and files as written.
fn man() -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let cmd = Cli::command();
    let man = clap_mangen::Man::new(cmd);
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    // clap_mangen names a page per subcommand (gloss-search(1)...) that is never written:
    // list the commands here instead.
    out.write_all(roff_commands(&Cli::command()).as_bytes())?;
    let examples = EXAMPLES.strip_prefix("Examples:\n").unwrap_or(EXAMPLES);
    out.write_all(roff_verbatim("EXAMPLES", examples).as_bytes())?;
    out.write_all(roff_verbatim("ENVIRONMENT", MAN_ENVIRONMENT).as_bytes())?;
    out.write_all(roff_verbatim("FILES", MAN_FILES).as_bytes())?;
    man.render_version_section(&mut out)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the command line; returns the exit code.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Completions { shell } => return completions(shell),
        Command::Man => return man(),
        _ => {}
    }
    let g = &cli.global;
    let flags = config::Flags {
        content: g.content.clone(),
        index: g.index.clone(),
        limit: g.limit,
    };
    let config = config::resolve(&flags, &|name| std::env::var_os(name))?;
    for w in &config.warnings {
        eprintln!("gloss: warning: {w}");
    }
    if let (Some(command), Command::Search { query }) = (cli.misspelt, &cli.command) {
        let rest = query.get(1..).unwrap_or_default().join(" ");
        let meant = format!("gloss {command} {rest}");
        eprintln!(
            "gloss: searching for {:?}; did you mean `{}`?",
            shorten(&query.join(" "), 80),
            render::printable(meant.trim_end())
        );
    }
    let run = Run { g, config };
    if !matches!(cli.command, Command::Config) {
        run.check_notes_folder()?;
    }
    match &cli.command {
        Command::Index { check: true, .. } => run.check(),
        Command::Index { rebuild, .. } => run.index_command(*rebuild),
        Command::Terms { prefix } => run.terms(prefix.as_deref()),
        Command::Search { query } => run.query(Mode::Search, query),
        Command::Define { term } => run.query(Mode::Define, term),
        Command::Related { term } => run.related(term),
        Command::Lint => run.lint(),
        Command::Config => run.show_config(),
        Command::Serve(args) => crate::serve_cmd::serve(args, run.config.clone()),
        Command::Watch => crate::serve_cmd::watch(run.content(), run.index()),
        Command::Mcp => crate::mcp::run(crate::mcp::Settings {
            config: run.config,
            refresh: !g.no_refresh,
        }),
        Command::Completions { .. } | Command::Man => unreachable!("handled above"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_events_move_the_bar() {
        let bar = ProgressBar::hidden();
        advance(&bar, Progress::Start { files: 9 });
        assert_eq!((bar.length(), bar.position()), (Some(9), 0));
        advance(&bar, Progress::Parsed { done: 4 });
        assert_eq!(bar.position(), 0);
        assert_eq!(bar.message(), "reading notes");
        advance(&bar, Progress::Added { done: 3 });
        assert_eq!(bar.position(), 3);
        assert_eq!(bar.message(), "indexing");
        advance(&bar, Progress::Committing);
        assert_eq!(bar.position(), 9);
        assert_eq!(bar.message(), "writing the index");
    }

    #[test]
    fn a_bar_off_a_terminal_never_draws_and_finishes_at_once() {
        // Test runs capture stderr: the bar stays hidden and no timer thread is started.
        let bar = Bar::start();
        bar.update(Progress::Start { files: 2 });
        assert!(bar.bar.is_hidden());
        let started = std::time::Instant::now();
        bar.finish();
        assert!(started.elapsed() < PROGRESS_DELAY);
    }

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn new_subcommands_and_value_flags_keep_the_query_shorthand() {
        let args = |v: &[&str]| -> Vec<String> {
            with_default_subcommand(v.iter().map(Into::into).collect())
                .into_iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(args(&["gloss", "lint"]), ["gloss", "lint"]);
        assert_eq!(
            args(&["gloss", "--in", "04-rag", "token"]),
            ["gloss", "--in", "04-rag", "search", "token"]
        );
        assert_eq!(
            args(&["gloss", "--context", "section", "token"]),
            ["gloss", "--context", "section", "search", "token"]
        );
    }

    fn argv(v: &[&str]) -> Vec<std::ffi::OsString> {
        with_default_subcommand(v.iter().map(Into::into).collect())
    }

    #[test]
    fn an_everyday_query_is_read_without_clap_as_clap_reads_it() {
        let same = [
            &["gloss", "token"][..],
            &[
                "gloss", "search", "--format", "json", "-n", "10", "--", "token",
            ],
            &[
                "gloss",
                "--content",
                "notes",
                "--index",
                "idx",
                "define",
                "fine",
                "tuning",
            ],
            &[
                "gloss",
                "search",
                "--limit",
                "3",
                "--in",
                "04-rag",
                "--in",
                "sub/",
                "embedding",
            ],
            &["gloss", "--tag", "kubernetes", "define", "pod"],
            &[
                "gloss",
                "--format",
                "md",
                "--color",
                "never",
                "search",
                "self",
                "attention",
            ],
            &[
                "gloss",
                "--no-refresh",
                "--force",
                "-o",
                "out.json",
                "search",
                "réseau",
            ],
            &["gloss", "search", "--", "-n", "--format", "--"],
            &[
                "gloss", "define", "--format", "jsonl", "--color", "always", "rag",
            ],
            &["gloss", "-n", "+7", "search", "token"],
        ];
        for v in same {
            let plain = parse_plain(&argv(v)).unwrap_or_else(|| panic!("{v:?} left to clap"));
            let clap = Cli::try_parse_from(argv(v)).unwrap();
            assert_eq!(format!("{plain:?}"), format!("{clap:?}"), "{v:?}");
        }
    }

    #[test]
    fn any_other_command_line_is_left_to_clap() {
        let others = [
            &["gloss"][..],
            &["gloss", "--help"],
            &["gloss", "--version"],
            &["gloss", "search", "-h"],
            &["gloss", "lint"],
            &["gloss", "terms", "--prefix", "re"],
            &["gloss", "search"],
            &["gloss", "search", "--format=json", "token"],
            &["gloss", "search", "--format", "bogus", "token"],
            &["gloss", "search", "--format", "JSON", "token"],
            &[
                "gloss", "search", "--format", "json", "--format", "csv", "token",
            ],
            &["gloss", "-n", "5", "search", "--limit", "6", "token"],
            &["gloss", "search", "-n", "0", "token"],
            &["gloss", "search", "-n", "ten", "token"],
            &["gloss", "search", "-n10", "token"],
            &["gloss", "search", "--context", "2", "token"],
            &["gloss", "search", "--content", "-x", "token"],
            &["gloss", "search", "--content", "", "token"],
            &["gloss", "search", "token", "--format", "json"],
            &["gloss", "search", "token", "--", "more"],
            &["gloss", "search", "--force", "--force", "token"],
            &["gloss", "search", "-", "token"],
            &["gloss", "--", "token"],
            &["gloss", "search", "--index"],
        ];
        for v in others {
            assert!(parse_plain(&argv(v)).is_none(), "{v:?}");
        }
    }

    /// The flags `parse_plain` reads: long name, short name, and whether it takes a value
    /// and may be repeated.
    const PLAIN: &[(&str, Option<char>, bool, bool)] = &[
        ("content", None, true, false),
        ("index", None, true, false),
        ("limit", Some('n'), true, false),
        ("format", None, true, false),
        ("output", Some('o'), true, false),
        ("force", None, false, false),
        ("color", None, true, false),
        ("no-refresh", None, false, false),
        ("in", None, true, true),
        ("tag", None, true, true),
    ];

    #[test]
    fn the_plain_reading_matches_clap_s_definition_of_every_flag() {
        let mut cli = Cli::command();
        cli.build();
        let search = cli.find_subcommand("search").unwrap();
        let mut known = 0;
        for arg in search.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
            let Some(&(_, short, value, repeated)) = PLAIN.iter().find(|p| p.0 == long) else {
                // A flag parse_plain does not read makes it leave the line to clap.
                let mut line = vec!["gloss", "search"];
                let flag = format!("--{long}");
                line.push(&flag);
                if takes_value {
                    line.push("2");
                }
                line.push("token");
                assert!(
                    parse_plain(&argv(&line)).is_none(),
                    "--{long} read without clap"
                );
                continue;
            };
            known += 1;
            assert_eq!(arg.get_short(), short, "--{long}");
            assert_eq!(takes_value, value, "--{long} takes a value");
            let appends = matches!(arg.get_action(), clap::ArgAction::Append);
            assert_eq!(appends, repeated, "--{long} repeated");
            let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
            let expected_env = (long == "no-refresh").then(|| "GLOSS_NO_REFRESH".to_string());
            assert_eq!(env, expected_env, "--{long}'s env");
            let defaults: Vec<_> = arg.get_default_values().iter().collect();
            let expected: &[&str] = match long {
                "format" => &["text"],
                "color" => &["auto"],
                "force" | "no-refresh" => &["false"],
                _ => &[],
            };
            assert_eq!(defaults, expected, "--{long}'s default");
        }
        assert_eq!(known, PLAIN.len());
        // Every flag parse_plain reads, on one line, reads as clap reads it.
        let all = [
            "gloss",
            "--content",
            "c",
            "--index",
            "i",
            "-n",
            "4",
            "--format",
            "csv",
            "-o",
            "o",
            "--force",
            "--color",
            "always",
            "--no-refresh",
            "--in",
            "a",
            "--in",
            "b",
            "--tag",
            "t",
            "define",
            "rag",
        ];
        let plain = parse_plain(&argv(&all)).unwrap();
        let clap = Cli::try_parse_from(argv(&all)).unwrap();
        assert_eq!(format!("{plain:?}"), format!("{clap:?}"));
    }
}
