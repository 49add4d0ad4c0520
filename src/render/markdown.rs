//! Markdown: one paragraph per hit, to paste into notes: the term in bold, the snippet with
//! matched words in bold, then the source line `file:line — heading › path`. Text from the
//! notes is backslash-escaped so it renders as written: no stray emphasis, links, HTML,
//! headings or list items.

use std::io::{self, Write};

use super::{segments, source, Renderer, View};
use crate::entries::Kind;
use crate::glossary;
use crate::search::{Hit, Results};
use crate::tokenize::Analyzer;

/// Markdown blocks; the glossary view adds a title and letter headings.
pub struct Markdown {
    /// Search hits or the glossary.
    pub view: View,
}

/// Characters that are markup anywhere on a line (CommonMark, GFM tables and strikethrough,
/// and the `#tag` and `$math$` extensions of common note apps).
fn is_inline_markup(c: char) -> bool {
    matches!(
        c,
        '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '$'
    )
}

/// Characters that open a block (heading, quote, list, setext underline) at a line's start.
fn is_block_markup(c: char) -> bool {
    matches!(c, '#' | '>' | '-' | '+' | '*' | '=' | '_' | '~' | '`')
}

/// One paragraph of markdown being built. Lines are joined with backslash hard breaks, so
/// a hit stays one paragraph whatever newlines its text has.
#[derive(Default)]
struct Paragraph {
    out: String,
    /// Nothing written on the current line yet.
    line_start: bool,
    /// Everything on the current line so far is digits (`1.` would start a list).
    digits: bool,
    /// A line break is owed before the next character.
    pending_break: bool,
}

impl Paragraph {
    fn new() -> Paragraph {
        Paragraph {
            line_start: true,
            ..Paragraph::default()
        }
    }

    /// Ends the current line, unless it is empty (a blank line would end the paragraph).
    fn newline(&mut self) {
        if !self.line_start {
            self.pending_break = true;
            self.line_start = true;
            self.digits = false;
        }
    }

    fn flush_break(&mut self) {
        if self.pending_break {
            self.out.push_str("\\\n");
            self.pending_break = false;
        }
    }

    /// Markup of our own, written as is.
    fn markup(&mut self, s: &str) {
        self.flush_break();
        self.out.push_str(s);
        self.line_start = false;
        self.digits = false;
    }

    /// Text from the notes, escaped so it renders literally.
    fn text(&mut self, s: &str) {
        for c in s.chars() {
            if c == '\n' {
                self.newline();
                continue;
            }
            if c.is_control() && c != '\t' {
                continue;
            }
            if self.line_start {
                // Leading blanks would indent the line into a code block.
                if c.is_whitespace() {
                    continue;
                }
                self.flush_break();
            }
            let at_start = self.line_start;
            self.line_start = false;
            if c.is_ascii_digit() && (at_start || self.digits) {
                self.digits = true;
                self.out.push(c);
                continue;
            }
            let ends_list_number = self.digits && matches!(c, '.' | ')');
            if ends_list_number || is_inline_markup(c) || (at_start && is_block_markup(c)) {
                self.out.push('\\');
            }
            self.digits = false;
            self.out.push(if c == '\t' { ' ' } else { c });
        }
    }

    fn finish(self) -> String {
        self.out
    }
}

/// A hit as one paragraph: title, snippet, source.
fn paragraph(hit: &Hit) -> String {
    let mut p = Paragraph::new();
    match (hit.kind, hit.term.as_deref()) {
        (Kind::Definition, Some(term)) => {
            p.markup("**");
            p.text(term);
            p.markup("**");
            if !hit.aliases.is_empty() {
                p.text(&format!(" ({})", hit.aliases.join(", ")));
            }
        }
        _ => p.markup("*passage*"),
    }
    p.newline();
    for (text, matched) in segments(hit) {
        if matched {
            p.markup("**");
            p.text(text);
            p.markup("**");
        } else {
            p.text(text);
        }
    }
    p.newline();
    p.text(&source(hit));
    p.finish()
}

fn heading(level: usize, text: &str) -> String {
    let mut p = Paragraph::new();
    p.markup(&format!("{} ", "#".repeat(level)));
    p.text(text);
    p.finish()
}

impl Renderer for Markdown {
    fn render(&self, results: &Results, out: &mut dyn Write) -> io::Result<()> {
        let mut blocks: Vec<String> = Vec::new();
        match self.view {
            View::Hits => blocks.extend(results.hits.iter().map(paragraph)),
            View::Glossary => {
                let title = if results.query.is_empty() {
                    "Glossary".to_string()
                } else {
                    format!(
                        "Glossary: terms starting with \u{201c}{}\u{201d}",
                        results.query
                    )
                };
                blocks.push(heading(1, &title));
                let mut analyzer = Analyzer::default();
                let mut current = None;
                for hit in &results.hits {
                    let letter = glossary::letter(&mut analyzer, hit.term.as_deref().unwrap_or(""));
                    if current != Some(letter) {
                        blocks.push(heading(2, &letter.to_string()));
                        current = Some(letter);
                    }
                    blocks.push(paragraph(hit));
                }
            }
        }
        for (i, block) in blocks.iter().enumerate() {
            if i > 0 {
                out.write_all(b"\n")?;
            }
            out.write_all(block.as_bytes())?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use pulldown_cmark::{Event, Parser, Tag};

    use super::super::tests::{hostile, plain, render, results_of};
    use super::super::{Format, View};
    use super::*;

    fn escaped(s: &str) -> String {
        let mut p = Paragraph::new();
        p.text(s);
        p.finish()
    }

    /// What a markdown renderer makes of `md`: the plain text, and every element opened
    /// (`Strong`, `Emphasis`, `Heading`...), by a real CommonMark parser with every syntax
    /// extension on (smart quotes aside: they change characters, not structure).
    fn parsed(md: &str) -> (String, Vec<String>) {
        let mut text = String::new();
        let mut tags = Vec::new();
        let options =
            pulldown_cmark::Options::all() - pulldown_cmark::Options::ENABLE_SMART_PUNCTUATION;
        for event in Parser::new_ext(md, options) {
            match event {
                Event::Text(t) => text.push_str(&t),
                Event::HardBreak | Event::SoftBreak => text.push('\n'),
                Event::Start(tag) => {
                    let name = match tag {
                        Tag::Heading { level, .. } => format!("{level:?}"),
                        other => format!("{other:?}")
                            .split(['(', ' '])
                            .next()
                            .unwrap_or("")
                            .to_string(),
                    };
                    tags.push(name);
                }
                Event::End(_) => {}
                other => tags.push(format!("{other:?}")),
            }
        }
        (text, tags)
    }

    #[test]
    fn markdown_block_has_bold_term_bold_matches_and_source() {
        assert_eq!(
            render(Format::Markdown, View::Hits, &plain()),
            "**Token**\\\nBasic **token** unit.\\\na.md:3 \u{2014} NLP\n\
             \n\
             *passage*\\\n**Tokens**, again.\\\nb.md:9\n"
        );
    }

    #[test]
    fn markdown_escapes_inline_markup() {
        let s = "*a* _b_ `c` [d](e) <f> |g| ~h~ &amp; \\ max_tokens $5 #tag a=b";
        assert_eq!(
            escaped(s),
            "\\*a\\* \\_b\\_ \\`c\\` \\[d\\](e) \\<f\\> \\|g\\| \\~h\\~ \\&amp; \\\\ max\\_tokens \\$5 \\#tag a=b"
        );
        assert_eq!(
            parsed(&escaped(s)),
            (s.to_string(), vec!["Paragraph".into()])
        );
    }

    #[test]
    fn markdown_escapes_block_starts_on_every_line() {
        let s = "a\n# h\n> q\n- l\n+ p\n* s\n1. n\n12) m\n    code\n---\n===\n\n```\n3.14 x";
        assert_eq!(
            escaped(s),
            "a\\\n\\# h\\\n\\> q\\\n\\- l\\\n\\+ p\\\n\\* s\\\n1\\. n\\\n12\\) m\\\ncode\\\n\\---\\\n\\===\\\n\\`\\`\\`\\\n3\\.14 x"
        );
        let (text, tags) = parsed(&escaped(s));
        assert_eq!(tags, ["Paragraph"]);
        assert_eq!(
            text,
            "a\n# h\n> q\n- l\n+ p\n* s\n1. n\n12) m\ncode\n---\n===\n```\n3.14 x"
        );
    }

    #[test]
    fn markdown_hostile_hit_renders_as_written() {
        let hit = hostile();
        let out = render(Format::Markdown, View::Hits, &results_of(hit.clone()));
        let (text, tags) = parsed(&out);
        // Only our own markup: the paragraph, the bold term and the bold match.
        assert_eq!(tags, ["Paragraph", "Strong", "Strong"], "{out}");
        let term = hit.term.unwrap().replace('\t', " ");
        assert!(text.starts_with(&format!("{term} (<b>B</b>)\n")), "{text}");
        assert!(text.contains("Use <script>alert(\"x\")</script> & *stars* _under_ then\n# not a heading\n1. not a list | pipe\n"), "{text}");
        assert!(
            text.ends_with("dir/we\"ird, name.md:7 \u{2014} Sec \"one\" <i> \u{203a} Sub\nhead"),
            "{text}"
        );
        assert!(!out.contains('\t'));
    }

    #[test]
    fn markdown_glossary_has_a_title_and_letter_headings() {
        let mut results = plain();
        results.query.clear();
        let out = render(Format::Markdown, View::Glossary, &results);
        assert!(out.starts_with("# Glossary\n\n## T\n\n**Token**"), "{out}");
        let (_, tags) = parsed(&out);
        let headings: Vec<&String> = tags.iter().filter(|t| t.starts_with('H')).collect();
        assert_eq!(headings, ["H1", "H2", "H2"]);
    }
}
