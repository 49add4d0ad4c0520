//! `gloss mcp`: the glossary as tools for AI assistants, over the Model Context Protocol
//! (JSON-RPC 2.0 on stdin and stdout, one message per line), built on `rmcp`.
//!
//! Five tools: `define`, `search`, `related`, `terms` and `context`. Each call refreshes the
//! index as a command-line query does, asks the library, and answers with readable text and
//! the same facts as structured content. Bad arguments are tool errors (`isError: true`
//! with a message), never a protocol failure or a crash. Only protocol messages go to
//! stdout; index reports and notices go to stderr. The server ends when stdin closes.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListResourceTemplatesResult, ListToolsResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, ResourceContents,
    ResourceTemplate, ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use gloss::context::{self, Context as ContextSize};
use gloss::index::{self, Report};
use gloss::lookup::{self, Notice};
use gloss::{render, Config, Hit, Kind, Mode, Node, Request, Scope, Store, TermsRequest};

/// What the server needs from the command line: the settings in force (notes folder,
/// index folder, limit, synonyms, boosts) and whether calls check the notes for changes.
pub struct Settings {
    /// The settings resolved from flags, environment and `gloss.toml`.
    pub config: Config,
    /// Check the notes for changes before each call (false with `--no-refresh`).
    pub refresh: bool,
}

impl Settings {
    fn content(&self) -> &Path {
        &self.config.content.value
    }
}

/// Runs the server on stdin/stdout until the client closes stdin.
pub fn run(settings: Settings) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the MCP server's runtime")?;
    runtime.block_on(async {
        let server = Gloss::new(settings)
            .serve(rmcp::transport::stdio())
            .await
            .context("starting the MCP session")?;
        server.waiting().await.context("running the MCP session")?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The MCP server: the settings, shared by the calls it answers.
#[derive(Clone)]
pub struct Gloss {
    settings: Arc<Settings>,
    /// Calls refresh the index one at a time, so two calls of one client do not race.
    refreshing: Arc<Mutex<()>>,
}

/// Most hits `define` and `search` return, and most terms `terms` lists.
const MAX_LIMIT: usize = 100;
/// Default number of definitions `define` returns.
const DEFINE_LIMIT: usize = 5;
/// Default number of terms `terms` lists.
const TERMS_LIMIT: usize = 100;
/// Longest definition excerpt in a `terms` listing, in characters.
const SUMMARY_CHARS: usize = 200;

/// Notes as MCP resources: `gloss://` then the path a hit gives, optionally `#L12`.
const URI_SCHEME: &str = "gloss://";

const INSTRUCTIONS: &str = "gloss searches the user's own markdown study notes. Use `define` \
for 'what is X' (definitions only, best first), `search` for anything broader (definitions, \
then passages), `related` for the terms a definition mentions and the definitions that \
mention it, `terms` to browse the glossary, and `context` to read the lines around a \
file:line before answering. Cite answers as file:line.";

// ---------------------------------------------------------------------------------------
// Arguments: what each tool takes (their JSON Schemas are generated from these types).

/// Arguments of `define`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct DefineArgs {
    /// The term to define: a name or an alias, in any case; small typos and plurals are
    /// forgiven. Several words are one term ("foundation model").
    term: String,
    /// Most definitions to return (1-100, default 5).
    #[schemars(range(min = 1, max = 100))]
    limit: Option<usize>,
}

/// Arguments of `search`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SearchArgs {
    /// Words to search for; definitions come first, then passages.
    query: String,
    /// Most hits to return (1-100, default the notes folder's `limit`, usually 10).
    #[schemars(range(min = 1, max = 100))]
    limit: Option<usize>,
    /// Only hits in these notes: paths or their starts ("04-rag", "sub/") or globs
    /// ("0[1-3]-*.md"), relative to the notes folder; a hit in any of them counts.
    #[serde(default)]
    scope: Vec<String>,
    /// Only hits in notes whose front matter `tags` include one of these.
    #[serde(default)]
    tags: Vec<String>,
}

/// Arguments of `related`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RelatedArgs {
    /// The term: a name or an alias (a typo finds its best definition).
    term: String,
    /// Most terms in each list (1-100, default all).
    #[schemars(range(min = 1, max = 100))]
    limit: Option<usize>,
}

/// Arguments of `terms`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct TermsArgs {
    /// Only terms starting with this (case, accents and hyphens ignored).
    prefix: Option<String>,
    /// Most terms to list (1-100, default 100); `total` says how many there are.
    #[schemars(range(min = 1, max = 100))]
    limit: Option<usize>,
}

/// Arguments of `context`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ContextArgs {
    /// The note, relative to the notes folder, as a hit's `file` gives it.
    file: String,
    /// A 1-based line in it, as a hit's `line` gives it.
    #[schemars(range(min = 1))]
    line: usize,
    /// Lines either side of `line` (0-200); without it, the whole section holding the
    /// line (from its heading to the next heading of the same or a higher level).
    #[schemars(range(max = 200))]
    lines: Option<usize>,
}

// ---------------------------------------------------------------------------------------
// Results: the structured content of each tool (also described by output schemas).

/// One definition or passage.
#[derive(Debug, Serialize, JsonSchema)]
struct Entry {
    /// 1-based rank.
    rank: usize,
    /// `definition` or `passage`.
    kind: String,
    /// The term defined (definitions only).
    #[serde(skip_serializing_if = "Option::is_none")]
    term: Option<String>,
    /// Other names of the term.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
    /// The whole definition or passage, as written in the note.
    text: String,
    /// The headings above it, outermost first.
    heading_path: Vec<String>,
    /// The note, relative to the notes folder.
    file: String,
    /// The 1-based line where it starts.
    line: usize,
    /// `file:line`, for citing.
    source: String,
    /// The note as an MCP resource (`gloss://FILE#LLINE`), to read it whole.
    uri: String,
}

/// What `define` and `search` answer.
#[derive(Debug, Serialize, JsonSchema)]
struct Found {
    /// The term or query as given.
    query: String,
    /// Ranked hits: definitions first, then passages (`define`: definitions only).
    hits: Vec<Entry>,
    /// Terms close to the query, when nothing was found.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suggestions: Vec<String>,
    /// Notes about the index (for example that it was rebuilt).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notices: Vec<String>,
}

/// A term in the related-terms graph.
#[derive(Debug, Serialize, JsonSchema)]
struct TermRef {
    /// The term.
    term: String,
    /// Other names of the term.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
    /// The note of its first definition.
    file: String,
    /// The line of its first definition.
    line: usize,
    /// `file:line`, for citing.
    source: String,
}

/// What `related` answers.
#[derive(Debug, Serialize, JsonSchema)]
struct Related {
    /// The term found for the name given.
    term: TermRef,
    /// Terms its definitions mention, in order of first mention.
    mentions: Vec<TermRef>,
    /// Terms whose definitions mention it, A-Z.
    mentioned_by: Vec<TermRef>,
    /// Notes about the index.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notices: Vec<String>,
}

/// One line of the glossary.
#[derive(Debug, Serialize, JsonSchema)]
struct GlossaryEntry {
    /// The term.
    term: String,
    /// Other names of the term.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
    /// The start of its definition (the whole of it with `define`).
    summary: String,
    /// The note.
    file: String,
    /// The line of the definition.
    line: usize,
    /// `file:line`, for citing.
    source: String,
}

/// What `terms` answers.
#[derive(Debug, Serialize, JsonSchema)]
struct Glossary {
    /// The prefix given (empty for all).
    prefix: String,
    /// Definitions in the glossary with that prefix.
    total: usize,
    /// The first of them A-Z (at most `limit`).
    terms: Vec<GlossaryEntry>,
    /// Notes about the index.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notices: Vec<String>,
}

/// What `context` answers.
#[derive(Debug, Serialize, JsonSchema)]
struct Excerpt {
    /// The note.
    file: String,
    /// The line asked about.
    line: usize,
    /// The first line of the excerpt.
    first: usize,
    /// The last line of the excerpt.
    last: usize,
    /// The lines, as in the note.
    text: String,
    /// `file:first-last`, for citing.
    source: String,
}

// ---------------------------------------------------------------------------------------
// The tools.

/// A tool call that could not be answered: the message the assistant reads.
struct Failure(String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(err: E) -> Failure {
        Failure(one_line(&err.to_string()))
    }
}

type Reply = std::result::Result<CallToolResult, Failure>;

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The tools, with descriptions and argument and result schemas.
fn tools() -> Vec<Tool> {
    let read_only = |title: &str| {
        ToolAnnotations::with_title(title)
            .read_only(true)
            .destructive(false)
            .idempotent(true)
            .open_world(false)
    };
    vec![
        Tool::new(
            "define",
            "The best definitions of a term in the user's notes, best first: the term, its \
             aliases, the whole definition, its heading path and file:line. Forgives case, \
             plurals and small typos; an empty list comes with `suggestions`.",
            rmcp::handler::server::tool::schema_for_input::<DefineArgs>().unwrap_or_default(),
        )
        .with_output_schema::<Found>()
        .with_annotations(read_only("Define a term")),
        Tool::new(
            "search",
            "Search the user's notes: definitions first, then passages, each with its whole \
             text, heading path and file:line. Optionally only in some notes (`scope`) or \
             tags.",
            rmcp::handler::server::tool::schema_for_input::<SearchArgs>().unwrap_or_default(),
        )
        .with_output_schema::<Found>()
        .with_annotations(read_only("Search the notes")),
        Tool::new(
            "related",
            "The terms a term's definition mentions, and the terms whose definitions mention \
             it, each with file:line.",
            rmcp::handler::server::tool::schema_for_input::<RelatedArgs>().unwrap_or_default(),
        )
        .with_output_schema::<Related>()
        .with_annotations(read_only("Related terms")),
        Tool::new(
            "terms",
            "The glossary A-Z: every defined term (optionally only those starting with a \
             prefix) with the start of its definition and file:line.",
            rmcp::handler::server::tool::schema_for_input::<TermsArgs>().unwrap_or_default(),
        )
        .with_output_schema::<Glossary>()
        .with_annotations(read_only("List the glossary")),
        Tool::new(
            "context",
            "The lines of a note around a file:line from another tool: the whole section \
             holding it, or N lines either side. Read it before answering from a hit.",
            rmcp::handler::server::tool::schema_for_input::<ContextArgs>().unwrap_or_default(),
        )
        .with_output_schema::<Excerpt>()
        .with_annotations(read_only("Read around a line")),
    ]
}

/// The arguments of a call as `T`; a missing field, a wrong type or an unknown name is a
/// message for the assistant.
fn parse<T: DeserializeOwned>(tool: &str, args: Option<JsonObject>) -> Result<T, Failure> {
    let args = serde_json::Value::Object(args.unwrap_or_default());
    serde_json::from_value(args).map_err(|e| {
        Failure(format!(
            "invalid arguments for `{tool}`: {}",
            one_line(&e.to_string())
        ))
    })
}

/// `text` trimmed; an error naming the argument when nothing is left.
fn required(tool: &str, name: &str, text: &str) -> Result<String, Failure> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Failure(format!(
            "`{tool}`: `{name}` is empty: give at least one word"
        )));
    }
    Ok(text.to_string())
}

/// `limit` when it is within 1..=MAX_LIMIT, else the default; an error when out of range.
fn limit(tool: &str, limit: Option<usize>, default: usize) -> Result<usize, Failure> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(Failure(format!(
            "`{tool}`: `limit` must be between 1 and {MAX_LIMIT}, not {n}"
        ))),
    }
}

/// A result with readable text and structured content.
fn reply<T: Serialize>(text: String, value: &T) -> Reply {
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(serde_json::to_value(value)?);
    Ok(result)
}

fn source(file: &str, line: usize) -> String {
    format!("{file}:{line}")
}

impl Gloss {
    /// A server for these settings.
    pub fn new(settings: Settings) -> Gloss {
        Gloss {
            settings: Arc::new(settings),
            refreshing: Arc::new(Mutex::new(())),
        }
    }

    /// Answers one call; runs on the blocking pool.
    fn call(&self, name: &str, args: Option<JsonObject>) -> CallToolResult {
        let reply = match name {
            "define" => parse(name, args).and_then(|a| self.define(a)),
            "search" => parse(name, args).and_then(|a| self.search(a)),
            "related" => parse(name, args).and_then(|a| self.related(a)),
            "terms" => parse(name, args).and_then(|a| self.terms(a)),
            "context" => parse(name, args).and_then(|a| self.context(a)),
            other => Err(Failure(format!("no tool named {other:?}"))),
        };
        reply.unwrap_or_else(|Failure(message)| {
            CallToolResult::error(vec![ContentBlock::text(message)])
        })
    }

    /// Opens the index as a command-line query does (refreshed first unless `--no-refresh`);
    /// what the refresh reported goes to stderr and into the notices returned.
    fn open_store(&self) -> Result<(Store, Vec<String>), Failure> {
        let s = &self.settings;
        let _one_at_a_time = self.refreshing.lock().unwrap_or_else(|e| e.into_inner());
        let (content, dir) = (s.content(), s.config.index.value.as_path());
        // As for a command-line query: a live `gloss watch`/`gloss serve` keeps it fresh.
        let check = s.refresh && !gloss::watch::is_watched(dir, content);
        let fresh = index::ensure_fresh_with_progress(content, dir, check, &|_| {});
        let (store, report, notice) = fresh.map_err(|e| {
            Failure(format!(
                "opening the index for notes in {}: {}",
                s.content().display(),
                one_line(&e.to_string())
            ))
        })?;
        let mut notices = Vec::new();
        if let Some(report) = &report {
            notices.extend(report_notices(report));
        }
        notices.extend(notice);
        for n in &notices {
            eprintln!("gloss: {}", render::printable(n));
        }
        Ok((store, notices))
    }

    /// A lookup as `gloss search`/`define` makes it: the settings' synonyms and boosts,
    /// the call's limit and scope.
    fn request(&self, query: String, mode: Mode, limit: usize, scope: Scope) -> Request {
        Request {
            limit,
            scope,
            ..Request::configured(query, mode, &self.settings.config)
        }
    }

    fn define(&self, args: DefineArgs) -> Reply {
        let term = required("define", "term", &args.term)?;
        let limit = limit("define", args.limit, DEFINE_LIMIT)?;
        let request = self.request(term, Mode::Define, limit, Scope::default());
        let (store, notices) = self.open_store()?;
        found(
            lookup::lookup(&store, &request)?,
            notices,
            "no definition for",
        )
    }

    fn search(&self, args: SearchArgs) -> Reply {
        let query = required("search", "query", &args.query)?;
        let limit = limit("search", args.limit, self.settings.config.limit.value)?;
        let typed = self.settings.content().to_string_lossy();
        let scope = Scope::new(&args.scope, &args.tags, &typed)?;
        let request = self.request(query, Mode::Search, limit, scope);
        let (store, notices) = self.open_store()?;
        found(lookup::lookup(&store, &request)?, notices, "no results for")
    }

    fn related(&self, args: RelatedArgs) -> Reply {
        let name = required("related", "term", &args.term)?;
        let cap = args
            .limit
            .map(|n| limit("related", Some(n), n))
            .transpose()?;
        let (store, notices) = self.open_store()?;
        let Some(found) = lookup::related(&store, &name, cap)? else {
            return Err(Failure(format!("no definition for {name:?}")));
        };
        let related = Related {
            term: term_ref(&found.term),
            mentions: found.mentions.iter().map(term_ref).collect(),
            mentioned_by: found.mentioned_by.iter().map(term_ref).collect(),
            notices,
        };
        reply(related_text(&related), &related)
    }

    fn terms(&self, args: TermsArgs) -> Reply {
        let limit = limit("terms", args.limit, TERMS_LIMIT)?;
        let prefix = args.prefix.unwrap_or_default().trim().to_string();
        let request = TermsRequest {
            prefix: Some(prefix.clone()),
            ..TermsRequest::default()
        };
        let (store, notices) = self.open_store()?;
        let listed = lookup::terms(&store, &request)?.results.hits;
        let glossary = Glossary {
            prefix,
            total: listed.len(),
            terms: listed.iter().take(limit).map(glossary_entry).collect(),
            notices,
        };
        reply(glossary_text(&glossary), &glossary)
    }

    fn context(&self, args: ContextArgs) -> Reply {
        let file = required("context", "file", &args.file)?;
        if args.line == 0 {
            return Err(Failure(
                "`context`: `line` is 1-based: 1 is the first line".into(),
            ));
        }
        let size = match args.lines {
            Some(n) if n > 200 => {
                return Err(Failure(format!(
                    "`context`: `lines` must be at most 200, not {n}"
                )))
            }
            Some(n) => ContextSize::Lines(n),
            None => ContextSize::Section,
        };
        let content = self.settings.content();
        let Some(excerpt) = lookup::context(content, &file, args.line, size) else {
            return Err(Failure(no_context(content, &file, args.line)));
        };
        let last = excerpt.first + excerpt.lines.len().saturating_sub(1);
        let excerpt = Excerpt {
            source: format!("{file}:{}-{last}", excerpt.first),
            file,
            line: args.line,
            first: excerpt.first,
            last,
            text: excerpt.lines.join("\n"),
        };
        reply(excerpt_text(&excerpt), &excerpt)
    }
}

/// Why there are no lines at `file:line`: no such readable note, or no such line.
fn no_context(content: &Path, file: &str, line: usize) -> String {
    match context::read(content, file) {
        None => {
            format!("no readable note {file:?} in the notes folder (give `file` as a hit gives it)")
        }
        Some(note) => format!(
            "{file} has {} lines; line {line} is not one of them",
            note.lines().count()
        ),
    }
}

/// What an index run reported that an assistant (and the stderr log) should know.
fn report_notices(report: &Report) -> Vec<String> {
    let mut out: Vec<String> = report
        .warnings
        .iter()
        .map(|w| format!("warning: {w}"))
        .collect();
    out.extend(report.notice.clone());
    if report.rebuilt {
        out.push(format!(
            "indexed {} of {} files ({} definitions, {} passages)",
            report.indexed, report.files, report.definitions, report.passages
        ));
    }
    out
}

fn entry(hit: &Hit) -> Entry {
    Entry {
        rank: hit.rank,
        kind: hit.kind.as_str().to_string(),
        term: hit.term.clone(),
        aliases: hit.aliases.clone(),
        text: hit.text.clone(),
        heading_path: hit.heading_path.clone(),
        file: hit.file.clone(),
        line: hit.line,
        source: source(&hit.file, hit.line),
        uri: format!("{URI_SCHEME}{}#L{}", hit.file, hit.line),
    }
}

fn term_ref(node: &Node) -> TermRef {
    TermRef {
        term: node.term.clone(),
        aliases: node.aliases.clone(),
        file: node.file.clone(),
        line: node.line,
        source: source(&node.file, node.line),
    }
}

fn glossary_entry(hit: &Hit) -> GlossaryEntry {
    let summary = match hit.text.char_indices().nth(SUMMARY_CHARS) {
        Some((at, _)) => format!("{}\u{2026}", &hit.text[..at]),
        None => hit.text.clone(),
    };
    GlossaryEntry {
        term: hit.term.clone().unwrap_or_default(),
        aliases: hit.aliases.clone(),
        summary,
        file: hit.file.clone(),
        line: hit.line,
        source: source(&hit.file, hit.line),
    }
}

/// The answer of `define` or `search`; nothing found is an answer too (with suggestions).
fn found(answer: gloss::Answer, mut notices: Vec<String>, none: &str) -> Reply {
    notices.extend(answer.notices.iter().map(notice_text));
    let results = answer.results;
    let found = Found {
        hits: results.hits.iter().map(entry).collect(),
        suggestions: if results.hits.is_empty() {
            results.suggestions
        } else {
            Vec::new()
        },
        query: results.query,
        notices,
    };
    reply(found_text(&found, none), &found)
}

/// A lookup's notice as a sentence.
fn notice_text(notice: &Notice) -> String {
    match notice {
        Notice::Expanded { queries } => format!("also searched: {}", queries.join("; ")),
        Notice::EmptyScope => "no note is in the scope given".to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// Readable text: what an assistant (or a person reading its log) sees first.

fn names(term: &str, aliases: &[String]) -> String {
    if aliases.is_empty() {
        term.to_string()
    } else {
        format!("{term} (also: {})", aliases.join(", "))
    }
}

fn found_text(found: &Found, none: &str) -> String {
    let mut out = String::new();
    if found.hits.is_empty() {
        let _ = write!(out, "{none} {:?}", found.query);
        if !found.suggestions.is_empty() {
            let _ = write!(out, "; did you mean: {}", found.suggestions.join(", "));
        }
        out.push('\n');
    }
    for e in &found.hits {
        let what = match (&e.term, e.kind == Kind::Definition.as_str()) {
            (Some(term), true) => names(term, &e.aliases),
            _ => "passage".to_string(),
        };
        let _ = writeln!(out, "{}. {what} — {}", e.rank, e.source);
        if !e.heading_path.is_empty() {
            let _ = writeln!(out, "   in: {}", e.heading_path.join(" > "));
        }
        for line in e.text.lines() {
            let _ = writeln!(out, "   {line}");
        }
    }
    notices_text(&mut out, &found.notices);
    out
}

fn related_text(r: &Related) -> String {
    let mut out = format!(
        "{} — {}\n",
        names(&r.term.term, &r.term.aliases),
        r.term.source
    );
    for (label, list) in [("mentions", &r.mentions), ("mentioned by", &r.mentioned_by)] {
        if list.is_empty() {
            let _ = writeln!(out, "{label}: none");
            continue;
        }
        let _ = writeln!(out, "{label}:");
        for t in list {
            let _ = writeln!(out, "  {} — {}", t.term, t.source);
        }
    }
    notices_text(&mut out, &r.notices);
    out
}

fn glossary_text(g: &Glossary) -> String {
    let mut out = String::new();
    if g.terms.is_empty() {
        if g.prefix.is_empty() {
            out.push_str("no terms defined in the notes\n");
        } else {
            let _ = writeln!(out, "no terms starting with {:?}", g.prefix);
        }
    }
    for t in &g.terms {
        let _ = writeln!(
            out,
            "{} — {}: {}",
            names(&t.term, &t.aliases),
            t.source,
            t.summary
        );
    }
    if g.terms.len() < g.total {
        let _ = writeln!(
            out,
            "({} of {} terms; raise `limit` or give a `prefix`)",
            g.terms.len(),
            g.total
        );
    }
    notices_text(&mut out, &g.notices);
    out
}

fn excerpt_text(e: &Excerpt) -> String {
    let mut out = format!("{}\n", e.source);
    for (n, line) in (e.first..).zip(e.text.lines()) {
        let mark = if n == e.line { '>' } else { ' ' };
        let _ = writeln!(out, "{mark}{n:>5} | {line}");
    }
    out
}

fn notices_text(out: &mut String, notices: &[String]) {
    for n in notices {
        let _ = writeln!(out, "(gloss: {n})");
    }
}

impl ServerHandler for Gloss {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("gloss", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools()))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let note = ResourceTemplate::new(format!("{URI_SCHEME}{{+file}}"), "note")
            .with_description(
                "A note of the notes folder, whole, by the path hits give (`file`); the `uri` \
                 of a hit adds `#L12` for its line.",
            )
            .with_mime_type("text/markdown");
        Ok(ListResourceTemplatesResult::with_all_items(vec![note]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri;
        let not_found = || {
            ErrorData::resource_not_found(
                format!("no readable note at {uri:?} (expected gloss://FILE as hits give it)"),
                None,
            )
        };
        let Some(rest) = uri.strip_prefix(URI_SCHEME) else {
            return Err(not_found());
        };
        let file = rest.split('#').next().unwrap_or_default().to_string();
        let content = self.settings.content().to_path_buf();
        let text = tokio::task::spawn_blocking(move || context::read(&content, &file))
            .await
            .ok()
            .flatten()
            .ok_or_else(not_found)?;
        let contents = ResourceContents::TextResourceContents {
            uri: uri.clone(),
            mime_type: Some("text/markdown".into()),
            text,
            meta: None,
        };
        Ok(ReadResourceResult::new(vec![contents]).into())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if !tools().iter().any(|t| t.name == request.name) {
            return Err(ErrorData::invalid_params(
                format!("no tool named {:?}", request.name),
                None,
            ));
        }
        let server = self.clone();
        let name: Cow<'static, str> = request.name;
        let args = request.arguments;
        // A panic in the engine (a damaged index) ends this call, not the server.
        let result = tokio::task::spawn_blocking(move || server.call(&name, args))
            .await
            .unwrap_or_else(|_| {
                CallToolResult::error(vec![ContentBlock::text(
                    "internal error; if the index is damaged, `gloss index --rebuild` rebuilds it",
                )])
            });
        Ok(result.into())
    }
}
