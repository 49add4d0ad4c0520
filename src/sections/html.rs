//! HTML inside markdown: the term cards and `<dl>` glossaries some notes and generated
//! glossaries are written in. A small tag reader, not a browser: headings become sections,
//! `<p>`/`<div>`/bare text become paragraphs, `<ul>`/`<ol>` lists, `<dl>` definition lists.
//! Everything else keeps its text and loses its tags.

use super::{push_span, Block, DefEntry, Item, Line, Row, Style};
use crate::text;

/// What an HTML block turns into, in document order.
#[derive(Debug)]
pub enum Piece {
    /// `<h1>`-`<h6>`: opens a section like a markdown heading.
    Heading {
        level: u8,
        line: usize,
        text: String,
    },
    /// A paragraph, list or definition list.
    Block(Block),
}

/// `<br>`, `<br/>` or `<br />`.
pub fn is_line_break(tag: &str) -> bool {
    let t = tag.trim().to_ascii_lowercase();
    t.strip_prefix("<br")
        .map(|rest| rest.trim_start().trim_start_matches('/').trim())
        .is_some_and(|rest| rest == ">")
}

/// The text of some HTML, tags dropped and entities decoded.
pub fn plain_text(raw: &str) -> String {
    let mut out = String::new();
    for token in Tokens::new(raw, 1) {
        match token {
            Token::Text(t, _) => out.push_str(&html_escape::decode_html_entities(t)),
            Token::Tag { .. } => out.push(' '),
        }
    }
    text::clean(&out)
}

struct DlBuild {
    line: usize,
    entries: Vec<DefEntry>,
    /// 1 while in `<dt>`, 2 while in `<dd>`, 0 between.
    part: u8,
    buffer: String,
}

/// A `<table>`: its rows (the first is the header), the open row and cell.
struct TableBuild {
    line: usize,
    rows: Vec<Row>,
    cell: Option<String>,
}

#[derive(Default)]
struct ListBuild {
    line: usize,
    depth: usize,
    items: Vec<Item>,
}

/// The HTML reader's state; a `<dl>` or `<ul>` may span several HTML blocks (markdown ends
/// an HTML block at each blank line).
#[derive(Default)]
pub struct State {
    heading: Option<(u8, usize, String)>,
    para: Option<(usize, Vec<Line>)>,
    dl: Option<DlBuild>,
    list: Option<ListBuild>,
    table: Option<TableBuild>,
    strong: usize,
    code: usize,
    out: Vec<Piece>,
}

impl State {
    /// True when a list or `<dl>` is still open.
    pub fn is_open(&self) -> bool {
        self.dl.is_some() || self.list.is_some() || self.table.is_some()
    }

    /// Reads one HTML block starting at 1-based `first_line`.
    pub fn read(&mut self, raw: &str, first_line: usize) -> Vec<Piece> {
        for token in Tokens::new(raw, first_line) {
            match token {
                Token::Text(t, line) => self.text(&html_escape::decode_html_entities(t), line),
                Token::Tag {
                    name,
                    closing,
                    line,
                } => self.tag(&name, closing, line),
            }
        }
        self.flush_heading();
        self.flush_para();
        std::mem::take(&mut self.out)
    }

    /// Ends whatever is open.
    pub fn close(&mut self) -> Vec<Piece> {
        self.flush_heading();
        self.flush_para();
        self.end_dl();
        self.end_list();
        self.end_table();
        self.strong = 0;
        self.code = 0;
        std::mem::take(&mut self.out)
    }

    fn style(&self) -> Style {
        if self.code > 0 {
            Style::Code
        } else if self.strong > 0 {
            Style::Strong
        } else {
            Style::Plain
        }
    }

    fn text(&mut self, piece: &str, line: usize) {
        if let Some((_, _, text)) = self.heading.as_mut() {
            text.push_str(piece);
            return;
        }
        if let Some(dl) = self.dl.as_mut().filter(|d| d.part > 0) {
            dl.buffer.push_str(piece);
            return;
        }
        if let Some(cell) = self.table.as_mut().and_then(|t| t.cell.as_mut()) {
            cell.push_str(piece);
            return;
        }
        let style = self.style();
        if let Some(item) = self.list.as_mut().and_then(|l| l.items.last_mut()) {
            push_span(&mut item.lines, style, piece, line);
            return;
        }
        if piece.trim().is_empty() && self.para.is_none() {
            return;
        }
        let para = self.para.get_or_insert_with(|| (line, Vec::new()));
        if para.1.is_empty() {
            para.0 = line;
            para.1.push(Line {
                starts_block: true,
                ..Line::default()
            });
        }
        push_span(&mut para.1, style, piece, line);
    }

    fn tag(&mut self, name: &str, closing: bool, line: usize) {
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.flush_para();
                if closing {
                    self.flush_heading();
                } else {
                    let level = name.as_bytes()[1] - b'0';
                    self.heading = Some((level, line, String::new()));
                }
            }
            "br" => self.line_break(),
            "strong" | "b" => {
                self.strong = if closing {
                    self.strong.saturating_sub(1)
                } else {
                    self.strong + 1
                }
            }
            "code" | "kbd" => {
                self.code = if closing {
                    self.code.saturating_sub(1)
                } else {
                    self.code + 1
                }
            }
            "dl" => {
                self.flush_para();
                if closing {
                    self.end_dl();
                } else if self.dl.is_none() {
                    self.dl = Some(DlBuild {
                        line,
                        entries: Vec::new(),
                        part: 0,
                        buffer: String::new(),
                    });
                }
            }
            "dt" | "dd" => self.dl_part(name == "dt", closing, line),
            "ul" | "ol" => self.list_tag(closing, line),
            "li" if !closing => {
                self.flush_para();
                if let Some(l) = self.list.as_mut() {
                    l.items.push(Item {
                        line,
                        depth: l.depth.max(1),
                        lines: vec![Line {
                            starts_block: true,
                            ..Line::default()
                        }],
                    });
                }
            }
            "table" | "tr" | "td" | "th" => self.table_tag(name, closing, line),
            "p" | "div" | "blockquote" | "section" | "article" | "header" | "footer" | "main"
            | "aside" | "figure" | "figcaption" | "pre" | "hr" | "details" | "summary" => {
                self.flush_para();
                if self.list.as_ref().is_some_and(|l| !l.items.is_empty()) {
                    self.line_break();
                }
            }
            _ => {}
        }
    }

    fn line_break(&mut self) {
        if let Some(item) = self.list.as_mut().and_then(|l| l.items.last_mut()) {
            item.lines.push(Line::default());
        } else if let Some((_, lines)) = self.para.as_mut() {
            lines.push(Line::default());
        }
    }

    fn dl_part(&mut self, term: bool, closing: bool, line: usize) {
        let Some(dl) = self.dl.as_mut() else { return };
        finish_dl_part(dl);
        if closing {
            return;
        }
        if term {
            dl.entries.push(DefEntry {
                line,
                term: String::new(),
                definition: String::new(),
            });
            dl.part = 1;
        } else if !dl.entries.is_empty() {
            dl.part = 2;
        }
    }

    fn end_dl(&mut self) {
        if let Some(mut dl) = self.dl.take() {
            finish_dl_part(&mut dl);
            dl.entries.retain(|e| !e.term.is_empty());
            if !dl.entries.is_empty() {
                self.out.push(Piece::Block(Block::DefinitionList {
                    line: dl.line,
                    entries: dl.entries,
                }));
            }
        }
    }

    fn list_tag(&mut self, closing: bool, line: usize) {
        self.flush_para();
        if !closing {
            let l = self.list.get_or_insert_with(|| ListBuild {
                line,
                ..ListBuild::default()
            });
            l.depth += 1;
            return;
        }
        if let Some(l) = self.list.as_mut() {
            l.depth = l.depth.saturating_sub(1);
            if l.depth == 0 {
                self.end_list();
            }
        }
    }

    /// `<table>` rows and cells; the first row is the header, as in a markdown table.
    fn table_tag(&mut self, name: &str, closing: bool, line: usize) {
        self.flush_para();
        match (name, closing) {
            ("table", false) if self.table.is_none() => {
                self.table = Some(TableBuild {
                    line,
                    rows: Vec::new(),
                    cell: None,
                })
            }
            ("table", true) => self.end_table(),
            ("tr", false) => {
                if let Some(t) = self.table.as_mut() {
                    t.rows.push(Row {
                        line,
                        cells: Vec::new(),
                    });
                }
            }
            ("td" | "th", _) => {
                let Some(t) = self.table.as_mut() else { return };
                if let (Some(cell), Some(row)) = (t.cell.take(), t.rows.last_mut()) {
                    row.cells.push(text::clean(&cell));
                }
                if !closing {
                    t.cell = Some(String::new());
                }
            }
            _ => {}
        }
    }

    fn end_table(&mut self) {
        let Some(mut t) = self.table.take() else {
            return;
        };
        if let (Some(cell), Some(row)) = (t.cell.take(), t.rows.last_mut()) {
            row.cells.push(text::clean(&cell));
        }
        t.rows.retain(|r| !r.cells.is_empty());
        if t.rows.is_empty() {
            return;
        }
        let header = t.rows.remove(0).cells;
        self.out.push(Piece::Block(Block::Table {
            line: t.line,
            header,
            rows: t.rows,
        }));
    }

    fn end_list(&mut self) {
        if let Some(l) = self.list.take() {
            let mut items = l.items;
            for item in &mut items {
                item.lines.retain(|x| !x.spans.is_empty());
            }
            items.retain(|i| !i.lines.is_empty());
            if !items.is_empty() {
                self.out.push(Piece::Block(Block::List {
                    line: l.line,
                    items,
                }));
            }
        }
    }

    fn flush_heading(&mut self) {
        if let Some((level, line, raw)) = self.heading.take() {
            if !text::clean(&raw).is_empty() {
                self.out.push(Piece::Heading {
                    level,
                    line,
                    text: raw,
                });
            }
        }
    }

    fn flush_para(&mut self) {
        if let Some((line, lines)) = self.para.take() {
            let lines: Vec<Line> = lines.into_iter().filter(|l| !l.spans.is_empty()).collect();
            if !lines.is_empty() {
                let line = lines[0].line.max(line);
                self.out
                    .push(Piece::Block(Block::Paragraph { line, lines }));
            }
        }
    }
}

fn finish_dl_part(dl: &mut DlBuild) {
    let value = text::clean(&dl.buffer);
    dl.buffer.clear();
    let part = std::mem::take(&mut dl.part);
    let Some(entry) = dl.entries.last_mut() else {
        return;
    };
    match part {
        1 => entry.term = value,
        2 if entry.definition.is_empty() => entry.definition = value,
        2 if !value.is_empty() => entry.definition = format!("{}; {}", entry.definition, value),
        _ => {}
    }
}

enum Token<'a> {
    /// Text and the line it starts on.
    Text(&'a str, usize),
    /// A tag's lowercased name, whether it closes, and its line.
    Tag {
        name: String,
        closing: bool,
        line: usize,
    },
}

/// Splits HTML into text and tags, skipping comments, `<script>` and `<style>`.
struct Tokens<'a> {
    rest: &'a str,
    line: usize,
}

impl<'a> Tokens<'a> {
    fn new(raw: &'a str, first_line: usize) -> Self {
        Tokens {
            rest: raw,
            line: first_line,
        }
    }

    /// Consumes `n` bytes, counting the lines they end.
    fn advance(&mut self, n: usize) -> &'a str {
        let n = n.min(self.rest.len());
        let (taken, rest) = self.rest.split_at(n);
        self.line += taken.matches('\n').count();
        self.rest = rest;
        taken
    }

    /// Skips past `end` (or to the end of the text).
    fn skip_past(&mut self, end: &str) {
        let n = self
            .rest
            .to_ascii_lowercase()
            .find(end)
            .map_or(self.rest.len(), |i| i + end.len());
        self.advance(n);
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            if !self.rest.starts_with('<') {
                let n = self.rest.find('<').unwrap_or(self.rest.len());
                let skipped = self.rest[..n].len() - self.rest[..n].trim_start().len();
                let line = self.line + self.rest[..skipped].matches('\n').count();
                return Some(Token::Text(self.advance(n), line));
            }
            if self.rest.starts_with("<!--") {
                self.skip_past("-->");
                continue;
            }
            let body = &self.rest[1..];
            let closing = body.starts_with('/');
            let name: String = body
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            if name.is_empty() {
                // A lone `<` is text.
                let line = self.line;
                return Some(Token::Text(self.advance(1), line));
            }
            let line = self.line;
            let end = self.rest.find('>').map_or(self.rest.len(), |i| i + 1);
            self.advance(end);
            if !closing && (name == "script" || name == "style") {
                self.skip_past(&format!("</{name}"));
                self.skip_past(">");
                continue;
            }
            return Some(Token::Tag {
                name,
                closing,
                line,
            });
        }
    }
}
