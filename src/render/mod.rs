//! Render: ranked hits to one output format, written to any `impl Write`. Search never
//! prints; it hands [`Results`] to the renderer chosen once.
//!
//! One [`Renderer`] per format, one file each: [`Text`] for people at a terminal, [`Json`]
//! (the stable document in the README), [`Jsonl`] (one hit per line), [`Csv`], [`Markdown`]
//! (to paste into notes), [`Html`] (a self-contained page) and [`Anki`] (a deck for Anki's
//! "Import File"). The same renderers print search results and the whole glossary
//! ([`View::Glossary`], from `gloss terms`): HTML then adds an A-Z jump bar and an anchor
//! per term, and Markdown letter headings.
//!
//! Everything that comes from the notes is untrusted text: each format escapes it for its own
//! syntax (HTML entities, Markdown backslashes, CSV quoting, Anki's tab-separated rows).
//!
//! ```
//! use gloss::render::{renderer, Format, Options};
//! use gloss::{Hit, Kind, Results};
//!
//! let hit = Hit {
//!     rank: 1,
//!     kind: Kind::Definition,
//!     term: Some("Token".into()),
//!     aliases: vec![],
//!     text: "The basic unit of text.".into(),
//!     snippet: "The basic unit of text.".into(),
//!     highlights: vec![[10, 14]],
//!     heading_path: vec!["NLP".into()],
//!     file: "nlp.md".into(),
//!     line: 3,
//!     score: 1.0,
//!     key: "token".into(),
//!     ..Hit::default()
//! };
//! let results = Results { query: "unit".into(), hits: vec![hit], ..Results::default() };
//! let mut out = Vec::new();
//! renderer(Format::Markdown, Options::default()).render(&results, &mut out)?;
//! assert_eq!(
//!     String::from_utf8(out).unwrap(),
//!     "**Token**\\\nThe basic **unit** of text.\\\nnlp.md:3 — NLP\n"
//! );
//! # Ok::<(), std::io::Error>(())
//! ```

mod anki;
mod csv;
mod html;
mod json;
mod jsonl;
mod markdown;
mod text;

use std::io::{self, Write};

pub use self::anki::Anki;
pub use self::csv::Csv;
pub use self::html::Html;
pub use self::json::Json;
pub use self::jsonl::Jsonl;
pub use self::markdown::Markdown;
pub use self::text::Text;

use crate::search::{Hit, Results};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people: term, source, highlighted snippet.
    Text,
    /// The stable JSON document described in the README.
    Json,
    /// One JSON hit object per line.
    Jsonl,
    /// A header row, then one row per hit.
    Csv,
    /// A block per hit, to paste into markdown notes.
    Markdown,
    /// One self-contained HTML page.
    Html,
    /// A tab-separated deck for Anki's "Import File".
    Anki,
}

/// What the results are: hits of a query, or the glossary listing of `gloss terms`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum View {
    /// Ranked hits of a search.
    #[default]
    Hits,
    /// Every term A-Z, with the whole definition as the snippet.
    Glossary,
}

/// How to render, besides the format.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Emit ANSI colours (text only).
    pub color: bool,
    /// Search hits or the glossary.
    pub view: View,
}

/// Writes results in one format.
pub trait Renderer {
    /// Writes `results` to `out`. Io errors (a closed pipe) are returned, never swallowed.
    fn render(&self, results: &Results, out: &mut dyn Write) -> io::Result<()>;
}

/// `s` safe to print on a terminal: control characters (newlines in a file name, ANSI
/// escapes) are shown escaped instead of acted on.
pub fn printable(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The renderer for a format.
pub fn renderer(format: Format, options: Options) -> Box<dyn Renderer> {
    match format {
        Format::Text => Box::new(Text {
            color: options.color,
            whole: 0,
        }),
        Format::Json => Box::new(Json),
        Format::Jsonl => Box::new(Jsonl),
        Format::Csv => Box::new(Csv),
        Format::Markdown => Box::new(Markdown { view: options.view }),
        Format::Html => Box::new(Html { view: options.view }),
        Format::Anki => Box::new(Anki),
    }
}

/// Separator of headings in a heading path, as printed.
pub const HEADING_SEPARATOR: &str = " \u{203a} ";

/// The snippet cut at its highlights: `(text, matched)` pieces in order. Ranges that overlap
/// an earlier one or do not fall on character boundaries are skipped, never a panic.
pub(crate) fn segments(hit: &Hit) -> Vec<(&str, bool)> {
    let text = hit.snippet.as_str();
    let mut out = Vec::new();
    let mut at = 0;
    for &[a, b] in &hit.highlights {
        if a < at || b <= a || text.get(a..b).is_none() {
            continue;
        }
        if a > at {
            out.push((&text[at..a], false));
        }
        out.push((&text[a..b], true));
        at = b;
    }
    if at < text.len() {
        out.push((&text[at..], false));
    }
    out
}

/// `file:line — heading › path` (without the dash part when there is no heading).
pub(crate) fn source(hit: &Hit) -> String {
    if hit.heading_path.is_empty() {
        format!("{}:{}", hit.file, hit.line)
    } else {
        format!(
            "{}:{} \u{2014} {}",
            hit.file,
            hit.line,
            hit.heading_path.join(HEADING_SEPARATOR)
        )
    }
}

/// The term with its aliases, `Term (A, B)`; `None` for passages.
pub(crate) fn title(hit: &Hit) -> Option<String> {
    let term = hit.term.as_deref()?;
    Some(if hit.aliases.is_empty() {
        term.to_string()
    } else {
        format!("{term} ({})", hit.aliases.join(", "))
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::entries::Kind;

    /// A definition whose every field is hostile: markup, quotes, tabs, newlines.
    pub fn hostile() -> Hit {
        let term = "\"><img src=x onerror=alert(1)> *a*_b_\t`c`";
        let snippet = "Use <script>alert(\"x\")</script> & *stars* _under_\tthen\n# not a heading\n1. not a list | pipe";
        let at = snippet.find("stars").unwrap();
        Hit {
            rank: 1,
            kind: Kind::Definition,
            term: Some(term.into()),
            aliases: vec!["<b>B</b>".into()],
            text: snippet.into(),
            snippet: snippet.into(),
            highlights: vec![[at, at + 5]],
            heading_path: vec!["Sec \"one\"\t<i>".into(), "Sub\nhead".into()],
            file: "dir/we\"ird,\tname.md".into(),
            line: 7,
            score: 1.5,
            tags: Vec::new(),
            tier: 0,
            key: crate::tokenize::Analyzer::default().key(term),
            pending: None,
        }
    }

    /// A plain definition and a passage.
    pub fn plain() -> Results {
        Results {
            query: "token".into(),
            hits: vec![
                Hit {
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
                    tags: Vec::new(),
                    tier: 0,
                    key: "token".into(),
                    pending: None,
                },
                Hit {
                    rank: 2,
                    kind: Kind::Passage,
                    term: None,
                    aliases: vec![],
                    text: "Tokens, again.".into(),
                    snippet: "Tokens, again.".into(),
                    highlights: vec![[0, 6]],
                    heading_path: vec![],
                    file: "b.md".into(),
                    line: 9,
                    score: 0.5,
                    tags: Vec::new(),
                    tier: 5,
                    key: String::new(),
                    pending: None,
                },
            ],
            ..Results::default()
        }
    }

    pub fn results_of(hit: Hit) -> Results {
        Results {
            query: "q".into(),
            hits: vec![hit],
            ..Results::default()
        }
    }

    pub fn render(format: Format, view: View, results: &Results) -> String {
        let mut out = Vec::new();
        renderer(format, Options { color: false, view })
            .render(results, &mut out)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn segments_split_at_highlights_and_skip_bad_ranges() {
        let mut hit = plain().hits[0].clone();
        hit.highlights = vec![[6, 11], [8, 9], [12, 99], [13, 12]];
        assert_eq!(
            segments(&hit),
            [("Basic ", false), ("token", true), (" unit.", false)]
        );
        hit.snippet = "é".into();
        hit.highlights = vec![[1, 2]];
        assert_eq!(segments(&hit), [("é", false)]);
    }

    #[test]
    fn source_names_file_line_and_heading_path() {
        let r = plain();
        assert_eq!(source(&r.hits[0]), "a.md:3 \u{2014} NLP");
        assert_eq!(source(&r.hits[1]), "b.md:9");
    }

    /// A writer that fails like a pipe whose reader has gone.
    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
    }

    #[test]
    fn every_format_reports_a_closed_pipe() {
        let formats = [
            Format::Text,
            Format::Json,
            Format::Jsonl,
            Format::Csv,
            Format::Markdown,
            Format::Html,
            Format::Anki,
        ];
        for format in formats {
            for view in [View::Hits, View::Glossary] {
                let err = renderer(format, Options { color: false, view })
                    .render(&plain(), &mut ClosedPipe)
                    .expect_err("a closed pipe is an error");
                assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{format:?}");
            }
        }
    }
}
