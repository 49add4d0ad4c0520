//! Text for a terminal, optionally coloured: the term, its source, the highlighted snippet.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::{printable, segments, Renderer, HEADING_SEPARATOR};
use crate::context::Excerpt;
use crate::entries::Kind;
use crate::graph::Node;
use crate::search::{Hit, Results};

/// Text for people; `color` adds ANSI styles.
pub struct Text {
    /// Emit ANSI colours.
    pub color: bool,
}

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
        for (i, hit) in results.hits.iter().enumerate() {
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
    fn extras_add_a_see_also_line_and_replace_the_snippet_with_context() {
        let mut results = plain();
        results.hits.truncate(1);
        let mut out = Vec::new();
        Text { color: false }
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
        Text { color: false }
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
