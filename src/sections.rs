//! Sections: one markdown note parsed into heading-bounded sections of blocks, each block
//! and line knowing its 1-based source line.
//!
//! A section is a heading plus everything up to the next heading; its heading path is the
//! real hierarchy (the stack of open headings truncated to `level - 1` before each push).

use pulldown_cmark::{
    CodeBlockKind, Event, HeadingLevel, MetadataBlockKind, Options, Parser, Tag, TagEnd,
};

use crate::text;

mod html;
mod yaml;

/// The pulldown-cmark options every caller parses with.
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS
        | Options::ENABLE_DEFINITION_LIST
        // Obsidian's `[[Page]]` and `[[Page|shown text]]` read as their text.
        | Options::ENABLE_WIKILINKS
}

/// How a piece of inline text was marked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Ordinary text (emphasis and links included).
    Plain,
    /// `**bold**` or `__bold__`.
    Strong,
    /// `` `code` ``.
    Code,
}

/// A run of inline text of one style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The text, raw (not yet cleaned).
    pub text: String,
    /// Its markup.
    pub style: Style,
}

/// One source line of a paragraph or list item (lines are joined by soft or hard breaks).
#[derive(Debug, Clone, Default)]
pub struct Line {
    /// 1-based source line.
    pub line: usize,
    /// True when this line opens a paragraph or an item, not a continuation.
    pub starts_block: bool,
    /// The inline runs of the line.
    pub spans: Vec<Span>,
    /// The cleaned text, made on the first [`Line::text`]: a line is read several times
    /// (alias line, lead-ins, definition body, passage). The spans are complete by then.
    cleaned: std::sync::OnceLock<String>,
}

/// Lines are equal by what they hold, whether or not their text was asked for yet.
impl PartialEq for Line {
    fn eq(&self, other: &Line) -> bool {
        self.line == other.line
            && self.starts_block == other.starts_block
            && self.spans == other.spans
    }
}

impl Eq for Line {}

impl Line {
    /// The line's text, cleaned.
    pub fn text(&self) -> &str {
        self.cleaned.get_or_init(|| match self.spans.as_slice() {
            [one] => text::clean(&one.text),
            spans => text::clean(&spans.iter().map(|s| s.text.as_str()).collect::<String>()),
        })
    }
}

/// A list item: its lines (all its paragraphs), not those of nested items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// 1-based line of the item marker.
    pub line: usize,
    /// Nesting depth, 1 for a top-level item.
    pub depth: usize,
    /// The lines of the item's own text.
    pub lines: Vec<Line>,
}

/// One row of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based source line.
    pub line: usize,
    /// Cell texts, cleaned.
    pub cells: Vec<String>,
}

/// One entry of a definition list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefEntry {
    /// 1-based line of the term.
    pub line: usize,
    /// The term, cleaned.
    pub term: String,
    /// The definition(s), cleaned and joined.
    pub definition: String,
}

/// A block of a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A paragraph, line by line.
    Paragraph { line: usize, lines: Vec<Line> },
    /// A list with its items flattened in document order (nested ones with greater depth).
    List { line: usize, items: Vec<Item> },
    /// A table: header cells and rows.
    Table {
        line: usize,
        header: Vec<String>,
        rows: Vec<Row>,
    },
    /// A fenced or indented code block.
    Code { line: usize, text: String },
    /// A definition list.
    DefinitionList { line: usize, entries: Vec<DefEntry> },
}

impl Block {
    /// 1-based line where the block starts.
    pub fn line(&self) -> usize {
        match self {
            Block::Paragraph { line, .. }
            | Block::List { line, .. }
            | Block::Table { line, .. }
            | Block::Code { line, .. }
            | Block::DefinitionList { line, .. } => *line,
        }
    }

    /// The block's whole text, cleaned, for passages.
    pub fn text(&self) -> String {
        match self {
            Block::Paragraph { lines, .. } => join(lines.iter().map(Line::text), " "),
            Block::List { items, .. } => join(
                items
                    .iter()
                    .map(|item| join(item.lines.iter().map(Line::text), " ")),
                "\n",
            ),
            Block::Table { header, rows, .. } => join(
                std::iter::once(header.join(" | ")).chain(rows.iter().map(|r| r.cells.join(" | "))),
                "\n",
            ),
            Block::Code { text, .. } => code_text(text),
            Block::DefinitionList { entries, .. } => join(
                entries
                    .iter()
                    .map(|e| format!("{}: {}", e.term, e.definition)),
                "\n",
            ),
        }
    }
}

/// A code block's lines, each collapsed, the empty ones dropped, joined by newlines: made
/// in one string, without a string per line.
fn code_text(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    for line in code.lines() {
        let before = out.len();
        if before > 0 {
            out.push('\n');
        }
        let start = out.len();
        text::collapse_into(&mut out, line);
        if out.len() == start {
            out.truncate(before);
        }
    }
    out
}

/// The non-empty parts, `sep` between them.
fn join<S: AsRef<str>>(parts: impl Iterator<Item = S>, sep: &str) -> String {
    let mut out = String::new();
    for part in parts {
        let part = part.as_ref();
        if part.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str(sep);
        }
        out.push_str(part);
    }
    out
}

/// A heading and the blocks under it up to the next heading.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Section {
    /// Texts of the enclosing headings, outermost first, this one last.
    pub heading_path: Vec<String>,
    /// Heading level 1-6, or 0 for text before the first heading.
    pub level: u8,
    /// 1-based line of the heading (1 before the first heading).
    pub line: usize,
    /// The blocks, in order.
    pub blocks: Vec<Block>,
}

impl Section {
    /// The section's own heading text, if any.
    pub fn heading(&self) -> Option<&str> {
        if self.level == 0 {
            None
        } else {
            self.heading_path.last().map(String::as_str)
        }
    }
}

/// YAML front matter fields gloss uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FrontMatter {
    /// `title:`.
    pub title: Option<String>,
    /// `aliases:` and `aka:` values.
    pub aliases: Vec<String>,
    /// `tags:` values.
    pub tags: Vec<String>,
}

/// A parsed note.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Document {
    /// Front matter, when the note has a valid one.
    pub front_matter: Option<FrontMatter>,
    /// Sections in document order.
    pub sections: Vec<Section>,
    /// Problems found while parsing (e.g. front matter that is not valid YAML), with lines.
    pub problems: Vec<String>,
}

/// Byte offset → 1-based line.
struct Lines {
    starts: Vec<usize>,
    /// The line of the last offset asked for: events come mostly in order, so the next
    /// answer is usually this line or one a little further.
    last: usize,
}

impl Lines {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Lines { starts, last: 1 }
    }

    /// The number of line starts at or before `offset`: a few steps on from the last
    /// answer when `offset` is not before its line, else a binary search.
    fn of(&mut self, offset: usize) -> usize {
        let mut n = self.last;
        if self.starts[n - 1] > offset {
            n = self.starts.partition_point(|&s| s <= offset);
        } else {
            while self.starts.get(n).is_some_and(|&s| s <= offset) {
                n += 1;
                if n > self.last + 8 {
                    n = self.starts.partition_point(|&s| s <= offset);
                    break;
                }
            }
        }
        self.last = n.max(1);
        n
    }
}

#[derive(Default)]
struct ListBuild {
    line: usize,
    depth: usize,
    items: Vec<Item>,
    open: Vec<usize>,
}

struct TableBuild {
    line: usize,
    header: Vec<String>,
    rows: Vec<Row>,
    row: Option<Row>,
    cell: Option<String>,
}

#[derive(PartialEq)]
enum DefPart {
    None,
    Term,
    Definition,
}

struct DefBuild {
    line: usize,
    entries: Vec<DefEntry>,
    part: DefPart,
    buffer: String,
}

/// Parses a note into sections. Never fails: problems are recorded in the document.
pub fn parse(source: &str) -> Document {
    let mut lines = Lines::new(source);
    let mut builder = Builder::new();
    for (event, range) in Parser::new_ext(source, options()).into_offset_iter() {
        builder.at = lines.of(range.start);
        builder.event(event);
    }
    builder.finish()
}

/// The parse in progress: the open section and whichever block is being built. Each
/// pulldown-cmark event kind has one method.
struct Builder {
    doc: Document,
    section: Section,
    /// Open headings (level, text), outermost first.
    stack: Vec<(u8, String)>,
    heading: Option<(u8, usize, String)>,
    para: Option<(usize, Vec<Line>)>,
    list: Option<ListBuild>,
    table: Option<TableBuild>,
    deflist: Option<DefBuild>,
    code: Option<(usize, String)>,
    /// Front matter being read: (is YAML, text).
    meta: Option<(bool, String)>,
    /// An HTML block being read: (first line, raw text).
    html: Option<(usize, String)>,
    /// HTML glossary state that outlives one HTML block (a `<dl>` split by blank lines).
    html_state: html::State,
    /// An indented "code block" that is really the inside of an open HTML glossary.
    html_in_code: bool,
    strong: usize,
    image: usize,
    /// 1-based line of the current event.
    at: usize,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            doc: Document::default(),
            section: Section {
                line: 1,
                ..Section::default()
            },
            stack: Vec::new(),
            heading: None,
            para: None,
            list: None,
            table: None,
            deflist: None,
            code: None,
            meta: None,
            html: None,
            html_state: html::State::default(),
            html_in_code: false,
            strong: 0,
            image: 0,
            at: 1,
        }
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) | Event::InlineMath(t) | Event::DisplayMath(t) if self.image == 0 => {
                let style = if self.strong > 0 {
                    Style::Strong
                } else {
                    Style::Plain
                };
                self.inline(style, &t);
            }
            Event::Code(t) if self.image == 0 => self.inline(Style::Code, &t),
            Event::SoftBreak | Event::HardBreak => self.line_break(),
            Event::Html(t) => self.html_text(&t),
            Event::InlineHtml(t) => self.inline_html(&t),
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag) {
        // Inside an open `<dl>` or `<ul>`, a blank line then four spaces of indent makes
        // markdown see code; it is still the HTML glossary.
        if matches!(tag, Tag::CodeBlock(CodeBlockKind::Indented)) && self.html_state.is_open() {
            self.html = Some((self.at, String::new()));
            self.html_in_code = true;
            return;
        }
        if !matches!(tag, Tag::HtmlBlock) {
            self.close_html_glossary();
        }
        match tag {
            Tag::Heading { level, .. } if self.list.is_none() && self.table.is_none() => {
                self.heading = Some((heading_level(level), self.at, String::new()));
            }
            Tag::Paragraph => self.paragraph_start(),
            Tag::List(_) => self.list_start(),
            Tag::Item => self.item_start(),
            Tag::Table(_) => {
                self.table = Some(TableBuild {
                    line: self.at,
                    header: Vec::new(),
                    rows: Vec::new(),
                    row: None,
                    cell: None,
                });
            }
            Tag::TableHead | Tag::TableRow => {
                if let Some(t) = self.table.as_mut() {
                    t.row = Some(Row {
                        line: self.at,
                        cells: Vec::new(),
                    });
                }
            }
            Tag::TableCell => {
                if let Some(t) = self.table.as_mut() {
                    t.cell = Some(String::new());
                }
            }
            Tag::DefinitionList if self.deflist.is_none() => {
                self.deflist = Some(DefBuild {
                    line: self.at,
                    entries: Vec::new(),
                    part: DefPart::None,
                    buffer: String::new(),
                });
            }
            Tag::DefinitionListTitle => self.definition_part(DefPart::Term),
            Tag::DefinitionListDefinition => self.definition_part(DefPart::Definition),
            Tag::CodeBlock(kind) => {
                // Fenced code starts on the line after the fence; indented code (which may
                // well start with a backtick) on its own line.
                let first = match kind {
                    CodeBlockKind::Fenced(_) => self.at + 1,
                    CodeBlockKind::Indented => self.at,
                };
                self.code = Some((first, String::new()));
            }
            Tag::MetadataBlock(kind) => {
                self.meta = Some((kind == MetadataBlockKind::YamlStyle, String::new()));
            }
            Tag::HtmlBlock => self.html = Some((self.at, String::new())),
            Tag::Strong => self.strong += 1,
            Tag::Image { .. } => self.image += 1,
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) => self.heading_end(),
            TagEnd::Paragraph => self.paragraph_end(),
            TagEnd::List(_) => self.list_end(),
            TagEnd::Item => {
                if let Some(l) = self.list.as_mut() {
                    l.open.pop();
                }
            }
            TagEnd::TableCell => {
                if let Some(t) = self.table.as_mut() {
                    if let (Some(cell), Some(row)) = (t.cell.take(), t.row.as_mut()) {
                        row.cells.push(text::clean(&cell));
                    }
                }
            }
            TagEnd::TableHead => {
                if let Some(t) = self.table.as_mut() {
                    t.header = t.row.take().map(|r| r.cells).unwrap_or_default();
                }
            }
            TagEnd::TableRow => {
                if let Some(t) = self.table.as_mut() {
                    if let Some(row) = t.row.take() {
                        t.rows.push(row);
                    }
                }
            }
            TagEnd::Table => {
                if let Some(t) = self.table.take() {
                    self.section.blocks.push(Block::Table {
                        line: t.line,
                        header: t.header,
                        rows: t.rows,
                    });
                }
            }
            TagEnd::DefinitionListTitle | TagEnd::DefinitionListDefinition => {
                self.definition_part_end()
            }
            TagEnd::DefinitionList => {
                if let Some(d) = self.deflist.take() {
                    self.section.blocks.push(Block::DefinitionList {
                        line: d.line,
                        entries: d.entries,
                    });
                }
            }
            TagEnd::CodeBlock if self.html_in_code => {
                self.html_in_code = false;
                self.html_block_end();
            }
            TagEnd::CodeBlock => {
                if let Some((line, text)) = self.code.take() {
                    if !text.trim().is_empty() {
                        self.section.blocks.push(Block::Code { line, text });
                    }
                }
            }
            TagEnd::MetadataBlock(_) => self.front_matter_end(),
            TagEnd::HtmlBlock => self.html_block_end(),
            TagEnd::Strong => self.strong = self.strong.saturating_sub(1),
            TagEnd::Image => self.image = self.image.saturating_sub(1),
            _ => {}
        }
    }

    /// Inline text goes to the innermost open inline container.
    fn inline(&mut self, style: Style, piece: &str) {
        let at = self.at;
        if self.html_in_code {
            self.html_text(piece);
        } else if let Some((_, _, text)) = self.heading.as_mut() {
            text.push_str(piece);
        } else if let Some((_, text)) = self.code.as_mut() {
            text.push_str(piece);
        } else if let Some((_, text)) = self.meta.as_mut() {
            text.push_str(piece);
        } else if let Some(cell) = self.table.as_mut().and_then(|t| t.cell.as_mut()) {
            cell.push_str(piece);
        } else if let Some(d) = self.deflist.as_mut().filter(|d| d.part != DefPart::None) {
            d.buffer.push_str(piece);
        } else if let Some(item) = self.open_item() {
            push_span(&mut item.lines, style, piece, at);
        } else if let Some((_, plines)) = self.para.as_mut() {
            push_span(plines, style, piece, at);
        }
    }

    /// The innermost open list item.
    fn open_item(&mut self) -> Option<&mut Item> {
        self.list
            .as_mut()
            .and_then(|l| l.open.last().copied().map(|i| &mut l.items[i]))
    }

    /// A soft or hard break: a new line in a paragraph or item, a space elsewhere.
    fn line_break(&mut self) {
        let in_heading_or_table = self.heading.is_some() || self.table.is_some();
        let in_definition = self
            .deflist
            .as_ref()
            .is_some_and(|d| d.part != DefPart::None);
        if !in_heading_or_table && !in_definition {
            if let Some(item) = self.open_item() {
                item.lines.push(Line::default());
                return;
            }
            if let Some((_, plines)) = self.para.as_mut() {
                plines.push(Line::default());
                return;
            }
        }
        self.inline(Style::Plain, " ");
    }

    /// Inline HTML: `<br>` breaks the line (`**Tool use**<br>the model calls ...`); other
    /// tags are dropped and their text kept.
    fn inline_html(&mut self, tag: &str) {
        if html::is_line_break(tag) {
            self.line_break();
        }
    }

    fn heading_end(&mut self) {
        let Some((level, line, raw)) = self.heading.take() else {
            return;
        };
        self.open_section(level, line, &raw);
    }

    /// Ends the current section and opens one for a heading.
    fn open_section(&mut self, level: u8, line: usize, raw: &str) {
        self.doc.sections.push(std::mem::take(&mut self.section));
        while self.stack.last().is_some_and(|(l, _)| *l >= level) {
            self.stack.pop();
        }
        self.stack
            .push((level, text::truncate(&text::clean(raw), MAX_HEADING_BYTES)));
        self.section = Section {
            heading_path: self.stack.iter().map(|(_, t)| t.clone()).collect(),
            level,
            line,
            blocks: Vec::new(),
        };
    }

    fn paragraph_start(&mut self) {
        let at = self.at;
        if let Some(l) = self.list.as_mut().filter(|l| !l.open.is_empty()) {
            let item = &mut l.items[l.open[l.open.len() - 1]];
            if item.lines.last().is_some_and(|x| !x.spans.is_empty()) {
                item.lines.push(Line {
                    starts_block: true,
                    ..Line::default()
                });
            }
        } else if let Some(d) = self.deflist.as_mut().filter(|d| d.part != DefPart::None) {
            if !d.buffer.is_empty() {
                d.buffer.push(' ');
            }
        } else if self.table.is_none() && self.heading.is_none() {
            self.para = Some((
                at,
                vec![Line {
                    starts_block: true,
                    ..Line::default()
                }],
            ));
        }
    }

    fn paragraph_end(&mut self) {
        if let Some((line, plines)) = self.para.take() {
            let plines: Vec<Line> = plines.into_iter().filter(|l| !l.spans.is_empty()).collect();
            if !plines.is_empty() {
                self.section.blocks.push(Block::Paragraph {
                    line,
                    lines: plines,
                });
            }
        }
    }

    fn list_start(&mut self) {
        let at = self.at;
        let l = self.list.get_or_insert_with(|| ListBuild {
            line: at,
            ..ListBuild::default()
        });
        l.depth += 1;
    }

    fn list_end(&mut self) {
        let Some(l) = self.list.as_mut() else { return };
        l.depth -= 1;
        if l.depth > 0 {
            return;
        }
        let Some(done) = self.list.take() else { return };
        let mut items = done.items;
        for item in &mut items {
            item.lines.retain(|l| !l.spans.is_empty());
        }
        self.section.blocks.push(Block::List {
            line: done.line,
            items,
        });
    }

    fn item_start(&mut self) {
        let at = self.at;
        if let Some(l) = self.list.as_mut() {
            l.items.push(Item {
                line: at,
                depth: l.depth,
                lines: vec![Line {
                    starts_block: true,
                    ..Line::default()
                }],
            });
            l.open.push(l.items.len() - 1);
        }
    }

    fn definition_part(&mut self, part: DefPart) {
        let at = self.at;
        let Some(d) = self.deflist.as_mut() else {
            return;
        };
        if part == DefPart::Term {
            d.entries.push(DefEntry {
                line: at,
                term: String::new(),
                definition: String::new(),
            });
        }
        d.part = part;
        d.buffer.clear();
    }

    fn definition_part_end(&mut self) {
        let Some(d) = self.deflist.as_mut() else {
            return;
        };
        let value = text::clean(&d.buffer);
        if let Some(entry) = d.entries.last_mut() {
            if d.part == DefPart::Term {
                entry.term = value;
            } else if entry.definition.is_empty() {
                entry.definition = value;
            } else if !value.is_empty() {
                entry.definition = format!("{}; {}", entry.definition, value);
            }
        }
        d.part = DefPart::None;
        d.buffer.clear();
    }

    fn front_matter_end(&mut self) {
        if let Some((true, text)) = self.meta.take() {
            match front_matter(&text) {
                Ok(fm) => self.doc.front_matter = Some(fm),
                Err(problem) => self.doc.problems.push(problem),
            }
        }
    }

    /// Raw HTML: collected for the block it belongs to, or (inside a list, table or
    /// definition list) dropped with its text kept.
    fn html_text(&mut self, raw: &str) {
        if let Some((_, text)) = self.html.as_mut() {
            text.push_str(raw);
        }
    }

    /// An HTML block ends: its headings open sections, its paragraphs, lists and `<dl>`
    /// glossaries become blocks (HTML term cards inside markdown).
    fn html_block_end(&mut self) {
        let Some((line, raw)) = self.html.take() else {
            return;
        };
        if self.list.is_some() || self.table.is_some() || self.deflist.is_some() {
            let plain = html::plain_text(&raw);
            self.inline(Style::Plain, &plain);
            return;
        }
        let pieces = self.html_state.read(&raw, line);
        self.take_html_pieces(pieces);
    }

    /// Markdown resumes: an HTML glossary left open (no `</dl>`) ends here.
    fn close_html_glossary(&mut self) {
        if self.html.is_none() && self.html_state.is_open() {
            let pieces = self.html_state.close();
            self.take_html_pieces(pieces);
        }
    }

    fn take_html_pieces(&mut self, pieces: Vec<html::Piece>) {
        for piece in pieces {
            match piece {
                html::Piece::Heading { level, line, text } => self.open_section(level, line, &text),
                html::Piece::Block(block) => self.section.blocks.push(block),
            }
        }
    }

    fn finish(mut self) -> Document {
        self.close_html_glossary();
        self.doc.sections.push(self.section);
        self.doc
            .sections
            .retain(|s| s.level > 0 || !s.blocks.is_empty());
        self.doc
    }
}

pub(crate) fn push_span(lines: &mut Vec<Line>, style: Style, piece: &str, at: usize) {
    if lines.is_empty() {
        lines.push(Line::default());
    }
    let Some(line) = lines.last_mut() else { return };
    if line.spans.is_empty() {
        if piece.trim().is_empty() {
            return;
        }
        line.line = at;
    }
    match line.spans.last_mut() {
        Some(last) if last.style == style => last.text.push_str(piece),
        _ => line.spans.push(Span {
            text: piece.to_string(),
            style,
        }),
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// Longest heading kept, in bytes: the heading path is copied into every entry below it.
const MAX_HEADING_BYTES: usize = 200;

/// Most front matter aliases or tags kept, and the longest one: tags are copied into every
/// entry of the note, so a hostile list would multiply memory by the number of entries.
const MAX_FRONT_MATTER_VALUES: usize = 64;
const MAX_FRONT_MATTER_VALUE_CHARS: usize = 80;

/// Deepest nesting of YAML flow collections (`[`, `{`) handed to the YAML parser. libyaml's
/// scanner is quadratic in that depth (100 KB of `[` takes half a minute), and serde_yaml_ng
/// refuses more than 128 levels anyway.
const MAX_YAML_NESTING: usize = 128;

fn strings(value: Option<&serde_yaml_ng::Value>) -> Vec<String> {
    let mut out = all_strings(value);
    out.retain(|s| s.chars().count() <= MAX_FRONT_MATTER_VALUE_CHARS);
    out.truncate(MAX_FRONT_MATTER_VALUES);
    out
}

fn all_strings(value: Option<&serde_yaml_ng::Value>) -> Vec<String> {
    match value {
        Some(serde_yaml_ng::Value::String(s)) => s
            .split(',')
            .map(text::clean)
            .filter(|s| !s.is_empty())
            .collect(),
        Some(serde_yaml_ng::Value::Sequence(items)) => items
            .iter()
            .filter_map(|v| match v {
                serde_yaml_ng::Value::String(s) => Some(text::clean(s)),
                serde_yaml_ng::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|s| !s.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

/// The deepest nesting of `[`/`{` in `yaml`, quotes ignored (an over-estimate is harmless).
fn flow_nesting(yaml: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in yaml.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn front_matter(yaml: &str) -> Result<FrontMatter, String> {
    if flow_nesting(yaml) > MAX_YAML_NESTING {
        return Err(format!(
            "front matter is not valid YAML (brackets nested more than {MAX_YAML_NESTING} deep); read as text"
        ));
    }
    // The common simple shape is read directly; the parser costs ~8 times more per note.
    let parsed = match yaml::simple(yaml) {
        Some(value) => Ok(value),
        None => serde_yaml_ng::from_str(yaml),
    };
    let value: serde_yaml_ng::Value = parsed.map_err(|err| {
        let line = err.location().map_or(0, |l| l.line() + 1);
        format!(
            "line {line}: front matter is not valid YAML ({}); read as text",
            err.to_string().lines().next().unwrap_or("")
        )
    })?;
    let title = match value.get("title") {
        Some(serde_yaml_ng::Value::String(s)) => Some(text::clean(s)).filter(|s| !s.is_empty()),
        _ => None,
    };
    let mut aliases = strings(value.get("aliases"));
    aliases.extend(strings(value.get("aka")));
    Ok(FrontMatter {
        title,
        aliases,
        tags: strings(value.get("tags")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_found_the_same_in_any_order_of_offsets() {
        let text = "a\nbb\n\nccc\n\n\n\n\n\n\n\n\n\n\nd\ne";
        let mut lines = Lines::new(text);
        let want = |o: usize| lines_starts(text).partition_point(|&s| s <= o);
        let offsets = [
            0, 1, 2, 3, 5, 4, 0, 7, 7, 8, 20, 22, 9, 10, 23, 24, 1, 24, 12, 13,
        ];
        for o in offsets {
            assert_eq!(lines.of(o), want(o), "offset {o}");
        }
    }

    fn lines_starts(text: &str) -> Vec<usize> {
        std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect()
    }

    #[test]
    fn a_code_blocks_text_is_its_lines_collapsed_without_the_empty_ones() {
        let by_lines = |code: &str| {
            code.lines()
                .map(text::collapse)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        };
        for code in [
            "",
            "\n",
            "a\n\n  b  c \n",
            "   \n\tx\u{7}y\r\n\n\u{202e}\n z",
            "fn main() {\n    let  x = 1;\n}\n",
            "\u{a0}\u{a0}\nlast",
        ] {
            assert_eq!(code_text(code), by_lines(code), "{code:?}");
        }
    }

    #[test]
    fn a_lines_kept_text_is_its_cleaned_spans_and_leaves_equality_alone() {
        let doc = parse("A {{Glossary(\"HTTP\")}}  **bold**\ttext\nsecond   line\n");
        let Block::Paragraph { lines, .. } = &doc.sections[0].blocks[0] else {
            panic!()
        };
        let fresh = lines.clone();
        assert_eq!(lines[0].text(), "A HTTP bold text");
        assert_eq!(lines[0].text(), "A HTTP bold text");
        assert_eq!(lines[1].text(), "second line");
        assert_eq!(&fresh, lines);
        assert_eq!(
            doc.sections[0].blocks[0].text(),
            "A HTTP bold text second line"
        );
    }

    #[test]
    fn heading_path_is_the_real_hierarchy() {
        let doc = parse("# A\n\n## B\n\n#### C\n\ntext\n\n### D\n\nmore\n\n## E\n\nend\n");
        let paths: Vec<Vec<String>> = doc
            .sections
            .iter()
            .map(|s| s.heading_path.clone())
            .collect();
        assert_eq!(
            paths,
            vec![
                vec!["A"],
                vec!["A", "B"],
                vec!["A", "B", "C"],
                vec!["A", "B", "D"],
                vec!["A", "E"]
            ]
        );
        assert_eq!(doc.sections[2].line, 5);
        assert_eq!(doc.sections[2].blocks[0].line(), 7);
    }

    #[test]
    fn paragraph_lines_keep_their_source_lines_and_styles() {
        let doc = parse("intro\n\n**Why now?** data  \n**Use cases** images\n");
        let Block::Paragraph { line, lines } = &doc.sections[0].blocks[1] else {
            panic!("not a paragraph")
        };
        assert_eq!(*line, 3);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].line, 4);
        assert_eq!(lines[1].spans[0].style, Style::Strong);
        assert_eq!(lines[1].spans[0].text, "Use cases");
    }

    #[test]
    fn crlf_and_front_matter_count_toward_lines() {
        let doc = parse("---\r\ntitle: Pod\r\naka: [po]\r\n---\r\n\r\nA pod is a group.\r\n");
        let fm = doc.front_matter.clone().unwrap();
        assert_eq!(fm.title.as_deref(), Some("Pod"));
        assert_eq!(fm.aliases, ["po"]);
        assert_eq!(doc.sections[0].blocks[0].line(), 6);
    }

    #[test]
    fn tight_and_nested_items_are_flattened_with_depth() {
        let doc = parse("- a: one\n  - b: two\n- c: three\n");
        let Block::List { items, .. } = &doc.sections[0].blocks[0] else {
            panic!()
        };
        let got: Vec<(usize, usize, String)> = items
            .iter()
            .map(|i| (i.line, i.depth, i.lines[0].text().to_string()))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, 1, "a: one".to_string()),
                (2, 2, "b: two".to_string()),
                (3, 1, "c: three".to_string())
            ]
        );
    }

    #[test]
    fn tables_definition_lists_and_code_blocks() {
        let doc = parse("| Term | Definition |\n|---|---|\n| A | first |\n\nTerm\n: its meaning\n\n```\ncode\n```\n");
        let blocks = &doc.sections[0].blocks;
        assert!(
            matches!(&blocks[0], Block::Table { header, rows, .. } if header == &["Term", "Definition"] && rows[0].line == 3)
        );
        assert!(
            matches!(&blocks[1], Block::DefinitionList { entries, .. } if entries[0].term == "Term" && entries[0].definition == "its meaning" && entries[0].line == 5)
        );
        assert!(matches!(&blocks[2], Block::Code { line: 9, .. }));
    }

    #[test]
    fn invalid_front_matter_is_a_problem_not_a_failure() {
        let doc = parse("---\ntitle: [unclosed\n---\n\ntext\n");
        assert!(doc.front_matter.is_none());
        assert_eq!(doc.problems.len(), 1);
    }

    #[test]
    fn deeply_nested_front_matter_is_refused_before_the_yaml_parser() {
        // libyaml is quadratic in this nesting: minutes in a debug build without the guard.
        let doc = parse(&format!(
            "---\ntitle: {}\n---\n\ntext\n",
            "[".repeat(100_000)
        ));
        assert!(doc.front_matter.is_none());
        assert!(
            doc.problems[0].contains("nested more than 128 deep"),
            "{:?}",
            doc.problems
        );
    }

    #[test]
    fn front_matter_lists_and_headings_are_capped() {
        let aliases: Vec<String> = (0..1000).map(|i| format!("a{i}")).collect();
        let long = "x".repeat(81);
        let doc = parse(&format!(
            "---\ntitle: T\naliases: [{long}, {}]\ntags: [{}]\n---\n\n# {}\n\ntext\n",
            aliases.join(", "),
            aliases.join(", "),
            "heading ".repeat(100)
        ));
        let fm = doc.front_matter.unwrap();
        assert_eq!(fm.aliases.len(), 64);
        assert_eq!(fm.aliases[0], "a0", "an 81-character alias is not a name");
        assert_eq!(fm.tags.len(), 64);
        let heading = &doc.sections[0].heading_path[0];
        assert!(
            heading.len() <= 203 && heading.ends_with("heading\u{2026}"),
            "{heading}"
        );
    }

    #[test]
    fn indented_code_starting_with_a_backtick_keeps_its_line() {
        let doc = parse("\t`code");
        assert_eq!(doc.sections[0].blocks[0].line(), 1);
        let doc = parse("```\ncode\n```\n");
        assert_eq!(doc.sections[0].blocks[0].line(), 2);
    }

    #[test]
    fn images_do_not_leak_alt_text() {
        let doc = parse("![llm](img/x.png))\n");
        assert_eq!(doc.sections[0].blocks[0].text(), ")");
    }
}
