//! Lint: problems in the glossary itself, read straight from the notes (not the index), for
//! `gloss lint` and pre-commit hooks.
//!
//! Four checks:
//! - **conflict**: a term defined more than once with different text;
//! - **duplicate**: two entries that look like one term (`fine-tuning` and `finetuning`:
//!   the same key, or keys of six or more letters one edit apart), or a term that is also
//!   another term's alias;
//! - **empty**: a definition with no text (`- **Term**:` and nothing under it, an empty
//!   table cell or definition-list entry), or whose text is only a link;
//! - **undefined**: a bold or backticked span that looks like a term but is defined nowhere
//!   (code-looking spans, sentences and labels such as `Note` are skipped).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use crate::entries::{self, Kind};
use crate::error::Result;
use crate::notes::{self, Warning};
use crate::sections::{self, Block, Line, Style};
use crate::text;
use crate::tokenize::Analyzer;
use crate::words::NOT_TERMS;

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Check {
    /// Defined more than once with different text.
    Conflict,
    /// Two entries that look like one term.
    Duplicate,
    /// An empty definition, or one that is only a link.
    Empty,
    /// Marked as a term, defined nowhere.
    Undefined,
}

/// One problem, at a place in the notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The note, relative to the notes folder.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// Which check found it.
    pub check: Check,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// What a lint run found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Notes read.
    pub files: usize,
    /// Findings, by file and line.
    pub findings: Vec<Finding>,
    /// Notes that could not be read (not findings: the run goes on).
    pub warnings: Vec<Warning>,
}

/// Lints every note under `content`.
pub fn lint(content: &Path) -> Result<Report> {
    crate::allocator::bulk();
    let (files, mut warnings) = notes::walk(content)?;
    let mut texts = Vec::new();
    for file in &files {
        if let Some(note) = notes::read(file, &mut warnings) {
            texts.push((note.rel, note.text));
        }
    }
    Ok(Report {
        files: files.len(),
        findings: lint_notes(&texts),
        warnings,
    })
}

/// A definition as written.
struct Def {
    term: String,
    aliases: Vec<String>,
    text: String,
    file: String,
    line: usize,
}

/// A bold or code span.
struct Marked {
    text: String,
    style: Style,
    file: String,
    line: usize,
}

/// What one note contributes: its definitions, marked spans and empty-definition findings.
#[derive(Default)]
struct NoteParts {
    defs: Vec<Def>,
    marked: Vec<Marked>,
    findings: Vec<Finding>,
}

/// Parses one note and gathers what the checks need from it.
fn note_parts(rel: &str, source: &str) -> NoteParts {
    let mut parts = NoteParts::default();
    let doc = sections::parse(source);
    for e in entries::extract(rel, &doc) {
        if let (Kind::Definition, Some(term)) = (e.kind, e.term) {
            parts.defs.push(Def {
                term,
                aliases: e.aliases,
                text: e.text,
                file: e.file,
                line: e.line,
            });
        }
    }
    for section in &doc.sections {
        let last = section.blocks.len().saturating_sub(1);
        for (i, block) in section.blocks.iter().enumerate() {
            collect(
                rel,
                block,
                i == last,
                &mut parts.marked,
                &mut parts.findings,
            );
        }
    }
    parts
}

/// Lints notes given as (relative path, text).
pub fn lint_notes(notes: &[(String, String)]) -> Vec<Finding> {
    // Parsing is most of a lint run on a big folder: on all cores, merged in note order.
    let parts: Vec<NoteParts> = notes
        .par_iter()
        .map(|(rel, source)| note_parts(rel, source))
        .collect();
    let mut defs = Vec::new();
    let mut marked = Vec::new();
    let mut findings = Vec::new();
    for p in parts {
        defs.extend(p.defs);
        marked.extend(p.marked);
        findings.extend(p.findings);
    }
    let sources: HashMap<&str, Vec<&str>> = notes
        .iter()
        .map(|(rel, source)| (rel.as_str(), source.lines().collect()))
        .collect();
    let mut analyzer = Analyzer::default();
    conflicts(&defs, &mut findings);
    duplicates(&defs, &mut analyzer, &mut findings);
    only_links(&defs, &sources, &mut findings);
    undefined(&defs, &marked, &mut analyzer, &mut findings);
    findings.sort_by(|a, b| {
        (a.file.as_str(), a.line, a.check, &a.message).cmp(&(
            b.file.as_str(),
            b.line,
            b.check,
            &b.message,
        ))
    });
    findings.dedup();
    findings
}

/// The lead-in of a line that has nothing after it: `**Term**:` alone.
fn bare_lead_in(line: &Line) -> Option<String> {
    let first = line.spans.iter().position(|s| !s.text.trim().is_empty())?;
    let head = &line.spans[first];
    if !matches!(head.style, Style::Strong | Style::Code) {
        return None;
    }
    let rest: String = line.spans[first + 1..]
        .iter()
        .map(|s| s.text.as_str())
        .collect();
    let rest_empty = text::clean(&rest)
        .chars()
        .all(|c| matches!(c, ':' | '-' | '\u{2013}' | '\u{2014}' | ' '));
    let term = text::clean(&head.text);
    let separated = term.ends_with(':') || !text::clean(&rest).is_empty();
    (rest_empty && separated).then(|| {
        term.trim_end_matches([':', ' '])
            .trim_matches('`')
            .to_string()
    })
}

/// Records bold and code spans of a block, and its empty definitions.
fn collect(
    rel: &str,
    block: &Block,
    last_in_section: bool,
    marked: &mut Vec<Marked>,
    findings: &mut Vec<Finding>,
) {
    // A bold label alone on its line (`**Steps:**`) leads into what follows: not a use.
    let mut spans = |lines: &[Line]| {
        for line in lines {
            let skip = usize::from(bare_lead_in(line).is_some());
            let first = line.spans.iter().position(|s| !s.text.trim().is_empty());
            for (n, span) in line.spans.iter().enumerate() {
                if skip == 1 && Some(n) == first {
                    continue;
                }
                if matches!(span.style, Style::Strong | Style::Code) {
                    marked.push(Marked {
                        text: span.text.clone(),
                        style: span.style,
                        file: rel.to_string(),
                        line: line.line,
                    });
                }
            }
        }
    };
    let empty = |term: &str, line: usize| Finding {
        file: rel.to_string(),
        line,
        check: Check::Empty,
        message: format!("{term:?} has an empty definition"),
    };
    match block {
        Block::Paragraph { lines, .. } => {
            spans(lines);
            // A bold label alone is a lead-in to what follows, unless nothing follows.
            if let ([only], true) = (lines.as_slice(), last_in_section) {
                if let Some(term) = bare_lead_in(only).filter(|t| !is_label(t)) {
                    findings.push(empty(&term, only.line));
                }
            }
        }
        Block::List { items, .. } => {
            for (i, item) in items.iter().enumerate() {
                spans(&item.lines);
                let nested = items.get(i + 1).is_some_and(|n| n.depth > item.depth);
                if let ([only], false) = (item.lines.as_slice(), nested) {
                    if let Some(term) = bare_lead_in(only).filter(|t| !is_label(t)) {
                        findings.push(empty(&term, item.line));
                    }
                }
            }
        }
        Block::Table { header, rows, .. } if crate::words::is_glossary_header(header) => {
            for row in rows {
                let term = row.cells.first().map(String::as_str).unwrap_or("");
                if !term.is_empty() && row.cells[1..].iter().all(|c| c.trim().is_empty()) {
                    findings.push(empty(term, row.line));
                }
            }
        }
        Block::DefinitionList { entries, .. } => {
            for e in entries {
                if !e.term.is_empty() && e.definition.trim().is_empty() {
                    findings.push(empty(&e.term, e.line));
                }
            }
        }
        _ => {}
    }
}

/// A label or a word bold for emphasis ([`NOT_TERMS`]), never a term.
fn is_label(s: &str) -> bool {
    NOT_TERMS.contains(
        &s.trim_end_matches([':', '!', '?', '.'])
            .to_lowercase()
            .as_str(),
    )
}

/// Lowercased, whitespace collapsed.
fn norm(s: &str) -> String {
    text::collapse(s).to_lowercase()
}

fn at(d: &Def) -> String {
    format!("{}:{}", d.file, d.line)
}

/// Terms defined more than once with different text.
fn conflicts(defs: &[Def], findings: &mut Vec<Finding>) {
    let mut groups: BTreeMap<String, Vec<&Def>> = BTreeMap::new();
    for d in defs {
        groups.entry(norm(&d.term)).or_default().push(d);
    }
    for group in groups.values().filter(|g| g.len() > 1) {
        let texts: HashSet<String> = group.iter().map(|d| norm(&d.text)).collect();
        if texts.len() < 2 {
            continue;
        }
        let first = group[0];
        for d in &group[1..] {
            findings.push(Finding {
                file: d.file.clone(),
                line: d.line,
                check: Check::Conflict,
                message: format!(
                    "{:?} is defined {} times with different text (first at {})",
                    d.term,
                    group.len(),
                    at(first)
                ),
            });
        }
    }
}

/// Entries that look like one term: same key or keys one edit apart, or a term that is
/// another term's (written, not made-up) alias.
fn duplicates(defs: &[Def], analyzer: &mut Analyzer, findings: &mut Vec<Finding>) {
    // The first definition of each spelling.
    let mut spellings: Vec<(&Def, String)> = Vec::new();
    let mut seen = HashSet::new();
    for d in defs {
        if seen.insert(norm(&d.term)) {
            spellings.push((d, analyzer.key(&d.term)));
        }
    }
    for (a, b, how) in twin_pairs(&spellings, analyzer) {
        let ((a, _), (b, _)) = (&spellings[a], &spellings[b]);
        findings.push(Finding {
            file: b.file.clone(),
            line: b.line,
            check: Check::Duplicate,
            message: format!("{:?} and {:?} ({}) {how}", b.term, a.term, at(a)),
        });
    }
    aliases_defined(defs, &spellings, analyzer, findings);
}

/// Pairs `(a, b)` of spellings, `a` first, that look like one term: the same key, or keys of
/// six or more letters one edit apart. Near-linear: keys one edit apart share a key with one
/// letter deleted (a substitution, an insertion or a swap of neighbours all leave one such
/// deletion in common), so only keys meeting in that table are compared.
fn twin_pairs(
    spellings: &[(&Def, String)],
    analyzer: &mut Analyzer,
) -> Vec<(usize, usize, &'static str)> {
    // Spellings by key, in order.
    let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
    for (n, (_, key)) in spellings.iter().enumerate() {
        if !key.is_empty() {
            by_key.entry(key).or_default().push(n);
        }
    }
    // `similarity_search` the method and `Similarity search` the idea differ.
    let comparable = |a: usize, b: usize| {
        is_identifier(&spellings[a].0.term) == is_identifier(&spellings[b].0.term)
    };
    let mut pairs = Vec::new();
    for group in by_key.values() {
        for (j, &b) in group.iter().enumerate() {
            for &a in &group[..j] {
                if comparable(a, b) {
                    pairs.push((a, b, "look like the same term"));
                }
            }
        }
    }
    for (ka, kb) in keys_one_edit_apart(by_key.keys().copied()) {
        for &x in &by_key[ka] {
            for &y in &by_key[kb] {
                let (a, b) = (x.min(y), x.max(y));
                if comparable(a, b)
                    && !differ_in_a_short_word(analyzer, &spellings[a].0.term, &spellings[b].0.term)
                {
                    pairs.push((a, b, "are one letter apart: the same term?"));
                }
            }
        }
    }
    pairs
}

/// Distinct keys of six or more letters at most one edit (with swaps of neighbours) apart,
/// each pair once.
fn keys_one_edit_apart<'k>(keys: impl Iterator<Item = &'k str>) -> Vec<(&'k str, &'k str)> {
    let mut deletions: HashMap<String, Vec<&'k str>> = HashMap::new();
    for key in keys {
        let chars: Vec<(usize, char)> = key.char_indices().collect();
        if chars.len() < 6 {
            continue;
        }
        deletions.entry(key.to_string()).or_default().push(key);
        for &(at, c) in &chars {
            let mut variant = String::with_capacity(key.len());
            variant.push_str(&key[..at]);
            variant.push_str(&key[at + c.len_utf8()..]);
            let keys = deletions.entry(variant).or_default();
            if keys.last() != Some(&key) {
                keys.push(key);
            }
        }
    }
    let mut pairs = HashSet::new();
    for keys in deletions.values().filter(|k| k.len() > 1) {
        for (j, kb) in keys.iter().enumerate() {
            for ka in &keys[..j] {
                let pair = if ka < kb { (*ka, *kb) } else { (*kb, *ka) };
                if ka.len().abs_diff(kb.len()) <= 1 && strsim::osa_distance(ka, kb) <= 1 {
                    pairs.insert(pair);
                }
            }
        }
    }
    pairs.into_iter().collect()
}

/// A term that is also another term's alias (written, not made-up).
fn aliases_defined(
    defs: &[Def],
    spellings: &[(&Def, String)],
    analyzer: &mut Analyzer,
    findings: &mut Vec<Finding>,
) {
    let mut alias_of: HashMap<String, &Def> = HashMap::new();
    for d in defs {
        let made_up = entries::initials(&d.term);
        for a in &d.aliases {
            if made_up.as_deref() == Some(a.as_str()) {
                continue;
            }
            let key = analyzer.key(a);
            if !key.is_empty() {
                alias_of.entry(key).or_insert(d);
            }
        }
    }
    for (d, key) in spellings {
        if let Some(owner) = alias_of.get(key) {
            if analyzer.key(&owner.term) != *key {
                findings.push(Finding {
                    file: d.file.clone(),
                    line: d.line,
                    check: Check::Duplicate,
                    message: format!(
                        "{:?} is defined here and is an alias of {:?} ({})",
                        d.term,
                        owner.term,
                        at(owner)
                    ),
                });
            }
        }
    }
}

/// A name from code (`similarity_search`, `mlflow.evaluate`), not a phrase.
fn is_identifier(term: &str) -> bool {
    term.contains(['_', '.', '(', '@'])
}

/// Whether two terms of the same words differ only in a word of one or two letters
/// (`Top-p sampling` and `Top-k sampling` are different terms).
fn differ_in_a_short_word(analyzer: &mut Analyzer, a: &str, b: &str) -> bool {
    let wa = analyzer.plain_words(a);
    let wb = analyzer.plain_words(b);
    wa.len() == wb.len()
        && wa
            .iter()
            .zip(&wb)
            .filter(|(x, y)| x.raw != y.raw)
            .all(|(x, y)| x.raw.chars().count() <= 2 || y.raw.chars().count() <= 2)
}

fn is_url(s: &str) -> bool {
    let s = s.trim();
    (s.starts_with("http://") || s.starts_with("https://") || s.starts_with("www."))
        && !s.contains(char::is_whitespace)
}

/// Labels of the markdown links `[label](target)` on a source line.
fn link_labels(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find("](") else { break };
        let label = &after[..close];
        let target = &after[close + 2..];
        if let Some(end) = target.find(')') {
            out.push(text::clean(label.trim_matches(['*', '_', '`'])));
            rest = &target[end + 1..];
        } else {
            break;
        }
    }
    out
}

/// Definitions whose whole text is a URL or the label of a link on their line.
fn only_links(defs: &[Def], sources: &HashMap<&str, Vec<&str>>, findings: &mut Vec<Finding>) {
    for d in defs {
        let body = d
            .text
            .trim()
            .trim_end_matches('.')
            .trim_start_matches(['-', ':', ' ']);
        let lower = body.to_lowercase();
        let body = ["see also ", "see: ", "see ", "see also: "]
            .iter()
            .find_map(|p| lower.starts_with(p).then(|| &body[p.len()..]))
            .unwrap_or(body)
            .trim();
        let source_line = sources
            .get(d.file.as_str())
            .and_then(|lines| lines.get(d.line.wrapping_sub(1)))
            .copied()
            .unwrap_or("");
        let linked = !body.is_empty()
            && link_labels(source_line)
                .iter()
                .any(|l| l.eq_ignore_ascii_case(body));
        if is_url(body) || linked {
            findings.push(Finding {
                file: d.file.clone(),
                line: d.line,
                check: Check::Empty,
                message: format!("the definition of {:?} is only a link", d.term),
            });
        }
    }
}

/// Whether a code span looks like code rather than a term: calls, assignments, paths,
/// `module.member`, snake_case and `@tags`, and single lowercase words (parameter values
/// such as `text-generation`).
fn looks_like_code(s: &str) -> bool {
    if s.contains(['(', '=', '/', '{', '<', '>', '$', '\\', '_', '@', ':']) {
        return true;
    }
    if !s.contains(' ') && !s.chars().any(char::is_uppercase) {
        return true;
    }
    let chars: Vec<char> = s.chars().collect();
    chars
        .windows(2)
        .any(|w| w[0] == '.' && w[1].is_alphabetic())
}

/// Bold or backticked spans that look like terms but are defined nowhere; one finding per
/// term, at its first use.
fn undefined(
    defs: &[Def],
    marked: &[Marked],
    analyzer: &mut Analyzer,
    findings: &mut Vec<Finding>,
) {
    let mut keys: HashSet<String> = HashSet::new();
    let mut stems: HashSet<Vec<String>> = HashSet::new();
    for d in defs {
        for name in std::iter::once(&d.term).chain(&d.aliases) {
            keys.insert(analyzer.key(name));
            stems.insert(
                analyzer
                    .plain_words(name)
                    .into_iter()
                    .map(|w| w.stem)
                    .collect(),
            );
        }
    }
    let mut uses: BTreeMap<String, (usize, &Marked, String)> = BTreeMap::new();
    let mut order = Vec::new();
    for m in marked {
        let cleaned = text::clean(&m.text);
        let Some((term, alias)) = entries::split_term(&cleaned) else {
            continue;
        };
        let words = term.split_whitespace().count();
        if words == 0 || words > 4 || is_label(&term) {
            continue;
        }
        if m.style == Style::Code && looks_like_code(&term) {
            continue;
        }
        // A bold sentence or clause is emphasis, not a term.
        if m.style == Style::Strong && cleaned.trim_end().ends_with(['.', '!', '?', ',']) {
            continue;
        }
        let plain = analyzer.plain_words(&term);
        if plain.is_empty() || !term.chars().any(char::is_alphabetic) {
            continue;
        }
        let key = analyzer.key(&term);
        let stem: Vec<String> = plain.into_iter().map(|w| w.stem).collect();
        let alias_defined = alias.is_some_and(|a| keys.contains(&analyzer.key(&a)));
        if keys.contains(&key) || stems.contains(&stem) || alias_defined {
            continue;
        }
        let entry = uses.entry(key.clone()).or_insert_with(|| {
            order.push(key.clone());
            (0, m, term.clone())
        });
        entry.0 += 1;
    }
    for key in order {
        let (count, m, term) = &uses[&key];
        let how = if m.style == Style::Code {
            "backticked"
        } else {
            "bold"
        };
        let times = if *count > 1 {
            format!(" (used {count} times)")
        } else {
            String::new()
        };
        findings.push(Finding {
            file: m.file.clone(),
            line: m.line,
            check: Check::Undefined,
            message: format!("{term:?} is {how} like a term but defined nowhere{times}"),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lint_one(text: &str) -> Vec<String> {
        lint_notes(&[("a.md".into(), text.into())])
            .iter()
            .map(|f| f.to_string())
            .collect()
    }

    fn lint_two(a: &str, b: &str) -> Vec<String> {
        lint_notes(&[("a.md".into(), a.into()), ("b.md".into(), b.into())])
            .iter()
            .map(|f| f.to_string())
            .collect()
    }

    /// The all-pairs near-twin check this module used before the deletion table.
    fn all_pairs(
        spellings: &[(&Def, String)],
        analyzer: &mut Analyzer,
    ) -> Vec<(usize, usize, &'static str)> {
        let mut out = Vec::new();
        for (j, (b, kb)) in spellings.iter().enumerate() {
            for (i, (a, ka)) in spellings[..j].iter().enumerate() {
                if ka.is_empty()
                    || kb.is_empty()
                    || is_identifier(&a.term) != is_identifier(&b.term)
                {
                    continue;
                }
                if ka == kb {
                    out.push((i, j, "look like the same term"));
                } else if ka.chars().count() >= 6
                    && kb.chars().count() >= 6
                    && ka.len().abs_diff(kb.len()) <= 1
                    && strsim::osa_distance(ka, kb) <= 1
                    && !differ_in_a_short_word(analyzer, &a.term, &b.term)
                {
                    out.push((i, j, "are one letter apart: the same term?"));
                }
            }
        }
        out.sort();
        out
    }

    fn def(term: &str) -> Def {
        Def {
            term: term.into(),
            aliases: Vec::new(),
            text: String::new(),
            file: "a.md".into(),
            line: 1,
        }
    }

    /// Same pairs from the deletion table as from comparing every pair.
    fn assert_same_twins(defs: &[Def]) -> usize {
        let mut analyzer = Analyzer::default();
        let mut seen = HashSet::new();
        let spellings: Vec<(&Def, String)> = defs
            .iter()
            .filter(|d| seen.insert(norm(&d.term)))
            .map(|d| (d, analyzer.key(&d.term)))
            .collect();
        let expected = all_pairs(&spellings, &mut analyzer);
        let mut found = twin_pairs(&spellings, &mut analyzer);
        found.sort();
        assert_eq!(found, expected);
        expected.len()
    }

    #[test]
    fn near_twins_from_the_deletion_table_match_all_pairs() {
        let terms = [
            "Tokenizer",
            "Tokeniser",
            "Tokenzier",
            "Tokenizers",
            "tokenizer",
            "Embedding",
            "Embeddings",
            "Embeding",
            "Embedidng",
            "abcdef",
            "abcdfe",
            "bacdef",
            "abcde",
            "Top-p sampling",
            "Top-k sampling",
            "similarity_search",
            "Similarity search",
            "Similarity-search",
            "naïve bayes",
            "naive bayes",
            "naïve bayesx",
            "Fine-tuning",
            "finetuning",
            "fine tuning",
            "LoRA",
            "QLoRA",
            "résumé parser",
            "resume parsers",
            "ünïcödé",
            "unicode",
            "aaaaaa",
            "aaaaaaa",
            "aaaaab",
            "baaaaa",
            "",
        ];
        let defs: Vec<Def> = terms.iter().map(|t| def(t)).collect();
        assert!(assert_same_twins(&defs) > 10);
    }

    #[test]
    fn near_twins_on_the_shipped_notes_match_all_pairs() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
        let (files, _) = notes::walk(&root).expect("content/ is readable");
        let mut defs = Vec::new();
        for f in &files {
            let mut warnings = Vec::new();
            if let Some(note) = notes::read(f, &mut warnings) {
                defs.extend(note_parts(&note.rel, &note.text).defs);
            }
        }
        assert!(defs.len() > 100, "{} definitions", defs.len());
        assert_same_twins(&defs);
    }

    #[test]
    fn a_clean_glossary_has_no_findings() {
        let md = "# G\n\n**Token**: A unit of text.\n\n**Embedding**: A vector for a **token**.\n";
        assert!(lint_one(md).is_empty(), "{:?}", lint_one(md));
    }

    #[test]
    fn the_same_term_with_different_text_is_a_conflict() {
        let found = lint_two("**Token**: A unit.\n", "# X\n\n**token**: A piece.\n");
        assert_eq!(
            found,
            ["b.md:3: \"token\" is defined 2 times with different text (first at a.md:1)"]
        );
        assert!(lint_two("**Token**: A unit.\n", "**Token**: A unit.\n").is_empty());
    }

    #[test]
    fn spellings_of_one_term_are_duplicates() {
        let found = lint_two(
            "**Fine-tuning**: Training more.\n",
            "**finetuning**: Adapting.\n",
        );
        assert_eq!(
            found,
            ["b.md:1: \"finetuning\" and \"Fine-tuning\" (a.md:1) look like the same term"]
        );
        let found = lint_one("- **Tokenizer**: Splits.\n- **Tokeniser**: Splits text.\n");
        assert_eq!(
            found,
            ["a.md:2: \"Tokeniser\" and \"Tokenizer\" (a.md:1) are one letter apart: the same term?"]
        );
        // Short keys one edit apart, a one-letter word apart, or code and a phrase are
        // different terms.
        assert!(lint_one("- **LoRA**: A method.\n- **QLoRA**: Another.\n").is_empty());
        assert!(lint_one("- **Top-p sampling**: One.\n- **Top-k sampling**: Two.\n").is_empty());
        assert!(
            lint_one("- **Similarity search**: One.\n- `similarity_search`: Two.\n").is_empty()
        );
        let found = lint_one(
            "- **Retrieval-augmented generation (RAG)**: A pattern.\n- **RAG**: The same.\n",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("is an alias of"), "{found:?}");
    }

    #[test]
    fn empty_definitions_and_links_are_found() {
        let md = "# G\n\n- **Token**:\n- **Chunk**: A piece.\n- **Docs**: [Docs](https://x.io)\n- **Site**: https://x.io\n\n| Term | Definition |\n| --- | --- |\n| Vector | |\n\n## H\n\n**Lonely**:\n";
        let found = lint_one(md);
        assert_eq!(
            found,
            [
                "a.md:3: \"Token\" has an empty definition",
                "a.md:5: the definition of \"Docs\" is only a link",
                "a.md:6: the definition of \"Site\" is only a link",
                "a.md:10: \"Vector\" has an empty definition",
                "a.md:14: \"Lonely\" has an empty definition",
            ]
        );
    }

    #[test]
    fn a_bold_lead_in_to_a_list_is_not_empty() {
        let md = "## H\n\n**Steps:**\n\n- one\n- two\n\n- **Group**:\n  - **Inner**: Text.\n";
        assert!(lint_one(md).is_empty(), "{:?}", lint_one(md));
    }

    #[test]
    fn bold_or_code_terms_never_defined_are_reported_once() {
        let md = "**Token**: A unit.\n\nUse **embeddings** with **Vector search** and `Vector search`.\n\n\
                  Calls `mlflow.log_model()`, `x = 1`, `path/to`, `max_tokens`, `text-generation`, \
                  **Note:** and **this is a whole sentence.**\n";
        let found = lint_one(md);
        assert_eq!(
            found,
            [
                "a.md:3: \"Vector search\" is bold like a term but defined nowhere (used 2 times)",
                "a.md:3: \"embeddings\" is bold like a term but defined nowhere",
            ]
        );
    }

    #[test]
    fn plurals_and_stems_of_defined_terms_are_defined() {
        let md = "**Embedding**: A vector.\n\n**Chunk**: A piece.\n\nMany **embeddings** and **chunking**.\n";
        assert!(lint_one(md).is_empty(), "{:?}", lint_one(md));
    }
}
