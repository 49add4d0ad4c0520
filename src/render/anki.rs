//! Anki: a tab-separated file that Anki's "Import File" takes as is. Header lines set the
//! separator, HTML fields, the guid column and the tags column; then one note per
//! definition (passages are not cards): guid, front (the term), back (the definition and
//! its source, as escaped HTML), tags (the note's section).
//!
//! The guid is a hash of the term's normalised key and its file, so importing a fresh export
//! updates the cards from the last one instead of adding duplicates. Anki reads the rows
//! with a CSV reader (tab delimiter, `"` quoting, `#` comments); fields here never hold a
//! tab, a newline or a `"`, and every row starts with the hex guid, so no row can be split,
//! merged or taken for a comment.

use std::collections::HashMap;
use std::io::{self, Write};

use html_escape::encode_double_quoted_attribute as escape;

use super::{source, title, Renderer};
use crate::entries::Kind;
use crate::search::{Hit, Results};

/// The header lines, in the order Anki reads them.
pub const HEADER: &str =
    "#separator:tab\n#html:true\n#guid column:1\n#tags column:4\n#notetype:Basic\n";

/// Hex digits of the guid (64 bits).
const GUID_HEX: usize = 16;

/// A deck of Basic notes for Anki.
pub struct Anki;

/// Note text as an HTML field: entity-escaped, newlines as `<br>`, tabs as spaces.
fn field(s: &str) -> String {
    escape(s)
        .replace("\r\n", "\n")
        .replace(['\r', '\t'], " ")
        .replace('\n', "<br>")
}

/// A tag: whitespace joined by `_`; quotes and control characters dropped.
fn tag(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join("_")
        .chars()
        .filter(|c| *c != '"' && !c.is_control())
        .collect()
}

/// The section a hit belongs to: its note's top heading, else the file name.
fn section(hit: &Hit) -> String {
    let name = hit.heading_path.first().cloned().unwrap_or_else(|| {
        let file = hit.file.rsplit('/').next().unwrap_or(&hit.file);
        file.rsplit_once('.')
            .map_or(file, |(stem, _)| stem)
            .to_string()
    });
    tag(&name)
}

/// A stable note id: blake3 of the term key and the file, plus `n` for the n-th (by line)
/// definition of the same term in the same file.
pub fn guid(key: &str, file: &str, n: usize) -> String {
    let mut h = blake3::Hasher::new();
    h.update(key.as_bytes());
    h.update(b"\0");
    h.update(file.as_bytes());
    if n > 1 {
        h.update(format!("\0{n}").as_bytes());
    }
    h.finalize().to_hex()[..GUID_HEX].to_string()
}

impl Renderer for Anki {
    fn render(&self, results: &Results, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(HEADER.as_bytes())?;
        let cards: Vec<(&Hit, String)> = results
            .hits
            .iter()
            .filter(|h| h.kind == Kind::Definition)
            .filter_map(|h| {
                let term = h.term.as_deref()?;
                // The key the index stored; a term with no words to key (too long, only
                // symbols) is told apart by its lowercased spelling.
                let key = if h.key.is_empty() {
                    term.to_lowercase()
                } else {
                    h.key.clone()
                };
                (!term.trim().is_empty()).then_some((h, key))
            })
            .collect();
        // Number repeated (key, file) pairs by line, so the numbering does not depend on rank.
        let mut lines: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for (hit, key) in &cards {
            lines.entry((key, &hit.file)).or_default().push(hit.line);
        }
        for v in lines.values_mut() {
            v.sort_unstable();
        }
        for (hit, key) in &cards {
            let n = lines[&(key.as_str(), hit.file.as_str())]
                .iter()
                .position(|l| *l == hit.line)
                .map_or(1, |i| i + 1);
            let front = field(&title(hit).unwrap_or_default());
            let back = format!(
                "{}<br><br><small>{}</small>",
                field(&hit.text),
                field(&source(hit))
            );
            writeln!(
                out,
                "{}\t{front}\t{back}\t{}",
                guid(key, &hit.file, n),
                section(hit)
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{hostile, plain, render, results_of};
    use super::super::{Format, View};
    use super::*;

    /// Rows as Anki reads them: a CSV reader with its settings for tab-separated files.
    fn rows(out: &str) -> Vec<Vec<String>> {
        ::csv::ReaderBuilder::new()
            .has_headers(false)
            .comment(Some(b'#'))
            .delimiter(b'\t')
            .from_reader(out.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn anki_has_the_headers_and_four_columns() {
        let out = render(Format::Anki, View::Glossary, &plain());
        assert!(out.starts_with(HEADER));
        let rows = rows(&out);
        assert_eq!(rows.len(), 1, "passages are not cards");
        assert_eq!(rows[0][0], guid("token", "a.md", 1));
        assert_eq!(rows[0][1], "Token");
        assert_eq!(
            rows[0][2],
            "Basic token unit.<br><br><small>a.md:3 \u{2014} NLP</small>"
        );
        assert_eq!(rows[0][3], "NLP");
    }

    #[test]
    fn anki_guid_is_stable_and_distinguishes_files_and_repeats() {
        assert_eq!(guid("token", "a.md", 1), guid("token", "a.md", 1));
        assert_eq!(guid("token", "a.md", 1).len(), GUID_HEX);
        assert_ne!(guid("token", "a.md", 1), guid("token", "b.md", 1));
        assert_ne!(guid("token", "a.md", 1), guid("token", "a.md", 2));
        let mut results = plain();
        results.hits[1] = results.hits[0].clone();
        results.hits[1].term = Some("Tokens".into());
        results.hits[1].line = 1;
        let rows = rows(&render(Format::Anki, View::Hits, &results));
        // The definition on line 1 is the first of its key in a.md, whatever its rank.
        assert_eq!(rows[1][0], guid("token", "a.md", 1));
        assert_eq!(rows[0][0], guid("token", "a.md", 2));
    }

    #[test]
    fn anki_hostile_fields_stay_in_their_row_and_are_escaped() {
        let out = render(Format::Anki, View::Hits, &results_of(hostile()));
        let body: Vec<&str> = out.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(body.len(), 1, "{out}");
        assert_eq!(body[0].matches('\t').count(), 3);
        assert!(!body[0].contains('"'));
        let rows = rows(&out);
        assert_eq!(rows[0].len(), 4);
        assert!(rows[0][1].starts_with("&quot;&gt;&lt;img"));
        assert!(rows[0][2].contains("&lt;script&gt;"));
        assert!(rows[0][2].contains("<br># not a heading"));
        assert_eq!(rows[0][3], "Sec_one_<i>");
    }
}
