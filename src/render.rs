//! Render: ranked hits to text or JSON, written to any `impl Write`. Search never prints;
//! it hands [`Results`] to the renderer chosen once.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use crate::entries::Kind;
use crate::search::{Hit, Results};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people: term, source, highlighted snippet.
    Text,
    /// The stable JSON document described in the README.
    Json,
}

/// Writes results in one format.
pub trait Renderer {
    /// Writes `results` to `out`.
    fn render(&self, results: &Results, out: &mut dyn Write) -> io::Result<()>;
}

/// The renderer for a format; `color` applies to text only.
pub fn renderer(format: Format, color: bool) -> Box<dyn Renderer> {
    match format {
        Format::Text => Box::new(Text { color }),
        Format::Json => Box::new(Json),
    }
}

/// JSON: one object with `query`, `hits` and `suggestions`.
pub struct Json;

impl Renderer for Json {
    fn render(&self, results: &Results, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, results)?;
        writeln!(out)
    }
}

/// Text for a terminal, optionally coloured.
pub struct Text {
    /// Emit ANSI colours.
    pub color: bool,
}

const TERM: Style = Style::new()
    .bold()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
const KIND: Style = Style::new().dimmed();
const PATH: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Magenta)));
const MATCH: Style = Style::new()
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
        let mut out = String::new();
        let mut at = 0;
        for &[a, b] in &hit.highlights {
            if a < at || b > hit.snippet.len() {
                continue;
            }
            out.push_str(&hit.snippet[at..a]);
            if self.color {
                out.push_str(&self.paint(MATCH, &hit.snippet[a..b]));
            } else {
                out.push_str(&hit.snippet[a..b]);
            }
            at = b;
        }
        out.push_str(&hit.snippet[at..]);
        out
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
            let source = self.paint(PATH, &format!("{}:{}", hit.file, hit.line));
            if hit.heading_path.is_empty() {
                writeln!(out, "  {source}")?;
            } else {
                let path = self.paint(HEADING, &hit.heading_path.join(" \u{203a} "));
                writeln!(out, "  {source}  {path}")?;
            }
            writeln!(out, "  {}", self.snippet(hit).replace('\n', "\n  "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results() -> Results {
        Results {
            query: "token".into(),
            hits: vec![Hit {
                rank: 1,
                kind: Kind::Definition,
                term: Some("Token".into()),
                aliases: vec![],
                text: "Basic token unit.".into(),
                snippet: "Basic token unit.".into(),
                highlights: vec![[6, 11]],
                heading_path: vec!["NLP".into()],
                file: "a.md".into(),
                line: 3,
                score: 1.5,
                tier: 0,
            }],
            suggestions: vec![],
        }
    }

    #[test]
    fn text_without_colour_is_plain() {
        let mut out = Vec::new();
        renderer(Format::Text, false)
            .render(&results(), &mut out)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Token  definition\n  a.md:3  NLP\n  Basic token unit.\n"
        );
    }

    #[test]
    fn text_with_colour_marks_the_match() {
        let mut out = Vec::new();
        renderer(Format::Text, true)
            .render(&results(), &mut out)
            .unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains(&format!("{}token{}", MATCH.render(), MATCH.render_reset())));
    }

    #[test]
    fn json_has_the_documented_fields() {
        let mut out = Vec::new();
        renderer(Format::Json, false)
            .render(&results(), &mut out)
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let hit = &v["hits"][0];
        assert_eq!(hit["kind"], "definition");
        assert_eq!(hit["highlights"][0], serde_json::json!([6, 11]));
        assert_eq!(hit["line"], 3);
        assert!(hit.get("tier").is_none());
    }
}
