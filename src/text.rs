//! Text clean-up shared by every stage: template macros out, control characters out,
//! whitespace collapsed. Notes are untrusted input; what leaves here is safe to print.

/// Cleans one piece of note text: docs-site macros (`{{Glossary("HTTP")}}`,
/// `{{< tooltip text="labels" >}}`) become their display text or vanish, control characters
/// (ANSI escapes included) are dropped, and runs of whitespace become one space.
pub fn clean(s: &str) -> String {
    if find_double(s, b'{').is_some() {
        collapse(&strip_macros(s))
    } else {
        collapse(s)
    }
}

/// Drops control characters and collapses whitespace, trimming both ends.
pub fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    collapse_into(&mut out, s);
    out
}

/// [`collapse`] of `s`, appended to `out`.
pub fn collapse_into(out: &mut String, s: &str) {
    let start = out.len();
    let mut space = false;
    let mut rest = s;
    while !rest.is_empty() {
        // Printable ASCII, with single spaces between printable bytes (the bulk of any
        // note), is copied a run at a time.
        let plain = plain_run(rest.as_bytes());
        if plain > 0 {
            if space {
                out.push(' ');
                space = false;
            }
            out.push_str(&rest[..plain]);
            rest = &rest[plain..];
            continue;
        }
        // ASCII whitespace and control bytes (code's indentation and line ends, mostly),
        // a run at a time: whitespace leaves one space, control bytes nothing.
        let bytes = rest.as_bytes();
        let blank = bytes
            .iter()
            .take_while(|b| b.is_ascii() && !b.is_ascii_graphic())
            .count();
        if blank > 0 {
            if bytes[..blank]
                .iter()
                .any(|b| matches!(b, b'\t'..=b'\r' | b' '))
            {
                space = out.len() > start;
            }
            rest = &rest[blank..];
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        rest = &rest[c.len_utf8()..];
        if c.is_whitespace() {
            space = out.len() > start;
            continue;
        }
        if c.is_control() || is_invisible_format(c) {
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
}

/// Length of the run at the start of `bytes` that [`collapse`] copies as it is: printable
/// ASCII other than space, and single spaces between two such bytes. Eight bytes at a
/// time (a note's prose is such a run, a sentence or more long), then byte by byte.
fn plain_run(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let graphic = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_graphic);
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let low = w & !HIGH;
        // The high bit of each byte says: 0x21..=0x7e (no carry crosses a byte: each low
        // seven bits plus at most 0x5f stays below 0x100).
        let g = (low + 0x5f * ONES) & !(low + ONES) & !w & HIGH;
        // ... a space (the byte xor 0x20 is zero).
        let x = w ^ (0x20 * ONES);
        let space = !(((x & !HIGH) + !HIGH) | x) & HIGH;
        // A space is kept between two printable bytes; the first byte of the run has none
        // before it, and the byte after the chunk is looked at.
        let before = (g << 8) | u64::from(i > 0 && graphic(i - 1)) << 7;
        let after = (g >> 8) | u64::from(graphic(i + 8)) << 63;
        let stop = !(g | (space & before & after)) & HIGH;
        if stop != 0 {
            return i + (stop.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    plain_run_from(bytes, i)
}

/// [`plain_run`] a byte at a time from `i` (the bytes before it are in the run).
fn plain_run_from(bytes: &[u8], mut i: usize) -> usize {
    let graphic = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_graphic);
    while i < bytes.len() {
        if graphic(i) {
            i += 1;
        } else if bytes[i] == b' ' && i > 0 && graphic(i + 1) {
            i += 2;
        } else {
            break;
        }
    }
    i
}

/// Where `s` first holds the ASCII byte `b` twice in a row (`{{`): a byte search, not a
/// substring search set up afresh for every piece of text.
fn find_double(s: &str, b: u8) -> Option<usize> {
    let bytes = s.as_bytes();
    memchr::memchr_iter(b, bytes).find(|&at| bytes.get(at + 1) == Some(&b))
}

/// The start of `s`, at most `max` bytes plus `…` when cut, cut at whitespace when there is
/// some in the second half. Bounds what one hostile line costs: a heading or a definition is
/// copied into every entry or field that repeats it.
pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    if let Some(space) = s[..cut].rfind(char::is_whitespace) {
        if space > max / 2 {
            cut = space;
        }
    }
    format!("{}\u{2026}", s[..cut].trim_end())
}

/// Bidi overrides and similar: a note must not be able to reorder what the terminal shows.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// Replaces each `{{ ... }}` macro by its display text (see [`clean`]).
fn strip_macros(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = find_double(rest, b'{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        match find_double(after, b'}') {
            Some(close) => {
                out.push_str(&macro_text(&after[..close]));
                rest = &after[close + 2..];
            }
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Display text of a macro body: a `text="..."` argument (Hugo shortcodes), else the
/// display argument of a cross-reference macro (`Glossary("Cache", "caching")` → `caching`),
/// else nothing.
fn macro_text(body: &str) -> String {
    let body = body
        .trim()
        .trim_matches(|c| c == '<' || c == '>' || c == '%')
        .trim();
    if let Some(at) = body.find("text=\"") {
        let value = &body[at + 6..];
        return value[..value.find('"').unwrap_or(value.len())].to_string();
    }
    let name_end = body.find(['(', ' ']).unwrap_or(body.len());
    let name = body[..name_end].to_ascii_lowercase();
    let inline = name.ends_with("xref")
        || matches!(
            name.as_str(),
            "glossary"
                | "htmlelement"
                | "httpheader"
                | "httpmethod"
                | "httpstatus"
                | "svgelement"
                | "svgattr"
                | "mathmlelement"
                | "cssxref"
                | "rfc"
                | "term"
        );
    if !inline {
        return String::new();
    }
    let args = quoted_args(&body[name_end..]);
    args.get(1).or(args.first()).cloned().unwrap_or_default()
}

fn quoted_args(s: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '"' || c == '\'' {
            let arg: String = chars.by_ref().take_while(|&d| d != c).collect();
            args.push(arg);
        }
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapse_by_runs_matches_collapse_by_chars() {
        let by_chars = |s: &str| {
            let mut out = String::new();
            let mut space = false;
            for c in s.chars() {
                if c.is_whitespace() {
                    space = !out.is_empty();
                } else if !(c.is_control() || is_invisible_format(c)) {
                    if space {
                        out.push(' ');
                    }
                    space = false;
                    out.push(c);
                }
            }
            out
        };
        for s in [
            "",
            " ",
            "  a  b  ",
            "\u{1b}[31mred\u{1b}[0m",
            "a\u{202e}b",
            "\t\nx\u{85}y\u{a0}z\u{3000}",
            "caf\u{e9} \u{1c}x",
            "\u{7f}a b\u{2028}",
            "a\u{0}\u{0} b",
            "\u{200f} lead",
            "a b c",
            "a b  c d",
            " a b ",
            "x y\tz w\u{a0}v",
            "ab cd\u{1b}ef gh",
            "fn main() {\n    let  x = 1;\r\n\t}\n",
            "  \u{7}\u{b}\u{c}\u{1c}\u{1f} x \u{7f}\u{85}\u{1d} y\u{0} ",
            "\u{1}x\u{2} \u{3}",
        ] {
            assert_eq!(collapse(s), by_chars(s), "{s:?}");
        }
    }

    /// [`plain_run`] as it was, a byte at a time.
    fn plain_run_by_bytes(bytes: &[u8]) -> usize {
        plain_run_from(bytes, 0)
    }

    #[test]
    fn plain_runs_eight_bytes_at_a_time_end_where_byte_by_byte_they_do() {
        // Every string of up to 4 bytes from this alphabet, and pseudo-random longer ones.
        let alphabet: &[u8] = b"a ~!\t\n\x7f\x00\x20\xc3\xa9\xff\x80_";
        let mut cases: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..4 {
            let longer: Vec<Vec<u8>> = cases
                .iter()
                .filter(|c| c.len() == cases.last().map_or(0, Vec::len))
                .flat_map(|c| {
                    alphabet.iter().map(move |&b| {
                        let mut c = c.clone();
                        c.push(b);
                        c
                    })
                })
                .collect();
            cases.extend(longer);
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in 0..2000 {
            let mut case = Vec::new();
            for _ in 0..len % 90 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                // Mostly letters and single spaces, as in prose.
                let pick = (seed % 64) as usize;
                case.push(match pick {
                    0..=39 => b'a' + (pick % 26) as u8,
                    40..=51 => b' ',
                    _ => alphabet[pick % alphabet.len()],
                });
            }
            cases.push(case);
        }
        for case in &cases {
            for from in 0..case.len().min(9) {
                let bytes = &case[from..];
                assert_eq!(plain_run(bytes), plain_run_by_bytes(bytes), "{bytes:?}");
            }
        }
    }

    #[test]
    fn mdn_macros_become_their_display_text() {
        assert_eq!(
            clean(r#"uses {{Glossary("HTTP")}} and {{Glossary("Cache", "caching")}}."#),
            "uses HTTP and caching."
        );
        assert_eq!(
            clean(r#"{{CSSRef}}The {{cssxref("color")}} property"#),
            "The color property"
        );
    }

    #[test]
    fn hugo_shortcodes_become_their_text() {
        assert_eq!(
            clean(r#"the {{< glossary_tooltip term_id="label" text="labels">}}, too"#),
            "the labels, too"
        );
        assert_eq!(clean("a {{< /note >}}b"), "a b");
    }

    #[test]
    fn control_characters_and_ansi_escapes_are_dropped() {
        assert_eq!(
            clean("red \u{1b}[31mtext\u{7}\r\n  next"),
            "red [31mtext next"
        );
    }

    #[test]
    fn truncate_cuts_at_a_char_boundary_and_prefers_whitespace() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("alpha beta gamma", 12), "alpha beta\u{2026}");
        assert_eq!(truncate("\u{e9}\u{e9}\u{e9}", 3), "\u{e9}\u{2026}");
        assert_eq!(truncate("abcdef", 0), "\u{2026}");
    }

    #[test]
    fn doubled_braces_are_found_like_a_substring_search() {
        for s in ["", "{", "a{b{{c", "{{{x}}}", "x}}", "{ {", "\u{e9}{{"] {
            assert_eq!(find_double(s, b'{'), s.find("{{"), "{s:?}");
            assert_eq!(find_double(s, b'}'), s.find("}}"), "{s:?}");
        }
    }

    #[test]
    fn unclosed_macro_is_dropped_without_panic() {
        assert_eq!(clean("a {{oops"), "a");
    }
}
