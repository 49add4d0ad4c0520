//! JSON lines: one hit object per line, the same fields as in the JSON document, for
//! streaming and bulk ingest.

use std::io::{self, Write};

use super::Renderer;
use crate::search::Results;

/// One compact JSON hit per line.
pub struct Jsonl;

impl Renderer for Jsonl {
    fn render(&self, results: &Results, out: &mut dyn Write) -> io::Result<()> {
        for hit in &results.hits {
            // Compact JSON escapes control characters, so a hit never spans two lines.
            serde_json::to_writer(&mut *out, hit)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{hostile, plain, render, results_of};
    use super::super::{Format, View};

    #[test]
    fn jsonl_is_one_hit_per_line_with_the_json_fields() {
        let out = render(Format::Jsonl, View::Hits, &plain());
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        let json: serde_json::Value =
            serde_json::from_str(&render(Format::Json, View::Hits, &plain())).unwrap();
        assert_eq!(lines[0], json["hits"][0]);
        assert_eq!(lines[1], json["hits"][1]);
    }

    #[test]
    fn jsonl_keeps_newlines_and_tabs_inside_one_line() {
        let hit = hostile();
        let out = render(Format::Jsonl, View::Hits, &results_of(hit.clone()));
        assert_eq!(out.lines().count(), 1);
        let v: serde_json::Value = serde_json::from_str(out.trim_end()).unwrap();
        assert_eq!(v["text"], hit.text);
        assert_eq!(v["heading_path"][1], "Sub\nhead");
    }
}
