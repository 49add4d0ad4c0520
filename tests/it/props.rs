//! Property tests: the analyzer's keys and the markdown-to-entries pipeline on generated
//! input. Case counts are modest so the suite stays fast in a debug build.

use gloss::stages::Analyzer;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

fn config() -> Config {
    Config {
        // PROPTEST_CASES=20000 for a longer hunt.
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256),
        // Shrunk failures are printed; nothing is written next to the sources.
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    }
}

/// Text that leans on what the analyzer treats specially: hyphens, camel case, apostrophes,
/// plurals, digits, accents, CJK, right-to-left, combining marks, emoji, controls.
fn tricky_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[a-zA-Z]{1,12}",
        1 => Just("-".to_string()),
        1 => Just(" ".to_string()),
        1 => Just("'s".to_string()),
        1 => Just("ies".to_string()),
        1 => Just("sses".to_string()),
        1 => "[0-9]{1,4}",
        1 => Just(".".to_string()),
        1 => Just("\u{e9}".to_string()),
        1 => Just("\u{df}".to_string()),
        1 => Just("\u{65e5}\u{672c}".to_string()),
        1 => Just("\u{645}\u{631}\u{62d}\u{628}\u{627}".to_string()),
        1 => Just("e\u{301}\u{301}".to_string()),
        1 => Just("\u{1f600}".to_string()),
        1 => Just("\u{1b}[31m".to_string()),
        1 => Just("\u{0}".to_string()),
        1 => any::<String>(),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn key_never_panics_on_arbitrary_unicode(s in any::<String>()) {
        let mut a = Analyzer::default();
        let _ = a.key(&s);
        let _ = a.words(&s);
    }

    #[test]
    fn key_of_a_key_is_the_key(s in tricky_text()) {
        let mut a = Analyzer::default();
        let k = a.key(&s);
        // "-ish": a key is words joined, and a joined key longer than the longest token the
        // analyzer keeps (47 bytes) is dropped when analysed again as one word.
        // And ASCII folding can give punctuation (`‼` → `!!`, `⑴` → `(1)`) that the word
        // splitter drops the second time: then the letters and digits must agree.
        if k.len() < 48 {
            let again = a.key(&k);
            if k.chars().all(char::is_alphanumeric) {
                prop_assert_eq!(again, k, "input {:?}", s);
            } else {
                prop_assert_eq!(alphanumeric(&again), alphanumeric(&k), "input {:?}", s);
            }
        }
    }

    #[test]
    fn compounds_meet(x in "[a-z]{1,12}", y in "[a-z]{1,12}", title in any::<bool>()) {
        // `fine-tuning`, `fine tuning`, `finetuning`; or `Fine-Tuning`, `Fine Tuning`,
        // `FineTuning`. (Mixed-case words are not compounds: `LLMs` + `a` is not `llmsa`.)
        // One capital letter joined to a capitalised word reads as an acronym plural
        // (`A` + `As` is `AAs`, the plural of `AA`), so title case needs two letters.
        let title = title && x.len() > 1 && y.len() > 1;
        let (x, y) = if title { (capitalise(&x), capitalise(&y)) } else { (x, y) };
        let mut a = Analyzer::default();
        let hyphen = a.key(&format!("{x}-{y}"));
        prop_assert_eq!(&hyphen, &a.key(&format!("{x} {y}")));
        prop_assert_eq!(&hyphen, &a.key(&format!("{x}{y}")));
    }
}

fn alphanumeric(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).collect()
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// Markdown-ish text from fragments that drive every block and inline rule gloss uses.
fn markdownish() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        3 => Just("**"),
        2 => Just("`"),
        2 => Just("#"),
        2 => Just("# "),
        3 => Just("- "),
        2 => Just("> "),
        3 => Just("|"),
        2 => Just(":"),
        2 => Just(": "),
        5 => Just("\n"),
        2 => Just("\n\n"),
        2 => Just("\t"),
        2 => Just("\r\n"),
        1 => Just("\r"),
        1 => Just("---\n"),
        1 => Just("|---|---|\n"),
        1 => Just("```\n"),
        1 => Just("1. "),
        1 => Just("    "),
        1 => Just("["),
        1 => Just("]("),
        1 => Just(")"),
        1 => Just("<b>"),
        1 => Just("{{Glossary(\"HTTP\")}}"),
        1 => Just("title: x\n"),
        1 => Just(" is a "),
        2 => Just("\n## What is "),
        1 => Just(" aka: "),
        // Letters whose lowercase is longer (`İ`, `Ⱥ`) or shorter (Kelvin `K`) in bytes: a
        // place found in a lowercased copy is not a place in the text (ten `İ` after
        // `## What is ` made the index run panic).
        2 => Just("\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}"),
        1 => Just("\u{23a}\u{23a}\u{23a}"),
        1 => Just("\u{212a}\u{212a}"),
        1 => Just(" (RAG)"),
        1 => Just(" \u{2014} "),
        1 => Just("\u{1b}[31m"),
        1 => Just("\u{7}"),
        1 => Just("\u{9b}"),
        1 => Just("\u{65e5}\u{672c}"),
        1 => Just("caf\u{e9}"),
        6 => Just("Term"),
        6 => Just("word"),
        3 => Just("Fine-tuning"),
        3 => Just(" "),
    ];
    prop::collection::vec(fragment, 0..120).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn markdown_never_panics_and_lines_lie_within_the_note(md in markdownish()) {
        check_note(&md)?;
    }

    #[test]
    fn arbitrary_text_never_panics(md in any::<String>()) {
        check_note(&md)?;
    }
}

fn check_note(md: &str) -> Result<(), TestCaseError> {
    let doc = gloss::stages::parse(md);
    let entries = gloss::stages::extract("note.md", &doc);
    let lines = md.matches('\n').count() + 1;
    for e in &entries {
        prop_assert!(
            (1..=lines).contains(&e.line),
            "line {} of {} lines: {:?} in {:?}",
            e.line,
            lines,
            e,
            md
        );
        // What reaches a terminal has no control characters (the text renderer relies on
        // it); passages of tables and code keep their line breaks.
        let names = e
            .term
            .iter()
            .chain(e.aliases.iter())
            .chain(e.heading_path.iter());
        for s in names {
            prop_assert!(
                !s.chars().any(char::is_control),
                "control character in {:?} from {:?}",
                s,
                md
            );
        }
        prop_assert!(
            !e.text.chars().any(|c| c.is_control() && c != '\n'),
            "control character in {:?} from {:?}",
            e.text,
            md
        );
    }
    Ok(())
}
