//! Text for a terminal, optionally coloured: the term, its source, the highlighted snippet.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::{printable, segments, Renderer, HEADING_SEPARATOR};
use crate::context::Excerpt;
use crate::entries::Kind;
use crate::graph::Node;
use crate::search::{Hit, Results};

/// Text for people; `color` adds ANSI styles.
#[derive(Debug, Clone, Copy, Default)]
pub struct Text {
    /// Emit ANSI colours.
    pub color: bool,
    /// The first this many definitions are printed whole, wrapped, instead of their snippet
    /// (`define`: the reader asked for the definition, not an excerpt).
    pub whole: usize,
}

/// Columns a whole definition is wrapped to, indent included.
const WRAP_COLUMNS: usize = 80;

const TERM: Style = Style::new()
    .bold()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
const KIND: Style = Style::new().dimmed();
const PATH: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Magenta)));
pub(super) const MATCH: Style = Style::new()
    .bold()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));
const HEADING: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));

impl Text {
    fn paint(&self, style: Style, s: &str) -> String {
        if self.color {
            format!("{}{}{}", style.render(), s, style.render_reset())
        } else {
            s.to_string()
        }
    }

    /// The hit's whole text wrapped to [`WRAP_COLUMNS`], indented, with the snippet's
    /// highlights where they fall.
    fn whole_text(&self, hit: &Hit) -> String {
        let text = hit.text.as_str();
        let marks = highlights_in_text(hit);
        wrap(text, WRAP_COLUMNS - 2)
            .into_iter()
            .map(|(start, end)| format!("  {}", self.paint_range(text, start, end, &marks)))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// `text[start..end]` with the parts inside `marks` painted as matches.
    fn paint_range(&self, text: &str, start: usize, end: usize, marks: &[[usize; 2]]) -> String {
        let mut out = String::new();
        let mut at = start;
        for &[a, b] in marks {
            let (a, b) = (a.max(at), b.min(end));
            if a >= b {
                continue;
            }
            out.push_str(&text[at..a]);
            out.push_str(&self.paint(MATCH, &text[a..b]));
            at = b;
        }
        out.push_str(&text[at..end]);
        out
    }

    fn snippet(&self, hit: &Hit) -> String {
        segments(hit)
            .into_iter()
            .map(|(text, matched)| {
                if matched {
                    self.paint(MATCH, text)
                } else {
                    text.to_string()
                }
            })
            .collect()
    }
}

impl Text {
    /// Renders like [`Renderer::render`], adding under each hit a `see also:` line of the
    /// terms `see_also` gives, and printing the source lines `context` gives instead of the
    /// snippet.
    pub fn render_with(
        &self,
        results: &Results,
        out: &mut dyn Write,
        see_also: &dyn Fn(&Hit) -> Vec<String>,
        context: &dyn Fn(&Hit) -> Option<Excerpt>,
    ) -> io::Result<()> {
        let mut definitions = 0;
        for (i, hit) in results.hits.iter().enumerate() {
            let whole = hit.kind == Kind::Definition && definitions < self.whole;
            definitions += usize::from(hit.kind == Kind::Definition);
            if i > 0 {
                writeln!(out)?;
            }
            let title = match (&hit.kind, &hit.term) {
                (Kind::Definition, Some(term)) => {
                    let mut t = self.paint(TERM, term);
                    if !hit.aliases.is_empty() {
                        t.push_str(&format!(" ({})", hit.aliases.join(", ")));
                    }
                    format!("{t}  {}", self.paint(KIND, "definition"))
                }
                _ => self.paint(KIND, "passage"),
            };
            writeln!(out, "{title}")?;
            let source = self.paint(PATH, &format!("{}:{}", printable(&hit.file), hit.line));
            if hit.heading_path.is_empty() {
                writeln!(out, "  {source}")?;
            } else {
                let path = self.paint(HEADING, &hit.heading_path.join(HEADING_SEPARATOR));
                writeln!(out, "  {source}  {path}")?;
            }
            match context(hit) {
                Some(excerpt) => self.excerpt(&excerpt, out)?,
                None if whole => writeln!(out, "{}", self.whole_text(hit))?,
                None => writeln!(out, "  {}", self.snippet(hit).replace('\n', "\n  "))?,
            }
            let related = see_also(hit);
            if !related.is_empty() {
                let names: Vec<String> = related.iter().map(|s| printable(s)).collect();
                writeln!(
                    out,
                    "  {} {}",
                    self.paint(KIND, "see also:"),
                    names.join(", ")
                )?;
            }
        }
        // `define`: definitions that mention the query without defining it, as a last line
        // (no blank line: the blocks stay one per hit).
        if !results.hits.is_empty() && !results.mentioned_in.is_empty() {
            let names: Vec<String> = results.mentioned_in.iter().map(|s| printable(s)).collect();
            writeln!(
                out,
                "{} {}",
                self.paint(KIND, "mentioned in:"),
                names.join(", ")
            )?;
        }
        Ok(())
    }

    /// Numbered source lines, `N:` on the hit's line and `N-` around it (as grep -n -C).
    fn excerpt(&self, excerpt: &Excerpt, out: &mut dyn Write) -> io::Result<()> {
        let last = excerpt.first + excerpt.lines.len().saturating_sub(1);
        let width = last.to_string().len();
        for (n, line) in excerpt.lines.iter().enumerate() {
            let number = excerpt.first + n;
            let (mark, style) = if number == excerpt.hit {
                (':', PATH)
            } else {
                ('-', KIND)
            };
            let label = self.paint(style, &format!("{number:>width$}{mark}"));
            let text = printable(&line.replace('\t', "    "));
            if text.is_empty() {
                writeln!(out, "  {label}")?;
            } else {
                writeln!(out, "  {label} {text}")?;
            }
        }
        Ok(())
    }
}

impl Text {
    /// `gloss related`: the term, then the terms its definition mentions and the terms
    /// whose definitions mention it, each with its source; empty lists are left out.
    pub fn render_related(
        &self,
        node: &Node,
        mentions: &[&Node],
        mentioned_by: &[&Node],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let name = |n: &Node| {
            let mut t = printable(&n.term);
            if !n.aliases.is_empty() {
                let aliases: Vec<String> = n.aliases.iter().map(|a| printable(a)).collect();
                t.push_str(&format!(" ({})", aliases.join(", ")));
            }
            t
        };
        let source = |n: &Node| self.paint(PATH, &format!("{}:{}", printable(&n.file), n.line));
        writeln!(out, "{}  {}", self.paint(TERM, &name(node)), source(node))?;
        let width = mentions
            .iter()
            .chain(mentioned_by)
            .map(|n| name(n).chars().count())
            .max()
            .unwrap_or(0)
            .min(48);
        for (label, list) in [("mentions", mentions), ("mentioned by", mentioned_by)] {
            if list.is_empty() {
                continue;
            }
            writeln!(out)?;
            writeln!(
                out,
                "{}",
                self.paint(HEADING, &format!("{label} ({})", list.len()))
            )?;
            for n in list {
                let shown = name(n);
                let pad = width.saturating_sub(shown.chars().count());
                writeln!(
                    out,
                    "  {}{}  {}",
                    self.paint(TERM, &shown),
                    " ".repeat(pad),
                    source(n)
                )?;
            }
        }
        Ok(())
    }
}

/// The snippet's highlights moved onto the hit's whole text (the snippet is a cut of it,
/// perhaps with `…` at either end). Matches outside the snippet stay plain.
fn highlights_in_text(hit: &Hit) -> Vec<[usize; 2]> {
    let ellipsis = '\u{2026}';
    let core = hit
        .snippet
        .strip_prefix(ellipsis)
        .unwrap_or(&hit.snippet)
        .trim_end_matches(ellipsis);
    let shift = hit.snippet.len() - hit.snippet.trim_start_matches(ellipsis).len();
    let Some(offset) = hit.text.find(core).filter(|_| !core.is_empty()) else {
        return Vec::new();
    };
    hit.highlights
        .iter()
        .filter(|[a, b]| *a >= shift && b - shift <= core.len())
        .map(|[a, b]| [a - shift + offset, b - shift + offset])
        .filter(|[a, b]| hit.text.is_char_boundary(*a) && hit.text.is_char_boundary(*b))
        .collect()
}

/// Byte ranges of `text` as lines of at most `columns` characters, broken at spaces (a
/// longer word gets a line of its own) and at newlines.
fn wrap(text: &str, columns: usize) -> Vec<(usize, usize)> {
    let mut lines = Vec::new();
    let mut base = 0;
    for para in text.split('\n') {
        let (mut start, mut end, mut width) = (base, base, 0usize);
        let mut at = base;
        for word in para.split(' ') {
            let word_at = at;
            at += word.len() + 1;
            if word.is_empty() {
                continue;
            }
            let len = word.chars().count();
            if width > 0 && width + 1 + len > columns {
                lines.push((start, end));
                width = 0;
            }
            if width == 0 {
                start = word_at;
                width = len;
            } else {
                width += 1 + len;
            }
            end = word_at + word.len();
        }
        if width > 0 {
            lines.push((start, end));
        }
        base += para.len() + 1;
    }
    lines
}

impl Renderer for Text {
    fn render(&self, results: &Results, out: &mut dyn Write) -> io::Result<()> {
        self.render_with(results, out, &|_| Vec::new(), &|_| None)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{plain, render};
    use super::super::{renderer, Format, Options, View};
    use super::*;

    #[test]
    fn text_without_colour_is_plain() {
        let mut results = plain();
        results.hits.truncate(1);
        assert_eq!(
            render(Format::Text, View::Hits, &results),
            "Token  definition\n  a.md:3  NLP\n  Basic token unit.\n"
        );
    }

    #[test]
    fn text_separates_hits_with_a_blank_line() {
        assert_eq!(
            render(Format::Text, View::Glossary, &plain()),
            "Token  definition\n  a.md:3  NLP\n  Basic token unit.\n\npassage\n  b.md:9\n  Tokens, again.\n"
        );
    }

    #[test]
    fn the_best_definitions_are_printed_whole_and_wrapped() {
        let mut results = plain();
        let long = format!(
            "Start {}the matched word ends it.",
            "filler words here ".repeat(12)
        );
        let at = long.find("matched").unwrap();
        results.hits[0].text = long.clone();
        // The snippet is a cut of the text, with its own highlight offsets.
        results.hits[0].snippet = format!("\u{2026}{}", &long[at - 4..]);
        let shift = '\u{2026}'.len_utf8() + 4;
        results.hits[0].highlights = vec![[shift, shift + "matched".len()]];
        let mut out = Vec::new();
        Text {
            color: true,
            whole: 1,
        }
        .render_with(&results, &mut out, &|_| Vec::new(), &|_| None)
        .unwrap();
        let out = String::from_utf8(out).unwrap();
        let body: Vec<&str> = out.lines().skip(2).take_while(|l| !l.is_empty()).collect();
        let plain: Vec<String> = body
            .iter()
            .map(|l| {
                l.replace("\u{1b}[1m\u{1b}[31m", "")
                    .replace("\u{1b}[0m", "")
            })
            .collect();
        let joined: Vec<&str> = plain.iter().map(|l| l.trim_start()).collect();
        assert_eq!(joined.join(" "), long);
        assert!(plain.len() >= 3, "{out}");
        assert!(plain.iter().all(|l| l.chars().count() <= 80), "{out}");
        assert!(body.iter().all(|l| l.starts_with("  ")));
        assert!(out.contains("\u{1b}[1m\u{1b}[31mmatched\u{1b}[0m"), "{out}");
        // Passages and later definitions keep their snippet.
        assert!(out.contains("Tokens\u{1b}[0m, again.\n"), "{out}");
    }

    #[test]
    fn wrap_breaks_at_spaces_and_newlines() {
        let text = "aaa bbb ccc\nddd";
        let lines: Vec<&str> = wrap(text, 7)
            .into_iter()
            .map(|(a, b)| &text[a..b])
            .collect();
        assert_eq!(lines, ["aaa bbb", "ccc", "ddd"]);
        let text = "averyveryverylongword x";
        let lines: Vec<&str> = wrap(text, 5)
            .into_iter()
            .map(|(a, b)| &text[a..b])
            .collect();
        assert_eq!(lines, ["averyveryverylongword", "x"]);
    }

    #[test]
    fn extras_add_a_see_also_line_and_replace_the_snippet_with_context() {
        let mut results = plain();
        results.hits.truncate(1);
        let mut out = Vec::new();
        Text::default()
            .render_with(
                &results,
                &mut out,
                &|_| vec!["Embedding".into(), "Vocab\u{1b}[31m".into()],
                &|_| {
                    Some(Excerpt {
                        first: 9,
                        lines: vec!["## NLP".into(), "".into(), "\tBasic token unit.".into()],
                        hit: 11,
                    })
                },
            )
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Token  definition\n  a.md:3  NLP\n   9- ## NLP\n  10-\n  11:     Basic token unit.\n  see also: Embedding, Vocab\\u{1b}[31m\n"
        );
    }

    #[test]
    fn related_lists_mentions_and_mentioners_aligned() {
        let node = |term: &str, aliases: &[&str], line| Node {
            term: term.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            file: "a.md".into(),
            line,
        };
        let rag = node("Retrieval-augmented generation", &["RAG"], 1);
        let chunk = node("Chunk", &[], 5);
        let llm = node("Large language model", &["LLM"], 9);
        let mut out = Vec::new();
        Text::default()
            .render_related(&rag, &[&chunk, &llm], &[], &mut out)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Retrieval-augmented generation (RAG)  a.md:1\n\nmentions (2)\n  Chunk                       a.md:5\n  Large language model (LLM)  a.md:9\n"
        );
    }

    #[test]
    fn text_with_colour_marks_the_match() {
        let mut out = Vec::new();
        let options = Options {
            color: true,
            view: View::Hits,
        };
        renderer(Format::Text, options)
            .render(&plain(), &mut out)
            .unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains(&format!("{}token{}", MATCH.render(), MATCH.render_reset())));
    }
}
