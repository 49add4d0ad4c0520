//! Lead-ins: the term that opens a line of a paragraph or list item, and its definition.
//!
//! `**Term**: definition`, `` `term` - definition``, `Term = definition`, `Term -> definition`,
//! a bold term alone on its line with the definition on the next (Obsidian habit, or a
//! `<br>`), and a parenthesised other name before the separator
//! (`**SFT** (supervised fine-tuning) - training on ...`).

use crate::sections::{Line, Span, Style};
use crate::text;
use crate::words::{
    COURSE_WORDS, DETERMINERS, IMPERATIVES, INSTRUCTION_OPENERS, NOT_HEADING_LAST_WORDS, NOT_TERMS,
    NOT_TERM_FIRST_WORDS, VERB_WORDS,
};

/// A definition found at the start of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The term as written (may still carry a trailing `(alias)`).
    pub term: String,
    /// Other names written in parentheses after the term or on an `Also known as:` line.
    pub aliases: Vec<String>,
    /// The definition text.
    pub body: String,
    /// 1-based line of the term.
    pub line: usize,
}

/// Separators between a term and its definition, longest first so `->` is not read as `-`.
const SEPARATORS: &[&str] = &[
    ":-", "::", ":", "=>", "->", "\u{2192}", "=", "-", "\u{2013}", "\u{2014}",
];

/// Separators that are arrows or equals (`Term = definition`): stricter about what follows.
const ARROWS: &[&str] = &[" => ", " -> ", " \u{2192} ", " = ", " :: "];

/// Definitions that open lines of a paragraph or list item. A lead-in can open any line;
/// its definition runs to the next lead-in or paragraph. A line `Also known as: X, Y`
/// gives the open definition other names.
pub fn lead_ins(lines: &[Line]) -> Vec<Found> {
    let mut found: Vec<Found> = Vec::new();
    let mut open = false;
    let mut previous_ends_sentence = true;
    for (i, line) in lines.iter().enumerate() {
        let text = line.text();
        if open {
            if let (Some(names), Some(last)) = (alias_line(text), found.last_mut()) {
                last.aliases.extend(names);
                continue;
            }
        }
        // The line after a term alone on its line is that term's definition, whatever it
        // looks like (`Databricks' name for it: one platform ...`).
        let awaiting_body =
            open && !line.starts_block && found.last().is_some_and(|f| f.body.is_empty());
        let allowed = (line.starts_block || previous_ends_sentence || open) && !awaiting_body;
        // A bold or code lead-in on the next line means this line is not a term alone.
        let next_is_lead_in = lines
            .get(i + 1)
            .is_some_and(|n| !n.starts_block && lead_in(n, None).is_some());
        let candidate = if allowed {
            lead_in(line, Some(text)).or_else(|| {
                lines
                    .get(i + 1)
                    .filter(|n| !n.starts_block && !next_is_lead_in)
                    .and_then(|_| term_alone(line))
            })
        } else {
            None
        };
        previous_ends_sentence = text.ends_with(['.', '!', '?', ';', ':']);
        match candidate {
            Some(mut f) => {
                f.line = line.line;
                open = true;
                found.push(f);
            }
            None if open && !line.starts_block => {
                if let Some(last) = found.last_mut() {
                    if !last.body.is_empty() {
                        last.body.push(' ');
                    }
                    last.body.push_str(text);
                }
            }
            None => open = false,
        }
    }
    found.retain(|f| !f.body.is_empty());
    found
}

/// `Also known as: X, Y` (or `AKA`, `Aliases:`, `Synonyms:`) → the names.
pub fn alias_line(text: &str) -> Option<Vec<String>> {
    // Only the start can hold a label: lowercase that, not the whole line. Labels are ASCII
    // and lowercasing never makes a char shorter, so the first few chars are enough.
    const LABEL_CHARS: usize = 24;
    // Most lines open with an ASCII letter no label opens with: no lowercased copy. (A
    // non-ASCII first char may lowercase to ASCII: `K`, the Kelvin sign, to `k`.)
    let first = text.as_bytes().first()?.to_ascii_lowercase();
    let opens = |b: u8| {
        crate::words::ALIAS_LABELS
            .iter()
            .any(|l| l.as_bytes()[0] == b)
    };
    if first.is_ascii() && !opens(first) {
        return None;
    }
    let lower = text
        .chars()
        .take(LABEL_CHARS)
        .collect::<String>()
        .to_lowercase();
    let label = crate::words::ALIAS_LABELS
        .iter()
        .filter(|l| lower.starts_with(*l))
        .max_by_key(|l| l.len())?;
    let after = text.get(label.len()..)?;
    let rest = match after.strip_prefix(':') {
        Some(rest) => rest.trim(),
        // `Also known as X`: only the spelled-out labels may skip the colon.
        None if label.contains(' ') && after.starts_with(' ') => after.trim(),
        None => return None,
    };
    if rest.is_empty() {
        return None;
    }
    let names: Vec<String> = rest
        .trim_end_matches('.')
        .split([',', ';'])
        .flat_map(|p| p.split(" or "))
        .map(|p| {
            p.trim()
                .trim_matches(['"', '\'', '`', '*', '_'])
                .trim()
                .to_string()
        })
        .filter(|p| !p.is_empty())
        .collect();
    // `Also known as autoencoding models, encoder models take an input ...` is prose.
    let prose = names.iter().any(|n| n.split_whitespace().count() > 6);
    (!names.is_empty() && !prose).then_some(names)
}

/// A bold or backticked term alone on its line (the definition is on the next line), with
/// perhaps a parenthesised other name after it.
fn term_alone(line: &Line) -> Option<Found> {
    let spans: Vec<&Span> = line
        .spans
        .iter()
        .filter(|s| !s.text.trim().is_empty())
        .collect();
    let head = spans.first()?;
    if head.style == Style::Plain {
        return None;
    }
    let rest: String = spans[1..].iter().map(|s| s.text.as_str()).collect();
    let rest = text::clean(&rest);
    let Parenthesis {
        names: aliases,
        after,
        ..
    } = parenthesised(&rest);
    let after = after.trim_start_matches([':', '-', '\u{2013}', '\u{2014}', ' ']);
    if !after.is_empty() {
        return None;
    }
    let term = text::clean(&head.text);
    let bare = term.trim_end_matches(':').trim();
    let words: Vec<String> = bare.split_whitespace().map(str::to_lowercase).collect();
    if words.is_empty()
        || words.len() > 6
        || bare.ends_with(['?', '.', '!'])
        || is_label(bare)
        || COURSE_WORDS.contains(&words[0].as_str())
        || (words.len() > 1
            && words
                .last()
                .is_some_and(|w| NOT_HEADING_LAST_WORDS.contains(&w.as_str())))
        || is_instruction(bare)
    {
        return None;
    }
    Some(Found {
        term,
        aliases,
        body: String::new(),
        line: line.line,
    })
}

/// A label such as `Note`, `Tip`, `Q`, `A`, never a term; also a label with its text in
/// the bold (`**Q: What is RAG?**`).
fn is_label(term: &str) -> bool {
    let bare = term.trim_end_matches([':', '.']).to_lowercase();
    let before_colon = bare.split(':').next().unwrap_or("").trim();
    NOT_TERMS.contains(&bare.as_str()) || (bare.contains(':') && NOT_TERMS.contains(&before_colon))
}

/// An instruction such as `Match the task to its name`: an imperative with an object.
pub fn is_instruction(term: &str) -> bool {
    let words: Vec<String> = term
        .split_whitespace()
        .take(2)
        .map(str::to_lowercase)
        .collect();
    match words.as_slice() {
        [first, second] => {
            INSTRUCTION_OPENERS.contains(&first.as_str())
                || IMPERATIVES.contains(&first.as_str()) && DETERMINERS.contains(&second.as_str())
        }
        _ => false,
    }
}

/// What a leading parenthesis after a lead-in term holds.
struct Parenthesis<'t> {
    /// Other names of the term (`(supervised fine-tuning)`).
    names: Vec<String>,
    /// A qualifier that stays part of the term (`(optional)`).
    qualifier: Option<&'t str>,
    /// The text after the parenthesis (all of it when there is none).
    after: &'t str,
}

/// Splits a leading `(other name)` or `(qualifier)` off the text after a lead-in term. A
/// qualifier only counts when a separator follows it.
fn parenthesised(rest: &str) -> Parenthesis<'_> {
    let none = Parenthesis {
        names: Vec::new(),
        qualifier: None,
        after: rest,
    };
    let t = rest.trim_start();
    if !t.starts_with('(') {
        return none;
    }
    let Some(close) = t.find(')') else {
        return none;
    };
    let inside = &t[1..close];
    let after = t[close + 1..].trim_start();
    let names = other_names(inside);
    if !names.is_empty() {
        return Parenthesis {
            names,
            qualifier: None,
            after,
        };
    }
    if strip_separator(after).1 && inside.split_whitespace().count() <= 3 {
        return Parenthesis {
            names,
            qualifier: Some(inside),
            after,
        };
    }
    none
}

/// The term with its qualifier, if any: `Beam (optional)`.
fn qualified(term: String, qualifier: Option<&str>) -> String {
    match qualifier {
        Some(q) => format!("{} ({q})", term.trim_end_matches(':')),
        None => term,
    }
}

/// The names in a parenthesis after a lead-in term: `supervised fine-tuning`, `floor`,
/// `LoRA, low-rank`. A qualifier (`optional`), an example (`e.g. ...`) or a sentence is
/// not a name.
pub fn other_names(inside: &str) -> Vec<String> {
    let inside = inside.trim();
    let lower = inside.to_lowercase();
    if inside.is_empty()
        || inside.split_whitespace().count() > 8
        || ["e.g", "eg ", "i.e", "ie ", "see ", "cf", "as in", "like "]
            .iter()
            .any(|p| lower.starts_with(p))
        || inside.contains(". ")
        || inside.contains([':', '!', '?'])
    {
        return Vec::new();
    }
    let names: Vec<String> = inside
        .split([',', ';'])
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    if names.iter().any(|n| {
        !n.chars().any(char::is_alphabetic)
            || n.split_whitespace().count() > 5
            || crate::words::NOT_ALIASES.contains(&n.to_lowercase().as_str())
    }) {
        return Vec::new();
    }
    names
}

/// The lead-in term of one line, if it opens with one: bold, code, or (when `plain`, the
/// line's cleaned text, is given) a short plain term followed by a separator.
fn lead_in(line: &Line, plain: Option<&str>) -> Option<Found> {
    let first = line.spans.iter().position(|s| !s.text.trim().is_empty())?;
    let head = &line.spans[first];
    if head.style == Style::Plain {
        let text = plain?;
        return plain_lead_in(text).map(|(term, body)| Found {
            term,
            aliases: Vec::new(),
            body,
            line: line.line,
        });
    }
    let rest: String = line.spans[first + 1..]
        .iter()
        .map(|s| s.text.as_str())
        .collect();
    let rest = text::clean(&rest);
    let found = |term: String, aliases: Vec<String>, body: &str| Found {
        term,
        aliases,
        body: body.to_string(),
        line: line.line,
    };
    match head.style {
        Style::Strong => {
            let p = parenthesised(&rest);
            let term = qualified(text::clean(&head.text), p.qualifier);
            let (body, had_separator) = strip_separator(p.after);
            let term_had_colon = term.ends_with(':');
            if body.is_empty() || term.split_whitespace().count() > 8 {
                return None;
            }
            // `**HTML** (hypertext markup language) is the ...`: the other name marks the term.
            let opens_well = !p.names.is_empty()
                || body
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit() || c == '(');
            if !(had_separator || term_had_colon || opens_well)
                || is_label(&term)
                || is_instruction(&term)
            {
                return None;
            }
            Some(found(term, p.names, body))
        }
        Style::Code => {
            let p = parenthesised(&rest);
            let (body, had_separator) = strip_separator(p.after);
            if !had_separator || body.is_empty() {
                return None;
            }
            let term = qualified(text::clean(&head.text), p.qualifier);
            Some(found(term, p.names, body))
        }
        Style::Plain => None,
    }
}

/// Removes a leading separator (`:`, `:-`, `-`, `–`, `—`, `=`, `->`, `=>`, `::`, `→`) and
/// spaces; says whether there was one.
fn strip_separator(s: &str) -> (&str, bool) {
    let t = s.trim_start();
    for sep in SEPARATORS {
        if let Some(after) = t.strip_prefix(sep) {
            return (after.trim_start_matches(['-', ' ']).trim(), true);
        }
    }
    (t.trim(), false)
}

/// `Term: definition`, `Term - definition`, `Term — definition`, `Term = definition`,
/// `Term -> definition`, `Term => definition`, `Term :: definition` with a short term.
pub fn plain_lead_in(text: &str) -> Option<(String, String)> {
    let colon = memchr::memchr_iter(b':', text.as_bytes())
        .find(|&i| !text[i..].starts_with("://"))
        .map(|i| (i, 1));
    let dash = first_of(text, &[" - ", " \u{2013} ", " \u{2014} "]);
    let arrow = first_of(text, ARROWS);
    let chosen = match (colon, dash) {
        (Some(c), _) if c.0 <= 80 => Some(c),
        (_, Some(d)) => Some(d),
        _ => None,
    };
    let (at, len, by_arrow) = match (chosen, arrow) {
        (Some(c), Some(a)) if a.0 < c.0 => (a.0, a.1, true),
        (Some(c), _) => (c.0, c.1, false),
        (None, Some(a)) => (a.0, a.1, true),
        (None, None) => return None,
    };
    let mut term = text[..at].trim();
    if !by_arrow {
        if let Some(dash) = term.rfind(" - ") {
            term = term[dash + 3..].trim();
        }
    }
    let body = text[at + len..].trim_start_matches([':', '-', ' ']).trim();
    if by_arrow && !arrow_definition(term, body, &text[at..at + len]) {
        return None;
    }
    let words: Vec<&str> = term.split_whitespace().collect();
    if words.is_empty() || words.len() > 6 || body.split_whitespace().count() < 2 {
        return None;
    }
    let lower = term.to_lowercase();
    let first = words[0].to_lowercase();
    let first_char = term.chars().next()?;
    if NOT_TERMS.contains(&lower.as_str())
        || NOT_TERM_FIRST_WORDS.contains(&first.as_str())
        || words
            .iter()
            .any(|w| VERB_WORDS.contains(&w.to_lowercase().as_str()))
        || term.contains([',', '.', '!', '?', '"', '[', ']', '='])
        || !(first_char.is_alphanumeric() || first_char == '(')
        || first_char.is_ascii_digit() && words.len() == 1
        || is_instruction(term)
    {
        return None;
    }
    Some((term.to_string(), body.to_string()))
}

/// The first place in `text` where one of `patterns`, which all start with a space, occurs,
/// and that pattern's length (the first of them in `patterns` order). A pattern starts one
/// byte before its second byte, and those are few and rare in prose (`-`, `=`, `:`, the
/// lead byte of a dash or an arrow): `memchr` finds them, three kinds at a time, instead of
/// every space being tried.
fn first_of(text: &str, patterns: &[&str]) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let at = |second: usize| {
        let i = second.checked_sub(1).filter(|&i| bytes[i] == b' ')?;
        patterns
            .iter()
            .find(|p| bytes[i..].starts_with(p.as_bytes()))
            .map(|p| (i, p.len()))
    };
    // The distinct second bytes, on the stack (the pattern lists are short).
    let mut seconds = [0u8; 8];
    let mut kinds = 0;
    for b in patterns.iter().filter_map(|p| p.as_bytes().get(1).copied()) {
        if seconds[..kinds].contains(&b) {
            continue;
        }
        if kinds == seconds.len() {
            // More kinds than room: every space is tried.
            return memchr::memchr_iter(b' ', bytes).find_map(|i| at(i + 1));
        }
        seconds[kinds] = b;
        kinds += 1;
    }
    seconds[..kinds]
        .chunks(3)
        .filter_map(|kinds| match *kinds {
            [a] => memchr::memchr_iter(a, bytes).find_map(at),
            [a, b] => memchr::memchr2_iter(a, b, bytes).find_map(at),
            [a, b, c] => memchr::memchr3_iter(a, b, c, bytes).find_map(at),
            _ => None,
        })
        .min()
}

/// `x = y + 1` and `tokenize -> embed -> attend` are formulas and pipelines, not
/// definitions: the term must be a name of two or more characters starting with a letter,
/// and the body words, with no second arrow.
fn arrow_definition(term: &str, body: &str, sep: &str) -> bool {
    let wordy = body
        .split_whitespace()
        .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
        .count();
    term.chars().count() >= 2
        && term.chars().next().is_some_and(char::is_alphabetic)
        && wordy >= 2
        && !body.contains(sep.trim())
        && !ARROWS.iter().any(|a| body.contains(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_are_found_where_a_substring_search_finds_them() {
        let patterns = [" - ", " \u{2013} ", " \u{2014} "];
        for text in [
            "Term - body",
            "Über – naïve — x - y",
            "no separator here",
            " - leading",
            "a:b://c d: e",
            "",
            "ends with space ",
        ] {
            let want = patterns
                .iter()
                .filter_map(|p| text.find(p).map(|i| (i, p.len())))
                .min();
            assert_eq!(first_of(text, &patterns), want, "{text:?}");
        }
        // Every space tried, patterns in order: what `first_of` finds, arrows included.
        let spaces = |text: &str, patterns: &[&str]| {
            text.match_indices(' ').find_map(|(i, _)| {
                let rest = &text.as_bytes()[i..];
                patterns
                    .iter()
                    .find(|p| rest.starts_with(p.as_bytes()))
                    .map(|p| (i, p.len()))
            })
        };
        for text in [
            "a => b -> c",
            "x :: y = z",
            "Term \u{2192} body = more",
            "a= b =c = d",
            "::: :: -",
            "\u{2192} \u{2192}",
            "-> => no leading space",
            "one  =  two",
        ] {
            assert_eq!(first_of(text, ARROWS), spaces(text, ARROWS), "{text:?}");
            // More kinds of second byte than `first_of` keeps: every space is tried.
            let many = [
                " a", " b", " c", " d", " e", " f", " g", " h", " i", " =", " -",
            ];
            assert_eq!(first_of(text, &many), spaces(text, &many), "{text:?}");
            assert_eq!(
                first_of(text, &patterns),
                spaces(text, &patterns),
                "{text:?}"
            );
        }
    }

    #[test]
    fn arrows_and_equals_separate_short_terms_only() {
        assert_eq!(
            plain_lead_in("Temperature = how random the sampling is"),
            Some(("Temperature".into(), "how random the sampling is".into()))
        );
        assert_eq!(
            plain_lead_in("Top-k -> keep only the k likeliest tokens"),
            Some(("Top-k".into(), "keep only the k likeliest tokens".into()))
        );
        assert_eq!(
            plain_lead_in("Embedding :: a vector standing for a text"),
            Some(("Embedding".into(), "a vector standing for a text".into()))
        );
        assert_eq!(plain_lead_in("x = y + 1"), None);
        assert_eq!(plain_lead_in("Tokenize -> embed words -> attend"), None);
    }

    #[test]
    fn instructions_are_not_terms() {
        assert!(is_instruction("Match the task to its name"));
        assert!(!is_instruction("Match score"));
        assert_eq!(
            plain_lead_in("Match the task to its name: labels are classification"),
            None
        );
    }

    #[test]
    fn alias_lines_and_parenthesised_names() {
        assert_eq!(alias_line(""), None);
        assert_eq!(alias_line("Synonyms: a"), Some(vec!["a".into()]));
        assert_eq!(alias_line("SYNONYMS: b"), Some(vec!["b".into()]));
        assert_eq!(alias_line("Bliases: a"), None);
        assert_eq!(alias_line("\u{212a}a: c"), None);
        assert_eq!(
            alias_line("Also known as: AI agent, autonomous agent"),
            Some(vec!["AI agent".into(), "autonomous agent".into()])
        );
        assert_eq!(alias_line("Also, this is prose"), None);
        assert_eq!(
            other_names("supervised fine-tuning"),
            ["supervised fine-tuning"]
        );
        assert!(other_names("optional").is_empty());
        assert!(other_names("e.g. GPT-4").is_empty());
    }
}
