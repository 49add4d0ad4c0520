//! Entries: the definitions and passages found in a parsed note.
//!
//! Definitions are recognised in eight note styles (see the README): bold and code lead-ins,
//! short `Term: definition` lines, heading-per-term glossaries, front matter titles,
//! definition lists, `Term | Definition` tables, and `X is a ...` paragraphs under a heading.
//! Every block is also a passage.

use serde::Serialize;

use crate::sections::{Block, Document, Line, Section, Style};
use crate::text;

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Definition or passage.
    pub kind: Kind,
    /// The defined term (definitions only), clean of markup.
    pub term: Option<String>,
    /// Other names of the term: a parenthesised acronym, front matter aliases, initials.
    pub aliases: Vec<String>,
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
    let mut out = Vec::new();
    let tags = doc
        .front_matter
        .as_ref()
        .map(|f| f.tags.clone())
        .unwrap_or_default();
    let mut title_pending = doc.front_matter.as_ref().and_then(|f| f.title.clone());
    let push_def = |out: &mut Vec<Entry>,
                    sec: &Section,
                    term: &str,
                    aliases: Vec<String>,
                    body: String,
                    line: usize| {
        if let Some(entry) = definition(file, sec, term, aliases, body, line, &tags) {
            out.push(entry);
        }
    };
    for section in &doc.sections {
        let mut defined_here = false;
        let mut paragraphs_seen = 0;
        // The second paragraph may still open a heading's definition when the first only
        // led into it (`AI --> ML --> DL --> Generative AI:`).
        let mut lead_in_only = true;
        for (index, block) in section.blocks.iter().enumerate() {
            // e. front matter title: the first paragraph of the body defines it.
            if let (Some(title), Block::Paragraph { line, .. }) = (&title_pending, block) {
                let aliases = doc
                    .front_matter
                    .as_ref()
                    .map(|f| f.aliases.clone())
                    .unwrap_or_default();
                push_def(&mut out, section, title, aliases, block.text(), *line);
                title_pending = None;
                defined_here = true;
                continue;
            }
            match block {
                Block::Paragraph { line, lines } => {
                    paragraphs_seen += 1;
                    let found = lead_ins(lines);
                    if paragraphs_seen > 2 {
                        lead_in_only = false;
                    }
                    if !found.is_empty() {
                        for (term, body, at) in found {
                            push_def(&mut out, section, &term, Vec::new(), body, at);
                        }
                        defined_here = true;
                    } else if !defined_here && lead_in_only && section.level > 0 {
                        let body = block.text();
                        lead_in_only = body.trim_end().ends_with(':') && paragraphs_seen == 1;
                        // d. a heading that names a term, defined by the paragraph below it;
                        // h. `X is a ...` opening a paragraph under a heading. When both apply
                        // and name the same thing, the heading is the term (`### pipeline` over
                        // `A pipeline in Transformers is ...`); otherwise the heading is a
                        // topic (`## Core ideas`) and the subject is the term.
                        let heading = (index == 0)
                            .then(|| heading_term(section))
                            .flatten()
                            .filter(|_| looks_like_definition(&body));
                        let chosen = match (heading, is_a_subject(&body)) {
                            (Some(h), Some(s)) if !same_thing(&h, &s) => Some((s, *line)),
                            (Some(h), _) => Some((h, section.line)),
                            (None, Some(s)) => Some((s, *line)),
                            (None, None) => None,
                        };
                        if let Some((term, at)) = chosen {
                            push_def(&mut out, section, &term, Vec::new(), body, at);
                            defined_here = true;
                        }
                    }
                }
                Block::List { items, .. } => {
                    for item in items {
                        for (term, body, at) in lead_ins(&item.lines) {
                            push_def(&mut out, section, &term, Vec::new(), body, at);
                            defined_here = true;
                        }
                    }
                }
                Block::DefinitionList { entries, .. } => {
                    for entry in entries {
                        if !entry.definition.is_empty() {
                            push_def(
                                &mut out,
                                section,
                                &entry.term,
                                Vec::new(),
                                entry.definition.clone(),
                                entry.line,
                            );
                            defined_here = true;
                        }
                    }
                }
                Block::Table { header, rows, .. } if is_glossary_header(header) => {
                    for row in rows {
                        if let (Some(term), Some(_)) = (row.cells.first(), row.cells.get(1)) {
                            let body = row.cells[1..]
                                .iter()
                                .filter(|c| !c.is_empty())
                                .cloned()
                                .collect::<Vec<_>>()
                                .join("; ");
                            push_def(&mut out, section, term, Vec::new(), body, row.line);
                            defined_here = true;
                        }
                    }
                }
                _ => {}
            }
        }
        // A front matter note whose body has no paragraph in this section keeps waiting.
        for block in &section.blocks {
            push_passages(&mut out, file, section, block, &tags);
        }
    }
    out
}

fn push_passages(
    out: &mut Vec<Entry>,
    file: &str,
    section: &Section,
    block: &Block,
    tags: &[String],
) {
    let text = block.text();
    if !text.chars().any(char::is_alphanumeric) {
        return;
    }
    for chunk in chunks(&text, PASSAGE_CHUNK) {
        out.push(Entry {
            kind: Kind::Passage,
            term: None,
            aliases: Vec::new(),
            text: chunk.to_string(),
            file: file.to_string(),
            line: block.line(),
            heading_path: section.heading_path.clone(),
            tags: tags.to_vec(),
        });
    }
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

#[allow(clippy::too_many_arguments)]
fn definition(
    file: &str,
    section: &Section,
    raw_term: &str,
    mut aliases: Vec<String>,
    body: String,
    line: usize,
    tags: &[String],
) -> Option<Entry> {
    let (term, alias) = split_term(raw_term)?;
    // The whole block is also a passage (in chunks); a definition is its opening.
    let body = text::truncate(&text::clean(&body), PASSAGE_CHUNK);
    if body.is_empty() || !body.chars().any(char::is_alphanumeric) {
        return None;
    }
    aliases.extend(alias);
    if let Some(initials) = initials(&term) {
        aliases.push(initials);
    }
    // A set, not a list: a hostile front matter can list a hundred thousand aliases.
    let mut seen = std::collections::HashSet::from([term.to_lowercase()]);
    aliases.retain(|a| {
        !a.is_empty() && a.chars().count() <= MAX_TERM_CHARS && seen.insert(a.to_lowercase())
    });
    Some(Entry {
        kind: Kind::Definition,
        term: Some(term),
        aliases,
        text: body,
        file: file.to_string(),
        line,
        heading_path: section.heading_path.clone(),
        tags: tags.to_vec(),
    })
}

/// Cleans a raw term and splits off a trailing parenthesised alias:
/// `Retrieval-augmented generation (RAG):` → (`Retrieval-augmented generation`, `RAG`).
pub fn split_term(raw: &str) -> Option<(String, Option<String>)> {
    let mut term = text::clean(raw);
    loop {
        let trimmed = term
            .trim_end_matches([':', '-', '\u{2013}', '\u{2014}', ',', ';', ' '])
            .trim_start_matches(['-', '*', ' ', '#'])
            .trim_matches(['"', '\'', '`', '\u{201c}', '\u{201d}'])
            .to_string();
        if trimmed == term {
            break;
        }
        term = trimmed;
    }
    let term = term.replace(" ?", "?");
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
    if !base.chars().any(char::is_alphanumeric) || base.chars().count() > MAX_TERM_CHARS {
        return None;
    }
    Some((base, alias))
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

const SMALL_WORDS: &[&str] = &[
    "a", "an", "and", "the", "of", "for", "from", "to", "in", "on", "with", "by", "or",
];

/// Initials of a multi-word term (`Horizontal Pod Autoscaler` → `hpa`), small words skipped.
pub fn initials(term: &str) -> Option<String> {
    if term.split_whitespace().count() < 2 {
        return None;
    }
    let letters: String = term
        .split(|c: char| c.is_whitespace() || c == '-' || c == '/')
        .filter(|w| !w.is_empty() && !SMALL_WORDS.contains(&w.to_lowercase().as_str()))
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    (letters.chars().count() >= 3).then_some(letters)
}

/// Words that never start a `Term: definition` line in prose.
const NOT_TERMS: &[&str] = &[
    "note",
    "notes",
    "example",
    "examples",
    "e.g",
    "i.e",
    "eg",
    "ie",
    "tip",
    "tips",
    "warning",
    "caution",
    "important",
    "see",
    "see also",
    "source",
    "sources",
    "default",
    "output",
    "input",
    "result",
    "results",
    "returns",
    "syntax",
    "usage",
    "answer",
    "question",
    "q",
    "todo",
    "update",
    "edit",
    "info",
    "summary",
    "step",
    "result",
    "also",
    "positive",
    "negative",
    "pros",
    "cons",
    "for example",
    "in short",
    "remember",
    "hint",
];

const NOT_TERM_FIRST_WORDS: &[&str] = &[
    "how", "why", "what", "when", "where", "which", "who", "if", "so", "but", "then", "and", "or",
    "because", "in", "on", "at", "for", "with", "this", "that", "these", "those", "it", "there",
    "here", "we", "you", "i", "they", "my", "our", "your", "let", "let's", "use", "remember",
    "note", "see", "also", "now", "first", "next", "finally", "then",
];

const VERB_WORDS: &[&str] = &[
    "is", "are", "was", "were", "be", "been", "can", "will", "should", "must", "do", "does",
    "have", "has", "you", "we", "it", "i", "this", "that", "these", "those",
];

/// Definitions that open lines of a paragraph or list item: (term, definition, line).
/// A lead-in can open any line; its definition runs to the next lead-in or paragraph.
fn lead_ins(lines: &[Line]) -> Vec<(String, String, usize)> {
    let mut found: Vec<(String, String, usize)> = Vec::new();
    let mut open = false;
    let mut previous_ends_sentence = true;
    for line in lines {
        let candidate = if line.starts_block || previous_ends_sentence || open {
            lead_in(line, line.starts_block || previous_ends_sentence || open)
        } else {
            None
        };
        let text = line.text();
        previous_ends_sentence = text.ends_with(['.', '!', '?', ';', ':']);
        match candidate {
            Some((term, body)) => {
                found.push((term, body, line.line));
                open = true;
            }
            None if open && !line.starts_block => {
                if let Some(last) = found.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(&text);
                }
            }
            None => open = false,
        }
    }
    found
}

/// The lead-in term of one line, if it opens with one: bold, code, or a short plain term
/// followed by `:` or a dash.
fn lead_in(line: &Line, plain_allowed: bool) -> Option<(String, String)> {
    let first = line.spans.iter().position(|s| !s.text.trim().is_empty())?;
    let head = &line.spans[first];
    let rest: String = line.spans[first + 1..]
        .iter()
        .map(|s| s.text.as_str())
        .collect();
    let rest = text::clean(&rest);
    match head.style {
        Style::Strong => {
            let term = text::clean(&head.text);
            let (body, had_separator) = strip_separator(&rest);
            let term_had_colon = term.ends_with(':');
            let body = body.to_string();
            if body.is_empty() || term.split_whitespace().count() > 8 {
                return None;
            }
            let opens_well = body
                .chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit() || c == '(');
            if !(had_separator || term_had_colon || opens_well) {
                return None;
            }
            if NOT_TERMS.contains(&term.trim_end_matches(':').to_lowercase().as_str()) {
                return None;
            }
            Some((term, body))
        }
        Style::Code => {
            let (body, had_separator) = strip_separator(&rest);
            if !had_separator || body.is_empty() {
                return None;
            }
            Some((text::clean(&head.text), body.to_string()))
        }
        Style::Plain if plain_allowed => plain_lead_in(&line.text()),
        Style::Plain => None,
    }
}

/// Removes a leading `:`, `:-`, `-`, `–` or `—` (and spaces); says whether there was one.
fn strip_separator(s: &str) -> (&str, bool) {
    let t = s.trim_start();
    for sep in [":-", ":", "-", "\u{2013}", "\u{2014}"] {
        if let Some(after) = t.strip_prefix(sep) {
            return (after.trim_start_matches(['-', ' ']).trim(), true);
        }
    }
    (t.trim(), false)
}

/// `Term: definition`, `Term - definition`, `Term — definition` with a short term.
fn plain_lead_in(text: &str) -> Option<(String, String)> {
    let colon = text
        .char_indices()
        .find(|&(i, c)| c == ':' && !text[i..].starts_with("://"))
        .map(|(i, _)| (i, 1));
    let dash = [" - ", " \u{2013} ", " \u{2014} "]
        .iter()
        .filter_map(|d| text.find(d).map(|i| (i, d.len())))
        .min();
    let (at, len) = match (colon, dash) {
        (Some(c), _) if c.0 <= 80 => c,
        (_, Some(d)) => d,
        _ => return None,
    };
    let mut term = text[..at].trim();
    if let Some(dash) = term.rfind(" - ") {
        term = term[dash + 3..].trim();
    }
    let body = text[at + len..].trim_start_matches(['-', ' ']).trim();
    let words: Vec<&str> = term.split_whitespace().collect();
    if words.is_empty() || words.len() > 6 || body.split_whitespace().count() < 2 {
        return None;
    }
    let lower = term.to_lowercase();
    let first = words[0].to_lowercase();
    let first_char = term.chars().next()?;
    if NOT_TERMS.contains(&lower.as_str())
        || NOT_TERM_FIRST_WORDS.contains(&first.as_str())
        || words
            .iter()
            .any(|w| VERB_WORDS.contains(&w.to_lowercase().as_str()))
        || term.contains([',', '.', '!', '?', '"', '[', ']', '='])
        || !(first_char.is_alphanumeric() || first_char == '(')
        || first_char.is_ascii_digit() && words.len() == 1
    {
        return None;
    }
    Some((term.to_string(), body.to_string()))
}

/// `X is a/an/the ...` → `X` (article dropped), when X is short and not a pronoun.
fn is_a_subject(body: &str) -> Option<String> {
    let lower = body.to_lowercase();
    let at = [" is a ", " is an ", " is the ", " are a ", " are the "]
        .iter()
        .filter_map(|p| lower.find(p))
        .min()?;
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

const NOT_HEADING_TERMS: &[&str] = &[
    "how",
    "why",
    "what",
    "when",
    "where",
    "which",
    "who",
    "is",
    "are",
    "do",
    "does",
    "can",
    "should",
    "putting",
    "exam",
    "see",
    "references",
    "further",
    "overview",
    "introduction",
    "summary",
    "index",
    "notes",
    "examples",
    "example",
    "related",
    "resources",
    "contents",
    "glossary",
    "faq",
    "tips",
    "key",
    "table",
    "appendix",
    "about",
    "usage",
    "installation",
    "getting",
    "next",
    "prerequisites",
    "before",
    "a",
    "an",
    "the",
    "some",
    "more",
    "other",
    "common",
    "specifications",
    "syntax",
    "description",
    "browser",
    "values",
    "parameters",
    "return",
    "exceptions",
    "properties",
    "methods",
    "events",
    "constructor",
    "accessibility",
];

const NOT_HEADING_LAST_WORDS: &[&str] = &[
    "basics",
    "overview",
    "fundamentals",
    "concepts",
    "introduction",
    "tips",
    "summary",
    "notes",
    "examples",
    "terms",
    "glossary",
    "definitions",
    "applications",
    "takeaways",
    "reference",
    "guide",
    "tutorial",
    "setup",
    "strategies",
    "options",
    "compatibility",
];

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
        if let Some(rest) = lower.strip_prefix(prefix) {
            let term = heading[heading.len() - rest.len()..].trim_end_matches(['?', ' ']);
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
            .any(|w| SMALL_WORDS.contains(&w.to_lowercase().as_str()) || *w == "into");
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

fn is_glossary_header(header: &[String]) -> bool {
    const TERM: &[&str] = &[
        "term",
        "terms",
        "concept",
        "name",
        "word",
        "acronym",
        "abbreviation",
        "keyword",
        "phrase",
        "jargon",
    ];
    const MEANING: &[&str] = &[
        "definition",
        "definitions",
        "meaning",
        "description",
        "explanation",
        "what it means",
        "what it is",
        "stands for",
        "summary",
    ];
    header.len() >= 2
        && TERM.contains(&header[0].to_lowercase().as_str())
        && MEANING.contains(&header[1].to_lowercase().as_str())
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
        let md = "# T\n\ntext\n";
        let doc = parse(md);
        let def = definition(
            "t.md",
            &doc.sections[0],
            "Horizontal Pod Autoscaler",
            aliases,
            "A scaler.".into(),
            1,
            &[],
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
        assert_eq!(def.aliases, ["HPA2", "hpa"]);
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
}
