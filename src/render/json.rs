//! JSON: one object with `query`, `hits` and `suggestions`, the document in the README.

use std::io::{self, Write};

use super::Renderer;
use crate::search::Results;

/// The stable JSON document.
pub struct Json;

impl Renderer for Json {
    fn render(&self, results: &Results, out: &mut dyn Write) -> io::Result<()> {
        // serde_json hands io errors back unchanged, so a closed pipe stays a BrokenPipe.
        serde_json::to_writer_pretty(&mut *out, results)?;
        writeln!(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{hostile, plain, render, results_of};
    use super::super::{Format, View};

    #[test]
    fn json_has_the_documented_fields() {
        let v: serde_json::Value =
            serde_json::from_str(&render(Format::Json, View::Hits, &plain())).unwrap();
        assert_eq!(v["query"], "token");
        let hit = &v["hits"][0];
        assert_eq!(hit["kind"], "definition");
        assert_eq!(hit["highlights"][0], serde_json::json!([6, 11]));
        assert_eq!(hit["line"], 3);
        assert!(hit.get("tier").is_none());
        assert!(v["hits"][1]["term"].is_null());
        assert_eq!(v["suggestions"], serde_json::json!([]));
    }

    #[test]
    fn json_round_trips_hostile_text() {
        let hit = hostile();
        let v: serde_json::Value =
            serde_json::from_str(&render(Format::Json, View::Hits, &results_of(hit.clone())))
                .unwrap();
        assert_eq!(v["hits"][0]["term"], hit.term.unwrap());
        assert_eq!(v["hits"][0]["snippet"], hit.snippet);
        assert_eq!(v["hits"][0]["file"], hit.file);
    }
}
