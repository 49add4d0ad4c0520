//! Context: the source lines around a hit, read from the note at print time
//! (`--context N` or `--context section`).
//!
//! A section is bounded by headings, as in [`crate::sections`]: from the nearest heading at
//! or above the hit to the line before the next heading of the same or a higher level (so
//! subsections are included). Text before a note's first heading is a section of its own.

use std::path::{Component, Path};

use crate::index::Store;
use crate::notes;
use crate::sections;

/// How much context to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// N lines before and after the hit's first line.
    Lines(usize),
    /// The section that holds the hit.
    Section,
}

impl std::str::FromStr for Context {
    type Err = String;

    fn from_str(s: &str) -> Result<Context, String> {
        if s.eq_ignore_ascii_case("section") {
            return Ok(Context::Section);
        }
        s.parse::<usize>()
            .map(Context::Lines)
            .map_err(|_| format!("expected `section` or a number of lines, not {s:?}"))
    }
}

/// Lines of a note around a hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    /// 1-based line number of the first line.
    pub first: usize,
    /// The lines, as in the file (line ends removed, not yet made printable).
    pub lines: Vec<String>,
    /// The hit's line.
    pub hit: usize,
}

/// Reads a note by its path relative to the notes folder; `None` when the path leaves the
/// folder, or the file is missing, unreadable or binary (context is best effort).
pub fn read(content: &Path, rel: &str) -> Option<String> {
    let rel = Path::new(rel);
    if rel
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return None;
    }
    let loaded = notes::load(&notes::rel_path(content, &rel.to_string_lossy())).ok()?;
    if loaded.binary {
        return None;
    }
    notes::decode(&rel.to_string_lossy(), loaded.bytes, &mut Vec::new())
}

/// Why a note's lines are not shown as context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unshown {
    /// The note is not the one indexed (edited since): its lines would not be at the
    /// hit's line numbers.
    Changed(String),
    /// Missing, unreadable, binary, or a path leaving the notes folder.
    Unreadable,
}

impl Unshown {
    /// What to tell the user, when it is news.
    pub fn notice(&self) -> Option<String> {
        match self {
            Unshown::Changed(rel) => Some(format!(
                "{rel} changed since it was indexed; showing the indexed text instead of its lines (refresh the index to see them)"
            )),
            Unshown::Unreadable => None,
        }
    }
}

/// [`read`], and only when the note is byte for byte the one the index holds (the hash in
/// its manifest), so the hit's line numbers point at the lines printed. An index whose
/// manifest cannot be read does not stop context (best effort, as [`read`]).
pub fn read_indexed(content: &Path, rel: &str, store: &Store) -> Result<String, Unshown> {
    let text = read(content, rel).ok_or(Unshown::Unreadable)?;
    let Ok(manifest) = store.manifest() else {
        return Ok(text);
    };
    let path = notes::rel_path(content, rel);
    let same = notes::load(&path)
        .ok()
        .zip(manifest.files.get(rel))
        .is_some_and(|(loaded, indexed)| loaded.hash() == indexed.hash);
    if same {
        Ok(text)
    } else {
        Err(Unshown::Changed(rel.to_string()))
    }
}

/// The lines of `text` around 1-based `line`: N lines either side, or the section.
pub fn excerpt(text: &str, line: usize, context: Context) -> Option<Excerpt> {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    // A final newline does not start another line.
    let count = if text.ends_with('\n') {
        lines.len() - 1
    } else {
        lines.len()
    };
    if line == 0 || line > count {
        return None;
    }
    let (first, last) = match context {
        Context::Lines(n) => (line.saturating_sub(n).max(1), (line + n).min(count)),
        Context::Section => section_bounds(text, line, count),
    };
    let mut last = last.max(first);
    // Blank lines before the next heading are not part of the section's text.
    while last > line && lines[last - 1].trim().is_empty() {
        last -= 1;
    }
    Some(Excerpt {
        first,
        lines: lines[first - 1..last]
            .iter()
            .map(|l| l.to_string())
            .collect(),
        hit: line,
    })
}

/// (first, last) lines of the section holding `line`.
fn section_bounds(text: &str, line: usize, count: usize) -> (usize, usize) {
    let headings: Vec<(usize, u8)> = sections::parse(text)
        .sections
        .iter()
        .filter(|s| s.level > 0)
        .map(|s| (s.line, s.level))
        .collect();
    let (start, level) = headings
        .iter()
        .rev()
        .find(|(at, _)| *at <= line)
        .copied()
        .unwrap_or((1, 0));
    let end = headings
        .iter()
        .find(|(at, l)| *at > start && (level == 0 || *l <= level))
        .map_or(count, |(at, _)| at - 1);
    (start, end.min(count))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTE: &str =
        "intro line\n\n# Top\n\ntop text\n\n## A\n\na1\na2\n\n### A.1\n\ndeep\n\n## B\n\nb1\n";

    fn lines(e: &Excerpt) -> Vec<&str> {
        e.lines.iter().map(String::as_str).collect()
    }

    #[test]
    fn n_lines_around_are_clamped_to_the_file() {
        let e = excerpt(NOTE, 9, Context::Lines(1)).unwrap();
        assert_eq!((e.first, lines(&e)), (8, vec!["", "a1", "a2"]));
        let e = excerpt(NOTE, 1, Context::Lines(2)).unwrap();
        assert_eq!((e.first, lines(&e)), (1, vec!["intro line", "", "# Top"]));
        let e = excerpt(NOTE, 18, Context::Lines(0)).unwrap();
        assert_eq!(lines(&e), ["b1"]);
        assert!(excerpt(NOTE, 19, Context::Lines(1)).is_none());
        assert!(excerpt(NOTE, 0, Context::Lines(1)).is_none());
    }

    #[test]
    fn a_section_runs_to_the_next_heading_of_its_level_or_higher() {
        let e = excerpt(NOTE, 9, Context::Section).unwrap();
        assert_eq!(e.first, 7);
        assert_eq!(
            lines(&e),
            ["## A", "", "a1", "a2", "", "### A.1", "", "deep"]
        );
        let e = excerpt(NOTE, 14, Context::Section).unwrap();
        assert_eq!(lines(&e), ["### A.1", "", "deep"]);
        let e = excerpt(NOTE, 17, Context::Section).unwrap();
        assert_eq!(lines(&e), ["## B", "", "b1"]);
        let e = excerpt(NOTE, 1, Context::Section).unwrap();
        assert_eq!(lines(&e), ["intro line"]);
    }

    #[test]
    fn headings_inside_code_do_not_bound_a_section() {
        let note = "## A\r\n\r\n```\r\n# not a heading\r\n```\r\ntext\r\n## B\r\n";
        let e = excerpt(note, 6, Context::Section).unwrap();
        assert_eq!(
            lines(&e),
            ["## A", "", "```", "# not a heading", "```", "text"]
        );
    }

    #[test]
    fn context_parses_section_or_a_number() {
        assert_eq!("section".parse(), Ok(Context::Section));
        assert_eq!("3".parse(), Ok(Context::Lines(3)));
        assert!("x".parse::<Context>().is_err());
    }

    #[test]
    fn paths_leaving_the_notes_folder_are_not_read() {
        assert!(read(Path::new("/"), "../etc/passwd").is_none());
        assert!(read(Path::new("/"), "/etc/passwd").is_none());
    }
}
