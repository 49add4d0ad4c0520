//! Text for a terminal, optionally coloured: the term, its source, the highlighted snippet.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::{segments, Renderer, HEADING_SEPARATOR};
use crate::entries::Kind;
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

impl Renderer for Text {
    fn render(&self, results: &Results, out: &mut dyn Write) -> io::Result<()> {
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
            let source = self.paint(
                PATH,
                &format!("{}:{}", super::printable(&hit.file), hit.line),
            );
            if hit.heading_path.is_empty() {
                writeln!(out, "  {source}")?;
            } else {
                let path = self.paint(HEADING, &hit.heading_path.join(HEADING_SEPARATOR));
                writeln!(out, "  {source}  {path}")?;
            }
            writeln!(out, "  {}", self.snippet(hit).replace('\n', "\n  "))?;
        }
        Ok(())
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
