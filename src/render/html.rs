//! HTML: one self-contained page (inline CSS, no scripts, no external resources). Search
//! hits are articles with matched words in `<mark>`; the glossary is a definition list with
//! an A-Z jump bar and an anchor per term. Everything from the notes is entity-escaped, and
//! the page's Content-Security-Policy forbids scripts and remote loads besides.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::{self, Write};

use html_escape::encode_double_quoted_attribute as escape;

use super::{segments, Renderer, View, HEADING_SEPARATOR};
use crate::entries::Kind;
use crate::glossary;
use crate::search::{Hit, Results};
use crate::tokenize::Analyzer;

/// A self-contained HTML page.
pub struct Html {
    /// Search hits or the glossary.
    pub view: View,
}

const STYLE: &str = "\
:root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--mark:#fff1a8;--link:#0969da}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--mark:#6e5600;--link:#4493f8}}
body{font:16px/1.55 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;color:var(--fg);max-width:48rem;margin:0 auto;padding:1.5rem 1rem 4rem}
h1{font-size:1.6rem;margin:0 0 .25rem}
.count{color:var(--muted);margin:0 0 1.25rem}
a{color:var(--link)}
mark{background:var(--mark);color:inherit;border-radius:2px;padding:0 .1em}
.hit{border-top:1px solid var(--line);padding:.8rem 0}
.hit h2{font-size:1.1rem;margin:0}
.aliases,.source,.kind{color:var(--muted);font-weight:normal}
.kind{font-size:.75rem;text-transform:uppercase;letter-spacing:.06em;margin-left:.4rem}
.snippet,dd p{margin:.3rem 0;overflow-wrap:anywhere}
.source{font-size:.85rem;margin:.2rem 0 0;overflow-wrap:anywhere}
nav.az{position:sticky;top:0;background:Canvas;border-bottom:1px solid var(--line);padding:.5rem 0;display:flex;flex-wrap:wrap;gap:.2rem .5rem;font-weight:600}
nav.az span{color:var(--line)}
section.letter>h2{font-size:1.3rem;border-bottom:1px solid var(--line);margin:1.6rem 0 .4rem;scroll-margin-top:3rem}
dt{font-weight:600;margin-top:.9rem;scroll-margin-top:3rem}
dt a{color:inherit;text-decoration:none}
dt a:hover{text-decoration:underline}
dd{margin:0 0 0 1.25rem}
";

/// Escapes note text for an element's content or an attribute value; newlines become `<br>`.
fn text(s: &str) -> String {
    escape(s).replace('\n', "<br>\n")
}

fn snippet(hit: &Hit) -> String {
    let mut out = String::new();
    for (piece, matched) in segments(hit) {
        if matched {
            let _ = write!(out, "<mark>{}</mark>", text(piece));
        } else {
            out.push_str(&text(piece));
        }
    }
    out
}

fn source(hit: &Hit) -> String {
    let mut out = format!("<code>{}:{}</code>", escape(&hit.file), hit.line);
    if !hit.heading_path.is_empty() {
        let _ = write!(
            out,
            " \u{2014} {}",
            text(&hit.heading_path.join(HEADING_SEPARATOR))
        );
    }
    out
}

fn aliases(hit: &Hit) -> String {
    if hit.aliases.is_empty() {
        String::new()
    } else {
        format!(
            " <span class=\"aliases\">({})</span>",
            text(&hit.aliases.join(", "))
        )
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn head(out: &mut dyn Write, title: &str) -> io::Result<()> {
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"generator\" content=\"gloss {}\">\n<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION"),
        text(title)
    )
}

fn hits(results: &Results, out: &mut dyn Write) -> io::Result<()> {
    head(out, &format!("gloss: {}", results.query))?;
    writeln!(
        out,
        "<header>\n<h1>gloss: <q>{}</q></h1>\n<p class=\"count\">{}</p>\n</header>\n<main>",
        text(&results.query),
        plural(results.hits.len(), "result", "results")
    )?;
    if results.hits.is_empty() && !results.suggestions.is_empty() {
        writeln!(
            out,
            "<p>Did you mean: {}?</p>",
            text(&results.suggestions.join(", "))
        )?;
    }
    for hit in &results.hits {
        let title = match (&hit.kind, &hit.term) {
            (Kind::Definition, Some(term)) => format!(
                "<span class=\"term\">{}</span>{}<span class=\"kind\">definition</span>",
                text(term),
                aliases(hit)
            ),
            _ => "<span class=\"kind\">passage</span>".to_string(),
        };
        writeln!(
            out,
            "<article class=\"hit {}\" id=\"hit-{}\">\n<h2>{title}</h2>\n<p class=\"snippet\">{}</p>\n<p class=\"source\">{}</p>\n</article>",
            hit.kind.as_str(),
            hit.rank,
            snippet(hit),
            source(hit)
        )?;
    }
    writeln!(out, "</main>\n</body>\n</html>")
}

/// The id of a letter's section: `letter-a`, or `letter-other` for digits and symbols.
fn letter_id(letter: char) -> String {
    if letter.is_ascii_alphabetic() {
        format!("letter-{}", letter.to_ascii_lowercase())
    } else {
        "letter-other".to_string()
    }
}

/// A unique anchor for a term, from the normalised key the index stored for it
/// (`Fine-tuning` → `term-finetuning`).
fn anchor(key: &str, taken: &mut HashSet<String>) -> String {
    let slug: String = key.chars().filter(|c| c.is_alphanumeric()).collect();
    let base = if slug.is_empty() {
        "term".to_string()
    } else {
        format!("term-{slug}")
    };
    let mut id = base.clone();
    let mut n = 1;
    while !taken.insert(id.clone()) {
        n += 1;
        id = format!("{base}-{n}");
    }
    id
}

fn glossary(results: &Results, out: &mut dyn Write) -> io::Result<()> {
    let mut analyzer = Analyzer::default();
    let letters: Vec<char> = results
        .hits
        .iter()
        .map(|h| glossary::letter(&mut analyzer, h.term.as_deref().unwrap_or("")))
        .collect();
    let subtitle = if results.query.is_empty() {
        String::new()
    } else {
        format!(": terms starting with <q>{}</q>", text(&results.query))
    };
    head(out, "Glossary")?;
    writeln!(
        out,
        "<header>\n<h1>Glossary{subtitle}</h1>\n<p class=\"count\">{}</p>\n</header>",
        plural(results.hits.len(), "term", "terms")
    )?;
    let mut nav = String::from("<nav class=\"az\" aria-label=\"Jump to a letter\">");
    for letter in std::iter::once('#').chain('A'..='Z') {
        if letters.contains(&letter) {
            let _ = write!(nav, "<a href=\"#{}\">{letter}</a>", letter_id(letter));
        } else if letter != '#' {
            let _ = write!(nav, "<span>{letter}</span>");
        }
    }
    nav.push_str("</nav>");
    writeln!(out, "{nav}\n<main>")?;
    let mut taken = HashSet::new();
    let mut current = None;
    for (hit, &letter) in results.hits.iter().zip(&letters) {
        if current != Some(letter) {
            if current.is_some() {
                writeln!(out, "</dl>\n</section>")?;
            }
            writeln!(
                out,
                "<section class=\"letter\" id=\"{}\">\n<h2>{}</h2>\n<dl>",
                letter_id(letter),
                text(&letter.to_string())
            )?;
            current = Some(letter);
        }
        let term = hit.term.as_deref().unwrap_or("");
        let id = anchor(&hit.key, &mut taken);
        writeln!(
            out,
            "<dt id=\"{id}\"><a href=\"#{id}\">{}</a>{}</dt>\n<dd>\n<p>{}</p>\n<p class=\"source\">{}</p>\n</dd>",
            text(term),
            aliases(hit),
            snippet(hit),
            source(hit)
        )?;
    }
    if current.is_some() {
        writeln!(out, "</dl>\n</section>")?;
    }
    writeln!(out, "</main>\n</body>\n</html>")
}

impl Renderer for Html {
    fn render(&self, results: &Results, out: &mut dyn Write) -> io::Result<()> {
        match self.view {
            View::Hits => hits(results, out),
            View::Glossary => glossary(results, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{hostile, plain, render, results_of};
    use super::super::{Format, View};
    use super::*;

    #[test]
    fn html_marks_matches_and_escapes_the_notes() {
        let out = render(Format::Html, View::Hits, &plain());
        assert!(out.starts_with("<!DOCTYPE html>"));
        assert!(out.contains("Basic <mark>token</mark> unit."));
        assert!(out.contains("<code>a.md:3</code> \u{2014} NLP"));
        let out = render(Format::Html, View::Hits, &results_of(hostile()));
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains("<img"), "{out}");
        assert!(!out.contains("<b>"), "{out}");
        assert!(
            out.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"),
            "{out}"
        );
        assert!(out.contains("<mark>stars</mark>"));
    }

    #[test]
    fn html_glossary_has_a_jump_bar_and_unique_anchors() {
        let mut results = plain();
        results.hits[1].term = Some("token".into());
        results.hits[1].key = "token".into();
        results.hits[1].kind = Kind::Definition;
        let out = render(Format::Html, View::Glossary, &results);
        assert!(out.contains("<a href=\"#letter-t\">T</a>"), "{out}");
        assert!(out.contains("<span>A</span>"));
        assert!(out.contains("<section class=\"letter\" id=\"letter-t\">"));
        assert!(out.contains("<dt id=\"term-token\"><a href=\"#term-token\">Token</a></dt>"));
        assert!(out.contains("<dt id=\"term-token-2\">"));
    }
}
