//! CSV: a header row, then one row per hit, quoted by the `csv` crate so commas, quotes and
//! newlines inside fields round-trip.

use std::io::{self, Write};

use super::{Renderer, HEADING_SEPARATOR};
use crate::search::Results;

/// Columns, in order.
pub const COLUMNS: [&str; 9] = [
    "rank",
    "kind",
    "term",
    "aliases",
    "file",
    "line",
    "heading_path",
    "snippet",
    "text",
];

/// Between aliases in the `aliases` column (a comma would read as a column to a careless
/// splitter; aliases never hold `; `... and if one does, the JSON formats keep the list).
pub const ALIAS_SEPARATOR: &str = "; ";

/// Comma-separated values with a header row.
pub struct Csv;

/// The io error inside a csv error (a closed pipe must stay a BrokenPipe).
fn io_error(err: ::csv::Error) -> io::Error {
    match err.into_kind() {
        ::csv::ErrorKind::Io(err) => err,
        other => io::Error::other(format!("writing CSV: {other:?}")),
    }
}

impl Renderer for Csv {
    fn render(&self, results: &Results, out: &mut dyn Write) -> io::Result<()> {
        let mut w = ::csv::Writer::from_writer(out);
        w.write_record(COLUMNS).map_err(io_error)?;
        for hit in &results.hits {
            w.write_record([
                hit.rank.to_string().as_str(),
                hit.kind.as_str(),
                hit.term.as_deref().unwrap_or(""),
                &hit.aliases.join(ALIAS_SEPARATOR),
                &hit.file,
                &hit.line.to_string(),
                &hit.heading_path.join(HEADING_SEPARATOR),
                &hit.snippet,
                &hit.text,
            ])
            .map_err(io_error)?;
        }
        w.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{hostile, plain, render, results_of};
    use super::super::{Format, View};
    use super::*;

    fn rows(out: &str) -> (Vec<String>, Vec<Vec<String>>) {
        let mut r = ::csv::Reader::from_reader(out.as_bytes());
        let header = r.headers().unwrap().iter().map(str::to_string).collect();
        let rows = r
            .records()
            .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
            .collect();
        (header, rows)
    }

    #[test]
    fn csv_has_the_header_and_one_row_per_hit() {
        let (header, rows) = rows(&render(Format::Csv, View::Hits, &plain()));
        assert_eq!(header, COLUMNS);
        assert_eq!(
            rows[0],
            [
                "1",
                "definition",
                "Token",
                "",
                "a.md",
                "3",
                "NLP",
                "Basic token unit.",
                "Basic token unit."
            ]
        );
        assert_eq!(rows[1][1], "passage");
        assert_eq!(rows[1][2], "");
        assert_eq!(rows[1][3], "");
    }

    #[test]
    fn csv_lists_the_written_aliases() {
        let mut results = plain();
        results.hits[0].aliases = vec!["tok".into(), "T, U".into()];
        let (_, rows) = rows(&render(Format::Csv, View::Hits, &results));
        assert_eq!(rows[0][3], "tok; T, U");
    }

    #[test]
    fn csv_round_trips_commas_quotes_tabs_and_newlines() {
        let hit = hostile();
        let (_, rows) = rows(&render(Format::Csv, View::Hits, &results_of(hit.clone())));
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0][2], hit.term.unwrap());
        assert_eq!(rows[0][3], hit.aliases.join("; "));
        assert_eq!(rows[0][4], hit.file);
        assert_eq!(rows[0][6], "Sec \"one\"\t<i> \u{203a} Sub\nhead");
        assert_eq!(rows[0][7], hit.snippet);
        assert_eq!(rows[0][8], hit.text);
    }
}
