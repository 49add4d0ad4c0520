//! The glossary: every defined term A-Z, read straight from the index, for `gloss terms`.
//!
//! Terms sort by their words as the index sees them (lowercased, ASCII-folded), so
//! `Élan` files under E and `fine-tuning` next to `Fine tuning`; terms that do not start
//! with a letter come first, under `#`. The listing is a [`Results`] like a search's, with
//! the whole definition as the snippet, so every renderer prints it.

use std::borrow::Cow;

use tantivy::collector::DocSetCollector;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{TantivyDocument, Term};

use crate::entries::Kind;
use crate::error::{Error, Result};
use crate::index::Store;
use crate::search::{Hit, Results};
use crate::tokenize::Analyzer;

/// The letter a term is listed under: `A`-`Z`, or `#` for digits, symbols and other
/// scripts.
pub fn letter(analyzer: &mut Analyzer, term: &str) -> char {
    sort_key(analyzer, term).0
}

/// (letter, words lowercased and folded, joined by spaces).
fn sort_key(analyzer: &mut Analyzer, term: &str) -> (char, String) {
    let words: Vec<String> = analyzer
        .plain_words(term)
        .into_iter()
        .map(|w| w.raw)
        .collect();
    let words = words.join(" ");
    let (letter, key) = sort_key_of(term, &words);
    (letter, key.into_owned())
}

/// [`sort_key`] of `term`, whose plain words, lowercased and folded, joined by spaces, are
/// `words`.
pub(crate) fn sort_key_of<'a>(term: &str, words: &'a str) -> (char, Cow<'a, str>) {
    let key = if words.is_empty() {
        Cow::Owned(term.trim().to_lowercase())
    } else {
        Cow::Borrowed(words)
    };
    let letter = match key.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => c.to_ascii_uppercase(),
        _ => '#',
    };
    (letter, key)
}

/// `term` starts with `prefix`, comparing words as the index does (case, accents and the
/// separators of compounds ignored: `fine-t` finds `Fine-tuning` and `finetuning`). A prefix
/// with no word characters (`#`, `.`) is compared as lowercased text.
fn has_prefix(analyzer: &mut Analyzer, term: &str, prefix: &str) -> bool {
    let joined = |a: &mut Analyzer, s: &str| -> String {
        a.plain_words(s).into_iter().map(|w| w.raw).collect()
    };
    let want = joined(analyzer, prefix);
    if want.is_empty() {
        return term
            .to_lowercase()
            .starts_with(&prefix.trim().to_lowercase());
    }
    joined(analyzer, term).starts_with(&want)
}

/// Definitions A-Z by term (then file and line), ranked 1, 2, ...; those without a term
/// are dropped. The order of [`terms`], for definitions that did not come from the index.
pub(crate) fn in_order(definitions: Vec<Hit>, analyzer: &mut Analyzer) -> Vec<Hit> {
    let mut listed: Vec<((char, String), Hit)> = definitions
        .into_iter()
        .filter_map(|hit| {
            let term = hit.term.as_deref().filter(|t| !t.trim().is_empty())?;
            Some((sort_key(analyzer, term), hit))
        })
        .collect();
    listed.sort_by(|(a, x), (b, y)| {
        a.cmp(b)
            .then_with(|| x.term.cmp(&y.term))
            .then_with(|| x.file.cmp(&y.file))
            .then_with(|| x.line.cmp(&y.line))
    });
    listed
        .into_iter()
        .enumerate()
        .map(|(n, (_, mut hit))| {
            hit.rank = n + 1;
            hit
        })
        .collect()
}

/// Every definition in the index, A-Z by term (then file and line), optionally only terms
/// starting with `prefix`. `query` of the result is the prefix (empty for all).
pub fn terms(store: &Store, prefix: Option<&str>) -> Result<Results> {
    let f = &store.fields;
    let searcher = store.reader.searcher();
    let query = TermQuery::new(
        Term::from_field_text(f.kind, Kind::Definition.as_str()),
        IndexRecordOption::Basic,
    );
    let addresses = searcher
        .search(&query, &DocSetCollector)
        .map_err(|e| Error::engine("listing terms", e))?;
    let mut analyzer = Analyzer::default();
    let prefix = prefix.filter(|p| !p.trim().is_empty());
    let mut listed: Vec<Hit> = Vec::new();
    for addr in addresses {
        let doc: TantivyDocument = searcher
            .doc(addr)
            .map_err(|e| Error::engine("reading a term", e))?;
        let hit = Hit::from_doc(&doc, f);
        let term = hit.term.as_deref().unwrap_or_default();
        if let Some(p) = prefix {
            if !has_prefix(&mut analyzer, term, p) {
                continue;
            }
        }
        listed.push(hit);
    }
    let hits = in_order(listed, &mut analyzer);
    Ok(Results {
        query: prefix.unwrap_or("").to_string(),
        hits,
        ..Results::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_fold_case_and_accents_and_group_the_rest_under_hash() {
        let mut a = Analyzer::default();
        assert_eq!(letter(&mut a, "token"), 'T');
        assert_eq!(letter(&mut a, "Élan"), 'E');
        assert_eq!(letter(&mut a, "`<think>` tag"), 'T');
        assert_eq!(letter(&mut a, "3D model"), '#');
        assert_eq!(letter(&mut a, "\u{4e2d}\u{6587}"), '#');
        assert_eq!(letter(&mut a, "--"), '#');
    }

    #[test]
    fn sort_keys_order_a_to_z_ignoring_case_and_punctuation() {
        let mut a = Analyzer::default();
        let mut terms = vec!["beta", "Alpha", "3D", "alpha test", "Élan", "\"Zed\""];
        terms.sort_by_key(|t| sort_key(&mut a, t));
        assert_eq!(
            terms,
            ["3D", "Alpha", "alpha test", "beta", "Élan", "\"Zed\""]
        );
    }

    #[test]
    fn prefixes_match_words_as_the_index_sees_them() {
        let mut a = Analyzer::default();
        assert!(has_prefix(&mut a, "Fine-tuning", "fine t"));
        assert!(has_prefix(&mut a, "finetuning", "Fine-T"));
        assert!(has_prefix(&mut a, "Élan", "el"));
        assert!(!has_prefix(&mut a, "Token", "tokens"));
        assert!(has_prefix(&mut a, "#hashtag", "#"));
        assert!(!has_prefix(&mut a, "hashtag", "#"));
    }
}
