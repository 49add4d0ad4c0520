//! Export: every `--format` parsed back by an independent parser (serde_json, the csv
//! reader, scraper for HTML, a CommonMark parser, Anki's tab-separated reading), the shipped
//! notes and a hostile note alike; `gloss terms`; `--output`; a reader that stops early.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use predicates::prelude::*;
use pulldown_cmark::{Event, Parser, Tag};
use scraper::{Html, Selector};
use serde_json::Value;

use crate::common::{copy_dir, root, Sandbox};

const FORMATS: [&str; 7] = ["text", "json", "jsonl", "csv", "markdown", "html", "anki"];

/// The Anki header lines, as Anki's text import documents them.
const ANKI_HEADER: [&str; 4] = [
    "#separator:tab",
    "#html:true",
    "#guid column:1",
    "#tags column:4",
];

/// The shipped notes, indexed once for all the tests here.
fn shipped() -> &'static Sandbox {
    static SHIPPED: OnceLock<Sandbox> = OnceLock::new();
    SHIPPED.get_or_init(|| {
        let sb = Sandbox::empty();
        copy_dir(&root().join("content"), &sb.notes());
        sb.gloss(&["index"]).assert().code(0);
        sb
    })
}

fn hostile() -> Sandbox {
    Sandbox::new("hostile-export")
}

/// Runs gloss, expects `code`, returns stdout.
fn run(sb: &Sandbox, args: &[&str], code: i32) -> String {
    let out = sb.gloss(args).output().expect("run gloss");
    assert_eq!(
        out.status.code(),
        Some(code),
        "gloss {args:?}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn export(sb: &Sandbox, args: &[&str], format: &str) -> String {
    let mut all = args.to_vec();
    all.extend(["--format", format, "--color", "never"]);
    run(sb, &all, 0)
}

/// The JSON hits of a command, the reference the other formats are checked against.
fn json_hits(sb: &Sandbox, args: &[&str]) -> Vec<Value> {
    let v: Value = serde_json::from_str(&export(sb, args, "json")).expect("JSON");
    v["hits"].as_array().expect("hits").clone()
}

fn str_of<'a>(hit: &'a Value, field: &str) -> &'a str {
    hit[field].as_str().unwrap_or("")
}

fn heading_path(hit: &Value) -> String {
    hit["heading_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect::<Vec<_>>()
        .join(" \u{203a} ")
}

/// `Term (alias, alias)` as the text, HTML and Markdown formats title a definition.
fn title(hit: &Value) -> String {
    let aliases: Vec<&str> = hit["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    if aliases.is_empty() {
        str_of(hit, "term").to_string()
    } else {
        format!("{} ({})", str_of(hit, "term"), aliases.join(", "))
    }
}

fn check_jsonl(out: &str, hits: &[Value]) {
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines, hits);
}

fn check_csv(out: &str, hits: &[Value]) {
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header,
        [
            "rank",
            "kind",
            "term",
            "aliases",
            "file",
            "line",
            "heading_path",
            "snippet",
            "text"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("CSV row")).collect();
    assert_eq!(rows.len(), hits.len());
    for (row, hit) in rows.iter().zip(hits) {
        assert_eq!(row.len(), 9);
        assert_eq!(&row[0], hit["rank"].to_string());
        assert_eq!(&row[1], str_of(hit, "kind"));
        assert_eq!(&row[2], str_of(hit, "term"));
        let aliases: Vec<&str> = hit["aliases"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert_eq!(&row[3], aliases.join("; "));
        assert_eq!(&row[4], str_of(hit, "file"));
        assert_eq!(&row[5], hit["line"].to_string());
        assert_eq!(row[6], heading_path(hit));
        assert_eq!(&row[7], str_of(hit, "snippet"));
        assert_eq!(&row[8], str_of(hit, "text"));
    }
}

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&Selector::parse(css).unwrap()).collect()
}

fn select_in<'a>(e: &scraper::ElementRef<'a>, css: &str) -> Vec<scraper::ElementRef<'a>> {
    e.select(&Selector::parse(css).unwrap()).collect()
}

fn text_of(e: &scraper::ElementRef) -> String {
    e.text().collect()
}

/// A page that nothing in it can turn active: no scripts, frames, objects, images, event
/// handlers or links out of the page.
fn check_inert(doc: &Html) {
    for css in [
        "script", "img", "iframe", "object", "embed", "link", "base", "form",
    ] {
        assert!(select(doc, css).is_empty(), "a <{css}> in the page");
    }
    for e in select(doc, "*") {
        for (name, value) in e.value().attrs() {
            assert!(!name.starts_with("on"), "event handler {name}={value}");
            if name == "href" {
                assert!(value.starts_with('#'), "link out of the page: {value}");
            }
        }
    }
    assert_eq!(select(doc, "style").len(), 1);
    assert!(select(doc, "body")[0].children().count() > 0);
}

fn check_html_glossary(out: &str, hits: &[Value]) {
    assert!(out.starts_with("<!DOCTYPE html>"));
    let doc = Html::parse_document(out);
    assert!(doc.errors.is_empty(), "HTML parse errors: {:?}", doc.errors);
    check_inert(&doc);
    let terms = select(&doc, "dt");
    assert_eq!(terms.len(), hits.len());
    for ((dt, dd), hit) in terms.iter().zip(select(&doc, "dd")).zip(hits) {
        assert_eq!(text_of(dt), title(hit));
        let paragraphs = select_in(&dd, "p");
        assert_eq!(text_of(&paragraphs[0]), str_of(hit, "text"));
        assert!(text_of(&paragraphs[1]).starts_with(&format!(
            "{}:{}",
            str_of(hit, "file"),
            hit["line"]
        )));
    }
    // One anchor per term, unique, each linking to itself.
    let ids: Vec<&str> = terms.iter().map(|dt| dt.value().id().unwrap()).collect();
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
    // The jump bar links to letter sections that exist.
    let sections: HashSet<&str> = select(&doc, "section[id]")
        .iter()
        .map(|s| s.value().id().unwrap())
        .collect();
    let jumps = select(&doc, "nav a");
    assert!(!jumps.is_empty());
    for a in jumps {
        let target = a.value().attr("href").unwrap().trim_start_matches('#');
        assert!(sections.contains(target), "jump to missing #{target}");
    }
}

fn check_html_hits(out: &str, hits: &[Value]) {
    let doc = Html::parse_document(out);
    assert!(doc.errors.is_empty(), "HTML parse errors: {:?}", doc.errors);
    check_inert(&doc);
    let articles = select(&doc, "article");
    assert_eq!(articles.len(), hits.len());
    for (article, hit) in articles.iter().zip(hits) {
        let snippet = &select_in(article, "p.snippet")[0];
        assert_eq!(text_of(snippet), str_of(hit, "snippet"));
        let s = str_of(hit, "snippet");
        let marked: Vec<String> = select_in(article, "mark").iter().map(text_of).collect();
        let expected: Vec<&str> = hit["highlights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &s[r[0].as_u64().unwrap() as usize..r[1].as_u64().unwrap() as usize])
            .collect();
        assert_eq!(marked, expected);
    }
}

/// The markdown as a CommonMark parser (every extension on) sees it: plain text of each
/// paragraph, and the elements opened.
fn parse_markdown(out: &str) -> (Vec<String>, Vec<String>) {
    let options =
        pulldown_cmark::Options::all() - pulldown_cmark::Options::ENABLE_SMART_PUNCTUATION;
    let mut paragraphs = Vec::new();
    let mut current = String::new();
    let mut elements = Vec::new();
    for event in Parser::new_ext(out, options) {
        match event {
            Event::Start(Tag::Paragraph) => current.clear(),
            Event::End(pulldown_cmark::TagEnd::Paragraph) => paragraphs.push(current.clone()),
            Event::Text(t) => current.push_str(&t),
            Event::HardBreak | Event::SoftBreak => current.push('\n'),
            Event::Start(tag) => elements.push(
                format!("{tag:?}")
                    .split(['(', ' ', '{'])
                    .next()
                    .unwrap()
                    .to_string(),
            ),
            Event::End(_) => {}
            other => elements.push(format!("{other:?}")),
        }
    }
    (paragraphs, elements)
}

fn check_markdown(out: &str, hits: &[Value], glossary: bool) {
    let (paragraphs, elements) = parse_markdown(out);
    assert_eq!(paragraphs.len(), hits.len());
    for (p, hit) in paragraphs.iter().zip(hits) {
        let title = if str_of(hit, "kind") == "definition" {
            title(hit)
        } else {
            "passage".to_string()
        };
        let source = format!("{}:{}", str_of(hit, "file"), hit["line"]);
        let body = if glossary { "text" } else { "snippet" };
        let expected = format!("{title}\n{}\n{source}", str_of(hit, body));
        assert!(
            p.starts_with(&expected),
            "markdown paragraph\n{p}\nis not\n{expected}"
        );
    }
    let allowed = ["Paragraph", "Strong", "Emphasis", "Heading"];
    for e in &elements {
        assert!(allowed.contains(&e.as_str()), "stray markdown element {e}");
    }
    let emphasis = elements.iter().filter(|e| *e == "Emphasis").count();
    let passages = hits.iter().filter(|h| h["kind"] == "passage").count();
    assert_eq!(emphasis, passages, "only the passage label is in italics");
}

/// Rows as Anki reads them: its CSV reader set for tab-separated text with `#` lines.
fn anki_rows(out: &str) -> Vec<csv::StringRecord> {
    let header: Vec<&str> = out.lines().take_while(|l| l.starts_with('#')).collect();
    assert_eq!(header[..4], ANKI_HEADER);
    for line in &header {
        let (key, _) = line[1..].split_once(':').expect("#key:value");
        assert!(
            [
                "separator",
                "html",
                "guid column",
                "tags column",
                "notetype",
                "deck"
            ]
            .contains(&key),
            "unknown Anki header {line}"
        );
    }
    csv::ReaderBuilder::new()
        .has_headers(false)
        .comment(Some(b'#'))
        .delimiter(b'\t')
        .from_reader(out.as_bytes())
        .records()
        .map(|r| r.expect("Anki row"))
        .collect()
}

fn check_anki(out: &str, hits: &[Value]) {
    let definitions: Vec<&Value> = hits.iter().filter(|h| h["kind"] == "definition").collect();
    let rows = anki_rows(out);
    assert_eq!(rows.len(), definitions.len());
    assert_eq!(
        out.lines().filter(|l| !l.starts_with('#')).count(),
        rows.len(),
        "one line per note"
    );
    let mut guids = HashSet::new();
    for (row, hit) in rows.iter().zip(&definitions) {
        assert_eq!(row.len(), 4, "{row:?}");
        assert!(row[0].chars().all(|c| c.is_ascii_hexdigit()), "{row:?}");
        assert!(guids.insert(row[0].to_string()), "guid repeated: {row:?}");
        assert_eq!(
            html_escape::decode_html_entities(&row[1]),
            title(hit),
            "front is the escaped term"
        );
        let back = Html::parse_fragment(&row[2]);
        assert!(select(&back, "script").is_empty() && select(&back, "img").is_empty());
        let back_text: String = back.root_element().text().collect();
        let text = str_of(hit, "text").replace('\n', "").replace('\t', " ");
        assert!(back_text.starts_with(&text), "{back_text}");
        assert!(back_text.contains(&format!("{}:{}", str_of(hit, "file"), hit["line"])));
        assert!(!row[3].is_empty() && !row[3].contains(char::is_whitespace));
    }
}

fn check_text(out: &str, hits: &[Value]) {
    let blocks: Vec<&str> = out.split("\n\n").collect();
    assert_eq!(blocks.len(), hits.len());
    for (block, hit) in blocks.iter().zip(hits) {
        let first = block.lines().next().unwrap();
        if hit["kind"] == "definition" {
            assert_eq!(first, format!("{}  definition", title(hit)));
        } else {
            assert_eq!(first, "passage");
        }
        assert!(block.contains(&format!("  {}:{}", str_of(hit, "file"), hit["line"])));
    }
}

/// Every format of one command, each checked against its JSON hits.
fn check_every_format(sb: &Sandbox, args: &[&str], glossary: bool) -> Vec<Value> {
    let hits = json_hits(sb, args);
    assert!(!hits.is_empty());
    for format in FORMATS {
        let out = export(sb, args, format);
        match format {
            "text" => check_text(&out, &hits),
            "json" => {}
            "jsonl" => check_jsonl(&out, &hits),
            "csv" => check_csv(&out, &hits),
            "markdown" => check_markdown(&out, &hits, glossary),
            "html" if glossary => check_html_glossary(&out, &hits),
            "html" => check_html_hits(&out, &hits),
            "anki" => check_anki(&out, &hits),
            _ => unreachable!(),
        }
    }
    hits
}

#[test]
fn shipped_glossary_parses_back_in_every_format() {
    let hits = check_every_format(shipped(), &["terms"], true);
    assert!(hits.len() > 300, "{} terms", hits.len());
    assert!(hits.iter().all(|h| h["kind"] == "definition"));
}

#[test]
fn shipped_search_results_parse_back_in_every_format() {
    let hits = check_every_format(shipped(), &["search", "vector search", "-n", "40"], false);
    assert!(hits.iter().any(|h| h["kind"] == "passage"));
    check_every_format(shipped(), &["define", "rag"], false);
}

#[test]
fn hostile_note_survives_every_format() {
    let sb = hostile();
    let hits = check_every_format(&sb, &["terms"], true);
    let terms: Vec<&str> = hits.iter().map(|h| str_of(h, "term")).collect();
    for t in [
        "<b>bold</b>",
        "><img src=x onerror=alert(1)>",
        "=1+1",
        "Tab term",
    ] {
        assert!(terms.contains(&t), "{t} not in {terms:?}");
    }
    // Passages with newlines, quotes and commas; headings with a script tag.
    let hits = check_every_format(&sb, &["search", "tabbed"], false);
    assert!(hits.iter().any(|h| str_of(h, "text").contains('\n')));
    check_every_format(&sb, &["search", "script", "-n", "20"], false);
    check_every_format(&sb, &["search", "quoted"], false);
}

#[test]
fn hostile_html_shows_the_markup_as_text() {
    let sb = hostile();
    let out = export(&sb, &["terms"], "html");
    assert!(!out.contains("<script"), "{out}");
    assert!(!out.contains("<img"), "{out}");
    assert!(out.contains("Content-Security-Policy"));
    let doc = Html::parse_document(&out);
    let text: String = doc.root_element().text().collect();
    assert!(text.contains("<script>alert(\"x\")</script>"));
    assert!(text.contains("<script>alert(\"h\")</script> heading"));
    assert!(text.contains("><img src=x onerror=alert(1)>"));
}

#[test]
fn anchors_and_card_ids_come_from_the_stored_term_keys_as_before() {
    // The values gloss wrote before term keys were stored: a re-export must keep every
    // anchor and card id, so links and Anki cards survive. `Fine tuning` and `Fine-tuning`
    // share a key; the 52-letter word is too long to have one.
    let sb = Sandbox::new("keys");
    let html = export(&sb, &["terms"], "html");
    let ids: Vec<&str> = html
        .lines()
        .filter_map(|l| l.strip_prefix("<dt id=\""))
        .map(|l| &l[..l.find('"').unwrap_or(0)])
        .collect();
    assert_eq!(
        ids,
        [
            "term-cafe",
            "term-finetuning",
            "term-finetuning-2",
            "term-llm",
            "term"
        ]
    );
    let anki = export(&sb, &["terms"], "anki");
    let cards: Vec<(String, String)> = anki_rows(&anki)
        .iter()
        .map(|r| (r[0].to_string(), r[1].to_string()))
        .collect();
    let expected = [
        ("db0a961e18713f4e", "Café"),
        ("d45b68a469814a9e", "Fine tuning"),
        ("7e5bac6c5c9c7146", "Fine-tuning"),
        ("4e216107638a1799", "LLMs (large language models)"),
        (
            "4b0440c6b77eb31b",
            "Pneumonoultramicroscopicsilicovolcanoconiosisandmore",
        ),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(g, t)| (g.to_string(), t.to_string()))
        .collect();
    assert_eq!(cards, expected);
}

#[test]
fn terms_are_a_to_z_with_prefix_and_limit() {
    let sb = Sandbox::new("styles");
    let hits = json_hits(&sb, &["terms"]);
    let keys: Vec<String> = hits
        .iter()
        .map(|h| str_of(h, "term").to_lowercase())
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let ranks: Vec<u64> = hits.iter().map(|h| h["rank"].as_u64().unwrap()).collect();
    assert_eq!(ranks, (1..=hits.len() as u64).collect::<Vec<_>>());
    let hpa = json_hits(&sb, &["terms", "--prefix", "HORIZONTAL-pod"]);
    assert_eq!(str_of(&hpa[0], "term"), "Horizontal Pod Autoscaler");
    assert!(hpa
        .iter()
        .all(|h| str_of(h, "term").to_lowercase().starts_with("horizontal")));
    assert_eq!(json_hits(&sb, &["terms", "-n", "2"]).len(), 2);
    sb.gloss(&["terms", "--prefix", "zzz"])
        .assert()
        .code(1)
        .stderr("no terms starting with \"zzz\"\n");
}

#[test]
fn text_terms_use_the_search_layout() {
    let sb = Sandbox::new("styles");
    sb.gloss(&["terms", "--prefix", "token", "--color", "never"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(
            "Token  definition\n  a-bold.md:5  Bold lead-ins\n  The basic unit of text.\n",
        ));
}

#[test]
fn no_hits_still_write_a_valid_document() {
    let sb = Sandbox::new("styles");
    let out = run(&sb, &["search", "zzzqqq", "--format", "csv"], 1);
    assert_eq!(out.lines().count(), 1, "only the header: {out}");
    let out = run(&sb, &["define", "zzzqqq", "--format", "html"], 1);
    assert!(Html::parse_document(&out).errors.is_empty());
    let out = run(&sb, &["define", "zzzqqq", "--format", "anki"], 1);
    assert!(anki_rows(&out).is_empty());
    assert_eq!(run(&sb, &["define", "zzzqqq", "--format", "jsonl"], 1), "");
}

#[test]
fn unknown_format_is_a_usage_error_listing_the_formats() {
    let sb = Sandbox::new("styles");
    sb.gloss(&["token", "--format", "yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "text, json, jsonl, csv, markdown, html, anki",
        ));
    // `md` is accepted for markdown.
    sb.gloss(&["token", "--format", "md"]).assert().code(0);
}

/// File names in a folder, sorted.
fn names(dir: &std::path::Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

#[test]
fn output_writes_a_file_and_refuses_to_overwrite_it_without_force() {
    let sb = Sandbox::new("styles");
    let out_dir = sb.dir.path().join("exports");
    std::fs::create_dir(&out_dir).unwrap();
    let target = out_dir.join("glossary.csv");
    let t = target.to_str().unwrap();
    sb.gloss(&["terms", "--format", "csv", "-o", t])
        .assert()
        .code(0)
        .stdout("");
    let first = std::fs::read_to_string(&target).unwrap();
    check_csv(&first, &json_hits(&sb, &["terms"]));

    sb.gloss(&["terms", "--format", "json", "--output", t])
        .assert()
        .code(2)
        .stdout("")
        .stderr(format!(
            "gloss: --output {t}: the file exists; add --force to overwrite it\n"
        ));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), first);

    sb.gloss(&["define", "token", "--format", "json", "-o", t, "--force"])
        .assert()
        .code(0);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(v["hits"][0]["term"], "Token");
    // No temporary file left beside it.
    assert_eq!(names(&out_dir), ["glossary.csv"]);
}

#[test]
fn output_dash_is_stdout_and_a_missing_folder_is_a_one_line_error() {
    let sb = Sandbox::new("styles");
    sb.gloss(&["define", "token", "-o", "-", "--color", "never"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("Token  definition\n"));
    let target = sb.dir.path().join("missing").join("out.html");
    let out = sb
        .gloss(&["terms", "--format", "html", "-o", target.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("gloss: --output "), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!target.exists());
}

#[test]
fn a_reader_that_stops_early_ends_the_run_quietly() {
    // Enough terms that the output overflows a pipe buffer (64 KiB) in every format.
    let sb = Sandbox::empty();
    let mut note = String::from("# Many terms\n\n");
    for i in 0..1500 {
        note.push_str(&format!(
            "**Term number {i}**: Definition {i}, long enough to fill the pipe quickly.\n\n"
        ));
    }
    sb.write("many.md", &note);
    sb.gloss(&["index"]).assert().code(0);
    for format in FORMATS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gloss"))
            .current_dir(sb.dir.path())
            .env_remove("GLOSS_CONTENT")
            .env_remove("GLOSS_INDEX")
            .arg("--content")
            .arg(sb.notes())
            .arg("--index")
            .arg(sb.index())
            .args(["terms", "--format", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn gloss");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty(), "{format}: no output");
        // The reader goes away here (`head -1`).
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{format}");
    }
}

/// (term, aliases) of every term `gloss terms` lists, sorted.
fn terms_and_aliases(sb: &Sandbox) -> Vec<(String, Vec<String>, String)> {
    let mut out: Vec<(String, Vec<String>, String)> = json_hits(sb, &["terms"])
        .iter()
        .map(|h| {
            let aliases = h["aliases"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default();
            (
                str_of(h, "term").to_string(),
                aliases,
                str_of(h, "text").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn terms_as_markdown_pasted_into_notes_index_back_to_the_same_terms_and_aliases() {
    let listed = terms_and_aliases(shipped());
    assert!(listed.len() > 300, "{}", listed.len());
    let pasted = Sandbox::empty();
    pasted.write("glossary.md", &export(shipped(), &["terms"], "markdown"));
    let back = terms_and_aliases(&pasted);
    let names = |v: &[(String, Vec<String>, String)]| -> Vec<(String, Vec<String>)> {
        v.iter().map(|(t, a, _)| (t.clone(), a.clone())).collect()
    };
    assert_eq!(names(&back), names(&listed));
    // The definition comes back whole (followed by the source line it was listed with).
    for ((term, _, text), (_, _, again)) in listed.iter().zip(&back) {
        assert!(
            again.starts_with(text.as_str()),
            "{term}: {again:?} vs {text:?}"
        );
    }
}

#[test]
fn no_shown_alias_is_invented_every_one_is_written_in_its_note() {
    let sb = shipped();
    let mut checked = 0;
    for hit in json_hits(sb, &["terms"]) {
        let note = std::fs::read_to_string(sb.notes().join(str_of(&hit, "file"))).unwrap();
        let note = note
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for alias in hit["aliases"].as_array().unwrap() {
            let alias = alias.as_str().unwrap().to_lowercase();
            assert!(
                note.contains(&alias),
                "{}: alias {alias:?} is not in its note",
                str_of(&hit, "term")
            );
            checked += 1;
        }
    }
    assert!(checked > 30, "{checked} aliases checked");
}

#[test]
fn define_prints_its_best_definitions_whole_and_wrapped() {
    let sb = shipped();
    let hits = json_hits(sb, &["define", "rag"]);
    let best = str_of(&hits[0], "text");
    assert!(
        best.len() > 240,
        "a definition longer than a snippet: {best}"
    );
    let out = run(sb, &["define", "rag", "--color", "never"], 0);
    let block: Vec<&str> = out
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with("  ") && !l.trim_start().starts_with("see also:"))
        .collect();
    assert!(block.len() > 1, "wrapped over several lines:\n{out}");
    assert!(block.iter().all(|l| l.chars().count() <= 80), "{out}");
    let joined: Vec<&str> = block.iter().map(|l| l.trim()).collect();
    assert_eq!(
        joined.join(" "),
        best,
        "the whole definition, not a cut:\n{out}"
    );
}
