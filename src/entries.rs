//! Entries: the definitions and passages found in a parsed note.
//!
//! Definitions are recognised in the note styles listed in the README: bold and code
//! lead-ins (also alone on their line, or before `<br>`), short `Term: definition` lines
//! (also `=`, `->`, `=>`, `::`), heading-per-term glossaries (markdown or HTML headings),
//! front matter titles, definition lists (markdown or `<dl>`), name/description tables,
//! and `X is a ...` paragraphs under a heading. Every block is also a passage.
//!
//! Nothing is invented: aliases are the names written in the notes (a parenthesis after
//! the term, front matter `aliases:`, an `Also known as:` line); a term's initials are only
//! a silent search key.

use serde::Serialize;

use crate::sections::{Block, DefEntry, Document, Item, Row, Section};
use crate::text;
use crate::words::{
    self, NOT_HEADING_LAST_WORDS, NOT_HEADING_TERMS, NOT_NAME_HEADERS, NOT_TERM_FIRST_WORDS,
    VERB_WORDS,
};

mod lead_in;

use lead_in::{alias_line, lead_ins, Found};

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A term and its definition.
    #[default]
    Definition,
    /// A paragraph, list, table or code block.
    Passage,
}

impl Kind {
    /// The name used in the index and in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Definition => "definition",
            Kind::Passage => "passage",
        }
    }
}

/// A definition or a passage, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Entry {
    /// Definition or passage.
    pub kind: Kind,
    /// The defined term (definitions only), clean of markup.
    pub term: Option<String>,
    /// Other names of the term as written in the notes: a parenthesised acronym or synonym,
    /// front matter aliases, an `Also known as:` line. Shown with the term.
    pub aliases: Vec<String>,
    /// Search keys never shown: the term's initials (`hpa`), when no written acronym
    /// says otherwise.
    pub keys: Vec<String>,
    /// The definition or passage text.
    pub text: String,
    /// The note, relative to the notes folder.
    pub file: String,
    /// 1-based line where the term or passage starts.
    pub line: usize,
    /// Headings enclosing the entry, outermost first.
    pub heading_path: Vec<String>,
    /// Front matter tags of the note.
    pub tags: Vec<String>,
}

/// Longest term or alias, in characters: longer is a sentence, not a term.
const MAX_TERM_CHARS: usize = 80;

/// Passages longer than this many bytes are split, so one huge line cannot dominate
/// snippets or memory at query time.
const PASSAGE_CHUNK: usize = 4000;

/// Finds every definition and passage of a note.
pub fn extract(file: &str, doc: &Document) -> Vec<Entry> {
    let mut x = Extractor::new(file, doc);
    for (index, section) in doc.sections.iter().enumerate() {
        x.section(index, section);
    }
    x.out
}

/// Where a term is read from: a lead-in (a parenthesis after it is another name) or a
/// heading, table or list title (a parenthesis may qualify it: `Media (CSS)`).
#[derive(Clone, Copy, PartialEq)]
enum Source {
    LeadIn,
    Title,
}

/// The extraction of one note: the note-wide facts and the entries so far.
struct Extractor<'a> {
    file: &'a str,
    doc: &'a Document,
    tags: Vec<String>,
    /// A front matter `title:` waiting for the first paragraph of the body.
    title_pending: Option<String>,
    /// The section of the note's title heading, which names the note, not a term.
    title_section: Option<usize>,
    out: Vec<Entry>,
}

/// What is known while walking one section.
struct SectionWalk<'s> {
    section: &'s Section,
    /// The note's title heading, not a term.
    is_title: bool,
    defined_here: bool,
    paragraphs_seen: usize,
    /// The second paragraph may still open a heading's definition when the first only
    /// led into it (`AI --> ML --> DL --> Generative AI:`).
    lead_in_only: bool,
    /// Index in `out` of the last definition of this section, for `Also known as:` lines.
    last: Option<usize>,
}

impl<'a> Extractor<'a> {
    fn new(file: &'a str, doc: &'a Document) -> Self {
        let fm = doc.front_matter.as_ref();
        Extractor {
            file,
            doc,
            tags: fm.map(|f| f.tags.clone()).unwrap_or_default(),
            title_pending: fm.and_then(|f| f.title.clone()),
            title_section: title_section(doc),
            out: Vec::new(),
        }
    }

    fn section(&mut self, index: usize, section: &Section) {
        let mut walk = SectionWalk {
            section,
            is_title: self.title_section == Some(index),
            defined_here: false,
            paragraphs_seen: 0,
            lead_in_only: true,
            last: None,
        };
        for (i, block) in section.blocks.iter().enumerate() {
            if self.front_matter_title(&mut walk, block) {
                continue;
            }
            match block {
                Block::Paragraph { line, lines } => {
                    self.paragraph(&mut walk, i, block, *line, lines)
                }
                Block::List { items, .. } => self.list(&mut walk, items),
                Block::DefinitionList { entries, .. } => self.definition_list(&mut walk, entries),
                Block::Table { header, rows, .. } if is_name_table(header, rows) => {
                    self.table(&mut walk, rows)
                }
                _ => {}
            }
        }
        for block in &section.blocks {
            self.passages(section, block);
        }
    }

    /// e. A front matter title: the first paragraph of the body defines it. A note whose
    /// body has no paragraph in this section keeps waiting.
    fn front_matter_title(&mut self, walk: &mut SectionWalk, block: &Block) -> bool {
        let (Some(title), Block::Paragraph { line, .. }) = (self.title_pending.clone(), block)
        else {
            return false;
        };
        let aliases = self
            .doc
            .front_matter
            .as_ref()
            .map(|f| f.aliases.clone())
            .unwrap_or_default();
        self.push(walk, &title, Source::Title, aliases, block.text(), *line);
        self.title_pending = None;
        true
    }

    /// a-c. Lead-ins on any line; else an `Also known as:` line; else d/h: the heading
    /// or the `X is a` subject.
    fn paragraph(
        &mut self,
        walk: &mut SectionWalk,
        index: usize,
        block: &Block,
        line: usize,
        lines: &[crate::sections::Line],
    ) {
        walk.paragraphs_seen += 1;
        if walk.paragraphs_seen > 2 {
            walk.lead_in_only = false;
        }
        if let Some(names) = lines.first().and_then(|l| alias_line(l.text())) {
            self.add_aliases(walk, names);
            return;
        }
        let found = lead_ins(lines);
        if !found.is_empty() {
            self.push_found(walk, found);
            return;
        }
        if walk.defined_here || !walk.lead_in_only || walk.section.level == 0 {
            return;
        }
        let body = block.text();
        walk.lead_in_only = body.trim_end().ends_with(':') && walk.paragraphs_seen == 1;
        if let Some((term, at)) = self.heading_or_subject(walk, index, &body, line) {
            self.push(walk, &term, Source::Title, Vec::new(), body, at);
        }
    }

    /// d. a heading that names a term, defined by the paragraph below it; h. `X is a ...`
    /// opening a paragraph under a heading. When both apply and name the same thing, the
    /// heading is the term (`### pipeline` over `A pipeline in Transformers is ...`);
    /// otherwise the heading is a topic (`## Core ideas`) and the subject is the term. The
    /// note's title heading is never the term.
    fn heading_or_subject(
        &self,
        walk: &SectionWalk,
        index: usize,
        body: &str,
        line: usize,
    ) -> Option<(String, usize)> {
        let heading = (index == 0 && !walk.is_title)
            .then(|| heading_term(walk.section))
            .flatten()
            .filter(|_| looks_like_definition(body));
        match (heading, is_a_subject(body)) {
            (Some(h), Some(s)) if !same_thing(&h, &s) => Some((s, line)),
            (Some(h), _) => Some((h, walk.section.line)),
            (None, Some(s)) => Some((s, line)),
            (None, None) => None,
        }
    }

    fn list(&mut self, walk: &mut SectionWalk, items: &[Item]) {
        for item in items {
            if let Some(names) = item.lines.first().and_then(|l| alias_line(l.text())) {
                self.add_aliases(walk, names);
                continue;
            }
            let found = lead_ins(&item.lines);
            self.push_found(walk, found);
        }
    }

    fn definition_list(&mut self, walk: &mut SectionWalk, entries: &[DefEntry]) {
        for entry in entries {
            if entry.definition.is_empty() {
                continue;
            }
            // `<dd>Also known as: X</dd>` names the term above it.
            let (definition, aliases) = split_alias_sentence(&entry.definition);
            self.push(
                walk,
                &entry.term,
                Source::Title,
                aliases,
                definition,
                entry.line,
            );
        }
    }

    fn table(&mut self, walk: &mut SectionWalk, rows: &[Row]) {
        for row in rows {
            let Some(term) = row.cells.first() else {
                continue;
            };
            let body = row.cells[1..]
                .iter()
                .filter(|c| !c.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join("; ");
            self.push(walk, term, Source::Title, Vec::new(), body, row.line);
        }
    }

    fn push_found(&mut self, walk: &mut SectionWalk, found: Vec<Found>) {
        for f in found {
            self.push(walk, &f.term, Source::LeadIn, f.aliases, f.body, f.line);
        }
    }

    /// Adds a definition, if the term and body make one.
    fn push(
        &mut self,
        walk: &mut SectionWalk,
        raw_term: &str,
        source: Source,
        aliases: Vec<String>,
        body: String,
        line: usize,
    ) {
        let Some(mut entry) = definition(raw_term, source, aliases, body) else {
            return;
        };
        entry.file = self.file.to_string();
        entry.line = line;
        entry.heading_path = walk.section.heading_path.clone();
        entry.tags = self.tags.clone();
        walk.defined_here = true;
        walk.last = Some(self.out.len());
        self.out.push(entry);
    }

    /// `Also known as: X, Y` under a definition: more written names for it.
    fn add_aliases(&mut self, walk: &SectionWalk, names: Vec<String>) {
        let Some(entry) = walk.last.and_then(|i| self.out.get_mut(i)) else {
            return;
        };
        entry.aliases.extend(names);
        let term = entry.term.clone().unwrap_or_default();
        settle_names(&term, &mut entry.aliases, &mut entry.keys);
    }

    fn passages(&mut self, section: &Section, block: &Block) {
        let text = block.text();
        if !text.chars().any(char::is_alphanumeric) {
            return;
        }
        let pieces = chunks(&text, PASSAGE_CHUNK);
        // One piece that is the whole text (the usual passage): the text itself, not a copy.
        let whole = matches!(pieces[..], [one] if one.len() == text.len());
        let pieces: Vec<String> = if whole {
            vec![text]
        } else {
            pieces.into_iter().map(str::to_string).collect()
        };
        for chunk in pieces {
            self.out.push(Entry {
                kind: Kind::Passage,
                text: chunk,
                file: self.file.to_string(),
                line: block.line(),
                heading_path: section.heading_path.clone(),
                tags: self.tags.clone(),
                ..Entry::default()
            });
        }
    }
}

/// The section whose heading is the note's title: the only H1, or else the only heading
/// of the top level used (none when front matter gives the title). `None` for a one-term note (the title followed by its
/// definition and no other heading), whose title is the term.
fn title_section(doc: &Document) -> Option<usize> {
    // A front matter `title:` names the note; its headings are ordinary.
    if doc.front_matter.as_ref().is_some_and(|f| f.title.is_some()) {
        return None;
    }
    let headed: Vec<(usize, &Section)> = doc
        .sections
        .iter()
        .enumerate()
        .filter(|(_, s)| s.level > 0)
        .collect();
    let top = headed.iter().map(|(_, s)| s.level).min()?;
    let mut at_top = headed.iter().filter(|(_, s)| s.level == top);
    let (index, title) = at_top.next()?;
    if at_top.next().is_some() {
        return None;
    }
    let one_term_note = headed.len() == 1
        && matches!(title.blocks.first(), Some(Block::Paragraph { .. }))
        && !doc.sections.iter().any(|s| s.level == 0);
    (!one_term_note).then_some(*index)
}

/// A `<dd>` ending in `Also known as: X.` → (the definition before it, the names).
fn split_alias_sentence(definition: &str) -> (String, Vec<String>) {
    for label in ["also known as:", "aka:", "also called:"] {
        if let Some(at) = rfind_ascii_case(definition, label) {
            if let Some(names) = definition.get(at..).and_then(alias_line) {
                let before = definition[..at].trim_end_matches([' ', ';']).to_string();
                return (before, names);
            }
        }
    }
    (definition.to_string(), Vec::new())
}

/// `s` without `prefix` (ASCII), when it starts with it in any ASCII case. Places found in
/// `s` lowercased are not places in `s` (`İ` is 2 bytes and lowercases to 3), so an ASCII
/// pattern is matched in `s` itself; no other character lowercases to ASCII letters
/// followed by more of them.
fn strip_prefix_ascii_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.as_bytes().get(..prefix.len())?;
    // All ASCII when equal, so `prefix.len()` is a character boundary of `s`.
    head.eq_ignore_ascii_case(prefix.as_bytes())
        .then(|| &s[prefix.len()..])
}

/// Where `needle` (ASCII, not empty) last starts in `s`, in any ASCII case (see
/// [`strip_prefix_ascii_case`]).
fn rfind_ascii_case(s: &str, needle: &str) -> Option<usize> {
    let (hay, needle) = (s.as_bytes(), needle.as_bytes());
    (0..=hay.len().checked_sub(needle.len())?)
        .rev()
        .find(|&at| hay[at..at + needle.len()].eq_ignore_ascii_case(needle))
}

/// Splits `text` into pieces of at most about `max` bytes, at whitespace where possible.
fn chunks(text: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while rest.len() > max {
        let mut cut = max;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if let Some(space) = rest[..cut].rfind(char::is_whitespace) {
            if space > max / 2 {
                cut = space;
            }
        }
        out.push(rest[..cut].trim());
        rest = &rest[cut..];
    }
    out.push(rest.trim());
    out
}

/// A definition entry (file, line and headings left for the caller), if the term and body
/// make one.
fn definition(
    raw_term: &str,
    source: Source,
    mut aliases: Vec<String>,
    body: String,
) -> Option<Entry> {
    let (term, written) = match source {
        Source::LeadIn => split_lead_term(raw_term)?,
        Source::Title => {
            let (term, alias) = split_term(raw_term)?;
            (term, alias.into_iter().collect())
        }
    };
    // The whole block is also a passage (in chunks); a definition is its opening.
    let body = text::truncate(&text::clean(&body), PASSAGE_CHUNK);
    if body.is_empty() || !body.chars().any(char::is_alphanumeric) {
        return None;
    }
    aliases.extend(written);
    let mut keys = Vec::new();
    settle_names(&term, &mut aliases, &mut keys);
    Some(Entry {
        kind: Kind::Definition,
        term: Some(term),
        aliases,
        keys,
        text: body,
        ..Entry::default()
    })
}

/// Cleans and deduplicates the written aliases, and decides the silent keys: the term's
/// initials, unless a written acronym already names it (`Low-rank adaptation (LoRA)` is
/// not also `lra`) or they repeat a written name.
fn settle_names(term: &str, aliases: &mut Vec<String>, keys: &mut Vec<String>) {
    for a in aliases.iter_mut() {
        *a = text::clean(a);
    }
    // A set, not a list: a hostile front matter can list a hundred thousand aliases.
    let mut seen = std::collections::HashSet::from([term.to_lowercase()]);
    aliases.retain(|a| {
        !a.is_empty() && a.chars().count() <= MAX_TERM_CHARS && seen.insert(a.to_lowercase())
    });
    keys.clear();
    let written_acronym = aliases.iter().any(|a| is_acronym(a));
    if let Some(initials) = initials(term) {
        if !written_acronym && !seen.contains(&initials) {
            keys.push(initials);
        }
    }
}

/// `RAG`, `LoRA`, `k8s`-like: one short word with two or more capitals.
fn is_acronym(name: &str) -> bool {
    !name.contains(char::is_whitespace)
        && name.chars().count() <= 10
        && name.chars().filter(|c| c.is_uppercase()).count() >= 2
}

/// The term of a lead-in: cleaned, and a trailing parenthesis is always another name
/// (`SFT (supervised fine-tuning)`, `Min-p (floor)`) unless it qualifies
/// (`(optional)`, `(e.g. ...)`).
fn split_lead_term(raw: &str) -> Option<(String, Vec<String>)> {
    let term = clean_term(raw);
    if term.ends_with(')') {
        if let Some(open) = term.rfind('(') {
            let before = term[..open].trim();
            let names = lead_in::other_names(&term[open + 1..term.len() - 1]);
            if before.chars().any(char::is_alphanumeric) && !names.is_empty() {
                return bounded(before.to_string()).map(|t| (t, names));
            }
        }
    }
    bounded(term).map(|t| (t, Vec::new()))
}

fn bounded(term: String) -> Option<String> {
    (term.chars().any(char::is_alphanumeric) && term.chars().count() <= MAX_TERM_CHARS)
        .then_some(term)
}

/// A raw term cleaned of markup and of separators around it.
fn clean_term(raw: &str) -> String {
    let mut term = text::clean(raw);
    loop {
        let trimmed = term
            .trim_end_matches([':', '-', '\u{2013}', '\u{2014}', ',', ';', ' ', '='])
            .trim_start_matches(['*', ' ', '#'])
            .trim_matches(['"', '\'', '`', '\u{201c}', '\u{201d}']);
        // A list marker left in the text, not the dashes of a flag (`--rebuild`).
        let trimmed = trimmed.strip_prefix("- ").unwrap_or(trimmed).to_string();
        if trimmed == term {
            break;
        }
        term = trimmed;
    }
    term.replace(" ?", "?")
}

/// Cleans a raw term and splits off a trailing parenthesised alias:
/// `Retrieval-augmented generation (RAG):` → (`Retrieval-augmented generation`, `RAG`).
pub fn split_term(raw: &str) -> Option<(String, Option<String>)> {
    let term = clean_term(raw);
    let mut alias = None;
    let mut base = term.clone();
    if term.ends_with(')') {
        if let Some(open) = term.rfind('(') {
            let inside = term[open + 1..term.len() - 1].trim();
            let before = term[..open].trim();
            if before.chars().any(char::is_alphanumeric) && is_other_name(before, inside) {
                alias = Some(inside.to_string());
                base = before.to_string();
            }
        }
    }
    bounded(base).map(|b| (b, alias))
}

/// Whether a parenthesised part names the term another way (an acronym such as `RAG`, a
/// synonym such as `nucleus sampling`) rather than qualifying it (`Media (CSS)`,
/// `Signature (security)`), which stays part of the term.
fn is_other_name(term: &str, inside: &str) -> bool {
    if inside.is_empty() {
        return false;
    }
    if inside.split_whitespace().count() > 1 {
        return true;
    }
    let first = |s: &str| {
        s.chars()
            .find(|c| c.is_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
    };
    let acronym_like = inside.chars().filter(|c| c.is_uppercase()).count() >= 2;
    // `Development environment (dev)`: a clipped first word is another name too.
    let first_word = term.split_whitespace().next().unwrap_or("").to_lowercase();
    if inside.len() >= 3 && first_word.starts_with(&inside.to_lowercase()) {
        return true;
    }
    // `Euclidean distance (L2)`: a short code with a digit is another name too.
    let short_code = inside.len() <= 4 && inside.chars().any(|c| c.is_ascii_digit());
    (acronym_like && first(term) == first(inside)) || short_code
}

/// Initials of a multi-word term (`Horizontal Pod Autoscaler` → `hpa`), small words skipped.
pub fn initials(term: &str) -> Option<String> {
    if term.split_whitespace().count() < 2 {
        return None;
    }
    let letters: String = term
        .split(|c: char| c.is_whitespace() || c == '-' || c == '/')
        .filter(|w| !w.is_empty() && !words::SMALL_WORDS.contains(&w.to_lowercase().as_str()))
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    (letters.chars().count() >= 3).then_some(letters)
}

/// `X is a/an/the ...` → `X` (article dropped), when X is short and not a pronoun.
fn is_a_subject(body: &str) -> Option<String> {
    let at = subject_end(body)?;
    let subject = body[..at].trim();
    let subject = ["A ", "An ", "The ", "a ", "an ", "the "]
        .iter()
        .find_map(|a| subject.strip_prefix(a))
        .unwrap_or(subject)
        .trim();
    let words: Vec<&str> = subject.split_whitespace().collect();
    if words.is_empty() || words.len() > 6 || subject.contains([',', ':', ';', '.', '!', '?']) {
        return None;
    }
    let first = words[0].to_lowercase();
    if NOT_TERM_FIRST_WORDS.contains(&first.as_str())
        || words
            .iter()
            .any(|w| VERB_WORDS.contains(&w.to_lowercase().as_str()))
    {
        return None;
    }
    Some(subject.to_string())
}

/// Where ` is a `, ` is an `, ` is the `, ` are a ` or ` are the ` first starts in `body`,
/// in any case (a place in `body` itself: a text lowercased can be longer than the text,
/// `İ` is 2 bytes and lowercases to 3, so a place found in it could cut `body` inside a
/// character). A subject longer than six words is not a term, so only the first eight words
/// are looked in: a pattern starting after them leaves at least seven words in front,
/// article dropped.
fn subject_end(body: &str) -> Option<usize> {
    const PATTERNS: [&str; 5] = [" is a ", " is an ", " is the ", " are a ", " are the "];
    let longest = PATTERNS.iter().map(|p| p.len()).max().unwrap_or(0);
    let eighth_end = body
        .split_whitespace()
        .nth(7)
        .map(|w| w.as_ptr() as usize - body.as_ptr() as usize + w.len());
    let head_len = eighth_end.map_or(body.len(), |end| (end + longest).min(body.len()));
    let head = &body.as_bytes()[..head_len];
    // The patterns are ASCII, and no other character lowercases to their letters followed
    // by theirs, so a match ignoring ASCII case is the match in the lowercased text.
    memchr::memchr_iter(b' ', head).find(|&i| {
        PATTERNS.iter().any(|p| {
            head.get(i..i + p.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(p.as_bytes()))
        })
    })
}

/// The term a heading names, for heading-per-term glossaries: short, not a question,
/// not a letter group (`## A`), not numbered, not a topic heading (`Overview`, `How ...`).
/// `What is a X` names `X`.
fn heading_term(section: &Section) -> Option<String> {
    let heading = section.heading()?.trim();
    let lower = heading.to_lowercase();
    for prefix in [
        "what is a ",
        "what is an ",
        "what is the ",
        "what is ",
        "what are ",
    ] {
        if let Some(rest) = strip_prefix_ascii_case(heading, prefix) {
            let term = rest.trim_end_matches(['?', ' ']);
            return Some(term.to_string()).filter(|t| !t.is_empty());
        }
    }
    let words: Vec<&str> = heading.split_whitespace().collect();
    let first = words.first()?.to_lowercase();
    let last = words.last()?.to_lowercase();
    let gerund_phrase = words.len() >= 3
        && first.ends_with("ing")
        && words[1..]
            .iter()
            .any(|w| words::SMALL_WORDS.contains(&w.to_lowercase().as_str()) || *w == "into");
    if words.len() > 6
        || heading.chars().count() < 2
        || heading.ends_with(['?', ':', '.', '!'])
        || heading.starts_with(|c: char| c.is_ascii_digit())
        || NOT_HEADING_TERMS.contains(&first.as_str())
        || NOT_HEADING_LAST_WORDS.contains(&last.as_str())
        || lower.contains(" vs ")
        || lower.contains(" versus ")
        || gerund_phrase
    {
        return None;
    }
    Some(heading.to_string())
}

/// A paragraph that can define the heading above it: a few words, and not a short line
/// leading into a list (`Generative AI:`).
fn looks_like_definition(body: &str) -> bool {
    let words = body.split_whitespace().count();
    words >= 3 && (words >= 8 || !body.trim_end().ends_with(':'))
}

/// True when a heading and an `X is a` subject name the same thing, so the heading is the
/// term: the subject's words are all in the heading (`finetuned models` and `Finetuning`,
/// compared by a crude 5-letter prefix), or the subject is the heading qualified
/// (`pipeline` and `pipeline in Transformers`). `Retrieval` and `Retrieval-augmented
/// generation` are different things: there the heading is a topic.
fn same_thing(heading: &str, subject: &str) -> bool {
    let prefixes = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 3)
            .map(|w| w.to_lowercase().chars().take(5).collect())
            .collect()
    };
    let (h, s) = (prefixes(heading), prefixes(subject));
    let qualified = subject
        .to_lowercase()
        .strip_prefix(&heading.to_lowercase())
        .is_some_and(|rest| {
            ["in", "of", "for", "on", "at"]
                .iter()
                .any(|w| rest.starts_with(&format!(" {w} ")))
        });
    qualified || (!s.is_empty() && s.iter().all(|w| h.contains(w)))
}

/// A table whose rows define terms: a `Term | Definition` header by its words, or any
/// two-column table whose first column holds short names and whose second describes them
/// in longer text (`Metric | What it measures`, `Flag | Meaning`).
fn is_name_table(header: &[String], rows: &[Row]) -> bool {
    if words::is_glossary_header(header) {
        return true;
    }
    let first_header = header
        .first()
        .map(|h| h.trim().to_lowercase())
        .unwrap_or_default();
    if header.len() != 2 || rows.is_empty() || NOT_NAME_HEADERS.contains(&first_header.as_str()) {
        return false;
    }
    let count = |s: &str| s.split_whitespace().count();
    let names_short = rows.iter().all(|r| {
        let name = r.cells.first().map(String::as_str).unwrap_or("");
        !name.is_empty()
            && count(name) <= 5
            && name.chars().count() <= 50
            && !name.ends_with(['.', '!', '?'])
            && name.chars().any(char::is_alphabetic)
    });
    let words_in = |col: usize| -> f64 {
        let total: usize = rows
            .iter()
            .map(|r| r.cells.get(col).map_or(0, |c| count(c)))
            .sum();
        total as f64 / rows.len() as f64
    };
    // Words, not codes: `0x68 0x32` or `8B` describe nothing.
    let prose_in_second = rows
        .iter()
        .map(|r| {
            r.cells.get(1).map_or(0, |c| {
                c.split_whitespace()
                    .filter(|w| w.chars().filter(|ch| ch.is_alphabetic()).count() >= 2)
                    .filter(|w| !w.starts_with("0x"))
                    .count()
            })
        })
        .sum::<usize>() as f64
        / rows.len() as f64;
    let second_header = header[1].trim().to_lowercase();
    if words::DESCRIPTION_HEADERS.contains(&second_header.as_str()) {
        // `Flag | Meaning`: the header says it; shorter descriptions still count.
        return names_short && words_in(1) >= 2.0 && prose_in_second >= 1.5;
    }
    names_short && words_in(1) >= 3.0 && words_in(1) >= words_in(0) + 2.0 && prose_in_second >= 3.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sections::parse;

    fn defs(md: &str) -> Vec<(String, String, usize)> {
        extract("t.md", &parse(md))
            .into_iter()
            .filter(|e| e.kind == Kind::Definition)
            .map(|e| (e.term.unwrap(), e.text, e.line))
            .collect()
    }

    #[test]
    fn a_huge_definition_is_cut_and_its_block_stays_whole_in_passages() {
        let body = "word ".repeat(4000);
        let entries = extract("t.md", &parse(&format!("**Huge**: {body}\n")));
        let def = entries.iter().find(|e| e.kind == Kind::Definition).unwrap();
        assert!(def.text.len() <= PASSAGE_CHUNK + 3, "{}", def.text.len());
        assert!(def.text.ends_with("word\u{2026}"));
        let passages: usize = entries
            .iter()
            .filter(|e| e.kind == Kind::Passage)
            .map(|e| e.text.matches("word").count())
            .sum();
        assert_eq!(passages, 4000);
    }

    #[test]
    fn many_aliases_are_deduplicated_and_long_ones_dropped() {
        let aliases: Vec<String> = ["HPA", "hpa", "Horizontal Pod Autoscaler"]
            .iter()
            .map(|s| s.to_string())
            .chain(std::iter::once("x".repeat(81)))
            .collect();
        let def = definition(
            "Horizontal Pod Autoscaler",
            Source::Title,
            aliases,
            "A scaler.".into(),
        );
        assert_eq!(def.unwrap().aliases, ["HPA"]);
    }

    fn terms(md: &str) -> Vec<String> {
        defs(md).into_iter().map(|d| d.0).collect()
    }

    #[test]
    fn a_bold_lead_in_variants() {
        let md = "**Fine-tuning** The process of training more.\n\n**Token**: A unit.\n\n- **Term:** Item text here.\n- other\n  - **Nested** Inside an item.\n";
        assert_eq!(
            defs(md),
            vec![
                (
                    "Fine-tuning".into(),
                    "The process of training more.".into(),
                    1
                ),
                ("Token".into(), "A unit.".into(), 3),
                ("Term".into(), "Item text here.".into(), 5),
                ("Nested".into(), "Inside an item.".into(), 7),
            ]
        );
    }

    #[test]
    fn a_bold_mid_sentence_is_not_a_definition() {
        assert!(terms(
            "The **attention** layer matters here.\n\nwe use\n**bold** words to weigh.\n"
        )
        .is_empty());
    }

    #[test]
    fn b_code_lead_in() {
        assert_eq!(
            defs("`Token`: Basic building block.\n"),
            vec![("Token".into(), "Basic building block.".into(), 1)]
        );
    }

    #[test]
    fn c_plain_term_lines_and_items() {
        let md = "- LLMs: Trained on massive datasets.\n- Vector store - A database of vectors.\n- Agent \u{2014} A model that uses tools.\n\nThis is a sentence: not a term here.\n";
        assert_eq!(terms(md), ["LLMs", "Vector store", "Agent"]);
    }

    #[test]
    fn lead_ins_on_every_line_of_a_paragraph() {
        let md = "**Why now ?**  Large datasets, compute.   \n**Generative AI Use Cases** Image generation.\n\n- LLMs: big models\n\t- How LLM work: Encoding\n\n\tPropietary Models: Positive - speed. Negative :- cost\n\tOpen Source Models: Task-tailoring, control.\n";
        assert_eq!(
            terms(md),
            [
                "Why now?",
                "Generative AI Use Cases",
                "LLMs",
                "Propietary Models",
                "Open Source Models"
            ]
        );
        assert_eq!(defs(md)[3].1, "Positive - speed. Negative :- cost");
        assert_eq!(defs(md)[4].2, 8);
    }

    #[test]
    fn d_heading_per_term_under_letter_groups() {
        let md = "# Glossary\n\n## A\n\n### attention mask\n\nThe mask tells the model which tokens to attend.\n\n### How to read\n\nSome words here.\n";
        assert_eq!(
            defs(md),
            vec![(
                "attention mask".into(),
                "The mask tells the model which tokens to attend.".into(),
                5
            )]
        );
    }

    #[test]
    fn e_front_matter_title_and_aliases() {
        let md = "---\ntitle: Horizontal Pod Autoscaler\naka:\n- HPA2\n---\n\nAn **object** that scales pods.\n\nMore text.\n";
        let entries = extract("hpa.md", &parse(md));
        let def = entries.iter().find(|e| e.kind == Kind::Definition).unwrap();
        assert_eq!(def.term.as_deref(), Some("Horizontal Pod Autoscaler"));
        assert_eq!(def.aliases, ["HPA2"]);
        assert!(
            def.keys.is_empty(),
            "HPA2 is a written acronym: no invented initials"
        );
        assert_eq!(def.line, 7);
        assert_eq!(
            entries
                .iter()
                .filter(|e| e.kind == Kind::Definition)
                .count(),
            1
        );
    }

    #[test]
    fn f_definition_lists() {
        assert_eq!(
            defs("Delta Sync Index\n: Syncs from a Delta table.\n"),
            vec![(
                "Delta Sync Index".into(),
                "Syncs from a Delta table.".into(),
                1
            )]
        );
    }

    #[test]
    fn g_glossary_tables() {
        let md = "| Concept | Meaning |\n|---|---|\n| **BPE** | Byte-pair encoding. |\n| WordPiece | BERT's tokenizer. |\n\n| Name | Age |\n|---|---|\n| Bob | 3 |\n";
        assert_eq!(
            defs(md),
            vec![
                ("BPE".into(), "Byte-pair encoding.".into(), 3),
                ("WordPiece".into(), "BERT's tokenizer.".into(), 4)
            ]
        );
    }

    #[test]
    fn h_is_a_paragraph_under_a_heading() {
        let md = "## Generative AI Basics\n\nAI --> ML --> DL --> Generative AI:\n\nGenerative AI is a sub-field of AI that generates content.\n";
        assert_eq!(terms(md), ["Generative AI"]);
    }

    #[test]
    fn a_subject_is_looked_for_in_the_first_words_as_in_the_whole_text() {
        // The earliest pattern in the whole text lowercased, as a place in the text: each
        // byte of the lowercased text knows the character of `body` it came from.
        let whole = |body: &str| {
            let (mut lower, mut from) = (String::new(), Vec::new());
            for (at, c) in body.char_indices() {
                for l in c.to_lowercase() {
                    lower.push(l);
                    from.resize(lower.len(), at);
                }
            }
            [" is a ", " is an ", " is the ", " are a ", " are the "]
                .iter()
                .filter_map(|p| lower.find(p))
                .min()
                .map(|at| from[at])
        };
        let subject =
            |at: Option<usize>, body: &str| at.map(|at| body[..at].split_whitespace().count());
        let bodies = [
            "A token is a piece of text.",
            "Tokens ARE THE units a model reads.",
            "one two three four five six seven is a thing",
            "one two three four five six seven eight is a thing",
            "one two three four five six seven eight nine is the end",
            "one two three four five six seven eight\tis an edge",
            "\u{130}stanbul is a city",
            "Caf\u{e9} is a place, and one two three four five six seven eight is the rest",
            "no pattern here at all",
            "is a",
            " is a ",
            "",
        ];
        for body in bodies {
            let (want, got) = (whole(body), subject_end(body));
            if want != got {
                // Only a match after the eighth word may differ: no subject either way.
                assert!(subject(want, body).is_some_and(|n| n >= 8), "{body:?}");
                assert!(
                    got.is_none_or(|at| subject(Some(at), body) >= Some(8)),
                    "{body:?}"
                );
            }
        }
        assert_eq!(subject_end("A token is a piece"), Some(7));
        assert_eq!(
            subject_end("one two three four five six seven eight nine is a x"),
            None
        );
    }

    #[test]
    fn letters_that_grow_when_lowercased_do_not_break_what_is_headings_or_alias_labels() {
        // Ten `İ` lowercase to ten bytes more than the heading's rest: the place taken from
        // the lowercased heading fell before its start (a panic that failed the whole run).
        let md = format!(
            "## What is {}?\n\nA thing of letters.\n",
            "\u{130}".repeat(10)
        );
        assert_eq!(terms(&md), ["\u{130}".repeat(10)]);
        assert_eq!(
            terms("## What is \u{130}stanbul?\n\nA city on the Bosphorus.\n"),
            ["\u{130}stanbul"]
        );
        assert_eq!(
            terms("## WHAT IS A Token?\n\nA piece of text.\n"),
            ["Token"]
        );
        let aka = format!("A city {} AKA: Constantinople.", "\u{130}".repeat(4));
        let (before, names) = split_alias_sentence(&aka);
        assert_eq!(before, format!("A city {}", "\u{130}".repeat(4)));
        assert_eq!(names, ["Constantinople"]);
    }

    #[test]
    fn letters_that_grow_when_lowercased_do_not_break_the_subject_search() {
        // `İ` is 2 bytes and lowercases to 3: the pattern's place in the lowercased text
        // cut this paragraph inside a character (a panic that failed the whole run).
        let md = "## Thing\n\n\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130} is a \u{e9}\u{e9}\u{e9}\u{e9} thing here.\n";
        assert_eq!(terms(md), ["\u{130}".repeat(9)]);
        assert_eq!(
            terms("## City\n\n\u{130}zmir Bay is a gulf.\n"),
            ["\u{130}zmir Bay"]
        );
        assert_eq!(
            terms("## Thing\n\nA widget is a small thing.\n"),
            ["widget"]
        );
    }

    #[test]
    fn acronym_in_parentheses_and_initials_become_aliases() {
        let entries = extract(
            "t.md",
            &parse("**Retrieval-augmented generation (RAG)**: Retrieve then generate.\n"),
        );
        assert_eq!(
            entries[0].term.as_deref(),
            Some("Retrieval-augmented generation")
        );
        assert_eq!(entries[0].aliases, ["RAG"]);
        assert_eq!(
            initials("Horizontal Pod Autoscaler").as_deref(),
            Some("hpa")
        );
        assert_eq!(
            initials("Reinforcement learning from human feedback").as_deref(),
            Some("rlhf")
        );
    }

    #[test]
    fn qualifiers_in_parentheses_stay_in_the_term() {
        assert_eq!(
            split_term("Media (CSS)"),
            Some(("Media (CSS)".into(), None))
        );
        assert_eq!(
            split_term("Signature (security)"),
            Some(("Signature (security)".into(), None))
        );
        assert_eq!(
            split_term("Top-p sampling (nucleus sampling)"),
            Some(("Top-p sampling".into(), Some("nucleus sampling".into())))
        );
        assert_eq!(
            split_term("Identity provider (IdP)"),
            Some(("Identity provider".into(), Some("IdP".into())))
        );
        assert_eq!(
            split_term("Euclidean distance (L2)"),
            Some(("Euclidean distance".into(), Some("L2".into())))
        );
    }

    #[test]
    fn templates_do_not_leak_into_terms_or_text() {
        let md = "**{{Glossary(\"HTTP\")}}** <b>Hyper</b>text transfer {{cssxref(\"color\")}} protocol.\n";
        assert_eq!(
            defs(md),
            vec![(
                "HTTP".into(),
                "Hypertext transfer color protocol.".into(),
                1
            )]
        );
    }

    #[test]
    fn every_block_is_a_passage_with_its_heading_path() {
        let md = "# A\n\n## B\n\npara one\n\n- item\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n```\ncode here\n```\n";
        let passages: Vec<(usize, Vec<String>)> = extract("t.md", &parse(md))
            .into_iter()
            .filter(|e| e.kind == Kind::Passage)
            .map(|e| (e.line, e.heading_path))
            .collect();
        let path = vec!["A".to_string(), "B".to_string()];
        assert_eq!(
            passages,
            vec![
                (5, path.clone()),
                (7, path.clone()),
                (9, path.clone()),
                (14, path)
            ]
        );
    }

    #[test]
    fn long_passages_are_chunked() {
        let long = "word ".repeat(3000);
        let n = extract("t.md", &parse(&long)).len();
        assert!(n >= 3, "{n}");
    }

    fn named(md: &str) -> Vec<(String, Vec<String>, String, usize)> {
        extract("t.md", &parse(md))
            .into_iter()
            .filter(|e| e.kind == Kind::Definition)
            .map(|e| (e.term.unwrap(), e.aliases, e.text, e.line))
            .collect()
    }

    fn n(
        term: &str,
        aliases: &[&str],
        text: &str,
        line: usize,
    ) -> (String, Vec<String>, String, usize) {
        (
            term.into(),
            aliases.iter().map(|a| a.to_string()).collect(),
            text.into(),
            line,
        )
    }

    #[test]
    fn a_bold_term_alone_on_its_line_or_before_a_br() {
        let md = "**Vector Search**\nANN index over embeddings, synced from a Delta table\n\n* **Tool use**<br>the model emits a call, the app runs it\n* `top_k`<br/>how many chunks come back\n";
        assert_eq!(
            named(md),
            vec![
                n(
                    "Vector Search",
                    &[],
                    "ANN index over embeddings, synced from a Delta table",
                    1
                ),
                n(
                    "Tool use",
                    &[],
                    "the model emits a call, the app runs it",
                    4
                ),
                n("top_k", &[], "how many chunks come back", 5),
            ]
        );
        // A bold line over a sentence that is a label or a heading is not a term.
        assert!(terms("**Note**\nread this twice\n\n**Week 7**\nwe covered RAG\n").is_empty());
    }

    #[test]
    fn c_equals_and_arrow_separators() {
        let md = "Temperature = how random the sampling is\n\n- Top-k -> keep only the k likeliest tokens\n- Top-p => keep the smallest set over p\n- Embedding :: a vector that stands for a text\n- **Chunk** = a piece of a document\n- x = y + 1\n- tokenize -> embed tokens -> attend\n";
        assert_eq!(
            terms(md),
            ["Temperature", "Top-k", "Top-p", "Embedding", "Chunk"]
        );
        assert_eq!(defs(md)[1].1, "keep only the k likeliest tokens");
    }

    #[test]
    fn a_parenthesised_other_name_before_the_separator() {
        let md = "**SFT** (supervised fine-tuning) - training on labelled pairs\n\nMin-p (floor): drop tokens below a share of the top one\n\n- **Beam** (optional): a search width\n";
        assert_eq!(
            named(md),
            vec![
                n(
                    "SFT",
                    &["supervised fine-tuning"],
                    "training on labelled pairs",
                    1
                ),
                n(
                    "Min-p",
                    &["floor"],
                    "drop tokens below a share of the top one",
                    3
                ),
                n("Beam (optional)", &[], "a search width", 5),
            ]
        );
    }

    #[test]
    fn g_two_column_tables_of_names_whatever_the_headers() {
        let md = "| Metric | What it measures |\n|---|---|\n| BLEU | n-gram overlap with a reference |\n| Perplexity | how surprised the model is |\n\n| Flag | Meaning |\n|---|---|\n| `--rebuild` | start the index from scratch |\n\n| Pros | Cons |\n|---|---|\n| fast | it costs a lot of money to run |\n\n| Model | Size |\n|---|---|\n| Llama | 8B |\n";
        assert_eq!(terms(md), ["BLEU", "Perplexity", "--rebuild"]);
    }

    #[test]
    fn html_term_cards_and_dl_glossaries() {
        let md = "# Agent Concepts\n\nGenerated.\n\n<section class=\"term-card\">\n\n<h3 id=\"agent\"><a href=\"#agent\">Agent</a></h3>\n\n<blockquote>\n<p>An agent is a system that acts for a user &amp; plans.</p>\n</blockquote>\n\n<p class=\"term-meta\"><em>Also known as:</em> AI agent, autonomous agent</p>\n\n</section>\n\n<dl>\n  <dt>Prompt</dt>\n  <dd>The input text given to a model.</dd>\n\n  <dt><code>top_p</code></dt>\n  <dd>Nucleus sampling threshold.</dd>\n</dl>\n";
        assert_eq!(
            named(md),
            vec![
                n(
                    "Agent",
                    &["AI agent", "autonomous agent"],
                    "An agent is a system that acts for a user & plans.",
                    7
                ),
                n("Prompt", &[], "The input text given to a model.", 18),
                n("top_p", &[], "Nucleus sampling threshold.", 21),
            ]
        );
    }

    #[test]
    fn nothing_invented_written_aliases_shown_initials_silent() {
        let entries = extract(
            "t.md",
            &parse("**Low-rank adaptation (LoRA)**: Train small matrices.\n\n**Time to first token**: The delay before output starts.\n"),
        );
        assert_eq!(entries[0].aliases, ["LoRA"]);
        assert!(entries[0].keys.is_empty(), "LoRA contradicts lra");
        assert!(entries[1].aliases.is_empty());
        assert_eq!(entries[1].keys, ["tft"]);
    }

    #[test]
    fn not_definitions_titles_labels_questions_and_instructions() {
        let md = "# Tokenization\n\nTokenization splits text into tokens for the model to read.\n\n## Week 7\n\nThis week we covered retrieval and chunking in depth.\n\n## Exam tips\n\n- Match the task to its name: labels are classification.\n- **Tip:** read every option twice.\n\n**Note:** this is not a term.\n\nQ: What is a token?\nA: A piece of a word.\n\n## Byte-pair encoding\n\nMerges frequent pairs of symbols into new tokens.\n";
        assert_eq!(terms(md), ["Byte-pair encoding"]);
        // A one-term note: the title heading followed by its definition.
        assert_eq!(
            terms("# Tokenizer\n\nThe component that splits text into tokens.\n"),
            ["Tokenizer"]
        );
    }

    #[test]
    fn near_misses_of_the_new_patterns() {
        // Prose that opens with "Also known as" is a definition, not an alias line.
        let md = "### encoder models\n\nAlso known as autoencoding models, encoder models take an input and turn it into an embedding.\n";
        assert_eq!(terms(md), ["encoder models"]);
        // A synonym in parentheses marks a lead-in even when the body opens lowercase.
        assert_eq!(
            named("- **HTML** (hypertext markup language) is the format of web pages.\n"),
            vec![n(
                "HTML",
                &["hypertext markup language"],
                "is the format of web pages.",
                1
            )]
        );
        // A numeric range is a qualifier, not another name.
        assert_eq!(
            terms("- **Low (0.1-0.5)**: Deterministic, focused outputs\n"),
            ["Low (0.1-0.5)"]
        );
        // A table of byte codes describes nothing.
        assert!(terms("| Protocol | Identification sequence |\n|---|---|\n| HTTP/1.1 | `0x68 0x74 0x74 0x70 0x2F 0x31` |\n").is_empty());
    }

    #[test]
    fn more_near_misses_labels_instructions_short_described_tables_indented_html() {
        let md = "- **Q: What is RAG?** Retrieval then generation.\n- Don't confuse recall and precision: they differ.\n- **Definition:** a word for a thing.\n\n| Flag | Meaning |\n|---|---|\n| -v | verbose output |\n| --json | machine-readable output |\n";
        assert_eq!(terms(md), ["-v", "--json"]);
        let md = "<dl>\n  <dt>Throughput</dt>\n\n    <dd>Requests served per second.</dd>\n\n  <dt>Latency</dt>\n  <dd>Time for one request.</dd>\n</dl>\n";
        assert_eq!(
            defs(md),
            vec![
                ("Throughput".into(), "Requests served per second.".into(), 2),
                ("Latency".into(), "Time for one request.".into(), 6),
            ]
        );
    }

    #[test]
    fn html_tables_are_tables() {
        let md = "<table>\n  <tr><th>Term</th><th>Definition</th></tr>\n  <tr><td><b>KV cache</b></td><td>Stored keys and values of past tokens.</td></tr>\n\n  <tr><td>Prefill</td><td>Reading the whole prompt once.</td></tr>\n</table>\n";
        assert_eq!(
            defs(md),
            vec![
                (
                    "KV cache".into(),
                    "Stored keys and values of past tokens.".into(),
                    3
                ),
                ("Prefill".into(), "Reading the whole prompt once.".into(), 5),
            ]
        );
    }

    #[test]
    fn obsidian_wikilinks_read_as_their_text() {
        let md = "- [[Vector Search]] - ANN index over embeddings\n- **[[Delta table|Delta tables]]**: versioned Parquet tables\n";
        assert_eq!(terms(md), ["Vector Search", "Delta tables"]);
    }
}
