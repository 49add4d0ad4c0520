//! Each note style gloss recognises, from a fixture, through the CLI: term, file and line.

use crate::common::{top, Sandbox};

fn define(sb: &Sandbox, term: &str) -> (String, String, u64) {
    top(&sb.json(&["define", term]))
}

fn t(term: &str, file: &str, line: u64) -> (String, String, u64) {
    (term.to_string(), file.to_string(), line)
}

#[test]
fn a_bold_lead_ins_at_paragraph_item_and_nested_item_start() {
    let sb = Sandbox::new("styles");
    assert_eq!(define(&sb, "fine-tuning"), t("Fine-tuning", "a-bold.md", 3));
    assert_eq!(define(&sb, "token"), t("Token", "a-bold.md", 5));
    assert_eq!(define(&sb, "chunk"), t("Chunk", "a-bold.md", 7));
    assert_eq!(define(&sb, "adapter"), t("Adapter", "a-bold.md", 9));
}

#[test]
fn b_code_lead_ins_one_per_line() {
    let sb = Sandbox::new("styles");
    assert_eq!(define(&sb, "sequence"), t("Sequence", "b-code.md", 3));
    assert_eq!(define(&sb, "vocabulary"), t("Vocabulary", "b-code.md", 4));
}

#[test]
fn c_plain_term_colon_and_dash_items() {
    let sb = Sandbox::new("styles");
    assert_eq!(define(&sb, "LLM"), t("LLMs", "c-plain.md", 3));
    assert_eq!(
        define(&sb, "vector store"),
        t("Vector store", "c-plain.md", 4)
    );
    assert_eq!(define(&sb, "guardrail"), t("Guardrail", "c-plain.md", 5));
    let v = sb.json(&["define", "remember this"]);
    assert!(
        super::common::hits(&v)
            .iter()
            .all(|h| h.0 != "Remember this"),
        "{v}"
    );
}

#[test]
fn d_heading_per_term_under_letter_groups() {
    let sb = Sandbox::new("styles");
    assert_eq!(
        define(&sb, "attention mask"),
        t("attention mask", "d-headings.md", 5)
    );
    assert_eq!(
        define(&sb, "batch size"),
        t("batch size", "d-headings.md", 11)
    );
    let v = sb.json(&["define", "A"]);
    assert!(
        super::common::hits(&v).iter().all(|h| h.0 != "A"),
        "letter headings are not terms: {v}"
    );
}

#[test]
fn e_front_matter_title_with_aliases_and_initials() {
    let sb = Sandbox::new("styles");
    let file = "e-front-matter/horizontal-pod-autoscaler.md";
    assert_eq!(
        define(&sb, "horizontal pod autoscaler"),
        t("Horizontal Pod Autoscaler", file, 10)
    );
    assert_eq!(define(&sb, "hpa"), t("Horizontal Pod Autoscaler", file, 10));
    // The initials find the term but are not shown: only written aliases are.
    let v = sb.json(&["define", "hpa"]);
    assert_eq!(v["hits"][0]["aliases"], serde_json::json!(["autoscaler"]));
    assert_eq!(
        define(&sb, "autoscaler"),
        t("Horizontal Pod Autoscaler", file, 10)
    );
}

#[test]
fn f_definition_lists() {
    let sb = Sandbox::new("styles");
    assert_eq!(
        define(&sb, "delta sync index"),
        t("Delta Sync Index", "f-deflist.md", 3)
    );
    assert_eq!(
        define(&sb, "direct vector access index"),
        t("Direct Vector Access Index", "f-deflist.md", 6)
    );
}

#[test]
fn g_glossary_tables() {
    let sb = Sandbox::new("styles");
    assert_eq!(define(&sb, "rouge"), t("ROUGE", "g-table.md", 5));
    assert_eq!(define(&sb, "BLEU"), t("BLEU", "g-table.md", 6));
}

#[test]
fn h_is_a_paragraph_under_a_heading() {
    let sb = Sandbox::new("styles");
    assert_eq!(
        define(&sb, "generative ai"),
        t("Generative AI", "h-is-a.md", 7)
    );
    let v = sb.json(&["define", "RAG"]);
    assert_eq!(
        top(&v),
        t("Retrieval-augmented generation", "h-is-a.md", 11)
    );
    assert_eq!(v["hits"][0]["aliases"][0], "RAG");
}

#[test]
fn templates_and_html_do_not_leak_into_snippets() {
    let sb = Sandbox::new("styles");
    let v = sb.json(&["search", "metrics cpu"]);
    // Definitions come first (issue 11): the passage with the template is the first passage.
    let passage = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["kind"] == "passage");
    let snippet = passage.unwrap()["snippet"].as_str().unwrap();
    assert!(
        snippet.contains("It uses metrics such as CPU."),
        "{snippet}"
    );
    assert!(
        !snippet.contains("{{") && !snippet.contains("<!--"),
        "{snippet}"
    );
}

#[test]
fn i_html_term_cards_and_dl_glossaries_by_term_and_written_alias() {
    let sb = Sandbox::new("notes-html");
    let cards = "agent-cards.md";
    assert_eq!(define(&sb, "planner"), t("Planner", cards, 7));
    assert_eq!(define(&sb, "planning module"), t("Planner", cards, 7));
    assert_eq!(define(&sb, "scratchpad"), t("Scratchpad", cards, 23));
    assert_eq!(define(&sb, "reasoning buffer"), t("Scratchpad", cards, 23));
    assert_eq!(define(&sb, "handoff"), t("Handoff", cards, 35));
    let glossary = "html-glossary.md";
    assert_eq!(define(&sb, "cold start"), t("Cold start", glossary, 3));
    assert_eq!(define(&sb, "throughput"), t("Throughput", glossary, 7));
    assert_eq!(define(&sb, "output limit"), t("max_tokens", glossary, 10));
    let v = sb.json(&["define", "scratchpad"]);
    assert_eq!(
        v["hits"][0]["aliases"],
        serde_json::json!(["SP", "reasoning buffer"])
    );
    assert_eq!(
        v["hits"][0]["text"],
        "Working text where a model writes intermediate reasoning that the user never sees & the app may discard."
    );
    // The note's title heading and the sources line are not terms.
    let all = sb.json(&["terms"]);
    let names: Vec<String> = super::common::hits(&all).into_iter().map(|h| h.0).collect();
    assert_eq!(
        names,
        [
            "Cold start",
            "Handoff",
            "max_tokens",
            "Planner",
            "Scratchpad",
            "Throughput"
        ]
    );
}

/// Every definition of `gloss terms` as (term, aliases, file:line), in listing order.
fn listed(sb: &Sandbox) -> Vec<(String, Vec<String>, String)> {
    sb.json(&["terms"])["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let aliases = h["aliases"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect();
            (
                h["term"].as_str().unwrap().to_string(),
                aliases,
                format!("{}:{}", h["file"].as_str().unwrap(), h["line"]),
            )
        })
        .collect()
}

#[test]
fn hand_written_notes_give_every_term_at_its_line_and_nothing_else() {
    // Six notes as people write them: CRLF, tabs, typos, Obsidian bold lines, `<br>`,
    // arrows, cheat-sheet tables, HTML, a one-term note, front matter, Q/A, exam tips.
    let sb = Sandbox::new("notes-handwritten");
    let want: Vec<(&str, &[&str], &str)> = vec![
        ("Beam search", &[], "sampling-cheatsheet.md:13"),
        ("Beam width", &[], "sampling-cheatsheet.md:14"),
        ("BLEU", &[], "evaluation.md:13"),
        ("Chunking", &[], "week-07-rag.md:10"),
        ("Cold start", &["warm-up delay"], "glossary-html.md:3"),
        ("Faithfulness", &[], "evaluation.md:21"),
        (
            "Function calling",
            &["tool calling", "function invocation"],
            "agents.md:12",
        ),
        ("Greedy decoding", &[], "sampling-cheatsheet.md:11"),
        ("Latency", &[], "glossary-html.md:11"),
        ("LLM", &[], "evaluation.md:18"),
        ("Max tokens", &[], "sampling-cheatsheet.md:7"),
        ("Min-p", &["floor"], "sampling-cheatsheet.md:9"),
        ("Perplexity", &[], "evaluation.md:14"),
        ("Planner", &[], "agents.md:5"),
        ("Reranker", &[], "week-07-rag.md:11"),
        ("ROUGE", &["rouge score"], "evaluation.md:7"),
        ("seed", &[], "sampling-cheatsheet.md:17"),
        ("SFT", &["supervised fine-tuning"], "week-07-rag.md:13"),
        ("stop", &[], "sampling-cheatsheet.md:12"),
        ("Temperature", &[], "sampling-cheatsheet.md:5"),
        ("Throughput", &[], "glossary-html.md:8"),
        ("Tokenizer", &[], "tokenizer.md:1"),
        ("Tool use", &[], "agents.md:11"),
        ("Top-k", &[], "sampling-cheatsheet.md:6"),
        ("toxicity score", &[], "evaluation.md:26"),
        ("Vector Search", &[], "week-07-rag.md:7"),
    ];
    let want: Vec<(String, Vec<String>, String)> = want
        .into_iter()
        .map(|(t, a, at)| {
            (
                t.to_string(),
                a.iter().map(|s| s.to_string()).collect(),
                at.to_string(),
            )
        })
        .collect();
    let got = listed(&sb);
    assert_eq!(got, want);
    // What must not be a term: titles, course headings, labels, Q/A, instructions, a
    // pipeline of arrows, an empty table row.
    for not in [
        "Week 7 - RAG and retrieval",
        "Core bits",
        "Note",
        "Q",
        "A",
        "Exam tips",
        "Match the task to its name",
        "Know the difference between a chunk and a document",
        "Tip",
        "Remember",
        "tokenize",
        "Sampling cheat sheet",
        "Serving words",
        "Agents",
        "Tools",
        "NER",
    ] {
        assert!(
            got.iter().all(|(t, _, _)| t != not),
            "{not:?} is not a term"
        );
    }
    // Written aliases find their term.
    assert_eq!(
        define(&sb, "supervised fine-tuning"),
        t("SFT", "week-07-rag.md", 13)
    );
    assert_eq!(
        define(&sb, "warm-up delay"),
        t("Cold start", "glossary-html.md", 3)
    );
    assert_eq!(
        define(&sb, "tool calling"),
        t("Function calling", "agents.md", 12)
    );
}

#[test]
fn lint_finds_the_empty_row_of_an_abbreviation_table() {
    let sb = Sandbox::new("notes-handwritten");
    sb.gloss(&["lint"])
        .assert()
        .code(1)
        .stdout("evaluation.md:19: \"NER\" has an empty definition\n");
}
