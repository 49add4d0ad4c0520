//! The original note gloss started from, quirks and typos included.

use crate::common::{hits, top, Sandbox};

fn t(term: &str, line: u64) -> (String, String, u64) {
    (term.to_string(), "theory-80-20.md".to_string(), line)
}

#[test]
fn every_definition_of_the_original_note_comes_out_clean() {
    let sb = Sandbox::new("seed");
    let cases = [
        ("generative ai", "Generative AI", 22),
        ("why now", "Why now?", 28),
        ("generative ai use cases", "Generative AI Use Cases", 29),
        ("llms", "LLMs", 34),
        ("propietary models", "Propietary Models", 37),
        ("open source models", "Open Source Models", 38),
        ("fine-tuning", "Fine-tuning", 40),
        ("token", "Token", 48),
        ("sequence", "Sequence", 49),
        ("vocabulary", "Vocabulary", 50),
        ("word embeddings", "Word Embeddings", 52),
    ];
    for (query, term, line) in cases {
        assert_eq!(
            top(&sb.json(&["define", query])),
            t(term, line),
            "define {query}"
        );
    }
}

#[test]
fn typos_in_the_note_are_found_by_the_right_spelling() {
    let sb = Sandbox::new("seed");
    assert_eq!(
        top(&sb.json(&["define", "foundation model"])),
        t("Fundation Model", 42)
    );
    assert_eq!(
        top(&sb.json(&["define", "transformer"])),
        t("Tranformer", 62)
    );
    assert_eq!(
        top(&sb.json(&["define", "proprietary models"])),
        t("Propietary Models", 37)
    );
}

#[test]
fn two_lead_ins_in_one_paragraph_are_two_definitions() {
    let sb = Sandbox::new("seed");
    let v = sb.json(&["define", "open source models"]);
    let text = v["hits"][0]["text"].as_str().unwrap();
    assert!(text.starts_with("Task-tailoring"), "{text}");
    assert!(!text.contains("Propietary"), "{text}");
    let v = sb.json(&["define", "propietary models"]);
    let text = v["hits"][0]["text"].as_str().unwrap();
    assert_eq!(
        text,
        "Positive - Speed of development, Quality. Negative :- Cost, Data Privacy, Vendor lock-in"
    );
}

#[test]
fn broken_image_link_and_tabbed_lines_leave_no_noise() {
    let sb = Sandbox::new("seed");
    let v = sb.json(&["search", "llm", "-n", "50"]);
    for h in v["hits"].as_array().unwrap() {
        let s = h["snippet"].as_str().unwrap();
        assert!(!s.contains("PNG") && !s.contains("!["), "{s}");
    }
    let v = sb.json(&["search", "synthetic data"]);
    assert_eq!(hits(&v)[0].0, "Generative AI");
}
