//! Note bytes → decode → sections → entries: never panics, every entry's line lies within
//! the note, and nothing that reaches a terminal carries a control character.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut warnings = Vec::new();
    let Some(text) = gloss::stages::decode("note.md", data.to_vec(), &mut warnings) else {
        return;
    };
    let doc = gloss::stages::parse(&text);
    let entries = gloss::stages::extract("note.md", &doc);
    let lines = text.matches('\n').count() + 1;
    for e in &entries {
        assert!(
            (1..=lines).contains(&e.line),
            "line {} of {lines}: {e:?}",
            e.line
        );
        let names = e.term.iter().chain(&e.aliases).chain(&e.heading_path);
        for s in names {
            assert!(
                !s.chars().any(char::is_control),
                "control character in {s:?}"
            );
        }
        assert!(
            !e.text.chars().any(|c| c.is_control() && c != '\n'),
            "control character in {:?}",
            e.text
        );
    }
});
